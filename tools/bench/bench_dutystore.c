/*
 * bench_dutystore.c: `fenghuo-bench duty-store [-n N] [-r REPORTS] [-s SEED] STATE`, a county's year of
 * messages written into the state directory STATE (its anchors file and its store), for the
 * duty board's benchmark (board.sh) and the duty list's tests (tests/cli/dutystore.sh).
 *
 * What a county of 110 village nodes in 10 townships holds after a year, N messages in all
 * (default 100,000): the certificates of its trust chain (root -> county office: admin,
 * issuer, verifier -> township verifiers, village nodes with node and reporter roles); warnings
 * of the office, each followed by the DELIVERED receipts of most of the county's nodes (that
 * is most of the store); reports of the villages spread over the year, those of past weeks
 * closed by their township's verifier (registered, verified, handling, closed), a few dozen
 * of this week (REPORTS, default 40) at every stage, most of them still open; a handful of warnings in force (one superseded by
 * an update, one cancelled, one exercise), hundreds expired. Everything is signed, judged by
 * the trust policy and stored through ingest as a peer's would be, each batch at the clock of
 * its arrival (so that an expired warning was valid when it came), with deterministic keys
 * and contents for a SEED; times are relative to now. With -n 0, the certificates alone.
 *
 * It prints what the duty list must say of the store, a line each, then a summary line:
 *   open ID REGION           an actual report whose loop is still open
 *   drill-report ID REGION   an exercise report (listed apart)
 *   warning ID C R AREA      a warning in force over AREA, confirmed by C of the R nodes
 *                            of its roster
 *   drill-warning ID C R AREA  an exercise warning (listed apart), the same
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <sodium.h>

#include "bench.h"
#include "store.h"
#include "ingest.h"

#define DS_TOWNSHIPS	10
#define DS_VILLAGES	11	/* per township: 110 nodes */
#define DS_NODES	(DS_TOWNSHIPS * DS_VILLAGES)
#define DS_COUNTY	"330110"
#define DS_DAY_MS	(24ULL * 3600 * 1000)
#define DS_HOUR_MS	(3600ULL * 1000)
#define DS_YEAR_DAYS	360	/* within validation's one year for official messages */
#define DS_BATCH	1000
#define DS_BATCH_SPAN_MS (10ULL * 60 * 1000)	/* a batch: what arrived within 10 minutes */

struct ds_msg {
	uint64_t	 arrival;
	size_t		 seq;		/* generation order: ties keep it */
	uint8_t		*env;
	size_t		 len;
};

struct ds {
	uint64_t	 rng;
	uint64_t	 now, t0;
	struct fc_key	*root, *office, *verifier[DS_TOWNSHIPS], *node[DS_NODES];
	char		 township[DS_TOWNSHIPS][16], village[DS_NODES][24];
	struct ds_msg	*msgs;
	size_t		 n, cap;
	size_t		 warnings, receipts, reports, certs;
	FILE		*out;
	size_t		 nweek;		/* reports of this week */
	int		 err;
};

