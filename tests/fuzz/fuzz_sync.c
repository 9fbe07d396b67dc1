/*
 * fuzz_sync.c: the reconciliation handler, sync_handle() (node/sync.c), against a hostile
 * peer's Sync payloads.
 *
 * The input is one byte choosing max_frame (0 = the default, 1024, 4096, 65536, or 512,
 * which must be refused), then a serialized Fenghuo__Sync as it arrives inside
 * Frame{sync}. The store answering it holds FUZZ_SYNC_MSGS reports (fuzz_fill_reports 0..),
 * enough for ranges to be split; the seed corpus holds the payloads of real rounds against
 * a store that differs from it (make_corpus.c). The target checks what the daemon relies
 * on: an error leaves nothing to free, a reply fits max_frame, every id to give is stored,
 * and a reply parses when it comes back (our own encoding is always well-formed).
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "sync.h"

#define FUZZ_SYNC_MSGS	600

static const size_t frames[] = { 0, 1024, 4096, 65536, 512 };

static struct store *
sync_store(void)
{
	static int filled;
	struct store *st = fuzz_store();

	if (!filled) {
		FUZZ_CHECK(fuzz_fill_reports(st, 0, FUZZ_SYNC_MSGS) == 0);
		filled = 1;
	}
	return st;
}

static void
check_result(struct store *st, size_t max_frame, int rc, const struct sync_result *res)
{
	size_t i;

	if (rc != 0) {
		FUZZ_CHECK(res->reply == NULL && res->replylen == 0);
		FUZZ_CHECK(res->need == NULL && res->nneed == 0);
		FUZZ_CHECK(res->give == NULL && res->ngive == 0);
		return;
	}
	FUZZ_CHECK((res->reply == NULL) == (res->replylen == 0));
	FUZZ_CHECK(res->replylen <= (max_frame ? max_frame : WIRE_FRAME_MAX));
	FUZZ_CHECK(res->ngive == 0 || res->give != NULL);
	FUZZ_CHECK(res->nneed == 0 || res->need != NULL);
	for (i = 0; i < res->ngive; i++)
		FUZZ_CHECK(store_has(st, res->give[i]) == 1);
	for (i = 0; i < res->nneed; i++)
		FUZZ_CHECK(store_has(st, res->need[i]) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sync_result res, back;
	struct store *st;
	size_t max_frame;
	int rc;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	st = sync_store();
	max_frame = frames[data[0] % (sizeof(frames) / sizeof(frames[0]))];
	rc = sync_handle(st, max_frame, data + 1, size - 1, &res);
	if (max_frame != 0 && max_frame < 1024)
		FUZZ_CHECK(rc == EINVAL);
	check_result(st, max_frame, rc, &res);
	if (rc == 0 && res.reply != NULL) {
		/* The peer's view of our reply: it must at least decode. */
		rc = sync_handle(st, max_frame, res.reply, res.replylen, &back);
		FUZZ_CHECK(rc != EBADMSG && rc != EINVAL);
		check_result(st, max_frame, rc, &back);
		sync_result_clear(&back);
	}
	sync_result_clear(&res);
	return 0;
}
