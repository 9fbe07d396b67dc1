/*
 * test_zap.c: the ZAP handler (node/zap.c) and the admission rule (node/sec.c) against real
 * libzmq, with CURVE sockets on tcp://127.0.0.1 (random ports) and the handler served from
 * this test's own poll loop, as the daemon serves it from its loop.
 *
 * What a user depends on: a node whose transport key a valid node certificate carries
 * connects and its messages arrive bound to its identity (the ZAP "User-Id" is its Ed25519
 * key); a stranger's key is refused and nothing it sends arrives; a revoked node is refused
 * even when its key is listed in the config; and no malformed ZAP request can break the
 * handler. The last test documents libzmq's sharp edge: with no ZAP handler bound, a CURVE
 * server admits anyone, which is why the daemon must refuse to run without one.
 *
 * Every wait polls for a condition until a deadline (5 s); nothing sleeps.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <zmq.h>

#include "crypto.h"
#include "sec.h"

#define NOW	1750000000000ull	/* the trust state's clock, ms since the epoch */
#define DAY	(24ull * 3600 * 1000)
#define WAIT_MS	5000

struct fx {
	void		*ctx;
	struct zap	*zap;
	struct fc_trust	*trust;
	struct fc_key	*root, *node_key, *revoked_key;
	struct fc_tkey	*server, *node, *stranger, *boot, *revoked;
	uint8_t		 bootstrap[2][FC_TKEYBYTES];
	struct sec_admit admit;
	/* What the check saw. */
	int		 checks, denials;
	uint8_t		 denied_key[FC_TKEYBYTES];
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- a trust state with certified, revoked and uncertified nodes --------------------- */

static uint64_t next_id;

static void
add_cert(struct fc_trust *t, const struct fc_key *author, const struct fc_key *subject,
    int role, const uint8_t *tkey, uint64_t not_before, uint64_t not_after)
{
	Fenghuo__Body b;
	Fenghuo__Cert c;
	Fenghuo__Role roles[1];
	uint8_t id[FC_IDBYTES];
	char everywhere[] = "";

	fenghuo__body__init(&b);
	fenghuo__cert__init(&c);
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__CERT;
	b.has_author = 1;
	b.author.data = (uint8_t *)(uintptr_t)fc_key_public(author);
	b.author.len = FC_PUBLICKEYBYTES;
	b.has_created_ms = 1;
	b.created_ms = not_before;
	c.has_subject = 1;
	c.subject.data = (uint8_t *)(uintptr_t)fc_key_public(subject);
	c.subject.len = FC_PUBLICKEYBYTES;
	roles[0] = (Fenghuo__Role)role;
	c.n_roles = 1;
	c.roles = roles;
	c.scope = everywhere;
	c.has_not_before_ms = 1;
	c.not_before_ms = not_before;
	c.has_not_after_ms = 1;
	c.not_after_ms = not_after;
	if (tkey != NULL) {
		c.has_transport_key = 1;
		c.transport_key.data = (uint8_t *)(uintptr_t)tkey;
		c.transport_key.len = FC_TKEYBYTES;
	}
	b.cert = &c;
	/* The trust state takes ids as given; any unique 32 bytes will do here. */
	memset(id, 0, sizeof(id));
	next_id++;
	memcpy(id, &next_id, sizeof(next_id));
	assert_int_equal(fc_trust_add_body(t, id, &b), 0);
}

static void
add_revoke(struct fc_trust *t, const struct fc_key *author, const struct fc_key *subject,
    uint64_t when)
{
	Fenghuo__Body b;
	Fenghuo__Revoke r;
	uint8_t id[FC_IDBYTES];

	fenghuo__body__init(&b);
	fenghuo__revoke__init(&r);
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__REVOKE;
	b.has_author = 1;
	b.author.data = (uint8_t *)(uintptr_t)fc_key_public(author);
	b.author.len = FC_PUBLICKEYBYTES;
	b.has_created_ms = 1;
	b.created_ms = when;
	r.has_subject = 1;
	r.subject.data = (uint8_t *)(uintptr_t)fc_key_public(subject);
	r.subject.len = FC_PUBLICKEYBYTES;
	r.has_from_ms = 1;
	r.from_ms = when;
	b.revoke = &r;
	memset(id, 0xee, sizeof(id));
	next_id++;
	memcpy(id, &next_id, sizeof(next_id));
	assert_int_equal(fc_trust_add_body(t, id, &b), 0);
}

/* The check the handler calls: sec_zap_check(), and a record of what it decided. */
static int
recording_check(void *arg, const struct zap_request *req, char user_id[ZAP_USER_ID_MAX])
{
	struct fx *f = arg;
	int r;

	f->checks++;
	r = sec_zap_check(&f->admit, req, user_id);
	if (r == ZAP_DENY) {
		f->denials++;
		memcpy(f->denied_key, req->client_key, FC_TKEYBYTES);
	}
	return r;
}

static int
setup(void **state)
{
	struct fx *f;
	uint8_t anchor[1][FC_PUBLICKEYBYTES];
	struct bucket_rate once = { .per_sec = 1, .burst = 1 };

	if (fc_init() != 0 || (f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if (fc_key_generate(&f->root) != 0 || fc_key_generate(&f->node_key) != 0 ||
	    fc_key_generate(&f->revoked_key) != 0 || fc_tkey_generate(&f->server) != 0 ||
	    fc_tkey_generate(&f->node) != 0 || fc_tkey_generate(&f->stranger) != 0 ||
	    fc_tkey_generate(&f->boot) != 0 || fc_tkey_generate(&f->revoked) != 0)
		return -1;
	memcpy(anchor[0], fc_key_public(f->root), FC_PUBLICKEYBYTES);
	if ((f->trust = fc_trust_new(anchor, 1)) == NULL)
		return -1;
	*state = f;
	/* node: a valid node certificate carries its transport key. */
	add_cert(f->trust, f->root, f->node_key, FENGHUO__ROLE__NODE, fc_tkey_public(f->node),
	    NOW - DAY, NOW + DAY);
	/* revoked: certified, then revoked; and listed in the config all the same. */
	add_cert(f->trust, f->root, f->revoked_key, FENGHUO__ROLE__NODE,
	    fc_tkey_public(f->revoked), NOW - DAY, NOW + DAY);
	add_revoke(f->trust, f->root, f->revoked_key, NOW - 1000);
	memcpy(f->bootstrap[0], fc_tkey_public(f->boot), FC_TKEYBYTES);
	memcpy(f->bootstrap[1], fc_tkey_public(f->revoked), FC_TKEYBYTES);

	f->admit.trust = f->trust;
	f->admit.bootstrap = (const uint8_t (*)[FC_TKEYBYTES])f->bootstrap;
	f->admit.nbootstrap = 2;
	f->admit.now_ms = NOW;
	if ((f->admit.logged = bucket_table_new(64, &once)) == NULL)
		return -1;
	if ((f->ctx = zmq_ctx_new()) == NULL)
		return -1;
	/* The handler first: before any CURVE server binds (see the WARNING in sec.h). */
	if ((f->zap = zap_open(f->ctx, recording_check, f)) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	zap_close(&f->zap);
	zmq_ctx_term(f->ctx);
	bucket_table_free(&f->admit.logged);
	fc_trust_free(&f->trust);
	fc_key_free(&f->root);
	fc_key_free(&f->node_key);
	fc_key_free(&f->revoked_key);
	fc_tkey_free(&f->server);
	fc_tkey_free(&f->node);
	fc_tkey_free(&f->stranger);
	fc_tkey_free(&f->boot);
	fc_tkey_free(&f->revoked);
	free(f);
	return 0;
}

/* ---- sockets and the poll loop ------------------------------------------------------- */

static void
set_linger0(void *s)
{
	int zero = 0;

	assert_int_equal(zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero)), 0);
}

/* A CURVE ROUTER on 127.0.0.1, a random port; its endpoint into ep. zap NULL: unprotected. */
static void *
server_new(struct fx *f, void *ctx, struct zap *zap, char *ep, size_t epsize, void **mon)
{
	static int nmon;
	char monep[64];
	void *s;
	int one = 1;

	assert_non_null(s = zmq_socket(ctx, ZMQ_ROUTER));
	set_linger0(s);
	if (zap != NULL) {
		assert_int_equal(sec_curve_server(s, f->server, zap), 0);
	} else {
		/* What sec_curve_server() refuses to do without a handler, by hand. */
		assert_int_equal(sec_curve_server(s, f->server, NULL), EINVAL);
		assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof(one)), 0);
		assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY,
		    fc_tkey_secret(f->server), FC_TKEYBYTES), 0);
	}
	/* Handshake results, to wait on instead of sleeping. */
	snprintf(monep, sizeof(monep), "inproc://test-zap-mon-%d", nmon++);
	assert_int_equal(zmq_socket_monitor(s, monep, ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
	    ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
	    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL), 0);
	assert_non_null(*mon = zmq_socket(ctx, ZMQ_PAIR));
	set_linger0(*mon);
	assert_int_equal(zmq_connect(*mon, monep), 0);
	assert_int_equal(zmq_bind(s, "tcp://127.0.0.1:*"), 0);
	assert_int_equal(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &epsize), 0);
	return s;
}

