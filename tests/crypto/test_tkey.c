/*
 * test_tkey.c: unit tests of the transport key (crypto/tkey.c) and the shared key file
 * rules (crypto/keyfile.c).
 *
 * The transport key must be a Curve25519 pair that crypto_box (and so CurveZMQ) accepts, must
 * have nothing to do with the signing key, and its file must be refused in every way the
 * signing key file is: group/world access, wrong size, magic or version, a public half not
 * belonging to the secret, a symbolic link, and a signing key file of the same length.
 * Files live in a fresh mkdtemp() directory that each test removes.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
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
#include <sodium.h>

#include "crypto.h"

struct tmp {
	char	dir[64];
	char	path[PATH_MAX];		/* dir/transport.key */
	char	other[PATH_MAX];	/* dir/other */
};

static int
tmp_setup(void **state)
{
	struct tmp *t;

	if (fc_init() != 0)
		return -1;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	strcpy(t->dir, "/tmp/fh-tkey.XXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "%s/transport.key", t->dir);
	snprintf(t->other, sizeof(t->other), "%s/other", t->dir);
	*state = t;
	return 0;
}

static int
tmp_teardown(void **state)
{
	struct tmp *t = *state;

	unlink(t->path);
	unlink(t->other);
	rmdir(t->dir);
	free(t);
	return 0;
}

static void
write_file(const char *path, const uint8_t *buf, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static size_t
read_file(const char *path, uint8_t *buf, size_t max)
{
	ssize_t	n;
	int	fd;

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, max);
	assert_true(n >= 0);
	close(fd);
	return (size_t)n;
}

/* Two generated pairs can talk through crypto_box: they are real Curve25519 keys. */
static void
test_generate_box(void **state)
{
	struct fc_tkey	*a = NULL, *b = NULL, *a2 = NULL;
	uint8_t		 nonce[crypto_box_NONCEBYTES];
	uint8_t		 c[crypto_box_MACBYTES + 5], m[5];

	(void)state;
	assert_int_equal(fc_tkey_generate(&a), 0);
	assert_int_equal(fc_tkey_generate(&b), 0);
	assert_memory_not_equal(fc_tkey_public(a), fc_tkey_public(b), FC_TKEYBYTES);

	randombytes_buf(nonce, sizeof(nonce));
	assert_int_equal(crypto_box_easy(c, (const uint8_t *)"hello", 5, nonce,
	    fc_tkey_public(b), fc_tkey_secret(a)), 0);
	assert_int_equal(crypto_box_open_easy(m, c, sizeof(c), nonce, fc_tkey_public(a),
	    fc_tkey_secret(b)), 0);
	assert_memory_equal(m, "hello", 5);

	/* The public key is a function of the secret alone. */
	assert_int_equal(fc_tkey_from_secret(fc_tkey_secret(a), &a2), 0);
	assert_memory_equal(fc_tkey_public(a2), fc_tkey_public(a), FC_TKEYBYTES);
	fc_tkey_free(&a);
	fc_tkey_free(&b);
	fc_tkey_free(&a2);
	assert_null(a);
	fc_tkey_free(&a);	/* NULL is fine */
}

/* RFC 7748 section 6.1: Alice's secret gives Alice's public key. */
static void
test_rfc7748(void **state)
{
	static const char *sk_hex =
	    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
	static const char *pk_hex =
	    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
	struct fc_tkey	*k = NULL;
	uint8_t		 sk[32], pk[32];

	(void)state;
	assert_int_equal(fc_unhex(sk_hex, sk, 32), 0);
	assert_int_equal(fc_unhex(pk_hex, pk, 32), 0);
	assert_int_equal(fc_tkey_from_secret(sk, &k), 0);
	assert_memory_equal(fc_tkey_public(k), pk, 32);
	fc_tkey_free(&k);
}

static void
test_file_roundtrip(void **state)
{
	struct tmp	*t = *state;
	struct fc_tkey	*key = NULL, *loaded = NULL;
	struct stat	 st;
	uint8_t		 buf[80];
	int		 created = -1;

	assert_int_equal(fc_tkey_generate(&key), 0);
	assert_int_equal(fc_tkey_save(key, t->path), 0);
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 69);
	/* Layout: magic, version, secret, public (the public key is the file's tail). */
	assert_int_equal(read_file(t->path, buf, sizeof(buf)), 69);
	assert_memory_equal(buf, "FHTK\x01", 5);
	assert_memory_equal(buf + 5, fc_tkey_secret(key), 32);
	assert_memory_equal(buf + 37, fc_tkey_public(key), 32);

	assert_int_equal(fc_tkey_load(t->path, &loaded), 0);
	assert_memory_equal(fc_tkey_public(loaded), fc_tkey_public(key), 32);
	assert_memory_equal(fc_tkey_secret(loaded), fc_tkey_secret(key), 32);
	fc_tkey_free(&loaded);

	/* Never overwrite an existing key. */
	assert_int_equal(fc_tkey_save(key, t->path), EEXIST);
	/* load_or_create loads what is there. */
	assert_int_equal(fc_tkey_load_or_create(t->path, &loaded, &created), 0);
	assert_int_equal(created, 0);
	assert_memory_equal(fc_tkey_public(loaded), fc_tkey_public(key), 32);
	fc_tkey_free(&loaded);

	/* ...and creates a new one, 0600, when nothing is there. */
	unlink(t->path);
	assert_int_equal(fc_tkey_load(t->path, &loaded), ENOENT);
	assert_null(loaded);
	assert_int_equal(fc_tkey_load_or_create(t->path, &loaded, &created), 0);
	assert_int_equal(created, 1);
	assert_memory_not_equal(fc_tkey_public(loaded), fc_tkey_public(key), 32);
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	fc_tkey_free(&key);
	assert_int_equal(fc_tkey_load(t->path, &key), 0);
	assert_memory_equal(fc_tkey_public(loaded), fc_tkey_public(key), 32);
	fc_tkey_free(&key);
	fc_tkey_free(&loaded);
}

