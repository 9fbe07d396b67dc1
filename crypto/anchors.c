/*
 * anchors.c: the anchors file, the list of trust anchors (county root public keys) kept in
 * <state>/anchors, which `fenghuo init-county` appends to and both fenghuod and the CLI read
 * (docs/TRUST.md, docs/CONFIG.md [trust]).
 *
 * The format: one key per line as 64 hex digits; '#' starts a comment, and a comment on a
 * key's own line is that key's name; blanks around either are ignored. This is the one
 * reader of the file, so that the daemon and the CLI can never disagree about which keys it
 * names. Like the key files (key.c), it is read here; errors come back as a code and a
 * "file:line: message" string for the caller to print.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * One line: modified in place; *text is set to the line without comment and blanks, *name
 * to the trimmed comment or NULL. Returns 1 and fills key for a key line, 0 for a line
 * without a key (blank or comment only), -1 when *text is not a public key.
 */
static int
anchor_line(char *line, uint8_t key[FC_PUBLICKEYBYTES], char **text, char **name)
{
	char *hash, *p;

	*name = NULL;
	if ((hash = strchr(line, '#')) != NULL) {
		*hash = '\0';
		*name = trim(hash + 1);
	}
	*text = p = trim(line);
	if (*p == '\0')
		return 0;
	if (strlen(p) != 2 * FC_PUBLICKEYBYTES || fc_unhex(p, key, FC_PUBLICKEYBYTES) != 0)
		return -1;
	return 1;
}

static void __attribute__((format(printf, 3, 4)))
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Append key (and name, when names is kept) unless listed already. 0 or FC_ENOMEM. */
static int
anchors_push(uint8_t (**keys)[FC_PUBLICKEYBYTES], char ***names, size_t *n,
    const uint8_t key[FC_PUBLICKEYBYTES], const char *name)
{
	uint8_t (*k)[FC_PUBLICKEYBYTES];
	char **nm;
	size_t i;

	for (i = 0; i < *n; i++)
		if (memcmp((*keys)[i], key, FC_PUBLICKEYBYTES) == 0)
			return 0;
	if ((k = reallocarray(*keys, *n + 1, sizeof(*k))) == NULL)
		return FC_ENOMEM;
	*keys = k;
	if (names != NULL) {
		if ((nm = reallocarray(*names, *n + 1, sizeof(*nm))) == NULL)
			return FC_ENOMEM;
		*names = nm;
		nm[*n] = NULL;
		if (name != NULL && name[0] != '\0' && (nm[*n] = strdup(name)) == NULL)
			return FC_ENOMEM;
	}
	memcpy(k[*n], key, FC_PUBLICKEYBYTES);
	(*n)++;
	return 0;
}

int
fc_anchors_read(const char *path, uint8_t (**keys)[FC_PUBLICKEYBYTES], char ***names,
    size_t *n, char *err, size_t errlen)
{
	char line[FC_ANCHORS_LINE_MAX + 2], *text, *name;
	uint8_t key[FC_PUBLICKEYBYTES];
	size_t n0 = *n, len;
	unsigned lineno = 0;
	FILE *fp;
	int rc = 0;

	errf(err, errlen, "%s", "");
	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;	/* no file: no anchors, nothing is trusted */
		rc = errno;
		errf(err, errlen, "%s: %s", path, strerror(rc));
		return rc;
	}
	errno = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (len > FC_ANCHORS_LINE_MAX) {
			errf(err, errlen, "%s:%u: line too long", path, lineno);
			rc = FC_EANCHORS;
			break;
		}
		if ((rc = anchor_line(line, key, &text, &name)) == 0)
			continue;
		if (rc < 0) {
			errf(err, errlen, "%s:%u: not a public key (64 hex digits): %s", path,
			    lineno, text);
			rc = FC_EANCHORS;
			break;
		}
		if ((rc = anchors_push(keys, names, n, key, name)) != 0) {
			errf(err, errlen, "%s: %s", path, fc_strerror(rc));
			break;
		}
	}
	if (rc == 0 && ferror(fp)) {
		rc = errno != 0 ? errno : EIO;
		errf(err, errlen, "%s: %s", path, strerror(rc));
	}
	fclose(fp);
	if (rc != 0) {
		/* Nothing half-read: the keys appended so far go again. */
		if (names != NULL)
			while (*n > n0)
				free((*names)[--*n]);
		*n = n0;
	}
	return rc;
}
