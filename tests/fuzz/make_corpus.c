/*
 * make_corpus.c: writes the seed corpus of the fuzz targets.
 *
 * `make_corpus OUTDIR` creates OUTDIR/<target>/ for every target and fills it with small
 * valid inputs (and a few classic broken ones): signed messages of every kind, store
 * batches, bundles written by the CLI's own bundle writer, ... Everything is made with the
 * fixed fuzz keys and the fixed clock (fuzz.h), and Ed25519 signatures are deterministic, so
 * the output is the same on every run, except the sync payloads (and the frame that carries
 * one): sync_begin() draws a fresh salt each round. The result is committed in
 * tests/fuzz/corpus/; run this again after a format change (see tests/fuzz/README.md).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "fuzz.h"
#include "fenghuo.h"

#define MIN_MS		(60ULL * 1000)
#define HOUR_MS		(60 * MIN_MS)

static const char	*outdir;

static void
die(const char *what)
{
	fprintf(stderr, "make_corpus: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
dieif(int cond, const char *what)
{
	if (cond) {
		fprintf(stderr, "make_corpus: %s\n", what);
		exit(1);
	}
}

static char *
path_of(const char *target, const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s%s%s", outdir, target, name ? "/" : "",
	    name ? name : "");
	return path;
}

static void
mkdir_target(const char *target)
{
	if (mkdir(path_of(target, NULL), 0755) == -1 && errno != EEXIST)
		die(path_of(target, NULL));
}

static void
write_file(const char *target, const char *name, const uint8_t *buf, size_t len)
{
	FILE *fp;

	if ((fp = fopen(path_of(target, name), "wb")) == NULL)
		die(path_of(target, name));
	if ((len > 0 && fwrite(buf, 1, len, fp) != len) || fclose(fp) == EOF)
		die(path_of(target, name));
}

/* ---- messages -------------------------------------------------------------------------- */

struct blob {
	uint8_t	*buf;
	size_t	 len;
};

static void
blob_free(struct blob *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = 0;
}

/* Pack body without author (what fuzz_seal_body() takes). */
static struct blob
pack_body(const Fenghuo__Body *body)
{
	struct blob b;

	b.len = fenghuo__body__get_packed_size(body);
	if ((b.buf = malloc(b.len + 1)) == NULL)
		die("malloc");
	fenghuo__body__pack(body, b.buf);
	return b;
}

/* The signed envelope of body by the fuzz key. */
static struct blob
seal(const struct blob *raw)
{
	struct blob e;

	dieif(fuzz_seal_body(raw->buf, raw->len, &e.buf, &e.len) != 0, "fuzz_seal_body");
	return e;
}

static void
body_init(Fenghuo__Body *b, int kind, uint64_t created_ms)
{
	fenghuo__body__init(b);
	b->has_version = 1;
	b->version = WIRE_BODY_VERSION;
	b->has_kind = 1;
	b->kind = kind;
	b->has_created_ms = 1;
	b->created_ms = created_ms;
}

/* Each message in two forms: the body (without author) and the sealed envelope. */
struct msg {
	const char	*name;
	struct blob	 body;
	struct blob	 env;
	uint8_t		 id[FC_IDBYTES];
};

enum { M_REPORT, M_REPORT_SKEW, M_WARNING, M_WARNING_UPDATE, M_RECEIPT, M_DELIVERED, M_CERT,
	M_REVOKE, M_ANNOUNCE, M_MAX };
static struct msg	msgs[M_MAX];

static void
msg_make(int i, const char *name, const Fenghuo__Body *body)
{
	msgs[i].name = name;
	msgs[i].body = pack_body(body);
	msgs[i].env = seal(&msgs[i].body);
	dieif(fc_envelope_id(msgs[i].env.buf, msgs[i].env.len, msgs[i].id) != 0, "id");
}

static void
make_messages(void)
{
	static char region[] = "110101001001", township[] = "110101001";
	static char *areas[] = { township, region };
	static Fenghuo__ResponseType responses[] = { FENGHUO__RESPONSE_TYPE__EVACUATE,
		FENGHUO__RESPONSE_TYPE__MONITOR };
	static Fenghuo__Role roles[] = { FENGHUO__ROLE__NODE, FENGHUO__ROLE__REPORTER };
	static char *endpoints[] = { (char *)(uintptr_t)"tcp://192.0.2.7:7400" };
	uint8_t transport[32];
	Fenghuo__Body b;
	Fenghuo__Warning w;
	Fenghuo__Receipt r;
	Fenghuo__Cert c;
	Fenghuo__Revoke rv;
	Fenghuo__Announce a;
	ProtobufCBinaryData ref;
	uint64_t now = FUZZ_NOW_MS;

	memset(transport, 0x54, sizeof(transport));

	body_init(&b, FENGHUO__KIND__REPORT, now - 30 * MIN_MS);
	b.region = region;
	b.has_lat_e7 = b.has_lon_e7 = 1;
	b.lat_e7 = 399042000;
	b.lon_e7 = 1164074000;
	b.category = (char *)(uintptr_t)"flood";
	b.title = (char *)(uintptr_t)"河水漫过村道";
	b.text = (char *)(uintptr_t)"东桥下游水位上涨约一米，两户需要转移。";
	msg_make(M_REPORT, "report", &b);

	/* A laptop whose clock lost two years: accepted and flagged clock-skew. */
	body_init(&b, FENGHUO__KIND__REPORT, now - 2 * 365 * 24 * HOUR_MS);
	b.has_expires_ms = 1;
	b.expires_ms = b.created_ms + 48 * HOUR_MS;
	b.region = region;
	b.category = (char *)(uintptr_t)"landslide";
	b.title = (char *)(uintptr_t)"山体滑坡";
	msg_make(M_REPORT_SKEW, "report-skew", &b);

	body_init(&b, FENGHUO__KIND__WARNING, now - 10 * MIN_MS);
	fenghuo__warning__init(&w);
	w.has_msg_type = w.has_urgency = w.has_severity = w.has_certainty = w.has_level = 1;
	w.msg_type = FENGHUO__MSG_TYPE__ALERT;
	w.urgency = FENGHUO__URGENCY__IMMEDIATE;
	w.level = FENGHUO__LEVEL__RED;
	w.severity = FENGHUO__SEVERITY__EXTREME;
	w.certainty = FENGHUO__CERTAINTY__LIKELY;
	w.n_area = 2;
	w.area = areas;
	w.n_response_type = 2;
	w.response_type = responses;
	w.instruction = (char *)(uintptr_t)"立即转移到高处";
	b.has_expires_ms = 1;
	b.expires_ms = now + 6 * HOUR_MS;
	b.region = township;
	b.event = (char *)(uintptr_t)"暴雨";
	b.category = (char *)(uintptr_t)"Met";
	b.title = (char *)(uintptr_t)"暴雨红色预警";
	b.warning = &w;
	msg_make(M_WARNING, "warning-red", &b);

	ref.data = msgs[M_WARNING].id;
	ref.len = FC_IDBYTES;
	body_init(&b, FENGHUO__KIND__WARNING, now - 5 * MIN_MS);
	w.msg_type = FENGHUO__MSG_TYPE__UPDATE;
	w.level = FENGHUO__LEVEL__ORANGE;
	w.severity = FENGHUO__SEVERITY__SEVERE;
	w.n_area = 1;
	w.n_response_type = 0;
	b.has_expires_ms = 1;
	b.expires_ms = now + 3 * HOUR_MS;
	b.region = township;
	b.title = (char *)(uintptr_t)"暴雨橙色预警（更新）";
	b.n_refs = 1;
	b.refs = &ref;
	b.warning = &w;
	msg_make(M_WARNING_UPDATE, "warning-update", &b);

	ref.data = msgs[M_REPORT].id;
	body_init(&b, FENGHUO__KIND__RECEIPT, now - 20 * MIN_MS);
	fenghuo__receipt__init(&r);
	r.has_stage = 1;
	r.stage = FENGHUO__STAGE__REGISTERED;
	r.note = (char *)(uintptr_t)"已登记";
	b.region = township;
	b.n_refs = 1;
	b.refs = &ref;
	b.receipt = &r;
	msg_make(M_RECEIPT, "receipt-registered", &b);

	ref.data = msgs[M_WARNING].id;
	body_init(&b, FENGHUO__KIND__RECEIPT, now - 9 * MIN_MS);
	r.stage = FENGHUO__STAGE__DELIVERED;
	r.note = NULL;
	b.n_refs = 1;
	b.refs = &ref;
	b.receipt = &r;
	msg_make(M_DELIVERED, "receipt-delivered", &b);

	body_init(&b, FENGHUO__KIND__CERT, now - HOUR_MS);
	fenghuo__cert__init(&c);
	c.has_subject = 1;
	c.subject.data = (uint8_t *)(uintptr_t)fc_key_public(fuzz_peer_key());
	c.subject.len = FC_PUBLICKEYBYTES;
	c.n_roles = 2;
	c.roles = roles;
	c.scope = township;
	c.has_not_before_ms = c.has_not_after_ms = 1;
	c.not_before_ms = now - HOUR_MS;
	c.not_after_ms = now + 365 * 24 * HOUR_MS;
	c.has_transport_key = 1;
	c.transport_key.data = transport;
	c.transport_key.len = sizeof(transport);
	c.name = (char *)(uintptr_t)"东桥村信息员";
	b.cert = &c;
	msg_make(M_CERT, "cert", &b);

	body_init(&b, FENGHUO__KIND__REVOKE, now - 2 * MIN_MS);
	fenghuo__revoke__init(&rv);
	rv.has_subject = 1;
	rv.subject.data = (uint8_t *)(uintptr_t)fc_key_public(fuzz_peer_key());
	rv.subject.len = FC_PUBLICKEYBYTES;
	rv.has_from_ms = 1;
	rv.from_ms = now - 3 * MIN_MS;
	rv.reason = (char *)(uintptr_t)"laptop lost";
	b.revoke = &rv;
	msg_make(M_REVOKE, "revoke", &b);

	body_init(&b, FENGHUO__KIND__ANNOUNCE, now - MIN_MS);
	fenghuo__announce__init(&a);
	a.n_endpoints = 1;
	a.endpoints = endpoints;
	a.name = (char *)(uintptr_t)"dongqiao";
	a.has_transport_key = 1;
	a.transport_key.data = transport;
	a.transport_key.len = sizeof(transport);
	b.announce = &a;
	msg_make(M_ANNOUNCE, "announce", &b);
}

