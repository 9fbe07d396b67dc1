/*
 * wire.c: bounded unpacking of protobuf-c messages, the frames built without protobuf-c (a
 * Sync already serialized, wrapped in its Frame; a Frame compressed into Frame.deflated) and
 * the bounded inflation of the latter, and the names of enum values.
 *
 * protobuf-c trusts the length it is given; every unpack in fenghuo goes through here so that
 * no caller can hand it more than the protocol allows. zlib likewise writes as much as the
 * compressed bytes say: inflation goes through here so that no peer can make it write more
 * than WIRE_DEFLATED_MAX.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "wire.h"

Fenghuo__Envelope *
wire_envelope_unpack(const uint8_t *buf, size_t len)
{
	if (buf == NULL || len == 0 || len > WIRE_ENVELOPE_MAX)
		return NULL;
	return fenghuo__envelope__unpack(NULL, len, buf);
}

/* Every Body decoded by this process: the cost counter of wire_body_decodes(). */
static _Atomic uint64_t body_decodes;

Fenghuo__Body *
wire_body_unpack(const uint8_t *buf, size_t len)
{
	if (buf == NULL || len == 0 || len > WIRE_ENVELOPE_MAX)
		return NULL;
	atomic_fetch_add_explicit(&body_decodes, 1, memory_order_relaxed);
	return fenghuo__body__unpack(NULL, len, buf);
}

uint64_t
wire_body_decodes(void)
{
	return atomic_load_explicit(&body_decodes, memory_order_relaxed);
}

Fenghuo__Frame *
wire_frame_unpack(const uint8_t *buf, size_t len)
{
	if (buf == NULL || len == 0 || len > WIRE_FRAME_MAX)
		return NULL;
	return fenghuo__frame__unpack(NULL, len, buf);
}

/* protobuf wire type 2: a length-delimited field (a bytes field or a sub-message). */
#define WIRE_LENDELIM	2
#define WIRE_VARINT_MAX	10	/* bytes of a 64-bit varint */

/* A base-128 varint, least significant group first, as protobuf writes it. */
static size_t
varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v > 0);
	return n;
}

/*
 * Frame{field: bytes} around bytes already serialized: the field's tag (wire type 2), the
 * length as a varint, then the bytes. *out is malloc()ed.
 */
static int
frame_wrap(unsigned field, const uint8_t *data, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t hdr[1 + WIRE_VARINT_MAX];
	size_t hl;

	hdr[0] = (uint8_t)(field << 3 | WIRE_LENDELIM);
	hl = 1 + varint_put(hdr + 1, len);
	if (len > WIRE_FRAME_MAX - hl)
		return EMSGSIZE;
	if ((*out = malloc(hl + len)) == NULL)
		return ENOMEM;
	memcpy(*out, hdr, hl);
	if (len > 0)
		memcpy(*out + hl, data, len);
	*outlen = hl + len;
	return 0;
}

int
wire_frame_wrap_sync(const uint8_t *sync, size_t len, uint8_t **out, size_t *outlen)
{
	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if ((sync == NULL && len > 0) || out == NULL || outlen == NULL)
		return EINVAL;
	/* protobuf-c numbers a oneof's cases by their field numbers: Frame.sync is 5. */
	return frame_wrap(FENGHUO__FRAME__MSG_SYNC, sync, len, out, outlen);
}

int
wire_frame_deflate(const uint8_t *frame, size_t len, uint8_t **out, size_t *outlen)
{
	z_stream z;
	uint8_t *c;
	size_t cap;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (frame == NULL || len == 0 || out == NULL || outlen == NULL)
		return EINVAL;
	if (len > WIRE_DEFLATED_MAX)
		return EMSGSIZE;
	memset(&z, 0, sizeof(z));
	/* Raw DEFLATE (negative window bits): no zlib header or Adler-32, 6 bytes less. */
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return ENOMEM;
	cap = deflateBound(&z, (uLong)len);
	if ((c = malloc(cap)) == NULL) {
		deflateEnd(&z);
		return ENOMEM;
	}
	z.next_in = (Bytef *)(uintptr_t)frame;
	z.avail_in = (uInt)len;
	z.next_out = c;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(c);
		return EIO;
	}
	rc = frame_wrap(FENGHUO__FRAME__MSG_DEFLATED, c, cap - z.avail_out, out, outlen);
	free(c);
	return rc;
}

