/*
 * fuzz_trust.c: the trust policy (crypto/trust.c, crypto/policy.c) against hostile
 * certificate sets: chains, loops, revocations, scopes and validity windows chosen by the
 * input, and the held-message buffer.
 *
 * The input is a list of records
 *   u8 control | u16 BE length | a Body (without author)
 * control bits 0-1 choose which of the FUZZ_TRUST_KEYS fixed keys authors and signs the body
 * (key 0 is the trust anchor). Every record that passes fc_validate() takes part.
 *
 * The property checked is the one docs/TRUST.md promises: verdicts depend only on the set
 * of CERT and REVOKE messages known, never on the order they arrived in. Two trust states
 * are built, one in input order and one in reverse order with every message recorded twice,
 * and every message, every (key, role, scope) question, every transport key and every
 * grant's state must get the same answer from both; grant states must agree with the
 * policy's answers. Verdicts must also be well formed (accept with reason ok, hold
 * with no-chain, an anchor's message accepted, chains within the depth bound), and the held
 * buffer must keep its bounds and hand back what waits for a key.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define MSGS_MAX	32
#define HELD_COUNT	8
#define HELD_BYTES	4096
#define HELD_TTL_MS	60000

struct tmsg {
	uint8_t		*env;
	size_t		 len;
	struct fc_msg	 m;
};

static void
check_verdict(const struct fc_policy_verdict *v, int rc)
{
	FUZZ_CHECK(rc == v->verdict);
	FUZZ_CHECK(fc_policy_reason_name(v->reason) != NULL &&
	    fc_policy_reason_text(v->reason) != NULL);
	switch (v->verdict) {
	case FC_POLICY_ACCEPT:
		FUZZ_CHECK(v->reason == FC_POLICY_R_OK);
		FUZZ_CHECK(v->chain_len <= FC_TRUST_MAX_DEPTH);
		break;
	case FC_POLICY_HOLD:
		FUZZ_CHECK(v->reason == FC_POLICY_R_NO_CHAIN);
		break;
	case FC_POLICY_REJECT:
		FUZZ_CHECK(v->reason > FC_POLICY_R_NO_CHAIN && v->reason < FC_POLICY_R_MAX);
		break;
	default:
		FUZZ_CHECK(!"verdict out of range");
	}
}

static void
same_verdict(const struct fc_policy_verdict *a, const struct fc_policy_verdict *b)
{
	FUZZ_CHECK(a->verdict == b->verdict);
	FUZZ_CHECK(a->reason == b->reason);
	FUZZ_CHECK(a->flags == b->flags);
}

/* The same questions to both states about every fixed key. */
static void
compare_holds(const struct fc_trust *ta, const struct fc_trust *tb)
{
	static const char *const scopes[] = { NULL, "", "11", "110101", "110101001",
		"110101001001" };
	struct fc_policy_verdict a, b;
	size_t k, s;
	int role, ra, rb;

	for (k = 0; k < FUZZ_TRUST_KEYS; k++)
		for (role = FENGHUO__ROLE__NODE; role <= FENGHUO__ROLE__ADMIN; role++)
			for (s = 0; s < sizeof(scopes) / sizeof(scopes[0]); s++) {
				ra = fc_trust_holds(ta, fc_key_public(fuzz_trust_key(k)), role,
				    scopes[s], FUZZ_NOW_MS, &a);
				rb = fc_trust_holds(tb, fc_key_public(fuzz_trust_key(k)), role,
				    scopes[s], FUZZ_NOW_MS, &b);
				check_verdict(&a, ra);
				check_verdict(&b, rb);
				same_verdict(&a, &b);
				if (k == 0)
					FUZZ_CHECK(a.verdict == FC_POLICY_ACCEPT);
			}
}

/* Every transport key a grant carries maps to a node in both states, or in neither. */
static void
compare_transport(const struct fc_trust *ta, const struct fc_trust *tb)
{
	const struct fc_grant *g;
	uint8_t sa[FC_PUBLICKEYBYTES], sb[FC_PUBLICKEYBYTES];
	size_t i;
	int ra, rb;

	for (i = 0; i < fc_trust_grant_count(ta); i++) {
		FUZZ_CHECK((g = fc_trust_grant(ta, i)) != NULL);
		if (!g->has_transport_key)
			continue;
		ra = fc_trust_node_by_transport(ta, g->transport_key, FUZZ_NOW_MS, sa);
		rb = fc_trust_node_by_transport(tb, g->transport_key, FUZZ_NOW_MS, sb);
		FUZZ_CHECK(ra == rb);
	}
	FUZZ_CHECK(fc_trust_grant(ta, fc_trust_grant_count(ta)) == NULL);
	FUZZ_CHECK(fc_trust_revocation(ta, fc_trust_revocation_count(ta)) == NULL);
}

