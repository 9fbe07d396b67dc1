/*
 * log.c: one line per event on stderr, where journald (or a test's log file) collects it.
 *
 * Modelled on OpenBSD ntpd's log.c: log_warn appends strerror(errno), fatal exits. The level
 * is checked before anything is formatted, so a log_debug in a hot path costs a compare.
 * Under systemd, stderr is the journal, which stamps every line itself; anywhere else (a
 * file, a terminal, a test's log) each line starts with the local time to the millisecond.
 * systemd says which: it sets JOURNAL_STREAM to the device and inode of the stream it
 * connected, and stderr is the journal only while it is still that stream (systemd.exec(5)).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "node.h"

/* Process-wide on purpose: every node in a process writes to the same stderr. */
static int log_level = LOG_LEVEL_INFO;
static int log_stamp;	/* start lines with the time: stderr is not the journal */

static const char *const level_names[] = { "debug", "info", "warn", "error" };

/* 1 when stderr is the stream systemd connected to the journal (JOURNAL_STREAM), else 0. */
static int
log_to_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &sb) != 0)
		return 0;
	return (unsigned long long)sb.st_dev == dev && (unsigned long long)sb.st_ino == ino;
}

void
log_init(int level)
{
	log_setlevel(level);
	log_stamp = !log_to_journal();
	/* Line-buffered even when stderr is a file, so lines from several daemons interleave whole. */
	setvbuf(stderr, NULL, _IOLBF, 0);
}

void
log_setlevel(int level)
{
	if (level >= LOG_LEVEL_DEBUG && level <= LOG_LEVEL_ERROR)
		log_level = level;
}

int
log_limit_ok(struct log_limit *l, uint64_t now_ms, uint64_t *suppressed)
{
	if (l->last_ms != 0 && now_ms - l->last_ms < LOG_LIMIT_MS) {
		l->suppressed++;
		return 0;
	}
	if (suppressed != NULL)
		*suppressed = l->suppressed;
	l->last_ms = now_ms;
	l->suppressed = 0;
	return 1;
}

int
log_getlevel(void)
{
	return log_level;
}

int
log_level_parse(const char *name)
{
	int i;

	for (i = 0; i <= LOG_LEVEL_ERROR; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

const char *
log_level_name(int level)
{
	if (level < LOG_LEVEL_DEBUG || level > LOG_LEVEL_ERROR)
		return "?";
	return level_names[level];
}

static void vlog(int, const char *, va_list, const char *)
    __attribute__((format(printf, 2, 0)));

static void
vlog(int level, const char *fmt, va_list ap, const char *suffix)
{
	char buf[1024], stamp[96] = "";
	struct timespec ts;
	struct tm tm;
	char zone[8];

	if (log_stamp && clock_gettime(CLOCK_REALTIME, &ts) == 0 &&
	    localtime_r(&ts.tv_sec, &tm) != NULL) {
		/* 2026-12-05T14:30:00.123+0800, ISO 8601 */
		strftime(zone, sizeof(zone), "%z", &tm);
		snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03d%s ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec, (int)(ts.tv_nsec / 1000000), zone);
	}
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (suffix != NULL)
		fprintf(stderr, "%s%s: %s: %s\n", stamp, level_names[level], buf, suffix);
	else
		fprintf(stderr, "%s%s: %s\n", stamp, level_names[level], buf);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (log_level > LOG_LEVEL_WARN)
		return;
	va_start(ap, fmt);
	vlog(LOG_LEVEL_WARN, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	if (log_level > LOG_LEVEL_WARN)
		return;
	va_start(ap, fmt);
	vlog(LOG_LEVEL_WARN, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_level > LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	vlog(LOG_LEVEL_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_level > LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	vlog(LOG_LEVEL_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
