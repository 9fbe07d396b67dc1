/*
 * sign.c: signature verification, message ids and envelopes.
 *
 * fc_envelope_id() is the hot path of "dedupe before verify" (DESIGN decision 6): every
 * message a node receives, duplicates included, passes through it before anything else. It
 * therefore walks the protobuf wire format of Envelope by hand instead of calling
 * protobuf-c (which would allocate and copy), and hashes the body in place.
 * Signing itself is in key.c, the only file that sees secret keys.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"

/*
 * One of the two globals of crypto/ (the other is the verify cache below): a process-wide
 * count of signature checks. It exists so that tests and benchmarks can assert that a
 * duplicate costs no verification. It carries no state that affects behaviour, and it is
 * atomic so that it stays correct if a future worker thread verifies signatures (DESIGN
 * decision 13).
 */
static _Atomic uint64_t verify_calls;

uint64_t
fc_verify_count(void)
{
	return atomic_load_explicit(&verify_calls, memory_order_relaxed);
}

/*
 * The signatures found valid, when a process asks for it (fc_verify_cache_enable): a
 * long-running reader such as the duty board validates the same stored messages again on
 * every request, and the signature check is nearly all of that cost. A slot holds a 256-bit
 * BLAKE2b of key, signature and message: a hit means these exact bytes verified before.
 * Direct-mapped: a collision only evicts, and only successes are kept, so a bad signature is
 * always checked again. The node itself never enables it (one check per new message).
 */
#define VCACHE_KEYBYTES	32	/* whole BLAKE2b-256: no birthday bound to think about */
struct vcache {
	size_t	 mask;
	uint8_t	 slot[][VCACHE_KEYBYTES];
};
/*
 * Published once, never freed: a process that never enables it pays one atomic load per
 * check and never touches the lock, which guards only the slots.
 */
static _Atomic(struct vcache *) vcache;
static pthread_mutex_t vcache_lock = PTHREAD_MUTEX_INITIALIZER;

int
fc_verify_cache_enable(size_t slots)
{
	struct vcache *c;
	size_t n = 1;
	int rc = 0;

	while (n < slots && n < ((size_t)1 << 24))
		n <<= 1;
	pthread_mutex_lock(&vcache_lock);
	if (atomic_load_explicit(&vcache, memory_order_relaxed) == NULL) {
		if ((c = calloc(1, sizeof(*c) + n * VCACHE_KEYBYTES)) == NULL)
			rc = -1;
		else {
			c->mask = n - 1;
			atomic_store_explicit(&vcache, c, memory_order_release);
		}
	}
	pthread_mutex_unlock(&vcache_lock);
	return rc;
}

static void
vcache_key(const uint8_t pk[FC_PUBLICKEYBYTES], const uint8_t *msg, size_t len,
    const uint8_t sig[FC_SIGBYTES], uint8_t key[VCACHE_KEYBYTES])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, VCACHE_KEYBYTES);
	crypto_generichash_update(&h, pk, FC_PUBLICKEYBYTES);
	crypto_generichash_update(&h, sig, FC_SIGBYTES);
	crypto_generichash_update(&h, msg, len);
	crypto_generichash_final(&h, key, VCACHE_KEYBYTES);
}

int
fc_verify(const uint8_t pk[FC_PUBLICKEYBYTES], const uint8_t *msg, size_t len,
    const uint8_t sig[FC_SIGBYTES])
{
	struct vcache *c = atomic_load_explicit(&vcache, memory_order_acquire);
	uint8_t key[VCACHE_KEYBYTES];
	size_t slot = 0;
	int hit;

	if (c != NULL) {
		vcache_key(pk, msg, len, sig, key);
		memcpy(&slot, key, sizeof(slot));
		slot &= c->mask;
		pthread_mutex_lock(&vcache_lock);
		hit = memcmp(c->slot[slot], key, VCACHE_KEYBYTES) == 0;
		pthread_mutex_unlock(&vcache_lock);
		if (hit)
			return 0;
	}
	atomic_fetch_add_explicit(&verify_calls, 1, memory_order_relaxed);
	/*
	 * libsodium rejects non-canonical S (S >= L), small-order and non-canonical public
	 * keys and small-order R: one message has one valid signature per key, so nobody can
	 * mint a second envelope of a body that looks different but verifies.
	 */
	if (crypto_sign_verify_detached(sig, msg, len, pk) != 0)
		return -1;
	if (c != NULL) {
		pthread_mutex_lock(&vcache_lock);
		memcpy(c->slot[slot], key, VCACHE_KEYBYTES);
		pthread_mutex_unlock(&vcache_lock);
	}
	return 0;
}

void
fc_msg_id(const uint8_t *body, size_t len, uint8_t id[FC_IDBYTES])
{
	crypto_generichash(id, FC_IDBYTES, body, len, NULL, 0);
}

int
fc_memeq_ct(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0 ? 0 : -1;
}

