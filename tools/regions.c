/*
 * regions.c: the names of region codes, from China's code table (the CSV files of data/regions: the
 * National Bureau of Statistics' provinces, cities, counties and townships; README.md says
 * where it comes from). Village names are not in it: they come from the node certificates.
 *
 * The table is looked up in $FENGHUO_REGIONS when that is set (and only there), else in the
 * installed share/fenghuo/regions, else in the source tree's data/regions (so that a build
 * tree and the tests find it). A missing or unreadable table is not an error: codes are
 * then shown without names. Each level's file is read on the first lookup that needs it
 * (streets.csv, 41k townships in 1.6 MB, only for township names), sorted once, and
 * searched by bisection.
 *
 * The files are data from outside: a line longer than RG_LINE_MAX, a code of the wrong
 * length, a name that is empty, too long, not UTF-8, not on one line or not closed by its
 * quote is skipped; whatever names remain are printed through cli_cell() like any foreign
 * text.
 *
 * The loaded levels are a read-only cache of installation data kept for the run of the
 * CLI (one short process), as the locale is: not state, so not hung off struct cli, which
 * the printing helpers that show regions do not take.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "fenghuo.h"

#define RG_LINE_MAX	512	/* the longest line read; real ones are under 100 bytes */
#define RG_NAME_MAX	96	/* bytes of a name (the longest real one has 30) */
#define RG_ENTRIES_MAX	200000	/* per file: 41k townships today */

struct rg_entry {
	uint64_t	 code;
	char		*name;
};

struct rg_level {
	const char	*file;
	size_t		 digits;
	struct rg_entry	*e;
	size_t		 n;
	int		 loaded;
};

static struct rg_level levels[] = {
	{ "provinces.csv", 2, NULL, 0, 0 },
	{ "cities.csv", 4, NULL, 0, 0 },
	{ "areas.csv", 6, NULL, 0, 0 },
	{ "streets.csv", 9, NULL, 0, 0 },
};
#define RG_NLEVELS	(sizeof(levels) / sizeof(levels[0]))

static const char *rg_dir;	/* the directory chosen, or NULL when none has the table */
static int rg_dir_chosen;

static int
dir_has_table(const char *dir)
{
	char path[4096];
	struct stat sb;

	if (snprintf(path, sizeof(path), "%s/%s", dir, levels[0].file) >= (int)sizeof(path))
		return 0;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* $FENGHUO_REGIONS, else the installed table, else the source tree's. */
static const char *
region_dir(void)
{
	const char *env;

	if (rg_dir_chosen)
		return rg_dir;
	rg_dir_chosen = 1;
	if ((env = getenv("FENGHUO_REGIONS")) != NULL)
		rg_dir = env[0] != '\0' && dir_has_table(env) ? env : NULL;
#ifdef FH_REGIONS_DIR
	else if (dir_has_table(FH_REGIONS_DIR))
		rg_dir = FH_REGIONS_DIR;
#endif
#ifdef FH_REGIONS_SRCDIR
	else if (dir_has_table(FH_REGIONS_SRCDIR))
		rg_dir = FH_REGIONS_SRCDIR;
#endif
	return rg_dir;
}

/*
 * One CSV line "code,name,..." (name quoted or not, "" inside quotes for a quote) into
 * *code and name (NUL-terminated, at most RG_NAME_MAX bytes). 0, or -1 for a line that is
 * malformed or has a code of another length than digits (the header too).
 */
static int
parse_line(const char *line, size_t digits, uint64_t *code, char *name)
{
	const char *p = line;
	size_t i, len = 0;

	*code = 0;
	for (i = 0; p[i] >= '0' && p[i] <= '9'; i++)
		*code = *code * 10 + (uint64_t)(p[i] - '0');
	if (i != digits || p[i] != ',')
		return -1;
	p += i + 1;
	if (*p == '"') {
		for (p++;; p++) {
			if (*p == '\0')
				return -1;	/* unterminated quote */
			if (*p == '"') {
				if (p[1] != '"')
					break;
				p++;
			}
			if ((unsigned char)*p < 0x20 || *p == 0x7f || len == RG_NAME_MAX)
				return -1;
			name[len++] = *p;
		}
		p++;
		if (*p != ',' && *p != '\0' && *p != '\n' && *p != '\r')
			return -1;
	} else {
		for (; *p != ',' && *p != '\0' && *p != '\n' && *p != '\r'; p++) {
			if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"' ||
			    len == RG_NAME_MAX)
				return -1;
			name[len++] = *p;
		}
	}
	name[len] = '\0';
	return len > 0 && fc_utf8_valid(name, len) ? 0 : -1;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct rg_entry *x = a, *y = b;

	return x->code < y->code ? -1 : x->code > y->code;
}

