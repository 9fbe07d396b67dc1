/*
 * trust.c: the daemon applies the trust policy (docs/TRUST.md) to every message new to it.
 *
 * The trust state (crypto/'s struct fc_trust) is built at start from the anchors (the
 * [trust] anchors key and the file <state>/anchors that `fenghuo init-county` writes) and
 * from every CERT and REVOKE in the store, each validated again as it is read (STYLE 8).
 *
 * The policy runs inside store_put_batch(), as its policy hook, right after fc_validate():
 * one signature check per new message, and a verdict before anything is written. Every path
 * that brings a message in (peer PUSH, WANT answers and reconciliation, control-socket
 * submit and import) goes through gossip_commit() and so through the hook. The hook:
 *  - accepts: a CERT or REVOKE is recorded in the trust state at once, so that later
 *    messages of the same batch can rely on it; a CERT's subject is noted, so that after
 *    the commit the held messages waiting for it are released (trust_release());
 *  - holds: copies the envelope into the held buffer (bounded by count and bytes, expires
 *    after CONF_HELD_TTL_MS), keyed by the key whose certificate is missing; the store
 *    marks the item STORE_HELD and writes nothing;
 *  - rejects: the store marks the item STORE_REJECTED with FC_R_POLICY; gossip_commit()
 *    counts it under the policy's own reason too.
 * The hook may run twice for one item (a full map redoes the batch) or for a batch that
 * then fails: recording a CERT twice is ignored by fc_trust_add(), holding an id twice only
 * updates its entry, and a recorded CERT whose message was not stored is harmless.
 *
 * A released message goes through ingest again: validation (its signature is checked a
 * second time, once per release) and the policy. One still incomplete is held again with
 * its original held time, so re-holding never extends its life. Released messages have no
 * "from" peer any more (struct fc_held keeps none): they are stored as if submitted
 * locally and forwarded to every peer.
 *
 * With [trust] open = yes none of this runs: no hook, every valid message is accepted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

#define ANCHORS_FILE		"anchors"

int
trust_anchors_read(const char *path, FILE *errf, uint8_t (**keys)[FC_PUBLICKEYBYTES],
    size_t *nkeys)
{
	char err[FC_ANCHORS_ERRMAX];

	/* The reader the CLI uses too (crypto/anchors.c). */
	if (fc_anchors_read(path, keys, NULL, nkeys, err, sizeof(err)) != 0) {
		fprintf(errf, "%s\n", err);
		return -1;
	}
	return 0;
}

/* Note the subject of an accepted CERT: its waiters are released after the commit. */
static void
certified_add(struct node *n, const uint8_t *subject)
{
	uint8_t (*c)[FC_PUBLICKEYBYTES];
	size_t i, cap;

	for (i = 0; i < n->ncertified; i++)
		if (memcmp(n->certified[i], subject, FC_PUBLICKEYBYTES) == 0)
			return;
	if (n->ncertified == n->certified_cap) {
		cap = n->certified_cap ? n->certified_cap * 2 : 16;
		if ((c = reallocarray(n->certified, cap, sizeof(*c))) == NULL) {
			/* Its waiters stay held until another CERT or their expiry. */
			log_warnx("trust: out of memory");
			return;
		}
		n->certified = c;
		n->certified_cap = cap;
	}
	memcpy(n->certified[n->ncertified++], subject, FC_PUBLICKEYBYTES);
}

/* The first time an id being released was held, or now for a new message. */
static uint64_t
held_since(const struct node *n, const uint8_t *id, uint64_t now_ms)
{
	size_t i;

	for (i = 0; i < n->nrehold; i++)
		if (memcmp(n->rehold[i].id, id, FC_IDBYTES) == 0)
			return n->rehold[i].held_ms;
	return now_ms;
}

