/*
 * cmd_duty.c: `fenghuo duty`: what the duty officer has to act on. Every report whose closed
 * loop is still open (not yet closed), oldest first, with where it stands and since when;
 * a report nobody has registered within the --overdue limit is marked OVERDUE. Then every
 * warning in force (not expired, cancelled or superseded) with its coverage: how many of
 * the nodes certified in its areas confirmed its delivery; those not at 100 % after the
 * --coverage-after limit are listed again under a heading of their own.
 *
 * The store is read in one pass per kind, each message judged where it lies; the refs of a
 * message (receipts, updates) are read, on short read transactions of their own, only when
 * the message itself leaves it a candidate for the list: a year of expired warnings, each
 * with a receipt from every node, costs no receipt read. Reports are walked through the
 * store's loops tree (schema 4) where it has one: a report no loop receipt refers to is open
 * and unregistered by what the tree says, and when the board declines its item it is counted
 * without being read at all.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

static int	cmd_duty_exec(struct cli *, int, char **);

#define DUTY_SINCE_DEFAULT_MS	(7ULL * 24 * 3600 * 1000)
#define DUTY_OVERDUE_DEFAULT_MS	(30ULL * 60 * 1000)
#define DUTY_COVERAGE_DEFAULT_MS (30ULL * 60 * 1000)
#define DUTY_SHIFT_MS		(8ULL * 3600 * 1000)	/* --handover without --since */
#define DUTY_TRANSIT_LATE_MS	(30ULL * 60 * 1000)	/* the mesh's own 30-minute target */
#define DUTY_CONFIRM_MAX	4096	/* distinct confirming nodes tracked per warning */
#define STORE_ENOMEM_STOP	1	/* duty_collect's "stop": out of memory */
/*
 * Messages judged between two releases of the store's pages (store_release_pages): the
 * warnings of a year lie far apart in the store, and each record read maps its
 * neighbourhood too (64 KiB): a pass keeps no more than this many of those mapped (4 MiB).
 */
#define DUTY_RELEASE_EVERY	64
/* Entries of the store's loops tree read between two releases (about 256 KiB of it). */
#define DUTY_LOOPS_RELEASE_EVERY 4096

