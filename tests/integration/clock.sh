#!/usr/bin/env bash
# clock.sh: a county PC whose clock is a day off. Nodes tell each other their time (HELLO,
# PING, PONG time_ms); the county's daemon estimates its offset against its peers, logs it
# and shows it in `status`, and `fenghuo warn` / `fenghuo cert` refuse to sign while it is
# beyond what validation tolerates, naming the clock (--clock-ok signs anyway, and then the
# township rejects the warning as "clock"). The wrong clock is made with libfaketime (Debian
# package faketime) on CLOCK_REALTIME only: CLOCK_MONOTONIC, which the loop's timers use,
# stays true (FAKETIME_DONT_FAKE_MONOTONIC).
set -euo pipefail
FH_DEADLINE=90
. "$(dirname "$0")/lib.sh"

FT_LIB=""
for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
	[ -e "$f" ] && FT_LIB=$f && break
done
[ -n "$FT_LIB" ] || fail "needs libfaketime (Debian package faketime; tools/setup.sh installs it)"
# faked OFFSET CMD...: CMD (a command or a lib.sh function) with the wall clock OFFSET off.
# Under AddressSanitizer the preloaded library comes before ASan's runtime: allowed here.
faked() {
	LD_PRELOAD=$FT_LIB FAKETIME=$1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "${@:2}"
}

make_node c 330110
make_node t 330110109
make_node v 330110109201
link c t
link t v
init_county c
for x in c t v; do
	FH_TRUST[$x]="anchors = $ROOT"
done
# The county node's key may issue warnings for the county.
fh c --key "$K/admin.key" cert --subject "${FH_KEY[c]}" --transport-key "${FH_TKEY[c]}" \
	--name county --roles node,issuer --region 330110 --days 30 >/dev/null

# json_get NAME FIELD (a lib.sh status_field that keeps null as "null")
clock_field() {
	fh "$1" status --json | "$FH_PY" -c 'import json, sys
print(json.dumps(json.loads(sys.stdin.readline())[sys.argv[1]]))' "$2"
}
# offset_beyond NAME SIGN: NAME's estimate is more than 23 h off, ahead (+) or behind (-).
offset_beyond() {
	local off
	off=$(clock_field "$1" clock_offset_ms)
	[ "$off" != null ] || return 1
	if [ "$2" = + ]; then [ "$off" -gt 82800000 ]; else [ "$off" -lt -82800000 ]; fi
}
warn() {	# warn [ARGS...]: the county issues a warning (with its own, possibly faked, clock)
	fh c warn --area 330110 --level red --event flood --title "dam" "$@"
}

start_node t
start_node v
faked +1d start_node c
wait_for 30 "c's clock is seen a day ahead of its peers'" offset_beyond c +
[ "$(clock_field c clock_ok)" = false ] || fail "c's status says its clock is ok"
wait_for 10 "c logs that its clock is off" \
	grep -Eq "this node's clock is \+86(39|40)[0-9]\.[0-9] s from its peers'" "$(node_log c)"
[ "$(link_field t c clock_offset_ms)" -lt -82800000 ] ||
	fail "t's peers does not show c's clock a day ahead: $(link_field t c clock_offset_ms)"
# t has two peers, one of them right: its own clock is fine.
t_ok() {
	[ "$(clock_field t clock_peers)" = 2 ] && [ "$(clock_field t clock_ok)" = true ]
}
wait_for 20 "t, with one right peer and one wrong, finds its own clock fine" t_ok
log "c's daemon sees its clock $(clock_field c clock_offset_ms) ms off its peers'"

# A day ahead: warn refuses to sign, naming the clock, and nothing is stored.
before=$(status_field c messages)
rc=0
faked +1d warn >"$FH_TMP/warn.out" 2>"$FH_TMP/warn.err" || rc=$?
[ "$rc" -eq 75 ] || fail "warn with a clock a day ahead exited $rc, not 75: $(cat "$FH_TMP/warn.err")"
# (A day, give or take the time a HELLO takes: "23 h 59 min" would be right too.)
grep -Eq "clock is (1 d|23 h 59 min) ahead of its peers'" "$FH_TMP/warn.err" ||
	fail "warn's error does not name the clock: $(cat "$FH_TMP/warn.err")"
[ "$(status_field c messages)" = "$before" ] || fail "a refused warning was stored"
rc=0
faked +1d fh c --key "$K/admin.key" cert --subject "${FH_KEY[v]}" --roles reporter \
	--region 330110109201 --days 3 >/dev/null 2>"$FH_TMP/cert.err" || rc=$?
[ "$rc" -eq 75 ] && grep -q "clock is .* ahead" "$FH_TMP/cert.err" ||
	fail "cert with a clock a day ahead: exit $rc: $(cat "$FH_TMP/cert.err")"
log "a day ahead: warn and cert refuse to sign: $(cat "$FH_TMP/warn.err")"

# --clock-ok signs anyway; the township then rejects the warning for its created time.
id=$(faked +1d warn --clock-ok)
[ ${#id} -eq 64 ] || fail "warn --clock-ok printed no id"
rejected_clock() {
	[ "$(fh t status --json | "$FH_PY" -c 'import json, sys
print(json.loads(sys.stdin.readline())["rejected"].get("clock", 0))')" -ge 1 ]
}
wait_for 30 "t rejects the warning signed a day ahead as 'clock'" rejected_clock
has_msg t "$id" && fail "t stored a warning created a day in its future"
log "--clock-ok: signed, and t rejected it (reason clock)"

# A rejection for time while the daemon finds the clock off names the clock as the cause
# (made here by a CLI whose clock is two days behind its daemon's: the warning it signs is
# expired by the daemon's clock).
rc=0
faked -1d warn --clock-ok >/dev/null 2>"$FH_TMP/warn.err" || rc=$?
[ "$rc" -eq 65 ] && grep -q "rejected: expired" "$FH_TMP/warn.err" &&
	grep -q "the clock is the cause: this computer's clock is" "$FH_TMP/warn.err" ||
	fail "an expired rejection did not name the clock: exit $rc: $(cat "$FH_TMP/warn.err")"
log "expired while the clock is off: $(tail -1 "$FH_TMP/warn.err")"

# A day behind: the error says so (the warning would arrive expired).
stop_node c
faked -1d start_node c
wait_for 30 "c's clock is seen a day behind its peers'" offset_beyond c -
rc=0
faked -1d warn >/dev/null 2>"$FH_TMP/warn.err" || rc=$?
[ "$rc" -eq 75 ] && grep -Eq "clock is (1 d|23 h 59 min) behind its peers'" "$FH_TMP/warn.err" ||
	fail "warn with a clock a day behind: exit $rc: $(cat "$FH_TMP/warn.err")"
log "a day behind: $(cat "$FH_TMP/warn.err")"

# The clock set right: c agrees with its peers again and warn signs.
stop_node c
start_node c
ok_again() {
	[ "$(clock_field c clock_ok)" = true ] && [ "$(clock_field c clock_offset_ms)" != null ]
}
wait_for 30 "c's clock agrees with its peers' again" ok_again
id=$(warn)
wait_for 30 "t holds the warning signed with a right clock" has_msg t "$id"
log "ok: clock offsets estimated, shown and enforced; a right clock signs and delivers"
