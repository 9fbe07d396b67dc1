/*
 * write.c: a stored warning as CAP XML, OASIS CAP 1.2 or the national profile.
 *
 * An imported warning exported in the profile it came in is written element by element
 * from Warning.cap, in each profile's element order, so that every value equals the
 * input's. In the other profile, values are converted where the profiles differ (time
 * format, severity words and colours, event and eventType, geocodes) and elements the
 * target lacks are left out (docs/CAP.md lists them). A warning made by `fenghuo warn` is
 * written from its own fields. The document is built as a libxml2 tree, which does all
 * escaping, and serialised as UTF-8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "cap.h"
#include "cap_int.h"

#define CN_OFFSET_MIN	480	/* fenghuo's own times are written in China's +08:00 */

struct wr {
	int		 profile;	/* the output's */
	int		 same;		/* the cap's own profile: verbatim */
	int		 cn_in;		/* the cap is of the national profile */
	const Fenghuo__Body *body;
	cap_region_name_fn region_name;
	void		*arg;
	int		 oom;
};

static xmlNode *
el(struct wr *w, xmlNode *parent, const char *name, const char *text)
{
	xmlNode *n;

	if (text == NULL)
		return NULL;
	if ((n = xmlNewTextChild(parent, NULL, CAP_X(name), CAP_X(text))) == NULL)
		w->oom = 1;
	return n;
}

/* An element that the other profile cannot have empty: left out when empty. */
static void
el_nonempty(struct wr *w, xmlNode *parent, const char *name, const char *text)
{
	if (text != NULL && text[0] != '\0')
		el(w, parent, name, text);
}

/* A time in the output's format, converted when the cap's profile is the other one. */
static void
el_time(struct wr *w, xmlNode *parent, const char *name, const char *t)
{
	char buf[32];
	uint64_t ms;
	int off;

	if (t == NULL)
		return;
	if (w->same) {
		el(w, parent, name, t);
		return;
	}
	if (cap_time_parse(t, &ms, &off) != 0)
		return;
	cap_time_format(ms, off, w->profile == CAP_PROFILE_CN ? ' ' : 'T', buf);
	el(w, parent, name, buf);
}

static void
el_ms(struct wr *w, xmlNode *parent, const char *name, uint64_t ms)
{
	char buf[32];

	cap_time_format(ms, CN_OFFSET_MIN, w->profile == CAP_PROFILE_CN ? ' ' : 'T', buf);
	el(w, parent, name, buf);
}

static void
el_value(struct wr *w, xmlNode *parent, const char *name, const char *vname,
    const char *value)
{
	xmlNode *n;

	if ((n = xmlNewChild(parent, NULL, CAP_X(name), NULL)) == NULL) {
		w->oom = 1;
		return;
	}
	el(w, n, "valueName", vname);
	el(w, n, "value", value);
}

static void
el_values(struct wr *w, xmlNode *parent, const char *name, Fenghuo__CapValue *const *v,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		el_value(w, parent, name, v[i]->name, v[i]->value);
}

/* Values the OASIS schema allows; what else the national profile gave is left out. */
static const char *const categories[] = { "Geo", "Met", "Safety", "Security", "Rescue",
	"Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other", NULL };
static const char *const scopes[] = { "Public", "Restricted", "Private", NULL };

static int
one_of(const char *s, const char *const *words)
{
	for (; s != NULL && *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return 1;
	return 0;
}

/* xs:integer and xs:decimal as CAP uses them: [+-]digits[.digits]. */
static int
is_number(const char *s, int decimal)
{
	int digits = 0, dot = 0;

	if (s == NULL)
		return 0;
	if (*s == '+' || *s == '-')
		s++;
	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9')
			digits++;
		else if (*s == '.' && decimal && !dot)
			dot = 1;
		else
			return 0;
	}
	return digits > 0;
}

/* xs:language: 1-8 letters, then "-" and 1-8 letters or digits, any number of times. */
static int
is_language(const char *s)
{
	size_t part = 0;
	int first = 1;

	for (; s != NULL && *s != '\0'; s++) {
		int alpha = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z');
		int digit = *s >= '0' && *s <= '9';

		if (*s == '-') {
			if (part == 0)
				return 0;
			part = 0;
			first = 0;
		} else if ((alpha || (digit && !first)) && part < 8) {
			part++;
		} else {
			return 0;
		}
	}
	return part > 0;
}

