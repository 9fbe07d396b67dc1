#!/bin/bash
# coverage.sh: `fenghuo coverage` and the coverage in `duty`. The roster of a warning's area
# is the keys holding a valid node certificate for a region inside it: revoked, expired,
# non-node and out-of-area certificates and the warning's author are not on it. Confirmed
# N/M by township with names, every missing node named with when it was last heard from,
# --json, an update's own coverage, duty's `confirmed N/M` and its heading of warnings not
# at 100 %, region names next to codes (aligned by display width), and a missing or hostile
# region table.
. "$(dirname "$0")/lib.sh"
MKBUNDLE=${2:?usage: $0 fenghuo fh_mkbundle}

S=$TMP/county
K=$TMP/keys
mkdir -m 700 "$K"
fh "$S" init-county --region 330110 --root-key "$K/root.key" --admin-key "$K/admin.key"
expect_rc $EX_OK
ADMIN=$(awk '$1 == "admin" && $2 == "key:" { print $3 }' "$TMP/out")

newkey() {	# newkey NAME: a key in $K/NAME.key; prints its public key
	fh "$S" keygen -o "$K/$1.key"
	expect_rc $EX_OK
	cat "$TMP/out"
}
certify() {	# certify PUB ROLES REGION NAME [SIGNER]: prints the certificate id
	fh "$S" --key "$K/${5:-admin}.key" cert --subject "$1" --roles "$2" --region "$3" \
	    --days 30 --name "$4"
	expect_rc $EX_OK
	cat "$TMP/out"
}
V1=$(newkey v1) V2=$(newkey v2) V3=$(newkey v3) T1=$(newkey t1)
V4=$(newkey v4) V5=$(newkey v5) V6=$(newkey v6) V7=$(newkey v7)
certify "$V1" reporter,node 330110109001 "径山村" >/dev/null
certify "$V2" reporter,node 330110109002 "小古城村" >/dev/null
certify "$V3" reporter,node 330110110001 "瓶窑村" >/dev/null
certify "$T1" verifier,node 330110109 "径山镇办" >/dev/null
# Not on the roster: revoked, expired, a reporter without a node, another county.
certify "$V4" reporter,node 330110110002 "已吊销村" >/dev/null
fh "$S" --key "$K/admin.key" revoke "$V4" --reason "laptop lost"
expect_rc $EX_OK
"$MKBUNDLE" cert "$K/root.key" "$V5" 330110110003 "过期村" "$TMP/expired.fhb" >/dev/null ||
	fail "fh_mkbundle cert"
fh "$S" import "$TMP/expired.fhb"
expect_rc $EX_OK
expect_out "new: 1"
certify "$V6" reporter 330110109003 "只报告村" >/dev/null
certify "$V7" node 330122101001 "邻县村" root >/dev/null

# v3 reported something before the warning: the last this county heard from it.
fh "$S" --key "$K/v3.key" report --region 330110110001 --category flood --title "水位上涨"
expect_rc $EX_OK
R3=$(cat "$TMP/out")
fh "$S" --key "$K/admin.key" warn --area 330110 --level red --event 暴雨 --title "暴雨红色预警"
expect_rc $EX_OK
W=$(cat "$TMP/out")
for k in v1 t1; do
	fh "$S" --key "$K/$k.key" receipt "$W" --stage delivered
	expect_rc $EX_OK
done

# ---- coverage: 2 of 4, by township, the missing named ----
fh "$S" coverage "${W:0:12}"
expect_rc $EX_OK
expect_out "confirmed 2/4 (50%), 2 missing"
expect_out "330110 杭州市 余杭区"
grep -q "^330110109 *余杭区 径山镇 *confirmed 2/3$" "$TMP/out" || fail "township 径山镇: $(cat "$TMP/out")"
grep -q "^330110110 *余杭区 瓶窑镇 *confirmed 0/1$" "$TMP/out" || fail "township 瓶窑镇: $(cat "$TMP/out")"
grep -q "MISSING  小古城村 *330110109002 余杭区 径山镇 *never heard from" "$TMP/out" ||
	fail "小古城村 is not missing: $(cat "$TMP/out")"
grep -q "MISSING  瓶窑村 *330110110001 余杭区 瓶窑镇 *last heard .*(report ${R3:0:12}, written here)" \
    "$TMP/out" || fail "瓶窑村 is not missing with its report: $(cat "$TMP/out")"
