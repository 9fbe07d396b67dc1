/*
 * peer.c: peers, their links, their priority send queues, and the peer protocol frames.
 *
 * A peer is a remote node, known by its Ed25519 key. It may have two links: the outbound
 * DEALER we connect to a configured peer, and an inbound routing id on one of our listen
 * ROUTERs when it connects to us. Frames go out on the outbound link when it is up, else on
 * the inbound one. Each side sends HELLO; the DEALER side sends it whenever its monitor
 * reports a (re)connection, the ROUTER side answers every HELLO with its own.
 *
 * Every frame a peer sends is size-checked by ZeroMQ (ZMQ_MAXMSGSIZE), unpacked with
 * wire_frame_unpack, and dropped and counted when it is garbage: peer input is never fatal.
 *
 * The send queue is ours, not ZeroMQ's (whose high-water mark is kept small): items wait in
 * one FIFO per priority class and leave highest class first (DESIGN decision 10).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "node.h"
#include "sync.h"

/* ---- the priority queue ---------------------------------------------------------------- */

/* A stream link has a transmit lane per class (stream.c). */
_Static_assert(PRIO_MAX == STREAM_LANES, "one stream lane per priority class");

/* ---- the set of queued envelope ids (pq.dedupe) ---- */

/* Ids are BLAKE2b outputs: their first bytes are as good as any hash. */
static size_t
id_slot(const struct pq *q, const uint8_t *id)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	return (size_t)h & (q->idcap - 1);
}

static int
ids_find(const struct pq *q, const uint8_t *id, size_t *at)
{
	size_t i;

	if (q->idcap == 0)
		return 0;
	for (i = id_slot(q, id); q->idused[i]; i = (i + 1) & (q->idcap - 1))
		if (memcmp(q->ids[i], id, FC_IDBYTES) == 0) {
			*at = i;
			return 1;
		}
	return 0;
}

static void
ids_put(struct pq *q, const uint8_t *id)
{
	size_t i;

	for (i = id_slot(q, id); q->idused[i]; i = (i + 1) & (q->idcap - 1))
		;
	memcpy(q->ids[i], id, FC_IDBYTES);
	q->idused[i] = 1;
	q->nids++;
}

/* Add id; 0, or -1 when out of memory (the item is then simply not deduplicated). */
static int
ids_add(struct pq *q, const uint8_t *id)
{
	uint8_t (*oids)[FC_IDBYTES] = q->ids, *oused = q->idused;
	size_t ocap = q->idcap, i;

	if (2 * (q->nids + 1) > q->idcap) {
		size_t cap = q->idcap == 0 ? 64 : 2 * q->idcap;

		if ((q->ids = calloc(cap, FC_IDBYTES)) == NULL ||
		    (q->idused = calloc(cap, 1)) == NULL) {
			free(q->ids);
			q->ids = oids;
			q->idused = oused;
			return -1;
		}
		q->idcap = cap;
		q->nids = 0;
		for (i = 0; i < ocap; i++)
			if (oused[i])
				ids_put(q, oids[i]);
		free(oids);
		free(oused);
	}
	ids_put(q, id);
	return 0;
}