/* splitmix64: the same sequence for the same seed on every machine. */
static uint64_t
ds_rand(struct ds *d)
{
	uint64_t z = (d->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
ds_range(struct ds *d, uint64_t lo, uint64_t hi)
{
	return hi > lo ? lo + ds_rand(d) % (hi - lo) : lo;
}

static struct fc_key *
ds_key(uint64_t seed, const char *label, size_t i)
{
	uint8_t in[64], s[FC_SEEDBYTES];
	struct fc_key *k;
	int n;

	n = snprintf((char *)in, sizeof(in), "%llu/%s/%zu", (unsigned long long)seed, label, i);
	crypto_generichash(s, sizeof(s), in, (size_t)n, NULL, 0);
	if (fc_key_from_seed(s, &k) != 0)
		return NULL;
	sodium_memzero(s, sizeof(s));
	return k;
}

/* Keep a signed message (taking env) that arrives at arrival. */
static void
ds_keep(struct ds *d, uint8_t *env, size_t len, uint64_t arrival)
{
	struct ds_msg *m;
	size_t cap;

	if (d->n == d->cap) {
		cap = d->cap == 0 ? 1024 : d->cap * 2;
		if ((m = reallocarray(d->msgs, cap, sizeof(*m))) == NULL) {
			free(env);
			d->err = 1;
			return;
		}
		d->msgs = m;
		d->cap = cap;
	}
	m = &d->msgs[d->n];
	m->arrival = arrival;
	m->seq = d->n++;
	m->env = env;
	m->len = len;
}

/* Seal b by key, keep it, and its id in id (if not NULL). */
static void
ds_seal(struct ds *d, const struct fc_key *key, Fenghuo__Body *b, uint64_t created,
    uint64_t arrival, uint8_t *id)
{
	uint8_t *env;
	size_t len;

	if (d->err)
		return;
	if (bench_seal_body(key, b, created, &env, &len, NULL) != 0) {
		d->err = 1;
		return;
	}
	if (id != NULL && fc_envelope_id(env, len, id) != 0)
		d->err = 1;
	ds_keep(d, env, len, arrival);
}

static void
ds_cert(struct ds *d, const struct fc_key *by, const struct fc_key *subject,
    Fenghuo__Role *roles, size_t nroles, const char *scope, const char *name, uint64_t t)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Cert c = FENGHUO__CERT__INIT;

	c.has_subject = 1;
	c.subject.data = (uint8_t *)(uintptr_t)fc_key_public(subject);
	c.subject.len = FC_PUBLICKEYBYTES;
	c.n_roles = nroles;
	c.roles = roles;
	c.scope = (char *)(uintptr_t)scope;
	c.has_not_before_ms = c.has_not_after_ms = 1;
	c.not_before_ms = t;
	c.not_after_ms = d->now + 400 * DS_DAY_MS;
	c.name = (char *)(uintptr_t)name;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__CERT;
	b.region = (char *)(uintptr_t)scope;
	b.cert = &c;
	ds_seal(d, by, &b, t, t + 1000, NULL);
	d->certs++;
}

static void
ds_certs(struct ds *d)
{
	static Fenghuo__Role office[] = { FENGHUO__ROLE__ADMIN, FENGHUO__ROLE__ISSUER,
	    FENGHUO__ROLE__VERIFIER };
	static Fenghuo__Role verifier[] = { FENGHUO__ROLE__VERIFIER };
	static Fenghuo__Role node[] = { FENGHUO__ROLE__NODE, FENGHUO__ROLE__REPORTER };
	char name[32];
	size_t i;

	ds_cert(d, d->root, d->office, office, 3, DS_COUNTY, "县应急管理局", d->t0);
	for (i = 0; i < DS_TOWNSHIPS; i++) {
		snprintf(name, sizeof(name), "乡镇%zu", i + 1);
		ds_cert(d, d->office, d->verifier[i], verifier, 1, d->township[i], name,
		    d->t0 + DS_HOUR_MS);
	}
	for (i = 0; i < DS_NODES; i++) {
		snprintf(name, sizeof(name), "村%zu", i + 1);
		ds_cert(d, d->office, d->node[i], node, 2, d->village[i], name,
		    d->t0 + DS_HOUR_MS);
	}
}

/*
 * A warning of the office over area (its refs: ref, for an update or cancel), from created
 * for life, then the DELIVERED receipts of the nodes of nodes[0..nn) that confirm it (all
 * of them when skip is 0, else all but every skip-th). The confirmations it counts.
 */
static size_t
ds_warning(struct ds *d, const char *area, int level, int type, const uint8_t *ref,
    int status, uint64_t created, uint64_t life, size_t first, size_t nn, size_t skip,
    uint8_t *id)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Warning w = FENGHUO__WARNING__INIT;
	ProtobufCBinaryData refs;
	static const char *const titles[] = { "暴雨蓝色预警", "暴雨黄色预警", "暴雨橙色预警",
	    "暴雨红色预警" };
	char *areas[1] = { (char *)(uintptr_t)area };
	uint8_t *env;
	size_t i, len, confirmed = 0;
	uint64_t t;

	w.has_msg_type = w.has_urgency = w.has_severity = w.has_certainty = w.has_level = 1;
	w.msg_type = (Fenghuo__MsgType)type;
	w.urgency = FENGHUO__URGENCY__IMMEDIATE;
	w.level = (Fenghuo__Level)level;
	w.severity = (Fenghuo__Severity)wire_level_severity(level);
	w.certainty = FENGHUO__CERTAINTY__LIKELY;
	w.n_area = 1;
	w.area = areas;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__WARNING;
	b.region = (char *)(uintptr_t)DS_COUNTY;
	b.has_expires_ms = 1;
	b.expires_ms = created + life;
	b.category = (char *)(uintptr_t)"Met";
	b.event = (char *)(uintptr_t)"暴雨";
	b.title = (char *)(uintptr_t)titles[level - 1];
	if (ref != NULL) {
		refs.data = (uint8_t *)(uintptr_t)ref;
		refs.len = FC_IDBYTES;
		b.n_refs = 1;
		b.refs = &refs;
	}
	if (status != 0) {
		b.has_status = 1;
		b.status = (Fenghuo__Status)status;
	}
	b.warning = &w;
	ds_seal(d, d->office, &b, created, created + 2000, id);
	d->warnings++;
	for (i = 0; i < nn && !d->err; i++) {
		if (skip != 0 && i % skip == skip - 1)
			continue;
		t = created + ds_range(d, 5000, 300000);
		if (bench_make_receipt(d->node[first + i], id, DS_COUNTY, t, NULL, 0, 0, 0, &env,
		    &len, NULL) != 0) {
			d->err = 1;
			break;
		}
		ds_keep(d, env, len, t + 1000);
		d->receipts++;
		confirmed++;
	}
	return confirmed;
}

