/*
 * tkey.c: the node's transport key, a Curve25519 key pair for CurveZMQ (DESIGN decision 11).
 *
 * It is separate from the Ed25519 signing key (key.c) and never derived from it or to it:
 * the signing key makes statements that last (messages, certificates), the transport key
 * only encrypts and authenticates links, and each can be replaced without the other. The
 * node's CERT binds the two (Cert.transport_key), and the ZAP handler (node/zap.c) admits a
 * link only for a transport key bound that way (or listed in the config for bootstrap).
 *
 * crypto_box_keypair() makes the same kind of key as zmq_curve_keypair() (CurveZMQ is built
 * on crypto_box, Curve25519 + XSalsa20/Poly1305), and zmq_setsockopt() takes the 32 binary
 * bytes for ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SECRETKEY and ZMQ_CURVE_SERVERKEY, so no Z85
 * text is needed anywhere. crypto/ itself never calls ZeroMQ.
 *
 * Transport key file format (version 1), 69 bytes, no text:
 *
 *	offset	size	content
 *	0	4	magic "FHTK" (0x46 0x48 0x54 0x4b: fenghuo transport key)
 *	4	1	format version, 0x01
 *	5	32	Curve25519 secret key
 *	37	32	Curve25519 public key (crypto_scalarmult_base of the secret key)
 *
 * The file follows the rules of the signing key file (keyfile.c): created 0600 with O_EXCL,
 * fsync()ed with its directory, refused when group or others can access it, when its size,
 * magic or version is wrong, or when the public half does not belong to the secret half.
 * The different magic keeps one kind of key file from being loaded as the other (both are
 * 69 bytes long). `tail -c 32 FILE | xxd -p -c 32` prints the public key.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"
#include "keyfile.h"

#define TKEYFILE_MAGIC		"FHTK"
#define TKEYFILE_MAGICLEN	4
#define TKEYFILE_VERSION	1
#define TKEYFILE_HDRLEN		(TKEYFILE_MAGICLEN + 1)
#define TKEYFILE_LEN		(TKEYFILE_HDRLEN + 2 * FC_TKEYBYTES)

struct fc_tkey {
	uint8_t	 pk[FC_TKEYBYTES];
	uint8_t	*sk;	/* FC_TKEYBYTES in sodium_malloc() memory, read-only once set */
};

/* Make sure the libsodium and CurveZMQ constants agree with ours at compile time. */
_Static_assert(crypto_box_PUBLICKEYBYTES == FC_TKEYBYTES, "Curve25519 public key size");
_Static_assert(crypto_box_SECRETKEYBYTES == FC_TKEYBYTES, "Curve25519 secret key size");
_Static_assert(crypto_scalarmult_BYTES == FC_TKEYBYTES, "Curve25519 point size");

static struct fc_tkey *
tkey_alloc(void)
{
	struct fc_tkey *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	if ((k->sk = sodium_malloc(FC_TKEYBYTES)) == NULL) {
		free(k);
		return NULL;
	}
	return k;
}

void
fc_tkey_free(struct fc_tkey **key)
{
	if (key == NULL || *key == NULL)
		return;
	sodium_free((*key)->sk);	/* wipes it */
	free(*key);
	*key = NULL;
}

int
fc_tkey_generate(struct fc_tkey **out)
{
	struct fc_tkey *k;

	*out = NULL;
	if ((k = tkey_alloc()) == NULL)
		return FC_ENOMEM;
	if (crypto_box_keypair(k->pk, k->sk) != 0) {
		fc_tkey_free(&k);
		return FC_EINIT;
	}
	sodium_mprotect_readonly(k->sk);
	*out = k;
	return 0;
}

int
fc_tkey_from_secret(const uint8_t secret[FC_TKEYBYTES], struct fc_tkey **out)
{
	struct fc_tkey *k;

	*out = NULL;
	if ((k = tkey_alloc()) == NULL)
		return FC_ENOMEM;
	memcpy(k->sk, secret, FC_TKEYBYTES);
	/* Fails only for a secret that gives the all-zero point; no such key is usable. */
	if (crypto_scalarmult_base(k->pk, k->sk) != 0) {
		fc_tkey_free(&k);
		return FC_EKEYFMT;
	}
	sodium_mprotect_readonly(k->sk);
	*out = k;
	return 0;
}

const uint8_t *
fc_tkey_public(const struct fc_tkey *key)
{
	return key->pk;
}

const uint8_t *
fc_tkey_secret(const struct fc_tkey *key)
{
	return key->sk;
}

int
fc_tkey_load(const char *path, struct fc_tkey **out)
{
	uint8_t *buf;
	int rc;

	*out = NULL;
	if ((buf = sodium_malloc(TKEYFILE_LEN)) == NULL)
		return FC_ENOMEM;
	if ((rc = keyfile_read(path, buf, TKEYFILE_LEN)) != 0)
		goto out;
	if (memcmp(buf, TKEYFILE_MAGIC, TKEYFILE_MAGICLEN) != 0 ||
	    buf[TKEYFILE_MAGICLEN] != TKEYFILE_VERSION) {
		rc = FC_EKEYFMT;
		goto out;
	}
	if ((rc = fc_tkey_from_secret(buf + TKEYFILE_HDRLEN, out)) != 0)
		goto out;
	/* The stored public half must be the one the secret gives. */
	if (sodium_memcmp((*out)->pk, buf + TKEYFILE_HDRLEN + FC_TKEYBYTES,
	    FC_TKEYBYTES) != 0) {
		fc_tkey_free(out);
		rc = FC_EKEYFMT;
	}
out:
	sodium_free(buf);
	return rc;
}

int
fc_tkey_save(const struct fc_tkey *key, const char *path)
{
	uint8_t *buf;
	int rc;

	if ((buf = sodium_malloc(TKEYFILE_LEN)) == NULL)
		return FC_ENOMEM;
	memcpy(buf, TKEYFILE_MAGIC, TKEYFILE_MAGICLEN);
	buf[TKEYFILE_MAGICLEN] = TKEYFILE_VERSION;
	memcpy(buf + TKEYFILE_HDRLEN, key->sk, FC_TKEYBYTES);
	memcpy(buf + TKEYFILE_HDRLEN + FC_TKEYBYTES, key->pk, FC_TKEYBYTES);
	rc = keyfile_write(path, buf, TKEYFILE_LEN);
	sodium_free(buf);
	return rc;
}

int
fc_tkey_load_or_create(const char *path, struct fc_tkey **out, int *created)
{
	int rc;

	if (created != NULL)
		*created = 0;
	if ((rc = fc_tkey_load(path, out)) != ENOENT)
		return rc;
	if ((rc = fc_tkey_generate(out)) != 0)
		return rc;
	if ((rc = fc_tkey_save(*out, path)) != 0) {
		fc_tkey_free(out);
		return rc;
	}
	if (created != NULL)
		*created = 1;
	return 0;
}
