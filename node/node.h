/*
 * node.h: the one header of node/, the daemon fenghuod.
 *
 * One thread runs one poll loop (DESIGN decision 13) over every ZeroMQ socket of a struct
 * node: a ROUTER per listen endpoint (inbound peers), a DEALER per configured peer (outbound),
 * the control ROUTER, and a monitor socket per DEALER. Everything hangs off struct node, so a
 * test can run several nodes in one process; the only globals are the log level (log.c) and
 * the signal flag owned by main.c.
 *
 * Prototypes are grouped by the file that defines them, as in OpenBSD's ntpd.h.
 */
#ifndef FH_NODE_H
#define FH_NODE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto.h"
#include "store.h"
#include "ingest.h"
#include "wire.h"
#include "sec.h"

#define NODE_NAME_MAX		63	/* node and peer names, bytes */
#define NODE_ADDR_MAX		255	/* endpoint strings, bytes */
#define NODE_RID_MAX		255	/* ZeroMQ routing ids, bytes */

#define NODE_PING_MS		10000	/* PING a link idle this long */
#define NODE_PING_HEARD_MS	15000	/* ... a stream link we heard nothing from this long */
#define NODE_DEAD_MS		30000	/* a link silent this long is down */
#define NODE_HELLO_RETRY_MS	3000	/* re-send HELLO when unanswered this long */
#define NODE_REFUSED_RETRY_MS	60000	/* try a refused link again after this long */
#define NODE_CRON_MS		1000	/* the longest the loop sleeps */
#define NODE_SNDHWM		64	/* ZeroMQ send queue, frames: priority is ours */
#define NODE_LINGER_MS		200
#define NODE_RECONNECT_MS	100	/* first reconnect delay ... */
#define NODE_RECONNECT_MAX_MS	10000	/* ... doubling up to this */
#define NODE_PEERS_MAX		256	/* configured + inbound */
#define NODE_WATCH_MAX		64	/* control clients subscribed to events */
#define NODE_WATCH_MS		60000	/* a watch subscription lasts this long */
#define NODE_READ_BUDGET	128	/* frames read from one socket per loop pass */
#define NODE_PEND_MAX		4096	/* envelopes gathered for one group commit */
#define NODE_PEND_BYTES		(32u * 1024 * 1024)
#define NODE_PUSH_MAX		64	/* envelopes per PUSH frame */
#define NODE_PUSH_BYTES		(256u * 1024)	/* bytes of envelopes per PUSH frame */
#define NODE_WANT_MAX		1024	/* ids per WANT/HAVE frame */
#define NODE_STREAM_PUSH_MAX	16	/* envelopes (whole ids) per PUSH (HAVE), stream link */
#define NODE_STREAM_PUSH_MTUS	4	/* ... and at most this many MTUs of them */
#define NODE_STREAM_WANT_MAX	32	/* ids per WANT frame on a stream link */
/* Envelope bytes gathered for one deflated PUSH at most: it must stay deflatable. */
#define NODE_STREAM_DEFLATE_GATHER	(WIRE_DEFLATED_MAX - 16 * 1024)
#define NODE_STREAM_SYNC_MAX	4096	/* Sync payload on a stream link, at most */
#define NODE_SYNC_IDLE_MS	30000	/* a round with no Sync frame this long is over */
#define NODE_GRAFT_MS		1000	/* wait this long for an eager copy of a HAVE'd id */
#define NODE_MISSING_MAX	4096	/* HAVE'd ids waiting for that */
#define NODE_SYNC_DEFER_MS	2000	/* higher-key dialler: wait for the peer's own dial */
#define NODE_UPSTREAM_WINDOW	64	/* "recently first": among the last this many new msgs */

/* Hello.capabilities bits. */
#define CAP_EAGER		0x1u	/* send me full messages */
#define CAP_LAZY		0x2u	/* send me ids (HAVE) only */
#define CAP_SHORT_IDS		0x4u	/* I read HAVE/WANT short_ids (stream links) */
#define CAP_DEFLATE		0x8u	/* I read Frame.deflated (stream links) */
#define CAP_COMPACT_RECEIPTS	0x10u	/* I read Frame.receipts (stream links) */

/* Compact receipts: records of one Frame.receipts read, at most (each costs lookups). */
#define CRECEIPT_READ_MAX	NODE_PUSH_MAX
/* Records whose warning is not stored yet wait (it may be in the same pass), at most: */
#define CRECEIPT_WAIT_MAX	256
#define CRECEIPT_WAIT_MS	30000	/* ... for this long */

/* HAVE/WANT short_ids: this many leading bytes of each id (PROTOCOL.md §5). */
#define SHORTID_BYTES		8

#define PQ_MAX_ITEMS		32768	/* default bound of one peer's send queue */
#define PQ_MAX_BYTES		(32u * 1024 * 1024)

/* ---- log.c --------------------------------------------------------------------------- */

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

#define LOG_PRINTF(a, b)	__attribute__((format(printf, a, b)))

/* The level is process-wide (several in-process nodes share stderr anyway). */
/* Set the level; lines carry a timestamp unless stderr is systemd's journal. */
void		 log_init(int level);
void		 log_setlevel(int level);
int		 log_getlevel(void);
int		 log_level_parse(const char *name);	/* -1 if unknown */
const char	*log_level_name(int level);
void		 log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);	/* appends strerror */
void		 log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void		 log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void		 log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void		 fatal(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
void		 fatalx(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));

/*
 * A rate limit for one kind of log line whose cause may repeat on every frame (a peer's
 * garbage, a flood): at most one line per LOG_LIMIT_MS, the events in between counted.
 * Zeroed means "nothing logged yet". Not thread-safe (each belongs to one node's loop).
 */
#define LOG_LIMIT_MS		60000
struct log_limit {
	uint64_t	 last_ms;	/* monotonic ms of the last line logged, 0: none yet */
	uint64_t	 suppressed;	/* events not logged since that line */
};
/*
 * An event at now_ms (monotonic): 1 when its line may be logged now (then *suppressed,
 * unless NULL, is the number of events not logged since the previous line, and the count
 * starts again); 0 when it is to be left out (counted in l->suppressed).
 */
int		 log_limit_ok(struct log_limit *l, uint64_t now_ms, uint64_t *suppressed);

/* ---- config.c ------------------------------------------------------------------------ */

struct conf_peer {
	char		*name;		/* first, in both [peer] and [link] (config.c) */
	char		*address;	/* one endpoint */
	uint8_t		 key[FC_PUBLICKEYBYTES];
	/* transport = HEX, its CurveZMQ server key and a bootstrap admission */
	uint8_t		 transport[FC_TKEYBYTES];
	int		 has_transport;
};

/* A [link NAME] section: a framed stream link (stream.c; docs/CONFIG.md). */
struct conf_link {
	char		*name;		/* first, as in conf_peer */
	int		 type;		/* enum stream_kind; 0 until given */
	uint8_t		 key[FC_PUBLICKEYBYTES];	/* the node at the other end */
	size_t		 mtu;		/* 0: the type's default */
	uint64_t	 bitrate;	/* bits/s; 0 unpaced */
	int		 bitrate_set;
	char		*local;		/* udp: HOST:PORT to bind */
	char		*remote;	/* udp: HOST:PORT of the other end */
	char		*device;	/* serial */
	unsigned	 baud;		/* serial */
};
#define CONF_LINK_MTU_UDP	1200
#define CONF_LINK_MTU_SERIAL	256
#define CONF_LINK_BAUD		9600
#define CONF_LINKS_MAX		16

/* A [hook NAME] section: a program run for new messages (hook.c; docs/CONFIG.md). */
struct conf_hook {
	char		*name;		/* first, as in conf_peer */
	int		 on;		/* HOOK_ON_*; 0 until given */
	char		*command;	/* absolute program and arguments, split by hook_argv_split */
	char		*region;	/* a region prefix, or NULL: everywhere */
	int		 min_level;	/* warnings of this Level and above; 0: any */
	int		 status;	/* a Status, or HOOK_STATUS_ANY */
	int		 format;	/* HOOK_FMT_* */
	unsigned	 timeout;	/* seconds */
	unsigned	 max_running;
	unsigned	 overdue_after;	/* seconds (on = overdue) */
};
#define HOOK_ON_WARNING		1
#define HOOK_ON_REPORT		2
#define HOOK_ON_OVERDUE		3
#define HOOK_STATUS_ANY		0
#define HOOK_FMT_JSON		1
#define HOOK_FMT_CAP		2	/* OASIS CAP 1.2 */
#define HOOK_FMT_CAP_CN		3	/* CAP, the national profile */
#define CONF_HOOKS_MAX		16
#define CONF_HOOK_TIMEOUT	30
#define CONF_HOOK_RUNNING	2
#define CONF_HOOK_OVERDUE	1800	/* duty's default: 30 minutes */

/* the [limits] section (limits.c applies it; docs/CONFIG.md). */
struct conf_limits {
	struct bucket_rate	 peer;		/* frames from one peer */
	struct bucket_rate	 author;	/* new messages by one author (not warnings) */
	size_t		 authors_max;	/* authors tracked at once */
	size_t		 queue_items;	/* one peer's send queue */
	size_t		 queue_bytes;
	uint64_t	 store_max_bytes;	/* store quota (store_evict); 0: none */
};
#define CONF_PEER_FRAMES_PER_SEC	1000
#define CONF_PEER_FRAMES_BURST		10000
#define CONF_AUTHOR_PER_SEC		50
#define CONF_AUTHOR_BURST		5000
#define CONF_AUTHORS_MAX		65536
#define CONF_STORE_MAX_BYTES		((uint64_t)2 << 30)

