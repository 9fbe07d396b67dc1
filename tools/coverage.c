/*
 * coverage.c: who holds a warning. The roster of its areas (cli_roster: the nodes with a
 * valid node certificate for a region inside them, less the warning's author), which of
 * them confirmed it with a DELIVERED receipt stored here, when this node first saw each
 * confirmation, and, for the missing ones, when this node last heard from or of them.
 * `fenghuo coverage` prints it all, `fenghuo duty` the counts.
 *
 * A receipt counts when it validates and its author is on the roster; DELIVERED receipts
 * of others (a node whose certificate expired, a key outside the area) are kept apart as
 * "others" and never make up for a missing node.
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

#define COV_OTHERS_MAX	4096	/* distinct confirming keys off the roster, tracked */

static int
cov_node_cmp_key(const void *k, const void *e)
{
	const struct cli_cov_node *n = e;

	return memcmp(k, n->r.key, FC_PUBLICKEYBYTES);
}

/* The roster entry of key, or NULL (cov->nodes sorted by key while reading). */
static struct cli_cov_node *
cov_find(struct cli_coverage *cov, const uint8_t *key)
{
	if (cov->n == 0)
		return NULL;
	return bsearch(key, cov->nodes, cov->n, sizeof(*cov->nodes), cov_node_cmp_key);
}

static int
cov_key_cmp(const void *a, const void *b)
{
	const struct cli_cov_node *x = a, *y = b;

	return memcmp(x->r.key, y->r.key, FC_PUBLICKEYBYTES);
}

static int
cov_region_cmp(const void *a, const void *b)
{
	const struct cli_cov_node *x = a, *y = b;
	int c;

	if ((c = strcmp(x->r.region, y->r.region)) != 0)
		return c;
	return memcmp(x->r.key, y->r.key, FC_PUBLICKEYBYTES);
}

static void
cov_other(struct cli_coverage *cov, const uint8_t *key)
{
	uint8_t (*k)[FC_PUBLICKEYBYTES];
	size_t i, cap;

	for (i = 0; i < cov->nothers; i++)
		if (memcmp(cov->others[i], key, FC_PUBLICKEYBYTES) == 0)
			return;
	if (cov->nothers == COV_OTHERS_MAX)
		return;
	if (cov->nothers == cov->capothers) {
		cap = cov->capothers == 0 ? 8 : cov->capothers * 2;
		if ((k = reallocarray(cov->others, cap, sizeof(*k))) == NULL) {
			cov->nomem = 1;
			return;
		}
		cov->others = k;
		cov->capothers = cap;
	}
	memcpy(cov->others[cov->nothers++], key, FC_PUBLICKEYBYTES);
}

/* The path fields of a receipt (validation has checked via's length). */
static void
cov_path(struct cli_cov_path *p, const Fenghuo__Receipt *r)
{
	memset(p, 0, sizeof(*p));
	if (r->has_via && r->via.len == WIRE_VIA_BYTES) {
		p->has_via = 1;
		memcpy(p->via, r->via.data, WIRE_VIA_BYTES);
	}
	p->has_hops = r->has_hops;
	p->hops = r->hops;
	p->has_delay = r->has_delay_ms;
	p->delay_ms = r->delay_ms;
	p->has_link = r->has_link;
	p->link = r->link;
}

/* store_iter_refs callback: the DELIVERED receipts that refer to the message. */
static int
cov_receipt(void *arg, const struct store_view *v)
{
	struct cli_coverage *cov = arg;
	const Fenghuo__Body *b;
	struct cli_cov_node *n;
	struct fc_msg m;

	if (cli_validate_stored(v->env, v->len, v->seen, &m) != FC_R_OK)
		return 0;
	b = m.body;
	if (b->receipt != NULL && b->receipt->stage == FENGHUO__STAGE__DELIVERED &&
	    b->has_author && b->author.len == FC_PUBLICKEYBYTES) {
		if (cov->delivered != NULL)
			cov->delivered(cov->delivered_arg, b->author.data);
		if ((n = cov_find(cov, b->author.data)) == NULL) {
			cov_other(cov, b->author.data);
		} else if (n->confirmed_ms == 0 || v->seen->first_seen_ms < n->confirmed_ms) {
			if (n->confirmed_ms == 0)
				cov->confirmed++;
			/* 0 means "not confirmed": a first-seen time is never the epoch. */
			n->confirmed_ms = v->seen->first_seen_ms > 0 ? v->seen->first_seen_ms : 1;
			memcpy(n->receipt, v->id, FC_IDBYTES);
			cov_path(&n->path, b->receipt);
		}
	}
	fc_msg_clear(&m);
	return cov->nomem;
}

