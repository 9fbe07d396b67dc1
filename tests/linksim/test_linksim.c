/*
 * test_linksim.c: the core of fenghuo-linksim (linksim/core.c) on a simulated clock: the bit
 * rate bounds what a direction carries in a window, latency delays, loss, corruption and bit
 * errors come out near their rates with a fixed seed (and the same seed gives the same run),
 * outages lose what is sent or due while down and are counted to the nanosecond, and the
 * queue is bounded. No wall clock, so the outcomes do not depend on the machine's load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "linksim.h"

#define MS	1000000LL

static struct lsim_params
params(void)
{
	struct lsim_params p;

	memset(&p, 0, sizeof(p));
	p.byte_bits = 8;
	p.queue_max = 100000;
	p.queue_bytes_max = 64 << 20;
	return p;
}

/* Releases everything due at now; returns the bytes handed on. */
static uint64_t
drain(struct lsim_dir *d, int64_t now, int down)
{
	struct lsim_item	*it;
	uint64_t		 n = 0;

	while ((it = lsim_dir_release(d, now, down)) != NULL) {
		n += it->len - it->off;
		lsim_dir_sent(d, it->len - it->off);
	}
	return n;
}

/* 9,600 bit/s: a backlog offered at once comes out at the rate, never faster. */
static void
test_rate_bounds_a_window(void **state)
{
	struct lsim_params	 p = params();
	struct lsim_dir		 d;
	uint8_t			 buf[120];
	uint64_t		 got = 0;
	int64_t			 t;
	int			 i;

	(void)state;
	p.rate = 9600;
	lsim_dir_init(&d, &p, 1);
	memset(buf, 0x55, sizeof(buf));
	for (i = 0; i < 500; i++)	/* 60,000 bytes: 50 s of air */
		assert_int_equal(lsim_dir_offer(&d, 0, buf, sizeof(buf), 0, 0), LSIM_QUEUED);
	/* In every 10 ms step of 60 s the bytes out never exceed rate x time. */
	for (t = 0; t <= 60000 * MS; t += 10 * MS) {
		got += drain(&d, t, 0);
		assert_true(got * 8 * 1000 <= (uint64_t)(t / MS) * 9600 + 0);
		if (t == 10000 * MS) {	/* 12,000 bytes fit in 10 s: 100 datagrams exactly */
			assert_int_equal(got, 12000);
		}
	}
	assert_int_equal(got, 60000);
	assert_int_equal(d.c.units_out, 500);
	assert_int_equal(d.c.air_ns, 50000 * MS);
	lsim_dir_clear(&d);
}

/* Serial 8N1: 10 air bits per byte, so 960 bytes a second at 9,600 bit/s. */
static void
test_rate_serial_bits(void **state)
{
	struct lsim_params	 p = params();
	struct lsim_dir		 d;
	uint8_t			 buf[96];
	uint64_t		 got;
	int			 i;

	(void)state;
	p.rate = 9600;
	p.byte_bits = 10;
	lsim_dir_init(&d, &p, 1);
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < 20; i++)
		lsim_dir_offer(&d, 0, buf, sizeof(buf), 0, 0);
	got = drain(&d, 1000 * MS, 0);
	assert_int_equal(got, 960);
	lsim_dir_clear(&d);
}

/* A unit sent when the air is idle arrives after its air time plus the latency. */
static void
test_latency(void **state)
{
	struct lsim_params	 p = params();
	struct lsim_dir		 d;
	uint8_t			 buf[100];

	(void)state;
	p.rate = 8000;	/* 100 bytes: 100 ms */
	p.latency_ns = 250 * MS;
	lsim_dir_init(&d, &p, 1);
	memset(buf, 0, sizeof(buf));
	lsim_dir_offer(&d, 5000 * MS, buf, sizeof(buf), 0, 0);
	assert_int_equal(lsim_dir_next_due(&d), 5350 * MS);
	assert_int_equal(drain(&d, 5349 * MS, 0), 0);
	assert_int_equal(drain(&d, 5350 * MS, 0), 100);
	assert_int_equal(lsim_dir_next_due(&d), LSIM_NEVER);
	/* Unpaced and no latency: due at once. */
	p.rate = 0;
	p.latency_ns = 0;
	lsim_dir_offer(&d, 6000 * MS, buf, sizeof(buf), 0, 0);
	assert_int_equal(drain(&d, 6000 * MS, 0), 100);
	lsim_dir_clear(&d);
}