/* 1 if region prefix outer contains inner. */
static int
covers(const char *outer, const char *inner)
{
	return strncmp(outer, inner, strlen(outer)) == 0;
}

/*
 * Each grant's state (what `fenghuo keys` lists) is the same in both states, well formed,
 * and agrees with the policy both ways: a grant valid now makes its subject hold each of its
 * roles over its scope now, and a key that holds a role over a scope now (and is no anchor)
 * has a grant of that role over that scope valid now. Only the work bound may stand between.
 */
static void
compare_grant_states(const struct fc_trust *ta, const struct fc_trust *tb)
{
	const struct fc_grant *g, *h;
	struct fc_grant_status a, b;
	struct fc_policy_verdict v;
	size_t i, j;
	int role, any;

	for (i = 0; i < fc_trust_grant_count(ta); i++) {
		FUZZ_CHECK((g = fc_trust_grant(ta, i)) != NULL);
		FUZZ_CHECK(fc_grant_state(ta, g, FUZZ_NOW_MS, &a) == a.state);
		fc_grant_state(tb, g, FUZZ_NOW_MS, &b);
		FUZZ_CHECK(a.state == b.state && a.reason == b.reason &&
		    a.revoked_from == b.revoked_from);
		FUZZ_CHECK(a.state >= 0 && a.state < FC_GRANT_MAX);
		FUZZ_CHECK(fc_grant_state_name(a.state) != NULL);
		FUZZ_CHECK((a.state == FC_GRANT_VALID) == (a.reason == FC_POLICY_R_OK));
		FUZZ_CHECK((a.revocation == NULL) == (a.revoked_from == UINT64_MAX));
		if (a.revocation != NULL)
			FUZZ_CHECK(a.revocation->from_ms == a.revoked_from &&
			    fc_revocation_counts(ta, a.revocation, g) == 1);
		if (a.state == FC_GRANT_UNVERIFIED)
			FUZZ_CHECK(!fc_trust_is_anchor(ta, a.missing));
		for (role = FENGHUO__ROLE__NODE; role <= FENGHUO__ROLE__ADMIN; role++) {
			if ((g->roles & FC_ROLE_BIT(role)) == 0)
				continue;
			fc_trust_holds(ta, g->subject, role, g->scope, FUZZ_NOW_MS, &v);
			if (a.state == FC_GRANT_VALID)
				FUZZ_CHECK(v.verdict == FC_POLICY_ACCEPT ||
				    v.reason == FC_POLICY_R_COMPLEX);
			if (v.verdict != FC_POLICY_ACCEPT || fc_trust_is_anchor(ta, g->subject))
				continue;
			any = 0;
			for (j = 0; j < fc_trust_grant_count(ta) && !any; j++) {
				h = fc_trust_grant(ta, j);
				if (memcmp(h->subject, g->subject, FC_PUBLICKEYBYTES) != 0 ||
				    (h->roles & FC_ROLE_BIT(role)) == 0 || !covers(h->scope, g->scope))
					continue;
				any = fc_grant_state(ta, h, FUZZ_NOW_MS, &b) == FC_GRANT_VALID;
			}
			FUZZ_CHECK(any);
		}
	}
}

