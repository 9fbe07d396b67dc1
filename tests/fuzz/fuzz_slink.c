/*
 * fuzz_slink.c: the session layer of stream links (node/slink.c): what a stranger on a radio
 * channel can put in front of a working session.
 *
 * Each input starts a real session between a connecting end C (fuzz_key) and an answering
 * end A (fuzz_peer_key), then plays records  u8 control | u16 BE length | bytes:
 *   control & 3 == 0: the bytes arrive at A as a message (slink_unwrap);
 *   control & 3 == 1: C seals the bytes as a frame; bits 4-7, when not 0, pick a byte of the
 *                     sealed message to flip; A unwraps it, and with bit 2 a second time;
 *   control & 3 == 2: the bytes are decoded as a Hello and offered to A and to C as coming
 *                     from the other (slink_hello_in);
 *   control & 3 == 3: the bytes arrive at C as a message.
 * Invariants: a frame handed out lies inside the message; a sealed message passes exactly
 * when it was not altered, exactly once, and comes out unchanged; nothing a fuzzer can make
 * (it holds no node key) starts a new session; and at the end the session still works both
 * ways: no input takes a working link down.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "node.h"

static void
hello_between(struct slink *from, const struct fc_key *fkey, int connecting, struct slink *to)
{
	Fenghuo__Hello h = FENGHUO__HELLO__INIT;
	Fenghuo__Hello *got;
	uint8_t buf[512];
	size_t len;

	slink_hello_out(from, fkey, connecting, &h);
	len = fenghuo__hello__pack(&h, buf);
	FUZZ_CHECK((got = fenghuo__hello__unpack(NULL, len, buf)) != NULL);
	FUZZ_CHECK(slink_hello_in(to, !connecting, fc_key_public(fkey), got, FUZZ_NOW_MS) == 0);
	fenghuo__hello__free_unpacked(got, NULL);
}

/* C seals frame, `to` unwraps: 1 if it came through unchanged. */
static int
seal_pass(struct slink *from, struct slink *to, const uint8_t *frame, size_t len, int flip)
{
	const uint8_t *out;
	uint8_t *m;
	size_t mlen, olen;
	int kind, ok;

	FUZZ_CHECK(slink_wrap(from, 0, frame, len, &m, &mlen) == 0);
	FUZZ_CHECK(mlen == len + SLINK_OVERHEAD);
	if (flip > 0)
		m[(size_t)flip * 7 % mlen] ^= (uint8_t)flip;
	kind = slink_unwrap(to, m, mlen, &out, &olen, FUZZ_NOW_MS);
	ok = kind == SLINK_KIND_SEALED;
	if (ok) {
		FUZZ_CHECK(flip == 0);
		FUZZ_CHECK(olen == len && out >= m && out + olen <= m + mlen);
		FUZZ_CHECK(len == 0 || memcmp(out, frame, len) == 0);
		/* Once only. */
		FUZZ_CHECK(slink_unwrap(to, m, mlen, &out, &olen, FUZZ_NOW_MS) == -1);
	} else {
		FUZZ_CHECK(flip != 0);
	}
	free(m);
	return ok;
}

static void
raw_in(struct slink *s, const uint8_t *b, size_t n)
{
	const uint8_t *out;
	size_t olen;
	int kind;

	kind = slink_unwrap(s, b, n, &out, &olen, FUZZ_NOW_MS);
	FUZZ_CHECK(kind == -1 || kind == SLINK_KIND_HELLO || kind == SLINK_KIND_SEALED);
	if (kind == SLINK_KIND_HELLO)
		FUZZ_CHECK(out == b + 1 && olen == n - 1);
	if (kind == SLINK_KIND_SEALED)	/* a forged tag: 2^-128 */
		FUZZ_CHECK(!"a fuzzed message passed as sealed");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slink *c, *a;
	Fenghuo__Hello *h;
	const uint8_t *p = data, *end = data + size;
	uint8_t ctl;
	size_t len;
	int i;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	FUZZ_CHECK((c = slink_new()) != NULL && (a = slink_new()) != NULL);
	hello_between(c, fuzz_key(), 1, a);
	hello_between(a, fuzz_peer_key(), 0, c);
	FUZZ_CHECK(slink_keyed(c) && slink_keyed(a));
	for (i = 0; i < 64 && end - p >= 3; i++) {
		ctl = p[0];
		len = (size_t)p[1] << 8 | p[2];
		p += 3;
		if (len > (size_t)(end - p))
			len = (size_t)(end - p);
		switch (ctl & 3) {
		case 0:
			raw_in(a, p, len);
			break;
		case 1:
			if (seal_pass(c, a, p, len, ctl >> 4) && (ctl & 4))
				(void)seal_pass(c, a, p, len, 0);
			break;
		case 2:
			if ((h = fenghuo__hello__unpack(NULL, len, p)) != NULL) {
				(void)slink_hello_in(a, 0, fc_key_public(fuzz_key()), h, FUZZ_NOW_MS);
				(void)slink_hello_in(c, 1, fc_key_public(fuzz_peer_key()), h,
				    FUZZ_NOW_MS);
				fenghuo__hello__free_unpacked(h, NULL);
			}
			break;
		default:
			raw_in(c, p, len);
			break;
		}
		p += len;
	}
	FUZZ_CHECK(slink_stats(a)->sessions == 1 && slink_stats(c)->sessions == 1);
	FUZZ_CHECK(seal_pass(c, a, (const uint8_t *)"PING", 4, 0));
	FUZZ_CHECK(seal_pass(a, c, (const uint8_t *)"PONG", 4, 0));
	slink_free(&c);
	slink_free(&a);
	return 0;
}
