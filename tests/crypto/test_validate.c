/*
 * test_validate.c: unit tests of fc_validate(), fc_envelope_id() and the envelope helpers.
 *
 * Valid REPORT, WARNING, RECEIPT, CERT, REVOKE and ANNOUNCE bodies are built with protobuf-c,
 * sealed and validated; then each rejection reason is provoked by one crafted input. The
 * checker's clock is a fixed value passed to fc_validate(), never the wall clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto.h"

#define NOW	1800000000000ULL	/* 2027-01-15, the checker's clock in every test */
#define MINUTE	(60ULL * 1000)
#define HOUR	(60 * MINUTE)
#define DAY	(24 * HOUR)

static struct fc_key	*author, *other;
static uint8_t		 author_pk[32], other_pk[32];
static uint8_t		 some_id[32];

/* Strings live in writable arrays: protobuf-c's fields are char *. */
static char s_region[] = "330102001001";
static char s_county[] = "330102";
static char s_title[] = "河堤决口：东村段";
static char s_text[] = "今晨六时，东村段河堤出现约十米决口，二十户村民已转移。Levee breach, 20 households moved.";
static char s_event[] = "暴雨";
static char s_category[] = "flood";
static char s_wtitle[] = "暴雨红色预警";
static char s_instr[] = "立即转移至安置点。";
static char s_note[] = "已登记";
static char s_endpoint[] = "tcp://127.0.0.1:7400";
static char s_name[] = "东村信息员";

static void
body_report(Fenghuo__Body *b)
{
	fenghuo__body__init(b);
	b->has_version = 1;
	b->version = WIRE_BODY_VERSION;
	b->has_kind = 1;
	b->kind = FENGHUO__KIND__REPORT;
	b->has_author = 1;
	b->author.data = author_pk;
	b->author.len = 32;
	b->has_created_ms = 1;
	b->created_ms = NOW - MINUTE;
	b->region = s_region;
	b->has_lat_e7 = 1;
	b->lat_e7 = 301234567;
	b->has_lon_e7 = 1;
	b->lon_e7 = 1201234567;
	b->category = s_category;
	b->event = s_event;
	b->title = s_title;
	b->text = s_text;
}

static char	*area_list[1] = { s_county };

static void
body_warning(Fenghuo__Body *b, Fenghuo__Warning *w)
{
	body_report(b);
	b->kind = FENGHUO__KIND__WARNING;
	b->has_lat_e7 = b->has_lon_e7 = 0;
	b->region = s_county;	/* required for warnings (PROTOCOL.md); the CLI uses the first area */
	b->title = s_wtitle;
	b->has_expires_ms = 1;
	b->expires_ms = NOW + DAY;
	fenghuo__warning__init(w);
	w->has_msg_type = 1;
	w->msg_type = FENGHUO__MSG_TYPE__ALERT;
	w->has_urgency = 1;
	w->urgency = FENGHUO__URGENCY__IMMEDIATE;
	w->has_severity = 1;
	w->severity = FENGHUO__SEVERITY__EXTREME;
	w->has_certainty = 1;
	w->certainty = FENGHUO__CERTAINTY__LIKELY;
	w->has_level = 1;
	w->level = FENGHUO__LEVEL__RED;
	w->n_area = 1;
	w->area = area_list;
	w->instruction = s_instr;
	b->warning = w;
}

static ProtobufCBinaryData ref_list[1];

static void
body_receipt(Fenghuo__Body *b, Fenghuo__Receipt *r)
{
	body_report(b);
	b->kind = FENGHUO__KIND__RECEIPT;
	b->title = NULL;
	b->has_lat_e7 = b->has_lon_e7 = 0;
	ref_list[0].data = some_id;
	ref_list[0].len = 32;
	b->n_refs = 1;
	b->refs = ref_list;
	fenghuo__receipt__init(r);
	r->has_stage = 1;
	r->stage = FENGHUO__STAGE__REGISTERED;
	r->note = s_note;
	b->receipt = r;
}

/* Serialize b (caller frees). */
static uint8_t *
pack(const Fenghuo__Body *b, size_t *len)
{
	uint8_t *buf;

	*len = fenghuo__body__get_packed_size(b);
	buf = malloc(*len + 64);	/* room for tests that append raw fields */
	assert_non_null(buf);
	assert_int_equal(fenghuo__body__pack(b, buf), *len);
	return buf;
}

/* Seal raw body bytes with key (caller frees). */
static uint8_t *
seal_raw(struct fc_key *key, const uint8_t *body, size_t bodylen, size_t *len)
{
	uint8_t *env;

	assert_int_equal(fc_envelope_seal(key, body, bodylen, &env, len), 0);
	return env;
}

static uint8_t *
seal(struct fc_key *key, const Fenghuo__Body *b, size_t *len)
{
	uint8_t	*body, *env;
	size_t	 bodylen;

	body = pack(b, &bodylen);
	env = seal_raw(key, body, bodylen, len);
	free(body);
	return env;
}

