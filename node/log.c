/*
 * log.c: one line per event on stderr, where journald (or a test's log file) collects it.
 *
 * Modelled on OpenBSD ntpd's log.c: log_warn appends strerror(errno), fatal exits. The level
 * is checked before anything is formatted, so a log_debug in a hot path costs a compare.
 * No timestamps: journald adds its own.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* Process-wide on purpose: every node in a process writes to the same stderr. */
static int log_level = LOG_LEVEL_INFO;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
log_init(int level)
{
	log_setlevel(level);
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
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (suffix != NULL)
		fprintf(stderr, "%s: %s: %s\n", level_names[level], buf, suffix);
	else
		fprintf(stderr, "%s: %s\n", level_names[level], buf);
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
