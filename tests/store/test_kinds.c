/*
 * test_kinds.c: the kind index (store.h, kinds). store_iter_time() with a kind must list
 * exactly what a walk of the whole time index filtered by kind lists, in the same order, for
 * every range and direction, and must read only that kind's records (store_records_read);
 * and no lookup in ids (the index entry names the record); the index must follow every put,
 * every eviction, and a reopen; store_iter_refs_of must visit exactly the referring messages
 * of one kind and author and read only their records, and on schema 3 only their refs
 * entries (a seek); and a schema 1 store (no
 * kind index, old refs keys with empty values) or 2 (old refs keys, kind and author as
 * values), as earlier fenghuo versions wrote them, must still be read, and be upgraded once
 * by a writable open. Real LMDB in a temporary directory.
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

#define T0	1790000000000ULL	/* created time of the test messages */
#define MIN	(60ULL * 1000)
#define HOUR	(60 * MIN)
#define NOW	(T0 + 90 * MIN)	/* the clock when storing: nothing in the future or expired */
#define NREP	60			/* reports; every third expires at T0 + 2 h */
#define NWARN	6
#define NRCPT	4

struct env {
	char		*dir;
	struct store	*st;
	struct fc_key	*key, *key2;	/* key2 signs every other receipt */
	size_t		 nmsgs;
	uint8_t		 referred[FC_IDBYTES];	/* the report the receipts refer to */
};

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	assert_int_equal(fc_init(), 0);
	assert_non_null(e->dir = th_tmpdir());
	assert_int_equal(store_open(e->dir, 0, &e->st), 0);
	assert_int_equal(fc_key_generate(&e->key), 0);
	assert_int_equal(fc_key_generate(&e->key2), 0);
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
	fc_key_free(&e->key2);
	free(e);
	return 0;
}

static void
put(struct store *st, const struct th_msg *m)
{
	struct ingest_put p;

	memset(&p, 0, sizeof(p));
	p.env = m->env;
	p.len = m->len;
	assert_int_equal(ingest_put_open(st, &p, 1, NOW), 0);
	assert_int_equal(p.status, INGEST_NEW);
}

/*
 * Reports, warnings and receipts interleaved in time, stored out of order (so that the
 * index's appends and ordinary puts are both exercised).
 */
static void
fill(struct env *e)
{
	Fenghuo__Body b;
	struct th_msg m, first;
	char title[32];
	size_t i, j;

	for (j = 0; j < 2; j++) {
		/* j = 0: the even minutes, j = 1: the odd ones, each pass in time order. */
		for (i = j; i < NREP; i += 2) {
			fenghuo__body__init(&b);
			b.has_kind = 1;
			b.kind = FENGHUO__KIND__REPORT;
			b.has_created_ms = 1;
			b.created_ms = T0 + i * MIN;
			if (i % 3 == 0) {
				b.has_expires_ms = 1;
				b.expires_ms = T0 + 2 * HOUR;
			}
			b.region = (char *)(uintptr_t)"110101001001";
			b.category = (char *)(uintptr_t)"flood";
			snprintf(title, sizeof(title), "report %zu", i);
			b.title = title;
			assert_int_equal(th_seal(e->key, &b, &m), 0);
			put(e->st, &m);
			th_msg_clear(&m);
			e->nmsgs++;
		}
	}
	for (i = 0; i < NWARN; i++) {
		assert_int_equal(th_warning(e->key, T0 + (NWARN - i) * 7 * MIN + 1,
		    T0 + 100 * HOUR, &m), 0);
		put(e->st, &m);
		th_msg_clear(&m);
		e->nmsgs++;
	}
	assert_int_equal(th_report(e->key, T0 + 3 * MIN + 5, "referred", "x", &first), 0);
	put(e->st, &first);
	e->nmsgs++;
	for (i = 0; i < NRCPT; i++) {
		assert_int_equal(th_receipt(i % 2 ? e->key2 : e->key, T0 + (i * 13) * MIN + 2,
		    first.id, &m), 0);
		put(e->st, &m);
		th_msg_clear(&m);
		e->nmsgs++;
	}
	memcpy(e->referred, first.id, FC_IDBYTES);
	th_msg_clear(&first);
}

/* The ids a walk visits, in order. */
struct list {
	uint8_t		 ids[NREP + NWARN + NRCPT + 8][FC_IDBYTES];
	size_t		 n;
	int		 kind;	/* for the filtered full walk; 0 takes all */
};

static int
collect(void *ctx, const struct store_view *v)
{
	struct list *l = ctx;

	if (l->kind != 0 && v->seen->kind != l->kind)
		return 0;
	assert_true(l->n < sizeof(l->ids) / sizeof(l->ids[0]));
	memcpy(l->ids[l->n++], v->id, FC_IDBYTES);
	return 0;
}

