#!/usr/bin/env bash
# slowlink.sh: the shell half of `fenghuo-bench slowlink` (run it through fenghuo-bench, which
# sets FENGHUOD, FENGHUO, FH_BENCH and FH_LIB).
#
# Two fenghuod processes on 127.0.0.1, a county and a village, joined only by a UDP stream
# link paced to BITRATE at both ends, through fenghuo-linksim (lib.sh's linksim_udp): the air, which
# holds each datagram for its air time at BITRATE (so a frame arrives when it has been sent
# completely, as on a radio), counts them, and is off while a file exists.
# N reports signed offline are imported at the county in one go, a backlog as a county holds
# it after an outage (village_bundle: 24 villages, each its own key and region, Chinese titles
# and texts of varied lengths); the county announces them by id, the village asks for them,
# the county sends them; once the village holds a tenth of them,
# after a random fraction of a link frame-time, the county issues a red warning. Measured
# from the nodes' own first_seen_ms (one machine, one clock):
#   warn_s        the warning stored at the county -> stored at the village
#   receipt_s     the warning stored at the village -> the village's receipt stored at the county
#   goodput       report envelope bytes x 8 / BITRATE / transfer time (import -> last report)
#   air_per_report  link bytes the county sent during the transfer, per report, against the
#                 report's envelope size
#   link_down_events  "link down" lines in both logs during the transfer
#   cpu_while_down    then the radio goes off with 50 more reports queued: once both ends
#                 took the link down, the larger share of a core either daemon used (CPU
#                 time from /proc, not wall time) over 20 s
# frame_s is the air time of one full link frame, mtu x 8 / BITRATE; warn_frames and
# receipt_frames are warn_s and receipt_s against it (the baseline of this benchmark, as the
# line rate is goodput's); duplicates counts reports the village received twice.
#
#   fenghuo-bench slowlink [-n reports] [-b bits/s] [-m mtu]
set -euo pipefail

N=1000
BITRATE=2400
MTU=256
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift 2 ;;
	-b) BITRATE=$2; shift 2 ;;
	-m) MTU=$2; shift 2 ;;
	*) echo "usage: fenghuo-bench slowlink [-n reports] [-b bits/s] [-m mtu]" >&2; exit 64 ;;
	esac
done
: "${FH_BENCH:?run this through fenghuo-bench slowlink}"

# The transfer takes about N x 330 bytes x 8 / BITRATE, twice that is the bound.
FH_DEADLINE=${FH_DEADLINE:-$((N * 330 * 8 * 2 / BITRATE + 300))}
# shellcheck source=../../tests/integration/lib.sh
. "${FH_LIB:?}"
FH_SYNC_INTERVAL=60

make_node county 330110
make_node village 330110101201
for v in county_udp village_udp relay_county relay_village; do
	_fh_alloc_port >"$FH_TMP/.port"
	printf -v "$v" '%s' "$(cat "$FH_TMP/.port")"
done
radio_link() {
	printf '\n[link radio]\ntype = udp\nkey = %s\nlocal = 127.0.0.1:%s\nremote = 127.0.0.1:%s\nmtu = %s\nbitrate = %s\n' \
		"${FH_KEY[$1]}" "$2" "$3" "$MTU" "$BITRATE"
}
FH_EXTRA[county]=$(radio_link village "$county_udp" "$relay_county")
FH_EXTRA[village]=$(radio_link county "$village_udp" "$relay_village")
down=$FH_TMP/radio-down
linksim_udp radio "$relay_county" "$county_udp" "$relay_village" "$village_udp" \
	--rate "$BITRATE" --down-file "$down"
start_node county
start_node village

