#!/usr/bin/env bash
# exercise.sh: a drill crosses the mesh like a real warning and reads as a drill everywhere.
# The county issues a red warning with --status exercise; the village stores it and confirms
# its delivery like any other (a drill tests exactly that), but at the village it is left out
# of `list`, listed with `list --status exercise` marked [演练] (and so by watch and trace),
# and `duty` (and duty --follow, never highlighted) shows it under
# the heading of exercises and tests, never in force: "0 in force"; `watch` marks it too. A real warning issued
# after it is in force. At the county, duty --json calls it a drill-warning confirmed by the
# village.
#
#   c(330110) - v(330110109001)
set -euo pipefail
FH_DEADLINE=45
. "$(dirname "$0")/lib.sh"

make_node c 330110
make_node v 330110109001
link c v
start_node c
start_node v

# A watch at the village, live once a probe report written after it shows.
"$FENGHUO" --state "$(node_state v)" watch >"$FH_TMP/watch.out" 2>"$FH_TMP/watch.err" &
bg_track $!
k=0
probe_live() {
	grep -q "watch probe" "$FH_TMP/watch.out" && return 0
	k=$((k + 1))
	report v "watch probe $k" >/dev/null
	return 1
}
wait_for 20 "the watch showed a probe" probe_live
# ... and the duty screen (in a pipe: one drawing after another).
"$FENGHUO" --state "$(node_state v)" duty --follow >"$FH_TMP/follow.out" 2>"$FH_TMP/follow.err" &
bg_track $!
wait_for 20 "duty --follow drew its first screen" grep -q "^==== fenghuo duty --follow" \
	"$FH_TMP/follow.out"

xid=$(fh c warn --area 330110 --level red --event 暴雨 --title "演练: 暴雨红色预警" \
	--status exercise)
log "exercise warning $xid issued at the county"
wait_for 30 "the village holds the exercise" has_msg v "$xid"
# confirmed_at NAME WID KEY: NAME holds a DELIVERED receipt of WID signed by KEY.
confirmed_at() {
	fh "$1" show --json "$2" | "$FH_PY" -c 'import json, sys
rows = [json.loads(l) for l in sys.stdin]
sys.exit(0 if any(o.get("kind") == "receipt" and o.get("stage") == "delivered" and
                  o.get("author") == sys.argv[1] for o in rows[1:]) else 1)' "$3"
}
wait_for 30 "the county holds the village's receipt of the exercise" \
	confirmed_at c "$xid" "${FH_KEY[v]}"

wait_for 20 "the watch shows the exercise marked" \
	grep -q "${xid:0:12} .*演练: 暴雨红色预警 \[演练\]" "$FH_TMP/watch.out"
# The last drawing of duty --follow with the drill: under its heading, not in force, no NEW.
drawn() {
	"$FH_PY" - "$FH_TMP/follow.out" "${xid:0:12}" <<'PY'
import sys
blocks = open(sys.argv[1], encoding="utf-8").read().split("==== fenghuo duty --follow")
b = [b for b in blocks if sys.argv[2] in b]
if not b:
    sys.exit(1)
b = b[-1]
drills = b.split("Exercises and tests (演练 / 测试)")
assert len(drills) == 2 and sys.argv[2] in drills[1] and "[演练]" in drills[1], b
assert "\n0 in force" in b and "NEW" not in b, b
PY
}
wait_for 20 "duty --follow shows the drill apart" drawn
out=$(fh v list --kind warning)
if grep -q "${xid:0:12}" <<<"$out"; then fail "list at the village shows the drill: $out"; fi
out=$(fh v list --status exercise)
grep -q "${xid:0:12} .*演练: 暴雨红色预警 \[演练\]" <<<"$out" || fail "list --status: $out"
out=$(fh v show "$xid")
grep -q "^cap status  *exercise (演练" <<<"$out" || fail "show: $out"
duty=$(fh v duty)
grep -q "^0 in force" <<<"$duty" || fail "the exercise counts in force: $duty"
sed -n '/^Exercises and tests (演练 \/ 测试)/,$p' <<<"$duty" | grep "${xid:0:12}.*\[演练\]" >/dev/null ||
	fail "duty has no drill heading with the exercise: $duty"

# trace names it a drill too.
out=$(fh c trace "$xid" --timeout 3)
head -1 <<<"$out" | grep "^trace ${xid:0:12} \[演练\]: " >/dev/null || fail "trace: $out"
fh c trace "$xid" --timeout 3 --json | "$FH_PY" -c 'import json, sys
assert json.load(sys.stdin)["status"] == "exercise"' || fail "trace --json has no status"

wid=$(fh c warn --area 330110 --level blue --event 大风 --title "大风蓝色预警")
wait_for 30 "the village holds the real warning" has_msg v "$wid"
duty=$(fh v duty)
grep -q "^1 in force" <<<"$duty" || fail "the real warning is not in force: $duty"
sed -n '/^Warnings in force/,/in force$/p' <<<"$duty" | grep "${wid:0:12}" >/dev/null ||
	fail "the real warning is not under in force: $duty"

fh c duty --json | "$FH_PY" -c 'import json, sys
rows = {o["id"]: o for o in map(json.loads, sys.stdin)}
o = rows[sys.argv[1]]
assert o["duty"] == "drill-warning" and o["status"] == "exercise", o
assert sys.argv[2] in o["confirmed_by"], o' "$xid" "${FH_KEY[v]}" ||
	fail "county duty --json: $(fh c duty --json)"
log "ok"
