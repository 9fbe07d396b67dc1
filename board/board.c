/*
 * board.c: `fenghuo board`, an HTTP server (libmicrohttpd) for the duty room's screen.
 *
 * It holds no node key and never writes: the JSON API runs the read verbs (duty, coverage,
 * trace, peers, show) with cli->json_sink set, so that the board serves the very objects their
 * --json prints, and a watcher thread follows the daemon's "watch" events (a cli_sub, as
 * `fenghuo watch` does) and hands them to every open /api/events stream (Server-Sent
 * Events). The pages are files of board/static built into the binary.
 *
 * Threads: libmicrohttpd runs a thread per connection. The verbs' readers use getopt and
 * one struct cli (its store and trust state), so calls into them are serialised by
 * board->lock; the event ring has its own lock and condition variable.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>

#include "board.h"
#include "crypto.h"
#include "fenghuo.h"
#include "metrics.h"
#include "store.h"
#include "wire.h"

#define BOARD_LISTEN_DEFAULT	"127.0.0.1:8400"
#define BOARD_MEMORY_LIMIT	(32 * 1024)	/* per connection: request line and headers */
#define BOARD_BODY_MAX		4096		/* a request body (none is taken yet) */
#define BOARD_CONN_MAX		64
#define BOARD_TOKEN_MAX		256
#define BOARD_RING		128		/* events kept for streams that lag */
#define BOARD_PING_S		15		/* an SSE comment this often keeps proxies open */
#define BOARD_DUTY_MAX		1000		/* items of one kind in /api/duty */
#define BOARD_VERIFY_CACHE	(1 << 17)	/* signatures remembered (32 bytes each) */
#define BOARD_TRACE_S		"3"		/* how long /api/trace waits for the mesh */
/* A verb's argv from literals: getopt_long permutes the array, never the strings. */
#define BOARD_ARG(s)		((char *)(uintptr_t)(s))

static int	cmd_board_exec(struct cli *, int, char **);

const struct cmd_entry cmd_board_entry = {
	"board",
	"board [--listen ADDR:PORT] [--token-file FILE]",
	"Serve the duty board: web pages for the duty room's screen and the JSON API behind\n"
	"them (docs/BOARD.md), read from this node's store and its fenghuod's events. It\n"
	"holds no key and changes nothing. Stop with Ctrl-C.\n"
	"  --listen ADDR:PORT   where to listen (IPv4; default " BOARD_LISTEN_DEFAULT "). Any\n"
	"                       address but 127.0.0.1 needs --token-file; put TLS in front\n"
	"                       (a reverse proxy) when the screen is on another machine\n"
	"  --token-file FILE    the access token (its first line): every request must carry\n"
	"                       it (Authorization: Bearer, or ?token= once, which sets a cookie)",
	cmd_board_exec,
};

struct board {
	struct cli		*cli;		/* the readers' state; under lock */
	pthread_mutex_t		 lock;
	int			 need_token;
	unsigned char		 token_hash[crypto_generichash_BYTES];

	/* The events for /api/events: a ring of JSON texts, numbered from 1. */
	pthread_mutex_t		 ev_lock;
	pthread_cond_t		 ev_cond;
	char			*ring[BOARD_RING];
	uint64_t		 ev_seq;	/* the number of the newest event */
	int			 daemon_up;
	unsigned		 streams;	/* open /api/events */
	uint64_t		 requests;
	int			 stop;

	char			*state;		/* for the watcher's own struct cli */
	pthread_t		 watcher;
};

static volatile sig_atomic_t board_quit;

