/*
 * test_creceipt.c: compact receipts at the receiving node (node/creceipt.c; PROTOCOL.md §5,
 * Compact receipts). A node under a trust policy with a neighbour x gets Frame.receipts from
 * x through peer_recv, as the loop hands it every frame:
 *   - a record of a certified village's receipt, relayed by x, is rebuilt into the author's
 *     envelope, stored under its original id, and forwarded whole to a peer that does not
 *     read records; several records share one frame; at most CRECEIPT_READ_MAX are read;
 *   - hostile records: a wrong signature, a truncated record, prefixes that match nothing,
 *     several keys, or a stored message that is not a warning, a certificate scope the
 *     author does not have: dropped and counted, nothing stored, not counted as rejected,
 *     and the node still takes the next good record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node.h"
#include "trustfix.h"

static const struct ingest_src node_src = { INGEST_NODE, NULL, 0, 0 };

/* Gather m as the node's own and commit. */
static void
put_local(struct tf_env *e, const struct tf_msg *m)
{
	assert_int_equal(gossip_add(e->n, m->env, m->len, &node_src), 0);
	gossip_commit(e->n);
	assert_int_equal(store_has(e->n->store, m->id), 1);
}

/* A DELIVERED receipt by author of the warning w in fenghuod's form, region region. */
static void
receipt(struct tf_env *e, int author, const struct tf_msg *w, const char *region,
    const uint8_t *via, uint64_t created, struct tf_msg *m)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Receipt r = FENGHUO__RECEIPT__INIT;
	ProtobufCBinaryData ref;

	r.has_stage = 1;
	r.stage = FENGHUO__STAGE__DELIVERED;
	r.has_via = 1;
	r.via.data = (uint8_t *)(uintptr_t)via;
	r.via.len = WIRE_VIA_BYTES;
	r.has_hops = r.has_delay_ms = r.has_link = 1;
	r.hops = 2;
	r.delay_ms = 850;
	r.link = WIRE_LINK_UDP;
	ref.data = (uint8_t *)(uintptr_t)w->id;
	ref.len = FC_IDBYTES;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__RECEIPT;
	b.region = (char *)(uintptr_t)region;
	b.n_refs = 1;
	b.refs = &ref;
	b.receipt = &r;
	b.created_ms = created;
	tf_seal(e, author, &b, m);
}

/* The record of m as x (the sender) makes it for the node; its length. */
static size_t
record(struct tf_env *e, const struct tf_msg *m, uint64_t w_created, uint8_t *rec)
{
	struct wire_creceipt_keys k;
	struct wire_creceipt r;
	const uint8_t *body, *sig;
	size_t bodylen, siglen;
	Fenghuo__Body *b;

	assert_int_equal(fc_envelope_split(m->env, m->len, &body, &bodylen, &sig, &siglen), 0);
	assert_non_null(b = wire_body_unpack(body, bodylen));
	memset(&k, 0, sizeof(k));
	k.ref_created_ms = w_created;
	k.sender = e->x->key;
	k.receiver = fc_key_public(e->n->key);
	k.scope = creceipt_scope(ingest_trust(e->n->ingest), b->author.data);
	assert_int_equal(wire_creceipt_make(m->env, m->len, b, sig, siglen, 1, &k, &r), 0);
	fenghuo__body__free_unpacked(b, NULL);
	return wire_creceipt_write(&r, rec);
}

/* x sends a Frame.receipts of len bytes at rec; the pass ends. */
static void
recv_records(struct tf_env *e, const uint8_t *rec, size_t len)
{
	Fenghuo__Frame f = FENGHUO__FRAME__INIT;
	uint8_t *buf;
	size_t blen;

	f.msg_case = FENGHUO__FRAME__MSG_RECEIPTS;
	f.receipts.data = (uint8_t *)(uintptr_t)rec;
	f.receipts.len = len;
	assert_int_equal(frame_pack(&f, &buf, &blen), 0);
	peer_recv(e->n, e->x, &e->x->in, buf, blen);
	gossip_commit(e->n);
	free(buf);
}

struct fixture {
	struct tf_env	*e;
	struct tf_msg	 certs[4], county, w, report;
	uint64_t	 w_created;
};

/* A county (root, admin), the policy's certificates (K_PLAIN a node over 330110109), a
 * warning for 330110 by the admin, and a report. */
static void
fixture(struct fixture *fx)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	int i;

	fx->e = tf_new("creceipt");
	tf_start_hub(fx->e, 0, "", 2);
	tf_county(fx->e, &fx->county);
	put_local(fx->e, &fx->county);
	tf_policy_certs(fx->e, fx->certs);
	for (i = 0; i < 4; i++)
		put_local(fx->e, &fx->certs[i]);
	fx->w_created = now_wall() - 2000;
	tf_warning_at(fx->e, K_ADMIN, "330110", "red rainstorm", fx->w_created,
	    fx->w_created + 3600 * 1000, &fx->w);
	put_local(fx->e, &fx->w);
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__REPORT;
	b.region = (char *)(uintptr_t)"330110109201";
	b.title = (char *)(uintptr_t)"flood";
	tf_seal(fx->e, K_REPORTER, &b, &fx->report);
	put_local(fx->e, &fx->report);
}

