/*
 * sec.h: node/'s link security building blocks: the ZAP handler
 * that decides which CurveZMQ clients may connect (zap.c), the admission rule it applies and
 * the CURVE socket options (sec.c), and token-bucket rate limits (bucket.c).
 *
 * These are separate from the event loop so that each can be tested alone; the daemon owns
 * every object made here and calls them from its one poll-loop thread.
 */
#ifndef FH_NODE_SEC_H
#define FH_NODE_SEC_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

/* ---- bucket.c: token buckets and a bounded table of them ------------------------------- */

/*
 * A rate: per_sec tokens a second, at most burst tokens saved up. per_sec 0 means unlimited
 * (every take succeeds). Tokens are whatever the caller counts: frames, messages, bytes.
 */
struct bucket_rate {
	uint32_t	 per_sec;
	uint32_t	 burst;
};

/* One bucket. Plain data: embed it where it belongs (e.g. in struct peer). */
struct bucket {
	uint64_t	 milli;		/* tokens now, in thousandths */
	uint64_t	 last_ms;	/* monotonic time of the last refill */
};

/* Start b full at now_ms (a monotonic clock in ms, e.g. the loop's now). */
void		 bucket_init(struct bucket *b, const struct bucket_rate *r,
		    uint64_t now_ms);
/*
 * Take n tokens at now_ms: 1 if they were there (and are taken), 0 if not (nothing is
 * taken). n larger than r->burst never passes, unless the rate is unlimited.
 */
int		 bucket_take(struct bucket *b, const struct bucket_rate *r,
		    uint64_t now_ms, uint32_t n);
/* Milliseconds from now_ms until n tokens are there: 0 now, UINT64_MAX never (n > burst). */
uint64_t	 bucket_wait_ms(const struct bucket *b, const struct bucket_rate *r,
		    uint64_t now_ms, uint32_t n);

#define BUCKET_KEYBYTES	32		/* table keys: Ed25519 or Curve25519 public keys */
#define BUCKET_TABLE_MAX	(1u << 24)	/* largest max accepted by bucket_table_new() */

struct bucket_table;

struct bucket_stats {
	size_t		 count;		/* keys tracked now */
	uint64_t	 allowed;	/* bucket_table_take() calls that passed */
	uint64_t	 refused;	/* ... that were refused: the drop counter */
	uint64_t	 evicted;	/* keys dropped, least recently used first, to make room */
};

/*
 * A table of at most max buckets (1..BUCKET_TABLE_MAX), all with the given rate, keyed by
 * 32-byte keys. Returns NULL when out of memory or max is out of range. Free with
 * bucket_table_free(), which sets *t to NULL (NULL is fine).
 */
struct bucket_table *bucket_table_new(size_t max, const struct bucket_rate *rate);
void		 bucket_table_free(struct bucket_table **t);
/*
 * Take n tokens from key's bucket at now_ms: 1 if allowed, 0 if refused (counted in
 * stats.refused). A key not in the table gets a full bucket, evicting the least recently
 * used key when the table is full. With an unlimited rate nothing is tracked.
 */
int		 bucket_table_take(struct bucket_table *t, const uint8_t key[BUCKET_KEYBYTES],
		    uint64_t now_ms, uint32_t n);
/*
 * key's bucket, created full at now_ms if new (*created, which may be NULL, says so), and
 * now the most recently used. The pointer is valid until the next bucket_table_get(),
 * bucket_table_take() or bucket_table_remove(). Also serves as a bounded "seen recently" set.
 */
struct bucket *bucket_table_get(struct bucket_table *t, const uint8_t key[BUCKET_KEYBYTES],
		    uint64_t now_ms, int *created);
/* Forget key (a peer that went away). 1 if it was there, else 0. */
int		 bucket_table_remove(struct bucket_table *t, const uint8_t key[BUCKET_KEYBYTES]);
/* Change the rate of every bucket (config reload); a smaller burst applies at once. */
void		 bucket_table_set_rate(struct bucket_table *t, const struct bucket_rate *rate);
const struct bucket_rate *bucket_table_rate(const struct bucket_table *t);
void		 bucket_table_stats(const struct bucket_table *t, struct bucket_stats *out);

/* ---- zap.c: the ZAP handler (RFC 27) ------------------------------------------------- */

/*
 * WARNING: libzmq admits every CURVE client when no ZAP handler is bound at
 * inproc://zeromq.zap.01 in the socket's context. zap_open() must succeed before any CURVE
 * server socket binds, and the daemon must refuse to run when it fails
 * (tests/node/test_zap.c proves both halves).
 */
#define ZAP_ENDPOINT		"inproc://zeromq.zap.01"
#define ZAP_USER_ID_MAX		128	/* user id bytes, with the NUL */
#define ZAP_BUDGET		64	/* requests answered per zap_handle() call */

/* One request, as zap_handle() hands it to the check function. Valid during the call. */
struct zap_request {
	const char	*domain;	/* ZMQ_ZAP_DOMAIN of the server socket; may be "" */
	const char	*address;	/* the client's IP address, as text */
	const uint8_t	*client_key;	/* FC_TKEYBYTES: the client's CURVE public key */
};

#define ZAP_DENY	0
#define ZAP_ALLOW	1

/*
 * Decide one CURVE client: return ZAP_ALLOW after writing the user id (a NUL-terminated
 * string shorter than ZAP_USER_ID_MAX; it shows as "User-Id" on every message of the
 * connection, zmq_msg_gets()), or ZAP_DENY. Runs on the loop thread inside zap_handle().
 */
typedef int	(*zap_check_fn)(void *arg, const struct zap_request *req,
		    char user_id[ZAP_USER_ID_MAX]);

