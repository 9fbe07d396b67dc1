/*
 * ingest.c: `fenghuo-bench ingest`, the cost of storing messages compared with the cost of
 * checking their signatures.
 *
 * It signs N realistic reports (several authors, ~300-byte bodies with Chinese text) before
 * any timing, then measures on one core:
 *   (a) raw Ed25519 verification (crypto_sign_verify_detached) of every message,
 *   (b) ingest of all N through an ingest (ingest/: dedupe, decode, signature check,
 *       indexes, one durable commit per batch) into a fresh store,
 *   (c) ingest of the same N again: all duplicates, which must cost a hash and a lookup.
 * Targets (DESIGN decisions 6 and 7): b/a >= 0.8, c/a >= 20.
 *
 * (a) and (b) are interleaved batch by batch (ingest a batch, then verify the same
 * messages), so that both see the same machine: on a shared or throttled machine a
 * separate verify phase would be measured under different load and the ratio would be
 * noise. The verify half runs second, with the messages already in cache, which if
 * anything flatters verification and understates the ratio.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <sodium.h>

#include "bench.h"
#include "store.h"
#include "ingest.h"
#include "wire.h"
#include "node.h"

#define NKEYS		8
#define BATCH_DEFAULT	1000
#define N_DEFAULT	200000

/* One pre-signed message: its envelope, and where body and signature sit inside it. */
struct item {
	uint8_t		*env;
	size_t		 len;
	const uint8_t	*body;
	size_t		 bodylen;
	const uint8_t	*sig;
	int		 key;
};

static const char *const titles[] = {
	"河堤管涌险情", "山体滑坡阻断道路", "村民房屋进水", "森林火情", "桥梁冲毁",
};
static const char *const events[] = { "暴雨", "flood", "landslide", "wildfire", "地震" };
static const char *const texts[] = {
	"东沟村三组河堤发现管涌两处，直径约二十厘米，水位仍在上涨，已组织巡堤人员二十名值守，"
	"请求派出抢险队伍和砂袋五百个。",
	"县道X203线12公里处山体滑坡，约三百立方米土石堵塞道路，无人员伤亡，车辆无法通行，"
	"已设置警示标志。",
	"低洼处十二户房屋进水，水深约半米，已转移群众四十一人至村委会安置点，需要饮用水和被褥。",
};

/*
 * Find the body and signature inside an envelope as fc_envelope_seal() writes it:
 * field 1 (body), then field 2 (64-byte signature). 0 or -1.
 */
static int
split(struct item *it)
{
	const uint8_t	*p = it->env, *end = it->env + it->len;
	uint64_t	 n = 0;
	unsigned	 shift = 0;

	if (p >= end || *p++ != 0x0a)
		return -1;
	do {
		if (p >= end || shift > 63)
			return -1;
		n |= (uint64_t)(*p & 0x7f) << shift;
		shift += 7;
	} while (*p++ & 0x80);
	if (n > (uint64_t)(end - p))
		return -1;
	it->body = p;
	it->bodylen = (size_t)n;
	p += n;
	if (end - p != 2 + FC_SIGBYTES || p[0] != 0x12 || p[1] != FC_SIGBYTES)
		return -1;
	it->sig = p + 2;
	return 0;
}

