/*
 * test_store.c: the store as its users depend on it, against real LMDB in a temporary
 * directory: round trips, dedupe, rejection, ordering, refs, id prefixes, persistence,
 * schema refusal, map growth, the order index, the set digest and clock-skewed messages.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "helper.h"
#include "store.h"
#include "ingest.h"

/* A fixed clock: tests must not depend on the wall clock. 2025-11-23 12:00 UTC. */
#define NOW	1763899200000ULL
#define MIN	60000ULL

struct fx {
	char		*dir;
	struct store	*st;
	struct fc_key	*key;
};

static int
setup(void **state)
{
	struct fx	*fx;

	fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	fx->dir = th_tmpdir();
	assert_non_null(fx->dir);
	assert_int_equal(fc_key_generate(&fx->key), 0);
	assert_int_equal(store_open(fx->dir, 0, &fx->st), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	store_close(&fx->st);
	fc_key_free(&fx->key);
	th_rmdir(fx->dir);
	free(fx);
	return 0;
}

/* Put one envelope; returns the item's status after checking the batch committed. */
static int
put1(struct store *st, const struct th_msg *m, uint64_t now)
{
	struct ingest_put	 p;

	memset(&p, 0, sizeof(p));
	p.env = m->env;
	p.len = m->len;
	assert_int_equal(ingest_put_open(st, &p, 1, now), 0);
	return p.status;
}

static uint64_t
count(struct store *st)
{
	uint64_t	 n = 0;

	assert_int_equal(store_count(st, &n), 0);
	return n;
}

/* Collects iteration results. */
#define MAXSEEN	64
struct seen_list {
	size_t		 n;
	uint8_t		 id[MAXSEEN][FC_IDBYTES];
	uint64_t	 time[MAXSEEN];
	int		 kind[MAXSEEN];
	int		 stop_after;	/* 0: never */
};

static int
collect(void *ctx, const struct store_view *v)
{
	struct seen_list	*l = ctx;
	uint8_t			 id[FC_IDBYTES];

	assert_true(l->n < MAXSEEN);
	/* The view must be consistent: its envelope hashes to its id. */
	assert_int_equal(fc_envelope_id(v->env, v->len, id), 0);
	assert_memory_equal(id, v->id, FC_IDBYTES);
	memcpy(l->id[l->n], v->id, FC_IDBYTES);
	l->time[l->n] = v->seen->time_ms;
	l->kind[l->n] = v->seen->kind;
	l->n++;
	if (l->stop_after != 0 && (int)l->n == l->stop_after)
		return 7;
	return 0;
}

/* ---- round trip ---------------------------------------------------------------------- */

static void
test_roundtrip(void **state)
{
	struct fx		*fx = *state;
	struct th_msg		 m;
	struct ingest_put	 p;
	struct store_msg	 out;
	uint8_t			 from[FC_PUBLICKEYBYTES];

	assert_int_equal(th_report(fx->key, NOW - 5 * MIN, "村东头河堤决口",
	    "王家村东头河堤决口约十米，洪水进村，已转移群众三十余人。", &m), 0);
	memset(from, 0xab, sizeof(from));
	memset(&p, 0, sizeof(p));
	p.env = m.env;
	p.len = m.len;
	p.from = from;
	p.hops = 3;
	assert_int_equal(ingest_put_open(fx->st, &p, 1, NOW), 0);
	assert_int_equal(p.status, INGEST_NEW);
	assert_memory_equal(p.id, m.id, FC_IDBYTES);
	assert_int_equal(p.kind, FENGHUO__KIND__REPORT);
	assert_int_equal(p.flags, 0);
	assert_int_equal(store_has(fx->st, m.id), 1);
	assert_int_equal(count(fx->st), 1);

	assert_int_equal(store_get(fx->st, m.id, &out), 0);
	assert_int_equal(out.len, m.len);
	assert_memory_equal(out.env, m.env, m.len);
	assert_memory_equal(out.id, m.id, FC_IDBYTES);
	assert_int_equal(out.seen.first_seen_ms, NOW);
	assert_int_equal(out.seen.created_ms, NOW - 5 * MIN);
	assert_int_equal(out.seen.time_ms, NOW - 5 * MIN);
	assert_int_equal(out.seen.has_from, 1);
	assert_memory_equal(out.seen.from, from, sizeof(from));
	assert_int_equal(out.seen.hops, 3);
	assert_int_equal(out.seen.kind, FENGHUO__KIND__REPORT);
	store_msg_clear(&out);
	assert_null(out.env);

	/* A local message has no sender. */
	th_msg_clear(&m);
	assert_int_equal(th_report(fx->key, NOW, "山体滑坡", "", &m), 0);
	assert_int_equal(put1(fx->st, &m, NOW), INGEST_NEW);
	assert_int_equal(store_get(fx->st, m.id, &out), 0);
	assert_int_equal(out.seen.has_from, 0);
	assert_int_equal(out.seen.hops, 0);
	store_msg_clear(&out);
	th_msg_clear(&m);

	memset(from, 0, sizeof(from));
	assert_int_equal(store_has(fx->st, from), 0);
	assert_int_equal(store_get(fx->st, from, &out), STORE_NOTFOUND);
}

/* ---- dedupe -------------------------------------------------------------------------- */

static void
test_dedupe(void **state)
{
	struct fx		*fx = *state;
	struct th_msg		 a, b;
	struct ingest_put	 p[3];
	uint8_t			 d1[32], d2[32];

	assert_int_equal(th_report(fx->key, NOW, "a", "first", &a), 0);
	assert_int_equal(th_report(fx->key, NOW, "b", "second", &b), 0);
	assert_int_equal(put1(fx->st, &a, NOW), INGEST_NEW);
	assert_int_equal(store_digest(fx->st, d1), 0);
	assert_int_equal(put1(fx->st, &a, NOW + MIN), INGEST_DUP);
	assert_int_equal(count(fx->st), 1);
	assert_int_equal(store_digest(fx->st, d2), 0);
	assert_memory_equal(d1, d2, 32);

	/* The duplicate keeps its first-seen time. */
	{
		struct store_msg out;

		assert_int_equal(store_get(fx->st, a.id, &out), 0);
		assert_int_equal(out.seen.first_seen_ms, NOW);
		store_msg_clear(&out);
	}

	/* Inside one batch: the second copy is a duplicate of the first. */
	memset(p, 0, sizeof(p));
	p[0].env = b.env;
	p[0].len = b.len;
	p[1].env = b.env;
	p[1].len = b.len;
	p[2].env = a.env;
	p[2].len = a.len;
	assert_int_equal(ingest_put_open(fx->st, p, 3, NOW), 0);
	assert_int_equal(p[0].status, INGEST_NEW);
	assert_int_equal(p[1].status, INGEST_DUP);
	assert_int_equal(p[2].status, INGEST_DUP);
	assert_memory_equal(p[1].id, b.id, FC_IDBYTES);
	assert_int_equal(count(fx->st), 2);
	th_msg_clear(&a);
	th_msg_clear(&b);
}

/* ---- rejection ----------------------------------------------------------------------- */

static void
test_rejected(void **state)
{
	struct fx		*fx = *state;
	struct th_msg		 good, bad, good2;
	struct ingest_put	 p[4];
	uint8_t			 d1[32], d2[32], junk[16];
	struct seen_list	 l;

	assert_int_equal(th_report(fx->key, NOW, "good", "ok", &good), 0);
	assert_int_equal(th_report(fx->key, NOW, "bad", "tampered", &bad), 0);
	assert_int_equal(th_report(fx->key, NOW, "good2", "ok", &good2), 0);
	bad.env[bad.len - 1] ^= 0x01;	/* the signature is last: break it */
	memset(junk, 0xff, sizeof(junk));

	assert_int_equal(store_digest(fx->st, d1), 0);
	memset(p, 0, sizeof(p));
	p[0].env = bad.env;
	p[0].len = bad.len;
	p[1].env = junk;
	p[1].len = sizeof(junk);
	assert_int_equal(ingest_put_open(fx->st, p, 2, NOW), 0);
	assert_int_equal(p[0].status, INGEST_REJECTED);
	assert_int_equal(p[0].reason, FC_R_BAD_SIG);
	assert_memory_equal(p[0].id, bad.id, FC_IDBYTES);
	assert_int_equal(p[1].status, INGEST_REJECTED);
	assert_int_equal(p[1].reason, FC_R_DECODE);
	assert_int_equal(count(fx->st), 0);
	assert_int_equal(store_digest(fx->st, d2), 0);
	assert_memory_equal(d1, d2, 32);
	assert_int_equal(store_has(fx->st, bad.id), 0);

	/* A mixed batch stores only the good ones, and nothing of the bad. */
	memset(p, 0, sizeof(p));
	p[0].env = good.env;
	p[0].len = good.len;
	p[1].env = bad.env;
	p[1].len = bad.len;
	p[2].env = good2.env;
	p[2].len = good2.len;
	p[3].env = junk;
	p[3].len = sizeof(junk);
	assert_int_equal(ingest_put_open(fx->st, p, 4, NOW), 0);
	assert_int_equal(p[0].status, INGEST_NEW);
	assert_int_equal(p[1].status, INGEST_REJECTED);
	assert_int_equal(p[2].status, INGEST_NEW);
	assert_int_equal(p[3].status, INGEST_REJECTED);
	assert_int_equal(count(fx->st), 2);
	assert_int_equal(store_has(fx->st, bad.id), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_iter_time(fx->st, 0, 0, 0, 0, collect, &l), 0);
	assert_int_equal(l.n, 2);

	/* A rejected message is checked again next time (and rejected again). */
	assert_int_equal(put1(fx->st, &bad, NOW), INGEST_REJECTED);

	/* A stored message with one body byte changed is another id, and a forgery. */
	{
		struct ingest_put	 q;
		size_t			 off;

		for (off = 0; off + 4 <= good.len; off++)
			if (memcmp(good.env + off, "good", 4) == 0)
				break;
		assert_true(off + 4 <= good.len);
		good.env[off] ^= 1;
		memset(&q, 0, sizeof(q));
		q.env = good.env;
		q.len = good.len;
		assert_int_equal(ingest_put_open(fx->st, &q, 1, NOW), 0);
		assert_int_equal(q.status, INGEST_REJECTED);
		assert_int_equal(q.reason, FC_R_BAD_SIG);
		assert_memory_not_equal(q.id, good.id, FC_IDBYTES);
		assert_int_equal(count(fx->st), 2);
	}
	th_msg_clear(&good);
	th_msg_clear(&bad);
	th_msg_clear(&good2);
}

/* ---- ordering ------------------------------------------------------------------------ */

static void
test_iter_time(void **state)
{
	struct fx		*fx = *state;
	struct th_msg		 r[5], rc;
	struct seen_list	 l;
	size_t			 i;

	/* Put out of order; the index orders them. */
	static const int order[5] = { 3, 0, 4, 1, 2 };
	for (i = 0; i < 5; i++) {
		char title[16];

		snprintf(title, sizeof(title), "r%d", order[i]);
		assert_int_equal(th_report(fx->key, NOW - 100 * MIN + (uint64_t)order[i] * MIN,
		    title, "", &r[order[i]]), 0);
		assert_int_equal(put1(fx->st, &r[order[i]], NOW), INGEST_NEW);
	}
	assert_int_equal(th_receipt(fx->key, NOW - 100 * MIN + 2 * MIN + 30000, r[2].id, &rc), 0);
	assert_int_equal(put1(fx->st, &rc, NOW), INGEST_NEW);

	memset(&l, 0, sizeof(l));
	assert_int_equal(store_iter_time(fx->st, 0, 0, 0, 1, collect, &l), 0);
	assert_int_equal(l.n, 6);
	assert_memory_equal(l.id[0], r[4].id, FC_IDBYTES);
	assert_memory_equal(l.id[1], r[3].id, FC_IDBYTES);
	assert_memory_equal(l.id[2], rc.id, FC_IDBYTES);
	assert_memory_equal(l.id[3], r[2].id, FC_IDBYTES);
	assert_memory_equal(l.id[5], r[0].id, FC_IDBYTES);
	for (i = 1; i < l.n; i++)
		assert_true(l.time[i - 1] >= l.time[i]);

	memset(&l, 0, sizeof(l));
	assert_int_equal(store_iter_time(fx->st, 0, 0, 0, 0, collect, &l), 0);
	assert_int_equal(l.n, 6);
	assert_memory_equal(l.id[0], r[0].id, FC_IDBYTES);
	assert_memory_equal(l.id[5], r[4].id, FC_IDBYTES);

	/* Kind filter. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_iter_time(fx->st, 0, 0, FENGHUO__KIND__RECEIPT, 1, collect, &l), 0);
	assert_int_equal(l.n, 1);
	assert_memory_equal(l.id[0], rc.id, FC_IDBYTES);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_iter_time(fx->st, 0, 0, FENGHUO__KIND__REPORT, 0, collect, &l), 0);
	assert_int_equal(l.n, 5);

	/* since inclusive, until exclusive, both directions. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_iter_time(fx->st, NOW - 99 * MIN, NOW - 97 * MIN, 0, 0, collect,
	    &l), 0);
	assert_int_equal(l.n, 3);
	assert_memory_equal(l.id[0], r[1].id, FC_IDBYTES);
	assert_memory_equal(l.id[1], r[2].id, FC_IDBYTES);
	assert_memory_equal(l.id[2], rc.id, FC_IDBYTES);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_iter_time(fx->st, NOW - 99 * MIN, NOW - 97 * MIN, 0, 1, collect,
	    &l), 0);
	assert_int_equal(l.n, 3);
	assert_memory_equal(l.id[0], rc.id, FC_IDBYTES);
	assert_memory_equal(l.id[2], r[1].id, FC_IDBYTES);
	/* until beyond the newest, since after everything, an empty window. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_iter_time(fx->st, NOW - 97 * MIN, NOW + 1000 * MIN, 0, 1,
	    collect, &l), 0);
	assert_int_equal(l.n, 2);
	assert_memory_equal(l.id[0], r[4].id, FC_IDBYTES);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_iter_time(fx->st, NOW, 0, 0, 1, collect, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(store_iter_time(fx->st, NOW, 0, 0, 0, collect, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(store_iter_time(fx->st, 0, NOW - 1000 * MIN, 0, 1, collect, &l), 0);
	assert_int_equal(l.n, 0);

	/* The callback's non-zero return stops the walk and is passed back. */
	memset(&l, 0, sizeof(l));
	l.stop_after = 2;
	assert_int_equal(store_iter_time(fx->st, 0, 0, 0, 1, collect, &l), 7);
	assert_int_equal(l.n, 2);

	for (i = 0; i < 5; i++)
		th_msg_clear(&r[i]);
	th_msg_clear(&rc);
}

/* ---- refs ---------------------------------------------------------------------------- */

static void
test_refs(void **state)
{
	struct fx		*fx = *state;
	struct th_msg		 rep, other, rc[4], orc;
	struct ingest_put	 p[6];
	struct seen_list	 l;
	size_t			 i;

	assert_int_equal(th_report(fx->key, NOW - 60 * MIN, "report", "", &rep), 0);
	assert_int_equal(th_report(fx->key, NOW - 50 * MIN, "other", "", &other), 0);
	/* Receipts at increasing times, put in a scrambled order in one batch. */
	for (i = 0; i < 4; i++)
		assert_int_equal(th_receipt(fx->key, NOW - 40 * MIN + i * MIN, rep.id, &rc[i]), 0);
	assert_int_equal(th_receipt(fx->key, NOW - 45 * MIN, other.id, &orc), 0);

	memset(p, 0, sizeof(p));
	p[0].env = rc[2].env, p[0].len = rc[2].len;
	p[1].env = rep.env, p[1].len = rep.len;
	p[2].env = rc[0].env, p[2].len = rc[0].len;
	p[3].env = orc.env, p[3].len = orc.len;
	p[4].env = rc[3].env, p[4].len = rc[3].len;
	p[5].env = rc[1].env, p[5].len = rc[1].len;
	assert_int_equal(ingest_put_open(fx->st, p, 6, NOW), 0);
	for (i = 0; i < 6; i++)
		assert_int_equal(p[i].status, INGEST_NEW);

	memset(&l, 0, sizeof(l));
	assert_int_equal(store_iter_refs(fx->st, rep.id, collect, &l), 0);
	assert_int_equal(l.n, 4);
	for (i = 0; i < 4; i++) {
		assert_memory_equal(l.id[i], rc[i].id, FC_IDBYTES);
		assert_int_equal(l.kind[i], FENGHUO__KIND__RECEIPT);
	}
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_iter_refs(fx->st, other.id, collect, &l), 0);
	assert_int_equal(l.n, 1);
	assert_memory_equal(l.id[0], orc.id, FC_IDBYTES);
	/* Nothing refers to a receipt; nor to an unknown id. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_iter_refs(fx->st, rc[0].id, collect, &l), 0);
	assert_int_equal(l.n, 0);

	th_msg_clear(&rep);
	th_msg_clear(&other);
	th_msg_clear(&orc);
	for (i = 0; i < 4; i++)
		th_msg_clear(&rc[i]);
}

/* ---- id prefixes --------------------------------------------------------------------- */

struct cand {
	uint32_t	 head;	/* first 4 bytes of the id */
	uint32_t	 idx;
};

static int
cand_cmp(const void *a, const void *b)
{
	const struct cand	*x = a, *y = b;

	if (x->head != y->head)
		return x->head < y->head ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Two reports whose ids share their first 8 hex digits. Only hashing is needed to find them
 * (a birthday search over 2^32 values: 400000 candidates find a pair with probability
 * 1 - e^-18); only the pair is signed.
 */
static void
colliding_pair(const struct fc_key *key, struct th_msg *a, struct th_msg *b)
{
	enum { N = 400000 };
	Fenghuo__Body	 body = FENGHUO__BODY__INIT;
	struct cand	*c;
	uint8_t		 buf[256], id[FC_IDBYTES];
	size_t		 len, i;
	uint32_t	 ia = 0, ib = 0;
	int		 found = 0;

	c = calloc(N, sizeof(*c));
	assert_non_null(c);
	body.has_version = 1;
	body.version = WIRE_BODY_VERSION;
	body.has_author = 1;
	body.author.data = (uint8_t *)(uintptr_t)fc_key_public(key);
	body.author.len = FC_PUBLICKEYBYTES;
	body.has_kind = 1;
	body.kind = FENGHUO__KIND__REPORT;
	body.has_created_ms = 1;
	body.region = (char *)(uintptr_t)"110101001001";
	body.title = (char *)(uintptr_t)"collision";
	for (i = 0; i < N; i++) {
		body.created_ms = NOW - i;
		len = fenghuo__body__get_packed_size(&body);
		assert_true(len <= sizeof(buf));
		fenghuo__body__pack(&body, buf);
		fc_msg_id(buf, len, id);
		c[i].head = (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 |
		    (uint32_t)id[2] << 8 | id[3];
		c[i].idx = (uint32_t)i;
	}
	qsort(c, N, sizeof(*c), cand_cmp);
	for (i = 1; i < N && !found; i++)
		if (c[i].head == c[i - 1].head) {
			ia = c[i - 1].idx;
			ib = c[i].idx;
			found = 1;
		}
	free(c);
	assert_true(found);
	body.created_ms = NOW - ia;
	assert_int_equal(th_seal(key, &body, a), 0);
	body.created_ms = NOW - ib;
	assert_int_equal(th_seal(key, &body, b), 0);
	assert_memory_equal(a->id, b->id, 4);
}

static void
test_prefix(void **state)
{
	struct fx		*fx = *state;
	struct th_msg		 a, b, u, absent;
	struct store_msg	 out;
	char			 hex[FC_IDHEX], pfx[FC_IDHEX];
	size_t			 i;

	colliding_pair(fx->key, &a, &b);
	assert_int_equal(th_report(fx->key, NOW, "unique", "", &u), 0);
	assert_int_equal(th_report(fx->key, NOW, "absent", "", &absent), 0);
	assert_int_equal(put1(fx->st, &a, NOW), INGEST_NEW);
	assert_int_equal(put1(fx->st, &b, NOW), INGEST_NEW);
	assert_int_equal(put1(fx->st, &u, NOW), INGEST_NEW);

	/* Unique prefixes of every length from 8 to 64, odd ones included. */
	fc_hex(u.id, FC_IDBYTES, hex);
	for (i = 8; i <= 64; i++) {
		memcpy(pfx, hex, i);
		pfx[i] = '\0';
		assert_int_equal(store_get_prefix(fx->st, pfx, &out), 0);
		assert_memory_equal(out.id, u.id, FC_IDBYTES);
		assert_int_equal(out.len, u.len);
		assert_memory_equal(out.env, u.env, u.len);
		store_msg_clear(&out);
	}
	/* Upper case is accepted too. */
	for (i = 0; i < 10; i++)
		pfx[i] = (char)(hex[i] >= 'a' ? hex[i] - 'a' + 'A' : hex[i]);
	pfx[10] = '\0';
	assert_int_equal(store_get_prefix(fx->st, pfx, &out), 0);
	assert_memory_equal(out.id, u.id, FC_IDBYTES);
	store_msg_clear(&out);

	/* a and b share 8 hex digits: ambiguous there, unique once they differ. */
	fc_hex(a.id, FC_IDBYTES, hex);
	memcpy(pfx, hex, 8);
	pfx[8] = '\0';
	assert_int_equal(store_get_prefix(fx->st, pfx, &out), STORE_AMBIGUOUS);
	assert_null(out.env);
	assert_int_equal(store_get_prefix(fx->st, hex, &out), 0);
	assert_memory_equal(out.id, a.id, FC_IDBYTES);
	store_msg_clear(&out);
	{
		char	 hb[FC_IDHEX];
		size_t	 d = 0;

		fc_hex(b.id, FC_IDBYTES, hb);
		while (hex[d] == hb[d])
			d++;
		memcpy(pfx, hb, d + 1 < 8 ? 8 : d + 1);
		pfx[d + 1 < 8 ? 8 : d + 1] = '\0';
		if (d + 1 > 8) {
			assert_int_equal(store_get_prefix(fx->st, pfx, &out), 0);
			assert_memory_equal(out.id, b.id, FC_IDBYTES);
			store_msg_clear(&out);
		}
	}

	/* Unknown prefix: the id of a message never stored (its first 12 digits). */
	fc_hex(absent.id, FC_IDBYTES, hex);
	hex[12] = '\0';
	assert_int_equal(store_get_prefix(fx->st, hex, &out), STORE_NOTFOUND);
	assert_int_equal(store_get_prefix(fx->st, "ffffffffffffffff", &out), STORE_NOTFOUND);

	/* Malformed prefixes. */
	assert_int_equal(store_get_prefix(fx->st, "abcdef1", &out), STORE_EINVAL);
	assert_int_equal(store_get_prefix(fx->st, "abcdefgh", &out), STORE_EINVAL);
	assert_int_equal(store_get_prefix(fx->st, "", &out), STORE_EINVAL);
	{
		char	 longer[67];

		memset(longer, 'a', 65);
		longer[65] = '\0';
		assert_int_equal(store_get_prefix(fx->st, longer, &out), STORE_EINVAL);
	}

	th_msg_clear(&a);
	th_msg_clear(&b);
	th_msg_clear(&u);
	th_msg_clear(&absent);
}

/* ---- persistence and schema ---------------------------------------------------------- */

static void
test_reopen(void **state)
{
	struct fx		*fx = *state;
	struct th_msg		 m[10];
	struct ingest_put	 p[10];
	struct store_msg	 out;
	struct store		*ro;
	uint8_t			 d1[32], d2[32];
	size_t			 i;
	char			*empty;

	memset(p, 0, sizeof(p));
	for (i = 0; i < 10; i++) {
		assert_int_equal(th_report(fx->key, NOW - i * MIN, "持久", "保存", &m[i]), 0);
		p[i].env = m[i].env;
		p[i].len = m[i].len;
	}
	assert_int_equal(ingest_put_open(fx->st, p, 10, NOW), 0);
	assert_int_equal(store_digest(fx->st, d1), 0);
	store_close(&fx->st);
	assert_null(fx->st);
	store_close(&fx->st);	/* NULL is fine */

	assert_int_equal(store_open(fx->dir, 0, &fx->st), 0);
	assert_int_equal(count(fx->st), 10);
	assert_int_equal(store_digest(fx->st, d2), 0);
	assert_memory_equal(d1, d2, 32);
	for (i = 0; i < 10; i++) {
		assert_int_equal(store_get(fx->st, m[i].id, &out), 0);
		assert_int_equal(out.len, m[i].len);
		assert_memory_equal(out.env, m[i].env, m[i].len);
		assert_int_equal(out.seen.created_ms, NOW - i * MIN);
		store_msg_clear(&out);
	}

	/* A reader alongside the writer (the CLI next to the daemon) sees the same. */
	assert_int_equal(store_open(fx->dir, STORE_RDONLY, &ro), 0);
	assert_int_equal(count(ro), 10);
	{
		struct store_put	 sp;
		struct fc_msg		 msg;

		assert_int_equal(fc_validate(m[0].env, m[0].len, NOW, NOW, &msg), FC_R_OK);
		memset(&sp, 0, sizeof(sp));
		sp.msg = &msg;
		sp.env = m[0].env;
		sp.len = m[0].len;
		assert_int_equal(store_put_batch(ro, &sp, 1, NOW), EACCES);
		fc_msg_clear(&msg);
	}
	store_close(&ro);

	/* Read-only on a directory without a store fails cleanly and creates nothing. */
	empty = th_tmpdir();
	assert_non_null(empty);
	assert_int_equal(store_open(empty, STORE_RDONLY, &ro), ENOENT);
	assert_null(ro);
	assert_int_equal(rmdir(empty), 0);	/* still empty */
	free(empty);

	for (i = 0; i < 10; i++)
		th_msg_clear(&m[i]);
}

static void
test_schema(void **state)
{
	struct fx	*fx = *state;
	MDB_env		*env;
	MDB_txn		*txn;
	MDB_dbi		 meta;
	MDB_val		 k, v;
	uint8_t		 ver[4] = { 0, 0, 0, STORE_SCHEMA_VERSION + 1 };
	struct store	*st;
	const char	*msg;

	store_close(&fx->st);
	/* Rewrite the version as a future fenghuo would, with LMDB directly. */
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, fx->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	k.mv_data = (void *)(uintptr_t)"schema";
	k.mv_size = 6;
	assert_int_equal(mdb_get(txn, meta, &k, &v), 0);
	assert_int_equal(v.mv_size, 4);
	assert_int_equal(((const uint8_t *)v.mv_data)[3], STORE_SCHEMA_VERSION);
	v.mv_data = ver;
	v.mv_size = sizeof(ver);
	assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	st = (struct store *)1;
	assert_int_equal(store_open(fx->dir, 0, &st), STORE_ESCHEMA);
	assert_null(st);
	assert_int_equal(store_open(fx->dir, STORE_RDONLY, &st), STORE_ESCHEMA);
	msg = store_strerror(STORE_ESCHEMA);
	assert_non_null(strstr(msg, "schema version 4"));
	/* What the CLI needs to say which version it found. */
	{
		uint32_t	 found = 0;
		char		*empty;

		assert_int_equal(store_schema_version(fx->dir, &found), 0);
		assert_int_equal(found, STORE_SCHEMA_VERSION + 1);
		empty = th_tmpdir();
		assert_non_null(empty);
		assert_int_equal(store_schema_version(empty, &found), ENOENT);
		th_rmdir(empty);
	}
}

/* ---- map growth ---------------------------------------------------------------------- */

static void
test_map_growth(void **state)
{
	enum { N = 3000, BATCH = 250 };
	struct fx		*fx = *state;
	struct th_msg		*m;
	struct ingest_put	 p[BATCH];
	struct store_msg	 out;
	size_t			 size0, size1, i, j;
	char			 text[1200];

	store_close(&fx->st);
	th_rmdir(fx->dir);
	fx->dir = th_tmpdir();
	assert_non_null(fx->dir);
	assert_int_equal(store_open_ex(fx->dir, 0, 64 * 1024, &fx->st), 0);
	assert_int_equal(store_map_size(fx->st, &size0), 0);
	assert_true(size0 <= 64 * 1024);

	m = calloc(N, sizeof(*m));
	assert_non_null(m);
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	for (i = 0; i < N; i++) {
		snprintf(text, 16, "%06zu", i);
		text[6] = ' ';
		assert_int_equal(th_report(fx->key, NOW - i, "growth", text, &m[i]), 0);
	}
	for (i = 0; i < N; i += BATCH) {
		memset(p, 0, sizeof(p));
		for (j = 0; j < BATCH; j++) {
			p[j].env = m[i + j].env;
			p[j].len = m[i + j].len;
		}
		assert_int_equal(ingest_put_open(fx->st, p, BATCH, NOW), 0);
		for (j = 0; j < BATCH; j++)
			assert_int_equal(p[j].status, INGEST_NEW);
	}
	assert_int_equal(store_map_size(fx->st, &size1), 0);
	/* ~4 MB of data from a 64 KiB map: at least five doublings. */
	assert_true(size1 >= 32 * size0);
	assert_int_equal(count(fx->st), N);
	for (i = 0; i < N; i++) {
		assert_int_equal(store_get(fx->st, m[i].id, &out), 0);
		assert_int_equal(out.len, m[i].len);
		assert_memory_equal(out.env, m[i].env, m[i].len);
		store_msg_clear(&out);
	}

	/* The grown map is recorded in the store: a reopen with a tiny map still sees all. */
	store_close(&fx->st);
	assert_int_equal(store_open_ex(fx->dir, 0, 64 * 1024, &fx->st), 0);
	assert_int_equal(count(fx->st), N);
	assert_int_equal(store_get(fx->st, m[N - 1].id, &out), 0);
	store_msg_clear(&out);

	for (i = 0; i < N; i++)
		th_msg_clear(&m[i]);
	free(m);
}

/*
 * Another process (the CLI writing directly while no daemon runs) grows the map; this
 * process must adopt the new size and go on, not fail with MDB_MAP_RESIZED.
 */
static void
test_map_grown_elsewhere(void **state)
{
	enum { N = 1500 };
	struct fx		*fx = *state;
	struct th_msg		*m;
	struct ingest_put	*p;
	size_t			 size0, size1, i;
	char			 text[2000];
	pid_t			 pid;
	int			 status;

	store_close(&fx->st);
	th_rmdir(fx->dir);
	fx->dir = th_tmpdir();
	assert_non_null(fx->dir);
	assert_int_equal(store_open_ex(fx->dir, 0, 64 * 1024, &fx->st), 0);
	assert_int_equal(store_map_size(fx->st, &size0), 0);

	m = calloc(N + 1, sizeof(*m));
	p = calloc(N, sizeof(*p));
	assert_non_null(m);
	assert_non_null(p);
	memset(text, 'y', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	for (i = 0; i <= N; i++) {
		text[0] = 'a' + (char)(i % 26);
		text[1] = 'a' + (char)(i / 26 % 26);
		text[2] = 'a' + (char)(i / 676 % 26);
		assert_int_equal(th_report(fx->key, NOW - i, "elsewhere", text, &m[i]), 0);
		if (i < N) {
			p[i].env = m[i].env;
			p[i].len = m[i].len;
		}
	}

	/* The child opens the store on its own and fills it far past the parent's map. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store	*cs;
		int		 ok;

		ok = store_open_ex(fx->dir, 0, 64 * 1024, &cs) == 0 &&
		    ingest_put_open(cs, p, N, NOW) == 0;
		for (i = 0; ok && i < N; i++)
			ok = p[i].status == INGEST_NEW;
		store_close(&cs);
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* Reading and writing both adopt the grown map. */
	assert_int_equal(count(fx->st), N);
	assert_int_equal(put1(fx->st, &m[N], NOW), INGEST_NEW);
	assert_int_equal(count(fx->st), N + 1);
	assert_int_equal(store_map_size(fx->st, &size1), 0);
	assert_true(size1 > size0);
	for (i = 0; i <= N; i++)
		th_msg_clear(&m[i]);
	free(m);
	free(p);
}

/*
 * Durable and atomic: a writer killed with SIGKILL while it ingests batch after batch loses
 * nothing it had committed (store_put_batch returned 0) and leaves no part of a batch.
 */
static int
count_key(void *ctx, const uint8_t key[STORE_KEYBYTES])
{
	(void)key;
	(*(uint64_t *)ctx)++;
	return 0;
}

static int
count_view(void *ctx, const struct store_view *v)
{
	(void)v;
	(*(uint64_t *)ctx)++;
	return 0;
}

/* n signed reports titled PREFIX<i> in *m, and put items for them in *p (caller frees). */
static void
make_batch(struct fx *fx, size_t n, const char *prefix, struct th_msg **mp,
    struct ingest_put **pp)
{
	struct th_msg *m;
	struct ingest_put *p;
	size_t i;

	m = calloc(n, sizeof(*m));
	p = calloc(n, sizeof(*p));
	assert_non_null(m);
	assert_non_null(p);
	for (i = 0; i < n; i++) {
		char t[48];

		snprintf(t, sizeof(t), "%s%zu", prefix, i);
		assert_int_equal(th_report(fx->key, NOW - i, t, prefix, &m[i]), 0);
		p[i].env = m[i].env;
		p[i].len = m[i].len;
	}
	*mp = m;
	*pp = p;
}

static void
free_batch(struct th_msg *m, struct ingest_put *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		th_msg_clear(&m[i]);
	free(m);
	free(p);
}

/* After a crash or a failed write: the store holds exactly m[0..n), every index agrees. */
static void
expect_whole(struct fx *fx, const struct th_msg *m, uint64_t n)
{
	struct store_msg out;
	uint64_t i, nkeys = 0, nviews = 0;

	assert_int_equal(count(fx->st), n);
	for (i = 0; i < n; i++) {
		assert_int_equal(store_get(fx->st, m[i].id, &out), 0);
		assert_memory_equal(out.env, m[i].env, m[i].len);
		store_msg_clear(&out);
	}
	assert_int_equal(store_order_walk(fx->st, NULL, 0, NULL, 0, count_key, &nkeys), 0);
	assert_int_equal(nkeys, n);
	assert_int_equal(store_iter_time(fx->st, 0, 0, 0, 0, count_view, &nviews), 0);
	assert_int_equal(nviews, n);
}

static void
test_kill9(void **state)
{
	enum { NB = 12, B = 40, SEEN = 3 };
	struct fx		*fx = *state;
	struct th_msg		*m;
	struct ingest_put	*p;
	uint64_t		 n;
	size_t			 i;
	pid_t			 pid;
	int			 fds[2], status;
	char			 c;

	make_batch(fx, NB * B, "k", &m, &p);
	store_close(&fx->st);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store	*cs;
		size_t		 k;

		close(fds[0]);
		if (store_open(fx->dir, 0, &cs) != 0)
			_exit(1);
		/* Report each commit; after the last, go round again (all duplicates). */
		for (k = 0;; k = (k + 1) % NB) {
			if (ingest_put_open(cs, p + k * B, B, NOW) != 0)
				_exit(1);
			c = 'c';
			if (write(fds[1], &c, 1) != 1)
				_exit(1);
		}
	}
	close(fds[1]);
	for (i = 0; i < SEEN; i++)
		assert_int_equal(read(fds[0], &c, 1), 1);
	/* The child is now somewhere in a later batch, perhaps inside its transaction. */
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	close(fds[0]);

	assert_int_equal(store_open(fx->dir, 0, &fx->st), 0);
	n = count(fx->st);
	assert_true(n >= SEEN * B);
	assert_int_equal(n % B, 0);
	/* Whole batches, in order (the child commits them one after another). */
	expect_whole(fx, m, n);
	/* And the store takes writes again. */
	assert_int_equal(ingest_put_open(fx->st, p, NB * B, NOW), 0);
	assert_int_equal(count(fx->st), NB * B);

	free_batch(m, p, NB * B);
}

/* ---- a full disk ---------------------------------------------------------------------- */

/*
 * The disk fills up under the store: a child process writes batches with RLIMIT_FSIZE set a
 * little above the store's size (writes beyond it fail as on a full disk). Each batch either
 * commits (and is reported) or fails with an error, never a crash; the failed batch leaves
 * nothing behind. When space comes back the same open store takes the failed batch (no
 * restart), and every reported batch is there, whole, when the store is opened again.
 */
static void
test_disk_full(void **state)
{
	enum { NB = 400, B = 50 };
	struct fx		*fx = *state;
	struct th_msg		*m;
	struct ingest_put	*p;
	struct store_msg	 out;
	size_t			 acked = 0;
	pid_t			 pid;
	int			 fds[2], status, failed = 0;
	char			 c, path[512];
	struct stat		 sb;

	make_batch(fx, NB * B, "f", &m, &p);
	store_close(&fx->st);
	snprintf(path, sizeof(path), "%s/data.mdb", fx->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit	 rl;
		struct store	*cs;
		size_t		 k;
		int		 rc = 0;

		close(fds[0]);
		signal(SIGXFSZ, SIG_IGN);	/* a write past the limit fails with EFBIG */
		rl.rlim_cur = (rlim_t)sb.st_size + 256 * 1024;
		rl.rlim_max = RLIM_INFINITY;
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0 || store_open(fx->dir, 0, &cs) != 0)
			_exit(1);
		for (k = 0; k < NB && (rc = ingest_put_open(cs, p + k * B, B, NOW)) == 0; k++) {
			c = 'c';
			if (write(fds[1], &c, 1) != 1)
				_exit(1);
		}
		if (rc == 0)
			_exit(2);	/* never full: the limit did not bite */
		c = 'f';
		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		/* Still full: the next batch fails the same way, and reading still works. */
		if (ingest_put_open(cs, p + k * B, B, NOW) == 0)
			_exit(3);
		if (store_get(cs, p[0].id, &out) != 0)
			_exit(4);
		store_msg_clear(&out);
		/* Space comes back: the same open store takes the failed batch, no restart. */
		rl.rlim_cur = RLIM_INFINITY;
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(5);
		if ((rc = ingest_put_open(cs, p + k * B, B, NOW)) != 0) {
			fprintf(stderr, "after space came back: %s\n", store_strerror(rc));
			_exit(6);
		}
		c = 'c';
		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		store_close(&cs);
		_exit(0);
	}
	close(fds[1]);
	while (read(fds[0], &c, 1) == 1) {
		if (c == 'c')
			acked++;
		else if (c == 'f')
			failed = 1;
	}
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(failed);
	assert_true(acked > 0 && acked < NB);

	/* Room again: every acknowledged batch is there, whole; nothing of the failed one. */
	assert_int_equal(store_open(fx->dir, 0, &fx->st), 0);
	expect_whole(fx, m, acked * B);
	assert_int_equal(ingest_put_open(fx->st, p, NB * B, NOW), 0);
	assert_int_equal(count(fx->st), NB * B);

	free_batch(m, p, NB * B);
}

/* ---- the order index ----------------------------------------------------------------- */

struct keys {
	size_t		 n;
	uint8_t		 k[MAXSEEN][STORE_KEYBYTES];
	int		 stop_after;
};

static int
collect_key(void *ctx, const uint8_t key[STORE_KEYBYTES])
{
	struct keys	*ks = ctx;

	assert_true(ks->n < MAXSEEN);
	memcpy(ks->k[ks->n++], key, STORE_KEYBYTES);
	if (ks->stop_after != 0 && (int)ks->n == ks->stop_after)
		return 9;
	return 0;
}

static void
test_order_walk(void **state)
{
	struct fx		*fx = *state;
	struct th_msg		 m[8];
	struct ingest_put	 p[8];
	struct keys		 ks;
	uint8_t			 lo[STORE_KEYBYTES], hi[STORE_KEYBYTES];
	size_t			 i;

	/* Two messages per created time: 1000, 1000, 2000, 2000, ... 4000, 4000 (+NOW). */
	memset(p, 0, sizeof(p));
	for (i = 0; i < 8; i++) {
		char t[8];

		snprintf(t, sizeof(t), "o%zu", i);
		assert_int_equal(th_report(fx->key, NOW - 10 * MIN + (i / 2 + 1) * 1000, t, "",
		    &m[i]), 0);
		p[i].env = m[i].env;
		p[i].len = m[i].len;
	}
	assert_int_equal(ingest_put_open(fx->st, p, 8, NOW), 0);

	memset(&ks, 0, sizeof(ks));
	assert_int_equal(store_order_walk(fx->st, NULL, 0, NULL, 0, collect_key, &ks), 0);
	assert_int_equal(ks.n, 8);
	for (i = 1; i < ks.n; i++)
		assert_true(memcmp(ks.k[i - 1], ks.k[i], STORE_KEYBYTES) < 0);
	/* Each key is created_ms BE || id of a stored message. */
	for (i = 0; i < 8; i++) {
		uint8_t	 k[STORE_KEYBYTES];
		size_t	 j;
		int	 hit = 0;

		store_order_key(NOW - 10 * MIN + (i / 2 + 1) * 1000, m[i].id, k);
		for (j = 0; j < ks.n; j++)
			hit += memcmp(ks.k[j], k, STORE_KEYBYTES) == 0;
		assert_int_equal(hit, 1);
	}

	/* [2000, 4000) by 8-byte time prefixes: the four messages at 2000 and 3000. */
	store_order_key(NOW - 10 * MIN + 2000, m[0].id, lo);
	store_order_key(NOW - 10 * MIN + 4000, m[0].id, hi);
	memset(&ks, 0, sizeof(ks));
	assert_int_equal(store_order_walk(fx->st, lo, 8, hi, 8, collect_key, &ks), 0);
	assert_int_equal(ks.n, 4);
	for (i = 0; i < 4; i++) {
		uint8_t	 k[8];

		memcpy(k, ks.k[i], 8);
		assert_true(memcmp(k, lo, 8) >= 0 && memcmp(k, hi, 8) < 0);
	}
	/* A hi prefix excludes every key that starts with it. */
	memset(&ks, 0, sizeof(ks));
	assert_int_equal(store_order_walk(fx->st, NULL, 0, hi, 8, collect_key, &ks), 0);
	assert_int_equal(ks.n, 6);
	/* Full keys: lo inclusive, hi exclusive. */
	{
		struct keys	 all;

		memset(&all, 0, sizeof(all));
		assert_int_equal(store_order_walk(fx->st, NULL, 0, NULL, 0, collect_key, &all), 0);
		memset(&ks, 0, sizeof(ks));
		assert_int_equal(store_order_walk(fx->st, all.k[2], STORE_KEYBYTES, all.k[5],
		    STORE_KEYBYTES, collect_key, &ks), 0);
		assert_int_equal(ks.n, 3);
		assert_memory_equal(ks.k[0], all.k[2], STORE_KEYBYTES);
		assert_memory_equal(ks.k[2], all.k[4], STORE_KEYBYTES);
		/* lo past the end, and an empty range. */
		memset(lo, 0xff, sizeof(lo));
		memset(&ks, 0, sizeof(ks));
		assert_int_equal(store_order_walk(fx->st, lo, 8, NULL, 0, collect_key, &ks), 0);
		assert_int_equal(ks.n, 0);
		assert_int_equal(store_order_walk(fx->st, all.k[3], STORE_KEYBYTES, all.k[3],
		    STORE_KEYBYTES, collect_key, &ks), 0);
		assert_int_equal(ks.n, 0);
	}
	/* Stopping early passes the callback's value back. */
	memset(&ks, 0, sizeof(ks));
	ks.stop_after = 3;
	assert_int_equal(store_order_walk(fx->st, NULL, 0, NULL, 0, collect_key, &ks), 9);
	assert_int_equal(ks.n, 3);
	assert_int_equal(store_order_walk(fx->st, NULL, 0, NULL, 0, NULL, NULL), STORE_EINVAL);

	for (i = 0; i < 8; i++)
		th_msg_clear(&m[i]);
}

/* ---- digest -------------------------------------------------------------------------- */

static void
test_digest(void **state)
{
	enum { N = 12 };
	struct fx		*fx = *state;
	struct th_msg		 m[N];
	struct ingest_put	 p;
	struct store		*other;
	char			*dir2;
	uint8_t			 d1[32], d2[32], empty[32];
	size_t			 i;

	dir2 = th_tmpdir();
	assert_non_null(dir2);
	assert_int_equal(store_open(dir2, 0, &other), 0);
	assert_int_equal(store_digest(fx->st, d1), 0);
	assert_int_equal(store_digest(other, empty), 0);
	assert_memory_equal(d1, empty, 32);

	for (i = 0; i < N; i++) {
		char t[8];

		snprintf(t, sizeof(t), "d%zu", i);
		assert_int_equal(th_report(fx->key, NOW - (i % 4) * MIN, t, "", &m[i]), 0);
	}
	/* Forwards into one store, backwards (one per batch) into the other. */
	for (i = 0; i < N; i++) {
		memset(&p, 0, sizeof(p));
		p.env = m[i].env;
		p.len = m[i].len;
		assert_int_equal(ingest_put_open(fx->st, &p, 1, NOW), 0);
		if (i < N - 1)	/* the other store misses one for now */
			assert_int_equal(put1(other, &m[N - 2 - i], NOW + i), INGEST_NEW);
	}
	assert_int_equal(store_digest(fx->st, d1), 0);
	assert_int_equal(store_digest(other, d2), 0);
	assert_memory_not_equal(d1, d2, 32);
	assert_memory_not_equal(d1, empty, 32);
	assert_int_equal(put1(other, &m[N - 1], NOW), INGEST_NEW);
	assert_int_equal(store_digest(other, d2), 0);
	assert_memory_equal(d1, d2, 32);

	store_close(&other);
	th_rmdir(dir2);
	for (i = 0; i < N; i++)
		th_msg_clear(&m[i]);
}

/* ---- clock skew ---------------------------------------------------------------------- */

static void
test_clock_skew(void **state)
{
	struct fx		*fx = *state;
	struct th_msg		 future, past, fine;
	struct ingest_put	 p;
	struct store_msg	 out;
	struct seen_list	 l;

	/* An author whose clock is a day ahead, one two years behind, and one that is fine. */
	assert_int_equal(th_report(fx->key, NOW + 24 * 60 * MIN, "未来", "", &future), 0);
	assert_int_equal(th_report(fx->key, NOW - 2 * 365 * 24 * 60 * MIN, "过去", "", &past), 0);
	assert_int_equal(th_report(fx->key, NOW - 2 * MIN, "正常", "", &fine), 0);

	memset(&p, 0, sizeof(p));
	p.env = future.env;
	p.len = future.len;
	assert_int_equal(ingest_put_open(fx->st, &p, 1, NOW), 0);
	assert_int_equal(p.status, INGEST_NEW);
	assert_true(p.flags & FC_MSG_CLOCK_SKEW);
	assert_int_equal(store_get(fx->st, future.id, &out), 0);
	assert_int_equal(out.seen.time_ms, NOW);
	assert_int_equal(out.seen.first_seen_ms, NOW);
	assert_int_equal(out.seen.created_ms, NOW + 24 * 60 * MIN);
	assert_true(out.seen.flags & FC_MSG_CLOCK_SKEW);
	store_msg_clear(&out);

	assert_int_equal(put1(fx->st, &past, NOW - MIN), INGEST_NEW);
	assert_int_equal(store_get(fx->st, past.id, &out), 0);
	assert_int_equal(out.seen.time_ms, NOW - MIN);
	store_msg_clear(&out);
	assert_int_equal(put1(fx->st, &fine, NOW), INGEST_NEW);

	/* Listed by display time: future (NOW), fine (NOW-2m), past (NOW-1m) -> */
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_iter_time(fx->st, 0, 0, 0, 1, collect, &l), 0);
	assert_int_equal(l.n, 3);
	assert_memory_equal(l.id[0], future.id, FC_IDBYTES);
	assert_memory_equal(l.id[1], past.id, FC_IDBYTES);
	assert_memory_equal(l.id[2], fine.id, FC_IDBYTES);
	/* The order index keeps the author's claim, which every node agrees on. */
	{
		struct keys	 ks;
		uint8_t		 k[STORE_KEYBYTES];

		memset(&ks, 0, sizeof(ks));
		assert_int_equal(store_order_walk(fx->st, NULL, 0, NULL, 0, collect_key, &ks), 0);
		assert_int_equal(ks.n, 3);
		store_order_key(NOW + 24 * 60 * MIN, future.id, k);
		assert_memory_equal(ks.k[2], k, STORE_KEYBYTES);
	}
	th_msg_clear(&future);
	th_msg_clear(&past);
	th_msg_clear(&fine);
}

/* ---- what is read back is checked ---------------------------------------------------- */

/* Flip one byte at offset off of the first (only) msgs value, with LMDB directly. */
static void
tamper(const char *dir, size_t off)
{
	MDB_env		*env;
	MDB_txn		*txn;
	MDB_dbi		 msgs;
	MDB_cursor	*cur;
	MDB_val		 k, v;
	uint8_t		 key[STORE_KEYBYTES], *val;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "msgs", 0, &msgs), 0);
	assert_int_equal(mdb_cursor_open(txn, msgs, &cur), 0);
	assert_int_equal(mdb_cursor_get(cur, &k, &v, MDB_FIRST), 0);
	assert_int_equal(k.mv_size, sizeof(key));
	assert_true(off < v.mv_size);
	memcpy(key, k.mv_data, sizeof(key));
	val = malloc(v.mv_size);
	assert_non_null(val);
	memcpy(val, v.mv_data, v.mv_size);
	val[off] ^= 0x20;
	mdb_cursor_close(cur);
	k.mv_data = key;
	v.mv_data = val;
	assert_int_equal(mdb_put(txn, msgs, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	free(val);
	mdb_env_close(env);
}

static void
test_corrupt(void **state)
{
	struct fx		*fx = *state;
	struct th_msg		 m;
	struct store_msg	 out;
	struct seen_list	 l;

	assert_int_equal(th_report(fx->key, NOW, "损坏", "a byte will flip", &m), 0);
	assert_int_equal(put1(fx->st, &m, NOW), INGEST_NEW);
	store_close(&fx->st);

	/* A flipped byte in the envelope: it no longer hashes to its id. */
	tamper(fx->dir, 70 + m.len / 2);
	assert_int_equal(store_open(fx->dir, 0, &fx->st), 0);
	assert_int_equal(store_get(fx->st, m.id, &out), STORE_ECORRUPT);
	assert_null(out.env);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_iter_time(fx->st, 0, 0, 0, 1, collect, &l), STORE_ECORRUPT);
	assert_int_equal(l.n, 0);
	/* Still known as stored: a peer's copy is a duplicate, not a repair path. */
	assert_int_equal(store_has(fx->st, m.id), 1);
	store_close(&fx->st);

	/* A seen record of an unknown version. */
	tamper(fx->dir, 70 + m.len / 2);	/* undo */
	tamper(fx->dir, 0);
	assert_int_equal(store_open(fx->dir, 0, &fx->st), 0);
	assert_int_equal(store_get(fx->st, m.id, &out), STORE_ECORRUPT);
	store_close(&fx->st);
	tamper(fx->dir, 0);	/* undo: readable again */
	assert_int_equal(store_open(fx->dir, 0, &fx->st), 0);
	assert_int_equal(store_get(fx->st, m.id, &out), 0);
	assert_memory_equal(out.env, m.env, m.len);
	store_msg_clear(&out);
	th_msg_clear(&m);
}