const struct cmd_entry cmd_duty_entry = {
	"duty",
	"duty [--region PREFIX] [--since WHEN] [--overdue DURATION] [--coverage-after DURATION]\n"
	"       [--json | --format json|csv|geojson | --follow [--no-bell] |\n"
	"        --handover [--format text|markdown]]",
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
	"are listed apart as NOT in force. Exercises (演练), tests (测试) and other\n"
	"messages that are not actual come last under a heading of their own: never in\n"
	"force, never counted as open or overdue.\n"
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
	"  --follow             a live screen (needs fenghuod): redrawn on every new message;\n"
	"                       new red/orange warnings and reports falling overdue are\n"
	"                       highlighted with NEW and the bell; each warning's expiry\n"
	"  --no-bell            no bell with --follow\n"
	"  --handover           the record of a shift (交接班记录) since --since (default 8h):\n"
	"                       reports received, registered, closed, still open; warnings\n"
	"                       issued, updated, cancelled with their confirmations\n"
	"  --format F           of --handover: text (default) or markdown; of the list:\n"
	"                       text (default), json (= --json), csv (UTF-8 with BOM, for\n"
	"                       a spreadsheet) or geojson (RFC 7946: reports with a position\n"
	"                       as points, warnings with the shapes of their CAP areas)\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 66 no store yet; 69 --follow without fenghuod.\n",
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
confirm_add(void *arg, const uint8_t *key)
{
	struct duty_refs *r = arg;
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
	size_t		 drills;	/* exercises, tests, ...: listed, never counted */
	int		 drill_pass;	/* list the messages that are not actual */
	int		 ioerr;
	int		 err;		/* an error (printed) that ends the run, EX_* */
	int		 waiting_pass;	/* list the warnings waiting for a chain, not in force */
	struct duty_follow *follow;	/* --follow: the screen's memory, else NULL */
	/*
	 * The time of the first message the first passes met that a later pass lists
	 * (exercises, warnings waiting for a chain), UINT64_MAX for none: a later pass starts
	 * there, and with nothing to list it is not run.
	 */
	uint64_t	 drill_reports_from, drill_warnings_from, waiting_from;
	/*
	 * The report being read was counted, and the sink asked, from its loops entry
	 * (duty_loop_entry): duty_report builds it without counting it again.
	 */
	int		 counted;
};

/* --follow and --handover, at the end of this file. */
static int	duty_show(struct duty_ctx, uint64_t, uint64_t);
static int	duty_modes_check(struct cli *, int, int, const char *);
static void	duty_follow_item(struct duty_ctx *, const struct cli_copy *,
		    const struct fc_msg *, struct duty_refs *);
static int	duty_follow(struct duty_ctx *, uint64_t, uint64_t, int);
static int	duty_handover(struct duty_ctx *, uint64_t, const char *);

/*
 * Read the refs of msg into r (caller frees r->confirmed): all of them, or only those of kind
 * (> 0). EX_OK or an error (printed).
 */
static int
duty_refs_read_of(struct duty_ctx *ctx, const struct fc_msg *msg, int kind, struct duty_refs *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->cli = ctx->cli;
	r->region = msg->body->region;
	r->target = msg->body;
	rc = kind > 0 ? store_iter_refs_of(ctx->st, msg->id, kind, NULL, duty_ref, r) :
	    store_iter_refs(ctx->st, msg->id, duty_ref, r);
	if (r->nomem) {
		cli_warnx(ctx->cli, "out of memory");
		return EX_OSERR;
	}
	if (rc != 0) {
		return cli_store_failed(ctx->cli, rc);
	}
	return EX_OK;
}

static int
duty_refs_read(struct duty_ctx *ctx, const struct fc_msg *msg, struct duty_refs *r)
{
	return duty_refs_read_of(ctx, msg, 0, r);
}

/*
 * Whether the board (cli->json_want) wants the object of this duty kind built. Each item
 * listed is asked about once, and the asker counts what it is told of: what is not wanted
 * is counted there, not built here.
 */
static int
duty_wanted(const struct duty_ctx *ctx, const char *duty)
{
	struct cli *cli = ctx->cli;

	return !cli->json || cli->json_want == NULL || cli->json_want(cli->json_sink_arg, duty);
}

static int
duty_print_json(struct duty_ctx *ctx, json_t *o, const struct fc_msg *msg)
{
	if (o == NULL || cli_emit(ctx->cli, o, msg) == -1)
		ctx->ioerr = 1;
	json_decref(o);
	return ctx->ioerr ? -1 : 0;
}

/* Whether an open report is overdue: nobody has registered it within the limit. */
static int
duty_late(const struct duty_ctx *ctx, const struct cli_copy *it, const struct duty_refs *r)
{
	uint64_t t = it->seen.time_ms;

	return r->stage == 0 && (ctx->now > t ? ctx->now - t : 0) >= ctx->overdue_ms;
}

/* The heading of the messages that are not actual, before the first of them. */
static void
duty_drill_heading(struct duty_ctx *ctx)
{
	if (ctx->drills++ == 0 && !ctx->cli->json)
		printf("\nExercises and tests (演练 / 测试): NOT real, never in force, not "
		    "counted\n");
}

/*
 * Count an open report of this pass (late: overdue) and ask whether the sink wants it built:
 * 1 if it does.
 */
static int
duty_report_count(struct duty_ctx *ctx, int late)
{
	if (ctx->drill_pass)
		duty_drill_heading(ctx);
	else {
		ctx->open++;
		ctx->overdue += late;
	}
	return duty_wanted(ctx, ctx->drill_pass ? "drill-report" : "report");
}

/*
 * One open report; 0 when it is closed (nothing shown). In the drill pass, only reports
 * that are not actual, in the others only actual ones.
 */
static int
duty_report(struct duty_ctx *ctx, const struct cli_copy *it, const struct fc_msg *msg,
    const struct duty_refs *r)
{
	const Fenghuo__Body *b = msg->body;
	uint64_t t = it->seen.time_ms, age = ctx->now > t ? ctx->now - t : 0;
	int late = duty_late(ctx, it, r);
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

	if (r->stage == FENGHUO__STAGE__CLOSED || cli_status_drill(b) != ctx->drill_pass)
		return 0;
	if (!ctx->counted && !duty_report_count(ctx, late))
		return 0;
	if (ctx->cli->json) {
		if ((o = cli_msg_json(msg, &it->seen, ctx->now)) == NULL)
			return duty_print_json(ctx, NULL, msg);
		json_object_set_new(o, "duty", json_string(ctx->drill_pass ? "drill-report" :
		    "report"));
		json_object_set_new(o, "stage", r->stage > 0 ?
		    json_string(wire_stage_name(r->stage)) : json_null());
		json_object_set_new(o, "stage_ms", r->stage > 0 ?
		    json_integer((json_int_t)r->stage_ms) : json_null());
		json_object_set_new(o, "age_ms", json_integer((json_int_t)age));
		json_object_set_new(o, "transit_ms", skew ? json_null() :
		    json_integer((json_int_t)transit));
		json_object_set_new(o, "overdue", json_boolean(late));
		return duty_print_json(ctx, o, msg);
	}
	if (r->stage > 0) {
		snprintf(a2, sizeof(a2), "%s %s ago", wire_stage_name(r->stage),
		    fmt_age(ctx->now > r->stage_ms ? ctx->now - r->stage_ms : 0, a1, sizeof(a1)));
	} else
		snprintf(a2, sizeof(a2), "unregistered");
	if (transit >= DUTY_TRANSIT_LATE_MS)
		snprintf(tr, sizeof(tr), " [arrived %s after it was written]",
		    fmt_age(transit, a1, sizeof(a1)));
	if (printf("%-8s %s  %s  %-6s %-22s ", late && !ctx->drill_pass ? "OVERDUE" : "",
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
 * How a warning's delivery confirmations read, in duty's list and the handover: "confirmed
 * 87/100, 13 missing" against its roster, or without one (no anchors here) "confirmed by 5
 * nodes".
 */
static const char *
duty_confirmations(const struct cli_coverage *cov, const struct duty_refs *r, char *buf,
    size_t size)
{
	if (cov != NULL && cov->anchors)
		snprintf(buf, size, "confirmed %zu/%zu, %zu missing", cov->confirmed, cov->n,
		    cov->n - cov->confirmed);
	else
		snprintf(buf, size, "confirmed by %zu node%s", r->nconfirmed,
		    r->nconfirmed == 1 ? "" : "s");
	return buf;
}

/*
 * The coverage of a warning in force (cli_coverage_read); a warning whose roster has not
 * all confirmed --coverage-after its time is noted for the heading of its own.
 */
static int
duty_coverage(struct duty_ctx *ctx, const struct cli_copy *it, const struct fc_msg *msg,
    struct cli_coverage *cov, struct duty_refs *r)
{
	struct duty_late *l;
	uint64_t age;
	size_t cap;
	int rc;

	/* The receipts are read once: the confirming keys into r as the coverage is counted. */
	if ((rc = cli_coverage_read_ex(ctx->cli, ctx->st, msg, &it->seen, ctx->now, cov,
	    confirm_add, r)) != EX_OK)
		return rc;
	if (r->nomem)
		goto nomem;
	age = ctx->now > cov->t0 ? ctx->now - cov->t0 : 0;
	if (ctx->waiting_pass || ctx->drill_pass || cov->confirmed >= cov->n ||
	    age < ctx->coverage_after_ms)
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
	    !ctx->drill_pass &&
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

static void
duty_note_from(uint64_t *from, uint64_t t)
{
	if (t < *from)
		*from = t;
}

/*
 * Whether this pass lists the warning, as far as the message alone says (not whether
 * something cancelled or superseded it: its refs say that). 0 for an expired warning, a
 * cancel, one the trust policy here rejects, and one another pass lists (noted for it).
 * Cheap: a warning of the past is judged before any of its hundreds of receipts is read.
 */
static int
duty_warning_listed(struct duty_ctx *ctx, const struct cli_copy *it, const struct fc_msg *msg)
{
	const Fenghuo__Body *b = msg->body;
	const Fenghuo__Warning *w = b->warning;
	uint64_t exp;
	int drill, waiting;

	/*
	 * A warning the policy here rejects is in force nowhere. One whose author's chain is not
	 * known here (stored before the certificate came, or held from an import) is not in
	 * force either: the waiting pass lists it apart.
	 */
	if (w == NULL || w->msg_type == FENGHUO__MSG_TYPE__CANCEL ||
	    (msg->flags & CLI_MSG_NOT_AUTHORISED))
		return 0;
	exp = fc_msg_expiry(msg, it->seen.first_seen_ms);
	if (exp != 0 && exp <= ctx->now)
		return 0;
	/* A drill is never in force: only the drill pass shows it, whatever its chain. */
	drill = cli_status_drill(b);
	waiting = (msg->flags & (CLI_MSG_NO_CHAIN | CLI_MSG_HELD)) != 0;
	if (drill != ctx->drill_pass) {
		if (drill)
			duty_note_from(&ctx->drill_warnings_from, it->seen.time_ms);
		return 0;
	}
	if (!ctx->drill_pass && waiting != ctx->waiting_pass) {
		if (waiting)
			duty_note_from(&ctx->waiting_from, it->seen.time_ms);
		return 0;
	}
	return 1;
}

/*
 * One warning in force; 0 when it is not (expired, cancelled, superseded, a cancel, rejected
 * by the trust policy here). r: its refs of kind WARNING (updates, cancels); the confirming
 * keys are added to it as its coverage is read.
 */
static int
duty_warning(struct duty_ctx *ctx, const struct cli_copy *it, const struct fc_msg *msg,
    struct duty_refs *r)
{
	const Fenghuo__Body *b = msg->body;
	const Fenghuo__Warning *w = b->warning;
	struct cli_coverage cov;
	char sid[13], when[32], hex[2 * FC_PUBLICKEYBYTES + 1], mk[64], cf[64];
	json_t *o, *a;
	size_t i;
	int rc;

	if (r->cancelled || r->superseded || !duty_warning_listed(ctx, it, msg))
		return 0;
	if (ctx->drill_pass) {
		duty_drill_heading(ctx);
	} else if (ctx->waiting_pass) {
		if (ctx->waiting++ == 0 && !ctx->cli->json)
			printf("\nWarnings NOT in force: no certificate chain to a county root is "
			    "known here for their author yet\n");
	} else
		ctx->inforce++;
	if (!duty_wanted(ctx, ctx->drill_pass ? "drill-warning" : ctx->waiting_pass ?
	    "waiting-warning" : "warning"))
		return 0;
	if ((rc = duty_coverage(ctx, it, msg, &cov, r)) != EX_OK) {
		ctx->err = rc;
		return -1;
	}
	if (ctx->cli->json) {
		if ((o = cli_msg_json(msg, &it->seen, ctx->now)) == NULL) {
			cli_coverage_clear(&cov);
			return duty_print_json(ctx, NULL, msg);
		}
		json_object_set_new(o, "duty", json_string(ctx->drill_pass ? "drill-warning" :
		    ctx->waiting_pass ? "waiting-warning" : "warning"));
		a = json_array();
		for (i = 0; i < r->nconfirmed; i++)
			json_array_append_new(a, json_string(fc_hex(r->confirmed[i],
			    FC_PUBLICKEYBYTES, hex)));
		json_object_set_new(o, "confirmed_by", a);
		json_object_set_new(o, "coverage", duty_coverage_json(ctx, &cov));
		cli_coverage_clear(&cov);
		return duty_print_json(ctx, o, msg);
	}
	if (printf("%-8s %s  %s  %-6s ", wire_level_name(w->level) != NULL ?
	    wire_level_name(w->level) : "?", cli_short_id(msg->id, sid),
	    cli_fmt_time(it->seen.time_ms, when, sizeof(when)),
	    w->msg_type == FENGHUO__MSG_TYPE__UPDATE ? "update" : "alert") < 0)
		ctx->ioerr = 1;
	duty_areas(w);
	fputs("  ", stdout);
	cli_cell(stdout, b->title, 0, 0);
	if (printf("  %s%s\n", duty_confirmations(&cov, r, cf, sizeof(cf)),
	    cli_marks(msg, mk, sizeof(mk))) < 0)
		ctx->ioerr = 1;
	cli_coverage_clear(&cov);
	return ctx->ioerr ? -1 : 0;
}

/* Judge and show one stored message of the pass's kind. EX_OK or an error (printed). */
static int
duty_item(struct duty_ctx *ctx, const struct cli_copy *it, int kind, int held)
{
	struct duty_refs r;
	struct fc_msg msg;
	char hex[FC_IDHEX];
	int rc = EX_OK;

	if (cli_validate_stored(it->env, it->len, &it->seen, &msg) != FC_R_OK) {
		cli_warnx(ctx->cli, "stored message %s does not validate; skipped",
		    fc_hex(it->id, FC_IDBYTES, hex));
		return EX_OK;
	}
	if (ctx->region == NULL || cli_msg_in_region(&msg, ctx->region)) {
		cli_trust_mark(ctx->cli, &msg, ctx->now);
		if (held)
			msg.flags |= CLI_MSG_HELD;
		/*
		 * The refs only of what this pass may list: a report of the other pass and a
		 * warning not in force (most of a year's, each with a receipt from every node)
		 * cost none. A warning's own refs of kind WARNING say whether it was cancelled
		 * or superseded; its receipts are read with its coverage, once.
		 */
		if (kind == FENGHUO__KIND__REPORT && cli_status_drill(msg.body) !=
		    ctx->drill_pass) {
			if (!ctx->drill_pass)
				duty_note_from(&ctx->drill_reports_from, it->seen.time_ms);
		} else if (kind == FENGHUO__KIND__REPORT) {
			if ((rc = duty_refs_read_of(ctx, &msg, FENGHUO__KIND__RECEIPT, &r)) ==
			    EX_OK) {
				if (ctx->follow != NULL)
					duty_follow_item(ctx, it, &msg, &r);
				else
					(void)duty_report(ctx, it, &msg, &r);
			}
			free(r.confirmed);
		} else if (duty_warning_listed(ctx, it, &msg)) {
			if ((rc = duty_refs_read_of(ctx, &msg, FENGHUO__KIND__WARNING, &r)) ==
			    EX_OK) {
				if (ctx->follow != NULL)
					duty_follow_item(ctx, it, &msg, &r);
				else
					(void)duty_warning(ctx, it, &msg, &r);
			}
			free(r.confirmed);
		}
	}
	fc_msg_clear(&msg);
	return rc;
}

/* One pass over the store in time order, each message judged where it lies (no copies). */
struct duty_stream {
	struct duty_ctx	*ctx;
	int		 kind;
	int		 rc;		/* the item's error, EX_* */
	size_t		 n;		/* messages judged */
	size_t		 entries;	/* loops entries seen */
};

static int
duty_stream_item(void *arg, const struct store_view *v)
{
	struct duty_stream *s = arg;
	struct cli_copy it;

	if (s->ctx->ioerr || s->ctx->err)
		return 1;
	if (++s->n % DUTY_RELEASE_EVERY == 0)
		(void)store_release_pages(s->ctx->st);
	memcpy(it.id, v->id, FC_IDBYTES);
	/* Only read: the envelope stays in the store's map for the callback's length. */
	it.env = (uint8_t *)(uintptr_t)v->env;
	it.len = v->len;
	it.seen = *v->seen;
	s->rc = duty_item(s->ctx, &it, s->kind, 0);
	s->ctx->counted = 0;
	return s->rc != EX_OK || s->ctx->ioerr || s->ctx->err ? 1 : 0;
}

/*
 * One report's entry in the store's loops tree (store_iter_loops): what it alone decides.
 * A report outside --region or of the other pass is neither read nor counted, as duty_item
 * would do with it. One that no loop receipt refers to is open and unregistered: when the
 * sink declines it (the board, past its limit), it is counted from the entry and its record
 * is never read, decoded or verified. Everything else is read and judged by duty_item, as
 * without the tree: a receipt counts only if it validates and its author may move the loop,
 * which the trust state decides when it is read.
 */
static int
duty_loop_entry(void *arg, const struct store_loop *e, int *read)
{
	struct duty_stream *s = arg;
	struct duty_ctx *ctx = s->ctx;
	size_t plen;
	int drill, late;

	*read = 0;
	if (ctx->ioerr || ctx->err)
		return 1;
	if (++s->entries % DUTY_LOOPS_RELEASE_EVERY == 0)
		(void)store_release_pages(ctx->st);
	/* cli_msg_in_region of a report: its region starts with the prefix. */
	if (ctx->region != NULL && ((plen = strlen(ctx->region)) > e->region_len ||
	    memcmp(e->region, ctx->region, plen) != 0))
		return 0;
	drill = cli_status_mark_of(FENGHUO__KIND__REPORT, e->status) != NULL;
	if (drill != ctx->drill_pass) {
		if (!ctx->drill_pass)
			duty_note_from(&ctx->drill_reports_from, e->time_ms);
		return 0;
	}
	*read = 1;
	if (e->marks != 0 || ctx->follow != NULL || !ctx->cli->json ||
	    ctx->cli->json_want == NULL)
		return 0;
	/* Open, stage 0: duty_late() and duty_report() of it. */
	late = (ctx->now > e->time_ms ? ctx->now - e->time_ms : 0) >= ctx->overdue_ms;
	if (duty_report_count(ctx, late))
		ctx->counted = 1;
	else
		*read = 0;
	return 0;
}

/*
 * Judge and show every message of kind since `since`, or of the held area when held is set.
 * The store's messages are read in place, one at a time: a week of open reports is not
 * copied first (it was most of the duty list's memory).
 */
static int
duty_pass(struct duty_ctx *ctx, uint64_t since, int kind, int held)
{
	struct cli_copies l;
	struct duty_stream s;
	size_t i;
	int rc;

	if (!held) {
		s.ctx = ctx;
		s.kind = kind;
		s.rc = EX_OK;
		s.n = s.entries = 0;
		/* Reports through the loops tree, in the same order, when the store has one. */
		if (kind == FENGHUO__KIND__REPORT && store_has_loops(ctx->st))
			rc = store_iter_loops(ctx->st, since, duty_loop_entry, duty_stream_item,
			    &s);
		else
			rc = store_iter_time(ctx->st, since, 0, kind, 0, duty_stream_item, &s);
		if (s.rc != EX_OK)
			return s.rc;
		if (rc != 0 && rc != 1)
			return cli_store_failed(ctx->cli, rc);
		return ctx->err;
	}
	memset(&l, 0, sizeof(l));
	if ((rc = cli_held_load(ctx->cli, ctx->st, &l)) != EX_OK)
		return rc;
	rc = EX_OK;
	for (i = 0; i < l.n && rc == EX_OK && !ctx->ioerr && !ctx->err; i++) {
		const struct cli_copy *it = &l.items[i];

		if (it->seen.kind != kind || it->seen.time_ms < since)
			continue;
		rc = duty_item(ctx, it, kind, 1);
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
		{ "follow", no_argument, NULL, 'f' },
		{ "no-bell", no_argument, NULL, 'B' },
		{ "handover", no_argument, NULL, 'H' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct duty_ctx ctx;
	uint64_t since, wsince = 0;
	const char *format = NULL;
	int ch, rc, follow = 0, bell = 1, handover = 0;

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
		case 'f':
			follow = 1;
			break;
		case 'B':
			bell = 0;
			break;
		case 'H':
			handover = 1;
			break;
		case 'F':
			format = optarg;
			break;
		default:
			return cli_usage(&cmd_duty_entry);
		}
	}
	if (optind != argc)
		return cli_usage(&cmd_duty_entry);
	if ((rc = duty_modes_check(cli, follow, handover, format)) != EX_OK)
		return rc;
	if ((rc = cli_store(cli, 0, &ctx.st)) != EX_OK)
		return rc;
	/* A shift is 8 hours unless --since says otherwise. */
	if (handover)
		return duty_handover(&ctx, wsince != 0 ? since : ctx.now > DUTY_SHIFT_MS ?
		    ctx.now - DUTY_SHIFT_MS : 0, format);
	if (follow)
		return duty_follow(&ctx, since, wsince, bell);
	return duty_show(ctx, since, wsince);
}

/*
 * The duty list once, as of ctx.now. ctx comes by value: each drawing of --follow counts its
 * reports and warnings afresh.
 */
static int
duty_show(struct duty_ctx ctx, uint64_t since, uint64_t wsince)
{
	struct cli *cli = ctx.cli;
	char od[32];
	int rc;

	ctx.drill_reports_from = ctx.drill_warnings_from = ctx.waiting_from = UINT64_MAX;
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
	/*
	 * Not in force until their author's chain is known here: shown, never counted. Those
	 * stored here the first pass has met; the held ones are in a directory of their own.
	 */
	ctx.waiting_pass = 1;
	if ((ctx.waiting_from != UINT64_MAX &&
	    (rc = duty_pass(&ctx, ctx.waiting_from, FENGHUO__KIND__WARNING, 0)) != EX_OK) ||
	    (rc = duty_pass(&ctx, wsince, FENGHUO__KIND__WARNING, 1)) != EX_OK)
		return rc;
	if (!cli->json && !ctx.ioerr && ctx.waiting > 0)
		printf("%zu waiting for their author's certificate\n", ctx.waiting);
	/* Drills last, apart: what an exercise sends must never read as the real thing. */
	ctx.waiting_pass = 0;
	ctx.drill_pass = 1;
	if ((ctx.drill_reports_from != UINT64_MAX &&
	    (rc = duty_pass(&ctx, ctx.drill_reports_from, FENGHUO__KIND__REPORT, 0)) != EX_OK) ||
	    (ctx.drill_warnings_from != UINT64_MAX &&
	    (rc = duty_pass(&ctx, ctx.drill_warnings_from, FENGHUO__KIND__WARNING, 0)) != EX_OK))
		return rc;
	if (!cli->json && !ctx.ioerr && ctx.drills > 0)
		printf("%zu exercise or test message%s\n", ctx.drills, ctx.drills == 1 ? "" :
		    "s");
	if (cli->duty_counts != NULL) {
		cli->duty_counts->open = ctx.open;
		cli->duty_counts->overdue = ctx.overdue;
		cli->duty_counts->inforce = ctx.inforce;
		cli->duty_counts->drills = ctx.drills;
	}
	if (cli->format != CLI_FMT_TEXT && ctx.follow == NULL && cli_emit_end(cli) == -1)
		ctx.ioerr = 1;
	if (ctx.ioerr || fflush(stdout) == EOF) {
		cli_warn(cli, "standard output");
		return EX_IOERR;
	}
	return EX_OK;
}

/* --format csv of the list: reports and warnings in one table, the "duty" column says which. */
static const struct cli_column duty_columns[] = {
	{ "duty", "duty", CLI_COL_TEXT },
	{ "id", "id", CLI_COL_TEXT },
	{ "time", "time_ms", CLI_COL_TIME },
	{ "kind", "kind", CLI_COL_TEXT },
	{ "status", "status", CLI_COL_TEXT },
	{ "status_mark", "status_mark", CLI_COL_TEXT },
	{ "level", "level", CLI_COL_TEXT },
	{ "category", "category", CLI_COL_TEXT },
	{ "region", "region", CLI_COL_TEXT },
	{ "region_name", "region_name", CLI_COL_TEXT },
	{ "area", "area", CLI_COL_TEXT },
	{ "lat", "lat", CLI_COL_TEXT },
	{ "lon", "lon", CLI_COL_TEXT },
	{ "title", "title", CLI_COL_TEXT },
	{ "stage", "stage", CLI_COL_TEXT },
	{ "stage_at", "stage_ms", CLI_COL_TIME },
	{ "overdue", "overdue", CLI_COL_TEXT },
	{ "expires", "expires_ms", CLI_COL_TIME },
	{ "roster", "coverage.roster", CLI_COL_TEXT },
	{ "confirmed", "coverage.confirmed", CLI_COL_TEXT },
	{ "missing", "coverage.missing", CLI_COL_TEXT },
	{ "flags", "flags", CLI_COL_TEXT },
	{ NULL, NULL, 0 },
};

/*
 * --follow, --handover and --json (or a machine --format) go one at a time; --format and
 * --no-bell with their mode.
 */
static int
duty_modes_check(struct cli *cli, int follow, int handover, const char *format)
{
	int rc;

	if (format != NULL && handover) {
		if (strcmp(format, "text") != 0 && strcmp(format, "markdown") != 0) {
			cli_warnx(cli, "--format %s: text or markdown (with --handover)", format);
			return EX_USAGE;
		}
	} else if (format != NULL) {
		if (strcmp(format, "markdown") == 0) {
			cli_warnx(cli, "--format markdown: that --format is for --handover "
			    "(the list takes text, json, csv or geojson)");
			return EX_USAGE;
		}
		if ((rc = cli_set_format(cli, format, CLI_FMT_GEOJSON)) != EX_OK)
			return rc;
	}
	if (follow + handover + cli->json > 1) {
		cli_warnx(cli, "--follow, --handover and --json (or --format json, csv, "
		    "geojson) do not go together");
		return EX_USAGE;
	}
	cli_format_columns(cli, duty_columns);
	return EX_OK;
}

/* ---- duty --follow: the duty officer's live screen ------------------------------------- */

#define FOLLOW_REDRAW_MS	(30 * 1000)	/* ages advance, reports fall overdue */
#define FOLLOW_BURST_MAX	1000		/* events taken before one redraw */
#define SGR_RED		"\033[1;37;41m"	/* a new red warning: white on red */
#define SGR_ORANGE	"\033[1;30;43m"	/* orange: black on yellow, the nearest of the eight */
#define SGR_OVERDUE	"\033[1;31m"	/* a newly overdue report: bold red */
#define SGR_RESET	"\033[0m"

/*
 * What the screen remembers between drawings: every red or orange warning in force and every
 * overdue report it has shown, and which of them came (or fell overdue) while it was up. Those
 * stay highlighted, with NEW, for as long as they are listed; the first drawing only learns.
 */
struct follow_seen {
	uint8_t		 id[FC_IDBYTES];
	int		 hot;
};
struct duty_follow {
	int		 tty;		/* stdout is a terminal: clear and redraw */
	int		 colour;	/* ... and NO_COLOR is not set */
	int		 bell;		/* ... and no --no-bell */
	int		 first;		/* the first drawing */
	int		 away;		/* fenghuod went away; waiting for it */
	struct follow_seen *seen;
	size_t		 n, cap;
	size_t		 fresh;		/* new ones in this drawing: ring once */
	uint64_t	 next_ms;	/* when a report falls overdue or a warning expires */
	int		 nomem;
};

static volatile sig_atomic_t follow_stop, follow_winch;

static void
follow_sighandler(int sig)
{
	if (sig == SIGWINCH)
		follow_winch = 1;
	else
		follow_stop = 1;
}

/*
 * Terminal control goes straight to the terminal: stdout itself shows control characters as
 * '?' (tty.c), so that titles from other keys cannot drive the screen; ours are the only ones.
 */
static void
follow_ctl(const char *seq)
{
	size_t len = strlen(seq);
	ssize_t n;

	fflush(stdout);
	while (len > 0) {
		if ((n = write(STDOUT_FILENO, seq, len)) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		seq += n;
		len -= (size_t)n;
	}
}

static struct follow_seen *
follow_find(struct duty_follow *f, const uint8_t *id)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (memcmp(f->seen[i].id, id, FC_IDBYTES) == 0)
			return &f->seen[i];
	return NULL;
}

static void
follow_add(struct duty_follow *f, const uint8_t *id, int hot)
{
	struct follow_seen *s;
	size_t cap;

	if (f->n == f->cap) {
		cap = f->cap == 0 ? 64 : f->cap * 2;
		if ((s = reallocarray(f->seen, cap, sizeof(*s))) == NULL) {
			f->nomem = 1;
			return;
		}
		f->seen = s;
		f->cap = cap;
	}
	memcpy(f->seen[f->n].id, id, FC_IDBYTES);
	f->seen[f->n++].hot = hot;
}

static void
follow_next(struct duty_follow *f, uint64_t at)
{
	if (f->next_ms == 0 || at < f->next_ms)
		f->next_ms = at;
}

/*
 * One report or warning on the screen: duty's own line, highlighted when it is new, then for
 * a warning in force when it expires. Also notes when the screen must next change by itself.
 */
static void
duty_follow_item(struct duty_ctx *ctx, const struct cli_copy *it, const struct fc_msg *msg,
    struct duty_refs *r)
{
	struct duty_follow *f = ctx->follow;
	const Fenghuo__Warning *w = msg->body->warning;
	const struct follow_seen *known;
	const char *sgr = NULL;
	size_t before;
	uint64_t exp;
	char when[32], in[32];
	int candidate, hot, shown;

	if (w == NULL) {
		candidate = !cli_status_drill(msg->body) && duty_late(ctx, it, r);
		if (r->stage == 0 && !candidate && !cli_status_drill(msg->body))
			follow_next(f, it->seen.time_ms + ctx->overdue_ms);
		sgr = SGR_OVERDUE;
		before = ctx->open + ctx->drills;
	} else {
		candidate = !ctx->waiting_pass && !ctx->drill_pass &&
		    (w->level == FENGHUO__LEVEL__RED || w->level == FENGHUO__LEVEL__ORANGE);
		sgr = w->level == FENGHUO__LEVEL__RED ? SGR_RED : SGR_ORANGE;
		before = ctx->inforce + ctx->waiting + ctx->drills;
	}
	known = candidate ? follow_find(f, msg->id) : NULL;
	hot = candidate && (known != NULL ? known->hot : !f->first);
	if (hot && f->colour)
		follow_ctl(sgr);
	if (w == NULL)
		(void)duty_report(ctx, it, msg, r);
	else
		(void)duty_warning(ctx, it, msg, r);
	if (hot && f->colour)
		follow_ctl(SGR_RESET);
	shown = (w == NULL ? ctx->open + ctx->drills : ctx->inforce + ctx->waiting +
	    ctx->drills) > before;
	if (!shown)
		return;
	if (candidate && known == NULL) {
		follow_add(f, msg->id, hot);
		f->fresh += hot;
	}
	if (w == NULL) {
		if (hot)
			printf("         NEW: overdue since %s\n", cli_fmt_time(it->seen.time_ms +
			    ctx->overdue_ms, when, sizeof(when)));
		return;
	}
	exp = fc_msg_expiry(msg, it->seen.first_seen_ms);
	if (exp != 0) {
		follow_next(f, exp);
		printf("         %sexpires %s (in %s)\n", hot ? "NEW, " : "",
		    cli_fmt_time(exp, when, sizeof(when)),
		    fmt_age(exp > ctx->now ? exp - ctx->now : 0, in, sizeof(in)));
	} else
		printf("         %sno expiry\n", hot ? "NEW, " : "");
}

static int64_t
follow_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Draw the screen once; the bell for what is new. EX_OK or an error (printed). */
static int
follow_draw(struct duty_ctx *ctx, uint64_t since, uint64_t wsince)
{
	struct duty_follow *f = ctx->follow;
	char when[32];
	int rc;

	ctx->now = cli_now_ms();
	f->fresh = 0;
	f->next_ms = 0;
	/* A certificate or revocation may have come: judge with the trust state of now. */
	cli_trust_forget(ctx->cli);
	if (f->tty)
		follow_ctl("\033[H\033[2J");
	else
		printf("==== ");
	printf("fenghuo duty --follow  %s  %s\n", cli_fmt_time(ctx->now, when, sizeof(when)),
	    f->away ? "fenghuod has gone away: waiting for it to come back" :
	    "live (Ctrl-C to leave)");
	rc = duty_show(*ctx, since, wsince);
	if (f->nomem) {
		cli_warnx(ctx->cli, "out of memory");
		return EX_OSERR;
	}
	if (rc == EX_OK && f->fresh > 0 && f->bell)
		follow_ctl("\a");
	f->first = 0;
	return rc;
}

/*
 * duty --follow: draw, then draw again on every message the daemon reports as new (a burst
 * drawn once), when it goes away or comes back, when a report falls overdue or a warning
 * expires, and every FOLLOW_REDRAW_MS so that ages advance. Never more often than that.
 */
static int
duty_follow(struct duty_ctx *ctx, uint64_t since, uint64_t wsince, int bell)
{
	struct duty_follow f;
	struct cli_sub *sub = NULL;
	struct cli_sub_event ev;
	struct sigaction sa, oint, oterm, owinch;
	const char *nc = getenv("NO_COLOR");
	int64_t redraw_at, now;
	uint64_t wall;
	int rc, dirty, burst;

	memset(&f, 0, sizeof(f));
	f.tty = isatty(STDOUT_FILENO);
	f.colour = f.tty && (nc == NULL || nc[0] == '\0');
	f.bell = f.tty && bell;
	f.first = 1;
	ctx->follow = &f;
	if ((rc = cli_sub_open(ctx->cli, &sub)) != EX_OK) {
		if (rc == EX_UNAVAILABLE)
			cli_warnx(ctx->cli, "duty --follow shows what fenghuod reports as it comes");
		return rc;
	}
	/* No SA_RESTART: a signal must end the wait at once. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = follow_sighandler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &oint);
	sigaction(SIGTERM, &sa, &oterm);
	sigaction(SIGWINCH, &sa, &owinch);
	/* The alternate screen, cursor hidden: the shell's screen comes back on exit. */
	if (f.tty)
		follow_ctl("\033[?1049h\033[?25l");
	dirty = 1;
	redraw_at = 0;
	while (!follow_stop) {
		now = follow_mono_ms();
		if (dirty || follow_winch || now >= redraw_at) {
			follow_winch = 0;
			if ((rc = follow_draw(ctx, since, wsince)) != EX_OK)
				break;
			fflush(stdout);
			dirty = 0;
			now = follow_mono_ms();
			redraw_at = now + FOLLOW_REDRAW_MS;
			/* Sooner when a report falls overdue or a warning expires before that. */
			wall = cli_now_ms();
			if (f.next_ms != 0 && f.next_ms > wall &&
			    f.next_ms - wall + 1000 < FOLLOW_REDRAW_MS)
				redraw_at = now + (int64_t)(f.next_ms - wall) + 1000;
		}
		if ((rc = cli_sub_next(sub, redraw_at, &ev)) != EX_OK)
			break;
		/* A burst of messages (a hundred receipts) is drawn once. */
		for (burst = 0; ev.type == CLI_SUB_MESSAGE && burst < FOLLOW_BURST_MAX; burst++) {
			dirty = 1;
			if ((rc = cli_sub_next(sub, follow_mono_ms(), &ev)) != EX_OK)
				goto done;
		}
		if (ev.type == CLI_SUB_LOST || ev.type == CLI_SUB_BACK) {
			f.away = ev.type == CLI_SUB_LOST;
			dirty = 1;
		}
	}
done:
	if (f.tty)
		follow_ctl(SGR_RESET "\033[?25h\033[?1049l");
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGTERM, &oterm, NULL);
	sigaction(SIGWINCH, &owinch, NULL);
	cli_sub_close(&sub);
	free(f.seen);
	ctx->follow = NULL;
	return follow_stop ? EX_OK : rc;
}

/* ---- duty --handover: the record of a shift -------------------------------------------- */

#define HO_COLS_MAX	8

/* A table of text cells, printed with its columns aligned by display width. */
struct ho_table {
	int		 ncol;
	const char	*head[HO_COLS_MAX];	/* "时间 Time": Chinese, then English */
	char		**cells;		/* nrows * ncol, owned */
	size_t		 nrows, cap;
};

struct ho_ctx {
	struct duty_ctx	*duty;
	int		 md;		/* --format markdown */
	uint64_t	 since;
	int		 nomem;
	size_t		 received, registered, closed, open, overdue;
	size_t		 issued, updated, cancelled;
	struct ho_table	 t_received, t_loop, t_open, t_issued, t_updated, t_cancelled;
	uint8_t		(*loop_seen)[FC_IDBYTES + 1];	/* report id + stage, counted once */
	size_t		 nloop, caploop;
};

static void
ho_table_init(struct ho_table *t, const char *h0, const char *h1, const char *h2,
    const char *h3, const char *h4, const char *h5, const char *h6)
{
	const char *h[] = { h0, h1, h2, h3, h4, h5, h6 };
	int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < (int)(sizeof(h) / sizeof(h[0])) && h[i] != NULL; i++)
		t->head[t->ncol++] = h[i];
}

static void
ho_table_free(struct ho_table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * (size_t)t->ncol; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* A copy of s for a cell: '|' escaped in Markdown, where it would end the cell. */
static char *
ho_cell_dup(const struct ho_ctx *h, const char *s)
{
	size_t i, n = 0, len;
	char *d;

	if (s == NULL)
		s = "";
	len = strlen(s);
	if (h->md)
		for (i = 0; i < len; i++)
			n += s[i] == '|';
	if ((d = malloc(len + n + 1)) == NULL)
		return NULL;
	for (i = n = 0; i < len; i++) {
		if (h->md && s[i] == '|')
			d[n++] = '\\';
		d[n++] = s[i];
	}
	d[n] = '\0';
	return d;
}

/* Append a row of t->ncol cells (the arguments after t). */
static void
ho_row(struct ho_ctx *h, struct ho_table *t, ...)
{
	va_list ap;
	char **c;
	size_t cap;
	int i;

	if (h->nomem)
		return;
	if (t->nrows == t->cap) {
		cap = t->cap == 0 ? 16 : t->cap * 2;
		if ((c = reallocarray(t->cells, cap * (size_t)t->ncol, sizeof(*c))) == NULL) {
			h->nomem = 1;
			return;
		}
		t->cells = c;
		t->cap = cap;
	}
	c = &t->cells[t->nrows * (size_t)t->ncol];
	va_start(ap, t);
	for (i = 0; i < t->ncol; i++)
		if ((c[i] = ho_cell_dup(h, va_arg(ap, const char *))) == NULL)
			h->nomem = 1;
	va_end(ap);
	t->nrows++;
	if (h->nomem) {
		for (i = 0; i < t->ncol; i++)
			free(c[i]);
		t->nrows--;
	}
}

static void
ho_rule(int width, char c)
{
	for (; width > 0; width--)
		putchar(c);
}

/*
 * The table: in text, indented columns two spaces apart; in Markdown, a pipe table. Columns
 * are padded by display width (a Chinese title is twice as wide as its characters are many).
 */
static void
ho_table_print(const struct ho_ctx *h, const struct ho_table *t)
{
	size_t w[HO_COLS_MAX], r, x;
	int i, total = 0;

	if (h->md)
		putchar('\n');	/* a Markdown table or paragraph starts after a blank line */
	if (t->nrows == 0) {
		printf("%s（无）none\n", h->md ? "" : "  ");
		return;
	}
	for (i = 0; i < t->ncol; i++) {
		w[i] = cli_text_width(t->head[i]);
		for (r = 0; r < t->nrows; r++)
			if ((x = cli_text_width(t->cells[r * (size_t)t->ncol + i])) > w[i])
				w[i] = x;
		total += (int)w[i] + 2;
	}
	for (r = 0; r <= t->nrows; r++) {
		fputs(h->md ? "|" : " ", stdout);
		for (i = 0; i < t->ncol; i++) {
			const char *cell = r == 0 ? t->head[i] :
			    t->cells[(r - 1) * (size_t)t->ncol + i];
			int last = i == t->ncol - 1;

			putchar(' ');
			cli_cell(stdout, cell, last && !h->md ? 0 : (int)w[i], 0);
			fputs(h->md ? " |" : last ? "" : " ", stdout);
		}
		putchar('\n');
		if (r == 0 && h->md) {
			putchar('|');
			for (i = 0; i < t->ncol; i++) {
				ho_rule((int)w[i] + 2, '-');
				putchar('|');
			}
			putchar('\n');
		} else if (r == 0) {
			fputs("  ", stdout);
			ho_rule(total - 2, '-');
			putchar('\n');
		}
	}
}

static void
ho_heading(const struct ho_ctx *h, int level, const char *title)
{
	if (h->md)
		printf("\n%s %s\n", level == 1 ? "##" : "###", title);
	else if (level == 1) {
		printf("\n%s\n", title);
		ho_rule((int)cli_text_width(title), '=');
		putchar('\n');
	} else
		printf("\n%s\n", title);
}

/* Each (report, stage) once: a second "registered" receipt is not a second registration. */
static int
ho_loop_first(struct ho_ctx *h, const uint8_t *report, int stage)
{
	uint8_t (*a)[FC_IDBYTES + 1];
	size_t i, cap;

	for (i = 0; i < h->nloop; i++)
		if (memcmp(h->loop_seen[i], report, FC_IDBYTES) == 0 &&
		    h->loop_seen[i][FC_IDBYTES] == stage)
			return 0;
	if (h->nloop == h->caploop) {
		cap = h->caploop == 0 ? 16 : h->caploop * 2;
		if ((a = reallocarray(h->loop_seen, cap, sizeof(*a))) == NULL) {
			h->nomem = 1;
			return 0;
		}
		h->loop_seen = a;
		h->caploop = cap;
	}
	memcpy(h->loop_seen[h->nloop], report, FC_IDBYTES);
	h->loop_seen[h->nloop++][FC_IDBYTES] = (uint8_t)stage;
	return 1;
}

/* Read every message of kind from since on (oldest first). EX_OK or an error (printed). */
static int
ho_load(struct ho_ctx *h, uint64_t since, int kind, struct cli_copies *l)
{
	struct duty_ctx *ctx = h->duty;
	int rc;

	memset(l, 0, sizeof(*l));
	rc = store_iter_time(ctx->st, since, 0, kind, 0, duty_collect, l);
	if (rc == STORE_ENOMEM_STOP) {
		cli_warnx(ctx->cli, "out of memory");
		return EX_OSERR;
	}
	if (rc != 0) {
		return cli_store_failed(ctx->cli, rc);
	}
	return EX_OK;
}

/* Validate one copy into msg, judged by the region filter and the trust state. 1 to use. */
static int
ho_msg(struct ho_ctx *h, const struct cli_copy *it, struct fc_msg *msg)
{
	struct duty_ctx *ctx = h->duty;
	char hex[FC_IDHEX];

	if (cli_validate_stored(it->env, it->len, &it->seen, msg) != FC_R_OK) {
		cli_warnx(ctx->cli, "stored message %s does not validate; skipped",
		    fc_hex(it->id, FC_IDBYTES, hex));
		return 0;
	}
	if (ctx->region != NULL && !cli_msg_in_region(msg, ctx->region)) {
		fc_msg_clear(msg);
		return 0;
	}
	cli_trust_mark(ctx->cli, msg, ctx->now);
	return 1;
}

/* Reports: received during the shift, and every one still open (older ones too). */
static int
ho_reports(struct ho_ctx *h)
{
	struct duty_ctx *ctx = h->duty;
	struct cli_copies l;
	struct duty_refs r;
	struct fc_msg msg;
	uint64_t from, age;
	char sid[13], when[32], a1[32], a2[128], now[64];
	const char *region, *drill;
	size_t i;
	int rc, late;

	/* Still open: as far back as duty looks, however short the shift. */
	from = ctx->now > DUTY_SINCE_DEFAULT_MS ? ctx->now - DUTY_SINCE_DEFAULT_MS : 0;
	if (h->since < from)
		from = h->since;
	if ((rc = ho_load(h, from, FENGHUO__KIND__REPORT, &l)) != EX_OK)
		return rc;
	for (i = 0; i < l.n && rc == EX_OK; i++) {
		const struct cli_copy *it = &l.items[i];

		if (!ho_msg(h, it, &msg))
			continue;
		if ((rc = duty_refs_read(ctx, &msg, &r)) == EX_OK) {
			/* A drill's report is shown as one and never counted open or overdue. */
			drill = cli_status_mark(msg.body);
			late = drill == NULL && duty_late(ctx, it, &r);
			age = ctx->now > it->seen.time_ms ? ctx->now - it->seen.time_ms : 0;
			region = msg.body->region != NULL && msg.body->region[0] != '\0' ?
			    msg.body->region : "-";
			if (r.stage > 0)
				snprintf(now, sizeof(now), "%s", wire_stage_name(r.stage));
			else
				snprintf(now, sizeof(now), "%s", late ? "OVERDUE" : "unregistered");
			if (drill != NULL)
				snprintf(now + strlen(now), sizeof(now) - strlen(now), " [%s]",
				    drill);
			if (it->seen.first_seen_ms >= h->since) {
				h->received++;
				ho_row(h, &h->t_received, cli_short_id(msg.id, sid),
				    cli_fmt_time(it->seen.time_ms, when, sizeof(when)), region,
				    msg.body->category, now, msg.body->title);
			}
			if (r.stage != FENGHUO__STAGE__CLOSED) {
				h->open += drill == NULL;
				h->overdue += late;
				if (r.stage > 0)
					snprintf(a2, sizeof(a2), "%s %s ago", now,
					    fmt_age(ctx->now > r.stage_ms ? ctx->now - r.stage_ms :
					    0, a1, sizeof(a1)));
				else
					snprintf(a2, sizeof(a2), "%s", now);
				ho_row(h, &h->t_open, cli_short_id(msg.id, sid),
				    cli_fmt_time(it->seen.time_ms, when, sizeof(when)),
				    fmt_age(age, a1, sizeof(a1)), a2, region, msg.body->title);
			}
		}
		free(r.confirmed);
		fc_msg_clear(&msg);
	}
	cli_copies_free(&l);
	return rc;
}

/* Registered and closed during the shift: the receipts that moved a report's loop. */
static int
ho_receipts(struct ho_ctx *h)
{
	struct duty_ctx *ctx = h->duty;
	struct cli_copies l;
	struct store_msg sm;
	struct fc_msg msg, rep;
	const Fenghuo__Body *b;
	char sid[13], when[32];
	size_t i;
	int rc, st;

	if ((rc = ho_load(h, h->since, FENGHUO__KIND__RECEIPT, &l)) != EX_OK)
		return rc;
	for (i = 0; i < l.n; i++) {
		const struct cli_copy *it = &l.items[i];

		if (cli_validate_stored(it->env, it->len, &it->seen, &msg) != FC_R_OK)
			continue;
		b = msg.body;
		st = b->receipt != NULL ? (int)b->receipt->stage : 0;
		memset(&sm, 0, sizeof(sm));
		/* Its report, validated, in the region asked, and the receipt's author its verifier. */
		if ((st == FENGHUO__STAGE__REGISTERED || st == FENGHUO__STAGE__CLOSED) &&
		    b->n_refs > 0 && b->refs[0].len == FC_IDBYTES &&
		    store_get(ctx->st, b->refs[0].data, &sm) == 0 &&
		    cli_validate_stored(sm.env, sm.len, &sm.seen, &rep) == FC_R_OK) {
			if (rep.body->kind == FENGHUO__KIND__REPORT &&
			    (ctx->region == NULL || cli_msg_in_region(&rep, ctx->region)) &&
			    cli_receipt_counts(ctx->cli, b, rep.body->region) &&
			    ho_loop_first(h, rep.id, st)) {
				if (st == FENGHUO__STAGE__REGISTERED)
					h->registered++;
				else
					h->closed++;
				ho_row(h, &h->t_loop, cli_fmt_time(it->seen.time_ms, when,
				    sizeof(when)), wire_stage_name(st), cli_short_id(rep.id, sid),
				    rep.body->region, rep.body->title);
			}
			fc_msg_clear(&rep);
		}
		store_msg_clear(&sm);
		fc_msg_clear(&msg);
	}
	cli_copies_free(&l);
	return EX_OK;
}

/* Warnings issued, updated and cancelled during the shift, with their confirmations. */
static int
ho_warnings(struct ho_ctx *h)
{
	struct duty_ctx *ctx = h->duty;
	struct cli_copies l;
	struct duty_refs r;
	struct cli_coverage cov;
	struct fc_msg msg;
	const Fenghuo__Warning *w;
	uint64_t exp;
	char sid[13], rid[13], when[32], area[128], cf[64], mk[96], now[128];
	const char *lvl, *ref;
	size_t i, k, off;
	int rc;

	if ((rc = ho_load(h, h->since, FENGHUO__KIND__WARNING, &l)) != EX_OK)
		return rc;
	for (i = 0; i < l.n && rc == EX_OK; i++) {
		const struct cli_copy *it = &l.items[i];

		if (!ho_msg(h, it, &msg))
			continue;
		w = msg.body->warning;
		if (w != NULL && (rc = duty_refs_read(ctx, &msg, &r)) == EX_OK) {
			for (k = 0, off = 0, area[0] = '\0'; k < w->n_area && off < sizeof(area); k++)
				off += (size_t)snprintf(area + off, sizeof(area) - off, "%s%s",
				    k > 0 ? "," : "", w->area[k] != NULL ? w->area[k] : "");
			exp = fc_msg_expiry(&msg, it->seen.first_seen_ms);
			snprintf(now, sizeof(now), "%s%s", r.cancelled ? "cancelled" :
			    r.superseded ? "superseded" : exp != 0 && exp <= ctx->now ?
			    "expired" : (msg.flags & CLI_MSG_NOT_AUTHORISED) ||
			    cli_status_drill(msg.body) ? "not in force" : "in force",
			    cli_marks(&msg, mk, sizeof(mk)));
			lvl = wire_level_name(w->level) != NULL ? wire_level_name(w->level) : "?";
			ref = msg.body->n_refs > 0 && msg.body->refs[0].len == FC_IDBYTES ?
			    cli_short_id(msg.body->refs[0].data, rid) : "-";
			if ((rc = cli_coverage_read(ctx->cli, ctx->st, &msg, &it->seen, ctx->now,
			    &cov)) == EX_OK) {
				duty_confirmations(&cov, &r, cf, sizeof(cf));
				cli_coverage_clear(&cov);
			}
			cli_short_id(msg.id, sid);
			cli_fmt_time(it->seen.time_ms, when, sizeof(when));
			if (w->msg_type == FENGHUO__MSG_TYPE__CANCEL) {
				h->cancelled++;
				ho_row(h, &h->t_cancelled, sid, when, ref, area, msg.body->title, cf);
			} else if (w->msg_type == FENGHUO__MSG_TYPE__UPDATE) {
				h->updated++;
				ho_row(h, &h->t_updated, sid, when, lvl, ref, msg.body->title, cf,
				    now);
			} else {
				h->issued++;
				ho_row(h, &h->t_issued, sid, when, lvl, area, msg.body->title, cf,
				    now);
			}
			free(r.confirmed);
		}
		fc_msg_clear(&msg);
	}
	cli_copies_free(&l);
	return rc;
}

static void
ho_count_row(struct ho_ctx *h, struct ho_table *t, const char *item, size_t n)
{
	char num[32];

	snprintf(num, sizeof(num), "%zu", n);
	ho_row(h, t, item, num);
}

/* The record, once everything is read. */
static void
ho_print(struct ho_ctx *h)
{
	struct duty_ctx *ctx = h->duty;
	struct ho_table sum;
	char from[32], to[32], len[32];

	cli_fmt_time(h->since, from, sizeof(from));
	cli_fmt_time(ctx->now, to, sizeof(to));
	fmt_age(ctx->now > h->since ? ctx->now - h->since : 0, len, sizeof(len));
	if (h->md)
		printf("# 交接班记录 Shift handover\n\n"
		    "- 值班时段 Shift: %s – %s (%s)\n", from, to, len);
	else {
		printf("交接班记录  Shift handover\n");
		printf("值班时段 Shift   %s – %s (%s)\n", from, to, len);
	}
	if (ctx->region != NULL)
		printf(h->md ? "- 地区 Region: %s\n" : "地区 Region      %s\n", ctx->region);

	ho_table_init(&sum, "项目 Item", "数量 Count", NULL, NULL, NULL, NULL, NULL);
	ho_count_row(h, &sum, "收到的报告 Reports received", h->received);
	ho_count_row(h, &sum, "登记 Registered", h->registered);
	ho_count_row(h, &sum, "办结 Closed", h->closed);
	ho_count_row(h, &sum, "未办结 Still open", h->open);
	ho_count_row(h, &sum, "其中超时 Overdue", h->overdue);
	ho_count_row(h, &sum, "发布的预警 Warnings issued", h->issued);
	ho_count_row(h, &sum, "更新 Updated", h->updated);
	ho_count_row(h, &sum, "解除 Cancelled", h->cancelled);
	ho_heading(h, 1, "概况 Summary");
	ho_table_print(h, &sum);
	ho_table_free(&sum);

	ho_heading(h, 1, "一、报告 Reports");
	ho_heading(h, 2, "收到 Received during the shift");
	ho_table_print(h, &h->t_received);
	ho_heading(h, 2, "登记与办结 Registered and closed during the shift");
	ho_table_print(h, &h->t_loop);
	ho_heading(h, 2, "未办结 Still open (OVERDUE: unregistered past the limit)");
	ho_table_print(h, &h->t_open);

	ho_heading(h, 1, "二、预警 Warnings");
	ho_heading(h, 2, "发布 Issued");
	ho_table_print(h, &h->t_issued);
	ho_heading(h, 2, "更新 Updated");
	ho_table_print(h, &h->t_updated);
	ho_heading(h, 2, "解除 Cancelled");
	ho_table_print(h, &h->t_cancelled);
}

/*
 * duty --handover: what happened during the shift (--since, default the last 8 hours) and
 * what the next shift takes over, as text or Markdown.
 */
static int
duty_handover(struct duty_ctx *ctx, uint64_t since, const char *format)
{
	struct ho_ctx h;
	int rc;

	memset(&h, 0, sizeof(h));
	h.duty = ctx;
	h.md = format != NULL && strcmp(format, "markdown") == 0;
	h.since = since;
	ho_table_init(&h.t_received, "编号 ID", "时间 Time", "地区 Region", "类别 Category",
	    "现状 Now", "标题 Title", NULL);
	ho_table_init(&h.t_loop, "时间 Time", "环节 Stage", "报告 Report", "地区 Region",
	    "标题 Title", NULL, NULL);
	ho_table_init(&h.t_open, "编号 ID", "时间 Time", "已过 Age", "现状 Now",
	    "地区 Region", "标题 Title", NULL);
	ho_table_init(&h.t_issued, "编号 ID", "时间 Time", "级别 Level", "区域 Areas",
	    "标题 Title", "确认 Confirmations", "现状 Now");
	ho_table_init(&h.t_updated, "编号 ID", "时间 Time", "级别 Level", "更新 Updates",
	    "标题 Title", "确认 Confirmations", "现状 Now");
	ho_table_init(&h.t_cancelled, "编号 ID", "时间 Time", "解除 Cancels", "区域 Areas",
	    "标题 Title", "确认 Confirmations", NULL);
	if ((rc = ho_reports(&h)) == EX_OK && (rc = ho_receipts(&h)) == EX_OK &&
	    (rc = ho_warnings(&h)) == EX_OK) {
		if (h.nomem) {
			cli_warnx(ctx->cli, "out of memory");
			rc = EX_OSERR;
		} else
			ho_print(&h);
	}
	ho_table_free(&h.t_received);
	ho_table_free(&h.t_loop);
	ho_table_free(&h.t_open);
	ho_table_free(&h.t_issued);
	ho_table_free(&h.t_updated);
	ho_table_free(&h.t_cancelled);
	free(h.loop_seen);
	if (rc == EX_OK && (ferror(stdout) || fflush(stdout) == EOF)) {
		cli_warn(ctx->cli, "standard output");
		return EX_IOERR;
	}
	return rc;
}
