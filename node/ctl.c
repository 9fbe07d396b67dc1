/*
 * ctl.c: the daemon side of the control socket (the CLI's way in).
 *
 * A ROUTER on ipc://<state>/fenghuod.sock, mode 0660 so that only the daemon's group gets
 * in. Requests are multipart: a JSON object with "cmd" first, then (for submit) one
 * serialized Envelope. Replies are one JSON object with "ok". The protocol is fixed in
 * docs/CLI.md; this file must stay in step with tools/ctl.c.
 *
 * A submit is gathered with the peers' envelopes of the same loop pass and answered only
 * after their common commit (an ack means durable, DESIGN decision 7). An import (many
 * envelopes of a bundle in one request) gets a commit of its own and one answer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#include "node.h"

int
ctl_open(struct node *n)
{
	char ep[NODE_ADDR_MAX + 8];
	int64_t maxmsg = WIRE_FRAME_MAX;
	int linger = 0;

	snprintf(n->ctl_path, sizeof(n->ctl_path), "%s/fenghuod.sock", n->conf->state);
	snprintf(ep, sizeof(ep), "ipc://%s", n->ctl_path);
	if ((n->ctl = zmq_socket(n->zctx, ZMQ_ROUTER)) == NULL ||
	    zmq_setsockopt(n->ctl, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
	    zmq_setsockopt(n->ctl, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) != 0 ||
	    zmq_bind(n->ctl, ep) != 0) {
		log_warnx("control socket %s: %s", ep, zmq_strerror(zmq_errno()));
		return -1;
	}
	if (chmod(n->ctl_path, 0660) != 0) {
		log_warn("chmod %s", n->ctl_path);
		return -1;
	}
	return 0;
}

void
ctl_close(struct node *n)
{
	free(n->ctl_waits);
	n->ctl_waits = NULL;
	n->nctl_waits = n->ctl_waits_cap = 0;
	if (n->ctl == NULL)
		return;
	zmq_close(n->ctl);
	n->ctl = NULL;
	unlink(n->ctl_path);
}

/* Send a reply (and optionally a second part) to a client; consumes obj. */
void
ctl_send(struct node *n, const uint8_t *rid, size_t ridlen, json_t *obj, const uint8_t *part2,
    size_t len2)
{
	char *s;

	s = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (s == NULL)
		return;
	if (zmq_send(n->ctl, rid, ridlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0 &&
	    zmq_send(n->ctl, s, strlen(s), (part2 != NULL ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) >= 0 &&
	    part2 != NULL)
		(void)zmq_send(n->ctl, part2, len2, ZMQ_DONTWAIT);
	free(s);
}

void
ctl_error(struct node *n, const uint8_t *rid, size_t ridlen, const char *error)
{
	ctl_send(n, rid, ridlen, json_pack("{s:b, s:s}", "ok", 0, "error", error), NULL, 0);
}

static json_t *
hexstr(const uint8_t *bin, size_t len)
{
	char buf[2 * 64 + 1];

	return json_string(fc_hex(bin, len, buf));
}

/* A stream link's own numbers (docs/CLI.md, "peers"). */
static json_t *
stream_json(const struct peer *p)
{
	const struct stream *st = peer_stream(p);
	const struct stream_stats *ss = stream_stats(st);
	const struct slink_stats *as = slink_stats(peer_slink(p));

	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
	    "type", stream_kind_name(stream_kind(st)),
	    "mtu", (json_int_t)stream_mtu(st),
	    "bitrate", (json_int_t)stream_bitrate(st),
	    "wire_in", (json_int_t)stream_wire_in(st),
	    "wire_out", (json_int_t)stream_wire_out(st),
	    "backlog", (json_int_t)stream_backlog(st),
	    "frames", (json_int_t)ss->frames,
	    "msgs", (json_int_t)ss->msgs,
	    "crc_errors", (json_int_t)ss->crc_errors,
	    "resyncs", (json_int_t)ss->resyncs,
	    "skipped", (json_int_t)ss->skipped,
	    "frag_dropped", (json_int_t)ss->frag_dropped,
	    "msg_expired", (json_int_t)ss->msg_expired,
	    "foreign", (json_int_t)ss->foreign,
	    "too_long", (json_int_t)ss->too_long,
	    "session",
	    "keyed", slink_keyed(peer_slink(p)),
	    "sessions", (json_int_t)as->sessions,
	    "hello_bad", (json_int_t)as->hello_bad,
	    "hello_ignored", (json_int_t)as->hello_ignored,
	    "bad_tag", (json_int_t)as->bad_tag,
	    "replayed", (json_int_t)as->replayed,
	    "unkeyed", (json_int_t)as->unkeyed,
	    "malformed", (json_int_t)as->malformed);
}

static json_t *
peer_json(const struct peer *p)
{
	json_t *o = json_object();
	static const uint8_t zero[FC_PUBLICKEYBYTES];
	int64_t off;

	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "key", hexstr(p->has_key ? p->key : zero, FC_PUBLICKEYBYTES));
	json_object_set_new(o, "address", json_string(p->address));
	json_object_set_new(o, "configured", json_boolean(p->configured));
	json_object_set_new(o, "discovered", json_boolean(p->px_discovered));
	json_object_set_new(o, "state", json_string(peer_state_name(p)));
	json_object_set_new(o, "protocol_version", json_integer((json_int_t)p->protocol_version));
	/* Why it is not up, when known: refused (by whom, why), revoked. */
	json_object_set_new(o, "reason", json_string(peer_is_up(p) ? "" : p->why));
	if (clock_peer_offset(p, &off) == 0)
		json_object_set_new(o, "clock_offset_ms", json_integer((json_int_t)off));
	else
		json_object_set_new(o, "clock_offset_ms", json_null());
	json_object_set_new(o, "last_seen_ms", json_integer((json_int_t)p->last_seen_ms));
	json_object_set_new(o, "bytes_in", json_integer((json_int_t)p->bytes_in));
	json_object_set_new(o, "bytes_out", json_integer((json_int_t)p->bytes_out));
	json_object_set_new(o, "msgs_in", json_integer((json_int_t)p->msgs_in));
	json_object_set_new(o, "msgs_out", json_integer((json_int_t)p->msgs_out));
	json_object_set_new(o, "queue", json_integer((json_int_t)p->q.n));
	json_object_set_new(o, "queue_dropped", json_integer((json_int_t)p->q.dropped));
	json_object_set_new(o, "sync_rounds", json_integer((json_int_t)p->sync_rounds));
	json_object_set_new(o, "sync_bytes", json_integer((json_int_t)p->sync_bytes));
	json_object_set_new(o, "garbage", json_integer((json_int_t)p->garbage));
	/* Lazy push: what we send it / what we asked of it, and the tree changes. */
	json_object_set_new(o, "push", json_string(p->lazy_out ? "lazy" : "eager"));
	json_object_set_new(o, "recv", json_string(p->lazy_in ? "lazy" : "eager"));
	json_object_set_new(o, "prunes", json_integer((json_int_t)p->prunes));
	/* HAVE/WANT with id prefixes (stream links, both ends announce it). */
	json_object_set_new(o, "short_ids", json_boolean(p->short_ids));
	json_object_set_new(o, "short_ids_in", json_integer((json_int_t)p->short_ids_in));
	/* Deflated PUSH frames (stream links, both ends announce it). */
	json_object_set_new(o, "deflate", json_boolean(p->deflate));
	json_object_set_new(o, "deflated_out", json_integer((json_int_t)p->deflated_out));
	json_object_set_new(o, "deflated_in", json_integer((json_int_t)p->deflated_in));
	json_object_set_new(o, "deflate_saved", json_integer((json_int_t)p->deflate_saved));
	json_object_set_new(o, "compact_receipts", json_boolean(p->creceipts));
	json_object_set_new(o, "receipts_in", json_integer((json_int_t)p->creceipts_in));
	json_object_set_new(o, "receipts_out", json_integer((json_int_t)p->creceipts_out));
	json_object_set_new(o, "receipt_frames_out",
	    json_integer((json_int_t)p->creceipt_frames));
	json_object_set_new(o, "receipts_dropped",
	    json_integer((json_int_t)p->creceipts_dropped));
	json_object_set_new(o, "pongs_skipped", json_integer((json_int_t)p->pongs_skipped));
	if (peer_stream(p) != NULL)
		json_object_set_new(o, "stream", stream_json(p));
	json_object_set_new(o, "link", json_string(peer_stream(p) != NULL ?
	    stream_kind_name(stream_kind(peer_stream(p))) : "zmq"));
	json_object_set_new(o, "grafts", json_integer((json_int_t)p->grafts));
	return o;
}