/* A region prefix as the 12-digit code of the national profile. */
static void
pad12(const char *prefix, char out[13])
{
	size_t n = strlen(prefix);

	memcpy(out, prefix, n > 12 ? 12 : n);
	memset(out + (n > 12 ? 12 : n), '0', n > 12 ? 0 : 12 - n);
	out[12] = '\0';
}

/* The warning's areas as one comma-separated list of 12-digit codes (or their names). */
static char *
area_list(struct wr *w, int names)
{
	const Fenghuo__Warning *wa = w->body->warning;
	size_t i, len = 1;
	char code[13], *s;
	const char *item;

	for (i = 0; i < wa->n_area; i++) {
		item = names && w->region_name != NULL ? w->region_name(w->arg, wa->area[i]) :
		    NULL;
		len += (item != NULL ? strlen(item) : 12) + 1;
	}
	if ((s = malloc(len)) == NULL) {
		w->oom = 1;
		return NULL;
	}
	s[0] = '\0';
	for (i = 0; i < wa->n_area; i++) {
		item = names && w->region_name != NULL ? w->region_name(w->arg, wa->area[i]) :
		    NULL;
		if (item == NULL) {
			pad12(wa->area[i], code);
			item = names ? wa->area[i] : code;
		}
		if (i > 0)
			strcat(s, ",");
		strcat(s, item);
	}
	return s;
}

static void
write_area(struct wr *w, xmlNode *info, const Fenghuo__CapArea *a)
{
	xmlNode *n;
	size_t i;
	char *list, code[13];
	const char *p, *e;

	if ((n = xmlNewChild(info, NULL, CAP_X("area"), NULL)) == NULL) {
		w->oom = 1;
		return;
	}
	if (a->desc != NULL || !w->same)
		el(w, n, "areaDesc", a->desc != NULL ? a->desc : "");
	for (i = 0; i < a->n_polygon; i++)
		if (w->same)
			el(w, n, "polygon", a->polygon[i]);
		else
			el_nonempty(w, n, "polygon", a->polygon[i]);
	for (i = 0; i < a->n_circle; i++)
		if (w->same)
			el(w, n, "circle", a->circle[i]);
		else
			el_nonempty(w, n, "circle", a->circle[i]);
	if (w->same) {
		for (i = 0; i < a->n_geocode; i++) {
			if (a->geocode[i]->name == NULL)
				el(w, n, "geocode", a->geocode[i]->value);
			else
				el_value(w, n, "geocode", a->geocode[i]->name,
				    a->geocode[i]->value);
		}
	} else if (w->profile == CAP_PROFILE_OASIS) {
		/* Each national code as a geocode of its own. */
		for (i = 0; i < a->n_geocode; i++) {
			for (p = a->geocode[i]->value; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
				for (e = p; *e != '\0' && *e != ','; e++)
					;
				if (e > p && e - p <= 12) {
					memcpy(code, p, (size_t)(e - p));
					code[e - p] = '\0';
					el_value(w, n, "geocode", "GB/T 35965.1", code);
				}
			}
		}
	} else if ((list = area_list(w, 0)) != NULL) {
		el(w, n, "geocode", list);
		free(list);
	}
	if (w->same || is_number(a->altitude, 1))
		el(w, n, "altitude", a->altitude);
	if (w->same || is_number(a->ceiling, 1))
		el(w, n, "ceiling", a->ceiling);
}