/* ---- envelope ------------------------------------------------------------------------ */

static void
make_envelope(void)
{
	uint8_t *buf;
	size_t len;
	int i;

	mkdir_target("envelope");
	for (i = 0; i < M_MAX; i++)
		write_file("envelope", msgs[i].name, msgs[i].env.buf, msgs[i].env.len);

	/* A flipped signature bit. */
	len = msgs[M_REPORT].env.len;
	if ((buf = malloc(len)) == NULL)
		die("malloc");
	memcpy(buf, msgs[M_REPORT].env.buf, len);
	buf[len - 1] ^= 0x01;
	write_file("envelope", "bad-sig", buf, len);
	/* Truncated in the middle of the body. */
	write_file("envelope", "truncated", msgs[M_REPORT].env.buf, len / 2);
	free(buf);

	/* Two body fields: refused as decode (protobuf-c alone would take the last one). */
	len = 2 * msgs[M_RECEIPT].env.len;
	if ((buf = malloc(len)) == NULL)
		die("malloc");
	memcpy(buf, msgs[M_RECEIPT].env.buf, len / 2);
	memcpy(buf + len / 2, msgs[M_RECEIPT].env.buf, len / 2);
	write_file("envelope", "two-bodies", buf, len);
	free(buf);

	write_file("envelope", "empty", (const uint8_t *)"", 0);
	len = msgs[M_ANNOUNCE].env.len + 3;
	if ((buf = malloc(len)) == NULL)
		die("malloc");
	memcpy(buf, msgs[M_ANNOUNCE].env.buf, len - 3);
	/* Field 9, varint 300: unknown fields are skipped. */
	buf[len - 3] = 9 << 3;
	buf[len - 2] = 0xac;
	buf[len - 1] = 0x02;
	write_file("envelope", "unknown-field", buf, len);
	free(buf);
}

/* ---- store --------------------------------------------------------------------------- */

struct batch {
	uint8_t	buf[FUZZ_MAX_INPUT];
	size_t	len;
};

static void
batch_add(struct batch *bt, uint8_t control, const struct blob *b)
{
	dieif(bt->len + 3 + b->len > sizeof(bt->buf) || b->len > 0xffff, "batch too big");
	bt->buf[bt->len++] = control;
	bt->buf[bt->len++] = (uint8_t)(b->len >> 8);
	bt->buf[bt->len++] = (uint8_t)b->len;
	memcpy(bt->buf + bt->len, b->buf, b->len);
	bt->len += b->len;
}

static void
make_store(void)
{
	static struct batch bt;
	struct blob junk = { (uint8_t *)(uintptr_t)"\x0a\x05hello", 7 };
	int i;

	mkdir_target("store");
	/* Every kind, as envelopes from a peer (control 0x12: peer, one hop). */
	bt.len = 0;
	for (i = 0; i < M_MAX; i++)
		batch_add(&bt, 0x12, &msgs[i].env);
	write_file("store", "all-kinds", bt.buf, bt.len);

	/* Every kind as bodies to seal (control 0x01, local). */
	bt.len = 0;
	for (i = 0; i < M_MAX; i++)
		batch_add(&bt, 0x01, &msgs[i].body);
	write_file("store", "all-bodies", bt.buf, bt.len);

	/* Duplicates within one batch, and junk among good messages. */
	bt.len = 0;
	batch_add(&bt, 0x00, &msgs[M_REPORT].env);
	batch_add(&bt, 0x02, &junk);
	batch_add(&bt, 0x22, &msgs[M_REPORT].env);
	batch_add(&bt, 0x00, &msgs[M_RECEIPT].env);
	batch_add(&bt, 0x01, &junk);
	write_file("store", "dup-and-junk", bt.buf, bt.len);

	/* One message alone, each way. */
	bt.len = 0;
	batch_add(&bt, 0x00, &msgs[M_WARNING].env);
	write_file("store", "one-warning", bt.buf, bt.len);
	bt.len = 0;
	batch_add(&bt, 0x01, &msgs[M_REPORT_SKEW].body);
	write_file("store", "one-skewed-body", bt.buf, bt.len);
}

/* ---- bundle -------------------------------------------------------------------------- */

static struct blob
read_back(const char *path)
{
	struct blob b;
	FILE *fp;
	long n = 0;

	if ((fp = fopen(path, "rb")) == NULL || fseek(fp, 0, SEEK_END) == -1 ||
	    (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) == -1)
		die(path);
	b.len = (size_t)n;
	if ((b.buf = malloc(b.len + 1)) == NULL)
		die("malloc");
	if (fread(b.buf, 1, b.len, fp) != b.len)
		die(path);
	fclose(fp);
	return b;
}

