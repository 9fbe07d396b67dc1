/*
 * store.c: the LMDB store of a fenghuo node.
 *
 * One environment in a directory, eight named databases (see store.h). Writes happen only in
 * store_put_batch(), one write transaction per batch of messages that ingest/ has already
 * deduplicated, verified and judged: each is stored with its index entries and seen record
 * (an id stored meanwhile is skipped as a duplicate), and the batch commits once with LMDB's
 * default durability, so a committed batch survives a crash. A full map is grown by
 * doubling and the batch is redone from the start.
 *
 * The kind index (schema 2) lets a reader find the few messages of one kind (CERT, REVOKE,
 * ANNOUNCE, WARNING: what the daemon loads at start-up) without reading every record: kinds is
 * an MDB_DUPSORT | MDB_DUPFIXED tree with one key per kind and the time keys of its messages
 * as fixed-size duplicates, packed without per-entry headers (40 to 50 bytes a message). A
 * schema 1 store has no such tree; a writer opening one builds it from msgs in one
 * transaction and records the current schema in the same commit (store_open_ex), a reader
 * falls back to walking the time index.
 *
 * The refs index (schema 3) serves the same purpose for the messages that refer to one: its
 * keys sort a message's referrers by kind and author, so a node finds its own receipt of a
 * warning with one seek among hundreds of others'. And every index entry that leads to a
 * record carries the record's time, so the record is read from msgs without a lookup in ids:
 * ids is keyed by random ids, and each lookup there touches a page anywhere in the file,
 * which the kernel maps together with its cached neighbours (docs/BENCHMARKS.md, start-up).
 *
 * The loops tree (schema 4) holds one small entry per report under its time key: the marks
 * of the loop receipts stored for it, its status and its region, written in the transaction
 * that stores the report or the receipt. The duty list counts the open reports past what it
 * shows from these entries alone; 100,000 open reports no longer mean 100,000 records
 * decoded and signatures checked for a count.
 *
 * Layout and why: ids are random, so each insert into an id-keyed B-tree dirties a leaf page
 * of its own once the tree is larger than a batch, and every dirty page is written and
 * synced at commit; on a virtual disk that costs a third of a signature check. So the
 * only id-keyed tree, ids, holds 8-byte values (many entries per page, few branch pages),
 * while the bulky records (seen record || envelope) live in msgs under the order key
 * created_ms || id, where messages arriving roughly in time order (live traffic, and
 * reconciliation, which walks the order index upwards) land on the same few pages.
 * Measured with `fenghuo-bench ingest` (docs/BENCHMARKS.md).
 *
 * Everything read back from LMDB is checked as if a peer had sent it: the envelope must hash
 * to its key and a seen record must have the exact size and version this code writes.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <lmdb.h>
#include <sodium.h>

#include "store.h"
#include "store_int.h"

#define STORE_MAPSIZE_DEFAULT	((size_t)256 << 20)
#define STORE_MAPSIZE_MIN	((size_t)64 << 10)
/*
 * Named databases: the seven of schema 2 plus room for later ones (trust, peers, held) without
 * a schema change of the environment itself.
 */
#define STORE_MAXDBS		16
#define STORE_MODE		0660

/* Seen record, version 1: fields in explicit big-endian order, never a struct image. */
#define SEEN_VERSION		1
#define SEEN_OFF_VERSION	0
#define SEEN_OFF_HASFROM	1
#define SEEN_OFF_FIRST		2
#define SEEN_OFF_TIME		10
#define SEEN_OFF_CREATED	18
#define SEEN_OFF_HOPS		26
#define SEEN_OFF_FLAGS		30
#define SEEN_OFF_KIND		34
#define SEEN_OFF_FROM		38
#define SEEN_BYTES		(SEEN_OFF_FROM + FC_PUBLICKEYBYTES)

/*
 * refs key since schema 3: referred id || kind (4 bytes BE) || author || referring id, so
 * that the messages of one kind, or of one kind and author, that refer to a message are one
 * range found by a seek; value: the referring message's created time (8 bytes BE), which
 * names its msgs record without a lookup in ids.
 */
#define REFS_OFF_KIND		FC_IDBYTES
#define REFS_OFF_AUTHOR		(REFS_OFF_KIND + 4)
#define REFS_OFF_ID		(REFS_OFF_AUTHOR + FC_PUBLICKEYBYTES)
#define REFS_KEYBYTES		(REFS_OFF_ID + FC_IDBYTES)
#if REFS_KEYBYTES != STORE_INT_REFS_KEYBYTES
#error "store_int.h disagrees on the refs key"
#endif
#define REFS_VALBYTES		8
/*
 * Schemas 1 and 2: key referred id || referring id; value empty (1) or the referring
 * message's kind (4 bytes BE) and author (2). Read as they are by a reader, converted by the
 * upgrade.
 */
#define REFS_OLD_KEYBYTES	(2 * FC_IDBYTES)
#define REFS_OLD_VALBYTES	(4 + FC_PUBLICKEYBYTES)
#define KIND_KEYBYTES		4	/* kinds key: Body.kind, 4 bytes big-endian */
#define KINDS_DBFLAGS		(MDB_DUPSORT | MDB_DUPFIXED)
/* The schema versions before this one, upgraded on a writable open, read as they are. */
#define STORE_SCHEMA_NOKINDS	1	/* no kind index, old refs layout, empty values */
#define STORE_SCHEMA_OLDREFS	2	/* old refs layout: referring kind and author as value */
#define STORE_SCHEMA_NOLOOPS	3	/* no loops tree */
/*
 * loops value: marks (STORE_LOOP_*), the report's status (4 bytes BE), its region (the
 * rest, without a NUL). Key: the report's time key, as in the time index.
 */
#define LOOP_OFF_MARKS		0
#define LOOP_OFF_STATUS		1
#define LOOP_OFF_REGION		5
#define LOOP_MARKS_ALL		(STORE_LOOP_RECEIPT | STORE_LOOP_CLOSED)

#define STORE_STR2(x)		#x
#define STORE_STR(x)		STORE_STR2(x)

static const char meta_schema_key[] = "schema";

struct store {
	MDB_env		*env;
	MDB_dbi		 ids;
	MDB_dbi		 msgs;
	MDB_dbi		 order;
	MDB_dbi		 time;
	MDB_dbi		 refs;
	MDB_dbi		 meta;
	MDB_dbi		 kinds;
	MDB_dbi		 loops;
	int		 has_kinds;	/* schema 2 on: kinds is complete and kept up to date */
	int		 has_loops;	/* schema 4 on: loops is complete and kept up to date */
	uint32_t	 version;	/* the schema version of the open store */
	uint32_t	 upgraded_from;	/* store_upgraded_from() */
	uint64_t	 upgrade_msgs;	/* messages indexed by that upgrade */
	uint64_t	 reads;		/* store_records_read() */
	uint64_t	 id_lookups;	/* store_cost() */
	uint64_t	 ref_entries;	/* store_cost() */
	unsigned	 flags;
	int		 in_callback;	/* iteration callbacks running (nested reads allowed) */
};

/* What a refs entry says of the message that refers (ref_parse). */
struct ref_entry {
	const uint8_t	*id;		/* into the entry's key */
	int		 kind;
	uint8_t		 author[FC_PUBLICKEYBYTES];
	uint64_t	 created_ms;	/* 0: not in the entry (schemas 1 and 2) */
};

static int	ref_parse(struct store *, MDB_txn *, const MDB_val *, const MDB_val *,
		    struct ref_entry *);
static int	load(struct store *, MDB_txn *, const uint8_t *, MDB_val *,
		    struct store_seen *);
static int	load_at(struct store *, MDB_txn *, const uint8_t *, uint64_t, MDB_val *,
		    struct store_seen *);
static int	put_seq(MDB_txn *, MDB_dbi, MDB_val *, MDB_val *, unsigned);

void
store_order_key(uint64_t created_ms, const uint8_t id[FC_IDBYTES], uint8_t key[STORE_KEYBYTES])
{
	wire_put_be64(key, created_ms);
	memcpy(key + 8, id, FC_IDBYTES);
}

/* ---- seen records ------------------------------------------------------------------- */

static void
seen_encode(const struct store_seen *s, uint8_t rec[SEEN_BYTES])
{
	rec[SEEN_OFF_VERSION] = SEEN_VERSION;
	rec[SEEN_OFF_HASFROM] = s->has_from ? 1 : 0;
	wire_put_be64(rec + SEEN_OFF_FIRST, s->first_seen_ms);
	wire_put_be64(rec + SEEN_OFF_TIME, s->time_ms);
	wire_put_be64(rec + SEEN_OFF_CREATED, s->created_ms);
	wire_put_be32(rec + SEEN_OFF_HOPS, s->hops);
	wire_put_be32(rec + SEEN_OFF_FLAGS, s->flags);
	wire_put_be32(rec + SEEN_OFF_KIND, (uint32_t)s->kind);
	if (s->has_from)
		memcpy(rec + SEEN_OFF_FROM, s->from, FC_PUBLICKEYBYTES);
	else
		memset(rec + SEEN_OFF_FROM, 0, FC_PUBLICKEYBYTES);
}

/*
 * Decode the seen record at the head of a msgs value of len bytes. 0, or STORE_ECORRUPT for
 * a record this code did not write.
 */
