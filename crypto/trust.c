/*
 * trust.c: the trust state (anchors, grants, revocations) and the evaluation of certificate
 * chains (DESIGN decision 12, docs/TRUST.md).
 *
 * The state is a set of facts: grants and revocations in append-only arrays, each with a hash
 * index on the subject key, so that recording one is O(1) and "every grant of key K" is one
 * short bucket chain. The hash is SipHash with a per-state random key, so nobody can grind
 * keys that pile into one bucket. Nothing is precomputed: fc_trust_holds() walks from the key
 * towards an anchor each time it is asked. That makes every verdict a function of the set of
 * known CERT and REVOKE messages alone, whatever order gossip delivered them in, which is
 * what lets every node of a healed mesh reach the same verdicts.
 *
 * The walk is a depth-first search over grants, bounded so that no set of certificates,
 * however hostile, can make it loop or take long: chain depth (FC_TRUST_MAX_DEPTH), a stack
 * of the keys on the current path (a key met again is a loop), a budget of recursive steps
 * and a budget of grants and revocations looked at. Exceeding the path or a budget fails
 * closed (FC_POLICY_R_COMPLEX).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"

#define TRUST_MAX_PATH	32	/* keys on the current path, revocation excursions included */
#define TRUST_STEPS	20000	/* recursive steps (holds() calls, revoker checks) */
#define TRUST_LOOKS	1000000	/* grants and revocations looked at: cheap, but bounded */
#define NONE		UINT32_MAX

/*
 * A hash index on a 32-byte key (the subject, or the id) of the elements of an append-only
 * array: bucket chains threaded through next[], one entry per element.
 */
struct index {
	uint32_t	*head;		/* nbuckets chain heads, NONE when empty */
	uint32_t	*next;		/* per element: the next in its bucket */
	size_t		 nbuckets;	/* a power of two, at least the element count */
	size_t		 cap;		/* elements next[] has room for */
	size_t		 key_off;	/* where the key is in an element */
};

/* An append-only array of grants or revocations, indexed by subject and by id. */
struct table {
	void		*base;
	size_t		 n, cap, sz;
	struct index	 by_subject;
	struct index	 by_id;
};

struct fc_trust {
	uint8_t			(*anchors)[FC_PUBLICKEYBYTES];
	size_t			  nanchors;
	unsigned char		  hkey[crypto_shorthash_KEYBYTES];
	struct table		  grants;	/* of struct fc_grant, in the order recorded */
	struct table		  revs;		/* of struct fc_revocation, likewise */
};

#define GRANT(t, i)	(&((const struct fc_grant *)(t)->grants.base)[i])
#define REV(t, i)	(&((const struct fc_revocation *)(t)->revs.base)[i])

/* One evaluation: the search's bounds and what it found out on the way. */
struct eval {
	const struct fc_trust	*t;
	const uint8_t		*path[TRUST_MAX_PATH];
	size_t			 npath;
	unsigned		 steps;
	unsigned long		 looks;
	int			 abort;		/* a bound was hit: the answer is COMPLEX */
	int			 recording;	/* write chain[]: off inside revocation checks */
	int			 has_missing;
	uint8_t			 missing[FC_PUBLICKEYBYTES];
	size_t			 chain_len;
	uint8_t			 chain[FC_TRUST_MAX_DEPTH][FC_IDBYTES];
};

static int holds(struct eval *, const uint8_t *, int, const char *, uint64_t, int,
    uint32_t *);

static void
table_init(struct table *tb, size_t sz, size_t subj_off, size_t id_off)
{
	memset(tb, 0, sizeof(*tb));
	tb->sz = sz;
	tb->by_subject.key_off = subj_off;
	tb->by_id.key_off = id_off;
}

static void
table_free(struct table *tb)
{
	free(tb->base);
	free(tb->by_subject.head);
	free(tb->by_subject.next);
	free(tb->by_id.head);
	free(tb->by_id.next);
}

struct fc_trust *
fc_trust_new(const uint8_t (*anchors)[FC_PUBLICKEYBYTES], size_t n)
{
	struct fc_trust *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if (n > 0) {
		if ((t->anchors = calloc(n, sizeof(*t->anchors))) == NULL)
			goto err;
		memcpy(t->anchors, anchors, n * sizeof(*t->anchors));
		t->nanchors = n;
	}
	crypto_shorthash_keygen(t->hkey);
	table_init(&t->grants, sizeof(struct fc_grant), offsetof(struct fc_grant, subject),
	    offsetof(struct fc_grant, id));
	table_init(&t->revs, sizeof(struct fc_revocation),
	    offsetof(struct fc_revocation, subject), offsetof(struct fc_revocation, id));
	return t;
err:
	free(t);
	return NULL;
}