/*
 * Frame bytes in and out per link kind since start: the peers gone (node.gone_bytes_*) and
 * those still here, dead or alive. {"zmq": {"bytes_in", "bytes_out"}, "udp": ...}, a kind
 * only once it has carried something.
 */
static json_t *
link_bytes_json(const struct node *n)
{
	uint64_t in[NODE_LINK_KINDS], out[NODE_LINK_KINDS];
	json_t *o = json_object();
	size_t i;
	int k;

	memcpy(in, n->gone_bytes_in, sizeof(in));
	memcpy(out, n->gone_bytes_out, sizeof(out));
	for (i = 0; i < n->npeers; i++) {
		k = peer_link_index(n->peers[i]);
		in[k] += n->peers[i]->bytes_in;
		out[k] += n->peers[i]->bytes_out;
	}
	for (k = 0; k < NODE_LINK_KINDS; k++)
		if (in[k] != 0 || out[k] != 0)
			json_object_set_new(o, k == NODE_LINK_ZMQ ? "zmq" : stream_kind_name(k),
			    json_pack("{s:I, s:I}", "bytes_in", (json_int_t)in[k], "bytes_out",
			    (json_int_t)out[k]));
	return o;
}

static json_t *
peers_json(const struct node *n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n->npeers; i++)
		if (!n->peers[i]->dead)
			json_array_append_new(a, peer_json(n->peers[i]));
	return a;
}

