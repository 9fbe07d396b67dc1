#!/usr/bin/env bash
# reload.sh: SIGHUP reloads fenghuod's configuration (docs/CONFIG.md "Reloading").
#
# a runs with peer b. Its file is then edited: peer c added, log_level debug, [limits]
# store_max_bytes changed, and listen moved to another port (that takes a restart). After
# SIGHUP a is still running, dials c and links up with it, reports the new quota, logs the
# listen change as needing a restart and keeps serving on its old port (b stays linked, the
# new port stays free). A broken file on SIGHUP is refused with its error logged and changes
# nothing; a valid one without c then retires c. a still stops cleanly (exit status 0) and
# removes its pid file and control socket.
set -euo pipefail
FH_DEADLINE=60
. "$(dirname "$0")/lib.sh"

make_node a 330110101001
make_node b 330110101002
make_node c 330110101003
link a b
start_node a
start_node b
start_node c
wait_for 30 "a and b are linked" test "$(link_field a b state 2>/dev/null)" = up

LOG=$(node_log a)
CONF=$(node_conf a)

# hup: send a SIGHUP, wait until a has logged the reload's outcome (line count before: $1).
hup() {
	local before=$1
	kill -HUP "${FH_PID[a]}"
	wait_for 30 "a logs the outcome of the reload" reload_logged "$before"
	node_running a || fail "a exited on SIGHUP (log: $LOG)"
}

reload_logged() {
	tail -n +"$(($1 + 1))" "$LOG" | grep -Eq 'reload: .*(loaded|configuration is kept)'
}

lines() { wc -l <"$LOG"; }

# The quota a reports in force.
quota_max() {
	fh a status --json | "$FH_PY" -c 'import json, sys
print(json.load(sys.stdin)["store_quota"]["max_bytes"])'
}

# Whether NAME is among a's peers.
a_has_peer() {
	fh a peers --json | "$FH_PY" -c 'import json, sys
sys.exit(0 if any(p["name"] == sys.argv[1] for p in json.load(sys.stdin)["peers"]) else 1)' "$1"
}

old_quota=$(quota_max)
[ "$old_quota" != 12345678 ] || fail "the default quota is the test value"
_fh_alloc_port >"$FH_TMP/.port"
newport=$(cat "$FH_TMP/.port")

# ---- a valid edit: a peer, the log level, a limit, and a restart-only setting
FH_PEERS[a]+=" c"
FH_EXTRA[a]=$'\n[limits]\nstore_max_bytes = 12345678'
FH_LOG_LEVEL=debug write_conf a
sed -i "s|^listen = .*|listen = tcp://127.0.0.1:$newport|" "$CONF"
grep -q "^log_level = debug" "$CONF" || fail "the edited config has no log_level debug"
n0=$(lines)
hup "$n0"
tail -n +"$((n0 + 1))" "$LOG" | grep 'reload: .* loaded' >/dev/null ||
	fail "the edited config was not loaded (log: $LOG)"
tail -n +"$((n0 + 1))" "$LOG" | grep 'reload: log_level debug' >/dev/null ||
	fail "the new log level is not reported"
tail -n +"$((n0 + 1))" "$LOG" | grep '\[node\] listen changed; that takes a restart' >/dev/null ||
	fail "the listen change is not logged as needing a restart"
wait_for 30 "a's new peer c links up" test "$(link_field a c state 2>/dev/null)" = up
[ "$(quota_max)" = 12345678 ] || fail "the new store_max_bytes is not in force: $(quota_max)"
# The restart-only change is kept at its running value: b's link to the old port stays up,
# and nothing listens on the new one.
[ "$(link_field a b state)" = up ] || fail "a's link with b went down on reload"
_fh_port_free "$newport" || fail "a listens on the new port $newport without a restart"
# The debug level is in force: a debug line after the reload.
debug_logged() { tail -n +"$((n0 + 1))" "$LOG" | grep '^[-0-9T:.+]* *debug: ' >/dev/null; }
wait_for 30 "a logs at debug level" debug_logged
log "reloaded: peer c linked, quota 12345678, log_level debug, listen kept (restart-only)"

# ---- a broken edit: refused, errors logged, nothing changes
echo "this line is broken" >>"$CONF"
n1=$(lines)
hup "$n1"
tail -n +"$((n1 + 1))" "$LOG" | grep "reload: $CONF:[0-9]*: syntax error" >/dev/null ||
	fail "the error in the broken config is not logged with file:line"
tail -n +"$((n1 + 1))" "$LOG" | grep 'error; the running configuration is kept' >/dev/null ||
	fail "the broken config is not refused as a whole"
[ "$(quota_max)" = 12345678 ] || fail "the quota changed on a refused reload"
[ "$(link_field a c state)" = up ] || fail "peer c went down on a refused reload"
log "a broken config on SIGHUP was refused and changed nothing"

# ---- a peer removed: retired, gone from a's peers
FH_PEERS[a]=" b"
write_conf a
n2=$(lines)
hup "$n2"
tail -n +"$((n2 + 1))" "$LOG" | grep 'reload: peer c .*removed' >/dev/null || fail "peer c was not retired"
! a_has_peer c || fail "c is still among a's peers after its removal"
[ "$(link_field a b state)" = up ] || fail "a's link with b went down on reload"

stop_node a
# Three SIGHUPs later, a clean stop still removes the pid file and the control socket.
[ ! -e "$(node_state a)/fenghuod.pid" ] || fail "a left its pid file behind"
[ ! -e "$(node_state a)/fenghuod.sock" ] || fail "a left its control socket behind"
log "ok: SIGHUP reloads; restart-only changes kept; a bad config refused"
