/*
 * limits.c: the [limits] section at work (docs/CONFIG.md; config.c parses it): the per-peer
 * frame rate limit, the per-author message rate limit, and the store quota with
 * its eviction timer. The token buckets and the bounded table of them are bucket.c's (pure,
 * tested alone); this file wires them into struct node.
 *
 * Rate limits: every frame from a peer takes a token from the peer's bucket first, before
 * it is decoded; frames beyond it are dropped and counted. A new message from a peer takes
 * a token from its author's bucket before its signature is checked (the ingest's admission
 * step, after dedupe: a duplicate costs no token), and is dropped (counted, not stored) when
 * there is none; a message that is then not stored as new (rejected: a forged signature,
 * say; held) gives its token back, so that
 * messages merely claiming somebody's key cannot use up that author's allowance.
 * Warnings, CERT and REVOKE are never limited by author: only certified issuers and admins
 * may sign them (the trust policy checks), they are rare, and dropping a genuine warning is
 * the one loss a county office cannot accept; an issuer key that misbehaves is revoked, not
 * throttled. The per-peer frame limit still bounds what any peer can make us decode.
 * Messages submitted on the control socket (the node's own operator) are not limited.
 *
 * Store quota ([limits] store_max_bytes): a timer runs store_evict() (store/evict.c), which
 * removes expired messages only, never CERT or REVOKE; while the store is still too large,
 * new reports and receipts from peers are dropped and counted, warnings, CERT and REVOKE are
 * still taken, and so is what the operator submits. Evicted messages that peers offer again
 * are rejected as expired by validation, so eviction does not fight reconciliation.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "node.h"

#define LIMITS_QUOTA_MS		10000	/* check the store quota this often */
#define LIMITS_EVICT_MAX	10000	/* messages removed in one write transaction */

/* ---- the author table ---------------------------------------------------------------- */

int
limits_open(struct node *n)
{
	const struct conf_limits *l = &n->conf->limits;

	if ((n->author_lim = bucket_table_new(l->authors_max, &l->author)) == NULL) {
		log_warnx("out of memory");
		return -1;
	}
	return 0;
}

void
limits_close(struct node *n)
{
	bucket_table_free(&n->author_lim);
}

int
limits_reload(struct node *n, const struct conf *oc, const struct conf *nc)
{
	struct bucket_table *t;
	size_t i;

	if (nc->limits.authors_max != oc->limits.authors_max) {
		if ((t = bucket_table_new(nc->limits.authors_max, &nc->limits.author)) == NULL)
			return -1;
		bucket_table_free(&n->author_lim);
		n->author_lim = t;
	} else
		bucket_table_set_rate(n->author_lim, &nc->limits.author);
	for (i = 0; i < n->npeers; i++) {
		n->peers[i]->q.max_items = nc->limits.queue_items;
		n->peers[i]->q.max_bytes = nc->limits.queue_bytes;
	}
	return 0;
}

/* ---- store quota --------------------------------------------------------------------- */

/*
 * The store quota ([limits] store_max_bytes): every LIMITS_QUOTA_MS, store_evict() removes
 * expired messages (never CERT, REVOKE or anything unexpired) until the store fits; while it
 * still does not, new reports and receipts from peers are refused (limits_author_admit()).
 */
void
limits_cron(struct node *n, uint64_t now)
{
	struct store_evict_stats s;
	uint64_t max = n->conf->limits.store_max_bytes;
	int rc, was = n->store_over;

	if (max == 0 || now < n->quota_next)
		return;
	n->quota_next = now + LIMITS_QUOTA_MS;
	if ((rc = store_evict(n->store, now_wall(), max, LIMITS_EVICT_MAX, &s)) != 0) {
		log_warnx("store quota: %s", store_strerror(rc));
		return;
	}
	n->store_evicted += s.evicted;
	n->store_over = s.over;
	if (s.evicted > 0)
		log_info("store quota: removed %llu expired message(s), %llu of %llu bytes used",
		    (unsigned long long)s.evicted, (unsigned long long)s.bytes_after,
		    (unsigned long long)max);
	if (s.over && !was)
		log_warnx("store quota: %llu bytes used, over store_max_bytes = %llu and nothing "
		    "more has expired: refusing new reports and receipts from peers (warnings, "
		    "CERT and REVOKE are still taken)", (unsigned long long)s.bytes_after,
		    (unsigned long long)max);
	else if (!s.over && was)
		log_info("store quota: back within store_max_bytes, taking everything again");
}

