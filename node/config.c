/*
 * config.c: fenghuod.conf, parsed with libinih into a fresh struct conf and validated whole.
 *
 * Every error is reported as "file:line: message" and parsing goes on, so one --check run
 * shows every mistake. Nothing is used until all of the file is valid (STYLE.md section 6).
 * The keys are documented in docs/CONFIG.md.
 *
 * inih (as packaged) does not pass line numbers to the handler, so we hand it our own reader
 * that counts lines: the handler for a line always runs right after the reader returned it.
 * The reader also checks each line's shape, so every syntax error is reported, not only the
 * first one inih would return.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "node.h"

#define LINE_MAX_LEN	1024	/* longer lines are an error */

/* Keys seen in [node], to report duplicates and missing ones. */
enum nkey { NK_NAME, NK_REGION, NK_KEY, NK_STATE, NK_SYNC, NK_LOG, NK_PUSH, NK_CONFIRM, NK_MAX };

struct parse {
	const char	*path;
	FILE		*fp;
	FILE		*errf;
	int		 nerr;
	int		 line;		/* line of the text the reader returned last */
	int		 next_line;	/* line the next chunk starts on */
	struct conf	*conf;
	int		 node_line;	/* line of [node], 0 if none */
	int		 nkey_line[NK_MAX];
	/* the section whose header was read last, by the reader */
	char		 section[LINE_MAX_LEN];
	int		 section_line;
	/* per peer: lines of address and key (parallel to conf->peers) */
	int		*peer_addr_line;
	int		*peer_key_line;
	int		 peer_bad;	/* the current [peer] section is a duplicate: skip keys */
	/* line of [trust], and of each of its keys (enum tkey) */
	int		 trust_line;
	int		 tkey_line[4];
	/* per [link NAME] (parallel to conf->links): the line of each key (enum lkey) */
	int		(*link_line)[8];
	int		 link_bad;	/* the current [link] section is a duplicate: skip keys */
};

/* Keys of [link NAME]. */
enum lkey { LK_TYPE, LK_KEY, LK_MTU, LK_BITRATE, LK_LOCAL, LK_REMOTE, LK_DEVICE, LK_BAUD,
	LK_MAX };
static const char *const lkey_names[LK_MAX] = { "type", "key", "mtu", "bitrate", "local",
	"remote", "device", "baud" };

static void
perr(struct parse *ps, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
perr(struct parse *ps, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(ps->errf, "%s:%d: ", ps->path, line);
	va_start(ap, fmt);
	vfprintf(ps->errf, fmt, ap);
	va_end(ap);
	fputc('\n', ps->errf);
	ps->nerr++;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * The fgets-style reader for ini_parse_stream: counts lines and checks that each one is
 * blank, a comment, a [section] or a name = value pair (or a continuation of one).
 */
static char *
reader(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	char buf[LINE_MAX_LEN + 2], scratch[LINE_MAX_LEN + 2], *s, *e;
	size_t len;

	for (;;) {
		if (fgets(buf, sizeof(buf), ps->fp) == NULL)
			return NULL;
		ps->line = ps->next_line++;
		len = strlen(buf);
		if (len > 0 && buf[len - 1] != '\n' && !feof(ps->fp)) {
			int c;

			perr(ps, ps->line, "line too long (more than %d bytes)", LINE_MAX_LEN);
			while ((c = fgetc(ps->fp)) != EOF && c != '\n')
				;
			continue;	/* skip it whole */
		}
		if ((int)len >= num) {
			perr(ps, ps->line, "line too long for the parser");
			continue;
		}
		memcpy(scratch, buf, len + 1);	/* inih gets buf untouched */
		s = trim(scratch);
		if (*s == '\0' || *s == ';' || *s == '#')
			break;
		if (*s == '[') {
			e = strchr(s, ']');
			if (e == NULL) {
				perr(ps, ps->line, "syntax error: section header without ']'");
				continue;
			}
			*e = '\0';
			snprintf(ps->section, sizeof(ps->section), "%s", trim(s + 1));
			ps->section_line = ps->line;
			break;
		}
		if (strchr(s, '=') == NULL && strchr(s, ':') == NULL &&
		    !isspace((unsigned char)buf[0])) {
			perr(ps, ps->line, "syntax error: expected 'name = value'");
			continue;
		}
		break;
	}
	/* Give inih the raw line (it trims itself). */
	memcpy(str, buf, len + 1);
	return str;
}

static int
name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > NODE_NAME_MAX || !fc_utf8_valid(s, len))
		return 0;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		/* Anything printable but blanks and brackets: names appear in logs and JSON. */
		if (c < 0x21 || c == 0x7f || c == '[' || c == ']' || c == '"' || c == '\\')
			return 0;
	}
	return 1;
}

