/*
 * anchors.c: one line of an anchors file, the list of trust anchors (county root public keys)
 * kept in <state>/anchors, which `fenghuo init-county` appends to and both fenghuod and the
 * CLI read (docs/TRUST.md, docs/CONFIG.md [trust]).
 *
 * The format: one key per line as 64 hex digits; '#' starts a comment, and a comment on a
 * key's own line is that key's name; blanks around either are ignored. The file itself is
 * read by the callers (crypto/ does no I/O); this is the one parser of a line, so that the
 * daemon and the CLI can never disagree about which keys a file names.
 */
#include <ctype.h>
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

int
fc_anchor_line(char *line, uint8_t key[FC_PUBLICKEYBYTES], char **text, char **name)
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