/* Remove id (linear probing: later entries of its run move back into the gap). */
static void
ids_del(struct pq *q, const uint8_t *id)
{
	size_t i, j, k, mask = q->idcap - 1;

	if (!ids_find(q, id, &i))
		return;
	q->idused[i] = 0;
	q->nids--;
	for (j = (i + 1) & mask; q->idused[j]; j = (j + 1) & mask) {
		k = id_slot(q, q->ids[j]);
		/* It stays when its home slot k lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		memcpy(q->ids[i], q->ids[j], FC_IDBYTES);
		q->idused[i] = 1;
		q->idused[j] = 0;
		i = j;
	}
}

/* An item leaves the queue (sent, dropped) or comes back to it (pq_unpop). */
static void
item_out(struct pq *q, struct pq_item *it)
{
	if (it->has_id)
		ids_del(q, it->id);
}

static void
item_in(struct pq *q, struct pq_item *it)
{
	if (it->has_id && ids_add(q, it->id) != 0)
		it->has_id = 0;
}

void
pq_init(struct pq *q, size_t max_items, size_t max_bytes)
{
	memset(q, 0, sizeof(*q));
	q->max_items = max_items;
	q->max_bytes = max_bytes;
}

static void
pq_append(struct pq *q, struct pq_item *it)
{
	it->next = NULL;
	it->prev = q->tail[it->prio];
	if (q->tail[it->prio] != NULL)
		q->tail[it->prio]->next = it;
	else
		q->head[it->prio] = it;
	q->tail[it->prio] = it;
	q->n++;
	q->bytes += it->len;
}

/* Remove the newest item of class p. */
static void
pq_drop_last(struct pq *q, int p)
{
	struct pq_item *it = q->tail[p];

	q->tail[p] = it->prev;
	if (it->prev != NULL)
		it->prev->next = NULL;
	else
		q->head[p] = NULL;
	q->n--;
	q->bytes -= it->len;
	q->dropped++;
	item_out(q, it);
	free(it);
}

void
pq_sent(struct pq *q, const uint8_t id[FC_IDBYTES], uint64_t until)
{
	if (!q->dedupe)
		return;
	if (q->sent == NULL && (q->sent = calloc(PQ_SENT_MAX, sizeof(*q->sent))) == NULL)
		return;	/* (then simply not remembered) */
	memcpy(q->sent[q->sent_next].id, id, FC_IDBYTES);
	q->sent[q->sent_next].until = until;
	q->sent_next = (q->sent_next + 1) % PQ_SENT_MAX;
}

/* Whether id went to the link lately (remembered until after now). */
static int
sent_lately(const struct pq *q, const uint8_t *id, uint64_t now)
{
	size_t i;

	if (q->sent == NULL)
		return 0;
	for (i = 0; i < PQ_SENT_MAX; i++)
		if (now < q->sent[i].until && memcmp(q->sent[i].id, id, FC_IDBYTES) == 0)
			return 1;
	return 0;
}

/* pq_push; id: the envelope's id for a PQ_RECORD, NULL otherwise. */
static int
pq_push_id(struct pq *q, int prio, int type, const uint8_t *data, size_t len, uint32_t hops,
    const uint8_t *rid)
{
	struct pq_item *it;
	uint8_t id[FC_IDBYTES];
	size_t at;
	int dropped = 0, p, has_id = 0;

	if (prio < 0 || prio >= PRIO_MAX)
		prio = PRIO_BULK;
	if (rid != NULL)
		memcpy(id, rid, FC_IDBYTES);
	if (q->dedupe && (rid != NULL ||
	    (type == PQ_ENVELOPE && fc_envelope_id(data, len, id) == 0))) {
		if (ids_find(q, id, &at) || sent_lately(q, id, now_mono())) {
			q->deduped++;
			return 0;	/* on its way already */
		}
		has_id = 1;
	}
	/* Make room: the lowest class goes first, the never-dropped classes never. */
	while (q->n > 0 && (q->n + 1 > q->max_items || q->bytes + len > q->max_bytes)) {
		for (p = PRIO_MAX - 1; p >= 0; p--)
			if (q->head[p] != NULL)
				break;
		if (p <= prio || PRIO_KEEP(p)) {
			/* Nothing queued is less important than this item (or it is all kept). */
			if (PRIO_KEEP(prio))
				break;	/* over the bound, but a warning is never dropped */
			q->dropped++;
			return 1;
		}
		pq_drop_last(q, p);
		dropped = 1;
	}
	if ((it = malloc(sizeof(*it) + len)) == NULL)
		return -1;
	it->prio = prio;
	it->type = type;
	it->hops = hops;
	it->len = len;
	it->has_id = has_id;
	if (has_id || rid != NULL)
		memcpy(it->id, id, FC_IDBYTES);
	if (len > 0)
		memcpy(it->data, data, len);
	pq_append(q, it);
	item_in(q, it);
	return dropped;
}

int
pq_push(struct pq *q, int prio, int type, const uint8_t *data, size_t len, uint32_t hops)
{
	return pq_push_id(q, prio, type, data, len, hops, NULL);
}

int
pq_push_record(struct pq *q, int prio, const uint8_t *rec, size_t len,
    const uint8_t id[FC_IDBYTES], uint32_t hops)
{
	return pq_push_id(q, prio, PQ_RECORD, rec, len, hops, id);
}

struct pq_item *
pq_pop(struct pq *q)
{
	struct pq_item *it;
	int p;

	for (p = 0; p < PRIO_MAX; p++) {
		if ((it = q->head[p]) == NULL)
			continue;
		q->head[p] = it->next;
		if (q->head[p] == NULL)
			q->tail[p] = NULL;
		else
			q->head[p]->prev = NULL;
		q->n--;
		q->bytes -= it->len;
		it->next = it->prev = NULL;
		item_out(q, it);
		return it;
	}
	return NULL;
}

void
pq_unpop(struct pq *q, struct pq_item *it)
{
	it->prev = NULL;
	it->next = q->head[it->prio];
	if (it->next != NULL)
		it->next->prev = it;
	else
		q->tail[it->prio] = it;
	q->head[it->prio] = it;
	q->n++;
	q->bytes += it->len;
	item_in(q, it);
}

void
pq_clear(struct pq *q)
{
	struct pq_item *it;

	while ((it = pq_pop(q)) != NULL)
		free(it);
	free(q->ids);
	free(q->idused);
	q->ids = NULL;
	q->idused = NULL;
	q->idcap = q->nids = 0;
	free(q->sent);	/* a new session starts afresh */
	q->sent = NULL;
	q->sent_next = 0;
}

int
pq_prio_kind(int kind, int level)
{
	switch (kind) {
	case FENGHUO__KIND__CERT:
	case FENGHUO__KIND__REVOKE:
		return PRIO_TRUST;
	case FENGHUO__KIND__WARNING:
		switch (level) {
		case FENGHUO__LEVEL__RED:
			return PRIO_RED;
		case FENGHUO__LEVEL__ORANGE:
			return PRIO_ORANGE;
		case FENGHUO__LEVEL__YELLOW:
			return PRIO_YELLOW;
		default:
			return PRIO_BLUE;
		}
	case FENGHUO__KIND__REPORT:
		return PRIO_REPORT;
	case FENGHUO__KIND__RECEIPT:
		return PRIO_RECEIPT;
	default:
		return PRIO_BULK;
	}
}

/* The body of a serialized Envelope, decoded only; NULL if it does not decode. */
static Fenghuo__Body *
envelope_body(const uint8_t *env, size_t len)
{
	const uint8_t *body, *sig;
	size_t bodylen, siglen;

	if (fc_envelope_split(env, len, &body, &bodylen, &sig, &siglen) != 0)
		return NULL;
	return wire_body_unpack(body, bodylen);
}

static int
prio_body(const Fenghuo__Body *b)
{
	int level = 0;

	if (b->warning != NULL && b->warning->has_level)
		level = b->warning->level;
	return pq_prio_kind(b->has_kind ? (int)b->kind : 0, level);
}

int
pq_prio_envelope(const uint8_t *env, size_t len)
{
	return pq_prio_stored(NULL, env, len);
}

int
pq_prio_stored(struct store *st, const uint8_t *env, size_t len)
{
	struct store_msg m;
	Fenghuo__Body *b, *w;
	int prio;

	if ((b = envelope_body(env, len)) == NULL)
		return PRIO_BULK;
	prio = prio_body(b);
	/*
	 * A receipt confirms its warning to the office that issued it: it travels at the
	 * warning's class, which the store knows (one read; receipts are few).
	 */
	if (prio == PRIO_RECEIPT && st != NULL && b->n_refs >= 1 &&
	    b->refs[0].len == FC_IDBYTES) {
		memset(&m, 0, sizeof(m));
		if (store_get(st, b->refs[0].data, &m) == 0) {
			if (m.seen.kind == FENGHUO__KIND__WARNING &&
			    (w = envelope_body(m.env, m.len)) != NULL) {
				prio = prio_body(w);
				fenghuo__body__free_unpacked(w, NULL);
			}
			store_msg_clear(&m);
		}
	}
	fenghuo__body__free_unpacked(b, NULL);
	return prio;
}

/* ---- peers ----------------------------------------------------------------------------- */

static const char *const link_names[] = {
	"none", "connecting", "hello-sent", "up", "down", "refused",
};

int
peer_is_up(const struct peer *p)
{
	return p->out.state == LINK_UP || p->in.state == LINK_UP;
}

const char *
peer_state_name(const struct peer *p)
{
	if (peer_is_up(p))
		return "up";
	if (p->revoked)
		return "revoked";
	if (p->out.state == LINK_REFUSED || p->in.state == LINK_REFUSED || p->hs_refused)
		return "refused";
	if (p->out.state != LINK_NONE)
		return link_names[p->out.state];
	return "down";
}

const char *
peer_label(const struct peer *p)
{
	static char buf[NODE_NAME_MAX + 32];
	char hex[17];

	if (p->has_key) {
		fc_hex(p->key, 4, hex);
		snprintf(buf, sizeof(buf), "%s (%s)", p->name[0] ? p->name : "?", hex);
	} else {
		snprintf(buf, sizeof(buf), "%s", p->name[0] ? p->name : "?");
	}
	return buf;
}

struct peer *
peer_new(struct node *n, const char *name, const char *address, const uint8_t *key,
    int configured)
{
	struct peer *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", name != NULL ? name : "");
	snprintf(p->address, sizeof(p->address), "%s", address != NULL ? address : "");
	if (key != NULL) {
		memcpy(p->key, key, FC_PUBLICKEYBYTES);
		p->has_key = 1;
	}
	p->configured = configured;
	/* [limits] queue_items, queue_bytes */
	pq_init(&p->q, n != NULL ? n->conf->limits.queue_items : PQ_MAX_ITEMS,
	    n != NULL ? n->conf->limits.queue_bytes : PQ_MAX_BYTES);
	return p;
}

int
peer_link_index(const struct peer *p)
{
	int kind = peer_stream(p) != NULL ? stream_kind(peer_stream(p)) : NODE_LINK_ZMQ;

	return kind > 0 && kind < NODE_LINK_KINDS ? kind : NODE_LINK_ZMQ;
}

void
peer_free(struct node *n, struct peer **pp)
{
	struct peer *p;
	int kind;

	if (pp == NULL || (p = *pp) == NULL)
		return;
	kind = peer_link_index(p);
	n->gone_bytes_in[kind] += p->bytes_in;
	n->gone_bytes_out[kind] += p->bytes_out;
	/* Stop the monitor before closing either end, or libzmq may wait on it at exit. */
	if (p->out.sock != NULL && p->out.monitor != NULL)
		(void)zmq_socket_monitor(p->out.sock, NULL, 0);
	if (p->out.monitor != NULL)
		zmq_close(p->out.monitor);
	if (p->out.sock != NULL)
		zmq_close(p->out.sock);
	stream_close(&p->out.st);	/* stream links */
	stream_close(&p->in.st);
	slink_free(&p->out.sl);
	slink_free(&p->in.sl);
	pq_clear(&p->q);
	free(p);
	*pp = NULL;
}

static int
sockopt_int(void *s, int opt, int v)
{
	return zmq_setsockopt(s, opt, &v, sizeof(v));
}

int
peer_connect(struct node *n, struct peer *p)
{
	char ep[64];
	int64_t maxmsg = WIRE_FRAME_MAX;
	uint8_t sk[FC_TKEYBYTES];

	/* without the peer's transport key there is no CURVE link to dial yet */
	if (curve_peer_server_key(n, p, sk) != 0) {
		log_warnx("peer %s: no transport key known (set [peer %s] transport, or it "
		    "needs a node certificate): not connecting yet", peer_label(p), p->name);
		return 0;
	}
	if ((p->out.sock = zmq_socket(n->zctx, ZMQ_DEALER)) == NULL)
		goto err;
	/* Queue only to completed connections: until then our queue holds everything. */
	if (sockopt_int(p->out.sock, ZMQ_LINGER, NODE_LINGER_MS) != 0 ||
	    sockopt_int(p->out.sock, ZMQ_SNDHWM, NODE_SNDHWM) != 0 ||
	    sockopt_int(p->out.sock, ZMQ_IMMEDIATE, 1) != 0 ||
	    sockopt_int(p->out.sock, ZMQ_RECONNECT_IVL, NODE_RECONNECT_MS) != 0 ||
	    sockopt_int(p->out.sock, ZMQ_RECONNECT_IVL_MAX, NODE_RECONNECT_MAX_MS) != 0 ||
	    zmq_setsockopt(p->out.sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) != 0 ||
	    curve_client(n, p, p->out.sock) != 0)
		goto err;
	snprintf(ep, sizeof(ep), "inproc://fh-mon-%p-%u", (void *)n, n->mon_seq++);
	if (zmq_socket_monitor(p->out.sock, ep,
	    ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
	    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
	    ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0)	/* failures too */
		goto err;
	if ((p->out.monitor = zmq_socket(n->zctx, ZMQ_PAIR)) == NULL ||
	    sockopt_int(p->out.monitor, ZMQ_LINGER, 0) != 0 ||
	    zmq_connect(p->out.monitor, ep) != 0)
		goto err;
	if (zmq_connect(p->out.sock, p->address) != 0)
		goto err;
	p->out.state = LINK_CONNECTING;
	return 0;
err:
	log_warnx("peer %s: cannot connect to %s: %s", peer_label(p), p->address,
	    zmq_strerror(zmq_errno()));
	if (p->out.monitor != NULL)
		zmq_close(p->out.monitor);
	if (p->out.sock != NULL)
		zmq_close(p->out.sock);
	p->out.monitor = p->out.sock = NULL;
	return -1;
}

struct peer *
peer_find_key(struct node *n, const uint8_t key[FC_PUBLICKEYBYTES])
{
	size_t i;

	for (i = 0; i < n->npeers; i++)
		if (n->peers[i]->has_key && !n->peers[i]->dead &&
		    memcmp(n->peers[i]->key, key, FC_PUBLICKEYBYTES) == 0)
			return n->peers[i];
	return NULL;
}

struct peer *
peer_find_rid(struct node *n, void *router, const uint8_t *rid, size_t ridlen)
{
	size_t i;
	struct peer *p;

	for (i = 0; i < n->npeers; i++) {
		p = n->peers[i];
		if (!p->dead && p->in.sock == router && p->in.ridlen == ridlen &&
		    p->in.state != LINK_NONE && memcmp(p->in.rid, rid, ridlen) == 0)
			return p;
	}
	return NULL;
}

int
frame_pack(const Fenghuo__Frame *f, uint8_t **out, size_t *outlen)
{
	size_t len = fenghuo__frame__get_packed_size(f);

	if ((*out = malloc(len > 0 ? len : 1)) == NULL)
		return -1;
	*outlen = fenghuo__frame__pack(f, *out);
	return 0;
}

/* The wrap of a stream link: its session's (slink.c). */
static int
link_wrap(void *arg, int hello, const uint8_t *frame, size_t len, uint8_t **out,
    size_t *outlen)
{
	return slink_wrap(arg, hello, frame, len, out, outlen);
}

/*
 * A frame on a stream link: queued in the lane of its class, sealed (or, a HELLO, as it is)
 * when it starts, and on the air as far as the pacing allows.
 */
static int
stream_link_send(struct peer *p, struct link *l, const uint8_t *buf, size_t len, int hello,
    int prio)
{
	uint8_t *m;
	size_t mlen;
	int rc;

	if (!hello && !slink_keyed(l->sl)) {
		/* No session yet: nothing to say (slink_wrap counts it as unsent). */
		if (slink_wrap(l->sl, 0, buf, len, &m, &mlen) == 0)
			free(m);
		return 0;
	}
	rc = stream_send(l->st, prio, hello, buf, len);
	if (rc == ENOMEM)
		return EAGAIN;
	if (rc != 0) {
		/* Too large for the link (no sender of ours makes one): dropped. */
		log_warnx("peer %s: a frame of %zu bytes is too large for its stream link: "
		    "dropped", peer_label(p), len);
		return 0;
	}
	(void)stream_write(l->st);
	l->last_tx = now_mono();
	p->bytes_out += len;
	p->msgs_out++;
	return 0;
}

/*
 * Send one frame of class prio on link l now. 0 on success, EAGAIN when ZeroMQ's queue is full,
 * another errno when the link is gone.
 */
static int
link_send(struct node *n, struct peer *p, struct link *l, const uint8_t *buf, size_t len,
    int prio)
{
	(void)n;
	if (l->st != NULL)
		return stream_link_send(p, l, buf, len, 0, prio);
	if (l == &p->in) {
		if (zmq_send(l->sock, l->rid, l->ridlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
			return zmq_errno();
	}
	if (zmq_send(l->sock, buf, len, ZMQ_DONTWAIT) < 0)
		return zmq_errno();
	l->last_tx = now_mono();
	p->bytes_out += len;
	p->msgs_out++;
	return 0;
}

static void
link_down(struct node *n, struct peer *p, struct link *l, const char *why)
{
	int was_up = peer_is_up(p);

	(void)n;
	if (l->state == LINK_UP)
		l->state = LINK_DOWN;
	if (was_up && !peer_is_up(p)) {
		log_info("peer %s: link down (%s)", peer_label(p), why);
		p->up_since = 0;
		p->next_sync = 0;
		/* A new link starts eager both ways (our next HELLO says so). */
		p->lazy_in = p->lazy_out = 0;
		p->short_ids = 0;	/* until its next HELLO says so again */
		p->deflate = 0;
		p->creceipts = 0;
	}
}

/* Whether our node key sorts before p's (bytewise): the tie-break between two diallers. */
static int
key_lower(struct node *n, const struct peer *p)
{
	return memcmp(fc_key_public(n->key), p->key, FC_PUBLICKEYBYTES) < 0;
}

/*
 * Whether we run the due reconciliation round with p over our outbound link. Not when p
 * dials us too (its inbound link is up) and its key is the lower: then it runs the rounds,
 * and two rounds per pair would push the same messages twice. A pair with at least one up
 * dialler always has a side that starts.
 */
static int
sync_ours(struct node *n, const struct peer *p)
{
	return p->in.state != LINK_UP || key_lower(n, p);
}

static void
link_up(struct node *n, struct peer *p, struct link *l)
{
	int was_up = peer_is_up(p);
	uint64_t now = now_mono();

	l->state = LINK_UP;
	l->last_rx = now;
	p->refused_logged = 0;
	p->why[0] = '\0';
	if (!was_up) {
		log_info("peer %s: link up (%s)", peer_label(p),
		    l == &p->out ? p->address : "inbound");
		p->up_since = now;
	}
	/*
	 * The side that connected starts reconciliation, on every link up and then every
	 * sync_interval; an inbound-only peer is synced by the other side. When both sides
	 * connect, one round per pair is enough (sync_ours): the lower key starts at once,
	 * the higher one waits NODE_SYNC_DEFER_MS for the peer's own link to show up.
	 */
	if (l == &p->out) {
		if (key_lower(n, p)) {
			gossip_sync_begin(n, p);
			p->next_sync = now + (uint64_t)n->conf->sync_interval * 1000;
		} else {
			p->next_sync = now + NODE_SYNC_DEFER_MS;
		}
	}
}

static int
send_hello(struct node *n, struct peer *p, struct link *l)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (l->st != NULL) {
		/* A stream link: signed for its session (slink.c). */
		if (node_hello_link(n, (p->lazy_in ? CAP_LAZY : CAP_EAGER) |
		    (n->short_ids ? CAP_SHORT_IDS : 0) | (n->deflate ? CAP_DEFLATE : 0) |
		    (n->creceipts ? CAP_COMPACT_RECEIPTS : 0), l->sl, l == &p->out, &buf,
		    &len) != 0)
			return -1;
		rc = stream_link_send(p, l, buf, len, 1, PRIO_CONTROL);
	} else {
		if (node_hello(n, p->lazy_in ? CAP_LAZY : CAP_EAGER, &buf, &len) != 0)
			return -1;
		rc = link_send(n, p, l, buf, len, PRIO_CONTROL);
	}
	free(buf);
	l->hello_pending = rc == EAGAIN;
	if (rc == 0) {
		l->hello_tx = now_mono();
		if (l == &p->out && l->state != LINK_UP && l->state != LINK_REFUSED)
			l->state = LINK_HELLO_SENT;
	}
	return rc;
}

static void
send_pong(struct node *n, struct peer *p, struct link *l, uint64_t nonce, int has_nonce)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Pong pong = FENGHUO__PONG__INIT;
	uint8_t buf[32];
	size_t len;

	pong.has_nonce = has_nonce;
	pong.nonce = nonce;
	pong.has_time_ms = 1;
	pong.time_ms = now_wall();
	f.msg_case = FENGHUO__FRAME__MSG_PONG;
	f.pong = &pong;
	len = fenghuo__frame__pack(&f, buf);
	(void)link_send(n, p, l, buf, len, PRIO_CONTROL);
}

static void
send_ping(struct node *n, struct peer *p, struct link *l)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Ping ping = FENGHUO__PING__INIT;
	uint8_t buf[32];
	size_t len;

	ping.has_nonce = 1;
	ping.nonce = now_mono();
	ping.has_time_ms = 1;
	ping.time_ms = now_wall();
	f.msg_case = FENGHUO__FRAME__MSG_PING;
	f.ping = &ping;
	len = fenghuo__frame__pack(&f, buf);
	(void)link_send(n, p, l, buf, len, PRIO_CONTROL);
}

/* Count and (rate-limited) log a frame we drop. */
static void
peer_garbage(struct peer *p, const char *what)
{
	uint64_t unlogged;

	p->garbage++;
	if (!log_limit_ok(&p->garbage_log, now_mono(), &unlogged))
		return;
	if (unlogged > 0)
		log_warnx("peer %s: dropped %s (and %llu more frames since the last report)",
		    peer_label(p), what, (unsigned long long)unlogged);
	else
		log_warnx("peer %s: dropped %s", peer_label(p), what);
}

/*
 * Check a Hello; NULL if acceptable, else why not (for the log and `peers`). The versions
 * are the one check a rolling upgrade meets: the reason names both ranges, so that an
 * operator sees which side to upgrade.
 */
static const char *
hello_check(const Fenghuo__Hello *h, char *why, size_t whylen)
{
	unsigned lo, hi;

	if (wire_protocol_pick(WIRE_PROTOCOL_MIN, WIRE_PROTOCOL_MAX, h, &lo, &hi) == 0) {
		if (lo == 0 || hi < lo)
			snprintf(why, whylen, "HELLO with no valid protocol version range (%u to %u)",
			    lo, hi);
		else
			snprintf(why, whylen, "no common protocol version: it speaks %u to %u, "
			    "we speak %d to %d", lo, hi, WIRE_PROTOCOL_MIN, WIRE_PROTOCOL_MAX);
		return why;
	}
	if (!h->has_node_key || h->node_key.len != FC_PUBLICKEYBYTES) {
		snprintf(why, whylen, "HELLO without a valid node key");
		return why;
	}
	return NULL;
}

/*
 * Copy a peer-chosen string (name, endpoint) for logs and JSON: printable ASCII, or the
 * whole of it when it is valid UTF-8; anything else becomes '?'.
 */
static void
peer_string(const char *s, char *out, size_t outlen)
{
	size_t i, j = 0, len;
	int utf8;

	if (s == NULL) {
		out[0] = '\0';
		return;
	}
	len = strnlen(s, outlen - 1);
	utf8 = fc_utf8_valid(s, len);
	for (i = 0; i < len && j + 1 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || (c >= 0x80 && !utf8))
			c = '?';
		out[j++] = (char)c;
	}
	out[j] = '\0';
}

static void
hello_name(const Fenghuo__Hello *h, char *out, size_t outlen)
{
	peer_string(h->name, out, outlen);
}

static void
refuse(struct node *n, struct peer *p, struct link *l, const char *why)
{
	(void)n;
	l->state = LINK_REFUSED;
	l->hello_tx = now_mono();
	snprintf(p->why, sizeof(p->why), "%s", why);
	if (!p->refused_logged) {
		const char *where = p->address[0] ? p->address : "inbound";

		log_warnx("peer %s (%s%s): link refused: %s", peer_label(p),
		    l == &p->out || strcmp(where, "inbound") == 0 ? "" : "inbound from ", where,
		    why);
		p->refused_logged = 1;
	}
}

void
peer_withdraw(struct node *n, struct peer *p, const char *why)
{
	struct link *l;
	int i;

	p->revoked = 1;
	p->refused_logged = 0;	/* this one is logged however the link fared before */
	for (i = 0; i < 2; i++) {
		l = i == 0 ? &p->out : &p->in;
		if (l->state == LINK_NONE)
			continue;
		link_down(n, p, l, why);
		refuse(n, p, l, why);
	}
	/* Our own connection to it goes now; libzmq does not dial a removed endpoint again. */
	if (p->out.sock != NULL && p->out.st == NULL) {
		(void)zmq_disconnect(p->out.sock, p->address);
		p->out.connected = 0;
		p->out.hello_pending = 0;
	}
	p->redial_at = 0;
	pq_clear(&p->q);
}

/*
 * What the peer wants from us: ids only when it says lazy and not eager; on a stream link,
 * id prefixes in HAVE and WANT, deflated PUSH frames and compact receipts, when it reads
 * them and we announced them too; and the protocol version in use (hello_check passed).
 */
static void
hello_caps(struct node *n, struct peer *p, const Fenghuo__Hello *h)
{
	unsigned lo, hi;
	int lazy = h->has_capabilities && (h->capabilities & (CAP_EAGER | CAP_LAZY)) == CAP_LAZY;
	int short_ids = n->short_ids && peer_stream(p) != NULL && h->has_capabilities &&
	    (h->capabilities & CAP_SHORT_IDS) != 0;
	int deflate = n->deflate && peer_stream(p) != NULL && h->has_capabilities &&
	    (h->capabilities & CAP_DEFLATE) != 0;
	int creceipts = n->creceipts && peer_stream(p) != NULL && h->has_capabilities &&
	    (h->capabilities & CAP_COMPACT_RECEIPTS) != 0;

	if (short_ids != p->short_ids)
		log_debug("peer %s: %s ids in HAVE and WANT", peer_label(p),
		    short_ids ? "short" : "whole");
	p->short_ids = short_ids;

	p->protocol_version = wire_protocol_pick(WIRE_PROTOCOL_MIN, WIRE_PROTOCOL_MAX, h, &lo,
	    &hi);

	if (deflate != p->deflate)
		log_debug("peer %s: %s PUSH frames", peer_label(p), deflate ? "deflated" :
		    "plain");
	p->deflate = deflate;

	if (creceipts != p->creceipts)
		log_debug("peer %s: receipts %s", peer_label(p), creceipts ? "compact" : "whole");
	p->creceipts = creceipts;

	if (lazy != p->lazy_out)
		log_debug("peer %s: it wants %s", peer_label(p), lazy ? "ids only (prune)" :
		    "full messages (graft)");
	p->lazy_out = lazy;
}

void
peer_set_lazy_in(struct node *n, struct peer *p, int lazy)
{
	struct link *l;

	if (p->lazy_in == lazy)
		return;
	p->lazy_in = lazy;
	if (lazy)
		p->prunes++;
	else
		p->grafts++;
	log_debug("peer %s: %s", peer_label(p), lazy ? "prune (ids only from now)" :
	    "graft (full messages again)");
	if ((l = (p->out.state == LINK_UP ? &p->out : p->in.state == LINK_UP ? &p->in : NULL)) !=
	    NULL) {
		p->caps_tx = now_mono();
		(void)send_hello(n, p, l);
	}
}

/*
 * PRUNE and GRAFT travel on one connection, and the peer's answers to its own HELLOs (which
 * carry our capabilities as they were) on the other: an older answer can overtake a newer
 * PRUNE and undo it at the peer. Nothing on the wire orders the two, so the caller notices
 * the peer acting on stale capabilities (a full copy after PRUNE, a HAVE after GRAFT) and
 * we say it again. Rate-limited: copies sent before the peer got our HELLO still arrive.
 */
void
peer_resend_caps(struct node *n, struct peer *p)
{
	struct link *l;
	uint64_t now = now_mono();

	if (p->caps_tx != 0 && now - p->caps_tx < NODE_GRAFT_MS)
		return;
	if ((l = (p->out.state == LINK_UP ? &p->out : p->in.state == LINK_UP ? &p->in : NULL)) ==
	    NULL)
		return;
	p->caps_tx = now;
	log_debug("peer %s: %s again (it acts on older capabilities)", peer_label(p),
	    p->lazy_in ? "prune" : "graft");
	(void)send_hello(n, p, l);
}

/*
 * 1 if a HELLO that would refuse stream link l is to be ignored instead: its session is
 * alive, so the HELLO is a stranger's (the peer's own come signed for the session), and an
 * unauthenticated frame must not take a working link down. Counted.
 */
static int
hello_ignored(struct link *l)
{
	if (l->sl == NULL || !slink_alive(l->sl, now_mono()))
		return 0;
	slink_note_ignored(l->sl);
	return 1;
}

/* HELLO on our DEALER: the answer to ours. */
static void
hello_out(struct node *n, struct peer *p, const Fenghuo__Hello *h)
{
	char why[128], hex[2 * FC_PUBLICKEYBYTES + 1];
	const char *bad = hello_check(h, why, sizeof(why));

	if (bad == NULL && memcmp(h->node_key.data, p->key, FC_PUBLICKEYBYTES) != 0) {
		snprintf(why, sizeof(why), "presents key %s, configured is another",
		    fc_hex(h->node_key.data, FC_PUBLICKEYBYTES, hex));
		bad = why;
	}
	if (bad == NULL && memcmp(h->node_key.data, fc_key_public(n->key),
	    FC_PUBLICKEYBYTES) == 0)
		bad = "it is this node itself";
	if (bad == NULL)
		bad = curve_withdrawn(n, p, &p->out, why, sizeof(why));
	if (bad != NULL) {
		if (!hello_ignored(&p->out))
			refuse(n, p, &p->out, bad);
		return;
	}
	/* A stream link: only an answer signed for our current session counts (slink.c). */
	if (p->out.sl != NULL && slink_hello_in(p->out.sl, 1, p->key, h, now_mono()) != 0)
		return;
	if (p->out.state != LINK_UP)
		link_up(n, p, &p->out);
	hello_caps(n, p, h);
}

/* HELLO on a listen ROUTER from a routing id; p is its peer if already known. */
static void
hello_in(struct node *n, void *router, const uint8_t *rid, size_t ridlen, struct peer *p,
    const Fenghuo__Hello *h)
{
	char why[128], name[NODE_NAME_MAX + 1];
	uint8_t tkey[FC_TKEYBYTES];
	struct peer *q;
	const char *bad;
	int has_tkey = 0;

	hello_name(h, name, sizeof(name));
	bad = hello_check(h, why, sizeof(why));
	if (bad == NULL)
		bad = curve_hello_bind(n, h->node_key.data, tkey, &has_tkey, why, sizeof(why));
	if (bad == NULL && fc_memeq_ct(h->node_key.data, fc_key_public(n->key),
	    FC_PUBLICKEYBYTES) == 0)
		bad = "it is this node itself";
	q = (bad == NULL || (h->has_node_key && h->node_key.len == FC_PUBLICKEYBYTES)) ?
	    peer_find_key(n, h->node_key.data) : NULL;
	if (q != NULL && peer_stream(q) != NULL) {
		/* That node is reached by its stream link; a ZeroMQ claim to it is dropped. */
		n->unknown_frames++;
		return;
	}
	if (q == NULL)
		q = p;
	if (q == NULL) {
		q = peer_new(n, name[0] ? name : "inbound", "inbound",
		    (h->has_node_key && h->node_key.len == FC_PUBLICKEYBYTES) ?
		    h->node_key.data : NULL, 0);
		if (q == NULL || node_add_peer(n, q) != 0) {
			peer_free(n, &q);
			n->unknown_frames++;
			return;
		}
		if (h->n_endpoints > 0 && h->endpoints[0] != NULL)
			peer_string(h->endpoints[0], q->address, sizeof(q->address));
	}
	/* A peer that reconnected has a new routing id; the old one is gone. */
	if (q != p && p != NULL && !p->configured && p->in.state != LINK_UP) {
		p->in.state = LINK_NONE;
		p->dead = 1;
	}
	q->in.sock = router;
	memcpy(q->in.rid, rid, ridlen);
	q->in.ridlen = ridlen;
	q->in.last_rx = now_mono();
	if (q->in.state == LINK_NONE)
		q->in.state = LINK_HELLO_SENT;
	memcpy(q->in_tkey, tkey, sizeof(tkey));
	q->in_has_tkey = has_tkey;
	if (bad == NULL)
		bad = curve_withdrawn(n, q, &q->in, why, sizeof(why));
	/* Answer with our HELLO (a refused peer learns our version), but not a revoked one. */
	if (!q->revoked)
		(void)send_hello(n, q, &q->in);
	if (bad != NULL) {
		refuse(n, q, &q->in, bad);
		return;
	}
	if (q->in.state != LINK_UP)
		link_up(n, q, &q->in);
	hello_caps(n, q, h);
}

/*
 * HELLO on the answering side of a stream link: as on a listen ROUTER, answered with our
 * HELLO every time; but the key must be the configured one (there is no ZAP to bind it).
 */
static void
hello_stream_in(struct node *n, struct peer *p, const Fenghuo__Hello *h)
{
	char why[160], hex[2 * FC_PUBLICKEYBYTES + 1];
	const char *bad;

	bad = hello_check(h, why, sizeof(why));
	if (bad == NULL && memcmp(h->node_key.data, p->key, FC_PUBLICKEYBYTES) != 0) {
		snprintf(why, sizeof(why), "presents key %s, configured is another",
		    fc_hex(h->node_key.data, FC_PUBLICKEYBYTES, hex));
		bad = why;
	}
	if (bad == NULL)
		bad = curve_withdrawn(n, p, &p->in, why, sizeof(why));
	/*
	 * The right key but no valid signature for a session (a forgery, a replay while the
	 * session lives), or a wrong one while the session is alive: no answer, nothing
	 * changes (counted).
	 */
	if (bad == NULL ? slink_hello_in(p->in.sl, 0, p->key, h, now_mono()) != 0 :
	    hello_ignored(&p->in))
		return;
	if (p->in.state == LINK_NONE)
		p->in.state = LINK_HELLO_SENT;
	(void)send_hello(n, p, &p->in);
	if (bad != NULL) {
		refuse(n, p, &p->in, bad);
		return;
	}
	if (p->in.state != LINK_UP)
		link_up(n, p, &p->in);
	hello_caps(n, p, h);
}

static void
hello_dispatch(struct node *n, struct peer *p, struct link *l, const Fenghuo__Hello *h)
{
	if (l == &p->out)
		hello_out(n, p, h);
	else if (l->st != NULL)
		hello_stream_in(n, p, h);
	else
		hello_in(n, l->sock, l->rid, l->ridlen, p, h);
}

/*
 * The sender's clock in a HELLO that brought its link up. Not on a stream link, where a
 * HELLO travels unsealed: there the sealed PING and PONG tell it.
 */
static void
hello_clock(struct peer *p, struct link *l, const Fenghuo__Hello *h)
{
	if (l->state == LINK_UP && l->st == NULL && h->has_time_ms)
		clock_sample(p, h->time_ms, 0);
}

static void	frame_dispatch(struct node *, struct peer *, struct link *,
		    const Fenghuo__Frame *);

/*
 * A Frame.deflated: only from a stream peer we told CAP_DEFLATE (our HELLO says it whenever
 * n->deflate), inflated within WIRE_DEFLATED_MAX, and only a PUSH or HAVE inside (never
 * another deflated frame). Anything else is dropped and counted; nothing of it is used.
 */
static void
deflated_recv(struct node *n, struct peer *p, struct link *l, const ProtobufCBinaryData *d)
{
	Fenghuo__Frame *in;
	uint8_t *raw;
	size_t len;
	int rc;

	if (l->st == NULL || !n->deflate) {
		peer_garbage(p, "a deflated frame it was not offered");
		return;
	}
	if ((rc = wire_frame_inflate(d->data, d->len, &raw, &len)) != 0) {
		if (rc == EMSGSIZE) {
			char what[96];

			snprintf(what, sizeof(what), "a deflated frame that inflates beyond %u "
			    "bytes (a decompression bomb?)", (unsigned)WIRE_DEFLATED_MAX);
			peer_garbage(p, what);
		} else if (rc == ENOMEM)
			log_warnx("peer %s: out of memory inflating a frame: dropped",
			    peer_label(p));
		else
			peer_garbage(p, "a deflated frame that does not inflate");
		return;
	}
	if ((in = wire_frame_unpack(raw, len)) == NULL) {
		peer_garbage(p, "an undecodable frame inside a deflated one");
	} else if (in->msg_case != FENGHUO__FRAME__MSG_PUSH &&
	    in->msg_case != FENGHUO__FRAME__MSG_HAVE) {
		peer_garbage(p, "a deflated frame other than PUSH or HAVE");
	} else {
		p->deflated_in++;
		frame_dispatch(n, p, l, in);
	}
	if (in != NULL)
		fenghuo__frame__free_unpacked(in, NULL);
	free(raw);
}

/* Dispatch a decoded frame from an accepted link. */
static void
frame_dispatch(struct node *n, struct peer *p, struct link *l, const Fenghuo__Frame *f)
{
	size_t i;

	switch (f->msg_case) {
	case FENGHUO__FRAME__MSG_PING:
		/*
		 * On a stream link with data on its way to the peer, that data tells it we are
		 * alive (any link frame does) and comes at once; a PONG would only take its air
		 * (a quiet end PINGs every NODE_PING_MS while the other sends a backlog).
		 */
		if (l->st == NULL || (stream_backlog(l->st) == 0 && p->q.n == 0))
			send_pong(n, p, l, f->ping->nonce, f->ping->has_nonce);
		else
			p->pongs_skipped++;
		if (f->ping->has_time_ms)
			clock_sample(p, f->ping->time_ms, 0);
		break;
	case FENGHUO__FRAME__MSG_PONG:
		/* Liveness (last_rx), and the peer's clock: our nonce was our send time. */
		if (f->pong->has_time_ms)
			clock_sample(p, f->pong->time_ms, f->pong->has_nonce &&
			    f->pong->nonce <= now_mono() ? now_mono() - f->pong->nonce : 0);
		break;
	case FENGHUO__FRAME__MSG_PUSH:
		for (i = 0; i < f->push->n_envelopes; i++) {
			struct ingest_src src = { INGEST_PEER, p->key, 0, 0 };

			src.hops = i < f->push->n_hops ? f->push->hops[i] : 0;
			if (src.hops < UINT32_MAX)
				src.hops++;
			(void)gossip_add(n, f->push->envelopes[i].data, f->push->envelopes[i].len,
			    &src);
		}
		break;
	case FENGHUO__FRAME__MSG_HAVE:
		gossip_have_recv(n, p, f->have);
		if (f->have->has_short_ids && shortid_have_recv(n, p, f->have->short_ids.data,
		    f->have->short_ids.len) != 0)
			peer_garbage(p, "a HAVE with a partial short id");
		break;
	case FENGHUO__FRAME__MSG_WANT:
		gossip_want_recv(n, p, f->want);
		if (f->want->has_short_ids && shortid_want_recv(n, p, f->want->short_ids.data,
		    f->want->short_ids.len) != 0)
			peer_garbage(p, "a WANT with a partial short id");
		break;
	case FENGHUO__FRAME__MSG_SYNC:
		gossip_sync_recv(n, p, f->sync);
		break;
	case FENGHUO__FRAME__MSG_TRACE_QUERY:
		trace_query_recv(n, p, f->trace_query);
		break;
	case FENGHUO__FRAME__MSG_TRACE_REPLY:
		trace_reply_recv(n, p, f->trace_reply);
		break;
	case FENGHUO__FRAME__MSG_DEFLATED:
		deflated_recv(n, p, l, &f->deflated);
		break;
	case FENGHUO__FRAME__MSG_RECEIPTS:
		creceipt_recv(n, p, f->receipts.data, f->receipts.len);
		break;
	default:
		peer_garbage(p, "a frame of unknown type");
		break;
	}
}

/* peer_recv; hello_only: an unsealed message of a stream link, where only HELLO may come. */
static void
recv_frame(struct node *n, struct peer *p, struct link *l, const uint8_t *buf, size_t len,
    int hello_only)
{
	Fenghuo__Frame *f;

	p->bytes_in += len;
	p->msgs_in++;
	if (!limits_peer_frame(n, p))
		return;	/* over its frame rate, dropped before decoding */
	if ((f = wire_frame_unpack(buf, len)) == NULL) {
		peer_garbage(p, "an undecodable frame");
		return;
	}
	if (hello_only && f->msg_case != FENGHUO__FRAME__MSG_HELLO) {
		peer_garbage(p, "an unsealed frame other than HELLO on a stream link");
		fenghuo__frame__free_unpacked(f, NULL);
		return;
	}
	if (l->state == LINK_REFUSED) {
		/* Only a new HELLO may change its mind; everything else is ignored. */
		if (f->msg_case == FENGHUO__FRAME__MSG_HELLO)
			hello_dispatch(n, p, l, f->hello);
		fenghuo__frame__free_unpacked(f, NULL);
		return;
	}
	l->last_rx = now_mono();
	p->last_seen_ms = now_wall();
	if (l->state == LINK_DOWN && f->msg_case != FENGHUO__FRAME__MSG_HELLO) {
		/* Silent for a while, but alive after all. */
		link_up(n, p, l);
	}
	if (f->msg_case == FENGHUO__FRAME__MSG_HELLO) {
		hello_dispatch(n, p, l, f->hello);
		hello_clock(p, l, f->hello);
	} else if (l->state != LINK_UP) {
		peer_garbage(p, "a frame before HELLO");
	} else {
		frame_dispatch(n, p, l, f);
	}
	fenghuo__frame__free_unpacked(f, NULL);
}

void
peer_recv(struct node *n, struct peer *p, struct link *l, const uint8_t *buf, size_t len)
{
	recv_frame(n, p, l, buf, len, 0);
}

void
peer_recv_unknown(struct node *n, void *router, const uint8_t *rid, size_t ridlen,
    const uint8_t *buf, size_t len)
{
	Fenghuo__Frame *f;
	struct peer *p;

	f = wire_frame_unpack(buf, len);
	if (f != NULL && f->msg_case == FENGHUO__FRAME__MSG_HELLO) {
		hello_in(n, router, rid, ridlen, NULL, f->hello);
		if ((p = peer_find_rid(n, router, rid, ridlen)) != NULL) {
			p->bytes_in += len;
			p->msgs_in++;
			p->last_seen_ms = now_wall();
			hello_clock(p, &p->in, f->hello);
		}
		fenghuo__frame__free_unpacked(f, NULL);
		return;
	}
	if (f != NULL)
		fenghuo__frame__free_unpacked(f, NULL);
	/* From a connection that never said HELLO (or a restarted peer's stale traffic). */
	n->unknown_frames++;
	if (log_limit_ok(&n->unknown_log, now_mono(), NULL))
		log_warnx("dropped a %s frame from an inbound connection without HELLO "
		    "(%llu so far)", f != NULL ? "non-HELLO" : "garbage",
		    (unsigned long long)n->unknown_frames);
}

void
peer_monitor_event(struct node *n, struct peer *p)
{
	zmq_msg_t m;
	uint16_t ev = 0;
	int more, part = 0;

	/* Two parts: event number (2 bytes) + value (4 bytes), then the endpoint. */
	do {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, p->out.monitor, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return;
		}
		if (part == 0 && zmq_msg_size(&m) >= 2)
			memcpy(&ev, zmq_msg_data(&m), sizeof(ev));
		more = zmq_msg_more(&m);
		zmq_msg_close(&m);
		part++;
	} while (more);

	if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
		log_debug("peer %s: connected to %s", peer_label(p), p->address);
		curve_handshake(n, p, 0);
		p->out.connected = 1;
		if (p->out.state == LINK_UP)
			link_down(n, p, &p->out, "reconnected");
		if (p->out.state != LINK_REFUSED)
			p->out.state = LINK_CONNECTING;
		/* HELLO on every (re)connection: a restarted peer knows nothing of us. */
		(void)send_hello(n, p, &p->out);
	} else if (ev == ZMQ_EVENT_DISCONNECTED) {
		p->out.connected = 0;
		p->out.hello_pending = 0;
		link_down(n, p, &p->out, "disconnected");
		if (p->out.state != LINK_REFUSED)
			p->out.state = LINK_CONNECTING;
	} else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ||
	    ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
	    ev == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
		curve_handshake(n, p, ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? 1 : 2);
	}
}