/* Runs n units of len bytes through a direction with p and seed; fills c. */
static void
run_units(const struct lsim_params *p, uint64_t seed, int n, size_t len,
    struct lsim_counters *c)
{
	struct lsim_dir	 d;
	uint8_t		 buf[256];
	int		 i;

	lsim_dir_init(&d, p, seed);
	memset(buf, 0xa5, sizeof(buf));
	for (i = 0; i < n; i++) {
		lsim_dir_offer(&d, i * MS, buf, len, 0, 0);
		drain(&d, i * MS, 0);
	}
	drain(&d, LSIM_NEVER - 1, 0);
	*c = d.c;
	lsim_dir_clear(&d);
}

/* 10 % loss over 10,000 datagrams: 8 to 12 % dropped; the rest carried; reproducible. */
static void
test_loss_near_rate(void **state)
{
	struct lsim_params	 p = params();
	struct lsim_counters	 c, c2;

	(void)state;
	p.loss = 0.1;
	run_units(&p, 7, 10000, 100, &c);
	assert_true(c.dropped >= 800 && c.dropped <= 1200);
	assert_int_equal(c.dropped + c.units_out, 10000);
	assert_int_equal(c.bytes_out, c.units_out * 100);
	run_units(&p, 7, 10000, 100, &c2);
	assert_int_equal(c2.dropped, c.dropped);
}

/* --corrupt: one bit per hit unit; --ber: about len x 8 x ber bits, spread over units. */
static void
test_corrupt_and_ber(void **state)
{
	struct lsim_params	 p = params();
	struct lsim_counters	 c;

	(void)state;
	p.corrupt = 0.2;
	run_units(&p, 3, 5000, 100, &c);
	assert_true(c.corrupted >= 800 && c.corrupted <= 1200);
	assert_int_equal(c.flipped_bits, c.corrupted);
	assert_int_equal(c.units_out, 5000);

	p.corrupt = 0;
	p.ber = 1e-4;	/* 4,000,000 bits: 400 expected */
	run_units(&p, 3, 5000, 100, &c);
	assert_true(c.flipped_bits >= 320 && c.flipped_bits <= 480);
	assert_true(c.corrupted <= c.flipped_bits && c.corrupted >= 300);
}

/* The bytes really are flipped: a unit that is counted corrupted differs from what went in. */
static void
test_damage_is_real(void **state)
{
	struct lsim_params	 p = params();
	struct lsim_dir		 d;
	struct lsim_item	*it;
	uint8_t			 buf[64];
	int			 i, k, diff;

	(void)state;
	p.corrupt = 1;
	lsim_dir_init(&d, &p, 11);
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < 50; i++) {
		lsim_dir_offer(&d, 0, buf, sizeof(buf), 0, 0);
		it = lsim_dir_release(&d, 0, 0);
		assert_non_null(it);
		for (diff = 0, k = 0; k < (int)sizeof(buf); k++)
			diff += __builtin_popcount(it->data[k]);
		assert_int_equal(diff, 1);
		lsim_dir_sent(&d, it->len);
	}
	/* Clean: no damage at all, however likely. */
	p.loss = 1;
	assert_int_equal(lsim_dir_offer(&d, 0, buf, sizeof(buf), 0, 1), LSIM_QUEUED);
	it = lsim_dir_release(&d, 0, 0);
	assert_non_null(it);
	assert_memory_equal(it->data, buf, sizeof(buf));
	lsim_dir_sent(&d, it->len);
	lsim_dir_clear(&d);
}

