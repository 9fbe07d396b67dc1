#!/usr/bin/env bash
# coverage.sh: at the county, `fenghuo coverage` tells who holds a warning and who is missing.
# A certified mesh (every node holds a node certificate for its region from the county's
# admin): the roster of a county-wide warning is the five nodes. One village is stopped
# before the warning: coverage shows 4/5 with that village missing by name and region, and
# duty says `confirmed 4/5, 1 missing`; once it is started again its receipt comes back and
# coverage reaches 100 %. The receipts alone draw the delivery tree at the county
# (`coverage --tree`, --json path): t had the warning from c after 1 hop over ZeroMQ, each
# village from t after 2 hops, v2 over its UDP stream link.
#
#   c(330110) - t(330110109) - v1(330110109001)
#                           |= v2(330110109002)   (= a UDP stream link)
#                           \- v3(330110109003)
set -euo pipefail
FH_DEADLINE=60
. "$(dirname "$0")/lib.sh"
FH_SYNC_INTERVAL=2

make_node c 330110
make_node t 330110109
make_node v1 330110109001
make_node v2 330110109002
make_node v3 330110109003
link c t
link t v1
for v in t_v2 v2_t; do
	_fh_alloc_port >"$FH_TMP/.port"
	printf -v "$v" '%s' "$(cat "$FH_TMP/.port")"
done
# stream_link NAME PEER LOCAL REMOTE: a [link NAME] section to PEER over UDP.
stream_link() {
	printf '\n[link %s]\ntype = udp\nkey = %s\nlocal = 127.0.0.1:%s\nremote = 127.0.0.1:%s\nmtu = 256\n' \
		"$1" "${FH_KEY[$2]}" "$3" "$4"
}
FH_EXTRA[t]=$(stream_link tov2 v2 "$t_v2" "$v2_t")
FH_EXTRA[v2]=$(stream_link tot t "$v2_t" "$t_v2")
link t v3
init_county c
CERTS=()
for n in "${FH_NODES[@]}"; do
	CERTS+=("$(fh c --key "$K/admin.key" cert --subject "${FH_KEY[$n]}" \
		--transport-key "${FH_TKEY[$n]}" --name "node $n" --roles node,reporter \
		--region "${FH_REGION[$n]}" --days 30)")
	FH_TRUST[$n]="anchors = $ROOT"
done
for n in "${FH_NODES[@]}"; do
	start_node "$n"
done
# Every node knows every certificate (and so every other node) before the warning.
wait_for 30 "every node holds the certificates" everywhere "${CERTS[@]}"

# cov_field FIELD: the field of `coverage --json` of $wid at the county.
cov_field() {
	fh c coverage --json "$wid" | json_field "$1"
}
confirmed_is() {
	[ "$(cov_field confirmed)" = "$1" ]
}

stop_node v3
wid=$(fh c --key "$K/admin.key" warn --area 330110 --level red --event 暴雨 --title "暴雨红色预警")
log "warning $wid issued at the county with v3 stopped"
wait_for 30 "four of five nodes confirmed at the county" confirmed_is 4
[ "$(cov_field roster)" = 5 ] || fail "roster: $(fh c coverage "$wid")"
out=$(fh c coverage "$wid")
grep -q "confirmed 4/5 (80%), 1 missing" <<<"$out" || fail "coverage: $out"
grep -q "^330110109 *余杭区 径山镇 *confirmed 3/4$" <<<"$out" || fail "township: $out"
grep -q "MISSING  node v3 *330110109003 余杭区 径山镇" <<<"$out" || fail "v3 not missing: $out"
[ "$(grep -c MISSING <<<"$out")" -eq 1 ] || fail "more than v3 missing: $out"
duty=$(fh c duty)
grep -q "${wid:0:12}.*confirmed 4/5, 1 missing" <<<"$duty" || fail "duty at the county: $duty"

# The tree from the receipts alone: the warning entered at c (the admin's key signed it
# there), t had it from c, v1 and v2 from t.
tree=$(fh c coverage --tree "$wid" | sed -n '/^delivery tree/,$p')
grep -A1 "(issued it)$" <<<"$tree" | grep -q "^  node c  330110  0 hops  +[0-9.a-z]*  entered here$" ||
	fail "c in the tree: $tree"
grep -q "^    node t  330110109  1 hop  +[0-9.a-z]*  zeromq$" <<<"$tree" || fail "t in the tree: $tree"
grep -q "^      node v1  330110109001  2 hops  +[0-9.a-z]*  zeromq$" <<<"$tree" || fail "v1 in the tree: $tree"
grep -q "^      node v2  330110109002  2 hops  +[0-9.a-z]*  udp$" <<<"$tree" || fail "v2 in the tree: $tree"
fh c coverage --json "$wid" | "$FH_PY" -c 'import json, sys
t, v2 = sys.argv[1:]
n = {x["name"]: x for x in json.load(sys.stdin)["nodes"]}
p = n["node v2"]["path"]
assert p["via_key"] == t and p["via"] == t[:16] and p["via_name"] == "node t", p
assert p["hops"] == 2 and p["link"] == "udp" and p["delay_ms"] >= 0, p
assert n["node t"]["path"]["via_name"] == "node c" and n["node t"]["path"]["hops"] == 1
assert n["node c"]["path"]["via"] is None and n["node c"]["path"]["hops"] == 0
assert n["node v1"]["path"]["link"] == "zeromq"' "${FH_KEY[t]}" "${FH_KEY[v2]}" ||
	fail "coverage --json path: $(fh c coverage --json "$wid")"

start_node v3
wait_for 30 "v3's receipt reaches the county" confirmed_is 5
out=$(fh c coverage "$wid")
grep -q "confirmed 5/5 (100%), 0 missing" <<<"$out" || fail "coverage after v3 came back: $out"
grep -q "MISSING" <<<"$out" && fail "still missing: $out"
fh c coverage --tree "$wid" | grep -q "^      node v3  330110109003  2 hops  +[0-9.a-z]*  zeromq$" ||
	fail "v3 in the tree: $(fh c coverage --tree "$wid")"
fh c coverage --json "$wid" | "$FH_PY" -c 'import json, sys
t = json.load(sys.stdin)["time_to_ms"]
assert t["50"] is not None and t["90"] is not None and t["100"] is not None, t
assert t["50"] <= t["90"] <= t["100"], t' || fail "times to 50/90/100 %"
log "ok: the county sees who holds the warning and who is missing"
