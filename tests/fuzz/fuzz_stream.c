/*
 * fuzz_stream.c: the stream-link deframer and reassembler (node/stream.c, pure half).
 *
 * The input drives one receiver at a fuzz-chosen MTU:
 *   u8 mtu choice | then records  u8 control | u16 BE length | bytes
 * control bits 0-1: 0 = the bytes arrive on a byte stream (stream_rx_bytes), 1 = as one
 *                   datagram (stream_rx_datagram), 2 = as a byte stream after being
 *                   re-framed here as a valid message (so reassembly gets real fragments,
 *                   then bits 4-7 pick one byte to flip and bit 2 a fragment to drop),
 *                   3 = the clock jumps (bytes: u16 seconds) and stream_rx_idle runs;
 * Invariants: a delivered message is never longer than STREAM_MSG_MAX; the reassembly
 * buffers never exceed STREAM_REASM_BYTES nor STREAM_REASM_SLOTS messages; a message
 * re-framed here and fed without damage comes out exactly once and unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "node.h"

#define RECORDS_MAX	64

static const size_t mtus[] = { 64, 100, 256, 512, 1200, 9000 };

struct got {
	size_t		 n;
	const uint8_t	*want;		/* the clean message expected, or NULL */
	size_t		 wantlen;
	size_t		 matched;
};

static void
deliver(void *arg, const uint8_t *msg, size_t len)
{
	struct got *g = arg;

	FUZZ_CHECK(len <= STREAM_MSG_MAX);
	FUZZ_CHECK(len == 0 || msg != NULL);
	g->n++;
	if (g->want != NULL && len == g->wantlen && memcmp(msg, g->want, len) == 0)
		g->matched++;
}

static void
check_caps(const struct stream_rx *rx)
{
	size_t bytes, n = stream_rx_pending(rx, &bytes);

	FUZZ_CHECK(n <= STREAM_REASM_SLOTS);
	FUZZ_CHECK(bytes <= STREAM_REASM_BYTES);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stream_rx *rx;
	struct got g;
	uint64_t now = 1000;
	size_t off = 1, len, nrec = 0, mtu, nf, i, flen;
	uint8_t control, *frames;
	uint16_t seq = 0;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	mtu = mtus[data[0] % (sizeof(mtus) / sizeof(mtus[0]))];
	FUZZ_CHECK((rx = stream_rx_new(mtu)) != NULL);
	memset(&g, 0, sizeof(g));
	while (nrec++ < RECORDS_MAX && size - off >= 3) {
		control = data[off];
		len = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		switch (control & 3) {
		case 0:
			stream_rx_bytes(rx, data + off, len, now, deliver, &g);
			break;
		case 1:
			stream_rx_datagram(rx, data + off, len, now, deliver, &g);
			break;
		case 2:
			/* A real message, fragmented, perhaps damaged or missing a piece. */
			nf = stream_nfrags(len, mtu);
			FUZZ_CHECK(nf > 0);
			FUZZ_CHECK((frames = malloc(nf * mtu)) != NULL);
			seq++;
			for (i = 0, flen = 0; i < nf; i++)
				flen += stream_frag(data + off, len, mtu, seq, i, frames + flen);
			if ((control & 0xf4) == 0) {
				/* Clean, into a fresh receiver: out exactly once, unchanged. */
				struct stream_rx *rx2;
				struct got g2;

				memset(&g2, 0, sizeof(g2));
				g2.want = data + off;
				g2.wantlen = len;
				FUZZ_CHECK((rx2 = stream_rx_new(mtu)) != NULL);
				FUZZ_CHECK(stream_rx_bytes(rx2, frames, flen, now, deliver, &g2) == nf);
				FUZZ_CHECK(g2.n == 1 && g2.matched == 1);
				stream_rx_free(&rx2);
				/* And into the fuzzed one, after whatever came before. */
				stream_rx_bytes(rx, frames, flen, now, deliver, &g);
			} else {
				if ((control & 4) && nf > 1) {
					/* Drop the first fragment. */
					size_t fl = STREAM_OVERHEAD + ((size_t)frames[9] << 8 | frames[10]);

					memmove(frames, frames + fl, flen - fl);
					flen -= fl;
				}
				/* (after the drop, which reads a clean length field) */
				if (control & 0xf0)
					frames[((size_t)(control >> 4) * 131) % flen] ^=
					    (uint8_t)(1u << (control >> 4 & 7));
				stream_rx_bytes(rx, frames, flen, now, deliver, &g);
			}
			free(frames);
			break;
		case 3:
			if (len >= 2)
				now += ((uint64_t)data[off] << 8 | data[off + 1]) * 1000;
			(void)stream_rx_idle(rx, now, deliver, &g);
			(void)stream_rx_expire(rx, now);
			break;
		}
		off += len;
		check_caps(rx);
		now += 10;
	}
	stream_rx_free(&rx);
	return 0;
}
