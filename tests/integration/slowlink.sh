#!/usr/bin/env bash
# slowlink.sh: a county and a village on one paced UDP stream link (through fenghuo-linksim,
# a clean "radio" a little faster than the nodes pace to), a backlog of reports queued from the
# county to the village, then a red warning. Checks that
#   1. the warning reaches the village while the village still lacks reports of the backlog;
#   2. the village's delivery receipt for it reaches the county while the village still lacks
#      reports: the county's requests go ahead of its data, and the receipt of a red warning
#      travels as red (it used to wait for the whole backlog);
#   3. neither end took the link down meanwhile.
# The rate is far above a real radio's, to keep the test short; fenghuo-bench slowlink runs
# the same scenario at 2,400 bit/s.
set -euo pipefail
FH_DEADLINE=${FH_DEADLINE:-60}
. "$(dirname "$0")/lib.sh"
BACKLOG=${BACKLOG:-200}
BITRATE=${BITRATE:-48000}	# what both ends pace to, bits/s

make_node county 330110
make_node village 330110101201

for v in county_udp village_udp relay_county relay_village; do
	_fh_alloc_port >"$FH_TMP/.port"
	printf -v "$v" '%s' "$(cat "$FH_TMP/.port")"
done
radio_link() {
	local peer=$1 local_port=$2 remote_port=$3
	printf '\n[link radio]\ntype = udp\nkey = %s\nlocal = 127.0.0.1:%s\nremote = 127.0.0.1:%s\nmtu = 256\nbitrate = %s\n' \
		"${FH_KEY[$peer]}" "$local_port" "$remote_port" "$BITRATE"
}
FH_EXTRA[county]=$(radio_link village "$county_udp" "$relay_county")
FH_EXTRA[village]=$(radio_link county "$village_udp" "$relay_village")

linksim_udp radio "$relay_county" "$county_udp" "$relay_village" "$village_udp" \
	--rate $((BITRATE * 2))

start_node county
start_node village

radio_up() {
	[ "$(link_field county radio state)" = up ] && [ "$(link_field village radio state)" = up ]
}
wait_for 30 "the radio link is up at both ends" radio_up

backlog_bundle county 0 "$BACKLOG" "$FH_TMP/backlog.fhb"
fh county import "$FH_TMP/backlog.fhb" >/dev/null
warn=$(fh county warn --area 330110 --level red --event 暴雨 --title "暴雨红色预警" \
	--instruction "转移低洼地带群众" --expires 6h)
log "queued $BACKLOG reports, then red warning $warn"

# 1. The warning overtakes the backlog.
wait_for 40 "the red warning reaches the village" has_msg village "$warn"
got=$(count_kind village report)
log "the warning is at the village with $got of $BACKLOG backlog reports"
[ "$got" -lt "$BACKLOG" ] || fail "the warning arrived only after the whole backlog"

# 2. Its receipt too, the other way. (The county issued the warning: it signs no receipt of
# its own, so a receipt at the county is the village's.)
has_receipt() { [ "$(count_kind county receipt)" -ge 1 ]; }
wait_for 40 "the village's receipt reaches the county" has_receipt
got=$(count_kind village report)
log "the receipt is at the county with $got of $BACKLOG backlog reports at the village"
[ "$got" -lt "$BACKLOG" ] ||
	fail "the receipt reached the county only after the whole backlog ($got reports)"

# 3. The link stayed up.
all_there() { [ "$(count_kind village report)" -ge "$BACKLOG" ]; }
wait_for 60 "the whole backlog reaches the village" all_there
downs=$(cat "$(node_log county)" "$(node_log village)" | grep -c "link down" || true)
[ "$downs" -eq 0 ] || fail "the link went down $downs times during the transfer"
log "ok"
