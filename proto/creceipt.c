/*
 * creceipt.c: compact DELIVERED receipts, the record that stands for a receipt's envelope on
 * a slow link (docs/PROTOCOL.md §5, Compact receipts).
 *
 * A delivery receipt written by fenghuod is nearly all fixed: version, kind, stage, one ref,
 * the path fields. On a 2,400 bit/s radio its whole envelope (some 180 bytes) is most of
 * what a confirmation costs. The record keeps only what the receiver cannot know: 8-byte
 * prefixes of the author and of the warning, the created time as an offset, the path fields,
 * the signature. The receiver rebuilds the exact signed body from it with protobuf-c, which
 * packs fields in field-number order, so the result is byte for byte what the author's
 * fenghuod signed; the sender makes sure of that before it sends a record
 * (wire_creceipt_make packs the body again from the record and compares), so the stored and
 * forwarded bytes stay the author's original envelope and the id does not change.
 *
 * Pure: no I/O, no store, no keys. Resolving the prefixes is the caller's business.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define CR_F_VIA	0x03u	/* bits 0-1: WIRE_CR_VIA_* */
#define CR_F_LINK	0x0cu	/* bits 2-3: link mode, CR_LINK_* */

/*
 * Receipt.link in a record: the two values a receipt mostly has cost no byte; any other
 * (a stream of a kind not said, serial, stdio, later kinds) follows as one byte.
 */
enum { CR_LINK_NONE, CR_LINK_ZMQ, CR_LINK_UDP, CR_LINK_BYTE };
#define CR_F_REGION	0x30u	/* bits 4-5: WIRE_CR_REGION_* */
#define CR_F_PATH	0x40u	/* hops and delay_ms present */
#define CR_F_AUTHOR	0x80u	/* author prefix and relay hops in the record */

/* A varint in its shortest form (protobuf's base 128, least significant group first). */
static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	return n;
}

/*
 * Read a varint of at most 10 bytes in its shortest form (no trailing zero group, so that
 * each value has one encoding). The number of bytes, or 0 when it does not read.
 */
static size_t
get_varint(const uint8_t *p, size_t len, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < len && i < 10; i++) {
		if (i == 9 && p[i] > 1)
			return 0;	/* beyond 64 bits */
		x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if ((p[i] & 0x80) == 0) {
			if (i > 0 && p[i] == 0)
				return 0;	/* not the shortest form */
			*v = x;
			return i + 1;
		}
	}
	return 0;
}

static uint64_t
zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t
unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

