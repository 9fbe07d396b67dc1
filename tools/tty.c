/*
 * tty.c: what the CLI prints to a terminal is text, never terminal control.
 *
 * Titles, notes, names and reasons come from other people's keys, over the network. A
 * report titled with an escape sequence could recolour, hide or overwrite lines on a duty
 * officer's screen (an OVERDUE mark, a warning). When standard output is a terminal, it
 * goes through a filter that shows every C0 control but tab and newline, DEL, and the C1
 * controls (U+0080..U+009F, which some terminals obey) as '?'. Anything else, valid UTF-8
 * Chinese included, passes byte for byte. Output to a pipe or a file is left exact: scripts
 * read `--json`, which escapes controls itself.
 */
#define _GNU_SOURCE	/* fopencookie */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fenghuo.h"

struct tty_filter {
	int	 fd;
	int	 held_c2;	/* the last byte was 0xC2: a C1 control may follow */
};

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
is_c0(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f;
}

static ssize_t
tty_write(void *cookie, const char *buf, size_t size)
{
	struct tty_filter *f = cookie;
	char out[4096];
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < size; i++) {
		if (o + 2 > sizeof(out)) {
			if (write_all(f->fd, out, o) != 0)
				return -1;
			o = 0;
		}
		c = (unsigned char)buf[i];
		if (f->held_c2) {
			f->held_c2 = 0;
			if (c >= 0x80 && c <= 0x9f) {
				out[o++] = '?';		/* U+0080..U+009F */
				continue;
			}
			out[o++] = (char)0xc2;
		}
		if (c == 0xc2)
			f->held_c2 = 1;
		else
			out[o++] = is_c0(c) ? '?' : (char)c;
	}
	if (o > 0 && write_all(f->fd, out, o) != 0)
		return -1;
	return (ssize_t)size;
}

static int
tty_close(void *cookie)
{
	struct tty_filter *f = cookie;
	char c2 = (char)0xc2;

	/* A lone 0xC2 at the very end is not UTF-8; show it as it was. */
	if (f->held_c2 && write_all(f->fd, &c2, 1) != 0)
		return EOF;
	return 0;
}

void
cli_tty_guard(void)
{
	static struct tty_filter f;
	cookie_io_functions_t io = { NULL, tty_write, NULL, tty_close };
	FILE *fp;

	if (!isatty(STDOUT_FILENO))
		return;
	f.fd = STDOUT_FILENO;
	if ((fp = fopencookie(&f, "w", io)) == NULL)
		return;	/* unfiltered, rather than nothing */
	setvbuf(fp, NULL, _IOLBF, BUFSIZ);
	fflush(stdout);
	stdout = fp;
}
