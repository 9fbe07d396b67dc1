/*
 * test_envelope.c: the hand-written wire parsers of crypto/ against crafted bytes.
 *
 * fc_envelope_split()/fc_envelope_id() take envelopes apart without protobuf-c (the cheap
 * "dedupe before verify" step), and fc_validate() checks string fields on the raw body bytes.
 * Both face bytes from anyone, so these tests feed them what protobuf-c would never produce:
 * repeated fields, bad wire types, truncations at every offset, over-long varints, embedded
 * NULs, random garbage. They also pin the "one signature check per new message" counter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"

#define NOW_MS	1790000000000ULL	/* a fixed "now": tests never read the wall clock */
#define HOUR_MS	(3600ULL * 1000)

static struct fc_key *author;

/* A valid REPORT body (caller frees *out). */
static void
pack_report(const char *title, uint8_t **out, size_t *len)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;

	b.has_version = 1;
	b.version = WIRE_BODY_VERSION;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__REPORT;
	b.has_author = 1;
	b.author.data = (uint8_t *)(uintptr_t)fc_key_public(author);
	b.author.len = FC_PUBLICKEYBYTES;
	b.has_created_ms = 1;
	b.created_ms = NOW_MS - HOUR_MS;
	b.region = (char *)(uintptr_t)"330102001001";
	b.title = (char *)(uintptr_t)title;
	b.text = (char *)(uintptr_t)"河水漫过桥面 water over the bridge";
	*len = fenghuo__body__get_packed_size(&b);
	*out = malloc(*len);
	assert_non_null(*out);
	assert_int_equal(fenghuo__body__pack(&b, *out), *len);
}

static void
seal(const uint8_t *body, size_t len, uint8_t **env, size_t *envlen)
{
	assert_int_equal(fc_envelope_seal(author, body, len, env, envlen), 0);
}

