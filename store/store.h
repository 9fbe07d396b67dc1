/*
 * store.h: the one public header of store/ (prefix store_).
 *
 * One LMDB environment in a directory, owned by struct store; only store/ calls mdb_*.
 * Named databases:
 *   ids    id -> created_ms (8 bytes BE)            (dedupe and lookup; small, see store.c)
 *   msgs   created_ms (8 bytes BE) || id -> seen record || serialized Envelope (the signed
 *          bytes, never re-encoded); the seen record (first seen, from which peer, hops,
 *          kind, flags) is a fixed 70-byte header
 *   order  created_ms (8 bytes BE) || id -> ""     (DESIGN decision 5; reconciliation)
 *   time   display_ms (8 bytes BE) || id -> ""     (listing; = created_ms unless clock-skewed)
 *   refs   ref id || kind (4 bytes BE) || author (32) || id -> created_ms (8 bytes BE)
 *          (receipts/updates of a message: one range, and those of one kind, or of one kind
 *          and author, a range within it found by a seek; the created time names the
 *          referring record in msgs without a lookup in ids; since schema 3)
 *   kinds  kind (4 bytes BE) -> display_ms || id   (MDB_DUPSORT | MDB_DUPFIXED: the time
 *          keys of each kind's messages, so that the few CERT, REVOKE, ANNOUNCE and WARNING
 *          messages are found without reading every record; since schema 2)
 *   loops  display_ms (8 bytes BE) || id -> marks (1) || status (4 BE) || region (bytes)
 *          (one entry per REPORT, in the order of the time index: whether a loop receipt,
 *          registered to closed, and a closed one referring to it are stored, its
 *          Body.status and region; so that a reader counts open reports without decoding
 *          them; since schema 4)
 *   meta   "schema" -> version, ...
 *
 * Schema versions: 1 had no kinds tree and refs keys ref id || id with empty values; 2 added
 * the kind index and the refs values kind || author; 3 had no loops tree. A writer (the
 * daemon, or the CLI writing with no daemon running) that opens a schema 1, 2 or 3 store
 * builds what is missing (the kind index from the stored records; the refs entries of schema
 * 3 from the old ones; the loops tree from the reports and the refs index) once, in one write
 * transaction that also records version 4 (store_upgraded_from() says it happened); a reader
 * of an older store reads it as it is (a schema 1 store: walking the time index instead of
 * the kind index, and reading the records behind empty refs values; without a loops tree,
 * store_has_loops() says 0 and the reports are read one by one). Older
 * fenghuo versions refuse a store of a later schema with STORE_ESCHEMA, so none of them can
 * write a message an index would miss.
 *
 * Every write goes through store_put_batch(): one write transaction per batch (group
 * commit), dedupe before verify (DESIGN decision 6), and fc_validate() for every new id.
 * Nothing is written for a rejected message. A full map (MDB_MAP_FULL) grows the map and
 * retries the batch; it is never fatal.
 *
 * Errors follow LMDB: 0 is success, positive values are errno, negative ones are LMDB's or
 * the STORE_* codes below; store_strerror() describes all of them. store/ never logs, never
 * exits, never touches ZeroMQ.
 *
 * Threads and processes: one struct store per process and thread of use. Several processes
 * may open the same directory (the daemon writes, the CLI reads; LMDB serialises writers).
 * Never use a struct store after fork().
 */
#ifndef FH_STORE_H
#define FH_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

#define STORE_SCHEMA_VERSION	4

#define STORE_NOTFOUND	(-40001)	/* no such id / prefix */
#define STORE_AMBIGUOUS	(-40002)	/* prefix matches more than one id */
#define STORE_ESCHEMA	(-40003)	/* store written by another schema version: refused */
#define STORE_ECORRUPT	(-40004)	/* a record read back does not validate */
#define STORE_EINVAL	(-40005)	/* bad argument */
#define STORE_EHELDFULL	(-40006)	/* the held area has STORE_HELD_MAX messages */
#define STORE_ENOTSTORE	(-40007)	/* a file that is no fenghuo store (a backup) */

#define STORE_KEYBYTES	(8 + FC_IDBYTES)	/* order/time key: ms BE || id */

