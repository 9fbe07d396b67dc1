/*
 * node.c: struct node and its event loop.
 *
 * One thread, one zmq_poll (DESIGN decision 13). Each pass rebuilds the poll array: the
 * fixed slots first at their PFD_* indices (control socket, signal pipe, ZAP handler), then
 * the listen ROUTERs, then per peer its DEALER and the DEALER's monitor, or its stream
 * link's descriptors, each recorded in a slot table with the peer it belongs to (as ntpd's
 * ntp.c does). A pass reads a bounded number of frames from each ready socket, commits
 * everything gathered in one write transaction (gossip_commit), flushes the peers' send
 * queues, and runs the timers. The poll timeout is the earliest timer deadline on
 * CLOCK_MONOTONIC, at most NODE_CRON_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "node.h"

uint64_t
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
node_add_peer(struct node *n, struct peer *p)
{
	struct peer **np;

	if (n->npeers >= NODE_PEERS_MAX)
		return -1;
	if ((np = reallocarray(n->peers, n->npeers + 1, sizeof(*np))) == NULL)
		return -1;
	n->peers = np;
	n->peers[n->npeers++] = p;
	return 0;
}

int
node_hello(struct node *n, unsigned caps, uint8_t **out, size_t *outlen)
{
	return node_hello_link(n, caps, NULL, 0, out, outlen);
}

int
node_hello_link(struct node *n, unsigned caps, struct slink *sl, int connecting,
    uint8_t **out, size_t *outlen)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Hello h = FENGHUO__HELLO__INIT;
	const char *eps[PX_EP_MAX];
	size_t k;
	int rc;

	/* The endpoints this node announces: [node] announce, or dialable listen endpoints. */
	k = px_endpoints(n, eps);
	h.has_protocol_version = 1;
	h.protocol_version = WIRE_PROTOCOL_MIN;
	h.has_protocol_max = 1;
	h.protocol_max = WIRE_PROTOCOL_MAX;
	h.has_node_key = 1;
	h.node_key.data = (uint8_t *)(uintptr_t)fc_key_public(n->key);
	h.node_key.len = FC_PUBLICKEYBYTES;
	h.name = n->conf->name;
	h.region = n->conf->region;
	h.has_capabilities = 1;
	h.capabilities = caps;
	h.n_endpoints = k;
	h.endpoints = (char **)(uintptr_t)eps;
	h.has_time_ms = 1;	/* for the peer's clock offset estimate (clock.c) */
	h.time_ms = now_wall();
	if (sl != NULL)
		slink_hello_out(sl, n->key, connecting, &h);
	f.msg_case = FENGHUO__FRAME__MSG_HELLO;
	f.hello = &h;
	rc = frame_pack(&f, out, outlen);
	return rc;
}

int
node_publish(struct node *n, Fenghuo__Body *b, uint64_t now_ms)
{
	uint8_t *body, *env = NULL;
	size_t bodylen, envlen;
	int rc;

	b->has_version = 1;
	b->version = WIRE_BODY_VERSION;
	b->has_author = 1;
	b->author.data = (uint8_t *)(uintptr_t)fc_key_public(n->key);
	b->author.len = FC_PUBLICKEYBYTES;
	b->has_created_ms = 1;
	b->created_ms = now_ms;
	b->region = n->conf->region;
	bodylen = fenghuo__body__get_packed_size(b);
	if ((body = malloc(bodylen > 0 ? bodylen : 1)) == NULL)
		return FC_ENOMEM;
	fenghuo__body__pack(b, body);
	rc = fc_envelope_seal(n->key, body, bodylen, &env, &envlen);
	free(body);
	if (rc != 0)
		return rc;
	rc = gossip_add(n, env, envlen, &(struct ingest_src){ INGEST_NODE, NULL, 0, 0 });
	free(env);
	return rc != 0 ? E2BIG : 0;
}

uint64_t
node_queue_total(const struct node *n)
{
	uint64_t t = 0;
	size_t i;

	for (i = 0; i < n->npeers; i++)
		t += n->peers[i]->q.n;
	return t;
}

static int
sockopt_int(void *s, int opt, int v)
{
	return zmq_setsockopt(s, opt, &v, sizeof(v));
}