/* A formatted string (caller frees), or NULL. */
static char *
board_fmt(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static char *
board_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static void
board_sighandler(int sig)
{
	(void)sig;
	board_quit = 1;
}

/* ---- events ---- */

/* Add one event (type and JSON data) to the ring and wake every stream. */
static void
board_publish(struct board *b, const char *type, json_t *data)
{
	char *d, *s = NULL;

	if ((d = json_dumps(data, JSON_COMPACT)) == NULL)
		return;
	s = board_fmt("event: %s\ndata: %s\n\n", type, d);
	free(d);
	if (s == NULL)
		return;
	pthread_mutex_lock(&b->ev_lock);
	b->ev_seq++;
	free(b->ring[b->ev_seq % BOARD_RING]);
	b->ring[b->ev_seq % BOARD_RING] = s;
	pthread_cond_broadcast(&b->ev_cond);
	pthread_mutex_unlock(&b->ev_lock);
}

static void
board_daemon_state(struct board *b, int up)
{
	json_t *o;

	pthread_mutex_lock(&b->ev_lock);
	b->daemon_up = up;
	pthread_mutex_unlock(&b->ev_lock);
	if ((o = json_pack("{s:b}", "up", up)) != NULL) {
		board_publish(b, "daemon", o);
		json_decref(o);
	}
}

/* A message event: what a page needs to decide whether to fetch again and to sound. */
static void
board_message(struct board *b, const struct cli_sub_event *ev)
{
	struct fc_msg msg;
	uint64_t now = cli_now_ms();
	json_t *o;

	if ((o = json_object()) == NULL)
		return;
	json_object_set_new(o, "id", ev->id != NULL ? json_string(ev->id) : json_null());
	if (ev->env != NULL && fc_validate(ev->env, ev->len, now, now, &msg) == FC_R_OK) {
		const char *k = wire_kind_name(msg.body->kind);

		json_object_set_new(o, "kind", k != NULL ? json_string(k) : json_null());
		if (msg.body->warning != NULL) {
			const char *l = wire_level_name(msg.body->warning->level);

			json_object_set_new(o, "level", l != NULL ? json_string(l) : json_null());
		}
		json_object_set_new(o, "drill", json_boolean(cli_status_drill(msg.body)));
		fc_msg_clear(&msg);
	}
	board_publish(b, "message", o);
	json_decref(o);
}

static int64_t
board_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The watcher: subscribe to the daemon's events, waiting for the daemon when it is not
 * running, and publish each event. Its own struct cli: the readers' one is under b->lock.
 */
static void *
board_watch(void *arg)
{
	struct board *b = arg;
	struct cli wcli;
	struct cli_sub *sub = NULL;
	struct cli_sub_event ev;
	int64_t retry = 0;

	memset(&wcli, 0, sizeof(wcli));
	wcli.state = b->state;
	wcli.verb = "board";
	for (;;) {
		pthread_mutex_lock(&b->ev_lock);
		if (b->stop) {
			pthread_mutex_unlock(&b->ev_lock);
			break;
		}
		pthread_mutex_unlock(&b->ev_lock);
		if (sub == NULL) {
			if (board_mono_ms() < retry) {
				usleep(200 * 1000);
				continue;
			}
			if (!cli_daemon_running(&wcli) || cli_sub_open(&wcli, &sub) != EX_OK) {
				sub = NULL;
				retry = board_mono_ms() + 1000;
				continue;
			}
			board_daemon_state(b, 1);
		}
		if (cli_sub_next(sub, board_mono_ms() + 1000, &ev) != EX_OK) {
			cli_sub_close(&sub);
			board_daemon_state(b, 0);
			retry = board_mono_ms() + 1000;
			continue;
		}
		if (ev.type == CLI_SUB_MESSAGE)
			board_message(b, &ev);
		else if (ev.type == CLI_SUB_LOST)
			board_daemon_state(b, 0);
		else if (ev.type == CLI_SUB_BACK)
			board_daemon_state(b, 1);
	}
	cli_sub_close(&sub);
	cli_free(&wcli);
	return NULL;
}

/* One open /api/events stream. */
struct board_stream {
	struct board	*b;
	uint64_t	 seq;		/* the last event sent */
	int		 started;
};

/*
 * libmicrohttpd asks for the next bytes of a stream (on its own thread): the events after
 * s->seq, or a comment after BOARD_PING_S seconds of none.
 */
static ssize_t
board_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct board_stream *s = cls;
	struct board *b = s->b;
	struct timespec until;
	size_t n = 0, l;
	int rc = 0;

	(void)pos;
	pthread_mutex_lock(&b->ev_lock);
	if (!s->started) {
		s->started = 1;
		s->seq = b->ev_seq;
		/* The browser reconnects by itself after 2 s when the stream breaks. */
		n = (size_t)snprintf(buf, max, "retry: 2000\nevent: daemon\ndata: {\"up\":%s}\n\n",
		    b->daemon_up ? "true" : "false");
		pthread_mutex_unlock(&b->ev_lock);
		return n < max ? (ssize_t)n : 0;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += BOARD_PING_S;
	while (!b->stop && s->seq == b->ev_seq && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&b->ev_cond, &b->ev_lock, &until);
	if (b->stop) {
		pthread_mutex_unlock(&b->ev_lock);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	if (b->ev_seq - s->seq > BOARD_RING - 1) {
		/* Too far behind: the page fetches everything again. */
		s->seq = b->ev_seq;
		n = (size_t)snprintf(buf, max, "event: resync\ndata: {}\n\n");
	}
	while (s->seq < b->ev_seq) {
		const char *e = b->ring[(s->seq + 1) % BOARD_RING];

		l = strlen(e);
		if (n + l > max)
			break;
		memcpy(buf + n, e, l);
		n += l;
		s->seq++;
	}
	pthread_mutex_unlock(&b->ev_lock);
	if (n == 0)
		n = (size_t)snprintf(buf, max, ": ping\n\n");
	return (ssize_t)n;
}

static void
board_stream_free(void *cls)
{
	struct board_stream *s = cls;

	pthread_mutex_lock(&s->b->ev_lock);
	s->b->streams--;
	pthread_mutex_unlock(&s->b->ev_lock);
	free(s);
}

/* ---- the readers ---- */

static int
board_collect(void *arg, json_t *o)
{
	return json_array_append(arg, o);
}

/*
 * The duty list's collector: at most BOARD_DUTY_MAX items of each "duty" kind (a screen
 * shows no more, and a store full of open reports would otherwise cost the board hundreds of
 * MB), the rest counted in "omitted". The reader's order is kept: the oldest reports first.
 */
struct board_duty {
	json_t	*items;
	json_t	*counts;	/* duty kind -> items seen */
	json_t	*omitted;	/* duty kind -> items left out */
};

static int
board_collect_duty(void *arg, json_t *o)
{
	struct board_duty *d = arg;
	const char *k = json_string_value(json_object_get(o, "duty"));
	json_int_t n;

	if (k == NULL)
		k = "";
	n = json_integer_value(json_object_get(d->counts, k)) + 1;
	json_object_set_new(d->counts, k, json_integer(n));
	if (n <= BOARD_DUTY_MAX)
		return json_array_append(d->items, o);
	json_object_set_new(d->omitted, k, json_integer(n - BOARD_DUTY_MAX));
	return 0;
}

/*
 * The duty reader asks before it builds an item (cli->json_want): past BOARD_DUTY_MAX of
 * its kind, the item is only counted in "omitted", never built (with 100,000 open reports,
 * building them was most of the list's time). What it builds comes to board_collect_duty,
 * whose count then agrees with this one.
 */
static int
board_want_duty(void *arg, const char *kind)
{
	struct board_duty *d = arg;
	json_int_t n = json_integer_value(json_object_get(d->counts, kind));

	if (n < BOARD_DUTY_MAX)
		return 1;
	json_object_set_new(d->counts, kind, json_integer(n + 1));
	json_object_set_new(d->omitted, kind, json_integer(n + 1 - BOARD_DUTY_MAX));
	return 0;
}

/*
 * Run a read verb with argv (its --json included) and collect its JSON objects into *out
 * (caller owns). The verb's exit status: EX_OK, or what it returned (the message went to
 * standard error).
 */
static int	board_verb_sink(struct board *, const struct cmd_entry *, int, char **,
		    int (*)(void *, json_t *), void *);

static int
board_verb(struct board *b, const struct cmd_entry *e, int argc, char **argv, json_t **out)
{
	json_t *a;
	int rc;

	if ((a = json_array()) == NULL)
		return EX_OSERR;
	if ((rc = board_verb_sink(b, e, argc, argv, board_collect, a)) != EX_OK) {
		json_decref(a);
		return rc;
	}
	*out = a;
	return EX_OK;
}

static int	board_verb_run(struct board *, const struct cmd_entry *, int, char **,
		    int (*)(void *, json_t *), int (*)(void *, const char *), void *);

/* Run a read verb with argv (its --json included), each JSON object to sink(arg, o). */
static int
board_verb_sink(struct board *b, const struct cmd_entry *e, int argc, char **argv,
    int (*sink)(void *, json_t *), void *arg)
{
	return board_verb_run(b, e, argc, argv, sink, NULL, arg);
}

/*
 * board_verb_sink, the reader asking want(arg, kind) before it builds an object (NULL: it
 * builds all). Afterwards the pages of the store the verb read leave the board's resident
 * set: they stay in the page cache, and a board that read a year of receipts once would
 * otherwise keep them counted in its RSS for good.
 */
static int
board_verb_run(struct board *b, const struct cmd_entry *e, int argc, char **argv,
    int (*sink)(void *, json_t *), int (*want)(void *, const char *), void *arg)
{
	struct cli *cli = b->cli;
	int rc;

	pthread_mutex_lock(&b->lock);
	cli->json = 0;
	cli->format = CLI_FMT_TEXT;
	cli->emitted = 0;
	cli->columns = NULL;
	cli->verb = e->name;
	cli->json_sink = sink;
	cli->json_sink_arg = arg;
	cli->json_want = want;
	/* Certificates may have come since the last request. */
	cli_trust_forget(cli);
	optind = 0;
	rc = e->exec(cli, argc, argv);
	cli->json_sink = NULL;
	cli->json_sink_arg = NULL;
	cli->json_want = NULL;
	if (cli->store != NULL)
		(void)store_release_pages(cli->store);
	pthread_mutex_unlock(&b->lock);
	return rc;
}

/* ---- HTTP ---- */

static void
board_headers(struct MHD_Response *r, const char *type)
{
	MHD_add_response_header(r, "Content-Type", type);
	/* Scripts, styles and data only from the board itself; nothing inline, no frames. */
	MHD_add_response_header(r, "Content-Security-Policy", "default-src 'none'; "
	    "script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
	    "media-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
}

static enum MHD_Result
board_send(struct MHD_Connection *c, unsigned status, const char *type, const void *data,
    size_t len, enum MHD_ResponseMemoryMode mode, const char *cookie)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, mode);
	if (r == NULL)
		return MHD_NO;
	board_headers(r, type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"fenghuo board\"");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	if (cookie != NULL)
		MHD_add_response_header(r, "Set-Cookie", cookie);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A JSON error {"error": why} with status. */
static enum MHD_Result
board_error(struct MHD_Connection *c, unsigned status, const char *why)
{
	json_t *o = json_pack("{s:s}", "error", why);
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	if (s == NULL)
		return MHD_NO;
	return board_send(c, status, "application/json", s, strlen(s), MHD_RESPMEM_MUST_FREE,
	    NULL);
}

static enum MHD_Result
board_json(struct MHD_Connection *c, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(o);
	if (s == NULL)
		return board_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	return board_send(c, MHD_HTTP_OK, "application/json", s, strlen(s),
	    MHD_RESPMEM_MUST_FREE, NULL);
}

/* The HTTP status for a verb's exit status. */
static enum MHD_Result
board_verb_failed(struct MHD_Connection *c, int rc)
{
	switch (rc) {
	case EX_DATAERR:
		return board_error(c, MHD_HTTP_NOT_FOUND, "no such message (or an ambiguous id)");
	case EX_USAGE:
		return board_error(c, MHD_HTTP_BAD_REQUEST, "malformed request");
	case EX_UNAVAILABLE:
		return board_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "fenghuod is not running");
	case EX_NOINPUT:
		return board_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no store yet");
	default:
		return board_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "could not read (see the board's log)");
	}
}

