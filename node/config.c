/*
 * config.c: fenghuod.conf, parsed with libinih into a fresh struct conf and validated whole.
 *
 * One table says what the file may hold: the sections (sects[]) and, for each, its keys
 * (name, type, where the value goes, range, default, whether it is required or may repeat).
 * Every section header goes through section_begin() and every key through key_set(): those
 * two alone report unknown sections and keys and refuse duplicates. finish() checks what
 * the table marks required, and then what no table can say (keys that must differ between
 * sections, a link's defaults by its type). conf_free() walks the same table.
 *
 * Every error is reported as "file:line: message" and parsing goes on, so one --check run
 * shows every mistake. Nothing is used until all of the file is valid (STYLE.md section 6).
 * The keys are documented in docs/CONFIG.md.
 *
 * inih (as packaged) does not pass line numbers to the handler, so we hand it our own reader
 * that counts lines: the handler for a line always runs right after the reader returned it.
 * The reader also checks each line's shape, so every syntax error is reported, not only the
 * first one inih would return, and it starts each section as it reads its header.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "node.h"

#define LINE_MAX_LEN	1024	/* longer lines are an error */
#define KEYS_MAX	16	/* keys of one section, at most */

enum ktype {
	KT_STR,		/* a non-empty string (char *), then k->check */
	KT_UINT,	/* a decimal number from lo to hi (unsigned, k->size bytes), then k->check */
	KT_CHOICE,	/* one of k->choices (int) */
	KT_KEY,		/* k->size bytes in hex (uint8_t[]) */
	KT_KEYS,	/* a comma-separated list of those (uint8_t (*)[], count at k->cnt) */
	KT_ENDPOINTS,	/* a comma-separated list of endpoints (char **, count at k->cnt) */
};

#define K_REQUIRED	0x01
#define K_REPEAT	0x02	/* may be given more than once: the lists add up */
#define K_BIND		0x04	/* an endpoint or HOST:PORT to bind: HOST may be '*' */
#define K_DIAL		0x08	/* endpoints others dial: no wildcard address; or "none" */
#define K_KIND		0x10	/* [link] type: what the other keys' "only" refers to */

struct choice {
	const char	*name;
	int		 value;
};

struct parse;
struct key {
	const char	*name;
	enum ktype	 type;
	size_t		 off;		/* of the value, in the section's struct */
	size_t		 size;		/* KT_UINT: of the value; KT_KEY(S): bytes of a key */
	size_t		 cnt;		/* lists: offset of the count */
	uint64_t	 lo, hi;	/* KT_UINT: the range; lists: hi, the most items (0: any) */
	uint64_t	 def;		/* KT_UINT, KT_CHOICE: the default */
	unsigned	 flags;
	size_t		 set;		/* offset of an int set to 1 when given; 0: none */
	int		 only;		/* the only kind ([link] type) it is for; 0: any */
	const struct choice *choices;	/* KT_CHOICE: ends with a NULL name */
	const char	*text;		/* KT_UINT: unit; KT_KEY(S): what it is; lists: hint */
	const char	*hint;		/* K_REQUIRED: after "is missing 'KEY'" */
	int		(*check)(struct parse *ps, const struct key *k, const char *value);
};

/* A section: once, or any number each with a name ([peer NAME]: an element of an array). */
struct sect {
	const char	*name;
	const struct key *keys;
	size_t		 nkeys;
	int		 required;
	size_t		 arr, cnt, size;	/* named: the array in struct conf, its count, the
					   element's size (its first field is char *name) */
	size_t		 max;		/* named: the most sections; 0: any */
};

/* One section in the file: its header's line and the line of each key. */
struct inst {
	int		 line;
	int		 seen[KEYS_MAX];	/* 0: not given; negative: its value was refused */
};

enum { S_NODE, S_PEER, S_LINK, S_TRUST, S_LIMITS, S_HOOK, NSECT };

struct parse {
	const char	*path;
	FILE		*fp;
	FILE		*errf;
	int		 nerr;
	int		 nomem;
	int		 line;		/* line of the text the reader returned last */
	int		 next_line;	/* line the next chunk starts on */
	struct conf	*conf;
	struct inst	*inst[NSECT];	/* named: parallel to the array in struct conf */
	size_t		 ninst[NSECT];
	const struct sect *sect;	/* the section being read; NULL: none, or refused */
	size_t		 cur;		/* which of its instances */
	int		 skip;		/* its header was refused: ignore its keys */
};

static int	 check_name(struct parse *, const struct key *, const char *);
static int	 check_region(struct parse *, const struct key *, const char *);
static int	 check_state(struct parse *, const struct key *, const char *);
static int	 check_endpoint(struct parse *, const struct key *, const char *);
static int	 check_hostport(struct parse *, const struct key *, const char *);
static int	 check_device(struct parse *, const struct key *, const char *);
static int	 check_baud(struct parse *, const struct key *, const char *);
static int	 check_command(struct parse *, const struct key *, const char *);
static int	 check_prefix(struct parse *, const struct key *, const char *);

