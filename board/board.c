/*
 * board.c: `fenghuo board`, an HTTP server (libmicrohttpd) for the duty room's screen.
 *
 * It holds no node key and never writes: the JSON API runs the read verbs (duty, coverage,
 * trace, peers, show) with cli->json_sink set, so that the board serves the very objects their
 * --json prints, and a watcher thread follows the daemon's "watch" events (a cli_sub, as
 * `fenghuo watch` does) and hands them to every open /api/events stream (Server-Sent
 * Events). The pages are files of board/static built into the binary.
 *
 * The one exception is --key: then POST /api/report/ID/stage runs the receipt verb itself,
 * with that key, through fenghuod only, for a page that holds a session of this board and
 * its CSRF token (docs/SECURITY.md, "The duty board").
 *
 * Threads: libmicrohttpd runs a thread per connection. The verbs' readers use getopt and
 * one struct cli (its store and trust state), so calls into them are serialised by
 * board->lock; the event ring has its own lock and condition variable.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
#define BOARD_BODY_MAX		4096		/* a request body (an action's JSON) */
#define BOARD_CONN_MAX		64
#define BOARD_TOKEN_MAX		256
#define BOARD_RING		128		/* events kept for streams that lag */
#define BOARD_PING_S		15		/* an SSE comment this often keeps proxies open */
#define BOARD_DUTY_MAX		1000		/* items of one kind in /api/duty */
#define BOARD_VERIFY_CACHE	(1 << 17)	/* signatures remembered (32 bytes each) */
#define BOARD_TRACE_S		"3"		/* how long /api/trace waits for the mesh */
#define BOARD_SESSIONS		32		/* kept; a new one takes the slot unused longest */
#define BOARD_SECRET_HEX	64		/* a session id or CSRF token: 32 random bytes */
#define BOARD_SESSION_COOKIE	"fh_board_session"
#define BOARD_NOTE_MAX		1000		/* bytes of an action's note */
#define BOARD_STR_(x)		#x
#define BOARD_STR(x)		BOARD_STR_(x)
/* A verb's argv from literals: getopt_long permutes the array, never the strings. */
#define BOARD_ARG(s)		((char *)(uintptr_t)(s))

static int	cmd_board_exec(struct cli *, int, char **);

const struct cmd_entry cmd_board_entry = {
	"board",
	"board [--listen ADDR:PORT] [--token-file FILE] [--drills DIR] [--key FILE]",
	"Serve the duty board: web pages for the duty room's screen and the JSON API behind\n"
	"them (docs/BOARD.md), read from this node's store and its fenghuod's events. Without\n"
	"--key it holds no key and changes nothing. Stop with Ctrl-C.\n"
	"  --listen ADDR:PORT   where to listen: 127.0.0.1:8400 (the default), [::1]:8400,\n"
	"                       [::]:8400 (IPv6 in brackets). Any address but 127.0.0.1 and\n"
	"                       ::1 needs --token-file; put TLS in front (a reverse proxy)\n"
	"                       when the screen is on another machine\n"
	"  --token-file FILE    the access token (its first line): every request must carry\n"
	"                       it (Authorization: Bearer, or ?token= once, which sets a cookie)\n"
	"  --drills DIR         drill reports to show: each subdirectory holding a report.md\n"
	"                       (`fenghuo drill report ID -o DIR/NAME`); default STATE/drills\n"
	"  --key FILE           an officer's key: the report pages offer register, verify,\n"
	"                       handling and close, each confirmed, signed with this key and\n"
	"                       submitted through fenghuod as `fenghuo receipt` does. Whoever\n"
	"                       can reach the board then acts as this officer (docs/SECURITY.md)",
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
	char			*drills;	/* the drills directory (drills.c), or NULL */
	/* --key: actions, signed with b->cli's key (the officer's), and the pages' sessions. */
	int			 actions;
	char			 officer[2 * FC_PUBLICKEYBYTES + 1];	/* its public key, hex */
	pthread_mutex_t		 sess_lock;
	struct board_session {
		uint64_t	 used;		/* sess_clock when last used; 0: a free slot */
		char		 sid[BOARD_SECRET_HEX + 1];
		char		 csrf[BOARD_SECRET_HEX + 1];
	}			 sessions[BOARD_SESSIONS];
	uint64_t		 sess_clock;
};