static void *
client_new(struct fx *f, void *ctx, const struct fc_tkey *k, const char *ep)
{
	void *s;

	assert_non_null(s = zmq_socket(ctx, ZMQ_DEALER));
	set_linger0(s);
	assert_int_equal(sec_curve_client(s, k, fc_tkey_public(f->server)), 0);
	assert_int_equal(zmq_connect(s, ep), 0);
	return s;
}

/* What one run of the loop saw. */
struct seen {
	int	 msgs;			/* messages received by the server */
	char	 payload[64];		/* the last one */
	char	 uid[ZAP_USER_ID_MAX];	/* its User-Id, "" when it had none */
	int	 ok_events, auth_events;	/* handshakes succeeded / refused */
	int	 proto_events;		/* handshakes failed on the protocol */
	int	 auth_status;		/* the status code of the last refusal */
};

/*
 * The daemon's loop in small: poll the ZAP handler, the server and its monitor; answer ZAP,
 * receive messages, count handshake events; stop when done(seen) or at the deadline.
 * Returns 1 when done, 0 at the deadline.
 */
static int
run_loop(struct zap *zap, void *server, void *mon, struct seen *seen,
    int (*done)(const struct seen *))
{
	zmq_pollitem_t items[3];
	uint64_t deadline = mono_ms() + WAIT_MS;
	zmq_msg_t rid, msg, ev;
	const char *uid;
	uint16_t event;
	uint32_t value;
	int n, more;
	size_t moresz;

	while (!done(seen)) {
		if (mono_ms() >= deadline)
			return 0;
		n = 0;
		items[n++] = (zmq_pollitem_t){ .socket = server, .events = ZMQ_POLLIN };
		items[n++] = (zmq_pollitem_t){ .socket = mon, .events = ZMQ_POLLIN };
		if (zap != NULL)
			items[n++] = (zmq_pollitem_t){ .socket = zap_socket(zap),
			    .events = ZMQ_POLLIN };
		assert_true(zmq_poll(items, n, 100) >= 0);
		if (zap != NULL && (items[2].revents & ZMQ_POLLIN))
			(void)zap_handle(zap);
		if (items[0].revents & ZMQ_POLLIN) {
			zmq_msg_init(&rid);
			zmq_msg_init(&msg);
			assert_true(zmq_msg_recv(&rid, server, 0) >= 0);
			assert_true(zmq_msg_recv(&msg, server, 0) >= 0);
			seen->msgs++;
			snprintf(seen->payload, sizeof(seen->payload), "%.*s",
			    (int)zmq_msg_size(&msg), (const char *)zmq_msg_data(&msg));
			uid = zmq_msg_gets(&msg, "User-Id");
			snprintf(seen->uid, sizeof(seen->uid), "%s", uid != NULL ? uid : "");
			zmq_msg_close(&rid);
			zmq_msg_close(&msg);
		}
		if (items[1].revents & ZMQ_POLLIN) {
			/* Monitor events: [u16 event, u32 value], then the endpoint. */
			zmq_msg_init(&ev);
			assert_true(zmq_msg_recv(&ev, mon, 0) >= 6);
			memcpy(&event, zmq_msg_data(&ev), sizeof(event));
			memcpy(&value, (uint8_t *)zmq_msg_data(&ev) + 2, sizeof(value));
			zmq_msg_close(&ev);
			do {
				zmq_msg_init(&ev);
				assert_true(zmq_msg_recv(&ev, mon, 0) >= 0);
				zmq_msg_close(&ev);
				moresz = sizeof(more);
				assert_int_equal(zmq_getsockopt(mon, ZMQ_RCVMORE, &more,
				    &moresz), 0);
			} while (more);
			if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
				seen->ok_events++;
			else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
				seen->proto_events++;
			else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
				seen->auth_events++;
				seen->auth_status = (int)value;
			}
		}
	}
	return 1;
}

