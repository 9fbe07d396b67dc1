/*
 * evict.c: the store quota: store_evict() removes expired messages, oldest
 * first, until the message trees fit in a byte budget.
 *
 * What is removed, and why only that: a node reconciles with its peers, so a message removed
 * here comes back at the next round unless validation refuses it on arrival. Validation
 * refuses expired messages (FC_R_EXPIRED), so an expired message stays gone; an unexpired one
 * would be fetched again at once, and removing it would only trade disk for traffic. So:
 *   - expired messages go, oldest created first (the order index is the walk);
 *   - CERT and REVOKE never go, expired or not: the trust state is rebuilt from them, and a
 *     revocation must outlive what it revokes;
 *   - nothing unexpired goes, in particular no warning whose time has not run out, and no
 *     message without an expiry time. When that is not enough, the store stays above its
 *     quota and says so (stats->over): the daemon then refuses new reports and receipts from
 *     peers (warnings, CERT and REVOKE are still taken) until expiry or an operator makes
 *     room. A county office prefers a full disk alarm to silently losing its records.
 *
 * Consistency: a message lives in six trees (store.h): ids, msgs, order, time, kinds, and
 * refs for each message it refers to. All its entries of a removed message go in the same write
 * transaction, so a reader sees the message whole or not at all. refs entries that point AT a
 * removed message (receipts of an expired report) belong to their own messages and stay;
 * store_iter_refs() of a missing id simply lists them.
 *
 * Size: LMDB's page counts (mdb_stat: branch + leaf + overflow pages times the page size) of
 * the six trees (the kind index estimated from its entries, see kinds_bytes), read inside
 * the write transaction, so each removal is seen at once. Pages freed go to LMDB's free list
 * and are reused; the file does not shrink.
 *
 * Cost: a call walks the order index from the oldest message until it is under the quota
 * or has removed max_evict messages; when nothing has expired it reads every record once.
 * The daemon calls it on a timer only while it is above the quota.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static int
tree_bytes(MDB_txn *txn, MDB_dbi dbi, uint64_t *sum)
{
	MDB_stat	 s;
	int		 rc;

	if ((rc = mdb_stat(txn, dbi, &s)) != 0)
		return rc;
	*sum += ((uint64_t)s.ms_branch_pages + s.ms_leaf_pages + s.ms_overflow_pages) *
	    s.ms_psize;
	return 0;
}

/*
 * The kind index, which mdb_stat cannot measure: it counts the pages of a DUPSORT tree's
 * main tree (one page here) but not those of the sub-trees that hold the duplicates. So it
 * is estimated from its entry count: 40-byte duplicates packed without headers, 102 to a
 * page when appended in time order, fewer when pages split; 48 bytes an entry lies between.
 */
#define KINDS_ENTRY_BYTES	48

static int
kinds_bytes(MDB_txn *txn, MDB_dbi dbi, uint64_t *sum)
{
	MDB_stat	 s;
	int		 rc;

	if ((rc = mdb_stat(txn, dbi, &s)) != 0)
		return rc;
	*sum += (uint64_t)s.ms_entries * KINDS_ENTRY_BYTES;
	return 0;
}

static int
store_bytes(const struct store_int *si, MDB_txn *txn, uint64_t *out)
{
	int	 rc;

	*out = 0;
	if ((rc = tree_bytes(txn, si->ids, out)) != 0 ||
	    (rc = tree_bytes(txn, si->msgs, out)) != 0 ||
	    (rc = tree_bytes(txn, si->order, out)) != 0 ||
	    (rc = tree_bytes(txn, si->time, out)) != 0 ||
	    (rc = tree_bytes(txn, si->refs, out)) != 0 ||
	    (rc = tree_bytes(txn, si->loops, out)) != 0 ||
	    (rc = kinds_bytes(txn, si->kinds, out)) != 0)
		return rc;
	return 0;
}

