/*
 * ctl.c: the client side of fenghuod's control socket.
 *
 * The daemon binds a ZeroMQ ROUTER on ipc://<state>/fenghuod.sock (protocol: docs/CONFIG.md,
 * "The control socket"). The CLI connects a DEALER, sends a multipart request whose first part
 * is a JSON object with "cmd", and reads a JSON reply with "ok". Each call opens its own
 * ZeroMQ context and socket and closes them again: the CLI is a short-lived process and one
 * connection per command keeps a late reply from one request out of the next.
 *
 * Whether a daemon runs is decided the way the protocol says: the socket file exists and a
 * status request is answered in time. Before that we try a plain connect(2) on the socket
 * file, so that the stale file a killed daemon leaves behind costs a refused connect
 * instead of a five-second timeout.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#include "crypto.h"
#include "ingest.h"
#include "fenghuo.h"
#include "store.h"
#include "wire.h"

struct cli_ctl {
	void	*zctx;
	void	*sock;
	char	 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* The socket file of the daemon that owns cli->state, in buf. -1 if it does not fit. */
static int
ctl_sock_path(const struct cli *cli, char *buf, size_t size)
{
	int n;

	n = snprintf(buf, size, "%s/fenghuod.sock", cli->state);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return 0;
}

/*
 * 1 if something accepts connections on the Unix socket at path, 0 if not (no file, a
 * stale file, not a socket), -1 with errno EACCES/EPERM if one may be there but we may
 * not connect (the socket is 0660: the daemon's group only). The daemon's ZeroMQ sees a
 * peer that closes before its greeting, which it drops silently.
 */
static int
ctl_listening(const char *path)
{
	struct sockaddr_un sun;
	int fd, rc, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return 0;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	do
		rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	while (rc == -1 && errno == EINTR);
	saved = errno;
	close(fd);
	if (rc == 0)
		return 1;
	errno = saved;
	return errno == EACCES || errno == EPERM ? -1 : 0;
}

int
cli_ctl_open(struct cli *cli, struct cli_ctl **out)
{
	struct cli_ctl *c;
	char endpoint[sizeof(c->path) + 8];
	int zero = 0, ms = CLI_CTL_TIMEOUT_MS;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		cli_warn(cli, "calloc");
		return EX_OSERR;
	}
	if (ctl_sock_path(cli, c->path, sizeof(c->path)) == -1) {
		cli_warnx(cli, "%s: state path too long for a control socket", cli->state);
		free(c);
		return EX_USAGE;
	}
	switch (ctl_listening(c->path)) {
	case 1:
		break;
	case -1:
		/* Not "no daemon": writing around a running daemon is not what anyone wants. */
		cli_warn(cli, "cannot use fenghuod's control socket %s (is this user in the "
		    "daemon's group?)", c->path);
		free(c);
		return EX_NOPERM;
	default:
		free(c);
		return EX_UNAVAILABLE;
	}
	snprintf(endpoint, sizeof(endpoint), "ipc://%s", c->path);
	if ((c->zctx = zmq_ctx_new()) == NULL ||
	    (c->sock = zmq_socket(c->zctx, ZMQ_DEALER)) == NULL) {
		cli_warnx(cli, "zmq: %s", zmq_strerror(zmq_errno()));
		goto err;
	}
	/* Never hang at exit on a request nobody took, nor on a send to a dead daemon. */
	if (zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof(zero)) == -1 ||
	    zmq_setsockopt(c->sock, ZMQ_SNDTIMEO, &ms, sizeof(ms)) == -1 ||
	    zmq_connect(c->sock, endpoint) == -1) {
		cli_warnx(cli, "%s: %s", endpoint, zmq_strerror(zmq_errno()));
		goto err;
	}
	*out = c;
	return EX_OK;
err:
	cli_ctl_close(&c);
	return EX_UNAVAILABLE;
}

