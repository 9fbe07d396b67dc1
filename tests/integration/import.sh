#!/usr/bin/env bash
# import.sh: `fenghuo import` through a running fenghuod.
#
# On a certified village node v: a bundle carrying a red warning signed by an uncertified key
# (a forged warning on a USB stick) is judged as a peer's messages: held in the daemon's
# memory and in <state>/held, not stored, no delivery receipt, nothing in force; after a
# restart it is still held. A warning submitted at v by an uncertified key is stored (a local
# user's own) but not confirmed either, not even by the start-up scan. When the forger's
# certificate arrives on the next stick, the daemon stores the warning and confirms it; when
# the local author's does, the local warning is confirmed (once). A stick imported while the
# daemon is down is held on disk and reaches the daemon at its start. A full held area keeps
# nothing more on disk (the daemon holds it in memory), and import says so.
#
# On an open node w: a bundle of 3000 reports goes in batches (counts, progress on stderr);
# when the daemon is killed part-way (the bundle comes through a pipe that the script holds
# back after the first batch), import says exactly how many entries were stored and exits
# 75; a second import after a restart stores the rest.
set -euo pipefail
FH_DEADLINE=60
. "$(dirname "$0")/lib.sh"
: "${FH_MKBUNDLE:?FH_MKBUNDLE must name the fh_mkbundle test helper}"

# field_is NAME FIELD VALUE: NAME's status FIELD is VALUE now (for wait_for, which re-runs it).
field_is() {
	[ "$(status_field "$1" "$2")" = "$3" ]
}

make_node c 330110			# never started: the county office's keys and store
make_node v 330110109201
make_node w 330110109202
init_county c
FH_TRUST[v]="anchors = $ROOT"
fh c --key "$K/admin.key" cert --subject "${FH_KEY[v]}" --roles node --region 330110 \
	--days 30 >/dev/null
fh c export -o "$FH_TMP/county.fhb" >/dev/null

start_node v
out=$(fh v import "$FH_TMP/county.fhb") || fail "importing the county's certificates: $out"
grep -q "^new: 2$" <<<"$out" || fail "county bundle: $out"

# ---- the forged warning ----
T=$FH_TMP/stick
F=$("$FENGHUO" --state "$T" keygen -o "$K/forger.key")
W=$("$FENGHUO" --state "$T" --key "$K/forger.key" warn --area 330110 --level red \
	--event 地震 --title "伪造的红色预警")
"$FENGHUO" --state "$T" export -o "$FH_TMP/forged.fhb" >/dev/null
out=$(fh v import "$FH_TMP/forged.fhb") || fail "import of the forged bundle failed: $out"
grep -q "^new: 0$" <<<"$out" || fail "forged bundle: $out"
grep -q "^held: 1 " <<<"$out" || fail "forged bundle not held: $out"
! has_msg v "$W" || fail "the forged warning was stored"
[ -f "$(node_state v)/held/$W" ] || fail "the held warning is not kept on disk"
[ "$(status_field v held)" -eq 1 ] || fail "the daemon does not hold the warning"
[ "$(status_field v held_imported)" -eq 1 ] || fail "status does not count the held import"
fh v duty | grep "^0 in force" >/dev/null || fail "duty: $(fh v duty)"

# A warning submitted here by an uncertified key: stored, but never confirmed.
LK=$("$FENGHUO" --state "$T" keygen -o "$K/local.key")
L=$(fh v --key "$K/local.key" warn --area 330110 --level orange --event e --title "未认证" 2>/dev/null)
has_msg v "$L" || fail "the local warning was not stored"
[ "$(status_field v delivery_receipts)" -eq 0 ] ||
	fail "v confirmed a warning whose chain is not valid here"

# A restart: the forged warning is held again (from disk), the start-up scan confirms nothing.
stop_node v
start_node v
[ "$(status_field v held)" -eq 1 ] || fail "the held warning was lost at the restart"
! has_msg v "$W" || fail "the restart stored the forged warning"
[ "$(status_field v delivery_receipts)" -eq 0 ] ||
	fail "v's start-up scan confirmed a warning whose chain is not valid here"

# The forger's key is certified after all: the warning is stored and confirmed.
fh c --key "$K/admin.key" cert --subject "$F" --roles issuer --region 330110 --days 30 >/dev/null
fh c export -o "$FH_TMP/cert.fhb" >/dev/null
fh v import "$FH_TMP/cert.fhb" >/dev/null || fail "importing the forger's certificate failed"
wait_for 20 "v stores the released warning" has_msg v "$W"
wait_for 20 "v confirms the released warning" field_is v delivery_receipts 1
log "a forged warning was held, not confirmed, kept across a restart, stored once certified"

