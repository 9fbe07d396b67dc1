/*
 * test_creceipt.c: compact DELIVERED receipts (proto/creceipt.c, PROTOCOL.md §5).
 *
 * A receipt in fenghuod's form becomes a record that rebuilds its envelope byte for byte,
 * in every combination of the record's modes; the sender's check refuses every body the
 * record cannot carry exactly; the parser refuses truncated and malformed records, and reads
 * back what the writer wrote. The signatures here are arbitrary bytes: nothing at this level
 * verifies them (the ingest does, after the rebuild).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

static uint8_t author[WIRE_KEY_BYTES], sender[WIRE_KEY_BYTES], receiver[WIRE_KEY_BYTES];
static uint8_t warning[WIRE_ID_BYTES], sig[WIRE_SIG_BYTES], other[WIRE_VIA_BYTES];

#define W_CREATED	1764892800000ULL

/* The fields of a receipt body, as deliver.c and node_publish fill them. */
struct rb {
	const uint8_t	*author;
	uint64_t	 created;
	const char	*region;
	int		 path;		/* hops and delay_ms */
	uint32_t	 hops;
	uint64_t	 delay;
	const uint8_t	*via;		/* NULL: absent */
	int		 link;		/* 0: absent */
	const char	*note;		/* not fenghuod's form */
	int		 nrefs;		/* 1 in fenghuod's form */
	int		 stage;
};

static void
rb_default(struct rb *r)
{
	memset(r, 0, sizeof(*r));
	r->author = sender;
	r->created = W_CREATED + 900 + 3;
	r->region = "330110101201";
	r->path = 1;
	r->hops = 2;
	r->delay = 900;
	r->via = receiver;
	r->link = WIRE_LINK_UDP;
	r->nrefs = 1;
	r->stage = FENGHUO__STAGE__DELIVERED;
}

/* The envelope of r, packed as fc_envelope_seal does; *body the decoded body (caller frees). */
static uint8_t *
rb_envelope(const struct rb *r, size_t *len, Fenghuo__Body **body)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Receipt rc = FENGHUO__RECEIPT__INIT;
	Fenghuo__Envelope e = FENGHUO__ENVELOPE__INIT;
	ProtobufCBinaryData refs[2];
	uint8_t *bb, *out;
	size_t blen;

	b.has_version = 1;
	b.version = 1;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__RECEIPT;
	b.has_author = 1;
	b.author.data = (uint8_t *)(uintptr_t)r->author;
	b.author.len = WIRE_KEY_BYTES;
	b.has_created_ms = 1;
	b.created_ms = r->created;
	b.region = (char *)(uintptr_t)r->region;
	refs[0].data = warning;
	refs[0].len = WIRE_ID_BYTES;
	refs[1] = refs[0];
	b.n_refs = (size_t)r->nrefs;
	b.refs = refs;
	rc.has_stage = 1;
	rc.stage = (Fenghuo__Stage)r->stage;
	rc.note = (char *)(uintptr_t)r->note;
	if (r->via != NULL) {
		rc.has_via = 1;
		rc.via.data = (uint8_t *)(uintptr_t)r->via;
		rc.via.len = WIRE_VIA_BYTES;
	}
	rc.has_hops = rc.has_delay_ms = r->path;
	rc.hops = r->hops;
	rc.delay_ms = r->delay;
	rc.has_link = r->link != 0;
	rc.link = (uint32_t)r->link;
	b.receipt = &rc;
	blen = fenghuo__body__get_packed_size(&b);
	assert_non_null(bb = malloc(blen));
	fenghuo__body__pack(&b, bb);
	e.has_body = e.has_sig = 1;
	e.body.data = bb;
	e.body.len = blen;
	e.sig.data = sig;
	e.sig.len = sizeof(sig);
	*len = fenghuo__envelope__get_packed_size(&e);
	assert_non_null(out = malloc(*len));
	fenghuo__envelope__pack(&e, out);
	assert_non_null(*body = fenghuo__body__unpack(NULL, blen, bb));
	free(bb);
	return out;
}

static void
keys_for(struct wire_creceipt_keys *k, const char *scope)
{
	memset(k, 0, sizeof(*k));
	k->ref_created_ms = W_CREATED;
	k->sender = sender;
	k->receiver = receiver;
	k->scope = scope;
}

/*
 * r made into a record from sender to receiver (scope as both know it), written, read back
 * and rebuilt with the whole author and ref: the original envelope. Returns the record's
 * length.
 */
