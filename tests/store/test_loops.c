/*
 * test_loops.c: the loops tree (schema 4): one entry per stored report, in time order, with
 * its status, region and the marks of the loop receipts referring to it, kept by every put
 * (the receipt before its report too, and both in one batch) and by eviction, and read by
 * store_iter_loops, which reads a report's record only when asked to.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lmdb.h>

#include "helper.h"
#include "store.h"
#include "ingest.h"

#define T0	1790000000000ULL
#define MIN	(60ULL * 1000)
#define NOW	(T0 + 90 * MIN)
#define MAXE	16

struct env {
	char		*dir;
	struct store	*st;
	struct fc_key	*key;
};

/* What store_iter_loops handed over, copied. */
struct seen_loop {
	uint8_t		 id[FC_IDBYTES];
	uint64_t	 time_ms;
	unsigned	 marks;
	int		 status;
	char		 region[32];
};
struct loops {
	struct seen_loop e[MAXE];
	size_t		 n;
	const uint8_t	*read_id;	/* ask for this one's record */
	size_t		 nread;		/* records handed to the store_iter_fn */
};

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	assert_int_equal(fc_init(), 0);
	assert_non_null(e->dir = th_tmpdir());
	assert_int_equal(store_open(e->dir, 0, &e->st), 0);
	assert_int_equal(store_has_loops(e->st), 1);
	assert_int_equal(fc_key_generate(&e->key), 0);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	store_close(&e->st);
	th_rmdir(e->dir);
	fc_key_free(&e->key);
	free(e);
	return 0;
}

static void
put_n(struct store *st, const struct th_msg *m, size_t n)
{
	struct ingest_put p[4];
	size_t i;

	assert_true(n <= 4);
	memset(p, 0, sizeof(p));
	for (i = 0; i < n; i++) {
		p[i].env = m[i].env;
		p[i].len = m[i].len;
	}
	assert_int_equal(ingest_put_open(st, p, n, NOW), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(p[i].status, INGEST_NEW);
}

static void
put(struct store *st, const struct th_msg *m)
{
	put_n(st, m, 1);
}

static void
report(struct env *e, uint64_t t, const char *region, int status, uint64_t expires,
    struct th_msg *out)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;

	b.has_kind = 1;
	b.kind = FENGHUO__KIND__REPORT;
	b.has_created_ms = 1;
	b.created_ms = t;
	if (expires != 0) {
		b.has_expires_ms = 1;
		b.expires_ms = expires;
	}
	if (status != FENGHUO__STATUS__ACTUAL) {
		b.has_status = 1;
		b.status = (Fenghuo__Status)status;
	}
	b.region = (char *)(uintptr_t)region;
	b.category = (char *)(uintptr_t)"flood";
	b.title = (char *)(uintptr_t)"桥梁被淹";
	assert_int_equal(th_seal(e->key, &b, out), 0);
}

static void
receipt(struct env *e, uint64_t t, const uint8_t *ref, int stage, struct th_msg *out)
{
	assert_int_equal(th_receipt_stage(e->key, t, ref, stage, out), 0);
}

static int
loop_cb(void *ctx, const struct store_loop *x, int *read)
{
	struct loops *l = ctx;
	struct seen_loop *s;

	assert_true(l->n < MAXE);
	s = &l->e[l->n++];
	memcpy(s->id, x->id, FC_IDBYTES);
	s->time_ms = x->time_ms;
	s->marks = x->marks;
	s->status = x->status;
	assert_true(x->region_len < sizeof(s->region));
	memcpy(s->region, x->region, x->region_len);
	s->region[x->region_len] = '\0';
	*read = l->read_id != NULL && memcmp(x->id, l->read_id, FC_IDBYTES) == 0;
	return 0;
}

static int
read_cb(void *ctx, const struct store_view *v)
{
	struct loops *l = ctx;

	assert_memory_equal(v->id, l->read_id, FC_IDBYTES);
	assert_int_equal(v->seen->kind, FENGHUO__KIND__REPORT);
	l->nread++;
	return 0;
}

