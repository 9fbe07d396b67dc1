/*
 * px.c: peer exchange. Each node signs an ANNOUNCE message saying where it can be reached;
 * it travels like any message (validated, stored, pushed, reconciled). Every node keeps a
 * table of the nodes it has heard announce themselves (the newest unexpired ANNOUNCE of each
 * author, without itself and its configured peers), and when every configured peer has been
 * unreachable for a grace period it dials a few of them, nearest region first, so that a
 * village whose township server is lost reaches a neighbouring township or the county by
 * itself (docs/PROTOCOL.md "Peer exchange").
 *
 * Discovered links are ordinary peers (struct peer, configured 0, px_discovered 1): the same
 * HELLO check (the node must present the announced key), queues, gossip and sync. They are
 * dropped again once a configured peer has been up for the grace period, and a discovered
 * link that does not come up within the grace period is dropped and its node not dialled
 * again for PX_RETRY_MS, so that the next known node gets its turn.
 *
 * The table and the ordering are plain data and pure functions (px_table_*, px_order), so
 * tests/node/test_px.c checks them without sockets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "node.h"

/* ---- the known-node table --------------------------------------------------------------- */

void
px_table_free(struct px_table *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

struct px_known *
px_table_find(struct px_table *t, const uint8_t key[FC_PUBLICKEYBYTES])
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (memcmp(t->v[i].key, key, FC_PUBLICKEYBYTES) == 0)
			return &t->v[i];
	return NULL;
}

int
px_table_put(struct px_table *t, const struct px_known *k)
{
	struct px_known *e, *nv;
	size_t cap, i, oldest;
	uint64_t failed_at;
	unsigned next_ep;

	if ((e = px_table_find(t, k->key)) != NULL) {
		/* Newest per author: an older announcement arriving late changes nothing. */
		if (k->announced_ms <= e->announced_ms)
			return 0;
		/* Keep what this node learnt by dialling it (failures) across re-announcements. */
		failed_at = e->failed_at;
		next_ep = e->next_ep;
		*e = *k;
		e->failed_at = failed_at;
		e->next_ep = next_ep;
		return 1;
	}
	if (t->n == PX_KNOWN_MAX) {
		/* Full: the oldest announcement makes room, unless the new one is older still. */
		for (oldest = 0, i = 1; i < t->n; i++)
			if (t->v[i].announced_ms < t->v[oldest].announced_ms)
				oldest = i;
		if (t->v[oldest].announced_ms >= k->announced_ms)
			return 0;
		t->v[oldest] = *k;
		return 1;
	}
	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 16;
		if ((nv = reallocarray(t->v, cap, sizeof(*nv))) == NULL)
			return -1;
		t->v = nv;
		t->cap = cap;
	}
	t->v[t->n++] = *k;
	return 1;
}

int
px_table_remove(struct px_table *t, const uint8_t key[FC_PUBLICKEYBYTES])
{
	struct px_known *e;

	if ((e = px_table_find(t, key)) == NULL)
		return 0;
	*e = t->v[--t->n];
	return 1;
}

size_t
px_table_expire(struct px_table *t, uint64_t now_ms)
{
	size_t i, j, gone = 0;

	for (i = j = 0; i < t->n; i++) {
		if (t->v[i].expires_ms != 0 && t->v[i].expires_ms <= now_ms) {
			gone++;
			continue;
		}
		t->v[j++] = t->v[i];
	}
	t->n = j;
	return gone;
}

size_t
px_common_prefix(const char *a, const char *b)
{
	size_t i = 0;

	while (a[i] != '\0' && a[i] == b[i])
		i++;
	return i;
}

struct px_sort {
	const struct px_table	*t;
	const char		*region;
};

/* Nearest region first (longest common prefix), then the most recent announcement. */
static int
px_before(const struct px_sort *s, size_t a, size_t b)
{
	const struct px_known *x = &s->t->v[a], *y = &s->t->v[b];
	size_t px = px_common_prefix(x->region, s->region);
	size_t py = px_common_prefix(y->region, s->region);

	if (px != py)
		return px > py;
	if (x->announced_ms != y->announced_ms)
		return x->announced_ms > y->announced_ms;
	/* A total order, so that every node ranks the same table the same way. */
	return memcmp(x->key, y->key, FC_PUBLICKEYBYTES) < 0;
}

