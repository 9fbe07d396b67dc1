/*
 * crypto.h: the one public header of crypto/ (prefix fc_).
 *
 * Keys, signatures, message ids, hex helpers, and message validation: the one function every
 * path (peer, control socket, CLI, bundle import) runs a message through before it is stored.
 * Later: certificates and the trust policy (pure functions, no I/O).
 *
 * crypto/ never logs, never exits and never touches ZeroMQ or LMDB. Functions return 0 on
 * success; errors are the FC_E* codes below (negative) or errno values (positive), described
 * by fc_strerror(). Secret keys live in sodium_malloc() memory and are wiped when freed.
 * Call fc_init() once before anything else (it initialises libsodium).
 */
#ifndef FH_CRYPTO_H
#define FH_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define FC_PUBLICKEYBYTES	32
#define FC_SIGBYTES		64
#define FC_SEEDBYTES		32	/* Ed25519 seed (RFC 8032 "private key") */
#define FC_IDBYTES		32
#define FC_IDHEX		(2 * FC_IDBYTES + 1)	/* hex id with its NUL */

#define FC_WARN_UNUSED	__attribute__((warn_unused_result))

/* Error codes (negative; positive values are errno). */
#define FC_EINIT	(-1)	/* libsodium failed to initialise */
#define FC_EKEYPERM	(-2)	/* key file is readable by group or others */
#define FC_EKEYFMT	(-3)	/* key file has the wrong size, magic or version */
#define FC_EHEX		(-4)	/* not a valid hex string of the expected length */
#define FC_ENOMEM	(-5)
#define FC_EANCHORS	(-6)	/* an anchors file has a malformed line */

int		 fc_init(void) FC_WARN_UNUSED;
const char	*fc_strerror(int err);

/* ---- keys ---------------------------------------------------------------------------- */

struct fc_key;	/* an Ed25519 key pair; the secret half in sodium_malloc() memory */

/* Generate a new key pair. *out is owned by the caller, freed with fc_key_free(). */
int		 fc_key_generate(struct fc_key **out) FC_WARN_UNUSED;
/*
 * Derive the key pair of a 32-byte seed (RFC 8032 section 5.1.5), e.g. for test vectors or
 * deterministic test keys. *out is owned by the caller, freed with fc_key_free().
 */
int		 fc_key_from_seed(const uint8_t seed[FC_SEEDBYTES], struct fc_key **out)
		    FC_WARN_UNUSED;
/*
 * Load a key file. Refuses (FC_EKEYPERM) a file that group or others can read, and
 * (FC_EKEYFMT) one of the wrong size, magic or version.
 */
int		 fc_key_load(const char *path, struct fc_key **out) FC_WARN_UNUSED;
/* Write the key pair to path with mode 0600; fails if path exists (EEXIST). */
int		 fc_key_save(const struct fc_key *key, const char *path) FC_WARN_UNUSED;
/* Wipe and free the key; sets *key to NULL. NULL is fine. */
void		 fc_key_free(struct fc_key **key);
/* The 32-byte public key; valid as long as the key. */
const uint8_t	*fc_key_public(const struct fc_key *key);

/* ---- signatures and ids -------------------------------------------------------------- */

void		 fc_sign(const struct fc_key *key, const uint8_t *msg, size_t len,
		    uint8_t sig[FC_SIGBYTES]);
/* 0 if sig is a valid Ed25519 signature of msg by pk, -1 otherwise (never says why). */
int		 fc_verify(const uint8_t pk[FC_PUBLICKEYBYTES], const uint8_t *msg, size_t len,
		    const uint8_t sig[FC_SIGBYTES]) FC_WARN_UNUSED;
/*
 * Number of fc_verify() calls made by this process so far (all threads). Tests and
 * benchmarks read it to prove "one signature check per new message" (DESIGN decision 6).
 */
uint64_t	 fc_verify_count(void);
/*
 * From now on, remember up to about `slots` (rounded up to a power of two) signatures that
 * verified, process-wide, so that fc_verify() of the same key, message and signature again
 * costs a hash instead of a check (and is not counted by fc_verify_count). For long-running
 * readers that validate the same stored messages again and again (the board); 32 bytes a
 * slot. Once per process: later calls change nothing. 0, or -1 out of memory.
 */
