#!/usr/bin/env bash
# watch.sh: `fenghuo watch --kind K --region PREFIX` shows only what passes both filters, and
# a watch survives a restart of the daemon: it says on stderr that fenghuod went away, says
# when it is back, and shows what arrives after that. --count counts what passes the filters.
set -euo pipefail
FH_DEADLINE=60
. "$(dirname "$0")/lib.sh"

make_node s 330110109201
start_node s

"$FENGHUO" --state "$(node_state s)" watch --kind report --region 330110109 --json >"$FH_TMP/watch.out" \
	2>"$FH_TMP/watch.err" &
watch_pid=$!
bg_track "$watch_pid"
# Live once a probe written after it started shows (the subscription is made asynchronously).
# (Background commands run the binary itself, not through fh: $! must be its pid.)
k=0
probe_live() {
	grep -q '"title":"watch probe' "$FH_TMP/watch.out" && return 0
	k=$((k + 1))
	report s "watch probe $k" >/dev/null
	return 1
}
wait_for 20 "the watch showed a probe" probe_live

wid=$(fh s warn --area 330110109 --level red --event 暴雨 --title "filtered: a warning")
out=$(fh s report --region 330220101001 --category test --title "filtered: another county")
inid=$(report s "shown: in the region")
shown() { grep -q "\"id\":\"$1\"" "$FH_TMP/watch.out"; }
wait_for 20 "the watch showed the report in its region" shown "$inid"
# Events come in commit order on one connection: the two before it were seen and dropped.
! shown "$wid" || fail "watch --kind report showed a warning"
! shown "$out" || fail "watch --region showed a report of another region"

# A restart: gone, back, and watching again.
stop_node s
wait_for 20 "the watch said fenghuod went away" grep -q "fenghuod has gone away" "$FH_TMP/watch.err"
kill -0 "$watch_pid" || fail "the watch exited when fenghuod stopped: $(cat "$FH_TMP/watch.err")"
start_node s
wait_for 20 "the watch said fenghuod is back" grep -q "fenghuod is back" "$FH_TMP/watch.err"
after=$(report s "shown: after the restart")
wait_for 20 "the watch showed a report written after the restart" shown "$after"
kill -INT "$watch_pid"
rc=0
wait "$watch_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "fenghuo watch exited $rc on SIGINT: $(cat "$FH_TMP/watch.err")"

# --count counts only what passes the filters: a warning then a report, again and again, until
# the watch exits; it must have printed two reports (counting warnings, it would end after one).
"$FENGHUO" --state "$(node_state s)" watch --kind report --count 2 --timeout 30 --json \
	>"$FH_TMP/count.out" 2>"$FH_TMP/count.err" &
count_pid=$!
bg_track "$count_pid"
k=0
pairs_until_exit() {
	! kill -0 "$count_pid" 2>/dev/null && return 0
	k=$((k + 1))
	fh s warn --area 330110109 --level blue --event 高温 --title "not counted $k" >/dev/null
	report s "counted $k" >/dev/null
	return 1
}
wait_for 30 "watch --count 2 exited" pairs_until_exit
rc=0
wait "$count_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "watch --count 2 exited $rc: $(cat "$FH_TMP/count.err")"
[ "$(grep -c '"kind":"report"' "$FH_TMP/count.out")" -eq 2 ] &&
	[ "$(wc -l <"$FH_TMP/count.out")" -eq 2 ] ||
	fail "watch --kind report --count 2 printed: $(cat "$FH_TMP/count.out")"
log "ok: filters, a restart survived, --count after filtering"
