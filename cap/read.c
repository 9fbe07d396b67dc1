/*
 * read.c: a CAP alert from bytes to a Fenghuo__Cap, refusing what is hostile or foreign.
 *
 * The hardening is in the order of cost: the size limit and the UTF-8 check run on the raw
 * bytes, then any DOCTYPE or ENTITY declaration is refused before libxml2 sees the
 * document (a CAP alert needs neither, and they are how XXE and billion-laughs attacks
 * arrive), then libxml2 parses with the network off, no DTD loading, no entity
 * substitution and no XInclude processing. OASIS alerts are then validated against the
 * CAP 1.2 schema compiled into the library (cap_xsd.c), national ones by the walker below,
 * which knows that profile's elements.
 *
 * The Fenghuo__Cap is built with malloc only, so that protobuf-c's free_unpacked, which
 * frees with malloc's allocator by default, can release it whatever state it is in.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "crypto.h"
#include "cap.h"
#include "cap_int.h"

#define DSIG_NS		"http://www.w3.org/2000/09/xmldsig#"

struct rd {
	int		 profile;
	const xmlChar	*ns;		/* the alert's namespace, NULL for the national profile */
	struct cap_err	*err;
	int		 rc;
	int		 signatures;
};

void
cap_seterr(struct cap_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

static int
fail(struct rd *r, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct rd *r, int rc, const char *fmt, ...)
{
	va_list ap;

	if (r->rc != CAP_OK)
		return r->rc;
	va_start(ap, fmt);
	vsnprintf(r->err->msg, sizeof(r->err->msg), fmt, ap);
	va_end(ap);
	r->rc = rc;
	return rc;
}

int
cap_push(void *arrp, size_t *n, void *item)
{
	void ***arr = arrp;
	void **a;

	if (*n >= WIRE_CAP_ITEMS_MAX)
		return -1;
	if ((a = realloc(*arr, (*n + 1) * sizeof(*a))) == NULL)
		return -1;
	a[(*n)++] = item;
	*arr = a;
	return 0;
}

/* 1 if n is an element of the alert's namespace named name. */
static int
is(const xmlNode *n, const char *name)
{
	return strcmp((const char *)n->name, name) == 0;
}

/* The text of the leaf element n into *dst (malloc'd). Twice, or with children: refused. */
static int
leaf(struct rd *r, const xmlNode *n, char **dst)
{
	const xmlNode *c;
	xmlChar *t;
	size_t len;

	if (*dst != NULL)
		return fail(r, CAP_ESCHEMA, "<%s> is given twice in one <%s>", n->name,
		    n->parent->name);
	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return fail(r, CAP_ESCHEMA, "<%s> holds an element (<%s>), not text",
			    n->name, c->name);
	if ((t = xmlNodeGetContent(n)) == NULL) {
		*dst = strdup("");
	} else {
		len = strlen((const char *)t);
		if (len > WIRE_CAP_STRING_MAX) {
			xmlFree(t);
			return fail(r, CAP_EUNSUPPORTED, "<%s> is %zu bytes long; fenghuo carries at "
			    "most %d", n->name, len, WIRE_CAP_STRING_MAX);
		}
		*dst = strdup((const char *)t);
		xmlFree(t);
	}
	return *dst == NULL ? fail(r, CAP_ENOMEM, "out of memory") : CAP_OK;
}

/* A repeated leaf: appended to *arr. */
static int
leaf_push(struct rd *r, const xmlNode *n, char ***arr, size_t *cnt)
{
	char *s = NULL;

	if (leaf(r, n, &s) != CAP_OK)
		return r->rc;
	if (cap_push(arr, cnt, s) == -1) {
		free(s);
		return fail(r, CAP_EUNSUPPORTED, "more than %d <%s> in one <%s>",
		    WIRE_CAP_ITEMS_MAX, n->name, n->parent->name);
	}
	return CAP_OK;
}

/* Whether an element child of an alert part is one to read (others: signatures). */
static int
mine(struct rd *r, const xmlNode *c)
{
	const xmlChar *ns = c->ns != NULL ? c->ns->href : NULL;

	if (c->type != XML_ELEMENT_NODE)
		return 0;
	if (ns != NULL && xmlStrEqual(ns, CAP_X(DSIG_NS)) && is(c, "Signature") &&
	    c->parent != NULL && c->parent->parent != NULL &&
	    c->parent->parent->type == XML_DOCUMENT_NODE) {
		r->signatures++;
		return 0;
	}
	if ((ns == NULL) != (r->ns == NULL) || (ns != NULL && !xmlStrEqual(ns, r->ns))) {
		fail(r, CAP_ESCHEMA, "<%s> in <%s> is of another namespace (%s)", c->name,
		    c->parent->name, ns != NULL ? (const char *)ns : "none");
		return 0;
	}
	return 1;
}

static int
unknown(struct rd *r, const xmlNode *c)
{
	return fail(r, CAP_ESCHEMA, "<%s> in <%s> is not an element of %s", c->name,
	    c->parent->name, r->profile == CAP_PROFILE_CN ? "the national profile (GB/T "
	    "35965.1) as fenghuo reads it" : "CAP 1.2");
}

static int
has_elements(const xmlNode *n)
{
	const xmlNode *c;

	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return 1;
	return 0;
}

/* <eventCode>, <parameter>, <geocode> of OASIS: <valueName> then <value>. */
static int
read_value(struct rd *r, const xmlNode *n, Fenghuo__CapValue ***arr, size_t *cnt)
{
	Fenghuo__CapValue *v;
	const xmlNode *c;

	if ((v = malloc(sizeof(*v))) == NULL)
		return fail(r, CAP_ENOMEM, "out of memory");
	fenghuo__cap_value__init(v);
	if (cap_push(arr, cnt, v) == -1) {
		free(v);
		return fail(r, CAP_EUNSUPPORTED, "more than %d <%s> in one <%s>",
		    WIRE_CAP_ITEMS_MAX, n->name, n->parent->name);
	}
	/* A national geocode is the bare list of codes (or, in some alerts, a pair). */
	if (r->profile == CAP_PROFILE_CN && is(n, "geocode") && !has_elements(n))
		return leaf(r, n, &v->value);
	for (c = n->children; c != NULL && r->rc == CAP_OK; c = c->next) {
		if (!mine(r, c))
			continue;
		if (is(c, "valueName"))
			leaf(r, c, &v->name);
		else if (is(c, "value"))
			leaf(r, c, &v->value);
		else
			unknown(r, c);
	}
	if (r->rc == CAP_OK && (v->name == NULL || v->value == NULL))
		fail(r, CAP_ESCHEMA, "<%s> needs <valueName> and <value>", n->name);
	return r->rc;
}

static int
read_resource(struct rd *r, const xmlNode *n, Fenghuo__CapInfo *in)
{
	Fenghuo__CapResource *res;
	const xmlNode *c;

	if ((res = malloc(sizeof(*res))) == NULL)
		return fail(r, CAP_ENOMEM, "out of memory");
	fenghuo__cap_resource__init(res);
	if (cap_push(&in->resource, &in->n_resource, res) == -1) {
		free(res);
		return fail(r, CAP_EUNSUPPORTED, "more than %d <resource>", WIRE_CAP_ITEMS_MAX);
	}
	for (c = n->children; c != NULL && r->rc == CAP_OK; c = c->next) {
		if (!mine(r, c))
			continue;
		if (is(c, "resourceDesc"))
			leaf(r, c, &res->desc);
		else if (is(c, "mimeType"))
			leaf(r, c, &res->mime_type);
		else if (is(c, "size"))
			leaf(r, c, &res->size);
		else if (is(c, "uri"))
			leaf(r, c, &res->uri);
		else if (is(c, "digest"))
			leaf(r, c, &res->digest);
		else if (is(c, "derefUri"))
			fail(r, CAP_EUNSUPPORTED, "<resource> holds its content (<derefUri>): "
			    "fenghuo carries resource metadata only; publish the content at a "
			    "<uri> instead");
		else
			unknown(r, c);
	}
	return r->rc;
}

static int
read_area(struct rd *r, const xmlNode *n, Fenghuo__CapInfo *in)
{
	Fenghuo__CapArea *a;
	const xmlNode *c;

	if ((a = malloc(sizeof(*a))) == NULL)
		return fail(r, CAP_ENOMEM, "out of memory");
	fenghuo__cap_area__init(a);
	if (cap_push(&in->area, &in->n_area, a) == -1) {
		free(a);
		return fail(r, CAP_EUNSUPPORTED, "more than %d <area>", WIRE_CAP_ITEMS_MAX);
	}
	for (c = n->children; c != NULL && r->rc == CAP_OK; c = c->next) {
		if (!mine(r, c))
			continue;
		if (is(c, "areaDesc"))
			leaf(r, c, &a->desc);
		else if (is(c, "polygon"))
			leaf_push(r, c, &a->polygon, &a->n_polygon);
		else if (is(c, "circle"))
			leaf_push(r, c, &a->circle, &a->n_circle);
		else if (is(c, "geocode"))
			read_value(r, c, &a->geocode, &a->n_geocode);
		else if (is(c, "altitude"))
			leaf(r, c, &a->altitude);
		else if (is(c, "ceiling"))
			leaf(r, c, &a->ceiling);
		else
			unknown(r, c);
	}
	return r->rc;
}

static int
read_info(struct rd *r, const xmlNode *n, Fenghuo__Cap *cap)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} leaves[] = {
#define L(n, f) { n, offsetof(Fenghuo__CapInfo, f) }
		L("language", language), L("event", event), L("eventType", event_type),
		L("urgency", urgency), L("severity", severity), L("certainty", certainty),
		L("audience", audience), L("effective", effective), L("onset", onset),
		L("expires", expires), L("senderName", sender_name), L("headline", headline),
		L("description", description), L("instruction", instruction), L("web", web),
		L("contact", contact),
#undef L
	};
	Fenghuo__CapInfo *in;
	const xmlNode *c;
	size_t i;

	if ((in = malloc(sizeof(*in))) == NULL)
		return fail(r, CAP_ENOMEM, "out of memory");
	fenghuo__cap_info__init(in);
	if (cap_push(&cap->info, &cap->n_info, in) == -1) {
		free(in);
		return fail(r, CAP_EUNSUPPORTED, "more than %d <info>", WIRE_CAP_ITEMS_MAX);
	}
	for (c = n->children; c != NULL && r->rc == CAP_OK; c = c->next) {
		if (!mine(r, c))
			continue;
		for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
			if (is(c, leaves[i].name))
				break;
		if (i < sizeof(leaves) / sizeof(leaves[0]))
			leaf(r, c, (char **)(void *)((char *)in + leaves[i].off));
		else if (is(c, "category"))
			leaf_push(r, c, &in->category, &in->n_category);
		else if (is(c, "responseType"))
			leaf_push(r, c, &in->response_type, &in->n_response_type);
		else if (is(c, "eventCode"))
			read_value(r, c, &in->event_code, &in->n_event_code);
		else if (is(c, "parameter"))
			read_value(r, c, &in->parameter, &in->n_parameter);
		else if (is(c, "resource"))
			read_resource(r, c, in);
		else if (is(c, "area"))
			read_area(r, c, in);
		else
			unknown(r, c);
	}
	if (r->rc != CAP_OK)
		return r->rc;
	/* What the schema checks for OASIS, checked here for the national profile. */
	if (in->urgency == NULL || in->severity == NULL || in->certainty == NULL)
		return fail(r, CAP_ESCHEMA, "an <info> lacks <urgency>, <severity> or <certainty>");
	if (in->event == NULL && in->event_type == NULL)
		return fail(r, CAP_ESCHEMA, "an <info> lacks <event> (or, national profile, "
		    "<eventType>)");
	return CAP_OK;
}

