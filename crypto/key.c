/*
 * key.c: Ed25519 key pairs, their key files, signing, library start-up and error strings.
 *
 * Key file format (version 1), 69 bytes, no text, no trailing newline:
 *
 *	offset	size	content
 *	0	4	magic "FHSK" (0x46 0x48 0x53 0x4b: fenghuo secret key)
 *	4	1	format version, 0x01
 *	5	64	libsodium Ed25519 secret key: 32-byte seed || 32-byte public key
 *
 * The file is created with open(O_CREAT | O_EXCL, 0600), so an existing key is never
 * overwritten, and is fsync()ed together with its directory before fc_key_save() returns.
 * A loader refuses a file that group or others may access at all ((st_mode & 077) != 0,
 * like ssh does), a file of any other size, magic or version, and a file whose public half
 * does not belong to its seed (a corrupted or hand-edited file). The public key of a node is
 * the last 32 bytes of the file, so `tail -c 32 KEYFILE | xxd -p -c 32` prints it.
 *
 * The file handling itself (permissions, O_EXCL, fsync) is shared with the transport key
 * file and lives in keyfile.c.
 *
 * Secret material lives only in sodium_malloc() memory (guard pages, locked, wiped by
 * sodium_free()); the public half is copied into the plain struct for cheap access.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"
#include "keyfile.h"

#define KEYFILE_MAGIC	"FHSK"
#define KEYFILE_MAGICLEN 4
#define KEYFILE_VERSION	1
#define KEYFILE_HDRLEN	(KEYFILE_MAGICLEN + 1)
#define KEYFILE_LEN	(KEYFILE_HDRLEN + crypto_sign_SECRETKEYBYTES)

struct fc_key {
	uint8_t	 pk[FC_PUBLICKEYBYTES];
	uint8_t	*sk;	/* crypto_sign_SECRETKEYBYTES in sodium_malloc() memory */
};

int
fc_init(void)
{
	/* sodium_init() returns 1 when it already ran: that is success too. */
	if (sodium_init() < 0)
		return FC_EINIT;
	return 0;
}

const char *
fc_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case FC_EINIT:
		return "libsodium failed to initialise";
	case FC_EKEYPERM:
		return "key file is accessible by group or others (chmod 600 it)";
	case FC_EKEYFMT:
		return "not a fenghuo key file (wrong size, magic, version or key pair)";
	case FC_EHEX:
		return "not a hex string of the expected length";
	case FC_ENOMEM:
		return "out of memory";
	case FC_EANCHORS:
		return "malformed anchors file";
	}
	if (err > 0)
		return strerror(err);
	return "unknown error";
}

/* A key with its secret buffer allocated, not yet filled. */
static struct fc_key *
key_alloc(void)
{
	struct fc_key *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	if ((k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL) {
		free(k);
		return NULL;
	}
	return k;
}

void
fc_key_free(struct fc_key **key)
{
	if (key == NULL || *key == NULL)
		return;
	sodium_free((*key)->sk);	/* wipes it */
	free(*key);
	*key = NULL;
}

int
fc_key_generate(struct fc_key **out)
{
	struct fc_key *k;

	*out = NULL;
	if ((k = key_alloc()) == NULL)
		return FC_ENOMEM;
	if (crypto_sign_keypair(k->pk, k->sk) != 0) {
		fc_key_free(&k);
		return FC_EINIT;
	}
	sodium_mprotect_readonly(k->sk);
	*out = k;
	return 0;
}

int
fc_key_from_seed(const uint8_t seed[FC_SEEDBYTES], struct fc_key **out)
{
	struct fc_key *k;

	*out = NULL;
	if ((k = key_alloc()) == NULL)
		return FC_ENOMEM;
	if (crypto_sign_seed_keypair(k->pk, k->sk, seed) != 0) {
		fc_key_free(&k);
		return FC_EINIT;
	}
	sodium_mprotect_readonly(k->sk);
	*out = k;
	return 0;
}

const uint8_t *
fc_key_public(const struct fc_key *key)
{
	return key->pk;
}

/*
 * Signing lives here rather than in sign.c so that the secret half never leaves this file:
 * no accessor for it exists.
 */
void
fc_sign(const struct fc_key *key, const uint8_t *msg, size_t len, uint8_t sig[FC_SIGBYTES])
{
	/* Cannot fail for a well-formed key; libsodium documents it as always returning 0. */
	(void)crypto_sign_detached(sig, NULL, msg, len, key->sk);
}

int
fc_key_load(const char *path, struct fc_key **out)
{
	struct fc_key *k = NULL;
	uint8_t *buf = NULL, *seed = NULL;
	uint8_t pk[FC_PUBLICKEYBYTES];
	int rc;

	*out = NULL;
	if ((buf = sodium_malloc(KEYFILE_LEN)) == NULL ||
	    (seed = sodium_malloc(crypto_sign_SEEDBYTES)) == NULL ||
	    (k = key_alloc()) == NULL) {
		rc = FC_ENOMEM;
		goto err;
	}
	/* Permissions, size and symbolic links are checked there (keyfile.c). */
	if ((rc = keyfile_read(path, buf, KEYFILE_LEN)) != 0)
		goto err;
	if (memcmp(buf, KEYFILE_MAGIC, KEYFILE_MAGICLEN) != 0 ||
	    buf[KEYFILE_MAGICLEN] != KEYFILE_VERSION) {
		rc = FC_EKEYFMT;
		goto err;
	}
	/* Re-derive the pair from the seed: the stored public half must match it. */
	crypto_sign_ed25519_sk_to_seed(seed, buf + KEYFILE_HDRLEN);
	if (crypto_sign_seed_keypair(pk, k->sk, seed) != 0) {
		rc = FC_EKEYFMT;
		goto err;
	}
	if (sodium_memcmp(pk, buf + KEYFILE_HDRLEN + crypto_sign_SEEDBYTES,
	    FC_PUBLICKEYBYTES) != 0) {
		rc = FC_EKEYFMT;
		goto err;
	}
	memcpy(k->pk, pk, sizeof(pk));
	sodium_mprotect_readonly(k->sk);
	*out = k;
	k = NULL;
	rc = 0;
err:
	fc_key_free(&k);
	sodium_free(buf);
	sodium_free(seed);
	return rc;
}

int
fc_key_save(const struct fc_key *key, const char *path)
{
	uint8_t *buf;
	int rc;

	if ((buf = sodium_malloc(KEYFILE_LEN)) == NULL)
		return FC_ENOMEM;
	memcpy(buf, KEYFILE_MAGIC, KEYFILE_MAGICLEN);
	buf[KEYFILE_MAGICLEN] = KEYFILE_VERSION;
	memcpy(buf + KEYFILE_HDRLEN, key->sk, crypto_sign_SECRETKEYBYTES);
	/* 0600, O_EXCL, no links, fsync()ed with its directory (keyfile.c). */
	rc = keyfile_write(path, buf, KEYFILE_LEN);
	sodium_free(buf);
	return rc;
}