/* An id prefix as the CLI takes it: 8..64 lower or upper case hex digits. */
static int
board_id_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 8 && n <= 64 && strspn(s, "0123456789abcdefABCDEF") == n;
}

static int
board_region_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 2 && n <= 12 && strspn(s, "0123456789") == n;
}

static enum MHD_Result
board_api_duty(struct board *b, struct MHD_Connection *c)
{
	const char *region = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "region");
	char *argv[] = { BOARD_ARG("duty"), BOARD_ARG("--json"), BOARD_ARG("--region"), NULL,
	    NULL };
	struct board_duty d;
	json_t *o;
	int rc;

	if (region != NULL && !board_region_ok(region))
		return board_error(c, MHD_HTTP_BAD_REQUEST, "region: 2 to 12 digits");
	argv[3] = (char *)(uintptr_t)region;
	d.items = json_array();
	d.counts = json_object();
	d.omitted = json_object();
	if (d.items == NULL || d.counts == NULL || d.omitted == NULL)
		rc = EX_OSERR;
	else
		rc = board_verb_run(b, &cmd_duty_entry, region != NULL ? 4 : 2, argv,
		    board_collect_duty, board_want_duty, &d);
	json_decref(d.counts);
	if (rc != EX_OK) {
		json_decref(d.items);
		json_decref(d.omitted);
		return board_verb_failed(c, rc);
	}
	o = json_pack("{s:I, s:o, s:o}", "now_ms", (json_int_t)cli_now_ms(), "items", d.items,
	    "omitted", d.omitted);
	return o != NULL ? board_json(c, o) :
	    board_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
}