struct conf {
	char		*path;
	char		*name;
	char		*region;
	char		*keypath;
	char		*state;
	char		**listen;	/* endpoints to bind */
	size_t		 nlisten;
	unsigned	 sync_interval;	/* seconds */
	int		 log_level;	/* enum log_level */
	int		 plumtree;	/* push = plumtree: eager/lazy push (gossip.c) */
	int		 confirm_warnings;	/* sign DELIVERED receipts (deliver.c); default 1 */
	struct conf_peer *peers;
	size_t		 npeers;
	struct conf_link *links;	/* [link NAME] sections */
	size_t		 nlinks;
	/* [node] announce, max_discovered, reroute_after (px.c) */
	char		**announce;	/* endpoints to announce; none when announce_set */
	size_t		 nannounce;	/*   and nannounce == 0 (announce = none) */
	int		 announce_set;
	unsigned	 max_discovered;	/* PX_MAX_DISCOVERED_DEFAULT unless set */
	int		 max_discovered_set;
	unsigned	 reroute_after;	/* seconds; 0 = 2 x NODE_DEAD_MS */
	/* [trust], see docs/CONFIG.md; <state>/anchors is read by trust.c */
	uint8_t		(*anchors)[FC_PUBLICKEYBYTES];	/* anchors = HEX,HEX */
	size_t		 nanchors;
	int		 trust_open;	/* open = yes: no policy (tests and labs) */
	size_t		 held_max;	/* held messages, at most */
	size_t		 held_bytes;	/* held envelope bytes, at most */
	/* transport key, inbound bootstrap keys, [limits] */
	char		*tkeypath;	/* transport_key = FILE; NULL: <state>/transport.key */
	uint8_t		(*allow)[FC_TKEYBYTES];	/* allow = HEX,HEX */
	size_t		 nallow;
	struct conf_limits limits;
	struct conf_hook *hooks;	/* [hook NAME] sections */
	size_t		 nhooks;
};

#define CONF_STATE_DEFAULT	"/var/lib/fenghuo"
#define CONF_SYNC_DEFAULT	60
#define CONF_SYNC_MAX		86400
#define CONF_HELD_MAX_DEFAULT	10000
#define CONF_HELD_MAX_LIMIT	1000000
#define CONF_HELD_BYTES_DEFAULT	((size_t)32 << 20)
#define CONF_HELD_BYTES_LIMIT	((uint64_t)1 << 32)
#define CONF_HELD_TTL_MS	(24ULL * 3600 * 1000)	/* a held message expires after 24 h */

/*
 * Parse and validate path into a fresh struct conf. Every error is written to errf as
 * "path:line: message" (or "path: message" when the file cannot be read). Returns 0 and
 * sets *out (caller frees with conf_free), or the number of errors (> 0) and *out = NULL.
 */
int		 conf_load(const char *path, FILE *errf, struct conf **out);
void		 conf_free(struct conf **conf);
/* 1 if s is tcp://HOST:PORT or ipc://PATH (for bind, HOST may be "*"), else 0. */
int		 conf_endpoint_valid(const char *s, int bind);
/* Every key the file may hold, in the parser's table order: fn(arg, section, key). */
void		 conf_keys(void (*fn)(void *arg, const char *section, const char *key),
		    void *arg);

/* ---- stream.c: framed stream links (DESIGN decision 11; docs/PROTOCOL.md "Stream links") - */

/*
 * A link frame: magic (2) | version/flags (1) | sequence (u16) | fragment index (u16) |
 * fragment count (u16) | payload length (u16) | payload | CRC-32C (u32) of all before it.
 * Integers are big-endian. One serialized Frame is carried in 1..65535 fragments.
 */
#define STREAM_MAGIC0		0xf4
#define STREAM_MAGIC1		0x48
#define STREAM_VERSION		0x10	/* high nibble: version 1; low nibble: flags, 0 */
#define STREAM_HDR		11
#define STREAM_OVERHEAD		(STREAM_HDR + 4)
#define STREAM_MTU_MIN		64
#define STREAM_MTU_MAX		65000
#define STREAM_MSG_MAX		WIRE_FRAME_MAX	/* largest reassembled message */
#define STREAM_REASM_SLOTS	4	/* messages in reassembly at once */
#define STREAM_REASM_BYTES	(2u * WIRE_FRAME_MAX)	/* their buffers, at most */
#define STREAM_REASM_MS		30000	/* a message with no new fragment this long is dropped */
#define STREAM_STALL_MS		2000	/* a partial frame with no new byte this long is dropped */
#define STREAM_LANES		10	/* transmit lanes, one per priority class (PRIO_MAX) */
#define STREAM_WRAP_MAX		SLINK_OVERHEAD	/* bytes the wrap (sealing) adds, at most */

enum stream_kind { STREAM_UDP = 1, STREAM_SERIAL, STREAM_STDIO };
/* A peer's link kind as an index: 0 for ZeroMQ, else its enum stream_kind. */
#define NODE_LINK_ZMQ	0
#define NODE_LINK_KINDS	(STREAM_STDIO + 1)

/* Receive counters of one link (fenghuo peers --json, "stream"). */
struct stream_stats {
	uint64_t	 frames;	/* valid link frames */
	uint64_t	 msgs;		/* messages delivered */
	uint64_t	 crc_errors;	/* frames with a bad CRC (or a bad header) */
	uint64_t	 resyncs;	/* times the deframer hunted for the magic */
	uint64_t	 skipped;	/* bytes skipped while hunting */
	uint64_t	 frag_dropped;	/* fragments dropped: duplicate, inconsistent, expired */
	uint64_t	 msg_expired;	/* messages dropped incomplete (timeout, eviction, caps) */
	uint64_t	 foreign;	/* UDP datagrams from another address than remote */
	uint64_t	 too_long;	/* byte stream: headers claiming more than our mtu */
};

/* One parsed link frame; payload points into the buffer given to stream_parse. */
struct stream_hdr {
	uint16_t	 seq;
	uint16_t	 index;
	uint16_t	 count;
	uint16_t	 len;
	const uint8_t	*payload;
};

/* CRC-32C (Castagnoli, reflected, init and final xor 0xffffffff) of buf. */
uint32_t	 stream_crc32c(const uint8_t *buf, size_t len);
/* How many link frames a message of len bytes takes at mtu; 0 if it cannot be sent. */
size_t		 stream_nfrags(size_t len, size_t mtu);
/*
 * Write fragment index of msg (len bytes, sequence seq) as one link frame of at most mtu
 * bytes into out; returns its length. index < stream_nfrags(len, mtu).
 */
size_t		 stream_frag(const uint8_t *msg, size_t len, size_t mtu, uint16_t seq,
		    size_t index, uint8_t *out);
/*
 * Check one link frame at buf: header fields, length bound (frames longer than mtu are
 * refused) and CRC. Returns the frame's length (> 0) and fills *h; 0 when buf holds only
 * a prefix of a frame that may still be valid (need more bytes); -1 when it is no frame;
 * -2 when its CRC is wrong; -3 when its header is sound but claims more than mtu.
 */
long		 stream_parse(const uint8_t *buf, size_t len, size_t mtu, struct stream_hdr *h);

/* Deframer and reassembler of one link; pure (no I/O, the caller's clock). */
struct stream_rx;
typedef void	 stream_deliver_fn(void *arg, const uint8_t *msg, size_t len);
/* NULL when out of memory. */
struct stream_rx *stream_rx_new(size_t mtu);
void		 stream_rx_free(struct stream_rx **rx);
/*
 * Bytes from a byte stream (serial, stdio): frames are found, checked and reassembled;
 * each complete message is handed to deliver (which must not free rx). Returns the number
 * of valid link frames found.
 */
size_t		 stream_rx_bytes(struct stream_rx *rx, const uint8_t *buf, size_t len,
		    uint64_t now_ms, stream_deliver_fn *deliver, void *arg);
/* One datagram (UDP): exactly one link frame. Returns 1 if it was a valid frame, else 0. */
size_t		 stream_rx_datagram(struct stream_rx *rx, const uint8_t *buf, size_t len,
		    uint64_t now_ms, stream_deliver_fn *deliver, void *arg);
/*
 * A byte stream fell silent: a partial frame in the buffer that got no byte for
 * STREAM_STALL_MS is dropped and the frames behind it delivered. Returns how many.
 */
size_t		 stream_rx_idle(struct stream_rx *rx, uint64_t now_ms, stream_deliver_fn *deliver,
		    void *arg);
/* Drop messages in reassembly that timed out; returns the next expiry (or UINT64_MAX). */
uint64_t	 stream_rx_expire(struct stream_rx *rx, uint64_t now_ms);
const struct stream_stats *stream_rx_stats(const struct stream_rx *rx);
/* Messages in reassembly and their buffered bytes (tests). */
size_t		 stream_rx_pending(const struct stream_rx *rx, size_t *bytes);

/*
 * The transmit scheduler of one link; pure. Frames wait in lanes (0 most urgent), FIFO within
 * a lane. stream_tx_next() chooses one link frame at a time: from a started message overtaken
 * too often (its seal must stay inside the receiver's replay window), else from the most
 * urgent lane, where a new message of several fragments starts only while fewer than
 * STREAM_REASM_SLOTS are unfinished. A message is wrapped (sealed) by wrap when its first
 * fragment is chosen; a wrap that fails drops it (counted as unsent).
 */
