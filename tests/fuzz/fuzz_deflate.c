/*
 * fuzz_deflate.c: Frame.deflated on stream links (proto/wire.c), the decoder a peer's bytes
 * meet before any Frame is decoded: wire_frame_inflate, then the Frame inside.
 *
 * The input is u8 control | bytes:
 *   control bit 0 = 0: the bytes are the contents of a Frame.deflated as a peer sends them:
 *                      inflated with the bound, and what comes out decoded as a Frame;
 *   control bit 0 = 1: the bytes are a Frame of ours: deflated (wire_frame_deflate), the
 *                      result decoded as a Frame{deflated} and inflated again.
 * Invariants: inflation either refuses (EMSGSIZE beyond WIRE_DEFLATED_MAX, EBADMSG for
 * anything that is not one complete raw DEFLATE stream) and hands out nothing, or hands out
 * 1 .. WIRE_DEFLATED_MAX bytes; what comes out, deflated by us and inflated again, is the same;
 * and whatever we deflate comes back unchanged.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wire.h"

/* Our deflate of raw, decoded and inflated back: exactly raw. */
static void
round_trip(const uint8_t *raw, size_t len)
{
	Fenghuo__Frame *f;
	uint8_t *z, *back;
	size_t zlen, blen;
	int rc;

	rc = wire_frame_deflate(raw, len, &z, &zlen);
	if (len == 0) {
		FUZZ_CHECK(rc == EINVAL && z == NULL);
		return;
	}
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK((f = wire_frame_unpack(z, zlen)) != NULL);
	FUZZ_CHECK(f->msg_case == FENGHUO__FRAME__MSG_DEFLATED);
	FUZZ_CHECK(wire_frame_inflate(f->deflated.data, f->deflated.len, &back, &blen) == 0);
	FUZZ_CHECK(blen == len && memcmp(back, raw, len) == 0);
	free(back);
	fenghuo__frame__free_unpacked(f, NULL);
	free(z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Fenghuo__Frame *f;
	uint8_t *out = (uint8_t *)&out;
	size_t outlen = 1;
	int rc;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	if (data[0] & 1) {
		round_trip(data + 1, size - 1);
		return 0;
	}
	rc = wire_frame_inflate(data + 1, size - 1, &out, &outlen);
	if (rc != 0) {
		FUZZ_CHECK(rc == EMSGSIZE || rc == EBADMSG);
		FUZZ_CHECK(out == NULL && outlen == 0);
		return 0;
	}
	FUZZ_CHECK(out != NULL && outlen >= 1 && outlen <= WIRE_DEFLATED_MAX);
	/* What the daemon does next: decode it as a Frame (a PUSH or HAVE, or garbage). */
	if ((f = wire_frame_unpack(out, outlen)) != NULL)
		fenghuo__frame__free_unpacked(f, NULL);
	round_trip(out, outlen);
	free(out);
	return 0;
}
