#!/usr/bin/env bash
# chain5.sh: a chain of five nodes, n1 - n2 - n3 - n4 - n5. A report written at n1 reaches n5
# three relays away, and arrives there as the same bytes: the same id and the same envelope
# (DESIGN decision 1: nobody re-encodes what the author signed). A warning written at n5
# travels the other way.
set -euo pipefail
FH_DEADLINE=60
. "$(dirname "$0")/lib.sh"

make_node n1 330110109201
make_node n2 330110109
make_node n3 330110
make_node n4 330110110
make_node n5 330110110201
link n1 n2
link n2 n3
link n3 n4
link n4 n5
for n in "${FH_NODES[@]}"; do
	start_node "$n"
done

# fenghuo watch at n5 shows the report as it arrives. Its subscription is proven live by a
# probe written at n5 itself before the report is written at n1.
# (The binary itself in the background, not the fh function, whose subshell would be the
# one to get the SIGINT below.)
"$FENGHUO" --state "$(node_state n5)" watch --json >"$FH_TMP/watch.out" 2>"$FH_TMP/watch.err" &
watch_pid=$!
bg_track "$watch_pid"
probe_live() {
	grep -q '"title":"watch probe' "$FH_TMP/watch.out"
}
for ((k = 0; k < 20; k++)); do
	report n5 "watch probe $k" >/dev/null
	poll_until 1 probe_live && break
done
probe_live || fail "fenghuo watch at n5 never showed a probe written at n5"

id=$(report n1 "山体滑坡 阻断村道")
log "report $id written at n1"
wait_for 30 "n5 holds the report" has_msg n5 "$id"
watched() {
	grep -q "\"id\":\"$id\"" "$FH_TMP/watch.out"
}
wait_for 10 "fenghuo watch at n5 printed the report" watched
# The same object as `fenghuo list --json` prints for it.
[ "$(grep "\"id\":\"$id\"" "$FH_TMP/watch.out")" = \
	"$(fh n5 list --kind report --json | grep "\"id\":\"$id\"")" ] ||
	fail "watch --json and list --json disagree about $id"
kill -INT "$watch_pid"
rc=0
wait "$watch_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "fenghuo watch exited $rc on SIGINT: $(cat "$FH_TMP/watch.err")"
wid=$(fh n5 warn --area 330110110 --level orange --event 暴雨 --title "暴雨橙色预警")
log "warning $wid written at n5"
wait_for 30 "n1 holds the warning" has_msg n1 "$wid"

# The same message everywhere: show --json of the id (all fields, author, times) agrees,
# and the exported envelope bytes are identical.
fields='id kind author created_ms region title text'
for m in "$id" "$wid"; do
	ref=$(fh n1 show --json "$m" | "$FH_PY" -c 'import json, sys
o = json.loads(sys.stdin.readline())
print(json.dumps({k: o.get(k) for k in sys.argv[1].split()}, sort_keys=True, ensure_ascii=False))' "$fields")
	[ -n "$ref" ] || fail "n1: show $m printed nothing"
	for n in n2 n3 n4 n5; do
		wait_for 10 "$n holds $m" has_msg "$n" "$m"
		got=$(fh "$n" show --json "$m" | "$FH_PY" -c 'import json, sys
o = json.loads(sys.stdin.readline())
print(json.dumps({k: o.get(k) for k in sys.argv[1].split()}, sort_keys=True, ensure_ascii=False))' "$fields")
		[ "$got" = "$ref" ] || fail "$n: $m differs from n1: $got vs $ref"
	done
done
[ "$(fh n5 show --json "$id" | json_field hops)" -ge 1 ] || fail "n5: the report claims 0 hops"

# Byte for byte: both ends export their reports and warnings (one of each, the same two
# messages) to bundles, which hold the envelopes exactly as stored.
for k in report warning; do
	for n in n1 n5; do
		fh "$n" export --kind "$k" -o "$FH_TMP/$n.$k.fhb" >/dev/null
	done
	cmp "$FH_TMP/n1.$k.fhb" "$FH_TMP/n5.$k.fhb" || fail "the exported ${k}s of n1 and n5 differ"
done
log "ok: the report crossed 4 links and the warning came back, byte for byte"