/* A closed-loop receipt of report ref at stage, by key, naming region. */
static void
ds_loop(struct ds *d, const struct fc_key *key, const uint8_t *ref, const char *region,
    int stage, uint64_t t)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Receipt r = FENGHUO__RECEIPT__INIT;
	ProtobufCBinaryData refs;

	r.has_stage = 1;
	r.stage = (Fenghuo__Stage)stage;
	refs.data = (uint8_t *)(uintptr_t)ref;
	refs.len = FC_IDBYTES;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__RECEIPT;
	b.region = (char *)(uintptr_t)region;
	b.n_refs = 1;
	b.refs = &refs;
	b.receipt = &r;
	ds_seal(d, key, &b, t, t + 1000, NULL);
	d->receipts++;
}

/*
 * Report number i of village v, written at created, its loop moved by its township's
 * verifier up to stage `reached` (0: unregistered), a stage every few hours.
 */
static void
ds_report(struct ds *d, size_t i, size_t v, int status, uint64_t created, int reached)
{
	uint8_t id[FC_IDBYTES], *env;
	char hex[FC_IDHEX];
	size_t len;
	uint64_t t = created;
	int st;

	if (d->err)
		return;
	if (bench_make_report_in(d->node[v], i, d->village[v], status, created, &env,
	    &len) != 0 || fc_envelope_id(env, len, id) != 0) {
		d->err = 1;
		return;
	}
	ds_keep(d, env, len, created + ds_range(d, 1000, 120000));
	d->reports++;
	for (st = FENGHUO__STAGE__REGISTERED; st <= reached; st++) {
		t += ds_range(d, 5 * 60000, 4 * DS_HOUR_MS);
		if (t >= d->now - 60000)
			t = d->now - 60000 - (uint64_t)(FENGHUO__STAGE__CLOSED - st) * 1000;
		ds_loop(d, d->verifier[v / DS_VILLAGES], id, d->village[v], st, t);
	}
	if (reached < FENGHUO__STAGE__CLOSED)
		fprintf(d->out, "%s %s %s\n", status != 0 ? "drill-report" : "open",
		    fc_hex(id, FC_IDBYTES, hex), d->village[v]);
}

