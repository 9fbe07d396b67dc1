#!/usr/bin/env bash
# trace.sh: `fenghuo trace` at the county draws which way a village's report went, from the
# answers to a TRACE query through the mesh; with a township on the path stopped, a trace
# still finishes within its timeout and names the cut-off part as unanswered. The village
# reaches a hamlet over a UDP stream link of MTU 256, so the hamlet's answer crosses a
# radio-sized link and two hops back.
#
#   h(330110109202) ~ v(330110109201) - t1(330110109) - c(330110) - t2(330110110)
set -euo pipefail
FH_DEADLINE=60
. "$(dirname "$0")/lib.sh"

make_node v 330110109201
make_node t1 330110109
make_node c 330110
make_node t2 330110110
make_node h 330110109202
link v t1
link t1 c
link c t2
for x in p_vh p_hv; do
	_fh_alloc_port >"$FH_TMP/.port"
	printf -v "$x" '%s' "$(cat "$FH_TMP/.port")"
done
# stream_link NAME PEER LOCAL REMOTE: a [link NAME] section to PEER over UDP.
stream_link() {
	printf '\n[link %s]\ntype = udp\nkey = %s\nlocal = 127.0.0.1:%s\nremote = 127.0.0.1:%s\nmtu = 256\n' \
		"$1" "${FH_KEY[$2]}" "$3" "$4"
}
FH_EXTRA[v]=$(stream_link tohamlet h "$p_vh" "$p_hv")
FH_EXTRA[h]=$(stream_link tovillage v "$p_hv" "$p_vh")
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

id=$(report v "山体滑坡 阻断村道")
log "report $id written at v"
wait_for 30 "every node holds the report" everywhere "$id"

# trace_check FILE: the tree of the whole mesh in `trace --json` output FILE.
trace_check() {
	"$FH_PY" - "$1" "${FH_KEY[v]}" "${FH_KEY[t1]}" "${FH_KEY[c]}" "${FH_KEY[t2]}" \
		"${FH_KEY[h]}" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
v, t1, c, t2, h = sys.argv[2:7]
nodes = {n["node"]: n for n in t["nodes"]}
assert set(nodes) == {v, t1, c, t2, h}, nodes
assert t["unanswered"] == [], t["unanswered"]
want = {v: (None, 0), t1: (v, 1), c: (t1, 2), t2: (c, 3), h: (v, 1)}
for k, (frm, hops) in want.items():
    n = nodes[k]
    assert n["has_msg"] is True, n
    assert n["from"] == frm and n["hops"] == hops, n
    link = "local" if frm is None else ("udp" if k == h else "zeromq")
    assert n["link"] == link, n
    assert n["first_seen_ms"] > 0, n
assert nodes[c]["self"] is True and nodes[v]["self"] is False, nodes
assert nodes[v]["name"] == "node v", nodes[v]
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
grep -q "5 nodes have it, 0 do not, 0 unanswered" <<<"$out" || fail "summary: $out"
# The tree: each node under the neighbour it got the report from.
grep -q "^  node v (${FH_KEY[v]:0:16}).*written there, hops 0$" <<<"$out" || fail "root: $out"
grep -q "^    node t1 .*from node v (${FH_KEY[v]:0:16}) over zeromq, hops 1$" <<<"$out" ||
	fail "t1 under v: $out"
grep -q "^      node c .*from node t1 .* over zeromq, hops 2  \[this node\]$" <<<"$out" ||
	fail "c under t1: $out"
grep -q "^        node t2 .*from node c .* hops 3$" <<<"$out" || fail "t2 under c: $out"
grep -q "^    node h .*from node v .* over udp, hops 1$" <<<"$out" || fail "h under v: $out"

# Each of the three queries was answered once at t2 (it came by one path only).
[ "$(status_field t2 trace_queries)" = 3 ] || fail "t2 answered $(status_field t2 trace_queries) queries"

# A message nobody has: every node answers that it does not.
out=$(cat "$FH_TMP/trace0.txt")
grep -q "0 nodes have it, 5 do not, 0 unanswered" <<<"$out" || fail "unknown message: $out"

# The township on the path stops: the village beyond it cannot answer.
# (The county may still think the link up: the query then goes nowhere, as over a link that
# broke unnoticed, and the trace ends at its timeout all the same.)
stop_node t1
fh c trace --json --timeout 3 "$id" >"$FH_TMP/trace2.json"
"$FH_PY" - "$FH_TMP/trace2.json" "${FH_KEY[v]}" "${FH_KEY[t1]}" "${FH_KEY[c]}" \
	"${FH_KEY[t2]}" "${FH_KEY[h]}" <<'PY' || fail "trace with t1 stopped: $(cat "$FH_TMP/trace2.json")"
import json, sys
t = json.load(open(sys.argv[1]))
v, t1, c, t2, h = sys.argv[2:7]
assert {n["node"] for n in t["nodes"]} == {c, t2}, t["nodes"]
assert {n["node"] for n in t["unanswered"]} == {v, t1, h}, t["unanswered"]
assert {n["name"] for n in t["unanswered"]} == {"node v", "node t1", "node h"}, t["unanswered"]
PY
out=$(fh c trace --timeout 3 "$id")
grep -q "2 nodes have it, 0 do not, 3 unanswered within 3 s" <<<"$out" || fail "summary: $out"
for x in v t1 h; do
	sed -n '/^unanswered:/,$p' <<<"$out" | grep -q "^  node $x (" ||
		fail "$x not unanswered: $out"
done
# c got it from t1, which did not answer: c is a root of what is left.
grep -q "^  node c .*from node t1 .*hops 2  \[this node\]$" <<<"$out" || fail "c: $out"

# Without a daemon: a clear error.
stop_node c
rc=0
err=$(fh c trace "$id" 2>&1) || rc=$?
[ "$rc" -eq 69 ] || fail "trace without a daemon exited $rc: $err"
grep -q "fenghuod is not running" <<<"$err" || fail "trace without a daemon: $err"
log "ok: trace shows the path and names the unanswered part"
