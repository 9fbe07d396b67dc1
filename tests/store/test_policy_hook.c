/*
 * test_policy_hook.c: store_set_policy(), the hook fenghuod's trust policy runs in.
 *
 * The hook is judged by what a caller depends on: its verdicts become the item statuses
 * (STORE_REJECTED with FC_R_POLICY, STORE_HELD), nothing of a refused message is written,
 * each new message is verified exactly once per batch with the hook in place (duplicates not
 * at all), and what the hook records for one item counts for the later items of the batch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store.h"
#include "helper.h"

struct hook {
	int		 calls;
	int		 key_seen;	/* a "key" message was accepted earlier */
	const uint8_t	*last_env;	/* the item's env as the hook saw it */
};

/* Verdict by title: "reject", "hold", "needs-key" (accepted once "key" was), else accept. */
static int
hook_fn(void *arg, const struct store_put *item, const struct fc_msg *msg, uint64_t now_ms,
    int *reason)
{
	struct hook *h = arg;
	const char *t = msg->body->title;

	(void)now_ms;
	h->calls++;
	h->last_env = item->env;
	if (strcmp(t, "reject") == 0) {
		*reason = 2;
		return STORE_POLICY_REJECT;
	}
	if (strcmp(t, "hold") == 0) {
		*reason = 1;
		return STORE_POLICY_HOLD;
	}
	if (strcmp(t, "needs-key") == 0 && !h->key_seen) {
		*reason = 1;
		return STORE_POLICY_HOLD;
	}
	if (strcmp(t, "key") == 0)
		h->key_seen = 1;
	return STORE_POLICY_ACCEPT;
}

struct env {
	char		*dir;
	struct store	*st;
	struct fc_key	*key;
	struct hook	 h;
};

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	assert_non_null(e->dir = th_tmpdir());
	assert_int_equal(store_open(e->dir, 0, &e->st), 0);
	assert_int_equal(fc_key_generate(&e->key), 0);
	store_set_policy(e->st, hook_fn, &e->h);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	store_close(&e->st);
	fc_key_free(&e->key);
	th_rmdir(e->dir);
	free(e);
	return 0;
}

static void
put(struct env *e, struct th_msg *m, size_t n, struct store_put *sp)
{
	size_t i;

	memset(sp, 0, n * sizeof(*sp));
	for (i = 0; i < n; i++) {
		sp[i].env = m[i].env;
		sp[i].len = m[i].len;
	}
	assert_int_equal(store_put_batch(e->st, sp, n, 1700000000000ULL), 0);
}

/* Verdicts become statuses; refused messages are not written; one verification each. */
static void
test_verdicts(void **state)
{
	struct env *e = *state;
	struct th_msg m[3], batch[5];
	struct store_put sp[5];
	uint64_t v0;
	int i;

	assert_int_equal(th_report(e->key, 1700000000000ULL, "accept", "a", &m[0]), 0);
	assert_int_equal(th_report(e->key, 1700000000001ULL, "reject", "r", &m[1]), 0);
	assert_int_equal(th_report(e->key, 1700000000002ULL, "hold", "h", &m[2]), 0);
	batch[0] = m[0];
	batch[1] = m[1];
	batch[2] = m[2];
	batch[3] = m[0];	/* an in-batch duplicate */
	batch[4] = m[1];	/* a refused one again in the same batch */
	v0 = fc_verify_count();
	put(e, batch, 5, sp);
	assert_int_equal(sp[0].status, STORE_NEW);
	assert_int_equal(sp[1].status, STORE_REJECTED);
	assert_int_equal(sp[1].reason, FC_R_POLICY);
	assert_int_equal(sp[1].policy_reason, 2);
	assert_memory_equal(sp[1].id, m[1].id, FC_IDBYTES);
	assert_int_equal(sp[2].status, STORE_HELD);
	assert_int_equal(sp[2].policy_reason, 1);
	assert_memory_equal(sp[2].id, m[2].id, FC_IDBYTES);
	assert_int_equal(sp[3].status, STORE_DUP);
	/* Nothing of a refused message is stored, so it is judged again when it comes back. */
	assert_int_equal(sp[4].status, STORE_REJECTED);
	assert_int_equal(fc_verify_count() - v0, 4);
	assert_int_equal(e->h.calls, 4);
	assert_ptr_equal(e->h.last_env, m[1].env);

	assert_int_equal(store_has(e->st, m[0].id), 1);
	assert_int_equal(store_has(e->st, m[1].id), 0);
	assert_int_equal(store_has(e->st, m[2].id), 0);

	/* A stored duplicate costs no verification and no call. */
	v0 = fc_verify_count();
	put(e, m, 1, sp);
	assert_int_equal(sp[0].status, STORE_DUP);
	assert_int_equal(fc_verify_count(), v0);
	assert_int_equal(e->h.calls, 4);

	/* Without the hook every valid message is stored. */
	store_set_policy(e->st, NULL, NULL);
	put(e, &m[1], 2, sp);
	assert_int_equal(sp[0].status, STORE_NEW);
	assert_int_equal(sp[1].status, STORE_NEW);
	assert_int_equal(e->h.calls, 4);
	for (i = 0; i < 3; i++)
		th_msg_clear(&m[i]);
}

/* What the hook records for an item counts for the later items of the same batch. */
static void
test_in_batch(void **state)
{
	struct env *e = *state;
	struct th_msg m[2];
	struct store_put sp[2];

	assert_int_equal(th_report(e->key, 1700000000000ULL, "needs-key", "n", &m[0]), 0);
	assert_int_equal(th_report(e->key, 1700000000001ULL, "key", "k", &m[1]), 0);
	/* Before the key: held. */
	put(e, m, 1, sp);
	assert_int_equal(sp[0].status, STORE_HELD);
	/* Key first, then the message, in one batch: both stored. */
	{
		struct th_msg b[2] = { m[1], m[0] };

		put(e, b, 2, sp);
	}
	assert_int_equal(sp[0].status, STORE_NEW);
	assert_int_equal(sp[1].status, STORE_NEW);
	assert_int_equal(store_has(e->st, m[0].id), 1);
	th_msg_clear(&m[0]);
	th_msg_clear(&m[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_verdicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_batch, setup, teardown),
	};

	if (fc_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
