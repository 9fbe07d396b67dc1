#!/usr/bin/env bash
# curve.sh: CurveZMQ, ZAP admission and the per-peer/per-author limits of a running daemon,
# on a certified mesh p1 - n - p2: a county root, node certificates that
# carry each node's transport key, and [peer] transport keys for the first contact.
# curvepeer.py (python3-zmq, CURVE clients) plays the hostile peers against n:
#  1. a stranger's random transport key: never answered, refused by ZAP, logged once;
#  2. a certified transport key whose HELLO claims another node key: the link is refused;
#  3. a configured peer's stolen transport key claiming another node: refused;
#  4. 100,000 junk frames from one admitted peer: dropped and counted, while n still relays a
#     message from p1 to p2;
#  5. a frame of 2 MiB (over WIRE_FRAME_MAX): cut by ZeroMQ, n lives and relays;
#  6. a burst of reports by one author beyond n's [limits] author rate: dropped and counted;
#  7. the client's node revoked while its link is up: n closes the link, and its transport
#     key is refused from then on, logged once;
#  8. a configured peer revoked: n closes its own connection to it too.
set -euo pipefail
FH_DEADLINE=160
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

need_pyzmq curve

# stat NAME A.B: a nested field of `fenghuo status --json`.
stat() {
	fh "$1" status --json | "$FH_PY" -c 'import json, sys
o = json.loads(sys.stdin.readline())
for k in sys.argv[1].split("."):
    o = o[k]
print(o)' "$2"
}
# at_least NAME A.B N
at_least() {
	[ "$(stat "$1" "$2")" -ge "$3" ]
}
peer() {
	"$FH_PYZMQ" "$here/curvepeer.py" "$1" "$(node_addr n)" "${FH_TKEY[n]}" "${@:2}"
}
flood_counted() {
	[ $(($(stat n drops.peer_rate) + $(stat n drops.garbage))) -ge 100000 ]
}

make_node p1 330110109201
make_node n 330110109
make_node p2 330110109202
link p1 n
link n p2

# The county: root and admin keys; the admin certifies every node with its transport key.
init_county p1
certify() {	# SUBJECT TRANSPORT NAME ROLES: prints the certificate's id
	fh p1 --key "$K/admin.key" cert --subject "$1" --transport-key "$2" --name "$3" \
		--roles "$4" --region 330110 --days 30
}
for x in p1 n p2; do
	FH_TRUST[$x]="anchors = $ROOT"
	certify "${FH_KEY[$x]}" "${FH_TKEY[$x]}" "$x" node,reporter >/dev/null