/* A bundle of the given messages, written by the CLI's writer (tools/bundle.c). */
static void
bundle_of(const char *name, const int *which, size_t n)
{
	struct bundle_writer *bw;
	char *path = path_of("bundle", name);
	size_t i;

	if ((bw = bundle_create(path)) == NULL)
		die(path);
	for (i = 0; i < n; i++)
		if (bundle_add(bw, msgs[which[i]].env.buf, msgs[which[i]].env.len) == -1)
			die("bundle_add");
	if (bundle_finish(bw, NULL) == -1)
		die("bundle_finish");
}

static void
make_bundle(void)
{
	static const int all[] = { M_REPORT, M_REPORT_SKEW, M_WARNING, M_WARNING_UPDATE,
		M_RECEIPT, M_DELIVERED, M_CERT, M_REVOKE, M_ANNOUNCE };
	static const int two[] = { M_REPORT, M_RECEIPT };
	struct blob b;

	mkdir_target("bundle");
	bundle_of("all-kinds", all, sizeof(all) / sizeof(all[0]));
	bundle_of("two", two, 2);
	bundle_of("empty", NULL, 0);
	/* Damaged copies: cut inside the second entry, and one byte flipped. */
	b = read_back(path_of("bundle", "two"));
	write_file("bundle", "two-truncated", b.buf, 12 + 4 + msgs[M_REPORT].env.len + 10);
	b.buf[20] ^= 0x40;
	write_file("bundle", "two-flipped", b.buf, b.len);
	blob_free(&b);
}

/* ---- frame --------------------------------------------------------------------------- */

static struct blob
pack_frame(Fenghuo__Frame *f)
{
	struct blob b;

	b.len = fenghuo__frame__get_packed_size(f);
	if ((b.buf = malloc(b.len + 1)) == NULL)
		die("malloc");
	fenghuo__frame__pack(f, b.buf);
	return b;
}

/* Append a record (control, u24 length, frame) to bt and free the frame. */
static void
rec_add(struct batch *bt, uint8_t control, struct blob b)
{
	dieif(bt->len + 4 + b.len > sizeof(bt->buf), "frame records too big");
	bt->buf[bt->len++] = control;
	bt->buf[bt->len++] = (uint8_t)(b.len >> 16);
	bt->buf[bt->len++] = (uint8_t)(b.len >> 8);
	bt->buf[bt->len++] = (uint8_t)b.len;
	memcpy(bt->buf + bt->len, b.buf, b.len);
	bt->len += b.len;
	blob_free(&b);
}

static struct blob
frame_hello(const uint8_t *key, unsigned version, const char *name)
{
	static char *endpoints[] = { (char *)(uintptr_t)"tcp://192.0.2.9:7400" };
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Hello h = FENGHUO__HELLO__INIT;

	h.has_protocol_version = 1;
	h.protocol_version = version;
	h.has_node_key = 1;
	h.node_key.data = (uint8_t *)(uintptr_t)key;
	h.node_key.len = FC_PUBLICKEYBYTES;
	h.name = (char *)(uintptr_t)name;
	h.region = (char *)(uintptr_t)"110101001";
	h.has_capabilities = 1;
	h.capabilities = 1;
	h.n_endpoints = 1;
	h.endpoints = endpoints;
	f.msg_case = FENGHUO__FRAME__MSG_HELLO;
	f.hello = &h;
	return pack_frame(&f);
}

static struct blob
frame_push(const int *which, size_t n)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Push p = FENGHUO__PUSH__INIT;
	ProtobufCBinaryData envs[M_MAX];
	uint32_t hops[M_MAX];
	size_t i;

	for (i = 0; i < n; i++) {
		envs[i].data = msgs[which[i]].env.buf;
		envs[i].len = msgs[which[i]].env.len;
		hops[i] = (uint32_t)i;
	}
	p.n_envelopes = n;
	p.envelopes = envs;
	p.n_hops = n;
	p.hops = hops;
	f.msg_case = FENGHUO__FRAME__MSG_PUSH;
	f.push = &p;
	return pack_frame(&f);
}

/* A HAVE (have != 0) or WANT of the ids of which, plus one id nobody has. */
static struct blob
frame_ids(int have, const int *which, size_t n)
{
	static uint8_t unknown[FC_IDBYTES] = { 0xde, 0xad };
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Have h = FENGHUO__HAVE__INIT;
	Fenghuo__Want w = FENGHUO__WANT__INIT;
	ProtobufCBinaryData ids[M_MAX + 1];
	size_t i;

	for (i = 0; i < n; i++) {
		ids[i].data = msgs[which[i]].id;
		ids[i].len = FC_IDBYTES;
	}
	ids[n].data = unknown;
	ids[n].len = FC_IDBYTES;
	if (have) {
		h.n_ids = n + 1;
		h.ids = ids;
		f.msg_case = FENGHUO__FRAME__MSG_HAVE;
		f.have = &h;
	} else {
		w.n_ids = n + 1;
		w.ids = ids;
		f.msg_case = FENGHUO__FRAME__MSG_WANT;
		f.want = &w;
	}
	return pack_frame(&f);
}

static struct blob
frame_ping(int pong, uint64_t nonce)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Ping pi = FENGHUO__PING__INIT;
	Fenghuo__Pong po = FENGHUO__PONG__INIT;

	if (pong) {
		po.has_nonce = 1;
		po.nonce = nonce;
		f.msg_case = FENGHUO__FRAME__MSG_PONG;
		f.pong = &po;
	} else {
		pi.has_nonce = 1;
		pi.nonce = nonce;
		f.msg_case = FENGHUO__FRAME__MSG_PING;
		f.ping = &pi;
	}
	return pack_frame(&f);
}

/* A TRACE query for the message which (-1: one nobody has) with hops_left. */
static struct blob
frame_trace_query(int which, uint32_t hops_left, uint8_t tid)
{
	static uint8_t unknown[FC_IDBYTES] = { 0xde, 0xad };
	uint8_t trace_id[8];
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__TraceQuery q = FENGHUO__TRACE_QUERY__INIT;

	memset(trace_id, tid, sizeof(trace_id));
	q.has_trace_id = 1;
	q.trace_id.data = trace_id;
	q.trace_id.len = sizeof(trace_id);
	q.has_msg_id = 1;
	q.msg_id.data = which >= 0 ? msgs[which].id : unknown;
	q.msg_id.len = FC_IDBYTES;
	q.has_hops_left = 1;
	q.hops_left = hops_left;
	q.has_origin = 1;
	q.origin.data = (uint8_t *)(uintptr_t)fc_key_public(fuzz_peer_key());
	q.origin.len = FC_PUBLICKEYBYTES;
	f.msg_case = FENGHUO__FRAME__MSG_TRACE_QUERY;
	f.trace_query = &q;
	return pack_frame(&f);
}

/* A TRACE reply for trace id tid from node key (has_msg, from the peer). */
static struct blob
frame_trace_reply(uint8_t tid, const uint8_t *key)
{
	uint8_t trace_id[8];
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__TraceReply r = FENGHUO__TRACE_REPLY__INIT;

	memset(trace_id, tid, sizeof(trace_id));
	r.has_trace_id = 1;
	r.trace_id.data = trace_id;
	r.trace_id.len = sizeof(trace_id);
	r.has_node = 1;
	r.node.data = (uint8_t *)(uintptr_t)key;
	r.node.len = FC_PUBLICKEYBYTES;
	r.has_has_msg = 1;
	r.has_msg = 1;
	r.has_first_seen_ms = 1;
	r.first_seen_ms = 1700000000000ULL;
	r.has_from = 1;
	r.from.data = (uint8_t *)(uintptr_t)fc_key_public(fuzz_peer_key());
	r.from.len = FC_PUBLICKEYBYTES;
	r.has_hops = 1;
	r.hops = 2;
	r.has_link = 1;
	r.link = 2;
	f.msg_case = FENGHUO__FRAME__MSG_TRACE_REPLY;
	f.trace_reply = &r;
	return pack_frame(&f);
}

