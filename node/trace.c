/*
 * trace.c: TRACE, where one message went (PROTOCOL.md §5, Trace).
 *
 * A control client asks; this node sends a TraceQuery to every peer that is up. Each node
 * the query reaches answers once per trace_id with its seen record of the message (when it
 * stored it first, from which neighbour, after how many hops) and passes the query on with
 * one hop less. Replies travel back along the path the query came: every node remembers,
 * per trace_id, the peer it got the query from. The asker collects replies until the
 * client's timeout and answers it with all of them; whoever did not answer by then is, for
 * the client, unanswered (down, partitioned, or too far).
 *
 * Everything a peer can make this node do is bounded: one answer and one round of
 * forwarding per trace_id (a table of TRACE_TABLE_MAX entries, each kept TRACE_KEEP_MS;
 * when it is full of live traces new queries are ignored, and no peer holds more than
 * TRACE_PEER_MAX of them, so that one peer cannot shut the others out), hops_left at most
 * TRACE_HOPS_MAX, at most TRACE_REPLIES_MAX replies passed on per trace, and every frame
 * counts against the peer's frame rate (limits.c) before it gets here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "node.h"

/*
 * Traces travel below every warning and above reports, receipts and bulk: a trace is a few
 * small frames an operator waits on, but must never delay a warning on a slow link. The
 * reconciliation class is exactly that place.
 */
#define TRACE_PRIO		PRIO_SYNC

struct trace_entry *
trace_table_find(struct trace_table *t, const uint8_t *tid, uint64_t now)
{
	size_t i;

	for (i = 0; i < TRACE_TABLE_MAX; i++)
		if (t->e[i].used && t->e[i].expires > now &&
		    memcmp(t->e[i].tid, tid, TRACE_ID_BYTES) == 0)
			return &t->e[i];
	return NULL;
}

struct trace_entry *
trace_table_add(struct trace_table *t, const uint8_t *tid, uint64_t now)
{
	struct trace_entry *e = NULL;
	size_t i;

	if (trace_table_find(t, tid, now) != NULL)
		return NULL;
	for (i = 0; i < TRACE_TABLE_MAX && e == NULL; i++)
		if (!t->e[i].used || (t->e[i].expires <= now && !t->e[i].local))
			e = &t->e[i];
	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->used = 1;
	memcpy(e->tid, tid, TRACE_ID_BYTES);
	e->expires = now + TRACE_KEEP_MS;
	return e;
}

size_t
trace_table_count_from(const struct trace_table *t, const uint8_t *key, uint64_t now)
{
	size_t i, c = 0;

	for (i = 0; i < TRACE_TABLE_MAX; i++)
		if (t->e[i].used && !t->e[i].local && t->e[i].expires > now &&
		    memcmp(t->e[i].from, key, FC_PUBLICKEYBYTES) == 0)
			c++;
	return c;
}

void
trace_table_expire(struct trace_table *t, uint64_t now)
{
	size_t i;

	for (i = 0; i < TRACE_TABLE_MAX; i++) {
		if (!t->e[i].used || t->e[i].expires > now)
			continue;
		json_decref(t->e[i].replies);
		memset(&t->e[i], 0, sizeof(t->e[i]));
	}
}

const char *
trace_query_check(const Fenghuo__TraceQuery *q)
{
	if (!q->has_trace_id || q->trace_id.len != TRACE_ID_BYTES)
		return "a TRACE query without an 8-byte trace id";
	if (!q->has_msg_id || q->msg_id.len != FC_IDBYTES)
		return "a TRACE query without a 32-byte message id";
	if (!q->has_origin || q->origin.len != FC_PUBLICKEYBYTES)
		return "a TRACE query without a 32-byte origin";
	if (q->has_hops_left && q->hops_left > TRACE_HOPS_MAX)
		return "a TRACE query with too many hops";
	return NULL;
}

