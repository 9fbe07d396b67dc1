/*
 * test_evict.c: the store quota (store_evict): expired messages go, oldest first, with every
 * index entry; unexpired ones (a warning among them) and messages without an expiry stay;
 * the store reads back consistently (count, time listing, refs, digest equal to a store
 * that only ever held the survivors); an evicted message offered again is refused as
 * expired. Real LMDB in a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helper.h"
#include "store.h"
#include "ingest.h"

#define T0	1790000000000ULL	/* created time of the test messages */
#define HOUR	(3600ULL * 1000)

struct env {
	char		*dir, *dir2;
	struct store	*st, *st2;
	struct fc_key	*key;
};

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	assert_int_equal(fc_init(), 0);
	assert_non_null(e->dir = th_tmpdir());
	assert_non_null(e->dir2 = th_tmpdir());
	assert_int_equal(store_open(e->dir, 0, &e->st), 0);
	assert_int_equal(store_open(e->dir2, 0, &e->st2), 0);
	assert_int_equal(fc_key_generate(&e->key), 0);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	store_close(&e->st);
	store_close(&e->st2);
	th_rmdir(e->dir);
	th_rmdir(e->dir2);
	fc_key_free(&e->key);
	free(e);
	return 0;
}

/* A report created at created, expiring at expires (0: never). */
static void
report(struct env *e, uint64_t created, uint64_t expires, const char *title, struct th_msg *m)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;

	b.has_kind = 1;
	b.kind = FENGHUO__KIND__REPORT;
	b.has_created_ms = 1;
	b.created_ms = created;
	if (expires != 0) {
		b.has_expires_ms = 1;
		b.expires_ms = expires;
	}
	b.region = (char *)(uintptr_t)"110101001001";
	b.category = (char *)(uintptr_t)"flood";
	b.title = (char *)(uintptr_t)title;
	assert_int_equal(th_seal(e->key, &b, m), 0);
}

/* A receipt of ref that expires at expires. */
static void
receipt(struct env *e, uint64_t created, uint64_t expires, const uint8_t *ref,
    struct th_msg *m)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Receipt r = FENGHUO__RECEIPT__INIT;
	ProtobufCBinaryData refs[1];

	r.has_stage = 1;
	r.stage = FENGHUO__STAGE__REGISTERED;
	refs[0].data = (uint8_t *)(uintptr_t)ref;
	refs[0].len = FC_IDBYTES;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__RECEIPT;
	b.has_created_ms = 1;
	b.created_ms = created;
	b.has_expires_ms = 1;
	b.expires_ms = expires;
	b.n_refs = 1;
	b.refs = refs;
	b.receipt = &r;
	assert_int_equal(th_seal(e->key, &b, m), 0);
}

static void
put(struct store *st, const struct th_msg *m, uint64_t now, int want)
{
	struct ingest_put p;

	memset(&p, 0, sizeof(p));
	p.env = m->env;
	p.len = m->len;
	assert_int_equal(ingest_put_open(st, &p, 1, now), 0);
	assert_int_equal(p.status, want);
}

static int
count_cb(void *ctx, const struct store_view *v)
{
	(void)v;
	(*(size_t *)ctx)++;
	return 0;
}