[ "$(grep -c MISSING "$TMP/out")" -eq 2 ] || fail "not 2 missing: $(cat "$TMP/out")"
for n in 已吊销村 过期村 只报告村 邻县村 径山村; do
	grep -q "$n" "$TMP/out" && fail "$n is listed: $(cat "$TMP/out")"
done
grep -q "time to 50%: [0-9]*s   90%: -   100%: -" "$TMP/out" || fail "times: $(cat "$TMP/out")"

# The MISSING lines line up by display width whatever the names' lengths.
python3 - "$TMP/out" <<'PY' || fail "MISSING columns do not line up: $(cat "$TMP/out")"
import re, sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in s)
starts = set()
for line in open(sys.argv[1], encoding="utf-8"):
    if "MISSING" in line:
        m = re.search(r"33011\d{7}", line)
        h = re.search(r"never heard|last heard", line)
        starts.add((width(line[:m.start()]), width(line[:h.start()])))
assert len(starts) == 1, starts
PY

# ---- --json ----
fh "$S" coverage "$W" --json
expect_rc $EX_OK
python3 - "$TMP/out" "$W" "$V2" "$V3" "$R3" "$V1" "$ADMIN" <<'PY' || fail "coverage --json: $(cat "$TMP/out")"
import json, sys
path, w, v2, v3, r3, v1, admin = sys.argv[1:]
lines = open(path, "rb").read().splitlines()
assert len(lines) == 1
o = json.loads(lines[0])
assert o["id"] == w and o["msg_type"] == "alert" and o["level"] == "red"
assert o["roster_known"] is True
assert (o["roster"], o["confirmed"], o["missing"]) == (4, 2, 2), o
assert o["area"] == [{"code": "330110", "name": "杭州市 余杭区"}], o["area"]
assert o["time_to_ms"]["50"] >= 0 and o["time_to_ms"]["90"] is None and o["time_to_ms"]["100"] is None
tw = {t["code"]: t for t in o["townships"]}
assert tw["330110109"]["name"] == "径山镇" and tw["330110109"]["roster"] == 3
assert tw["330110109"]["confirmed"] == 2 and tw["330110109"]["missing"] == [v2]
assert tw["330110110"]["missing"] == [v3] and tw["330110110"]["confirmed"] == 0
nodes = {n["key"]: n for n in o["nodes"]}
assert len(nodes) == 4 and admin not in nodes
assert nodes[v1]["confirmed"] is True and nodes[v1]["confirmed_ms"] >= o["time_ms"]
assert len(nodes[v1]["receipt"]) == 64
n3 = nodes[v3]
assert n3["name"] == "瓶窑村" and n3["region"] == "330110110001"
assert n3["region_name"] == "余杭区 瓶窑镇" and n3["township"] == "330110110"
assert n3["last_heard"]["id"] == r3 and n3["last_heard"]["kind"] == "report"
assert n3["last_heard"]["from"] is None and n3["last_heard"]["ms"] > 0
assert nodes[v2]["last_heard"] is None and nodes[v2]["confirmed"] is False
assert o["others"] == []
PY

# ---- duty: confirmed N/M, and the heading of warnings not at 100 % ----
fh "$S" duty
expect_rc $EX_OK
grep -q "red .*${W:0:12}.*330110 杭州市 余杭区  暴雨红色预警  confirmed 2/4, 2 missing$" "$TMP/out" ||
	fail "duty: $(cat "$TMP/out")"
grep -q "^Warnings not confirmed" "$TMP/out" && fail "incomplete within 30m: $(cat "$TMP/out")"
fh "$S" duty --coverage-after 0s
expect_rc $EX_OK
sed -n '/^Warnings not confirmed by every node 0s after their time/,$p' "$TMP/out" >"$TMP/late"
grep -q "^red .*${W:0:12} .*暴雨红色预警  confirmed 2/4, 2 missing$" "$TMP/late" ||
	fail "duty --coverage-after 0s: $(cat "$TMP/out")"