int
wire_creceipt_parse(const uint8_t *buf, size_t len, struct wire_creceipt *out, size_t *used)
{
	const uint8_t *p = buf, *end = buf + len;
	uint64_t v;
	size_t k, nd, i;
	uint8_t f, d, lmode;

	memset(out, 0, sizeof(*out));
	if (buf == NULL || len < WIRE_CR_MIN)
		return -1;
	f = *p++;
	out->via = f & CR_F_VIA;
	lmode = (f & CR_F_LINK) >> 2;
	out->link = lmode == CR_LINK_ZMQ ? WIRE_LINK_ZMQ : lmode == CR_LINK_UDP ? WIRE_LINK_UDP : 0;
	out->region = (f & CR_F_REGION) >> 4;
	out->has_path = (f & CR_F_PATH) != 0;
	out->author_given = (f & CR_F_AUTHOR) != 0;
	if (out->region > WIRE_CR_REGION_SCOPE)
		return -1;	/* the value reserved for later */
	if (out->author_given) {
		if ((size_t)(end - p) < WIRE_CR_PREFIX)
			return -1;
		memcpy(out->author, p, WIRE_CR_PREFIX);
		p += WIRE_CR_PREFIX;
		if ((k = get_varint(p, (size_t)(end - p), &v)) == 0 || v > UINT32_MAX)
			return -1;
		out->relay_hops = (uint32_t)v;
		p += k;
	}
	if ((size_t)(end - p) < WIRE_CR_PREFIX)
		return -1;
	memcpy(out->ref, p, WIRE_CR_PREFIX);
	p += WIRE_CR_PREFIX;
	if ((k = get_varint(p, (size_t)(end - p), &v)) == 0)
		return -1;
	out->created_delta = unzigzag(v);
	p += k;
	if (out->has_path) {
		if ((k = get_varint(p, (size_t)(end - p), &v)) == 0 || v > UINT32_MAX)
			return -1;
		out->hops = (uint32_t)v;
		p += k;
		if ((k = get_varint(p, (size_t)(end - p), &out->delay_ms)) == 0)
			return -1;
		p += k;
	}
	if (lmode == CR_LINK_BYTE) {
		/* One encoding per record: the values the flags can say are not repeated here. */
		if (p == end || *p == WIRE_LINK_UNKNOWN || *p == WIRE_LINK_ZMQ ||
		    *p == WIRE_LINK_UDP)
			return -1;
		out->link = *p++;
	}
	if (out->via == WIRE_CR_VIA_GIVEN) {
		if ((size_t)(end - p) < WIRE_VIA_BYTES)
			return -1;
		memcpy(out->via_bytes, p, WIRE_VIA_BYTES);
		p += WIRE_VIA_BYTES;
	}
	if (out->region == WIRE_CR_REGION_GIVEN) {
		if (p == end || (nd = *p++) > WIRE_CR_REGION_MAX ||
		    (size_t)(end - p) < (nd + 1) / 2)
			return -1;
		for (i = 0; i < nd; i++) {
			d = i % 2 == 0 ? p[i / 2] >> 4 : p[i / 2] & 0x0f;
			if (d > 9)
				return -1;
			out->region_digits[i] = (char)('0' + d);
		}
		if (nd % 2 == 1 && (p[nd / 2] & 0x0f) != 0)
			return -1;	/* the spare nibble is 0: one encoding per region */
		out->region_digits[nd] = '\0';
		p += (nd + 1) / 2;
	}
	if ((size_t)(end - p) < WIRE_SIG_BYTES)
		return -1;
	memcpy(out->sig, p, WIRE_SIG_BYTES);
	p += WIRE_SIG_BYTES;
	*used = (size_t)(p - buf);
	return 0;
}

size_t
wire_creceipt_write(const struct wire_creceipt *r, uint8_t out[WIRE_CR_MAX])
{
	uint8_t *p = out;
	size_t nd, i;
	unsigned lmode;

	lmode = r->link == WIRE_LINK_UNKNOWN ? CR_LINK_NONE : r->link == WIRE_LINK_ZMQ ?
	    CR_LINK_ZMQ : r->link == WIRE_LINK_UDP ? CR_LINK_UDP : CR_LINK_BYTE;
	*p++ = (uint8_t)((unsigned)r->via | lmode << 2 | (unsigned)r->region << 4 |
	    (r->has_path ? CR_F_PATH : 0) | (r->author_given ? CR_F_AUTHOR : 0));
	if (r->author_given) {
		memcpy(p, r->author, WIRE_CR_PREFIX);
		p += WIRE_CR_PREFIX;
		p += put_varint(p, r->relay_hops);
	}
	memcpy(p, r->ref, WIRE_CR_PREFIX);
	p += WIRE_CR_PREFIX;
	p += put_varint(p, zigzag(r->created_delta));
	if (r->has_path) {
		p += put_varint(p, r->hops);
		p += put_varint(p, r->delay_ms);
	}
	if (lmode == CR_LINK_BYTE)
		*p++ = (uint8_t)r->link;
	if (r->via == WIRE_CR_VIA_GIVEN) {
		memcpy(p, r->via_bytes, WIRE_VIA_BYTES);
		p += WIRE_VIA_BYTES;
	}
	if (r->region == WIRE_CR_REGION_GIVEN) {
		nd = strlen(r->region_digits);
		*p++ = (uint8_t)nd;
		memset(p, 0, (nd + 1) / 2);
		for (i = 0; i < nd; i++)
			p[i / 2] |= (uint8_t)((r->region_digits[i] - '0') << (i % 2 == 0 ? 4 : 0));
		p += (nd + 1) / 2;
	}
	memcpy(p, r->sig, WIRE_SIG_BYTES);
	p += WIRE_SIG_BYTES;
	return (size_t)(p - out);
}

