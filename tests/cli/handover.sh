#!/bin/bash
# handover.sh: `fenghuo duty --handover`, the record of a shift (交接班记录), from a store made
# with the CLI alone: reports received, registered and closed during the shift, those still
# open (older ones too) with OVERDUE; warnings issued, updated and cancelled with their
# confirmations as duty shows them and what became of them. Text with columns aligned by
# display width (Chinese cells), and Markdown tables (a '|' in a title escaped). --region,
# --since, and the option errors of duty's modes.
. "$(dirname "$0")/lib.sh"

S=$TMP/state
K2=$TMP/village2.key
fh "$S" keygen
expect_rc $EX_OK
fh "$S" keygen -o "$K2"
expect_rc $EX_OK

R1=$(new report --region 330110101001 --category 洪涝 --title "村口桥梁被淹")
R2=$(new report --region 330110101002 --category landslide --title "山体滑坡")
R3=$(new report --region 330110102001 --category fire --title "已扑灭的火情|A")
new receipt "$R2" --stage registered >/dev/null
new receipt "$R2" --stage registered --note "twice: one registration" >/dev/null
new receipt "$R3" --stage registered >/dev/null
new receipt "$R3" --stage closed >/dev/null
W1=$(new warn --area 330110 --level red --event 暴雨 --title "暴雨红色预警")
W2=$(new warn --area 330110101 --level yellow --event 大风 --title "大风黄色预警")
C2=$(new warn --area 330110101 --level yellow --event 大风 --title "解除大风预警" \
    --msg-type cancel --ref "$W2")
W3=$(new warn --area 330110102 --level orange --event 暴雨 --title "暴雨橙色预警")
U3=$(new warn --area 330110102 --level red --event 暴雨 --title "升级为红色" \
    --msg-type update --ref "$W3")
new receipt "$W1" --stage delivered >/dev/null
fh "$S" --key "$K2" receipt "$W1" --stage delivered
expect_rc $EX_OK
fh "$S" --key "$K2" receipt "$U3" --stage delivered
expect_rc $EX_OK

# ---- text ----
fh "$S" duty --handover --overdue 0s
expect_rc $EX_OK
H=$TMP/out
head -1 "$H" | grep -q "^交接班记录  Shift handover$" || fail "title: $(head -3 "$H")"
grep -q "^值班时段 Shift   .* (8h00m)$" "$H" || fail "a shift is 8h by default: $(head -3 "$H")"
row() {	# row TEXT: a line of the record matches the regular expression TEXT
	grep -Eq -- "$1" "$H" || fail "no line matches '$1': $(cat "$H")"
}
row "^  收到的报告 Reports received +3$"
row "^  登记 Registered +2$"
row "^  办结 Closed +1$"
row "^  未办结 Still open +2$"
row "^  其中超时 Overdue +1$"
row "^  发布的预警 Warnings issued +3$"
row "^  更新 Updated +1$"
row "^  解除 Cancelled +1$"
row "^  ${R1:0:12} .* 330110101001 +洪涝 +OVERDUE +村口桥梁被淹$"
row "^  ${R3:0:12} .* closed +已扑灭的火情\|A$"
row "^  .* registered +${R2:0:12} +330110101002 +山体滑坡$"
row "^  .* closed +${R3:0:12} +330110102001 "
row "^  ${W1:0:12} .* red +330110 +暴雨红色预警 +confirmed by 2 nodes +in force$"
row "^  ${W2:0:12} .* yellow +330110101 +大风黄色预警 +confirmed by 0 nodes +cancelled$"
row "^  ${W3:0:12} .* orange .*superseded$"
row "^  ${U3:0:12} .* red +${W3:0:12} +升级为红色 +confirmed by 1 node +in force$"
row "^  ${C2:0:12} .* ${W2:0:12} +330110101 +解除大风预警 +confirmed by 0 nodes$"
# Still open: R1 and R2, not the closed R3.
sed -n '/^未办结 Still open/,/^$/p' "$H" >"$TMP/open"
grep -q "${R1:0:12}" "$TMP/open" && grep -q "${R2:0:12}.*registered .* ago" "$TMP/open" ||
	fail "still open: $(cat "$TMP/open")"
grep -q "${R3:0:12}" "$TMP/open" && fail "closed R3 is still open: $(cat "$TMP/open")"
# Every table's columns line up by display width: each cell starts where its heading does.
python3 - "$H" <<'PY' || fail "columns not aligned by display width"
import re, sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
tables = 0
for i, l in enumerate(lines):
    if not l.startswith("  编号 ID") and not l.startswith("  时间 Time"):
        continue
    heads = re.split(" {2,}", l.strip())
    starts = [width(l[:l.index(h)]) for h in heads]
    j = i + 2
    while j < len(lines) and lines[j].startswith("  ") and lines[j].strip():
        row = lines[j]
        # The cell starts: after each run of two or more spaces, by display width.
        k, pos = 0, []
        while k < len(row):
            if row[k] != " " and (k < 2 or row[k - 1] == " " and row[k - 2] == " "):
                pos.append(width(row[:k]))
            k += 1
        # Titles and "confirmed by 2 nodes" hold single spaces: compare the leading cells.
        assert pos[:len(starts) - 2] == starts[:len(starts) - 2], (row, pos, starts)
        j += 1
    tables += 1
assert tables >= 5, tables
PY

# ---- Markdown ----
fh "$S" duty --handover --format markdown --overdue 0s
expect_rc $EX_OK
head -1 "$H" | grep -q "^# 交接班记录 Shift handover$" || fail "markdown title: $(head -3 "$H")"
row "^## 一、报告 Reports$"
row "^### 发布 Issued$"
row "^\| ${W1:0:12} +\| .* \| red +\| 330110 +\| 暴雨红色预警 +\| confirmed by 2 nodes +\| in force +\|$"
row "已扑灭的火情\\\\\|A"
python3 - "$H" <<'PY' || fail "markdown tables are not well formed"
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
i = 0
n = 0
while i < len(lines):
    if lines[i].startswith("|"):
        assert lines[i - 1] == "", ("no blank line before a table", lines[i - 1])
        cols = lines[i].count("|")
        assert set(lines[i + 1]) <= set("|-") and lines[i + 1].count("|") == cols, lines[i + 1]
        while i < len(lines) and lines[i].startswith("|"):
            assert lines[i].replace("\\|", "").count("|") == cols, lines[i]
            i += 1
        n += 1
    i += 1
assert n == 7, n
PY

# ---- --region and --since ----
fh "$S" duty --handover --region 330110102
expect_rc $EX_OK
row "^  收到的报告 Reports received +1$"
grep -q "${R1:0:12}" "$H" && fail "--region 330110102 shows R1"
# A shift that starts later: nothing happened in it, but what is still open is handed over.
fh "$S" duty --handover --since "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%MZ)"
expect_rc $EX_OK
row "^  收到的报告 Reports received +0$"
row "^  未办结 Still open +2$"
row "^  发布的预警 Warnings issued +0$"
grep -q "（无）none" "$H" || fail "empty tables say so"

# ---- errors ----
fh "$S" duty --handover --format pdf
expect_rc $EX_USAGE
expect_err "--format pdf: text or markdown"
fh "$S" duty --format markdown
expect_rc $EX_USAGE
expect_err "--format is for --handover"
fh "$S" duty --handover --json
expect_rc $EX_USAGE
fh "$S" duty --follow --json
expect_rc $EX_USAGE
echo "handover: ok"
