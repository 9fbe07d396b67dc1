/*
 * test_wire.c: the helpers of proto/wire.h.
 *
 * wire_frame_wrap_sync() writes a protobuf tag and length itself, so its output is checked
 * against protobuf-c packing the same Frame: at every length where the varint grows a byte,
 * with and without the other Sync fields, and up to the frame limit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrap_sync_equals_protobuf),
		cmocka_unit_test(test_wrap_sync_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