static volatile sig_atomic_t board_quit;
/* The context of a request without a body (a POST's is its struct board_body). */
static int board_nobody;

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
	json_t *c = json_object_get(d->counts, kind), *o;
	json_int_t n = json_integer_value(c);

	if (n < BOARD_DUTY_MAX)
		return 1;
	/* The counts in place: 100,000 declined reports cost no allocation each. */
	json_integer_set(c, n + 1);
	if ((o = json_object_get(d->omitted, kind)) != NULL)
		json_integer_set(o, n + 1 - BOARD_DUTY_MAX);
	else
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
static int	board_verb_count(struct board *, const struct cmd_entry *, int, char **,
		    int (*)(void *, json_t *), int (*)(void *, const char *), void *,
		    struct cli_duty_counts *);

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
	return board_verb_count(b, e, argc, argv, sink, want, arg, NULL);
}

/* board_verb_run, and the duty list's counts into *counts when not NULL. */
static int
board_verb_count(struct board *b, const struct cmd_entry *e, int argc, char **argv,
    int (*sink)(void *, json_t *), int (*want)(void *, const char *), void *arg,
    struct cli_duty_counts *counts)
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
	cli->duty_counts = counts;
	/* Certificates may have come since the last request. */
	cli_trust_forget(cli);
	optind = 0;
	rc = e->exec(cli, argc, argv);
	cli->json_sink = NULL;
	cli->json_sink_arg = NULL;
	cli->json_want = NULL;
	cli->duty_counts = NULL;
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
/*
 * /metrics counts the duty list without building it: every item declined (json_want), the
 * counts taken from the reader (cli->duty_counts), open reports without a loop receipt
 * counted from the store's loops tree alone.
 */
static int
board_decline_duty(void *arg, const char *kind)
{
	(void)arg;
	(void)kind;
	return 0;
}

static int
board_ignore_duty(void *arg, json_t *o)
{
	(void)arg;
	(void)o;
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
	struct cli_duty_counts n;
	json_t *st = NULL;
	char *s = NULL, *own;
	size_t len = 0;
	unsigned streams;
	uint64_t requests;
	int up, ok;
	FILE *f;

	memset(&n, 0, sizeof(n));
	ok = board_verb_count(b, &cmd_duty_entry, 2, argv, board_ignore_duty,
	    board_decline_duty, NULL, &n) == EX_OK;
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

/* ---- drill reports (drills.c) ---- */

/* The HTTP answer for an errno of drills.c. */
static enum MHD_Result
board_drills_failed(struct MHD_Connection *c, int err)
{
	switch (err) {
	case EINVAL:
		return board_error(c, MHD_HTTP_BAD_REQUEST,
		    "malformed name (letters, digits, '.', '_', '-'; md, json, png or svg files)");
	case ENOENT:
		return board_error(c, MHD_HTTP_NOT_FOUND, "no such drill report or file");
	case EFBIG:
		return board_error(c, MHD_HTTP_FORBIDDEN, "too large to serve");
	case EACCES:
		return board_error(c, MHD_HTTP_FORBIDDEN, "not readable by the board");
	default:
		return board_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "could not read (see the board's log)");
	}
}

/* /api/drills: {"drills": [...]}, newest first. */
static enum MHD_Result
board_api_drills(struct board *b, struct MHD_Connection *c)
{
	json_t *a;
	int rc;

	if ((rc = drills_list(b->drills, &a)) != 0)
		return board_drills_failed(c, rc);
	return board_json(c, json_pack("{s:o}", "drills", a));
}

/*
 * /drills/NAME: the report as a page; /drills/NAME/FILE: a file of it, streamed from its
 * descriptor. The files get a policy of their own that allows no script at all, whatever
 * they hold (an SVG opened by itself is a document that could run one).
 */
