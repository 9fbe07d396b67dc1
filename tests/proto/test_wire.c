/*
 * test_wire.c: the helpers of proto/wire.h.
 *
 * wire_frame_wrap_sync() writes a protobuf tag and length itself, so its output is checked
 * against protobuf-c packing the same Frame: at every length where the varint grows a byte,
 * with and without the other Sync fields, and up to the frame limit.
 *
 * Frame.deflated: a PUSH deflated and inflated comes back byte for byte; raw DEFLATE from
 * any other compressor setting inflates too (a peer may use its own); the example of
 * docs/PROTOCOL.md inflates to the frame it shows; and what a hostile peer can send instead
 * (a decompression bomb, a truncated or corrupt stream, bytes after its end, an empty one)
 * is refused with its reason, with nothing handed out.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "wire.h"

/* Sync{payload} of plen bytes (plus session and done when full), packed by protobuf-c. */
static uint8_t *
pack_sync(size_t plen, int full, size_t *len)
{
	Fenghuo__Sync s = FENGHUO__SYNC__INIT;
	uint8_t *payload, *out;
	size_t i;

	payload = malloc(plen > 0 ? plen : 1);
	assert_non_null(payload);
	for (i = 0; i < plen; i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	s.has_payload = 1;
	s.payload.data = payload;
	s.payload.len = plen;
	if (full) {
		s.has_session = 1;
		s.session = 0x12345;
		s.has_done = 1;
		s.done = 1;
		s.has_lower = 1;
		s.lower.data = payload;
		s.lower.len = plen < 9 ? plen : 9;
	}
	*len = fenghuo__sync__get_packed_size(&s);
	out = malloc(*len > 0 ? *len : 1);
	assert_non_null(out);
	assert_int_equal(fenghuo__sync__pack(&s, out), *len);
	free(payload);
	return out;
}

/* The wrapped bytes equal protobuf-c's Frame{sync}, and decode back to the same Sync. */
static void
check_wrap(size_t plen, int full)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT, *back;
	Fenghuo__Sync *s;
	uint8_t *sync, *ours, *theirs;
	size_t len, ourlen, theirlen;

	sync = pack_sync(plen, full, &len);
	assert_int_equal(wire_frame_wrap_sync(sync, len, &ours, &ourlen), 0);

	s = fenghuo__sync__unpack(NULL, len, sync);
	assert_non_null(s);
	f.msg_case = FENGHUO__FRAME__MSG_SYNC;
	f.sync = s;
	theirlen = fenghuo__frame__get_packed_size(&f);
	theirs = malloc(theirlen);
	assert_non_null(theirs);
	assert_int_equal(fenghuo__frame__pack(&f, theirs), theirlen);
	assert_int_equal(ourlen, theirlen);
	assert_memory_equal(ours, theirs, ourlen);

	back = wire_frame_unpack(ours, ourlen);
	assert_non_null(back);
	assert_int_equal(back->msg_case, FENGHUO__FRAME__MSG_SYNC);
	assert_true(back->sync->has_payload);
	assert_int_equal(back->sync->payload.len, plen);
	assert_memory_equal(back->sync->payload.data, s->payload.data, plen);

	fenghuo__frame__free_unpacked(back, NULL);
	fenghuo__sync__free_unpacked(s, NULL);
	free(theirs);
	free(ours);
	free(sync);
}

static void
test_wrap_sync_equals_protobuf(void **state)
{
	/* Around each length where the payload's or the Sync's length varint grows. */
	static const size_t lens[] = {
		0, 1, 10, 124, 125, 126, 127, 128, 129, 200, 16380, 16381, 16382, 16383, 16384,
		16385, 100000,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		check_wrap(lens[i], 0);
		check_wrap(lens[i], 1);
	}
	/* A Sync of WIRE_FRAME_MAX - 4 bytes: with the tag and a 3-byte length, a full frame. */
	check_wrap(WIRE_FRAME_MAX - 4 - 4, 0);
}

