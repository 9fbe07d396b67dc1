#!/bin/bash
# roundtrip.sh: keygen, report, warn, receipt, list (filters, --limit, --json) and show, with
# Chinese text that must come back byte for byte.
. "$(dirname "$0")/lib.sh"
MKBUNDLE=${2:?usage: $0 fenghuo fh_mkbundle}

S=$TMP/node/state	# keygen must create it (and its parent), mode 0700

# ---- keygen ----
fh "$S" keygen
expect_rc $EX_OK
PUB=$(cat "$TMP/out")
[[ $PUB =~ ^[0-9a-f]{64}$ ]] || fail "keygen printed '$PUB', not a hex public key"
[ "$(stat -c %a "$S")" = 700 ] || fail "state dir mode $(stat -c %a "$S"), expected 700"
[ "$(stat -c %a "$S/node.key")" = 600 ] || fail "key mode $(stat -c %a "$S/node.key")"
cp "$S/node.key" "$TMP/key.before"
fh "$S" keygen
expect_rc $EX_CANTCREAT
expect_err "fenghuo: keygen: "
cmp -s "$S/node.key" "$TMP/key.before" || fail "keygen overwrote an existing key"
fh "$S" keygen -o "$TMP/other.key"
expect_rc $EX_OK
[ "$(cat "$TMP/out")" != "$PUB" ] || fail "keygen -o made the same key again"

# ---- report with Chinese title and text ----
TITLE='河水漫堤，村口桥梁被淹'
TEXT=$'上午十点发现\n水位仍在上涨 "quoted" \\ tab\there'
fh "$S" report --region 330110101001 --category flood --title "$TITLE" --text "$TEXT" \
    --lat 30.2741 --lon 120.1551 --expires 2d
expect_rc $EX_OK
R=$(cat "$TMP/out")
[[ $R =~ ^[0-9a-f]{64}$ ]] || fail "report printed '$R', not an id"

fh "$S" list
expect_rc $EX_OK
expect_out "${R:0:12}  "
expect_out "report   flood"
expect_out "$TITLE"

fh "$S" list --json
expect_rc $EX_OK
json_lines "$TMP/out"
# Byte for byte: the raw UTF-8 is in the output, not \u escapes.
expect_out "\"title\":\"$TITLE\""
python3 - "$TMP/out" "$R" "$PUB" "$TITLE" "$TEXT" <<'PY' || fail "report JSON fields"
import json, sys
path, rid, pub, title, text = sys.argv[1:]
raw = open(path, "rb").read()
assert title.encode("utf-8") in raw and "上午十点发现".encode("utf-8") in raw
o = json.loads(raw.splitlines()[0])
assert o["id"] == rid and o["kind"] == "report" and o["author"] == pub, o
assert o["title"] == title and o["text"] == text, (o["title"], o["text"])
assert o["region"] == "330110101001" and o["category"] == "flood"
assert o["lat"] == 30.2741 and o["lon"] == 120.1551, (o["lat"], o["lon"])
assert o["flags"] == [] and o["refs"] == []
assert o["time_ms"] == o["created_ms"] and o["expires_ms"] - o["created_ms"] == 2 * 86400000
assert o["expired"] is False and o["from"] is None and o["hops"] == 0
PY

fh "$S" show "${R:0:8}"
expect_rc $EX_OK
expect_out "$R"
expect_out "$PUB"
expect_out "$TITLE"
expect_out "上午十点发现"
expect_out "30.2741000, 120.1551000"
expect_out "verification   ok"
expect_out "from peer      (none: written or imported here)"
expect_out "receipts and updates: none"

fh "$S" show "$R" --json
expect_rc $EX_OK
json_lines "$TMP/out"
expect_out "\"title\":\"$TITLE\""
expect_out '"verified":true'

# ---- warn ----
fh "$S" warn --area 3301,3302 --level red --event 暴雨 --title '暴雨红色预警' \
    --instruction '立即转移' --response evacuate,shelter
