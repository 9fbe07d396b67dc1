#!/usr/bin/env bash
# creceipt.sh: compact delivery receipts on stream links (PROTOCOL.md §5, Compact receipts).
# A certified county, a village on a UDP stream link of MTU 256 through fenghuo-linksim (which
# counts the bytes of each direction), and a hamlet on a second stream link whose daemon runs
# with FENGHUOD_COMPACT_RECEIPTS=no, as a peer without the capability:
#
#   village(330110101201) ~relay~ county(330110) ~ hamlet(330110101202)
#
# Red warnings issued at the county. Checks that
#   1. county and village read records, county and hamlet do not;
#   2. the village's receipt of each warning crosses as one record and is stored at the
#      county under the id the village gave it; what the village put on the air for it,
#      counted by the relay and by the county's link, is at most 120 bytes;
#   3. the hamlet's receipt reaches the county whole, and the county passes the village's
#      receipt on to the hamlet whole (same id), the hamlet's to the village as a record.
# FH_BITRATE=2400 paces the village's link and the relay as a radio would (docs/BENCHMARKS.md,
# "Delivery receipts on a stream link", measures so); by default the link is not paced.
set -euo pipefail
FH_DEADLINE=${FH_DEADLINE:-60}
# No reconciliation round inside a measurement: only the receipts cross.
FH_SYNC_INTERVAL=600
. "$(dirname "$0")/lib.sh"

make_node county 330110
make_node village 330110101201
make_node hamlet 330110101202
for v in c_v v_c relay_c relay_v c_h h_c; do
	_fh_alloc_port >"$FH_TMP/.port"
	printf -v "$v" '%s' "$(cat "$FH_TMP/.port")"
done
FH_EXTRA[county]="$(udp_section village "$c_v" "$relay_c" 256 "${FH_BITRATE:-0}")
$(udp_section hamlet "$c_h" "$h_c" 256)"
FH_EXTRA[village]=$(udp_section county "$v_c" "$relay_v" 256 "${FH_BITRATE:-0}")
FH_EXTRA[hamlet]=$(udp_section county "$h_c" "$c_h" 256)
linksim_udp relay "$relay_c" "$c_v" "$relay_v" "$v_c" --rate "${FH_BITRATE:-0}"

init_county county
CERTS=()
for n in "${FH_NODES[@]}"; do
	CERTS+=("$(fh county --key "$K/admin.key" cert --subject "${FH_KEY[$n]}" \
		--transport-key "${FH_TKEY[$n]}" --name "node $n" --roles node,reporter \
		--region "${FH_REGION[$n]}" --days 30)")
	FH_TRUST[$n]="anchors = $ROOT"
done
start_node county
start_node village
FENGHUOD_COMPACT_RECEIPTS=no start_node hamlet

links_up() {
	[ "$(link_field county tovillage state)" = up ] &&
		[ "$(link_field county tohamlet state)" = up ] &&
		[ "$(link_field village tocounty state)" = up ] &&
		[ "$(link_field hamlet tocounty state)" = up ]
}
wait_for 30 "the stream links are up" links_up
wait_for 30 "every node holds every certificate" everywhere "${CERTS[@]}"
# 1.
[ "$(link_field county tovillage compact_receipts)" = True ] || fail "county -> village: whole"
[ "$(link_field village tocounty compact_receipts)" = True ] || fail "village -> county: whole"
[ "$(link_field county tohamlet compact_receipts)" = False ] || fail "county -> hamlet: compact"
[ "$(link_field hamlet tocounty compact_receipts)" = False ] || fail "hamlet -> county: compact"