static int
make_item(struct fc_key *const *keys, size_t i, uint64_t now, struct item *it)
{
	Fenghuo__Body	 b = FENGHUO__BODY__INIT;
	char		 region[16];
	uint8_t		 buf[1024];
	size_t		 len;
	int		 k = (int)(i % NKEYS);

	/* Villages of one county: 12-digit codes under 510722. */
	snprintf(region, sizeof(region), "510722%03zu%03zu", 100 + i % 17, 200 + i % 23);
	b.has_version = 1;
	b.version = WIRE_BODY_VERSION;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__REPORT;
	b.has_author = 1;
	b.author.data = (uint8_t *)(uintptr_t)fc_key_public(keys[k]);
	b.author.len = FC_PUBLICKEYBYTES;
	/* Spread over the last day, distinct per message. */
	b.has_created_ms = 1;
	b.created_ms = now - 86400000ULL + (uint64_t)i * 3;
	b.region = region;
	b.has_lat_e7 = b.has_lon_e7 = 1;
	b.lat_e7 = 311000000 + (int32_t)(i % 100000);
	b.lon_e7 = 1049000000 + (int32_t)(i % 70000);
	b.category = (char *)(uintptr_t)"Met";
	b.event = (char *)(uintptr_t)events[i % 5];
	b.title = (char *)(uintptr_t)titles[i % 5];
	b.text = (char *)(uintptr_t)texts[i % 3];
	len = fenghuo__body__get_packed_size(&b);
	if (len > sizeof(buf))
		return -1;
	fenghuo__body__pack(&b, buf);
	if (fc_envelope_seal(keys[k], buf, len, &it->env, &it->len) != 0)
		return -1;
	it->key = k;
	return split(it);
}

/* Raw signature checks of m items; the number that fail. */
static int
verify(struct fc_key *const *keys, const struct item *items, size_t m)
{
	size_t	 j;
	int	 bad = 0;

	for (j = 0; j < m; j++)
		bad += crypto_sign_verify_detached(items[j].sig, items[j].body, items[j].bodylen,
		    fc_key_public(keys[items[j].key])) != 0;
	return bad;
}

/*
 * The way in that is measured: the ingest itself (path "store": ingest_put_batch, what the
 * CLI and any batch writer use), or a node's peer code (path "peer": PUSH frames of 64
 * envelopes from a neighbour, decoded by peer_recv, gathered, committed by gossip_commit,
 * forwarded to a second neighbour's send queue; the daemon's own path without sockets).
 */
struct path {
	/* store */
	struct ingest		*ig;
	struct ingest_put	*puts;
	/* peer */
	struct node		*n;
	struct peer		*x, *y;
};

static int
step_store(struct path *pa, const struct item *items, size_t m, size_t *nnew, size_t *ndup)
{
	size_t j;
	int rc;

	for (j = 0; j < m; j++) {
		memset(&pa->puts[j], 0, sizeof(pa->puts[j]));
		pa->puts[j].env = items[j].env;
		pa->puts[j].len = items[j].len;
	}
	if ((rc = ingest_put_batch(pa->ig, pa->puts, m, bench_wall_ms())) != 0) {
		fprintf(stderr, "ingest: %s\n", ingest_strerror(rc));
		return -1;
	}
	for (j = 0; j < m; j++) {
		if (pa->puts[j].status == INGEST_NEW)
			(*nnew)++;
		else if (pa->puts[j].status == INGEST_DUP)
			(*ndup)++;
		else
			fprintf(stderr, "ingest: a message was rejected: %s\n",
			    fc_reason_name(pa->puts[j].reason));
	}
	return 0;
}

#define PEER_PUSH_MAX	64	/* envelopes per PUSH frame, as fenghuod sends them */

static int
step_peer(struct path *pa, const struct item *items, size_t m, size_t *nnew, size_t *ndup)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Push push = FENGHUO__PUSH__INIT;
	ProtobufCBinaryData env[PEER_PUSH_MAX];
	uint64_t stored = pa->n->stored, dups = pa->n->duplicates;
	uint8_t *buf;
	size_t j, k, blen;

	f.msg_case = FENGHUO__FRAME__MSG_PUSH;
	f.push = &push;
	push.envelopes = env;
	for (j = 0; j < m; j += k) {
		for (k = 0; k < PEER_PUSH_MAX && j + k < m; k++) {
			env[k].data = items[j + k].env;
			env[k].len = items[j + k].len;
		}
		push.n_envelopes = k;
		if (frame_pack(&f, &buf, &blen) != 0)
			return -1;
		peer_recv(pa->n, pa->x, &pa->x->in, buf, blen);
		free(buf);
	}
	gossip_commit(pa->n);
	/* What was forwarded leaves, as if sent: the queue stays within its bounds. */
	pq_clear(&pa->y->q);
	*nnew += pa->n->stored - stored;
	*ndup += pa->n->duplicates - dups;
	return 0;
}