struct stream_tx;
/* The message for a Frame (hello: unsealed); 0 and *out malloc()ed, else not sendable. */
typedef int	 stream_wrap_fn(void *arg, int hello, const uint8_t *frame, size_t len,
		    uint8_t **out, size_t *outlen);
/* seq: the first message's sequence number; wrap NULL sends Frames as they are. */
struct stream_tx *stream_tx_new(size_t mtu, uint16_t seq, stream_wrap_fn *wrap, void *arg);
void		 stream_tx_free(struct stream_tx **tx);
void		 stream_tx_set_wrap(struct stream_tx *tx, stream_wrap_fn *wrap, void *arg);
/* Queue a copy of frame in lane (0 .. STREAM_LANES-1). 0, EMSGSIZE, ENOMEM. */
int		 stream_tx_push(struct stream_tx *tx, int lane, int hello, const uint8_t *frame,
		    size_t len);
/* The next link frame into out (mtu bytes); its length, 0 when nothing waits. */
size_t		 stream_tx_next(struct stream_tx *tx, uint8_t *out);
/* Messages in lane not completely taken yet. */
size_t		 stream_tx_queued(const struct stream_tx *tx, int lane);
/* Bytes not yet taken (Frames before the wrap, messages after it; headers not counted). */
size_t		 stream_tx_bytes(const struct stream_tx *tx);
/* Messages whose last fragment was taken / dropped because the wrap failed. */
uint64_t	 stream_tx_done(const struct stream_tx *tx);
uint64_t	 stream_tx_unsent(const struct stream_tx *tx);

/* The I/O half: one open link (file descriptors, transmit scheduler, pacing). */
struct stream;
/* Open the link of cl (bind the socket, open and configure the tty); NULL after logging. */
struct stream	*stream_open(const struct conf_link *cl);
void		 stream_close(struct stream **s);
/* How a Frame becomes a message on this link (slink_wrap for the link's session). */
void		 stream_set_wrap(struct stream *s, stream_wrap_fn *wrap, void *arg);
/*
 * Queue one serialized Frame in lane (its priority class) of the transmit scheduler.
 * 0, EMSGSIZE (too large for any link frame sequence), ENOMEM.
 */
int		 stream_send(struct stream *s, int lane, int hello, const uint8_t *frame,
		    size_t len);
/* Messages waiting in lane; peer.c hands a lane a new Frame only when it is 0. */
size_t		 stream_queued(const struct stream *s, int lane);
/* Bytes waiting to be sent, in every lane and the link frame being written. */
size_t		 stream_backlog(const struct stream *s);
/* Messages sent completely so far. */
uint64_t	 stream_sent_msgs(const struct stream *s);
/*
 * Write what the pacing and the descriptor allow now, one link frame at a time, chosen when
 * the air is free. Returns after a message has gone completely (the caller may have the next
 * Frame of its lane). Returns 0, or an errno when the link failed (logged by the caller).
 */
int		 stream_write(struct stream *s);
/* Monotonic ms when the pacing lets the next bytes go (0: now or nothing to send). */
uint64_t	 stream_next_tx(const struct stream *s);
/*
 * Read what is there (bounded) and deliver each complete message. Returns the number of
 * valid link frames read, or -1 when the input ended (EOF on stdin) or failed.
 */
long		 stream_read(struct stream *s, uint64_t now_ms, stream_deliver_fn *deliver,
		    void *arg);
/* Timer duty of a byte-stream link: stream_rx_idle and reassembly expiry. */
void		 stream_idle(struct stream *s, uint64_t now_ms, stream_deliver_fn *deliver,
		    void *arg);
int		 stream_rfd(const struct stream *s);
int		 stream_wfd(const struct stream *s);
/* The write side would block: poll its fd for POLLOUT. */
int		 stream_wblocked(const struct stream *s);
int		 stream_kind(const struct stream *s);
const char	*stream_kind_name(int kind);
size_t		 stream_mtu(const struct stream *s);
uint64_t	 stream_bitrate(const struct stream *s);
const struct stream_stats *stream_stats(const struct stream *s);
/* Raw bytes read and written on the link (link frames, headers included). */
uint64_t	 stream_wire_in(const struct stream *s);
uint64_t	 stream_wire_out(const struct stream *s);
/* Monotonic ms bytes of a link frame last went out (0 never). */
uint64_t	 stream_last_write(const struct stream *s);
/* conf.c: 1 if s is HOST:PORT (numeric or a name); for local, HOST may be "*". */
int		 stream_hostport_valid(const char *s, int local);
/* 1 if baud is a rate termios knows. */
int		 stream_baud_valid(unsigned baud);

/* ---- slink.c: authenticated sessions on stream links (PROTOCOL.md §11) ------------------ */

/* The first byte of every message on a stream link. */
#define SLINK_KIND_HELLO	0x01	/* a HELLO Frame, signed inside (link_eph, link_sig) */
#define SLINK_KIND_SEALED	0x02	/* counter(8) || Frame || tag(16) */
#define SLINK_TAGBYTES		16
#define SLINK_OVERHEAD		(1 + 8 + SLINK_TAGBYTES)
/* A session that sealed a message this recently is not replaced by another HELLO. */
#define SLINK_STICKY_MS		30000

struct slink_stats {
	uint64_t	 sessions;	/* sessions keyed */
	uint64_t	 hello_bad;	/* HELLOs without a valid signature for this session */
	uint64_t	 hello_ignored;	/* valid HELLOs for another session while one is alive */
	uint64_t	 bad_tag;	/* sealed messages whose tag did not verify */
	uint64_t	 replayed;	/* sealed messages seen before (or too old for the window) */
	uint64_t	 unkeyed;	/* sealed messages before any session */
	uint64_t	 malformed;	/* messages of no known kind, or too short */
	uint64_t	 unsent;	/* frames not sent: no session yet */
};
struct slink;
struct slink	*slink_new(void);
void		 slink_free(struct slink **s);
const struct slink_stats *slink_stats(const struct slink *s);
int		 slink_keyed(const struct slink *s);
/* Keyed, and a sealed message of the session verified in the last SLINK_STICKY_MS. */
int		 slink_alive(const struct slink *s, uint64_t now_ms);
/* Count a HELLO that peer.c ignored because the session is alive (hello_ignored). */
void		 slink_note_ignored(struct slink *s);
/* Fill link_eph, link_peer_eph (answering side) and link_sig of a HELLO we send. */
void		 slink_hello_out(struct slink *s, const struct fc_key *key, int connecting,
		    Fenghuo__Hello *h);
/*
 * Check a HELLO from peer_key (the key configured for the link): 0 when it belongs to this
 * session or starts a new one (keys derived), -1 when it is to be ignored (counted).
 */
int		 slink_hello_in(struct slink *s, int connecting,
		    const uint8_t peer_key[FC_PUBLICKEYBYTES], const Fenghuo__Hello *h,
		    uint64_t now_ms);
/*
 * The message for a Frame: a HELLO as it is, anything else sealed (EAGAIN with no session
 * yet). *out malloc()ed.
 */
int		 slink_wrap(struct slink *s, int hello, const uint8_t *frame, size_t len,
		    uint8_t **out, size_t *outlen);
/*
 * The Frame in a received message: SLINK_KIND_HELLO (not yet authenticated: the caller
 * must check it is a HELLO and pass it to slink_hello_in) or SLINK_KIND_SEALED
 * (authenticated, not replayed); -1 when it is dropped (counted).
 */
int		 slink_unwrap(struct slink *s, const uint8_t *msg, size_t len,
		    const uint8_t **frame, size_t *flen, uint64_t now_ms);

/* ---- peer.c: the priority send queue --------------------------------------------------- */

/* DESIGN decision 10: lower value goes first. */
enum prio {
	PRIO_CONTROL,	/* HELLO, PING, PONG, WANT: small, and what the peer waits on */
	PRIO_TRUST,	/* CERT, REVOKE */
	PRIO_RED,	/* and receipts of red warnings, ... */
	PRIO_ORANGE,
	PRIO_YELLOW,
	PRIO_BLUE,	/* and warnings without a valid level */
	PRIO_SYNC,	/* reconciliation (several link frames: warnings overtake it) */
	PRIO_REPORT,
	PRIO_RECEIPT,	/* receipts of no warning we know */
	PRIO_BULK,	/* ANNOUNCE, anything undecodable */
	PRIO_MAX
};
/* Classes the memory bound never drops from. */
#define PRIO_KEEP(p)	((p) >= PRIO_TRUST && (p) <= PRIO_BLUE)

enum pq_type {
	PQ_ENVELOPE,	/* one serialized Envelope, sent inside a PUSH frame */
	PQ_FRAME,	/* a complete serialized Frame */
	PQ_HAVE,	/* one 32-byte id, sent inside a HAVE frame (lazy push) */
	PQ_RECORD,	/* a compact receipt (creceipt.c), sent inside a Frame.receipts */
};

struct pq_item {
	struct pq_item	*next;
	struct pq_item	*prev;	/* so that dropping the newest of a class is O(1) */
	int		 prio;
	int		 type;		/* enum pq_type */
	uint32_t	 hops;		/* PQ_ENVELOPE: hops before the sender */
	int		 has_id;	/* id is in the queue's id set (pq.dedupe) */
	uint8_t		 id[FC_IDBYTES];
	size_t		 len;
	uint8_t		 data[];
};

#define PQ_SENT_MAX		64	/* envelopes sent lately, remembered (dedupe) */
#define PQ_SENT_MS		30000	/* ... for this long, at most half of sync_interval */

