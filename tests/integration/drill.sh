#!/usr/bin/env bash
# drill.sh: an unannounced drill end to end, and its evaluation checked against the nodes.
# A certified county (1 county, 2 townships, 4 villages; v1_2 over a UDP stream link), v2_2
# stopped before the drill, v2_1 a node that never confirms a warning (confirm_warnings = no,
# as a relay, or a node of a version before delivery receipts). The county starts a drill (`fenghuo drill start`); a village
# officer (a person certified for v1_1's village) confirms it with `fenghuo receipt`; an
# exercise report written at v2_1 is registered by its township. Then `drill report -o DIR`
# at the county, and every figure is checked against what the nodes themselves hold:
# - each node's delivery time is its own first-seen time of the warning, read from its own
#   store (`show --json`), and its hops those of its own store; v2_2 is missing, by name;
#   v2_1, which sent no receipt, counts as delivered by its answer to the trace;
# - the officer's confirmation is the receipt's own creation time, by the officer's key;
# - the time to 50 % coverage is the 4th of the seven nodes' own delays;
# - the report's time to the county is the county's first-seen time of it less its creation;
# - report.md carries the Chinese/English headings; the PNGs have the PNG signature and the
#   SVGs parse as XML; with no gnuplot/dot on PATH the Markdown is still written and says
#   the pictures were skipped.
#
#   c(330110) - t1(330110109) - v1_1, v1_2 (UDP)
#             - t2(330110110) - v2_1, v2_2 (stopped)
set -euo pipefail
FH_DEADLINE=55
. "$(dirname "$0")/lib.sh"
FH_SYNC_INTERVAL=2

county_mesh 2 2 v1_2
FH_EXTRA[v2_1]="confirm_warnings = no"
certify_all c node,reporter,verifier
# The village officer of v1_1: a person, not a node; verifier for that village only.
OFFICER=$("$FENGHUO" keygen -o "$K/officer.key")
CERTS+=("$(fh c --key "$K/admin.key" cert --subject "$OFFICER" --name "officer v1_1" \
	--roles reporter,verifier --region "${FH_REGION[v1_1]}" --days 30)")
for n in "${FH_NODES[@]}"; do
	start_node "$n"
done
wait_for 30 "every node holds the certificates" everywhere "${CERTS[@]}"
stop_node v2_2

wid=$(fh c --key "$K/admin.key" drill start --area 330110 --title "突击演练 红色预警")
log "drill $wid started at the county"
shown=$(fh c show --json "$wid")
grep -q '"status":"exercise"' <<<"$shown" || fail "the drill is not an exercise: $shown"
confirmed_is() {
	[ "$(fh c coverage --json "$wid" | json_field confirmed)" = "$1" ]
}
wait_for 30 "five of seven nodes confirmed at the county" confirmed_is 5
# v2_1 holds it all the same, and never confirms it.
wait_for 30 "v2_1 holds the drill" has_msg v2_1 "$wid"

# The officer at v1_1 confirms it by hand, naming the village where their certificate holds.
rid=$(fh v1_1 --key "$K/officer.key" receipt "$wid" --stage registered \
	--region "${FH_REGION[v1_1]}" --note "村信息员已收到")
wait_for 30 "the officer's receipt reaches the county" has_msg c "$rid"

# An exercise report from v2_1, registered by its township.
rep=$(fh v2_1 report --region "${FH_REGION[v2_1]}" --category test --status exercise \
	--title "演练：河堤渗水")
wait_for 30 "the report reaches t2" has_msg t2 "$rep"
reg=$(fh t2 receipt "$rep" --stage registered)
wait_for 30 "the report and its registration reach the county" has_all c "$rep" "$reg"

out=$FH_TMP/report
fh c drill report "$wid" -o "$out" --timeout 6 >"$FH_TMP/drill.out"
log "report:"$'\n'"$(cat "$out/report.md")"

# What every node holds itself: its own first-seen time and hops of the warning.
for n in "${FH_NODES[@]}"; do
	[ "$n" = v2_2 ] && continue
	fh "$n" show --json "$wid" >"$FH_TMP/own.$n.json"
	echo "$n ${FH_KEY[$n]}" >>"$FH_TMP/nodekeys"
done
fh c show --json "$rid" >"$FH_TMP/officer.json"
fh c show --json "$rep" >"$FH_TMP/rep.json"
"$FH_PY" - "$out/report.json" "$FH_TMP" "$OFFICER" "${FH_KEY[v2_2]}" "$rep" <<'EOF' ||
import json, sys
ev = json.load(open(sys.argv[1]))
def own_json(path):  # `show --json`: the message is the first line
    return json.loads(open(path).readline())