static int
port_valid(const char *s)
{
	char *end;
	long v;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && v >= 1 && v <= 65535;
}

int
conf_endpoint_valid(const char *s, int bind)
{
	const char *host, *colon;
	size_t hlen, i;

	if (strlen(s) > NODE_ADDR_MAX)
		return 0;
	if (strncmp(s, "ipc://", 6) == 0) {
		/* sun_path holds 107 bytes and a NUL. */
		return s[6] != '\0' && strlen(s + 6) < 108;
	}
	if (strncmp(s, "tcp://", 6) != 0)
		return 0;
	host = s + 6;
	if (*host == '[') {
		const char *rb = strchr(host, ']');

		if (rb == NULL || rb == host + 1 || rb[1] != ':')
			return 0;
		for (i = 1; host + i < rb; i++)
			if (!isxdigit((unsigned char)host[i]) && host[i] != ':' && host[i] != '.')
				return 0;
		return port_valid(rb + 2);
	}
	colon = strrchr(host, ':');
	if (colon == NULL)
		return 0;
	hlen = (size_t)(colon - host);
	if (hlen == 0)
		return 0;
	if (hlen == 1 && host[0] == '*')
		return bind && port_valid(colon + 1);
	for (i = 0; i < hlen; i++) {
		unsigned char c = (unsigned char)host[i];

		if (!isalnum(c) && c != '.' && c != '-' && c != '_')
			return 0;
	}
	return port_valid(colon + 1);
}

static int
set_string(struct parse *ps, char **dst, const char *value, enum nkey k, const char *name)
{
	if (ps->nkey_line[k] != 0) {
		perr(ps, ps->line, "duplicate key '%s' (first at line %d)", name,
		    ps->nkey_line[k]);
		return 1;
	}
	ps->nkey_line[k] = ps->line;
	if (*value == '\0') {
		perr(ps, ps->line, "'%s' is empty", name);
		return 1;
	}
	free(*dst);
	if ((*dst = strdup(value)) == NULL)
		return 0;
	return 1;
}

static int
add_listen(struct parse *ps, const char *value)
{
	struct conf *c = ps->conf;
	char *copy, *tok, *save = NULL, **nl;
	int n = 0;

	if ((copy = strdup(value)) == NULL)
		return 0;
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *ep = trim(tok);
		size_t i;

		n++;
		if (!conf_endpoint_valid(ep, 1)) {
			perr(ps, ps->line, "listen: bad endpoint '%s' (want tcp://HOST:PORT or "
			    "ipc://PATH)", ep);
			continue;
		}
		for (i = 0; i < c->nlisten; i++)
			if (strcmp(c->listen[i], ep) == 0)
				break;
		if (i < c->nlisten) {
			perr(ps, ps->line, "listen: endpoint '%s' given twice", ep);
			continue;
		}
		nl = reallocarray(c->listen, c->nlisten + 1, sizeof(*nl));
		if (nl == NULL)
			goto err;
		c->listen = nl;
		if ((c->listen[c->nlisten] = strdup(ep)) == NULL)
			goto err;
		c->nlisten++;
	}
	if (n == 0)
		perr(ps, ps->line, "listen: no endpoint given");
	free(copy);
	return 1;
err:
	free(copy);
	return 0;
}

