/*
 * wire.h: the one public header of proto/.
 *
 * It exposes the protobuf-c types generated from fenghuo.proto and a few helpers that every
 * other module needs: size limits, bounded unpacking, and the names of enum values as they
 * appear on the command line, in JSON and in docs/PROTOCOL.md.
 */
#ifndef FH_WIRE_H
#define FH_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "fenghuo.pb-c.h"

#define WIRE_BODY_VERSION	1	/* Body.version written by this code */
/*
 * The protocol versions this code speaks, lowest and highest (PROTOCOL.md §4, Versions).
 * HELLO sends the lowest as protocol_version, so that a node that knows only that field
 * still accepts us while it is in our range, and the highest as protocol_max.
 */
#define WIRE_PROTOCOL_MIN	1
#define WIRE_PROTOCOL_MAX	1
#define WIRE_PROTOCOL_VERSION	WIRE_PROTOCOL_MIN	/* Hello.protocol_version we send */

#define WIRE_ENVELOPE_MAX	(64 * 1024)	/* serialized Envelope, bytes */
#define WIRE_TEXT_MAX		(16 * 1024)	/* Body.text, bytes */
#define WIRE_TITLE_MAX		256		/* Body.title, bytes */
#define WIRE_FRAME_MAX		(1024 * 1024)	/* one peer frame, bytes */
#define WIRE_ID_BYTES		32
#define WIRE_KEY_BYTES		32
#define WIRE_SIG_BYTES		64
#define WIRE_VIA_BYTES		8	/* Receipt.via: a key prefix */

/* Warning.cap (docs/CAP.md): bounds, profiles, and CapInfo.from_body bits. */
#define WIRE_CAP_ITEMS_MAX	64		/* items of each repeated field */
#define WIRE_CAP_STRING_MAX	(16 * 1024)	/* bytes of each string */
#define WIRE_CAP_PROFILE_OASIS	0
#define WIRE_CAP_PROFILE_CN	1
#define WIRE_CAP_FROM_HEADLINE		1	/* = Body.title */
#define WIRE_CAP_FROM_DESCRIPTION	2	/* = Body.text */
#define WIRE_CAP_FROM_INSTRUCTION	4	/* = Warning.instruction */
#define WIRE_CAP_FROM_EVENT		8	/* = Body.event */
#define WIRE_CAP_FROM_ALL		15

/*
 * Receipt.link and TraceReply.link: the kind of link a message came over to the node that
 * confirms or traces it. STREAM is a stream link of a kind not said: nodes that did not yet
 * tell UDP, serial and stdio apart send it for all three, so readers keep accepting it.
 */
#define WIRE_LINK_UNKNOWN	0
#define WIRE_LINK_ZMQ		1
#define WIRE_LINK_STREAM	2
#define WIRE_LINK_UDP		3
#define WIRE_LINK_SERIAL	4
#define WIRE_LINK_STDIO		5

/* Big-endian integers, as every fixed-layout format here writes them (order keys, link
 * frames, bundles, sealed stream messages). */
static inline void
wire_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t
wire_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
wire_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t
wire_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
wire_put_be64(uint8_t *p, uint64_t v)
{
	wire_put_be32(p, (uint32_t)(v >> 32));
	wire_put_be32(p + 4, (uint32_t)v);
}

static inline uint64_t
wire_get_be64(const uint8_t *p)
{
	return (uint64_t)wire_get_be32(p) << 32 | wire_get_be32(p + 4);
}

/*
 * Bounded unpacking. Each returns NULL when len exceeds the limit for that type or the bytes
 * do not decode. The result is owned by the caller and freed with the matching
 * fenghuo__*__free_unpacked(p, NULL).
 */
Fenghuo__Envelope	*wire_envelope_unpack(const uint8_t *buf, size_t len);
Fenghuo__Body		*wire_body_unpack(const uint8_t *buf, size_t len);
Fenghuo__Frame		*wire_frame_unpack(const uint8_t *buf, size_t len);
/*
 * How many Bodies wire_body_unpack() has decoded in this process so far (all threads), and
 * so how many times any message was taken apart: tests and benchmarks read it to show one
 * decode per new message and none per duplicate.
 */
uint64_t		 wire_body_decodes(void);

/*
 * Frame{sync} around a Sync that is already serialized (node/sync.c makes them so), without
 * decoding and encoding it again: the Frame's field 5 tag (0x2a), the length as a varint,
 * then the bytes. For a Sync that protobuf-c packed, the result is byte for byte what
 * fenghuo__frame__pack() makes of a Frame whose sync is that Sync unpacked. Returns 0 with
 * *out (malloc()ed, caller frees) and *outlen; EINVAL for a NULL argument, EMSGSIZE when
 * the frame would exceed WIRE_FRAME_MAX, ENOMEM.
 */
