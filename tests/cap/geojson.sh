#!/bin/bash
# geojson.sh: warnings imported from CAP alerts have their shapes in `list --format geojson`
# and `duty --format geojson` (RFC 7946). A polygon is a Polygon whose ring holds CAP's
# points as [lon, lat] in order (reversed when CAP runs clockwise), closed; a circle is a
# closed Polygon of points at its radius from its centre, the centre and radius also in
# properties.circles; a radius of 0 is a Point; several shapes are a MultiPolygon. No
# daemon: the CLI imports and lists.
. "$(dirname "$0")/../cli/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$HERE/data
S=$TMP/county
K=$TMP/keys
mkdir -m 700 "$K"

fh "$S" init-county --region 41 --root-key "$K/root.key" --admin-key "$K/admin.key"
expect_rc $EX_OK
import() {	# import FILE: the new warning's id on stdout
	fh "$S" --key "$K/admin.key" cap import --area 41 --expires 2h "$1"
	expect_rc $EX_OK
	cat "$TMP/out"
}
# The CAP identifier made unique: each sample is imported in several variants.
variant() {	# variant FILE NAME PYTHON-EXPR-ON-x: a copy edited by the expression
	python3 - "$1" "$TMP/$2.xml" "$2" "$3" <<'PY'
import sys
x = open(sys.argv[1], encoding="utf-8").read()
x = x.replace("</identifier>", "-" + sys.argv[3] + "</identifier>", 1)
x = eval(sys.argv[4])
open(sys.argv[2], "w", encoding="utf-8").write(x)
PY
	echo "$TMP/$2.xml"
}
A2=$DATA/oasis-cap12-appendix-A2.xml	# a polygon, counterclockwise
A3=$DATA/oasis-cap12-appendix-A3.xml	# a circle of radius 0: a point
POLY="38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14"
grep -qF "<polygon>$POLY</polygon>" "$A2" || fail "the A2 sample's polygon changed"
grep -qF "<circle>32.9525,-115.5527 0</circle>" "$A3" || fail "the A3 sample's circle changed"

# A3 updates an alert: that one first.
for stub in $(python3 "$HERE/stubs.py" "$A3" "$TMP"); do
	import "$stub" >/dev/null
done
P=$(import "$A2")
CW=$(import "$(variant "$A2" cw "x.replace('$POLY', ' '.join(reversed('$POLY'.split())))")")
C=$(import "$(variant "$A3" circle "x.replace('32.9525,-115.5527 0', '32.9525,-115.5527 12.5')")")
Z=$(import "$A3")
M=$(import "$(variant "$A2" multi "x.replace('</polygon>', '</polygon><circle>38.5,-119.9 3</circle>')")")
W=$(fh "$S" --key "$K/admin.key" warn --area 41 --level red --event 暴雨 --title "无形状" &&
	cat "$TMP/out")

check() {	# check FILE: the features of the warnings above
	python3 - "$1" "$P" "$CW" "$C" "$Z" "$M" "$W" "$POLY" <<'PY'
import json, math, sys
fc = json.load(open(sys.argv[1], encoding="utf-8"))
f = {x["properties"]["id"]: x for x in fc["features"]}
P, CW, C, Z, M, W = (f[i] for i in sys.argv[2:8])
cap = [[float(v) for v in p.split(",")] for p in sys.argv[8].split()]
ring = [[lon, lat] for lat, lon in cap]

assert P["geometry"] == {"type": "Polygon", "coordinates": [ring]}, P["geometry"]
assert "circles" not in P["properties"]
# Given clockwise, the ring comes out counterclockwise: the same points, reversed back.
assert CW["geometry"] == {"type": "Polygon", "coordinates": [ring]}, CW["geometry"]

def circle_ok(coords, lat0, lon0, km):
    assert len(coords) == 1 and len(coords[0]) == 65, len(coords[0])
    r = coords[0]
    assert r[0] == r[-1], "not closed"
    for lon, lat in r:
        p1, p2 = math.radians(lat0), math.radians(lat)
        d = math.acos(min(1, math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) *
                          math.cos(math.radians(lon - lon0)))) * 6371.0088
        assert abs(d - km) < 0.01, (lon, lat, d)
    # Counterclockwise: the shoelace area of (lon, lat) is positive.
    a = sum(r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1] for i in range(len(r) - 1))
    assert a > 0, a
    assert r[0][0] == lon0 or abs(r[0][0] - lon0) < 1e-9, r[0]	# starts due north
    assert r[0][1] > lat0

assert C["geometry"]["type"] == "Polygon", C["geometry"]
circle_ok(C["geometry"]["coordinates"], 32.9525, -115.5527, 12.5)
assert C["properties"]["circles"] == [{"lat": 32.9525, "lon": -115.5527, "radius_km": 12.5}]
assert Z["geometry"] == {"type": "Point", "coordinates": [-115.5527, 32.9525]}, Z["geometry"]
assert Z["properties"]["circles"] == [{"lat": 32.9525, "lon": -115.5527, "radius_km": 0}]
g = M["geometry"]
assert g["type"] == "MultiPolygon" and len(g["coordinates"]) == 2, g
assert g["coordinates"][0] == [ring], g["coordinates"][0]
circle_ok(g["coordinates"][1], 38.5, -119.9, 3)
assert M["properties"]["circles"] == [{"lat": 38.5, "lon": -119.9, "radius_km": 3}]
assert W["geometry"] is None and "circles" not in W["properties"]
PY
}
fh "$S" list --format geojson
expect_rc $EX_OK
cp "$TMP/out" "$TMP/list.json"
check "$TMP/list.json" || fail "list geojson: $(cat "$TMP/list.json")"
fh "$S" duty --format geojson
expect_rc $EX_OK
cp "$TMP/out" "$TMP/duty.json"
check "$TMP/duty.json" || fail "duty geojson: $(cat "$TMP/duty.json")"
# --json is as it was: no circles there (they belong to the map).
fh "$S" list --json
expect_rc $EX_OK
! grep -q '"circles"' "$TMP/out" || fail "circles in list --json"
echo ok
