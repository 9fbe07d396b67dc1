/*
 * test_bucket.c: token buckets and the keyed bucket table (node/bucket.c), on a simulated
 * millisecond clock: every time below is a number the test chooses, so every assertion is
 * exact and nothing waits.
 *
 * What the daemon depends on: a bucket lets a burst through and then exactly the configured
 * rate; idle time never saves up more than the burst; no clock value overflows it; the
 * table tracks each key separately within its size bound, evicting the least recently used
 * key, so that a key in active use (a flooding peer) keeps its empty bucket however many
 * other keys pass through; and the table's hash index stays consistent through any sequence
 * of inserts, evictions and removals (checked against a simple model).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sec.h"

static void
key_of(uint32_t i, uint8_t key[BUCKET_KEYBYTES])
{
	memset(key, 0, BUCKET_KEYBYTES);
	key[0] = (uint8_t)i;
	key[1] = (uint8_t)(i >> 8);
	key[31] = 0x5a;
}

static void
test_bucket_burst_then_rate(void **state)
{
	struct bucket_rate r = { .per_sec = 10, .burst = 5 };
	struct bucket b;
	uint64_t t = 1000;
	int i, passed;

	(void)state;
	bucket_init(&b, &r, t);
	/* A full bucket: the burst passes at once, the next event does not. */
	for (i = 0; i < 5; i++)
		assert_true(bucket_take(&b, &r, t, 1));
	assert_false(bucket_take(&b, &r, t, 1));
	/* 10 a second is one per 100 ms: not at 99 ms, exactly at 100. */
	assert_int_equal(bucket_wait_ms(&b, &r, t, 1), 100);
	assert_false(bucket_take(&b, &r, t + 99, 1));
	assert_true(bucket_take(&b, &r, t + 100, 1));
	assert_false(bucket_take(&b, &r, t + 100, 1));
	/* Over 10 simulated seconds of trying every ms, exactly the rate gets through. */
	passed = 0;
	for (t = 1101; t <= 11100; t++)
		passed += bucket_take(&b, &r, t, 1);
	assert_int_equal(passed, 100);
}

static void
test_bucket_idle_caps_at_burst(void **state)
{
	struct bucket_rate r = { .per_sec = 1000, .burst = 3 };
	struct bucket b;
	int i;

	(void)state;
	bucket_init(&b, &r, 0);
	for (i = 0; i < 3; i++)
		assert_true(bucket_take(&b, &r, 0, 1));
	/* An hour idle saves up the burst, no more. */
	for (i = 0; i < 3; i++)
		assert_true(bucket_take(&b, &r, 3600000, 1));
	assert_false(bucket_take(&b, &r, 3600000, 1));
	/* The largest clock values and rates do not overflow into a full bucket. */
	assert_true(bucket_take(&b, &r, UINT64_MAX - 1, 3));
	assert_false(bucket_take(&b, &r, UINT64_MAX - 1, 1));
	assert_true(bucket_take(&b, &r, UINT64_MAX, 1));
	r.per_sec = UINT32_MAX;
	r.burst = UINT32_MAX;
	bucket_init(&b, &r, 5);
	assert_true(bucket_take(&b, &r, 5, UINT32_MAX));
	assert_false(bucket_take(&b, &r, 5, 1));
	assert_true(bucket_take(&b, &r, UINT64_MAX, UINT32_MAX));
	assert_false(bucket_take(&b, &r, UINT64_MAX, 1));
}

