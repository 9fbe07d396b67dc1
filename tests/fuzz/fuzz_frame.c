/*
 * fuzz_frame.c: every handler of an inbound peer frame in the daemon (node/peer.c and what
 * it calls in gossip.c, sync.c and trust.c): HELLO, PUSH, HAVE, WANT, SYNC, PING, PONG and
 * frames of unknown type, on an accepted link, a refused one, and from a routing id that
 * never said HELLO; with the trust policy off ([trust] open = yes) and on.
 *
 * Real struct nodes, built the daemon's way (a config file through conf_load(), then
 * node_new()) in the private temporary directory: one listen endpoint (ipc) and one
 * configured peer ("up", the fixed peer key) each. Node 0 is open; node 1 enforces the
 * trust policy with fuzz_trust_key(0) as its anchor, so pushed CERTs, REVOKEs and messages
 * go through the policy hook, the held buffer and its release. The target holds the far end
 * of both links of each node (a DEALER with the peer's routing id connected to the listen
 * ROUTER, and a ROUTER where the node's DEALER connects) and reads back everything the node
 * sends: each must decode as a Frame. A node lives for many inputs and is made again once
 * its store or its peer table has grown (as the store of fuzz_store does).
 *
 * The input is a list of records
 *   u8 control | u24 BE length | a serialized Frame (fewer bytes if the input ends)
 * control bit 0: the frame arrives on the peer's outbound link (our DEALER), else inbound;
 * control bit 1: it arrives from another routing id, "stranger" (peer_recv_unknown until
 *                a HELLO from it made it a peer, then peer_recv, as listen_recv does);
 * control bit 2: run one loop pass (node_step: group commit, timers, flush) after it;
 * control bit 3: the link is refused rather than up before this frame;
 * control bit 4: to node 1 (the trust policy on), else node 0.
 * Each input starts with the peers' links up, and ends with one loop pass of each node.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "fuzz.h"
#include "node.h"

#define FRAMES_MAX	64
#define PEERS_RESET	64	/* inbound HELLOs with new keys each add a peer */

#define NODES		2

struct fnode {
	struct node	*node;
	struct peer	*up;		/* the configured peer */
	/* The far ends of the peer's two links, so that what the node sends arrives. */
	void		*far_dealer;	/* connected to the node's listen ROUTER */
	void		*far_router;	/* where the node's DEALER connects */
	char		 dir[512];
};

static struct fnode	 nodes[NODES];
static unsigned		 generation;
static void		*zctx;
static struct fc_tkey	*far_tkey;	/* the CurveZMQ key of both far ends */

/*
 * The far ends go first, so that the node's DEALER may see its peer disconnect while
 * node_free() runs: the teardown race in which libzmq used to lose a monitor event (a leak
 * at exit) until peer_free() stopped the monitor before closing it. Kept that way on purpose.
 */
static void
node_gone(struct fnode *fn)
{
	if (fn->far_dealer != NULL)
		zmq_close(fn->far_dealer);
	if (fn->far_router != NULL)
		zmq_close(fn->far_router);
	fn->far_dealer = fn->far_router = NULL;
	node_free(&fn->node);
	fn->up = NULL;
}

static void
nodes_gone(void)
{
	size_t i;

	for (i = 0; i < NODES; i++)
		node_gone(&nodes[i]);
}

static void
zctx_gone(void)
{
	if (zctx != NULL)
		zmq_ctx_term(zctx);
	zctx = NULL;
	fc_tkey_free(&far_tkey);
}

/* The far ends' fixed transport key (the node's config lists it for peer "up"). */
static const struct fc_tkey *
far_key(void)
{
	uint8_t secret[FC_TKEYBYTES];

	if (far_tkey == NULL) {
		memset(secret, 0x54, sizeof(secret));
		FUZZ_CHECK(fc_tkey_from_secret(secret, &far_tkey) == 0);
	}
	return far_tkey;
}

/*
 * The far ends, speaking CurveZMQ as the node does: the DEALER is a client of the node's
 * listen ROUTER (admitted because the config lists its key for "up"), the ROUTER a server
 * the node's DEALER dials (our context has no ZAP handler, so it takes any client). ZeroMQ
 * connects in the background, so the first inputs may miss them.
 */