static int
seen_decode(const uint8_t *rec, size_t len, struct store_seen *s)
{
	uint32_t	 kind;

	if (len < SEEN_BYTES || rec[SEEN_OFF_VERSION] != SEEN_VERSION ||
	    rec[SEEN_OFF_HASFROM] > 1)
		return STORE_ECORRUPT;
	kind = wire_get_be32(rec + SEEN_OFF_KIND);
	if (kind > INT_MAX)
		return STORE_ECORRUPT;
	s->has_from = rec[SEEN_OFF_HASFROM];
	s->first_seen_ms = wire_get_be64(rec + SEEN_OFF_FIRST);
	s->time_ms = wire_get_be64(rec + SEEN_OFF_TIME);
	s->created_ms = wire_get_be64(rec + SEEN_OFF_CREATED);
	s->hops = wire_get_be32(rec + SEEN_OFF_HOPS);
	s->flags = wire_get_be32(rec + SEEN_OFF_FLAGS);
	s->kind = (int)kind;
	memcpy(s->from, rec + SEEN_OFF_FROM, FC_PUBLICKEYBYTES);
	return 0;
}

/* ---- errors ------------------------------------------------------------------------- */

const char *
store_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case STORE_NOTFOUND:
		return "no such message";
	case STORE_AMBIGUOUS:
		return "id prefix matches more than one message";
	case STORE_ESCHEMA:
		/* The version found is not known here: store_schema_version() tells it. */
		return "store was written by another schema version; this fenghuo reads schema "
		       "version " STORE_STR(STORE_SCHEMA_VERSION) " (and upgrades versions "
		       STORE_STR(STORE_SCHEMA_NOKINDS) ", " STORE_STR(STORE_SCHEMA_OLDREFS)
		       " and " STORE_STR(STORE_SCHEMA_NOLOOPS) ") only";
	case STORE_ECORRUPT:
		return "store record does not validate (corrupt store?)";
	case STORE_EINVAL:
		return "invalid argument";
	case STORE_ENOTSTORE:
		return "not a fenghuo store (or a damaged one)";
	case STORE_EHELDFULL:
		return "the held area is full (" STORE_STR(STORE_HELD_MAX) " messages waiting for "
		       "a certificate)";
	default:
		/* LMDB's own codes and errno values. */
		return mdb_strerror(err);
	}
}

/* ---- transactions ------------------------------------------------------------------- */

/*
 * Begin a transaction. Another process (the CLI writing directly, or the daemon) may have
 * grown the map since we opened it; LMDB then refuses with MDB_MAP_RESIZED until we adopt
 * the new size, which is legal only while this process has no transaction open.
 */
static int
txn_begin(struct store *st, unsigned flags, MDB_txn **txn)
{
	int	 rc, tries;

	for (tries = 0; tries < 3; tries++) {
		rc = mdb_txn_begin(st->env, NULL, flags, txn);
		if (rc != MDB_MAP_RESIZED)
			return rc;
		if ((rc = mdb_env_set_mapsize(st->env, 0)) != 0)
			return rc;
	}
	return MDB_MAP_RESIZED;
}

static int
map_grow(struct store *st)
{
	MDB_envinfo	 info;
	size_t		 size;
	int		 rc;

	if ((rc = mdb_env_info(st->env, &info)) != 0)
		return rc;
	if (info.me_mapsize > SIZE_MAX / 2)
		return MDB_MAP_FULL;
	size = info.me_mapsize * 2;
	return mdb_env_set_mapsize(st->env, size);
}

/* ---- open / close ------------------------------------------------------------------- */