static void
test_wrap_sync_bad_arguments(void **state)
{
	uint8_t *out = (uint8_t *)&out, *big;
	size_t outlen = 1;

	(void)state;
	assert_int_equal(wire_frame_wrap_sync(NULL, 1, &out, &outlen), EINVAL);
	assert_null(out);
	assert_int_equal(outlen, 0);
	assert_int_equal(wire_frame_wrap_sync((const uint8_t *)"", 0, NULL, &outlen), EINVAL);
	assert_int_equal(wire_frame_wrap_sync((const uint8_t *)"", 0, &out, NULL), EINVAL);

	/* One byte over the frame limit is refused; the largest that fits is not. */
	big = calloc(1, WIRE_FRAME_MAX);
	assert_non_null(big);
	assert_int_equal(wire_frame_wrap_sync(big, WIRE_FRAME_MAX - 3, &out, &outlen), EMSGSIZE);
	assert_null(out);
	assert_int_equal(wire_frame_wrap_sync(big, WIRE_FRAME_MAX - 4, &out, &outlen), 0);
	assert_int_equal(outlen, WIRE_FRAME_MAX);
	free(out);
	free(big);
}

/* A PUSH Frame of n envelopes, each random bytes (a key, a signature) and a Chinese text. */
static uint8_t *
pack_push(size_t n, size_t *len)
{
	static const char text[] = "青山村村道积水约40厘米，车辆无法通行；已转移3户12人。";
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Push push = FENGHUO__PUSH__INIT;
	ProtobufCBinaryData envs[16];
	uint32_t hops[16];
	uint8_t raw[16][96 + sizeof(text)], *out;
	size_t i, j;

	assert_true(n <= 16);
	for (i = 0; i < n; i++) {
		for (j = 0; j < 96; j++)
			raw[i][j] = (uint8_t)(rand() & 0xff);
		memcpy(raw[i] + 96, text, sizeof(text));
		envs[i].data = raw[i];
		envs[i].len = sizeof(raw[i]);
		hops[i] = (uint32_t)i;
	}
	push.n_envelopes = push.n_hops = n;
	push.envelopes = envs;
	push.hops = hops;
	f.msg_case = FENGHUO__FRAME__MSG_PUSH;
	f.push = &push;
	*len = fenghuo__frame__get_packed_size(&f);
	assert_non_null(out = malloc(*len));
	assert_int_equal(fenghuo__frame__pack(&f, out), *len);
	return out;
}

/* Raw DEFLATE of buf by zlib itself, at the given level and window (9 .. 15). */
static uint8_t *
raw_deflate(const uint8_t *buf, size_t len, int level, int wbits, size_t *outlen)
{
	z_stream z;
	uint8_t *out;
	size_t cap;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, -wbits, 8, Z_DEFAULT_STRATEGY),
	    Z_OK);
	cap = deflateBound(&z, (uLong)len);
	assert_non_null(out = malloc(cap));
	z.next_in = (Bytef *)(uintptr_t)buf;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* Deflated by us, decoded as a Frame{deflated}, inflated: the same bytes, and shorter. */
static void
test_deflate_round_trip(void **state)
{
	Fenghuo__Frame *f;
	uint8_t *push, *z, *back;
	size_t len, zlen, blen, n;

	(void)state;
	srand(7);
	for (n = 1; n <= 16; n++) {
		push = pack_push(n, &len);
		assert_int_equal(wire_frame_deflate(push, len, &z, &zlen), 0);
		assert_int_equal(z[0], 0x52);	/* Frame field 10, length-delimited */
		if (n >= 2)
			assert_true(zlen < len);
		assert_non_null(f = wire_frame_unpack(z, zlen));
		assert_int_equal(f->msg_case, FENGHUO__FRAME__MSG_DEFLATED);
		assert_int_equal(wire_frame_inflate(f->deflated.data, f->deflated.len, &back,
		    &blen), 0);
		assert_int_equal(blen, len);
		assert_memory_equal(back, push, len);
		fenghuo__frame__free_unpacked(f, NULL);
		free(back);
		free(z);
		free(push);
	}
}

/* Any raw DEFLATE inflates, whatever level and window the other end's compressor used. */
static void
test_inflate_other_settings(void **state)
{
	static const int levels[] = { 0, 1, 6, 9 }, wbits[] = { 9, 12, 15 };
	uint8_t *push, *z, *back;
	size_t len, zlen, blen, i, j;

	(void)state;
	srand(8);
	push = pack_push(12, &len);
	for (i = 0; i < 4; i++) {
		for (j = 0; j < 3; j++) {
			z = raw_deflate(push, len, levels[i], wbits[j], &zlen);
			assert_int_equal(wire_frame_inflate(z, zlen, &back, &blen), 0);
			assert_int_equal(blen, len);
			assert_memory_equal(back, push, len);
			free(back);
			free(z);
		}
	}
	free(push);
}

/*
 * docs/PROTOCOL.md §5, Deflated frames: the example's bytes (the PUSH of §5 with the
 * envelope of §10, in a stored block) inflate to that PUSH.
 */