int
peer_queue_frame(struct peer *p, int prio, const uint8_t *buf, size_t len)
{
	return pq_push(&p->q, prio, PQ_FRAME, buf, len, 0);
}

int
peer_queue_envelope(struct node *n, struct peer *p, const uint8_t *env, size_t len,
    uint32_t hops)
{
	/*
	 * Whole, also a receipt to a peer that reads compact ones: this is how a receipt its
	 * record did not rebuild at the peer comes after all (WANT, reconciliation).
	 */
	return pq_push(&p->q, pq_prio_stored(n->store, env, len), PQ_ENVELOPE, env, len, hops);
}

/* The link frames for p go out on, or NULL if none is up. */
static struct link *
peer_link(struct peer *p)
{
	if (p->out.state == LINK_UP)
		return &p->out;
	if (p->in.state == LINK_UP)
		return &p->in;
	return NULL;
}

/* How long an envelope sent to a stream peer is not queued for it again (pq_sent). */
static uint64_t
sent_keep_ms(const struct node *n)
{
	uint64_t half = (uint64_t)n->conf->sync_interval * 1000 / 2;

	return half < PQ_SENT_MS ? half : PQ_SENT_MS;
}

/*
 * The PUSH frame f for a stream peer that reads Frame.deflated, deflated: as many of the
 * batch's nb envelopes as fit budget bytes once compressed (so that a PUSH still takes at most
 * NODE_STREAM_PUSH_MTUS link frames of payload, and a lost link frame still loses no more
 * than one PUSH), the others back to the queue in order (*nb says how many stay). *buf and
 * *len: the frame to send, deflated, or plain when deflating does not make it shorter.
 * 0, or ENOMEM.
 */