static int
open_dbs(struct store *st, MDB_txn *txn, unsigned dbflags)
{
	int	 rc;

	if ((rc = mdb_dbi_open(txn, "ids", dbflags, &st->ids)) != 0 ||
	    (rc = mdb_dbi_open(txn, "msgs", dbflags, &st->msgs)) != 0 ||
	    (rc = mdb_dbi_open(txn, "order", dbflags, &st->order)) != 0 ||
	    (rc = mdb_dbi_open(txn, "time", dbflags, &st->time)) != 0 ||
	    (rc = mdb_dbi_open(txn, "refs", dbflags, &st->refs)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", dbflags, &st->meta)) != 0)
		return rc;
	return 0;
}

static int
put_schema(struct store *st, MDB_txn *txn, uint32_t version)
{
	MDB_val		 k, v;
	uint8_t		 ver[4];

	k.mv_data = (void *)(uintptr_t)meta_schema_key;
	k.mv_size = sizeof(meta_schema_key) - 1;
	wire_put_be32(ver, version);
	v.mv_data = ver;
	v.mv_size = sizeof(ver);
	return mdb_put(txn, st->meta, &k, &v, 0);
}

/*
 * Check (and, in a new writable store, record) the schema version; *version is the one
 * found (STORE_SCHEMA_VERSION for a new store). A store without a schema record and without
 * messages is new; with messages it is not ours. Schemas 1 (no kind index), 2 (the old
 * refs layout) and 3 (no loops tree) are accepted: the caller upgrades them or reads them as
 * they are.
 */
static int
check_schema(struct store *st, MDB_txn *txn, int rdonly, uint32_t *version)
{
	MDB_val		 k, v;
	MDB_stat	 ms;
	int		 rc;

	k.mv_data = (void *)(uintptr_t)meta_schema_key;
	k.mv_size = sizeof(meta_schema_key) - 1;
	rc = mdb_get(txn, st->meta, &k, &v);
	if (rc == 0) {
		if (v.mv_size != 4)
			return STORE_ECORRUPT;
		*version = wire_get_be32(v.mv_data);
		if (*version != STORE_SCHEMA_VERSION && *version != STORE_SCHEMA_NOKINDS &&
		    *version != STORE_SCHEMA_OLDREFS && *version != STORE_SCHEMA_NOLOOPS)
			return STORE_ESCHEMA;
		return 0;
	}
	if (rc != MDB_NOTFOUND)
		return rc;
	if ((rc = mdb_stat(txn, st->ids, &ms)) != 0)
		return rc;
	if (ms.ms_entries != 0)
		return STORE_ESCHEMA;
	if (rdonly)
		return ENOENT;
	*version = STORE_SCHEMA_VERSION;
	return put_schema(st, txn, STORE_SCHEMA_VERSION);
}

/* The kinds entry of a message: key (4 bytes) and its time key as the duplicate. */
static void
kind_entry(uint8_t kkey[KIND_KEYBYTES], int kind, MDB_val *k, const uint8_t *tkey, MDB_val *v)
{
	wire_put_be32(kkey, (uint32_t)kind);
	k->mv_data = kkey;
	k->mv_size = KIND_KEYBYTES;
	v->mv_data = (void *)(uintptr_t)tkey;
	v->mv_size = STORE_KEYBYTES;
}

/*
 * Add a message to the kind index. Within a kind, messages mostly arrive in time order:
 * MDB_APPENDDUP first (full pages), an ordinary put when the time key is not the largest.
 */
static int
put_kind(struct store *st, MDB_txn *txn, int kind, const uint8_t tkey[STORE_KEYBYTES])
{
	uint8_t		 kkey[KIND_KEYBYTES];
	MDB_val		 k, v;
	int		 rc;

	kind_entry(kkey, kind, &k, tkey, &v);
	rc = mdb_put(txn, st->kinds, &k, &v, MDB_APPENDDUP);
	if (rc == MDB_KEYEXIST)
		rc = mdb_put(txn, st->kinds, &k, &v, 0);
	return rc;
}

void
store_int_ref_key(const uint8_t *ref, int kind, const uint8_t *author, const uint8_t *id,
    uint8_t key[STORE_INT_REFS_KEYBYTES])
{
	memcpy(key, ref, FC_IDBYTES);
	wire_put_be32(key + REFS_OFF_KIND, (uint32_t)kind);
	memcpy(key + REFS_OFF_AUTHOR, author, FC_PUBLICKEYBYTES);
	memcpy(key + REFS_OFF_ID, id, FC_IDBYTES);
}

/* The refs entry (schema 3) of a message referring to ref: key and value. */
static void
ref_entry_make(const uint8_t *ref, int kind, const uint8_t *author, const uint8_t *id,
    uint64_t created_ms, uint8_t key[REFS_KEYBYTES], uint8_t val[REFS_VALBYTES])
{
	store_int_ref_key(ref, kind, author, id, key);
	wire_put_be64(val, created_ms);
}

/* ---- the loops tree (schema 4) ------------------------------------------------------- */

/*
 * The body of a stored envelope (caller frees with fenghuo__body__free_unpacked), or NULL:
 * it validated when it was stored, so NULL means a damaged record.
 */
static Fenghuo__Body *
env_body(const MDB_val *env)
{
	const uint8_t	*body, *sig;
	size_t		 bodylen, siglen;

	if (fc_envelope_split(env->mv_data, env->mv_size, &body, &bodylen, &sig, &siglen) != 0)
		return NULL;
	return wire_body_unpack(body, bodylen);
}

/*
 * The loops marks a message sets on the reports it refers to: a receipt of a closed-loop
 * stage (registered to closed; a delivery receipt moves no loop), closed too if it closes.
 */
static unsigned
loop_marks_of(const Fenghuo__Body *b)
{
	int	 stage;

	if (b->kind != FENGHUO__KIND__RECEIPT || b->receipt == NULL)
		return 0;
	stage = (int)b->receipt->stage;
	if (stage < FENGHUO__STAGE__REGISTERED || stage > FENGHUO__STAGE__CLOSED)
		return 0;
	return STORE_LOOP_RECEIPT | (stage == FENGHUO__STAGE__CLOSED ? STORE_LOOP_CLOSED : 0);
}

/*
 * The marks of report id from the receipts stored already (they may come before it): its
 * refs entries of kind RECEIPT, one range, each receipt's record read for its stage.
 */
static int
loop_marks_stored(struct store *st, MDB_txn *txn, const uint8_t *id, unsigned *marks)
{
	MDB_cursor		*cur;
	MDB_val			 k, v, env;
	struct ref_entry	 re;
	struct store_seen	 seen;
	Fenghuo__Body		*b;
	uint8_t			 seek[REFS_OFF_AUTHOR];
	int			 rc;

	*marks = 0;
	memcpy(seek, id, FC_IDBYTES);
	wire_put_be32(seek + REFS_OFF_KIND, FENGHUO__KIND__RECEIPT);
	if ((rc = mdb_cursor_open(txn, st->refs, &cur)) != 0)
		return rc;
	k.mv_data = seek;
	k.mv_size = sizeof(seek);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 &&
	    *marks != LOOP_MARKS_ALL; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < sizeof(seek) || memcmp(k.mv_data, seek, sizeof(seek)) != 0)
			break;
		if ((rc = ref_parse(st, txn, &k, &v, &re)) != 0 ||
		    (rc = load_at(st, txn, re.id, re.created_ms, &env, &seen)) != 0)
			break;
		if ((b = env_body(&env)) == NULL) {
			rc = STORE_ECORRUPT;
			break;
		}
		*marks |= loop_marks_of(b);
		fenghuo__body__free_unpacked(b, NULL);
	}
	mdb_cursor_close(cur);
	if (rc == STORE_NOTFOUND)
		rc = STORE_ECORRUPT;	/* a ref without its message */
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Put the loops entry of the report b, of time key tkey. */
static int
loop_put(struct store *st, MDB_txn *txn, const uint8_t tkey[STORE_KEYBYTES],
    const Fenghuo__Body *b)
{
	MDB_val		 k, v;
	unsigned	 marks;
	size_t		 rlen = b->region != NULL ? strlen(b->region) : 0;
	int		 rc;

	if ((rc = loop_marks_stored(st, txn, tkey + 8, &marks)) != 0)
		return rc;
	k.mv_data = (void *)(uintptr_t)tkey;
	k.mv_size = STORE_KEYBYTES;
	v.mv_data = NULL;
	v.mv_size = LOOP_OFF_REGION + rlen;
	if ((rc = put_seq(txn, st->loops, &k, &v, MDB_RESERVE)) != 0)
		return rc;
	((uint8_t *)v.mv_data)[LOOP_OFF_MARKS] = (uint8_t)marks;
	wire_put_be32((uint8_t *)v.mv_data + LOOP_OFF_STATUS, (uint32_t)wire_status_of(b));
	if (rlen > 0)
		memcpy((uint8_t *)v.mv_data + LOOP_OFF_REGION, b->region, rlen);
	return 0;
}

/*
 * Set marks on the loops entry of ref, when ref is a stored report (a receipt may come before
 * its report, which then finds it: loop_marks_stored).
 */
static int
loop_mark(struct store *st, MDB_txn *txn, const uint8_t *ref, unsigned marks)
{
	struct store_seen	 seen;
	Fenghuo__Body		*b;
	MDB_val			 k, v, env;
	uint8_t			 tkey[STORE_KEYBYTES], *copy;
	int			 rc;

	if ((rc = load(st, txn, ref, &env, &seen)) == STORE_NOTFOUND)
		return 0;
	if (rc != 0 || seen.kind != FENGHUO__KIND__REPORT)
		return rc;
	store_order_key(seen.time_ms, ref, tkey);
	k.mv_data = tkey;
	k.mv_size = sizeof(tkey);
	if ((rc = mdb_get(txn, st->loops, &k, &v)) == MDB_NOTFOUND) {
		/*
		 * Every stored report has its entry; one without is made again here rather than
		 * the receipt refused (which would refuse its whole batch, again and again).
		 */
		if ((b = env_body(&env)) == NULL)
			return STORE_ECORRUPT;
		rc = loop_put(st, txn, tkey, b);
		fenghuo__body__free_unpacked(b, NULL);
		if (rc == 0)
			rc = mdb_get(txn, st->loops, &k, &v);
	}
	if (rc != 0)
		return rc;
	if (v.mv_size < LOOP_OFF_REGION)
		return STORE_ECORRUPT;
	if ((((const uint8_t *)v.mv_data)[LOOP_OFF_MARKS] & marks) == marks)
		return 0;
	/* A copy: the value may lie in a page the put replaces. */
	if ((copy = malloc(v.mv_size)) == NULL)
		return ENOMEM;
	memcpy(copy, v.mv_data, v.mv_size);
	copy[LOOP_OFF_MARKS] |= (uint8_t)marks;
	v.mv_data = copy;
	rc = mdb_put(txn, st->loops, &k, &v, 0);
	free(copy);
	return rc;
}

/*
 * Schema 3 to 4 (and the last step from 1 and 2): the loops tree from the reports of the
 * kind index, each record read once, and the refs index. *count: the reports indexed.
 */
static int
loops_build(struct store *st, MDB_txn *txn, uint64_t *count)
{
	struct store_seen	 seen;
	Fenghuo__Body		*b;
	MDB_cursor		*cur;
	MDB_val			 k, v, env;
	uint8_t			 kkey[KIND_KEYBYTES], tkey[STORE_KEYBYTES];
	int			 rc;

	*count = 0;
	if ((rc = mdb_drop(txn, st->loops, 0)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, st->kinds, &cur)) != 0)
		return rc;
	wire_put_be32(kkey, FENGHUO__KIND__REPORT);
	k.mv_data = kkey;
	k.mv_size = sizeof(kkey);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
		if (v.mv_size != STORE_KEYBYTES) {
			rc = STORE_ECORRUPT;
			break;
		}
		/* A copy: v points into a page of kinds, which the puts below may move. */
		memcpy(tkey, v.mv_data, sizeof(tkey));
		if ((rc = load_at(st, txn, tkey + 8, wire_get_be64(tkey), &env, &seen)) != 0) {
			if (rc == STORE_NOTFOUND)
				rc = STORE_ECORRUPT;	/* an index entry without its message */
			break;
		}
		if ((b = env_body(&env)) == NULL) {
			rc = STORE_ECORRUPT;
			break;
		}
		rc = loop_put(st, txn, tkey, b);
		fenghuo__body__free_unpacked(b, NULL);
		if (rc != 0)
			break;
		(*count)++;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Old refs entries converted per step of the upgrade (two keys and a value each). */
#define UPGRADE_REFS_STEP	256

/*
 * Schemas 1 and 2 to 3, the refs entries: each old one (referred id || id) is replaced by
 * the new key, with the kind and author from the old value (schema 2) or from the record
 * (schema 1), and the created time from ids. An entry whose referring message is gone
 * refers to nothing and is removed. Old and new keys differ in length, so a new one is never
 * taken for an old one; the old entries are collected a step at a time with no cursor open,
 * then replaced, and the next step seeks past the last one replaced.
 */
static int
upgrade_refs(struct store *st, MDB_txn *txn, uint64_t *count)
{
	struct old_ref {
		uint8_t	 key[REFS_OLD_KEYBYTES];
		uint8_t	 val[REFS_OLD_VALBYTES];
		size_t	 vlen;
	}		*old;
	MDB_cursor	*cur;
	MDB_val		 k, v;
	struct ref_entry re;
	uint8_t		 resume[REFS_OLD_KEYBYTES], key[REFS_KEYBYTES], val[REFS_VALBYTES];
	size_t		 n, i;
	int		 rc = 0, more = 1, first = 1;

	if ((old = calloc(UPGRADE_REFS_STEP, sizeof(*old))) == NULL)
		return ENOMEM;
	while (more) {
		if ((rc = mdb_cursor_open(txn, st->refs, &cur)) != 0)
			break;
		k.mv_data = resume;
		k.mv_size = sizeof(resume);
		rc = mdb_cursor_get(cur, &k, &v, first ? MDB_FIRST : MDB_SET_RANGE);
		for (n = 0; rc == 0 && n < UPGRADE_REFS_STEP;
		    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			if (k.mv_size == REFS_KEYBYTES)
				continue;	/* converted in an earlier step */
			if (k.mv_size != REFS_OLD_KEYBYTES || (v.mv_size != 0 &&
			    v.mv_size != REFS_OLD_VALBYTES)) {
				rc = STORE_ECORRUPT;
				break;
			}
			memcpy(old[n].key, k.mv_data, REFS_OLD_KEYBYTES);
			memcpy(old[n].val, v.mv_data, v.mv_size);
			old[n++].vlen = v.mv_size;
		}
		mdb_cursor_close(cur);
		if (rc != 0 && rc != MDB_NOTFOUND)
			break;
		more = rc == 0;
		first = 0;
		rc = 0;
		for (i = 0; rc == 0 && i < n; i++) {
			k.mv_data = old[i].key;
			k.mv_size = REFS_OLD_KEYBYTES;
			v.mv_data = old[i].val;
			v.mv_size = old[i].vlen;
			rc = ref_parse(st, txn, &k, &v, &re);
			if (rc == 0 && re.created_ms == 0) {
				/* The created time, from ids (load counts it). */
				struct store_seen seen;
				MDB_val env;

				if ((rc = load(st, txn, re.id, &env, &seen)) == 0)
					re.created_ms = seen.created_ms;
			}
			if (rc != 0 && rc != STORE_NOTFOUND)
				break;
			if ((rc = mdb_del(txn, st->refs, &k, NULL)) != 0)
				break;
			if (re.created_ms == 0)
				continue;	/* the referring message is gone */
			ref_entry_make(old[i].key, re.kind, re.author, old[i].key + FC_IDBYTES,
			    re.created_ms, key, val);
			k.mv_data = key;
			k.mv_size = sizeof(key);
			v.mv_data = val;
			v.mv_size = sizeof(val);
			if ((rc = mdb_put(txn, st->refs, &k, &v, 0)) == 0)
				(*count)++;
		}
		if (rc != 0)
			break;
		if (n > 0)
			memcpy(resume, old[n - 1].key, sizeof(resume));
	}
	free(old);
	return rc;
}

/*
 * Schema 1, 2 or 3 to 4, inside txn (a crash before the commit leaves the old version, and
 * the next open starts again): from schema 1, rebuild the kind index from every record in
 * msgs; from 1 and 2, convert the refs entries; from all three, build the loops tree; then
 * record schema 4.
 */
static int
upgrade_txn(struct store *st, MDB_txn *txn, uint64_t *count)
{
	struct store_seen	 seen;
	MDB_cursor		*cur = NULL;
	MDB_val			 k, v;
	uint8_t			 tkey[STORE_KEYBYTES];
	uint64_t		 nrefs = 0, nloops = 0;
	int			 rc;

	*count = 0;
	if (st->version == STORE_SCHEMA_NOLOOPS) {
		/* Schema 3: the loops tree only; *count says how many reports it holds. */
		if ((rc = loops_build(st, txn, count)) != 0)
			return rc;
		return put_schema(st, txn, STORE_SCHEMA_VERSION);
	}
	if (st->version != STORE_SCHEMA_NOKINDS) {
		/* Schema 2: the refs entries; *count says how many were rebuilt. */
		if ((rc = upgrade_refs(st, txn, count)) != 0 ||
		    (rc = loops_build(st, txn, &nloops)) != 0)
			return rc;
		return put_schema(st, txn, STORE_SCHEMA_VERSION);
	}
	if ((rc = mdb_drop(txn, st->kinds, 0)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, st->msgs, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != STORE_KEYBYTES ||
		    seen_decode(v.mv_data, v.mv_size, &seen) != 0) {
			rc = STORE_ECORRUPT;
			break;
		}
		store_order_key(seen.time_ms, (const uint8_t *)k.mv_data + 8, tkey);
		if ((rc = put_kind(st, txn, seen.kind, tkey)) != 0)
			break;
		(*count)++;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return rc;
	if ((rc = upgrade_refs(st, txn, &nrefs)) != 0 ||
	    (rc = loops_build(st, txn, &nloops)) != 0)
		return rc;
	return put_schema(st, txn, STORE_SCHEMA_VERSION);
}

/* Upgrade an open schema 1, 2 or 3 store, in its own write transaction, growing the map as needed. */
static int
upgrade(struct store *st)
{
	MDB_txn		*txn;
	int		 rc;

	for (;;) {
		if ((rc = txn_begin(st, 0, &txn)) != 0)
			return rc;
		rc = upgrade_txn(st, txn, &st->upgrade_msgs);
		if (rc == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
		if (rc != MDB_MAP_FULL)
			break;
		if ((rc = map_grow(st)) != 0)
			return rc;
	}
	if (rc == 0) {
		st->has_kinds = 1;
		st->has_loops = 1;
		st->upgraded_from = st->version;
		st->version = STORE_SCHEMA_VERSION;
	}
	return rc;
}

/*
 * 0 if dir holds an LMDB data file, else an errno. LMDB would create lock.mdb before finding
 * no data.mdb; a reader (the CLI with no store yet) must leave the directory as it found it.
 */
int
store_exists(const char *dir)
{
	char	 path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/data.mdb", dir) >= sizeof(path))
		return ENAMETOOLONG;
	if (access(path, F_OK) != 0)
		return errno;
	return 0;
}

int
store_schema_version(const char *dir, uint32_t *version)
{
	MDB_env		*env = NULL;
	MDB_txn		*txn = NULL;
	MDB_dbi		 meta;
	MDB_val		 k, v;
	int		 rc;

	if (dir == NULL || version == NULL)
		return STORE_EINVAL;
	if ((rc = store_exists(dir)) != 0)
		return rc;
	if ((rc = mdb_env_create(&env)) != 0)
		return rc;
	if ((rc = mdb_env_set_maxdbs(env, STORE_MAXDBS)) != 0 ||
	    (rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, STORE_MODE)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0)
		goto out;
	if ((rc = mdb_dbi_open(txn, "meta", 0, &meta)) != 0)
		goto out;
	k.mv_data = (void *)(uintptr_t)meta_schema_key;
	k.mv_size = sizeof(meta_schema_key) - 1;
	if ((rc = mdb_get(txn, meta, &k, &v)) != 0)
		goto out;
	if (v.mv_size != 4) {
		rc = STORE_ECORRUPT;
		goto out;
	}
	*version = wire_get_be32(v.mv_data);
out:
	if (rc == MDB_NOTFOUND)
		rc = STORE_NOTFOUND;
	if (txn != NULL)
		mdb_txn_abort(txn);
	mdb_env_close(env);
	return rc;
}

/*
 * store_open_ex, and store_int_open_file with the extra LMDB flags of a lone file
 * (MDB_NOSUBDIR | MDB_NOLOCK, read-only): dir is then the path of the data file itself.
 */
static int
open_env(const char *dir, unsigned flags, unsigned extra, size_t mapsize, struct store **out)
{
	struct store	*st;
	MDB_txn		*txn = NULL;
	unsigned	 envflags, dbflags;
	uint32_t	 version = 0;
	int		 rdonly = (flags & STORE_RDONLY) != 0;
	int		 rc;

	if (mapsize == 0)
		mapsize = STORE_MAPSIZE_DEFAULT;
	if (mapsize < STORE_MAPSIZE_MIN)
		mapsize = STORE_MAPSIZE_MIN;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return ENOMEM;
	st->flags = flags;
	if ((rc = mdb_env_create(&st->env)) != 0) {
		st->env = NULL;
		goto err;
	}
	if ((rc = mdb_env_set_maxdbs(st->env, STORE_MAXDBS)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->env, mapsize)) != 0)
		goto err;
	/*
	 * MDB_NOTLS: reader slots belong to transactions, not threads, so an iteration callback
	 * may call store_get() (a second read transaction on the same thread).
	 */
	envflags = MDB_NOTLS | (rdonly ? MDB_RDONLY : 0) | extra;
	if ((rc = mdb_env_open(st->env, dir, envflags, STORE_MODE)) != 0)
		goto err;
	/*
	 * A reader that died inside a transaction (a CLI killed mid-listing) keeps its slot and
	 * pins old pages, so the file would only grow. Clear such slots when a writer opens.
	 */
	if (!rdonly && (rc = mdb_reader_check(st->env, NULL)) != 0)
		goto err;

	dbflags = rdonly ? 0 : MDB_CREATE;
	if ((rc = txn_begin(st, rdonly ? MDB_RDONLY : 0, &txn)) != 0)
		goto err;
	rc = open_dbs(st, txn, dbflags);
	if (rc == MDB_NOTFOUND && rdonly) {
		/* An environment without our databases: nothing was ever stored. */
		rc = ENOENT;
		goto err;
	}
	if (rc != 0 || (rc = check_schema(st, txn, rdonly, &version)) != 0)
		goto err;
	st->version = version;
	/* A schema 1 store read by a reader may have no kinds tree at all. */
	rc = mdb_dbi_open(txn, "kinds", dbflags | KINDS_DBFLAGS, &st->kinds);
	if (rc == 0)
		st->has_kinds = version != STORE_SCHEMA_NOKINDS;
	else if (rc == MDB_NOTFOUND && version != STORE_SCHEMA_NOKINDS) {
		rc = STORE_ECORRUPT;	/* schema 2 or 3 without its kind index */
		goto err;
	} else if (rc != MDB_NOTFOUND || !rdonly)
		goto err;
	/* Older schemas read by a reader have none; a writer upgrades them below. */
	rc = mdb_dbi_open(txn, "loops", dbflags, &st->loops);
	if (rc == 0)
		st->has_loops = version == STORE_SCHEMA_VERSION;
	else if (rc == MDB_NOTFOUND && version == STORE_SCHEMA_VERSION) {
		rc = STORE_ECORRUPT;	/* schema 4 without its loops tree */
		goto err;
	} else if (rc != MDB_NOTFOUND || !rdonly)
		goto err;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0)
		goto err;
	if (!rdonly && version != STORE_SCHEMA_VERSION && (rc = upgrade(st)) != 0)
		goto err;
	*out = st;
	return 0;
err:
	if (txn != NULL)
		mdb_txn_abort(txn);
	store_close(&st);
	return rc;
}

int
store_open_ex(const char *dir, unsigned flags, size_t mapsize, struct store **out)
{
	int	 rc;

	if (out == NULL)
		return STORE_EINVAL;
	*out = NULL;
	if (dir == NULL || (flags & ~STORE_RDONLY) != 0)
		return STORE_EINVAL;
	if ((flags & STORE_RDONLY) && (rc = store_exists(dir)) != 0)
		return rc;
	return open_env(dir, flags, 0, mapsize, out);
}

int
store_int_open_file(const char *path, struct store **out)
{
	int	 rc;

	if (out == NULL)
		return STORE_EINVAL;
	*out = NULL;
	if (path == NULL || access(path, F_OK) != 0)
		return path == NULL ? STORE_EINVAL : errno;
	rc = open_env(path, STORE_RDONLY, MDB_NOSUBDIR | MDB_NOLOCK, 0, out);
	/* Not LMDB, another LMDB version's, or LMDB without our databases. */
	if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH || rc == ENOENT)
		rc = STORE_ENOTSTORE;
	return rc;
}

