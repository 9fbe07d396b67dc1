/*
 * test_ingest.c: the ingest pipeline (ingest/) against a real store in a temporary directory.
 *
 * What a node depends on: a duplicate is neither decoded nor verified, a new message is
 * decoded and verified once; a forged copy ahead of the genuine one does not shadow it; the
 * admission hook sees only new messages; the trust policy holds, rejects or accepts before
 * anything is written, a certificate releases its waiters into the next commit (never a
 * nested one); imported messages that are held survive in the held area; a failed commit
 * leaves no certificate in the trust state that the store does not hold.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"
#include "store.h"
#include "ingest.h"
#include "wire.h"
#include "helper.h"

#define DAY_MS		(24ULL * 3600 * 1000)
#define NMSG		150
#define NRESULTS	(NMSG + 8)

struct fx {
	char		*dir;
	struct store	*st;
	struct ingest	*ig;
	struct fc_key	*root, *issuer, *author;
	uint64_t	 now;
	/* what the last commit handed back */
	struct ingest_result r[NRESULTS];
	uint8_t		 id[NRESULTS][FC_IDBYTES];
	int		 origin[NRESULTS];
	size_t		 nr;
	/* the admission hook */
	int		 admit_calls, refuse_every;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_non_null(fx->dir = th_tmpdir());
	assert_int_equal(store_open(fx->dir, 0, &fx->st), 0);
	assert_int_equal(fc_key_generate(&fx->root), 0);
	assert_int_equal(fc_key_generate(&fx->issuer), 0);
	assert_int_equal(fc_key_generate(&fx->author), 0);
	fx->now = 1767225600000ULL;	/* 2026-01-01 */
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	ingest_close(&fx->ig);
	store_close(&fx->st);
	fc_key_free(&fx->root);
	fc_key_free(&fx->issuer);
	fc_key_free(&fx->author);
	th_rmdir(fx->dir);
	free(fx);
	return 0;
}

/* An ingest on fx->st: open (no policy), or with fx->root as the only anchor. */
static void
open_ingest(struct fx *fx, int policy)
{
	struct ingest_conf c;
	uint8_t anchor[1][FC_PUBLICKEYBYTES];
	char err[256];

	memcpy(anchor[0], fc_key_public(fx->root), FC_PUBLICKEYBYTES);
	memset(&c, 0, sizeof(c));
	c.state = fx->dir;
	c.open = !policy;
	c.anchors = (const uint8_t (*)[FC_PUBLICKEYBYTES])anchor;
	c.nanchors = policy ? 1 : 0;
	c.need_anchor = policy;
	c.held_max = 100;
	c.held_bytes = 1 << 20;
	c.held_ttl_ms = DAY_MS;
	ingest_close(&fx->ig);
	assert_int_equal(ingest_open(fx->st, &c, &fx->ig, err, sizeof(err)), 0);
}

static void
collect(void *arg, const struct ingest_result *r)
{
	struct fx *fx = arg;

	assert_true(fx->nr < NRESULTS);
	fx->r[fx->nr] = *r;
	fx->origin[fx->nr] = r->src->origin;
	memcpy(fx->id[fx->nr], r->id, FC_IDBYTES);
	/* The decoded message is there for every message that was decoded. */
	if (r->status == INGEST_NEW || r->status == INGEST_HELD)
		assert_non_null(r->msg);
	if (r->status == INGEST_DUP)
		assert_null(r->msg);
	fx->nr++;
}

static void
add(struct fx *fx, const struct th_msg *m, int origin)
{
	static const uint8_t peer[FC_PUBLICKEYBYTES] = { 7 };
	struct ingest_src src = { origin, origin == INGEST_PEER ? peer : NULL, 1, 0 };

	assert_int_equal(ingest_add(fx->ig, m->env, m->len, &src), 0);
}

static int
commit(struct fx *fx)
{
	fx->nr = 0;
	return ingest_commit(fx->ig, fx->now, collect, fx);
}

static void
cert(struct fx *fx, struct fc_key *author, struct fc_key *subject, struct th_msg *out)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Cert c = FENGHUO__CERT__INIT;
	Fenghuo__Role roles[] = { FENGHUO__ROLE__ISSUER, FENGHUO__ROLE__REPORTER };

	c.has_subject = 1;
	c.subject.data = (uint8_t *)(uintptr_t)fc_key_public(subject);
	c.subject.len = FC_PUBLICKEYBYTES;
	c.n_roles = 2;
	c.roles = roles;
	c.scope = (char *)(uintptr_t)"110101";
	c.has_not_before_ms = c.has_not_after_ms = 1;
	c.not_before_ms = fx->now - DAY_MS;
	c.not_after_ms = fx->now + 30 * DAY_MS;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__CERT;
	b.has_created_ms = 1;
	b.created_ms = fx->now - 1000;
	b.cert = &c;
	assert_int_equal(th_seal(author, &b, out), 0);
}

