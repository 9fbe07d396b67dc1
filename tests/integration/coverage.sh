#!/usr/bin/env bash
# coverage.sh: at the county, `fenghuo coverage` tells who holds a warning and who is missing.
# A certified county of ten nodes (every node holds a node certificate for its region from
# the county's admin, who signs the warnings at the centre, so the roster of a county-wide
# warning is all ten nodes):
# - a red warning reaches every node: coverage 10/10, 3/3 in each township, none missing,
#   and the receipts alone draw the delivery tree (`coverage --tree`, --json path): c had it
#   from no neighbour (it entered there), each township from c after 1 hop over ZeroMQ, each
#   village from its township after 2 hops, v1_2 over its UDP stream link;
# - two villages stopped before the next warning: coverage 8/10 with those two missing by
#   name and region, duty `confirmed 8/10, 2 missing`; started again, they confirm: 100 %;
# - an update of that warning, then a cancel, are each confirmed as a message of its own:
#   the coverage of each reaches 10/10.
#
#   c(330110) - t1(330110109 径山镇) - v1_1, v1_2 (v1_2 over UDP)
#             - t2(330110110 瓶窑镇) - v2_1, v2_2
#             - t3(330110111 鸬鸟镇) - v3_1, v3_2
set -euo pipefail
FH_DEADLINE=80
. "$(dirname "$0")/lib.sh"
FH_SYNC_INTERVAL=2

county_mesh 3 2 v1_2
certify_all c
for n in "${FH_NODES[@]}"; do
	start_node "$n"
done
# Every node knows every certificate (and so every other node) before the warning.
wait_for 40 "every node holds the certificates" everywhere "${CERTS[@]}"

# cov_field FIELD: the field of `coverage --json` of $wid at the county.
cov_field() {
	fh c coverage --json "$wid" | json_field "$1"
}
confirmed_is() {
	[ "$(cov_field confirmed)" = "$1" ]
}

# ---- a red warning reaches all ----
# fh c --key "$K/admin.key" warn ...: a warning signed by the county's admin at c.
warn() {
	fh c --key "$K/admin.key" warn "$@"
}
wid=$(warn --area 330110 --level red --event 暴雨 --title "暴雨红色预警")
log "warning $wid issued at the county"
wait_for 30 "all ten nodes confirmed at the county" confirmed_is 10
out=$(fh c coverage "$wid")
grep -q "confirmed 10/10 (100%), 0 missing" <<<"$out" || fail "coverage: $out"
for t in "330110109 *余杭区 径山镇" "330110110 *余杭区 瓶窑镇" "330110111 *余杭区 鸬鸟镇"; do
	grep -q "^$t *confirmed 3/3$" <<<"$out" || fail "township $t: $out"
done
grep -q MISSING <<<"$out" && fail "missing with all up: $out"

# The tree from the receipts alone: the admin signed it, it entered at c, each township had
# it from c, each village from its township.
tree=$(fh c coverage --tree "$wid" | sed -n '/^delivery tree/,$p')
log "delivery tree at the county:"$'\n'"$tree"
grep -A1 "(issued it)$" <<<"$tree" | grep "^  node c  330110  0 hops  +[0-9.a-z]*  entered here$" >/dev/null ||
	fail "c in the tree: $tree"
for i in 1 2 3; do
	grep -q "^    node t$i  ${FH_REGION[t$i]}  1 hop  +[0-9.a-z]*  zeromq$" <<<"$tree" ||
		fail "t$i in the tree: $tree"
	# Both villages right under their township (the lines after it, to the next township).
	for j in 1 2; do
		sed -n "/^    node t$i /,/^    node t/p" <<<"$tree" | grep "^      node v${i}_$j  " >/dev/null ||
			fail "v${i}_$j not under t$i: $tree"
	done
done
grep -q "^      node v1_2  330110109002  2 hops  +[0-9.a-z]*  udp$" <<<"$tree" || fail "v1_2: $tree"
grep -q "^      node v2_1  330110110001  2 hops  +[0-9.a-z]*  zeromq$" <<<"$tree" || fail "v2_1: $tree"
fh c coverage --json "$wid" | "$FH_PY" -c 'import json, sys
t1 = sys.argv[1]
n = {x["name"]: x for x in json.load(sys.stdin)["nodes"]}
assert len(n) == 10 and all(x["confirmed"] for x in n.values()), n
assert n["node c"]["path"]["via"] is None and n["node c"]["path"]["hops"] == 0, n["node c"]
p = n["node v1_2"]["path"]
assert p["via_key"] == t1 and p["via"] == t1[:16] and p["via_name"] == "node t1", p
assert p["hops"] == 2 and p["link"] == "udp" and p["delay_ms"] >= 0, p
for t in ("node t1", "node t2", "node t3"):
    p = n[t]["path"]
    assert p["via_name"] == "node c" and not p["via_issuer"] and p["hops"] == 1, p
    assert p["link"] == "zeromq", p
