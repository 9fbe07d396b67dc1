/*
 * clock.c: the CLI's view of this computer's clock, as the running fenghuod estimates it
 * against its peers' (node/clock.c, `fenghuo status` "clock_offset_ms").
 *
 * Validation judges official messages by the checker's clock: a warning or certificate
 * signed while this clock is off by more than the tolerance is rejected by the other nodes
 * ("clock" when ahead; when behind it arrives expired or nearly so), and nobody here would
 * be told. So `warn` and `cert` ask the daemon before signing and refuse while it says the
 * clock is out ("clock_ok": false), unless the operator passes --clock-ok. The daemon makes
 * the judgement; the CLI only reports it. With no daemon running there is no estimate, and
 * nothing is refused.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include <jansson.h>

#include "fenghuo.h"

const char *
cli_clock_fmt(long long ms, char *buf, size_t size)
{
	long long a = ms == LLONG_MIN ? LLONG_MAX : llabs(ms);
	long long s = a / 1000 + (a % 1000 >= 500);	/* to the nearest second */
	int n;

	if (s >= 86400)
		n = snprintf(buf, size, "%lld d", s / 86400), s = s % 86400 / 3600 * 3600;
	else if (s >= 3600)
		n = snprintf(buf, size, "%lld h", s / 3600), s = s % 3600 / 60 * 60;
	else if (s >= 60)
		n = snprintf(buf, size, "%lld min", s / 60), s %= 60;
	else
		return snprintf(buf, size, "%lld.%03lld s", a / 1000, a % 1000), buf;
	/* The next unit down, when it is not zero: "1 d 3 h", "2 h 5 min", "14 min 5 s". */
	if (n > 0 && (size_t)n < size && s > 0)
		snprintf(buf + n, size - (size_t)n, s >= 3600 ? " %lld h" : s >= 60 ? " %lld min" :
		    " %lld s", s >= 3600 ? s / 3600 : s >= 60 ? s / 60 : s);
	return buf;
}

/*
 * The daemon's clock estimate: 1 with *off and *tol when it says the clock is out of
 * tolerance, 0 when it is within (or there is no estimate, or no daemon).
 */
static int
clock_out(struct cli *cli, long long *off, long long *tol, long long *npeers)
{
	json_t *st, *v;
	int out = 0;

	if (cli_daemon_status(cli, NULL, &st) != EX_OK)
		return 0;
	v = json_object_get(st, "clock_offset_ms");
	if (json_is_integer(v) && json_is_false(json_object_get(st, "clock_ok"))) {
		*off = (long long)json_integer_value(v);
		*tol = (long long)json_integer_value(json_object_get(st, "clock_tolerance_ms"));
		*npeers = (long long)json_integer_value(json_object_get(st, "clock_peers"));
		out = 1;
	}
	json_decref(st);
	return out;
}

int
cli_clock_check(struct cli *cli, const char *what)
{
	long long off, tol, npeers;
	char b1[32], b2[32];

	if (!clock_out(cli, &off, &tol, &npeers))
		return EX_OK;
	cli_warnx(cli, "not signed: this computer's clock is %s %s its peers' (fenghuod's "
	    "estimate from %lld peer(s)); other nodes reject %s signed with a clock more than "
	    "%s off (%s). Set the clock, or pass --clock-ok to sign anyway", cli_clock_fmt(off, b1,
	    sizeof(b1)), off > 0 ? "ahead of" : "behind", npeers, what,
	    cli_clock_fmt(tol, b2, sizeof(b2)), off > 0 ? "reason 'clock'" :
	    "it arrives expired or nearly so");
	return EX_TEMPFAIL;
}

void
cli_clock_print(const struct json_t *st)
{
	const json_t *v = json_object_get(st, "clock_offset_ms");
	long long off;
	char b[32];

	if (v == NULL)
		return;	/* a daemon that does not estimate it */
	if (!json_is_integer(v)) {
		printf("clock        no estimate (no peer up)\n");
		return;
	}
	off = (long long)json_integer_value(v);
	/* Upper case when out of tolerance, like STORE: the line an operator must not miss. */
	printf("%s        %s %s its peers' (%lld peer(s))%s\n",
	    json_is_false(json_object_get(st, "clock_ok")) ? "CLOCK" : "clock",
	    cli_clock_fmt(off, b, sizeof(b)), off >= 0 ? "ahead of" : "behind",
	    (long long)json_integer_value(json_object_get(st, "clock_peers")),
	    json_is_false(json_object_get(st, "clock_ok")) ? ": beyond what validation "
	    "tolerates; warn and cert refuse to sign" : "");
}

void
cli_clock_note(struct cli *cli)
{
	long long off, tol, npeers;
	char b1[32];

	if (clock_out(cli, &off, &tol, &npeers))
		cli_warnx(cli, "the clock is the cause: this computer's clock is %s %s its "
		    "peers' (fenghuod's estimate from %lld peer(s))", cli_clock_fmt(off, b1,
		    sizeof(b1)), off > 0 ? "ahead of" : "behind", npeers);
}