/* The store's policy hook (store.h: runs inside the write transaction). */
static int
trust_policy(void *arg, const struct store_put *it, const struct fc_msg *msg, uint64_t now_ms,
    int *reason)
{
	struct node *n = arg;
	const struct pending *pd;
	struct fc_policy_verdict v;
	char hex[2 * FC_PUBLICKEYBYTES + 1];
	int rc;

	fc_policy_check(n->trust, msg, now_ms, &v);
	*reason = v.reason;
	switch (v.verdict) {
	case FC_POLICY_ACCEPT:
		if (msg->body->kind != FENGHUO__KIND__CERT &&
		    msg->body->kind != FENGHUO__KIND__REVOKE)
			return STORE_POLICY_ACCEPT;
		if ((rc = fc_trust_add(n->trust, msg)) != 0) {
			/* Not recorded: refuse it now, so that it is offered again later. */
			log_warnx("trust: cannot record a %s: %s",
			    msg->body->kind == FENGHUO__KIND__CERT ? "CERT" : "REVOKE",
			    fc_strerror(rc));
			*reason = FC_POLICY_R_MALFORMED;
			return STORE_POLICY_REJECT;
		}
		if (msg->body->kind == FENGHUO__KIND__CERT && msg->body->cert != NULL &&
		    msg->body->cert->subject.len == FC_PUBLICKEYBYTES)
			certified_add(n, msg->body->cert->subject.data);
		if (msg->body->kind == FENGHUO__KIND__REVOKE)
			n->revoke_check = 1;	/* its live links close after the commit */
		return STORE_POLICY_ACCEPT;
	case FC_POLICY_HOLD:
		/*
		 * Written here, by a local user: this store is its only copy, and a report
		 * written offline must not be lost because its author's certificate has not
		 * reached this node (a restart empties the held set). Stored and sent on; every
		 * node judges it on arrival, as it does any message.
		 */
		pd = it->user;
		if (pd != NULL && pd->submit && !pd->imported) {
			n->stored_unchained++;
			return STORE_POLICY_ACCEPT;
		}
		rc = fc_held_add(n->held, it->env, it->len, it->id, v.missing,
		    held_since(n, it->id, now_ms));
		if (rc != 0)
			log_debug("trust: cannot hold a message waiting for %.16s...: %s",
			    fc_hex(v.missing, FC_PUBLICKEYBYTES, hex),
			    rc == E2BIG ? "larger than the held-message bound" : fc_strerror(rc));
		return STORE_POLICY_HOLD;
	default:
		return STORE_POLICY_REJECT;
	}
}

struct load_ctx {
	struct node	*n;
	size_t		 loaded, bad;
	int		 err;
};

static int
load_one(void *arg, const struct store_view *v)
{
	struct load_ctx *ctx = arg;
	struct fc_msg msg;
	char hex[FC_IDHEX];
	int rc;

	/*
	 * Read back as if a peer had sent it (STYLE 8), judged with this node's clock at first
	 * sight, as on arrival: a certificate that has expired since is still a valid record.
	 */
	rc = fc_validate(v->env, v->len, v->seen->first_seen_ms, v->seen->first_seen_ms, &msg);
	if (rc != FC_R_OK) {
		if (ctx->bad++ == 0)
			log_warnx("trust: stored message %s does not validate (%s); ignored",
			    fc_hex(v->id, FC_IDBYTES, hex), fc_reason_name(rc));
		return 0;
	}
	if ((rc = fc_trust_add(ctx->n->trust, &msg)) == FC_ENOMEM)
		ctx->err = ENOMEM;
	else if (rc == 0)
		ctx->loaded++;
	fc_msg_clear(&msg);
	return ctx->err;
}

int
trust_start(struct node *n)
{
	struct conf *c = n->conf;
	uint8_t (*keys)[FC_PUBLICKEYBYTES] = NULL;
	struct load_ctx ctx;
	size_t nkeys = 0, len;
	char *path = NULL;
	int rc;

	if (c->trust_open) {
		log_warnx("trust: open mode, any signed message is accepted — for tests and labs "
		    "only");
		return 0;
	}
	if (c->nanchors > 0) {
		if ((keys = calloc(c->nanchors, sizeof(*keys))) == NULL)
			goto nomem;
		memcpy(keys, c->anchors, c->nanchors * sizeof(*keys));
		nkeys = c->nanchors;
	}
	len = strlen(c->state) + sizeof("/" ANCHORS_FILE);
	if ((path = malloc(len)) == NULL)
		goto nomem;
	snprintf(path, len, "%s/%s", c->state, ANCHORS_FILE);
	if (trust_anchors_read(path, stderr, &keys, &nkeys) != 0) {
		log_warnx("trust: cannot read the anchors file %s", path);
		goto err;
	}
	if (nkeys == 0) {
		log_warnx("trust: no trust anchor: set [trust] anchors = HEX in %s or put the "
		    "county root public key in %s (fenghuo init-county writes it); [trust] "
		    "open = yes runs without a policy, for tests and labs only", c->path, path);
		goto err;
	}
	if ((n->trust = fc_trust_new((const uint8_t (*)[FC_PUBLICKEYBYTES])keys, nkeys)) ==
	    NULL || (n->held = fc_held_new(c->held_max, c->held_bytes, CONF_HELD_TTL_MS)) ==
	    NULL)
		goto nomem;

	memset(&ctx, 0, sizeof(ctx));
	ctx.n = n;
	rc = store_iter_time(n->store, 0, 0, FENGHUO__KIND__CERT, 0, load_one, &ctx);
	if (rc == 0)
		rc = store_iter_time(n->store, 0, 0, FENGHUO__KIND__REVOKE, 0, load_one, &ctx);
	if (ctx.err == ENOMEM)
		goto nomem;
	if (rc != 0) {
		log_warnx("trust: cannot read certificates from the store: %s",
		    store_strerror(rc));
		goto err;
	}
	store_set_policy(n->store, trust_policy, n);
	n->nanchors = nkeys;
	log_info("trust: %zu anchor(s), %zu certificate(s) and revocation(s) from the store%s",
	    nkeys, ctx.loaded, ctx.bad > 0 ? " (some stored ones did not validate)" : "");
	free(keys);
	free(path);
	return 0;
nomem:
	log_warnx("trust: out of memory");
err:
	free(keys);
	free(path);
	trust_stop(n);
	return -1;
}