static const struct choice yesno[] = { { "yes", 1 }, { "no", 0 }, { NULL, 0 } };
static const struct choice pushes[] = { { "eager", 0 }, { "plumtree", 1 }, { NULL, 0 } };
static const struct choice levels[] = { { "debug", LOG_LEVEL_DEBUG }, { "info", LOG_LEVEL_INFO },
	{ "warn", LOG_LEVEL_WARN }, { "error", LOG_LEVEL_ERROR }, { NULL, 0 } };
static const struct choice kinds[] = { { "udp", STREAM_UDP }, { "serial", STREAM_SERIAL },
	{ "stdio", STREAM_STDIO }, { NULL, 0 } };

#define AT(t, f)	.off = offsetof(t, f), .size = sizeof(((t *)0)->f)
#define LIST(t, f, n)	.off = offsetof(t, f), .cnt = offsetof(t, n), .size = sizeof(*((t *)0)->f)
#define C(f)		AT(struct conf, f)
#define P(f)		AT(struct conf_peer, f)
#define L(f)		AT(struct conf_link, f)
#define H(f)		AT(struct conf_hook, f)

static const struct key node_keys[] = {
	{ "name", KT_STR, C(name), .flags = K_REQUIRED, .check = check_name },
	{ "region", KT_STR, C(region), .flags = K_REQUIRED, .check = check_region },
	{ "key", KT_STR, C(keypath), .flags = K_REQUIRED },
	{ "state", KT_STR, C(state), .check = check_state },
	{ "listen", KT_ENDPOINTS, LIST(struct conf, listen, nlisten), .flags = K_REPEAT | K_BIND },
	{ "sync_interval", KT_UINT, C(sync_interval), .lo = 1, .hi = CONF_SYNC_MAX,
	    .def = CONF_SYNC_DEFAULT, .text = " of seconds" },
	{ "log_level", KT_CHOICE, C(log_level), .choices = levels, .def = LOG_LEVEL_INFO },
	{ "push", KT_CHOICE, C(plumtree), .choices = pushes },
	{ "confirm_warnings", KT_CHOICE, C(confirm_warnings), .choices = yesno, .def = 1 },
	{ "announce", KT_ENDPOINTS, LIST(struct conf, announce, nannounce), .hi = PX_EP_MAX,
	    .flags = K_DIAL, .set = offsetof(struct conf, announce_set),
	    .text = " that other nodes can dial; or none" },
	{ "max_discovered", KT_UINT, C(max_discovered), .hi = PX_MAX_DISCOVERED_LIMIT,
	    .set = offsetof(struct conf, max_discovered_set) },
	{ "reroute_after", KT_UINT, C(reroute_after), .lo = 1, .hi = PX_REROUTE_AFTER_LIMIT },
	{ "transport_key", KT_STR, C(tkeypath) },
	{ "allow", KT_KEYS, LIST(struct conf, allow, nallow), .flags = K_REPEAT,
	    .text = "transport public key" },
};

static const struct key peer_keys[] = {
	{ "address", KT_STR, P(address), .flags = K_REQUIRED, .check = check_endpoint },
	{ "key", KT_KEY, P(key), .flags = K_REQUIRED, .text = "public key" },
	{ "transport", KT_KEY, P(transport), .set = offsetof(struct conf_peer, has_transport),
	    .text = "transport public key" },
};

static const struct key link_keys[] = {
	{ "type", KT_CHOICE, L(type), .choices = kinds, .flags = K_REQUIRED | K_KIND,
	    .hint = " (udp, serial or stdio)" },
	{ "key", KT_KEY, L(key), .flags = K_REQUIRED, .text = "public key",
	    .hint = " (the node key of the other end)" },
	{ "mtu", KT_UINT, L(mtu), .lo = STREAM_MTU_MIN, .hi = STREAM_MTU_MAX },
	{ "bitrate", KT_UINT, L(bitrate), .hi = 1000000000,
	    .set = offsetof(struct conf_link, bitrate_set) },
	{ "local", KT_STR, L(local), .only = STREAM_UDP, .flags = K_REQUIRED | K_BIND,
	    .check = check_hostport, .hint = " (HOST:PORT to bind)" },
	{ "remote", KT_STR, L(remote), .only = STREAM_UDP, .flags = K_REQUIRED,
	    .check = check_hostport, .hint = " (HOST:PORT of the other end)" },
	{ "device", KT_STR, L(device), .only = STREAM_SERIAL, .flags = K_REQUIRED,
	    .check = check_device },
	{ "baud", KT_UINT, L(baud), .lo = 1, .hi = 4000000, .def = CONF_LINK_BAUD,
	    .only = STREAM_SERIAL, .check = check_baud },
};

