/*
 * cmd_list.c: `fenghuo list`: stored messages, newest first, one line or one JSON object
 * each.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

static int	cmd_list_exec(struct cli *, int, char **);

const struct cmd_entry cmd_list_entry = {
	"list",
	"list [--held] [--kind K] [--since WHEN] [--region PREFIX] [--status S | --all]\n"
	"       [--limit N] [--json | --format text|json|csv|geojson]",
	"List stored messages, newest first: short id, local time, kind, level (warning),\n"
	"stage (receipt) or category (report), region, title. [clock-skew] marks a message\n"
	"whose author's clock was implausible (its time is when this node first saw it);\n"
	"[cancelled] / [superseded] a warning a cancel / update that counts refers to;\n"
	"[expired] one that no longer applies. Drills and tests are left out unless asked\n"
	"for; when shown, [演练] marks an exercise, [测试] a test, [系统] a system message and\n"
	"[草稿] a draft.\n"
	"\n"
	"  --held            list the held messages instead: imported, valid, but their\n"
	"                    author's certificate chain is not known here yet; not stored,\n"
	"                    never in force (marked [held]; stored when the chain arrives)\n"
	"  --kind K          report, warning, receipt, cert, revoke, announce\n"
	"  --since WHEN      only messages from then on: a duration ago (2h, 7d), a date or\n"
	"                    time (2026-11-23, 2026-11-23T08:00, ...Z for UTC), or epoch ms\n"
	"  --region PREFIX   messages whose region starts with PREFIX, and warnings whose\n"
	"                    areas cover it (a warning for 3301 concerns 330110101001)\n"
	"  --status S        only reports and warnings of CAP status S: actual, exercise,\n"
	"                    test, system, draft (default: everything but reports and\n"
	"                    warnings that are not actual, and receipts for them)\n"
	"  --all             every status\n"
	"  --limit N         at most N messages\n"
	"  --json            JSON Lines: one object per message (fields in docs/CLI.md)\n"
	"  --format F        text (default), json (= --json), csv (UTF-8 with BOM, for a\n"
	"                    spreadsheet) or geojson (an RFC 7946 FeatureCollection)\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 66 no store yet.\n",
	cmd_list_exec,
};

/*
 * Messages are copied out of the store in chunks and shown after each read transaction has
 * ended: `fenghuo list | less` must not pin an LMDB snapshot (and the daemon's free pages)
 * for as long as the pager stays open.
 */
#define LIST_CHUNK	256


struct list_ctx {
	struct cli		*cli;
	struct store		*st;		/* for the stage of each report */
	const char		*region;
	uint64_t		 limit;		/* 0: no limit */
	uint64_t		 shown;
	uint64_t		 now;
	int			 bad;		/* stored messages that failed validation */
	int			 ioerr;
	struct cli_copies	 chunk;		/* the chunk being collected */
	uint64_t		 last_time;	/* display time of the last message visited */
	int			 full;		/* the chunk ended before the range did */
	int			 nomem;
	int			 held;		/* --held: the held area, not the store */
	int			 status;	/* --status, or LIST_STATUS_* */
};

/* --format csv: what a spreadsheet of messages needs, in the order an officer reads. */
static const struct cli_column list_columns[] = {
	{ "id", "id", CLI_COL_TEXT },
	{ "time", "time_ms", CLI_COL_TIME },
	{ "kind", "kind", CLI_COL_TEXT },
	{ "status", "status", CLI_COL_TEXT },
	{ "status_mark", "status_mark", CLI_COL_TEXT },
	{ "level", "level", CLI_COL_TEXT },
	{ "msg_type", "msg_type", CLI_COL_TEXT },
	{ "category", "category", CLI_COL_TEXT },
	{ "event", "event", CLI_COL_TEXT },
	{ "region", "region", CLI_COL_TEXT },
	{ "region_name", "region_name", CLI_COL_TEXT },
	{ "area", "area", CLI_COL_TEXT },
	{ "lat", "lat", CLI_COL_TEXT },
	{ "lon", "lon", CLI_COL_TEXT },
	{ "title", "title", CLI_COL_TEXT },
	{ "text", "text", CLI_COL_TEXT },
	{ "stage", "stage", CLI_COL_TEXT },
	{ "expires", "expires_ms", CLI_COL_TIME },
	{ "flags", "flags", CLI_COL_TEXT },
	{ "author", "author", CLI_COL_TEXT },
	{ "first_seen", "first_seen_ms", CLI_COL_TIME },
	{ NULL, NULL, 0 },
};

