/*
 * test_trace.c: TRACE (node/trace.c).
 *
 * The frames' bounds: a query and a reply at their largest fit one link frame of a
 * 256-byte-MTU stream link after sealing; malformed ones are refused. The trace table
 * (dedupe and reverse path, simulated clock): one entry per trace id, a second query with
 * the same id refused, entries forgotten after TRACE_KEEP_MS, a full table refusing new
 * traces until entries expire, a trace asked here never reused before it is answered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "node.h"

/* What one sealed link frame of a 256-byte-MTU stream link holds. */
#define ROOM_256	(256 - STREAM_OVERHEAD - SLINK_OVERHEAD)

static uint8_t k32a[32], k32b[32], tid8[TRACE_ID_BYTES];

static size_t
frame_size(Fenghuo__Frame *f)
{
	return fenghuo__frame__get_packed_size(f);
}

static void
full_reply(Fenghuo__TraceReply *r)
{
	fenghuo__trace_reply__init(r);
	r->has_trace_id = 1;
	r->trace_id.data = tid8;
	r->trace_id.len = sizeof(tid8);
	r->has_node = 1;
	r->node.data = k32a;
	r->node.len = 32;
	r->has_has_msg = 1;
	r->has_msg = 1;
	r->has_first_seen_ms = 1;
	r->first_seen_ms = UINT64_MAX;
	r->has_from = 1;
	r->from.data = k32b;
	r->from.len = 32;
	r->has_hops = 1;
	r->hops = UINT32_MAX;
	r->has_link = 1;
	r->link = UINT32_MAX;
}

static void
full_query(Fenghuo__TraceQuery *q)
{
	static uint8_t id[FC_IDBYTES];

	fenghuo__trace_query__init(q);
	q->has_trace_id = 1;
	q->trace_id.data = tid8;
	q->trace_id.len = sizeof(tid8);
	q->has_msg_id = 1;
	q->msg_id.data = id;
	q->msg_id.len = sizeof(id);
	q->has_hops_left = 1;
	q->hops_left = TRACE_HOPS_MAX;
	q->has_origin = 1;
	q->origin.data = k32a;
	q->origin.len = 32;
}

static void
test_sizes(void **state)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__TraceReply r;
	Fenghuo__TraceQuery q;
	uint8_t buf[512];
	Fenghuo__Frame *back;
	size_t len;

	(void)state;
	full_reply(&r);
	assert_null(trace_reply_check(&r));
	f.msg_case = FENGHUO__FRAME__MSG_TRACE_REPLY;
	f.trace_reply = &r;
	/* PROTOCOL.md §5, Trace rule 9: at most 105 bytes; 48 for "do not have it". */
	assert_int_equal(frame_size(&f), 105);
	assert_true(frame_size(&f) <= ROOM_256);
	/* It decodes back the same. */
	len = fenghuo__frame__pack(&f, buf);
	assert_non_null(back = wire_frame_unpack(buf, len));
	assert_int_equal(back->msg_case, FENGHUO__FRAME__MSG_TRACE_REPLY);
	assert_null(trace_reply_check(back->trace_reply));
	assert_memory_equal(back->trace_reply->from.data, k32b, 32);
	assert_int_equal(back->trace_reply->hops, UINT32_MAX);
	fenghuo__frame__free_unpacked(back, NULL);
	r.has_msg = 0;
	r.has_first_seen_ms = r.has_from = r.has_hops = r.has_link = 0;
	assert_int_equal(frame_size(&f), 48);

	full_query(&q);
	assert_null(trace_query_check(&q));
	f.msg_case = FENGHUO__FRAME__MSG_TRACE_QUERY;
	f.trace_query = &q;
	assert_int_equal(frame_size(&f), 82);
	assert_true(frame_size(&f) <= ROOM_256);
}

static void
test_checks(void **state)
{
	Fenghuo__TraceReply r;
	Fenghuo__TraceQuery q;

	(void)state;
	full_query(&q);
	q.hops_left = TRACE_HOPS_MAX + 1;
	assert_non_null(trace_query_check(&q));
	full_query(&q);
	q.trace_id.len = 7;
	assert_non_null(trace_query_check(&q));
	full_query(&q);
	q.has_trace_id = 0;
	assert_non_null(trace_query_check(&q));
	full_query(&q);
	q.msg_id.len = 31;
	assert_non_null(trace_query_check(&q));
	full_query(&q);
	q.has_origin = 0;
	assert_non_null(trace_query_check(&q));
	full_query(&q);
	q.has_hops_left = 0;	/* absent is 0: answered, not passed on */
	assert_null(trace_query_check(&q));

	full_reply(&r);
	r.from.len = 31;
	assert_non_null(trace_reply_check(&r));
	full_reply(&r);
	r.has_from = 0;		/* absent: written there */
	assert_null(trace_reply_check(&r));
	full_reply(&r);
	r.node.len = 33;
	assert_non_null(trace_reply_check(&r));
	full_reply(&r);
	r.trace_id.len = 9;
	assert_non_null(trace_reply_check(&r));
}

