#!/usr/bin/env bash
# deliver.sh: a warning's issuer sees which nodes it reached. Every node that stores a
# warning whose areas cover its region signs a DELIVERED receipt (node/deliver.c); the receipts
# gossip back, and at the county `fenghuo show` and `fenghuo duty` list who confirmed it. A
# node outside the warning's areas and one configured with confirm_warnings = no do not
# produce receipts, nor does a cancel by an office without authority over the warning stop
# them; a cancel is confirmed like any warning (the issuer sees who was told it ended); a
# node started later confirms what it had not; a node that got the cancel before the
# warning does not confirm the warning, only the cancel.
#
#   county(330110) - t1(330110109) - v1(330110109201)
#         |                       \- v3(330110109202, confirm_warnings = no)
#         \------- t2(330110110) - v2(330110110201)
set -euo pipefail
FH_DEADLINE=90
. "$(dirname "$0")/lib.sh"

make_node county 330110
make_node t1 330110109
make_node t2 330110110
make_node v1 330110109201
make_node v2 330110110201
make_node v3 330110109202
FH_EXTRA[v3]="confirm_warnings = no"
link county t1
link county t2
link t1 v1
link t1 v3
link t2 v2
for n in "${FH_NODES[@]}"; do
	start_node "$n"
done

# delivered_by NAME WID: the keys of the nodes whose delivery receipts of WID NAME holds.
delivered_by() {
	fh "$1" show --json "$2" | "$FH_PY" -c 'import json, sys
rows = [json.loads(l) for l in sys.stdin]
print(" ".join(sorted(o["author"] for o in rows[1:]
                      if o.get("kind") == "receipt" and o.get("stage") == "delivered")))'
}
confirmed() {	# confirmed NAME WID KEY...: NAME holds delivery receipts of WID by exactly KEYs
	local name=$1 wid=$2 want
	shift 2
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ' | sed 's/ $//')
	[ "$(delivered_by "$name" "$wid")" = "$want" ]
}

# A red warning for township 1's area: t1 and v1 confirm; v3 (confirm_warnings = no), t2, v2
# (outside the area) and the county (the issuer) do not.
wid=$(fh county warn --area 330110109 --level red --event 暴雨 --title "暴雨红色预警")
log "warning $wid issued at the county for 330110109"
wait_for 30 "the county sees the warning confirmed by t1 and v1" \
	confirmed county "$wid" "${FH_KEY[t1]}" "${FH_KEY[v1]}"
wait_for 30 "every node holds the warning" everywhere "$wid"
duty=$(fh county duty)
grep -q "${wid:0:12}.*confirmed by 2 nodes" <<<"$duty" || fail "duty at the county: $duty"
for n in t1 v1; do
	[ "$(status_field "$n" delivery_receipts)" -ge 1 ] || fail "$n: status counts no receipt"
done

# A county-wide warning reaches every village and township: all but v3 confirm. Once those
# receipts are in, any receipt of the first warning by t2, v2 or v3 (sent before) would be too.
wid2=$(fh county warn --area 330110 --level orange --event 大风 --title "大风橙色预警")
wait_for 30 "four nodes confirm the county-wide warning" confirmed county "$wid2" \
	"${FH_KEY[t1]}" "${FH_KEY[t2]}" "${FH_KEY[v1]}" "${FH_KEY[v2]}"
confirmed county "$wid" "${FH_KEY[t1]}" "${FH_KEY[v1]}" ||
	fail "unexpected confirmations of the first warning: $(delivered_by county "$wid")"
[ "$(status_field v3 delivery_receipts)" -eq 0 ] || fail "v3 confirmed despite confirm_warnings = no"

# A cancel is confirmed as a message of its own: the county sees which nodes were told that
# the warning ended, as it sees who was warned.
cid=$(fh county warn --area 330110109 --level red --event 暴雨 --title "解除" \
	--msg-type cancel --ref "$wid")
wid3=$(fh county warn --area 330110109 --level yellow --event 大雾 --title "大雾黄色预警")
wait_for 30 "t1 and v1 confirm the cancel" confirmed county "$cid" \
	"${FH_KEY[t1]}" "${FH_KEY[v1]}"
