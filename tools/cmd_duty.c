/*
 * cmd_duty.c: `fenghuo duty`: what the duty officer has to act on. Every report whose closed
 * loop is still open (not yet closed), oldest first, with where it stands and since when;
 * a report nobody has registered within the --overdue limit is marked OVERDUE. Then every
 * warning in force (not expired, cancelled or superseded) with its coverage: how many of
 * the nodes certified in its areas confirmed its delivery; those not at 100 % after the
 * --coverage-after limit are listed again under a heading of their own.
 *
 * The store is read in one pass per kind and the messages copied out first, so that the
 * per-message lookups (receipts, updates) run on short read transactions of their own.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

static int	cmd_duty_exec(struct cli *, int, char **);

#define DUTY_SINCE_DEFAULT_MS	(7ULL * 24 * 3600 * 1000)
#define DUTY_OVERDUE_DEFAULT_MS	(30ULL * 60 * 1000)
#define DUTY_COVERAGE_DEFAULT_MS (30ULL * 60 * 1000)
#define DUTY_TRANSIT_LATE_MS	(30ULL * 60 * 1000)	/* the mesh's own 30-minute target */
#define DUTY_CONFIRM_MAX	4096	/* distinct confirming nodes tracked per warning */
#define STORE_ENOMEM_STOP	1	/* duty_collect's "stop": out of memory */

const struct cmd_entry cmd_duty_entry = {
	"duty",
	"duty [--region PREFIX] [--since WHEN] [--overdue DURATION] "
	"[--coverage-after DURATION] [--json]",
	"What needs acting on. First every report whose closed loop is still open (no\n"
	"`closed` receipt yet), oldest first: short id, time, age, stage reached (and how long\n"
	"ago), region, title; OVERDUE marks one nobody has registered within --overdue of its\n"
	"time. Then every warning in force (not expired, cancelled or superseded by an update)\n"
	"with its coverage: `confirmed N/M` of the nodes certified in its areas and how many\n"
	"are missing (`fenghuo coverage ID` names them; without trust anchors, how many\n"
	"nodes confirmed). Warnings not at 100 % --coverage-after their time are listed\n"
	"again under a heading of their own. A warning is in force only when its\n"
	"author's certificate chain is valid here: those whose chain is not known yet\n"
	"(written here before the certificate came, [no-chain], or imported and held, [held])\n"
	"are listed apart as NOT in force.\n"
	"\n"
	"  --region PREFIX      reports from PREFIX, warnings whose areas concern it\n"
	"  --since WHEN         only messages from then on (default: reports of the last 7d,\n"
	"                       every warning): a duration ago, a date or time, or epoch ms\n"
	"  --overdue DURATION   a report still unregistered this long after its time is\n"
	"                       overdue (default 30m)\n"
	"  --coverage-after DURATION\n"
	"                       a warning in force not confirmed by its whole roster this\n"
	"                       long after its time is listed as incomplete (default 30m)\n"
	"  --json               JSON Lines: one object per report or warning (docs/CLI.md)\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 66 no store yet.\n",
	cmd_duty_exec,
};


/* What the receipts and updates that refer to one message say about it. */
struct duty_refs {
	struct cli	*cli;
	const char	*region;	/* the report's: who may move its loop (receipts) */
	const Fenghuo__Body *target;	/* the message itself: who may change it (warnings) */
	int		 stage;		/* furthest closed-loop stage, 0 = unregistered */
	uint64_t	 stage_ms;	/* display time of the receipt that reached it */
	int		 cancelled;	/* a CANCEL that may change it refers to it */
	int		 superseded;	/* an UPDATE that may change it refers to it */
	uint8_t		(*confirmed)[FC_PUBLICKEYBYTES];	/* DELIVERED receipt authors */
	size_t		 nconfirmed, capconfirmed;
	int		 nomem;
};

static int
duty_collect(void *arg, const struct store_view *v)
{
	return cli_copies_add(arg, v) == -1 ? STORE_ENOMEM_STOP : 0;
}