static void
test_inflate_protocol_example(void **state)
{
	static const uint8_t frame[] = {
		0x52, 0xa0, 0x01, 0x01, 0x9b, 0x00, 0x64, 0xff, 0x12, 0x98, 0x01, 0x0a,
		0x93, 0x01, 0x0a, 0x4f, 0x08, 0x01, 0x10, 0x01, 0x1a, 0x20, 0xd7, 0x5a,
		0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64,
		0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02,
		0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a, 0x20, 0xa4, 0xc6, 0xfd, 0xc1, 0xa0,
		0x34, 0x32, 0x09, 0x33, 0x33, 0x30, 0x31, 0x31, 0x30, 0x31, 0x30, 0x31,
		0x4a, 0x05, 0x66, 0x6c, 0x6f, 0x6f, 0x64, 0x5a, 0x0e, 0x42, 0x72, 0x69,
		0x64, 0x67, 0x65, 0x20, 0x66, 0x6c, 0x6f, 0x6f, 0x64, 0x65, 0x64, 0x12,
		0x40, 0xe0, 0xfd, 0x9a, 0x3d, 0x90, 0x75, 0x2b, 0xba, 0xa3, 0x69, 0x11,
		0x3a, 0xd4, 0x5a, 0x9c, 0x46, 0xab, 0x86, 0xf3, 0x5a, 0x00, 0x9a, 0xa7,
		0xa4, 0xe0, 0x99, 0x15, 0xb0, 0x71, 0x9d, 0xe8, 0xe0, 0x1e, 0x5c, 0x9a,
		0x81, 0x4d, 0x4a, 0xaf, 0x81, 0x91, 0xf1, 0xc0, 0x15, 0x65, 0x9d, 0x89,
		0xf1, 0x0f, 0x7d, 0x42, 0xc9, 0xf7, 0xfd, 0x01, 0xf9, 0x0a, 0x15, 0x3f,
		0xf6, 0x0b, 0xe5, 0x76, 0x04, 0x10, 0x00,
	};
	Fenghuo__Frame *f, *in;
	uint8_t *back;
	size_t blen;

	(void)state;
	assert_int_equal(sizeof(frame), 163);
	assert_non_null(f = wire_frame_unpack(frame, sizeof(frame)));
	assert_int_equal(f->msg_case, FENGHUO__FRAME__MSG_DEFLATED);
	assert_int_equal(f->deflated.len, 160);
	assert_int_equal(wire_frame_inflate(f->deflated.data, f->deflated.len, &back, &blen), 0);
	assert_int_equal(blen, 155);
	assert_memory_equal(back, "\x12\x98\x01\x0a\x93\x01\x0a\x4f", 8);
	assert_non_null(in = wire_frame_unpack(back, blen));
	assert_int_equal(in->msg_case, FENGHUO__FRAME__MSG_PUSH);
	assert_int_equal(in->push->n_envelopes, 1);
	assert_int_equal(in->push->envelopes[0].len, 147);
	assert_int_equal(in->push->n_hops, 1);
	assert_int_equal(in->push->hops[0], 0);
	fenghuo__frame__free_unpacked(in, NULL);
	free(back);
	fenghuo__frame__free_unpacked(f, NULL);
}

static void
expect_refused(const uint8_t *data, size_t len, int rc)
{
	uint8_t *out = (uint8_t *)&out;
	size_t outlen = 1;

	assert_int_equal(wire_frame_inflate(data, len, &out, &outlen), rc);
	assert_null(out);
	assert_int_equal(outlen, 0);
}

/*
 * A decompression bomb (1 MiB of zeros in about a kilobyte) is refused, so is one byte over
 * WIRE_DEFLATED_MAX; WIRE_DEFLATED_MAX itself passes. A stream cut short, corrupted, with a
 * byte after its end or with nothing inside is refused as not a deflated frame.
 */
