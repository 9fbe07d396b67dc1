/*
 * zap.c: the ZAP handler (ZeroMQ RFC 27, ZAP 1.0) that decides which CurveZMQ clients may
 * connect.
 *
 * libzmq asks the ZAP handler about every handshake on a CURVE server socket: it sends a
 * request over inproc://zeromq.zap.01 in the socket's context and waits for the answer before
 * the connection carries any message. The handler here is a ZMQ_REP socket bound there and
 * served from the daemon's own poll loop (DESIGN decision 13: one thread; the request comes
 * from libzmq's I/O thread, so answering it from the loop cannot deadlock). zap_handle()
 * answers what is pending without blocking and at most ZAP_BUDGET requests per call, so a
 * burst of handshakes cannot starve the rest of the loop; the loop polls zap_socket() again.
 *
 * WARNING: when nothing is bound at inproc://zeromq.zap.01, libzmq lets every CURVE client
 * in: encryption without authentication. So zap_open() must succeed before any CURVE
 * server socket binds, and a daemon that cannot open it must not run. sec_curve_server()
 * (sec.c) takes the struct zap to make the order hard to get wrong.
 *
 * A request is seven frames: version "1.0", request id, domain, address, routing identity,
 * mechanism "CURVE", and the client's 32-byte public key. The reply is six: version, the
 * request id echoed, status code, status text, user id, metadata (empty here). The check
 * function decides and names the user id, which libzmq then attaches to every message of
 * that connection as the "User-Id" property: that is how a peer's identity is bound to its
 * link. Status codes: 200 admitted; 400 refused (by the check, or a mechanism other than
 * CURVE, which fenghuo never uses); 500 a malformed request (wrong version, frame count or
 * key length), which only a bug in the same process can send, but which must never crash
 * the daemon or leave the REP socket waiting for a reply it will never send.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "sec.h"

#define ZAP_FRAMES_MAX	8	/* CURVE sends 7; PLAIN 8; more is malformed */
#define ZAP_FIELD_MAX	255	/* longest request id, domain, address, mechanism */

struct zap {
	void			*sock;
	zap_check_fn		 check;
	void			*arg;
	struct zap_stats	 stats;
};