void
cli_ctl_close(struct cli_ctl **cp)
{
	struct cli_ctl *c = *cp;

	if (c == NULL)
		return;
	if (c->sock != NULL)
		zmq_close(c->sock);
	if (c->zctx != NULL)
		zmq_ctx_term(c->zctx);
	free(c);
	*cp = NULL;
}

/* Send the request object req (not consumed), plus data as a second part unless NULL. */
static int
ctl_send_req(struct cli_ctl *c, const json_t *req, const uint8_t *data, size_t len)
{
	char *s;
	int rc;

	if ((s = json_dumps(req, JSON_COMPACT)) == NULL)
		return -1;
	rc = zmq_send(c->sock, s, strlen(s), data != NULL ? ZMQ_SNDMORE : 0);
	free(s);
	if (rc == -1)
		return -1;
	if (data != NULL && zmq_send(c->sock, data, len, 0) == -1)
		return -1;
	return 0;
}

int
cli_ctl_send(struct cli_ctl *c, const char *cmd, const uint8_t *data, size_t len)
{
	json_t *req;
	int rc;

	if ((req = json_pack("{s:s}", "cmd", cmd)) == NULL)
		return -1;
	rc = ctl_send_req(c, req, data, len);
	json_decref(req);
	return rc;
}

/* Milliseconds on CLOCK_MONOTONIC, for deadlines. */
static int64_t
ctl_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
cli_ctl_recv(struct cli_ctl *c, int timeout_ms, json_t **obj, uint8_t **data, size_t *len)
{
	zmq_pollitem_t pi;
	zmq_msg_t part;
	json_error_t jerr;
	json_t *o = NULL;
	uint8_t *d = NULL;
	size_t dlen = 0;
	int more, nparts = 0, rc;

	*obj = NULL;
	if (data != NULL) {
		*data = NULL;
		*len = 0;
	}
	pi.socket = c->sock;
	pi.fd = -1;
	pi.events = ZMQ_POLLIN;
	pi.revents = 0;
	if ((rc = zmq_poll(&pi, 1, timeout_ms)) == -1)
		return -1;	/* errno EINTR when a signal came */
	if (rc == 0)
		return 1;
	/* Read the whole multipart message, keeping the first two parts. */
	more = 1;
	while (more) {
		zmq_msg_init(&part);
		if (zmq_msg_recv(&part, c->sock, 0) == -1) {
			/* A signal between parts: the rest is still queued; take it. */
			zmq_msg_close(&part);
			if (zmq_errno() == EINTR)
				continue;
			goto bad;
		}
		if (nparts == 0) {
			o = json_loadb(zmq_msg_data(&part), zmq_msg_size(&part), 0, &jerr);
		} else if (nparts == 1 && data != NULL && zmq_msg_size(&part) > 0) {
			dlen = zmq_msg_size(&part);
			if ((d = malloc(dlen)) != NULL)
				memcpy(d, zmq_msg_data(&part), dlen);
		}
		more = zmq_msg_more(&part);
		zmq_msg_close(&part);
		nparts++;
	}
	if (o == NULL || !json_is_object(o))
		goto bad;
	*obj = o;
	if (data != NULL) {
		*data = d;
		*len = dlen;
	} else
		free(d);
	return 0;
bad:
	json_decref(o);
	free(d);
	errno = EPROTO;
	return -1;
}

/* How often a request waiting for its reply checks that the daemon still listens. */
#define CTL_ALIVE_MS	250

/*
 * One request and its reply, waiting up to timeout_ms; EX_TEMPFAIL (printed) when the daemon
 * went away meanwhile (nothing listens on its socket any more), so that a caller waiting on
 * a long request learns of a stopped daemon at once.
 */