/* Validate raw body bytes signed by the author, at NOW, first seen NOW. */
static int
check_raw(const uint8_t *body, size_t bodylen)
{
	struct fc_msg	 m;
	uint8_t		*env;
	size_t		 len;
	int		 rc;

	env = seal_raw(author, body, bodylen, &len);
	rc = fc_validate(env, len, NOW, NOW, &m);
	if (rc == FC_R_OK) {
		assert_non_null(m.body);
		fc_msg_clear(&m);
	} else {
		assert_null(m.body);
		assert_null(m.env);
	}
	free(env);
	return rc;
}

static int
check(const Fenghuo__Body *b)
{
	uint8_t	*body;
	size_t	 bodylen;
	int	 rc;

	body = pack(b, &bodylen);
	rc = check_raw(body, bodylen);
	free(body);
	return rc;
}

#define assert_reason(got, want)						\
	do {									\
		int got_ = (got);						\
		if (got_ != (want))						\
			fail_msg("reason %s, expected %s", fc_reason_name(got_),	\
			    fc_reason_name(want));				\
	} while (0)

/* ---- accepted messages --------------------------------------------------------------- */

static void
test_valid_report(void **state)
{
	Fenghuo__Body	 b;
	struct fc_msg	 m;
	uint8_t		*body, *env, id[32], id2[32];
	size_t		 bodylen, len;

	(void)state;
	body_report(&b);
	body = pack(&b, &bodylen);
	env = seal_raw(author, body, bodylen, &len);
	assert_reason(fc_validate(env, len, NOW, NOW, &m), FC_R_OK);
	assert_int_equal(m.flags, 0);
	assert_string_equal(m.body->title, s_title);
	assert_string_equal(m.body->text, s_text);
	assert_string_equal(m.body->region, s_region);
	assert_int_equal(m.env->body.len, bodylen);

	/* The id: BLAKE2b-256 of the body bytes, the same by every path. */
	fc_msg_id(body, bodylen, id);
	assert_memory_equal(m.id, id, 32);
	assert_int_equal(crypto_generichash(id2, 32, body, bodylen, NULL, 0), 0);
	assert_memory_equal(id, id2, 32);
	assert_int_equal(fc_envelope_id(env, len, id2), 0);
	assert_memory_equal(id, id2, 32);

	assert_int_equal(fc_msg_time(&m, NOW), NOW - MINUTE);
	assert_int_equal(fc_msg_expiry(&m, NOW), 0);
	fc_msg_clear(&m);
	assert_null(m.body);
	assert_null(m.env);
	fc_msg_clear(&m);	/* twice is fine */

	/* Optional fields may be absent: no position, no text, 6-digit region. */
	b.has_lat_e7 = b.has_lon_e7 = 0;
	b.text = NULL;
	b.region = s_county;
	assert_reason(check(&b), FC_R_OK);
	/* Position at the limits. */
	body_report(&b);
	b.lat_e7 = -900000000;
	b.lon_e7 = 1800000000;
	assert_reason(check(&b), FC_R_OK);
	free(env);
	free(body);
}

static void
test_valid_warning_receipt(void **state)
{
	Fenghuo__Body		b;
	Fenghuo__Warning	w;
	Fenghuo__Receipt	r;
	int			level;

	(void)state;
	body_warning(&b, &w);
	assert_reason(check(&b), FC_R_OK);
	/* Every level with its own severity. */
	for (level = FENGHUO__LEVEL__BLUE; level <= FENGHUO__LEVEL__RED; level++) {
		w.level = (Fenghuo__Level)level;
		w.severity = (Fenghuo__Severity)wire_level_severity(level);
		assert_reason(check(&b), FC_R_OK);
	}
	/* An update refers to what it updates. */
	w.msg_type = FENGHUO__MSG_TYPE__UPDATE;
	ref_list[0].data = some_id;
	ref_list[0].len = 32;
	b.n_refs = 1;
	b.refs = ref_list;
	assert_reason(check(&b), FC_R_OK);

	body_receipt(&b, &r);
	assert_reason(check(&b), FC_R_OK);
	r.stage = FENGHUO__STAGE__DELIVERED;
	r.note = NULL;
	assert_reason(check(&b), FC_R_OK);
	/* With the path fields (PROTOCOL.md §1, Receipt), a link kind not known yet included. */
	r.has_via = 1;
	r.via.data = some_id;
	r.via.len = WIRE_VIA_BYTES;
	r.has_hops = 1;
	r.hops = 2;
	r.has_delay_ms = 1;
	r.delay_ms = 1234;
	r.has_link = 1;
	r.link = WIRE_LINK_STREAM;
	assert_reason(check(&b), FC_R_OK);
	r.link = 9;
	assert_reason(check(&b), FC_R_OK);
}