static void
write_info(struct wr *w, xmlNode *alert, const Fenghuo__CapInfo *in, int first)
{
	const Fenghuo__Body *b = w->body;
	uint32_t from = first && in->has_from_body ? in->from_body : 0;
	const char *headline = from & WIRE_CAP_FROM_HEADLINE ? b->title : in->headline;
	const char *description = from & WIRE_CAP_FROM_DESCRIPTION ? b->text : in->description;
	const char *instruction = from & WIRE_CAP_FROM_INSTRUCTION ? b->warning->instruction :
	    in->instruction;
	const char *event = from & WIRE_CAP_FROM_EVENT ? b->event : in->event;
	const char *code = NULL, *sev = in->severity;
	int cn = w->profile == CAP_PROFILE_CN, level, oasis;
	xmlNode *n;
	size_t i, ncat = 0;

	if ((n = xmlNewChild(alert, NULL, CAP_X("info"), NULL)) == NULL) {
		w->oom = 1;
		return;
	}
	if (!w->same) {
		level = cap_severity_level(in->severity);
		if (level > 0)
			sev = cn ? cap_level_colour(level) : cap_level_severity(level);
		else
			sev = "Unknown";
		if (cn && in->event_type == NULL)
			code = cap_cn_event_code(event);
		if (!cn && event == NULL)
			event = cap_cn_event_name(in->event_type) != NULL ?
			    cap_cn_event_name(in->event_type) : in->event_type;
	}
	oasis = !w->same && !cn;	/* converted to OASIS: only what its schema allows */
	if (!oasis || is_language(in->language))
		el(w, n, "language", in->language);
	for (i = 0; i < in->n_category; i++)
		if (!oasis || one_of(in->category[i], categories)) {
			el(w, n, "category", in->category[i]);
			ncat++;
		}
	if (oasis && ncat == 0)
		el(w, n, "category", in->event_type != NULL &&
		    strncmp(in->event_type, "11B", 3) == 0 ? "Met" : "Other");
	if (!cn || w->same || code == NULL)
		el(w, n, "event", event);
	el(w, n, "eventType", w->same || cn ? in->event_type : NULL);
	el(w, n, "eventType", code);
	for (i = 0; i < in->n_response_type; i++)
		if (!oasis || cap_response_parse(in->response_type[i]) > 0)
			el(w, n, "responseType", in->response_type[i]);
	if (w->same) {
		el(w, n, "urgency", in->urgency);
		el(w, n, "severity", sev);
		el(w, n, "certainty", in->certainty);
	} else {
		el(w, n, "urgency", cap_urgency_parse(in->urgency) > 0 ? in->urgency : "Unknown");
		el(w, n, "severity", sev);
		el(w, n, "certainty", cap_certainty_parse(in->certainty) > 0 ? in->certainty :
		    "Unknown");
	}
	if (w->same)
		el(w, n, "audience", in->audience);
	else
		el_nonempty(w, n, "audience", in->audience);
	el_values(w, n, "eventCode", in->event_code, in->n_event_code);
	if (!w->same && !cn && in->event_type != NULL && in->event_type[0] != '\0')
		el_value(w, n, "eventCode", "GB/T 35965.1 eventType", in->event_type);
	if (w->same) {
		el(w, n, "effective", in->effective);
		el(w, n, "onset", in->onset);
		el(w, n, "expires", in->expires);
	} else {
		if (in->effective != NULL && in->effective[0] != '\0')
			el_time(w, n, "effective", in->effective);
		if (in->onset != NULL && in->onset[0] != '\0')
			el_time(w, n, "onset", in->onset);
		if (in->expires != NULL && in->expires[0] != '\0')
			el_time(w, n, "expires", in->expires);
	}
	el(w, n, "senderName", in->sender_name);
	el(w, n, "headline", headline);
	el(w, n, "description", description);
	el(w, n, "instruction", instruction);
	if (w->same) {
		el(w, n, "web", in->web);
		el(w, n, "contact", in->contact);
	} else {
		el_nonempty(w, n, "web", in->web);
		el_nonempty(w, n, "contact", in->contact);
	}
	el_values(w, n, "parameter", in->parameter, in->n_parameter);
	for (i = 0; i < in->n_resource; i++) {
		const Fenghuo__CapResource *r = in->resource[i];
		xmlNode *rn;

		if ((rn = xmlNewChild(n, NULL, CAP_X("resource"), NULL)) == NULL) {
			w->oom = 1;
			return;
		}
		if (oasis) {
			el(w, rn, "resourceDesc", r->desc != NULL ? r->desc : "");
			el(w, rn, "mimeType", r->mime_type != NULL ? r->mime_type :
			    "application/octet-stream");
			if (is_number(r->size, 0))
				el(w, rn, "size", r->size);
		} else {
			el(w, rn, "resourceDesc", r->desc);
			el(w, rn, "mimeType", r->mime_type);
			el(w, rn, "size", r->size);
		}
		el(w, rn, "uri", r->uri);
		el(w, rn, "digest", r->digest);
	}
	for (i = 0; i < in->n_area; i++)
		write_area(w, n, in->area[i]);
}

