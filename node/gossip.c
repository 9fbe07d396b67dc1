/*
 * gossip.c: what the node does with messages: store them, forward them, reconcile.
 *
 * Every envelope that arrives during one loop pass (PUSH from peers, submit on the control
 * socket) is gathered in the node's ingest and committed once at the end of the pass: one
 * write transaction (group commit, DESIGN decision 7), dedupe before verify (decision 6).
 * Only after the commit is a new message forwarded to every other up peer, announced to
 * watchers, and a submit acknowledged, all from the result the ingest hands back (the
 * message decoded once).
 *
 * Reconciliation (decision 9) repairs what push missed: the node that opened a link starts a
 * round on link up and every sync_interval (when both opened one, only the lower key does:
 * peer.c). The Sync messages that sync_begin/sync_handle (node/sync.c) serialize go out in
 * their Frame as they are (wire_frame_wrap_sync); a received one goes to sync_handle_msg as
 * its Frame was decoded, with no second decode. Ids the peer has and we lack are asked for
 * with WANT; ids we have and it lacks are pushed from the store.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "sync.h"

/* Largest Sync payload: a Frame around it must still fit WIRE_FRAME_MAX. */
#define GOSSIP_SYNC_MAX	(WIRE_FRAME_MAX - 64)

int
gossip_pending_full(const struct node *n)
{
	return ingest_full(n->ingest);
}

int
gossip_add(struct node *n, const uint8_t *env, size_t len, const struct ingest_src *src)
{
	if (ingest_add(n->ingest, env, len, src) != 0) {
		/* Rare: the loop stops reading before this. Sync brings it again. */
		n->pend_dropped++;
		return -1;
	}
	return 0;
}

/*
 * Queue a new message to every up peer but the one it came from: the message itself, or
 * with push = plumtree to a peer that asked for ids only (it pruned us), its id in a HAVE.
 */
static void
forward(struct node *n, const struct ingest_result *r)
{
	const uint8_t *from = r->src->from;
	size_t i;
	struct peer *p;
	int prio = pq_prio_kind(r->kind, r->level);

	/* A receipt of a warning travels at its warning's class (DESIGN decision 10). */
	if (r->kind == FENGHUO__KIND__RECEIPT && r->level != 0)
		prio = pq_prio_kind(FENGHUO__KIND__WARNING, r->level);
	for (i = 0; i < n->npeers; i++) {
		p = n->peers[i];
		if (p->dead || !peer_is_up(p))
			continue;
		if (from != NULL && p->has_key && memcmp(p->key, from, FC_PUBLICKEYBYTES) == 0)
			continue;
		/*
		 * On a slow (stream) link only warnings, trust messages and the receipts of
		 * warnings (at their warning's class) go in full at once; reports and other
		 * receipts are announced by id and sent when asked for (DESIGN 9).
		 */
		if (peer_stream(p) != NULL ? !PRIO_KEEP(prio) :
		    (n->conf->plumtree && p->lazy_out)) {
			(void)pq_push(&p->q, prio, PQ_HAVE, r->id, FC_IDBYTES, 0);
			continue;
		}
		/* A warning's receipt to a stream peer that reads them: a compact record. */
		if (r->kind == FENGHUO__KIND__RECEIPT && creceipt_use(p) &&
		    creceipt_queue(n, p, prio, r->env, r->len, r->msg->body,
		    r->msg->env->sig.data, r->msg->env->has_sig ? r->msg->env->sig.len : 0,
		    r->src->hops) != -2)
			continue;
		if (pq_push(&p->q, prio, PQ_ENVELOPE, r->env, r->len, r->src->hops) == 1)
			log_debug("peer %s: send queue full, dropped a lower-priority item",
			    peer_label(p));
	}
}

/*
 * Plumtree PRUNE: a full copy of a message we already had came from this peer, so the
 * message reaches us by another path too; ask this one for ids only. Only while another
 * eager peer is upstream of us, i.e. brought one of the last NODE_UPSTREAM_WINDOW new
 * messages first: a peer that is merely not pruned may be one we only ever send to, and
 * keeping it alone would leave us on HAVE and the GRAFT timer (the 1-2 s tail of
 * docs/BENCHMARKS.md, Dissemination). A node that has been only a source lately keeps one
 * other peer eager, as plain Plumtree does.
 */