int
store_open(const char *dir, unsigned flags, struct store **out)
{
	return store_open_ex(dir, flags, 0, out);
}

void
store_close(struct store **stp)
{
	struct store	*st;

	if (stp == NULL || (st = *stp) == NULL)
		return;
	if (st->env != NULL)
		mdb_env_close(st->env);
	free(st);
	*stp = NULL;
}

int
store_map_size(struct store *st, size_t *out)
{
	MDB_envinfo	 info;
	int		 rc;

	if (st == NULL || out == NULL)
		return STORE_EINVAL;
	if ((rc = mdb_env_info(st->env, &info)) != 0)
		return rc;
	*out = info.me_mapsize;
	return 0;
}

/* ---- writing ------------------------------------------------------------------------ */

/*
 * Put into a time-keyed tree, where a new key is usually the largest: try MDB_APPEND first,
 * which packs leaves full (measured: msgs takes 11% fewer pages than with ordinary puts of
 * the same time-ordered messages). A key that is not the largest gets MDB_KEYEXIST and an
 * ordinary put; keys here are always new, so that code means nothing else.
 */
static int
put_seq(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v, unsigned flags)
{
	int	 rc;

	rc = mdb_put(txn, dbi, k, v, flags | MDB_APPEND);
	if (rc == MDB_KEYEXIST)
		rc = mdb_put(txn, dbi, k, v, flags);
	return rc;
}

