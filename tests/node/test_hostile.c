/*
 * test_hostile.c: hostile input against a whole node (node/peer.c,
 * gossip.c, trust.c), each case ending with the node still serving its other peers.
 *
 * One struct node per case with a real LMDB store in a temporary directory and the county
 * root as its trust anchor, built by the fixture it shares with test_trust.c (trustfix.c).
 * Three in-process peers are "up" without a socket: x is the hostile one, y a good
 * neighbour that sends, z a good neighbour that only listens. Their bytes enter through
 * peer_recv(), the function the loop calls for every frame read from a peer link (frame
 * rate limit, bounded decoding, dispatch, gossip_add), and gossip_commit() ends the pass
 * as node_step() would; what the node forwards lands in z's send queue.
 *
 * For each input the test checks: the reason it was refused, the counter an operator sees
 * in `fenghuo status`, that nothing was stored (nor forwarded), and that a valid warning
 * from y is stored and forwarded to z right after.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "node.h"
#include "trustfix.h"

#define HOUR_MS		(3600ULL * 1000)
#define FLOOD		100000

/* Start with the root as the only anchor (open: no policy) and add x, y and z. */
static void
start_hub(struct tf_env *e, int open)
{
	tf_start_hub(e, open, "", 3);
}

/* Hand raw frame bytes to the node as read from p's link, and end the loop pass. */
static void
recv_raw(struct tf_env *e, struct peer *p, const uint8_t *buf, size_t len)
{
	peer_recv(e->n, p, &p->in, buf, len);
	gossip_commit(e->n);
}

/* A PUSH frame carrying the given envelopes; *out malloc()ed. */
static void
push_frame(const uint8_t *const *envs, const size_t *lens, size_t n, uint8_t **out,
    size_t *outlen)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Push p = FENGHUO__PUSH__INIT;
	ProtobufCBinaryData bd[8];
	size_t i;

	assert_true(n <= 8);
	for (i = 0; i < n; i++) {
		bd[i].data = (uint8_t *)(uintptr_t)envs[i];
		bd[i].len = lens[i];
	}
	p.n_envelopes = n;
	p.envelopes = bd;
	f.msg_case = FENGHUO__FRAME__MSG_PUSH;
	f.push = &p;
	assert_int_equal(frame_pack(&f, out, outlen), 0);
}

/* p sends one envelope (any bytes) in a PUSH frame. */
static void
push_env(struct tf_env *e, struct peer *p, const uint8_t *env, size_t len)
{
	uint8_t *buf;
	size_t blen;

	push_frame(&env, &len, 1, &buf, &blen);
	recv_raw(e, p, buf, blen);
	free(buf);
}

static void
push1(struct tf_env *e, struct peer *p, const struct tf_msg *m)
{
	push_env(e, p, m->env, m->len);
}

/* Nothing of m reached the store or another peer's queue. */
static void
assert_dropped(struct tf_env *e, const struct tf_msg *m)
{
	assert_int_equal(store_has(e->n->store, m->id), 0);
	assert_false(tf_forwarded(e->y, m));
	assert_false(tf_forwarded(e->z, m));
}

/* y pushes a new valid warning by the issuer: stored, forwarded to z (and not to y). */
static void
still_serves(struct tf_env *e)
{
	char title[64];
	struct tf_msg w;
	uint64_t stored = e->n->stored;

	snprintf(title, sizeof(title), "still served %u", e->serial++);
	tf_warning(e, K_ISSUER, "330110109", title, &w);
	push1(e, e->y, &w);
	assert_int_equal(store_has(e->n->store, w.id), 1);
	assert_int_equal(e->n->stored, stored + 1);
	assert_true(tf_forwarded(e->z, &w));
	assert_false(tf_forwarded(e->y, &w));
	tf_msg_free(&w);
}

/*
 * The county as y brings it: root -> admin (admin, issuer over 330110) -> issuer
 * (issuer over 330110109). The issuer's warnings are what still_serves() sends.
 */