size_t
px_order(const struct px_table *t, const char *region, size_t *idx, size_t max)
{
	struct px_sort s = { t, region };
	size_t i, j, n = 0, k;

	/* Insertion into a bounded, sorted prefix: max is small (max_discovered and a few). */
	for (i = 0; i < t->n; i++) {
		for (j = 0; j < n && !px_before(&s, i, idx[j]); j++)
			;
		if (j == max)
			continue;
		if (n < max)
			n++;
		for (k = n - 1; k > j; k--)
			idx[k] = idx[k - 1];
		idx[j] = i;
	}
	return n;
}

/* A wildcard address binds every interface: nobody can dial it. */
int
px_wildcard(const char *ep)
{
	return strncmp(ep, "tcp://", 6) == 0 && (strncmp(ep + 6, "*:", 2) == 0 ||
	    strncmp(ep + 6, "0.0.0.0:", 8) == 0 || strncmp(ep + 6, "[::]:", 5) == 0);
}

/* 1 if ep is an endpoint a node may announce by default: TCP, not a wildcard address. */
static int
px_endpoint_default(const char *ep)
{
	/* ipc:// reaches only this machine: announced only when listed explicitly. */
	return strncmp(ep, "tcp://", 6) == 0 && !px_wildcard(ep);
}

int
px_known_from_body(const Fenghuo__Body *b, struct px_known *out)
{
	const Fenghuo__Announce *a = b->announce;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!b->has_kind || b->kind != FENGHUO__KIND__ANNOUNCE || a == NULL ||
	    !b->has_author || b->author.len != FC_PUBLICKEYBYTES || !b->has_created_ms ||
	    b->region == NULL || !fc_region_valid(b->region) ||
	    strlen(b->region) >= sizeof(out->region))
		return -1;
	memcpy(out->key, b->author.data, FC_PUBLICKEYBYTES);
	snprintf(out->region, sizeof(out->region), "%s", b->region);
	out->announced_ms = b->created_ms;
	out->expires_ms = b->has_expires_ms ? b->expires_ms : 0;
	/* Names and endpoints are shown and dialled: keep only what a config would accept. */
	if (a->name != NULL && strlen(a->name) <= NODE_NAME_MAX &&
	    fc_utf8_valid(a->name, strlen(a->name)) && strpbrk(a->name, "\"\\[] \t\r\n") == NULL)
		snprintf(out->name, sizeof(out->name), "%s", a->name);
	for (i = 0; i < a->n_endpoints && out->nendpoints < PX_EP_MAX; i++)
		if (a->endpoints[i] != NULL && conf_endpoint_valid(a->endpoints[i], 0) &&
		    !px_wildcard(a->endpoints[i]))
			snprintf(out->endpoints[out->nendpoints++], NODE_ADDR_MAX + 1, "%s",
			    a->endpoints[i]);
	if (a->has_transport_key && a->transport_key.len == sizeof(out->tkey)) {
		memcpy(out->tkey, a->transport_key.data, sizeof(out->tkey));
		out->has_tkey = 1;
	}
	return out->nendpoints > 0 ? 0 : -1;
}

/* ---- the node's side ------------------------------------------------------------------- */

static uint64_t
px_grace_ms(const struct node *n)
{
	return n->conf->reroute_after != 0 ? (uint64_t)n->conf->reroute_after * 1000 :
	    2 * (uint64_t)NODE_DEAD_MS;
}

static unsigned
px_max_discovered(const struct node *n)
{
	return n->conf->max_discovered_set ? n->conf->max_discovered : PX_MAX_DISCOVERED_DEFAULT;
}

static int
px_is_configured(const struct node *n, const uint8_t key[FC_PUBLICKEYBYTES])
{
	size_t i;

	for (i = 0; i < n->conf->npeers; i++)
		if (memcmp(n->conf->peers[i].key, key, FC_PUBLICKEYBYTES) == 0)
			return 1;
	return 0;
}

