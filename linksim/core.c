/*
 * core.c: what fenghuo-linksim's link does to each unit it carries, with the clock passed in
 * (linksim.h). Each direction is a FIFO on the air: a unit occupies the air for its length
 * in bits at the bit rate, after the units before it, and arrives at the far end that long
 * plus the latency after it was offered (or after the air became free). Loss, single-bit
 * corruption and noise bursts are drawn per unit; bit errors are a bit-stream process (the
 * gap to the next flipped bit is drawn from the geometric distribution), so they hit long
 * units more often than short ones, as on a real channel.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linksim.h"

#define LSIM_NOISE_MAX	40	/* bytes in one burst of garbage */

void
lsim_rng_seed(struct lsim_rng *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t
lsim_rng_next(struct lsim_rng *r)
{
	uint64_t z;

	z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double
lsim_rng_unit(struct lsim_rng *r)
{
	return (double)(lsim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Parses a non-negative decimal number of seconds at *sp into ns; advances *sp. */
static int
lsim_parse_seconds(const char **sp, int64_t *ns)
{
	char	*end;
	double	 v;

	if (**sp < '0' || **sp > '9')
		return -1;
	v = strtod(*sp, &end);
	if (end == *sp || !(v >= 0) || v > 1e9)
		return -1;
	*sp = end;
	*ns = (int64_t)llround(v * (double)LSIM_NS);
	return 0;
}

static int
lsim_outage_cmp(const void *a, const void *b)
{
	const struct lsim_outage *x = a, *y = b;

	return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

int
lsim_sched_parse(const char *spec, struct lsim_sched *sched, char *err, size_t errlen)
{
	const char	*s = spec;
	int64_t		 start, len;

	sched->n = 0;
	while (*s != '\0') {
		if (lsim_parse_seconds(&s, &start) != 0 || *s++ != '+' ||
		    lsim_parse_seconds(&s, &len) != 0 || (*s != ',' && *s != '\0')) {
			snprintf(err, errlen, "outage schedule \"%s\": expected START+SECONDS"
			    "[,START+SECONDS...] in seconds, e.g. 30+20,120+60", spec);
			return -1;
		}
		if (len == 0) {
			snprintf(err, errlen, "outage schedule \"%s\": an outage of 0 s", spec);
			return -1;
		}
		if (sched->n == LSIM_OUTAGES_MAX) {
			snprintf(err, errlen, "outage schedule \"%s\": more than %d outages", spec,
			    LSIM_OUTAGES_MAX);
			return -1;
		}
		sched->o[sched->n].start_ns = start;
		sched->o[sched->n].len_ns = len;
		sched->n++;
		if (*s == ',')
			s++;
		else
			break;
		if (*s == '\0') {
			snprintf(err, errlen, "outage schedule \"%s\": ends with a comma", spec);
			return -1;
		}
	}
	qsort(sched->o, sched->n, sizeof(sched->o[0]), lsim_outage_cmp);
	return 0;
}

int
lsim_sched_down(const struct lsim_sched *sched, int64_t t)
{
	size_t i;

	for (i = 0; i < sched->n; i++)
		if (t >= sched->o[i].start_ns && t - sched->o[i].start_ns < sched->o[i].len_ns)
			return 1;
	return 0;
}

int64_t
lsim_sched_down_ns(const struct lsim_sched *sched, int64_t t0, int64_t t1)
{
	int64_t	 sum = 0, cur = t0, a, b;
	size_t	 i;

	/* Sorted by start: walk the union of the outages clipped to [t0, t1). */
	for (i = 0; i < sched->n && cur < t1; i++) {
		a = sched->o[i].start_ns;
		b = a + sched->o[i].len_ns;
		if (a < cur)
			a = cur;
		if (b > t1)
			b = t1;
		if (b > a) {
			sum += b - a;
			cur = b;
		}
	}
	return sum;
}

int64_t
lsim_sched_next_change(const struct lsim_sched *sched, int64_t t)
{
	int64_t	 best = LSIM_NEVER, e;
	size_t	 i;

	for (i = 0; i < sched->n; i++) {
		if (sched->o[i].start_ns > t && sched->o[i].start_ns < best)
			best = sched->o[i].start_ns;
		e = sched->o[i].start_ns + sched->o[i].len_ns;
		if (e > t && e < best)
			best = e;
	}
	return best;
}

void
lsim_dir_init(struct lsim_dir *d, const struct lsim_params *p, uint64_t seed)
{
	memset(d, 0, sizeof(*d));
	d->p = p;
	lsim_rng_seed(&d->rng, seed);
	d->bits_to_error = -1;
}

void
lsim_dir_clear(struct lsim_dir *d)
{
	struct lsim_item *it, *next;

	for (it = d->head; it != NULL; it = next) {
		next = it->next;
		free(it);
	}
	d->head = d->tail = NULL;
	d->queued = d->queued_bytes = 0;
}

/* Flips bits of buf by the bit error rate; returns how many. */
static uint64_t
lsim_bit_errors(struct lsim_dir *d, uint8_t *buf, size_t len)
{
	uint64_t	 flips = 0;
	int64_t		 bits = (int64_t)len * 8, pos = 0;
	double		 u;

	if (d->p->ber <= 0)
		return 0;
	for (;;) {
		if (d->bits_to_error < 0) {
			if (d->p->ber >= 1) {
				d->bits_to_error = 0;
			} else {
				u = lsim_rng_unit(&d->rng);
				u = floor(log1p(-u) / log1p(-d->p->ber));
				d->bits_to_error = u > 1e15 ? (int64_t)1e15 : (int64_t)u;
			}
		}
		if (pos + d->bits_to_error >= bits) {
			d->bits_to_error -= bits - pos;
			return flips;
		}
		pos += d->bits_to_error;
		buf[pos / 8] ^= (uint8_t)(1u << (pos % 8));
		flips++;
		pos++;
		d->bits_to_error = -1;
	}
}

enum lsim_fate
lsim_dir_offer(struct lsim_dir *d, int64_t now, const uint8_t *data, size_t len, int down,
    int clean)
{
	const struct lsim_params	*p = d->p;
	struct lsim_item		*it;
	size_t				 junk = 0, i;
	uint64_t			 flips = 0, bit;
	int64_t				 air, start;

	d->c.units_in++;
	d->c.bytes_in += len;
	if (down) {
		d->c.lost_down++;
		return LSIM_DOWN;
	}
	if (!clean && p->loss > 0 && lsim_rng_unit(&d->rng) < p->loss) {
		d->c.dropped++;
		return LSIM_DROPPED;
	}
	if (!clean && p->noise > 0 && lsim_rng_unit(&d->rng) < p->noise)
		junk = 1 + (size_t)(lsim_rng_next(&d->rng) % LSIM_NOISE_MAX);
	if (d->queued >= p->queue_max || d->queued_bytes + len + junk > p->queue_bytes_max) {
		d->c.overflow++;
		return LSIM_OVERFLOW;
	}
	if ((it = malloc(sizeof(*it) + junk + len)) == NULL)
		return LSIM_NOMEM;
	/* Line noise: garbage with stray bytes of a link frame's header among it. */
	for (i = 0; i < junk; i++) {
		static const uint8_t magic[] = { 0xf4, 0x48, 0x10 };
		uint64_t r = lsim_rng_next(&d->rng);

		it->data[i] = r % 4 < 3 ? magic[r % 4] : (uint8_t)(r >> 8);
	}
	if (len > 0)
		memcpy(it->data + junk, data, len);
	if (junk > 0) {
		d->c.noise_bursts++;
		d->c.noise_bytes += junk;
	}
	if (!clean && len > 0 && p->corrupt > 0 && lsim_rng_unit(&d->rng) < p->corrupt) {
		bit = lsim_rng_next(&d->rng) % ((uint64_t)len * 8);
		it->data[junk + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		flips++;
	}
	if (!clean)
		flips += lsim_bit_errors(d, it->data + junk, len);
	if (flips > 0) {
		d->c.corrupted++;
		d->c.flipped_bits += flips;
	}
	it->len = junk + len;
	it->off = 0;
	it->next = NULL;
	/* On the air after the units before it, for its own air time. */
	air = 0;
	if (p->rate > 0)
		air = (int64_t)(((uint64_t)it->len * p->byte_bits * LSIM_NS + p->rate - 1) /
		    p->rate);
	start = d->air_free_ns > now ? d->air_free_ns : now;
	d->air_free_ns = start + air;
	d->c.air_ns += air;
	it->due_ns = d->air_free_ns + p->latency_ns;
	if (d->tail != NULL)
		d->tail->next = it;
	else
		d->head = it;
	d->tail = it;
	d->queued++;
	d->queued_bytes += it->len;
	return LSIM_QUEUED;
}

/* Unlinks and frees the head. */
static void
lsim_dir_pop(struct lsim_dir *d)
{
	struct lsim_item *it = d->head;

	d->head = it->next;
	if (d->head == NULL)
		d->tail = NULL;
	d->queued--;
	d->queued_bytes -= it->len;
	free(it);
}

struct lsim_item *
lsim_dir_release(struct lsim_dir *d, int64_t now, int down)
{
	while (d->head != NULL && d->head->due_ns <= now) {
		/* A unit partly handed on already got through before the outage. */
		if (!down || d->head->off > 0)
			return d->head;
		d->c.lost_down++;
		lsim_dir_pop(d);
	}
	return NULL;
}

void
lsim_dir_sent(struct lsim_dir *d, size_t n)
{
	struct lsim_item *it = d->head;

	if (it == NULL)
		return;
	if (n > it->len - it->off)
		n = it->len - it->off;
	it->off += n;
	d->c.bytes_out += n;
	if (it->off == it->len) {
		d->c.units_out++;
		lsim_dir_pop(d);
	}
}

int64_t
lsim_dir_next_due(const struct lsim_dir *d)
{
	return d->head != NULL ? d->head->due_ns : LSIM_NEVER;
}