/* "held", "policy_rejected", "trust" of the status reply. */
static void
trust_json(struct node *n, json_t *o)
{
	const struct fc_trust *t = ingest_trust(n->ingest);
	struct ingest_stats is;
	json_t *pr;
	int i;

	ingest_stats(n->ingest, &is);
	json_object_set_new(o, "held", json_integer((json_int_t)is.mem.count));
	json_object_set_new(o, "held_stats", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "messages", (json_int_t)is.held, "bytes", (json_int_t)is.mem.bytes,
	    "released", (json_int_t)is.released, "evicted", (json_int_t)is.mem.evicted,
	    "expired", (json_int_t)is.mem.expired, "refused", (json_int_t)is.mem.refused,
	    "max", (json_int_t)n->conf->held_max));
	pr = json_object();
	for (i = 1; i < FC_POLICY_R_MAX; i++)
		if (n->policy_rejected[i] > 0)
			json_object_set_new(pr, fc_policy_reason_name(i),
			    json_integer((json_int_t)n->policy_rejected[i]));
	json_object_set_new(o, "policy_rejected", pr);
	json_object_set_new(o, "trust", json_pack("{s:I, s:I, s:I, s:I, s:b}",
	    "anchors", (json_int_t)is.anchors,
	    "stored_unchained", (json_int_t)is.stored_unchained,
	    "certs", (json_int_t)(t != NULL ? fc_trust_grant_count(t) : 0),
	    "revocations", (json_int_t)(t != NULL ? fc_trust_revocation_count(t) : 0),
	    "open", n->conf->trust_open));
}

