/*
 * test_node.c: whole nodes in one process (several struct node, real LMDB stores in a
 * temporary directory, ZeroMQ over ipc:// endpoints in that directory).
 *
 * Each case steps the nodes' loops (node_step) until a condition holds or a deadline passes:
 * no fixed sleeps. Raw ZeroMQ sockets play a hostile or outdated peer and the CLI.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <zmq.h>

#include "node.h"

/* Gathered as the node's own messages are: judged, held while their chain is unknown. */
static const struct ingest_src node_src = { INGEST_NODE, NULL, 0, 0 };

#define DEADLINE_MS	10000

struct env {
	char		 dir[64];
	struct node	*a, *b, *c;
	int		 plumtree;	/* make_node writes push = plumtree */
	const char	*extra;		/* more config lines (sections) for every node */
	void		*zctx;		/* for the raw test sockets */
	void		*raw[4];	/* closed by teardown, also after a failed assert */
	int		 nraw;
	struct fc_key	*author;
};

/*
 * The transport key file of the node (or raw peer) NAME: <dir>/NAME/transport.key, the
 * default path, created here when the node has not started yet (the node then loads it).
 * Open trust (make_node) lets the ZAP handler admit the raw test peers' random keys.
 */
static const uint8_t *
tkey_of(struct env *e, const char *name, struct fc_tkey **k)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", e->dir, name);
	assert_true(mkdir(path, 0700) == 0 || errno == EEXIST);
	snprintf(path, sizeof(path), "%s/%s/transport.key", e->dir, name);
	assert_int_equal(fc_tkey_load_or_create(path, k, NULL), 0);
	return fc_tkey_public(*k);
}

/* The name in an endpoint made by endpoint(): ipc://DIR/NAME.peer. */
static void
ep_name(const char *ep, char *name, size_t len)
{
	const char *s = strrchr(ep, '/') + 1;

	snprintf(name, len, "%.*s", (int)(strstr(s, ".peer") - s), s);
}

/* Write a config file under e->dir and load it. peer_key NULL: no [peer]. */
static struct node *
make_node(struct env *e, const char *name, const char *listen, const char *peer_addr,
    const char *peer_key)
{
	char path[128], state[128];
	struct conf *conf;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.conf", e->dir, name);
	snprintf(state, sizeof(state), "%s/%s", e->dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	/* Plain gossip: no trust policy (tests/node/test_trust.c has it). */
	fprintf(fp, "[trust]\nopen = yes\n");
	fprintf(fp, "[node]\nname = %s\nregion = 330110101\nkey = %s/node.key\nstate = %s\n",
	    name, state, state);
	if (listen != NULL)
		fprintf(fp, "listen = %s\n", listen);
	if (e->plumtree)
		fprintf(fp, "push = plumtree\n");
	if (e->extra != NULL)
		fprintf(fp, "%s", e->extra);
	if (peer_key != NULL) {
		/* the CURVE server key of whoever listens at peer_addr */
		char pname[64], thex[2 * FC_TKEYBYTES + 1];
		struct fc_tkey *tk;

		ep_name(peer_addr, pname, sizeof(pname));
		fc_hex(tkey_of(e, pname, &tk), FC_TKEYBYTES, thex);
		fc_tkey_free(&tk);
		fprintf(fp, "[peer peer-of-%s]\naddress = %s\nkey = %s\ntransport = %s\n", name,
		    peer_addr, peer_key, thex);
	}
	fclose(fp);
	assert_int_equal(conf_load(path, stderr, &conf), 0);
	return node_new(conf);
}

static char *
endpoint(struct env *e, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "ipc://%s/%s.peer", e->dir, name);
	return buf;
}

static void
step(struct env *e)
{
	if (e->a != NULL)
		node_step(e->a, 5);
	if (e->b != NULL)
		node_step(e->b, 5);
	if (e->c != NULL)
		node_step(e->c, 5);
}

/* Step both nodes until cond(e, arg) or the deadline; returns cond's final value. */
static int
run_until(struct env *e, int (*cond)(struct env *, void *), void *arg)
{
	uint64_t end = now_mono() + DEADLINE_MS;

	while (!cond(e, arg)) {
		if (now_mono() > end)
			return 0;
		step(e);
	}
	return 1;
}

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	snprintf(e->dir, sizeof(e->dir), "/tmp/fh-node-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	e->zctx = zmq_ctx_new();
	assert_non_null(e->zctx);
	assert_int_equal(fc_key_generate(&e->author), 0);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	node_free(&e->a);
	node_free(&e->b);
	node_free(&e->c);
	while (e->nraw > 0)
		zmq_close(e->raw[--e->nraw]);
	zmq_ctx_term(e->zctx);
	fc_key_free(&e->author);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	assert_int_equal(system(cmd), 0);
	free(e);
	return 0;
}

/* A signed report; *env malloc()ed. */
static void
report(struct env *e, const char *title, int kind, int level, uint8_t **env, size_t *len,
    uint8_t id[FC_IDBYTES])
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Warning w = FENGHUO__WARNING__INIT;
	uint8_t *buf;
	size_t blen;

	b.has_version = 1;
	b.version = WIRE_BODY_VERSION;
	b.has_kind = 1;
	b.kind = (Fenghuo__Kind)kind;
	b.has_author = 1;
	b.author.data = (uint8_t *)(uintptr_t)fc_key_public(e->author);
	b.author.len = FC_PUBLICKEYBYTES;
	b.has_created_ms = 1;
	b.created_ms = now_wall();
	b.region = (char *)(uintptr_t)"330110101201";
	b.category = (char *)(uintptr_t)"flood";
	b.title = (char *)(uintptr_t)title;
	if (kind == FENGHUO__KIND__WARNING) {
		static char *area[] = { (char *)(uintptr_t)"330110" };

		w.has_msg_type = w.has_urgency = w.has_severity = w.has_certainty = 1;
		w.msg_type = FENGHUO__MSG_TYPE__ALERT;
		w.urgency = FENGHUO__URGENCY__IMMEDIATE;
		w.severity = (Fenghuo__Severity)wire_level_severity(level);
		w.certainty = FENGHUO__CERTAINTY__OBSERVED;
		w.n_area = 1;
		w.area = area;
		w.has_level = 1;
		w.level = (Fenghuo__Level)level;
		b.warning = &w;
		b.event = (char *)(uintptr_t)"flood";
		b.has_expires_ms = 1;
		b.expires_ms = b.created_ms + 3600 * 1000;
	}
	blen = fenghuo__body__get_packed_size(&b);
	buf = malloc(blen);
	assert_non_null(buf);
	fenghuo__body__pack(&b, buf);
	assert_int_equal(fc_envelope_seal(e->author, buf, blen, env, len), 0);
	free(buf);
	assert_int_equal(fc_envelope_id(*env, *len, id), 0);
}

static struct peer *
first_peer(struct node *n)
{
	return n->npeers > 0 ? n->peers[0] : NULL;
}

static int
both_up(struct env *e, void *arg)
{
	(void)arg;
	return first_peer(e->a) != NULL && peer_is_up(first_peer(e->a)) &&
	    first_peer(e->b) != NULL && peer_is_up(first_peer(e->b));
}

static int
b_has(struct env *e, void *id)
{
	return store_has(e->b->store, id) == 1;
}

static int
a_has(struct env *e, void *id)
{
	return store_has(e->a->store, id) == 1;
}

