/*
 * bench_slowlink.c: `fenghuo-bench slowlink`, a county and a village on one paced UDP stream
 * link (2,400 bit/s by default), a backlog of reports, a red warning mid-transfer. The work
 * is in slowlink.sh (real fenghuod processes through tests/integration/lib.sh); see there
 * and docs/BENCHMARKS.md for what it reports.
 */
#include "bench.h"

static int
slowlink_run(int argc, char **argv)
{
	return bench_run_script("slowlink.sh", argc, argv);
}

const struct bench_cmd bench_slowlink = {
	"slowlink",
	"county -> village over a paced UDP stream link: a red warning and its receipt "
	    "through a backlog [-n reports] [-b bits/s] [-m mtu]",
	slowlink_run,
};