/* store_open flags */
#define STORE_RDONLY	0x1u	/* read-only; fails with ENOENT if no store exists yet */

struct store;

/*
 * Open (creating unless STORE_RDONLY) the store in directory dir, which must exist.
 * A store of another schema version is refused with STORE_ESCHEMA, except schemas 1 to 3,
 * which a writable open upgrades (see above; from 1 it reads every record once, from 2 every
 * refs entry, from 3 every report) and a read-only open reads as it is.
 */
int		 store_open(const char *dir, unsigned flags, struct store **out);
/*
 * 0 if directory dir holds a store, else an errno (ENOENT when nothing has been stored there
 * yet). Creates nothing: a reader that finds no store leaves the directory as it was.
 */
int		 store_exists(const char *dir);
/*
 * store_open with an initial map size in bytes (0 = the default, 256 MiB). The map still
 * grows by doubling whenever it fills; a tiny value exists to test that growth. An existing
 * store keeps at least the map size recorded in it.
 */
int		 store_open_ex(const char *dir, unsigned flags, size_t mapsize,
		    struct store **out);
/* The current map size in bytes (it grows on demand). */
int		 store_map_size(struct store *st, size_t *out);
/*
 * The schema version recorded in the store in dir, without opening it for use: for the
 * message after STORE_ESCHEMA ("store was written by schema version N; this fenghuo reads
 * version M"). ENOENT if dir holds no store, STORE_NOTFOUND if it records no version.
 * WARNING: only while this process has no struct store open on dir (LMDB: an environment
 * must not be opened twice in one process; closing the second drops the first one's locks).
 */
int		 store_schema_version(const char *dir, uint32_t *version);
/*
 * The schema version this open upgraded the store from (and, in *indexed if not NULL, how
 * many messages it indexed then: from schema 1 every message, from schema 2 the refs entries,
 * one per message referring to another, from schema 3 the reports), or 0 if it found the
 * current version: for the log line that says so.
 */
uint32_t	 store_upgraded_from(const struct store *st, uint64_t *indexed);
/*
 * How many message records this struct store has read since it was opened (every lookup of
 * a record: store_get, iterations, ...): a cost counter for tests and benchmarks.
 */
uint64_t	 store_records_read(const struct store *st);
/*
 * What the reads of this struct store since it was opened cost, counted in what touches
 * pages of the file: a cost counter for tests and benchmarks. A lookup in ids (keyed by the
 * random message ids) lands on a page anywhere in the file; a record found through an index
 * entry that holds its time needs none.
 */
struct store_costs {
	uint64_t	 records;	/* message records read (store_records_read()) */
	uint64_t	 id_lookups;	/* lookups in the ids tree */
	uint64_t	 ref_entries;	/* refs entries read */
};
void		 store_cost(const struct store *st, struct store_costs *out);
/*
 * Tell the kernel that this process no longer needs the pages of the store it has read: they
 * leave its resident set (RSS) and stay in the page cache, clean and shared, where they were
 * all along; the next read maps them again (a minor fault, no I/O while they stay cached).
 * For a daemon after start-up: reading a few hundred scattered records maps far more than
 * they hold (the kernel maps neighbouring cached pages on each fault), all of it counted in
 * the RSS that ps and top show. It frees no memory: the pages stay cached (and charged to
 * the same cgroup) until the kernel needs the room, as they would anyway; it changes no data.
 * It may be called from an iteration's callback too (a long pass over scattered records
 * keeps its resident set small so): what the callback was handed stays valid, its pages are
 * mapped again when read. 0, or an errno; STORE_EINVAL for a NULL st. Linux: the mapping is found through /proc/self/maps by the data file's device
 * and inode; where stat() reports another device than the mapping shows (btrfs subvolumes),
 * it is not found, nothing is released, and the call returns 0.
 */
int		 store_release_pages(struct store *st);
/* Close the environment and free; sets *st to NULL. NULL is fine. */
void		 store_close(struct store **st);
const char	*store_strerror(int err);

/* ---- backup and restore (backup.c) ------------------------------------------------------ */

