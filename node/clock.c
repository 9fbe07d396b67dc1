/*
 * clock.c: how far this node's wall clock is from its peers'.
 *
 * Validation judges created and expiry times by the checker's clock (crypto/validate.c), so a
 * node whose clock is wrong signs official messages that every other node rejects: a clock
 * ahead by more than CLOCK_TOLERANCE_MS makes them "clock" rejections, one behind makes them
 * expire early. The node cannot know the true time, but it can compare: every HELLO, PING
 * and PONG carries its sender's wall clock (time_ms, docs/PROTOCOL.md), each peer's latest
 * sample is kept, and the median of the offsets to the peers that are up is this node's
 * estimate. `fenghuo status` shows it, the log says when it leaves the tolerance, and the
 * CLI refuses to sign warnings and certificates while it is out (docs/CLI.md).
 *
 * A sample is kept as "the peer's clock read T at our monotonic time M", not as an offset,
 * so that an operator setting this node's clock sees the estimate follow at once (a peer's
 * clock being set shows at its next sample). A PONG
 * answers our PING, whose nonce is our monotonic send time: half the round trip is added
 * to the peer's time. A peer can lie about its clock; it moves only the median, and the
 * CLI's --clock-ok overrides what the estimate says.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "node.h"

void
clock_sample(struct peer *p, uint64_t peer_ms, uint64_t rtt_ms)
{
	int64_t off;
	int within;

	if (rtt_ms > CLOCK_RTT_MAX_MS)
		rtt_ms = 0;
	p->clk_peer_ms = peer_ms + rtt_ms / 2;
	p->clk_mono = now_mono();
	if (p->clk_mono == 0)
		p->clk_mono = 1;
	if (clock_peer_offset(p, &off) != 0)
		return;
	within = clock_within(off);
	if (!within && !p->clk_warned)
		log_warnx("peer %s: its clock is %+.1f s from this node's (ours minus its); "
		    "messages signed by the one ahead are rejected by the other", peer_label(p),
		    (double)off / 1000.0);
	else if (within && p->clk_warned)
		log_info("peer %s: its clock agrees with this node's again (%+.1f s)",
		    peer_label(p), (double)off / 1000.0);
	p->clk_warned = !within;
}

int
clock_peer_offset(const struct peer *p, int64_t *out)
{
	uint64_t peer_now, wall = now_wall(), d;

	if (p->clk_mono == 0)
		return -1;
	/* Unsigned arithmetic on a peer's number, then clamped: no overflow, no INT64_MIN. */
	peer_now = p->clk_peer_ms + (now_mono() - p->clk_mono);
	d = wall >= peer_now ? wall - peer_now : peer_now - wall;
	if (d > CLOCK_OFFSET_MAX_MS)
		d = CLOCK_OFFSET_MAX_MS;
	*out = wall >= peer_now ? (int64_t)d : -(int64_t)d;
	return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

size_t
clock_offset(const struct node *n, int64_t *out)
{
	int64_t v[NODE_PEERS_MAX];
	size_t i, k = 0;

	for (i = 0; i < n->npeers && k < NODE_PEERS_MAX; i++) {
		const struct peer *p = n->peers[i];

		if (!p->dead && peer_is_up(p) && clock_peer_offset(p, &v[k]) == 0)
			k++;
	}
	if (k == 0)
		return 0;
	qsort(v, k, sizeof(v[0]), cmp_i64);
	/* Of two middle values, the one nearer zero: give the local clock the benefit. */
	if (k % 2 == 0 && llabs(v[k / 2 - 1]) < llabs(v[k / 2]))
		*out = v[k / 2 - 1];
	else
		*out = v[k / 2];
	return k;
}

int
clock_within(int64_t off)
{
	return off >= -(int64_t)CLOCK_TOLERANCE_MS && off <= (int64_t)CLOCK_TOLERANCE_MS;
}

void
clock_cron(struct node *n)
{
	int64_t off = 0;
	size_t k;
	int within;

	if ((k = clock_offset(n, &off)) == 0)
		return;	/* no estimate: the last word stands */
	within = clock_within(off);
	if (!within && !n->clock_warned)
		log_warnx("this node's clock is %+.1f s from its peers' (median of %zu): beyond "
		    "the %llu s that validation tolerates, so its warnings and certificates "
		    "would be rejected; fenghuo warn and cert refuse to sign until it is set",
		    (double)off / 1000.0, k, (unsigned long long)CLOCK_TOLERANCE_MS / 1000);
	else if (within && n->clock_warned)
		log_info("this node's clock agrees with its peers' again (%+.1f s)",
		    (double)off / 1000.0);
	n->clock_warned = !within;
}

void
clock_status_json(const struct node *n, struct json_t *o)
{
	int64_t off = 0;
	size_t k = clock_offset(n, &off);

	json_object_set_new(o, "clock_offset_ms", k > 0 ? json_integer((json_int_t)off) :
	    json_null());
	json_object_set_new(o, "clock_peers", json_integer((json_int_t)k));
	json_object_set_new(o, "clock_tolerance_ms", json_integer(CLOCK_TOLERANCE_MS));
	json_object_set_new(o, "clock_ok", json_boolean(k == 0 || clock_within(off)));
}