static int seen_msg1(const struct seen *s) { return s->msgs >= 1; }
static int seen_msg2(const struct seen *s) { return s->msgs >= 2; }
static int seen_auth1(const struct seen *s) { return s->auth_events >= 1; }
static int seen_proto1(const struct seen *s) { return s->proto_events >= 1; }

/* ---- tests --------------------------------------------------------------------------- */

/* Our Curve25519 keys are the keys libzmq computes from the same secret. */
static void
test_tkey_matches_libzmq(void **state)
{
	struct fx *f = *state;
	char sk_z85[41], pk_z85[41], ours_z85[41];

	(void)f;
	assert_non_null(zmq_z85_encode(sk_z85, fc_tkey_secret(f->node), 32));
	assert_int_equal(zmq_curve_public(pk_z85, sk_z85), 0);
	assert_non_null(zmq_z85_encode(ours_z85, fc_tkey_public(f->node), 32));
	assert_string_equal(pk_z85, ours_z85);
}

static void
test_admission_rule(void **state)
{
	struct fx *f = *state;
	uint8_t nk[FC_PUBLICKEYBYTES], zero[FC_PUBLICKEYBYTES] = { 0 };
	const uint8_t (*boot)[FC_TKEYBYTES] = (const uint8_t (*)[FC_TKEYBYTES])f->bootstrap;
	struct fc_key *late = NULL;
	struct fc_tkey *late_t = NULL;

	/* Certified: admitted as that node. */
	assert_int_equal(sec_transport_allowed(f->trust, boot, 2, fc_tkey_public(f->node), NOW,
	    nk), SEC_ADMITTED_NODE);
	assert_memory_equal(nk, fc_key_public(f->node_key), FC_PUBLICKEYBYTES);
	/* ...but not before its certificate starts or after it ends. */
	assert_int_equal(sec_transport_allowed(f->trust, boot, 2, fc_tkey_public(f->node),
	    NOW - 2 * DAY, nk), SEC_REFUSED_UNKNOWN);
	assert_int_equal(sec_transport_allowed(f->trust, boot, 2, fc_tkey_public(f->node),
	    NOW + 2 * DAY, nk), SEC_REFUSED_UNKNOWN);
	assert_memory_equal(nk, zero, FC_PUBLICKEYBYTES);
	/* Unknown, with or without a trust state. */
	assert_int_equal(sec_transport_allowed(f->trust, boot, 2, fc_tkey_public(f->stranger),
	    NOW, nk), SEC_REFUSED_UNKNOWN);
	assert_int_equal(sec_transport_allowed(NULL, NULL, 0, fc_tkey_public(f->stranger),
	    NOW, nk), SEC_REFUSED_UNKNOWN);
	/* Listed in the config: admitted without an identity. */
	assert_int_equal(sec_transport_allowed(f->trust, boot, 2, fc_tkey_public(f->boot), NOW,
	    nk), SEC_ADMITTED_BOOTSTRAP);
	assert_memory_equal(nk, zero, FC_PUBLICKEYBYTES);
	assert_int_equal(sec_transport_allowed(NULL, boot, 2, fc_tkey_public(f->boot), NOW,
	    nk), SEC_ADMITTED_BOOTSTRAP);
	/* Revoked: refused although listed in the config; fine before its revocation. */
	assert_int_equal(sec_transport_allowed(f->trust, boot, 2, fc_tkey_public(f->revoked),
	    NOW, nk), SEC_REFUSED_REVOKED);
	assert_int_equal(sec_transport_allowed(f->trust, boot, 2, fc_tkey_public(f->revoked),
	    NOW - 2000, nk), SEC_ADMITTED_NODE);
	assert_memory_equal(nk, fc_key_public(f->revoked_key), FC_PUBLICKEYBYTES);
	/* A certificate without the node role binds no link. */
	assert_int_equal(fc_key_generate(&late), 0);
	assert_int_equal(fc_tkey_generate(&late_t), 0);
	add_cert(f->trust, f->root, late, FENGHUO__ROLE__REPORTER, fc_tkey_public(late_t),
	    NOW - DAY, NOW + DAY);
	assert_int_equal(sec_transport_allowed(f->trust, boot, 2, fc_tkey_public(late_t), NOW,
	    nk), SEC_REFUSED_UNKNOWN);
	fc_key_free(&late);
	fc_tkey_free(&late_t);

	assert_string_equal(sec_admission_name(SEC_REFUSED_REVOKED), "revoked");
}