assert n["node v3_2"]["path"]["via_name"] == "node t3" and n["node v3_2"]["path"]["hops"] == 2
' "${FH_KEY[t1]}" || fail "coverage --json path: $(fh c coverage --json "$wid")"

# ---- two villages stopped before the next warning ----
stop_node v2_1
stop_node v3_2
wid=$(warn --area 330110 --level orange --event 大风 --title "大风橙色预警")
log "warning $wid issued at the county with v2_1 and v3_2 stopped"
wait_for 30 "eight of ten nodes confirmed at the county" confirmed_is 8
[ "$(cov_field roster)" = 10 ] || fail "roster: $(fh c coverage "$wid")"
out=$(fh c coverage "$wid")
log "coverage with two villages stopped:"$'\n'"$out"
grep -q "confirmed 8/10 (80%), 2 missing" <<<"$out" || fail "coverage: $out"
grep -q "^330110109 *余杭区 径山镇 *confirmed 3/3$" <<<"$out" || fail "t1's township: $out"
grep -q "^330110110 *余杭区 瓶窑镇 *confirmed 2/3$" <<<"$out" || fail "t2's township: $out"
grep -q "^330110111 *余杭区 鸬鸟镇 *confirmed 2/3$" <<<"$out" || fail "t3's township: $out"
grep -q "MISSING  node v2_1 *330110110001 余杭区 瓶窑镇 " <<<"$out" || fail "v2_1 not missing: $out"
grep -q "MISSING  node v3_2 *330110111002 余杭区 鸬鸟镇 " <<<"$out" || fail "v3_2 not missing: $out"
[ "$(grep -c MISSING <<<"$out")" -eq 2 ] || fail "more than two missing: $out"
fh c coverage --json "$wid" | "$FH_PY" -c 'import json, sys
o = json.load(sys.stdin)
miss = {x["name"]: x for x in o["nodes"] if not x["confirmed"]}
assert set(miss) == {"node v2_1", "node v3_2"}, miss
assert miss["node v2_1"]["region"] == "330110110001", miss
assert miss["node v2_1"]["region_name"] == "余杭区 瓶窑镇", miss
assert miss["node v3_2"]["last_heard"] is not None, miss
g = {x["code"]: x for x in o["townships"]}
assert g["330110110"]["missing"] == [sys.argv[1]] and g["330110111"]["missing"] == [sys.argv[2]], g
' "${FH_KEY[v2_1]}" "${FH_KEY[v3_2]}" || fail "coverage --json missing: $(fh c coverage --json "$wid")"
duty=$(fh c duty)
grep -q "${wid:0:12}.*confirmed 8/10, 2 missing" <<<"$duty" || fail "duty at the county: $duty"

# ---- started again: 100 % ----
start_node v2_1
start_node v3_2
wait_for 30 "the two villages' receipts reach the county" confirmed_is 10
out=$(fh c coverage "$wid")
grep -q "confirmed 10/10 (100%), 0 missing" <<<"$out" || fail "coverage after the restart: $out"
grep -q MISSING <<<"$out" && fail "still missing: $out"
fh c coverage --tree "$wid" | grep "^      node v3_2  330110111002  2 hops  +[0-9.a-z]*  zeromq$" >/dev/null ||
	fail "v3_2 in the tree: $(fh c coverage --tree "$wid")"
fh c coverage --json "$wid" | "$FH_PY" -c 'import json, sys
t = json.load(sys.stdin)["time_to_ms"]
assert t["50"] is not None and t["90"] is not None and t["100"] is not None, t
assert t["50"] <= t["90"] <= t["100"], t' || fail "times to 50/90/100 %"
duty=$(fh c duty)
grep -q "${wid:0:12}.*confirmed 10/10, 0 missing" <<<"$duty" || fail "duty after the restart: $duty"

# ---- an update and a cancel are confirmed, and their coverage shows by whom ----
uid=$(warn --msg-type update --ref "$wid" --title "大风橙色预警 (更新)")
wid=$uid
wait_for 30 "all ten nodes confirmed the update" confirmed_is 10
out=$(fh c coverage "$uid")
grep -q "^orange update ${uid:0:12} " <<<"$out" || fail "update's coverage heading: $out"
grep -q "confirmed 10/10 (100%), 0 missing" <<<"$out" || fail "update's coverage: $out"
cid=$(warn --msg-type cancel --ref "$uid" --title "解除大风橙色预警")
wid=$cid
wait_for 30 "all ten nodes confirmed the cancel" confirmed_is 10
out=$(fh c coverage "$cid")
grep -q "^orange cancel ${cid:0:12} " <<<"$out" || fail "cancel's coverage heading: $out"
grep -q "confirmed 10/10 (100%), 0 missing" <<<"$out" || fail "cancel's coverage: $out"
log "ok: the county sees who holds each warning, update and cancel, and who is missing"
