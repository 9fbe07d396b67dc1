/*
 * cmd_show.c: `fenghuo show ID`: every field of one message, whether it verifies, how this
 * node came by it, and the receipts and updates that refer to it.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include <jansson.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

static int	cmd_show_exec(struct cli *, int, char **);

const struct cmd_entry cmd_show_entry = {
	"show",
	"show ID [--json]",
	"Show the stored message ID (any unique prefix of 8 or more hex digits): every\n"
	"field, its verification status (signature and fields are checked again as read\n"
	"back), when and from which peer this node first saw it, and the receipts and\n"
	"updates that refer to it (stage, author, time).\n"
	"\n"
	"  --json   JSON Lines: the message (with \"verified\"), then one object per\n"
	"           message referring to it\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 65 unknown or ambiguous ID, or the stored\n"
	"message does not verify; 66 no store yet.\n",
	cmd_show_exec,
};

struct show_ctx {
	struct cli	*cli;
	uint64_t	 now;
	char		 region[32];	/* of a report: whose verifiers move its loop */
	const Fenghuo__Body *target;	/* of a warning: who may update or cancel it */
	int		 count;
	int		 bad;
	int		 ioerr;
};

static int
show_related(void *arg, const struct store_view *v)
{
	struct show_ctx *ctx = arg;
	const Fenghuo__Body *b;
	struct fc_msg msg;
	char sid[13], hex[FC_IDHEX], when[32];
	const char *what = "", *text = "", *kind, *name = NULL, *region;
	int counts;
	char who[160] = "";
	json_t *o;
	int reason;

	reason = cli_validate_stored(v->env, v->len, v->seen, &msg);
	if (reason != FC_R_OK) {
		cli_warnx(ctx->cli, "stored message %s does not validate: %s",
		    fc_hex(v->id, FC_IDBYTES, hex), fc_reason_name(reason));
		ctx->bad++;
		return 0;
	}
	b = msg.body;
	/*
	 * A loop receipt by a verifier of another region, or an update or cancel by an office
	 * without authority over the warning, is shown, and said not to count.
	 */
	if (b->receipt != NULL)
		counts = ctx->region[0] == '\0' ||
		    b->receipt->stage < FENGHUO__STAGE__REGISTERED ||
		    b->receipt->stage > FENGHUO__STAGE__CLOSED ||
		    cli_receipt_counts(ctx->cli, b, ctx->region);
	else if (b->warning != NULL && ctx->target != NULL)
		counts = cli_change_counts(ctx->cli, b, ctx->target);
	else
		counts = 1;
	if (ctx->cli->json) {
		if ((o = cli_msg_json(&msg, v->seen, ctx->now)) == NULL ||
		    (!counts && json_object_set_new(o, "counts", json_false()) == -1) ||
		    json_object_set_new(o, "verified", json_true()) == -1 ||
		    cli_json_out(ctx->cli, o) == -1)
			ctx->ioerr = 1;
		json_decref(o);
		fc_msg_clear(&msg);
		return ctx->ioerr;
	}
	if (ctx->count++ == 0)
		printf("\nreceipts and updates:\n");
	if (b->receipt != NULL) {
		what = wire_stage_name(b->receipt->stage);
		text = b->receipt->note;
	} else if (b->warning != NULL) {
		what = wire_msgtype_name(b->warning->msg_type);
		text = b->title;
	} else {
		text = b->title;
	}
	kind = wire_kind_name(b->kind);
	/* Who and where: the issuer reads off these lines which villages a warning reached. */
	if (ctx->cli->trust != NULL && b->author.len == FC_PUBLICKEYBYTES)
		name = cli_trust_key_name(ctx->cli->trust, b->author.data);
	region = b->region != NULL && b->region[0] != '\0' ? b->region : NULL;
	if (name != NULL && region != NULL)
		snprintf(who, sizeof(who), " (%s, %s)", name, region);
	else if (name != NULL || region != NULL)
		snprintf(who, sizeof(who), " (%s)", name != NULL ? name : region);
	fc_hex(b->author.data, b->author.len < 4 ? b->author.len : 4, hex);
	printf("  %s  %s  %-8s %-10s by %s", cli_short_id(msg.id, sid),
	    cli_fmt_time(v->seen->time_ms, when, sizeof(when)), kind != NULL ? kind : "?",
	    what != NULL ? what : "?", hex);
	/* The name, note and title come from other keys: each on this one line. */
	cli_cell(stdout, who, 0, 0);
	fputs("  ", stdout);
	cli_cell(stdout, text, 0, 0);
	printf("%s%s%s\n",
	    counts ? "" : b->receipt != NULL ?
	    " [not counted: its author is no verifier for " :
	    " [not counted: its author may not change this warning",
	    counts || b->receipt == NULL ? "" : ctx->region, counts ? "" : "]");
	fc_msg_clear(&msg);
	return 0;
}