int		 fc_verify_cache_enable(size_t slots);
/* Message id = BLAKE2b-256(body) (DESIGN decision 2). */
void		 fc_msg_id(const uint8_t *body, size_t len, uint8_t id[FC_IDBYTES]);
/*
 * The id of a serialized Envelope without verifying anything: finds the body field and hashes
 * it. This is the cheap step of "dedupe before verify". Returns 0, or FC_R_DECODE /
 * FC_R_TOO_BIG (see below) when the envelope cannot be taken apart.
 */
int		 fc_envelope_id(const uint8_t *env, size_t len, uint8_t id[FC_IDBYTES]);
/*
 * Take a serialized Envelope apart by hand, as fc_envelope_id() does: *body and *sig point
 * into env (sig may be NULL/0 when absent). Fails (FC_R_DECODE) on a missing or empty body,
 * a repeated body or sig field, a bad wire type or any length beyond the buffer, and
 * (FC_R_TOO_BIG) when len > WIRE_ENVELOPE_MAX. Unknown fields are skipped.
 */
int		 fc_envelope_split(const uint8_t *env, size_t len, const uint8_t **body,
		    size_t *bodylen, const uint8_t **sig, size_t *siglen);
/*
 * Sign a body: builds the serialized Envelope { body, sig }. *out is malloc()ed, owned by
 * the caller. Returns 0, or FC_ENOMEM, or FC_R_TOO_BIG when the envelope would exceed
 * WIRE_ENVELOPE_MAX.
 */
int		 fc_envelope_seal(const struct fc_key *key, const uint8_t *body, size_t bodylen,
		    uint8_t **out, size_t *outlen) FC_WARN_UNUSED;

/* Constant-time comparison, for anything derived from a secret. 0 when equal. */
int		 fc_memeq_ct(const void *a, const void *b, size_t len);

/* ---- hex ----------------------------------------------------------------------------- */

/* Lowercase hex of bin into out, which holds 2*len+1 bytes. Returns out. */
char		*fc_hex(const uint8_t *bin, size_t len, char *out);
/* Parse exactly 2*len hex digits (either case). 0 or FC_EHEX. */
int		 fc_unhex(const char *hex, uint8_t *bin, size_t len);
/* 1 if s is 8..64 hex digits (an id prefix as accepted on the command line), else 0. */
int		 fc_is_id_prefix(const char *s);

/* ---- validation ---------------------------------------------------------------------- */

/*
 * Reasons a message is rejected. Each has a distinct code and a stable short name
 * (fc_reason_name, used in logs, status counters and JSON) and a sentence (fc_reason_text).
 * Codes are stable: they appear in docs/PROTOCOL.md and in operators' scripts.
 */
enum fc_reason {
	FC_R_OK = 0,
	FC_R_TOO_BIG,		/* envelope > 64 KiB */
	FC_R_DECODE,		/* envelope or body does not decode */
	FC_R_NO_SIG,		/* signature missing or not 64 bytes */
	FC_R_NO_AUTHOR,		/* author missing or not 32 bytes */
	FC_R_BAD_SIG,		/* signature does not verify for the author */
	FC_R_VERSION,		/* unknown body format version */
	FC_R_KIND,		/* unknown or missing kind */
	FC_R_TITLE,		/* title missing (where required) or > 256 bytes */
	FC_R_TEXT,		/* text > 16 KiB */
	FC_R_UTF8,		/* a string field is not valid UTF-8 */
	FC_R_REGION,		/* region code is not 2/4/6/9/12 digits */
	FC_R_TIME,		/* created_ms missing, or expires before created */
	FC_R_EXPIRED,		/* expired at the time of checking */
	FC_R_CLOCK,		/* a warning/cert/revoke with an implausible created time */
	FC_R_REFS,		/* a ref is not 32 bytes, or required refs missing */
	FC_R_LATLON,		/* lat/lon out of range, or only one of them */
	FC_R_FIELDS,		/* kind-specific required field missing or inconsistent */
	FC_R_POLICY,		/* refused by the trust policy */
	FC_R_STATUS,		/* status unknown, or on a kind that has none */
	FC_R_MAX
};

const char	*fc_reason_name(int reason);	/* "bad-signature", ... */
const char	*fc_reason_text(int reason);	/* a sentence for humans */

/* Flags set on an accepted message. */
#define FC_MSG_CLOCK_SKEW	0x1u	/* created time implausible; node-local time applies */

