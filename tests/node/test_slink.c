/*
 * test_slink.c: the session security of stream links (node/slink.c, PROTOCOL.md §11): the
 * HELLO exchange keys a session only with the configured keys' signatures and a fresh
 * answer; sealed messages pass only unaltered, once, under that session; what a stranger on
 * the channel can send (forged, replayed, stale, unsealed) is refused and counted.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node.h"

#define NOW	1000000ULL	/* monotonic ms; any value */

struct end {
	struct fc_key	*key;
	struct slink	*s;
	int		 connecting;
};

struct fx {
	struct end	 c;	/* the connecting side (lower key) */
	struct end	 a;	/* the answering side */
	struct fc_key	*stranger;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(fc_key_generate(&f->c.key), 0);
	assert_int_equal(fc_key_generate(&f->a.key), 0);
	assert_int_equal(fc_key_generate(&f->stranger), 0);
	assert_non_null(f->c.s = slink_new());
	assert_non_null(f->a.s = slink_new());
	f->c.connecting = 1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	slink_free(&f->c.s);
	slink_free(&f->a.s);
	assert_null(f->c.s);
	fc_key_free(&f->c.key);
	fc_key_free(&f->a.key);
	fc_key_free(&f->stranger);
	free(f);
	return 0;
}

/*
 * The HELLO end e would send now, signed with key (normally e's own), as it arrives:
 * decoded from the wire. Free with fenghuo__hello__free_unpacked.
 */
static Fenghuo__Hello *
hello_of(struct end *e, const struct fc_key *key)
{
	Fenghuo__Hello h = FENGHUO__HELLO__INIT;
	Fenghuo__Hello *out;
	uint8_t buf[512];
	size_t len;

	slink_hello_out(e->s, key, e->connecting, &h);
	h.has_node_key = 1;
	h.node_key.data = (uint8_t *)(uintptr_t)fc_key_public(key);
	h.node_key.len = FC_PUBLICKEYBYTES;
	len = fenghuo__hello__pack(&h, buf);
	assert_non_null(out = fenghuo__hello__unpack(NULL, len, buf));
	return out;
}

/* from's HELLO to `to`, checked against the configured key of from; returns the verdict. */
static int
deliver_hello(struct end *from, struct end *to, uint64_t now)
{
	Fenghuo__Hello *h = hello_of(from, from->key);
	int rc = slink_hello_in(to->s, to->connecting, fc_key_public(from->key), h, now);

	fenghuo__hello__free_unpacked(h, NULL);
	return rc;
}

/* The full exchange: C speaks, A answers, both keyed. */
static void
handshake(struct fx *f, uint64_t now)
{
	assert_int_equal(deliver_hello(&f->c, &f->a, now), 0);
	assert_int_equal(deliver_hello(&f->a, &f->c, now), 0);
	assert_true(slink_keyed(f->c.s));
	assert_true(slink_keyed(f->a.s));
}

/* Seal frame at `from`; unwrap at `to`: the kind, and the frame must come out unchanged. */
static int
pass(struct end *from, struct end *to, const char *frame, uint64_t now)
{
	const uint8_t *out;
	uint8_t *m;
	size_t mlen, olen;
	int kind;

	assert_int_equal(slink_wrap(from->s, 0, (const uint8_t *)frame, strlen(frame), &m, &mlen),
	    0);
	kind = slink_unwrap(to->s, m, mlen, &out, &olen, now);
	if (kind == SLINK_KIND_SEALED) {
		assert_int_equal(olen, strlen(frame));
		assert_memory_equal(out, frame, olen);
	}
	free(m);
	return kind;
}

static void
test_handshake_and_both_directions(void **state)
{
	struct fx *f = *state;
	const uint8_t *out;
	uint8_t *m;
	size_t mlen, olen;

	/* Before any session only HELLO may go, and nothing sealed is taken. */
	assert_int_equal(slink_wrap(f->c.s, 0, (const uint8_t *)"x", 1, &m, &mlen), EAGAIN);
	assert_int_equal(slink_stats(f->c.s)->unsent, 1);
	handshake(f, NOW);
	assert_int_equal(pass(&f->c, &f->a, "want these ids", NOW), SLINK_KIND_SEALED);
	assert_int_equal(pass(&f->a, &f->c, "here they are", NOW), SLINK_KIND_SEALED);
	assert_int_equal(pass(&f->a, &f->c, "and more", NOW), SLINK_KIND_SEALED);
	/* A HELLO travels as it is, marked as one. */
	assert_int_equal(slink_wrap(f->c.s, 1, (const uint8_t *)"hello", 5, &m, &mlen), 0);
	assert_int_equal(mlen, 6);
	assert_int_equal(m[0], SLINK_KIND_HELLO);
	assert_int_equal(slink_unwrap(f->a.s, m, mlen, &out, &olen, NOW), SLINK_KIND_HELLO);
	assert_int_equal(olen, 5);
	free(m);
	/* A repeated HELLO of the same session changes nothing: the traffic goes on. */
	assert_int_equal(deliver_hello(&f->c, &f->a, NOW), 0);
	assert_int_equal(deliver_hello(&f->a, &f->c, NOW), 0);
	assert_int_equal(pass(&f->c, &f->a, "still the same session", NOW), SLINK_KIND_SEALED);
	assert_int_equal(slink_stats(f->a.s)->sessions, 1);
	assert_int_equal(slink_stats(f->c.s)->sessions, 1);
}

