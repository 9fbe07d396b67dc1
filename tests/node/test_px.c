/*
 * test_px.c: peer exchange (node/px.c).
 *
 * The known-node table and its dialling order are plain data: nearest region first (longest
 * common prefix of region codes), ties to the most recent announcement, newest announcement
 * per author, expiry. Then whole nodes (real LMDB in a temporary directory, no sockets
 * dialled): a node announces itself at its first start, not again at a restart with the same
 * endpoints, again when they changed; its table is built from the store (without itself and
 * its configured peers) and follows new ANNOUNCE messages as they are stored.
 */
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

#include "node.h"

#define HOUR_MS		(3600ULL * 1000)

static struct px_known
known(uint8_t keybyte, const char *region, uint64_t announced_ms)
{
	struct px_known k;

	memset(&k, 0, sizeof(k));
	memset(k.key, keybyte, sizeof(k.key));
	snprintf(k.region, sizeof(k.region), "%s", region);
	snprintf(k.name, sizeof(k.name), "n%u", keybyte);
	snprintf(k.endpoints[0], sizeof(k.endpoints[0]), "tcp://127.0.0.1:%u", 7400u + keybyte);
	k.nendpoints = 1;
	k.announced_ms = announced_ms;
	return k;
}

static void
test_common_prefix(void **state)
{
	(void)state;
	assert_int_equal(px_common_prefix("330110101001", "330110101002"), 11);
	assert_int_equal(px_common_prefix("330110101001", "330110"), 6);
	assert_int_equal(px_common_prefix("330110", "330110101001"), 6);
	assert_int_equal(px_common_prefix("330110101", "330111"), 5);
	assert_int_equal(px_common_prefix("44", "33"), 0);
	assert_int_equal(px_common_prefix("", "33"), 0);
}

/* A village whose township is lost: its sibling village, then the townships, then counties. */
static void
test_order_nearest_first(void **state)
{
	struct px_table t = { 0 };
	struct px_known k[6];
	size_t idx[8], n, i;
	const char *want[] = { "n2", "n3", "n6", "n4", "n5" };

	(void)state;
	k[0] = known(1, "330111", 900);		/* another county, newest of all */
	k[1] = known(2, "330110101002", 100);	/* sibling village */
	k[2] = known(3, "330110101", 50);	/* own township */
	k[3] = known(4, "330110", 300);		/* the county */
	k[4] = known(5, "330110", 200);		/* the county's second server, older */
	k[5] = known(6, "330110102", 10);	/* the neighbouring township */
	for (i = 0; i < 6; i++)
		assert_int_equal(px_table_put(&t, &k[i]), 1);

	n = px_order(&t, "330110101001", idx, 8);
	assert_int_equal(n, 6);
	/* 11, 9, 7 common digits; then the two county servers (6), newest first; then 5. */
	for (i = 0; i < 5; i++)
		assert_string_equal(t.v[idx[i]].name, want[i]);
	assert_string_equal(t.v[idx[5]].name, "n1");

	/* At most max, and the same leaders. */
	n = px_order(&t, "330110101001", idx, 2);
	assert_int_equal(n, 2);
	assert_string_equal(t.v[idx[0]].name, "n2");
	assert_string_equal(t.v[idx[1]].name, "n3");

	/* Seen from the other county everything of 330110 is equally far: newest first. */
	n = px_order(&t, "330111", idx, 8);
	assert_int_equal(n, 6);
	assert_string_equal(t.v[idx[0]].name, "n1");
	assert_string_equal(t.v[idx[1]].name, "n4");
	assert_string_equal(t.v[idx[2]].name, "n5");
	assert_string_equal(t.v[idx[3]].name, "n2");

	assert_int_equal(px_order(&t, "330110", idx, 0), 0);
	px_table_free(&t);
	assert_int_equal(px_order(&t, "330110", idx, 8), 0);
}