/* What a backup holds: as store_count and store_digest say of it. */
struct store_backup_info {
	uint64_t	 messages;
	uint8_t		 digest[32];
};
/*
 * Write a consistent, compacted copy of the open store st (read-only is enough) to the file
 * path: LMDB's copy inside one read transaction, so a snapshot of one commit however the
 * daemon writes meanwhile, every record byte for byte (seen records included). Written to
 * "path.tmp", fsynced and renamed, so path is whole or as it was; an existing path is
 * replaced. *info is what the copy holds, read back from it. 0 or an error (an errno for
 * the file, an LMDB code).
 */
int		 store_backup(struct store *st, const char *path, struct store_backup_info *info);
/* What the backup file path holds (*info); STORE_ENOTSTORE when it is no store. */
int		 store_backup_info(const char *path, struct store_backup_info *info);
/*
 * Make the store of directory dir (which must exist) from the backup file path: EEXIST when
 * dir holds a store already; the backup must be a store of a schema this release reads
 * (STORE_ESCHEMA, STORE_ENOTSTORE otherwise). *info is what the backup holds; the new store is
 * checked to hold the same (STORE_ECORRUPT if not). An older schema is upgraded when a
 * writer first opens the new store, as any store.
 */
int		 store_restore(const char *path, const char *dir, struct store_backup_info *info);

/* ---- writing --------------------------------------------------------------------------- */

enum store_status {
	STORE_NEW = 1,		/* stored now */
	STORE_DUP,		/* stored already; nothing written */
};

struct store_put {
	/* in */
	const struct fc_msg *msg;	/* validated (fc_validate, fc_msg_check): id, body, flags */
	const uint8_t	*env;		/* its serialized Envelope, as received */
	size_t		 len;
	const uint8_t	*from;		/* 32-byte key of the peer it came from; NULL = local */
	uint32_t	 hops;		/* hops travelled before reaching this node */
	/* out */
	int		 status;	/* enum store_status */
};

/*
 * Store a batch of validated messages in one write transaction: each with its seen record
 * and its indexes, or STORE_DUP when its id is stored already (also earlier in the batch).
 * The store checks nothing else: ingest/ is the one way messages come here, and it has
 * split, deduplicated, verified and judged each one before (DESIGN decisions 5 and 6).
 * now_ms is the node's clock, recorded as the first-seen time of new messages.
 *
 * Returns 0 when the transaction committed: every STORE_NEW item is then durable (DESIGN
 * decision 7) and may be acknowledged and forwarded. On an error nothing of the batch is
 * stored and the statuses must be ignored.
 */
int		 store_put_batch(struct store *st, struct store_put *items, size_t n,
		    uint64_t now_ms);
/*
 * Which of n ids are stored: found[i] = 1 or 0, all in one read transaction (the dedupe
 * step of ingest). 0 or an error.
 */
int		 store_lookup(struct store *st, const uint8_t (*ids)[FC_IDBYTES], size_t n,
		    uint8_t *found);

/* ---- reading --------------------------------------------------------------------------- */

struct store_seen {
	uint64_t	 first_seen_ms;	/* this node's clock */
	uint64_t	 time_ms;	/* display time: created_ms, or first_seen_ms if skewed */
	uint64_t	 created_ms;	/* the author's claim */
	uint8_t		 from[FC_PUBLICKEYBYTES];
	int		 has_from;	/* 0: written locally */
	uint32_t	 hops;
	uint32_t	 flags;		/* FC_MSG_* */
	int		 kind;
};

/* A message copied out of the store. Owned by the caller; release with store_msg_clear(). */
struct store_msg {
	uint8_t		 id[FC_IDBYTES];
	uint8_t		*env;
	size_t		 len;
	struct store_seen seen;
};

/* STORE_NOTFOUND if absent. */
int		 store_get(struct store *st, const uint8_t id[FC_IDBYTES], struct store_msg *out);
/* hex: 8..64 hex digits. STORE_NOTFOUND, STORE_AMBIGUOUS or STORE_EINVAL. */
int		 store_get_prefix(struct store *st, const char *hex, struct store_msg *out);
void		 store_msg_clear(struct store_msg *msg);
/* 1 if id is stored, 0 if not, or a negative/errno error. */
int		 store_has(struct store *st, const uint8_t id[FC_IDBYTES]);

