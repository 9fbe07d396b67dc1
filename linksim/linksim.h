/*
 * linksim.h: the pure core of fenghuo-linksim, a link simulator for drills and tests. It
 * decides what happens to each unit a link carries (a UDP datagram, or a chunk of a serial
 * byte stream): dropped, damaged, held for its air time at the bit rate plus the latency,
 * or lost to an outage. It never reads a clock and never touches a descriptor: the caller
 * passes the time (nanoseconds on any monotonic scale) and does the I/O, so the unit tests
 * drive it with a simulated clock. Every random choice comes from a seeded generator, so a
 * run is reproducible from its seed and the order of what it was offered.
 */
#ifndef LINKSIM_H
#define LINKSIM_H

#include <stddef.h>
#include <stdint.h>

#define LSIM_NS			1000000000LL
#define LSIM_OUTAGES_MAX	64
#define LSIM_NEVER		INT64_MAX

/* A splitmix64 generator: small, fast, and the same sequence on every platform. */
struct lsim_rng {
	uint64_t	 s;
};

void		 lsim_rng_seed(struct lsim_rng *, uint64_t seed);
uint64_t	 lsim_rng_next(struct lsim_rng *);
/* A double uniformly in [0, 1). */
double		 lsim_rng_unit(struct lsim_rng *);

/* An outage schedule: the link is down from start for len (times since the run began). */
struct lsim_outage {
	int64_t		 start_ns;
	int64_t		 len_ns;
};

struct lsim_sched {
	size_t			 n;
	struct lsim_outage	 o[LSIM_OUTAGES_MAX];
};

/*
 * Parses "START+LEN[,START+LEN...]" in seconds (decimals allowed, e.g. "30+20,120+60",
 * "0.5+1.5") into sched, sorted by start; overlapping outages are allowed. Returns 0, or -1
 * with a reason in err (sched is then unspecified). An empty string is an empty schedule.
 */
int		 lsim_sched_parse(const char *spec, struct lsim_sched *sched, char *err,
		    size_t errlen);
/* 1 if the schedule has the link down at t (ns since the run began), else 0. */
int		 lsim_sched_down(const struct lsim_sched *, int64_t t);
/* How long the schedule has the link down within [t0, t1). */
int64_t		 lsim_sched_down_ns(const struct lsim_sched *, int64_t t0, int64_t t1);
/* The first time after t at which the schedule changes state, or LSIM_NEVER. */
int64_t		 lsim_sched_next_change(const struct lsim_sched *, int64_t t);

/* What a link does to what it carries; the same for both directions. */
struct lsim_params {
	uint64_t	 rate;		/* bits/s on the air; 0: no pacing */
	unsigned	 byte_bits;	/* air bits per byte: 8, or 10 for a UART's 8N1 */
	int64_t		 latency_ns;	/* added after the air time */
	double		 loss;		/* share of units dropped whole */
	double		 corrupt;	/* share of units that get one random bit flipped */
	double		 ber;		/* probability that any one bit is flipped */
	double		 noise;		/* share of units preceded by a burst of garbage bytes */
	size_t		 queue_max;	/* units waiting per direction; more are dropped */
	size_t		 queue_bytes_max;	/* bytes waiting per direction; more are dropped */
};

/* The counters of one direction. A unit is a datagram (UDP) or a chunk read (serial). */
struct lsim_counters {
	uint64_t	 units_in;	/* offered by the sender */
	uint64_t	 bytes_in;
	uint64_t	 units_out;	/* handed to the receiver */
	uint64_t	 bytes_out;	/* (noise included) */
	uint64_t	 dropped;	/* lost to --loss */
	uint64_t	 corrupted;	/* units with at least one bit flipped */
	uint64_t	 flipped_bits;
	uint64_t	 noise_bursts;
	uint64_t	 noise_bytes;
	uint64_t	 lost_down;	/* offered, or due, while the link was down */
	uint64_t	 overflow;	/* the queue was full */
	int64_t		 air_ns;	/* air time of everything queued */
};

struct lsim_item {
	struct lsim_item	*next;
	int64_t			 due_ns;	/* when it has arrived at the far end */
	size_t			 len;
	size_t			 off;		/* bytes already handed on */
	uint8_t			 data[];
};

/* One direction of a link: a FIFO on the air. */
struct lsim_dir {
	const struct lsim_params	*p;
	struct lsim_rng			 rng;
	int64_t				 air_free_ns;	/* when the air is free again */
	int64_t				 bits_to_error;	/* bit errors: the next flip, -1: draw */
	struct lsim_item		*head;
	struct lsim_item		*tail;
	size_t				 queued;
	size_t				 queued_bytes;
	struct lsim_counters		 c;
};

enum lsim_fate {
	LSIM_QUEUED,	/* on its way, due at lsim_dir_next_due() at the latest */
	LSIM_DROPPED,
	LSIM_DOWN,
	LSIM_OVERFLOW,
	LSIM_NOMEM
};

/* Initialises d for params p (which must outlive it), its random choices from seed. */
void		 lsim_dir_init(struct lsim_dir *d, const struct lsim_params *p, uint64_t seed);
/* Frees everything queued in d. */
void		 lsim_dir_clear(struct lsim_dir *d);
/*
 * Offers len bytes at now. down: the link is down (the unit is lost); clean: no random
 * damage (loss, errors, noise), only pacing and latency. Copies the bytes; returns its fate.
 */
enum lsim_fate	 lsim_dir_offer(struct lsim_dir *d, int64_t now, const uint8_t *data,
		    size_t len, int down, int clean);
/*
 * The unit at the head if it is due at now, else NULL. While down, due units are lost
 * (counted) instead: what is on the air when the radio fails does not arrive. The item stays
 * owned by d; report what was handed on with lsim_dir_sent().
 */
struct lsim_item *lsim_dir_release(struct lsim_dir *d, int64_t now, int down);
/* n more bytes of the head were handed on; the head is freed once all of it was. */
void		 lsim_dir_sent(struct lsim_dir *d, size_t n);
/* When the head is due, or LSIM_NEVER if nothing is queued. */
int64_t		 lsim_dir_next_due(const struct lsim_dir *d);

#endif
