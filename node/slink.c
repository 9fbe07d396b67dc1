/*
 * slink.c: authenticated sessions on stream links (docs/PROTOCOL.md §11, "Session
 * security"). ZeroMQ links have CurveZMQ; a radio channel, a serial line or a UDP path has
 * nothing, and anyone who can put bytes on it could inject control frames (HELLO, WANT,
 * SYNC, PING) or replay old ones. Messages are signed by their authors either way; this
 * protects the session that carries them.
 *
 * HELLO carries an ephemeral X25519 key (crypto_kx) signed with the node key: the connecting
 * side signs its own, the answering side signs its own together with the connecting side's,
 * so the answer is fresh and bound to this session. Both derive one key per direction
 * (crypto_kx_client/server_session_keys). Every other message is sealed: a counter and a
 * BLAKE2b-128 tag under the sender's direction key, checked against a 64-message replay
 * window. Frames are not encrypted (the mesh carries public warnings and reports; CurveZMQ
 * encrypts because it comes with it), only authenticated.
 *
 * All state is per link, owned by its struct link; secret keys are wiped when replaced.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node.h"

#define SLINK_CONTEXT		"fenghuo link hello v1"
#define SLINK_CONTEXT_LEN	(sizeof(SLINK_CONTEXT) - 1)
#define SLINK_WINDOW		64
/* What a HELLO signs: context, link_eph, link_peer_eph (or zeros), version, capabilities. */
#define SLINK_SIGNED_LEN	(SLINK_CONTEXT_LEN + 2 * crypto_kx_PUBLICKEYBYTES + 4 + 4)

struct slink {
	uint8_t		 eph_pk[crypto_kx_PUBLICKEYBYTES];	/* ours */
	uint8_t		 eph_sk[crypto_kx_SECRETKEYBYTES];
	int		 has_eph;
	uint8_t		 peer_eph[crypto_kx_PUBLICKEYBYTES];	/* the session's other end */
	int		 keyed;		/* rx/tx below are this session's */
	uint8_t		 rx[crypto_kx_SESSIONKEYBYTES];
	uint8_t		 tx[crypto_kx_SESSIONKEYBYTES];
	uint64_t	 tx_ctr;	/* last counter sent */
	uint64_t	 rx_top;	/* highest counter accepted */
	uint64_t	 rx_seen;	/* bit i: rx_top - i was accepted */
	uint64_t	 rx_ok_ms;	/* monotonic ms of the last sealed message accepted */
	uint8_t		 sig[crypto_sign_BYTES];	/* of our last HELLO fields */
	struct slink_stats st;
};

struct slink *
slink_new(void)
{
	struct slink *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	return s;
}

void
slink_free(struct slink **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	sodium_memzero(*sp, sizeof(**sp));
	free(*sp);
	*sp = NULL;
}

const struct slink_stats *
slink_stats(const struct slink *s)
{
	return &s->st;
}

int
slink_keyed(const struct slink *s)
{
	return s->keyed;
}

int
slink_alive(const struct slink *s, uint64_t now_ms)
{
	return s->keyed && now_ms - s->rx_ok_ms < SLINK_STICKY_MS;
}

void
slink_note_ignored(struct slink *s)
{
	s->st.hello_ignored++;
}

/* A new ephemeral key pair of ours; the session (if any) is over. */
static void
new_eph(struct slink *s)
{
	crypto_kx_keypair(s->eph_pk, s->eph_sk);
	s->has_eph = 1;
	s->keyed = 0;
	sodium_memzero(s->rx, sizeof(s->rx));
	sodium_memzero(s->tx, sizeof(s->tx));
}

/*
 * What a HELLO signs: context || the signer's ephemeral key || the other's (or zeros) ||
 * protocol_version || capabilities (each u32 BE, 0 when absent): every field a receiver acts
 * on, so that a stranger cannot replay a HELLO of the session with other capabilities.
 */