void
fc_trust_free(struct fc_trust **tp)
{
	struct fc_trust *t;

	if (tp == NULL || (t = *tp) == NULL)
		return;
	free(t->anchors);
	table_free(&t->grants);
	table_free(&t->revs);
	free(t);
	*tp = NULL;
}

int
fc_trust_is_anchor(const struct fc_trust *t, const uint8_t key[FC_PUBLICKEYBYTES])
{
	size_t i;

	for (i = 0; i < t->nanchors; i++)
		if (memcmp(t->anchors[i], key, FC_PUBLICKEYBYTES) == 0)
			return 1;
	return 0;
}

static size_t
bucket(const struct fc_trust *t, const uint8_t *key, size_t nbuckets)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, key, 32, t->hkey);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v & (nbuckets - 1));
}

/* The first element in key's bucket (then follow next[]; compare keys), or NONE. */
static uint32_t
idx_first(const struct fc_trust *t, const struct index *x, const uint8_t *key)
{
	if (x->nbuckets == 0)
		return NONE;
	return x->head[bucket(t, key, x->nbuckets)];
}

/* Room in x for element n (the array holds n): grow next[], and the buckets at load 1. */
static int
idx_reserve(const struct fc_trust *t, struct index *x, const struct table *tb, size_t n)
{
	const uint8_t *a = tb->base;
	uint32_t *nh, *nn;
	size_t b, i, nb, ncap;

	if (n == x->cap) {
		ncap = x->cap ? x->cap * 2 : 16;
		if ((nn = reallocarray(x->next, ncap, sizeof(*nn))) == NULL)
			return FC_ENOMEM;
		x->next = nn;
		x->cap = ncap;
	}
	if (n + 1 > x->nbuckets) {
		nb = x->nbuckets ? x->nbuckets * 2 : 16;
		if ((nh = reallocarray(NULL, nb, sizeof(*nh))) == NULL)
			return FC_ENOMEM;
		free(x->head);
		x->head = nh;
		x->nbuckets = nb;
		for (b = 0; b < nb; b++)
			nh[b] = NONE;
		for (i = 0; i < n; i++) {
			b = bucket(t, a + i * tb->sz + x->key_off, nb);
			x->next[i] = nh[b];
			nh[b] = (uint32_t)i;
		}
	}
	return 0;
}

static void
idx_link(const struct fc_trust *t, struct index *x, const struct table *tb, size_t i)
{
	const uint8_t *a = tb->base;
	size_t b;

	b = bucket(t, a + i * tb->sz + x->key_off, x->nbuckets);
	x->next[i] = x->head[b];
	x->head[b] = (uint32_t)i;
}

/* Append elem to tb unless an element with the same id is there already. */
static int
table_add(const struct fc_trust *t, struct table *tb, const void *elem)
{
	const uint8_t *e = elem, *id = e + tb->by_id.key_off;
	uint8_t *a = tb->base;
	uint32_t j;
	size_t ncap;
	int rc;

	for (j = idx_first(t, &tb->by_id, id); j != NONE; j = tb->by_id.next[j])
		if (memcmp(a + j * tb->sz + tb->by_id.key_off, id, FC_IDBYTES) == 0)
			return 0;
	if (tb->n >= NONE - 1)
		return FC_ENOMEM;
	if (tb->n == tb->cap) {
		ncap = tb->cap ? tb->cap * 2 : 16;
		if ((a = reallocarray(tb->base, ncap, tb->sz)) == NULL)
			return FC_ENOMEM;
		tb->base = a;
		tb->cap = ncap;
	}
	if ((rc = idx_reserve(t, &tb->by_subject, tb, tb->n)) != 0 ||
	    (rc = idx_reserve(t, &tb->by_id, tb, tb->n)) != 0)
		return rc;
	memcpy(a + tb->n * tb->sz, elem, tb->sz);
	idx_link(t, &tb->by_subject, tb, tb->n);
	idx_link(t, &tb->by_id, tb, tb->n);
	tb->n++;
	return 0;
}