/*
 * A message seen during iteration. The pointers are valid only during the callback (they
 * point into the read transaction); copy what you keep.
 */
struct store_view {
	const uint8_t		*id;
	const uint8_t		*env;
	size_t			 len;
	const struct store_seen	*seen;
};
/*
 * Return 0 to go on, anything else to stop (store_iter_* then returns that value).
 * A callback may read the store (store_get, store_iter_refs, ...: each its own read
 * transaction) but must not call store_put_batch(): growing the map needs every
 * transaction of the process closed.
 */
typedef int	(*store_iter_fn)(void *ctx, const struct store_view *v);

/*
 * Messages with display time in [since_ms, until_ms) (until_ms 0 = no bound), of the given
 * kind (0 = all), newest first if newest_first, else oldest first. With a kind, only that
 * kind's records are read (the kind index), however many others the store holds.
 */
int		 store_iter_time(struct store *st, uint64_t since_ms, uint64_t until_ms, int kind,
		    int newest_first, store_iter_fn fn, void *ctx);
/* Messages whose refs include id (receipts, updates, cancels), oldest first. */
int		 store_iter_refs(struct store *st, const uint8_t id[FC_IDBYTES], store_iter_fn fn,
		    void *ctx);
/*
 * store_iter_refs, visiting only the messages of kind (> 0, else STORE_EINVAL) and, if author
 * is not NULL, by that author (FC_PUBLICKEYBYTES): e.g. a node's own receipt of a warning
 * among hundreds of others'. On a schema 3 store they are one range of the refs index, found
 * by a seek: neither the other entries nor their records are read.
 */
int		 store_iter_refs_of(struct store *st, const uint8_t id[FC_IDBYTES], int kind,
		    const uint8_t *author, store_iter_fn fn, void *ctx);

/* ---- the loops index (schema 4) ------------------------------------------------------- */

/*
 * What the loops tree holds of one stored report: structural facts only, no judgement of
 * trust (whether a receipt counts depends on the trust state when it is read: a revocation
 * can reopen a loop). A mark is never cleared: a receipt evicted later leaves its report
 * marked, which costs a reader a full judgement, never a wrong one.
 */
#define STORE_LOOP_RECEIPT	0x01u	/* a receipt of stage registered..closed refers to it */
#define STORE_LOOP_CLOSED	0x02u	/* ... and one of them is of stage closed */
struct store_loop {
	const uint8_t	*id;
	uint64_t	 time_ms;	/* display time, as in the time index */
	unsigned	 marks;		/* STORE_LOOP_* */
	int		 status;	/* wire_status_of() of the report (Body.status) */
	const char	*region;	/* Body.region, NOT NUL-terminated: region_len bytes */
	size_t		 region_len;
};
/*
 * Called for each entry: set *read to have the report's record read and handed to the
 * iteration's store_iter_fn (in the same read transaction), leave it 0 to go on without
 * reading it. Return 0 to go on, anything else to stop. e and its pointers are valid
 * during the call only.
 */
typedef int	(*store_loop_fn)(void *ctx, const struct store_loop *e, int *read);
/* 1 if the open store has a complete loops tree (schema 4), 0 if not (an older schema, read-only). */
int		 store_has_loops(const struct store *st);
/*
 * The reports with display time >= since_ms, oldest first (the order of store_iter_time with
 * kind REPORT), from the loops tree: efn for each, and fn for those efn asks to be read.
 * STORE_EINVAL without a loops tree (store_has_loops()).
 */
int		 store_iter_loops(struct store *st, uint64_t since_ms, store_loop_fn efn,
		    store_iter_fn fn, void *ctx);

/* Number of stored messages. */
int		 store_count(struct store *st, uint64_t *count);
/*
 * Set digest: BLAKE2b-256 over all order keys (created_ms BE || id), in order. Two stores
 * hold the same set of messages exactly when their digests are equal.
 */
int		 store_digest(struct store *st, uint8_t out[32]);

/* ---- the order index (reconciliation) ---------------------------------------------------- */

/* An order key: created_ms big-endian || id. */
void		 store_order_key(uint64_t created_ms, const uint8_t id[FC_IDBYTES],
		    uint8_t key[STORE_KEYBYTES]);
