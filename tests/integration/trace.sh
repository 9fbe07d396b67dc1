#!/usr/bin/env bash
# trace.sh: `fenghuo trace` at the county draws which way a village's report went, from the
# answers to a TRACE query through a certified county of ten nodes: village -> township ->
# county with hop counts, and on to the other townships and their villages. v1_2 is on a UDP
# stream link of MTU 256, so its answer crosses a radio-sized link and two hops back. With a
# township stopped, a trace still finishes within its timeout and names that township's part
# (the township and its villages) as unanswered.
#
#   c(330110) - t1(330110109) - v1_1 (writes the report), v1_2 (over UDP)
#             - t2(330110110) - v2_1, v2_2
#             - t3(330110111) - v3_1, v3_2
set -euo pipefail
FH_DEADLINE=80
. "$(dirname "$0")/lib.sh"

county_mesh 3 2 v1_2
certify_all c
for n in "${FH_NODES[@]}"; do
	start_node "$n"
done
wait_for 40 "every node holds the certificates" everywhere "${CERTS[@]}"

id=$(report v1_1 "山体滑坡 阻断村道")
log "report $id written at v1_1"
wait_for 30 "every node holds the report" everywhere "$id"

# keys NAME...: their node keys, one argument each (for the checks in python).
keys() {
	local n
	for n in "$@"; do
		echo "$n=${FH_KEY[$n]}"
	done
}
# trace_check FILE STOPPED...: the tree in `trace --json` output FILE: every running node
# answered that it has the report, from the neighbour and after the hops of the tree; the
# STOPPED nodes are unanswered, by name.
trace_check() {
	local file=$1
	shift
	"$FH_PY" - "$file" "$*" $(keys "${FH_NODES[@]}") <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
stopped = set(sys.argv[2].split())
key = dict(a.split("=") for a in sys.argv[3:])
name = {v: k for k, v in key.items()}
# Where each node had the report from, and after how many hops (None: written there).
want = {"v1_1": (None, 0), "t1": ("v1_1", 1), "v1_2": ("t1", 2), "c": ("t1", 2),
        "t2": ("c", 3), "t3": ("c", 3), "v2_1": ("t2", 4), "v2_2": ("t2", 4),
        "v3_1": ("t3", 4), "v3_2": ("t3", 4)}
nodes = {name[n["node"]]: n for n in t["nodes"]}
assert set(nodes) == set(want) - stopped, sorted(nodes)
assert {name[n["node"]] for n in t["unanswered"]} == stopped, t["unanswered"]
assert {n["name"] for n in t["unanswered"]} == {"node " + s for s in stopped}, t["unanswered"]
for k, n in nodes.items():
    frm, hops = want[k]
    assert n["has_msg"] is True, n
    assert n["from"] == (key[frm] if frm else None) and n["hops"] == hops, (k, n)
    link = "local" if frm is None else ("udp" if k == "v1_2" else "zeromq")
    assert n["link"] == link, (k, n)
    assert n["first_seen_ms"] > 0, n
    assert n["name"] == "node " + k, n
assert nodes["c"]["self"] is True and nodes["v1_1"]["self"] is False, nodes
PY
}
# Two traces at once (each waits out its timeout): the JSON one and the text one of an id
# prefix; and a third of a message nobody has.
none=$(printf '%064d' 0)
fh c trace --json --timeout 8 "$id" >"$FH_TMP/trace1.json" &
p1=$!
fh c trace --timeout 8 "${id:0:12}" >"$FH_TMP/trace1.txt" &
p2=$!
fh c trace --timeout 8 "$none" >"$FH_TMP/trace0.txt" &
p3=$!
bg_track $p1
bg_track $p2
bg_track $p3
wait $p1 || fail "trace --json exited $?"
wait $p2 || fail "trace exited $?"
wait $p3 || fail "trace of an unknown message exited $?"
trace_check "$FH_TMP/trace1.json" || fail "trace at the county: $(cat "$FH_TMP/trace1.json")"
out=$(cat "$FH_TMP/trace1.txt")
log "trace at the county:"$'\n'"$out"
grep -q "10 nodes have it, 0 do not, 0 unanswered" <<<"$out" || fail "summary: $out"
# The tree: each node under the neighbour it got the report from: village -> township ->
# county, then the other townships and their villages.
grep -q "^  node v1_1 (${FH_KEY[v1_1]:0:16}).*written there, hops 0$" <<<"$out" || fail "root: $out"
grep -q "^    node t1 .*from node v1_1 (${FH_KEY[v1_1]:0:16}) over zeromq, hops 1$" <<<"$out" ||
	fail "t1 under v1_1: $out"
grep -q "^      node c .*from node t1 .* over zeromq, hops 2  \[this node\]$" <<<"$out" ||
	fail "c under t1: $out"
grep -q "^      node v1_2 .*from node t1 .* over udp, hops 2$" <<<"$out" || fail "v1_2 under t1: $out"
for i in 2 3; do
	grep -q "^        node t$i .*from node c .* hops 3$" <<<"$out" || fail "t$i under c: $out"
	grep -q "^          node v${i}_1 .*from node t$i .* hops 4$" <<<"$out" ||
		fail "v${i}_1 under t$i: $out"
done

# Each of the three queries was answered once at v2_2 (it came by one path only).
[ "$(status_field v2_2 trace_queries)" = 3 ] ||
	fail "v2_2 answered $(status_field v2_2 trace_queries) queries"

# A message nobody has: every node answers that it does not.
out=$(cat "$FH_TMP/trace0.txt")
grep -q "0 nodes have it, 10 do not, 0 unanswered" <<<"$out" || fail "unknown message: $out"

# Township 2 stops: it and the villages beyond it cannot answer; the rest of the county can.
# (The county may still think the link up: the query then goes nowhere, as over a link that
# broke unnoticed, and the trace ends at its timeout all the same.)
stop_node t2
fh c trace --json --timeout 5 "$id" >"$FH_TMP/trace2.json"
trace_check "$FH_TMP/trace2.json" t2 v2_1 v2_2 ||
	fail "trace with t2 stopped: $(cat "$FH_TMP/trace2.json")"
out=$(fh c trace --timeout 5 "$id")
log "trace at the county with t2 stopped:"$'\n'"$out"
grep -q "7 nodes have it, 0 do not, 3 unanswered within 5 s" <<<"$out" || fail "summary: $out"
for x in t2 v2_1 v2_2; do
	sed -n '/^unanswered:/,$p' <<<"$out" | grep "^  node $x (" >/dev/null ||
		fail "$x not unanswered: $out"
done
grep -q "^        node t3 .*from node c .* hops 3$" <<<"$out" || fail "t3 with t2 stopped: $out"

# Without a daemon: a clear error.
stop_node c
rc=0
err=$(fh c trace "$id" 2>&1) || rc=$?
[ "$rc" -eq 69 ] || fail "trace without a daemon exited $rc: $err"
grep -q "fenghuod is not running" <<<"$err" || fail "trace without a daemon: $err"
log "ok: trace shows the path and names the unanswered part"