static int
listen_open(struct node *n)
{
	int64_t maxmsg = WIRE_FRAME_MAX;
	size_t i;
	void *s;

	if ((n->listen = calloc(n->conf->nlisten + 1, sizeof(*n->listen))) == NULL)
		return -1;
	for (i = 0; i < n->conf->nlisten; i++) {
		if ((s = zmq_socket(n->zctx, ZMQ_ROUTER)) == NULL)
			return -1;
		n->listen[n->nlisten++] = s;
		/* ROUTER_MANDATORY: a send to a vanished peer fails instead of vanishing. */
		if (sockopt_int(s, ZMQ_LINGER, NODE_LINGER_MS) != 0 ||
		    sockopt_int(s, ZMQ_SNDHWM, NODE_SNDHWM) != 0 ||
		    sockopt_int(s, ZMQ_ROUTER_MANDATORY, 1) != 0 ||
		    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) != 0)
			return -1;
		/* CURVE server, after the ZAP handler, before the bind */
		if (curve_server(n, s) != 0)
			return -1;
		if (zmq_bind(s, n->conf->listen[i]) != 0) {
			log_warnx("cannot listen on %s: %s", n->conf->listen[i],
			    zmq_strerror(zmq_errno()));
			return -1;
		}
		log_info("listening on %s", n->conf->listen[i]);
	}
	return 0;
}

