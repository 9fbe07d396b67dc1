/*
 * test_deliver.c: which warnings a node confirms with a DELIVERED receipt (node/deliver.c).
 * The end-to-end path (receipts gossiped back to the issuer) is tests/integration/deliver.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "node.h"

static uint8_t self[FC_PUBLICKEYBYTES] = { 1 };
static uint8_t other[FC_PUBLICKEYBYTES] = { 2 };

#define NOW	1800000000000ULL

struct warn {
	Fenghuo__Body	 b;
	Fenghuo__Warning w;
	char		*areas[3];
};

static void
warn_init(struct warn *x, const char *a0, const char *a1)
{
	memset(x, 0, sizeof(*x));
	fenghuo__body__init(&x->b);
	fenghuo__warning__init(&x->w);
	x->b.has_kind = 1;
	x->b.kind = FENGHUO__KIND__WARNING;
	x->b.has_author = 1;
	x->b.author.data = other;
	x->b.author.len = sizeof(other);
	x->b.has_created_ms = 1;
	x->b.created_ms = NOW - 1000;
	x->b.has_expires_ms = 1;
	x->b.expires_ms = NOW + 3600000;
	x->w.has_msg_type = 1;
	x->w.msg_type = FENGHUO__MSG_TYPE__ALERT;
	x->areas[0] = (char *)(uintptr_t)a0;
	x->areas[1] = (char *)(uintptr_t)a1;
	x->w.n_area = a1 != NULL ? 2 : 1;
	x->w.area = x->areas;
	x->b.warning = &x->w;
}

/* A warning concerns the node when one of its areas is a prefix of the node's region. */
static void
test_area_prefix(void **state)
{
	struct warn x;

	(void)state;
	warn_init(&x, "330110", NULL);
	assert_true(deliver_wanted(&x.b, "330110109201", self, NOW));	/* a village */
	assert_true(deliver_wanted(&x.b, "330110109", self, NOW));	/* a township */
	assert_true(deliver_wanted(&x.b, "330110", self, NOW));		/* the county */
	assert_false(deliver_wanted(&x.b, "330111109201", self, NOW));	/* next county */
	assert_false(deliver_wanted(&x.b, "3301", self, NOW));	/* the city: above it */
	/* A village's warning does not concern its township. */
	warn_init(&x, "330110109201", NULL);
	assert_false(deliver_wanted(&x.b, "330110109", self, NOW));
	assert_true(deliver_wanted(&x.b, "330110109201", self, NOW));
	/* Any one of several areas. */
	warn_init(&x, "330110101", "330110109");
	assert_true(deliver_wanted(&x.b, "330110109202", self, NOW));
	assert_false(deliver_wanted(&x.b, "330110110201", self, NOW));
	/* No region configured: nothing to say where it was delivered. */
	assert_false(deliver_wanted(&x.b, "", self, NOW));
	assert_false(deliver_wanted(&x.b, NULL, self, NOW));
}

/* Alerts, updates and cancels are confirmed; expired and own warnings are not. */
static void
test_what(void **state)
{
	struct warn x;

	(void)state;
	warn_init(&x, "330110", NULL);
	x.w.msg_type = FENGHUO__MSG_TYPE__UPDATE;
	assert_true(deliver_wanted(&x.b, "330110109201", self, NOW));
	x.w.msg_type = FENGHUO__MSG_TYPE__CANCEL;
	assert_true(deliver_wanted(&x.b, "330110109201", self, NOW));

	warn_init(&x, "330110", NULL);
	x.b.expires_ms = NOW;
	assert_false(deliver_wanted(&x.b, "330110109201", self, NOW));
	x.b.expires_ms = NOW + 1;
	assert_true(deliver_wanted(&x.b, "330110109201", self, NOW));
	x.b.has_expires_ms = 0;	/* never expires */
	assert_true(deliver_wanted(&x.b, "330110109201", self, NOW));

	warn_init(&x, "330110", NULL);
	x.b.author.data = self;	/* the issuer's own node */
	assert_false(deliver_wanted(&x.b, "330110109201", self, NOW));

	/* Not a warning at all. */
	warn_init(&x, "330110", NULL);
	x.b.kind = FENGHUO__KIND__REPORT;
	assert_false(deliver_wanted(&x.b, "330110109201", self, NOW));
	x.b.kind = FENGHUO__KIND__WARNING;
	x.b.warning = NULL;
	assert_false(deliver_wanted(&x.b, "330110109201", self, NOW));
	/* An empty area confirms nothing (validation refuses it; belt and braces). */
	warn_init(&x, "", NULL);
	assert_false(deliver_wanted(&x.b, "330110109201", self, NOW));
}