/*
 * Clock plausibility window: a created time more than FC_SKEW_FUTURE_MS ahead of the
 * checker's clock, or more than FC_SKEW_PAST_MS behind it, is implausible.
 */
#define FC_SKEW_FUTURE_MS	(10ULL * 60 * 1000)		/* 10 minutes */
#define FC_SKEW_PAST_MS		(365ULL * 24 * 3600 * 1000)	/* 1 year */

/* A decoded, validated message. Everything in it is owned by it. */
struct fc_msg {
	uint8_t			 id[FC_IDBYTES];
	Fenghuo__Envelope	*env;	/* env->body.data are the signed bytes */
	Fenghuo__Body		*body;
	uint32_t		 flags;	/* FC_MSG_* */
};

/*
 * Validate a serialized Envelope as received from anywhere: size, decoding, signature, id,
 * kind-specific required fields, UTF-8, region code shape, times. now_ms is the checker's
 * clock (ms since the epoch). first_seen_ms is when this node first saw the message (used to
 * judge expiry of a clock-skewed message; pass now_ms for a new one).
 *
 * Returns FC_R_OK and fills *out (release with fc_msg_clear), or a reason and leaves *out
 * cleared. The signature is checked after every cheaper check.
 */
int		 fc_validate(const uint8_t *env, size_t len, uint64_t now_ms,
		    uint64_t first_seen_ms, struct fc_msg *out) FC_WARN_UNUSED;
/*
 * fc_validate() in its two steps, for a caller that has taken the envelope apart already
 * (fc_envelope_id: it refuses a repeated body field, so call it first) and wants the decoded
 * message before paying for the signature check (the ingest pipeline: dedupe, decode,
 * admission, then check).
 *
 * fc_msg_decode: unpack env (len bytes, whose id is id) into *out, nothing checked; FC_R_OK,
 * FC_R_TOO_BIG or FC_R_DECODE (then *out is cleared). Release with fc_msg_clear.
 * fc_msg_check: every check of fc_validate on a decoded message, the signature last; sets
 * msg->flags. FC_R_OK or the reason.
 */
int		 fc_msg_decode(const uint8_t *env, size_t len, const uint8_t id[FC_IDBYTES],
		    struct fc_msg *out) FC_WARN_UNUSED;
int		 fc_msg_check(struct fc_msg *msg, uint64_t now_ms, uint64_t first_seen_ms)
		    FC_WARN_UNUSED;
/* Free what fc_validate put in msg; msg is left zeroed. */
void		 fc_msg_clear(struct fc_msg *msg);

/*
 * Expiry: the time (ms since the epoch, this node's clock) after which msg no longer
 * applies, or 0 for never. For a message without FC_MSG_CLOCK_SKEW that is its expires_ms;
 * for a skewed one it is first_seen_ms + (expires_ms - created_ms): the lifetime the author
 * meant, counted from when this node first saw it. The same rule gives its display time:
 * fc_msg_time() returns created_ms, or first_seen_ms when skewed.
 */
uint64_t	 fc_msg_expiry(const struct fc_msg *msg, uint64_t first_seen_ms);
uint64_t	 fc_msg_time(const struct fc_msg *msg, uint64_t first_seen_ms);

/* 1 if s is len bytes of valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int		 fc_utf8_valid(const char *s, size_t len);
/* 1 if s is a region code or prefix of the accepted shape (2, 4, 6, 9 or 12 digits). */
int		 fc_region_valid(const char *s);
#define FC_NODE_NAME_MAX	63	/* bytes of a node name */
/*
 * 1 if s may name a node ([node] name, [peer NAME]): 1 to FC_NODE_NAME_MAX bytes of UTF-8,
 * printable, without blanks, brackets, double quotes or backslashes (names appear in logs,
 * section headers and JSON).
 */
int		 fc_node_name_valid(const char *s);

/* ---- trust.c, policy.c: certificate chains, the trust policy, held messages ---------- */
/* policy.c */

/*
 * The trust state (DESIGN decision 12, docs/TRUST.md): the county root keys (anchors) and
 * the CERT and REVOKE messages known so far. It is a set of facts, not a cache of verdicts:
 * every chain is evaluated from the anchors when a question is asked, so the answer depends
 * only on which certificates and revocations are known, never on the order they arrived in.
 * Pure data: no I/O, no clock, no locks. Questions (fc_trust_holds(), fc_policy_check())
 * never modify it, so several readers may share it; fc_trust_add*() needs exclusive access.
 */