/* <code> of the national profile: its <method> blocks. */
static int
read_cn_code(struct rd *r, const xmlNode *n, Fenghuo__Cap *cap)
{
	Fenghuo__CapMethod *m;
	const xmlNode *c, *d;

	for (c = n->children; c != NULL && r->rc == CAP_OK; c = c->next) {
		if (!mine(r, c))
			continue;
		if (!is(c, "method")) {
			unknown(r, c);
			break;
		}
		if ((m = malloc(sizeof(*m))) == NULL)
			return fail(r, CAP_ENOMEM, "out of memory");
		fenghuo__cap_method__init(m);
		if (cap_push(&cap->method, &cap->n_method, m) == -1) {
			free(m);
			return fail(r, CAP_EUNSUPPORTED, "more than %d <method>",
			    WIRE_CAP_ITEMS_MAX);
		}
		for (d = c->children; d != NULL && r->rc == CAP_OK; d = d->next) {
			if (!mine(r, d))
				continue;
			if (is(d, "methodName"))
				leaf(r, d, &m->name);
			else if (is(d, "message"))
				leaf(r, d, &m->message);
			else if (is(d, "audienceGrp"))
				leaf(r, d, &m->audience_grp);
			else if (is(d, "audenceprt"))
				leaf(r, d, &m->audience_prt);
			else
				unknown(r, d);
		}
	}
	if (r->rc == CAP_OK && cap->n_method == 0)
		fail(r, CAP_EUNSUPPORTED, "a national-profile <code> without <method> is not "
		    "carried");
	return r->rc;
}

