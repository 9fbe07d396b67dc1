/*
 * bench.c: fenghuo-bench, the benchmark driver. Dispatches to the subcommand named on the
 * command line through one table, so that each benchmark lives in its own file.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static const struct bench_cmd *const cmds[] = {
	&bench_ingest,
	&bench_reconcile,
	&bench_dissemination,
	&bench_throughput,
	&bench_startup,
	&bench_slowlink,
	&bench_county,
	&bench_receipt,
	&bench_dissem_probe,
	&bench_tput_prefill,
	&bench_tput_probe,
	&bench_startup_fill,
	&bench_startup_probe,
	&bench_dutystore,
};

#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

uint64_t
bench_mono_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
bench_cpu_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
bench_wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

char *
bench_tmpdir(const char *tag)
{
	const char	*base = getenv("TMPDIR");
	char		*dir;
	size_t		 len;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	len = strlen(base) + strlen(tag) + sizeof("/fh-bench-.XXXXXX");
	if ((dir = malloc(len)) == NULL)
		return NULL;
	snprintf(dir, len, "%s/fh-bench-%s.XXXXXX", base, tag);
	if (mkdtemp(dir) == NULL) {
		free(dir);
		return NULL;
	}
	return dir;
}

void
bench_rmdir(char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		*path;
	size_t		 len;

	if (dir == NULL)
		return;
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			len = strlen(dir) + strlen(de->d_name) + 2;
			if ((path = malloc(len)) == NULL)
				continue;
			snprintf(path, len, "%s/%s", dir, de->d_name);
			unlink(path);
			free(path);
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}

static void
usage(FILE *f)
{
	size_t	 i;

	fprintf(f, "usage: fenghuo-bench <benchmark> [options]\n\nbenchmarks:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-14s %s\n", cmds[i]->name, cmds[i]->help);
}

int
main(int argc, char **argv)
{
	size_t	 i;

	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < NCMDS; i++)
		if (strcmp(argv[1], cmds[i]->name) == 0)
			return cmds[i]->run(argc - 1, argv + 1);
	fprintf(stderr, "fenghuo-bench: unknown benchmark '%s'\n", argv[1]);
	usage(stderr);
	return EX_USAGE;
}