static void
test_valid_cert_revoke_announce(void **state)
{
	Fenghuo__Body		b;
	Fenghuo__Cert		c;
	Fenghuo__Revoke		rv;
	Fenghuo__Announce	a;
	Fenghuo__Role		roles[2] = { FENGHUO__ROLE__REPORTER, FENGHUO__ROLE__NODE };
	char			*endpoints[1] = { s_endpoint };

	(void)state;
	body_report(&b);
	b.kind = FENGHUO__KIND__CERT;
	b.title = NULL;
	b.text = NULL;
	b.region = NULL;
	b.has_lat_e7 = b.has_lon_e7 = 0;
	fenghuo__cert__init(&c);
	c.has_subject = 1;
	c.subject.data = other_pk;
	c.subject.len = 32;
	c.n_roles = 2;
	c.roles = roles;
	c.scope = s_region;
	c.has_not_before_ms = 1;
	c.not_before_ms = NOW - DAY;
	c.has_not_after_ms = 1;
	c.not_after_ms = NOW + 365 * DAY;
	c.name = s_name;
	b.cert = &c;
	assert_reason(check(&b), FC_R_OK);
	c.not_after_ms = c.not_before_ms;
	assert_reason(check(&b), FC_R_FIELDS);
	c.not_after_ms = NOW + DAY;
	c.n_roles = 0;
	assert_reason(check(&b), FC_R_FIELDS);
	c.n_roles = 2;
	c.subject.len = 31;
	assert_reason(check(&b), FC_R_FIELDS);
	c.subject.len = 32;
	c.scope = s_event;	/* not digits */
	assert_reason(check(&b), FC_R_REGION);
	b.cert = NULL;
	assert_reason(check(&b), FC_R_FIELDS);

	b.kind = FENGHUO__KIND__REVOKE;
	fenghuo__revoke__init(&rv);
	rv.has_subject = 1;
	rv.subject.data = other_pk;
	rv.subject.len = 32;
	b.revoke = &rv;
	assert_reason(check(&b), FC_R_OK);
	rv.has_subject = 0;
	assert_reason(check(&b), FC_R_FIELDS);
	b.revoke = NULL;

	b.kind = FENGHUO__KIND__ANNOUNCE;
	fenghuo__announce__init(&a);
	a.n_endpoints = 1;
	a.endpoints = endpoints;
	b.announce = &a;
	assert_reason(check(&b), FC_R_OK);
	a.n_endpoints = 0;
	assert_reason(check(&b), FC_R_FIELDS);
}

/* ---- signatures and envelopes -------------------------------------------------------- */

static void
test_reject_signature(void **state)
{
	Fenghuo__Body	 b;
	struct fc_msg	 m;
	uint8_t		*env;
	size_t		 len, i;

	(void)state;
	body_report(&b);
	/* A flipped bit anywhere in the signature (the last 64 bytes). */
	env = seal(author, &b, &len);
	for (i = len - 64; i < len; i += 9) {
		env[i] ^= 0x10;
		assert_reason(fc_validate(env, len, NOW, NOW, &m), FC_R_BAD_SIG);
		env[i] ^= 0x10;
	}
	assert_reason(fc_validate(env, len, NOW, NOW, &m), FC_R_OK);
	fc_msg_clear(&m);
	free(env);

	/* Signed by another key than the author named in the body. */
	env = seal(other, &b, &len);
	assert_reason(fc_validate(env, len, NOW, NOW, &m), FC_R_BAD_SIG);
	free(env);
	/* Claims another author. */
	b.author.data = other_pk;
	env = seal(author, &b, &len);
	assert_reason(fc_validate(env, len, NOW, NOW, &m), FC_R_BAD_SIG);
	free(env);
}

static void
test_reject_envelope(void **state)
{
	Fenghuo__Body	 b;
	struct fc_msg	 m;
	uint8_t		*body, *env, *big, *two;
	size_t		 bodylen, len, cut;
	uint8_t		 id[32];

	(void)state;
	body_report(&b);
	body = pack(&b, &bodylen);
	env = seal_raw(author, body, bodylen, &len);

	/* Every truncation is refused, none crashes. */
	for (cut = 0; cut < len; cut++) {
		int rc = fc_validate(env, cut, NOW, NOW, &m);

		assert_int_not_equal(rc, FC_R_OK);
		assert_null(m.body);
	}
	assert_reason(fc_validate(env, len - 1, NOW, NOW, &m), FC_R_DECODE);
	assert_reason(fc_validate(NULL, 0, NOW, NOW, &m), FC_R_DECODE);

	/* Oversize: refused before anything is decoded. */
	big = calloc(1, WIRE_ENVELOPE_MAX + 1);
	assert_non_null(big);
	memcpy(big, env, len);
	assert_reason(fc_validate(big, WIRE_ENVELOPE_MAX + 1, NOW, NOW, &m), FC_R_TOO_BIG);
	assert_reason(fc_envelope_id(big, WIRE_ENVELOPE_MAX + 1, id), FC_R_TOO_BIG);
	free(big);

	/* No signature field; a 63-byte signature. */
	assert_reason(fc_validate(env, len - 66, NOW, NOW, &m), FC_R_NO_SIG);
	env[len - 65] = 63;
	assert_reason(fc_validate(env, len - 1, NOW, NOW, &m), FC_R_NO_SIG);
	env[len - 65] = 64;

	/* An unknown envelope field (field 7, varint) is skipped by both parsers. */
	two = malloc(len + 3);
	assert_non_null(two);
	memcpy(two, env, len);
	two[len] = (7 << 3) | 0;
	two[len + 1] = 0x81;
	two[len + 2] = 0x01;
	assert_reason(fc_validate(two, len + 3, NOW, NOW, &m), FC_R_OK);
	assert_int_equal(fc_envelope_id(two, len + 3, id), 0);
	assert_memory_equal(id, m.id, 32);
	fc_msg_clear(&m);
	free(two);

	/* A repeated body field: ambiguous, refused by both parsers. */
	two = malloc(2 * len);
	assert_non_null(two);
	memcpy(two, env, len);
	memcpy(two + len, env, len);
	assert_reason(fc_validate(two, 2 * len, NOW, NOW, &m), FC_R_DECODE);
	assert_reason(fc_envelope_id(two, 2 * len, id), FC_R_DECODE);
	free(two);

	/* A body that is not a Body. */
	memset(body, 0xff, bodylen);
	assert_reason(check_raw(body, bodylen), FC_R_DECODE);
	free(body);
	free(env);

	/* An author of the wrong length. */
	b.author.len = 31;
	assert_reason(check(&b), FC_R_NO_AUTHOR);
	b.has_author = 0;
	assert_reason(check(&b), FC_R_NO_AUTHOR);
}

