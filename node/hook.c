/*
 * hook.c: [hook NAME] sections: local programs run for new warnings, new reports and
 * reports that fall overdue, so that a loudspeaker system (村村响), an SMS gateway or a web
 * page hears of them (docs/CONFIG.md, Hooks; docs/SECURITY.md).
 *
 * A hook runs its command once per message on this node, even across restarts: a run that
 * exits 0 is recorded in <state>/hooks/NAME (fsync'd) and never repeated; a failed run
 * (non-zero exit, killed at its timeout, not startable) is tried again with a growing
 * delay, HOOK_TRIES_MAX times at most. Messages are noted as their batch commits
 * (hook_note); at start the store is searched for those a previous run did not finish
 * (hook_start), so that a kill -9 between a commit and a hook's success only delays the
 * run. A message stored before the hook existed (its file's "since" line) is not run.
 *
 * Nothing here blocks the poll loop: the command is started with posix_spawn (no shell:
 * argv is the command line split at blanks, and no text of a message ever goes into it),
 * the message goes to its stdin through a non-blocking pipe and its output is read from
 * another, both polled by node_step; children are reaped with waitpid(WNOHANG) on every
 * pass (SIGCHLD wakes the loop), and a child past its timeout is killed with its process
 * group.
 *
 * The message is written in the hook's format by a formatter from one table (formats[]):
 * JSON, or a warning as a CAP alert of either profile (cap_render, as `fenghuo cap export`
 * writes it); an entry whose function is NULL is a format this build cannot write, and the
 * configuration refuses it (conf_load, hook_format_ready).
 */
#define _GNU_SOURCE	/* posix_spawn_file_actions_addclosefrom_np */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#include "cap.h"
#include "node.h"

extern char **environ;

#define HOOK_TRIES_MAX		10	/* runs of one message before giving up */
#define HOOK_RETRY_MS		5000	/* the first retry's delay; doubled each time */
#define HOOK_RETRY_MAX_MS	(30 * 60 * 1000)
#define HOOK_REAP_MS		200	/* waitpid at least this often while a child runs */
#define HOOK_SCAN_MS		(30 * 1000)	/* overdue reports looked for this often */
#define HOOK_LOOKBACK_MS	(7ULL * 24 * 3600 * 1000)	/* ... this far back (as duty) */
#define HOOK_SLACK_MS		(24ULL * 3600 * 1000)	/* display time may precede first seen */
#define HOOK_QUEUE_MAX		100000	/* messages waiting, all hooks */
#define HOOK_OUT_KEEP		200	/* bytes of a child's output kept for the log */
#define HOOK_ARGS_MAX		32

/* A message formatter: the bytes a hook's command reads on its stdin. NULL on error. */
typedef char	*(*hook_fmt_fn)(const struct fc_msg *m, const struct store_seen *seen,
		    const char *event, const char *hook, size_t *len);

static char	*fmt_json(const struct fc_msg *, const struct store_seen *, const char *,
		    const char *, size_t *);
static char	*fmt_cap_oasis(const struct fc_msg *, const struct store_seen *, const char *,
		    const char *, size_t *);
static char	*fmt_cap_cn(const struct fc_msg *, const struct store_seen *, const char *,
		    const char *, size_t *);

static const struct {
	int		 format;
	const char	*name;
	hook_fmt_fn	 fn;	/* NULL: not in this build */
} formats[] = {
	{ HOOK_FMT_JSON, "json", fmt_json },
	{ HOOK_FMT_CAP, "cap", fmt_cap_oasis },
	{ HOOK_FMT_CAP_CN, "cap-cn", fmt_cap_cn },
};

struct hook {
	struct conf_hook *c;		/* a copy of its section (owned) */
	char		**argv;		/* hook_argv_split of c->command */
	uint64_t	 since_ms;	/* wall: messages first seen before it are not run */
	uint8_t		(*done)[FC_IDBYTES];	/* sorted: run with success */
	size_t		 ndone, capdone;
	int		 fd;		/* its record file, O_APPEND */
	unsigned	 running;
	uint64_t	 runs, ok, failures, given_up;
	uint64_t	 last_failed_ms;	/* wall */
	char		 last_error[160];
};

struct hook_job {
	struct hook	*h;
	uint8_t		 id[FC_IDBYTES];
	char		 event[12];	/* "warning", "report", "overdue" */
	unsigned	 tries;
	uint64_t	 next_ms;	/* mono: not before */
	pid_t		 pid;		/* 0: waiting */
	int		 in_fd, out_fd;	/* -1: closed */
	char		*payload;
	size_t		 len, off;
	uint64_t	 deadline;	/* mono */
	int		 killed;
	char		 out[HOOK_OUT_KEEP + 1];
	size_t		 outlen;
};

struct hooks {
	struct hook	*v;
	size_t		 n;
	struct hook_job	*jobs;
	size_t		 njobs, capjobs;
	uint64_t	 next_scan;	/* mono */
	uint64_t	 dropped;	/* notes refused: the queue was full */
};