/* /api/coverage/ID, /api/trace/ID: one object from the verb. */
static enum MHD_Result
board_api_one(struct board *b, struct MHD_Connection *c, const struct cmd_entry *e,
    const char *id)
{
	char *cargv[] = { BOARD_ARG("coverage"), BOARD_ARG("--json"), NULL, NULL };
	char *targv[] = { BOARD_ARG("trace"), BOARD_ARG("--json"), BOARD_ARG("--timeout"),
	    BOARD_ARG(BOARD_TRACE_S), NULL, NULL };
	char **argv = e == &cmd_trace_entry ? targv : cargv;
	int argc = e == &cmd_trace_entry ? 5 : 3, rc;
	json_t *a, *o;

	if (!board_id_ok(id))
		return board_error(c, MHD_HTTP_NOT_FOUND, "not a message id (8 to 64 hex digits)");
	argv[argc - 1] = (char *)(uintptr_t)id;
	if ((rc = board_verb(b, e, argc, argv, &a)) != EX_OK)
		return board_verb_failed(c, rc);
	o = json_incref(json_array_get(a, 0));
	json_decref(a);
	return o != NULL ? board_json(c, o) :
	    board_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the reader gave nothing");
}

/*
 * /api/message/ID: `show --json ID`, the message and then what refers to it (a report's
 * loop receipts, a warning's updates) as {"message": {...}, "refs": [...]}.
 */
