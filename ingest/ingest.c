/*
 * ingest.c: the pipeline of ingest.h.
 *
 * A commit walks the batch twice. First every envelope is split and hashed (its id) and all
 * ids are looked up in one read transaction. Then, in order, each one not stored is checked
 * against the ids taken earlier in this batch, decoded, admitted, checked and judged; the
 * ones accepted go into one store_put_batch(). An id is "taken" by the batch only once a
 * copy of it has been accepted or held, so a forged copy ahead of the genuine one in the
 * same batch does not turn the genuine one into a duplicate.
 *
 * The policy runs before the write transaction, not inside it: a CERT accepted for an
 * earlier envelope is in the trust state when a later one of the same batch is judged. If
 * the write then fails, the trust state is read again from the store, so that it never
 * holds a certificate the store does not.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

#define ANCHORS_FILE		"anchors"

struct item {
	uint8_t			*env;
	size_t			 len;
	struct ingest_src	 src;
	uint8_t			 from[FC_PUBLICKEYBYTES];
	int			 has_from;	/* src.from is set to from once items stop moving */
	uint64_t		 held_ms;	/* released or from the held area: first held */
	int			 from_area;	/* read from <state>/held */
	/* commit */
	int			 has_id;
	uint8_t			 id[FC_IDBYTES];
	struct fc_msg		 msg;
	struct ingest_result	 r;
};

struct ingest {
	struct store		*st;
	char			*state;
	uint8_t			(*anchors)[FC_PUBLICKEYBYTES];
	size_t			 nanchors;
	int			 open;
	struct fc_trust		*trust;
	struct fc_held		*held;
	ingest_admit_fn		 admit;
	void			*admit_arg;
	size_t			 batch_max, batch_bytes;

	struct item		*items;		/* gathered for the next commit */
	size_t			 nitems, cap, bytes;
	uint8_t			(*certified)[FC_PUBLICKEYBYTES];	/* by this commit */
	size_t			 ncertified, certified_cap;
	struct ingest_stats	 stats;
};

const char *
ingest_strerror(int err)
{
	switch (err) {
	case INGEST_ENOANCHOR:
		return "no trust anchor";
	case INGEST_EANCHORS:
		return "the anchors file does not read";
	case INGEST_EFULL:
		return "the batch is full";
	default:
		return store_strerror(err);
	}
}

/* ---- trust state ---------------------------------------------------------------------- */

static int
anchor_add(struct ingest *ig, const uint8_t *key)
{
	uint8_t (*a)[FC_PUBLICKEYBYTES];
	size_t i;

	for (i = 0; i < ig->nanchors; i++)
		if (memcmp(ig->anchors[i], key, FC_PUBLICKEYBYTES) == 0)
			return 0;
	if ((a = reallocarray(ig->anchors, ig->nanchors + 1, sizeof(*a))) == NULL)
		return ENOMEM;
	ig->anchors = a;
	memcpy(a[ig->nanchors++], key, FC_PUBLICKEYBYTES);
	return 0;
}

/* <state>/anchors, which `fenghuo init-county` writes; a missing file is no anchor. */
static int
anchors_file(struct ingest *ig, char *err, size_t errlen)
{
	char path[4096];
	int rc;

	if (ig->state == NULL)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", ig->state, ANCHORS_FILE) >=
	    sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", ig->state);
		return INGEST_EANCHORS;
	}
	/* The reader the CLI's trust view uses too (crypto/anchors.c). */
	if ((rc = fc_anchors_read(path, &ig->anchors, NULL, &ig->nanchors, err, errlen)) == 0)
		return 0;
	return rc == FC_ENOMEM ? ENOMEM : INGEST_EANCHORS;
}

struct load_ctx {
	struct fc_trust	*trust;
	int		 err;
};

static int
load_one(void *arg, const struct store_view *v)
{
	struct load_ctx *ctx = arg;
	struct fc_msg msg;

	/*
	 * Read back as if a peer had sent it (STYLE 8), judged with this node's clock at first
	 * sight, as on arrival: a certificate that has expired since is still a valid record.
	 * One that does not validate any more is left out.
	 */
	if (fc_validate(v->env, v->len, v->seen->first_seen_ms, v->seen->first_seen_ms,
	    &msg) != FC_R_OK)
		return 0;
	if (fc_trust_add(ctx->trust, &msg) == FC_ENOMEM)
		ctx->err = ENOMEM;
	fc_msg_clear(&msg);
	return ctx->err;
}

