/*
 * deliver.c: delivery receipts (DESIGN decision 3, "a node's delivery acknowledgement of a
 * warning"). When a warning (an alert, an update or a cancel) that concerns this node's
 * region is stored here for the first time, the node signs a RECEIPT with stage DELIVERED
 * that refers to it and gossips it like any message, so that the issuing office sees which
 * townships and villages the warning reached (`fenghuo show ID`, `fenghuo duty`). The
 * receipt also says how the warning came: from which neighbour (an 8-byte key prefix),
 * after how many hops, how long after issue, over which kind of link (deliver_path, from
 * the warning's seen record here), so that the issuer draws the delivery tree from the
 * receipts alone (`fenghuo coverage --tree`).
 *
 * Receipts are noted while the batch that stored the warnings is being handed out and made
 * after it (gossip_commit owns the batch while it walks it); they join the next pass's
 * commit. A stop between the two commits delays the receipt, never loses it: at start the
 * node looks for warnings in force that it has not confirmed (deliver_start). A warning is
 * in force only when its author's chain is valid here; when new certificates arrive, the
 * node looks again (deliver_flush), so that a warning stored before its author's
 * certificate is confirmed once the certificate comes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

/*
 * 1 if a node of region `region` with key `self` confirms the warning whose body is b: an
 * alert, update or cancel (the issuer needs to know who was told that a warning changed or
 * ended as much as who was warned) by someone else, in force at now_ms, one of whose areas
 * is a prefix of the node's region (a county-wide warning concerns every village in it; a
 * village's warning does not concern its township).
 */
int
deliver_wanted(const Fenghuo__Body *b, const char *region, const uint8_t *self,
    uint64_t now_ms)
{
	const Fenghuo__Warning *w;
	size_t i, alen;

	if (b == NULL || (w = b->warning) == NULL || b->kind != FENGHUO__KIND__WARNING)
		return 0;
	if (region == NULL || region[0] == '\0')
		return 0;
	if (b->has_author && b->author.len == FC_PUBLICKEYBYTES &&
	    memcmp(b->author.data, self, FC_PUBLICKEYBYTES) == 0)
		return 0;
	/* Warnings carry a plausible time (validation refuses a skewed one): no skew here. */
	if (b->has_expires_ms && b->expires_ms != 0 && b->expires_ms <= now_ms)
		return 0;
	for (i = 0; i < w->n_area; i++) {
		if (w->area[i] == NULL || (alen = strlen(w->area[i])) == 0)
			continue;
		if (strncmp(region, w->area[i], alen) == 0)
			return 1;
	}
	return 0;
}

/*
 * The body of a stored envelope, decoded only: it was validated when it was stored, so no
 * second signature check. NULL if it does not decode. Free with fenghuo__body__free_unpacked.
 */
static Fenghuo__Body *
stored_body(const uint8_t *env, size_t len)
{
	const uint8_t *body, *sig;
	size_t bodylen, siglen;

	if (fc_envelope_split(env, len, &body, &bodylen, &sig, &siglen) != 0)
		return NULL;
	return wire_body_unpack(body, bodylen);
}

/* Add id (seen record seen) to the warnings to confirm after this pass's commit. */
static void
deliver_queue(struct node *n, const uint8_t id[FC_IDBYTES], const struct store_seen *seen)
{
	struct deliver_item *ids;
	size_t cap, i;

	/* Noted on arrival and found again by a rescan in the same pass: one receipt. */
	for (i = 0; i < n->ndeliver; i++)
		if (memcmp(n->deliver[i].id, id, FC_IDBYTES) == 0)
			return;
	if (n->ndeliver == n->deliver_cap) {
		if (n->deliver_cap >= NODE_PEND_MAX) {
			n->deliver_dropped++;
			return;
		}
		cap = n->deliver_cap == 0 ? 16 : n->deliver_cap * 2;
		if ((ids = reallocarray(n->deliver, cap, sizeof(*ids))) == NULL) {
			n->deliver_dropped++;
			return;
		}
		n->deliver = ids;
		n->deliver_cap = cap;
	}
	memcpy(n->deliver[n->ndeliver].id, id, FC_IDBYTES);
	n->deliver[n->ndeliver++].seen = *seen;
}

void
deliver_path(struct node *n, const struct store_seen *seen, Fenghuo__Receipt *r,
    uint8_t via[WIRE_VIA_BYTES])
{
	struct peer *p;

	r->has_hops = 1;
	r->hops = seen->hops;
	r->has_delay_ms = 1;
	r->delay_ms = seen->first_seen_ms > seen->created_ms ?
	    seen->first_seen_ms - seen->created_ms : 0;
	if (!seen->has_from)
		return;
	memcpy(via, seen->from, WIRE_VIA_BYTES);
	r->has_via = 1;
	r->via.data = via;
	r->via.len = WIRE_VIA_BYTES;
	/* The peer that brought it may have gone since (a px link reaped): then not known. */
	if ((p = peer_find_key(n, seen->from)) != NULL) {
		r->has_link = 1;
		r->link = peer_link_kind(p);
	}
}

