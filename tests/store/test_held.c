/*
 * test_held.c: the held area of a state directory (store/held.c): what is put is read back
 * byte for byte under its id with a plausible held time, a second put of the same id is
 * harmless, deletion is idempotent, files whose names are not ids (temporary files, strays)
 * and files too large for an envelope are skipped, a missing area is empty, and an empty or
 * oversized envelope is refused. The area is bounded: at STORE_HELD_MAX messages a new one is
 * refused (one held already is not), and a message held longer than STORE_HELD_TTL_MS is
 * removed by the walk without being shown.
 */
#include <sys/stat.h>
#include <sys/time.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "helper.h"
#include "store.h"
#include "wire.h"

struct seen {
	size_t		 n;
	uint8_t		 id[4][FC_IDBYTES];
	size_t		 len[4];
	uint64_t	 held_ms[4];
	const struct th_msg *want;
	int		 same;
};

static int
collect(void *arg, const uint8_t id[FC_IDBYTES], const uint8_t *env, size_t len,
    uint64_t held_ms)
{
	struct seen *s = arg;

	if (s->n == 4)
		return 1;
	memcpy(s->id[s->n], id, FC_IDBYTES);
	s->len[s->n] = len;
	s->held_ms[s->n] = held_ms;
	if (s->want != NULL && len == s->want->len && memcmp(env, s->want->env, len) == 0)
		s->same++;
	s->n++;
	return 0;
}

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
write_file(const char *dir, const char *name, size_t size)
{
	char path[1024];
	FILE *fp;
	size_t i;

	snprintf(path, sizeof(path), "%s/held/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	for (i = 0; i < size; i++)
		fputc('x', fp);
	fclose(fp);
}

static void
test_held(void **state)
{
	struct fc_key *key = NULL;
	struct th_msg m;
	struct seen s;
	char *dir, path[256], hex[FC_IDHEX];
	uint8_t big[WIRE_ENVELOPE_MAX + 1];
	uint8_t other[FC_IDBYTES];
	size_t count = SIZE_MAX;

	(void)state;
	assert_int_equal(fc_init(), 0);
	assert_int_equal(fc_key_generate(&key), 0);
	assert_non_null(dir = th_tmpdir());

	/* No held area yet: empty, not an error; deleting is fine. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_held_iter(dir, wall_ms(), collect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(store_held_del(dir, other), 0);

	assert_int_equal(th_report(key, 1790000000000ULL, "河水漫堤", "村口", &m), 0);
	assert_int_equal(store_held_put(dir, m.id, m.env, m.len, &count), 0);
	assert_int_equal(store_held_put(dir, m.id, m.env, m.len, &count), 0);	/* held already */
	assert_int_equal(store_held_put(dir, m.id, m.env, 0, &count), STORE_EINVAL);
	memset(big, 0, sizeof(big));
	memset(other, 0xab, sizeof(other));
	assert_int_equal(store_held_put(dir, other, big, sizeof(big), &count), STORE_EINVAL);

	/* Strays: a temporary file, a name that is no id, a file larger than an envelope. */
	write_file(dir, "junk", 10);
	snprintf(path, sizeof(path), "%s.tmp", fc_hex(other, FC_IDBYTES, hex));
	write_file(dir, path, 10);
	write_file(dir, fc_hex(other, FC_IDBYTES, hex), WIRE_ENVELOPE_MAX + 1);

	memset(&s, 0, sizeof(s));
	s.want = &m;
	assert_int_equal(store_held_iter(dir, wall_ms(), collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.same, 1);
	assert_memory_equal(s.id[0], m.id, FC_IDBYTES);
	assert_true(s.held_ms[0] > 1700000000000ULL);

	/* A callback's non-zero value stops the walk and is returned. */
	memset(&s, 0, sizeof(s));
	s.n = 4;
	assert_int_equal(store_held_iter(dir, wall_ms(), collect, &s), 1);

	assert_int_equal(store_held_del(dir, m.id), 0);
	assert_int_equal(store_held_del(dir, m.id), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_held_iter(dir, wall_ms(), collect, &s), 0);
	assert_int_equal(s.n, 0);

	/* Clean up the strays and the area (th_rmdir removes one level only). */
	snprintf(path, sizeof(path), "%s/held/junk", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/held/%s.tmp", dir, fc_hex(other, FC_IDBYTES, hex));
	unlink(path);
	snprintf(path, sizeof(path), "%s/held/%s", dir, hex);
	unlink(path);
	snprintf(path, sizeof(path), "%s/held", dir);
	assert_int_equal(rmdir(path), 0);
	th_msg_clear(&m);
	th_rmdir(dir);
	fc_key_free(&key);
}

/* Set the modification time (the held time) of id's file to when_ms. */
static void
set_held_time(const char *dir, const uint8_t *id, uint64_t when_ms)
{
	char path[1024], hex[FC_IDHEX];
	struct timeval tv[2];

	snprintf(path, sizeof(path), "%s/held/%s", dir, fc_hex(id, FC_IDBYTES, hex));
	tv[0].tv_sec = tv[1].tv_sec = (time_t)(when_ms / 1000);
	tv[0].tv_usec = tv[1].tv_usec = 0;
	assert_int_equal(utimes(path, tv), 0);
}

static void
test_held_bounds(void **state)
{
	struct fc_key *key = NULL;
	struct th_msg a, b, c;
	struct seen s;
	char *dir, name[FC_IDHEX], path[1024];
	uint8_t id[FC_IDBYTES];
	size_t count, i;
	uint64_t now = wall_ms();

	(void)state;
	assert_int_equal(fc_init(), 0);
	assert_int_equal(fc_key_generate(&key), 0);
	assert_non_null(dir = th_tmpdir());
	assert_int_equal(th_report(key, 1790000000000ULL, "河水漫堤", "村口", &a), 0);
	assert_int_equal(th_report(key, 1790000000001ULL, "山体滑坡", "村道", &b), 0);
	assert_int_equal(th_report(key, 1790000000002ULL, "道路中断", "桥头", &c), 0);

	/* Held for 31 days: removed by the walk, unseen; held for 29: still there. */
	count = SIZE_MAX;
	assert_int_equal(store_held_put(dir, a.id, a.env, a.len, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(store_held_put(dir, b.id, b.env, b.len, &count), 0);
	assert_int_equal(count, 2);
	set_held_time(dir, a.id, now - STORE_HELD_TTL_MS - 24 * 3600 * 1000ULL);
	set_held_time(dir, b.id, now - STORE_HELD_TTL_MS + 24 * 3600 * 1000ULL);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_held_iter(dir, now, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_memory_equal(s.id[0], b.id, FC_IDBYTES);
	assert_int_equal(store_held_count(dir, &count), 0);
	assert_int_equal(count, 1);

	/* Fill the area up to its bound with stand-ins (the count looks at names only). */
	memset(id, 0, sizeof(id));
	for (i = 1; i < STORE_HELD_MAX; i++) {
		id[0] = (uint8_t)(i >> 8);
		id[1] = (uint8_t)i;
		id[2] = 0xee;
		write_file(dir, fc_hex(id, FC_IDBYTES, name), 10);
	}
	assert_int_equal(store_held_count(dir, &count), 0);
	assert_int_equal(count, STORE_HELD_MAX);
	/* Full: a new message is refused and nothing is written; one held already is fine. */
	count = SIZE_MAX;
	assert_int_equal(store_held_put(dir, c.id, c.env, c.len, &count), STORE_EHELDFULL);
	assert_int_equal(count, STORE_HELD_MAX);
	snprintf(path, sizeof(path), "%s/held/%s", dir, fc_hex(c.id, FC_IDBYTES, name));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(store_held_put(dir, b.id, b.env, b.len, &count), 0);
	assert_non_null(strstr(store_strerror(STORE_EHELDFULL), "full"));
	/* The caller's count is trusted within a batch: below the bound, c goes in. */
	count = STORE_HELD_MAX - 1;
	assert_int_equal(store_held_put(dir, c.id, c.env, c.len, &count), 0);
	assert_int_equal(count, STORE_HELD_MAX);

	/* Clean up: every file, then the area. */
	for (i = 1; i < STORE_HELD_MAX; i++) {
		id[0] = (uint8_t)(i >> 8);
		id[1] = (uint8_t)i;
		id[2] = 0xee;
		snprintf(path, sizeof(path), "%s/held/%s", dir, fc_hex(id, FC_IDBYTES, name));
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(store_held_del(dir, b.id), 0);
	assert_int_equal(store_held_del(dir, c.id), 0);
	snprintf(path, sizeof(path), "%s/held", dir);
	assert_int_equal(rmdir(path), 0);
	th_msg_clear(&a);
	th_msg_clear(&b);
	th_msg_clear(&c);
	th_rmdir(dir);
	fc_key_free(&key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held),
		cmocka_unit_test(test_held_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
