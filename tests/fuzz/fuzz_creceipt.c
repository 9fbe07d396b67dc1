/*
 * fuzz_creceipt.c: compact receipts as a stream peer sends them (Frame.receipts; proto/
 * creceipt.c reads the records, node/creceipt.c resolves their prefixes), then the ingest.
 *
 * The node is the fuzz key's; its store holds a red warning by it (fuzz_warning), and, with
 * control bit 1, its trust state knows a node grant to the peer key over
 * FUZZ_CRECEIPT_SCOPE. Input: u8 control, then the records of one frame. Bit 0: the frame
 * comes from the peer key (else from another key, which the prefixes may still name).
 * Each record is read as the node reads it (a record that does not read ends the frame),
 * rebuilt, checked and ingested. Invariants: a record that reads is written back to the
 * same bytes; a rebuilt envelope always takes its id apart, is a DELIVERED receipt of the
 * stored warning and fails validation only on its signature or its region's shape; the
 * ingest stores it as new exactly when validation passes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "node.h"

static uint8_t	 wid[FC_IDBYTES];
static uint8_t	*wenv;
static size_t	 wlen;
static struct fc_trust *trust;

static void
fixture(struct store *st)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Cert c = FENGHUO__CERT__INIT;
	Fenghuo__Role role = FENGHUO__ROLE__NODE;
	struct ingest_put put;
	uint8_t cid[FC_IDBYTES], anchor[1][FC_PUBLICKEYBYTES];

	if (wenv == NULL) {
		FUZZ_CHECK(fuzz_warning(&wenv, &wlen, wid) == 0);
		memcpy(anchor[0], fc_key_public(fuzz_trust_key(0)), FC_PUBLICKEYBYTES);
		FUZZ_CHECK((trust = fc_trust_new((const uint8_t (*)[FC_PUBLICKEYBYTES])anchor,
		    1)) != NULL);
		c.has_subject = c.has_not_after_ms = 1;
		c.subject.data = (uint8_t *)(uintptr_t)fc_key_public(fuzz_peer_key());
		c.subject.len = FC_PUBLICKEYBYTES;
		c.n_roles = 1;
		c.roles = &role;
		c.scope = (char *)(uintptr_t)FUZZ_CRECEIPT_SCOPE;
		c.not_after_ms = FUZZ_NOW_MS + 24ULL * 3600 * 1000;
		b.has_kind = b.has_author = b.has_created_ms = 1;
		b.kind = FENGHUO__KIND__CERT;
		b.author.data = (uint8_t *)(uintptr_t)fc_key_public(fuzz_trust_key(0));
		b.author.len = FC_PUBLICKEYBYTES;
		b.created_ms = FUZZ_NOW_MS - 3600 * 1000;
		b.cert = &c;
		memset(cid, 0xce, sizeof(cid));
		FUZZ_CHECK(fc_trust_add_body(trust, cid, &b) == 0);
	}
	/* The store is made anew now and then (fuzz_store_grew): the warning goes back in. */
	if (store_has(st, wid) != 1) {
		memset(&put, 0, sizeof(put));
		put.env = wenv;
		put.len = wlen;
		FUZZ_CHECK(ingest_put_open(st, &put, 1, FUZZ_NOW_MS) == 0);
		FUZZ_CHECK(put.status == INGEST_NEW);
		fuzz_store_grew(1);
	}
}

/* One rebuilt envelope: checked, then through the ingest as from sender. */
static void
ingest_one(struct store *st, const uint8_t *env, size_t len, const uint8_t *sender,
    uint32_t hops)
{
	const uint8_t *body, *sig;
	size_t bodylen, siglen;
	struct ingest_put put;
	struct fc_msg m;
	int reason;

	FUZZ_CHECK(fc_envelope_split(env, len, &body, &bodylen, &sig, &siglen) == 0);
	reason = fc_validate(env, len, FUZZ_NOW_MS, FUZZ_NOW_MS, &m);
	FUZZ_CHECK(reason == FC_R_OK || reason == FC_R_BAD_SIG || reason == FC_R_REGION);
	if (reason == FC_R_OK) {
		FUZZ_CHECK(m.body->kind == FENGHUO__KIND__RECEIPT && m.body->n_refs == 1);
		FUZZ_CHECK(memcmp(m.body->refs[0].data, wid, FC_IDBYTES) == 0);
		FUZZ_CHECK(m.body->receipt->stage == FENGHUO__STAGE__DELIVERED);
		fc_msg_clear(&m);
	}
	memset(&put, 0, sizeof(put));
	put.env = env;
	put.len = len;
	put.from = sender;
	put.hops = hops;
	FUZZ_CHECK(ingest_put_open(st, &put, 1, FUZZ_NOW_MS) == 0);
	/* (A duplicate is not verified: the same body may have come with its real signature.) */
	FUZZ_CHECK(put.status == INGEST_DUP ||
	    (put.status == INGEST_NEW) == (reason == FC_R_OK));
	if (put.status == INGEST_NEW)
		fuzz_store_grew(1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t keys[2][FC_PUBLICKEYBYTES], rec[WIRE_CR_MAX], *env;
	struct store *st = fuzz_store();
	const struct fc_trust *t;
	const uint8_t *sender;
	struct wire_creceipt r;
	size_t off, used, envlen;
	const char *why;
	uint32_t hops;
	int rc;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	fixture(st);
	sender = fc_key_public((data[0] & 1) ? fuzz_peer_key() : fuzz_trust_key(1));
	t = (data[0] & 2) ? trust : NULL;
	memcpy(keys[0], fc_key_public(fuzz_peer_key()), FC_PUBLICKEYBYTES);
	memcpy(keys[1], fc_key_public(fuzz_trust_key(2)), FC_PUBLICKEYBYTES);
	for (off = 1; off < size; off += used) {
		if (wire_creceipt_parse(data + off, size - off, &r, &used) != 0)
			break;
		FUZZ_CHECK(used >= WIRE_CR_MIN && used <= WIRE_CR_MAX && used <= size - off);
		FUZZ_CHECK(wire_creceipt_write(&r, rec) == used);
		FUZZ_CHECK(memcmp(rec, data + off, used) == 0);
		rc = creceipt_expand(st, t, fc_key_public(fuzz_key()), sender,
		    (const uint8_t (*)[FC_PUBLICKEYBYTES])keys, 2, &r, &env, &envlen, &hops,
		    &why);
		if (rc != 0) {
			FUZZ_CHECK(env == NULL && why != NULL);
			FUZZ_CHECK(rc == -1 || rc == CRECEIPT_LATER);
			continue;
		}
		FUZZ_CHECK(env != NULL && hops >= 1);
		ingest_one(st, env, envlen, sender, hops);
		free(env);
	}
	return 0;
}
