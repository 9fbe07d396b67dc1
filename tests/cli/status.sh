#!/bin/bash
# status.sh: CAP status on warnings and reports. `--status exercise|test|...` on warn and
# report; an unknown status is refused, by the CLI and by validation (a bundle); exercises
# and tests are marked 演练 / 测试 in list, show, duty (a heading of their own, never in
# force, never counted), the handover and coverage, and list leaves them out unless asked
# for (--status, --all), and with them the receipts for them. An update of a drill stays a
# drill.
. "$(dirname "$0")/lib.sh"
MKBUNDLE=${2:?usage: $0 fenghuo fh_mkbundle}

S=$TMP/state
fh "$S" keygen
expect_rc $EX_OK

W=$(new warn --area 330110 --level red --event 暴雨 --title "暴雨红色预警")
X=$(new warn --area 330110 --level red --event 暴雨 --title "演练: 暴雨红色预警" \
    --status exercise)
T=$(new report --region 330110101001 --category flood --title "测试报告" --status test)
R=$(new report --region 330110101001 --category flood --title "村口桥梁被淹")
A=$(new warn --area 330110 --level blue --event 大风 --title "明确为真" --status actual)

# Bad values: refused before anything is signed.
fh "$S" warn --area 330110 --level red --event 暴雨 --title x --status drill
expect_rc $EX_USAGE
expect_err "--status drill: one of actual, exercise, test, system, draft"
fh "$S" report --region 330110101001 --category flood --title x --status ""
expect_rc $EX_USAGE
# An unknown status number from elsewhere is rejected by validation: nothing stored.
before=$("$FENGHUO" --state "$S" list --all --json | wc -l)
"$MKBUNDLE" status "$S/node.key" 330110101001 9 "$TMP/bad.fhb" >/dev/null ||
	fail "fh_mkbundle status"
fh "$S" import "$TMP/bad.fhb"
expect_rc $EX_DATAERR
expect_out "rejected status: 1"
after=$("$FENGHUO" --state "$S" list --all --json | wc -l)
[ "$before" -eq "$after" ] || fail "a status of 9 was stored"
# ... and a known one from elsewhere is taken.
"$MKBUNDLE" status "$S/node.key" 330110101001 5 "$TMP/draft.fhb" >/dev/null ||
	fail "fh_mkbundle status 5"
fh "$S" import "$TMP/draft.fhb"
expect_rc $EX_OK
expect_out "new: 1"

# list: drills left out by default.
fh "$S" list
expect_rc $EX_OK
expect_out "${W:0:12}"
expect_out "${R:0:12}"
expect_out "${A:0:12}"
grep -q "${X:0:12}\|${T:0:12}\|演练\|测试\|草稿" "$TMP/out" &&
	fail "list shows a drill by default: $(cat "$TMP/out")"