static json_t *
status_json(struct node *n)
{
	json_t *o, *rej;
	uint64_t count = 0;
	uint8_t digest[32];
	int i, rc;

	o = json_pack("{s:b, s:s, s:s, s:s, s:I}", "ok", 1, "name", n->conf->name, "region",
	    n->conf->region, "key", n->keyhex, "uptime_s",
	    (json_int_t)((now_mono() - n->started) / 1000));
	if (o == NULL)
		return NULL;
	if ((rc = store_count(n->store, &count)) != 0)
		log_warnx("store: %s", store_strerror(rc));
	json_object_set_new(o, "messages", json_integer((json_int_t)count));
	if ((rc = store_digest(n->store, digest)) != 0) {
		log_warnx("store: %s", store_strerror(rc));
		memset(digest, 0, sizeof(digest));
	}
	json_object_set_new(o, "digest", hexstr(digest, sizeof(digest)));
	json_object_set_new(o, "verified", json_integer((json_int_t)fc_verify_count()));
	json_object_set_new(o, "stored", json_integer((json_int_t)n->stored));
	json_object_set_new(o, "duplicates", json_integer((json_int_t)n->duplicates));
	json_object_set_new(o, "delivery_receipts", json_integer((json_int_t)n->delivered));
	/* Batches the store could not commit (a full disk): nothing of them was acknowledged. */
	json_object_set_new(o, "commit_errors", json_integer((json_int_t)n->commit_errors));
	json_object_set_new(o, "delivery_receipts_dropped",
	    json_integer((json_int_t)n->deliver_dropped));
	json_object_set_new(o, "submitted", json_integer((json_int_t)n->submitted));
	json_object_set_new(o, "trace_queries", json_integer((json_int_t)n->trace_queries));
	json_object_set_new(o, "trace_ignored", json_integer((json_int_t)n->trace_ignored));
	json_object_set_new(o, "compact_receipts_invalid",
	    json_integer((json_int_t)n->creceipts_invalid));
	rej = json_object();
	for (i = 1; i < FC_R_MAX; i++)
		if (n->rejected[i] > 0)
			json_object_set_new(rej, fc_reason_name(i),
			    json_integer((json_int_t)n->rejected[i]));
	json_object_set_new(o, "rejected", rej);
	trust_json(n, o);
	json_object_set_new(o, "unknown_frames", json_integer((json_int_t)n->unknown_frames));
	json_object_set_new(o, "commits", json_integer((json_int_t)n->commits));
	curve_status_json(n, o);	/* transport_key, zap */
	limits_status_json(n, o);	/* store_quota, drops */
	clock_status_json(n, o);
	hook_status_json(n, o);
	json_object_set_new(o, "peers", peers_json(n));
	json_object_set_new(o, "queue", json_pack("{s:I}", "total",
	    (json_int_t)node_queue_total(n)));
	json_object_set_new(o, "pid", json_integer((json_int_t)getpid()));
	return o;
}

/* A control client waiting for the commit of what it submitted (ctl_wait). */
struct ctl_wait {
	uint8_t		 rid[NODE_RID_MAX];
	size_t		 ridlen;
};

/*
 * An import request being committed: its envelopes share one waiter, and
 * ctl_submit_reply() collects their results here instead of answering one by one. Lives
 * only during ctl_import()'s commit (n->ctl_batch).
 */
struct ctl_batch {
	uint64_t	 tag;		/* of its envelopes */
	json_t		*results;	/* one object per envelope, in order */
	size_t		 unkept;	/* held ones the held area had no room for */
	const char	*error;		/* the commit failed: nothing of the batch is stored */
};

uint64_t
ctl_wait(struct node *n, const uint8_t *rid, size_t ridlen)
{
	struct ctl_wait *w;
	size_t cap;

	if (ridlen > NODE_RID_MAX)
		return 0;
	if (n->nctl_waits == n->ctl_waits_cap) {
		cap = n->ctl_waits_cap ? n->ctl_waits_cap * 2 : 16;
		if ((w = reallocarray(n->ctl_waits, cap, sizeof(*w))) == NULL)
			return 0;
		n->ctl_waits = w;
		n->ctl_waits_cap = cap;
	}
	w = &n->ctl_waits[n->nctl_waits++];
	memcpy(w->rid, rid, ridlen);
	w->ridlen = ridlen;
	return n->nctl_waits;	/* the tag: its index + 1, never 0 */
}

