/*
 * policy.c: which role each kind of message needs, and where (docs/TRUST.md); and the
 * buffer of held messages whose author's chain has not arrived yet.
 *
 * The chain itself is evaluated by fc_trust_holds() in trust.c; this file only maps a
 * message to the questions to ask it. Everything here is pure: no I/O, no clock (the caller
 * passes now_ms), no logging.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

static const struct {
	const char *name;
	const char *text;
} reasons[FC_POLICY_R_MAX] = {
	[FC_POLICY_R_OK] = { "ok", "The author may send this message." },
	[FC_POLICY_R_NO_CHAIN] = { "no-chain",
	    "No certificate is known yet for the author or a key up its chain; held." },
	[FC_POLICY_R_ROLE] = { "not-authorised-role",
	    "The author holds no grant of the role this message needs." },
	[FC_POLICY_R_SCOPE] = { "out-of-scope",
	    "The author holds the role, but not for this region." },
	[FC_POLICY_R_CERT_EXPIRED] = { "cert-expired",
	    "The author's grant had ended when the message was created." },
	[FC_POLICY_R_CERT_NOT_YET] = { "cert-not-yet-valid",
	    "The author's grant had not started when the message was created." },
	[FC_POLICY_R_REVOKED] = { "revoked",
	    "The author's key was revoked before the message was created." },
	[FC_POLICY_R_ISSUER_REVOKED] = { "issuer-revoked",
	    "A key up the author's chain was revoked before it made its grant." },
	[FC_POLICY_R_ISSUER_NOT_ADMIN] = { "issuer-not-admin",
	    "A certificate in the chain was made by a key that was not an admin for its region." },
	[FC_POLICY_R_LOOP] = { "chain-loop",
	    "The certificate chain leads back to itself instead of to a county root key." },
	[FC_POLICY_R_DEPTH] = { "chain-too-deep",
	    "The certificate chain is longer than 8 certificates." },
	[FC_POLICY_R_COMPLEX] = { "chain-too-complex",
	    "Checking the certificate chain exceeded its work bound." },
	[FC_POLICY_R_MALFORMED] = { "malformed",
	    "The message lacks what the trust policy needs to judge it." },
};

const char *
fc_policy_reason_name(int reason)
{
	if (reason < 0 || reason >= FC_POLICY_R_MAX)
		return "unknown";
	return reasons[reason].name;
}

const char *
fc_policy_reason_text(int reason)
{
	if (reason < 0 || reason >= FC_POLICY_R_MAX)
		return "Unknown policy reason.";
	return reasons[reason].text;
}

static int
verdict_set(struct fc_policy_verdict *out, int verdict, int reason)
{
	memset(out, 0, sizeof(*out));
	out->verdict = verdict;
	out->reason = reason;
	return verdict;
}

/* A warning needs issuer for every area: one refusal refuses it, else one gap holds it. */
static int
check_warning(const struct fc_trust *t, const Fenghuo__Body *b, uint64_t at,
    struct fc_policy_verdict *out)
{
	struct fc_policy_verdict v;
	size_t i;

	if (b->warning == NULL || b->warning->n_area == 0)
		return verdict_set(out, FC_POLICY_REJECT, FC_POLICY_R_MALFORMED);
	fc_trust_holds(t, b->author.data, FENGHUO__ROLE__ISSUER, b->warning->area[0], at, out);
	for (i = 1; i < b->warning->n_area && out->verdict != FC_POLICY_REJECT; i++) {
		fc_trust_holds(t, b->author.data, FENGHUO__ROLE__ISSUER, b->warning->area[i], at,
		    &v);
		if (v.verdict == FC_POLICY_ACCEPT)
			out->flags |= v.flags;
		else if (v.verdict == FC_POLICY_REJECT || out->verdict == FC_POLICY_ACCEPT)
			*out = v;
	}
	return out->verdict;
}

static int
check_revoke(const struct fc_trust *t, const Fenghuo__Body *b, uint64_t at,
    struct fc_policy_verdict *out)
{
	if (b->revoke == NULL || !b->revoke->has_subject ||
	    b->revoke->subject.len != FC_PUBLICKEYBYTES)
		return verdict_set(out, FC_POLICY_REJECT, FC_POLICY_R_MALFORMED);
	return fc_policy_may_revoke(t, b->author.data, b->revoke->subject.data, at, out);
}