/* The endpoints this node announces: [node] announce, else its dialable TCP listeners. */
size_t
px_endpoints(const struct node *n, const char *eps[PX_EP_MAX])
{
	size_t i, k = 0;

	if (n->conf->announce_set) {
		for (i = 0; i < n->conf->nannounce; i++)
			eps[k++] = n->conf->announce[i];
		return k;
	}
	for (i = 0; i < n->conf->nlisten && k < PX_EP_MAX; i++)
		if (px_endpoint_default(n->conf->listen[i]))
			eps[k++] = n->conf->listen[i];
	return k;
}

/* Decode a stored or received ANNOUNCE (already validated once) into a table entry. */
static int
px_decode(const uint8_t *env, size_t len, struct px_known *out, Fenghuo__Body **bodyp)
{
	const uint8_t *body, *sig;
	size_t bodylen, siglen;
	Fenghuo__Body *b;
	int rc;

	if (fc_envelope_split(env, len, &body, &bodylen, &sig, &siglen) != 0 ||
	    (b = wire_body_unpack(body, bodylen)) == NULL)
		return -1;
	rc = px_known_from_body(b, out);
	if (bodyp != NULL && rc == 0)
		*bodyp = b;
	else
		fenghuo__body__free_unpacked(b, NULL);
	return rc;
}

/* Put an announcement in the table unless it is this node's or a configured peer's. */
static void
px_note(struct node *n, const struct px_known *k)
{
	char hex[9];

	if (memcmp(k->key, fc_key_public(n->key), FC_PUBLICKEYBYTES) == 0 ||
	    px_is_configured(n, k->key))
		return;
	if (k->expires_ms != 0 && k->expires_ms <= now_wall())
		return;
	if (px_table_put(&n->px, k) == 1)
		log_debug("px: known node %s (%s) region %s at %s", k->name[0] ? k->name : "?",
		    fc_hex(k->key, 4, hex), k->region, k->endpoints[0]);
}

void
px_learn(struct node *n, const Fenghuo__Body *b)
{
	struct px_known k;

	if (px_known_from_body(b, &k) == 0)
		px_note(n, &k);
}

struct px_load {
	struct node	*n;
	Fenghuo__Body	*own;		/* this node's newest ANNOUNCE, decoded */
};

static int
px_load_one(void *ctx, const struct store_view *v)
{
	struct px_load *l = ctx;
	struct px_known k;
	Fenghuo__Body *b = NULL;

	if (px_decode(v->env, v->len, &k, &b) != 0)
		return 0;	/* read back as peer input: unusable ones are skipped */
	if (memcmp(k.key, fc_key_public(l->n->key), FC_PUBLICKEYBYTES) == 0 &&
	    (l->own == NULL || b->created_ms > l->own->created_ms)) {
		if (l->own != NULL)
			fenghuo__body__free_unpacked(l->own, NULL);
		l->own = b;
		return 0;
	}
	fenghuo__body__free_unpacked(b, NULL);
	px_note(l->n, &k);
	return 0;
}

/* 1 if the announcement b says what this node would announce now (and is fresh enough). */
static int
px_own_current(const struct node *n, const Fenghuo__Body *b, const char **eps, size_t neps,
    uint64_t now)
{
	const Fenghuo__Announce *a = b->announce;
	size_t i;

	if (a == NULL || a->n_endpoints != neps || b->region == NULL ||
	    strcmp(b->region, n->conf->region) != 0 || a->name == NULL ||
	    strcmp(a->name, n->conf->name) != 0)
		return 0;
	for (i = 0; i < neps; i++)
		if (strcmp(a->endpoints[i], eps[i]) != 0)
			return 0;
	/* A new transport key must be announced, or discovered links could not dial us. */
	if (n->tkey != NULL && (!a->has_transport_key || a->transport_key.len != FC_TKEYBYTES ||
	    memcmp(a->transport_key.data, fc_tkey_public(n->tkey), FC_TKEYBYTES) != 0))
		return 0;
	return b->created_ms <= now && now - b->created_ms < PX_REANNOUNCE_MS;
}