static int
b_dup_more(struct env *e, void *arg)
{
	return e->b->duplicates > *(uint64_t *)arg;
}

/* A and B linked: A connects to B, B knows A only inbound. */
static void
link_ab(struct env *e)
{
	char ep[128];

	e->b = make_node(e, "b", endpoint(e, "b", ep, sizeof(ep)), NULL, NULL);
	assert_non_null(e->b);
	e->a = make_node(e, "a", NULL, ep, e->b->keyhex);
	assert_non_null(e->a);
	assert_true(run_until(e, both_up, NULL));
	assert_true(first_peer(e->a)->configured);
	assert_false(first_peer(e->b)->configured);
	assert_memory_equal(first_peer(e->b)->key, fc_key_public(e->a->key), FC_PUBLICKEYBYTES);
}

/* A message new on A reaches B, with A as its sender and one hop; a duplicate costs no check. */
static void
test_push(void **state)
{
	struct env *e = *state;
	struct store_msg m;
	uint8_t *env, id[FC_IDBYTES];
	size_t len;
	uint64_t v0, dup0;

	link_ab(e);
	report(e, "push", FENGHUO__KIND__REPORT, 0, &env, &len, id);
	v0 = fc_verify_count();
	assert_int_equal(gossip_add(e->a, env, len, &node_src), 0);
	assert_true(run_until(e, b_has, id));
	assert_int_equal(fc_verify_count() - v0, 2);	/* once on A, once on B */
	memset(&m, 0, sizeof(m));
	assert_int_equal(store_get(e->b->store, id, &m), 0);
	assert_int_equal(m.seen.has_from, 1);
	assert_memory_equal(m.seen.from, fc_key_public(e->a->key), FC_PUBLICKEYBYTES);
	assert_int_equal(m.seen.hops, 1);
	store_msg_clear(&m);
	assert_int_equal(e->b->stored, 1);

	/* The same message again from A: B drops it as a duplicate without a signature check. */
	v0 = fc_verify_count();
	dup0 = e->b->duplicates;
	assert_int_equal(peer_queue_envelope(e->a, first_peer(e->a), env, len, 0), 0);
	assert_true(run_until(e, b_dup_more, &dup0));
	assert_int_equal(fc_verify_count(), v0);
	assert_int_equal(e->b->stored, 1);
	free(env);
}

static int
b_quota_dropped(struct env *e, void *arg)
{
	return e->b->drop_store_quota >= *(uint64_t *)arg;
}

/*
 * B above its store quota ([limits] store_max_bytes) with nothing expired to remove: a new
 * report from A is refused and counted, not stored; a red warning still gets through.
 */
static void
test_store_quota(void **state)
{
	struct env *e = *state;
	uint8_t *env, id[FC_IDBYTES];
	size_t len;
	uint64_t one = 1;

	e->extra = "[limits]\nstore_max_bytes = 1\n";
	link_ab(e);
	report(e, "first", FENGHUO__KIND__REPORT, 0, &env, &len, id);
	assert_int_equal(gossip_add(e->a, env, len, &node_src), 0);
	free(env);
	assert_true(run_until(e, b_has, id));
	e->b->quota_next = 0;	/* the quota timer, now rather than in 10 s */
	step(e);
	assert_int_equal(e->b->store_over, 1);

	report(e, "over quota", FENGHUO__KIND__REPORT, 0, &env, &len, id);
	assert_int_equal(gossip_add(e->a, env, len, &node_src), 0);
	free(env);
	assert_true(run_until(e, b_quota_dropped, &one));
	assert_int_equal(store_has(e->b->store, id), 0);

	report(e, "red", FENGHUO__KIND__WARNING, FENGHUO__LEVEL__RED, &env, &len, id);
	assert_int_equal(gossip_add(e->a, env, len, &node_src), 0);
	free(env);
	assert_true(run_until(e, b_has, id));
	assert_int_equal(e->b->drop_store_quota, 1);
}

/* A DELIVERED receipt of ref by e->author (another node than the one under test). */
static void
receipt_of(struct env *e, const uint8_t ref[FC_IDBYTES], uint64_t created_ms, uint8_t **env,
    size_t *len)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Receipt r = FENGHUO__RECEIPT__INIT;
	ProtobufCBinaryData refs[1];
	uint8_t *buf;
	size_t blen;

	r.has_stage = 1;
	r.stage = FENGHUO__STAGE__DELIVERED;
	refs[0].data = (uint8_t *)(uintptr_t)ref;
	refs[0].len = FC_IDBYTES;
	b.has_version = 1;
	b.version = WIRE_BODY_VERSION;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__RECEIPT;
	b.has_author = 1;
	b.author.data = (uint8_t *)(uintptr_t)fc_key_public(e->author);
	b.author.len = FC_PUBLICKEYBYTES;
	b.has_created_ms = 1;
	b.created_ms = created_ms;
	b.region = (char *)(uintptr_t)"330110101201";
	b.n_refs = 1;
	b.refs = refs;
	b.receipt = &r;
	blen = fenghuo__body__get_packed_size(&b);
	assert_non_null(buf = malloc(blen));
	fenghuo__body__pack(&b, buf);
	assert_int_equal(fc_envelope_seal(e->author, buf, blen, env, len), 0);
	free(buf);
}

/* store_iter_refs_of callback: count. */
static int
count_view(void *ctx, const struct store_view *v)
{
	(void)v;
	(*(size_t *)ctx)++;
	return 0;
}

/* run_until condition: node a has stored its own receipt of both warnings in arg. */
static int
confirmed_both(struct env *e, void *arg)
{
	uint8_t (*w)[FC_IDBYTES] = arg;
	size_t n = 0, i;

	for (i = 0; i < 2; i++)
		assert_int_equal(store_iter_refs_of(e->a->store, w[i], FENGHUO__KIND__RECEIPT,
		    fc_key_public(e->a->key), count_view, &n), 0);
	return n == 2;
}

/*
 * store_iter_refs_of callback: the receipt is the node's own, signed at start for a warning
 * stored without a neighbour: its path says 0 hops and no via.
 */
static int
receipt_path_local(void *ctx, const struct store_view *v)
{
	const uint8_t *body, *sig;
	size_t blen, slen;
	Fenghuo__Body *b;

	assert_int_equal(fc_envelope_split(v->env, v->len, &body, &blen, &sig, &slen), 0);
	assert_non_null(b = wire_body_unpack(body, blen));
	assert_non_null(b->receipt);
	assert_true(b->receipt->has_hops && b->receipt->hops == 0);
	assert_true(b->receipt->has_delay_ms);
	assert_false(b->receipt->has_via);
	assert_false(b->receipt->has_link);
	fenghuo__body__free_unpacked(b, NULL);
	(*(size_t *)ctx)++;
	return 0;
}

/*
 * Start-up on a store of many messages reads only what it needs: the warnings (the kind
 * index), not every record, and of each warning's receipts only its own (a seek in the refs
 * index), of which it has none yet. Two warnings, each with five receipts of other nodes,
 * among reports: two records read, no refs entry, no lookup in ids. After the node has
 * confirmed both, the next start reads its two receipts as well, and nothing else.
 */