static void
write_methods(struct wr *w, xmlNode *alert, const Fenghuo__Cap *c)
{
	xmlNode *code, *m;
	size_t i;

	if (c->n_method == 0)
		return;
	if ((code = xmlNewChild(alert, NULL, CAP_X("code"), NULL)) == NULL) {
		w->oom = 1;
		return;
	}
	for (i = 0; i < c->n_method; i++) {
		if ((m = xmlNewChild(code, NULL, CAP_X("method"), NULL)) == NULL) {
			w->oom = 1;
			return;
		}
		el(w, m, "methodName", c->method[i]->name);
		el(w, m, "message", c->method[i]->message);
		el(w, m, "audienceGrp", c->method[i]->audience_grp);
		el(w, m, "audenceprt", c->method[i]->audience_prt);
	}
}

/* An imported warning: its cap, in either profile. */
static void
write_cap(struct wr *w, xmlNode *root)
{
	const Fenghuo__Body *b = w->body;
	const Fenghuo__Cap *c = b->warning->cap;
	int cn = w->profile == CAP_PROFILE_CN;
	size_t i;

	el(w, root, "identifier", c->identifier);
	el(w, root, "sender", c->sender);
	if (cn)
		el(w, root, "senderCode", c->sender_code);
	el_time(w, root, cn ? "sendTime" : "sent", c->sent);
	el(w, root, "status", cap_status_name(b->has_status ? (int)b->status :
	    FENGHUO__STATUS__ACTUAL));
	el(w, root, "msgType", cap_msgtype_name(b->warning->msg_type));
	el(w, root, "source", c->source);
	el(w, root, "scope", w->same || (cn && c->scope != NULL) || one_of(c->scope, scopes) ?
	    c->scope : "Public");
	el(w, root, "restriction", c->restriction);
	el(w, root, "addresses", c->addresses);
	if (cn) {
		write_methods(w, root, c);
		el(w, root, "secClassification", c->sec_classification);
	} else {
		for (i = 0; i < c->n_code; i++)
			el(w, root, "code", c->code[i]);
	}
	if (w->same)
		el(w, root, "note", c->note);
	else
		el_nonempty(w, root, "note", c->note);
	el(w, root, "references", c->references);
	el(w, root, "incidents", c->incidents);
	for (i = 0; i < c->n_info; i++)
		write_info(w, root, c->info[i], i == 0);
}

