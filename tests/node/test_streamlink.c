/*
 * test_streamlink.c: stream links between whole nodes in one process ([link] type = udp on
 * 127.0.0.1): the link comes up at both ends in the roles the key order gives; a node that
 * presents another key than the configured one is refused; what is shown for the link;
 * what a stranger on the line can send without the session keys is refused and counted;
 * on a paced link, a red warning's receipt overtakes a backlog, both ends are heard at the
 * liveness cadence, and a link that is down sets no deadline that spins the loop; HAVE and
 * WANT with short ids when both ends announce them, whole ids when one does not; PUSH
 * deflated when both ends announce it, plain when one does not, and deflated frames a peer
 * must not send (a decompression bomb, a frame other than PUSH or HAVE inside, one to a node
 * that did not offer it) refused and counted; no PONG while data is on its way to the
 * pinging end; delivery receipts as compact records, several in one frame, when both ends
 * announce them, whole envelopes when one does not.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <zlib.h>

#include "node.h"
#include "trustfix.h"

/* Gathered as the node's own messages are: judged, held while their chain is unknown. */
static const struct ingest_src node_src = { INGEST_NODE, NULL, 0, 0 };

#define DEADLINE_MS	30000	/* generous: a loaded machine, HELLO every 3 s */

struct env {
	char		 dir[64];
	struct node	*n[3];
	char		 key[3][2 * FC_PUBLICKEYBYTES + 1];
	int		 port[3];
	const char	*link_extra;	/* more lines for the [link] sections, or NULL */
	unsigned	 short_off;	/* bit i: node i runs with FENGHUOD_SHORT_IDS=no */
	unsigned	 deflate_off;	/* bit i: node i runs with FENGHUOD_DEFLATE=no */
	unsigned	 compact_off;	/* ... with FENGHUOD_COMPACT_RECEIPTS=no */
};

/* A free UDP port on 127.0.0.1 (the kernel's pick, released again). */
static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* A new key for node i (replacing any). */
static void
new_key(struct env *e, int i)
{
	char path[256];
	struct fc_key *k;

	snprintf(path, sizeof(path), "%s/n%d/node.key", e->dir, i);
	(void)unlink(path);
	assert_int_equal(fc_key_generate(&k), 0);
	assert_int_equal(fc_key_save(k, path), 0);
	fc_hex(fc_key_public(k), FC_PUBLICKEYBYTES, e->key[i]);
	fc_key_free(&k);
}

/* Node i's key (made now), its state directory, its UDP port. */
static void
make_key(struct env *e, int i)
{
	char state[128];

	snprintf(state, sizeof(state), "%s/n%d", e->dir, i);
	assert_int_equal(mkdir(state, 0700), 0);
	new_key(e, i);
	e->port[i] = free_port();
}

/* Nodes i and j trade key files (so that a test can choose which key sorts first). */
static void
swap_keys(struct env *e, int i, int j)
{
	char pi[256], pj[256], tmp[256], k[sizeof(e->key[0])];

	snprintf(pi, sizeof(pi), "%s/n%d/node.key", e->dir, i);
	snprintf(pj, sizeof(pj), "%s/n%d/node.key", e->dir, j);
	snprintf(tmp, sizeof(tmp), "%s/swap.key", e->dir);
	assert_int_equal(rename(pi, tmp), 0);
	assert_int_equal(rename(pj, pi), 0);
	assert_int_equal(rename(tmp, pj), 0);
	memcpy(k, e->key[i], sizeof(k));
	memcpy(e->key[i], e->key[j], sizeof(k));
	memcpy(e->key[j], k, sizeof(k));
}

/* Node i with a UDP link to whoever is at port remote, expecting key of node want. */
static struct node *
make_node(struct env *e, int i, int local, int remote, int want)
{
	char path[256], state[128];
	struct conf *conf;
	struct node *n;
	FILE *fp;

	snprintf(state, sizeof(state), "%s/n%d", e->dir, i);
	snprintf(path, sizeof(path), "%s/n%d.conf", e->dir, i);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "[trust]\nopen = yes\n[node]\nname = n%d\nregion = 330110101\n"
	    "key = %s/node.key\nstate = %s\nlog_level = error\n", i, state, state);
	fprintf(fp, "[link radio]\ntype = udp\nkey = %s\nlocal = 127.0.0.1:%d\n"
	    "remote = 127.0.0.1:%d\nmtu = 300\n%s", e->key[want], local, remote,
	    e->link_extra != NULL ? e->link_extra : "");
	fclose(fp);
	assert_int_equal(conf_load(path, stderr, &conf), 0);
	if (e->short_off & (1u << i))
		assert_int_equal(setenv("FENGHUOD_SHORT_IDS", "no", 1), 0);
	if (e->deflate_off & (1u << i))
		assert_int_equal(setenv("FENGHUOD_DEFLATE", "no", 1), 0);
	if (e->compact_off & (1u << i))
		assert_int_equal(setenv("FENGHUOD_COMPACT_RECEIPTS", "no", 1), 0);
	n = node_new(conf);
	assert_int_equal(unsetenv("FENGHUOD_SHORT_IDS"), 0);
	assert_int_equal(unsetenv("FENGHUOD_DEFLATE"), 0);
	assert_int_equal(unsetenv("FENGHUOD_COMPACT_RECEIPTS"), 0);
	return n;
}