static void
confirm_add(struct duty_refs *r, const uint8_t *key)
{
	size_t i, cap;
	uint8_t (*k)[FC_PUBLICKEYBYTES];

	for (i = 0; i < r->nconfirmed; i++)
		if (memcmp(r->confirmed[i], key, FC_PUBLICKEYBYTES) == 0)
			return;
	if (r->nconfirmed == DUTY_CONFIRM_MAX)
		return;
	if (r->nconfirmed == r->capconfirmed) {
		cap = r->capconfirmed == 0 ? 16 : r->capconfirmed * 2;
		if ((k = reallocarray(r->confirmed, cap, sizeof(*k))) == NULL) {
			r->nomem = 1;
			return;
		}
		r->confirmed = k;
		r->capconfirmed = cap;
	}
	memcpy(r->confirmed[r->nconfirmed++], key, FC_PUBLICKEYBYTES);
}

/*
 * store_iter_refs callback. Only what validates counts: a forged "closed" receipt must not
 * make a report disappear from the duty list.
 */
static int
duty_ref(void *arg, const struct store_view *v)
{
	struct duty_refs *r = arg;
	const Fenghuo__Body *b;
	struct fc_msg m;

	if (cli_validate_stored(v->env, v->len, v->seen, &m) != FC_R_OK)
		return 0;
	b = m.body;
	if (b->receipt != NULL) {
		int st = (int)b->receipt->stage;

		if (st >= FENGHUO__STAGE__REGISTERED && st <= FENGHUO__STAGE__CLOSED &&
		    st > r->stage && cli_receipt_counts(r->cli, b, r->region)) {
			r->stage = st;
			r->stage_ms = v->seen->time_ms;
		}
		if (st == FENGHUO__STAGE__DELIVERED && b->has_author &&
		    b->author.len == FC_PUBLICKEYBYTES)
			confirm_add(r, b->author.data);
	} else if (b->warning != NULL && cli_change_counts(r->cli, b, r->target)) {
		/* A cancel by an office without authority over the warning changes nothing. */
		if (b->warning->msg_type == FENGHUO__MSG_TYPE__CANCEL)
			r->cancelled = 1;
		else if (b->warning->msg_type == FENGHUO__MSG_TYPE__UPDATE)
			r->superseded = 1;
	}
	fc_msg_clear(&m);
	return r->nomem;
}

/* "1h05m", "3d2h", "45s" into buf. */
static char *
fmt_age(uint64_t ms, char *buf, size_t size)
{
	return cli_fmt_age(ms, 0, buf, size);
}

/* A warning in force that its roster has not all confirmed after --coverage-after. */
struct duty_late {
	uint8_t		 id[FC_IDBYTES];
	int		 level;
	char		*title;
	size_t		 confirmed, roster;
	uint64_t	 age;
};

struct duty_ctx {
	struct cli	*cli;
	struct store	*st;
	const char	*region;
	uint64_t	 now, overdue_ms;
	uint64_t	 coverage_after_ms;
	struct duty_late *late;		/* listed under their own heading */
	size_t		 nlate, caplate;
	size_t		 open, overdue, inforce, waiting;
	int		 ioerr;
	int		 err;		/* an error (printed) that ends the run, EX_* */
	int		 waiting_pass;	/* list the warnings waiting for a chain, not in force */
};

/* Read the refs of msg into r (caller frees r->confirmed). EX_OK or an error (printed). */
static int
duty_refs_read(struct duty_ctx *ctx, const struct fc_msg *msg, struct duty_refs *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->cli = ctx->cli;
	r->region = msg->body->region;
	r->target = msg->body;
	rc = store_iter_refs(ctx->st, msg->id, duty_ref, r);
	if (r->nomem) {
		cli_warnx(ctx->cli, "out of memory");
		return EX_OSERR;
	}
	if (rc != 0) {
		cli_warnx(ctx->cli, "cannot read the store in %s: %s", ctx->cli->state,
		    store_strerror(rc));
		return EX_IOERR;
	}
	return EX_OK;
}

static int
duty_print_json(struct duty_ctx *ctx, json_t *o)
{
	if (o == NULL || cli_json_print(stdout, o) == -1)
		ctx->ioerr = 1;
	json_decref(o);
	return ctx->ioerr ? -1 : 0;
}