/* Noise: garbage in front of a chunk, counted; the chunk itself follows intact. */
static void
test_noise(void **state)
{
	struct lsim_params	 p = params();
	struct lsim_dir		 d;
	struct lsim_item	*it;
	uint8_t			 buf[10] = "0123456789";

	(void)state;
	p.noise = 1;
	lsim_dir_init(&d, &p, 5);
	lsim_dir_offer(&d, 0, buf, sizeof(buf), 0, 0);
	it = lsim_dir_release(&d, 0, 0);
	assert_non_null(it);
	assert_true(it->len > sizeof(buf) && it->len <= sizeof(buf) + 40);
	assert_memory_equal(it->data + it->len - sizeof(buf), buf, sizeof(buf));
	assert_int_equal(d.c.noise_bursts, 1);
	assert_int_equal(d.c.noise_bytes, it->len - sizeof(buf));
	lsim_dir_sent(&d, it->len);
	lsim_dir_clear(&d);
}

static void
test_sched_parse(void **state)
{
	struct lsim_sched	 s;
	char			 err[256];

	(void)state;
	assert_int_equal(lsim_sched_parse("120+60,30+20", &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.o[0].start_ns, 30 * 1000 * MS);	/* sorted */
	assert_int_equal(s.o[0].len_ns, 20 * 1000 * MS);
	assert_int_equal(s.o[1].start_ns, 120 * 1000 * MS);
	assert_int_equal(lsim_sched_parse("0.5+1.25", &s, err, sizeof(err)), 0);
	assert_int_equal(s.o[0].start_ns, 500 * MS);
	assert_int_equal(s.o[0].len_ns, 1250 * MS);
	assert_int_equal(lsim_sched_parse("", &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(lsim_sched_parse("30", &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "START+SECONDS"));
	assert_int_equal(lsim_sched_parse("30+", &s, err, sizeof(err)), -1);
	assert_int_equal(lsim_sched_parse("30+20,", &s, err, sizeof(err)), -1);
	assert_int_equal(lsim_sched_parse("-1+5", &s, err, sizeof(err)), -1);
	assert_int_equal(lsim_sched_parse("5+0", &s, err, sizeof(err)), -1);
	assert_int_equal(lsim_sched_parse("5+2x", &s, err, sizeof(err)), -1);
	assert_int_equal(lsim_sched_parse("1+1;2+2", &s, err, sizeof(err)), -1);
}

static void
test_sched_down(void **state)
{
	struct lsim_sched	 s;
	char			 err[256];
	const int64_t		 S = 1000 * MS;

	(void)state;
	assert_int_equal(lsim_sched_parse("30+20,120+60,130+70", &s, err, sizeof(err)), 0);
	assert_false(lsim_sched_down(&s, 30 * S - 1));
	assert_true(lsim_sched_down(&s, 30 * S));
	assert_true(lsim_sched_down(&s, 50 * S - 1));
	assert_false(lsim_sched_down(&s, 50 * S));
	assert_true(lsim_sched_down(&s, 190 * S));	/* the overlapping one */
	assert_false(lsim_sched_down(&s, 200 * S));
	/* Overlaps count once: 20 + (200 - 120). */
	assert_int_equal(lsim_sched_down_ns(&s, 0, 1000 * S), 100 * S);
	assert_int_equal(lsim_sched_down_ns(&s, 40 * S, 125 * S), 15 * S);
	assert_int_equal(lsim_sched_next_change(&s, 0), 30 * S);
	assert_int_equal(lsim_sched_next_change(&s, 30 * S), 50 * S);
	assert_int_equal(lsim_sched_next_change(&s, 190 * S), 200 * S);
	assert_int_equal(lsim_sched_next_change(&s, 200 * S), LSIM_NEVER);
}

/*
 * An outage in a paced run: what is sent while down is lost, what was on its way when the
 * outage began is lost when it falls due, and the rest arrives; time down is exact.
 */
static void
test_outage_run(void **state)
{
	struct lsim_params	 p = params();
	struct lsim_sched	 s;
	struct lsim_dir		 d;
	char			 err[256];
	uint8_t			 buf[100];
	int64_t			 t, down_ns = 0, last = 0;
	int			 down = 0;

	(void)state;
	p.rate = 16000;	/* 100 bytes: 50 ms of air */
	assert_int_equal(lsim_sched_parse("2+3", &s, err, sizeof(err)), 0);
	lsim_dir_init(&d, &p, 1);
	memset(buf, 0, sizeof(buf));
	/* 10 units a second for 10 s (half the air), the link down from 2 s to 5 s. */
	/* As fenghuo-linksim's loop does: what fell due since the last pass is judged by the state
	 * then, what is offered now by the state now. */
	for (t = 0; t < 10000 * MS; t += 100 * MS) {
		drain(&d, t, down);
		down = lsim_sched_down(&s, t);
		down_ns += lsim_sched_down_ns(&s, last, t);
		last = t;
		lsim_dir_offer(&d, t, buf, sizeof(buf), down, 0);
	}
	drain(&d, 20000 * MS, 0);
	assert_int_equal(d.c.units_in, 100);
	assert_int_equal(d.c.lost_down, 30);	/* offered at 2.0 .. 4.9 s */
	assert_int_equal(d.c.units_out, 70);
	assert_int_equal(down_ns + lsim_sched_down_ns(&s, last, 20000 * MS), 3000 * MS);

	/* A backlog on the air when the outage begins: the part due while down is lost. */
	lsim_dir_init(&d, &p, 1);
	for (t = 0; t < 40; t++)	/* 2 s of air, offered at 1.9 s */
		lsim_dir_offer(&d, 1900 * MS, buf, sizeof(buf), 0, 0);
	assert_int_equal(drain(&d, 1999 * MS, 0), 100);	/* 1.95 s: one arrived */
	assert_int_equal(drain(&d, 4000 * MS, 1), 0);
	assert_int_equal(d.c.lost_down, 39);
	assert_int_equal(lsim_dir_next_due(&d), LSIM_NEVER);
}

/* The queue is bounded: beyond queue_max units the offer fails as overflow. */
static void
test_queue_bound(void **state)
{
	struct lsim_params	 p = params();
	struct lsim_dir		 d;
	uint8_t			 buf[10];
	int			 i, over = 0;

	(void)state;
	p.rate = 100;
	p.queue_max = 50;
	lsim_dir_init(&d, &p, 1);
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < 80; i++)
		over += lsim_dir_offer(&d, 0, buf, sizeof(buf), 0, 0) == LSIM_OVERFLOW;
	assert_int_equal(over, 30);
	assert_int_equal(d.c.overflow, 30);
	assert_int_equal(d.queued, 50);
	lsim_dir_clear(&d);
	assert_int_equal(d.queued, 0);
}

/* A partial write (a pty that took some bytes) keeps the rest at the head. */
static void
test_partial_send(void **state)
{
	struct lsim_params	 p = params();
	struct lsim_dir		 d;
	struct lsim_item	*it;
	uint8_t			 buf[100];

	(void)state;
	lsim_dir_init(&d, &p, 1);
	memset(buf, 0, sizeof(buf));
	lsim_dir_offer(&d, 0, buf, sizeof(buf), 0, 0);
	it = lsim_dir_release(&d, 0, 0);
	lsim_dir_sent(&d, 30);
	assert_ptr_equal(lsim_dir_release(&d, 0, 1), it);	/* begun: not lost to an outage */
	assert_int_equal(it->off, 30);
	lsim_dir_sent(&d, 70);
	assert_int_equal(d.c.units_out, 1);
	assert_int_equal(d.c.bytes_out, 100);
	assert_null(lsim_dir_release(&d, 0, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_bounds_a_window),
		cmocka_unit_test(test_rate_serial_bits),
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_loss_near_rate),
		cmocka_unit_test(test_corrupt_and_ber),
		cmocka_unit_test(test_damage_is_real),
		cmocka_unit_test(test_noise),
		cmocka_unit_test(test_sched_parse),
		cmocka_unit_test(test_sched_down),
		cmocka_unit_test(test_outage_run),
		cmocka_unit_test(test_queue_bound),
		cmocka_unit_test(test_partial_send),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