static int
node_key(struct parse *ps, const char *name, const char *value)
{
	struct conf *c = ps->conf;
	char *end;
	long v;

	if (strcmp(name, "name") == 0) {
		if (!set_string(ps, &c->name, value, NK_NAME, name))
			return 0;
		if (*value != '\0' && !name_valid(value))
			perr(ps, ps->line, "name: '%s' is not a valid name (1-%d printable "
			    "characters, no blanks, quotes or brackets)", value, NODE_NAME_MAX);
	} else if (strcmp(name, "region") == 0) {
		if (!set_string(ps, &c->region, value, NK_REGION, name))
			return 0;
		if (*value != '\0' && (!fc_region_valid(value) || strlen(value) < 6))
			perr(ps, ps->line, "region: '%s' is not a region code (6, 9 or 12 "
			    "digits)", value);
	} else if (strcmp(name, "key") == 0) {
		if (!set_string(ps, &c->keypath, value, NK_KEY, name))
			return 0;
	} else if (strcmp(name, "state") == 0) {
		if (!set_string(ps, &c->state, value, NK_STATE, name))
			return 0;
		/* The control socket's path must fit in sun_path. */
		if (strlen(value) + sizeof("/fenghuod.sock") > 108)
			perr(ps, ps->line, "state: path too long for the control socket "
			    "(at most %zu bytes)", 108 - sizeof("/fenghuod.sock"));
	} else if (strcmp(name, "listen") == 0) {
		return add_listen(ps, value);
	} else if (strcmp(name, "sync_interval") == 0) {
		if (ps->nkey_line[NK_SYNC] != 0) {
			perr(ps, ps->line, "duplicate key '%s' (first at line %d)", name,
			    ps->nkey_line[NK_SYNC]);
			return 1;
		}
		ps->nkey_line[NK_SYNC] = ps->line;
		errno = 0;
		v = strtol(value, &end, 10);
		if (*value == '\0' || !isdigit((unsigned char)*value) || *end != '\0' ||
		    errno != 0 || v < 1 || v > CONF_SYNC_MAX)
			perr(ps, ps->line, "sync_interval: '%s' is not a number of seconds "
			    "from 1 to %d", value, CONF_SYNC_MAX);
		else
			c->sync_interval = (unsigned)v;
	} else if (strcmp(name, "push") == 0) {
		if (ps->nkey_line[NK_PUSH] != 0) {
			perr(ps, ps->line, "duplicate key '%s' (first at line %d)", name,
			    ps->nkey_line[NK_PUSH]);
			return 1;
		}
		ps->nkey_line[NK_PUSH] = ps->line;
		if (strcmp(value, "eager") == 0)
			c->plumtree = 0;
		else if (strcmp(value, "plumtree") == 0)
			c->plumtree = 1;
		else
			perr(ps, ps->line, "push: '%s' is not one of eager, plumtree", value);
	} else if (strcmp(name, "confirm_warnings") == 0) {
		if (ps->nkey_line[NK_CONFIRM] != 0) {
			perr(ps, ps->line, "duplicate key '%s' (first at line %d)", name,
			    ps->nkey_line[NK_CONFIRM]);
			return 1;
		}
		ps->nkey_line[NK_CONFIRM] = ps->line;
		if (strcmp(value, "yes") == 0)
			c->confirm_warnings = 1;
		else if (strcmp(value, "no") == 0)
			c->confirm_warnings = 0;
		else
			perr(ps, ps->line, "confirm_warnings: '%s' is not one of yes, no", value);
	} else if (strcmp(name, "announce") == 0 || strcmp(name, "max_discovered") == 0 ||
	    strcmp(name, "reroute_after") == 0) {
		char pxerr[320];	/* px.c checks these */

		if (px_conf_node(c, name, value, pxerr, sizeof(pxerr)) != 0)
			perr(ps, ps->line, "%s", pxerr);
	} else if (strcmp(name, "log_level") == 0) {
		if (ps->nkey_line[NK_LOG] != 0) {
			perr(ps, ps->line, "duplicate key '%s' (first at line %d)", name,
			    ps->nkey_line[NK_LOG]);
			return 1;
		}
		ps->nkey_line[NK_LOG] = ps->line;
		if ((v = log_level_parse(value)) < 0)
			perr(ps, ps->line, "log_level: '%s' is not one of debug, info, warn, "
			    "error", value);
		else
			c->log_level = (int)v;
	} else {
		/* transport_key, allow */
		char err[160];
		int r = curve_conf_node(c, name, value, err, sizeof(err));

		if (r == CONF_KEY_ERROR)
			perr(ps, ps->line, "%s", err);
		else if (r == CONF_KEY_UNKNOWN)
			perr(ps, ps->line, "unknown key '%s' in [node]", name);
	}
	return 1;
}

/* Keys of [trust] (trust.c applies them). */
enum tkey { TK_ANCHORS, TK_OPEN, TK_HELD_MAX, TK_HELD_BYTES };

/* An unsigned number from 1 to max, or 0 after reporting why not. */
static uint64_t
trust_number(struct parse *ps, const char *name, const char *value, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(value, &end, 10);
	if (!isdigit((unsigned char)*value) || *end != '\0' || errno != 0 || v < 1 ||
	    v > max) {
		perr(ps, ps->line, "%s: '%s' is not a number from 1 to %llu", name, value,
		    (unsigned long long)max);
		return 0;
	}
	return v;
}

