#!/bin/bash
# trust.sh: the trust verbs of the CLI: init-county, cert, revoke, keys, and the
# author's chain in show (docs/TRUST.md, docs/SECURITY.md). Real binary, real stores.
#
# No daemon runs here: the CLI writes to the store directly and judges every message by the
# trust policy as fenghuod would, once the state directory has anchors. What the policy
# rejects is refused and not stored; what it would hold (no chain known yet) is stored with
# a note, so that nothing written offline is lost.
. "$(dirname "$0")/lib.sh"
MKBUNDLE=${2:?usage: $0 fenghuo fh_mkbundle}

EX_CONFIG=78
S=$TMP/county
K=$TMP/keys
mkdir -m 700 "$K"

# key_json STATE HEX PYEXPR: evaluate PYEXPR with o = the `keys --json` object of key HEX
# (None if not listed); print the result.
key_json() {
	"$FENGHUO" --state "$1" keys --json 2>/dev/null | python3 -c '
import json, sys
key, expr = sys.argv[1], sys.argv[2]
o = None
for line in sys.stdin:
    k = json.loads(line)
    if k["key"] == key:
        o = k
print(eval(expr))
' "$2" "$3"
}

# expect_key STATE HEX PYEXPR: PYEXPR is true for key HEX in `keys --json`.
expect_key() {
	[ "$(key_json "$1" "$2" "$3")" = True ] ||
		fail "(called at line ${BASH_LINENO[0]}) keys --json: '$3' is false for $2: $(key_json "$1" "$2" o)"
}

# show_trust STATE ID PYEXPR: PYEXPR with t = the "trust" object of `show --json ID`.
show_trust() {
	"$FENGHUO" --state "$1" show --json "$2" 2>/dev/null | head -1 | python3 -c '
import json, sys
t = json.loads(sys.stdin.readline())["trust"]
print(eval(sys.argv[1]))
' "$3"
}

mode() {
	stat -c %a "$1"
}

# ---- help and argument errors ----
for v in cert revoke keys init-county; do
	fh "$S" "$v" --help
	expect_rc $EX_OK
	expect_out "usage: fenghuo $v"
done
fh "$S" init-county --region 330110 --root-key "$K/root.key"
expect_rc $EX_USAGE
fh "$S" init-county --region 33011x --root-key "$K/root.key" --admin-key "$K/admin.key"
expect_rc $EX_USAGE
[ ! -e "$K/root.key" ] || fail "a refused init-county created a root key"

# ---- keys before anything exists: no anchors, nothing trusted, not an error ----
fh "$S" keys
expect_rc $EX_OK
expect_err "no trust anchors"