/* Sign one DELIVERED receipt for the warning of item and gather it for the next commit. */
static int
deliver_publish(struct node *n, const struct deliver_item *item, uint64_t now)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Receipt r = FENGHUO__RECEIPT__INIT;
	ProtobufCBinaryData ref;
	uint8_t via[WIRE_VIA_BYTES];

	r.has_stage = 1;
	r.stage = FENGHUO__STAGE__DELIVERED;
	/* How the warning came here: the issuer draws the delivery tree from receipts alone. */
	deliver_path(n, &item->seen, &r, via);
	ref.data = (uint8_t *)(uintptr_t)item->id;
	ref.len = FC_IDBYTES;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__RECEIPT;
	/* Its region (set by node_publish) is where it was delivered: the issuer reads the
	 * villages off the receipts. No expiry: a record of who was told. */
	b.n_refs = 1;
	b.refs = &ref;
	b.receipt = &r;
	return node_publish(n, &b, now);
}

static int	deliver_scan(struct node *n);

void
deliver_flush(struct node *n)
{
	uint64_t now = now_wall();
	size_t i, grants;
	int rc;

	/*
	 * New certificates since the last look: a stored warning whose chain was not known (a
	 * local submission before its author's certificate) may be in force now. Receipts
	 * made by earlier flushes were committed before this one, and a warning noted in this
	 * commit is queued once (deliver_queue), so no warning is confirmed twice.
	 */
	if (n->conf->confirm_warnings && ingest_trust(n->ingest) != NULL &&
	    (grants = fc_trust_grant_count(ingest_trust(n->ingest))) != n->deliver_grants) {
		n->deliver_grants = grants;
		(void)deliver_scan(n);
	}
	for (i = 0; i < n->ndeliver; i++) {
		if ((rc = deliver_publish(n, &n->deliver[i], now)) != 0) {
			log_warnx("cannot make a delivery receipt: %s",
			    rc == E2BIG ? "this pass's batch is full" : fc_strerror(rc));
			n->deliver_dropped++;
		} else
			n->delivered++;
	}
	n->ndeliver = 0;
}

void
deliver_free(struct node *n)
{
	free(n->deliver);
	n->deliver = NULL;
	n->ndeliver = n->deliver_cap = 0;
}

struct deliver_scan {
	struct node	*n;
	uint64_t	 now;
	int		 err;
};

/* What a stored warning's refs are searched with at start. */
struct deliver_refs {
	const uint8_t		*self;
	const struct fc_trust	*trust;		/* NULL in open mode */
	const Fenghuo__Body	*target;	/* the warning */
};

/*
 * store_iter_refs_of callback, over this node's receipts of the warning and the warnings
 * that refer to it: stop (1) at a DELIVERED receipt by this node, or at a CANCEL of the
 * warning by someone who may cancel it (nothing left to confirm).
 */
static int
confirmed_or_cancelled(void *arg, const struct store_view *v)
{
	const struct deliver_refs *dr = arg;
	Fenghuo__Body *b;
	int stop;

	if ((v->seen->kind != FENGHUO__KIND__RECEIPT && v->seen->kind != FENGHUO__KIND__WARNING) ||
	    (b = stored_body(v->env, v->len)) == NULL)
		return 0;
	stop = (b->receipt != NULL && b->receipt->stage == FENGHUO__STAGE__DELIVERED &&
	    b->has_author && b->author.len == FC_PUBLICKEYBYTES &&
	    memcmp(b->author.data, dr->self, FC_PUBLICKEYBYTES) == 0) ||
	    (b->warning != NULL && b->warning->msg_type == FENGHUO__MSG_TYPE__CANCEL &&
	    fc_policy_may_change(dr->trust, b, dr->target));
	fenghuo__body__free_unpacked(b, NULL);
	return stop;
}

/*
 * Queue the stored warning id (envelope env) for a receipt if it concerns this node, is in
 * force at now, its author's chain is valid here (the trust policy accepts it now), and
 * neither a receipt of this node's nor a cancel by someone who may cancel it refers to it
 * (gossip does not preserve order: the cancel may have come first). 0, or a store error.
 */
