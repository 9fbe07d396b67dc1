#!/usr/bin/env bash
# demo.sh: the README's demo. A county, two of its townships and three villages run fenghuod
# on 127.0.0.1; a village reports a landslide, the county issues a red rainstorm warning, and
# the script waits until both messages are stored on all six nodes, prints every node's
# `fenghuo list`, and stops everything it started.
#
#   bash tools/demo.sh [BUILD_DIR]     (tools/setup.sh demo runs it after building)
#
# Topology (real division codes, from the national code table 统计用区划代码):
#
#                 余杭区 county 330110
#                /                    \
#   径山镇 township 330110109    瓶窑镇 township 330110110
#      /            \                   |
#  village        village            village
#  330110109201   330110109202       330110110201
#
# Each link is configured on both ends. Exit status 0 only if both messages reached all six,
# and only if a village's attempt at a red warning of its own is refused.
#
# Trust is set up as a county runs it (docs/TRUST.md, docs/SECURITY.md): `fenghuo init-county`
# at the county office makes the county root key and the office's admin certificate; the
# office certifies every other node's key (`fenghuo cert`) for its own region; every node
# trusts the root key ([trust] anchors). The certificates spread like any message, and each
# daemon accepts a report or warning only from a key certified for it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
export FENGHUOD=${FENGHUOD:-$build/node/fenghuod}
export FENGHUO=${FENGHUO:-$build/tools/fenghuo}
for bin in "$FENGHUOD" "$FENGHUO"; do
	[ -x "$bin" ] || { echo "demo: $bin not found; build first (bash tools/setup.sh build)" >&2; exit 66; }
done

# Nodes, processes, ports, waiting and the cleanup trap: shared with the integration tests.
FH_SYNC_INTERVAL=10
FH_DEADLINE=55
# shellcheck source=../tests/integration/lib.sh
. "$top/tests/integration/lib.sh"
FH_SCRIPT=demo

make_node county 330110
make_node jingshan 330110109
make_node pingyao 330110110
make_node jingshan-v1 330110109201
make_node jingshan-v2 330110109202
make_node pingyao-v1 330110110201
link county jingshan
link county pingyao
link jingshan jingshan-v1
link jingshan jingshan-v2
link pingyao pingyao-v1

# The county's trust root. In real life the root key is made on an offline machine and
# stays there; the demo keeps it in its temporary directory.
fh county init-county --region 330110 --root-key "$FH_TMP/county-root.key" \
	--admin-key "$(node_state county)/node.key" --name "余杭区应急管理局" >/dev/null