/* The pid file doubles as a lock: one daemon per state directory. */
static int
pidfile_open(struct node *n)
{
	char buf[32];
	int fd, len;

	snprintf(n->pid_path, sizeof(n->pid_path), "%s/fenghuod.pid", n->conf->state);
	if ((fd = open(n->pid_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		log_warn("%s", n->pid_path);
		return -1;
	}
	/* flock, not lockf: it also holds between two nodes of one process (tests). */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		len = (int)read(fd, buf, sizeof(buf) - 1);
		buf[len > 0 ? len : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		log_warnx("another fenghuod (pid %s) uses %s", buf[0] ? buf : "?",
		    n->conf->state);
		close(fd);
		return -1;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, buf, (size_t)len) != len) {
		log_warn("%s", n->pid_path);
		close(fd);
		return -1;
	}
	n->pid_fd = fd;
	return 0;
}

/* Whether an environment switch says off: "no", "off" or "0" (unset or anything else: on). */
static int
node_env_off(const char *v)
{
	return v != NULL && (strcmp(v, "no") == 0 || strcmp(v, "off") == 0 ||
	    strcmp(v, "0") == 0);
}

struct node *
node_new(struct conf *conf)
{
	struct node *n;
	struct peer *p;
	size_t i;
	uint64_t indexed;
	uint32_t from;
	int rc;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		conf_free(&conf);
		return NULL;
	}
	n->conf = conf;
	n->pid_fd = -1;
	n->sigfd = -1;
	n->started = now_mono();
	/* Short ids on stream links unless turned off (docs/CONFIG.md, Environment). */
	n->short_ids = !node_env_off(getenv("FENGHUOD_SHORT_IDS"));
	/* Deflated PUSH frames on stream links unless turned off (the same section). */
	n->deflate = !node_env_off(getenv("FENGHUOD_DEFLATE"));
	n->creceipts = !node_env_off(getenv("FENGHUOD_COMPACT_RECEIPTS"));

	if (mkdir(conf->state, 0750) != 0 && errno != EEXIST) {
		log_warn("state directory %s", conf->state);
		goto err;
	}
	if (pidfile_open(n) != 0)
		goto err;
	if ((rc = fc_key_load(conf->keypath, &n->key)) != 0) {
		if (rc == ENOENT) {
			/* First start: make the node's key, as sshd makes host keys. */
			if ((rc = fc_key_generate(&n->key)) != 0 ||
			    (rc = fc_key_save(n->key, conf->keypath)) != 0) {
				log_warnx("cannot create key %s: %s", conf->keypath,
				    fc_strerror(rc));
				goto err;
			}
			log_info("created node key %s", conf->keypath);
		} else {
			log_warnx("cannot load key %s: %s", conf->keypath, fc_strerror(rc));
			goto err;
		}
	}
	fc_hex(fc_key_public(n->key), FC_PUBLICKEYBYTES, n->keyhex);
	if ((rc = store_open(conf->state, 0, &n->store)) != 0) {
		log_warnx("cannot open the store in %s: %s", conf->state, store_strerror(rc));
		goto err;
	}
	if ((from = store_upgraded_from(n->store, &indexed)) != 0)
		log_info("store in %s upgraded from schema %u to %d: indexes built over %llu "
		    "%s", conf->state, (unsigned)from, STORE_SCHEMA_VERSION,
		    (unsigned long long)indexed, from == 1 ? "messages" : from == 2 ? "references" :
		    "reports");
	if (trust_start(n) != 0)
		goto err;
	if ((n->zctx = zmq_ctx_new()) == NULL) {
		log_warnx("zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
		goto err;
	}
	/* transport key and ZAP handler before any socket binds */
	if (curve_open(n) != 0)
		goto err;
	if (limits_open(n) != 0)
		goto err;
	if (listen_open(n) != 0)
		goto err;
	if (ctl_open(n) != 0)
		goto err;
	for (i = 0; i < conf->npeers; i++) {
		p = peer_new(n, conf->peers[i].name, conf->peers[i].address, conf->peers[i].key, 1);
		if (p == NULL || node_add_peer(n, p) != 0) {
			peer_free(n, &p);
			log_warnx("out of memory");
			goto err;
		}
		if (peer_connect(n, p) != 0)
			goto err;
	}
	for (i = 0; i < conf->nlinks; i++) {	/* stream links (stream.c) */
		if ((p = peer_new_stream(n, &conf->links[i])) == NULL)
			goto err;
		if (node_add_peer(n, p) != 0) {
			peer_free(n, &p);
			log_warnx("out of memory");
			goto err;
		}
	}
	if (px_start(n) != 0)
		goto err;
	if (deliver_start(n) != 0)
		goto err;
	if (hook_start(n) != 0)
		goto err;
	/*
	 * Start-up read records scattered over the store (trust state, known nodes, the warnings
	 * of the last 30 days). On each page fault the kernel mapped neighbouring cached pages
	 * too, far more than those records hold, and the node will not read them again soon:
	 * they leave its resident set and stay in the page cache (docs/BENCHMARKS.md).
	 */
	if ((rc = store_release_pages(n->store)) != 0)
		log_debug("cannot release the store's pages: %s", store_strerror(rc));
	log_info("node %s (%.16s...) region %s started: %zu listen endpoint(s), %zu peer(s), "
	    "%zu stream link(s)", conf->name, n->keyhex, conf->region, conf->nlisten,
	    conf->npeers, conf->nlinks);
	return n;
err:
	node_free(&n);
	return NULL;
}

void
node_free(struct node **np)
{
	struct node *n;
	size_t i;

	if (np == NULL || (n = *np) == NULL)
		return;
	gossip_commit(n);	/* nothing gathered is lost on a clean stop */
	for (i = 0; i < n->npeers; i++)
		peer_free(n, &n->peers[i]);
	free(n->peers);
	trace_free(n);
	ctl_close(n);
	for (i = 0; i < n->nlisten; i++)
		zmq_close(n->listen[i]);
	free(n->listen);
	curve_close(n);	/* the ZAP socket, before the context ends */
	limits_close(n);
	if (n->zctx != NULL)
		zmq_ctx_term(n->zctx);
	free(n->missing);
	px_stop(n);
	deliver_free(n);
	hook_free(n);
	creceipt_free(n);
	trust_stop(n);
	store_close(&n->store);
	fc_key_free(&n->key);
	if (n->pid_fd >= 0) {
		unlink(n->pid_path);
		close(n->pid_fd);
	}
	conf_free(&n->conf);
	free(n);
	*np = NULL;
}

int
node_stopping(const struct node *n)
{
	return n->stop || (n->sigflag != NULL && *n->sigflag);
}

/* Read up to a budget of frames from a listen ROUTER. */
static void
listen_recv(struct node *n, void *s)
{
	uint8_t rid[NODE_RID_MAX];
	zmq_msg_t m;
	struct peer *p;
	int i, ridlen, more, rc;

	for (i = 0; i < NODE_READ_BUDGET && !gossip_pending_full(n); i++) {
		ridlen = zmq_recv(s, rid, sizeof(rid), ZMQ_DONTWAIT);
		if (ridlen < 0)
			return;
		if (ridlen > (int)sizeof(rid))
			ridlen = sizeof(rid);
		zmq_msg_init(&m);
		rc = zmq_msg_recv(&m, s, ZMQ_DONTWAIT);
		if (rc < 0) {
			zmq_msg_close(&m);
			return;
		}
		more = zmq_msg_more(&m);
		p = peer_find_rid(n, s, rid, (size_t)ridlen);
		curve_set_msg(n, &m);	/* its User-Id binds the HELLO */
		if (more) {
			/* One frame per message: a multipart message is garbage. */
			zmq_msg_t x;

			do {
				zmq_msg_init(&x);
				if (zmq_msg_recv(&x, s, ZMQ_DONTWAIT) < 0) {
					zmq_msg_close(&x);
					break;
				}
				more = zmq_msg_more(&x);
				zmq_msg_close(&x);
			} while (more);
			if (p != NULL)
				p->garbage++;
			else
				n->unknown_frames++;
		} else if (p != NULL) {
			peer_recv(n, p, &p->in, zmq_msg_data(&m), zmq_msg_size(&m));
		} else {
			peer_recv_unknown(n, s, rid, (size_t)ridlen, zmq_msg_data(&m),
			    zmq_msg_size(&m));
		}
		curve_set_msg(n, NULL);
		zmq_msg_close(&m);
	}
}

static void
dealer_recv(struct node *n, struct peer *p)
{
	zmq_msg_t m;
	int i, more, multi;

	for (i = 0; i < NODE_READ_BUDGET && !gossip_pending_full(n) && !p->dead; i++) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, p->out.sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return;
		}
		more = multi = zmq_msg_more(&m);
		while (more) {
			zmq_msg_t x;

			zmq_msg_init(&x);
			if (zmq_msg_recv(&x, p->out.sock, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(&x);
				break;
			}
			more = zmq_msg_more(&x);
			zmq_msg_close(&x);
		}
		if (multi)
			p->garbage++;
		else
			peer_recv(n, p, &p->out, zmq_msg_data(&m), zmq_msg_size(&m));
		zmq_msg_close(&m);
	}
}

