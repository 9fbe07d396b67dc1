#!/usr/bin/env bash
# reroute.sh: peer exchange routes around a township server lost for good.
# County c; townships t1 and t2, both peered with c; villages v1 and v2 configured with t1
# only. Every node announces where it can be reached (ANNOUNCE messages travel like any
# other). Once the announcements have spread, t1 is stopped and never comes back: v1 and v2
# must dial nodes they know only from announcements, nearest region first (among them t2 or
# c, which reach the county), by themselves, and a report written at v1 afterwards must
# reach c. `fenghuo peers` shows the discovered links apart from the configured ones.
# With FH_REROUTE_TRUST=1 the same runs under an enforced trust policy: a county root
# certifies every node (node and reporter roles, with its transport key), so announcements
# count only once their author's certificate is known, and the discovered links dial with the
# transport keys the certificates carry.
set -euo pipefail
FH_DEADLINE=110
FH_ANNOUNCE=1
. "$(dirname "$0")/lib.sh"
FH_SYNC_INTERVAL=2
REROUTE_AFTER=3

make_node c 330110
make_node t1 330110101
make_node t2 330110102
make_node v1 330110101001
make_node v2 330110101002
link c t1
link c t2
link t1 v1
link t1 v2
if [ -n "${FH_REROUTE_TRUST:-}" ]; then
	init_county c
	for n in "${FH_NODES[@]}"; do
		fh c --key "$K/admin.key" cert --subject "${FH_KEY[$n]}" \
			--transport-key "${FH_TKEY[$n]}" --name "$n" --roles node,reporter \
			--region 330110 --days 30 >/dev/null
		FH_TRUST[$n]="anchors = $ROOT"
	done
	log "trust enforced: every node certified by the county's admin"
fi
for n in "${FH_NODES[@]}"; do
	FH_EXTRA[$n]="reroute_after = $REROUTE_AFTER"
	start_node "$n"
done

# The names in NAME's known-node table (fenghuo peers --json, "known").
known() {
	fh "$1" peers --json | "$FH_PY" -c 'import json, sys
print(" ".join(sorted(k["name"] for k in json.load(sys.stdin).get("known", []))))'
}
# knows NAME NODE...: NAME's table holds every NODE (by name) and never NAME's t1.
knows() {
	local name=$1 k
	shift
	k=" $(known "$name") "
	for n in "$@"; do
		[[ "$k" == *" $n "* ]] || return 1
	done
}
wait_for 40 "v1 knows c, t2 and v2 from their announcements" knows v1 c t2 v2
wait_for 20 "v2 knows c, t2 and v1 from their announcements" knows v2 c t2 v1
k=" $(known v1) "
[[ "$k" != *" t1 "* && "$k" != *" v1 "* ]] ||
	fail "v1's known nodes include its configured peer or itself: $k"
log "announcements spread: v1 knows$k"

stop_node t1
log "t1 stopped for good; v1 and v2 have no configured peer left"

# The discovered peers of NAME that are up, by name.
discovered_up() {
	fh "$1" peers --json | "$FH_PY" -c 'import json, sys
print(" ".join(sorted(p["name"] for p in json.load(sys.stdin)["peers"]
      if not p["configured"] and p.get("discovered") and p["state"] == "up")))'
}
# reaches_county NAME: a discovered link of NAME to t2 or c is up.
reaches_county() {
	local d
	d=" $(discovered_up "$1") "
	[[ "$d" == *" t2 "* || "$d" == *" c "* ]]
}
wait_for 40 "v1 has a discovered link to t2 or c" reaches_county v1
wait_for 20 "v2 has a discovered link to t2 or c" reaches_county v2
log "v1 rerouted to: $(discovered_up v1); v2 rerouted to: $(discovered_up v2)"

# The operator sees them apart.
out=$(fh v1 peers)
printf '%s\n' "$out" | sed 's/^/    /'
grep -q '^discovered peers' <<<"$out" || fail "fenghuo peers at v1 has no discovered group: $out"
sed -n '/^discovered peers/,/^\(inbound\|known\)/p' <<<"$out" | grep -Eq '^  (t2|c) +up ' ||
	fail "fenghuo peers at v1 does not list t2 or c as an up discovered peer: $out"
sed -n '/^configured peers/,/^discovered peers/p' <<<"$out" | grep -Eq '^  t1 ' ||
	fail "fenghuo peers at v1 does not list t1 as configured: $out"

id=$(report v1 "村道塌方 (rerouted)")
log "report $id written at v1"
wait_for 60 "c holds the report written at v1" has_msg c "$id"
wait_for 30 "v2 holds the report written at v1" has_msg v2 "$id"
log "ok: with t1 gone for good the villages rerouted and v1's report reached the county"