struct pq_sent {
	uint8_t		 id[FC_IDBYTES];
	uint64_t	 until;		/* monotonic ms: remembered until then */
};

struct pq {
	struct pq_item	*head[PRIO_MAX];
	struct pq_item	*tail[PRIO_MAX];
	size_t		 n;
	size_t		 bytes;
	size_t		 max_items;
	size_t		 max_bytes;
	uint64_t	 dropped;	/* items dropped by the bound */
	/*
	 * With dedupe (stream peers), an envelope already queued is not queued again: on a slow
	 * link a reconciliation round and the answers to WANT would otherwise queue a backlog
	 * twice. An open-addressing set of the queued envelopes' ids.
	 */
	int		 dedupe;
	uint8_t		(*ids)[FC_IDBYTES];
	uint8_t		*idused;
	size_t		 idcap, nids;
	uint64_t	 deduped;	/* envelopes not queued again */
	/*
	 * ... nor one sent lately (the last PQ_SENT_MAX, a ring; NULL until the first): it is
	 * on the air or just arrived, and a reconciliation round the peer began before it
	 * arrived would have it sent twice. Remembered for less than the sync interval, so
	 * that a lost one is given again by a later round.
	 */
	struct pq_sent	*sent;
	size_t		 sent_next;
};

void		 pq_init(struct pq *q, size_t max_items, size_t max_bytes);
/*
 * Queue a copy of data. When the queue is over its bound, the lowest-priority item goes:
 * the new item itself when nothing queued is less important, else the newest item of the
 * lowest non-empty class. O(1) per dropped item.
 * Warnings and trust messages are never dropped (the bound may be exceeded for them).
 * Returns 0 when queued with nothing dropped, 1 when something (maybe the new item) was
 * dropped, -1 when out of memory.
 */
int		 pq_push(struct pq *q, int prio, int type, const uint8_t *data, size_t len,
		    uint32_t hops);
/* (With dedupe, an envelope already queued is not queued again: 0, counted in deduped.) */
/*
 * pq_push of a PQ_RECORD: the compact record rec of the envelope whose id is id (the id
 * that dedupe and pq_sent know it by).
 */
int		 pq_push_record(struct pq *q, int prio, const uint8_t *rec, size_t len,
		    const uint8_t id[FC_IDBYTES], uint32_t hops);
/* With dedupe: envelope id went to the link; not queued again before until (monotonic ms). */
void		 pq_sent(struct pq *q, const uint8_t id[FC_IDBYTES], uint64_t until);
/* Remove and return the first item by priority (caller frees with free()), or NULL. */
struct pq_item	*pq_pop(struct pq *q);
/* Put an item taken with pq_pop back at the front of its class. */
void		 pq_unpop(struct pq *q, struct pq_item *it);
void		 pq_clear(struct pq *q);
/* The priority class of a serialized Envelope (decodes the body; PRIO_BULK if it cannot). */
int		 pq_prio_envelope(const uint8_t *env, size_t len);
/*
 * The same, with the store to look in: a receipt of a stored warning travels at the
 * warning's class (a red warning's receipts as red).
 */
int		 pq_prio_stored(struct store *st, const uint8_t *env, size_t len);
int		 pq_prio_kind(int kind, int level);

/* ---- peer.c: peers and links ------------------------------------------------------------ */

enum link_state {
	LINK_NONE,		/* no such link (e.g. no outbound for an inbound-only peer) */
	LINK_CONNECTING,	/* waiting for the TCP/IPC connection */
	LINK_HELLO_SENT,	/* connected, HELLO sent, no HELLO back yet */
	LINK_UP,
	LINK_DOWN,		/* was up; silent or disconnected */
	LINK_REFUSED,		/* protocol version or key mismatch */
};

struct link {
	int		 state;		/* enum link_state */
	void		*sock;		/* out: our DEALER (owned); in: a listen ROUTER (not) */
	void		*monitor;	/* out: PAIR receiving the DEALER's monitor events */
	uint8_t		 rid[NODE_RID_MAX];	/* in: routing id at the ROUTER */
	size_t		 ridlen;
	uint64_t	 last_rx;	/* monotonic ms */
	uint64_t	 last_tx;
	uint64_t	 hello_tx;	/* when HELLO was last sent */
	uint64_t	 ping_tx;	/* stream links: when PING was last sent */
	int		 blocked;	/* the last send met a full ZeroMQ queue */
	int		 connected;	/* out: ZeroMQ handshake done, not disconnected */
	int		 hello_pending;	/* out: HELLO due but not yet taken by ZeroMQ */
	/*
	 * A stream link (stream.c) instead of ZeroMQ: owned. A stream peer has exactly one,
	 * as its out link when our node key is the lower of the two (it speaks first, as a
	 * DEALER does), else as its in link (it answers, as a ROUTER does).
	 */
	struct stream	*st;
	struct slink	*sl;		/* its session keys (slink.c): owned, with st */
	int		 st_eof;	/* its input ended (stdin closed): no more reading */
};

struct peer {
	char		 name[NODE_NAME_MAX + 1];
	char		 address[NODE_ADDR_MAX + 1];
	uint8_t		 key[FC_PUBLICKEYBYTES];
	int		 has_key;
	int		 configured;
	struct link	 out;
	struct link	 in;
	struct pq	 q;
	int		 refused_logged;
	unsigned	 protocol_version;	/* in use: the highest both HELLOs allow; 0 before */
	int		 lazy_out;	/* it asked us for ids only (we send it HAVE) */
	int		 lazy_in;	/* we asked it for ids only (we pruned it) */
	int		 short_ids;	/* both HELLOs say CAP_SHORT_IDS: HAVE/WANT carry prefixes */
	uint64_t	 short_ids_in;	/* id prefixes received in HAVE and WANT */
	int		 deflate;	/* both HELLOs say CAP_DEFLATE: PUSH goes deflated */
	uint64_t	 deflated_out;	/* frames sent deflated ... */
	uint64_t	 deflated_in;	/* ... and received so */
	uint64_t	 deflate_saved;	/* bytes deflating took off the frames we sent */
	int		 creceipts;	/* both HELLOs say CAP_COMPACT_RECEIPTS (stream links) */
	uint64_t	 creceipts_in;	/* records received and rebuilt into envelopes */
	uint64_t	 creceipts_out;	/* records sent */
	uint64_t	 creceipt_frames;	/* Frame.receipts sent (records share them) */
	uint64_t	 creceipts_dropped;	/* records received that could not be rebuilt */
	struct log_limit creceipts_log;
	uint64_t	 pongs_skipped;	/* PINGs not answered: data was on its way (stream) */
	uint64_t	 prunes, grafts;
	uint64_t	 first_at;	/* n->stored when it last brought us a message first, 0 never */
	uint64_t	 caps_tx;	/* monotonic ms our last PRUNE/GRAFT HELLO went out */
	uint64_t	 up_since;	/* monotonic ms when it last came up, 0 if down */
	uint64_t	 last_seen_ms;	/* wall clock of the last frame, 0 = never */
	uint64_t	 next_sync;	/* monotonic ms; 0 = none scheduled */
	uint64_t	 sync_last;	/* monotonic ms of the last Sync frame either way */
	/* counters */
	uint64_t	 bytes_in, bytes_out, msgs_in, msgs_out;
	uint64_t	 sync_rounds, sync_bytes;
	uint64_t	 garbage;	/* frames dropped as undecodable or unexpected */
	struct log_limit garbage_log;
	int		 dead;		/* reap at the end of the loop pass */
	/* a link px.c dialled from the known-node table */
	int		 px_discovered;
	uint64_t	 px_dialled;	/* monotonic ms */
	uint64_t	 px_seen_up;	/* monotonic ms it was last seen up, 0 never */
	uint8_t		 px_tkey[32];	/* Announce.transport_key, if px_has_tkey */
	int		 px_has_tkey;
	/* the server key we dial (curve.c) */
	uint8_t		 out_tkey[FC_TKEYBYTES];
	/* its frame rate limit (limits.c) */
	struct bucket rate;
	int		 rate_init;
	uint64_t	 rate_dropped;
	struct log_limit rate_log;
	int		 hs_failed_logged;	/* a failed CURVE handshake was logged */
	int		 hs_refused;	/* our last CURVE handshake was refused by its ZAP */
	uint64_t	 redial_at;	/* monotonic ms to dial again after a failed handshake */
	uint64_t	 redial_ms;	/* the current backoff between such dials */
	uint8_t		 in_tkey[FC_TKEYBYTES];	/* inbound bootstrap link: its transport key */
	int		 in_has_tkey;
	int		 revoked;	/* a REVOKE withdrew its node or transport key */
	char		 why[128];	/* why it is not up (refused, revoked), "" if nothing */
	/* clock.c: its wall clock, from the time_ms of its HELLO, PING and PONG */
	uint64_t	 clk_peer_ms;	/* its wall clock at ... */
	uint64_t	 clk_mono;	/* ... this monotonic ms of ours; 0: no sample */
	int		 clk_warned;	/* its offset was logged as out of tolerance */
};

/* Peer state as the control socket shows it: "connecting", "up", ... */
const char	*peer_state_name(const struct peer *p);
int		 peer_is_up(const struct peer *p);
/* "name (abcd1234)" for log lines; valid until the next call. */
const char	*peer_label(const struct peer *p);
struct node;
struct peer	*peer_new(struct node *n, const char *name, const char *address,
		    const uint8_t *key, int configured);
