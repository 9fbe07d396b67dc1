/*
 * bench_reconcile.c: `fenghuo-bench reconcile`, the cost of range-based set reconciliation
 * (node/sync.c) between two stores that share n messages and hold d unique ones each.
 *
 * The unique messages are scattered over the whole time range (the hard case: every
 * difference sits in its own range), or with --clustered packed into one stretch of time.
 * One store is filled through ingest_put_open() and copied file by file for the second (half
 * the signature checks); then each gets its own d. A round runs in-process, sync_begin on
 * one side and sync_handle alternately; every payload is counted. The given messages are
 * then moved, and a second round must find the stores equal, as must their digests.
 *
 * Target (issue #3): for n = 100000, d = 100, at most 2% of the naive baseline of sending
 * every id (n * 32 bytes) in at most 10 round trips with 1 MiB frames.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <sodium.h>

#include "bench.h"
#include "store.h"
#include "ingest.h"
#include "sync.h"

#define NKEYS		8
#define BATCH		1000

struct msgs {
	uint8_t		**env;
	size_t		 *len;
	size_t		  n;
};

static int
make_msg(struct fc_key *const *keys, size_t i, uint64_t created, uint8_t **env,
    size_t *len)
{
	Fenghuo__Body	 b = FENGHUO__BODY__INIT;
	const struct fc_key *key = keys[i % NKEYS];
	char		 region[16], title[48];
	uint8_t		 buf[512];
	size_t		 n;

	snprintf(region, sizeof(region), "510722%03zu%03zu", 100 + i % 17, 200 + i % 23);
	snprintf(title, sizeof(title), "险情报告 %zu", i);
	b.has_version = 1;
	b.version = WIRE_BODY_VERSION;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__REPORT;
	b.has_author = 1;
	b.author.data = (uint8_t *)(uintptr_t)fc_key_public(key);
	b.author.len = FC_PUBLICKEYBYTES;
	b.has_created_ms = 1;
	b.created_ms = created;
	b.region = region;
	b.category = (char *)(uintptr_t)"flood";
	b.title = title;
	b.text = (char *)(uintptr_t)"河堤发现管涌两处，水位仍在上涨，已组织巡堤。";
	n = fenghuo__body__get_packed_size(&b);
	if (n > sizeof(buf))
		return -1;
	fenghuo__body__pack(&b, buf);
	return fc_envelope_seal(key, buf, n, env, len) == 0 ? 0 : -1;
}

static int
put_all(struct store *st, uint8_t *const *env, const size_t *len, const size_t *idx, size_t n)
{
	struct ingest_put	 puts[BATCH];
	size_t			 i, j, m;
	int			 rc;

	for (i = 0; i < n; i += m) {
		m = n - i < BATCH ? n - i : BATCH;
		for (j = 0; j < m; j++) {
			memset(&puts[j], 0, sizeof(puts[j]));
			puts[j].env = env[idx[i + j]];
			puts[j].len = len[idx[i + j]];
		}
		if ((rc = ingest_put_open(st, puts, m, bench_wall_ms())) != 0) {
			fprintf(stderr, "reconcile: store_put_batch: %s\n", store_strerror(rc));
			return -1;
		}
		for (j = 0; j < m; j++)
			if (puts[j].status != INGEST_NEW && puts[j].status != INGEST_DUP) {
				fprintf(stderr, "reconcile: message rejected: %s\n",
				    fc_reason_name(puts[j].reason));
				return -1;
			}
	}
	return 0;
}

/* Copy every file of directory from into directory to (a closed LMDB environment). */
static int
copy_dir(const char *from, const char *to)
{
	DIR		*d;
	struct dirent	*de;
	char		 src[4096], dst[4096], buf[1 << 16];
	ssize_t		 r;
	int		 in, out, rc = 0;

	if ((d = opendir(from)) == NULL)
		return -1;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "lock.mdb") == 0)
			continue;
		snprintf(src, sizeof(src), "%s/%s", from, de->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", to, de->d_name);
		if ((in = open(src, O_RDONLY)) == -1)
			return -1;
		if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1) {
			close(in);
			rc = -1;
			break;
		}
		while ((r = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)r) != r) {
				rc = -1;
				break;
			}
		if (r < 0)
			rc = -1;
		close(in);
		if (close(out) != 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

/* Move the messages with the given ids from one store to the other, in one batch. */
static int
move(struct store *from, struct store *to, const uint8_t (*ids)[FC_IDBYTES], size_t n)
{
	struct store_msg	*msgs;
	struct ingest_put	*puts;
	size_t			 i, got = 0;
	int			 rc, ret = -1;

	if (n == 0)
		return 0;
	msgs = calloc(n, sizeof(*msgs));
	puts = calloc(n, sizeof(*puts));
	if (msgs == NULL || puts == NULL)
		goto out;
	for (got = 0; got < n; got++) {
		if ((rc = store_get(from, ids[got], &msgs[got])) != 0) {
			fprintf(stderr, "reconcile: store_get: %s\n", store_strerror(rc));
			goto out;
		}
		puts[got].env = msgs[got].env;
		puts[got].len = msgs[got].len;
	}
	if ((rc = ingest_put_open(to, puts, n, bench_wall_ms())) != 0) {
		fprintf(stderr, "reconcile: store_put_batch: %s\n", store_strerror(rc));
		goto out;
	}
	ret = 0;
out:
	for (i = 0; i < got; i++)
		store_msg_clear(&msgs[i]);
	free(msgs);
	free(puts);
	return ret;
}

struct round {
	size_t		 msgs;
	size_t		 bytes[2];	/* sent by side 0, by side 1 */
	size_t		 maxmsg;
	size_t		 moved;
	uint64_t	 ns;
};

/* One round initiated by side 0; given messages are moved when it ends. 0 or -1. */
static int
round_run(struct store *st[2], size_t frame, struct round *r)
{
	struct sync_result	 res;
	uint8_t			(*gv[2])[FC_IDBYTES] = { NULL, NULL };
	size_t			 ngv[2] = { 0, 0 }, len, k;
	uint8_t			*msg;
	uint64_t		 t0;
	int			 side, rc, ret = -1;
	void			*p;

	memset(r, 0, sizeof(*r));
	t0 = bench_mono_ns();
	if ((rc = sync_begin(st[0], frame, &msg, &len)) != 0) {
		fprintf(stderr, "reconcile: sync_begin: %s\n", store_strerror(rc));
		return -1;
	}
	for (side = 1;; side = !side) {
		r->msgs++;
		r->bytes[!side] += len;
		if (len > r->maxmsg)
			r->maxmsg = len;
		rc = sync_handle(st[side], frame, msg, len, &res);
		free(msg);
		if (rc != 0) {
			fprintf(stderr, "reconcile: sync_handle: %s\n", store_strerror(rc));
			goto out;
		}
		/* Keep the ids to move after the round, as a daemon would push them. */
		if (res.ngive > 0) {
			k = ngv[side] + res.ngive;
			if ((p = realloc(gv[side], k * sizeof(*gv[side]))) == NULL)
				goto out;
			gv[side] = p;
			memcpy(gv[side][ngv[side]], res.give, res.ngive * sizeof(*res.give));
			ngv[side] = k;
		}
		msg = res.reply;
		len = res.replylen;
		res.reply = NULL;
		sync_result_clear(&res);
		if (msg == NULL)
			break;
		if (r->msgs > 1000) {
			fprintf(stderr, "reconcile: no convergence after 1000 payloads\n");
			free(msg);
			goto out;
		}
	}
	r->ns = bench_mono_ns() - t0;
	r->moved = ngv[0] + ngv[1];
	if (move(st[0], st[1], (const uint8_t (*)[FC_IDBYTES])gv[0], ngv[0]) != 0 ||
	    move(st[1], st[0], (const uint8_t (*)[FC_IDBYTES])gv[1], ngv[1]) != 0)
		goto out;
	ret = 0;
out:
	free(gv[0]);
	free(gv[1]);
	return ret;
}

static int
reconcile_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "frame", required_argument, NULL, 'f' },
		{ "clustered", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fc_key	*keys[NKEYS] = { NULL };
	struct store	*st[2] = { NULL, NULL };
	char		*dir[2] = { NULL, NULL };
	uint8_t		**env = NULL, d0[32], d1[32];
	size_t		*len = NULL, *idx = NULL, *uniq = NULL, total, i, j, k, nu[2];
	size_t		 n = 100000, d = 100, frame = WIRE_FRAME_MAX, sync, rtt, baseline;
	struct round	 r1, r2;
	uint64_t	 now, span, t0;
	uint8_t		*is_uniq = NULL;
	char		*end;
	int		 ch, clustered = 0, ret = EX_SOFTWARE, rc;
	unsigned long long v;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "n:d:f:ch", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
		case 'd':
		case 'f':
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v > 10000000) {
				fprintf(stderr, "reconcile: bad number '%s'\n", optarg);
				return EX_USAGE;
			}
			if (ch == 'n')
				n = (size_t)v;
			else if (ch == 'd')
				d = (size_t)v;
			else
				frame = (size_t)v;
			break;
		case 'c':
			clustered = 1;
			break;
		case 'h':
		default:
			fprintf(ch == 'h' ? stdout : stderr,
			    "usage: fenghuo-bench reconcile [-n shared] [-d unique-each] "
			    "[--frame bytes] [--clustered]\n");
			return ch == 'h' ? 0 : EX_USAGE;
		}
	}
	if (frame < 1024 || frame > WIRE_FRAME_MAX || n + 2 * d == 0) {
		fprintf(stderr, "reconcile: --frame must be 1024..%d\n", WIRE_FRAME_MAX);
		return EX_USAGE;
	}
	if (fc_init() != 0)
		return EX_SOFTWARE;
	total = n + 2 * d;
	env = calloc(total, sizeof(*env));
	len = calloc(total, sizeof(*len));
	idx = calloc(total, sizeof(*idx));
	is_uniq = calloc(total, 1);
	uniq = calloc(2 * d + 1, sizeof(*uniq));
	if (env == NULL || len == NULL || idx == NULL || is_uniq == NULL || uniq == NULL)
		goto out;
	for (i = 0; i < NKEYS; i++)
		if (fc_key_generate(&keys[i]) != 0)
			goto out;

	printf("reconcile: %zu shared messages, %zu unique on each side, %s, frames <= %zu "
	    "bytes\n", n, d, clustered ? "clustered in one stretch of time" :
	    "scattered over the whole time range", frame);
	/* Messages over the last day, one time each, oldest first. */
	t0 = bench_mono_ns();
	now = bench_wall_ms();
	span = 86400000ULL;
	for (i = 0; i < total; i++)
		if (make_msg(keys, i, now - span + i * (span / total), &env[i], &len[i]) != 0) {
			fprintf(stderr, "reconcile: cannot sign message %zu\n", i);
			goto out;
		}
	/* Pick the 2d unique ones: random positions, or one stretch in the middle. */
	for (k = 0; k < 2 * d;) {
		i = clustered ? total / 2 - d + k : randombytes_uniform((uint32_t)total);
		if (is_uniq[i])
			continue;
		is_uniq[i] = 1;
		uniq[k++] = i;
	}
	for (i = j = 0; i < total; i++)
		if (!is_uniq[i])
			idx[j++] = i;
	printf("  signed %zu messages in %.1f s\n", total, (double)(bench_mono_ns() - t0) / 1e9);

	t0 = bench_mono_ns();
	if ((dir[0] = bench_tmpdir("sync-a")) == NULL || (dir[1] = bench_tmpdir("sync-b")) == NULL)
		goto out;
	if ((rc = store_open(dir[0], 0, &st[0])) != 0) {
		fprintf(stderr, "reconcile: store_open: %s\n", store_strerror(rc));
		goto out;
	}
	if (put_all(st[0], env, len, idx, n) != 0)
		goto out;
	store_close(&st[0]);
	if (copy_dir(dir[0], dir[1]) != 0) {
		fprintf(stderr, "reconcile: cannot copy the store\n");
		goto out;
	}
	for (k = 0; k < 2; k++) {
		if ((rc = store_open(dir[k], 0, &st[k])) != 0) {
			fprintf(stderr, "reconcile: store_open: %s\n", store_strerror(rc));
			goto out;
		}
		/* Side k gets uniq[k], uniq[k + 2], ...: interleaved in time. */
		for (i = k, nu[k] = 0; i < 2 * d; i += 2)
			idx[nu[k]++] = uniq[i];
		if (put_all(st[k], env, len, idx, nu[k]) != 0)
			goto out;
	}
	printf("  built two stores in %.1f s\n", (double)(bench_mono_ns() - t0) / 1e9);

	if (round_run(st, frame, &r1) != 0 || round_run(st, frame, &r2) != 0)
		goto out;
	if (store_digest(st[0], d0) != 0 || store_digest(st[1], d1) != 0)
		goto out;
	sync = r1.bytes[0] + r1.bytes[1];
	rtt = (r1.msgs + 1) / 2;
	baseline = n * FC_IDBYTES;
	printf("  round 1: %zu payloads (%zu round trips), %zu bytes A->B + %zu bytes B->A, "
	    "largest %zu, %.1f ms; %zu messages to move (expected %zu)\n", r1.msgs, rtt,
	    r1.bytes[0], r1.bytes[1], r1.maxmsg, (double)r1.ns / 1e6, r1.moved, 2 * d);
	printf("  round 2 (check): %zu payloads, %zu bytes, %zu moved; digests %s\n", r2.msgs,
	    r2.bytes[0] + r2.bytes[1], r2.moved, memcmp(d0, d1, 32) == 0 ? "equal" : "DIFFER");
	printf("  sync bytes beyond the %zu messages: %zu (%.1f per difference)\n", 2 * d, sync,
	    d ? (double)sync / (double)(2 * d) : 0.0);
	printf("  naive baseline (every id, %zu x 32): %zu bytes; ratio %.4f (target <= 0.02, "
	    "<= 10 round trips)\n", n, baseline, baseline ? (double)sync / (double)baseline : 0.0);
	printf("sync_bytes=%zu round_trips=%zu baseline_bytes=%zu ratio=%.5f moved=%zu "
	    "expected=%zu converged=%d\n", sync, rtt, baseline,
	    baseline ? (double)sync / (double)baseline : 0.0, r1.moved, 2 * d,
	    memcmp(d0, d1, 32) == 0 && r2.moved == 0);
	ret = memcmp(d0, d1, 32) == 0 ? 0 : EX_SOFTWARE;
out:
	for (k = 0; k < 2; k++) {
		store_close(&st[k]);
		bench_rmdir(dir[k]);
	}
	for (i = 0; i < NKEYS; i++)
		fc_key_free(&keys[i]);
	if (env != NULL)
		for (i = 0; i < total; i++)
			free(env[i]);
	free(env);
	free(len);
	free(idx);
	free(is_uniq);
	free(uniq);
	return ret;
}

const struct bench_cmd bench_reconcile = {
	"reconcile",
	"range-based reconciliation of two stores [-n shared] [-d unique-each] [--frame bytes] "
	"[--clustered]",
	reconcile_run,
};