/* Read one level's file, once; on any failure the level simply stays empty. */
static void
level_load(struct rg_level *lv)
{
	char path[4096], line[RG_LINE_MAX + 2], name[RG_NAME_MAX + 1];
	struct rg_entry *e;
	const char *dir;
	uint64_t code;
	size_t cap = 0, len;
	int skipping = 0;
	FILE *fp;

	if (lv->loaded)
		return;
	lv->loaded = 1;
	if ((dir = region_dir()) == NULL ||
	    snprintf(path, sizeof(path), "%s/%s", dir, lv->file) >= (int)sizeof(path) ||
	    (fp = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		len = strlen(line);
		/* The rest of an overlong line is skipped with it. */
		if (len > 0 && line[len - 1] != '\n' && !feof(fp)) {
			skipping = 1;
			continue;
		}
		if (skipping) {
			skipping = 0;
			continue;
		}
		if (parse_line(line, lv->digits, &code, name) == -1)
			continue;
		if (lv->n == RG_ENTRIES_MAX)
			break;
		if (lv->n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((e = reallocarray(lv->e, cap, sizeof(*e))) == NULL)
				break;
			lv->e = e;
		}
		if ((lv->e[lv->n].name = strdup(name)) == NULL)
			break;
		lv->e[lv->n++].code = code;
	}
	fclose(fp);
	if (lv->n > 0)
		qsort(lv->e, lv->n, sizeof(*lv->e), entry_cmp);
}

static struct rg_level *
level_of(size_t digits)
{
	size_t i;

	for (i = 0; i < RG_NLEVELS; i++)
		if (levels[i].digits == digits)
			return &levels[i];
	return NULL;
}

int
cli_regions_available(void)
{
	return region_dir() != NULL;
}

const char *
cli_region_name(const char *code)
{
	struct rg_level *lv;
	struct rg_entry key, *hit;
	size_t i, len;

	if (code == NULL || (len = strlen(code)) == 0 || (lv = level_of(len)) == NULL)
		return NULL;
	key.code = 0;
	for (i = 0; i < len; i++) {
		if (code[i] < '0' || code[i] > '9')
			return NULL;
		key.code = key.code * 10 + (uint64_t)(code[i] - '0');
	}
	level_load(lv);
	if (lv->n == 0)
		return NULL;
	hit = bsearch(&key, lv->e, lv->n, sizeof(*lv->e), entry_cmp);
	return hit != NULL ? hit->name : NULL;
}

/*
 * The table's names for cities that are not places: the municipal districts' and counties'
 * groupings of a province-level city, and a province's directly administered counties.
 */
static int
placeholder(const char *name)
{
	return strcmp(name, "市辖区") == 0 || strcmp(name, "县") == 0 ||
	    strstr(name, "直辖县级行政区划") != NULL;
}

/*
 * The names of up to max levels that contain code, deepest first, into names (a city
 * level that is a placeholder skipped); their number.
 */
static size_t
region_names(const char *code, const char **names, size_t max)
{
	const char *s;
	char prefix[16];
	size_t i, len, found = 0;

	if (code == NULL || (len = strlen(code)) < 2 || len > 12)
		return 0;
	for (i = RG_NLEVELS; i-- > 0 && found < max;) {
		if (levels[i].digits > len)
			continue;
		memcpy(prefix, code, levels[i].digits);
		prefix[levels[i].digits] = '\0';
		if ((s = cli_region_name(prefix)) == NULL ||
		    (levels[i].digits == 4 && placeholder(s)))
			continue;
		names[found++] = s;
	}
	return found;
}

const char *
cli_region_deepest(const char *code)
{
	const char *name;

	return region_names(code, &name, 1) == 1 ? name : NULL;
}

const char *
cli_region_place(const char *code, char *buf, size_t size)
{
	const char *names[2];

	switch (region_names(code, names, 2)) {
	case 2:
		snprintf(buf, size, "%s %s", names[1], names[0]);
		break;
	case 1:
		snprintf(buf, size, "%s", names[0]);
		break;
	default:
		buf[0] = '\0';
		break;
	}
	return buf;
}
