/*
 * test_policy.c: unit tests of the trust state, the certificate chain and the policy
 * (crypto/trust.c, crypto/policy.c), of the state of one grant as `fenghuo keys` lists it
 * (fc_grant_state(), each state beside the policy's verdict), and of the held-message buffer.
 *
 * Every message is real: a protobuf-c body signed with a key from fc_key_generate(), sealed,
 * and passed through fc_validate() before the policy sees it, exactly as in the node. The
 * scenario is a county: the root key (the anchor) makes the county emergency office an
 * admin for the county; the office certifies an issuer for the county, a reporter for one
 * village, a verifier for one township and a node. The clock is the fixed NOW, never the
 * wall clock.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"

#define NOW	1800000000000ULL	/* 2027-01-15, the checker's clock in every test */
#define MINUTE	(60ULL * 1000)
#define HOUR	(60 * MINUTE)
#define DAY	(24 * HOUR)

#define R(x)	FC_ROLE_BIT(FENGHUO__ROLE__##x)

/* Region codes (统计用区划代码): a county, two townships of it, a village, another county. */
static char COUNTY[] = "341522";
static char TOWNSHIP[] = "341522100";
static char TOWNSHIP2[] = "341522101";
static char VILLAGE[] = "341522100201";
static char VILLAGE2[] = "341522101202";
static char OTHER_COUNTY[] = "341523";
static char EVERYWHERE[] = "";

/* A validated message and the envelope it came from. */
struct built {
	struct fc_msg	 m;
	uint8_t		*env;
	size_t		 len;
};

struct fx {
	struct fc_key	*root, *office, *issuer, *reporter, *verifier, *node;
	struct built	 c_office, c_issuer, c_reporter, c_verifier, c_node;
	struct fc_trust	*t;
};

static const uint8_t *
pk(const struct fc_key *k)
{
	return fc_key_public(k);
}

/* The anchor array of one root key (fc_trust_new() copies it). */
static uint8_t (*anchor_of(const struct fc_key *root))[32]
{
	static uint8_t a[1][32];

	memcpy(a[0], pk(root), 32);
	return a;
}

static void
built_clear(struct built *b)
{
	fc_msg_clear(&b->m);
	free(b->env);
	b->env = NULL;
}

static void
body_base(Fenghuo__Body *b, const struct fc_key *author, int kind, uint64_t created)
{
	fenghuo__body__init(b);
	b->has_version = 1;
	b->version = WIRE_BODY_VERSION;
	b->has_kind = 1;
	b->kind = kind;
	b->has_author = 1;
	b->author.data = (uint8_t *)(uintptr_t)pk(author);
	b->author.len = 32;
	b->has_created_ms = 1;
	b->created_ms = created;
}

/* Pack, sign, seal and validate; fails the test unless fc_validate() accepts it. */
static void
seal(const struct fc_key *author, const Fenghuo__Body *b, struct built *out)
{
	uint8_t *buf;
	size_t n;
	int rc;

	n = fenghuo__body__get_packed_size(b);
	assert_non_null(buf = malloc(n));
	assert_int_equal(fenghuo__body__pack(b, buf), n);
	assert_int_equal(fc_envelope_seal(author, buf, n, &out->env, &out->len), 0);
	free(buf);
	rc = fc_validate(out->env, out->len, NOW, NOW, &out->m);
	if (rc != FC_R_OK)
		fail_msg("fc_validate: %s", fc_reason_name(rc));
}

/* The transport key the next make_cert() puts into its CERT, or NULL for none. */
static const uint8_t *next_transport_key;

static void
make_cert(const struct fc_key *author, const uint8_t *subject, uint32_t roles,
    char *scope, uint64_t not_before, uint64_t not_after, uint64_t created, struct built *out)
{
	Fenghuo__Body b;
	Fenghuo__Cert c;
	Fenghuo__Role rl[8];
	size_t n = 0;
	int r;

	body_base(&b, author, FENGHUO__KIND__CERT, created);
	fenghuo__cert__init(&c);
	c.has_subject = 1;
	c.subject.data = (uint8_t *)(uintptr_t)subject;
	c.subject.len = 32;
	for (r = FENGHUO__ROLE__NODE; r <= FENGHUO__ROLE__ADMIN; r++)
		if (roles & FC_ROLE_BIT(r))
			rl[n++] = (Fenghuo__Role)r;
	c.n_roles = n;
	c.roles = rl;
	c.scope = scope;
	c.has_not_before_ms = 1;
	c.not_before_ms = not_before;
	c.has_not_after_ms = 1;
	c.not_after_ms = not_after;
	if (next_transport_key != NULL) {
		c.has_transport_key = 1;
		c.transport_key.data = (uint8_t *)(uintptr_t)next_transport_key;
		c.transport_key.len = 32;
		next_transport_key = NULL;
	}
	b.cert = &c;
	seal(author, &b, out);
}

/* A grant valid from a month ago for a year, made at the given time. */
static void
grant(const struct fc_key *author, const struct fc_key *subject, uint32_t roles, char *scope,
    uint64_t created, struct built *out)
{
	make_cert(author, pk(subject), roles, scope, NOW - 30 * DAY, NOW + 365 * DAY, created,
	    out);
}

static void
make_revoke(const struct fc_key *author, const uint8_t *subject, uint64_t from,
    uint64_t created, struct built *out)
{
	Fenghuo__Body b;
	Fenghuo__Revoke r;
	char reason[] = "laptop lost";

	body_base(&b, author, FENGHUO__KIND__REVOKE, created);
	fenghuo__revoke__init(&r);
	r.has_subject = 1;
	r.subject.data = (uint8_t *)(uintptr_t)subject;
	r.subject.len = 32;
	r.has_from_ms = from != 0;
	r.from_ms = from;
	r.reason = reason;
	b.revoke = &r;
	seal(author, &b, out);
}

static void
make_warning(const struct fc_key *author, char **areas, size_t n, uint64_t created,
    struct built *out)
{
	Fenghuo__Body b;
	Fenghuo__Warning w;
	char title[] = "暴雨红色预警";

	body_base(&b, author, FENGHUO__KIND__WARNING, created);
	b.region = areas[0];
	b.title = title;
	b.has_expires_ms = 1;
	b.expires_ms = NOW + DAY;
	fenghuo__warning__init(&w);
	w.has_msg_type = 1;
	w.msg_type = FENGHUO__MSG_TYPE__ALERT;
	w.has_urgency = 1;
	w.urgency = FENGHUO__URGENCY__IMMEDIATE;
	w.has_level = 1;
	w.level = FENGHUO__LEVEL__RED;
	w.has_severity = 1;
	w.severity = (Fenghuo__Severity)wire_level_severity(FENGHUO__LEVEL__RED);
	w.has_certainty = 1;
	w.certainty = FENGHUO__CERTAINTY__OBSERVED;
	w.n_area = n;
	w.area = areas;
	b.warning = &w;
	seal(author, &b, out);
}

static void
make_report(const struct fc_key *author, char *region, uint64_t created, struct built *out)
{
	Fenghuo__Body b;
	char title[] = "河堤决口";

	body_base(&b, author, FENGHUO__KIND__REPORT, created);
	b.region = region;
	b.title = title;
	seal(author, &b, out);
}

static void
make_receipt(const struct fc_key *author, int stage, char *region, struct built *out)
{
	Fenghuo__Body b;
	Fenghuo__Receipt r;
	uint8_t ref[32];

	memset(ref, 0xab, sizeof(ref));
	body_base(&b, author, FENGHUO__KIND__RECEIPT, NOW - MINUTE);
	b.region = region;
	b.n_refs = 1;
	b.refs = &(ProtobufCBinaryData){ .len = 32, .data = ref };
	fenghuo__receipt__init(&r);
	r.has_stage = 1;
	r.stage = (Fenghuo__Stage)stage;
	b.receipt = &r;
	seal(author, &b, out);
}

static void
make_announce(const struct fc_key *author, struct built *out)
{
	Fenghuo__Body b;
	Fenghuo__Announce a;
	char ep[] = "tcp://127.0.0.1:7400";
	char *eps[] = { ep };

	body_base(&b, author, FENGHUO__KIND__ANNOUNCE, NOW - MINUTE);
	fenghuo__announce__init(&a);
	a.n_endpoints = 1;
	a.endpoints = eps;
	b.announce = &a;
	seal(author, &b, out);
}

static void
add(struct fc_trust *t, const struct built *b)
{
	assert_int_equal(fc_trust_add(t, &b->m), 0);
}

static int
check(const struct fc_trust *t, const struct built *b, struct fc_policy_verdict *v)
{
	return fc_policy_check(t, &b->m, NOW, v);
}

/* Assert a verdict and reason, printing the names on failure. */
#define expect(t, b, verdict_, reason_) do {						\
	struct fc_policy_verdict v_;							\
	check((t), (b), &v_);								\
	if (v_.verdict != (verdict_) || v_.reason != (reason_))				\
		fail_msg("verdict %d %s, expected %d %s", v_.verdict,			\
		    fc_policy_reason_name(v_.reason), (verdict_),			\
		    fc_policy_reason_name(reason_));					\
} while (0)

static int
setup(void **state)
{
	struct fx *f;

	assert_non_null(f = calloc(1, sizeof(*f)));
	assert_int_equal(fc_key_generate(&f->root), 0);
	assert_int_equal(fc_key_generate(&f->office), 0);
	assert_int_equal(fc_key_generate(&f->issuer), 0);
	assert_int_equal(fc_key_generate(&f->reporter), 0);
	assert_int_equal(fc_key_generate(&f->verifier), 0);
	assert_int_equal(fc_key_generate(&f->node), 0);
	grant(f->root, f->office, R(ADMIN), COUNTY, NOW - 3 * DAY, &f->c_office);
	grant(f->office, f->issuer, R(ISSUER), COUNTY, NOW - 2 * DAY, &f->c_issuer);
	grant(f->office, f->reporter, R(REPORTER) | R(NODE), VILLAGE, NOW - 2 * DAY,
	    &f->c_reporter);
	grant(f->office, f->verifier, R(VERIFIER), TOWNSHIP, NOW - 2 * DAY, &f->c_verifier);
	grant(f->office, f->node, R(NODE), TOWNSHIP, NOW - 2 * DAY, &f->c_node);
	assert_non_null(f->t = fc_trust_new(anchor_of(f->root), 1));
	add(f->t, &f->c_office);
	add(f->t, &f->c_issuer);
	add(f->t, &f->c_reporter);
	add(f->t, &f->c_verifier);
	add(f->t, &f->c_node);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	fc_trust_free(&f->t);
	assert_null(f->t);
	built_clear(&f->c_office);
	built_clear(&f->c_issuer);
	built_clear(&f->c_reporter);
	built_clear(&f->c_verifier);
	built_clear(&f->c_node);
	fc_key_free(&f->root);
	fc_key_free(&f->office);
	fc_key_free(&f->issuer);
	fc_key_free(&f->reporter);
	fc_key_free(&f->verifier);
	fc_key_free(&f->node);
	free(f);
	return 0;
}