static void
test_inflate_refused(void **state)
{
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x00 };
	uint8_t *zeros, *z, *back, *more;
	size_t zlen, blen;

	(void)state;
	assert_non_null(zeros = calloc(1, 1024 * 1024));
	z = raw_deflate(zeros, 1024 * 1024, 9, 15, &zlen);
	assert_true(zlen < 2048);
	expect_refused(z, zlen, EMSGSIZE);
	free(z);
	z = raw_deflate(zeros, WIRE_DEFLATED_MAX + 1, 9, 15, &zlen);
	expect_refused(z, zlen, EMSGSIZE);
	free(z);
	z = raw_deflate(zeros, WIRE_DEFLATED_MAX, 9, 15, &zlen);
	assert_int_equal(wire_frame_inflate(z, zlen, &back, &blen), 0);
	assert_int_equal(blen, WIRE_DEFLATED_MAX);
	free(back);
	free(z);

	z = raw_deflate((const uint8_t *)"fenghuo fenghuo fenghuo", 23, 9, 15, &zlen);
	expect_refused(z, zlen - 1, EBADMSG);		/* cut short */
	assert_non_null(more = malloc(zlen + 1));
	memcpy(more, z, zlen);
	more[zlen] = 0;
	expect_refused(more, zlen + 1, EBADMSG);	/* a byte after the end */
	free(more);
	free(z);
	expect_refused(junk, sizeof(junk), EBADMSG);	/* not DEFLATE */
	z = raw_deflate(zeros, 0, 9, 15, &zlen);
	expect_refused(z, zlen, EBADMSG);		/* nothing inside */
	free(z);
	expect_refused(junk, 0, EBADMSG);
	expect_refused(NULL, 1, EINVAL);
	free(zeros);
}

/* The sender refuses what the receiver would: nothing, or more than WIRE_DEFLATED_MAX. */
static void
test_deflate_bad_arguments(void **state)
{
	uint8_t *out = (uint8_t *)&out, *big;
	size_t outlen = 1;

	(void)state;
	assert_int_equal(wire_frame_deflate(NULL, 1, &out, &outlen), EINVAL);
	assert_null(out);
	assert_int_equal(wire_frame_deflate((const uint8_t *)"x", 0, &out, &outlen), EINVAL);
	assert_non_null(big = calloc(1, WIRE_DEFLATED_MAX + 1));
	assert_int_equal(wire_frame_deflate(big, WIRE_DEFLATED_MAX + 1, &out, &outlen),
	    EMSGSIZE);
	assert_null(out);
	assert_int_equal(wire_frame_deflate(big, WIRE_DEFLATED_MAX, &out, &outlen), 0);
	assert_true(outlen < 1024);
	free(out);
	free(big);
}

/* The version two nodes use: the highest both ranges hold, 0 when they do not meet. */
static unsigned
pick(unsigned our_min, unsigned our_max, int has_v, unsigned v, int has_max, unsigned max,
    unsigned *lo, unsigned *hi)
{
	Fenghuo__Hello h = FENGHUO__HELLO__INIT;

	h.has_protocol_version = has_v;
	h.protocol_version = v;
	h.has_protocol_max = has_max;
	h.protocol_max = max;
	return wire_protocol_pick(our_min, our_max, &h, lo, hi);
}

static void
test_protocol_pick(void **state)
{
	unsigned lo, hi;

	(void)state;
	assert_int_equal(pick(1, 1, 1, 1, 0, 0, &lo, &hi), 1);	/* a node of version 1 */
	assert_int_equal(lo, 1);
	assert_int_equal(hi, 1);
	assert_int_equal(pick(1, 3, 1, 1, 0, 0, &lo, &hi), 1);	/* new meets old: 1 */
	assert_int_equal(pick(1, 3, 1, 2, 1, 5, &lo, &hi), 3);	/* the highest both speak */
	assert_int_equal(pick(2, 5, 1, 1, 1, 3, &lo, &hi), 3);
	assert_int_equal(pick(2, 2, 1, 2, 1, 2, &lo, &hi), 2);
	assert_int_equal(pick(1, 1, 1, 2, 1, 4, &lo, &hi), 0);	/* no overlap */
	assert_int_equal(lo, 2);
	assert_int_equal(hi, 4);
	assert_int_equal(pick(3, 4, 1, 1, 1, 2, &lo, &hi), 0);
	assert_int_equal(pick(1, 1, 0, 0, 0, 0, &lo, &hi), 0);	/* no version at all */
	assert_int_equal(lo, 0);
	assert_int_equal(pick(1, 1, 1, 0, 1, 1, &lo, &hi), 0);	/* version 0 */
	assert_int_equal(pick(1, 3, 1, 3, 1, 2, &lo, &hi), 0);	/* upside down */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrap_sync_equals_protobuf),
		cmocka_unit_test(test_wrap_sync_bad_arguments),
		cmocka_unit_test(test_deflate_round_trip),
		cmocka_unit_test(test_inflate_other_settings),
		cmocka_unit_test(test_inflate_protocol_example),
		cmocka_unit_test(test_inflate_refused),
		cmocka_unit_test(test_deflate_bad_arguments),
		cmocka_unit_test(test_protocol_pick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
