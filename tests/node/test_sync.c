/*
 * test_sync.c: range-based reconciliation (node/sync.c) between two real stores.
 *
 * Each case fills two LMDB stores in temporary directories through ingest_put_open() with
 * signed reports, runs rounds of the exchange in-process (sync_begin on one side, then
 * sync_handle alternately until a side has nothing to say), moves every `give` (and `need`)
 * message to the other store, and checks that the two set digests end up equal. A round
 * that finds nothing proves equality, so every case ends with such a round.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto.h"
#include "store.h"
#include "ingest.h"
#include "sync.h"

#define POOL_MAX	8000

/* A pool of signed reports, created once: index i has created time base + i seconds. */
struct pool {
	struct fc_key	*key;
	uint8_t		*env[POOL_MAX];
	size_t		 len[POOL_MAX];
	size_t		 n;
	uint64_t	 base;
};

static struct pool pool;

/* Two stores and their directories. */
struct pair {
	char		*dir[2];
	struct store	*st[2];
};

/* What one round cost. */
struct round {
	size_t	 msgs;		/* Sync payloads sent, both ways */
	size_t	 bytes;		/* their total size */
	size_t	 maxmsg;	/* the largest */
	size_t	 moved;		/* messages given or needed, both ways */
};

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
make_report(size_t i, uint8_t **env, size_t *len)
{
	Fenghuo__Body	 b = FENGHUO__BODY__INIT;
	char		 title[64];
	uint8_t		 buf[512];
	size_t		 n;

	snprintf(title, sizeof(title), "险情报告 %zu", i);
	b.has_version = 1;
	b.version = WIRE_BODY_VERSION;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__REPORT;
	b.has_author = 1;
	b.author.data = (uint8_t *)(uintptr_t)fc_key_public(pool.key);
	b.author.len = FC_PUBLICKEYBYTES;
	b.has_created_ms = 1;
	b.created_ms = pool.base + (uint64_t)i * 1000;
	b.region = (char *)(uintptr_t)"110101001001";
	b.category = (char *)(uintptr_t)"flood";
	b.title = title;
	b.text = (char *)(uintptr_t)"河堤管涌，水位上涨。";
	n = fenghuo__body__get_packed_size(&b);
	if (n > sizeof(buf))
		return -1;
	fenghuo__body__pack(&b, buf);
	return fc_envelope_seal(pool.key, buf, n, env, len);
}

static int
group_setup(void **state)
{
	size_t	 i;

	(void)state;
	if (fc_init() != 0 || fc_key_generate(&pool.key) != 0)
		return -1;
	/* Reports of the last few hours, one a second: plausible, distinct times. */
	pool.base = now_ms() - 3 * 3600 * 1000ULL;
	for (i = 0; i < POOL_MAX; i++)
		if (make_report(i, &pool.env[i], &pool.len[i]) != 0)
			return -1;
	pool.n = POOL_MAX;
	return 0;
}

static int
group_teardown(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < pool.n; i++)
		free(pool.env[i]);
	fc_key_free(&pool.key);
	return 0;
}