static int
scope_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= FC_SCOPE_MAX || s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
fc_trust_add_body(struct fc_trust *t, const uint8_t id[FC_IDBYTES], const Fenghuo__Body *b)
{
	struct fc_grant g;
	struct fc_revocation r;
	const Fenghuo__Cert *c;
	size_t i;

	if (b == NULL || !b->has_author || b->author.len != FC_PUBLICKEYBYTES)
		return EINVAL;
	if (b->kind == FENGHUO__KIND__CERT && (c = b->cert) != NULL) {
		if (!c->has_subject || c->subject.len != FC_PUBLICKEYBYTES ||
		    (c->scope != NULL && !scope_ok(c->scope)))
			return EINVAL;
		memset(&g, 0, sizeof(g));
		memcpy(g.id, id, FC_IDBYTES);
		memcpy(g.author, b->author.data, FC_PUBLICKEYBYTES);
		memcpy(g.subject, c->subject.data, FC_PUBLICKEYBYTES);
		g.created_ms = b->created_ms;
		g.not_before_ms = c->has_not_before_ms ? c->not_before_ms : 0;
		/* fc_validate() insists on not_after; without it a grant would never end. */
		g.not_after_ms = c->has_not_after_ms ? c->not_after_ms : 0;
		for (i = 0; i < c->n_roles; i++)
			if (c->roles[i] >= FENGHUO__ROLE__NODE && c->roles[i] <= FENGHUO__ROLE__ADMIN)
				g.roles |= FC_ROLE_BIT(c->roles[i]);
		if (c->scope != NULL)
			strcpy(g.scope, c->scope);	/* scope_ok(): at most FC_SCOPE_MAX */
		if (c->has_transport_key) {
			if (c->transport_key.len != sizeof(g.transport_key))
				return EINVAL;
			memcpy(g.transport_key, c->transport_key.data, sizeof(g.transport_key));
			g.has_transport_key = 1;
		}
		return table_add(t, &t->grants, &g);
	}
	if (b->kind == FENGHUO__KIND__REVOKE && b->revoke != NULL) {
		if (!b->revoke->has_subject || b->revoke->subject.len != FC_PUBLICKEYBYTES)
			return EINVAL;
		memset(&r, 0, sizeof(r));
		memcpy(r.id, id, FC_IDBYTES);
		memcpy(r.author, b->author.data, FC_PUBLICKEYBYTES);
		memcpy(r.subject, b->revoke->subject.data, FC_PUBLICKEYBYTES);
		r.created_ms = b->created_ms;
		r.from_ms = b->revoke->has_from_ms && b->revoke->from_ms != 0 ?
		    b->revoke->from_ms : b->created_ms;
		return table_add(t, &t->revs, &r);
	}
	return 0;
}

int
fc_trust_add(struct fc_trust *t, const struct fc_msg *msg)
{
	return fc_trust_add_body(t, msg->id, msg->body);
}

int
fc_trust_known(const struct fc_trust *t, const uint8_t key[FC_PUBLICKEYBYTES])
{
	uint32_t j;

	for (j = idx_first(t, &t->grants.by_subject, key); j != NONE;
	    j = t->grants.by_subject.next[j])
		if (memcmp(GRANT(t, j)->subject, key, FC_PUBLICKEYBYTES) == 0)
			return 1;
	return 0;
}

size_t
fc_trust_grant_count(const struct fc_trust *t)
{
	return t->grants.n;
}

const struct fc_grant *
fc_trust_grant(const struct fc_trust *t, size_t i)
{
	return i < t->grants.n ? GRANT(t, i) : NULL;
}

size_t
fc_trust_revocation_count(const struct fc_trust *t)
{
	return t->revs.n;
}

const struct fc_revocation *
fc_trust_revocation(const struct fc_trust *t, size_t i)
{
	return i < t->revs.n ? REV(t, i) : NULL;
}

/* 1 if region prefix outer contains inner (inner NULL: any region will do). */
static int
contains(const char *outer, const char *inner)
{
	size_t n = strlen(outer);

	if (inner == NULL)
		return 1;
	return strncmp(outer, inner, n) == 0;	/* also false when inner is shorter */
}

/*
 * How telling a failure is, to pick one reason among several grants: the one that got
 * furthest along. A chain that may still complete (NO_CHAIN) beats every rejection, so a
 * message is held rather than rejected while any of its chains is incomplete.
 */
