#!/usr/bin/env bash
# throughput.sh: the shell half of `fenghuo-bench throughput` (run it through fenghuo-bench,
# which sets FENGHUOD, FENGHUO, FH_BENCH and FH_LIB).
#
# Three fenghuod processes on 127.0.0.1, A - B - C, set up by tests/integration/lib.sh (private
# ports, one mktemp -d, everything stopped and removed on any exit). A's store is filled with
# N signed messages before it starts; A and C start; the probe measures raw verification;
# then B starts empty, links up with both, takes all N from A by reconciliation and push,
# stores them and forwards them to C (bench_throughput.c).
#
#   fenghuo-bench throughput [-n messages]
set -euo pipefail

N=20000
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift 2 ;;
	*) echo "usage: fenghuo-bench throughput [-n messages]" >&2; exit 64 ;;
	esac
done
: "${FH_BENCH:?run this through fenghuo-bench throughput}"

FH_DEADLINE=${FH_DEADLINE:-400}
# shellcheck source=../../tests/integration/lib.sh
. "${FH_LIB:?}"
FH_SYNC_INTERVAL=60

make_node A 510722100001
make_node B 510722100
make_node C 510722100002
link A B
link B C

t=$SECONDS
"$FH_BENCH" _tput-prefill "$(node_state A)" "$FH_TMP/msgs.bin" "$N"
log "$N messages signed and written into A's store in $((SECONDS - t)) s"

# A (full) and C (empty) first; B, empty, starts once the probe is ready, links up with both,
# and takes the stream.
start_node A
start_node C
"$FH_BENCH" _tput-probe "$FH_TMP/msgs.bin" "$(node_state A)" "$(node_state B)" \
	"$(node_state C)" "$FH_TMP/ready" >"$FH_TMP/probe.out" 2>&1 &
probe=$!
bg_track "$probe"
wait_for 120 "the probe measured verification" test -e "$FH_TMP/ready"
start_node B
rc=0
wait "$probe" || rc=$?
[ "$rc" -eq 0 ] || { cat "$FH_TMP/probe.out"; fail "the probe failed"; }
for n in A B C; do
	stop_node "$n"
done
cat "$FH_TMP/probe.out"