static void
fixture_free(struct fixture *fx)
{
	int i;

	for (i = 0; i < 4; i++)
		tf_msg_free(&fx->certs[i]);
	tf_msg_free(&fx->county);
	tf_msg_free(&fx->w);
	tf_msg_free(&fx->report);
	tf_free(fx->e);
}

/* Good records, alone and two in a frame: stored under the author's id, forwarded whole. */
static void
test_expand(void **state)
{
	struct fixture fx;
	struct tf_msg r1, r2, r3, r4, w2;
	uint8_t rec[3 * WIRE_CR_MAX], *many;
	size_t len, len2, i;

	(void)state;
	fixture(&fx);
	receipt(fx.e, K_PLAIN, &fx.w, "330110109", fx.e->x->key, fx.w_created + 900, &r1);
	len = record(fx.e, &r1, fx.w_created, rec);
	/* author prefix and relay hops, via the sender, region the certificate's scope */
	assert_int_equal(len, 1 + 8 + 1 + 8 + 1 + 1 + 2 + 64);
	recv_records(fx.e, rec, len);
	assert_int_equal(store_has(fx.e->n->store, r1.id), 1);
	assert_int_equal(fx.e->x->creceipts_in, 1);
	assert_int_equal(fx.e->x->creceipts_dropped, 0);
	/* y reads no records: it gets the author's envelope, byte for byte */
	assert_true(tf_forwarded(fx.e->y, &r1));

	/* Two in one frame; the second with a region given in the record. */
	receipt(fx.e, K_PLAIN, &fx.w, "330110109", fx.e->x->key, fx.w_created + 1900, &r2);
	receipt(fx.e, K_PLAIN, &fx.w, "330110109201", fx.e->x->key, fx.w_created + 2900, &r3);
	len = record(fx.e, &r2, fx.w_created, rec);
	len2 = record(fx.e, &r3, fx.w_created, rec + len);
	assert_int_equal(len2, len + 7);
	recv_records(fx.e, rec, len + len2);
	assert_int_equal(store_has(fx.e->n->store, r2.id), 1);
	assert_int_equal(store_has(fx.e->n->store, r3.id), 1);
	assert_int_equal(fx.e->x->creceipts_in, 3);
	/* The same again: duplicates, nothing new */
	recv_records(fx.e, rec, len + len2);
	assert_int_equal(fx.e->x->creceipts_in, 5);
	/* A record before its warning waits, and is taken once the warning is stored. */
	tf_warning_at(fx.e, K_ADMIN, "330110", "red rainstorm again", fx.w_created + 10,
	    fx.w_created + 3600 * 1000, &w2);
	receipt(fx.e, K_PLAIN, &w2, "330110109", fx.e->x->key, fx.w_created + 950, &r4);
	len2 = record(fx.e, &r4, fx.w_created + 10, rec);
	recv_records(fx.e, rec, len2);
	assert_int_equal(store_has(fx.e->n->store, r4.id), 0);
	assert_int_equal(fx.e->n->ncr_wait, 1);
	put_local(fx.e, &w2);
	assert_int_equal(fx.e->n->ncr_wait, 0);
	gossip_commit(fx.e->n);
	assert_int_equal(store_has(fx.e->n->store, r4.id), 1);
	assert_int_equal(fx.e->x->creceipts_in, 6);
	assert_int_equal(fx.e->x->creceipts_dropped, 0);
	len = record(fx.e, &r2, fx.w_created, rec);

	/* At most CRECEIPT_READ_MAX records of one frame are read. */
	assert_non_null(many = calloc(CRECEIPT_READ_MAX + 6, len));
	for (i = 0; i < CRECEIPT_READ_MAX + 6; i++)
		memcpy(many + i * len, rec, len);
	recv_records(fx.e, many, (CRECEIPT_READ_MAX + 6) * len);
	assert_int_equal(fx.e->x->creceipts_in, 6 + CRECEIPT_READ_MAX);
	assert_int_equal(fx.e->x->creceipts_dropped, 1);
	free(many);
	tf_msg_free(&r1);
	tf_msg_free(&r2);
	tf_msg_free(&r3);
	tf_msg_free(&r4);
	tf_msg_free(&w2);
	fixture_free(&fx);
}

