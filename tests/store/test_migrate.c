/*
 * test_migrate.c: a store written by the previous release, opened by this one.
 *
 * tests/store/fixtures/schema2.mdb is a schema 2 store made by the fenghuo of the commit
 * before schema 3 (fixtures/README.md says how), not one this code wrote and rewrote: it
 * proves that the bytes an older release actually left on a village laptop are read as they
 * are, upgraded forward by the first writer, once, with every message, the set digest and
 * the references kept.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "helper.h"
#include "store.h"
#include "wire.h"

/* What fixtures/README.md lists for the fixture. */
#define FIX_MESSAGES	6
#define FIX_DIGEST	"f6192e3f2ce8fbcf4311e5ee44143ab06c3a16468808c6810e5528d9f094c07b"
#define FIX_WARNING	"b0fe06b8cb3679736ad65bcd618ec4ac21e11b873874216763e0d54cb65c887b"
#define FIX_REFS	3	/* two receipts and an update refer to the warning */

/* What fixtures/README.md lists for schema3.mdb. */
#define FIX3_MESSAGES	5
#define FIX3_DIGEST	"29aeeaa8e2d89184d99193e2d1ef9e1a549431a1e3b465ba2604e5ecd5a44872"
#define FIX3_R1		"7a56b278a8831646b55940726ffbae2fec875209cfbc873d91674555e0c8052d"
#define FIX3_R2		"8d1a2d61b7425e74ef969a8980039c80aa58fa2d2fbfb4a28a05fde491a33d52"
#define FIX3_R3		"f274d454e46ba3d4ebc6ae020cc3d9019aec88533559ba4a73af1b1431fd3eab"

static const char *fixture, *fixture3;

