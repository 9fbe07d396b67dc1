/*
 * test_stream.c: the pure half of node/stream.c: link frames, fragmenting, the byte-stream
 * deframer (garbage, bit flips, truncation, resynchronisation) and the reassembler
 * (reordering, duplicates, timeout, caps), and the transmit scheduler (lanes, overtaking at
 * link frame boundaries, reassembly slots, sealing order), and that a HAVE or WANT of short
 * ids fits one link frame. No descriptors, a simulated clock.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node.h"

/* What the deliver callback received. */
struct got {
	size_t		 n;
	uint8_t		*last;
	size_t		 lastlen;
};

static void
deliver(void *arg, const uint8_t *msg, size_t len)
{
	struct got *g = arg;

	g->n++;
	free(g->last);
	g->last = malloc(len > 0 ? len : 1);
	assert_non_null(g->last);
	if (len > 0)
		memcpy(g->last, msg, len);
	g->lastlen = len;
}

static void
got_clear(struct got *g)
{
	free(g->last);
	memset(g, 0, sizeof(*g));
}

/* A deterministic message of len bytes. */
static uint8_t *
message(size_t len, unsigned seed)
{
	uint8_t *m = malloc(len > 0 ? len : 1);
	size_t i;

	assert_non_null(m);
	for (i = 0; i < len; i++)
		m[i] = (uint8_t)(i * 31 + seed * 7 + (i >> 8));
	return m;
}

/* All link frames of msg, concatenated; *nfr gets their number. Caller frees. */
static uint8_t *
frames_of(const uint8_t *msg, size_t len, size_t mtu, uint16_t seq, size_t *outlen,
    size_t *nfr)
{
	size_t n = stream_nfrags(len, mtu), i, off = 0;
	uint8_t *out;

	assert_true(n > 0);
	out = malloc(n * mtu);
	assert_non_null(out);
	for (i = 0; i < n; i++) {
		size_t fl = stream_frag(msg, len, mtu, seq, i, out + off);

		assert_true(fl <= mtu);
		off += fl;
	}
	*outlen = off;
	if (nfr != NULL)
		*nfr = n;
	return out;
}

static void
test_crc32c(void **state)
{
	(void)state;
	assert_int_equal(stream_crc32c((const uint8_t *)"123456789", 9), 0xe3069283u);
	assert_int_equal(stream_crc32c(NULL, 0), 0);
}

/* Byte layout of one frame (the example of docs/PROTOCOL.md). */
static void
test_layout(void **state)
{
	static const uint8_t want[] = { 0xf4, 0x48, 0x10, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01,
		0x00, 0x06, 0x32, 0x04, 0x08, 0xc0, 0xc4, 0x07 };
	static const uint8_t ping[] = { 0x32, 0x04, 0x08, 0xc0, 0xc4, 0x07 };
	uint8_t out[64];
	struct stream_hdr h;
	size_t len;
	uint32_t crc;

	(void)state;
	len = stream_frag(ping, sizeof(ping), 256, 7, 0, out);
	assert_int_equal(len, sizeof(want) + 4);
	assert_memory_equal(out, want, sizeof(want));
	crc = stream_crc32c(want, sizeof(want));
	assert_int_equal(out[sizeof(want)], crc >> 24);
	assert_int_equal(out[sizeof(want) + 3], crc & 0xff);
	assert_int_equal(stream_parse(out, len, 256, &h), (long)len);
	assert_int_equal(h.seq, 7);
	assert_int_equal(h.count, 1);
	assert_int_equal(h.len, sizeof(ping));
	assert_memory_equal(h.payload, ping, sizeof(ping));
	printf("example frame:");
	for (size_t i = 0; i < len; i++)
		printf(" %02x", out[i]);
	printf("\n");
}