int		 wire_frame_wrap_sync(const uint8_t *sync, size_t len, uint8_t **out,
		    size_t *outlen);

/*
 * Frame.deflated (docs/PROTOCOL.md §5, Deflated frames): a serialized Frame compressed with
 * raw DEFLATE (RFC 1951: no zlib or gzip header, no checksum, no preset dictionary). The
 * Frame inside inflates to at most WIRE_DEFLATED_MAX bytes; a sender compresses nothing
 * larger, a receiver refuses whatever inflates beyond it.
 */
#define WIRE_DEFLATED_MAX	(128 * 1024)

/*
 * Frame{deflated} of frame (a serialized Frame, 1 .. WIRE_DEFLATED_MAX bytes), compressed at
 * zlib's level 9: the Frame's field 10 tag (0x52), the length as a varint, the compressed
 * bytes. Returns 0 with *out (malloc()ed, caller frees) and *outlen; EINVAL for a NULL or
 * empty argument, EMSGSIZE when len exceeds WIRE_DEFLATED_MAX, ENOMEM, EIO if zlib fails.
 * The result may be longer than frame (random bytes do not compress): the caller compares.
 */
int		 wire_frame_deflate(const uint8_t *frame, size_t len, uint8_t **out,
		    size_t *outlen);
/*
 * The serialized Frame inside the bytes of a Frame.deflated (data, len): inflated with a
 * bound, not decoded. Returns 0 with *out (malloc()ed, caller frees) and *outlen (1 ..
 * WIRE_DEFLATED_MAX); EMSGSIZE when the output would exceed WIRE_DEFLATED_MAX (a
 * decompression bomb: inflation stops there, having used at most that much memory);
 * EBADMSG when the bytes are not one complete raw DEFLATE stream, have bytes after its end,
 * or inflate to nothing; EINVAL for NULL arguments; ENOMEM.
 */
int		 wire_frame_inflate(const uint8_t *data, size_t len, uint8_t **out,
		    size_t *outlen);

/*
 * Compact DELIVERED receipts (creceipt.c; docs/PROTOCOL.md §5, Compact receipts): the record
 * that stands for a receipt's envelope in Frame.receipts on a stream link. One record:
 *
 *   flags (1) | [author prefix (8) | relay hops (varint)] | ref prefix (8) |
 *   created offset (zigzag varint) | [hops (varint) | delay_ms (varint)] | [link (1)] |
 *   [via (8)] |
 *   [region: digit count (1) | BCD digits] | signature (64)
 */
#define WIRE_CR_PREFIX		8	/* bytes of the author's key and of the ref in a record */
#define WIRE_CR_REGION_MAX	12	/* region digits a record carries, at most */
#define WIRE_CR_MIN		(1 + WIRE_CR_PREFIX + 1 + WIRE_SIG_BYTES)
#define WIRE_CR_MAX		(1 + WIRE_CR_PREFIX + 5 + WIRE_CR_PREFIX + 10 + 5 + 10 + 1 + \
				    WIRE_VIA_BYTES + 1 + WIRE_CR_REGION_MAX / 2 + WIRE_SIG_BYTES)

/* Receipt.via in a record: absent, the receiving node's key, the sending node's, given. */
enum { WIRE_CR_VIA_NONE, WIRE_CR_VIA_RECEIVER, WIRE_CR_VIA_SENDER, WIRE_CR_VIA_GIVEN };
/* Body.region in a record: absent, given (digits), the scope of the author's certificate. */
enum { WIRE_CR_REGION_NONE, WIRE_CR_REGION_GIVEN, WIRE_CR_REGION_SCOPE };

struct wire_creceipt {
	int		 author_given;	/* 0: the sending node is the author (relay_hops 0) */
	uint8_t		 author[WIRE_CR_PREFIX];
	uint32_t	 relay_hops;	/* hops the receipt travelled to the sending node */
	uint8_t		 ref[WIRE_CR_PREFIX];	/* of Body.refs[0], the warning */
	int64_t		 created_delta;	/* created_ms - (warning's created_ms + delay_ms) */
	int		 has_path;	/* Receipt.hops and delay_ms present */
	uint32_t	 hops;
	uint64_t	 delay_ms;
	int		 via;		/* WIRE_CR_VIA_* */
	uint8_t		 via_bytes[WIRE_VIA_BYTES];	/* WIRE_CR_VIA_GIVEN */
	int		 link;		/* Receipt.link: 0 absent, else WIRE_LINK_* (1 .. 255) */
	int		 region;	/* WIRE_CR_REGION_* */
	char		 region_digits[WIRE_CR_REGION_MAX + 1];	/* WIRE_CR_REGION_GIVEN */
	uint8_t		 sig[WIRE_SIG_BYTES];
};

