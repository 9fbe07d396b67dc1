#!/bin/bash
# samples.sh: every CAP sample in tests/cap/data goes in with `fenghuo cap import` and comes
# out with `fenghuo cap export` equal, element by element (capdiff.py); OASIS exports are
# valid against the CAP 1.2 schema (xmllint), also those of national-profile alerts, and
# national-profile exports of OASIS alerts read back in. An Update or Cancel is refused
# until the alerts it refers to are stored, then refers to their warnings. No daemon: the
# CLI writes through ingest/ under the county's trust policy.
. "$(dirname "$0")/../cli/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$HERE/data
XSD=$HERE/../../data/cap/CAP-v1.2.xsd
S=$TMP/county
K=$TMP/keys
mkdir -m 700 "$K"

command -v xmllint >/dev/null || fail "xmllint is needed (tools/setup.sh installs libxml2-utils)"

# A province-level office, so that the Henan sample's own geocodes are its area.
fh "$S" init-county --region 41 --root-key "$K/root.key" --admin-key "$K/admin.key"
expect_rc $EX_OK

# import FILE [ARGS...]: cap import with the admin (issuer) key; the id in $id.
import() {
	local f=$1
	shift
	fh "$S" --key "$K/admin.key" cap import "$@" "$f"
	id=$(cat "$TMP/out")
}

# areas of OASIS samples: they name no Chinese region; all but one have long expired.
opts_of() {
	case $1 in
	cn-*) echo "--expires 2h" ;;
	*) echo "--area 41 --expires 2h" ;;
	esac
}

