#!/bin/bash
# duty.sh: `fenghuo duty`, the duty officer's view: open reports with their stage (closed
# ones gone, unregistered ones OVERDUE past the limit), warnings in force with the nodes
# that confirmed them (cancelled and superseded ones gone), --region, --json.
. "$(dirname "$0")/lib.sh"
MKBUNDLE=${2:?usage: $0 fenghuo fh_mkbundle}

S=$TMP/state
K2=$TMP/village2.key
fh "$S" keygen
expect_rc $EX_OK
fh "$S" keygen -o "$K2"
expect_rc $EX_OK
PUB2=$(cat "$TMP/out")

# Before any store: the same error as list.
fh "$TMP/none" duty
expect_rc $EX_NOINPUT

R1=$(new report --region 330110101001 --category flood --title "村口桥梁被淹")
R2=$(new report --region 330110101002 --category landslide --title "山体滑坡")
R3=$(new report --region 330110102001 --category fire --title "已扑灭的火情")
R4=$(new report --region 330220101001 --category flood --title "邻县的报告")
new receipt "$R2" --stage registered >/dev/null
new receipt "$R2" --stage handling --note "抢险队已出发" >/dev/null
new receipt "$R3" --stage registered >/dev/null
new receipt "$R3" --stage closed >/dev/null
W1=$(new warn --area 330110 --level red --event 暴雨 --title "暴雨红色预警")
W2=$(new warn --area 330110101 --level yellow --event 大风 --title "大风黄色预警")
new warn --area 330110101 --level yellow --event 大风 --title "取消" --msg-type cancel \
    --ref "$W2" >/dev/null
W3=$(new warn --area 330110102 --level orange --event 暴雨 --title "暴雨橙色预警")
W3U=$(new warn --area 330110102 --level red --event 暴雨 --title "升级为红色" \
    --msg-type update --ref "$W3")
# Two nodes confirm W1 (one of them twice: counted once).
new receipt "$W1" --stage delivered >/dev/null
fh "$S" --key "$K2" receipt "$W1" --stage delivered
expect_rc $EX_OK
fh "$S" --key "$K2" receipt "$W1" --stage delivered --note again
expect_rc $EX_OK

# ---- human format: everything overdue with --overdue 0s ----
fh "$S" duty --overdue 0s
expect_rc $EX_OK
grep -q "OVERDUE  ${R1:0:12}" "$TMP/out" || fail "R1 (unregistered) is not OVERDUE: $(cat "$TMP/out")"
grep -q "^ *${R2:0:12}.*handling" "$TMP/out" || fail "R2 should show handling, not overdue"
grep -q "${R3:0:12}" "$TMP/out" && fail "R3 is closed yet listed"
grep -q "3 open, 2 overdue" "$TMP/out" || fail "counts: $(cat "$TMP/out")"
grep -q "red .*${W1:0:12}.*confirmed by 2 nodes" "$TMP/out" || fail "W1 confirmations"
grep -q "${W2:0:12}" "$TMP/out" && fail "cancelled W2 is listed as in force"
grep -q "${W3:0:12}" "$TMP/out" && fail "superseded W3 is listed as in force"
grep -q "${W3U:0:12}.*update" "$TMP/out" || fail "the update W3U is not in force"
grep -q "^2 in force" "$TMP/out" || fail "warning count: $(cat "$TMP/out")"

# Nothing is overdue within a day; --region narrows both parts.
fh "$S" duty --overdue 1d
expect_rc $EX_OK
grep -q "^OVERDUE" "$TMP/out" && fail "overdue within a day: $(cat "$TMP/out")"
fh "$S" duty --region 330110101 --overdue 0s
expect_rc $EX_OK
grep -q "2 open, 1 overdue" "$TMP/out" || fail "--region reports: $(cat "$TMP/out")"
grep -q "${R4:0:12}" "$TMP/out" && fail "--region kept a report of another county"
grep -q "${W1:0:12}" "$TMP/out" || fail "--region lost the county-wide warning"

# ---- JSON ----
fh "$S" duty --json --overdue 0s
expect_rc $EX_OK
python3 - "$TMP/out" "$R1" "$R2" "$W1" "$PUB2" <<'PY' || fail "duty --json"
import json, sys
path, r1, r2, w1, pub2 = sys.argv[1:]
rows = [json.loads(l) for l in open(path, "rb")]
by = {o["id"]: o for o in rows}
assert by[r1]["duty"] == "report" and by[r1]["stage"] is None and by[r1]["overdue"] is True
assert by[r2]["stage"] == "handling" and by[r2]["overdue"] is False and by[r2]["stage_ms"] > 0
assert by[r1]["age_ms"] >= 0 and by[r1]["title"] == "村口桥梁被淹"
w = by[w1]
assert w["duty"] == "warning" and w["level"] == "red" and len(w["confirmed_by"]) == 2, w
assert pub2 in w["confirmed_by"]
assert sum(1 for o in rows if o["duty"] == "report") == 3
assert sum(1 for o in rows if o["duty"] == "warning") == 2
PY

# ---- a report that took 45 minutes to arrive (written offline, carried on a USB stick) ----
LATE=$("$MKBUNDLE" late "$TMP/late.fhb")
fh "$S" import "$TMP/late.fhb"
expect_rc $EX_OK
fh "$S" duty --overdue 1d
expect_rc $EX_OK
grep "${LATE:0:12}" "$TMP/out" | grep -q "\[arrived 45m after it was written\]" ||
	fail "the late report is not marked: $(cat "$TMP/out")"
[ "$(grep -c "after it was written" "$TMP/out")" -eq 1 ] || fail "more than one report marked late"
fh "$S" duty --json
python3 - "$TMP/out" "$LATE" "$R1" <<'PY' || fail "duty --json: transit_ms"
import json, sys
rows = {o["id"]: o for o in map(json.loads, open(sys.argv[1], "rb"))}
assert 45 * 60000 <= rows[sys.argv[2]]["transit_ms"] < 50 * 60000, rows[sys.argv[2]]
assert rows[sys.argv[3]]["transit_ms"] < 60000, rows[sys.argv[3]]
PY

# ---- bad arguments change nothing and say why ----
fh "$S" duty --overdue soon
expect_rc $EX_USAGE
expect_err "--overdue soon"
fh "$S" duty --since yesterday-ish
expect_rc $EX_USAGE
fh "$S" duty extra
expect_rc $EX_USAGE
echo "duty: ok"
