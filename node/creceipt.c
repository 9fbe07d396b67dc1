/*
 * creceipt.c: compact DELIVERED receipts on stream links (docs/PROTOCOL.md §5, Compact
 * receipts).
 *
 * A hundred villages confirming one warning over a 2,400 bit/s radio pay for a hundred
 * receipts of some 180 bytes each; most of those bytes are things the receiving end knows
 * already (whole keys and ids, fixed fields). Between two stream peers that both announce
 * CAP_COMPACT_RECEIPTS, a DELIVERED receipt in fenghuod's own form travels as a record
 * (proto/creceipt.c): 8-byte prefixes of its author and warning, its created time as an
 * offset, its path fields and its signature. The receiver looks the prefixes up (the warning
 * in its store, the author among the keys it knows), rebuilds the author's envelope byte for
 * byte and hands it to the ingest like any envelope from that peer: dedupe, validation with
 * the signature, trust policy, store, forward. What it cannot rebuild (a prefix that matches
 * nothing or several, a warning it does not hold, a signature that then fails) is dropped,
 * counted and logged once a minute, and reconciliation brings the envelope whole later
 * (only new receipts pushed go as records; WANT answers and reconciliation send envelopes).
 *
 * The sender only sends a record that it has rebuilt itself into the very bytes it holds
 * (wire_creceipt_make), so the stored and forwarded bytes are always the author's envelope
 * and the id is unchanged (DESIGN decision 1).
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

int
creceipt_use(const struct peer *p)
{
	return p->creceipts && peer_stream(p) != NULL;
}

const char *
creceipt_scope(const struct fc_trust *t, const uint8_t key[FC_PUBLICKEYBYTES])
{
	const struct fc_grant *g;
	const char *scope = NULL;
	size_t i, n;

	if (t == NULL)
		return NULL;
	n = fc_trust_grant_count(t);
	for (i = 0; i < n; i++) {
		if ((g = fc_trust_grant(t, i)) == NULL ||
		    memcmp(g->subject, key, FC_PUBLICKEYBYTES) != 0 ||
		    (g->roles & FC_ROLE_BIT(FENGHUO__ROLE__NODE)) == 0)
			continue;
		if (scope != NULL && strcmp(scope, g->scope) != 0)
			return NULL;	/* two regions: the record cannot say which */
		scope = g->scope;
	}
	return scope;
}

/* A stored warning's created time by its whole id: 0, or -1 when it is not a stored warning. */
static int
warning_created(struct store *st, const uint8_t id[FC_IDBYTES], uint64_t *created)
{
	struct store_msg m;
	int ok;

	memset(&m, 0, sizeof(m));
	if (store_get(st, id, &m) != 0)
		return -1;
	ok = m.seen.kind == FENGHUO__KIND__WARNING;
	*created = m.seen.created_ms;
	store_msg_clear(&m);
	return ok ? 0 : -1;
}

int
creceipt_queue(struct node *n, struct peer *p, int prio, const uint8_t *env, size_t len,
    const Fenghuo__Body *b, const uint8_t *sig, size_t siglen, uint32_t hops)
{
	struct wire_creceipt_keys k;
	struct wire_creceipt r;
	uint8_t rec[WIRE_CR_MAX], id[FC_IDBYTES];
	size_t reclen;

	if (!creceipt_use(p) || b == NULL || b->kind != FENGHUO__KIND__RECEIPT ||
	    b->n_refs != 1 || b->refs[0].len != FC_IDBYTES || b->receipt == NULL)
		return -2;
	memset(&k, 0, sizeof(k));
	if (warning_created(n->store, b->refs[0].data, &k.ref_created_ms) != 0)
		return -2;	/* the receiver may not hold it either: whole */
	k.sender = fc_key_public(n->key);
	k.receiver = p->key;
	if (b->has_author && b->author.len == FC_PUBLICKEYBYTES)
		k.scope = creceipt_scope(ingest_trust(n->ingest), b->author.data);
	if (wire_creceipt_make(env, len, b, sig, siglen, hops, &k, &r) != 0)
		return -2;
	/*
	 * The author is given by an 8-byte prefix, which the receiver resolves among the
	 * keys it knows: certified keys (their grants travel ahead of everything) and its
	 * peers'. Without a trust state (open) it may know no such key: then only our own
	 * receipts, whose author is the sending end of the link, go compact.
	 */
	if (r.author_given && ingest_trust(n->ingest) == NULL)
		return -2;
	reclen = wire_creceipt_write(&r, rec);
	if (fc_envelope_id(env, len, id) != 0)
		return -2;
	return pq_push_record(&p->q, prio, rec, reclen, id, hops);
}

void
creceipt_requeue(struct node *n, struct peer *p, const struct pq_item *it)
{
	struct store_msg m;

	memset(&m, 0, sizeof(m));
	if (store_get(n->store, it->id, &m) != 0)
		return;	/* gone (evicted): reconciliation has nothing to give either */
	(void)pq_push(&p->q, it->prio, PQ_ENVELOPE, m.env, m.len, it->hops);
	store_msg_clear(&m);
}