static void
test_bucket_edges(void **state)
{
	struct bucket_rate r = { .per_sec = 2, .burst = 4 };
	struct bucket_rate unlimited = { .per_sec = 0, .burst = 0 };
	struct bucket b;

	(void)state;
	bucket_init(&b, &r, 10000);
	/* Costs of several tokens; a refused take takes nothing. */
	assert_true(bucket_take(&b, &r, 10000, 3));
	assert_false(bucket_take(&b, &r, 10000, 2));
	assert_true(bucket_take(&b, &r, 10000, 1));
	/* 3 tokens at 2 a second: 1500 ms. */
	assert_int_equal(bucket_wait_ms(&b, &r, 10000, 3), 1500);
	assert_false(bucket_take(&b, &r, 11499, 3));
	assert_true(bucket_take(&b, &r, 11500, 3));
	/* More than the burst never passes. */
	assert_int_equal(bucket_wait_ms(&b, &r, 11500, 5), UINT64_MAX);
	assert_false(bucket_take(&b, &r, 99999999, 5));
	/* A clock that steps back adds nothing (and takes nothing away). */
	bucket_init(&b, &r, 50000);
	assert_true(bucket_take(&b, &r, 50000, 4));
	assert_false(bucket_take(&b, &r, 20000, 1));
	assert_false(bucket_take(&b, &r, 50499, 1));
	assert_true(bucket_take(&b, &r, 50500, 1));
	/* per_sec 0: unlimited. */
	bucket_init(&b, &unlimited, 0);
	assert_true(bucket_take(&b, &unlimited, 0, UINT32_MAX));
	assert_true(bucket_take(&b, &unlimited, 0, UINT32_MAX));
	assert_int_equal(bucket_wait_ms(&b, &unlimited, 0, 7), 0);
}

static void
test_table_keys_separate(void **state)
{
	struct bucket_rate r = { .per_sec = 1, .burst = 2 };
	struct bucket_table *t;
	struct bucket_stats st;
	uint8_t a[32], b[32];

	(void)state;
	assert_null(bucket_table_new(0, &r));
	assert_null(bucket_table_new((size_t)BUCKET_TABLE_MAX + 1, &r));
	assert_non_null(t = bucket_table_new(16, &r));
	key_of(1, a);
	key_of(2, b);
	assert_true(bucket_table_take(t, a, 0, 1));
	assert_true(bucket_table_take(t, a, 0, 1));
	assert_false(bucket_table_take(t, a, 0, 1));
	/* b has its own bucket. */
	assert_true(bucket_table_take(t, b, 0, 1));
	assert_true(bucket_table_take(t, b, 0, 1));
	assert_false(bucket_table_take(t, b, 0, 1));
	assert_true(bucket_table_take(t, a, 1000, 1));
	bucket_table_stats(t, &st);
	assert_int_equal(st.count, 2);
	assert_int_equal(st.allowed, 5);
	assert_int_equal(st.refused, 2);
	assert_int_equal(st.evicted, 0);

	/* Removing a key forgets its state: it comes back full. */
	assert_int_equal(bucket_table_remove(t, a), 1);
	assert_int_equal(bucket_table_remove(t, a), 0);
	assert_true(bucket_table_take(t, a, 1000, 2));

	/* A smaller burst applies at once; a larger rate from then on. */
	assert_true(bucket_table_take(t, b, 5000, 1));	/* b holds 1 of 2 */
	r.burst = 1;
	r.per_sec = 1000;
	bucket_table_set_rate(t, &r);
	assert_int_equal(bucket_table_rate(t)->burst, 1);
	assert_true(bucket_table_take(t, b, 5000, 1));
	assert_false(bucket_table_take(t, b, 5000, 1));
	assert_true(bucket_table_take(t, b, 5001, 1));

	/* Unlimited: everything passes and nothing new is tracked. */
	r.per_sec = 0;
	bucket_table_set_rate(t, &r);
	key_of(3, a);
	assert_true(bucket_table_take(t, a, 5001, 1000));
	bucket_table_stats(t, &st);
	assert_int_equal(st.count, 2);
	bucket_table_free(&t);
	assert_null(t);
	bucket_table_free(&t);
}