/* A node in dir with two neighbours whose inbound links are up, without sockets. */
static int
peer_open(struct path *pa, const char *dir)
{
	uint8_t kx[FC_PUBLICKEYBYTES], ky[FC_PUBLICKEYBYTES];
	char path[4096];
	struct conf *conf;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/bench.conf", dir);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	/*
	 * No trust policy (the path is measured, not the chains); limits high enough that a
	 * benchmark's few authors are not throttled, yet taken at every message.
	 */
	fprintf(fp, "[node]\nname = bench\nregion = 510722\nkey = %s/node.key\nstate = %s\n"
	    "[trust]\nopen = yes\n[limits]\npeer_frames_per_sec = 1000000\n"
	    "peer_frames_burst = 10000000\nauthor_msgs_per_sec = 1000000\n"
	    "author_msgs_burst = 10000000\nqueue_items = 10000000\n", dir, dir);
	if (fclose(fp) != 0 || conf_load(path, stderr, &conf) != 0 ||
	    (pa->n = node_new(conf)) == NULL)
		return -1;
	memset(kx, 'x', sizeof(kx));
	memset(ky, 'y', sizeof(ky));
	if ((pa->x = peer_new(pa->n, "x", "", kx, 0)) == NULL ||
	    node_add_peer(pa->n, pa->x) != 0 ||
	    (pa->y = peer_new(pa->n, "y", "", ky, 0)) == NULL ||
	    node_add_peer(pa->n, pa->y) != 0)
		return -1;
	pa->x->in.state = pa->y->in.state = LINK_UP;
	return 0;
}

/* Wall-clock and CPU time of one phase. */
struct spent {
	uint64_t	 wall, cpu;
};

/*
 * Run all n items through the path in batches and count statuses; the time spent goes to
 * *t_ingest. With keys, each batch is then also verified raw, timed into *t_verify.
 * 0 or -1.
 */
static int
ingest(struct path *pa, const struct item *items, size_t n, size_t batch,
    struct fc_key *const *keys, struct spent *t_ingest, struct spent *t_verify,
    size_t *nnew, size_t *ndup)
{
	uint64_t t0, c0;
	size_t	 i, m;
	int	 rc;

	*nnew = *ndup = 0;
	memset(t_ingest, 0, sizeof(*t_ingest));
	memset(t_verify, 0, sizeof(*t_verify));
	for (i = 0; i < n; i += m) {
		m = n - i < batch ? n - i : batch;
		t0 = bench_mono_ns();
		c0 = bench_cpu_ns();
		rc = pa->n != NULL ? step_peer(pa, items + i, m, nnew, ndup) :
		    step_store(pa, items + i, m, nnew, ndup);
		if (rc != 0)
			return -1;
		t_ingest->cpu += bench_cpu_ns() - c0;
		t_ingest->wall += bench_mono_ns() - t0;
		if (keys != NULL) {
			t0 = bench_mono_ns();
			c0 = bench_cpu_ns();
			if (verify(keys, items + i, m) != 0) {
				fprintf(stderr, "ingest: a signature did not verify\n");
				return -1;
			}
			t_verify->cpu += bench_cpu_ns() - c0;
			t_verify->wall += bench_mono_ns() - t0;
		}
	}
	return 0;
}

static double
rate(size_t n, uint64_t ns)
{
	return ns ? (double)n * 1e9 / (double)ns : 0.0;
}

