#!/usr/bin/env bash
# board.sh: `fenghuo board` over a large store: its memory and how fast it serves the duty
# page and the duty list. docs/BENCHMARKS.md, "Duty board", has the figures.
#
#   FENGHUO=build/tools/fenghuo FENGHUOD=build/node/fenghuod \
#       tools/bench/board.sh build/tests/cli/fh_mkbundle [N]
#
# N reports (`fh_mkbundle many`: all in the last hours, so all of them open: the worst case
# for the duty list) imported directly into a node's store; the board runs on it without a
# daemon (the store is what it reads). Requests of the page (/, 20) and of /api/duty (5, at
# most 1000 items of each kind: the rest are counted in "omitted"): the median time of each,
# the size of /api/duty, and the board's peak RSS (VmHWM).
set -euo pipefail
MKBUNDLE=${1:?usage: $0 path/to/fh_mkbundle [N]}
N=${2:-100000}
FH_DEADLINE=${FH_DEADLINE:-900}
. "$(dirname "$0")/../../tests/integration/lib.sh"

"$MKBUNDLE" many "$N" "$FH_TMP/many.fhb" >/dev/null
make_node c 330110
fh c import "$FH_TMP/many.fhb" >/dev/null
_fh_alloc_port >"$FH_TMP/.port"
port=$(cat "$FH_TMP/.port")
"$FENGHUO" --state "$(node_state c)" board --listen "127.0.0.1:$port" 2>"$FH_TMP/board.log" &
pid=$!
bg_track $pid
base=http://127.0.0.1:$port
wait_for 60 "the board answers" curl -s -o /dev/null -f "$base/"
rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")

# median PATH K: the median of K request times in ms
median() {
	for _ in $(seq "$2"); do
		curl -s -o /dev/null -f -w '%{time_total}\n' "$base$1"
	done | sort -n | awk '{ t[NR] = $1 } END { printf "%.1f", (t[int((NR + 1) / 2)] + t[int(NR / 2) + 1]) / 2 * 1000 }'
}
page=$(median / 20)
duty=$(median /api/duty 5)
bytes=$(curl -s -f "$base/api/duty" | wc -c)
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
open=$(curl -s -f "$base/metrics" | awk '$1 == "fenghuo_duty_open_reports" { print $2 }')
echo "board over $N reports ($open open): page ${page} ms, /api/duty ${duty} ms ($bytes bytes), RSS at start $((rss0 / 1024)) MiB, peak $((hwm / 1024)) MiB, load $(cut -d' ' -f1 /proc/loadavg)"
echo "n=$N open=$open page_ms=$page duty_ms=$duty duty_bytes=$bytes rss_start_kb=$rss0 rss_peak_kb=$hwm"
