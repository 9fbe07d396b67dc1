#!/usr/bin/env bash
# enrol_village.sh: a village laptop joins a running certified mesh with exactly three
# commands and one file carried each way: `fenghuo enrol request` on the laptop,
# `fenghuo enrol grant` at the county office (c, with the admin key), `fenghuo enrol install`
# on the laptop. The written fenghuod.conf passes --check, the village comes up with its
# township (up at both ends), a warning from the county reaches it, and its delivery receipt
# comes back to the county. Refused without changing anything: a request with a bad region,
# a grant altered on the way, a grant made for another node's keys, an existing conf.
#
#   c (330110, the county office) - t (330110109) - v (330110109201, enrolled here)
set -euo pipefail
FH_DEADLINE=90
. "$(dirname "$0")/lib.sh"

make_node c 330110
make_node t 330110109
link c t
init_county c
for n in c t; do
	fh c --key "$K/admin.key" cert --subject "${FH_KEY[$n]}" --transport-key "${FH_TKEY[$n]}" \
		--name "$n" --roles node,reporter,verifier --region "${FH_REGION[$n]}" --days 30 \
		>/dev/null
	FH_TRUST[$n]="anchors = $ROOT"
done
start_node c
start_node t
up() {	# up NAME PEER: NAME's link to PEER is up
	[ "$(link_field "$1" "$2" state)" = up ]
}
wait_for 30 "c and t are up" up t c

# The laptop: a state directory, nothing else (no key yet, no configuration).
V=$(node_state v)
mkdir -p "$(node_dir v)"
_fh_alloc_port >"$FH_TMP/.port"
FH_NODES+=(v)
FH_PORT[v]=$(cat "$FH_TMP/.port")
R=$FH_TMP/v.req G=$FH_TMP/v.grant

# 1. The request, on the laptop: its keys are made, nothing secret is in the file.
fh v enrol request --name v --region 330110109201 -o "$R" >"$FH_TMP/out"
[ -s "$V/node.key" ] && [ -s "$V/transport.key" ] || fail "enrol request made no keys"
grep -q '"transport_key"' "$R" || fail "the request has no transport key"
! grep -qi "secret" "$R" || fail "the request carries a secret"

# A request with a bad region is refused at the office; nothing is signed.
sed 's/"330110109201"/"3301101"/' "$R" >"$FH_TMP/bad.req"
certs_before=$(fh c list --kind cert --json | grep -c .)
rc=0
fh c --key "$K/admin.key" enrol grant "$FH_TMP/bad.req" --peer "t=$(node_addr t)" \
	-o "$FH_TMP/bad.grant" 2>"$FH_TMP/err" || rc=$?
[ "$rc" -eq 65 ] && grep -q "region '3301101'" "$FH_TMP/err" ||
	fail "a bad region was not refused (exit $rc): $(cat "$FH_TMP/err")"
[ ! -e "$FH_TMP/bad.grant" ] || fail "a grant was written for a bad region"
[ "$(fh c list --kind cert --json | grep -c .)" -eq "$certs_before" ] ||
	fail "a certificate was signed for a bad region"

# So is a grant naming a peer the office has no certificate for.
rc=0
fh c --key "$K/admin.key" enrol grant "$R" --peer "nosuch=$(node_addr t)" \
	-o "$FH_TMP/bad.grant" 2>"$FH_TMP/err" || rc=$?
[ "$rc" -eq 65 ] && grep -q "no certificate named 'nosuch'" "$FH_TMP/err" ||
	fail "an unknown peer was not refused (exit $rc): $(cat "$FH_TMP/err")"
[ "$(fh c list --kind cert --json | grep -c .)" -eq "$certs_before" ] ||
	fail "a certificate was signed for a grant naming an unknown peer"

# 2. The grant, at the county office.
fh c --key "$K/admin.key" enrol grant "$R" --roles node,reporter --peer "t=$(node_addr t)" \
	-o "$G" >"$FH_TMP/out"