void		 peer_free(struct node *n, struct peer **p);
/* p's link kind as an index of node.gone_bytes_*: NODE_LINK_ZMQ or its enum stream_kind. */
int		 peer_link_index(const struct peer *p);
/* The stream link of p, or NULL for a ZeroMQ peer. */
struct stream	*peer_stream(const struct peer *p);
/* The kind of p's link as receipts and trace replies name it: WIRE_LINK_ZMQ, _UDP, ... */
uint32_t	 peer_link_kind(const struct peer *p);
/* The link that carries p's stream (out for the speaking end, in for the answering one). */
struct link	*peer_stream_link(struct peer *p);
/* The session of p's stream link (slink.c), or NULL for a ZeroMQ peer. */
const struct slink *peer_slink(const struct peer *p);
/* A configured stream link: a peer with key cl->key and the link opened. NULL if failed. */
struct peer	*peer_new_stream(struct node *n, const struct conf_link *cl);
/* Read what the stream link of p has; its messages go through peer_recv. */
void		 peer_stream_read(struct node *n, struct peer *p);
/* Timer duty: a partial frame stalled on a byte stream, reassembly expiry. */
void		 peer_stream_idle(struct node *n, struct peer *p, uint64_t now);
/* Write what the pacing allows; a failed link goes down. */
void		 peer_stream_write(struct node *n, struct peer *p);
/*
 * A REVOKE withdrew p's key: mark it revoked with why, refuse each of its links, close our
 * connection to it and drop its queue. Frames it still sends are ignored, HELLOs unanswered.
 */
void		 peer_withdraw(struct node *n, struct peer *p, const char *why);
/* Create and connect the outbound DEALER (and its monitor) of a configured peer. */
int		 peer_connect(struct node *n, struct peer *p);
struct peer	*peer_find_key(struct node *n, const uint8_t key[FC_PUBLICKEYBYTES]);
struct peer	*peer_find_rid(struct node *n, void *router, const uint8_t *rid, size_t ridlen);
/* Handle one received frame from link l of p (in: l == &p->in). */
void		 peer_recv(struct node *n, struct peer *p, struct link *l, const uint8_t *buf,
		    size_t len);
/* A frame on a listen ROUTER from a routing id no peer holds (only HELLO is accepted). */
void		 peer_recv_unknown(struct node *n, void *router, const uint8_t *rid,
		    size_t ridlen, const uint8_t *buf, size_t len);
void		 peer_monitor_event(struct node *n, struct peer *p);
/* Queue a complete frame / an envelope to p. */
int		 peer_queue_frame(struct peer *p, int prio, const uint8_t *buf, size_t len);
int		 peer_queue_envelope(struct node *n, struct peer *p, const uint8_t *env,
		    size_t len, uint32_t hops);
/* Plumtree PRUNE (lazy 1) / GRAFT (lazy 0): tell p, by a new HELLO, what we want from it. */
void		 peer_set_lazy_in(struct node *n, struct peer *p, int lazy);
/*
 * Say PRUNE/GRAFT (our current lazy_in) again: the peer acts as if it never got it. At most
 * once per NODE_GRAFT_MS per peer.
 */
void		 peer_resend_caps(struct node *n, struct peer *p);
/* Send as much of p's queue as ZeroMQ takes now. Returns 1 if data is left (blocked). */
int		 peer_flush(struct node *n, struct peer *p);
/* Timer duties of one peer (see node_cron); returns its next deadline (monotonic ms). */
uint64_t	 peer_cron(struct node *n, struct peer *p, uint64_t now);
/* Pack a Frame; *out malloc()ed. 0 or -1. */
int		 frame_pack(const Fenghuo__Frame *f, uint8_t **out, size_t *outlen);

/* ---- gossip.c ------------------------------------------------------------------------ */

/* One envelope gathered in this loop pass, waiting for the group commit. */
/*
 * Gather an envelope for this pass's commit (n->ingest): 0, or -1 when the batch is full or
 * memory is short (not gathered; sync brings a peer's message again).
 */
int		 gossip_add(struct node *n, const uint8_t *env, size_t len,
		    const struct ingest_src *src);
/*
 * The group commit of the pass: ingest_commit once, then forward, notify, reply. Messages it
 * released (their certificate came) wait for the next pass, which then does not sleep.
 */
void		 gossip_commit(struct node *n);
/* The batch is full: stop reading until the commit. */
int		 gossip_pending_full(const struct node *n);
/* Start a reconciliation round with p (if sync is built in). */
void		 gossip_sync_begin(struct node *n, struct peer *p);
void		 gossip_sync_recv(struct node *n, struct peer *p, const Fenghuo__Sync *s);
void		 gossip_want_recv(struct node *n, struct peer *p, const Fenghuo__Want *w);
void		 gossip_have_recv(struct node *n, struct peer *p, const Fenghuo__Have *h);
/* Queue WANT frames for ids to p. */
void		 gossip_want(struct node *n, struct peer *p, const uint8_t (*ids)[FC_IDBYTES],
		    size_t nids);
int		 gossip_pending_full(const struct node *n);
/* Lazy push: WANT (and GRAFT) ids announced by HAVE that no eager copy brought in time. */
uint64_t	 gossip_cron(struct node *n, uint64_t now);

/* ---- shortid.c ----------------------------------------------------------------------- */

/* Whether HAVE and WANT to p carry id prefixes (short_ids) instead of whole ids. */
int		 shortid_use(const struct peer *p);
/* Id prefixes per HAVE/WANT on a link of this mtu: what one sealed link frame holds. */
size_t		 shortid_max(size_t mtu);
/* Queue WANT frames for ids to p in the short form. */
void		 shortid_want(struct node *n, struct peer *p, const uint8_t (*ids)[FC_IDBYTES],
		    size_t nids);
/* A HAVE's / WANT's short_ids. -1 (nothing done) when len is not a multiple of SHORTID_BYTES. */
int		 shortid_have_recv(struct node *n, struct peer *p, const uint8_t *s, size_t len);
int		 shortid_want_recv(struct node *n, struct peer *p, const uint8_t *s, size_t len);

/* ---- creceipt.c: compact DELIVERED receipts on stream links (PROTOCOL.md §5) -------- */

/* Whether receipts to p may go as compact records (both HELLOs say so, a stream link). */
int		 creceipt_use(const struct peer *p);
/*
 * Queue the new envelope env (decoded body b, signature sig) to p at prio as a compact
 * record, if it is a DELIVERED receipt in fenghuod's form whose warning is stored here:
 * pq_push's result (0 or 1), or -2 when it is to be queued whole. Only for what forward()
 * pushes: answers to WANT and reconciliation go whole, so that a record the peer could not
 * rebuild is repaired.
 */
int		 creceipt_queue(struct node *n, struct peer *p, int prio, const uint8_t *env,
		    size_t len, const Fenghuo__Body *b, const uint8_t *sig, size_t siglen,
		    uint32_t hops);
/*
 * A record of p's queue that can no longer go compact (p's HELLO dropped the capability):
 * queue its envelope from the store instead.
 */
void		 creceipt_requeue(struct node *n, struct peer *p, const struct pq_item *it);
/*
 * A Frame.receipts from p: each record rebuilt into its envelope and gathered for the
 * pass's commit, from p; records that cannot be rebuilt are dropped (counted, logged once
 * a minute) and left to reconciliation.
 */
void		 creceipt_recv(struct node *n, struct peer *p, const uint8_t *buf, size_t len);
/*
 * Rebuild one record received from the node with key sender: resolve its prefixes
 * against the store st and the trust state t (NULL: open), the node's own key self and the
 * keys of its peers (keys, nkeys). 0 and *env (caller frees), *envlen, *hops (the hops to
 * store); CRECEIPT_LATER when no stored message has the warning's prefix (it may still
 * come); -1 otherwise. Except for 0, *why is a short reason for the log.
 */
#define CRECEIPT_LATER	1
int		 creceipt_expand(struct store *st, const struct fc_trust *t, const uint8_t *self,
		    const uint8_t *sender, const uint8_t (*keys)[FC_PUBLICKEYBYTES], size_t nkeys,
		    const struct wire_creceipt *r, uint8_t **env, size_t *envlen, uint32_t *hops,
		    const char **why);
/* A record waiting for its warning (creceipt_recv, creceipt_commit_done). */
struct creceipt_wait {
	struct wire_creceipt r;
	uint8_t		 from[FC_PUBLICKEYBYTES];	/* the peer that sent it */
	uint64_t	 until;		/* monotonic ms: dropped after this */
};
/*
 * The one region of the node grants t holds for key (their scope), or NULL when it has
 * none or several: what a record's "certificate scope" stands for, at both ends.
 */
const char	*creceipt_scope(const struct fc_trust *t, const uint8_t key[FC_PUBLICKEYBYTES]);
/*
 * A result of the commit (gossip.c): 1 when it is the rebuilt envelope of a record that
 * validation rejected (its signature: the record's fault, not its author's; counted and
 * logged here, not as a rejection), else 0. A rejection by the trust policy counts as
 * usual. creceipt_commit_done(), after the commit, forgets the pass's ids and tries the
 * waiting records again: those whose warning the commit stored join the next pass.
 */
int		 creceipt_committed(struct node *n, const struct ingest_result *r);
void		 creceipt_commit_done(struct node *n);
void		 creceipt_free(struct node *n);