static int
read_alert(struct rd *r, const xmlNode *root, struct cap_doc *doc)
{
	static const struct {
		const char	*name;
		size_t		 off;
		int		 cn;	/* 1 national only, -1 OASIS only, 0 both */
	} leaves[] = {
#define L(n, f, p) { n, offsetof(Fenghuo__Cap, f), p }
		L("identifier", identifier, 0), L("sender", sender, 0),
		L("senderCode", sender_code, 1), L("sent", sent, -1), L("sendTime", sent, 1),
		L("source", source, 0), L("scope", scope, 0), L("restriction", restriction, 0),
		L("addresses", addresses, 0), L("secClassification", sec_classification, 1),
		L("note", note, 0), L("references", references, 0), L("incidents", incidents, 0),
#undef L
	};
	Fenghuo__Cap *cap = doc->cap;
	char *status = NULL, *msgtype = NULL;
	const xmlNode *c;
	size_t i;
	int cn = r->profile == CAP_PROFILE_CN;

	for (c = root->children; c != NULL && r->rc == CAP_OK; c = c->next) {
		if (!mine(r, c))
			continue;
		for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
			if (is(c, leaves[i].name) && (leaves[i].cn == 0 ||
			    leaves[i].cn == (cn ? 1 : -1)))
				break;
		if (i < sizeof(leaves) / sizeof(leaves[0]))
			leaf(r, c, (char **)(void *)((char *)cap + leaves[i].off));
		else if (is(c, "status"))
			leaf(r, c, &status);
		else if (is(c, "msgType"))
			leaf(r, c, &msgtype);
		else if (is(c, "code") && cn)
			read_cn_code(r, c, cap);
		else if (is(c, "code"))
			leaf_push(r, c, &cap->code, &cap->n_code);
		else if (is(c, "info"))
			read_info(r, c, cap);
		else
			unknown(r, c);
	}
	if (r->rc == CAP_OK) {
		if (cap->identifier == NULL || cap->identifier[0] == '\0' || cap->sender == NULL ||
		    cap->sender[0] == '\0' || cap->sent == NULL || status == NULL ||
		    msgtype == NULL)
			fail(r, CAP_ESCHEMA, "the alert lacks <identifier>, <sender>, <%s>, "
			    "<status> or <msgType>", cn ? "sendTime" : "sent");
		else if (cap_time_parse(cap->sent, NULL, NULL) != 0)
			fail(r, CAP_ESCHEMA, "<%s>%s</%s> is not a time like %s", cn ? "sendTime" :
			    "sent", cap->sent, cn ? "sendTime" : "sent", cn ?
			    "2020-02-05 10:45:00+08:00" : "2003-06-11T20:56:00-07:00");
		else if ((doc->status = cap_status_parse(status)) <= 0)
			fail(r, CAP_ESCHEMA, "<status>%s</status>: not Actual, Exercise, System, "
			    "Test or Draft", status);
		else if ((doc->msg_type = cap_msgtype_parse(msgtype)) <= 0)
			fail(r, CAP_EUNSUPPORTED, "<msgType>%s</msgType>: fenghuo carries Alert, "
			    "Update and Cancel (an Ack or Error is not a warning)", msgtype);
	}
	free(status);
	free(msgtype);
	return r->rc;
}

