/*
 * fuzz_store.c: store ingest of hostile envelopes (store_put_batch), as the daemon's group
 * commit and the bundle importer do it.
 *
 * The input is a batch of records, each
 *   u8 control | u16 BE length | length bytes (fewer if the input ends)
 * control bit 0: the bytes are a Body, sealed here by the fuzz key (fuzz_seal_body), so
 *                mutations reach storage and the indexes, not just the signature check;
 *                clear: the bytes are an Envelope, stored as they are;
 * control bit 1: "from a peer" (the fixed peer key), else local;
 * control bits 4-7: hops.
 * At most FUZZ_BATCH_MAX records make one batch, written with one ingest_put_open() into the
 * process's persistent store (fuzz_store()). Then the target checks what a caller relies
 * on: the call succeeds, every item has a status, a NEW message reads back byte for byte
 * with its seen record and validates again, a rejected one was not stored, and the refs
 * index of a new message can be walked.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define FUZZ_BATCH_MAX	64

struct refs_walk {
	size_t	n;
};

static int
refs_cb(void *arg, const struct store_view *v)
{
	struct refs_walk *w = arg;

	FUZZ_CHECK(v->id != NULL && v->env != NULL && v->len > 0 && v->seen != NULL);
	/* A bounded walk: a message may be referred to by many. */
	return ++w->n >= 16;
}

static void
check_new(struct store *st, const struct ingest_put *p)
{
	struct store_msg sm;
	struct fc_msg m;
	struct refs_walk w = { 0 };
	int rc;

	FUZZ_CHECK(store_has(st, p->id) == 1);
	memset(&sm, 0, sizeof(sm));
	FUZZ_CHECK(store_get(st, p->id, &sm) == 0);
	FUZZ_CHECK(memcmp(sm.id, p->id, FC_IDBYTES) == 0);
	FUZZ_CHECK(sm.len == p->len && memcmp(sm.env, p->env, p->len) == 0);
	FUZZ_CHECK(sm.seen.first_seen_ms == FUZZ_NOW_MS);
	FUZZ_CHECK(sm.seen.hops == p->hops);
	FUZZ_CHECK(sm.seen.has_from == (p->from != NULL));
	if (p->from != NULL)
		FUZZ_CHECK(memcmp(sm.seen.from, p->from, FC_PUBLICKEYBYTES) == 0);
	FUZZ_CHECK(sm.seen.kind == p->kind && sm.seen.flags == p->flags);
	/* What was stored validates again, as the CLI re-validates what it reads back. */
	rc = fc_validate(sm.env, sm.len, FUZZ_NOW_MS, sm.seen.first_seen_ms, &m);
	FUZZ_CHECK(rc == FC_R_OK);
	FUZZ_CHECK(m.flags == p->flags);
	fc_msg_clear(&m);
	store_msg_clear(&sm);
	rc = store_iter_refs(st, p->id, refs_cb, &w);
	FUZZ_CHECK(rc == 0 || rc == 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_put items[FUZZ_BATCH_MAX];
	uint8_t *sealed[FUZZ_BATCH_MAX];
	struct store *st;
	size_t n = 0, off = 0, len, i, j, added = 0;
	uint8_t control;
	int rc, stored;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	st = fuzz_store();
	memset(items, 0, sizeof(items));
	memset(sealed, 0, sizeof(sealed));
	while (n < FUZZ_BATCH_MAX && size - off >= 3) {
		control = data[off];
		len = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		items[n].env = data + off;
		items[n].len = len;
		if (control & 0x1) {
			/* A body too big to seal is skipped; anything else goes in as it is. */
			if (fuzz_seal_body(data + off, len, &sealed[n], &items[n].len) != 0) {
				off += len;
				continue;
			}
			items[n].env = sealed[n];
		}
		items[n].from = (control & 0x2) ? fc_key_public(fuzz_peer_key()) : NULL;
		items[n].hops = control >> 4;
		off += len;
		n++;
	}

	rc = ingest_put_open(st, items, n, FUZZ_NOW_MS);
	FUZZ_CHECK(rc == 0);
	for (i = 0; i < n; i++) {
		switch (items[i].status) {
		case INGEST_NEW:
			FUZZ_CHECK(items[i].reason == FC_R_OK);
			check_new(st, &items[i]);
			added++;
			break;
		case INGEST_DUP:
			FUZZ_CHECK(store_has(st, items[i].id) == 1);
			break;
		case INGEST_REJECTED:
			FUZZ_CHECK(items[i].reason > FC_R_OK && items[i].reason < FC_R_MAX);
			if (items[i].reason == FC_R_DECODE || items[i].reason == FC_R_TOO_BIG)
				break;
			/* Not stored, unless another item of the batch with its id was. */
			stored = 0;
			for (j = 0; j < n; j++)
				if (items[j].status == INGEST_NEW &&
				    memcmp(items[j].id, items[i].id, FC_IDBYTES) == 0)
					stored = 1;
			FUZZ_CHECK(store_has(st, items[i].id) == stored);
			break;
		default:
			FUZZ_CHECK(!"item without a status");
		}
	}
	for (i = 0; i < n; i++)
		free(sealed[i]);
	fuzz_store_grew(added);
	return 0;
}
