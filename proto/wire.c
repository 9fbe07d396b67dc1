/*
 * wire.c: bounded unpacking of protobuf-c messages, the one frame built without protobuf-c
 * (a Sync already serialized, wrapped in its Frame), and the names of enum values.
 *
 * protobuf-c trusts the length it is given; every unpack in fenghuo goes through here so that
 * no caller can hand it more than the protocol allows.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

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

int
wire_frame_wrap_sync(const uint8_t *sync, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t hdr[1 + WIRE_VARINT_MAX];
	size_t hl;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if ((sync == NULL && len > 0) || out == NULL || outlen == NULL)
		return EINVAL;
	/* protobuf-c numbers a oneof's cases by their field numbers: Frame.sync is 5. */
	hdr[0] = (uint8_t)(FENGHUO__FRAME__MSG_SYNC << 3 | WIRE_LENDELIM);
	hl = 1 + varint_put(hdr + 1, len);
	if (len > WIRE_FRAME_MAX - hl)
		return EMSGSIZE;
	if ((*out = malloc(hl + len)) == NULL)
		return ENOMEM;
	memcpy(*out, hdr, hl);
	if (len > 0)
		memcpy(*out + hl, sync, len);
	*outlen = hl + len;
	return 0;
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
