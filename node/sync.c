/*
 * sync.c: range-based set reconciliation over the store's order index (DESIGN decision 9).
 *
 * A Sync payload is a list of ranges of the order key space (created_ms BE || id), each
 * with what the sender knows about its own messages in that range: a fingerprint (count
 * and the sum of salted 64-bit hashes of the ids, truncated to 32 bits), or the full list
 * of 32-bit item hashes (a leaf), or the hashes it wants (the answer to a leaf). The
 * receiver compares each range with its own messages and answers:
 *   - equal fingerprints: nothing;
 *   - the peer has nothing there: give (push) everything we have there;
 *   - we have nothing there: an empty list, so the peer gives us everything;
 *   - we have exactly one more: the difference of the sums is that item's hash, give it;
 *   - the peer has exactly one more: echo our fingerprint, so the peer finds it;
 *   - a small range: the list of our item hashes;
 *   - else: split the range at our own quantiles into SYNC_FANOUT children (SYNC_FANOUT_SMALL
 *     for a range of at most SYNC_SMALL keys) and send their fingerprints.
 * Range bounds are the shortest key prefixes that separate two neighbouring keys, each
 * delta-coded against the bound before it, so a bound costs 2-4 bytes. Everything a side
 * needs to answer is in the payload (the salt too): nothing is kept between calls.
 *
 * Items move by "give" only: a side never learns the full id of what it lacks (only
 * hashes), so the holder pushes. The hashes are salted per round, so a collision that hid
 * a difference in one round does not hide it in the next: a round that moved nothing
 * proves the sets equal (up to 2^-32 per range). docs/SYNC.md specifies the encoding.
 *
 * Peer input is never trusted: every length is checked, the item count is bounded, and a
 * malformed payload is refused with EBADMSG before anything is done.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sync.h"

#define SYNC_VERSION		1
#define SYNC_SALTBYTES		8
#define SYNC_HDRBYTES		(2 + SYNC_SALTBYTES)	/* version, step, salt */
#define SYNC_FANOUT		16	/* children of a split range... */
#define SYNC_FANOUT_SMALL	4	/* ...of at most SYNC_SMALL keys */
#define SYNC_SMALL		1024
#define SYNC_LEAF		32	/* a range this small is answered with its item hashes */
#define SYNC_STEPS_MAX		250	/* a round longer than this is abandoned */
#define SYNC_FRAME_SLACK	16	/* Frame{sync: Sync{payload}} framing around a payload */
#define SYNC_ITEMS_MAX		16384	/* ranges in one payload, either way */
#define SYNC_HBYTES		4	/* fingerprints and item hashes on the wire */
/* The largest single FP item: head, two full bounds, a 5-byte count, the fingerprint. */
#define SYNC_ITEM_MAX		(1 + 2 * (2 + STORE_KEYBYTES) + 5 + SYNC_HBYTES)

/* Item head byte: type in the low bits, then flags. */
#define T_FP	0	/* count, fingerprint */
#define T_LIST	1	/* all our item hashes in the range */
#define T_WANT	2	/* hashes of the peer's items we lack in the range */
#define F_TYPE	0x03
#define F_GAP	0x04	/* a lower bound follows (else: the previous upper bound) */
#define F_END	0x08	/* the upper bound is the end of the key space (none follows) */
#define F_ECHO	0x10	/* an echoed fingerprint: do not echo it back */
#define F_MASK	0x1f

static const char sync_domain[] = "fenghuo sync v1";

/* A range bound: a prefix of an order key, or the end of the key space. */
struct bound {
	uint8_t	 b[STORE_KEYBYTES];
	uint8_t	 len;
	uint8_t	 end;
};

/* One range of a received payload. */
struct item {
	int		 type;
	int		 flags;
	struct bound	 lo, hi;
	uint64_t	 count;		/* T_FP: the sender's count; else: hashes */
	uint32_t	 fp;
	const uint8_t	*hashes;	/* T_LIST, T_WANT: count * 4 bytes in the payload */
};

/* Our own keys in one range, with their salted hashes. */
struct keys {
	uint8_t		(*k)[STORE_KEYBYTES];
	uint64_t	*h;
	size_t		 n, cap;
	const uint8_t	*hkey;
	uint64_t	 sum;		/* of h, for sum-only walks */
	int		 store;		/* 0: only count and sum */
};