/* One open report; 0 when it is closed (nothing shown). */
static int
duty_report(struct duty_ctx *ctx, const struct cli_copy *it, const struct fc_msg *msg,
    const struct duty_refs *r)
{
	const Fenghuo__Body *b = msg->body;
	uint64_t t = it->seen.time_ms, age = ctx->now > t ? ctx->now - t : 0;
	int late = r->stage == 0 && age >= ctx->overdue_ms;
	/*
	 * How long it took to get here from its author (DESIGN: reports must reach the township
	 * and the county within 30 minutes). Unknown for a skewed clock.
	 */
	int skew = (msg->flags & FC_MSG_CLOCK_SKEW) != 0;
	uint64_t transit = !skew && it->seen.first_seen_ms > it->seen.created_ms ?
	    it->seen.first_seen_ms - it->seen.created_ms : 0;
	char tr[64] = "";
	char sid[13], when[32], a1[32], a2[32], mk[64];
	json_t *o;

	if (r->stage == FENGHUO__STAGE__CLOSED)
		return 0;
	ctx->open++;
	ctx->overdue += late;
	if (ctx->cli->json) {
		if ((o = cli_msg_json(msg, &it->seen, ctx->now)) == NULL)
			return duty_print_json(ctx, NULL);
		json_object_set_new(o, "duty", json_string("report"));
		json_object_set_new(o, "stage", r->stage > 0 ?
		    json_string(wire_stage_name(r->stage)) : json_null());
		json_object_set_new(o, "stage_ms", r->stage > 0 ?
		    json_integer((json_int_t)r->stage_ms) : json_null());
		json_object_set_new(o, "age_ms", json_integer((json_int_t)age));
		json_object_set_new(o, "transit_ms", skew ? json_null() :
		    json_integer((json_int_t)transit));
		json_object_set_new(o, "overdue", json_boolean(late));
		return duty_print_json(ctx, o);
	}
	if (r->stage > 0) {
		snprintf(a2, sizeof(a2), "%s %s ago", wire_stage_name(r->stage),
		    fmt_age(ctx->now > r->stage_ms ? ctx->now - r->stage_ms : 0, a1, sizeof(a1)));
	} else
		snprintf(a2, sizeof(a2), "unregistered");
	if (transit >= DUTY_TRANSIT_LATE_MS)
		snprintf(tr, sizeof(tr), " [arrived %s after it was written]",
		    fmt_age(transit, a1, sizeof(a1)));
	if (printf("%-8s %s  %s  %-6s %-22s ", late ? "OVERDUE" : "",
	    cli_short_id(msg->id, sid), cli_fmt_time(t, when, sizeof(when)),
	    fmt_age(age, a1, sizeof(a1)), a2) < 0)
		ctx->ioerr = 1;
	/* Padded by display width; the title on one line whatever it holds. */
	cli_cell(stdout, b->region != NULL && b->region[0] != '\0' ? b->region : "-", 12, 0);
	putchar(' ');
	cli_region_cell(stdout, b->region);
	cli_cell(stdout, b->title, 0, 0);
	if (printf("%s%s%s\n", (msg->flags & FC_MSG_CLOCK_SKEW) ? " [clock-skew]" : "",
	    cli_marks(msg, mk, sizeof(mk)), tr) < 0)
		ctx->ioerr = 1;
	return ctx->ioerr ? -1 : 0;
}

/*
 * The coverage of a warning in force (cli_coverage_read); a warning whose roster has not
 * all confirmed --coverage-after its time is noted for the heading of its own.
 */
static int
duty_coverage(struct duty_ctx *ctx, const struct cli_copy *it, const struct fc_msg *msg,
    struct cli_coverage *cov)
{
	struct duty_late *l;
	uint64_t age;
	size_t cap;
	int rc;

	if ((rc = cli_coverage_read(ctx->cli, ctx->st, msg, &it->seen, ctx->now, cov)) != EX_OK)
		return rc;
	age = ctx->now > cov->t0 ? ctx->now - cov->t0 : 0;
	if (ctx->waiting_pass || cov->confirmed >= cov->n || age < ctx->coverage_after_ms)
		return EX_OK;
	if (ctx->nlate == ctx->caplate) {
		cap = ctx->caplate == 0 ? 8 : ctx->caplate * 2;
		if ((l = reallocarray(ctx->late, cap, sizeof(*l))) == NULL)
			goto nomem;
		ctx->late = l;
		ctx->caplate = cap;
	}
	l = &ctx->late[ctx->nlate];
	memcpy(l->id, msg->id, FC_IDBYTES);
	l->level = msg->body->warning->level;
	if ((l->title = strdup(msg->body->title != NULL ? msg->body->title : "")) == NULL)
		goto nomem;
	l->confirmed = cov->confirmed;
	l->roster = cov->n;
	l->age = age;
	ctx->nlate++;
	return EX_OK;
nomem:
	cli_coverage_clear(cov);
	cli_warnx(ctx->cli, "out of memory");
	return EX_OSERR;
}

