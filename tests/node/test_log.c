/*
 * test_log.c: the rate limit of repeated log lines (log_limit_ok() in node/log.c), on a
 * simulated millisecond clock: every time below is a number the test chooses.
 *
 * What the daemon depends on: the first event is always logged; after that, at most one
 * line per LOG_LIMIT_MS, exactly when that much time has passed; the events left out in
 * between are counted and reported with the next line, and the count starts again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "node.h"

static void
test_first_then_once_per_interval(void **state)
{
	struct log_limit l;
	uint64_t t = 5000, missed = 99;
	int i;

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_true(log_limit_ok(&l, t, &missed));
	assert_int_equal(missed, 0);
	/* Within the interval: left out and counted, *suppressed untouched. */
	for (i = 0; i < 3; i++)
		assert_false(log_limit_ok(&l, t + (uint64_t)i * 1000, &missed));
	assert_false(log_limit_ok(&l, t + LOG_LIMIT_MS - 1, &missed));
	assert_int_equal(missed, 0);
	assert_int_equal(l.suppressed, 4);
	/* Exactly one interval later: logged, with the four left out since. */
	assert_true(log_limit_ok(&l, t + LOG_LIMIT_MS, &missed));
	assert_int_equal(missed, 4);
	assert_int_equal(l.suppressed, 0);
	/* The interval runs from that line, not from the first. */
	assert_false(log_limit_ok(&l, t + 2 * LOG_LIMIT_MS - 1, NULL));
	assert_true(log_limit_ok(&l, t + 2 * LOG_LIMIT_MS, &missed));
	assert_int_equal(missed, 1);
}

static void
test_quiet_then_again(void **state)
{
	struct log_limit l;
	uint64_t missed = 99;

	(void)state;
	memset(&l, 0, sizeof(l));
	/* Without an output the count still starts again after a line. */
	assert_true(log_limit_ok(&l, 1, NULL));
	assert_false(log_limit_ok(&l, 2, NULL));
	assert_true(log_limit_ok(&l, 1 + LOG_LIMIT_MS, NULL));
	assert_int_equal(l.suppressed, 0);
	/* A long silence: the next event is logged at once, with nothing left out. */
	assert_true(log_limit_ok(&l, 100 * LOG_LIMIT_MS, &missed));
	assert_int_equal(missed, 0);
	/* Separate limits do not share their interval. */
	{
		struct log_limit other;

		memset(&other, 0, sizeof(other));
		assert_false(log_limit_ok(&l, 100 * LOG_LIMIT_MS + 1, NULL));
		assert_true(log_limit_ok(&other, 100 * LOG_LIMIT_MS + 1, NULL));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_then_once_per_interval),
		cmocka_unit_test(test_quiet_then_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