static void
test_table_newest_per_author(void **state)
{
	struct px_table t = { 0 };
	struct px_known a = known(7, "330110101", 1000), b;
	struct px_known *e;

	(void)state;
	assert_int_equal(px_table_put(&t, &a), 1);
	/* An older (or the same) announcement arriving late changes nothing. */
	b = known(7, "330110102", 999);
	assert_int_equal(px_table_put(&t, &b), 0);
	b.announced_ms = 1000;
	assert_int_equal(px_table_put(&t, &b), 0);
	assert_int_equal(t.n, 1);
	assert_non_null(e = px_table_find(&t, a.key));
	assert_string_equal(e->region, "330110101");

	/* A newer one replaces it, but what this node learnt by dialling stays. */
	e->failed_at = 42;
	b.announced_ms = 2000;
	snprintf(b.endpoints[0], sizeof(b.endpoints[0]), "tcp://10.0.0.7:7400");
	assert_int_equal(px_table_put(&t, &b), 1);
	assert_int_equal(t.n, 1);
	assert_non_null(e = px_table_find(&t, a.key));
	assert_string_equal(e->region, "330110102");
	assert_string_equal(e->endpoints[0], "tcp://10.0.0.7:7400");
	assert_int_equal(e->failed_at, 42);

	/* Another author is another entry; removal. */
	b = known(8, "330110", 5);
	assert_int_equal(px_table_put(&t, &b), 1);
	assert_int_equal(t.n, 2);
	assert_int_equal(px_table_remove(&t, a.key), 1);
	assert_int_equal(px_table_remove(&t, a.key), 0);
	assert_null(px_table_find(&t, a.key));
	assert_non_null(px_table_find(&t, b.key));
	px_table_free(&t);
}

static void
test_table_expire_and_bound(void **state)
{
	struct px_table t = { 0 };
	struct px_known k;
	unsigned i;

	(void)state;
	k = known(1, "330110", 10);
	k.expires_ms = 1000;
	assert_int_equal(px_table_put(&t, &k), 1);
	k = known(2, "330110", 10);	/* never expires */
	assert_int_equal(px_table_put(&t, &k), 1);
	assert_int_equal(px_table_expire(&t, 999), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(px_table_expire(&t, 1000), 1);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.v[0].key[0], 2);
	px_table_free(&t);

	/* Full: the oldest announcement makes room for a newer one, never for an older. */
	for (i = 0; i < PX_KNOWN_MAX; i++) {
		k = known(0, "330110", 100 + i);
		memcpy(k.key, &i, sizeof(i));
		k.key[31] = 0xee;
		assert_int_equal(px_table_put(&t, &k), 1);
	}
	k = known(0xff, "330110", 50);
	assert_int_equal(px_table_put(&t, &k), 0);
	assert_int_equal(t.n, PX_KNOWN_MAX);
	k.announced_ms = 100000;
	assert_int_equal(px_table_put(&t, &k), 1);
	assert_int_equal(t.n, PX_KNOWN_MAX);
	assert_non_null(px_table_find(&t, k.key));
	i = 0;
	k = known(0, "330110", 0);
	memcpy(k.key, &i, sizeof(i));
	k.key[31] = 0xee;
	assert_null(px_table_find(&t, k.key));	/* announced at 100, the oldest */
	px_table_free(&t);
}

/* ---- announcements as bodies and envelopes -------------------------------------------- */

static void
body_announce(Fenghuo__Body *b, Fenghuo__Announce *a, const struct fc_key *key,
    const char *region, uint64_t created, char **eps, size_t neps, const char *name)
{
	fenghuo__body__init(b);
	fenghuo__announce__init(a);
	a->n_endpoints = neps;
	a->endpoints = eps;
	a->name = (char *)(uintptr_t)name;
	b->has_version = 1;
	b->version = WIRE_BODY_VERSION;
	b->has_kind = 1;
	b->kind = FENGHUO__KIND__ANNOUNCE;
	b->has_author = 1;
	b->author.data = (uint8_t *)(uintptr_t)fc_key_public(key);
	b->author.len = FC_PUBLICKEYBYTES;
	b->has_created_ms = 1;
	b->created_ms = created;
	b->has_expires_ms = 1;
	b->expires_ms = created + PX_ANNOUNCE_TTL_MS;
	b->region = (char *)(uintptr_t)region;
	b->announce = a;
}