/* The areas of a warning, each with the name of its place when the region table knows it. */
static void
duty_areas(const Fenghuo__Warning *w)
{
	char place[CLI_REGION_PLACE_MAX];
	size_t i;

	for (i = 0; i < w->n_area; i++) {
		printf("%s%s", i > 0 ? "," : "", w->area[i] != NULL ? w->area[i] : "");
		if (cli_region_place(w->area[i], place, sizeof(place))[0] != '\0') {
			putchar(' ');
			cli_cell(stdout, place, 0, 0);
		}
	}
}

/* "confirmed 87/100, 13 missing", or without a roster (no anchors) "confirmed by 5 nodes". */
static void
duty_coverage_text(const struct cli_coverage *cov, const struct duty_refs *r)
{
	if (cov->anchors)
		printf("  confirmed %zu/%zu, %zu missing", cov->confirmed, cov->n,
		    cov->n - cov->confirmed);
	else
		printf("  confirmed by %zu node%s", r->nconfirmed, r->nconfirmed == 1 ? "" : "s");
}

static json_t *
duty_coverage_json(const struct duty_ctx *ctx, const struct cli_coverage *cov)
{
	uint64_t age = ctx->now > cov->t0 ? ctx->now - cov->t0 : 0;
	json_t *o;

	if (!cov->anchors)
		return json_null();
	o = json_object();
	json_object_set_new(o, "roster", json_integer((json_int_t)cov->n));
	json_object_set_new(o, "confirmed", json_integer((json_int_t)cov->confirmed));
	json_object_set_new(o, "missing", json_integer((json_int_t)(cov->n - cov->confirmed)));
	json_object_set_new(o, "incomplete", json_boolean(!ctx->waiting_pass &&
	    cov->confirmed < cov->n && age >= ctx->coverage_after_ms));
	return o;
}

/* The heading of the warnings not at 100 % after --coverage-after, and their lines. */
static void
duty_late_print(struct duty_ctx *ctx)
{
	const struct duty_late *l;
	char sid[13], a[32];
	size_t i;

	if (ctx->cli->json || ctx->ioerr)
		return;
	printf("\nWarnings not confirmed by every node %s after their time (see 'fenghuo "
	    "coverage ID')\n", fmt_age(ctx->coverage_after_ms, a, sizeof(a)));
	for (i = 0; i < ctx->nlate; i++) {
		l = &ctx->late[i];
		printf("%-8s %s  %-6s ", wire_level_name(l->level) != NULL ?
		    wire_level_name(l->level) : "?", cli_short_id(l->id, sid),
		    fmt_age(l->age, a, sizeof(a)));
		cli_cell(stdout, l->title, 0, 0);
		printf("  confirmed %zu/%zu, %zu missing\n", l->confirmed, l->roster,
		    l->roster - l->confirmed);
	}
	if (printf("%zu incomplete\n", ctx->nlate) < 0)
		ctx->ioerr = 1;
}

static void
duty_late_free(struct duty_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nlate; i++)
		free(ctx->late[i].title);
	free(ctx->late);
	ctx->late = NULL;
	ctx->nlate = ctx->caplate = 0;
}

/*
 * One warning in force; 0 when it is not (expired, cancelled, superseded, a cancel, rejected
 * by the trust policy here).
 */