static enum MHD_Result
board_drills(struct board *b, struct MHD_Connection *c, const char *path, const char *cookie)
{
	char name[DRILLS_NAME_MAX + 1];
	const char *slash = strchr(path, '/');
	struct MHD_Response *r;
	enum MHD_Result ret;
	uint64_t size;
	size_t len;
	char *html;
	int fd, rc;

	if (slash == NULL) {
		if ((rc = drills_page(b->drills, path, &html, &len)) != 0)
			return board_drills_failed(c, rc);
		return board_send(c, MHD_HTTP_OK, "text/html; charset=utf-8", html, len,
		    MHD_RESPMEM_MUST_FREE, cookie);
	}
	if ((size_t)(slash - path) >= sizeof(name) || strchr(slash + 1, '/') != NULL)
		return board_drills_failed(c, EINVAL);
	memcpy(name, path, (size_t)(slash - path));
	name[slash - path] = '\0';
	if ((rc = drills_open(b->drills, name, slash + 1, &fd, &size)) != 0)
		return board_drills_failed(c, rc);
	if ((r = MHD_create_response_from_fd64(size, fd)) == NULL) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", drills_type(slash + 1));
	MHD_add_response_header(r, "Content-Security-Policy", "default-src 'none'; "
	    "style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'none'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
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

/* ---- actions (--key): closed-loop receipts signed with the officer's key ---- */

/*
 * A POST's body as it comes in (the connection's context): at most BOARD_BODY_MAX bytes are
 * kept, more only sets over.
 */
struct board_body {
	char	buf[BOARD_BODY_MAX + 1];
	size_t	len;
	int	over;
};

static void
board_body_add(struct board_body *bb, const char *data, size_t len)
{
	if (bb->over || len > BOARD_BODY_MAX - bb->len) {
		bb->over = 1;
		return;
	}
	memcpy(bb->buf + bb->len, data, len);
	bb->len += len;
}

/* libmicrohttpd is done with a request: free a POST's body. */
static void
board_completed(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_RequestTerminationCode why)
{
	(void)cls;
	(void)c;
	(void)why;
	if (*ctx != NULL && *ctx != &board_nobody)
		free(*ctx);
	*ctx = NULL;
}

/* A new random secret in hex: BOARD_SECRET_HEX digits and a NUL. */
static void
board_secret(char hex[BOARD_SECRET_HEX + 1])
{
	unsigned char r[BOARD_SECRET_HEX / 2];

	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(hex, BOARD_SECRET_HEX + 1, r, sizeof(r));
	sodium_memzero(r, sizeof(r));
}

/*
 * The slot of the session whose id is sid, or -1. Every slot is compared, in constant time,
 * so that the answer's timing says nothing of the ids. Under sess_lock.
 */
static int
board_session_find(const struct board *b, const char *sid)
{
	int i, found = -1;

	if (sid == NULL || strlen(sid) != BOARD_SECRET_HEX)
		return -1;
	for (i = 0; i < BOARD_SESSIONS; i++)
		if (b->sessions[i].used != 0 &&
		    sodium_memcmp(b->sessions[i].sid, sid, BOARD_SECRET_HEX) == 0)
			found = i;
	return found;
}

/*
 * The request's session, or a new one in the slot unused longest (so that clients cannot
 * make the board keep more than BOARD_SESSIONS); its CSRF token into csrf, and into sid its
 * id when it is new (then *fresh is set: the answer sets the cookie).
 */
static void
board_session_get(struct board *b, struct MHD_Connection *c, char csrf[BOARD_SECRET_HEX + 1],
    char sid[BOARD_SECRET_HEX + 1], int *fresh)
{
	const char *have = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, BOARD_SESSION_COOKIE);
	struct board_session *s;
	int i, old = 0;

	pthread_mutex_lock(&b->sess_lock);
	if ((i = board_session_find(b, have)) >= 0) {
		*fresh = 0;
	} else {
		for (i = 0; i < BOARD_SESSIONS; i++)
			if (b->sessions[i].used < b->sessions[old].used)
				old = i;
		i = old;
		board_secret(b->sessions[i].sid);
		board_secret(b->sessions[i].csrf);
		memcpy(sid, b->sessions[i].sid, BOARD_SECRET_HEX + 1);
		*fresh = 1;
	}
	s = &b->sessions[i];
	s->used = ++b->sess_clock;
	memcpy(csrf, s->csrf, BOARD_SECRET_HEX + 1);
	pthread_mutex_unlock(&b->sess_lock);
}

/*
 * Whether a POST carries a session of this board and that session's CSRF token in
 * X-CSRF-Token: NULL when it does, else why not.
 */
static const char *
board_session_check(struct board *b, struct MHD_Connection *c)
{
	const char *sid = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, BOARD_SESSION_COOKIE);
	const char *tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
	const char *why = NULL;
	int i;

	pthread_mutex_lock(&b->sess_lock);
	if ((i = board_session_find(b, sid)) < 0)
		why = "no session, or an expired one: reload the page";
	else if (tok == NULL || strlen(tok) != BOARD_SECRET_HEX ||
	    sodium_memcmp(tok, b->sessions[i].csrf, BOARD_SECRET_HEX) != 0)
		why = "a missing or wrong X-CSRF-Token";
	else
		b->sessions[i].used = ++b->sess_clock;
	pthread_mutex_unlock(&b->sess_lock);
	return why;
}