#define LIST_STATUS_REAL	0	/* default: no report or warning that is not actual */
#define LIST_STATUS_ALL		(-1)	/* --all */

/*
 * 1 if b is a receipt for a stored report or warning that is not actual (a drill's
 * delivery receipts): a receipt has no status of its own and belongs with what it confirms.
 * The confirmed message is only decoded, not validated: it decides whether a line is shown,
 * never what the line says, and it was validated as it was stored.
 */
static int
receipt_of_drill(struct store *st, const Fenghuo__Body *b)
{
	Fenghuo__Envelope *env;
	Fenghuo__Body *rb = NULL;
	struct store_msg sm;
	int drill = 0;

	if (st == NULL || b->kind != FENGHUO__KIND__RECEIPT || b->n_refs == 0 ||
	    b->refs[0].len != FC_IDBYTES || store_get(st, b->refs[0].data, &sm) != 0)
		return 0;
	if ((env = wire_envelope_unpack(sm.env, sm.len)) != NULL && env->has_body &&
	    (rb = wire_body_unpack(env->body.data, env->body.len)) != NULL)
		drill = (rb->kind == FENGHUO__KIND__REPORT || rb->kind == FENGHUO__KIND__WARNING) &&
		    wire_status_of(rb) != FENGHUO__STATUS__ACTUAL;
	if (rb != NULL)
		fenghuo__body__free_unpacked(rb, NULL);
	if (env != NULL)
		fenghuo__envelope__free_unpacked(env, NULL);
	store_msg_clear(&sm);
	return drill;
}

/*
 * 1 if the --status filter (or its default) lets the message be shown. By default neither
 * a report or warning that is not actual nor a receipt for one is.
 */
static int
list_status_ok(const struct list_ctx *ctx, const Fenghuo__Body *b)
{
	int has = b->kind == FENGHUO__KIND__REPORT || b->kind == FENGHUO__KIND__WARNING;

	if (ctx->status == LIST_STATUS_ALL)
		return 1;
	if (ctx->status == LIST_STATUS_REAL)
		return has ? wire_status_of(b) == FENGHUO__STATUS__ACTUAL :
		    !receipt_of_drill(ctx->st, b);
	return has && wire_status_of(b) == ctx->status;
}

/*
 * 1 if the message may concern the region filter. Decoding is cheap and a signature check
 * is not, so messages outside the region are skipped before they are validated; those
 * inside are validated in full before anything of them is shown.
 */
static int
region_prefilter(const struct store_view *v, const char *region)
{
	struct fc_msg raw;
	int in = 1;

	memset(&raw, 0, sizeof(raw));
	if ((raw.env = wire_envelope_unpack(v->env, v->len)) != NULL && raw.env->has_body &&
	    (raw.body = wire_body_unpack(raw.env->body.data, raw.env->body.len)) != NULL)
		in = cli_msg_in_region(&raw, region);
	/* Undecodable: let validation report it. */
	if (raw.body != NULL)
		fenghuo__body__free_unpacked(raw.body, NULL);
	if (raw.env != NULL)
		fenghuo__envelope__free_unpacked(raw.env, NULL);
	return in;
}

/*
 * Copy messages until the chunk is full, then stop at the next change of display time, so
 * that the next chunk can start strictly below the last time seen without losing or
 * repeating any message that shares it.
 */
