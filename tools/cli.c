/*
 * cli.c: helpers shared by the verbs of the fenghuo CLI.
 *
 * Error reporting, the lazily opened store and key, id prefixes, time parsing, and the three
 * ways a message is shown: one line (list), every field (show), one JSON object (--json).
 * Helpers that can fail print their error once and return a sysexits.h code, so that a verb
 * can simply return what they return.
 */
/* strptime() is X/Open. */
#define _XOPEN_SOURCE 700

#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <jansson.h>

#include "crypto.h"
#include "store.h"
#include "ingest.h"
#include "fenghuo.h"

static void vwarnx(const struct cli *, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
vwarnx(const struct cli *cli, int errnum, const char *fmt, va_list ap)
{
	fputs("fenghuo: ", stderr);
	if (cli != NULL && cli->verb != NULL)
		fprintf(stderr, "%s: ", cli->verb);
	vfprintf(stderr, fmt, ap);
	if (errnum != 0)
		fprintf(stderr, ": %s", strerror(errnum));
	fputc('\n', stderr);
}

void
cli_warnx(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(cli, 0, fmt, ap);
	va_end(ap);
}

void
cli_warn(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;
	int errnum = errno;

	va_start(ap, fmt);
	vwarnx(cli, errnum, fmt, ap);
	va_end(ap);
}

uint64_t
cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* mkdir -p with mode 0700 for the directories it creates. */
static int
mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t len, i;

	len = strlen(path);
	if (len == 0 || len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) == -1 && errno != EEXIST)
			return -1;
		buf[i] = path[i];
	}
	return 0;
}

int
cli_state_mkdir(struct cli *cli)
{
	struct stat sb;

	if (stat(cli->state, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return EX_OK;
		cli_warnx(cli, "%s is not a directory", cli->state);
		return EX_CANTCREAT;
	}
	if (mkdir_p(cli->state) == -1) {
		cli_warn(cli, "cannot create state directory %s", cli->state);
		return errno == EACCES ? EX_NOPERM : EX_CANTCREAT;
	}
	return EX_OK;
}

/* The sysexits code for a store/ error (fenghuo.h). */
int
cli_store_exit(int rc)
{
	switch (rc) {
	case EACCES:
	case EPERM:
		return EX_NOPERM;
	case ENOENT:
		return EX_NOINPUT;
	case STORE_ESCHEMA:
		return EX_CONFIG;
	case STORE_ECORRUPT:
		return EX_DATAERR;
	case STORE_EINVAL:
		return EX_SOFTWARE;
	default:
		return EX_IOERR;
	}
}

int
cli_store_failed(const struct cli *cli, int rc)
{
	cli_warnx(cli, "cannot read the store in %s: %s", cli->state, store_strerror(rc));
	return cli_store_exit(rc);
}

int
cli_store(struct cli *cli, int write, struct store **out)
{
	struct stat sb;
	int rc;

	*out = NULL;
	if (cli->store != NULL && (!write || cli->store_rw)) {
		*out = cli->store;
		return EX_OK;
	}
	ingest_close(&cli->ingest);	/* it borrows the store */
	store_close(&cli->store);
	if (write) {
		if ((rc = cli_state_mkdir(cli)) != EX_OK)
			return rc;
		rc = store_open(cli->state, 0, &cli->store);
	} else if (stat(cli->state, &sb) == -1) {
		rc = errno;
	} else {
		rc = store_open(cli->state, STORE_RDONLY, &cli->store);
	}
	if (rc == ENOENT && !write) {
		cli_warnx(cli, "no store in %s (nothing has been stored there yet)", cli->state);
		return EX_NOINPUT;
	}
	if (rc != 0) {
		cli->store = NULL;
		cli_warnx(cli, "cannot open the store in %s: %s", cli->state, store_strerror(rc));
		return cli_store_exit(rc);
	}
	cli->store_rw = write;
	*out = cli->store;
	return EX_OK;
}

int
cli_key(struct cli *cli, const struct fc_key **out)
{
	int rc;

	*out = NULL;
	if (cli->key == NULL) {
		rc = fc_key_load(cli->keypath, &cli->key);
		switch (rc) {
		case 0:
			break;
		case FC_EKEYPERM:
			cli_warnx(cli, "key file %s is readable by group or others; "
			    "refusing to use it (chmod 600 %s)", cli->keypath, cli->keypath);
			return EX_NOPERM;
		case ENOENT:
			cli_warnx(cli, "no key file %s (create one with 'fenghuo keygen')",
			    cli->keypath);
			return EX_NOINPUT;
		case EACCES:
		case EPERM:
			cli_warnx(cli, "cannot read key file %s: %s", cli->keypath,
			    fc_strerror(rc));
			return EX_NOPERM;
		case FC_EKEYFMT:
			cli_warnx(cli, "%s is not a fenghuo key file: %s", cli->keypath,
			    fc_strerror(rc));
			return EX_DATAERR;
		default:
			cli_warnx(cli, "cannot load key file %s: %s", cli->keypath,
			    fc_strerror(rc));
			return EX_IOERR;
		}
	}
	*out = cli->key;
	return EX_OK;
}

void
cli_free(struct cli *cli)
{
	cli_trust_forget(cli);
	ingest_close(&cli->ingest);
	store_close(&cli->store);
	fc_key_free(&cli->key);
	free(cli->state_buf);
	free(cli->keypath_buf);
	cli->state_buf = cli->keypath_buf = NULL;
	cli->state = cli->keypath = NULL;
}

int
cli_resolve(struct cli *cli, const char *prefix, struct store_msg *out)
{
	struct store *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!fc_is_id_prefix(prefix)) {
		cli_warnx(cli, "'%s' is not a message id (8 to 64 hex digits)", prefix);
		return EX_USAGE;
	}
	if ((rc = cli_store(cli, 0, &st)) != EX_OK)
		return rc;
	rc = store_get_prefix(st, prefix, out);
	switch (rc) {
	case 0:
		return EX_OK;
	case STORE_NOTFOUND:
		cli_warnx(cli, "no message with id %s", prefix);
		return EX_DATAERR;
	case STORE_AMBIGUOUS:
		cli_warnx(cli, "id prefix %s matches more than one message; give more digits",
		    prefix);
		return EX_DATAERR;
	case STORE_EINVAL:
		cli_warnx(cli, "'%s' is not a message id (8 to 64 hex digits)", prefix);
		return EX_USAGE;
	default:
		return cli_store_failed(cli, rc);
	}
}

