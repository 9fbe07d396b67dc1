/*
 * test_backup.c: store_backup and store_restore (store/backup.c) against real LMDB. A backup
 * holds every message of the store byte for byte with its seen record (first seen, from,
 * hops), says what it holds (count and digest, equal to the store's), replaces an older
 * backup at the same path whole and leaves no .tmp; a restore makes a store with the same
 * records and digest; restoring into a directory that holds a store, or from a file that is
 * no store, fails with its reason and creates nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helper.h"
#include "store.h"
#include "ingest.h"

#define NOW	1763899200000ULL	/* a fixed clock: 2025-11-23 12:00 UTC */
#define MIN	60000ULL
#define NMSG	40

struct fx {
	char		*dir;		/* the store */
	char		*out;		/* backups and restored stores */
	struct store	*st;
	struct fc_key	*key;
	struct th_msg	 m[NMSG];
	char		 file[512];	/* out/node.store */
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(fc_init(), 0);
	assert_non_null(fx->dir = th_tmpdir());
	assert_non_null(fx->out = th_tmpdir());
	assert_int_equal(fc_key_generate(&fx->key), 0);
	assert_int_equal(store_open(fx->dir, 0, &fx->st), 0);
	snprintf(fx->file, sizeof(fx->file), "%s/node.store", fx->out);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	size_t i;

	for (i = 0; i < NMSG; i++)
		th_msg_clear(&fx->m[i]);
	store_close(&fx->st);
	fc_key_free(&fx->key);
	th_rmdir(fx->dir);
	th_rmdir(fx->out);
	free(fx);
	return 0;
}

/* Messages first..last-1, each from a peer of its own after i % 5 hops, seen at NOW + i s. */
static void
fill(struct fx *fx, size_t first, size_t last)
{
	struct ingest_put p;
	uint8_t from[FC_PUBLICKEYBYTES];
	char title[32];
	size_t i;

	for (i = first; i < last; i++) {
		snprintf(title, sizeof(title), "report %zu", i);
		assert_int_equal(th_report(fx->key, NOW - 10 * MIN + i, title, "", &fx->m[i]), 0);
		memset(from, (int)i, sizeof(from));
		memset(&p, 0, sizeof(p));
		p.env = fx->m[i].env;
		p.len = fx->m[i].len;
		p.from = i % 2 ? from : NULL;
		p.hops = (uint32_t)(i % 5);
		assert_int_equal(ingest_put_open(fx->st, &p, 1, NOW + i * 1000), 0);
		assert_int_equal(p.status, INGEST_NEW);
	}
}

/* Every message 0..n-1 is in st exactly as fx->st has it: envelope and seen record. */
static void
same_records(struct fx *fx, struct store *st, size_t n)
{
	struct store_msg a, b;
	size_t i;

	for (i = 0; i < n; i++) {
		assert_int_equal(store_get(fx->st, fx->m[i].id, &a), 0);
		assert_int_equal(store_get(st, fx->m[i].id, &b), 0);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(a.env, b.env, a.len);
		assert_int_equal(b.seen.first_seen_ms, NOW + i * 1000);
		assert_int_equal(a.seen.first_seen_ms, b.seen.first_seen_ms);
		assert_int_equal(a.seen.time_ms, b.seen.time_ms);
		assert_int_equal(b.seen.hops, i % 5);
		assert_int_equal(b.seen.has_from, (int)(i % 2));
		assert_memory_equal(a.seen.from, b.seen.from, sizeof(a.seen.from));
		store_msg_clear(&a);
		store_msg_clear(&b);
	}
}

static void
test_backup_restore(void **state)
{
	struct fx *fx = *state;
	struct store_backup_info info, again;
	struct store *st = NULL;
	uint8_t digest[32];
	uint64_t count;
	char dir[600], tmp[600];
	struct stat sb;

	fill(fx, 0, NMSG / 2);
	assert_int_equal(store_backup(fx->st, fx->file, &info), 0);
	assert_int_equal(info.messages, NMSG / 2);
	assert_int_equal(store_digest(fx->st, digest), 0);
	assert_memory_equal(info.digest, digest, sizeof(digest));
	snprintf(tmp, sizeof(tmp), "%s.tmp", fx->file);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(stat(fx->file, &sb), 0);
	assert_int_equal(sb.st_mode & 077, 0);	/* the messages are the node's: 0600 */

	/* More messages, the backup again at the same path: replaced whole. */
	fill(fx, NMSG / 2, NMSG);
	assert_int_equal(store_backup(fx->st, fx->file, &info), 0);
	assert_int_equal(info.messages, NMSG);
	assert_int_equal(store_digest(fx->st, digest), 0);
	assert_memory_equal(info.digest, digest, sizeof(digest));
	assert_int_equal(store_backup_info(fx->file, &again), 0);
	assert_memory_equal(&again, &info, sizeof(info));

	/* Restored: the same records, count and digest. */
	snprintf(dir, sizeof(dir), "%s/restored", fx->out);
	assert_int_equal(mkdir(dir, 0700), 0);
	memset(&again, 0, sizeof(again));
	assert_int_equal(store_restore(fx->file, dir, &again), 0);
	assert_memory_equal(&again, &info, sizeof(info));
	assert_int_equal(store_open(dir, 0, &st), 0);
	assert_int_equal(store_count(st, &count), 0);
	assert_int_equal(count, NMSG);
	assert_int_equal(store_digest(st, digest), 0);
	assert_memory_equal(info.digest, digest, sizeof(digest));
	same_records(fx, st, NMSG);
	store_close(&st);
}

static void
test_restore_refuses(void **state)
{
	struct fx *fx = *state;
	struct store_backup_info info;
	char dir[600], path[700], junk[600];
	int fd;

	fill(fx, 0, 3);
	assert_int_equal(store_backup(fx->st, fx->file, &info), 0);
	/* A directory that holds a store. */
	assert_int_equal(store_restore(fx->file, fx->dir, &info), EEXIST);

	/* A file that is no store, and one that is missing: nothing created. */
	snprintf(junk, sizeof(junk), "%s/junk", fx->out);
	assert_true((fd = open(junk, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	assert_int_equal(write(fd, "[node]\nname = x\n", 16), 16);
	close(fd);
	snprintf(dir, sizeof(dir), "%s/empty", fx->out);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(store_backup_info(junk, &info), STORE_ENOTSTORE);
	assert_int_equal(store_restore(junk, dir, &info), STORE_ENOTSTORE);
	snprintf(path, sizeof(path), "%s/missing", fx->out);
	assert_int_equal(store_restore(path, dir, &info), ENOENT);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/data.mdb.restore", dir);
	assert_int_equal(access(path, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_backup_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_refuses, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
