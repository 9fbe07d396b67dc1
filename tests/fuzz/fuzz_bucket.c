/*
 * fuzz_bucket.c: the rate-limit table (node/bucket.c), whose keys peers choose (their
 * transport keys, the authors they claim), against a model.
 *
 * The input is a table size and a rate, then a list of operations on a pool of 64 keys:
 * take, get, remove, a rate change, the clock moving on. The same operations run on the
 * real table (open addressing, backward-shift deletion, an LRU list) and on a plain array
 * that does the obvious thing, and after every step they must agree: which keys are
 * tracked, which is evicted, every bucket's contents, every take's answer, the counters.
 * Bucket arithmetic is checked on its own too: never more tokens than the burst, and
 * bucket_wait_ms() says exactly when a take would pass.
 *
 * Input: u8 max-1 (table size 1..256), u16 BE per_sec, u16 BE burst, then ops of 3 bytes
 *   u8 op | u8 key index (mod 64) | u8 argument
 * op % 5: 0 take argument tokens, 1 get, 2 remove, 3 new rate (per_sec = argument * 7,
 * burst = key index), 4 the clock moves argument^2 ms (argument 0: it steps back 5 ms).
 */
#include <string.h>

#include "fuzz.h"
#include "sec.h"

#define KEYS		64
#define MODEL_MAX	256
#define OPS_MAX		4096

struct model_entry {
	int			 used;
	int			 key;
	uint64_t		 last_use;	/* higher is more recent */
	struct bucket	 bucket;
};

struct model {
	struct model_entry	 e[MODEL_MAX];
	size_t			 max, count;
	uint64_t		 tick, evicted, allowed, refused;
	struct bucket_rate		 rate;
};

static uint8_t	keys[KEYS][BUCKET_KEYBYTES];

static void
keys_init(void)
{
	static int done;
	size_t i;

	if (done)
		return;
	/* Keys that differ in one byte only, and in the first byte: no help for the hash. */
	for (i = 0; i < KEYS; i++) {
		memset(keys[i], 0xa5, BUCKET_KEYBYTES);
		keys[i][i % BUCKET_KEYBYTES] ^= (uint8_t)(i + 1);
	}
	done = 1;
}

static struct model_entry *
model_find(struct model *m, int key)
{
	size_t i;

	for (i = 0; i < m->max; i++)
		if (m->e[i].used && m->e[i].key == key)
			return &m->e[i];
	return NULL;
}

/* The entry of key, made (evicting the least recently used) if new. */
static struct model_entry *
model_get(struct model *m, int key, uint64_t now, int *created)
{
	struct model_entry *e = model_find(m, key), *lru = NULL;
	size_t i;

	*created = 0;
	if (e == NULL) {
		if (m->count == m->max) {
			for (i = 0; i < m->max; i++)
				if (m->e[i].used && (lru == NULL || m->e[i].last_use < lru->last_use))
					lru = &m->e[i];
			lru->used = 0;
			m->count--;
			m->evicted++;
		}
		for (i = 0; i < m->max && m->e[i].used; i++)
			;
		e = &m->e[i];
		memset(e, 0, sizeof(*e));
		e->used = 1;
		e->key = key;
		bucket_init(&e->bucket, &m->rate, now);
		m->count++;
		*created = 1;
	}
	e->last_use = ++m->tick;
	return e;
}

/* Table and model agree on every key: tracked or not, and the bucket's contents. */
static void
compare(struct bucket_table *t, struct model *m)
{
	struct bucket_stats st;

	bucket_table_stats(t, &st);
	FUZZ_CHECK(st.count == m->count);
	FUZZ_CHECK(st.evicted == m->evicted);
	FUZZ_CHECK(st.allowed == m->allowed && st.refused == m->refused);
}

