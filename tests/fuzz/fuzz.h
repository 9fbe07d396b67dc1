/*
 * fuzz.h: shared declarations of the fuzz targets in tests/fuzz/.
 *
 * Each fuzz_<target>.c defines LLVMFuzzerTestOneInput. It is linked either with libFuzzer
 * (FH_FUZZ=ON, clang) or with replay.c, a small main that runs the function over every file
 * of the directories given as arguments (the seed corpus and the regression inputs), so the
 * normal and the ASan builds replay every input ever found as a ctest.
 *
 * Targets are deterministic: a fixed clock (FUZZ_NOW_MS) and a fixed author key, so that an
 * input that crashed once crashes again on replay.
 */
#ifndef FH_TESTS_FUZZ_H
#define FH_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "store.h"
#include "ingest.h"

/* Inputs larger than this are ignored: bigger only makes each run slower, not deeper. */
#define FUZZ_MAX_INPUT		(128 * 1024)

/* The clock of every target: 2026-11-23T08:00:00Z. The seed corpus is made for it. */
#define FUZZ_NOW_MS		1795420800000ULL

/* The libFuzzer entry point, defined once per target. */
int		 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_util.c */

/*
 * The fixed author key of the fuzz targets and the corpus generator (seed 0x46 repeated),
 * created on first use and kept for the life of the process. Aborts if crypto/ cannot start.
 */
const struct fc_key *fuzz_key(void);
/* A second fixed key (seed 0x50 repeated): "the peer" messages come from. */
const struct fc_key *fuzz_peer_key(void);
/*
 * The keys of the trust target (seeds 0x60, 0x61, ... repeated): key 0 is its trust anchor
 * (the county root), the others get certificates, or not, from the input.
 */
#define FUZZ_TRUST_KEYS	4
const struct fc_key *fuzz_trust_key(size_t i);
/*
 * A fresh private directory for the process, under $FH_FUZZ_TMP, else /dev/shm (no disk
 * syncs: LMDB commits every batch), else $TMPDIR or /tmp. Removed with everything in it at
 * exit. Returns the same path on every call. Aborts when it cannot be made.
 */
const char	*fuzz_tmpdir(void);
/* Remove dir and everything in it (best effort). */
void		 fuzz_rmtree(const char *dir);
/*
 * The one store of the process, opened on first use in fuzz_tmpdir()/store and closed at
 * exit. It persists across inputs (opening LMDB per input would dominate the run time);
 * fuzz_store_grew() tells it how many messages an input added, and once it holds
 * FUZZ_STORE_RESET of them it is deleted and created again, which bounds the disk (tmpfs)
 * it takes during a long run.
 */
#define FUZZ_STORE_RESET	20000
struct store	*fuzz_store(void);
void		 fuzz_store_grew(size_t added);
/*
 * Turn arbitrary bytes into a message the fuzz key really signed: the bytes are taken as a
 * serialized Body, an author field (the fuzz key) is appended, and the result sealed. This
 * lets a target reach what lies behind the signature check (storage, indexes, the trust
 * policy) with mutated bodies. *out is malloc()ed (caller frees). 0, or an fc_ error.
 */
int		 fuzz_seal_body(const uint8_t *body, size_t len, uint8_t **out, size_t *outlen);
/* The same, signed (and authored) by key k. */
int		 fuzz_seal_body_by(const struct fc_key *k, const uint8_t *body, size_t len,
		    uint8_t **out, size_t *outlen);
/*
 * Store n signed reports (the fuzz key's; report i created i+1 minutes before FUZZ_NOW_MS),
 * numbered first..first+n-1: the same numbers give the same messages, so two stores filled
 * with overlapping ranges differ by a known set (reconciliation). 0, or an error.
 */
int		 fuzz_fill_reports(struct store *st, size_t first, size_t n);
/*
 * The compact-receipt target's fixture (and its seeds): a red warning for 330110 by the fuzz
 * key, created at FUZZ_CRECEIPT_WARNED_MS; the record of a DELIVERED receipt of it (id wid)
 * by the peer key, sent by the peer to the fuzz key's node, with region region (the node
 * grant's scope FUZZ_CRECEIPT_SCOPE, or other digits). rec holds WIRE_CR_MAX bytes.
 * 0, or an fc_ error.
 */
#define FUZZ_CRECEIPT_WARNED_MS	(FUZZ_NOW_MS - 60000)
#define FUZZ_CRECEIPT_SCOPE	"330110101201"
int		 fuzz_warning(uint8_t **out, size_t *outlen, uint8_t id[FC_IDBYTES]);
int		 fuzz_receipt_record(const uint8_t wid[FC_IDBYTES], const char *region,
		    uint8_t *rec, size_t *reclen);
/* Abort with a message when cond is false: an invariant the target checks was broken. */
#define FUZZ_CHECK(cond)	((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))
void		 fuzz_fail(const char *file, int line, const char *what)
		    __attribute__((noreturn));

#endif /* FH_TESTS_FUZZ_H */
