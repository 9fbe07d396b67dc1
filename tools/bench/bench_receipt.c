/*
 * bench_receipt.c: `fenghuo-bench receipt`: the bytes one DELIVERED receipt costs on the wire
 * of a stream link, whole and as a compact record. Nothing runs on a network: each figure is
 * the length of what the daemon would put on the link, built with its own functions. A
 * village's receipt is signed as node/deliver.c and node_publish make it
 * (bench_make_receipt: a 12-digit region, one ref, stage DELIVERED, with or without the path
 * fields via, hops, delay_ms and link).
 *
 * Whole: packed into PUSH frames of 1 to as many receipts as the daemon puts in one on a
 * stream link (NODE_STREAM_PUSH_MAX, at most NODE_STREAM_PUSH_MTUS link frames of payload).
 * Compact (PROTOCOL.md §5, Compact receipts): the record wire_creceipt_make makes of it,
 * either the village's own receipt to the neighbour it had the warning from ("own": author
 * and via are the two ends of the link) or a village's receipt relayed by its township
 * ("relayed": an author prefix and relay hops), the region the signer's certificate scope;
 * records share a Frame.receipts under the same bounds as a PUSH. Every frame is sealed
 * (SLINK_OVERHEAD) and cut into link frames (stream_nfrags, STREAM_OVERHEAD each). Per
 * receipt = the link bytes of the frame / the receipts in it. The sizes depend only on the
 * field values, so the run is exact and repeatable; the signatures are real.
 *
 *   fenghuo-bench receipt [-m mtu]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"
#include "node.h"
#include "bench.h"

#define RB_REGION	"330110109201"	/* a village, and its certificate's scope */
#define RB_DELAY_MS	900		/* a plausible delay: a second after issue */
#define RB_SIGNED_MS	2		/* the receipt is signed this long after storing */
#define RB_HOPS		2		/* county -> township -> village */

enum { F_BARE, F_PATH, F_OWN, F_RELAYED, F_MAX };
static const char *const form_names[F_MAX] = { "whole-bare", "whole", "own", "relayed" };

/* Link bytes of one frame of framelen bytes at mtu: sealed, cut into link frames. */
static size_t
rb_link_bytes(size_t framelen, size_t mtu)
{
	size_t sealed = framelen + SLINK_OVERHEAD;

	return sealed + stream_nfrags(sealed, mtu) * STREAM_OVERHEAD;
}

/* Frame length of one PUSH of k copies of env, or of a Frame.receipts of k copies of rec. */
static size_t
rb_frame(int compact, const uint8_t *item, size_t len, size_t k)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Push push = FENGHUO__PUSH__INIT;
	ProtobufCBinaryData envs[NODE_STREAM_PUSH_MAX];
	uint32_t hops[NODE_STREAM_PUSH_MAX];
	uint8_t recs[NODE_STREAM_PUSH_MAX * WIRE_CR_MAX];
	size_t i;

	for (i = 0; i < k; i++) {
		envs[i].data = (uint8_t *)(uintptr_t)item;
		envs[i].len = len;
		hops[i] = RB_HOPS;	/* a township relaying its villages' receipts */
		if (compact)
			memcpy(recs + i * len, item, len);
	}
	if (compact) {
		f.msg_case = FENGHUO__FRAME__MSG_RECEIPTS;
		f.receipts.data = recs;
		f.receipts.len = k * len;
	} else {
		push.n_envelopes = k;
		push.envelopes = envs;
		push.n_hops = k;
		push.hops = hops;
		f.msg_case = FENGHUO__FRAME__MSG_PUSH;
		f.push = &push;
	}
	return fenghuo__frame__get_packed_size(&f);
}

/* How many items of len bytes the daemon puts in one frame on a stream link at mtu. */
static size_t
rb_batch(size_t len, size_t mtu)
{
	size_t max_bytes = NODE_STREAM_PUSH_MTUS * (mtu - STREAM_OVERHEAD), k = 1;

	while (k < NODE_STREAM_PUSH_MAX && (k + 1) * len <= max_bytes)
		k++;
	return k;
}

/*
 * The record of the receipt env of the warning created at w_created, made by sender for
 * receiver (the two ends of the link), the region its author's certificate scope. 0 or -1.
 */
static int
rb_record(const uint8_t *env, size_t envlen, uint64_t w_created, const uint8_t *sender,
    const uint8_t *receiver, uint32_t relay, uint8_t *rec, size_t *reclen)
{
	struct wire_creceipt_keys k;
	struct wire_creceipt r;
	const uint8_t *body, *sig;
	size_t bodylen, siglen;
	Fenghuo__Body *b;
	int rc;

	if (fc_envelope_split(env, envlen, &body, &bodylen, &sig, &siglen) != 0 ||
	    (b = wire_body_unpack(body, bodylen)) == NULL)
		return -1;
	memset(&k, 0, sizeof(k));
	k.ref_created_ms = w_created;
	k.sender = sender;
	k.receiver = receiver;
	k.scope = RB_REGION;
	rc = wire_creceipt_make(env, envlen, b, sig, siglen, relay, &k, &r);
	fenghuo__body__free_unpacked(b, NULL);
	if (rc == 0)
		*reclen = wire_creceipt_write(&r, rec);
	return rc;
}