const char *
trace_reply_check(const Fenghuo__TraceReply *r)
{
	if (!r->has_trace_id || r->trace_id.len != TRACE_ID_BYTES)
		return "a TRACE reply without an 8-byte trace id";
	if (!r->has_node || r->node.len != FC_PUBLICKEYBYTES)
		return "a TRACE reply without a 32-byte node key";
	if (r->has_from && r->from.len != FC_PUBLICKEYBYTES)
		return "a TRACE reply with a malformed neighbour key";
	return NULL;
}

static struct trace_table *
trace_table(struct node *n)
{
	if (n->trace == NULL)
		n->trace = calloc(1, sizeof(*n->trace));
	return n->trace;
}

/* A peer frame that breaks the bounds: counted as garbage of p, nothing done. */
static void
trace_bad(struct node *n, struct peer *p, const char *why)
{
	p->garbage++;
	n->trace_ignored++;
	if (log_limit_ok(&p->garbage_log, now_mono(), NULL))
		log_warnx("peer %s: dropped %s", peer_label(p), why);
}

/* How the message came to this node (WIRE_LINK_*), or UNKNOWN: local, or the peer is gone. */
static uint32_t
trace_link_kind(struct node *n, const struct store_seen *s)
{
	struct peer *p;

	if (!s->has_from || (p = peer_find_key(n, s->from)) == NULL)
		return WIRE_LINK_UNKNOWN;
	return peer_link_kind(p);
}

/* This node's answer for msg_id into r (r's byte fields point into from/self storage). */
static void
trace_own(struct node *n, const uint8_t *msg_id, Fenghuo__TraceReply *r,
    uint8_t from[FC_PUBLICKEYBYTES])
{
	struct store_msg m;

	r->has_node = 1;
	r->node.data = (uint8_t *)(uintptr_t)fc_key_public(n->key);
	r->node.len = FC_PUBLICKEYBYTES;
	r->has_has_msg = 1;
	memset(&m, 0, sizeof(m));
	if (store_get(n->store, msg_id, &m) != 0) {
		r->has_msg = 0;
		return;
	}
	r->has_msg = 1;
	r->has_first_seen_ms = 1;
	r->first_seen_ms = m.seen.first_seen_ms;
	r->has_hops = 1;
	r->hops = m.seen.hops;
	r->has_link = 1;
	r->link = trace_link_kind(n, &m.seen);
	if (m.seen.has_from) {
		memcpy(from, m.seen.from, FC_PUBLICKEYBYTES);
		r->has_from = 1;
		r->from.data = from;
		r->from.len = FC_PUBLICKEYBYTES;
	}
	store_msg_clear(&m);
}

static int
trace_send(struct peer *p, const Fenghuo__Frame *f)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (frame_pack(f, &buf, &len) != 0)
		return -1;
	rc = peer_queue_frame(p, TRACE_PRIO, buf, len);
	free(buf);
	return rc;
}

static void
trace_send_reply(struct peer *p, const Fenghuo__TraceReply *r)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;

	f.msg_case = FENGHUO__FRAME__MSG_TRACE_REPLY;
	f.trace_reply = (Fenghuo__TraceReply *)(uintptr_t)r;
	(void)trace_send(p, &f);
}

/* Pass q on to every peer that is up, but skip. */
static void
trace_forward(struct node *n, const Fenghuo__TraceQuery *q, const struct peer *skip)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	size_t i;

	f.msg_case = FENGHUO__FRAME__MSG_TRACE_QUERY;
	f.trace_query = (Fenghuo__TraceQuery *)(uintptr_t)q;
	for (i = 0; i < n->npeers; i++) {
		struct peer *p = n->peers[i];

		if (p == skip || p->dead || p->revoked || !p->has_key || !peer_is_up(p))
			continue;
		(void)trace_send(p, &f);
	}
}