struct fc_trust;

#define FC_TRUST_MAX_DEPTH	8	/* certificates between a key and an anchor, at most */
#define FC_SCOPE_MAX		12	/* longest region prefix: a 12-digit village code */

/* Role bits: FC_ROLE_BIT(FENGHUO__ROLE__ISSUER) and so on. */
#define FC_ROLE_BIT(r)		(1u << (unsigned)(r))
/* Every role, node..admin: what an anchor holds, everywhere. */
#define FC_ROLES_ALL		(FC_ROLE_BIT(FENGHUO__ROLE__ADMIN + 1) - \
				    FC_ROLE_BIT(FENGHUO__ROLE__NODE))

/* One CERT as the trust state keeps it (copied out of the message; owns nothing). */
struct fc_grant {
	uint8_t		 id[FC_IDBYTES];		/* the CERT message's id */
	uint8_t		 author[FC_PUBLICKEYBYTES];	/* who granted */
	uint8_t		 subject[FC_PUBLICKEYBYTES];	/* who is granted */
	uint64_t	 created_ms;			/* when it was granted */
	uint64_t	 not_before_ms;			/* valid for created times in */
	uint64_t	 not_after_ms;			/*   [not_before, not_after) */
	uint32_t	 roles;				/* FC_ROLE_BIT()s */
	char		 scope[FC_SCOPE_MAX + 1];	/* region prefix; "" = everywhere */
	int		 has_transport_key;
	uint8_t		 transport_key[32];		/* Curve25519, of a node */
};

/* One REVOKE as the trust state keeps it. */
struct fc_revocation {
	uint8_t		 id[FC_IDBYTES];
	uint8_t		 author[FC_PUBLICKEYBYTES];
	uint8_t		 subject[FC_PUBLICKEYBYTES];
	uint64_t	 created_ms;
	uint64_t	 from_ms;	/* Revoke.from_ms, or created_ms when absent or 0 */
};

/*
 * A new trust state with n anchors (32-byte Ed25519 public keys, copied). n may be 0: then
 * nothing is trusted. Returns NULL when out of memory. Free with fc_trust_free().
 */
struct fc_trust	*fc_trust_new(const uint8_t (*anchors)[FC_PUBLICKEYBYTES], size_t n);
/* Free the trust state; sets *t to NULL. NULL is fine. */
void		 fc_trust_free(struct fc_trust **t);
/*
 * Record a CERT or REVOKE message (validated by fc_validate()); any other kind is ignored.
 * What is needed is copied: msg may be cleared afterwards. A message already known (same id)
 * is ignored. Returns 0, FC_ENOMEM, or EINVAL for a body that fc_validate() would not have
 * passed (subject not 32 bytes, scope not a region prefix).
 *
 * Callers record the CERT and REVOKE messages that fc_policy_check() accepted, and those read
 * back from the store at start-up. Recording one that was not accepted is harmless to
 * correctness (a grant counts only through a chain to an anchor) but costs memory.
 * After recording a CERT, take the held messages waiting for its subject (fc_held_take())
 * and check them again.
 */
int		 fc_trust_add(struct fc_trust *t, const struct fc_msg *msg);
/* The same from a decoded body and its id, e.g. for the store loading its trust state. */
int		 fc_trust_add_body(struct fc_trust *t, const uint8_t id[FC_IDBYTES],
		    const Fenghuo__Body *body);
/* 1 if some grant to key is recorded (valid or not), else 0. */
int		 fc_trust_known(const struct fc_trust *t, const uint8_t key[FC_PUBLICKEYBYTES]);
/* 1 if key is one of the anchors, else 0. */
int		 fc_trust_is_anchor(const struct fc_trust *t, const uint8_t key[FC_PUBLICKEYBYTES]);
/*
 * The recorded grants and revocations, for listing (`fenghuo keys`), in the order they were
 * recorded (sort them to group by key). The pointers stay valid until the next
 * fc_trust_add*() or fc_trust_free(). NULL when i is not below the count.
 */
size_t		 fc_trust_grant_count(const struct fc_trust *t);
const struct fc_grant *fc_trust_grant(const struct fc_trust *t, size_t i);
size_t		 fc_trust_revocation_count(const struct fc_trust *t);
const struct fc_revocation *fc_trust_revocation(const struct fc_trust *t, size_t i);