static int
ctl_call_ms(struct cli *cli, struct cli_ctl *c, const json_t *req, const uint8_t *data,
    size_t len, int timeout_ms, json_t **reply)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	json_t *o = NULL, *ok;
	int64_t deadline;
	int rc, left;

	*reply = NULL;
	if (ctl_send_req(c, req, data, len) == -1) {
		cli_warnx(cli, "control socket %s: send: %s", c->path, zmq_strerror(zmq_errno()));
		return EX_UNAVAILABLE;
	}
	deadline = ctl_mono_ms() + timeout_ms;
	for (;;) {
		left = (int)(deadline - ctl_mono_ms());
		if (left <= 0) {
			cli_warnx(cli, "fenghuod did not answer \"%s\" within %d s", cmd,
			    timeout_ms / 1000);
			return EX_UNAVAILABLE;
		}
		rc = cli_ctl_recv(c, left < CTL_ALIVE_MS ? left : CTL_ALIVE_MS, &o, NULL, NULL);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == -1) {
			cli_warnx(cli, "control socket %s: malformed reply", c->path);
			return EX_PROTOCOL;
		}
		if (rc == 1) {
			if (ctl_listening(c->path) == 0) {
				cli_warnx(cli, "fenghuod stopped before it answered \"%s\"", cmd);
				return EX_TEMPFAIL;
			}
			continue;
		}
		/* A watch event on this connection is not our answer. */
		if (json_object_get(o, "event") == NULL)
			break;
		json_decref(o);
		o = NULL;
	}
	ok = json_object_get(o, "ok");
	if (!json_is_boolean(ok)) {
		cli_warnx(cli, "control socket %s: reply without \"ok\"", c->path);
		json_decref(o);
		return EX_PROTOCOL;
	}
	if (!json_is_true(ok)) {
		const char *e = json_string_value(json_object_get(o, "error"));

		cli_warnx(cli, "fenghuod refused \"%s\": %s", cmd, e != NULL ? e : "no reason given");
		json_decref(o);
		return EX_SOFTWARE;
	}
	*reply = o;
	return EX_OK;
}

int
cli_ctl_call(struct cli *cli, struct cli_ctl *c, const char *cmd, const uint8_t *data,
    size_t len, json_t **reply)
{
	json_t *req;
	int rc;

	if ((req = json_pack("{s:s}", "cmd", cmd)) == NULL) {
		cli_warnx(cli, "out of memory");
		return EX_OSERR;
	}
	rc = ctl_call_ms(cli, c, req, data, len, CLI_CTL_TIMEOUT_MS, reply);
	json_decref(req);
	return rc;
}

int
cli_ctl_call_req(struct cli *cli, struct cli_ctl *c, const json_t *req, int timeout_ms,
    json_t **reply)
{
	return ctl_call_ms(cli, c, req, NULL, 0, timeout_ms, reply);
}

int
cli_daemon_status(struct cli *cli, struct cli_ctl **cp, json_t **status)
{
	struct cli_ctl *c;
	int rc;

	*status = NULL;
	if (cp != NULL)
		*cp = NULL;
	if ((rc = cli_ctl_open(cli, &c)) != EX_OK)
		return rc;
	if ((rc = cli_ctl_call(cli, c, "status", NULL, 0, status)) != EX_OK) {
		cli_ctl_close(&c);
		return rc;
	}
	if (cp != NULL)
		*cp = c;
	else
		cli_ctl_close(&c);
	return EX_OK;
}

int
cli_daemon_running(struct cli *cli)
{
	json_t *st;

	if (cli_daemon_status(cli, NULL, &st) != EX_OK)
		return 0;
	json_decref(st);
	return 1;
}

/* enum fc_policy_reason of a name as fc_policy_reason_name() spells it; 0 if unknown. */
static int
ctl_policy_reason_parse(const char *name)
{
	int r;

	if (name == NULL)
		return 0;
	for (r = 1; r < FC_POLICY_R_MAX; r++) {
		const char *n = fc_policy_reason_name(r);

		if (n != NULL && strcmp(n, name) == 0)
			return r;
	}
	return 0;
}