static int
push_deflate(struct peer *p, Fenghuo__Frame *f, struct pq_item **batch, size_t *nb,
    size_t budget, uint8_t **buf, size_t *len)
{
	uint8_t *z;
	size_t zlen;

	for (;;) {
		f->push->n_envelopes = f->push->n_hops = *nb;
		if (frame_pack(f, buf, len) != 0)
			return ENOMEM;
		if (wire_frame_deflate(*buf, *len, &z, &zlen) != 0)
			return 0;	/* too large to deflate, or no memory for it: plain */
		if (zlen <= budget || *nb == 1)
			break;
		free(z);
		free(*buf);
		pq_unpop(&p->q, batch[--*nb]);
	}
	if (zlen < *len) {
		p->deflated_out++;
		p->deflate_saved += *len - zlen;
		free(*buf);
		*buf = z;
		*len = zlen;
	} else {
		free(z);
	}
	return 0;
}

int
peer_flush(struct node *n, struct peer *p)
{
	struct pq_item *batch[NODE_PUSH_MAX], *it;
	ProtobufCBinaryData envs[NODE_PUSH_MAX];
	uint32_t hops[NODE_PUSH_MAX];
	uint8_t shorts[NODE_PUSH_MAX * SHORTID_BYTES];
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Push push = FENGHUO__PUSH__INIT;
	Fenghuo__Have have = FENGHUO__HAVE__INIT;
	struct link *l;
	uint8_t *buf, *recs = NULL;
	size_t nb, bytes, len, i, max_items = NODE_PUSH_MAX, max_bytes = NODE_PUSH_BYTES;
	size_t budget = 0;
	int rc, type, short_have, deflate;

	if ((l = peer_link(p)) == NULL)
		return 0;
	l->blocked = 0;
	/*
	 * A slow link: small PUSH frames of one class each (the bounds are set per frame
	 * below), and a lane of the link's scheduler gets a new frame only once its last one
	 * has left, so that the backlog waits here, where the priority classes and the memory
	 * bound apply.
	 */
	while ((it = pq_pop(&p->q)) != NULL) {
		if (l->st != NULL && stream_queued(l->st, it->prio) > 0) {
			/* Its lane is busy, and every lane above it: the link is sending. */
			pq_unpop(&p->q, it);
			l->blocked = 1;
			return 1;
		}
		if (it->type == PQ_RECORD && !creceipt_use(p)) {
			/* Its HELLO no longer reads records: the envelope goes instead. */
			creceipt_requeue(n, p, it);
			free(it);
			continue;
		}
		if (it->type == PQ_FRAME) {
			rc = link_send(n, p, l, it->data, it->len, it->prio);
			if (rc == EAGAIN) {
				pq_unpop(&p->q, it);
				l->blocked = 1;
				return 1;
			}
			free(it);
			if (rc != 0) {
				link_down(n, p, l, zmq_strerror(rc));
				return 0;
			}
			continue;
		}
		/* Gather envelopes (or ids) in priority order into one PUSH (or HAVE). */
		nb = 0;
		bytes = 0;
		type = it->type;
		batch[nb++] = it;
		bytes += it->len;
		short_have = type == PQ_HAVE && shortid_use(p);
		deflate = type == PQ_ENVELOPE && l->st != NULL && p->deflate;
		if (short_have) {
			/* Prefixes: as many as one link frame holds, whatever their ids' size. */
			max_items = shortid_max(stream_mtu(l->st));
			max_bytes = SIZE_MAX;
		} else if (l->st != NULL) {
			max_items = NODE_STREAM_PUSH_MAX;
			max_bytes = NODE_STREAM_PUSH_MTUS * (stream_mtu(l->st) - STREAM_OVERHEAD);
		}
		if (deflate) {
			/*
			 * The bound is on the deflated frame: gather what would compress to
			 * it at 1:2 (push_deflate puts back what does not fit), never more
			 * than can be deflated at all.
			 */
			budget = max_bytes;
			max_bytes = 2 * budget;
			if (max_bytes > NODE_STREAM_DEFLATE_GATHER)
				max_bytes = NODE_STREAM_DEFLATE_GATHER;
		}
		while (nb < max_items && bytes < max_bytes && (it = pq_pop(&p->q)) != NULL) {
			/* One priority class per frame on stream links: a warning never rides
			 * at the back of a frame of reports. */
			if (it->type != type || bytes + it->len > max_bytes ||
			    (l->st != NULL && it->prio != batch[0]->prio)) {
				pq_unpop(&p->q, it);
				break;
			}
			batch[nb++] = it;
			bytes += it->len;
		}
		for (i = 0; i < nb; i++) {
			envs[i].data = batch[i]->data;
			envs[i].len = batch[i]->len;
			hops[i] = batch[i]->hops;
		}
		if (type == PQ_RECORD) {
			/* Records concatenated: they delimit themselves. */
			if ((recs = malloc(bytes)) == NULL) {
				while (nb > 0)
					pq_unpop(&p->q, batch[--nb]);
				l->blocked = 1;
				return 1;
			}
			for (len = 0, i = 0; i < nb; len += batch[i]->len, i++)
				memcpy(recs + len, batch[i]->data, batch[i]->len);
			f.msg_case = FENGHUO__FRAME__MSG_RECEIPTS;
			f.receipts.data = recs;
			f.receipts.len = bytes;
		} else if (short_have) {
			for (i = 0; i < nb; i++)
				memcpy(shorts + i * SHORTID_BYTES, batch[i]->data, SHORTID_BYTES);
			have.n_ids = 0;
			have.has_short_ids = 1;
			have.short_ids.data = shorts;
			have.short_ids.len = nb * SHORTID_BYTES;
			f.msg_case = FENGHUO__FRAME__MSG_HAVE;
			f.have = &have;
		} else if (type == PQ_HAVE) {
			have.n_ids = nb;
			have.ids = envs;
			have.has_short_ids = 0;
			f.msg_case = FENGHUO__FRAME__MSG_HAVE;
			f.have = &have;
		} else {
			push.n_envelopes = nb;
			push.envelopes = envs;
			push.n_hops = nb;
			push.hops = hops;
			f.msg_case = FENGHUO__FRAME__MSG_PUSH;
			f.push = &push;
		}
		if (deflate ? push_deflate(p, &f, batch, &nb, budget, &buf, &len) != 0 :
		    frame_pack(&f, &buf, &len) != 0)
			rc = ENOMEM;
		else {
			rc = link_send(n, p, l, buf, len, batch[0]->prio);
			free(buf);
		}
		free(recs);
		recs = NULL;
		if (rc == 0 && type == PQ_RECORD) {
			p->creceipts_out += nb;
			p->creceipt_frames++;
		}
		if (rc == EAGAIN || rc == ENOMEM) {
			while (nb > 0)
				pq_unpop(&p->q, batch[--nb]);
			l->blocked = 1;
			return 1;
		}
		for (i = 0; i < nb; i++) {
			if (rc == 0 && (type == PQ_ENVELOPE || type == PQ_RECORD) &&
			    batch[i]->has_id)
				pq_sent(&p->q, batch[i]->id, now_mono() + sent_keep_ms(n));
			free(batch[i]);
		}
		if (rc != 0) {
			link_down(n, p, l, zmq_strerror(rc));
			return 0;
		}
	}
	return 0;
}

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * Liveness of an up stream link, at either end: PING when we have sent nothing for
 * NODE_PING_MS (the answering end too: while the other end is busy sending, it may have
 * nothing else to say, and the other end would take its silence for a dead link), and when
 * we have heard nothing for NODE_PING_HEARD_MS (the answer, a PONG, goes ahead of the other
 * end's backlog), again NODE_PING_MS after that PING while still unanswered. The longer wait
 * when hearing nothing lets a quiet peer's own PING (due after NODE_PING_MS of its silence,
 * then on the air) arrive first: a busy end used to PING every 10 s as well, 2% of a
 * 2,400 bit/s link. Returns the next deadline.
 */