/* Sign this node's ANNOUNCE and gather it for the next commit, like a local submission. */
static int
px_announce(struct node *n, const char **eps, size_t neps, uint64_t now)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Announce a = FENGHUO__ANNOUNCE__INIT;
	int rc;

	a.n_endpoints = neps;
	a.endpoints = (char **)(uintptr_t)eps;
	a.name = n->conf->name;
	if (n->tkey != NULL) {
		/* The CurveZMQ server key of our listeners: what a discovered link dials with. */
		a.has_transport_key = 1;
		a.transport_key.data = (uint8_t *)(uintptr_t)fc_tkey_public(n->tkey);
		a.transport_key.len = FC_TKEYBYTES;
	}
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__ANNOUNCE;
	b.has_expires_ms = 1;
	b.expires_ms = now + PX_ANNOUNCE_TTL_MS;
	b.announce = &a;
	if ((rc = node_publish(n, &b, now)) != 0) {
		log_warnx("px: cannot publish the announcement: %s",
		    rc == E2BIG ? "this pass's batch is full" : fc_strerror(rc));
		return -1;
	}
	n->px_announced_ms = now;
	log_info("px: announcing %zu endpoint(s), first %s", neps, eps[0]);
	return 0;
}

int
px_start(struct node *n)
{
	struct px_load l = { n, NULL };
	const char *eps[PX_EP_MAX];
	size_t neps;
	uint64_t now = now_wall();
	int rc;

	rc = store_iter_time(n->store, 0, 0, FENGHUO__KIND__ANNOUNCE, 1, px_load_one, &l);
	if (rc != 0) {
		if (l.own != NULL)
			fenghuo__body__free_unpacked(l.own, NULL);
		log_warnx("px: cannot read announcements: %s", store_strerror(rc));
		return -1;
	}
	log_info("px: %zu known node(s)", n->px.n);
	neps = px_endpoints(n, eps);
	if (l.own != NULL)
		n->px_announced_ms = l.own->created_ms;
	if (neps == 0) {
		if (!n->conf->announce_set)
			log_info("px: not announcing: no listen endpoint other nodes could dial "
			    "(set [node] announce)");
	} else if (l.own == NULL || !px_own_current(n, l.own, eps, neps, now)) {
		(void)px_announce(n, eps, neps, now);
	}
	if (l.own != NULL)
		fenghuo__body__free_unpacked(l.own, NULL);
	return 0;
}

void
px_stop(struct node *n)
{
	px_table_free(&n->px);
}

/* Count (and weed out) the discovered links; those that did not come up in time go. */
static unsigned
px_discovered_live(struct node *n, uint64_t now, uint64_t grace)
{
	struct px_known *k;
	struct peer *p;
	unsigned live = 0;
	size_t i;

	for (i = 0; i < n->npeers; i++) {
		p = n->peers[i];
		if (p->dead || !p->px_discovered)
			continue;
		if (peer_is_up(p)) {
			p->px_seen_up = now;
		} else if (now - (p->px_seen_up > p->px_dialled ? p->px_seen_up : p->px_dialled) >=
		    grace) {
			log_info("px: peer %s: no link for %llu s, trying another known node",
			    peer_label(p), (unsigned long long)(grace / 1000));
			if ((k = px_table_find(&n->px, p->key)) != NULL) {
				k->failed_at = now;
				k->next_ep++;
			}
			p->dead = 1;
			continue;
		}
		live++;
	}
	return live;
}

/* Every configured peer is down: dial known nodes, nearest region first, up to the bound. */
static void
px_reroute(struct node *n, uint64_t now, uint64_t grace)
{
	size_t idx[PX_MAX_DISCOVERED_LIMIT + 32], m, i;
	unsigned live, max = px_max_discovered(n);
	struct px_known *k;
	struct peer *p;

	live = px_discovered_live(n, now, grace);
	if (live >= max)
		return;
	px_table_expire(&n->px, now_wall());
	/* The nearest 64 are enough: failed ones come back after PX_RETRY_MS. */
	m = px_order(&n->px, n->conf->region, idx, sizeof(idx) / sizeof(idx[0]));
	for (i = 0; i < m && live < max; i++) {
		k = &n->px.v[idx[i]];
		if (peer_find_key(n, k->key) != NULL)
			continue;	/* a link already exists (maybe it dialled us) */
		if (k->failed_at != 0 && now - k->failed_at < PX_RETRY_MS)
			continue;
		p = peer_new(n, k->name[0] ? k->name : "discovered",
		    k->endpoints[k->next_ep % k->nendpoints], k->key, 0);
		if (p == NULL || node_add_peer(n, p) != 0) {
			peer_free(n, &p);
			return;
		}
		p->px_discovered = 1;
		p->px_dialled = now;
		if (k->has_tkey) {
			memcpy(p->px_tkey, k->tkey, sizeof(p->px_tkey));
			p->px_has_tkey = 1;
		}
		log_info("px: every configured peer is unreachable: dialling %s at %s "
		    "(region %s)", peer_label(p), p->address, k->region);
		if (peer_connect(n, p) != 0)
			k->failed_at = now;	/* px_discovered_live drops it after the grace */
		live++;
	}
}