static void
far_make(struct fnode *fn)
{
	static const char rid[] = "fuzz-peer";
	const struct fc_tkey *k = far_key();
	char ep[600];
	int zero = 0, one = 1;

	if (zctx == NULL) {
		FUZZ_CHECK((zctx = zmq_ctx_new()) != NULL);
		atexit(zctx_gone);
	}
	FUZZ_CHECK((fn->far_dealer = zmq_socket(zctx, ZMQ_DEALER)) != NULL);
	FUZZ_CHECK(zmq_setsockopt(fn->far_dealer, ZMQ_ROUTING_ID, rid, sizeof(rid) - 1) == 0);
	FUZZ_CHECK(zmq_setsockopt(fn->far_dealer, ZMQ_LINGER, &zero, sizeof(zero)) == 0);
	FUZZ_CHECK(zmq_setsockopt(fn->far_dealer, ZMQ_CURVE_SERVERKEY,
	    fc_tkey_public(fn->node->tkey), FC_TKEYBYTES) == 0);
	FUZZ_CHECK(zmq_setsockopt(fn->far_dealer, ZMQ_CURVE_PUBLICKEY, fc_tkey_public(k),
	    FC_TKEYBYTES) == 0);
	FUZZ_CHECK(zmq_setsockopt(fn->far_dealer, ZMQ_CURVE_SECRETKEY, fc_tkey_secret(k),
	    FC_TKEYBYTES) == 0);
	snprintf(ep, sizeof(ep), "ipc://%s/listen.sock", fn->dir);
	FUZZ_CHECK(zmq_connect(fn->far_dealer, ep) == 0);
	FUZZ_CHECK((fn->far_router = zmq_socket(zctx, ZMQ_ROUTER)) != NULL);
	FUZZ_CHECK(zmq_setsockopt(fn->far_router, ZMQ_LINGER, &zero, sizeof(zero)) == 0);
	FUZZ_CHECK(zmq_setsockopt(fn->far_router, ZMQ_CURVE_SERVER, &one, sizeof(one)) == 0);
	FUZZ_CHECK(zmq_setsockopt(fn->far_router, ZMQ_CURVE_PUBLICKEY, fc_tkey_public(k),
	    FC_TKEYBYTES) == 0);
	FUZZ_CHECK(zmq_setsockopt(fn->far_router, ZMQ_CURVE_SECRETKEY, fc_tkey_secret(k),
	    FC_TKEYBYTES) == 0);
	snprintf(ep, sizeof(ep), "ipc://%s/up.sock", fn->dir);
	FUZZ_CHECK(zmq_bind(fn->far_router, ep) == 0);
}

/* Read what the node sent to the far ends: every frame must decode. */
static void
far_drain(void *s)
{
	Fenghuo__Frame *f;
	zmq_msg_t m;
	int more;

	for (;;) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, s, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return;
		}
		more = zmq_msg_more(&m);
		if (!more) {
			/* The last part is the frame (a ROUTER puts the routing id first). */
			f = wire_frame_unpack(zmq_msg_data(&m), zmq_msg_size(&m));
			FUZZ_CHECK(f != NULL);
			FUZZ_CHECK(f->msg_case != FENGHUO__FRAME__MSG__NOT_SET);
			fenghuo__frame__free_unpacked(f, NULL);
		}
		zmq_msg_close(&m);
	}
}