static struct peer *
radio(struct node *n)
{
	assert_int_equal(n->npeers, 1);
	return n->peers[0];
}

static void
step(struct env *e)
{
	int i;

	for (i = 0; i < 3; i++)
		if (e->n[i] != NULL)
			node_step(e->n[i], 5);
}

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	snprintf(e->dir, sizeof(e->dir), "/tmp/fh-slink-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];
	int i;

	for (i = 0; i < 3; i++)
		node_free(&e->n[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	assert_int_equal(system(cmd), 0);
	free(e);
	return 0;
}

/* Two nodes, each configured with the other's key: up at both ends, roles by key order. */
static void
test_up(void **state)
{
	struct env *e = *state;
	struct peer *p0, *p1;
	uint64_t end = now_mono() + DEADLINE_MS;

	make_key(e, 0);
	make_key(e, 1);
	assert_non_null(e->n[0] = make_node(e, 0, e->port[0], e->port[1], 1));
	assert_non_null(e->n[1] = make_node(e, 1, e->port[1], e->port[0], 0));
	p0 = radio(e->n[0]);
	p1 = radio(e->n[1]);
	while (!(peer_is_up(p0) && peer_is_up(p1)) && now_mono() < end)
		step(e);
	assert_true(peer_is_up(p0));
	assert_true(peer_is_up(p1));
	/* Exactly one end speaks first: its link is the "out" one. */
	assert_true((p0->out.st != NULL) != (p1->out.st != NULL));
	assert_true((p0->out.st != NULL) == (strcmp(e->key[0], e->key[1]) < 0));
	assert_non_null(peer_stream(p0));
	assert_int_equal(stream_kind(peer_stream(p0)), STREAM_UDP);
	assert_true(stream_stats(peer_stream(p0))->frames > 0);
	assert_int_equal(stream_stats(peer_stream(p0))->crc_errors, 0);
	assert_int_equal(strncmp(p0->address, "udp:127.0.0.1:", 14), 0);
}

/*
 * Node 0 expects node 1, but node 2 (another key) sits at node 1's address and expects
 * node 0: node 0 refuses the link, whichever roles the three keys give.
 */
static void
test_wrong_key(void **state)
{
	struct env *e = *state;
	struct peer *p0;
	uint64_t end = now_mono() + DEADLINE_MS;

	make_key(e, 0);
	make_key(e, 1);
	make_key(e, 2);
	/*
	 * The impostor's key sorts below node 0's, so that it speaks first (two answering
	 * ends would both wait in silence: never up, but nothing to refuse either). Node 0
	 * plays either role, as its key and node 1's fall.
	 */
	if (strcmp(e->key[2], e->key[0]) > 0)
		swap_keys(e, 0, 2);
	assert_true(strcmp(e->key[2], e->key[0]) < 0);
	assert_non_null(e->n[0] = make_node(e, 0, e->port[0], e->port[1], 1));
	assert_non_null(e->n[2] = make_node(e, 2, e->port[1], e->port[0], 0));
	p0 = radio(e->n[0]);
	while (strcmp(peer_state_name(p0), "refused") != 0 && now_mono() < end)
		step(e);
	assert_string_equal(peer_state_name(p0), "refused");
	assert_false(peer_is_up(p0));
	assert_int_equal(p0->refused_logged, 1);
}

/* Send msg (one link frame) to node 0's port from the socket fd. */
static void
send_msg(struct env *e, int fd, const uint8_t *msg, size_t len, uint16_t seq)
{
	struct sockaddr_in sa;
	uint8_t fr[512];
	size_t flen;

	assert_true(len + STREAM_OVERHEAD <= 300);
	flen = stream_frag(msg, len, 300, seq, 0, fr);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)e->port[0]);
	assert_int_equal(sendto(fd, fr, flen, 0, (struct sockaddr *)&sa, sizeof(sa)),
	    (ssize_t)flen);
}

/*
 * Node 0 alone, its link pointing at node 1's port, and a UDP socket of the test's in *fd:
 * bound to node 1's port when at_remote (the test plays whoever sits there), else anywhere.
 * With remote_speaks, node 1's key is made the lower: node 0 answers, node 1 speaks first.
 */
