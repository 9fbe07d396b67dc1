/*
 * ingest.h: the one way a message enters a store (prefix ingest_).
 *
 * fenghuod (peers, control-socket submit and import, held messages) and the CLI (direct
 * writes, imports without a daemon) hand envelopes to an ingest with their origin, then
 * commit. A commit takes every gathered envelope through the same steps, in this order:
 *
 *   split and id once -> dedupe (one read of the store, and the batch itself) -> decode ->
 *   admission (the caller's hook: rate limits, quota) -> check (signature once) -> trust
 *   policy -> one write transaction -> one result per envelope
 *
 * and delivers the results after the commit, each with the decoded message, so that no
 * caller takes a message apart again. A duplicate costs a hash and a lookup: no decode, no
 * signature check (DESIGN decisions 5 to 7).
 *
 * The ingest owns the trust state (anchors from the configuration and <state>/anchors,
 * every CERT and REVOKE in the store, docs/TRUST.md) and the held messages: those whose
 * author's chain is not known yet are held in memory (bounded, with a time to live) and, when
 * they came from a bundle, kept in the held area <state>/held as well (store/held.c), since
 * a USB stick will not offer them again. A CERT stored by a commit releases the messages
 * waiting for its subject into the next batch (ingest_pending() says there is one): no
 * commit runs inside another.
 *
 * One thread: an ingest is used by one thread at a time.
 */
#ifndef FENGHUO_INGEST_H
#define FENGHUO_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "store.h"

struct ingest;

enum ingest_origin {
	INGEST_PEER = 1,	/* a peer sent it: src.from is the peer's key */
	INGEST_LOCAL,		/* written on this machine (control-socket submit, the CLI) */
	INGEST_IMPORT,		/* from a bundle: judged as a peer's, held ones kept on disk */
	INGEST_RELEASED,	/* was held until its author's certificate arrived */
	INGEST_NODE,		/* signed by the node itself (receipts, announcements): judged */
				/* as a peer's, held while its own chain is unknown */
};

struct ingest_src {
	int		 origin;	/* enum ingest_origin */
	const uint8_t	*from;		/* INGEST_PEER: the peer's 32-byte key; else NULL */
	uint32_t	 hops;		/* hops travelled before reaching this node */
	uint64_t	 tag;		/* the caller's, handed back with the result */
};

enum ingest_status {
	INGEST_NEW = 1,		/* stored now */
	INGEST_DUP,		/* stored already (or earlier in the batch): not decoded */
	INGEST_REJECTED,	/* reason (enum fc_reason) says why; FC_R_POLICY: policy_reason */
	INGEST_HELD,		/* valid, its author's chain is not known here yet */
	INGEST_REFUSED,		/* the admission hook refused it (rate limit, quota) */
	INGEST_FAILED,		/* the commit failed: nothing of the batch is stored */
};

struct ingest_result {
	int			 status;	/* enum ingest_status */
	int			 reason;	/* enum fc_reason when INGEST_REJECTED */
	/* the policy's reason: rejected or held, or accepted with one (no-chain, local) */
	int			 policy_reason;
	int			 has_id;	/* 0 when the envelope could not be taken apart */
	const uint8_t		*id;
	int			 kind;		/* Body.kind, once decoded; else 0 */
	/*
	 * The warning level it travels at (DESIGN decision 10): a warning's own, the level
	 * of the warning a receipt confirms when that warning is stored; else 0. NEW only.
	 */
	int			 level;
	const struct ingest_src	*src;
	/* decoded: NEW, HELD, REJECTED after decoding; NULL otherwise. Valid in the callback. */
	const struct fc_msg	*msg;
	const uint8_t		*env;
	size_t			 len;
	int			 charged;	/* the admission hook charged it (INGEST_ADMIT_CHARGED) */
	/* INGEST_HELD from a bundle: 1 kept in the held area, 0 not (held_error says why) */
	int			 held_kept;
	int			 held_error;	/* a store_strerror() code; STORE_EHELDFULL: full */
};

typedef void	(*ingest_result_fn)(void *arg, const struct ingest_result *r);

/*
 * Admission, after dedupe and decoding, before the signature check: msg is decoded but not
 * checked (its author is a claim). Return INGEST_ADMIT, INGEST_ADMIT_CHARGED (taken, and
 * charged to something the caller gives back when the result is not INGEST_NEW: the
 * result's `charged`) or INGEST_ADMIT_REFUSE (INGEST_REFUSED, nothing more is done).
 */
#define INGEST_ADMIT		0
#define INGEST_ADMIT_CHARGED	1
#define INGEST_ADMIT_REFUSE	2
typedef int	(*ingest_admit_fn)(void *arg, const struct ingest_src *src,
		    const struct fc_msg *msg);