/* The one key among keys (nkeys, and self and sender) that starts with pfx, or NULL. */
static const uint8_t *
key_by_prefix(const struct fc_trust *t, const uint8_t *self, const uint8_t *sender,
    const uint8_t (*keys)[FC_PUBLICKEYBYTES], size_t nkeys, const uint8_t *pfx)
{
	const struct fc_grant *g;
	const uint8_t *found = NULL, *k;
	size_t i, ng = t != NULL ? fc_trust_grant_count(t) : 0;

	for (i = 0; i < ng + nkeys + 2; i++) {
		if (i < ng)
			k = (g = fc_trust_grant(t, i)) != NULL ? g->subject : NULL;
		else if (i < ng + nkeys)
			k = keys[i - ng];
		else
			k = i == ng + nkeys ? self : sender;
		if (k == NULL || memcmp(k, pfx, WIRE_CR_PREFIX) != 0)
			continue;
		if (found != NULL && memcmp(found, k, FC_PUBLICKEYBYTES) != 0)
			return NULL;	/* two keys share it: ambiguous */
		found = k;
	}
	return found;
}

int
creceipt_expand(struct store *st, const struct fc_trust *t, const uint8_t *self,
    const uint8_t *sender, const uint8_t (*keys)[FC_PUBLICKEYBYTES], size_t nkeys,
    const struct wire_creceipt *r, uint8_t **env, size_t *envlen, uint32_t *hops,
    const char **why)
{
	struct wire_creceipt_keys k;
	struct store_msg m;
	char hex[2 * WIRE_CR_PREFIX + 1];
	int rc;

	*env = NULL;
	*envlen = 0;
	*why = NULL;
	memset(&k, 0, sizeof(k));
	k.receiver = self;
	k.sender = sender;
	if (!r->author_given)
		k.author = sender;
	else if ((k.author = key_by_prefix(t, self, sender, keys, nkeys, r->author)) == NULL) {
		*why = "its author prefix matches no key known here, or several";
		return -1;
	}
	memset(&m, 0, sizeof(m));
	rc = store_get_prefix(st, fc_hex(r->ref, WIRE_CR_PREFIX, hex), &m);
	if (rc == STORE_NOTFOUND) {
		*why = "its warning is not stored here";
		return CRECEIPT_LATER;
	}
	if (rc != 0) {
		*why = rc == STORE_AMBIGUOUS ? "its warning prefix matches several stored "
		    "messages" : "the store cannot be read";
		return -1;
	}
	rc = -1;
	if (m.seen.kind != FENGHUO__KIND__WARNING)
		*why = "its prefix names a stored message that is not a warning";
	else {
		k.ref = m.id;
		k.ref_created_ms = m.seen.created_ms;
		if (r->region == WIRE_CR_REGION_SCOPE &&
		    (k.scope = creceipt_scope(t, k.author)) == NULL)
			*why = "its author has no one certificate scope here";
		else if (wire_creceipt_envelope(r, &k, env, envlen) != 0)
			*why = "its created time is out of range";
		else {
			*hops = r->relay_hops < UINT32_MAX ? r->relay_hops + 1 : UINT32_MAX;
			rc = 0;
		}
	}
	store_msg_clear(&m);
	return rc;
}

/* A record from p could not be rebuilt: counted, logged at most once a minute. */
static void
dropped(struct node *n, struct peer *p, const char *why)
{
	uint64_t suppressed;
	struct log_limit *l = p != NULL ? &p->creceipts_log : &n->creceipts_log;

	if (p != NULL)
		p->creceipts_dropped++;
	if (log_limit_ok(l, now_mono(), &suppressed))
		log_warnx("%s%s%sdropped a compact receipt: %s (%llu more since the last line; "
		    "reconciliation brings them whole)", p != NULL ? "peer " : "",
		    p != NULL ? peer_label(p) : "", p != NULL ? ": " : "", why,
		    (unsigned long long)suppressed);
}

/* Remember the id of an envelope rebuilt in this pass (creceipt_committed). */
static void
note_id(struct node *n, const uint8_t *env, size_t len)
{
	uint8_t (*ids)[FC_IDBYTES];
	size_t cap;

	if (n->ncr_ids == n->cr_ids_cap) {
		if (n->cr_ids_cap >= NODE_PEND_MAX)
			return;
		cap = n->cr_ids_cap == 0 ? 16 : n->cr_ids_cap * 2;
		if ((ids = reallocarray(n->cr_ids, cap, FC_IDBYTES)) == NULL)
			return;
		n->cr_ids = ids;
		n->cr_ids_cap = cap;
	}
	if (fc_envelope_id(env, len, n->cr_ids[n->ncr_ids]) == 0)
		n->ncr_ids++;
}

/*
 * Rebuild r, sent by the peer with key from (p, when it is still there), and gather the
 * envelope for the pass's commit. CRECEIPT_LATER when its warning is not stored (yet);
 * else 0, the record taken or dropped.
 */