/*
 * The path fields of a receipt come from the warning's seen record: via is the 8-byte prefix
 * of the neighbour's key, the link its kind while it is in the peer table; a warning stored
 * without a neighbour has neither; the delay never goes below 0.
 */
static void
test_path(void **state)
{
	static struct node n;
	static struct peer p;
	struct peer *peers[1] = { &p };
	struct store_seen seen;
	struct conf_link cl;
	Fenghuo__Receipt r;
	uint8_t via[WIRE_VIA_BYTES];

	(void)state;
	memset(&seen, 0, sizeof(seen));
	seen.created_ms = NOW - 5000;
	seen.first_seen_ms = NOW - 1500;
	seen.hops = 2;
	memcpy(seen.from, other, sizeof(other));
	seen.from[7] = 0x77;
	seen.from[8] = 0x88;
	seen.has_from = 1;

	/* The neighbour is not (or no longer) a peer: via without a link. */
	fenghuo__receipt__init(&r);
	deliver_path(&n, &seen, &r, via);
	assert_true(r.has_hops && r.hops == 2);
	assert_true(r.has_delay_ms && r.delay_ms == 3500);
	assert_true(r.has_via && r.via.len == WIRE_VIA_BYTES && r.via.data == via);
	assert_memory_equal(via, seen.from, WIRE_VIA_BYTES);
	assert_int_equal(via[7], 0x77);
	assert_false(r.has_link);

	/* A ZeroMQ peer, then a UDP stream peer (a real socket, on a port the kernel picks). */
	memcpy(p.key, seen.from, sizeof(p.key));
	p.has_key = 1;
	n.peers = peers;
	n.npeers = 1;
	fenghuo__receipt__init(&r);
	deliver_path(&n, &seen, &r, via);
	assert_true(r.has_link && r.link == WIRE_LINK_ZMQ);
	memset(&cl, 0, sizeof(cl));
	cl.name = (char *)(uintptr_t)"udp";
	cl.type = STREAM_UDP;
	cl.mtu = CONF_LINK_MTU_UDP;
	cl.local = (char *)(uintptr_t)"127.0.0.1:0";
	cl.remote = (char *)(uintptr_t)"127.0.0.1:9";
	assert_non_null(p.out.st = stream_open(&cl));
	fenghuo__receipt__init(&r);
	deliver_path(&n, &seen, &r, via);
	assert_true(r.has_link && r.link == WIRE_LINK_UDP);
	assert_string_equal(wire_link_name((int)r.link), "udp");
	stream_close(&p.out.st);

	/* Submitted here: hops 0, no via, no link; a created time ahead of ours: delay 0. */
	seen.has_from = 0;
	seen.hops = 0;
	seen.created_ms = NOW;
	fenghuo__receipt__init(&r);
	deliver_path(&n, &seen, &r, via);
	assert_true(r.has_hops && r.hops == 0);
	assert_true(r.has_delay_ms && r.delay_ms == 0);
	assert_false(r.has_via);
	assert_false(r.has_link);
	n.peers = NULL;
	n.npeers = 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_area_prefix),
		cmocka_unit_test(test_what),
		cmocka_unit_test(test_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