int
fc_policy_may_revoke(const struct fc_trust *t, const uint8_t author[FC_PUBLICKEYBYTES],
    const uint8_t subject[FC_PUBLICKEYBYTES], uint64_t at_ms, struct fc_policy_verdict *out)
{
	if (fc_trust_is_anchor(t, author)) {
		verdict_set(out, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
		out->flags = FC_POLICY_F_ANCHOR;
		return out->verdict;
	}
	if (memcmp(subject, author, FC_PUBLICKEYBYTES) == 0) {
		/*
		 * Anyone may withdraw their own key, but only a key somebody certified: a
		 * stranger's self-revocations would be free storage for whoever makes keys.
		 */
		if (fc_trust_known(t, author))
			return verdict_set(out, FC_POLICY_ACCEPT, FC_POLICY_R_OK);
		verdict_set(out, FC_POLICY_HOLD, FC_POLICY_R_NO_CHAIN);
		memcpy(out->missing, author, FC_PUBLICKEYBYTES);
		return out->verdict;
	}
	/*
	 * Any admin may revoke any key: the revocation voids only the subject's grants inside
	 * the revoker's own scope (trust.c, revocation_counts()). Asking "admin anywhere" here
	 * rather than "admin over the subject's grants" keeps the verdict independent of which
	 * of the subject's certificates happen to have arrived.
	 */
	return fc_trust_holds(t, author, FENGHUO__ROLE__ADMIN, NULL, at_ms, out);
}

/* The role a receipt of this stage needs, or -1 for a stage the policy does not know. */
static int
receipt_role(int stage)
{
	/*
	 * A delivery receipt carries the region of the warning it acknowledges (the CLI copies
	 * it), which is wider than a village node's grant: any node will do.
	 */
	if (stage == FENGHUO__STAGE__DELIVERED)
		return FENGHUO__ROLE__NODE;
	if (stage >= FENGHUO__STAGE__REGISTERED && stage <= FENGHUO__STAGE__CLOSED)
		return FENGHUO__ROLE__VERIFIER;
	return -1;
}

int
fc_policy_receipt_counts(const struct fc_trust *t, const Fenghuo__Body *receipt,
    const char *report_region)
{
	struct fc_policy_verdict v;

	if (receipt == NULL || receipt->receipt == NULL || !receipt->has_author ||
	    receipt->author.len != FC_PUBLICKEYBYTES || report_region == NULL ||
	    receipt_role(receipt->receipt->stage) != FENGHUO__ROLE__VERIFIER)
		return 0;
	return fc_trust_holds(t, receipt->author.data, FENGHUO__ROLE__VERIFIER, report_region,
	    receipt->created_ms, &v) == FC_POLICY_ACCEPT;
}

int
fc_policy_check(const struct fc_trust *t, const struct fc_msg *msg, uint64_t now_ms,
    struct fc_policy_verdict *out)
{
	const Fenghuo__Body *b = msg->body;
	const char *region, *scope;
	uint64_t at;
	int role;

	if (b == NULL || !b->has_author || b->author.len != FC_PUBLICKEYBYTES)
		return verdict_set(out, FC_POLICY_REJECT, FC_POLICY_R_MALFORMED);
	/* A skewed creation time means nothing (validate.c); this node's clock applies. */
	at = (msg->flags & FC_MSG_CLOCK_SKEW) ? now_ms : b->created_ms;
	region = b->region != NULL && b->region[0] != '\0' ? b->region : NULL;

	switch (b->kind) {
	case FENGHUO__KIND__REPORT:
		return fc_trust_holds(t, b->author.data, FENGHUO__ROLE__REPORTER,
		    region != NULL ? region : "", at, out);
	case FENGHUO__KIND__WARNING:
		return check_warning(t, b, at, out);
	case FENGHUO__KIND__RECEIPT:
		if (b->receipt == NULL || !b->receipt->has_stage ||
		    (role = receipt_role(b->receipt->stage)) == -1)
			return verdict_set(out, FC_POLICY_REJECT, FC_POLICY_R_MALFORMED);
		if (role == FENGHUO__ROLE__NODE)
			return fc_trust_holds(t, b->author.data, role, NULL, at, out);
		/* Without a region, only a verifier for everywhere may speak. */
		return fc_trust_holds(t, b->author.data, role, region != NULL ? region : "", at,
		    out);
	case FENGHUO__KIND__CERT:
		if (b->cert == NULL)
			return verdict_set(out, FC_POLICY_REJECT, FC_POLICY_R_MALFORMED);
		scope = b->cert->scope != NULL ? b->cert->scope : "";
		return fc_trust_holds(t, b->author.data, FENGHUO__ROLE__ADMIN, scope, at, out);
	case FENGHUO__KIND__REVOKE:
		return check_revoke(t, b, at, out);
	case FENGHUO__KIND__ANNOUNCE:
		return fc_trust_holds(t, b->author.data, FENGHUO__ROLE__NODE, NULL, at, out);
	default:
		return verdict_set(out, FC_POLICY_REJECT, FC_POLICY_R_MALFORMED);
	}
}

/* 1 if region code `area` lies inside one of the n prefixes. */
static int
area_covered(const char *area, char *const *prefixes, size_t n)
{
	size_t i, len;

	for (i = 0; i < n; i++) {
		if (prefixes[i] == NULL || (len = strlen(prefixes[i])) == 0)
			continue;
		if (strncmp(area, prefixes[i], len) == 0)
			return 1;
	}
	return 0;
}

int
fc_policy_may_change(const struct fc_trust *t, const Fenghuo__Body *change,
    const Fenghuo__Body *target)
{
	struct fc_policy_verdict v;
	const Fenghuo__Warning *cw, *tw;
	size_t i;

	if (change == NULL || target == NULL || (cw = change->warning) == NULL ||
	    (tw = target->warning) == NULL || tw->n_area == 0 ||
	    !change->has_author || change->author.len != FC_PUBLICKEYBYTES)
		return 0;
	/* Open mode judges no authority, only what the messages say. */
	if (t == NULL && target->has_author && target->author.len == FC_PUBLICKEYBYTES &&
	    memcmp(change->author.data, target->author.data, FC_PUBLICKEYBYTES) == 0)
		return 1;
	for (i = 0; i < tw->n_area; i++) {
		if (tw->area[i] == NULL || tw->area[i][0] == '\0')
			return 0;
		if (t != NULL) {
			if (fc_trust_holds(t, change->author.data, FENGHUO__ROLE__ISSUER,
			    tw->area[i], change->created_ms, &v) != FC_POLICY_ACCEPT)
				return 0;
		} else if (!area_covered(tw->area[i], cw->area, cw->n_area))
			return 0;
	}
	return 1;
}

/* ---- held messages ------------------------------------------------------------------- */

/*
 * Entries are kept sorted by held_ms (ties in arrival order), so the oldest is always
 * first: eviction and expiry take from the front. Capacities are small (hundreds to a few
 * thousand), so plain arrays and memmove are the simplest thing that is fast enough.
 */
struct fc_held {
	struct fc_held_entry	*e;
	size_t			 n, cap;
	size_t			 max_count, max_bytes;
	uint64_t		 ttl_ms;
	struct fc_held_stats	 st;
};

struct fc_held *
fc_held_new(size_t max_count, size_t max_bytes, uint64_t ttl_ms)
{
	struct fc_held *h;

	if (max_count == 0 || max_bytes == 0)
		return NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->max_count = max_count;
	h->max_bytes = max_bytes;
	h->ttl_ms = ttl_ms;
	return h;
}

void
fc_held_free(struct fc_held **hp)
{
	struct fc_held *h;
	size_t i;

	if (hp == NULL || (h = *hp) == NULL)
		return;
	for (i = 0; i < h->n; i++)
		free(h->e[i].env);
	free(h->e);
	free(h);
	*hp = NULL;
}

/* Remove entries [0, k) (already freed or handed out). */
static void
drop_front(struct fc_held *h, size_t k)
{
	/* h->e is NULL while nothing was ever held; memmove must not see it. */
	if (k == 0)
		return;
	memmove(h->e, h->e + k, (h->n - k) * sizeof(*h->e));
	h->n -= k;
}

int
fc_held_add(struct fc_held *h, const uint8_t *env, size_t len, const uint8_t id[FC_IDBYTES],
    const uint8_t wait_key[FC_PUBLICKEYBYTES], uint64_t held_ms)
{
	struct fc_held_entry *ne, ent;
	size_t i, ncap;

	for (i = 0; i < h->n; i++) {
		if (memcmp(h->e[i].id, id, FC_IDBYTES) == 0) {
			memcpy(h->e[i].wait_key, wait_key, FC_PUBLICKEYBYTES);
			return 0;
		}
	}
	if (len > h->max_bytes) {
		h->st.refused++;
		return E2BIG;
	}
	memset(&ent, 0, sizeof(ent));
	if ((ent.env = malloc(len > 0 ? len : 1)) == NULL)
		return FC_ENOMEM;
	memcpy(ent.env, env, len);
	ent.len = len;
	memcpy(ent.id, id, FC_IDBYTES);
	memcpy(ent.wait_key, wait_key, FC_PUBLICKEYBYTES);
	ent.held_ms = held_ms;
	if (h->n == h->cap) {
		ncap = h->cap ? h->cap * 2 : 16;
		if ((ne = reallocarray(h->e, ncap, sizeof(*ne))) == NULL) {
			free(ent.env);
			return FC_ENOMEM;
		}
		h->e = ne;
		h->cap = ncap;
	}
	/* Make room: the oldest go first. */
	while (h->n > 0 && (h->n + 1 > h->max_count || h->st.bytes + len > h->max_bytes)) {
		h->st.bytes -= h->e[0].len;
		free(h->e[0].env);
		drop_front(h, 1);
		h->st.evicted++;
	}
	/* After the last entry held no later than this one (a re-hold keeps its age). */
	for (i = h->n; i > 0 && h->e[i - 1].held_ms > held_ms; i--)
		;
	memmove(h->e + i + 1, h->e + i, (h->n - i) * sizeof(*h->e));
	h->e[i] = ent;
	h->n++;
	h->st.bytes += len;
	h->st.added++;
	return 0;
}

int
fc_held_take(struct fc_held *h, const uint8_t key[FC_PUBLICKEYBYTES],
    struct fc_held_entry **out, size_t *n)
{
	struct fc_held_entry *res;
	size_t i, j, k = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < h->n; i++)
		if (memcmp(h->e[i].wait_key, key, FC_PUBLICKEYBYTES) == 0)
			k++;
	if (k == 0)
		return 0;
	if ((res = calloc(k, sizeof(*res))) == NULL)
		return FC_ENOMEM;
	for (i = j = k = 0; i < h->n; i++) {
		if (memcmp(h->e[i].wait_key, key, FC_PUBLICKEYBYTES) == 0) {
			res[k++] = h->e[i];
			h->st.bytes -= h->e[i].len;
		} else {
			h->e[j++] = h->e[i];
		}
	}
	h->n = j;
	h->st.taken += k;
	*out = res;
	*n = k;
	return 0;
}

void
fc_held_entries_free(struct fc_held_entry **entries, size_t n)
{
	size_t i;

	if (entries == NULL || *entries == NULL)
		return;
	for (i = 0; i < n; i++)
		free((*entries)[i].env);
	free(*entries);
	*entries = NULL;
}

size_t
fc_held_expire(struct fc_held *h, uint64_t now_ms)
{
	size_t k;

	/* Sorted by held_ms: the expired ones are a prefix. */
	for (k = 0; k < h->n; k++) {
		if (now_ms < h->e[k].held_ms || now_ms - h->e[k].held_ms < h->ttl_ms)
			break;
		h->st.bytes -= h->e[k].len;
		free(h->e[k].env);
	}
	drop_front(h, k);
	h->st.expired += k;
	return k;
}

void
fc_held_stats(const struct fc_held *h, struct fc_held_stats *out)
{
	*out = h->st;
	out->count = h->n;
}
