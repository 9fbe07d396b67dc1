/*
 * hex.c: ids and keys as hex text, and the id prefixes accepted on the command line.
 *
 * Hand-written rather than sodium_bin2hex/sodium_hex2bin because the parser must be strict:
 * exactly the expected number of digits, nothing before, between or after them.
 */
#include <string.h>

#include "crypto.h"

char *
fc_hex(const uint8_t *bin, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[bin[i] >> 4];
		out[2 * i + 1] = digits[bin[i] & 0xf];
	}
	out[2 * len] = '\0';
	return out;
}

/* Value of one hex digit, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
fc_unhex(const char *hex, uint8_t *bin, size_t len)
{
	size_t i;
	int hi, lo;

	if (hex == NULL || strlen(hex) != 2 * len)
		return FC_EHEX;
	for (i = 0; i < len; i++) {
		if ((hi = hexval(hex[2 * i])) < 0 || (lo = hexval(hex[2 * i + 1])) < 0)
			return FC_EHEX;
		bin[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
fc_is_id_prefix(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++)
		if (n >= 2 * FC_IDBYTES || hexval(s[n]) < 0)
			return 0;
	return n >= 8;
}