static int
put_empty(MDB_txn *txn, MDB_dbi dbi, const uint8_t *key, size_t keylen, int seq)
{
	MDB_val	 k, v;

	k.mv_data = (void *)(uintptr_t)key;
	k.mv_size = keylen;
	v.mv_data = NULL;
	v.mv_size = 0;
	return seq ? put_seq(txn, dbi, &k, &v, 0) : mdb_put(txn, dbi, &k, &v, 0);
}

/* Write one validated message: seen record and envelope, order/time/refs index entries. */
static int
put_one(struct store *st, MDB_txn *txn, struct store_put *it, const struct fc_msg *msg,
    uint64_t now_ms)
{
	const Fenghuo__Body	*body = msg->body;
	struct store_seen	 seen;
	uint8_t			 key[REFS_KEYBYTES], created[8], refval[REFS_VALBYTES];
	MDB_val			 k, v;
	size_t			 i;
	unsigned		 marks;
	int			 rc;

	memset(&seen, 0, sizeof(seen));
	seen.first_seen_ms = now_ms;
	seen.time_ms = fc_msg_time(msg, now_ms);
	seen.created_ms = body->created_ms;
	if (it->from != NULL) {
		memcpy(seen.from, it->from, FC_PUBLICKEYBYTES);
		seen.has_from = 1;
	}
	seen.hops = it->hops;
	seen.flags = msg->flags;
	seen.kind = (int)body->kind;

	k.mv_data = (void *)(uintptr_t)msg->id;
	k.mv_size = FC_IDBYTES;
	wire_put_be64(created, seen.created_ms);
	v.mv_data = created;
	v.mv_size = sizeof(created);
	/* The id first: stored meanwhile (another writer), nothing else is written. */
	if ((rc = mdb_put(txn, st->ids, &k, &v, MDB_NOOVERWRITE)) != 0)
		return rc;

	/* MDB_RESERVE: build the value in place in the page, no staging copy. */
	store_order_key(seen.created_ms, msg->id, key);
	k.mv_data = key;
	k.mv_size = STORE_KEYBYTES;
	v.mv_data = NULL;
	v.mv_size = SEEN_BYTES + it->len;
	if ((rc = put_seq(txn, st->msgs, &k, &v, MDB_RESERVE)) != 0)
		return rc;
	seen_encode(&seen, v.mv_data);
	memcpy((uint8_t *)v.mv_data + SEEN_BYTES, it->env, it->len);

	if ((rc = put_empty(txn, st->order, key, STORE_KEYBYTES, 1)) != 0)
		return rc;
	store_order_key(seen.time_ms, msg->id, key);
	if ((rc = put_empty(txn, st->time, key, STORE_KEYBYTES, 1)) != 0 ||
	    (rc = put_kind(st, txn, seen.kind, key)) != 0)
		return rc;
	/* A report's loops entry, with the marks of the receipts that came before it. */
	if (st->has_loops && seen.kind == FENGHUO__KIND__REPORT &&
	    (rc = loop_put(st, txn, key, body)) != 0)
		return rc;

	/* fc_validate() guarantees every ref is FC_IDBYTES long, and the author's length. */
	if (body->n_refs > 0 && body->author.len != FC_PUBLICKEYBYTES)
		return STORE_EINVAL;
	for (i = 0; i < body->n_refs; i++) {
		if (body->refs[i].len != FC_IDBYTES)
			return STORE_EINVAL;
		ref_entry_make(body->refs[i].data, seen.kind, body->author.data, msg->id,
		    seen.created_ms, key, refval);
		k.mv_data = key;
		k.mv_size = REFS_KEYBYTES;
		v.mv_data = refval;
		v.mv_size = sizeof(refval);
		if ((rc = mdb_put(txn, st->refs, &k, &v, 0)) != 0)
			return rc;
		/* A loop receipt marks the report it refers to, when that is stored. */
		if (st->has_loops && (marks = loop_marks_of(body)) != 0 &&
		    (rc = loop_mark(st, txn, body->refs[i].data, marks)) != 0)
			return rc;
	}
	return 0;
}

/* One attempt at the whole batch inside txn. */
static int
put_batch_txn(struct store *st, MDB_txn *txn, struct store_put *items, size_t n,
    uint64_t now_ms)
{
	struct store_put	*it;
	size_t			 i;
	int			 rc;

	for (i = 0; i < n; i++) {
		it = &items[i];
		/*
		 * An id stored already (the write transaction sees its own puts, so this also
		 * catches in-batch copies) is refused by the first put, before anything else.
		 */
		rc = put_one(st, txn, it, it->msg, now_ms);
		if (rc == MDB_KEYEXIST) {
			it->status = STORE_DUP;
			continue;
		}
		if (rc != 0)
			return rc;
		it->status = STORE_NEW;
	}
	return 0;
}

int
store_lookup(struct store *st, const uint8_t (*ids)[FC_IDBYTES], size_t n, uint8_t *found)
{
	MDB_txn		*txn;
	MDB_val		 k, v;
	size_t		 i;
	int		 rc = 0;

	if (st == NULL || (n > 0 && (ids == NULL || found == NULL)))
		return STORE_EINVAL;
	if (n == 0)
		return 0;
	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		k.mv_data = (void *)(uintptr_t)ids[i];
		k.mv_size = FC_IDBYTES;
		rc = mdb_get(txn, st->ids, &k, &v);
		if (rc != 0 && rc != MDB_NOTFOUND)
			break;
		found[i] = rc == 0;
		rc = 0;
	}
	mdb_txn_abort(txn);
	return rc;
}

int
store_put_batch(struct store *st, struct store_put *items, size_t n, uint64_t now_ms)
{
	MDB_txn		*txn;
	size_t		 i;
	int		 rc;

	if (st == NULL || (items == NULL && n > 0))
		return STORE_EINVAL;
	if (st->flags & STORE_RDONLY)
		return EACCES;
	/*
	 * A programming error, not a condition: growing the map under the read transaction
	 * of the iteration that called us would pull the pages from under it.
	 */
	if (st->in_callback > 0)
		abort();
	for (i = 0; i < n; i++)
		if (items[i].msg == NULL || items[i].msg->body == NULL ||
		    (items[i].env == NULL && items[i].len > 0))
			return STORE_EINVAL;

	for (;;) {
		if ((rc = txn_begin(st, 0, &txn)) != 0)
			return rc;
		rc = put_batch_txn(st, txn, items, n, now_ms);
		if (rc == 0) {
			/*
			 * Group commit (DESIGN decision 7). A batch of duplicates only has
			 * no dirty pages, and LMDB then commits without syncing.
			 */
			rc = mdb_txn_commit(txn);
		} else
			mdb_txn_abort(txn);
		if (rc != MDB_MAP_FULL)
			return rc;
		/* No transaction is open now: the map may be resized. Redo the batch. */
		if ((rc = map_grow(st)) != 0)
			return rc;
	}
}