int
cli_coverage_read(struct cli *cli, struct store *st, const struct fc_msg *msg,
    const struct store_seen *seen, uint64_t now_ms, struct cli_coverage *cov)
{
	return cli_coverage_read_ex(cli, st, msg, seen, now_ms, cov, NULL, NULL);
}

int
cli_coverage_read_ex(struct cli *cli, struct store *st, const struct fc_msg *msg,
    const struct store_seen *seen, uint64_t now_ms, struct cli_coverage *cov,
    void (*delivered)(void *, const uint8_t *), void *arg)
{
	const Fenghuo__Body *b = msg->body;
	struct cli_roster_node *r = NULL;
	struct cli_trust *ct;
	size_t i, n = 0;
	int rc;

	memset(cov, 0, sizeof(*cov));
	cov->t0 = seen->time_ms;
	if (b->has_author && b->author.len == FC_PUBLICKEYBYTES)
		memcpy(cov->author, b->author.data, FC_PUBLICKEYBYTES);
	if (b->warning == NULL)
		return EX_OK;
	if ((ct = cli_trust_get(cli)) != NULL && ct->nanchors > 0) {
		cov->anchors = 1;
		rc = cli_roster(cli, ct, b->warning->area, b->warning->n_area,
		    b->has_author && b->author.len == FC_PUBLICKEYBYTES ? b->author.data : NULL,
		    now_ms, &r, &n);
		if (rc != EX_OK)
			return rc;
	}
	if (n > 0 && (cov->nodes = calloc(n, sizeof(*cov->nodes))) == NULL) {
		free(r);
		cli_warnx(cli, "out of memory");
		return EX_OSERR;
	}
	for (i = 0; i < n; i++) {
		cov->nodes[i].r = r[i];
		cov->nodes[i].parent = CLI_COV_PARENT_NONE;	/* until cli_coverage_tree() */
	}
	cov->n = n;
	free(r);
	if (cov->n > 0)
		qsort(cov->nodes, cov->n, sizeof(*cov->nodes), cov_key_cmp);
	cov->delivered = delivered;
	cov->delivered_arg = arg;
	/* Receipts only: a warning's updates and cancels are no confirmations. */
	rc = store_iter_refs_of(st, msg->id, FENGHUO__KIND__RECEIPT, NULL, cov_receipt, cov);
	cov->delivered = NULL;
	cov->delivered_arg = NULL;
	if (cov->nomem) {
		cli_warnx(cli, "out of memory");
		cli_coverage_clear(cov);
		return EX_OSERR;
	}
	if (rc != 0) {
		cli_coverage_clear(cov);
		return cli_store_failed(cli, rc);
	}
	if (cov->n > 0)
		qsort(cov->nodes, cov->n, sizeof(*cov->nodes), cov_region_cmp);
	return EX_OK;
}

/* ---- when this node last heard from or of the missing nodes ---------------------------- */

struct heard_ctx {
	struct cli_coverage *cov;
	size_t		 left;		/* missing nodes not yet heard of */
};

static void
heard_note(struct heard_ctx *h, struct cli_cov_node *n, const struct store_view *v, int kind)
{
	if (n == NULL || n->confirmed_ms != 0 || n->heard_ms != 0)
		return;
	n->heard_ms = v->seen->first_seen_ms > 0 ? v->seen->first_seen_ms : 1;
	n->heard_kind = kind;
	memcpy(n->heard_id, v->id, FC_IDBYTES);
	n->heard_has_from = v->seen->has_from;
	memcpy(n->heard_from, v->seen->from, FC_PUBLICKEYBYTES);
	n->heard_hops = v->seen->hops;
	h->left--;
}

/*
 * store_iter_time callback, newest first: the first message authored by a missing node, or
 * handed over by it as a peer, is the last this node heard from it. Only the envelope is
 * split and the body decoded: the message was validated when it was stored, and its author
 * is all that is read here.
 */
static int
heard_one(void *arg, const struct store_view *v)
{
	struct heard_ctx *h = arg;
	const uint8_t *body, *sig;
	size_t blen, slen;
	Fenghuo__Body *b;

	if (v->seen->has_from)
		heard_note(h, cov_find(h->cov, v->seen->from), v, v->seen->kind);
	if (fc_envelope_split(v->env, v->len, &body, &blen, &sig, &slen) == 0 &&
	    (b = wire_body_unpack(body, blen)) != NULL) {
		if (b->has_author && b->author.len == FC_PUBLICKEYBYTES)
			heard_note(h, cov_find(h->cov, b->author.data), v, v->seen->kind);
		fenghuo__body__free_unpacked(b, NULL);
	}
	return h->left == 0;
}

