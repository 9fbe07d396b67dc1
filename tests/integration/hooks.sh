#!/usr/bin/env bash
# hooks.sh: [hook NAME] programs of a real fenghuod. A hook runs once per warning: a warning
# issued through the daemon runs it; after a kill -9 and a restart it is not run again, and
# one written into the store while the daemon was down runs after the restart. A warning
# whose title and text are full of shell syntax reaches the program byte for byte on its
# stdin and runs nothing else. A program that hangs is killed at its timeout (with its
# process group), counted as a failure and shown by `fenghuo status`. The example hooks of
# tools/hooks run too: the loudspeaker speaks the warning into a WAV file (when espeak-ng is
# installed) and the SMS gateway POSTs it to an HTTP server on 127.0.0.1. An overdue hook
# runs for a report nobody registered, not for one registered. Hooks with format = cap and
# cap-cn read the warning as a CAP alert: the OASIS one valid against the CAP 1.2 schema,
# both carrying the warning's identifier, title and text byte for byte; an alert imported
# from CAP reaches the OASIS hook element for element as it came in.
set -euo pipefail
FH_DEADLINE=55
. "$(dirname "$0")/lib.sh"
HOOKS=$(cd "$(dirname "$0")/../../tools/hooks" && pwd)

H=$FH_TMP/hooks
mkdir -p "$H/audio"
# record.sh LOG: the message id, then the whole of stdin, each run.
cat >"$H/record.sh" <<'SH'
#!/bin/sh
set -eu
cat >>"$1.json"
echo "$FENGHUO_MSG_ID" >>"$1"
SH
# hang.sh PIDFILE: never ends by itself (a child holds on too).
cat >"$H/hang.sh" <<'SH'
#!/bin/sh
sleep 600 &
echo "$$ $!" >"$1"
wait
SH
# save.sh DIR: stdin into DIR/ID.xml, renamed into place once whole.
cat >"$H/save.sh" <<'SH'
#!/bin/sh
set -eu
cat >"$1/.$FENGHUO_MSG_ID"
mv "$1/.$FENGHUO_MSG_ID" "$1/$FENGHUO_MSG_ID.xml"
SH
mkdir -p "$H/cap" "$H/capcn"
chmod +x "$H/record.sh" "$H/hang.sh" "$H/save.sh"

# The SMS gateway: records every POST body, answers 200.
_fh_alloc_port >"$FH_TMP/.port"
SMS_PORT=$(cat "$FH_TMP/.port")
"$FH_PY" - "$SMS_PORT" "$H/sms.log" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(sys.argv[2], "ab") as f:
            f.write(body + b"\n")
        self.send_response(200)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
bg_track $!

make_node v 330110109001
FH_EXTRA[v]="
[hook rec]
on = warning
command = $H/record.sh $H/rec.log
status = any

[hook cap]
on = warning
command = $H/save.sh $H/cap
format = cap

[hook capcn]
on = warning
command = $H/save.sh $H/capcn
format = cap-cn

[hook hang]
on = report
command = $H/hang.sh $H/hang.pid
timeout = 1

[hook sms]
on = warning
command = $HOOKS/sms-gateway.sh http://127.0.0.1:$SMS_PORT/send duty
min_level = orange
"
FH_EXTRA[v]+="
[hook late]
on = overdue
command = $H/record.sh $H/late.log
overdue_after = 60
"
# Its record says it has existed for ever, so that reports dated back by libfaketime (their
# first-seen time is that clock's too) are its business.
mkdir -m 0700 "$(node_state v)/hooks"
echo "since 1" >"$(node_state v)/hooks/late"
if command -v espeak-ng >/dev/null; then
	FH_EXTRA[v]+="
[hook speaker]
on = warning
command = $HOOKS/loudspeaker.sh $H/audio
region = 330110
min_level = red
timeout = 60
"
fi
start_node v

runs() {	# runs ID: how many times rec ran for ID
	local n
	n=$(grep -c "^$1\$" "$H/rec.log" 2>/dev/null) || true
	echo "${n:-0}"
}
ran() { [ "$(runs "$1")" -ge 1 ]; }