grep -q "^1 incomplete$" "$TMP/late" || fail "incomplete count: $(cat "$TMP/out")"
fh "$S" duty --coverage-after 0s --json
expect_rc $EX_OK
python3 - "$TMP/out" "$W" <<'PY' || fail "duty --json coverage: $(cat "$TMP/out")"
import json, sys
rows = {o["id"]: o for o in map(json.loads, open(sys.argv[1], "rb"))}
c = rows[sys.argv[2]]["coverage"]
assert c == {"roster": 4, "confirmed": 2, "missing": 2, "incomplete": True}, c
PY
fh "$S" duty --coverage-after soon
expect_rc $EX_USAGE
expect_err "--coverage-after soon"

# A receipt from a key off the roster (a node of another county) counts for nothing.
"$MKBUNDLE" receipt "$K/v7.key" "$W" 330110 1 "$TMP/other.fhb" >/dev/null || fail "mkbundle receipt"
fh "$S" import "$TMP/other.fhb"
expect_rc $EX_OK
fh "$S" coverage "$W" --json
python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["confirmed"] == 2 and o["others"] == [sys.argv[2]], o' "$TMP/out" "$V7" ||
	fail "a receipt off the roster: $(cat "$TMP/out")"

# ---- everyone confirms: 100 %, the heading is gone ----
for k in v2 v3; do
	fh "$S" --key "$K/$k.key" receipt "$W" --stage delivered
	expect_rc $EX_OK
done
fh "$S" coverage "$W"
expect_rc $EX_OK
expect_out "confirmed 4/4 (100%), 0 missing"
grep -q "MISSING" "$TMP/out" && fail "missing at 100 %: $(cat "$TMP/out")"
grep -q "100%: [0-9]" "$TMP/out" || fail "no time to 100 %: $(cat "$TMP/out")"
fh "$S" duty --coverage-after 0s
expect_rc $EX_OK
grep -q "^Warnings not confirmed" "$TMP/out" && fail "complete yet listed: $(cat "$TMP/out")"
expect_out "confirmed 4/4, 0 missing"

# ---- an update is a message of its own: its own receipts ----
fh "$S" --key "$K/admin.key" warn --area 330110 --level orange --event 暴雨 --title "降为橙色" \
    --msg-type update --ref "$W"
expect_rc $EX_OK
U=$(cat "$TMP/out")
fh "$S" --key "$K/v1.key" receipt "$U" --stage delivered
fh "$S" coverage "$U"
expect_rc $EX_OK
expect_out "orange update ${U:0:12}"
expect_out "confirmed 1/4 (25%), 3 missing"

# A receipt without path fields (the CLI's own) says nothing of the path: the tree says so.
fh "$S" coverage "$U" --tree
expect_rc $EX_OK
sed -n '/^delivery tree/,$p' "$TMP/out" >"$TMP/tree"
grep -q "(issued it)$" "$TMP/tree" || fail "tree root: $(cat "$TMP/out")"
grep -A1 "^no path given" "$TMP/tree" | grep -q "^  径山村  330110109001  hops ?  +?  link ?$" ||
	fail "an old receipt in the tree: $(cat "$TMP/out")"

# ---- the delivery tree, from the receipts' path fields alone ----
fh "$S" --key "$K/admin.key" warn --area 330110 --level yellow --event 大风 --title "大风黄色预警"
expect_rc $EX_OK
W3=$(cat "$TMP/out")
path_receipt() {	# path_receipt KEYNAME REGION VIA HOPS DELAY LINK
	"$MKBUNDLE" receipt "$K/$1.key" "$W3" "$2" 1 "$TMP/path.fhb" "$3" "$4" "$5" "$6" >"$TMP/pathid" ||
		fail "mkbundle receipt with a path"
	fh "$S" import "$TMP/path.fhb"
	expect_rc $EX_OK
}
path_receipt t1 330110109 "${ADMIN:0:16}" 1 400 1
path_receipt v1 330110109001 "${T1:0:16}" 2 900 2
# show gives a receipt's path fields as they are.
fh "$S" show "$(cat "$TMP/pathid")"
expect_rc $EX_OK
grep -q "^via            ${T1:0:16}$" "$TMP/out" || fail "show via: $(cat "$TMP/out")"
grep -q "^hops           2$" "$TMP/out" || fail "show hops: $(cat "$TMP/out")"
grep -q "^delay          900 ms after the warning's time$" "$TMP/out" || fail "show delay: $(cat "$TMP/out")"
grep -q "^link           stream$" "$TMP/out" || fail "show link: $(cat "$TMP/out")"
fh "$S" show "$(cat "$TMP/pathid")" --json
python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert (o["via"], o["hops"], o["delay_ms"], o["link"]) == (sys.argv[2][:16], 2, 900, "stream"), o' \
    "$TMP/out" "$T1" || fail "show --json path: $(cat "$TMP/out")"
