/*
 * replay.c: the main of a fuzz target when it is not built with libFuzzer.
 *
 * `replay_<target> DIR...` runs LLVMFuzzerTestOneInput once over every regular file of each
 * DIR (not recursing; names starting with '.' are skipped) and prints how many it ran. A
 * DIR that does not exist is skipped with a note (an empty regress/<target>/ is not kept in
 * git). A crash, a sanitizer report or a broken invariant aborts, which fails the ctest; the
 * file being run is printed first, so the failing input is named. A plain file given as
 * argument is run too, to reproduce one input.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* Read path and run it. 0, or -1 when it cannot be read. */
static int
run_file(const char *path)
{
	FILE *fp;
	uint8_t *buf;
	long size;
	size_t got;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(fp, 0, SEEK_END) == -1 || (size = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) == -1) {
		fprintf(stderr, "replay: %s: cannot size\n", path);
		fclose(fp);
		return -1;
	}
	/* One spare byte, so that an empty file still gets a valid pointer. */
	if ((buf = malloc((size_t)size + 1)) == NULL) {
		fprintf(stderr, "replay: %s: out of memory\n", path);
		fclose(fp);
		return -1;
	}
	got = fread(buf, 1, (size_t)size, fp);
	fclose(fp);
	if (got != (size_t)size) {
		fprintf(stderr, "replay: %s: short read\n", path);
		free(buf);
		return -1;
	}
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, got);
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every regular file of dir in name order. Returns files run, or -1 on an error. */
static long
run_dir(const char *dir)
{
	struct dirent *de;
	struct stat sb;
	char **names = NULL, **grown, *path;
	size_t n = 0, cap = 0, i, len;
	long ran = 0;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL) {
		if (errno == ENOENT) {
			fprintf(stderr, "replay: %s: does not exist, skipped\n", dir);
			return 0;
		}
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((grown = realloc(names, cap * sizeof(*names))) == NULL)
				goto oom;
			names = grown;
		}
		len = strlen(dir) + strlen(de->d_name) + 2;
		if ((path = malloc(len)) == NULL)
			goto oom;
		snprintf(path, len, "%s/%s", dir, de->d_name);
		names[n++] = path;
	}
	closedir(dp);
	/* Name order: the same run order everywhere, so a failure reproduces. */
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		if (stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
			if (run_file(names[i]) == -1)
				ran = -1;
			else if (ran >= 0)
				ran++;
		}
		free(names[i]);
	}
	free(names);
	return ran;
oom:
	fprintf(stderr, "replay: %s: out of memory\n", dir);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dp);
	return -1;
}

int
main(int argc, char **argv)
{
	struct stat sb;
	long ran, total = 0;
	int i, failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 64;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
			if (run_file(argv[i]) == -1)
				failed = 1;
			else
				total++;
			continue;
		}
		if ((ran = run_dir(argv[i])) < 0)
			failed = 1;
		else
			total += ran;
	}
	printf("replay: %ld inputs run\n", total);
	return failed ? 1 : 0;
}