static void
tid(uint8_t out[TRACE_ID_BYTES], unsigned i)
{
	memset(out, 0, TRACE_ID_BYTES);
	out[0] = (uint8_t)i;
	out[1] = (uint8_t)(i >> 8);
	out[7] = 0xa5;
}

static void
test_table_dedupe(void **state)
{
	struct trace_table *t;
	struct trace_entry *e;
	uint8_t a[TRACE_ID_BYTES], b[TRACE_ID_BYTES];
	uint64_t now = 1000;

	(void)state;
	assert_non_null(t = calloc(1, sizeof(*t)));
	tid(a, 1);
	tid(b, 2);
	assert_null(trace_table_find(t, a, now));
	assert_non_null(e = trace_table_add(t, a, now));
	memcpy(e->from, k32b, 32);	/* the peer the query came from: where replies go */
	/* The same trace again (another path): refused, and the reverse path is unchanged. */
	assert_null(trace_table_add(t, a, now + 10));
	assert_ptr_equal(trace_table_find(t, a, now + 10), e);
	assert_memory_equal(trace_table_find(t, a, now + 10)->from, k32b, 32);
	assert_null(trace_table_find(t, b, now));
	assert_non_null(trace_table_add(t, b, now));
	/* Forgotten after TRACE_KEEP_MS: then a new one. */
	assert_non_null(trace_table_find(t, a, now + TRACE_KEEP_MS - 1));
	assert_null(trace_table_find(t, a, now + TRACE_KEEP_MS));
	assert_non_null(trace_table_add(t, a, now + TRACE_KEEP_MS));
	free(t);
}

static void
test_table_bound(void **state)
{
	struct trace_table *t;
	struct trace_entry *e;
	uint8_t x[TRACE_ID_BYTES];
	uint64_t now = 5000;
	unsigned i;

	(void)state;
	assert_non_null(t = calloc(1, sizeof(*t)));
	for (i = 0; i < TRACE_TABLE_MAX; i++) {
		tid(x, i);
		assert_non_null(e = trace_table_add(t, x, now + i));
	}
	/* The first is asked here and not answered yet. */
	tid(x, 0);
	e = trace_table_find(t, x, now);
	assert_non_null(e);
	e->local = 1;
	assert_non_null(e->replies = json_array());
	tid(x, TRACE_TABLE_MAX);
	assert_null(trace_table_add(t, x, now + TRACE_TABLE_MAX));	/* full */
	/* Once the others expired, new traces take their places, but not the local one's. */
	for (i = 1; i < TRACE_TABLE_MAX; i++) {
		tid(x, TRACE_TABLE_MAX + i);
		assert_non_null(e = trace_table_add(t, x, now + TRACE_KEEP_MS + TRACE_TABLE_MAX));
		assert_int_equal(e->local, 0);
	}
	tid(x, 2 * TRACE_TABLE_MAX);
	assert_null(trace_table_add(t, x, now + TRACE_KEEP_MS + TRACE_TABLE_MAX));
	/* trace_table_expire frees the local one's replies; its slot is free again. */
	trace_table_expire(t, now + TRACE_KEEP_MS);
	assert_non_null(trace_table_add(t, x, now + TRACE_KEEP_MS + TRACE_TABLE_MAX));
	trace_table_expire(t, UINT64_MAX);
	free(t);
}

static void
test_table_per_peer(void **state)
{
	struct trace_table *t;
	struct trace_entry *e;
	uint8_t x[TRACE_ID_BYTES];
	uint64_t now = 7000;
	unsigned i;

	(void)state;
	assert_non_null(t = calloc(1, sizeof(*t)));
	for (i = 0; i < TRACE_PEER_MAX; i++) {
		tid(x, i);
		assert_non_null(e = trace_table_add(t, x, now));
		memcpy(e->from, k32a, 32);
	}
	tid(x, 1000);
	assert_non_null(e = trace_table_add(t, x, now));
	memcpy(e->from, k32b, 32);
	assert_int_equal(trace_table_count_from(t, k32a, now), TRACE_PEER_MAX);
	assert_int_equal(trace_table_count_from(t, k32b, now), 1);
	/* Expired ones no longer count. */
	assert_int_equal(trace_table_count_from(t, k32a, now + TRACE_KEEP_MS), 0);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_table_dedupe),
		cmocka_unit_test(test_table_bound),
		cmocka_unit_test(test_table_per_peer),
	};

	memset(k32a, 0xaa, sizeof(k32a));
	memset(k32b, 0xbb, sizeof(k32b));
	memset(tid8, 0x11, sizeof(tid8));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