/* anchors = HEX[,HEX...]: county root public keys (docs/TRUST.md). */
static int
trust_anchors(struct parse *ps, const char *value)
{
	struct conf *c = ps->conf;
	uint8_t (*a)[FC_PUBLICKEYBYTES];
	char *copy, *tok, *save = NULL, *k;
	size_t i;

	if ((copy = strdup(value)) == NULL)
		return 0;
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		k = trim(tok);
		if ((a = reallocarray(c->anchors, c->nanchors + 1, sizeof(*a))) == NULL) {
			free(copy);
			return 0;
		}
		c->anchors = a;
		if (strlen(k) != 2 * FC_PUBLICKEYBYTES ||
		    fc_unhex(k, c->anchors[c->nanchors], FC_PUBLICKEYBYTES) != 0) {
			perr(ps, ps->line, "anchors: '%s' is not a public key (64 hex digits)", k);
			continue;
		}
		for (i = 0; i < c->nanchors; i++)
			if (memcmp(c->anchors[i], c->anchors[c->nanchors], FC_PUBLICKEYBYTES) == 0)
				break;
		if (i == c->nanchors)
			c->nanchors++;
	}
	if (c->nanchors == 0 && strspn(value, " \t,") == strlen(value))
		perr(ps, ps->line, "anchors: no key given");
	free(copy);
	return 1;
}

static int
trust_key(struct parse *ps, const char *name, const char *value)
{
	static const char *const names[] = { "anchors", "open", "held_max", "held_max_bytes" };
	struct conf *c = ps->conf;
	uint64_t v;
	size_t k;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (strcmp(name, names[k]) == 0)
			break;
	if (k == sizeof(names) / sizeof(names[0])) {
		perr(ps, ps->line, "unknown key '%s' in [trust]", name);
		return 1;
	}
	if (ps->tkey_line[k] != 0) {
		perr(ps, ps->line, "duplicate key '%s' (first at line %d)", name,
		    ps->tkey_line[k]);
		return 1;
	}
	ps->tkey_line[k] = ps->line;
	switch (k) {
	case TK_ANCHORS:
		return trust_anchors(ps, value);
	case TK_OPEN:
		if (strcmp(value, "yes") == 0)
			c->trust_open = 1;
		else if (strcmp(value, "no") == 0)
			c->trust_open = 0;
		else
			perr(ps, ps->line, "open: '%s' is not one of yes, no", value);
		break;
	case TK_HELD_MAX:
		if ((v = trust_number(ps, name, value, CONF_HELD_MAX_LIMIT)) != 0)
			c->held_max = (size_t)v;
		break;
	case TK_HELD_BYTES:
		if ((v = trust_number(ps, name, value, CONF_HELD_BYTES_LIMIT)) != 0)
			c->held_bytes = (size_t)v;
		break;
	}
	return 1;
}

/* Start a new [peer NAME] section: NULL name means a bad header (already reported). */
static int
peer_section(struct parse *ps, const char *name)
{
	struct conf *c = ps->conf;
	struct conf_peer *np;
	int *al, *kl;
	size_t i;

	ps->peer_bad = 0;
	for (i = 0; i < c->npeers; i++) {
		if (strcmp(c->peers[i].name, name) == 0) {
			perr(ps, ps->section_line, "duplicate peer '%s' (first at line %d)", name,
			    c->peers[i].line);
			ps->peer_bad = 1;
			return 1;
		}
	}
	if (!name_valid(name)) {
		perr(ps, ps->section_line, "peer name '%s' is not a valid name", name);
		ps->peer_bad = 1;
		return 1;
	}
	if ((np = reallocarray(c->peers, c->npeers + 1, sizeof(*np))) == NULL)
		return 0;
	c->peers = np;
	if ((al = reallocarray(ps->peer_addr_line, c->npeers + 1, sizeof(*al))) == NULL)
		return 0;
	ps->peer_addr_line = al;
	if ((kl = reallocarray(ps->peer_key_line, c->npeers + 1, sizeof(*kl))) == NULL)
		return 0;
	ps->peer_key_line = kl;
	memset(&c->peers[c->npeers], 0, sizeof(c->peers[0]));
	al[c->npeers] = kl[c->npeers] = 0;
	if ((c->peers[c->npeers].name = strdup(name)) == NULL)
		return 0;
	c->peers[c->npeers].line = ps->section_line;
	c->npeers++;
	return 1;
}

