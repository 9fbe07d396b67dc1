/*
 * test_held.c: the held area of a state directory (store/held.c): what is put is read back
 * byte for byte under its id with a plausible held time, a second put of the same id is
 * harmless, deletion is idempotent, files whose names are not ids (temporary files, strays)
 * and files too large for an envelope are skipped, a missing area is empty, and an empty or
 * oversized envelope is refused.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

	(void)state;
	assert_int_equal(fc_init(), 0);
	assert_int_equal(fc_key_generate(&key), 0);
	assert_non_null(dir = th_tmpdir());

	/* No held area yet: empty, not an error; deleting is fine. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_held_iter(dir, collect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(store_held_del(dir, other), 0);

	assert_int_equal(th_report(key, 1790000000000ULL, "河水漫堤", "村口", &m), 0);
	assert_int_equal(store_held_put(dir, m.id, m.env, m.len), 0);
	assert_int_equal(store_held_put(dir, m.id, m.env, m.len), 0);	/* held already */
	assert_int_equal(store_held_put(dir, m.id, m.env, 0), STORE_EINVAL);
	memset(big, 0, sizeof(big));
	memset(other, 0xab, sizeof(other));
	assert_int_equal(store_held_put(dir, other, big, sizeof(big)), STORE_EINVAL);

	/* Strays: a temporary file, a name that is no id, a file larger than an envelope. */
	write_file(dir, "junk", 10);
	snprintf(path, sizeof(path), "%s.tmp", fc_hex(other, FC_IDBYTES, hex));
	write_file(dir, path, 10);
	write_file(dir, fc_hex(other, FC_IDBYTES, hex), WIRE_ENVELOPE_MAX + 1);

	memset(&s, 0, sizeof(s));
	s.want = &m;
	assert_int_equal(store_held_iter(dir, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.same, 1);
	assert_memory_equal(s.id[0], m.id, FC_IDBYTES);
	assert_true(s.held_ms[0] > 1700000000000ULL);

	/* A callback's non-zero value stops the walk and is returned. */
	memset(&s, 0, sizeof(s));
	s.n = 4;
	assert_int_equal(store_held_iter(dir, collect, &s), 1);

	assert_int_equal(store_held_del(dir, m.id), 0);
	assert_int_equal(store_held_del(dir, m.id), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_held_iter(dir, collect, &s), 0);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