/*
 * For one kind, range and direction: the index walk lists what the full walk filtered by
 * kind lists, and reads only as many records as it lists. Returns how many it listed.
 */
static size_t
check_range(struct store *st, uint64_t since, uint64_t until, int kind, int newest, int indexed)
{
	struct list *full = calloc(1, sizeof(*full)), *byk = calloc(1, sizeof(*byk));
	struct store_costs c0, c1;
	size_t n, i;

	assert_non_null(full);
	assert_non_null(byk);
	full->kind = kind;
	assert_int_equal(store_iter_time(st, since, until, 0, newest, collect, full), 0);
	store_cost(st, &c0);
	assert_int_equal(store_iter_time(st, since, until, kind, newest, collect, byk), 0);
	store_cost(st, &c1);
	if (indexed) {
		assert_int_equal(c1.records - c0.records, byk->n);
		/* No message here is clock-skewed: every time key names its record. */
		assert_int_equal(c1.id_lookups - c0.id_lookups, 0);
	}
	assert_int_equal(byk->n, full->n);
	for (i = 0; i < full->n; i++)
		assert_memory_equal(byk->ids[i], full->ids[i], FC_IDBYTES);
	n = byk->n;
	free(full);
	free(byk);
	return n;
}

/* Every kind, over the whole store and over ranges that cut through each kind. */
static void
check_all(struct store *st, size_t nrep, int indexed)
{
	static const int kinds[] = { FENGHUO__KIND__REPORT, FENGHUO__KIND__WARNING,
	    FENGHUO__KIND__RECEIPT, FENGHUO__KIND__CERT };
	static const uint64_t bounds[][2] = {
		{ 0, 0 }, { T0 + 10 * MIN, 0 }, { 0, T0 + 20 * MIN }, { T0 + 7 * MIN + 1,
		T0 + 28 * MIN + 1 }, { T0 + 500 * MIN, 0 }, { 0, T0 },
	};
	size_t i, j;
	int newest;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		for (j = 0; j < sizeof(bounds) / sizeof(bounds[0]); j++)
			for (newest = 0; newest < 2; newest++)
				(void)check_range(st, bounds[j][0], bounds[j][1], kinds[i], newest,
				    indexed);
	assert_int_equal(check_range(st, 0, 0, FENGHUO__KIND__REPORT, 0, indexed), nrep);
	assert_int_equal(check_range(st, 0, 0, FENGHUO__KIND__WARNING, 1, indexed), NWARN);
	assert_int_equal(check_range(st, 0, 0, FENGHUO__KIND__RECEIPT, 0, indexed), NRCPT);
	assert_int_equal(check_range(st, 0, 0, FENGHUO__KIND__CERT, 1, indexed), 0);
}

static void
test_after_put(void **state)
{
	struct env *e = *state;
	uint64_t before;
	size_t n = 0;

	fill(e);
	check_all(e->st, NREP + 1, 1);
	/* The reads of a kind walk are that kind's records only, not the store's. */
	before = store_records_read(e->st);
	assert_int_equal(store_iter_time(e->st, 0, 0, FENGHUO__KIND__WARNING, 0, collect,
	    &(struct list){ .n = 0 }), 0);
	n = (size_t)(store_records_read(e->st) - before);
	assert_int_equal(n, NWARN);
	assert_int_equal(store_upgraded_from(e->st, NULL), 0);
}

static void
test_after_evict(void **state)
{
	struct env *e = *state;
	struct store_evict_stats s;

	fill(e);
	/* Quota 0: every expired report goes (every third of NREP), nothing else. */
	assert_int_equal(store_evict(e->st, T0 + 3 * HOUR, 0, 100000, &s), 0);
	assert_int_equal(s.evicted, NREP / 3);
	check_all(e->st, NREP + 1 - NREP / 3, 1);
}

static void
test_after_reopen(void **state)
{
	struct env *e = *state;

	fill(e);
	store_close(&e->st);
	assert_int_equal(store_open(e->dir, STORE_RDONLY, &e->st), 0);
	check_all(e->st, NREP + 1, 1);
	store_close(&e->st);
	assert_int_equal(store_open(e->dir, 0, &e->st), 0);
	assert_int_equal(store_upgraded_from(e->st, NULL), 0);
	check_all(e->st, NREP + 1, 1);
}

/* store_iter_refs_of's callback: counts the receipts of e->referred visited. */
static int
count_key2(void *ctx, const struct store_view *v)
{
	struct env *e = ctx;

	assert_int_equal(v->seen->kind, FENGHUO__KIND__RECEIPT);
	e->nmsgs++;	/* reused as the visit count */
	return 0;
}