static int
ingest_run(int argc, char **argv)
{
	struct fc_key		*keys[NKEYS] = { NULL };
	struct item		*items = NULL;
	struct path		 pa;
	struct store		*st = NULL;
	struct ingest_conf	 ic;
	const char		*pathname = "store";
	char			 err[256];
	uint64_t		 dec0, ver0, dec_new, ver_new, dec_dup, ver_dup;
	char			*dir = NULL;
	size_t			 n = N_DEFAULT, batch = BATCH_DEFAULT, i, nnew, ndup, bytes = 0;
	uint64_t		 now;
	struct spent		 t_verify, t_ingest, t_dup, unused;
	double			 a, b, c, ca, cb;
	long long		 v;
	int			 ch, k, rc, ret = EX_SOFTWARE, keep = 0;
	static const struct option longopts[] = {
		{ "path", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};

	memset(&pa, 0, sizeof(pa));
	while ((ch = getopt_long(argc, argv, "n:b:p:kh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (strcmp(optarg, "store") != 0 && strcmp(optarg, "peer") != 0) {
				fprintf(stderr, "ingest: --path is store or peer\n");
				return EX_USAGE;
			}
			pathname = optarg;
			break;
		case 'k':
			keep = 1;
			break;
		case 'n':
		case 'b':
			v = strtoll(optarg, NULL, 10);
			if (v < 1 || v > 100000000) {
				fprintf(stderr, "ingest: -%c wants a positive count\n", ch);
				return EX_USAGE;
			}
			*(ch == 'n' ? &n : &batch) = (size_t)v;
			break;
		case 'h':
			printf("usage: fenghuo-bench ingest [--path store|peer] [-n messages] "
			    "[-b batch] [-k]\n%s\n"
			    "--path store: through an ingest, as the CLI and batch writers do "
			    "(default)\n"
			    "--path peer: PUSH frames through a node's peer code, commit and "
			    "forwarding, as fenghuod does\n"
			    "-k keeps the store directory (for mdb_stat -a) and prints its path\n",
			    bench_ingest.help);
			return 0;
		default:
			return EX_USAGE;
		}
	}
	if (fc_init() != 0) {
		fprintf(stderr, "ingest: fc_init failed\n");
		return EX_SOFTWARE;
	}
	for (k = 0; k < NKEYS; k++)
		if (fc_key_generate(&keys[k]) != 0) {
			fprintf(stderr, "ingest: key generation failed\n");
			goto out;
		}
	if ((items = calloc(n, sizeof(*items))) == NULL ||
	    (pa.puts = calloc(batch, sizeof(*pa.puts))) == NULL) {
		fprintf(stderr, "ingest: out of memory\n");
		goto out;
	}
	now = bench_wall_ms();
	for (i = 0; i < n; i++) {
		if (make_item(keys, i, now, &items[i]) != 0) {
			fprintf(stderr, "ingest: cannot build message %zu\n", i);
			goto out;
		}
		bytes += items[i].len;
	}
	printf("ingest: %zu reports by %d authors, mean envelope %zu bytes, batches of %zu, "
	    "path %s\n", n, NKEYS, bytes / n, batch, pathname);

	if ((dir = bench_tmpdir("ingest")) == NULL) {
		perror("ingest: mkdtemp");
		goto out;
	}
	if (strcmp(pathname, "peer") == 0) {
		if (peer_open(&pa, dir) != 0) {
			fprintf(stderr, "ingest: cannot start a node in %s\n", dir);
			goto out;
		}
	} else {
		if ((rc = store_open(dir, 0, &st)) != 0) {
			fprintf(stderr, "ingest: store_open %s: %s\n", dir, store_strerror(rc));
			goto out;
		}
		/* No trust policy: what is measured is the path, not the certificate chains. */
		memset(&ic, 0, sizeof(ic));
		ic.open = 1;
		if ((rc = ingest_open(st, &ic, &pa.ig, err, sizeof(err))) != 0) {
			fprintf(stderr, "ingest: %s\n", err);
			goto out;
		}
	}
	/*
	 * (b) everything new, interleaved with (a) the signature check alone: the floor of
	 * what storing a new message costs. The process's counters say how often a body was
	 * decoded and a signature checked by the ingest (the raw verification of (a) calls
	 * libsodium directly, outside the counter).
	 */
	dec0 = wire_body_decodes();
	ver0 = fc_verify_count();
	if (ingest(&pa, items, n, batch, keys, &t_ingest, &t_verify, &nnew, &ndup) != 0)
		goto out;
	dec_new = wire_body_decodes() - dec0;
	ver_new = fc_verify_count() - ver0;
	if (nnew != n) {
		fprintf(stderr, "ingest: %zu of %zu stored as new\n", nnew, n);
		goto out;
	}
	/* (c) everything again: all duplicates. */
	dec0 = wire_body_decodes();
	ver0 = fc_verify_count();
	if (ingest(&pa, items, n, batch, NULL, &t_dup, &unused, &nnew, &ndup) != 0)
		goto out;
	dec_dup = wire_body_decodes() - dec0;
	ver_dup = fc_verify_count() - ver0;
	if (ndup != n) {
		fprintf(stderr, "ingest: %zu of %zu seen as duplicates\n", ndup, n);
		goto out;
	}

	a = rate(n, t_verify.wall);
	b = rate(n, t_ingest.wall);
	c = rate(n, t_dup.wall);
	/* Per CPU second: what the path costs, apart from the machine's load and the disk. */
	ca = rate(n, t_verify.cpu);
	cb = rate(n, t_ingest.cpu);
	printf("verify  %10.0f msg/s  (crypto_sign_verify_detached, one core)\n", a);
	printf("ingest  %10.0f msg/s  %.2f x verify (target >= 0.8)%s\n", b, b / a,
	    b / a >= 0.8 ? "" : "  BELOW TARGET");
	printf("dup     %10.0f msg/s  %.1f x verify (target >= 20)%s\n", c, c / a,
	    c / a >= 20 ? "" : "  BELOW TARGET");
	printf("per CPU second: verify %.0f, ingest %.0f (%.2f x verify; the wall-clock ratio "
	    "also pays the commit's disk sync)\n", ca, cb, cb / ca);
	printf("decodes and signature checks: %.2f and %.2f per new message, %.2f and %.2f "
	    "per duplicate\n", (double)dec_new / (double)n, (double)ver_new / (double)n,
	    (double)dec_dup / (double)n, (double)ver_dup / (double)n);
	printf("verify_per_s=%.0f ingest_per_s=%.0f dup_per_s=%.0f ingest_ratio=%.2f "
	    "dup_ratio=%.1f path=%s decodes_per_new=%.2f verifies_per_new=%.2f decodes_per_dup=%.2f "
	    "verifies_per_dup=%.2f cpu_ratio=%.2f\n", a, b, c, b / a, c / a, pathname,
	    (double)dec_new / (double)n, (double)ver_new / (double)n,
	    (double)dec_dup / (double)n, (double)ver_dup / (double)n, cb / ca);
	fflush(stdout);
	ret = 0;
out:
	node_free(&pa.n);
	ingest_close(&pa.ig);
	store_close(&st);
	if (keep && dir != NULL) {
		fprintf(stderr, "ingest: store kept in %s\n", dir);
		free(dir);
	} else
		bench_rmdir(dir);
	if (items != NULL)
		for (i = 0; i < n; i++)
			free(items[i].env);
	free(items);
	free(pa.puts);
	for (k = 0; k < NKEYS; k++)
		fc_key_free(&keys[k]);
	return ret;
}

const struct bench_cmd bench_ingest = {
	"ingest",
	"ingest vs raw signature verification, new and duplicate [--path store|peer] [-n N] [-b batch]",
	ingest_run,
};