struct zap;

struct zap_stats {
	uint64_t	 allowed;	/* 200 replies */
	uint64_t	 denied;	/* 400: refused by check, or not CURVE */
	uint64_t	 malformed;	/* 500: not a well-formed ZAP 1.0 request */
	uint64_t	 errors;	/* replies that could not be sent */
};

/*
 * Bind the ZAP handler socket (a ZMQ_REP at ZAP_ENDPOINT) in zmq_ctx. check decides each
 * request, with arg. Returns NULL with errno set on failure (EADDRINUSE: a handler is
 * already bound in this context). The caller owns the result: zap_close().
 */
struct zap	*zap_open(void *zmq_ctx, zap_check_fn check, void *arg);
/* The socket to put in the loop's zmq_pollitem_t array (ZMQ_POLLIN). */
void		*zap_socket(struct zap *zap);
/*
 * Answer the pending requests, at most ZAP_BUDGET, without blocking: 200 with the check's
 * user id, 400 when the check denies or the mechanism is not CURVE, 500 for a malformed
 * request. Returns the number answered (0 when none was pending).
 */
int		 zap_handle(struct zap *zap);
void		 zap_stats(const struct zap *zap, struct zap_stats *out);
/* Close the socket and free zap; sets *zap to NULL (NULL is fine). */
void		 zap_close(struct zap **zap);

/* ---- sec.c: who may connect, and the CURVE socket options ---------------------------- */

/* Results of sec_transport_allowed(). */
enum sec_admission {
	SEC_REFUSED_UNKNOWN,	/* no valid node certificate carries the key, not in config */
	SEC_REFUSED_REVOKED,	/* the key's node was revoked (even if listed in config) */
	SEC_ADMITTED_NODE,	/* a valid node certificate carries it: identity known */
	SEC_ADMITTED_BOOTSTRAP,	/* listed in the config for bootstrap, no certificate yet */
};
#define SEC_ADMITTED(r)	((r) == SEC_ADMITTED_NODE || (r) == SEC_ADMITTED_BOOTSTRAP)

/*
 * May a link with CURVE public key tkey exist at now_ms (ms since the epoch)? Admitted when
 * a grant in t carries tkey and makes its subject a node now (node_key_out gets the
 * subject's Ed25519 key), or else when tkey is one of the nbootstrap keys of the config.
 * A key whose certified node was revoked is refused even when listed in the config. t may
 * be NULL (only the config counts). node_key_out is zeroed unless SEC_ADMITTED_NODE.
 */
int		 sec_transport_allowed(const struct fc_trust *t,
		    const uint8_t (*bootstrap)[FC_TKEYBYTES], size_t nbootstrap,
		    const uint8_t tkey[FC_TKEYBYTES], uint64_t now_ms,
		    uint8_t node_key_out[FC_PUBLICKEYBYTES]);
const char	*sec_admission_name(int admission);	/* "node", "revoked", ... */
/*
 * The transport key to expect from node node_key when dialling it (ZMQ_CURVE_SERVERKEY):
 * the key carried by a grant to node_key that makes it a node at now_ms, i.e. the key
 * sec_transport_allowed() would admit as that node. 0 and tkey_out, or -1 when the trust
 * state has none (then only a key from the config can be used).
 */
int		 sec_transport_of_node(const struct fc_trust *t,
		    const uint8_t node_key[FC_PUBLICKEYBYTES], uint64_t now_ms,
		    uint8_t tkey_out[FC_TKEYBYTES]);

/*
 * The ZAP user id of an admitted link: the 64 lowercase hex digits of the node's Ed25519
 * key, or "bootstrap:" and the 64 hex digits of the transport key.
 */
#define SEC_UID_BOOTSTRAP	"bootstrap:"
/*
 * Read a ZAP user id back (from zmq_msg_gets(msg, "User-Id")): 1 and node_key for a
 * certified node, 0 for a bootstrap link (node_key zeroed), -1 for anything else.
 */
int		 sec_user_id_parse(const char *uid, uint8_t node_key[FC_PUBLICKEYBYTES]);

/*
 * The state sec_zap_check() decides with. The daemon fills it, keeps it alive as long as
 * the struct zap, and sets now_ms (wall clock, ms since the epoch) before each zap_handle().
 * trust may change between calls (it is only read).
 */
struct sec_admit {
	const struct fc_trust	 *trust;	/* may be NULL */
	const uint8_t		(*bootstrap)[FC_TKEYBYTES];
	size_t			  nbootstrap;
	uint64_t		  now_ms;
	/* Refused keys already logged, so each is logged once (bounded); NULL: log each. */
	struct bucket_table	 *logged;
	uint64_t		  refused_unknown, refused_revoked;
	uint64_t		  admitted_node, admitted_bootstrap;
	uint64_t		  refusals_logged;	/* log lines written */
};

/* A zap_check_fn over a struct sec_admit (arg): sec_transport_allowed() and logging. */
int		 sec_zap_check(void *arg, const struct zap_request *req,
		    char user_id[ZAP_USER_ID_MAX]);

/*
 * Make sock a CURVE server with key k. Refuses (EINVAL, nothing set) when zap is NULL: a
 * CURVE server without a ZAP handler admits everyone. Returns 0 or an errno value.
 */
int		 sec_curve_server(void *sock, const struct fc_tkey *k, const struct zap *zap);
/* Make sock a CURVE client with key k, for the server whose public key is server_key. */
int		 sec_curve_client(void *sock, const struct fc_tkey *k,
		    const uint8_t server_key[FC_TKEYBYTES]);

#endif /* FH_NODE_SEC_H */
