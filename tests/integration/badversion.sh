#!/usr/bin/env bash
# badversion.sh: a peer speaking protocol version 99, and one sending junk, cannot hurt a
# node. p1 - n - p2 is a chain; rawpeer.py (python3-zmq, frames built by hand) connects to n,
# says HELLO with protocol_version 99, then sends garbage; a second connection says the HELLO
# of a node of version 1 (protocol_version 1, no protocol_max) and sends frames full of junk.
# n logs the refusal and `peers` gives the reason with both version ranges, the version-1
# HELLO is answered and brings its link up, n stays up, and still relays a message from p1
# to p2. `status --prometheus` at n parses (python3-prometheus-client) and agrees.
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
why="no common protocol version: it speaks 99 to 99, we speak 1 to 1"
grep -q "$why" "$(node_log n)" || fail "n did not log the refused version 99"
log "n logged: $(grep -m1 "$why" "$(node_log n)")"
grep -q "^junk: sent HELLO version 1; node answered HELLO version 1$" "$FH_TMP/rawpeer.out" ||
	fail "n did not answer the HELLO of a node of version 1"
grep -q "peer rawpeer-junk.*: link refused" "$(node_log n)" &&
	fail "n refused the HELLO of a node of version 1"
fh n peers --json | "$FH_PY" -c 'import json, sys
peers = json.load(sys.stdin)["peers"]
old = [p for p in peers if p["name"] == "rawpeer-old"]
assert old and old[0]["state"] == "refused" and old[0]["reason"] == sys.argv[1], old
assert [p["protocol_version"] for p in peers if p["name"] in ("p1", "p2")] == [1, 1], peers
' "$why" || fail "peers at n does not show rawpeer-old refused for its version, p1 and p2 on 1"
# What an operator sees: p1 and p2 still up among the configured peers, the raw peers apart.
out=$(fh n peers) || fail "fenghuo peers at n failed"
printf '%s\n' "$out"
for p in p1 p2; do
	sed -n '/^configured peers/,/^discovered peers/p' <<<"$out" | grep -Eq "^  $p +up " ||
		fail "fenghuo peers at n does not show $p up among the configured peers"
done

id=$(report p1 "after the raw peer")
wait_for 30 "p2 holds the message relayed by n" has_msg p2 "$id"
fh n status --prometheus | "$FH_PY" "$(dirname "$0")/promcheck.py" \
	'fenghuo_peer_up{peer="p1"}=1' 'fenghuo_peer_up{peer="p2"}=1' \
	'fenghuo_peer_up{peer="rawpeer-old"}=0' 'fenghuo_peer_protocol_version{peer="p1"}=1' \
	'fenghuo_messages_stored_total=1' 'fenghuo_store_messages=1' ||
	fail "status --prometheus at n"
node_running n || fail "n died"
log "ok: n refused version 99, survived the junk, and relayed $id"