static int
list_collect(void *arg, const struct store_view *v)
{
	struct list_ctx *ctx = arg;

	if (ctx->chunk.n >= LIST_CHUNK && v->seen->time_ms != ctx->last_time) {
		ctx->full = 1;
		return 1;
	}
	ctx->last_time = v->seen->time_ms;
	if (ctx->region != NULL && !region_prefilter(v, ctx->region))
		return 0;
	if (cli_copies_add(&ctx->chunk, v) == -1) {
		ctx->nomem = 1;
		return 1;
	}
	return 0;
}

/* Validate and show one copied message. 1 when the listing is to stop. */
static int
list_show(struct list_ctx *ctx, const struct cli_copy *it)
{
	struct fc_msg msg;
	char hex[FC_IDHEX];
	uint8_t by[FC_IDBYTES];
	json_t *o;
	int reason, stage;

	reason = cli_validate_stored(it->env, it->len, &it->seen, &msg);
	if (reason != FC_R_OK) {
		cli_warnx(ctx->cli, "stored message %s does not validate: %s",
		    fc_hex(it->id, FC_IDBYTES, hex), fc_reason_name(reason));
		ctx->bad++;
		return 0;
	}
	if ((ctx->region != NULL && !cli_msg_in_region(&msg, ctx->region)) ||
	    !list_status_ok(ctx, msg.body)) {
		fc_msg_clear(&msg);
		return 0;
	}
	cli_trust_mark(ctx->cli, &msg, ctx->now);
	if (ctx->held)
		msg.flags |= CLI_MSG_HELD;
	/* A warning cancelled or superseded must not read as one in force. */
	else
		(void)cli_mark_changes(ctx->cli, ctx->st, &msg, by);
	/* Where each report stands in its closed loop: what a duty officer looks for. */
	if (ctx->cli->json) {
		o = cli_msg_json(&msg, &it->seen, ctx->now);
		if (o == NULL || cli_json_loop_stage(ctx->cli, o, ctx->st, &msg) == -1 ||
		    cli_json_changes(o, &msg, by) == -1 || cli_emit(ctx->cli, o, &msg) == -1)
			ctx->ioerr = 1;
		json_decref(o);
	} else {
		stage = msg.body->kind == FENGHUO__KIND__REPORT ?
		    cli_report_stage(ctx->cli, ctx->st, &msg) : 0;
		cli_msg_line(stdout, &msg, &it->seen, ctx->now, stage);
	}
	fc_msg_clear(&msg);
	if (ctx->ioerr)
		return 1;
	return ++ctx->shown == ctx->limit;
}

/* The listing, chunk by chunk, newest first. EX_OK or an error code (printed). */
static int
list_run(struct list_ctx *ctx, struct store *st, uint64_t since, int kind)
{
	uint64_t until = 0;	/* 0: no upper bound */
	size_t i;
	int rc, stop = 0;

	ctx->st = st;
	do {
		ctx->full = 0;
		rc = store_iter_time(st, since, until, kind, 1, list_collect, ctx);
		if (ctx->nomem) {
			cli_warnx(ctx->cli, "out of memory");
			return EX_OSERR;
		}
		if (rc != 0 && !ctx->full) {
			return cli_store_failed(ctx->cli, rc);
		}
		for (i = 0; i < ctx->chunk.n && !stop; i++)
			stop = list_show(ctx, &ctx->chunk.items[i]);
		cli_copies_drop(&ctx->chunk);
		if (ctx->ioerr) {
			cli_warn(ctx->cli, "standard output");
			return EX_IOERR;
		}
		until = ctx->last_time;
	} while (ctx->full && !stop && until > since && until != 0);
	return EX_OK;
}

/* Newest first, as the store lists. */
static int
copy_cmp(const void *a, const void *b)
{
	const struct cli_copy *x = a, *y = b;

	if (x->seen.time_ms != y->seen.time_ms)
		return x->seen.time_ms < y->seen.time_ms ? 1 : -1;
	return memcmp(y->id, x->id, FC_IDBYTES);
}