# first_seen NODE KIND [min|max|ID]: first_seen_ms of a message, or the min/max over a kind
first_seen() {
	fh "$1" list --kind "$2" --limit 1000000 --json | "$FH_PY" -c 'import json, sys
v = [json.loads(l) for l in sys.stdin if l.strip()]
w = sys.argv[1]
if w in ("min", "max"):
    print((min if w == "min" else max)(m["first_seen_ms"] for m in v))
else:
    print(next(m["first_seen_ms"] for m in v if m["id"] == w))' "$3"
}
cpu_ticks() {	# utime + stime of a pid
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
radio_up() {
	[ "$(link_field county radio state)" = up ] && [ "$(link_field village radio state)" = up ]
}
wait_for 60 "the radio link is up at both ends" radio_up

village_bundle 0 "$N" "$FH_TMP/backlog.fhb"
env_bytes=$(($(stat -c %s "$FH_TMP/backlog.fhb") - 52 - 4 * N))
wire0=$(link_field county radio wire_out)
sync0=$(link_field county radio sync_bytes)
fh county import "$FH_TMP/backlog.fhb" >/dev/null
log "$N reports ($((env_bytes / N)) bytes each on average) queued, mtu $MTU, $BITRATE bit/s"

frame_ms=$((MTU * 8 * 1000 / BITRATE))
tenth() { [ "$(count_kind village report)" -ge $((N / 10)) ]; }
poll_until "$FH_DEADLINE" tenth || fail "the village never got a tenth of the backlog"
sleep "$(awk -v r="$RANDOM" -v f="$frame_ms" 'BEGIN { printf "%.3f", r / 32768 * f / 1000 }')"
warn=$(fh county warn --area 330110 --level red --event 暴雨 --title "暴雨红色预警" \
	--instruction "转移低洼地带群众" --expires 6h)
wait_for "$FH_DEADLINE" "the warning reaches the village" has_msg village "$warn"
has_receipt() { [ "$(count_kind county receipt)" -ge 1 ]; }
wait_for "$FH_DEADLINE" "the receipt reaches the county" has_receipt
all_there() { [ "$(count_kind village report)" -ge "$N" ]; }
poll_until "$FH_DEADLINE" all_there || fail "the backlog did not reach the village"
wire1=$(link_field county radio wire_out)
sync1=$(link_field county radio sync_bytes)
skipped=$(link_field county radio pongs_skipped)
deflated=$(link_field county radio deflated_out)
saved=$(link_field county radio deflate_saved)

w_county=$(first_seen county warning "$warn")
w_village=$(first_seen village warning "$warn")
r_county=$(first_seen county receipt max)
t0=$(first_seen county report min)
t1=$(first_seen village report max)
log "warning at county $w_county, at village $w_village, receipt at county $r_county"
log "county: $((wire1 - wire0)) link bytes out; Sync frames both ways $((sync1 - sync0))" \
	"bytes (before sealing and framing); $skipped PINGs not answered while sending"
log "county: $deflated PUSH frames deflated, $saved bytes saved by deflating"
downs=$(cat "$(node_log county)" "$(node_log village)" | grep -c "link down" || true)
dups=$(status_field village duplicates)

# The radio goes off with more reports on the way; both ends notice (30 s of silence).
village_bundle "$N" $((N + 50)) "$FH_TMP/more.fhb"
touch "$down"
fh county import "$FH_TMP/more.fhb" >/dev/null
gone() {
	grep -q "link down" "$(node_log county)" && grep -q "link down" "$(node_log village)"
}
wait_for 120 "both ends take the link down" gone
c0=$(cpu_ticks "${FH_PID[county]}")
v0=$(cpu_ticks "${FH_PID[village]}")
sleep 20
c1=$(cpu_ticks "${FH_PID[county]}")
v1=$(cpu_ticks "${FH_PID[village]}")
tck=$(getconf CLK_TCK)

awk -v mtu="$MTU" -v br="$BITRATE" -v n="$N" -v eb="$env_bytes" \
    -v wc="$w_county" -v wv="$w_village" -v rc="$r_county" -v t0="$t0" -v t1="$t1" \
    -v w0="$wire0" -v w1="$wire1" -v downs="$downs" -v c="$((c1 - c0))" -v v="$((v1 - v0))" \
    -v dups="$dups" \
    -v tck="$tck" 'BEGIN {
	frame = mtu * 8 / br
	cpu = (c > v ? c : v) / tck / 20
	printf "mtu %d at %d bit/s: frame-time %.2f s, %d reports of %d bytes\n", mtu, br, frame, n, eb / n
	printf "  red warning issue -> stored at the village   %6.2f s\n", (wv - wc) / 1000
	printf "  warning at the village -> receipt at county  %6.2f s\n", (rc - wv) / 1000
	printf "  transfer %.0f s, goodput %.2f of the line rate, %.2f link bytes per envelope byte\n", \
	    (t1 - t0) / 1000, eb * 8 / br / ((t1 - t0) / 1000), (w1 - w0) / eb
	printf "  duplicates received by the village %d\n", dups
	printf "  link down events %d; CPU while the radio is off %.4f of a core\n", downs, cpu
	printf "mtu=%d bitrate=%d n=%d frame_s=%.2f warn_s=%.2f receipt_s=%.2f warn_frames=%.2f " \
	    "receipt_frames=%.2f goodput=%.3f air_per_report=%.3f duplicates=%d " \
	    "link_down_events=%d cpu_while_down=%.4f\n", mtu, br, n, frame, (wv - wc) / 1000, \
	    (rc - wv) / 1000, (wv - wc) / 1000 / frame, (rc - wv) / 1000 / frame, \
	    eb * 8 / br / ((t1 - t0) / 1000), (w1 - w0) / eb, dups, downs, cpu
}'