# receipt_by NODE WARNING AUTHOR: the id of AUTHOR's receipt of WARNING stored at NODE.
receipt_by() {
	fh "$1" show --json "$2" | "$FH_PY" -c 'import json, sys
for line in list(sys.stdin)[1:]:
    r = json.loads(line)
    if r.get("kind") == "receipt" and r.get("author") == sys.argv[1]:
        print(r["id"])
        break' "$3"
}
relay_b2a() { linksim_stat relay b2a_bytes_in; }
wire_in() { link_field county tovillage wire_in; }
msgs_in() { link_field county tovillage msgs; }
has_receipt() { [ -n "$(receipt_by "$1" "$2" "${FH_KEY[$3]}")" ]; }
# The relay counted as many bytes village -> county as the county's link read: all arrived.
agree() { local b; b=$(relay_b2a); [ -n "$b" ] && [ "$b" -eq "$(wire_in)" ]; }

# 2. One warning at a time. Just before each, the village sends a report (announced by id,
# asked for, sent), so that neither of its PING timers (10 s without sending, 15 s without
# hearing) falls due while it answers the warning; should one still do so (a slow machine),
# the window holds two messages instead of one and the next warning measures.
clean=0
for round in 1 2 3 4; do
	rep=$(report village "round $round")
	wait_for 20 "the village's report $round is at the county" has_msg county "$rep"
	wait_for 10 "the relay's count agrees with the county's" agree
	w0=$(wire_in)
	m0=$(msgs_in)
	in0=$(link_field county tovillage receipts_in)
	warn=$(fh county --key "$K/admin.key" warn --area 330110 --level red --event 暴雨 \
		--title "暴雨红色预警 $round" --expires 6h)
	wait_for 30 "the village's receipt of warning $round is at the county" \
		has_receipt county "$warn" village
	w1=$(wire_in)
	m1=$(msgs_in)
	in1=$(link_field county tovillage receipts_in)
	[ "$in1" -eq $((in0 + 1)) ] || fail "round $round: $((in1 - in0)) records came, expected 1"
	# The id the village gave its receipt is the one stored at the county.
	vid=$(receipt_by village "$warn" "${FH_KEY[village]}")
	cid=$(receipt_by county "$warn" "${FH_KEY[village]}")
	[ -n "$vid" ] && [ "$vid" = "$cid" ] || fail "round $round: ids differ: '$vid' '$cid'"
	# What the county's link read is what went on the air: the relay agrees again.
	wait_for 10 "the relay's count agrees with the county's" agree
	if [ "$((m1 - m0))" -ne 1 ]; then
		log "round $round: $((m1 - m0)) messages from the village in the window; again"
		continue
	fi
	bytes=$((w1 - w0))
	log "round $round: receipt $vid, one datagram of $bytes bytes village -> county"
	[ "$bytes" -le 120 ] || fail "round $round: a confirmation cost $bytes bytes (> 120)"
	clean=$((clean + 1))
	[ "$clean" -lt 2 ] || break
done
[ "$clean" -ge 1 ] || fail "no clean measurement in four rounds"

# 3. The hamlet's receipt whole to the county; the village's whole to the hamlet.
wait_for 30 "the hamlet's receipt is at the county" has_receipt county "$warn" hamlet
wait_for 30 "the village's receipt is at the hamlet" has_receipt hamlet "$warn" village
hid=$(receipt_by hamlet "$warn" "${FH_KEY[village]}")
[ "$hid" = "$vid" ] || fail "the village's receipt has another id at the hamlet: $hid"
wait_for 30 "the hamlet's receipt is at the village" has_receipt village "$warn" hamlet
[ "$(link_field county tohamlet receipts_in)" -eq 0 ] || fail "records from the hamlet"
[ "$(link_field hamlet tocounty receipts_in)" -eq 0 ] || fail "records to the hamlet"
[ "$(link_field village tocounty receipts_in)" -ge 1 ] ||
	fail "the hamlet's receipts did not reach the village as records"
for n in county village hamlet; do
	[ "$(status_field "$n" compact_receipts_invalid)" -eq 0 ] || fail "$n: a record failed"
done
log "ok: receipts compact between county and village, whole to and from the hamlet"