static struct peer *
lone_node(struct env *e, int *fd, int at_remote, int remote_speaks)
{
	struct sockaddr_in sa;

	make_key(e, 0);
	make_key(e, 1);
	if (remote_speaks && strcmp(e->key[1], e->key[0]) > 0)
		swap_keys(e, 0, 1);
	assert_non_null(e->n[0] = make_node(e, 0, e->port[0], e->port[1], 1));
	assert_true((*fd = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
	if (at_remote) {
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons((uint16_t)e->port[1]);
		assert_int_equal(bind(*fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	return radio(e->n[0]);
}

/* A datagram from another address than remote is dropped and counted. */
static void
test_foreign(void **state)
{
	struct env *e = *state;
	struct peer *p0;
	uint64_t end = now_mono() + DEADLINE_MS;
	int fd;

	p0 = lone_node(e, &fd, 0, 0);
	send_msg(e, fd, (const uint8_t *)"\x32\x00", 2, 1);	/* a PING */
	while (stream_stats(peer_stream(p0))->foreign == 0 && now_mono() < end)
		step(e);
	close(fd);
	assert_int_equal(stream_stats(peer_stream(p0))->foreign, 1);
	assert_int_equal(stream_stats(peer_stream(p0))->frames, 0);
}

/* Step node 0 until its stream peer's counter `field` (of the session stats) reaches want. */
#define STEP_UNTIL(e, p, field, want) do {						\
	uint64_t end_ = now_mono() + DEADLINE_MS;					\
	while (slink_stats(peer_slink(p))->field < (want) && now_mono() < end_)		\
		step(e);								\
	assert_int_equal(slink_stats(peer_slink(p))->field, (want));			\
} while (0)

/*
 * A stranger at node 1's address (the test, on node 1's UDP port) who knows node 1's public
 * key but not its secret: a raw PING without the session's kind byte, a HELLO in node 1's
 * name with a signature that is not node 1's, and a sealed-looking message before any
 * session are each refused and counted; the link never comes up.
 */
static void
test_stranger_on_the_line(void **state)
{
	struct env *e = *state;
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Hello h = FENGHUO__HELLO__INIT;
	struct peer *p0;
	uint8_t eph[32], sig[64], msg[400], sealed[64];
	size_t len;
	int fd;

	p0 = lone_node(e, &fd, 1, 0);

	/* 1. A Frame as an older, unauthenticated peer would send it: no kind byte. */
	send_msg(e, fd, (const uint8_t *)"\x32\x02\x08\x01", 4, 1);
	STEP_UNTIL(e, p0, malformed, 1);

	/* 2. HELLO claiming node 1's key, signed by someone else (random bytes). */
	randombytes_buf(eph, sizeof(eph));
	randombytes_buf(sig, sizeof(sig));
	h.has_protocol_version = 1;
	h.protocol_version = WIRE_PROTOCOL_VERSION;
	h.has_node_key = 1;
	assert_int_equal(fc_unhex(e->key[1], msg, FC_PUBLICKEYBYTES), 0);
	h.node_key.data = msg;
	h.node_key.len = FC_PUBLICKEYBYTES;
	h.has_link_eph = 1;
	h.link_eph.data = eph;
	h.link_eph.len = sizeof(eph);
	h.has_link_peer_eph = 1;	/* as an answer would carry it */
	h.link_peer_eph.data = eph;
	h.link_peer_eph.len = sizeof(eph);
	h.has_link_sig = 1;
	h.link_sig.data = sig;
	h.link_sig.len = sizeof(sig);
	f.msg_case = FENGHUO__FRAME__MSG_HELLO;
	f.hello = &h;
	msg[FC_PUBLICKEYBYTES] = SLINK_KIND_HELLO;
	len = fenghuo__frame__pack(&f, msg + FC_PUBLICKEYBYTES + 1);
	send_msg(e, fd, msg + FC_PUBLICKEYBYTES, len + 1, 2);
	STEP_UNTIL(e, p0, hello_bad, 1);

	/* 3. Something sealed-looking: there is no session to check it against. */
	memset(sealed, 0xa5, sizeof(sealed));
	sealed[0] = SLINK_KIND_SEALED;
	send_msg(e, fd, sealed, sizeof(sealed), 3);
	STEP_UNTIL(e, p0, unkeyed, 1);

	assert_false(peer_is_up(p0));
	assert_false(slink_keyed(peer_slink(p0)));
	assert_int_equal(stream_stats(peer_stream(p0))->crc_errors, 0);	/* all well framed */
	close(fd);
}

/* Send a HELLO of node_key (with the session fields of sl signed by key, if sl) to node 0. */
static void
send_hello_as(struct env *e, int fd, const uint8_t *node_key, struct slink *sl,
    const struct fc_key *key, unsigned caps, uint16_t seq)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Hello h = FENGHUO__HELLO__INIT;
	uint8_t msg[400];
	size_t len;

	h.has_protocol_version = 1;
	h.protocol_version = WIRE_PROTOCOL_VERSION;
	h.has_node_key = 1;
	h.node_key.data = (uint8_t *)(uintptr_t)node_key;
	h.node_key.len = FC_PUBLICKEYBYTES;
	h.has_capabilities = 1;
	h.capabilities = CAP_EAGER;
	if (sl != NULL)
		slink_hello_out(sl, key, 1, &h);
	h.capabilities = caps;	/* differs from what was signed when a test says so */
	f.msg_case = FENGHUO__FRAME__MSG_HELLO;
	f.hello = &h;
	msg[0] = SLINK_KIND_HELLO;
	len = fenghuo__frame__pack(&f, msg + 1);
	send_msg(e, fd, msg, len + 1, seq);
}

/*
 * The test plays node 1 (the speaking end: its key is made the lower) with node 1's own key:
 * its signed HELLO brings node 0's link up. Then, with the session alive, what a stranger
 * sends cannot take the link down or change it: a HELLO presenting another key (which would
 * refuse the link if no session were alive), and node 1's HELLO replayed with other
 * capabilities than it signed (a prune that node 1 never asked for).
 */
static void
test_live_session_holds(void **state)
{
	struct env *e = *state;
	struct fc_key *k1, *k2;
	struct slink *sl;
	struct peer *p0;
	char path[256];
	uint64_t end = now_mono() + DEADLINE_MS;
	int fd;

	p0 = lone_node(e, &fd, 1, 1);
	snprintf(path, sizeof(path), "%s/n1/node.key", e->dir);
	assert_int_equal(fc_key_load(path, &k1), 0);
	assert_int_equal(fc_key_generate(&k2), 0);
	assert_non_null(sl = slink_new());

	send_hello_as(e, fd, fc_key_public(k1), sl, k1, CAP_EAGER, 1);
	while (!peer_is_up(p0) && now_mono() < end)
		step(e);
	assert_true(peer_is_up(p0));
	assert_true(slink_keyed(peer_slink(p0)));

	send_hello_as(e, fd, fc_key_public(k2), NULL, NULL, CAP_EAGER, 2);
	STEP_UNTIL(e, p0, hello_ignored, 1);
	send_hello_as(e, fd, fc_key_public(k1), sl, k1, CAP_LAZY, 3);
	STEP_UNTIL(e, p0, hello_bad, 1);
	assert_true(peer_is_up(p0));
	assert_int_equal(p0->refused_logged, 0);
	assert_int_equal(p0->lazy_out, 0);

	slink_free(&sl);
	fc_key_free(&k1);
	fc_key_free(&k2);
	close(fd);
}

/* Nodes 0 and 1 linked (paced by e->link_extra), stepped until up at both ends. */
static void
up_pair(struct env *e)
{
	uint64_t end = now_mono() + DEADLINE_MS;

	make_key(e, 0);
	make_key(e, 1);
	assert_non_null(e->n[0] = make_node(e, 0, e->port[0], e->port[1], 1));
	assert_non_null(e->n[1] = make_node(e, 1, e->port[1], e->port[0], 0));
	while (!(peer_is_up(radio(e->n[0])) && peer_is_up(radio(e->n[1]))) && now_mono() < end)
		step(e);
	assert_true(peer_is_up(radio(e->n[0])));
	assert_true(peer_is_up(radio(e->n[1])));
}

/* A report by K_REPORTER, its title made unique by k. */
static void
make_report(struct tf_env *tf, int k, struct tf_msg *m)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	char title[32];

	snprintf(title, sizeof(title), "backlog report %d", k);
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__REPORT;
	b.region = (char *)(uintptr_t)"330110101201";
	b.category = (char *)(uintptr_t)"flood";
	b.title = title;
	tf_seal(tf, K_REPORTER, &b, m);
}

struct receipt_by {
	const uint8_t	*author;
	int		 found;
};

/* store_iter_refs callback: a receipt by r->author. */
static int
is_receipt_by(void *arg, const struct store_view *v)
{
	struct receipt_by *r = arg;
	const uint8_t *body, *sig;
	size_t bodylen, siglen;
	Fenghuo__Body *b;

	if (v->seen->kind != FENGHUO__KIND__RECEIPT ||
	    fc_envelope_split(v->env, v->len, &body, &bodylen, &sig, &siglen) != 0 ||
	    (b = wire_body_unpack(body, bodylen)) == NULL)
		return 0;
	r->found = b->has_author && b->author.len == FC_PUBLICKEYBYTES &&
	    memcmp(b->author.data, r->author, FC_PUBLICKEYBYTES) == 0;
	fenghuo__body__free_unpacked(b, NULL);
	return r->found;
}

#define BACKLOG		300

/*
 * Node 0 (the county) has a backlog of reports queued for node 1 (the village) on a paced
 * link, then issues a red warning. The village stores it and confirms it; the receipt is
 * at the county while the village still lacks reports of the backlog: control frames go
 * ahead of data and the receipt travels as red as its warning (before, the county's WANT
 * for the receipt waited behind every report).
 */
static void
test_receipt_overtakes_backlog(void **state)
{
	struct env *e = *state;
	struct tf_env *tf = tf_new("slowrep");
	struct tf_msg m, w;
	struct receipt_by rb;
	struct peer *p0;
	uint64_t end;
	int k;

	e->link_extra = "bitrate = 96000\n";
	up_pair(e);
	p0 = radio(e->n[0]);
	for (k = 0; k < BACKLOG; k++) {
		make_report(tf, k, &m);
		assert_int_equal(peer_queue_envelope(e->n[0], p0, m.env, m.len, 0), 0);
		free(m.env);
	}
	tf_warning(tf, K_ISSUER, "330110", "red rainstorm", &w);
	assert_int_equal(gossip_add(e->n[0], w.env, w.len, &node_src), 0);
	gossip_commit(e->n[0]);
	rb.author = fc_key_public(e->n[1]->key);
	rb.found = 0;
	end = now_mono() + DEADLINE_MS;
	while (!rb.found && now_mono() < end) {
		step(e);
		(void)store_iter_refs(e->n[0]->store, w.id, is_receipt_by, &rb);
	}
	assert_true(rb.found);
	assert_int_equal(store_has(e->n[1]->store, w.id), 1);
	/* (The village stored the warning and its own receipt too.) */
	assert_true(e->n[1]->stored < BACKLOG);
	assert_true(p0->q.n > 0);	/* the backlog is still on its way */
	free(w.env);
	tf_free(tf);
}

/*
 * Stepped until nothing is on its way either way and no Sync frame passed for 500 ms (the
 * round a link up starts is over), so that what a test sends next is all there is.
 */
static void
quiet(struct env *e)
{
	uint64_t end = now_mono() + DEADLINE_MS, now;
	struct peer *p;
	int i, busy;

	do {
		step(e);
		now = now_mono();
		for (i = busy = 0; i < 2; i++) {
			p = radio(e->n[i]);
			busy |= p->q.n > 0 || stream_backlog(peer_stream(p)) > 0 ||
			    (p->sync_last != 0 && now - p->sync_last < 500);
		}
	} while (busy && now < end);
	assert_false(busy);
}

/* Node i's peer PINGs now (as after NODE_PING_MS of silence); stepped until node j got it. */
static void
ping_across(struct env *e, int i, int j)
{
	struct peer *pi = radio(e->n[i]), *pj = radio(e->n[j]);
	uint64_t before = pi->msgs_out, in_before = pj->msgs_in, end;

	(void)peer_cron(e->n[i], pi, now_mono() + NODE_PING_MS);
	assert_true(pi->msgs_out > before);
	pi->in.ping_tx = pi->out.ping_tx = 0;
	end = now_mono() + DEADLINE_MS;
	while (pj->msgs_in == in_before && now_mono() < end)
		step(e);
	assert_true(pj->msgs_in > in_before);
}

/*
 * A PING on a stream link is answered when nothing is on its way to the pinging end; while
 * data is (a backlog on a paced link), that data is the sign of life and no PONG takes its
 * air. Either way the pinging end keeps the link up. The sending end does not PING while its
 * link frames go out.
 */
static void
test_pong_while_sending(void **state)
{
	struct env *e = *state;
	struct tf_env *tf = tf_new("pong");
	struct tf_msg m;
	struct peer *p0;
	uint64_t before;
	int k;

	e->link_extra = "bitrate = 96000\n";
	up_pair(e);
	p0 = radio(e->n[0]);
	quiet(e);
	ping_across(e, 1, 0);
	assert_int_equal(p0->pongs_skipped, 0);

	for (k = 0; k < BACKLOG; k++) {
		make_report(tf, k, &m);
		assert_int_equal(peer_queue_envelope(e->n[0], p0, m.env, m.len, 0), 0);
		free(m.env);
	}
	step(e);
	/*
	 * The sending end does not PING for having handed the link no new message for
	 * NODE_PING_MS: its link frames going out are what it says.
	 */
	p0->out.last_tx = p0->in.last_tx = 1;
	p0->out.ping_tx = p0->in.ping_tx = 0;
	before = p0->msgs_out;
	(void)peer_cron(e->n[0], p0, now_mono() + 100);
	assert_int_equal(p0->msgs_out, before);
	ping_across(e, 1, 0);
	assert_int_equal(p0->pongs_skipped, 1);
	assert_true(p0->q.n > 0);	/* the backlog is still on its way */
	assert_true(peer_is_up(radio(e->n[1])));
	tf_free(tf);
}

#define SHORT_N		40

/*
 * Node 0 stores SHORT_N new reports: it announces them to node 1 by HAVE, node 1 asks for
 * them by WANT, node 0 sends them. Returns when node 1 holds them all; ids[k] are theirs.
 */
static void
announce_reports(struct env *e, struct tf_env *tf, uint8_t ids[SHORT_N][FC_IDBYTES])
{
	struct tf_msg m;
	uint64_t end;
	int k, have;

	for (k = 0; k < SHORT_N; k++) {
		make_report(tf, k, &m);
		memcpy(ids[k], m.id, FC_IDBYTES);
		assert_int_equal(gossip_add(e->n[0], m.env, m.len, &node_src), 0);
		free(m.env);
	}
	gossip_commit(e->n[0]);
	end = now_mono() + DEADLINE_MS;
	do {
		step(e);
		for (k = have = 0; k < SHORT_N; k++)
			have += store_has(e->n[1]->store, ids[k]) == 1;
	} while (have < SHORT_N && now_mono() < end);
	assert_int_equal(have, SHORT_N);
}

/*
 * Two nodes that both announce CAP_SHORT_IDS use it: every report is announced (HAVE) and
 * asked for (WANT) by its 8-byte prefix, and arrives. A short HAVE of a prefix held already
 * asks for nothing, of an unknown one asks by WANT; a short WANT of a held prefix is answered
 * with the envelope, of an unknown one with nothing; a partial prefix is refused.
 */
static void
test_short_ids(void **state)
{
	struct env *e = *state;
	struct tf_env *tf = tf_new("shortid");
	uint8_t ids[SHORT_N][FC_IDBYTES], unknown[SHORTID_BYTES];
	struct peer *p0, *p1;
	struct pq_item *it;
	Fenghuo__Frame *f;
	uint8_t *many;
	uint64_t n0;
	size_t q;

	up_pair(e);
	p0 = radio(e->n[0]);
	p1 = radio(e->n[1]);
	assert_true(shortid_use(p0));
	assert_true(shortid_use(p1));
	quiet(e);
	announce_reports(e, tf, ids);
	assert_true(p1->short_ids_in >= SHORT_N);	/* the HAVEs */
	assert_true(p0->short_ids_in >= SHORT_N);	/* the WANTs */
	quiet(e);

	memset(unknown, 0xa5, sizeof(unknown));
	q = p1->q.n;
	assert_int_equal(shortid_have_recv(e->n[1], p1, ids[3], SHORTID_BYTES), 0);
	assert_int_equal(p1->q.n, q);
	assert_int_equal(shortid_have_recv(e->n[1], p1, unknown, SHORTID_BYTES), 0);
	assert_int_equal(p1->q.n, q + 1);
	/* ... a WANT of that prefix alone, in the short form. */
	assert_non_null(it = pq_pop(&p1->q));
	assert_int_equal(it->type, PQ_FRAME);
	assert_non_null(f = wire_frame_unpack(it->data, it->len));
	assert_int_equal(f->msg_case, FENGHUO__FRAME__MSG_WANT);
	assert_int_equal(f->want->n_ids, 0);
	assert_true(f->want->has_short_ids);
	assert_int_equal(f->want->short_ids.len, SHORTID_BYTES);
	assert_memory_equal(f->want->short_ids.data, unknown, SHORTID_BYTES);
	fenghuo__frame__free_unpacked(f, NULL);
	free(it);
	assert_int_equal(shortid_have_recv(e->n[1], p1, unknown, SHORTID_BYTES - 1), -1);
	q = p0->q.n;
	assert_int_equal(shortid_want_recv(e->n[0], p0, unknown, SHORTID_BYTES), 0);
	assert_int_equal(p0->q.n, q);
	/* ids[5] went out lately (as it did, but whatever the machine's speed): not again... */
	pq_sent(&p0->q, ids[5], now_mono() + PQ_SENT_MS);
	assert_int_equal(shortid_want_recv(e->n[0], p0, ids[5], SHORTID_BYTES), 0);
	assert_int_equal(p0->q.n, q);
	/* ... but once that is forgotten, the WANT is answered with the envelope. */
	free(p0->q.sent);
	p0->q.sent = NULL;
	assert_int_equal(shortid_want_recv(e->n[0], p0, ids[5], SHORTID_BYTES), 0);
	assert_int_equal(p0->q.n, q + 1);
	assert_int_equal(shortid_want_recv(e->n[0], p0, ids[5], 2 * SHORTID_BYTES + 1), -1);
	/* At most NODE_WANT_MAX prefixes of one frame are read. */
	assert_non_null(many = calloc(NODE_WANT_MAX + 10, SHORTID_BYTES));
	n0 = p0->short_ids_in;
	assert_int_equal(shortid_want_recv(e->n[0], p0, many,
	    (NODE_WANT_MAX + 10) * SHORTID_BYTES), 0);
	assert_int_equal(p0->short_ids_in, n0 + NODE_WANT_MAX);
	free(many);
	tf_free(tf);
}

/*
 * A node with short ids turned off (FENGHUOD_SHORT_IDS=no: it does not announce
 * CAP_SHORT_IDS, as a peer without the feature) and a node with them: neither uses the short
 * form to it, and the reports arrive by whole ids.
 */
static void
test_short_ids_off(void **state)
{
	struct env *e = *state;
	struct tf_env *tf = tf_new("shortoff");
	uint8_t ids[SHORT_N][FC_IDBYTES];

	e->short_off = 1u << 1;
	up_pair(e);
	assert_false(shortid_use(radio(e->n[0])));
	assert_false(shortid_use(radio(e->n[1])));
	quiet(e);
	announce_reports(e, tf, ids);
	assert_int_equal(radio(e->n[0])->short_ids_in, 0);
	assert_int_equal(radio(e->n[1])->short_ids_in, 0);
	tf_free(tf);
}

/* What node i's radio peer counts as garbage after peer_recv of frame (len bytes). */
static uint64_t
garbage_after(struct env *e, int i, const uint8_t *frame, size_t len)
{
	struct peer *p = radio(e->n[i]);

	peer_recv(e->n[i], p, peer_stream_link(p), frame, len);
	return p->garbage;
}

/* Frame{deflated} of bytes deflated by zlib itself (any size, unlike wire_frame_deflate). */
static uint8_t *
deflated_frame(const uint8_t *raw, size_t rawlen, size_t *len)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	uLongf zlen = compressBound((uLong)rawlen) + 64;
	uint8_t *z, *out;
	z_stream zs;

	assert_non_null(z = malloc(zlen));
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)raw;
	zs.avail_in = (uInt)rawlen;
	zs.next_out = z;
	zs.avail_out = (uInt)zlen;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	f.msg_case = FENGHUO__FRAME__MSG_DEFLATED;
	f.deflated.data = z;
	f.deflated.len = zlen - zs.avail_out;
	deflateEnd(&zs);
	*len = fenghuo__frame__get_packed_size(&f);
	assert_non_null(out = malloc(*len));
	assert_int_equal(fenghuo__frame__pack(&f, out), *len);
	free(z);
	return out;
}

