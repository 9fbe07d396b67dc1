/*
 * bench_throughput.c: `fenghuo-bench throughput`, how many new messages per second one node
 * takes in from a peer, stores and forwards, against the raw signature check rate measured
 * in the same run (issue #3, "Benchmarks").
 *
 * `throughput` runs tools/bench/throughput.sh, which sets up three real fenghuod processes
 * through tests/integration/lib.sh: A - B - C. Before A starts, `_tput-prefill` signs N
 * REPORTs by 32 authors and writes them into A's store directly (DESIGN decision 8: with no
 * daemon running, a writer may), and into a file for the probe. A and C start; `_tput-probe`
 * takes C's counters and measures raw verification of the N messages
 * (crypto_sign_verify_detached, the same messages, one core), then signals ready; the script
 * starts B, whose links come up with A and C. Reconciliation finds B lacking all N and A
 * pushes them (PUSH frames of up to 64 envelopes); B verifies, stores and forwards each to
 * C. The probe polls A (which only reads and sends, so it answers at once) every 5 ms until
 * it has sent B 16 KiB, most of a first PUSH frame: that is the start. Then it polls B's and
 * C's status every 20 ms until both hold all N (a busy node answers between loop passes; the
 * last pass ends with everything stored, so the end is late by at most a poll and a reply),
 * and measures raw verification again; the verify rate reported is the mean of the two.
 *
 * stored/s = N / (B holds N - start); forwarded/s = N / (C holds N - start). The three
 * daemons share the machine's cores (A reading its store, B, and C checking the same
 * signatures as B), as they would not in a deployment; the figures say what one node
 * sustains next to that load.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>
#include <zmq.h>

#include "bench.h"
#include "store.h"
#include "ingest.h"

#define TPUT_AUTHORS	32
#define TPUT_BATCH	1000
#define TPUT_START_BYTES	16384	/* most of one PUSH frame of 64 envelopes */

/* The message file: per message, author key (32), length (4, little-endian), envelope. */

static int
prefill_run(int argc, char **argv)
{
	struct fc_key *keys[TPUT_AUTHORS] = { NULL };
	struct ingest_put *puts = NULL;
	struct store *st = NULL;
	uint8_t **env = NULL, lb[4];
	size_t *len = NULL, n, i, j, m, nnew = 0;
	uint64_t created;
	FILE *f = NULL;
	int rc = 1, k;

	if (argc != 4 || (n = strtoul(argv[3], NULL, 10)) == 0) {
		fprintf(stderr, "usage: fenghuo-bench _tput-prefill state-dir file N\n");
		return EX_USAGE;
	}
	if (fc_init() != 0)
		return 1;
	for (k = 0; k < TPUT_AUTHORS; k++)
		if (fc_key_generate(&keys[k]) != 0)
			goto out;
	env = calloc(n, sizeof(*env));
	len = calloc(n, sizeof(*len));
	puts = calloc(TPUT_BATCH, sizeof(*puts));
	if (env == NULL || len == NULL || puts == NULL)
		goto out;
	/* Created over the last hour, 1 ms apart at most, distinct per message. */
	created = bench_wall_ms() - 3600000ull;
	for (i = 0; i < n; i++)
		if (bench_make_report(keys[i % TPUT_AUTHORS], i, created + i * 3600000ull / n +
		    (i % 7), &env[i], &len[i]) != 0)
			goto out;
	if ((f = fopen(argv[2], "wb")) == NULL) {
		perror(argv[2]);
		goto out;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < 4; j++)
			lb[j] = (uint8_t)(len[i] >> (8 * j));
		if (fwrite(fc_key_public(keys[i % TPUT_AUTHORS]), FC_PUBLICKEYBYTES, 1, f) != 1 ||
		    fwrite(lb, 4, 1, f) != 1 || fwrite(env[i], len[i], 1, f) != 1) {
			perror(argv[2]);
			goto out;
		}
	}
	if (fclose(f) != 0) {
		f = NULL;
		perror(argv[2]);
		goto out;
	}
	f = NULL;
	if ((rc = store_open(argv[1], 0, &st)) != 0) {
		fprintf(stderr, "_tput-prefill: store %s: %s\n", argv[1], store_strerror(rc));
		rc = 1;
		goto out;
	}
	rc = 1;
	for (i = 0; i < n; i += m) {
		m = n - i < TPUT_BATCH ? n - i : TPUT_BATCH;
		for (j = 0; j < m; j++) {
			memset(&puts[j], 0, sizeof(puts[j]));
			puts[j].env = env[i + j];
			puts[j].len = len[i + j];
		}
		if (ingest_put_open(st, puts, m, bench_wall_ms()) != 0)
			goto out;
		for (j = 0; j < m; j++)
			nnew += puts[j].status == INGEST_NEW;
	}
	if (nnew != n) {
		fprintf(stderr, "_tput-prefill: only %zu of %zu stored\n", nnew, n);
		goto out;
	}
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	store_close(&st);
	if (env != NULL)
		for (i = 0; i < n; i++)
			free(env[i]);
	free(env);
	free(len);
	free(puts);
	for (k = 0; k < TPUT_AUTHORS; k++)
		fc_key_free(&keys[k]);
	return rc;
}