/* A Frame{sync} around a serialized Sync (as sync_begin/sync_handle make them). */
static struct blob
frame_sync(const uint8_t *payload, size_t len)
{
	struct blob b;

	dieif(wire_frame_wrap_sync(payload, len, &b.buf, &b.len) != 0, "sync frame");
	return b;
}

/* Frame records: control bit 0 outbound link, 1 stranger, 2 loop pass, 3 refused link. */
#define R_IN		0x0
#define R_OUT		0x1
#define R_STRANGER	0x2
#define R_STEP		0x4
#define R_REFUSED	0x8

static struct blob	sync_first;	/* a sync_begin payload, when sync is built in */

/* A frame session for fuzz_frame: the compact-receipt fixture's warning, then its records. */
static void
frame_receipts(struct batch *bt)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Push push = FENGHUO__PUSH__INIT;
	ProtobufCBinaryData e;
	uint8_t wid[FC_IDBYTES], rec[2 * WIRE_CR_MAX], *wenv;
	size_t wlen, a, b;

	dieif(fuzz_warning(&wenv, &wlen, wid) != 0, "receipts warning");
	dieif(fuzz_receipt_record(wid, FUZZ_CRECEIPT_SCOPE, rec, &a) != 0, "record");
	dieif(fuzz_receipt_record(wid, "330110101", rec + a, &b) != 0, "record");
	bt->len = 0;
	rec_add(bt, R_IN, frame_hello(fc_key_public(fuzz_peer_key()), WIRE_PROTOCOL_VERSION,
	    "up"));
	e.data = wenv;
	e.len = wlen;
	push.n_envelopes = 1;
	push.envelopes = &e;
	f.msg_case = FENGHUO__FRAME__MSG_PUSH;
	f.push = &push;
	rec_add(bt, R_IN | R_STEP, pack_frame(&f));
	f.msg_case = FENGHUO__FRAME__MSG_RECEIPTS;
	f.receipts.data = rec;
	f.receipts.len = a + b;
	rec_add(bt, R_IN | R_STEP, pack_frame(&f));
	f.receipts.len = a + b - 3;
	rec_add(bt, R_IN | R_STEP, pack_frame(&f));
	write_file("frame", "receipts", bt->buf, bt->len);
	free(wenv);
}

static void
make_frame(void)
{
	static struct batch bt;
	static const int push[] = { M_REPORT, M_WARNING, M_RECEIPT, M_CERT };
	static const int all[] = { M_REPORT, M_REPORT_SKEW, M_WARNING, M_WARNING_UPDATE,
		M_RECEIPT, M_DELIVERED, M_CERT, M_REVOKE, M_ANNOUNCE };
	const uint8_t *peer = fc_key_public(fuzz_peer_key());
	uint8_t seed[FC_SEEDBYTES];
	struct fc_key *self;
	Fenghuo__Frame empty = FENGHUO__FRAME__INIT;
	struct blob junk;

	mkdir_target("frame");

	/* The life of an inbound link: HELLO, PUSH, commit, WANT, HAVE, PING, PONG. */
	bt.len = 0;
	rec_add(&bt, R_IN, frame_hello(peer, WIRE_PROTOCOL_VERSION, "up"));
	rec_add(&bt, R_IN | R_STEP, frame_push(push, 4));
	rec_add(&bt, R_IN, frame_ids(0, push, 4));
	rec_add(&bt, R_IN, frame_ids(1, all, M_MAX));
	rec_add(&bt, R_IN, frame_ping(0, 42));
	rec_add(&bt, R_IN, frame_ping(1, 42));
	write_file("frame", "inbound-session", bt.buf, bt.len);

	/* The same over our outbound link. */
	bt.len = 0;
	rec_add(&bt, R_OUT, frame_hello(peer, WIRE_PROTOCOL_VERSION, "up"));
	rec_add(&bt, R_OUT | R_STEP, frame_push(all, M_MAX));
	rec_add(&bt, R_OUT, frame_ids(0, all, M_MAX));
	write_file("frame", "outbound-session", bt.buf, bt.len);

	/* A stranger says HELLO, then pushes; another frame before its HELLO. */
	bt.len = 0;
	rec_add(&bt, R_STRANGER, frame_ping(0, 7));
	rec_add(&bt, R_STRANGER, frame_hello(fc_key_public(fuzz_key()), WIRE_PROTOCOL_VERSION,
	    "stranger"));
	rec_add(&bt, R_STRANGER | R_STEP, frame_push(push, 2));
	write_file("frame", "stranger", bt.buf, bt.len);

	/* Refusals: a wrong protocol version, our own key, a HELLO on a refused link. */
	memset(seed, 0x4e, sizeof(seed));
	dieif(fc_key_from_seed(seed, &self) != 0, "node key");
	bt.len = 0;
	rec_add(&bt, R_OUT, frame_hello(peer, WIRE_PROTOCOL_VERSION + 1, "up"));
	rec_add(&bt, R_IN, frame_hello(fc_key_public(self), WIRE_PROTOCOL_VERSION, "me"));
	rec_add(&bt, R_IN | R_REFUSED, frame_hello(peer, WIRE_PROTOCOL_VERSION, "up"));
	rec_add(&bt, R_IN | R_REFUSED, frame_ping(0, 1));
	write_file("frame", "refused", bt.buf, bt.len);
	fc_key_free(&self);

	/* Garbage, and a frame of no known type. */
	bt.len = 0;
	junk.len = 5;
	if ((junk.buf = malloc(junk.len)) == NULL)
		die("malloc");
	memcpy(junk.buf, "\xff\xff\xff\xff\x0f", 5);
	rec_add(&bt, R_IN, junk);
	rec_add(&bt, R_IN, pack_frame(&empty));
	write_file("frame", "garbage", bt.buf, bt.len);

	/*
	 * TRACE: a query for a stored message and one for a message nobody has, the same query
	 * again (deduped), one over the hop limit; replies for a trace we passed on and for one
	 * we never saw.
	 */
	bt.len = 0;
	rec_add(&bt, R_IN, frame_hello(peer, WIRE_PROTOCOL_VERSION, "up"));
	rec_add(&bt, R_IN | R_STEP, frame_push(push, 4));
	rec_add(&bt, R_IN, frame_trace_query(M_REPORT, 3, 0x31));
	rec_add(&bt, R_IN, frame_trace_query(-1, 0, 0x32));
	rec_add(&bt, R_IN, frame_trace_query(M_REPORT, 3, 0x31));
	rec_add(&bt, R_IN, frame_trace_query(M_WARNING, 17, 0x33));
	rec_add(&bt, R_IN, frame_trace_reply(0x31, fc_key_public(fuzz_key())));
	rec_add(&bt, R_IN, frame_trace_reply(0x34, fc_key_public(fuzz_key())));
	write_file("frame", "trace", bt.buf, bt.len);

	/* Compact receipts: the warning they confirm in a PUSH, then records of it. */
	frame_receipts(&bt);

	if (sync_first.buf != NULL) {
		bt.len = 0;
		rec_add(&bt, R_IN, frame_sync(sync_first.buf, sync_first.len));
		rec_add(&bt, R_OUT | R_STEP, frame_sync(sync_first.buf, sync_first.len));
		write_file("frame", "sync", bt.buf, bt.len);
	}
}

/* ---- sync ---------------------------------------------------------------------------- */

#include "sync.h"

static struct store *
temp_store(const char *name)
{
	char dir[512];
	struct store *st;

	snprintf(dir, sizeof(dir), "%s/%s", fuzz_tmpdir(), name);
	if (mkdir(dir, 0700) == -1)
		die(dir);
	dieif(store_open(dir, 0, &st) != 0, "store_open");
	return st;
}