tmp, officer, v22, rep = sys.argv[2:6]
keys = dict(l.split() for l in open(tmp + "/nodekeys"))
nodes = {n["key"]: n for n in ev["nodes"]}
assert ev["status"] == "exercise" and ev["roster"] == 7, ev
assert ev["delivered"] == 6 and ev["missing"] == ["node v2_2"], ev["missing"]
assert ev["confirmed"] == 5, ev["confirmed"]
assert nodes[v22]["missing"] and nodes[v22]["delivered_ms"] is None, nodes[v22]
delays = []
for name, key in keys.items():
    own = own_json(tmp + "/own." + name + ".json")
    n = nodes[key]
    assert not n["missing"], n
    assert n["delivered_ms"] == own["first_seen_ms"], (name, n, own["first_seen_ms"])
    assert n["hops"] == own["hops"], (name, n["hops"], own["hops"])
    delays.append(max(own["first_seen_ms"] - own["created_ms"], 0))
    if name == "v2_1":
        # No receipt came: the trace's answer says it holds the warning, since when.
        assert n["source"] == "trace" and n["known_here_ms"] is None, n
        assert n["link"] == "zeromq" and n["via_name"] is None, n
    else:
        assert n["source"] == "receipt", (name, n)
        if name.startswith("v"):
            assert n["via_name"] == "node t" + name[1], (name, n)
assert nodes[keys["v1_2"]]["link"] == "udp" and nodes[keys["v1_1"]]["link"] == "zeromq", nodes
delays.sort()
assert ev["time_to_ms"]["50"] == delays[3], (ev["time_to_ms"], delays)
assert ev["time_to_ms"]["90"] is None and ev["time_to_ms"]["100"] is None, ev["time_to_ms"]
# The officer's confirmation: their receipt's own time, by their key, for v1_1 alone.
orc = own_json(tmp + "/officer.json")
assert nodes[keys["v1_1"]]["person_ms"] == orc["created_ms"], nodes[keys["v1_1"]]
assert nodes[keys["v1_1"]]["person_key"] == officer, nodes[keys["v1_1"]]
assert ev["confirmed_by_person"] == 1, ev["confirmed_by_person"]
t = {x["code"]: x for x in ev["townships"]}
assert t["330110110"]["missing"] == ["node v2_2"] and t["330110110"]["delivered"] == 2, t
assert t["330110109"]["confirmed_by_person"] == 1 and t["330110109"]["roster"] == 3, t
# The report: its time to the county from the county's own store.
r = own_json(tmp + "/rep.json")
assert len(ev["reports"]) == 1 and ev["reports"][0]["id"] == rep, ev["reports"]
x = ev["reports"][0]
assert x["to_county_ms"] == max(r["first_seen_ms"] - r["created_ms"], 0), (x, r)
assert x["stages_ms"]["registered"] is not None and x["stages_ms"]["closed"] is None, x
assert x["within_30m"] is True, x
assert ev["link_counters"]["zmq"]["bytes_out"] > 0, ev["link_counters"]
assert ev["carried_bytes"]["udp"] == ev["warning_bytes"], ev["carried_bytes"]
assert ev["trace"]["asked"] and ev["pictures"] == "drawn", (ev["trace"], ev["pictures"])
EOF
	fail "the report's figures do not match the nodes' own"

# The daemon's bytes per link kind (peers --json "link_bytes"): at least the
# sum over its peers of that kind (more once a peer has gone), in one reply.
fh t1 peers --json | "$FH_PY" -c 'import json, sys
o = json.load(sys.stdin)
lb = o["link_bytes"]
assert set(lb) == {"zmq", "udp"}, lb
for kind in lb:
    for d in ("bytes_in", "bytes_out"):
        s = sum(p[d] for p in o["peers"] if p["link"] == kind)
        assert lb[kind][d] >= s > 0, (kind, d, lb, s)' || fail "t1's link_bytes: $(fh t1 peers --json)"

md=$out/report.md
for h in "## 覆盖情况 Coverage" "## 未送达节点 Missing nodes" "## 各乡镇 Per township" \
	"## 各节点 Per node" "## 链路流量 Bytes per link" "## 演练期间的报告 Reports during the drill"; do
	grep -qF "$h" "$md" || fail "report.md lacks $h"
done
grep -q "^- \*\*node v2_2\*\* 330110110002" "$md" || fail "report.md does not name v2_2 as missing"
"$FH_PY" - "$out" <<'EOF' || fail "the pictures are not valid PNG/SVG"
import sys, xml.etree.ElementTree as ET
d = sys.argv[1]
for p in ("coverage", "tree", "townships"):
    assert open(d + "/" + p + ".png", "rb").read(8) == b"\x89PNG\r\n\x1a\n", p
    root = ET.parse(d + "/" + p + ".svg").getroot()
    assert root.tag.endswith("svg"), (p, root.tag)
svg = open(d + "/tree.svg").read()
assert "node v2_2" in svg and "MISSING" in svg and "red" in svg, "v2_2 not red in the tree"
EOF

# No drawing tools on PATH: the Markdown is still written, and says why there are no pictures.
bare=$FH_TMP/bare
PATH=/nonexistent "$FENGHUO" --state "$(node_state c)" drill report "$wid" -o "$bare" \
	--timeout 0 >/dev/null 2>"$FH_TMP/bare.err"
grep -q "skipped: gnuplot is not installed" "$bare/report.md" || fail "no skip note: $(cat "$bare/report.md")"
grep -q "## 覆盖情况 Coverage" "$bare/report.md" || fail "bare report.md incomplete"
[ ! -e "$bare/coverage.png" ] || fail "a picture without gnuplot"
log "ok: the drill's evaluation matches what every node holds"