/* One reply as the control client sees it; via: the peer it arrived from, or NULL. */
static json_t *
trace_reply_json(const Fenghuo__TraceReply *r, const uint8_t *via)
{
	char node[2 * FC_PUBLICKEYBYTES + 1], hex[2 * FC_PUBLICKEYBYTES + 1];
	const char *name;
	json_t *o;

	fc_hex(r->node.data, FC_PUBLICKEYBYTES, node);
	if ((o = json_pack("{s:s, s:b}", "node", node, "has_msg", r->has_has_msg &&
	    r->has_msg)) == NULL)
		return NULL;
	if (r->has_has_msg && r->has_msg) {
		json_object_set_new(o, "first_seen_ms", json_integer((json_int_t)
		    (r->has_first_seen_ms ? r->first_seen_ms : 0)));
		json_object_set_new(o, "from", r->has_from ? json_string(fc_hex(r->from.data,
		    FC_PUBLICKEYBYTES, hex)) : json_null());
		json_object_set_new(o, "hops", json_integer(r->has_hops ? r->hops : 0));
		/* 0 (or a kind this node has no name for): local, or not known. */
		name = r->has_link ? wire_link_name((int)r->link) : NULL;
		json_object_set_new(o, "link", json_string(name != NULL ? name : "local"));
	}
	json_object_set_new(o, "via", via != NULL ? json_string(fc_hex(via, FC_PUBLICKEYBYTES,
	    hex)) : json_null());
	return o;
}

void
trace_query_recv(struct node *n, struct peer *p, const Fenghuo__TraceQuery *q)
{
	Fenghuo__TraceReply r = FENGHUO__TRACE_REPLY__INIT;
	Fenghuo__TraceQuery fwd;
	struct trace_table *t;
	struct trace_entry *e;
	uint8_t from[FC_PUBLICKEYBYTES];
	const char *why;
	uint64_t now = now_mono();

	if ((why = trace_query_check(q)) != NULL) {
		trace_bad(n, p, why);
		return;
	}
	if (!p->has_key || (t = trace_table(n)) == NULL)
		return;
	/*
	 * Seen before (another path, or our own query coming back): answered already. Or the
	 * peer has its share of the table.
	 */
	if (trace_table_count_from(t, p->key, now) >= TRACE_PEER_MAX ||
	    (e = trace_table_add(t, q->trace_id.data, now)) == NULL) {
		n->trace_ignored++;
		return;
	}
	n->trace_queries++;
	memcpy(e->from, p->key, FC_PUBLICKEYBYTES);
	r.has_trace_id = 1;
	r.trace_id = q->trace_id;
	trace_own(n, q->msg_id.data, &r, from);
	trace_send_reply(p, &r);
	if (q->has_hops_left && q->hops_left > 0) {
		fwd = *q;
		fwd.hops_left = q->hops_left - 1;
		trace_forward(n, &fwd, p);
	}
}

void
trace_reply_recv(struct node *n, struct peer *p, const Fenghuo__TraceReply *r)
{
	struct trace_entry *e;
	struct peer *back;
	const char *why;
	json_t *o;

	if ((why = trace_reply_check(r)) != NULL) {
		trace_bad(n, p, why);
		return;
	}
	if (n->trace == NULL ||
	    (e = trace_table_find(n->trace, r->trace_id.data, now_mono())) == NULL ||
	    e->nreplies >= TRACE_REPLIES_MAX) {
		n->trace_ignored++;	/* not ours, over, or too many */
		return;
	}
	e->nreplies++;
	if (!e->local) {
		if ((back = peer_find_key(n, e->from)) != NULL && peer_is_up(back))
			trace_send_reply(back, r);
		return;
	}
	if (e->replies != NULL && (o = trace_reply_json(r, p->key)) != NULL)
		json_array_append_new(e->replies, o);
}