static uint64_t
stream_ping(struct node *n, struct peer *p, struct link *l, uint64_t now)
{
	uint64_t said = l->last_tx > l->ping_tx ? l->last_tx : l->ping_tx;
	uint64_t heard = l->last_rx + NODE_PING_HEARD_MS;

	/*
	 * Sending is what goes on the air, not only a message handed to the link: one PUSH of
	 * three MTUs takes 12 s at 2,400 bit/s, and the next is handed over only then.
	 */
	if (stream_last_write(l->st) > said)
		said = stream_last_write(l->st);

	if (heard < l->ping_tx + NODE_PING_MS)
		heard = l->ping_tx + NODE_PING_MS;
	if (now - said >= NODE_PING_MS || now >= heard) {
		send_ping(n, p, l);
		l->ping_tx = now;
		said = now;
		heard = l->last_rx + NODE_PING_HEARD_MS;
		if (heard < now + NODE_PING_MS)
			heard = now + NODE_PING_MS;
	}
	return min_u64(said + NODE_PING_MS, heard);
}

/*
 * Timer duties of one peer:
 *  - outbound link connected but unanswered: re-send HELLO every NODE_HELLO_RETRY_MS;
 *  - a refused outbound link: try HELLO again after NODE_REFUSED_RETRY_MS (quietly);
 *  - an up link silent for NODE_DEAD_MS: down (the DEALER side keeps sending HELLO);
 *  - an up outbound link idle for NODE_PING_MS: PING; a stream link at either end also when
 *    it heard nothing for NODE_PING_HEARD_MS (stream_ping);
 *  - reconciliation every sync_interval on up outbound links (one side per pair);
 *  - stream links: give up a partial frame stalled on a byte stream, expire reassembly.
 */
