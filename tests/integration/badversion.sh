#!/usr/bin/env bash
# badversion.sh: a peer speaking protocol version 99, and one sending junk, cannot hurt a
# node. p1 - n - p2 is a chain; rawpeer.py (python3-zmq, frames built by hand) connects to n,
# says HELLO with protocol_version 99, then sends garbage; a second connection says a valid
# HELLO and sends frames full of junk. n logs the refusal, stays up, and still relays a
# message from p1 to p2.
set -euo pipefail
FH_DEADLINE=60
. "$(dirname "$0")/lib.sh"

# python3-zmq is a Debian package for the system python3; pick an interpreter that has it.
need_pyzmq

make_node p1 330110109201
make_node n 330110109
make_node p2 330110109202
link p1 n
link n p2
for x in "${FH_NODES[@]}"; do
	start_node "$x"
done
npid=${FH_PID[n]}

timeout 40 "$FH_PYZMQ" "$(dirname "$0")/rawpeer.py" "$(node_addr n)" "${FH_TKEY[n]}" | tee "$FH_TMP/rawpeer.out"
grep -q '^done$' "$FH_TMP/rawpeer.out" || fail "rawpeer.py did not finish"

node_running n || fail "n died after the raw peer's frames"
[ "${FH_PID[n]}" = "$npid" ] || fail "n was restarted?"
fh n status --json >/dev/null || fail "n no longer answers on its control socket"
grep -q "protocol version 99" "$(node_log n)" || fail "n did not log the refused version 99"
log "n logged: $(grep -m1 "protocol version 99" "$(node_log n)")"
# What an operator sees: p1 and p2 still up among the configured peers, the raw peers apart.
out=$(fh n peers) || fail "fenghuo peers at n failed"
printf '%s\n' "$out"
for p in p1 p2; do
	sed -n '/^configured peers/,/^discovered peers/p' <<<"$out" | grep -Eq "^  $p +up " ||
		fail "fenghuo peers at n does not show $p up among the configured peers"
done

id=$(report p1 "after the raw peer")
wait_for 30 "p2 holds the message relayed by n" has_msg p2 "$id"
node_running n || fail "n died"
log "ok: n refused version 99, survived the junk, and relayed $id"