static const struct key trust_keys[] = {
	{ "anchors", KT_KEYS, LIST(struct conf, anchors, nanchors), .text = "public key" },
	{ "open", KT_CHOICE, C(trust_open), .choices = yesno },
	{ "held_max", KT_UINT, C(held_max), .lo = 1, .hi = CONF_HELD_MAX_LIMIT,
	    .def = CONF_HELD_MAX_DEFAULT },
	{ "held_max_bytes", KT_UINT, C(held_bytes), .lo = 1, .hi = CONF_HELD_BYTES_LIMIT,
	    .def = CONF_HELD_BYTES_DEFAULT },
};

static const struct choice hook_ons[] = { { "warning", HOOK_ON_WARNING },
	{ "report", HOOK_ON_REPORT }, { "overdue", HOOK_ON_OVERDUE }, { NULL, 0 } };
static const struct choice hook_levels[] = { { "blue", FENGHUO__LEVEL__BLUE },
	{ "yellow", FENGHUO__LEVEL__YELLOW }, { "orange", FENGHUO__LEVEL__ORANGE },
	{ "red", FENGHUO__LEVEL__RED }, { NULL, 0 } };
static const struct choice hook_statuses[] = { { "actual", FENGHUO__STATUS__ACTUAL },
	{ "exercise", FENGHUO__STATUS__EXERCISE }, { "test", FENGHUO__STATUS__TEST },
	{ "system", FENGHUO__STATUS__SYSTEM }, { "draft", FENGHUO__STATUS__DRAFT },
	{ "any", HOOK_STATUS_ANY }, { NULL, 0 } };
static const struct choice hook_formats[] = { { "json", HOOK_FMT_JSON },
	{ "cap", HOOK_FMT_CAP }, { "cap-cn", HOOK_FMT_CAP_CN }, { NULL, 0 } };

/* A program run for new messages (hook.c). */
static const struct key hook_keys[] = {
	{ "on", KT_CHOICE, H(on), .choices = hook_ons, .flags = K_REQUIRED | K_KIND,
	    .hint = " (warning, report or overdue)" },
	{ "command", KT_STR, H(command), .flags = K_REQUIRED, .check = check_command,
	    .hint = " (/absolute/program and its arguments)" },
	{ "region", KT_STR, H(region), .check = check_prefix },
	{ "min_level", KT_CHOICE, H(min_level), .choices = hook_levels,
	    .only = HOOK_ON_WARNING },
	{ "status", KT_CHOICE, H(status), .choices = hook_statuses,
	    .def = FENGHUO__STATUS__ACTUAL },
	{ "format", KT_CHOICE, H(format), .choices = hook_formats, .def = HOOK_FMT_JSON },
	{ "timeout", KT_UINT, H(timeout), .lo = 1, .hi = 3600, .def = CONF_HOOK_TIMEOUT,
	    .text = " of seconds" },
	{ "max_running", KT_UINT, H(max_running), .lo = 1, .hi = 16,
	    .def = CONF_HOOK_RUNNING },
	{ "overdue_after", KT_UINT, H(overdue_after), .lo = 60, .hi = 7 * 86400,
	    .def = CONF_HOOK_OVERDUE, .only = HOOK_ON_OVERDUE, .text = " of seconds" },
};