n=0
for f in "$DATA"/*.xml; do
	base=$(basename "$f" .xml)
	case $base in cn-yuhang-*) continue ;; esac	# a county's, in county.sh
	# shellcheck disable=SC2046
	set -- $(opts_of "$base")
	if grep -q "<references>" "$f"; then
		# Refused while the alerts it changes are unknown here, nothing stored.
		before=$(count "$S")
		import "$f" "$@"
		expect_rc $EX_DATAERR
		expect_err "which this node does not store: import it first"
		[ "$(count "$S")" -eq "$before" ] || fail "$base: a refused update was stored"
		refids=()
		for stub in $(python3 "$HERE/stubs.py" "$f" "$TMP"); do
			import "$stub" "$@"
			expect_rc $EX_OK
			refids+=("$id")
		done
	fi
	import "$f" "$@"
	expect_rc $EX_OK
	[ ${#id} -eq 64 ] || fail "$base: no id printed: $id"
	case $base in naads-*) expect_err "XML signatures are not kept" ;; esac
	if grep -q "<references>" "$f"; then
		refs=$("$FENGHUO" --state "$S" show --json "$id" | python3 -c '
import json, sys
print(" ".join(json.loads(sys.stdin.readline())["refs"]))')
		[ "$refs" = "${refids[*]}" ] || fail "$base: refs $refs, expected ${refids[*]}"
	fi
	# The same alert out, element by element.
	fh "$S" cap export "$id" -o "$TMP/$base.out.xml"
	expect_rc $EX_OK
	python3 "$HERE/capdiff.py" "$f" "$TMP/$base.out.xml" || fail "$base does not round-trip"
	if grep -q 'xmlns="urn:oasis' "$f" || grep -q 'xmlns = "urn:oasis' "$f"; then
		xmllint --noout --schema "$XSD" "$TMP/$base.out.xml" 2>"$TMP/err" ||
			fail "$base: the export is not valid CAP 1.2"
		# In the national profile: it reads back in (at the geocodes of the areas).
		fh "$S" cap export "$id" --profile cn -o "$TMP/$base.cn.xml"
		expect_rc $EX_OK
		grep -q "<sendTime>" "$TMP/$base.cn.xml" || fail "$base: no <sendTime> in the cn export"
		fh "$TMP/cnread" init-county --region 41 --root-key "$K/r-$base.key" --admin-key "$K/a-$base.key"
		fh "$TMP/cnread" --key "$K/a-$base.key" cap import --expires 1h "$TMP/$base.cn.xml"
		case $base in
		*update*|*cancel*|*A3*) expect_rc $EX_DATAERR ;;	# its references are not there
		*) expect_rc $EX_OK ;;
		esac
	else
		# National profile: an OASIS export valid against the schema.
		fh "$S" cap export "$id" --profile oasis -o "$TMP/$base.oasis.xml"
		expect_rc $EX_OK
		xmllint --noout --schema "$XSD" "$TMP/$base.oasis.xml" 2>"$TMP/err" ||
			fail "$base: the OASIS export of a national alert is not valid CAP 1.2"
		grep -q "<sent>" "$TMP/$base.oasis.xml" || fail "$base: no <sent>"
	fi
	n=$((n + 1))
done
[ "$n" -eq 7 ] || fail "$n samples round-tripped, expected 7"

# At another node: a bundle of everything into a store that trusts the same root, and each
# alert exported there equal to its file.
fh "$S" export -o "$TMP/all.fhb"
expect_rc $EX_OK
mkdir -m 700 "$TMP/other"
cp "$S/anchors" "$TMP/other/anchors"
fh "$TMP/other" import "$TMP/all.fhb"
expect_rc $EX_OK
m=0
while read -r line; do
	set -- $line
	f=$(grep -l "<identifier>$2</identifier>" "$DATA"/*.xml | head -1)
	[ -n "$f" ] || continue
	fh "$TMP/other" cap export "$1" -o "$TMP/other.xml"
	expect_rc $EX_OK
	python3 "$HERE/capdiff.py" "$f" "$TMP/other.xml" ||
		fail "$(basename "$f") exported at another node differs"
	m=$((m + 1))
done < <("$FENGHUO" --state "$TMP/other" list --json --kind warning | python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    if "cap" in o:
        print(o["id"], o["cap"]["identifier"])')
[ "$m" -ge 7 ] || fail "only $m alerts exported equal at the other node"

# The Henan sample: its geocodes are the area, its colour the level, its code the event.
# Imported again, it is the warning it already is: nothing is signed twice.
before=$(count "$S")
import "$DATA/cn-henan-gale-blue-update.xml" --expires 2h
expect_rc $EX_OK
expect_err "was already imported: not signed again"
[ "$(count "$S")" -eq "$before" ] || fail "an alert imported twice was stored twice"
fh "$S" show --json "$id"
expect_out '"level":"blue"'
expect_out '"event":"大风"'
expect_out '"area":["41"]'

# A warning made with `fenghuo warn` exports too, in both profiles.
fh "$S" --key "$K/admin.key" warn --area 410102,410103 --level orange --event 暴雨 --title "暴雨橙色预警" --text "测试"
expect_rc $EX_OK
wid=$(cat "$TMP/out")
fh "$S" cap export "$wid" -o "$TMP/native.xml"
expect_rc $EX_OK
xmllint --noout --schema "$XSD" "$TMP/native.xml" 2>"$TMP/err" || fail "native export invalid"
grep -q "<value>410102000000</value>" "$TMP/native.xml" || fail "native geocode: $(cat "$TMP/native.xml")"
fh "$S" cap export "$wid" --profile cn -o "$TMP/native.cn.xml"
expect_rc $EX_OK
grep -q "<severity>Orange</severity>" "$TMP/native.cn.xml" || fail "cn severity"
grep -q "<eventType>11B03</eventType>" "$TMP/native.cn.xml" || fail "cn eventType"
grep -q "<geocode>410102000000,410103000000</geocode>" "$TMP/native.cn.xml" || fail "cn geocode"

# Export errors.
fh "$S" cap export "$wid" --profile nosuch
expect_rc $EX_USAGE
rid=$("$FENGHUO" --state "$S" list --json | python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    if o["kind"] == "cert":
        print(o["id"]); break')
fh "$S" cap export "$rid"
expect_rc $EX_DATAERR
expect_err "only warnings are CAP alerts"
fh "$S" cap
expect_rc $EX_USAGE
echo "ok: samples"