w1=$(fh v warn --area 330110 --level red --event 暴雨 --title "暴雨红色预警" --text "请立即转移")
wait_for 20 "the hook ran for the first warning" ran "$w1"
wait_for 20 "the SMS gateway got the red warning" grep -q "\"id\": \"$w1\"" "$H/sms.log"
"$FH_PY" - "$H/sms.log" "$w1" <<'PY' || fail "SMS body: $(cat "$H/sms.log")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
r = [r for r in rows if r["id"] == sys.argv[2]][0]
assert r["group"] == "duty" and r["text"] == "【红色预警】暴雨红色预警：请立即转移", r
PY
if command -v espeak-ng >/dev/null; then
	wait_for 30 "the loudspeaker spoke the warning" test -s "$H/audio/$w1.wav"
	[ "$(head -c 4 "$H/audio/$w1.wav")" = RIFF ] || fail "not a WAV file"
fi

# kill -9, a warning written into the store meanwhile, a restart: w1 is not run again,
# w2 runs once. (Killed once every hook has recorded w1: a run cut short runs again.)
recorded() {	# recorded HOOK ID: the daemon's record of HOOK's runs holds ID
	grep -qx "$2" "$(node_state v)/hooks/$1" 2>/dev/null
}
for hk in rec sms $(command -v espeak-ng >/dev/null && echo speaker); do
	wait_for 30 "hook $hk recorded its run for the first warning" recorded "$hk" "$w1"
done
kill_node v
w2=$(fh v warn --area 330110 --level yellow --event 大风 --title "大风黄色预警")
# Meanwhile two reports written two hours ago: one registered since, one not (overdue).
FT_LIB=""
for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
	[ -e "$f" ] && FT_LIB=$f && break
done
[ -n "$FT_LIB" ] || fail "needs libfaketime (Debian package faketime; tools/setup.sh installs it)"
old_report() {
	LD_PRELOAD=$FT_LIB FAKETIME=-2h FAKETIME_DONT_FAKE_MONOTONIC=1 \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		"$FENGHUO" --state "$(node_state v)" report --region 330110109001 --category flood \
		--title "$1"
}
r1=$(old_report "已登记的报告")
r2=$(old_report "无人登记的报告")
fh v receipt "$r1" --stage registered >/dev/null
start_node v
wait_for 20 "the hook ran for the warning stored while the daemon was down" ran "$w2"

# Shell syntax in the title and text: the program gets it on stdin, nothing runs.
TITLE='$(touch '"$H"'/pwned1) `touch '"$H"'/pwned2`; touch '"$H"'/pwned3 | "x" '"'"'y'"'"
TEXT=$'&& touch '"$H"$'/pwned4\n$HOME ${PATH} * ? [a] > '"$H"'/pwned5'
w3=$(fh v warn --area 330110 --level blue --event 测试 --title "$TITLE" --text "$TEXT")
wait_for 20 "the hook ran for the warning full of shell syntax" ran "$w3"
for i in 1 2 3 4 5; do
	[ ! -e "$H/pwned$i" ] || fail "the title or text ran a command (pwned$i)"
done
"$FH_PY" - "$H/rec.log.json" "$w3" "$TITLE" "$TEXT" <<'PY' || fail "stdin of the hook"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
r = [r for r in rows if r["id"] == sys.argv[2]][0]
assert r["title"] == sys.argv[3] and r["text"] == sys.argv[4], r
assert r["hook"] == "rec" and r["on"] == "warning" and r["kind"] == "warning"
assert r["event"] == "测试"
assert r["level"] == "blue" and r["area"] == ["330110"] and r["status"] == "actual"
PY
# The same warning as CAP: valid OASIS, and both profiles carry it field by field.
wait_for 20 "the CAP hooks ran for the third warning" \
	test -s "$H/cap/$w3.xml" -a -s "$H/capcn/$w3.xml"
XSD=$(cd "$(dirname "$0")/../.." && pwd)/data/cap/CAP-v1.2.xsd
xmllint --noout --nonet --schema "$XSD" "$H/cap/$w3.xml" 2>"$H/xmllint.err" ||
	fail "the CAP hook's alert is not valid CAP 1.2: $(cat "$H/xmllint.err")"
