#!/usr/bin/env bash
# dissem.sh: the shell half of `fenghuo-bench dissemination` (run it through fenghuo-bench,
# which sets FENGHUOD, FENGHUO, FH_BENCH and FH_LIB).
#
# A mesh of N fenghuod processes on 127.0.0.1, set up by tests/integration/lib.sh exactly as
# the integration tests set theirs up (private ports, one mktemp -d, every process stopped and
# the directory removed on any exit, Ctrl-C included). The graph is random but fixed by the
# seed: a ring through a random permutation of the nodes (so it is connected), then random
# chords until every node has degree 3 or 4. First with push = plumtree, then (unless
# --no-flood) the same nodes restarted with push = eager, plain flooding, as the baseline;
# `fenghuo-bench _dissem-probe` injects and measures each time (bench_dissem.c).
#
#   fenghuo-bench dissemination [-N nodes] [-n messages] [-s seed] [--no-flood]
set -euo pipefail

N=30
M=1000
SEED=7
FLOOD=1
while [ $# -gt 0 ]; do
	case $1 in
	-N) N=$2; shift 2 ;;
	-n) M=$2; shift 2 ;;
	-s) SEED=$2; shift 2 ;;
	--no-flood) FLOOD=0; shift ;;
	*) echo "usage: fenghuo-bench dissemination [-N nodes] [-n messages] [-s seed]" \
	    "[--no-flood]" >&2; exit 64 ;;
	esac
done
[ "$N" -ge 5 ] || { echo "dissemination: -N must be at least 5" >&2; exit 64; }
: "${FH_BENCH:?run this through fenghuo-bench dissemination}"

FH_DEADLINE=${FH_DEADLINE:-600}
# shellcheck source=../../tests/integration/lib.sh
. "${FH_LIB:?}"
# The daemon's default interval: a round every 5 s (lib.sh's test default) would push
# copies of messages still in flight and blur what push alone costs.
FH_SYNC_INTERVAL=60

# The graph. Bash's RANDOM is a fixed sequence once seeded.
RANDOM=$SEED
declare -A EDGE DEG
perm=()
for ((i = 0; i < N; i++)); do
	perm+=("$i")
	DEG[$i]=0
done
for ((i = N - 1; i > 0; i--)); do
	j=$((RANDOM % (i + 1)))
	t=${perm[$i]}
	perm[i]=${perm[$j]}
	perm[j]=$t
done
add_edge() {
	local a=$1 b=$2
	[ "$a" -ne "$b" ] || return 1
	[ -z "${EDGE[$a,$b]:-}" ] || return 1
	EDGE[$a,$b]=1
	EDGE[$b,$a]=1
	DEG[$a]=$((DEG[$a] + 1))
	DEG[$b]=$((DEG[$b] + 1))
	EDGES+=("$a $b")
}
EDGES=()
for ((i = 0; i < N; i++)); do
	add_edge "${perm[$i]}" "${perm[$(((i + 1) % N))]}"
done
for ((i = 0; i < N; i++)); do
	tries=0
	while [ "${DEG[$i]}" -lt 3 ] && [ $tries -lt 200 ]; do
		j=$((RANDOM % N))
		tries=$((tries + 1))
		[ "${DEG[$j]}" -lt 4 ] || continue
		add_edge "$i" "$j" || true
	done
done
# A few more chords, so that degrees 3 and 4 both occur (mean about 3.3).
for ((k = 0; k < N / 10; k++)); do
	for ((tries = 0; tries < 200; tries++)); do
		i=$((RANDOM % N))
		j=$((RANDOM % N))
		[ "${DEG[$i]}" -lt 4 ] && [ "${DEG[$j]}" -lt 4 ] && add_edge "$i" "$j" && break
	done
done
hist=""
for d in 2 3 4 5; do
	c=0
	for ((i = 0; i < N; i++)); do
		[ "${DEG[$i]}" -ne "$d" ] || c=$((c + 1))
	done
	[ "$c" -eq 0 ] || hist+=" degree $d: $c;"
done
log "graph: $N nodes, ${#EDGES[@]} links (seed $SEED);$hist origin d0 (degree ${DEG[0]})"

for ((i = 0; i < N; i++)); do
	make_node "d$i" "$((330110100 + i))"
done
for e in "${EDGES[@]}"; do
	set -- $e
	link "d$1" "d$2"
done

states=()
for ((i = 0; i < N; i++)); do
	states+=("$(node_state "d$i")")
done
key=$(node_state d0)/node.key

# run_mode MODE: start every node with push = MODE, measure, stop them; the probe's output
# goes to stdout and its last line to $FH_TMP/MODE.last.
run_mode() {
	local mode=$1 n t
	FH_PUSH=$mode
	t=$SECONDS
	for n in "${FH_NODES[@]}"; do
		start_node "$n"
	done
	log "$mode: $N daemons started in $((SECONDS - t)) s"
	"$FH_BENCH" _dissem-probe -n "$M" -l "$mode" "$key" "${states[@]}" |
		tee "$FH_TMP/$mode.out"
	tail -n 1 "$FH_TMP/$mode.out" >"$FH_TMP/$mode.last"
	grep -q '^p50_ms=' "$FH_TMP/$mode.last" || fail "$mode: the probe printed no figures"
	for n in "${FH_NODES[@]}"; do
		stop_node "$n"
	done
}

# field FILE KEY: the value of KEY=... on the line in FILE.
field() {
	tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"
}

run_mode plumtree
line="p50_ms=$(field "$FH_TMP/plumtree.last" p50_ms)"
line+=" p99_ms=$(field "$FH_TMP/plumtree.last" p99_ms)"
line+=" delivery=$(field "$FH_TMP/plumtree.last" delivery)"
line+=" full_msg_factor=$(field "$FH_TMP/plumtree.last" full_msg_factor)"
if [ "$FLOOD" = 1 ]; then
	run_mode eager
	line+=" flood_factor=$(field "$FH_TMP/eager.last" full_msg_factor)"
	line+=" flood_p50_ms=$(field "$FH_TMP/eager.last" p50_ms)"
	line+=" flood_p99_ms=$(field "$FH_TMP/eager.last" p99_ms)"
	line+=" flood_delivery=$(field "$FH_TMP/eager.last" delivery)"
else
	line+=" flood_factor=-"
fi
line+=" all_traffic_factor=$(field "$FH_TMP/plumtree.last" all_traffic_factor)"
line+=" nodes=$N links=${#EDGES[@]} messages=$M seed=$SEED"
echo "$line"