static int
peer_key(struct parse *ps, const char *name, const char *value)
{
	struct conf *c = ps->conf;
	struct conf_peer *p;
	size_t i = c->npeers - 1;

	if (ps->peer_bad)
		return 1;
	p = &c->peers[i];
	if (strcmp(name, "address") == 0) {
		if (ps->peer_addr_line[i] != 0) {
			perr(ps, ps->line, "duplicate key 'address' (first at line %d)",
			    ps->peer_addr_line[i]);
			return 1;
		}
		ps->peer_addr_line[i] = ps->line;
		if (!conf_endpoint_valid(value, 0)) {
			perr(ps, ps->line, "address: bad endpoint '%s' (want tcp://HOST:PORT or "
			    "ipc://PATH)", value);
			return 1;
		}
		if ((p->address = strdup(value)) == NULL)
			return 0;
	} else if (strcmp(name, "key") == 0) {
		if (ps->peer_key_line[i] != 0) {
			perr(ps, ps->line, "duplicate key 'key' (first at line %d)",
			    ps->peer_key_line[i]);
			return 1;
		}
		ps->peer_key_line[i] = ps->line;
		if (strlen(value) != 2 * FC_PUBLICKEYBYTES ||
		    fc_unhex(value, p->key, sizeof(p->key)) != 0) {
			perr(ps, ps->line, "key: not a public key (want %d hex digits)",
			    2 * FC_PUBLICKEYBYTES);
			ps->peer_key_line[i] = -ps->line;	/* seen, but invalid */
		}
	} else {
		/* transport */
		char err[160];
		int r = curve_conf_peer(p, name, value, err, sizeof(err));

		if (r == CONF_KEY_ERROR)
			perr(ps, ps->line, "%s", err);
		else if (r == CONF_KEY_UNKNOWN)
			perr(ps, ps->line, "unknown key '%s' in [peer %s]", name, p->name);
	}
	return 1;
}

/* Start a new [link NAME] section (stream.c; docs/CONFIG.md). */
static int
link_section(struct parse *ps, const char *name)
{
	struct conf *c = ps->conf;
	struct conf_link *nl;
	int (*ll)[LK_MAX];
	size_t i;

	ps->link_bad = 0;
	for (i = 0; i < c->nlinks; i++) {
		if (strcmp(c->links[i].name, name) == 0) {
			perr(ps, ps->section_line, "duplicate link '%s' (first at line %d)", name,
			    c->links[i].line);
			ps->link_bad = 1;
			return 1;
		}
	}
	if (!name_valid(name)) {
		perr(ps, ps->section_line, "link name '%s' is not a valid name", name);
		ps->link_bad = 1;
		return 1;
	}
	if (c->nlinks >= CONF_LINKS_MAX) {
		perr(ps, ps->section_line, "more than %d [link] sections", CONF_LINKS_MAX);
		ps->link_bad = 1;
		return 1;
	}
	if ((nl = reallocarray(c->links, c->nlinks + 1, sizeof(*nl))) == NULL)
		return 0;
	c->links = nl;
	if ((ll = reallocarray(ps->link_line, c->nlinks + 1, sizeof(*ll))) == NULL)
		return 0;
	ps->link_line = ll;
	memset(&c->links[c->nlinks], 0, sizeof(c->links[0]));
	memset(ll[c->nlinks], 0, sizeof(ll[0]));
	if ((c->links[c->nlinks].name = strdup(name)) == NULL)
		return 0;
	c->links[c->nlinks].line = ps->section_line;
	c->nlinks++;
	return 1;
}

/* An unsigned decimal from lo to hi into *out; 0 after reporting why not. */
static int
link_number(struct parse *ps, const char *name, const char *value, uint64_t lo, uint64_t hi,
    uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(value, &end, 10);
	if (!isdigit((unsigned char)*value) || *end != '\0' || errno != 0 || v < lo || v > hi) {
		perr(ps, ps->line, "%s: '%s' is not a number from %llu to %llu", name, value,
		    (unsigned long long)lo, (unsigned long long)hi);
		return 0;
	}
	*out = v;
	return 1;
}