static void
county(struct tf_env *e)
{
	struct tf_msg m[2];
	int i;

	tf_county(e, &m[0]);
	tf_grant(e, K_ADMIN, K_ISSUER, FC_ROLE_BIT(FENGHUO__ROLE__ISSUER), "330110109", &m[1]);
	for (i = 0; i < 2; i++) {
		push1(e, e->y, &m[i]);
		assert_int_equal(store_has(e->n->store, m[i].id), 1);
		tf_msg_free(&m[i]);
	}
}

/* x pushes m (freed here); expect it rejected for validation reason: counted, not stored. */
static void
expect_invalid(struct tf_env *e, struct tf_msg *m, int reason)
{
	uint64_t before = e->n->rejected[reason], stored = e->n->stored;
	uint64_t held = tf_stats(e->n).held, pol = e->n->rejected[FC_R_POLICY];

	push1(e, e->x, m);
	assert_int_equal(e->n->rejected[reason], before + 1);
	assert_int_equal(e->n->rejected[FC_R_POLICY], pol);
	assert_int_equal(tf_stats(e->n).held, held);
	assert_int_equal(e->n->stored, stored);
	assert_dropped(e, m);
	tf_msg_free(m);
	still_serves(e);
}

/* x pushes m (freed here); expect a policy rejection for reason: counted, not stored. */
static void
expect_refused(struct tf_env *e, struct tf_msg *m, int reason)
{
	uint64_t before = e->n->policy_rejected[reason], stored = e->n->stored;
	uint64_t pol = e->n->rejected[FC_R_POLICY], held = tf_stats(e->n).held;

	push1(e, e->x, m);
	assert_int_equal(e->n->policy_rejected[reason], before + 1);
	assert_int_equal(e->n->rejected[FC_R_POLICY], pol + 1);
	assert_int_equal(tf_stats(e->n).held, held);
	assert_int_equal(e->n->stored, stored);
	assert_dropped(e, m);
	tf_msg_free(m);
	still_serves(e);
}

/* The first place s occurs in buf, or NULL. */
static uint8_t *
find(uint8_t *buf, size_t len, const char *s)
{
	size_t i, sl = strlen(s);

	for (i = 0; i + sl <= len; i++)
		if (memcmp(buf + i, s, sl) == 0)
			return buf + i;
	return NULL;
}

/*
 * Forged signatures: a certified issuer's warning with one signature bit flipped, one
 * whose body was changed after signing (the title), and a root certificate with a flipped
 * bit are all "bad-signature"; a forgery that comes first does not keep the genuine message
 * out, and the forged certificate grants nothing.
 */
static void
test_forged_signature(void **state)
{
	struct tf_env *e = *state;
	struct tf_msg w, g;
	uint8_t *p;

	start_hub(e, 0);
	county(e);
	tf_warning(e, K_ISSUER, "330110109", "forged", &g);
	w = g;
	assert_non_null(w.env = malloc(g.len));
	memcpy(w.env, g.env, g.len);
	w.env[w.len - 1] ^= 0x01;	/* the signature's last byte */
	assert_int_equal(fc_envelope_id(w.env, w.len, w.id), 0);
	expect_invalid(e, &w, FC_R_BAD_SIG);
	/* The forgery came first; the genuine message with the same id is not a duplicate. */
	push1(e, e->y, &g);
	assert_int_equal(store_has(e->n->store, g.id), 1);
	assert_true(tf_forwarded(e->z, &g));
	tf_msg_free(&g);

	tf_warning(e, K_ISSUER, "330110109", "all clear", &w);
	assert_non_null(p = find(w.env, w.len, "all clear"));
	memcpy(p, "ALL CLEAR", 9);	/* same length: the envelope still decodes */
	assert_int_equal(fc_envelope_id(w.env, w.len, w.id), 0);
	expect_invalid(e, &w, FC_R_BAD_SIG);

	/* A forged county certificate grants nothing: its subject's warning waits. */
	tf_grant(e, K_ROOT, K_OTHER, FC_ROLE_BIT(FENGHUO__ROLE__ADMIN) |
	    FC_ROLE_BIT(FENGHUO__ROLE__ISSUER), "330110", &w);
	w.env[w.len - 1] ^= 0x80;
	expect_invalid(e, &w, FC_R_BAD_SIG);
	assert_int_equal(fc_trust_grant_count(ingest_trust(e->n->ingest)), 2);
	tf_warning(e, K_OTHER, "330110", "by the forged admin", &w);
	push1(e, e->x, &w);
	assert_int_equal(tf_stats(e->n).held, 1);
	assert_dropped(e, &w);
	tf_msg_free(&w);
}