/* --held: the held area, filtered like the store. EX_OK or an error code (printed). */
static int
list_held(struct list_ctx *ctx, struct store *st, uint64_t since, int kind)
{
	struct cli_copies all;
	size_t i;
	int rc;

	memset(&all, 0, sizeof(all));
	ctx->st = st;
	if ((rc = cli_held_load(ctx->cli, st, &all)) != EX_OK)
		return rc;
	if (all.n > 1)
		qsort(all.items, all.n, sizeof(*all.items), copy_cmp);
	for (i = 0; i < all.n; i++) {
		const struct cli_copy *it = &all.items[i];

		if (it->seen.time_ms < since || (kind != 0 && it->seen.kind != kind))
			continue;
		if (list_show(ctx, it))
			break;
	}
	cli_copies_free(&all);
	if (ctx->ioerr) {
		cli_warn(ctx->cli, "standard output");
		return EX_IOERR;
	}
	return EX_OK;
}

static int
cmd_list_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "since", required_argument, NULL, 's' },
		{ "region", required_argument, NULL, 'r' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "held", no_argument, NULL, 'H' },
		{ "status", required_argument, NULL, 'S' },
		{ "all", no_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct list_ctx ctx;
	struct store *st;
	uint64_t since = 0;
	int ch, kind = 0, rc, nstatus = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cli = cli;
	ctx.now = cli_now_ms();
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			if ((kind = wire_kind_parse(optarg)) <= 0) {
				cli_warnx(cli, "--kind %s: one of report, warning, receipt, cert, "
				    "revoke, announce", optarg);
				return EX_USAGE;
			}
			break;
		case 's':
			if (cli_parse_time(optarg, ctx.now, &since) == -1) {
				cli_warnx(cli, "--since %s: not a duration, date or time", optarg);
				return EX_USAGE;
			}
			break;
		case 'r':
			if (cli_check_region_prefix(cli, optarg) != EX_OK)
				return EX_USAGE;
			ctx.region = optarg;
			break;
		case 'n':
			if (cli_parse_uint(optarg, UINT32_MAX, &ctx.limit) == -1 ||
			    ctx.limit == 0) {
				cli_warnx(cli, "--limit %s: not a positive number", optarg);
				return EX_USAGE;
			}
			break;
		case 'j':
			cli->json = 1;
			break;
		case 'H':
			ctx.held = 1;
			break;
		case 'S':
			if ((ctx.status = cli_parse_status(cli, optarg)) == -1)
				return EX_USAGE;
			nstatus++;
			break;
		case 'a':
			ctx.status = LIST_STATUS_ALL;
			nstatus++;
			break;
		case 'F':
			if ((rc = cli_set_format(cli, optarg, CLI_FMT_GEOJSON)) != EX_OK)
				return rc;
			break;
		default:
			return cli_usage(&cmd_list_entry);
		}
	}
	if (nstatus > 1) {
		cli_warnx(cli, "--status and --all go one at a time");
		return EX_USAGE;
	}
	if (optind != argc) {
		cli_warnx(cli, "unexpected argument '%s'", argv[optind]);
		return cli_usage(&cmd_list_entry);
	}
	if ((rc = cli_store(cli, 0, &st)) != EX_OK)
		return rc;
	cli_format_columns(cli, list_columns);
	rc = ctx.held ? list_held(&ctx, st, since, kind) : list_run(&ctx, st, since, kind);
	cli_copies_free(&ctx.chunk);
	if (rc != EX_OK)
		return rc;
	if (cli_emit_end(cli) == -1 || fflush(stdout) == EOF) {
		cli_warn(cli, "standard output");
		return EX_IOERR;
	}
	if (ctx.bad > 0) {
		cli_warnx(cli, "%d stored message%s did not validate and were left out", ctx.bad,
		    ctx.bad == 1 ? "" : "s");
		return EX_DATAERR;
	}
	return EX_OK;
}