expect_rc $EX_OK
W=$(cat "$TMP/out")
fh "$S" show "$W" --json
expect_rc $EX_OK
python3 - "$TMP/out" "$W" <<'PY' || fail "warning JSON fields"
import json, sys
o = json.loads(open(sys.argv[1], "rb").readline())
assert o["id"] == sys.argv[2] and o["kind"] == "warning"
assert o["level"] == "red" and o["severity"] == "extreme", o
assert o["urgency"] == "immediate" and o["certainty"] == "likely" and o["msg_type"] == "alert"
assert o["area"] == ["3301", "3302"] and o["region"] == "3301"
assert o["event"] == "暴雨" and o["title"] == "暴雨红色预警" and o["category"] == "Met"
assert o["response_type"] == ["evacuate", "shelter"] and o["instruction"] == "立即转移"
assert o["expires_ms"] - o["created_ms"] == 6 * 3600000 and o["onset_ms"] == 0
PY
fh "$S" warn --area 3301 --level blue --event fog --title t --msg-type update
expect_rc $EX_USAGE
expect_err "needs --ref"
fh "$S" warn --area 3301 --level purple --event fog --title t
expect_rc $EX_USAGE
fh "$S" warn --area 3301 --level orange --event 暴雨 --title '降为橙色' --msg-type update \
    --ref "${W:0:10}"
expect_rc $EX_OK
U=$(cat "$TMP/out")

# ---- receipts ----
fh "$S" receipt "${R:0:8}" --stage registered --note '值班员已登记'
expect_rc $EX_OK
RC1=$(cat "$TMP/out")
fh "$S" receipt "${W:0:12}" --stage delivered
expect_rc $EX_OK
fh "$S" show "$RC1" --json
expect_rc $EX_OK
python3 - "$TMP/out" "$R" <<'PY' || fail "receipt JSON fields"
import json, sys
o = json.loads(open(sys.argv[1], "rb").readline())
assert o["kind"] == "receipt" and o["stage"] == "registered" and o["note"] == "值班员已登记"
assert o["refs"] == [sys.argv[2]], o["refs"]	# the full id, not the prefix
assert o["region"] == "330110101001"
PY
fh "$S" show "$R"
expect_rc $EX_OK
expect_out "receipts and updates:"
expect_out "${RC1:0:12}"
expect_out "receipt  registered by ${PUB:0:8} (330110101001)  值班员已登记"
# The closed loop: list shows where each report stands (its furthest stage so far).
fh "$S" list --kind report
expect_rc $EX_OK
expect_out "[registered]"
fh "$S" list --kind report --json
python3 - "$TMP/out" "$R" <<'PY' || fail "list --json: stage of the report"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], "rb")]
mine = [o for o in rows if o["id"] == sys.argv[2]]
assert len(mine) == 1 and mine[0]["stage"] == "registered", mine
PY
fh "$S" show "$R" --json
expect_rc $EX_OK
python3 - "$TMP/out" <<'PY' || fail "show --json: stage of the report"
import json, sys
o = json.loads(open(sys.argv[1], "rb").readline())
assert o["kind"] == "report" and o["stage"] == "registered", o
PY
fh "$S" show "$W"
expect_rc $EX_OK
expect_out "delivered"
expect_out "warning  update     by ${PUB:0:8} (3301)  降为橙色"
fh "$S" show "$W" --json
expect_rc $EX_OK
json_lines "$TMP/out"
[ "$(wc -l <"$TMP/out")" -eq 3 ] || fail "show --json: the warning and its 2 referrers"

