/*
 * test_trust.c: the daemon enforces the trust policy (node/trust.c, docs/TRUST.md).
 *
 * One struct node per case with a real LMDB store in a temporary directory and the county
 * root as its trust anchor. Messages come in through the path every peer PUSH, WANT answer
 * and reconciliation takes (gossip_add with the sending peer's key, gossip_commit), or
 * through the real control socket. Two in-process peers that are "up" without a socket
 * stand for the neighbours: what the node forwards lands in their send queues, so "spreads"
 * and "not forwarded" are read there, without depending on link set-up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>
#include <zmq.h>

#include "node.h"
#include "trustfix.h"

/* Gathered as the node's own messages are: judged, held while their chain is unknown. */
static const struct ingest_src node_src = { INGEST_NODE, NULL, 0, 0 };

#define DEADLINE_MS	10000

/* Start with the root as anchor (plus extra lines) and add the two neighbours x and y. */
static void
start_hub(struct tf_env *e, const char *extra)
{
	tf_start_hub(e, 0, extra, 2);
}

/*
 * Bring messages in from peer x, as one pass's group commit, then the passes that follow
 * until nothing is pending: messages a certificate released are committed in the next one.
 */
static void
push(struct tf_env *e, struct tf_msg *ms, size_t n)
{
	struct ingest_src src = { INGEST_PEER, e->x->key, 1, 0 };
	size_t i;

	for (i = 0; i < n; i++)
		assert_int_equal(gossip_add(e->n, ms[i].env, ms[i].len, &src), 0);
	for (i = 0; i < 16 && ingest_pending(e->n->ingest) > 0; i++)
		gossip_commit(e->n);
	assert_int_equal(ingest_pending(e->n->ingest), 0);
}

static void
push1(struct tf_env *e, struct tf_msg *m)
{
	push(e, m, 1);
}

/*
 * A warning by a certified issuer is accepted, stored and forwarded to the other
 * neighbour, not back to the sender; certificates earlier in the same batch count.
 */
static void
test_issuer_accepted(void **state)
{
	struct tf_env *e = *state;
	struct tf_msg m[3];

	start_hub(e, "");
	tf_county(e, &m[0]);
	tf_grant(e, K_ADMIN, K_ISSUER, FC_ROLE_BIT(FENGHUO__ROLE__ISSUER), "330110109", &m[1]);
	tf_warning(e, K_ISSUER, "330110109", "red rainstorm", &m[2]);
	push(e, m, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_has(e->n->store, m[i].id), 1);
		assert_true(tf_forwarded(e->y, &m[i]));
		assert_false(tf_forwarded(e->x, &m[i]));
		tf_msg_free(&m[i]);
	}
	assert_int_equal(e->n->stored, 3);
	assert_int_equal(fc_trust_grant_count(ingest_trust(e->n->ingest)), 2);
}

/* Push m, expect a policy rejection for reason: not stored, not forwarded, counted. */
static void
expect_rejected(struct tf_env *e, struct tf_msg *m, int reason)
{
	uint64_t before = e->n->policy_rejected[reason];
	uint64_t pol = e->n->rejected[FC_R_POLICY];

	push1(e, m);
	assert_int_equal(store_has(e->n->store, m->id), 0);
	assert_false(tf_forwarded(e->y, m));
	assert_int_equal(e->n->policy_rejected[reason], before + 1);
	assert_int_equal(e->n->rejected[FC_R_POLICY], pol + 1);
	tf_msg_free(m);
}