int
hook_format_ready(int format)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].format == format)
			return formats[i].fn != NULL;
	return 0;
}

char **
hook_argv_split(const char *cmd, const char **why)
{
	char **argv, *buf, *w;
	size_t n = 0, len = strlen(cmd);
	const char *p = cmd;

	*why = NULL;
	/* One block: the pointers, then every word and its NUL (never longer than cmd + 1). */
	if ((argv = malloc((HOOK_ARGS_MAX + 1) * sizeof(*argv) + len + 1)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	buf = (char *)(argv + HOOK_ARGS_MAX + 1);
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (n == HOOK_ARGS_MAX) {
			*why = "more than 32 words";
			goto bad;
		}
		argv[n++] = w = buf;
		while (*p != '\0' && *p != ' ' && *p != '\t') {
			if (*p == '"') {
				/* "a b" is one word; nothing else is special: no shell runs it. */
				for (p++; *p != '\0' && *p != '"'; p++)
					*w++ = *p;
				if (*p != '"') {
					*why = "a quote is not closed";
					goto bad;
				}
				p++;
			} else
				*w++ = *p++;
		}
		*w++ = '\0';
		buf = w;
	}
	argv[n] = NULL;
	if (n == 0) {
		*why = "no command";
		goto bad;
	}
	if (argv[0][0] != '/') {
		*why = "the program must be an absolute path";
		goto bad;
	}
	return argv;
bad:
	free(argv);
	return NULL;
}

/* ---- the record of runs: <state>/hooks/NAME --------------------------------------- */

static int
id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, FC_IDBYTES);
}

static int
hook_done(const struct hook *h, const uint8_t *id)
{
	return h->ndone > 0 && bsearch(id, h->done, h->ndone, FC_IDBYTES, id_cmp) != NULL;
}

/* Add id to the sorted done list. 0, or -1 when out of memory. */
static int
done_add(struct hook *h, const uint8_t *id)
{
	uint8_t (*d)[FC_IDBYTES];
	size_t lo = 0, hi = h->ndone, mid, cap;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (memcmp(h->done[mid], id, FC_IDBYTES) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < h->ndone && memcmp(h->done[lo], id, FC_IDBYTES) == 0)
		return 0;
	if (h->ndone == h->capdone) {
		cap = h->capdone == 0 ? 64 : 2 * h->capdone;
		if ((d = reallocarray(h->done, cap, FC_IDBYTES)) == NULL)
			return -1;
		h->done = d;
		h->capdone = cap;
	}
	memmove(h->done[lo + 1], h->done[lo], (h->ndone - lo) * FC_IDBYTES);
	memcpy(h->done[lo], id, FC_IDBYTES);
	h->ndone++;
	return 0;
}

/*
 * Open (or create) the hook's record: a "since MS" line, then one id in hex per line for
 * every message run with success. A line that is not one (a write cut short by a crash) is
 * skipped. 0, or -1 after logging.
 */
static int
record_open(struct node *n, struct hook *h)
{
	char path[NODE_ADDR_MAX + 64], line[160];
	uint8_t id[FC_IDBYTES];
	unsigned long long since;
	FILE *fp;
	int fd;

	snprintf(path, sizeof(path), "%s/hooks", n->conf->state);
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		log_warn("hook %s: %s", h->c->name, path);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/hooks/%s", n->conf->state, h->c->name);
	if ((fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warn("hook %s: %s", h->c->name, path);
		return -1;
	}
	h->fd = fd;
	if ((fd = dup(fd)) == -1 || (fp = fdopen(fd, "r")) == NULL) {
		if (fd != -1)
			close(fd);
		log_warn("hook %s: %s", h->c->name, path);
		return -1;
	}
	rewind(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "since %llu", &since) == 1 && h->since_ms == 0)
			h->since_ms = since;
		else if (strlen(line) == 2 * FC_IDBYTES && fc_unhex(line, id, FC_IDBYTES) == 0) {
			if (done_add(h, id) == -1) {
				fclose(fp);
				log_warnx("hook %s: out of memory", h->c->name);
				return -1;
			}
		}
	}
	fclose(fp);
	if (h->since_ms == 0) {
		/* A new hook: what was stored before it existed is not its business. */
		h->since_ms = now_wall();
		snprintf(line, sizeof(line), "since %llu\n", (unsigned long long)h->since_ms);
		if (write(h->fd, line, strlen(line)) != (ssize_t)strlen(line) || fsync(h->fd) != 0) {
			log_warn("hook %s: %s", h->c->name, path);
			return -1;
		}
	}
	return 0;
}

