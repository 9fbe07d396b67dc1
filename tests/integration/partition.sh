#!/usr/bin/env bash
# partition.sh: a 6-node mesh splits in two and heals. a1-a2 and b1-b2 are two halves that
# only the connectors c1 and c2 join (each connector links to all four, and to the other).
# With both connectors stopped, 200 messages are written on each side; when the connectors
# come back, every node converges to the same set (the same store digest) by reconciliation,
# and the script prints the sync traffic that took (sum of sync_bytes over all links).
set -euo pipefail
FH_DEADLINE=200
. "$(dirname "$0")/lib.sh"
FH_SYNC_INTERVAL=3
PER_SIDE=${PER_SIDE:-200}

make_node a1 330110109
make_node a2 330110109201
make_node b1 330110110
make_node b2 330110110201
make_node c1 330110
make_node c2 330110111
link a1 a2
link b1 b2
for c in c1 c2; do
	for n in a1 a2 b1 b2; do
		link "$c" "$n"
	done
done
link c1 c2
for n in "${FH_NODES[@]}"; do
	start_node "$n"
done

# One message before the split, to see that the mesh works at all.
first=$(report a1 "before the split")
wait_for 30 "the first message is everywhere" everywhere "$first"

stop_node c1
stop_node c2
log "split: c1 and c2 stopped; writing $PER_SIDE messages on each side"

# The CLI writes into running daemons: each submit goes through the control socket.
# Half of each side's messages at each of its two nodes.
write_side() {
	local x=$1 y=$2 k
	for ((k = 0; k < PER_SIDE; k++)); do
		if ((k % 2 == 0)); then
			report "$x" "side $x/$y message $k" >/dev/null
		else
			report "$y" "side $x/$y message $k" >/dev/null
		fi
	done
}
t0=$SECONDS
write_side a1 a2
write_side b1 b2
log "wrote $((2 * PER_SIDE)) messages in $((SECONDS - t0)) s"
# They went through the daemons (status "submitted"), not around them into the stores.
for n in a1 a2 b1 b2; do
	want=$((PER_SIDE / 2))
	[ "$n" != a1 ] || want=$((want + 1))
	got=$(status_field "$n" submitted)
	[ "$got" = "$want" ] || fail "$n: the daemon took $got submits, expected $want"
done

count_is() {
	[ "$(status_field "$1" messages)" -eq "$2" ]
}
# Within each half the messages spread; across the split nothing can.
for n in a1 a2 b1 b2; do
	wait_for 60 "$n holds its side's messages" count_is "$n" $((1 + PER_SIDE))
done
[ "$(status_field a1 digest)" != "$(status_field b1 digest)" ] ||
	fail "the two halves agree although they were split"

log "healing: starting c1 and c2"
start_node c1
start_node c2
expected=$((1 + 2 * PER_SIDE))
same_digest() {
	local d n
	d=$(status_field a1 digest)
	for n in "${FH_NODES[@]}"; do
		[ "$(status_field "$n" messages)" -eq "$expected" ] || return 1
		[ "$(status_field "$n" digest)" = "$d" ] || return 1
	done
}
t0=$SECONDS
wait_for 90 "all six nodes hold the same $expected messages" same_digest
log "converged in about $((SECONDS - t0)) s: digest $(status_field a1 digest)"

# Sync traffic since the connectors restarted (their counters start at 0; the halves'
# counters include the rounds before the split as well).
total=0
for n in "${FH_NODES[@]}"; do
	b=$(fh "$n" peers --json | "$FH_PY" -c 'import json, sys
print(sum(p.get("sync_bytes", 0) for p in json.load(sys.stdin)["peers"]))')
	log "$n: sync_bytes $b"
	total=$((total + b))
done
log "sync traffic reported by all nodes: $total bytes (each link counted at both ends)"
log "ok"