/* sel (the max_frame choice of fuzz_sync.c) and a payload, as one seed file. */
static void
sync_seed(const char *name, uint8_t sel, const uint8_t *payload, size_t len)
{
	uint8_t *buf;

	if ((buf = malloc(len + 1)) == NULL)
		die("malloc");
	buf[0] = sel;
	memcpy(buf + 1, payload, len);
	write_file("sync", name, buf, len + 1);
	free(buf);
}

/*
 * One round between b (the peer, initiating) and a (the store of fuzz_sync.c): every
 * payload b sends a is a seed.
 */
static void
sync_round(const char *prefix, struct store *a, struct store *b, uint8_t sel, size_t mf)
{
	struct sync_result ra, rb;
	uint8_t *p;
	size_t plen;
	char name[64];
	int step;

	dieif(sync_begin(b, mf, &p, &plen) != 0, "sync_begin");
	snprintf(name, sizeof(name), "%s-0", prefix);
	sync_seed(name, sel, p, plen);
	if (sync_first.buf == NULL) {
		sync_first.buf = malloc(plen);
		dieif(sync_first.buf == NULL, "malloc");
		memcpy(sync_first.buf, p, plen);
		sync_first.len = plen;
	}
	for (step = 1; step < 8; step++) {
		dieif(sync_handle(a, mf, p, plen, &ra) != 0, "sync_handle a");
		free(p);
		p = NULL;
		if (ra.reply == NULL) {
			sync_result_clear(&ra);
			break;
		}
		dieif(sync_handle(b, mf, ra.reply, ra.replylen, &rb) != 0, "sync_handle b");
		sync_result_clear(&ra);
		if (rb.reply == NULL) {
			sync_result_clear(&rb);
			break;
		}
		snprintf(name, sizeof(name), "%s-%d", prefix, step);
		sync_seed(name, sel, rb.reply, rb.replylen);
		p = rb.reply;
		plen = rb.replylen;
		rb.reply = NULL;
		sync_result_clear(&rb);
	}
	free(p);
}

static void
make_sync(void)
{
	struct store *a, *b, *e;

	mkdir_target("sync");
	/* a is what fuzz_sync.c answers with: reports 0..599. */
	a = temp_store("sync-a");
	dieif(fuzz_fill_reports(a, 0, 600) != 0, "fill a");
	/* b lacks 300..309 and has 1000..1019 besides. */
	b = temp_store("sync-b");
	dieif(fuzz_fill_reports(b, 0, 300) != 0 || fuzz_fill_reports(b, 310, 290) != 0 ||
	    fuzz_fill_reports(b, 1000, 20) != 0, "fill b");
	e = temp_store("sync-e");
	sync_round("differ-default", a, b, 0, 0);
	sync_round("differ-1k", a, b, 1, 1024);
	sync_round("differ-4k", a, b, 2, 4096);
	sync_round("empty", a, e, 0, 0);
	sync_round("equal", a, a, 3, 65536);
	store_close(&a);
	store_close(&b);
	store_close(&e);
}

/* ---- config -------------------------------------------------------------------------- */

static void
config_file(const char *name, const char *text)
{
	write_file("config", name, (const uint8_t *)text, strlen(text));
}

static void
make_config(void)
{
	char hex[2 * FC_PUBLICKEYBYTES + 1], hex2[2 * FC_PUBLICKEYBYTES + 1], buf[2048];

	mkdir_target("config");
	fc_hex(fc_key_public(fuzz_peer_key()), FC_PUBLICKEYBYTES, hex);
	fc_hex(fc_key_public(fuzz_key()), FC_PUBLICKEYBYTES, hex2);
	snprintf(buf, sizeof(buf),
	    "; fenghuod.conf of a township server (docs/CONFIG.md)\n"
	    "[node]\n"
	    "name   = qingshan-township\n"
	    "region = 330110101\n"
	    "key    = /var/lib/fenghuo/node.key\n"
	    "state  = /var/lib/fenghuo\n"
	    "listen = tcp://0.0.0.0:7400, ipc:///run/fenghuo/peer.sock\n"
	    "sync_interval = 60\n"
	    "log_level = info\n"
	    "\n"
	    "[peer county]\n"
	    "address = tcp://10.1.0.1:7400\n"
	    "key     = %s\n"
	    "\n"
	    "# a village laptop\n"
	    "[peer dongqiao]\n"
	    "address = tcp://[fe80::1]:7400\n"
	    "key     = %s\n", hex, hex2);
	config_file("township", buf);
	config_file("minimal", "[node]\nname=v\nregion=110101001001\nkey=k\n");
	snprintf(buf, sizeof(buf),
	    "[node]\n"
	    "name = bad name\n"
	    "region = 1101\n"
	    "region = 110101\n"
	    "sync_interval = 0\n"
	    "log_level = loud\n"
	    "listen = udp://x\n"
	    "colour = red\n"
	    "[peer a]\n"
	    "address = tcp://h:99999\n"
	    "key = %.10s\n"
	    "[peer a]\n"
	    "[peer]\n"
	    "[mystery]\n"
	    "x\n"
	    "[node\n", hex);
	config_file("errors", buf);
	snprintf(buf, sizeof(buf),
	    "[peer b]\naddress = ipc:///tmp/b.sock\nkey = %s\n"
	    "[peer c]\naddress = tcp://c.example:7400\nkey = %s\n"
	    "[node]\nname=x\nregion=110101\nkey=/k\n"
	    "listen = tcp://*:7400\n  tcp://127.0.0.1:7401\n", hex, hex);
	config_file("same-keys-continuation", buf);
	/* Every section: trust, limits, CurveZMQ keys, push mode, peer exchange. */
	snprintf(buf, sizeof(buf),
	    "[trust]\n"
	    "anchors = %s, %s\n"
	    "held_max = 1000\n"
	    "held_max_bytes = 8000000\n"
	    "[limits]\n"
	    "peer_frames_per_sec = 500\n"
	    "peer_frames_burst = 2000\n"
	    "author_msgs_per_sec = 5\n"
	    "author_msgs_burst = 50\n"
	    "authors_tracked = 10000\n"
	    "queue_items = 4096\n"
	    "queue_bytes = 8388608\n"
	    "[node]\n"
	    "name = county\n"
	    "region = 330110\n"
	    "key = /var/lib/fenghuo/node.key\n"
	    "transport_key = /var/lib/fenghuo/transport.key\n"
	    "allow = %s\n"
	    "push = plumtree\n"
	    "announce = tcp://203.0.113.5:7400\n"
	    "max_discovered = 32\n"
	    "listen = tcp://0.0.0.0:7400\n"
	    "[peer township]\n"
	    "address = tcp://10.1.2.3:7400\n"
	    "key = %s\n"
	    "transport = %s\n", hex, hex2, hex2, hex, hex2);
	config_file("all-sections", buf);
}

/* ---- trust --------------------------------------------------------------------------- */

static const uint8_t *
tk(size_t i)
{
	return fc_key_public(fuzz_trust_key(i));
}

