#!/bin/bash
# hostile.sh: `fenghuo cap import` refuses, with a clear reason and nothing stored: XXE,
# billion laughs, any DOCTYPE, a 50 MB file, invalid UTF-8, malformed XML, an alert the
# CAP 1.2 schema refuses, another namespace, resource content, an Ack, an element the
# national profile lacks, an alert without Chinese region or level, an expired one; and a
# valid alert signed by a key without the issuer role, or by an issuer outside its area.
. "$(dirname "$0")/../cli/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$HERE/data
S=$TMP/county
K=$TMP/keys
mkdir -m 700 "$K"

fh "$S" init-county --region 330110 --root-key "$K/root.key" --admin-key "$K/admin.key"
expect_rc $EX_OK
fh "$S" keygen -o "$K/village.key"
VILLAGE=$(cat "$TMP/out")
fh "$S" --key "$K/admin.key" cert --subject "$VILLAGE" --roles reporter,node \
	--region 330110109001 --days 30 --name "村信息员"
expect_rc $EX_OK
fh "$S" keygen -o "$K/town.key"
TOWN=$(cat "$TMP/out")
fh "$S" --key "$K/admin.key" cert --subject "$TOWN" --roles issuer \
	--region 330110009 --days 30 --name "仁和街道"
expect_rc $EX_OK
BASE=$(count "$S")

# refused FILE TEXT [ARGS...]: import FILE with the admin key is refused saying TEXT, and
# the store is unchanged.
refused() {
	local f=$1 text=$2
	shift 2
	fh "$S" --key "$K/admin.key" cap import "$@" "$f"
	expect_rc $EX_DATAERR
	expect_err "$text"
	[ "$(count "$S")" -eq "$BASE" ] || fail "$(basename "$f"): something was stored"
}

A1=$DATA/oasis-cap12-appendix-A1.xml
RED=$DATA/cn-yuhang-rainstorm-red.xml