/*
 * A valid signature by a key nobody certified: held (counted), not stored, not forwarded,
 * not rejected; 24 hours on (CONF_HELD_TTL_MS) the node's timer drops it, and a
 * certificate for its author arriving after that brings nothing back.
 */
static void
test_uncertified(void **state)
{
	struct tf_env *e = *state;
	struct fc_held_stats hs;
	struct tf_msg w, c;
	uint64_t rej;
	int i;

	start_hub(e, 0);
	county(e);
	rej = e->n->rejected[FC_R_POLICY];
	tf_warning(e, K_OTHER, "330110109", "stranger", &w);
	push1(e, e->x, &w);
	assert_int_equal(tf_stats(e->n).held, 1);
	hs = tf_stats(e->n).mem;
	assert_int_equal(hs.count, 1);
	assert_int_equal(e->n->rejected[FC_R_POLICY], rej);
	assert_dropped(e, &w);
	still_serves(e);

	/* The same message again is held once, not twice. */
	push1(e, e->x, &w);
	hs = tf_stats(e->n).mem;
	assert_int_equal(hs.count, 1);

	/* Not yet expired an hour before the bound; gone after it. */
	trust_cron(e->n, now_wall() + CONF_HELD_TTL_MS - HOUR_MS);
	hs = tf_stats(e->n).mem;
	assert_int_equal(hs.count, 1);
	trust_cron(e->n, now_wall() + CONF_HELD_TTL_MS + 1);
	hs = tf_stats(e->n).mem;
	assert_int_equal(hs.count, 0);
	assert_int_equal(hs.expired, 1);
	assert_int_equal(hs.bytes, 0);

	/* Its author certified now: the expired message is not released. */
	tf_grant(e, K_ADMIN, K_OTHER, FC_ROLE_BIT(FENGHUO__ROLE__ISSUER), "330110109", &c);
	push1(e, e->y, &c);
	assert_int_equal(store_has(e->n->store, c.id), 1);
	assert_int_equal(store_has(e->n->store, w.id), 0);
	assert_false(tf_forwarded(e->z, &w));
	tf_msg_free(&c);
	tf_msg_free(&w);
	for (i = 0; i < 2; i++)
		still_serves(e);
}

/*
 * The policy cases sent as PUSH frames by x, with the node serving y after
 * each: a warning by a reporter-only key, an area outside the issuer's region, an expired
 * certificate, a revoked key, a certificate issued by a non-admin; and two neighbours of
 * the last, a grant wider than its admin's region and a revocation by a non-admin.
 */
