#!/usr/bin/env bash
# sim.sh: a small drill end to end through fenghuo-sim (tools/sim/scenarios/small.topo and
# small.scn: 1 county, 2 townships, 4 villages, v1_2 on a 9,600 bit/s stream link through
# fenghuo-linksim; one report a village, then a drill with v2_2 stopped). The simulator keeps
# the node directories; every figure of its drill report is then checked against what the
# nodes themselves hold (`fenghuo --state DIR show/list --json`), never against the
# simulator's own bookkeeping:
# - v2_2 is the one node missing; each other node's delivery time is its own first-seen time
#   of the warning, its hops those of its own store, v1_2's link udp;
# - the time to 50 % coverage is the 4th of the seven nodes' own delays;
# - the county holds the four villages' reports, each written at its own village;
# - resources.tsv has a peak RSS for every node and idle CPU for the six running ones;
# - after the run no daemon or linksim of the run is left.
set -euo pipefail
: "${FENGHUOD:?}" "${FENGHUO:?}" "${FH_LINKSIM:?}"
src=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/fh-sim.XXXXXX")
cleanup() {
	local rc=$? d
	d=$(awk 'NR == 1 { print $4 }' "$out/nodes.txt" 2>/dev/null)
	[ $rc -eq 0 ] || cat "$out/run.log" "$out/results.txt" >&2 2>/dev/null || true
	[ -z "$d" ] || rm -rf "$(dirname "$(dirname "$d")")"
	rm -rf "$out"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
	echo "sim: FAIL: $*" >&2
	exit 1
}

FH_SYNC_INTERVAL=2 "$src/tools/sim/fenghuo-sim" run "$src/tools/sim/scenarios/small.topo" \
	"$src/tools/sim/scenarios/small.scn" -o "$out" --keep --deadline 70 ||
	fail "fenghuo-sim run failed (status $?)"
[ -s "$out/drill/report.json" ] && [ -s "$out/drill/report.md" ] || fail "no drill report"
grep -q "done" "$out/run.log" || fail "run.log incomplete"

# Every process of the run has ended (their state directories name the kept directory).
tmp=$(dirname "$(dirname "$(awk 'NR == 1 { print $4 }' "$out/nodes.txt")")")
for p in $(pgrep -f "$tmp" || true); do
	fail "process $p of the run still running: $(tr '\0' ' ' <"/proc/$p/cmdline")"
done

# What every node holds itself.
drill=$("$FENGHUO" --state "$(awk '$1 == "c" { print $4 }' "$out/nodes.txt")" list --kind warning --all --json |
	python3 -c 'import json, sys; print([json.loads(l)["id"] for l in sys.stdin][-1])')
while read -r name region key state; do
	[ "$name" = v2_2 ] && continue
	"$FENGHUO" --state "$state" show --json "$drill" >"$out/own.$name.json"
done <"$out/nodes.txt"
"$FENGHUO" --state "$(awk '$1 == "c" { print $4 }' "$out/nodes.txt")" list --kind report --all --json \
	>"$out/county.reports"
python3 - "$out" "$drill" <<'PY' || fail "the report's figures do not match the nodes' own"
import json, sys
out, drill = sys.argv[1:3]
ev = json.load(open(out + "/drill/report.json"))
rows = [l.split() for l in open(out + "/nodes.txt")]
keys = {r[0]: r[2] for r in rows}
region = {r[0]: r[1] for r in rows}
nodes = {n["key"]: n for n in ev["nodes"]}
assert ev["id"].startswith(drill) or drill.startswith(ev["id"]), (ev["id"], drill)
assert ev["status"] == "exercise" and ev["roster"] == 7, ev
assert ev["delivered"] == 6 and ev["missing"] == ["node v2_2"], ev["missing"]
delays = []
for name, key in keys.items():
    if name == "v2_2":
        assert nodes[key]["missing"], nodes[key]
        continue
    own = json.loads(open(f"{out}/own.{name}.json").readline())
    n = nodes[key]
    assert n["delivered_ms"] == own["first_seen_ms"], (name, n, own)
    assert n["hops"] == own["hops"], (name, n, own)
    delays.append(max(own["first_seen_ms"] - own["created_ms"], 0))
assert nodes[keys["v1_2"]]["link"] == "udp", nodes[keys["v1_2"]]
delays.sort()
assert ev["time_to_ms"]["50"] == delays[3], (ev["time_to_ms"], delays)
reps = [json.loads(l) for l in open(out + "/county.reports")]
got = sorted(r["region"] for r in reps)
want = sorted(region[n] for n in keys if n.startswith("v"))
assert got == want, (got, want)
res = [l.rstrip("\n").split("\t") for l in open(out + "/resources.tsv")][1:]
assert len(res) == 7, res
for name, reg, peak, idle_rss, idle_cpu in res:
    assert int(peak) > 0, (name, peak)
    if name != "v2_2":
        assert int(idle_rss) > 0 and float(idle_cpu) >= 0, (name, idle_rss, idle_cpu)
PY
echo "sim: ok: the simulated drill's report matches what every node holds"