/* An iteration callback may read the store (a second read transaction on the thread). */
struct nested {
	struct store	*st;
	size_t		 n;
};

static int
nested_get(void *ctx, const struct store_view *v)
{
	struct nested		*nc = ctx;
	struct store_msg	 out;

	assert_int_equal(store_get(nc->st, v->id, &out), 0);
	assert_int_equal(out.len, v->len);
	store_msg_clear(&out);
	nc->n++;
	return 0;
}

/* Writing from inside an iteration is a programming error: it aborts. */
static int
nested_put(void *ctx, const struct store_view *v)
{
	struct nested		*nc = ctx;
	struct store_put	 p;
	struct fc_msg		 msg;

	/* The store's own write, which refuses to run inside an iteration. */
	if (fc_validate(v->env, v->len, NOW, NOW, &msg) != FC_R_OK)
		return 1;
	memset(&p, 0, sizeof(p));
	p.msg = &msg;
	p.env = v->env;
	p.len = v->len;
	(void)store_put_batch(nc->st, &p, 1, NOW);
	fc_msg_clear(&msg);
	return 0;
}

static void
test_nested_read(void **state)
{
	struct fx	*fx = *state;
	struct th_msg	 a, b;
	struct nested	 nc;

	assert_int_equal(th_report(fx->key, NOW - MIN, "a", "", &a), 0);
	assert_int_equal(th_receipt(fx->key, NOW, a.id, &b), 0);
	assert_int_equal(put1(fx->st, &a, NOW), INGEST_NEW);
	assert_int_equal(put1(fx->st, &b, NOW), INGEST_NEW);
	nc.st = fx->st;
	nc.n = 0;
	assert_int_equal(store_iter_time(fx->st, 0, 0, 0, 1, nested_get, &nc), 0);
	assert_int_equal(nc.n, 2);
	nc.n = 0;
	assert_int_equal(store_iter_refs(fx->st, a.id, nested_get, &nc), 0);
	assert_int_equal(nc.n, 1);
	{
		pid_t	 pid;
		int	 status;

		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			/* Its own handle: a struct store is never used after fork(). */
			struct nested	 cn;

			if (store_open(fx->dir, 0, &cn.st) != 0)
				_exit(1);
			cn.n = 0;
			(void)store_iter_time(cn.st, 0, 0, 0, 1, nested_put, &cn);
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGABRT);
	}
	th_msg_clear(&a);
	th_msg_clear(&b);
}

