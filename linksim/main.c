/*
 * main.c: fenghuo-linksim, a simulated link between two stream-link endpoints of fenghuod
 * (docs/LINKSIM.md). In udp mode it stands between two UDP stream links on 127.0.0.1, as
 * each one's `remote`; in pty mode it makes two pseudo-terminals and joins them like a serial
 * cable. Either way it carries what one end sends to the other at a bit rate, with a latency,
 * loss, bit errors, line noise and outages (core.c decides; this file does the I/O), and
 * reports what it carried on exit, on SIGUSR1 and in a stats file it rewrites.
 *
 * One thread, one poll loop; the signal handlers only set flags. Everything it allocates is
 * owned by main()'s struct lsim.
 */
#define _XOPEN_SOURCE	700	/* posix_openpt, grantpt, unlockpt, ptsname */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "fh_version.h"
#include "linksim.h"

#define LSIM_UDP_MAX		65536	/* the largest datagram */
#define LSIM_PTY_READ_MAX	4096	/* the largest chunk read from a pseudo-terminal */
#define LSIM_RECV_BURST		64	/* units read per endpoint per loop pass */
#define LSIM_RCVBUF		(1 << 20)	/* asked of the kernel for each UDP socket */
#define LSIM_TICK_NS		(100 * 1000000LL)	/* longest poll while files are watched */
#define LSIM_STATS_NS		(500 * 1000000LL)	/* stats file rewritten this often */

enum lsim_mode { MODE_UDP, MODE_PTY };

/* An end of the link: where units come in, and where the other direction's go out. */
struct lsim_end {
	int			 fd;
	int			 slave;		/* pty: kept open, so the master never sees EOF */
	char			 tty[128];	/* pty: the device a daemon opens */
	struct sockaddr_in	 face;		/* udp: our socket's address */
	struct sockaddr_in	 node;		/* udp: the node behind this end */
};

struct lsim {
	enum lsim_mode		 mode;
	struct lsim_params	 p;
	struct lsim_sched	 sched;
	const char		*sched_spec;
	uint64_t		 seed;
	const char		*down_file;
	const char		*clean_file;
	const char		*stats_file;
	const char		*paths_file;
	int			 json;
	int			 quiet;
	double			 duration;	/* seconds; 0: until a signal */
	struct lsim_end		 end[2];	/* a, b */
	struct lsim_dir		 dir[2];	/* a->b, b->a */
	uint64_t		 foreign;	/* udp: datagrams from a stranger, ignored */
	uint64_t		 send_errors;
	int64_t			 t0;		/* monotonic ns at start */
	int64_t			 down_ns;	/* time down so far */
	int			 down;		/* the state at the last loop pass */
	int64_t			 last;		/* when it was taken */
	uint8_t			*buf;
};

static volatile sig_atomic_t	 lsim_quit, lsim_dump;

static void
lsim_on_signal(int sig)
{
	if (sig == SIGUSR1)
		lsim_dump = 1;
	else
		lsim_quit = 1;
}

static int64_t
lsim_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * LSIM_NS + ts.tv_nsec;
}