/* A signed ANNOUNCE envelope; caller frees *env. */
static void
seal_announce(const struct fc_key *key, const char *region, uint64_t created,
    const char *endpoint, const char *name, uint8_t **env, size_t *len)
{
	Fenghuo__Body b;
	Fenghuo__Announce a;
	char *eps[1] = { (char *)(uintptr_t)endpoint };
	uint8_t *body;
	size_t blen;

	body_announce(&b, &a, key, region, created, eps, 1, name);
	blen = fenghuo__body__get_packed_size(&b);
	assert_non_null(body = malloc(blen));
	fenghuo__body__pack(&b, body);
	assert_int_equal(fc_envelope_seal(key, body, blen, env, len), 0);
	free(body);
}

static void
test_known_from_body(void **state)
{
	Fenghuo__Body b;
	Fenghuo__Announce a;
	struct fc_key *key;
	struct px_known k;
	char e0[] = "http://example.org/", e1[] = "tcp://10.1.2.3:7400", e2[] = "tcp://*:7400";
	char e3[] = "tcp://0.0.0.0:7400";
	char name1[] = "平窑镇", name2[] = "a \"b\"";
	char *eps[4] = { e0, e1, e2, e3 };
	uint8_t tkey[32];

	(void)state;
	assert_int_equal(fc_key_generate(&key), 0);
	body_announce(&b, &a, key, "330110102", 12345, eps, 4, name1);
	memset(tkey, 0x5a, sizeof(tkey));
	a.has_transport_key = 1;
	a.transport_key.data = tkey;
	a.transport_key.len = sizeof(tkey);
	assert_int_equal(px_known_from_body(&b, &k), 0);
	/* Only what could be dialled is kept. */
	assert_int_equal(k.nendpoints, 1);
	assert_string_equal(k.endpoints[0], "tcp://10.1.2.3:7400");
	assert_string_equal(k.name, "平窑镇");
	assert_string_equal(k.region, "330110102");
	assert_int_equal(k.announced_ms, 12345);
	assert_int_equal(k.expires_ms, 12345 + PX_ANNOUNCE_TTL_MS);
	assert_memory_equal(k.key, fc_key_public(key), FC_PUBLICKEYBYTES);
	assert_true(k.has_tkey);
	assert_memory_equal(k.tkey, tkey, sizeof(tkey));

	/* A name that a log line or JSON would choke on is dropped, not the node. */
	a.name = name2;
	assert_int_equal(px_known_from_body(&b, &k), 0);
	assert_string_equal(k.name, "");

	/* Nothing to dial: not a known node. */
	a.n_endpoints = 1;
	assert_int_equal(px_known_from_body(&b, &k), -1);
	/* Another kind. */
	a.n_endpoints = 4;
	b.kind = FENGHUO__KIND__REPORT;
	assert_int_equal(px_known_from_body(&b, &k), -1);
	fc_key_free(&key);
}

/* ---- whole nodes ------------------------------------------------------------------------ */

struct env {
	char		 dir[64];
};

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	snprintf(e->dir, sizeof(e->dir), "/tmp/fh-test-px.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", e->dir);
	free(e);
	return 0;
}

/*
 * A node with an ipc:// listener; announce as given (NULL: no announce line). The trust
 * policy is kept out of the way with [trust] open = yes where this build knows [trust].
 */
static struct node *
make_node(struct env *e, const char *announce, const char *peer_key)
{
	char path[128];
	struct conf *conf;
	FILE *fp, *devnull;
	int trust;

	snprintf(path, sizeof(path), "%s/a.conf", e->dir);
	for (trust = 1; trust >= 0; trust--) {
		assert_non_null(fp = fopen(path, "w"));
		if (trust)
			fprintf(fp, "[trust]\nopen = yes\n");
		fprintf(fp, "[node]\nname = a\nregion = 330110101001\nkey = %s/a/node.key\n"
		    "state = %s/a\nlisten = ipc://%s/a.peer\n", e->dir, e->dir, e->dir);
		if (announce != NULL)
			fprintf(fp, "announce = %s\n", announce);
		if (peer_key != NULL)
			fprintf(fp, "[peer township]\naddress = ipc://%s/nowhere\nkey = %s\n",
			    e->dir, peer_key);
		fclose(fp);
		assert_non_null(devnull = fopen("/dev/null", "w"));
		if (conf_load(path, trust ? devnull : stderr, &conf) == 0) {
			fclose(devnull);
			return node_new(conf);
		}
		fclose(devnull);
	}
	fail_msg("%s does not load", path);
	return NULL;
}