/* The reply being built. */
struct enc {
	uint8_t		*buf;
	size_t		 len, size;	/* size: hard capacity */
	struct bound	 prev;		/* the last bound written: delta base */
	struct bound	 last;		/* upper bound of the last item */
	size_t		 nitems;
	int		 over;		/* a write did not fit */
};

/* ---- bounds ---------------------------------------------------------------------------- */

static int
bound_cmp(const struct bound *a, const struct bound *b)
{
	size_t	 n;
	int	 c;

	if (a->end || b->end)
		return (int)a->end - (int)b->end;
	n = a->len < b->len ? a->len : b->len;
	if ((c = memcmp(a->b, b->b, n)) != 0)
		return c;
	return (int)a->len - (int)b->len;
}

static void
bound_key(struct bound *b, const uint8_t *key, size_t len)
{
	memcpy(b->b, key, len);
	b->len = (uint8_t)len;
	b->end = 0;
}

static size_t
lcp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t	 i, n = alen < blen ? alen : blen;

	for (i = 0; i < n && a[i] == b[i]; i++)
		;
	return i;
}

/* ---- hashing --------------------------------------------------------------------------- */

static void
sync_hkey(const uint8_t salt[SYNC_SALTBYTES], uint8_t hkey[crypto_shorthash_KEYBYTES])
{
	uint8_t	 in[sizeof(sync_domain) + SYNC_SALTBYTES];

	memcpy(in, sync_domain, sizeof(sync_domain));
	memcpy(in + sizeof(sync_domain), salt, SYNC_SALTBYTES);
	crypto_generichash(hkey, crypto_shorthash_KEYBYTES, in, sizeof(in), NULL, 0);
}

static uint64_t
sync_hash(const uint8_t *hkey, const uint8_t key[STORE_KEYBYTES])
{
	uint8_t		 out[crypto_shorthash_BYTES];
	uint64_t	 v = 0;
	int		 i;

	crypto_shorthash(out, key + 8, FC_IDBYTES, hkey);
	for (i = 7; i >= 0; i--)
		v = v << 8 | out[i];
	return v;
}

static int
keys_add(void *ctx, const uint8_t key[STORE_KEYBYTES])
{
	struct keys	*ks = ctx;
	uint64_t	 h = sync_hash(ks->hkey, key);
	size_t		 ncap;
	void		*p;

	if (!ks->store) {
		ks->n++;
		ks->sum += h;
		return 0;
	}
	if (ks->n == ks->cap) {
		ncap = ks->cap ? 2 * ks->cap : 256;
		if ((p = realloc(ks->k, ncap * sizeof(*ks->k))) == NULL)
			return ENOMEM;
		ks->k = p;
		if ((p = realloc(ks->h, ncap * sizeof(*ks->h))) == NULL)
			return ENOMEM;
		ks->h = p;
		ks->cap = ncap;
	}
	memcpy(ks->k[ks->n], key, STORE_KEYBYTES);
	ks->h[ks->n++] = h;
	ks->sum += h;
	return 0;
}

/* Our keys in [lo, hi): stored in ks (store = 1) or only counted and summed. */
static int
keys_load(struct store *st, struct keys *ks, int store, const struct bound *lo,
    const struct bound *hi)
{
	ks->n = 0;
	ks->sum = 0;
	ks->store = store;
	return store_order_walk(st, lo->len ? lo->b : NULL, lo->len, hi->end ? NULL : hi->b,
	    hi->end ? 0 : hi->len, keys_add, ks);
}

/* ---- encoding -------------------------------------------------------------------------- */

static void
put(struct enc *e, const void *p, size_t n)
{
	if (e->over || n > e->size - e->len) {
		e->over = 1;
		return;
	}
	memcpy(e->buf + e->len, p, n);
	e->len += n;
}

static void
put_byte(struct enc *e, uint8_t c)
{
	put(e, &c, 1);
}