#define STARTUP_REPORTS	500
static void
test_startup_reads(void **state)
{
	struct env *e = *state;
	struct ingest_put *puts;
	struct store *st;
	struct store_costs cost;
	uint8_t id[FC_IDBYTES], warning[2][FC_IDBYTES], **env;
	char dir[128], title[32];
	uint64_t base = now_wall();
	size_t i;

	snprintf(dir, sizeof(dir), "%s/a", e->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(store_open(dir, 0, &st), 0);
	puts = calloc(STARTUP_REPORTS + 2, sizeof(*puts));
	env = calloc(STARTUP_REPORTS + 2, sizeof(*env));
	assert_non_null(puts);
	assert_non_null(env);
	for (i = 0; i < STARTUP_REPORTS + 2; i++) {
		snprintf(title, sizeof(title), "report %zu", i);
		if (i % 250 > 100 && i % 250 <= 105)
			receipt_of(e, warning[i / 250], base - i, &env[i], &puts[i].len);
		else
			report(e, title, i % 250 == 100 ? FENGHUO__KIND__WARNING :
			    FENGHUO__KIND__REPORT, FENGHUO__LEVEL__RED, &env[i], &puts[i].len, id);
		if (i % 250 == 100)
			memcpy(warning[i / 250], id, FC_IDBYTES);
		puts[i].env = env[i];
	}
	assert_int_equal(ingest_put_open(st, puts, STARTUP_REPORTS + 2, now_wall()), 0);
	for (i = 0; i < STARTUP_REPORTS + 2; i++) {
		assert_int_equal(puts[i].status, INGEST_NEW);
		free(env[i]);
	}
	free(env);
	free(puts);
	store_close(&st);

	e->a = make_node(e, "a", NULL, NULL, NULL);
	assert_non_null(e->a);
	store_cost(e->a->store, &cost);
	assert_int_equal(cost.records, 2);
	assert_int_equal(cost.ref_entries, 0);
	assert_int_equal(cost.id_lookups, 0);

	assert_true(run_until(e, confirmed_both, warning));
	i = 0;
	assert_int_equal(store_iter_refs_of(e->a->store, warning[0], FENGHUO__KIND__RECEIPT,
	    fc_key_public(e->a->key), receipt_path_local, &i), 0);
	assert_int_equal(i, 1);
	node_free(&e->a);
	e->a = make_node(e, "a", NULL, NULL, NULL);
	assert_non_null(e->a);
	store_cost(e->a->store, &cost);
	assert_int_equal(cost.records, 4);
	assert_int_equal(cost.ref_entries, 2);
	assert_int_equal(cost.id_lookups, 0);
	assert_int_equal(e->a->ndeliver, 0);
}

/* Rewrite NAME's config file: region replaced by region, extra appended; peer kept or not. */
static void
rewrite_conf(struct env *e, const char *name, const char *region, const char *extra,
    int keep_peer)
{
	char path[128], line[512], *buf = NULL;
	size_t len = 0;
	FILE *in, *out;

	snprintf(path, sizeof(path), "%s/%s.conf", e->dir, name);
	assert_non_null(in = fopen(path, "r"));
	assert_non_null(out = open_memstream(&buf, &len));
	while (fgets(line, sizeof(line), in) != NULL) {
		if (!keep_peer && strncmp(line, "[peer ", 6) == 0)
			break;	/* the [peer] section is last */
		if (strncmp(line, "region = ", 9) == 0)
			fprintf(out, "region = %s\n", region);
		else
			fputs(line, out);
	}
	fclose(in);
	fputs(extra, out);
	fclose(out);
	assert_non_null(out = fopen(path, "w"));
	assert_int_equal(fwrite(buf, 1, len, out), len);
	fclose(out);
	free(buf);
}

/*
 * reload_conf (SIGHUP): limits the node holds copies of follow the file, a restart-only
 * change (region) keeps its running value, an unchanged peer keeps its link, a broken file
 * changes nothing, and a removed peer is retired and reaped at the end of the pass.
 */
static void
test_reload(void **state)
{
	struct env *e = *state;
	struct bucket_table *authors;
	struct conf *conf;
	struct peer *p;

	link_ab(e);
	p = first_peer(e->a);
	authors = e->a->author_lim;
	rewrite_conf(e, "a", "330110102", "[limits]\nauthors_tracked = 1000\nqueue_items = 100\n",
	    1);
	assert_int_equal(reload_conf(e->a), 0);
	assert_int_equal(e->a->conf->limits.authors_max, 1000);
	assert_ptr_not_equal(e->a->author_lim, authors);	/* a table of the new size */
	assert_int_equal(p->q.max_items, 100);
	assert_string_equal(e->a->conf->region, "330110101");	/* takes a restart */
	assert_ptr_equal(first_peer(e->a), p);
	assert_false(p->dead);
	step(e);
	assert_true(peer_is_up(p));

	/* A broken file: nothing changes, not even the struct. */
	conf = e->a->conf;
	rewrite_conf(e, "a", "330110101", "[limits]\nqueue_items = 100\nnot a key value pair\n",
	    1);
	assert_int_equal(reload_conf(e->a), -1);
	assert_ptr_equal(e->a->conf, conf);
	assert_false(p->dead);

	/* The peer removed: retired now, freed by the reap at the end of the next pass. */
	rewrite_conf(e, "a", "330110101", "", 0);
	assert_int_equal(reload_conf(e->a), 0);
	assert_int_equal(e->a->conf->npeers, 0);
	assert_true(p->dead);
	assert_false(p->configured);
	node_step(e->a, 0);
	assert_int_equal(e->a->npeers, 0);
}

static int
b_bad_sigs(struct env *e, void *arg)
{
	return e->b->rejected[FC_R_BAD_SIG] >= *(uint64_t *)arg;
}

static int
b_author_dropped(struct env *e, void *arg)
{
	return e->b->drop_author_rate >= *(uint64_t *)arg;
}

/*
 * The per-author limit ([limits] author_msgs_*): forged messages claiming the author are
 * rejected and give their tokens back, so the author's own messages still pass; beyond the
 * burst, new messages by that author are dropped and counted; a red warning by the same
 * author is never limited.
 */
static void
test_author_limit(void **state)
{
	struct env *e = *state;
	uint8_t *env, id[FC_IDBYTES], ids[2][FC_IDBYTES];
	size_t len;
	uint64_t want;
	char title[32];
	int i;

	e->extra = "[limits]\nauthor_msgs_per_sec = 1\nauthor_msgs_burst = 2\n";
	link_ab(e);
	/* As many forgeries as the burst: without the refund nothing would be left. */
	for (i = 0; i < 2; i++) {
		snprintf(title, sizeof(title), "forged %d", i);
		report(e, title, FENGHUO__KIND__REPORT, 0, &env, &len, id);
		env[len - 1] ^= 0x01;	/* the signature's last byte */
		assert_int_equal(peer_queue_envelope(e->a, first_peer(e->a), env, len, 0), 0);
		free(env);
	}
	want = 2;
	assert_true(run_until(e, b_bad_sigs, &want));
	for (i = 0; i < 2; i++) {
		snprintf(title, sizeof(title), "genuine %d", i);
		report(e, title, FENGHUO__KIND__REPORT, 0, &env, &len, ids[i]);
		assert_int_equal(gossip_add(e->a, env, len, &node_src), 0);
		free(env);
	}
	assert_true(run_until(e, b_has, ids[0]));
	assert_true(run_until(e, b_has, ids[1]));
	for (i = 0; i < 20; i++) {
		snprintf(title, sizeof(title), "beyond %d", i);
		report(e, title, FENGHUO__KIND__REPORT, 0, &env, &len, id);
		assert_int_equal(gossip_add(e->a, env, len, &node_src), 0);
		free(env);
	}
	want = 1;
	assert_true(run_until(e, b_author_dropped, &want));
	report(e, "red", FENGHUO__KIND__WARNING, FENGHUO__LEVEL__RED, &env, &len, id);
	assert_int_equal(gossip_add(e->a, env, len, &node_src), 0);
	free(env);
	assert_true(run_until(e, b_has, id));
}

/* B pushes back to A, over the inbound link (B has no configured peer). */
static void
test_push_inbound(void **state)
{
	struct env *e = *state;
	uint8_t *env, id[FC_IDBYTES];
	size_t len;

	link_ab(e);
	report(e, "inbound", FENGHUO__KIND__REPORT, 0, &env, &len, id);
	assert_int_equal(gossip_add(e->b, env, len, &node_src), 0);
	assert_true(run_until(e, a_has, id));
	free(env);
}

/* Messages stored while the nodes were apart arrive by reconciliation on the next link up. */
static void
test_reconcile_on_connect(void **state)
{
	struct env *e = *state;
	struct ingest_put sp[2];
	uint8_t *env[2], id[2][FC_IDBYTES];
	size_t len[2];
	char ep[128], keyhex[2 * FC_PUBLICKEYBYTES + 1];

	e->b = make_node(e, "b", endpoint(e, "b", ep, sizeof(ep)), NULL, NULL);
	assert_non_null(e->b);
	report(e, "only on b", FENGHUO__KIND__REPORT, 0, &env[0], &len[0], id[0]);
	report(e, "only on a", FENGHUO__KIND__REPORT, 0, &env[1], &len[1], id[1]);
	memset(sp, 0, sizeof(sp));
	sp[0].env = env[0];
	sp[0].len = len[0];
	assert_int_equal(ingest_put_open(e->b->store, &sp[0], 1, now_wall()), 0);
	snprintf(keyhex, sizeof(keyhex), "%s", e->b->keyhex);
	e->a = make_node(e, "a", NULL, ep, keyhex);
	assert_non_null(e->a);
	sp[1].env = env[1];
	sp[1].len = len[1];
	assert_int_equal(ingest_put_open(e->a->store, &sp[1], 1, now_wall()), 0);
	assert_true(run_until(e, a_has, id[0]));
	assert_true(run_until(e, b_has, id[1]));
	assert_true(first_peer(e->a)->sync_rounds >= 1);
	assert_true(first_peer(e->a)->sync_bytes > 0);
	free(env[0]);
	free(env[1]);
}

static int
a_refused(struct env *e, void *arg)
{
	(void)arg;
	return strcmp(peer_state_name(first_peer(e->a)), "refused") == 0;
}

/* A configured peer that presents another key is refused, and nothing crashes. */
static void
test_wrong_key(void **state)
{
	struct env *e = *state;
	char ep[128], hex[2 * FC_PUBLICKEYBYTES + 1];
	uint8_t other[FC_PUBLICKEYBYTES];

	e->b = make_node(e, "b", endpoint(e, "b", ep, sizeof(ep)), NULL, NULL);
	assert_non_null(e->b);
	memset(other, 0x42, sizeof(other));
	e->a = make_node(e, "a", NULL, ep, fc_hex(other, sizeof(other), hex));
	assert_non_null(e->a);
	assert_true(run_until(e, a_refused, NULL));
	assert_false(peer_is_up(first_peer(e->a)));
}

/* A raw DEALER; with curve_to (a node's name), a CURVE client of that node with a new key. */
static void *
raw_dealer(struct env *e, const char *ep, const char *curve_to)
{
	void *s = zmq_socket(e->zctx, ZMQ_DEALER);
	int linger = 0, tmo = 0;
	struct fc_tkey *mine, *server;

	assert_non_null(s);
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof(tmo));
	if (curve_to != NULL) {
		assert_int_equal(fc_tkey_generate(&mine), 0);
		assert_int_equal(sec_curve_client(s, mine, tkey_of(e, curve_to, &server)), 0);
		fc_tkey_free(&mine);
		fc_tkey_free(&server);
	}
	assert_int_equal(zmq_connect(s, ep), 0);
	assert_true(e->nraw < 4);
	e->raw[e->nraw++] = s;
	return s;
}