/*
 * Two nodes that both announce CAP_DEFLATE send their PUSH frames deflated, and every report
 * arrives. What a peer must not send is refused, counted as garbage and changes nothing: a
 * decompression bomb (1 MiB of zeros in a kilobyte), a frame inside that is not PUSH or HAVE,
 * bytes that do not inflate. A deflated PUSH of a new report is taken as a PUSH.
 */
static void
test_deflate(void **state)
{
	struct env *e = *state;
	struct tf_env *tf = tf_new("deflate");
	uint8_t ids[SHORT_N][FC_IDBYTES], ping[] = { 0x32, 0x04, 0x08, 0xc0, 0xc4, 0x07 };
	uint8_t *zeros, *frame, *push;
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Push pb = FENGHUO__PUSH__INIT;
	ProtobufCBinaryData env;
	struct peer *p0, *p1;
	struct tf_msg m;
	uint64_t g, stored, din;
	size_t len, plen;

	up_pair(e);
	p0 = radio(e->n[0]);
	p1 = radio(e->n[1]);
	assert_true(p0->deflate);
	assert_true(p1->deflate);
	quiet(e);
	announce_reports(e, tf, ids);
	assert_true(p0->deflated_out > 0);
	assert_true(p0->deflate_saved > 0);
	assert_true(p1->deflated_in > 0);
	assert_int_equal(p1->garbage, 0);
	quiet(e);

	stored = e->n[1]->stored;
	g = p1->garbage;
	din = p1->deflated_in;
	assert_non_null(zeros = calloc(1, 1024 * 1024));
	frame = deflated_frame(zeros, 1024 * 1024, &len);
	assert_true(len < 2048);
	assert_int_equal(garbage_after(e, 1, frame, len), g + 1);
	free(frame);
	free(zeros);
	frame = deflated_frame(ping, sizeof(ping), &len);
	assert_int_equal(garbage_after(e, 1, frame, len), g + 2);
	frame[len - 1] ^= 0xff;	/* the stream's last byte */
	assert_int_equal(garbage_after(e, 1, frame, len), g + 3);
	free(frame);
	gossip_commit(e->n[1]);
	assert_int_equal(e->n[1]->stored, stored);
	assert_int_equal(p1->deflated_in, din);
	assert_true(peer_is_up(p1));

	/* A deflated PUSH of a new report: stored like a plain one. */
	make_report(tf, SHORT_N + 1, &m);
	env.data = m.env;
	env.len = m.len;
	pb.n_envelopes = 1;
	pb.envelopes = &env;
	f.msg_case = FENGHUO__FRAME__MSG_PUSH;
	f.push = &pb;
	plen = fenghuo__frame__get_packed_size(&f);
	assert_non_null(push = malloc(plen));
	assert_int_equal(fenghuo__frame__pack(&f, push), plen);
	assert_int_equal(wire_frame_deflate(push, plen, &frame, &len), 0);
	assert_int_equal(garbage_after(e, 1, frame, len), g + 3);
	gossip_commit(e->n[1]);
	assert_int_equal(store_has(e->n[1]->store, m.id), 1);
	free(frame);
	free(push);
	free(m.env);
	tf_free(tf);
}

