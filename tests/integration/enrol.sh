#!/usr/bin/env bash
# enrol.sh: late enrolment. A village dials its township before the township knows the
# village's certificate: the township's ZAP handler refuses the village's transport key, and
# libzmq gives up on that connection. The village must say so in `peers` ("refused by peer:
# transport key not admitted", not "connecting"), keep dialling with a backoff, and come up by
# itself once its certificate has reached the township.
set -euo pipefail
FH_DEADLINE=90
. "$(dirname "$0")/lib.sh"

make_node t 330110109
make_node v 330110109201
FH_PEERS[v]=" t"	# v dials t; t has no [peer v] (so no bootstrap key for v)
init_county t
FH_TRUST[t]="anchors = $ROOT"
start_node t
start_node v

refused() {
	[ "$(link_field v t state)" = refused ] &&
		[ "$(link_field v t reason)" = "refused by peer: transport key not admitted" ]
}
wait_for 30 "v's peers shows t refusing its transport key" refused
wait_for 10 "t counts v's key refused" \
	grep -q "zap: refused unknown transport key" "$(node_log t)"
log "v dialled before its enrolment: refused, and peers says why"

# Let the refusal stand for a few dials: v must keep trying (libzmq alone never would).
denied_at_least() {
	[ "$(status_field t zap | "$FH_PY" -c 'import json, sys
print(json.loads(sys.stdin.read())["denied"])')" -ge "$1" ]
}
wait_for 30 "v dialled t again after the refusal" denied_at_least 3
log "v dials again after the refusal ($(status_field t zap | "$FH_PY" -c 'import json, sys
print(json.loads(sys.stdin.read())["denied"])') refused handshakes so far)"

# The county enrols the village: its node certificate, carrying its transport key, is
# written at the township.
fh t --key "$K/admin.key" cert --subject "${FH_KEY[v]}" --transport-key "${FH_TKEY[v]}" \
	--name v --roles node,reporter --region 330110109 --days 30 >/dev/null
link_up() {
	[ "$(link_field v t state)" = up ]
}
# The backoff is at most 60 s between dials.
wait_for 70 "v's link to t comes up by itself after the enrolment" link_up
[ -z "$(link_field v t reason)" ] || fail "an up link still shows a reason"
id=$(report v "after enrolment")
wait_for 30 "t holds v's report" has_msg t "$id"
log "ok: v came up by itself once its certificate reached t"