static enum MHD_Result
board_api_message(struct board *b, struct MHD_Connection *c, const char *id)
{
	char *argv[] = { BOARD_ARG("show"), BOARD_ARG("--json"), NULL, NULL };
	json_t *a, *o;
	int rc;

	if (!board_id_ok(id))
		return board_error(c, MHD_HTTP_NOT_FOUND, "not a message id (8 to 64 hex digits)");
	argv[2] = (char *)(uintptr_t)id;
	if ((rc = board_verb(b, &cmd_show_entry, 3, argv, &a)) != EX_OK)
		return board_verb_failed(c, rc);
	if (json_array_size(a) == 0) {
		json_decref(a);
		return board_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the reader gave nothing");
	}
	o = json_pack("{s:O}", "message", json_array_get(a, 0));
	json_array_remove(a, 0);
	if (o == NULL || json_object_set_new(o, "refs", a) == -1) {
		json_decref(o);
		return board_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	return board_json(c, o);
}

static enum MHD_Result
board_api_peers(struct board *b, struct MHD_Connection *c)
{
	char *argv[] = { BOARD_ARG("peers"), BOARD_ARG("--json"), NULL };
	json_t *a, *o;
	int rc;

	if ((rc = board_verb(b, &cmd_peers_entry, 2, argv, &a)) != EX_OK)
		return board_verb_failed(c, rc);
	o = json_incref(json_array_get(a, 0));
	json_decref(a);
	return o != NULL ? board_json(c, o) :
	    board_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the reader gave nothing");
}

/*
 * /metrics in the Prometheus text format: the duty figures and the board's own. One
 * function, so that a fuller renderer can take its place.
 */
/* The duty figures of /metrics, counted as the reader hands them over (nothing kept). */
struct board_counts {
	size_t	open, overdue, inforce, drills;
};

static int
board_count_duty(void *arg, json_t *o)
{
	struct board_counts *n = arg;
	const char *d = json_string_value(json_object_get(o, "duty"));

	if (d == NULL)
		return 0;
	if (strcmp(d, "report") == 0) {
		n->open++;
		n->overdue += json_is_true(json_object_get(o, "overdue"));
	} else if (strcmp(d, "warning") == 0)
		n->inforce++;
	else if (strncmp(d, "drill-", 6) == 0)
		n->drills++;
	return 0;
}

/*
 * /metrics: the daemon's own counters, rendered by the code of `fenghuo status
 * --prometheus` (metrics.h), when a daemon answers; then the duty counts and the board's own
 * gauges. NULL when out of memory.
 */
static char *
board_metrics_render(struct board *b)
{
	char *argv[] = { BOARD_ARG("duty"), BOARD_ARG("--json"), NULL };
	struct board_counts n;
	json_t *st = NULL;
	char *s = NULL, *own;
	size_t len = 0;
	unsigned streams;
	uint64_t requests;
	int up, ok;
	FILE *f;

	memset(&n, 0, sizeof(n));
	ok = board_verb_sink(b, &cmd_duty_entry, 2, argv, board_count_duty, &n) == EX_OK;
	pthread_mutex_lock(&b->lock);
	if (cli_daemon_status(b->cli, NULL, &st) != EX_OK)
		st = NULL;
	pthread_mutex_unlock(&b->lock);
	pthread_mutex_lock(&b->ev_lock);
	up = b->daemon_up;
	streams = b->streams;
	requests = b->requests;
	pthread_mutex_unlock(&b->ev_lock);
	own = board_fmt(
	    "# HELP fenghuo_board_store_readable Whether the board could read the store.\n"
	    "# TYPE fenghuo_board_store_readable gauge\n"
	    "fenghuo_board_store_readable %d\n"
	    "# HELP fenghuo_board_daemon_up Whether the board follows fenghuod's events.\n"
	    "# TYPE fenghuo_board_daemon_up gauge\n"
	    "fenghuo_board_daemon_up %d\n"
	    "# HELP fenghuo_duty_open_reports Open (not closed) actual reports.\n"
	    "# TYPE fenghuo_duty_open_reports gauge\n"
	    "fenghuo_duty_open_reports %zu\n"
	    "# HELP fenghuo_duty_overdue_reports Open reports not registered in time.\n"
	    "# TYPE fenghuo_duty_overdue_reports gauge\n"
	    "fenghuo_duty_overdue_reports %zu\n"
	    "# HELP fenghuo_duty_warnings_in_force Actual warnings in force.\n"
	    "# TYPE fenghuo_duty_warnings_in_force gauge\n"
	    "fenghuo_duty_warnings_in_force %zu\n"
	    "# HELP fenghuo_duty_exercise_items Exercise and test items on the duty list.\n"
	    "# TYPE fenghuo_duty_exercise_items gauge\n"
	    "fenghuo_duty_exercise_items %zu\n"
	    "# HELP fenghuo_board_event_streams Open /api/events streams.\n"
	    "# TYPE fenghuo_board_event_streams gauge\n"
	    "fenghuo_board_event_streams %u\n"
	    "# HELP fenghuo_board_requests_total HTTP requests served.\n"
	    "# TYPE fenghuo_board_requests_total counter\n"
	    "fenghuo_board_requests_total %llu\n",
	    ok, up, n.open, n.overdue, n.inforce, n.drills, streams,
	    (unsigned long long)requests);
	if (own == NULL || (f = open_memstream(&s, &len)) == NULL) {
		free(own);
		json_decref(st);
		return NULL;
	}
	ok = (st == NULL || metrics_write(f, st) == 0) && fputs(own, f) != EOF;
	ok = fclose(f) == 0 && ok;
	free(own);
	json_decref(st);
	if (!ok) {
		free(s);
		return NULL;
	}
	return s;
}

static enum MHD_Result
board_events(struct board *b, struct MHD_Connection *c)
{
	struct board_stream *s;
	struct MHD_Response *r;
	enum MHD_Result ret;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return MHD_NO;
	s->b = b;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, board_stream_read, s,
	    board_stream_free);
	if (r == NULL) {
		free(s);
		return MHD_NO;
	}
	pthread_mutex_lock(&b->ev_lock);
	b->streams++;
	pthread_mutex_unlock(&b->ev_lock);
	board_headers(r, "text/event-stream; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *
board_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".wav", "audio/wav" },
	};
	const char *dot = strrchr(path, '.');
	size_t i;

	for (i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

static enum MHD_Result
board_asset(struct MHD_Connection *c, const char *url, const char *cookie)
{
	size_t i;

	if (strcmp(url, "/") == 0)
		url = "/index.html";
	for (i = 0; i < board_nassets; i++)
		if (strcmp(board_assets[i].path, url) == 0)
			return board_send(c, MHD_HTTP_OK, board_type(url), board_assets[i].data,
			    board_assets[i].len, MHD_RESPMEM_PERSISTENT, cookie);
	return board_error(c, MHD_HTTP_NOT_FOUND, "not found");
}

static int
board_token_ok(const struct board *b, const char *t)
{
	unsigned char h[crypto_generichash_BYTES];

	if (t == NULL || strlen(t) > BOARD_TOKEN_MAX)
		return 0;
	/* Hashed first, so that the comparison takes the same time whatever the length. */
	crypto_generichash(h, sizeof(h), (const unsigned char *)t, strlen(t), NULL, 0);
	return sodium_memcmp(h, b->token_hash, sizeof(h)) == 0;
}

/*
 * Whether the request carries the token: "Authorization: Bearer T", the board's cookie, or
 * ?token=T (a screen's first URL; answered with the cookie, *set).
 */
static int
board_authorized(struct board *b, struct MHD_Connection *c, int *set)
{
	const char *h, *t;

	*set = 0;
	if (!b->need_token)
		return 1;
	h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (h != NULL && strncmp(h, "Bearer ", 7) == 0 && board_token_ok(b, h + 7))
		return 1;
	t = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "fh_board_token");
	if (t != NULL && board_token_ok(b, t))
		return 1;
	t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
	if (t != NULL && board_token_ok(b, t)) {
		*set = 1;
		return 1;
	}
	return 0;
}