uint64_t
peer_cron(struct node *n, struct peer *p, uint64_t now)
{
	uint64_t next = now + NODE_CRON_MS;
	struct link *o = &p->out, *in = &p->in;

	if (peer_stream(p) != NULL)
		peer_stream_idle(n, p, now);

	if (o->sock != NULL && o->connected && o->hello_pending) {
		/* ZeroMQ had not attached the new connection yet: try again shortly. */
		(void)send_hello(n, p, o);
		if (o->hello_pending)
			next = min_u64(next, now + 20);
	}
	if (o->sock != NULL || (o->st != NULL && !o->st_eof)) {
		switch (o->state) {
		case LINK_CONNECTING:
			if (o->st != NULL)	/* a stream link: nothing to wait for */
				(void)send_hello(n, p, o);
			break;
		case LINK_HELLO_SENT:
		case LINK_DOWN:
			/*
			 * On a slow link, not while the last HELLO (or PING) is still waiting
			 * in the control lane: then no deadline of ours either (a past one
			 * would spin the loop); the pacing and NODE_CRON_MS wake us.
			 */
			if (o->st != NULL && stream_queued(o->st, PRIO_CONTROL) > 0)
				break;
			if (now - o->hello_tx >= NODE_HELLO_RETRY_MS)
				(void)send_hello(n, p, o);
			next = min_u64(next, o->hello_tx + NODE_HELLO_RETRY_MS);
			break;
		case LINK_REFUSED:
			if (now - o->hello_tx >= NODE_REFUSED_RETRY_MS) {
				o->hello_tx = now;
				(void)send_hello(n, p, o);
				o->state = LINK_REFUSED;
			}
			break;
		case LINK_UP:
			if (now - o->last_rx >= NODE_DEAD_MS) {
				link_down(n, p, o, "silent for 30 s");
				o->hello_tx = now;
				(void)send_hello(n, p, o);
				o->state = LINK_DOWN;
				break;
			}
			/* Idle on our side: the peer's inbound liveness needs to hear from us. */
			if (o->st != NULL) {
				next = min_u64(next, stream_ping(n, p, o, now));
			} else {
				if (now - o->last_tx >= NODE_PING_MS)
					send_ping(n, p, o);
				next = min_u64(next, o->last_tx + NODE_PING_MS);
			}
			next = min_u64(next, o->last_rx + NODE_DEAD_MS);
			if (p->next_sync != 0 && now >= p->next_sync) {
				if (sync_ours(n, p))
					gossip_sync_begin(n, p);
				p->next_sync = now + (uint64_t)n->conf->sync_interval * 1000;
			}
			if (p->next_sync != 0)
				next = min_u64(next, p->next_sync);
			break;
		default:
			break;
		}
	}
	if (in->state == LINK_UP && now - in->last_rx >= NODE_DEAD_MS)
		link_down(n, p, in, "inbound silent for 30 s");
	if (in->state == LINK_UP && in->st != NULL)
		next = min_u64(next, stream_ping(n, p, in, now));
	/*
	 * An inbound-only peer gone for good (or refused and silent) is forgotten after a
	 * while, so that strangers cannot fill the peer table for ever.
	 */
	if (!p->configured && !p->px_discovered && !peer_is_up(p) &&
	    now - in->last_rx >= 10 * 60 * 1000)
		p->dead = 1;
	return next;
}