/* Announcements by this node's key in its store. */
static int
count_own(void *ctx, const struct store_view *v)
{
	struct { const uint8_t *key; int n; } *c = ctx;
	const uint8_t *body, *sig;
	size_t blen, slen;
	Fenghuo__Body *b;

	assert_int_equal(fc_envelope_split(v->env, v->len, &body, &blen, &sig, &slen), 0);
	assert_non_null(b = wire_body_unpack(body, blen));
	if (memcmp(b->author.data, c->key, FC_PUBLICKEYBYTES) == 0)
		c->n++;
	fenghuo__body__free_unpacked(b, NULL);
	return 0;
}

static int
own_announcements(struct node *n)
{
	struct { const uint8_t *key; int n; } c = { fc_key_public(n->key), 0 };

	assert_int_equal(store_iter_time(n->store, 0, 0, FENGHUO__KIND__ANNOUNCE, 0, count_own,
	    &c), 0);
	return c.n;
}

/* The node's newest announcement carries its CurveZMQ transport key (when it has one). */
static int
check_tkey(void *ctx, const struct store_view *v)
{
	struct node *n = ctx;
	const uint8_t *body, *sig;
	size_t blen, slen;
	Fenghuo__Body *b;

	assert_int_equal(fc_envelope_split(v->env, v->len, &body, &blen, &sig, &slen), 0);
	assert_non_null(b = wire_body_unpack(body, blen));
	assert_non_null(b->announce);
	assert_string_equal(b->announce->name, "a");
	assert_string_equal(b->region, "330110101001");
	assert_true(b->expires_ms - b->created_ms == PX_ANNOUNCE_TTL_MS);
	if (n->tkey != NULL) {
		assert_true(b->announce->has_transport_key);
		assert_int_equal(b->announce->transport_key.len, FC_TKEYBYTES);
		assert_memory_equal(b->announce->transport_key.data, fc_tkey_public(n->tkey),
		    FC_TKEYBYTES);
	}
	fenghuo__body__free_unpacked(b, NULL);
	return 1;	/* the newest only */
}

static void
test_node_announces_when_due(void **state)
{
	struct env *e = *state;
	struct node *n;
	char ep[128], dir[128];

	snprintf(dir, sizeof(dir), "%s/a", e->dir);
	snprintf(ep, sizeof(ep), "ipc://%s/a.peer", e->dir);
	/* ipc:// is not announced unless listed: this node has nothing to announce. */
	assert_non_null(n = make_node(e, NULL, NULL));
	node_step(n, 0);
	assert_int_equal(own_announcements(n), 0);
	node_free(&n);

	/* First announcement. */
	assert_non_null(n = make_node(e, ep, NULL));
	node_step(n, 0);
	assert_int_equal(own_announcements(n), 1);
	assert_int_equal(n->stored, 1);
	assert_int_equal(n->px.n, 0);	/* never itself */
	assert_true(n->px_announced_ms != 0);
	assert_int_equal(store_iter_time(n->store, 0, 0, FENGHUO__KIND__ANNOUNCE, 1, check_tkey,
	    n), 1);
	node_free(&n);

	/* A restart with the same endpoints: the stored one is fresh, nothing new. */
	assert_non_null(n = make_node(e, ep, NULL));
	node_step(n, 0);
	assert_int_equal(n->stored, 0);
	assert_int_equal(own_announcements(n), 1);
	node_free(&n);

	/* Endpoints changed: announced again. */
	assert_non_null(n = make_node(e, "tcp://192.0.2.1:7400", NULL));
	node_step(n, 0);
	assert_int_equal(n->stored, 1);
	assert_int_equal(own_announcements(n), 2);
	node_free(&n);

	/* announce = none: nothing, whatever the listeners. */
	assert_non_null(n = make_node(e, "none", NULL));
	node_step(n, 0);
	assert_int_equal(n->stored, 0);
	node_free(&n);
}