/* The bucket promises: bounded, and wait_ms tells exactly when n tokens are there. */
static void
check_bucket(const struct bucket *b, const struct bucket_rate *r, uint64_t now, uint32_t n)
{
	struct bucket c;
	uint64_t w;

	FUZZ_CHECK(b->milli <= (uint64_t)r->burst * 1000);
	w = bucket_wait_ms(b, r, now, n);
	if (r->per_sec == 0) {
		FUZZ_CHECK(w == 0);
		return;
	}
	if (n > r->burst) {
		FUZZ_CHECK(w == UINT64_MAX);
		return;
	}
	/* Exact only for a clock that did not step back (bucket.c: "it should not"). */
	if (now < b->last_ms)
		return;
	c = *b;
	FUZZ_CHECK(bucket_take(&c, r, now + w, n) == 1);
	if (w > 0) {
		c = *b;
		FUZZ_CHECK(bucket_take(&c, r, now + w - 1, n) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	struct bucket_table *t;
	struct bucket *b;
	struct model_entry *me;
	struct bucket_rate rate;
	uint64_t now = 1000000;
	size_t off, ops = 0, i;
	int op, key, arg, created, mcreated, r_t, r_m;

	if (size < 5 || size > FUZZ_MAX_INPUT)
		return 0;
	(void)fuzz_key();	/* fc_init(): libsodium */
	keys_init();
	memset(&m, 0, sizeof(m));
	m.max = (size_t)data[0] + 1;
	rate.per_sec = (uint32_t)data[1] << 8 | data[2];
	rate.burst = (uint32_t)data[3] << 8 | data[4];
	m.rate = rate;
	FUZZ_CHECK((t = bucket_table_new(m.max, &rate)) != NULL);
	FUZZ_CHECK(bucket_table_new(0, &rate) == NULL);

	for (off = 5; size - off >= 3 && ops < OPS_MAX; off += 3, ops++) {
		op = data[off] % 5;
		key = data[off + 1] % KEYS;
		arg = data[off + 2];
		switch (op) {
		case 0:		/* take */
			if (m.rate.per_sec == 0) {
				/* Unlimited: allowed, and the key is not even tracked. */
				FUZZ_CHECK(bucket_table_take(t, keys[key], now, (uint32_t)arg) == 1);
				m.allowed++;
				break;
			}
			me = model_get(&m, key, now, &mcreated);
			r_m = bucket_take(&me->bucket, &m.rate, now, (uint32_t)arg);
			r_t = bucket_table_take(t, keys[key], now, (uint32_t)arg);
			FUZZ_CHECK(r_t == r_m);
			if (r_m)
				m.allowed++;
			else
				m.refused++;
			break;
		case 1:		/* get: compare the bucket itself */
			me = model_get(&m, key, now, &mcreated);
			b = bucket_table_get(t, keys[key], now, &created);
			FUZZ_CHECK(b != NULL && created == mcreated);
			FUZZ_CHECK(b->milli == me->bucket.milli && b->last_ms == me->bucket.last_ms);
			check_bucket(b, &m.rate, now, (uint32_t)arg);
			break;
		case 2:		/* remove */
			me = model_find(&m, key);
			FUZZ_CHECK(bucket_table_remove(t, keys[key]) == (me != NULL));
			if (me != NULL) {
				me->used = 0;
				m.count--;
			}
			break;
		case 3:		/* a new rate (config reload) */
			m.rate.per_sec = (uint32_t)arg * 7;
			m.rate.burst = (uint32_t)key;
			bucket_table_set_rate(t, &m.rate);
			for (i = 0; i < m.max; i++)
				if (m.e[i].used && m.e[i].bucket.milli > (uint64_t)m.rate.burst * 1000)
					m.e[i].bucket.milli = (uint64_t)m.rate.burst * 1000;
			FUZZ_CHECK(bucket_table_rate(t)->per_sec == m.rate.per_sec &&
			    bucket_table_rate(t)->burst == m.rate.burst);
			break;
		default:	/* time */
			if (arg == 0)
				now -= 5;
			else
				now += (uint64_t)arg * (uint64_t)arg;
			break;
		}
		compare(t, &m);
	}
	bucket_table_free(&t);
	FUZZ_CHECK(t == NULL);
	return 0;
}
