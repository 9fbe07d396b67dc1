/*
 * test_queue.c: the per-peer priority send queue (DESIGN decision 10).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node.h"

static void
test_red_first(void **state)
{
	struct pq q;
	struct pq_item *it;
	uint8_t buf[100];
	int i;

	(void)state;
	pq_init(&q, PQ_MAX_ITEMS, PQ_MAX_BYTES);
	memset(buf, 'r', sizeof(buf));
	for (i = 0; i < 1000; i++)
		assert_int_equal(pq_push(&q, PRIO_REPORT, PQ_ENVELOPE, buf, sizeof(buf), 0), 0);
	assert_int_equal(pq_push(&q, PRIO_RED, PQ_ENVELOPE, (const uint8_t *)"RED", 3, 0), 0);
	assert_int_equal(q.n, 1001);
	it = pq_pop(&q);
	assert_non_null(it);
	assert_int_equal(it->prio, PRIO_RED);
	assert_memory_equal(it->data, "RED", 3);
	free(it);
	pq_clear(&q);
	assert_int_equal(q.n, 0);
	assert_int_equal(q.bytes, 0);
}

static void
test_order(void **state)
{
	static const int in[] = { PRIO_BULK, PRIO_RECEIPT, PRIO_REPORT, PRIO_BLUE, PRIO_YELLOW,
		PRIO_ORANGE, PRIO_RED, PRIO_TRUST };
	struct pq q;
	struct pq_item *it;
	size_t i;
	int last = -1;

	(void)state;
	pq_init(&q, 100, 1 << 20);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(pq_push(&q, in[i], PQ_FRAME, (const uint8_t *)"a", 1, 0), 0);
		assert_int_equal(pq_push(&q, in[i], PQ_FRAME, (const uint8_t *)"b", 1, 0), 0);
	}
	/* Classes in order, FIFO within a class. */
	while ((it = pq_pop(&q)) != NULL) {
		assert_true(it->prio >= last);
		if (it->prio != last)
			assert_int_equal(it->data[0], 'a');
		else
			assert_int_equal(it->data[0], 'b');
		last = it->prio;
		free(it);
	}
	assert_int_equal(last, PRIO_BULK);
}

static void
test_bound_drops_reports_never_warnings(void **state)
{
	struct pq q;
	struct pq_item *it;
	uint8_t buf[10] = { 0 };
	int i, warnings = 0, reports = 0, bulk = 0;

	(void)state;
	pq_init(&q, 10, 1 << 20);
	for (i = 0; i < 10; i++)
		assert_int_equal(pq_push(&q, PRIO_REPORT, PQ_ENVELOPE, buf, sizeof(buf), 0), 0);
	/* A bulk item is the lowest: it is dropped itself, nothing queued goes. */
	assert_int_equal(pq_push(&q, PRIO_BULK, PQ_FRAME, buf, sizeof(buf), 0), 1);
	assert_int_equal(q.n, 10);
	assert_int_equal(q.dropped, 1);
	/* Warnings push reports out, one each. */
	for (i = 0; i < 15; i++)
		assert_int_equal(pq_push(&q, i % 2 ? PRIO_RED : PRIO_BLUE, PQ_ENVELOPE, buf,
		    sizeof(buf), 0), i < 10 ? 1 : 0);
	/* Past the bound when only warnings are left: never dropped. */
	assert_int_equal(q.n, 15);
	/* A report cannot displace a warning: it goes itself. */
	assert_int_equal(pq_push(&q, PRIO_REPORT, PQ_ENVELOPE, buf, sizeof(buf), 0), 1);
	assert_int_equal(pq_push(&q, PRIO_TRUST, PQ_ENVELOPE, buf, sizeof(buf), 0), 0);
	while ((it = pq_pop(&q)) != NULL) {
		if (it->prio <= PRIO_BLUE)
			warnings++;
		else if (it->prio == PRIO_REPORT)
			reports++;
		else
			bulk++;
		free(it);
	}
	assert_int_equal(warnings, 16);
	assert_int_equal(reports, 0);
	assert_int_equal(bulk, 0);
	assert_int_equal(q.dropped, 12);
}