/* What one peer or author may cost (limits.c applies them). */
static const struct key limits_keys[] = {
	{ "peer_frames_per_sec", KT_UINT, C(limits.peer.per_sec), .hi = 1000000,
	    .def = CONF_PEER_FRAMES_PER_SEC },
	{ "peer_frames_burst", KT_UINT, C(limits.peer.burst), .lo = 1, .hi = 10000000,
	    .def = CONF_PEER_FRAMES_BURST },
	{ "author_msgs_per_sec", KT_UINT, C(limits.author.per_sec), .hi = 1000000,
	    .def = CONF_AUTHOR_PER_SEC },
	{ "author_msgs_burst", KT_UINT, C(limits.author.burst), .lo = 1, .hi = 10000000,
	    .def = CONF_AUTHOR_BURST },
	{ "authors_tracked", KT_UINT, C(limits.authors_max), .lo = 1, .hi = BUCKET_TABLE_MAX,
	    .def = CONF_AUTHORS_MAX },
	{ "queue_items", KT_UINT, C(limits.queue_items), .lo = 16, .hi = 10000000,
	    .def = PQ_MAX_ITEMS },
	{ "queue_bytes", KT_UINT, C(limits.queue_bytes), .lo = 65536, .hi = (uint64_t)1 << 34,
	    .def = PQ_MAX_BYTES },
	{ "store_max_bytes", KT_UINT, C(limits.store_max_bytes), .hi = (uint64_t)1 << 50,
	    .def = CONF_STORE_MAX_BYTES },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define NAMED(f, n)	.arr = offsetof(struct conf, f), .cnt = offsetof(struct conf, n), \
			.size = sizeof(*((struct conf *)0)->f)

static const struct sect sects[NSECT] = {
	[S_NODE] = { "node", node_keys, NELEM(node_keys), .required = 1 },
	[S_PEER] = { "peer", peer_keys, NELEM(peer_keys), NAMED(peers, npeers) },
	[S_LINK] = { "link", link_keys, NELEM(link_keys), NAMED(links, nlinks),
	    .max = CONF_LINKS_MAX },
	[S_TRUST] = { "trust", trust_keys, NELEM(trust_keys), .required = 0 },
	[S_LIMITS] = { "limits", limits_keys, NELEM(limits_keys), .required = 0 },
	[S_HOOK] = { "hook", hook_keys, NELEM(hook_keys), NAMED(hooks, nhooks),
	    .max = CONF_HOOKS_MAX },
};

_Static_assert(NELEM(node_keys) <= KEYS_MAX && NELEM(link_keys) <= KEYS_MAX,
    "struct inst holds KEYS_MAX keys");
_Static_assert(offsetof(struct conf_peer, name) == 0 && offsetof(struct conf_link, name) == 0 &&
    offsetof(struct conf_hook, name) == 0,
    "a named section's element starts with its name");

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

/* A decimal number from lo to hi into *out; -1 if it is not one. */
static int
number(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int
port_valid(const char *s)
{
	uint64_t v;

	return number(s, 1, 65535, &v) == 0;
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

/* The pointer stored at p (of any object pointer type). */
static char *
ptr_at(const void *p)
{
	char *v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * One more element, zeroed, at the end of the array whose pointer is at ap and which holds
 * n elements of size bytes; NULL if out of memory (the array is then as it was).
 */
static void *
grow(void *ap, size_t n, size_t size)
{
	char *a = ptr_at(ap);

	if ((a = reallocarray(a, n + 1, size)) == NULL)
		return NULL;
	memcpy(ap, &a, sizeof(a));
	memset(a + n * size, 0, size);
	return a + n * size;
}

/* Where the keys of instance i of section s go. */
static char *
sect_base(struct conf *c, const struct sect *s, size_t i)
{
	return s->size == 0 ? (char *)c : ptr_at((char *)c + s->arr) + i * s->size;
}

static void
store_uint(void *dst, size_t size, uint64_t v)
{
	uint32_t v32 = (uint32_t)v;

	if (size == sizeof(v32))
		memcpy(dst, &v32, size);
	else if (size == sizeof(v))
		memcpy(dst, &v, size);
	else
		abort();	/* a table entry of a type KT_UINT does not know */
}

static void
defaults(const struct sect *s, char *base)
{
	const struct key *k;

	for (k = s->keys; k < s->keys + s->nkeys; k++) {
		if (k->def == 0)
			continue;
		if (k->type == KT_CHOICE)
			*(int *)(void *)(base + k->off) = (int)k->def;
		else
			store_uint(base + k->off, k->size, k->def);
	}
}

/* A section header: [node], or [peer NAME] for a section that repeats (trimmed). */
static void
section_begin(struct parse *ps, const char *hdr)
{
	struct conf *c = ps->conf;
	const struct sect *s;
	const char *name;
	struct inst *in;
	size_t len, n, i;
	char *elem;

	ps->sect = NULL;
	ps->skip = 1;
	for (s = sects; s < sects + NSECT; s++) {
		len = strlen(s->name);
		if (strncmp(hdr, s->name, len) == 0 && (hdr[len] == '\0' ||
		    (s->size != 0 && (hdr[len] == ' ' || hdr[len] == '\t'))))
			break;
	}
	if (s == sects + NSECT) {
		perr(ps, ps->line, "unknown section [%s]", hdr);
		return;
	}
	n = ps->ninst[s - sects];
	if (s->size == 0) {
		/* Once: a second header is refused, its keys count as the first one's. */
		if (n > 0) {
			perr(ps, ps->line, "duplicate section [%s] (first at line %d)", s->name,
			    ps->inst[s - sects][0].line);
		} else {
			if ((in = grow(&ps->inst[s - sects], 0, sizeof(*in))) == NULL)
				goto nomem;
			in->line = ps->line;
			ps->ninst[s - sects] = 1;
		}
		ps->sect = s;
		ps->cur = 0;
		ps->skip = 0;
		return;
	}
	name = hdr + len + strspn(hdr + len, " \t");
	if (*name == '\0') {
		perr(ps, ps->line, "[%s] needs a name: [%s NAME]", s->name, s->name);
		return;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(ptr_at(sect_base(c, s, i)), name) == 0) {
			perr(ps, ps->line, "duplicate %s '%s' (first at line %d)", s->name, name,
			    ps->inst[s - sects][i].line);
			return;
		}
	}
	if (!fc_node_name_valid(name)) {
		perr(ps, ps->line, "%s name '%s' is not a valid name", s->name, name);
		return;
	}
	if (s->max != 0 && n >= s->max) {
		perr(ps, ps->line, "more than %zu [%s] sections", s->max, s->name);
		return;
	}
	if ((elem = grow((char *)c + s->arr, n, s->size)) == NULL ||
	    (in = grow(&ps->inst[s - sects], n, sizeof(*in))) == NULL)
		goto nomem;
	in->line = ps->line;
	if ((name = strdup(name)) == NULL)
		goto nomem;
	memcpy(elem, &name, sizeof(name));
	defaults(s, elem);
	*(size_t *)(void *)((char *)c + s->cnt) = ps->ninst[s - sects] = n + 1;
	ps->sect = s;
	ps->cur = n;
	ps->skip = 0;
	return;
nomem:
	ps->nomem = 1;
}

/* Each item of a list: 0 and added, 1 refused (reported), -1 out of memory. */
static int
list_item(struct parse *ps, const struct key *k, char *base, const char *item)
{
	size_t *n = (size_t *)(void *)(base + k->cnt), i;
	char *a = ptr_at(base + k->off), *copy;
	uint8_t key[64], *slot;

	if (k->type == KT_ENDPOINTS) {
		if (check_endpoint(ps, k, item) != 0)
			return 1;
		for (i = 0; i < *n && strcmp(ptr_at(a + i * sizeof(char *)), item) != 0; i++)
			;
	} else {
		if (k->size > sizeof(key) || strlen(item) != 2 * k->size ||
		    fc_unhex(item, key, k->size) != 0) {
			perr(ps, ps->line, "%s: '%s' is not a %s (want %zu hex digits)", k->name,
			    item, k->text, 2 * k->size);
			return 1;
		}
		for (i = 0; i < *n && memcmp(a + i * k->size, key, k->size) != 0; i++)
			;
	}
	if (i < *n) {
		perr(ps, ps->line, "%s: '%s' given twice", k->name, item);
		return 1;
	}
	if (k->hi != 0 && *n >= k->hi) {
		perr(ps, ps->line, "%s: more than %llu %ss", k->name, (unsigned long long)k->hi,
		    k->type == KT_ENDPOINTS ? "endpoint" : "key");
		return 1;
	}
	if (k->type == KT_KEYS) {
		if ((slot = grow(base + k->off, *n, k->size)) == NULL)
			return -1;
		memcpy(slot, key, k->size);
	} else {
		if ((copy = strdup(item)) == NULL)
			return -1;
		if ((slot = grow(base + k->off, *n, sizeof(char *))) == NULL) {
			free(copy);
			return -1;
		}
		memcpy(slot, &copy, sizeof(copy));
	}
	(*n)++;
	return 0;
}

/* A comma-separated list (KT_KEYS, KT_ENDPOINTS): 0, 1 (reported) or -1 (out of memory). */
static int
list_parse(struct parse *ps, const struct key *k, char *base, const char *value)
{
	char *copy, *tok, *save = NULL, *item;
	int rc = 0, r, items = 0;

	if ((k->flags & K_DIAL) && strcmp(value, "none") == 0)
		return 0;
	if ((copy = strdup(value)) == NULL)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok != NULL && rc >= 0;
	    tok = strtok_r(NULL, ",", &save)) {
		if (*(item = trim(tok)) == '\0')
			continue;
		items++;
		if ((r = list_item(ps, k, base, item)) != 0)
			rc = r;
	}
	free(copy);
	if (rc == 0 && items == 0) {
		perr(ps, ps->line, "%s: no %s given%s", k->name,
		    k->type == KT_ENDPOINTS ? "endpoint" : "key",
		    (k->flags & K_DIAL) ? " (or none)" : "");
		rc = 1;
	}
	return rc;
}

/* One value into base + k->off: 0, 1 (refused, reported) or -1 (out of memory). */
static int
key_parse(struct parse *ps, const struct key *k, char *base, const char *value)
{
	const struct choice *ch;
	char *dst = base + k->off, *copy, names[128];
	uint64_t v;
	size_t len;

	switch (k->type) {
	case KT_STR:
		if (*value == '\0') {
			perr(ps, ps->line, "'%s' is empty", k->name);
			return 1;
		}
		if (k->check != NULL && k->check(ps, k, value) != 0)
			return 1;
		if ((copy = strdup(value)) == NULL)
			return -1;
		memcpy(dst, &copy, sizeof(copy));
		return 0;
	case KT_UINT:
		if (number(value, k->lo, k->hi, &v) != 0) {
			perr(ps, ps->line, "%s: '%s' is not a number%s from %llu to %llu", k->name,
			    value, k->text != NULL ? k->text : "", (unsigned long long)k->lo,
			    (unsigned long long)k->hi);
			return 1;
		}
		if (k->check != NULL && k->check(ps, k, value) != 0)
			return 1;
		store_uint(dst, k->size, v);
		return 0;
	case KT_CHOICE:
		for (ch = k->choices; ch->name != NULL; ch++) {
			if (strcmp(ch->name, value) == 0) {
				*(int *)(void *)dst = ch->value;
				return 0;
			}
		}
		for (ch = k->choices, len = 0; ch->name != NULL && len < sizeof(names); ch++)
			len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
			    ch == k->choices ? "" : ", ", ch->name);
		perr(ps, ps->line, "%s: '%s' is not one of %s", k->name, value, names);
		return 1;
	case KT_KEY:
		if (strlen(value) != 2 * k->size || fc_unhex(value, (uint8_t *)dst, k->size) != 0) {
			perr(ps, ps->line, "%s: not a %s (want %zu hex digits)", k->name, k->text,
			    2 * k->size);
			return 1;
		}
		return 0;
	case KT_KEYS:
	case KT_ENDPOINTS:
		return list_parse(ps, k, base, value);
	}
	abort();
}

/*
 * inih handler, for each name = value line (the reader started its section). The one
 * place that reports unknown keys and refuses duplicate ones. Returns 1: errors are
 * counted in ps, and running out of memory is noted there.
 */
static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	const struct sect *s = ps->sect;
	const struct key *k;
	char *base;
	int *seen, rc;

	(void)section;
	if (s == NULL) {
		if (!ps->skip)
			perr(ps, ps->line, "'%s' outside any section", name);
		return 1;
	}
	base = sect_base(ps->conf, s, ps->cur);
	for (k = s->keys; k < s->keys + s->nkeys && strcmp(k->name, name) != 0; k++)
		;
	if (k == s->keys + s->nkeys) {
		perr(ps, ps->line, "unknown key '%s' in [%s%s%s]", name, s->name,
		    s->size != 0 ? " " : "", s->size != 0 ? ptr_at(base) : "");
		return 1;
	}
	seen = &ps->inst[s - sects][ps->cur].seen[k - s->keys];
	if (*seen != 0 && !(k->flags & K_REPEAT)) {
		perr(ps, ps->line, "duplicate key '%s' (first at line %d)", name, abs(*seen));
		return 1;
	}
	if ((rc = key_parse(ps, k, base, value)) < 0)
		ps->nomem = 1;
	if (*seen == 0)
		*seen = rc == 0 ? ps->line : -ps->line;
	if (rc == 0 && k->set != 0)
		*(int *)(void *)(base + k->set) = 1;
	return 1;
}

