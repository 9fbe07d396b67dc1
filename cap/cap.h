/*
 * cap.h: the one public header of cap/, CAP 1.2 and China's national profile of it
 * (GB/T 35965.1) in and out of fenghuo warnings (docs/CAP.md).
 *
 * In: cap_read() parses an alert with libxml2, hardened (no network, no DTD, no entities,
 * no XInclude, a size limit, UTF-8 only), validates OASIS alerts against the CAP 1.2 schema
 * built into the library and national-profile alerts against the elements that profile
 * has, and gives the alert as a Fenghuo__Cap (Warning.cap) plus its status and msgType.
 * cap_warning() turns that into the body of a warning, ready to sign.
 *
 * Out: cap_render() writes a stored warning (imported or not) as CAP XML of either
 * profile; cap_areas() gives the circles and polygons of a warning for maps.
 *
 * Like the other libraries, cap/ never logs and never exits: functions return CAP_OK (0)
 * or an error code, with a sentence for the operator in a struct cap_err.
 */
#ifndef FH_CAP_H
#define FH_CAP_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define CAP_XML_MAX	(1024 * 1024)	/* bytes of an alert cap_read() accepts */
#define CAP_NS		"urn:oasis:names:tc:emergency:cap:1.2"

enum cap_profile {
	CAP_PROFILE_OASIS = WIRE_CAP_PROFILE_OASIS,	/* OASIS CAP 1.2, its namespace */
	CAP_PROFILE_CN = WIRE_CAP_PROFILE_CN,		/* national profile, no namespace */
};

enum cap_error {
	CAP_OK = 0,
	CAP_ENOMEM,		/* out of memory */
	CAP_ETOOBIG,		/* input larger than CAP_XML_MAX */
	CAP_EUTF8,		/* not UTF-8, or a NUL byte */
	CAP_EDTD,		/* a DOCTYPE or ENTITY declaration (XXE, billion laughs) */
	CAP_ESYNTAX,		/* not well-formed XML */
	CAP_ESCHEMA,		/* not valid CAP 1.2 / not the national profile's shape */
	CAP_EUNSUPPORTED,	/* valid, but something fenghuo does not carry */
	CAP_EINVAL,		/* bad arguments: unknown profile, not a warning, ... */
};

/* What went wrong, in one sentence (NUL-terminated). */
struct cap_err {
	char		 msg[320];
};

/* A parsed alert. Release with cap_doc_clear(). */
struct cap_doc {
	Fenghuo__Cap	*cap;		/* owned; every element's text as given */
	int		 status;	/* Fenghuo__Status of <status> */
	int		 msg_type;	/* Fenghuo__MsgType of <msgType> */
	int		 signatures;	/* XML-DSig <Signature> elements left out */
};

/*
 * Parse and check the alert in xml[0..len) (a file's bytes; no NUL needed). CAP_OK and *doc
 * filled, or an error with err->msg set and *doc empty. Refuses, each with its own message:
 * more than CAP_XML_MAX bytes, bytes that are not UTF-8, any DOCTYPE or ENTITY declaration,
 * malformed XML, an OASIS alert the schema refuses, a national alert with an element the
 * profile does not have, msgType Ack or Error, and <resource><derefUri> (inline content).
 * Nothing is fetched: no network, no file, whatever the document says.
 */
int		 cap_read(const void *xml, size_t len, struct cap_doc *doc, struct cap_err *err);
void		 cap_doc_clear(struct cap_doc *doc);

/* How an imported alert becomes a warning (the CLI's options). */
struct cap_opts {
	char *const	*areas;		/* region prefixes overriding the geocodes, or NULL */
	size_t		 n_areas;
	int		 level;		/* Fenghuo__Level overriding the severities, or 0 */
	uint64_t	 now_ms;	/* the signer's clock */
	uint64_t	 expires_ms;	/* fenghuo's expiry if the alert gives none, or 0 */
};

#define CAP_AREAS_MAX	64	/* region prefixes of one warning */