# ---- init-county ----
fh "$S" init-county --region 330110 --root-key "$K/root.key" --admin-key "$K/admin.key"
expect_rc $EX_OK
expect_out "TAKE THE ROOT KEY OFFLINE"
expect_out "anchors = "
ROOT=$(awk '$1 == "root" && $2 == "key:" { print $3 }' "$TMP/out")
ADMIN=$(awk '$1 == "admin" && $2 == "key:" { print $3 }' "$TMP/out")
ADMINCERT=$(awk '$1 == "admin" && $2 == "certificate:" { print $3 }' "$TMP/out")
[ ${#ROOT} -eq 64 ] && [ ${#ADMIN} -eq 64 ] && [ ${#ADMINCERT} -eq 64 ] ||
	fail "init-county output lacks the root key, admin key or certificate id"
[ "$(mode "$K/root.key")" = 600 ] || fail "root key mode $(mode "$K/root.key")"
[ "$(mode "$K/admin.key")" = 600 ] || fail "admin key mode $(mode "$K/admin.key")"
grep -q "^$ROOT " "$S/anchors" || fail "the root key is not in $S/anchors"
expect_key "$S" "$ROOT" 'o["anchor"] and o["status"] == "anchor"'
expect_key "$S" "$ADMIN" 'o["status"] == "valid" and o["roles"] == ["admin", "issuer", "verifier", "reporter", "node"]'
expect_key "$S" "$ADMIN" 'o["certs"][0]["id"] == "'"$ADMINCERT"'" and o["certs"][0]["scope"] == "330110" and o["certs"][0]["granted_by"] == "'"$ROOT"'" and o["certs"][0]["status"] == "valid"'
fh "$S" keys
expect_rc $EX_OK
expect_out "${ADMIN:0:16}  valid"

# A second run never touches the root key, and adds no second anchor.
cp "$K/root.key" "$TMP/root.before"
fh "$S" init-county --region 330110 --root-key "$K/root.key" --admin-key "$K/admin2.key"
expect_rc $EX_CANTCREAT
expect_err "refusing to overwrite"
cmp -s "$K/root.key" "$TMP/root.before" || fail "init-county changed an existing root key"
[ ! -e "$K/admin2.key" ] || fail "a refused init-county created an admin key"
[ "$(grep -c '^[0-9a-f]' "$S/anchors")" -eq 1 ] || fail "anchors changed"

# An existing admin key is reused, not replaced; one readable by others is refused.
fh "$TMP/other" keygen -o "$K/admin3.key"
A3=$(cat "$TMP/out")
chmod 644 "$K/admin3.key"
fh "$TMP/other" init-county --region 330111 --root-key "$K/root3.key" --admin-key "$K/admin3.key"
expect_rc $EX_NOPERM
[ ! -e "$K/root3.key" ] || fail "init-county created a root key before refusing the admin key"
chmod 600 "$K/admin3.key"
fh "$TMP/other" init-county --region 330111 --root-key "$K/root3.key" --admin-key "$K/admin3.key" --days 30
expect_rc $EX_OK
expect_out "admin key file:    $K/admin3.key (existing)"
expect_key "$TMP/other" "$A3" 'o["status"] == "valid" and o["certs"][0]["not_after_ms"] - o["certs"][0]["not_before_ms"] == 30 * 86400000 + 3600000'

# ---- the admin certifies a village officer and a township office ----
fh "$S" keygen -o "$K/village.key"
VILLAGE=$(cat "$TMP/out")
fh "$S" keygen -o "$K/office.key"
OFFICE=$(cat "$TMP/out")
fh "$S" --key "$K/admin.key" cert --subject "$VILLAGE" --roles reporter,node \
	--region 330110101001 --days 30 --name "村信息员 张三"
expect_rc $EX_OK
VCERT=$(cat "$TMP/out")
[ ! -s "$TMP/err" ] || fail "a valid admin's cert printed warnings"
fh "$S" --key "$K/admin.key" cert --subject "$OFFICE" --roles issuer,verifier \
	--region 330110101 --days 365 --name "township office"
expect_rc $EX_OK
expect_key "$S" "$VILLAGE" 'o["status"] == "valid" and o["roles"] == ["reporter", "node"] and o["name"] == "村信息员 张三"'
expect_key "$S" "$VILLAGE" 'o["certs"][0]["id"] == "'"$VCERT"'" and o["certs"][0]["granted_by"] == "'"$ADMIN"'" and o["certs"][0]["scope"] == "330110101001"'
expect_key "$S" "$OFFICE" 'o["status"] == "valid" and o["roles"] == ["issuer", "verifier"]'
n=$("$FENGHUO" --state "$S" keys --json | wc -l)
[ "$n" -eq 4 ] || fail "keys lists $n keys, expected root, admin, village, office"
json_lines <("$FENGHUO" --state "$S" keys --json)
# A newly certified laptop whose clock runs 20 minutes behind the office's: its first report,
# "written" before its certificate was made, is accepted (grants start an hour back,
# CLI_CERT_SLACK_MS).
fh "$S" keygen -o "$K/behind.key"
fh "$S" --key "$K/admin.key" cert --subject "$(cat "$TMP/out")" --roles reporter \
	--region 330110101002 --days 30
expect_rc $EX_OK
"$MKBUNDLE" report "$K/behind.key" 330110101002 1200 "$TMP/behind.fhb" >/dev/null ||
	fail "fh_mkbundle report"
fh "$S" import "$TMP/behind.fhb"
expect_rc $EX_OK
expect_out "new: 1"

# ---- show: the author's chain ----
fh "$S" --key "$K/office.key" warn --area 330110101 --level red --event flood --title "撤离"
expect_rc $EX_OK
W=$(cat "$TMP/out")
[ "$(show_trust "$S" "$W" 't["verdict"] == "accept" and len(t["chain"]) == 2')" = True ] ||
	fail "warning by the office: chain $(show_trust "$S" "$W" t)"
[ "$(show_trust "$S" "$W" 't["chain"][0]["subject"] == "'"$OFFICE"'" and t["chain"][1]["subject"] == "'"$ADMIN"'" and t["chain"][1]["granted_by"] == "'"$ROOT"'" and t["chain"][1]["granted_by_anchor"]')" = True ] ||
	fail "chain is not office <- admin <- root: $(show_trust "$S" "$W" t)"
# The village laptop confirms the warning: `show` names who confirmed it, and where.
fh "$S" --key "$K/village.key" receipt "$W" --stage delivered
expect_rc $EX_OK
fh "$S" show "$W"
expect_out "receipt  delivered  by ${VILLAGE:0:8} (村信息员 张三, 330110101)"
fh "$S" show "$W"
expect_rc $EX_OK
expect_out "accepted: the author may send this message"
expect_out "$ROOT (county root 330110"
expect_out "): trust anchor"

fh "$S" keygen -o "$K/stranger.key"
STRANGER=$(cat "$TMP/out")
fh "$S" --key "$K/stranger.key" report --region 330110101001 --category fire --title t
expect_rc $EX_OK
expect_err "note: stored, but this node knows no certificate chain"
X=$(cat "$TMP/out")
fh "$S" list --kind report
grep "${X:0:12}" "$TMP/out" | grep -q "\[no-chain\]" || fail "list does not mark $X no-chain"
fh "$S" show "$X"
expect_out "no-chain (no certificate chain to a county root is known here"
fh "$S" show "$X"
expect_rc $EX_OK
expect_out "unknown author: held until its certificate arrives"
[ "$(show_trust "$S" "$X" 't["verdict"] == "hold" and t["missing"] == "'"$STRANGER"'"')" = True ] ||
	fail "stranger's report: $(show_trust "$S" "$X" t)"

# A warning by the village officer (reporter only) is refused by the policy: nothing stored.
before=$(count "$S")
fh "$S" --key "$K/village.key" warn --area 330110101001 --level blue --event e --title t
expect_rc $EX_DATAERR
expect_err "rejected by the trust policy: not-authorised-role"
[ "$(count "$S")" -eq "$before" ] || fail "a refused warning was stored"
# An issuer's warning for an area outside its grant: refused as well.
fh "$S" --key "$K/office.key" warn --area 330110102 --level blue --event e --title t
expect_rc $EX_DATAERR
expect_err "rejected by the trust policy: out-of-scope"
[ "$(count "$S")" -eq "$before" ] || fail "a warning outside the issuer's area was stored"

# ---- who may update or cancel a warning ----
# A county-wide warning by the admin (issuer for 330110); the township office (issuer for
# 330110101) cancels it naming its own township: stored, shown as not counted, still in force.
fh "$S" --key "$K/admin.key" warn --area 330110 --level orange --event flood --title "全县暴雨"
expect_rc $EX_OK
CW=$(cat "$TMP/out")
fh "$S" --key "$K/office.key" warn --msg-type cancel --ref "$CW" --area 330110101 \
	--level orange --event flood --title "解除"
expect_rc $EX_OK
TC=$(cat "$TMP/out")
fh "$S" show "$CW"
expect_out "${TC:0:12}"
expect_out "[not counted: its author may not change this warning]"
fh "$S" show --json "$CW"
python3 - "$TMP/out" "$TC" <<'PY' || fail "show --json: the township's cancel must say counts: false"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], "rb")]
c = [o for o in rows[1:] if o["id"] == sys.argv[2]]
assert len(c) == 1 and c[0]["counts"] is False, rows
PY
fh "$S" duty --json
python3 - "$TMP/out" "$CW" <<'PY' || fail "duty: a township's cancel removed the county's warning"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], "rb")]
assert any(o["duty"] == "warning" and o["id"] == sys.argv[2] for o in rows), rows
PY
# The township's own warning, cancelled by the county above it: that one counts.
fh "$S" --key "$K/office.key" warn --area 330110101 --level yellow --event landslide --title "滑坡"
TW=$(cat "$TMP/out")
fh "$S" --key "$K/admin.key" warn --msg-type cancel --ref "$TW" --area 330110 \
	--level yellow --event landslide --title "解除"