static size_t
round_trip(const struct rb *r, const char *scope, uint32_t relay, struct wire_creceipt *out)
{
	struct wire_creceipt_keys k;
	struct wire_creceipt back;
	Fenghuo__Body *b;
	uint8_t *env, *env2, rec[WIRE_CR_MAX];
	size_t len, len2, reclen, used;

	env = rb_envelope(r, &len, &b);
	keys_for(&k, scope);
	assert_int_equal(wire_creceipt_make(env, len, b, sig, sizeof(sig), relay, &k, out), 0);
	reclen = wire_creceipt_write(out, rec);
	assert_true(reclen >= WIRE_CR_MIN && reclen <= WIRE_CR_MAX);
	assert_int_equal(wire_creceipt_parse(rec, reclen, &back, &used), 0);
	assert_int_equal(used, reclen);
	assert_int_equal(back.relay_hops, relay);
	k.author = r->author;
	k.ref = warning;
	assert_int_equal(wire_creceipt_envelope(&back, &k, &env2, &len2), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(env2, env, len);
	free(env2);
	free(env);
	fenghuo__body__free_unpacked(b, NULL);
	return reclen;
}

/* The node's own receipt to the neighbour it had the warning from: 77 bytes. */
static void
test_direct(void **state)
{
	struct wire_creceipt r;
	struct rb b;

	(void)state;
	rb_default(&b);
	/* 1 flags, 8 ref, 1 created offset, 1 hops, 2 delay, 64 signature */
	assert_int_equal(round_trip(&b, "330110101201", 0, &r), 77);
	assert_false(r.author_given);
	assert_int_equal(r.via, WIRE_CR_VIA_RECEIVER);
	assert_int_equal(r.region, WIRE_CR_REGION_SCOPE);
	assert_int_equal(r.link, WIRE_LINK_UDP);
	assert_int_equal(r.created_delta, 3);
	/* A serial (or stdio, or unsaid stream) link costs its byte. */
	b.link = WIRE_LINK_SERIAL;
	assert_int_equal(round_trip(&b, "330110101201", 0, &r), 78);
	assert_int_equal(r.link, WIRE_LINK_SERIAL);
	b.link = WIRE_LINK_UDP;
	/* Without a certificate scope the region's 12 digits go in 7 bytes. */
	assert_int_equal(round_trip(&b, NULL, 0, &r), 84);
	assert_int_equal(r.region, WIRE_CR_REGION_GIVEN);
	assert_int_equal(round_trip(&b, "330110101", 0, &r), 84);
}

/* A village's receipt relayed by its township (the sender): author prefix and relay hops. */
static void
test_relayed(void **state)
{
	struct wire_creceipt r;
	struct rb b;

	(void)state;
	rb_default(&b);
	b.author = author;
	b.via = sender;
	b.link = 1;
	/* + 8 author prefix + 1 relay hops */
	assert_int_equal(round_trip(&b, "330110101201", 1, &r), 86);
	assert_true(r.author_given);
	assert_int_equal(r.via, WIRE_CR_VIA_SENDER);
	assert_int_equal(r.link, WIRE_LINK_ZMQ);
	b.via = other;		/* from a third node: the via prefix itself */
	assert_int_equal(round_trip(&b, "330110101201", 300, &r), 95);
	assert_int_equal(r.via, WIRE_CR_VIA_GIVEN);
}

/* Every optional part absent or odd: still exact. */
static void
test_variants(void **state)
{
	struct wire_creceipt r;
	struct rb b;

	(void)state;
	rb_default(&b);
	b.via = NULL;
	b.link = 0;
	b.region = NULL;
	b.path = 0;
	b.created = W_CREATED - 5000;	/* before the warning: a clock behind */
	assert_int_equal(round_trip(&b, NULL, 0, &r), 1 + 8 + 2 + 64);
	assert_int_equal(r.created_delta, -5000);
	b.region = "";			/* present but empty: 0 digits */
	round_trip(&b, NULL, 0, &r);
	assert_int_equal(r.region, WIRE_CR_REGION_GIVEN);
	b.region = "33011";		/* odd: a spare nibble */
	round_trip(&b, NULL, 0, &r);
	b.path = 1;
	b.hops = 0;
	b.delay = 0;
	b.created = W_CREATED + (1ULL << 62);	/* far ahead */
	round_trip(&b, NULL, 0, &r);
	b.created = 1;
	b.delay = 1ULL << 40;
	round_trip(&b, NULL, 0, &r);
}

/* Bodies a record cannot carry exactly: the sender's check refuses them. */
static void
test_not_compact(void **state)
{
	struct wire_creceipt_keys k;
	struct wire_creceipt r;
	Fenghuo__Body *body;
	uint8_t *env, *env2;
	struct rb b;
	size_t len;
	int i;

	(void)state;
	keys_for(&k, NULL);
	for (i = 0; i < 7; i++) {
		rb_default(&b);
		switch (i) {
		case 0: b.note = "ok"; break;
		case 1: b.nrefs = 2; break;
		case 2: b.link = 256; break;	/* a record holds one byte */
		case 3: b.stage = FENGHUO__STAGE__CLOSED; break;
		case 4: b.region = "33a110"; break;
		case 5: b.region = "3301101012011"; break;
		case 6: b.author = sender; b.hops = 1; break;	/* own, but relayed */
		}
		env = rb_envelope(&b, &len, &body);
		assert_int_equal(wire_creceipt_make(env, len, body, sig, sizeof(sig),
		    i == 6 ? 1 : 0, &k, &r), -1);
		free(env);
		fenghuo__body__free_unpacked(body, NULL);
	}
	/* The envelope with one more (unknown) field, or its fields in another order. */
	rb_default(&b);
	env = rb_envelope(&b, &len, &body);
	assert_int_equal(wire_creceipt_make(env, len, body, sig, sizeof(sig), 0, &k, &r), 0);
	assert_non_null(env2 = malloc(len + 2));
	memcpy(env2, env, len);
	env2[len] = 0x18;	/* field 3, varint 0 */
	env2[len + 1] = 0x00;
	assert_int_equal(wire_creceipt_make(env2, len + 2, body, sig, sizeof(sig), 0, &k, &r),
	    -1);
	/* sig first, then body: the same fields, not the same bytes */
	memcpy(env2, env + len - 66, 66);
	memcpy(env2 + 66, env, len - 66);
	assert_int_equal(wire_creceipt_make(env2, len, body, sig, sizeof(sig), 0, &k, &r), -1);
	/* A signature of another length. */
	assert_int_equal(wire_creceipt_make(env, len, body, sig, 63, 0, &k, &r), -1);
	free(env2);
	free(env);
	fenghuo__body__free_unpacked(body, NULL);
}

/* Truncated and malformed records do not read; what reads, writes back the same. */
static void
test_parse_hostile(void **state)
{
	struct wire_creceipt r, back;
	uint8_t rec[WIRE_CR_MAX + 8], rec2[WIRE_CR_MAX];
	struct rb b;
	size_t len, used, i;

	(void)state;
	rb_default(&b);
	b.author = author;
	b.via = other;
	round_trip(&b, NULL, 5, &r);
	len = wire_creceipt_write(&r, rec);
	for (i = 0; i < len; i++)
		assert_int_equal(wire_creceipt_parse(rec, i, &back, &used), -1);
	assert_int_equal(wire_creceipt_parse(rec, len, &back, &used), 0);
	assert_int_equal(wire_creceipt_write(&back, rec2), len);
	assert_memory_equal(rec2, rec, len);
	/* Trailing bytes are the next record's: not read. */
	memset(rec + len, 0xee, 8);
	assert_int_equal(wire_creceipt_parse(rec, len + 8, &back, &used), 0);
	assert_int_equal(used, len);
	/* A reserved region value. */
	rec[0] = (uint8_t)(rec[0] | 0x30);
	assert_int_equal(wire_creceipt_parse(rec, len, &back, &used), -1);
	/*
	 * A link byte that says what the flags can say (0, ZeroMQ, UDP): one encoding per
	 * record. The byte is where a serial link's record differs from a UDP link's.
	 */
	r.link = WIRE_LINK_UDP;
	len = wire_creceipt_write(&r, rec2);
	r.link = WIRE_LINK_SERIAL;
	assert_int_equal(wire_creceipt_write(&r, rec), len + 1);
	for (i = 1; i < len && rec[i] == rec2[i]; i++)
		continue;
	assert_int_equal(rec[i], WIRE_LINK_SERIAL);
	assert_int_equal(wire_creceipt_parse(rec, len + 1, &back, &used), 0);
	assert_int_equal(back.link, WIRE_LINK_SERIAL);
	rec[i] = WIRE_LINK_UDP;
	assert_int_equal(wire_creceipt_parse(rec, len + 1, &back, &used), -1);
	rec[i] = WIRE_LINK_ZMQ;
	assert_int_equal(wire_creceipt_parse(rec, len + 1, &back, &used), -1);
	rec[i] = WIRE_LINK_UNKNOWN;
	assert_int_equal(wire_creceipt_parse(rec, len + 1, &back, &used), -1);
	rec[i] = WIRE_LINK_STREAM;
	assert_int_equal(wire_creceipt_parse(rec, len + 1, &back, &used), 0);
	r.link = WIRE_LINK_UDP;
	len = wire_creceipt_write(&r, rec);
	/* A varint not in its shortest form (the relay hops, after the author prefix). */
	wire_creceipt_write(&r, rec);
	assert_int_equal(rec[9], 5);
	memmove(rec + 11, rec + 10, len - 10);
	rec[9] = 0x85;
	rec[10] = 0x00;
	assert_int_equal(wire_creceipt_parse(rec, len + 1, &back, &used), -1);
	/* A region digit above 9, a spare nibble not 0. */
	b.author = sender;
	b.via = receiver;
	b.region = "33011";
	round_trip(&b, NULL, 0, &r);
	len = wire_creceipt_write(&r, rec);
	/* flags 1, ref 8, created 1, hops 1, delay 2: the count at 13, digits at 14 */
	assert_int_equal(rec[13], 5);
	assert_int_equal(rec[14], 0x33);
	assert_int_equal(rec[16], 0x10);
	rec[16] = 0x11;
	assert_int_equal(wire_creceipt_parse(rec, len, &back, &used), -1);
	rec[16] = 0x10;
	rec[14] = 0x3a;
	assert_int_equal(wire_creceipt_parse(rec, len, &back, &used), -1);
	rec[14] = 0x33;
	rec[13] = 13;
	assert_int_equal(wire_creceipt_parse(rec, len, &back, &used), -1);
	/* Relay hops beyond 32 bits. */
	memset(rec, 0, sizeof(rec));
	rec[0] = 0x80;
	memset(rec + 9, 0xff, 4);
	rec[13] = 0x1f;
	assert_int_equal(wire_creceipt_parse(rec, sizeof(rec), &back, &used), -1);
}

/* The rebuild refuses what it cannot make: a created time out of range, missing keys. */
static void
test_envelope_errors(void **state)
{
	struct wire_creceipt_keys k;
	struct wire_creceipt r;
	uint8_t *env;
	size_t len;

	(void)state;
	memset(&r, 0, sizeof(r));
	keys_for(&k, NULL);
	assert_int_equal(wire_creceipt_envelope(&r, &k, &env, &len), EINVAL);
	k.author = author;
	k.ref = warning;
	r.created_delta = -(int64_t)W_CREATED;	/* created 0 */
	assert_int_equal(wire_creceipt_envelope(&r, &k, &env, &len), ERANGE);
	r.created_delta = INT64_MIN;
	assert_int_equal(wire_creceipt_envelope(&r, &k, &env, &len), ERANGE);
	r.created_delta = 0;
	r.has_path = 1;
	r.delay_ms = UINT64_MAX;
	assert_int_equal(wire_creceipt_envelope(&r, &k, &env, &len), ERANGE);
	r.has_path = 0;
	r.region = WIRE_CR_REGION_SCOPE;
	assert_int_equal(wire_creceipt_envelope(&r, &k, &env, &len), ENOENT);
	r.region = WIRE_CR_REGION_NONE;
	r.via = WIRE_CR_VIA_RECEIVER;
	k.receiver = NULL;
	assert_int_equal(wire_creceipt_envelope(&r, &k, &env, &len), EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direct),
		cmocka_unit_test(test_relayed),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_not_compact),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_envelope_errors),
	};
	size_t i;

	for (i = 0; i < sizeof(author); i++) {
		author[i] = (uint8_t)(0xa0 + i);
		sender[i] = (uint8_t)(0x50 + i);
		receiver[i] = (uint8_t)(0x10 + i);
		warning[i] = (uint8_t)(0x7e - i);
	}
	for (i = 0; i < sizeof(sig); i++)
		sig[i] = (uint8_t)(i * 3);
	memset(other, 0xc3, sizeof(other));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
