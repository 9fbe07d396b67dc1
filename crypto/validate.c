/*
 * validate.c: the one gate every message passes before it is stored, whatever path it
 * arrived by (peer, control socket, CLI, bundle import).
 *
 * Checks run cheapest first and the signature last, so that garbage costs little: size,
 * decoding, presence of signature and author, version and kind, lengths, UTF-8, region
 * codes, times, refs, coordinates, kind-specific fields, clock plausibility, expiry, and
 * only then the Ed25519 signature. Each rejection has its own reason code (crypto.h) so an
 * operator can see why a message was refused.
 *
 * String fields are checked for UTF-8 on the wire bytes, not on what protobuf-c hands back:
 * protobuf-c NUL-terminates strings, so a string with an embedded NUL would look shorter
 * (and valid) to every C consumer while the signed bytes say something else.
 */
#include <string.h>

#include "crypto.h"

static const struct {
	const char *name;
	const char *text;
} reasons[FC_R_MAX] = {
	[FC_R_OK] = { "ok", "The message is valid." },
	[FC_R_TOO_BIG] = { "too-big", "The envelope is larger than 64 KiB." },
	[FC_R_DECODE] = { "decode", "The envelope or its body is not a well-formed message." },
	[FC_R_NO_SIG] = { "no-signature", "The signature is missing or not 64 bytes long." },
	[FC_R_NO_AUTHOR] = { "no-author", "The author key is missing or not 32 bytes long." },
	[FC_R_BAD_SIG] = { "bad-signature",
	    "The signature does not verify for the author's key." },
	[FC_R_VERSION] = { "version", "The body format version is not supported." },
	[FC_R_KIND] = { "kind", "The message kind is missing or unknown." },
	[FC_R_TITLE] = { "title", "The title is missing where required, or longer than 256 bytes (about 85 Chinese characters)." },
	[FC_R_TEXT] = { "text", "The text is longer than 16 KiB." },
	[FC_R_UTF8] = { "utf8", "A text field is not valid UTF-8 (or contains a NUL byte)." },
	[FC_R_REGION] = { "region",
	    "A region code is missing where required, or not 2, 4, 6, 9 or 12 digits." },
	[FC_R_TIME] = { "time",
	    "The creation time is missing, or the message expires before it was created." },
	[FC_R_EXPIRED] = { "expired", "The message has already expired." },
	[FC_R_CLOCK] = { "clock",
	    "The creation time of an official message is too far from this node's clock." },
	[FC_R_REFS] = { "refs",
	    "A referenced message id is not 32 bytes, or a required reference is missing." },
	[FC_R_LATLON] = { "latlon",
	    "Latitude and longitude must be given together and within range." },
	[FC_R_FIELDS] = { "fields",
	    "A field required by the message kind is missing or inconsistent." },
	[FC_R_POLICY] = { "policy", "The trust policy does not allow this author to send this." },
	[FC_R_STATUS] = { "status", "The status is not one of actual, exercise, system, test "
	    "and draft, or is given on a kind other than a report or warning." },
};

const char *
fc_reason_name(int reason)
{
	if (reason < 0 || reason >= FC_R_MAX)
		return "unknown";
	return reasons[reason].name;
}

const char *
fc_reason_text(int reason)
{
	if (reason < 0 || reason >= FC_R_MAX)
		return "Unknown rejection reason.";
	return reasons[reason].text;
}

/*
 * Which length-delimited fields of each message are strings (sub == NULL) or nested
 * messages to descend into. Field numbers are those of fenghuo.proto.
 */
struct strfield {
	uint32_t		 num;
	const struct strspec	*sub;
};
struct strspec {
	const struct strfield	*f;
	size_t			 n;
};

#define SPEC(a) { a, sizeof(a) / sizeof((a)[0]) }
/* Warning.cap: every length-delimited field of Cap and its parts is a string or a part. */
static const struct strfield capvalue_f[] = { { 1, NULL }, { 2, NULL } };
static const struct strspec capvalue_s = SPEC(capvalue_f);
static const struct strfield capresource_f[] = { { 1, NULL }, { 2, NULL }, { 3, NULL },
	{ 4, NULL }, { 5, NULL } };
static const struct strspec capresource_s = SPEC(capresource_f);
static const struct strfield caparea_f[] = { { 1, NULL }, { 2, NULL }, { 3, NULL },
	{ 4, &capvalue_s }, { 5, NULL }, { 6, NULL } };