/* Every single bit of a sealed message is covered: one flip anywhere and it is refused. */
static void
test_every_bit_flip_refused(void **state)
{
	struct fx *f = *state;
	const uint8_t *out;
	uint8_t *m;
	size_t mlen, olen, i;
	unsigned b;
	uint64_t refused = 0;

	handshake(f, NOW);
	assert_int_equal(slink_wrap(f->c.s, 0, (const uint8_t *)"PING 123", 8, &m, &mlen), 0);
	for (i = 0; i < mlen; i++) {
		for (b = 0; b < 8; b++) {
			m[i] ^= (uint8_t)(1u << b);
			if (slink_unwrap(f->a.s, m, mlen, &out, &olen, NOW) == SLINK_KIND_SEALED)
				fail_msg("a flip of bit %u of byte %zu passed", b, i);
			if (i > 0)
				refused++;	/* byte 0 flips make another kind */
			m[i] ^= (uint8_t)(1u << b);
		}
	}
	assert_int_equal(slink_stats(f->a.s)->bad_tag, refused);
	/* The original still passes (nothing above was taken into the window). */
	assert_int_equal(slink_unwrap(f->a.s, m, mlen, &out, &olen, NOW), SLINK_KIND_SEALED);
	free(m);
}

static void
test_replay_window(void **state)
{
	struct fx *f = *state;
	const uint8_t *out;
	uint8_t *m[70];
	size_t len[70], olen;
	int i;

	handshake(f, NOW);
	for (i = 0; i < 70; i++)
		assert_int_equal(slink_wrap(f->c.s, 0, (const uint8_t *)"frame", 5, &m[i], &len[i]),
		    0);
	/* Out of order (UDP may reorder) is fine, each once. */
	assert_int_equal(slink_unwrap(f->a.s, m[1], len[1], &out, &olen, NOW), SLINK_KIND_SEALED);
	assert_int_equal(slink_unwrap(f->a.s, m[0], len[0], &out, &olen, NOW), SLINK_KIND_SEALED);
	assert_int_equal(slink_unwrap(f->a.s, m[1], len[1], &out, &olen, NOW), -1);
	assert_int_equal(slink_unwrap(f->a.s, m[0], len[0], &out, &olen, NOW), -1);
	/* 69 is ahead of 2..68 by more than the window: those come too late. */
	assert_int_equal(slink_unwrap(f->a.s, m[69], len[69], &out, &olen, NOW),
	    SLINK_KIND_SEALED);
	assert_int_equal(slink_unwrap(f->a.s, m[2], len[2], &out, &olen, NOW), -1);
	assert_int_equal(slink_unwrap(f->a.s, m[10], len[10], &out, &olen, NOW),
	    SLINK_KIND_SEALED);
	assert_int_equal(slink_stats(f->a.s)->replayed, 3);
	for (i = 0; i < 70; i++)
		free(m[i]);
}

/* A message sealed for one session is nothing in the next. */
static void
test_new_session_new_keys(void **state)
{
	struct fx *f = *state;
	const uint8_t *out;
	uint8_t *m;
	size_t mlen, olen;
	struct slink *old;

	handshake(f, NOW);
	assert_int_equal(slink_wrap(f->c.s, 0, (const uint8_t *)"old", 3, &m, &mlen), 0);
	/* C restarts (a new process: a new slink, a new ephemeral key). */
	old = f->c.s;
	assert_non_null(f->c.s = slink_new());
	/* A keeps its live session for a while: the new HELLO is ignored... */
	assert_int_equal(deliver_hello(&f->c, &f->a, NOW + 1000), -1);
	assert_int_equal(slink_stats(f->a.s)->hello_ignored, 1);
	/* ...until the old session has been silent for SLINK_STICKY_MS. */
	handshake(f, NOW + SLINK_STICKY_MS);
	assert_int_equal(slink_stats(f->a.s)->sessions, 2);
	assert_int_equal(slink_unwrap(f->a.s, m, mlen, &out, &olen, NOW + SLINK_STICKY_MS), -1);
	assert_int_equal(slink_stats(f->a.s)->bad_tag, 1);
	assert_int_equal(pass(&f->c, &f->a, "new", NOW + SLINK_STICKY_MS), SLINK_KIND_SEALED);
	free(m);
	slink_free(&old);
}