/* Whether the host part of a Host header ("127.0.0.1:8400") names this machine's loopback. */
static int
board_host_loopback(const char *host)
{
	static const char *const names[] = { "127.0.0.1", "localhost", "[::1]" };
	size_t i, n;

	n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (n == strlen(names[i]) && strncasecmp(host, names[i], n) == 0 &&
		    (host[n] == '\0' || host[n] == ':'))
			return 1;
	return 0;
}

/*
 * Whether a POST comes from the board's own pages: its Origin (or, without one, its Referer)
 * is http:// or https:// and the very Host the request was sent to. Without a token (only
 * 127.0.0.1 listens) the Host must also name the loopback, so that a page of another site
 * whose name was made to resolve to 127.0.0.1 (DNS rebinding) is not the board's origin.
 */
static int
board_origin_ok(const struct board *b, struct MHD_Connection *c)
{
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const char *o = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *end = "";
	size_t n;

	if (host == NULL || (n = strlen(host)) == 0 || n > 255 ||
	    (!b->need_token && !board_host_loopback(host)))
		return 0;
	if (o == NULL) {
		o = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_REFERER);
		end = "/";
	}
	if (o == NULL)
		return 0;
	if (strncmp(o, "http://", 7) == 0)
		o += 7;
	else if (strncmp(o, "https://", 8) == 0)
		o += 8;
	else
		return 0;
	return strncasecmp(o, host, n) == 0 && (o[n] == '\0' || o[n] == end[0]);
}

/* Content-Type: application/json, with or without parameters (charset=utf-8). */
static int
board_type_json(const char *t)
{
	return t != NULL && strncasecmp(t, "application/json", 16) == 0 &&
	    (t[16] == '\0' || t[16] == ';' || t[16] == ' ');
}

/*
 * The audit trail, one line on standard error (the journal) per action: who (the officer's
 * key), from where (the client, and what a proxy says it forwarded for), which report,
 * which stage, the note, and what came of it. Text from the request is JSON-escaped so
 * that it cannot forge a line.
 */
/*
 * "client ADDR" of the connection, and " forwarded-for \"...\"" (JSON-escaped, as a proxy
 * says, unverified) when the request has X-Forwarded-For, into buf. Returns buf.
 */
static char *
board_client(struct MHD_Connection *c, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci;
	const char *fwd = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");
	char addr[INET6_ADDRSTRLEN] = "?";
	json_t *fj = fwd != NULL ? json_string(fwd) : NULL;
	char *fs = fj != NULL ? json_dumps(fj, JSON_ENCODE_ANY) : NULL;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL && ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)
		    ci->client_addr)->sin_addr, addr, sizeof(addr));
	else if (ci != NULL && ci->client_addr != NULL && ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)
		    ci->client_addr)->sin6_addr, addr, sizeof(addr));
	snprintf(buf, size, "client %s%s%.200s", addr, fs != NULL ? " forwarded-for " : "",
	    fs != NULL ? fs : "");
	free(fs);
	json_decref(fj);
	return buf;
}

static void
board_audit(const struct board *b, struct MHD_Connection *c, const char *report,
    const char *stage, const char *note, const char *outcome)
{
	json_t *j = json_pack("{s:s?, s:s?, s:s?}", "report", report, "stage", stage,
	    "note", note);
	char *s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	char who[320];

	fprintf(stderr, "fenghuo board: action: key %s %s %s: %s\n", b->officer,
	    board_client(c, who, sizeof(who)), s != NULL ? s : "{}", outcome);
	free(s);
	json_decref(j);
}

/*
 * A POST refused before it could be an action (origin, type, session, CSRF token): one
 * line too, since a page of another site trying its luck is worth knowing of.
 */
static enum MHD_Result
board_post_refused(struct MHD_Connection *c, unsigned status, const char *url,
    const char *why)
{
	json_t *u = json_string(url);
	char *us = u != NULL ? json_dumps(u, JSON_ENCODE_ANY) : NULL;
	char who[320];

	fprintf(stderr, "fenghuo board: refused POST %.300s %s: %s\n", us != NULL ? us : "?",
	    board_client(c, who, sizeof(who)), why);
	free(us);
	json_decref(u);
	return board_error(c, status, why);
}

/*
 * Before signing: the report behind the id prefix (its full id into hex), and whether a
 * receipt of stage by the officer's key would count for it (cli_receipt_counts: verifier
 * over the report's region, by this node's trust state; always in open mode). 0, or the
 * HTTP status to answer with why.
 */