static int
del_key(MDB_txn *txn, MDB_dbi dbi, const uint8_t *key, size_t len)
{
	MDB_val	 k;
	int	 rc;

	k.mv_data = (void *)(uintptr_t)key;
	k.mv_size = len;
	rc = mdb_del(txn, dbi, &k, NULL);
	/* A missing index entry is not worth failing the quota over: it is gone either way. */
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/*
 * Is the message at the order cursor removable? 1 with its body (caller frees) when it is
 * expired and not CERT/REVOKE, 0 when it stays, or an error.
 */
static int
removable(const MDB_val *v, uint64_t now_ms, struct store_seen *seen, Fenghuo__Body **bodyp)
{
	const uint8_t *env, *body, *sig;
	size_t envlen, bodylen, siglen;
	Fenghuo__Body *b;
	int rc;

	*bodyp = NULL;
	if ((rc = store_int_msgs_value(v, seen, &env, &envlen)) != 0)
		return rc;
	if (seen->kind == FENGHUO__KIND__CERT || seen->kind == FENGHUO__KIND__REVOKE)
		return 0;
	if (fc_envelope_split(env, envlen, &body, &bodylen, &sig, &siglen) != 0 ||
	    (b = wire_body_unpack(body, bodylen)) == NULL)
		return STORE_ECORRUPT;	/* it validated when it was stored */
	if (!b->has_expires_ms || b->expires_ms == 0 || b->expires_ms > now_ms) {
		fenghuo__body__free_unpacked(b, NULL);
		return 0;
	}
	*bodyp = b;
	return 1;
}

/* Remove the message whose order key the cursor is on, from every tree. */
static int
remove_one(const struct store_int *si, MDB_txn *txn, MDB_cursor *cur, const uint8_t *okey,
    const struct store_seen *seen, const Fenghuo__Body *b)
{
	uint8_t key[STORE_KEYBYTES], rkey[STORE_INT_REFS_KEYBYTES], id[FC_IDBYTES];
	size_t i;
	int rc;

	memcpy(id, okey + 8, FC_IDBYTES);
	for (i = 0; i < b->n_refs; i++) {
		if (b->refs[i].len != FC_IDBYTES)
			continue;
		/* Validated when stored: a message with refs has a 32-byte author. */
		if (!b->has_author || b->author.len != FC_PUBLICKEYBYTES)
			return STORE_ECORRUPT;
		store_int_ref_key(b->refs[i].data, seen->kind, b->author.data, id, rkey);
		if ((rc = del_key(txn, si->refs, rkey, sizeof(rkey))) != 0)
			return rc;
	}
	store_order_key(seen->time_ms, id, key);
	if (seen->kind == FENGHUO__KIND__REPORT && (rc = store_int_del_loop(si, txn, key)) != 0)
		return rc;
	if ((rc = del_key(txn, si->time, key, sizeof(key))) != 0 ||
	    (rc = store_int_del_kind(si, txn, seen->kind, key)) != 0 ||
	    (rc = del_key(txn, si->msgs, okey, STORE_KEYBYTES)) != 0 ||
	    (rc = del_key(txn, si->ids, id, FC_IDBYTES)) != 0)
		return rc;
	/* Last, with the cursor still on this message's order entry. */
	return mdb_cursor_del(cur, 0);
}

/* One attempt inside txn. */
static int
evict_txn(struct store *st, MDB_txn *txn, uint64_t now_ms, uint64_t max_bytes,
    size_t max_evict, struct store_evict_stats *stats)
{
	struct store_int si;
	struct store_seen seen;
	Fenghuo__Body *b;
	MDB_cursor *cur = NULL;
	MDB_val k, v, mk;
	uint8_t okey[STORE_KEYBYTES];
	uint64_t bytes;
	int rc, op = MDB_FIRST;

	store_int_get(st, &si);
	memset(stats, 0, sizeof(*stats));
	if ((rc = store_bytes(&si, txn, &bytes)) != 0)
		return rc;
	stats->bytes_before = stats->bytes_after = bytes;
	if (bytes <= max_bytes)
		return 0;
	if ((rc = mdb_cursor_open(txn, si.order, &cur)) != 0)
		return rc;
	while (bytes > max_bytes && stats->evicted < max_evict) {
		if ((rc = mdb_cursor_get(cur, &k, &v, op)) != 0)
			break;
		op = MDB_NEXT;
		if (k.mv_size != STORE_KEYBYTES) {
			rc = STORE_ECORRUPT;
			break;
		}
		mk = k;
		if ((rc = mdb_get(txn, si.msgs, &mk, &v)) != 0) {
			if (rc == MDB_NOTFOUND)
				rc = STORE_ECORRUPT;	/* an order entry without its message */
			break;
		}
		if ((rc = removable(&v, now_ms, &seen, &b)) < 0)
			break;
		if (rc == 0)
			continue;
		/* A copy: the deletes below may move what k points at. */
		memcpy(okey, k.mv_data, STORE_KEYBYTES);
		rc = remove_one(&si, txn, cur, okey, &seen, b);
		fenghuo__body__free_unpacked(b, NULL);
		if (rc != 0)
			break;
		stats->evicted++;
		/* After mdb_cursor_del, MDB_NEXT yields the entry that followed, not the one after. */
		if ((rc = store_bytes(&si, txn, &bytes)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND)
		rc = 0;	/* walked every message */
	if (rc != 0)
		return rc;
	stats->bytes_after = bytes;
	stats->over = bytes > max_bytes;
	return 0;
}

int
store_evict(struct store *st, uint64_t now_ms, uint64_t max_bytes, size_t max_evict,
    struct store_evict_stats *stats)
{
	struct store_evict_stats tmp;
	struct store_int si;
	MDB_txn *txn;
	int rc;

	if (stats == NULL)
		stats = &tmp;
	memset(stats, 0, sizeof(*stats));
	if (st == NULL)
		return STORE_EINVAL;
	store_int_get(st, &si);
	if (si.flags & STORE_RDONLY)
		return EACCES;
	if (si.in_callback > 0)
		abort();	/* as store_put_batch(): a programming error */
	/* Under the quota (the usual case) a read transaction is enough to know it. */
	if ((rc = store_int_txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return rc;
	rc = store_bytes(&si, txn, &stats->bytes_before);
	mdb_txn_abort(txn);
	if (rc != 0)
		return rc;
	stats->bytes_after = stats->bytes_before;
	if (stats->bytes_before <= max_bytes)
		return 0;
	for (;;) {
		if ((rc = store_int_txn_begin(st, 0, &txn)) != 0)
			return rc;
		rc = evict_txn(st, txn, now_ms, max_bytes, max_evict, stats);
		if (rc == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
		if (rc != MDB_MAP_FULL)
			return rc;
		/* Deleting copies pages too: grow as a put would, and redo. */
		if ((rc = store_int_map_grow(st)) != 0)
			return rc;
	}
}