"$FH_PY" - "$H/cap/$w3.xml" "$H/capcn/$w3.xml" "$w3" "$TITLE" "$TEXT" <<'PY' ||
import sys, xml.etree.ElementTree as ET
NS = "{urn:oasis:names:tc:emergency:cap:1.2}"
for path, ns in ((sys.argv[1], NS), (sys.argv[2], "")):
    a = ET.parse(path).getroot()
    assert a.tag == ns + "alert", (path, a.tag)
    g = lambda e, p: e.findtext("/".join(ns + x for x in p.split("/")))
    info = a.find(ns + "info")
    assert sys.argv[3] in g(a, "identifier"), (path, g(a, "identifier"))
    assert g(a, "status") == "Actual" and g(a, "msgType") == "Alert", path
    assert g(info, "headline") == sys.argv[4], (path, g(info, "headline"))
    assert g(info, "description") == sys.argv[5], (path, g(info, "description"))
    if ns:
        assert g(info, "event") == "测试" and g(info, "severity") == "Minor", path
        assert g(info, "area/geocode/value") == "330110000000", path
PY
	fail "the CAP hooks' alerts: $(cat "$H/cap/$w3.xml" "$H/capcn/$w3.xml")"
# The overdue report ran `late` (the start's scan), the registered one did not.
wait_for 20 "the overdue hook ran for the unregistered report" grep -qx "$r2" "$H/late.log"
! grep -qx "$r1" "$H/late.log" || fail "the overdue hook ran for a registered report"
grep -q '"on":"overdue".*"title":"无人登记的报告"' "$H/late.log.json" || fail "late: stdin"
[ "$(runs "$w1")" -eq 1 ] || fail "the first warning ran $(runs "$w1") times"
[ "$(runs "$w2")" -eq 1 ] || fail "the second warning ran $(runs "$w2") times"
[ "$(runs "$w3")" -eq 1 ] || fail "the third warning ran $(runs "$w3") times"

# A hanging program is killed at its 1 s timeout, with the child it started.
fh v report --region 330110109001 --category flood --title "河水漫堤" >/dev/null
hook_failed() {
	fh v status --json | "$FH_PY" -c 'import json, sys
h = [h for h in json.load(sys.stdin)["hooks"] if h["name"] == "hang"][0]
sys.exit(0 if h["failures"] >= 1 and "timeout" in h["last_error"] else 1)'
}
wait_for 20 "the hanging hook is killed and counted" hook_failed
read -r hpid cpid <"$H/hang.pid"
gone() { ! kill -0 "$hpid" 2>/dev/null && ! kill -0 "$cpid" 2>/dev/null; }
wait_for 10 "the hanging hook and its child are gone" gone
out=$(fh v status)
grep -q "^hook *hang (on report): 0 ok, .* FAILED, last: killed after its timeout of 1 s" \
	<<<"$out" || fail "status: $out"
grep -q "^hook *rec (on warning): 2 ok, 0 running, 0 waiting$" <<<"$out" || fail "status rec: $out"
grep -q "hook hang: pid .* still running after 1 s: killed" "$(node_log v)" ||
	fail "no log line for the kill"

# An alert imported from CAP reaches the CAP hook as it came in, element by element.
CAPDATA=$(cd "$(dirname "$0")/../cap" && pwd)
wc=$(fh v cap import --area 330110 --expires 2h "$CAPDATA/data/oasis-cap12-appendix-A2.xml")
wait_for 20 "the CAP hook ran for the imported alert" test -s "$H/cap/$wc.xml"
"$FH_PY" "$CAPDATA/capdiff.py" "$CAPDATA/data/oasis-cap12-appendix-A2.xml" "$H/cap/$wc.xml" ||
	fail "the CAP hook's alert differs from the imported one"
xmllint --noout --nonet --schema "$XSD" "$H/cap/$wc.xml" 2>"$H/xmllint.err" ||
	fail "the imported alert is not valid CAP 1.2: $(cat "$H/xmllint.err")"
stop_node v
log "ok"