static void
test_seal_too_big(void **state)
{
	uint8_t	*body, *env = NULL;
	size_t	 len = 0;

	(void)state;
	body = calloc(1, WIRE_ENVELOPE_MAX);
	assert_non_null(body);
	assert_int_equal(fc_envelope_seal(author, body, WIRE_ENVELOPE_MAX - 69, &env, &len),
	    FC_R_TOO_BIG);
	assert_null(env);
	assert_int_equal(fc_envelope_seal(author, body, WIRE_ENVELOPE_MAX - 70, &env, &len), 0);
	assert_int_equal(len, WIRE_ENVELOPE_MAX);
	free(env);
	free(body);
}

/* ---- one crafted input per reason ---------------------------------------------------- */

static void
test_reject_body_fields(void **state)
{
	Fenghuo__Body		 b;
	Fenghuo__Warning	 w;
	Fenghuo__Receipt	 r;
	char			*longtitle, *longtext;
	char			 badutf8[] = "flood \xe6\xb4";
	char			 surrogate[] = "\xed\xa0\x80";
	char			 badregion[] = "33010";
	ProtobufCBinaryData	 shortref = { 31, some_id };

	(void)state;
	body_report(&b);
	b.version = 2;
	assert_reason(check(&b), FC_R_VERSION);
	b.has_version = 0;
	assert_reason(check(&b), FC_R_VERSION);

	body_report(&b);
	b.kind = (Fenghuo__Kind)99;
	assert_reason(check(&b), FC_R_KIND);
	b.kind = FENGHUO__KIND__KIND_UNSPECIFIED;
	assert_reason(check(&b), FC_R_KIND);

	/* Title: at most 256 bytes, required for a report. */
	body_report(&b);
	longtitle = malloc(WIRE_TITLE_MAX + 2);
	assert_non_null(longtitle);
	memset(longtitle, 'a', WIRE_TITLE_MAX);
	longtitle[WIRE_TITLE_MAX] = '\0';
	b.title = longtitle;
	assert_reason(check(&b), FC_R_OK);
	longtitle[WIRE_TITLE_MAX] = 'a';
	longtitle[WIRE_TITLE_MAX + 1] = '\0';
	assert_reason(check(&b), FC_R_TITLE);
	b.title = NULL;
	assert_reason(check(&b), FC_R_TITLE);
	free(longtitle);

	/* Text: at most 16 KiB. */
	body_report(&b);
	longtext = malloc(WIRE_TEXT_MAX + 2);
	assert_non_null(longtext);
	memset(longtext, 'a', WIRE_TEXT_MAX);
	longtext[WIRE_TEXT_MAX] = '\0';
	b.text = longtext;
	assert_reason(check(&b), FC_R_OK);
	longtext[WIRE_TEXT_MAX] = 'a';
	longtext[WIRE_TEXT_MAX + 1] = '\0';
	assert_reason(check(&b), FC_R_TEXT);
	free(longtext);

	/* UTF-8, in any string field. */
	body_report(&b);
	b.text = badutf8;
	assert_reason(check(&b), FC_R_UTF8);
	body_report(&b);
	b.event = surrogate;
	assert_reason(check(&b), FC_R_UTF8);
	/* Invalid UTF-8 is reported even where a later check would also fail. */
	b.region = badutf8;
	assert_reason(check(&b), FC_R_UTF8);

	/* Region: required for a report, 2/4/6/9/12 digits. */
	body_report(&b);
	b.region = badregion;
	assert_reason(check(&b), FC_R_REGION);
	b.region = NULL;
	assert_reason(check(&b), FC_R_REGION);

	/* Times. */
	body_report(&b);
	b.created_ms = 0;
	assert_reason(check(&b), FC_R_TIME);
	b.has_created_ms = 0;
	assert_reason(check(&b), FC_R_TIME);
	body_report(&b);
	b.has_expires_ms = 1;
	b.expires_ms = b.created_ms;
	assert_reason(check(&b), FC_R_TIME);
	b.expires_ms = NOW - 1;
	assert_reason(check(&b), FC_R_EXPIRED);
	b.expires_ms = NOW;
	assert_reason(check(&b), FC_R_EXPIRED);
	b.expires_ms = NOW + 1;
	assert_reason(check(&b), FC_R_OK);

	/* Refs. */
	body_report(&b);
	b.n_refs = 1;
	b.refs = &shortref;
	assert_reason(check(&b), FC_R_REFS);
	body_receipt(&b, &r);
	b.n_refs = 0;
	assert_reason(check(&b), FC_R_REFS);
	body_receipt(&b, &r);
	r.has_stage = 0;
	assert_reason(check(&b), FC_R_FIELDS);
	body_receipt(&b, &r);
	b.receipt = NULL;
	assert_reason(check(&b), FC_R_FIELDS);
	/* A via that is not an 8-byte key prefix. */
	body_receipt(&b, &r);
	r.has_via = 1;
	r.via.data = some_id;
	r.via.len = WIRE_VIA_BYTES - 1;
	assert_reason(check(&b), FC_R_FIELDS);
	r.via.len = WIRE_VIA_BYTES + 1;
	assert_reason(check(&b), FC_R_FIELDS);
	r.via.len = 0;
	assert_reason(check(&b), FC_R_FIELDS);

	/* Position. */
	body_report(&b);
	b.has_lon_e7 = 0;
	assert_reason(check(&b), FC_R_LATLON);
	body_report(&b);
	b.has_lat_e7 = 0;
	assert_reason(check(&b), FC_R_LATLON);
	body_report(&b);
	b.lat_e7 = 900000001;
	assert_reason(check(&b), FC_R_LATLON);
	body_report(&b);
	b.lon_e7 = -1800000001;
	assert_reason(check(&b), FC_R_LATLON);

	/* A report must not carry another kind's sub-message. */
	body_warning(&b, &w);
	b.kind = FENGHUO__KIND__REPORT;
	b.region = s_region;
	assert_reason(check(&b), FC_R_FIELDS);
}