/*
 * A node with deflating turned off (FENGHUOD_DEFLATE=no: it does not announce CAP_DEFLATE,
 * as a peer written before it) and a node with it: PUSH goes plain both ways, the reports
 * arrive, and a deflated frame sent to the node that did not offer it is refused.
 */
static void
test_deflate_off(void **state)
{
	struct env *e = *state;
	struct tf_env *tf = tf_new("deflateoff");
	uint8_t ids[SHORT_N][FC_IDBYTES], *frame, raw[] = { 0x12, 0x00 };
	size_t len;
	uint64_t g;

	e->deflate_off = 1u << 1;
	up_pair(e);
	assert_false(radio(e->n[0])->deflate);
	assert_false(radio(e->n[1])->deflate);
	quiet(e);
	announce_reports(e, tf, ids);
	assert_int_equal(radio(e->n[0])->deflated_out, 0);
	assert_int_equal(radio(e->n[1])->deflated_in, 0);
	assert_int_equal(radio(e->n[1])->garbage, 0);
	g = radio(e->n[1])->garbage;
	frame = deflated_frame(raw, sizeof(raw), &len);
	assert_int_equal(garbage_after(e, 1, frame, len), g + 1);
	assert_int_equal(radio(e->n[1])->deflated_in, 0);
	free(frame);
	tf_free(tf);
}