static void
warning(struct fx *fx, struct fc_key *key, struct th_msg *out)
{
	assert_int_equal(th_warning(key, fx->now - 500, fx->now + DAY_MS, out), 0);
}

/* A new message is decoded and verified once; a duplicate neither. */
static void
test_costs(void **state)
{
	struct fx *fx = *state;
	struct th_msg m[NMSG];
	uint64_t dec, ver;
	size_t i;

	/* More than the ingest's first allocation: the batch grows while it is gathered. */
	open_ingest(fx, 0);
	for (i = 0; i < NMSG; i++) {
		assert_int_equal(th_report(fx->author, fx->now - 100 + i, "河堤管涌", "x", &m[i]),
		    0);
		add(fx, &m[i], INGEST_PEER);
	}
	dec = wire_body_decodes();
	ver = fc_verify_count();
	assert_int_equal(commit(fx), 0);
	assert_int_equal(wire_body_decodes() - dec, NMSG);
	assert_int_equal(fc_verify_count() - ver, NMSG);
	assert_int_equal(fx->nr, NMSG);
	for (i = 0; i < NMSG; i++) {
		assert_int_equal(fx->r[i].status, INGEST_NEW);
		assert_non_null(fx->r[i].src);
		assert_memory_equal(fx->id[i], m[i].id, FC_IDBYTES);
		assert_int_equal(store_has(fx->st, m[i].id), 1);
	}
	/* All again, and one twice within the batch: duplicates, nothing decoded. */
	for (i = 0; i < NMSG; i++)
		add(fx, &m[i], INGEST_PEER);
	add(fx, &m[0], INGEST_PEER);
	dec = wire_body_decodes();
	ver = fc_verify_count();
	assert_int_equal(commit(fx), 0);
	assert_int_equal(wire_body_decodes() - dec, 0);
	assert_int_equal(fc_verify_count() - ver, 0);
	for (i = 0; i < NMSG + 1; i++)
		assert_int_equal(fx->r[i].status, INGEST_DUP);
	/* Each came from the same peer, whose key every stored seen record names. */
	for (i = 0; i < NMSG; i++) {
		struct store_msg sm;

		memset(&sm, 0, sizeof(sm));
		assert_int_equal(store_get(fx->st, m[i].id, &sm), 0);
		assert_int_equal(sm.seen.has_from, 1);
		assert_int_equal(sm.seen.from[0], 7);
		store_msg_clear(&sm);
		th_msg_clear(&m[i]);
	}
}

/* A forged copy ahead of the genuine one in the same batch does not shadow it. */
static void
test_forged_first(void **state)
{
	struct fx *fx = *state;
	struct th_msg m, forged;

	open_ingest(fx, 0);
	assert_int_equal(th_report(fx->author, fx->now, "t", "x", &m), 0);
	forged = m;
	assert_non_null(forged.env = malloc(m.len));
	memcpy(forged.env, m.env, m.len);
	forged.env[m.len - 1] ^= 1;	/* the signature is the last field */
	add(fx, &forged, INGEST_PEER);
	add(fx, &m, INGEST_PEER);
	add(fx, &forged, INGEST_PEER);
	assert_int_equal(commit(fx), 0);
	assert_int_equal(fx->r[0].status, INGEST_REJECTED);
	assert_int_equal(fx->r[0].reason, FC_R_BAD_SIG);
	assert_int_equal(fx->r[1].status, INGEST_NEW);
	assert_int_equal(fx->r[2].status, INGEST_DUP);
	assert_int_equal(store_has(fx->st, m.id), 1);
	/* Garbage: rejected before anything else, without an id. */
	add(fx, &(struct th_msg){ (uint8_t *)(uintptr_t)"\xff\xff", 2, { 0 } }, INGEST_PEER);
	assert_int_equal(commit(fx), 0);
	assert_int_equal(fx->r[0].status, INGEST_REJECTED);
	assert_int_equal(fx->r[0].has_id, 0);
	th_msg_clear(&forged);
	th_msg_clear(&m);
}

static int
admit(void *arg, const struct ingest_src *src, const struct fc_msg *msg)
{
	struct fx *fx = arg;

	assert_non_null(msg->body);
	assert_int_equal(src->origin, INGEST_PEER);
	if (++fx->admit_calls % fx->refuse_every == 0)
		return INGEST_ADMIT_REFUSE;
	return INGEST_ADMIT_CHARGED;
}

