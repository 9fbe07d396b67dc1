#!/usr/bin/env bash
# loops_count.sh: the duty list's counts taken from the store's loops tree equal the full
# judgement. Over a county's year with over a thousand open reports (`fenghuo-bench
# duty-store -r 1400`: open reports at every stage in every township, closed ones, one closed
# by a verifier of another township, which does not count, exercises, warnings in force),
# the board's /metrics, which declines every item and so counts each report no loop receipt
# refers to from its loops entry alone, gives the counts that `fenghuo duty` gives when it
# reads and judges every report (its text summary lines, and its --json items).
set -euo pipefail
FH_DEADLINE=55
. "$(dirname "$0")/lib.sh"
: "${FH_BENCH:?FH_BENCH: the fenghuo-bench binary}"

S=$FH_TMP/county
mkdir "$S"
"$FH_BENCH" duty-store -n 6000 -r 1400 -s 11 "$S" >"$FH_TMP/expect"
"$FENGHUO" --state "$S" duty >"$FH_TMP/cli.txt"
"$FENGHUO" --state "$S" duty --json >"$FH_TMP/cli.json"

start_board "$S" 0
base=$BOARD_URL
curl -s -f "$base/metrics" >"$FH_TMP/metrics" || fail "/metrics"

"$FH_PY" - "$FH_TMP/expect" "$FH_TMP/cli.txt" "$FH_TMP/cli.json" "$FH_TMP/metrics" <<'PY' ||
import json, re, sys
expect, txt, js, metrics = sys.argv[1:5]
m = {}
for line in open(metrics):
    if line.startswith("fenghuo_duty_"):
        k, v = line.split()
        m[k] = int(v)
items = [json.loads(l) for l in open(js)]
full = {
    "fenghuo_duty_open_reports": sum(1 for o in items if o["duty"] == "report"),
    "fenghuo_duty_overdue_reports": sum(1 for o in items if o["duty"] == "report" and o["overdue"]),
    "fenghuo_duty_warnings_in_force": sum(1 for o in items if o["duty"] == "warning"),
    "fenghuo_duty_exercise_items": sum(1 for o in items if o["duty"].startswith("drill-")),
}
if m != full:
    sys.exit("/metrics %r, duty --json %r" % (m, full))
t = open(txt).read()
mo = re.search(r"^(\d+) open, (\d+) overdue$", t, re.M)
mi = re.search(r"^(\d+) in force$", t, re.M)
if not mo or not mi or (int(mo.group(1)), int(mo.group(2)), int(mi.group(1))) != (
        m["fenghuo_duty_open_reports"], m["fenghuo_duty_overdue_reports"],
        m["fenghuo_duty_warnings_in_force"]):
    sys.exit("duty's text counts differ from /metrics %r" % m)
nopen = sum(1 for l in open(expect) if l.startswith("open "))
if m["fenghuo_duty_open_reports"] != nopen or nopen <= 1000:
    sys.exit("%d open reports, duty-store says %d" % (m["fenghuo_duty_open_reports"], nopen))
if m["fenghuo_duty_overdue_reports"] == 0 or m["fenghuo_duty_exercise_items"] == 0:
    sys.exit("no overdue report or no exercise: %r" % m)
PY
	fail "counts (board log: $(cat "$FH_TMP/board.log"))"
log "ok"