#define COMPACT_N	3

/*
 * Node 0 (the county) issues COMPACT_N red warnings at once; node 1 (the village) confirms
 * each. With both ends announcing CAP_COMPACT_RECEIPTS the receipts cross as records, all
 * in one frame, and node 0 stores each under the id node 1 gave it; with one end not
 * announcing it (compact_off), they cross whole.
 */
static void
compact_receipts(void **state, unsigned off)
{
	struct env *e = *state;
	struct tf_env *tf = tf_new("compact");
	struct tf_msg w[COMPACT_N];
	struct receipt_by rb;
	struct peer *p0, *p1;
	char title[32];
	uint64_t end;
	int k, found;

	e->compact_off = off;
	up_pair(e);
	p0 = radio(e->n[0]);
	p1 = radio(e->n[1]);
	assert_true(creceipt_use(p0) == (off == 0));
	assert_true(creceipt_use(p1) == (off == 0));
	quiet(e);
	for (k = 0; k < COMPACT_N; k++) {
		snprintf(title, sizeof(title), "red rainstorm %d", k);
		tf_warning(tf, K_ISSUER, "330110", title, &w[k]);
		assert_int_equal(gossip_add(e->n[0], w[k].env, w[k].len, &node_src), 0);
	}
	gossip_commit(e->n[0]);
	rb.author = fc_key_public(e->n[1]->key);
	end = now_mono() + DEADLINE_MS;
	do {
		step(e);
		for (k = found = 0; k < COMPACT_N; k++) {
			rb.found = 0;
			(void)store_iter_refs(e->n[0]->store, w[k].id, is_receipt_by, &rb);
			found += rb.found;
		}
	} while (found < COMPACT_N && now_mono() < end);
	assert_int_equal(found, COMPACT_N);
	if (off == 0) {
		assert_int_equal(p1->creceipts_out, COMPACT_N);
		assert_int_equal(p1->creceipt_frames, 1);
		assert_int_equal(p0->creceipts_in, COMPACT_N);
	} else {
		assert_int_equal(p1->creceipts_out, 0);
		assert_int_equal(p0->creceipts_in, 0);
	}
	assert_int_equal(p0->creceipts_dropped, 0);
	assert_int_equal(e->n[0]->creceipts_invalid, 0);
	for (k = 0; k < COMPACT_N; k++)
		free(w[k].env);
	tf_free(tf);
}