static void
test_reject_warning(void **state)
{
	Fenghuo__Body		 b;
	Fenghuo__Warning	 w;
	char			 badarea[] = "3301x2";
	char			*badareas[2] = { s_county, badarea };

	(void)state;
	body_warning(&b, &w);
	w.severity = FENGHUO__SEVERITY__MINOR;	/* red is extreme */
	assert_reason(check(&b), FC_R_FIELDS);

	body_warning(&b, &w);
	w.n_area = 0;
	assert_reason(check(&b), FC_R_FIELDS);
	w.n_area = 2;
	w.area = badareas;
	assert_reason(check(&b), FC_R_FIELDS);

	body_warning(&b, &w);
	b.has_expires_ms = 0;
	assert_reason(check(&b), FC_R_FIELDS);

	body_warning(&b, &w);
	b.title = NULL;
	assert_reason(check(&b), FC_R_TITLE);

	body_warning(&b, &w);
	w.has_level = 0;
	assert_reason(check(&b), FC_R_FIELDS);
	body_warning(&b, &w);
	w.has_certainty = 0;
	assert_reason(check(&b), FC_R_FIELDS);
	body_warning(&b, &w);
	w.urgency = (Fenghuo__Urgency)42;
	assert_reason(check(&b), FC_R_FIELDS);

	body_warning(&b, &w);
	w.msg_type = FENGHUO__MSG_TYPE__CANCEL;		/* cancels nothing */
	assert_reason(check(&b), FC_R_FIELDS);

	body_warning(&b, &w);
	b.warning = NULL;
	assert_reason(check(&b), FC_R_FIELDS);
}

/* CAP status: the five known values on reports and warnings; anything else is refused. */
static void
test_status(void **state)
{
	Fenghuo__Body		 b;
	Fenghuo__Warning	 w;
	int			 v;

	(void)state;
	for (v = FENGHUO__STATUS__STATUS_UNSPECIFIED; v <= FENGHUO__STATUS__DRAFT; v++) {
		body_warning(&b, &w);
		b.has_status = 1;
		b.status = (Fenghuo__Status)v;
		assert_reason(check(&b), FC_R_OK);
		assert_int_equal(wire_status_of(&b), v == 0 ? FENGHUO__STATUS__ACTUAL : v);
		body_report(&b);
		b.has_status = 1;
		b.status = (Fenghuo__Status)v;
		assert_reason(check(&b), FC_R_OK);
	}
	body_warning(&b, &w);
	assert_int_equal(wire_status_of(&b), FENGHUO__STATUS__ACTUAL);
	b.has_status = 1;
	b.status = (Fenghuo__Status)6;
	assert_reason(check(&b), FC_R_STATUS);
	b.status = (Fenghuo__Status)-1;
	assert_reason(check(&b), FC_R_STATUS);
	body_report(&b);
	b.has_status = 1;
	b.status = (Fenghuo__Status)99;
	assert_reason(check(&b), FC_R_STATUS);
	/* Only reports and warnings have a status (checked before the kind's own fields). */
	b.status = FENGHUO__STATUS__EXERCISE;
	b.kind = FENGHUO__KIND__ANNOUNCE;
	b.title = NULL;
	b.region = NULL;
	assert_reason(check(&b), FC_R_STATUS);
	assert_string_equal(wire_status_name(FENGHUO__STATUS__EXERCISE), "exercise");
	assert_int_equal(wire_status_parse("test"), FENGHUO__STATUS__TEST);
	assert_int_equal(wire_status_parse("drill"), -1);
	assert_null(wire_status_name(6));
}

