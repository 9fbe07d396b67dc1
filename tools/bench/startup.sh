#!/usr/bin/env bash
# startup.sh: the shell half of `fenghuo-bench startup` (run it through fenghuo-bench, which
# sets FENGHUOD, FENGHUO, FH_BENCH and FH_LIB).
#
# One fenghuod on 127.0.0.1, set up by tests/integration/lib.sh (private port, one mktemp -d,
# everything stopped and removed on any exit). It starts R times on its empty store (the
# baseline), then `_startup-fill` stores N messages into the same store with the daemon
# stopped, and it starts R times again. Each start is timed by `_startup-probe`
# (bench_startup.c); the median of the R runs is reported, and its ratio to the baseline.
#
# The store holds reports and, one in W messages, a red warning in force for the node's
# county, each followed by RC delivery receipts of other nodes: each warning is one the daemon
# looks at during start-up (to confirm it), and it reads the receipts to see whether its own
# is among them.
#
#   fenghuo-bench startup [-n messages] [-w one-warning-in] [-R receipts-each] [-r runs]
#                         [-s store-dir]
#
# -s copies data.mdb from store-dir instead of signing the messages again: a store filled
# before with `fenghuo-bench _startup-fill store-dir N W RC` (give the same -n, -w and -R),
# within the day its warnings are in force. It may be of an earlier schema: the first start
# upgrades the copy, and the median leaves that start out when R >= 3.
set -euo pipefail

N=1000000
W=10000
RC=0
R=3
SRC=
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift 2 ;;
	-w) W=$2; shift 2 ;;
	-R) RC=$2; shift 2 ;;
	-r) R=$2; shift 2 ;;
	-s) SRC=$2; shift 2 ;;
	*) echo "usage: fenghuo-bench startup [-n messages] [-w one-warning-in]" \
		"[-R receipts-each] [-r runs] [-s store-dir]" >&2
	   exit 64 ;;
	esac
done
: "${FH_BENCH:?run this through fenghuo-bench startup}"

FH_DEADLINE=${FH_DEADLINE:-3600}
# shellcheck source=../../tests/integration/lib.sh
. "${FH_LIB:?}"

make_node A 510722100001

# one_start: start A once under the probe, stop it; appends "ms rss_kb hwm_kb anon_kb file_kb"
# to $FH_TMP/runs.
one_start() {
	local probe
	rm -f "$FH_TMP/armed" "$FH_TMP/t0"
	"$FH_BENCH" _startup-probe "$(node_log A)" "$(node_state A)" "$FH_TMP/armed" \
		"$FH_TMP/t0" >>"$FH_TMP/runs" &
	probe=$!
	bg_track "$probe"
	wait_for 30 "the probe is armed" test -e "$FH_TMP/armed"
	date +%s%N >"$FH_TMP/t0"
	start_node A
	wait "$probe" || fail "the probe failed (log: $(node_log A))"
	stop_node A
}

# median COLUMN: the median of a column of $FH_TMP/runs.
median() {
	sort -n -k"$1","$1" "$FH_TMP/runs" | awk -v c="$1" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}

measure() {
	local i
	: >"$FH_TMP/runs"
	for ((i = 0; i < R; i++)); do
		one_start
	done
	MS=$(median 1)
	RSS=$(median 2)
	HWM=$(median 3)
	ANON=$(median 4)
	FILE=$(median 5)
}

measure
B_MS=$MS B_RSS=$RSS B_ANON=$ANON
log "empty store: start-up ${B_MS} ms, RSS ${B_RSS} kB (peak ${HWM} kB; anon ${ANON}, file ${FILE}), median of $R"

t=$SECONDS
if [ -n "$SRC" ]; then
	cp "$SRC/data.mdb" "$(node_state A)/data.mdb"
else
	"$FH_BENCH" _startup-fill "$(node_state A)" "$N" "$W" "$RC"
fi
du_kb=$(du -k "$(node_state A)/data.mdb" | awk '{ print $1 }')
nwarn=$([ "$W" -gt 0 ] && echo $(((N + W - W / 2 - 1) / W)) || echo 0)
log "$N messages ($nwarn warnings, $RC receipts each) signed and stored in $((SECONDS - t)) s; data.mdb ${du_kb} kB"

measure
log "store of $N: start-up ${MS} ms, RSS ${RSS} kB (peak ${HWM} kB; anon ${ANON}, file ${FILE}), median of $R"
echo "  targets: start-up < 2000 ms, RSS < 30720 kB"
fmt="n=%d warnings=%d receipts_each=%d startup_ms=%.1f rss_kb=%d hwm_kb=%d anon_kb=%d file_kb=%d base_startup_ms=%.1f"
fmt+=" base_rss_kb=%d base_anon_kb=%d startup_ratio=%.2f rss_ratio=%.2f anon_ratio=%.2f"
fmt+=" data_kb=%d\n"
awk -v f="$fmt" -v n="$N" -v w="$nwarn" -v rc="$RC" -v ms="$MS" -v rss="$RSS" -v hwm="$HWM" -v anon="$ANON" \
	-v file="$FILE" -v bms="$B_MS" -v brss="$B_RSS" -v banon="$B_ANON" -v du="$du_kb" \
	'BEGIN { printf f, n, w, rc, ms, rss, hwm, anon, file, bms, brss, banon,
	    (bms > 0 ? ms / bms : 0), (brss > 0 ? rss / brss : 0),
	    (banon > 0 ? anon / banon : 0), du }'