/* A HELLO saying versions version to max; max 0 leaves protocol_max out (version 1 did). */
static void
send_hello_range(void *s, unsigned version, unsigned max, const uint8_t *key)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Hello h = FENGHUO__HELLO__INIT;
	uint8_t buf[256];
	size_t len;

	h.has_protocol_version = 1;
	h.protocol_version = version;
	h.has_protocol_max = max != 0;
	h.protocol_max = max;
	h.has_node_key = 1;
	h.node_key.data = (uint8_t *)(uintptr_t)key;
	h.node_key.len = FC_PUBLICKEYBYTES;
	h.name = (char *)(uintptr_t)"old\n\"node";
	f.msg_case = FENGHUO__FRAME__MSG_HELLO;
	f.hello = &h;
	len = fenghuo__frame__pack(&f, buf);
	assert_int_equal(zmq_send(s, buf, len, 0), (int)len);
}

static void
send_hello(void *s, unsigned version, const uint8_t *key)
{
	send_hello_range(s, version, 0, key);
}

/* Receive one frame on a raw socket while stepping the nodes. */
static int
raw_recv(struct env *e, void *s, uint8_t *buf, size_t size)
{
	uint64_t end = now_mono() + DEADLINE_MS;
	int n;

	while ((n = zmq_recv(s, buf, size, ZMQ_DONTWAIT)) < 0 && now_mono() < end)
		step(e);
	return n;
}

static int
b_garbage(struct env *e, void *arg)
{
	return e->b->unknown_frames + (first_peer(e->b) ? first_peer(e->b)->garbage : 0) >=
	    *(uint64_t *)arg;
}

/*
 * An outdated peer (protocol version 99) is answered with our HELLO and refused; garbage
 * before and after HELLO is counted and dropped; the node goes on serving a good peer.
 */