/* Verdicts of fc_policy_check() and fc_trust_holds(). */
#define FC_POLICY_ACCEPT	0
#define FC_POLICY_REJECT	1
#define FC_POLICY_HOLD		2	/* the author's chain is not known yet: keep and retry */

/* Why. Codes and names are stable (logs, counters, JSON, docs/TRUST.md). */
enum fc_policy_reason {
	FC_POLICY_R_OK = 0,
	FC_POLICY_R_NO_CHAIN,		/* HOLD: no certificate known for a key on the chain */
	FC_POLICY_R_ROLE,		/* no grant of the role the message needs */
	FC_POLICY_R_SCOPE,		/* the role is granted, but not for this region */
	FC_POLICY_R_CERT_EXPIRED,	/* the grant ended before the message was created */
	FC_POLICY_R_CERT_NOT_YET,	/* the grant starts after the message was created */
	FC_POLICY_R_REVOKED,		/* the author was revoked before it created the message */
	FC_POLICY_R_ISSUER_REVOKED,	/* a key up the chain was revoked before it granted */
	FC_POLICY_R_ISSUER_NOT_ADMIN,	/* a grant's author was not an admin over its scope */
	FC_POLICY_R_LOOP,		/* the chain leads back to itself, never to an anchor */
	FC_POLICY_R_DEPTH,		/* more than FC_TRUST_MAX_DEPTH certificates to an anchor */
	FC_POLICY_R_COMPLEX,		/* evaluation exceeded its work bound (fails closed) */
	FC_POLICY_R_MALFORMED,		/* kind or fields the policy cannot judge */
	FC_POLICY_R_MAX
};

/* Flags of a verdict. */
#define FC_POLICY_F_REVOKED_LATER 0x1u	/* accepted, but the author was revoked afterwards */
#define FC_POLICY_F_ANCHOR	0x2u	/* the author is a trust anchor */

struct fc_policy_verdict {
	int		 verdict;	/* FC_POLICY_ACCEPT, _REJECT or _HOLD */
	int		 reason;	/* enum fc_policy_reason; FC_POLICY_R_OK when accepted */
	uint32_t	 flags;		/* FC_POLICY_F_* */
	/* HOLD: the key whose certificate is awaited (the author or a key up its chain). */
	uint8_t		 missing[FC_PUBLICKEYBYTES];
	/*
	 * ACCEPT: the ids of the grants that make up the chain, the author's own first and the
	 * one an anchor signed last; chain_len 0 when the author is an anchor. For a warning
	 * with several areas, the chain of the first area.
	 */
	size_t		 chain_len;
	uint8_t		 chain[FC_TRUST_MAX_DEPTH][FC_IDBYTES];
};

/*
 * Judge a validated message against the trust state (docs/TRUST.md has the rules):
 *   WARNING           issuer for every area prefix it names
 *   REPORT            reporter for its region
 *   RECEIPT           registered..closed: verifier for its region (everywhere if absent);
 *                     delivered: node, in any region
 *   CERT              admin over the granted scope
 *   REVOKE            an anchor, the subject itself (once a grant of it is known), or an
 *                     admin (it voids only the subject's grants inside the admin's scope)
 *   ANNOUNCE          node, in any region
 * Anchors may send anything. Roles are judged at the message's created time (this node's
 * now_ms for a message flagged FC_MSG_CLOCK_SKEW). Fills *out and returns out->verdict.
 * On HOLD the caller keeps the message (struct fc_held, keyed by out->missing) and checks
 * it again when a CERT for that key is recorded.
 */
int		 fc_policy_check(const struct fc_trust *t, const struct fc_msg *msg,
		    uint64_t now_ms, struct fc_policy_verdict *out);
/*
 * Does key hold role (a Fenghuo__Role) over region prefix scope at time at_ms? scope NULL
 * means "in any region" (e.g. "is it a node at all"). Fills *out and returns out->verdict,
 * as fc_policy_check() does. For the CLI (`fenghuo keys`) and the ZAP handler.
 */
int		 fc_trust_holds(const struct fc_trust *t, const uint8_t key[FC_PUBLICKEYBYTES],
		    int role, const char *scope, uint64_t at_ms, struct fc_policy_verdict *out);