expect_rc $EX_OK
fh "$S" show "$TW"
expect_out "cancel"
if grep -q "not counted" "$TMP/out"; then fail "the county's cancel of a township warning is not counted"; fi
# And the county cancels its own.
fh "$S" --key "$K/admin.key" warn --msg-type cancel --ref "$CW" --area 330110 \
	--level orange --event flood --title "解除"
expect_rc $EX_OK
fh "$S" duty --json
python3 - "$TMP/out" "$CW" "$TW" <<'PY' || fail "duty: cancelled warnings still in force"
import json, sys
ids = [o["id"] for o in map(json.loads, open(sys.argv[1], "rb")) if o["duty"] == "warning"]
assert sys.argv[2] not in ids and sys.argv[3] not in ids, ids
PY

# ---- certificates that must not count ----
before=$(count "$S")
fh "$S" --key "$K/admin.key" cert --subject "$STRANGER" --roles reporter,superuser \
	--region 330110 --days 3
expect_rc $EX_USAGE
expect_err "unknown role 'superuser'"
fh "$S" --key "$K/admin.key" cert --subject "$STRANGER" --roles reporter --region 330110 --days 0
expect_rc $EX_USAGE
fh "$S" --key "$K/admin.key" cert --subject "${STRANGER:0:40}" --roles reporter --region 330110 --days 3
expect_rc $EX_USAGE
[ "$(count "$S")" -eq "$before" ] || fail "a refused cert wrote to the store"