/* enum fc_reason of a name as fc_reason_name() spells it; FC_R_MAX if unknown. */
static int
ctl_reason_parse(const char *name)
{
	int r;

	if (name == NULL)
		return FC_R_MAX;
	for (r = 0; r < FC_R_MAX; r++) {
		const char *n = fc_reason_name(r);

		if (n != NULL && strcmp(n, name) == 0)
			return r;
	}
	return FC_R_MAX;
}

/* Fill item's status, reason and id from one result object of submit or import. 0 or -1. */
static int
ctl_result_parse(const json_t *r, struct cli_put *item)
{
	const char *status, *id;

	status = json_string_value(json_object_get(r, "status"));
	id = json_string_value(json_object_get(r, "id"));
	if (status == NULL)
		return -1;
	if (strcmp(status, "new") == 0)
		item->status = INGEST_NEW;
	else if (strcmp(status, "duplicate") == 0)
		item->status = INGEST_DUP;
	else if (strcmp(status, "rejected") == 0)
		item->status = INGEST_REJECTED;
	else if (strcmp(status, "held") == 0)
		item->status = INGEST_HELD;	/* waits in memory for its author's certificate */
	else
		return -1;
	item->reason = FC_R_OK;
	if (item->status == INGEST_REJECTED) {
		item->reason = ctl_reason_parse(json_string_value(json_object_get(r, "reason")));
		if (item->reason == FC_R_MAX || item->reason == FC_R_OK)
			item->reason = FC_R_DECODE;
	}
	item->policy_reason = ctl_policy_reason_parse(json_string_value(json_object_get(r,
	    "policy_reason")));
	/* The daemon cannot name an envelope it cannot take apart; the id stays unset. */
	if (id != NULL && id[0] != '\0' && fc_unhex(id, item->id, FC_IDBYTES) != 0)
		return -1;
	return 0;
}

int
cli_ctl_submit(struct cli *cli, struct cli_ctl *c, struct cli_put *item)
{
	json_t *r;
	int rc;

	if ((rc = cli_ctl_call(cli, c, "submit", item->env, item->len, &r)) != EX_OK)
		return rc;
	rc = ctl_result_parse(r, item);
	json_decref(r);
	if (rc != 0) {
		cli_warnx(cli, "control socket %s: malformed submit reply", c->path);
		return EX_PROTOCOL;
	}
	return EX_OK;
}

int
cli_ctl_import(struct cli *cli, struct cli_ctl *c, struct cli_put *items, size_t n,
    int *sent)
{
	json_t *r, *res, *req;
	uint8_t *buf;
	size_t i, len = 0, off = 0;
	int rc;

	*sent = 0;
	if (n == 0 || n > CLI_CTL_IMPORT_MAX)
		return EX_SOFTWARE;
	for (i = 0; i < n; i++)
		len += 4 + items[i].len;
	if ((buf = malloc(len)) == NULL) {
		cli_warn(cli, "malloc");
		return EX_OSERR;
	}
	for (i = 0; i < n; i++) {
		wire_put_be32(buf + off, (uint32_t)items[i].len);
		memcpy(buf + off + 4, items[i].env, items[i].len);
		off += 4 + items[i].len;
	}
	/* A daemon that stopped since the last batch gets nothing: this batch was not sent. */
	if (ctl_listening(c->path) != 1) {
		free(buf);
		cli_warnx(cli, "fenghuod has stopped");
		return EX_TEMPFAIL;
	}
	if ((req = json_pack("{s:s}", "cmd", "import")) == NULL) {
		free(buf);
		cli_warnx(cli, "out of memory");
		return EX_OSERR;
	}
	*sent = 1;
	rc = ctl_call_ms(cli, c, req, buf, len, CLI_CTL_IMPORT_TIMEOUT_MS, &r);
	json_decref(req);
	free(buf);
	if (rc != EX_OK)
		return rc;
	res = json_object_get(r, "results");
	if (!json_is_array(res) || json_array_size(res) != n)
		goto bad;
	for (i = 0; i < n; i++) {
		const char *st = json_string_value(json_object_get(json_array_get(res, i),
		    "status"));

		memset(items[i].id, 0, FC_IDBYTES);
		items[i].policy_reason = 0;
		if (st != NULL && strcmp(st, "busy") == 0) {
			/* Not taken (the daemon ran out of memory): nothing of it was stored. */
			items[i].status = 0;
			continue;
		}
		if (ctl_result_parse(json_array_get(res, i), &items[i]) != 0)
			goto bad;
		if (json_is_false(json_object_get(json_array_get(res, i), "held_kept")))
			cli->held_unkept++;
	}
	json_decref(r);
	return EX_OK;
bad:
	cli_warnx(cli, "control socket %s: malformed import reply", c->path);
	json_decref(r);
	return EX_PROTOCOL;
}

