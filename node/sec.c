/*
 * sec.c: who may open a link to this node, and the CurveZMQ socket options.
 *
 * Admission is by transport key, the only thing a CURVE handshake proves. A key is admitted
 * when the trust state holds a grant that carries it (Cert.transport_key) and by itself makes
 * its subject a node now: valid, unrevoked, chained to a county root (crypto/'s
 * fc_trust_node_by_transport()). The link is then bound to that node's Ed25519 identity
 * through the ZAP user id. Before a node's certificate has reached its neighbours, the
 * operator lists its transport key in the config (bootstrap); such a link has no identity
 * beyond its transport key. A revocation overrides the config: a transport key carried by
 * a grant whose subject has been revoked is refused even when listed, so that a lost laptop
 * stops being a bootstrap peer as soon as its revocation arrives. Everything else (unknown
 * keys, expired certificates, a transport key replaced by a newer certificate) is refused.
 *
 * Each refused key is logged once (a bounded table of keys already logged), not on each of
 * the reconnect attempts a refused client keeps making.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "node.h"
#include "sec.h"

#define SEC_ZAP_DOMAIN	"fenghuo"

/* Does a grant carry tkey for a subject that has since been revoked (or its chain)? */
static int
tkey_revoked(const struct fc_trust *t, const uint8_t tkey[FC_TKEYBYTES], uint64_t now_ms)
{
	struct fc_policy_verdict v;
	const struct fc_grant *g;
	size_t i, n = fc_trust_grant_count(t);

	/* Linear, as fc_trust_node_by_transport(): once per refused handshake. */
	for (i = 0; i < n; i++) {
		if ((g = fc_trust_grant(t, i)) == NULL || !g->has_transport_key ||
		    memcmp(g->transport_key, tkey, FC_TKEYBYTES) != 0)
			continue;
		fc_trust_holds(t, g->subject, FENGHUO__ROLE__NODE, NULL, now_ms, &v);
		if (v.verdict == FC_POLICY_REJECT && (v.reason == FC_POLICY_R_REVOKED ||
		    v.reason == FC_POLICY_R_ISSUER_REVOKED))
			return 1;
	}
	return 0;
}

int
sec_transport_allowed(const struct fc_trust *t, const uint8_t (*bootstrap)[FC_TKEYBYTES],
    size_t nbootstrap, const uint8_t tkey[FC_TKEYBYTES], uint64_t now_ms,
    uint8_t node_key_out[FC_PUBLICKEYBYTES])
{
	size_t i;

	memset(node_key_out, 0, FC_PUBLICKEYBYTES);
	if (t != NULL) {
		if (fc_trust_node_by_transport(t, tkey, now_ms, node_key_out) == 0)
			return SEC_ADMITTED_NODE;
		memset(node_key_out, 0, FC_PUBLICKEYBYTES);
		if (tkey_revoked(t, tkey, now_ms))
			return SEC_REFUSED_REVOKED;
	}
	for (i = 0; i < nbootstrap; i++)
		if (memcmp(bootstrap[i], tkey, FC_TKEYBYTES) == 0)
			return SEC_ADMITTED_BOOTSTRAP;
	return SEC_REFUSED_UNKNOWN;
}

int
sec_transport_of_node(const struct fc_trust *t, const uint8_t node_key[FC_PUBLICKEYBYTES],
    uint64_t now_ms, uint8_t tkey_out[FC_TKEYBYTES])
{
	const struct fc_grant *g, *best = NULL;
	uint8_t subject[FC_PUBLICKEYBYTES];
	size_t i, n = fc_trust_grant_count(t);

	/*
	 * The newest valid grant wins: after a transport key rotation both certificates may be
	 * valid for a while, and the node uses its new key. (Grants are listed in the order
	 * they were recorded, which gossip does not keep, so compare created times.)
	 */
	for (i = 0; i < n; i++) {
		if ((g = fc_trust_grant(t, i)) == NULL || !g->has_transport_key ||
		    memcmp(g->subject, node_key, FC_PUBLICKEYBYTES) != 0 ||
		    (best != NULL && g->created_ms <= best->created_ms))
			continue;
		if (fc_trust_node_by_transport(t, g->transport_key, now_ms, subject) == 0 &&
		    memcmp(subject, node_key, FC_PUBLICKEYBYTES) == 0)
			best = g;
	}
	if (best == NULL)
		return -1;
	memcpy(tkey_out, best->transport_key, FC_TKEYBYTES);
	return 0;
}