static void
test_policy_over_frames(void **state)
{
	struct tf_env *e = *state;
	struct tf_msg m[4], w;
	uint64_t now = now_wall();
	int i;

	start_hub(e, 0);
	county(e);
	tf_policy_certs(e, m);
	for (i = 0; i < 4; i++) {
		push1(e, e->y, &m[i]);
		assert_int_equal(store_has(e->n->store, m[i].id), 1);
		tf_msg_free(&m[i]);
	}
	tf_revoke(e, K_ADMIN, K_REVOKED, now - 60 * 1000, &m[0]);
	push1(e, e->y, &m[0]);
	assert_int_equal(store_has(e->n->store, m[0].id), 1);
	tf_msg_free(&m[0]);

	tf_warning(e, K_REPORTER, "330110109201", "reporter warns", &w);
	expect_refused(e, &w, FC_POLICY_R_ROLE);
	tf_warning(e, K_ISSUER, "330110110", "next township", &w);
	expect_refused(e, &w, FC_POLICY_R_SCOPE);
	tf_warning(e, K_EXPIRED, "330110", "expired cert", &w);
	expect_refused(e, &w, FC_POLICY_R_CERT_EXPIRED);
	tf_warning(e, K_REVOKED, "330110", "after revocation", &w);
	expect_refused(e, &w, FC_POLICY_R_REVOKED);
	tf_grant(e, K_PLAIN, K_OTHER, FC_ROLE_BIT(FENGHUO__ROLE__ISSUER), "330110109", &w);
	expect_refused(e, &w, FC_POLICY_R_ROLE);
	/* An admin granting beyond its own region. */
	tf_grant(e, K_ADMIN, K_OTHER, FC_ROLE_BIT(FENGHUO__ROLE__ISSUER), "3301", &w);
	expect_refused(e, &w, FC_POLICY_R_SCOPE);
	/* A revocation by a non-admin: refused, and the issuer it names still speaks. */
	tf_revoke(e, K_PLAIN, K_ISSUER, now - 60 * 1000, &w);
	expect_refused(e, &w, FC_POLICY_R_ROLE);
	assert_int_equal(fc_trust_revocation_count(ingest_trust(e->n->ingest)), 1);
	/* The non-admin's grant did not count: its subject's warning waits, unstored. */
	tf_warning(e, K_OTHER, "330110109", "granted by a non-admin", &w);
	push1(e, e->x, &w);
	assert_dropped(e, &w);
	tf_msg_free(&w);
}

/*
 * A chain loop: A certifies B and B certifies A as admins, and no chain reaches the root.
 * Arriving by gossip, none of it is ever trusted: the two CERTs and B's warning are held
 * (not stored, not forwarded) and expire. A loop already in the store (recorded while the
 * node ran with open = yes) is loaded at start and B's warning is refused as "chain-loop".
 */
static void
test_chain_loop(void **state)
{
	struct tf_env *e = *state;
	const uint32_t admin = FC_ROLE_BIT(FENGHUO__ROLE__ADMIN) |
	    FC_ROLE_BIT(FENGHUO__ROLE__ISSUER);
	struct fc_held_stats hs;
	struct tf_msg ab, ba, w;

	start_hub(e, 0);
	county(e);
	tf_grant(e, K_LOOP_A, K_LOOP_B, admin, "330110", &ab);
	tf_grant(e, K_LOOP_B, K_LOOP_A, admin, "330110", &ba);
	tf_warning(e, K_LOOP_B, "330110", "loop warns", &w);
	push1(e, e->x, &ab);
	push1(e, e->x, &ba);
	push1(e, e->x, &w);
	assert_dropped(e, &ab);
	assert_dropped(e, &ba);
	assert_dropped(e, &w);
	assert_int_equal(tf_stats(e->n).held, 3);
	hs = tf_stats(e->n).mem;
	assert_int_equal(hs.count, 3);
	still_serves(e);
	trust_cron(e->n, now_wall() + CONF_HELD_TTL_MS + 1);
	hs = tf_stats(e->n).mem;
	assert_int_equal(hs.count, 0);
	still_serves(e);
	node_free(&e->n);

	/* The loop in the store: a node that once ran open. */
	e->sname = "open";
	start_hub(e, 1);
	push1(e, e->y, &ab);
	push1(e, e->y, &ba);
	assert_int_equal(store_has(e->n->store, ab.id), 1);
	assert_int_equal(store_has(e->n->store, ba.id), 1);
	node_free(&e->n);
	start_hub(e, 0);
	county(e);
	assert_int_equal(fc_trust_grant_count(ingest_trust(e->n->ingest)), 4);
	expect_refused(e, &w, FC_POLICY_R_LOOP);
	tf_msg_free(&ab);
	tf_msg_free(&ba);
}

