/*
 * warning.c: an imported alert as the body of a fenghuo warning, and the alerts its
 * <references> name.
 *
 * fenghuo's own fields say what every node needs to deliver and list a warning: its areas
 * (region prefixes), colour level, CAP enums, title, text and expiry. They come from the
 * alert; the alert itself rides along in Warning.cap so that it can be exported again
 * element by element. The first <info>'s headline, description, instruction and event are
 * not written twice: when the body holds them exactly, Warning.cap says so (from_body).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cap.h"
#include "cap_int.h"

#define DEFAULT_LIFE_MS	(24ULL * 3600 * 1000)	/* an alert that gives no <expires> */

/* A title from a headline: one line (whitespace runs as one space), at most 256 bytes. */
static char *
make_title(const char *s)
{
	size_t n = strlen(s), i, o = 0, cut;
	char *t;
	int sp = 0;

	if ((t = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == ' ' || c == 0x7f) {
			sp = o > 0;
			continue;
		}
		if (sp)
			t[o++] = ' ';
		sp = 0;
		t[o++] = (char)c;
	}
	t[o] = '\0';
	if (o > WIRE_TITLE_MAX) {
		cut = WIRE_TITLE_MAX;
		while (cut > 0 && ((unsigned char)t[cut] & 0xc0) == 0x80)
			cut--;
		t[cut] = '\0';
	}
	return t;
}

