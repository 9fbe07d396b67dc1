#!/usr/bin/env bash
# curve_rekey.sh: a node dials a peer whose [peer] transport key is wrong (an old key, say):
# the CurveZMQ handshake fails and is logged once; when a certificate carrying the peer's
# real transport key arrives, the node dials again with that key and the link comes up.
set -euo pipefail
FH_DEADLINE=60
. "$(dirname "$0")/lib.sh"

make_node a 330110109201
make_node b 330110109
FH_PEERS[a]=" b"	# a dials b; b (open trust) admits any key
init_county a
FH_TRUST[a]="anchors = $ROOT"
real=${FH_TKEY[b]}
FH_TKEY[b]=$(printf '%064d' 7)	# what a's config will say
start_node b
start_node a
wait_for 15 "a logs the failed handshake" \
	grep -q "CurveZMQ handshake with $(node_addr b) failed" "$(node_log a)"

peer_up() {
	[ "$(fh a status --json | "$FH_PY" -c 'import json, sys
print(json.loads(sys.stdin.readline())["peers"][0]["state"])')" = up ]
}
peer_up && fail "a's link to b is up with a wrong server key"
fh a --key "$K/admin.key" cert --subject "${FH_KEY[b]}" --transport-key "$real" --name b \
	--roles node --region 330110 --days 3 >/dev/null
wait_for 30 "a dials b again with the certified key and the link comes up" peer_up
grep -q "peer b .*: dialling again with its current transport key" "$(node_log a)" ||
	fail "a did not log the new dial"
n=$(grep -c "CurveZMQ handshake with" "$(node_log a)" || true)
[ "$n" -eq 1 ] || fail "the failed handshake was logged $n times, not once"
log "ok: wrong key logged once; the certificate's key was dialled and the link is up"