static int
rank(int reason)
{
	/* Distinct ranks: the reason must not depend on the order grants are stored in. */
	switch (reason) {
	case FC_POLICY_R_ROLE:
		return 1;
	case FC_POLICY_R_SCOPE:
		return 2;
	case FC_POLICY_R_CERT_NOT_YET:
		return 3;
	case FC_POLICY_R_CERT_EXPIRED:
		return 4;
	case FC_POLICY_R_REVOKED:
		return 5;
	case FC_POLICY_R_ISSUER_NOT_ADMIN:
		return 6;
	case FC_POLICY_R_ISSUER_REVOKED:
		return 7;
	case FC_POLICY_R_LOOP:
		return 8;
	case FC_POLICY_R_DEPTH:
		return 9;
	case FC_POLICY_R_COMPLEX:
		return 10;
	case FC_POLICY_R_NO_CHAIN:
		return 11;
	default:
		return 0;
	}
}

static int
step(struct eval *e)
{
	if (e->abort)
		return -1;
	if (++e->steps > TRUST_STEPS) {
		e->abort = 1;
		return -1;
	}
	return 0;
}

static int
look(struct eval *e)
{
	if (e->abort)
		return -1;
	if (++e->looks > TRUST_LOOKS) {
		e->abort = 1;
		return -1;
	}
	return 0;
}

/*
 * 1 if r voids every grant of its subject, whatever their scope: the subject withdrew its
 * own key, or an anchor withdrew it. Such a revocation needs no chain to be judged.
 */
static int
withdraws(const struct fc_trust *t, const struct fc_revocation *r)
{
	return memcmp(r->author, r->subject, FC_PUBLICKEYBYTES) == 0 ||
	    fc_trust_is_anchor(t, r->author);
}

/*
 * The earliest time from which key withdrew itself or an anchor withdrew it, or UINT64_MAX.
 * Such a revocation voids every grant of the key, so it needs no chain to be judged: this is
 * the cheap check that keeps the grants a withdrawn admin made afterwards, however many,
 * from costing a walk each.
 */
static uint64_t
withdrawn_from(struct eval *e, const uint8_t *key)
{
	const struct fc_trust *t = e->t;
	const struct fc_revocation *r;
	uint64_t from = UINT64_MAX;
	uint32_t j;

	for (j = idx_first(t, &t->revs.by_subject, key); j != NONE && look(e) == 0;
	    j = t->revs.by_subject.next[j]) {
		r = REV(t, j);
		if (memcmp(r->subject, key, FC_PUBLICKEYBYTES) != 0 || r->from_ms >= from)
			continue;
		if (withdraws(t, r))
			from = r->from_ms;
	}
	return from;
}

/*
 * Whether revocation r (of g's subject) counts against grant g: its author is an anchor,
 * the subject itself, or held admin over g's scope when it revoked (so an admin withdraws
 * only what its own scope covers). A revoker whose own chain is incomplete does not count
 * yet; it is not a reason to hold. On a bound hit, e->abort is set and the answer is 0.
 */
static int
revocation_counts(struct eval *e, const struct fc_grant *g, const struct fc_revocation *r)
{
	uint32_t flags;
	int recording, has_missing, rc;
	uint8_t missing[FC_PUBLICKEYBYTES];

	if (withdraws(e->t, r))
		return 1;
	if (step(e) != 0)
		return 0;
	/* The revoker's chain is its own: a fresh depth, the same path and budgets. */
	recording = e->recording;
	has_missing = e->has_missing;
	memcpy(missing, e->missing, sizeof(missing));
	e->recording = 0;
	rc = holds(e, r->author, FENGHUO__ROLE__ADMIN, g->scope, r->created_ms, 0, &flags);
	e->recording = recording;
	e->has_missing = has_missing;
	memcpy(e->missing, missing, sizeof(missing));
	return rc == FC_POLICY_R_OK && !e->abort;
}

/*
 * The earliest time from which grant g is revoked, or UINT64_MAX; *which (may be NULL) gets
 * the revocation that takes effect then, or NULL.
 */
static uint64_t
revoked_from(struct eval *e, const struct fc_grant *g, const struct fc_revocation **which)
{
	const struct fc_trust *t = e->t;
	const struct fc_revocation *r, *first = NULL;
	uint64_t from = UINT64_MAX;
	uint32_t j;

	for (j = idx_first(t, &t->revs.by_subject, g->subject); j != NONE && look(e) == 0;
	    j = t->revs.by_subject.next[j]) {
		r = REV(t, j);
		if (memcmp(r->subject, g->subject, FC_PUBLICKEYBYTES) != 0 || r->from_ms >= from)
			continue;
		if (revocation_counts(e, g, r)) {
			from = r->from_ms;
			first = r;
		}
	}
	if (which != NULL)
		*which = first;
	return from;
}