static void
prune(struct node *n, const uint8_t from[FC_PUBLICKEYBYTES])
{
	struct peer *p, *q;
	size_t i, upstream = 0, recent = 0, eager = 0;

	if ((p = peer_find_key(n, from)) == NULL || !peer_is_up(p))
		return;
	if (peer_stream(p) != NULL)
		return;	/* a stream peer pushes only what must not wait: keep it so */
	if (p->lazy_in) {
		/* Pruned already, yet a full copy: it did not take (peer_resend_caps). */
		peer_resend_caps(n, p);
		return;
	}
	for (i = 0; i < n->npeers; i++) {
		q = n->peers[i];
		if (q->dead || !peer_is_up(q))
			continue;
		if (q->first_at != 0 && n->stored - q->first_at < NODE_UPSTREAM_WINDOW) {
			recent++;
			if (q != p && !q->lazy_in)
				upstream++;
		}
		if (!q->lazy_in)
			eager++;
	}
	/*
	 * A node that is only a source lately (no peer brought it anything first) needs no
	 * upstream: then the plain rule, one other peer stays eager.
	 */
	if (upstream >= 1 || (recent == 0 && eager >= 2))
		peer_set_lazy_in(n, p, 1);
}

struct commit_ctx {
	struct node	*n;
	int		 revoked;	/* a REVOKE was stored: check the live links */
	uint64_t	 now;		/* the commit's clock: first seen of what it stores */
};

/* One result of the commit: the message is durable now if new. */
static void
committed(void *arg, const struct ingest_result *r)
{
	struct commit_ctx *cc = arg;
	struct node *n = cc->n;
	const uint8_t *from = r->src->from;
	struct peer *q;

	/* only a message stored as new keeps its author's token */
	if (r->charged && r->status != INGEST_NEW && r->msg != NULL)
		limits_author_refund(n, r->msg->body->author.data);
	switch (r->status) {
	case INGEST_NEW:
		n->stored++;
		if (n->conf->plumtree && from != NULL && (q = peer_find_key(n, from)) != NULL)
			q->first_at = n->stored;	/* an upstream link (prune) */
		if (r->kind == FENGHUO__KIND__ANNOUNCE)
			px_learn(n, r->msg->body);
		if (r->kind == FENGHUO__KIND__WARNING)
			deliver_note(n, r->msg, r->src, cc->now);
		if (r->kind == FENGHUO__KIND__WARNING || r->kind == FENGHUO__KIND__REPORT)
			hook_note(n, r->msg);
		if (r->kind == FENGHUO__KIND__REVOKE)
			cc->revoked = 1;
		forward(n, r);
		ctl_notify(n, r->id, r->env, r->len, from, r->src->hops);
		break;
	case INGEST_DUP:
		n->duplicates++;
		if (n->conf->plumtree && from != NULL)
			prune(n, from);
		break;
	case INGEST_HELD:
	case INGEST_REFUSED:	/* counted by limits.c */
	case INGEST_FAILED:
		break;
	case INGEST_REJECTED:
	default:
		if (creceipt_committed(n, r))
			break;	/* a compact record that did not rebuild: counted there */
		if (r->reason > 0 && r->reason < FC_R_MAX)
			n->rejected[r->reason]++;
		if (r->reason == FC_R_POLICY && r->policy_reason > 0 &&
		    r->policy_reason < FC_POLICY_R_MAX)
			n->policy_rejected[r->policy_reason]++;
		log_debug("rejected a message (%s): %s%s%s", r->src->tag != 0 ? "submitted" :
		    "from a peer", fc_reason_name(r->reason),
		    r->reason == FC_R_POLICY ? ": " : "",
		    r->reason == FC_R_POLICY ? fc_policy_reason_name(r->policy_reason) : "");
		break;
	}
	if (r->src->tag != 0)
		ctl_submit_reply(n, r);
}