void
trace_ctl(struct node *n, const uint8_t *rid, size_t ridlen, const json_t *req)
{
	Fenghuo__TraceQuery q = FENGHUO__TRACE_QUERY__INIT;
	Fenghuo__TraceReply own = FENGHUO__TRACE_REPLY__INIT;
	uint8_t id[FC_IDBYTES], tid[TRACE_ID_BYTES], from[FC_PUBLICKEYBYTES];
	const char *hex = json_string_value(json_object_get(req, "id"));
	const json_t *tm = json_object_get(req, "timeout_ms");
	struct trace_table *t;
	struct trace_entry *e;
	json_int_t timeout = 5000;
	json_t *o;
	uint64_t now = now_mono();

	if (hex == NULL || strlen(hex) != 2 * FC_IDBYTES ||
	    fc_unhex(hex, id, FC_IDBYTES) != 0) {
		ctl_error(n, rid, ridlen, "trace needs \"id\": 64 hex digits");
		return;
	}
	if (tm != NULL) {
		if (!json_is_integer(tm) || json_integer_value(tm) < 0 ||
		    json_integer_value(tm) > TRACE_TIMEOUT_MAX_MS) {
			ctl_error(n, rid, ridlen, "trace \"timeout_ms\" must be 0..60000");
			return;
		}
		timeout = json_integer_value(tm);
	}
	if (ridlen > NODE_RID_MAX || (t = trace_table(n)) == NULL) {
		ctl_error(n, rid, ridlen, "out of memory");
		return;
	}
	trace_table_expire(t, now);
	randombytes_buf(tid, sizeof(tid));
	if ((e = trace_table_add(t, tid, now)) == NULL) {
		ctl_error(n, rid, ridlen, "too many traces under way, try again in a minute");
		return;
	}
	e->local = 1;
	e->deadline = now + (uint64_t)timeout;
	memcpy(e->rid, rid, ridlen);
	e->ridlen = ridlen;
	if ((e->replies = json_array()) == NULL) {
		memset(e, 0, sizeof(*e));
		ctl_error(n, rid, ridlen, "out of memory");
		return;
	}
	own.has_trace_id = 1;
	own.trace_id.data = tid;
	own.trace_id.len = sizeof(tid);
	trace_own(n, id, &own, from);
	if ((o = trace_reply_json(&own, NULL)) != NULL)
		json_array_append_new(e->replies, o);
	q.has_trace_id = 1;
	q.trace_id = own.trace_id;
	q.has_msg_id = 1;
	q.msg_id.data = id;
	q.msg_id.len = FC_IDBYTES;
	q.has_hops_left = 1;
	q.hops_left = TRACE_HOPS_MAX - 1;
	q.has_origin = 1;
	q.origin.data = (uint8_t *)(uintptr_t)fc_key_public(n->key);
	q.origin.len = FC_PUBLICKEYBYTES;
	trace_forward(n, &q, NULL);
	n->next_cron = now;	/* a timeout of 0 answers in this pass */
}

/* Answer the control client of local entry e with what it collected. */
static void
trace_answer(struct node *n, struct trace_entry *e)
{
	char tid[2 * TRACE_ID_BYTES + 1];

	fc_hex(e->tid, TRACE_ID_BYTES, tid);
	ctl_send(n, e->rid, e->ridlen, json_pack("{s:b, s:s, s:O}", "ok", 1, "trace_id", tid,
	    "replies", e->replies), NULL, 0);
	json_decref(e->replies);
	e->replies = NULL;
	e->local = 0;	/* late replies are ignored until the entry expires */
	e->nreplies = TRACE_REPLIES_MAX;
}

uint64_t
trace_cron(struct node *n, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	size_t i;

	if (n->trace == NULL)
		return next;
	for (i = 0; i < TRACE_TABLE_MAX; i++) {
		struct trace_entry *e = &n->trace->e[i];

		if (!e->used || !e->local)
			continue;
		if (e->deadline <= now)
			trace_answer(n, e);
		else if (e->deadline < next)
			next = e->deadline;
	}
	trace_table_expire(n->trace, now);
	return next;
}

void
trace_free(struct node *n)
{
	size_t i;

	if (n->trace == NULL)
		return;
	for (i = 0; i < TRACE_TABLE_MAX; i++)
		json_decref(n->trace->e[i].replies);
	free(n->trace);
	n->trace = NULL;
}