static int
take(struct node *n, struct peer *p, const uint8_t *from, const struct wire_creceipt *r)
{
	uint8_t (*keys)[FC_PUBLICKEYBYTES];
	struct ingest_src src = { INGEST_PEER, from, 0, 0 };
	const char *why;
	uint8_t *env;
	size_t envlen, nkeys = 0, i;
	int rc;

	if ((keys = calloc(n->npeers + 1, FC_PUBLICKEYBYTES)) == NULL)
		return 0;
	for (i = 0; i < n->npeers; i++)
		if (n->peers[i]->has_key)
			memcpy(keys[nkeys++], n->peers[i]->key, FC_PUBLICKEYBYTES);
	rc = creceipt_expand(n->store, ingest_trust(n->ingest), fc_key_public(n->key), from,
	    (const uint8_t (*)[FC_PUBLICKEYBYTES])keys, nkeys, r, &env, &envlen, &src.hops,
	    &why);
	free(keys);
	if (rc == CRECEIPT_LATER)
		return rc;
	if (rc != 0) {
		dropped(n, p, why);
		return 0;
	}
	if (p != NULL)
		p->creceipts_in++;
	note_id(n, env, envlen);
	(void)gossip_add(n, env, envlen, &src);
	free(env);
	return 0;
}

/* r waits for its warning: it may be in this very pass's batch, or on its way. */
static void
wait_for_warning(struct node *n, struct peer *p, const struct wire_creceipt *r)
{
	struct creceipt_wait *w;

	if (n->cr_wait == NULL &&
	    (n->cr_wait = calloc(CRECEIPT_WAIT_MAX, sizeof(*n->cr_wait))) == NULL) {
		dropped(n, p, "its warning is not stored here");
		return;
	}
	if (n->ncr_wait == CRECEIPT_WAIT_MAX) {
		dropped(n, p, "its warning is not stored here, and too many records wait");
		return;
	}
	w = &n->cr_wait[n->ncr_wait++];
	w->r = *r;
	memcpy(w->from, p->key, FC_PUBLICKEYBYTES);
	w->until = now_mono() + CRECEIPT_WAIT_MS;
}

void
creceipt_recv(struct node *n, struct peer *p, const uint8_t *buf, size_t len)
{
	struct wire_creceipt r;
	size_t off = 0, used, nrec;

	for (nrec = 0; off < len; nrec++) {
		/* A frame of a megabyte of records must not cost a megabyte of lookups. */
		if (nrec == CRECEIPT_READ_MAX) {
			dropped(n, p, "more records in one frame than are read");
			break;
		}
		if (wire_creceipt_parse(buf + off, len - off, &r, &used) != 0) {
			/* Records are not self-synchronising: the rest of the frame is lost. */
			dropped(n, p, "a record does not read (truncated or malformed)");
			break;
		}
		off += used;
		if (take(n, p, p->key, &r) == CRECEIPT_LATER)
			wait_for_warning(n, p, &r);
	}
}

int
creceipt_committed(struct node *n, const struct ingest_result *r)
{
	uint64_t suppressed;
	size_t i;

	/* The trust policy judges the author, not the record: a rejection like any other. */
	if (r->status != INGEST_REJECTED || r->reason == FC_R_POLICY || !r->has_id ||
	    r->src->origin != INGEST_PEER)
		return 0;
	for (i = 0; i < n->ncr_ids; i++)
		if (memcmp(n->cr_ids[i], r->id, FC_IDBYTES) == 0)
			break;
	if (i == n->ncr_ids)
		return 0;
	/*
	 * The envelope rebuilt from a record is not valid (its signature, or a region of a
	 * shape no author's fenghuod signs): a prefix resolved to another key or warning
	 * than the author's, or the record was forged. Nothing is stored; a real receipt
	 * comes whole with reconciliation.
	 */
	n->creceipts_invalid++;
	if (log_limit_ok(&n->creceipts_log, now_mono(), &suppressed))
		log_warnx("a compact receipt was not valid once rebuilt (%s): dropped (%llu "
		    "more since the last line; reconciliation brings them whole)",
		    fc_reason_name(r->reason), (unsigned long long)suppressed);
	return 1;
}

void
creceipt_commit_done(struct node *n)
{
	struct creceipt_wait *w;
	uint64_t now = now_mono();
	size_t i, j;

	n->ncr_ids = 0;
	/* The commit may have stored their warnings: what resolves now joins the next pass. */
	for (i = j = 0; i < n->ncr_wait; i++) {
		w = &n->cr_wait[i];
		if (take(n, peer_find_key(n, w->from), w->from, &w->r) != CRECEIPT_LATER)
			continue;
		if (now >= w->until) {
			dropped(n, peer_find_key(n, w->from), "its warning did not come");
			continue;
		}
		n->cr_wait[j++] = *w;
	}
	n->ncr_wait = j;
}

void
creceipt_free(struct node *n)
{
	free(n->cr_ids);
	n->cr_ids = NULL;
	n->ncr_ids = n->cr_ids_cap = 0;
	free(n->cr_wait);
	n->cr_wait = NULL;
	n->ncr_wait = 0;
}
