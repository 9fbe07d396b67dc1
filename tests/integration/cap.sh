#!/usr/bin/env bash
# cap.sh: a national-profile CAP alert (a red rainstorm warning of the county's weather
# bureau) imported at the county with the admin's issuer key crosses a certified 3-node mesh
# signed, and `fenghuo cap export` at the village gives back an alert equal to the input,
# element by element (capdiff.py); its OASIS export there is valid CAP 1.2. The same alert
# signed with a node key (no issuer role) is refused by the county's daemon, and reaches
# nobody. The village hangs off the township on a UDP stream link.
#
#   c(330110) - t(330110109) = v(330110109001)   (= a UDP stream link)
set -euo pipefail
FH_DEADLINE=60
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
CAPDIR=$HERE/../cap
ALERT=$CAPDIR/data/cn-yuhang-rainstorm-red.xml
XSD=$HERE/../../data/cap/CAP-v1.2.xsd

make_node c 330110
make_node t 330110109
make_node v 330110109001
link c t
for p in t_v v_t; do
	_fh_alloc_port >"$FH_TMP/.port"
	printf -v "$p" '%s' "$(cat "$FH_TMP/.port")"
done
FH_EXTRA[t]=$(udp_section v "$t_v" "$v_t" 256)
FH_EXTRA[v]=$(udp_section t "$v_t" "$t_v" 256)
init_county c
CERTS=()
for n in "${FH_NODES[@]}"; do
	CERTS+=("$(fh c --key "$K/admin.key" cert --subject "${FH_KEY[$n]}" \
		--transport-key "${FH_TKEY[$n]}" --name "node $n" --roles node,reporter \
		--region "${FH_REGION[$n]}" --days 30)")
	FH_TRUST[$n]="anchors = $ROOT"
done
for n in "${FH_NODES[@]}"; do
	start_node "$n"
done
wait_for 30 "every node holds the certificates" everywhere "${CERTS[@]}"

# A node key is no issuer: the county's daemon refuses the alert, nothing is stored.
before=$(count_kind c warning)
if fh c cap import "$ALERT" >"$FH_TMP/out" 2>"$FH_TMP/err"; then
	fail "a CAP alert signed by a node key was accepted"
fi
grep -q "rejected by the trust policy" "$FH_TMP/err" || fail "refusal: $(cat "$FH_TMP/err")"
[ "$(count_kind c warning)" -eq "$before" ] || fail "the refused alert was stored"

wid=$(fh c --key "$K/admin.key" cap import "$ALERT")
[ ${#wid} -eq 64 ] || fail "cap import printed no id: $wid"
log "CAP alert imported at the county as $wid"
wait_for 30 "the village holds the warning" has_msg v "$wid"

fh v cap export "$wid" -o "$FH_TMP/village.xml"
python3 "$CAPDIR/capdiff.py" "$ALERT" "$FH_TMP/village.xml" ||
	fail "the alert exported at the village differs from the input"
fh v cap export "$wid" --profile oasis >"$FH_TMP/village-oasis.xml"
xmllint --noout --schema "$XSD" "$FH_TMP/village-oasis.xml" 2>"$FH_TMP/err" ||
	fail "the OASIS export at the village is not valid CAP 1.2: $(cat "$FH_TMP/err")"
grep -q "<severity>Extreme</severity>" "$FH_TMP/village-oasis.xml" || fail "red is not Extreme"
# Still nothing but the one warning anywhere (the refused one never left the county).
for n in c t v; do
	[ "$(count_kind "$n" warning)" -eq 1 ] || fail "$n holds $(count_kind "$n" warning) warnings"
done
log "ok: the village exports the county's CAP alert element for element"