static int
duty_warning(struct duty_ctx *ctx, const struct cli_copy *it, const struct fc_msg *msg,
    const struct duty_refs *r)
{
	const Fenghuo__Body *b = msg->body;
	const Fenghuo__Warning *w = b->warning;
	struct cli_coverage cov;
	uint64_t exp;
	char sid[13], when[32], hex[2 * FC_PUBLICKEYBYTES + 1], mk[64];
	json_t *o, *a;
	size_t i;
	int rc;

	/*
	 * A warning the policy here rejects is in force nowhere. One whose author's chain is not
	 * known here (stored before the certificate came, or held from an import) is not in
	 * force either: the waiting pass lists it apart.
	 */
	if (w == NULL || w->msg_type == FENGHUO__MSG_TYPE__CANCEL || r->cancelled ||
	    r->superseded || (msg->flags & CLI_MSG_NOT_AUTHORISED))
		return 0;
	if (((msg->flags & (CLI_MSG_NO_CHAIN | CLI_MSG_HELD)) != 0) != ctx->waiting_pass)
		return 0;
	exp = fc_msg_expiry(msg, it->seen.first_seen_ms);
	if (exp != 0 && exp <= ctx->now)
		return 0;
	if (ctx->waiting_pass) {
		if (ctx->waiting++ == 0 && !ctx->cli->json)
			printf("\nWarnings NOT in force: no certificate chain to a county root is "
			    "known here for their author yet\n");
	} else
		ctx->inforce++;
	if ((rc = duty_coverage(ctx, it, msg, &cov)) != EX_OK) {
		ctx->err = rc;
		return -1;
	}
	if (ctx->cli->json) {
		if ((o = cli_msg_json(msg, &it->seen, ctx->now)) == NULL) {
			cli_coverage_clear(&cov);
			return duty_print_json(ctx, NULL);
		}
		json_object_set_new(o, "duty", json_string(ctx->waiting_pass ?
		    "waiting-warning" : "warning"));
		a = json_array();
		for (i = 0; i < r->nconfirmed; i++)
			json_array_append_new(a, json_string(fc_hex(r->confirmed[i],
			    FC_PUBLICKEYBYTES, hex)));
		json_object_set_new(o, "confirmed_by", a);
		json_object_set_new(o, "coverage", duty_coverage_json(ctx, &cov));
		cli_coverage_clear(&cov);
		return duty_print_json(ctx, o);
	}
	if (printf("%-8s %s  %s  %-6s ", wire_level_name(w->level) != NULL ?
	    wire_level_name(w->level) : "?", cli_short_id(msg->id, sid),
	    cli_fmt_time(it->seen.time_ms, when, sizeof(when)),
	    w->msg_type == FENGHUO__MSG_TYPE__UPDATE ? "update" : "alert") < 0)
		ctx->ioerr = 1;
	duty_areas(w);
	fputs("  ", stdout);
	cli_cell(stdout, b->title, 0, 0);
	duty_coverage_text(&cov, r);
	cli_coverage_clear(&cov);
	if (printf("%s\n", cli_marks(msg, mk, sizeof(mk))) < 0)
		ctx->ioerr = 1;
	return ctx->ioerr ? -1 : 0;
}

/*
 * Read every message of kind since `since` (from the held area instead when held is set),
 * then judge and show each.
 */
static int
duty_pass(struct duty_ctx *ctx, uint64_t since, int kind, int held)
{
	struct cli_copies l;
	struct duty_refs r;
	struct fc_msg msg;
	char hex[FC_IDHEX];
	size_t i;
	int rc;

	memset(&l, 0, sizeof(l));
	if (held) {
		if ((rc = cli_held_load(ctx->cli, ctx->st, &l)) != EX_OK)
			return rc;
	} else
		rc = store_iter_time(ctx->st, since, 0, kind, 0, duty_collect, &l);
	if (rc == STORE_ENOMEM_STOP) {
		cli_copies_free(&l);
		cli_warnx(ctx->cli, "out of memory");
		return EX_OSERR;
	}
	if (rc != 0) {
		cli_copies_free(&l);
		cli_warnx(ctx->cli, "cannot read the store in %s: %s", ctx->cli->state,
		    store_strerror(rc));
		return EX_IOERR;
	}
	rc = EX_OK;
	for (i = 0; i < l.n && rc == EX_OK && !ctx->ioerr && !ctx->err; i++) {
		const struct cli_copy *it = &l.items[i];

		if (held && (it->seen.kind != kind || it->seen.time_ms < since))
			continue;
		if (cli_validate_stored(it->env, it->len, &it->seen, &msg) != FC_R_OK) {
			cli_warnx(ctx->cli, "stored message %s does not validate; skipped",
			    fc_hex(it->id, FC_IDBYTES, hex));
			continue;
		}
		if (ctx->region == NULL || cli_msg_in_region(&msg, ctx->region)) {
			cli_trust_mark(ctx->cli, &msg, ctx->now);
			if (held)
				msg.flags |= CLI_MSG_HELD;
			if ((rc = duty_refs_read(ctx, &msg, &r)) == EX_OK) {
				if (kind == FENGHUO__KIND__REPORT)
					(void)duty_report(ctx, it, &msg, &r);
				else
					(void)duty_warning(ctx, it, &msg, &r);
			}
			free(r.confirmed);
		}
		fc_msg_clear(&msg);
	}
	cli_copies_free(&l);
	return rc != EX_OK ? rc : ctx->err;
}