/* Each hostile case is rejected with its own reason; the node goes on accepting others. */
static void
test_rejections(void **state)
{
	struct tf_env *e = *state;
	struct tf_msg m[6], w;
	uint64_t now = now_wall();
	int i;

	start_hub(e, "");
	tf_county(e, &m[0]);
	tf_grant(e, K_ADMIN, K_ISSUER, FC_ROLE_BIT(FENGHUO__ROLE__ISSUER), "330110109", &m[1]);
	tf_policy_certs(e, &m[2]);
	push(e, m, 6);
	for (i = 0; i < 6; i++) {
		assert_int_equal(store_has(e->n->store, m[i].id), 1);
		tf_msg_free(&m[i]);
	}

	/* A warning by a reporter-only key. */
	tf_warning(e, K_REPORTER, "330110109201", "reporter warns", &w);
	expect_rejected(e, &w, FC_POLICY_R_ROLE);
	/* An area outside the issuer's region. */
	tf_warning(e, K_ISSUER, "330110110", "next township", &w);
	expect_rejected(e, &w, FC_POLICY_R_SCOPE);
	/* An expired certificate. */
	tf_warning(e, K_EXPIRED, "330110", "expired cert", &w);
	expect_rejected(e, &w, FC_POLICY_R_CERT_EXPIRED);
	/* A revoked key's new message (revoked from a minute ago). */
	tf_revoke(e, K_ADMIN, K_REVOKED, now - 60 * 1000, &m[0]);
	push1(e, &m[0]);
	assert_int_equal(store_has(e->n->store, m[0].id), 1);
	assert_int_equal(fc_trust_revocation_count(ingest_trust(e->n->ingest)), 1);
	tf_msg_free(&m[0]);
	tf_warning(e, K_REVOKED, "330110", "after revocation", &w);
	expect_rejected(e, &w, FC_POLICY_R_REVOKED);
	/* A certificate issued by a key that is not an admin. */
	tf_grant(e, K_PLAIN, K_OTHER, FC_ROLE_BIT(FENGHUO__ROLE__ISSUER), "330110109", &w);
	expect_rejected(e, &w, FC_POLICY_R_ROLE);

	/* Meanwhile the node keeps accepting what is allowed. */
	tf_warning(e, K_ISSUER, "330110109", "still served", &w);
	push1(e, &w);
	assert_int_equal(store_has(e->n->store, w.id), 1);
	assert_true(tf_forwarded(e->y, &w));
	tf_msg_free(&w);
}

/*
 * A warning whose author's certificates have not arrived is held (not stored, not
 * forwarded); the issuer's certificate alone holds it again (waiting for the admin's), and
 * the admin's releases it: stored and forwarded after the certificates.
 */
static void
test_held_released(void **state)
{
	struct tf_env *e = *state;
	struct tf_msg w, ci, ca;
	struct fc_held_stats hs;

	start_hub(e, "");
	tf_warning(e, K_ISSUER, "330110109", "early warning", &w);
	push1(e, &w);
	assert_int_equal(store_has(e->n->store, w.id), 0);
	assert_false(tf_forwarded(e->y, &w));
	assert_int_equal(tf_stats(e->n).held, 1);
	hs = tf_stats(e->n).mem;
	assert_int_equal(hs.count, 1);

	tf_grant(e, K_ADMIN, K_ISSUER, FC_ROLE_BIT(FENGHUO__ROLE__ISSUER), "330110109", &ci);
	push1(e, &ci);
	/* The issuer's certificate is held too (its author's chain is unknown). */
	assert_int_equal(store_has(e->n->store, ci.id), 0);
	hs = tf_stats(e->n).mem;
	assert_int_equal(hs.count, 2);
	assert_int_equal(store_has(e->n->store, w.id), 0);

	tf_county(e, &ca);
	push1(e, &ca);
	/* The admin's certificate releases the issuer's, which releases the warning. */
	assert_int_equal(store_has(e->n->store, ca.id), 1);
	assert_int_equal(store_has(e->n->store, ci.id), 1);
	assert_int_equal(store_has(e->n->store, w.id), 1);
	assert_true(tf_forwarded(e->y, &ca));
	assert_true(tf_forwarded(e->y, &ci));
	assert_true(tf_forwarded(e->y, &w));
	hs = tf_stats(e->n).mem;
	assert_int_equal(hs.count, 0);
	assert_true(tf_stats(e->n).released >= 2);
	tf_msg_free(&w);
	tf_msg_free(&ci);
	tf_msg_free(&ca);
}

/* The held buffer is bounded: the oldest entries go, and that is counted. */
static void
test_held_bound(void **state)
{
	struct tf_env *e = *state;
	struct tf_msg w[5];
	struct fc_held_stats hs;
	char title[32];
	int i;

	start_hub(e, "held_max = 3");
	for (i = 0; i < 5; i++) {
		snprintf(title, sizeof(title), "stranger %d", i);
		tf_warning(e, K_OTHER, "330110", title, &w[i]);
	}
	push(e, w, 5);
	hs = tf_stats(e->n).mem;
	assert_int_equal(hs.count, 3);
	assert_int_equal(hs.evicted, 2);
	assert_int_equal(tf_stats(e->n).held, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(store_has(e->n->store, w[i].id), 0);
		tf_msg_free(&w[i]);
	}
}