static char *
tmpdir(void)
{
	const char	*base = getenv("TMPDIR");
	char		*dir;
	size_t		 len;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	len = strlen(base) + sizeof("/fh-sync.XXXXXX");
	dir = malloc(len);
	assert_non_null(dir);
	snprintf(dir, len, "%s/fh-sync.XXXXXX", base);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static void
rmdir_all(char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[4096];

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}

static void
pair_open(struct pair *p)
{
	int	 i, rc;

	for (i = 0; i < 2; i++) {
		p->dir[i] = tmpdir();
		rc = store_open(p->dir[i], 0, &p->st[i]);
		if (rc != 0)
			fail_msg("store_open: %s", store_strerror(rc));
	}
}

static void
pair_close(struct pair *p)
{
	int	 i;

	for (i = 0; i < 2; i++) {
		store_close(&p->st[i]);
		rmdir_all(p->dir[i]);
	}
}

/* Store pool messages [from, to) whose index passes keep (NULL: all) into st. */
static void
fill(struct store *st, size_t from, size_t to, int (*keep)(size_t, void *), void *arg)
{
	struct ingest_put	 puts[256];
	size_t			 i, m = 0, j;
	int			 rc;

	for (i = from; i <= to; i++) {
		if (m == 256 || (i == to && m > 0)) {
			rc = ingest_put_open(st, puts, m, now_ms());
			if (rc != 0)
				fail_msg("store_put_batch: %s", store_strerror(rc));
			for (j = 0; j < m; j++)
				assert_int_equal(puts[j].status, INGEST_NEW);
			m = 0;
		}
		if (i == to)
			break;
		if (keep != NULL && !keep(i, arg))
			continue;
		memset(&puts[m], 0, sizeof(puts[m]));
		puts[m].env = pool.env[i];
		puts[m].len = pool.len[i];
		m++;
	}
}

/* Copy the messages with the given ids from one store to the other, in one batch. */
static void
copy_ids(struct store *from, struct store *to, const uint8_t (*ids)[FC_IDBYTES], size_t n)
{
	struct store_msg	*msgs;
	struct ingest_put	*puts;
	size_t			 i;
	int			 rc;

	if (n == 0)
		return;
	msgs = calloc(n, sizeof(*msgs));
	puts = calloc(n, sizeof(*puts));
	assert_non_null(msgs);
	assert_non_null(puts);
	for (i = 0; i < n; i++) {
		rc = store_get(from, ids[i], &msgs[i]);
		if (rc != 0)
			fail_msg("store_get of a given id: %s", store_strerror(rc));
		puts[i].env = msgs[i].env;
		puts[i].len = msgs[i].len;
	}
	rc = ingest_put_open(to, puts, n, now_ms());
	if (rc != 0)
		fail_msg("store_put_batch: %s", store_strerror(rc));
	for (i = 0; i < n; i++) {
		assert_true(puts[i].status == INGEST_NEW || puts[i].status == INGEST_DUP);
		store_msg_clear(&msgs[i]);
	}
	free(msgs);
	free(puts);
}

/*
 * One round, side `init` initiating, with frames of at most max_frame. Gives and needs are
 * applied after each step, as a daemon would push them.
 */
static void
run_round(struct pair *p, int init, size_t max_frame, struct round *r)
{
	struct sync_result	 res;
	uint8_t			*msg;
	size_t			 len;
	int			 side, rc;
	size_t			 frame = max_frame ? max_frame : WIRE_FRAME_MAX;

	memset(r, 0, sizeof(*r));
	rc = sync_begin(p->st[init], max_frame, &msg, &len);
	if (rc != 0)
		fail_msg("sync_begin: %s", store_strerror(rc));
	for (side = !init;; side = !side) {
		assert_true(len <= frame);
		r->msgs++;
		r->bytes += len;
		if (len > r->maxmsg)
			r->maxmsg = len;
		assert_true(r->msgs < 200);
		rc = sync_handle(p->st[side], max_frame, msg, len, &res);
		free(msg);
		if (rc != 0)
			fail_msg("sync_handle: %s", store_strerror(rc));
		copy_ids(p->st[side], p->st[!side], (const uint8_t (*)[FC_IDBYTES])res.give,
		    res.ngive);
		copy_ids(p->st[!side], p->st[side], (const uint8_t (*)[FC_IDBYTES])res.need,
		    res.nneed);
		r->moved += res.ngive + res.nneed;
		msg = res.reply;
		len = res.replylen;
		res.reply = NULL;
		if (msg == NULL) {
			assert_true(res.done);
			sync_result_clear(&res);
			break;
		}
		assert_false(res.done);
		sync_result_clear(&res);
	}
}

/*
 * Rounds until one moves nothing (that one proves equality under a fresh salt), then the
 * store digests must agree. Returns the first round's figures.
 */
static void
converge(struct pair *p, int init, size_t max_frame, struct round *first, size_t expect_moved)
{
	struct round	 r;
	uint8_t		 d0[32], d1[32];
	uint64_t	 c0, c1;
	int		 i;

	run_round(p, init, max_frame, first);
	if (expect_moved != (size_t)-1)
		assert_int_equal(first->moved, expect_moved);
	r = *first;
	for (i = 0; r.moved > 0; i++) {
		assert_true(i < 4);
		run_round(p, i % 2 ? init : !init, max_frame, &r);
	}
	/* The round that moved nothing: one step each way at most. */
	assert_true(r.msgs <= 2);
	assert_int_equal(store_digest(p->st[0], d0), 0);
	assert_int_equal(store_digest(p->st[1], d1), 0);
	assert_memory_equal(d0, d1, 32);
	assert_int_equal(store_count(p->st[0], &c0), 0);
	assert_int_equal(store_count(p->st[1], &c1), 0);
	assert_int_equal(c0, c1);
}

static int
keep_not_mod(size_t i, void *arg)
{
	size_t	 m = *(size_t *)arg;

	return i % m != 0;
}

static int
keep_mod(size_t i, void *arg)
{
	size_t	 m = *(size_t *)arg;

	return i % m == 0;
}

/* ---- cases ------------------------------------------------------------------------------ */

static void
test_identical(void **state)
{
	struct pair	 p;
	struct round	 r;

	(void)state;
	pair_open(&p);
	fill(p.st[0], 0, 2000, NULL, NULL);
	fill(p.st[1], 0, 2000, NULL, NULL);
	run_round(&p, 0, 0, &r);
	/* One payload, one fingerprint of everything, no answer. */
	assert_int_equal(r.msgs, 1);
	assert_int_equal(r.moved, 0);
	assert_true(r.bytes <= 32);
	converge(&p, 1, 0, &r, 0);
	pair_close(&p);
}

static void
test_empty_side(void **state)
{
	struct pair	 p;
	struct round	 r;

	(void)state;
	/* The full side initiates: the empty side answers "nothing here". */
	pair_open(&p);
	fill(p.st[0], 0, 1500, NULL, NULL);
	converge(&p, 0, 0, &r, 1500);
	assert_true(r.msgs <= 2);
	pair_close(&p);
	/* The empty side initiates: the full side gives at once. */
	pair_open(&p);
	fill(p.st[1], 0, 1500, NULL, NULL);
	converge(&p, 0, 0, &r, 1500);
	assert_int_equal(r.msgs, 1);
	pair_close(&p);
	/* Both empty. */
	pair_open(&p);
	converge(&p, 0, 0, &r, 0);
	assert_int_equal(r.msgs, 1);
	pair_close(&p);
}

static void
test_disjoint(void **state)
{
	struct pair	 p;
	struct round	 r;
	size_t		 two = 2;

	(void)state;
	pair_open(&p);
	/* Interleaved in time: even indexes on one side, odd on the other. */
	fill(p.st[0], 0, 1200, keep_mod, &two);
	fill(p.st[1], 0, 1200, keep_not_mod, &two);
	converge(&p, 0, 0, &r, 1200);
	pair_close(&p);
}

static void
test_scattered(void **state)
{
	struct pair	 p;
	struct round	 r;
	size_t		 m0 = 101, m1 = 97;

	(void)state;
	pair_open(&p);
	/* 6000 messages; every 101st missing on one side, every 97th on the other. */
	fill(p.st[0], 0, 6000, keep_not_mod, &m0);
	fill(p.st[1], 0, 6000, keep_not_mod, &m1);
	/* Missing from both: index 0 only (0 mod 101 and 97); 60 + 62 - 2 differences. */
	converge(&p, 0, 0, &r, 59 + 61);
	/* Far below sending every id (6000 * 32 bytes). */
	assert_true(r.bytes < 8000);
	print_message("scattered: %zu differences, %zu bytes in %zu payloads\n", r.moved,
	    r.bytes, r.msgs);
	pair_close(&p);
}

static int
keep_outside(size_t i, void *arg)
{
	const size_t	*b = arg;

	return i < b[0] || i >= b[1];
}

static void
test_one_range(void **state)
{
	struct pair	 p;
	struct round	 r;
	size_t		 b[2] = { 3000, 3300 };

	(void)state;
	pair_open(&p);
	/* Side 1 lacks 300 consecutive messages in the middle of the time range. */
	fill(p.st[0], 0, 6000, NULL, NULL);
	fill(p.st[1], 0, 6000, keep_outside, b);
	converge(&p, 1, 0, &r, 300);
	assert_true(r.bytes < 4000);
	pair_close(&p);
}

static void
test_small_frames(void **state)
{
	struct pair	 p;
	struct round	 r;
	size_t		 m0 = 13, m1 = 11;

	(void)state;
	pair_open(&p);
	/* Many differences (about 1100), so answers must be cut to fit 4096-byte frames. */
	fill(p.st[0], 0, 8000, keep_not_mod, &m0);
	fill(p.st[1], 0, 8000, keep_not_mod, &m1);
	converge(&p, 0, 4096, &r, (size_t)-1);
	assert_true(r.maxmsg <= 4096);
	print_message("4096-byte frames: %zu moved, %zu bytes in %zu payloads\n", r.moved,
	    r.bytes, r.msgs);
	pair_close(&p);
	/* The smallest frame accepted works too. */
	pair_open(&p);
	fill(p.st[0], 0, 3000, keep_not_mod, &m0);
	fill(p.st[1], 0, 3000, keep_not_mod, &m1);
	converge(&p, 1, 1024, &r, (size_t)-1);
	assert_true(r.maxmsg <= 1024);
	pair_close(&p);
}

/* Wrap a raw payload in a serialized Sync. */
static size_t
wrap(const uint8_t *payload, size_t plen, uint8_t *out, size_t cap)
{
	Fenghuo__Sync	 s = FENGHUO__SYNC__INIT;

	s.has_payload = 1;
	s.payload.data = (uint8_t *)(uintptr_t)payload;
	s.payload.len = plen;
	assert_true(fenghuo__sync__get_packed_size(&s) <= cap);
	return fenghuo__sync__pack(&s, out);
}

static void
expect_bad(struct store *st, const uint8_t *payload, size_t plen)
{
	struct sync_result	 res;
	uint8_t			 buf[4096];
	size_t			 n = wrap(payload, plen, buf, sizeof(buf));

	assert_int_equal(sync_handle(st, 0, buf, n, &res), EBADMSG);
	assert_null(res.reply);
	assert_int_equal(res.ngive, 0);
}

static void
test_garbage(void **state)
{
	struct pair		 p;
	struct sync_result	 res, r2;
	uint8_t			*msg, buf[8192], junk[2048];
	size_t			 len, i, n;
	int			 rc;
	/* Version 1, step 0, salt; then items. */
	static const uint8_t hdr[10] = { 1, 0, 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t			 pl[64];

	(void)state;
	pair_open(&p);
	fill(p.st[0], 0, 500, NULL, NULL);
	fill(p.st[1], 0, 400, NULL, NULL);

	/* Not a Sync frame, empty, oversized, bad arguments. */
	assert_int_equal(sync_handle(p.st[0], 0, (const uint8_t *)"\xff\xff\xff", 3, &res),
	    EBADMSG);
	assert_int_equal(sync_handle(p.st[0], 0, NULL, 0, &res), EBADMSG);
	assert_int_equal(sync_handle(p.st[0], 0, buf, WIRE_FRAME_MAX + 1, &res), EBADMSG);
	assert_int_equal(sync_handle(p.st[0], 100, buf, 10, &res), EINVAL);
	assert_int_equal(sync_begin(p.st[0], 100, &msg, &len), EINVAL);
	assert_int_equal(sync_handle(p.st[0], 0, (const uint8_t *)"", 0, &res), EBADMSG);
	/* A Sync without payload. */
	assert_int_equal(sync_handle(p.st[0], 0, (const uint8_t *)"\x08\x01", 2, &res),
	    EBADMSG);

	/* Header: wrong version, too short. */
	memcpy(pl, hdr, 10);
	pl[0] = 2;
	expect_bad(p.st[0], pl, 10);
	expect_bad(p.st[0], hdr, 9);
	/* An unknown flag bit; type 3. */
	memcpy(pl, hdr, 10);
	pl[10] = 0x20 | 0x08;
	expect_bad(p.st[0], pl, 11);
	pl[10] = 0x03 | 0x08;
	expect_bad(p.st[0], pl, 11);
	/* FP to the end with a truncated fingerprint. */
	pl[10] = 0x08;
	pl[11] = 5;
	pl[12] = 1;
	expect_bad(p.st[0], pl, 13);
	/* A LIST claiming 1000 hashes with 4 present. */
	pl[10] = 0x08 | 0x01;
	pl[11] = 0xe8;
	pl[12] = 0x07;
	memset(pl + 13, 0, 4);
	expect_bad(p.st[0], pl, 17);
	/* A count beyond 32 bits. */
	pl[10] = 0x08;
	memcpy(pl + 11, "\xff\xff\xff\xff\x7f", 5);
	memset(pl + 16, 0, 4);
	expect_bad(p.st[0], pl, 20);
	/* An item after the end of the key space. */
	pl[10] = 0x08;
	pl[11] = 0;
	memset(pl + 12, 0, 4);
	pl[16] = 0x08;
	pl[17] = 0;
	memset(pl + 18, 0, 4);
	expect_bad(p.st[0], pl, 22);
	/* An empty range: upper bound equal to the (empty) lower bound. */
	pl[10] = 0x00;
	pl[11] = 0x00;	/* shared 0, explicit length byte */
	pl[12] = 0x00;	/* 0 new bytes: the empty bound */
	pl[13] = 0;
	memset(pl + 14, 0, 4);
	expect_bad(p.st[0], pl, 18);
	/* A bound sharing more bytes than the previous bound has. */
	pl[10] = 0x00;
	pl[11] = 0x45;	/* shared 5 of an empty previous bound, 1 new byte */
	pl[12] = 0x10;
	expect_bad(p.st[0], pl, 18);
	/* Descending ranges: [.., 0x20) then a gap back to 0x10. */
	pl[10] = 0x00;
	pl[11] = 0x40;
	pl[12] = 0x20;
	pl[13] = 0;
	memset(pl + 14, 0, 4);
	pl[18] = 0x04 | 0x08;
	pl[19] = 0x40;
	pl[20] = 0x10;
	pl[21] = 0;
	memset(pl + 22, 0, 4);
	expect_bad(p.st[0], pl, 26);
	/* A bound longer than a key. */
	pl[10] = 0x00;
	pl[11] = 0x00;
	pl[12] = 41;
	memset(pl + 13, 0x33, 41);
	expect_bad(p.st[0], pl, 54);

	/* Random bytes, wrapped or not: errors, never a crash. */
	for (i = 0; i < 2000; i++) {
		n = 1 + randombytes_uniform(sizeof(junk));
		randombytes_buf(junk, n);
		if (i % 2) {
			junk[0] = 1;
			n = wrap(junk, n, buf, sizeof(buf));
			rc = sync_handle(p.st[0], 0, buf, n, &res);
		} else
			rc = sync_handle(p.st[0], 0, junk, n, &res);
		if (rc == 0)
			sync_result_clear(&res);
	}
	/* Mutations of a real exchange: each one handled or refused, never a crash. */
	assert_int_equal(sync_begin(p.st[1], 0, &msg, &len), 0);
	assert_int_equal(sync_handle(p.st[0], 0, msg, len, &res), 0);
	free(msg);
	assert_non_null(res.reply);
	for (i = 0; i < 3000; i++) {
		n = res.replylen;
		memcpy(buf, res.reply, n);
		buf[randombytes_uniform((uint32_t)n)] ^= (uint8_t)(1 + randombytes_uniform(255));
		if (i % 3 == 0)
			n = randombytes_uniform((uint32_t)n) + 1;
		rc = sync_handle(p.st[1], 0, buf, n, &r2);
		if (rc == 0)
			sync_result_clear(&r2);
		else
			assert_null(r2.reply);
	}
	sync_result_clear(&res);
	pair_close(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical),
		cmocka_unit_test(test_empty_side),
		cmocka_unit_test(test_disjoint),
		cmocka_unit_test(test_scattered),
		cmocka_unit_test(test_one_range),
		cmocka_unit_test(test_small_frames),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