/* The whole values behind a record's prefixes and references (all borrowed). */
struct wire_creceipt_keys {
	const uint8_t	*author;	/* 32-byte key of the receipt's author */
	const uint8_t	*ref;		/* 32-byte id of the warning it confirms */
	uint64_t	 ref_created_ms;	/* that warning's created_ms */
	const uint8_t	*receiver;	/* 32-byte key of the node the record goes to */
	const uint8_t	*sender;	/* 32-byte key of the node that sends it */
	const char	*scope;		/* the author's certificate scope; NULL: not known */
};

/*
 * Read one record at buf (len bytes: the record and whatever follows it). 0, *out and *used
 * (the record's length); -1 when the bytes are not one record (truncated, a reserved flag
 * value, a varint not in its shortest form or too large, a region digit above 9).
 */
int		 wire_creceipt_parse(const uint8_t *buf, size_t len, struct wire_creceipt *out,
		    size_t *used);
/* Write r (as wire_creceipt_parse reads it) into out; returns its length. */
size_t		 wire_creceipt_write(const struct wire_creceipt *r, uint8_t out[WIRE_CR_MAX]);
/*
 * The envelope r stands for, given the whole values k (author and ref required; receiver,
 * sender and scope as r needs them): the body packed by protobuf-c, then the Envelope.
 * 0 and *env (malloc()ed, caller frees) and *envlen; EINVAL (a value r needs is missing),
 * ENOENT (r names the certificate scope and k->scope is NULL), ERANGE (the created time
 * is out of range), ENOMEM.
 */
int		 wire_creceipt_envelope(const struct wire_creceipt *r,
		    const struct wire_creceipt_keys *k, uint8_t **env, size_t *envlen);
/*
 * The sender's side: the record for the envelope env (envlen bytes) whose decoded body is b
 * and signature sig, relayed after relay_hops hops, to go from k->sender to k->receiver
 * (k->ref_created_ms and k->scope as the sender knows them; k->author and k->ref unused).
 * 0 and *out only when the record rebuilds env exactly (wire_creceipt_envelope with b's
 * author and ref): a DELIVERED receipt in fenghuod's form. -1 otherwise: send it whole.
 */
int		 wire_creceipt_make(const uint8_t *env, size_t envlen, const Fenghuo__Body *b,
		    const uint8_t *sig, size_t siglen, uint32_t relay_hops,
		    const struct wire_creceipt_keys *k, struct wire_creceipt *out);

/*
 * Names of enum values ("report", "red", "handling", ...), lower case, as used by the CLI,
 * JSON output and the docs. *_name returns NULL for a value without a name; *_parse returns
 * the value, or -1 for an unknown name.
 */
const char	*wire_kind_name(int kind);
int		 wire_kind_parse(const char *name);
const char	*wire_level_name(int level);
int		 wire_level_parse(const char *name);
const char	*wire_stage_name(int stage);
int		 wire_stage_parse(const char *name);
const char	*wire_role_name(int role);
int		 wire_role_parse(const char *name);
const char	*wire_msgtype_name(int v);
int		 wire_msgtype_parse(const char *name);
const char	*wire_urgency_name(int v);
int		 wire_urgency_parse(const char *name);
const char	*wire_severity_name(int v);
int		 wire_severity_parse(const char *name);
const char	*wire_certainty_name(int v);
int		 wire_certainty_parse(const char *name);
const char	*wire_response_name(int v);
int		 wire_response_parse(const char *name);
/* WIRE_LINK_* ("zeromq", "stream", "udp", "serial", "stdio"); NULL for UNKNOWN. */
const char	*wire_link_name(int v);
int		 wire_link_parse(const char *name);
const char	*wire_status_name(int v);
int		 wire_status_parse(const char *name);

/*
 * The CAP status of a body: Body.status, or FENGHUO__STATUS__ACTUAL when it is absent or 0
 * (bodies written before the field existed are real messages). Not checked: a validated
 * body holds ACTUAL..DRAFT.
 */
int		 wire_status_of(const Fenghuo__Body *b);

/* The CAP severity that a colour level stands for (DESIGN decision 3), or 0. */
int		 wire_level_severity(int level);

/*
 * The version two nodes use: the highest in both [our_min, our_max] and the range a peer's
 * HELLO states (protocol_version up to protocol_max; protocol_max absent means
 * protocol_version alone, what a node of version 1 sends). Returns the version (>= 1), or 0
 * when the HELLO states no valid range (protocol_version absent or 0, protocol_max below it)
 * or the ranges do not overlap; the peer's range is in *peer_min and *peer_max either way
 * (0 when absent), for the refusal's reason.
 */
unsigned	wire_protocol_pick(unsigned our_min, unsigned our_max,
		    const Fenghuo__Hello *h, unsigned *peer_min, unsigned *peer_max);

#endif /* FH_WIRE_H */
