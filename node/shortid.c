/*
 * shortid.c: HAVE and WANT with id prefixes on stream links (docs/PROTOCOL.md §5, short ids).
 *
 * On a slow link new reports are announced by id and sent when asked for (DESIGN decision
 * 9). A whole 32-byte id costs 34 bytes of protobuf per report, a fifth of a report's
 * envelope on the air; the first SHORTID_BYTES of it tell the receiver as much in practice.
 * Used only when both HELLOs carry CAP_SHORT_IDS (peer.c), so a peer that does not know the
 * form never sees it. A prefix two ids share does no harm: a receiver that holds a message
 * with the announced prefix does not ask for it, a WANT whose prefix matches more than one
 * stored message is not answered, and reconciliation (§7, whole ids) brings either.
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

int
shortid_use(const struct peer *p)
{
	return p->short_ids && peer_stream(p) != NULL;
}

size_t
shortid_max(size_t mtu)
{
	/*
	 * One link frame: its payload less the seal, less the Frame and Have/Want headers
	 * (tag and length, each length at most 2 varint bytes at NODE_PUSH_MAX prefixes).
	 */
	size_t room, k;

	if (mtu < STREAM_OVERHEAD + SLINK_OVERHEAD + 6 + SHORTID_BYTES)
		return 1;
	room = mtu - STREAM_OVERHEAD - SLINK_OVERHEAD - 6;
	k = room / SHORTID_BYTES;
	return k < NODE_PUSH_MAX ? k : NODE_PUSH_MAX;
}

/* One WANT frame of n prefixes (n * SHORTID_BYTES bytes at s) to p, at control priority. */
static void
want_frame(struct peer *p, const uint8_t *s, size_t n)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Want w = FENGHUO__WANT__INIT;
	uint8_t *buf;
	size_t len;

	w.has_short_ids = 1;
	w.short_ids.data = (uint8_t *)(uintptr_t)s;
	w.short_ids.len = n * SHORTID_BYTES;
	f.msg_case = FENGHUO__FRAME__MSG_WANT;
	f.want = &w;
	if (frame_pack(&f, &buf, &len) != 0)
		return;
	/* What the peer waits on goes ahead of data (as gossip_want). */
	(void)peer_queue_frame(p, PRIO_CONTROL, buf, len);
	free(buf);
}

/* The most prefixes one WANT to p carries. */
static size_t
want_max(const struct peer *p)
{
	const struct stream *st = peer_stream(p);

	return st != NULL ? shortid_max(stream_mtu(st)) : NODE_PUSH_MAX;
}

void
shortid_want(struct node *n, struct peer *p, const uint8_t (*ids)[FC_IDBYTES], size_t nids)
{
	uint8_t s[NODE_PUSH_MAX * SHORTID_BYTES];
	size_t off, i, cnt, max = want_max(p);

	(void)n;
	for (off = 0; off < nids; off += cnt) {
		cnt = nids - off < max ? nids - off : max;
		for (i = 0; i < cnt; i++)
			memcpy(s + i * SHORTID_BYTES, ids[off + i], SHORTID_BYTES);
		want_frame(p, s, cnt);
	}
}

/*
 * Look a prefix up: 0 and the message in *m (caller clears it), STORE_NOTFOUND,
 * STORE_AMBIGUOUS (more than one stored message has it), or another store error.
 */
static int
lookup(struct node *n, const uint8_t *pfx, struct store_msg *m)
{
	char hex[2 * SHORTID_BYTES + 1];

	return store_get_prefix(n->store, fc_hex(pfx, SHORTID_BYTES, hex), m);
}

/*
 * The bytes of short_ids read: the first NODE_WANT_MAX prefixes (a prefix lookup reads the
 * message, so a frame of a megabyte of prefixes must not cost a megabyte of lookups).
 */
static size_t
read_max(size_t len)
{
	return len < NODE_WANT_MAX * SHORTID_BYTES ? len : NODE_WANT_MAX * SHORTID_BYTES;
}

int
shortid_have_recv(struct node *n, struct peer *p, const uint8_t *s, size_t len)
{
	uint8_t need[NODE_PUSH_MAX * SHORTID_BYTES];
	struct store_msg m;
	size_t i, nneed = 0, max = want_max(p);
	int rc;

	if (len % SHORTID_BYTES != 0)
		return -1;
	len = read_max(len);
	for (i = 0; i < len; i += SHORTID_BYTES) {
		p->short_ids_in++;
		/* Held already (one message or several with this prefix): nothing to ask. */
		if ((rc = lookup(n, s + i, &m)) != STORE_NOTFOUND) {
			if (rc == 0)
				store_msg_clear(&m);
			else if (rc != STORE_AMBIGUOUS)
				log_warnx("store: %s", store_strerror(rc));
			continue;
		}
		/*
		 * Ask at once, as gossip_have_recv does for a stream peer: whoever sends this
		 * form does so because its link is slow (no plumtree wait).
		 */
		memcpy(need + nneed * SHORTID_BYTES, s + i, SHORTID_BYTES);
		if (++nneed == max) {
			want_frame(p, need, nneed);
			nneed = 0;
		}
	}
	if (nneed > 0)
		want_frame(p, need, nneed);
	return 0;
}

int
shortid_want_recv(struct node *n, struct peer *p, const uint8_t *s, size_t len)
{
	struct store_msg m;
	size_t i;
	int rc;

	if (len % SHORTID_BYTES != 0)
		return -1;
	len = read_max(len);
	for (i = 0; i < len; i += SHORTID_BYTES) {
		p->short_ids_in++;
		/* Not held, or not one message: left to reconciliation. */
		if ((rc = lookup(n, s + i, &m)) != 0) {
			if (rc != STORE_NOTFOUND && rc != STORE_AMBIGUOUS)
				log_warnx("store: %s", store_strerror(rc));
			continue;
		}
		(void)peer_queue_envelope(n, p, m.env, m.len, m.seen.hops);
		store_msg_clear(&m);
	}
	return 0;
}
