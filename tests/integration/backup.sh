#!/usr/bin/env bash
# backup.sh: `fenghuo backup` of a running node's store during a stream of submissions, and
# `fenghuo restore` of it into an empty state directory. The stream at A records A's store
# digest after each report; the restored store's digest is one of those taken while the
# backup ran (a snapshot of one commit: no half of a pass, no torn pages), and the restore
# prints the same. Every message of the copy keeps its first-seen time, hops and origin
# (list --json is the same line for line). restore refuses a directory that is not empty, and
# a file that is no store, changing nothing. A daemon started on the restored store, with the
# node's keys put back, gets every message submitted after the backup from its peer B.
set -euo pipefail
FH_DEADLINE=150
. "$(dirname "$0")/lib.sh"

make_node A 330110
make_node B 330110101
make_node C 330110102
link A B
link B C
start_node A
start_node B
for k in 1 2 3 4 5; do report A "before the stream $k" >/dev/null; done

# The stream: report k, then A's digest (nothing else writes to A meanwhile).
S=$FH_TMP/stream
: >"$S"
(
	for k in $(seq 1 30); do
		report A "stream $k" >/dev/null
		echo "$k $(status_field A digest)" >>"$S"
	done
	echo done >>"$S"
) &
bg_track $!
lines() { [ "$(grep -c "^[0-9]" "$S")" -ge "$1" ]; }
wait_for 60 "five reports of the stream" lines 5

B_FILE=$FH_TMP/a.backup
l0=$(grep -c "^[0-9]" "$S")
fh A backup --json "$B_FILE" >"$FH_TMP/backup.json"
l1=$(grep -c "^[0-9]" "$S")
wait_for 120 "the end of the stream" grep -qx done "$S"
[ -s "$B_FILE" ] && [ ! -e "$B_FILE.tmp" ] || fail "no backup file, or its .tmp is left"
digest=$(json_field digest <"$FH_TMP/backup.json")
msgs=$(json_field messages <"$FH_TMP/backup.json")
log "backup of $msgs messages between reports $l0 and $((l1 + 1)) of the stream"
# The copy's digest is A's after report k, for a k while the backup ran.
awk -v lo="$l0" -v hi="$((l1 + 1))" '$1 >= lo && $1 <= hi { print $2 }' "$S" | grep -x "$digest" >/dev/null ||
	fail "backup digest $digest is none of A's digests after reports $l0..$((l1 + 1)): $(cat "$S")"

# restore refuses what it must, and changes nothing then.
rc=0
fh C restore "$B_FILE" 2>"$FH_TMP/err" || rc=$?
[ "$rc" = 73 ] && grep -q 'not empty' "$FH_TMP/err" ||
	fail "restore into C's state (keys in it) exited $rc: $(cat "$FH_TMP/err")"
rc=0
"$FENGHUO" --state "$FH_TMP/nostore" restore "$(node_conf A)" 2>"$FH_TMP/err" || rc=$?
[ "$rc" = 65 ] && [ ! -e "$FH_TMP/nostore" ] ||
	fail "restore of a config file exited $rc, or created the directory: $(cat "$FH_TMP/err")"

# The procedure of docs/OPERATIONS.md: keys aside, restore into the empty directory, keys back.
mkdir "$FH_TMP/keys.C"
mv "$(node_state C)"/*.key "$FH_TMP/keys.C/"
fh C restore --json "$B_FILE" >"$FH_TMP/restore.json"
[ "$(json_field digest <"$FH_TMP/restore.json")" = "$digest" ] &&
	[ "$(json_field messages <"$FH_TMP/restore.json")" = "$msgs" ] ||
	fail "restore says $(cat "$FH_TMP/restore.json"), the backup $(cat "$FH_TMP/backup.json")"
[ "$(fh C status --json 2>/dev/null | json_field digest)" = "$digest" ] ||
	fail "the restored store's digest is not the backup's"
# Every message as A has it: first-seen time, hops, from (A stopped: its store stands still).
stop_node A
fh A list --json --limit 1000000 | sort >"$FH_TMP/a.list"
fh C list --json --limit 1000000 | sort >"$FH_TMP/c.list"
[ "$(grep -c . "$FH_TMP/c.list")" = "$msgs" ] || fail "the restored store lists $(grep -c . "$FH_TMP/c.list") messages, not $msgs"
missing=$(comm -13 "$FH_TMP/a.list" "$FH_TMP/c.list")
[ -z "$missing" ] || fail "restored messages differ from A's: $missing"

# C starts on it and gets the rest from B.
mv "$FH_TMP/keys.C"/*.key "$(node_state C)/"
start_node C
all=$(grep -c . "$FH_TMP/a.list")
b_all() { [ "$(status_field B messages)" = "$all" ]; }
wait_for 60 "B holds all $all messages of A" b_all
want=$(status_field B digest)
same() { [ "$(status_field C digest)" = "$want" ]; }
wait_for 60 "C holds every message of the stream" same
log "ok: backup during a stream = A's digest at one commit; restore keeps every record; C synced the rest"