void
ctl_waits_clear(struct node *n)
{
	n->nctl_waits = 0;
}

/* The result object of one submitted envelope (without "ok"). */
static json_t *
result_json(const struct ingest_result *r)
{
	const char *status;
	json_t *o;

	switch (r->status) {
	case INGEST_NEW:
		status = "new";
		break;
	case INGEST_DUP:
		status = "duplicate";
		break;
	case INGEST_HELD:
		status = "held";	/* not stored yet: waits for its author's certificate */
		break;
	default:
		status = "rejected";
		break;
	}
	o = json_pack("{s:s}", "status", status);
	json_object_set_new(o, "id", r->has_id ? hexstr(r->id, FC_IDBYTES) : json_string(""));
	json_object_set_new(o, "reason", json_string(fc_reason_name(r->reason)));
	json_object_set_new(o, "reason_text", json_string(fc_reason_text(r->reason)));
	/* A new message may carry one too: no-chain, stored all the same. */
	if (r->status == INGEST_HELD || (r->status == INGEST_REJECTED &&
	    r->reason == FC_R_POLICY) || (r->status == INGEST_NEW && r->policy_reason != 0)) {
		json_object_set_new(o, "policy_reason",
		    json_string(fc_policy_reason_name(r->policy_reason)));
		json_object_set_new(o, "policy_reason_text",
		    json_string(fc_policy_reason_text(r->policy_reason)));
	}
	return o;
}

void
ctl_submit_reply(struct node *n, const struct ingest_result *r)
{
	struct ctl_batch *b = n->ctl_batch;
	const struct ctl_wait *w;
	char hex[FC_IDHEX];
	json_t *o;

	if (r->src->tag == 0 || r->src->tag > n->nctl_waits)
		return;
	w = &n->ctl_waits[r->src->tag - 1];
	if (b != NULL && b->tag == r->src->tag) {
		if (r->status == INGEST_FAILED) {
			b->error = "not stored: the store cannot be written";
			return;
		}
		o = result_json(r);
		/* Held from outside: kept on disk too, a bundle is not offered again. */
		if (r->status == INGEST_HELD && !r->held_kept) {
			json_object_set_new(o, "held_kept", json_false());
			if (r->held_error == STORE_EHELDFULL)
				b->unkept++;
			else
				log_warnx("cannot keep held imported message %.16s... in %s/held: "
				    "%s (it is held in memory until a restart)",
				    fc_hex(r->id, FC_IDBYTES, hex), n->conf->state,
				    store_strerror(r->held_error));
		}
		json_array_append_new(b->results, o);
		return;
	}
	if (r->status == INGEST_FAILED) {
		ctl_error(n, w->rid, w->ridlen, "not stored: the store cannot be written");
		return;
	}
	if ((o = result_json(r)) == NULL)
		return;
	json_object_set_new(o, "ok", json_true());
	ctl_send(n, w->rid, w->ridlen, o, NULL, 0);
}

/*
 * "import": the payload is a sequence of (4-byte big-endian length, Envelope), at most
 * CTL_IMPORT_MAX of them. They are judged as a peer's messages (one of unknown chain is held,
 * not stored, and kept in the held area) in one commit of their own, and answered together
 * with one result per envelope. A malformed payload is refused whole.
 */