static const struct strspec caparea_s = SPEC(caparea_f);
static const struct strfield capmethod_f[] = { { 1, NULL }, { 2, NULL }, { 3, NULL },
	{ 4, NULL } };
static const struct strspec capmethod_s = SPEC(capmethod_f);
static const struct strfield capinfo_f[] = { { 1, NULL }, { 2, NULL }, { 3, NULL },
	{ 4, NULL }, { 5, NULL }, { 6, NULL }, { 7, NULL }, { 8, NULL }, { 9, NULL },
	{ 10, &capvalue_s }, { 11, NULL }, { 12, NULL }, { 13, NULL }, { 14, NULL },
	{ 15, NULL }, { 16, NULL }, { 17, NULL }, { 18, NULL }, { 19, NULL },
	{ 20, &capvalue_s }, { 21, &capresource_s }, { 22, &caparea_s } };
static const struct strspec capinfo_s = SPEC(capinfo_f);
static const struct strfield cap_f[] = { { 2, NULL }, { 3, NULL }, { 4, NULL }, { 5, NULL },
	{ 6, NULL }, { 7, NULL }, { 8, NULL }, { 9, NULL }, { 10, NULL }, { 11, &capmethod_s },
	{ 12, NULL }, { 13, NULL }, { 14, NULL }, { 15, NULL }, { 16, &capinfo_s } };
static const struct strspec cap_s = SPEC(cap_f);
/* area, instruction, cap */
static const struct strfield warning_f[] = { { 5, NULL }, { 8, NULL }, { 10, &cap_s } };
static const struct strfield receipt_f[] = { { 2, NULL } };			/* note */
static const struct strfield cert_f[] = { { 3, NULL }, { 7, NULL } };		/* scope, name */
static const struct strfield revoke_f[] = { { 3, NULL } };			/* reason */
static const struct strfield announce_f[] = { { 1, NULL }, { 2, NULL } };	/* endpoints, name */
static const struct strspec warning_s = SPEC(warning_f);
static const struct strspec receipt_s = SPEC(receipt_f);
static const struct strspec cert_s = SPEC(cert_f);
static const struct strspec revoke_s = SPEC(revoke_f);
static const struct strspec announce_s = SPEC(announce_f);
static const struct strfield body_f[] = {
	{ 6, NULL }, { 9, NULL }, { 10, NULL }, { 11, NULL }, { 12, NULL },
	{ 14, &warning_s }, { 15, &receipt_s }, { 16, &cert_s }, { 17, &revoke_s },
	{ 18, &announce_s },
};
static const struct strspec body_s = SPEC(body_f);