/* Free peers marked dead during the pass (never inside their own handlers). */
static void
reap(struct node *n)
{
	size_t i, j;

	for (i = j = 0; i < n->npeers; i++) {
		if (n->peers[i]->dead && !n->peers[i]->configured) {
			log_debug("peer %s: forgotten", peer_label(n->peers[i]));
			peer_free(n, &n->peers[i]);
			continue;
		}
		n->peers[j++] = n->peers[i];
	}
	n->npeers = j;
}

/*
 * The timers, like Redis's serverCron. Duties:
 *  - per peer (peer_cron): HELLO retries, liveness (PING when idle, down when silent),
 *    periodic reconciliation;
 *  - lazy push (gossip_cron): WANT and GRAFT ids announced by HAVE that did not arrive;
 *  - trust (trust_cron): expire held messages whose certificate never came;
 *  - store quota (limits_cron): remove expired messages while the store is too large;
 *  - links (curve_cron): dial again after a failed handshake; close links whose key a
 *    REVOKE withdrew from a time that has come;
 *  - clock (clock_cron): log when this node's clock leaves its peers' tolerance;
 *  - control socket (ctl_cron): expire watch subscriptions;
 *  - hooks (hook_cron): reap, time out and start hook runs, find overdue reports.
 *  - systemd (notify_cron): the watchdog, and the status line when it changed.
 * Returns the earliest deadline (monotonic ms).
 */
static uint64_t
node_cron(struct node *n, uint64_t now)
{
	uint64_t next = now + NODE_CRON_MS, t;
	size_t i;

	for (i = 0; i < n->npeers; i++) {
		if (n->peers[i]->dead)
			continue;
		t = peer_cron(n, n->peers[i], now);
		if (t < next)
			next = t;
	}
	ctl_cron(n, now);
	t = px_cron(n, now);
	if (t < next)
		next = t;
	trust_cron(n, now_wall());
	limits_cron(n, now);
	curve_cron(n, now);
	clock_cron(n);
	t = gossip_cron(n, now);
	if (t < next)
		next = t;
	t = trace_cron(n, now);
	if (t < next)
		next = t;
	t = hook_cron(n, now);
	if (t < next)
		next = t;
	t = notify_cron(n, now);
	if (t < next)
		next = t;
	return next;
}