/* ---- rate limits --------------------------------------------------------------------- */

int
limits_peer_frame(struct node *n, struct peer *p)
{
	const struct bucket_rate *r = &n->conf->limits.peer;
	uint64_t now = now_mono();

	if (!p->rate_init) {
		bucket_init(&p->rate, r, now);
		p->rate_init = 1;
	}
	if (bucket_take(&p->rate, r, now, 1))
		return 1;
	p->rate_dropped++;
	n->drop_peer_rate++;
	if (log_limit_ok(&p->rate_log, now, NULL))
		log_warnx("peer %s: over its frame rate limit (%u/s, burst %u), dropping frames "
		    "(%llu so far)", peer_label(p), r->per_sec, r->burst,
		    (unsigned long long)p->rate_dropped);
	return 0;
}

static int
author_exempt(int kind)
{
	return kind == FENGHUO__KIND__WARNING || kind == FENGHUO__KIND__CERT ||
	    kind == FENGHUO__KIND__REVOKE;
}

int
limits_admit(void *arg, const struct ingest_src *src, const struct fc_msg *msg)
{
	struct node *n = arg;
	const Fenghuo__Body *body = msg->body;
	const struct bucket_rate *r;
	struct bucket *b;
	uint64_t now;

	/* What this node's operator submits is not limited; only a peer's messages are. */
	if (src->origin != INGEST_PEER)
		return INGEST_ADMIT;
	r = n->author_lim != NULL ? bucket_table_rate(n->author_lim) : NULL;
	if ((r == NULL || r->per_sec == 0) && !n->store_over)
		return INGEST_ADMIT;
	/* Without an author it fails its check anyway. */
	if (!body->has_author || body->author.len != FC_PUBLICKEYBYTES ||
	    author_exempt(body->has_kind ? (int)body->kind : 0))
		return INGEST_ADMIT;
	if (n->store_over) {
		n->drop_store_quota++;
		return INGEST_ADMIT_REFUSE;
	}
	if (r == NULL || r->per_sec == 0)
		return INGEST_ADMIT;
	now = now_mono();
	b = bucket_table_get(n->author_lim, body->author.data, now, NULL);
	if (bucket_take(b, r, now, 1))
		return INGEST_ADMIT_CHARGED;
	n->drop_author_rate++;
	return INGEST_ADMIT_REFUSE;
}

void
limits_author_refund(struct node *n, const uint8_t author[FC_PUBLICKEYBYTES])
{
	const struct bucket_rate *r;
	struct bucket *b;
	int created;

	if (n->author_lim == NULL || (r = bucket_table_rate(n->author_lim))->per_sec == 0)
		return;
	/*
	 * Rejected (a forged signature, say) or held: the token goes back, so that messages
	 * merely claiming an author cannot use up its allowance. A bucket evicted meanwhile
	 * comes back full anyway.
	 */
	b = bucket_table_get(n->author_lim, author, now_mono(), &created);
	if (created)
		return;
	b->milli += 1000;
	if (b->milli > (uint64_t)r->burst * 1000)
		b->milli = (uint64_t)r->burst * 1000;
}

/* ---- status -------------------------------------------------------------------------- */

/* Every kind of drop is counted in one "drops" object, where the CLI looks for them. */
void
limits_status_json(struct node *n, struct json_t *o)
{
	uint64_t queue = 0, garbage = 0;
	size_t i;

	for (i = 0; i < n->npeers; i++) {
		queue += n->peers[i]->q.dropped;
		garbage += n->peers[i]->garbage;
	}
	json_object_set_new(o, "store_quota", json_pack("{s:I, s:b, s:I}",
	    "max_bytes", (json_int_t)n->conf->limits.store_max_bytes,
	    "over", n->store_over,
	    "evicted", (json_int_t)n->store_evicted));
	json_object_set_new(o, "drops", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "peer_rate", (json_int_t)n->drop_peer_rate,
	    "author_rate", (json_int_t)n->drop_author_rate,
	    "store_quota", (json_int_t)n->drop_store_quota,
	    "queue", (json_int_t)queue,
	    "garbage", (json_int_t)garbage,
	    "unknown_frames", (json_int_t)n->unknown_frames,
	    "batch_full", (json_int_t)n->pend_dropped));
}
