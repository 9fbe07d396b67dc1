#!/usr/bin/env bash
# serial.sh: two nodes joined only by a serial stream link ([link] type = serial) over two
# pseudo-terminals that fenghuo-linksim joins like a noisy cable: bursts of line noise (stray
# magic bytes included) and bit flips. Checks that messages cross both ways while the line
# is noisy, that the receivers counted the damage (CRC failures, resyncs), and that once the
# line is clean both stores converge to the same set.
set -euo pipefail
FH_DEADLINE=${FH_DEADLINE:-80}
. "$(dirname "$0")/lib.sh"
FH_SYNC_INTERVAL=2
WRITES=${WRITES:-20}

make_node town 330110101
make_node village 330110101201

healthy=$FH_TMP/line-clean
linksim_pty line --noise 0.2 --corrupt 0.1 --seed 3 --clean-file "$healthy"
tty_town=$LINKSIM_TTY_A
tty_village=$LINKSIM_TTY_B
serial_link() {
	printf '\n[link line]\ntype = serial\nkey = %s\ndevice = %s\nbaud = 115200\nmtu = 128\n' \
		"${FH_KEY[$1]}" "$2"
}
FH_EXTRA[town]=$(serial_link village "$tty_town")
FH_EXTRA[village]=$(serial_link town "$tty_village")
start_node town
start_node village

line_field() {	# line_field NODE FIELD: the serial link's stream.FIELD (or FIELD)
	link_field "$1" line "$2"
}
line_up() {
	[ "$(line_field town state)" = up ] && [ "$(line_field village state)" = up ]
}
wait_for 30 "the serial link is up at both ends" line_up
[ "$(line_field town link)" = serial ] || fail "the link is not shown as serial"

# Messages both ways over the noisy line.
ids=()
for ((k = 0; k < WRITES; k++)); do
	ids+=("$(report town "town report $k")")
	ids+=("$(report village "village report $k")")
done
ids+=("$(fh town warn --area 330110 --level orange --event 大风 --title "大风橙色预警" \
	--expires 2h)")
log "wrote $((2 * WRITES)) reports and a warning on a noisy line"
wait_for 40 "everything written reaches both ends" everywhere "${ids[@]}"

damage() {
	local s=0 n f
	for n in town village; do
		for f in crc_errors resyncs; do
			s=$((s + $(line_field "$n" "$f")))
		done
	done
	echo "$s"
}
log "line: $(linksim_stat line noise) noise bursts, $(linksim_stat line corrupted) chunks" \
	"corrupted; CRC errors + resyncs counted: $(damage)"
[ "$(damage)" -gt 0 ] || fail "a noisy line, yet no CRC error or resync was counted"

touch "$healthy"
same() {
	# (at least: the village also signs a delivery receipt for the warning)
	[ "$(status_field town digest)" = "$(status_field village digest)" ] &&
		[ "$(status_field town messages)" -ge $((2 * WRITES + 1)) ]
}
wait_for 30 "both ends hold the same set" same
# The village's delivery receipt of the warning says it came over a serial link.
wait_for 20 "the town holds the village's receipt of the warning, naming the serial link" \
	eval '[ "$(receipt_links town "${ids[-1]}")" = serial ]'
log "converged: $(status_field town digest)"
log "ok"
