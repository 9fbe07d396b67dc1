#!/bin/bash
# marks.sh: `list` and `show` mark a warning that a cancel or update refers to as
# [cancelled] or [superseded] (--json: in "flags", and "cancelled_by" / "superseded_by"),
# but only when that change counts: a cancel by another key whose areas do not cover the
# warning's (without trust anchors, what decides) marks nothing.
. "$(dirname "$0")/lib.sh"

S=$TMP/state
K2=$TMP/other.key
fh "$S" keygen
expect_rc $EX_OK
fh "$S" keygen -o "$K2"
expect_rc $EX_OK

W1=$(new warn --area 330110101 --level yellow --event 大风 --title "大风黄色预警")
C1=$(new warn --area 330110101 --level yellow --event 大风 --title "解除" --msg-type cancel \
    --ref "$W1")
W2=$(new warn --area 330110102 --level orange --event 暴雨 --title "暴雨橙色预警")
U2=$(new warn --area 330110102 --level red --event 暴雨 --title "升级为红色" \
    --msg-type update --ref "$W2")
new receipt "$W2" --stage delivered >/dev/null	# a receipt changes nothing
W3=$(new warn --area 330110103 --level blue --event 高温 --title "高温蓝色预警")
fh "$S" --key "$K2" warn --area 330110103001 --level blue --event 高温 --title "冒名解除" \
    --msg-type cancel --ref "$W3"
expect_rc $EX_OK

# ---- list ----
fh "$S" list --kind warning
expect_rc $EX_OK
grep -q "^${W1:0:12} .*大风黄色预警 \[cancelled\]$" "$TMP/out" || fail "W1 not [cancelled]"
grep -q "^${W2:0:12} .*暴雨橙色预警 \[superseded\]$" "$TMP/out" || fail "W2 not [superseded]"
grep -q "^${W3:0:12} .*高温蓝色预警$" "$TMP/out" || fail "W3 marked by a cancel that does not count"
grep -q "^${U2:0:12} .*升级为红色$" "$TMP/out" || fail "the update itself is marked"
grep -q "^${C1:0:12} .*解除$" "$TMP/out" || fail "the cancel itself is marked"

fh "$S" list --kind warning --json
expect_rc $EX_OK
json_lines "$TMP/out"
python3 - "$TMP/out" "$W1" "$C1" "$W2" "$U2" "$W3" <<'PY' || fail "list --json marks"
import json, sys
objs = {o["id"]: o for o in map(json.loads, open(sys.argv[1], "rb"))}
w1, c1, w2, u2, w3 = sys.argv[2:7]
assert "cancelled" in objs[w1]["flags"] and objs[w1]["cancelled_by"] == c1, objs[w1]
assert "superseded" in objs[w2]["flags"] and objs[w2]["superseded_by"] == u2, objs[w2]
for i in (w3, u2, c1):
    o = objs[i]
    assert "cancelled" not in o["flags"] and "superseded" not in o["flags"], o
    assert "cancelled_by" not in o and "superseded_by" not in o, o
PY

# ---- show ----
fh "$S" show "$W1"
expect_rc $EX_OK
grep -q "^status  *\[cancelled\] by $C1$" "$TMP/out" || fail "show W1: $(cat "$TMP/out")"
fh "$S" show "$W2"
expect_rc $EX_OK
grep -q "^status  *\[superseded\] by $U2$" "$TMP/out" || fail "show W2: $(cat "$TMP/out")"
fh "$S" show "$W3"
expect_rc $EX_OK
grep -q "^status" "$TMP/out" && fail "show W3 is marked: $(cat "$TMP/out")"
fh "$S" show "$W2" --json
expect_rc $EX_OK
python3 - "$TMP/out" "$U2" <<'PY' || fail "show --json W2"
import json, sys
o = json.loads(open(sys.argv[1], "rb").readline())
assert "superseded" in o["flags"] and o["superseded_by"] == sys.argv[2], o
PY
fh "$S" show "$W3" --json
expect_rc $EX_OK
python3 - "$TMP/out" <<'PY' || fail "show --json W3"
import json, sys
o = json.loads(open(sys.argv[1], "rb").readline())
assert "cancelled" not in o["flags"] and "cancelled_by" not in o, o
PY
echo "marks: ok"