static int
check_name(struct parse *ps, const struct key *k, const char *value)
{
	if (fc_node_name_valid(value))
		return 0;
	perr(ps, ps->line, "%s: '%s' is not a valid name (1-%d printable characters, no "
	    "blanks, quotes or brackets)", k->name, value, NODE_NAME_MAX);
	return 1;
}

static int
check_region(struct parse *ps, const struct key *k, const char *value)
{
	if (fc_region_valid(value) && strlen(value) >= 6)
		return 0;
	perr(ps, ps->line, "%s: '%s' is not a region code (6, 9 or 12 digits)", k->name, value);
	return 1;
}

/* The control socket, <state>/fenghuod.sock, must fit in sun_path. */
static int
check_state(struct parse *ps, const struct key *k, const char *value)
{
	if (strlen(value) + sizeof("/fenghuod.sock") <= 108)
		return 0;
	perr(ps, ps->line, "%s: path too long for the control socket (at most %zu bytes)",
	    k->name, 108 - sizeof("/fenghuod.sock"));
	return 1;
}

static int
check_endpoint(struct parse *ps, const struct key *k, const char *value)
{
	if (conf_endpoint_valid(value, (k->flags & K_BIND) != 0) &&
	    !((k->flags & K_DIAL) && px_wildcard(value)))
		return 0;
	perr(ps, ps->line, "%s: bad endpoint '%s' (want tcp://HOST:PORT or ipc://PATH%s)",
	    k->name, value, k->text != NULL ? k->text : "");
	return 1;
}