/* Record a success durably before it counts: a crash after this never runs it again. */
static void
record_done(struct hook *h, const uint8_t *id)
{
	char line[2 * FC_IDBYTES + 2];

	fc_hex(id, FC_IDBYTES, line);
	line[2 * FC_IDBYTES] = '\n';
	if (write(h->fd, line, sizeof(line) - 1) != (ssize_t)sizeof(line) - 1 ||
	    fsync(h->fd) != 0)
		log_warn("hook %s: cannot record a run", h->c->name);
	if (done_add(h, id) == -1)
		log_warnx("hook %s: out of memory", h->c->name);
}

/* ---- which messages a hook runs for ----------------------------------------------- */

static int
has_prefix(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* 1 if the hook's filters (region, min_level, status) let message b through. */
static int
hook_wants(const struct hook *h, const Fenghuo__Body *b)
{
	const struct conf_hook *c = h->c;
	int kind = c->on == HOOK_ON_WARNING ? FENGHUO__KIND__WARNING : FENGHUO__KIND__REPORT;
	size_t i;
	int in;

	if (b == NULL || (int)b->kind != kind)
		return 0;
	if (c->status != HOOK_STATUS_ANY && wire_status_of(b) != c->status)
		return 0;
	if (c->region != NULL) {
		in = has_prefix(b->region, c->region);
		/* A warning for 3301 concerns 330110; one for 330110101 concerns 3301 too. */
		for (i = 0; b->warning != NULL && i < b->warning->n_area && !in; i++)
			in = has_prefix(b->warning->area[i], c->region) ||
			    (b->warning->area[i] != NULL && b->warning->area[i][0] != '\0' &&
			    has_prefix(c->region, b->warning->area[i]));
		if (!in)
			return 0;
	}
	if (c->min_level != 0 && (b->warning == NULL || (int)b->warning->level < c->min_level))
		return 0;
	return 1;
}

static struct hook_job *
job_find(struct hooks *hs, const struct hook *h, const uint8_t *id)
{
	size_t i;

	for (i = 0; i < hs->njobs; i++)
		if (hs->jobs[i].h == h && memcmp(hs->jobs[i].id, id, FC_IDBYTES) == 0)
			return &hs->jobs[i];
	return NULL;
}

/* Queue a run of h for id unless it is done or queued. */
static void
job_add(struct hooks *hs, struct hook *h, const uint8_t *id, const char *event)
{
	struct hook_job *j;
	size_t cap;

	if (hook_done(h, id) || job_find(hs, h, id) != NULL)
		return;
	if (hs->njobs >= HOOK_QUEUE_MAX) {
		/* Not lost: the next start looks for what is not recorded as run. */
		if (hs->dropped++ == 0)
			log_warnx("hook %s: more than %d runs waiting; later ones wait for a "
			    "restart", h->c->name, HOOK_QUEUE_MAX);
		return;
	}
	if (hs->njobs == hs->capjobs) {
		cap = hs->capjobs == 0 ? 16 : 2 * hs->capjobs;
		if ((j = reallocarray(hs->jobs, cap, sizeof(*j))) == NULL) {
			log_warnx("hook %s: out of memory", h->c->name);
			return;
		}
		hs->jobs = j;
		hs->capjobs = cap;
	}
	j = &hs->jobs[hs->njobs++];
	memset(j, 0, sizeof(*j));
	j->h = h;
	memcpy(j->id, id, FC_IDBYTES);
	snprintf(j->event, sizeof(j->event), "%s", event);
	j->in_fd = j->out_fd = -1;
	j->next_ms = now_mono();
}

void
hook_note(struct node *n, const struct fc_msg *msg)
{
	struct hooks *hs = n->hooks;
	size_t i;

	if (hs == NULL)
		return;
	for (i = 0; i < hs->n; i++) {
		struct hook *h = &hs->v[i];

		if (h->c->on != HOOK_ON_OVERDUE && hook_wants(h, msg->body))
			job_add(hs, h, msg->id, h->c->on == HOOK_ON_WARNING ? "warning" :
			    "report");
	}
}

struct scan_ctx {
	struct node	*n;
	struct hook	*h;
	uint64_t	 now;		/* wall */
	int		 registered;	/* refs_registered's answer */
};

/* store_iter_refs callback: a receipt that registered (or took further) the report. */
static int
refs_registered(void *arg, const struct store_view *v)
{
	struct scan_ctx *sc = arg;
	struct fc_msg m;

	if (v->seen->kind != FENGHUO__KIND__RECEIPT ||
	    fc_msg_decode(v->env, v->len, v->id, &m) != FC_R_OK)
		return 0;
	if (m.body->receipt != NULL && m.body->receipt->stage >= FENGHUO__STAGE__REGISTERED)
		sc->registered = 1;
	fc_msg_clear(&m);
	return sc->registered;
}

/*
 * store_iter_time callback: a message the hook has not run for (stored after the hook
 * existed). Stored messages were validated on arrival: decoded here, not checked again.
 */
static int
scan_one(void *arg, const struct store_view *v)
{
	struct scan_ctx *sc = arg;
	struct hook *h = sc->h;
	struct fc_msg m;
	uint64_t exp;
	int want;

	if (v->seen->first_seen_ms < h->since_ms || hook_done(h, v->id) ||
	    job_find(sc->n->hooks, h, v->id) != NULL ||
	    fc_msg_decode(v->env, v->len, v->id, &m) != FC_R_OK)
		return 0;
	m.flags = v->seen->flags;
	want = hook_wants(h, m.body);
	/* A warning that has expired since is not announced late. */
	exp = fc_msg_expiry(&m, v->seen->first_seen_ms);
	if (h->c->on == HOOK_ON_WARNING && exp != 0 && exp <= sc->now)
		want = 0;
	fc_msg_clear(&m);
	if (!want)
		return 0;
	if (h->c->on == HOOK_ON_OVERDUE) {
		sc->registered = 0;
		if (store_iter_refs(sc->n->store, v->id, refs_registered, sc) != 0 ||
		    sc->registered)
			return 0;
	}
	job_add(sc->n->hooks, h, v->id, h->c->on == HOOK_ON_WARNING ? "warning" :
	    h->c->on == HOOK_ON_REPORT ? "report" : "overdue");
	return 0;
}

/*
 * Look in the store for h's messages that are not recorded as run: at start every
 * warning or report since the hook existed; each HOOK_SCAN_MS the reports that are
 * overdue now.
 */
static void
hook_scan(struct node *n, struct hook *h)
{
	struct scan_ctx sc = { n, h, now_wall(), 0 };
	uint64_t since = h->since_ms > HOOK_SLACK_MS ? h->since_ms - HOOK_SLACK_MS : 0;
	uint64_t until = 0;
	int kind = h->c->on == HOOK_ON_WARNING ? FENGHUO__KIND__WARNING : FENGHUO__KIND__REPORT;
	int rc;

	if (h->c->on == HOOK_ON_OVERDUE) {
		until = sc.now - (uint64_t)h->c->overdue_after * 1000;
		if (sc.now > HOOK_LOOKBACK_MS && since < sc.now - HOOK_LOOKBACK_MS)
			since = sc.now - HOOK_LOOKBACK_MS;
		if (until <= since)
			return;
	}
	if ((rc = store_iter_time(n->store, since, until, kind, 0, scan_one, &sc)) != 0)
		log_warnx("hook %s: cannot read the store: %s", h->c->name, store_strerror(rc));
}

/* ---- formats ---------------------------------------------------------------------- */

static void
set_str(json_t *o, const char *key, const char *s)
{
	if (s != NULL && s[0] != '\0')
		json_object_set_new(o, key, json_string(s));
}

static void
set_name(json_t *o, const char *key, const char *name)
{
	if (name != NULL)
		json_object_set_new(o, key, json_string(name));
}

/*
 * The message as one JSON object and a newline (docs/CONFIG.md lists the fields; names as
 * in `fenghuo list --json`). Text stays UTF-8.
 */
static char *
fmt_json(const struct fc_msg *m, const struct store_seen *seen, const char *event,
    const char *hook, size_t *len)
{
	const Fenghuo__Body *b = m->body;
	char hex[2 * FC_IDBYTES + 1], *s, *out;
	json_t *o, *a;
	size_t i;

	o = json_object();
	json_object_set_new(o, "hook", json_string(hook));
	json_object_set_new(o, "on", json_string(event));
	json_object_set_new(o, "id", json_string(fc_hex(m->id, FC_IDBYTES, hex)));
	set_name(o, "kind", wire_kind_name(b->kind));
	set_name(o, "status", wire_status_name(wire_status_of(b)));
	if (b->has_author && b->author.len == FC_PUBLICKEYBYTES)
		json_object_set_new(o, "author", json_string(fc_hex(b->author.data,
		    FC_PUBLICKEYBYTES, hex)));
	json_object_set_new(o, "created_ms", json_integer((json_int_t)b->created_ms));
	json_object_set_new(o, "time_ms", json_integer((json_int_t)seen->time_ms));
	json_object_set_new(o, "first_seen_ms", json_integer((json_int_t)seen->first_seen_ms));
	if (b->has_expires_ms && b->expires_ms != 0)
		json_object_set_new(o, "expires_ms",
		    json_integer((json_int_t)fc_msg_expiry(m, seen->first_seen_ms)));
	set_str(o, "region", b->region);
	if (b->has_lat_e7 && b->has_lon_e7) {
		json_object_set_new(o, "lat", json_real(b->lat_e7 / 1e7));
		json_object_set_new(o, "lon", json_real(b->lon_e7 / 1e7));
	}
	set_str(o, "category", b->category);
	set_str(o, "event", b->event);
	json_object_set_new(o, "title", json_string(b->title != NULL ? b->title : ""));
	json_object_set_new(o, "text", json_string(b->text != NULL ? b->text : ""));
	if (b->warning != NULL) {
		const Fenghuo__Warning *w = b->warning;

		set_name(o, "level", wire_level_name(w->level));
		set_name(o, "msg_type", wire_msgtype_name(w->msg_type));
		set_name(o, "urgency", wire_urgency_name(w->urgency));
		set_name(o, "severity", wire_severity_name(w->severity));
		set_name(o, "certainty", wire_certainty_name(w->certainty));
		a = json_array();
		for (i = 0; i < w->n_area; i++)
			json_array_append_new(a, json_string(w->area[i] != NULL ? w->area[i] : ""));
		json_object_set_new(o, "area", a);
		if (w->has_onset_ms && w->onset_ms != 0)
			json_object_set_new(o, "onset_ms", json_integer((json_int_t)w->onset_ms));
		set_str(o, "instruction", w->instruction);
	}
	a = json_array();
	for (i = 0; i < b->n_refs; i++)
		if (b->refs[i].len == FC_IDBYTES)
			json_array_append_new(a, json_string(fc_hex(b->refs[i].data, FC_IDBYTES,
			    hex)));
	json_object_set_new(o, "refs", a);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(o);
	if (s == NULL)
		return NULL;
	*len = strlen(s) + 1;
	if ((out = realloc(s, *len + 1)) == NULL) {
		free(s);
		return NULL;
	}
	out[*len - 1] = '\n';
	out[*len] = '\0';
	return out;
}

/*
 * A warning as one CAP alert of profile (docs/CAP.md), the bytes `fenghuo cap export`
 * writes but for <areaDesc>, which names regions by code: the daemon has no code table.
 * conf_load lets only warning hooks have this format; anything else is an error here.
 */
static char *
fmt_cap(const struct fc_msg *m, int profile, size_t *len)
{
	struct cap_err err;
	char *xml;

	if (cap_render(m->id, m->body, profile, NULL, NULL, &xml, len, &err) != CAP_OK)
		return NULL;
	return xml;
}

static char *
fmt_cap_oasis(const struct fc_msg *m, const struct store_seen *seen, const char *event,
    const char *hook, size_t *len)
{
	(void)seen;
	(void)event;
	(void)hook;
	return fmt_cap(m, CAP_PROFILE_OASIS, len);
}

static char *
fmt_cap_cn(const struct fc_msg *m, const struct store_seen *seen, const char *event,
    const char *hook, size_t *len)
{
	(void)seen;
	(void)event;
	(void)hook;
	return fmt_cap(m, CAP_PROFILE_CN, len);
}

static hook_fmt_fn
format_fn(int format)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].format == format)
			return formats[i].fn;
	return NULL;
}

