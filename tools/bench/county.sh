#!/usr/bin/env bash
# county.sh: the shell half of `fenghuo-bench county` (run it through fenghuo-bench, which
# sets FENGHUOD, FENGHUO, FH_BENCH and FH_LIB).
#
# A whole county on 127.0.0.1: the county centre, T townships, V villages under each (1 +
# 10 + 100 by default), each township linked to the county and to its villages, every node
# certified by the county's admin (so the roster of a county-wide warning is every node). Set
# up by tests/integration/lib.sh (county_mesh, certify_all), as the integration tests are
# (private ports, one mktemp -d, every process stopped on any exit). Then a red warning for the whole
# county is issued at the county centre, and, from the nodes' own first-seen times (one
# machine, one clock):
#   deliver_all_ms   the warning at the county -> stored at the last node of the roster
#                    (the baseline: how long the mesh takes to carry the warning at all)
#   confirm_all_ms   the warning at the county -> the last delivery receipt stored at the
#                    county (`fenghuo coverage` reaching 100 %)
#   confirm_ratio    confirm_all_ms / deliver_all_ms
#   receipt_bytes    bytes the county received from its townships while the receipts came
#                    in, per confirming node but the centre itself (every frame: receipts,
#                    pings, sync; CurveZMQ and ZMTP framing included)
#
#   fenghuo-bench county [-t townships] [-v villages per township]
set -euo pipefail

T=10
V=10
while [ $# -gt 0 ]; do
	case $1 in
	-t) T=$2; shift 2 ;;
	-v) V=$2; shift 2 ;;
	*) echo "usage: fenghuo-bench county [-t townships] [-v villages per township]" >&2
	   exit 64 ;;
	esac
done
[ "$T" -ge 1 ] && [ "$T" -le 99 ] && [ "$V" -ge 1 ] && [ "$V" -le 99 ] ||
	{ echo "county: -t and -v are 1 to 99" >&2; exit 64; }
: "${FH_BENCH:?run this through fenghuo-bench county}"

FH_DEADLINE=${FH_DEADLINE:-900}
# shellcheck source=../../tests/integration/lib.sh
. "${FH_LIB:?}"
# Reconciliation once a minute, as deployed: push carries the warning and its receipts.
FH_SYNC_INTERVAL=60

county_mesh "$T" "$V"
t0=$SECONDS
certify_all c node
NCERT=${#FH_NODES[@]}
log "${#FH_NODES[@]} nodes, $NCERT certificates signed in $((SECONDS - t0)) s"
for n in "${FH_NODES[@]}"; do
	start_node "$n"
done
# Every node holds every certificate before the warning (else it holds the warning back).
certs_everywhere() {
	local n
	for n in "${FH_NODES[@]}"; do
		[ "$(status_field "$n" messages)" -ge "$NCERT" ] || return 1
	done
}
wait_for 600 "every node holds the $NCERT certificates" certs_everywhere
log "the county is up and certified after $((SECONDS - t0)) s"

bytes_in_c() {
	fh c peers --json | "$FH_PY" -c 'import json, sys
print(sum(p.get("bytes_in", 0) for p in json.load(sys.stdin)["peers"]))'
}
b0=$(bytes_in_c)
wid=$(fh c --key "$K/admin.key" warn --area 330110 --level red --event 暴雨 \
	--title "暴雨红色预警" --instruction "立即转移低洼地区群众")
log "red warning $wid issued at the county"
# The roster: every certified node (the county centre too: the warning is signed with the
# admin's key, not the centre's node key).
ROSTER=${#FH_NODES[@]}
confirmed_all() {
	[ "$(fh c coverage --json "$wid" | json_field confirmed)" = "$ROSTER" ]
}
wait_for 600 "all $ROSTER nodes confirmed at the county" confirmed_all
b1=$(bytes_in_c)

# The times, from the nodes' own records.
first_seen() {
	fh "$1" show --json "$2" | json_field first_seen_ms
}
w0=$(first_seen c "$wid")
last=0
for n in "${FH_NODES[@]}"; do
	s=$(first_seen "$n" "$wid")
	[ -n "$s" ] || fail "$n does not hold the warning"
	[ "$s" -le "$last" ] || last=$s
done
deliver_ms=$((last - w0))
cov=$(fh c coverage --json "$wid")
confirm_ms=$("$FH_PY" -c 'import json, sys; print(json.loads(sys.argv[1])["time_to_ms"]["100"])' \
	"$cov")
"$FH_PY" - "$deliver_ms" "$confirm_ms" "$((b1 - b0))" "$ROSTER" "${#FH_NODES[@]}" <<'PY'
import sys
deliver, confirm, nbytes, roster, nodes = (int(x) for x in sys.argv[1:])
per = nbytes / max(roster - 1, 1)	# the centre's own receipt crosses no link
print(f"county: the warning reached all {roster} nodes in {deliver} ms; their delivery "
      f"receipts were all at the county {confirm} ms after it was issued "
      f"({confirm / max(deliver, 1):.2f} x the delivery time)")
print(f"county: {nbytes} bytes came in at the county meanwhile, {per:.0f} per confirming node")
print(f"nodes={nodes} roster={roster} deliver_all_ms={deliver} confirm_all_ms={confirm} "
      f"confirm_ratio={confirm / max(deliver, 1):.2f} receipt_bytes={per:.0f}")
PY