/* ---- a watch subscription that outlives the daemon ------------------------------------ */

#define SUB_RENEW_MS	(20 * 1000)	/* the daemon keeps a subscription for 60 s */
/*
 * While no event comes, whether the daemon is still there is asked of its socket file
 * (a connect(2), which the daemon's ZeroMQ drops unseen) this often: a restart is noticed
 * within a second, not at the next renewal.
 */
#define SUB_ALIVE_MS	1000
#define SUB_RETRY_MIN_MS 1000		/* reconnect backoff: 1 s, 2 s, 4 s, then every 5 s */
#define SUB_RETRY_MAX_MS 5000

struct cli_sub {
	struct cli	*cli;
	struct cli_ctl	*c;		/* NULL while the daemon is away */
	int64_t		 renew;		/* when to renew the subscription */
	int64_t		 answer_by;	/* a renewal is unanswered until then (0: none) */
	int64_t		 retry;		/* away: when to try again */
	int		 backoff;
	json_t		*last;		/* the event handed out last */
	uint8_t		*env;		/* ... and its envelope */
};

/*
 * Connect and subscribe. EX_OK, or an error: EX_UNAVAILABLE silently when nothing listens,
 * others printed.
 */
static int
sub_connect(struct cli_sub *s)
{
	json_t *o;
	int rc;

	if ((rc = cli_ctl_open(s->cli, &s->c)) != EX_OK)
		return rc;
	if ((rc = cli_ctl_call(s->cli, s->c, "watch", NULL, 0, &o)) != EX_OK) {
		cli_ctl_close(&s->c);
		return rc;
	}
	json_decref(o);
	s->renew = ctl_mono_ms() + SUB_RENEW_MS;
	s->answer_by = 0;
	return EX_OK;
}

int
cli_sub_open(struct cli *cli, struct cli_sub **out)
{
	struct cli_sub *s;
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		cli_warn(cli, "calloc");
		return EX_OSERR;
	}
	s->cli = cli;
	if ((rc = sub_connect(s)) != EX_OK) {
		if (rc == EX_UNAVAILABLE)
			cli_warnx(cli, "fenghuod is not running (state %s); start it first",
			    cli->state);
		free(s);
		return rc;
	}
	*out = s;
	return EX_OK;
}

void
cli_sub_close(struct cli_sub **sp)
{
	struct cli_sub *s = *sp;

	if (s == NULL)
		return;
	cli_ctl_close(&s->c);
	json_decref(s->last);
	free(s->env);
	free(s);
	*sp = NULL;
}

/* The daemon went away: drop the connection, try again after the first backoff. */
static int
sub_lost(struct cli_sub *s, struct cli_sub_event *ev)
{
	cli_ctl_close(&s->c);
	s->backoff = SUB_RETRY_MIN_MS;
	s->retry = ctl_mono_ms() + s->backoff;
	ev->type = CLI_SUB_LOST;
	return EX_OK;
}