/*
 * Warning.cap: a peer can send any of it, so every part is bounded and checked: the
 * required identifier, sender and sent; at most WIRE_CAP_ITEMS_MAX items per list and
 * WIRE_CAP_STRING_MAX bytes per string; a known profile; from_body bits only where the
 * body holds the value and the cap does not; UTF-8 in every nested string.
 */
static void
test_warning_cap(void **state)
{
	Fenghuo__Body		 b;
	Fenghuo__Warning	 w;
	Fenghuo__Cap		 c;
	Fenghuo__CapInfo	 in, in2;
	Fenghuo__CapInfo	*infos[2] = { &in, &in2 };
	Fenghuo__CapArea	 a;
	Fenghuo__CapArea	*areas[1] = { &a };
	Fenghuo__CapValue	 v;
	Fenghuo__CapValue	*many[WIRE_CAP_ITEMS_MAX + 1];
	char			 id[] = "33011041600000_20260705143000_1", sender[] = "余杭区气象局";
	char			 sent[] = "2026-07-05 14:30:00+08:00", geo[] = "330110109000";
	char			*big, *poly[1];
	uint8_t			*body;
	size_t			 i, len;

	(void)state;
#define CAP_RESET() do {						\
		body_warning(&b, &w);					\
		fenghuo__cap__init(&c);					\
		fenghuo__cap_info__init(&in);				\
		fenghuo__cap_info__init(&in2);				\
		fenghuo__cap_area__init(&a);				\
		fenghuo__cap_value__init(&v);				\
		c.identifier = id;					\
		c.sender = sender;					\
		c.sent = sent;						\
		c.has_profile = 1;					\
		c.profile = WIRE_CAP_PROFILE_CN;			\
		v.value = geo;						\
		a.n_geocode = 1;					\
		a.geocode = many;					\
		in.n_area = 1;						\
		in.area = areas;					\
		in.has_from_body = 1;					\
		in.from_body = WIRE_CAP_FROM_HEADLINE | WIRE_CAP_FROM_DESCRIPTION; \
		c.n_info = 1;						\
		c.info = infos;						\
		w.cap = &c;						\
	} while (0)
	for (i = 0; i <= WIRE_CAP_ITEMS_MAX; i++)
		many[i] = &v;

	CAP_RESET();
	assert_reason(check(&b), FC_R_OK);

	/* Required elements of every alert. */
	CAP_RESET();
	c.identifier = NULL;
	assert_reason(check(&b), FC_R_FIELDS);
	CAP_RESET();
	c.sent = s_note + strlen(s_note);	/* "" */
	assert_reason(check(&b), FC_R_FIELDS);
	CAP_RESET();
	c.profile = 2;
	assert_reason(check(&b), FC_R_FIELDS);

	/* Counts: 64 items fine, 65 not. */
	CAP_RESET();
	a.n_geocode = WIRE_CAP_ITEMS_MAX;
	assert_reason(check(&b), FC_R_OK);
	a.n_geocode = WIRE_CAP_ITEMS_MAX + 1;
	assert_reason(check(&b), FC_R_FIELDS);

	/* Lengths: a 16 KiB polygon fine, one byte more not. */
	big = malloc(WIRE_CAP_STRING_MAX + 2);
	assert_non_null(big);
	memset(big, '1', WIRE_CAP_STRING_MAX + 1);
	big[WIRE_CAP_STRING_MAX] = '\0';
	poly[0] = big;
	CAP_RESET();
	a.n_polygon = 1;
	a.polygon = poly;
	assert_reason(check(&b), FC_R_OK);
	big[WIRE_CAP_STRING_MAX] = '1';
	big[WIRE_CAP_STRING_MAX + 1] = '\0';
	assert_reason(check(&b), FC_R_FIELDS);
	free(big);

	/* from_body: unknown bits, a value both here and there, on another info, absent. */
	CAP_RESET();
	in.from_body = 16;
	assert_reason(check(&b), FC_R_FIELDS);
	CAP_RESET();
	in.headline = s_wtitle;
	assert_reason(check(&b), FC_R_FIELDS);
	CAP_RESET();
	c.n_info = 2;
	in2.has_from_body = 1;
	in2.from_body = WIRE_CAP_FROM_EVENT;
	assert_reason(check(&b), FC_R_FIELDS);
	CAP_RESET();
	b.text = NULL;
	assert_reason(check(&b), FC_R_FIELDS);

	/* UTF-8 deep inside: warning(14) > cap(10) > info(16) > area(22) > geocode(4) > value(2). */
	CAP_RESET();
	w.cap = NULL;
	body = pack(&b, &len);
	memcpy(body + len, "\x72\x0d" "\x52\x0b" "\x82\x01\x08" "\xb2\x01\x05" "\x22\x03"
	    "\x12\x01\xff", 15);
	assert_reason(check_raw(body, len + 15), FC_R_UTF8);
	memcpy(body + len + 14, "9", 1);
	assert_reason(check_raw(body, len + 15), FC_R_FIELDS);	/* no identifier */
	free(body);
#undef CAP_RESET
}