/* Sizes around the MTU's payload boundaries, by stream and by datagram. */
static void
test_roundtrip_sizes(void **state)
{
	static const size_t mtus[] = { 64, 256, 1200 };
	size_t mi, k, len, flen, nfr, i, off, per;
	struct stream_rx *rx;
	struct got g;
	uint8_t *m, *f;

	(void)state;
	memset(&g, 0, sizeof(g));
	for (mi = 0; mi < sizeof(mtus) / sizeof(mtus[0]); mi++) {
		per = mtus[mi] - STREAM_OVERHEAD;
		for (k = 0; k < 12; k++) {
			/* 0, 1, per-1, per, per+1, 2per-1, 2per, 2per+1, ... */
			static const long d[] = { -1, 0, 1 };

			len = k < 3 ? k : (k / 3) * per + (size_t)(d[k % 3]);
			m = message(len, (unsigned)k);
			f = frames_of(m, len, mtus[mi], (uint16_t)k, &flen, &nfr);
			/* As one byte stream, fed in odd-sized pieces. */
			assert_non_null(rx = stream_rx_new(mtus[mi]));
			for (off = 0; off < flen; off += 7)
				stream_rx_bytes(rx, f + off, flen - off < 7 ? flen - off : 7, 1000,
				    deliver, &g);
			assert_int_equal(g.n, 1);
			assert_int_equal(g.lastlen, len);
			assert_memory_equal(g.last, m, len);
			assert_int_equal(stream_rx_stats(rx)->frames, nfr);
			assert_int_equal(stream_rx_stats(rx)->crc_errors, 0);
			assert_int_equal(stream_rx_pending(rx, NULL), 0);
			stream_rx_free(&rx);
			got_clear(&g);
			/* As datagrams. */
			assert_non_null(rx = stream_rx_new(mtus[mi]));
			for (i = 0, off = 0; i < nfr; i++) {
				size_t fl = STREAM_OVERHEAD + ((size_t)f[off + 9] << 8 | f[off + 10]);

				assert_int_equal(stream_rx_datagram(rx, f + off, fl, 1000, deliver,
				    &g), 1);
				off += fl;
			}
			assert_int_equal(g.n, 1);
			assert_memory_equal(g.last, m, len);
			stream_rx_free(&rx);
			got_clear(&g);
			free(f);
			free(m);
		}
	}
	/* The largest message (a ZeroMQ frame's limit) at a small MTU, and one byte more. */
	len = STREAM_MSG_MAX;
	m = message(len, 99);
	f = frames_of(m, len, 1200, 42, &flen, &nfr);
	assert_non_null(rx = stream_rx_new(1200));
	stream_rx_bytes(rx, f, flen, 5, deliver, &g);
	assert_int_equal(g.n, 1);
	assert_memory_equal(g.last, m, len);
	stream_rx_free(&rx);
	got_clear(&g);
	free(f);
	free(m);
	assert_int_equal(stream_nfrags(STREAM_MSG_MAX + 1, 1200), 0);
	assert_int_equal(stream_nfrags(STREAM_MSG_MAX, 64), 21400);	/* (u16 count) */
	assert_int_equal(stream_nfrags(10, STREAM_MTU_MIN - 1), 0);
}

/* Garbage before, between and after frames, including stray magic bytes. */
static void
test_garbage_between(void **state)
{
	uint8_t junk[300], *m, *f, *buf;
	size_t flen, i, off = 0, j;
	struct stream_rx *rx;
	struct got g;

	(void)state;
	memset(&g, 0, sizeof(g));
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 97 + 13);
	junk[10] = STREAM_MAGIC0;	/* false starts */
	junk[50] = STREAM_MAGIC0;
	junk[51] = STREAM_MAGIC1;
	junk[52] = STREAM_VERSION;
	m = message(500, 1);
	f = frames_of(m, 500, 128, 3, &flen, NULL);
	buf = malloc(4 * (sizeof(junk) + flen));
	assert_non_null(buf);
	for (j = 0; j < 4; j++) {
		memcpy(buf + off, junk, sizeof(junk) - j * 50);
		off += sizeof(junk) - j * 50;
		memcpy(buf + off, f, flen);
		off += flen;
	}
	assert_non_null(rx = stream_rx_new(128));
	stream_rx_bytes(rx, buf, off, 10, deliver, &g);
	assert_int_equal(g.n, 4);
	assert_memory_equal(g.last, m, 500);
	assert_true(stream_rx_stats(rx)->resyncs >= 4);
	assert_true(stream_rx_stats(rx)->skipped > 0);
	stream_rx_free(&rx);
	got_clear(&g);
	free(buf);
	free(f);
	free(m);
}

/*
 * Every single-bit flip of a frame is rejected, and the frame after it still arrives
 * (a flip costs at most the frame it hits).
 */