static int
link_key(struct parse *ps, const char *name, const char *value)
{
	struct conf *c = ps->conf;
	struct conf_link *l;
	uint64_t v;
	size_t i = c->nlinks - 1;
	int k;

	if (ps->link_bad)
		return 1;
	l = &c->links[i];
	for (k = 0; k < LK_MAX; k++)
		if (strcmp(name, lkey_names[k]) == 0)
			break;
	if (k == LK_MAX) {
		perr(ps, ps->line, "unknown key '%s' in [link %s]", name, l->name);
		return 1;
	}
	if (ps->link_line[i][k] != 0) {
		perr(ps, ps->line, "duplicate key '%s' (first at line %d)", name,
		    ps->link_line[i][k] < 0 ? -ps->link_line[i][k] : ps->link_line[i][k]);
		return 1;
	}
	ps->link_line[i][k] = ps->line;
	switch (k) {
	case LK_TYPE:
		if (strcmp(value, "udp") == 0)
			l->type = STREAM_UDP;
		else if (strcmp(value, "serial") == 0)
			l->type = STREAM_SERIAL;
		else if (strcmp(value, "stdio") == 0)
			l->type = STREAM_STDIO;
		else {
			perr(ps, ps->line, "type: '%s' is not one of udp, serial, stdio", value);
			ps->link_line[i][k] = -ps->line;	/* seen, but invalid */
		}
		break;
	case LK_KEY:
		if (strlen(value) != 2 * FC_PUBLICKEYBYTES ||
		    fc_unhex(value, l->key, sizeof(l->key)) != 0) {
			perr(ps, ps->line, "key: not a public key (want %d hex digits)",
			    2 * FC_PUBLICKEYBYTES);
			ps->link_line[i][k] = -ps->line;
		}
		break;
	case LK_MTU:
		if (link_number(ps, name, value, STREAM_MTU_MIN, STREAM_MTU_MAX, &v))
			l->mtu = (size_t)v;
		break;
	case LK_BITRATE:
		if (link_number(ps, name, value, 0, 1000000000, &v)) {
			l->bitrate = v;
			l->bitrate_set = 1;
		}
		break;
	case LK_LOCAL:
	case LK_REMOTE:
		if (!stream_hostport_valid(value, k == LK_LOCAL)) {
			perr(ps, ps->line, "%s: '%s' is not HOST:PORT%s", name, value,
			    k == LK_LOCAL ? " (HOST may be *)" : "");
			break;
		}
		if ((*(k == LK_LOCAL ? &l->local : &l->remote) = strdup(value)) == NULL)
			return 0;
		break;
	case LK_DEVICE:
		if (value[0] != '/' || strlen(value) > NODE_ADDR_MAX) {
			perr(ps, ps->line, "device: '%s' is not an absolute path", value);
			break;
		}
		if ((l->device = strdup(value)) == NULL)
			return 0;
		break;
	case LK_BAUD:
		if (!link_number(ps, name, value, 1, 4000000, &v))
			break;
		if (!stream_baud_valid((unsigned)v))
			perr(ps, ps->line, "baud: %s is not a standard rate (1200, 2400, 4800, "
			    "9600, 19200, 38400, 57600, 115200, 230400)", value);
		else
			l->baud = (unsigned)v;
		break;
	}
	return 1;
}

/* After the file: required keys, keys of another type, defaults, duplicate keys. */
static void
link_finish(struct parse *ps)
{
	static const int only[LK_MAX] = { 0, 0, 0, 0, STREAM_UDP, STREAM_UDP, STREAM_SERIAL,
		STREAM_SERIAL };
	struct conf *c = ps->conf;
	struct conf_link *l;
	int stdio_line = 0, k, *ln;
	size_t i, j;

	for (i = 0; i < c->nlinks; i++) {
		l = &c->links[i];
		ln = ps->link_line[i];
		if (ln[LK_TYPE] == 0)
			perr(ps, l->line, "[link %s] is missing 'type' (udp, serial or stdio)",
			    l->name);
		if (ln[LK_KEY] == 0)
			perr(ps, l->line, "[link %s] is missing 'key' (the node key of the other "
			    "end)", l->name);
		if (l->type == 0)
			continue;
		for (k = 0; k < LK_MAX; k++)
			if (only[k] != 0 && only[k] != l->type && ln[k] != 0)
				perr(ps, ln[k] < 0 ? -ln[k] : ln[k], "'%s' is only for type = %s",
				    lkey_names[k], stream_kind_name(only[k]));
		if (l->type == STREAM_UDP) {
			if (ln[LK_LOCAL] == 0)
				perr(ps, l->line, "[link %s] is missing 'local' (HOST:PORT to bind)",
				    l->name);
			if (ln[LK_REMOTE] == 0)
				perr(ps, l->line, "[link %s] is missing 'remote' (HOST:PORT of the "
				    "other end)", l->name);
		}
		if (l->type == STREAM_SERIAL && ln[LK_DEVICE] == 0)
			perr(ps, l->line, "[link %s] is missing 'device'", l->name);
		if (l->type == STREAM_STDIO) {
			if (stdio_line != 0)
				perr(ps, l->line, "a second stdio link (the first at line %d)",
				    stdio_line);
			stdio_line = l->line;
		}
		/* Defaults: docs/CONFIG.md. */
		if (l->baud == 0)
			l->baud = CONF_LINK_BAUD;
		if (l->mtu == 0)
			l->mtu = l->type == STREAM_UDP ? CONF_LINK_MTU_UDP : CONF_LINK_MTU_SERIAL;
		if (!l->bitrate_set && l->type == STREAM_SERIAL)
			l->bitrate = (uint64_t)l->baud * 8 / 10;	/* 8N1: 10 bits a byte */
		if (ln[LK_KEY] <= 0)
			continue;
		for (j = 0; j < i; j++)
			if (ps->link_line[j][LK_KEY] > 0 &&
			    memcmp(c->links[j].key, l->key, FC_PUBLICKEYBYTES) == 0)
				perr(ps, ln[LK_KEY], "links '%s' and '%s' have the same key",
				    c->links[j].name, l->name);
		for (j = 0; j < c->npeers; j++)
			if (ps->peer_key_line[j] > 0 &&
			    memcmp(c->peers[j].key, l->key, FC_PUBLICKEYBYTES) == 0)
				perr(ps, ln[LK_KEY], "link '%s' and peer '%s' have the same key "
				    "(a node is reached by one kind of link)", l->name,
				    c->peers[j].name);
	}
}