/*
 * The fixed poll slots, always at these indices; the listen ROUTERs follow them, then the
 * per-peer slots (ntpd's PFD_*).
 */
enum {
	PFD_CTL,	/* the control socket */
	PFD_SIGNAL,	/* the signal self-pipe */
	PFD_ZAP,	/* the ZAP handler's socket */
	PFD_MAX
};

/* What a per-peer poll slot polls. */
enum pollslot_what {
	SLOT_DEALER,	/* the peer's outbound DEALER */
	SLOT_MONITOR,	/* that DEALER's monitor */
	SLOT_STREAM	/* a stream link's descriptor (read, or write when blocked) */
};

/* Whose a per-peer poll slot is. */
struct pollslot {
	struct peer		*peer;
	enum pollslot_what	 what;
};

/* The per-peer part of the poll array: items[i] belongs to slots[i]. */
struct pollset {
	zmq_pollitem_t	*items;
	struct pollslot	*slots;
	size_t		 n;
};

static void
pollset_add(struct pollset *ps, struct peer *p, enum pollslot_what what, void *sock, int fd,
    short events)
{
	ps->slots[ps->n].peer = p;
	ps->slots[ps->n].what = what;
	ps->items[ps->n].socket = sock;
	ps->items[ps->n].fd = fd;
	ps->items[ps->n].events = events;
	ps->n++;
}