/*
 * The body of a warning (kind, region, title, text, event, category, status, expiry and the
 * Warning with its areas, level, CAP enums and cap) made from doc, which it takes Warning.cap
 * from (doc->cap becomes NULL; after a failure it may have too: clear doc either way). Refs,
 * author and times of signing are the caller's.
 * Release with cap_warning_clear(). CAP_OK, or an error in err: no area (no 12-digit
 * geocode and none given), no severity fenghuo can level, an alert that has expired.
 */
struct cap_warning {
	Fenghuo__Body	 body;
	Fenghuo__Warning warning;
	char		*areas[CAP_AREAS_MAX];
	Fenghuo__ResponseType responses[16];
	char		*title, *event;		/* owned when not from the cap */
};
int		 cap_warning(struct cap_doc *doc, const struct cap_opts *o, struct cap_warning *out,
		    struct cap_err *err);
void		 cap_warning_clear(struct cap_warning *w);

/*
 * The alerts that cap's <references> names, as (sender, identifier) pairs: OASIS writes
 * "sender,identifier,sent" separated by spaces, the national profile bare identifiers
 * (sender NULL). *out (caller frees with cap_refs_free) has *n entries.
 */
struct cap_ref {
	char		*sender;	/* NULL: any sender */
	char		*identifier;
};
int		 cap_refs(const Fenghuo__Cap *cap, struct cap_ref **out, size_t *n);
void		 cap_refs_free(struct cap_ref *refs, size_t n);
/* 1 if body is a warning imported from the alert ref names, else 0. */
int		 cap_ref_matches(const Fenghuo__Body *body, const struct cap_ref *ref);

/*
 * Write the warning (id, body: a validated WARNING) as CAP XML of profile into *xml
 * (malloc'd, NUL-terminated, *len bytes without the NUL; caller frees). An imported warning
 * in its own profile comes out element for element as it came in (less XML signatures); in
 * the other profile, or a warning not imported, its values are converted (docs/CAP.md).
 * region_name (may be NULL) names a region code for <areaDesc>; arg is passed to it.
 * CAP_OK, CAP_EINVAL (not a warning, unknown profile) or CAP_ENOMEM.
 */
typedef const char *(*cap_region_name_fn)(void *arg, const char *code);
int		 cap_render(const uint8_t id[WIRE_ID_BYTES], const Fenghuo__Body *body,
		    int profile, cap_region_name_fn region_name, void *arg, char **xml,
		    size_t *len, struct cap_err *err);
/* "oasis" or "cn" to enum cap_profile; -1 if neither. */
int		 cap_profile_parse(const char *name);

/* The shapes of a warning's CAP areas, in WGS-84 degrees, for maps (GeoJSON). */
struct cap_point {
	double		 lat, lon;
};
struct cap_shape {
	int		 circle;	/* 1: a circle (points[0], radius_km); 0: a polygon */
	double		 radius_km;
	struct cap_point *points;	/* owned by the shape */
	size_t		 n_points;
	const char	*area_desc;	/* points into the body; valid while it is */
};
/*
 * Every <polygon> and <circle> of every area of every info of body's Warning.cap, in order;
 * values that do not parse are skipped. *out (release with cap_shapes_free) has *n shapes,
 * none (and *out NULL) for a warning without them. CAP_OK or CAP_ENOMEM.
 */
int		 cap_areas(const Fenghuo__Body *body, struct cap_shape **out, size_t *n);
void		 cap_shapes_free(struct cap_shape *shapes, size_t n);

/*
 * The national profile's tables (cn.c). The region prefix of a 12-digit geocode (trailing
 * zero levels dropped: 330110109000 -> 330110109, 410000000000 -> 41) into buf (13 bytes);
 * -1 if code is not 6, 9 or 12 digits. The name of an <eventType> code ("11B03" -> 暴雨),
 * or NULL; the code of an event name, or NULL.
 */
int		 cap_cn_geocode_prefix(const char *code, size_t len, char buf[13]);
const char	*cap_cn_event_name(const char *code);
const char	*cap_cn_event_code(const char *name);

/*
 * A CAP time ("2003-06-11T20:56:00-07:00"; the national profile's
 * "2020-02-05 10:45:00+08:00") in ms since the epoch and its offset in minutes. 0, or -1.
 */
int		 cap_time_parse(const char *s, uint64_t *ms, int *offset_min);

#endif /* FH_CAP_H */