/* Schema errors: the first one, with its line. */
static void
schema_error(void *arg, xmlErrorPtr e)
{
	struct rd *r = arg;
	char msg[200];
	size_t n;

	snprintf(msg, sizeof(msg), "%s", e->message != NULL ? e->message : "invalid");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	fail(r, CAP_ESCHEMA, "not valid CAP 1.2 (line %d): %s", e->line, msg);
}

static int
validate_oasis(struct rd *r, xmlDoc *xdoc)
{
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr schema = NULL;
	xmlSchemaValidCtxtPtr vc = NULL;
	int v;

	if ((pc = xmlSchemaNewMemParserCtxt((const char *)cap_xsd, (int)cap_xsd_len)) == NULL)
		return fail(r, CAP_ENOMEM, "out of memory");
	schema = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	if (schema == NULL)
		return fail(r, CAP_ENOMEM, "cannot load the built-in CAP 1.2 schema");
	if ((vc = xmlSchemaNewValidCtxt(schema)) == NULL) {
		xmlSchemaFree(schema);
		return fail(r, CAP_ENOMEM, "out of memory");
	}
	xmlSchemaSetValidStructuredErrors(vc, schema_error, r);
	v = xmlSchemaValidateDoc(vc, xdoc);
	xmlSchemaFreeValidCtxt(vc);
	xmlSchemaFree(schema);
	if (v != 0)
		fail(r, CAP_ESCHEMA, "not valid CAP 1.2");
	return r->rc;
}

