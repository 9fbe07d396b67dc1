#!/bin/bash
# version.sh: --version and --help of fenghuo and fenghuod: the version on stdout, usage on
# stdout with exit 0; a mistake gives usage on stderr with exit 64.
. "$(dirname "$0")/lib.sh"
FENGHUOD=${3:?usage: $0 fenghuo fh_mkbundle fenghuod}
VERSION=${4:?usage: $0 fenghuo fh_mkbundle fenghuod VERSION}

for prog in "$FENGHUO" "$FENGHUOD"; do
	name=$(basename "$prog")
	rc=0
	"$prog" --version >"$TMP/out" 2>"$TMP/err" || rc=$?
	expect_rc $EX_OK
	grep -Eq "^$name $VERSION( \(git [0-9a-f]+(-dirty)?\))?\$" "$TMP/out" ||
		fail "$name --version printed '$(cat "$TMP/out")'"
	[ ! -s "$TMP/err" ] || fail "$name --version wrote to stderr"
	for h in --help -h; do
		rc=0
		"$prog" $h >"$TMP/out" 2>"$TMP/err" || rc=$?
		expect_rc $EX_OK
		expect_out "usage: $name"
		expect_out "--version"
		[ ! -s "$TMP/err" ] || fail "$name $h wrote to stderr"
	done
	rc=0
	"$prog" --no-such-option >"$TMP/out" 2>"$TMP/err" || rc=$?
	expect_rc $EX_USAGE
	expect_err "usage: $name"
	[ ! -s "$TMP/out" ] || fail "$name: a mistake printed usage on stdout"
done
echo "version: ok"
