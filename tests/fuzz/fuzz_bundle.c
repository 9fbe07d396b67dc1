/*
 * fuzz_bundle.c: the bundle importer (`fenghuo import`, docs/BUNDLE.md).
 *
 * The input is a bundle file. It goes through the CLI's own reader, bundle_parse()
 * (tools/bundle.c, compiled into this target; the streaming bundle_read() over memory), and
 * every entry the reader hands out is copied and stored as cmd_import.c does it:
 * ingest_put_open() in batches, into the process's persistent store. The target checks the
 * reader's promises: each entry is within the envelope limit and is exactly the bytes that
 * follow its length field at the offset it reports, the count it reports is the number of
 * entries it handed out, the error offset lies inside the file, and the error has a
 * description.
 */
#include <string.h>

#include "fuzz.h"
#include "fenghuo.h"

#define IMPORT_BATCH	64

struct import {
	const uint8_t		*buf;
	size_t			 len;
	uint8_t			 copy[IMPORT_BATCH][WIRE_ENVELOPE_MAX];
	struct ingest_put	 batch[IMPORT_BATCH];
	size_t			 n;
	uint32_t		 entries;
	size_t			 added;
};

static void
flush(struct import *imp)
{
	size_t i;

	if (imp->n == 0)
		return;
	FUZZ_CHECK(ingest_put_open(fuzz_store(), imp->batch, imp->n, FUZZ_NOW_MS) == 0);
	for (i = 0; i < imp->n; i++) {
		FUZZ_CHECK(imp->batch[i].status == INGEST_NEW ||
		    imp->batch[i].status == INGEST_DUP || imp->batch[i].status == INGEST_REJECTED);
		if (imp->batch[i].status == INGEST_NEW)
			imp->added++;
	}
	imp->n = 0;
}

static int
entry(void *arg, const uint8_t *env, size_t len, size_t off)
{
	struct import *imp = arg;
	struct ingest_put *p;

	FUZZ_CHECK(len > 0 && len <= WIRE_ENVELOPE_MAX);
	FUZZ_CHECK(off <= imp->len && imp->len - off >= 4 && imp->len - off - 4 >= len);
	FUZZ_CHECK(memcmp(env, imp->buf + off + 4, len) == 0);
	imp->entries++;
	memcpy(imp->copy[imp->n], env, len);
	p = &imp->batch[imp->n];
	memset(p, 0, sizeof(*p));
	p->env = imp->copy[imp->n++];
	p->len = len;
	if (imp->n == IMPORT_BATCH)
		flush(imp);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct import imp;
	struct bundle_info info;
	int rc;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	(void)fuzz_store();
	imp.n = 0;	/* not a memset: copy[] is 4 MiB */
	imp.entries = 0;
	imp.added = 0;
	imp.buf = data;
	imp.len = size;
	rc = bundle_parse(data, size, entry, &imp, &info);
	FUZZ_CHECK(rc == 0);
	flush(&imp);
	FUZZ_CHECK(info.entries == imp.entries);
	FUZZ_CHECK(info.error >= BUNDLE_OK && info.error <= BUNDLE_E_TRAILING);
	FUZZ_CHECK(info.error_off <= size);
	FUZZ_CHECK(bundle_strerror(info.error) != NULL);
	if (info.error == BUNDLE_OK)
		FUZZ_CHECK(info.trailer_count == info.entries);
	fuzz_store_grew(imp.added);
	return 0;
}
