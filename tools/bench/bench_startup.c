/*
 * bench_startup.c: `fenghuo-bench startup`, what a large store costs fenghuod at start-up:
 * the time from exec to the end of start-up (trust state loaded from CERT/REVOKE, peer
 * exchange from ANNOUNCE, warnings still to confirm), and the resident memory then.
 *
 * The shell half (startup.sh) starts one fenghuod through tests/integration/lib.sh, first on
 * an empty store (the baseline, measured in the same run on the same machine), then on the
 * same state directory after `_startup-fill` has stored N REPORTs, a few WARNINGs among them,
 * directly (DESIGN decision 8: with no daemon running, a writer may). Each start is timed by
 * `_startup-probe`: it notes where the daemon's log ends, the script records the wall clock
 * and starts the daemon, and the probe polls the log every millisecond for the line that
 * ends start-up ("... started: ..."), takes the wall clock, and reads the daemon's VmRSS,
 * VmHWM, RssAnon (its own memory) and RssFile (pages of mapped files, data.mdb among them:
 * page cache the kernel may drop at any time) from /proc. Figures are ratios against the
 * baseline, as well as absolute.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "bench.h"
#include "store.h"
#include "ingest.h"

#define STARTUP_AUTHORS		32
#define STARTUP_BATCH		1000
#define STARTUP_PROBE_S		120	/* give up on a start-up after this long */

/* A red warning for area 510722, in force for a day. */
static int
make_warning(const struct fc_key *key, uint64_t created_ms, uint8_t **env, size_t *len)
{
	Fenghuo__Body	 b = FENGHUO__BODY__INIT;
	Fenghuo__Warning w = FENGHUO__WARNING__INIT;
	static char	*area[] = { (char *)(uintptr_t)"510722" };
	uint8_t		 buf[1024];
	size_t		 blen;

	w.has_msg_type = w.has_urgency = w.has_severity = w.has_certainty = 1;
	w.msg_type = FENGHUO__MSG_TYPE__ALERT;
	w.urgency = FENGHUO__URGENCY__IMMEDIATE;
	w.severity = (Fenghuo__Severity)wire_level_severity(FENGHUO__LEVEL__RED);
	w.certainty = FENGHUO__CERTAINTY__OBSERVED;
	w.n_area = 1;
	w.area = area;
	w.has_level = 1;
	w.level = FENGHUO__LEVEL__RED;
	b.has_version = 1;
	b.version = WIRE_BODY_VERSION;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__WARNING;
	b.has_author = 1;
	b.author.data = (uint8_t *)(uintptr_t)fc_key_public(key);
	b.author.len = FC_PUBLICKEYBYTES;
	b.has_created_ms = 1;
	b.created_ms = created_ms;
	b.has_expires_ms = 1;
	b.expires_ms = created_ms + 24 * 3600 * 1000ull;
	b.region = (char *)(uintptr_t)"510722";
	b.category = (char *)(uintptr_t)"Met";
	b.title = (char *)(uintptr_t)"暴雨红色预警";
	b.event = (char *)(uintptr_t)"暴雨";
	b.warning = &w;
	if ((blen = fenghuo__body__get_packed_size(&b)) > sizeof(buf))
		return -1;
	fenghuo__body__pack(&b, buf);
	return fc_envelope_seal(key, buf, blen, env, len) == 0 ? 0 : -1;
}

/* A DELIVERED receipt of warning ref, as a village node signs it (i varies the village). */
static int
make_receipt(const struct fc_key *key, size_t i, uint64_t created_ms,
    const uint8_t ref[FC_IDBYTES], uint8_t **env, size_t *len)
{
	char region[16];

	snprintf(region, sizeof(region), "510722%03zu%03zu", 100 + i % 17, 200 + i % 23);
	return bench_make_receipt(key, ref, region, created_ms, NULL, 0, 0, 0, env, len, NULL);
}

/*
 * _startup-fill STATE N EVERY RECEIPTS: sign and store N messages, a batch at a time: one in
 * EVERY a warning (0: none), each followed by RECEIPTS delivery receipts of other nodes
 * (fewer than EVERY / 2), the rest reports.
 */