/* (Re)build the trust state: the anchors, then every CERT and REVOKE stored. */
static int
trust_load(struct ingest *ig)
{
	struct load_ctx ctx = { NULL, 0 };
	int rc;

	fc_trust_free(&ig->trust);
	if (ig->open)
		return 0;
	if ((ctx.trust = fc_trust_new((const uint8_t (*)[FC_PUBLICKEYBYTES])ig->anchors,
	    ig->nanchors)) == NULL)
		return ENOMEM;
	rc = store_iter_time(ig->st, 0, 0, FENGHUO__KIND__CERT, 0, load_one, &ctx);
	if (rc == 0)
		rc = store_iter_time(ig->st, 0, 0, FENGHUO__KIND__REVOKE, 0, load_one, &ctx);
	if (ctx.err != 0)
		rc = ctx.err;
	if (rc != 0) {
		fc_trust_free(&ctx.trust);
		return rc;
	}
	ig->trust = ctx.trust;
	return 0;
}

int
ingest_open(struct store *st, const struct ingest_conf *c, struct ingest **out, char *err,
    size_t errlen)
{
	struct ingest *ig;
	size_t i;
	int rc;

	*out = NULL;
	snprintf(err, errlen, "out of memory");
	if ((ig = calloc(1, sizeof(*ig))) == NULL)
		return ENOMEM;
	ig->st = st;
	ig->open = c->open;
	ig->batch_max = c->batch_max > 0 ? c->batch_max : SIZE_MAX;
	ig->batch_bytes = c->batch_bytes > 0 ? c->batch_bytes : SIZE_MAX;
	if (c->state != NULL && (ig->state = strdup(c->state)) == NULL) {
		rc = ENOMEM;
		goto err;
	}
	if (!ig->open) {
		for (i = 0; i < c->nanchors; i++)
			if ((rc = anchor_add(ig, c->anchors[i])) != 0)
				goto err;
		if ((rc = anchors_file(ig, err, errlen)) != 0)
			goto err;
		if (ig->nanchors == 0) {
			if (c->need_anchor) {
				snprintf(err, errlen, "no trust anchor");
				rc = INGEST_ENOANCHOR;
				goto err;
			}
			ig->open = 1;	/* nothing to judge by */
		}
	}
	/* Nothing is held without a policy. */
	if (!ig->open &&
	    (ig->held = fc_held_new(c->held_max, c->held_bytes, c->held_ttl_ms)) == NULL) {
		snprintf(err, errlen, "out of memory, or no room for held messages");
		rc = ENOMEM;
		goto err;
	}
	if ((rc = trust_load(ig)) != 0) {
		snprintf(err, errlen, "cannot read the certificates in the store: %s",
		    ingest_strerror(rc));
		goto err;
	}
	ig->stats.anchors = ig->nanchors;
	*out = ig;
	return 0;
err:
	ingest_close(&ig);
	return rc;
}

static void
items_clear(struct ingest *ig)
{
	size_t i;

	for (i = 0; i < ig->nitems; i++) {
		free(ig->items[i].env);
		fc_msg_clear(&ig->items[i].msg);
	}
	ig->nitems = 0;
	ig->bytes = 0;
}

void
ingest_close(struct ingest **igp)
{
	struct ingest *ig = *igp;

	if (ig == NULL)
		return;
	items_clear(ig);
	free(ig->items);
	free(ig->certified);
	fc_trust_free(&ig->trust);
	fc_held_free(&ig->held);
	free(ig->anchors);
	free(ig->state);
	free(ig);
	*igp = NULL;
}

void
ingest_set_admit(struct ingest *ig, ingest_admit_fn fn, void *arg)
{
	ig->admit = fn;
	ig->admit_arg = fn != NULL ? arg : NULL;
}

const struct fc_trust *
ingest_trust(const struct ingest *ig)
{
	return ig->trust;
}

void
ingest_stats(const struct ingest *ig, struct ingest_stats *out)
{
	*out = ig->stats;
	if (ig->held != NULL)
		fc_held_stats(ig->held, &out->mem);
	else
		memset(&out->mem, 0, sizeof(out->mem));
}

/* ---- gathering ------------------------------------------------------------------------ */

int
ingest_full(const struct ingest *ig)
{
	return ig->nitems >= ig->batch_max || ig->bytes >= ig->batch_bytes;
}