static unsigned
board_report_check(struct board *b, const char *id, int stage, char hex[FC_IDHEX],
    const char **why)
{
	Fenghuo__Body rb = FENGHUO__BODY__INIT;
	Fenghuo__Receipt rr = FENGHUO__RECEIPT__INIT;
	struct cli *cli = b->cli;
	const struct fc_key *key;
	struct store_msg m;
	struct fc_msg msg;
	unsigned status = 0;
	int rc;

	pthread_mutex_lock(&b->lock);
	cli->verb = "board";
	cli_trust_forget(cli);
	if ((rc = cli_resolve(cli, id, &m)) != EX_OK) {
		*why = rc == EX_DATAERR ? "no such report (or an ambiguous id)" : "no store yet";
		status = rc == EX_DATAERR || rc == EX_USAGE ? MHD_HTTP_NOT_FOUND :
		    MHD_HTTP_SERVICE_UNAVAILABLE;
		goto out;
	}
	fc_hex(m.id, FC_IDBYTES, hex);
	if (cli_validate_stored(m.env, m.len, &m.seen, &msg) != FC_R_OK) {
		store_msg_clear(&m);
		*why = "the stored message does not validate";
		status = MHD_HTTP_NOT_FOUND;
		goto out;
	}
	if (msg.body->kind != FENGHUO__KIND__REPORT) {
		*why = "not a report";
		status = MHD_HTTP_NOT_FOUND;
	} else if (cli_key(cli, &key) != EX_OK) {
		*why = "the officer's key cannot be read";
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	} else {
		/* The receipt as it would be signed now, as far as the rule looks at it. */
		rr.has_stage = 1;
		rr.stage = stage;
		rb.has_kind = 1;
		rb.kind = FENGHUO__KIND__RECEIPT;
		rb.receipt = &rr;
		rb.has_author = 1;
		rb.author.data = (uint8_t *)(uintptr_t)fc_key_public(key);
		rb.author.len = FC_PUBLICKEYBYTES;
		rb.has_created_ms = 1;
		rb.created_ms = cli_now_ms();
		if (!cli_receipt_counts(cli, &rb, msg.body->region)) {
			*why = "this key holds no verifier role over the report's region: nothing "
			    "was signed";
			status = MHD_HTTP_FORBIDDEN;
		}
	}
	fc_msg_clear(&msg);
	store_msg_clear(&m);
out:
	pthread_mutex_unlock(&b->lock);
	return status;
}

/*
 * POST /api/report/ID/stage {"stage": S, "note": T}: sign and submit the receipt through
 * `fenghuo receipt` (the verb's own code, with the officer's key), through fenghuod only.
 */