/*
 * A message replayed after its expiry: a certified issuer's warning that expired an hour
 * ago is "expired", however valid its signature and its author's chain.
 */
static void
test_replay_expired(void **state)
{
	struct tf_env *e = *state;
	uint64_t now = now_wall();
	struct tf_msg w;

	start_hub(e, 0);
	county(e);
	tf_warning_at(e, K_ISSUER, "330110109", "yesterday's storm", now - 3 * HOUR_MS,
	    now - HOUR_MS, &w);
	expect_invalid(e, &w, FC_R_EXPIRED);
	/* Again, as a replaying peer would: refused and counted each time. */
	tf_warning_at(e, K_ISSUER, "330110109", "yesterday's storm", now - 3 * HOUR_MS,
	    now - HOUR_MS, &w);
	expect_invalid(e, &w, FC_R_EXPIRED);
}

/* x sends one frame; expect it dropped as garbage (counted), nothing stored. */
static void
expect_garbage(struct tf_env *e, const uint8_t *buf, size_t len)
{
	uint64_t g = e->x->garbage, stored = e->n->stored;

	recv_raw(e, e->x, buf, len);
	assert_int_equal(e->x->garbage, g + 1);
	assert_int_equal(e->n->stored, stored);
	assert_int_equal(ingest_pending(e->n->ingest), 0);
	still_serves(e);
}

/*
 * Frames that are not what they claim: garbage, a truncated PUSH, a frame larger than
 * WIRE_FRAME_MAX, an empty frame and frames of a type this protocol does not have (a
 * field number outside the oneof), a HAVE or WANT whose short ids end in a partial prefix:
 * each is dropped and counted against x, which stays up.
 * Envelopes that are truncated or oversize inside a well-formed PUSH are refused as
 * "decode" and "too-big".
 */
static void
test_bad_frames(void **state)
{
	struct tf_env *e = *state;
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff };
	static const uint8_t unknown_len[] = { 0x4a, 0x00 };	/* field 9, empty bytes */
	static const uint8_t unknown_varint[] = { 0x78, 0x01 };	/* field 15, varint 1 */
	static const uint8_t empty_push[] = { 0x12, 0x00 };	/* a PUSH with nothing */
	/* HAVE / WANT whose short_ids hold 7 bytes */
	static const uint8_t partial_have[] = { 0x1a, 0x09, 0x12, 0x07, 1, 2, 3, 4, 5, 6, 7 };
	static const uint8_t partial_want[] = { 0x22, 0x09, 0x12, 0x07, 1, 2, 3, 4, 5, 6, 7 };
	uint8_t *buf, *big;
	size_t blen, cut;
	struct tf_msg w;
	uint64_t rej;

	start_hub(e, 0);
	county(e);
	tf_warning(e, K_ISSUER, "330110109", "inside a truncated frame", &w);
	push_frame((const uint8_t *const *)&w.env, &w.len, 1, &buf, &blen);

	expect_garbage(e, garbage, sizeof(garbage));
	/* Truncated: every cut inside the envelope's bytes leaves a length field too long. */
	for (cut = blen - 1; cut > blen - 64; cut -= 21)
		expect_garbage(e, buf, cut);
	expect_garbage(e, buf, blen / 2);
	assert_dropped(e, &w);
	free(buf);
	/* Oversize: one byte over WIRE_FRAME_MAX, whatever it holds. */
	assert_non_null(big = calloc(1, WIRE_FRAME_MAX + 1));
	expect_garbage(e, big, WIRE_FRAME_MAX + 1);
	free(big);
	/* No type: an empty frame, and fields outside the oneof. */
	expect_garbage(e, (const uint8_t *)"", 0);
	expect_garbage(e, unknown_len, sizeof(unknown_len));
	expect_garbage(e, unknown_varint, sizeof(unknown_varint));
	/* Short ids (HAVE, WANT) that are not a whole number of 8-byte prefixes. */
	expect_garbage(e, partial_have, sizeof(partial_have));
	expect_garbage(e, partial_want, sizeof(partial_want));
	/* An empty PUSH is a valid frame: nothing to do, nothing counted. */
	rej = e->x->garbage;
	recv_raw(e, e->x, empty_push, sizeof(empty_push));
	assert_int_equal(e->x->garbage, rej);
	assert_true(peer_is_up(e->x));

	/* A truncated envelope inside a well-formed PUSH. */
	rej = e->n->rejected[FC_R_DECODE];
	push_env(e, e->x, w.env, w.len / 2);
	assert_int_equal(e->n->rejected[FC_R_DECODE], rej + 1);
	assert_dropped(e, &w);
	still_serves(e);
	/* An envelope over WIRE_ENVELOPE_MAX inside a frame under WIRE_FRAME_MAX. */
	rej = e->n->rejected[FC_R_TOO_BIG];
	assert_non_null(big = calloc(1, WIRE_ENVELOPE_MAX + 1));
	memcpy(big, w.env, w.len);
	push_env(e, e->x, big, WIRE_ENVELOPE_MAX + 1);
	free(big);
	assert_int_equal(e->n->rejected[FC_R_TOO_BIG], rej + 1);
	assert_dropped(e, &w);
	still_serves(e);
	/* x itself may still send a good message. */
	push1(e, e->x, &w);
	assert_int_equal(store_has(e->n->store, w.id), 1);
	assert_true(tf_forwarded(e->z, &w));
	tf_msg_free(&w);
}