static void
signed_bytes(const uint8_t *eph, const uint8_t *peer_eph, const Fenghuo__Hello *h,
    uint8_t out[SLINK_SIGNED_LEN])
{
	static const uint8_t zero[crypto_kx_PUBLICKEYBYTES];
	uint8_t *p = out;

	memcpy(p, SLINK_CONTEXT, SLINK_CONTEXT_LEN);
	p += SLINK_CONTEXT_LEN;
	memcpy(p, eph, crypto_kx_PUBLICKEYBYTES);
	p += crypto_kx_PUBLICKEYBYTES;
	memcpy(p, peer_eph != NULL ? peer_eph : zero, crypto_kx_PUBLICKEYBYTES);
	p += crypto_kx_PUBLICKEYBYTES;
	wire_put_be32(p, h->has_protocol_version ? h->protocol_version : 0);
	wire_put_be32(p + 4, h->has_capabilities ? h->capabilities : 0);
}

/* A new session: counters from the start, the replay window empty. */
static void
session_start(struct slink *s, uint64_t now_ms)
{
	s->keyed = 1;
	s->tx_ctr = 0;
	s->rx_top = 0;
	s->rx_seen = 0;
	s->rx_ok_ms = now_ms;
	s->st.sessions++;
}

void
slink_hello_out(struct slink *s, const struct fc_key *key, int connecting, Fenghuo__Hello *h)
{
	uint8_t m[SLINK_SIGNED_LEN];

	if (!s->has_eph)
		new_eph(s);
	/* The answering side signs the connecting side's key with its own: a fresh answer. */
	signed_bytes(s->eph_pk, connecting ? NULL : s->peer_eph, h, m);
	fc_sign(key, m, sizeof(m), s->sig);
	h->has_link_eph = 1;
	h->link_eph.data = s->eph_pk;
	h->link_eph.len = sizeof(s->eph_pk);
	if (!connecting) {
		h->has_link_peer_eph = 1;
		h->link_peer_eph.data = s->peer_eph;
		h->link_peer_eph.len = sizeof(s->peer_eph);
	}
	h->has_link_sig = 1;
	h->link_sig.data = s->sig;
	h->link_sig.len = sizeof(s->sig);
}

int
slink_hello_in(struct slink *s, int connecting, const uint8_t peer_key[FC_PUBLICKEYBYTES],
    const Fenghuo__Hello *h, uint64_t now_ms)
{
	uint8_t m[SLINK_SIGNED_LEN];
	const uint8_t *peer_eph = NULL;

	if (!h->has_link_eph || h->link_eph.len != crypto_kx_PUBLICKEYBYTES ||
	    !h->has_link_sig || h->link_sig.len != crypto_sign_BYTES)
		goto bad;
	if (connecting) {
		/* The answer must name our current key: anything else is stale or replayed. */
		if (!s->has_eph || !h->has_link_peer_eph ||
		    h->link_peer_eph.len != crypto_kx_PUBLICKEYBYTES ||
		    memcmp(h->link_peer_eph.data, s->eph_pk, crypto_kx_PUBLICKEYBYTES) != 0)
			goto bad;
		peer_eph = s->eph_pk;
	}
	signed_bytes(h->link_eph.data, peer_eph, h, m);
	if (crypto_sign_verify_detached(h->link_sig.data, m, sizeof(m), peer_key) != 0)
		goto bad;
	if (s->keyed && memcmp(h->link_eph.data, s->peer_eph, crypto_kx_PUBLICKEYBYTES) == 0)
		return 0;	/* the session we have: a repeat, or capabilities */
	if (!connecting && slink_alive(s, now_ms)) {
		/*
		 * A HELLO with another key while this session is alive: an old HELLO replayed
		 * (it verifies, but whoever sends it has no secret for its key), or the other
		 * end restarted, whose old session then falls silent. Only the second survives
		 * the wait.
		 */
		s->st.hello_ignored++;
		return -1;
	}
	memcpy(s->peer_eph, h->link_eph.data, crypto_kx_PUBLICKEYBYTES);
	if (connecting) {
		if (crypto_kx_client_session_keys(s->rx, s->tx, s->eph_pk, s->eph_sk,
		    s->peer_eph) != 0)
			goto bad;
	} else {
		new_eph(s);	/* a new session, a new key of ours */
		if (crypto_kx_server_session_keys(s->rx, s->tx, s->eph_pk, s->eph_sk,
		    s->peer_eph) != 0)
			goto bad;
	}
	session_start(s, now_ms);
	return 0;
bad:
	s->st.hello_bad++;
	return -1;
}