static void
test_every_bit_flip(void **state)
{
	uint8_t *m, *a, *b, *buf;
	size_t alen, blen, bit;
	struct stream_rx *rx;
	struct got g;
	struct stream_hdr h;

	(void)state;
	memset(&g, 0, sizeof(g));
	m = message(100, 5);
	a = frames_of(m, 100, 256, 1, &alen, NULL);
	b = frames_of(m, 100, 256, 2, &blen, NULL);
	buf = malloc(alen + blen);
	assert_non_null(buf);
	for (bit = 0; bit < alen * 8; bit++) {
		memcpy(buf, a, alen);
		memcpy(buf + alen, b, blen);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		/* Alone, the flipped frame is never accepted. */
		assert_true(stream_parse(buf, alen, 256, &h) <= 0);
		assert_non_null(rx = stream_rx_new(256));
		stream_rx_bytes(rx, buf, alen + blen, 1, deliver, &g);
		/*
		 * A flip that makes the length longer waits for bytes that never come: after
		 * STREAM_STALL_MS of silence the deframer gives it up and finds b.
		 */
		if (g.n == 0) {
			assert_int_equal(stream_rx_idle(rx, 1 + STREAM_STALL_MS - 1, deliver, &g), 0);
			assert_int_equal(stream_rx_idle(rx, 1 + STREAM_STALL_MS, deliver, &g), 1);
		}
		assert_int_equal(g.n, 1);	/* only b */
		assert_int_equal(g.lastlen, 100);
		assert_memory_equal(g.last, m, 100);
		assert_int_equal(stream_rx_stats(rx)->frames, 1);
		/* As a datagram, it is dropped and counted. */
		assert_int_equal(stream_rx_datagram(rx, buf, alen, 1, deliver, &g), 0);
		assert_int_equal(g.n, 1);
		stream_rx_free(&rx);
		got_clear(&g);
	}
	free(buf);
	free(a);
	free(b);
	free(m);
}

/* Truncated frames: on a stream the next frame survives; as datagrams they are dropped. */
static void
test_truncated(void **state)
{
	uint8_t *m, *a, *buf;
	size_t alen, cut;
	struct stream_rx *rx;
	struct got g;

	(void)state;
	memset(&g, 0, sizeof(g));
	m = message(200, 6);
	a = frames_of(m, 200, 256, 9, &alen, NULL);
	buf = malloc(2 * alen);
	assert_non_null(buf);
	for (cut = 1; cut < alen; cut++) {
		memcpy(buf, a, cut);
		memcpy(buf + cut, a, alen);
		assert_non_null(rx = stream_rx_new(256));
		stream_rx_bytes(rx, buf, cut + alen, 1, deliver, &g);
		assert_int_equal(g.n, 1);
		assert_memory_equal(g.last, m, 200);
		assert_int_equal(stream_rx_datagram(rx, a, cut, 1, deliver, &g), 0);
		assert_int_equal(g.n, 1);
		stream_rx_free(&rx);
		got_clear(&g);
	}
	/* A truncated frame at the very end stays pending, harmlessly. */
	assert_non_null(rx = stream_rx_new(256));
	stream_rx_bytes(rx, a, alen - 1, 1, deliver, &g);
	assert_int_equal(g.n, 0);
	stream_rx_bytes(rx, a + alen - 1, 1, 1, deliver, &g);
	assert_int_equal(g.n, 1);
	stream_rx_free(&rx);
	got_clear(&g);
	free(buf);
	free(a);
	free(m);
}