static void
test_bad_peer(void **state)
{
	struct env *e = *state;
	Fenghuo__Frame *f;
	uint8_t buf[4096], key[FC_PUBLICKEYBYTES];
	char ep[128];
	uint64_t want;
	void *s;
	int n;

	e->b = make_node(e, "b", endpoint(e, "b", ep, sizeof(ep)), NULL, NULL);
	assert_non_null(e->b);
	s = raw_dealer(e, ep, "b");
	/* Garbage before any HELLO. */
	assert_int_equal(zmq_send(s, "\xff\xff\xff", 3, 0), 3);
	want = 1;
	assert_true(run_until(e, b_garbage, &want));
	/* An outdated HELLO: refused, answered with our version. */
	memset(key, 7, sizeof(key));
	send_hello(s, 99, key);
	n = raw_recv(e, s, buf, sizeof(buf));
	assert_true(n > 0);
	f = wire_frame_unpack(buf, (size_t)n);
	assert_non_null(f);
	assert_int_equal(f->msg_case, FENGHUO__FRAME__MSG_HELLO);
	assert_int_equal(f->hello->protocol_version, WIRE_PROTOCOL_VERSION);
	assert_memory_equal(f->hello->node_key.data, fc_key_public(e->b->key), FC_PUBLICKEYBYTES);
	fenghuo__frame__free_unpacked(f, NULL);
	assert_non_null(first_peer(e->b));
	assert_string_equal(peer_state_name(first_peer(e->b)), "refused");
	/* The name it gave is made printable for logs and JSON. */
	assert_null(strchr(first_peer(e->b)->name, '\n'));
	assert_null(strchr(first_peer(e->b)->name, '"'));
	/* Frames on a refused link are ignored, a PUSH included. */
	assert_int_equal(zmq_send(s, "\x12\x00", 2, 0), 2);
	assert_int_equal(zmq_send(s, "garbage!", 8, 0), 8);
	want = 2;
	assert_true(run_until(e, b_garbage, &want));
	assert_int_equal(e->b->stored, 0);

	/* A good peer still gets through. */
	e->a = make_node(e, "a", NULL, ep, e->b->keyhex);
	assert_non_null(e->a);
	{
		uint64_t end = now_mono() + DEADLINE_MS;

		while (!peer_is_up(first_peer(e->a)) && now_mono() < end)
			step(e);
		assert_true(peer_is_up(first_peer(e->a)));
	}
}

/* The HELLO b answers on s: its version range, checked; the state of its peer afterwards. */
static void
expect_answer(struct env *e, void *s, const char *state)
{
	Fenghuo__Frame *f;
	uint8_t buf[4096];
	int n;

	n = raw_recv(e, s, buf, sizeof(buf));
	assert_true(n > 0);
	f = wire_frame_unpack(buf, (size_t)n);
	assert_non_null(f);
	assert_int_equal(f->msg_case, FENGHUO__FRAME__MSG_HELLO);
	assert_int_equal(f->hello->protocol_version, WIRE_PROTOCOL_MIN);
	assert_true(f->hello->has_protocol_max);
	assert_int_equal(f->hello->protocol_max, WIRE_PROTOCOL_MAX);
	fenghuo__frame__free_unpacked(f, NULL);
	assert_string_equal(peer_state_name(first_peer(e->b)), state);
}

/*
 * Version ranges (PROTOCOL.md §4, Versions): a peer whose range reaches past ours comes up
 * with the highest version both speak; one that sends protocol_version 1 alone (a node of
 * version 1) too; one whose range starts above ours is refused, and `peers` says why with
 * both ranges; a range upside down is refused. The same link comes up again after each.
 */
static void
test_version_range(void **state)
{
	struct env *e = *state;
	uint8_t key[FC_PUBLICKEYBYTES];
	char ep[128];
	void *s;

	e->b = make_node(e, "b", endpoint(e, "b", ep, sizeof(ep)), NULL, NULL);
	assert_non_null(e->b);
	s = raw_dealer(e, ep, "b");
	memset(key, 7, sizeof(key));
	send_hello_range(s, WIRE_PROTOCOL_MIN, WIRE_PROTOCOL_MAX + 5, key);
	expect_answer(e, s, "up");
	assert_int_equal(first_peer(e->b)->protocol_version, WIRE_PROTOCOL_MAX);

	send_hello_range(s, WIRE_PROTOCOL_MAX + 1, WIRE_PROTOCOL_MAX + 3, key);
	expect_answer(e, s, "refused");
	{
		char want[128];

		snprintf(want, sizeof(want), "no common protocol version: it speaks %d to %d, "
		    "we speak %d to %d", WIRE_PROTOCOL_MAX + 1, WIRE_PROTOCOL_MAX + 3,
		    WIRE_PROTOCOL_MIN, WIRE_PROTOCOL_MAX);
		assert_string_equal(first_peer(e->b)->why, want);
	}

	/* A node of version 1: protocol_version alone. */
	send_hello(s, 1, key);
	expect_answer(e, s, "up");
	assert_int_equal(first_peer(e->b)->protocol_version, 1);

	send_hello_range(s, 3, 2, key);
	expect_answer(e, s, "refused");
	assert_string_equal(first_peer(e->b)->why,
	    "HELLO with no valid protocol version range (3 to 2)");
	assert_int_equal(e->b->stored, 0);
}

/*
 * DESIGN decision 10 on a real link: a red warning queued after 1000 reports leaves first.
 * A raw ROUTER plays the peer, so the test sees the frames in the order A sends them.
 */
static void
test_priority_on_link(void **state)
{
	struct env *e = *state;
	struct fc_key *rawkey;
	Fenghuo__Frame *f;
	uint8_t rid[256], *buf, *env, id[FC_IDBYTES], red[FC_IDBYTES];
	char ep[128], hex[2 * FC_PUBLICKEYBYTES + 1];
	size_t len;
	void *r;
	int ridlen, n, i, found = 0;
	uint64_t end;

	buf = malloc(WIRE_FRAME_MAX);
	assert_non_null(buf);
	assert_int_equal(fc_key_generate(&rawkey), 0);
	r = zmq_socket(e->zctx, ZMQ_ROUTER);
	assert_non_null(r);
	e->raw[e->nraw++] = r;
	{
		/* a CURVE server, as every node is (no ZAP in this context) */
		struct fc_tkey *tk;
		int one = 1;

		(void)tkey_of(e, "raw", &tk);
		assert_int_equal(zmq_setsockopt(r, ZMQ_CURVE_SERVER, &one, sizeof(one)), 0);
		assert_int_equal(zmq_setsockopt(r, ZMQ_CURVE_SECRETKEY, fc_tkey_secret(tk),
		    FC_TKEYBYTES), 0);
		fc_tkey_free(&tk);
	}
	assert_int_equal(zmq_bind(r, endpoint(e, "raw", ep, sizeof(ep))), 0);
	e->a = make_node(e, "a", NULL, ep, fc_hex(fc_key_public(rawkey), FC_PUBLICKEYBYTES,
	    hex));
	assert_non_null(e->a);

	/* A's HELLO arrives; answer it as a current peer would. */
	end = now_mono() + DEADLINE_MS;
	while ((ridlen = zmq_recv(r, rid, sizeof(rid), ZMQ_DONTWAIT)) < 0 && now_mono() < end)
		step(e);
	assert_true(ridlen > 0);
	n = zmq_recv(r, buf, WIRE_FRAME_MAX, 0);
	f = wire_frame_unpack(buf, (size_t)n);
	assert_non_null(f);
	assert_int_equal(f->msg_case, FENGHUO__FRAME__MSG_HELLO);
	fenghuo__frame__free_unpacked(f, NULL);
	{
		Fenghuo__Frame hf = FENGHUO__FRAME__INIT;
		Fenghuo__Hello h = FENGHUO__HELLO__INIT;

		h.has_protocol_version = h.has_node_key = 1;
		h.protocol_version = WIRE_PROTOCOL_VERSION;
		h.node_key.data = (uint8_t *)(uintptr_t)fc_key_public(rawkey);
		h.node_key.len = FC_PUBLICKEYBYTES;
		h.name = (char *)(uintptr_t)"raw";
		hf.msg_case = FENGHUO__FRAME__MSG_HELLO;
		hf.hello = &h;
		len = fenghuo__frame__pack(&hf, buf);
		assert_true(zmq_send(r, rid, (size_t)ridlen, ZMQ_SNDMORE) >= 0);
		assert_true(zmq_send(r, buf, len, 0) >= 0);
	}
	end = now_mono() + DEADLINE_MS;
	while (!peer_is_up(first_peer(e->a)) && now_mono() < end)
		step(e);
	assert_true(peer_is_up(first_peer(e->a)));

	/* 1000 reports, then one red warning, queued before A's loop runs again. */
	for (i = 0; i < 1000; i++) {
		char title[32];

		snprintf(title, sizeof(title), "backlog %d", i);
		report(e, title, FENGHUO__KIND__REPORT, 0, &env, &len, id);
		assert_int_equal(peer_queue_envelope(e->a, first_peer(e->a), env, len, 0), 0);
		free(env);
	}
	report(e, "red", FENGHUO__KIND__WARNING, FENGHUO__LEVEL__RED, &env, &len, red);
	assert_int_equal(peer_queue_envelope(e->a, first_peer(e->a), env, len, 0), 0);
	free(env);

	/* The first PUSH that arrives starts with the red warning. */
	end = now_mono() + DEADLINE_MS;
	while (!found && now_mono() < end) {
		step(e);
		while (zmq_recv(r, rid, sizeof(rid), ZMQ_DONTWAIT) >= 0) {
			n = zmq_recv(r, buf, WIRE_FRAME_MAX, 0);
			assert_true(n > 0);
			f = wire_frame_unpack(buf, (size_t)n);
			assert_non_null(f);
			if (f->msg_case == FENGHUO__FRAME__MSG_PUSH && !found) {
				assert_true(f->push->n_envelopes > 0);
				assert_int_equal(fc_envelope_id(f->push->envelopes[0].data,
				    f->push->envelopes[0].len, id), 0);
				assert_memory_equal(id, red, FC_IDBYTES);
				assert_int_equal(f->push->n_hops, f->push->n_envelopes);
				found = 1;
			}
			fenghuo__frame__free_unpacked(f, NULL);
		}
	}
	assert_true(found);
	fc_key_free(&rawkey);
	free(buf);
}