static void
usage(FILE *f)
{
	fputs(
"usage: fenghuo-linksim [OPTIONS] udp A_FACE A_NODE B_FACE B_NODE\n"
"       fenghuo-linksim [OPTIONS] pty PATHS_FILE\n"
"\n"
"A simulated link between two stream links of fenghuod, for drills and tests: a slow,\n"
"lossy, noisy radio or serial line that fails on a schedule, reproducible from a seed.\n"
"\n"
"udp   Binds the UDP ports A_FACE and B_FACE. A datagram from A_NODE arriving at A_FACE\n"
"      leaves from B_FACE to B_NODE, and the other way round: configure node A with\n"
"      remote = A_FACE and node B with remote = B_FACE. Each address is PORT (on\n"
"      127.0.0.1) or IPV4:PORT. Datagrams from anyone else are counted and ignored.\n"
"      A datagram is a unit: it is dropped, damaged or delayed whole.\n"
"pty   Makes two pseudo-terminals (raw), writes their device paths to PATHS_FILE (A's\n"
"      first, one a line) and joins them like a serial cable: give each daemon one as its\n"
"      [link] device. A chunk of bytes as read is a unit.\n"
"\n"
"Options:\n"
"  --rate BPS         bits per second on the air, each direction (default 0: unpaced).\n"
"                     A unit arrives once its last bit has been sent, after the units\n"
"                     before it: the rate bounds what the link carries whatever the ends do.\n"
"  --byte-bits N      air bits per byte: 8, or 10 for a UART's 8N1 (start and stop bit);\n"
"                     default 8 for udp, 10 for pty\n"
"  --latency MS       added to every unit after its air time (default 0)\n"
"  --loss P           share of units dropped (0..1; udp: frame loss)\n"
"  --corrupt P        share of units that get one random bit flipped\n"
"  --ber P            bit error rate: each bit flipped with probability P (e.g. 1e-5)\n"
"  --noise P          pty: share of chunks preceded by a burst of 1-40 garbage bytes\n"
"                     (line noise, with stray link-frame magic bytes among it)\n"
"  --down SPEC        outages: START+SECONDS[,START+SECONDS...], seconds since the start;\n"
"                     e.g. 30+20,120+60 is down from 30 s to 50 s and from 120 s to 180 s.\n"
"                     While down every unit sent is lost, and so is every unit due to\n"
"                     arrive.\n"
"  --down-file FILE   also down while FILE exists (an outage controlled by a script)\n"
"  --clean-file FILE  while FILE exists: no loss, errors or noise (rate, latency and\n"
"                     outages still apply)\n"
"  --seed N           the seed of every random choice (default 1)\n"
"  --queue N          units waiting per direction before more are dropped as overflow\n"
"                     (default 2000; also at most 16 MiB)\n"
"  --duration S       exit after S seconds (default: run until SIGINT or SIGTERM)\n"
"  --stats-file FILE  rewrite FILE with the counters twice a second and at exit\n"
"                     (key=value lines, atomically renamed into place)\n"
"  --json             the stats file as one JSON object instead\n"
"  --quiet            no report on stderr at exit\n"
"  -h, --help         this text;  --version  the version\n"
"\n"
"Report: on SIGUSR1 and at exit, the counters as text on stderr; the stats file has the\n"
"same as key=value: mode, seed, elapsed_s, time_down_s, and per direction (a2b_, b2a_)\n"
"UNITS_in, bytes_in, UNITS_out, bytes_out, dropped, corrupted, flipped_bits, noise,\n"
"lost_down, overflow, air_s, where UNITS is datagrams (udp) or chunks (pty); then the\n"
"totals dropped, corrupted, lost_down, overflow, noise, foreign, send_errors.\n"
"\n"
"Example: a 9,600 bit/s radio between a township (UDP port 7101, remote 7100) and the\n"
"county (port 7201, remote 7200), 40 ms latency, 2 % frame loss, lost for a minute\n"
"after two minutes:\n"
"  fenghuo-linksim --rate 9600 --latency 40 --loss 0.02 --down 120+60 \\\n"
"      --stats-file radio.stats udp 7100 7101 7200 7201\n"
"\n"
"Exit status: 0 after a signal or --duration, 64 on a usage error, 71 if a socket or\n"
"pseudo-terminal cannot be set up.\n", f);
}

