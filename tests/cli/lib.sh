# lib.sh: shared by the tests/cli scripts (sourced, not run).
#
# Each script gets the fenghuo binary as $1, works in a private mktemp -d directory that an
# EXIT trap removes, and fails with file:line and the command's stderr on the first broken
# expectation.
set -u

FENGHUO=${1:?usage: $0 /path/to/fenghuo [helper]}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fenghuo-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# Times in list/show are local: pin the zone so that lines are predictable.
export TZ=UTC
unset FENGHUO_STATE

# sysexits.h
EX_OK=0 EX_USAGE=64 EX_DATAERR=65 EX_NOINPUT=66 EX_CANTCREAT=73 EX_NOPERM=77

fail() {
	echo "FAIL ${BASH_SOURCE[1]}:${BASH_LINENO[0]}: $*" >&2
	if [ -s "$TMP/err" ]; then
		echo "--- stderr of the last command:" >&2
		cat "$TMP/err" >&2
	fi
	exit 1
}

# fh STATE ARGS...: run fenghuo with --state STATE; stdout in $TMP/out, stderr in
# $TMP/err, exit status in $rc. Never fails by itself.
fh() {
	local state=$1
	shift
	rc=0
	"$FENGHUO" --state "$state" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
}

# expect_rc CODE: the last fh exited with CODE.
expect_rc() {
	[ "$rc" -eq "$1" ] || fail "exit status $rc, expected $1 (out: $(head -c 500 "$TMP/out"))"
}

# expect_err TEXT: the last fh's stderr contains TEXT (fixed string).
expect_err() {
	grep -qF -- "$1" "$TMP/err" || fail "stderr lacks '$1'"
}

# expect_out TEXT: the last fh's stdout contains TEXT (fixed string).
expect_out() {
	grep -qF -- "$1" "$TMP/out" || fail "stdout lacks '$1': $(head -c 2000 "$TMP/out")"
}

# new ARGS...: run fenghuo on the script's state $S, expect success, print the new id.
new() {
	fh "$S" "$@"
	expect_rc $EX_OK
	cat "$TMP/out"
}

# count STATE: number of stored messages (list --json lines); 0 when there is no store.
count() {
	"$FENGHUO" --state "$1" list --json 2>/dev/null | wc -l
}

# json_lines FILE: every line of FILE is a JSON object.
json_lines() {
	python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1], "rb"):
    o = json.loads(line)
    assert isinstance(o, dict), line
    n += 1
' "$1" || fail "$1 is not JSON Lines"
}
