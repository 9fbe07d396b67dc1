/*
 * cap_int.h: what the files of cap/ share and nobody else uses.
 */
#ifndef FH_CAP_INT_H
#define FH_CAP_INT_H

#include <stddef.h>

#include "cap.h"

/*
 * A C string as libxml2's xmlChar, keeping its const: libxml2's own BAD_CAST casts the const
 * away, which -Wcast-qual reports, and every call here takes a const xmlChar *.
 */
#define CAP_X(s)	((const unsigned char *)(s))

/* cap_xsd.c (generated at build time from data/cap/CAP-v1.2.xsd) */
extern const unsigned char	cap_xsd[];
extern const size_t		cap_xsd_len;

/* read.c */
void		 cap_seterr(struct cap_err *err, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* Append item to the malloc'd pointer array *arrp of *n items; -1 past WIRE_CAP_ITEMS_MAX. */
int		 cap_push(void *arrp, size_t *n, void *item);

/* cn.c */
/* CAP's status and msgType texts to Fenghuo__Status / Fenghuo__MsgType; 0 if unknown. */
int		 cap_status_parse(const char *s);
const char	*cap_status_name(int status);
int		 cap_msgtype_parse(const char *s);
const char	*cap_msgtype_name(int msg_type);
/* A CAP severity (OASIS word or national colour) to a Fenghuo__Level; 0 for Unknown. */
int		 cap_severity_level(const char *s);
/* OASIS severity word / national colour word of a Fenghuo__Level. */
const char	*cap_level_severity(int level);
const char	*cap_level_colour(int level);
/* OASIS words of the CAP enums fenghuo keeps as numbers. */
const char	*cap_urgency_name(int v);
const char	*cap_certainty_name(int v);
const char	*cap_response_name(int v);
int		 cap_urgency_parse(const char *s);
int		 cap_certainty_parse(const char *s);
int		 cap_response_parse(const char *s);
/* ms and an offset in minutes as "YYYY-MM-DDThh:mm:ss+hh:mm" (sep 'T') or with ' '. */
void		 cap_time_format(uint64_t ms, int offset_min, char sep, char buf[32]);

#endif /* FH_CAP_INT_H */