log "$(head -1 "$FH_TMP/out")"
cert=$(awk '$1 == "certificate" { print $2; exit }' "$FH_TMP/out")
[ ${#cert} -eq 64 ] || fail "enrol grant printed no certificate id"
# The township admits v's transport key once the certificate has reached it (enrol.sh
# covers a village that dials before that).
wait_for 30 "t holds v's certificate" has_msg t "$cert"

# Refused on the laptop, with nothing written: an altered grant ...
"$FH_PY" - "$G" "$FH_TMP/tampered.grant" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
o["grant"] = o["grant"].replace("tcp://127.0.0.1:", "tcp://10.6.6.6:")
json.dump(o, open(sys.argv[2], "w"))
PY
rc=0
fh v enrol install "$FH_TMP/tampered.grant" 2>"$FH_TMP/err" || rc=$?
[ "$rc" -eq 65 ] && grep -q "signature does not match" "$FH_TMP/err" ||
	fail "an altered grant was not refused (exit $rc): $(cat "$FH_TMP/err")"
# ... and a grant made for another laptop's keys.
W=$FH_TMP/w/state
"$FENGHUO" --state "$W" enrol request --name w --region 330110109202 -o "$FH_TMP/w.req" \
	>/dev/null
fh c --key "$K/admin.key" enrol grant "$FH_TMP/w.req" --peer "t=$(node_addr t)" \
	-o "$FH_TMP/w.grant" >/dev/null
rc=0
fh v enrol install "$FH_TMP/w.grant" 2>"$FH_TMP/err" || rc=$?
[ "$rc" -eq 65 ] && grep -q "made for another node's keys" "$FH_TMP/err" ||
	fail "a grant for another node was not refused (exit $rc): $(cat "$FH_TMP/err")"
[ ! -e "$V/fenghuod.conf" ] && [ ! -e "$V/anchors" ] ||
	fail "a refused grant changed the laptop's state directory"

# 3. The install, on the laptop.
fh v enrol install "$G" --listen "$(node_addr v)" >"$FH_TMP/out"
log "$(head -1 "$FH_TMP/out")"
"$FENGHUOD" -c "$V/fenghuod.conf" --check >"$FH_TMP/check" 2>&1 ||
	fail "fenghuod --check on the installed configuration: $(cat "$FH_TMP/check")"
grep -q "configuration OK" "$FH_TMP/check" || fail "--check: $(cat "$FH_TMP/check")"
rc=0
fh v enrol install "$G" 2>"$FH_TMP/err" || rc=$?
[ "$rc" -eq 73 ] || fail "a second install overwrote the configuration (exit $rc)"

# The daemon on exactly that configuration (start_node would write its own).
echo "---- start $(date -u +%T.%N)" >>"$(node_log v)"
"$FENGHUOD" -c "$V/fenghuod.conf" >>"$(node_log v)" 2>&1 &
FH_PID[v]=$!
echo "$!" >>"$FH_TMP/.pids"
wait_for 20 "v answers on its control socket" _fh_ready v
wait_for 60 "v's link to t is up" up v t
wait_for 30 "t sees v up" up t v
log "v is up with t, both ways"

wid=$(fh c --key "$K/admin.key" warn --area 330110109 --level red --event 暴雨 \
	--title "暴雨红色预警")
wait_for 30 "the warning reaches v" has_msg v "$wid"
v_receipt() {
	fh c show --json "$wid" | "$FH_PY" -c 'import json, sys
rows = [json.loads(l) for l in sys.stdin]
sys.exit(0 if any(o.get("kind") == "receipt" and o.get("stage") == "delivered" and
                  o.get("author") == sys.argv[1] for o in rows[1:]) else 1)' "$1"
}
vkey=$(fh v status --json | json_field key)
wait_for 30 "v's delivery receipt comes back to c" v_receipt "$vkey"
log "ok: v enrolled with three commands; warning $wid reached it and its receipt came back"