struct ingest_conf {
	const char	*state;		/* <state>: anchors file, held area; NULL: neither */
	const uint8_t	(*anchors)[FC_PUBLICKEYBYTES];	/* besides <state>/anchors */
	size_t		 nanchors;
	int		 open;		/* no trust policy: every valid message is taken */
	int		 need_anchor;	/* not open and no anchor: refuse to open */
	size_t		 held_max;	/* held in memory: at most this many messages, */
	size_t		 held_bytes;	/* ... bytes, */
	uint64_t	 held_ttl_ms;	/* ... for this long */
	size_t		 batch_max;	/* ingest_full() at this many envelopes, */
	size_t		 batch_bytes;	/* ... or bytes */
};

#define INGEST_ENOANCHOR	(-41001)	/* not open, and no trust anchor anywhere */
#define INGEST_EANCHORS		(-41002)	/* the anchors file does not read */
#define INGEST_EFULL		(-41003)	/* the batch is full: commit first */

/*
 * Open an ingest on st (borrowed: it must outlive the ingest): read the anchors and the
 * store's CERT and REVOKE messages. 0, or an error (ENOMEM, a store error, INGEST_E*) with
 * a sentence for the user in err.
 */
int		 ingest_open(struct store *st, const struct ingest_conf *conf,
		    struct ingest **out, char *err, size_t errlen);
void		 ingest_close(struct ingest **ig);
const char	*ingest_strerror(int err);
void		 ingest_set_admit(struct ingest *ig, ingest_admit_fn fn, void *arg);

/*
 * Gather a copy of env/len for the next commit. 0, INGEST_EFULL or ENOMEM (not gathered).
 * src->from is copied too; src->tag comes back in the result.
 */
int		 ingest_add(struct ingest *ig, const uint8_t *env, size_t len,
		    const struct ingest_src *src);
/* The batch is at its bound: commit before adding more. */
int		 ingest_full(const struct ingest *ig);
/* Envelopes waiting for a commit (gathered, or released by the last commit). */
size_t		 ingest_pending(const struct ingest *ig);
/*
 * Commit what is gathered, at the node's clock now_ms: fn gets one result per envelope, in
 * the order they were added, after the write transaction (and with INGEST_FAILED when it
 * failed). Returns 0 or the store's error. Messages released by CERTs stored now wait for
 * the next commit.
 */
int		 ingest_commit(struct ingest *ig, uint64_t now_ms, ingest_result_fn fn,
		    void *arg);
/*
 * Gather every message of the held area (<state>/held) for the next commit, as imported:
 * stored if their chain has arrived, held again if not (their files stay), their files
 * removed if stored already, rejected or expired. How many were gathered in *n.
 */
int		 ingest_load_held(struct ingest *ig, uint64_t now_ms, size_t *n);
/* Drop held messages older than their time to live; how many were dropped. */
size_t		 ingest_cron(struct ingest *ig, uint64_t now_ms);

/* The trust state, NULL when open; valid until the next commit or ingest_close(). */
const struct fc_trust *ingest_trust(const struct ingest *ig);

/*
 * Synchronous use, for whoever fills a store with a batch at hand (benchmarks, tests, the
 * fuzzers): each item is gathered (from a peer when from is set, else local), committed,
 * and its result copied back; messages released meanwhile are committed too. 0, or the
 * error of ingest_commit (nothing of the batch stored) or of gathering.
 */
struct ingest_put {
	/* in */
	const uint8_t	*env;
	size_t		 len;
	const uint8_t	*from;		/* a peer's 32-byte key, or NULL: local */
	uint32_t	 hops;
	/* out */
	int		 status;	/* enum ingest_status */
	int		 reason;
	int		 policy_reason;
	uint8_t		 id[FC_IDBYTES];	/* zero when it could not be taken apart */
	int		 kind;
	uint32_t	 flags;		/* FC_MSG_* of a message that was checked */
};
int		 ingest_put_batch(struct ingest *ig, struct ingest_put *items, size_t n,
		    uint64_t now_ms);
/* The same through an ingest without trust policy, opened on st for the call. */
int		 ingest_put_open(struct store *st, struct ingest_put *items, size_t n,
		    uint64_t now_ms);

struct ingest_stats {
	uint64_t	 commits;
	uint64_t	 held;		/* results INGEST_HELD */
	uint64_t	 released;	/* held messages released by a CERT for another check */
	uint64_t	 stored_unchained;	/* local ones stored before their chain arrived */
	size_t		 anchors;
	struct fc_held_stats mem;	/* the held buffer */
};
void		 ingest_stats(const struct ingest *ig, struct ingest_stats *out);

#endif