size_t
ingest_pending(const struct ingest *ig)
{
	return ig->nitems;
}

static struct item *
item_new(struct ingest *ig, const uint8_t *env, size_t len, const struct ingest_src *src)
{
	struct item *it, *a;
	size_t cap;

	if (ig->nitems == ig->cap) {
		cap = ig->cap ? ig->cap * 2 : 64;
		if ((a = reallocarray(ig->items, cap, sizeof(*a))) == NULL)
			return NULL;
		ig->items = a;
		ig->cap = cap;
	}
	it = &ig->items[ig->nitems];
	memset(it, 0, sizeof(*it));
	if ((it->env = malloc(len > 0 ? len : 1)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(it->env, env, len);
	it->len = len;
	it->src = *src;
	it->src.from = NULL;
	if (src->origin == INGEST_PEER && src->from != NULL) {
		memcpy(it->from, src->from, FC_PUBLICKEYBYTES);
		it->has_from = 1;
	}
	ig->nitems++;
	ig->bytes += len;
	return it;
}

int
ingest_add(struct ingest *ig, const uint8_t *env, size_t len, const struct ingest_src *src)
{
	if (ingest_full(ig))
		return INGEST_EFULL;
	return item_new(ig, env, len, src) != NULL ? 0 : ENOMEM;
}

/* ---- commit --------------------------------------------------------------------------- */

/* The ids taken by the batch so far: open addressing over the ids' own random bytes. */
struct idset {
	const uint8_t	**slot;
	size_t		  mask;
};

static int
idset_init(struct idset *s, size_t n)
{
	size_t size = 16;

	while (size < 2 * n)
		size *= 2;
	if ((s->slot = calloc(size, sizeof(*s->slot))) == NULL)
		return ENOMEM;
	s->mask = size - 1;
	return 0;
}

/* The slot of id: where it is, or the free one where it goes (the set is never full). */
static size_t
idset_slot(const struct idset *s, const uint8_t *id)
{
	uint64_t h;
	size_t i;

	memcpy(&h, id, sizeof(h));
	for (i = (size_t)h & s->mask; s->slot[i] != NULL; i = (i + 1) & s->mask)
		if (memcmp(s->slot[i], id, FC_IDBYTES) == 0)
			break;
	return i;
}

static void
certified_add(struct ingest *ig, const uint8_t *subject)
{
	uint8_t (*c)[FC_PUBLICKEYBYTES];
	size_t i, cap;

	for (i = 0; i < ig->ncertified; i++)
		if (memcmp(ig->certified[i], subject, FC_PUBLICKEYBYTES) == 0)
			return;
	if (ig->ncertified == ig->certified_cap) {
		cap = ig->certified_cap ? ig->certified_cap * 2 : 16;
		/* Out of memory: its waiters stay held until another CERT or their expiry. */
		if ((c = reallocarray(ig->certified, cap, sizeof(*c))) == NULL)
			return;
		ig->certified = c;
		ig->certified_cap = cap;
	}
	memcpy(ig->certified[ig->ncertified++], subject, FC_PUBLICKEYBYTES);
}

/* Keep an imported message that is held in the held area too. */
static void
keep_held(struct ingest *ig, struct item *it, size_t *count)
{
	int rc;

	if (ig->state == NULL || it->from_area) {
		it->r.held_kept = it->from_area;
		return;
	}
	rc = store_held_put(ig->state, it->id, it->env, it->len, count);
	it->r.held_kept = rc == 0;
	it->r.held_error = rc;
}

/* The trust policy's verdict on a checked message; sets it->r. 1 when it is to be stored. */
static int
judge(struct ingest *ig, struct item *it, uint64_t now_ms, size_t *area_count)
{
	struct fc_policy_verdict v;
	const Fenghuo__Body *b = it->msg.body;
	int rc;

	if (ig->trust == NULL)
		return 1;
	fc_policy_check(ig->trust, &it->msg, now_ms, &v);
	it->r.policy_reason = v.reason;
	switch (v.verdict) {
	case FC_POLICY_ACCEPT:
		if (b->kind != FENGHUO__KIND__CERT && b->kind != FENGHUO__KIND__REVOKE)
			return 1;
		if (fc_trust_add(ig->trust, &it->msg) != 0) {
			/* Not recorded: refuse it now, so that it is offered again later. */
			it->r.status = INGEST_REJECTED;
			it->r.reason = FC_R_POLICY;
			it->r.policy_reason = FC_POLICY_R_MALFORMED;
			return 0;
		}
		if (b->kind == FENGHUO__KIND__CERT && b->cert != NULL &&
		    b->cert->subject.len == FC_PUBLICKEYBYTES)
			certified_add(ig, b->cert->subject.data);
		return 1;
	case FC_POLICY_HOLD:
		/*
		 * Written here, by a local user: this store is its only copy, and a report
		 * written offline must not be lost because its author's certificate has not
		 * reached this node. Stored and sent on; every node judges it on arrival.
		 */
		if (it->src.origin == INGEST_LOCAL) {
			ig->stats.stored_unchained++;
			return 1;
		}
		rc = fc_held_add(ig->held, it->env, it->len, it->id, v.missing,
		    it->held_ms != 0 ? it->held_ms : now_ms);
		(void)rc;	/* beyond the bound: not kept in memory; sync brings it again */
		it->r.status = INGEST_HELD;
		ig->stats.held++;
		if (it->src.origin == INGEST_IMPORT)
			keep_held(ig, it, area_count);
		return 0;
	default:
		it->r.status = INGEST_REJECTED;
		it->r.reason = FC_R_POLICY;
		return 0;
	}
}

/* Decode, admit, check and judge one envelope not stored yet. 1 when it is to be stored. */
static int
take(struct ingest *ig, struct item *it, uint64_t now_ms, size_t *area_count)
{
	int rc;

	if ((rc = fc_msg_decode(it->env, it->len, it->id, &it->msg)) != FC_R_OK) {
		it->r.status = INGEST_REJECTED;
		it->r.reason = rc;
		return 0;
	}
	it->r.kind = it->msg.body->has_kind ? (int)it->msg.body->kind : 0;
	if (ig->admit != NULL) {
		switch (ig->admit(ig->admit_arg, &it->src, &it->msg)) {
		case INGEST_ADMIT:
			break;
		case INGEST_ADMIT_CHARGED:
			it->r.charged = 1;
			break;
		default:
			it->r.status = INGEST_REFUSED;
			fc_msg_clear(&it->msg);
			return 0;
		}
	}
	if ((rc = fc_msg_check(&it->msg, now_ms, now_ms)) != FC_R_OK) {
		it->r.status = INGEST_REJECTED;
		it->r.reason = rc;
		return 0;
	}
	return judge(ig, it, now_ms, area_count);
}

/* The level a receipt travels at: its warning's, when that is in the batch or stored. */
static int
warning_level(const Fenghuo__Body *b)
{
	return b->kind == FENGHUO__KIND__WARNING && b->warning != NULL &&
	    b->warning->has_level ? (int)b->warning->level : 0;
}

static int
receipt_level(struct ingest *ig, const struct idset *taken, const struct item *it)
{
	const Fenghuo__Body *b = it->msg.body;
	const struct item *w;
	struct store_msg m;
	struct fc_msg dm;
	size_t slot;
	int level = 0;

	if (b->n_refs < 1 || b->refs[0].len != FC_IDBYTES)
		return 0;
	/* Its warning earlier in this batch: the set of taken ids points into the items. */
	slot = idset_slot(taken, b->refs[0].data);
	if (taken->slot[slot] != NULL) {
		w = (const struct item *)(const void *)(taken->slot[slot] -
		    offsetof(struct item, id));
		return w->msg.body != NULL ? warning_level(w->msg.body) : 0;
	}
	memset(&m, 0, sizeof(m));
	if (store_get(ig->st, b->refs[0].data, &m) != 0)
		return 0;
	if (m.seen.kind == FENGHUO__KIND__WARNING &&
	    fc_msg_decode(m.env, m.len, b->refs[0].data, &dm) == FC_R_OK) {
		level = warning_level(dm.body);
		fc_msg_clear(&dm);
	}
	store_msg_clear(&m);
	return level;
}

/* Messages waiting for the subjects certified by this commit: into the next batch. */
static void
release(struct ingest *ig)
{
	struct fc_held_entry *e;
	struct ingest_src src = { INGEST_RELEASED, NULL, 0, 0 };
	struct item *it;
	size_t i, j, ne;

	for (i = 0; i < ig->ncertified; i++) {
		e = NULL;
		ne = 0;
		if (fc_held_take(ig->held, ig->certified[i], &e, &ne) != 0)
			continue;	/* out of memory: they stay held */
		for (j = 0; j < ne; j++) {
			/* One that cannot be gathered is dropped: sync brings it again. */
			if ((it = item_new(ig, e[j].env, e[j].len, &src)) == NULL)
				continue;
			it->held_ms = e[j].held_ms;
			ig->stats.released++;
		}
		fc_held_entries_free(&e, ne);
	}
	ig->ncertified = 0;
}

static void
hand_back(struct ingest *ig, struct item *items, size_t n, ingest_result_fn fn, void *arg)
{
	struct item *it;
	size_t i;

	for (i = 0; i < n; i++) {
		it = &items[i];
		it->r.has_id = it->has_id;
		it->r.id = it->id;
		it->r.src = &it->src;
		it->r.msg = it->msg.body != NULL ? &it->msg : NULL;
		it->r.env = it->env;
		it->r.len = it->len;
		/* Out of the held area once it is not held any more. */
		if (ig->state != NULL && it->has_id && it->r.status != INGEST_HELD &&
		    it->r.status != INGEST_FAILED && it->r.status != INGEST_REFUSED &&
		    (it->from_area || (it->src.origin == INGEST_RELEASED &&
		    it->r.status == INGEST_NEW)))
			(void)store_held_del(ig->state, it->id);
		if (fn != NULL)
			fn(arg, &it->r);
	}
}

int
ingest_commit(struct ingest *ig, uint64_t now_ms, ingest_result_fn fn, void *arg)
{
	struct store_put *sp = NULL;
	uint8_t (*ids)[FC_IDBYTES] = NULL, *found = NULL;
	struct idset taken = { NULL, 0 };
	struct item *items;
	size_t n, i, slot, nput = 0, area_count = SIZE_MAX;
	int rc = 0, reason;

	if ((n = ig->nitems) == 0)
		return 0;
	items = ig->items;
	ig->stats.commits++;
	if ((sp = calloc(n, sizeof(*sp))) == NULL || (ids = calloc(n, sizeof(*ids))) == NULL ||
	    (found = calloc(n, 1)) == NULL || idset_init(&taken, n) != 0) {
		rc = ENOMEM;
		goto fail;
	}
	/* Split and id once; one read of the store for all of them. */
	for (i = 0; i < n; i++) {
		/* The array no longer grows: a pointer into an item stays valid now. */
		items[i].src.from = items[i].has_from ? items[i].from : NULL;
		memset(&items[i].r, 0, sizeof(items[i].r));
		reason = fc_envelope_id(items[i].env, items[i].len, items[i].id);
		if (reason != FC_R_OK) {
			items[i].r.status = INGEST_REJECTED;
			items[i].r.reason = reason;
			memset(items[i].id, 0, FC_IDBYTES);
			continue;
		}
		items[i].has_id = 1;
		memcpy(ids[i], items[i].id, FC_IDBYTES);
	}
	if ((rc = store_lookup(ig->st, (const uint8_t (*)[FC_IDBYTES])ids, n, found)) != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		struct item *it = &items[i];

		if (!it->has_id)
			continue;
		slot = idset_slot(&taken, it->id);
		if (found[i] || taken.slot[slot] != NULL) {
			it->r.status = INGEST_DUP;
			continue;
		}
		/* Rejected or refused: a later copy of the same id gets its own chance. */
		if (!take(ig, it, now_ms, &area_count)) {
			if (it->r.status == INGEST_HELD)
				taken.slot[slot] = it->id;
			continue;
		}
		taken.slot[slot] = it->id;
		sp[nput].msg = &it->msg;
		sp[nput].env = it->env;
		sp[nput].len = it->len;
		sp[nput].from = it->src.from;
		sp[nput].hops = it->src.hops;
		nput++;
	}
	/* Nothing new (a batch of duplicates, say): no write transaction at all. */
	if (nput > 0 && (rc = store_put_batch(ig->st, sp, nput, now_ms)) != 0) {
		/* The policy may have recorded CERTs that are not stored after all. */
		(void)trust_load(ig);
		ig->ncertified = 0;
		goto fail;
	}
	for (i = 0, nput = 0; i < n; i++) {
		struct item *it = &items[i];

		if (it->r.status != 0)
			continue;
		it->r.status = sp[nput++].status == STORE_NEW ? INGEST_NEW : INGEST_DUP;
		if (it->r.status == INGEST_NEW)
			it->r.level = it->r.kind == FENGHUO__KIND__RECEIPT ?
			    receipt_level(ig, &taken, it) : warning_level(it->msg.body);
	}
	goto done;
fail:
	for (i = 0; i < n; i++) {
		memset(&items[i].r, 0, sizeof(items[i].r));
		items[i].r.status = INGEST_FAILED;
	}
done:
	free(taken.slot);
	free(found);
	free(ids);
	free(sp);
	/*
	 * The batch leaves the ingest before the results go out, so that a callback may add
	 * to the next one; the released messages join it.
	 */
	ig->items = NULL;
	ig->nitems = ig->cap = ig->bytes = 0;
	release(ig);
	hand_back(ig, items, n, fn, arg);
	for (i = 0; i < n; i++) {
		free(items[i].env);
		fc_msg_clear(&items[i].msg);
	}
	free(items);
	return rc;
}

/* ---- the held area -------------------------------------------------------------------- */

struct area_ctx {
	struct ingest	*ig;
	size_t		 n;
	int		 err;
};

static int
area_one(void *arg, const uint8_t id[FC_IDBYTES], const uint8_t *env, size_t len,
    uint64_t held_ms)
{
	struct area_ctx *ac = arg;
	struct ingest_src src = { INGEST_IMPORT, NULL, 0, 0 };
	struct item *it;
	uint8_t real[FC_IDBYTES];

	/* Not what its name says: ignored (it expires with the area's time to live). */
	if (fc_envelope_id(env, len, real) != FC_R_OK || memcmp(real, id, FC_IDBYTES) != 0)
		return 0;
	if ((it = item_new(ac->ig, env, len, &src)) == NULL) {
		ac->err = ENOMEM;
		return 1;
	}
	it->from_area = 1;
	it->held_ms = held_ms;
	ac->n++;
	return 0;
}

int
ingest_load_held(struct ingest *ig, uint64_t now_ms, size_t *n)
{
	struct area_ctx ac = { ig, 0, 0 };
	int rc;

	*n = 0;
	if (ig->state == NULL)
		return 0;
	rc = store_held_iter(ig->state, now_ms, area_one, &ac);
	*n = ac.n;
	return ac.err != 0 ? ac.err : rc;
}

size_t
ingest_cron(struct ingest *ig, uint64_t now_ms)
{
	return ig->held != NULL ? fc_held_expire(ig->held, now_ms) : 0;
}

/* ---- synchronous use ------------------------------------------------------------------ */

static void
put_result(void *arg, const struct ingest_result *r)
{
	struct ingest_put *items = arg, *p;

	if (r->src->tag == 0)
		return;	/* released by a CERT of the batch */
	p = &items[r->src->tag - 1];
	p->status = r->status;
	p->reason = r->reason;
	p->policy_reason = r->policy_reason;
	if (r->has_id)
		memcpy(p->id, r->id, FC_IDBYTES);
	p->kind = r->kind;
	p->flags = r->msg != NULL ? r->msg->flags : 0;
}

int
ingest_put_batch(struct ingest *ig, struct ingest_put *items, size_t n, uint64_t now_ms)
{
	struct ingest_src src;
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		memset(&src, 0, sizeof(src));
		src.origin = items[i].from != NULL ? INGEST_PEER : INGEST_LOCAL;
		src.from = items[i].from;
		src.hops = items[i].hops;
		src.tag = i + 1;
		items[i].status = items[i].reason = items[i].policy_reason = 0;
		items[i].kind = 0;
		items[i].flags = 0;
		memset(items[i].id, 0, FC_IDBYTES);
		if (item_new(ig, items[i].env, items[i].len, &src) == NULL) {
			items_clear(ig);
			return ENOMEM;
		}
	}
	/* Bounded: each round needs a CERT of the one before to release anything. */
	for (i = 0; rc == 0 && ig->nitems > 0 && i < 64; i++)
		rc = ingest_commit(ig, now_ms, put_result, items);
	return rc;
}

int
ingest_put_open(struct store *st, struct ingest_put *items, size_t n, uint64_t now_ms)
{
	struct ingest_conf c;
	struct ingest *ig;
	char err[256];
	int rc;

	memset(&c, 0, sizeof(c));
	c.open = 1;
	if ((rc = ingest_open(st, &c, &ig, err, sizeof(err))) != 0)
		return rc;
	rc = ingest_put_batch(ig, items, n, now_ms);
	ingest_close(&ig);
	return rc;
}