static enum MHD_Result
board_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **ctx)
{
	static int started;
	struct board *b = cls;
	const char *cl;
	char cookie[BOARD_TOKEN_MAX + 80], *m;
	int set;

	(void)version;
	(void)upload;
	if (*ctx == NULL) {
		/* The headers are in: refuse a body before it is read. */
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > BOARD_BODY_MAX)
			return board_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "request too large");
		*ctx = &started;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		/* Bodies are not taken (no action needs one): read and drop. */
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&b->ev_lock);
	b->requests++;
	pthread_mutex_unlock(&b->ev_lock);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return board_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET");
	if (!board_authorized(b, c, &set))
		return board_error(c, MHD_HTTP_UNAUTHORIZED, "a token is required");
	/*
	 * libmicrohttpd has decoded %XX: refuse what could name a parent directory or anything
	 * but a plain path, whatever it would have reached.
	 */
	if (url[0] != '/' || strstr(url, "..") != NULL || strchr(url, '\\') != NULL ||
	    strstr(url, "//") != NULL)
		return board_error(c, MHD_HTTP_BAD_REQUEST, "malformed path");
	if (strcmp(url, "/api/duty") == 0)
		return board_api_duty(b, c);
	if (strncmp(url, "/api/coverage/", 14) == 0)
		return board_api_one(b, c, &cmd_coverage_entry, url + 14);
	if (strncmp(url, "/api/trace/", 11) == 0)
		return board_api_one(b, c, &cmd_trace_entry, url + 11);
	if (strncmp(url, "/api/message/", 13) == 0)
		return board_api_message(b, c, url + 13);
	if (strcmp(url, "/api/peers") == 0)
		return board_api_peers(b, c);
	if (strcmp(url, "/api/events") == 0)
		return board_events(b, c);
	if (strcmp(url, "/metrics") == 0) {
		if ((m = board_metrics_render(b)) == NULL)
			return board_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		return board_send(c, MHD_HTTP_OK, METRICS_CONTENT_TYPE, m,
		    strlen(m), MHD_RESPMEM_MUST_FREE, NULL);
	}
	if (strncmp(url, "/api/", 5) == 0)
		return board_error(c, MHD_HTTP_NOT_FOUND, "no such API");
	if (set) {
		snprintf(cookie, sizeof(cookie), "fh_board_token=%s; Path=/; HttpOnly; "
		    "SameSite=Strict", MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "token"));
		/* It matched the token, whose characters are all cookie-safe (load_token). */
		return board_asset(c, url, cookie);
	}
	return board_asset(c, url, NULL);
}