static void
ctl_import(struct node *n, const uint8_t *rid, size_t ridlen, const uint8_t *p, size_t len)
{
	struct ingest_src src = { INGEST_IMPORT, NULL, 0, 0 };
	struct ctl_batch b;
	size_t off, k, count = 0, added = 0;
	char err[96];
	json_t *o;

	for (off = 0; off < len; off += k, count++) {
		if (len - off < 4 || count == CTL_IMPORT_MAX)
			goto bad;
		k = wire_get_be32(p + off);
		off += 4;
		if (k == 0 || k > WIRE_ENVELOPE_MAX || k > len - off)
			goto bad;
	}
	if (count == 0)
		goto bad;
	/* Commit what this pass gathered first: the batch then has its commit to itself. */
	gossip_commit(n);
	memset(&b, 0, sizeof(b));
	if ((b.results = json_array()) == NULL || (src.tag = ctl_wait(n, rid, ridlen)) == 0) {
		json_decref(b.results);
		ctl_error(n, rid, ridlen, "out of memory");
		return;
	}
	b.tag = src.tag;
	for (off = 0; off < len; off += k) {
		k = wire_get_be32(p + off);
		off += 4;
		if (gossip_add(n, p + off, k, &src) != 0)
			break;
		added++;
	}
	n->submitted += added;
	n->ctl_batch = &b;
	gossip_commit(n);
	n->ctl_batch = NULL;
	if (b.unkept > 0)
		log_warnx("import: %zu held messages not kept on disk (%s/held): %s; they are "
		    "held in memory until a restart", b.unkept, n->conf->state,
		    store_strerror(STORE_EHELDFULL));
	if (b.error != NULL || added == 0) {
		ctl_error(n, rid, ridlen, b.error != NULL ? b.error : "busy, try again");
		json_decref(b.results);
		return;
	}
	/* Envelopes that could not be gathered (out of memory) are answered as not taken. */
	for (; added < count; added++)
		json_array_append_new(b.results, json_pack("{s:s}", "status", "busy"));
	o = json_pack("{s:b, s:o}", "ok", 1, "results", b.results);
	if (o == NULL)
		ctl_error(n, rid, ridlen, "out of memory");
	else
		ctl_send(n, rid, ridlen, o, NULL, 0);
	return;
bad:
	snprintf(err, sizeof(err), "import needs 1 to %d length-prefixed envelopes as the "
	    "second part", CTL_IMPORT_MAX);
	ctl_error(n, rid, ridlen, err);
}

static void
watch_add(struct node *n, const uint8_t *rid, size_t ridlen)
{
	struct watcher *w = NULL;
	size_t i;

	for (i = 0; i < n->nwatch; i++)
		if (n->watch[i].ridlen == ridlen && memcmp(n->watch[i].rid, rid, ridlen) == 0)
			w = &n->watch[i];
	if (w == NULL) {
		if (n->nwatch == NODE_WATCH_MAX) {
			ctl_error(n, rid, ridlen, "too many watchers");
			return;
		}
		w = &n->watch[n->nwatch++];
		memcpy(w->rid, rid, ridlen);
		w->ridlen = ridlen;
	}
	w->expires = now_mono() + NODE_WATCH_MS;
	ctl_send(n, rid, ridlen, json_pack("{s:b}", "ok", 1), NULL, 0);
}

void
ctl_notify(struct node *n, const uint8_t id[FC_IDBYTES], const uint8_t *env, size_t len,
    const uint8_t *from, uint32_t hops)
{
	char idhex[FC_IDHEX], fromhex[2 * FC_PUBLICKEYBYTES + 1];
	size_t i;

	if (n->nwatch == 0)
		return;
	fc_hex(id, FC_IDBYTES, idhex);
	if (from != NULL)
		fc_hex(from, FC_PUBLICKEYBYTES, fromhex);
	else
		fromhex[0] = '\0';
	for (i = 0; i < n->nwatch; i++)
		ctl_send(n, n->watch[i].rid, n->watch[i].ridlen,
		    json_pack("{s:s, s:s, s:s, s:I}", "event", "message", "id", idhex, "from",
		    fromhex, "hops", (json_int_t)hops), env, len);
}

void
ctl_cron(struct node *n, uint64_t now)
{
	size_t i, j;

	for (i = j = 0; i < n->nwatch; i++)
		if (n->watch[i].expires > now)
			n->watch[j++] = n->watch[i];
	n->nwatch = j;
}