static void
node_make(struct fnode *fn, int policy)
{
	static const uint8_t rid[] = "fuzz-peer";
	uint8_t seed[FC_SEEDBYTES];
	char path[600], hex[2 * FC_PUBLICKEYBYTES + 1];
	struct fc_key *key;
	struct conf *conf;
	FILE *fp;
	int rc;

	(void)fuzz_peer_key();	/* fc_init() */
	snprintf(fn->dir, sizeof(fn->dir), "%s/node%u", fuzz_tmpdir(), generation++);
	FUZZ_CHECK(mkdir(fn->dir, 0700) == 0);
	/* The node's own key: fixed, so that "a HELLO with our own key" is reproducible. */
	memset(seed, 0x4e, sizeof(seed));
	FUZZ_CHECK(fc_key_from_seed(seed, &key) == 0);
	snprintf(path, sizeof(path), "%s/node.key", fn->dir);
	FUZZ_CHECK(fc_key_save(key, path) == 0);
	fc_key_free(&key);

	snprintf(path, sizeof(path), "%s/fenghuod.conf", fn->dir);
	FUZZ_CHECK((fp = fopen(path, "w")) != NULL);
	if (policy)
		fprintf(fp, "[trust]\nanchors = %s\n\n",
		    fc_hex(fc_key_public(fuzz_trust_key(0)), FC_PUBLICKEYBYTES, hex));
	else
		fprintf(fp, "[trust]\nopen = yes\n\n");
	fprintf(fp, "[node]\nname = fuzz\nregion = 110101\nkey = %s/node.key\n"
	    "state = %s/state\nlisten = ipc://%s/listen.sock\nlog_level = %s\n\n"
	    "[peer up]\naddress = ipc://%s/up.sock\nkey = %s\n", fn->dir, fn->dir, fn->dir,
	    getenv("FH_FUZZ_LOG") != NULL ? getenv("FH_FUZZ_LOG") : "error", fn->dir,
	    fc_hex(fc_key_public(fuzz_peer_key()), FC_PUBLICKEYBYTES, hex));
	fprintf(fp, "transport = %s\n", fc_hex(fc_tkey_public(far_key()), FC_TKEYBYTES, hex));
	FUZZ_CHECK(fclose(fp) == 0);
	rc = conf_load(path, stderr, &conf);
	FUZZ_CHECK(rc == 0);
	log_init(conf->log_level);
	FUZZ_CHECK((fn->node = node_new(conf)) != NULL);
	FUZZ_CHECK(fn->node->nlisten == 1);
	FUZZ_CHECK((fn->up = peer_find_key(fn->node, fc_key_public(fuzz_peer_key()))) != NULL);
	memcpy(fn->up->in.rid, rid, sizeof(rid) - 1);
	fn->up->in.ridlen = sizeof(rid) - 1;
	far_make(fn);
}

/* Node i, made on first use, and again when the old one has grown. */
static struct fnode *
node_get(int i)
{
	static int registered;
	struct fnode *fn = &nodes[i];

	if (fn->node != NULL && fn->node->stored < FUZZ_STORE_RESET &&
	    fn->node->npeers < PEERS_RESET)
		return fn;
	if (fn->node != NULL) {
		node_gone(fn);
		fuzz_rmtree(fn->dir);
	}
	node_make(fn, i == 1);
	if (!registered) {
		registered = 1;
		atexit(nodes_gone);
	}
	return fn;
}

/* Put the configured peer's links in the state this frame should meet. */
static void
links_set(struct fnode *fn, int refused)
{
	struct peer *up = fn->up;

	up->in.sock = fn->node->listen[0];
	up->in.state = refused ? LINK_REFUSED : LINK_UP;
	up->out.state = refused ? LINK_REFUSED : LINK_UP;
	up->in.last_rx = up->out.last_rx = now_mono();
}

/* One loop pass, then read what the node sent. */
static void
node_pass(struct fnode *fn)
{
	node_step(fn->node, 0);
	far_drain(fn->far_dealer);
	far_drain(fn->far_router);
	/* A HELLO may have replaced or marked the peer: find it again. */
	FUZZ_CHECK((fn->up = peer_find_key(fn->node, fc_key_public(fuzz_peer_key()))) != NULL);
	FUZZ_CHECK(fn->up->configured);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t stranger[] = "stranger";
	size_t off = 0, len, nframes = 0, i;
	struct fnode *fn;
	struct node *n;
	struct peer *p;
	uint8_t control;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	for (i = 0; i < NODES; i++)
		(void)node_get((int)i);
	while (nframes++ < FRAMES_MAX && size - off >= 4) {
		control = data[off];
		len = (size_t)data[off + 1] << 16 | (size_t)data[off + 2] << 8 | data[off + 3];
		off += 4;
		if (len > size - off)
			len = size - off;
		fn = &nodes[(control & 0x10) ? 1 : 0];
		n = fn->node;
		links_set(fn, control & 0x8);
		if (control & 0x2) {
			/* As listen_recv() does: a routing id that said HELLO is a peer. */
			p = peer_find_rid(n, n->listen[0], stranger, sizeof(stranger) - 1);
			if (p != NULL)
				peer_recv(n, p, &p->in, data + off, len);
			else
				peer_recv_unknown(n, n->listen[0], stranger, sizeof(stranger) - 1,
				    data + off, len);
		} else if (control & 0x1)
			peer_recv(n, fn->up, &fn->up->out, data + off, len);
		else
			peer_recv(n, fn->up, &fn->up->in, data + off, len);
		off += len;
		if (control & 0x4)
			node_pass(fn);
		FUZZ_CHECK((fn->up = peer_find_key(n, fc_key_public(fuzz_peer_key()))) != NULL);
	}
	for (i = 0; i < NODES; i++)
		node_pass(&nodes[i]);
	return 0;
}
