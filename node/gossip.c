/*
 * gossip.c: what the node does with messages: store them, forward them, reconcile.
 *
 * Every envelope that arrives during one loop pass (PUSH from peers, submit on the control
 * socket) is gathered here and stored by one store_put_batch() at the end of the pass: one
 * write transaction (group commit, DESIGN decision 7), dedupe before verify (decision 6).
 * Only after the commit is a new message forwarded to every other up peer, announced to
 * watchers, and a submit acknowledged.
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
	return n->npend >= NODE_PEND_MAX || n->pend_bytes >= NODE_PEND_BYTES;
}

int
gossip_add(struct node *n, const uint8_t *env, size_t len, const uint8_t *from, uint32_t hops,
    const uint8_t *rid, size_t ridlen)
{
	struct pending *pd, *np;
	int charged = 0;

	if (gossip_pending_full(n)) {
		/* Rare: the loop stops reading before this. Sync brings it again. */
		n->pend_dropped++;
		return -1;
	}
	/* a new message from a peer whose author is over the rate is not taken */
	if (rid == NULL && from != NULL) {
		if ((charged = limits_author_admit(n, env, len)) == 0)
			return 0;
		charged = charged == 2;
	}
	if (n->npend == n->pend_cap) {
		size_t cap = n->pend_cap ? n->pend_cap * 2 : 64;

		if ((np = reallocarray(n->pend, cap, sizeof(*np))) == NULL)
			return -1;
		n->pend = np;
		n->pend_cap = cap;
	}
	pd = &n->pend[n->npend];
	memset(pd, 0, sizeof(*pd));
	if ((pd->env = malloc(len > 0 ? len : 1)) == NULL)
		return -1;
	if (len > 0)
		memcpy(pd->env, env, len);
	pd->len = len;
	if (from != NULL) {
		memcpy(pd->from, from, FC_PUBLICKEYBYTES);
		pd->has_from = 1;
	}
	pd->hops = hops;
	pd->author_charged = charged;
	if (rid != NULL) {
		pd->submit = 1;
		memcpy(pd->rid, rid, ridlen);
		pd->ridlen = ridlen;
	}
	n->npend++;
	n->pend_bytes += len;
	return 0;
}

/*
 * Queue a new message to every up peer but the one it came from: the message itself, or
 * with push = plumtree to a peer that asked for ids only (it pruned us), its id in a HAVE.
 */
static void
forward(struct node *n, const struct pending *pd, const uint8_t id[FC_IDBYTES])
{
	size_t i;
	struct peer *p;
	int prio = -1;

	for (i = 0; i < n->npeers; i++) {
		p = n->peers[i];
		if (p->dead || !peer_is_up(p))
			continue;
		if (pd->has_from && p->has_key &&
		    memcmp(p->key, pd->from, FC_PUBLICKEYBYTES) == 0)
			continue;
		if (prio < 0)
			prio = pq_prio_stored(n->store, pd->env, pd->len);
		/*
		 * On a slow (stream) link only warnings, trust messages and the receipts of
		 * warnings (at their warning's class) go in full at once; reports and other
		 * receipts are announced by id and sent when asked for (DESIGN 9).
		 */
		if (peer_stream(p) != NULL ? !PRIO_KEEP(prio) :
		    (n->conf->plumtree && p->lazy_out)) {
			(void)pq_push(&p->q, prio, PQ_HAVE, id, FC_IDBYTES, 0);
			continue;
		}
		if (pq_push(&p->q, prio, PQ_ENVELOPE, pd->env, pd->len, pd->hops) == 1)
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

void
gossip_commit(struct node *n)
{
	struct store_put *sp;
	struct pending *pd;
	struct peer *q;
	size_t i;
	int rc;

	if (n->npend == 0)
		return;
	if ((sp = calloc(n->npend, sizeof(*sp))) == NULL) {
		log_warnx("out of memory for a batch of %zu messages", n->npend);
		rc = ENOMEM;
		goto fail;
	}
	for (i = 0; i < n->npend; i++) {
		sp[i].env = n->pend[i].env;
		sp[i].len = n->pend[i].len;
		sp[i].from = n->pend[i].has_from ? n->pend[i].from : NULL;
		sp[i].hops = n->pend[i].hops;
		sp[i].user = &n->pend[i];	/* trust.c: a local submission? */
	}
	rc = store_put_batch(n->store, sp, n->npend, now_wall());
	n->commits++;
	if (rc != 0) {
		n->commit_errors++;
		log_warnx("store: cannot commit %zu messages: %s", n->npend, store_strerror(rc));
		goto fail;
	}
	/* Durable now: forward, announce, acknowledge. */
	for (i = 0; i < n->npend; i++) {
		pd = &n->pend[i];
		/* only a message stored as new keeps its author's token */
		if (pd->author_charged && sp[i].status != STORE_NEW)
			limits_author_refund(n, pd->env, pd->len);
		switch (sp[i].status) {
		case STORE_NEW:
			n->stored++;
			if (n->conf->plumtree && pd->has_from &&
			    (q = peer_find_key(n, pd->from)) != NULL)
				q->first_at = n->stored;	/* an upstream link (prune) */
			if (sp[i].kind == FENGHUO__KIND__ANNOUNCE)
				px_learn(n, pd->env, pd->len);
			if (sp[i].kind == FENGHUO__KIND__WARNING)
				deliver_note(n, pd->env, pd->len, sp[i].id);
			forward(n, pd, sp[i].id);
			ctl_notify(n, sp[i].id, pd->env, pd->len,
			    pd->has_from ? pd->from : NULL, pd->hops);
			break;
		case STORE_DUP:
			n->duplicates++;
			if (n->conf->plumtree && pd->has_from)
				prune(n, pd->from);
			break;
		case STORE_HELD:
			/* trust.c holds it until its author's certificate arrives. */
			n->held_msgs++;
			break;
		case STORE_REJECTED:
		default:
			if (sp[i].reason > 0 && sp[i].reason < FC_R_MAX)
				n->rejected[sp[i].reason]++;
			if (sp[i].reason == FC_R_POLICY && sp[i].policy_reason > 0 &&
			    sp[i].policy_reason < FC_POLICY_R_MAX)
				n->policy_rejected[sp[i].policy_reason]++;
			log_debug("rejected a message (%s): %s%s%s", pd->submit ? "submitted" :
			    "from a peer", fc_reason_name(sp[i].reason),
			    sp[i].reason == FC_R_POLICY ? ": " : "",
			    sp[i].reason == FC_R_POLICY ?
			    fc_policy_reason_name(sp[i].policy_reason) : "");
			break;
		}
		if (pd->submit)
			ctl_submit_reply(n, pd->rid, pd->ridlen, &sp[i], NULL);
	}
	free(sp);
	goto done;
fail:
	for (i = 0; i < n->npend; i++)
		if (n->pend[i].submit)
			ctl_submit_reply(n, n->pend[i].rid, n->pend[i].ridlen, NULL,
			    rc == ENOMEM ? "out of memory" : store_strerror(rc));
	free(sp);
done:
	for (i = 0; i < n->npend; i++)
		free(n->pend[i].env);
	n->npend = 0;
	n->pend_bytes = 0;
	trust_release(n);	/* held messages whose certificate just arrived */
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