cat >"$TMP/xxe.xml" <<'X'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE alert [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>
X
refused "$TMP/xxe.xml" "<!DOCTYPE> declaration: refused"
grep -q "root:" "$TMP/err" && fail "XXE: /etc/passwd leaked into the message"

cat >"$TMP/lol.xml" <<'X'
<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<alert>&lol9;</alert>
X
refused "$TMP/lol.xml" "entity attacks (XXE, billion laughs)"

# An external DTD, no entity: still refused (nothing is fetched).
sed 's|<?xml version = "1.0" encoding = "UTF-8"?>|&\n<!DOCTYPE alert SYSTEM "http://127.0.0.1:9/cap.dtd">|' "$A1" >"$TMP/dtd.xml"
refused "$TMP/dtd.xml" "<!DOCTYPE> declaration"

# 50 MB: refused for its size, from a file and from standard input.
{ cat "$A1"; head -c 50000000 /dev/zero | tr '\0' ' '; } >"$TMP/big.xml"
refused "$TMP/big.xml" "larger than 1048576 bytes"
rc=0
"$FENGHUO" --state "$S" --key "$K/admin.key" cap import - <"$TMP/big.xml" >"$TMP/out" 2>"$TMP/err" || rc=$?
expect_rc $EX_DATAERR
expect_err "larger than 1048576 bytes"
rm -f "$TMP/big.xml"

# Invalid UTF-8 (a Latin-1 byte) and a NUL byte.
sed 's/Homeland/Homel\xe4nd/' "$A1" >"$TMP/latin1.xml"
refused "$TMP/latin1.xml" "not valid UTF-8"
printf '<alert>\0</alert>' >"$TMP/nul.xml"
refused "$TMP/nul.xml" "not valid UTF-8"

printf '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</alert>' >"$TMP/bad.xml"
refused "$TMP/bad.xml" "not well-formed XML (line 1)"

# Schema: severity not in CAP 1.2's list; a missing <sent>.
sed 's|<severity>Severe</severity>|<severity>Red</severity>|' "$A1" >"$TMP/sev.xml"
refused "$TMP/sev.xml" "not valid CAP 1.2 (line"
sed '/<sent>/d' "$A1" >"$TMP/nosent.xml"
refused "$TMP/nosent.xml" "not valid CAP 1.2 (line"

sed 's|cap:1.2|cap:1.1|' "$A1" >"$TMP/cap11.xml"
refused "$TMP/cap11.xml" "of namespace urn:oasis:names:tc:emergency:cap:1.1"

sed 's|<uri>http://www.dhs.gov/dhspublic/getAdvisoryImage</uri>|&<derefUri>R0lGODlh</derefUri>|' "$A1" >"$TMP/deref.xml"
refused "$TMP/deref.xml" "fenghuo carries resource metadata only" --area 330110
sed 's|<msgType>Alert</msgType>|<msgType>Ack</msgType>|' "$A1" >"$TMP/ack.xml"
refused "$TMP/ack.xml" "an Ack or Error is not a warning" --area 330110

sed 's|<secClassification>None</secClassification>|&<mystery>1</mystery>|' "$RED" >"$TMP/unknown.xml"
refused "$TMP/unknown.xml" "<mystery> in <alert> is not an element of the national profile"
sed 's|<geocode>330110109000,330110009000</geocode>|<geocode>33011010900x</geocode>|' "$RED" >"$TMP/geo.xml"
refused "$TMP/geo.xml" "<geocode> 33011010900x: not a 12-digit region code"
sed 's|<severity>Red</severity>|<severity>Purple</severity>|' "$RED" >"$TMP/purple.xml"
refused "$TMP/purple.xml" "gives no warning level: give one (--level)"

refused "$A1" "names no Chinese region (no 12-digit <geocode>): give the areas it concerns (--area)"
refused "$DATA/oasis-cap12-appendix-A2.xml" "the alert expired at 2003-06-17T16:00:00-07:00" --area 330110

# Keys: a reporter is no issuer; an issuer of one township cannot warn another.
fh "$S" --key "$K/village.key" cap import "$RED"
expect_rc $EX_DATAERR
expect_err "rejected by the trust policy"
[ "$(count "$S")" -eq "$BASE" ] || fail "a reporter's CAP alert was stored"
fh "$S" --key "$K/town.key" cap import "$RED"
expect_rc $EX_DATAERR
expect_err "rejected by the trust policy"
[ "$(count "$S")" -eq "$BASE" ] || fail "a township issuer's alert for another township was stored"

# ... while the admin (issuer of the county) may, and --level overrides the colour; from
# standard input.
rc=0
"$FENGHUO" --state "$S" --key "$K/admin.key" cap import --level orange - <"$RED" >"$TMP/out" 2>"$TMP/err" || rc=$?
expect_rc $EX_OK
fh "$S" show --json "$(cat "$TMP/out")"
expect_out '"level":"orange"'
[ "$(count "$S")" -eq $((BASE + 1)) ] || fail "the issuer's alert was not stored"

# Another issuer's warning with the same CAP sender and identifier does not make the
# county's import of the alert a duplicate (nobody can pre-empt an office's alert).
sed 's|20260705143000_1<|20260705143000_2<|' "$RED" >"$TMP/red2.xml"
fh "$S" --key "$K/town.key" cap import --area 330110009 "$TMP/red2.xml"
expect_rc $EX_OK
townid=$(cat "$TMP/out")
fh "$S" --key "$K/admin.key" cap import "$TMP/red2.xml"
expect_rc $EX_OK
[ "$(cat "$TMP/out")" != "$townid" ] || fail "the township's warning counted as the county's import"
grep -q "already imported" "$TMP/err" && fail "another key's warning counted as imported"
fh "$S" --key "$K/admin.key" cap import "$TMP/red2.xml"
expect_rc $EX_OK
expect_err "was already imported: not signed again"

# Arguments.
fh "$S" cap import --area 33x "$RED"
expect_rc $EX_USAGE
fh "$S" cap import --level purple "$RED"
expect_rc $EX_USAGE
fh "$S" cap import "$TMP/nosuchfile.xml"
expect_rc $EX_NOINPUT
fh "$S" cap import
expect_rc $EX_USAGE
echo "ok: hostile"