int
cli_coverage_heard(struct cli *cli, struct store *st, struct cli_coverage *cov)
{
	struct heard_ctx h;
	int rc;

	h.cov = cov;
	h.left = cov->n - cov->confirmed;
	if (h.left == 0)
		return EX_OK;
	qsort(cov->nodes, cov->n, sizeof(*cov->nodes), cov_key_cmp);
	rc = store_iter_time(st, 0, 0, 0, 1, heard_one, &h);
	qsort(cov->nodes, cov->n, sizeof(*cov->nodes), cov_region_cmp);
	if (rc < 0 || (rc > 0 && h.left != 0))
		return cli_store_failed(cli, rc);
	return EX_OK;
}

/* ---- the delivery tree the receipts draw ----------------------------------------------- */

void
cli_coverage_tree(struct cli_coverage *cov)
{
	struct cli_cov_node *n;
	size_t i, j, matches;

	/*
	 * A linear search per node: a roster is hundreds of nodes, and a prefix is matched
	 * against all of them to see that it names one.
	 */
	for (i = 0; i < cov->n; i++) {
		n = &cov->nodes[i];
		n->parent = CLI_COV_PARENT_NONE;
		if (n->confirmed_ms == 0)
			continue;
		/* Stored without a neighbour: the warning was submitted (or imported) there. */
		if (!n->path.has_via) {
			if (n->path.has_hops)
				n->parent = CLI_COV_PARENT_ENTRY;
			continue;
		}
		matches = 0;
		if (memcmp(cov->author, n->path.via, WIRE_VIA_BYTES) == 0) {
			n->parent = CLI_COV_PARENT_AUTHOR;
			matches++;
		}
		for (j = 0; j < cov->n; j++)
			if (j != i && memcmp(cov->nodes[j].r.key, n->path.via, WIRE_VIA_BYTES) == 0) {
				n->parent = (long)j;
				matches++;
			}
		if (matches != 1)
			n->parent = CLI_COV_PARENT_OFF;
	}
}

const char *
cli_coverage_via_name(const struct cli_coverage *cov, const struct cli_trust *ct,
    const uint8_t *via, const uint8_t **key)
{
	const uint8_t *found = NULL, *k;
	size_t i, count, na;

	if (key != NULL)
		*key = NULL;
	if (memcmp(cov->author, via, WIRE_VIA_BYTES) == 0)
		found = cov->author;
	count = ct != NULL ? fc_trust_grant_count(ct->trust) : 0;
	na = ct != NULL ? ct->nanchors : 0;
	for (i = 0; i < na + count; i++) {
		k = i < na ? ct->anchors[i] : fc_trust_grant(ct->trust, i - na)->subject;
		if (memcmp(k, via, WIRE_VIA_BYTES) != 0 ||
		    (found != NULL && memcmp(found, k, FC_PUBLICKEYBYTES) == 0))
			continue;
		if (found != NULL)
			return NULL;	/* two keys share the prefix: it names neither */
		found = k;
	}
	if (key != NULL)
		*key = found;
	if (found == NULL || ct == NULL)
		return NULL;
	return cli_trust_key_name(ct, found);
}

const char *
cli_link_name(uint32_t link)
{
	const char *name = link <= INT32_MAX ? wire_link_name((int)link) : NULL;

	return name != NULL ? name : "unknown";
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t
cli_coverage_time_to(const struct cli_coverage *cov, unsigned percent)
{
	uint64_t *t, at;
	size_t i, k = 0, need;

	if (cov->n == 0)
		return UINT64_MAX;
	/* The confirmations it takes: percent of the roster, rounded up. */
	need = (cov->n * percent + 99) / 100;
	if (need == 0)
		need = 1;
	if (cov->confirmed < need || (t = calloc(cov->confirmed, sizeof(*t))) == NULL)
		return UINT64_MAX;
	for (i = 0; i < cov->n; i++)
		if (cov->nodes[i].confirmed_ms != 0)
			t[k++] = cov->nodes[i].confirmed_ms;
	qsort(t, k, sizeof(*t), u64_cmp);
	at = t[need - 1];
	free(t);
	/* A receipt seen before the warning's own time: clocks differ; count it as at once. */
	return at > cov->t0 ? at - cov->t0 : 0;
}

void
cli_coverage_clear(struct cli_coverage *cov)
{
	free(cov->nodes);
	free(cov->others);
	memset(cov, 0, sizeof(*cov));
}
