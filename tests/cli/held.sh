#!/bin/bash
# held.sh: a bundle from outside is judged like a peer's messages, also with no daemon. A
# warning signed by a key with no certificate chain here (forged on a USB stick) is held,
# not stored: import says so, `list` does not show it, `list --held` and `status` do,
# `duty` never counts it in force. When its author's certificate arrives (a later import),
# it is stored and in force. A warning written here by an uncertified key is stored (a local
# user's own) but not in force either.
. "$(dirname "$0")/lib.sh"

C=$TMP/county		# the county office: root and admin
S=$TMP/village		# the village laptop (no daemon)
T=$TMP/stick		# where the forger wrote, no trust anchors
K=$TMP/keys
mkdir -m 700 "$K"

fh "$C" init-county --region 330110 --root-key "$K/root.key" --admin-key "$K/admin.key"
expect_rc $EX_OK
mkdir -m 700 "$S"
cp "$C/anchors" "$S/anchors"
fh "$C" export -o "$TMP/county.fhb"
expect_rc $EX_OK
fh "$S" import "$TMP/county.fhb"
expect_rc $EX_OK
expect_out "new: 1"
expect_out "held: 0"

# The forger: a key nobody certified, a red warning for the whole county.
fh "$T" keygen -o "$K/forger.key"
FORGER=$(cat "$TMP/out")
fh "$T" --key "$K/forger.key" warn --area 330110 --level red --event 地震 --title "伪造的红色预警"
expect_rc $EX_OK
W=$(cat "$TMP/out")
fh "$T" export -o "$TMP/forged.fhb"
expect_rc $EX_OK

before=$(count "$S")
fh "$S" import "$TMP/forged.fhb"
expect_rc $EX_OK
expect_out "new: 0"
expect_out "held: 1 (author's certificate not here yet"
[ "$(count "$S")" -eq "$before" ] || fail "the forged warning was stored"
[ -f "$S/held/$W" ] || fail "the held warning is not kept in $S/held"
fh "$S" list
expect_rc $EX_OK
! grep -q "${W:0:12}" "$TMP/out" || fail "list shows the held warning as stored"
fh "$S" list --held
expect_rc $EX_OK
grep "${W:0:12}" "$TMP/out" | grep -q "\[held\]" || fail "list --held does not mark it [held]"
fh "$S" list --held --json
json_lines "$TMP/out"
grep -q '"held"' "$TMP/out" || fail "list --held --json lacks the held flag"
fh "$S" show "${W:0:12}"
expect_rc $EX_OK
expect_out "held (imported, not stored"
fh "$S" show --json "$W"
grep -q '"flags":\[[^]]*"held"' "$TMP/out" || fail "show --json lacks the held flag"
fh "$S" status
expect_out "held imports 1 imported"
fh "$S" duty
expect_rc $EX_OK
expect_out "0 in force"
expect_out "Warnings NOT in force"
grep "${W:0:12}" "$TMP/out" | grep -q "\[held\]" || fail "duty does not list the held warning apart"
fh "$S" duty --json
json_lines "$TMP/out"
! grep -q '"duty":"warning"' "$TMP/out" || fail "duty --json counts the held warning in force"
grep -q '"duty":"waiting-warning"' "$TMP/out" || fail "duty --json lacks the waiting warning"
# A second import of the same stick: still held, nothing stored.
fh "$S" import "$TMP/forged.fhb"
expect_rc $EX_OK
expect_out "held: 1"
[ "$(count "$S")" -eq "$before" ] || fail "a second import stored the forged warning"

# A warning written here by an uncertified key: stored (a local user's own), not in force.
fh "$S" keygen -o "$K/local.key"
fh "$S" --key "$K/local.key" warn --area 330110 --level orange --event e --title "本机未认证"
expect_rc $EX_OK
L=$(cat "$TMP/out")
fh "$S" duty
expect_out "0 in force"
grep "${L:0:12}" "$TMP/out" | grep -q "\[no-chain\]" || fail "duty does not list the local warning apart"

# The forger's key gets certified after all (an issuer for the county): the certificate
# comes on the next stick, and the held warning is stored and in force.
fh "$C" --key "$K/admin.key" cert --subject "$FORGER" --roles issuer --region 330110 --days 30
expect_rc $EX_OK
fh "$C" export -o "$TMP/cert.fhb"
fh "$S" import "$TMP/cert.fhb"
expect_rc $EX_OK
expect_out "released: 1"
[ ! -e "$S/held/$W" ] || fail "the released warning is still held"
fh "$S" list --held
[ ! -s "$TMP/out" ] || fail "list --held still lists: $(cat "$TMP/out")"
fh "$S" duty
expect_out "1 in force"
grep "${W:0:12}" "$TMP/out" | grep -q "confirmed [0-9]*/[0-9]*, [0-9]* missing" || fail "duty lacks the released warning"

# A held message that its author's chain never makes valid (an uncertified reporter's
# report) stays held across imports; a bad file in the held area is ignored.
echo junk >"$S/held/0000000000000000000000000000000000000000000000000000000000000000"
fh "$S" list --held
expect_rc $EX_OK
[ ! -s "$TMP/out" ] || fail "a junk held file is listed"

# The held area is bounded (STORE_HELD_MAX, 10000): a stick full of forgeries cannot fill
# the disk. With room for one more, a bundle of two new forged messages keeps one and says
# the other was not kept (exit 73); the store is untouched.
fh "$T" keygen -o "$K/forger2.key"
fh "$T" --key "$K/forger2.key" warn --area 330110 --level red --event 洪水 --title "伪造二"
fh "$T" --key "$K/forger2.key" report --region 330110101201 --category flood --title "伪造三" --text x
fh "$T" export --since 1h -o "$TMP/forged2.fhb"
expect_rc $EX_OK
python3 - "$S/held" <<'PY'
import os, sys
d = sys.argv[1]
have = len([f for f in os.listdir(d) if len(f) == 64])
for i in range(10000 - 1 - have):
    open(os.path.join(d, "ee%062x" % i), "w").write("x")
PY
before=$(count "$S")
fh "$S" import "$TMP/forged2.fhb"
expect_rc $EX_CANTCREAT
expect_out "held, not kept: 1 (the held area is full)"
grep -q "not kept: the held area is full" "$TMP/err" || fail "import does not say the held area is full"
[ "$(count "$S")" -eq "$before" ] || fail "a forged message was stored"
[ "$(ls "$S/held" | wc -l)" -eq 10000 ] || fail "the held area grew past its bound"
rm -f "$S"/held/ee*
echo "held: ok"