/* ---- parsing ------------------------------------------------------------------------- */

int
cli_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

int
cli_parse_duration(const char *s, uint64_t *ms)
{
	uint64_t total = 0, n, unit;
	int digits;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		n = 0;
		digits = 0;
		while (*s >= '0' && *s <= '9') {
			if (n > UINT32_MAX)
				return -1;
			n = n * 10 + (uint64_t)(*s++ - '0');
			digits++;
		}
		if (digits == 0)
			return -1;
		switch (*s++) {
		case 's':
			unit = 1000;
			break;
		case 'm':
			unit = 60 * 1000;
			break;
		case 'h':
			unit = 3600 * 1000;
			break;
		case 'd':
			unit = 24 * 3600 * 1000;
			break;
		case 'w':
			unit = 7ULL * 24 * 3600 * 1000;
			break;
		default:
			return -1;
		}
		/* Bounded far above any sensible duration, so that nothing overflows. */
		if (n > (1ULL << 62) / unit || total + n * unit > (1ULL << 62))
			return -1;
		total += n * unit;
	}
	*ms = total;
	return 0;
}

int
cli_parse_time(const char *s, uint64_t now_ms, uint64_t *ms)
{
	static const char *const formats[] = {
		"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
		"%Y-%m-%d",
	};
	struct tm tm;
	const char *end;
	time_t t;
	uint64_t d;
	size_t i;

	if (s == NULL || *s == '\0')
		return -1;
	if (cli_parse_duration(s, &d) == 0) {
		*ms = d > now_ms ? 0 : now_ms - d;
		return 0;
	}
	if (cli_parse_uint(s, UINT64_MAX / 2, ms) == 0)
		return 0;
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		if ((end = strptime(s, formats[i], &tm)) == NULL)
			continue;
		if (end[0] == 'Z' && end[1] == '\0') {
			t = timegm(&tm);
		} else if (end[0] == '\0') {
			tm.tm_isdst = -1;
			t = mktime(&tm);
		} else {
			continue;
		}
		if (t < 0)
			return -1;
		*ms = (uint64_t)t * 1000;
		return 0;
	}
	return -1;
}

int
cli_parse_when(const char *s, uint64_t now_ms, uint64_t *ms)
{
	uint64_t d;

	if (cli_parse_duration(s, &d) == 0) {
		*ms = now_ms + d;
		return 0;
	}
	return cli_parse_time(s, now_ms, ms);
}

int
cli_check_title(const struct cli *cli, const char *title)
{
	const unsigned char *p;
	size_t len = strlen(title);

	/* UTF-8: a Chinese character takes 3 bytes, so the limit is about a third of it. */
	if (len > WIRE_TITLE_MAX) {
		cli_warnx(cli, "--title is %zu bytes long; at most %d bytes (about %d Chinese "
		    "characters, 3 bytes each in UTF-8, or %d Latin letters)", len,
		    WIRE_TITLE_MAX, WIRE_TITLE_MAX / 3, WIRE_TITLE_MAX);
		return EX_USAGE;
	}
	if (!fc_utf8_valid(title, len)) {
		cli_warnx(cli, "--title is not valid UTF-8");
		return EX_USAGE;
	}
	/* A title is one line in every table: no line breaks, tabs or other controls. */
	for (p = (const unsigned char *)title; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)) {
			cli_warnx(cli, "--title must be one line: no newline, tab or other control "
			    "character (put details in --text)");
			return EX_USAGE;
		}
	}
	return EX_OK;
}

/* ---- formatting ---------------------------------------------------------------------- */

char *
cli_fmt_time(uint64_t ms, char *buf, size_t size)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);

	if (localtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, size, "%llu", (unsigned long long)ms);
	return buf;
}

char *
cli_fmt_time_iso(uint64_t ms, char *buf, size_t size)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);

	if (localtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, size, "%llu", (unsigned long long)ms);
	return buf;
}

char *
cli_fmt_age(uint64_t ms, int seconds, char *buf, size_t size)
{
	uint64_t s = ms / 1000, m = s / 60, h = m / 60, d = h / 24;

	if (d > 0)
		snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", d, h % 24);
	else if (h > 0)
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", h, m % 60);
	else if (m > 0 && seconds)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", m, s % 60);
	else if (m > 0)
		snprintf(buf, size, "%" PRIu64 "m", m);
	else
		snprintf(buf, size, "%" PRIu64 "s", s);
	return buf;
}

/* "YYYY-MM-DD HH:MM:SS +ZZZZ" for show. */
static char *
fmt_time_full(uint64_t ms, char *buf, size_t size)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);

	if (localtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		snprintf(buf, size, "%llu", (unsigned long long)ms);
	return buf;
}

char *
cli_short_id(const uint8_t *id, char *buf)
{
	char hex[FC_IDHEX];

	fc_hex(id, FC_IDBYTES, hex);
	memcpy(buf, hex, 12);
	buf[12] = '\0';
	return buf;
}