void
gossip_commit(struct node *n)
{
	struct commit_ctx cc = { n, 0, now_wall() };
	int rc;

	if (n->ingest == NULL || ingest_pending(n->ingest) == 0)
		return;
	rc = ingest_commit(n->ingest, cc.now, committed, &cc);
	n->commits++;
	if (rc != 0) {
		n->commit_errors++;
		log_warnx("store: cannot commit a batch: %s", ingest_strerror(rc));
	}
	ctl_waits_clear(n);
	creceipt_commit_done(n);
	/*
	 * A revocation takes effect on live links too: every link authenticated by a key it
	 * withdrew is closed now, not only the handshakes to come (docs/TRUST.md).
	 */
	if (cc.revoked)
		curve_revoke_links(n);
	deliver_flush(n);	/* receipts of the warnings just stored, for the next pass */
}

/* Queue a frame holding one serialized Sync (sync_begin/sync_handle make them). */
static void
queue_sync(struct peer *p, const uint8_t *sync, size_t len)
{
	uint8_t *buf;
	size_t buflen;

	if (wire_frame_wrap_sync(sync, len, &buf, &buflen) != 0)
		return;
	if (peer_queue_frame(p, PRIO_SYNC, buf, buflen) == 1)
		log_debug("peer %s: send queue full, dropped a lower-priority item",
		    peer_label(p));
	p->sync_bytes += buflen;
	p->sync_last = now_mono();
	free(buf);
}

void
gossip_want(struct node *n, struct peer *p, const uint8_t (*ids)[FC_IDBYTES], size_t nids)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Want w = FENGHUO__WANT__INIT;
	ProtobufCBinaryData *v;
	uint8_t *buf;
	size_t len, i, off, cnt, max = peer_stream(p) != NULL ? NODE_STREAM_WANT_MAX :
	    NODE_WANT_MAX;

	if (nids == 0)
		return;
	if (shortid_use(p)) {
		shortid_want(n, p, ids, nids);
		return;
	}
	if ((v = calloc(nids < max ? nids : max, sizeof(*v))) == NULL)
		return;
	for (off = 0; off < nids; off += cnt) {
		cnt = nids - off < max ? nids - off : max;
		for (i = 0; i < cnt; i++) {
			v[i].data = (uint8_t *)(uintptr_t)ids[off + i];
			v[i].len = FC_IDBYTES;
		}
		w.n_ids = cnt;
		w.ids = v;
		f.msg_case = FENGHUO__FRAME__MSG_WANT;
		f.want = &w;
		if (frame_pack(&f, &buf, &len) != 0)
			break;
		/* What the peer waits on goes ahead of data (a receipt's WANT too). */
		(void)peer_queue_frame(p, PRIO_CONTROL, buf, len);
		free(buf);
	}
	free(v);
}

/* Push stored messages to p (answer to WANT, or sync's give list). */
static void
give(struct node *n, struct peer *p, const uint8_t *id)
{
	struct store_msg m;
	int rc;

	memset(&m, 0, sizeof(m));
	if ((rc = store_get(n->store, id, &m)) != 0) {
		if (rc != STORE_NOTFOUND)
			log_warnx("store: %s", store_strerror(rc));
		return;
	}
	(void)peer_queue_envelope(n, p, m.env, m.len, m.seen.hops);
	store_msg_clear(&m);
}

void
gossip_want_recv(struct node *n, struct peer *p, const Fenghuo__Want *w)
{
	size_t i;

	for (i = 0; i < w->n_ids; i++)
		if (w->ids[i].len == FC_IDBYTES)
			give(n, p, w->ids[i].data);
}

/*
 * HAVE: ids a peer has. Plain gossip asks for the unknown ones at once. With plumtree a HAVE
 * comes from a pruned (lazy) link, and the eager path usually delivers the message within a
 * moment: wait NODE_GRAFT_MS before asking (gossip_cron).
 */