# ... and so are the receipts for them; a receipt for a real warning is listed.
RX=$(new receipt "$X" --stage delivered)
RW=$(new receipt "$W" --stage delivered)
fh "$S" list
expect_out "${RW:0:12}"
grep -q "${RX:0:12}" "$TMP/out" && fail "list shows a drill's receipt: $(cat "$TMP/out")"
fh "$S" list --kind receipt --json
expect_out "$RW"
grep -q "$RX" "$TMP/out" && fail "list --kind receipt shows a drill's receipt"
fh "$S" list --all --kind receipt
expect_out "${RX:0:12}"
expect_out "${RW:0:12}"
fh "$S" list --status exercise
expect_rc $EX_OK
grep -q "${X:0:12} .*演练: 暴雨红色预警 \[演练\]" "$TMP/out" || fail "exercise: $(cat "$TMP/out")"
[ "$(wc -l <"$TMP/out")" -eq 1 ] || fail "--status exercise lists more: $(cat "$TMP/out")"
fh "$S" list --status test
expect_out "${T:0:12}"
expect_out "测试报告 [测试]"
fh "$S" list --status draft
expect_out "[草稿]"
fh "$S" list --status actual --kind warning
expect_out "${W:0:12}"
grep -q "${X:0:12}" "$TMP/out" && fail "--status actual lists the exercise"
fh "$S" list --all
for id in "$W" "$X" "$T" "$R" "$A"; do expect_out "${id:0:12}"; done
fh "$S" list --all --status exercise
expect_rc $EX_USAGE
fh "$S" list --status bogus
expect_rc $EX_USAGE
# The marked lines keep the columns: the region starts at one display column.
fh "$S" list --all
python3 - "$TMP/out" <<'PY' || fail "columns shift: $(cat "$TMP/out")"
import sys
starts = {line.index(" 3301") for line in open(sys.argv[1], encoding="utf-8")}
assert len(starts) == 1, starts
PY
# JSON says it in words.
fh "$S" list --all --json
python3 - "$TMP/out" "$X" "$W" "$T" <<'PY' || fail "json status: $(cat "$TMP/out")"
import json, sys
rows = {o["id"]: o for o in map(json.loads, open(sys.argv[1], encoding="utf-8"))}
assert rows[sys.argv[2]]["status"] == "exercise" and rows[sys.argv[2]]["status_mark"] == "演练"
assert rows[sys.argv[3]]["status"] == "actual" and "status_mark" not in rows[sys.argv[3]]
assert rows[sys.argv[4]]["status"] == "test" and rows[sys.argv[4]]["status_mark"] == "测试"
PY

# show
fh "$S" show "$X"
expect_rc $EX_OK
expect_out "cap status     exercise (演练: not a real message, never in force)"
fh "$S" show "$W"
expect_out "cap status     actual"

# An update of the exercise is part of the exercise.
XU=$(new warn --msg-type update --ref "$X" --title "演练: 升级")
fh "$S" list --status exercise
expect_out "${XU:0:12}"
fh "$S" show "$XU"
expect_out "exercise (演练"

# duty: their own heading, never in force, never counted.
fh "$S" duty --overdue 0s
expect_rc $EX_OK
sed -n '/^Warnings in force/,/in force$/p' "$TMP/out" >"$TMP/inforce"
grep -q "${W:0:12}" "$TMP/inforce" || fail "W not in force: $(cat "$TMP/out")"
grep -q "${X:0:12}\|${XU:0:12}\|演练" "$TMP/inforce" && fail "a drill in force: $(cat "$TMP/out")"
expect_out "2 in force"
expect_out "1 open, 1 overdue"
sed -n '/^Exercises and tests (演练 \/ 测试)/,$p' "$TMP/out" >"$TMP/drills"
grep -q "${XU:0:12}.*\[演练\]" "$TMP/drills" || fail "the exercise update: $(cat "$TMP/out")"
grep -q "${T:0:12}.*\[测试\]" "$TMP/drills" || fail "the test report: $(cat "$TMP/out")"
grep -q "OVERDUE" "$TMP/drills" && fail "a drill report is overdue: $(cat "$TMP/out")"
expect_out "3 exercise or test messages"
fh "$S" duty --json
python3 - "$TMP/out" "$XU" "$W" <<'PY' || fail "duty json: $(cat "$TMP/out")"
import json, sys
rows = {o["id"]: o for o in map(json.loads, open(sys.argv[1], encoding="utf-8"))}
assert rows[sys.argv[2]]["duty"] == "drill-warning", rows[sys.argv[2]]
assert rows[sys.argv[3]]["duty"] == "warning"
PY
fh "$S" duty --handover
expect_rc $EX_OK
grep -q "${X:0:12}.*not in force \[演练\]" "$TMP/out" || fail "handover: $(cat "$TMP/out")"
grep -q "${W:0:12}.*in force" "$TMP/out" || fail "handover W: $(cat "$TMP/out")"

# coverage names the drill too.
fh "$S" coverage "$X"
expect_rc $EX_OK
head -1 "$TMP/out" | grep -q "演练: 暴雨红色预警 \[演练\]" || fail "coverage: $(cat "$TMP/out")"
fh "$S" coverage "$X" --json
expect_out '"status":"exercise"'
exit 0