/* Hold what is held, then release by every subject; the bounds hold throughout. */
static void
exercise_held(const struct fc_trust *ta, struct tmsg *msgs, size_t n,
    const struct fc_policy_verdict *verdicts)
{
	struct fc_held *h;
	struct fc_held_entry *e;
	struct fc_held_stats st;
	const struct fc_grant *g;
	size_t i, j, ne;
	int rc;

	FUZZ_CHECK((h = fc_held_new(HELD_COUNT, HELD_BYTES, HELD_TTL_MS)) != NULL);
	for (i = 0; i < n; i++) {
		if (verdicts[i].verdict != FC_POLICY_HOLD)
			continue;
		rc = fc_held_add(h, msgs[i].env, msgs[i].len, msgs[i].m.id, verdicts[i].missing,
		    FUZZ_NOW_MS + i);
		FUZZ_CHECK(rc == 0 || (rc == E2BIG && msgs[i].len > HELD_BYTES));
		fc_held_stats(h, &st);
		FUZZ_CHECK(st.count <= HELD_COUNT && st.bytes <= HELD_BYTES);
	}
	for (i = 0; i < fc_trust_grant_count(ta); i++) {
		g = fc_trust_grant(ta, i);
		FUZZ_CHECK(fc_held_take(h, g->subject, &e, &ne) == 0);
		for (j = 0; j < ne; j++) {
			FUZZ_CHECK(memcmp(e[j].wait_key, g->subject, FC_PUBLICKEYBYTES) == 0);
			FUZZ_CHECK(e[j].env != NULL && e[j].len > 0);
		}
		fc_held_entries_free(&e, ne);
	}
	(void)fc_held_expire(h, FUZZ_NOW_MS + HELD_TTL_MS + MSGS_MAX);
	fc_held_stats(h, &st);
	FUZZ_CHECK(st.count == 0 && st.bytes == 0);
	fc_held_free(&h);
	FUZZ_CHECK(h == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tmsg msgs[MSGS_MAX];
	static struct fc_policy_verdict va[MSGS_MAX];
	uint8_t anchor[1][FC_PUBLICKEYBYTES];
	struct fc_policy_verdict vb;
	struct fc_trust *ta, *tb;
	size_t n = 0, off = 0, len, i, j;
	uint8_t control;
	int ra, rb;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	memcpy(anchor[0], fc_key_public(fuzz_trust_key(0)), FC_PUBLICKEYBYTES);
	while (n < MSGS_MAX && size - off >= 3) {
		control = data[off];
		len = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		memset(&msgs[n], 0, sizeof(msgs[n]));
		if (fuzz_seal_body_by(fuzz_trust_key(control % FUZZ_TRUST_KEYS), data + off, len,
		    &msgs[n].env, &msgs[n].len) == 0 &&
		    fc_validate(msgs[n].env, msgs[n].len, FUZZ_NOW_MS, FUZZ_NOW_MS,
		    &msgs[n].m) == FC_R_OK)
			n++;
		else
			free(msgs[n].env);
		off += len;
	}

	FUZZ_CHECK((ta = fc_trust_new((const uint8_t (*)[FC_PUBLICKEYBYTES])anchor, 1)) != NULL);
	FUZZ_CHECK((tb = fc_trust_new((const uint8_t (*)[FC_PUBLICKEYBYTES])anchor, 1)) != NULL);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(fc_trust_add(ta, &msgs[i].m) == 0);
	for (j = 0; j < 2; j++)
		for (i = n; i-- > 0;)
			FUZZ_CHECK(fc_trust_add(tb, &msgs[i].m) == 0);
	FUZZ_CHECK(fc_trust_grant_count(ta) == fc_trust_grant_count(tb));
	FUZZ_CHECK(fc_trust_revocation_count(ta) == fc_trust_revocation_count(tb));
	FUZZ_CHECK(fc_trust_is_anchor(ta, anchor[0]) == 1);

	for (i = 0; i < n; i++) {
		ra = fc_policy_check(ta, &msgs[i].m, FUZZ_NOW_MS, &va[i]);
		rb = fc_policy_check(tb, &msgs[i].m, FUZZ_NOW_MS, &vb);
		check_verdict(&va[i], ra);
		check_verdict(&vb, rb);
		same_verdict(&va[i], &vb);
		/* Anchors may send anything. */
		if (memcmp(msgs[i].m.body->author.data, anchor[0], FC_PUBLICKEYBYTES) == 0)
			FUZZ_CHECK(va[i].verdict == FC_POLICY_ACCEPT &&
			    (va[i].flags & FC_POLICY_F_ANCHOR) && va[i].chain_len == 0);
		/* What a held message waits for is a certificate, never an anchor. */
		if (va[i].verdict == FC_POLICY_HOLD)
			FUZZ_CHECK(!fc_trust_is_anchor(ta, va[i].missing));
	}
	compare_holds(ta, tb);
	compare_transport(ta, tb);
	compare_grant_states(ta, tb);
	exercise_held(ta, msgs, n, va);

	fc_trust_free(&ta);
	fc_trust_free(&tb);
	FUZZ_CHECK(ta == NULL && tb == NULL);
	for (i = 0; i < n; i++) {
		fc_msg_clear(&msgs[i].m);
		free(msgs[i].env);
	}
	return 0;
}