/* Append a varint to buf at *n. */
static void
put_varint(uint8_t *buf, size_t *n, uint64_t v)
{
	while (v >= 0x80) {
		buf[(*n)++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	buf[(*n)++] = (uint8_t)v;
}

/* Append a length-delimited field. */
static void
put_bytes(uint8_t *buf, size_t *n, uint32_t field, const uint8_t *p, size_t len)
{
	put_varint(buf, n, (uint64_t)field << 3 | 2);
	put_varint(buf, n, len);
	memcpy(buf + *n, p, len);
	*n += len;
}

static void
test_id_matches_body(void **state)
{
	uint8_t *body, *env, id1[FC_IDBYTES], id2[FC_IDBYTES];
	const uint8_t *b, *s;
	size_t len, envlen, blen, slen;
	struct fc_msg m;

	(void)state;
	pack_report("flood", &body, &len);
	seal(body, len, &env, &envlen);
	assert_int_equal(fc_envelope_id(env, envlen, id1), 0);
	fc_msg_id(body, len, id2);
	assert_memory_equal(id1, id2, FC_IDBYTES);

	assert_int_equal(fc_envelope_split(env, envlen, &b, &blen, &s, &slen), 0);
	assert_int_equal(blen, len);
	assert_memory_equal(b, body, len);
	assert_int_equal(slen, FC_SIGBYTES);
	assert_int_equal(fc_verify(fc_key_public(author), b, blen, s), 0);

	assert_int_equal(fc_validate(env, envlen, NOW_MS, NOW_MS, &m), FC_R_OK);
	assert_memory_equal(m.id, id1, FC_IDBYTES);
	assert_int_equal(m.env->body.len, len);
	assert_memory_equal(m.env->body.data, body, len);	/* the signed bytes, untouched */
	fc_msg_clear(&m);
	assert_null(m.env);
	assert_null(m.body);
	/* out may be NULL: just the verdict. */
	assert_int_equal(fc_validate(env, envlen, NOW_MS, NOW_MS, NULL), FC_R_OK);
	free(body);
	free(env);
}

/* Unknown fields of every wire type, before and after, change neither id nor verdict. */
static void
test_unknown_fields_skipped(void **state)
{
	uint8_t *body, *env, buf[WIRE_ENVELOPE_MAX], id1[FC_IDBYTES], id2[FC_IDBYTES];
	size_t len, envlen, n = 0;

	(void)state;
	pack_report("flood", &body, &len);
	seal(body, len, &env, &envlen);
	assert_int_equal(fc_envelope_id(env, envlen, id1), 0);

	put_varint(buf, &n, 7 << 3 | 0);		/* field 7, varint */
	put_varint(buf, &n, UINT64_MAX);		/* ten bytes */
	put_varint(buf, &n, 8 << 3 | 1);		/* field 8, fixed64 */
	memset(buf + n, 0xab, 8);
	n += 8;
	memcpy(buf + n, env, envlen);
	n += envlen;
	put_varint(buf, &n, 9 << 3 | 5);		/* field 9, fixed32 */
	memset(buf + n, 0xcd, 4);
	n += 4;
	put_bytes(buf, &n, 1000, (const uint8_t *)"later", 5);	/* field 1000, bytes */

	assert_int_equal(fc_envelope_id(buf, n, id2), 0);
	assert_memory_equal(id1, id2, FC_IDBYTES);
	assert_int_equal(fc_validate(buf, n, NOW_MS, NOW_MS, NULL), FC_R_OK);
	free(body);
	free(env);
}

/* Each crafted envelope must be refused by the split and by fc_validate, as "decode". */
static void
expect_decode(const uint8_t *buf, size_t n)
{
	uint8_t id[FC_IDBYTES];

	assert_int_equal(fc_envelope_id(buf, n, id), FC_R_DECODE);
	assert_int_equal(fc_validate(buf, n, NOW_MS, NOW_MS, NULL), FC_R_DECODE);
}

static void
test_malformed_envelopes(void **state)
{
	uint8_t *body, *env, buf[2 * WIRE_ENVELOPE_MAX], sig[FC_SIGBYTES], id[FC_IDBYTES];
	size_t len, envlen, n, i;

	(void)state;
	pack_report("flood", &body, &len);
	seal(body, len, &env, &envlen);
	fc_sign(author, body, len, sig);

	/* Nothing at all. */
	assert_int_equal(fc_envelope_id(NULL, 0, id), FC_R_DECODE);
	assert_int_equal(fc_validate(NULL, 0, NOW_MS, NOW_MS, NULL), FC_R_DECODE);
	/* A repeated body: protobuf says the last wins, we say no (even if both are equal). */
	n = 0;
	put_bytes(buf, &n, 1, body, len);
	put_bytes(buf, &n, 1, body, len);
	put_bytes(buf, &n, 2, sig, sizeof(sig));
	expect_decode(buf, n);
	/* A repeated signature. */
	n = 0;
	put_bytes(buf, &n, 1, body, len);
	put_bytes(buf, &n, 2, sig, sizeof(sig));
	put_bytes(buf, &n, 2, sig, sizeof(sig));
	expect_decode(buf, n);
	/* No body; an empty body. */
	n = 0;
	put_bytes(buf, &n, 2, sig, sizeof(sig));
	expect_decode(buf, n);
	n = 0;
	put_bytes(buf, &n, 1, body, 0);
	put_bytes(buf, &n, 2, sig, sizeof(sig));
	expect_decode(buf, n);
	/* The body field as a varint, or as a group. */
	n = 0;
	put_varint(buf, &n, 1 << 3 | 0);
	put_varint(buf, &n, 5);
	put_bytes(buf, &n, 2, sig, sizeof(sig));
	expect_decode(buf, n);
	n = 0;
	put_varint(buf, &n, 1 << 3 | 3);
	put_varint(buf, &n, 1 << 3 | 4);
	put_bytes(buf, &n, 1, body, len);
	expect_decode(buf, n);
	/* Field number 0. */
	n = 0;
	put_bytes(buf, &n, 0, body, len);
	expect_decode(buf, n);
	/* A length beyond the buffer, and one near 2^64 (pointer wrap-around). */
	n = 0;
	put_varint(buf, &n, 1 << 3 | 2);
	put_varint(buf, &n, len + 1);
	memcpy(buf + n, body, len);
	n += len;
	expect_decode(buf, n);
	n = 0;
	put_varint(buf, &n, 1 << 3 | 2);
	put_varint(buf, &n, UINT64_MAX - 3);
	memcpy(buf + n, body, len);
	n += len;
	expect_decode(buf, n);
	/* An eleven-byte varint tag. */
	n = 0;
	memset(buf, 0x80, 10);
	buf[10] = 0x01;
	n = 11;
	put_bytes(buf, &n, 1, body, len);
	expect_decode(buf, n);

	/* Every truncation: refused or, once the body is whole, at most unsigned. */
	for (i = 0; i < envlen; i++) {
		int rc = fc_validate(env, i, NOW_MS, NOW_MS, NULL);

		assert_int_not_equal(rc, FC_R_OK);
		if (i < envlen - FC_SIGBYTES - 2)
			assert_int_equal(fc_envelope_id(env, i, id), FC_R_DECODE);
	}

	/* Too big: refused before any parsing. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(fc_envelope_id(buf, WIRE_ENVELOPE_MAX + 1, id), FC_R_TOO_BIG);
	assert_int_equal(fc_validate(buf, WIRE_ENVELOPE_MAX + 1, NOW_MS, NOW_MS, NULL),
	    FC_R_TOO_BIG);
	free(body);
	free(env);
}

/* A tiny deterministic generator (xorshift64*): reproducible garbage, no libc state. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void
test_garbage(void **state)
{
	uint8_t *body, *env, buf[512], id[FC_IDBYTES];
	size_t len, envlen, n, i, j;
	uint64_t s = 0x9e3779b97f4a7c15ULL;

	(void)state;
	pack_report("flood", &body, &len);
	seal(body, len, &env, &envlen);
	/* Pure noise. */
	for (i = 0; i < 20000; i++) {
		n = rnd(&s) % sizeof(buf);
		for (j = 0; j < n; j++)
			buf[j] = (uint8_t)rnd(&s);
		(void)fc_envelope_id(buf, n, id);
		assert_int_not_equal(fc_validate(buf, n, NOW_MS, NOW_MS, NULL), FC_R_OK);
	}
	/* A real envelope with one to four bytes changed: never accepted. */
	assert_true(envlen <= sizeof(buf));
	for (i = 0; i < 5000; i++) {
		memcpy(buf, env, envlen);
		for (j = 0; j < 1 + rnd(&s) % 4; j++)
			buf[rnd(&s) % envlen] ^= (uint8_t)(1 + rnd(&s) % 255);
		if (memcmp(buf, env, envlen) == 0)
			continue;
		(void)fc_envelope_id(buf, envlen, id);
		assert_int_not_equal(fc_validate(buf, envlen, NOW_MS, NOW_MS, NULL), FC_R_OK);
	}
	free(body);
	free(env);
}

/* Replace the first occurrence of from with to (same length) in buf. */
static void
patch(uint8_t *buf, size_t len, const char *from, const char *to, size_t n)
{
	size_t i;

	for (i = 0; i + n <= len; i++) {
		if (memcmp(buf + i, from, n) == 0) {
			memcpy(buf + i, to, n);
			return;
		}
	}
	fail_msg("pattern not found");
}

/*
 * protobuf-c hands back NUL-terminated strings: "AB\0CD" would look like a valid "AB" to
 * every C consumer while the signature covers the rest. Checked on the wire bytes.
 */
static void
test_embedded_nul(void **state)
{
	uint8_t *body, *env;
	size_t len, envlen;

	(void)state;
	pack_report("ABXCD", &body, &len);
	patch(body, len, "ABXCD", "AB\0CD", 5);
	seal(body, len, &env, &envlen);
	assert_int_equal(fc_validate(env, envlen, NOW_MS, NOW_MS, NULL), FC_R_UTF8);
	free(env);
	/* The same in the region ("330102001001" -> "33\0..."): still utf8, not region. */
	patch(body, len, "AB\0CD", "ABXCD", 5);
	patch(body, len, "330102001001", "33" "\0" "102001001", 12);
	seal(body, len, &env, &envlen);
	assert_int_equal(fc_validate(env, envlen, NOW_MS, NOW_MS, NULL), FC_R_UTF8);
	free(env);
	/* And invalid UTF-8 in the middle of the Chinese text. */
	patch(body, len, "33" "\0" "102001001", "330102001001", 12);
	patch(body, len, "\xe6\xb2\xb3", "\xe6\xb2\xff", 3);	/* 河 */
	seal(body, len, &env, &envlen);
	assert_int_equal(fc_validate(env, envlen, NOW_MS, NOW_MS, NULL), FC_R_UTF8);
	free(env);
	free(body);
}

/* A string inside a sub-message (warning area) with a NUL is caught too. */
static void
test_nul_in_submessage(void **state)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Warning w = FENGHUO__WARNING__INIT;
	char *areas[] = { (char *)(uintptr_t)"3301020X1" };
	uint8_t *body, *env;
	size_t len, envlen;

	(void)state;
	b.has_version = 1;
	b.version = WIRE_BODY_VERSION;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__WARNING;
	b.has_author = 1;
	b.author.data = (uint8_t *)(uintptr_t)fc_key_public(author);
	b.author.len = FC_PUBLICKEYBYTES;
	b.has_created_ms = 1;
	b.created_ms = NOW_MS - 60000;
	b.has_expires_ms = 1;
	b.expires_ms = NOW_MS + 6 * HOUR_MS;
	b.region = (char *)(uintptr_t)"330102";
	b.title = (char *)(uintptr_t)"暴雨橙色预警";
	b.warning = &w;
	w.has_msg_type = 1;
	w.msg_type = FENGHUO__MSG_TYPE__ALERT;
	w.has_urgency = 1;
	w.urgency = FENGHUO__URGENCY__IMMEDIATE;
	w.has_severity = 1;
	w.severity = FENGHUO__SEVERITY__SEVERE;
	w.has_certainty = 1;
	w.certainty = FENGHUO__CERTAINTY__LIKELY;
	w.has_level = 1;
	w.level = FENGHUO__LEVEL__ORANGE;
	w.n_area = 1;
	w.area = areas;
	len = fenghuo__body__get_packed_size(&b);
	body = malloc(len);
	assert_non_null(body);
	fenghuo__body__pack(&b, body);

	/* "3301020X1" is not a region: fields. */
	seal(body, len, &env, &envlen);
	assert_int_equal(fc_validate(env, envlen, NOW_MS, NOW_MS, NULL), FC_R_FIELDS);
	free(env);
	/* "330102" NUL "01" would read as the valid region "330102" in C: caught as utf8. */
	patch(body, len, "3301020X1", "330102" "\0" "01", 9);
	seal(body, len, &env, &envlen);
	assert_int_equal(fc_validate(env, envlen, NOW_MS, NOW_MS, NULL), FC_R_UTF8);
	free(env);
	/* Fixed, the warning is valid. */
	patch(body, len, "330102" "\0" "01", "330102001", 9);
	seal(body, len, &env, &envlen);
	assert_int_equal(fc_validate(env, envlen, NOW_MS, NOW_MS, NULL), FC_R_OK);
	free(env);
	free(body);

	/* A warning needs its own region too (PROTOCOL.md), not only areas. */
	b.region = NULL;
	len = fenghuo__body__get_packed_size(&b);
	body = malloc(len);
	assert_non_null(body);
	fenghuo__body__pack(&b, body);
	seal(body, len, &env, &envlen);
	assert_int_equal(fc_validate(env, envlen, NOW_MS, NOW_MS, NULL), FC_R_REGION);
	free(env);
	free(body);
}

/* The sub-message of another kind makes a body ambiguous: refused. */
static void
test_foreign_submessage(void **state)
{
	Fenghuo__Body *b;
	Fenghuo__Receipt r = FENGHUO__RECEIPT__INIT;
	uint8_t *body, *body2, *env;
	size_t len, len2, envlen;

	(void)state;
	pack_report("flood", &body, &len);
	b = fenghuo__body__unpack(NULL, len, body);
	assert_non_null(b);
	r.has_stage = 1;
	r.stage = FENGHUO__STAGE__CLOSED;
	b->receipt = &r;
	len2 = fenghuo__body__get_packed_size(b);
	body2 = malloc(len2);
	assert_non_null(body2);
	fenghuo__body__pack(b, body2);
	b->receipt = NULL;
	fenghuo__body__free_unpacked(b, NULL);
	seal(body2, len2, &env, &envlen);
	assert_int_equal(fc_validate(env, envlen, NOW_MS, NOW_MS, NULL), FC_R_FIELDS);
	free(env);
	free(body2);
	free(body);
}

/*
 * protobuf-c keeps the last of a repeated optional field; the raw walker checks every
 * occurrence, so invalid bytes cannot hide in an earlier copy that C consumers never see.
 */
static void
test_repeated_string_field(void **state)
{
	uint8_t *body, *env, buf[1024];
	size_t len, envlen, n = 0;

	(void)state;
	pack_report("flood", &body, &len);
	put_bytes(buf, &n, 11, (const uint8_t *)"bad \xc0\x80", 6);	/* title, overlong NUL */
	assert_true(n + len <= sizeof(buf));
	memcpy(buf + n, body, len);	/* ... then the body with its valid title */
	n += len;
	seal(buf, n, &env, &envlen);
	assert_int_equal(fc_validate(env, envlen, NOW_MS, NOW_MS, NULL), FC_R_UTF8);
	free(env);
	/* The same shape with a valid first title is fine (protobuf semantics: last wins). */
	n = 0;
	put_bytes(buf, &n, 11, (const uint8_t *)"older", 5);
	memcpy(buf + n, body, len);
	n += len;
	seal(buf, n, &env, &envlen);
	assert_int_equal(fc_validate(env, envlen, NOW_MS, NOW_MS, NULL), FC_R_OK);
	free(env);
	free(body);
}

/* Enum values beyond those fenghuo.proto names decode (proto2) but are refused. */
static void
test_unknown_enum_values(void **state)
{
	Fenghuo__Body *b;
	Fenghuo__Cert c = FENGHUO__CERT__INIT;
	Fenghuo__Role roles[1] = { FENGHUO__ROLE__NODE };
	uint8_t *body, *body2, *env, subject[FC_PUBLICKEYBYTES] = { 1 };
	size_t len, len2, envlen;
	static const struct {
		int kind, role, tklen, reason;
	} cases[] = {
		{ FENGHUO__KIND__CERT, FENGHUO__ROLE__NODE, 32, FC_R_OK },
		{ FENGHUO__KIND__CERT, FENGHUO__ROLE__NODE, 0, FC_R_OK },	/* no key */
		{ FENGHUO__KIND__CERT, FENGHUO__ROLE__NODE, 31, FC_R_FIELDS },
		{ FENGHUO__KIND__CERT, 6, 32, FC_R_FIELDS },			/* no such role */
		{ FENGHUO__KIND__CERT, 0, 32, FC_R_FIELDS },
		{ 7, FENGHUO__ROLE__NODE, 32, FC_R_KIND },			/* no such kind */
		{ 0, FENGHUO__ROLE__NODE, 32, FC_R_KIND },
	};
	uint8_t tk[32] = { 2 };
	size_t i;

	(void)state;
	pack_report("flood", &body, &len);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b = fenghuo__body__unpack(NULL, len, body);
		assert_non_null(b);
		b->kind = cases[i].kind;
		roles[0] = cases[i].role;
		c.has_subject = 1;
		c.subject.data = subject;
		c.subject.len = sizeof(subject);
		c.n_roles = 1;
		c.roles = roles;
		c.has_not_after_ms = 1;
		c.not_after_ms = NOW_MS + 24 * HOUR_MS;
		c.has_transport_key = cases[i].tklen != 0;
		c.transport_key.data = tk;
		c.transport_key.len = (size_t)cases[i].tklen;
		b->cert = &c;
		len2 = fenghuo__body__get_packed_size(b);
		body2 = malloc(len2);
		assert_non_null(body2);
		fenghuo__body__pack(b, body2);
		b->cert = NULL;
		fenghuo__body__free_unpacked(b, NULL);
		seal(body2, len2, &env, &envlen);
		if (fc_validate(env, envlen, NOW_MS, NOW_MS, NULL) != cases[i].reason)
			fail_msg("case %zu: %s, expected %s", i,
			    fc_reason_name(fc_validate(env, envlen, NOW_MS, NOW_MS, NULL)),
			    fc_reason_name(cases[i].reason));
		free(env);
		free(body2);
	}
	free(body);
}