static void
ds_inforce(struct ds *d, const char *what, const uint8_t *id, size_t confirmed,
    size_t roster, const char *area)
{
	char hex[FC_IDHEX];

	fprintf(d->out, "%s %s %zu %zu %s\n", what, fc_hex(id, FC_IDBYTES, hex), confirmed,
	    roster, area);
}

/*
 * The year. Reports spread over it (closed unless of this week), warnings every few days
 * (expired), and this week's: open reports at each stage, the warnings in force.
 */
static void
ds_year(struct ds *d, size_t n)
{
	uint8_t id[FC_IDBYTES], id2[FC_IDBYTES];
	size_t nreports, nwarnings, i, per, c;
	uint64_t t, week = d->now - 7 * DS_DAY_MS, span;
	int reached;

	/* About an eighth of the store is reports and their loops (five messages each). */
	nreports = n / 40 > d->nweek + 20 ? n / 40 : d->nweek + 20;
	per = 1 + DS_NODES - DS_NODES / 30;	/* a warning and its receipts */
	nwarnings = n > d->certs + nreports * 5 + 6 * per ?
	    (n - d->certs - nreports * 5) / per : 10;
	if (nwarnings < 10)
		nwarnings = 10;
	/* Reports: the last nweek in this week, the others before it (closed). */
	span = week - 3 * DS_HOUR_MS - (d->t0 + DS_DAY_MS);
	for (i = 0; i < nreports && !d->err; i++) {
		if (i + d->nweek < nreports) {
			t = d->t0 + DS_DAY_MS + span / nreports * i + ds_range(d, 0, DS_HOUR_MS);
			reached = FENGHUO__STAGE__CLOSED;
		} else {
			/* This week, away from its bounds: none crosses them while tests run. */
			t = week + 3 * DS_HOUR_MS + ds_range(d, 0, 7 * DS_DAY_MS - 5 * DS_HOUR_MS);
			reached = (int)(nreports - i) % 6;	/* 0: unregistered .. 5: closed */
		}
		ds_report(d, i, (size_t)ds_range(d, 0, DS_NODES),
		    i + 1 == nreports ? FENGHUO__STATUS__EXERCISE : 0, t, reached);
	}
	/* Warnings of the past, expired: county-wide, a node in thirty misses each. */
	span = d->now - 2 * DS_DAY_MS - (d->t0 + DS_DAY_MS);
	for (i = 0; i + 6 < nwarnings && !d->err; i++) {
		t = d->t0 + DS_DAY_MS + span / nwarnings * i + ds_range(d, 0, DS_HOUR_MS);
		(void)ds_warning(d, DS_COUNTY, 1 + (int)(i % 4), FENGHUO__MSG_TYPE__ALERT, NULL, 0,
		    t, ds_range(d, 6 * DS_HOUR_MS, 36 * DS_HOUR_MS), 0, DS_NODES, 30, id);
		/* Now and then one cancelled before it expired (a cancel has receipts too). */
		if (i % 50 == 7)
			(void)ds_warning(d, DS_COUNTY, 1 + (int)(i % 4),
			    FENGHUO__MSG_TYPE__CANCEL, id, 0, t + 2 * DS_HOUR_MS, 4 * DS_HOUR_MS, 0,
			    DS_NODES, 30, id2);
	}
	/* In force now: county-wide red, 100 of 110 confirmed. */
	t = d->now - 20 * DS_HOUR_MS;
	c = ds_warning(d, DS_COUNTY, 4, FENGHUO__MSG_TYPE__ALERT, NULL, 0, t, 48 * DS_HOUR_MS, 0,
	    DS_NODES, 11, id);
	ds_inforce(d, "warning", id, c, DS_NODES, DS_COUNTY);
	/* A township's orange one, all of its 11 nodes confirmed. */
	c = ds_warning(d, d->township[3], 3, FENGHUO__MSG_TYPE__ALERT, NULL, 0, t + DS_HOUR_MS,
	    40 * DS_HOUR_MS, 3 * DS_VILLAGES, DS_VILLAGES, 0, id);
	ds_inforce(d, "warning", id, c, DS_VILLAGES, d->township[3]);
	/* A yellow one superseded by an update, which is in force. */
	(void)ds_warning(d, DS_COUNTY, 2, FENGHUO__MSG_TYPE__ALERT, NULL, 0, t + 2 * DS_HOUR_MS,
	    40 * DS_HOUR_MS, 0, DS_NODES, 30, id);
	c = ds_warning(d, DS_COUNTY, 3, FENGHUO__MSG_TYPE__UPDATE, id, 0, t + 5 * DS_HOUR_MS,
	    40 * DS_HOUR_MS, 0, DS_NODES, 9, id2);
	ds_inforce(d, "warning", id2, c, DS_NODES, DS_COUNTY);
	/* A blue one cancelled. */
	(void)ds_warning(d, DS_COUNTY, 1, FENGHUO__MSG_TYPE__ALERT, NULL, 0, t + 6 * DS_HOUR_MS,
	    40 * DS_HOUR_MS, 0, DS_NODES, 30, id);
	(void)ds_warning(d, DS_COUNTY, 1, FENGHUO__MSG_TYPE__CANCEL, id, 0, t + 8 * DS_HOUR_MS,
	    40 * DS_HOUR_MS, 0, DS_NODES, 30, id2);
	/* An exercise: listed apart, never in force. */
	c = ds_warning(d, DS_COUNTY, 4, FENGHUO__MSG_TYPE__ALERT, NULL,
	    FENGHUO__STATUS__EXERCISE, t + 9 * DS_HOUR_MS, 40 * DS_HOUR_MS, 0, DS_NODES, 30, id);
	ds_inforce(d, "drill-warning", id, c, DS_NODES, DS_COUNTY);
}