# A stick imported while fenghuod is down (the CLI judges it with the anchors file): held on
# disk; the daemon takes it into memory at start and stores it when the certificate comes.
cp "$(node_state c)/anchors" "$(node_state v)/anchors"
stop_node v
F2=$("$FENGHUO" --state "$T" keygen -o "$K/forger2.key")
W2=$("$FENGHUO" --state "$T" --key "$K/forger2.key" warn --area 330110 --level red \
	--event 大风 --title "第二个")
"$FENGHUO" --state "$T" export -o "$FH_TMP/forged2.fhb" >/dev/null
out=$(fh v import "$FH_TMP/forged2.fhb") || fail "offline import failed: $out"
grep -q "^held: 1 " <<<"$out" || fail "offline import: $out"
start_node v
[ "$(status_field v held)" -eq 1 ] || fail "the daemon did not take the held import at start"
[ "$(status_field v delivery_receipts)" -eq 0 ] || fail "v confirmed a held warning at start"
fh c --key "$K/admin.key" cert --subject "$F2" --roles issuer --region 330110 --days 30 >/dev/null
fh c export -o "$FH_TMP/cert2.fhb" >/dev/null
fh v import "$FH_TMP/cert2.fhb" >/dev/null || fail "importing the second certificate failed"
wait_for 20 "v stores the warning held since the offline import" has_msg v "$W2"
wait_for 20 "v confirms it" field_is v delivery_receipts 1
stop_node v
start_node v
[ ! -e "$(node_state v)/held/$W2" ] || fail "the stored warning stays in the held area"
log "an import made while the daemon was down reached it at start"

# The held area is bounded (10,000 messages): with room for one more, an import of two new
# forgeries through the daemon keeps one on disk, holds the other in memory only, says so
# and exits 73.
"$FH_PY" - "$(node_state v)/held" <<'PY'
import os, sys
d = sys.argv[1]
have = len([f for f in os.listdir(d) if len(f) == 64])
for i in range(10000 - 1 - have):
    open(os.path.join(d, "ee%062x" % i), "w").write("x")
PY
held0=$(status_field v held)
"$FENGHUO" --state "$T" keygen -o "$K/forger3.key" >/dev/null
"$FENGHUO" --state "$T" --key "$K/forger3.key" warn --area 330110 --level red --event 洪水 \
	--title "第三个" >/dev/null
"$FENGHUO" --state "$T" --key "$K/forger3.key" warn --area 330110 --level red --event 洪水 \
	--title "第四个" >/dev/null
"$FENGHUO" --state "$T" export -o "$FH_TMP/forged3.fhb" >/dev/null
rc=0
fh v import "$FH_TMP/forged3.fhb" >"$FH_TMP/out" 2>"$FH_TMP/err" || rc=$?
[ "$rc" -eq 73 ] || fail "import into a full held area exited $rc: $(cat "$FH_TMP/err")"
grep -q "^held, not kept: 1 (the held area is full)$" "$FH_TMP/out" ||
	fail "import did not say what was not kept: $(cat "$FH_TMP/out")"
grep -q "fenghuod holds them in memory until it stops" "$FH_TMP/err" ||
	fail "import did not say where the unkept entry is: $(cat "$FH_TMP/err")"
[ "$(ls "$(node_state v)/held" | wc -l)" -eq 10000 ] || fail "the held area grew past its bound"
[ "$(status_field v held)" -eq $((held0 + 2)) ] || fail "the daemon does not hold both in memory"
grep -q "held messages not kept on disk" "$(node_log v)" || fail "fenghuod did not log the full area"
rm -f "$(node_state v)"/held/ee*
log "a full held area: one kept, one held in memory only, said and logged"

# The warning submitted here before its author's certificate: confirmed once the certificate
# arrives (without a restart), and only once.
fh c --key "$K/admin.key" cert --subject "$LK" --roles issuer --region 330110 --days 30 >/dev/null
fh c export -o "$FH_TMP/cert3.fhb" >/dev/null
fh v import "$FH_TMP/cert3.fhb" >/dev/null || fail "importing the third certificate failed"
wait_for 20 "v confirms the warning submitted before its author's certificate" \
	field_is v delivery_receipts 1
