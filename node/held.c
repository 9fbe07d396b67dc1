/*
 * held.c: imported messages waiting for their author's certificate, across restarts.
 *
 * A bundle imported through the control socket ("import") is judged like a peer's messages:
 * one whose author's chain is not known here is held in memory (trust.c, struct fc_held),
 * not stored. A peer would offer it again after a restart (reconciliation); a USB stick
 * will not. So ctl.c also keeps each such message in the held area of the state directory
 * (store_held_put, store/held.c), where a CLI import without a daemon puts them too, and at
 * start the daemon takes them back: stored now if their chain has arrived meanwhile, held in
 * memory again if not, forgotten if the policy rejects them, they no longer validate, or
 * they are stored already (released from memory while the daemon ran: the file of a message
 * released then stays until this start-up pass, and the CLI does not show it as held).
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

struct held_load {
	struct node	*n;
	uint64_t	 now;
	size_t		 stored, held, dropped;
	uint8_t		(*accepted)[FC_IDBYTES];	/* gathered for the commit */
	size_t		 naccepted, cap;
};

/* Note an accepted id, so that its file goes once the commit has stored it. */
static void
accepted_add(struct held_load *hl, const uint8_t *id)
{
	uint8_t (*a)[FC_IDBYTES];
	size_t cap;

	if (hl->naccepted == hl->cap) {
		cap = hl->cap ? hl->cap * 2 : 64;
		if ((a = reallocarray(hl->accepted, cap, sizeof(*a))) == NULL)
			return;	/* its file goes at the next start instead */
		hl->accepted = a;
		hl->cap = cap;
	}
	memcpy(hl->accepted[hl->naccepted++], id, FC_IDBYTES);
}

/* store_held_fn: judge one held message at start. */
static int
held_one(void *arg, const uint8_t id[FC_IDBYTES], const uint8_t *env, size_t len,
    uint64_t held_ms)
{
	struct held_load *hl = arg;
	struct node *n = hl->n;
	struct fc_policy_verdict v;
	struct fc_msg msg;
	int rc;

	if (store_has(n->store, id) == 1 ||
	    fc_validate(env, len, hl->now, hl->now, &msg) != FC_R_OK) {
		(void)store_held_del(n->conf->state, id);
		hl->dropped++;
		return 0;
	}
	if (memcmp(msg.id, id, FC_IDBYTES) != 0) {
		/* Not what its name says: not ours to keep. */
		fc_msg_clear(&msg);
		(void)store_held_del(n->conf->state, id);
		hl->dropped++;
		return 0;
	}
	v.verdict = FC_POLICY_ACCEPT;
	if (n->trust != NULL)
		fc_policy_check(n->trust, &msg, hl->now, &v);
	fc_msg_clear(&msg);
	switch (v.verdict) {
	case FC_POLICY_HOLD:
		/* The file stays; memory holds it for release as a peer's would be. */
		if ((rc = fc_held_add(n->held, env, len, id, v.missing, held_ms)) == 0)
			hl->held++;
		break;
	case FC_POLICY_ACCEPT:
		/* Stored by the commit below; its file goes after it. */
		if (gossip_pending_full(n))
			gossip_commit(n);
		if (gossip_add(n, env, len, NULL, 0, NULL, 0) == 0) {
			hl->stored++;
			accepted_add(hl, id);
		}
		break;
	default:
		(void)store_held_del(n->conf->state, id);
		hl->dropped++;
		break;
	}
	return 0;
}

void
held_load(struct node *n)
{
	struct held_load hl;
	size_t i;
	int rc;

	memset(&hl, 0, sizeof(hl));
	hl.n = n;
	hl.now = now_wall();
	if ((rc = store_held_iter(n->conf->state, hl.now, held_one, &hl)) != 0)
		log_warnx("cannot read the held imported messages in %s/held: %s",
		    n->conf->state, store_strerror(rc));
	gossip_commit(n);
	/* Only what the commit did store leaves the held area (a full disk keeps the rest). */
	for (i = 0; i < hl.naccepted; i++)
		if (store_has(n->store, hl.accepted[i]) == 1)
			(void)store_held_del(n->conf->state, hl.accepted[i]);
	free(hl.accepted);
	if (hl.stored + hl.held + hl.dropped > 0)
		log_info("imported messages waiting for a certificate: %zu now stored, %zu still "
		    "held, %zu dropped (stored already, rejected or expired)", hl.stored, hl.held,
		    hl.dropped);
}

int
held_keep(struct node *n, const struct store_put *sp, size_t *count)
{
	char hex[FC_IDHEX];
	int rc;

	rc = store_held_put(n->conf->state, sp->id, sp->env, sp->len, count);
	/* A full area is said once per import by the caller. */
	if (rc != 0 && rc != STORE_EHELDFULL)
		log_warnx("cannot keep held imported message %.16s... in %s/held: %s (it is "
		    "held in memory until a restart)", fc_hex(sp->id, FC_IDBYTES, hex),
		    n->conf->state, store_strerror(rc));
	return rc;
}