path_receipt v2 330110109002 "${T1:0:16}" 2 1200 4
path_receipt v3 330110110001 0011223344556677 3 70000 0
fh "$S" coverage "$W3"
expect_rc $EX_OK
grep -q "^delivery tree" "$TMP/out" && fail "a tree without --tree: $(cat "$TMP/out")"
fh "$S" coverage "$W3" --tree
expect_rc $EX_OK
expect_out "confirmed 4/4 (100%), 0 missing"
sed -n '/^delivery tree/,$p' "$TMP/out" >"$TMP/tree"
cat >"$TMP/want" <<'TREE'
  径山镇办  330110109  1 hop  +0.400s  zeromq
    径山村  330110109001  2 hops  +0.900s  stream
    小古城村  330110109002  2 hops  +1.200s  serial
via 0011223344556677 (a key not known here)
  瓶窑村  330110110001  3 hops  +1m10s  unknown
TREE
tail -n 5 "$TMP/tree" | diff -u "$TMP/want" - || fail "tree: $(cat "$TMP/out")"
grep -q "(issued it)$" "$TMP/tree" || fail "tree root: $(cat "$TMP/out")"
# A via that names a known key off the roster: the name, and said so.
fh "$S" --key "$K/admin.key" warn --area 330110110 --level blue --event 大风 --title "大风蓝色预警"
expect_rc $EX_OK
W3=$(cat "$TMP/out")
path_receipt v3 330110110001 "${V7:0:16}" 2 100 2
fh "$S" coverage "$W3" --tree
expect_rc $EX_OK
grep -A1 "^via ${V7:0:16} (邻县村, not on the roster)$" "$TMP/out" |
    grep -q "^  瓶窑村  330110110001  2 hops  +0.100s  stream$" || fail "via off the roster: $(cat "$TMP/out")"
fh "$S" coverage "$W3" --json
python3 - "$TMP/out" "$V3" "$V7" <<'PY' || fail "coverage --json path: $(cat "$TMP/out")"
import json, sys
o = json.load(open(sys.argv[1]))
n = {x["key"]: x for x in o["nodes"]}[sys.argv[2]]
p = n["path"]
assert p == {"via": sys.argv[3][:16], "via_key": sys.argv[3], "via_name": "邻县村",
             "via_issuer": False, "hops": 2, "delay_ms": 100, "link": "stream"}, p
PY

# ---- region names elsewhere: show, list, keys ----
fh "$S" show "$R3"
expect_rc $EX_OK
grep -q "^region         330110110001 余杭区 瓶窑镇$" "$TMP/out" || fail "show region: $(cat "$TMP/out")"
fh "$S" show "$W"
grep -q "^area           330110 杭州市 余杭区$" "$TMP/out" || fail "show area: $(cat "$TMP/out")"
fh "$S" list --kind report
expect_rc $EX_OK
grep -q "330110110001 瓶窑镇 *水位上涨" "$TMP/out" || fail "list: $(cat "$TMP/out")"
fh "$S" keys
expect_rc $EX_OK
expect_out "in 330110109002 余杭区 径山镇, "
fh "$S" keys --json
python3 -c '
import json, sys
names = [c.get("scope_name") for l in open(sys.argv[1]) for c in json.loads(l)["certs"]]
assert "余杭区 瓶窑镇" in names, names' "$TMP/out" || fail "keys --json scope_name"

# ---- no region table: codes only, nothing fails ----
export FENGHUO_REGIONS=$TMP/no-such-dir
fh "$S" coverage "$W"
expect_rc $EX_OK
expect_out "confirmed 4/4 (100%)"
grep -q "^330110109 *confirmed 3/3$" "$TMP/out" || fail "coverage without names: $(cat "$TMP/out")"
grep -q "余杭区" "$TMP/out" && fail "names without a table: $(cat "$TMP/out")"
fh "$S" list --kind report
expect_rc $EX_OK
grep -q "330110110001 水位上涨" "$TMP/out" || fail "list without a table: $(cat "$TMP/out")"
fh "$S" duty
expect_rc $EX_OK
fh "$S" coverage "$W" --json
python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["area"][0]["name"] is None and o["townships"][0]["name"] is None, o' "$TMP/out" ||
	fail "coverage --json without a table"