static int
b_count(struct env *e, void *arg)
{
	uint64_t c = 0;

	return store_count(e->b->store, &c) == 0 && c >= *(uint64_t *)arg;
}

/*
 * A burst larger than one commit batch, one PUSH frame and ZeroMQ's high-water mark all
 * arrives, each message verified once on each side, and both stores end equal.
 */
static void
test_burst(void **state)
{
	struct env *e = *state;
	uint8_t *env, id[FC_IDBYTES], da[32], db[32];
	size_t len;
	uint64_t want = 3000, v0;
	uint64_t i;

	link_ab(e);
	v0 = fc_verify_count();
	for (i = 0; i < want; i++) {
		char title[32];

		snprintf(title, sizeof(title), "burst %llu", (unsigned long long)i);
		report(e, title, FENGHUO__KIND__REPORT, 0, &env, &len, id);
		assert_int_equal(gossip_add(e->a, env, len, &node_src), 0);
		free(env);
		if (gossip_pending_full(e->a))
			step(e);
	}
	assert_true(run_until(e, b_count, &want));
	assert_int_equal(e->a->stored, want);
	assert_int_equal(e->b->stored, want);
	assert_int_equal(fc_verify_count() - v0, 2 * want);
	assert_int_equal(store_digest(e->a->store, da), 0);
	assert_int_equal(store_digest(e->b->store, db), 0);
	assert_memory_equal(da, db, 32);
	assert_true(first_peer(e->a)->msgs_out < want);	/* batched into PUSH frames */
}

static int
all_up3(struct env *e, void *arg)
{
	struct node *ns[3] = { e->a, e->b, e->c };
	size_t i, j;

	(void)arg;
	for (i = 0; i < 3; i++) {
		if (ns[i]->npeers != 2)
			return 0;
		for (j = 0; j < 2; j++)
			if (!peer_is_up(ns[i]->peers[j]))
				return 0;
	}
	return 1;
}

static int
c_has(struct env *e, void *id)
{
	return store_has(e->c->store, id) == 1;
}

static int
bc_have_and_quiet(struct env *e, void *id)
{
	return b_has(e, id) && c_has(e, id) && node_queue_total(e->a) == 0 &&
	    node_queue_total(e->b) == 0 && node_queue_total(e->c) == 0;
}

/* Step a while, so that frames in flight land (used only where nothing is awaited). */
static void
settle(struct env *e)
{
	uint64_t end = now_mono() + 300;

	while (now_mono() < end)
		step(e);
}

/* Where make_node's config points for NAME's key (<dir>/NAME/node.key), directory made. */
static void
key_path(struct env *e, const char *name, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", e->dir, name);
	assert_true(mkdir(path, 0700) == 0 || errno == EEXIST);
	snprintf(path, size, "%s/%s/node.key", e->dir, name);
}

/* A node key for NAME, saved where make_node's config points, its public half in hex. */
static void
gen_key(struct env *e, const char *name, char hex[2 * FC_PUBLICKEYBYTES + 1])
{
	struct fc_key *k;
	char path[128];

	key_path(e, name, path, sizeof(path));
	assert_int_equal(fc_key_generate(&k), 0);
	fc_hex(fc_key_public(k), FC_PUBLICKEYBYTES, hex);
	assert_int_equal(fc_key_save(k, path), 0);
	fc_key_free(&k);
}

/* Keys for LO and HI such that LO's sorts first (two draws, the lower one given to LO). */
static void
gen_keys_ordered(struct env *e, const char *lo, char lo_hex[2 * FC_PUBLICKEYBYTES + 1],
    const char *hi, char hi_hex[2 * FC_PUBLICKEYBYTES + 1])
{
	char lo_path[128], hi_path[128], tmp[128];

	gen_key(e, lo, lo_hex);
	gen_key(e, hi, hi_hex);
	if (strcmp(lo_hex, hi_hex) < 0)		/* hex sorts as the key's bytes do */
		return;
	key_path(e, lo, lo_path, sizeof(lo_path));
	key_path(e, hi, hi_path, sizeof(hi_path));
	snprintf(tmp, sizeof(tmp), "%s/swap.key", e->dir);
	assert_int_equal(rename(lo_path, tmp), 0);
	assert_int_equal(rename(hi_path, lo_path), 0);
	assert_int_equal(rename(tmp, hi_path), 0);
	memcpy(tmp, lo_hex, 2 * FC_PUBLICKEYBYTES + 1);
	memcpy(lo_hex, hi_hex, 2 * FC_PUBLICKEYBYTES + 1);
	memcpy(hi_hex, tmp, 2 * FC_PUBLICKEYBYTES + 1);
}

/* The plumtree triangle a->b->c->a (each node dials the next), all links up. */
static void
triangle(struct env *e)
{
	char epa[128], epb[128], epc[128], ka[65], kb[65], kc[65];

	e->plumtree = 1;
	/* Keys first: each node's config names the next one's key. */
	gen_key(e, "a", ka);
	gen_key(e, "b", kb);
	gen_key(e, "c", kc);
	endpoint(e, "a", epa, sizeof(epa));
	endpoint(e, "b", epb, sizeof(epb));
	endpoint(e, "c", epc, sizeof(epc));
	e->a = make_node(e, "a", epa, epb, kb);
	e->b = make_node(e, "b", epb, epc, kc);
	e->c = make_node(e, "c", epc, epa, ka);
	assert_non_null(e->a);
	assert_non_null(e->b);
	assert_non_null(e->c);
	assert_true(run_until(e, all_up3, NULL));
}

