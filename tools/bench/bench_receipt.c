/*
 * bench_receipt.c: `fenghuo-bench receipt`: the bytes one DELIVERED receipt costs on the wire
 * of a stream link. Nothing runs on a network: each figure is the length of what the daemon
 * would put on the link, built with its own functions. A village's receipt is signed as
 * node/deliver.c and node_publish make it (a 12-digit region, one ref, stage DELIVERED, with
 * or without the path fields via, hops, delay_ms and link), packed into PUSH frames of 1 to
 * as many receipts as the daemon puts in one on a stream link (NODE_STREAM_PUSH_MAX, at most
 * NODE_STREAM_PUSH_MTUS link frames of payload), sealed (SLINK_OVERHEAD) and cut into link
 * frames (stream_nfrags, STREAM_OVERHEAD each). Per receipt = the link bytes of the PUSH /
 * the receipts in it. The sizes depend only on the field values, so the run is exact and
 * repeatable; the signature is real.
 *
 *   fenghuo-bench receipt [-m mtu]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "crypto.h"
#include "node.h"
#include "bench.h"

#define RB_REGION	"330110109201"	/* a village */
#define RB_DELAY_MS	900		/* a plausible delay: a second after issue */
#define RB_HOPS		2		/* county -> township -> village */

/* A signed DELIVERED receipt by key for ref, with the path fields when path is set. */
static int
rb_receipt(const struct fc_key *key, const uint8_t *ref, int path, uint64_t now,
    uint8_t **env, size_t *envlen, size_t *bodylen)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Receipt r = FENGHUO__RECEIPT__INIT;
	ProtobufCBinaryData refs;
	char region[] = RB_REGION;
	uint8_t body[512], via[WIRE_VIA_BYTES];
	size_t len;

	r.has_stage = 1;
	r.stage = FENGHUO__STAGE__DELIVERED;
	if (path) {
		/* What deliver_path() writes for a warning that came over a stream link. */
		memset(via, 0xa5, sizeof(via));
		r.has_via = 1;
		r.via.data = via;
		r.via.len = sizeof(via);
		r.has_hops = 1;
		r.hops = RB_HOPS;
		r.has_delay_ms = 1;
		r.delay_ms = RB_DELAY_MS;
		r.has_link = 1;
		r.link = WIRE_LINK_STREAM;
	}
	refs.data = (uint8_t *)(uintptr_t)ref;
	refs.len = FC_IDBYTES;
	b.has_version = 1;
	b.version = WIRE_BODY_VERSION;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__RECEIPT;
	b.has_author = 1;
	b.author.data = (uint8_t *)(uintptr_t)fc_key_public(key);
	b.author.len = FC_PUBLICKEYBYTES;
	b.has_created_ms = 1;
	b.created_ms = now;
	b.region = region;
	b.n_refs = 1;
	b.refs = &refs;
	b.receipt = &r;
	if (fenghuo__body__get_packed_size(&b) > sizeof(body))
		return -1;
	len = fenghuo__body__pack(&b, body);
	*bodylen = len;
	return fc_envelope_seal(key, body, len, env, envlen);
}

/* Link bytes of one PUSH of k copies of env at mtu: Frame, seal, link frames. */
static size_t
rb_push_bytes(const uint8_t *env, size_t envlen, size_t k, size_t mtu, size_t *framelen)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Push push = FENGHUO__PUSH__INIT;
	ProtobufCBinaryData envs[NODE_STREAM_PUSH_MAX];
	uint32_t hops[NODE_STREAM_PUSH_MAX];
	size_t i, sealed;

	for (i = 0; i < k; i++) {
		envs[i].data = (uint8_t *)(uintptr_t)env;
		envs[i].len = envlen;
		hops[i] = RB_HOPS;	/* a township relaying its villages' receipts */
	}
	push.n_envelopes = k;
	push.envelopes = envs;
	push.n_hops = k;
	push.hops = hops;
	f.msg_case = FENGHUO__FRAME__MSG_PUSH;
	f.push = &push;
	*framelen = fenghuo__frame__get_packed_size(&f);
	sealed = *framelen + SLINK_OVERHEAD;
	return sealed + stream_nfrags(sealed, mtu) * STREAM_OVERHEAD;
}

/* How many receipts of envlen bytes the daemon puts in one PUSH on a stream link at mtu. */
static size_t
rb_batch(size_t envlen, size_t mtu)
{
	size_t max_bytes = NODE_STREAM_PUSH_MTUS * (mtu - STREAM_OVERHEAD), k = 1;

	while (k < NODE_STREAM_PUSH_MAX && (k + 1) * envlen <= max_bytes)
		k++;
	return k;
}

static int
receipt_run(int argc, char **argv)
{
	static const char *const names[] = { "before", "after" };
	struct fc_key *key = NULL;
	struct timespec ts;
	uint8_t ref[FC_IDBYTES], *env;
	size_t envlen, bodylen, mtus[2] = { 256, 1200 }, nmtu = 2, m, k, ks[2], j, frame, link;
	size_t one[2] = { 0, 0 }, best[2] = { 0, 0 };
	uint64_t now;
	int ch, path;

	while ((ch = getopt(argc, argv, "m:")) != -1) {
		switch (ch) {
		case 'm':
			mtus[0] = strtoul(optarg, NULL, 10);
			nmtu = 1;
			if (mtus[0] < STREAM_MTU_MIN || mtus[0] > STREAM_MTU_MAX) {
				fprintf(stderr, "fenghuo-bench receipt: mtu %s out of range\n",
				    optarg);
				return 64;
			}
			break;
		default:
			fprintf(stderr, "usage: fenghuo-bench receipt [-m mtu]\n");
			return 64;
		}
	}
	if (fc_init() != 0 || fc_key_generate(&key) != 0)
		return 70;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	randombytes_buf(ref, sizeof(ref));
	printf("%-6s %5s %8s %8s %6s %10s %10s %13s\n", "fields", "mtu", "body", "envelope",
	    "batch", "push", "on link", "per receipt");
	for (path = 0; path < 2; path++) {
		if (rb_receipt(key, ref, path, now, &env, &envlen, &bodylen) != 0) {
			fc_key_free(&key);
			return 70;
		}
		for (m = 0; m < nmtu; m++) {
			ks[0] = 1;
			ks[1] = rb_batch(envlen, mtus[m]);
			for (j = 0; j < (ks[1] > 1 ? 2u : 1u); j++) {
				k = ks[j];
				link = rb_push_bytes(env, envlen, k, mtus[m], &frame);
				printf("%-6s %5zu %8zu %8zu %6zu %10zu %10zu %13.1f\n", names[path],
				    mtus[m], bodylen, envlen, k, frame, link, (double)link / (double)k);
				if (m == 0 && j == 0)
					one[path] = link;
				if (m == 0)
					best[path] = (link + k - 1) / k;
			}
		}
		free(env);
	}
	fc_key_free(&key);
	printf("mtu=%zu before_one=%zu after_one=%zu before_batched=%zu after_batched=%zu "
	    "target=120\n", mtus[0], one[0], one[1], best[0], best[1]);
	return 0;
}

const struct bench_cmd bench_receipt = {
	"receipt",
	"link bytes of one DELIVERED receipt on a stream link, alone and in a full PUSH, "
	    "without and with its path fields [-m mtu]",
	receipt_run,
};