# ---- a hostile table: quotes, overlong and malformed lines are handled or skipped ----
T=$TMP/hostile
mkdir "$T"
printf 'code,name\n33,"浙江省"\n' >"$T/provinces.csv"
printf 'code,name,provinceCode\n3301,"杭州市",33\n' >"$T/cities.csv"
{
	printf 'code,name,cityCode,provinceCode\n'
	printf '330110,"%s",3301,33\n' "$(head -c 100000 /dev/zero | tr '\0' x)"
	printf '330110,"余杭""区, 北",3301,33\n'
} >"$T/areas.csv"
{
	printf 'code,name,areaCode,provinceCode,cityCode\n'
	printf '330110109,"径山镇\n'			# an unterminated quote
	printf '33011011x,"坏",330110,33,3301\n'		# not a code
	printf '330110110,"瓶\001窑镇",330110,33,3301\n'	# a control character
	printf '3301101100,"太长",330110,33,3301\n'		# ten digits
	printf '330110112,"\377\376镇",330110,33,3301\n'		# not UTF-8
	printf '330110111,鸬鸟镇,330110,33,3301\n'		# unquoted: fine
} >"$T/streets.csv"
export FENGHUO_REGIONS=$T
fh "$S" show "$W"
expect_rc $EX_OK
grep -q '^area           330110 杭州市 余杭"区, 北$' "$TMP/out" || fail "hostile table: $(cat "$TMP/out")"
fh "$S" show "$R3"
grep -q '^region         330110110001 杭州市 余杭"区, 北$' "$TMP/out" ||
	fail "a malformed township line was used: $(cat "$TMP/out")"
fh "$S" coverage "$W" --json
python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert all(t["name"] is None for t in o["townships"]), o["townships"]' "$TMP/out" ||
	fail "hostile township names used"
for t in 330110111 330110112; do
	fh "$S" --key "$K/admin.key" report --region ${t}001 --category test --title "$t"
	expect_rc $EX_OK
	fh "$S" show "$(cat "$TMP/out")"
	expect_rc $EX_OK
	cp "$TMP/out" "$TMP/show.$t"
done
grep -q '^region         330110111001 余杭"区, 北 鸬鸟镇$' "$TMP/show.330110111" ||
	fail "an unquoted name was not read: $(cat "$TMP/show.330110111")"
grep -q '^region         330110112001 杭州市 余杭"区, 北$' "$TMP/show.330110112" ||
	fail "a name that is not UTF-8 was used: $(cat "$TMP/show.330110112")"
unset FENGHUO_REGIONS

# ---- errors: unknown id as show, a report is not a warning, bad arguments ----
fh "$S" coverage 0123456789abcdef
expect_rc $EX_DATAERR
fh "$S" show 0123456789abcdef
expect_rc $EX_DATAERR
fh "$S" coverage "$R3"
expect_rc $EX_DATAERR
expect_err "not a warning"
fh "$S" coverage xyz
expect_rc $EX_USAGE
fh "$S" coverage
expect_rc $EX_USAGE
fh "$TMP/none" coverage "$W"
expect_rc $EX_NOINPUT
fh "$S" coverage --help
expect_rc $EX_OK
expect_out "usage: fenghuo coverage"
"$FENGHUO" --help | grep -q "^  coverage ID" || fail "fenghuo --help lacks coverage"

# ---- without anchors there is no roster: said, not an error ----
O=$TMP/open
fh "$O" keygen
fh "$O" warn --area 330110 --level blue --event 大风 --title "大风蓝色预警"
W2=$(cat "$TMP/out")
fh "$O" coverage "$W2"
expect_rc $EX_OK
expect_out "no roster: no trust anchors here"
# A province-level city's "市辖区" is a grouping, not a place: the province names it.
fh "$O" report --region 110101 --category test --title "东城区的报告"
fh "$O" show "$(cat "$TMP/out")"
grep -q "^region         110101 北京市 东城区$" "$TMP/out" || fail "placeholder city: $(cat "$TMP/out")"
fh "$O" list --kind report
grep -q "110101       东城区     东城区的报告" "$TMP/out" || fail "list: $(cat "$TMP/out")"
echo "coverage: ok"