static void
test_compact_receipts(void **state)
{
	compact_receipts(state, 0);
}

static void
test_compact_receipts_off(void **state)
{
	compact_receipts(state, 1u << 0);
}

/*
 * Both ends of a stream link are heard at the liveness cadence: the answering end PINGs
 * when it has sent nothing for NODE_PING_MS (it never did: a busy speaking end then heard
 * nothing and took the link down), and the speaking end PINGs when it has heard nothing for
 * NODE_PING_HEARD_MS even while it sends, then every NODE_PING_MS while unanswered. Injected
 * clock.
 */
static void
test_both_ends_ping(void **state)
{
	struct env *e = *state;
	struct peer *pin, *pout;
	struct node *nin, *nout;
	uint64_t now, before, in_before, end, heard;

	up_pair(e);
	if (radio(e->n[0])->in.st != NULL) {
		nin = e->n[0];
		nout = e->n[1];
	} else {
		nin = e->n[1];
		nout = e->n[0];
	}
	pin = radio(nin);
	pout = radio(nout);
	assert_non_null(pin->in.st);
	assert_non_null(pout->out.st);

	/* The answering end, idle: a PING. */
	now = now_mono() + NODE_PING_MS;
	before = pin->msgs_out;
	in_before = pout->msgs_in;
	(void)peer_cron(nin, pin, now);
	assert_int_equal(pin->msgs_out, before + 1);
	(void)peer_cron(nin, pin, now);
	assert_int_equal(pin->msgs_out, before + 1);	/* once */
	pin->in.ping_tx = 0;
	end = now_mono() + DEADLINE_MS;
	while (pout->msgs_in == in_before && now_mono() < end)
		step(e);
	assert_true(pout->msgs_in > in_before);	/* it came across */

	/*
	 * The speaking end, sending but hearing nothing: not after NODE_PING_MS (the quiet
	 * end's own PING is due then), a PING after NODE_PING_HEARD_MS, once, and again
	 * NODE_PING_MS later while unanswered.
	 */
	heard = pout->out.last_rx;
	before = pout->msgs_out;
	now = heard + NODE_PING_MS;
	pout->out.last_tx = now;
	(void)peer_cron(nout, pout, now);
	assert_int_equal(pout->msgs_out, before);
	now = heard + NODE_PING_HEARD_MS;
	pout->out.last_tx = now;
	(void)peer_cron(nout, pout, now);
	assert_int_equal(pout->msgs_out, before + 1);
	(void)peer_cron(nout, pout, now);
	assert_int_equal(pout->msgs_out, before + 1);
	now += NODE_PING_MS - 1;
	pout->out.last_tx = now;
	(void)peer_cron(nout, pout, now);
	assert_int_equal(pout->msgs_out, before + 1);
	now += 1;
	pout->out.last_tx = now;
	(void)peer_cron(nout, pout, now);
	assert_int_equal(pout->msgs_out, before + 2);
	pout->out.last_tx = now_mono();
	pout->out.ping_tx = 0;
	assert_true(peer_is_up(pout));
}