/* Dialling a node: which server key to expect, from its certificate. */
static void
test_transport_of_node(void **state)
{
	struct fx *f = *state;
	struct fc_tkey *rotated = NULL;
	uint8_t tk[FC_TKEYBYTES];

	assert_int_equal(sec_transport_of_node(f->trust, fc_key_public(f->node_key), NOW, tk),
	    0);
	assert_memory_equal(tk, fc_tkey_public(f->node), FC_TKEYBYTES);
	/* Not a node (yet, any more, or at all): none. */
	assert_int_equal(sec_transport_of_node(f->trust, fc_key_public(f->node_key),
	    NOW + 2 * DAY, tk), -1);
	assert_int_equal(sec_transport_of_node(f->trust, fc_key_public(f->revoked_key), NOW,
	    tk), -1);
	assert_int_equal(sec_transport_of_node(f->trust, fc_key_public(f->root), NOW, tk), -1);
	/* Rotation: a newer certificate with a new transport key wins while both are valid. */
	assert_int_equal(fc_tkey_generate(&rotated), 0);
	add_cert(f->trust, f->root, f->node_key, FENGHUO__ROLE__NODE, fc_tkey_public(rotated),
	    NOW - 1000, NOW + 3 * DAY);
	assert_int_equal(sec_transport_of_node(f->trust, fc_key_public(f->node_key), NOW, tk),
	    0);
	assert_memory_equal(tk, fc_tkey_public(rotated), FC_TKEYBYTES);
	/* After the old certificate ends, only the new key is admitted. */
	assert_int_equal(sec_transport_allowed(f->trust, NULL, 0, fc_tkey_public(f->node),
	    NOW + 2 * DAY, tk), SEC_REFUSED_UNKNOWN);
	assert_int_equal(sec_transport_allowed(f->trust, NULL, 0, fc_tkey_public(rotated),
	    NOW + 2 * DAY, tk), SEC_ADMITTED_NODE);
	fc_tkey_free(&rotated);
}

