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

const char *
creceipt_expand(struct store *st, const struct fc_trust *t, const uint8_t *self,
    const uint8_t *sender, const uint8_t (*keys)[FC_PUBLICKEYBYTES], size_t nkeys,
    const struct wire_creceipt *r, uint8_t **env, size_t *envlen, uint32_t *hops)
{
	struct wire_creceipt_keys k;
	struct store_msg m;
	char hex[2 * WIRE_CR_PREFIX + 1];
	const char *why = NULL;
	int rc;

	*env = NULL;
	*envlen = 0;
	memset(&k, 0, sizeof(k));
	k.receiver = self;
	k.sender = sender;
	if (!r->author_given)
		k.author = sender;
	else if ((k.author = key_by_prefix(t, self, sender, keys, nkeys, r->author)) == NULL)
		return "its author prefix matches no key known here, or several";
	memset(&m, 0, sizeof(m));
	rc = store_get_prefix(st, fc_hex(r->ref, WIRE_CR_PREFIX, hex), &m);
	if (rc == STORE_AMBIGUOUS)
		return "its warning prefix matches several stored messages";
	if (rc != 0)
		return rc == STORE_NOTFOUND ? "its warning is not stored here" :
		    "the store cannot be read";
	if (m.seen.kind != FENGHUO__KIND__WARNING) {
		why = "its prefix names a stored message that is not a warning";
		goto out;
	}
	k.ref = m.id;
	k.ref_created_ms = m.seen.created_ms;
	if (r->region == WIRE_CR_REGION_SCOPE &&
	    (k.scope = creceipt_scope(t, k.author)) == NULL) {
		why = "its author has no one certificate scope here";
		goto out;
	}
	if (wire_creceipt_envelope(r, &k, env, envlen) != 0) {
		why = "its created time is out of range";
		goto out;
	}
	*hops = r->relay_hops < UINT32_MAX ? r->relay_hops + 1 : UINT32_MAX;
out:
	store_msg_clear(&m);
	return why;
}

/* A record from p could not be rebuilt: counted, logged at most once a minute. */
static void
dropped(struct peer *p, const char *why)
{
	uint64_t suppressed;

	p->creceipts_dropped++;
	if (log_limit_ok(&p->creceipts_log, now_mono(), &suppressed))
		log_warnx("peer %s: dropped a compact receipt: %s (%llu more since the last "
		    "line; reconciliation brings them whole)", peer_label(p), why,
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

void
creceipt_recv(struct node *n, struct peer *p, const uint8_t *buf, size_t len)
{
	uint8_t (*keys)[FC_PUBLICKEYBYTES];
	struct wire_creceipt r;
	struct ingest_src src = { INGEST_PEER, p->key, 0, 0 };
	const char *why;
	uint8_t *env;
	size_t off = 0, used, envlen, nkeys = 0, i, nrec;

	if ((keys = calloc(n->npeers + 1, FC_PUBLICKEYBYTES)) == NULL)
		return;
	for (i = 0; i < n->npeers; i++)
		if (n->peers[i]->has_key)
			memcpy(keys[nkeys++], n->peers[i]->key, FC_PUBLICKEYBYTES);
	for (nrec = 0; off < len; nrec++) {
		/* A frame of a megabyte of records must not cost a megabyte of lookups. */
		if (nrec == CRECEIPT_READ_MAX) {
			dropped(p, "more records in one frame than are read");
			break;
		}
		if (wire_creceipt_parse(buf + off, len - off, &r, &used) != 0) {
			/* Records are not self-synchronising: the rest of the frame is lost. */
			dropped(p, "a record does not read (truncated or malformed)");
			break;
		}
		off += used;
		why = creceipt_expand(n->store, ingest_trust(n->ingest), fc_key_public(n->key),
		    p->key, (const uint8_t (*)[FC_PUBLICKEYBYTES])keys, nkeys, &r, &env, &envlen,
		    &src.hops);
		if (why != NULL) {
			dropped(p, why);
			continue;
		}
		p->creceipts_in++;
		note_id(n, env, envlen);
		(void)gossip_add(n, env, envlen, &src);
		free(env);
	}
	free(keys);
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
	n->ncr_ids = 0;
}

void
creceipt_free(struct node *n)
{
	free(n->cr_ids);
	n->cr_ids = NULL;
	n->ncr_ids = n->cr_ids_cap = 0;
}