/* A warning made in fenghuo: from its own fields. */
static void
write_native(struct wr *w, xmlNode *root, const uint8_t id[WIRE_ID_BYTES])
{
	const Fenghuo__Body *b = w->body;
	const Fenghuo__Warning *wa = b->warning;
	int cn = w->profile == CAP_PROFILE_CN;
	char hex[2 * WIRE_ID_BYTES + 1], sender[2 * WIRE_KEY_BYTES + 9], *refs, *list;
	xmlNode *info, *area;
	size_t i;

	for (i = 0; i < WIRE_ID_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	strcpy(sender, "fenghuo:");
	for (i = 0; i < b->author.len && i < WIRE_KEY_BYTES; i++)
		snprintf(sender + 8 + 2 * i, 3, "%02x", b->author.data[i]);
	el(w, root, "identifier", hex);
	el(w, root, "sender", sender);
	el_ms(w, root, cn ? "sendTime" : "sent", b->created_ms);
	el(w, root, "status", cap_status_name(b->has_status ? (int)b->status :
	    FENGHUO__STATUS__ACTUAL));
	el(w, root, "msgType", cap_msgtype_name(wa->msg_type));
	el(w, root, "scope", "Public");
	if (b->n_refs > 0) {
		/* sender,identifier,sent of each: fenghuo updates come from the same office. */
		if ((refs = malloc(b->n_refs * (sizeof(sender) + sizeof(hex) + 34))) == NULL) {
			w->oom = 1;
			return;
		}
		refs[0] = '\0';
		for (i = 0; i < b->n_refs; i++) {
			char rh[2 * WIRE_ID_BYTES + 1], t[32];
			size_t j;

			for (j = 0; j < WIRE_ID_BYTES && j < b->refs[i].len; j++)
				snprintf(rh + 2 * j, 3, "%02x", b->refs[i].data[j]);
			cap_time_format(b->created_ms, CN_OFFSET_MIN, 'T', t);
			sprintf(refs + strlen(refs), "%s%s,%s,%s", i > 0 ? " " : "", sender, rh,
			    t);
		}
		el(w, root, "references", refs);
		free(refs);
	}
	if ((info = xmlNewChild(root, NULL, CAP_X("info"), NULL)) == NULL) {
		w->oom = 1;
		return;
	}
	el(w, info, "language", "zh-CN");
	if (!cn)
		el(w, info, "category", b->category != NULL && b->category[0] != '\0' ?
		    b->category : "Met");
	if (cn && cap_cn_event_code(b->event) != NULL)
		el(w, info, "eventType", cap_cn_event_code(b->event));
	else
		el(w, info, "event", b->event != NULL ? b->event : "");
	for (i = 0; i < wa->n_response_type; i++)
		el(w, info, "responseType", cap_response_name(wa->response_type[i]));
	el(w, info, "urgency", cap_urgency_name(wa->urgency));
	el(w, info, "severity", cn ? cap_level_colour(wa->level) :
	    cap_level_severity(wa->level));
	el(w, info, "certainty", cap_certainty_name(wa->certainty));
	if (wa->has_onset_ms && wa->onset_ms != 0)
		el_ms(w, info, "onset", wa->onset_ms);
	el_ms(w, info, "expires", b->expires_ms);
	el(w, info, "headline", b->title);
	el(w, info, "description", b->text);
	el(w, info, "instruction", wa->instruction);
	if (cn) {
		if ((area = xmlNewChild(info, NULL, CAP_X("area"), NULL)) == NULL) {
			w->oom = 1;
			return;
		}
		if ((list = area_list(w, 1)) != NULL) {
			el(w, area, "areaDesc", list);
			free(list);
		}
		if ((list = area_list(w, 0)) != NULL) {
			el(w, area, "geocode", list);
			free(list);
		}
		return;
	}
	for (i = 0; i < wa->n_area; i++) {
		const char *name = w->region_name != NULL ? w->region_name(w->arg, wa->area[i]) :
		    NULL;
		char code[13];

		if ((area = xmlNewChild(info, NULL, CAP_X("area"), NULL)) == NULL) {
			w->oom = 1;
			return;
		}
		el(w, area, "areaDesc", name != NULL ? name : wa->area[i]);
		pad12(wa->area[i], code);
		el_value(w, area, "geocode", "GB/T 35965.1", code);
	}
}

int
cap_render(const uint8_t id[WIRE_ID_BYTES], const Fenghuo__Body *body, int profile,
    cap_region_name_fn region_name, void *arg, char **xml, size_t *len, struct cap_err *err)
{
	struct wr w = { 0 };
	xmlDoc *doc;
	xmlNode *root;
	xmlNs *ns;
	xmlChar *mem = NULL;
	int size = 0;

	*xml = NULL;
	*len = 0;
	if (body == NULL || body->kind != FENGHUO__KIND__WARNING || body->warning == NULL) {
		cap_seterr(err, "not a warning: only warnings are CAP alerts");
		return CAP_EINVAL;
	}
	if (profile != CAP_PROFILE_OASIS && profile != CAP_PROFILE_CN) {
		cap_seterr(err, "unknown profile %d", profile);
		return CAP_EINVAL;
	}
	w.profile = profile;
	w.body = body;
	w.region_name = region_name;
	w.arg = arg;
	if (body->warning->cap != NULL) {
		w.cn_in = body->warning->cap->has_profile &&
		    body->warning->cap->profile == CAP_PROFILE_CN;
		w.same = w.cn_in == (profile == CAP_PROFILE_CN);
	}
	if ((doc = xmlNewDoc(CAP_X("1.0"))) == NULL ||
	    (root = xmlNewDocNode(doc, NULL, CAP_X("alert"), NULL)) == NULL)
		goto nomem;
	xmlDocSetRootElement(doc, root);
	if (profile == CAP_PROFILE_OASIS) {
		if ((ns = xmlNewNs(root, CAP_X(CAP_NS), NULL)) == NULL)
			goto nomem;
		xmlSetNs(root, ns);
	}
	if (body->warning->cap != NULL)
		write_cap(&w, root);
	else
		write_native(&w, root, id);
	if (w.oom)
		goto nomem;
	xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
	if (mem == NULL || size < 0 || (*xml = malloc((size_t)size + 1)) == NULL)
		goto nomem;
	memcpy(*xml, mem, (size_t)size);
	(*xml)[size] = '\0';
	*len = (size_t)size;
	xmlFree(mem);
	xmlFreeDoc(doc);
	return CAP_OK;
nomem:
	if (mem != NULL)
		xmlFree(mem);
	if (doc != NULL)
		xmlFreeDoc(doc);
	cap_seterr(err, "out of memory");
	return CAP_ENOMEM;
}