/* The receipt's created time: the base (the warning's created time plus the delay) + delta. */
static int
created_ms(const struct wire_creceipt *r, uint64_t ref_created_ms, uint64_t *out)
{
	uint64_t base = ref_created_ms, mag;

	if (r->has_path) {
		if (base > UINT64_MAX - r->delay_ms)
			return -1;
		base += r->delay_ms;
	}
	if (r->created_delta >= 0) {
		if (base > UINT64_MAX - (uint64_t)r->created_delta)
			return -1;
		*out = base + (uint64_t)r->created_delta;
	} else {
		mag = (uint64_t)-(r->created_delta + 1) + 1;
		if (mag > base)
			return -1;
		*out = base - mag;
	}
	return *out != 0 ? 0 : -1;
}

int
wire_creceipt_envelope(const struct wire_creceipt *r, const struct wire_creceipt_keys *k,
    uint8_t **env, size_t *envlen)
{
	Fenghuo__Envelope e = FENGHUO__ENVELOPE__INIT;
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Receipt rc = FENGHUO__RECEIPT__INIT;
	ProtobufCBinaryData ref;
	uint8_t *body = NULL, *out;
	size_t bodylen, n;

	*env = NULL;
	*envlen = 0;
	if (k->author == NULL || k->ref == NULL)
		return EINVAL;
	b.has_version = 1;
	b.version = WIRE_BODY_VERSION;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__RECEIPT;
	b.has_author = 1;
	b.author.data = (uint8_t *)(uintptr_t)k->author;
	b.author.len = WIRE_KEY_BYTES;
	b.has_created_ms = 1;
	if (created_ms(r, k->ref_created_ms, &b.created_ms) != 0)
		return ERANGE;
	switch (r->region) {
	case WIRE_CR_REGION_GIVEN:
		b.region = (char *)(uintptr_t)r->region_digits;
		break;
	case WIRE_CR_REGION_SCOPE:
		if (k->scope == NULL)
			return ENOENT;
		b.region = (char *)(uintptr_t)k->scope;
		break;
	default:
		break;
	}
	ref.data = (uint8_t *)(uintptr_t)k->ref;
	ref.len = WIRE_ID_BYTES;
	b.n_refs = 1;
	b.refs = &ref;
	rc.has_stage = 1;
	rc.stage = FENGHUO__STAGE__DELIVERED;
	if (r->has_path) {
		rc.has_hops = 1;
		rc.hops = r->hops;
		rc.has_delay_ms = 1;
		rc.delay_ms = r->delay_ms;
	}
	rc.has_via = r->via != WIRE_CR_VIA_NONE;
	rc.via.len = WIRE_VIA_BYTES;
	switch (r->via) {
	case WIRE_CR_VIA_RECEIVER:
		rc.via.data = (uint8_t *)(uintptr_t)k->receiver;
		break;
	case WIRE_CR_VIA_SENDER:
		rc.via.data = (uint8_t *)(uintptr_t)k->sender;
		break;
	case WIRE_CR_VIA_GIVEN:
		rc.via.data = (uint8_t *)(uintptr_t)r->via_bytes;
		break;
	default:
		break;
	}
	if (rc.has_via && rc.via.data == NULL)
		return EINVAL;
	rc.has_link = r->link != 0;
	rc.link = (uint32_t)r->link;
	b.receipt = &rc;

	bodylen = fenghuo__body__get_packed_size(&b);
	if ((body = malloc(bodylen)) == NULL)
		return ENOMEM;
	fenghuo__body__pack(&b, body);
	e.has_body = 1;
	e.body.data = body;
	e.body.len = bodylen;
	e.has_sig = 1;
	e.sig.data = (uint8_t *)(uintptr_t)r->sig;
	e.sig.len = WIRE_SIG_BYTES;
	n = fenghuo__envelope__get_packed_size(&e);
	if ((out = malloc(n)) == NULL) {
		free(body);
		return ENOMEM;
	}
	fenghuo__envelope__pack(&e, out);
	free(body);
	*env = out;
	*envlen = n;
	return 0;
}

/* The region of b as the record carries it: 0 and r->region set, or -1. */
static int
make_region(const Fenghuo__Body *b, const char *scope, struct wire_creceipt *r)
{
	size_t i, nd;

	if (b->region == NULL) {
		r->region = WIRE_CR_REGION_NONE;
		return 0;
	}
	if (scope != NULL && strcmp(b->region, scope) == 0) {
		r->region = WIRE_CR_REGION_SCOPE;
		return 0;
	}
	if ((nd = strlen(b->region)) > WIRE_CR_REGION_MAX)
		return -1;
	for (i = 0; i < nd; i++)
		if (b->region[i] < '0' || b->region[i] > '9')
			return -1;
	memcpy(r->region_digits, b->region, nd + 1);
	r->region = WIRE_CR_REGION_GIVEN;
	return 0;
}