static int
ds_cmp(const void *a, const void *b)
{
	const struct ds_msg *x = a, *y = b;

	if (x->arrival != y->arrival)
		return x->arrival < y->arrival ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Store everything in arrival order, each batch at the clock of its last arrival. */
static int
ds_store(struct ds *d, const char *state)
{
	struct ingest_put puts[DS_BATCH];
	struct ingest_conf c;
	struct ingest *ig = NULL;
	struct store *st = NULL;
	uint8_t peer[FC_PUBLICKEYBYTES];
	char err[256];
	size_t i, j, m, stored = 0;
	int rc;

	qsort(d->msgs, d->n, sizeof(*d->msgs), ds_cmp);
	/* Everything came from a neighbour: judged as a peer's message is. */
	memcpy(peer, fc_key_public(d->node[0]), sizeof(peer));
	if ((rc = store_open(state, 0, &st)) != 0) {
		fprintf(stderr, "duty-store: %s: %s\n", state, store_strerror(rc));
		return 1;
	}
	memset(&c, 0, sizeof(c));
	c.state = state;
	c.need_anchor = 1;
	c.held_max = 1000;
	c.held_bytes = 1 << 20;
	c.held_ttl_ms = DS_DAY_MS;
	if ((rc = ingest_open(st, &c, &ig, err, sizeof(err))) != 0) {
		fprintf(stderr, "duty-store: %s\n", err);
		store_close(&st);
		return 1;
	}
	for (i = 0; i < d->n; i += m) {
		for (m = 0; i + m < d->n && m < DS_BATCH &&
		    d->msgs[i + m].arrival - d->msgs[i].arrival < DS_BATCH_SPAN_MS; m++) {
			memset(&puts[m], 0, sizeof(puts[m]));
			puts[m].env = d->msgs[i + m].env;
			puts[m].len = d->msgs[i + m].len;
			puts[m].from = peer;
			puts[m].hops = 1;
		}
		if ((rc = ingest_put_batch(ig, puts, m, d->msgs[i + m - 1].arrival)) != 0) {
			fprintf(stderr, "duty-store: %s\n", store_strerror(rc));
			break;
		}
		for (j = 0; j < m; j++) {
			if (puts[j].status != INGEST_NEW) {
				fprintf(stderr, "duty-store: message %zu not stored: status %d, "
				    "%s, policy %s\n", i + j, puts[j].status,
				    fc_reason_name(puts[j].reason),
				    fc_policy_reason_name(puts[j].policy_reason));
				rc = 1;
			}
			stored++;
		}
		if (rc != 0)
			break;
	}
	ingest_close(&ig);
	store_close(&st);
	return rc != 0 || stored != d->n ? 1 : 0;
}

static int
ds_anchor(struct ds *d, const char *state)
{
	char path[4096], hex[2 * FC_PUBLICKEYBYTES + 1];
	FILE *f;

	snprintf(path, sizeof(path), "%s/anchors", state);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		return 1;
	}
	fprintf(f, "%s  # county root\n", fc_hex(fc_key_public(d->root), FC_PUBLICKEYBYTES,
	    hex));
	return fclose(f) == 0 ? 0 : 1;
}

