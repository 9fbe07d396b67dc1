/*
 * bench_county.c: `fenghuo-bench county`, a whole county (1 + 10 + 100 certified nodes by
 * default) on one machine: a red warning issued at the county centre, the time until every
 * node holds it, the time until every node's delivery receipt is back at the county, and
 * the bytes those receipts cost. The work is in county.sh (real fenghuod processes through
 * tests/integration/lib.sh); see there and docs/BENCHMARKS.md for what it reports.
 */
#include "bench.h"

static int
county_run(int argc, char **argv)
{
	return bench_run_script("county.sh", argc, argv);
}

const struct bench_cmd bench_county = {
	"county",
	"a whole county on this machine: a red warning to every node and its receipts back "
	    "[-t townships] [-v villages per township]",
	county_run,
};