/* ---- reading ------------------------------------------------------------------------ */

/*
 * Look up id (ids, then msgs) inside txn and check what is there: the seen record must
 * decode and agree with the key, and the envelope must hash to the id. Returns 0,
 * STORE_NOTFOUND, STORE_ECORRUPT or an LMDB error; env points into the transaction.
 */
static int
load_at(struct store *st, MDB_txn *txn, const uint8_t *id, uint64_t hint_ms, MDB_val *env,
    struct store_seen *seen)
{
	MDB_val		 k, v;
	uint8_t		 key[STORE_KEYBYTES], check[FC_IDBYTES];
	uint64_t	 created;
	int		 rc = MDB_NOTFOUND;

	/*
	 * The msgs key is created_ms || id. An index entry that holds a time (the kind and time
	 * indexes: the display time, which is the created time unless the message was clock-
	 * skewed; the refs index: the created time) names the record directly, and the lookup
	 * in ids, an id-keyed tree whose leaves lie anywhere in the file, is saved: one page
	 * fewer touched per record. No entry under that key means the times differ: ids says.
	 */
	if (hint_ms != 0) {
		store_order_key(hint_ms, id, key);
		k.mv_data = key;
		k.mv_size = sizeof(key);
		if ((rc = mdb_get(txn, st->msgs, &k, &v)) != 0 && rc != MDB_NOTFOUND)
			return rc;
		created = hint_ms;
	}
	if (rc == MDB_NOTFOUND) {
		k.mv_data = (void *)(uintptr_t)id;
		k.mv_size = FC_IDBYTES;
		st->id_lookups++;
		rc = mdb_get(txn, st->ids, &k, &v);
		if (rc == MDB_NOTFOUND)
			return STORE_NOTFOUND;
		if (rc != 0)
			return rc;
		if (v.mv_size != 8)
			return STORE_ECORRUPT;
		created = wire_get_be64(v.mv_data);
		store_order_key(created, id, key);
		k.mv_data = key;
		k.mv_size = sizeof(key);
		rc = mdb_get(txn, st->msgs, &k, &v);
		if (rc == MDB_NOTFOUND)
			return STORE_ECORRUPT;	/* an id without its message */
		if (rc != 0)
			return rc;
	}
	st->reads++;
	if ((rc = seen_decode(v.mv_data, v.mv_size, seen)) != 0)
		return rc;
	if (seen->created_ms != created)
		return STORE_ECORRUPT;
	env->mv_data = (uint8_t *)v.mv_data + SEEN_BYTES;
	env->mv_size = v.mv_size - SEEN_BYTES;
	if (fc_envelope_id(env->mv_data, env->mv_size, check) != FC_R_OK ||
	    memcmp(check, id, FC_IDBYTES) != 0)
		return STORE_ECORRUPT;
	return 0;
}

/* load_at without a time: through ids. */
static int
load(struct store *st, MDB_txn *txn, const uint8_t *id, MDB_val *env, struct store_seen *seen)
{
	return load_at(st, txn, id, 0, env, seen);
}

static int
copy_out(const uint8_t *id, const MDB_val *env, const struct store_seen *seen,
    struct store_msg *out)
{
	/* +1: a zero-length malloc may return NULL; an envelope is never empty anyway. */
	if ((out->env = malloc(env->mv_size + 1)) == NULL)
		return ENOMEM;
	memcpy(out->env, env->mv_data, env->mv_size);
	out->len = env->mv_size;
	memcpy(out->id, id, FC_IDBYTES);
	out->seen = *seen;
	return 0;
}

int
store_get(struct store *st, const uint8_t id[FC_IDBYTES], struct store_msg *out)
{
	MDB_txn			*txn;
	MDB_val			 env;
	struct store_seen	 seen;
	int			 rc;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (st == NULL || id == NULL || out == NULL)
		return STORE_EINVAL;
	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return rc;
	if ((rc = load(st, txn, id, &env, &seen)) == 0)
		rc = copy_out(id, &env, &seen, out);
	mdb_txn_abort(txn);
	return rc;
}

void
store_msg_clear(struct store_msg *msg)
{
	if (msg == NULL)
		return;
	free(msg->env);
	memset(msg, 0, sizeof(*msg));
}

int
store_has(struct store *st, const uint8_t id[FC_IDBYTES])
{
	MDB_txn		*txn;
	MDB_val		 k, v;
	int		 rc;

	if (st == NULL || id == NULL)
		return STORE_EINVAL;
	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return rc;
	k.mv_data = (void *)(uintptr_t)id;
	k.mv_size = FC_IDBYTES;
	rc = mdb_get(txn, st->ids, &k, &v);
	mdb_txn_abort(txn);
	if (rc == 0)
		return 1;
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 1 if the id starts with the nibbles in pfx (nibbles count, high nibble first). */
static int
prefix_match(const uint8_t *id, const uint8_t *pfx, size_t nibbles)
{
	size_t	 full = nibbles / 2;

	if (memcmp(id, pfx, full) != 0)
		return 0;
	if (nibbles % 2 && (id[full] & 0xf0) != (pfx[full] & 0xf0))
		return 0;
	return 1;
}

int
store_get_prefix(struct store *st, const char *hex, struct store_msg *out)
{
	MDB_txn			*txn;
	MDB_cursor		*cur = NULL;
	MDB_val			 k, v;
	struct store_seen	 seen;
	uint8_t			 pfx[FC_IDBYTES], id[FC_IDBYTES];
	size_t			 i, nibbles;
	int			 rc, d;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (st == NULL || hex == NULL || out == NULL)
		return STORE_EINVAL;
	nibbles = strlen(hex);
	if (nibbles < 8 || nibbles > 2 * FC_IDBYTES)
		return STORE_EINVAL;
	/* The lowest id with this prefix: the prefix, then zero nibbles. */
	memset(pfx, 0, sizeof(pfx));
	for (i = 0; i < nibbles; i++) {
		if ((d = hexval(hex[i])) < 0)
			return STORE_EINVAL;
		pfx[i / 2] |= (uint8_t)(i % 2 ? d : d << 4);
	}

	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, st->ids, &cur)) != 0)
		goto out;
	k.mv_data = pfx;
	k.mv_size = FC_IDBYTES;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND || (rc == 0 && (k.mv_size != FC_IDBYTES ||
	    !prefix_match(k.mv_data, pfx, nibbles)))) {
		rc = STORE_NOTFOUND;
		goto out;
	}
	if (rc != 0)
		goto out;
	memcpy(id, k.mv_data, FC_IDBYTES);
	rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	if (rc == 0 && k.mv_size == FC_IDBYTES && prefix_match(k.mv_data, pfx, nibbles)) {
		rc = STORE_AMBIGUOUS;
		goto out;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto out;
	if ((rc = load(st, txn, id, &v, &seen)) == 0)
		rc = copy_out(id, &v, &seen, out);
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return rc;
}

/* Load the message of an index entry and hand it to fn. */
static int
visit(struct store *st, MDB_txn *txn, const uint8_t *id, uint64_t hint_ms, int kind,
    store_iter_fn fn, void *ctx)
{
	struct store_view	 view;
	struct store_seen	 seen;
	MDB_val			 env;
	int			 rc;

	if ((rc = load_at(st, txn, id, hint_ms, &env, &seen)) != 0)
		return rc == STORE_NOTFOUND ? STORE_ECORRUPT : rc;	/* index without message */
	if (kind != 0 && seen.kind != kind)
		return 0;
	view.id = id;
	view.env = env.mv_data;
	view.len = env.mv_size;
	view.seen = &seen;
	st->in_callback++;
	rc = fn(ctx, &view);
	st->in_callback--;
	return rc;
}

/*
 * One entry of a time walk, tk its time key (display_ms || id): *past set when it lies
 * outside [since_ms, until_ms) and ends the walk, else the message is visited. Returns 0,
 * STORE_ECORRUPT, an error or the callback's value.
 */
static int
walk_entry(struct store *st, MDB_txn *txn, const MDB_val *tk, uint64_t since_ms,
    uint64_t until_ms, int kind, store_iter_fn fn, void *ctx, int *past)
{
	uint64_t	 ms;

	if (tk->mv_size != STORE_KEYBYTES)
		return STORE_ECORRUPT;
	ms = wire_get_be64(tk->mv_data);
	if (ms < since_ms || (until_ms != 0 && ms >= until_ms)) {
		*past = 1;
		return 0;
	}
	return visit(st, txn, (const uint8_t *)tk->mv_data + 8, ms, kind, fn, ctx);
}

/*
 * store_iter_time for one kind, through the kind index: the duplicates of the kind's key are
 * its messages' time keys, in time order. Reads only the records of that kind.
 */
