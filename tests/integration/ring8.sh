#!/usr/bin/env bash
# ring8.sh: a ring of eight nodes with two chords, so that every message reaches most nodes
# over several paths at once. Messages written at four different nodes end up stored exactly
# once on every node, and every node checks each signature exactly once (DESIGN decision 6,
# dedupe before verify): status "verified" == "stored" == the number of messages, no matter
# how many duplicate copies arrived.
set -euo pipefail
FH_DEADLINE=100
. "$(dirname "$0")/lib.sh"
FH_SYNC_INTERVAL=2

for i in 0 1 2 3 4 5 6 7; do
	make_node "r$i" "33011010$((i + 1))"
done
for i in 0 1 2 3 4 5 6 7; do
	link "r$i" "r$(((i + 1) % 8))"
done
link r0 r4
link r2 r6
for n in "${FH_NODES[@]}"; do
	start_node "$n"
done

# 3 + 3 + 2 + 2 messages at four nodes, some of them before the links are all up.
ids=()
for spec in r0:3 r3:3 r5:2 r6:2; do
	n=${spec%:*}
	for ((k = 0; k < ${spec#*:}; k++)); do
		ids+=("$(report "$n" "ring $n #$k")")
	done
done
total=${#ids[@]}
log "$total messages written at r0, r3, r5, r6 (push = ${FH_PUSH:-default})"

# Reports on a node, counted from the store (announcements of peer exchange, if any, are
# messages too, and are not what this test counts).
reports() {
	fh "$1" list --kind report --json | wc -l
}
converged() {
	local n
	for n in "${FH_NODES[@]}"; do
		[ "$(reports "$n")" -eq "$total" ] || return 1
	done
}
wait_for 60 "every node holds all $total reports" converged
for n in "${FH_NODES[@]}"; do
	has_all "$n" "${ids[@]}" || fail "$n lacks one of the written ids"
done

# Let copies that are still in flight land: wait until every pair of linked nodes has finished
# two more sync rounds after convergence. "sync_rounds" counts the rounds a node started, and
# of two nodes that connect to each other only one starts them (PROTOCOL.md section 7), so a
# pair's count is the sum of both sides'.
declare -A rounds
# rounds[NODE PEERKEY] = rounds NODE started with that peer.
read_rounds() {
	local n k c
	rounds=()
	for n in "${FH_NODES[@]}"; do
		while read -r k c; do
			rounds["$n $k"]=$c
		done < <(fh "$n" peers --json | "$FH_PY" -c 'import json, sys
for p in json.load(sys.stdin)["peers"]:
    print(p["key"], p.get("sync_rounds", 0))')
	done
}
pair_rounds() {
	echo $((${rounds["$1 ${FH_KEY[$2]}"]:-0} + ${rounds["$2 ${FH_KEY[$1]}"]:-0}))
}
declare -A base
read_rounds
for n in "${FH_NODES[@]}"; do
	for m in ${FH_PEERS[$n]}; do
		base["$n $m"]=$(pair_rounds "$n" "$m")
	done
done
synced_twice() {
	local n m
	read_rounds
	for n in "${FH_NODES[@]}"; do
		for m in ${FH_PEERS[$n]}; do
			[ "$(pair_rounds "$n" "$m")" -ge $((base["$n $m"] + 2)) ] || return 1
		done
	done
}
wait_for 60 "every pair of linked nodes completed two more sync rounds" synced_twice

digest0=$(status_field r0 digest)
for n in "${FH_NODES[@]}"; do
	st=$(fh "$n" status --json)
	msgs=$(json_field messages <<<"$st")
	verified=$(json_field verified <<<"$st")
	stored=$(json_field stored <<<"$st")
	dups=$(json_field duplicates <<<"$st")
	log "$n: messages $msgs stored $stored verified $verified duplicates $dups"
	[ "$(json_field digest <<<"$st")" = "$digest0" ] || fail "$n: store digest differs from r0"
	[ "$msgs" -ge "$total" ] || fail "$n: $msgs messages, expected at least $total"
	# Every message in the store came in new exactly once: by a submit or from a peer.
	[ "$stored" -eq "$msgs" ] || fail "$n: $stored new messages counted for $msgs stored"
	# One signature check per new message: duplicates were never verified again.
	[ "$verified" -eq "$msgs" ] || fail "$n: $verified signature checks for $msgs new messages"
done
log "ok: $total messages, each stored and verified once on each of 8 nodes"