static void
test_forged_and_stale_hellos(void **state)
{
	struct fx *f = *state;
	Fenghuo__Hello *h;
	struct end mallory = { NULL, NULL, 1 };

	/* Signed by a stranger, presented for C's configured key: refused. */
	h = hello_of(&f->c, f->stranger);
	assert_int_equal(slink_hello_in(f->a.s, 0, fc_key_public(f->c.key), h, NOW), -1);
	fenghuo__hello__free_unpacked(h, NULL);
	/* No signature at all (an older fenghuod, or a forgery): refused. */
	h = hello_of(&f->c, f->c.key);
	h->has_link_sig = 0;
	assert_int_equal(slink_hello_in(f->a.s, 0, fc_key_public(f->c.key), h, NOW), -1);
	/* Another ephemeral key under C's signature: refused. */
	h->has_link_sig = 1;
	h->link_eph.data[0] ^= 1;
	assert_int_equal(slink_hello_in(f->a.s, 0, fc_key_public(f->c.key), h, NOW), -1);
	fenghuo__hello__free_unpacked(h, NULL);
	assert_false(slink_keyed(f->a.s));
	assert_int_equal(slink_stats(f->a.s)->hello_bad, 3);
	/* C's own HELLO with other capabilities (or version) than it signed: refused. */
	h = hello_of(&f->c, f->c.key);
	h->has_capabilities = 1;
	h->capabilities ^= CAP_LAZY;
	assert_int_equal(slink_hello_in(f->a.s, 0, fc_key_public(f->c.key), h, NOW), -1);
	h->capabilities ^= CAP_LAZY;
	h->protocol_version = 2;
	h->has_protocol_version = 1;
	assert_int_equal(slink_hello_in(f->a.s, 0, fc_key_public(f->c.key), h, NOW), -1);
	h->has_protocol_version = 0;	/* as signed: accepted */
	assert_int_equal(slink_hello_in(f->a.s, 0, fc_key_public(f->c.key), h, NOW), 0);
	fenghuo__hello__free_unpacked(h, NULL);
	assert_int_equal(slink_stats(f->a.s)->hello_bad, 5);
	slink_free(&f->a.s);
	assert_non_null(f->a.s = slink_new());

	/* An answer that names another connecting key (an old answer replayed): refused. */
	handshake(f, NOW);
	/*
	 * Mallory replays a HELLO of C's from an earlier session (another ephemeral key, C's
	 * signature) to a freshly restarted A, which answers it; C refuses that answer: it
	 * names another key than C's current one.
	 */
	assert_non_null(mallory.s = slink_new());
	mallory.key = f->c.key;
	slink_free(&f->a.s);
	assert_non_null(f->a.s = slink_new());
	assert_int_equal(deliver_hello(&mallory, &f->a, NOW), 0);
	assert_int_equal(deliver_hello(&f->a, &f->c, NOW), -1);
	assert_int_equal(slink_stats(f->c.s)->hello_bad, 1);
	assert_true(slink_keyed(f->c.s));	/* C's own session is untouched */
	slink_free(&mallory.s);
}

static void
test_unsealed_and_unkeyed(void **state)
{
	struct fx *f = *state;
	const uint8_t *out;
	size_t olen;
	uint8_t junk[40] = { SLINK_KIND_SEALED };
	uint8_t other[8] = { 0x32, 0x02, 0x08, 0x01 };	/* a raw PING, no kind byte */

	/* Sealed-looking before any session. */
	assert_int_equal(slink_unwrap(f->a.s, junk, sizeof(junk), &out, &olen, NOW), -1);
	assert_int_equal(slink_stats(f->a.s)->unkeyed, 1);
	/* A Frame without the kind byte (a peer without session security): refused. */
	assert_int_equal(slink_unwrap(f->a.s, other, sizeof(other), &out, &olen, NOW), -1);
	assert_int_equal(slink_unwrap(f->a.s, junk, 0, &out, &olen, NOW), -1);
	handshake(f, NOW);
	assert_int_equal(slink_unwrap(f->a.s, junk, 10, &out, &olen, NOW), -1);	/* too short */
	assert_int_equal(slink_stats(f->a.s)->malformed, 3);
	assert_int_equal(slink_unwrap(f->a.s, junk, sizeof(junk), &out, &olen, NOW), -1);
	assert_int_equal(slink_stats(f->a.s)->bad_tag, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake_and_both_directions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_every_bit_flip_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_session_new_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_and_stale_hellos, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsealed_and_unkeyed, setup, teardown),
	};

	log_init(LOG_LEVEL_ERROR);
	if (fc_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