/* The endpoints a HELLO carries: n's. */
static void
hello_endpoints(struct node *n, size_t *count, char first[128])
{
	Fenghuo__Frame *f;
	uint8_t *buf;
	size_t len;

	assert_int_equal(node_hello(n, CAP_EAGER, &buf, &len), 0);
	assert_non_null(f = wire_frame_unpack(buf, len));
	assert_non_null(f->hello);
	*count = f->hello->n_endpoints;
	first[0] = '\0';
	if (*count > 0)
		snprintf(first, 128, "%s", f->hello->endpoints[0]);
	fenghuo__frame__free_unpacked(f, NULL);
	free(buf);
}

/*
 * HELLO says where the node can be dialled exactly as its ANNOUNCE does: the announce list,
 * or nothing for an ipc:// listener (only this machine reaches it).
 */
static void
test_hello_endpoints(void **state)
{
	struct env *e = *state;
	struct node *n;
	char first[128];
	size_t count;

	assert_non_null(n = make_node(e, NULL, NULL));
	hello_endpoints(n, &count, first);
	assert_int_equal(count, 0);
	node_free(&n);
	assert_non_null(n = make_node(e, "tcp://192.0.2.1:7400,tcp://192.0.2.2:7400", NULL));
	hello_endpoints(n, &count, first);
	assert_int_equal(count, 2);
	assert_string_equal(first, "tcp://192.0.2.1:7400");
	node_free(&n);
	assert_non_null(n = make_node(e, "none", NULL));
	hello_endpoints(n, &count, first);
	assert_int_equal(count, 0);
	node_free(&n);
}

static void
put(struct store *st, const uint8_t *env, size_t len)
{
	struct ingest_put sp = { .env = env, .len = len };

	assert_int_equal(ingest_put_open(st, &sp, 1, now_wall()), 0);
	assert_int_equal(sp.status, INGEST_NEW);
}

static void
test_node_table(void **state)
{
	struct env *e = *state;
	struct fc_key *near, *far, *township, *late;
	struct store *st;
	struct node *n;
	struct px_known *k;
	char dir[128], hex[2 * FC_PUBLICKEYBYTES + 1];
	uint8_t *env;
	size_t len, idx[4];
	uint64_t now = now_wall();

	assert_int_equal(fc_key_generate(&near), 0);
	assert_int_equal(fc_key_generate(&far), 0);
	assert_int_equal(fc_key_generate(&township), 0);
	assert_int_equal(fc_key_generate(&late), 0);
	snprintf(dir, sizeof(dir), "%s/a", e->dir);
	assert_int_equal(mkdir(dir, 0700), 0);

	/* Announcements gossiped to this node earlier: in its store before it starts. */
	assert_int_equal(store_open(dir, 0, &st), 0);
	seal_announce(near, "330110101002", now - 2 * HOUR_MS, "tcp://10.0.0.2:7400", "v2",
	    &env, &len);
	put(st, env, len);
	free(env);
	seal_announce(near, "330110101002", now - HOUR_MS, "tcp://10.0.0.22:7400", "v2",
	    &env, &len);
	put(st, env, len);
	free(env);
	seal_announce(far, "330110", now - 3 * HOUR_MS, "tcp://10.0.0.1:7400", "county",
	    &env, &len);
	put(st, env, len);
	free(env);
	seal_announce(township, "330110101", now - HOUR_MS, "tcp://10.0.0.3:7400", "t1",
	    &env, &len);
	put(st, env, len);
	free(env);
	store_close(&st);

	/* The township is a configured peer: not in the table. */
	fc_hex(fc_key_public(township), FC_PUBLICKEYBYTES, hex);
	assert_non_null(n = make_node(e, "none", hex));
	assert_int_equal(n->px.n, 2);
	assert_null(px_table_find(&n->px, fc_key_public(township)));
	assert_non_null(k = px_table_find(&n->px, fc_key_public(near)));
	assert_string_equal(k->endpoints[0], "tcp://10.0.0.22:7400");	/* the newer one */
	assert_string_equal(k->name, "v2");
	assert_non_null(px_table_find(&n->px, fc_key_public(far)));
	assert_int_equal(px_order(&n->px, n->conf->region, idx, 4), 2);
	assert_string_equal(n->px.v[idx[0]].name, "v2");
	assert_string_equal(n->px.v[idx[1]].name, "county");

	/* A new ANNOUNCE arriving from a peer updates the table once it is stored. */
	seal_announce(late, "330110102", now, "tcp://10.0.0.4:7400", "t2", &env, &len);
	assert_int_equal(gossip_add(n, env, len, &(struct ingest_src){ INGEST_PEER, fc_key_public(far), 1, 0 }), 0);
	free(env);
	node_step(n, 0);
	assert_int_equal(n->stored, 1);
	assert_int_equal(n->px.n, 3);
	assert_non_null(k = px_table_find(&n->px, fc_key_public(late)));
	assert_string_equal(k->region, "330110102");
	node_free(&n);

	fc_key_free(&near);
	fc_key_free(&far);
	fc_key_free(&township);
	fc_key_free(&late);
}