/* Hostile records: each dropped and counted, nothing stored, the next one still taken. */
static void
test_hostile(void **state)
{
	struct fixture fx;
	struct tf_msg r1, good;
	struct wire_creceipt wr;
	uint8_t rec[2 * WIRE_CR_MAX], keys[2][FC_PUBLICKEYBYTES], *env;
	uint64_t stored, rejected, dropped;
	size_t len, used, envlen;
	const char *why;
	uint32_t hops;

	(void)state;
	fixture(&fx);
	receipt(fx.e, K_PLAIN, &fx.w, "330110109", fx.e->x->key, fx.w_created + 900, &r1);
	len = record(fx.e, &r1, fx.w_created, rec);
	stored = fx.e->n->stored;
	rejected = fx.e->n->rejected[FC_R_BAD_SIG];

	/* A wrong signature: rebuilt, refused by the ingest, counted apart. */
	rec[len - 1] ^= 1;
	recv_records(fx.e, rec, len);
	assert_int_equal(store_has(fx.e->n->store, r1.id), 0);
	assert_int_equal(fx.e->n->creceipts_invalid, 1);
	assert_int_equal(fx.e->n->rejected[FC_R_BAD_SIG], rejected);
	rec[len - 1] ^= 1;

	/* Truncated: nothing rebuilt. */
	dropped = fx.e->x->creceipts_dropped;
	recv_records(fx.e, rec, len - 1);
	assert_int_equal(fx.e->x->creceipts_dropped, dropped + 1);

	/*
	 * A warning prefix that matches nothing waits for its warning, and is dropped when it
	 * has not come in time; one that names a report is dropped at once.
	 */
	assert_int_equal(wire_creceipt_parse(rec, len, &wr, &used), 0);
	wr.ref[0] ^= 0xff;
	len = wire_creceipt_write(&wr, rec);
	recv_records(fx.e, rec, len);
	assert_int_equal(fx.e->n->ncr_wait, 1);
	assert_int_equal(fx.e->x->creceipts_dropped, dropped + 1);
	fx.e->n->cr_wait[0].until = now_mono();
	creceipt_commit_done(fx.e->n);
	assert_int_equal(fx.e->n->ncr_wait, 0);
	assert_int_equal(fx.e->x->creceipts_dropped, dropped + 2);
	wr.ref[0] ^= 0xff;
	memcpy(wr.ref, fx.report.id, WIRE_CR_PREFIX);
	len = wire_creceipt_write(&wr, rec);
	recv_records(fx.e, rec, len);
	assert_int_equal(fx.e->x->creceipts_dropped, dropped + 3);
	assert_int_equal(fx.e->n->ncr_wait, 0);

	/* An author prefix that matches no key; a certificate scope the author lacks. */
	memcpy(wr.ref, fx.w.id, WIRE_CR_PREFIX);
	memset(wr.author, 0x99, WIRE_CR_PREFIX);
	len = wire_creceipt_write(&wr, rec);
	recv_records(fx.e, rec, len);
	memcpy(wr.author, fc_key_public(fx.e->key[K_OTHER]), WIRE_CR_PREFIX);
	memcpy(keys[0], fc_key_public(fx.e->key[K_OTHER]), FC_PUBLICKEYBYTES);
	len = wire_creceipt_write(&wr, rec);
	recv_records(fx.e, rec, len);	/* K_OTHER is not known here at all */
	assert_int_equal(fx.e->x->creceipts_dropped, dropped + 5);
	assert_int_equal(creceipt_expand(fx.e->n->store, ingest_trust(fx.e->n->ingest),
	    fc_key_public(fx.e->n->key), fx.e->x->key, (const uint8_t (*)[32])keys, 1, &wr,
	    &env, &envlen, &hops, &why), -1);
	assert_string_equal(why, "its author has no one certificate scope here");

	/* Two known keys share the author's prefix: ambiguous, whatever the signature says. */
	memcpy(wr.author, fc_key_public(fx.e->key[K_PLAIN]), WIRE_CR_PREFIX);
	memcpy(keys[0], fc_key_public(fx.e->key[K_PLAIN]), FC_PUBLICKEYBYTES);
	keys[0][31] ^= 1;
	assert_int_equal(creceipt_expand(fx.e->n->store, ingest_trust(fx.e->n->ingest),
	    fc_key_public(fx.e->n->key), fx.e->x->key, (const uint8_t (*)[32])keys, 1, &wr,
	    &env, &envlen, &hops, &why), -1);
	assert_null(env);
	/* ... and with the one key: rebuilt, the hops one more than the relay's. */
	assert_int_equal(creceipt_expand(fx.e->n->store, ingest_trust(fx.e->n->ingest),
	    fc_key_public(fx.e->n->key), fx.e->x->key, NULL, 0, &wr, &env, &envlen, &hops,
	    &why), 0);
	assert_int_equal(envlen, r1.len);
	assert_memory_equal(env, r1.env, envlen);
	assert_int_equal(hops, 2);
	free(env);

	/* Reserved flags, and garbage: dropped; nothing of all this was stored. */
	memset(rec, 0xff, 100);
	recv_records(fx.e, rec, 100);
	assert_int_equal(fx.e->n->stored, stored);
	assert_int_equal(fx.e->n->rejected[FC_R_BAD_SIG], rejected);

	/* The node still takes a good record. */
	receipt(fx.e, K_PLAIN, &fx.w, "330110109", fx.e->x->key, fx.w_created + 950, &good);
	len = record(fx.e, &good, fx.w_created, rec);
	recv_records(fx.e, rec, len);
	assert_int_equal(store_has(fx.e->n->store, good.id), 1);
	tf_msg_free(&r1);
	tf_msg_free(&good);
	fixture_free(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_hostile),
	};

	if (fc_init() != 0)
		return 1;
	log_init(getenv("FH_TEST_DEBUG") != NULL ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
