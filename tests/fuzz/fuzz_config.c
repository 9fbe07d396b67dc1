/*
 * fuzz_config.c: the daemon's config-file parser, conf_load() (node/config.c).
 *
 * The input is the file's contents. conf_load() reads a path, so each input is written to
 * one file in the private temporary directory first (tmpfs when there is one). The target
 * checks the contract in node.h and docs/CONFIG.md: 0 with a config, or the number of
 * errors with none, every error is one "path:line: message" line on errf (and a valid file
 * prints nothing), and everything in an accepted config has passed its validation (names,
 * region, endpoints, sync interval, log level, distinct peer keys).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "node.h"

static char	*conf_path;

static void
path_free(void)
{
	free(conf_path);
	conf_path = NULL;
}

static void
check_conf(const struct conf *c)
{
	size_t i, j;

	FUZZ_CHECK(c->name != NULL && c->region != NULL && c->keypath != NULL &&
	    c->state != NULL);
	FUZZ_CHECK(fc_region_valid(c->region));
	FUZZ_CHECK(c->sync_interval >= 1 && c->sync_interval <= CONF_SYNC_MAX);
	FUZZ_CHECK(c->log_level >= LOG_LEVEL_DEBUG && c->log_level <= LOG_LEVEL_ERROR);
	FUZZ_CHECK(c->nlisten == 0 || c->listen != NULL);
	for (i = 0; i < c->nlisten; i++)
		FUZZ_CHECK(c->listen[i] != NULL && conf_endpoint_valid(c->listen[i], 1));
	FUZZ_CHECK(c->npeers == 0 || c->peers != NULL);
	for (i = 0; i < c->npeers; i++) {
		FUZZ_CHECK(c->peers[i].name != NULL && c->peers[i].address != NULL);
		FUZZ_CHECK(strlen(c->peers[i].name) <= NODE_NAME_MAX);
		FUZZ_CHECK(conf_endpoint_valid(c->peers[i].address, 0));
		for (j = 0; j < i; j++)
			FUZZ_CHECK(memcmp(c->peers[i].key, c->peers[j].key,
			    FC_PUBLICKEYBYTES) != 0);
	}
	/* Anchors are kept once each (a repeated key is refused). */
	FUZZ_CHECK(c->nanchors == 0 || c->anchors != NULL);
	for (i = 0; i < c->nanchors; i++)
		for (j = 0; j < i; j++)
			FUZZ_CHECK(memcmp(c->anchors[i], c->anchors[j], FC_PUBLICKEYBYTES) != 0);
	FUZZ_CHECK(c->nannounce == 0 || c->announce != NULL);
	for (i = 0; i < c->nannounce; i++)
		FUZZ_CHECK(c->announce[i] != NULL);
}

/* Every line of the error output is "path:..."; returns the number of lines. */
static size_t
check_errors(const char *out, size_t len)
{
	size_t plen = strlen(conf_path), lines = 0;
	const char *p = out, *nl;

	while (p < out + len) {
		FUZZ_CHECK((nl = memchr(p, '\n', (size_t)(out + len - p))) != NULL);
		FUZZ_CHECK((size_t)(nl - p) > plen && memcmp(p, conf_path, plen) == 0 &&
		    p[plen] == ':');
		lines++;
		p = nl + 1;
	}
	return lines;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c = NULL;
	char *errbuf = NULL;
	size_t errlen = 0, len;
	FILE *fp, *errf;
	int rc;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (conf_path == NULL) {
		len = strlen(fuzz_tmpdir()) + sizeof("/fenghuod.conf");
		if ((conf_path = malloc(len)) == NULL)
			fuzz_fail(__FILE__, __LINE__, "malloc");
		snprintf(conf_path, len, "%s/fenghuod.conf", fuzz_tmpdir());
		atexit(path_free);
	}
	FUZZ_CHECK((fp = fopen(conf_path, "wb")) != NULL);
	FUZZ_CHECK(size == 0 || fwrite(data, 1, size, fp) == size);
	FUZZ_CHECK(fclose(fp) == 0);
	FUZZ_CHECK((errf = open_memstream(&errbuf, &errlen)) != NULL);

	rc = conf_load(conf_path, errf, &c);
	FUZZ_CHECK(fclose(errf) == 0);
	FUZZ_CHECK(rc >= 0);
	if (rc == 0) {
		FUZZ_CHECK(c != NULL);
		FUZZ_CHECK(errlen == 0);
		check_conf(c);
		conf_free(&c);
		FUZZ_CHECK(c == NULL);
	} else {
		FUZZ_CHECK(c == NULL);
		FUZZ_CHECK(check_errors(errbuf, errlen) == (size_t)rc);
	}
	free(errbuf);
	return 0;
}