int
cli_validate_stored(const uint8_t *env, size_t len, const struct store_seen *seen,
    struct fc_msg *out)
{
	/*
	 * Judge it as it was judged on arrival: with this node's clock at first sight. A
	 * message that has expired since is still a valid record; callers show expiry apart.
	 */
	return fc_validate(env, len, seen->first_seen_ms, seen->first_seen_ms, out);
}

static const char *
str_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* Set key to a JSON string; NULL strings become "". */
static void
json_set_str(json_t *obj, const char *key, const char *s)
{
	s = str_or_empty(s);
	json_object_set_new(obj, key, json_stringn(s, strlen(s)));
}

/* key: the names of code's place (cli_region_place), only when the region table knows it. */
static void
json_set_place(json_t *obj, const char *key, const char *code)
{
	char place[CLI_REGION_PLACE_MAX];

	if (code != NULL && cli_region_place(code, place, sizeof(place))[0] != '\0')
		json_set_str(obj, key, place);
}

static void
json_set_hex(json_t *obj, const char *key, const ProtobufCBinaryData *b, int has)
{
	char *hex;

	if (!has || b->data == NULL) {
		json_object_set_new(obj, key, json_null());
		return;
	}
	if ((hex = malloc(2 * b->len + 1)) == NULL)
		return;
	fc_hex(b->data, b->len, hex);
	json_object_set_new(obj, key, json_string(hex));
	free(hex);
}

static void
json_set_u64(json_t *obj, const char *key, uint64_t v)
{
	json_object_set_new(obj, key, json_integer((json_int_t)v));
}

/* The name of an enum value, or its number when it has no name. */
static json_t *
json_enum(const char *name, int v)
{
	if (name != NULL)
		return json_string(name);
	return json_integer(v);
}

static int
is_expired(const struct fc_msg *msg, const struct store_seen *seen, uint64_t now_ms)
{
	uint64_t exp;

	exp = fc_msg_expiry(msg, seen != NULL ? seen->first_seen_ms : now_ms);
	return exp != 0 && exp <= now_ms;
}

json_t *
cli_msg_json(const struct fc_msg *msg, const struct store_seen *seen, uint64_t now_ms)
{
	const Fenghuo__Body *b = msg->body;
	json_t *o, *a;
	char hex[FC_IDHEX];
	size_t i;

	if ((o = json_object()) == NULL)
		return NULL;
	json_set_str(o, "id", fc_hex(msg->id, FC_IDBYTES, hex));
	json_object_set_new(o, "kind", json_enum(wire_kind_name(b->kind), b->kind));
	json_set_hex(o, "author", &b->author, b->has_author);
	json_set_u64(o, "created_ms", b->created_ms);
	json_set_u64(o, "time_ms",
	    seen != NULL ? seen->time_ms : fc_msg_time(msg, now_ms));
	if (seen != NULL) {
		json_set_u64(o, "first_seen_ms", seen->first_seen_ms);
		if (seen->has_from)
			json_set_str(o, "from", fc_hex(seen->from, FC_PUBLICKEYBYTES, hex));
		else
			json_object_set_new(o, "from", json_null());
		json_set_u64(o, "hops", seen->hops);
	}
	if (b->has_expires_ms && b->expires_ms != 0) {
		json_set_u64(o, "expires_ms", b->expires_ms);
		json_object_set_new(o, "expired", json_boolean(is_expired(msg, seen, now_ms)));
	}
	json_set_str(o, "region", b->region);
	json_set_place(o, "region_name", b->region);
	if (b->has_lat_e7 && b->has_lon_e7) {
		json_object_set_new(o, "lat", json_real(b->lat_e7 / 1e7));
		json_object_set_new(o, "lon", json_real(b->lon_e7 / 1e7));
	}
	if (b->category != NULL)
		json_set_str(o, "category", b->category);
	if (b->event != NULL)
		json_set_str(o, "event", b->event);
	json_set_str(o, "title", b->title);
	json_set_str(o, "text", b->text);
	if (b->kind == FENGHUO__KIND__REPORT || b->kind == FENGHUO__KIND__WARNING) {
		json_object_set_new(o, "status", json_enum(wire_status_name(wire_status_of(b)),
		    wire_status_of(b)));
		if (cli_status_mark(b) != NULL)
			json_set_str(o, "status_mark", cli_status_mark(b));
	}
	a = json_array();
	if (msg->flags & FC_MSG_CLOCK_SKEW)
		json_array_append_new(a, json_string("clock-skew"));
	cli_marks_json(msg, a);
	json_object_set_new(o, "flags", a);
	a = json_array();
	for (i = 0; i < b->n_refs; i++) {
		if (b->refs[i].len == FC_IDBYTES)
			json_array_append_new(a, json_string(fc_hex(b->refs[i].data, FC_IDBYTES,
			    hex)));
	}
	json_object_set_new(o, "refs", a);

	if (b->warning != NULL) {
		const Fenghuo__Warning *w = b->warning;

		json_object_set_new(o, "msg_type",
		    json_enum(wire_msgtype_name(w->msg_type), w->msg_type));
		json_object_set_new(o, "urgency",
		    json_enum(wire_urgency_name(w->urgency), w->urgency));
		json_object_set_new(o, "severity",
		    json_enum(wire_severity_name(w->severity), w->severity));
		json_object_set_new(o, "certainty",
		    json_enum(wire_certainty_name(w->certainty), w->certainty));
		json_object_set_new(o, "level", json_enum(wire_level_name(w->level), w->level));
		a = json_array();
		for (i = 0; i < w->n_area; i++)
			json_array_append_new(a, json_string(str_or_empty(w->area[i])));
		json_object_set_new(o, "area", a);
		json_set_u64(o, "onset_ms", w->has_onset_ms ? w->onset_ms : 0);
		if (!b->has_expires_ms || b->expires_ms == 0)
			json_set_u64(o, "expires_ms", 0);
		a = json_array();
		for (i = 0; i < w->n_response_type; i++)
			json_array_append_new(a, json_enum(wire_response_name(w->response_type[i]),
			    w->response_type[i]));
		json_object_set_new(o, "response_type", a);
		json_set_str(o, "instruction", w->instruction);
		/* An imported CAP alert: which one (`fenghuo cap export` gives all of it). */
		if (w->cap != NULL) {
			json_t *c = json_object();

			json_set_str(c, "profile", w->cap->has_profile && w->cap->profile ==
			    WIRE_CAP_PROFILE_CN ? "cn" : "oasis");
			json_set_str(c, "identifier", w->cap->identifier);
			json_set_str(c, "sender", w->cap->sender);
			json_set_str(c, "sent", w->cap->sent);
			json_object_set_new(o, "cap", c);
		}
	}
	if (b->receipt != NULL) {
		json_object_set_new(o, "stage",
		    json_enum(wire_stage_name(b->receipt->stage), b->receipt->stage));
		json_set_str(o, "note", b->receipt->note);
		/* A DELIVERED receipt's path: null when the receipt does not say. */
		json_set_hex(o, "via", &b->receipt->via, b->receipt->has_via);
		json_object_set_new(o, "hops", b->receipt->has_hops ?
		    json_integer(b->receipt->hops) : json_null());
		json_object_set_new(o, "delay_ms", b->receipt->has_delay_ms ?
		    json_integer((json_int_t)b->receipt->delay_ms) : json_null());
		json_object_set_new(o, "link", b->receipt->has_link ?
		    json_string(cli_link_name(b->receipt->link)) : json_null());
	}
	if (b->cert != NULL) {
		const Fenghuo__Cert *c = b->cert;

		json_set_hex(o, "subject", &c->subject, c->has_subject);
		a = json_array();
		for (i = 0; i < c->n_roles; i++)
			json_array_append_new(a, json_enum(wire_role_name(c->roles[i]), c->roles[i]));
		json_object_set_new(o, "roles", a);
		json_set_str(o, "scope", c->scope);
		json_set_place(o, "scope_name", c->scope);
		json_set_u64(o, "not_before_ms", c->has_not_before_ms ? c->not_before_ms : 0);
		json_set_u64(o, "not_after_ms", c->has_not_after_ms ? c->not_after_ms : 0);
		json_set_hex(o, "transport_key", &c->transport_key, c->has_transport_key);
		json_set_str(o, "name", c->name);
	}
	if (b->revoke != NULL) {
		const Fenghuo__Revoke *r = b->revoke;

		json_set_hex(o, "subject", &r->subject, r->has_subject);
		json_set_u64(o, "from_ms", r->has_from_ms ? r->from_ms : 0);
		json_set_str(o, "reason", r->reason);
	}
	if (b->announce != NULL) {
		const Fenghuo__Announce *an = b->announce;

		a = json_array();
		for (i = 0; i < an->n_endpoints; i++)
			json_array_append_new(a, json_string(str_or_empty(an->endpoints[i])));
		json_object_set_new(o, "endpoints", a);
		json_set_str(o, "name", an->name);
		json_set_hex(o, "transport_key", &an->transport_key, an->has_transport_key);
	}
	return o;
}