/* Parses a probability in [0, 1]. */
static int
lsim_parse_prob(const char *opt, const char *s, double *out)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !(v >= 0 && v <= 1)) {
		fprintf(stderr, "fenghuo-linksim: %s %s: expected a number from 0 to 1\n", opt, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* Parses an unsigned integer in [min, max]. */
static int
lsim_parse_uint(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v < min || v > max) {
		fprintf(stderr, "fenghuo-linksim: %s %s: expected a whole number from %" PRIu64
		    " to %" PRIu64 "\n", opt, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* Parses PORT or IPV4:PORT into sa. */
static int
lsim_parse_addr(const char *s, struct sockaddr_in *sa)
{
	char		 host[64];
	const char	*colon, *port = s;
	uint64_t	 v;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((colon = strrchr(s, ':')) != NULL) {
		if ((size_t)(colon - s) >= sizeof(host))
			goto bad;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
			goto bad;
		port = colon + 1;
	}
	if (lsim_parse_uint("address", port, 1, 65535, &v) != 0)
		goto bad;
	sa->sin_port = htons((uint16_t)v);
	return 0;
bad:
	fprintf(stderr, "fenghuo-linksim: %s: expected PORT or IPV4:PORT\n", s);
	return -1;
}

static const char *
lsim_addr_str(const struct sockaddr_in *sa, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, ntohs(sa->sin_port));
	return buf;
}

static int
lsim_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int
lsim_open_udp(struct lsim *ls)
{
	char	 a[64];
	int	 i, rcvbuf = LSIM_RCVBUF;

	for (i = 0; i < 2; i++) {
		struct lsim_end *e = &ls->end[i];

		if ((e->fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 || lsim_nonblock(e->fd) != 0) {
			fprintf(stderr, "fenghuo-linksim: socket: %s\n", strerror(errno));
			return -1;
		}
		/* Room for a burst while the loop is busy (best effort: capped by rmem_max);
		 * what the kernel drops never reaches the counters. */
		(void)setsockopt(e->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		if (bind(e->fd, (struct sockaddr *)&e->face, sizeof(e->face)) != 0) {
			fprintf(stderr, "fenghuo-linksim: bind %s: %s\n",
			    lsim_addr_str(&e->face, a, sizeof(a)), strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Two raw pseudo-terminals, their slave paths written to the paths file atomically. */
static int
lsim_open_pty(struct lsim *ls)
{
	struct termios	 t;
	char		 tmp[PATH_MAX];
	const char	*name;
	FILE		*f;
	int		 i;

	for (i = 0; i < 2; i++) {
		struct lsim_end *e = &ls->end[i];

		if ((e->fd = posix_openpt(O_RDWR | O_NOCTTY)) < 0 || grantpt(e->fd) != 0 ||
		    unlockpt(e->fd) != 0 || (name = ptsname(e->fd)) == NULL) {
			fprintf(stderr, "fenghuo-linksim: pseudo-terminal: %s\n", strerror(errno));
			return -1;
		}
		snprintf(e->tty, sizeof(e->tty), "%s", name);
		/* Raw before any daemon opens it: no echo, no line discipline. */
		if ((e->slave = open(e->tty, O_RDWR | O_NOCTTY)) < 0 ||
		    tcgetattr(e->slave, &t) != 0) {
			fprintf(stderr, "fenghuo-linksim: %s: %s\n", e->tty, strerror(errno));
			return -1;
		}
		cfmakeraw(&t);
		if (tcsetattr(e->slave, TCSANOW, &t) != 0 || lsim_nonblock(e->fd) != 0) {
			fprintf(stderr, "fenghuo-linksim: %s: %s\n", e->tty, strerror(errno));
			return -1;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", ls->paths_file);
	if ((f = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "fenghuo-linksim: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	fprintf(f, "%s\n%s\n", ls->end[0].tty, ls->end[1].tty);
	if (fclose(f) != 0 || rename(tmp, ls->paths_file) != 0) {
		fprintf(stderr, "fenghuo-linksim: %s: %s\n", ls->paths_file, strerror(errno));
		return -1;
	}
	return 0;
}

static int
lsim_file_exists(const char *path)
{
	struct stat st;

	return path != NULL && stat(path, &st) == 0;
}

/* Is the link down at now? Also accounts the time down since the last pass. */
static int
lsim_update_down(struct lsim *ls, int64_t now)
{
	int64_t t = now - ls->t0;

	if (ls->down_file != NULL && ls->down)
		ls->down_ns += now - ls->last;
	else
		ls->down_ns += lsim_sched_down_ns(&ls->sched, ls->last - ls->t0, t);
	ls->down = lsim_sched_down(&ls->sched, t) || lsim_file_exists(ls->down_file);
	ls->last = now;
	return ls->down;
}

static const char *
lsim_units(const struct lsim *ls)
{
	return ls->mode == MODE_UDP ? "datagrams" : "chunks";
}

/* The counters as key=value lines or one JSON object. */
static void
lsim_write_stats(const struct lsim *ls, FILE *f, int json)
{
	static const char *dn[2] = { "a2b", "b2a" };
	const char	*u = lsim_units(ls), *sep = json ? "," : "\n";
	uint64_t	 tot[5] = { 0, 0, 0, 0, 0 };
	int		 i;

#define KV_U(k, v)	fprintf(f, json ? "\"%s\":%" PRIu64 "%s" : "%s=%" PRIu64 "%s", k, \
			    (uint64_t)(v), sep)
#define KV_D(k, v)	fprintf(f, json ? "\"%s\":%.3f%s" : "%s=%.3f%s", k, (double)(v), sep)
	if (json)
		fputc('{', f);
	fprintf(f, json ? "\"mode\":\"%s\"," : "mode=%s\n", ls->mode == MODE_UDP ? "udp" : "pty");
	KV_U("seed", ls->seed);
	KV_D("elapsed_s", (double)(ls->last - ls->t0) / LSIM_NS);
	KV_D("time_down_s", (double)ls->down_ns / LSIM_NS);
	for (i = 0; i < 2; i++) {
		const struct lsim_counters *c = &ls->dir[i].c;
		char k[64], nm[32];

#define KV_DIR_U(name, v)	do { snprintf(k, sizeof(k), "%s_%s", dn[i], name); KV_U(k, v); } \
				while (0)
		snprintf(nm, sizeof(nm), "%s_in", u);
		KV_DIR_U(nm, c->units_in);
		KV_DIR_U("bytes_in", c->bytes_in);
		snprintf(nm, sizeof(nm), "%s_out", u);
		KV_DIR_U(nm, c->units_out);
		KV_DIR_U("bytes_out", c->bytes_out);
		KV_DIR_U("dropped", c->dropped);
		KV_DIR_U("corrupted", c->corrupted);
		KV_DIR_U("flipped_bits", c->flipped_bits);
		KV_DIR_U("noise", c->noise_bursts);
		KV_DIR_U("lost_down", c->lost_down);
		KV_DIR_U("overflow", c->overflow);
		snprintf(k, sizeof(k), "%s_air_s", dn[i]);
		KV_D(k, (double)c->air_ns / LSIM_NS);
#undef KV_DIR_U
		tot[0] += c->dropped;
		tot[1] += c->corrupted;
		tot[2] += c->lost_down;
		tot[3] += c->overflow;
		tot[4] += c->noise_bursts;
	}
	KV_U("dropped", tot[0]);
	KV_U("corrupted", tot[1]);
	KV_U("lost_down", tot[2]);
	KV_U("overflow", tot[3]);
	KV_U("noise", tot[4]);
	KV_U("foreign", ls->foreign);
	fprintf(f, json ? "\"send_errors\":%" PRIu64 "}\n" : "send_errors=%" PRIu64 "\n",
	    ls->send_errors);
#undef KV_U
#undef KV_D
}

static void
lsim_stats_file(const struct lsim *ls)
{
	char	 tmp[PATH_MAX];
	FILE	*f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", ls->stats_file);
	if ((f = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "fenghuo-linksim: %s: %s\n", tmp, strerror(errno));
		return;
	}
	lsim_write_stats(ls, f, ls->json);
	if (fclose(f) != 0 || rename(tmp, ls->stats_file) != 0)
		fprintf(stderr, "fenghuo-linksim: %s: %s\n", ls->stats_file, strerror(errno));
}

/* The report for a person, on stderr. */
static void
lsim_report(const struct lsim *ls)
{
	static const char *dn[2] = { "a -> b", "b -> a" };
	const char	*u = lsim_units(ls);
	char		 a[4][64];
	int		 i;

	if (ls->mode == MODE_UDP)
		fprintf(stderr, "fenghuo-linksim: udp %s (for %s) <-> %s (for %s)\n",
		    lsim_addr_str(&ls->end[0].face, a[0], sizeof(a[0])),
		    lsim_addr_str(&ls->end[0].node, a[1], sizeof(a[1])),
		    lsim_addr_str(&ls->end[1].face, a[2], sizeof(a[2])),
		    lsim_addr_str(&ls->end[1].node, a[3], sizeof(a[3])));
	else
		fprintf(stderr, "fenghuo-linksim: pty %s <-> %s\n", ls->end[0].tty,
		    ls->end[1].tty);
	fprintf(stderr, "  %" PRIu64 " bit/s%s, latency %" PRId64 " ms, loss %g, corrupt %g, "
	    "ber %g, noise %g, seed %" PRIu64 "\n", ls->p.rate, ls->p.rate ? "" : " (unpaced)",
	    ls->p.latency_ns / 1000000, ls->p.loss, ls->p.corrupt, ls->p.ber, ls->p.noise,
	    ls->seed);
	fprintf(stderr, "  ran %.1f s, down %.1f s", (double)(ls->last - ls->t0) / LSIM_NS,
	    (double)ls->down_ns / LSIM_NS);
	if (ls->sched_spec != NULL)
		fprintf(stderr, " (schedule %s)", ls->sched_spec);
	fputc('\n', stderr);
	for (i = 0; i < 2; i++) {
		const struct lsim_counters *c = &ls->dir[i].c;

		fprintf(stderr, "  %s: %" PRIu64 " %s in (%" PRIu64 " bytes), %" PRIu64
		    " out (%" PRIu64 " bytes, %.1f s on the air); %" PRIu64 " dropped, %" PRIu64
		    " corrupted (%" PRIu64 " bits), %" PRIu64 " noise bursts, %" PRIu64
		    " lost while down, %" PRIu64 " overflow\n", dn[i], c->units_in, u, c->bytes_in,
		    c->units_out, c->bytes_out, (double)c->air_ns / LSIM_NS, c->dropped,
		    c->corrupted, c->flipped_bits, c->noise_bursts, c->lost_down, c->overflow);
	}
	if (ls->mode == MODE_UDP)
		fprintf(stderr, "  %" PRIu64 " datagrams from strangers ignored, %" PRIu64
		    " send errors\n", ls->foreign, ls->send_errors);
}

/* Hands on what is due in direction i (to end !i). Returns 1 if a pty write would block. */
static int
lsim_deliver(struct lsim *ls, int i, int64_t now)
{
	struct lsim_end		*to = &ls->end[!i];
	struct lsim_item	*it;
	ssize_t			 n;

	while ((it = lsim_dir_release(&ls->dir[i], now, ls->down)) != NULL) {
		if (ls->mode == MODE_UDP) {
			/* Send errors (the node not up yet) lose the datagram, as on the air. */
			if (sendto(ls->end[!i].fd, it->data, it->len, 0,
			    (struct sockaddr *)&to->node, sizeof(to->node)) < 0)
				ls->send_errors++;
			lsim_dir_sent(&ls->dir[i], it->len);
			continue;
		}
		n = write(to->fd, it->data + it->off, it->len - it->off);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 1;
		if (n < 0) {
			ls->send_errors++;
			n = (ssize_t)(it->len - it->off);
		}
		lsim_dir_sent(&ls->dir[i], (size_t)n);
	}
	return 0;
}

/* Reads what end i sent, a bounded number of units. */
static void
lsim_receive(struct lsim *ls, int i, int64_t now, int clean)
{
	struct lsim_end		*e = &ls->end[i];
	struct sockaddr_in	 src;
	socklen_t		 sl;
	size_t			 max = LSIM_PTY_READ_MAX;
	ssize_t			 n;
	int			 k;

	/* Paced serial: chunks of about 10 ms of air, so that bytes flow rather than jump. */
	if (ls->mode == MODE_PTY && ls->p.rate > 0) {
		max = (size_t)(ls->p.rate / ls->p.byte_bits / 100);
		max = max < 16 ? 16 : max > LSIM_PTY_READ_MAX ? LSIM_PTY_READ_MAX : max;
	}
	for (k = 0; k < LSIM_RECV_BURST; k++) {
		if (ls->mode == MODE_UDP) {
			sl = sizeof(src);
			n = recvfrom(e->fd, ls->buf, LSIM_UDP_MAX, 0, (struct sockaddr *)&src, &sl);
			if (n < 0)
				return;
			if (sl != sizeof(src) || src.sin_family != AF_INET ||
			    src.sin_addr.s_addr != e->node.sin_addr.s_addr ||
			    src.sin_port != e->node.sin_port) {
				ls->foreign++;
				continue;
			}
		} else if ((n = read(e->fd, ls->buf, max)) <= 0) {
			return;
		}
		if (lsim_dir_offer(&ls->dir[i], now, ls->buf, (size_t)n, ls->down, clean) ==
		    LSIM_NOMEM)
			ls->dir[i].c.overflow++;
	}
}

static int
lsim_run(struct lsim *ls)
{
	struct pollfd	 pfd[2];
	int64_t		 now, next_stats, end, wake, due, t;
	int		 i, blocked[2], clean;

	ls->t0 = ls->last = lsim_now();
	next_stats = ls->t0;
	end = ls->duration > 0 ? ls->t0 + (int64_t)(ls->duration * LSIM_NS) : LSIM_NEVER;
	for (;;) {
		/* What fell due since the last pass is judged by the state then (the loop wakes
		 * at every change of the schedule), what arrives next by the state now. */
		now = lsim_now();
		for (i = 0; i < 2; i++)
			blocked[i] = lsim_deliver(ls, i, now);
		lsim_update_down(ls, now);
		clean = lsim_file_exists(ls->clean_file);
		if (lsim_dump) {
			lsim_dump = 0;
			lsim_report(ls);
		}
		if (ls->stats_file != NULL && now >= next_stats) {
			lsim_stats_file(ls);
			next_stats = now + LSIM_STATS_NS;
		}
		if (lsim_quit || now >= end)
			break;

		/* Sleep until the next unit is due, the schedule changes, or a file may have. */
		wake = end;
		if (ls->stats_file != NULL && next_stats < wake)
			wake = next_stats;
		if (ls->down_file != NULL || ls->clean_file != NULL || blocked[0] || blocked[1])
			wake = wake < now + LSIM_TICK_NS ? wake : now + LSIM_TICK_NS;
		if ((t = lsim_sched_next_change(&ls->sched, now - ls->t0)) != LSIM_NEVER &&
		    ls->t0 + t < wake)
			wake = ls->t0 + t;
		for (i = 0; i < 2; i++) {
			due = lsim_dir_next_due(&ls->dir[i]);
			if (!blocked[i] && due < wake)
				wake = due;
			pfd[i].fd = ls->end[i].fd;
			pfd[i].events = POLLIN | (blocked[!i] ? POLLOUT : 0);
			pfd[i].revents = 0;
		}
		/* At most a second, so that a signal between the check and poll waits little. */
		t = wake - now;
		t = t < 0 ? 0 : t > LSIM_NS ? LSIM_NS : t;
		if (poll(pfd, 2, (int)((t + 999999) / 1000000)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "fenghuo-linksim: poll: %s\n", strerror(errno));
			return EX_OSERR;
		}
		now = lsim_now();
		for (i = 0; i < 2; i++)
			if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
				lsim_receive(ls, i, now, clean);
	}
	lsim_update_down(ls, lsim_now());
	if (ls->stats_file != NULL)
		lsim_stats_file(ls);
	if (!ls->quiet)
		lsim_report(ls);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "byte-bits", required_argument, NULL, 'B' },
		{ "latency", required_argument, NULL, 'l' },
		{ "loss", required_argument, NULL, 'L' },
		{ "corrupt", required_argument, NULL, 'c' },
		{ "ber", required_argument, NULL, 'e' },
		{ "noise", required_argument, NULL, 'n' },
		{ "down", required_argument, NULL, 'd' },
		{ "down-file", required_argument, NULL, 'D' },
		{ "clean-file", required_argument, NULL, 'C' },
		{ "seed", required_argument, NULL, 's' },
		{ "queue", required_argument, NULL, 'q' },
		{ "duration", required_argument, NULL, 't' },
		{ "stats-file", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct lsim		 ls;
	struct sigaction	 sa;
	char			 err[256], *end;
	uint64_t		 v, byte_bits = 0;
	int			 ch, i, rc = EX_OSERR;

	memset(&ls, 0, sizeof(ls));
	ls.seed = 1;
	ls.p.queue_max = 2000;
	ls.p.queue_bytes_max = 16 << 20;
	ls.end[0].fd = ls.end[1].fd = ls.end[0].slave = ls.end[1].slave = -1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (lsim_parse_uint("--rate", optarg, 0, 1000000000, &ls.p.rate) != 0)
				return EX_USAGE;
			break;
		case 'B':
			if (lsim_parse_uint("--byte-bits", optarg, 8, 12, &byte_bits) != 0)
				return EX_USAGE;
			break;
		case 'l':
			if (lsim_parse_uint("--latency", optarg, 0, 3600000, &v) != 0)
				return EX_USAGE;
			ls.p.latency_ns = (int64_t)v * 1000000;
			break;
		case 'L':
			if (lsim_parse_prob("--loss", optarg, &ls.p.loss) != 0)
				return EX_USAGE;
			break;
		case 'c':
			if (lsim_parse_prob("--corrupt", optarg, &ls.p.corrupt) != 0)
				return EX_USAGE;
			break;
		case 'e':
			if (lsim_parse_prob("--ber", optarg, &ls.p.ber) != 0)
				return EX_USAGE;
			break;
		case 'n':
			if (lsim_parse_prob("--noise", optarg, &ls.p.noise) != 0)
				return EX_USAGE;
			break;
		case 'd':
			if (lsim_sched_parse(optarg, &ls.sched, err, sizeof(err)) != 0) {
				fprintf(stderr, "fenghuo-linksim: --down: %s\n", err);
				return EX_USAGE;
			}
			ls.sched_spec = optarg;
			break;
		case 'D':
			ls.down_file = optarg;
			break;
		case 'C':
			ls.clean_file = optarg;
			break;
		case 's':
			if (lsim_parse_uint("--seed", optarg, 0, UINT64_MAX, &ls.seed) != 0)
				return EX_USAGE;
			break;
		case 'q':
			if (lsim_parse_uint("--queue", optarg, 1, 1000000, &v) != 0)
				return EX_USAGE;
			ls.p.queue_max = (size_t)v;
			break;
		case 't':
			errno = 0;
			ls.duration = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    !(ls.duration > 0 && ls.duration <= 1e7)) {
				fprintf(stderr, "fenghuo-linksim: --duration %s: expected seconds "
				    "(more than 0)\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'S':
			ls.stats_file = optarg;
			break;
		case 'j':
			ls.json = 1;
			break;
		case 'Q':
			ls.quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("fenghuo-linksim %s%s%s\n", FH_VERSION, *FH_GIT_COMMIT ? " " : "",
			    FH_GIT_COMMIT);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 5 && strcmp(argv[0], "udp") == 0) {
		ls.mode = MODE_UDP;
		for (i = 0; i < 2; i++)
			if (lsim_parse_addr(argv[1 + 2 * i], &ls.end[i].face) != 0 ||
			    lsim_parse_addr(argv[2 + 2 * i], &ls.end[i].node) != 0)
				return EX_USAGE;
		if (ls.p.noise > 0) {
			fprintf(stderr, "fenghuo-linksim: --noise is for pty links: on UDP a "
			    "datagram is whole or lost (use --corrupt or --ber)\n");
			return EX_USAGE;
		}
	} else if (argc == 2 && strcmp(argv[0], "pty") == 0) {
		ls.mode = MODE_PTY;
		ls.paths_file = argv[1];
	} else {
		usage(stderr);
		return EX_USAGE;
	}
	ls.p.byte_bits = byte_bits ? (unsigned)byte_bits : ls.mode == MODE_PTY ? 10 : 8;
	/* The two directions draw from independent streams of the one seed. */
	for (i = 0; i < 2; i++)
		lsim_dir_init(&ls.dir[i], &ls.p, ls.seed * 2 + (uint64_t)i);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = lsim_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((ls.buf = malloc(LSIM_UDP_MAX)) == NULL) {
		fprintf(stderr, "fenghuo-linksim: out of memory\n");
		goto err;
	}
	if ((ls.mode == MODE_UDP ? lsim_open_udp(&ls) : lsim_open_pty(&ls)) != 0)
		goto err;
	rc = lsim_run(&ls);
err:
	for (i = 0; i < 2; i++) {
		lsim_dir_clear(&ls.dir[i]);
		if (ls.end[i].fd >= 0)
			close(ls.end[i].fd);
		if (ls.end[i].slave >= 0)
			close(ls.end[i].slave);
	}
	free(ls.buf);
	return rc;
}
