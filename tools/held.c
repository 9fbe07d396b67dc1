/*
 * held.c: the CLI's view of the held area (<state>/held, store/held.c): imported messages
 * that validated but whose author's certificate chain is not known here yet. They are not in
 * the store, so nothing counts them as in force or confirmed; `list --held`, `status` and
 * `duty` show them marked [held]; an import without a daemon stores those whose chain has
 * arrived since (cli_held_release, through the ingest).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

struct held_collect {
	struct cli		*cli;
	struct store		*st;	/* NULL: no store yet, nothing is stored */
	struct cli_copies	*out;
	uint64_t		 now;
	int			 nomem;
};

static int
held_collect_one(void *arg, const uint8_t id[FC_IDBYTES], const uint8_t *env, size_t len,
    uint64_t held_ms)
{
	struct held_collect *hc = arg;
	struct store_seen seen;
	struct store_view v;
	struct fc_msg msg;

	/* Stored since (the daemon released it): not held any more. */
	if (hc->st != NULL && store_has(hc->st, id) == 1)
		return 0;
	/* Judged as at arrival: with the clock of when it was first held. */
	if (fc_validate(env, len, held_ms, held_ms, &msg) != FC_R_OK)
		return 0;
	if (memcmp(msg.id, id, FC_IDBYTES) != 0) {
		fc_msg_clear(&msg);
		return 0;
	}
	memset(&seen, 0, sizeof(seen));
	seen.first_seen_ms = held_ms;
	seen.created_ms = msg.body->created_ms;
	seen.time_ms = fc_msg_time(&msg, held_ms);
	seen.flags = msg.flags;
	seen.kind = msg.body->kind;
	fc_msg_clear(&msg);
	v.id = id;
	v.env = env;
	v.len = len;
	v.seen = &seen;
	if (cli_copies_add(hc->out, &v) == -1) {
		hc->nomem = 1;
		return 1;
	}
	return 0;
}

int
cli_held_load(struct cli *cli, struct store *st, struct cli_copies *out)
{
	struct held_collect hc = { cli, st, out, cli_now_ms(), 0 };
	int rc;

	rc = store_held_iter(cli->state, hc.now, held_collect_one, &hc);
	if (hc.nomem) {
		cli_warnx(cli, "out of memory");
		return EX_OSERR;
	}
	if (rc != 0) {
		cli_warnx(cli, "cannot read the held messages in %s/held: %s", cli->state,
		    store_strerror(rc));
		return EX_IOERR;
	}
	return EX_OK;
}

size_t
cli_held_count(struct cli *cli, struct store *st)
{
	struct cli_copies l;
	size_t n;

	memset(&l, 0, sizeof(l));
	if (cli_held_load(cli, st, &l) != EX_OK)
		return 0;
	n = l.n;
	cli_copies_free(&l);
	return n;
}
