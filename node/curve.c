/*
 * curve.c: the daemon's side of link security: CurveZMQ on every peer link, ZAP admission,
 * the peer identity bound to each inbound link, and the revocation of live links, as the
 * config sets them ([node] transport_key and allow, [peer] transport; config.c parses them).
 *
 * The building blocks are in sec.c and zap.c (each tested alone); this file wires
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
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <zmq.h>

#include "node.h"

#define CURVE_LOGGED_MAX	1024	/* refused transport keys remembered for logging */
#define CURVE_REDIAL_MIN_MS	1000	/* dial again this long after a failed handshake, */
#define CURVE_REDIAL_MAX_MS	60000	/*   doubling up to this */

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
 * The trust state admission is decided with: the ingest owns it (NULL in open mode, where
 * only the config and open admission count).
 */
static const struct fc_trust *
curve_trust(struct node *n)
{
	return n->ingest != NULL ? ingest_trust(n->ingest) : NULL;
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
	struct bucket_rate none = { 0, 0 };

	if (tkey_load(c, &n->tkey) != 0)
		return -1;
	if (curve_admit_set(n, c) != 0)
		goto nomem;
	if ((n->admit.logged = bucket_table_new(CURVE_LOGGED_MAX, &none)) == NULL)
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
	bucket_table_free(&n->admit.logged);
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

/* ---- status ------------------------------------------------------------------------------ */

void
curve_status_json(struct node *n, struct json_t *o)
{
	struct zap_stats zs;
	char hex[2 * FC_TKEYBYTES + 1];

	memset(&zs, 0, sizeof(zs));
	if (n->zap != NULL)
		zap_stats(n->zap, &zs);
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
}