/* inih handler: returns 0 only when out of memory (inih then reports the line). */
static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;

	/*
	 * A new section header shows up as a change of section name (inih calls us only for
	 * key lines); ps->section_line tells whether this line's section is a new one.
	 */
	if (strcmp(section, "node") == 0) {
		if (ps->node_line == 0)
			ps->node_line = ps->section_line;
		return node_key(ps, name, value);
	}
	if (strncmp(section, "peer", 4) == 0 && (section[4] == ' ' || section[4] == '\t' ||
	    section[4] == '\0'))
		return peer_key(ps, name, value);
	if (strcmp(section, "trust") == 0)
		return trust_key(ps, name, value);
	if (strncmp(section, "link", 4) == 0 && (section[4] == ' ' || section[4] == '\t' ||
	    section[4] == '\0'))
		return link_key(ps, name, value);
	if (strcmp(section, "limits") == 0) {
		char err[160];

		if (limits_conf(ps->conf, name, value, err, sizeof(err)) != CONF_KEY_OK)
			perr(ps, ps->line, "%s", err);
		return 1;
	}
	if (*section == '\0')
		perr(ps, ps->line, "'%s' outside any section", name);
	else
		perr(ps, ps->line, "unknown section [%s]", section);
	return 1;
}

/*
 * Sections are seen by the reader, not inih (which calls us only for keys), so the reader's
 * section header handling happens here: called after each reader line via a small wrapper.
 */
struct wrap {
	struct parse	*ps;
	char		 last[LINE_MAX_LEN];
	int		 last_line;
};

static char *
wrap_reader(char *str, int num, void *stream)
{
	struct wrap *w = stream;
	struct parse *ps = w->ps;
	char *r;

	r = reader(str, num, ps);
	if (r != NULL && ps->section_line != w->last_line) {
		/* A new section header was just read. */
		const char *sec = ps->section;

		w->last_line = ps->section_line;
		if (strcmp(sec, "node") == 0) {
			if (ps->node_line != 0)
				perr(ps, ps->section_line, "duplicate section [node] (first at "
				    "line %d)", ps->node_line);
			else
				ps->node_line = ps->section_line;
		} else if (strncmp(sec, "peer", 4) == 0 &&
		    (sec[4] == ' ' || sec[4] == '\t' || sec[4] == '\0')) {
			char name[LINE_MAX_LEN];

			snprintf(name, sizeof(name), "%s", sec + 4);
			if (*trim(name) == '\0') {
				perr(ps, ps->section_line, "[peer] needs a name: [peer NAME]");
				ps->peer_bad = 1;
			} else if (!peer_section(ps, trim(name))) {
				return NULL;	/* out of memory */
			}
		} else if (strncmp(sec, "link", 4) == 0 &&
		    (sec[4] == ' ' || sec[4] == '\t' || sec[4] == '\0')) {
			char name[LINE_MAX_LEN];

			snprintf(name, sizeof(name), "%s", sec + 4);
			if (*trim(name) == '\0') {
				perr(ps, ps->section_line, "[link] needs a name: [link NAME]");
				ps->link_bad = 1;
			} else if (!link_section(ps, trim(name))) {
				return NULL;	/* out of memory */
			}
		} else if (strcmp(sec, "trust") == 0) {
			if (ps->trust_line != 0)
				perr(ps, ps->section_line, "duplicate section [trust] (first at "
				    "line %d)", ps->trust_line);
			else
				ps->trust_line = ps->section_line;
		} else if (strcmp(sec, "limits") == 0) {
			/* keys may not repeat, so a second [limits] is harmless */
		} else {
			perr(ps, ps->section_line, "unknown section [%s]", sec);
		}
	}
	return r;
}