/* A length field beyond the MTU is refused at once, without waiting for its bytes. */
static void
test_oversize_length(void **state)
{
	uint8_t *m, *a, *buf;
	size_t alen;
	struct stream_rx *rx;
	struct stream_hdr h;
	struct got g;

	(void)state;
	memset(&g, 0, sizeof(g));
	m = message(50, 7);
	a = frames_of(m, 50, 256, 4, &alen, NULL);
	buf = malloc(2 * alen);
	assert_non_null(buf);
	memcpy(buf, a, alen);
	memcpy(buf + alen, a, alen);
	buf[9] = 0xff;	/* length 65k+ */
	assert_int_equal(stream_parse(buf, STREAM_HDR, 256, &h), -1);
	buf[9] = 0;
	buf[10] = 256 - STREAM_OVERHEAD + 1;	/* one byte beyond the MTU */
	assert_int_equal(stream_parse(buf, STREAM_HDR, 256, &h), -3);	/* counted apart */
	assert_non_null(rx = stream_rx_new(256));
	stream_rx_bytes(rx, buf, 2 * alen, 1, deliver, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(stream_rx_stats(rx)->too_long, 1);
	stream_rx_free(&rx);
	got_clear(&g);
	free(a);
	/*
	 * A datagram is taken whatever our mtu: the other end may be configured larger, and
	 * there is no byte stream to resynchronise.
	 */
	a = frames_of(m, 50, 1024, 4, &alen, NULL);
	assert_non_null(rx = stream_rx_new(64));
	assert_int_equal(stream_rx_datagram(rx, a, alen, 1, deliver, &g), 1);
	assert_int_equal(g.n, 1);
	stream_rx_free(&rx);
	got_clear(&g);
	free(a);
	a = frames_of(m, 50, 256, 4, &alen, NULL);
	/* Index beyond count, count 0, empty middle fragment. */
	memcpy(buf, a, alen);
	buf[6] = 1;	/* index 1 of 1 */
	assert_int_equal(stream_parse(buf, alen, 256, &h), -1);
	memcpy(buf, a, alen);
	buf[8] = 0;	/* count 0 */
	assert_int_equal(stream_parse(buf, alen, 256, &h), -1);
	free(buf);
	free(a);
	free(m);
}

/* Fragments of a few messages, interleaved, reordered and duplicated (UDP). */
static void
test_reorder_duplicate(void **state)
{
	uint8_t *m[3], *f[3], *p;
	size_t flen[3], nfr[3], i, k, fl, off[3][64];
	struct stream_rx *rx;
	struct got g;

	(void)state;
	memset(&g, 0, sizeof(g));
	for (k = 0; k < 3; k++) {
		m[k] = message(900 + k, (unsigned)k);
		f[k] = frames_of(m[k], 900 + k, 128, (uint16_t)(100 + k), &flen[k], &nfr[k]);
		for (i = 0, fl = 0; i < nfr[k]; i++) {
			off[k][i] = fl;
			fl += STREAM_OVERHEAD + ((size_t)f[k][fl + 9] << 8 | f[k][fl + 10]);
		}
	}
	assert_non_null(rx = stream_rx_new(128));
	/* Last fragment first, then backwards, each twice, three messages interleaved. */
	for (i = nfr[0]; i-- > 0;) {
		for (k = 0; k < 3; k++) {
			p = f[k] + off[k][i];
			fl = STREAM_OVERHEAD + ((size_t)p[9] << 8 | p[10]);
			stream_rx_datagram(rx, p, fl, 20, deliver, &g);
			if (i > 0)
				stream_rx_datagram(rx, p, fl, 20, deliver, &g);
		}
	}
	assert_int_equal(g.n, 3);
	assert_int_equal(g.lastlen, 902);
	assert_memory_equal(g.last, m[2], 902);
	assert_true(stream_rx_stats(rx)->frag_dropped >= 3 * (nfr[0] - 1));
	assert_int_equal(stream_rx_pending(rx, NULL), 0);
	stream_rx_free(&rx);
	got_clear(&g);
	for (k = 0; k < 3; k++) {
		free(f[k]);
		free(m[k]);
	}
}

/* Incomplete messages time out; at most STREAM_REASM_SLOTS are kept; the byte cap holds. */
static void
test_timeout_and_caps(void **state)
{
	uint8_t *m, *f, *p;
	size_t flen, nfr, fl, bytes, k;
	struct stream_rx *rx;
	struct got g;

	(void)state;
	memset(&g, 0, sizeof(g));
	m = message(1000, 8);
	f = frames_of(m, 1000, 128, 1, &flen, &nfr);
	assert_non_null(rx = stream_rx_new(128));
	/* Only the first fragment of the message: pending, then expired. */
	fl = STREAM_OVERHEAD + ((size_t)f[9] << 8 | f[10]);
	stream_rx_datagram(rx, f, fl, 1000, deliver, &g);
	assert_int_equal(stream_rx_pending(rx, &bytes), 1);
	assert_true(bytes > 0);
	assert_int_equal(stream_rx_expire(rx, 1000 + STREAM_REASM_MS - 1),
	    1000 + STREAM_REASM_MS);
	assert_int_equal(stream_rx_pending(rx, NULL), 1);
	assert_int_equal(stream_rx_expire(rx, 1000 + STREAM_REASM_MS), UINT64_MAX);
	assert_int_equal(stream_rx_pending(rx, &bytes), 0);
	assert_int_equal(bytes, 0);
	assert_int_equal(stream_rx_stats(rx)->msg_expired, 1);
	/* The rest of it now makes no message. */
	p = f + fl;
	stream_rx_bytes(rx, p, flen - fl, 2000 + STREAM_REASM_MS, deliver, &g);
	assert_int_equal(g.n, 0);
	stream_rx_free(&rx);
	/* Many messages begun, none finished: never more than the slots. */
	assert_non_null(rx = stream_rx_new(128));
	for (k = 0; k < 20; k++) {
		free(f);
		f = frames_of(m, 1000, 128, (uint16_t)(500 + k), &flen, &nfr);
		stream_rx_datagram(rx, f, fl, 3000 + k, deliver, &g);
		assert_true(stream_rx_pending(rx, NULL) <= STREAM_REASM_SLOTS);
	}
	assert_int_equal(stream_rx_pending(rx, NULL), STREAM_REASM_SLOTS);
	assert_int_equal(stream_rx_stats(rx)->msg_expired, 20 - STREAM_REASM_SLOTS);
	stream_rx_free(&rx);
	free(f);
	free(m);
	/* Huge messages begun at the largest MTU: the byte cap evicts, never exceeded. */
	m = message(STREAM_MSG_MAX, 9);
	assert_non_null(rx = stream_rx_new(STREAM_MTU_MAX));
	for (k = 0; k < 4; k++) {
		f = frames_of(m, STREAM_MSG_MAX, STREAM_MTU_MAX, (uint16_t)k, &flen, &nfr);
		fl = STREAM_OVERHEAD + ((size_t)f[9] << 8 | f[10]);
		stream_rx_datagram(rx, f, fl, 1, deliver, &g);
		(void)stream_rx_pending(rx, &bytes);
		assert_true(bytes <= STREAM_REASM_BYTES);
		free(f);
	}
	assert_true(stream_rx_stats(rx)->msg_expired >= 1);
	stream_rx_free(&rx);
	free(m);
	got_clear(&g);
}

/* A fragment claiming a message beyond STREAM_MSG_MAX is refused before any allocation. */
static void
test_too_big_message(void **state)
{
	uint8_t fr[STREAM_MTU_MAX];
	struct stream_rx *rx;
	struct got g;
	size_t plen = 60000, len;
	uint32_t crc;

	(void)state;
	memset(&g, 0, sizeof(g));
	memset(fr, 0xab, sizeof(fr));
	fr[0] = STREAM_MAGIC0;
	fr[1] = STREAM_MAGIC1;
	fr[2] = STREAM_VERSION;
	fr[3] = 0;
	fr[4] = 1;
	fr[5] = 0;
	fr[6] = 0;	/* index 0 */
	fr[7] = 0xff;
	fr[8] = 0xff;	/* of 65535: 3.9 GB at this fragment size */
	fr[9] = (uint8_t)(plen >> 8);
	fr[10] = (uint8_t)plen;
	crc = stream_crc32c(fr, STREAM_HDR + plen);
	fr[STREAM_HDR + plen] = (uint8_t)(crc >> 24);
	fr[STREAM_HDR + plen + 1] = (uint8_t)(crc >> 16);
	fr[STREAM_HDR + plen + 2] = (uint8_t)(crc >> 8);
	fr[STREAM_HDR + plen + 3] = (uint8_t)crc;
	len = STREAM_HDR + plen + 4;
	assert_non_null(rx = stream_rx_new(STREAM_MTU_MAX));
	assert_int_equal(stream_rx_datagram(rx, fr, len, 1, deliver, &g), 1);
	assert_int_equal(stream_rx_pending(rx, NULL), 0);
	assert_int_equal(stream_rx_stats(rx)->msg_expired, 1);
	stream_rx_free(&rx);
}

/* ---- the transmit scheduler ------------------------------------------------------------ */

/* Link frames taken from tx, each parsed; what the receiver made of them goes to g. */
static size_t
tx_take(struct stream_tx *tx, size_t mtu, struct stream_rx *rx, struct got *g,
    struct stream_hdr *h)
{
	uint8_t fr[STREAM_MTU_MAX];
	size_t len = stream_tx_next(tx, fr);

	if (len == 0)
		return 0;
	assert_true(len <= mtu);
	assert_int_equal(stream_parse(fr, len, mtu, h), (long)len);
	assert_int_equal(stream_rx_datagram(rx, fr, len, 1, deliver, g), 1);
	return len;
}

/*
 * A message of a more urgent lane queued while a long one is on the air goes at the next link
 * frame boundary, not after the long one; both arrive whole.
 */
static void
test_tx_overtakes(void **state)
{
	const size_t mtu = 256, per = mtu - STREAM_OVERHEAD;
	struct stream_tx *tx;
	struct stream_rx *rx;
	struct stream_hdr h;
	struct got g;
	uint8_t *big = message(5 * per, 1), *urgent = message(per + 10, 2);
	uint16_t bigseq;
	size_t i;

	(void)state;
	memset(&g, 0, sizeof(g));
	assert_non_null(tx = stream_tx_new(mtu, 100, NULL, NULL));
	assert_non_null(rx = stream_rx_new(mtu));
	assert_int_equal(stream_tx_push(tx, 7, 0, big, 5 * per), 0);
	assert_int_equal(stream_tx_queued(tx, 7), 1);
	assert_true(tx_take(tx, mtu, rx, &g, &h) > 0);
	assert_int_equal(h.count, 5);
	assert_int_equal(h.index, 0);
	bigseq = h.seq;
	/* The urgent message comes after the first fragment went. */
	assert_int_equal(stream_tx_push(tx, 2, 0, urgent, per + 10), 0);
	assert_true(tx_take(tx, mtu, rx, &g, &h) > 0);
	assert_int_not_equal(h.seq, bigseq);
	assert_int_equal(h.count, 2);
	assert_true(tx_take(tx, mtu, rx, &g, &h) > 0);
	assert_int_equal(h.index, 1);
	assert_int_equal(g.n, 1);	/* the urgent one, whole, before the long one */
	assert_int_equal(g.lastlen, per + 10);
	assert_memory_equal(g.last, urgent, per + 10);
	assert_int_equal(stream_tx_queued(tx, 2), 0);
	for (i = 1; i < 5; i++) {
		assert_true(tx_take(tx, mtu, rx, &g, &h) > 0);
		assert_int_equal(h.seq, bigseq);
		assert_int_equal(h.index, i);
	}
	assert_int_equal(stream_tx_next(tx, (uint8_t[STREAM_MTU_MAX]){ 0 }), 0);
	assert_int_equal(g.n, 2);
	assert_memory_equal(g.last, big, 5 * per);
	assert_int_equal(stream_tx_done(tx), 2);
	assert_int_equal(stream_tx_bytes(tx), 0);
	stream_tx_free(&tx);
	stream_rx_free(&rx);
	free(big);
	free(urgent);
	got_clear(&g);
}

/*
 * At most STREAM_REASM_SLOTS messages of several fragments are unfinished at once (a
 * receiver keeps no more): a fifth waits for one to finish, whatever its lane; a message of
 * one fragment needs no slot and still goes first.
 */
static void
test_tx_slots(void **state)
{
	const size_t mtu = 128, per = mtu - STREAM_OVERHEAD;
	struct stream_tx *tx;
	struct stream_rx *rx;
	struct stream_hdr h;
	struct got g;
	uint8_t *m = message(3 * per, 3);
	uint16_t seq[STREAM_REASM_SLOTS + 1];
	int lane, i;

	(void)state;
	memset(&g, 0, sizeof(g));
	assert_non_null(tx = stream_tx_new(mtu, 0, NULL, NULL));
	assert_non_null(rx = stream_rx_new(mtu));
	for (i = 0, lane = 9; i < STREAM_REASM_SLOTS; i++, lane--) {
		assert_int_equal(stream_tx_push(tx, lane, 0, m, 3 * per), 0);
		assert_true(tx_take(tx, mtu, rx, &g, &h) > 0);
		assert_int_equal(h.index, 0);
		seq[i] = h.seq;
	}
	assert_int_equal(stream_rx_pending(rx, NULL), STREAM_REASM_SLOTS);
	assert_int_equal(stream_tx_push(tx, 1, 0, m, 3 * per), 0);	/* the most urgent */
	assert_true(tx_take(tx, mtu, rx, &g, &h) > 0);
	assert_int_equal(h.seq, seq[STREAM_REASM_SLOTS - 1]);	/* lane 6 goes on */
	assert_int_equal(h.index, 1);
	assert_int_equal(stream_tx_push(tx, 0, 0, (const uint8_t *)"ping", 4), 0);
	assert_true(tx_take(tx, mtu, rx, &g, &h) > 0);
	assert_int_equal(h.count, 1);
	assert_int_equal(g.n, 1);
	assert_true(tx_take(tx, mtu, rx, &g, &h) > 0);	/* lane 6 finishes */
	assert_int_equal(h.index, 2);
	assert_true(tx_take(tx, mtu, rx, &g, &h) > 0);	/* now lane 1 may start */
	seq[STREAM_REASM_SLOTS] = h.seq;
	assert_int_equal(h.index, 0);
	for (i = 0; i < STREAM_REASM_SLOTS; i++)
		assert_int_not_equal(h.seq, seq[i]);
	while (tx_take(tx, mtu, rx, &g, &h) > 0)
		;
	assert_int_equal(g.n, 2 + STREAM_REASM_SLOTS);	/* everything whole */
	assert_int_equal(stream_rx_stats(rx)->msg_expired, 0);
	assert_int_equal(stream_rx_stats(rx)->frag_dropped, 0);
	stream_tx_free(&tx);
	stream_rx_free(&rx);
	free(m);
	got_clear(&g);
}

struct wraps {
	int		 n;		/* wraps made */
	int		 fail;		/* refuse them */
	uint64_t	 ctr;		/* as a seal's counter */
};

/* A wrap that puts a counter before the frame, as a seal does (SLINK_KIND_SEALED, ctr). */
static int
test_wrap(void *arg, int hello, const uint8_t *frame, size_t len, uint8_t **out,
    size_t *outlen)
{
	struct wraps *w = arg;
	uint8_t *m;

	(void)hello;
	if (w->fail)
		return EAGAIN;
	assert_non_null(m = malloc(9 + len));
	m[0] = SLINK_KIND_SEALED;
	wire_put_be64(m + 1, ++w->ctr);
	memcpy(m + 9, frame, len);
	w->n++;
	*out = m;
	*outlen = 9 + len;
	return 0;
}

/*
 * Messages are wrapped (sealed) when they start, in the order they go on the air, not when
 * queued; one that cannot be wrapped is dropped and counted. A started message overtaken by
 * more than STREAM_OVERTAKE_MAX newer ones finishes before anything new starts, so that its
 * counter is still inside the receiver's 64-message replay window.
 */
static void
test_tx_wrap_order(void **state)
{
	const size_t mtu = 128, per = mtu - STREAM_OVERHEAD;
	struct wraps w = { 0, 0, 0 };
	struct stream_tx *tx;
	struct stream_rx *rx;
	struct stream_hdr h;
	struct got g;
	uint8_t *big = message(4 * per, 4);
	uint64_t bigctr;
	uint16_t bigseq;
	int i, seen_big = 0;

	(void)state;
	memset(&g, 0, sizeof(g));
	assert_non_null(tx = stream_tx_new(mtu, 0, test_wrap, &w));
	assert_non_null(rx = stream_rx_new(mtu));
	assert_int_equal(stream_tx_push(tx, 9, 0, big, 4 * per - 9), 0);
	assert_int_equal(stream_tx_push(tx, 3, 0, (const uint8_t *)"a", 1), 0);
	assert_int_equal(w.n, 0);	/* nothing wrapped while queued */
	assert_true(tx_take(tx, mtu, rx, &g, &h) > 0);
	assert_int_equal(h.count, 1);	/* lane 3 first, wrapped first */
	assert_int_equal(wire_get_be64(h.payload + 1), 1);
	assert_true(tx_take(tx, mtu, rx, &g, &h) > 0);
	bigseq = h.seq;
	bigctr = wire_get_be64(h.payload + 1);
	assert_int_equal(bigctr, 2);
	/* A flood of urgent messages: the long one is resumed in time. */
	for (i = 0; i < 3 * 32 && !seen_big; i++) {
		assert_int_equal(stream_tx_push(tx, 0, 0, (const uint8_t *)"b", 1), 0);
		assert_true(tx_take(tx, mtu, rx, &g, &h) > 0);
		if (h.seq == bigseq)
			seen_big = 1;
	}
	assert_true(seen_big);
	while (stream_tx_queued(tx, 9) > 0) {
		assert_true(tx_take(tx, mtu, rx, &g, &h) > 0);
		assert_int_equal(h.seq, bigseq);
	}
	assert_true(w.ctr - bigctr < 64);	/* at the end, still inside the window */
	while (tx_take(tx, mtu, rx, &g, &h) > 0)
		;
	/* No session: dropped when it would start, counted. */
	w.fail = 1;
	assert_int_equal(stream_tx_push(tx, 5, 0, (const uint8_t *)"c", 1), 0);
	assert_int_equal(stream_tx_next(tx, (uint8_t[STREAM_MTU_MAX]){ 0 }), 0);
	assert_int_equal(stream_tx_unsent(tx), 1);
	assert_int_equal(stream_tx_queued(tx, 5), 0);
	assert_int_equal(stream_tx_bytes(tx), 0);
	/* Too large for any sequence of link frames. */
	assert_int_equal(stream_tx_push(tx, 5, 0, big, 65536 * per), EMSGSIZE);
	stream_tx_free(&tx);
	stream_rx_free(&rx);
	free(big);
	got_clear(&g);
}

/*
 * A HAVE (and a WANT) of shortid_max(mtu) prefixes, sealed, fits one link frame at every
 * mtu; the frame is laid out as PROTOCOL.md §5 shows (1a/22, length, 12, length, prefixes).
 */
static void
test_shortid_fits(void **state)
{
	uint8_t pfx[NODE_PUSH_MAX * SHORTID_BYTES], *buf;
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Have h = FENGHUO__HAVE__INIT;
	Fenghuo__Want w = FENGHUO__WANT__INIT;
	size_t mtu, k, len, i;

	(void)state;
	for (i = 0; i < sizeof(pfx); i++)
		pfx[i] = (uint8_t)i;
	for (mtu = 64; mtu <= 1500; mtu++) {
		k = shortid_max(mtu);
		assert_true(k >= 1 && k <= NODE_PUSH_MAX);
		h.has_short_ids = w.has_short_ids = 1;
		h.short_ids.data = w.short_ids.data = pfx;
		h.short_ids.len = w.short_ids.len = k * SHORTID_BYTES;
		f.msg_case = FENGHUO__FRAME__MSG_HAVE;
		f.have = &h;
		assert_int_equal(frame_pack(&f, &buf, &len), 0);
		assert_true(len + SLINK_OVERHEAD + STREAM_OVERHEAD <= mtu);
		free(buf);
		f.msg_case = FENGHUO__FRAME__MSG_WANT;
		f.want = &w;
		assert_int_equal(frame_pack(&f, &buf, &len), 0);
		assert_true(len + SLINK_OVERHEAD + STREAM_OVERHEAD <= mtu);
		free(buf);
	}
	assert_int_equal(shortid_max(256), 26);
	assert_int_equal(shortid_max(1200), NODE_PUSH_MAX);

	/* Two prefixes: 1a 12 12 10 <16 bytes> (HAVE), 22 12 12 10 <16 bytes> (WANT). */
	h.short_ids.len = 2 * SHORTID_BYTES;
	f.msg_case = FENGHUO__FRAME__MSG_HAVE;
	f.have = &h;
	assert_int_equal(frame_pack(&f, &buf, &len), 0);
	assert_int_equal(len, 20);
	assert_int_equal(buf[0], 0x1a);
	assert_int_equal(buf[1], 0x12);
	assert_int_equal(buf[2], 0x12);
	assert_int_equal(buf[3], 0x10);
	assert_memory_equal(buf + 4, pfx, 16);
	free(buf);
	w.short_ids.len = 2 * SHORTID_BYTES;
	f.msg_case = FENGHUO__FRAME__MSG_WANT;
	f.want = &w;
	assert_int_equal(frame_pack(&f, &buf, &len), 0);
	assert_int_equal(len, 20);
	assert_int_equal(buf[0], 0x22);
	assert_int_equal(buf[2], 0x12);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_roundtrip_sizes),
		cmocka_unit_test(test_garbage_between),
		cmocka_unit_test(test_every_bit_flip),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_oversize_length),
		cmocka_unit_test(test_reorder_duplicate),
		cmocka_unit_test(test_timeout_and_caps),
		cmocka_unit_test(test_too_big_message),
		cmocka_unit_test(test_tx_overtakes),
		cmocka_unit_test(test_tx_slots),
		cmocka_unit_test(test_tx_wrap_order),
		cmocka_unit_test(test_shortid_fits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
