/*
 * metrics_render.c: test helper, metrics_write() on a status object read from a file, so
 * that metrics.py can feed it names no daemon accepts (quotes, backslashes, newlines).
 */
#include <stdio.h>

#include <jansson.h>

#include "metrics.h"

int
main(int argc, char **argv)
{
	json_error_t e;
	json_t *st;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: metrics_render STATUS.json\n");
		return 64;
	}
	if ((st = json_load_file(argv[1], 0, &e)) == NULL) {
		fprintf(stderr, "%s:%d: %s\n", argv[1], e.line, e.text);
		return 65;
	}
	rc = metrics_write(stdout, st);
	json_decref(st);
	return rc == 0 ? 0 : 74;
}
