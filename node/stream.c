/*
 * stream.c: framed stream links (DESIGN decision 11): UDP, a serial port, stdin/stdout.
 *
 * A stream link carries the same serialized Frames as a ZeroMQ link, cut into link frames
 * that fit the link's MTU, each with a magic, a header and a CRC-32C, so that a receiver on
 * a noisy byte stream can find frame boundaries again after garbage, truncation or bit
 * flips (docs/PROTOCOL.md, "Stream links", is the specification).
 *
 * The file has two halves. The first is pure: fragmenting, parsing, deframing a byte
 * stream and reassembling messages, with the caller's clock and no I/O, so that unit tests
 * and the fuzzer drive it directly. The second opens the file descriptors (a UDP socket, a
 * tty in raw mode, stdin/stdout), and paces the transmitter to the configured bit rate.
 *
 * Between the two sits the transmit scheduler (stream_tx, pure as well): one lane of whole
 * Frames per priority class. The next link frame is chosen only when the air is free, from
 * the most urgent lane, so a message of a higher class overtakes the rest of a lower one at
 * the next link frame boundary instead of waiting for it to finish. A message is sealed
 * (slink.c, through the wrap callback) when its first fragment is chosen, not when it is
 * queued, so that a message waiting behind others never falls out of the receiver's replay
 * window. peer.c keeps the backlog in its priority queue and hands a lane a new Frame only
 * when that lane is empty.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "node.h"

/* ---- CRC-32C --------------------------------------------------------------------------- */

/*
 * CRC-32C (Castagnoli, polynomial 0x1edc6f41, reflected 0x82f63b78) rather than zlib's
 * CRC-32: it detects more error patterns in short frames (its Hamming distance is higher
 * at the lengths used here), iSCSI, SCTP and ext4 use it, and eight lines of table code
 * spare the daemon a dependency. Check value: "123456789" -> 0xe3069283.
 */
static uint32_t crc_table[256];
static int crc_ready;

static void
crc_init(void)
{
	uint32_t c;
	int i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
	crc_ready = 1;
}