static void
test_byte_bound(void **state)
{
	struct pq q;
	uint8_t buf[1000] = { 0 };
	int i;

	(void)state;
	pq_init(&q, 1000, 5000);
	for (i = 0; i < 5; i++)
		assert_int_equal(pq_push(&q, PRIO_RECEIPT, PQ_ENVELOPE, buf, sizeof(buf), 0), 0);
	/* A report is more important than a receipt: a receipt makes room. */
	assert_int_equal(pq_push(&q, PRIO_REPORT, PQ_ENVELOPE, buf, sizeof(buf), 0), 1);
	assert_int_equal(q.n, 5);
	assert_true(q.bytes <= 5000);
	assert_int_equal(q.head[PRIO_REPORT] != NULL, 1);
	pq_clear(&q);
}

static void
test_drop_keeps_fifo(void **state)
{
	static const char *const want[] = { "R0", "R1", "R2", "r0", "r1" };
	struct pq q;
	struct pq_item *it;
	char s[8];
	int i;

	(void)state;
	pq_init(&q, 5, 1 << 20);
	for (i = 0; i < 5; i++) {
		snprintf(s, sizeof(s), "r%d", i);
		assert_int_equal(pq_push(&q, PRIO_REPORT, PQ_ENVELOPE, (uint8_t *)s, 3, 0), 0);
	}
	/* Each red warning pushes out the newest report. */
	for (i = 0; i < 3; i++) {
		snprintf(s, sizeof(s), "R%d", i);
		assert_int_equal(pq_push(&q, PRIO_RED, PQ_ENVELOPE, (uint8_t *)s, 3, 0), 1);
	}
	/* A full queue turns away 100000 more reports at once each (no walk, no churn). */
	for (i = 0; i < 100000; i++)
		assert_int_equal(pq_push(&q, PRIO_REPORT, PQ_ENVELOPE, (const uint8_t *)"x", 2, 0), 1);
	assert_int_equal(q.n, 5);
	assert_int_equal(q.dropped, 100003);
	for (i = 0; i < 5; i++) {
		it = pq_pop(&q);
		assert_non_null(it);
		assert_string_equal((char *)it->data, want[i]);
		free(it);
	}
	assert_null(pq_pop(&q));
	assert_int_equal(q.bytes, 0);
}

static void
test_unpop(void **state)
{
	struct pq q;
	struct pq_item *a, *b;

	(void)state;
	pq_init(&q, 10, 1000);
	assert_int_equal(pq_push(&q, PRIO_REPORT, PQ_FRAME, (const uint8_t *)"1", 1, 0), 0);
	assert_int_equal(pq_push(&q, PRIO_REPORT, PQ_FRAME, (const uint8_t *)"2", 1, 0), 0);
	a = pq_pop(&q);
	b = pq_pop(&q);
	pq_unpop(&q, b);
	pq_unpop(&q, a);
	a = pq_pop(&q);
	assert_int_equal(a->data[0], '1');
	free(a);
	pq_clear(&q);
}

static void
test_prio_kind(void **state)
{
	(void)state;
	assert_int_equal(pq_prio_kind(FENGHUO__KIND__CERT, 0), PRIO_TRUST);
	assert_int_equal(pq_prio_kind(FENGHUO__KIND__REVOKE, 0), PRIO_TRUST);
	assert_int_equal(pq_prio_kind(FENGHUO__KIND__WARNING, FENGHUO__LEVEL__RED), PRIO_RED);
	assert_int_equal(pq_prio_kind(FENGHUO__KIND__WARNING, FENGHUO__LEVEL__ORANGE),
	    PRIO_ORANGE);
	assert_int_equal(pq_prio_kind(FENGHUO__KIND__WARNING, FENGHUO__LEVEL__YELLOW),
	    PRIO_YELLOW);
	assert_int_equal(pq_prio_kind(FENGHUO__KIND__WARNING, FENGHUO__LEVEL__BLUE), PRIO_BLUE);
	assert_int_equal(pq_prio_kind(FENGHUO__KIND__WARNING, 0), PRIO_BLUE);
	assert_int_equal(pq_prio_kind(FENGHUO__KIND__REPORT, 0), PRIO_REPORT);
	assert_int_equal(pq_prio_kind(FENGHUO__KIND__RECEIPT, 0), PRIO_RECEIPT);
	assert_int_equal(pq_prio_kind(FENGHUO__KIND__ANNOUNCE, 0), PRIO_BULK);
	/* Garbage is bulk, never a crash. */
	assert_int_equal(pq_prio_envelope((const uint8_t *)"\xff\xff", 2), PRIO_BULK);
}

