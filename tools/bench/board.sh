#!/usr/bin/env bash
# board.sh: `fenghuo board` over large stores: its memory and how fast it serves the duty
# page and the duty list. docs/BENCHMARKS.md, "Duty board", has the figures.
#
#   FENGHUO=build/tools/fenghuo FENGHUOD=build/node/fenghuod \
#       tools/bench/board.sh build/tests/cli/fh_mkbundle build/tools/bench/fenghuo-bench [N]
#
# Three stores, one after the other, each read by a board of its own without a daemon (the
# store is what it reads):
#   baseline   the county's certificates alone (`fenghuo-bench duty-store -n 0`): what the
#              board costs with nothing to list; the others are given as ratios to it too
#   county     a county's year, N messages (`duty-store -n N`): delivery receipts of hundreds
#              of expired warnings, closed reports, a few dozen open, a handful in force
#   worst      N reports all in the last hours, so all of them open (`fh_mkbundle many`,
#              imported): the worst case for the duty list
# For each: the board's RSS when it has started, the first /api/duty (it pays the
# signature checks; the board remembers those that verified), the median of the next 9,
# the median of 20 requests of the page (/), the size of /api/duty, the RSS after the
# requests and the peak (VmHWM).
set -euo pipefail
MKBUNDLE=${1:?usage: $0 path/to/fh_mkbundle path/to/fenghuo-bench [N]}
BENCH=${2:?usage: $0 path/to/fh_mkbundle path/to/fenghuo-bench [N]}
N=${3:-100000}
FH_DEADLINE=${FH_DEADLINE:-1800}
. "$(dirname "$0")/../../tests/integration/lib.sh"

# ms PATH: one request's time in ms
ms() {
	curl -s -o /dev/null -f -w '%{time_total}\n' "$base$1" | awk '{ printf "%.1f", $1 * 1000 }'
}

# median PATH K: the median of K request times in ms
median() {
	for _ in $(seq "$2"); do
		curl -s -o /dev/null -f -w '%{time_total}\n' "$base$1"
	done | sort -n | awk '{ t[NR] = $1 } END { printf "%.1f", (t[int((NR + 1) / 2)] + t[int(NR / 2) + 1]) / 2 * 1000 }'
}

kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$pid/status"; }

# measure LABEL STATE: start a board on STATE, measure, stop it; sets r_* for LABEL
measure() {
	local label=$1 state=$2 port
	_fh_alloc_port >"$FH_TMP/.port"
	port=$(cat "$FH_TMP/.port")
	"$FENGHUO" --state "$state" board --listen "127.0.0.1:$port" 2>"$FH_TMP/board-$label.log" &
	pid=$!
	bg_track $pid
	base=http://127.0.0.1:$port
	wait_for 60 "the board answers" curl -s -o /dev/null -f "$base/"
	r_rss0=$(kb VmRSS)
	r_first=$(ms /api/duty)
	r_duty=$(median /api/duty 9)
	r_page=$(median / 20)
	r_bytes=$(curl -s -f "$base/api/duty" | wc -c)
	r_rss1=$(kb VmRSS)
	r_hwm=$(kb VmHWM)
	r_open=$(curl -s -f "$base/metrics" | awk '$1 == "fenghuo_duty_open_reports" { print $2 }')
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	r_msgs=$({ "$FENGHUO" --state "$state" status --json 2>/dev/null || true; } |
		"$FH_PY" -c 'import json,sys; print(json.load(sys.stdin).get("messages", "?"))')
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }'; }

report() {
	local label=$1
	echo "$label: $r_msgs messages, $r_open open: /api/duty first ${r_first} ms, then ${r_duty} ms" \
		"(x$(ratio "$r_duty" "$b_duty") baseline), $r_bytes bytes; page ${r_page} ms" \
		"(x$(ratio "$r_page" "$b_page")); RSS start $((r_rss0 / 1024)) MiB," \
		"after $((r_rss1 / 1024)) MiB (x$(ratio "$r_rss1" "$b_rss1")), peak $((r_hwm / 1024)) MiB" \
		"(x$(ratio "$r_hwm" "$b_hwm"))"
	echo "store=$label n=$r_msgs open=$r_open duty_first_ms=$r_first duty_ms=$r_duty" \
		"duty_ratio=$(ratio "$r_duty" "$b_duty") duty_bytes=$r_bytes page_ms=$r_page" \
		"page_ratio=$(ratio "$r_page" "$b_page") rss_start_kb=$r_rss0 rss_after_kb=$r_rss1" \
		"rss_peak_kb=$r_hwm rss_after_ratio=$(ratio "$r_rss1" "$b_rss1")" \
		"rss_peak_ratio=$(ratio "$r_hwm" "$b_hwm")"
}

mkdir "$FH_TMP/baseline" "$FH_TMP/county"
"$BENCH" duty-store -n 0 "$FH_TMP/baseline" >/dev/null
"$BENCH" duty-store -n "$N" "$FH_TMP/county" >/dev/null
"$MKBUNDLE" many "$N" "$FH_TMP/many.fhb" >/dev/null
make_node c 330110
fh c import "$FH_TMP/many.fhb" >/dev/null

measure baseline "$FH_TMP/baseline"
b_duty=$r_duty b_page=$r_page b_rss1=$r_rss1 b_hwm=$r_hwm
report baseline
measure county "$FH_TMP/county"
report county
measure worst "$(node_state c)"
report worst
echo "load $(cut -d' ' -f1 /proc/loadavg)"