/* ---- running ---------------------------------------------------------------------- */

static void
close_fd(int *fd)
{
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

/* A run that failed: the reason for status and the log, then a retry later or never. */
static void
job_failed(struct node *n, struct hook_job *j, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
job_failed(struct node *n, struct hook_job *j, const char *fmt, ...)
{
	struct hook *h = j->h;
	char hex[2 * FC_IDBYTES + 1];
	uint64_t delay;
	va_list ap;

	(void)n;
	va_start(ap, fmt);
	vsnprintf(h->last_error, sizeof(h->last_error), fmt, ap);
	va_end(ap);
	h->failures++;
	h->last_failed_ms = now_wall();
	j->tries++;
	fc_hex(j->id, FC_IDBYTES, hex);
	if (j->tries >= HOOK_TRIES_MAX) {
		h->given_up++;
		log_warnx("hook %s: message %.16s: %s; given up after %u tries", h->c->name, hex,
		    h->last_error, j->tries);
		j->pid = -1;	/* removed by the caller */
		return;
	}
	delay = (uint64_t)HOOK_RETRY_MS << (j->tries - 1);
	if (delay > HOOK_RETRY_MAX_MS)
		delay = HOOK_RETRY_MAX_MS;
	log_warnx("hook %s: message %.16s: %s; trying again in %llu s", h->c->name, hex,
	    h->last_error, (unsigned long long)(delay / 1000));
	j->pid = 0;
	j->next_ms = now_mono() + delay;
}

/* Start job j: its message from the store, formatted, and the command. */
static void
job_start(struct node *n, struct hook_job *j)
{
	struct hook *h = j->h;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct store_msg sm;
	struct fc_msg m;
	sigset_t none, dfl;
	hook_fmt_fn fn = format_fn(h->c->format);
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, rc;
	char hex[2 * FC_IDBYTES + 1], envid[2 * FC_IDBYTES + 32], envhook[NODE_NAME_MAX + 32];
	char envev[32], **envp = NULL;
	size_t nenv, k;
	pid_t pid;

	if ((rc = store_get(n->store, j->id, &sm)) != 0) {
		/* Evicted (expired) meanwhile: nothing left to announce. */
		j->pid = -1;
		return;
	}
	rc = fc_msg_decode(sm.env, sm.len, sm.id, &m);
	if (rc == FC_R_OK) {
		m.flags = sm.seen.flags;
		j->payload = fn != NULL ? fn(&m, &sm.seen, j->event, h->c->name, &j->len) : NULL;
		fc_msg_clear(&m);
	}
	store_msg_clear(&sm);
	if (j->payload == NULL) {
		job_failed(n, j, "cannot format the message");
		return;
	}
	j->off = 0;
	j->outlen = 0;
	j->killed = 0;
	/* The environment as the daemon's, plus what identifies the run (never its text). */
	for (nenv = 0; environ[nenv] != NULL; nenv++)
		;
	if ((envp = calloc(nenv + 4, sizeof(*envp))) == NULL)
		goto fail_errno;
	for (k = 0; k < nenv; k++)
		envp[k] = environ[k];
	snprintf(envhook, sizeof(envhook), "FENGHUO_HOOK=%s", h->c->name);
	snprintf(envid, sizeof(envid), "FENGHUO_MSG_ID=%s", fc_hex(j->id, FC_IDBYTES, hex));
	snprintf(envev, sizeof(envev), "FENGHUO_ON=%s", j->event);
	envp[k++] = envhook;
	envp[k++] = envid;
	envp[k++] = envev;
	envp[k] = NULL;
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1)
		goto fail_errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, out[1], 2);
	/* Nothing else of the daemon's: not its sockets, not the store. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGCHLD);
	sigaddset(&dfl, SIGXFSZ);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	/* Its own process group: a timeout kills whatever it started too. */
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	    POSIX_SPAWN_SETPGROUP);
	rc = posix_spawn(&pid, h->argv[0], &fa, &attr, h->argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(envp);
	envp = NULL;
	close_fd(&in[0]);
	close_fd(&out[1]);
	if (rc != 0) {
		close_fd(&in[1]);
		close_fd(&out[0]);
		free(j->payload);
		j->payload = NULL;
		job_failed(n, j, "cannot run %s: %s", h->argv[0], strerror(rc));
		return;
	}
	if (fcntl(in[1], F_SETFL, O_NONBLOCK) == -1 || fcntl(out[0], F_SETFL, O_NONBLOCK) == -1)
		log_warn("hook %s: fcntl", h->c->name);
	j->pid = pid;
	j->in_fd = in[1];
	j->out_fd = out[0];
	j->deadline = now_mono() + (uint64_t)h->c->timeout * 1000;
	h->running++;
	h->runs++;
	log_debug("hook %s: started %s for %.16s (pid %ld)", h->c->name, h->argv[0], hex,
	    (long)pid);
	return;
fail_errno:
	rc = errno;
	free(envp);
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&out[0]);
	close_fd(&out[1]);
	free(j->payload);
	j->payload = NULL;
	job_failed(n, j, "cannot run: %s", strerror(rc));
}