/* After the whole file: required keys and cross-checks. */
static void
finish(struct parse *ps)
{
	struct conf *c = ps->conf;
	size_t i, j;

	if (ps->node_line == 0) {
		perr(ps, ps->next_line > 1 ? ps->next_line - 1 : 1, "missing [node] section");
	} else {
		if (c->name == NULL && ps->nkey_line[NK_NAME] == 0)
			perr(ps, ps->node_line, "[node] is missing 'name'");
		if (c->region == NULL && ps->nkey_line[NK_REGION] == 0)
			perr(ps, ps->node_line, "[node] is missing 'region'");
		if (c->keypath == NULL && ps->nkey_line[NK_KEY] == 0)
			perr(ps, ps->node_line, "[node] is missing 'key'");
	}
	for (i = 0; i < c->npeers; i++) {
		if (ps->peer_addr_line[i] == 0)
			perr(ps, c->peers[i].line, "[peer %s] is missing 'address'",
			    c->peers[i].name);
		if (ps->peer_key_line[i] == 0)
			perr(ps, c->peers[i].line, "[peer %s] is missing 'key'",
			    c->peers[i].name);
		if (ps->peer_key_line[i] <= 0)
			continue;
		for (j = 0; j < i; j++) {
			if (ps->peer_key_line[j] > 0 &&
			    memcmp(c->peers[i].key, c->peers[j].key, FC_PUBLICKEYBYTES) == 0) {
				perr(ps, ps->peer_key_line[i], "peers '%s' and '%s' have the same "
				    "key", c->peers[j].name, c->peers[i].name);
				break;
			}
		}
	}
	link_finish(ps);
}

int
conf_load(const char *path, FILE *errf, struct conf **out)
{
	struct parse ps;
	struct wrap w;
	struct conf *c;
	int rc;

	*out = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.path = path;
	ps.errf = errf;
	ps.next_line = 1;
	if ((ps.fp = fopen(path, "r")) == NULL) {
		fprintf(errf, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto nomem;
	ps.conf = c;
	c->sync_interval = CONF_SYNC_DEFAULT;
	c->confirm_warnings = 1;
	c->log_level = LOG_LEVEL_INFO;
	c->held_max = CONF_HELD_MAX_DEFAULT;
	c->held_bytes = CONF_HELD_BYTES_DEFAULT;
	limits_conf_defaults(c);
	if ((c->path = strdup(path)) == NULL)
		goto nomem;

	memset(&w, 0, sizeof(w));
	w.ps = &ps;
	rc = ini_parse_stream(wrap_reader, &w, handler, &ps);
	if (rc == -2)
		goto nomem;
	if (ferror(ps.fp)) {
		fprintf(errf, "%s: read error\n", path);
		ps.nerr++;
	}
	if (rc > 0 && ps.nerr == 0) {
		/* inih saw something our reader let through. */
		perr(&ps, rc, "syntax error");
	}
	finish(&ps);
	if (c->state == NULL && (c->state = strdup(CONF_STATE_DEFAULT)) == NULL)
		goto nomem;

	fclose(ps.fp);
	free(ps.peer_addr_line);
	free(ps.peer_key_line);
	free(ps.link_line);
	if (ps.nerr > 0) {
		conf_free(&c);
		return ps.nerr;
	}
	*out = c;
	return 0;
nomem:
	fprintf(errf, "%s: out of memory\n", path);
	fclose(ps.fp);
	free(ps.peer_addr_line);
	free(ps.peer_key_line);
	free(ps.link_line);
	conf_free(&c);
	return ps.nerr + 1;
}

void
conf_free(struct conf **cp)
{
	struct conf *c;
	size_t i;

	if (cp == NULL || (c = *cp) == NULL)
		return;
	free(c->path);
	free(c->name);
	free(c->region);
	free(c->keypath);
	free(c->state);
	for (i = 0; i < c->nlisten; i++)
		free(c->listen[i]);
	free(c->listen);
	for (i = 0; i < c->npeers; i++) {
		free(c->peers[i].name);
		free(c->peers[i].address);
	}
	free(c->peers);
	for (i = 0; i < c->nlinks; i++) {
		free(c->links[i].name);
		free(c->links[i].local);
		free(c->links[i].remote);
		free(c->links[i].device);
	}
	free(c->links);
	px_conf_free(c);
	free(c->anchors);
	curve_conf_free(c);
	free(c);
	*cp = NULL;
}