/* Raw bytes appended to a packed body: what protobuf-c cannot produce from a C string. */
static void
test_reject_raw_strings(void **state)
{
	Fenghuo__Body		 b;
	Fenghuo__Warning	 w;
	uint8_t			*body;
	size_t			 len;

	(void)state;
	/* category (field 9) with a NUL inside. */
	body_report(&b);
	b.category = NULL;
	body = pack(&b, &len);
	memcpy(body + len, "\x4a\x03" "a\0b", 5);
	assert_reason(check_raw(body, len + 5), FC_R_UTF8);
	/* The same field without the NUL is fine. */
	memcpy(body + len, "\x4a\x03" "abc", 5);
	assert_reason(check_raw(body, len + 5), FC_R_OK);
	free(body);

	/* A title that is 300 bytes on the wire but 10 to strlen(). */
	body_report(&b);
	b.title = NULL;
	body = pack(&b, &len);
	body = realloc(body, len + 303);
	assert_non_null(body);
	body[len] = 0x5a;	/* field 11, LEN */
	body[len + 1] = 0xac;	/* 300 */
	body[len + 2] = 0x02;
	memset(body + len + 3, 'a', 300);
	body[len + 3 + 10] = '\0';
	assert_reason(check_raw(body, len + 303), FC_R_UTF8);
	free(body);

	/* warning.instruction (field 14 -> 8) with an overlong '/', merged by protobuf-c. */
	body_warning(&b, &w);
	body = pack(&b, &len);
	memcpy(body + len, "\x72\x04" "\x42\x02\xc0\xaf", 6);
	assert_reason(check_raw(body, len + 6), FC_R_UTF8);
	free(body);
}

static void
test_clock_skew(void **state)
{
	Fenghuo__Body		 b;
	Fenghuo__Warning	 w;
	Fenghuo__Receipt	 r;
	struct fc_msg		 m;
	uint8_t			*env;
	size_t			 len;
	uint64_t		 first_seen = NOW - HOUR;

	(void)state;
	/* A report two years old, with a one-day lifetime: accepted, local time applies. */
	body_report(&b);
	b.created_ms = NOW - 2 * 365 * DAY;
	b.has_expires_ms = 1;
	b.expires_ms = b.created_ms + DAY;
	env = seal(author, &b, &len);
	assert_reason(fc_validate(env, len, NOW, first_seen, &m), FC_R_OK);
	assert_true(m.flags & FC_MSG_CLOCK_SKEW);
	assert_int_equal(fc_msg_time(&m, first_seen), first_seen);
	assert_int_equal(fc_msg_expiry(&m, first_seen), first_seen + DAY);
	fc_msg_clear(&m);
	/* First seen two days ago: its lifetime has run out here. */
	assert_reason(fc_validate(env, len, NOW, NOW - 2 * DAY, &m), FC_R_EXPIRED);
	free(env);

	/* A report a day in the future, without expiry. */
	body_report(&b);
	b.created_ms = NOW + DAY;
	env = seal(author, &b, &len);
	assert_reason(fc_validate(env, len, NOW, NOW, &m), FC_R_OK);
	assert_true(m.flags & FC_MSG_CLOCK_SKEW);
	assert_int_equal(fc_msg_time(&m, NOW), NOW);
	assert_int_equal(fc_msg_expiry(&m, NOW), 0);
	fc_msg_clear(&m);
	free(env);

	/* Five minutes ahead and eleven months old are within the window: no flag. */
	body_report(&b);
	b.created_ms = NOW + 5 * MINUTE;
	env = seal(author, &b, &len);
	assert_reason(fc_validate(env, len, NOW, NOW, &m), FC_R_OK);
	assert_int_equal(m.flags, 0);
	assert_int_equal(fc_msg_time(&m, NOW - HOUR), NOW + 5 * MINUTE);
	fc_msg_clear(&m);
	free(env);
	b.created_ms = NOW - 330 * DAY;
	env = seal(author, &b, &len);
	assert_reason(fc_validate(env, len, NOW, NOW, &m), FC_R_OK);
	assert_int_equal(m.flags, 0);
	fc_msg_clear(&m);
	free(env);

	/* A receipt is treated like a report. */
	body_receipt(&b, &r);
	b.created_ms = NOW + HOUR;
	assert_reason(check(&b), FC_R_OK);

	/* A warning from an hour ahead, or two years back: refused. */
	body_warning(&b, &w);
	b.created_ms = NOW + HOUR;
	b.expires_ms = NOW + DAY;
	assert_reason(check(&b), FC_R_CLOCK);
	b.created_ms = NOW - 2 * 365 * DAY;
	assert_reason(check(&b), FC_R_CLOCK);
	b.created_ms = NOW + 9 * MINUTE;
	assert_reason(check(&b), FC_R_OK);
}

/* ---- fc_envelope_id on hostile input ------------------------------------------------- */

