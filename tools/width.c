/*
 * width.c: text in table columns, by display width.
 *
 * printf("%-10s") pads by bytes: a Chinese category of two characters is 6 bytes but 4
 * columns wide on a terminal, and every column after it shifts. Cells are padded and cut here
 * by display columns instead: wcwidth(3) of each character (2 for CJK, 0 for combining
 * marks), under an LC_CTYPE that is UTF-8 (the data always is, whatever the user's locale
 * says). Where no UTF-8 locale exists at all, a small table of the East Asian wide ranges
 * stands in.
 *
 * A cell is also always one line: a title or name from another key may hold a newline (and
 * forge a line of `duty`), a tab, a carriage return, other C0/C1 controls, or a bidi override
 * that reorders what follows. Those print as '?' (a tab as a space), in pipes too.
 */
#define _XOPEN_SOURCE 700	/* wcwidth */
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "fenghuo.h"

static int width_wcwidth_ok;	/* wcwidth() knows CJK under the current LC_CTYPE */

void
cli_locale_init(void)
{
	const char *cs;

	if (setlocale(LC_CTYPE, "") == NULL || (cs = nl_langinfo(CODESET)) == NULL ||
	    strcmp(cs, "UTF-8") != 0) {
		/* The C/POSIX locale (or a non-UTF-8 one): the data is UTF-8 all the same. */
		if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
			(void)setlocale(LC_CTYPE, "C.utf8");
	}
	width_wcwidth_ok = wcwidth(0x4e00) == 2;
}

/* Decode one UTF-8 character at s; its length, or 0 for a malformed byte (shown as '?'). */
static size_t
utf8_next(const unsigned char *s, unsigned *cp)
{
	unsigned c = s[0], n, i, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		*cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		*cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		*cp = c & 0x07;
		min = 0x10000;
	} else
		return 0;
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n + 1;
}

/* 1 for what must not reach a terminal as itself: controls, line separators, bidi. */
static int
is_unsafe(unsigned cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

/* Display columns of a printable character. */
static int
cp_width(unsigned cp)
{
	int w;

	if (width_wcwidth_ok) {
		w = wcwidth((wchar_t)cp);
		return w < 0 ? 1 : w;	/* unknown to this libc: shown, counted as one */
	}
	/* No UTF-8 locale at all: the East Asian wide and fullwidth ranges. */
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) ||
	    (cp >= 0x3041 && cp <= 0x33ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
	    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
	    (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	if ((cp >= 0x300 && cp <= 0x36f) || cp == 0x200b || cp == 0x200d)
		return 0;
	return 1;
}

/*
 * Walk s as it is shown: each piece (one character, or '?'/' ' for an unsafe one) with its
 * width. Writes to fp (unless NULL) while the width stays within max (max < 0: no limit).
 * Returns the width written (or, with fp NULL and no limit, the width of s).
 */
static size_t
walk(FILE *fp, const char *s, long max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, total = 0;
	unsigned cp;
	int w;

	while (*p != '\0') {
		if ((n = utf8_next(p, &cp)) == 0) {
			n = 1;
			cp = 0xfffd;	/* a stray byte */
		}
		if (cp == '\t')
			w = 1;
		else if (cp == 0xfffd || is_unsafe(cp))
			w = 1;
		else
			w = cp_width(cp);
		if (max >= 0 && total + (size_t)w > (size_t)max)
			break;
		if (fp != NULL) {
			if (cp == '\t')
				fputc(' ', fp);
			else if (cp == 0xfffd && n == 1)
				fputc('?', fp);
			else if (is_unsafe(cp))
				fputc('?', fp);
			else
				fwrite(p, 1, n, fp);
		}
		total += (size_t)w;
		p += n;
	}
	return total;
}

size_t
cli_text_width(const char *s)
{
	return s != NULL ? walk(NULL, s, -1) : 0;
}

void
cli_cell(FILE *fp, const char *s, int width, int cut)
{
	size_t w;

	if (s == NULL)
		s = "";
	w = walk(NULL, s, -1);
	if (cut && width > 0 && w > (size_t)width) {
		/* The ellipsis (U+2026) is one column wide. */
		w = walk(fp, s, width - 1);
		fputs("\xe2\x80\xa6", fp);
		w++;
	} else
		(void)walk(fp, s, -1);
	for (; (long)w < width; w++)
		fputc(' ', fp);
}
