/*
 * bucket.c: token buckets, and a bounded table of them keyed by 32-byte keys, for the
 * per-peer and per-author rate limits ([limits], docs/CONFIG.md).
 *
 * A bucket holds up to `burst` tokens and gains `per_sec` tokens a second; an event costing
 * n tokens passes when n tokens are there (and takes them) and is refused otherwise (taking
 * nothing). Tokens are counted in thousandths, so that per_sec tokens a second is exactly
 * per_sec thousandths a millisecond and integer arithmetic loses nothing. Time is a
 * monotonic millisecond clock that the caller passes in (the loop's now, or a test's
 * simulated clock): this file never reads a clock, so tests are exact and a clock that steps
 * backwards (it should not) only means "no time passed". A bucket starts full.
 *
 * The table maps a key (a peer's transport or signing key, a message author) to its bucket.
 * It holds at most `max` keys; a new key when it is full evicts the least recently used one
 * (LRU: a key in active use, such as a flooding peer with an empty bucket, stays tracked).
 * An evicted key that comes back starts with a full bucket again, so a sender with many
 * keys gets at most `burst` events per key it owns: the per-author table is meant to sit
 * behind the per-peer one, which bounds a peer whatever authors it claims. Lookups are O(1):
 * open addressing with linear probing on a SipHash of the key under a random per-table secret
 * (a peer chooses the keys, so it must not be able to choose colliding ones), and a doubly
 * linked list in use order.
 *
 * The same table serves as a bounded "seen recently" set (bucket_table_get()'s created flag),
 * e.g. to log a refused transport key once rather than on every connection attempt.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sec.h"

#define MILLI	1000ull
#define NIL	UINT32_MAX

void
bucket_init(struct bucket *b, const struct bucket_rate *r, uint64_t now_ms)
{
	b->milli = (uint64_t)r->burst * MILLI;
	b->last_ms = now_ms;
}

/* Add the tokens earned since b->last_ms. */
static void
bucket_refill(struct bucket *b, const struct bucket_rate *r, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)r->burst * MILLI, elapsed;

	if (now_ms <= b->last_ms)
		return;		/* no time passed (or the clock stepped back) */
	elapsed = now_ms - b->last_ms;
	b->last_ms = now_ms;
	if (b->milli >= cap)
		return;
	/* Bound elapsed before multiplying: past the time to fill up, the bucket is full. */
	if (elapsed >= (cap - b->milli) / r->per_sec + 1)
		b->milli = cap;
	else
		b->milli += elapsed * r->per_sec;
	if (b->milli > cap)
		b->milli = cap;
}

int
bucket_take(struct bucket *b, const struct bucket_rate *r, uint64_t now_ms, uint32_t n)
{
	if (r->per_sec == 0)
		return 1;	/* unlimited */
	bucket_refill(b, r, now_ms);
	if (b->milli < (uint64_t)n * MILLI)
		return 0;
	b->milli -= (uint64_t)n * MILLI;
	return 1;
}

uint64_t
bucket_wait_ms(const struct bucket *b, const struct bucket_rate *r, uint64_t now_ms,
    uint32_t n)
{
	struct bucket tmp = *b;
	uint64_t need;

	if (r->per_sec == 0)
		return 0;
	if (n > r->burst)
		return UINT64_MAX;	/* never: more than the bucket holds */
	bucket_refill(&tmp, r, now_ms);
	need = (uint64_t)n * MILLI;
	if (tmp.milli >= need)
		return 0;
	/* Round up: after this many ms the tokens are there. */
	return (need - tmp.milli + r->per_sec - 1) / r->per_sec;
}

/* ---- the keyed table ----------------------------------------------------------------- */

struct bucket_entry {
	uint8_t			 key[BUCKET_KEYBYTES];
	uint64_t		 hash;
	uint32_t		 prev, next;	/* use order: prev is more recent; NIL ends */
	struct bucket	 bucket;
};

struct bucket_table {
	struct bucket_rate		 rate;
	size_t			 max;		/* entries at most */
	size_t			 count;
	struct bucket_entry	*e;		/* max entries; unused ones chained by next */
	uint32_t		 free;		/* first unused entry, or NIL */
	uint32_t		*slot;		/* nslot slots: entry index + 1, 0 = empty */
	size_t			 mask;		/* nslot - 1 (a power of two >= 2 * max) */
	uint32_t		 mru, lru;	/* ends of the use-order list, or NIL */
	uint8_t			 hashkey[crypto_shorthash_KEYBYTES];
	struct bucket_stats	 stats;
};

struct bucket_table *
bucket_table_new(size_t max, const struct bucket_rate *rate)
{
	struct bucket_table *t;
	size_t nslot, i;

	if (max == 0 || max > BUCKET_TABLE_MAX)
		return NULL;
	if (sodium_init() < 0)	/* for randombytes_buf(); idempotent */
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	for (nslot = 16; nslot < 2 * max; nslot *= 2)
		;
	t->e = calloc(max, sizeof(*t->e));
	t->slot = calloc(nslot, sizeof(*t->slot));
	if (t->e == NULL || t->slot == NULL) {
		bucket_table_free(&t);
		return NULL;
	}
	t->rate = *rate;
	t->max = max;
	t->mask = nslot - 1;
	for (i = 0; i < max; i++)
		t->e[i].next = i + 1 < max ? (uint32_t)(i + 1) : NIL;
	t->free = 0;
	t->mru = t->lru = NIL;
	randombytes_buf(t->hashkey, sizeof(t->hashkey));
	return t;
}