/* ---- stream links ---------------------------------------------------------------------- */

struct stream *
peer_stream(const struct peer *p)
{
	return p->out.st != NULL ? p->out.st : p->in.st;
}

uint32_t
peer_link_kind(const struct peer *p)
{
	const struct stream *s = peer_stream(p);

	if (s == NULL)
		return WIRE_LINK_ZMQ;
	switch (stream_kind(s)) {
	case STREAM_UDP:
		return WIRE_LINK_UDP;
	case STREAM_SERIAL:
		return WIRE_LINK_SERIAL;
	case STREAM_STDIO:
		return WIRE_LINK_STDIO;
	default:
		return WIRE_LINK_STREAM;
	}
}

struct link *
peer_stream_link(struct peer *p)
{
	return p->out.st != NULL ? &p->out : &p->in;
}

const struct slink *
peer_slink(const struct peer *p)
{
	return p->out.st != NULL ? p->out.sl : p->in.sl;
}

struct peer *
peer_new_stream(struct node *n, const struct conf_link *cl)
{
	char addr[NODE_ADDR_MAX + 1];
	struct peer *p;
	struct link *l;

	if (memcmp(cl->key, fc_key_public(n->key), FC_PUBLICKEYBYTES) == 0) {
		log_warnx("link %s: its key is this node's own key", cl->name);
		return NULL;
	}
	switch (cl->type) {
	case STREAM_UDP:
		snprintf(addr, sizeof(addr), "udp:%s", cl->remote);
		break;
	case STREAM_SERIAL:
		snprintf(addr, sizeof(addr), "serial:%s", cl->device);
		break;
	default:
		snprintf(addr, sizeof(addr), "stdio:");
		break;
	}
	if ((p = peer_new(n, cl->name, addr, cl->key, 1)) == NULL)
		return NULL;
	/* The lower key speaks first (the DEALER's part), the other answers (the ROUTER's). */
	l = key_lower(n, p) ? &p->out : &p->in;
	if ((l->st = stream_open(cl)) == NULL || (l->sl = slink_new()) == NULL) {
		peer_free(n, &p);
		return NULL;
	}
	stream_set_wrap(l->st, link_wrap, l->sl);
	l->connected = 1;
	p->q.dedupe = 1;	/* a slow link carries a message once */
	if (l == &p->out) {
		/*
		 * Speak first at once: were a HELLO to come in before ours went out, the link
		 * would be up here and silent there (peer_cron sends HELLO only while not up).
		 */
		l->state = LINK_CONNECTING;
		(void)send_hello(n, p, l);
	}
	return p;
}

