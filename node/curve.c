/*
 * curve.c: the daemon's side of link security and resource limits:
 * CurveZMQ on every peer link, ZAP admission, the peer identity bound to each inbound link,
 * per-peer and per-author rate limits, and the config keys that set them.
 *
 * The building blocks are in sec.c, zap.c and limit.c (each tested alone); this file wires
 * them into struct node. Order at start-up matters (see the WARNING in sec.h): the transport
 * key is loaded and the ZAP handler bound in curve_open(), before listen_open() makes any
 * ROUTER a CURVE server and binds it; a daemon whose ZAP handler cannot be bound does not
 * start.
 *
 * Who may connect (ZAP, sec_transport_allowed()): a transport key carried by a valid node
 * certificate in the trust state; or a key from the config, [peer] transport (which also
 * tells us the server key to expect when we dial that peer) and [node] allow (inbound-only
 * bootstrap peers); or, when the trust policy is open, any key. A revoked node's key is
 * refused even when it is in the config.
 *
 * Identity binding: libzmq attaches the ZAP user id to every message of an admitted
 * connection. A node admitted by certificate has its Ed25519 key as user id, and its HELLO
 * must claim that key; a bootstrap key listed as some [peer]'s transport key may only claim
 * that peer's key; a key a certificate or [peer] entry ties to another transport key may not
 * be claimed over a bootstrap link. Anything else refuses the link (logged once per peer).
 *
 * Dialling: libzmq gives up on an endpoint whose server refused the handshake, and the
 * server may admit us later (our certificate reaches it), so every failed handshake of ours
 * is followed by a new dial, backing off to once a minute (curve_handshake(), curve_cron()).
 *
 * Revocation: ZAP decides once per handshake, so a REVOKE also closes the links that are up
 * when it is stored: every link whose peer's node key it withdrew, or whose transport key a
 * revoked node's grant carries (curve_withdrawn(), curve_revoke_links(), peer_withdraw()).
 *
 * Rate limits: every frame from a peer takes a token from the peer's bucket first, before
 * it is decoded; frames beyond it are dropped and counted. A new message from a peer takes
 * a token from its author's bucket before its signature is checked, and is dropped (counted,
 * not stored) when there is none; a message that is then not stored as new (rejected: a
 * forged signature, say; held; a duplicate within the batch) gives its token back, so that
 * messages merely claiming somebody's key cannot use up that author's allowance. Warnings, CERT and REVOKE are never limited by
 * author: only certified issuers and admins may sign them (the trust policy checks), they
 * are rare, and dropping a genuine warning is the one loss a county office cannot accept;
 * an issuer key that misbehaves is revoked, not throttled. The per-peer frame limit still
 * bounds what any peer can make us decode. Messages submitted on the control socket (the
 * node's own operator) are not limited.
 *
 * Store quota ([limits] store_max_bytes): a timer runs store_evict() (store/evict.c), which
 * removes expired messages only, never CERT or REVOKE; while the store is still too large,
 * new reports and receipts from peers are dropped and counted, warnings, CERT and REVOKE are
 * still taken, and so is what the operator submits. Evicted messages that peers offer again
 * are rejected as expired by validation, so eviction does not fight reconciliation.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <zmq.h>

#include "node.h"

#define CURVE_LOGGED_MAX	1024	/* refused transport keys remembered for logging */
#define CURVE_QUOTA_MS		10000	/* check the store quota this often */
#define CURVE_EVICT_MAX		10000	/* messages removed in one write transaction */
#define CURVE_REDIAL_MIN_MS	1000	/* dial again this long after a failed handshake, */
#define CURVE_REDIAL_MAX_MS	60000	/*   doubling up to this */

/* ---- config -------------------------------------------------------------------------- */

void
curve_conf_defaults(struct conf *c)
{
	struct conf_limits *l = &c->limits;

	l->peer.per_sec = CONF_PEER_FRAMES_PER_SEC;
	l->peer.burst = CONF_PEER_FRAMES_BURST;
	l->author.per_sec = CONF_AUTHOR_PER_SEC;
	l->author.burst = CONF_AUTHOR_BURST;
	l->authors_max = CONF_AUTHORS_MAX;
	l->queue_items = PQ_MAX_ITEMS;
	l->queue_bytes = PQ_MAX_BYTES;
	l->store_max_bytes = CONF_STORE_MAX_BYTES;
}

void
curve_conf_free(struct conf *c)
{
	free(c->tkeypath);
	free(c->allow);
	c->tkeypath = NULL;
	c->allow = NULL;
	c->nallow = 0;
}