/* DESIGN decision 6: a duplicate costs a hash; only a message that passed the rest verifies. */
static void
test_verify_counter(void **state)
{
	uint8_t *body, *env, id[FC_IDBYTES];
	size_t len, envlen;
	uint64_t before;

	(void)state;
	pack_report("flood", &body, &len);
	seal(body, len, &env, &envlen);

	before = fc_verify_count();
	assert_int_equal(fc_envelope_id(env, envlen, id), 0);
	assert_int_equal(fc_verify_count(), before);
	assert_int_equal(fc_validate(env, envlen, NOW_MS, NOW_MS, NULL), FC_R_OK);
	assert_int_equal(fc_verify_count(), before + 1);
	/* Rejected by a cheap check: no signature check spent. */
	assert_int_equal(fc_validate(env, envlen - 1, NOW_MS, NOW_MS, NULL), FC_R_DECODE);
	assert_int_equal(fc_validate(env, envlen, NOW_MS - 2 * HOUR_MS, NOW_MS, NULL),
	    FC_R_OK);	/* a report an hour ahead: accepted (skewed) and verified */
	assert_int_equal(fc_verify_count(), before + 2);
	/* A bad signature is found by the one check. */
	env[envlen - 1] ^= 1;
	assert_int_equal(fc_validate(env, envlen, NOW_MS, NOW_MS, NULL), FC_R_BAD_SIG);
	assert_int_equal(fc_verify_count(), before + 3);
	free(body);
	free(env);
}