/* Whether g's window [not_before, not_after) holds time at. */
static int
grant_window(const struct fc_grant *g, uint64_t at)
{
	if (at < g->not_before_ms)
		return FC_POLICY_R_CERT_NOT_YET;
	if (g->not_after_ms != 0 && at >= g->not_after_ms)
		return FC_POLICY_R_CERT_EXPIRED;
	return FC_POLICY_R_OK;
}

/*
 * The cheap half of judging g's author: was it withdrawn (by itself or an anchor) before it
 * granted? This keeps the grants a withdrawn admin made afterwards, however many, from
 * costing a walk each.
 */
static int
issuer_withdrawn(struct eval *e, const struct fc_grant *g)
{
	if (fc_trust_is_anchor(e->t, g->author) || g->created_ms < withdrawn_from(e, g->author))
		return FC_POLICY_R_OK;
	return e->abort ? FC_POLICY_R_COMPLEX : FC_POLICY_R_ISSUER_REVOKED;
}

/*
 * The walk half: was g's author an admin over the whole grant when it granted (g at chain
 * position depth)? FC_POLICY_R_OK, NO_CHAIN (its chain is incomplete), LOOP, DEPTH, COMPLEX,
 * ISSUER_REVOKED or ISSUER_NOT_ADMIN.
 */
static int
issuer_admin(struct eval *e, const struct fc_grant *g, int depth)
{
	uint32_t up;
	int rc;

	rc = holds(e, g->author, FENGHUO__ROLE__ADMIN, g->scope, g->created_ms, depth + 1, &up);
	switch (rc) {
	case FC_POLICY_R_OK:
	case FC_POLICY_R_NO_CHAIN:
	case FC_POLICY_R_LOOP:
	case FC_POLICY_R_DEPTH:
	case FC_POLICY_R_COMPLEX:
		return rc;
	case FC_POLICY_R_REVOKED:
	case FC_POLICY_R_ISSUER_REVOKED:
		return FC_POLICY_R_ISSUER_REVOKED;
	default:
		return FC_POLICY_R_ISSUER_NOT_ADMIN;
	}
}

/*
 * Whether grant g (at chain position depth) lets its subject act as role over scope at
 * time at. Returns FC_POLICY_R_OK (setting FC_POLICY_F_REVOKED_LATER in *flags if g is
 * revoked from some time after at) or the reason it does not. Cheap checks first.
 */
static int
grant_ok(struct eval *e, const struct fc_grant *g, int role, const char *scope, uint64_t at,
    int depth, uint32_t *flags)
{
	uint64_t from;
	int rc;

	if ((g->roles & FC_ROLE_BIT(role)) == 0)
		return FC_POLICY_R_ROLE;
	if (!contains(g->scope, scope))
		return FC_POLICY_R_SCOPE;
	if ((rc = grant_window(g, at)) != FC_POLICY_R_OK ||
	    (rc = issuer_withdrawn(e, g)) != FC_POLICY_R_OK)
		return rc;
	from = revoked_from(e, g, NULL);
	if (e->abort)
		return FC_POLICY_R_COMPLEX;
	if (at >= from)
		return FC_POLICY_R_REVOKED;
	if ((rc = issuer_admin(e, g, depth)) != FC_POLICY_R_OK)
		return rc;
	if (e->recording)
		memcpy(e->chain[depth], g->id, FC_IDBYTES);
	if (from != UINT64_MAX)
		*flags |= FC_POLICY_F_REVOKED_LATER;
	return FC_POLICY_R_OK;
}

/*
 * Whether key holds role over scope (NULL: anywhere) at time at, depth certificates away
 * from the message being judged. Returns FC_POLICY_R_OK or the most telling reason why not;
 * *flags gets FC_POLICY_F_* of the grant that was used.
 */