/* One request: parts[0] is the JSON, parts[1] (if any) the payload. */
static void
ctl_request(struct node *n, const uint8_t *rid, size_t ridlen, zmq_msg_t *parts, int nparts)
{
	struct ingest_src src = { INGEST_LOCAL, NULL, 0, 0 };
	json_error_t jerr;
	json_t *req;
	const char *cmd;

	req = json_loadb(zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0]), 0, &jerr);
	if (req == NULL || !json_is_object(req) ||
	    (cmd = json_string_value(json_object_get(req, "cmd"))) == NULL) {
		ctl_error(n, rid, ridlen, "request is not a JSON object with \"cmd\"");
		json_decref(req);
		return;
	}
	if (strcmp(cmd, "status") == 0) {
		json_t *o = status_json(n);

		if (o == NULL)
			ctl_error(n, rid, ridlen, "out of memory");
		else
			ctl_send(n, rid, ridlen, o, NULL, 0);
	} else if (strcmp(cmd, "peers") == 0) {
		ctl_send(n, rid, ridlen, json_pack("{s:b, s:o, s:o, s:o}", "ok", 1, "peers",
		    peers_json(n), "known", px_known_json(n), "link_bytes", link_bytes_json(n)),
		    NULL, 0);
	} else if (strcmp(cmd, "submit") == 0) {
		if (nparts < 2 || zmq_msg_size(&parts[1]) == 0)
			ctl_error(n, rid, ridlen, "submit needs the envelope as the second part");
		else if ((src.tag = ctl_wait(n, rid, ridlen)) == 0 ||
		    gossip_add(n, zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]), &src) != 0)
			ctl_error(n, rid, ridlen, "busy, try again");
		else
			n->submitted++;
	} else if (strcmp(cmd, "import") == 0) {
		if (nparts < 2)
			ctl_error(n, rid, ridlen, "import needs the envelopes as the second part");
		else
			ctl_import(n, rid, ridlen, zmq_msg_data(&parts[1]),
			    zmq_msg_size(&parts[1]));
	} else if (strcmp(cmd, "watch") == 0) {
		watch_add(n, rid, ridlen);
	} else if (strcmp(cmd, "trace") == 0) {
		trace_ctl(n, rid, ridlen, req);
	} else if (strcmp(cmd, "stop") == 0) {
		ctl_send(n, rid, ridlen, json_pack("{s:b}", "ok", 1), NULL, 0);
		log_info("stop requested on the control socket");
		n->stop = 1;
	} else {
		ctl_error(n, rid, ridlen, "unknown command");
	}
	json_decref(req);
}

void
ctl_recv(struct node *n)
{
	uint8_t rid[NODE_RID_MAX];
	zmq_msg_t parts[3];
	int i, k, ridlen, nparts, more;

	for (i = 0; i < NODE_READ_BUDGET && !gossip_pending_full(n); i++) {
		ridlen = zmq_recv(n->ctl, rid, sizeof(rid), ZMQ_DONTWAIT);
		if (ridlen < 0)
			return;
		if (ridlen > (int)sizeof(rid))
			ridlen = sizeof(rid);
		/* Keep at most 3 parts (a stray empty delimiter + JSON + payload). */
		nparts = 0;
		more = 1;
		while (more) {
			zmq_msg_t x;

			zmq_msg_init(&x);
			if (zmq_msg_recv(&x, n->ctl, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(&x);
				break;
			}
			more = zmq_msg_more(&x);
			if (nparts < 3)
				parts[nparts++] = x;
			else
				zmq_msg_close(&x);
		}
		k = 0;
		if (nparts > 1 && zmq_msg_size(&parts[0]) == 0)
			k = 1;	/* a REQ client's delimiter: tolerated, not echoed */
		if (nparts - k >= 1)
			ctl_request(n, rid, (size_t)ridlen, &parts[k], nparts - k);
		while (nparts > 0)
			zmq_msg_close(&parts[--nparts]);
	}
}
