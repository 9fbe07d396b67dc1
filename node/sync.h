/*
 * sync.h: range-based set reconciliation over the store's order index (prefix sync_).
 *
 * Two nodes find the messages one has and the other lacks without sending every id
 * (DESIGN decision 9). The exchange is stateless on both sides: each Sync frame carries all
 * a side needs to answer it, so a lost or late frame costs only a retry, and a node can serve
 * any number of peers without per-peer reconciliation state. The algorithm and its frame
 * encoding are specified in docs/PROTOCOL.md ("Reconciliation").
 *
 * Transport-agnostic: the daemon carries the payloads inside Frame{sync}; the benchmark and
 * the unit tests pass them between two stores in one process.
 *
 * Each round hashes ids with a fresh random salt. A round in which neither side gave
 * anything proves the two sets equal; after a round that moved messages, start another
 * once they are stored: it confirms convergence, and a hash collision that hid a difference
 * in one round does not hide it under the next salt. In version 1 of the encoding (docs/
 * SYNC.md) `need` is always empty: a side only ever learns hashes of what it lacks, so the
 * holder pushes (`give`).
 */
#ifndef FH_SYNC_H
#define FH_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The smallest max_frame sync_begin/sync_handle accept (EINVAL below it). */
#define SYNC_FRAME_MIN	1024

/* What one step of reconciliation produced. Everything in it is owned by it. */
struct sync_result {
	uint8_t		*reply;		/* serialized Fenghuo__Sync to send back; NULL: nothing */
	size_t		 replylen;
	uint8_t		(*need)[FC_IDBYTES];	/* ids the peer has and we lack: ask (WANT) */
	size_t		 nneed;
	uint8_t		(*give)[FC_IDBYTES];	/* ids we have and the peer lacks: PUSH them */
	size_t		 ngive;
	int		 done;		/* the round is complete as far as this side knows */
};

/*
 * Start a round as the initiator: *out (malloc()ed, caller frees) is the first serialized
 * Fenghuo__Sync to send. max_frame bounds every payload this round produces (e.g. 4096 for
 * a slow link, WIRE_FRAME_MAX otherwise); 0 means the default.
 */
int	 sync_begin(struct store *st, size_t max_frame, uint8_t **out, size_t *outlen);
/*
 * Answer one received Sync payload (from the initiator or the responder alike). Returns 0 and
 * fills *res, or an error (malformed payloads are an error, never a crash) with *res empty.
 */
int	 sync_handle(struct store *st, size_t max_frame, const uint8_t *in, size_t inlen,
	    struct sync_result *res);
/*
 * The same for a Sync already decoded, as the daemon has it once its Frame is unpacked: no
 * second decode. s is only read, and only during the call; res is as for sync_handle.
 */
int	 sync_handle_msg(struct store *st, size_t max_frame, const Fenghuo__Sync *s,
	    struct sync_result *res);
void	 sync_result_clear(struct sync_result *res);

#endif /* FH_SYNC_H */