int
cli_copies_add(struct cli_copies *c, const struct store_view *v)
{
	struct cli_copy *it;
	size_t cap;

	if (c->n == c->cap) {
		cap = c->cap == 0 ? 256 : c->cap * 2;
		if ((it = reallocarray(c->items, cap, sizeof(*it))) == NULL)
			return -1;
		c->items = it;
		c->cap = cap;
	}
	it = &c->items[c->n];
	if ((it->env = malloc(v->len > 0 ? v->len : 1)) == NULL)
		return -1;
	memcpy(it->env, v->env, v->len);
	memcpy(it->id, v->id, FC_IDBYTES);
	it->len = v->len;
	it->seen = *v->seen;
	c->n++;
	return 0;
}

void
cli_copies_drop(struct cli_copies *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->items[i].env);
	c->n = 0;
}

void
cli_copies_free(struct cli_copies *c)
{
	cli_copies_drop(c);
	free(c->items);
	c->items = NULL;
	c->cap = 0;
}

int
cli_json_print(FILE *fp, json_t *obj)
{
	char *s;
	int rc = 0;

	/* UTF-8 as is (no \u escapes), so Chinese round-trips byte for byte. */
	s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	if (s == NULL)
		return -1;
	if (fputs(s, fp) == EOF || fputc('\n', fp) == EOF)
		rc = -1;
	free(s);
	return rc;
}

/* The level/stage column of a list line. */
static const char *
msg_class(const Fenghuo__Body *b)
{
	const char *s = NULL;

	if (b->warning != NULL)
		s = wire_level_name(b->warning->level);
	else if (b->receipt != NULL)
		s = wire_stage_name(b->receipt->stage);
	else if (b->category != NULL && b->category[0] != '\0')
		s = b->category;
	return s != NULL ? s : "-";
}

void
cli_region_cell(FILE *fp, const char *code)
{
	const char *name;

	if (!cli_regions_available())
		return;
	name = code != NULL && code[0] != '\0' ? cli_region_deepest(code) : NULL;
	cli_cell(fp, name != NULL ? name : "-", CLI_REGION_CELL_COLS, 1);
	fputc(' ', fp);
}