static void
test_user_id_parse(void **state)
{
	uint8_t k[32], want[32];
	char hex[65], uid[ZAP_USER_ID_MAX];

	(void)state;
	memset(want, 0xab, sizeof(want));
	fc_hex(want, 32, hex);
	assert_int_equal(sec_user_id_parse(hex, k), 1);
	assert_memory_equal(k, want, 32);
	snprintf(uid, sizeof(uid), "bootstrap:%s", hex);
	assert_int_equal(sec_user_id_parse(uid, k), 0);
	assert_int_equal(sec_user_id_parse("", k), -1);
	assert_int_equal(sec_user_id_parse(NULL, k), -1);
	assert_int_equal(sec_user_id_parse("bootstrap:", k), -1);
	hex[63] = 'g';
	assert_int_equal(sec_user_id_parse(hex, k), -1);
	hex[63] = '\0';
	assert_int_equal(sec_user_id_parse(hex, k), -1);
}

/*
 * The certified node connects and talks, bound to its identity; the stranger's handshake
 * is refused by the check and nothing it sent arrives, while the node keeps talking.
 */
static void
test_certified_admitted_stranger_refused(void **state)
{
	struct fx *f = *state;
	struct seen seen = { 0 };
	struct zap_stats zs;
	char ep[128], hex[65];
	uint8_t nk[32];
	void *server, *mon, *node, *stranger, *revoked;
	int rounds = 0;

	server = server_new(f, f->ctx, f->zap, ep, sizeof(ep), &mon);
	node = client_new(f, f->ctx, f->node, ep);
	assert_int_equal(zmq_send(node, "hello from node", 15, 0), 15);
	assert_true(run_loop(f->zap, server, mon, &seen, seen_msg1));
	assert_string_equal(seen.payload, "hello from node");
	/* The link carries the node's Ed25519 identity. */
	assert_string_equal(seen.uid, fc_hex(fc_key_public(f->node_key), 32, hex));
	assert_int_equal(sec_user_id_parse(seen.uid, nk), 1);
	assert_memory_equal(nk, fc_key_public(f->node_key), 32);
	assert_int_equal(f->denials, 0);

	stranger = client_new(f, f->ctx, f->stranger, ep);
	assert_int_equal(zmq_send(stranger, "hello from stranger", 19, ZMQ_DONTWAIT), 19);
	assert_true(run_loop(f->zap, server, mon, &seen, seen_auth1));
	assert_int_equal(seen.auth_status, 400);
	assert_true(f->denials >= 1);
	assert_memory_equal(f->denied_key, fc_tkey_public(f->stranger), FC_TKEYBYTES);
	assert_true(f->admit.refused_unknown >= 1);

	/* The node's next message arrives; the stranger's never did. */
	assert_int_equal(zmq_send(node, "second", 6, 0), 6);
	assert_true(run_loop(f->zap, server, mon, &seen, seen_msg2));
	assert_string_equal(seen.payload, "second");
	assert_int_equal(seen.msgs, 2);

	/* A revoked node is refused the same way, config listing or not. */
	f->denials = 0;
	revoked = client_new(f, f->ctx, f->revoked, ep);
	assert_int_equal(zmq_send(revoked, "hello from revoked", 18, ZMQ_DONTWAIT), 18);
	seen.auth_events = 0;
	while (f->denials == 0 ||
	    memcmp(f->denied_key, fc_tkey_public(f->revoked), FC_TKEYBYTES) != 0) {
		/* The stranger may still be retrying: wait for the revoked key's refusal. */
		assert_true(++rounds < 100);
		assert_true(run_loop(f->zap, server, mon, &seen, seen_auth1));
		seen.auth_events = 0;
	}
	assert_true(f->admit.refused_revoked >= 1);
	assert_int_equal(seen.msgs, 2);

	zap_stats(f->zap, &zs);
	assert_true(zs.allowed >= 1);
	assert_true(zs.denied >= 2);
	assert_int_equal(zs.malformed, 0);
	assert_int_equal(zs.errors, 0);

	zmq_close(revoked);
	zmq_close(stranger);
	zmq_close(node);
	zmq_close(mon);
	zmq_close(server);
}