static void
test_table_lru_keeps_active_flooder(void **state)
{
	struct bucket_rate r = { .per_sec = 1, .burst = 1 };
	struct bucket_table *t;
	struct bucket_stats st;
	uint8_t flooder[32], k[32];
	uint32_t i;
	int created;

	(void)state;
	assert_non_null(t = bucket_table_new(4, &r));
	key_of(1000, flooder);
	assert_true(bucket_table_take(t, flooder, 0, 1));
	/* A thousand fresh keys pass through a 4-entry table, the flooder trying in between. */
	for (i = 0; i < 1000; i++) {
		key_of(i, k);
		assert_true(bucket_table_take(t, k, 0, 1));
		assert_false(bucket_table_take(t, flooder, 0, 1));
	}
	bucket_table_stats(t, &st);
	assert_int_equal(st.count, 4);
	assert_int_equal(st.evicted, 1000 - 3);
	assert_int_equal(st.refused, 1000);

	/* Least recently used goes first: touch key 997, add two, 998 and 999 are gone. */
	key_of(997, k);
	assert_non_null(bucket_table_get(t, k, 0, &created));
	assert_int_equal(created, 0);
	key_of(2000, k);
	(void)bucket_table_get(t, k, 0, &created);
	assert_int_equal(created, 1);
	key_of(2001, k);
	(void)bucket_table_get(t, k, 0, &created);
	assert_int_equal(created, 1);
	key_of(997, k);
	(void)bucket_table_get(t, k, 0, &created);
	assert_int_equal(created, 0);
	key_of(999, k);
	(void)bucket_table_get(t, k, 0, &created);
	assert_int_equal(created, 1);
	bucket_table_free(&t);
}

/* ---- against a model ----------------------------------------------------------------- */

struct model {
	uint32_t	 order[64];	/* keys, most recently used first */
	size_t		 n, max;
	uint64_t	 evicted;
};

static int
model_get(struct model *m, uint32_t key)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->order[i] == key)
			break;
	if (i < m->n) {
		memmove(&m->order[1], &m->order[0], i * sizeof(m->order[0]));
		m->order[0] = key;
		return 0;
	}
	if (m->n == m->max) {
		m->n--;
		m->evicted++;
	}
	memmove(&m->order[1], &m->order[0], m->n * sizeof(m->order[0]));
	m->order[0] = key;
	m->n++;
	return 1;
}

static int
model_remove(struct model *m, uint32_t key)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->order[i] == key) {
			memmove(&m->order[i], &m->order[i + 1],
			    (m->n - i - 1) * sizeof(m->order[0]));
			m->n--;
			return 1;
		}
	return 0;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rng(void)
{
	/* xorshift64*: a fixed sequence, so a failure repeats. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static void
test_table_matches_model(void **state)
{
	static const size_t sizes[] = { 1, 2, 7, 8, 9, 31, 64 };
	struct bucket_rate r = { .per_sec = 1, .burst = 1 };
	struct bucket_table *t;
	struct bucket_stats st;
	struct model m;
	uint8_t k[32];
	uint32_t key, op, space;
	size_t s;
	int i, created;

	(void)state;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		memset(&m, 0, sizeof(m));
		m.max = sizes[s];
		space = (uint32_t)(3 * sizes[s] + 2);
		assert_non_null(t = bucket_table_new(sizes[s], &r));
		for (i = 0; i < 20000; i++) {
			key = rng() % space;
			op = rng() % 4;
			key_of(key, k);
			if (op == 0) {
				assert_int_equal(bucket_table_remove(t, k), model_remove(&m, key));
			} else {
				assert_non_null(bucket_table_get(t, k, (uint64_t)i, &created));
				assert_int_equal(created, model_get(&m, key));
			}
			bucket_table_stats(t, &st);
			assert_int_equal(st.count, m.n);
			assert_int_equal(st.evicted, m.evicted);
		}
		bucket_table_free(&t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_burst_then_rate),
		cmocka_unit_test(test_bucket_idle_caps_at_burst),
		cmocka_unit_test(test_bucket_edges),
		cmocka_unit_test(test_table_keys_separate),
		cmocka_unit_test(test_table_lru_keeps_active_flooder),
		cmocka_unit_test(test_table_matches_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