static int
parse_tkey(const char *s, uint8_t out[FC_TKEYBYTES])
{
	return strlen(s) == 2 * FC_TKEYBYTES && fc_unhex(s, out, FC_TKEYBYTES) == 0 ? 0 : -1;
}

static int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
curve_conf_node(struct conf *c, const char *name, const char *value, char *err, size_t errlen)
{
	char *copy, *tok, *save = NULL;
	uint8_t (*na)[FC_TKEYBYTES];
	int n = 0;

	if (strcmp(name, "transport_key") == 0) {
		if (c->tkeypath != NULL) {
			snprintf(err, errlen, "duplicate key 'transport_key'");
			return CONF_KEY_ERROR;
		}
		if (*value == '\0') {
			snprintf(err, errlen, "'transport_key' is empty");
			return CONF_KEY_ERROR;
		}
		if ((c->tkeypath = strdup(value)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return CONF_KEY_ERROR;
		}
		return CONF_KEY_OK;
	}
	if (strcmp(name, "allow") != 0)
		return CONF_KEY_UNKNOWN;
	/* allow = HEX[,HEX...]: may repeat; the keys add up. */
	if ((copy = strdup(value)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return CONF_KEY_ERROR;
	}
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *s = tok, *e;

		while (isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		n++;
		if ((na = reallocarray(c->allow, c->nallow + 1, sizeof(*na))) == NULL) {
			free(copy);
			snprintf(err, errlen, "out of memory");
			return CONF_KEY_ERROR;
		}
		c->allow = na;
		if (parse_tkey(s, c->allow[c->nallow]) != 0) {
			snprintf(err, errlen, "allow: '%.80s' is not a transport public key (want "
			    "%d hex digits)", s, 2 * FC_TKEYBYTES);
			free(copy);
			return CONF_KEY_ERROR;
		}
		c->nallow++;
	}
	free(copy);
	if (n == 0) {
		snprintf(err, errlen, "allow: no key given");
		return CONF_KEY_ERROR;
	}
	return CONF_KEY_OK;
}

int
curve_conf_peer(struct conf_peer *p, const char *name, const char *value, char *err,
    size_t errlen)
{
	if (strcmp(name, "transport") != 0)
		return CONF_KEY_UNKNOWN;
	if (p->has_transport) {
		snprintf(err, errlen, "duplicate key 'transport'");
		return CONF_KEY_ERROR;
	}
	/* Seen, even if invalid: a second one is a duplicate (and the file is refused anyway). */
	p->has_transport = 1;
	if (parse_tkey(value, p->transport) != 0) {
		snprintf(err, errlen, "transport: not a transport public key (want %d hex digits)",
		    2 * FC_TKEYBYTES);
		return CONF_KEY_ERROR;
	}
	return CONF_KEY_OK;
}

/* The [limits] keys: name, where the value goes, its bounds. */
enum { LK_U32, LK_SIZE, LK_U64 };
struct limit_key {
	const char	*name;
	int		 type;
	size_t		 off;
	uint64_t	 min, max;
	unsigned	 bit;
};

static const struct limit_key limit_keys[] = {
	{ "peer_frames_per_sec", LK_U32, offsetof(struct conf_limits, peer.per_sec), 0,
	    1000000, 1u << 0 },
	{ "peer_frames_burst", LK_U32, offsetof(struct conf_limits, peer.burst), 1, 10000000,
	    1u << 1 },
	{ "author_msgs_per_sec", LK_U32, offsetof(struct conf_limits, author.per_sec), 0,
	    1000000, 1u << 2 },
	{ "author_msgs_burst", LK_U32, offsetof(struct conf_limits, author.burst), 1,
	    10000000, 1u << 3 },
	{ "authors_tracked", LK_SIZE, offsetof(struct conf_limits, authors_max), 1,
	    LIM_TABLE_MAX, 1u << 4 },
	{ "queue_items", LK_SIZE, offsetof(struct conf_limits, queue_items), 16, 10000000,
	    1u << 5 },
	{ "queue_bytes", LK_SIZE, offsetof(struct conf_limits, queue_bytes), 65536,
	    (uint64_t)1 << 34, 1u << 6 },
	{ "store_max_bytes", LK_U64, offsetof(struct conf_limits, store_max_bytes), 0,
	    (uint64_t)1 << 50, 1u << 7 },
};

int
curve_conf_limits(struct conf *c, const char *name, const char *value, char *err,
    size_t errlen)
{
	const struct limit_key *k;
	uint8_t *base = (uint8_t *)&c->limits;
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(limit_keys) / sizeof(limit_keys[0]); i++)
		if (strcmp(limit_keys[i].name, name) == 0)
			break;
	if (i == sizeof(limit_keys) / sizeof(limit_keys[0])) {
		snprintf(err, errlen, "unknown key '%s' in [limits]", name);
		return CONF_KEY_ERROR;
	}
	k = &limit_keys[i];
	if (c->limits_seen & k->bit) {
		snprintf(err, errlen, "duplicate key '%s'", name);
		return CONF_KEY_ERROR;
	}
	c->limits_seen |= k->bit;
	if (parse_u64(value, k->min, k->max, &v) != 0) {
		snprintf(err, errlen, "%s: '%.40s' is not a number from %llu to %llu", name,
		    value, (unsigned long long)k->min, (unsigned long long)k->max);
		return CONF_KEY_ERROR;
	}
	switch (k->type) {
	case LK_U32:
		*(uint32_t *)(void *)(base + k->off) = (uint32_t)v;
		break;
	case LK_SIZE:
		*(size_t *)(void *)(base + k->off) = (size_t)v;
		break;
	default:
		*(uint64_t *)(void *)(base + k->off) = v;
		break;
	}
	return CONF_KEY_OK;
}

/* ---- keys ---------------------------------------------------------------------------- */

/* The transport key file: [node] transport_key, else <state>/transport.key. */
static void
tkey_path(const struct conf *c, char *buf, size_t len)
{
	if (c->tkeypath != NULL)
		snprintf(buf, len, "%s", c->tkeypath);
	else
		snprintf(buf, len, "%s/transport.key", c->state);
}

static int
tkey_load(const struct conf *c, struct fc_tkey **out)
{
	char path[NODE_ADDR_MAX + 32];
	int rc, created;

	tkey_path(c, path, sizeof(path));
	if ((rc = fc_tkey_load_or_create(path, out, &created)) != 0) {
		log_warnx("cannot load or create transport key %s: %s", path, fc_strerror(rc));
		return -1;
	}
	if (created)
		log_info("created transport key %s", path);
	return 0;
}

int
curve_show_keys(struct conf *c, FILE *out)
{
	struct fc_tkey *tk = NULL;
	struct fc_key *k = NULL;
	char hex[2 * FC_PUBLICKEYBYTES + 1];
	int rc;

	if (mkdir(c->state, 0750) != 0 && errno != EEXIST) {
		log_warn("state directory %s", c->state);
		return -1;
	}
	if ((rc = fc_key_load(c->keypath, &k)) == ENOENT) {
		if ((rc = fc_key_generate(&k)) == 0 && (rc = fc_key_save(k, c->keypath)) != 0)
			fc_key_free(&k);
	}
	if (rc != 0) {
		log_warnx("node key %s: %s", c->keypath, fc_strerror(rc));
		return -1;
	}
	if (tkey_load(c, &tk) != 0) {
		fc_key_free(&k);
		return -1;
	}
	fprintf(out, "node_key      %s\n", fc_hex(fc_key_public(k), FC_PUBLICKEYBYTES, hex));
	fprintf(out, "transport_key %s\n", fc_hex(fc_tkey_public(tk), FC_TKEYBYTES, hex));
	fc_key_free(&k);
	fc_tkey_free(&tk);
	return 0;
}

/* ---- trust ---------------------------------------------------------------------------- */

/*
 * The trust state admission is decided with: node/trust.c owns it (NULL in open mode, where
 * only the config and open admission count).
 */
static const struct fc_trust *
curve_trust(struct node *n)
{
	return n->trust;
}

/* [trust] open = yes: any transport key is admitted (a mesh without certificates yet). */
static int
curve_open_mode(struct node *n)
{
	return n->conf->trust_open;
}

/* ZAP check: open mode, else sec_zap_check() over the config and the trust state. */
static int
zap_check(void *arg, const struct zap_request *req, char user_id[ZAP_USER_ID_MAX])
{
	struct node *n = arg;
	uint8_t node[FC_PUBLICKEYBYTES];
	char hex[2 * FC_TKEYBYTES + 1];

	n->admit.trust = curve_trust(n);
	n->admit.now_ms = now_wall();
	if (curve_open_mode(n) && sec_transport_allowed(n->admit.trust, n->admit.bootstrap,
	    n->admit.nbootstrap, req->client_key, n->admit.now_ms, node) ==
	    SEC_REFUSED_UNKNOWN) {
		/* Open mode: a stranger is let in as a bootstrap link (its HELLO names it). */
		snprintf(user_id, ZAP_USER_ID_MAX, "%s%s", SEC_UID_BOOTSTRAP,
		    fc_hex(req->client_key, FC_TKEYBYTES, hex));
		n->zap_open_admitted++;
		return ZAP_ALLOW;
	}
	/* Known keys are judged as always; a revoked node stays out even in open mode. */
	return sec_zap_check(&n->admit, req, user_id);
}

int
curve_admit_set(struct node *n, const struct conf *c)
{
	uint8_t (*keys)[FC_TKEYBYTES];
	size_t i, k = 0;

	/* The bootstrap keys: every [peer] transport, then every [node] allow. */
	if ((keys = calloc(c->npeers + c->nallow + 1, sizeof(*keys))) == NULL)
		return -1;
	for (i = 0; i < c->npeers; i++)
		if (c->peers[i].has_transport)
			memcpy(keys[k++], c->peers[i].transport, FC_TKEYBYTES);
	for (i = 0; i < c->nallow; i++)
		memcpy(keys[k++], c->allow[i], FC_TKEYBYTES);
	free(n->tallow);
	n->tallow = keys;
	n->ntallow = k;
	n->admit.bootstrap = (const uint8_t (*)[FC_TKEYBYTES])n->tallow;
	n->admit.nbootstrap = k;
	return 0;
}

int
curve_open(struct node *n)
{
	struct conf *c = n->conf;
	struct lim_rate none = { 0, 0 };

	if (tkey_load(c, &n->tkey) != 0)
		return -1;
	if (curve_admit_set(n, c) != 0)
		goto nomem;
	if ((n->admit.logged = lim_table_new(CURVE_LOGGED_MAX, &none)) == NULL)
		goto nomem;
	if ((n->author_lim = lim_table_new(c->limits.authors_max, &c->limits.author)) == NULL)
		goto nomem;
	/* See the WARNING in sec.h: without this handler, CURVE admits everybody. */
	if ((n->zap = zap_open(n->zctx, zap_check, n)) == NULL) {
		log_warnx("cannot bind the ZAP handler at %s: %s; refusing to run without "
		    "link authentication", ZAP_ENDPOINT, zmq_strerror(zmq_errno()));
		return -1;
	}
	return 0;
nomem:
	log_warnx("out of memory");
	return -1;
}

void
curve_close(struct node *n)
{
	zap_close(&n->zap);
	fc_tkey_free(&n->tkey);
	free(n->tallow);
	n->tallow = NULL;
	lim_table_free(&n->admit.logged);
	lim_table_free(&n->author_lim);
}

void
curve_zap(struct node *n)
{
	if (n->zap != NULL)
		(void)zap_handle(n->zap);
}

void *
curve_zap_socket(struct node *n)
{
	return n->zap != NULL ? zap_socket(n->zap) : NULL;
}

int
curve_server(struct node *n, void *sock)
{
	int rc;

	if ((rc = sec_curve_server(sock, n->tkey, n->zap)) != 0) {
		log_warnx("cannot make a CURVE server socket: %s", zmq_strerror(rc));
		return -1;
	}
	return 0;
}

/* The configured peer entry with node key key, or NULL. */
static const struct conf_peer *
conf_peer_by_key(const struct conf *c, const uint8_t key[FC_PUBLICKEYBYTES])
{
	size_t i;

	for (i = 0; i < c->npeers; i++)
		if (memcmp(c->peers[i].key, key, FC_PUBLICKEYBYTES) == 0)
			return &c->peers[i];
	return NULL;
}

int
curve_peer_server_key(struct node *n, struct peer *p, uint8_t out[FC_TKEYBYTES])
{
	const struct conf_peer *cp;
	const struct fc_trust *t;

	/* A certificate wins: it follows a rotation that the config file may not know yet. */
	if ((t = curve_trust(n)) != NULL &&
	    sec_transport_of_node(t, p->key, now_wall(), out) == 0)
		return 0;
	if ((cp = conf_peer_by_key(n->conf, p->key)) != NULL && cp->has_transport) {
		memcpy(out, cp->transport, FC_TKEYBYTES);
		return 0;
	}
	/* A node found by peer exchange: the key its own signed ANNOUNCE names. */
	if (p->px_has_tkey) {
		memcpy(out, p->px_tkey, FC_TKEYBYTES);
		return 0;
	}
	return -1;
}

int
curve_client(struct node *n, struct peer *p, void *sock)
{
	uint8_t sk[FC_TKEYBYTES];
	int rc;

	if (curve_peer_server_key(n, p, sk) != 0) {
		errno = ENOKEY;
		return -1;
	}
	if ((rc = sec_curve_client(sock, n->tkey, sk)) != 0) {
		errno = rc;
		return -1;
	}
	memcpy(p->out_tkey, sk, FC_TKEYBYTES);
	return 0;
}

/*
 * The store quota ([limits] store_max_bytes): every CURVE_QUOTA_MS, store_evict() removes
 * expired messages (never CERT, REVOKE or anything unexpired) until the store fits; while it
 * still does not, new reports and receipts from peers are refused (curve_author_admit()).
 */
static void
quota_cron(struct node *n, uint64_t now)
{
	struct store_evict_stats s;
	uint64_t max = n->conf->limits.store_max_bytes;
	int rc, was = n->store_over;

	if (max == 0 || now < n->quota_next)
		return;
	n->quota_next = now + CURVE_QUOTA_MS;
	if ((rc = store_evict(n->store, now_wall(), max, CURVE_EVICT_MAX, &s)) != 0) {
		log_warnx("store quota: %s", store_strerror(rc));
		return;
	}
	n->store_evicted += s.evicted;
	n->store_over = s.over;
	if (s.evicted > 0)
		log_info("store quota: removed %llu expired message(s), %llu of %llu bytes used",
		    (unsigned long long)s.evicted, (unsigned long long)s.bytes_after,
		    (unsigned long long)max);
	if (s.over && !was)
		log_warnx("store quota: %llu bytes used, over store_max_bytes = %llu and nothing "
		    "more has expired: refusing new reports and receipts from peers (warnings, "
		    "CERT and REVOKE are still taken)", (unsigned long long)s.bytes_after,
		    (unsigned long long)max);
	else if (!s.over && was)
		log_info("store quota: back within store_max_bytes, taking everything again");
}

/*
 * Dial p again with the transport key to expect now. libzmq keeps the options of a
 * connection, and gives up on an endpoint whose handshake the server refused: disconnect
 * and connect again.
 */
static void
redial(struct node *n, struct peer *p)
{
	(void)zmq_disconnect(p->out.sock, p->address);
	if (curve_client(n, p, p->out.sock) != 0 || zmq_connect(p->out.sock, p->address) != 0)
		log_warnx("peer %s: cannot dial %s again: %s", peer_label(p), p->address,
		    zmq_strerror(zmq_errno()));
}

void
curve_cron(struct node *n, uint64_t now)
{
	uint8_t sk[FC_TKEYBYTES];
	struct peer *p;
	size_t i;

	quota_cron(n, now);

	/* Handshakes that failed: dial again when the backoff is over (curve_handshake()). */
	for (i = 0; i < n->npeers; i++) {
		p = n->peers[i];
		if (p->dead || p->revoked || p->redial_at == 0 || now < p->redial_at)
			continue;
		p->redial_at = 0;
		if (p->out.sock != NULL && p->out.state != LINK_UP && peer_stream(p) == NULL) {
			log_debug("peer %s: dialling again after a failed handshake",
			    peer_label(p));
			redial(n, p);
		}
	}

	if (now < n->curve_next_retry)
		return;
	n->curve_next_retry = now + 5000;
	/*
	 * A REVOKE can take effect after it was stored (its from time ahead): the live links
	 * are looked at again here, not only when a REVOKE is stored.
	 */
	curve_revoke_links(n);
	for (i = 0; i < n->npeers; i++) {
		p = n->peers[i];
		if (p->dead || p->revoked || !p->has_key || peer_stream(p) != NULL)
			continue;	/* (a stream link is not ZeroMQ) */
		/* A configured peer not dialled for want of a transport key: known now? */
		if (p->configured && p->out.sock == NULL) {
			if (curve_peer_server_key(n, p, sk) == 0) {
				log_info("peer %s: transport key known now, connecting",
				    peer_label(p));
				(void)peer_connect(n, p);
			}
			continue;
		}
		/*
		 * A link that is not up, dialled with a key other than the one to expect now (a
		 * certificate arrived, or a newer one after a key rotation): dial again with it.
		 */
		if (p->out.sock == NULL || p->out.state == LINK_UP ||
		    curve_peer_server_key(n, p, sk) != 0 ||
		    memcmp(sk, p->out_tkey, FC_TKEYBYTES) == 0)
			continue;
		log_info("peer %s: dialling again with its current transport key", peer_label(p));
		redial(n, p);
	}
}

void
curve_handshake(struct node *n, struct peer *p, int how)
{
	if (how == 0) {
		p->hs_failed_logged = 0;
		p->hs_refused = 0;
		p->redial_at = 0;
		p->redial_ms = 0;
		p->why[0] = '\0';
		return;
	}
	n->handshake_failed++;
	/*
	 * libzmq does not reconnect after a refusal (the ZAP handler said no), and the peer
	 * may admit us later (our certificate reaches it): dial again, backing off from
	 * CURVE_REDIAL_MIN_MS to CURVE_REDIAL_MAX_MS. A failure libzmq retries by itself (a
	 * wrong server key) gets the same: a rekey may be what fixes it.
	 */
	p->redial_ms = p->redial_ms == 0 ? CURVE_REDIAL_MIN_MS :
	    p->redial_ms * 2 > CURVE_REDIAL_MAX_MS ? CURVE_REDIAL_MAX_MS : p->redial_ms * 2;
	p->redial_at = now_mono() + p->redial_ms;
	p->hs_refused = how == 1;
	snprintf(p->why, sizeof(p->why), "%s", how == 1 ?
	    "refused by peer: transport key not admitted" :
	    "handshake failed: is its transport key the one it uses?");
	if (p->hs_failed_logged)
		return;
	p->hs_failed_logged = 1;
	/* Logged once until a handshake succeeds: libzmq retries every few seconds. */
	if (how == 1)
		log_warnx("peer %s: %s does not admit this node's transport key (CurveZMQ "
		    "handshake refused): it needs our key (fenghuod --show-keys) as [peer] "
		    "transport or [node] allow, or this node's certificate", peer_label(p),
		    p->address);
	else
		log_warnx("peer %s: CurveZMQ handshake with %s failed: is the transport key for it "
		    "([peer] transport, or its certificate) the one it uses?", peer_label(p),
		    p->address);
}

/* ---- identity binding ------------------------------------------------------------------ */

void
curve_set_msg(struct node *n, void *m)
{
	n->cur_msg = m;
}

const char *
curve_hello_bind(struct node *n, const uint8_t key[FC_PUBLICKEYBYTES],
    uint8_t tkey[FC_TKEYBYTES], int *has_tkey, char *why, size_t whylen)
{
	uint8_t uid_key[FC_PUBLICKEYBYTES], want[FC_TKEYBYTES];
	const struct conf_peer *cp;
	const struct fc_trust *t;
	const char *uid;
	char hex[17];
	int r;

	*has_tkey = 0;
	if (n->cur_msg == NULL)
		return NULL;	/* not from a socket (tests feeding frames directly) */
	uid = zmq_msg_gets((zmq_msg_t *)n->cur_msg, "User-Id");
	r = sec_user_id_parse(uid, uid_key);
	if (r < 0) {
		n->identity_refused++;
		snprintf(why, whylen, "the link has no transport identity");
		return why;
	}
	if (r == 1) {
		if (memcmp(uid_key, key, FC_PUBLICKEYBYTES) != 0) {
			n->identity_refused++;
			snprintf(why, whylen, "HELLO claims a node key its transport key is not "
			    "certified for (certified: %s)",
			    fc_hex(uid_key, 8, hex));
			return why;
		}
		return NULL;
	}
	/* Bootstrap link: its transport key may only claim a node that is not tied elsewhere. */
	(void)fc_unhex(uid + strlen(SEC_UID_BOOTSTRAP), tkey, FC_TKEYBYTES);
	*has_tkey = 1;
	if ((cp = conf_peer_by_key(n->conf, key)) != NULL && cp->has_transport &&
	    memcmp(cp->transport, tkey, FC_TKEYBYTES) != 0) {
		n->identity_refused++;
		snprintf(why, whylen, "HELLO claims peer '%s', whose configured transport key is "
		    "another", cp->name);
		return why;
	}
	if ((t = curve_trust(n)) != NULL &&
	    sec_transport_of_node(t, key, now_wall(), want) == 0 &&
	    memcmp(want, tkey, FC_TKEYBYTES) != 0) {
		n->identity_refused++;
		snprintf(why, whylen, "HELLO claims a certified node whose transport key is "
		    "another");
		return why;
	}
	/* A [peer] transport key is that peer's alone. */
	for (size_t i = 0; i < n->conf->npeers; i++) {
		cp = &n->conf->peers[i];
		if (cp->has_transport && memcmp(cp->transport, tkey, FC_TKEYBYTES) == 0 &&
		    memcmp(cp->key, key, FC_PUBLICKEYBYTES) != 0) {
			n->identity_refused++;
			snprintf(why, whylen, "HELLO claims another node than '%s', whose "
			    "transport key the link uses", cp->name);
			return why;
		}
	}
	return NULL;
}

/* ---- revocation of live links --------------------------------------------------------- */

const char *
curve_withdrawn(struct node *n, struct peer *p, struct link *l, char *why, size_t whylen)
{
	const struct fc_trust *t = curve_trust(n);
	struct fc_policy_verdict v;
	uint8_t node[FC_PUBLICKEYBYTES];
	const uint8_t *tkey = NULL;
	uint64_t now = now_wall();

	if (t == NULL || !p->has_key)
		return NULL;
	fc_trust_holds(t, p->key, FENGHUO__ROLE__NODE, NULL, now, &v);
	if (v.verdict == FC_POLICY_REJECT && (v.reason == FC_POLICY_R_REVOKED ||
	    v.reason == FC_POLICY_R_ISSUER_REVOKED)) {
		snprintf(why, whylen, "revoked: a REVOKE withdrew its node key%s",
		    v.reason == FC_POLICY_R_ISSUER_REVOKED ? " (its certifier was revoked)" : "");
		p->revoked = 1;
		return why;
	}
	/* The transport key the link was authenticated with (none on a stream link). */
	if (l->st == NULL && l == &p->out && p->out.sock != NULL)
		tkey = p->out_tkey;
	else if (l->st == NULL && l == &p->in && p->in_has_tkey)
		tkey = p->in_tkey;
	if (tkey != NULL && sec_transport_allowed(t, NULL, 0, tkey, now, node) ==
	    SEC_REFUSED_REVOKED) {
		snprintf(why, whylen, "revoked: a REVOKE withdrew its transport key");
		p->revoked = 1;
		return why;
	}
	return NULL;
}

void
curve_revoke_links(struct node *n)
{
	char why[128];
	struct peer *p;
	size_t i;

	for (i = 0; i < n->npeers; i++) {
		p = n->peers[i];
		if (p->dead || p->revoked)
			continue;
		if (curve_withdrawn(n, p, &p->out, why, sizeof(why)) == NULL &&
		    curve_withdrawn(n, p, &p->in, why, sizeof(why)) == NULL)
			continue;
		n->links_revoked++;
		peer_withdraw(n, p, why);
	}
}

/* ---- rate limits ------------------------------------------------------------------------ */

int
curve_peer_frame(struct node *n, struct peer *p)
{
	const struct lim_rate *r = &n->conf->limits.peer;
	uint64_t now = now_mono();

	if (!p->rate_init) {
		lim_bucket_init(&p->rate, r, now);
		p->rate_init = 1;
	}
	if (lim_bucket_take(&p->rate, r, now, 1))
		return 1;
	p->rate_dropped++;
	n->drop_peer_rate++;
	if (log_limit_ok(&p->rate_log, now, NULL))
		log_warnx("peer %s: over its frame rate limit (%u/s, burst %u), dropping frames "
		    "(%llu so far)", peer_label(p), r->per_sec, r->burst,
		    (unsigned long long)p->rate_dropped);
	return 0;
}

/* Author and kind of an envelope; -1 if it does not decode (validation will say why). */
static int
env_author(const uint8_t *env, size_t len, uint8_t author[FC_PUBLICKEYBYTES], int *kind,
    uint8_t id[FC_IDBYTES])
{
	const uint8_t *body, *sig;
	size_t bodylen, siglen;
	Fenghuo__Body *b;
	int rc = -1;

	if (fc_envelope_split(env, len, &body, &bodylen, &sig, &siglen) != 0)
		return -1;
	if (id != NULL)
		fc_msg_id(body, bodylen, id);
	if ((b = wire_body_unpack(body, bodylen)) == NULL)
		return -1;
	if (b->has_author && b->author.len == FC_PUBLICKEYBYTES) {
		memcpy(author, b->author.data, FC_PUBLICKEYBYTES);
		*kind = b->has_kind ? (int)b->kind : 0;
		rc = 0;
	}
	fenghuo__body__free_unpacked(b, NULL);
	return rc;
}

static int
author_exempt(int kind)
{
	return kind == FENGHUO__KIND__WARNING || kind == FENGHUO__KIND__CERT ||
	    kind == FENGHUO__KIND__REVOKE;
}

int
curve_author_admit(struct node *n, const uint8_t *env, size_t len)
{
	uint8_t author[FC_PUBLICKEYBYTES], id[FC_IDBYTES];
	const struct lim_rate *r;
	struct lim_bucket *b;
	uint64_t now = now_mono();
	int kind;

	r = n->author_lim != NULL ? lim_table_rate(n->author_lim) : NULL;
	if ((r == NULL || r->per_sec == 0) && !n->store_over)
		return 1;
	if (env_author(env, len, author, &kind, id) != 0 || author_exempt(kind))
		return 1;
	/* A duplicate costs nothing: only new messages count. */
	if (store_has(n->store, id) == 1)
		return 1;
	if (n->store_over) {
		n->drop_store_quota++;
		return 0;
	}
	if (r == NULL || r->per_sec == 0)
		return 1;
	b = lim_table_get(n->author_lim, author, now, NULL);
	if (lim_bucket_take(b, r, now, 1))
		return 2;
	n->drop_author_rate++;
	return 0;
}

void
curve_author_refund(struct node *n, const uint8_t *env, size_t len)
{
	uint8_t author[FC_PUBLICKEYBYTES];
	const struct lim_rate *r;
	struct lim_bucket *b;
	int kind, created;

	if (n->author_lim == NULL || (r = lim_table_rate(n->author_lim))->per_sec == 0 ||
	    env_author(env, len, author, &kind, NULL) != 0)
		return;
	/*
	 * Rejected (a forged signature, say), held or a duplicate after all: the token goes
	 * back, so that messages merely claiming an author cannot use up its allowance. A
	 * bucket evicted meanwhile comes back full anyway.
	 */
	b = lim_table_get(n->author_lim, author, now_mono(), &created);
	if (created)
		return;
	b->milli += 1000;
	if (b->milli > (uint64_t)r->burst * 1000)
		b->milli = (uint64_t)r->burst * 1000;
}

/* ---- status ------------------------------------------------------------------------------ */

void
curve_status_json(struct node *n, struct json_t *o)
{
	struct zap_stats zs;
	uint64_t queue = 0, garbage = 0;
	char hex[2 * FC_TKEYBYTES + 1];
	size_t i;

	memset(&zs, 0, sizeof(zs));
	if (n->zap != NULL)
		zap_stats(n->zap, &zs);
	for (i = 0; i < n->npeers; i++) {
		queue += n->peers[i]->q.dropped;
		garbage += n->peers[i]->garbage;
	}
	if (n->tkey != NULL)
		json_object_set_new(o, "transport_key",
		    json_string(fc_hex(fc_tkey_public(n->tkey), FC_TKEYBYTES, hex)));
	json_object_set_new(o, "zap", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:I}",
	    "allowed", (json_int_t)zs.allowed,
	    "denied", (json_int_t)zs.denied,
	    "malformed", (json_int_t)zs.malformed,
	    "errors", (json_int_t)zs.errors,
	    "admitted_node", (json_int_t)n->admit.admitted_node,
	    "admitted_bootstrap", (json_int_t)n->admit.admitted_bootstrap,
	    "admitted_open", (json_int_t)n->zap_open_admitted,
	    "refused_unknown", (json_int_t)n->admit.refused_unknown,
	    "refused_revoked", (json_int_t)n->admit.refused_revoked,
	    "identity_refused", (json_int_t)n->identity_refused,
	    "dial_failed", (json_int_t)n->handshake_failed,
	    "links_revoked", (json_int_t)n->links_revoked));
	json_object_set_new(o, "store_quota", json_pack("{s:I, s:b, s:I}",
	    "max_bytes", (json_int_t)n->conf->limits.store_max_bytes,
	    "over", n->store_over,
	    "evicted", (json_int_t)n->store_evicted));
	json_object_set_new(o, "drops", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "peer_rate", (json_int_t)n->drop_peer_rate,
	    "author_rate", (json_int_t)n->drop_author_rate,
	    "store_quota", (json_int_t)n->drop_store_quota,
	    "queue", (json_int_t)queue,
	    "garbage", (json_int_t)garbage,
	    "unknown_frames", (json_int_t)n->unknown_frames,
	    "batch_full", (json_int_t)n->pend_dropped));
}