/* Write a config (with [trust] open = yes) and start a node from it. */
static struct node *
start_node(struct env *e, const char *name, const char *region, const char *extra)
{
	char path[128];
	struct conf *conf;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.conf", e->dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "[trust]\nopen = yes\n[node]\nname = %s\nregion = %s\n"
	    "key = %s/%s/node.key\nstate = %s/%s\nlisten = ipc://%s/%s.peer\n%s", name, region,
	    e->dir, name, e->dir, name, e->dir, name, extra);
	fclose(fp);
	assert_int_equal(conf_load(path, stderr, &conf), 0);
	return node_new(conf);
}

static int
newest_env(void *ctx, const struct store_view *v)
{
	struct store_msg *m = ctx;

	assert_non_null(m->env = malloc(v->len));
	memcpy(m->env, v->env, v->len);
	m->len = v->len;
	return 1;
}

static struct peer *
discovered(struct node *n)
{
	size_t i;

	for (i = 0; i < n->npeers; i++)
		if (!n->peers[i]->dead && n->peers[i]->px_discovered)
			return n->peers[i];
	return NULL;
}

static struct peer *
configured(struct node *n)
{
	size_t i;

	for (i = 0; i < n->npeers; i++)
		if (!n->peers[i]->dead && n->peers[i]->configured)
			return n->peers[i];
	return NULL;
}

/*
 * A village's configured township is down: after reroute_after the village dials the node it
 * knows from an announcement, over CurveZMQ with the announced transport key, and the link
 * behaves as a peer (discovered, not configured). When the township is back and up for the
 * grace period, the discovered link is dropped.
 */
