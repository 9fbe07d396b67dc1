/*
 * bench_dissem.c: `fenghuo-bench dissemination`, how fast and at what cost a message
 * reaches every node of a mesh (issue #3, "Benchmarks").
 *
 * `dissemination` runs tools/bench/dissem.sh, which starts a mesh of real fenghuod processes
 * on 127.0.0.1 (through tests/integration/lib.sh) and calls `_dissem-probe` once per push
 * mode. The probe, given every node's state directory:
 *   1. signs M REPORTs with the origin node's key (before any timing);
 *   2. waits until every node has all its configured peers up, and snapshots every node's
 *      status and peer counters;
 *   3. subscribes to `watch` on every node, then submits the M messages one after another at
 *      the origin, each as soon as the previous one was acknowledged (durable), recording on
 *      CLOCK_MONOTONIC when each submit left and when each node announced each message;
 *   4. waits (with a generous deadline) until every node holds all M, then until the
 *      counters stop moving (late duplicates, GRAFT timers), and snapshots again.
 * Time to every node = the last node's announcement - the submit. The full-message factor
 * counts full copies received: every envelope a node gets in a PUSH frame is stored new,
 * counted a duplicate, rejected, or dropped by a limit, so the sum of those deltas over all
 * nodes, minus the M submits, is the number of full copies sent over links. Divided by
 * M * nodes it is the "bytes of full messages sent per message per node, as a multiple of
 * the message size" (all envelopes here have nearly the same size). All-traffic factor:
 * every byte of every frame sent (bytes_out) over the same window, / (M * nodes * size).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>
#include <zmq.h>

#include "bench.h"
#include "store.h"

#define WATCH_RENEW_NS	(20ull * 1000000000u)	/* the daemon keeps a watch for 60 s */

/* Counters of one node, summed over its peers where per-peer. */
struct snap {
	int64_t	 messages, stored, duplicates, rejected, drops, verified;
	int64_t	 bytes_out, msgs_out, sync_bytes, prunes, grafts, queue_dropped;
	int64_t	 frames_dropped;	/* whole frames over a peer's rate: not counted above */
	int	 peers_up, peers_conf;
};

struct node_io {
	const char	*state;
	void		*req;	/* requests */
	void		*watch;	/* watch subscription */
	uint64_t	 watch_at;
	struct snap	 s0, smid, s1;
};

struct msgid {
	char	 hex[2 * FC_IDBYTES + 1];
	size_t	 idx;
};

static int
msgid_cmp(const void *a, const void *b)
{
	return strcmp(((const struct msgid *)a)->hex, ((const struct msgid *)b)->hex);
}