static enum MHD_Result
board_act(struct board *b, struct MHD_Connection *c, const char *id,
    const struct board_body *bb)
{
	char *argv[] = { BOARD_ARG("receipt"), NULL, BOARD_ARG("--stage"), NULL, NULL, NULL };
	char hex[FC_IDHEX], *notearg = NULL, *out;
	const char *stage, *note = NULL, *why = NULL, *k;
	json_error_t jerr;
	json_t *req, *v, *a = NULL, *o;
	unsigned status;
	int st = 0, rc;

	if ((req = json_loadb(bb->buf, bb->len, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(req)) {
		json_decref(req);
		return board_error(c, MHD_HTTP_BAD_REQUEST, "the body is not a JSON object");
	}
	json_object_foreach(req, k, v) {
		if (strcmp(k, "stage") != 0 && strcmp(k, "note") != 0)
			why = "unknown field (only stage and note)";
	}
	stage = json_string_value(json_object_get(req, "stage"));
	v = json_object_get(req, "note");
	if (v != NULL && !json_is_null(v) && (note = json_string_value(v)) == NULL)
		why = "note: a string";
	else if (note != NULL && strlen(note) > BOARD_NOTE_MAX)
		why = "note: at most " BOARD_STR(BOARD_NOTE_MAX) " bytes";
	if (note != NULL && note[0] == '\0')
		note = NULL;
	if (why == NULL && (stage == NULL || (st = wire_stage_parse(stage)) <
	    FENGHUO__STAGE__REGISTERED || st > FENGHUO__STAGE__CLOSED))
		why = "stage: one of registered, verified, handling, closed";
	if (why != NULL) {
		json_decref(req);
		return board_error(c, MHD_HTTP_BAD_REQUEST, why);
	}
	if ((status = board_report_check(b, id, st, hex, &why)) != 0) {
		board_audit(b, c, id, stage, note, why);
		json_decref(req);
		return board_error(c, status, why);
	}
	argv[1] = hex;
	argv[3] = (char *)(uintptr_t)stage;
	/* One argument: a note that starts with '-' stays a note. */
	if (note != NULL && (argv[4] = notearg = board_fmt("--note=%s", note)) == NULL) {
		json_decref(req);
		return board_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	rc = board_verb(b, &cmd_receipt_entry, note != NULL ? 5 : 4, argv, &a);
	free(notearg);
	switch (rc) {
	case EX_OK:
		why = NULL;
		break;
	case EX_UNAVAILABLE:
		status = MHD_HTTP_SERVICE_UNAVAILABLE;
		why = "fenghuod is not running: nothing was stored";
		break;
	case EX_DATAERR:
		status = MHD_HTTP_FORBIDDEN;
		why = "fenghuod refused the receipt (the board's log says why): nothing was stored";
		break;
	default:
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		why = "could not sign or submit (see the board's log)";
		break;
	}
	if (why == NULL && (v = json_object_get(json_array_get(a, 0), "id")) == NULL) {
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		why = "the verb gave no id";
	}
	if (why != NULL) {
		board_audit(b, c, hex, stage, note, why);
		json_decref(a);
		json_decref(req);
		return board_error(c, status, why);
	}
	out = board_fmt("receipt %s", json_string_value(v));
	board_audit(b, c, hex, stage, note, out != NULL ? out : "receipt");
	free(out);
	o = json_pack("{s:O, s:s, s:s, s:s}", "id", v, "report", hex, "stage", stage,
	    "key", b->officer);
	json_decref(a);
	json_decref(req);
	return o != NULL ? board_json(c, o) :
	    board_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
}

/*
 * A POST, after its body is in. The token first (as for every request); then, in this
 * order: read-only (405), the origin (403), the type (415), the session and its CSRF token
 * (403), the size (413); then the path and the JSON.
 */
static enum MHD_Result
board_post(struct board *b, struct MHD_Connection *c, const char *url,
    const struct board_body *bb)
{
	char id[65];
	const char *why;
	size_t n;
	int set;

	if (!board_authorized(b, c, &set))
		return board_error(c, MHD_HTTP_UNAUTHORIZED, "a token is required");
	if (!b->actions)
		return board_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "this board is read-only (started without --key)");
	if (!board_origin_ok(b, c))
		return board_post_refused(c, MHD_HTTP_FORBIDDEN, url,
		    "the request's Origin is not this board (or its Host is not allowed)");
	if (!board_type_json(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE)))
		return board_post_refused(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, url,
		    "Content-Type must be application/json");
	if ((why = board_session_check(b, c)) != NULL)
		return board_post_refused(c, MHD_HTTP_FORBIDDEN, url, why);
	if (bb->over)
		return board_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "request too large");
	if (strncmp(url, "/api/report/", 12) == 0 && (n = strcspn(url + 12, "/")) < sizeof(id) &&
	    strcmp(url + 12 + n, "/stage") == 0) {
		memcpy(id, url + 12, n);
		id[n] = '\0';
		if (!board_id_ok(id))
			return board_error(c, MHD_HTTP_NOT_FOUND,
			    "not a message id (8 to 64 hex digits)");
		return board_act(b, c, id, bb);
	}
	return board_error(c, MHD_HTTP_NOT_FOUND, "no such action");
}

/*
 * GET /api/session: whether this board acts, and if so the page's session (a cookie) and
 * its CSRF token, and the officer's key with its name when a certificate gives one.
 */
static enum MHD_Result
board_api_session(struct board *b, struct MHD_Connection *c)
{
	char csrf[BOARD_SECRET_HEX + 1], sid[BOARD_SECRET_HEX + 1], shortk[17];
	char cookie[BOARD_SECRET_HEX + 80];
	struct cli_trust *ct;
	const char *name;
	json_t *o, *key;
	char *s;
	int fresh;

	if (!b->actions)
		return board_json(c, json_pack("{s:b}", "actions", 0));
	board_session_get(b, c, csrf, sid, &fresh);
	memcpy(shortk, b->officer, 16);
	shortk[16] = '\0';
	key = json_pack("{s:s, s:s}", "public", b->officer, "short", shortk);
	pthread_mutex_lock(&b->lock);
	b->cli->verb = "board";
	cli_trust_forget(b->cli);
	if ((ct = cli_trust_get(b->cli)) != NULL &&
	    (name = cli_trust_key_name(ct, fc_key_public(b->cli->key))) != NULL)
		json_object_set_new(key, "name", json_string(name));
	pthread_mutex_unlock(&b->lock);
	o = json_pack("{s:b, s:s, s:o}", "actions", 1, "csrf", csrf, "key", key);
	sodium_memzero(csrf, sizeof(csrf));
	s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (s == NULL)
		return board_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	if (fresh)
		snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; SameSite=Strict",
		    BOARD_SESSION_COOKIE, sid);
	return board_send(c, MHD_HTTP_OK, "application/json", s, strlen(s),
	    MHD_RESPMEM_MUST_FREE, fresh ? cookie : NULL);
}