static void
test_envelope_id_garbage(void **state)
{
	static const struct {
		const char	*bytes;
		size_t		 len;
	} bad[] = {
		{ "", 0 },
		{ "\x0a", 1 },				/* body tag, no length */
		{ "\x0a\x05" "abc", 5 },		/* length beyond the buffer */
		{ "\x0a\x00", 2 },			/* empty body */
		{ "\x12\x02" "ab", 4 },			/* sig only */
		{ "\x08\x01", 2 },			/* body as a varint */
		{ "\x0a\x01" "a" "\x0a\x01" "b", 6 },	/* repeated body */
		{ "\x0a\x01" "a" "\x12\x00\x12\x00", 7 },	/* repeated sig */
		{ "\x0a\x01" "a" "\x1b", 4 },		/* group start */
		{ "\x0a\x01" "a" "\x1e", 4 },		/* wire type 6 */
		{ "\x00\x01", 2 },			/* field number 0 */
		{ "\x0a\x01" "a" "\x19" "1234567", 11 },	/* truncated fixed64 */
		{ "\x0a\x01" "a" "\x1d" "123", 7 },	/* truncated fixed32 */
		{ "\x0a\x01" "a" "\x18\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 14 },
		{ "\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01" "a", 12 },
		{ "\x0a\x01" "a" "\x18\x80", 5 },	/* truncated varint */
	};
	static const uint8_t good[] = "\x0a\x01" "a" "\x19" "12345678" "\x1d" "1234"
	    "\x18\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01" "\x22\x00";
	uint8_t		 id[32], want[32], buf[256], seed[32] = { 7 };
	struct fc_msg	 m;
	size_t		 i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (fc_envelope_id((const uint8_t *)bad[i].bytes, bad[i].len, id) !=
		    FC_R_DECODE)
			fail_msg("case %zu accepted", i);
		assert_int_not_equal(fc_validate((const uint8_t *)bad[i].bytes, bad[i].len,
		    NOW, NOW, &m), FC_R_OK);
	}
	assert_reason(fc_envelope_id(NULL, 0, id), FC_R_DECODE);
	/* Unknown fields of every wire type are skipped. */
	assert_int_equal(fc_envelope_id(good, sizeof(good) - 1, id), 0);
	fc_msg_id((const uint8_t *)"a", 1, want);
	assert_memory_equal(id, want, 32);

	/* Deterministic random garbage: never a crash (ASan watches), never a bogus id. */
	for (i = 0; i < 20000; i++) {
		seed[1] = (uint8_t)i;
		seed[2] = (uint8_t)(i >> 8);
		randombytes_buf_deterministic(buf, sizeof(buf), seed);
		n = buf[0] % sizeof(buf);
		if (i & 1)
			buf[1] = 0x0a;	/* start like an envelope now and then */
		if (fc_envelope_id(buf + 1, n, id) == 0) {
			const uint8_t	*body, *sig;
			size_t		 bl, sl;

			assert_int_equal(fc_envelope_split(buf + 1, n, &body, &bl, &sig, &sl), 0);
			assert_true(body >= buf + 1 && body + bl <= buf + 1 + n);
			fc_msg_id(body, bl, want);
			assert_memory_equal(id, want, 32);
		}
		if (fc_validate(buf + 1, n, NOW, NOW, &m) == FC_R_OK)
			fail_msg("garbage validated");
	}
}

static void
test_reason_names(void **state)
{
	int i, j;

	(void)state;
	assert_string_equal(fc_reason_name(FC_R_BAD_SIG), "bad-signature");
	assert_string_equal(fc_reason_name(FC_R_NO_SIG), "no-signature");
	assert_string_equal(fc_reason_name(FC_R_TOO_BIG), "too-big");
	assert_string_equal(fc_reason_name(FC_R_LATLON), "latlon");
	assert_string_equal(fc_reason_name(FC_R_POLICY), "policy");
	assert_string_equal(fc_reason_name(FC_R_STATUS), "status");
	assert_string_equal(fc_reason_name(-1), "unknown");
	assert_string_equal(fc_reason_name(FC_R_MAX), "unknown");
	for (i = 0; i < FC_R_MAX; i++) {
		assert_non_null(fc_reason_name(i));
		assert_non_null(fc_reason_text(i));
		assert_true(strlen(fc_reason_text(i)) > 10);
		for (j = 0; j < i; j++)
			assert_string_not_equal(fc_reason_name(i), fc_reason_name(j));
	}
}

static int
setup(void **state)
{
	static const uint8_t seed_a[32] = { 1 }, seed_b[32] = { 2 };

	(void)state;
	if (fc_init() != 0 || fc_key_from_seed(seed_a, &author) != 0 ||
	    fc_key_from_seed(seed_b, &other) != 0)
		return -1;
	memcpy(author_pk, fc_key_public(author), 32);
	memcpy(other_pk, fc_key_public(other), 32);
	memset(some_id, 0xab, sizeof(some_id));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	fc_key_free(&author);
	fc_key_free(&other);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_report),
		cmocka_unit_test(test_valid_warning_receipt),
		cmocka_unit_test(test_valid_cert_revoke_announce),
		cmocka_unit_test(test_reject_signature),
		cmocka_unit_test(test_reject_envelope),
		cmocka_unit_test(test_seal_too_big),
		cmocka_unit_test(test_reject_body_fields),
		cmocka_unit_test(test_reject_warning),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_warning_cap),
		cmocka_unit_test(test_reject_raw_strings),
		cmocka_unit_test(test_clock_skew),
		cmocka_unit_test(test_envelope_id_garbage),
		cmocka_unit_test(test_reason_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