struct stream_deliver {
	struct node	*n;
	struct peer	*p;
	struct link	*l;
};

/*
 * A message from the stream link: a HELLO goes to the session check as it is (it is signed
 * inside), anything else only sealed under the session (slink.c); the rest is dropped.
 */
static void
stream_deliver(void *arg, const uint8_t *msg, size_t len)
{
	struct stream_deliver *d = arg;
	const uint8_t *frame;
	size_t flen;
	int kind;

	kind = slink_unwrap(d->l->sl, msg, len, &frame, &flen, now_mono());
	if (kind >= 0)
		recv_frame(d->n, d->p, d->l, frame, flen, kind == SLINK_KIND_HELLO);
}

void
peer_stream_read(struct node *n, struct peer *p)
{
	struct stream_deliver d;
	struct link *l = peer_stream_link(p);
	long r;

	if (l->st == NULL || l->st_eof)
		return;
	d.n = n;
	d.p = p;
	d.l = l;
	r = stream_read(l->st, now_mono(), stream_deliver, &d);
	if (r < 0) {
		/* stdin closed (or the tty went away): nothing will come on this link again. */
		l->st_eof = 1;
		log_warnx("peer %s: stream link input ended", peer_label(p));
		link_down(n, p, l, "input ended");
		l->state = LINK_DOWN;
		return;
	}
	/* Any valid link frame is a sign of life, also a fragment of a long message. */
	if (r > 0 && l->state == LINK_UP)
		l->last_rx = now_mono();
}

void
peer_stream_idle(struct node *n, struct peer *p, uint64_t now)
{
	struct stream_deliver d;
	struct link *l = peer_stream_link(p);

	if (l->st == NULL || l->st_eof)
		return;
	d.n = n;
	d.p = p;
	d.l = l;
	stream_idle(l->st, now, stream_deliver, &d);
}

void
peer_stream_write(struct node *n, struct peer *p)
{
	struct link *l = peer_stream_link(p);
	uint64_t sent;
	int rc, round;

	for (round = 0; round < NODE_READ_BUDGET; round++) {
		if (l->st == NULL || l->st_eof || stream_backlog(l->st) == 0)
			return;
		sent = stream_sent_msgs(l->st);
		if ((rc = stream_write(l->st)) != 0) {
			/* The other end of the pipe or tty is gone: it will not come back. */
			log_warnx("peer %s: stream link write: %s", peer_label(p), strerror(rc));
			l->st_eof = 1;
			link_down(n, p, l, strerror(rc));
			l->state = LINK_DOWN;
			return;
		}
		if (stream_sent_msgs(l->st) == sent)
			return;	/* paced, blocked, or nothing left */
		/* A message has left: its lane can take the next frame of the queue. */
		if (p->q.n > 0)
			(void)peer_flush(n, p);
	}
}