/* Messages stored: a report without expiry, unexpired report and warning, expired ones. */
#define NEXP	40
static void
test_evict_expired_only(void **state)
{
	struct env *e = *state;
	struct th_msg keep, later, warn, exp[NEXP], rc_of_keep;
	struct store_evict_stats s;
	uint8_t d1[32], d2[32];
	uint64_t now = T0 + 10 * HOUR, count;
	size_t i, listed;
	char title[32];

	report(e, T0, 0, "no expiry", &keep);
	report(e, T0 + 1, T0 + 100 * HOUR, "expires later", &later);
	assert_int_equal(th_warning(e->key, T0 + 2, T0 + 100 * HOUR, &warn), 0);
	/* Expired ones, older and newer than the survivors; each stored while still valid. */
	for (i = 0; i < NEXP; i++) {
		snprintf(title, sizeof(title), "expired %zu", i);
		report(e, T0 - HOUR + i * 60000, T0 + HOUR + i, title, &exp[i]);
		put(e->st, &exp[i], T0, INGEST_NEW);
	}
	/* An expired receipt of the report that stays: its refs entry must go with it. */
	receipt(e, T0 + 3, T0 + 2 * HOUR, keep.id, &rc_of_keep);
	put(e->st, &rc_of_keep, T0, INGEST_NEW);
	put(e->st, &keep, T0, INGEST_NEW);
	put(e->st, &later, T0, INGEST_NEW);
	put(e->st, &warn, T0, INGEST_NEW);
	/* The same survivors in a second store that never held anything else. */
	put(e->st2, &keep, T0, INGEST_NEW);
	put(e->st2, &later, T0, INGEST_NEW);
	put(e->st2, &warn, T0, INGEST_NEW);

	/* Within a generous quota nothing happens. */
	assert_int_equal(store_evict(e->st, now, UINT64_MAX, 1000, &s), 0);
	assert_int_equal(s.evicted, 0);
	assert_int_equal(s.over, 0);
	assert_true(s.bytes_before > 0);

	/* max_evict bounds one call. */
	assert_int_equal(store_evict(e->st, now, 0, 5, &s), 0);
	assert_int_equal(s.evicted, 5);
	assert_int_equal(s.over, 1);
	/* A quota of 0 cannot be met: every expired message goes, nothing else. */
	assert_int_equal(store_evict(e->st, now, 0, 100000, &s), 0);
	assert_int_equal(s.evicted, NEXP + 1 - 5);
	assert_int_equal(s.over, 1);
	assert_true(s.bytes_after <= s.bytes_before);

	assert_int_equal(store_count(e->st, &count), 0);
	assert_int_equal(count, 3);
	assert_int_equal(store_has(e->st, keep.id), 1);
	assert_int_equal(store_has(e->st, later.id), 1);
	assert_int_equal(store_has(e->st, warn.id), 1);
	assert_int_equal(store_has(e->st, rc_of_keep.id), 0);
	for (i = 0; i < NEXP; i++)
		assert_int_equal(store_has(e->st, exp[i].id), 0);
	/* Every index agrees: the time listing, the refs of the kept report, the digest. */
	listed = 0;
	assert_int_equal(store_iter_time(e->st, 0, 0, 0, 0, count_cb, &listed), 0);
	assert_int_equal(listed, 3);
	listed = 0;
	assert_int_equal(store_iter_refs(e->st, keep.id, count_cb, &listed), 0);
	assert_int_equal(listed, 0);
	assert_int_equal(store_digest(e->st, d1), 0);
	assert_int_equal(store_digest(e->st2, d2), 0);
	assert_memory_equal(d1, d2, sizeof(d1));

	/* Nothing more to do; an evicted message offered again (sync) is refused as expired. */
	assert_int_equal(store_evict(e->st, now, 0, 100000, &s), 0);
	assert_int_equal(s.evicted, 0);
	{
		struct ingest_put p;

		memset(&p, 0, sizeof(p));
		p.env = exp[0].env;
		p.len = exp[0].len;
		assert_int_equal(ingest_put_open(e->st, &p, 1, now), 0);
		assert_int_equal(p.status, INGEST_REJECTED);
		assert_int_equal(p.reason, FC_R_EXPIRED);
	}
	/* The store still takes new messages and evicts them in their turn. */
	th_msg_clear(&exp[0]);
	report(e, now, now + HOUR, "new", &exp[0]);
	put(e->st, &exp[0], now, INGEST_NEW);
	assert_int_equal(store_evict(e->st, now + 2 * HOUR, 0, 100000, &s), 0);
	assert_int_equal(s.evicted, 1);

	for (i = 0; i < NEXP; i++)
		th_msg_clear(&exp[i]);
	th_msg_clear(&keep);
	th_msg_clear(&later);
	th_msg_clear(&warn);
	th_msg_clear(&rc_of_keep);
}

/* A store over its quota sheds expired messages only until it fits. */
static void
test_evict_until_within(void **state)
{
	struct env *e = *state;
	struct store_evict_stats s;
	struct th_msg m;
	char title[32], text[2048];
	uint64_t before, count;
	uint8_t first[FC_IDBYTES], last[FC_IDBYTES];
	size_t i;

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	for (i = 0; i < 400; i++) {
		Fenghuo__Body b = FENGHUO__BODY__INIT;

		snprintf(title, sizeof(title), "old %zu", i);
		b.has_kind = 1;
		b.kind = FENGHUO__KIND__REPORT;
		b.has_created_ms = 1;
		b.created_ms = T0 + i;
		b.has_expires_ms = 1;
		b.expires_ms = T0 + HOUR;
		b.region = (char *)(uintptr_t)"110101001001";
		b.category = (char *)(uintptr_t)"flood";
		b.title = title;
		b.text = text;
		assert_int_equal(th_seal(e->key, &b, &m), 0);
		put(e->st, &m, T0, INGEST_NEW);
		if (i == 0)
			memcpy(first, m.id, FC_IDBYTES);
		memcpy(last, m.id, FC_IDBYTES);
		th_msg_clear(&m);
	}
	assert_int_equal(store_evict(e->st, T0 + 2 * HOUR, UINT64_MAX, 1, &s), 0);
	before = s.bytes_before;
	/* Half the size: some go, not all, and the result fits. */
	assert_int_equal(store_evict(e->st, T0 + 2 * HOUR, before / 2, 100000, &s), 0);
	assert_int_equal(s.over, 0);
	assert_true(s.bytes_after <= before / 2);
	assert_true(s.evicted > 0 && s.evicted < 400);
	assert_int_equal(store_count(e->st, &count), 0);
	assert_int_equal(count, 400 - s.evicted);
	/* The oldest went first: the first one created is gone, the last one stays. */
	assert_int_equal(store_has(e->st, first), 0);
	assert_int_equal(store_has(e->st, last), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_evict_expired_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evict_until_within, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