/* "ADDR:PORT" (IPv4) into sa. 0, or -1. */
static int
board_parse_listen(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	uint64_t port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host) ||
	    cli_parse_uint(colon + 1, 65535, &port) != 0 || port == 0)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* The token: the first line of path, printable, 16 to BOARD_TOKEN_MAX bytes. */
static int
board_load_token(struct cli *cli, struct board *b, const char *path)
{
	char buf[BOARD_TOKEN_MAX + 2];
	FILE *fp;
	size_t n, i;

	if ((fp = fopen(path, "r")) == NULL) {
		cli_warn(cli, "%s", path);
		return EX_NOINPUT;
	}
	if (fgets(buf, sizeof(buf), fp) == NULL)
		buf[0] = '\0';
	fclose(fp);
	buf[strcspn(buf, "\r\n")] = '\0';
	n = strlen(buf);
	for (i = 0; i < n; i++)
		if (buf[i] <= ' ' || buf[i] > '~' || strchr(";,\"\\", buf[i]) != NULL)
			break;
	if (n < 16 || n > BOARD_TOKEN_MAX || i != n) {
		cli_warnx(cli, "%s: the token must be one line of 16 to %d printable characters "
		    "(no spaces, ; , \" or \\)", path, BOARD_TOKEN_MAX);
		sodium_memzero(buf, sizeof(buf));
		return EX_DATAERR;
	}
	crypto_generichash(b->token_hash, sizeof(b->token_hash), (unsigned char *)buf, n,
	    NULL, 0);
	sodium_memzero(buf, sizeof(buf));
	b->need_token = 1;
	return EX_OK;
}