/*
 * The speaking end's link goes down with a backlog still on the way out and a HELLO retry
 * due: its timer's next deadline lies ahead (it used to be in the past while the HELLO was
 * held behind the backlog, and the loop polled with timeout 0 until the backlog drained).
 */
static void
test_down_no_spin(void **state)
{
	struct env *e = *state;
	struct tf_env *tf = tf_new("slowdown");
	struct tf_msg m;
	struct node *nout;
	struct peer *p;
	uint64_t now;
	int k, other;

	e->link_extra = "bitrate = 9600\n";
	up_pair(e);
	other = radio(e->n[0])->out.st != NULL ? 1 : 0;
	nout = e->n[1 - other];
	p = radio(nout);
	for (k = 0; k < 20; k++) {
		make_report(tf, k, &m);
		assert_int_equal(peer_queue_envelope(nout, p, m.env, m.len, 0), 0);
		free(m.env);
	}
	node_step(nout, 0);
	assert_true(stream_backlog(p->out.st) > 0);
	node_free(&e->n[other]);	/* the radio falls silent */
	now = now_mono();
	p->out.state = LINK_DOWN;
	p->out.hello_tx = now - NODE_HELLO_RETRY_MS - 1;
	assert_true(peer_cron(nout, p, now) > now);
	/* The retry went, or waits for the control frame before it. */
	assert_true(p->out.hello_tx >= now || stream_queued(p->out.st, PRIO_CONTROL) > 0);
	now = now_mono();
	assert_true(peer_cron(nout, p, now) > now);
	assert_true(stream_backlog(p->out.st) > 0);	/* (still there) */
	tf_free(tf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stranger_on_the_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_session_holds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receipt_overtakes_backlog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_both_ends_ping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_ids_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deflate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deflate_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compact_receipts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compact_receipts_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pong_while_sending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_down_no_spin, setup, teardown),
	};

	log_init(LOG_LEVEL_ERROR);
	if (fc_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