/* Drop every discovered link (a configured peer is back). */
static void
px_drop_discovered(struct node *n)
{
	size_t i;

	for (i = 0; i < n->npeers; i++) {
		if (n->peers[i]->dead || !n->peers[i]->px_discovered)
			continue;
		log_info("px: peer %s: a configured peer is back, dropping this discovered link",
		    peer_label(n->peers[i]));
		n->peers[i]->dead = 1;
	}
}

/*
 * Timer duties of peer exchange (from node_cron):
 *  - drop expired announcements from the table, once a minute;
 *  - re-announce when this node's announcement is a day old (a long-running node);
 *  - every configured peer down for the grace period: dial known nodes (px_reroute), and
 *    replace discovered links that do not come up;
 *  - a configured peer up again for the grace period: drop the discovered links.
 * A node without configured peers (a hub that only listens) never reroutes.
 */
uint64_t
px_cron(struct node *n, uint64_t now)
{
	const char *eps[PX_EP_MAX];
	uint64_t grace = px_grace_ms(n), wall;
	size_t i, neps, ndisc = 0;
	int any_up = 0;

	/* node_cron runs every loop pass; none of this needs more than a second's precision. */
	if (now < n->px_next_cron)
		return n->px_next_cron;
	n->px_next_cron = now + NODE_CRON_MS;
	wall = now_wall();
	if (now >= n->px_expire_at) {
		px_table_expire(&n->px, wall);
		n->px_expire_at = now + 60000;
	}
	if (n->px_announced_ms != 0 && wall - n->px_announced_ms >= PX_REANNOUNCE_MS &&
	    (neps = px_endpoints(n, eps)) > 0)
		(void)px_announce(n, eps, neps, wall);
	if (n->conf->npeers == 0)
		return now + NODE_CRON_MS;
	for (i = 0; i < n->npeers; i++) {
		if (n->peers[i]->dead)
			continue;
		if (n->peers[i]->configured && peer_is_up(n->peers[i]))
			any_up = 1;
		if (n->peers[i]->px_discovered)
			ndisc++;
	}
	if (any_up) {
		n->px_down_since = 0;
		if (n->px_up_since == 0)
			n->px_up_since = now;
		if (ndisc > 0 && now - n->px_up_since >= grace)
			px_drop_discovered(n);
		return now + NODE_CRON_MS;
	}
	n->px_up_since = 0;
	if (n->px_down_since == 0)
		n->px_down_since = now;
	if (now - n->px_down_since >= grace)
		px_reroute(n, now, grace);
	return now + NODE_CRON_MS;
}

int
px_transport_key(struct node *n, const uint8_t key[FC_PUBLICKEYBYTES],
    uint8_t out[FC_TKEYBYTES])
{
	struct px_known *k;

	if ((k = px_table_find(&n->px, key)) == NULL || !k->has_tkey)
		return -1;
	memcpy(out, k->tkey, FC_TKEYBYTES);
	return 0;
}

struct json_t *
px_known_json(const struct node *n)
{
	char hex[2 * FC_PUBLICKEYBYTES + 1];
	const struct px_known *k;
	json_t *a, *o, *eps;
	size_t i, j;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n->px.n; i++) {
		k = &n->px.v[i];
		eps = json_array();
		for (j = 0; j < k->nendpoints; j++)
			json_array_append_new(eps, json_string(k->endpoints[j]));
		o = json_pack("{s:s, s:s, s:s, s:o, s:I, s:I}", "name", k->name,
		    "key", fc_hex(k->key, FC_PUBLICKEYBYTES, hex), "region", k->region,
		    "endpoints", eps, "announced_ms", (json_int_t)k->announced_ms,
		    "expires_ms", (json_int_t)k->expires_ms);
		if (o != NULL)
			json_array_append_new(a, o);
	}
	return a;
}