static int
check_hostport(struct parse *ps, const struct key *k, const char *value)
{
	int bind = (k->flags & K_BIND) != 0;

	if (stream_hostport_valid(value, bind))
		return 0;
	perr(ps, ps->line, "%s: '%s' is not HOST:PORT%s", k->name, value,
	    bind ? " (HOST may be *)" : "");
	return 1;
}

static int
check_device(struct parse *ps, const struct key *k, const char *value)
{
	if (value[0] == '/' && strlen(value) <= NODE_ADDR_MAX)
		return 0;
	perr(ps, ps->line, "%s: '%s' is not an absolute path", k->name, value);
	return 1;
}

/* After KT_UINT took it: a rate a serial port can be set to. */
static int
check_baud(struct parse *ps, const struct key *k, const char *value)
{
	if (stream_baud_valid((unsigned)strtoul(value, NULL, 10)))
		return 0;
	perr(ps, ps->line, "%s: %s is not a standard rate (1200, 2400, 4800, 9600, 19200, "
	    "38400, 57600, 115200, 230400)", k->name, value);
	return 1;
}

/*
 * A hook's command: split as hook.c splits it, an absolute path to a program that exists
 * and may be run (a typo is found by --check, not when the first warning comes).
 */
static int
check_command(struct parse *ps, const struct key *k, const char *value)
{
	struct stat sb;
	const char *why;
	char **argv;
	int rc = 0;

	if ((argv = hook_argv_split(value, &why)) == NULL) {
		perr(ps, ps->line, "%s: %s", k->name, why);
		return 1;
	}
	if (stat(argv[0], &sb) == -1) {
		perr(ps, ps->line, "%s: %s: %s", k->name, argv[0], strerror(errno));
		rc = 1;
	} else if (!S_ISREG(sb.st_mode) || access(argv[0], X_OK) == -1) {
		perr(ps, ps->line, "%s: %s is not an executable file", k->name, argv[0]);
		rc = 1;
	}
	free(argv);
	return rc;
}