/* A sealed envelope whose body is "body <k>" (not a valid Body: the queue only needs its id). */
static uint8_t *
envelope(const struct fc_key *key, unsigned k, size_t *len)
{
	char body[32];
	uint8_t *env;

	snprintf(body, sizeof(body), "body %u", k);
	assert_int_equal(fc_envelope_seal(key, (const uint8_t *)body, strlen(body), &env, len),
	    0);
	return env;
}

/*
 * With dedupe (a stream peer's queue) an envelope already queued is not queued again, and
 * is again once it has left; the id set survives growth, pop/unpop, the bound's drops and
 * many removals (checked against the queue's own contents).
 */
static void
test_dedupe(void **state)
{
	struct fc_key *key;
	struct pq q;
	struct pq_item *it;
	uint8_t *env[600];
	size_t len[600], i;
	int k;

	(void)state;
	assert_int_equal(fc_key_generate(&key), 0);
	for (i = 0; i < 600; i++)
		env[i] = envelope(key, (unsigned)i, &len[i]);
	pq_init(&q, 500, PQ_MAX_BYTES);
	q.dedupe = 1;
	assert_int_equal(pq_push(&q, PRIO_REPORT, PQ_ENVELOPE, env[0], len[0], 0), 0);
	assert_int_equal(pq_push(&q, PRIO_REPORT, PQ_ENVELOPE, env[0], len[0], 3), 0);
	assert_int_equal(q.n, 1);
	assert_int_equal(q.deduped, 1);
	/* A frame or an id is never deduplicated, nor what is no envelope. */
	assert_int_equal(pq_push(&q, PRIO_CONTROL, PQ_FRAME, env[0], len[0], 0), 0);
	assert_int_equal(pq_push(&q, PRIO_BULK, PQ_ENVELOPE, (const uint8_t *)"x", 1, 0), 0);
	assert_int_equal(pq_push(&q, PRIO_BULK, PQ_ENVELOPE, (const uint8_t *)"x", 1, 0), 0);
	assert_int_equal(q.n, 4);
	pq_clear(&q);
	q.dedupe = 1;
	/* Many ids: past the bound of 500 (the newest reports dropped), then all out. */
	for (k = 0; k < 2; k++)
		for (i = 0; i < 600; i++)
			(void)pq_push(&q, PRIO_REPORT, PQ_ENVELOPE, env[i], len[i], 0);
	assert_int_equal(q.n, 500);
	assert_int_equal(q.nids, 500);
	/* Out and back (as peer_flush does): still there, still one. */
	assert_non_null(it = pq_pop(&q));
	assert_int_equal(q.nids, 499);
	pq_unpop(&q, it);
	assert_int_equal(q.nids, 500);
	assert_int_equal(pq_push(&q, PRIO_REPORT, PQ_ENVELOPE, env[0], len[0], 0), 0);
	assert_int_equal(q.n, 500);
	/* Every other one leaves: those can be queued again, the others not. */
	for (i = 0; i < 250; i++) {
		assert_non_null(it = pq_pop(&q));
		free(it);
		assert_non_null(it = pq_pop(&q));
		pq_unpop(&q, it);
		assert_non_null(it = pq_pop(&q));
		free(it);
		assert_int_equal(pq_push(&q, PRIO_RED, PQ_ENVELOPE, env[2 * i + 1], len[2 * i + 1],
		    0), 0);
		assert_int_equal(q.n, 500 - 2 * i - 1);
	}
	for (i = 0; i < 500; i++)
		(void)pq_push(&q, PRIO_RED, PQ_ENVELOPE, env[i], len[i], 0);
	assert_int_equal(q.n, 500);	/* 250 red ones, then the other 250 */
	assert_int_equal(q.nids, 500);
	pq_clear(&q);
	assert_int_equal(q.nids, 0);
	for (i = 0; i < 600; i++)
		free(env[i]);
	fc_key_free(&key);
}

