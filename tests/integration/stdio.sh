#!/usr/bin/env bash
# stdio.sh: two daemons piped together ([link] type = stdio): each one's stdout is the
# other's stdin, through two named pipes. A report crosses each way and the stores converge;
# when one daemon stops, the other sees its input end and takes the link down (and keeps
# running and answering).
set -euo pipefail
FH_DEADLINE=${FH_DEADLINE:-60}
. "$(dirname "$0")/lib.sh"
FH_SYNC_INTERVAL=2

make_node left 330110101
make_node right 330110101201
stdio_link() {
	printf '\n[link pipe]\ntype = stdio\nkey = %s\n' "${FH_KEY[$1]}"
}
FH_EXTRA[left]=$(stdio_link right)
FH_EXTRA[right]=$(stdio_link left)

l2r=$FH_TMP/left-to-right
r2l=$FH_TMP/right-to-left
mkfifo "$l2r" "$r2l"

# start_piped NAME: start_node with stdin and stdout on the pipes (logs stay on stderr).
# Opening a FIFO blocks until its other end is opened: left opens its input first, right
# its output first, so the two opens meet instead of waiting for each other.
start_piped() {
	local name=$1
	write_conf "$name"
	echo "---- start $(date -u +%T.%N)" >>"$(node_log "$name")"
	if [ "$name" = left ]; then
		"$FENGHUOD" -c "$(node_conf "$name")" <"$r2l" >"$l2r" 2>>"$(node_log "$name")" &
	else
		"$FENGHUOD" -c "$(node_conf "$name")" >"$r2l" <"$l2r" 2>>"$(node_log "$name")" &
	fi
	FH_PID[$name]=$!
	echo "$!" >>"$FH_TMP/.pids"
}
start_piped left
start_piped right
wait_for 20 "left answers on its control socket" _fh_ready left
wait_for 20 "right answers on its control socket" _fh_ready right

pipe_state() {	# pipe_state NODE: "STATE LINK" of the pipe link
	echo "$(link_field "$1" pipe state) $(link_field "$1" pipe link)"
}
both_up() {
	[ "$(pipe_state left)" = "up stdio" ] && [ "$(pipe_state right)" = "up stdio" ]
}
wait_for 20 "the pipe link is up at both ends" both_up

a=$(report left "from the left")
b=$(report right "from the right")
w=$(fh left warn --area 330110 --level red --event 山洪 --title "山洪红色预警" --expires 1h)
wait_for 20 "both reports and the warning are at both ends" everywhere "$a" "$b" "$w"
same() {	# (delivery receipts for the warning may still be on their way)
	[ "$(status_field left digest)" = "$(status_field right digest)" ]
}
wait_for 20 "both ends hold the same set" same
# right's delivery receipt of the warning says it came over a stdio stream link.
wait_for 20 "left holds right's receipt of the warning, naming the stdio link" \
	eval '[ "$(receipt_links left "$w")" = stdio ]'
log "messages crossed the pipes both ways"

stop_node right
down() {
	[ "$(pipe_state left)" = "down stdio" ]
}
wait_for 20 "left sees the pipe end" down
status_field left messages >/dev/null || fail "left stopped answering after its input ended"
grep -Eq "stream link (input ended|write: Broken pipe)" "$(node_log left)" ||
	fail "left did not log the end of its pipes"
log "ok"