/* The tag of kind || counter || frame under key. */
static void
tag_of(const uint8_t *key, const uint8_t *msg, size_t len, uint8_t tag[SLINK_TAGBYTES])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, key, crypto_kx_SESSIONKEYBYTES, SLINK_TAGBYTES);
	crypto_generichash_update(&h, msg, len);
	crypto_generichash_final(&h, tag, SLINK_TAGBYTES);
}

int
slink_wrap(struct slink *s, int hello, const uint8_t *frame, size_t len, uint8_t **out,
    size_t *outlen)
{
	uint8_t *m;
	size_t n;

	if (hello) {
		if ((m = malloc(1 + len)) == NULL)
			return ENOMEM;
		m[0] = SLINK_KIND_HELLO;
		memcpy(m + 1, frame, len);
		*out = m;
		*outlen = 1 + len;
		return 0;
	}
	if (!s->keyed) {
		s->st.unsent++;
		return EAGAIN;	/* no session yet: nothing but HELLO may go */
	}
	n = 1 + 8 + len + SLINK_TAGBYTES;
	if ((m = malloc(n)) == NULL)
		return ENOMEM;
	m[0] = SLINK_KIND_SEALED;
	wire_put_be64(m + 1, ++s->tx_ctr);
	memcpy(m + 9, frame, len);
	tag_of(s->tx, m, 9 + len, m + 9 + len);
	*out = m;
	*outlen = n;
	return 0;
}

/* Accept counter c into the replay window (the tag has been checked). 0, or -1: seen. */
static int
window_take(struct slink *s, uint64_t c)
{
	uint64_t off;

	if (c == 0)
		return -1;
	if (c > s->rx_top) {
		off = c - s->rx_top;
		s->rx_seen = off >= SLINK_WINDOW ? 0 : s->rx_seen << off;
		s->rx_seen |= 1;
		s->rx_top = c;
		return 0;
	}
	off = s->rx_top - c;
	if (off >= SLINK_WINDOW || (s->rx_seen & ((uint64_t)1 << off)))
		return -1;
	s->rx_seen |= (uint64_t)1 << off;
	return 0;
}

int
slink_unwrap(struct slink *s, const uint8_t *msg, size_t len, const uint8_t **frame,
    size_t *flen, uint64_t now_ms)
{
	uint8_t tag[SLINK_TAGBYTES];

	if (len < 1)
		goto bad;
	if (msg[0] == SLINK_KIND_HELLO) {
		*frame = msg + 1;
		*flen = len - 1;
		return SLINK_KIND_HELLO;
	}
	if (msg[0] != SLINK_KIND_SEALED || len < 1 + 8 + SLINK_TAGBYTES)
		goto bad;
	if (!s->keyed) {
		s->st.unkeyed++;
		return -1;
	}
	tag_of(s->rx, msg, len - SLINK_TAGBYTES, tag);
	if (crypto_verify_16(tag, msg + len - SLINK_TAGBYTES) != 0) {
		s->st.bad_tag++;
		return -1;
	}
	if (window_take(s, wire_get_be64(msg + 1)) != 0) {
		s->st.replayed++;
		return -1;
	}
	s->rx_ok_ms = now_ms;
	*frame = msg + 9;
	*flen = len - 9 - SLINK_TAGBYTES;
	return SLINK_KIND_SEALED;
bad:
	s->st.malformed++;
	return -1;
}