void
cli_msg_line(FILE *fp, const struct fc_msg *msg, const struct store_seen *seen, uint64_t now_ms,
    int stage)
{
	const Fenghuo__Body *b = msg->body;
	const char *kind = wire_kind_name(b->kind);
	char sid[13], rid[13], when[32], marks[96];
	uint64_t t;

	t = seen != NULL ? seen->time_ms : fc_msg_time(msg, now_ms);
	/* Columns by display width (a Chinese category), every cell on one line. */
	fprintf(fp, "%s  %s  %-8s ", cli_short_id(msg->id, sid),
	    cli_fmt_time(t, when, sizeof(when)), kind != NULL ? kind : "?");
	cli_cell(fp, msg_class(b), 10, 1);
	fputc(' ', fp);
	cli_cell(fp, b->region != NULL && b->region[0] != '\0' ? b->region : "-", 12, 0);
	fputc(' ', fp);
	cli_region_cell(fp, b->region);
	if (b->receipt != NULL) {
		fputs("re ", fp);
		fputs(b->n_refs > 0 && b->refs[0].len == FC_IDBYTES ?
		    cli_short_id(b->refs[0].data, rid) : "?", fp);
		if (b->receipt->note != NULL && b->receipt->note[0] != '\0') {
			fputc(' ', fp);
			cli_cell(fp, b->receipt->note, 0, 0);
		}
	} else if (b->warning != NULL && b->warning->msg_type != FENGHUO__MSG_TYPE__ALERT) {
		const char *mt = wire_msgtype_name(b->warning->msg_type);

		fprintf(fp, "[%s] ", mt != NULL ? mt : "?");
		cli_cell(fp, b->title, 0, 0);
	} else {
		cli_cell(fp, b->title, 0, 0);
	}
	if (stage > 0 && wire_stage_name(stage) != NULL)
		fprintf(fp, " [%s]", wire_stage_name(stage));
	if (msg->flags & FC_MSG_CLOCK_SKEW)
		fputs(" [clock-skew]", fp);
	fputs(cli_marks(msg, marks, sizeof(marks)), fp);
	if (is_expired(msg, seen, now_ms))
		fputs(" [expired]", fp);
	fputc('\n', fp);
}

/* One field on one line, whatever the value holds (a name or title from another key). */
static void
print_field(FILE *fp, const char *label, const char *value)
{
	fprintf(fp, "%-14s ", label);
	cli_cell(fp, value, 0, 0);
	fputc('\n', fp);
}

/* A region code and, when the region table knows it, the names of its place. */
static void
print_region_field(FILE *fp, const char *label, const char *code)
{
	char place[CLI_REGION_PLACE_MAX];

	fprintf(fp, "%-14s ", label);
	cli_cell(fp, code, 0, 0);
	if (cli_region_place(code, place, sizeof(place))[0] != '\0') {
		fputc(' ', fp);
		cli_cell(fp, place, 0, 0);
	}
	fputc('\n', fp);
}

static void
print_time_field(FILE *fp, const char *label, uint64_t ms)
{
	char when[64];

	fprintf(fp, "%-14s %s (%llu)\n", label, fmt_time_full(ms, when, sizeof(when)),
	    (unsigned long long)ms);
}

static void
print_hex_field(FILE *fp, const char *label, const ProtobufCBinaryData *b, int has)
{
	char *hex;

	if (!has || b->data == NULL)
		return;
	if ((hex = malloc(2 * b->len + 1)) == NULL)
		return;
	print_field(fp, label, fc_hex(b->data, b->len, hex));
	free(hex);
}

/* Text that may span lines: continuation lines are indented under the value column. */
static void
print_text_field(FILE *fp, const char *label, const char *s)
{
	fprintf(fp, "%-14s ", label);
	for (; *s != '\0'; s++) {
		fputc(*s, fp);
		if (*s == '\n' && s[1] != '\0')
			fprintf(fp, "%-14s ", "");
	}
	fputc('\n', fp);
}

static const char *
name_or(const char *name, const char *dflt)
{
	return name != NULL ? name : dflt;
}