/* The first "<!" declaration of a DTD in buf, or NULL. */
static const char *
find_decl(const char *buf, size_t len)
{
	static const char *const decls[] = { "<!DOCTYPE", "<!ENTITY" };
	size_t i, j, k;

	for (i = 0; i + 2 < len; i++) {
		if (buf[i] != '<' || buf[i + 1] != '!')
			continue;
		for (j = 0; j < sizeof(decls) / sizeof(decls[0]); j++) {
			k = strlen(decls[j]);
			if (len - i >= k && memcmp(buf + i, decls[j], k) == 0)
				return decls[j];
		}
	}
	return NULL;
}

/* libxml2 must not print: errors come back through the parser context. */
static void
quiet(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

int
cap_read(const void *xml, size_t len, struct cap_doc *doc, struct cap_err *err)
{
	struct rd r = { 0 };
	xmlParserCtxtPtr ctxt = NULL;
	xmlDoc *xdoc = NULL;
	const xmlNode *root;
	const xmlError *xe;
	const char *decl;

	memset(doc, 0, sizeof(*doc));
	r.err = err;
	if (len > CAP_XML_MAX)
		return fail(&r, CAP_ETOOBIG, "the alert is larger than %d bytes (%zu); no CAP "
		    "alert is that large", CAP_XML_MAX, len);
	if (!fc_utf8_valid(xml, len))
		return fail(&r, CAP_EUTF8, "the alert is not valid UTF-8 (or holds a NUL byte); "
		    "fenghuo reads CAP in UTF-8 only");
	if ((decl = find_decl(xml, len)) != NULL)
		return fail(&r, CAP_EDTD, "the alert holds a %s> declaration: refused, as CAP "
		    "needs none and it is how entity attacks (XXE, billion laughs) arrive", decl);

	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, quiet);
	if ((ctxt = xmlNewParserCtxt()) == NULL)
		return fail(&r, CAP_ENOMEM, "out of memory");
	/*
	 * No XML_PARSE_NOENT (entity substitution), DTDLOAD, DTDATTR, XINCLUDE or HUGE; NONET
	 * for good measure. The encoding is forced: the bytes were checked as UTF-8 above.
	 */
	xdoc = xmlCtxtReadMemory(ctxt, xml, (int)len, "alert.xml", "UTF-8",
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (xdoc == NULL) {
		xe = xmlCtxtGetLastError(ctxt);
		fail(&r, CAP_ESYNTAX, "not well-formed XML (line %d): %s", xe != NULL ? xe->line :
		    0, xe != NULL && xe->message != NULL ? xe->message : "parse error");
		/* libxml2's messages end in a newline. */
		len = strlen(err->msg);
		while (len > 0 && err->msg[len - 1] == '\n')
			err->msg[--len] = '\0';
		goto out;
	}
	if (xdoc->intSubset != NULL || xdoc->extSubset != NULL) {
		fail(&r, CAP_EDTD, "the alert has a document type declaration: refused");
		goto out;
	}
	root = xmlDocGetRootElement(xdoc);
	if (root == NULL || !is(root, "alert")) {
		fail(&r, CAP_ESCHEMA, "the root element is <%s>, not <alert>", root != NULL ?
		    (const char *)root->name : "");
		goto out;
	}
	if (root->ns == NULL) {
		r.profile = CAP_PROFILE_CN;
	} else if (xmlStrEqual(root->ns->href, CAP_X(CAP_NS))) {
		r.profile = CAP_PROFILE_OASIS;
		r.ns = root->ns->href;
	} else {
		fail(&r, CAP_EUNSUPPORTED, "<alert> of namespace %s: fenghuo reads CAP 1.2 (%s) "
		    "and the national profile (no namespace)", root->ns->href, CAP_NS);
		goto out;
	}
	if (r.profile == CAP_PROFILE_OASIS && validate_oasis(&r, xdoc) != CAP_OK)
		goto out;
	if ((doc->cap = malloc(sizeof(*doc->cap))) == NULL) {
		fail(&r, CAP_ENOMEM, "out of memory");
		goto out;
	}
	fenghuo__cap__init(doc->cap);
	if (r.profile == CAP_PROFILE_CN) {
		doc->cap->has_profile = 1;
		doc->cap->profile = CAP_PROFILE_CN;
	}
	read_alert(&r, root, doc);
	doc->signatures = r.signatures;
out:
	if (xdoc != NULL)
		xmlFreeDoc(xdoc);
	xmlFreeParserCtxt(ctxt);
	if (r.rc != CAP_OK)
		cap_doc_clear(doc);
	return r.rc;
}

void
cap_doc_clear(struct cap_doc *doc)
{
	if (doc == NULL)
		return;
	if (doc->cap != NULL)
		fenghuo__cap__free_unpacked(doc->cap, NULL);
	memset(doc, 0, sizeof(*doc));
}