/* Away: wait for the next try (or the deadline), then try. */
static int
sub_away(struct cli_sub *s, int64_t deadline, struct cli_sub_event *ev)
{
	int64_t now = ctl_mono_ms(), until = s->retry;
	int rc;

	if (deadline != 0 && deadline < until)
		until = deadline;
	if (until > now && poll(NULL, 0, (int)(until - now)) == -1 && errno == EINTR) {
		ev->type = CLI_SUB_INTR;
		return EX_OK;
	}
	if (ctl_mono_ms() < s->retry) {
		ev->type = CLI_SUB_TIMEOUT;
		return EX_OK;
	}
	if ((rc = sub_connect(s)) == EX_OK) {
		ev->type = CLI_SUB_BACK;
		return EX_OK;
	}
	/* Not there yet, or going down again as we came: try later. */
	if (rc != EX_UNAVAILABLE && rc != EX_TEMPFAIL)
		return rc;
	s->backoff = s->backoff * 2 > SUB_RETRY_MAX_MS ? SUB_RETRY_MAX_MS : s->backoff * 2;
	s->retry = ctl_mono_ms() + s->backoff;
	ev->type = CLI_SUB_TIMEOUT;
	return EX_OK;
}

int
cli_sub_next(struct cli_sub *s, int64_t deadline, struct cli_sub_event *ev)
{
	json_t *o;
	const char *e;
	size_t len;
	int64_t now;
	int rc, wait;

	json_decref(s->last);
	s->last = NULL;
	free(s->env);
	s->env = NULL;
	memset(ev, 0, sizeof(*ev));
	if (s->c == NULL)
		return sub_away(s, deadline, ev);
	now = ctl_mono_ms();
	if (s->answer_by != 0 && now >= s->answer_by)
		return sub_lost(s, ev);	/* alive, but not answering: start afresh */
	if (now >= s->renew) {
		if (cli_ctl_send(s->c, "watch", NULL, 0) == -1)
			return sub_lost(s, ev);
		s->renew = now + SUB_RENEW_MS;
		s->answer_by = now + CLI_CTL_TIMEOUT_MS;
	}
	wait = (int)(s->renew - now);
	if (s->answer_by != 0 && s->answer_by - now < wait)
		wait = (int)(s->answer_by - now);
	if (deadline != 0 && deadline - now < wait)
		wait = deadline > now ? (int)(deadline - now) : 0;
	if (wait > SUB_ALIVE_MS)
		wait = SUB_ALIVE_MS;
	rc = cli_ctl_recv(s->c, wait, &o, &s->env, &len);
	if (rc == 1) {
		if (ctl_listening(s->c->path) == 0)
			return sub_lost(s, ev);
		ev->type = CLI_SUB_TIMEOUT;
		return EX_OK;
	}
	if (rc == -1) {
		if (errno == EINTR) {
			ev->type = CLI_SUB_INTR;
			return EX_OK;
		}
		cli_warnx(s->cli, "malformed message on the control socket");
		return EX_PROTOCOL;
	}
	s->last = o;
	if (json_object_get(o, "event") == NULL) {
		/* The answer to a renewal. */
		if (!json_is_true(json_object_get(o, "ok"))) {
			e = json_string_value(json_object_get(o, "error"));
			cli_warnx(s->cli, "fenghuod refused the subscription: %s",
			    e != NULL ? e : "no reason given");
			return EX_SOFTWARE;
		}
		s->answer_by = 0;
		ev->type = CLI_SUB_TIMEOUT;
		return EX_OK;
	}
	e = json_string_value(json_object_get(o, "event"));
	/* Other events are for newer clients; skip them. */
	ev->type = e != NULL && strcmp(e, "message") == 0 ? CLI_SUB_MESSAGE : CLI_SUB_TIMEOUT;
	ev->id = json_string_value(json_object_get(o, "id"));
	ev->env = s->env;
	ev->len = s->env != NULL ? len : 0;
	return EX_OK;
}