static void
test_reroute_and_back(void **state)
{
	struct env *e = *state;
	struct node *t, *k, *v;
	struct store_msg ann = { 0 };
	struct peer *p;
	char extra[512], tkey[2 * FC_TKEYBYTES + 1], kkey[2 * FC_PUBLICKEYBYTES + 1];
	char tkhex[2 * FC_PUBLICKEYBYTES + 1];
	uint64_t deadline;

	/* The township's keys, then it is down. */
	assert_non_null(t = start_node(e, "t", "330110101", "announce = none\n"));
	assert_non_null(t->tkey);
	fc_hex(fc_tkey_public(t->tkey), FC_TKEYBYTES, tkey);
	snprintf(tkhex, sizeof(tkhex), "%s", t->keyhex);
	node_free(&t);

	/* A neighbouring township announces itself. */
	snprintf(extra, sizeof(extra), "announce = ipc://%s/k.peer\n", e->dir);
	assert_non_null(k = start_node(e, "k", "330110102", extra));
	node_step(k, 0);
	assert_int_equal(store_iter_time(k->store, 0, 0, FENGHUO__KIND__ANNOUNCE, 1, newest_env,
	    &ann), 1);

	snprintf(extra, sizeof(extra), "announce = none\nreroute_after = 1\n"
	    "[peer township]\naddress = ipc://%s/t.peer\nkey = %s\ntransport = %s\n", e->dir,
	    tkhex, tkey);
	assert_non_null(v = start_node(e, "v", "330110101001", extra));
	/* The announcement reaches the village (as if gossiped by some peer earlier). */
	assert_int_equal(gossip_add(v, ann.env, ann.len, &(struct ingest_src){ INGEST_PEER, fc_key_public(k->key), 3, 0 }), 0);
	free(ann.env);
	node_step(v, 0);
	assert_int_equal(v->px.n, 1);
	assert_null(discovered(v));

	deadline = now_mono() + 10000;
	while (((p = discovered(v)) == NULL || !peer_is_up(p)) && now_mono() < deadline) {
		node_step(v, 5);
		node_step(k, 5);
	}
	assert_non_null(p = discovered(v));
	assert_true(peer_is_up(p));
	assert_false(p->configured);
	assert_string_equal(p->name, "k");
	fc_hex(p->key, FC_PUBLICKEYBYTES, kkey);
	assert_string_equal(kkey, k->keyhex);
	assert_false(peer_is_up(configured(v)));
	/* The neighbour sees the village as an inbound peer. */
	assert_non_null(p = peer_find_key(k, fc_key_public(v->key)));
	assert_true(peer_is_up(p));

	/* The township is back: once it has been up for the grace period, k is dropped. */
	assert_non_null(t = start_node(e, "t", "330110101", "announce = none\n"));
	deadline = now_mono() + 15000;
	while ((discovered(v) != NULL || !peer_is_up(configured(v))) && now_mono() < deadline) {
		node_step(v, 5);
		node_step(k, 5);
		node_step(t, 5);
	}
	assert_true(peer_is_up(configured(v)));
	assert_null(discovered(v));
	node_free(&v);
	node_free(&k);
	node_free(&t);
}

static void
test_conf_keys(void **state)
{
	struct env *e = *state;
	struct conf *conf;
	char path[128];
	FILE *fp, *errf;
	char *errs = NULL;
	size_t errlen = 0;

	snprintf(path, sizeof(path), "%s/c.conf", e->dir);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "[node]\nname = a\nregion = 330110\nkey = /k\n"
	    "announce = tcp://10.0.0.1:7400, tcp://[fd00::1]:7400\nmax_discovered = 5\n"
	    "reroute_after = 7\n");
	fclose(fp);
	assert_int_equal(conf_load(path, stderr, &conf), 0);
	assert_int_equal(conf->nannounce, 2);
	assert_string_equal(conf->announce[1], "tcp://[fd00::1]:7400");
	assert_int_equal(conf->max_discovered, 5);
	assert_int_equal(conf->reroute_after, 7);
	conf_free(&conf);

	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "[node]\nname = a\nregion = 330110\nkey = /k\n"
	    "announce = tcp://*:7400\nmax_discovered = many\nreroute_after = 0\n"
	    "max_discovered = 2\n");
	fclose(fp);
	assert_non_null(errf = open_memstream(&errs, &errlen));
	assert_int_equal(conf_load(path, errf, &conf), 4);
	fclose(errf);
	assert_null(conf);
	assert_non_null(strstr(errs, ":5: announce: bad endpoint 'tcp://*:7400'"));
	assert_non_null(strstr(errs, ":6: max_discovered: 'many'"));
	assert_non_null(strstr(errs, ":7: reroute_after: '0'"));
	assert_non_null(strstr(errs, ":8: duplicate key 'max_discovered'"));
	free(errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_common_prefix),
		cmocka_unit_test(test_order_nearest_first),
		cmocka_unit_test(test_table_newest_per_author),
		cmocka_unit_test(test_table_expire_and_bound),
		cmocka_unit_test(test_known_from_body),
		cmocka_unit_test_setup_teardown(test_node_announces_when_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hello_endpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reroute_and_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conf_keys, setup, teardown),
	};

	log_init(LOG_LEVEL_WARN);
	if (fc_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