static int
varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	unsigned shift;

	for (shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;

		x |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

/*
 * Check every string field of the message in buf (described by spec) for UTF-8, at every
 * occurrence. Returns FC_R_OK, FC_R_UTF8 or FC_R_DECODE. protobuf-c has already accepted
 * these bytes, but every length is checked again all the same.
 */
static int
strings_valid(const uint8_t *buf, size_t len, const struct strspec *spec)
{
	const uint8_t *p = buf, *end = buf + len;
	uint64_t key, n;
	size_t i;
	int rc;

	while (p < end) {
		if (varint(&p, end, &key) != 0)
			return FC_R_DECODE;
		switch (key & 7) {
		case 0:
			if (varint(&p, end, &n) != 0)
				return FC_R_DECODE;
			continue;
		case 1:
			if ((size_t)(end - p) < 8)
				return FC_R_DECODE;
			p += 8;
			continue;
		case 5:
			if ((size_t)(end - p) < 4)
				return FC_R_DECODE;
			p += 4;
			continue;
		case 2:
			break;
		default:
			return FC_R_DECODE;
		}
		if (varint(&p, end, &n) != 0 || n > (uint64_t)(end - p))
			return FC_R_DECODE;
		for (i = 0; i < spec->n; i++) {
			if (spec->f[i].num != (key >> 3))
				continue;
			if (spec->f[i].sub == NULL) {
				if (!fc_utf8_valid((const char *)p, (size_t)n))
					return FC_R_UTF8;
			} else if ((rc = strings_valid(p, (size_t)n, spec->f[i].sub)) != FC_R_OK) {
				return rc;
			}
			break;
		}
		p += n;
	}
	return FC_R_OK;
}

/* An optional enum field that must be present and one of the values lo..hi. */
static int
enum_ok(int has, int v, int lo, int hi)
{
	return has && v >= lo && v <= hi;
}

static int
is_skew_checked_kind(int kind)
{
	/* Field reports come from laptops with unreliable clocks; the rest from servers. */
	return kind == FENGHUO__KIND__REPORT || kind == FENGHUO__KIND__RECEIPT;
}

/* A string of a CAP alert: absent, or at most WIRE_CAP_STRING_MAX bytes (UTF-8 checked). */
static int
cap_str_ok(const char *s)
{
	return s == NULL || strlen(s) <= WIRE_CAP_STRING_MAX;
}

static int
cap_strs_ok(char *const *s, size_t n)
{
	size_t i;

	if (n > WIRE_CAP_ITEMS_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!cap_str_ok(s[i]))
			return 0;
	return 1;
}

static int
cap_values_ok(Fenghuo__CapValue *const *v, size_t n)
{
	size_t i;

	if (n > WIRE_CAP_ITEMS_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!cap_str_ok(v[i]->name) || !cap_str_ok(v[i]->value))
			return 0;
	return 1;
}

static int
cap_info_ok(const Fenghuo__CapInfo *in, int first)
{
	const char *const s[] = { in->language, in->event, in->event_type, in->urgency,
		in->severity, in->certainty, in->audience, in->effective, in->onset,
		in->expires, in->sender_name, in->headline, in->description, in->instruction,
		in->web, in->contact };
	size_t i, j;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (!cap_str_ok(s[i]))
			return 0;
	if (!cap_strs_ok(in->category, in->n_category) ||
	    !cap_strs_ok(in->response_type, in->n_response_type) ||
	    !cap_values_ok(in->event_code, in->n_event_code) ||
	    !cap_values_ok(in->parameter, in->n_parameter) ||
	    in->n_resource > WIRE_CAP_ITEMS_MAX || in->n_area > WIRE_CAP_ITEMS_MAX)
		return 0;
	for (i = 0; i < in->n_resource; i++) {
		const Fenghuo__CapResource *r = in->resource[i];

		if (!cap_str_ok(r->desc) || !cap_str_ok(r->mime_type) || !cap_str_ok(r->size) ||
		    !cap_str_ok(r->uri) || !cap_str_ok(r->digest))
			return 0;
	}
	for (i = 0; i < in->n_area; i++) {
		const Fenghuo__CapArea *a = in->area[i];

		if (!cap_str_ok(a->desc) || !cap_str_ok(a->altitude) || !cap_str_ok(a->ceiling) ||
		    !cap_strs_ok(a->polygon, a->n_polygon) || !cap_strs_ok(a->circle, a->n_circle) ||
		    !cap_values_ok(a->geocode, a->n_geocode))
			return 0;
	}
	/* Only the first info shares values with the body, and only values it does not hold. */
	if (in->has_from_body) {
		j = in->from_body;
		if (!first || (j & ~(uint32_t)WIRE_CAP_FROM_ALL) != 0 ||
		    ((j & WIRE_CAP_FROM_HEADLINE) && in->headline != NULL) ||
		    ((j & WIRE_CAP_FROM_DESCRIPTION) && in->description != NULL) ||
		    ((j & WIRE_CAP_FROM_INSTRUCTION) && in->instruction != NULL) ||
		    ((j & WIRE_CAP_FROM_EVENT) && in->event != NULL))
			return 0;
	}
	return 1;
}

/*
 * Warning.cap: bounded (items, string lengths), the elements CAP requires of every alert, a
 * known profile. The text itself is the issuer's: fenghuo carries it, it does not judge it.
 */
static int
check_cap(const Fenghuo__Body *b, const Fenghuo__Cap *c)
{
	const char *const s[] = { c->identifier, c->sender, c->sender_code, c->sent, c->source,
		c->scope, c->restriction, c->addresses, c->sec_classification, c->note,
		c->references, c->incidents };
	uint32_t from;
	size_t i;

	if (c->has_profile && c->profile > WIRE_CAP_PROFILE_CN)
		return 0;
	if (c->identifier == NULL || c->identifier[0] == '\0' || c->sender == NULL ||
	    c->sender[0] == '\0' || c->sent == NULL || c->sent[0] == '\0')
		return 0;
	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (!cap_str_ok(s[i]))
			return 0;
	if (!cap_strs_ok(c->code, c->n_code) || c->n_method > WIRE_CAP_ITEMS_MAX ||
	    c->n_info > WIRE_CAP_ITEMS_MAX)
		return 0;
	for (i = 0; i < c->n_method; i++) {
		const Fenghuo__CapMethod *m = c->method[i];

		if (!cap_str_ok(m->name) || !cap_str_ok(m->message) ||
		    !cap_str_ok(m->audience_grp) || !cap_str_ok(m->audience_prt))
			return 0;
	}
	for (i = 0; i < c->n_info; i++)
		if (!cap_info_ok(c->info[i], i == 0))
			return 0;
	/* A value taken from the body must be there to take. */
	from = c->n_info > 0 && c->info[0]->has_from_body ? c->info[0]->from_body : 0;
	if (((from & WIRE_CAP_FROM_DESCRIPTION) && b->text == NULL) ||
	    ((from & WIRE_CAP_FROM_INSTRUCTION) && b->warning->instruction == NULL) ||
	    ((from & WIRE_CAP_FROM_EVENT) && b->event == NULL))
		return 0;
	return 1;
}

static int
check_warning(const Fenghuo__Body *b)
{
	const Fenghuo__Warning *w = b->warning;
	size_t i;

	if (w == NULL)
		return FC_R_FIELDS;
	if (!enum_ok(w->has_msg_type, w->msg_type, FENGHUO__MSG_TYPE__ALERT,
	    FENGHUO__MSG_TYPE__CANCEL) ||
	    !enum_ok(w->has_urgency, w->urgency, 1, FENGHUO__URGENCY__URGENCY_UNKNOWN) ||
	    !enum_ok(w->has_severity, w->severity, 1, FENGHUO__SEVERITY__SEVERITY_UNKNOWN) ||
	    !enum_ok(w->has_certainty, w->certainty, 1, FENGHUO__CERTAINTY__CERTAINTY_UNKNOWN) ||
	    !enum_ok(w->has_level, w->level, FENGHUO__LEVEL__BLUE, FENGHUO__LEVEL__RED))
		return FC_R_FIELDS;
	if ((int)w->severity != wire_level_severity(w->level))
		return FC_R_FIELDS;
	if (w->n_area == 0)
		return FC_R_FIELDS;
	for (i = 0; i < w->n_area; i++)
		if (!fc_region_valid(w->area[i]))
			return FC_R_FIELDS;
	for (i = 0; i < w->n_response_type; i++)
		if (w->response_type[i] < FENGHUO__RESPONSE_TYPE__SHELTER ||
		    w->response_type[i] > FENGHUO__RESPONSE_TYPE__RESPONSE_NONE)
			return FC_R_FIELDS;
	/* CAP: a warning always says when it ends; updates and cancels say what they change. */
	if (!b->has_expires_ms || b->expires_ms == 0)
		return FC_R_FIELDS;
	if (w->msg_type != FENGHUO__MSG_TYPE__ALERT && b->n_refs == 0)
		return FC_R_FIELDS;
	if (w->cap != NULL && !check_cap(b, w->cap))
		return FC_R_FIELDS;
	return FC_R_OK;
}

static int
check_cert(const Fenghuo__Body *b)
{
	const Fenghuo__Cert *c = b->cert;
	size_t i;

	if (c == NULL || !c->has_subject || c->subject.len != FC_PUBLICKEYBYTES)
		return FC_R_FIELDS;
	if (c->n_roles == 0)
		return FC_R_FIELDS;
	for (i = 0; i < c->n_roles; i++)
		if (c->roles[i] < FENGHUO__ROLE__NODE || c->roles[i] > FENGHUO__ROLE__ADMIN)
			return FC_R_FIELDS;
	if (!c->has_not_after_ms ||
	    c->not_after_ms <= (c->has_not_before_ms ? c->not_before_ms : 0))
		return FC_R_FIELDS;
	if (c->has_transport_key && c->transport_key.len != 32)
		return FC_R_FIELDS;
	return FC_R_OK;
}

/* Kind-specific fields; also refuses the sub-message of another kind (one meaning only). */
static int
check_fields(const Fenghuo__Body *b)
{
	int k = b->kind;

	if ((b->warning != NULL && k != FENGHUO__KIND__WARNING) ||
	    (b->receipt != NULL && k != FENGHUO__KIND__RECEIPT) ||
	    (b->cert != NULL && k != FENGHUO__KIND__CERT) ||
	    (b->revoke != NULL && k != FENGHUO__KIND__REVOKE) ||
	    (b->announce != NULL && k != FENGHUO__KIND__ANNOUNCE))
		return FC_R_FIELDS;
	switch (k) {
	case FENGHUO__KIND__WARNING:
		return check_warning(b);
	case FENGHUO__KIND__RECEIPT:
		if (b->receipt == NULL || !enum_ok(b->receipt->has_stage, b->receipt->stage,
		    FENGHUO__STAGE__DELIVERED, FENGHUO__STAGE__CLOSED))
			return FC_R_FIELDS;
		/* A via that is not a key prefix names nobody: the tree would be drawn wrong. */
		if (b->receipt->has_via && b->receipt->via.len != WIRE_VIA_BYTES)
			return FC_R_FIELDS;
		return FC_R_OK;
	case FENGHUO__KIND__CERT:
		return check_cert(b);
	case FENGHUO__KIND__REVOKE:
		if (b->revoke == NULL || !b->revoke->has_subject ||
		    b->revoke->subject.len != FC_PUBLICKEYBYTES)
			return FC_R_FIELDS;
		return FC_R_OK;
	case FENGHUO__KIND__ANNOUNCE:
		if (b->announce == NULL || b->announce->n_endpoints == 0)
			return FC_R_FIELDS;
		if (b->announce->has_transport_key && b->announce->transport_key.len != 32)
			return FC_R_FIELDS;
		return FC_R_OK;
	default:
		return FC_R_OK;
	}
}

/* The checks that need no clock and no key, in the documented order. */
static int
check_body(const Fenghuo__Envelope *env, const Fenghuo__Body *b)
{
	int k, needs_text;
	size_t i;
	int rc;

	if (!b->has_version || b->version != WIRE_BODY_VERSION)
		return FC_R_VERSION;
	k = b->kind;
	if (!b->has_kind || k < FENGHUO__KIND__REPORT || k > FENGHUO__KIND__ANNOUNCE)
		return FC_R_KIND;
	needs_text = k == FENGHUO__KIND__REPORT || k == FENGHUO__KIND__WARNING;

	if (b->title != NULL && strlen(b->title) > WIRE_TITLE_MAX)
		return FC_R_TITLE;
	if (needs_text && (b->title == NULL || b->title[0] == '\0'))
		return FC_R_TITLE;
	if (b->text != NULL && strlen(b->text) > WIRE_TEXT_MAX)
		return FC_R_TEXT;
	if ((rc = strings_valid(env->body.data, env->body.len, &body_s)) != FC_R_OK)
		return rc;

	/* An empty region counts as absent: proto2 encoders may write "" explicitly. */
	if (b->region != NULL && b->region[0] != '\0') {
		if (!fc_region_valid(b->region))
			return FC_R_REGION;
	} else if (needs_text) {
		/*
		 * Reports and warnings both need one (docs/PROTOCOL.md, Body.region): a warning's
		 * reach is its areas, but its region says which office's territory it belongs to
		 * and is what listings filter on. `fenghuo warn` sets it to the first area.
		 */
		return FC_R_REGION;
	}
	if (b->cert != NULL && b->cert->scope != NULL && b->cert->scope[0] != '\0' &&
	    !fc_region_valid(b->cert->scope))
		return FC_R_REGION;

	if (!b->has_created_ms || b->created_ms == 0)
		return FC_R_TIME;
	if (b->has_expires_ms && b->expires_ms != 0 && b->expires_ms <= b->created_ms)
		return FC_R_TIME;

	for (i = 0; i < b->n_refs; i++)
		if (b->refs[i].len != FC_IDBYTES)
			return FC_R_REFS;
	if (k == FENGHUO__KIND__RECEIPT && b->n_refs == 0)
		return FC_R_REFS;

	/*
	 * An unknown status could be a drill that a newer writer marked in a way this node
	 * cannot show: refuse it rather than let it pass for a real warning.
	 */
	if (b->has_status && b->status != FENGHUO__STATUS__STATUS_UNSPECIFIED &&
	    (!needs_text || b->status < FENGHUO__STATUS__ACTUAL ||
	    b->status > FENGHUO__STATUS__DRAFT))
		return FC_R_STATUS;

	if (b->has_lat_e7 != b->has_lon_e7)
		return FC_R_LATLON;
	if (b->has_lat_e7 && (b->lat_e7 > 900000000 || b->lat_e7 < -900000000 ||
	    b->lon_e7 > 1800000000 || b->lon_e7 < -1800000000))
		return FC_R_LATLON;

	return check_fields(b);
}

void
fc_msg_clear(struct fc_msg *msg)
{
	if (msg == NULL)
		return;
	if (msg->body != NULL)
		fenghuo__body__free_unpacked(msg->body, NULL);
	if (msg->env != NULL)
		fenghuo__envelope__free_unpacked(msg->env, NULL);
	memset(msg, 0, sizeof(*msg));
}

int
fc_msg_decode(const uint8_t *envbuf, size_t len, const uint8_t id[FC_IDBYTES],
    struct fc_msg *out)
{
	struct fc_msg m;

	memset(out, 0, sizeof(*out));
	memset(&m, 0, sizeof(m));
	if (len > WIRE_ENVELOPE_MAX)
		return FC_R_TOO_BIG;
	memcpy(m.id, id, FC_IDBYTES);
	if ((m.env = wire_envelope_unpack(envbuf, len)) == NULL || !m.env->has_body ||
	    (m.body = wire_body_unpack(m.env->body.data, m.env->body.len)) == NULL) {
		fc_msg_clear(&m);
		return FC_R_DECODE;
	}
	*out = m;
	return FC_R_OK;
}

int
fc_msg_check(struct fc_msg *m, uint64_t now_ms, uint64_t first_seen_ms)
{
	const Fenghuo__Body *b = m->body;
	uint64_t expiry;
	int skew, rc;

	if (m->env == NULL || b == NULL)
		return FC_R_DECODE;
	m->flags = 0;
	if (!m->env->has_sig || m->env->sig.len != FC_SIGBYTES)
		return FC_R_NO_SIG;
	if (!b->has_author || b->author.len != FC_PUBLICKEYBYTES)
		return FC_R_NO_AUTHOR;
	if ((rc = check_body(m->env, b)) != FC_R_OK)
		return rc;

	/* Saturating arithmetic: now_ms comes from the caller, created_ms from anyone. */
	skew = (now_ms <= UINT64_MAX - FC_SKEW_FUTURE_MS && b->created_ms > now_ms +
	    FC_SKEW_FUTURE_MS) || (now_ms > FC_SKEW_PAST_MS && b->created_ms < now_ms -
	    FC_SKEW_PAST_MS);
	if (skew) {
		if (!is_skew_checked_kind(b->kind))
			return FC_R_CLOCK;
		m->flags |= FC_MSG_CLOCK_SKEW;
	}
	expiry = fc_msg_expiry(m, first_seen_ms);
	if (expiry != 0 && expiry <= now_ms)
		return FC_R_EXPIRED;

	if (fc_verify(b->author.data, m->env->body.data, m->env->body.len, m->env->sig.data) != 0)
		return FC_R_BAD_SIG;
	return FC_R_OK;
}

int
fc_validate(const uint8_t *envbuf, size_t len, uint64_t now_ms, uint64_t first_seen_ms,
    struct fc_msg *out)
{
	struct fc_msg m;
	uint8_t id[FC_IDBYTES];
	int rc;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (len > WIRE_ENVELOPE_MAX)
		return FC_R_TOO_BIG;
	/*
	 * The hand parser first: it refuses a repeated body field, which protobuf-c would
	 * silently resolve (last one wins). After it, both agree on which bytes are the body.
	 */
	if ((rc = fc_envelope_id(envbuf, len, id)) != 0)
		return rc;
	if ((rc = fc_msg_decode(envbuf, len, id, &m)) != FC_R_OK)
		return rc;
	if ((rc = fc_msg_check(&m, now_ms, first_seen_ms)) != FC_R_OK) {
		fc_msg_clear(&m);
		return rc;
	}
	if (out != NULL)
		*out = m;
	else
		fc_msg_clear(&m);
	return FC_R_OK;
}

uint64_t
fc_msg_expiry(const struct fc_msg *msg, uint64_t first_seen_ms)
{
	const Fenghuo__Body *b = msg->body;
	uint64_t life;

	if (b == NULL || !b->has_expires_ms || b->expires_ms == 0)
		return 0;
	if ((msg->flags & FC_MSG_CLOCK_SKEW) == 0)
		return b->expires_ms;
	/* Validated bodies have expires_ms > created_ms; stay defined for anything else. */
	life = b->expires_ms > b->created_ms ? b->expires_ms - b->created_ms : 0;
	if (first_seen_ms > UINT64_MAX - life)
		return UINT64_MAX;
	return first_seen_ms + life;
}

uint64_t
fc_msg_time(const struct fc_msg *msg, uint64_t first_seen_ms)
{
	if (msg->flags & FC_MSG_CLOCK_SKEW)
		return first_seen_ms;
	return msg->body != NULL ? msg->body->created_ms : 0;
}