/*
 * push = plumtree on a triangle a->b->c->a: the first message reaches b and c twice, so the
 * b-c link is pruned to ids only; the next message from a then costs no duplicate. With a
 * gone, a message from b crosses the lazy link by HAVE, a timed WANT and a GRAFT.
 */
static void
test_plumtree(void **state)
{
	struct env *e = *state;
	uint8_t *env, id[FC_IDBYTES];
	size_t len;
	uint64_t dup;
	struct peer *cb;

	triangle(e);

	report(e, "first", FENGHUO__KIND__REPORT, 0, &env, &len, id);
	assert_int_equal(gossip_add(e->a, env, len, &node_src), 0);
	free(env);
	assert_true(run_until(e, bc_have_and_quiet, id));
	settle(e);
	/* b and c each got a second full copy from the other and pruned it. */
	assert_true(e->b->duplicates + e->c->duplicates >= 1);

	dup = e->b->duplicates + e->c->duplicates;
	report(e, "second", FENGHUO__KIND__REPORT, 0, &env, &len, id);
	assert_int_equal(gossip_add(e->a, env, len, &node_src), 0);
	free(env);
	assert_true(run_until(e, bc_have_and_quiet, id));
	settle(e);
	assert_int_equal(e->b->duplicates + e->c->duplicates, dup);

	/* a goes; b's next message reaches c over the pruned link. */
	node_free(&e->a);
	cb = peer_find_key(e->c, e->b->key != NULL ? fc_key_public(e->b->key) : NULL);
	assert_non_null(cb);
	report(e, "third", FENGHUO__KIND__REPORT, 0, &env, &len, id);
	assert_int_equal(gossip_add(e->b, env, len, &node_src), 0);
	free(env);
	assert_true(run_until(e, c_has, id));
	/* Either c had pruned b (HAVE, WANT, GRAFT) or b had pruned c and c's copy was full. */
	assert_true(cb->grafts >= 1 || !cb->lazy_in);
}

static int
lazy_out_set(struct env *e, void *arg)
{
	(void)e;
	return ((struct peer *)arg)->lazy_out;
}

/*
 * A PRUNE overtaken by an older answer (the crossing of two nodes pruning each other): x
 * pruned y, then y hears a stale "eager" HELLO from x and goes back to full messages. The
 * next full copy from y makes x say PRUNE again, and the link is lazy once more.
 */
static void
test_plumtree_stale_caps(void **state)
{
	struct env *e = *state;
	struct node *x = NULL, *y = NULL;
	struct peer *px = NULL, *py;
	struct link *l;
	uint8_t *env, *hello, id[FC_IDBYTES];
	size_t len, hlen;

	triangle(e);
	report(e, "first", FENGHUO__KIND__REPORT, 0, &env, &len, id);
	assert_int_equal(gossip_add(e->a, env, len, &node_src), 0);
	assert_true(run_until(e, bc_have_and_quiet, id));
	settle(e);
	/*
	 * Someone got a second copy and pruned its sender: usually b or c pruned the other,
	 * but on a loaded machine a->b->c can beat a->c, and then c prunes a.
	 */
	{
		struct node *all[3] = { e->a, e->b, e->c };
		int i, j;

		for (i = 0; i < 3 && x == NULL; i++)
			for (j = 0; j < 3 && x == NULL; j++)
				if (i != j && (px = peer_find_key(all[i],
				    fc_key_public(all[j]->key))) != NULL && px->lazy_in) {
					x = all[i];
					y = all[j];
				}
	}
	assert_non_null(x);
	py = peer_find_key(y, fc_key_public(x->key));
	assert_non_null(py);
	assert_true(py->lazy_out);

	/* The stale answer: x's capabilities from before its PRUNE, arriving after it. */
	assert_int_equal(node_hello(x, CAP_EAGER, &hello, &hlen), 0);
	l = py->out.state == LINK_UP ? &py->out : &py->in;
	peer_recv(y, py, l, hello, hlen);
	free(hello);
	assert_false(py->lazy_out);
	assert_true(px->lazy_in);

	/*
	 * y now sends x full copies again. Older than NODE_GRAFT_MS, x's PRUNE may be said
	 * again: backdate it rather than wait.
	 */
	px->caps_tx = 0;
	assert_int_equal(peer_queue_envelope(y, py, env, len, 0), 0);
	assert_true(run_until(e, lazy_out_set, py));
	assert_true(px->lazy_in);
	free(env);
}

static int
ab_both_ways(struct env *e, void *arg)
{
	struct peer *pa = first_peer(e->a), *pb = first_peer(e->b);

	(void)arg;
	return pa != NULL && pb != NULL && e->a->npeers == 1 && e->b->npeers == 1 &&
	    pa->out.state == LINK_UP && pa->in.state == LINK_UP &&
	    pb->out.state == LINK_UP && pb->in.state == LINK_UP;
}

static int
rounds_at_least(struct env *e, void *arg)
{
	(void)e;
	return ((struct peer *)arg)->sync_rounds >= 4;
}

/*
 * Two nodes configured both ways: each dials the other, yet only one reconciles (the lower
 * key), on link up and every sync_interval; the other never starts a round, so no message
 * is pushed twice by two rounds.
 */
static void
test_sync_one_side(void **state)
{
	struct env *e = *state;
	char epa[128], epb[128], ka[65], kb[65];
	struct peer *pa, *pb;

	e->extra = "sync_interval = 1\n";
	gen_keys_ordered(e, "a", ka, "b", kb);	/* a's key is the lower: a reconciles */
	endpoint(e, "a", epa, sizeof(epa));
	endpoint(e, "b", epb, sizeof(epb));
	e->a = make_node(e, "a", epa, epb, kb);
	e->b = make_node(e, "b", epb, epa, ka);
	assert_non_null(e->a);
	assert_non_null(e->b);
	assert_true(run_until(e, ab_both_ways, NULL));
	pa = first_peer(e->a);
	pb = first_peer(e->b);
	assert_true(pa->configured && pb->configured);
	/* Past b's deferred link-up decision (NODE_SYNC_DEFER_MS), and periodic rounds too. */
	assert_true(run_until(e, rounds_at_least, pa));
	assert_int_equal(pb->sync_rounds, 0);
	assert_true(pb->sync_bytes > 0);	/* it answered a's rounds */
}

/*
 * Only the higher-key node dials: it waits for a dial of the peer's own that never comes,
 * then reconciles itself: a pair is never left without rounds.
 */
static void
test_sync_higher_dials(void **state)
{
	struct env *e = *state;
	struct ingest_put sp;
	uint8_t *env, id[FC_IDBYTES];
	char epb[128], ka[65], kb[65];
	size_t len;

	gen_keys_ordered(e, "a", ka, "b", kb);	/* a is the lower; b dials a */
	endpoint(e, "b", epb, sizeof(epb));
	e->b = make_node(e, "b", NULL, endpoint(e, "a", epb, sizeof(epb)), ka);
	assert_non_null(e->b);
	report(e, "only on a", FENGHUO__KIND__REPORT, 0, &env, &len, id);
	memset(&sp, 0, sizeof(sp));
	sp.env = env;
	sp.len = len;
	e->a = make_node(e, "a", epb, NULL, NULL);
	assert_non_null(e->a);
	assert_int_equal(ingest_put_open(e->a->store, &sp, 1, now_wall()), 0);
	assert_true(run_until(e, b_has, id));
	assert_int_equal(first_peer(e->b)->sync_rounds, 1);
	assert_int_equal(first_peer(e->a)->sync_rounds, 0);
	free(env);
}

