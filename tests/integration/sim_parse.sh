#!/usr/bin/env bash
# sim_parse.sh: fenghuo-sim refuses a bad topology or scenario with FILE:LINE and exit 65,
# and starts nothing (no output directory is made); the shipped scenarios all parse.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
sim=$src/tools/sim/fenghuo-sim
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fh-simparse.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "sim_parse: FAIL: $*" >&2
	exit 1
}
printf 'node c 330110\nnode t1 330110005\nnode v 330110005001\nlink c t1 zmq\n' >"$tmp/good.topo"
printf 'at 0 stop t1\n' >"$tmp/good.scn"

# expect FILE-CONTENT-TOPO FILE-CONTENT-SCN MESSAGE: the run fails with exit 65 and MESSAGE.
expect() {
	local rc=0
	printf '%b' "$1" >"$tmp/t.topo"
	printf '%b' "$2" >"$tmp/t.scn"
	FENGHUOD=/nonexistent FENGHUO=/nonexistent "$sim" run "$tmp/t.topo" "$tmp/t.scn" -o "$tmp/out" \
		2>"$tmp/err" || rc=$?
	[ $rc -eq 65 ] || fail "exit $rc, not 65, for: $3 ($(cat "$tmp/err"))"
	grep -qF -- "$3" "$tmp/err" || fail "expected '$3', got: $(cat "$tmp/err")"
	[ ! -e "$tmp/out" ] || fail "an output directory was made for: $3"
}
good=$(cat "$tmp/good.topo")
expect "$good\nlink t1 v stream rate=fast\n" 'at 0 stop t1\n' "t.topo:5: rate must be bits per second"
expect "$good\nlink t1 nowhere zmq\n" 'at 0 stop t1\n' "t.topo:5: unknown node 'nowhere'"
expect "node t1 330110005\n" 'at 0 stop t1\n' "t.topo:1: the first node is the county centre"
expect "$good\nnode v 330110005002\n" 'at 0 stop t1\n' "t.topo:5: node v defined twice"
expect "$good\nlink c t1 zmq\n" 'at 0 stop t1\n' "t.topo:5: a second link between c and t1"
expect "$good\n" '# hi\nat 5 stop t1\nat 3 start t1\n' "t.scn:3: events must be in time order"
expect "$good\n" 'at 0 cut c v\n' "t.scn:1: no link between 'c' and 'v'"
expect "$good\n" 'at 0 warn 330110 purple 标题\n' "t.scn:1: bad level 'purple'"
expect "$good\n" 'at 0 wait everything 10\n' "t.scn:1: unknown condition 'everything'"
expect "$good\n" 'at x stop t1\n' "t.scn:1: bad time 'x'"
expect "$good\n" 'at 0 explode t1\n' "t.scn:1: unknown event 'explode'"
for s in central-down:county-radio township-lost:township-lost drill-3am:county-small small:small; do
	"$sim" check "$src/tools/sim/scenarios/${s#*:}.topo" "$src/tools/sim/scenarios/${s%:*}.scn" >/dev/null ||
		fail "shipped scenario ${s%:*} does not parse"
done
# gen is reproducible from its seed and parses.
"$sim" gen -t 3 -v 4 -x 3 --seed 5 >"$tmp/a.topo"
"$sim" gen -t 3 -v 4 -x 3 --seed 5 >"$tmp/b.topo"
cmp -s "$tmp/a.topo" "$tmp/b.topo" || fail "gen with one seed gave two topologies"
"$sim" check "$tmp/a.topo" "$tmp/good.scn" >/dev/null || fail "a generated topology does not parse"
echo "sim_parse: ok"