static void
loops_read(struct store *st, uint64_t since, struct loops *l)
{
	const uint8_t *r = l->read_id;

	memset(l, 0, sizeof(*l));
	l->read_id = r;
	assert_int_equal(store_iter_loops(st, since, loop_cb, read_cb, l), 0);
}

/* The marks of id's entry (-1: no entry). */
static int
marks_of(struct store *st, const uint8_t *id)
{
	struct loops l;
	size_t i;

	l.read_id = NULL;
	loops_read(st, 0, &l);
	for (i = 0; i < l.n; i++)
		if (memcmp(l.e[i].id, id, FC_IDBYTES) == 0)
			return (int)l.e[i].marks;
	return -1;
}

/* A report, then its receipts: a delivery marks nothing, registered and closed do. */
static void
test_report_then_receipt(void **state)
{
	struct env *e = *state;
	struct th_msg r, d, g, c;
	struct loops l;

	report(e, T0, "330110109201", FENGHUO__STATUS__ACTUAL, 0, &r);
	put(e->st, &r);
	l.read_id = NULL;
	loops_read(e->st, 0, &l);
	assert_int_equal(l.n, 1);
	assert_memory_equal(l.e[0].id, r.id, FC_IDBYTES);
	assert_int_equal(l.e[0].time_ms, T0);
	assert_int_equal(l.e[0].marks, 0);
	assert_int_equal(l.e[0].status, FENGHUO__STATUS__ACTUAL);
	assert_string_equal(l.e[0].region, "330110109201");

	receipt(e, T0 + MIN, r.id, FENGHUO__STAGE__DELIVERED, &d);
	put(e->st, &d);
	assert_int_equal(marks_of(e->st, r.id), 0);
	receipt(e, T0 + 2 * MIN, r.id, FENGHUO__STAGE__REGISTERED, &g);
	put(e->st, &g);
	assert_int_equal(marks_of(e->st, r.id), STORE_LOOP_RECEIPT);
	receipt(e, T0 + 3 * MIN, r.id, FENGHUO__STAGE__CLOSED, &c);
	put(e->st, &c);
	assert_int_equal(marks_of(e->st, r.id), STORE_LOOP_RECEIPT | STORE_LOOP_CLOSED);

	/* Kept across a reopen: it is in the file, not in memory. */
	store_close(&e->st);
	assert_int_equal(store_open(e->dir, STORE_RDONLY, &e->st), 0);
	assert_int_equal(store_has_loops(e->st), 1);
	assert_int_equal(marks_of(e->st, r.id), STORE_LOOP_RECEIPT | STORE_LOOP_CLOSED);
	th_msg_clear(&r);
	th_msg_clear(&d);
	th_msg_clear(&g);
	th_msg_clear(&c);
}

/* A receipt stored before its report (gossip brings them in any order), and in one batch. */
static void
test_receipt_then_report(void **state)
{
	struct env *e = *state;
	struct th_msg r, c, b[2];

	report(e, T0, "330110109201", FENGHUO__STATUS__ACTUAL, 0, &r);
	receipt(e, T0 + MIN, r.id, FENGHUO__STAGE__CLOSED, &c);
	put(e->st, &c);
	assert_int_equal(marks_of(e->st, r.id), -1);
	put(e->st, &r);
	assert_int_equal(marks_of(e->st, r.id), STORE_LOOP_RECEIPT | STORE_LOOP_CLOSED);
	th_msg_clear(&r);
	th_msg_clear(&c);

	/* Receipt first and report second in one batch; then the other order. */
	report(e, T0 + 5, "330110109202", FENGHUO__STATUS__ACTUAL, 0, &b[1]);
	receipt(e, T0 + MIN + 5, b[1].id, FENGHUO__STAGE__HANDLING, &b[0]);
	put_n(e->st, b, 2);
	assert_int_equal(marks_of(e->st, b[1].id), STORE_LOOP_RECEIPT);
	th_msg_clear(&b[0]);
	th_msg_clear(&b[1]);
	report(e, T0 + 6, "330110109203", FENGHUO__STATUS__ACTUAL, 0, &b[0]);
	receipt(e, T0 + MIN + 6, b[0].id, FENGHUO__STAGE__VERIFIED, &b[1]);
	put_n(e->st, b, 2);
	assert_int_equal(marks_of(e->st, b[0].id), STORE_LOOP_RECEIPT);
	th_msg_clear(&b[0]);
	th_msg_clear(&b[1]);
}