/* 1 if s is usable as Body.title exactly: one line, no control characters, short. */
static int
title_exact(const char *s)
{
	const unsigned char *p;

	if (s[0] == '\0' || strlen(s) > WIRE_TITLE_MAX || s[0] == ' ')
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* Add prefix to the warning's areas unless there or covered. -1 when full. */
static int
add_area(struct cap_warning *w, const char *prefix)
{
	size_t i;

	for (i = 0; i < w->warning.n_area; i++)
		if (strcmp(w->areas[i], prefix) == 0)
			return 0;
	if (w->warning.n_area == CAP_AREAS_MAX)
		return -1;
	if ((w->areas[w->warning.n_area] = strdup(prefix)) == NULL)
		return -1;
	w->warning.n_area++;
	return 0;
}

/* The national geocodes of every area of every info, as region prefixes. */
static int
geocode_areas(struct cap_warning *w, const Fenghuo__Cap *cap, struct cap_err *err)
{
	size_t i, j, k;
	const char *p, *e;
	char prefix[13];

	for (i = 0; i < cap->n_info; i++) {
		const Fenghuo__CapInfo *in = cap->info[i];

		for (j = 0; j < in->n_area; j++) {
			const Fenghuo__CapArea *a = in->area[j];

			for (k = 0; k < a->n_geocode; k++) {
				if (a->geocode[k]->name != NULL || a->geocode[k]->value == NULL)
					continue;
				for (p = a->geocode[k]->value; *p != '\0'; p = *e ? e + 1 : e) {
					for (e = p; *e != '\0' && *e != ','; e++)
						;
					while (p < e && isspace((unsigned char)*p))
						p++;
					if (p == e)
						continue;
					if (cap_cn_geocode_prefix(p, (size_t)(e - p), prefix) != 0) {
						cap_seterr(err, "<geocode> %.*s: not a 12-digit region "
						    "code", (int)(e - p), p);
						return CAP_ESCHEMA;
					}
					if (add_area(w, prefix) != 0) {
						cap_seterr(err, "more than %d areas", CAP_AREAS_MAX);
						return CAP_EUNSUPPORTED;
					}
				}
			}
		}
	}
	return CAP_OK;
}

int
cap_warning(struct cap_doc *doc, const struct cap_opts *o, struct cap_warning *w,
    struct cap_err *err)
{
	Fenghuo__Cap *cap = doc->cap;
	Fenghuo__CapInfo *in;
	uint64_t ms, expires = 0;
	size_t i;
	int v, level = 0, rc;
	uint32_t from = 0;

	memset(w, 0, sizeof(*w));
	fenghuo__body__init(&w->body);
	fenghuo__warning__init(&w->warning);
	if (cap == NULL || cap->n_info == 0) {
		cap_seterr(err, "the alert has no <info>: nothing to warn of");
		return CAP_EUNSUPPORTED;
	}
	in = cap->info[0];

	/* Areas: given, or from the national geocodes. */
	if (o->n_areas > 0) {
		for (i = 0; i < o->n_areas; i++)
			if (add_area(w, o->areas[i]) != 0)
				goto nomem;
	} else if ((rc = geocode_areas(w, cap, err)) != CAP_OK) {
		goto fail;
	}
	if (w->warning.n_area == 0) {
		cap_seterr(err, "the alert names no Chinese region (no 12-digit <geocode>): give "
		    "the areas it concerns (--area)");
		rc = CAP_EUNSUPPORTED;
		goto fail;
	}
	w->warning.area = w->areas;

	/* The highest level any info gives, unless one is given. */
	for (i = 0; i < cap->n_info; i++)
		if ((v = cap_severity_level(cap->info[i]->severity)) > level)
			level = v;
	if (o->level > 0)
		level = o->level;
	if (level == 0) {
		cap_seterr(err, "<severity>%s</severity> gives no warning level: give one "
		    "(--level)", in->severity);
		rc = CAP_EUNSUPPORTED;
		goto fail;
	}

	/* Expiry: the latest <expires>, or a day from now; an expired alert is refused. */
	for (i = 0; i < cap->n_info; i++) {
		const char *e = cap->info[i]->expires;

		if (e == NULL || e[0] == '\0')
			continue;
		if (cap_time_parse(e, &ms, NULL) != 0) {
			cap_seterr(err, "<expires>%s</expires> is not a time", e);
			rc = CAP_ESCHEMA;
			goto fail;
		}
		if (ms > expires)
			expires = ms;
	}
	if (o->expires_ms != 0)
		expires = o->expires_ms;
	else if (expires == 0)
		expires = o->now_ms + DEFAULT_LIFE_MS;
	if (expires <= o->now_ms) {
		cap_seterr(err, "the alert expired at %s: fenghuo does not send expired warnings "
		    "(give a new expiry, --expires, to send it all the same)",
		    in->expires != NULL ? in->expires : "its <expires>");
		rc = CAP_EUNSUPPORTED;
		goto fail;
	}

	w->warning.has_msg_type = 1;
	w->warning.msg_type = doc->msg_type;
	w->warning.has_level = 1;
	w->warning.level = level;
	w->warning.has_severity = 1;
	w->warning.severity = wire_level_severity(level);
	w->warning.has_urgency = 1;
	w->warning.urgency = (v = cap_urgency_parse(in->urgency)) > 0 ? v :
	    FENGHUO__URGENCY__URGENCY_UNKNOWN;
	w->warning.has_certainty = 1;
	w->warning.certainty = (v = cap_certainty_parse(in->certainty)) > 0 ? v :
	    FENGHUO__CERTAINTY__CERTAINTY_UNKNOWN;
	for (i = 0; i < in->n_response_type && w->warning.n_response_type < 16; i++)
		if ((v = cap_response_parse(in->response_type[i])) > 0)
			w->responses[w->warning.n_response_type++] = (Fenghuo__ResponseType)v;
	w->warning.response_type = w->responses;
	if (in->onset != NULL && cap_time_parse(in->onset, &ms, NULL) == 0) {
		w->warning.has_onset_ms = 1;
		w->warning.onset_ms = ms;
	}

	/* From here the warning owns the cap: a failure below gives the moved texts back. */
	w->warning.cap = cap;
	doc->cap = NULL;

	/* Shared with the body, written once. */
	if (in->headline != NULL && title_exact(in->headline)) {
		w->body.title = in->headline;
		in->headline = NULL;
		from |= WIRE_CAP_FROM_HEADLINE;
	} else {
		w->title = make_title(in->headline != NULL && in->headline[0] != '\0' ?
		    in->headline : in->event != NULL && in->event[0] != '\0' ? in->event :
		    in->event_type != NULL && in->event_type[0] != '\0' ? in->event_type :
		    "CAP alert");
		if (w->title == NULL)
			goto nomem;
		if (w->title[0] == '\0') {
			free(w->title);
			if ((w->title = strdup("CAP alert")) == NULL)
				goto nomem;
		}
		w->body.title = w->title;
	}
	if (in->description != NULL && strlen(in->description) <= WIRE_TEXT_MAX) {
		w->body.text = in->description;
		in->description = NULL;
		from |= WIRE_CAP_FROM_DESCRIPTION;
	}
	if (in->instruction != NULL) {
		w->warning.instruction = in->instruction;
		in->instruction = NULL;
		from |= WIRE_CAP_FROM_INSTRUCTION;
	}
	if (in->event != NULL) {
		w->body.event = in->event;
		in->event = NULL;
		from |= WIRE_CAP_FROM_EVENT;
	} else {
		const char *n = cap_cn_event_name(in->event_type);

		if ((w->event = strdup(n != NULL ? n : in->event_type)) == NULL)
			goto nomem;
		w->body.event = w->event;
	}
	if (in->n_category > 0)
		w->body.category = in->category[0];
	if (from != 0) {
		in->has_from_body = 1;
		in->from_body = from;
	}

	w->body.has_kind = 1;
	w->body.kind = FENGHUO__KIND__WARNING;
	w->body.region = w->areas[0];
	w->body.has_expires_ms = 1;
	w->body.expires_ms = expires;
	/* Actual is written as absent, as for every warning (fenghuo.proto, Status). */
	if (doc->status != FENGHUO__STATUS__ACTUAL) {
		w->body.has_status = 1;
		w->body.status = doc->status;
	}
	w->body.warning = &w->warning;
	return CAP_OK;
nomem:
	cap_seterr(err, "out of memory");
	rc = CAP_ENOMEM;
fail:
	cap_warning_clear(w);
	return rc;
}

void
cap_warning_clear(struct cap_warning *w)
{
	Fenghuo__CapInfo *in;
	size_t i;

	if (w == NULL)
		return;
	/* What was moved into the body goes back to the cap, which frees it. */
	if (w->warning.cap != NULL) {
		in = w->warning.cap->n_info > 0 ? w->warning.cap->info[0] : NULL;
		if (in != NULL && in->has_from_body) {
			if (in->from_body & WIRE_CAP_FROM_HEADLINE)
				in->headline = w->body.title;
			if (in->from_body & WIRE_CAP_FROM_DESCRIPTION)
				in->description = w->body.text;
			if (in->from_body & WIRE_CAP_FROM_INSTRUCTION)
				in->instruction = w->warning.instruction;
			if (in->from_body & WIRE_CAP_FROM_EVENT)
				in->event = w->body.event;
		}
		fenghuo__cap__free_unpacked(w->warning.cap, NULL);
	}
	for (i = 0; i < w->warning.n_area; i++)
		free(w->areas[i]);
	free(w->title);
	free(w->event);
	memset(w, 0, sizeof(*w));
}

int
cap_refs(const Fenghuo__Cap *cap, struct cap_ref **out, size_t *n)
{
	struct cap_ref *refs = NULL, *r;
	const char *p, *e, *c1, *c2;
	size_t cnt = 0;

	*out = NULL;
	*n = 0;
	if (cap == NULL || cap->references == NULL)
		return CAP_OK;
	for (p = cap->references; *p != '\0'; p = e) {
		while (isspace((unsigned char)*p))
			p++;
		for (e = p; *e != '\0' && !isspace((unsigned char)*e); e++)
			;
		if (e == p)
			break;
		if ((r = realloc(refs, (cnt + 1) * sizeof(*r))) == NULL)
			goto nomem;
		refs = r;
		r = &refs[cnt++];
		memset(r, 0, sizeof(*r));
		/* sender,identifier,sent (OASIS); a bare identifier (national profile). */
		c1 = memchr(p, ',', (size_t)(e - p));
		c2 = c1 != NULL ? memchr(c1 + 1, ',', (size_t)(e - c1 - 1)) : NULL;
		if (c1 != NULL && c2 != NULL) {
			if ((r->sender = strndup(p, (size_t)(c1 - p))) == NULL ||
			    (r->identifier = strndup(c1 + 1, (size_t)(c2 - c1 - 1))) == NULL)
				goto nomem;
		} else if ((r->identifier = strndup(p, (size_t)(e - p))) == NULL) {
			goto nomem;
		}
		/* National lists are comma-separated identifiers (with a trailing comma). */
		if (c1 != NULL && c2 == NULL)
			r->identifier[c1 - p] = '\0';
	}
	*out = refs;
	*n = cnt;
	return CAP_OK;
nomem:
	cap_refs_free(refs, cnt);
	return CAP_ENOMEM;
}

void
cap_refs_free(struct cap_ref *refs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(refs[i].sender);
		free(refs[i].identifier);
	}
	free(refs);
}

int
cap_ref_matches(const Fenghuo__Body *body, const struct cap_ref *ref)
{
	const Fenghuo__Cap *c;

	if (body == NULL || body->warning == NULL || (c = body->warning->cap) == NULL)
		return 0;
	if (c->identifier == NULL || strcmp(c->identifier, ref->identifier) != 0)
		return 0;
	return ref->sender == NULL || (c->sender != NULL && strcmp(c->sender, ref->sender) == 0);
}