/*
 * A peer that floods 100,000 junk frames: every one is dropped, counted either over its
 * frame rate or as garbage, nothing is stored, and y's message goes through at once.
 */
static void
test_flood(void **state)
{
	struct tf_env *e = *state;
	uint8_t junk[64];
	uint64_t stored;
	int i;

	start_hub(e, 0);
	county(e);
	stored = e->n->stored;
	for (i = 0; i < FLOOD; i++) {
		memset(junk, 0xff, sizeof(junk));
		memcpy(junk + 1, &i, sizeof(i));
		peer_recv(e->n, e->x, &e->x->in, junk, (size_t)(i % 60) + 1);
		if (i % NODE_READ_BUDGET == 0)
			gossip_commit(e->n);
	}
	gossip_commit(e->n);
	assert_int_equal(e->x->garbage + e->x->rate_dropped, FLOOD);
	assert_true(e->x->rate_dropped > 0);	/* the burst is 10000 frames */
	assert_int_equal(e->n->drop_peer_rate, e->x->rate_dropped);
	assert_int_equal(e->n->stored, stored);
	assert_int_equal(e->y->garbage + e->y->rate_dropped, 0);
	still_serves(e);
}

/*
 * A REVOKE of x's node key reaches the node from y while x's link is up: the link is closed
 * by the commit that stores the REVOKE (state "revoked", with the reason), x's queue is
 * dropped, a valid warning x relays afterwards is ignored, and y is served as before.
 */