static int
snap_take(struct node_io *nd, struct snap *s)
{
	json_t *st, *pe, *arr, *p, *v;
	const char *k;
	size_t i;

	memset(s, 0, sizeof(*s));
	if ((st = bench_ctl_call(nd->req, "status", 10000)) == NULL)
		return -1;
	if ((pe = bench_ctl_call(nd->req, "peers", 10000)) == NULL) {
		json_decref(st);
		return -1;
	}
	s->messages = bench_json_int(st, "messages");
	s->stored = bench_json_int(st, "stored");
	s->duplicates = bench_json_int(st, "duplicates");
	s->verified = bench_json_int(st, "verified");
	json_object_foreach(json_object_get(st, "rejected"), k, v)
		s->rejected += json_is_integer(v) ? json_integer_value(v) : 0;
	/* Envelopes that arrived but were not taken (limits, a full batch): sent all the same. */
	s->drops = bench_json_int(st, "drops.author_rate") + bench_json_int(st, "drops.batch_full") +
	    bench_json_int(st, "drops.store_quota");
	s->frames_dropped = bench_json_int(st, "drops.peer_rate");
	arr = json_object_get(pe, "peers");
	json_array_foreach(arr, i, p) {
		s->bytes_out += bench_json_int(p, "bytes_out");
		s->msgs_out += bench_json_int(p, "msgs_out");
		s->sync_bytes += bench_json_int(p, "sync_bytes");
		s->prunes += bench_json_int(p, "prunes");
		s->grafts += bench_json_int(p, "grafts");
		s->queue_dropped += bench_json_int(p, "queue_dropped");
		if (json_is_true(json_object_get(p, "configured"))) {
			s->peers_conf++;
			v = json_object_get(p, "state");
			if (json_is_string(v) && strcmp(json_string_value(v), "up") == 0)
				s->peers_up++;
		}
	}
	json_decref(st);
	json_decref(pe);
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static double
pct(const uint64_t *v, size_t n, double p)
{
	size_t r;

	if (n == 0)
		return 0.0;
	r = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (r < 1)
		r = 1;
	if (r > n)
		r = n;
	return (double)v[r - 1] / 1e6;
}

/* Read every pending watch event of node k; record first arrivals. */
static void
drain_watch(struct node_io *nd, size_t k, size_t nnodes, const struct msgid *ids, size_t m,
    uint64_t *arr, size_t *narrived, size_t *nforeign)
{
	struct msgid key, *hit;
	json_t *j;
	const char *id;
	uint64_t now;

	while ((j = bench_ctl_recv(nd->watch, 0, NULL, NULL)) != NULL) {
		now = bench_mono_ns();
		id = json_string_value(json_object_get(j, "id"));
		if (id != NULL && strlen(id) == 2 * FC_IDBYTES) {
			memcpy(key.hex, id, sizeof(key.hex));
			if ((hit = bsearch(&key, ids, m, sizeof(*ids), msgid_cmp)) != NULL) {
				if (arr[hit->idx * nnodes + k] == 0) {
					arr[hit->idx * nnodes + k] = now;
					(*narrived)++;
				}
			} else {
				(*nforeign)++;
			}
		}
		json_decref(j);
	}
}

/*
 * The push state of every directed link j -> k, from both ends: k's "recv" (what k asked of
 * j) against j's "push" (what j sends k). A PRUNE that j did not act on shows as recv lazy,
 * push eager; it costs a full copy per message. Printed for the analysis in BENCHMARKS.md.
 */
static void
link_states(struct node_io *nodes, size_t nn, const char *label)
{
	json_t **pe, *st, *e, *f;
	char (*key)[2 * FC_PUBLICKEYBYTES + 1];
	const char *s, *recv, *push;
	size_t k, j, i, i2, n_ee = 0, n_ll = 0, n_le = 0, n_el = 0, n_other = 0;

	pe = calloc(nn, sizeof(*pe));
	key = calloc(nn, sizeof(*key));
	if (pe == NULL || key == NULL)
		goto out;
	for (k = 0; k < nn; k++) {
		if ((st = bench_ctl_call(nodes[k].req, "status", 10000)) == NULL)
			goto out;
		if ((s = json_string_value(json_object_get(st, "key"))) != NULL)
			snprintf(key[k], sizeof(key[k]), "%s", s);
		json_decref(st);
		if ((pe[k] = bench_ctl_call(nodes[k].req, "peers", 10000)) == NULL)
			goto out;
	}
	for (k = 0; k < nn; k++) {
		json_array_foreach(json_object_get(pe[k], "peers"), i, e) {
			s = json_string_value(json_object_get(e, "key"));
			recv = json_string_value(json_object_get(e, "recv"));
			for (j = 0; j < nn && s != NULL; j++)
				if (strcmp(key[j], s) == 0)
					break;
			if (s == NULL || j == nn || recv == NULL) {
				n_other++;
				continue;
			}
			push = NULL;
			json_array_foreach(json_object_get(pe[j], "peers"), i2, f) {
				s = json_string_value(json_object_get(f, "key"));
				if (s != NULL && strcmp(s, key[k]) == 0)
					push = json_string_value(json_object_get(f, "push"));
			}
			if (push == NULL)
				n_other++;
			else if (strcmp(recv, "eager") == 0)
				*(strcmp(push, "eager") == 0 ? &n_ee : &n_el) += 1;
			else
				*(strcmp(push, "lazy") == 0 ? &n_ll : &n_le) += 1;
		}
	}
	printf("%s: directed links at the end: %zu eager, %zu pruned (ids only), %zu pruned by "
	    "the receiver but still pushing full messages, %zu lazy without a prune, %zu "
	    "unmatched\n", label, n_ee, n_ll, n_le, n_el, n_other);
out:
	if (pe != NULL)
		for (k = 0; k < nn; k++)
			json_decref(pe[k]);
	free(pe);
	free(key);
}

static void
usage_probe(void)
{
	fprintf(stderr, "usage: fenghuo-bench _dissem-probe [-n messages] [-l label] "
	    "origin-key state-dir...\n(the first state dir is the origin)\n");
}

static int
probe_run(int argc, char **argv)
{
	struct node_io *nodes = NULL;
	struct fc_key *key = NULL;
	struct msgid *ids = NULL;
	zmq_pollitem_t *pi = NULL;
	uint8_t **env = NULL, idb[FC_IDBYTES];
	size_t *envlen = NULL, m = 1000, nn, i, k, narrived = 0, nforeign = 0, acked = 0;
	size_t ncomplete = 0, envbytes = 0, nhalf, slow;
	int64_t copies2, prunes2, grafts2;
	uint64_t *arr = NULL, *t0 = NULL, *lat = NULL, *lat2 = NULL, now, deadline, created, stable_at;
	const char *label = "run";
	void *zctx = NULL;
	int ch, rc = 1, sent = 0, up, midsnap = 0;
	int64_t copies, prev, delivered, dmsgs, bytes_out, sync_bytes, prunes, grafts, qdrop;
	int64_t verified, dups, drops, rejected, fdrop = 0;
	double mean;

	while ((ch = getopt(argc, argv, "n:l:")) != -1) {
		switch (ch) {
		case 'n':
			m = strtoul(optarg, NULL, 10);
			break;
		case 'l':
			label = optarg;
			break;
		default:
			usage_probe();
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || m == 0) {
		usage_probe();
		return EX_USAGE;
	}
	nn = (size_t)argc - 1;
	if (fc_init() != 0 || fc_key_load(argv[0], &key) != 0) {
		fprintf(stderr, "_dissem-probe: cannot load key %s\n", argv[0]);
		return 1;
	}
	nodes = calloc(nn, sizeof(*nodes));
	ids = calloc(m, sizeof(*ids));
	env = calloc(m, sizeof(*env));
	envlen = calloc(m, sizeof(*envlen));
	arr = calloc(m * nn, sizeof(*arr));
	t0 = calloc(m, sizeof(*t0));
	lat = calloc(m, sizeof(*lat));
	lat2 = calloc(m, sizeof(*lat2));
	pi = calloc(nn + 1, sizeof(*pi));
	if (nodes == NULL || ids == NULL || env == NULL || envlen == NULL || arr == NULL ||
	    t0 == NULL || lat == NULL || lat2 == NULL || pi == NULL || (zctx = zmq_ctx_new()) == NULL)
		goto out;

	/* 1. Sign everything first; created times 1 ms apart, just behind the clock. */
	created = bench_wall_ms() - m - 1000;
	for (i = 0; i < m; i++) {
		if (bench_make_report(key, i, created + i, &env[i], &envlen[i]) != 0 ||
		    fc_envelope_id(env[i], envlen[i], idb) != 0) {
			fprintf(stderr, "_dissem-probe: cannot sign message %zu\n", i);
			goto out;
		}
		fc_hex(idb, FC_IDBYTES, ids[i].hex);
		ids[i].idx = i;
		envbytes += envlen[i];
	}
	qsort(ids, m, sizeof(*ids), msgid_cmp);
	mean = (double)envbytes / (double)m;

	/* 2. Every link up, then the counters before. */
	for (k = 0; k < nn; k++) {
		nodes[k].state = argv[1 + k];
		if ((nodes[k].req = bench_ctl_open(zctx, nodes[k].state)) == NULL ||
		    (nodes[k].watch = bench_ctl_open(zctx, nodes[k].state)) == NULL) {
			fprintf(stderr, "_dissem-probe: cannot connect to %s\n", nodes[k].state);
			goto out;
		}
	}
	deadline = bench_mono_ns() + 90ull * 1000000000u;
	for (;;) {
		for (k = 0, up = 1; k < nn; k++) {
			if (snap_take(&nodes[k], &nodes[k].s0) != 0) {
				fprintf(stderr, "_dissem-probe: %s does not answer\n", nodes[k].state);
				goto out;
			}
			if (nodes[k].s0.peers_up < nodes[k].s0.peers_conf)
				up = 0;
		}
		if (up)
			break;
		if (bench_mono_ns() > deadline) {
			fprintf(stderr, "_dissem-probe: links not all up after 90 s\n");
			goto out;
		}
		zmq_poll(NULL, 0, 200);
	}

	/* 3. Watch everywhere, then inject at the origin, one at a time. */
	for (k = 0; k < nn; k++) {
		json_t *j;

		if (bench_ctl_send(nodes[k].watch, "watch", NULL, 0) != 0 ||
		    (j = bench_ctl_recv(nodes[k].watch, 10000, NULL, NULL)) == NULL) {
			fprintf(stderr, "_dissem-probe: watch on %s failed\n", nodes[k].state);
			goto out;
		}
		json_decref(j);
		nodes[k].watch_at = bench_mono_ns();
		pi[k].socket = nodes[k].watch;
		pi[k].events = ZMQ_POLLIN;
	}
	pi[nn].socket = nodes[0].req;
	pi[nn].events = ZMQ_POLLIN;
	deadline = 0;
	stable_at = bench_mono_ns() + 600ull * 1000000000u;	/* bound on the injection */
	while (narrived < m * nn || acked < m) {
		now = bench_mono_ns();
		if (now > stable_at) {
			fprintf(stderr, "_dissem-probe: only %zu of %zu submits acknowledged\n",
			    acked, m);
			goto out;
		}
		if (sent == (int)acked && acked == m / 2 && !midsnap) {
			/* Halfway, nothing outstanding: where the second half starts. */
			for (k = 0; k < nn; k++)
				if (snap_take(&nodes[k], &nodes[k].smid) != 0)
					goto out;
			midsnap = 1;
		}
		if (sent == (int)acked && acked < m) {
			t0[acked] = bench_mono_ns();
			if (bench_ctl_send(nodes[0].req, "submit", env[acked], envlen[acked]) != 0)
				goto out;
			sent++;
		}
		if (acked == m && deadline == 0)
			deadline = now + 120ull * 1000000000u;
		if (deadline != 0 && now > deadline)
			break;
		for (k = 0; k < nn; k++) {
			if (now - nodes[k].watch_at > WATCH_RENEW_NS) {
				/* Its {"ok":true} is read (and skipped) with the events. */
				(void)bench_ctl_send(nodes[k].watch, "watch", NULL, 0);
				nodes[k].watch_at = now;
			}
		}
		if (zmq_poll(pi, (int)nn + 1, 500) < 0)
			continue;
		for (k = 0; k < nn; k++)
			if (pi[k].revents & ZMQ_POLLIN)
				drain_watch(&nodes[k], k, nn, ids, m, arr, &narrived, &nforeign);
		if (pi[nn].revents & ZMQ_POLLIN) {
			json_t *j = bench_ctl_recv(nodes[0].req, 0, NULL, NULL);
			const char *st = json_string_value(json_object_get(j, "status"));

			if (st == NULL || strcmp(st, "new") != 0) {
				fprintf(stderr, "_dissem-probe: submit %zu: %s\n", acked,
				    st != NULL ? st : "no reply");
				json_decref(j);
				goto out;
			}
			json_decref(j);
			acked++;
		}
	}

	/* 4. Every node holds all M (by its store count), then the counters settle. */
	deadline = bench_mono_ns() + 120ull * 1000000000u;
	prev = -1;
	stable_at = 0;
	for (;;) {
		for (k = 0, copies = 0, delivered = 0; k < nn; k++) {
			if (snap_take(&nodes[k], &nodes[k].s1) != 0)
				goto out;
			dmsgs = nodes[k].s1.messages - nodes[k].s0.messages;
			delivered += dmsgs < (int64_t)m ? dmsgs : (int64_t)m;
			copies += nodes[k].s1.stored + nodes[k].s1.duplicates +
			    nodes[k].s1.rejected + nodes[k].s1.drops;
		}
		now = bench_mono_ns();
		if (delivered == (int64_t)(m * nn) && copies == prev) {
			if (stable_at != 0 && now - stable_at >= 3000000000ull)
				break;
		} else {
			stable_at = now;
		}
		prev = copies;
		if (now > deadline)
			break;	/* report what arrived */
		zmq_poll(NULL, 0, 500);
	}

	/* Figures. */
	for (i = 0; i < m; i++) {
		uint64_t last = 0;

		for (k = 0; k < nn; k++) {
			if (arr[i * nn + k] == 0)
				break;
			if (arr[i * nn + k] > last)
				last = arr[i * nn + k];
		}
		if (k == nn)
			lat[ncomplete++] = last - t0[i];
	}
	/* The second half alone: after the first messages have shaped the tree. */
	for (i = m / 2, nhalf = 0; i < m; i++) {
		uint64_t last = 0;

		for (k = 0; k < nn; k++) {
			if (arr[i * nn + k] == 0)
				break;
			if (arr[i * nn + k] > last)
				last = arr[i * nn + k];
		}
		if (k == nn)
			lat2[nhalf++] = last - t0[i];
	}
	qsort(lat2, nhalf, sizeof(*lat2), cmp_u64);
	for (i = 0, slow = 0; i < ncomplete; i++)
		slow += lat[i] >= 500000000u;
	qsort(lat, ncomplete, sizeof(*lat), cmp_u64);
	for (k = 0, copies2 = 0, prunes2 = grafts2 = 0; k < nn; k++) {
		struct snap *a = &nodes[k].smid, *b = &nodes[k].s1;

		copies2 += (b->stored - a->stored) + (b->duplicates - a->duplicates) +
		    (b->rejected - a->rejected) + (b->drops - a->drops);
		prunes2 += b->prunes - a->prunes;
		grafts2 += b->grafts - a->grafts;
	}
	copies2 -= (int64_t)(m - m / 2);
	copies = delivered = bytes_out = sync_bytes = prunes = grafts = qdrop = 0;
	verified = dups = drops = rejected = 0;
	for (k = 0; k < nn; k++) {
		struct snap *a = &nodes[k].s0, *b = &nodes[k].s1;

		dmsgs = b->messages - a->messages;
		delivered += dmsgs < (int64_t)m ? dmsgs : (int64_t)m;
		copies += (b->stored - a->stored) + (b->duplicates - a->duplicates) +
		    (b->rejected - a->rejected) + (b->drops - a->drops);
		dups += b->duplicates - a->duplicates;
		drops += b->drops - a->drops;
		rejected += b->rejected - a->rejected;
		verified += b->verified - a->verified;
		bytes_out += b->bytes_out - a->bytes_out;
		sync_bytes += b->sync_bytes - a->sync_bytes;
		prunes += b->prunes - a->prunes;
		grafts += b->grafts - a->grafts;
		qdrop += b->queue_dropped - a->queue_dropped;
		fdrop += b->frames_dropped - a->frames_dropped;
	}
	copies -= (int64_t)m;	/* the submits at the origin */
	printf("%s: %zu nodes, %zu messages injected at one node (mean envelope %.0f bytes)\n",
	    label, nn, m, mean);
	printf("%s: time to every node: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%zu of %zu "
	    "messages seen by every watch)\n", label, pct(lat, ncomplete, 50),
	    pct(lat, ncomplete, 99), ncomplete ? (double)lat[ncomplete - 1] / 1e6 : 0.0,
	    ncomplete, m);
	printf("%s: delivery %lld of %zu (by store counts)\n", label, (long long)delivered,
	    m * nn);
	printf("%s: full copies received over links %lld (%lld of them duplicates, %lld rejected, %lld dropped by "
	    "limits), %lld signature checks; per message per node %.3f\n", label,
	    (long long)copies, (long long)dups, (long long)rejected, (long long)drops,
	    (long long)verified, (double)copies / (double)(m * nn));
	printf("%s: all frames sent %lld bytes = %.3f x message size per message per node "
	    "(sync payloads %lld bytes, PRUNEs %lld, GRAFTs %lld, queue drops %lld, frames over "
	    "a peer's rate limit %lld)\n", label, (long long)bytes_out,
	    (double)bytes_out / (mean * (double)(m * nn)), (long long)(sync_bytes / 2),
	    (long long)prunes, (long long)grafts, (long long)qdrop, (long long)fdrop);
	printf("%s: %zu messages took 500 ms or more to reach every node\n", label, slow);
	printf("%s: second half alone (messages %zu-%zu): p50 %.1f ms, p99 %.1f ms, full copies "
	    "per message per node %.3f, PRUNEs %lld, GRAFTs %lld\n", label, m / 2 + 1, m,
	    pct(lat2, nhalf, 50), pct(lat2, nhalf, 99),
	    (double)copies2 / (double)((m - m / 2) * nn), (long long)prunes2, (long long)grafts2);
	link_states(nodes, nn, label);
	printf("p50_ms=%.1f p99_ms=%.1f delivery=%.4f full_msg_factor=%.3f "
	    "all_traffic_factor=%.3f prunes=%lld grafts=%lld\n", pct(lat, ncomplete, 50),
	    pct(lat, ncomplete, 99), (double)delivered / (double)(m * nn),
	    (double)copies / (double)(m * nn), (double)bytes_out / (mean * (double)(m * nn)),
	    (long long)prunes, (long long)grafts);
	rc = 0;
out:
	if (nodes != NULL)
		for (k = 0; k < nn; k++) {
			if (nodes[k].req != NULL)
				zmq_close(nodes[k].req);
			if (nodes[k].watch != NULL)
				zmq_close(nodes[k].watch);
		}
	if (zctx != NULL)
		zmq_ctx_term(zctx);
	if (env != NULL)
		for (i = 0; i < m; i++)
			free(env[i]);
	free(env);
	free(envlen);
	free(nodes);
	free(ids);
	free(arr);
	free(t0);
	free(lat);
	free(lat2);
	free(pi);
	fc_key_free(&key);
	return rc;
}

static int
dissem_run(int argc, char **argv)
{
	return bench_run_script("dissem.sh", argc, argv);
}

const struct bench_cmd bench_dissemination = {
	"dissemination",
	"30 fenghuod on loopback: time to every node, full copies per message "
	    "[-N nodes] [-n messages] [-s seed] [--no-flood]",
	dissem_run,
};

const struct bench_cmd bench_dissem_probe = {
	"_dissem-probe",
	"(used by dissemination) inject and time: [-n M] [-l label] key state-dir...",
	probe_run,
};