static void
test_reason_names(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < FC_R_MAX; i++) {
		const char *n = fc_reason_name(i), *c;

		assert_non_null(n);
		assert_true(strlen(n) > 0);
		for (c = n; *c != '\0'; c++)
			assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
			    *c == '-');
		assert_true(strlen(fc_reason_text(i)) > 10);
		for (j = 0; j < i; j++)
			assert_string_not_equal(n, fc_reason_name(j));
	}
	/* The names operators' scripts match on (crypto.h: codes and names are stable). */
	assert_string_equal(fc_reason_name(FC_R_TOO_BIG), "too-big");
	assert_string_equal(fc_reason_name(FC_R_NO_SIG), "no-signature");
	assert_string_equal(fc_reason_name(FC_R_BAD_SIG), "bad-signature");
	assert_string_equal(fc_reason_name(FC_R_CLOCK), "clock");
	assert_string_equal(fc_reason_name(FC_R_POLICY), "policy");
	assert_string_equal(fc_reason_name(-1), "unknown");
	assert_string_equal(fc_reason_name(FC_R_MAX), "unknown");
	assert_non_null(fc_reason_text(FC_R_MAX));
}

static int
group_setup(void **state)
{
	(void)state;
	if (fc_init() != 0 || fc_key_generate(&author) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	fc_key_free(&author);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_matches_body),
		cmocka_unit_test(test_unknown_fields_skipped),
		cmocka_unit_test(test_malformed_envelopes),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_nul_in_submessage),
		cmocka_unit_test(test_foreign_submessage),
		cmocka_unit_test(test_repeated_string_field),
		cmocka_unit_test(test_unknown_enum_values),
		cmocka_unit_test(test_verify_counter),
		cmocka_unit_test(test_reason_names),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