/* Certificates in the store count again after a restart. */
static void
test_restart_loads(void **state)
{
	struct tf_env *e = *state;
	struct tf_msg m[2], w;

	start_hub(e, "");
	tf_county(e, &m[0]);
	tf_grant(e, K_ADMIN, K_ISSUER, FC_ROLE_BIT(FENGHUO__ROLE__ISSUER), "330110109", &m[1]);
	push(e, m, 2);
	tf_msg_free(&m[0]);
	tf_msg_free(&m[1]);
	node_free(&e->n);
	start_hub(e, "");
	assert_int_equal(fc_trust_grant_count(ingest_trust(e->n->ingest)), 2);
	tf_warning(e, K_ISSUER, "330110109", "after restart", &w);
	push1(e, &w);
	assert_int_equal(store_has(e->n->store, w.id), 1);
	tf_msg_free(&w);
}

/* No anchor: the node refuses to start; open = yes starts it without a policy. */
static void
test_no_anchor(void **state)
{
	struct tf_env *e = *state;
	struct tf_msg w;

	assert_null(tf_start(e, ""));
	assert_null(tf_start(e, "open = no"));
	e->n = tf_start(e, "open = yes");
	assert_non_null(e->n);
	assert_null(ingest_trust(e->n->ingest));
	tf_warning(e, K_OTHER, "330110", "lab", &w);
	assert_int_equal(gossip_add(e->n, w.env, w.len, &node_src), 0);
	gossip_commit(e->n);
	assert_int_equal(store_has(e->n->store, w.id), 1);
	tf_msg_free(&w);
}

/*
 * The anchors file <state>/anchors (as `fenghuo init-county` writes it) is enough on its own;
 * one that names something other than a key stops the node from starting.
 */
static void
test_anchors_file(void **state)
{
	struct tf_env *e = *state;
	char path[128], hex[2 * FC_PUBLICKEYBYTES + 1];
	struct tf_msg m[2];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/n", e->dir);
	assert_int_equal(mkdir(path, 0750), 0);
	snprintf(path, sizeof(path), "%s/n/anchors", e->dir);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "# county roots\n\n  %s  # 余杭区 root\n",
	    fc_hex(fc_key_public(e->key[K_ROOT]), FC_PUBLICKEYBYTES, hex));
	fclose(fp);
	assert_non_null(e->n = tf_start(e, ""));
	assert_int_equal(tf_stats(e->n).anchors, 1);
	tf_county(e, &m[0]);
	tf_warning(e, K_ADMIN, "330110", "county warns", &m[1]);
	assert_int_equal(gossip_add(e->n, m[0].env, m[0].len, &node_src), 0);
	assert_int_equal(gossip_add(e->n, m[1].env, m[1].len, &node_src), 0);
	gossip_commit(e->n);
	assert_int_equal(store_has(e->n->store, m[1].id), 1);
	tf_msg_free(&m[0]);
	tf_msg_free(&m[1]);
	node_free(&e->n);

	assert_non_null(fp = fopen(path, "a"));
	fprintf(fp, "not-a-key\n");
	fclose(fp);
	assert_null(tf_start(e, ""));
}

/* One control request over the real socket, stepping the node until the reply. */
static json_t *
ctl_call(struct tf_env *e, const char *req, const struct tf_msg *m)
{
	char buf[65536];
	uint64_t end = now_mono() + DEADLINE_MS;
	json_error_t jerr;
	json_t *r;
	int n;

	assert_true(zmq_send(e->ctl, req, strlen(req), m != NULL ? ZMQ_SNDMORE : 0) >= 0);
	if (m != NULL)
		assert_true(zmq_send(e->ctl, m->env, m->len, 0) >= 0);
	while ((n = zmq_recv(e->ctl, buf, sizeof(buf), ZMQ_DONTWAIT)) < 0) {
		assert_true(now_mono() < end);
		node_step(e->n, 5);
	}
	assert_non_null(r = json_loadb(buf, (size_t)n, 0, &jerr));
	return r;
}

