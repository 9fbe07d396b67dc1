#!/usr/bin/env bash
# sdnotify.sh: fenghuod under systemd's Type=notify, with a NOTIFY_SOCKET of our own (a
# python3 datagram socket, notifysock.py, in place of systemd). READY=1 comes only once the
# listen socket accepts connections; STATUS= says the peers up and the messages stored, and
# changes when a peer comes up and when a report is stored; WATCHDOG=1 comes again and again
# from the loop of an idle node (WATCHDOG_USEC as systemd sets it from WatchdogSec=);
# STOPPING=1 on SIGTERM. Log lines carry a timestamp when stderr is a file, and none when
# JOURNAL_STREAM names stderr (the journal stamps lines itself).
set -euo pipefail
FH_DEADLINE=90
. "$(dirname "$0")/lib.sh"

make_node A 330110
make_node B 330110101
link A B

N=$FH_TMP/notify.out
: >"$N"
python3 "$(dirname "$0")/notifysock.py" "$FH_TMP/notify.sock" "$N" "127.0.0.1:${FH_PORT[A]}" &
bg_track $!
wait_for 30 "the notify socket listens" grep -q '^listening$' "$N"

# Every pass of A's loop must pet a watchdog of 1 s (half of it: every 0.5 s).
NOTIFY_SOCKET=$FH_TMP/notify.sock WATCHDOG_USEC=1000000 start_node A
wait_for 30 "A says READY=1" grep -q '^READY=1$' "$N"
grep -q '^listen-check ok$' "$N" || fail "READY=1 came before A's listen socket accepted: $(cat "$N")"
grep -q '^MAINPID=' "$N" || fail "no MAINPID with READY=1"
wait_for 30 "A's first STATUS" grep -q '^STATUS=0 peers up, 0 messages stored$' "$N"

# Watchdog: several pets while A has nothing to do.
pets() { [ "$(grep -c '^WATCHDOG=1$' "$N")" -ge "$1" ]; }
wait_for 30 "four WATCHDOG=1 from an idle A" pets 4

# STATUS follows the peers and the store.
# B's stderr is its log file, and JOURNAL_STREAM names it: no timestamps on B's lines.
touch "$(node_log B)"
JOURNAL_STREAM=$(stat -c '%d:%i' "$(node_log B)") start_node B
wait_for 30 "STATUS says 1 peer up" grep -q '^STATUS=1 peer up, ' "$N"
id=$(report A "notify status")
wait_for 30 "STATUS counts the report" grep -q '^STATUS=1 peer up, 1 message stored$' "$N"

# The log lines: stamped in A's file, plain in B's "journal".
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[-+][0-9]{4} info: node A ' \
	"$(node_log A)" || fail "A's log lines carry no timestamp: $(head -3 "$(node_log A)")"
grep -q '^info: node B ' "$(node_log B)" ||
	fail "B's lines are stamped although stderr is the journal: $(head -3 "$(node_log B)")"

stop_node A
wait_for 30 "A says STOPPING=1" grep -q '^STOPPING=1$' "$N"
log "ok: READY=1 after the listen socket was bound, STATUS follows peers and messages ($id), watchdog petted, STOPPING=1; timestamps only off the journal"