int
wire_frame_inflate(const uint8_t *data, size_t len, uint8_t **out, size_t *outlen)
{
	z_stream z;
	uint8_t *buf = NULL, *nb;
	size_t cap, have = 0;
	int zr, rc;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if ((data == NULL && len > 0) || out == NULL || outlen == NULL)
		return EINVAL;
	if (len == 0 || len > WIRE_FRAME_MAX)
		return EBADMSG;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -15) != Z_OK)
		return ENOMEM;
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	/*
	 * The buffer grows as the output does, up to one byte beyond the bound (so that output
	 * over it is seen), never to what the input claims: memory follows what was produced.
	 */
	cap = len * 4 < 4096 ? 4096 : len * 4;
	for (;;) {
		if (cap > WIRE_DEFLATED_MAX + 1)
			cap = WIRE_DEFLATED_MAX + 1;
		if ((nb = realloc(buf, cap)) == NULL) {
			rc = ENOMEM;
			goto err;
		}
		buf = nb;
		z.next_out = buf + have;
		z.avail_out = (uInt)(cap - have);
		zr = inflate(&z, Z_NO_FLUSH);
		have = cap - z.avail_out;
		if (have > WIRE_DEFLATED_MAX) {
			rc = EMSGSIZE;
			goto err;
		}
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_OK && z.avail_out == 0) {
			cap *= 2;	/* more output to come */
			continue;
		}
		/* Z_BUF_ERROR with output room: the input ended inside the stream. */
		rc = EBADMSG;
		goto err;
	}
	if (z.avail_in != 0 || have == 0) {
		rc = EBADMSG;	/* bytes after the end of the stream, or nothing inside */
		goto err;
	}
	inflateEnd(&z);
	*out = buf;
	*outlen = have;
	return 0;
err:
	inflateEnd(&z);
	free(buf);
	return rc;
}

/* Index = enum value; NULL marks a value without a name. */
static const char *const kind_names[] = {
	NULL, "report", "warning", "receipt", "cert", "revoke", "announce",
};
static const char *const level_names[] = { NULL, "blue", "yellow", "orange", "red" };
static const char *const stage_names[] = {
	NULL, "delivered", "registered", "verified", "handling", "closed",
};
static const char *const role_names[] = {
	NULL, "node", "reporter", "verifier", "issuer", "admin",
};
static const char *const msgtype_names[] = { NULL, "alert", "update", "cancel" };
static const char *const link_names[] = {
	NULL, "zeromq", "stream", "udp", "serial", "stdio",
};
static const char *const urgency_names[] = {
	NULL, "immediate", "expected", "future", "past", "unknown",
};
static const char *const severity_names[] = {
	NULL, "extreme", "severe", "moderate", "minor", "unknown",
};
static const char *const certainty_names[] = {
	NULL, "observed", "likely", "possible", "unlikely", "unknown",
};
/* Status values in proto order; ACTUAL is also what an absent status means. */
static const char *const status_names[] = {
	NULL, "actual", "exercise", "system", "test", "draft",
};
static const char *const response_names[] = {
	NULL, "shelter", "evacuate", "prepare", "execute", "avoid", "monitor", "assess",
	"allclear", "none",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *
name_of(const char *const *names, size_t n, int v)
{
	if (v < 0 || (size_t)v >= n)
		return NULL;
	return names[v];
}

static int
parse_of(const char *const *names, size_t n, const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

#define NAMES(fn, table)						\
const char *								\
wire_##fn##_name(int v)							\
{									\
	return name_of(table, NELEM(table), v);				\
}									\
int									\
wire_##fn##_parse(const char *name)					\
{									\
	return parse_of(table, NELEM(table), name);			\
}

NAMES(kind, kind_names)
NAMES(level, level_names)
NAMES(stage, stage_names)
NAMES(role, role_names)
NAMES(msgtype, msgtype_names)
NAMES(urgency, urgency_names)
NAMES(severity, severity_names)
NAMES(certainty, certainty_names)
NAMES(status, status_names)
NAMES(response, response_names)
NAMES(link, link_names)

int
wire_status_of(const Fenghuo__Body *b)
{
	if (b == NULL || !b->has_status || b->status == FENGHUO__STATUS__STATUS_UNSPECIFIED)
		return FENGHUO__STATUS__ACTUAL;
	return (int)b->status;
}

int
wire_level_severity(int level)
{
	switch (level) {
	case FENGHUO__LEVEL__BLUE:
		return FENGHUO__SEVERITY__MINOR;
	case FENGHUO__LEVEL__YELLOW:
		return FENGHUO__SEVERITY__MODERATE;
	case FENGHUO__LEVEL__ORANGE:
		return FENGHUO__SEVERITY__SEVERE;
	case FENGHUO__LEVEL__RED:
		return FENGHUO__SEVERITY__EXTREME;
	default:
		return 0;
	}
}

unsigned
wire_protocol_pick(unsigned our_min, unsigned our_max, const Fenghuo__Hello *h,
    unsigned *peer_min, unsigned *peer_max)
{
	unsigned lo, hi;

	*peer_min = h->has_protocol_version ? h->protocol_version : 0;
	*peer_max = h->has_protocol_max ? h->protocol_max : *peer_min;
	if (*peer_min == 0 || *peer_max < *peer_min)
		return 0;
	lo = *peer_min > our_min ? *peer_min : our_min;
	hi = *peer_max < our_max ? *peer_max : our_max;
	return lo <= hi ? hi : 0;
}
