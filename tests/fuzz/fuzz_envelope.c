/*
 * fuzz_envelope.c: envelope decoding and validation, the first thing every hostile byte
 * string meets (peer PUSH, control socket, bundle import).
 *
 * The input is one serialized Envelope. The target runs the hand parser (fc_envelope_id,
 * fc_envelope_split) and fc_validate() under three clocks (the corpus clock, 0 and the
 * largest time, for the saturating arithmetic), and checks that they agree: the hand parser
 * and protobuf-c must find the same body, an accepted message's id is the hash of that body,
 * and every reason has a name. The signature is checked last, so unsigned mutations still
 * reach every field check.
 */
#include <string.h>

#include "fuzz.h"

static void
check_accepted(const struct fc_msg *m, const uint8_t *body, size_t bodylen,
    const uint8_t id[FC_IDBYTES], uint64_t now)
{
	uint8_t h[FC_IDBYTES];
	const Fenghuo__Body *b = m->body;
	size_t i;

	FUZZ_CHECK(m->env != NULL && b != NULL);
	FUZZ_CHECK(memcmp(m->id, id, FC_IDBYTES) == 0);
	FUZZ_CHECK(m->env->body.len == bodylen);
	FUZZ_CHECK(memcmp(m->env->body.data, body, bodylen) == 0);
	fc_msg_id(body, bodylen, h);
	FUZZ_CHECK(memcmp(h, id, FC_IDBYTES) == 0);
	FUZZ_CHECK(b->has_author && b->author.len == FC_PUBLICKEYBYTES);
	FUZZ_CHECK(wire_kind_name(b->kind) != NULL);
	/* What the CLI and the daemon do with an accepted message next. */
	(void)fc_msg_expiry(m, now);
	(void)fc_msg_time(m, now);
	if (b->warning != NULL) {
		(void)wire_level_name(b->warning->level);
		(void)wire_level_severity(b->warning->level);
		(void)wire_msgtype_name(b->warning->msg_type);
		(void)wire_urgency_name(b->warning->urgency);
		(void)wire_severity_name(b->warning->severity);
		(void)wire_certainty_name(b->warning->certainty);
		for (i = 0; i < b->warning->n_response_type; i++)
			(void)wire_response_name(b->warning->response_type[i]);
	}
	if (b->receipt != NULL)
		(void)wire_stage_name(b->receipt->stage);
	if (b->cert != NULL) {
		for (i = 0; i < b->cert->n_roles; i++)
			(void)wire_role_name(b->cert->roles[i]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t clocks[] = { FUZZ_NOW_MS, 0, UINT64_MAX };
	const uint8_t *body = NULL, *sig = NULL;
	size_t bodylen = 0, siglen = 0, i;
	uint8_t id[FC_IDBYTES], h[FC_IDBYTES];
	struct fc_msg m;
	int rc_id, rc_split, rc;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	(void)fuzz_key();	/* fc_init() */

	rc_id = fc_envelope_id(data, size, id);
	rc_split = fc_envelope_split(data, size, &body, &bodylen, &sig, &siglen);
	FUZZ_CHECK(rc_id == rc_split);
	FUZZ_CHECK(rc_id == 0 || rc_id == FC_R_DECODE || rc_id == FC_R_TOO_BIG);
	if (rc_split == 0) {
		/* Both point into the input, and the id is the hash of exactly those bytes. */
		FUZZ_CHECK(body >= data && bodylen > 0 && bodylen <= size &&
		    (size_t)(body - data) <= size - bodylen);
		FUZZ_CHECK(sig == NULL || (sig >= data && siglen <= size &&
		    (size_t)(sig - data) <= size - siglen));
		fc_msg_id(body, bodylen, h);
		FUZZ_CHECK(memcmp(h, id, FC_IDBYTES) == 0);
	}

	for (i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		rc = fc_validate(data, size, clocks[i], clocks[i], &m);
		FUZZ_CHECK(rc >= FC_R_OK && rc < FC_R_MAX);
		FUZZ_CHECK(fc_reason_name(rc) != NULL && fc_reason_text(rc) != NULL);
		if (rc == FC_R_OK) {
			FUZZ_CHECK(rc_split == 0);
			check_accepted(&m, body, bodylen, id, clocks[i]);
		} else {
			/* A rejection leaves nothing behind to free. */
			FUZZ_CHECK(m.env == NULL && m.body == NULL);
			if (rc_split != 0)
				FUZZ_CHECK(rc == rc_split);
		}
		fc_msg_clear(&m);
	}
	/* Without an output the same verdict, and nothing leaks. */
	FUZZ_CHECK(fc_validate(data, size, FUZZ_NOW_MS, FUZZ_NOW_MS, NULL) ==
	    fc_validate(data, size, FUZZ_NOW_MS, FUZZ_NOW_MS, &m));
	fc_msg_clear(&m);
	return 0;
}