/* A CERT body granting roles (a 0-terminated list) over scope to key subject. */
static struct blob
t_cert(size_t subject, const Fenghuo__Role *roles, const char *scope, uint64_t created,
    uint64_t not_before, uint64_t not_after, int transport)
{
	static uint8_t tkey[32];
	Fenghuo__Body b;
	Fenghuo__Cert c;
	size_t n = 0;

	while (roles[n] != 0)
		n++;
	body_init(&b, FENGHUO__KIND__CERT, created);
	fenghuo__cert__init(&c);
	c.has_subject = 1;
	c.subject.data = (uint8_t *)(uintptr_t)tk(subject);
	c.subject.len = FC_PUBLICKEYBYTES;
	c.n_roles = n;
	c.roles = (Fenghuo__Role *)(uintptr_t)roles;
	c.scope = (char *)(uintptr_t)scope;
	c.has_not_before_ms = c.has_not_after_ms = 1;
	c.not_before_ms = not_before;
	c.not_after_ms = not_after;
	if (transport) {
		memset(tkey, 0x70 + (int)subject, sizeof(tkey));
		c.has_transport_key = 1;
		c.transport_key.data = tkey;
		c.transport_key.len = sizeof(tkey);
	}
	b.cert = &c;
	return pack_body(&b);
}

static struct blob
t_revoke(size_t subject, uint64_t created, uint64_t from)
{
	Fenghuo__Body b;
	Fenghuo__Revoke r;

	body_init(&b, FENGHUO__KIND__REVOKE, created);
	fenghuo__revoke__init(&r);
	r.has_subject = 1;
	r.subject.data = (uint8_t *)(uintptr_t)tk(subject);
	r.subject.len = FC_PUBLICKEYBYTES;
	if (from != 0) {
		r.has_from_ms = 1;
		r.from_ms = from;
	}
	r.reason = (char *)(uintptr_t)"key lost";
	b.revoke = &r;
	return pack_body(&b);
}

static struct blob
t_report(const char *region, uint64_t created)
{
	Fenghuo__Body b;

	body_init(&b, FENGHUO__KIND__REPORT, created);
	b.region = (char *)(uintptr_t)region;
	b.title = (char *)(uintptr_t)"险情";
	return pack_body(&b);
}

static struct blob
t_warning(const char *area, uint64_t created)
{
	static char *areas[1];
	Fenghuo__Body b;
	Fenghuo__Warning w;

	areas[0] = (char *)(uintptr_t)area;
	body_init(&b, FENGHUO__KIND__WARNING, created);
	fenghuo__warning__init(&w);
	w.has_msg_type = w.has_urgency = w.has_severity = w.has_certainty = w.has_level = 1;
	w.msg_type = FENGHUO__MSG_TYPE__ALERT;
	w.urgency = FENGHUO__URGENCY__EXPECTED;
	w.level = FENGHUO__LEVEL__BLUE;
	w.severity = FENGHUO__SEVERITY__MINOR;
	w.certainty = FENGHUO__CERTAINTY__POSSIBLE;
	w.n_area = 1;
	w.area = areas;
	b.has_expires_ms = 1;
	b.expires_ms = FUZZ_NOW_MS + 24 * HOUR_MS;
	b.region = (char *)(uintptr_t)area;
	b.title = (char *)(uintptr_t)"大风蓝色预警";
	b.warning = &w;
	return pack_body(&b);
}

static struct blob
t_delivered(uint64_t created)
{
	static uint8_t ref[FC_IDBYTES] = { 1, 2, 3 };
	ProtobufCBinaryData r = { sizeof(ref), ref };
	Fenghuo__Body b;
	Fenghuo__Receipt rc;

	body_init(&b, FENGHUO__KIND__RECEIPT, created);
	fenghuo__receipt__init(&rc);
	rc.has_stage = 1;
	rc.stage = FENGHUO__STAGE__DELIVERED;
	b.n_refs = 1;
	b.refs = &r;
	b.receipt = &rc;
	return pack_body(&b);
}

/* Append a trust record (the signing key's index, u16 length, body) and free the body. */
static void
t_add(struct batch *bt, size_t key, struct blob b)
{
	batch_add(bt, (uint8_t)key, &b);
	blob_free(&b);
}

static void
make_trust(void)
{
	static const Fenghuo__Role admin[] = { FENGHUO__ROLE__ADMIN, 0 };
	static const Fenghuo__Role issuer[] = { FENGHUO__ROLE__ISSUER, FENGHUO__ROLE__REPORTER,
		FENGHUO__ROLE__NODE, 0 };
	static const Fenghuo__Role verifier[] = { FENGHUO__ROLE__NODE, FENGHUO__ROLE__VERIFIER,
		0 };
	static const Fenghuo__Role reporter[] = { FENGHUO__ROLE__REPORTER, 0 };
	static struct batch bt;
	const uint64_t now = FUZZ_NOW_MS, day = 24 * HOUR_MS, year = 365 * day;

	mkdir_target("trust");

	/* root -> county admin (key 1) -> township issuer (key 2): accepted, and out of scope. */
	bt.len = 0;
	t_add(&bt, 0, t_cert(1, admin, "110101", now - 2 * HOUR_MS, now - day, now + year, 0));
	t_add(&bt, 1, t_cert(2, issuer, "110101001", now - HOUR_MS, now - day, now + year, 1));
	t_add(&bt, 2, t_warning("110101001", now - 30 * MIN_MS));
	t_add(&bt, 2, t_warning("110102", now - 30 * MIN_MS));
	t_add(&bt, 2, t_report("110101001001", now - 20 * MIN_MS));
	write_file("trust", "chain", bt.buf, bt.len);

	/* Roles: key 3 is a verifier node certified by the admin, and "certified" by the issuer. */
	bt.len = 0;
	t_add(&bt, 0, t_cert(1, admin, "110101", now - 2 * HOUR_MS, now - day, now + year, 0));
	t_add(&bt, 1, t_cert(2, issuer, "110101001", now - HOUR_MS, now - day, now + year, 1));
	t_add(&bt, 1, t_cert(3, verifier, "110101001001", now - HOUR_MS, now - day, now + year, 1));
	t_add(&bt, 2, t_cert(3, reporter, "110101001001", now - HOUR_MS, now - day, now + year, 0));
	t_add(&bt, 3, t_report("110101001001", now - 20 * MIN_MS));
	t_add(&bt, 3, t_delivered(now - 10 * MIN_MS));
	write_file("trust", "roles", bt.buf, bt.len);

	/* The root revokes the issuer: its earlier report stands (marked), a later one not. */
	bt.len = 0;
	t_add(&bt, 0, t_cert(1, admin, "110101", now - 2 * HOUR_MS, now - day, now + year, 0));
	t_add(&bt, 1, t_cert(2, issuer, "110101001", now - HOUR_MS, now - day, now + year, 0));
	t_add(&bt, 0, t_revoke(2, now - 5 * MIN_MS, now - 30 * MIN_MS));
	t_add(&bt, 2, t_report("110101001001", now - 40 * MIN_MS));
	t_add(&bt, 2, t_report("110101001001", now - 10 * MIN_MS));
	write_file("trust", "revoked", bt.buf, bt.len);

	/* A loop that never reaches the root, and messages with no chain at all (held). */
	bt.len = 0;
	t_add(&bt, 1, t_cert(2, admin, "", now - HOUR_MS, now - day, now + year, 0));
	t_add(&bt, 2, t_cert(1, admin, "", now - HOUR_MS, now - day, now + year, 0));
	t_add(&bt, 2, t_report("110101001001", now - 20 * MIN_MS));
	t_add(&bt, 3, t_report("110101001001", now - 20 * MIN_MS));
	t_add(&bt, 3, t_warning("11", now - 20 * MIN_MS));
	write_file("trust", "loop-and-hold", bt.buf, bt.len);

	/* An expired grant, one not yet valid, and a self-revocation. */
	bt.len = 0;
	t_add(&bt, 0, t_cert(1, admin, "110101", now - 2 * HOUR_MS, now - day, now + year, 0));
	t_add(&bt, 1, t_cert(2, issuer, "110101001", now - 3 * day, now - 3 * day,
	    now - 2 * day, 0));
	t_add(&bt, 1, t_cert(3, verifier, "110101001001", now - HOUR_MS, now + day,
	    now + year, 1));
	t_add(&bt, 2, t_report("110101001001", now - 20 * MIN_MS));
	t_add(&bt, 3, t_delivered(now - 10 * MIN_MS));
	t_add(&bt, 3, t_revoke(3, now - 5 * MIN_MS, 0));
	write_file("trust", "windows", bt.buf, bt.len);
}