static int
dutystore_run(int argc, char **argv)
{
	struct ds d;
	size_t n = 100000, i;
	uint64_t seed = 1;
	int ch, rc = 1;

	optind = 1;
	memset(&d, 0, sizeof(d));
	d.nweek = 40;
	while ((ch = getopt(argc, argv, "n:r:s:")) != -1) {
		switch (ch) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			d.nweek = strtoul(optarg, NULL, 10);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	if (fc_init() != 0)
		return 1;
	d.out = stdout;
	d.rng = seed;
	d.now = bench_wall_ms();
	d.t0 = d.now - DS_YEAR_DAYS * DS_DAY_MS;
	if ((d.root = ds_key(seed, "root", 0)) == NULL ||
	    (d.office = ds_key(seed, "office", 0)) == NULL)
		goto out;
	for (i = 0; i < DS_TOWNSHIPS; i++) {
		snprintf(d.township[i], sizeof(d.township[i]), "%s%03zu", DS_COUNTY, 101 + i);
		if ((d.verifier[i] = ds_key(seed, "township", i)) == NULL)
			goto out;
	}
	for (i = 0; i < DS_NODES; i++) {
		snprintf(d.village[i], sizeof(d.village[i]), "%s%03zu",
		    d.township[i / DS_VILLAGES], 201 + i % DS_VILLAGES);
		if ((d.node[i] = ds_key(seed, "node", i)) == NULL)
			goto out;
	}
	if (ds_anchor(&d, argv[optind]) != 0)
		goto out;
	ds_certs(&d);
	/* -n 0: the county's certificates alone (the board benchmark's baseline). */
	if (n > 0)
		ds_year(&d, n);
	if (d.err) {
		fprintf(stderr, "duty-store: cannot sign\n");
		goto out;
	}
	if ((rc = ds_store(&d, argv[optind])) == 0)
		printf("messages=%zu certs=%zu warnings=%zu receipts=%zu reports=%zu\n", d.n,
		    d.certs, d.warnings, d.receipts, d.reports);
out:
	for (i = 0; i < d.n; i++)
		free(d.msgs[i].env);
	free(d.msgs);
	fc_key_free(&d.root);
	fc_key_free(&d.office);
	for (i = 0; i < DS_TOWNSHIPS; i++)
		fc_key_free(&d.verifier[i]);
	for (i = 0; i < DS_NODES; i++)
		fc_key_free(&d.node[i]);
	return rc;
usage:
	fprintf(stderr, "usage: fenghuo-bench duty-store [-n N] [-r REPORTS] [-s SEED] STATE\n");
	return EX_USAGE;
}

const struct bench_cmd bench_dutystore = {
	"duty-store",
	"write a county's year of messages (N, default 100000) into the state directory "
	    "STATE and print what its duty list must show [-n N] [-r REPORTS] [-s SEED]",
	dutystore_run,
};
