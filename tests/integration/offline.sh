#!/usr/bin/env bash
# offline.sh: "a report written offline leaves the moment any link exists, and never gets
# lost", on a certified mesh. A village node v runs with no link up (the county c is down),
# and a new reporter writes there before its certificate has reached v: fenghuod stores the
# report (its store is the only copy; holding it in memory would lose it at a restart), says
# so, and counts it. v is killed with -9 and restarted: the report is still there. Then the
# county comes up: the report leaves at once, and c, which knows the reporter's certificate,
# accepts it.
set -euo pipefail
FH_DEADLINE=90
. "$(dirname "$0")/lib.sh"

make_node c 330110
make_node v 330110109201
link c v

init_county c
for x in c v; do
	FH_TRUST[$x]="anchors = $ROOT"
	fh c --key "$K/admin.key" cert --subject "${FH_KEY[$x]}" --transport-key "${FH_TKEY[$x]}" \
		--name "$x" --roles node --region 330110 --days 30 >/dev/null
done
# The new village reporter: certified at the county, not yet known at v.
R=$("$FENGHUO" --key "$K/reporter.key" keygen | grep -Eo '[0-9a-f]{64}' | head -1)
[ ${#R} -eq 64 ] || fail "keygen printed no key"
RCERT=$(fh c --key "$K/admin.key" cert --subject "$R" --roles reporter \
	--region 330110109201 --days 30 --name "村信息员")

start_node v
fh v --key "$K/reporter.key" report --region 330110109201 --category flood \
	--title "河堤渗水" >"$FH_TMP/out" 2>"$FH_TMP/err" || fail "report at v failed: $(cat "$FH_TMP/err")"
id=$(cat "$FH_TMP/out")
grep -q "knows no certificate chain" "$FH_TMP/err" || fail "no note about the unknown chain: $(cat "$FH_TMP/err")"
has_msg v "$id" || fail "v did not store the report"
n=$(fh v status --json | "$FH_PY" -c 'import json, sys
print(json.loads(sys.stdin.readline())["trust"]["stored_unchained"])')
[ "$n" -eq 1 ] || fail "stored_unchained is $n, not 1"
kill_node v
start_node v
has_msg v "$id" || fail "the report was lost at v's restart"
log "the report written offline survived kill -9 at v"

start_node c
wait_for 30 "the county holds the report" has_msg c "$id"
wait_for 30 "v learns the reporter's certificate" has_msg v "$RCERT"
fh c show --json "$id" | "$FH_PY" -c 'import json, sys
o = json.loads(sys.stdin.readline())
assert o["trust"]["verdict"] == "accept", o["trust"]' || fail "the county does not accept the report"
log "ok: written offline before its author's certificate arrived, stored, kept, delivered"