static void
test_file_refuses(void **state)
{
	struct tmp	*t = *state;
	struct fc_tkey	*key = NULL, *loaded = NULL;
	struct fc_key	*skey = NULL;
	uint8_t		 good[80], bad[80];
	size_t		 n;

	assert_int_equal(fc_tkey_generate(&key), 0);
	assert_int_equal(fc_tkey_save(key, t->path), 0);
	n = read_file(t->path, good, sizeof(good));
	assert_int_equal(n, 69);

	/* Accessible by group or others: refused, whatever the content. */
	assert_int_equal(chmod(t->path, 0644), 0);
	assert_int_equal(fc_tkey_load(t->path, &loaded), FC_EKEYPERM);
	assert_int_equal(chmod(t->path, 0640), 0);
	assert_int_equal(fc_tkey_load(t->path, &loaded), FC_EKEYPERM);
	assert_int_equal(chmod(t->path, 0602), 0);
	assert_int_equal(fc_tkey_load(t->path, &loaded), FC_EKEYPERM);
	assert_null(loaded);
	/* load_or_create does not replace a refused file either. */
	assert_int_equal(fc_tkey_load_or_create(t->path, &loaded, NULL), FC_EKEYPERM);
	assert_null(loaded);

	/* Wrong magic, wrong version, short, long, empty. */
	memcpy(bad, good, n);
	bad[2] = 'S';
	write_file(t->path, bad, n, 0600);
	assert_int_equal(fc_tkey_load(t->path, &loaded), FC_EKEYFMT);
	memcpy(bad, good, n);
	bad[4] = 2;
	write_file(t->path, bad, n, 0600);
	assert_int_equal(fc_tkey_load(t->path, &loaded), FC_EKEYFMT);
	write_file(t->path, good, n - 1, 0600);
	assert_int_equal(fc_tkey_load(t->path, &loaded), FC_EKEYFMT);
	memcpy(bad, good, n);
	bad[n] = 0;
	write_file(t->path, bad, n + 1, 0600);
	assert_int_equal(fc_tkey_load(t->path, &loaded), FC_EKEYFMT);
	write_file(t->path, good, 0, 0600);
	assert_int_equal(fc_tkey_load(t->path, &loaded), FC_EKEYFMT);
	/* Public half not the secret's: corrupt. */
	memcpy(bad, good, n);
	bad[n - 1] ^= 0x01;
	write_file(t->path, bad, n, 0600);
	assert_int_equal(fc_tkey_load(t->path, &loaded), FC_EKEYFMT);
	assert_null(loaded);

	/* A signing key file has the same length but is not a transport key, and back. */
	assert_int_equal(fc_key_generate(&skey), 0);
	unlink(t->other);
	assert_int_equal(fc_key_save(skey, t->other), 0);
	assert_int_equal(fc_tkey_load(t->other, &loaded), FC_EKEYFMT);
	fc_key_free(&skey);
	write_file(t->path, good, n, 0600);
	assert_int_equal(fc_key_load(t->path, &skey), FC_EKEYFMT);
	assert_null(skey);

	/* A symbolic link is not followed, even to a good file. */
	unlink(t->other);
	assert_int_equal(symlink(t->path, t->other), 0);
	assert_int_not_equal(fc_tkey_load(t->other, &loaded), 0);
	assert_null(loaded);
	/* ...nor written through. */
	assert_int_not_equal(fc_tkey_save(key, t->other), 0);
	unlink(t->other);

	/* A directory is not a key file. */
	assert_int_equal(fc_tkey_load(t->dir, &loaded), FC_EKEYFMT);

	/* The good bytes, rewritten by hand, load again. */
	write_file(t->path, good, n, 0600);
	assert_int_equal(fc_tkey_load(t->path, &loaded), 0);
	assert_memory_equal(fc_tkey_public(loaded), fc_tkey_public(key), 32);
	fc_tkey_free(&loaded);
	fc_tkey_free(&key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_generate_box, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_rfc7748, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_file_roundtrip, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_file_refuses, tmp_setup, tmp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