done
# The python client's identity: a node key S and a transport key pair, certified together.
read -r CPUB CSEC < <("$FH_PYZMQ" -c 'import zmq, zmq.utils.z85
p, s = zmq.curve_keypair()
print(zmq.utils.z85.decode(p).hex(), zmq.utils.z85.decode(s).hex())')
S=$("$FENGHUO" --key "$K/s.key" keygen | grep -Eo '[0-9a-f]{64}' | head -1)
[ ${#S} -eq 64 ] && [ ${#CPUB} -eq 64 ] || fail "no client keys"
SCERT=$(certify "$S" "$CPUB" client node)
OTHER=$("$FENGHUO" --key "$K/other.key" keygen | grep -Eo '[0-9a-f]{64}' | head -1)
# n limits authors tightly (see 6).
FH_EXTRA[n]=$'[limits]\nauthor_msgs_per_sec = 1\nauthor_msgs_burst = 5'

for x in p1 n p2; do
	start_node "$x"
done
wait_for 30 "the certificates reach p2 through n" has_all p2 "$SCERT"
id=$(report p1 "over CurveZMQ")
wait_for 30 "p2 holds p1's report, relayed by n" has_msg p2 "$id"
at_least n zap.allowed 2 || fail "n's ZAP handler admitted nobody"
log "links are CURVE: n's ZAP handler admitted $(stat n zap.allowed) handshake(s)"

# 1. A stranger.
out=$(peer stranger)
[ "$out" = "stranger: no answer" ] || fail "a stranger's key got an answer: $out"
wait_for 10 "n counts the stranger refused" at_least n zap.refused_unknown 1
at_least n zap.denied 1 || fail "zap.denied not counted"
lines=$(grep -c "zap: refused unknown transport key" "$(node_log n)" || true)
[ "$lines" -eq 1 ] || fail "the stranger's key was logged $lines times, not once"
log "1. stranger refused ($(stat n zap.refused_unknown) handshake(s), logged once)"

# 2. A certified transport key claiming another node in HELLO.
peer claim "$CPUB" "$CSEC" "$OTHER" >/dev/null
wait_for 10 "n refuses the mismatched identity" at_least n zap.identity_refused 1
grep -q "link refused: HELLO claims a node key its transport key is not certified for" \
	"$(node_log n)" || fail "n did not log the identity mismatch"
log "2. certified key claiming another node: link refused"

# 3. p1's transport key, stolen, claiming S.
read -r P1SEC P1PUB < <("$FH_PY" -c 'import sys
d = open(sys.argv[1], "rb").read()
print(d[5:37].hex(), d[37:69].hex())' "$(node_state p1)/transport.key")
peer claim "$P1PUB" "$P1SEC" "$S" >/dev/null
wait_for 10 "n refuses the stolen key's claim" at_least n zap.identity_refused 2
log "3. p1's transport key claiming another node: link refused"

# 4. A flood from an admitted peer, while p1 and p2 talk through n.
peer flood "$CPUB" "$CSEC" "$S" 100000 >"$FH_TMP/flood.out" &
flood=$!
bg_track "$flood"
id=$(report p1 "during the flood")
wait_for 60 "p2 holds p1's report sent during the flood" has_msg p2 "$id"
wait "$flood" || fail "curvepeer.py flood failed"
grep -q "^flood: sent 100000$" "$FH_TMP/flood.out" || fail "the flood did not finish"
wait_for 40 "n has counted all 100000 junk frames" flood_counted
at_least n drops.peer_rate 1 || fail "no frame was dropped by the per-peer rate limit"
log "4. flood: $(stat n drops.peer_rate) frames over the rate, $(stat n drops.garbage) garbage; relay went on"

# 5. An oversize frame.
peer oversize "$CPUB" "$CSEC" "$S" | grep "^oversize: sent$" >/dev/null || fail "oversize client failed"
id=$(report p1 "after the oversize frame")
wait_for 30 "p2 holds p1's report after the oversize frame" has_msg p2 "$id"
node_running n || fail "n died"
log "5. a 2 MiB frame was cut by ZeroMQ; n relays"

# 6. One author's burst beyond n's author rate (burst 5, 1/s): dropped, counted.
for i in $(seq 1 25); do
	report p1 "burst $i" >/dev/null
done
wait_for 30 "n drops reports over p1's author rate" at_least n drops.author_rate 1
log "6. per-author limit: n dropped $(stat n drops.author_rate) new message(s) from p1 for now"

# 7. The client's node is revoked while its link is up: n closes the link at once (peers
# says why, its HELLO is no longer answered), and its transport key is refused from then on,
# logged once.
peer live "$CPUB" "$CSEC" "$S" "$FH_TMP/revoked.flag" >"$FH_TMP/live.out" &
live=$!
bg_track "$live"
# key_field KEY FIELD: FIELD of n's peer with node key KEY (its name is its first HELLO's).
key_field() {
	fh n peers --json | "$FH_PY" -c 'import json, sys
for p in json.load(sys.stdin)["peers"]:
    if p["key"] == sys.argv[1]:
        print(p[sys.argv[2]])' "$1" "$2"
}
live_up() {
	[ "$(key_field "$S" state)" = up ]
}
wait_for 20 "the client's certified link is up at n" live_up
REV=$(fh p1 --key "$K/admin.key" revoke "$S" --reason "laptop stolen")
wait_for 30 "the REVOKE reaches n" has_msg n "$REV"
live_revoked() {
	[ "$(key_field "$S" state)" = revoked ] &&
		[ "$(key_field "$S" reason)" = "revoked: a REVOKE withdrew its node key" ]
}
wait_for 10 "n closes the revoked client's live link, and peers says why" live_revoked
at_least n zap.links_revoked 1 || fail "zap.links_revoked not counted"
touch "$FH_TMP/revoked.flag"
wait "$live" || fail "curvepeer.py live failed"
grep -q "^live: up$" "$FH_TMP/live.out" || fail "the live client's link was not up"
grep -q "^live: after: no answer$" "$FH_TMP/live.out" ||
	fail "n still answers the revoked client on its old connection: $(cat "$FH_TMP/live.out")"
log "7. the revoked client's live link was closed: $(key_field "$S" reason)"
out=$(peer claim "$CPUB" "$CSEC" "$S")
[ "$out" = "claim: no answer" ] || fail "a revoked node's transport key got an answer: $out"
wait_for 10 "n counts the revoked key refused" at_least n zap.refused_revoked 1
lines=$(grep -c "zap: refused revoked transport key" "$(node_log n)" || true)
[ "$lines" -eq 1 ] || fail "the revoked key was logged $lines times, not once"
log "7. revoked node's transport key refused ($(stat n zap.refused_revoked) handshake(s), logged once)"

# 8. A configured peer is revoked: n's own connection to it (outbound, p2) is closed too.
REV2=$(fh p1 --key "$K/admin.key" revoke "${FH_KEY[p2]}" --reason "decommissioned")
wait_for 30 "the REVOKE of p2 reaches n" has_msg n "$REV2"
p2_revoked() {
	[ "$(link_field n p2 state)" = revoked ] &&
		[ "$(link_field n p2 reason)" = "revoked: a REVOKE withdrew its node key" ]
}
wait_for 10 "n closes its links to p2, and peers says why" p2_revoked
at_least n zap.links_revoked 2 || fail "the links to p2 were not counted as revoked"
log "8. configured peer p2 revoked: n closed its links ($(link_field n p2 reason))"

node_running n || fail "n died"
log "ok: CURVE admission, identity binding, revocation, flood and oversize survived, limits counted"
