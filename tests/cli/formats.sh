#!/bin/bash
# formats.sh: --format csv and geojson. CSV opens in a spreadsheet with its Chinese intact:
# a UTF-8 byte order mark, RFC 4180 quoting, CRLF line ends; a title holding quotes, commas
# and a newline (signed elsewhere: the CLI refuses one) comes back from Python's csv module
# exactly; a cell that would start a formula is defused. GeoJSON is one RFC 7946
# FeatureCollection: a report with a position is a Point [lon, lat], a warning a feature
# (without a shape: no geometry; one imported from CAP has its circle as a polygon). duty
# and coverage give the same values as their --json.
. "$(dirname "$0")/lib.sh"
MKBUNDLE=${2:?usage: $0 fenghuo fh_mkbundle}

S=$TMP/state
fh "$S" keygen
expect_rc $EX_OK
R=$(new report --region 330110101001 --category 山洪 --title "村口桥梁被淹" \
    --lat 30.2741 --lon -120.1551 --text $'第一行\r\n第二行, "引号"')
W=$(new warn --area 330110,330111 --level red --event 暴雨 --title '暴雨 "红色", 预警')
X=$(new warn --area 330110 --level blue --event 大风 --title "演练" --status exercise)
F=$(new report --region 330110101001 --category fire --title "=1+2")
TITLE=$'河水"漫堤", 危险\n第二行'
"$MKBUNDLE" titled "$S/node.key" 330110101002 "$TITLE" "" "$TMP/t.fhb" >/dev/null ||
	fail "fh_mkbundle titled"