static int
receipt_run(int argc, char **argv)
{
	struct fc_key *village = NULL, *township = NULL, *county = NULL;
	uint8_t ref[FC_IDBYTES], *env[F_MAX] = { NULL }, rec[F_MAX][WIRE_CR_MAX];
	const uint8_t *item;
	size_t envlen[F_MAX], bodylen[F_MAX], len[F_MAX], mtus[2] = { 256, 1200 }, nmtu = 2;
	size_t m, f, k, ks[6], nk, j, frame, link, one[F_MAX] = { 0 }, best[F_MAX] = { 0 };
	size_t two = 0;
	char rlen[16];
	uint64_t w_created;
	int ch, rc = 70;

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
	if (fc_init() != 0 || fc_key_generate(&village) != 0 ||
	    fc_key_generate(&township) != 0 || fc_key_generate(&county) != 0)
		goto out;
	w_created = bench_wall_ms();
	randombytes_buf(ref, sizeof(ref));
	/*
	 * whole-bare: no path fields (a receipt of before they existed); whole: with them, the
	 * warning from the township over a stream link. own: that receipt as the village's
	 * record to the township; relayed: as the township's record to the county.
	 */
	if (bench_make_receipt(village, ref, RB_REGION, w_created + RB_DELAY_MS + RB_SIGNED_MS,
	    NULL, 0, 0, 0, &env[F_BARE], &envlen[F_BARE], &bodylen[F_BARE]) != 0 ||
	    bench_make_receipt(village, ref, RB_REGION, w_created + RB_DELAY_MS + RB_SIGNED_MS,
	    fc_key_public(township), RB_HOPS, RB_DELAY_MS, WIRE_LINK_UDP, &env[F_PATH],
	    &envlen[F_PATH], &bodylen[F_PATH]) != 0)
		goto out;
	len[F_BARE] = envlen[F_BARE];
	len[F_PATH] = envlen[F_PATH];
	env[F_OWN] = env[F_PATH];
	env[F_RELAYED] = env[F_PATH];
	bodylen[F_OWN] = bodylen[F_RELAYED] = bodylen[F_PATH];
	envlen[F_OWN] = envlen[F_RELAYED] = envlen[F_PATH];
	if (rb_record(env[F_PATH], envlen[F_PATH], w_created, fc_key_public(village),
	    fc_key_public(township), 0, rec[F_OWN], &len[F_OWN]) != 0 ||
	    rb_record(env[F_PATH], envlen[F_PATH], w_created, fc_key_public(township),
	    fc_key_public(county), 1, rec[F_RELAYED], &len[F_RELAYED]) != 0) {
		fprintf(stderr, "fenghuo-bench receipt: the receipt does not make a record\n");
		goto out;
	}
	printf("%-10s %5s %5s %8s %6s %6s %8s %8s %12s\n", "form", "mtu", "body", "envelope",
	    "record", "batch", "frame", "on link", "per receipt");
	for (f = 0; f < F_MAX; f++) {
		item = f >= F_OWN ? rec[f] : env[f];
		for (m = 0; m < nmtu; m++) {
			nk = 0;
			ks[nk++] = 1;
			if (f >= F_OWN && m == 0) {
				ks[nk++] = 2;
				ks[nk++] = 3;
				ks[nk++] = 5;
			}
			if (rb_batch(len[f], mtus[m]) > ks[nk - 1])
				ks[nk++] = rb_batch(len[f], mtus[m]);
			for (j = 0; j < nk; j++) {
				k = ks[j];
				frame = rb_frame(f >= F_OWN, item, len[f], k);
				link = rb_link_bytes(frame, mtus[m]);
				snprintf(rlen, sizeof(rlen), "%zu", len[f]);
				printf("%-10s %5zu %5zu %8zu %6s %6zu %8zu %8zu %12.1f\n",
				    form_names[f], mtus[m], bodylen[f], envlen[f],
				    f >= F_OWN ? rlen : "-", k, frame, link,
				    (double)link / (double)k);
				if (m == 0 && k == 1)
					one[f] = link;
				if (m == 0 && k == 2 && f == F_RELAYED)
					two = (link + 1) / 2;
				if (m == 0)
					best[f] = (link + k - 1) / k;
			}
		}
	}
	printf("mtu=%zu before_one=%zu after_one=%zu after_batched=%zu own_one=%zu "
	    "own_batched=%zu relayed_one=%zu relayed_two=%zu relayed_batched=%zu "
	    "own_record=%zu relayed_record=%zu target=120\n", mtus[0], one[F_BARE], one[F_PATH],
	    best[F_PATH], one[F_OWN], best[F_OWN], one[F_RELAYED], two, best[F_RELAYED],
	    len[F_OWN], len[F_RELAYED]);
	rc = 0;
out:
	free(env[F_BARE]);
	free(env[F_PATH]);
	fc_key_free(&village);
	fc_key_free(&township);
	fc_key_free(&county);
	return rc;
}

const struct bench_cmd bench_receipt = {
	"receipt",
	"link bytes of one DELIVERED receipt on a stream link, alone and several in a frame: "
	    "whole (without and with its path fields) and as a compact record [-m mtu]",
	receipt_run,
};