/* An id announced by a lazy peer, not received yet. */
struct missing {
	uint8_t		 id[FC_IDBYTES];
	uint8_t		 from[FC_PUBLICKEYBYTES];
	uint64_t	 due;		/* monotonic ms */
};

/* ---- ctl.c --------------------------------------------------------------------------- */

struct watcher {
	uint8_t		 rid[NODE_RID_MAX];
	size_t		 ridlen;
	uint64_t	 expires;	/* monotonic ms */
};

#define CTL_IMPORT_MAX		1024	/* envelopes in one "import" request */

int		 ctl_open(struct node *n);
void		 ctl_close(struct node *n);
/* Read and answer up to a budget of requests on the control socket. */
void		 ctl_recv(struct node *n);
/*
 * A control client waits for the commit of what it submitted: the tag of its envelopes
 * (struct ingest_src), 0 when out of memory. ctl_submit_reply answers (or, during an
 * import, collects) the result of one of them; ctl_waits_clear forgets every waiter after
 * the commit has answered them.
 */
uint64_t	 ctl_wait(struct node *n, const uint8_t *rid, size_t ridlen);
void		 ctl_submit_reply(struct node *n, const struct ingest_result *r);
void		 ctl_waits_clear(struct node *n);
/* Tell watchers about a message new on this node. */
void		 ctl_notify(struct node *n, const uint8_t id[FC_IDBYTES], const uint8_t *env,
		    size_t len, const uint8_t *from, uint32_t hops);
void		 ctl_cron(struct node *n, uint64_t now);
struct json_t;
/* Send obj (consumed) to control client rid, with a second part unless part2 is NULL. */
void		 ctl_send(struct node *n, const uint8_t *rid, size_t ridlen, struct json_t *obj,
		    const uint8_t *part2, size_t len2);
/* Answer {"ok": false, "error": error}. */
void		 ctl_error(struct node *n, const uint8_t *rid, size_t ridlen, const char *error);

/* ---- curve.c: CurveZMQ, ZAP admission, identity binding, revocation of links ---------- */

struct json_t;
/* fenghuod --show-keys: print the node and transport public keys (creating missing keys). */
int		 curve_show_keys(struct conf *c, FILE *out);
/* Load the transport key and bind the ZAP handler: before any socket binds. -1: do not run. */
int		 curve_open(struct node *n);
/*
 * Set the bootstrap transport keys admitted by ZAP ([peer] transport, [node] allow) from c,
 * replacing the current ones: at start and on a reload. -1 (nothing changed) if out of memory.
 */
int		 curve_admit_set(struct node *n, const struct conf *c);
/* Close the ZAP handler (before zmq_ctx_term) and free what curve_open() made. */
void		 curve_close(struct node *n);
void		*curve_zap_socket(struct node *n);
void		 curve_zap(struct node *n);	/* the ZAP socket is readable */
/* Make a listen ROUTER a CURVE server / a peer's DEALER a CURVE client. 0 or -1. */
int		 curve_server(struct node *n, void *sock);
int		 curve_client(struct node *n, struct peer *p, void *sock);
/* The transport key to expect from p: certificate, [peer] transport, or its ANNOUNCE. */
int		 curve_peer_server_key(struct node *n, struct peer *p, uint8_t out[FC_TKEYBYTES]);
void		 curve_cron(struct node *n, uint64_t now);
/* Our DEALER's CURVE handshake: 0 succeeded, 1 refused by the peer, 2 failed (wrong key?). */
void		 curve_handshake(struct node *n, struct peer *p, int how);
/* The zmq_msg_t being handled (for its User-Id), or NULL; set around each dispatch. */
void		 curve_set_msg(struct node *n, void *zmq_msg);
/*
 * NULL when the inbound link may claim node key key in its HELLO, else why not. A link
 * admitted as bootstrap gets its transport key in tkey (*has_tkey 1).
 */
const char	*curve_hello_bind(struct node *n, const uint8_t key[FC_PUBLICKEYBYTES],
		    uint8_t tkey[FC_TKEYBYTES], int *has_tkey, char *why, size_t whylen);
/*
 * NULL, or why (written there) when a REVOKE in the trust state withdrew p's node key or
 * the transport key link l was authenticated with; then p->revoked is set too.
 */
const char	*curve_withdrawn(struct node *n, struct peer *p, struct link *l, char *why,
		    size_t whylen);
/* After a REVOKE was recorded: close every link whose key it withdrew (peer_withdraw). */
void		 curve_revoke_links(struct node *n);
/* Add "transport_key" and "zap" to the status object. */
void		 curve_status_json(struct node *n, struct json_t *o);

/* ---- limits.c: [limits], per-peer and per-author rate limits, the store quota -------- */

/* Make the per-author bucket table from n->conf. -1 (logged) if out of memory. */
int		 limits_open(struct node *n);
/*
 * On a reload, the [limits] the node holds copies of: the author table (a new size starts a
 * new table, its buckets full) and every send queue's bound (a smaller one drops at the next
 * push, by priority as always). -1 (nothing changed) if out of memory.
 */
int		 limits_reload(struct node *n, const struct conf *oc, const struct conf *nc);
/* Free what limits_open() made; fine if it never ran. */
void		 limits_close(struct node *n);
/* Timer duty: the store quota, every LIMITS_QUOTA_MS (store_evict; n->store_over). */
void		 limits_cron(struct node *n, uint64_t now);
/* One frame from p: 1 within its rate, 0 to drop it (counted). */
int		 limits_peer_frame(struct node *n, struct peer *p);
/*
 * The ingest's admission hook (ingest_admit_fn, arg the node): a new message from a peer
 * takes a token from its author's bucket (INGEST_ADMIT_CHARGED); refused when the author is
 * over its rate or the store over its quota (counted). Exempt: warnings, CERT, REVOKE, and
 * whatever does not come from a peer.
 */
int		 limits_admit(void *arg, const struct ingest_src *src, const struct fc_msg *msg);
/* A message admitted with a token was not stored as new: give its author's token back. */
void		 limits_author_refund(struct node *n, const uint8_t author[FC_PUBLICKEYBYTES]);
/* Add "store_quota" and "drops" to the status object. */
void		 limits_status_json(struct node *n, struct json_t *o);

/* ---- clock.c: this node's clock against its peers' ------------------------------------ */

/*
 * The tolerance: validation takes a created time up to FC_SKEW_FUTURE_MS ahead of the
 * checker's clock, so a node whose clock is further off than that from its peers' signs
 * official messages they reject (ahead: "clock"; behind: soon "expired").
 */
#define CLOCK_TOLERANCE_MS	FC_SKEW_FUTURE_MS
#define CLOCK_RTT_MAX_MS	NODE_DEAD_MS	/* a PONG later than this gives no round trip */
#define CLOCK_OFFSET_MAX_MS	(100ULL * 365 * 24 * 3600 * 1000)	/* offsets are clamped */

/*
 * p said its wall clock read peer_ms rtt_ms/2 ago (a HELLO, PING or PONG with time_ms;
 * rtt_ms 0 when unknown). Keeps the sample (against our monotonic clock, so that setting
 * this node's clock shows at once) and logs p's offset when it crosses the tolerance.
 */
void		 clock_sample(struct peer *p, uint64_t peer_ms, uint64_t rtt_ms);
/* Our wall clock minus p's now, ms (positive: ours is ahead). 0 and *out, or -1: no sample. */
int		 clock_peer_offset(const struct peer *p, int64_t *out);
/*
 * This node's clock offset against its peers: the median of clock_peer_offset() over the
 * peers that are up. Returns how many peers it is from (0: no estimate, *out untouched).
 */
size_t		 clock_offset(const struct node *n, int64_t *out);
/* 1 if |off| is within CLOCK_TOLERANCE_MS. */
int		 clock_within(int64_t off);
/* Timer duty: log when the estimate leaves or comes back within the tolerance. */
void		 clock_cron(struct node *n);
/* Add "clock_offset_ms", "clock_peers", "clock_tolerance_ms" and "clock_ok" to o. */
void		 clock_status_json(const struct node *n, struct json_t *o);

/* ---- trust.c ------------------------------------------------------------------------- */

/*
 * Open the node's ingest (n->ingest): the trust state from [trust] anchors, <state>/anchors
 * and every CERT and REVOKE in the store, the held-message buffer, the author admission of
 * limits.c; then gather the messages of the held area for the first commit. Refuses (-1,
 * logged) when no anchor is configured, unless [trust] open = yes (then no policy).
 */
int		 trust_start(struct node *n);
void		 trust_stop(struct node *n);

/* ---- deliver.c: DELIVERED receipts of warnings that concern this node's region -------- */

/* A warning to confirm, with its seen record here: the receipt's path fields come from it. */
struct deliver_item {
	uint8_t		 id[FC_IDBYTES];
	struct store_seen seen;
};

/*
 * 1 if a node of region `region` (with key `self`) confirms the warning whose body is b:
 * an alert, update or cancel by another key, not expired at now_ms, one of whose areas is a
 * prefix of region. Pure; unit-tested.
 */
int		 deliver_wanted(const Fenghuo__Body *b, const char *region, const uint8_t *self,
		    uint64_t now_ms);
/*
 * The path fields of a DELIVERED receipt (PROTOCOL.md §1, Receipt: via, hops, delay_ms,
 * link) from the warning's seen record here; via, which r->via points into afterwards, is
 * the caller's buffer.
 */
void		 deliver_path(struct node *n, const struct store_seen *seen, Fenghuo__Receipt *r,
		    uint8_t via[WIRE_VIA_BYTES]);