void
cli_msg_print(FILE *fp, const struct fc_msg *msg, const struct store_seen *seen, uint64_t now_ms)
{
	const Fenghuo__Body *b = msg->body;
	char hex[FC_IDHEX], buf[96], num[64];
	uint64_t exp;
	size_t i;

	print_field(fp, "id", fc_hex(msg->id, FC_IDBYTES, hex));
	print_field(fp, "kind", name_or(wire_kind_name(b->kind), "?"));
	print_hex_field(fp, "author", &b->author, b->has_author);
	print_time_field(fp, "created", b->created_ms);
	if (seen != NULL && seen->time_ms != b->created_ms)
		print_time_field(fp, "time", seen->time_ms);
	if (b->has_expires_ms && b->expires_ms != 0) {
		exp = fc_msg_expiry(msg, seen != NULL ? seen->first_seen_ms : now_ms);
		print_time_field(fp, exp <= now_ms ? "expired" : "expires", exp);
	}
	if (b->region != NULL && b->region[0] != '\0')
		print_region_field(fp, "region", b->region);
	if (b->has_lat_e7 && b->has_lon_e7) {
		snprintf(buf, sizeof(buf), "%.7f, %.7f", b->lat_e7 / 1e7, b->lon_e7 / 1e7);
		print_field(fp, "lat, lon", buf);
	}
	if (b->kind == FENGHUO__KIND__REPORT || b->kind == FENGHUO__KIND__WARNING) {
		snprintf(buf, sizeof(buf), "%s%s%s%s", name_or(wire_status_name(wire_status_of(b)),
		    "?"), cli_status_mark(b) != NULL ? " (" : "",
		    cli_status_mark(b) != NULL ? cli_status_mark(b) : "",
		    cli_status_mark(b) != NULL ? ": not a real message, never in force)" : "");
		print_field(fp, "cap status", buf);
	}
	if (b->category != NULL && b->category[0] != '\0')
		print_field(fp, "category", b->category);
	if (b->event != NULL && b->event[0] != '\0')
		print_field(fp, "event", b->event);
	if (b->warning != NULL) {
		const Fenghuo__Warning *w = b->warning;

		print_field(fp, "level", name_or(wire_level_name(w->level), "?"));
		print_field(fp, "msg type", name_or(wire_msgtype_name(w->msg_type), "?"));
		print_field(fp, "urgency", name_or(wire_urgency_name(w->urgency), "?"));
		print_field(fp, "severity", name_or(wire_severity_name(w->severity), "?"));
		print_field(fp, "certainty", name_or(wire_certainty_name(w->certainty), "?"));
		for (i = 0; i < w->n_area; i++)
			print_region_field(fp, i == 0 ? "area" : "", str_or_empty(w->area[i]));
		if (w->n_area == 0)
			fprintf(fp, "%-14s\n", "area");
		if (w->has_onset_ms && w->onset_ms != 0)
			print_time_field(fp, "onset", w->onset_ms);
		if (w->n_response_type > 0) {
			fprintf(fp, "%-14s", "response");
			for (i = 0; i < w->n_response_type; i++)
				fprintf(fp, " %s", name_or(wire_response_name(w->response_type[i]),
				    "?"));
			fputc('\n', fp);
		}
		if (w->instruction != NULL && w->instruction[0] != '\0')
			print_text_field(fp, "instruction", w->instruction);
		if (w->cap != NULL) {
			print_field(fp, "cap alert", str_or_empty(w->cap->identifier));
			print_field(fp, "cap sender", str_or_empty(w->cap->sender));
		}
	}
	if (b->receipt != NULL) {
		print_field(fp, "stage", name_or(wire_stage_name(b->receipt->stage), "?"));
		if (b->receipt->note != NULL && b->receipt->note[0] != '\0')
			print_text_field(fp, "note", b->receipt->note);
		print_hex_field(fp, "via", &b->receipt->via, b->receipt->has_via);
		if (b->receipt->has_hops) {
			snprintf(num, sizeof(num), "%u", (unsigned)b->receipt->hops);
			print_field(fp, "hops", num);
		}
		if (b->receipt->has_delay_ms) {
			snprintf(num, sizeof(num), "%llu ms after the warning's time",
			    (unsigned long long)b->receipt->delay_ms);
			print_field(fp, "delay", num);
		}
		if (b->receipt->has_link)
			print_field(fp, "link", cli_link_name(b->receipt->link));
	}
	if (b->cert != NULL) {
		const Fenghuo__Cert *c = b->cert;

		print_hex_field(fp, "subject", &c->subject, c->has_subject);
		fprintf(fp, "%-14s", "roles");
		for (i = 0; i < c->n_roles; i++)
			fprintf(fp, " %s", name_or(wire_role_name(c->roles[i]), "?"));
		fputc('\n', fp);
		if (c->scope != NULL && c->scope[0] != '\0')
			print_region_field(fp, "scope", c->scope);
		else
			print_field(fp, "scope", "(everything)");
		if (c->has_not_before_ms)
			print_time_field(fp, "not before", c->not_before_ms);
		if (c->has_not_after_ms)
			print_time_field(fp, "not after", c->not_after_ms);
		print_hex_field(fp, "transport key", &c->transport_key, c->has_transport_key);
		if (c->name != NULL)
			print_field(fp, "name", c->name);
	}
	if (b->revoke != NULL) {
		const Fenghuo__Revoke *r = b->revoke;

		print_hex_field(fp, "subject", &r->subject, r->has_subject);
		if (r->has_from_ms)
			print_time_field(fp, "void from", r->from_ms);
		if (r->reason != NULL)
			print_text_field(fp, "reason", r->reason);
	}
	if (b->announce != NULL) {
		const Fenghuo__Announce *an = b->announce;

		for (i = 0; i < an->n_endpoints; i++)
			print_field(fp, "endpoint", str_or_empty(an->endpoints[i]));
		if (an->name != NULL)
			print_field(fp, "name", an->name);
		print_hex_field(fp, "transport key", &an->transport_key, an->has_transport_key);
	}
	if (b->title != NULL && b->title[0] != '\0')
		print_field(fp, "title", b->title);	/* one line: the text is for more */
	if (b->text != NULL && b->text[0] != '\0')
		print_text_field(fp, "text", b->text);
	for (i = 0; i < b->n_refs; i++) {
		if (b->refs[i].len == FC_IDBYTES)
			print_field(fp, "ref", fc_hex(b->refs[i].data, FC_IDBYTES, hex));
	}
	if (msg->flags & FC_MSG_CLOCK_SKEW)
		print_field(fp, "flags", "clock-skew (the author's clock was implausible; "
		    "times count from first seen)");
	if (msg->flags & CLI_MSG_REVOKED_AUTHOR)
		print_field(fp, "flags", "revoked-author (sent before its author's key was "
		    "revoked; treat with care)");
	if (msg->flags & CLI_MSG_NO_CHAIN)
		print_field(fp, "flags", "no-chain (no certificate chain to a county root is "
		    "known here for its author yet)");
	if (msg->flags & CLI_MSG_NOT_AUTHORISED)
		print_field(fp, "flags", "not-authorised (the trust policy here rejects it; "
		    "see trust below)");
	if (msg->flags & CLI_MSG_HELD)
		print_field(fp, "flags", "held (imported, not stored: kept until its author's "
		    "certificate arrives; never in force)");
	if (seen != NULL) {
		print_time_field(fp, "first seen", seen->first_seen_ms);
		if (seen->has_from)
			print_field(fp, "from peer", fc_hex(seen->from, FC_PUBLICKEYBYTES, hex));
		else
			print_field(fp, "from peer", "(none: written or imported here)");
		snprintf(buf, sizeof(buf), "%u", seen->hops);
		print_field(fp, "hops", buf);
	}
}