static int
holds(struct eval *e, const uint8_t *key, int role, const char *scope, uint64_t at,
    int depth, uint32_t *flags)
{
	const struct fc_trust *t = e->t;
	const struct fc_grant *g;
	uint8_t saved[FC_TRUST_MAX_DEPTH][FC_IDBYTES];
	size_t i, saved_len = 0;
	uint32_t f, j;
	int rc, best = -1, ok_flagged = 0;

	*flags = 0;
	if (fc_trust_is_anchor(t, key)) {
		if (e->recording)
			e->chain_len = (size_t)depth;
		return FC_POLICY_R_OK;
	}
	if (step(e) != 0)
		return FC_POLICY_R_COMPLEX;
	if (at >= withdrawn_from(e, key))
		return e->abort ? FC_POLICY_R_COMPLEX : FC_POLICY_R_REVOKED;
	if (depth >= FC_TRUST_MAX_DEPTH)
		return FC_POLICY_R_DEPTH;
	for (i = 0; i < e->npath; i++)
		if (memcmp(e->path[i], key, FC_PUBLICKEYBYTES) == 0)
			return FC_POLICY_R_LOOP;
	if (e->npath == TRUST_MAX_PATH) {
		e->abort = 1;
		return FC_POLICY_R_COMPLEX;
	}
	e->path[e->npath++] = key;
	for (j = idx_first(t, &t->grants.by_subject, key); j != NONE;
	    j = t->grants.by_subject.next[j]) {
		g = GRANT(t, j);
		if (look(e) != 0)
			break;
		if (memcmp(g->subject, key, FC_PUBLICKEYBYTES) != 0)
			continue;
		f = 0;
		rc = grant_ok(e, g, role, scope, at, depth, &f);
		if (rc == FC_POLICY_R_OK && f == 0) {
			best = FC_POLICY_R_OK;
			ok_flagged = 0;
			break;
		}
		if (rc == FC_POLICY_R_OK) {
			/* Usable, but keep looking for a grant that was never revoked. */
			if (!ok_flagged && e->recording) {
				saved_len = e->chain_len;
				memcpy(saved, e->chain, sizeof(saved));
			}
			ok_flagged = 1;
			continue;
		}
		if (best == -1 || rank(rc) > rank(best))
			best = rc;
	}
	e->npath--;
	if (e->abort)
		return FC_POLICY_R_COMPLEX;
	if (best == FC_POLICY_R_OK)
		return FC_POLICY_R_OK;
	if (ok_flagged) {
		if (e->recording) {
			e->chain_len = saved_len;
			memcpy(e->chain, saved, sizeof(saved));
		}
		*flags = FC_POLICY_F_REVOKED_LATER;
		return FC_POLICY_R_OK;
	}
	if (best == -1) {
		/* Not one grant to this key: its certificate has not arrived (yet). */
		if (!e->has_missing) {
			memcpy(e->missing, key, FC_PUBLICKEYBYTES);
			e->has_missing = 1;
		}
		return FC_POLICY_R_NO_CHAIN;
	}
	return best;
}

/* Shared by fc_trust_holds() and fc_policy_check(): one evaluation, one verdict. */
int
fc_trust_holds(const struct fc_trust *t, const uint8_t key[FC_PUBLICKEYBYTES], int role,
    const char *scope, uint64_t at_ms, struct fc_policy_verdict *out)
{
	struct eval *e;
	uint32_t flags = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	/* The eval is a few KiB: keep it off the (possibly small) caller's stack. */
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		out->verdict = FC_POLICY_REJECT;
		out->reason = FC_POLICY_R_COMPLEX;
		return out->verdict;
	}
	e->t = t;
	e->recording = 1;
	rc = holds(e, key, role, scope, at_ms, 0, &flags);
	if (e->abort)
		rc = FC_POLICY_R_COMPLEX;
	out->reason = rc;
	if (rc == FC_POLICY_R_OK) {
		out->verdict = FC_POLICY_ACCEPT;
		out->flags = flags;
		if (fc_trust_is_anchor(t, key))
			out->flags |= FC_POLICY_F_ANCHOR;
		out->chain_len = e->chain_len;
		memcpy(out->chain, e->chain, sizeof(out->chain));
	} else if (rc == FC_POLICY_R_NO_CHAIN) {
		out->verdict = FC_POLICY_HOLD;
		memcpy(out->missing, e->missing, FC_PUBLICKEYBYTES);
	} else {
		out->verdict = FC_POLICY_REJECT;
	}
	free(e);
	return out->verdict;
}