void
node_step(struct node *n, int max_wait_ms)
{
	zmq_pollitem_t *items;
	struct pollset ps;
	struct pollslot *sl;
	size_t nitems, nhook, i;
	uint64_t now, next, next_tx = UINT64_MAX;
	int timeout, rc, blocked = 0;

	/* At most two slots per peer: DEALER and monitor, or a stream's read and write fds. */
	items = calloc(PFD_MAX + n->nlisten + 2 * n->npeers + hook_poll_max(n), sizeof(*items));
	ps.slots = calloc(2 * n->npeers + 1, sizeof(*ps.slots));
	if (items == NULL || ps.slots == NULL)
		fatalx("out of memory");
	items[PFD_CTL].socket = n->ctl;
	items[PFD_CTL].events = ZMQ_POLLIN;
	/* The signal self-pipe: a signal wakes the poll even if it came just before it. */
	items[PFD_SIGNAL].socket = NULL;
	items[PFD_SIGNAL].fd = n->sigfd;
	items[PFD_SIGNAL].events = n->sigfd >= 0 ? ZMQ_POLLIN : 0;
	/* the ZAP handler, answered from this loop */
	items[PFD_ZAP].socket = curve_zap_socket(n);
	items[PFD_ZAP].events = items[PFD_ZAP].socket != NULL ? ZMQ_POLLIN : 0;
	for (i = 0; i < n->nlisten; i++) {
		items[PFD_MAX + i].socket = n->listen[i];
		items[PFD_MAX + i].events = ZMQ_POLLIN;
	}
	ps.items = items + PFD_MAX + n->nlisten;
	ps.n = 0;
	for (i = 0; i < n->npeers; i++) {
		struct peer *p = n->peers[i];
		struct stream *st;
		short ev;

		if ((st = peer_stream(p)) != NULL) {
			/* A stream link: its descriptor(s), not a socket (no socket item). */
			if (!peer_stream_link(p)->st_eof) {
				ev = ZMQ_POLLIN;
				if (stream_wblocked(st) && stream_wfd(st) == stream_rfd(st))
					ev |= ZMQ_POLLOUT;
				pollset_add(&ps, p, SLOT_STREAM, NULL, stream_rfd(st), ev);
				if (stream_wblocked(st) && stream_wfd(st) != stream_rfd(st))
					pollset_add(&ps, p, SLOT_STREAM, NULL, stream_wfd(st),
					    ZMQ_POLLOUT);
				/* Paced: wake when the air is free for the next bytes. */
				if (stream_next_tx(st) != 0 && stream_next_tx(st) < next_tx)
					next_tx = stream_next_tx(st);
			}
			continue;
		}
		if (p->out.sock == NULL)
			continue;
		ev = ZMQ_POLLIN;
		if (p->out.blocked && p->q.n > 0)
			ev |= ZMQ_POLLOUT;
		pollset_add(&ps, p, SLOT_DEALER, p->out.sock, 0, ev);
		pollset_add(&ps, p, SLOT_MONITOR, p->out.monitor, 0, ZMQ_POLLIN);
		if (p->in.blocked && p->q.n > 0)
			blocked = 1;	/* ROUTER: no per-peer POLLOUT, retry soon */
	}
	nitems = PFD_MAX + n->nlisten + ps.n;
	/* Last, the pipes of running hook programs (hook.c). */
	nhook = hook_poll_add(n, items + nitems, hook_poll_max(n));
	nitems += nhook;

	now = now_mono();
	next = n->next_cron;
	if (next_tx < next)
		next = next_tx;
	timeout = next > now ? (int)(next - now) : 0;
	if (blocked && timeout > 10)
		timeout = 10;
	/* Messages made since the last commit (delivery receipts, released ones) go at once. */
	if (n->ingest != NULL && ingest_pending(n->ingest) > 0)
		timeout = 0;
	if (max_wait_ms >= 0 && timeout > max_wait_ms)
		timeout = max_wait_ms;

	rc = zmq_poll(items, (int)nitems, timeout);
	if (rc < 0) {
		if (zmq_errno() == ETERM)
			n->stop = 1;
		else if (zmq_errno() != EINTR)
			log_warnx("zmq_poll: %s", zmq_strerror(zmq_errno()));
		goto out;
	}
	if (rc > 0) {
		/* Peers' frames on the listen ROUTERs, then the fixed slots, then each peer's. */
		for (i = 0; i < n->nlisten; i++)
			if (items[PFD_MAX + i].revents & ZMQ_POLLIN)
				listen_recv(n, n->listen[i]);
		if (items[PFD_CTL].revents & ZMQ_POLLIN)
			ctl_recv(n);
		if (items[PFD_SIGNAL].revents & ZMQ_POLLIN) {
			char buf[64];

			while (read(n->sigfd, buf, sizeof(buf)) > 0)
				;	/* the flag says what happened */
		}
		if (items[PFD_ZAP].revents & ZMQ_POLLIN)
			curve_zap(n);
		for (i = 0; i < ps.n; i++) {
			sl = &ps.slots[i];
			switch (sl->what) {
			case SLOT_STREAM:
				/*
				 * Writing happens after the flush below. A pipe whose writer is
				 * gone polls as POLLHUP (ZMQ_POLLERR): read its EOF.
				 */
				if (ps.items[i].revents & (ZMQ_POLLIN | ZMQ_POLLERR))
					peer_stream_read(n, sl->peer);
				break;
			case SLOT_MONITOR:
				if (ps.items[i].revents & ZMQ_POLLIN)
					peer_monitor_event(n, sl->peer);
				break;
			case SLOT_DEALER:
				if (ps.items[i].revents & ZMQ_POLLIN)
					dealer_recv(n, sl->peer);
				break;
			}
		}
		hook_poll_events(n, items + nitems - nhook, nhook);
	}
	/* The one write transaction of this pass; then everything new goes out. */
	gossip_commit(n);
	/* The timers are cheap checks: run them every pass, sleep until the earliest. */
	n->next_cron = node_cron(n, now_mono());
	for (i = 0; i < n->npeers; i++)
		if (!n->peers[i]->dead && n->peers[i]->q.n > 0)
			(void)peer_flush(n, n->peers[i]);
	for (i = 0; i < n->npeers; i++)	/* stream links: what the pacing allows now */
		if (!n->peers[i]->dead && peer_stream(n->peers[i]) != NULL)
			peer_stream_write(n, n->peers[i]);
	/* SIGHUP: between handlers, and before the reap that frees the peers it retires. */
	if (n->hupflag != NULL && *n->hupflag) {
		*n->hupflag = 0;
		notify_state(n, "RELOADING=1");
		(void)reload_conf(n);
		notify_state(n, "READY=1");
	}
	reap(n);
out:
	free(items);
	free(ps.slots);
}

void
node_run(struct node *n)
{
	n->next_cron = now_mono();
	notify_ready(n);
	while (!node_stopping(n))
		node_step(n, -1);
	notify_state(n, "STOPPING=1");
	log_info("stopping");
}