# By the office (issuer, verifier; not admin): refused, nothing stored.
fh "$S" --key "$K/office.key" cert --subject "$STRANGER" --roles reporter \
	--region 330110101 --days 3
expect_rc $EX_DATAERR
expect_err "rejected by the trust policy: not-authorised-role"
[ "$(count "$S")" -eq "$before" ] || fail "the office's cert was stored"
[ "$(show_trust "$S" "$X" 't["verdict"] == "hold"')" = True ] ||
	fail "the stranger's report after a refused cert: $(show_trust "$S" "$X" t)"
# By the admin, but outside its county: refused too.
fh "$S" --key "$K/admin.key" cert --subject "$STRANGER" --roles reporter --region 330210 --days 3
expect_rc $EX_DATAERR
expect_err "rejected by the trust policy: out-of-scope"
[ "$(count "$S")" -eq "$before" ] || fail "a cert outside the admin's county was stored"
# By a key with no chain at all: stored, unverified (it may yet turn out to be an admin).
fh "$S" keygen -o "$K/nobody.key"
fh "$S" --key "$K/nobody.key" cert --subject "$STRANGER" --roles reporter --region 330110 --days 3
expect_rc $EX_OK
expect_err "knows no certificate chain"
expect_key "$S" "$STRANGER" '[c["status"] for c in o["certs"]] == ["unverified"]'

# ---- revoke the village laptop ----
# created_ms ID: the author's created time of a stored message.
created_ms() {
	"$FENGHUO" --state "$S" show --json "$1" | head -1 |
		python3 -c 'import json, sys; print(json.loads(sys.stdin.readline())["created_ms"])'
}
fh "$S" --key "$K/village.key" report --region 330110101001 --category flood --title before
expect_rc $EX_OK
VR=$(cat "$TMP/out")
created=$(created_ms "$VR")
fh "$S" --key "$K/admin.key" revoke deadbeef00 --reason "laptop stolen"
expect_rc $EX_DATAERR
expect_err "no known key starts with deadbeef00"
fh "$S" --key "$K/admin.key" revoke not-a-key --reason x
expect_rc $EX_USAGE
fh "$S" --key "$K/admin.key" revoke "${VILLAGE:0:16}"
expect_rc $EX_USAGE
expect_err "--reason is required"
# Revoked from just after the report: the report stays valid, later messages do not.
fh "$S" --key "$K/admin.key" revoke "${VILLAGE:0:16}" --reason "laptop stolen" --from $((created + 1))
expect_rc $EX_OK
REV=$(cat "$TMP/out")
expect_key "$S" "$VILLAGE" 'o["status"] == "revoked" and o["roles"] == [] and o["certs"][0]["status"] == "revoked"'
expect_key "$S" "$VILLAGE" 'o["revocations"][0]["id"] == "'"$REV"'" and o["revocations"][0]["by"] == "'"$ADMIN"'" and o["revocations"][0]["reason"] == "laptop stolen" and o["revocations"][0]["from_ms"] == '"$((created + 1))"' and o["revocations"][0]["effective"]'
fh "$S" keys
expect_out "${VILLAGE:0:16}  revoked"
expect_out "laptop stolen"
[ "$(show_trust "$S" "$VR" 't["verdict"] == "accept" and t["revoked_later"]')" = True ] ||
	fail "the report made before the revocation: $(show_trust "$S" "$VR" t)"