static int
a_down(struct env *e, void *arg)
{
	(void)arg;
	return !peer_is_up(first_peer(e->a));
}

static uint64_t rounds_before;

static int
rounds_more(struct env *e, void *arg)
{
	(void)e;
	return ((struct peer *)arg)->sync_rounds > rounds_before;
}

/*
 * B restarts: A notices the disconnection, reconnects, says HELLO again (B's new process
 * knows nothing of it), and gossip and reconciliation resume.
 */
static void
test_peer_restart(void **state)
{
	struct env *e = *state;
	uint8_t *env, id[FC_IDBYTES];
	char ep[128];
	size_t len;

	link_ab(e);
	node_free(&e->b);
	assert_true(run_until(e, a_down, NULL));
	/* Written on A while B is away: reconciliation carries it when B is back. */
	report(e, "while b was away", FENGHUO__KIND__REPORT, 0, &env, &len, id);
	assert_int_equal(gossip_add(e->a, env, len, &node_src), 0);
	free(env);
	step(e);
	rounds_before = first_peer(e->a)->sync_rounds;
	e->b = make_node(e, "b", endpoint(e, "b", ep, sizeof(ep)), NULL, NULL);
	assert_non_null(e->b);
	assert_true(run_until(e, both_up, NULL));
	assert_true(run_until(e, b_has, id));
	/*
	 * A reconciles on the new link: at once when its key is the lower, else after
	 * NODE_SYNC_DEFER_MS (B does not dial A, so the round stays A's).
	 */
	assert_true(run_until(e, rounds_more, first_peer(e->a)));
}

/* One control request; returns the decoded JSON reply (caller decrefs). */
static json_t *
ctl_call(struct env *e, void *s, const char *req, const uint8_t *part2, size_t len2)
{
	uint8_t buf[65536];
	json_error_t jerr;
	json_t *r;
	int n;

	assert_true(zmq_send(s, req, strlen(req), part2 != NULL ? ZMQ_SNDMORE : 0) >= 0);
	if (part2 != NULL)
		assert_true(zmq_send(s, part2, len2, 0) >= 0);
	n = raw_recv(e, s, buf, sizeof(buf));
	assert_true(n > 0);
	r = json_loadb((const char *)buf, (size_t)n, 0, &jerr);
	assert_non_null(r);
	return r;
}

/* The control socket: submit (new, duplicate, rejected), status, peers, watch, stop. */
static void
test_ctl(void **state)
{
	struct env *e = *state;
	uint8_t *env, id[FC_IDBYTES], buf[65536];
	char ep[160], idhex[FC_IDHEX];
	size_t len;
	json_t *r;
	void *s, *w;
	int n;

	/* The counts below are of the submitted warning alone: no delivery receipts. */
	e->extra = "confirm_warnings = no\n";
	link_ab(e);
	snprintf(ep, sizeof(ep), "ipc://%s/a/fenghuod.sock", e->dir);
	s = raw_dealer(e, ep, NULL);
	w = raw_dealer(e, ep, NULL);
	r = ctl_call(e, w, "{\"cmd\":\"watch\"}", NULL, 0);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);

	report(e, "submitted", FENGHUO__KIND__WARNING, FENGHUO__LEVEL__RED, &env, &len, id);
	fc_hex(id, FC_IDBYTES, idhex);
	r = ctl_call(e, s, "{\"cmd\":\"submit\"}", env, len);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(r, "status")), "new");
	assert_string_equal(json_string_value(json_object_get(r, "id")), idhex);
	json_decref(r);
	/* Acknowledged means stored. */
	assert_int_equal(store_has(e->a->store, id), 1);

	/* The watcher hears of it: event + envelope. */
	n = raw_recv(e, w, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr((const char *)buf, idhex));
	n = zmq_recv(w, buf, sizeof(buf), 0);
	assert_int_equal(n, (int)len);
	assert_memory_equal(buf, env, len);

	r = ctl_call(e, s, "{\"cmd\":\"submit\"}", env, len);
	assert_string_equal(json_string_value(json_object_get(r, "status")), "duplicate");
	json_decref(r);
	/* Another body (another id) under the old signature. */
	{
		size_t i;

		for (i = 0; i + 9 <= len && memcmp(env + i, "submitted", 9) != 0; i++)
			;
		assert_true(i + 9 <= len);
		env[i] ^= 1;
	}
	r = ctl_call(e, s, "{\"cmd\":\"submit\"}", env, len);
	assert_string_equal(json_string_value(json_object_get(r, "status")), "rejected");
	assert_string_equal(json_string_value(json_object_get(r, "reason")),
	    fc_reason_name(FC_R_BAD_SIG));
	json_decref(r);
	r = ctl_call(e, s, "{\"cmd\":\"submit\"}", NULL, 0);
	assert_true(json_is_false(json_object_get(r, "ok")));
	json_decref(r);
	r = ctl_call(e, s, "not json", NULL, 0);
	assert_true(json_is_false(json_object_get(r, "ok")));
	json_decref(r);
	r = ctl_call(e, s, "{\"cmd\":\"dance\"}", NULL, 0);
	assert_true(json_is_false(json_object_get(r, "ok")));
	json_decref(r);

	r = ctl_call(e, s, "{\"cmd\":\"status\"}", NULL, 0);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(r, "name")), "a");
	assert_string_equal(json_string_value(json_object_get(r, "key")), e->a->keyhex);
	assert_int_equal(json_integer_value(json_object_get(r, "messages")), 1);
	assert_int_equal(json_integer_value(json_object_get(r, "stored")), 1);
	assert_int_equal(json_integer_value(json_object_get(r, "duplicates")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "rejected"),
	    fc_reason_name(FC_R_BAD_SIG))), 1);
	assert_int_equal(json_array_size(json_object_get(r, "peers")), 1);
	json_decref(r);

	r = ctl_call(e, s, "{\"cmd\":\"peers\"}", NULL, 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(r, "peers"), 0), "state")), "up");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(r, "peers"), 0), "key")), e->b->keyhex);
	json_decref(r);

	/* The red warning went on to B. */
	assert_true(run_until(e, b_has, id));

	r = ctl_call(e, s, "{\"cmd\":\"stop\"}", NULL, 0);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	assert_true(node_stopping(e->a));
	free(env);
}

/* A second daemon on the same state directory is refused (the pid file is a lock). */
static void
test_one_per_state(void **state)
{
	struct env *e = *state;
	char ep[128];

	e->a = make_node(e, "a", endpoint(e, "a", ep, sizeof(ep)), NULL, NULL);
	assert_non_null(e->a);
	e->b = make_node(e, "a", endpoint(e, "a2", ep, sizeof(ep)), NULL, NULL);
	assert_null(e->b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_push, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_inbound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_on_connect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_on_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plumtree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plumtree_stale_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_one_side, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_higher_dials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_per_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_author_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_startup_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
	};

	if (fc_init() != 0)
		return 1;
	log_init(getenv("FH_TEST_DEBUG") != NULL ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