# ---- list: filters, order, limit ----
[ "$(count "$S")" -eq 5 ] || fail "5 messages expected, have $(count "$S")"
fh "$S" list --json
json_lines "$TMP/out"
python3 - "$TMP/out" <<'PY' || fail "list is not newest first"
import json, sys
t = [json.loads(l)["time_ms"] for l in open(sys.argv[1], "rb")]
assert t == sorted(t, reverse=True), t
PY
fh "$S" list --kind report
expect_rc $EX_OK
[ "$(wc -l <"$TMP/out")" -eq 1 ] || fail "1 lines expected"
expect_out "${R:0:12}"
fh "$S" list --kind warning --json
[ "$(wc -l <"$TMP/out")" -eq 2 ] || fail "--kind warning: $(cat "$TMP/out")"
expect_out "$W"
expect_out "$U"
# A village sees its own report, the receipt for it, and the warnings for its county.
fh "$S" list --region 330110101001 --json
expect_rc $EX_OK
[ "$(wc -l <"$TMP/out")" -eq 4 ] || fail "--region village: $(cat "$TMP/out")"
expect_out "$R"
expect_out "$W"
expect_out "$U"
expect_out "$RC1"
# 3302 is only in the red warning's areas.
fh "$S" list --region 3302
[ "$(wc -l <"$TMP/out")" -eq 1 ] || fail "1 lines expected"
expect_out "${W:0:12}"
fh "$S" list --region 4401
expect_rc $EX_OK
[ ! -s "$TMP/out" ] || fail "--region 4401 should match nothing"
fh "$S" list --limit 2
expect_rc $EX_OK
[ "$(wc -l <"$TMP/out")" -eq 2 ] || fail "--limit 2: $(cat "$TMP/out")"
fh "$S" list --since 1h --kind receipt
[ "$(wc -l <"$TMP/out")" -eq 2 ] || fail "--since 1h --kind receipt"
fh "$S" list --since 2099-01-01
expect_rc $EX_OK
[ ! -s "$TMP/out" ] || fail "--since 2099-01-01 should match nothing"
fh "$S" list --since 2020-01-01T00:00Z --json
[ "$(wc -l <"$TMP/out")" -eq 5 ] || fail "--since 2020-01-01T00:00Z"
fh "$S" list --since 1577836800000 --limit 3
[ "$(wc -l <"$TMP/out")" -eq 3 ] || fail "--since epoch ms --limit 3"

# ---- a message from an author whose clock runs a day ahead ----
"$MKBUNDLE" skew "$TMP/skew.fhb" >"$TMP/ids" || fail "fh_mkbundle skew"
K=$(cat "$TMP/ids")
fh "$S" import "$TMP/skew.fhb"
expect_rc $EX_OK
expect_out "new: 1"
fh "$S" list --limit 1
expect_rc $EX_OK
expect_out "${K:0:12}"
expect_out "[clock-skew]"
fh "$S" list --json
json_lines "$TMP/out"
python3 - "$TMP/out" "$K" <<'PY' || fail "clock-skew in JSON"
import json, sys
for line in open(sys.argv[1], "rb"):
    o = json.loads(line)
    if o["id"] == sys.argv[2]:
        assert o["flags"] == ["clock-skew"], o["flags"]
        # Shown at the time this node first saw it, not the author's claim.
        assert o["time_ms"] == o["first_seen_ms"] < o["created_ms"], o
    else:
        assert "clock-skew" not in o["flags"], o
PY
fh "$S" show "$K"
expect_rc $EX_OK
expect_out "clock-skew"

# ---- a long listing, read in chunks, with runs of equal times ----
"$MKBUNDLE" many 700 "$TMP/many.fhb" || fail "fh_mkbundle many"
fh "$TMP/many" import "$TMP/many.fhb"
expect_rc $EX_OK
expect_out "new: 700"
fh "$TMP/many" list --json
expect_rc $EX_OK
cp "$TMP/out" "$TMP/many.all"
python3 - "$TMP/many.all" <<'PY' || fail "long listing: lost, repeated or misordered messages"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1], "rb")]
ids = [o["id"] for o in objs]
t = [o["time_ms"] for o in objs]
assert len(ids) == 700 and len(set(ids)) == 700, len(ids)
assert t == sorted(t, reverse=True)
PY
fh "$TMP/many" list --json --limit 300
[ "$(wc -l <"$TMP/out")" -eq 300 ] || fail "--limit 300 over chunks"
head -n 300 "$TMP/many.all" | cmp -s - "$TMP/out" || fail "--limit 300 is not the newest 300"
fh "$TMP/many" list --region 3301
[ "$(wc -l <"$TMP/out")" -eq 700 ] || fail "--region 3301 over chunks"

# ---- help ----
fh "$S" --help
expect_rc $EX_OK
expect_out "report --region CODE"
fh "$S" help warn
expect_rc $EX_OK
expect_out "--msg-type"
for verb in keygen report warn receipt list show export import; do
	fh "$S" "$verb" --help
	expect_rc $EX_OK
	expect_out "usage: fenghuo $verb"
done
echo "ok roundtrip"