/* Send a ZAP request of n frames on req, run the handler, read the reply. */
static void
zap_ask(struct fx *f, void *req, const void **frames, const size_t *lens, size_t n,
    const char *want_status, const char *want_reqid, char *uid, size_t uidsize)
{
	zmq_pollitem_t items[2];
	uint64_t deadline = mono_ms() + WAIT_MS;
	char part[6][128];
	size_t i, len, moresz;
	int more, nparts = 0, got = 0, r;

	for (i = 0; i < n; i++)
		assert_true(zmq_send(req, frames[i], lens[i], i + 1 < n ? ZMQ_SNDMORE : 0) >= 0);
	while (!got) {
		assert_true(mono_ms() < deadline);
		items[0] = (zmq_pollitem_t){ .socket = zap_socket(f->zap), .events = ZMQ_POLLIN };
		items[1] = (zmq_pollitem_t){ .socket = req, .events = ZMQ_POLLIN };
		assert_true(zmq_poll(items, 2, 100) >= 0);
		if (items[0].revents & ZMQ_POLLIN)
			assert_true(zap_handle(f->zap) >= 1);
		if (items[1].revents & ZMQ_POLLIN) {
			do {
				r = zmq_recv(req, nparts < 6 ? part[nparts] : part[5], 127, 0);
				assert_true(r >= 0);
				len = (size_t)r < 127 ? (size_t)r : 127;
				part[nparts < 6 ? nparts : 5][len] = '\0';
				nparts++;
				moresz = sizeof(more);
				assert_int_equal(zmq_getsockopt(req, ZMQ_RCVMORE, &more, &moresz),
				    0);
			} while (more);
			got = 1;
		}
	}
	assert_int_equal(nparts, 6);
	assert_string_equal(part[0], "1.0");
	assert_string_equal(part[1], want_reqid);
	assert_string_equal(part[2], want_status);
	assert_string_equal(part[5], "");
	if (uid != NULL)
		snprintf(uid, uidsize, "%s", part[4]);
	else
		assert_string_equal(part[4], "");
}