/*
 * A message was just stored as new, from src at first_seen_ms (the commit's clock, its seen
 * record's): note it if it is a warning to confirm.
 */
void		 deliver_note(struct node *n, const struct fc_msg *msg,
		    const struct ingest_src *src, uint64_t first_seen_ms);
/* After the commit: sign a receipt for each noted warning, gathered for the next pass. */
void		 deliver_flush(struct node *n);
void		 deliver_free(struct node *n);
/*
 * At start: sign receipts for warnings in force (not cancelled), stored within
 * DELIVER_SCAN_MS, that concern this node and carry no DELIVERED receipt of its own (a stop between the two commits, a
 * USB bundle, confirm_warnings turned on). 0, or -1 when the store cannot be read.
 */
int		 deliver_start(struct node *n);
#define DELIVER_SCAN_MS		(30ULL * 24 * 3600 * 1000)
/* Timer duty: expire held messages. */
void		 trust_cron(struct node *n, uint64_t now_wall_ms);

/* ---- trace.c: TRACE queries and replies (PROTOCOL.md §5, Trace) ------------------------- */

#define TRACE_ID_BYTES		8	/* TraceQuery.trace_id */
#define TRACE_HOPS_MAX		16	/* a query with more hops_left is ignored */
#define TRACE_TABLE_MAX		256	/* traces remembered (dedupe and reverse path) */
#define TRACE_KEEP_MS		60000	/* ... for this long */
#define TRACE_PEER_MAX		64	/* ... of them from any one peer */
#define TRACE_TIMEOUT_MAX_MS	TRACE_KEEP_MS	/* a control client waits at most this long */
#define TRACE_REPLIES_MAX	1024	/* replies one trace passes on or collects */

/* One trace this node has seen: where its replies go. */
struct trace_entry {
	uint8_t		 tid[TRACE_ID_BYTES];
	int		 used;
	int		 local;		/* asked by a control client here: rid, replies */
	uint8_t		 from[FC_PUBLICKEYBYTES];	/* !local: the peer the query came from */
	uint64_t	 expires;	/* monotonic ms: forgotten then */
	uint64_t	 deadline;	/* local: answer the client then */
	uint32_t	 nreplies;	/* replies passed on or collected */
	uint8_t		 rid[NODE_RID_MAX];	/* local: the control client */
	size_t		 ridlen;
	struct json_t	*replies;	/* local: a JSON array (owned) */
};

struct trace_table {
	struct trace_entry e[TRACE_TABLE_MAX];
};

/*
 * The live entry of tid, or NULL (an expired one counts as absent). Pure: unit-tested.
 */
struct trace_entry *trace_table_find(struct trace_table *t, const uint8_t *tid, uint64_t now);
/*
 * A new entry for tid (cleared, expiring at now + TRACE_KEEP_MS), in a free or expired
 * slot; NULL when the table is full of live traces (the query is then ignored) or tid is
 * there already.
 */
struct trace_entry *trace_table_add(struct trace_table *t, const uint8_t *tid, uint64_t now);
/* Live entries whose query came from the peer with key. Pure: unit-tested. */
size_t		 trace_table_count_from(const struct trace_table *t, const uint8_t *key,
		    uint64_t now);
/* Forget expired entries (a local one must have been answered: its replies are freed). */
void		 trace_table_expire(struct trace_table *t, uint64_t now);
/* Check a decoded query / reply against PROTOCOL.md §5, Trace: NULL, or why not. */
const char	*trace_query_check(const Fenghuo__TraceQuery *q);
const char	*trace_reply_check(const Fenghuo__TraceReply *r);
/* Frames from an up peer (peer.c's dispatch). */
void		 trace_query_recv(struct node *n, struct peer *p, const Fenghuo__TraceQuery *q);
void		 trace_reply_recv(struct node *n, struct peer *p, const Fenghuo__TraceReply *r);
/* The control request {"cmd":"trace","id":HEX,"timeout_ms":N} (answered by trace_cron). */
void		 trace_ctl(struct node *n, const uint8_t *rid, size_t ridlen,
		    const struct json_t *req);
/* Timer duty: answer local traces whose time is up, forget old ones. Next deadline. */
uint64_t	 trace_cron(struct node *n, uint64_t now);
void		 trace_free(struct node *n);

/* ---- px.c: peer exchange ------------------------------------------------------------- */

#define PX_EP_MAX		4	/* endpoints announced / kept per known node */
#define PX_KNOWN_MAX		1024	/* known-node table entries */
#define PX_ANNOUNCE_TTL_MS	(7ULL * 24 * 3600 * 1000)	/* Body.expires_ms - created */
#define PX_REANNOUNCE_MS	(24ULL * 3600 * 1000)	/* announce again when this old */
#define PX_RETRY_MS		300000	/* a known node whose link failed: not again for this long */
#define PX_MAX_DISCOVERED_DEFAULT 3
#define PX_MAX_DISCOVERED_LIMIT	32
#define PX_REROUTE_AFTER_LIMIT	86400

/* One known node: the newest unexpired ANNOUNCE of its author. */
struct px_known {
	uint8_t		 key[FC_PUBLICKEYBYTES];	/* the author */
	char		 name[NODE_NAME_MAX + 1];	/* "" when absent or unprintable */
	char		 region[16];
	char		 endpoints[PX_EP_MAX][NODE_ADDR_MAX + 1];
	size_t		 nendpoints;	/* >= 1 */
	uint64_t	 announced_ms;	/* Body.created_ms */
	uint64_t	 expires_ms;	/* 0 = never */
	uint8_t		 tkey[32];	/* Announce.transport_key (CurveZMQ), if has_tkey */
	int		 has_tkey;
	uint64_t	 failed_at;	/* monotonic ms a discovered link to it last failed */
	unsigned	 next_ep;	/* endpoint to dial next (rotates on failure) */
};

struct px_table {
	struct px_known	*v;
	size_t		 n, cap;
};

/*
 * Put k in the table, newest announcement per author: 1 if added or it replaced an older
 * one, 0 if ignored (not newer; or the table is full of newer ones), -1 out of memory.
 */
int		 px_table_put(struct px_table *t, const struct px_known *k);
/*
 * The endpoints this node announces (in ANNOUNCE and HELLO): [node] announce when set, else
 * its TCP listen endpoints other nodes could dial (no wildcard address, no ipc://).
 */
size_t		 px_endpoints(const struct node *n, const char *eps[PX_EP_MAX]);
struct px_known	*px_table_find(struct px_table *t, const uint8_t key[FC_PUBLICKEYBYTES]);
int		 px_table_remove(struct px_table *t, const uint8_t key[FC_PUBLICKEYBYTES]);
/* Drop entries expired at now_ms (wall clock); returns how many. */
size_t		 px_table_expire(struct px_table *t, uint64_t now_ms);
void		 px_table_free(struct px_table *t);
/* Length of the common prefix of two region codes. */
size_t		 px_common_prefix(const char *a, const char *b);
/*
 * The indices of at most max entries of t in dialling order for a node in region: longest
 * common region prefix first, then the most recent announcement. Returns how many.
 */
size_t		 px_order(const struct px_table *t, const char *region, size_t *idx, size_t max);
/* A table entry from a decoded ANNOUNCE body (only dialable endpoints kept). 0 or -1. */
int		 px_known_from_body(const Fenghuo__Body *b, struct px_known *out);
/* 1 if ep is a tcp:// endpoint on a wildcard address (*, 0.0.0.0, [::]), else 0. */
int		 px_wildcard(const char *ep);
/* At start: the table from the store, and this node's ANNOUNCE when due. 0 or -1. */
int		 px_start(struct node *n);
void		 px_stop(struct node *n);
/* A new ANNOUNCE was stored (gossip_commit): update the table. */
void		 px_learn(struct node *n, const Fenghuo__Body *b);
/* Re-announce, reroute, drop discovered links (see px.c); returns the next deadline. */
uint64_t	 px_cron(struct node *n, uint64_t now);
/* The transport key a known node announced: 0 and out, or -1. */
int		 px_transport_key(struct node *n, const uint8_t key[FC_PUBLICKEYBYTES],
		    uint8_t out[32]);
/* The known-node table as a JSON array (ctl.c "peers"); a new reference, or NULL. */
struct json_t	*px_known_json(const struct node *n);

/* ---- node.c -------------------------------------------------------------------------- */

struct node {
	struct conf	*conf;		/* owned */
	struct store	*store;		/* owned */
	struct fc_key	*key;		/* owned */
	char		 keyhex[2 * FC_PUBLICKEYBYTES + 1];
	void		*zctx;		/* owned, with every socket below */
	void		**listen;	/* one ROUTER per conf->listen */
	size_t		 nlisten;
	void		*ctl;		/* control ROUTER */
	char		 ctl_path[NODE_ADDR_MAX + 1];
	char		 pid_path[NODE_ADDR_MAX + 1];
	int		 pid_fd;
	struct peer	**peers;
	size_t		 npeers;
	unsigned	 mon_seq;	/* for unique inproc monitor endpoints */
	/*
	 * Frame bytes in and out of the peers freed since start, by link kind (NODE_LINK_*),
	 * so that the totals per kind (ctl.c, "link_bytes") outlive the peers that carried them.
	 */
	uint64_t	 gone_bytes_in[NODE_LINK_KINDS];
	uint64_t	 gone_bytes_out[NODE_LINK_KINDS];

	struct ingest	*ingest;	/* owned (trust.c): this pass's envelopes, trust state */

	struct missing	*missing;	/* NODE_MISSING_MAX of them (plumtree) */
	size_t		 nmissing;