root=$(grep -Eo '^[0-9a-f]{64}' "$(node_state county)/anchors" | head -1)
[ ${#root} -eq 64 ] || fail "init-county wrote no root key to the anchors file"
log "county root key ${root:0:16}...: the trust anchor of every node"
declare -A roles=([jingshan]=node,verifier,reporter [pingyao]=node,verifier,reporter
	[jingshan-v1]=node,reporter [jingshan-v2]=node,reporter [pingyao-v1]=node,reporter)
ncert=1
for n in "${FH_NODES[@]}"; do
	FH_TRUST[$n]="anchors = $root"
	[ "$n" != county ] || continue
	fh county cert --subject "${FH_KEY[$n]}" --roles "${roles[$n]}" \
		--region "${FH_REGION[$n]}" --days 30 --name "$n" \
		${FH_TKEY[$n]:+--transport-key "${FH_TKEY[$n]}"} >/dev/null
	ncert=$((ncert + 1))
done
log "county office certified $((ncert - 1)) node keys (roles by level, each for its own region)"
# The CLI judges trust with <state>/anchors (for `show`), the daemon with its config: keep
# them in step, as docs/SECURITY.md says.
for n in "${FH_NODES[@]}"; do
	[ "$n" = county ] || cp "$(node_state county)/anchors" "$(node_state "$n")/anchors"
done

log "starting 6 nodes in $FH_TMP"
for n in "${FH_NODES[@]}"; do
	start_node "$n"
done
declare -A label=([county]="余杭区 county office" [jingshan]="径山镇 township"
	[pingyao]="瓶窑镇 township" [jingshan-v1]="径山镇 village 201"
	[jingshan-v2]="径山镇 village 202" [pingyao-v1]="瓶窑镇 village 201")
for n in "${FH_NODES[@]}"; do
	printf '  %-12s %-13s %-22s key %.16s...  %s\n' "$n" "${FH_REGION[$n]}" \
		"$(node_addr "$n")" "${FH_KEY[$n]}" "${label[$n]}"
done

# Enrolment first: a node holds back (does not store or pass on) a message whose author's
# certificate it has not seen yet, so wait until every node knows all the certificates.
knows_certs() {
	local n t
	for n in "${FH_NODES[@]}"; do
		t=$(status_field "$n" trust) || return 1
		[ "$("$FH_PY" -c 'import json, sys; print(json.loads(sys.argv[1])["certs"])' "$t")" -ge "$ncert" ] ||
			return 1
	done
}
wait_for 40 "all $ncert certificates are on all six nodes" knows_certs
log "every node knows every certificate"

# Links come up in the background: a message submitted before a link is up reaches the
# other side by reconciliation when it comes up, so there is nothing to wait for here.
report_id=$(fh jingshan-v1 report --region 330110109201 --category landslide \
	--title "山体滑坡 阻断村道" --text "村口道路被埋约30米, 无人员伤亡, 请求清障")
log "village jingshan-v1 reported a landslide: $report_id"
warn_id=$(fh county warn --area 330110 --level red --event 暴雨 \
	--title "余杭区暴雨红色预警" --instruction "停课停工, 转移低洼地带群众" --expires 6h)
log "county issued a red rainstorm warning: $warn_id"

# 不得多头发布: a village holds no issuer role, so its own warning is refused.
rc=0
refusal=$(fh jingshan-v1 warn --area 330110109 --level red --event 暴雨 \
	--title "村里自发的红色预警" --expires 1h 2>&1 >/dev/null) || rc=$?
[ "$rc" -eq 65 ] || fail "a village's warning was not refused (exit $rc): $refusal"
log "a village's own red warning is refused: ${refusal#fenghuo: warn: }"

# A node holds a message when `list --json` shows its id.
holds_both() {
	local out
	out=$(fh "$1" list --json) || return 1
	grep -q "\"id\":\"$report_id\"" <<<"$out" && grep -q "\"id\":\"$warn_id\"" <<<"$out"
}
all_hold_both() {
	local n
	for n in "${FH_NODES[@]}"; do
		holds_both "$n" || return 1
	done
}
start=$SECONDS
wait_for 40 "the report and the warning are on all six nodes" all_hold_both
log "both messages reached all six nodes in about $((SECONDS - start)) s"

for n in "${FH_NODES[@]}"; do
	echo
	echo "== $n (${FH_REGION[$n]}): fenghuo list --kind warning; fenghuo list --kind report"
	fh "$n" list --kind warning
	fh "$n" list --kind report
done
echo
echo "== jingshan: fenghuo peers (the township's links up and down the tree)"
fh jingshan peers
echo
echo "== pingyao-v1: fenghuo show ${warn_id:0:12} (the warning and who authorised its author)"
fh pingyao-v1 show "$warn_id"

# The county office's view: every node that got the warning confirmed it with a signed
# delivery receipt, and the township registered the village's report (the closed loop).
fh jingshan receipt "$report_id" --stage registered --note "镇值班室已登记" >/dev/null
county_sees() {
	fh county duty --json | "$FH_PY" -c 'import json, sys
rows = {o["id"]: o for o in map(json.loads, sys.stdin)}
w, r = rows.get(sys.argv[1]), rows.get(sys.argv[2])
sys.exit(0 if w and len(w["confirmed_by"]) == 5 and r and r["stage"] == "registered" else 1)' \
		"$warn_id" "$report_id"
}
wait_for 40 "the county sees 5 delivery receipts and the registration" county_sees
echo
echo "== county: fenghuo duty (open reports; warnings in force and who confirmed them)"
fh county duty
echo
log "ok; stopping the nodes"
for n in "${FH_NODES[@]}"; do
	stop_node "$n"
done