static int
iter_kind(struct store *st, MDB_txn *txn, uint64_t since_ms, uint64_t until_ms, int kind,
    int newest_first, store_iter_fn fn, void *ctx)
{
	MDB_cursor	*cur = NULL;
	MDB_val		 k, v;
	MDB_cursor_op	 step;
	uint8_t		 kkey[KIND_KEYBYTES], bound[8];
	int		 rc, past = 0;

	if ((rc = mdb_cursor_open(txn, st->kinds, &cur)) != 0)
		return rc;
	wire_put_be32(kkey, (uint32_t)kind);
	k.mv_data = kkey;
	k.mv_size = sizeof(kkey);
	/* An 8-byte bound sorts before every 40-byte time key it is a prefix of. */
	wire_put_be64(bound, newest_first ? until_ms : since_ms);
	v.mv_data = bound;
	v.mv_size = sizeof(bound);
	if (newest_first) {
		/* The last duplicate below until_ms: the one before the first >= until_ms. */
		step = MDB_PREV_DUP;
		rc = until_ms == 0 ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH_RANGE);
		if (rc == 0)
			rc = mdb_cursor_get(cur, &k, &v, MDB_PREV_DUP);
		else if (rc == MDB_NOTFOUND) {
			k.mv_data = kkey;
			k.mv_size = sizeof(kkey);
			rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
			if (rc == 0)
				rc = mdb_cursor_get(cur, &k, &v, MDB_LAST_DUP);
		}
	} else {
		step = MDB_NEXT_DUP;
		rc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH_RANGE);
	}
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, step))
		if ((rc = walk_entry(st, txn, &v, since_ms, until_ms, kind, fn, ctx, &past)) != 0 ||
		    past)
			break;
	if (rc == MDB_NOTFOUND)
		rc = 0;
	mdb_cursor_close(cur);
	return rc;
}

int
store_iter_time(struct store *st, uint64_t since_ms, uint64_t until_ms, int kind,
    int newest_first, store_iter_fn fn, void *ctx)
{
	MDB_txn		*txn;
	MDB_cursor	*cur = NULL;
	MDB_val		 k, v;
	MDB_cursor_op	 step;
	uint8_t		 bound[8];
	int		 rc, past = 0;

	if (st == NULL || fn == NULL || kind < 0)
		return STORE_EINVAL;
	if (until_ms != 0 && until_ms <= since_ms)
		return 0;
	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return rc;
	if (kind != 0 && st->has_kinds) {
		rc = iter_kind(st, txn, since_ms, until_ms, kind, newest_first, fn, ctx);
		goto out;
	}
	if ((rc = mdb_cursor_open(txn, st->time, &cur)) != 0)
		goto out;

	if (newest_first) {
		/* The last key below until_ms: the entry before the first key >= until_ms. */
		step = MDB_PREV;
		if (until_ms == 0)
			rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		else {
			wire_put_be64(bound, until_ms);
			k.mv_data = bound;
			k.mv_size = sizeof(bound);
			rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
			if (rc == 0)
				rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
			else if (rc == MDB_NOTFOUND)
				rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		}
	} else {
		step = MDB_NEXT;
		wire_put_be64(bound, since_ms);
		k.mv_data = bound;
		k.mv_size = sizeof(bound);
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	}

	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, step))
		if ((rc = walk_entry(st, txn, &k, since_ms, until_ms, kind, fn, ctx, &past)) != 0 ||
		    past)
			break;
	if (rc == MDB_NOTFOUND)
		rc = 0;
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return rc;
}

int
store_has_loops(const struct store *st)
{
	return st != NULL && st->has_loops;
}

int
store_iter_loops(struct store *st, uint64_t since_ms, store_loop_fn efn, store_iter_fn fn,
    void *ctx)
{
	struct store_loop	 e;
	MDB_txn			*txn;
	MDB_cursor		*cur = NULL;
	MDB_val			 k, v;
	uint8_t			 bound[8];
	uint32_t		 status;
	int			 rc, read;

	if (st == NULL || efn == NULL || fn == NULL || !st->has_loops)
		return STORE_EINVAL;
	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, st->loops, &cur)) != 0)
		goto out;
	wire_put_be64(bound, since_ms);
	k.mv_data = bound;
	k.mv_size = sizeof(bound);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != STORE_KEYBYTES || v.mv_size < LOOP_OFF_REGION ||
		    (status = wire_get_be32((const uint8_t *)v.mv_data + LOOP_OFF_STATUS)) >
		    INT_MAX) {
			rc = STORE_ECORRUPT;
			break;
		}
		e.id = (const uint8_t *)k.mv_data + 8;
		e.time_ms = wire_get_be64(k.mv_data);
		e.marks = ((const uint8_t *)v.mv_data)[LOOP_OFF_MARKS];
		e.status = (int)status;
		e.region = (const char *)v.mv_data + LOOP_OFF_REGION;
		e.region_len = v.mv_size - LOOP_OFF_REGION;
		read = 0;
		st->in_callback++;
		rc = efn(ctx, &e, &read);
		st->in_callback--;
		if (rc == 0 && read)
			rc = visit(st, txn, e.id, e.time_ms, FENGHUO__KIND__REPORT, fn, ctx);
		if (rc != 0)
			break;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return rc;
}

/* A receipt/update found by store_iter_refs, sorted by display time before the callbacks. */
struct ref_hit {
	uint64_t		 time_ms;
	const uint8_t		*id;	/* into the read transaction, as env */
	MDB_val			 env;
	struct store_seen	 seen;
};

static int
ref_hit_cmp(const void *a, const void *b)
{
	const struct ref_hit	*x = a, *y = b;

	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	return memcmp(x->id, y->id, FC_IDBYTES);
}

/*
 * What the refs entry k/v says of the message that refers: from the key and value (schema
 * 3), from the value (schema 2), or, for an entry of schema 1 (empty value), from the record
 * itself. 0, STORE_NOTFOUND if that message is not stored (schema 1 only), STORE_ECORRUPT,
 * or an LMDB error. re->id points into k.
 */
static int
ref_parse(struct store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
    struct ref_entry *re)
{
	struct store_seen	 seen;
	Fenghuo__Body		*b;
	const uint8_t		*key = k->mv_data;
	MDB_val			 env;
	uint32_t		 kv;
	int			 rc;

	st->ref_entries++;
	re->created_ms = 0;
	if (k->mv_size == REFS_KEYBYTES) {
		if (v->mv_size != REFS_VALBYTES ||
		    (kv = wire_get_be32(key + REFS_OFF_KIND)) > INT_MAX)
			return STORE_ECORRUPT;
		re->id = key + REFS_OFF_ID;
		re->kind = (int)kv;
		memcpy(re->author, key + REFS_OFF_AUTHOR, FC_PUBLICKEYBYTES);
		re->created_ms = wire_get_be64(v->mv_data);
		return 0;
	}
	if (k->mv_size != REFS_OLD_KEYBYTES)
		return STORE_ECORRUPT;
	re->id = key + FC_IDBYTES;
	if (v->mv_size == REFS_OLD_VALBYTES) {
		if ((kv = wire_get_be32(v->mv_data)) > INT_MAX)
			return STORE_ECORRUPT;
		re->kind = (int)kv;
		memcpy(re->author, (const uint8_t *)v->mv_data + 4, FC_PUBLICKEYBYTES);
		return 0;
	}
	if (v->mv_size != 0)
		return STORE_ECORRUPT;
	if ((rc = load(st, txn, re->id, &env, &seen)) != 0)
		return rc;
	if ((b = env_body(&env)) == NULL)
		return STORE_ECORRUPT;	/* it validated when it was stored */
	rc = b->has_author && b->author.len == FC_PUBLICKEYBYTES ? 0 : STORE_ECORRUPT;
	if (rc == 0)
		memcpy(re->author, b->author.data, FC_PUBLICKEYBYTES);
	fenghuo__body__free_unpacked(b, NULL);
	re->kind = seen.kind;
	re->created_ms = seen.created_ms;
	return rc;
}

/*
 * What a refs walk visits: with kind 0 every referring message; with a kind, those of that
 * kind, and by author if not NULL.
 */
struct refs_sel {
	int			 kind;
	const uint8_t		*author;
};

/*
 * store_iter_refs and store_iter_refs_of. On schema 3 a kind (and author) is a prefix of the key:
 * one seek, and only the matching entries are read. The older layouts keep the referring
 * messages in id order: every entry of id is read and judged.
 */