/* ---- bucket -------------------------------------------------------------------------- */

/* Header (table size, per_sec, burst) and ops of fuzz_bucket.c. */
static void
bucket_seed(const char *name, unsigned max, unsigned per_sec, unsigned burst,
    const uint8_t (*ops)[3], size_t nops)
{
	static struct batch bt;
	size_t i;

	bt.len = 0;
	bt.buf[bt.len++] = (uint8_t)(max - 1);
	bt.buf[bt.len++] = (uint8_t)(per_sec >> 8);
	bt.buf[bt.len++] = (uint8_t)per_sec;
	bt.buf[bt.len++] = (uint8_t)(burst >> 8);
	bt.buf[bt.len++] = (uint8_t)burst;
	for (i = 0; i < nops; i++) {
		memcpy(bt.buf + bt.len, ops[i], 3);
		bt.len += 3;
	}
	write_file("bucket", name, bt.buf, bt.len);
}

static void
make_bucket(void)
{
	static uint8_t ops[192][3];
	size_t i, n;

	mkdir_target("bucket");
	/* Eight keys through a table of four: evictions, refusals, refills, removals. */
	for (i = n = 0; i < 8; i++, n++) {
		ops[n][0] = 0, ops[n][1] = (uint8_t)i, ops[n][2] = 3;
	}
	for (i = 0; i < 8; i++, n++) {
		ops[n][0] = 0, ops[n][1] = (uint8_t)(i % 3), ops[n][2] = 2;
	}
	ops[n][0] = 4, ops[n][1] = 0, ops[n][2] = 20, n++;
	for (i = 0; i < 6; i++, n++) {
		ops[n][0] = 1, ops[n][1] = (uint8_t)i, ops[n][2] = 4;
	}
	for (i = 0; i < 4; i++, n++) {
		ops[n][0] = 2, ops[n][1] = (uint8_t)(2 * i), ops[n][2] = 0;
	}
	ops[n][0] = 4, ops[n][1] = 0, ops[n][2] = 0, n++;
	ops[n][0] = 0, ops[n][1] = 1, ops[n][2] = 1, n++;
	bucket_seed("evict", 4, 10, 5, (const uint8_t (*)[3])ops, n);

	/* A rate change mid-way, then unlimited, then limited again. */
	n = 0;
	ops[n][0] = 0, ops[n][1] = 9, ops[n][2] = 50, n++;
	ops[n][0] = 3, ops[n][1] = 10, ops[n][2] = 3, n++;
	ops[n][0] = 1, ops[n][1] = 9, ops[n][2] = 10, n++;
	ops[n][0] = 3, ops[n][1] = 0, ops[n][2] = 0, n++;
	ops[n][0] = 0, ops[n][1] = 11, ops[n][2] = 200, n++;
	ops[n][0] = 3, ops[n][1] = 20, ops[n][2] = 100, n++;
	ops[n][0] = 0, ops[n][1] = 9, ops[n][2] = 20, n++;
	bucket_seed("rate-change", 16, 1000, 100, (const uint8_t (*)[3])ops, n);

	/* Every key of the pool into a table that holds them all, then out again. */
	for (i = n = 0; i < 64; i++, n++) {
		ops[n][0] = 0, ops[n][1] = (uint8_t)i, ops[n][2] = 1;
	}
	for (i = 0; i < 64; i += 2, n++) {
		ops[n][0] = 2, ops[n][1] = (uint8_t)i, ops[n][2] = 0;
	}
	for (i = 0; i < 64; i++, n++) {
		ops[n][0] = 1, ops[n][1] = (uint8_t)i, ops[n][2] = 1;
	}
	bucket_seed("full-pool", 64, 2, 2, (const uint8_t (*)[3])ops, n);
}

/* ---- frame, for the node that enforces the trust policy ------------------------------ */

/* A PUSH of the bodies (freed here), each sealed by trust key keys[i]. */
static struct blob
frame_push_by(const size_t *keys, struct blob *bodies, size_t n)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	Fenghuo__Push p = FENGHUO__PUSH__INIT;
	ProtobufCBinaryData envs[8];
	struct blob b;
	size_t i;

	dieif(n > 8, "too many envelopes");
	for (i = 0; i < n; i++) {
		dieif(fuzz_seal_body_by(fuzz_trust_key(keys[i]), bodies[i].buf, bodies[i].len,
		    &envs[i].data, &envs[i].len) != 0, "seal");
		blob_free(&bodies[i]);
	}
	p.n_envelopes = n;
	p.envelopes = envs;
	f.msg_case = FENGHUO__FRAME__MSG_PUSH;
	f.push = &p;
	b = pack_frame(&f);
	for (i = 0; i < n; i++)
		free(envs[i].data);
	return b;
}

static void
make_frame_trust(void)
{
	static const Fenghuo__Role admin[] = { FENGHUO__ROLE__ADMIN, 0 };
	static const Fenghuo__Role issuer[] = { FENGHUO__ROLE__ISSUER, FENGHUO__ROLE__REPORTER,
		FENGHUO__ROLE__NODE, 0 };
	static const Fenghuo__Role reporter[] = { FENGHUO__ROLE__REPORTER, 0 };
	static struct batch bt;
	const uint64_t now = FUZZ_NOW_MS, day = 24 * HOUR_MS, year = 365 * day;
	const uint8_t *peer = fc_key_public(fuzz_peer_key());
	struct blob b[4];
	size_t k[4];
	const uint8_t T = 0x10;	/* to the node with the trust policy on */

	/* Messages before their certificates (held), then the chain (released), a revocation. */
	bt.len = 0;
	rec_add(&bt, T, frame_hello(peer, WIRE_PROTOCOL_VERSION, "up"));
	k[0] = 2, b[0] = t_warning("110101001", now - 30 * MIN_MS);
	k[1] = 3, b[1] = t_report("110101001001", now - 20 * MIN_MS);
	rec_add(&bt, T | R_STEP, frame_push_by(k, b, 2));
	k[0] = 0, b[0] = t_cert(1, admin, "110101", now - 2 * HOUR_MS, now - day, now + year, 0);
	k[1] = 1, b[1] = t_cert(2, issuer, "110101001", now - HOUR_MS, now - day, now + year, 1);
	rec_add(&bt, T | R_STEP, frame_push_by(k, b, 2));
	k[0] = 1, b[0] = t_cert(3, reporter, "110101001001", now - HOUR_MS, now - day,
	    now + year, 0);
	k[1] = 0, b[1] = t_revoke(2, now - 5 * MIN_MS, now - 25 * MIN_MS);
	k[2] = 2, b[2] = t_report("110101001001", now - 10 * MIN_MS);
	rec_add(&bt, T | R_STEP, frame_push_by(k, b, 3));
	/* A stranger pushes a chain that leads nowhere. */
	rec_add(&bt, T | R_STRANGER, frame_hello(fc_key_public(fuzz_trust_key(3)),
	    WIRE_PROTOCOL_VERSION, "stranger"));
	k[0] = 3, b[0] = t_cert(1, admin, "", now - HOUR_MS, now - day, now + year, 0);
	k[1] = 1, b[1] = t_warning("11", now - 10 * MIN_MS);
	rec_add(&bt, T | R_STRANGER | R_STEP, frame_push_by(k, b, 2));
	write_file("frame", "trust-session", bt.buf, bt.len);
}