/*
 * store_iter_refs_of: the receipts of e->referred by key2 are visited, and only their records
 * read when the refs entries say who signed them (indexed: schema 2 and 3; on schema 1 every
 * receipt's record is read for its author). On schema 3 (layout3) the store seeks to them:
 * only their refs entries are read, and no lookup in ids; on older layouts every entry of
 * e->referred is read.
 */
static void
check_refs_of(struct env *e, int layout3, int indexed)
{
	struct store_costs c0, c1;
	size_t saved = e->nmsgs;

	store_cost(e->st, &c0);
	e->nmsgs = 0;
	assert_int_equal(store_iter_refs_of(e->st, e->referred, FENGHUO__KIND__RECEIPT,
	    fc_key_public(e->key2), count_key2, e), 0);
	assert_int_equal(e->nmsgs, NRCPT / 2);
	store_cost(e->st, &c1);
	if (indexed)
		assert_int_equal(c1.records - c0.records, NRCPT / 2);
	else
		assert_true(c1.records - c0.records >= NRCPT + NRCPT / 2);
	if (layout3) {
		assert_int_equal(c1.records - c0.records, NRCPT / 2);
		assert_int_equal(c1.ref_entries - c0.ref_entries, NRCPT / 2);
		assert_int_equal(c1.id_lookups - c0.id_lookups, 0);
	} else
		assert_int_equal(c1.ref_entries - c0.ref_entries, NRCPT);
	/* Every receipt, whoever signed it; no warning refers to it; a kind is needed. */
	e->nmsgs = 0;
	assert_int_equal(store_iter_refs_of(e->st, e->referred, FENGHUO__KIND__RECEIPT, NULL,
	    count_key2, e), 0);
	assert_int_equal(e->nmsgs, NRCPT);
	assert_int_equal(store_iter_refs_of(e->st, e->referred, FENGHUO__KIND__WARNING, NULL,
	    count_key2, e), 0);
	assert_int_equal(store_iter_refs_of(e->st, e->referred, FENGHUO__KIND__RECEIPT,
	    fc_key_public(e->key), count_key2, e), 0);
	assert_int_equal(e->nmsgs, NRCPT + NRCPT / 2);
	assert_int_equal(store_iter_refs_of(e->st, e->referred, 0, NULL, count_key2, e),
	    STORE_EINVAL);
	e->nmsgs = saved;
}

static void
test_refs_of(void **state)
{
	struct env *e = *state;

	fill(e);
	check_refs_of(e, 1, 1);
	store_close(&e->st);
	assert_int_equal(store_open(e->dir, STORE_RDONLY, &e->st), 0);
	check_refs_of(e, 1, 1);
}

/* A refs entry as schema 3 writes it (the length of its key and value checked). */
#define REFS3_KEYBYTES	(2 * FC_IDBYTES + 4 + FC_PUBLICKEYBYTES)

/*
 * Make the store in dir look as an earlier fenghuo left it. Schema 2: refs keys referred id
 * || referring id, with kind || author as values. Schema 1: the same keys with empty values,
 * and no kinds tree.
 */
static void
downgrade(const char *dir, uint8_t version)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, kinds, refs;
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t ver[4] = { 0, 0, 0, version }, key[NRCPT][2 * FC_IDBYTES];
	uint8_t val[NRCPT][4 + FC_PUBLICKEYBYTES];
	size_t n = 0, i;
	int rc;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	if (version == 1) {
		assert_int_equal(mdb_dbi_open(txn, "kinds", MDB_DUPSORT | MDB_DUPFIXED, &kinds),
		    0);
		assert_int_equal(mdb_drop(txn, kinds, 1), 0);
	}
	/* ref || kind || author || id -> created, rewritten as ref || id -> kind || author. */
	assert_int_equal(mdb_dbi_open(txn, "refs", 0, &refs), 0);
	assert_int_equal(mdb_cursor_open(txn, refs, &cur), 0);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		assert_int_equal(k.mv_size, REFS3_KEYBYTES);
		assert_int_equal(v.mv_size, 8);
		assert_true(n < NRCPT);
		memcpy(key[n], k.mv_data, FC_IDBYTES);
		memcpy(key[n] + FC_IDBYTES, (const uint8_t *)k.mv_data + REFS3_KEYBYTES -
		    FC_IDBYTES, FC_IDBYTES);
		memcpy(val[n], (const uint8_t *)k.mv_data + FC_IDBYTES, sizeof(val[n]));
		n++;
	}
	assert_int_equal(rc, MDB_NOTFOUND);
	assert_int_equal(n, NRCPT);
	mdb_cursor_close(cur);
	assert_int_equal(mdb_drop(txn, refs, 0), 0);
	for (i = 0; i < n; i++) {
		k.mv_data = key[i];
		k.mv_size = sizeof(key[i]);
		v.mv_data = val[i];
		v.mv_size = version == 1 ? 0 : sizeof(val[i]);
		assert_int_equal(mdb_put(txn, refs, &k, &v, 0), 0);
	}
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	k.mv_data = (void *)(uintptr_t)"schema";
	k.mv_size = 6;
	v.mv_data = ver;
	v.mv_size = sizeof(ver);
	assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/*
 * After an upgrade: once only; and the upgraded indexes follow puts and evictions like new
 * ones.
 */