static int
consider_body(struct node *n, const uint8_t *id, const Fenghuo__Body *b,
    const struct store_seen *seen, uint64_t now)
{
	const struct fc_trust *trust = ingest_trust(n->ingest);
	struct deliver_refs dr = { fc_key_public(n->key), trust, NULL };
	struct fc_policy_verdict v;
	struct fc_msg m;
	int rc;

	if (!deliver_wanted(b, n->conf->region, dr.self, now))
		return 0;
	/*
	 * Only a warning whose chain is valid here is confirmed: one stored without (a local
	 * submission before its author's certificate came) or rejected since is not in force.
	 * The policy reads the body only; a stored warning is never clock-skewed.
	 */
	if (trust != NULL) {
		memset(&m, 0, sizeof(m));
		m.body = (Fenghuo__Body *)(uintptr_t)b;
		if (fc_policy_check(trust, &m, now, &v) != FC_POLICY_ACCEPT)
			return 0;
	}
	dr.target = b;
	/*
	 * Of a warning's receipts (one from every node it reached) only this node's own, and
	 * every warning that refers to it (a cancel, or an update): the store seeks to each
	 * range and reads nothing else, neither the other receipts nor their index entries.
	 */
	rc = store_iter_refs_of(n->store, id, FENGHUO__KIND__RECEIPT, dr.self,
	    confirmed_or_cancelled, &dr);
	if (rc == 0)
		rc = store_iter_refs_of(n->store, id, FENGHUO__KIND__WARNING, NULL,
		    confirmed_or_cancelled, &dr);
	if (rc == 1)
		return 0;	/* confirmed already, or cancelled */
	if (rc == 0)
		deliver_queue(n, id, seen);
	return rc;
}

/* consider_body() for a stored message. */
static int
consider(struct node *n, const struct store_view *v, uint64_t now)
{
	Fenghuo__Body *b;
	int rc;

	if ((b = stored_body(v->env, v->len)) == NULL)
		return 0;
	rc = consider_body(n, v->id, b, v->seen, now);
	fenghuo__body__free_unpacked(b, NULL);
	return rc;
}

void
deliver_note(struct node *n, const struct fc_msg *msg, const struct ingest_src *src,
    uint64_t first_seen_ms)
{
	struct store_seen seen;
	int rc;

	if (!n->conf->confirm_warnings)
		return;
	/* The seen record the commit has just written, without reading it back. */
	memset(&seen, 0, sizeof(seen));
	seen.first_seen_ms = first_seen_ms;
	seen.created_ms = msg->body->created_ms;
	seen.hops = src->hops;
	if (src->from != NULL) {
		memcpy(seen.from, src->from, FC_PUBLICKEYBYTES);
		seen.has_from = 1;
	}
	if ((rc = consider_body(n, msg->id, msg->body, &seen, first_seen_ms)) != 0)
		log_warnx("cannot read the refs of a new warning: %s", store_strerror(rc));
}

/* store_iter_time callback over stored warnings: note those still to confirm. */
static int
scan_warning(void *arg, const struct store_view *v)
{
	struct deliver_scan *sc = arg;

	if ((sc->err = consider(sc->n, v, sc->now)) != 0)
		return 1;
	return 0;
}

/*
 * Queue every stored warning of the last DELIVER_SCAN_MS still to confirm (consider()). 0, or
 * -1 (logged, nothing queued) when the store cannot be read.
 */
static int
deliver_scan(struct node *n)
{
	struct deliver_scan sc = { n, now_wall(), 0 };
	uint64_t since;
	int rc;

	since = sc.now > DELIVER_SCAN_MS ? sc.now - DELIVER_SCAN_MS : 0;
	rc = store_iter_time(n->store, since, 0, FENGHUO__KIND__WARNING, 0, scan_warning, &sc);
	if (rc != 0 && sc.err == 0)
		sc.err = rc;
	if (sc.err != 0) {
		log_warnx("cannot look for unconfirmed warnings: %s", store_strerror(sc.err));
		n->ndeliver = 0;
		return -1;
	}
	return 0;
}

int
deliver_start(struct node *n)
{
	if (!n->conf->confirm_warnings)
		return 0;
	/*
	 * Warnings stored but never confirmed: the node stopped between the warning's commit
	 * and its receipt's, or confirm_warnings was off, or they came on a USB bundle. Only
	 * those in force count; any older than DELIVER_SCAN_MS have long expired.
	 */
	if (deliver_scan(n) != 0)
		return -1;
	if (n->ndeliver > 0)
		log_info("confirming %zu warning(s) stored before without a delivery receipt",
		    n->ndeliver);
	/* The certificates known now are those this scan judged by. */
	n->deliver_grants = ingest_trust(n->ingest) != NULL ?
	    fc_trust_grant_count(ingest_trust(n->ingest)) : 0;
	deliver_flush(n);
	return 0;
}