void
trust_stop(struct node *n)
{
	if (n->store != NULL)
		store_set_policy(n->store, NULL, NULL);
	fc_trust_free(&n->trust);
	fc_held_free(&n->held);
	free(n->certified);
	n->certified = NULL;
	n->ncertified = n->certified_cap = 0;
	fc_held_entries_free(&n->rehold, n->nrehold);
	n->nrehold = 0;
}

/* Append the entries waiting for key to n->rehold. -1 when out of memory. */
static int
take_waiters(struct node *n, const uint8_t *key)
{
	struct fc_held_entry *e = NULL, *r;
	size_t ne = 0, i;

	if (fc_held_take(n->held, key, &e, &ne) != 0)
		return -1;
	if (ne == 0)
		return 0;
	if ((r = reallocarray(n->rehold, n->nrehold + ne, sizeof(*r))) == NULL) {
		/* Put them back as they were. */
		for (i = 0; i < ne; i++)
			(void)fc_held_add(n->held, e[i].env, e[i].len, e[i].id, e[i].wait_key,
			    e[i].held_ms);
		fc_held_entries_free(&e, ne);
		return -1;
	}
	n->rehold = r;
	memcpy(&n->rehold[n->nrehold], e, ne * sizeof(*e));
	n->nrehold += ne;
	free(e);	/* the envelopes now belong to n->rehold */
	return 0;
}

void
trust_release(struct node *n)
{
	uint8_t (*keys)[FC_PUBLICKEYBYTES];
	size_t nkeys, i, next;

	if (n->trust == NULL || n->releasing)
		return;
	n->releasing = 1;
	/* Each round may accept CERTs that release more: until none are left. */
	while (n->ncertified > 0) {
		keys = n->certified;
		nkeys = n->ncertified;
		n->certified = NULL;
		n->ncertified = n->certified_cap = 0;
		for (i = 0; i < nkeys; i++)
			if (take_waiters(n, keys[i]) != 0)
				log_warnx("trust: out of memory releasing held messages");
		free(keys);
		if (n->nrehold == 0)
			continue;
		n->released += n->nrehold;
		log_debug("trust: %zu held message(s) released for another check",
		    n->nrehold);
		/* As many per commit as a pass may gather. */
		for (next = 0; next < n->nrehold; ) {
			/* One that cannot be gathered is dropped: sync brings it again. */
			for (; next < n->nrehold && !gossip_pending_full(n); next++)
				(void)gossip_add(n, n->rehold[next].env, n->rehold[next].len,
				    NULL, 0, NULL, 0);
			gossip_commit(n);
		}
		fc_held_entries_free(&n->rehold, n->nrehold);
		n->nrehold = 0;
	}
	/*
	 * A revocation takes effect on live links too: every link authenticated by a key it
	 * withdrew is closed now, not only the handshakes to come (docs/TRUST.md).
	 */
	if (n->revoke_check) {
		n->revoke_check = 0;
		curve_revoke_links(n);
	}
	n->releasing = 0;
}

void
trust_cron(struct node *n, uint64_t now_wall_ms)
{
	size_t k;

	if (n->held == NULL)
		return;
	if ((k = fc_held_expire(n->held, now_wall_ms)) > 0)
		log_info("trust: %zu held message(s) expired without their certificate", k);
}