/* ---- stream: the stream-link deframer ---------------------------------------------- */

#include "node.h"

/* Append a fuzz_stream record: u8 control, u16 BE length, bytes. */
static void
srec(uint8_t *out, size_t *off, uint8_t control, const uint8_t *b, size_t len)
{
	out[(*off)++] = control;
	out[(*off)++] = (uint8_t)(len >> 8);
	out[(*off)++] = (uint8_t)len;
	memcpy(out + *off, b, len);
	*off += len;
}

static void
make_stream(void)
{
	static const uint8_t ping[] = { 0x32, 0x04, 0x08, 0xc0, 0xc4, 0x07 };
	static const uint8_t junk[] = "\xf4\xf4H\x10line noise\r\n\xf4H";
	static uint8_t out[65536], fr[4096];
	const struct blob *env = &msgs[M_WARNING].env;
	size_t off, flen, n, i, fl[64], pos[64];
	uint8_t t[2] = { 0, 3 };

	mkdir_target("stream");
	/* One PING as a datagram at MTU 256 (choice 2). */
	off = 0;
	out[off++] = 2;
	flen = stream_frag(ping, sizeof(ping), 256, 7, 0, fr);
	srec(out, &off, 1, fr, flen);
	write_file("stream", "ping-datagram", out, off);
	/* Byte stream: garbage, the PING, garbage, the PING truncated, silence, the PING. */
	off = 0;
	out[off++] = 2;
	srec(out, &off, 0, junk, sizeof(junk) - 1);
	srec(out, &off, 0, fr, flen);
	srec(out, &off, 0, junk, sizeof(junk) - 1);
	srec(out, &off, 0, fr, flen - 3);
	srec(out, &off, 3, t, sizeof(t));
	srec(out, &off, 0, fr, flen);
	write_file("stream", "noisy-stream", out, off);
	/* A red warning re-framed at MTU 64 (choice 0): clean, then damaged, then short. */
	off = 0;
	out[off++] = 0;
	srec(out, &off, 2, env->buf, env->len);
	srec(out, &off, 0x52, env->buf, env->len);
	srec(out, &off, 0x06, env->buf, env->len);
	write_file("stream", "warning-reframed", out, off);
	/* Its fragments as datagrams at MTU 100 (choice 1), last first, one twice. */
	n = stream_nfrags(env->len, 100);
	dieif(n > 64 || n < 2, "stream: unexpected fragment count");
	for (i = 0, flen = 0; i < n; i++) {
		pos[i] = flen;
		fl[i] = stream_frag(env->buf, env->len, 100, 9, i, fr + flen);
		flen += fl[i];
	}
	off = 0;
	out[off++] = 1;
	for (i = n; i-- > 0;)
		srec(out, &off, 1, fr + pos[i], fl[i]);
	srec(out, &off, 1, fr + pos[0], fl[0]);
	write_file("stream", "fragments-reversed", out, off);
}

/* ---- deflate ------------------------------------------------------------------------- */

/* control byte ctl, then the bytes. */
static void
deflate_seed(const char *name, uint8_t ctl, const uint8_t *buf, size_t len)
{
	uint8_t *out;

	if ((out = malloc(len + 1)) == NULL)
		die("malloc");
	out[0] = ctl;
	memcpy(out + 1, buf, len);
	write_file("deflate", name, out, len + 1);
	free(out);
}

/* The contents of Frame.deflated of raw (as the daemon sends it). */
static void
deflate_contents(const char *name, const uint8_t *raw, size_t len, size_t cut)
{
	Fenghuo__Frame *f;
	uint8_t *z;
	size_t zlen;

	dieif(wire_frame_deflate(raw, len, &z, &zlen) != 0, "wire_frame_deflate");
	dieif((f = wire_frame_unpack(z, zlen)) == NULL, "deflated frame");
	deflate_seed(name, 0, f->deflated.data, f->deflated.len - cut);
	fenghuo__frame__free_unpacked(f, NULL);
	free(z);
}

/* A decompression bomb: 1 MiB of zeros, raw DEFLATE by zlib itself. */
static void
deflate_bomb(void)
{
	static uint8_t z[4096];
	uint8_t *zeros;
	z_stream zs;

	if ((zeros = calloc(1, 1024 * 1024)) == NULL)
		die("calloc");
	memset(&zs, 0, sizeof(zs));
	dieif(deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK, "zlib");
	zs.next_in = zeros;
	zs.avail_in = 1024 * 1024;
	zs.next_out = z;
	zs.avail_out = sizeof(z);
	dieif(deflate(&zs, Z_FINISH) != Z_STREAM_END, "zlib deflate");
	deflate_seed("bomb", 0, z, sizeof(z) - zs.avail_out);
	deflateEnd(&zs);
	free(zeros);
}

static void
make_deflate(void)
{
	static const int push[] = { M_REPORT, M_WARNING, M_RECEIPT, M_CERT };
	struct blob p = frame_push(push, 4), h = frame_ids(1, push, 4);
	uint8_t *zeros;

	mkdir_target("deflate");
	deflate_contents("push", p.buf, p.len, 0);
	deflate_contents("have", h.buf, h.len, 0);
	deflate_contents("push-cut", p.buf, p.len, 3);
	deflate_seed("push-raw", 1, p.buf, p.len);
	/* Zeros up to the bound: the largest output, then just beyond it (refused). */
	if ((zeros = calloc(1, WIRE_DEFLATED_MAX)) == NULL)
		die("calloc");
	deflate_contents("zeros-max", zeros, WIRE_DEFLATED_MAX, 0);
	free(zeros);
	deflate_bomb();
	blob_free(&p);
	blob_free(&h);
}

/* fuzz_creceipt: u8 control (bit 0 from the peer, bit 1 with the trust state), records. */
static void
make_creceipt(void)
{
	uint8_t id[FC_IDBYTES], buf[1 + 3 * WIRE_CR_MAX], *wenv;
	size_t wlen, a, b;

	mkdir_target("creceipt");
	dieif(fuzz_warning(&wenv, &wlen, id) != 0, "creceipt warning");
	free(wenv);
	dieif(fuzz_receipt_record(id, FUZZ_CRECEIPT_SCOPE, buf + 1, &a) != 0, "record");
	dieif(fuzz_receipt_record(id, "330110101", buf + 1 + a, &b) != 0, "record");
	buf[0] = 0x03;
	write_file("creceipt", "one-record", buf, 1 + a);
	write_file("creceipt", "two-records", buf, 1 + a + b);
	write_file("creceipt", "truncated", buf, 1 + a + b - 10);
	buf[0] = 0x01;
	write_file("creceipt", "scope-without-trust", buf, 1 + a);
	buf[0] = 0x02;
	write_file("creceipt", "other-sender", buf, 1 + a + b);
	buf[0] = 0x03;
	buf[a + b] ^= 0x40;	/* the last byte of the second record: its signature */
	write_file("creceipt", "bad-signature", buf, 1 + a + b);
}

int
main(int argc, char **argv)
{
	int i;

	if (argc != 2) {
		fprintf(stderr, "usage: make_corpus OUTDIR\n");
		return 64;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) == -1 && errno != EEXIST)
		die(outdir);
	make_messages();
	make_envelope();
	make_store();
	make_bundle();
	make_sync();
	make_frame();
	make_config();
	make_trust();
	make_frame_trust();
	make_bucket();
	make_stream();
	make_deflate();
	make_creceipt();
	blob_free(&sync_first);
	for (i = 0; i < M_MAX; i++) {
		blob_free(&msgs[i].body);
		blob_free(&msgs[i].env);
	}
	return 0;
}