/*
 * May author revoke subject's key at at_ms? The REVOKE rule of fc_policy_check(): an anchor
 * may; a key may revoke itself once a grant of it is known (HOLD until then); anyone else
 * must be an admin somewhere (its revocation then voids only the subject's grants inside its
 * own scope: fc_revocation_counts()). Fills *out and returns out->verdict. For the CLI's
 * advice before it signs a revocation.
 */
int		 fc_policy_may_revoke(const struct fc_trust *t,
		    const uint8_t author[FC_PUBLICKEYBYTES], const uint8_t subject[FC_PUBLICKEYBYTES],
		    uint64_t at_ms, struct fc_policy_verdict *out);
/*
 * Does the closed-loop receipt (stage registered..closed) count for a report of region
 * report_region? Yes when its author held verifier over the report's region at the
 * receipt's created time: fc_policy_check() can only judge the region the receipt names
 * (the report may not have arrived yet), so a verifier of one township could name its own
 * region on a receipt for another township's report; such a receipt is valid and stored,
 * and does not count. Returns 1 or 0 (also for another stage, or no author).
 */
int		 fc_policy_receipt_counts(const struct fc_trust *t, const Fenghuo__Body *receipt,
		    const char *report_region);
/*
 * May the warning `change` (an UPDATE or CANCEL referring to `target`) change the warning
 * `target`? Yes when the change's author held issuer, at the change's created time, for
 * every area of the target: the office corrects its own warning, the county may withdraw a
 * township's, but a township issuer cannot cancel a county-wide warning by naming its own
 * township, and a revoked issuer changes nothing after its revocation. t NULL (open mode,
 * no policy): the same author, or the change's areas cover each area of the target. Both
 * bodies must be validated warnings; returns 1 or 0. Pure, like the rest: the answer needs
 * both messages and so is asked when both are at hand (display, delivery receipts), never
 * at arrival, which would make it depend on arrival order.
 */
int		 fc_policy_may_change(const struct fc_trust *t, const Fenghuo__Body *change,
		    const Fenghuo__Body *target);
/*
 * The identity behind a CurveZMQ transport key, for the ZAP handler: looks for a grant that
 * carries transport_key and itself makes its subject a node at at_ms (node role, valid, not
 * revoked, chained to an anchor). Copies that subject to subject and returns 0, or returns -1
 * when there is none.
 */
int		 fc_trust_node_by_transport(const struct fc_trust *t,
		    const uint8_t transport_key[32], uint64_t at_ms,
		    uint8_t subject[FC_PUBLICKEYBYTES]) FC_WARN_UNUSED;
/*
 * The state of one grant at a time, as `fenghuo keys` and `fenghuo show` list it. Codes and
 * names are stable (JSON, docs/CLI.md).
 */
enum fc_grant_st {
	FC_GRANT_VALID = 0,	/* its chain reaches an anchor and it is in force */
	FC_GRANT_NOT_YET,	/* at_ms is before its not_before */
	FC_GRANT_EXPIRED,	/* at_ms is at or after its not_after */
	FC_GRANT_REVOKED,	/* a revocation that counts against it took effect by at_ms */
	FC_GRANT_UNVERIFIED,	/* its issuer's own chain is not known here (yet) */
	FC_GRANT_INVALID,	/* its issuer was no admin over its scope when it granted, or
				   was revoked by then; or the chain loops, is too deep or
				   too complex to judge */
	FC_GRANT_MAX
};

struct fc_grant_status {
	int		 state;		/* enum fc_grant_st */
	/*
	 * Why, as the policy would say of a message under this grant: FC_POLICY_R_OK,
	 * _CERT_NOT_YET, _CERT_EXPIRED, _REVOKED, _NO_CHAIN, _ISSUER_REVOKED,
	 * _ISSUER_NOT_ADMIN, _LOOP, _DEPTH or _COMPLEX.
	 */
	int		 reason;
	/*
	 * The earliest time from which a revocation that counts voids the grant (also when
	 * that is after at_ms), and that revocation (valid as fc_trust_revocation()'s); or
	 * UINT64_MAX and NULL. Not looked for when the grant is FC_GRANT_INVALID.
	 */
	uint64_t	 revoked_from;
	const struct fc_revocation *revocation;
	/* FC_GRANT_UNVERIFIED: the key up the chain whose certificate is awaited. */
	uint8_t		 missing[FC_PUBLICKEYBYTES];
};