/* What can be written to the child's stdin now; closed when all is written or refused. */
static void
job_write(struct hook_job *j)
{
	ssize_t w;

	while (j->in_fd != -1 && j->off < j->len) {
		w = write(j->in_fd, j->payload + j->off, j->len - j->off);
		if (w > 0) {
			j->off += (size_t)w;
			continue;
		}
		if (w == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		break;	/* EPIPE: it does not read its input; its exit status says the rest */
	}
	close_fd(&j->in_fd);
}

/* Read what the child wrote (bounded per pass); keep the last bytes for the log. */
static void
job_read(struct hook_job *j)
{
	char buf[4096];
	ssize_t r;
	size_t keep;
	int rounds;

	for (rounds = 0; j->out_fd != -1 && rounds < 16; rounds++) {
		r = read(j->out_fd, buf, sizeof(buf));
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0) {
			close_fd(&j->out_fd);
			return;
		}
		keep = (size_t)r > HOOK_OUT_KEEP ? HOOK_OUT_KEEP : (size_t)r;
		if (j->outlen + keep > HOOK_OUT_KEEP) {
			memmove(j->out, j->out + (j->outlen + keep - HOOK_OUT_KEEP),
			    HOOK_OUT_KEEP - keep);
			j->outlen = HOOK_OUT_KEEP - keep;
		}
		memcpy(j->out + j->outlen, buf + (size_t)r - keep, keep);
		j->outlen += keep;
	}
}

