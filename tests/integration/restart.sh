#!/usr/bin/env bash
# restart.sh: an acknowledged message is durable (DESIGN decision 7). Node s acknowledges
# 50 submitted reports (each `fenghuo report` prints the id only after the daemon's submit
# reply, which comes after the commit), then dies by SIGKILL. Its store still holds all 50
# before and after it restarts. A report written while s is down goes into the store
# directly and reaches the peer p once s is back.
set -euo pipefail
FH_DEADLINE=60
. "$(dirname "$0")/lib.sh"
FH_SYNC_INTERVAL=2
N=50

make_node s 330110109201
make_node p 330110109
link s p
start_node s
start_node p

ids=()
for ((k = 0; k < N; k++)); do
	ids+=("$(report s "acknowledged report $k")")
done
[ "$(status_field s stored)" -eq "$N" ] || fail "s counts $(status_field s stored) new messages, expected $N"
kill_node s
log "s killed (-9) right after the last of $N acknowledgements"

# The stale socket file is not a daemon: status says so at once (exit 69) and reads the
# store itself.
rc=0
st=$(fh s status --json) || rc=$?
[ "$rc" -eq 69 ] || fail "status with a dead daemon exited $rc, expected 69 (EX_UNAVAILABLE)"
[ "$(json_field running <<<"$st")" = False ] || fail "status with a dead daemon: $st"
[ "$(json_field messages <<<"$st")" -eq "$N" ] || fail "status without daemon: $st"

# Read straight from the store while no daemon runs.
has_all s "${ids[@]}" || fail "an acknowledged report is missing after kill -9"
[ "$(fh s list --kind report --json | wc -l)" -eq "$N" ] || fail "s does not hold exactly $N reports"

# With the daemon gone (its socket file left behind), the CLI writes directly.
late=$(report s "written while the daemon was down")
has_msg s "$late" || fail "the report written without a daemon is not in the store"

start_node s
st=$(fh s status --json)
[ "$(json_field messages <<<"$st")" -eq $((N + 1)) ] ||
	fail "after restart s holds $(json_field messages <<<"$st") messages, expected $((N + 1))"
has_all s "${ids[@]}" "$late" || fail "a report is missing after the restart"
wait_for 30 "p holds every report, the late one too" has_all p "${ids[@]}" "$late"
log "ok: $N acknowledged reports survived kill -9; the offline one was sent on"
