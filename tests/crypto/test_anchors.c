/*
 * test_anchors.c: unit tests of the anchors-file reader (crypto/anchors.c), the one reader
 * fenghuod and the CLI share: keys and their names from a good file, duplicates skipped,
 * a bad line refused with its line number and nothing appended, a missing file meaning no
 * anchors, a file that cannot be read. Files live in a fresh mkdtemp() directory that each
 * test removes.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto.h"

#define KEY1	"1111111111111111111111111111111111111111111111111111111111111111"
#define KEY2	"ABCDEFabcdef0123456789abcdef0123456789abcdef0123456789abcdef0123"

struct tmp {
	char			  dir[64];
	char			  path[PATH_MAX];	/* dir/anchors */
	uint8_t			(*keys)[FC_PUBLICKEYBYTES];
	char			**names;
	size_t			  n;
	char			  err[FC_ANCHORS_ERRMAX];
};

static int
tmp_setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/fh-anchors-XXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "%s/anchors", t->dir);
	*state = t;
	return 0;
}

static int
tmp_teardown(void **state)
{
	struct tmp *t = *state;
	size_t i;

	unlink(t->path);
	rmdir(t->dir);
	for (i = 0; t->names != NULL && i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->keys);
	free(t);
	return 0;
}

static void
write_text(const char *path, const char *text)
{
	FILE *fp;

	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void
key_of(const char *hex, uint8_t key[FC_PUBLICKEYBYTES])
{
	assert_int_equal(fc_unhex(hex, key, FC_PUBLICKEYBYTES), 0);
}

static int
read_anchors(struct tmp *t, int with_names)
{
	return fc_anchors_read(t->path, &t->keys, with_names ? &t->names : NULL, &t->n, t->err,
	    sizeof(t->err));
}

static void
test_good_file(void **state)
{
	struct tmp *t = *state;
	uint8_t k1[FC_PUBLICKEYBYTES], k2[FC_PUBLICKEYBYTES];

	key_of(KEY1, k1);
	key_of(KEY2, k2);
	/* Comments, blanks, a named key, an unnamed one, the first again, no final newline. */
	write_text(t->path, "# Trust anchors of fenghuo\n\n   \n"
	    KEY1 "  # 县应急管理局 root \n"
	    "\t" KEY2 "\t\n"
	    KEY1 " # again\n"
	    "# end");
	assert_int_equal(read_anchors(t, 1), 0);
	assert_string_equal(t->err, "");
	assert_int_equal(t->n, 2);
	assert_memory_equal(t->keys[0], k1, FC_PUBLICKEYBYTES);
	assert_string_equal(t->names[0], "县应急管理局 root");
	assert_memory_equal(t->keys[1], k2, FC_PUBLICKEYBYTES);
	assert_null(t->names[1]);
}

/* fenghuod's way: names not kept, appended to the keys of its config, those skipped. */
static void
test_appends_without_names(void **state)
{
	struct tmp *t = *state;
	uint8_t k1[FC_PUBLICKEYBYTES], k2[FC_PUBLICKEYBYTES];

	key_of(KEY1, k1);
	key_of(KEY2, k2);
	assert_non_null(t->keys = calloc(1, sizeof(*t->keys)));
	memcpy(t->keys[0], k2, FC_PUBLICKEYBYTES);
	t->n = 1;
	write_text(t->path, KEY1 " # root\n" KEY2 "\n");
	assert_int_equal(read_anchors(t, 0), 0);
	assert_int_equal(t->n, 2);
	assert_memory_equal(t->keys[0], k2, FC_PUBLICKEYBYTES);
	assert_memory_equal(t->keys[1], k1, FC_PUBLICKEYBYTES);
	assert_null(t->names);
}

static void
test_bad_line_has_its_number(void **state)
{
	struct tmp *t = *state;
	char want[sizeof(t->path) + 128];

	write_text(t->path, "# comment\n" KEY1 " # root\n\n" KEY2 "x\n" KEY2 "\n");
	assert_int_equal(read_anchors(t, 1), FC_EANCHORS);
	snprintf(want, sizeof(want), "%s:4: not a public key (64 hex digits): %sx", t->path,
	    KEY2);
	assert_string_equal(t->err, want);
	/* Nothing half-read: the good key of line 2 was not kept. */
	assert_int_equal(t->n, 0);
	assert_string_equal(fc_strerror(FC_EANCHORS), "malformed anchors file");

	/* A short key, on line 1 this time. */
	write_text(t->path, "abcdef # too short\n");
	assert_int_equal(read_anchors(t, 1), FC_EANCHORS);
	snprintf(want, sizeof(want), "%s:1: not a public key (64 hex digits): abcdef",
	    t->path);
	assert_string_equal(t->err, want);
	assert_int_equal(t->n, 0);
}

static void
test_line_too_long(void **state)
{
	struct tmp *t = *state;
	char line[FC_ANCHORS_LINE_MAX + 8], want[sizeof(t->path) + 64];
	FILE *fp;

	/* A comment of exactly FC_ANCHORS_LINE_MAX bytes is fine... */
	memset(line, 'x', sizeof(line));
	line[0] = '#';
	line[FC_ANCHORS_LINE_MAX] = '\0';
	assert_non_null(fp = fopen(t->path, "w"));
	fprintf(fp, "%s\n" KEY1 "\n", line);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(read_anchors(t, 1), 0);
	assert_int_equal(t->n, 1);

	/* ...one byte more is refused, on its line. */
	line[FC_ANCHORS_LINE_MAX] = 'x';
	line[FC_ANCHORS_LINE_MAX + 1] = '\0';
	assert_non_null(fp = fopen(t->path, "w"));
	fprintf(fp, KEY2 "\n%s\n", line);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(read_anchors(t, 1), FC_EANCHORS);
	snprintf(want, sizeof(want), "%s:2: line too long", t->path);
	assert_string_equal(t->err, want);
	assert_int_equal(t->n, 1);	/* KEY2 of line 1 not appended */
}

static void
test_missing_file_is_no_anchors(void **state)
{
	struct tmp *t = *state;

	snprintf(t->err, sizeof(t->err), "stale");
	assert_int_equal(read_anchors(t, 1), 0);
	assert_int_equal(t->n, 0);
	assert_string_equal(t->err, "");
}

static void
test_unreadable(void **state)
{
	struct tmp *t = *state;
	char want[sizeof(t->path) + 64];
	int rc;

	/* A directory opens but cannot be read. */
	assert_int_equal(mkdir(t->path, 0700), 0);
	rc = read_anchors(t, 1);
	rmdir(t->path);
	assert_int_equal(rc, EISDIR);
	snprintf(want, sizeof(want), "%s: %s", t->path, strerror(EISDIR));
	assert_string_equal(t->err, want);
	assert_int_equal(t->n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, tmp_setup, tmp_teardown)
		T(test_good_file),
		T(test_appends_without_names),
		T(test_bad_line_has_its_number),
		T(test_line_too_long),
		T(test_missing_file_is_no_anchors),
		T(test_unreadable),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