static int
check_prefix(struct parse *ps, const struct key *k, const char *value)
{
	if (fc_region_valid(value))
		return 0;
	perr(ps, ps->line, "%s: '%s' is not a region code prefix (2, 4, 6, 9 or 12 digits)",
	    k->name, value);
	return 1;
}

/*
 * The fgets-style reader for ini_parse_stream: counts lines and checks that each one is
 * blank, a comment, a [section] or a name = value pair (or a continuation of one). A section
 * header starts its section here: inih calls the handler only for keys.
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
			section_begin(ps, trim(s + 1));
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

/* The line of key of instance i of section si (negative: refused, 0: not given). */
static int
seen_line(const struct parse *ps, int si, size_t i, const char *key)
{
	const struct sect *s = &sects[si];
	size_t j;

	for (j = 0; j < s->nkeys && strcmp(s->keys[j].name, key) != 0; j++)
		;
	return ps->inst[si][i].seen[j];
}

/* Required sections and keys, and keys of another kind ([link] type), as the tables say. */
static void
finish_tables(struct parse *ps)
{
	const struct key *k, *kind;
	const struct sect *s;
	const struct choice *ch;
	const struct inst *in;
	char *base;
	size_t i;
	int kv, ln;

	for (s = sects; s < sects + NSECT; s++) {
		if (s->required && ps->ninst[s - sects] == 0)
			perr(ps, ps->next_line > 1 ? ps->next_line - 1 : 1, "missing [%s] section",
			    s->name);
		for (kind = s->keys; kind < s->keys + s->nkeys && !(kind->flags & K_KIND); kind++)
			;
		for (i = 0; i < ps->ninst[s - sects]; i++) {
			in = &ps->inst[s - sects][i];
			base = sect_base(ps->conf, s, i);
			kv = kind < s->keys + s->nkeys ? *(int *)(void *)(base + kind->off) : 0;
			for (k = s->keys; k < s->keys + s->nkeys; k++) {
				ln = in->seen[k - s->keys];
				if (k->only != 0 && kv != 0 && k->only != kv && ln != 0) {
					for (ch = kind->choices; ch->value != k->only; ch++)
						;
					perr(ps, abs(ln), "'%s' is only for %s = %s", k->name,
					    kind->name, ch->name);
				} else if ((k->flags & K_REQUIRED) && ln == 0 &&
				    (k->only == 0 || k->only == kv)) {
					perr(ps, in->line, "[%s%s%s] is missing '%s'%s", s->name,
					    s->size != 0 ? " " : "", s->size != 0 ? ptr_at(base) : "",
					    k->name, k->hint != NULL ? k->hint : "");
				}
			}
		}
	}
}

/*
 * What the tables cannot say: node keys differ between peers and links, one stdio link,
 * and a link's defaults that depend on its type.
 */