static enum MHD_Result
board_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **ctx)
{
	struct board *b = cls;
	const char *cl;
	char cookie[BOARD_TOKEN_MAX + 80], *m;
	const char *tokcookie = NULL;
	int set;

	(void)version;
	(void)upload;
	if (*ctx == NULL) {
		/* The headers are in: refuse a body before it is read. */
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > BOARD_BODY_MAX)
			return board_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "request too large");
		if (strcmp(method, "POST") == 0)
			return (*ctx = calloc(1, sizeof(struct board_body))) != NULL ? MHD_YES : MHD_NO;
		*ctx = &board_nobody;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		/* Only an action's body is kept (board_post judges it); others are dropped. */
		if (*ctx != &board_nobody)
			board_body_add(*ctx, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&b->ev_lock);
	b->requests++;
	pthread_mutex_unlock(&b->ev_lock);
	if (*ctx != &board_nobody)
		return board_post(b, c, url, *ctx);
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
	/* ?token= on a page's URL (a screen's first one, a drill report's link): the cookie. */
	if (set) {
		snprintf(cookie, sizeof(cookie), "fh_board_token=%s; Path=/; HttpOnly; "
		    "SameSite=Strict", MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "token"));
		/* It matched the token, whose characters are all cookie-safe (load_token). */
		tokcookie = cookie;
	}
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
	if (strcmp(url, "/api/session") == 0)
		return board_api_session(b, c);
	if (strcmp(url, "/api/events") == 0)
		return board_events(b, c);
	if (strcmp(url, "/api/drills") == 0)
		return board_api_drills(b, c);
	if (strncmp(url, "/drills/", 8) == 0)
		return board_drills(b, c, url + 8, tokcookie);
	if (strcmp(url, "/metrics") == 0) {
		if ((m = board_metrics_render(b)) == NULL)
			return board_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		return board_send(c, MHD_HTTP_OK, METRICS_CONTENT_TYPE, m,
		    strlen(m), MHD_RESPMEM_MUST_FREE, NULL);
	}
	if (strncmp(url, "/api/", 5) == 0)
		return board_error(c, MHD_HTTP_NOT_FOUND, "no such API");
	return board_asset(c, url, tokcookie);
}

/*
 * --listen: "A.B.C.D:PORT" (IPv4) or "[IPV6]:PORT" into *ss, and whether
 * the address is this machine only (127.0.0.1 or ::1) in *local. 0, or -1 with *why set to
 * what is wrong. Names are not resolved, and IPv6 zone ids ("%eth0") are not taken: a
 * link-local address is no use to a screen behind a reverse proxy.
 */
static int
board_parse_listen(const char *s, struct sockaddr_storage *ss, int *local, const char **why)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 1];
	const char *h = s, *end, *colon;
	uint64_t port;
	size_t n;
	int v6 = s[0] == '[';

	memset(ss, 0, sizeof(*ss));
	if (v6) {
		h = s + 1;
		if ((end = strchr(h, ']')) == NULL) {
			*why = "an IPv6 address needs its closing ']', as in [::1]:8400";
			return -1;
		}
		colon = end + 1;
		if (*colon != ':') {
			*why = "give the port after the ']', as in [::1]:8400";
			return -1;
		}
	} else {
		if ((colon = strrchr(s, ':')) == NULL) {
			*why = "give ADDR:PORT, as in 127.0.0.1:8400 or [::1]:8400";
			return -1;
		}
		end = colon;
		if (memchr(s, ':', (size_t)(colon - s)) != NULL) {
			*why = "an IPv6 address goes in brackets, as in [::1]:8400";
			return -1;
		}
	}
	if (cli_parse_uint(colon + 1, 65535, &port) != 0 || port == 0) {
		*why = "the port must be a number from 1 to 65535";
		return -1;
	}
	n = (size_t)(end - h);
	if (memchr(h, '%', n) != NULL) {
		*why = "IPv6 zone ids (%...) are not supported";
		return -1;
	}
	if (n == 0 || n >= sizeof(host)) {
		*why = v6 ? "not an IPv6 address" : "not an IPv4 address";
		return -1;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	if (v6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
			*why = "not an IPv6 address";
			return -1;
		}
		*local = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
		return 0;
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
		*why = "not an IPv4 address (names are not resolved)";
		return -1;
	}
	*local = sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
	return 0;
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