n=$(fh v show --json "$L" | "$FH_PY" -c 'import json, sys
rows = [json.loads(l) for l in sys.stdin]
print(sum(1 for o in rows[1:] if o.get("stage") == "delivered"))')
[ "$n" -eq 1 ] || fail "$n delivery receipts for the local warning, not 1"

# ---- batches, progress, a daemon killed part-way ----
"$FH_MKBUNDLE" many 3000 "$FH_TMP/many.fhb" >/dev/null
# Two configured peers of w that never run, one with a Chinese name: `peers` pads the name
# column by display width, so the state column lines up.
make_node 青山乡 330110101
make_node fire 330110102
link w 青山乡
link w fire
start_node w
fh w peers >"$FH_TMP/peers"
"$FH_PY" - "$FH_TMP/peers" <<'PY' || fail "peers columns do not line up: $(cat "$FH_TMP/peers")"
import re, sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in s)
cols = set()
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith(("  青山乡", "  fire")):
        m = re.search(r" (connecting|hello-sent|down|refused|up) ", line)
        assert m, line
        cols.add(width(line[:m.start(1)]))
assert len(cols) == 1, cols
PY
fh w import --progress "$FH_TMP/many.fhb" >"$FH_TMP/out" 2>"$FH_TMP/err" ||
	fail "import of 3000 failed: $(cat "$FH_TMP/err")"
grep -q "^new: 3000$" "$FH_TMP/out" || fail "3000 reports: $(cat "$FH_TMP/out")"
grep -Eq "^import: 3000 entries, [0-9]+/s in [0-9.]+ s$" "$FH_TMP/err" ||
	fail "no final progress line: $(cat "$FH_TMP/err")"
[ "$(status_field w messages)" -eq 3000 ] || fail "w does not hold 3000 messages"
[ "$(status_field w commits)" -le 10 ] || fail "more commits than batches: $(status_field w commits)"
log "3000 entries imported through the daemon"

# A malformed import request is refused whole with a clear error, stores nothing, and the
# daemon serves on: no payload, a zero length, a length past the end, 1025 entries.
need_pyzmq
"$FH_PYZMQ" - "$(node_state w)/fenghuod.sock" <<'PY' || fail "a malformed import request was not refused"
import json, struct, sys
import zmq
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 0)
s.setsockopt(zmq.RCVTIMEO, 10000)
s.connect("ipc://" + sys.argv[1])
env = b"\x0a\x01\x00"
bad = {
    "no payload": None,
    "zero length": struct.pack(">I", 0),
    "length past the end": struct.pack(">I", 100) + env,
    "a short length field": b"\x00\x00",
    "1025 entries": (struct.pack(">I", len(env)) + env) * 1025,
}
for what, payload in bad.items():
    parts = [json.dumps({"cmd": "import"}).encode()]
    if payload is not None:
        parts.append(payload)
    s.send_multipart(parts)
    r = json.loads(s.recv())
    assert r.get("ok") is False and r.get("error", "").startswith("import needs"), (what, r)
PY
[ "$(status_field w messages)" -eq 3000 ] || fail "a malformed import request changed the store"
log "malformed import requests refused whole, nothing stored"

stop_node w
rm -rf "$(node_state w)/data.mdb" "$(node_state w)/lock.mdb"
start_node w
mkfifo "$FH_TMP/pipe"
fh w import - <"$FH_TMP/pipe" >"$FH_TMP/out" 2>"$FH_TMP/err" &
ipid=$!
bg_track "$ipid"
exec 3>"$FH_TMP/pipe"
size=$(stat -c %s "$FH_TMP/many.fhb")
# About half of the file: the first batch of 1024 entries and part of the second.
head -c $((size / 2)) "$FH_TMP/many.fhb" >&3
wait_for 30 "the first batch is stored" field_is w messages 1024
kill_node w
# import stops reading at its next batch: the rest of the write may meet a closed pipe.
tail -c +$((size / 2 + 1)) "$FH_TMP/many.fhb" >&3 2>/dev/null || true
exec 3>&-
rc=0
wait "$ipid" || rc=$?
[ "$rc" -eq 75 ] || fail "import exited $rc, not 75: $(cat "$FH_TMP/err")"
grep -q "^new: 1024$" "$FH_TMP/out" || fail "stdout: $(cat "$FH_TMP/out")"
grep -q "import stopped after 1024 entries: 1024 stored" "$FH_TMP/err" ||
	fail "stderr: $(cat "$FH_TMP/err")"
start_node w
out=$(fh w import "$FH_TMP/many.fhb") || fail "second import: $out"
grep -q "^new: 1976$" <<<"$out" && grep -q "^duplicate: 1024$" <<<"$out" ||
	fail "second import: $out"
log "ok: a daemon killed part-way: the stored count is exact, a second import completes"