/*
 * Read a base-128 varint at *p (at most 10 bytes, not past end). Returns 0 and advances *p,
 * or -1 if it is truncated or longer than 64 bits.
 */
static int
varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;
	uint64_t x = 0;
	unsigned shift;

	for (shift = 0; shift < 64; shift += 7) {
		if (q == end)
			return -1;
		x |= (uint64_t)(*q & 0x7f) << shift;
		if ((*q++ & 0x80) == 0) {
			/* The tenth byte may only carry the top bit of a 64-bit value. */
			if (shift == 63 && q[-1] > 1)
				return -1;
			*v = x;
			*p = q;
			return 0;
		}
	}
	return -1;
}

int
fc_envelope_split(const uint8_t *env, size_t len, const uint8_t **bodyp, size_t *bodylenp,
    const uint8_t **sigp, size_t *siglenp)
{
	const uint8_t *p = env, *end, *body = NULL, *sig = NULL;
	uint64_t key, n;
	size_t bodylen = 0, siglen = 0;
	uint32_t field;

	*bodyp = NULL;
	*bodylenp = 0;
	*sigp = NULL;
	*siglenp = 0;
	if (len > WIRE_ENVELOPE_MAX)
		return FC_R_TOO_BIG;
	if (env == NULL || len == 0)
		return FC_R_DECODE;
	end = env + len;
	while (p < end) {
		if (varint_get(&p, end, &key) != 0)
			return FC_R_DECODE;
		/* Field 0 and numbers above 2^29-1 are invalid in protobuf. */
		if ((key >> 3) == 0 || (key >> 3) > 0x1fffffff)
			return FC_R_DECODE;
		field = (uint32_t)(key >> 3);
		/* body and sig are bytes: length-delimited, as protobuf-c also demands. */
		if ((field == 1 || field == 2) && (key & 7) != 2)
			return FC_R_DECODE;
		switch (key & 7) {
		case 0:		/* varint */
			if (varint_get(&p, end, &n) != 0)
				return FC_R_DECODE;
			break;
		case 1:		/* fixed64 */
			if ((size_t)(end - p) < 8)
				return FC_R_DECODE;
			p += 8;
			break;
		case 2:		/* length-delimited */
			if (varint_get(&p, end, &n) != 0 || n > (uint64_t)(end - p))
				return FC_R_DECODE;
			/*
			 * protobuf says the last body wins; we refuse a repeated body or sig
			 * instead, so that this parser and protobuf-c can never disagree.
			 */
			if (field == 1) {
				if (body != NULL)
					return FC_R_DECODE;
				body = p;
				bodylen = (size_t)n;
			} else if (field == 2) {
				if (sig != NULL)
					return FC_R_DECODE;
				sig = p;
				siglen = (size_t)n;
			}
			p += n;
			break;
		case 5:		/* fixed32 */
			if ((size_t)(end - p) < 4)
				return FC_R_DECODE;
			p += 4;
			break;
		default:	/* groups (3, 4) and the unused 6, 7: never valid here */
			return FC_R_DECODE;
		}
	}
	/* An empty body can never validate; it has no id worth remembering. */
	if (body == NULL || bodylen == 0)
		return FC_R_DECODE;
	*bodyp = body;
	*bodylenp = bodylen;
	*sigp = sig;
	*siglenp = siglen;
	return 0;
}

int
fc_envelope_id(const uint8_t *env, size_t len, uint8_t id[FC_IDBYTES])
{
	const uint8_t *body, *sig;
	size_t bodylen, siglen;
	int rc;

	if ((rc = fc_envelope_split(env, len, &body, &bodylen, &sig, &siglen)) != 0)
		return rc;
	fc_msg_id(body, bodylen, id);
	return 0;
}

int
fc_envelope_seal(const struct fc_key *key, const uint8_t *body, size_t bodylen,
    uint8_t **out, size_t *outlen)
{
	Fenghuo__Envelope env = FENGHUO__ENVELOPE__INIT;
	uint8_t sig[FC_SIGBYTES];
	uint8_t *buf;
	size_t n;

	*out = NULL;
	*outlen = 0;
	if (bodylen > WIRE_ENVELOPE_MAX)
		return FC_R_TOO_BIG;	/* before signing: also keeps sizes below overflow */
	env.has_body = 1;
	env.body.data = (uint8_t *)(uintptr_t)body;	/* protobuf-c's type is not const */
	env.body.len = bodylen;
	env.has_sig = 1;
	env.sig.data = sig;
	env.sig.len = sizeof(sig);
	n = fenghuo__envelope__get_packed_size(&env);
	if (n > WIRE_ENVELOPE_MAX)
		return FC_R_TOO_BIG;
	fc_sign(key, body, bodylen, sig);
	if ((buf = malloc(n)) == NULL)
		return FC_ENOMEM;
	if (fenghuo__envelope__pack(&env, buf) != n) {
		free(buf);	/* cannot happen: protobuf-c packs what it measured */
		return FC_ENOMEM;
	}
	*out = buf;
	*outlen = n;
	return 0;
}