/* The admission hook sees new messages only; a refused one is not stored. */
static void
test_admission(void **state)
{
	struct fx *fx = *state;
	struct th_msg m[4];
	size_t i;

	open_ingest(fx, 0);
	fx->refuse_every = 2;
	ingest_set_admit(fx->ig, admit, fx);
	for (i = 0; i < 4; i++) {
		assert_int_equal(th_report(fx->author, fx->now - i, "t", "x", &m[i]), 0);
		add(fx, &m[i], INGEST_PEER);
	}
	assert_int_equal(commit(fx), 0);
	assert_int_equal(fx->admit_calls, 4);
	for (i = 0; i < 4; i++) {
		if (i % 2 == 0) {
			assert_int_equal(fx->r[i].status, INGEST_NEW);
			assert_int_equal(fx->r[i].charged, 1);
		} else {
			assert_int_equal(fx->r[i].status, INGEST_REFUSED);
			assert_int_equal(store_has(fx->st, m[i].id), 0);
		}
	}
	/* The stored ones again: duplicates, not admitted again. */
	add(fx, &m[0], INGEST_PEER);
	add(fx, &m[2], INGEST_PEER);
	assert_int_equal(commit(fx), 0);
	assert_int_equal(fx->admit_calls, 4);
	for (i = 0; i < 4; i++)
		th_msg_clear(&m[i]);
}

/*
 * A warning by an issuer whose certificate has not come: held from a peer, stored from this
 * machine's own user; the certificate releases the held one into the next commit.
 */
static void
test_hold_release(void **state)
{
	struct fx *fx = *state;
	struct th_msg w, c, mine;
	struct ingest_stats is;

	open_ingest(fx, 1);
	warning(fx, fx->issuer, &w);
	add(fx, &w, INGEST_PEER);
	assert_int_equal(commit(fx), 0);
	assert_int_equal(fx->r[0].status, INGEST_HELD);
	assert_int_equal(fx->r[0].policy_reason, FC_POLICY_R_NO_CHAIN);
	assert_int_equal(store_has(fx->st, w.id), 0);
	assert_int_equal(ingest_pending(fx->ig), 0);

	/* This machine's own: stored all the same, marked. Its node's own: held. */
	assert_int_equal(th_report(fx->issuer, fx->now, "本机", "x", &mine), 0);
	add(fx, &mine, INGEST_LOCAL);
	assert_int_equal(commit(fx), 0);
	assert_int_equal(fx->r[0].status, INGEST_NEW);
	assert_int_equal(fx->r[0].policy_reason, FC_POLICY_R_NO_CHAIN);

	cert(fx, fx->root, fx->issuer, &c);
	add(fx, &c, INGEST_PEER);
	assert_int_equal(commit(fx), 0);
	assert_int_equal(fx->nr, 1);
	assert_int_equal(fx->r[0].status, INGEST_NEW);
	/* Released, but not committed inside this commit: it waits for the next. */
	assert_int_equal(store_has(fx->st, w.id), 0);
	assert_int_equal(ingest_pending(fx->ig), 1);
	assert_int_equal(commit(fx), 0);
	assert_int_equal(fx->nr, 1);
	assert_int_equal(fx->r[0].status, INGEST_NEW);
	assert_int_equal(fx->origin[0], INGEST_RELEASED);
	assert_int_equal(fx->r[0].level, FENGHUO__LEVEL__RED);
	assert_int_equal(store_has(fx->st, w.id), 1);
	ingest_stats(fx->ig, &is);
	assert_int_equal(is.held, 1);
	assert_int_equal(is.released, 1);
	assert_int_equal(is.mem.count, 0);
	assert_int_equal(is.stored_unchained, 1);
	th_msg_clear(&w);
	th_msg_clear(&c);
	th_msg_clear(&mine);
}

/* A certificate earlier in the batch counts for the messages after it. */
static void
test_cert_same_batch(void **state)
{
	struct fx *fx = *state;
	struct th_msg w, c, n;

	open_ingest(fx, 1);
	cert(fx, fx->root, fx->issuer, &c);
	warning(fx, fx->issuer, &w);
	warning(fx, fx->author, &n);	/* no certificate: held */
	add(fx, &c, INGEST_PEER);
	add(fx, &w, INGEST_PEER);
	add(fx, &n, INGEST_NODE);
	assert_int_equal(commit(fx), 0);
	assert_int_equal(fx->r[0].status, INGEST_NEW);
	assert_int_equal(fx->r[0].kind, FENGHUO__KIND__CERT);
	assert_int_equal(fx->r[1].status, INGEST_NEW);
	assert_int_equal(fx->r[2].status, INGEST_HELD);
	assert_int_equal(ingest_pending(fx->ig), 0);
	th_msg_clear(&w);
	th_msg_clear(&c);
	th_msg_clear(&n);
}

static int
held_file(struct fx *fx, const uint8_t *id)
{
	char path[4096], hex[FC_IDHEX];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/held/%s", fx->dir, fc_hex(id, FC_IDBYTES, hex));
	return stat(path, &sb) == 0;
}