int
fc_trust_node_by_transport(const struct fc_trust *t, const uint8_t transport_key[32],
    uint64_t at_ms, uint8_t subject[FC_PUBLICKEYBYTES])
{
	const struct fc_grant *g;
	struct eval *e;
	uint32_t flags;
	size_t i;
	int rc = -1;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -1;
	/* Linear: the handler asks once per connection, not per message. */
	for (i = 0; i < t->grants.n && rc != 0; i++) {
		g = GRANT(t, i);
		if (!g->has_transport_key ||
		    memcmp(g->transport_key, transport_key, sizeof(g->transport_key)) != 0)
			continue;
		/* This grant must be the one that counts: a fresh evaluation of it alone. */
		memset(e, 0, sizeof(*e));
		e->t = t;
		e->path[e->npath++] = g->subject;
		flags = 0;
		if (grant_ok(e, g, FENGHUO__ROLE__NODE, NULL, at_ms, 0, &flags) ==
		    FC_POLICY_R_OK && !e->abort) {
			memcpy(subject, g->subject, FC_PUBLICKEYBYTES);
			rc = 0;
		}
	}
	free(e);
	return rc;
}

/*
 * A grant judged on its own, as `fenghuo keys` lists it: the same steps grant_ok() takes
 * for a message under it (its window, its issuer, its revocations), each answered by the
 * same functions and from the same place in the walk (holds() on the subject, which puts
 * the subject on the path first), so a listing can never call valid what the policy
 * refuses. The states are reported in the order an operator needs them: a broken issuer
 * first (nothing else about the grant matters), then a revocation, then the window, then a
 * chain still incomplete.
 */
int
fc_grant_state(const struct fc_trust *t, const struct fc_grant *g, uint64_t at_ms,
    struct fc_grant_status *out)
{
	struct eval *e;
	int issuer, window;

	memset(out, 0, sizeof(*out));
	out->revoked_from = UINT64_MAX;
	out->state = FC_GRANT_INVALID;
	out->reason = FC_POLICY_R_COMPLEX;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return out->state;
	e->t = t;
	/*
	 * As holds(g->subject) does before it looks at g: a chain that comes back through the
	 * subject is a loop for the policy, so it is one here.
	 */
	e->path[e->npath++] = g->subject;
	if ((issuer = issuer_withdrawn(e, g)) == FC_POLICY_R_OK)
		issuer = issuer_admin(e, g, 0);
	if (issuer != FC_POLICY_R_OK && issuer != FC_POLICY_R_NO_CHAIN) {
		out->reason = issuer;
		goto out;
	}
	out->revoked_from = revoked_from(e, g, &out->revocation);
	if (e->abort) {
		out->revoked_from = UINT64_MAX;
		out->revocation = NULL;
		goto out;	/* fails closed, as grant_ok() does */
	}
	window = grant_window(g, at_ms);
	if (at_ms >= out->revoked_from) {
		out->state = FC_GRANT_REVOKED;
		out->reason = FC_POLICY_R_REVOKED;
	} else if (window == FC_POLICY_R_CERT_EXPIRED) {
		out->state = FC_GRANT_EXPIRED;
		out->reason = window;
	} else if (window == FC_POLICY_R_CERT_NOT_YET) {
		out->state = FC_GRANT_NOT_YET;
		out->reason = window;
	} else if (issuer == FC_POLICY_R_NO_CHAIN) {
		out->state = FC_GRANT_UNVERIFIED;
		out->reason = FC_POLICY_R_NO_CHAIN;
		memcpy(out->missing, e->missing, FC_PUBLICKEYBYTES);
	} else {
		out->state = FC_GRANT_VALID;
		out->reason = FC_POLICY_R_OK;
	}
out:
	free(e);
	return out->state;
}

const char *
fc_grant_state_name(int state)
{
	switch (state) {
	case FC_GRANT_VALID:
		return "valid";
	case FC_GRANT_NOT_YET:
		return "not-yet-valid";
	case FC_GRANT_EXPIRED:
		return "expired";
	case FC_GRANT_REVOKED:
		return "revoked";
	case FC_GRANT_UNVERIFIED:
		return "unverified";
	default:
		return "invalid";
	}
}

int
fc_revocation_counts(const struct fc_trust *t, const struct fc_revocation *r,
    const struct fc_grant *g)
{
	struct eval *e;
	int rc;

	if (g == NULL)
		return withdraws(t, r);
	if (memcmp(r->subject, g->subject, FC_PUBLICKEYBYTES) != 0)
		return 0;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return 0;
	e->t = t;
	rc = revocation_counts(e, g, r);
	free(e);
	return rc;
}