static int
cmd_duty_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "region", required_argument, NULL, 'r' },
		{ "since", required_argument, NULL, 's' },
		{ "overdue", required_argument, NULL, 'o' },
		{ "coverage-after", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct duty_ctx ctx;
	uint64_t since, wsince = 0;
	char od[32];
	int ch, rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cli = cli;
	ctx.now = cli_now_ms();
	ctx.overdue_ms = DUTY_OVERDUE_DEFAULT_MS;
	ctx.coverage_after_ms = DUTY_COVERAGE_DEFAULT_MS;
	since = ctx.now > DUTY_SINCE_DEFAULT_MS ? ctx.now - DUTY_SINCE_DEFAULT_MS : 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			ctx.region = optarg;
			break;
		case 's':
			if (cli_parse_time(optarg, ctx.now, &since) == -1) {
				cli_warnx(cli, "--since %s: not a duration, date or time", optarg);
				return EX_USAGE;
			}
			wsince = since;
			break;
		case 'o':
			if (cli_parse_duration(optarg, &ctx.overdue_ms) == -1) {
				cli_warnx(cli, "--overdue %s: not a duration (30m, 2h, ...)", optarg);
				return EX_USAGE;
			}
			break;
		case 'c':
			if (cli_parse_duration(optarg, &ctx.coverage_after_ms) == -1) {
				cli_warnx(cli, "--coverage-after %s: not a duration (30m, 2h, ...)",
				    optarg);
				return EX_USAGE;
			}
			break;
		case 'j':
			cli->json = 1;
			break;
		default:
			return cli_usage(&cmd_duty_entry);
		}
	}
	if (optind != argc)
		return cli_usage(&cmd_duty_entry);
	if ((rc = cli_store(cli, 0, &ctx.st)) != EX_OK)
		return rc;
	if (!cli->json)
		printf("Open reports (oldest first; OVERDUE: unregistered after %s)\n",
		    fmt_age(ctx.overdue_ms, od, sizeof(od)));
	if ((rc = duty_pass(&ctx, since, FENGHUO__KIND__REPORT, 0)) != EX_OK)
		return rc;
	if (!cli->json && !ctx.ioerr)
		printf("%zu open, %zu overdue\n\nWarnings in force\n", ctx.open, ctx.overdue);
	/* A long-lived warning is in force however old: all of them unless --since says. */
	if ((rc = duty_pass(&ctx, wsince, FENGHUO__KIND__WARNING, 0)) != EX_OK) {
		duty_late_free(&ctx);
		return rc;
	}
	if (!cli->json && !ctx.ioerr)
		printf("%zu in force\n", ctx.inforce);
	if (ctx.nlate > 0)
		duty_late_print(&ctx);
	duty_late_free(&ctx);
	/* Not in force until their author's chain is known here: shown, never counted. */
	ctx.waiting_pass = 1;
	if ((rc = duty_pass(&ctx, wsince, FENGHUO__KIND__WARNING, 0)) != EX_OK ||
	    (rc = duty_pass(&ctx, wsince, FENGHUO__KIND__WARNING, 1)) != EX_OK)
		return rc;
	if (!cli->json && !ctx.ioerr && ctx.waiting > 0)
		printf("%zu waiting for their author's certificate\n", ctx.waiting);
	if (ctx.ioerr || fflush(stdout) == EOF) {
		cli_warn(cli, "standard output");
		return EX_IOERR;
	}
	return EX_OK;
}
