/*
 * metrics.h: the daemon's counters in the Prometheus text exposition format (version 0.0.4).
 *
 * The input is the object fenghuod answers to the "status" control request (docs/CLI.md,
 * `fenghuo status --json`); the output is what node_exporter's textfile collector reads and
 * what an HTTP /metrics endpoint serves. It depends on jansson and stdio only, so that any
 * process holding a status object (the CLI, a web board) renders exactly the same metrics.
 * The names, their types and help texts are listed in docs/CLI.md, "status --prometheus".
 */
#ifndef FH_METRICS_H
#define FH_METRICS_H

#include <stdio.h>

#include <jansson.h>

/* The Content-Type an HTTP server sends with metrics_write()'s output. */
#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/*
 * Write the metrics of the daemon status object st to out: a HELP and a TYPE line for each
 * family, then its samples. Counters end in _total; per-peer, per-reason and per-hook
 * values carry a label (peer, reason, hook) whose value is escaped as the format says
 * (backslash, double quote and newline; any other UTF-8, such as a Chinese peer name, is
 * kept). A value absent from st (an older daemon) is left out, never written as 0; a family
 * with no samples is left out whole. st is only read. Returns 0, or -1 if writing to out
 * failed (errno set by stdio).
 */
int	metrics_write(FILE *out, const json_t *st);

#endif /* FH_METRICS_H */