static int
refs_walk(struct store *st, const uint8_t id[FC_IDBYTES], const struct refs_sel *sel,
    store_iter_fn fn, void *ctx)
{
	MDB_txn			*txn;
	MDB_cursor		*cur = NULL;
	MDB_val			 k, v;
	struct ref_hit		*hits = NULL, *p;
	struct ref_entry	 re;
	struct store_view	 view;
	uint8_t			 seek[REFS_OFF_ID];
	size_t			 n = 0, cap = 0, i, plen = FC_IDBYTES;
	int			 rc;

	if (st == NULL || id == NULL || fn == NULL)
		return STORE_EINVAL;
	memcpy(seek, id, FC_IDBYTES);
	if (sel->kind != 0 && st->version == STORE_SCHEMA_VERSION) {
		wire_put_be32(seek + REFS_OFF_KIND, (uint32_t)sel->kind);
		plen = REFS_OFF_AUTHOR;
		if (sel->author != NULL) {
			memcpy(seek + REFS_OFF_AUTHOR, sel->author, FC_PUBLICKEYBYTES);
			plen = REFS_OFF_ID;
		}
	}
	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, st->refs, &cur)) != 0)
		goto out;
	/*
	 * The refs keys sort by kind, author and referring id, not by time; a message has few
	 * receipts and updates of one kind and author, so collect them and sort by display time.
	 */
	k.mv_data = seek;
	k.mv_size = plen;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < plen || memcmp(k.mv_data, seek, plen) != 0)
			break;
		/* Judged on the entry alone: a record is read only if chosen. */
		if ((rc = ref_parse(st, txn, &k, &v, &re)) != 0) {
			if (rc == STORE_NOTFOUND)
				rc = STORE_ECORRUPT;	/* a ref without its message */
			goto out;
		}
		if (sel->kind != 0 && (re.kind != sel->kind || (sel->author != NULL &&
		    memcmp(re.author, sel->author, FC_PUBLICKEYBYTES) != 0)))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			if ((p = reallocarray(hits, cap, sizeof(*hits))) == NULL) {
				rc = ENOMEM;
				goto out;
			}
			hits = p;
		}
		hits[n].id = re.id;
		rc = load_at(st, txn, re.id, re.created_ms, &hits[n].env, &hits[n].seen);
		if (rc != 0) {
			if (rc == STORE_NOTFOUND)
				rc = STORE_ECORRUPT;	/* a ref without its message */
			goto out;
		}
		hits[n].time_ms = hits[n].seen.time_ms;
		n++;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto out;
	rc = 0;
	if (n == 0)
		goto out;
	qsort(hits, n, sizeof(*hits), ref_hit_cmp);
	for (i = 0; i < n; i++) {
		view.id = hits[i].id;
		view.env = hits[i].env.mv_data;
		view.len = hits[i].env.mv_size;
		view.seen = &hits[i].seen;
		st->in_callback++;
		rc = fn(ctx, &view);
		st->in_callback--;
		if (rc != 0)
			goto out;
	}
out:
	free(hits);
	if (cur != NULL)
		mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return rc;
}

int
store_iter_refs(struct store *st, const uint8_t id[FC_IDBYTES], store_iter_fn fn, void *ctx)
{
	struct refs_sel	 sel = { 0, NULL };

	return refs_walk(st, id, &sel, fn, ctx);
}

int
store_iter_refs_of(struct store *st, const uint8_t id[FC_IDBYTES], int kind,
    const uint8_t *author, store_iter_fn fn, void *ctx)
{
	struct refs_sel	 sel = { kind, author };

	if (kind <= 0)
		return STORE_EINVAL;
	return refs_walk(st, id, &sel, fn, ctx);
}

void
store_cost(const struct store *st, struct store_costs *out)
{
	out->records = st->reads;
	out->id_lookups = st->id_lookups;
	out->ref_entries = st->ref_entries;
}

/*
 * LMDB does not say where it mapped the data file (MDB_envinfo's me_mapaddr is set only for
 * MDB_FIXEDMAP), so the mapping is found in /proc/self/maps by the file's device and inode,
 * and only a read-only shared one is touched: what MADV_DONTNEED drops from it is a view of
 * the page cache, and the next access maps the same bytes again (also a record a read
 * transaction still points into: the mapping itself stays where it is). A writable map
 * (MDB_WRITEMAP, which store_open never sets) is left alone.
 */
int
store_release_pages(struct store *st)
{
	struct stat	 sb;
	unsigned long	 lo, hi, maj, mnt;
	unsigned long long ino;
	char		 line[512], perms[8];
	unsigned	 envflags;
	FILE		*f;
	int		 fd, rc = 0;

	if (st == NULL)
		return STORE_EINVAL;
	if ((rc = mdb_env_get_flags(st->env, &envflags)) != 0)
		return rc;
	if (envflags & MDB_WRITEMAP)
		return 0;
	if ((rc = mdb_env_get_fd(st->env, &fd)) != 0)
		return rc;
	if (fstat(fd, &sb) != 0)
		return errno;
	if ((f = fopen("/proc/self/maps", "r")) == NULL)
		return errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		/* start-end perms offset major:minor inode path */
		if (sscanf(line, "%lx-%lx %7s %*x %lx:%lx %llu", &lo, &hi, perms, &maj, &mnt,
		    &ino) != 6)
			continue;
		if (ino != (unsigned long long)sb.st_ino || maj != major(sb.st_dev) ||
		    mnt != minor(sb.st_dev) || strcmp(perms, "r--s") != 0 || hi <= lo)
			continue;
		if (madvise((void *)(uintptr_t)lo, hi - lo, MADV_DONTNEED) != 0) {
			rc = errno;
			break;
		}
	}
	fclose(f);
	return rc;
}

uint64_t
store_records_read(const struct store *st)
{
	return st->reads;
}

uint32_t
store_upgraded_from(const struct store *st, uint64_t *indexed)
{
	if (indexed != NULL)
		*indexed = st->upgrade_msgs;
	return st->upgraded_from;
}

int
store_count(struct store *st, uint64_t *count)
{
	MDB_txn		*txn;
	MDB_stat	 ms;
	int		 rc;

	if (st == NULL || count == NULL)
		return STORE_EINVAL;
	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return rc;
	if ((rc = mdb_stat(txn, st->ids, &ms)) == 0)
		*count = ms.ms_entries;
	mdb_txn_abort(txn);
	return rc;
}

/* Byte-string comparison where a proper prefix sorts first, as LMDB's default order. */
static int
key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int	 c;

	c = memcmp(a, b, alen < blen ? alen : blen);
	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

int
store_order_walk(struct store *st, const uint8_t *lo, size_t lolen, const uint8_t *hi,
    size_t hilen, store_key_fn fn, void *ctx)
{
	MDB_txn		*txn;
	MDB_cursor	*cur = NULL;
	MDB_val		 k, v;
	int		 rc;

	if (st == NULL || fn == NULL || (lo == NULL && lolen > 0) || (hi == NULL && hilen > 0) ||
	    lolen > STORE_KEYBYTES || hilen > STORE_KEYBYTES)
		return STORE_EINVAL;
	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, st->order, &cur)) != 0)
		goto out;
	if (lo != NULL && lolen > 0) {
		k.mv_data = (void *)(uintptr_t)lo;
		k.mv_size = lolen;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	} else
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != STORE_KEYBYTES) {
			rc = STORE_ECORRUPT;
			goto out;
		}
		if (hi != NULL && key_cmp(k.mv_data, k.mv_size, hi, hilen) >= 0)
			break;
		if ((rc = fn(ctx, k.mv_data)) != 0)
			goto out;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return rc;
}

int
store_digest(struct store *st, uint8_t out[32])
{
	crypto_generichash_state	 h;
	MDB_txn				*txn;
	MDB_cursor			*cur = NULL;
	MDB_val				 k, v;
	int				 rc;

	if (st == NULL || out == NULL)
		return STORE_EINVAL;
	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, st->order, &cur)) != 0)
		goto out;
	crypto_generichash_init(&h, NULL, 0, 32);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != STORE_KEYBYTES) {
			rc = STORE_ECORRUPT;
			goto out;
		}
		crypto_generichash_update(&h, k.mv_data, k.mv_size);
	}
	if (rc != MDB_NOTFOUND)
		goto out;
	crypto_generichash_final(&h, out, 32);
	rc = 0;
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return rc;
}

/* ---- internals for store/'s other files (store_int.h: evict.c) ---------------------- */

void
store_int_get(struct store *st, struct store_int *out)
{
	out->env = st->env;
	out->ids = st->ids;
	out->msgs = st->msgs;
	out->order = st->order;
	out->time = st->time;
	out->refs = st->refs;
	out->kinds = st->kinds;
	out->loops = st->loops;
	out->flags = st->flags;
	out->in_callback = st->in_callback;
}

int
store_int_txn_begin(struct store *st, unsigned flags, MDB_txn **txn)
{
	return txn_begin(st, flags, txn);
}

int
store_int_map_grow(struct store *st)
{
	return map_grow(st);
}

int
store_int_del_kind(const struct store_int *si, MDB_txn *txn, int kind,
    const uint8_t tkey[STORE_KEYBYTES])
{
	uint8_t		 kkey[KIND_KEYBYTES];
	MDB_val		 k, v;
	int		 rc;

	kind_entry(kkey, kind, &k, tkey, &v);
	rc = mdb_del(txn, si->kinds, &k, &v);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
store_int_del_loop(const struct store_int *si, MDB_txn *txn, const uint8_t tkey[STORE_KEYBYTES])
{
	MDB_val		 k;
	int		 rc;

	k.mv_data = (void *)(uintptr_t)tkey;
	k.mv_size = STORE_KEYBYTES;
	rc = mdb_del(txn, si->loops, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
store_int_msgs_value(const MDB_val *v, struct store_seen *seen, const uint8_t **env,
    size_t *envlen)
{
	int	 rc;

	if ((rc = seen_decode(v->mv_data, v->mv_size, seen)) != 0)
		return rc;
	*env = (const uint8_t *)v->mv_data + SEEN_BYTES;
	*envlen = v->mv_size - SEEN_BYTES;
	return 0;
}