/* The child's last output as one printable line, for the log. */
static const char *
job_output(struct hook_job *j)
{
	size_t i;

	j->out[j->outlen] = '\0';
	for (i = 0; i < j->outlen; i++)
		if ((unsigned char)j->out[i] < 0x20 || j->out[i] == 0x7f)
			j->out[i] = ' ';
	return j->out;
}

/* A child has exited with status: success is recorded, anything else retried. */
static void
job_exited(struct node *n, struct hook_job *j, int status)
{
	struct hook *h = j->h;
	char hex[2 * FC_IDBYTES + 1];

	job_read(j);
	close_fd(&j->in_fd);
	close_fd(&j->out_fd);
	free(j->payload);
	j->payload = NULL;
	h->running--;
	if (status != -1 && !j->killed && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		record_done(h, j->id);
		h->ok++;
		log_info("hook %s: ran for %s %.16s", h->c->name, j->event,
		    fc_hex(j->id, FC_IDBYTES, hex));
		j->pid = -1;
		return;
	}
	if (status == -1)
		job_failed(n, j, "lost: its exit status cannot be known");
	else if (j->killed)
		job_failed(n, j, "killed after its timeout of %u s", h->c->timeout);
	else if (WIFEXITED(status))
		job_failed(n, j, "exit status %d%s%s", WEXITSTATUS(status),
		    j->outlen > 0 ? ": " : "", job_output(j));
	else
		job_failed(n, j, "killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/*
 * The hooks' timer, from node_cron: reap children, kill those past their timeout, start
 * what may start, look for overdue reports. Returns the earliest deadline (mono ms).
 */
uint64_t
hook_cron(struct node *n, uint64_t now)
{
	struct hooks *hs = n->hooks;
	uint64_t next = UINT64_MAX;
	struct hook_job *j;
	size_t i, k;
	pid_t r;
	int status;

	if (hs == NULL)
		return next;
	for (i = 0; i < hs->njobs; i++) {
		j = &hs->jobs[i];
		if (j->pid <= 0)
			continue;
		r = waitpid(j->pid, &status, WNOHANG);
		if (r == j->pid || (r == -1 && errno == ECHILD)) {
			job_exited(n, j, r == j->pid ? status : -1);
			continue;
		}
		if (now >= j->deadline && !j->killed) {
			/* The whole group: a script's own children must not outlive it. */
			(void)kill(-j->pid, SIGKILL);
			(void)kill(j->pid, SIGKILL);
			j->killed = 1;
			log_warnx("hook %s: pid %ld still running after %u s: killed", j->h->c->name,
			    (long)j->pid, j->h->c->timeout);
		}
		next = now + HOOK_REAP_MS < next ? now + HOOK_REAP_MS : next;
	}
	/* Finished or given up: gone from the table. */
	for (i = k = 0; i < hs->njobs; i++)
		if (hs->jobs[i].pid != -1)
			hs->jobs[k++] = hs->jobs[i];
	hs->njobs = k;
	for (i = 0; i < hs->njobs; i++) {
		j = &hs->jobs[i];
		if (j->pid != 0)
			continue;
		if (j->next_ms > now) {
			next = j->next_ms < next ? j->next_ms : next;
			continue;
		}
		if (j->h->running >= j->h->c->max_running)
			continue;	/* a child's exit wakes the loop */
		job_start(n, j);
		if (j->pid > 0)
			next = now + HOOK_REAP_MS < next ? now + HOOK_REAP_MS : next;
	}
	for (i = k = 0; i < hs->njobs; i++)
		if (hs->jobs[i].pid != -1)
			hs->jobs[k++] = hs->jobs[i];
	hs->njobs = k;
	if (now >= hs->next_scan) {
		for (i = 0; i < hs->n; i++)
			if (hs->v[i].c->on == HOOK_ON_OVERDUE)
				hook_scan(n, &hs->v[i]);
		hs->next_scan = now + HOOK_SCAN_MS;
	}
	next = hs->next_scan < next ? hs->next_scan : next;
	return next;
}

size_t
hook_poll_add(struct node *n, zmq_pollitem_t *items, size_t max)
{
	struct hooks *hs = n->hooks;
	size_t i, k = 0;

	if (hs == NULL)
		return 0;
	for (i = 0; i < hs->njobs && k + 2 <= max; i++) {
		struct hook_job *j = &hs->jobs[i];

		if (j->pid <= 0)
			continue;
		if (j->in_fd != -1) {
			items[k].socket = NULL;
			items[k].fd = j->in_fd;
			items[k++].events = ZMQ_POLLOUT;
		}
		if (j->out_fd != -1) {
			items[k].socket = NULL;
			items[k].fd = j->out_fd;
			items[k++].events = ZMQ_POLLIN;
		}
	}
	return k;
}

void
hook_poll_events(struct node *n, const zmq_pollitem_t *items, size_t nitems)
{
	struct hooks *hs = n->hooks;
	size_t i, k;

	if (hs == NULL || nitems == 0)
		return;
	/* The items name descriptors; the jobs may have moved since: match by descriptor. */
	for (k = 0; k < nitems; k++) {
		if (items[k].revents == 0)
			continue;
		for (i = 0; i < hs->njobs; i++) {
			struct hook_job *j = &hs->jobs[i];

			if (j->pid <= 0)
				continue;
			if (j->in_fd == items[k].fd)
				job_write(j);
			else if (j->out_fd == items[k].fd)
				job_read(j);
		}
	}
}

size_t
hook_poll_max(const struct node *n)
{
	const struct hooks *hs = n->hooks;
	size_t i, max = 0;

	for (i = 0; hs != NULL && i < hs->n; i++)
		max += 2 * hs->v[i].c->max_running;
	return max;
}

/* ---- start, status, free ---------------------------------------------------------- */

static struct conf_hook *
conf_hook_copy(const struct conf_hook *c)
{
	struct conf_hook *d;

	if ((d = malloc(sizeof(*d))) == NULL)
		return NULL;
	*d = *c;
	d->name = strdup(c->name);
	d->command = strdup(c->command);
	d->region = c->region != NULL ? strdup(c->region) : NULL;
	if (d->name == NULL || d->command == NULL || (c->region != NULL && d->region == NULL)) {
		free(d->name);
		free(d->command);
		free(d->region);
		free(d);
		return NULL;
	}
	return d;
}

int
hook_start(struct node *n)
{
	struct hooks *hs;
	struct hook *h;
	const char *why;
	size_t i;

	if (n->conf->nhooks == 0)
		return 0;
	if ((hs = calloc(1, sizeof(*hs))) == NULL ||
	    (hs->v = calloc(n->conf->nhooks, sizeof(*hs->v))) == NULL) {
		free(hs);
		log_warnx("hooks: out of memory");
		return -1;
	}
	n->hooks = hs;
	for (i = 0; i < n->conf->nhooks; i++) {
		h = &hs->v[hs->n];
		h->fd = -1;
		if ((h->c = conf_hook_copy(&n->conf->hooks[i])) == NULL) {
			log_warnx("hooks: out of memory");
			return -1;
		}
		hs->n++;
		/* conf_load checked the command; this is the same split. */
		if ((h->argv = hook_argv_split(h->c->command, &why)) == NULL) {
			log_warnx("hook %s: command: %s", h->c->name, why);
			return -1;
		}
		if (record_open(n, h) != 0)
			return -1;
		log_info("hook %s: on %s: %s (%zu run%s recorded)", h->c->name,
		    h->c->on == HOOK_ON_WARNING ? "warning" : h->c->on == HOOK_ON_REPORT ?
		    "report" : "overdue", h->argv[0], h->ndone, h->ndone == 1 ? "" : "s");
	}
	/* What a stop left unfinished (stored, but no success recorded): run it now. */
	for (i = 0; i < hs->n; i++)
		if (hs->v[i].c->on != HOOK_ON_OVERDUE)
			hook_scan(n, &hs->v[i]);
	hs->next_scan = now_mono();
	return 0;
}

void
hook_status_json(struct node *n, json_t *o)
{
	struct hooks *hs = n->hooks;
	json_t *a, *e;
	size_t i, k, waiting;

	a = json_array();
	for (i = 0; hs != NULL && i < hs->n; i++) {
		struct hook *h = &hs->v[i];

		for (k = waiting = 0; k < hs->njobs; k++)
			if (hs->jobs[k].h == h && hs->jobs[k].pid == 0)
				waiting++;
		e = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "name", h->c->name,
		    "on", h->c->on == HOOK_ON_WARNING ? "warning" : h->c->on == HOOK_ON_REPORT ?
		    "report" : "overdue", "running", (json_int_t)h->running, "waiting",
		    (json_int_t)waiting, "runs", (json_int_t)h->runs, "ok", (json_int_t)h->ok,
		    "failures", (json_int_t)h->failures, "given_up", (json_int_t)h->given_up,
		    "recorded", (json_int_t)h->ndone);
		if (e == NULL)
			continue;
		if (h->failures > 0) {
			json_object_set_new(e, "last_error", json_string(h->last_error));
			json_object_set_new(e, "last_failed_ms",
			    json_integer((json_int_t)h->last_failed_ms));
		}
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "hooks", a);
}

void
hook_free(struct node *n)
{
	struct hooks *hs = n->hooks;
	size_t i;

	if (hs == NULL)
		return;
	/*
	 * A run still going is stopped with its process group and not recorded: it runs again
	 * at the next start (a hook runs at least once, and once when it finishes in time).
	 */
	for (i = 0; i < hs->njobs; i++) {
		if (hs->jobs[i].pid > 0) {
			(void)kill(-hs->jobs[i].pid, SIGKILL);
			(void)waitpid(hs->jobs[i].pid, NULL, 0);
		}
		close_fd(&hs->jobs[i].in_fd);
		close_fd(&hs->jobs[i].out_fd);
		free(hs->jobs[i].payload);
	}
	free(hs->jobs);
	for (i = 0; i < hs->n; i++) {
		struct hook *h = &hs->v[i];

		if (h->fd != -1)
			close(h->fd);
		free(h->argv);
		free(h->done);
		if (h->c != NULL) {
			free(h->c->name);
			free(h->c->command);
			free(h->c->region);
			free(h->c);
		}
	}
	free(hs->v);
	free(hs);
	n->hooks = NULL;
}
