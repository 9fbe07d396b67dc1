#!/usr/bin/env bash
# radio.sh: a gateway over a slow, lossy radio (DESIGN decision 11). county -- gw is an
# ordinary ZeroMQ link; gw == village is a UDP stream link ([link] sections) that runs
# through fenghuo-linksim, a "radio" that paces datagrams and drops or corrupts a fraction
# of them. Checks that
#   1. a report written in the village crosses the radio and reaches the county;
#   2. with a backlog of reports queued for the radio, a red warning written after them at
#      the county reaches the village while the village still lacks some of the reports
#      (priority: the warning overtakes the backlog on the air);
#   3. once the radio is clean, all three nodes converge to the same set (digest), and the
#      stream counters saw the damage (CRC failures at the receivers, datagrams dropped).
set -euo pipefail
FH_DEADLINE=${FH_DEADLINE:-100}
. "$(dirname "$0")/lib.sh"
FH_SYNC_INTERVAL=3
BACKLOG=${BACKLOG:-200}
BITRATE=${BITRATE:-24000}	# what both ends pace to, bits/s

make_node county 330110
make_node gw 330110101
make_node village 330110101201
link county gw

# Four UDP ports: each node's own, and the relay's two faces (each node's `remote`).
for v in gw_udp village_udp relay_gw relay_village; do
	_fh_alloc_port >"$FH_TMP/.port"
	printf -v "$v" '%s' "$(cat "$FH_TMP/.port")"
done
radio_link() {
	local peer=$1 local_port=$2 remote_port=$3
	printf '\n[link radio]\ntype = udp\nkey = %s\nlocal = 127.0.0.1:%s\nremote = 127.0.0.1:%s\nmtu = 512\nbitrate = %s\n' \
		"${FH_KEY[$peer]}" "$local_port" "$remote_port" "$BITRATE"
}
FH_EXTRA[gw]=$(radio_link village "$gw_udp" "$relay_gw")
FH_EXTRA[village]=$(radio_link gw "$village_udp" "$relay_village")

healthy=$FH_TMP/radio-healthy
# The air is a little faster than the nodes pace to, so the radio never queues much: the
# order on the air is the order the gateway chose.
linksim_udp radio "$relay_gw" "$gw_udp" "$relay_village" "$village_udp" \
	--rate $((BITRATE * 2)) --loss 0.1 --corrupt 0.1 --seed 7 --clean-file "$healthy"

for n in county gw village; do
	start_node "$n"
done

stream_field() {	# stream_field NODE FIELD: the radio link's stream.FIELD (or FIELD)
	link_field "$1" radio "$2"
}
radio_up() {
	[ "$(stream_field gw state)" = up ] && [ "$(stream_field village state)" = up ]
}
wait_for 30 "the radio link is up at both ends" radio_up

# 1. A report from the village reaches the county over the radio.
first=$(report village "村口道路被埋")
wait_for 30 "the village's report reaches the county" has_msg county "$first"
log "a report crossed the radio: $first"

# 2. A backlog for the radio, then a red warning behind it. The backlog is written offline
# first and imported in one go, so that it is all queued before the warning however slow the
# machine (200 CLI runs under ASan can take longer than the radio needs to drain them).
backlog_bundle county 0 "$BACKLOG" "$FH_TMP/backlog.fhb"
fh county import "$FH_TMP/backlog.fhb" >/dev/null
warn=$(fh county warn --area 330110 --level red --event 暴雨 --title "暴雨红色预警" \
	--instruction "转移低洼地带群众" --expires 6h)
log "queued $BACKLOG reports, then red warning $warn"
wait_for 40 "the red warning reaches the village" has_msg village "$warn"
# (counted by kind: nodes also sign delivery receipts for the warning, confirm_warnings)
got=$(($(count_kind village report) - 1))
log "the warning is at the village with $got of $BACKLOG backlog reports"
[ "$got" -lt "$BACKLOG" ] ||
	fail "the warning arrived only after the whole backlog ($got reports)"

# 3. A clean radio: everything converges.
touch "$healthy"
same_digest() {
	local d n
	[ "$(count_kind village report)" -eq $((BACKLOG + 1)) ] || return 1
	d=$(status_field county digest)
	for n in county gw village; do
		[ "$(status_field "$n" digest)" = "$d" ] || return 1
	done
}
wait_for 60 "all three nodes hold the same set (all $((BACKLOG + 1)) reports)" same_digest
log "converged: $(status_field county digest)"

log "radio: $(tr '\n' ' ' <"$FH_TMP/radio.stats")"
crc=$(($(stream_field gw crc_errors) + $(stream_field village crc_errors)))
corrupted=$(linksim_stat radio corrupted)
log "stream CRC failures seen by the two ends: $crc (the radio corrupted $corrupted)"
if [ "$corrupted" -gt 0 ] && [ "$crc" -eq 0 ]; then
	fail "the radio corrupted $corrupted datagrams but no end counted a CRC failure"
fi
[ "$crc" -le "$corrupted" ] || fail "more CRC failures ($crc) than corrupted datagrams"
# The operator's view: `fenghuo peers` gives the stream link a line of its own.
peers=$(fh gw peers)
grep -q "udp link, mtu [0-9]*, .*CRC errors" <<<"$peers" || fail "fenghuo peers at gw: $peers"
log "ok"