fh "$S" show "$VR"
expect_out "(but its key was revoked after it was sent)"
expect_out "revoked-author (sent before its author's key was revoked"
# The report stays, marked, wherever it is listed (and nothing else is marked).
fh "$S" list --kind report
expect_out "${VR:0:12}"
grep "${VR:0:12}" "$TMP/out" | grep -q "\[revoked-author\]" || fail "list does not mark $VR"
[ "$(grep -c "\[revoked-author\]" "$TMP/out")" -eq 1 ] || fail "list marks too much: $(cat "$TMP/out")"
fh "$S" list --kind report --json
python3 - "$TMP/out" "$VR" <<'PY' || fail "list --json: revoked-author flag"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], "rb")]
for o in rows:
    assert ("revoked-author" in o["flags"]) == (o["id"] == sys.argv[2]), o
PY
fh "$S" duty --overdue 1d
grep "${VR:0:12}" "$TMP/out" | grep -q "\[revoked-author\]" || fail "duty does not mark $VR"
fh "$S" --key "$K/village.key" report --region 330110101001 --category flood --title after
expect_rc $EX_DATAERR
expect_err "rejected by the trust policy: revoked"
# The office's key is untouched.
expect_key "$S" "$OFFICE" 'o["status"] == "valid"'

# ---- rotation: new key, new cert, old key revoked from the switch ----
# A warning the old key sent after the switch time (stored before the revocation came).
fh "$S" --key "$K/office.key" warn --area 330110101 --level blue --event fog --title "late"
expect_rc $EX_OK
W3=$(cat "$TMP/out")
fh "$S" keygen -o "$K/office2.key"
OFFICE2=$(cat "$TMP/out")
fh "$S" --key "$K/admin.key" cert --subject "$OFFICE2" --roles issuer,verifier \
	--region 330110101 --days 365 --name "township office (2027 key)"
expect_rc $EX_OK
fh "$S" --key "$K/admin.key" revoke "$OFFICE" --reason "rotated" --from $(($(created_ms "$W") + 1))
expect_rc $EX_OK
expect_key "$S" "$OFFICE" 'o["status"] == "revoked"'
expect_key "$S" "$OFFICE2" 'o["status"] == "valid"'
# The old key's warning, sent before the switch, still counts.
[ "$(show_trust "$S" "$W" 't["verdict"] == "accept" and t["revoked_later"]')" = True ] ||
	fail "the old key's earlier warning: $(show_trust "$S" "$W" t)"
# The one sent after the switch is marked not-authorised and is in force nowhere.
fh "$S" list --kind warning
grep "${W3:0:12}" "$TMP/out" | grep -q "\[not-authorised\]" || fail "list does not mark $W3"
grep "${W:0:12}" "$TMP/out" | grep -q "\[revoked-author\]" || fail "list does not mark $W"
fh "$S" duty --json
python3 - "$TMP/out" "$W3" "$W" <<'PY' || fail "duty: a warning the policy rejects is in force"
import json, sys
ids = [o["id"] for o in map(json.loads, open(sys.argv[1], "rb")) if o["duty"] == "warning"]
assert sys.argv[2] not in ids and sys.argv[3] in ids, ids
PY