static void
test_requests_by_hand(void **state)
{
	struct fx *f = *state;
	struct zap_stats zs;
	void *req, *again;
	char uid[ZAP_USER_ID_MAX], want[ZAP_USER_ID_MAX], hex[65];
	const void *fr[12];
	size_t ln[12], i;
	static const char nul_domain[] = { 'f', '\0', 'h' };

	/* One handler per context: a second one cannot bind. */
	errno = 0;
	assert_null(again = zap_open(f->ctx, recording_check, f));
	assert_int_equal(errno, EADDRINUSE);

	assert_non_null(req = zmq_socket(f->ctx, ZMQ_REQ));
	set_linger0(req);
	assert_int_equal(zmq_connect(req, ZAP_ENDPOINT), 0);

	/* A well-formed CURVE request for a bootstrap key: 200 and its user id. */
	fr[0] = "1.0"; ln[0] = 3;
	fr[1] = "req-7"; ln[1] = 5;
	fr[2] = "fenghuo"; ln[2] = 7;
	fr[3] = "127.0.0.1"; ln[3] = 9;
	fr[4] = ""; ln[4] = 0;
	fr[5] = "CURVE"; ln[5] = 5;
	fr[6] = fc_tkey_public(f->boot); ln[6] = 32;
	zap_ask(f, req, fr, ln, 7, "200", "req-7", uid, sizeof(uid));
	snprintf(want, sizeof(want), "bootstrap:%s", fc_hex(fc_tkey_public(f->boot), 32, hex));
	assert_string_equal(uid, want);
	/* The stranger: 400, each time it tries; logged the first time only. */
	fr[6] = fc_tkey_public(f->stranger);
	zap_ask(f, req, fr, ln, 7, "400", "req-7", NULL, 0);
	zap_ask(f, req, fr, ln, 7, "400", "req-7", NULL, 0);
	assert_int_equal(f->admit.refused_unknown, 2);
	assert_int_equal(f->admit.refusals_logged, 1);
	/* Not CURVE: 400. */
	fr[5] = "NULL"; ln[5] = 4;
	zap_ask(f, req, fr, ln, 6, "400", "req-7", NULL, 0);
	fr[5] = "PLAIN"; ln[5] = 5;
	fr[6] = "user"; ln[6] = 4;
	fr[7] = "password"; ln[7] = 8;
	zap_ask(f, req, fr, ln, 8, "400", "req-7", NULL, 0);
	assert_int_equal(zap_handle(f->zap), 0);	/* nothing pending: returns at once */

	/* Malformed: 500, the request id echoed when there is one, and the handler lives on. */
	fr[5] = "CURVE"; ln[5] = 5;
	fr[6] = fc_tkey_public(f->node); ln[6] = 31;	/* short key */
	zap_ask(f, req, fr, ln, 7, "500", "req-7", NULL, 0);
	ln[6] = 32;
	zap_ask(f, req, fr, ln, 6, "500", "req-7", NULL, 0);	/* no key */
	fr[0] = "2.0";
	zap_ask(f, req, fr, ln, 7, "500", "req-7", NULL, 0);	/* wrong version */
	fr[0] = "1.0";
	fr[2] = nul_domain; ln[2] = sizeof(nul_domain);
	zap_ask(f, req, fr, ln, 7, "500", "req-7", NULL, 0);	/* NUL in the domain */
	fr[2] = "fenghuo"; ln[2] = 7;
	zap_ask(f, req, fr, ln, 3, "500", "req-7", NULL, 0);	/* too few frames */
	zap_ask(f, req, fr, ln, 1, "500", "", NULL, 0);		/* version only */
	fr[0] = ""; ln[0] = 0;
	zap_ask(f, req, fr, ln, 1, "500", "", NULL, 0);		/* one empty frame */
	fr[0] = "1.0"; ln[0] = 3;
	for (i = 7; i < 12; i++) {
		fr[i] = "x";
		ln[i] = 1;
	}
	zap_ask(f, req, fr, ln, 12, "500", "req-7", NULL, 0);	/* too many frames */

	/* And a good request still works afterwards. */
	fr[6] = fc_tkey_public(f->node);
	zap_ask(f, req, fr, ln, 7, "200", "req-7", uid, sizeof(uid));
	assert_string_equal(uid, fc_hex(fc_key_public(f->node_key), 32, hex));

	zap_stats(f->zap, &zs);
	assert_int_equal(zs.allowed, 2);
	assert_int_equal(zs.denied, 4);
	assert_int_equal(zs.malformed, 8);
	assert_int_equal(zs.errors, 0);
	zmq_close(req);
}