/* ---- argument checks ----------------------------------------------------------------- */

static void
test_einval(void **state)
{
	struct fx		*fx = *state;
	struct store		*st;
	struct store_msg	 out;
	uint64_t		 n;

	assert_int_equal(store_open(NULL, 0, &st), STORE_EINVAL);
	assert_int_equal(store_open(fx->dir, 0x80, &st), STORE_EINVAL);
	assert_int_equal(store_put_batch(fx->st, NULL, 1, NOW), STORE_EINVAL);
	assert_int_equal(store_put_batch(fx->st, NULL, 0, NOW), 0);
	assert_int_equal(store_get(fx->st, NULL, &out), STORE_EINVAL);
	assert_int_equal(store_count(NULL, &n), STORE_EINVAL);
	assert_non_null(store_strerror(STORE_NOTFOUND));
	assert_non_null(store_strerror(MDB_MAP_FULL));
	assert_non_null(store_strerror(ENOENT));
}

/* RssFile of this process from /proc/self/status, in kB. */
static long
rss_file_kb(void)
{
	char	 line[256];
	long	 kb = -1;
	FILE	*f;

	assert_non_null(f = fopen("/proc/self/status", "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "RssFile:", 8) == 0)
			kb = strtol(line + 8, NULL, 10);
	fclose(f);
	assert_true(kb >= 0);
	return kb;
}

struct release_ctx {
	struct store		*st;
	const struct th_msg	*m;
	size_t			 n, seen;
};

/* store_iter_time callback: release the pages every 100 records, then read this one. */
static int
release_one(void *arg, const struct store_view *v)
{
	struct release_ctx *r = arg;
	size_t i;

	if (r->seen % 100 == 0)
		assert_int_equal(store_release_pages(r->st), 0);
	for (i = 0; i < r->n; i++)
		if (memcmp(r->m[i].id, v->id, FC_IDBYTES) == 0)
			break;
	assert_true(i < r->n);
	assert_int_equal(v->len, r->m[i].len);
	assert_memory_equal(v->env, r->m[i].env, v->len);
	r->seen++;
	return 0;
}

/*
 * store_release_pages: the pages of the store read through the map leave the process's
 * resident set (about 3 MB of records read, at least 1 MB of it released), and reading again
 * gives the same bytes.
 */
static void
test_release_pages(void **state)
{
	enum { N = 2000, BATCH = 250 };
	struct fx		*fx = *state;
	struct th_msg		*m;
	struct ingest_put	 p[BATCH];
	struct store_msg	 out;
	struct release_ctx	 rel;
	char			 text[1200];
	long			 before, after;
	size_t			 i, j;

	m = calloc(N, sizeof(*m));
	assert_non_null(m);
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	for (i = 0; i < N; i++) {
		snprintf(text, 16, "%06zu", i);
		text[6] = ' ';
		assert_int_equal(th_report(fx->key, NOW - i, "release", text, &m[i]), 0);
	}
	for (i = 0; i < N; i += BATCH) {
		memset(p, 0, sizeof(p));
		for (j = 0; j < BATCH; j++) {
			p[j].env = m[i + j].env;
			p[j].len = m[i + j].len;
		}
		assert_int_equal(ingest_put_open(fx->st, p, BATCH, NOW), 0);
	}
	store_close(&fx->st);
	assert_int_equal(store_open(fx->dir, 0, &fx->st), 0);
	for (i = 0; i < N; i++) {
		assert_int_equal(store_get(fx->st, m[i].id, &out), 0);
		store_msg_clear(&out);
	}
	before = rss_file_kb();
	assert_int_equal(store_release_pages(fx->st), 0);
	after = rss_file_kb();
	assert_true(before - after >= 1024);
	for (i = 0; i < N; i++) {
		assert_int_equal(store_get(fx->st, m[i].id, &out), 0);
		assert_int_equal(out.len, m[i].len);
		assert_memory_equal(out.env, m[i].env, m[i].len);
		store_msg_clear(&out);
	}
	/* From inside an iteration: what the callback holds reads the same afterwards. */
	rel.st = fx->st;
	rel.m = m;
	rel.n = N;
	rel.seen = 0;
	assert_int_equal(store_iter_time(fx->st, 0, 0, 0, 0, release_one, &rel), 0);
	assert_int_equal(rel.seen, N);
	assert_int_equal(store_release_pages(NULL), STORE_EINVAL);
	for (i = 0; i < N; i++)
		th_msg_clear(&m[i]);
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dedupe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iter_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_grown_elsewhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill9, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_digest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_skew, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_einval, setup, teardown),
	};

	if (fc_init() != 0) {
		fprintf(stderr, "fc_init failed\n");
		return 1;
	}
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