void
bucket_table_free(struct bucket_table **t)
{
	if (t == NULL || *t == NULL)
		return;
	free((*t)->e);
	free((*t)->slot);
	free(*t);
	*t = NULL;
}

void
bucket_table_set_rate(struct bucket_table *t, const struct bucket_rate *rate)
{
	size_t i;
	uint64_t cap = (uint64_t)rate->burst * MILLI;

	t->rate = *rate;
	/* A smaller burst applies at once; tokens above it are gone. */
	for (i = 0; i < t->max; i++)
		if (t->e[i].bucket.milli > cap)
			t->e[i].bucket.milli = cap;
}

static uint64_t
key_hash(const struct bucket_table *t, const uint8_t key[BUCKET_KEYBYTES])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;
	size_t i;

	crypto_shorthash(h, key, BUCKET_KEYBYTES, t->hashkey);
	for (i = 0; i < sizeof(h); i++)
		v = v << 8 | h[i];
	return v;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t
slot_find(const struct bucket_table *t, const uint8_t key[BUCKET_KEYBYTES], uint64_t hash)
{
	size_t s = hash & t->mask;
	const struct bucket_entry *e;

	while (t->slot[s] != 0) {
		e = &t->e[t->slot[s] - 1];
		if (e->hash == hash && memcmp(e->key, key, BUCKET_KEYBYTES) == 0)
			break;
		s = (s + 1) & t->mask;
	}
	return s;
}

/*
 * Empty slot s and move later entries of its probe run back so that every entry stays
 * reachable from its home slot without tombstones (backward-shift deletion).
 */
static void
slot_delete(struct bucket_table *t, size_t s)
{
	size_t j = s, home;

	for (;;) {
		j = (j + 1) & t->mask;
		if (t->slot[j] == 0)
			break;
		home = t->e[t->slot[j] - 1].hash & t->mask;
		/* The entry at j may move to s unless its home lies cyclically in (s, j]. */
		if (s <= j ? (home > s && home <= j) : (home > s || home <= j))
			continue;
		t->slot[s] = t->slot[j];
		s = j;
	}
	t->slot[s] = 0;
}

static void
list_unlink(struct bucket_table *t, uint32_t i)
{
	struct bucket_entry *e = &t->e[i];

	if (e->prev != NIL)
		t->e[e->prev].next = e->next;
	else
		t->mru = e->next;
	if (e->next != NIL)
		t->e[e->next].prev = e->prev;
	else
		t->lru = e->prev;
	e->prev = e->next = NIL;
}

static void
list_push_mru(struct bucket_table *t, uint32_t i)
{
	struct bucket_entry *e = &t->e[i];

	e->prev = NIL;
	e->next = t->mru;
	if (t->mru != NIL)
		t->e[t->mru].prev = i;
	t->mru = i;
	if (t->lru == NIL)
		t->lru = i;
}

/* Take entry i out of the table and put it on the free chain. */
static void
entry_drop(struct bucket_table *t, uint32_t i)
{
	struct bucket_entry *e = &t->e[i];

	slot_delete(t, slot_find(t, e->key, e->hash));
	list_unlink(t, i);
	memset(e, 0, sizeof(*e));
	e->next = t->free;
	t->free = i;
	t->count--;
}

struct bucket *
bucket_table_get(struct bucket_table *t, const uint8_t key[BUCKET_KEYBYTES], uint64_t now_ms,
    int *created)
{
	uint64_t hash = key_hash(t, key);
	struct bucket_entry *e;
	size_t s;
	uint32_t i;

	s = slot_find(t, key, hash);
	if (t->slot[s] != 0) {
		i = t->slot[s] - 1;
		if (t->mru != i) {
			list_unlink(t, i);
			list_push_mru(t, i);
		}
		if (created != NULL)
			*created = 0;
		return &t->e[i].bucket;
	}
	if (t->count == t->max) {
		entry_drop(t, t->lru);
		t->stats.evicted++;
		/* The probe run may have changed: find the empty slot again. */
		s = slot_find(t, key, hash);
	}
	i = t->free;
	e = &t->e[i];
	t->free = e->next;
	memcpy(e->key, key, BUCKET_KEYBYTES);
	e->hash = hash;
	bucket_init(&e->bucket, &t->rate, now_ms);
	t->slot[s] = i + 1;
	list_push_mru(t, i);
	t->count++;
	if (created != NULL)
		*created = 1;
	return &e->bucket;
}

int
bucket_table_take(struct bucket_table *t, const uint8_t key[BUCKET_KEYBYTES], uint64_t now_ms,
    uint32_t n)
{
	struct bucket *b;

	if (t->rate.per_sec == 0) {
		t->stats.allowed++;
		return 1;	/* unlimited: do not even track the key */
	}
	b = bucket_table_get(t, key, now_ms, NULL);
	if (bucket_take(b, &t->rate, now_ms, n)) {
		t->stats.allowed++;
		return 1;
	}
	t->stats.refused++;
	return 0;
}

int
bucket_table_remove(struct bucket_table *t, const uint8_t key[BUCKET_KEYBYTES])
{
	size_t s = slot_find(t, key, key_hash(t, key));

	if (t->slot[s] == 0)
		return 0;
	entry_drop(t, t->slot[s] - 1);
	return 1;
}

const struct bucket_rate *
bucket_table_rate(const struct bucket_table *t)
{
	return &t->rate;
}

void
bucket_table_stats(const struct bucket_table *t, struct bucket_stats *out)
{
	*out = t->stats;
	out->count = t->count;
}