# ---- a township admin: a chain of three, and revocations limited to its scope ----
fh "$S" keygen -o "$K/township.key"
TOWNSHIP=$(cat "$TMP/out")
fh "$S" --key "$K/admin.key" cert --subject "$TOWNSHIP" --roles admin,verifier \
	--region 330110102 --days 365 --name "second township"
expect_rc $EX_OK
fh "$S" keygen -o "$K/village2.key"
VILLAGE2=$(cat "$TMP/out")
fh "$S" --key "$K/township.key" cert --subject "$VILLAGE2" --roles reporter \
	--region 330110102003 --days 30
expect_rc $EX_OK
[ ! -s "$TMP/err" ] || fail "a township admin's cert inside its township printed warnings"
fh "$S" --key "$K/village2.key" report --region 330110102003 --category fire --title t
V2R=$(cat "$TMP/out")
[ "$(show_trust "$S" "$V2R" 't["verdict"] == "accept" and [c["subject"] for c in t["chain"]] == ["'"$VILLAGE2"'", "'"$TOWNSHIP"'", "'"$ADMIN"'"]')" = True ] ||
	fail "chain of three: $(show_trust "$S" "$V2R" t)"
# Closed-loop receipts count only from verifiers of the report's region: the second township
# (verifier for 330110102) closing a report of 330110101001 is shown but not counted; its
# receipt for its own village's report is.
fh "$S" --key "$K/township.key" receipt "$VR" --stage closed
expect_rc $EX_DATAERR	# `receipt` names the report's region: out of the township's scope
expect_err "rejected by the trust policy: out-of-scope"
# Naming its own region instead (a hand-made receipt, as a hostile node could send) passes
# the policy, which cannot see the report; it is stored, and not counted.
"$MKBUNDLE" receipt "$K/township.key" "$VR" 330110102 5 "$TMP/foreign.fhb" >/dev/null ||
	fail "fh_mkbundle receipt"
fh "$S" import "$TMP/foreign.fhb"
expect_rc $EX_OK
expect_out "new: 1"
fh "$S" --key "$K/township.key" receipt "$V2R" --stage handling
expect_rc $EX_OK
fh "$S" list --kind report
grep "${VR:0:12}" "$TMP/out" | grep -q "\[closed\]" && fail "a foreign verifier closed $VR: $(cat "$TMP/out")"
grep "${V2R:0:12}" "$TMP/out" | grep -q "\[handling\]" || fail "the township's own receipt did not count"
fh "$S" show "$VR"
expect_out "[not counted: its author is no verifier for 330110101001]"
fh "$S" show "$V2R"
grep -q "not counted" "$TMP/out" && fail "the township's own receipt is marked not counted"
fh "$S" duty --overdue 1d --json
python3 - "$TMP/out" "$VR" "$V2R" <<'PY' || fail "duty: stages by who may move the loop"
import json, sys
rows = {o["id"]: o for o in map(json.loads, open(sys.argv[1], "rb"))}
assert sys.argv[2] in rows and rows[sys.argv[2]]["stage"] is None, rows.get(sys.argv[2])
assert rows[sys.argv[3]]["stage"] == "handling", rows[sys.argv[3]]
PY
# The township admin may not revoke the county's issuer: stored, but voids nothing.
fh "$S" --key "$K/township.key" revoke "$OFFICE2" --reason "not mine to revoke"
expect_rc $EX_OK
expect_key "$S" "$OFFICE2" 'o["status"] == "valid" and o["revocations"][0]["effective"] is False'
fh "$S" keys
expect_out "(not effective: the revoker may not revoke these certificates)"
# A key may revoke itself.
fh "$S" --key "$K/village2.key" revoke "$VILLAGE2" --reason "lost my laptop"
expect_rc $EX_OK
expect_key "$S" "$VILLAGE2" 'o["status"] == "revoked" and o["revocations"][0]["by"] == "'"$VILLAGE2"'" and o["revocations"][0]["effective"]'

# ---- the anchors file ----
printf '# comment\n\nnot-a-key\n' >>"$S/anchors"
fh "$S" keys
expect_rc $EX_CONFIG
expect_err "$S/anchors:5: not a public key"
fh "$S" show "$W"
expect_rc $EX_OK	# the message is shown all the same
expect_err "$S/anchors:5"
exit 0
