/*
 * utf8.c: strict UTF-8 validation and region code shape.
 *
 * Every string in a message ends up in a terminal, a JSON document or a C string. The
 * validator therefore accepts only shortest-form UTF-8 of Unicode scalar values (RFC 3629):
 * no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated
 * sequence; and no NUL byte, which would silently cut the string short for C consumers and
 * let two different signed bodies display the same.
 */
#include <string.h>

#include "crypto.h"

int
fc_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n, k;
	uint32_t cp, min;

	if (s == NULL)
		return len == 0;
	while (i < len) {
		unsigned char c = s[i];

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {	/* 0xc0, 0xc1 could only be overlong */
			n = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {	/* above 0xf4 is beyond U+10FFFF */
			n = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return 0;	/* continuation byte first, or 0xc0/0xc1/0xf5..0xff */
		}
		if (len - i - 1 < n)
			return 0;	/* truncated */
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

int
fc_region_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++)
		if (n >= 12 || s[n] < '0' || s[n] > '9')
			return 0;
	return n == 2 || n == 4 || n == 6 || n == 9 || n == 12;
}

int
fc_node_name_valid(const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;

	if (len == 0 || len > FC_NODE_NAME_MAX || !fc_utf8_valid(s, len))
		return 0;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x21 || c == 0x7f || c == '[' || c == ']' || c == '"' || c == '\\')
			return 0;
	}
	return 1;
}