/* Show what can be decoded of a stored message that does not validate. */
static int
show_invalid(struct cli *cli, const struct store_msg *m, int reason, uint64_t now)
{
	struct fc_msg raw;
	char hex[FC_IDHEX];
	json_t *o;

	memset(&raw, 0, sizeof(raw));
	memcpy(raw.id, m->id, FC_IDBYTES);
	raw.env = wire_envelope_unpack(m->env, m->len);
	if (raw.env != NULL && raw.env->has_body)
		raw.body = wire_body_unpack(raw.env->body.data, raw.env->body.len);
	if (cli->json) {
		if (raw.body != NULL)
			o = cli_msg_json(&raw, &m->seen, now);
		else
			o = json_pack("{ss}", "id", fc_hex(m->id, FC_IDBYTES, hex));
		if (o != NULL) {
			json_object_set_new(o, "verified", json_false());
			json_object_set_new(o, "reason", json_string(fc_reason_name(reason)));
			cli_json_out(cli, o);
			json_decref(o);
		}
	} else {
		if (raw.body != NULL)
			cli_msg_print(stdout, &raw, &m->seen, now);
		else
			printf("%-14s %s\n", "id", fc_hex(m->id, FC_IDBYTES, hex));
		printf("%-14s FAILED: %s (%s)\n", "verification", fc_reason_name(reason),
		    fc_reason_text(reason));
	}
	if (raw.body != NULL)
		fenghuo__body__free_unpacked(raw.body, NULL);
	if (raw.env != NULL)
		fenghuo__envelope__free_unpacked(raw.env, NULL);
	cli_warnx(cli, "stored message %s does not validate: %s: %s",
	    fc_hex(m->id, FC_IDBYTES, hex), fc_reason_name(reason), fc_reason_text(reason));
	return EX_DATAERR;
}

/*
 * 1 and *out filled (release with store_msg_clear) when prefix names exactly one held
 * message and no stored one; else 0.
 */
static int
show_held(struct cli *cli, const char *prefix, struct store_msg *out)
{
	struct cli_copies l;
	struct store *st;
	char hex[FC_IDHEX];
	size_t i, found = 0, at = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!fc_is_id_prefix(prefix) || cli_store(cli, 0, &st) != EX_OK)
		return 0;
	rc = store_get_prefix(st, prefix, out);
	if (rc != STORE_NOTFOUND) {
		store_msg_clear(out);
		return 0;
	}
	memset(&l, 0, sizeof(l));
	if (cli_held_load(cli, st, &l) != EX_OK)
		return 0;
	for (i = 0; i < l.n; i++) {
		fc_hex(l.items[i].id, FC_IDBYTES, hex);
		if (strncasecmp(hex, prefix, strlen(prefix)) == 0) {
			found++;
			at = i;
		}
	}
	if (found == 1) {
		memcpy(out->id, l.items[at].id, FC_IDBYTES);
		out->env = l.items[at].env;	/* taken over from the copy */
		out->len = l.items[at].len;
		out->seen = l.items[at].seen;
		l.items[at].env = NULL;
	}
	cli_copies_free(&l);
	return found == 1;
}