static int
fill_run(int argc, char **argv)
{
	struct fc_key *keys[STARTUP_AUTHORS] = { NULL };
	struct ingest_put puts[STARTUP_BATCH];
	struct store *st = NULL;
	uint8_t *env[STARTUP_BATCH] = { NULL };
	size_t len[STARTUP_BATCH], n, i, j, m, nnew = 0, every, nrcpt, pos;
	uint8_t warning[FC_IDBYTES];
	uint64_t created;
	int rc = 1, k;

	if (argc != 5 || (n = strtoul(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: fenghuo-bench _startup-fill state-dir N every receipts\n");
		return EX_USAGE;
	}
	every = strtoul(argv[3], NULL, 10);
	nrcpt = strtoul(argv[4], NULL, 10);
	if (every != 0 && nrcpt >= every / 2) {
		fprintf(stderr, "_startup-fill: receipts must be fewer than every / 2\n");
		return EX_USAGE;
	}
	memset(warning, 0, sizeof(warning));
	if (fc_init() != 0)
		return 1;
	for (k = 0; k < STARTUP_AUTHORS; k++)
		if (fc_key_generate(&keys[k]) != 0)
			goto out;
	if ((rc = store_open(argv[1], 0, &st)) != 0) {
		fprintf(stderr, "_startup-fill: store %s: %s\n", argv[1], store_strerror(rc));
		rc = 1;
		goto out;
	}
	rc = 1;
	/* Created over the last 20 hours, distinct per message, in time order. */
	created = bench_wall_ms() - 20 * 3600000ull;
	for (i = 0; i < n; i += m) {
		m = n - i < STARTUP_BATCH ? n - i : STARTUP_BATCH;
		for (j = 0; j < m; j++) {
			const struct fc_key *key = keys[(i + j) % STARTUP_AUTHORS];
			uint64_t t = created + (i + j) * (20 * 3600000ull) / n + (i + j) % 7;

			pos = every != 0 ? (i + j) % every : 0;
			if (every != 0 && pos == every / 2) {
				if (make_warning(key, t, &env[j], &len[j]) != 0 ||
				    fc_envelope_id(env[j], len[j], warning) != 0)
					goto out;
			} else if (every != 0 && pos > every / 2 && pos - every / 2 <= nrcpt) {
				if (make_receipt(key, i + j, t, warning, &env[j], &len[j]) != 0)
					goto out;
			} else if (bench_make_report(key, i + j, t, &env[j], &len[j]) != 0)
				goto out;
			memset(&puts[j], 0, sizeof(puts[j]));
			puts[j].env = env[j];
			puts[j].len = len[j];
		}
		if ((rc = ingest_put_open(st, puts, m, bench_wall_ms())) != 0) {
			fprintf(stderr, "_startup-fill: %s\n", store_strerror(rc));
			rc = 1;
			goto out;
		}
		rc = 1;
		for (j = 0; j < m; j++) {
			nnew += puts[j].status == INGEST_NEW;
			free(env[j]);
			env[j] = NULL;
		}
	}
	if (nnew != n) {
		fprintf(stderr, "_startup-fill: only %zu of %zu stored\n", nnew, n);
		goto out;
	}
	rc = 0;
out:
	store_close(&st);
	for (j = 0; j < STARTUP_BATCH; j++)
		free(env[j]);
	for (k = 0; k < STARTUP_AUTHORS; k++)
		fc_key_free(&keys[k]);
	return rc;
}

static uint64_t
wall_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* 1 if the file at path holds the start-up line after offset, 0 if not (yet). */
static int
log_started(const char *path, long offset)
{
	char	 line[2048];
	FILE	*f;
	int	 found = 0;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fseek(f, offset, SEEK_SET) == 0)
		while (!found && fgets(line, sizeof(line), f) != NULL)
			found = strstr(line, " started: ") != NULL &&
			    strstr(line, "node ") != NULL;
	fclose(f);
	return found;
}

/* A "Vm...:  N kB" field of /proc/pid/status in kB, or 0. */
static unsigned long
proc_kb(long pid, const char *field)
{
	char	 path[64], line[256];
	size_t	 flen = strlen(field);
	unsigned long kb = 0;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			kb = strtoul(line + flen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

/*
 * _startup-probe LOG STATE ARMED T0-FILE: note the log's end, create ARMED, wait for the
 * script to write the wall clock of the start (ns) into T0-FILE, then poll the log for the
 * start-up line; print "ms rss_kb hwm_kb anon_kb file_kb".
 */
static int
probe_run(int argc, char **argv)
{
	char		 path[4200];
	unsigned long long t0 = 0;
	uint64_t	 t1, give_up;
	long		 offset = 0, pid = 0;
	FILE		*f;

	if (argc != 5) {
		fprintf(stderr, "usage: fenghuo-bench _startup-probe log state armed t0-file\n");
		return EX_USAGE;
	}
	if ((f = fopen(argv[1], "r")) != NULL) {
		if (fseek(f, 0, SEEK_END) == 0)
			offset = ftell(f);
		fclose(f);
	}
	if ((f = fopen(argv[3], "w")) == NULL || fclose(f) != 0) {
		perror(argv[3]);
		return 1;
	}
	give_up = wall_ns() + STARTUP_PROBE_S * 1000000000ull;
	for (;;) {
		t1 = wall_ns();
		if (log_started(argv[1], offset))
			break;
		if (t1 > give_up) {
			fprintf(stderr, "_startup-probe: no start-up line in %s\n", argv[1]);
			return 1;
		}
		usleep(1000);
	}
	/* The pid file is written before start-up ends. */
	snprintf(path, sizeof(path), "%s/fenghuod.pid", argv[2]);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	if ((f = fopen(argv[4], "r")) != NULL) {
		if (fscanf(f, "%llu", &t0) != 1)
			t0 = 0;
		fclose(f);
	}
	if (pid <= 0 || t0 == 0 || t0 > t1) {
		fprintf(stderr, "_startup-probe: no pid file or start time\n");
		return 1;
	}
	printf("%.1f %lu %lu %lu %lu\n", (double)(t1 - t0) / 1e6, proc_kb(pid, "VmRSS"),
	    proc_kb(pid, "VmHWM"), proc_kb(pid, "RssAnon"), proc_kb(pid, "RssFile"));
	return 0;
}

static int
startup_run(int argc, char **argv)
{
	return bench_run_script("startup.sh", argc, argv);
}

const struct bench_cmd bench_startup = {
	"startup",
	"fenghuod start-up time and RSS on a store of N messages against an empty store "
	    "[-n messages] [-w one-warning-in] [-R receipts-each] [-r runs] [-s store-dir]",
	startup_run,
};

const struct bench_cmd bench_startup_fill = {
	"_startup-fill",
	"(used by startup) sign and store N messages: state-dir N one-warning-in receipts-each",
	fill_run,
};

const struct bench_cmd bench_startup_probe = {
	"_startup-probe",
	"(used by startup) time one start-up: log state armed-file t0-file",
	probe_run,
};
