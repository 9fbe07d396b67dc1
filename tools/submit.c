/*
 * submit.c: how the CLI hands new messages over for storage and sending.
 *
 * DESIGN decision 8, one writer: when fenghuod runs on this state directory, every new
 * message goes through its control socket ("submit"), so that the daemon stores it, counts
 * it and sends it on at once; its reply comes after the commit, so an answer is an
 * acknowledgement. With no daemon the CLI writes directly into the store (LMDB serialises
 * writers, and fenghuod sends such messages on when it starts), through an ingest of its
 * own: the same steps and trust policy as in fenghuod (ingest/). Imports take their own way
 * (cmd_import.c): many envelopes per control request, judged as a peer's messages.
 */
#include <errno.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "store.h"
#include "ingest.h"
#include "fenghuo.h"

int
cli_submit_batch(struct cli *cli, struct cli_put *items, size_t n)
{
	struct cli_ctl *c;
	json_t *status;
	size_t i;
	int rc;

	if (n == 0)
		return EX_OK;
	rc = cli_daemon_status(cli, &c, &status);
	if (rc != EX_OK && rc != EX_UNAVAILABLE)
		return rc;	/* a daemon may run that we cannot reach: do not write around it */
	if (rc == EX_OK) {
		json_decref(status);
		/*
		 * One request at a time: each reply is the acknowledgement of one item. A
		 * failure part-way leaves the items before it stored (and acknowledged).
		 */
		for (i = 0, rc = EX_OK; i < n && rc == EX_OK; i++)
			rc = cli_ctl_submit(cli, c, &items[i]);
		cli_ctl_close(&c);
		return rc;
	}
	if (cli->daemon_only) {
		cli_warnx(cli, "fenghuod is not running: nothing was stored");
		return EX_UNAVAILABLE;
	}
	return cli_store_batch(cli, items, n, 0);
}

/* Held in memory by a direct write: as many as the held area keeps, for as long. */
#define CLI_HELD_BYTES		(64u * 1024 * 1024)

/* The ingest of direct writes, opened on the writable store at first use. */
static int
cli_ingest(struct cli *cli, struct ingest **out)
{
	struct ingest_conf ic;
	struct store *st;
	char err[512];
	int rc;

	*out = NULL;
	if ((rc = cli_store(cli, 1, &st)) != EX_OK)
		return rc;
	if (cli->ingest == NULL) {
		memset(&ic, 0, sizeof(ic));
		ic.state = cli->state;
		ic.held_max = STORE_HELD_MAX;
		ic.held_bytes = CLI_HELD_BYTES;
		ic.held_ttl_ms = STORE_HELD_TTL_MS;
		/* No anchors here: nothing to judge by, every valid message is taken. */
		ic.need_anchor = 0;
		if ((rc = ingest_open(st, &ic, &cli->ingest, err, sizeof(err))) != 0) {
			cli_warnx(cli, "%s", err);
			return rc == ENOMEM ? EX_OSERR : rc == INGEST_EANCHORS ? EX_CONFIG :
			    EX_IOERR;
		}
	}
	*out = cli->ingest;
	return EX_OK;
}

struct direct {
	struct cli	*cli;
	struct cli_put	*items;
	int		 keep_err;	/* a held message could not be kept (not: full) */
};

static void
direct_result(void *arg, const struct ingest_result *r)
{
	struct direct *d = arg;
	struct cli_put *p;

	if (r->src->tag == 0) {
		/* Released by a certificate of this run, or from the held area. */
		if (r->status == INGEST_NEW)
			d->cli->released++;
		else if (r->status == INGEST_REJECTED && r->src->origin == INGEST_IMPORT)
			d->cli->held_dropped++;
		return;
	}
	p = &d->items[r->src->tag - 1];
	p->status = r->status == INGEST_FAILED ? 0 : r->status;
	p->reason = r->reason;
	p->policy_reason = r->policy_reason;
	if (r->has_id)
		memcpy(p->id, r->id, FC_IDBYTES);
	if (r->status == INGEST_HELD && !r->held_kept && r->src->origin == INGEST_IMPORT) {
		/* Held, not kept: counted, and said once at the end of the import. */
		if (r->held_error == STORE_EHELDFULL)
			d->cli->held_unkept++;
		else
			d->keep_err = r->held_error;
	}
}

/* Commit until nothing is pending (certificates release held messages for another). */
static int
direct_commit(struct cli *cli, struct ingest *ig, struct direct *d)
{
	int rc = 0, rounds;

	for (rounds = 0; rc == 0 && ingest_pending(ig) > 0 && rounds < 64; rounds++)
		rc = ingest_commit(ig, cli_now_ms(), direct_result, d);
	/* What the CLI shows next judges by the store as it is now. */
	cli_trust_forget(cli);
	if (rc != 0) {
		cli_warnx(cli, "cannot write to the store in %s: %s", cli->state,
		    ingest_strerror(rc));
		return rc == EACCES || rc == EPERM ? EX_NOPERM : EX_IOERR;
	}
	if (d->keep_err != 0) {
		cli_warnx(cli, "cannot keep a held message in %s/held: %s", cli->state,
		    store_strerror(d->keep_err));
		return d->keep_err == EACCES || d->keep_err == EPERM ? EX_NOPERM : EX_IOERR;
	}
	return EX_OK;
}

int
cli_store_batch(struct cli *cli, struct cli_put *items, size_t n, int outside)
{
	struct direct d = { cli, items, 0 };
	struct ingest_src src = { outside ? INGEST_IMPORT : INGEST_LOCAL, NULL, 0, 0 };
	struct ingest *ig;
	size_t i;
	int rc;

	if ((rc = cli_ingest(cli, &ig)) != EX_OK)
		return rc;
	for (i = 0; i < n; i++) {
		items[i].status = 0;
		src.tag = i + 1;
		if ((rc = ingest_add(ig, items[i].env, items[i].len, &src)) != 0) {
			cli_warnx(cli, "%s", ingest_strerror(rc));
			return EX_OSERR;
		}
	}
	return direct_commit(cli, ig, &d);
}

int
cli_held_release(struct cli *cli)
{
	struct direct d = { cli, NULL, 0 };
	struct ingest *ig;
	size_t n;
	int rc;

	if ((rc = cli_ingest(cli, &ig)) != EX_OK)
		return rc;
	if ((rc = ingest_load_held(ig, cli_now_ms(), &n)) != 0) {
		cli_warnx(cli, "cannot read the held messages in %s/held: %s", cli->state,
		    ingest_strerror(rc));
		return EX_IOERR;
	}
	return direct_commit(cli, ig, &d);
}

int
cli_submit(struct cli *cli, const uint8_t *env, size_t len, struct cli_put *result)
{
	memset(result, 0, sizeof(*result));
	result->env = env;
	result->len = len;
	return cli_submit_batch(cli, result, 1);
}