static int
cmd_show_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct show_ctx ctx;
	struct store_msg m;
	struct fc_msg msg;
	struct store *st;
	uint8_t by[FC_IDBYTES];
	char hex[FC_IDHEX];
	json_t *o;
	int ch, rc, reason, held = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cli = cli;
	ctx.now = cli_now_ms();
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			cli->json = 1;
			break;
		default:
			return cli_usage(&cmd_show_entry);
		}
	}
	if (optind + 1 != argc) {
		cli_warnx(cli, "one message ID is required");
		return cli_usage(&cmd_show_entry);
	}
	/* Not stored but held (imported, its author's chain unknown here): shown as such. */
	if (show_held(cli, argv[optind], &m) == 1)
		held = 1;
	else if ((rc = cli_resolve(cli, argv[optind], &m)) != EX_OK)
		return rc;
	/* Validate what we read back, as if a peer had sent it (STYLE 8). */
	reason = cli_validate_stored(m.env, m.len, &m.seen, &msg);
	if (reason != FC_R_OK) {
		rc = show_invalid(cli, &m, reason, ctx.now);
		store_msg_clear(&m);
		return rc;
	}
	cli_trust_mark(cli, &msg, ctx.now);
	if (held)
		msg.flags |= CLI_MSG_HELD;
	else if (cli_store(cli, 0, &st) == EX_OK)
		(void)cli_mark_changes(cli, st, &msg, by);
	if (cli->json) {
		o = cli_msg_json(&msg, &m.seen, ctx.now);
		if (o != NULL) {
			cli_trust_show(cli, &msg, ctx.now, o);	/* "trust": the chain */
			if (cli_store(cli, 0, &st) != EX_OK ||
			    cli_json_loop_stage(cli, o, st, &msg) == -1 ||
			    cli_json_changes(o, &msg, by) == -1)
				ctx.ioerr = 1;
		}
		if (o == NULL || ctx.ioerr || json_object_set_new(o, "verified", json_true()) == -1 ||
		    cli_json_out(cli, o) == -1)
			ctx.ioerr = 1;
		json_decref(o);
	} else {
		cli_msg_print(stdout, &msg, &m.seen, ctx.now);
		if (msg.flags & (CLI_MSG_CANCELLED | CLI_MSG_SUPERSEDED))
			printf("%-14s %s by %s\n", "status", (msg.flags & CLI_MSG_CANCELLED) ?
			    "[cancelled]" : "[superseded]", fc_hex(by, FC_IDBYTES, hex));
		printf("%-14s ok (signature and fields checked)\n", "verification");
		cli_trust_show(cli, &msg, ctx.now, NULL);	/* the author's chain */
	}
	if (msg.body->kind == FENGHUO__KIND__REPORT && msg.body->region != NULL)
		snprintf(ctx.region, sizeof(ctx.region), "%s", msg.body->region);
	if (msg.body->warning != NULL)
		ctx.target = msg.body;
	rc = EX_OK;
	if (!ctx.ioerr && (rc = cli_store(cli, 0, &st)) == EX_OK &&
	    (rc = store_iter_refs(st, m.id, show_related, &ctx)) != 0 && !ctx.ioerr) {
		rc = cli_store_failed(cli, rc);
	}
	fc_msg_clear(&msg);
	store_msg_clear(&m);
	if (ctx.ioerr) {
		cli_warn(cli, "standard output");
		return EX_IOERR;
	}
	if (rc != EX_OK)
		return rc;
	if (!cli->json && ctx.count == 0)
		printf("\nreceipts and updates: none\n");
	return ctx.bad > 0 ? EX_DATAERR : EX_OK;
}