int
wire_creceipt_make(const uint8_t *env, size_t envlen, const Fenghuo__Body *b,
    const uint8_t *sig, size_t siglen, uint32_t relay_hops, const struct wire_creceipt_keys *k,
    struct wire_creceipt *out)
{
	const Fenghuo__Receipt *rc;
	struct wire_creceipt_keys kk;
	uint64_t base;
	uint8_t *e2;
	size_t e2len;
	int same;

	memset(out, 0, sizeof(*out));
	if (b == NULL || (rc = b->receipt) == NULL || !b->has_kind ||
	    b->kind != FENGHUO__KIND__RECEIPT || !rc->has_stage ||
	    rc->stage != FENGHUO__STAGE__DELIVERED || b->n_refs != 1 ||
	    b->refs[0].len != WIRE_ID_BYTES || !b->has_author ||
	    b->author.len != WIRE_KEY_BYTES || !b->has_created_ms || sig == NULL ||
	    siglen != WIRE_SIG_BYTES || k->sender == NULL || k->receiver == NULL)
		return -1;
	out->author_given = memcmp(b->author.data, k->sender, WIRE_KEY_BYTES) != 0;
	if (out->author_given)
		memcpy(out->author, b->author.data, WIRE_CR_PREFIX);
	else if (relay_hops != 0)
		return -1;	/* the sender's own receipt goes with relay hops 0 */
	out->relay_hops = relay_hops;
	memcpy(out->ref, b->refs[0].data, WIRE_CR_PREFIX);
	out->has_path = rc->has_hops && rc->has_delay_ms;
	if (out->has_path) {
		out->hops = rc->hops;
		out->delay_ms = rc->delay_ms;
	}
	/* The created time as an offset from what the receiver knows: it fits in int64. */
	base = k->ref_created_ms;
	if (out->has_path && base > UINT64_MAX - out->delay_ms)
		return -1;
	base += out->has_path ? out->delay_ms : 0;
	if (b->created_ms >= base) {
		if (b->created_ms - base > (uint64_t)INT64_MAX)
			return -1;
		out->created_delta = (int64_t)(b->created_ms - base);
	} else {
		if (base - b->created_ms > (uint64_t)INT64_MAX)
			return -1;
		out->created_delta = -(int64_t)(base - b->created_ms);
	}
	if (rc->has_via) {
		if (rc->via.len != WIRE_VIA_BYTES)
			return -1;
		if (memcmp(rc->via.data, k->receiver, WIRE_VIA_BYTES) == 0)
			out->via = WIRE_CR_VIA_RECEIVER;
		else if (memcmp(rc->via.data, k->sender, WIRE_VIA_BYTES) == 0)
			out->via = WIRE_CR_VIA_SENDER;
		else {
			out->via = WIRE_CR_VIA_GIVEN;
			memcpy(out->via_bytes, rc->via.data, WIRE_VIA_BYTES);
		}
	}
	if (rc->has_link) {
		if (rc->link == WIRE_LINK_UNKNOWN || rc->link > UINT8_MAX)
			return -1;	/* 0 is written as absent; a record holds a byte */
		out->link = (int)rc->link;
	}
	if (make_region(b, k->scope, out) != 0)
		return -1;
	memcpy(out->sig, sig, WIRE_SIG_BYTES);

	/*
	 * The check that makes the record safe to send: the envelope rebuilt from it (with
	 * the whole author and ref the receiver will look up) must be the author's, byte for
	 * byte. Anything else in the body (a note, an unknown field, another order) fails it.
	 */
	kk = *k;
	kk.author = b->author.data;
	kk.ref = b->refs[0].data;
	if (wire_creceipt_envelope(out, &kk, &e2, &e2len) != 0)
		return -1;
	same = e2len == envlen && memcmp(e2, env, envlen) == 0;
	free(e2);
	return same ? 0 : -1;
}
