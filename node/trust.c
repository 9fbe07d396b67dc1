/*
 * trust.c: the daemon's ingest (ingest/), the one way a message enters its store.
 *
 * Opened at start with the trust configuration: the anchors of [trust] and of the file
 * <state>/anchors that `fenghuo init-county` writes, then every CERT and REVOKE in the store
 * (the ingest reads them back as if a peer had sent them, STYLE 8). Every path that brings a
 * message in (peer PUSH, WANT answers and reconciliation, control-socket submit and import,
 * the node's own receipts and announcements) gathers it with gossip_add() for the pass's one
 * commit (gossip.c). The author rate limits and the store quota of limits.c are the
 * ingest's admission step, after dedupe and before the signature check.
 *
 * Imported messages held for their certificate are kept in the held area <state>/held by
 * the ingest; at start they are gathered again for the first commit: stored now if their
 * chain has arrived meanwhile, held in memory again if not.
 *
 * With [trust] open = yes the ingest has no policy: every valid message is accepted.
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

int
trust_start(struct node *n)
{
	struct conf *c = n->conf;
	struct ingest_conf ic;
	char err[512];
	size_t held = 0;
	int rc;

	memset(&ic, 0, sizeof(ic));
	ic.state = c->state;
	ic.anchors = (const uint8_t (*)[FC_PUBLICKEYBYTES])c->anchors;
	ic.nanchors = c->nanchors;
	ic.open = c->trust_open;
	ic.need_anchor = 1;
	ic.held_max = c->held_max;
	ic.held_bytes = c->held_bytes;
	ic.held_ttl_ms = CONF_HELD_TTL_MS;
	ic.batch_max = NODE_PEND_MAX;
	ic.batch_bytes = NODE_PEND_BYTES;
	if (c->trust_open)
		log_warnx("trust: open mode, any signed message is accepted — for tests and labs "
		    "only");
	if ((rc = ingest_open(n->store, &ic, &n->ingest, err, sizeof(err))) != 0) {
		if (rc == INGEST_ENOANCHOR)
			log_warnx("trust: no trust anchor: set [trust] anchors = HEX in %s or put "
			    "the county root public key in %s/anchors (fenghuo init-county writes "
			    "it); [trust] open = yes runs without a policy, for tests and labs only",
			    c->path, c->state);
		else
			log_warnx("trust: %s", err);
		return -1;
	}
	ingest_set_admit(n->ingest, limits_admit, n);
	if (!c->trust_open) {
		const struct fc_trust *t = ingest_trust(n->ingest);
		struct ingest_stats is;

		ingest_stats(n->ingest, &is);
		log_info("trust: %zu anchor(s), %zu certificate(s) and %zu revocation(s) from the "
		    "store", is.anchors, fc_trust_grant_count(t), fc_trust_revocation_count(t));
	}
	if ((rc = ingest_load_held(n->ingest, now_wall(), &held)) != 0)
		log_warnx("cannot read the held imported messages in %s/held: %s", c->state,
		    ingest_strerror(rc));
	if (held > 0)
		log_info("%zu imported message(s) waiting for a certificate: checked again",
		    held);
	return 0;
}

void
trust_stop(struct node *n)
{
	ingest_close(&n->ingest);
}

void
trust_cron(struct node *n, uint64_t now_wall_ms)
{
	size_t k;

	if (n->ingest != NULL && (k = ingest_cron(n->ingest, now_wall_ms)) > 0)
		log_info("trust: %zu held message(s) expired without their certificate", k);
}