const char *
sec_admission_name(int admission)
{
	switch (admission) {
	case SEC_REFUSED_UNKNOWN:
		return "unknown";
	case SEC_REFUSED_REVOKED:
		return "revoked";
	case SEC_ADMITTED_NODE:
		return "node";
	case SEC_ADMITTED_BOOTSTRAP:
		return "bootstrap";
	}
	return "?";
}

int
sec_user_id_parse(const char *uid, uint8_t node_key[FC_PUBLICKEYBYTES])
{
	uint8_t tkey[FC_TKEYBYTES];
	size_t plen = strlen(SEC_UID_BOOTSTRAP);

	memset(node_key, 0, FC_PUBLICKEYBYTES);
	if (uid == NULL)
		return -1;
	if (strlen(uid) == 2 * FC_PUBLICKEYBYTES &&
	    fc_unhex(uid, node_key, FC_PUBLICKEYBYTES) == 0)
		return 1;
	memset(node_key, 0, FC_PUBLICKEYBYTES);
	if (strncmp(uid, SEC_UID_BOOTSTRAP, plen) == 0 &&
	    strlen(uid + plen) == 2 * FC_TKEYBYTES &&
	    fc_unhex(uid + plen, tkey, FC_TKEYBYTES) == 0)
		return 0;
	return -1;
}

int
sec_zap_check(void *arg, const struct zap_request *req, char user_id[ZAP_USER_ID_MAX])
{
	struct sec_admit *a = arg;
	uint8_t node[FC_PUBLICKEYBYTES];
	char hex[2 * FC_TKEYBYTES + 1];
	int r, created = 1;

	r = sec_transport_allowed(a->trust, a->bootstrap, a->nbootstrap, req->client_key,
	    a->now_ms, node);
	switch (r) {
	case SEC_ADMITTED_NODE:
		a->admitted_node++;
		fc_hex(node, sizeof(node), user_id);
		log_debug("zap: admitted node %.16s from %s", user_id, req->address);
		return ZAP_ALLOW;
	case SEC_ADMITTED_BOOTSTRAP:
		a->admitted_bootstrap++;
		snprintf(user_id, ZAP_USER_ID_MAX, "%s%s", SEC_UID_BOOTSTRAP,
		    fc_hex(req->client_key, FC_TKEYBYTES, hex));
		log_debug("zap: admitted bootstrap transport key %.16s from %s", hex,
		    req->address);
		return ZAP_ALLOW;
	case SEC_REFUSED_REVOKED:
		a->refused_revoked++;
		break;
	default:
		a->refused_unknown++;
		break;
	}
	if (a->logged != NULL)
		(void)bucket_table_get(a->logged, req->client_key, 0, &created);
	if (!created)
		return ZAP_DENY;
	a->refusals_logged++;
	log_warnx("zap: refused %s transport key %.16s from %s", sec_admission_name(r),
	    fc_hex(req->client_key, FC_TKEYBYTES, hex), req->address);
	return ZAP_DENY;
}

int
sec_curve_server(void *sock, const struct fc_tkey *k, const struct zap *zap)
{
	int one = 1;

	if (zap == NULL)
		return EINVAL;	/* see the WARNING in sec.h */
	if (zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, SEC_ZAP_DOMAIN, strlen(SEC_ZAP_DOMAIN)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, fc_tkey_public(k), FC_TKEYBYTES) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, fc_tkey_secret(k), FC_TKEYBYTES) != 0)
		return errno;
	return 0;
}

int
sec_curve_client(void *sock, const struct fc_tkey *k, const uint8_t server_key[FC_TKEYBYTES])
{
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_key, FC_TKEYBYTES) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, fc_tkey_public(k), FC_TKEYBYTES) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, fc_tkey_secret(k), FC_TKEYBYTES) != 0)
		return errno;
	return 0;
}