/* --drills DIR: a directory the board can read. EX_OK, or the exit status (said why). */
static int
board_drills_dir(struct cli *cli, const char *dir)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		cli_warn(cli, "--drills %s", dir);
		return EX_NOINPUT;
	}
	close(fd);
	return EX_OK;
}

static int
cmd_board_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "token-file", required_argument, NULL, 't' },
		{ "drills", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = BOARD_LISTEN_DEFAULT, *tokfile = NULL, *drills = NULL;
	const char *keyfile = NULL;
	const struct fc_key *key;
	struct sockaddr_storage sa;
	struct sigaction act, oint, oterm;
	struct MHD_Daemon *d;
	struct board b;
	size_t i;
	const char *why = NULL;
	int ch, rc, local;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			listen = optarg;
			break;
		case 't':
			tokfile = optarg;
			break;
		case 'd':
			drills = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'h':
			return cli_help(&cmd_board_entry);
		default:
			return cli_usage(&cmd_board_entry);
		}
	}
	if (optind != argc)
		return cli_usage(&cmd_board_entry);
	if (board_parse_listen(listen, &sa, &local, &why) != 0) {
		cli_warnx(cli, "--listen %s: %s", listen, why);
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
	if (!b.need_token && !local) {
		cli_warnx(cli, "--listen %s: beyond 127.0.0.1 and ::1 the board needs --token-file "
		    "(and TLS in front: docs/BOARD.md)", listen);
		return EX_USAGE;
	}
	/*
	 * The drills directory is opened again for every request (a county adds reports while
	 * the board runs); one given by name must be there at the start, the default may come.
	 */
	if (drills != NULL && (rc = board_drills_dir(cli, drills)) != EX_OK)
		return rc;
	b.drills = drills != NULL ? strdup(drills) : board_fmt("%s/drills", cli->state);
	if (b.drills == NULL) {
		cli_warnx(cli, "out of memory");
		return EX_OSERR;
	}
	if (keyfile != NULL) {
		/* The key as `fenghuo receipt` loads it (cli_key), refused when others can read it. */
		cli->keypath = keyfile;
		if ((rc = cli_key(cli, &key)) != EX_OK) {
			free(b.drills);
			return rc;
		}
		/* An action is stored by fenghuod or not at all (503). */
		cli->daemon_only = 1;
		fc_hex(fc_key_public(key), FC_PUBLICKEYBYTES, b.officer);
		b.actions = 1;
	}
	b.cli = cli;
	b.state = (char *)(uintptr_t)cli->state;
	pthread_mutex_init(&b.lock, NULL);
	pthread_mutex_init(&b.ev_lock, NULL);
	pthread_cond_init(&b.ev_cond, NULL);
	pthread_mutex_init(&b.sess_lock, NULL);

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
	/* An IPv6 socket is IPv6 only (libmicrohttpd sets IPV6_V6ONLY without DUAL_STACK). */
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ERROR_LOG | (sa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL,
	    board_handler, &b,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)BOARD_MEMORY_LIMIT,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)BOARD_CONN_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(4 * BOARD_PING_S),
	    MHD_OPTION_NOTIFY_COMPLETED, board_completed, NULL,
	    MHD_OPTION_END);
	if (d == NULL) {
		cli_warn(cli, "cannot listen on %s", listen);
		rc = EX_UNAVAILABLE;
	} else {
		fprintf(stderr, "fenghuo board: listening on http://%s/\n", listen);
		if (b.actions)
			fprintf(stderr, "fenghuo board: actions on: receipts are signed with key %s "
			    "(%s); whoever reaches this board acts with it\n", b.officer, keyfile);
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
	pthread_mutex_destroy(&b.sess_lock);
	sodium_memzero(b.sessions, sizeof(b.sessions));
	pthread_mutex_destroy(&b.lock);
	free(b.drills);
	return rc;
}