wait_for 30 "t1 and v1 confirm the third warning" confirmed county "$wid3" \
	"${FH_KEY[t1]}" "${FH_KEY[v1]}"
duty=$(fh county duty)
if grep -q "${wid:0:12}" <<<"$duty"; then
	fail "the cancelled warning is still in force: $duty"
fi

# A cancel of the county-wide warning by township 2, naming only its own township, does not
# cancel it (its areas do not cover the warning's; with trust anchors: its author is no
# issuer for them): the warning stays in force at the county and is confirmed below.
xid=$(fh t2 warn --area 330110110 --level orange --event 大风 --title "解除" \
	--msg-type cancel --ref "$wid2")
wait_for 30 "every node holds t2's cancel" everywhere "$xid"
duty=$(fh county duty)
grep -q "${wid2:0:12}" <<<"$duty" || fail "t2's cancel removed the county's warning: $duty"

# A node that did not confirm (confirm_warnings was off, or it stopped between the warning's
# commit and its receipt's) confirms at start every warning in force that concerns it, and
# the cancel, but not the cancelled warning; a node that confirmed already does not confirm
# again.
stop_node v3
FH_EXTRA[v3]=""
start_node v3
wait_for 30 "the county sees v3 confirm the warnings in force" confirmed county "$wid3" \
	"${FH_KEY[t1]}" "${FH_KEY[v1]}" "${FH_KEY[v3]}"
wait_for 30 "the county sees v3 confirm the county-wide warning" confirmed county "$wid2" \
	"${FH_KEY[t1]}" "${FH_KEY[t2]}" "${FH_KEY[v1]}" "${FH_KEY[v2]}" "${FH_KEY[v3]}"
wait_for 30 "the county sees v3 confirm the cancel" confirmed county "$cid" \
	"${FH_KEY[t1]}" "${FH_KEY[v1]}" "${FH_KEY[v3]}"
[ "$(status_field v3 delivery_receipts)" -eq 3 ] ||
	fail "v3 made $(status_field v3 delivery_receipts) receipts at start, expected 3 (not the cancelled one)"
stop_node t1
start_node t1
[ "$(status_field t1 delivery_receipts)" -eq 0 ] ||
	fail "t1 confirmed again after a restart: $(status_field t1 delivery_receipts)"
confirmed county "$wid" "${FH_KEY[t1]}" "${FH_KEY[v1]}" ||
	fail "the cancelled warning got new confirmations: $(delivered_by county "$wid")"
# Gossip does not preserve order: a node that gets a cancel before the warning it cancels
# does not confirm that warning. v4, on no link, imports the county's warnings from a bundle
# whose entries were put in another order: the cancel of the first warning before it.
make_node v4 330110109203
start_node v4
fh county export --kind warning -o "$FH_TMP/w.fhb" >/dev/null
"$FH_PY" - "$FH_TMP/w.fhb" "$FH_TMP/w-rev.fhb" <<'PY'
import hashlib, struct, sys
d = open(sys.argv[1], "rb").read()
off, entries = 12, []
while True:
    (n,) = struct.unpack(">I", d[off:off + 4])
    if n == 0:
        break
    entries.append(d[off:off + 4 + n])
    off += 4 + n
out = d[:12] + b"".join(reversed(entries)) + struct.pack(">II", 0, len(entries))
open(sys.argv[2], "wb").write(out + hashlib.blake2b(out, digest_size=32).digest())
PY
fh v4 import "$FH_TMP/w-rev.fhb" >/dev/null
has_msg v4 "$cid" && has_msg v4 "$wid" || fail "v4 did not import the warnings"
wait_for 20 "v4 confirms the two warnings in force and the cancel" eval \
	'[ "$(status_field v4 delivery_receipts)" -eq 3 ]'
confirmed v4 "$wid" || fail "v4 confirmed a warning whose cancel it had first"
confirmed v4 "$cid" "${FH_KEY[v4]}" || fail "v4 did not confirm the cancel"
confirmed v4 "$wid2" "${FH_KEY[v4]}" || fail "v4 did not confirm the county-wide warning"
log "ok: the county sees which nodes each warning reached"