struct rec {
	uint8_t		 pk[FC_PUBLICKEYBYTES];
	const uint8_t	*body, *sig;
	size_t		 bodylen;
};

static double
cpu_self(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * CPU seconds (user + system) the daemon on state dir `state` has used, from its pid file
 * and /proc; -1 if unknown. Resolution: one clock tick (10 ms).
 */
static double
cpu_of(const char *state)
{
	char path[4200], buf[1024], *p;
	unsigned long long ut, st;
	long pid;
	FILE *f;
	int i;
	size_t n;

	snprintf(path, sizeof(path), "%s/fenghuod.pid", state);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	i = fscanf(f, "%ld", &pid);
	fclose(f);
	if (i != 1)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	p += 2;
	for (i = 3; i < 14 && p != NULL; i++)
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	if (p == NULL || sscanf(p, "%llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Raw checks of all n: per second of wall time, and (*cpu_rate) per CPU second. */
static double
verify_rate(const struct rec *r, size_t n, double *cpu_rate)
{
	uint64_t t0 = bench_mono_ns(), dt;
	double c0 = cpu_self(), dc;
	size_t i, bad = 0;

	for (i = 0; i < n; i++)
		bad += crypto_sign_verify_detached(r[i].sig, r[i].body, r[i].bodylen, r[i].pk) != 0;
	dt = bench_mono_ns() - t0;
	dc = cpu_self() - c0;
	if (bad != 0)
		fprintf(stderr, "_tput-probe: %zu signatures did not verify\n", bad);
	*cpu_rate = dc > 0 ? (double)n / dc : 0.0;
	return dt ? (double)n * 1e9 / (double)dt : 0.0;
}

static int
stored_of(void *sock, int64_t *stored, int64_t *verified, int64_t *dups)
{
	json_t *j;

	if ((j = bench_ctl_call(sock, "status", 10000)) == NULL)
		return -1;
	*stored = bench_json_int(j, "stored");
	if (verified != NULL)
		*verified = bench_json_int(j, "verified");
	if (dups != NULL)
		*dups = bench_json_int(j, "duplicates");
	json_decref(j);
	return 0;
}

/* Bytes A has sent to its peer named "B" (lib.sh names [peer] sections after nodes). */
static int
bytes_to_b(void *sock, int64_t *bytes)
{
	json_t *j, *p;
	const char *name;
	size_t i;

	if ((j = bench_ctl_call(sock, "peers", 10000)) == NULL)
		return -1;
	*bytes = 0;
	json_array_foreach(json_object_get(j, "peers"), i, p) {
		name = json_string_value(json_object_get(p, "name"));
		if (name != NULL && strcmp(name, "B") == 0)
			*bytes += bench_json_int(p, "bytes_out");
	}
	json_decref(j);
	return 0;
}

static int
probe_run(int argc, char **argv)
{
	struct rec *r = NULL;
	uint8_t *data = NULL;
	size_t n = 0, cap = 0, off, size, len, siglen;
	long fsz;
	FILE *f = NULL, *rf;
	void *zctx = NULL, *sa = NULL, *sb = NULL, *sc = NULL;
	int64_t c0, bs, cs, bver, bdup, abytes = 0;
	uint64_t t_start = 0, t_b = 0, t_c = 0, now, deadline;
	double v1, v2, vr, sr, fr, vc1, vc2, vc, b_cpu0 = -1, b_cpu = -1, c_cpu0, c_cpu = -1;
	int rc = 1;

	if (argc != 6) {
		fprintf(stderr, "usage: fenghuo-bench _tput-probe file A-state B-state C-state "
		    "ready-file\n");
		return EX_USAGE;
	}
	if (fc_init() != 0)
		return 1;
	if ((f = fopen(argv[1], "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (fsz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (data = malloc((size_t)fsz + 1)) == NULL ||
	    fread(data, 1, (size_t)fsz, f) != (size_t)fsz) {
		perror(argv[1]);
		goto out;
	}
	size = (size_t)fsz;
	for (off = 0; off + FC_PUBLICKEYBYTES + 4 <= size; off += FC_PUBLICKEYBYTES + 4 + len) {
		const uint8_t *p = data + off + FC_PUBLICKEYBYTES;

		len = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
		if (len > size - off - FC_PUBLICKEYBYTES - 4)
			break;
		if (n == cap) {
			struct rec *nr;

			cap = cap ? cap * 2 : 4096;
			if ((nr = reallocarray(r, cap, sizeof(*r))) == NULL)
				goto out;
			r = nr;
		}
		memcpy(r[n].pk, data + off, FC_PUBLICKEYBYTES);
		if (fc_envelope_split(p + 4, len, &r[n].body, &r[n].bodylen, &r[n].sig,
		    &siglen) != 0 || siglen != FC_SIGBYTES) {
			fprintf(stderr, "_tput-probe: bad record %zu\n", n);
			goto out;
		}
		n++;
	}
	if (n == 0)
		goto out;
	if ((zctx = zmq_ctx_new()) == NULL || (sa = bench_ctl_open(zctx, argv[2])) == NULL ||
	    (sb = bench_ctl_open(zctx, argv[3])) == NULL ||
	    (sc = bench_ctl_open(zctx, argv[4])) == NULL ||
	    bytes_to_b(sa, &abytes) != 0 || stored_of(sc, &c0, NULL, NULL) != 0) {
		fprintf(stderr, "_tput-probe: A or C does not answer\n");
		goto out;
	}
	v1 = verify_rate(r, n, &vc1);
	if ((rf = fopen(argv[5], "w")) == NULL) {
		perror(argv[5]);
		goto out;
	}
	fclose(rf);

	/*
	 * B starts now (the script). A busy node answers status only between loop passes (up
	 * to 4096 messages each), so the start is taken from A, which only reads and sends:
	 * the first poll that finds a full PUSH frame's worth of bytes sent to B.
	 */
	deadline = bench_mono_ns() + 180ull * 1000000000u;
	while (abytes < TPUT_START_BYTES) {
		if (bytes_to_b(sa, &abytes) != 0)
			goto out;
		t_start = bench_mono_ns();
		if (t_start > deadline) {
			fprintf(stderr, "_tput-probe: A sent B nothing in 180 s\n");
			goto out;
		}
		if (abytes < TPUT_START_BYTES)
			zmq_poll(NULL, 0, 5);
	}
	b_cpu0 = cpu_of(argv[3]);
	c_cpu0 = cpu_of(argv[4]);
	bs = 0;
	cs = c0;
	while (t_b == 0 || t_c == 0) {
		if (stored_of(sb, &bs, NULL, NULL) != 0 || stored_of(sc, &cs, NULL, NULL) != 0)
			goto out;
		now = bench_mono_ns();
		if (t_b == 0 && bs >= (int64_t)n) {
			t_b = now;
			b_cpu = cpu_of(argv[3]) - b_cpu0;
		}
		if (t_c == 0 && cs - c0 >= (int64_t)n) {
			t_c = now;
			c_cpu = cpu_of(argv[4]) - c_cpu0;
		}
		if (now > deadline) {
			fprintf(stderr, "_tput-probe: after 180 s B stored %lld, C %lld of %zu\n",
			    (long long)bs, (long long)(cs - c0), n);
			goto out;
		}
		zmq_poll(NULL, 0, 20);
	}
	if (stored_of(sb, &bs, &bver, &bdup) != 0)
		goto out;
	v2 = verify_rate(r, n, &vc2);
	vr = (v1 + v2) / 2;
	vc = (vc1 + vc2) / 2;
	sr = (double)n * 1e9 / (double)(t_b - t_start);
	fr = (double)n * 1e9 / (double)(t_c - t_start);
	printf("throughput: %zu messages by %d authors (mean envelope %.0f bytes) from A to B, "
	    "forwarded to C\n", n, TPUT_AUTHORS, (double)(size - n * (FC_PUBLICKEYBYTES + 4)) /
	    (double)n);
	printf("throughput: raw verify %.0f/s before, %.0f/s after (one core, same messages)\n",
	    v1, v2);
	printf("throughput: B stored all %.2f s after A had sent it 16 KiB: %.0f/s (%lld signature checks, %lld "
	    "duplicates); C had all %.2f s after the start: %.0f/s\n",
	    (double)(t_b - t_start) / 1e9, sr, (long long)bver, (long long)bdup, (double)(t_c - t_start) / 1e9, fr);
	printf("throughput: stored/verify %.2f, forwarded/verify %.2f (wall clock)\n", sr / vr,
	    fr / vr);
	printf("throughput: CPU time: verify %.0f per CPU second; B used %.2f CPU s for the "
	    "stream (%.0f stored per CPU second, %.2f of verify), C %.2f CPU s\n", vc, b_cpu,
	    b_cpu > 0 ? (double)n / b_cpu : 0.0, b_cpu > 0 ? (double)n / b_cpu / vc : 0.0,
	    c_cpu);
	printf("verify_per_s=%.0f stored_per_s=%.0f forwarded_per_s=%.0f ratio=%.2f "
	    "forward_ratio=%.2f cpu_ratio=%.2f n=%zu\n", vr, sr, fr, sr / vr, fr / vr,
	    b_cpu > 0 ? (double)n / b_cpu / vc : 0.0, n);
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	if (sa != NULL)
		zmq_close(sa);
	if (sb != NULL)
		zmq_close(sb);
	if (sc != NULL)
		zmq_close(sc);
	if (zctx != NULL)
		zmq_ctx_term(zctx);
	free(r);
	free(data);
	return rc;
}

static int
tput_run(int argc, char **argv)
{
	return bench_run_script("throughput.sh", argc, argv);
}

const struct bench_cmd bench_throughput = {
	"throughput",
	"fenghuod B takes a stream from peer A, forwards to C: stored/s against raw "
	    "verify/s [-n messages]",
	tput_run,
};

const struct bench_cmd bench_tput_prefill = {
	"_tput-prefill",
	"(used by throughput) sign N messages into a store and a file: state-dir file N",
	prefill_run,
};

const struct bench_cmd bench_tput_probe = {
	"_tput-probe",
	"(used by throughput) time B and C: file B-state C-state ready-file",
	probe_run,
};