/*
 * Judge grant g (one of t's, or any other) on its own at time at_ms: could its subject act
 * under it now? The steps and their answers are those fc_policy_check() uses for a message
 * under g (its window, its issuer's authority when it granted, the revocations that count),
 * so what this calls valid the policy accepts. When several states apply, the first of
 * INVALID, REVOKED, EXPIRED, NOT_YET, UNVERIFIED is reported. Fills *out and returns
 * out->state (FC_GRANT_INVALID, reason _COMPLEX, when out of memory).
 */
int		 fc_grant_state(const struct fc_trust *t, const struct fc_grant *g,
		    uint64_t at_ms, struct fc_grant_status *out);
/* Stable short name of an enum fc_grant_st: "valid", "not-yet-valid", "revoked", ... */
const char	*fc_grant_state_name(int state);
/*
 * 1 if revocation r voids grant g: r's author is an anchor, g's subject itself, or held
 * admin over g's scope when it revoked (docs/TRUST.md, Revocation); else 0 (also when r is
 * of another key). g NULL: whether r voids every grant of its subject whatever their scope
 * (by an anchor or by the subject itself).
 */
int		 fc_revocation_counts(const struct fc_trust *t, const struct fc_revocation *r,
		    const struct fc_grant *g);
/* Stable short name ("no-chain", "out-of-scope", ...) and a sentence, of a policy reason. */
const char	*fc_policy_reason_name(int reason);
const char	*fc_policy_reason_text(int reason);

/*
 * Held messages: envelopes whose author's chain has not arrived yet, kept in memory with a
 * bound on count and bytes and an expiry, so that gossip's lack of order costs nothing and a
 * flood of messages by strangers costs at most the bound. When full, the oldest entry is
 * evicted (and counted). Pure data, like struct fc_trust.
 */
struct fc_held;

/* One held message, as handed back by fc_held_take(). */
struct fc_held_entry {
	uint8_t		 id[FC_IDBYTES];
	uint8_t		 wait_key[FC_PUBLICKEYBYTES];	/* whose certificate it waits for */
	uint64_t	 held_ms;	/* when it was first held: pass it back when re-holding */
	uint8_t		*env;		/* the serialized envelope (malloc()ed) */
	size_t		 len;
};

struct fc_held_stats {
	size_t		 count;		/* entries held now */
	size_t		 bytes;		/* envelope bytes held now */
	uint64_t	 added;		/* entries ever added */
	uint64_t	 evicted;	/* dropped to make room */
	uint64_t	 expired;	/* dropped by fc_held_expire() */
	uint64_t	 refused;	/* larger than max_bytes on their own */
	uint64_t	 taken;		/* handed back by fc_held_take() */
};

/*
 * A held-message buffer of at most max_count entries and max_bytes envelope bytes; an entry
 * expires ttl_ms after it was first held. Returns NULL when out of memory or when a bound is
 * 0. Free with fc_held_free().
 */
struct fc_held	*fc_held_new(size_t max_count, size_t max_bytes, uint64_t ttl_ms);
void		 fc_held_free(struct fc_held **h);
/*
 * Hold a copy of the envelope env/len (id is its id) until a certificate for wait_key
 * arrives (verdict.missing). held_ms is now for a new message, or the entry's held_ms when
 * holding a taken one again, so that re-holding never extends its life. An id already held
 * only has its wait_key updated. Evicts the oldest entries as needed. Returns 0, FC_ENOMEM,
 * or E2BIG when len alone exceeds max_bytes (counted as refused).
 */
int		 fc_held_add(struct fc_held *h, const uint8_t *env, size_t len,
		    const uint8_t id[FC_IDBYTES], const uint8_t wait_key[FC_PUBLICKEYBYTES],
		    uint64_t held_ms);
/*
 * Remove and hand back every entry waiting for key, oldest first. *out is a malloc()ed
 * array of *n entries (NULL when none) owned by the caller: fc_held_entries_free(). Returns
 * 0 or FC_ENOMEM (then nothing is removed).
 */
int		 fc_held_take(struct fc_held *h, const uint8_t key[FC_PUBLICKEYBYTES],
		    struct fc_held_entry **out, size_t *n);
void		 fc_held_entries_free(struct fc_held_entry **entries, size_t n);
/* Drop every entry held for ttl_ms or longer at now_ms. Returns how many were dropped. */
size_t		 fc_held_expire(struct fc_held *h, uint64_t now_ms);
void		 fc_held_stats(const struct fc_held *h, struct fc_held_stats *out);