	struct watcher	 watch[NODE_WATCH_MAX];
	size_t		 nwatch;

	uint64_t	 started;	/* monotonic ms */
	uint64_t	 next_cron;
	volatile sig_atomic_t *sigflag;	/* set by a signal handler; NULL in tests */
	volatile sig_atomic_t *hupflag;	/* SIGHUP: reload the configuration; NULL in tests */
	int		 sigfd;		/* self-pipe's read end (main.c), -1 if none */
	int		 stop;		/* set by the control "stop" command */
	/* Announce CAP_SHORT_IDS on stream links (off with FENGHUOD_SHORT_IDS=no). */
	int		 short_ids;
	/* Announce CAP_DEFLATE on stream links (off with FENGHUOD_DEFLATE=no). */
	int		 deflate;
	/* Announce CAP_COMPACT_RECEIPTS on stream links (off: FENGHUOD_COMPACT_RECEIPTS=no). */
	int		 creceipts;
	/* compact records whose rebuilt envelope was not valid (creceipt.c) */
	uint64_t	 creceipts_invalid;
	struct log_limit creceipts_log;
	/* ids of the envelopes rebuilt from records in this pass, until its commit */
	uint8_t		(*cr_ids)[FC_IDBYTES];
	size_t		 ncr_ids, cr_ids_cap;
	/* records waiting for their warning, tried again after each commit */
	struct creceipt_wait *cr_wait;
	size_t		 ncr_wait;

	/* counters (status) */
	uint64_t	 stored, duplicates, rejected[FC_R_MAX], submitted;
	uint64_t	 unknown_frames;	/* from routing ids without HELLO */
	uint64_t	 commits, commit_errors, pend_dropped, watch_dropped;
	struct ctl_wait	*ctl_waits;	/* control clients waiting for the commit (ctl.c) */
	size_t		 nctl_waits, ctl_waits_cap;
	struct ctl_batch *ctl_batch;	/* the import being committed (ctl.c), or NULL */
	/* delivery receipts (deliver.c): warnings to confirm after this pass's commit */
	struct deliver_item *deliver;
	size_t		 ndeliver, deliver_cap;
	uint64_t	 delivered, deliver_dropped;
	size_t		 deliver_grants;	/* certificates known at the last scan */
	struct log_limit unknown_log;	/* frames from routing ids without HELLO */

	/* px.c */
	struct px_table	 px;		/* known nodes */
	uint64_t	 px_down_since;	/* monotonic ms since no configured peer is up, 0 */
	uint64_t	 px_up_since;	/* monotonic ms since a configured peer is up, 0 */
	uint64_t	 px_announced_ms;	/* wall ms of this node's newest ANNOUNCE, 0 */
	uint64_t	 px_expire_at;	/* monotonic ms of the next table expiry */
	uint64_t	 px_next_cron;	/* monotonic ms: px_cron works once a second */

	uint64_t	 policy_rejected[FC_POLICY_R_MAX];

	/* curve.c */
	struct fc_tkey	*tkey;		/* owned: the transport key */
	struct zap	*zap;		/* owned: the ZAP handler */
	struct sec_admit admit;		/* what the ZAP handler decides with */
	uint8_t		(*tallow)[FC_TKEYBYTES];	/* bootstrap keys: [peer] transport, allow */
	size_t		 ntallow;
	void		*cur_msg;	/* zmq_msg_t being dispatched, for its User-Id */
	uint64_t	 curve_next_retry;
	uint64_t	 zap_open_admitted, identity_refused;
	uint64_t	 handshake_failed;	/* our outbound CURVE handshakes that failed */
	uint64_t	 links_revoked;	/* links closed because a REVOKE withdrew their key */
	int		 clock_warned;	/* clock.c: the estimate was logged as out of tolerance */

	/* limits.c */
	struct bucket_table *author_lim;	/* owned: per-author buckets */
	uint64_t	 drop_peer_rate, drop_author_rate;
	int		 store_over;	/* above [limits] store_max_bytes, nothing expired */
	uint64_t	 quota_next, store_evicted, drop_store_quota;

	struct hooks	*hooks;		/* hook.c: NULL without [hook] sections */

	/* trace.c: NULL until the first trace */
	struct trace_table *trace;
	uint64_t	 trace_queries, trace_ignored;

	/* notify.c: systemd; notify is 0 without NOTIFY_SOCKET */
	int		 notify, notify_sent;
	uint64_t	 watchdog_ms, watchdog_at, notify_status_at;
	size_t		 notify_peers;
	uint64_t	 notify_msgs;
};

/* Monotonic and wall-clock milliseconds. */
uint64_t	 now_mono(void);
uint64_t	 now_wall(void);
/*
 * Build a node from a valid conf (ownership passes to the node, also on failure): open the
 * store, load the key, create every socket. Returns NULL after logging why.
 */
struct node	*node_new(struct conf *conf);
/* Close every socket, the context and the store; sets *n to NULL. NULL is fine. */
void		 node_free(struct node **n);
/* One loop pass, sleeping at most max_wait_ms (-1: until the next timer). */
void		 node_step(struct node *n, int max_wait_ms);
/* Run until stopped by *sigflag or the control socket. */
void		 node_run(struct node *n);
int		 node_stopping(const struct node *n);
/* Add a peer to n->peers (takes ownership). -1 if full. */
int		 node_add_peer(struct node *n, struct peer *p);
/* The Hello frame this node sends, packed; *out malloc()ed. */
int		 node_hello(struct node *n, unsigned caps, uint8_t **out, size_t *outlen);
/* The same on a stream link: with the session fields of sl (slink_hello_out). */
int		 node_hello_link(struct node *n, unsigned caps, struct slink *sl, int connecting,
		    uint8_t **out, size_t *outlen);
uint64_t	 node_queue_total(const struct node *n);
/*
 * Sign a message of this node's own (ANNOUNCE, a delivery receipt): fills b's version,
 * author, created_ms (now_ms) and region, signs it with the node key and gathers it for the
 * next commit like a local submission. 0; an fc_* error; or E2BIG when the pass's batch is
 * full (gossip_add).
 */
int		 node_publish(struct node *n, Fenghuo__Body *b, uint64_t now_ms);

/* ---- hook.c: [hook NAME] programs for new warnings and reports (docs/CONFIG.md) ------ */

struct hooks;
struct zmq_pollitem_t;
/*
 * Split a hook's command line into argv at blanks ("..." keeps blanks in one word; nothing
 * else is special: no shell, no variables). The first word must be an absolute path.
 * Returns one malloc()ed block (caller frees), or NULL with *why set.
 */
char		**hook_argv_split(const char *cmd, const char **why);
/* 1 if this build can write messages in format (HOOK_FMT_*) for a hook's stdin. */
int		 hook_format_ready(int format);
/*
 * Load every [hook]'s record of runs (<state>/hooks/NAME, created with the hook) and queue
 * the warnings and reports a previous run left unfinished. 0, or -1 after logging.
 */
int		 hook_start(struct node *n);
/* A message stored as new by this pass's commit: queue the hooks that want it. */
void		 hook_note(struct node *n, const struct fc_msg *msg);
/*
 * From node_cron: reap finished runs (record a success, schedule a retry), kill runs past
 * their timeout, start waiting runs, look for overdue reports. The next deadline (mono ms).
 */
uint64_t	 hook_cron(struct node *n, uint64_t now_ms);
/* Poll items for the running children's pipes: at most max; how many were added. */
size_t		 hook_poll_add(struct node *n, struct zmq_pollitem_t *items, size_t max);
/* What zmq_poll said of those items: write to stdin, read output. */
void		 hook_poll_events(struct node *n, const struct zmq_pollitem_t *items,
		    size_t nitems);
/* The most poll items hook_poll_add can ask for. */
size_t		 hook_poll_max(const struct node *n);
/* "hooks": [{name, on, running, waiting, runs, ok, failures, ...}] into status object o. */
void		 hook_status_json(struct node *n, struct json_t *o);
/* Stop running children (their runs are not recorded) and free everything. */
void		 hook_free(struct node *n);

/* ---- notify.c: systemd's sd_notify (Type=notify, WatchdogSec=) ------------------------ */

/*
 * Tell systemd the node is ready (READY=1, then STATUS=), when NOTIFY_SOCKET is set; call
 * it once the store is open and every socket bound. Without NOTIFY_SOCKET nothing here sends.
 */
void		 notify_ready(struct node *n);
/*
 * From the timers: WATCHDOG=1 when due, STATUS= when the peers up or the messages stored
 * changed (checked at most once a second). Returns the next deadline (monotonic ms), or
 * UINT64_MAX when there is none.
 */
uint64_t	 notify_cron(struct node *n, uint64_t now);
/* Send one state line such as "STOPPING=1" or "RELOADING=1" (sd_notify(3)). */
void		 notify_state(struct node *n, const char *state);

/* ---- reload.c: SIGHUP (docs/CONFIG.md "Reloading") -------------------------------------- */

/*
 * Read n->conf->path again into a fresh struct conf and, if all of it is valid, apply what
 * can change while running (peers, log level, limits, sync and push settings, allow); a
 * changed setting that needs a restart is logged and keeps its running value. With any
 * error, every error is logged and nothing changes. Call it between loop passes (removed
 * peers are marked and reaped at the end of the pass). Returns 0 if the new configuration
 * is in force, -1 if the running one was kept.
 */
int		 reload_conf(struct node *n);

#endif /* FH_NODE_H */