void
gossip_have_recv(struct node *n, struct peer *p, const Fenghuo__Have *h)
{
	uint8_t (*need)[FC_IDBYTES];
	size_t i, nneed = 0;
	struct missing *m;

	if (h->n_ids == 0)
		return;
	if ((need = calloc(h->n_ids, FC_IDBYTES)) == NULL)
		return;
	if (n->conf->plumtree && n->missing == NULL)
		n->missing = calloc(NODE_MISSING_MAX, sizeof(*n->missing));
	for (i = 0; i < h->n_ids; i++) {
		if (h->ids[i].len != FC_IDBYTES || store_has(n->store, h->ids[i].data) != 0)
			continue;
		/* (A stream peer announces by id because its link is slow: ask at once.) */
		if (n->conf->plumtree && n->missing != NULL && n->nmissing < NODE_MISSING_MAX &&
		    peer_stream(p) == NULL) {
			m = &n->missing[n->nmissing++];
			memcpy(m->id, h->ids[i].data, FC_IDBYTES);
			memcpy(m->from, p->key, FC_PUBLICKEYBYTES);
			m->due = now_mono() + NODE_GRAFT_MS;
			continue;
		}
		memcpy(need[nneed++], h->ids[i].data, FC_IDBYTES);
	}
	gossip_want(n, p, (const uint8_t (*)[FC_IDBYTES])need, nneed);
	free(need);
}

/*
 * Plumtree GRAFT: an id announced by HAVE has not arrived through the eager path in
 * NODE_GRAFT_MS. Ask the announcer for it (WANT), and for full messages from now on, since
 * the tree around us is broken. Returns the next due time.
 */
uint64_t
gossip_cron(struct node *n, uint64_t now)
{
	uint64_t next = now + NODE_CRON_MS;
	struct missing *m;
	struct peer *p;
	size_t i, j;

	for (i = j = 0; i < n->nmissing; i++) {
		m = &n->missing[i];
		if (m->due > now) {
			if (m->due < next)
				next = m->due;
			n->missing[j++] = *m;
			continue;
		}
		if (store_has(n->store, m->id) != 0)
			continue;	/* the eager path brought it */
		if ((p = peer_find_key(n, m->from)) == NULL || !peer_is_up(p))
			continue;	/* reconciliation will find it */
		gossip_want(n, p, (const uint8_t (*)[FC_IDBYTES])m->id, 1);
		if (p->lazy_in)
			peer_set_lazy_in(n, p, 0);
		else
			peer_resend_caps(n, p);	/* grafted already, yet a HAVE */
	}
	n->nmissing = j;
	return next;
}

/* Sync payloads to p: small on a stream link (a few MTUs), else up to a ZeroMQ frame. */
static size_t
sync_max(const struct peer *p)
{
	struct stream *st = peer_stream(p);
	size_t m;

	if (st == NULL)
		return GOSSIP_SYNC_MAX;
	m = 4 * (stream_mtu(st) - STREAM_OVERHEAD);
	if (m < SYNC_FRAME_MIN)
		m = SYNC_FRAME_MIN;
	return m < NODE_STREAM_SYNC_MAX ? m : NODE_STREAM_SYNC_MAX;
}

void
gossip_sync_begin(struct node *n, struct peer *p)
{
	uint8_t *out = NULL;
	size_t outlen = 0;
	int rc;

	if ((rc = sync_begin(n->store, sync_max(p), &out, &outlen)) != 0) {
		log_warnx("peer %s: cannot start reconciliation: %s", peer_label(p),
		    store_strerror(rc));
		return;
	}
	p->sync_rounds++;
	log_debug("peer %s: reconciliation round %llu", peer_label(p),
	    (unsigned long long)p->sync_rounds);
	if (out != NULL)
		queue_sync(p, out, outlen);
	free(out);
}

void
gossip_sync_recv(struct node *n, struct peer *p, const Fenghuo__Sync *s)
{
	struct sync_result res;
	size_t i;
	int rc;

	p->sync_bytes += fenghuo__sync__get_packed_size(s);
	p->sync_last = now_mono();
	if ((rc = sync_handle_msg(n->store, sync_max(p), s, &res)) != 0) {
		log_debug("peer %s: bad Sync frame: %s", peer_label(p), store_strerror(rc));
		p->garbage++;
		return;
	}
	if (res.reply != NULL)
		queue_sync(p, res.reply, res.replylen);
	if (res.nneed > 0)
		gossip_want(n, p, (const uint8_t (*)[FC_IDBYTES])res.need, res.nneed);
	for (i = 0; i < res.ngive; i++)
		give(n, p, res.give[i]);
	if (res.nneed > 0 || res.ngive > 0)
		log_debug("peer %s: reconciliation: want %zu, give %zu", peer_label(p),
		    res.nneed, res.ngive);
	sync_result_clear(&res);
}