static void
test_revoked_live_link(void **state)
{
	struct tf_env *e = *state;
	struct tf_msg grant, rev, w;
	uint64_t stored;

	start_hub(e, 0);
	county(e);
	/* x is the node K_REVOKED, certified as a node. */
	memcpy(e->x->key, fc_key_public(e->key[K_REVOKED]), FC_PUBLICKEYBYTES);
	tf_grant(e, K_ADMIN, K_REVOKED, FC_ROLE_BIT(FENGHUO__ROLE__NODE), "330110", &grant);
	push1(e, e->y, &grant);
	assert_int_equal(store_has(e->n->store, grant.id), 1);
	assert_string_equal(peer_state_name(e->x), "up");
	assert_int_equal(peer_queue_frame(e->x, PRIO_BULK, (const uint8_t *)"q", 1), 0);

	tf_revoke(e, K_ADMIN, K_REVOKED, now_wall() - 1000, &rev);
	push1(e, e->y, &rev);
	assert_int_equal(store_has(e->n->store, rev.id), 1);
	assert_string_equal(peer_state_name(e->x), "revoked");
	assert_int_equal(e->x->in.state, LINK_REFUSED);
	assert_string_equal(e->x->why, "revoked: a REVOKE withdrew its node key");
	assert_int_equal(e->x->q.n, 0);
	assert_int_equal(e->n->links_revoked, 1);
	assert_string_equal(peer_state_name(e->y), "up");

	/* What x still sends on the closed link is ignored, valid or not. */
	tf_warning(e, K_ISSUER, "330110109", "over a revoked link", &w);
	stored = e->n->stored;
	push1(e, e->x, &w);
	assert_int_equal(e->n->stored, stored);
	assert_dropped(e, &w);
	still_serves(e);
	tf_msg_free(&w);
	tf_msg_free(&rev);
	tf_msg_free(&grant);
}

/*
 * A REVOKE whose from time is still ahead when it is stored leaves the link up until then,
 * and closes it when that time comes (the timer looks again), without another REVOKE.
 */
static void
test_revoked_later(void **state)
{
	struct tf_env *e = *state;
	struct tf_msg grant, rev;
	uint64_t deadline;

	start_hub(e, 0);
	county(e);
	memcpy(e->x->key, fc_key_public(e->key[K_REVOKED]), FC_PUBLICKEYBYTES);
	tf_grant(e, K_ADMIN, K_REVOKED, FC_ROLE_BIT(FENGHUO__ROLE__NODE), "330110", &grant);
	push1(e, e->y, &grant);
	assert_string_equal(peer_state_name(e->x), "up");

	tf_revoke(e, K_ADMIN, K_REVOKED, now_wall() + 1500, &rev);
	push1(e, e->y, &rev);
	assert_int_equal(store_has(e->n->store, rev.id), 1);
	assert_string_equal(peer_state_name(e->x), "up");	/* not yet */
	/* The links' timer duty, run until the from time has come (the wall clock decides). */
	deadline = now_mono() + 30000;
	while (strcmp(peer_state_name(e->x), "revoked") != 0 && now_mono() < deadline) {
		e->n->curve_next_retry = 0;
		curve_cron(e->n, now_mono());
		if (strcmp(peer_state_name(e->x), "revoked") != 0)
			nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
	}
	assert_string_equal(peer_state_name(e->x), "revoked");
	assert_string_equal(e->x->why, "revoked: a REVOKE withdrew its node key");
	assert_int_equal(e->n->links_revoked, 1);
	still_serves(e);
	tf_msg_free(&rev);
	tf_msg_free(&grant);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_forged_signature, tf_setup, tf_teardown),
		cmocka_unit_test_setup_teardown(test_uncertified, tf_setup, tf_teardown),
		cmocka_unit_test_setup_teardown(test_policy_over_frames, tf_setup, tf_teardown),
		cmocka_unit_test_setup_teardown(test_chain_loop, tf_setup, tf_teardown),
		cmocka_unit_test_setup_teardown(test_replay_expired, tf_setup, tf_teardown),
		cmocka_unit_test_setup_teardown(test_bad_frames, tf_setup, tf_teardown),
		cmocka_unit_test_setup_teardown(test_flood, tf_setup, tf_teardown),
		cmocka_unit_test_setup_teardown(test_revoked_live_link, tf_setup, tf_teardown),
		cmocka_unit_test_setup_teardown(test_revoked_later, tf_setup, tf_teardown),
	};

	if (fc_init() != 0)
		return 1;
	log_init(getenv("FH_TEST_DEBUG") != NULL ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
