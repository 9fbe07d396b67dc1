#!/usr/bin/env bash
# follow.sh: `fenghuo duty --follow` on a pseudo-terminal (follow.py drives it). Without a
# daemon it says so and exits 69. With one: a red warning written after the first screen
# appears highlighted with NEW and its expiry, a report that falls overdue is highlighted
# when it does (the screen redraws by itself), a bell rings; with --no-bell none does. On
# SIGINT it restores the terminal and exits 0. In a pipe: no terminal control at all; when the
# daemon restarts the screen says it went away and then is live again.
set -euo pipefail
FH_DEADLINE=90
. "$(dirname "$0")/lib.sh"

make_node s 330110109201
report s "written before the daemon" >/dev/null	# a store, but no daemon

rc=0
fh s duty --follow >/dev/null 2>"$FH_TMP/nod.err" || rc=$?
[ "$rc" -eq 69 ] || fail "duty --follow without a daemon exited $rc, expected 69"
grep -q "fenghuod is not running" "$FH_TMP/nod.err" ||
	fail "duty --follow without a daemon: $(cat "$FH_TMP/nod.err")"

start_node s
S=$(node_state s)
python3 "$(dirname "$0")/follow.py" "$FENGHUO" "$S" 330110109201 1 --overdue 2s ||
	fail "duty --follow with the bell"
python3 "$(dirname "$0")/follow.py" "$FENGHUO" "$S" 330110109201 0 --overdue 2s --no-bell ||
	fail "duty --follow --no-bell"

# Not a terminal: drawings one after another, no escape sequence, no bell.
"$FENGHUO" --state "$S" duty --follow >"$FH_TMP/pipe.out" 2>"$FH_TMP/pipe.err" &
pipe_pid=$!
bg_track "$pipe_pid"
k=0
drawn_again() {
	[ "$(grep -c '^==== fenghuo duty --follow' "$FH_TMP/pipe.out")" -ge 2 ] &&
		grep -q "pipe warning" "$FH_TMP/pipe.out" && return 0
	k=$((k + 1))
	fh s warn --area 330110 --level red --event 暴雨 --title "pipe warning $k" >/dev/null
	return 1
}
wait_for 30 "duty --follow in a pipe drew a new warning" drawn_again
# The daemon restarts: the screen says it went away, then is live again.
stop_node s
last_header() { grep '^==== fenghuo duty --follow' "$FH_TMP/pipe.out" | tail -1; }
gone() { last_header | grep "fenghuod has gone away: waiting for it to come back" >/dev/null; }
wait_for 20 "duty --follow said fenghuod went away" gone
start_node s
live() { last_header | grep "live (Ctrl-C to leave)" >/dev/null; }
wait_for 30 "duty --follow is live again after the restart" live
kill -TERM "$pipe_pid"
rc=0
wait "$pipe_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "duty --follow exited $rc on SIGTERM: $(cat "$FH_TMP/pipe.err")"
! grep -q $'[\e\a]' "$FH_TMP/pipe.out" || fail "terminal control in a pipe"
log "ok: highlighted, bell and --no-bell, terminal restored, plain in a pipe"
