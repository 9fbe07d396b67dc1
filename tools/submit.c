/*
 * submit.c: how the CLI hands new messages over for storage and sending.
 *
 * DESIGN decision 8, one writer: when fenghuod runs on this state directory, every new
 * message goes through its control socket ("submit"), so that the daemon stores it, counts
 * it and sends it on at once; its reply comes after the commit, so an answer is an
 * acknowledgement. With no daemon the CLI writes directly into the store (LMDB serialises
 * writers, and fenghuod sends such messages on when it starts). Imports take their own way
 * (cmd_import.c): many envelopes per control request, judged as a peer's messages.
 */
#include <errno.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "store.h"
#include "fenghuo.h"

int
cli_submit_batch(struct cli *cli, struct store_put *items, size_t n)
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
	return cli_store_batch(cli, items, n, 0);
}

int
cli_store_batch(struct cli *cli, struct store_put *items, size_t n, int outside)
{
	struct store *st;
	size_t i, held = SIZE_MAX;
	int rc;

	if ((rc = cli_store(cli, 1, &st)) != EX_OK)
		return rc;
	cli->hold_outside = outside;
	cli_trust_attach(cli, st);
	rc = store_put_batch(st, items, n, cli_now_ms());
	store_set_policy(st, NULL, NULL);
	cli->hold_outside = 0;
	if (rc != 0) {
		/* The hook may have recorded CERTs that were not stored after all. */
		cli_trust_forget(cli);
		cli_warnx(cli, "cannot write to the store in %s: %s", cli->state,
		    store_strerror(rc));
		return rc == EACCES || rc == EPERM ? EX_NOPERM : EX_IOERR;
	}
	/* Held from outside: into the held area, where the daemon and later imports look. */
	for (i = 0; i < n; i++) {
		if (items[i].status != STORE_HELD)
			continue;
		rc = store_held_put(cli->state, items[i].id, items[i].env, items[i].len, &held);
		if (rc == STORE_EHELDFULL) {
			/* Held, not kept: counted, and said once at the end of the import. */
			cli->held_unkept++;
			continue;
		}
		if (rc != 0) {
			cli_warnx(cli, "cannot keep a held message in %s/held: %s", cli->state,
			    store_strerror(rc));
			return rc == EACCES || rc == EPERM ? EX_NOPERM : EX_IOERR;
		}
	}
	return EX_OK;
}

int
cli_submit(struct cli *cli, const uint8_t *env, size_t len, struct store_put *result)
{
	memset(result, 0, sizeof(*result));
	result->env = env;
	result->len = len;
	result->from = NULL;	/* written locally */
	result->hops = 0;
	return cli_submit_batch(cli, result, 1);
}