/* An imported message held for its certificate is kept on disk, across ingests. */
static void
test_held_area(void **state)
{
	struct fx *fx = *state;
	struct th_msg w, c;
	size_t n;

	open_ingest(fx, 1);
	warning(fx, fx->issuer, &w);
	add(fx, &w, INGEST_IMPORT);
	assert_int_equal(commit(fx), 0);
	assert_int_equal(fx->r[0].status, INGEST_HELD);
	assert_int_equal(fx->r[0].held_kept, 1);
	assert_true(held_file(fx, w.id));

	/* A restart: the held area comes back, still held, its file stays. */
	open_ingest(fx, 1);
	assert_int_equal(ingest_load_held(fx->ig, fx->now, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(commit(fx), 0);
	assert_int_equal(fx->r[0].status, INGEST_HELD);
	assert_true(held_file(fx, w.id));

	/* Its certificate: released, stored, the file goes. */
	cert(fx, fx->root, fx->issuer, &c);
	add(fx, &c, INGEST_IMPORT);
	assert_int_equal(commit(fx), 0);
	assert_int_equal(commit(fx), 0);
	assert_int_equal(fx->r[0].status, INGEST_NEW);
	assert_int_equal(store_has(fx->st, w.id), 1);
	assert_false(held_file(fx, w.id));
	th_msg_clear(&w);
	th_msg_clear(&c);
}

/* A commit that cannot write: every result says so, no certificate stays in the trust. */
static void
test_commit_fails(void **state)
{
	struct fx *fx = *state;
	struct th_msg r, c;

	/* A store with something in it, opened read-only. */
	open_ingest(fx, 0);
	assert_int_equal(th_report(fx->author, fx->now, "t", "x", &r), 0);
	add(fx, &r, INGEST_LOCAL);
	assert_int_equal(commit(fx), 0);
	ingest_close(&fx->ig);
	store_close(&fx->st);
	assert_int_equal(store_open(fx->dir, STORE_RDONLY, &fx->st), 0);

	open_ingest(fx, 1);
	cert(fx, fx->root, fx->issuer, &c);
	add(fx, &c, INGEST_PEER);
	assert_int_not_equal(commit(fx), 0);
	assert_int_equal(fx->nr, 1);
	assert_int_equal(fx->r[0].status, INGEST_FAILED);
	assert_int_equal(fc_trust_grant_count(ingest_trust(fx->ig)), 0);
	th_msg_clear(&r);
	th_msg_clear(&c);
}

/* A receipt of a stored red warning travels at red. */
static void
test_receipt_level(void **state)
{
	struct fx *fx = *state;
	struct th_msg w, rc;

	open_ingest(fx, 0);
	warning(fx, fx->issuer, &w);
	add(fx, &w, INGEST_PEER);
	assert_int_equal(commit(fx), 0);
	assert_int_equal(fx->r[0].level, FENGHUO__LEVEL__RED);
	assert_int_equal(th_receipt(fx->author, fx->now, w.id, &rc), 0);
	add(fx, &rc, INGEST_PEER);
	assert_int_equal(commit(fx), 0);
	assert_int_equal(fx->r[0].status, INGEST_NEW);
	assert_int_equal(fx->r[0].kind, FENGHUO__KIND__RECEIPT);
	assert_int_equal(fx->r[0].level, FENGHUO__LEVEL__RED);
	th_msg_clear(&w);
	th_msg_clear(&rc);

	/* Warning and receipt in one batch: the receipt finds it in the batch. */
	assert_int_equal(th_warning(fx->issuer, fx->now - 400, fx->now + DAY_MS, &w), 0);
	assert_int_equal(th_receipt(fx->author, fx->now, w.id, &rc), 0);
	add(fx, &w, INGEST_PEER);
	add(fx, &rc, INGEST_PEER);
	assert_int_equal(commit(fx), 0);
	assert_int_equal(fx->r[1].status, INGEST_NEW);
	assert_int_equal(fx->r[1].level, FENGHUO__LEVEL__RED);
	th_msg_clear(&w);
	th_msg_clear(&rc);
}

/* No anchor and not open: refused, with a sentence. */
static void
test_no_anchor(void **state)
{
	struct fx *fx = *state;
	struct ingest_conf c;
	char err[256];

	memset(&c, 0, sizeof(c));
	c.state = fx->dir;
	c.need_anchor = 1;
	c.held_max = 1;
	c.held_bytes = 1;
	assert_int_equal(ingest_open(fx->st, &c, &fx->ig, err, sizeof(err)), INGEST_ENOANCHOR);
	assert_null(fx->ig);
	assert_string_equal(err, "no trust anchor");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_costs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_same_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_area, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receipt_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_anchor, setup, teardown),
	};

	if (fc_init() != 0) {
		fprintf(stderr, "fc_init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