static int
cmd_board_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "token-file", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = BOARD_LISTEN_DEFAULT, *tokfile = NULL;
	struct sockaddr_in sa;
	struct sigaction act, oint, oterm;
	struct MHD_Daemon *d;
	struct board b;
	size_t i;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			listen = optarg;
			break;
		case 't':
			tokfile = optarg;
			break;
		case 'h':
			return cli_help(&cmd_board_entry);
		default:
			return cli_usage(&cmd_board_entry);
		}
	}
	if (optind != argc)
		return cli_usage(&cmd_board_entry);
	if (board_parse_listen(listen, &sa) != 0) {
		cli_warnx(cli, "--listen %s: not an IPv4 ADDR:PORT", listen);
		return EX_USAGE;
	}
	if (sodium_init() < 0) {
		cli_warnx(cli, "libsodium failed to initialise");
		return EX_SOFTWARE;
	}
	/*
	 * Every request validates the messages it shows again, and the signature checks were
	 * nearly all of a duty list's time: remember the ones that verified (4 MiB, enough for
	 * a store of a few hundred thousand messages; a miss only costs a check).
	 */
	if (fc_verify_cache_enable(BOARD_VERIFY_CACHE) != 0) {
		cli_warnx(cli, "out of memory");
		return EX_OSERR;
	}
	memset(&b, 0, sizeof(b));
	if (tokfile != NULL && (rc = board_load_token(cli, &b, tokfile)) != EX_OK)
		return rc;
	if (!b.need_token && sa.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) {
		cli_warnx(cli, "--listen %s: beyond 127.0.0.1 the board needs --token-file (and "
		    "TLS in front: docs/BOARD.md)", listen);
		return EX_USAGE;
	}
	b.cli = cli;
	b.state = (char *)(uintptr_t)cli->state;
	pthread_mutex_init(&b.lock, NULL);
	pthread_mutex_init(&b.ev_lock, NULL);
	pthread_cond_init(&b.ev_cond, NULL);

	memset(&act, 0, sizeof(act));
	act.sa_handler = board_sighandler;
	sigemptyset(&act.sa_mask);
	sigaction(SIGINT, &act, &oint);
	sigaction(SIGTERM, &act, &oterm);
	signal(SIGPIPE, SIG_IGN);

	if (pthread_create(&b.watcher, NULL, board_watch, &b) != 0) {
		cli_warnx(cli, "cannot start the event watcher");
		rc = EX_OSERR;
		goto out;
	}
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ERROR_LOG, 0, NULL, NULL, board_handler, &b,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)BOARD_MEMORY_LIMIT,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)BOARD_CONN_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(4 * BOARD_PING_S),
	    MHD_OPTION_END);
	if (d == NULL) {
		cli_warn(cli, "cannot listen on %s", listen);
		rc = EX_UNAVAILABLE;
	} else {
		fprintf(stderr, "fenghuo board: listening on http://%s/\n", listen);
		while (!board_quit)
			usleep(100 * 1000);
		rc = EX_OK;
	}
	pthread_mutex_lock(&b.ev_lock);
	b.stop = 1;
	pthread_cond_broadcast(&b.ev_cond);
	pthread_mutex_unlock(&b.ev_lock);
	if (d != NULL)
		MHD_stop_daemon(d);
	pthread_join(b.watcher, NULL);
out:
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGTERM, &oterm, NULL);
	for (i = 0; i < BOARD_RING; i++)
		free(b.ring[i]);
	pthread_cond_destroy(&b.ev_cond);
	pthread_mutex_destroy(&b.ev_lock);
	pthread_mutex_destroy(&b.lock);
	return rc;
}