fh "$S" import "$TMP/t.fhb"
expect_rc $EX_OK
Q=$("$FENGHUO" --state "$S" list --json | python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    if o["title"].startswith("河水"): print(o["id"])')
[ -n "$Q" ] || fail "the imported report is not listed"

# ---- list --format csv ----
fh "$S" list --format csv
expect_rc $EX_OK
head -c 3 "$TMP/out" | od -An -tx1 | grep -q "ef bb bf" || fail "no byte order mark"
python3 - "$TMP/out" <<'PY' || fail "CRLF: $(od -c "$TMP/out" | head)"
import sys
data = open(sys.argv[1], "rb").read()
# Every record ends in CRLF; a bare LF is only inside a quoted cell.
assert data.endswith(b"\r\n")
assert data.count(b"\r\n") >= 5
PY
python3 - "$TMP/out" "$R" "$W" "$Q" "$F" "$X" "$TITLE" <<'PY' || fail "csv values"
import csv, io, sys
path, r, w, q, f, x, title = sys.argv[1:]
text = open(path, "rb").read().decode("utf-8-sig")
rows = {row["id"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}
assert set(rows) == {r, w, q, f}, rows.keys()    # the exercise left out
assert rows[r]["category"] == "山洪" and rows[r]["title"] == "村口桥梁被淹"
assert rows[r]["text"] == '第一行\r\n第二行, "引号"', repr(rows[r]["text"])
assert rows[r]["lat"] == "30.2741000" and rows[r]["lon"] == "-120.1551000", rows[r]
assert rows[r]["status"] == "actual" and rows[r]["region"] == "330110101001"
assert rows[w]["title"] == '暴雨 "红色", 预警' and rows[w]["level"] == "red"
assert rows[w]["area"] == "330110;330111", rows[w]["area"]
assert rows[q]["title"] == title, repr(rows[q]["title"])
assert rows[f]["title"] == "'=1+2", rows[f]["title"]
assert len(rows[r]["time"]) == 19 and rows[r]["time"][4] == "-", rows[r]["time"]
PY
fh "$S" list --all --format csv
python3 - "$TMP/out" "$X" <<'PY' || fail "--all csv"
import csv, io, sys
rows = {r["id"]: r for r in csv.DictReader(io.StringIO(
    open(sys.argv[1], "rb").read().decode("utf-8-sig"), newline=""))}
assert rows[sys.argv[2]]["status"] == "exercise" and rows[sys.argv[2]]["status_mark"] == "演练"
PY
# An empty table is still a table: the header alone.
fh "$S" list --format csv --kind cert
expect_rc $EX_OK
python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
assert d.startswith(b"\xef\xbb\xbf\"id\",") and d.count(b"\r\n") == 1, d' "$TMP/out" ||
	fail "empty csv"

# ---- list --format geojson ----
fh "$S" list --all --format geojson
expect_rc $EX_OK
python3 -m json.tool "$TMP/out" >/dev/null || fail "geojson does not parse"
python3 - "$TMP/out" "$R" "$W" "$X" <<'PY' || fail "geojson values: $(cat "$TMP/out")"
import json, sys
fc = json.load(open(sys.argv[1], encoding="utf-8"))
assert fc["type"] == "FeatureCollection"
feats = {f["properties"]["id"]: f for f in fc["features"]}
assert len(feats) == 5, len(feats)
for f in fc["features"]:
    assert f["type"] == "Feature" and "geometry" in f
g = feats[sys.argv[2]]["geometry"]
assert g == {"type": "Point", "coordinates": [-120.1551, 30.2741]}, g
assert feats[sys.argv[3]]["geometry"] is None
assert feats[sys.argv[3]]["properties"]["area"] == ["330110", "330111"]
assert feats[sys.argv[4]]["properties"]["status"] == "exercise"
PY
fh "$S" list --format geojson --kind cert
python3 -c '
import json, sys
assert json.load(open(sys.argv[1])) == {"type": "FeatureCollection", "features": []}' \
    "$TMP/out" || fail "empty geojson: $(cat "$TMP/out")"
fh "$S" list --format xml
expect_rc $EX_USAGE
expect_err "--format xml: one of text, json, csv, geojson"
fh "$S" list --format json
expect_rc $EX_OK
json_lines "$TMP/out"

# ---- duty ----
fh "$S" duty --format csv
expect_rc $EX_OK
python3 - "$TMP/out" "$R" "$W" "$X" <<'PY' || fail "duty csv: $(cat "$TMP/out")"
import csv, io, sys
rows = {r["id"]: r for r in csv.DictReader(io.StringIO(
    open(sys.argv[1], "rb").read().decode("utf-8-sig"), newline=""))}
assert rows[sys.argv[2]]["duty"] == "report" and rows[sys.argv[2]]["stage"] == ""
assert rows[sys.argv[3]]["duty"] == "warning" and rows[sys.argv[3]]["level"] == "red"
assert rows[sys.argv[4]]["duty"] == "drill-warning" and rows[sys.argv[4]]["status_mark"] == "演练"
PY
fh "$S" duty --format geojson
expect_rc $EX_OK
python3 -m json.tool "$TMP/out" >/dev/null || fail "duty geojson does not parse"
python3 - "$TMP/out" "$R" <<'PY' || fail "duty geojson: $(cat "$TMP/out")"
import json, sys
fc = json.load(open(sys.argv[1], encoding="utf-8"))
f = {f["properties"]["id"]: f for f in fc["features"]}[sys.argv[2]]
assert f["geometry"]["coordinates"] == [-120.1551, 30.2741] and f["properties"]["duty"] == "report"
PY
fh "$S" duty --format markdown
expect_rc $EX_USAGE
fh "$S" duty --handover --format csv
expect_rc $EX_USAGE
fh "$S" duty --follow --format csv
expect_rc $EX_USAGE

# ---- coverage --format csv: one row per roster node (none without anchors) ----
fh "$S" coverage "$W" --format csv
expect_rc $EX_OK
python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
assert d.startswith(b"\xef\xbb\xbf\"warning\",\"status\",") and d.count(b"\r\n") == 1, d' \
    "$TMP/out" || fail "coverage csv: $(cat "$TMP/out")"
fh "$S" coverage "$W" --format geojson
expect_rc $EX_USAGE

# ---- a warning imported from CAP: its circle as a polygon, the exact circle in properties ----
C=$TMP/cap
fh "$C" keygen
expect_rc $EX_OK
fh "$C" cap import "$(dirname "$0")/../cap/data/cn-yuhang-rainstorm-red.xml"
expect_rc $EX_OK
fh "$C" list --format geojson
expect_rc $EX_OK
python3 - "$TMP/out" <<'PY' || fail "the CAP circle: $(cat "$TMP/out")"
import json, math, sys
f = json.load(open(sys.argv[1], encoding="utf-8"))["features"][0]
g = f["geometry"]
assert f["properties"]["circles"] == [{"lat": 30.386, "lon": 119.879, "radius_km": 12}], f
assert g["type"] == "Polygon", g
ring = g["coordinates"][0]
assert len(ring) == 65 and ring[0] == ring[-1], ring
for lon, lat in ring:
    # great-circle distance from the centre, on the sphere the CLI uses
    p1, p2 = math.radians(30.386), math.radians(lat)
    dl = math.radians(lon - 119.879)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    assert abs(2 * 6371.0088 * math.asin(math.sqrt(a)) - 12) < 0.001, (lon, lat)
PY
exit 0