struct zap *
zap_open(void *zmq_ctx, zap_check_fn check, void *arg)
{
	struct zap *zap;
	int linger = 0, saved;

	if ((zap = calloc(1, sizeof(*zap))) == NULL)
		return NULL;
	zap->check = check;
	zap->arg = arg;
	if ((zap->sock = zmq_socket(zmq_ctx, ZMQ_REP)) == NULL)
		goto err;
	/* Replies to handshakes that went away are worthless: do not hold shutdown for them. */
	if (zmq_setsockopt(zap->sock, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
	    zmq_bind(zap->sock, ZAP_ENDPOINT) != 0)
		goto err;
	return zap;
err:
	saved = errno;
	if (zap->sock != NULL)
		zmq_close(zap->sock);
	free(zap);
	errno = saved;
	return NULL;
}

void *
zap_socket(struct zap *zap)
{
	return zap->sock;
}

void
zap_stats(const struct zap *zap, struct zap_stats *out)
{
	*out = zap->stats;
}

void
zap_close(struct zap **zap)
{
	if (zap == NULL || *zap == NULL)
		return;
	zmq_close((*zap)->sock);
	free(*zap);
	*zap = NULL;
}

/* Copy frame m into a NUL-terminated string; 0, or -1 if too long or holding a NUL. */
static int
frame_str(zmq_msg_t *m, char *buf, size_t size)
{
	size_t len = zmq_msg_size(m);

	if (len >= size || memchr(zmq_msg_data(m), '\0', len) != NULL)
		return -1;
	memcpy(buf, zmq_msg_data(m), len);
	buf[len] = '\0';
	return 0;
}

static int
frame_is(zmq_msg_t *m, const char *s)
{
	size_t len = strlen(s);

	return zmq_msg_size(m) == len && memcmp(zmq_msg_data(m), s, len) == 0;
}

/* Send the six reply frames. 0, or -1 when libzmq refused one (counted). */
static int
reply(struct zap *zap, const void *reqid, size_t reqidlen, const char *code,
    const char *text, const char *uid)
{
	const int more = ZMQ_SNDMORE | ZMQ_DONTWAIT;

	if (zmq_send(zap->sock, "1.0", 3, more) == -1 ||
	    zmq_send(zap->sock, reqid, reqidlen, more) == -1 ||
	    zmq_send(zap->sock, code, strlen(code), more) == -1 ||
	    zmq_send(zap->sock, text, strlen(text), more) == -1 ||
	    zmq_send(zap->sock, uid, strlen(uid), more) == -1 ||
	    zmq_send(zap->sock, "", 0, ZMQ_DONTWAIT) == -1) {
		zap->stats.errors++;
		return -1;
	}
	return 0;
}

/* Judge one received request of n frames (extra: frames beyond ZAP_FRAMES_MAX) and reply. */
static void
answer(struct zap *zap, zmq_msg_t *f, size_t n, size_t extra)
{
	char domain[ZAP_FIELD_MAX + 1], address[ZAP_FIELD_MAX + 1];
	char uid[ZAP_USER_ID_MAX];
	struct zap_request req;
	const void *reqid = "";
	size_t reqidlen = 0;

	/* Echo the request id whenever there is one, even in an error reply. */
	if (n >= 2 && zmq_msg_size(&f[1]) <= ZAP_FIELD_MAX) {
		reqid = zmq_msg_data(&f[1]);
		reqidlen = zmq_msg_size(&f[1]);
	}
	if (n < 6 || extra > 0 || !frame_is(&f[0], "1.0") || reqidlen != zmq_msg_size(&f[1]) ||
	    frame_str(&f[2], domain, sizeof(domain)) != 0 ||
	    frame_str(&f[3], address, sizeof(address)) != 0 ||
	    zmq_msg_size(&f[5]) > ZAP_FIELD_MAX)
		goto malformed;
	if (!frame_is(&f[5], "CURVE")) {
		/* NULL or PLAIN: well-formed, but fenghuo links are CURVE only. */
		zap->stats.denied++;
		reply(zap, reqid, reqidlen, "400", "CURVE required", "");
		return;
	}
	if (n != 7 || zmq_msg_size(&f[6]) != FC_TKEYBYTES)
		goto malformed;

	req.domain = domain;
	req.address = address;
	req.client_key = zmq_msg_data(&f[6]);
	memset(uid, 0, sizeof(uid));
	if (zap->check(zap->arg, &req, uid) == ZAP_ALLOW) {
		uid[sizeof(uid) - 1] = '\0';
		zap->stats.allowed++;
		reply(zap, reqid, reqidlen, "200", "OK", uid);
	} else {
		zap->stats.denied++;
		reply(zap, reqid, reqidlen, "400", "not admitted", "");
	}
	return;
malformed:
	zap->stats.malformed++;
	reply(zap, reqid, reqidlen, "500", "malformed ZAP request", "");
}

int
zap_handle(struct zap *zap)
{
	zmq_msg_t f[ZAP_FRAMES_MAX], drop;
	size_t n, extra, i;
	int handled, more;
	size_t moresz;

	for (handled = 0; handled < ZAP_BUDGET; handled++) {
		zmq_msg_init(&f[0]);
		if (zmq_msg_recv(&f[0], zap->sock, ZMQ_DONTWAIT) == -1) {
			zmq_msg_close(&f[0]);
			break;	/* EAGAIN: nothing pending; ETERM: shutting down */
		}
		/* A multipart message arrives whole: the remaining frames are there. */
		n = 1;
		extra = 0;
		for (;;) {
			moresz = sizeof(more);
			if (zmq_getsockopt(zap->sock, ZMQ_RCVMORE, &more, &moresz) != 0 || !more)
				break;
			if (n < ZAP_FRAMES_MAX) {
				zmq_msg_init(&f[n]);
				if (zmq_msg_recv(&f[n], zap->sock, 0) == -1) {
					zmq_msg_close(&f[n]);
					break;
				}
				n++;
			} else {
				zmq_msg_init(&drop);
				if (zmq_msg_recv(&drop, zap->sock, 0) == -1) {
					zmq_msg_close(&drop);
					break;
				}
				zmq_msg_close(&drop);
				extra++;
			}
		}
		answer(zap, f, n, extra);
		for (i = 0; i < n; i++)
			zmq_msg_close(&f[i]);
	}
	return handled;
}