/* 1 if s starts with prefix. */
static int
has_prefix(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

int
cli_msg_in_region(const struct fc_msg *msg, const char *prefix)
{
	const Fenghuo__Body *b = msg->body;
	size_t i;

	if (has_prefix(b->region, prefix))
		return 1;
	if (b->warning == NULL)
		return 0;
	/* A warning for 3301 concerns village 330110101001, and 33 concerns 3301's warning. */
	for (i = 0; i < b->warning->n_area; i++) {
		const char *area = b->warning->area[i];

		if (area == NULL || area[0] == '\0')
			continue;
		if (has_prefix(area, prefix) || has_prefix(prefix, area))
			return 1;
	}
	return 0;
}

int
cli_publish_as(struct cli *cli, const struct fc_key *key, Fenghuo__Body *body,
    uint64_t now_ms, uint8_t id[FC_IDBYTES])
{
	struct cli_put res;
	uint8_t author[FC_PUBLICKEYBYTES], *buf = NULL, *env = NULL;
	size_t len, envlen;
	int rc;

	memcpy(author, fc_key_public(key), sizeof(author));
	body->has_version = 1;
	body->version = WIRE_BODY_VERSION;
	body->has_author = 1;
	body->author.data = author;
	body->author.len = sizeof(author);
	body->has_created_ms = 1;
	body->created_ms = now_ms;

	len = fenghuo__body__get_packed_size(body);
	if (len > WIRE_ENVELOPE_MAX) {
		cli_warnx(cli, "rejected: %s: %s", fc_reason_name(FC_R_TOO_BIG),
		    fc_reason_text(FC_R_TOO_BIG));
		return EX_DATAERR;
	}
	if ((buf = malloc(len > 0 ? len : 1)) == NULL) {
		cli_warn(cli, "malloc");
		return EX_OSERR;
	}
	fenghuo__body__pack(body, buf);
	rc = fc_envelope_seal(key, buf, len, &env, &envlen);
	free(buf);
	if (rc == FC_R_TOO_BIG) {
		cli_warnx(cli, "rejected: %s: %s", fc_reason_name(FC_R_TOO_BIG),
		    fc_reason_text(FC_R_TOO_BIG));
		return EX_DATAERR;
	}
	if (rc != 0) {
		cli_warnx(cli, "cannot sign: %s", fc_strerror(rc));
		return EX_SOFTWARE;
	}
	rc = cli_submit(cli, env, envlen, &res);
	free(env);
	if (rc != EX_OK)
		return rc;
	if (res.status == INGEST_REJECTED) {
		if (res.reason == FC_R_POLICY && res.policy_reason != 0)
			cli_warnx(cli, "rejected by the trust policy: %s: %s",
			    fc_policy_reason_name(res.policy_reason),
			    fc_policy_reason_text(res.policy_reason));
		else
			cli_warnx(cli, "rejected: %s: %s", fc_reason_name(res.reason),
			    fc_reason_text(res.reason));
		if (res.reason == FC_R_EXPIRED || res.reason == FC_R_CLOCK)
			cli_clock_note(cli);
		return EX_DATAERR;
	}
	/* A direct write or fenghuod stored it although the author's chain is unknown there. */
	if (res.status == INGEST_NEW && res.policy_reason == FC_POLICY_R_NO_CHAIN)
		cli_warnx(cli, "note: stored, but this node knows no certificate chain to a county "
		    "root for the author (or a key up its chain) yet: nodes that know it accept "
		    "the message, the others hold it until the certificate reaches them");
	/* fenghuod's trust policy: kept in memory, stored when the certificate arrives. */
	if (res.status == INGEST_HELD)
		cli_warnx(cli, "note: held by fenghuod, not stored or sent yet: it has not seen "
		    "the certificate of the author (or of a key up its chain); it will store and "
		    "send the message when it does, or drop it after 24 hours");
	if (res.status == INGEST_DUP)
		cli_warnx(cli, "note: an identical message was already stored");
	memcpy(id, res.id, FC_IDBYTES);
	return EX_OK;
}

int
cli_publish(struct cli *cli, Fenghuo__Body *body, uint64_t now_ms)
{
	const struct fc_key *key;
	uint8_t id[FC_IDBYTES];
	char hex[FC_IDHEX];
	json_t *o;
	int rc;

	/* The key first: a refused key must leave the store untouched. */
	if ((rc = cli_key(cli, &key)) != EX_OK)
		return rc;
	if ((rc = cli_publish_as(cli, key, body, now_ms, id)) != EX_OK)
		return rc;
	fc_hex(id, FC_IDBYTES, hex);
	if (cli->json_sink != NULL) {
		if ((o = json_pack("{s:s}", "id", hex)) == NULL)
			return EX_OSERR;
		rc = cli_json_out(cli, o) == 0 ? EX_OK : EX_OSERR;
		json_decref(o);
		return rc;
	}
	printf("%s\n", hex);
	return EX_OK;
}

struct stage_ctx {
	struct cli	*cli;
	const char	*region;	/* the report's */
	int		 stage;
};

/* store_iter_refs callback of cli_report_stage: the furthest closed-loop stage so far. */
static int
stage_of_ref(void *arg, const struct store_view *v)
{
	struct stage_ctx *ctx = arg;
	const uint8_t *body, *sig;
	size_t bodylen, siglen;
	Fenghuo__Body *b;

	if (fc_envelope_split(v->env, v->len, &body, &bodylen, &sig, &siglen) != 0 ||
	    (b = wire_body_unpack(body, bodylen)) == NULL)
		return 0;
	if (b->receipt != NULL && b->receipt->stage >= FENGHUO__STAGE__REGISTERED &&
	    b->receipt->stage <= FENGHUO__STAGE__CLOSED && (int)b->receipt->stage > ctx->stage &&
	    cli_receipt_counts(ctx->cli, b, ctx->region))
		ctx->stage = (int)b->receipt->stage;
	fenghuo__body__free_unpacked(b, NULL);
	return 0;
}

int
cli_report_stage(struct cli *cli, struct store *st, const struct fc_msg *report)
{
	struct stage_ctx ctx = { cli, report->body->region, 0 };

	if (store_iter_refs(st, report->id, stage_of_ref, &ctx) != 0)
		return 0;
	return ctx.stage;
}

int
cli_json_loop_stage(struct cli *cli, json_t *o, struct store *st, const struct fc_msg *msg)
{
	int stage;

	if (msg->body->kind != FENGHUO__KIND__REPORT)
		return 0;
	stage = st != NULL ? cli_report_stage(cli, st, msg) : 0;
	return json_object_set_new(o, "stage", stage > 0 ?
	    json_string(wire_stage_name(stage)) : json_null());
}

struct changes_ctx {
	struct cli		*cli;
	const Fenghuo__Body	*target;	/* the warning */
	uint32_t		 flags;		/* CLI_MSG_CANCELLED, CLI_MSG_SUPERSEDED */
	uint8_t			*by;
};

/*
 * store_iter_refs callback of cli_mark_changes. Refs come oldest first: the last change
 * that counts names the message, a cancel before an update.
 */
static int
change_of_ref(void *arg, const struct store_view *v)
{
	struct changes_ctx *ctx = arg;
	struct fc_msg m;
	uint32_t f = 0;

	/* Validated in full: a forged cancel must not mark a warning in force as cancelled. */
	if (cli_validate_stored(v->env, v->len, v->seen, &m) != FC_R_OK)
		return 0;
	if (m.body->warning != NULL && cli_change_counts(ctx->cli, m.body, ctx->target)) {
		if (m.body->warning->msg_type == FENGHUO__MSG_TYPE__CANCEL)
			f = CLI_MSG_CANCELLED;
		else if (m.body->warning->msg_type == FENGHUO__MSG_TYPE__UPDATE)
			f = CLI_MSG_SUPERSEDED;
	}
	if (f != 0 && (f == CLI_MSG_CANCELLED || !(ctx->flags & CLI_MSG_CANCELLED))) {
		ctx->flags |= f;
		if (ctx->by != NULL)
			memcpy(ctx->by, m.id, FC_IDBYTES);
	}
	fc_msg_clear(&m);
	return 0;
}

int
cli_mark_changes(struct cli *cli, struct store *st, struct fc_msg *msg, uint8_t by[32])
{
	struct changes_ctx ctx = { cli, msg->body, 0, by };

	if (st == NULL || msg->body->warning == NULL ||
	    msg->body->warning->msg_type == FENGHUO__MSG_TYPE__CANCEL)
		return 0;
	/* Only warnings can change a warning: a hundred delivery receipts are not even read. */
	if (store_iter_refs_of(st, msg->id, FENGHUO__KIND__WARNING, NULL, change_of_ref,
	    &ctx) != 0)
		return -1;
	msg->flags |= ctx.flags;
	return ctx.flags != 0;
}

int
cli_json_changes(json_t *o, const struct fc_msg *msg, const uint8_t by[32])
{
	char hex[FC_IDHEX];

	if (!(msg->flags & (CLI_MSG_CANCELLED | CLI_MSG_SUPERSEDED)))
		return 0;
	return json_object_set_new(o, (msg->flags & CLI_MSG_CANCELLED) ? "cancelled_by" :
	    "superseded_by", json_string(fc_hex(by, FC_IDBYTES, hex)));
}

int
cli_parse_status(const struct cli *cli, const char *s)
{
	int v;

	if ((v = wire_status_parse(s)) <= 0) {
		cli_warnx(cli, "--status %s: one of actual, exercise, test, system, draft", s);
		return -1;
	}
	return v;
}

int
cli_set_status(const struct cli *cli, const char *s, Fenghuo__Body *body)
{
	int v;

	if ((v = cli_parse_status(cli, s)) == -1)
		return EX_USAGE;
	body->has_status = v != FENGHUO__STATUS__ACTUAL;
	body->status = body->has_status ? (Fenghuo__Status)v :
	    FENGHUO__STATUS__STATUS_UNSPECIFIED;
	return EX_OK;
}

const char *
cli_status_mark(const Fenghuo__Body *b)
{
	if (b == NULL)
		return NULL;
	return cli_status_mark_of((int)b->kind, wire_status_of(b));
}

const char *
cli_status_mark_of(int kind, int status)
{
	if (kind != FENGHUO__KIND__REPORT && kind != FENGHUO__KIND__WARNING)
		return NULL;
	switch (status) {
	case FENGHUO__STATUS__EXERCISE:
		return "演练";
	case FENGHUO__STATUS__TEST:
		return "测试";
	case FENGHUO__STATUS__SYSTEM:
		return "系统";
	case FENGHUO__STATUS__DRAFT:
		return "草稿";
	default:
		return NULL;
	}
}

int
cli_status_drill(const Fenghuo__Body *b)
{
	return cli_status_mark(b) != NULL;
}

int
cli_check_region_prefix(const struct cli *cli, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			break;
	if (n == 0 || i < n || n > 12) {
		cli_warnx(cli, "--region %s: not a region code prefix", s);
		return EX_USAGE;
	}
	return EX_OK;
}
