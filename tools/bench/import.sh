#!/usr/bin/env bash
# import.sh: `fenghuo import` of N messages written directly into a store (no daemon) and
# through a running fenghuod (control requests of up to 1024 envelopes, one commit each).
# docs/BENCHMARKS.md, "Import", has the figures.
#
#   FENGHUO=build/tools/fenghuo FENGHUOD=build/node/fenghuod \
#       tools/bench/import.sh build/tests/cli/fh_mkbundle [N]
#
# Both stores start empty, in [trust] open = yes (no anchors: the same work for both paths);
# the nodes of tests/integration/lib.sh (private ports, one mktemp -d, removed at the end).
set -euo pipefail
MKBUNDLE=${1:?usage: $0 path/to/fh_mkbundle [N]}
N=${2:-100000}
FH_DEADLINE=${FH_DEADLINE:-900}
. "$(dirname "$0")/../../tests/integration/lib.sh"

"$MKBUNDLE" many "$N" "$FH_TMP/many.fhb" >/dev/null
make_node direct 330110
make_node daemon 330110

now() { date +%s.%N; }
t0=$(now)
fh direct import "$FH_TMP/many.fhb" >"$FH_TMP/direct.out"
t1=$(now)
grep -q "^new: $N$" "$FH_TMP/direct.out" || fail "direct: $(cat "$FH_TMP/direct.out")"

start_node daemon
c0=$(status_field daemon commits)
t2=$(now)
fh daemon import "$FH_TMP/many.fhb" >"$FH_TMP/daemon.out"
t3=$(now)
grep -q "^new: $N$" "$FH_TMP/daemon.out" || fail "daemon: $(cat "$FH_TMP/daemon.out")"
c1=$(status_field daemon commits)

awk -v n="$N" -v d="$(echo "$t1 - $t0" | bc)" -v f="$(echo "$t3 - $t2" | bc)" \
    -v c="$((c1 - c0))" -v l="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
	printf "import of %d messages: direct %.1f s (%.0f/s), through fenghuod %.1f s (%.0f/s, %d commits), ratio %.2f, load %s\n",
	    n, d, n / d, f, n / f, c, f / d, l
	printf "n=%d direct_s=%.2f daemon_s=%.2f commits=%d ratio=%.2f load=%s\n", n, d, f, c, f / d, l
}'