/* anchors.c */

/* Longest line of an anchors file (newline excluded); room for any error message. */
#define FC_ANCHORS_LINE_MAX	1024
#define FC_ANCHORS_ERRMAX	(4096 + FC_ANCHORS_LINE_MAX + 64)
/*
 * Read the anchors file at path (<state>/anchors: one trust anchor per line as 64 hex
 * digits, '#' starts a comment, a comment on a key's own line is the key's name, blanks
 * around either are ignored): the one reader fenghuod and the CLI share, so that they can
 * never disagree about which keys it names. Appends each key not yet among the *n keys
 * of *keys (a malloc()ed array, grown as needed; *keys NULL and *n 0 to start) and, when
 * names is not NULL, its name to the array *names kept parallel to *keys (a strdup()ed
 * comment, or NULL). The caller frees both arrays and each name.
 *
 * Returns 0, also when the file does not exist (nothing is appended: no anchors). Else
 * FC_EANCHORS for a malformed line (too long, or not a public key), FC_ENOMEM, or an errno
 * when the file cannot be read; then *n is as it was (the arrays may have been reallocated)
 * and err (errlen bytes, may be 0) holds the message, as "path:line: what" for a bad line or
 * "path: what" otherwise. Nothing is printed.
 */
int		 fc_anchors_read(const char *path, uint8_t (**keys)[FC_PUBLICKEYBYTES],
		    char ***names, size_t *n, char *err, size_t errlen);

/* ---- tkey.c: the transport key (Curve25519, for CurveZMQ) ---------------------------- */

/*
 * A node's transport key pair: Curve25519, as CurveZMQ uses, separate from the Ed25519
 * signing key and never derived from it. The node's CERT carries the public half
 * (Cert.transport_key). zmq_setsockopt() takes the 32 binary bytes of fc_tkey_public() and
 * fc_tkey_secret() for ZMQ_CURVE_PUBLICKEY / ZMQ_CURVE_SECRETKEY, and a peer's public key for
 * ZMQ_CURVE_SERVERKEY; no Z85 text is needed. The key file is "FHTK", version 1, 69 bytes,
 * mode 0600 (crypto/tkey.c has the layout).
 */
#define FC_TKEYBYTES	32

struct fc_tkey;

/* Generate a new transport key pair. *out is owned by the caller: fc_tkey_free(). */
int		 fc_tkey_generate(struct fc_tkey **out) FC_WARN_UNUSED;
/* The pair of a given 32-byte secret key (tests, fixed keys). Caller frees *out. */
int		 fc_tkey_from_secret(const uint8_t secret[FC_TKEYBYTES], struct fc_tkey **out)
		    FC_WARN_UNUSED;
/*
 * Load a transport key file. Refuses (FC_EKEYPERM) a file that group or others can access
 * and (FC_EKEYFMT) one of the wrong size, magic or version, or whose public half does not
 * belong to its secret half; a signing key file is refused too. ENOENT when it does not exist.
 */
int		 fc_tkey_load(const char *path, struct fc_tkey **out) FC_WARN_UNUSED;
/* Write the key pair to path with mode 0600; fails if path exists (EEXIST). */
int		 fc_tkey_save(const struct fc_tkey *key, const char *path) FC_WARN_UNUSED;
/*
 * Load path, or when it does not exist generate a new pair and save it there (first start,
 * as sshd makes host keys). *created (may be NULL) says which happened.
 */
int		 fc_tkey_load_or_create(const char *path, struct fc_tkey **out, int *created)
		    FC_WARN_UNUSED;
/* Wipe and free the key; sets *key to NULL. NULL is fine. */
void		 fc_tkey_free(struct fc_tkey **key);
/* The 32-byte public key; valid as long as the key. */
const uint8_t	*fc_tkey_public(const struct fc_tkey *key);
/*
 * The 32-byte secret key, for zmq_setsockopt(ZMQ_CURVE_SECRETKEY) only (libzmq copies it);
 * valid as long as the key. WARNING: it lives in read-only sodium_malloc() memory; never
 * copy it anywhere else, log it or write to it.
 */
const uint8_t	*fc_tkey_secret(const struct fc_tkey *key);

#endif /* FH_CRYPTO_H */
