#!/bin/bash
# chinese.sh: Chinese text in tables. Columns are padded by display width (a CJK character
# takes two columns), so that categories and regions line up whatever the text; a category
# wider than its column is cut with an ellipsis; a title holding a newline (signed elsewhere:
# the CLI refuses one) stays on one line in list, duty and show. An update or cancel takes
# area, level and event from the warning it refers to.
. "$(dirname "$0")/lib.sh"
MKBUNDLE=${2:?usage: $0 fenghuo fh_mkbundle}

S=$TMP/state
fh "$S" keygen
expect_rc $EX_OK
for c in fire 森林火灾 洪水 地质灾害滑坡泥石流 mixed混合; do
	fh "$S" report --region 330110101001 --category "$c" --title "标题 $c 村口桥梁被淹"
	expect_rc $EX_OK
done
FORGED=$'河水漫堤\nOVERDUE  0123456789ab  2026-01-01 00:00  1d00h  unregistered'
"$MKBUNDLE" titled "$S/node.key" 330110101001 "$FORGED" "" "$TMP/nl.fhb" >/dev/null ||
	fail "fh_mkbundle titled"
fh "$S" import "$TMP/nl.fhb"
expect_rc $EX_OK
expect_out "new: 1"

# columns FILE: every line's display column where each field after the first four starts
# must agree (kind, class, region): the region column starts at the same display column.
columns() {
	python3 - "$1" <<'PY'
import sys, unicodedata
def width(s):
    w = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w
starts = set()
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    i = line.find("330110101001")
    assert i > 0, line
    starts.add(width(line[:i]))
    # The title follows the region column at a fixed place too.
    j = i + len("330110101001")
    assert line[j:j + 1] == " ", repr(line)
print(len(starts))
PY
}
fh "$S" list
expect_rc $EX_OK
[ "$(wc -l <"$TMP/out")" -eq 6 ] || fail "list: 6 lines expected, one per message: $(cat "$TMP/out")"
[ "$(columns "$TMP/out")" = 1 ] || fail "list columns do not line up: $(cat "$TMP/out")"
expect_out "地质灾害…"
expect_out "河水漫堤?OVERDUE  0123456789ab"
fh "$S" duty
expect_rc $EX_OK
[ "$(grep -cE "^ {9}[0-9a-f]{12}  " "$TMP/out")" -eq 6 ] || fail "duty: $(cat "$TMP/out")"
[ "$(grep -c "^OVERDUE" "$TMP/out")" -eq 0 ] || fail "duty shows a forged line: $(cat "$TMP/out")"
expect_out "6 open, 0 overdue"
ID=$(fh "$S" list --json; python3 -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o["title"].startswith("河水漫堤"):
        print(o["id"])' "$TMP/out")
fh "$S" show "$ID"
expect_rc $EX_OK
grep -q "^title          河水漫堤?OVERDUE" "$TMP/out" || fail "show: $(cat "$TMP/out")"
! grep -q "^OVERDUE" "$TMP/out" || fail "show prints the title on two lines"
# The locale does not matter: C, POSIX and unset all pad by display width.
for loc in C POSIX ""; do
	LC_ALL=$loc LANG= fh "$S" list
	[ "$(columns "$TMP/out")" = 1 ] || fail "LC_ALL=$loc: columns do not line up: $(cat "$TMP/out")"
done

# ---- keys: a certificate's name stays on its line ----
K=$TMP/keys
mkdir -m 700 "$K"
fh "$TMP/county" init-county --region 330110 --root-key "$K/root.key" --admin-key "$K/admin.key"
expect_rc $EX_OK
fh "$TMP/county" keygen -o "$K/x.key"
X=$(cat "$TMP/out")
fh "$TMP/county" --key "$K/admin.key" cert --subject "$X" --roles reporter --region 330110101 \
	--days 3 --name $'张三\nFORGED line'
expect_rc $EX_OK
fh "$TMP/county" keys
expect_rc $EX_OK
grep -q "^${X:0:16}  valid .* 张三?FORGED line\$" "$TMP/out" || fail "keys: $(cat "$TMP/out")"
! grep -q "^FORGED" "$TMP/out" || fail "keys prints a name on two lines"

# ---- an update and a cancel take area, level and event from their warning ----
fh "$S" warn --area 330110101,330110102 --level orange --event 暴雨 --title "暴雨橙色预警"
expect_rc $EX_OK
W=$(cat "$TMP/out")
fh "$S" warn --msg-type update --ref "$W" --title "暴雨橙色预警（更新）"
expect_rc $EX_OK
U=$(cat "$TMP/out")
fh "$S" warn --msg-type cancel --ref "${U:0:12}" --title "解除暴雨预警"
expect_rc $EX_OK
C=$(cat "$TMP/out")
for id in "$U" "$C"; do
	fh "$S" show --json "$id"
	python3 - "$TMP/out" <<'PY' || fail "$id does not carry its warning's area, level, event: $(head -1 "$TMP/out")"
import json, sys
o = json.loads(open(sys.argv[1]).readline())
assert o["area"] == ["330110101", "330110102"], o["area"]
assert o["level"] == "orange" and o["event"] == "暴雨" and o["region"] == "330110101", o
PY
done
# What is given still wins.
fh "$S" warn --msg-type update --ref "$W" --level red --area 330110101 --title "升级为红色"
expect_rc $EX_OK
fh "$S" show --json "$(cat "$TMP/out")"
python3 -c '
import json, sys
o = json.loads(open(sys.argv[1]).readline())
assert o["area"] == ["330110101"] and o["level"] == "red" and o["event"] == "暴雨", o
' "$TMP/out" || fail "given area/level do not win"
# An alert still needs them all.
fh "$S" warn --title t
expect_rc $EX_USAGE
expect_err "--area, --level, --event and --title are required"
echo "chinese: ok"
