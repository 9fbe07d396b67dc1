#!/usr/bin/env bash
# diskfull.sh: the disk fills up under a running node. A write limit (prlimit --fsize, which
# fails writes past it just as a full disk does) is put on the daemon: submissions then fail
# with a clear error and are not acknowledged, the daemon keeps running and answering, and
# nothing it acknowledged is lost. When space comes back it takes writes again, no restart.
set -euo pipefail
FH_DEADLINE=90
. "$(dirname "$0")/lib.sh"
command -v prlimit >/dev/null || { echo "SKIP: prlimit (util-linux) is not installed"; exit 77; }

make_node a 330110101001
start_node a
acked=()
for ((i = 0; i < 3; i++)); do
	acked+=("$(report a "before $i")")
done
data=$(node_state a)/data.mdb
limit=$(($(stat -c %s "$data") + 128 * 1024))
prlimit --pid "${FH_PID[a]}" --fsize="$limit:unlimited"
log "write limit $limit bytes on the daemon (data.mdb is $(stat -c %s "$data"))"

# Write until a submission fails (bounded); every one that succeeded was acknowledged.
failed=""
text=$(head -c 4000 /dev/zero | tr '\0' x)
for ((i = 0; i < 2000; i++)); do
	if out=$(fh a report --region 330110101001 --category test --title "full $i" \
		--text "$text" 2>&1); then
		acked+=("$out")
	else
		failed=$out
		break
	fi
done
[ -n "$failed" ] || fail "2000 reports of 4 KB fitted under a $limit-byte limit"
log "after ${#acked[@]} acknowledged reports, a submission failed: $failed"
grep -qi "store\|write\|space\|large" <<<"$failed" || fail "unclear error: $failed"
node_running a || fail "fenghuod died on a full disk (log: $(node_log a))"
[ "$(status_field a commit_errors)" -ge 1 ] || fail "status counts no failed commit"
fh a status | grep "^STORE .*could not be written" >/dev/null || fail "fenghuo status hides the failure: $(fh a status)"
n_before=$(status_field a messages)
[ "$n_before" -eq "${#acked[@]}" ] ||
	fail "the store holds $n_before messages, ${#acked[@]} were acknowledged"

# Space again: the same process takes writes; nothing acknowledged was lost.
prlimit --pid "${FH_PID[a]}" --fsize=unlimited:unlimited
id=$(report a "after space came back")
acked+=("$id")
for id in "${acked[@]}"; do
	has_msg a "$id" || fail "acknowledged message $id is missing"
done
[ "$(status_field a messages)" -eq "${#acked[@]}" ] || fail "unexpected message count"
stop_node a
log "ok: ${#acked[@]} acknowledged messages kept; the failed one refused with an error"