static void
put_varint(struct enc *e, uint64_t v)
{
	uint8_t	 b[10];
	size_t	 n = 0;

	do {
		b[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	put(e, b, n);
}

static void
put_u32(struct enc *e, uint32_t v)
{
	uint8_t	 b[4];

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
	put(e, b, 4);
}

/*
 * A bound, delta-coded against the previous one: one byte holds the length of the prefix
 * shared with it (low 6 bits) and, when 1..3, the number of new bytes (top 2 bits; 0 means
 * a byte with that number follows); then the new bytes.
 */
static void
put_bound(struct enc *e, const struct bound *b)
{
	size_t	 cp = lcp(e->prev.b, e->prev.len, b->b, b->len), suf = b->len - cp;

	if (suf >= 1 && suf <= 3)
		put_byte(e, (uint8_t)(cp | suf << 6));
	else {
		put_byte(e, (uint8_t)cp);
		put_byte(e, (uint8_t)suf);
	}
	put(e, b->b + cp, suf);
	e->prev = *b;
}

/* Start an item on [lo, hi); the caller writes its body. */
static void
put_head(struct enc *e, int type, int flags, const struct bound *lo, const struct bound *hi)
{
	int	 gap;

	gap = e->nitems == 0 ? lo->len != 0 : bound_cmp(lo, &e->last) != 0;
	put_byte(e, (uint8_t)(type | flags | (gap ? F_GAP : 0) | (hi->end ? F_END : 0)));
	if (gap)
		put_bound(e, lo);
	if (!hi->end)
		put_bound(e, hi);
	e->last = *hi;
	e->nitems++;
}

static void
put_fp(struct enc *e, int flags, const struct bound *lo, const struct bound *hi, uint64_t count,
    uint64_t sum)
{
	put_head(e, T_FP, flags, lo, hi);
	put_varint(e, count);
	put_u32(e, (uint32_t)sum);
}

static int
enc_init(struct enc *e, size_t size)
{
	memset(e, 0, sizeof(*e));
	e->size = size;
	if ((e->buf = malloc(size)) == NULL)
		return ENOMEM;
	return 0;
}

static void
put_header(struct enc *e, unsigned step, const uint8_t salt[SYNC_SALTBYTES])
{
	put_byte(e, SYNC_VERSION);
	put_byte(e, (uint8_t)step);
	put(e, salt, SYNC_SALTBYTES);
}

/* Wrap the payload in a serialized Fenghuo__Sync. */
static int
enc_finish(struct enc *e, uint8_t **out, size_t *outlen)
{
	Fenghuo__Sync	 s = FENGHUO__SYNC__INIT;
	size_t		 len;

	s.has_payload = 1;
	s.payload.data = e->buf;
	s.payload.len = e->len;
	len = fenghuo__sync__get_packed_size(&s);
	if ((*out = malloc(len)) == NULL)
		return ENOMEM;
	*outlen = fenghuo__sync__pack(&s, *out);
	return 0;
}

/* ---- decoding -------------------------------------------------------------------------- */

struct dec {
	const uint8_t	*p, *end;
	struct bound	 prev;
};

static int
get_byte(struct dec *d, uint8_t *c)
{
	if (d->p >= d->end)
		return -1;
	*c = *d->p++;
	return 0;
}

static int
get_varint(struct dec *d, uint64_t *v)
{
	unsigned	 shift;
	uint8_t		 c;

	*v = 0;
	for (shift = 0; shift < 35; shift += 7) {
		if (get_byte(d, &c) != 0)
			return -1;
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return *v > UINT32_MAX ? -1 : 0;
	}
	return -1;
}

static int
get_bound(struct dec *d, struct bound *b)
{
	uint8_t	 x, s;
	size_t	 cp, suf;

	if (get_byte(d, &x) != 0)
		return -1;
	cp = x & 0x3f;
	suf = x >> 6;
	if (suf == 0) {
		if (get_byte(d, &s) != 0)
			return -1;
		suf = s;
	}
	if (cp > d->prev.len || cp + suf > STORE_KEYBYTES || suf > (size_t)(d->end - d->p))
		return -1;
	memcpy(b->b, d->prev.b, cp);
	memcpy(b->b + cp, d->p, suf);
	d->p += suf;
	b->len = (uint8_t)(cp + suf);
	b->end = 0;
	d->prev = *b;
	return 0;
}

/*
 * Parse a payload into items (ascending, disjoint, non-empty ranges). 0, EBADMSG or
 * ENOMEM. *items is malloc()ed.
 */
static int
parse(const uint8_t *buf, size_t len, unsigned *step, const uint8_t **salt, struct item **items,
    size_t *nitems)
{
	struct dec	 d;
	struct item	*it, *v = NULL;
	struct bound	 last;
	size_t		 n = 0, cap = 0, ncap;
	uint8_t		 head;
	int		 ended = 0;
	void		*p;

	*items = NULL;
	*nitems = 0;
	if (len < SYNC_HDRBYTES || buf[0] != SYNC_VERSION)
		return EBADMSG;
	*step = buf[1];
	*salt = buf + 2;
	memset(&d, 0, sizeof(d));
	d.p = buf + SYNC_HDRBYTES;
	d.end = buf + len;
	memset(&last, 0, sizeof(last));
	while (d.p < d.end) {
		if (ended || n == SYNC_ITEMS_MAX)
			goto bad;
		if (n == cap) {
			ncap = cap ? 2 * cap : 64;
			if ((p = realloc(v, ncap * sizeof(*v))) == NULL) {
				free(v);
				return ENOMEM;
			}
			v = p;
			cap = ncap;
		}
		it = &v[n];
		memset(it, 0, sizeof(*it));
		head = *d.p++;
		if ((head & ~F_MASK) != 0 || (head & F_TYPE) > T_WANT)
			goto bad;
		it->type = head & F_TYPE;
		it->flags = head & F_ECHO;
		if (head & F_GAP) {
			if (get_bound(&d, &it->lo) != 0)
				goto bad;
			if (n > 0 && bound_cmp(&it->lo, &last) < 0)
				goto bad;
		} else
			it->lo = last;	/* the start of the key space for the first item */
		if (head & F_END) {
			it->hi.end = 1;
			ended = 1;
		} else if (get_bound(&d, &it->hi) != 0)
			goto bad;
		if (bound_cmp(&it->lo, &it->hi) >= 0)
			goto bad;
		if (get_varint(&d, &it->count) != 0)
			goto bad;
		if (it->type == T_FP) {
			if (d.end - d.p < SYNC_HBYTES)
				goto bad;
			it->fp = (uint32_t)d.p[0] | (uint32_t)d.p[1] << 8 |
			    (uint32_t)d.p[2] << 16 | (uint32_t)d.p[3] << 24;
			d.p += SYNC_HBYTES;
		} else {
			if (it->count > (uint64_t)(d.end - d.p) / SYNC_HBYTES)
				goto bad;
			it->hashes = d.p;
			d.p += it->count * SYNC_HBYTES;
		}
		last = it->hi;
		n++;
	}
	*items = v;
	*nitems = n;
	return 0;
bad:
	free(v);
	return EBADMSG;
}

/* ---- answering ------------------------------------------------------------------------- */

struct ctx {
	struct store		*st;
	struct sync_result	*res;
	struct enc		 e;
	struct keys		 ks;
	size_t			 gcap;
	uint32_t		*tmp;	/* scratch for sorted hashes */
	size_t			 tmpcap;
};

static int
give(struct ctx *c, const uint8_t key[STORE_KEYBYTES])
{
	struct sync_result	*r = c->res;
	size_t			 ncap;
	void			*p;

	if (r->ngive == c->gcap) {
		ncap = c->gcap ? 2 * c->gcap : 64;
		if ((p = realloc(r->give, ncap * sizeof(*r->give))) == NULL)
			return ENOMEM;
		r->give = p;
		c->gcap = ncap;
	}
	memcpy(r->give[r->ngive++], key + 8, FC_IDBYTES);
	return 0;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Sorted copy of a range's received hashes in c->tmp. */
static int
sorted_hashes(struct ctx *c, const struct item *it)
{
	size_t	 i;
	void	*p;

	if (it->count > c->tmpcap) {
		if ((p = realloc(c->tmp, it->count * sizeof(*c->tmp))) == NULL)
			return ENOMEM;
		c->tmp = p;
		c->tmpcap = it->count;
	}
	for (i = 0; i < it->count; i++)
		c->tmp[i] = rd32(it->hashes + i * SYNC_HBYTES);
	if (it->count > 0)
		qsort(c->tmp, it->count, sizeof(*c->tmp), u32_cmp);
	return 0;
}

static int
has_hash(const uint32_t *v, size_t n, uint32_t h)
{
	return n > 0 && bsearch(&h, v, n, sizeof(*v), u32_cmp) != NULL;
}

/*
 * Split our keys of [lo, hi) into children of about equal count, and send their
 * fingerprints. Large ranges get SYNC_FANOUT children, to reach the differences in few
 * steps. A range of at most SYNC_SMALL keys whose fingerprints differ most likely holds one
 * or two differences: 16 children would spend 15 fingerprints on equal ranges, 4 children
 * cost a quarter of that, and the extra step is taken only where something is still
 * unsettled (100000 messages, 200 differences: 40% fewer bytes, at most one more round trip).
 * Each inner bound is the shortest prefix separating two neighbouring keys; within a window
 * around the ideal position we take the neighbours whose separator is shortest, which keeps
 * bounds small at a small cost in balance.
 */
static void
split(struct ctx *c, const struct bound *lo, const struct bound *hi)
{
	struct keys	*ks = &c->ks;
	struct bound	 a = *lo, b;
	size_t		 j, s = 0, e, t, w, best, bestl, l, i, lim, fan;
	uint64_t	 sum;

	fan = ks->n > SYNC_SMALL ? SYNC_FANOUT : SYNC_FANOUT_SMALL;
	if (fan > ks->n)
		fan = ks->n;
	w = ks->n / (4 * fan);
	for (j = 1; j <= fan; j++) {
		if (j == fan) {
			e = ks->n;
			b = *hi;
		} else {
			t = j * ks->n / fan;
			bestl = STORE_KEYBYTES + 1;
			/* Candidates e in [t - w, t + w], leaving every child non-empty. */
			i = t > s + 1 + w ? t - w : s + 1;
			lim = t + w < ks->n - (fan - j) ? t + w :
			    ks->n - (fan - j);
			if (lim < i)
				lim = i;
			for (best = i; i <= lim; i++) {
				l = lcp(ks->k[i - 1], STORE_KEYBYTES, ks->k[i], STORE_KEYBYTES);
				if (l < bestl) {
					bestl = l;
					best = i;
				}
			}
			e = best;
			bound_key(&b, ks->k[e], bestl + 1);
		}
		for (sum = 0, i = s; i < e; i++)
			sum += ks->h[i];
		put_fp(&c->e, 0, &a, &b, e - s, sum);
		a = b;
		s = e;
	}
}

/* Answer one received range whose keys on our side are in c->ks. */
static int
answer(struct ctx *c, const struct item *it)
{
	struct keys	*ks = &c->ks;
	uint32_t	 target, h;
	size_t		 i, nw;
	int		 rc;

	switch (it->type) {
	case T_FP:
		if (ks->n == it->count && (uint32_t)ks->sum == it->fp)
			return 0;
		if (it->count == 0) {
			for (i = 0; i < ks->n; i++)
				if ((rc = give(c, ks->k[i])) != 0)
					return rc;
			return 0;
		}
		if (ks->n == 0) {
			put_head(&c->e, T_LIST, 0, &it->lo, &it->hi);
			put_varint(&c->e, 0);
			return 0;
		}
		if (ks->n == it->count + 1) {
			/* One more here: if that is all, the sums differ by its hash. */
			target = (uint32_t)ks->sum - it->fp;
			for (i = 0; i < ks->n; i++)
				if ((uint32_t)ks->h[i] == target)
					return give(c, ks->k[i]);
		}
		if (it->count == ks->n + 1 && !(it->flags & F_ECHO)) {
			/* One more there: let the peer find it the same way. */
			put_fp(&c->e, F_ECHO, &it->lo, &it->hi, ks->n, ks->sum);
			return 0;
		}
		if (ks->n <= SYNC_LEAF) {
			put_head(&c->e, T_LIST, 0, &it->lo, &it->hi);
			put_varint(&c->e, ks->n);
			for (i = 0; i < ks->n; i++)
				put_u32(&c->e, (uint32_t)ks->h[i]);
			return 0;
		}
		split(c, &it->lo, &it->hi);
		return 0;
	case T_LIST:
		if ((rc = sorted_hashes(c, it)) != 0)
			return rc;
		for (i = 0; i < ks->n; i++)
			if (!has_hash(c->tmp, it->count, (uint32_t)ks->h[i]) &&
			    (rc = give(c, ks->k[i])) != 0)
				return rc;
		/* Now the peer's hashes we lack: sort ours instead. */
		if (ks->n > c->tmpcap) {
			void *p = realloc(c->tmp, ks->n * sizeof(*c->tmp));

			if (p == NULL)
				return ENOMEM;
			c->tmp = p;
			c->tmpcap = ks->n;
		}
		for (i = 0; i < ks->n; i++)
			c->tmp[i] = (uint32_t)ks->h[i];
		if (ks->n > 0)
			qsort(c->tmp, ks->n, sizeof(*c->tmp), u32_cmp);
		for (nw = 0, i = 0; i < it->count; i++)
			if (!has_hash(c->tmp, ks->n, rd32(it->hashes + i * SYNC_HBYTES)))
				nw++;
		if (nw == 0)
			return 0;
		put_head(&c->e, T_WANT, 0, &it->lo, &it->hi);
		put_varint(&c->e, nw);
		for (i = 0; i < it->count; i++) {
			h = rd32(it->hashes + i * SYNC_HBYTES);
			if (!has_hash(c->tmp, ks->n, h))
				put_u32(&c->e, h);
		}
		return 0;
	case T_WANT:
		if ((rc = sorted_hashes(c, it)) != 0)
			return rc;
		for (i = 0; i < ks->n; i++)
			if (has_hash(c->tmp, it->count, (uint32_t)ks->h[i]) &&
			    (rc = give(c, ks->k[i])) != 0)
				return rc;
		return 0;
	}
	return EBADMSG;
}

/*
 * The reply did not fit: cover the unanswered ranges items[0..n) (WANT ranges excepted,
 * they are answered anyway) with a few fingerprints of our own over spans of them, so the
 * peer splits them again in the next step. limit is where the last span must start; the
 * reserve beyond it always holds one item.
 */
static int
cover(struct ctx *c, const struct item *items, size_t n, size_t limit)
{
	struct enc	 save;
	size_t		 i, j, m, g, q, k;
	int		 rc;

	for (m = 0, i = 0; i < n; i++)
		if (items[i].type != T_WANT)
			m++;
		else if ((rc = keys_load(c->st, &c->ks, 1, &items[i].lo, &items[i].hi)) != 0 ||
		    (rc = answer(c, &items[i])) != 0)
			return rc;
	if (m == 0)
		return 0;
	g = c->e.len < limit ? (limit - c->e.len) / 24 : 0;
	if (g > SYNC_ITEMS_MAX - c->e.nitems)
		g = SYNC_ITEMS_MAX - c->e.nitems;
	if (g < 1)
		g = 1;
	if (g > m)
		g = m;
	q = (m + g - 1) / g;
	/* Walk the non-WANT items in groups of q. */
	for (i = 0; i < n;) {
		for (; i < n && items[i].type == T_WANT; i++)
			;
		if (i == n)
			break;
		for (j = i, k = 0; j < n; j++)
			if (items[j].type != T_WANT && ++k == q)
				break;
		if (j == n)
			j = n - 1;
		save = c->e;
		if ((rc = keys_load(c->st, &c->ks, 0, &items[i].lo, &items[j].hi)) != 0)
			return rc;
		put_fp(&c->e, 0, &items[i].lo, &items[j].hi, c->ks.n, c->ks.sum);
		if (c->e.over || c->e.len > limit || c->e.nitems >= SYNC_ITEMS_MAX) {
			/* Out of room: one last span to the end, in the reserve. */
			c->e = save;
			if ((rc = keys_load(c->st, &c->ks, 0, &items[i].lo,
			    &items[n - 1].hi)) != 0)
				return rc;
			put_fp(&c->e, 0, &items[i].lo, &items[n - 1].hi, c->ks.n, c->ks.sum);
			return c->e.over ? EMSGSIZE : 0;
		}
		i = j + 1;
	}
	return 0;
}

static int
frame_size(size_t max_frame, size_t *budget)
{
	if (max_frame == 0)
		max_frame = WIRE_FRAME_MAX;
	if (max_frame < SYNC_FRAME_MIN)
		return EINVAL;
	if (max_frame > WIRE_FRAME_MAX)
		max_frame = WIRE_FRAME_MAX;
	*budget = max_frame - SYNC_FRAME_SLACK;
	return 0;
}

int
sync_begin(struct store *st, size_t max_frame, uint8_t **out, size_t *outlen)
{
	struct keys	 ks;
	struct enc	 e;
	struct bound	 lo, hi;
	uint8_t		 salt[SYNC_SALTBYTES], hkey[crypto_shorthash_KEYBYTES];
	size_t		 budget;
	int		 rc;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (st == NULL || out == NULL || outlen == NULL)
		return EINVAL;
	if ((rc = frame_size(max_frame, &budget)) != 0)
		return rc;
	randombytes_buf(salt, sizeof(salt));
	sync_hkey(salt, hkey);
	memset(&ks, 0, sizeof(ks));
	ks.hkey = hkey;
	memset(&lo, 0, sizeof(lo));
	memset(&hi, 0, sizeof(hi));
	hi.end = 1;
	/* One fingerprint of everything: tiny when the sets are equal, the common case. */
	if ((rc = keys_load(st, &ks, 0, &lo, &hi)) != 0)
		return rc;
	if ((rc = enc_init(&e, budget)) != 0)
		return rc;
	put_header(&e, 0, salt);
	put_fp(&e, 0, &lo, &hi, ks.n, ks.sum);
	rc = e.over ? EMSGSIZE : enc_finish(&e, out, outlen);
	free(e.buf);
	return rc;
}

int
sync_handle(struct store *st, size_t max_frame, const uint8_t *in, size_t inlen,
    struct sync_result *res)
{
	Fenghuo__Sync	*s;
	size_t		 budget;
	int		 rc;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (st == NULL || res == NULL || (in == NULL && inlen > 0))
		return EINVAL;
	if ((rc = frame_size(max_frame, &budget)) != 0)
		return rc;
	if (inlen == 0 || inlen > WIRE_FRAME_MAX)
		return EBADMSG;
	if ((s = fenghuo__sync__unpack(NULL, inlen, in)) == NULL)
		return EBADMSG;
	rc = sync_handle_msg(st, max_frame, s, res);
	fenghuo__sync__free_unpacked(s, NULL);
	return rc;
}

int
sync_handle_msg(struct store *st, size_t max_frame, const Fenghuo__Sync *s,
    struct sync_result *res)
{
	struct ctx	 c;
	struct item	*items = NULL;
	struct enc	 save;
	const uint8_t	*salt;
	uint8_t		 hkey[crypto_shorthash_KEYBYTES];
	size_t		 nitems = 0, i, budget, limit, ngive;
	unsigned	 step;
	int		 rc;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (st == NULL || res == NULL || s == NULL)
		return EINVAL;
	if ((rc = frame_size(max_frame, &budget)) != 0)
		return rc;
	if (!s->has_payload)
		return EBADMSG;
	if ((rc = parse(s->payload.data, s->payload.len, &step, &salt, &items, &nitems)) != 0)
		return rc;

	memset(&c, 0, sizeof(c));
	c.st = st;
	c.res = res;
	sync_hkey(salt, hkey);
	c.ks.hkey = hkey;
	if ((rc = enc_init(&c.e, budget)) != 0)
		goto out;
	put_header(&c.e, step + 1, salt);
	/* Answer in order while the answers fit, keeping room for one covering item. */
	limit = budget - SYNC_ITEM_MAX;
	for (i = 0; i < nitems; i++) {
		save = c.e;
		ngive = res->ngive;
		if ((rc = keys_load(st, &c.ks, 1, &items[i].lo, &items[i].hi)) != 0 ||
		    (rc = answer(&c, &items[i])) != 0)
			goto out;
		if (c.e.over || c.e.len > limit || c.e.nitems >= SYNC_ITEMS_MAX) {
			/* Unanswered after all: its gives come when the peer asks again. */
			c.e = save;
			res->ngive = ngive;
			break;
		}
	}
	if (i < nitems && (rc = cover(&c, items + i, nitems - i, limit)) != 0)
		goto out;
	/* A step limit ends a round that does not converge (a broken or hostile peer). */
	if (c.e.nitems > 0 && step + 1 < SYNC_STEPS_MAX)
		rc = enc_finish(&c.e, &res->reply, &res->replylen);
	res->done = res->reply == NULL;
out:
	free(c.e.buf);
	free(c.ks.k);
	free(c.ks.h);
	free(c.tmp);
	if (rc != 0)
		sync_result_clear(res);
	free(items);
	return rc;
}

void
sync_result_clear(struct sync_result *res)
{
	if (res == NULL)
		return;
	free(res->reply);
	free(res->need);
	free(res->give);
	memset(res, 0, sizeof(*res));
}