/*
 * Dialling with the wrong server key (a stale or forged one) never links: the server
 * cannot even read the client's hello, so the ZAP check is not consulted.
 */
static void
test_wrong_server_key_never_links(void **state)
{
	struct fx *f = *state;
	struct seen seen = { 0 };
	char ep[128];
	void *server, *mon, *client, *node;

	server = server_new(f, f->ctx, f->zap, ep, sizeof(ep), &mon);
	assert_non_null(client = zmq_socket(f->ctx, ZMQ_DEALER));
	set_linger0(client);
	/* The node's own key, but expecting the stranger's key as the server's. */
	assert_int_equal(sec_curve_client(client, f->node, fc_tkey_public(f->stranger)), 0);
	assert_int_equal(zmq_connect(client, ep), 0);
	assert_int_equal(zmq_send(client, "misdialled", 10, ZMQ_DONTWAIT), 10);
	assert_true(run_loop(f->zap, server, mon, &seen, seen_proto1));
	assert_int_equal(f->checks, 0);
	/* The server still serves a client with the right key; the misdialled one got nothing. */
	node = client_new(f, f->ctx, f->node, ep);
	assert_int_equal(zmq_send(node, "right key", 9, 0), 9);
	assert_true(run_loop(f->zap, server, mon, &seen, seen_msg1));
	assert_string_equal(seen.payload, "right key");
	assert_int_equal(seen.msgs, 1);
	assert_int_equal(f->checks, 1);
	zmq_close(node);
	zmq_close(client);
	zmq_close(mon);
	zmq_close(server);
}

/*
 * WARNING, proved: in a context with no ZAP handler, a CURVE server lets a stranger in. The
 * daemon must therefore refuse to run unless zap_open() succeeded before its binds.
 */
static void
test_no_handler_admits_anyone(void **state)
{
	struct fx *f = *state;
	struct seen seen = { 0 };
	char ep[128];
	void *ctx, *server, *mon, *stranger;

	assert_non_null(ctx = zmq_ctx_new());
	server = server_new(f, ctx, NULL, ep, sizeof(ep), &mon);
	stranger = client_new(f, ctx, f->stranger, ep);
	assert_int_equal(zmq_send(stranger, "let me in", 9, 0), 9);
	assert_true(run_loop(NULL, server, mon, &seen, seen_msg1));
	assert_string_equal(seen.payload, "let me in");
	assert_int_equal(seen.auth_events, 0);
	assert_int_equal(f->checks, 0);
	zmq_close(stranger);
	zmq_close(mon);
	zmq_close(server);
	zmq_ctx_term(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tkey_matches_libzmq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admission_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transport_of_node, setup, teardown),
		cmocka_unit_test(test_user_id_parse),
		cmocka_unit_test_setup_teardown(test_certified_admitted_stranger_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_requests_by_hand, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_server_key_never_links, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_handler_admits_anyone, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