uint32_t
stream_crc32c(const uint8_t *buf, size_t len)
{
	uint32_t c = 0xffffffffu;
	size_t i;

	if (!crc_ready)
		crc_init();
	for (i = 0; i < len; i++)
		c = crc_table[(c ^ buf[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

/* ---- link frames ----------------------------------------------------------------------- */

size_t
stream_nfrags(size_t len, size_t mtu)
{
	size_t per, n;

	if (mtu < STREAM_MTU_MIN || mtu > STREAM_MTU_MAX || len > STREAM_MSG_MAX)
		return 0;
	per = mtu - STREAM_OVERHEAD;
	n = len == 0 ? 1 : (len + per - 1) / per;
	return n > 65535 ? 0 : n;
}

size_t
stream_frag(const uint8_t *msg, size_t len, size_t mtu, uint16_t seq, size_t index,
    uint8_t *out)
{
	size_t per = mtu - STREAM_OVERHEAD, n = stream_nfrags(len, mtu), off, plen;
	uint32_t crc;

	if (n == 0 || index >= n)
		abort();	/* programming error */
	off = index * per;
	plen = len - off < per ? len - off : per;
	out[0] = STREAM_MAGIC0;
	out[1] = STREAM_MAGIC1;
	out[2] = STREAM_VERSION;
	wire_put_be16(out + 3, seq);
	wire_put_be16(out + 5, (uint16_t)index);
	wire_put_be16(out + 7, (uint16_t)n);
	wire_put_be16(out + 9, (uint16_t)plen);
	if (plen > 0)
		memcpy(out + STREAM_HDR, msg + off, plen);
	crc = stream_crc32c(out, STREAM_HDR + plen);
	wire_put_be32(out + STREAM_HDR + plen, crc);
	return STREAM_HDR + plen + 4;
}

long
stream_parse(const uint8_t *buf, size_t len, size_t mtu, struct stream_hdr *h)
{
	size_t plen, total;
	uint32_t crc;

	/* Reject as early as the bytes allow, so that hunting moves on quickly. */
	if (len >= 1 && buf[0] != STREAM_MAGIC0)
		return -1;
	if (len >= 2 && buf[1] != STREAM_MAGIC1)
		return -1;
	if (len >= 3 && buf[2] != STREAM_VERSION)
		return -1;
	if (len < STREAM_HDR)
		return 0;
	h->seq = wire_get_be16(buf + 3);
	h->index = wire_get_be16(buf + 5);
	h->count = wire_get_be16(buf + 7);
	h->len = wire_get_be16(buf + 9);
	plen = h->len;
	if (h->count == 0 || h->index >= h->count || plen + STREAM_OVERHEAD > STREAM_MTU_MAX)
		return -1;
	if (plen + STREAM_OVERHEAD > mtu)
		return -3;	/* longer than this end allows: noise, or a larger mtu over there */
	/* Every fragment but the last carries data; a message of one fragment may be empty. */
	if (plen == 0 && h->count > 1)
		return -1;
	total = STREAM_HDR + plen + 4;
	if (len < total)
		return 0;
	crc = wire_get_be32(buf + STREAM_HDR + plen);
	if (crc != stream_crc32c(buf, STREAM_HDR + plen))
		return -2;
	h->payload = buf + STREAM_HDR;
	return (long)total;
}

/* ---- reassembly ------------------------------------------------------------------------- */

struct slot {
	int		 used;
	uint16_t	 seq;
	uint16_t	 count;
	size_t		 fraglen;	/* payload of every fragment but the last; 0: unknown */
	uint8_t		*buf;		/* count * fraglen bytes, once fraglen is known */
	uint8_t		*last;		/* the last fragment, if it came before fraglen was known */
	size_t		 lastlen;
	size_t		 cost;		/* bytes this slot holds, counted in rx->bytes */
	size_t		 have;		/* fragments received */
	uint8_t		*bits;		/* which ones */
	uint64_t	 touched;	/* ms of the last fragment */
};

struct stream_rx {
	size_t		 mtu;
	uint8_t		*buf;		/* byte streams: what is not a whole frame yet */
	size_t		 len, cap;
	int		 hunting;	/* skipping bytes since the last valid frame */
	uint64_t	 last_at;	/* ms the last bytes came */
	struct slot	 slot[STREAM_REASM_SLOTS];
	size_t		 bytes;		/* held by all slots */
	struct stream_stats st;
};

struct stream_rx *
stream_rx_new(size_t mtu)
{
	struct stream_rx *rx;

	if (mtu < STREAM_MTU_MIN || mtu > STREAM_MTU_MAX)
		return NULL;
	if ((rx = calloc(1, sizeof(*rx))) == NULL)
		return NULL;
	rx->mtu = mtu;
	rx->cap = 2 * mtu;
	if ((rx->buf = malloc(rx->cap)) == NULL) {
		free(rx);
		return NULL;
	}
	return rx;
}

static void
slot_clear(struct stream_rx *rx, struct slot *s)
{
	free(s->buf);
	free(s->last);
	free(s->bits);
	rx->bytes -= s->cost;
	memset(s, 0, sizeof(*s));
}

/* Give up on an incomplete message: its fragments count as dropped. */
static void
slot_drop(struct stream_rx *rx, struct slot *s)
{
	rx->st.msg_expired++;
	rx->st.frag_dropped += s->have;
	slot_clear(rx, s);
}

void
stream_rx_free(struct stream_rx **rxp)
{
	struct stream_rx *rx;
	size_t i;

	if (rxp == NULL || (rx = *rxp) == NULL)
		return;
	for (i = 0; i < STREAM_REASM_SLOTS; i++)
		slot_clear(rx, &rx->slot[i]);
	free(rx->buf);
	free(rx);
	*rxp = NULL;
}

const struct stream_stats *
stream_rx_stats(const struct stream_rx *rx)
{
	return &rx->st;
}

size_t
stream_rx_pending(const struct stream_rx *rx, size_t *bytes)
{
	size_t i, n = 0;

	for (i = 0; i < STREAM_REASM_SLOTS; i++)
		n += rx->slot[i].used;
	if (bytes != NULL)
		*bytes = rx->bytes;
	return n;
}

uint64_t
stream_rx_expire(struct stream_rx *rx, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	size_t i;

	for (i = 0; i < STREAM_REASM_SLOTS; i++) {
		struct slot *s = &rx->slot[i];

		if (!s->used)
			continue;
		if (now - s->touched >= STREAM_REASM_MS || now < s->touched)
			slot_drop(rx, s);
		else if (s->touched + STREAM_REASM_MS < next)
			next = s->touched + STREAM_REASM_MS;
	}
	return next;
}

/* Make room for need more bytes by dropping the stalest other slots; 0 if it fits. */
static int
make_room(struct stream_rx *rx, const struct slot *keep, size_t need)
{
	struct slot *old;
	size_t i;

	while (rx->bytes + need > STREAM_REASM_BYTES) {
		old = NULL;
		for (i = 0; i < STREAM_REASM_SLOTS; i++)
			if (rx->slot[i].used && &rx->slot[i] != keep &&
			    (old == NULL || rx->slot[i].touched < old->touched))
				old = &rx->slot[i];
		if (old == NULL)
			return -1;
		slot_drop(rx, old);
	}
	return 0;
}

/* A fragment of a message of several: file it, and deliver the message once complete. */
static void
reassemble(struct stream_rx *rx, const struct stream_hdr *h, uint64_t now,
    stream_deliver_fn *deliver, void *arg)
{
	struct slot *s = NULL, *old = NULL;
	size_t i, L, total;
	int last = h->index == h->count - 1;

	for (i = 0; i < STREAM_REASM_SLOTS; i++)
		if (rx->slot[i].used && rx->slot[i].seq == h->seq) {
			s = &rx->slot[i];
			break;
		}
	if (s != NULL && s->count != h->count)
		slot_drop(rx, s);	/* a new message under an old number (peer restarted) */
	else if (s != NULL)
		goto have_slot;
	s = NULL;
	for (i = 0; i < STREAM_REASM_SLOTS; i++) {
		if (!rx->slot[i].used) {
			s = &rx->slot[i];
			break;
		}
		if (old == NULL || rx->slot[i].touched < old->touched)
			old = &rx->slot[i];
	}
	if (s == NULL) {
		slot_drop(rx, old);	/* the stalest message in progress makes way */
		s = old;
	}
	if ((s->bits = calloc(((size_t)h->count + 7) / 8, 1)) == NULL) {
		rx->st.frag_dropped++;
		return;
	}
	s->used = 1;
	s->seq = h->seq;
	s->count = h->count;
	s->cost = ((size_t)h->count + 7) / 8;
	rx->bytes += s->cost;
have_slot:
	s->touched = now;
	if (s->bits[h->index / 8] & (1u << (h->index % 8))) {
		rx->st.frag_dropped++;	/* a duplicate */
		return;
	}
	if (!last && s->fraglen == 0) {
		/* The first full fragment fixes the size of all but the last. */
		L = h->len;
		if (((size_t)h->count - 1) * L + 1 > STREAM_MSG_MAX ||
		    (s->last != NULL && s->lastlen > L) ||
		    make_room(rx, s, (size_t)h->count * L) != 0) {
			rx->st.frag_dropped++;
			slot_drop(rx, s);
			return;
		}
		if ((s->buf = malloc((size_t)h->count * L)) == NULL) {
			rx->st.frag_dropped++;
			slot_drop(rx, s);
			return;
		}
		s->fraglen = L;
		s->cost += (size_t)h->count * L;
		rx->bytes += (size_t)h->count * L;
		if (s->last != NULL) {
			memcpy(s->buf + ((size_t)h->count - 1) * L, s->last, s->lastlen);
			rx->bytes -= s->lastlen;
			s->cost -= s->lastlen;
			free(s->last);
			s->last = NULL;
		}
	}
	if ((!last && h->len != s->fraglen) || (last && s->fraglen != 0 && h->len > s->fraglen)) {
		/* Fragments that do not fit together: the message cannot be trusted. */
		rx->st.frag_dropped++;
		slot_drop(rx, s);
		return;
	}
	if (s->fraglen != 0) {
		memcpy(s->buf + (size_t)h->index * s->fraglen, h->payload, h->len);
	} else {
		/* The last fragment before any other: keep it aside (at most one MTU). */
		if (make_room(rx, s, h->len) != 0 || (s->last = malloc(h->len)) == NULL) {
			rx->st.frag_dropped++;
			slot_drop(rx, s);
			return;
		}
		memcpy(s->last, h->payload, h->len);
		s->cost += h->len;
		rx->bytes += h->len;
	}
	if (last)
		s->lastlen = h->len;
	s->bits[h->index / 8] |= (uint8_t)(1u << (h->index % 8));
	if (++s->have < s->count)
		return;
	total = ((size_t)s->count - 1) * s->fraglen + s->lastlen;
	rx->st.msgs++;
	deliver(arg, s->buf, total);
	slot_clear(rx, s);
}

static void
frame_in(struct stream_rx *rx, const struct stream_hdr *h, uint64_t now,
    stream_deliver_fn *deliver, void *arg)
{
	rx->st.frames++;
	if (h->count == 1) {
		rx->st.msgs++;
		deliver(arg, h->payload, h->len);
		return;
	}
	reassemble(rx, h, now, deliver, arg);
}

size_t
stream_rx_datagram(struct stream_rx *rx, const uint8_t *buf, size_t len, uint64_t now,
    stream_deliver_fn *deliver, void *arg)
{
	struct stream_hdr h;
	long r;

	/*
	 * A datagram is whole or nothing: no resynchronisation to protect, so take any frame the
	 * protocol allows, even over our own mtu (the other end may be set larger).
	 */
	r = stream_parse(buf, len, STREAM_MTU_MAX, &h);
	if (r <= 0 || (size_t)r != len) {
		rx->st.crc_errors++;	/* truncated, padded, or damaged: one datagram lost */
		return 0;
	}
	frame_in(rx, &h, now, deliver, arg);
	return 1;
}

/* Skip the byte at pos (no frame starts there) and everything up to the next magic. */
static size_t
hunt(struct stream_rx *rx, size_t pos)
{
	if (!rx->hunting) {
		rx->hunting = 1;
		rx->st.resyncs++;
	}
	rx->st.skipped++;
	pos++;
	while (pos < rx->len && rx->buf[pos] != STREAM_MAGIC0) {
		rx->st.skipped++;
		pos++;
	}
	return pos;
}

/* Take every whole frame out of the buffer, from pos on; returns how many. */
static size_t
deframe(struct stream_rx *rx, size_t pos, uint64_t now, stream_deliver_fn *deliver,
    void *arg)
{
	struct stream_hdr h;
	size_t found = 0;
	long r;

	while (pos < rx->len) {
		r = stream_parse(rx->buf + pos, rx->len - pos, rx->mtu, &h);
		if (r == 0)
			break;	/* a frame may start here: wait for more bytes */
		if (r < 0) {
			/*
			 * Not a frame here. Skip one byte only (a damaged length field must not
			 * swallow the frames after it) and hunt for the magic.
			 */
			if (r == -2)
				rx->st.crc_errors++;
			else if (r == -3)
				rx->st.too_long++;
			pos = hunt(rx, pos);
			continue;
		}
		rx->hunting = 0;
		found++;
		frame_in(rx, &h, now, deliver, arg);
		pos += (size_t)r;
	}
	if (pos > 0) {
		memmove(rx->buf, rx->buf + pos, rx->len - pos);
		rx->len -= pos;
	}
	return found;
}

size_t
stream_rx_bytes(struct stream_rx *rx, const uint8_t *buf, size_t len, uint64_t now,
    stream_deliver_fn *deliver, void *arg)
{
	size_t take, found = 0;

	if (len > 0)
		rx->last_at = now;
	while (len > 0) {
		take = rx->cap - rx->len < len ? rx->cap - rx->len : len;
		memcpy(rx->buf + rx->len, buf, take);
		rx->len += take;
		buf += take;
		len -= take;
		/* A frame is never longer than the MTU and the buffer holds two, so a full
		 * buffer always decides something. */
		found += deframe(rx, 0, now, deliver, arg);
	}
	return found;
}

size_t
stream_rx_idle(struct stream_rx *rx, uint64_t now, stream_deliver_fn *deliver, void *arg)
{
	/*
	 * The start of a frame waits for bytes that have not come for STREAM_STALL_MS: it was
	 * truncated, or its length field was damaged into a longer one. Give it up, so that
	 * a frame after it does not wait for the next traffic.
	 */
	if (rx->len == 0 || now - rx->last_at < STREAM_STALL_MS)
		return 0;
	rx->last_at = now;
	rx->st.crc_errors++;
	return deframe(rx, hunt(rx, 0), now, deliver, arg);
}

/* ---- the transmit scheduler ----------------------------------------------------------- */

/*
 * A started message overtaken by more than this many newer messages goes on before any new
 * one starts: it was sealed when it started, and the receiver's replay window (64 messages,
 * slink.c) must still hold its counter when its last fragment arrives.
 */
#define STREAM_OVERTAKE_MAX	32

struct txmsg {
	struct txmsg	*next;
	int		 hello;		/* sent as a HELLO (unsealed) */
	uint8_t		*frame;		/* the Frame, until it starts */
	size_t		 len;
	uint8_t		*msg;		/* the wrapped message, once started */
	size_t		 mlen;
	size_t		 nfrags, nextfrag;	/* link frames; the next to send */
	uint16_t	 seq;
	uint64_t	 started;	/* tx->nstarted when it started */
};

struct stream_tx {
	size_t		 mtu;
	uint16_t	 seq;		/* of the next message to start */
	stream_wrap_fn	*wrap;
	void		*wrap_arg;
	struct txmsg	*head[STREAM_LANES], *tail[STREAM_LANES];
	size_t		 nmsgs[STREAM_LANES];
	size_t		 bytes;		/* Frame bytes not yet on the air (estimate) */
	size_t		 open;		/* started messages of several fragments */
	uint64_t	 nstarted;	/* messages started */
	uint64_t	 ndone;		/* messages whose last fragment was taken */
	uint64_t	 nunsent;	/* dropped when they were to start (wrap failed) */
};

struct stream_tx *
stream_tx_new(size_t mtu, uint16_t seq, stream_wrap_fn *wrap, void *arg)
{
	struct stream_tx *tx;

	if (mtu < STREAM_MTU_MIN || mtu > STREAM_MTU_MAX)
		return NULL;
	if ((tx = calloc(1, sizeof(*tx))) == NULL)
		return NULL;
	tx->mtu = mtu;
	tx->seq = seq;
	tx->wrap = wrap;
	tx->wrap_arg = arg;
	return tx;
}

static void
txmsg_free(struct txmsg *m)
{
	free(m->frame);
	free(m->msg);
	free(m);
}

void
stream_tx_free(struct stream_tx **txp)
{
	struct stream_tx *tx;
	struct txmsg *m;
	int i;

	if (txp == NULL || (tx = *txp) == NULL)
		return;
	for (i = 0; i < STREAM_LANES; i++)
		while ((m = tx->head[i]) != NULL) {
			tx->head[i] = m->next;
			txmsg_free(m);
		}
	free(tx);
	*txp = NULL;
}

void
stream_tx_set_wrap(struct stream_tx *tx, stream_wrap_fn *wrap, void *arg)
{
	tx->wrap = wrap;
	tx->wrap_arg = arg;
}

int
stream_tx_push(struct stream_tx *tx, int lane, int hello, const uint8_t *frame, size_t len)
{
	struct txmsg *m;

	if (lane < 0 || lane >= STREAM_LANES)
		abort();	/* programming error */
	/* (The wrap adds at most STREAM_WRAP_MAX bytes.) */
	if (stream_nfrags(len + STREAM_WRAP_MAX, tx->mtu) == 0)
		return EMSGSIZE;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return ENOMEM;
	if ((m->frame = malloc(len > 0 ? len : 1)) == NULL) {
		free(m);
		return ENOMEM;
	}
	if (len > 0)
		memcpy(m->frame, frame, len);
	m->len = len;
	m->hello = hello;
	if (tx->tail[lane] != NULL)
		tx->tail[lane]->next = m;
	else
		tx->head[lane] = m;
	tx->tail[lane] = m;
	tx->nmsgs[lane]++;
	tx->bytes += len;
	return 0;
}

size_t
stream_tx_queued(const struct stream_tx *tx, int lane)
{
	return lane >= 0 && lane < STREAM_LANES ? tx->nmsgs[lane] : 0;
}

size_t
stream_tx_bytes(const struct stream_tx *tx)
{
	return tx->bytes;
}

uint64_t
stream_tx_done(const struct stream_tx *tx)
{
	return tx->ndone;
}

uint64_t
stream_tx_unsent(const struct stream_tx *tx)
{
	return tx->nunsent;
}

/* Remove the head message of lane (sent, or not sendable). */
static void
lane_pop(struct stream_tx *tx, int lane)
{
	struct txmsg *m = tx->head[lane];

	tx->head[lane] = m->next;
	if (tx->head[lane] == NULL)
		tx->tail[lane] = NULL;
	tx->nmsgs[lane]--;
	txmsg_free(m);
}

/*
 * Start the head message of lane: wrap (seal) it and give it its sequence number. 0, or -1
 * when it cannot be sent (no session: dropped, counted).
 */
static int
lane_start(struct stream_tx *tx, int lane)
{
	struct txmsg *m = tx->head[lane];
	int rc;

	if (tx->wrap != NULL)
		rc = tx->wrap(tx->wrap_arg, m->hello, m->frame, m->len, &m->msg, &m->mlen);
	else if ((m->msg = malloc(m->len > 0 ? m->len : 1)) == NULL)
		rc = ENOMEM;
	else {
		if (m->len > 0)
			memcpy(m->msg, m->frame, m->len);
		m->mlen = m->len;
		rc = 0;
	}
	tx->bytes -= m->len;
	if (rc != 0 || (m->nfrags = stream_nfrags(m->mlen, tx->mtu)) == 0) {
		tx->nunsent++;
		lane_pop(tx, lane);
		return -1;
	}
	free(m->frame);
	m->frame = NULL;
	tx->bytes += m->mlen;
	m->seq = tx->seq++;
	m->started = tx->nstarted++;
	if (m->nfrags > 1)
		tx->open++;
	return 0;
}

/* The lane whose message has the next link frame, or -1 if none. */
static int
lane_pick(struct stream_tx *tx)
{
	struct txmsg *m;
	int i;

	/* A started message overtaken too often finishes first (STREAM_OVERTAKE_MAX). */
	for (i = 0; i < STREAM_LANES; i++)
		if ((m = tx->head[i]) != NULL && m->msg != NULL &&
		    tx->nstarted - m->started > STREAM_OVERTAKE_MAX)
			return i;
	for (i = 0; i < STREAM_LANES; i++) {
		if ((m = tx->head[i]) == NULL)
			continue;
		/*
		 * A new message of several fragments starts only while the receiver has a
		 * reassembly slot for it: at most STREAM_REASM_SLOTS are open at once.
		 */
		if (m->msg != NULL || tx->open < STREAM_REASM_SLOTS ||
		    stream_nfrags(m->len + STREAM_WRAP_MAX, tx->mtu) == 1)
			return i;
	}
	return -1;
}

size_t
stream_tx_next(struct stream_tx *tx, uint8_t *out)
{
	struct txmsg *m;
	size_t flen;
	int lane;

	for (;;) {
		if ((lane = lane_pick(tx)) < 0)
			return 0;
		m = tx->head[lane];
		if (m->msg == NULL && lane_start(tx, lane) != 0)
			continue;	/* dropped: the next one */
		break;
	}
	flen = stream_frag(m->msg, m->mlen, tx->mtu, m->seq, m->nextfrag, out);
	tx->bytes -= flen - STREAM_OVERHEAD;
	if (++m->nextfrag == m->nfrags) {
		if (m->nfrags > 1)
			tx->open--;
		tx->ndone++;
		lane_pop(tx, lane);
	}
	return flen;
}

/* ---- the I/O half ---------------------------------------------------------------------- */

#define STREAM_READ_BUDGET	64	/* datagrams / reads per loop pass */
/* Line noise can fake a long header now and then; this many look like a real mismatch. */
#define STREAM_TOO_LONG_WARN	8
#define STREAM_TX_SLACK_US	2000	/* pacing granularity: send this early at most */

struct stream {
	int		 kind;		/* enum stream_kind */
	int		 too_long_logged;	/* the mtu-mismatch warning was given */
	char		 name[NODE_NAME_MAX + 1];
	int		 rfd, wfd;	/* the same socket or tty for udp and serial */
	size_t		 mtu;
	uint64_t	 bitrate;
	struct sockaddr_storage remote;
	socklen_t	 remotelen;
	struct stream_rx *rx;
	struct stream_tx *tx;		/* what waits to be sent, by lane */
	uint8_t		*cur;		/* the link frame being written (mtu bytes) */
	size_t		 curoff, curlen;
	uint64_t	 air_free_us;	/* monotonic us when the air is ours again (pacing) */
	uint64_t	 last_write_ms;	/* monotonic ms bytes last went out, 0 never */
	int		 wblocked;
	uint64_t	 wire_in, wire_out;
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

const char *
stream_kind_name(int kind)
{
	switch (kind) {
	case STREAM_UDP:
		return "udp";
	case STREAM_SERIAL:
		return "serial";
	case STREAM_STDIO:
		return "stdio";
	default:
		return "?";
	}
}

/* Split HOST:PORT ("[v6]:port" too) into host and port; 0 or -1. */
static int
hostport_split(const char *s, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon, *h = s;
	size_t hl;

	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			return -1;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hostlen || strlen(colon + 1) >= portlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%s", colon + 1);
	return 0;
}

int
stream_hostport_valid(const char *s, int local)
{
	char host[256], port[16], *end;
	long v;
	size_t i;

	if (strlen(s) > NODE_ADDR_MAX || hostport_split(s, host, sizeof(host), port,
	    sizeof(port)) != 0)
		return 0;
	v = strtol(port, &end, 10);
	if (port[0] < '0' || port[0] > '9' || *end != '\0' || v < 1 || v > 65535)
		return 0;
	if (strcmp(host, "*") == 0)
		return local;
	for (i = 0; host[i] != '\0'; i++) {
		unsigned char c = (unsigned char)host[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' &&
		    c <= 'Z') || c == '.' || c == '-' || c == '_' || c == ':'))
			return 0;
	}
	return 1;
}

static const struct {
	unsigned	 baud;
	speed_t		 speed;
} bauds[] = {
	{ 1200, B1200 }, { 2400, B2400 }, { 4800, B4800 }, { 9600, B9600 },
	{ 19200, B19200 }, { 38400, B38400 }, { 57600, B57600 }, { 115200, B115200 },
	{ 230400, B230400 },
};

int
stream_baud_valid(unsigned baud)
{
	size_t i;

	for (i = 0; i < sizeof(bauds) / sizeof(bauds[0]); i++)
		if (bauds[i].baud == baud)
			return 1;
	return 0;
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int
udp_open(struct stream *s, const struct conf_link *cl)
{
	struct addrinfo hints, *lres = NULL, *rres = NULL;
	char host[256], port[16];
	int rc, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	if (hostport_split(cl->remote, host, sizeof(host), port, sizeof(port)) != 0 ||
	    (rc = getaddrinfo(host, port, &hints, &rres)) != 0) {
		log_warnx("link %s: remote %s: cannot resolve it", cl->name, cl->remote);
		goto err;
	}
	memcpy(&s->remote, rres->ai_addr, rres->ai_addrlen);
	s->remotelen = rres->ai_addrlen;
	hints.ai_family = rres->ai_family;
	hints.ai_flags = AI_PASSIVE;
	if (hostport_split(cl->local, host, sizeof(host), port, sizeof(port)) != 0 ||
	    (rc = getaddrinfo(strcmp(host, "*") == 0 ? NULL : host, port, &hints, &lres)) != 0) {
		log_warnx("link %s: local %s: cannot resolve it for the remote's address family",
		    cl->name, cl->local);
		goto err;
	}
	if ((s->rfd = socket(lres->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		log_warn("link %s: socket", cl->name);
		goto err;
	}
	(void)setsockopt(s->rfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->rfd, lres->ai_addr, lres->ai_addrlen) != 0) {
		log_warn("link %s: bind %s", cl->name, cl->local);
		goto err;
	}
	s->wfd = s->rfd;
	freeaddrinfo(lres);
	freeaddrinfo(rres);
	return 0;
err:
	if (lres != NULL)
		freeaddrinfo(lres);
	if (rres != NULL)
		freeaddrinfo(rres);
	return -1;
}

static int
serial_open(struct stream *s, const struct conf_link *cl)
{
	struct termios t;
	speed_t sp = B9600;
	size_t i;

	for (i = 0; i < sizeof(bauds) / sizeof(bauds[0]); i++)
		if (bauds[i].baud == cl->baud)
			sp = bauds[i].speed;
	if ((s->rfd = open(cl->device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		log_warn("link %s: %s", cl->name, cl->device);
		return -1;
	}
	/* Raw 8N1, no flow control, no echo, no line discipline: bytes in, bytes out. */
	if (tcgetattr(s->rfd, &t) != 0) {
		log_warn("link %s: %s: not a terminal", cl->name, cl->device);
		return -1;
	}
	cfmakeraw(&t);
	t.c_cflag &= ~(CSTOPB | PARENB | CRTSCTS);
	t.c_cflag |= CS8 | CLOCAL | CREAD;
	t.c_iflag &= ~(IXON | IXOFF | IXANY);
	t.c_cc[VMIN] = 1;	/* (with O_NONBLOCK: EAGAIN when empty, as a socket) */
	t.c_cc[VTIME] = 0;
	if (cfsetispeed(&t, sp) != 0 || cfsetospeed(&t, sp) != 0 ||
	    tcsetattr(s->rfd, TCSANOW, &t) != 0) {
		log_warn("link %s: %s: cannot set %u baud raw 8N1", cl->name, cl->device,
		    cl->baud);
		return -1;
	}
	s->wfd = s->rfd;
	return 0;
}

struct stream *
stream_open(const struct conf_link *cl)
{
	struct stream *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->rfd = s->wfd = -1;
	s->kind = cl->type;
	snprintf(s->name, sizeof(s->name), "%s", cl->name);
	s->mtu = cl->mtu;
	s->bitrate = cl->bitrate;
	/* A random first sequence number: a restarted sender rarely reuses one in flight. */
	if ((s->rx = stream_rx_new(s->mtu)) == NULL ||
	    (s->tx = stream_tx_new(s->mtu, (uint16_t)(now_us() ^ (uint64_t)getpid()), NULL,
	    NULL)) == NULL || (s->cur = malloc(s->mtu)) == NULL)
		goto err;
	switch (s->kind) {
	case STREAM_UDP:
		if (udp_open(s, cl) != 0)
			goto err;
		break;
	case STREAM_SERIAL:
		if (serial_open(s, cl) != 0)
			goto err;
		break;
	case STREAM_STDIO:
		s->rfd = STDIN_FILENO;
		s->wfd = STDOUT_FILENO;
		if (set_nonblock(s->rfd) != 0 || set_nonblock(s->wfd) != 0) {
			log_warn("link %s: stdin/stdout", cl->name);
			goto err;
		}
		break;
	default:
		goto err;
	}
	log_info("link %s: %s, mtu %zu, %s%llu bit/s", cl->name, stream_kind_name(s->kind),
	    s->mtu, s->bitrate ? "" : "unpaced ", (unsigned long long)s->bitrate);
	return s;
err:
	stream_close(&s);
	return NULL;
}

void
stream_close(struct stream **sp)
{
	struct stream *s;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	if (s->kind != STREAM_STDIO && s->rfd >= 0)
		close(s->rfd);
	stream_rx_free(&s->rx);
	stream_tx_free(&s->tx);
	free(s->cur);
	free(s);
	*sp = NULL;
}

void
stream_set_wrap(struct stream *s, stream_wrap_fn *wrap, void *arg)
{
	stream_tx_set_wrap(s->tx, wrap, arg);
}

int
stream_send(struct stream *s, int lane, int hello, const uint8_t *frame, size_t len)
{
	return stream_tx_push(s->tx, lane, hello, frame, len);
}

size_t
stream_queued(const struct stream *s, int lane)
{
	return stream_tx_queued(s->tx, lane);
}

size_t
stream_backlog(const struct stream *s)
{
	return stream_tx_bytes(s->tx) + (s->curlen - s->curoff);
}

uint64_t
stream_sent_msgs(const struct stream *s)
{
	return stream_tx_done(s->tx);
}

uint64_t
stream_last_write(const struct stream *s)
{
	return s->last_write_ms;
}

uint64_t
stream_next_tx(const struct stream *s)
{
	if (stream_backlog(s) == 0 || s->bitrate == 0)
		return 0;
	return (s->air_free_us + 999) / 1000;
}

/* Account for bytes put on the air. */
static void
air_take(struct stream *s, uint64_t now, size_t bytes)
{
	if (s->bitrate == 0)
		return;
	if (s->air_free_us < now)
		s->air_free_us = now;
	s->air_free_us += (uint64_t)bytes * 8 * 1000000 / s->bitrate;
}

int
stream_write(struct stream *s)
{
	uint64_t now, done = stream_tx_done(s->tx);
	size_t chunk;
	ssize_t w;
	int budget = STREAM_READ_BUDGET;

	s->wblocked = 0;
	while (budget-- > 0) {
		now = now_us();
		if (s->bitrate != 0 && now + STREAM_TX_SLACK_US < s->air_free_us)
			return 0;	/* paced: node_step wakes at stream_next_tx() */
		if (s->curoff == s->curlen) {
			/*
			 * The air is free: choose the next link frame only now, so that what
			 * came meanwhile in a more urgent lane goes first. Once a message is
			 * done, return: the caller may have the next Frame for its lane.
			 */
			if (stream_tx_done(s->tx) != done)
				return 0;
			s->curoff = 0;
			if ((s->curlen = stream_tx_next(s->tx, s->cur)) == 0)
				return 0;
		}
		chunk = s->curlen - s->curoff;
		if (s->kind == STREAM_UDP) {
			/* One datagram = one link frame. */
			w = sendto(s->wfd, s->cur, s->curlen, 0,
			    (const struct sockaddr *)&s->remote, s->remotelen);
			if (w < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
					s->wblocked = 1;
					return 0;
				}
				if (errno == EINTR)
					continue;
				/* ICMP port unreachable etc.: the datagram is lost, the link is not. */
			}
			w = (ssize_t)chunk;
		} else {
			w = write(s->wfd, s->cur + s->curoff, chunk);
			if (w < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					s->wblocked = 1;
					return 0;
				}
				if (errno == EINTR)
					continue;
				return errno;
			}
		}
		s->curoff += (size_t)w;
		s->wire_out += (uint64_t)w;
		if (w > 0)
			s->last_write_ms = now / 1000;
		air_take(s, now, (size_t)w);
	}
	return 0;
}

long
stream_read(struct stream *s, uint64_t now_ms, stream_deliver_fn *deliver, void *arg)
{
	uint8_t buf[STREAM_MTU_MAX + 16];
	struct sockaddr_storage from;
	socklen_t fromlen;
	ssize_t r;
	long frames = 0;
	int i;

	for (i = 0; i < STREAM_READ_BUDGET; i++) {
		if (s->kind == STREAM_UDP) {
			fromlen = sizeof(from);
			r = recvfrom(s->rfd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			    &fromlen);
			if (r < 0)
				break;
			s->wire_in += (uint64_t)r;
			/* Only the configured remote may talk on this link. */
			if (fromlen != s->remotelen || memcmp(&from, &s->remote, fromlen) != 0) {
				s->rx->st.foreign++;
				continue;
			}
			frames += (long)stream_rx_datagram(s->rx, buf, (size_t)r, now_ms, deliver,
			    arg);
		} else {
			r = read(s->rfd, buf, sizeof(buf));
			if (r == 0 && s->kind == STREAM_SERIAL)
				break;	/* a raw tty has no end of file: nothing there */
			if (r == 0)
				return -1;	/* EOF on stdin: the other end is gone for good */
			if (r < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					break;
				return -1;
			}
			s->wire_in += (uint64_t)r;
			frames += (long)stream_rx_bytes(s->rx, buf, (size_t)r, now_ms, deliver,
			    arg);
		}
	}
	(void)stream_rx_expire(s->rx, now_ms);
	/* A byte stream needs the same mtu at both ends (or the larger at the receiver). */
	if (s->rx->st.too_long >= STREAM_TOO_LONG_WARN && !s->too_long_logged) {
		s->too_long_logged = 1;
		log_warnx("link %s: %llu frames longer than this end's mtu %zu were skipped: is "
		    "the other end configured with a larger mtu?", s->name,
		    (unsigned long long)s->rx->st.too_long, s->mtu);
	}
	return frames;
}

int
stream_rfd(const struct stream *s)
{
	return s->rfd;
}

int
stream_wfd(const struct stream *s)
{
	return s->wfd;
}

int
stream_wblocked(const struct stream *s)
{
	return s->wblocked;
}

int
stream_kind(const struct stream *s)
{
	return s->kind;
}

size_t
stream_mtu(const struct stream *s)
{
	return s->mtu;
}

uint64_t
stream_bitrate(const struct stream *s)
{
	return s->bitrate;
}

const struct stream_stats *
stream_stats(const struct stream *s)
{
	return &s->rx->st;
}

uint64_t
stream_wire_in(const struct stream *s)
{
	return s->wire_in;
}

uint64_t
stream_wire_out(const struct stream *s)
{
	return s->wire_out;
}

void
stream_idle(struct stream *s, uint64_t now_ms, stream_deliver_fn *deliver, void *arg)
{
	if (s->kind != STREAM_UDP)
		(void)stream_rx_idle(s->rx, now_ms, deliver, arg);
	(void)stream_rx_expire(s->rx, now_ms);
}
