/*
 * cn.c: the vocabulary of CAP and of China's national profile (GB/T 35965.1): status,
 * msgType and the CAP enums as words, severities and the warning colours, <eventType>
 * codes, 12-digit geocodes, and the two ways of writing a time.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cap.h"
#include "cap_int.h"

/* CAP spells its enumerations in CamelCase; the index is the enum value of fenghuo.proto. */
static const char *const statuses[] = { NULL, "Actual", "Exercise", "System", "Test",
	"Draft" };
static const char *const msgtypes[] = { NULL, "Alert", "Update", "Cancel" };
static const char *const urgencies[] = { NULL, "Immediate", "Expected", "Future", "Past",
	"Unknown" };
static const char *const certainties[] = { NULL, "Observed", "Likely", "Possible",
	"Unlikely", "Unknown" };
static const char *const responses[] = { NULL, "Shelter", "Evacuate", "Prepare", "Execute",
	"Avoid", "Monitor", "Assess", "AllClear", "None" };
/* By Fenghuo__Level: the CAP severity of each colour (DESIGN decision 3), and the colour. */
static const char *const severities[] = { NULL, "Minor", "Moderate", "Severe", "Extreme" };
static const char *const colours[] = { NULL, "Blue", "Yellow", "Orange", "Red" };

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int
lookup(const char *const *t, int n, const char *s)
{
	int i;

	for (i = 1; s != NULL && i < n; i++)
		if (strcmp(t[i], s) == 0)
			return i;
	return 0;
}

static const char *
name(const char *const *t, int n, int v)
{
	return v > 0 && v < n ? t[v] : NULL;
}

int cap_status_parse(const char *s) { return lookup(statuses, N(statuses), s); }
const char *cap_status_name(int v) { return name(statuses, N(statuses), v); }
int cap_msgtype_parse(const char *s) { return lookup(msgtypes, N(msgtypes), s); }
const char *cap_msgtype_name(int v) { return name(msgtypes, N(msgtypes), v); }
int cap_urgency_parse(const char *s) { return lookup(urgencies, N(urgencies), s); }
const char *cap_urgency_name(int v) { return name(urgencies, N(urgencies), v); }
int cap_certainty_parse(const char *s) { return lookup(certainties, N(certainties), s); }
const char *cap_certainty_name(int v) { return name(certainties, N(certainties), v); }
int cap_response_parse(const char *s) { return lookup(responses, N(responses), s); }
const char *cap_response_name(int v) { return name(responses, N(responses), v); }
const char *cap_level_severity(int level) { return name(severities, N(severities), level); }
const char *cap_level_colour(int level) { return name(colours, N(colours), level); }

int
cap_severity_level(const char *s)
{
	int v;

	if ((v = lookup(severities, N(severities), s)) > 0)
		return v;
	return lookup(colours, N(colours), s);
}

/*
 * <eventType> codes of the national warning system for the weather warnings a county
 * office meets most (class 11B, meteorological). Codes not listed are carried verbatim
 * all the same; only the event name of the warning then is the code itself.
 */
static const struct {
	const char	*code, *name;
} events[] = {
	{ "11B01", "台风" }, { "11B03", "暴雨" }, { "11B04", "暴雪" }, { "11B05", "寒潮" },
	{ "11B06", "大风" }, { "11B07", "沙尘暴" }, { "11B09", "高温" }, { "11B14", "雷电" },
	{ "11B15", "冰雹" }, { "11B16", "霜冻" }, { "11B17", "大雾" }, { "11B19", "霾" },
	{ "11B20", "雷雨大风" }, { "11B21", "道路结冰" }, { "11B22", "干旱" },
};

const char *
cap_cn_event_name(const char *code)
{
	size_t i;

	for (i = 0; code != NULL && i < sizeof(events) / sizeof(events[0]); i++)
		if (strcmp(events[i].code, code) == 0)
			return events[i].name;
	return NULL;
}

const char *
cap_cn_event_code(const char *ev)
{
	size_t i;

	for (i = 0; ev != NULL && i < sizeof(events) / sizeof(events[0]); i++)
		if (strcmp(events[i].name, ev) == 0)
			return events[i].code;
	return NULL;
}

int
cap_cn_geocode_prefix(const char *code, size_t len, char buf[13])
{
	/* Province 2, city 4, county 6, township 9, village 12 digits; zeros pad the rest. */
	static const size_t levels[] = { 12, 9, 6, 4, 2 };
	size_t i, j, keep;

	if (len != 6 && len != 9 && len != 12)
		return -1;
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)code[i]))
			return -1;
	keep = len;
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (levels[i] > len)
			continue;
		for (j = levels[i]; j < len && code[j] == '0'; j++)
			;
		if (j == len)
			keep = levels[i];
	}
	if (keep == 2 && code[0] == '0' && code[1] == '0')
		return -1;
	memcpy(buf, code, keep);
	buf[keep] = '\0';
	return 0;
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
cap_time_parse(const char *s, uint64_t *ms, int *offset_min)
{
	struct tm tm;
	int y, mo, d, h, mi, se, oh, om, off;
	time_t t;

	/* 2003-06-11T20:56:00-07:00 (25 characters); the national profile has ' ' for 'T'. */
	if (s == NULL || strlen(s) != 25 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' ||
	    (s[19] != '+' && s[19] != '-') || s[22] != ':')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se) ||
	    digits(s + 20, 2, &oh) || digits(s + 23, 2, &om))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 ||
	    oh > 14 || om > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	off = (oh * 60 + om) * (s[19] == '-' ? -1 : 1);
	t -= (time_t)off * 60;
	if (t < 0)
		return -1;
	if (ms != NULL)
		*ms = (uint64_t)t * 1000;
	if (offset_min != NULL)
		*offset_min = off;
	return 0;
}

void
cap_time_format(uint64_t ms, int offset_min, char sep, char buf[32])
{
	time_t t = (time_t)(ms / 1000) + (time_t)offset_min * 60;
	struct tm tm;
	int a = offset_min < 0 ? -offset_min : offset_min;

	gmtime_r(&t, &tm);
	/* Years past 9999 and offsets past 99 h do not occur; the bounds say so to the compiler. */
	snprintf(buf, 32, "%04d-%02d-%02d%c%02d:%02d:%02d%c%02d:%02d",
	    (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100, sep,
	    tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, offset_min < 0 ? '-' : '+',
	    (a / 60) % 100, a % 60);
}

int
cap_profile_parse(const char *s)
{
	if (s != NULL && strcasecmp(s, "oasis") == 0)
		return CAP_PROFILE_OASIS;
	if (s != NULL && strcasecmp(s, "cn") == 0)
		return CAP_PROFILE_CN;
	return -1;
}