/* The control socket: submit answers rejected / held with the policy's reason; status. */
static void
test_ctl(void **state)
{
	struct tf_env *e = *state;
	struct tf_msg m[2], w;
	char ep[128];
	json_t *r, *t;
	int linger = 0;

	e->n = NULL;
	{
		char trust[256], hex[2 * FC_PUBLICKEYBYTES + 1];

		snprintf(trust, sizeof(trust), "anchors = %s",
		    fc_hex(fc_key_public(e->key[K_ROOT]), FC_PUBLICKEYBYTES, hex));
		assert_non_null(e->n = tf_start(e, trust));
	}
	assert_non_null(e->zctx = zmq_ctx_new());
	assert_non_null(e->ctl = zmq_socket(e->zctx, ZMQ_DEALER));
	zmq_setsockopt(e->ctl, ZMQ_LINGER, &linger, sizeof(linger));
	snprintf(ep, sizeof(ep), "ipc://%s/n/fenghuod.sock", e->dir);
	assert_int_equal(zmq_connect(e->ctl, ep), 0);

	tf_county(e, &m[0]);
	tf_grant(e, K_ADMIN, K_REPORTER, FC_ROLE_BIT(FENGHUO__ROLE__REPORTER), "330110109201",
	    &m[1]);
	for (int i = 0; i < 2; i++) {
		r = ctl_call(e, "{\"cmd\":\"submit\"}", &m[i]);
		assert_string_equal(json_string_value(json_object_get(r, "status")), "new");
		json_decref(r);
		tf_msg_free(&m[i]);
	}
	tf_warning(e, K_REPORTER, "330110109201", "not mine to issue", &w);
	r = ctl_call(e, "{\"cmd\":\"submit\"}", &w);
	assert_string_equal(json_string_value(json_object_get(r, "status")), "rejected");
	assert_string_equal(json_string_value(json_object_get(r, "reason")),
	    fc_reason_name(FC_R_POLICY));
	assert_string_equal(json_string_value(json_object_get(r, "policy_reason")),
	    fc_policy_reason_name(FC_POLICY_R_ROLE));
	json_decref(r);
	tf_msg_free(&w);
	/*
	 * A local user's message whose author has no known chain is stored all the same (this
	 * store is its only copy), with the reason: peers hold or accept it on arrival.
	 */
	tf_warning(e, K_OTHER, "330110", "stranger", &w);
	r = ctl_call(e, "{\"cmd\":\"submit\"}", &w);
	assert_string_equal(json_string_value(json_object_get(r, "status")), "new");
	assert_string_equal(json_string_value(json_object_get(r, "policy_reason")),
	    fc_policy_reason_name(FC_POLICY_R_NO_CHAIN));
	json_decref(r);
	assert_int_equal(store_has(e->n->store, w.id), 1);
	tf_msg_free(&w);

	r = ctl_call(e, "{\"cmd\":\"status\"}", NULL);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "trust"),
	    "stored_unchained")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r,
	    "policy_rejected"), fc_policy_reason_name(FC_POLICY_R_ROLE))), 1);
	t = json_object_get(r, "trust");
	assert_int_equal(json_integer_value(json_object_get(t, "anchors")), 1);
	assert_int_equal(json_integer_value(json_object_get(t, "certs")), 2);
	assert_int_equal(json_integer_value(json_object_get(t, "revocations")), 0);
	assert_true(json_is_false(json_object_get(t, "open")));
	json_decref(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_issuer_accepted, tf_setup, tf_teardown),
		cmocka_unit_test_setup_teardown(test_rejections, tf_setup, tf_teardown),
		cmocka_unit_test_setup_teardown(test_held_released, tf_setup, tf_teardown),
		cmocka_unit_test_setup_teardown(test_held_bound, tf_setup, tf_teardown),
		cmocka_unit_test_setup_teardown(test_restart_loads, tf_setup, tf_teardown),
		cmocka_unit_test_setup_teardown(test_no_anchor, tf_setup, tf_teardown),
		cmocka_unit_test_setup_teardown(test_anchors_file, tf_setup, tf_teardown),
		cmocka_unit_test_setup_teardown(test_ctl, tf_setup, tf_teardown),
	};

	if (fc_init() != 0)
		return 1;
	log_init(getenv("FH_TEST_DEBUG") != NULL ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