static void
copy_file(const char *from, const char *to)
{
	char buf[8192];
	ssize_t n;
	int in, out;

	assert_true((in = open(from, O_RDONLY)) >= 0);
	assert_true((out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	assert_int_equal(close(out), 0);
}

static void
unhex(const char *hex, uint8_t *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		assert_int_equal(sscanf(hex + 2 * i, "%2hhx", &out[i]), 1);
}

static int
count_cb(void *ctx, const struct store_view *v)
{
	(void)v;
	(*(int *)ctx)++;
	return 0;
}

/* The loops tree: how many entries, and the marks and status of one (id NULL: none). */
struct loops_seen {
	const uint8_t	*id;
	size_t		 n;
	int		 marks, status;
	char		 region[16];
};

static int
loops_cb(void *ctx, const struct store_loop *e, int *read)
{
	struct loops_seen *l = ctx;

	l->n++;
	if (l->id != NULL && memcmp(e->id, l->id, FC_IDBYTES) == 0) {
		l->marks = (int)e->marks;
		l->status = e->status;
		assert_true(e->region_len < sizeof(l->region));
		memcpy(l->region, e->region, e->region_len);
		l->region[e->region_len] = '\0';
	}
	*read = 0;
	return 0;
}

static void
loops_of(struct store *st, const char *hex, struct loops_seen *l)
{
	uint8_t id[FC_IDBYTES];

	memset(l, 0, sizeof(*l));
	l->marks = l->status = -1;
	if (hex != NULL) {
		unhex(hex, id, sizeof(id));
		l->id = id;
	}
	assert_int_equal(store_iter_loops(st, 0, loops_cb, count_cb, l), 0);
	l->id = NULL;
}

/* Count, digest and references as the fixture was made. */
static void
check_contents(struct store *st)
{
	uint8_t digest[32], want[32], w[FC_IDBYTES];
	struct store_msg m;
	uint64_t count = 0;
	int n = 0;

	assert_int_equal(store_count(st, &count), 0);
	assert_int_equal(count, FIX_MESSAGES);
	assert_int_equal(store_digest(st, digest), 0);
	unhex(FIX_DIGEST, want, sizeof(want));
	assert_memory_equal(digest, want, sizeof(want));
	unhex(FIX_WARNING, w, sizeof(w));
	memset(&m, 0, sizeof(m));
	assert_int_equal(store_get(st, w, &m), 0);
	store_msg_clear(&m);
	assert_int_equal(store_iter_refs(st, w, count_cb, &n), 0);
	assert_int_equal(n, FIX_REFS);
	n = 0;
	assert_int_equal(store_iter_refs_of(st, w, FENGHUO__KIND__RECEIPT, NULL, count_cb, &n),
	    0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(store_iter_time(st, 0, 0, FENGHUO__KIND__WARNING, 0, count_cb, &n), 0);
	assert_int_equal(n, 2);
}

static void
test_schema2_fixture(void **state)
{
	char *dir = th_tmpdir(), path[4096];
	struct store *st = NULL;
	uint64_t indexed = 0;
	uint32_t version = 0;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	copy_file(fixture, path);
	assert_int_equal(store_schema_version(dir, &version), 0);
	assert_int_equal(version, 2);

	/* A reader reads it as it is and changes nothing. */
	assert_int_equal(store_open(dir, STORE_RDONLY, &st), 0);
	assert_int_equal(store_upgraded_from(st, NULL), 0);
	check_contents(st);
	store_close(&st);
	assert_int_equal(store_schema_version(dir, &version), 0);
	assert_int_equal(version, 2);

	/* The first writer upgrades it, in one transaction, keeping everything. */
	assert_int_equal(store_open(dir, 0, &st), 0);
	assert_int_equal(store_upgraded_from(st, &indexed), 2);
	assert_int_equal(indexed, FIX_REFS);
	check_contents(st);
	{
		struct loops_seen l;

		/* Its two reports, in the loops tree too. */
		assert_int_equal(store_has_loops(st), 1);
		loops_of(st, NULL, &l);
		assert_int_equal(l.n, 2);
	}
	store_close(&st);
	assert_int_equal(store_schema_version(dir, &version), 0);
	assert_int_equal(version, STORE_SCHEMA_VERSION);

	/* Once: the next open finds the current version. */
	assert_int_equal(store_open(dir, 0, &st), 0);
	assert_int_equal(store_upgraded_from(st, NULL), 0);
	check_contents(st);
	store_close(&st);
	th_rmdir(dir);
}

/*
 * fixtures/schema3.mdb: three reports (one registered, one an exercise, one closed) and
 * their two receipts; the first writer builds the loops tree from them.
 */
static void
test_schema3_fixture(void **state)
{
	char *dir = th_tmpdir(), path[4096];
	struct store *st = NULL;
	struct loops_seen l;
	uint8_t digest[32], want[32];
	uint64_t indexed = 0, count = 0;
	uint32_t version = 0;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	copy_file(fixture3, path);
	assert_int_equal(store_schema_version(dir, &version), 0);
	assert_int_equal(version, 3);

	/* A reader reads it as it is: no loops tree, the reports are read one by one. */
	assert_int_equal(store_open(dir, STORE_RDONLY, &st), 0);
	assert_int_equal(store_has_loops(st), 0);
	assert_int_equal(store_iter_loops(st, 0, loops_cb, count_cb, &l), STORE_EINVAL);
	store_close(&st);
	assert_int_equal(store_schema_version(dir, &version), 0);
	assert_int_equal(version, 3);

	/* The first writer builds the tree, once. */
	assert_int_equal(store_open(dir, 0, &st), 0);
	assert_int_equal(store_upgraded_from(st, &indexed), 3);
	assert_int_equal(indexed, 3);
	assert_int_equal(store_count(st, &count), 0);
	assert_int_equal(count, FIX3_MESSAGES);
	assert_int_equal(store_digest(st, digest), 0);
	unhex(FIX3_DIGEST, want, sizeof(want));
	assert_memory_equal(digest, want, sizeof(want));
	loops_of(st, FIX3_R1, &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.marks, STORE_LOOP_RECEIPT);
	assert_int_equal(l.status, FENGHUO__STATUS__ACTUAL);
	assert_string_equal(l.region, "330110109201");
	loops_of(st, FIX3_R2, &l);
	assert_int_equal(l.marks, 0);
	assert_int_equal(l.status, FENGHUO__STATUS__EXERCISE);
	loops_of(st, FIX3_R3, &l);
	assert_int_equal(l.marks, STORE_LOOP_RECEIPT | STORE_LOOP_CLOSED);
	assert_string_equal(l.region, "330120109203");
	store_close(&st);
	assert_int_equal(store_schema_version(dir, &version), 0);
	assert_int_equal(version, STORE_SCHEMA_VERSION);
	assert_int_equal(store_open(dir, 0, &st), 0);
	assert_int_equal(store_upgraded_from(st, NULL), 0);
	loops_of(st, NULL, &l);
	assert_int_equal(l.n, 3);
	store_close(&st);
	th_rmdir(dir);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema2_fixture),
		cmocka_unit_test(test_schema3_fixture),
	};

	if (argc != 3) {
		fprintf(stderr, "usage: test_migrate SCHEMA2.mdb SCHEMA3.mdb\n");
		return 64;
	}
	fixture = argv[1];
	fixture3 = argv[2];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