/* Status and region as the report says; time order and since as the time index. */
static void
test_order_status(void **state)
{
	struct env *e = *state;
	struct th_msg m[3];
	struct loops l;

	report(e, T0 + 2 * MIN, "3301", FENGHUO__STATUS__EXERCISE, 0, &m[0]);
	report(e, T0, "330110109201", FENGHUO__STATUS__TEST, 0, &m[1]);
	report(e, T0 + MIN, "33", FENGHUO__STATUS__ACTUAL, 0, &m[2]);
	put(e->st, &m[0]);
	put(e->st, &m[1]);
	put(e->st, &m[2]);
	l.read_id = m[2].id;
	loops_read(e->st, 0, &l);
	assert_int_equal(l.n, 3);
	assert_memory_equal(l.e[0].id, m[1].id, FC_IDBYTES);
	assert_int_equal(l.e[0].status, FENGHUO__STATUS__TEST);
	assert_memory_equal(l.e[1].id, m[2].id, FC_IDBYTES);
	assert_int_equal(l.e[1].status, FENGHUO__STATUS__ACTUAL);
	assert_string_equal(l.e[1].region, "33");
	assert_memory_equal(l.e[2].id, m[0].id, FC_IDBYTES);
	assert_int_equal(l.e[2].status, FENGHUO__STATUS__EXERCISE);
	assert_string_equal(l.e[2].region, "3301");
	/* Only the record asked for is read. */
	assert_int_equal(l.nread, 1);
	l.read_id = NULL;
	loops_read(e->st, T0 + MIN, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.nread, 0);
	th_msg_clear(&m[0]);
	th_msg_clear(&m[1]);
	th_msg_clear(&m[2]);
}

/* An evicted report takes its entry along, in the eviction's transaction. */
static void
test_evict(void **state)
{
	struct env *e = *state;
	struct store_evict_stats es;
	struct th_msg r, k;

	report(e, T0, "330110109201", FENGHUO__STATUS__ACTUAL, NOW + 10 * MIN, &r);
	report(e, T0 + 1, "330110109202", FENGHUO__STATUS__ACTUAL, 0, &k);
	put(e->st, &r);
	put(e->st, &k);
	assert_int_equal(marks_of(e->st, r.id), 0);
	assert_int_equal(store_evict(e->st, NOW + 1000 * MIN, 0, 100, &es), 0);
	assert_int_equal(es.evicted, 1);
	assert_int_equal(marks_of(e->st, r.id), -1);
	assert_int_equal(marks_of(e->st, k.id), 0);
	th_msg_clear(&r);
	th_msg_clear(&k);
}

/*
 * A report whose entry is lost (only a bug could do it) does not make its receipts refused,
 * which would refuse their whole batch again at every try: the entry is made again.
 */
static void
test_entry_remade(void **state)
{
	struct env *e = *state;
	struct th_msg r, c;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;

	report(e, T0, "330110109201", FENGHUO__STATUS__ACTUAL, 0, &r);
	put(e->st, &r);
	store_close(&e->st);
	/* Behind the store's back: empty its loops tree. */
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, e->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "loops", 0, &dbi), 0);
	assert_int_equal(mdb_drop(txn, dbi, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	assert_int_equal(store_open(e->dir, 0, &e->st), 0);
	assert_int_equal(marks_of(e->st, r.id), -1);

	receipt(e, T0 + MIN, r.id, FENGHUO__STAGE__CLOSED, &c);
	put(e->st, &c);
	assert_int_equal(marks_of(e->st, r.id), STORE_LOOP_RECEIPT | STORE_LOOP_CLOSED);
	th_msg_clear(&r);
	th_msg_clear(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_report_then_receipt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receipt_then_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_remade, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