static void
check_upgraded(struct env *e)
{
	struct th_msg m;
	struct store_evict_stats s;
	uint32_t version = 0;

	store_close(&e->st);
	assert_int_equal(store_schema_version(e->dir, &version), 0);
	assert_int_equal(version, STORE_SCHEMA_VERSION);
	assert_int_equal(store_open(e->dir, 0, &e->st), 0);
	assert_int_equal(store_upgraded_from(e->st, NULL), 0);
	assert_int_equal(th_warning(e->key, T0 + 3, T0 + 100 * HOUR, &m), 0);
	put(e->st, &m);
	th_msg_clear(&m);
	assert_int_equal(check_range(e->st, 0, 0, FENGHUO__KIND__WARNING, 0, 1), NWARN + 1);
	assert_int_equal(th_receipt(e->key2, T0 + 80 * MIN, e->referred, &m), 0);
	put(e->st, &m);
	th_msg_clear(&m);
	e->nmsgs = 0;
	assert_int_equal(store_iter_refs_of(e->st, e->referred, FENGHUO__KIND__RECEIPT,
	    fc_key_public(e->key2), count_key2, e), 0);
	assert_int_equal(e->nmsgs, NRCPT / 2 + 1);
	assert_int_equal(store_evict(e->st, T0 + 3 * HOUR, 0, 100000, &s), 0);
	assert_int_equal(s.evicted, NREP / 3);
	assert_int_equal(check_range(e->st, 0, 0, FENGHUO__KIND__REPORT, 1, 1),
	    NREP + 1 - NREP / 3);
}

static void
test_upgrade(void **state)
{
	struct env *e = *state;
	uint64_t indexed = 0, before;
	uint32_t version = 0;

	fill(e);
	store_close(&e->st);
	downgrade(e->dir, 1);
	assert_int_equal(store_schema_version(e->dir, &version), 0);
	assert_int_equal(version, 1);

	/* A reader leaves it as it is, and still lists by kind (walking the time index). */
	assert_int_equal(store_open(e->dir, STORE_RDONLY, &e->st), 0);
	assert_int_equal(store_upgraded_from(e->st, NULL), 0);
	check_all(e->st, NREP + 1, 0);
	check_refs_of(e, 0, 0);
	before = store_records_read(e->st);
	assert_int_equal(store_iter_time(e->st, 0, 0, FENGHUO__KIND__WARNING, 0, collect,
	    &(struct list){ .n = 0 }), 0);
	assert_int_equal(store_records_read(e->st) - before, e->nmsgs);
	store_close(&e->st);
	assert_int_equal(store_schema_version(e->dir, &version), 0);
	assert_int_equal(version, 1);

	/* A writer builds the indexes once and records the current schema. */
	assert_int_equal(store_open(e->dir, 0, &e->st), 0);
	assert_int_equal(store_upgraded_from(e->st, &indexed), 1);
	assert_int_equal(indexed, e->nmsgs);
	check_all(e->st, NREP + 1, 1);
	check_refs_of(e, 1, 1);
	check_upgraded(e);
}

/* A schema 2 store: read as it is (kind index, old refs keys), upgraded once by a writer. */
static void
test_upgrade_from2(void **state)
{
	struct env *e = *state;
	uint64_t indexed = 0;
	uint32_t version = 0;

	fill(e);
	store_close(&e->st);
	downgrade(e->dir, 2);
	assert_int_equal(store_schema_version(e->dir, &version), 0);
	assert_int_equal(version, 2);

	assert_int_equal(store_open(e->dir, STORE_RDONLY, &e->st), 0);
	assert_int_equal(store_upgraded_from(e->st, NULL), 0);
	check_all(e->st, NREP + 1, 1);
	check_refs_of(e, 0, 1);
	store_close(&e->st);
	assert_int_equal(store_schema_version(e->dir, &version), 0);
	assert_int_equal(version, 2);

	assert_int_equal(store_open(e->dir, 0, &e->st), 0);
	assert_int_equal(store_upgraded_from(e->st, &indexed), 2);
	assert_int_equal(indexed, NRCPT);
	check_all(e->st, NREP + 1, 1);
	check_refs_of(e, 1, 1);
	check_upgraded(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_after_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_after_evict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_after_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refs_of, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from2, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