static void
finish(struct parse *ps)
{
	struct conf *c = ps->conf;
	struct conf_link *l;
	int stdio_line = 0, ln;
	size_t i, j;

	finish_tables(ps);
	for (i = 0; i < c->npeers; i++) {
		if ((ln = seen_line(ps, S_PEER, i, "key")) <= 0)
			continue;
		for (j = 0; j < i; j++) {
			if (seen_line(ps, S_PEER, j, "key") > 0 &&
			    memcmp(c->peers[i].key, c->peers[j].key, FC_PUBLICKEYBYTES) == 0) {
				perr(ps, ln, "peers '%s' and '%s' have the same key",
				    c->peers[j].name, c->peers[i].name);
				break;
			}
		}
	}
	for (i = 0; i < c->nlinks; i++) {
		l = &c->links[i];
		if (l->type == 0)
			continue;
		if (l->type == STREAM_STDIO) {
			if (stdio_line != 0)
				perr(ps, ps->inst[S_LINK][i].line, "a second stdio link (the first "
				    "at line %d)", stdio_line);
			stdio_line = ps->inst[S_LINK][i].line;
		}
		/* Defaults: docs/CONFIG.md. */
		if (l->mtu == 0)
			l->mtu = l->type == STREAM_UDP ? CONF_LINK_MTU_UDP : CONF_LINK_MTU_SERIAL;
		if (!l->bitrate_set && l->type == STREAM_SERIAL)
			l->bitrate = (uint64_t)l->baud * 8 / 10;	/* 8N1: 10 bits a byte */
		if ((ln = seen_line(ps, S_LINK, i, "key")) <= 0)
			continue;
		for (j = 0; j < i; j++)
			if (seen_line(ps, S_LINK, j, "key") > 0 &&
			    memcmp(c->links[j].key, l->key, FC_PUBLICKEYBYTES) == 0)
				perr(ps, ln, "links '%s' and '%s' have the same key",
				    c->links[j].name, l->name);
		for (j = 0; j < c->npeers; j++)
			if (seen_line(ps, S_PEER, j, "key") > 0 &&
			    memcmp(c->peers[j].key, l->key, FC_PUBLICKEYBYTES) == 0)
				perr(ps, ln, "link '%s' and peer '%s' have the same key "
				    "(a node is reached by one kind of link)", l->name,
				    c->peers[j].name);
	}
	for (i = 0; i < c->nhooks; i++) {
		const char *nm = c->hooks[i].name;

		/* The name is a file name under <state>/hooks. */
		if (nm[0] == '.' || strspn(nm, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._-") != strlen(nm))
			perr(ps, ps->inst[S_HOOK][i].line, "hook name '%s': letters, digits, '.', "
			    "'_' and '-' only, not starting with '.'", nm);
		if ((ln = seen_line(ps, S_HOOK, i, "format")) > 0 &&
		    !hook_format_ready(c->hooks[i].format))
			perr(ps, ln, "format: this build cannot write it for a hook "
			    "(use format = json)");
		/* A CAP alert is a warning; reports and overdue reports have no CAP form. */
		else if (ln > 0 && c->hooks[i].format != HOOK_FMT_JSON &&
		    c->hooks[i].on != HOOK_ON_WARNING && c->hooks[i].on != 0)
			perr(ps, ln, "format: CAP is for warnings only (on = warning); reports "
			    "are written as JSON");
	}
}

int
conf_load(const char *path, FILE *errf, struct conf **out)
{
	struct parse ps;
	struct conf *c = NULL;
	size_t i;
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
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->path = strdup(path)) == NULL)
		goto nomem;
	ps.conf = c;
	for (i = 0; i < NSECT; i++)
		if (sects[i].size == 0)
			defaults(&sects[i], (char *)c);

	rc = ini_parse_stream(reader, &ps, handler, &ps);
	if (rc == -2 || ps.nomem)
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
	if (ps.nerr > 0)
		conf_free(&c);
	*out = c;
	rc = ps.nerr;
	goto done;
nomem:
	fprintf(errf, "%s: out of memory\n", path);
	conf_free(&c);
	rc = ps.nerr + 1;
done:
	fclose(ps.fp);
	for (i = 0; i < NSECT; i++)
		free(ps.inst[i]);
	return rc;
}

/* What the keys of one section (at base) own. */
static void
keys_free(const struct sect *s, char *base)
{
	const struct key *k;
	size_t i, n;
	char *a;

	for (k = s->keys; k < s->keys + s->nkeys; k++) {
		if (k->type == KT_STR) {
			free(ptr_at(base + k->off));
		} else if (k->type == KT_ENDPOINTS || k->type == KT_KEYS) {
			a = ptr_at(base + k->off);
			memcpy(&n, base + k->cnt, sizeof(n));
			for (i = 0; k->type == KT_ENDPOINTS && i < n; i++)
				free(ptr_at(a + i * sizeof(char *)));
			free(a);
		}
	}
}

void
conf_free(struct conf **cp)
{
	const struct sect *s;
	struct conf *c;
	size_t i, n;

	if (cp == NULL || (c = *cp) == NULL)
		return;
	for (s = sects; s < sects + NSECT; s++) {
		if (s->size == 0) {
			keys_free(s, (char *)c);
			continue;
		}
		memcpy(&n, (char *)c + s->cnt, sizeof(n));
		for (i = 0; i < n; i++) {
			keys_free(s, sect_base(c, s, i));
			free(ptr_at(sect_base(c, s, i)));	/* its name */
		}
		free(ptr_at((char *)c + s->arr));
	}
	free(c->path);
	free(c);
	*cp = NULL;
}

void
conf_keys(void (*fn)(void *arg, const char *section, const char *key), void *arg)
{
	const struct sect *s;
	const struct key *k;

	for (s = sects; s < sects + NSECT; s++)
		for (k = s->keys; k < s->keys + s->nkeys; k++)
			fn(arg, s->name, k->name);
}