/* ---- the chain ----------------------------------------------------------------------- */

static void
test_certs_of_the_chain_are_accepted(void **state)
{
	struct fx *f = *state;

	/* The CERT messages themselves pass: root for the office, the office for the rest. */
	expect(f->t, &f->c_office, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	expect(f->t, &f->c_issuer, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	expect(f->t, &f->c_reporter, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
}

static void
test_warning_by_issuer_accepted_with_chain(void **state)
{
	struct fx *f = *state;
	struct fc_policy_verdict v;
	struct built w;
	char *areas[] = { COUNTY };
	char *areas2[] = { TOWNSHIP, VILLAGE2 };

	make_warning(f->issuer, areas, 1, NOW - MINUTE, &w);
	assert_int_equal(check(f->t, &w, &v), FC_POLICY_ACCEPT);
	assert_int_equal(v.reason, FC_POLICY_R_OK);
	assert_int_equal(v.flags, 0);
	/* The chain, author's grant first: issuer <- office <- root. */
	assert_int_equal(v.chain_len, 2);
	assert_memory_equal(v.chain[0], f->c_issuer.m.id, 32);
	assert_memory_equal(v.chain[1], f->c_office.m.id, 32);
	built_clear(&w);

	/* Narrower areas inside the county are fine too. */
	make_warning(f->issuer, areas2, 2, NOW - MINUTE, &w);
	expect(f->t, &w, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	built_clear(&w);
}

static void
test_anchor_may_do_anything(void **state)
{
	struct fx *f = *state;
	struct fc_policy_verdict v;
	struct built w;
	char *areas[] = { OTHER_COUNTY, COUNTY };

	make_warning(f->root, areas, 2, NOW - MINUTE, &w);
	assert_int_equal(check(f->t, &w, &v), FC_POLICY_ACCEPT);
	assert_true(v.flags & FC_POLICY_F_ANCHOR);
	assert_int_equal(v.chain_len, 0);
	built_clear(&w);
}

static void
test_warning_by_reporter_rejected_role(void **state)
{
	struct fx *f = *state;
	struct built w;
	char *areas[] = { VILLAGE };

	/* 不得多头发布: a reporter may not publish a warning, not even for its own village. */
	make_warning(f->reporter, areas, 1, NOW - MINUTE, &w);
	expect(f->t, &w, FC_POLICY_REJECT, FC_POLICY_R_ROLE);
	built_clear(&w);
}

static void
test_warning_out_of_scope_rejected(void **state)
{
	struct fx *f = *state;
	struct built w;
	char *other[] = { OTHER_COUNTY };
	char *mixed[] = { COUNTY, OTHER_COUNTY };
	char *wider[] = { (char[]){ "3415" } };

	make_warning(f->issuer, other, 1, NOW - MINUTE, &w);
	expect(f->t, &w, FC_POLICY_REJECT, FC_POLICY_R_SCOPE);
	built_clear(&w);
	/* Every area must be covered, not just the first. */
	make_warning(f->issuer, mixed, 2, NOW - MINUTE, &w);
	expect(f->t, &w, FC_POLICY_REJECT, FC_POLICY_R_SCOPE);
	built_clear(&w);
	/* A prefix wider than the grant (the whole prefecture) is out of scope. */
	make_warning(f->issuer, wider, 1, NOW - MINUTE, &w);
	expect(f->t, &w, FC_POLICY_REJECT, FC_POLICY_R_SCOPE);
	built_clear(&w);
}

static void
test_report_needs_reporter_for_its_region(void **state)
{
	struct fx *f = *state;
	struct built r;

	make_report(f->reporter, VILLAGE, NOW - MINUTE, &r);
	expect(f->t, &r, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	built_clear(&r);
	make_report(f->reporter, VILLAGE2, NOW - MINUTE, &r);
	expect(f->t, &r, FC_POLICY_REJECT, FC_POLICY_R_SCOPE);
	built_clear(&r);
	/* An issuer is not a reporter. */
	make_report(f->issuer, VILLAGE, NOW - MINUTE, &r);
	expect(f->t, &r, FC_POLICY_REJECT, FC_POLICY_R_ROLE);
	built_clear(&r);
}

static void
test_receipts(void **state)
{
	struct fx *f = *state;
	struct built r;

	/* Closed-loop stages need verifier for the receipt's region. */
	make_receipt(f->verifier, FENGHUO__STAGE__VERIFIED, VILLAGE, &r);
	expect(f->t, &r, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	built_clear(&r);
	make_receipt(f->verifier, FENGHUO__STAGE__CLOSED, VILLAGE2, &r);
	expect(f->t, &r, FC_POLICY_REJECT, FC_POLICY_R_SCOPE);
	built_clear(&r);
	/* Without a region only an everywhere-verifier may speak. */
	make_receipt(f->verifier, FENGHUO__STAGE__REGISTERED, NULL, &r);
	expect(f->t, &r, FC_POLICY_REJECT, FC_POLICY_R_SCOPE);
	built_clear(&r);
	make_receipt(f->reporter, FENGHUO__STAGE__HANDLING, VILLAGE, &r);
	expect(f->t, &r, FC_POLICY_REJECT, FC_POLICY_R_ROLE);
	built_clear(&r);
	/*
	 * Delivery acknowledgements need node, wherever: the receipt carries the region of
	 * the county-wide warning it acknowledges, wider than the township node's grant.
	 */
	make_receipt(f->node, FENGHUO__STAGE__DELIVERED, COUNTY, &r);
	expect(f->t, &r, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	built_clear(&r);
	make_receipt(f->reporter, FENGHUO__STAGE__DELIVERED, COUNTY, &r);
	expect(f->t, &r, FC_POLICY_ACCEPT, FC_POLICY_R_OK);	/* the laptop is a node too */
	built_clear(&r);
	make_receipt(f->node, FENGHUO__STAGE__DELIVERED, NULL, &r);
	expect(f->t, &r, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	built_clear(&r);
	make_receipt(f->verifier, FENGHUO__STAGE__DELIVERED, NULL, &r);
	expect(f->t, &r, FC_POLICY_REJECT, FC_POLICY_R_ROLE);
	built_clear(&r);
}

static void
test_announce_needs_node(void **state)
{
	struct fx *f = *state;
	struct built a;

	make_announce(f->node, &a);
	expect(f->t, &a, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	built_clear(&a);
	make_announce(f->issuer, &a);
	expect(f->t, &a, FC_POLICY_REJECT, FC_POLICY_R_ROLE);
	built_clear(&a);
}

static void
test_expired_and_future_cert_rejected(void **state)
{
	struct fx *f = *state;
	struct fc_key *k;
	struct built c1, c2, w;
	char *areas[] = { COUNTY };

	assert_int_equal(fc_key_generate(&k), 0);
	/* Valid for ten days that ended yesterday. */
	make_cert(f->office, pk(k), R(ISSUER), COUNTY, NOW - 11 * DAY, NOW - DAY, NOW - 11 * DAY,
	    &c1);
	add(f->t, &c1);
	make_warning(k, areas, 1, NOW - MINUTE, &w);
	expect(f->t, &w, FC_POLICY_REJECT, FC_POLICY_R_CERT_EXPIRED);
	/* A grant that starts tomorrow does not help today. */
	make_cert(f->office, pk(k), R(ISSUER), COUNTY, NOW + DAY, NOW + 9 * DAY, NOW - HOUR,
	    &c2);
	add(f->t, &c2);
	expect(f->t, &w, FC_POLICY_REJECT, FC_POLICY_R_CERT_EXPIRED);
	built_clear(&w);
	built_clear(&c1);
	built_clear(&c2);
	fc_key_free(&k);
}

static void
test_cert_by_non_admin_rejected(void **state)
{
	struct fx *f = *state;
	struct fc_key *k;
	struct built c, r;

	assert_int_equal(fc_key_generate(&k), 0);
	/* The issuer is no admin: its CERT is refused ... */
	grant(f->issuer, k, R(REPORTER), VILLAGE, NOW - HOUR, &c);
	expect(f->t, &c, FC_POLICY_REJECT, FC_POLICY_R_ROLE);
	/* ... and even if it were recorded, the grant makes nobody a reporter. */
	add(f->t, &c);
	make_report(k, VILLAGE, NOW - MINUTE, &r);
	expect(f->t, &r, FC_POLICY_REJECT, FC_POLICY_R_ISSUER_NOT_ADMIN);
	built_clear(&c);
	built_clear(&r);
	/* An admin may not grant beyond its own scope either. */
	grant(f->office, k, R(REPORTER), OTHER_COUNTY, NOW - HOUR, &c);
	expect(f->t, &c, FC_POLICY_REJECT, FC_POLICY_R_SCOPE);
	add(f->t, &c);
	make_report(k, OTHER_COUNTY, NOW - MINUTE, &r);
	expect(f->t, &r, FC_POLICY_REJECT, FC_POLICY_R_ISSUER_NOT_ADMIN);
	built_clear(&c);
	built_clear(&r);
	fc_key_free(&k);
}

static void
test_chain_loop_rejected(void **state)
{
	struct fx *f = *state;
	struct fc_key *a, *b;
	struct built ca, cb, w;
	char *areas[] = { COUNTY };

	/* A and B certify each other as admins: a chain that never reaches the root. */
	assert_int_equal(fc_key_generate(&a), 0);
	assert_int_equal(fc_key_generate(&b), 0);
	grant(a, b, R(ADMIN) | R(ISSUER), EVERYWHERE, NOW - DAY, &cb);
	grant(b, a, R(ADMIN) | R(ISSUER), EVERYWHERE, NOW - DAY, &ca);
	add(f->t, &ca);
	add(f->t, &cb);
	make_warning(b, areas, 1, NOW - MINUTE, &w);
	expect(f->t, &w, FC_POLICY_REJECT, FC_POLICY_R_LOOP);
	expect(f->t, &ca, FC_POLICY_REJECT, FC_POLICY_R_LOOP);
	built_clear(&w);
	built_clear(&ca);
	built_clear(&cb);
	fc_key_free(&a);
	fc_key_free(&b);
}

static void
test_chain_depth_bounded(void **state)
{
	struct fx *f = *state;
	struct fc_key *k[FC_TRUST_MAX_DEPTH + 2];
	struct built c[FC_TRUST_MAX_DEPTH + 2], w;
	struct fc_policy_verdict v;
	char *areas[] = { COUNTY };
	size_t i;

	/* root -> k[1] -> k[2] -> ...: k[i] is i certificates away from the root. */
	k[0] = f->root;
	for (i = 1; i < FC_TRUST_MAX_DEPTH + 2; i++) {
		assert_int_equal(fc_key_generate(&k[i]), 0);
		grant(k[i - 1], k[i], R(ADMIN) | R(ISSUER), EVERYWHERE, NOW - DAY, &c[i]);
		add(f->t, &c[i]);
	}
	make_warning(k[FC_TRUST_MAX_DEPTH], areas, 1, NOW - MINUTE, &w);
	assert_int_equal(check(f->t, &w, &v), FC_POLICY_ACCEPT);
	assert_int_equal(v.chain_len, FC_TRUST_MAX_DEPTH);
	assert_memory_equal(v.chain[0], c[FC_TRUST_MAX_DEPTH].m.id, 32);
	assert_memory_equal(v.chain[FC_TRUST_MAX_DEPTH - 1], c[1].m.id, 32);
	built_clear(&w);
	make_warning(k[FC_TRUST_MAX_DEPTH + 1], areas, 1, NOW - MINUTE, &w);
	expect(f->t, &w, FC_POLICY_REJECT, FC_POLICY_R_DEPTH);
	built_clear(&w);
	for (i = 1; i < FC_TRUST_MAX_DEPTH + 2; i++) {
		built_clear(&c[i]);
		fc_key_free(&k[i]);
	}
}

static void
test_hostile_web_of_certs_terminates(void **state)
{
	struct fx *f = *state;
	enum { N = 24 };
	struct fc_key *k[N];
	struct built c, w;
	struct fc_policy_verdict v;
	char *areas[] = { COUNTY };
	size_t i, j;

	/*
	 * N unanchored admins certify every one of each other: N^8 paths of depth 8. The
	 * evaluation must end quickly with a rejection, whatever the bound that ends it.
	 */
	for (i = 0; i < N; i++)
		assert_int_equal(fc_key_generate(&k[i]), 0);
	for (i = 0; i < N; i++) {
		for (j = 0; j < N; j++) {
			if (i == j)
				continue;
			grant(k[i], k[j], R(ADMIN) | R(ISSUER), EVERYWHERE, NOW - DAY, &c);
			add(f->t, &c);
			built_clear(&c);
		}
	}
	assert_int_equal(fc_trust_grant_count(f->t), 5 + N * (N - 1));
	make_warning(k[0], areas, 1, NOW - MINUTE, &w);
	assert_int_equal(check(f->t, &w, &v), FC_POLICY_REJECT);
	assert_true(v.reason == FC_POLICY_R_LOOP || v.reason == FC_POLICY_R_DEPTH ||
	    v.reason == FC_POLICY_R_COMPLEX);
	built_clear(&w);
	for (i = 0; i < N; i++)
		fc_key_free(&k[i]);
}

static void
test_flood_of_grants_stays_bounded(void **state)
{
	struct fx *f = *state;
	enum { FLOOD = 30000 };
	struct fc_key *rogue;
	struct built c, rv, w, wv;
	Fenghuo__Body b;
	Fenghuo__Cert cert;
	Fenghuo__Role role = FENGHUO__ROLE__ISSUER;
	struct fc_policy_verdict v;
	uint8_t id[32];
	char *county[] = { COUNTY };
	char *village[] = { VILLAGE };
	size_t i;

	/*
	 * A compromised township admin records thousands of grants to the county issuer, as
	 * the store would load them at start-up (fc_trust_add_body(), no signatures needed).
	 */
	assert_int_equal(fc_key_generate(&rogue), 0);
	grant(f->office, rogue, R(ADMIN), TOWNSHIP, NOW - 3 * DAY, &c);
	add(f->t, &c);
	body_base(&b, rogue, FENGHUO__KIND__CERT, NOW - 2 * HOUR);
	fenghuo__cert__init(&cert);
	cert.has_subject = 1;
	cert.subject.data = (uint8_t *)(uintptr_t)pk(f->issuer);
	cert.subject.len = 32;
	cert.n_roles = 1;
	cert.roles = &role;
	cert.scope = VILLAGE;
	cert.has_not_before_ms = cert.has_not_after_ms = 1;
	cert.not_before_ms = NOW - DAY;
	cert.not_after_ms = NOW + DAY;
	b.cert = &cert;
	memset(id, 0, sizeof(id));
	for (i = 0; i < FLOOD; i++) {
		memcpy(id, &i, sizeof(i));
		b.created_ms = NOW - 2 * HOUR + i;
		assert_int_equal(fc_trust_add_body(f->t, id, &b), 0);
	}
	assert_int_equal(fc_trust_grant_count(f->t), 6 + FLOOD);

	/* The county-wide warning is judged by the county grant; the flood is out of scope. */
	make_warning(f->issuer, county, 1, NOW - MINUTE, &w);
	expect(f->t, &w, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	/* For a village in the rogue's township the rogue's grants are valid ones. */
	make_warning(f->issuer, village, 1, NOW - MINUTE, &wv);
	expect(f->t, &wv, FC_POLICY_ACCEPT, FC_POLICY_R_OK);

	/*
	 * The root withdraws the rogue from before the flood: every one of its grants is
	 * dismissed by a cheap check, and the issuer's own grant carries the warning.
	 */
	make_revoke(f->root, pk(rogue), NOW - 3 * HOUR, NOW - 30 * MINUTE, &rv);
	add(f->t, &rv);
	assert_int_equal(check(f->t, &wv, &v), FC_POLICY_ACCEPT);
	assert_int_equal(v.chain_len, 2);
	assert_memory_equal(v.chain[0], f->c_issuer.m.id, 32);
	expect(f->t, &w, FC_POLICY_ACCEPT, FC_POLICY_R_OK);

	built_clear(&c);
	built_clear(&rv);
	built_clear(&w);
	built_clear(&wv);
	fc_key_free(&rogue);
}

/* fc_policy_may_revoke() is the REVOKE rule of fc_policy_check(), asked before signing. */
static void
test_may_revoke(void **state)
{
	struct fx *f = *state;
	struct fc_key *stranger;
	struct fc_policy_verdict v, m;
	struct built rv;
	struct {
		const struct fc_key	*author, *subject;
		int			 verdict, reason;
	} cases[6];
	size_t i;

	assert_int_equal(fc_key_generate(&stranger), 0);
#define CASE(i_, a_, s_, v_, r_) do {							\
	cases[i_].author = (a_);							\
	cases[i_].subject = (s_);							\
	cases[i_].verdict = (v_);							\
	cases[i_].reason = (r_);							\
} while (0)
	CASE(0, f->root, f->issuer, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	CASE(1, f->office, f->issuer, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	CASE(2, f->reporter, f->issuer, FC_POLICY_REJECT, FC_POLICY_R_ROLE);
	CASE(3, f->reporter, f->reporter, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	CASE(4, stranger, stranger, FC_POLICY_HOLD, FC_POLICY_R_NO_CHAIN);
	CASE(5, stranger, f->issuer, FC_POLICY_HOLD, FC_POLICY_R_NO_CHAIN);
#undef CASE
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fc_policy_may_revoke(f->t, pk(cases[i].author), pk(cases[i].subject),
		    NOW - MINUTE, &v);
		if (v.verdict != cases[i].verdict || v.reason != cases[i].reason)
			fail_msg("case %zu: %d %s", i, v.verdict, fc_policy_reason_name(v.reason));
		/* The same verdict as the REVOKE message itself gets. */
		make_revoke(cases[i].author, pk(cases[i].subject), 0, NOW - MINUTE, &rv);
		check(f->t, &rv, &m);
		assert_int_equal(m.verdict, v.verdict);
		assert_int_equal(m.reason, v.reason);
		assert_int_equal(m.flags, v.flags);
		assert_memory_equal(m.missing, v.missing, 32);
		built_clear(&rv);
	}
	fc_key_free(&stranger);
}

/*
 * A closed-loop receipt counts for a report when its author was a verifier for the report's
 * region, whatever region the receipt itself names.
 */
static void
test_receipt_counts_for_report_region(void **state)
{
	struct fx *f = *state;
	struct built r;

	/* The township verifier, on a report of a village of its township: counts. */
	make_receipt(f->verifier, FENGHUO__STAGE__REGISTERED, VILLAGE, &r);
	expect(f->t, &r, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	assert_int_equal(fc_policy_receipt_counts(f->t, r.m.body, VILLAGE), 1);
	assert_int_equal(fc_policy_receipt_counts(f->t, r.m.body, TOWNSHIP), 1);
	/* On a report of another township (naming its own region to be accepted): does not. */
	assert_int_equal(fc_policy_receipt_counts(f->t, r.m.body, VILLAGE2), 0);
	assert_int_equal(fc_policy_receipt_counts(f->t, r.m.body, COUNTY), 0);
	assert_int_equal(fc_policy_receipt_counts(f->t, r.m.body, NULL), 0);
	built_clear(&r);
	/* A node's delivery receipt is no closed-loop receipt; a reporter is no verifier. */
	make_receipt(f->node, FENGHUO__STAGE__DELIVERED, TOWNSHIP, &r);
	assert_int_equal(fc_policy_receipt_counts(f->t, r.m.body, TOWNSHIP), 0);
	built_clear(&r);
	make_receipt(f->reporter, FENGHUO__STAGE__CLOSED, VILLAGE, &r);
	assert_int_equal(fc_policy_receipt_counts(f->t, r.m.body, VILLAGE), 0);
	built_clear(&r);
}

/* ---- the state of one grant (fenghuo keys) ------------------------------------------- */

/* The recorded grant of a CERT message. */
static const struct fc_grant *
grant_of(const struct fc_trust *t, const struct built *c)
{
	const struct fc_grant *g;
	size_t i;

	for (i = 0; i < fc_trust_grant_count(t); i++)
		if (memcmp((g = fc_trust_grant(t, i))->id, c->m.id, FC_IDBYTES) == 0)
			return g;
	fail_msg("grant not recorded");
	return NULL;
}

/* Assert the state and reason of a grant at a time, printing the names on failure. */
#define expect_state(t, c, at, state_, reason_, gs) do {				\
	fc_grant_state((t), grant_of((t), (c)), (at), (gs));				\
	if ((gs)->state != (state_) || (gs)->reason != (reason_))			\
		fail_msg("grant %s (%s), expected %s (%s)",				\
		    fc_grant_state_name((gs)->state),					\
		    fc_policy_reason_name((gs)->reason), fc_grant_state_name(state_),	\
		    fc_policy_reason_name(reason_));					\
} while (0)

/*
 * Every state but revoked, each next to the policy's verdict on a message under the grant
 * made at the same time: what a listing calls valid, the policy accepts, and for the same
 * reason otherwise.
 */
static void
test_grant_state_each_state(void **state)
{
	struct fx *f = *state;
	struct fc_key *k1, *k2, *k3, *k4, *stranger;
	struct built old, future, by_stranger, by_issuer, beyond, r;
	struct fc_grant_status gs;
	struct fc_policy_verdict v;

	assert_string_equal(fc_grant_state_name(FC_GRANT_VALID), "valid");
	assert_string_equal(fc_grant_state_name(FC_GRANT_NOT_YET), "not-yet-valid");
	assert_string_equal(fc_grant_state_name(FC_GRANT_EXPIRED), "expired");
	assert_string_equal(fc_grant_state_name(FC_GRANT_REVOKED), "revoked");
	assert_string_equal(fc_grant_state_name(FC_GRANT_UNVERIFIED), "unverified");
	assert_string_equal(fc_grant_state_name(FC_GRANT_INVALID), "invalid");

	/* Granted by the anchor, and by an admin the anchor made: valid. */
	expect_state(f->t, &f->c_office, NOW, FC_GRANT_VALID, FC_POLICY_R_OK, &gs);
	assert_true(gs.revoked_from == UINT64_MAX);
	assert_null(gs.revocation);
	expect_state(f->t, &f->c_reporter, NOW, FC_GRANT_VALID, FC_POLICY_R_OK, &gs);
	make_report(f->reporter, VILLAGE, NOW, &r);
	expect(f->t, &r, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	built_clear(&r);

	assert_int_equal(fc_key_generate(&k1), 0);
	assert_int_equal(fc_key_generate(&k2), 0);
	assert_int_equal(fc_key_generate(&k3), 0);
	assert_int_equal(fc_key_generate(&k4), 0);
	assert_int_equal(fc_key_generate(&stranger), 0);

	/* Ten days that ended yesterday: expired now, valid five days ago. */
	make_cert(f->office, pk(k1), R(REPORTER), VILLAGE, NOW - 11 * DAY, NOW - DAY,
	    NOW - 11 * DAY, &old);
	add(f->t, &old);
	expect_state(f->t, &old, NOW, FC_GRANT_EXPIRED, FC_POLICY_R_CERT_EXPIRED, &gs);
	expect_state(f->t, &old, NOW - 5 * DAY, FC_GRANT_VALID, FC_POLICY_R_OK, &gs);
	make_report(k1, VILLAGE, NOW, &r);
	expect(f->t, &r, FC_POLICY_REJECT, FC_POLICY_R_CERT_EXPIRED);
	built_clear(&r);

	/* Starts tomorrow: not yet valid now, valid the day after. */
	make_cert(f->office, pk(k2), R(REPORTER), VILLAGE, NOW + DAY, NOW + 9 * DAY, NOW - HOUR,
	    &future);
	add(f->t, &future);
	expect_state(f->t, &future, NOW, FC_GRANT_NOT_YET, FC_POLICY_R_CERT_NOT_YET, &gs);
	expect_state(f->t, &future, NOW + 2 * DAY, FC_GRANT_VALID, FC_POLICY_R_OK, &gs);
	make_report(k2, VILLAGE, NOW, &r);
	expect(f->t, &r, FC_POLICY_REJECT, FC_POLICY_R_CERT_NOT_YET);
	built_clear(&r);

	/* By a key nobody certified (yet): unverified, naming the key awaited. */
	grant(stranger, k3, R(REPORTER), VILLAGE, NOW - HOUR, &by_stranger);
	add(f->t, &by_stranger);
	expect_state(f->t, &by_stranger, NOW, FC_GRANT_UNVERIFIED, FC_POLICY_R_NO_CHAIN, &gs);
	assert_memory_equal(gs.missing, pk(stranger), 32);
	make_report(k3, VILLAGE, NOW, &r);
	assert_int_equal(check(f->t, &r, &v), FC_POLICY_HOLD);
	assert_memory_equal(v.missing, pk(stranger), 32);
	built_clear(&r);

	/* By a key that is no admin, and by an admin beyond its scope: invalid. */
	grant(f->issuer, k4, R(REPORTER), VILLAGE, NOW - HOUR, &by_issuer);
	add(f->t, &by_issuer);
	expect_state(f->t, &by_issuer, NOW, FC_GRANT_INVALID, FC_POLICY_R_ISSUER_NOT_ADMIN,
	    &gs);
	make_report(k4, VILLAGE, NOW, &r);
	expect(f->t, &r, FC_POLICY_REJECT, FC_POLICY_R_ISSUER_NOT_ADMIN);
	built_clear(&r);
	grant(f->office, k4, R(REPORTER), OTHER_COUNTY, NOW - HOUR, &beyond);
	add(f->t, &beyond);
	expect_state(f->t, &beyond, NOW, FC_GRANT_INVALID, FC_POLICY_R_ISSUER_NOT_ADMIN, &gs);
	make_report(k4, OTHER_COUNTY, NOW, &r);
	expect(f->t, &r, FC_POLICY_REJECT, FC_POLICY_R_ISSUER_NOT_ADMIN);
	built_clear(&r);

	/* An invalid issuer outranks the window: expired or not, the grant never counted. */
	built_clear(&by_issuer);
	make_cert(f->issuer, pk(k4), R(REPORTER), VILLAGE, NOW - 11 * DAY, NOW - DAY,
	    NOW - 11 * DAY, &by_issuer);
	add(f->t, &by_issuer);
	expect_state(f->t, &by_issuer, NOW, FC_GRANT_INVALID, FC_POLICY_R_ISSUER_NOT_ADMIN,
	    &gs);

	built_clear(&old);
	built_clear(&future);
	built_clear(&by_stranger);
	built_clear(&by_issuer);
	built_clear(&beyond);
	fc_key_free(&k1);
	fc_key_free(&k2);
	fc_key_free(&k3);
	fc_key_free(&k4);
	fc_key_free(&stranger);
}

/* A revocation withdraws a grant from its from_ms on, not from when it was made. */
static void
test_grant_state_revoked_from_a_date(void **state)
{
	struct fx *f = *state;
	struct built rv, rv2, old, before, after;
	struct fc_grant_status gs;
	struct fc_policy_verdict v;
	struct fc_key *k;

	/* The office revokes the reporter half an hour ago, from an hour ago. */
	make_revoke(f->office, pk(f->reporter), NOW - HOUR, NOW - 30 * MINUTE, &rv);
	add(f->t, &rv);
	expect_state(f->t, &f->c_reporter, NOW, FC_GRANT_REVOKED, FC_POLICY_R_REVOKED, &gs);
	assert_true(gs.revoked_from == NOW - HOUR);
	assert_non_null(gs.revocation);
	assert_memory_equal(gs.revocation->id, rv.m.id, 32);
	/* Two hours ago it was in force, revoked later: the policy accepts and marks. */
	expect_state(f->t, &f->c_reporter, NOW - 2 * HOUR, FC_GRANT_VALID, FC_POLICY_R_OK, &gs);
	assert_true(gs.revoked_from == NOW - HOUR);
	make_report(f->reporter, VILLAGE, NOW - 2 * HOUR, &before);
	assert_int_equal(check(f->t, &before, &v), FC_POLICY_ACCEPT);
	assert_true(v.flags & FC_POLICY_F_REVOKED_LATER);
	make_report(f->reporter, VILLAGE, NOW - MINUTE, &after);
	expect(f->t, &after, FC_POLICY_REJECT, FC_POLICY_R_REVOKED);
	/* The revocation counts against the reporter's grant, and only there. */
	assert_int_equal(fc_revocation_counts(f->t, gs.revocation,
	    grant_of(f->t, &f->c_reporter)), 1);
	assert_int_equal(fc_revocation_counts(f->t, gs.revocation,
	    grant_of(f->t, &f->c_issuer)), 0);
	/* An admin's revocation needs a grant in its scope: none voided "everywhere". */
	assert_int_equal(fc_revocation_counts(f->t, gs.revocation, NULL), 0);
	expect_state(f->t, &f->c_issuer, NOW, FC_GRANT_VALID, FC_POLICY_R_OK, &gs);
	assert_null(gs.revocation);

	/* An earlier one that counts moves the date back; revoked outranks expired. */
	assert_int_equal(fc_key_generate(&k), 0);
	make_cert(f->office, pk(k), R(REPORTER), VILLAGE, NOW - 11 * DAY, NOW - DAY,
	    NOW - 11 * DAY, &old);
	add(f->t, &old);
	make_revoke(k, pk(k), NOW - 2 * DAY, NOW - 2 * DAY, &rv2);
	add(f->t, &rv2);
	expect_state(f->t, &old, NOW, FC_GRANT_REVOKED, FC_POLICY_R_REVOKED, &gs);
	assert_true(gs.revoked_from == NOW - 2 * DAY);
	assert_memory_equal(gs.revocation->id, rv2.m.id, 32);
	/* A self-revocation voids every grant of the key, known or not. */
	assert_int_equal(fc_revocation_counts(f->t, gs.revocation, NULL), 1);

	built_clear(&rv);
	built_clear(&rv2);
	built_clear(&old);
	built_clear(&before);
	built_clear(&after);
	fc_key_free(&k);
}

/* A township admin's revocation voids grants inside its township, not the county's. */
static void
test_grant_state_admin_revocation_scope(void **state)
{
	struct fx *f = *state;
	struct fc_key *tadmin;
	struct built c, rv_issuer, rv_reporter;
	struct fc_grant_status gs;

	assert_int_equal(fc_key_generate(&tadmin), 0);
	grant(f->office, tadmin, R(ADMIN), TOWNSHIP, NOW - DAY, &c);
	add(f->t, &c);
	make_revoke(tadmin, pk(f->issuer), NOW - HOUR, NOW - 30 * MINUTE, &rv_issuer);
	add(f->t, &rv_issuer);
	make_revoke(tadmin, pk(f->reporter), NOW - HOUR, NOW - 30 * MINUTE, &rv_reporter);
	add(f->t, &rv_reporter);
	expect_state(f->t, &f->c_issuer, NOW, FC_GRANT_VALID, FC_POLICY_R_OK, &gs);
	assert_true(gs.revoked_from == UINT64_MAX);
	assert_int_equal(fc_revocation_counts(f->t, fc_trust_revocation(f->t, 0),
	    grant_of(f->t, &f->c_issuer)), 0);
	expect_state(f->t, &f->c_reporter, NOW, FC_GRANT_REVOKED, FC_POLICY_R_REVOKED, &gs);
	assert_memory_equal(gs.revocation->id, rv_reporter.m.id, 32);
	built_clear(&c);
	built_clear(&rv_issuer);
	built_clear(&rv_reporter);
	fc_key_free(&tadmin);
}

/*
 * Revoking the granter breaks the chain of what it granted after the revocation's date;
 * what it granted before stands. Both through the anchor's cheap withdrawal check and
 * through an admin's revocation, which needs the walk.
 */
static void
test_grant_state_chain_broken_by_revoking_granter(void **state)
{
	struct fx *f = *state;
	struct fc_key *tadmin, *k;
	struct built late, early, c_tadmin, c_k, rp, w;
	struct fc_grant_status gs;
	char *areas[] = { COUNTY };

	/* The root withdraws the office from an hour ago: the office's own grant is revoked... */
	make_revoke(f->root, pk(f->office), NOW - HOUR, NOW - 30 * MINUTE, &late);
	add(f->t, &late);
	expect_state(f->t, &f->c_office, NOW, FC_GRANT_REVOKED, FC_POLICY_R_REVOKED, &gs);
	/* ...but the issuer it certified two days ago is still valid, and so is its warning. */
	expect_state(f->t, &f->c_issuer, NOW, FC_GRANT_VALID, FC_POLICY_R_OK, &gs);
	make_warning(f->issuer, areas, 1, NOW - MINUTE, &w);
	expect(f->t, &w, FC_POLICY_ACCEPT, FC_POLICY_R_OK);

	/* From five days ago instead: everything the office granted since is broken. */
	make_revoke(f->root, pk(f->office), NOW - 5 * DAY, NOW - 20 * MINUTE, &early);
	add(f->t, &early);
	expect_state(f->t, &f->c_issuer, NOW, FC_GRANT_INVALID, FC_POLICY_R_ISSUER_REVOKED, &gs);
	expect_state(f->t, &f->c_reporter, NOW, FC_GRANT_INVALID, FC_POLICY_R_ISSUER_REVOKED,
	    &gs);
	expect(f->t, &w, FC_POLICY_REJECT, FC_POLICY_R_ISSUER_REVOKED);
	built_clear(&w);
	built_clear(&late);
	built_clear(&early);
	fc_trust_free(&f->t);

	/* A fresh county: the office certifies a township admin, which certifies a reporter. */
	assert_non_null(f->t = fc_trust_new(anchor_of(f->root), 1));
	add(f->t, &f->c_office);
	assert_int_equal(fc_key_generate(&tadmin), 0);
	assert_int_equal(fc_key_generate(&k), 0);
	grant(f->office, tadmin, R(ADMIN), TOWNSHIP, NOW - 3 * DAY, &c_tadmin);
	add(f->t, &c_tadmin);
	grant(tadmin, k, R(REPORTER), VILLAGE, NOW - DAY, &c_k);
	add(f->t, &c_k);
	expect_state(f->t, &c_k, NOW, FC_GRANT_VALID, FC_POLICY_R_OK, &gs);
	/* The office (an admin, not an anchor) revokes the township admin from two days ago. */
	make_revoke(f->office, pk(tadmin), NOW - 2 * DAY, NOW - HOUR, &early);
	add(f->t, &early);
	expect_state(f->t, &c_tadmin, NOW, FC_GRANT_REVOKED, FC_POLICY_R_REVOKED, &gs);
	expect_state(f->t, &c_k, NOW, FC_GRANT_INVALID, FC_POLICY_R_ISSUER_REVOKED, &gs);
	make_report(k, VILLAGE, NOW - MINUTE, &rp);
	expect(f->t, &rp, FC_POLICY_REJECT, FC_POLICY_R_ISSUER_REVOKED);
	built_clear(&early);
	built_clear(&c_tadmin);
	built_clear(&c_k);
	built_clear(&rp);
	fc_key_free(&tadmin);
	fc_key_free(&k);
}

/* A chain that never reaches an anchor is invalid, as the policy says (chain-loop). */
static void
test_grant_state_loop(void **state)
{
	struct fx *f = *state;
	struct fc_key *a, *b;
	struct built ca, cb;
	struct fc_grant_status gs;

	assert_int_equal(fc_key_generate(&a), 0);
	assert_int_equal(fc_key_generate(&b), 0);
	grant(a, b, R(ADMIN), EVERYWHERE, NOW - DAY, &cb);
	grant(b, a, R(ADMIN), EVERYWHERE, NOW - DAY, &ca);
	add(f->t, &ca);
	add(f->t, &cb);
	expect_state(f->t, &ca, NOW, FC_GRANT_INVALID, FC_POLICY_R_LOOP, &gs);
	expect(f->t, &ca, FC_POLICY_REJECT, FC_POLICY_R_LOOP);
	built_clear(&ca);
	built_clear(&cb);
	fc_key_free(&a);
	fc_key_free(&b);
}

/*
 * A grant whose issuer's chain runs back through the grant's own subject never counts for
 * the policy (holds() meets the subject again: a loop), so it is not listed valid either,
 * even though each key of the chain is certified.
 */
static void
test_grant_state_loop_through_subject(void **state)
{
	struct fx *f = *state;
	struct fc_key *b;
	struct built cb, back, w;
	struct fc_grant_status gs;
	char *areas[] = { COUNTY };

	/* The office (admin by the root) makes B an admin; B makes the office an issuer. */
	assert_int_equal(fc_key_generate(&b), 0);
	grant(f->office, b, R(ADMIN), COUNTY, NOW - DAY, &cb);
	add(f->t, &cb);
	grant(b, f->office, R(ISSUER), COUNTY, NOW - HOUR, &back);
	add(f->t, &back);
	expect_state(f->t, &cb, NOW, FC_GRANT_VALID, FC_POLICY_R_OK, &gs);
	expect_state(f->t, &back, NOW, FC_GRANT_INVALID, FC_POLICY_R_LOOP, &gs);
	make_warning(f->office, areas, 1, NOW - MINUTE, &w);
	expect(f->t, &w, FC_POLICY_REJECT, FC_POLICY_R_LOOP);
	built_clear(&cb);
	built_clear(&back);
	built_clear(&w);
	fc_key_free(&b);
}

/* ---- held messages and arrival order --------------------------------------------------- */

static void
test_unknown_author_held_then_accepted(void **state)
{
	struct fx *f = *state;
	struct fc_key *k;
	struct built c, w;
	struct fc_policy_verdict v;
	struct fc_held *h;
	struct fc_held_entry *e;
	struct fc_msg m;
	size_t n;
	char *areas[] = { TOWNSHIP };

	assert_int_equal(fc_key_generate(&k), 0);
	assert_non_null(h = fc_held_new(16, 64 * 1024, HOUR));
	make_warning(k, areas, 1, NOW - MINUTE, &w);
	assert_int_equal(check(f->t, &w, &v), FC_POLICY_HOLD);
	assert_int_equal(v.reason, FC_POLICY_R_NO_CHAIN);
	assert_memory_equal(v.missing, pk(k), 32);
	assert_int_equal(fc_held_add(h, w.env, w.len, w.m.id, v.missing, NOW), 0);

	/* Its certificate arrives: take what waited for it, validate again, accept. */
	grant(f->office, k, R(ISSUER), TOWNSHIP, NOW - HOUR, &c);
	expect(f->t, &c, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	add(f->t, &c);
	assert_int_equal(fc_held_take(h, pk(k), &e, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(e[0].id, w.m.id, 32);
	assert_int_equal(fc_validate(e[0].env, e[0].len, NOW, NOW, &m), FC_R_OK);
	assert_int_equal(fc_policy_check(f->t, &m, NOW, &v), FC_POLICY_ACCEPT);
	fc_msg_clear(&m);
	fc_held_entries_free(&e, n);
	assert_null(e);
	assert_int_equal(fc_held_take(h, pk(k), &e, &n), 0);
	assert_int_equal(n, 0);
	fc_held_free(&h);
	assert_null(h);
	built_clear(&c);
	built_clear(&w);
	fc_key_free(&k);
}

/*
 * The node's loop in miniature: check; on HOLD keep it waiting for verdict.missing; on
 * an accepted CERT record it and re-check whatever waited for its subject.
 */
static void
process(struct fc_trust *t, struct fc_held *h, const uint8_t *env, size_t len,
    uint64_t held_ms, size_t *accepted)
{
	struct fc_policy_verdict v;
	struct fc_held_entry *e;
	struct fc_msg m;
	size_t i, n;

	assert_int_equal(fc_validate(env, len, NOW, NOW, &m), FC_R_OK);
	switch (fc_policy_check(t, &m, NOW, &v)) {
	case FC_POLICY_HOLD:
		assert_int_equal(fc_held_add(h, env, len, m.id, v.missing, held_ms), 0);
		break;
	case FC_POLICY_ACCEPT:
		(*accepted)++;
		assert_int_equal(fc_trust_add(t, &m), 0);
		if (m.body->kind != FENGHUO__KIND__CERT)
			break;
		assert_int_equal(fc_held_take(h, m.body->cert->subject.data, &e, &n), 0);
		for (i = 0; i < n; i++)
			process(t, h, e[i].env, e[i].len, e[i].held_ms, accepted);
		fc_held_entries_free(&e, n);
		break;
	default:
		fail_msg("rejected: %s", fc_policy_reason_name(v.reason));
	}
	fc_msg_clear(&m);
}

static void
test_reverse_order_arrival_converges(void **state)
{
	struct fx *f = *state;
	struct fc_trust *t;
	struct fc_held *h;
	struct fc_held_stats st;
	struct fc_key *office2, *issuer2;
	struct built c1, c2, w;
	char *areas[] = { TOWNSHIP2 };
	size_t accepted = 0;

	/* A second office and its issuer; gossip delivers the warning first, the root's last. */
	assert_int_equal(fc_key_generate(&office2), 0);
	assert_int_equal(fc_key_generate(&issuer2), 0);
	grant(f->root, office2, R(ADMIN), TOWNSHIP2, NOW - 2 * DAY, &c1);
	grant(office2, issuer2, R(ISSUER), TOWNSHIP2, NOW - DAY, &c2);
	make_warning(issuer2, areas, 1, NOW - MINUTE, &w);
	assert_non_null(t = fc_trust_new(anchor_of(f->root), 1));
	assert_non_null(h = fc_held_new(16, 64 * 1024, HOUR));

	process(t, h, w.env, w.len, NOW, &accepted);
	process(t, h, c2.env, c2.len, NOW, &accepted);
	fc_held_stats(h, &st);
	assert_int_equal(st.count, 2);
	assert_int_equal(accepted, 0);
	process(t, h, c1.env, c1.len, NOW, &accepted);
	/* The root's cert released the office's, which released the warning. */
	assert_int_equal(accepted, 3);
	fc_held_stats(h, &st);
	assert_int_equal(st.count, 0);
	assert_int_equal(st.bytes, 0);

	fc_held_free(&h);
	fc_trust_free(&t);
	built_clear(&c1);
	built_clear(&c2);
	built_clear(&w);
	fc_key_free(&office2);
	fc_key_free(&issuer2);
}

static void
test_missing_key_is_up_the_chain(void **state)
{
	struct fx *f = *state;
	struct fc_key *office2, *issuer2;
	struct built c2, w;
	struct fc_policy_verdict v;
	char *areas[] = { TOWNSHIP2 };

	/* The issuer's grant is known, its author's is not: wait for the author's. */
	assert_int_equal(fc_key_generate(&office2), 0);
	assert_int_equal(fc_key_generate(&issuer2), 0);
	grant(office2, issuer2, R(ISSUER), TOWNSHIP2, NOW - DAY, &c2);
	add(f->t, &c2);
	make_warning(issuer2, areas, 1, NOW - MINUTE, &w);
	assert_int_equal(check(f->t, &w, &v), FC_POLICY_HOLD);
	assert_memory_equal(v.missing, pk(office2), 32);
	built_clear(&c2);
	built_clear(&w);
	fc_key_free(&office2);
	fc_key_free(&issuer2);
}

/* ---- revocation ------------------------------------------------------------------------ */

static void
test_revoked_key_later_rejected_earlier_marked(void **state)
{
	struct fx *f = *state;
	struct built rv, before, after;
	struct fc_policy_verdict v;

	/* The reporter's laptop was lost an hour ago; the office revokes it from then. */
	make_report(f->reporter, VILLAGE, NOW - 2 * HOUR, &before);
	make_report(f->reporter, VILLAGE, NOW - MINUTE, &after);
	make_revoke(f->office, pk(f->reporter), NOW - HOUR, NOW - 30 * MINUTE, &rv);
	expect(f->t, &rv, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	add(f->t, &rv);
	assert_int_equal(fc_trust_revocation_count(f->t), 1);
	assert_int_equal(fc_trust_revocation(f->t, 0)->from_ms, NOW - HOUR);

	expect(f->t, &after, FC_POLICY_REJECT, FC_POLICY_R_REVOKED);
	assert_int_equal(check(f->t, &before, &v), FC_POLICY_ACCEPT);
	assert_true(v.flags & FC_POLICY_F_REVOKED_LATER);
	/* Everyone else is untouched. */
	assert_int_equal(fc_trust_holds(f->t, pk(f->issuer), FENGHUO__ROLE__ISSUER, COUNTY, NOW,
	    &v), FC_POLICY_ACCEPT);
	assert_int_equal(v.flags, 0);
	built_clear(&rv);
	built_clear(&before);
	built_clear(&after);
}

/*
 * Who may update or cancel a warning: its own author, or an issuer for every area of it. A
 * township issuer naming its own township cannot cancel the county's warning.
 */
static void
test_who_may_change_a_warning(void **state)
{
	struct fx *f = *state;
	struct fc_key *town, *town2;
	struct built c_town, c_town2, county_w, town_w, by_town, by_town2, by_county,
	    by_root, rep, rv;
	char *county[] = { COUNTY }, *township[] = { TOWNSHIP }, *township2[] = { TOWNSHIP2 };

	assert_int_equal(fc_key_generate(&town), 0);
	assert_int_equal(fc_key_generate(&town2), 0);
	grant(f->office, town, R(ISSUER), TOWNSHIP, NOW - 2 * DAY, &c_town);
	grant(f->office, town2, R(ISSUER), TOWNSHIP2, NOW - 2 * DAY, &c_town2);
	add(f->t, &c_town);
	add(f->t, &c_town2);
	make_warning(f->issuer, county, 1, NOW - HOUR, &county_w);
	make_warning(town, township, 1, NOW - HOUR, &town_w);
	make_warning(town, township, 1, NOW - MINUTE, &by_town);
	make_warning(town2, township2, 1, NOW - MINUTE, &by_town2);
	make_warning(f->issuer, county, 1, NOW - MINUTE, &by_county);
	make_warning(f->root, township, 1, NOW - MINUTE, &by_root);
	make_report(f->reporter, VILLAGE, NOW - HOUR, &rep);
	/* Each change is itself a message its author may send. */
	expect(f->t, &by_town, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	expect(f->t, &by_town2, FC_POLICY_ACCEPT, FC_POLICY_R_OK);

	/* The county's warning: its author and the anchor, not a township's issuer. */
	assert_int_equal(fc_policy_may_change(f->t, by_county.m.body, county_w.m.body), 1);
	assert_int_equal(fc_policy_may_change(f->t, by_root.m.body, county_w.m.body), 1);
	assert_int_equal(fc_policy_may_change(f->t, by_town.m.body, county_w.m.body), 0);
	/* A township's warning: its author, and the county's issuer above it; not a neighbour. */
	assert_int_equal(fc_policy_may_change(f->t, by_town.m.body, town_w.m.body), 1);
	assert_int_equal(fc_policy_may_change(f->t, by_county.m.body, town_w.m.body), 1);
	assert_int_equal(fc_policy_may_change(f->t, by_town2.m.body, town_w.m.body), 0);
	/* Only warnings change warnings. */
	assert_int_equal(fc_policy_may_change(f->t, by_county.m.body, rep.m.body), 0);
	assert_int_equal(fc_policy_may_change(f->t, rep.m.body, town_w.m.body), 0);
	/* Open mode (no trust state): the change's areas must cover the target's. */
	assert_int_equal(fc_policy_may_change(NULL, by_town.m.body, county_w.m.body), 0);
	assert_int_equal(fc_policy_may_change(NULL, by_county.m.body, town_w.m.body), 1);
	assert_int_equal(fc_policy_may_change(NULL, by_town2.m.body, town_w.m.body), 0);
	/* Open mode: the author may change its own. */
	assert_int_equal(fc_policy_may_change(NULL, by_town.m.body, town_w.m.body), 1);
	/* A revoked issuer's later change no longer counts, even to its own warning. */
	make_revoke(f->office, pk(town), NOW - 30 * MINUTE, NOW - 30 * MINUTE, &rv);
	add(f->t, &rv);
	assert_int_equal(fc_policy_may_change(f->t, by_town.m.body, town_w.m.body), 0);
	assert_int_equal(fc_policy_may_change(f->t, by_county.m.body, town_w.m.body), 1);
	built_clear(&rv);
	built_clear(&c_town);
	built_clear(&c_town2);
	built_clear(&county_w);
	built_clear(&town_w);
	built_clear(&by_town);
	built_clear(&by_town2);
	built_clear(&by_county);
	built_clear(&by_root);
	built_clear(&rep);
	fc_key_free(&town);
	fc_key_free(&town2);
}

static void
test_revoked_admin_later_grants_void(void **state)
{
	struct fx *f = *state;
	struct fc_key *k;
	struct built rv, c, r, w;
	struct fc_policy_verdict v;
	char *areas[] = { COUNTY };

	/* The root revokes the office from an hour ago. */
	assert_int_equal(fc_key_generate(&k), 0);
	make_revoke(f->root, pk(f->office), NOW - HOUR, NOW - 30 * MINUTE, &rv);
	assert_int_equal(check(f->t, &rv, &v), FC_POLICY_ACCEPT);
	assert_true(v.flags & FC_POLICY_F_ANCHOR);
	add(f->t, &rv);

	/* A grant it made afterwards is void, and so is the CERT message itself. */
	grant(f->office, k, R(REPORTER), VILLAGE, NOW - 10 * MINUTE, &c);
	expect(f->t, &c, FC_POLICY_REJECT, FC_POLICY_R_REVOKED);
	add(f->t, &c);
	make_report(k, VILLAGE, NOW - MINUTE, &r);
	expect(f->t, &r, FC_POLICY_REJECT, FC_POLICY_R_ISSUER_REVOKED);
	/* Grants it made two days ago stand: the issuer still publishes, unmarked. */
	make_warning(f->issuer, areas, 1, NOW - MINUTE, &w);
	assert_int_equal(check(f->t, &w, &v), FC_POLICY_ACCEPT);
	assert_int_equal(v.flags, 0);
	built_clear(&rv);
	built_clear(&c);
	built_clear(&r);
	built_clear(&w);
	fc_key_free(&k);
}

static void
test_revocation_authority(void **state)
{
	struct fx *f = *state;
	struct fc_key *tadmin;
	struct built c, rv1, rv2, rv3, w, rp;
	char *areas[] = { COUNTY };

	/* A township admin: may revoke, but only within its township. */
	assert_int_equal(fc_key_generate(&tadmin), 0);
	grant(f->office, tadmin, R(ADMIN), TOWNSHIP, NOW - DAY, &c);
	add(f->t, &c);
	make_warning(f->issuer, areas, 1, NOW - MINUTE, &w);
	make_report(f->reporter, VILLAGE, NOW - MINUTE, &rp);

	/* A reporter revoking the issuer: refused, and ignored if recorded regardless. */
	make_revoke(f->reporter, pk(f->issuer), NOW - HOUR, NOW - 30 * MINUTE, &rv1);
	expect(f->t, &rv1, FC_POLICY_REJECT, FC_POLICY_R_ROLE);
	add(f->t, &rv1);
	expect(f->t, &w, FC_POLICY_ACCEPT, FC_POLICY_R_OK);

	/* The township admin revoking the county issuer: accepted, but outside its scope. */
	make_revoke(tadmin, pk(f->issuer), NOW - HOUR, NOW - 30 * MINUTE, &rv2);
	expect(f->t, &rv2, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	add(f->t, &rv2);
	expect(f->t, &w, FC_POLICY_ACCEPT, FC_POLICY_R_OK);

	/* The same admin revoking the reporter of a village in its township: effective. */
	make_revoke(tadmin, pk(f->reporter), NOW - HOUR, NOW - 30 * MINUTE, &rv3);
	add(f->t, &rv3);
	expect(f->t, &rp, FC_POLICY_REJECT, FC_POLICY_R_REVOKED);

	built_clear(&c);
	built_clear(&rv1);
	built_clear(&rv2);
	built_clear(&rv3);
	built_clear(&w);
	built_clear(&rp);
	fc_key_free(&tadmin);
}

static void
test_mutual_revocation_terminates(void **state)
{
	struct fx *f = *state;
	struct fc_key *a, *b;
	struct built ca, cb, ra, rb;
	struct fc_policy_verdict v;

	/* Two township admins revoke each other: a cycle through the revocations. */
	assert_int_equal(fc_key_generate(&a), 0);
	assert_int_equal(fc_key_generate(&b), 0);
	grant(f->office, a, R(ADMIN), TOWNSHIP, NOW - DAY, &ca);
	grant(f->office, b, R(ADMIN), TOWNSHIP, NOW - DAY, &cb);
	make_revoke(a, pk(b), NOW - HOUR, NOW - 30 * MINUTE, &rb);
	make_revoke(b, pk(a), NOW - HOUR, NOW - 30 * MINUTE, &ra);
	add(f->t, &ca);
	add(f->t, &cb);
	add(f->t, &ra);
	add(f->t, &rb);
	/* Each revocation is checked with the other key's withdrawal of it out of reach. */
	assert_int_equal(fc_trust_holds(f->t, pk(a), FENGHUO__ROLE__ADMIN, VILLAGE, NOW, &v),
	    FC_POLICY_REJECT);
	assert_int_equal(v.reason, FC_POLICY_R_REVOKED);
	assert_int_equal(fc_trust_holds(f->t, pk(b), FENGHUO__ROLE__ADMIN, VILLAGE, NOW, &v),
	    FC_POLICY_REJECT);
	assert_int_equal(v.reason, FC_POLICY_R_REVOKED);
	/* Before either revocation both were admins. */
	assert_int_equal(fc_trust_holds(f->t, pk(a), FENGHUO__ROLE__ADMIN, VILLAGE,
	    NOW - 2 * HOUR, &v), FC_POLICY_ACCEPT);
	assert_true(v.flags & FC_POLICY_F_REVOKED_LATER);
	built_clear(&ca);
	built_clear(&cb);
	built_clear(&ra);
	built_clear(&rb);
	fc_key_free(&a);
	fc_key_free(&b);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	/* xorshift64: deterministic, so a failure reproduces. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void
test_verdicts_independent_of_arrival_order(void **state)
{
	struct fx *f = *state;
	enum { NK = 6, NC = 30, NR = 4, ROUNDS = 12 };
	struct fc_key *k[NK + 1];
	struct built msgs[NC + NR];
	struct fc_trust *fwd, *rev;
	struct fc_policy_verdict v1, v2;
	char *scopes[] = { EVERYWHERE, COUNTY, TOWNSHIP, TOWNSHIP2, VILLAGE };
	char *asks[] = { COUNTY, TOWNSHIP, VILLAGE, VILLAGE2, OTHER_COUNTY };
	uint64_t times[] = { NOW - 5 * DAY, NOW - 2 * HOUR, NOW - MINUTE };
	size_t round, i, j, m, a, ti;
	uint64_t nb;
	int role, roles;

	/*
	 * Random webs of grants and revocations among the root and NK keys, recorded in two
	 * opposite orders: every question must get the same answer from both. This is what
	 * lets every node of a healed mesh reach the same verdicts.
	 */
	k[0] = f->root;
	for (i = 1; i <= NK; i++)
		assert_int_equal(fc_key_generate(&k[i]), 0);
	for (round = 0; round < ROUNDS; round++) {
		for (m = 0; m < NC; m++) {
			i = rng() % (NK + 1);
			j = 1 + rng() % NK;
			roles = (int)(rng() % 63) & ~1;
			if (roles == 0)
				roles = R(ADMIN);
			nb = NOW - (rng() % 10) * DAY;
			make_cert(k[i], pk(k[j]), (uint32_t)roles, scopes[rng() % 5], nb,
			    nb + (1 + rng() % 10) * DAY, NOW - (rng() % 7) * DAY - 1, &msgs[m]);
		}
		for (m = NC; m < NC + NR; m++)
			make_revoke(k[rng() % (NK + 1)], pk(k[1 + rng() % NK]),
			    NOW - (rng() % 72) * HOUR, NOW - rng() % HOUR - 1, &msgs[m]);
		assert_non_null(fwd = fc_trust_new(anchor_of(f->root), 1));
		assert_non_null(rev = fc_trust_new(anchor_of(f->root), 1));
		for (m = 0; m < NC + NR; m++) {
			add(fwd, &msgs[m]);
			add(rev, &msgs[NC + NR - 1 - m]);
		}
		for (i = 1; i <= NK; i++) {
			for (role = FENGHUO__ROLE__NODE; role <= FENGHUO__ROLE__ADMIN; role++) {
				for (a = 0; a < 5; a++) {
					for (ti = 0; ti < 3; ti++) {
						fc_trust_holds(fwd, pk(k[i]), role, asks[a], times[ti],
						    &v1);
						fc_trust_holds(rev, pk(k[i]), role, asks[a], times[ti],
						    &v2);
						assert_int_equal(v1.verdict, v2.verdict);
						assert_int_equal(v1.reason, v2.reason);
						assert_int_equal(v1.flags, v2.flags);
					}
				}
			}
		}
		for (m = 0; m < NC + NR; m++) {
			check(fwd, &msgs[m], &v1);
			check(rev, &msgs[m], &v2);
			assert_int_equal(v1.verdict, v2.verdict);
			assert_int_equal(v1.reason, v2.reason);
			built_clear(&msgs[m]);
		}
		fc_trust_free(&fwd);
		fc_trust_free(&rev);
	}
	for (i = 1; i <= NK; i++)
		fc_key_free(&k[i]);
}

static void
test_self_revocation(void **state)
{
	struct fx *f = *state;
	struct fc_key *stranger;
	struct built rv, rs, w;
	struct fc_policy_verdict v;
	char *areas[] = { COUNTY };

	/* A key may withdraw itself (no from: from the revocation's own time). */
	make_revoke(f->issuer, pk(f->issuer), 0, NOW - 30 * MINUTE, &rv);
	expect(f->t, &rv, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
	add(f->t, &rv);
	make_warning(f->issuer, areas, 1, NOW - MINUTE, &w);
	expect(f->t, &w, FC_POLICY_REJECT, FC_POLICY_R_REVOKED);
	built_clear(&w);
	make_warning(f->issuer, areas, 1, NOW - HOUR, &w);
	assert_int_equal(check(f->t, &w, &v), FC_POLICY_ACCEPT);
	assert_true(v.flags & FC_POLICY_F_REVOKED_LATER);
	built_clear(&w);

	/* A stranger's self-revocation waits for a grant to it (it would be free storage). */
	assert_int_equal(fc_key_generate(&stranger), 0);
	make_revoke(stranger, pk(stranger), 0, NOW - MINUTE, &rs);
	assert_int_equal(check(f->t, &rs, &v), FC_POLICY_HOLD);
	assert_memory_equal(v.missing, pk(stranger), 32);
	built_clear(&rv);
	built_clear(&rs);
	fc_key_free(&stranger);
}

static void
test_trust_add_idempotent_and_ignores_others(void **state)
{
	struct fx *f = *state;
	struct built r;
	const struct fc_grant *g;
	size_t i, n;

	n = fc_trust_grant_count(f->t);
	add(f->t, &f->c_issuer);
	assert_int_equal(fc_trust_grant_count(f->t), n);
	make_report(f->reporter, VILLAGE, NOW - MINUTE, &r);
	add(f->t, &r);
	assert_int_equal(fc_trust_grant_count(f->t), n);
	assert_int_equal(fc_trust_revocation_count(f->t), 0);
	built_clear(&r);
	/* Listed with what the CERT said. */
	assert_null(fc_trust_grant(f->t, n));
	assert_true(fc_trust_known(f->t, pk(f->reporter)));
	assert_false(fc_trust_known(f->t, pk(f->root)));
	for (i = 0; i < n; i++) {
		g = fc_trust_grant(f->t, i);
		if (memcmp(g->subject, pk(f->reporter), 32) != 0)
			continue;
		assert_int_equal(g->roles, R(REPORTER) | R(NODE));
		assert_string_equal(g->scope, VILLAGE);
		assert_memory_equal(g->author, pk(f->office), 32);
		assert_int_equal(g->not_after_ms, NOW + 365 * DAY);
	}
	assert_true(fc_trust_is_anchor(f->t, pk(f->root)));
	assert_false(fc_trust_is_anchor(f->t, pk(f->office)));
	assert_string_equal(fc_policy_reason_name(FC_POLICY_R_SCOPE), "out-of-scope");
	assert_string_equal(fc_policy_reason_name(FC_POLICY_R_MAX), "unknown");
}

static void
test_no_anchor_trusts_nothing(void **state)
{
	struct fx *f = *state;
	struct fc_trust *t;
	struct built w;
	char *areas[] = { COUNTY };

	assert_non_null(t = fc_trust_new(NULL, 0));
	add(t, &f->c_office);
	add(t, &f->c_issuer);
	make_warning(f->root, areas, 1, NOW - MINUTE, &w);
	expect(t, &w, FC_POLICY_HOLD, FC_POLICY_R_NO_CHAIN);
	built_clear(&w);
	make_warning(f->issuer, areas, 1, NOW - MINUTE, &w);
	expect(t, &w, FC_POLICY_HOLD, FC_POLICY_R_NO_CHAIN);
	built_clear(&w);
	fc_trust_free(&t);
}

static void
test_node_by_transport_key(void **state)
{
	struct fx *f = *state;
	struct fc_key *n2, *n3;
	struct built c2, c3, rv;
	uint8_t tk2[32], tk3[32], tk_unknown[32], who[32];
	size_t i, n;

	/* Two machines, each certified with the Curve25519 key it uses on ZeroMQ links. */
	assert_int_equal(fc_key_generate(&n2), 0);
	assert_int_equal(fc_key_generate(&n3), 0);
	memset(tk2, 0x22, 32);
	memset(tk3, 0x33, 32);
	memset(tk_unknown, 0x44, 32);
	next_transport_key = tk2;
	grant(f->office, n2, R(NODE), TOWNSHIP, NOW - DAY, &c2);
	add(f->t, &c2);
	/* n3's grant carries a transport key but no node role: it admits nobody. */
	next_transport_key = tk3;
	grant(f->office, n3, R(REPORTER), VILLAGE, NOW - DAY, &c3);
	add(f->t, &c3);
	for (i = 0, n = 0; i < fc_trust_grant_count(f->t); i++)
		n += fc_trust_grant(f->t, i)->has_transport_key != 0;
	assert_int_equal(n, 2);

	memset(who, 0, 32);
	assert_int_equal(fc_trust_node_by_transport(f->t, tk2, NOW, who), 0);
	assert_memory_equal(who, pk(n2), 32);
	assert_int_equal(fc_trust_node_by_transport(f->t, tk3, NOW, who), -1);
	assert_int_equal(fc_trust_node_by_transport(f->t, tk_unknown, NOW, who), -1);
	/* Outside the grant's window, and after a revocation, the key is refused. */
	assert_int_equal(fc_trust_node_by_transport(f->t, tk2, NOW + 400 * DAY, who), -1);
	make_revoke(f->office, pk(n2), NOW - HOUR, NOW - 30 * MINUTE, &rv);
	add(f->t, &rv);
	assert_int_equal(fc_trust_node_by_transport(f->t, tk2, NOW, who), -1);
	assert_int_equal(fc_trust_node_by_transport(f->t, tk2, NOW - 2 * HOUR, who), 0);

	built_clear(&c2);
	built_clear(&c3);
	built_clear(&rv);
	fc_key_free(&n2);
	fc_key_free(&n3);
}

/* ---- the held buffer ------------------------------------------------------------------- */

static void
fill_id(uint8_t *b, int v)
{
	memset(b, v, 32);
}

static void
test_held_bounds_and_expiry(void **state)
{
	struct fc_held *h;
	struct fc_held_stats st;
	struct fc_held_entry *e;
	uint8_t id[32], ka[32], kb[32], env[300];
	size_t n;
	int i;

	(void)state;
	memset(env, 0x5a, sizeof(env));
	fill_id(ka, 0xa0);
	fill_id(kb, 0xb0);
	assert_null(fc_held_new(0, 100, HOUR));
	assert_non_null(h = fc_held_new(3, 250, HOUR));

	/* Count bound: the fourth evicts the oldest. */
	for (i = 1; i <= 4; i++) {
		fill_id(id, i);
		assert_int_equal(fc_held_add(h, env, 10, id, i % 2 ? ka : kb, NOW + (uint64_t)i),
		    0);
	}
	fc_held_stats(h, &st);
	assert_int_equal(st.count, 3);
	assert_int_equal(st.bytes, 30);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(fc_held_take(h, ka, &e, &n), 0);
	assert_int_equal(n, 1);		/* id 1 (ka) was evicted; id 3 remains */
	assert_int_equal(e[0].id[0], 3);
	assert_int_equal(e[0].held_ms, NOW + 3);
	assert_int_equal(e[0].len, 10);
	assert_memory_equal(e[0].env, env, 10);
	fc_held_entries_free(&e, n);

	/* A duplicate id only moves to another wait key. */
	fill_id(id, 2);
	assert_int_equal(fc_held_add(h, env, 10, id, ka, NOW), 0);
	fc_held_stats(h, &st);
	assert_int_equal(st.count, 2);
	assert_int_equal(fc_held_take(h, ka, &e, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].id[0], 2);
	/* Re-held with its original time: it stays the oldest. */
	assert_int_equal(fc_held_add(h, e[0].env, e[0].len, e[0].id, kb, e[0].held_ms), 0);
	fc_held_entries_free(&e, n);

	/*
	 * Byte bound: held are ids 2 and 4 (10 bytes each); 100 more fit. Then 150 more: the
	 * count bound evicts id 2, the byte bound id 4 (110 + 150 > 250).
	 */
	fill_id(id, 5);
	assert_int_equal(fc_held_add(h, env, 100, id, kb, NOW + 5), 0);
	fill_id(id, 6);
	assert_int_equal(fc_held_add(h, env, 150, id, kb, NOW + 6), 0);
	fc_held_stats(h, &st);
	assert_int_equal(st.bytes, 250);
	assert_int_equal(st.count, 2);	/* ids 5 and 6; 2 and 4 went, oldest first */
	assert_int_equal(st.evicted, 3);
	/* One larger than the whole budget is refused outright, nothing evicted. */
	fill_id(id, 7);
	assert_int_equal(fc_held_add(h, env, 251, id, kb, NOW + 7), E2BIG);
	fc_held_stats(h, &st);
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.count, 2);

	/* Expiry: an hour after they were held, not a millisecond before. */
	assert_int_equal(fc_held_expire(h, NOW + 5 + HOUR - 1), 0);
	assert_int_equal(fc_held_expire(h, NOW + 5 + HOUR), 1);
	assert_int_equal(fc_held_expire(h, NOW + 6 + HOUR), 1);
	fc_held_stats(h, &st);
	assert_int_equal(st.count, 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(st.expired, 2);
	assert_int_equal(st.added, 7);	/* 4, id 2 again, 5 and 6 */
	assert_int_equal(st.taken, 2);
	fc_held_free(&h);
	fc_held_free(&h);	/* NULL is fine */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
		T(test_certs_of_the_chain_are_accepted),
		T(test_warning_by_issuer_accepted_with_chain),
		T(test_anchor_may_do_anything),
		T(test_warning_by_reporter_rejected_role),
		T(test_warning_out_of_scope_rejected),
		T(test_report_needs_reporter_for_its_region),
		T(test_receipts),
		T(test_announce_needs_node),
		T(test_expired_and_future_cert_rejected),
		T(test_cert_by_non_admin_rejected),
		T(test_chain_loop_rejected),
		T(test_chain_depth_bounded),
		T(test_hostile_web_of_certs_terminates),
		T(test_flood_of_grants_stays_bounded),
		T(test_unknown_author_held_then_accepted),
		T(test_reverse_order_arrival_converges),
		T(test_missing_key_is_up_the_chain),
		T(test_revoked_key_later_rejected_earlier_marked),
		T(test_who_may_change_a_warning),
		T(test_revoked_admin_later_grants_void),
		T(test_revocation_authority),
		T(test_mutual_revocation_terminates),
		T(test_verdicts_independent_of_arrival_order),
		T(test_self_revocation),
		T(test_trust_add_idempotent_and_ignores_others),
		T(test_no_anchor_trusts_nothing),
		T(test_node_by_transport_key),
		T(test_may_revoke),
		T(test_receipt_counts_for_report_region),
		T(test_grant_state_each_state),
		T(test_grant_state_revoked_from_a_date),
		T(test_grant_state_admin_revocation_scope),
		T(test_grant_state_chain_broken_by_revoking_granter),
		T(test_grant_state_loop),
		T(test_grant_state_loop_through_subject),
		cmocka_unit_test(test_held_bounds_and_expiry),
#undef T
	};

	if (fc_init() != 0) {
		fprintf(stderr, "fc_init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