/*
 * With dedupe, an envelope sent to the link lately (until the time given) is not queued
 * again either; one remembered no longer, or pushed out of the ring of the last PQ_SENT_MAX, is; the
 * ring is forgotten with the queue (a new session). Without dedupe nothing is remembered.
 */
static void
test_sent_lately(void **state)
{
	struct fc_key *key;
	struct pq q;
	uint8_t *env[PQ_SENT_MAX + 2], id[PQ_SENT_MAX + 2][FC_IDBYTES];
	size_t len[PQ_SENT_MAX + 2], i;
	uint64_t now = now_mono();

	(void)state;
	assert_int_equal(fc_key_generate(&key), 0);
	for (i = 0; i < PQ_SENT_MAX + 2; i++) {
		env[i] = envelope(key, (unsigned)i, &len[i]);
		assert_int_equal(fc_envelope_id(env[i], len[i], id[i]), 0);
	}
	pq_init(&q, 500, PQ_MAX_BYTES);
	pq_sent(&q, id[0], now + PQ_SENT_MS);	/* no dedupe: not remembered */
	assert_int_equal(pq_push(&q, PRIO_REPORT, PQ_ENVELOPE, env[0], len[0], 0), 0);
	assert_int_equal(q.n, 1);
	pq_clear(&q);

	q.dedupe = 1;
	pq_sent(&q, id[0], now + PQ_SENT_MS);
	pq_sent(&q, id[1], now);	/* (remembered until now: no longer) */
	assert_int_equal(pq_push(&q, PRIO_REPORT, PQ_ENVELOPE, env[0], len[0], 0), 0);
	assert_int_equal(q.n, 0);
	assert_int_equal(q.deduped, 1);
	assert_int_equal(pq_push(&q, PRIO_REPORT, PQ_ENVELOPE, env[1], len[1], 0), 0);
	assert_int_equal(q.n, 1);
	/* The ring holds the last PQ_SENT_MAX: id[0] falls out. */
	for (i = 2; i < PQ_SENT_MAX + 2; i++)
		pq_sent(&q, id[i], now + PQ_SENT_MS);
	assert_int_equal(pq_push(&q, PRIO_REPORT, PQ_ENVELOPE, env[0], len[0], 0), 0);
	assert_int_equal(q.n, 2);
	assert_int_equal(pq_push(&q, PRIO_REPORT, PQ_ENVELOPE, env[PQ_SENT_MAX + 1],
	    len[PQ_SENT_MAX + 1], 0), 0);
	assert_int_equal(q.n, 2);
	pq_clear(&q);
	q.dedupe = 1;
	assert_int_equal(pq_push(&q, PRIO_REPORT, PQ_ENVELOPE, env[PQ_SENT_MAX + 1],
	    len[PQ_SENT_MAX + 1], 0), 0);
	assert_int_equal(q.n, 1);
	pq_clear(&q);
	for (i = 0; i < PQ_SENT_MAX + 2; i++)
		free(env[i]);
	fc_key_free(&key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_red_first),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_bound_drops_reports_never_warnings),
		cmocka_unit_test(test_byte_bound),
		cmocka_unit_test(test_drop_keeps_fifo),
		cmocka_unit_test(test_unpop),
		cmocka_unit_test(test_prio_kind),
		cmocka_unit_test(test_dedupe),
		cmocka_unit_test(test_sent_lately),
	};

	if (fc_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