/* Return 0 to go on, anything else to stop. */
typedef int	(*store_key_fn)(void *ctx, const uint8_t key[STORE_KEYBYTES]);
/*
 * Walk order keys in [lo, hi), ascending. lo NULL = from the start, hi NULL = to the end;
 * lo/hi may be shorter than STORE_KEYBYTES (compared as byte-string prefixes, lo inclusive,
 * hi exclusive). One read transaction per call.
 */
int		 store_order_walk(struct store *st, const uint8_t *lo, size_t lolen,
		    const uint8_t *hi, size_t hilen, store_key_fn fn, void *ctx);

/* ---- quota (evict.c) ------------------------------------------------------------------ */

struct store_evict_stats {
	uint64_t	 bytes_before;	/* bytes the message trees used before */
	uint64_t	 bytes_after;
	uint64_t	 evicted;	/* messages removed */
	int		 over;		/* still above max_bytes afterwards */
};

/*
 * Keep the store within max_bytes (the pages of its message trees, as LMDB counts them; the
 * file itself does not shrink, LMDB reuses the freed pages). Below the quota nothing
 * happens. Above it, expired messages are removed, oldest created first, at most max_evict
 * in one write transaction, until the store is within the quota: CERT and REVOKE never, and
 * nothing that has not expired (no message without an expiry time, no unexpired warning),
 * so that what reconciliation brings back is what validation rejects as expired anyway.
 * stats->over says whether the store is still above the quota: the caller then refuses
 * what it can refuse (docs/CONFIG.md [limits] store_max_bytes). Returns 0 or an error.
 */
int		 store_evict(struct store *st, uint64_t now_ms, uint64_t max_bytes,
		    size_t max_evict, struct store_evict_stats *stats);

/* ---- the held area (held.c) ------------------------------------------------------------ */

/*
 * Messages from outside (bundle imports) that validated but whose author's certificate chain
 * is not known here yet live in <dir>/held/, one file per message (docs/BUNDLE.md, "Held
 * entries"), not in the store. They are kept until their chain arrives (then stored like any
 * message and removed here), the policy rejects them, or they expire. dir is the state
 * directory (the store's). These functions use no LMDB environment: a process may call them
 * with or without a struct store open.
 */
/*
 * The held area is bounded: a bundle of forged messages must not fill the disk, and a message
 * whose certificate has not come in a month is not coming (the author can be certified and
 * the bundle imported again).
 */
#define STORE_HELD_MAX		10000
#define STORE_HELD_TTL_MS	(30ULL * 24 * 3600 * 1000)
/*
 * Keep env/len (id is its id). *count is the number of messages held, tracked by the caller
 * across a batch: SIZE_MAX makes this call count them first (one directory walk), and a
 * message newly kept adds one. 0 (also when already held), STORE_EHELDFULL when *count is
 * STORE_HELD_MAX or more (nothing written), or an errno / STORE_EINVAL.
 */
int		 store_held_put(const char *dir, const uint8_t id[FC_IDBYTES],
		    const uint8_t *env, size_t len, size_t *count);
/* Forget id. 0 (also when it was not held), or an errno. */
int		 store_held_del(const char *dir, const uint8_t id[FC_IDBYTES]);
/*
 * Called for each held message: its id (from the file name: check it), the envelope (valid
 * during the call only) and when it was first held (ms since the epoch). Non-zero stops.
 */
typedef int	(*store_held_fn)(void *arg, const uint8_t id[FC_IDBYTES], const uint8_t *env,
		    size_t len, uint64_t held_ms);
/*
 * Walk the held messages in no particular order; unreadable files are skipped, and those held
 * for longer than STORE_HELD_TTL_MS at now_ms are removed unseen. 0 (also with no held area),
 * fn's non-zero value, or an errno. The callback may call store_held_del().
 */
int		 store_held_iter(const char *dir, uint64_t now_ms, store_held_fn fn, void *arg);
/* How many messages are held: 0 and *count (0 with no held area), or an errno. */
int		 store_held_count(const char *dir, size_t *count);

#endif /* FH_STORE_H */
