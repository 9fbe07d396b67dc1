#!/bin/bash
# errors.sh: exit codes and messages of the failure cases, and that a refused command
# writes nothing to the store.
. "$(dirname "$0")/lib.sh"
MKBUNDLE=${2:?usage: $0 fenghuo fh_mkbundle}

S=$TMP/state

# ---- no store, no key ----
fh "$S" list
expect_rc $EX_NOINPUT
expect_err "fenghuo: list: no store in $S"
fh "$S" show deadbeef
expect_rc $EX_NOINPUT
fh "$S" report --region 330110 --category fire --title t
expect_rc $EX_NOINPUT
expect_err "no key file $S/node.key"
[ ! -e "$S/data.mdb" ] || fail "a refused report created a store"

fh "$S" keygen
expect_rc $EX_OK
fh "$S" report --region 330110 --category fire --title first
expect_rc $EX_OK
R=$(cat "$TMP/out")
[ "$(count "$S")" -eq 1 ] || fail "one message expected"

# ---- key readable by others: refused, nothing written ----
chmod 644 "$S/node.key"
fh "$S" report --region 330110 --category fire --title second
expect_rc $EX_NOPERM
expect_err "fenghuo: report: key file $S/node.key is readable by group or others"
[ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "the error is printed once"
[ ! -s "$TMP/out" ] || fail "no id may be printed"
fh "$S" receipt "$R" --stage registered
expect_rc $EX_NOPERM
fh "$S" warn --area 3301 --level red --event e --title t
expect_rc $EX_NOPERM
[ "$(count "$S")" -eq 1 ] || fail "a refused key wrote to the store"
chmod 600 "$S/node.key"

# ---- unknown, malformed and ambiguous ids ----
fh "$S" show deadbeef00
expect_rc $EX_DATAERR
expect_err "fenghuo: show: no message with id deadbeef00"
[ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "the error is printed once"
fh "$S" receipt 0123456789abcdef --stage closed
expect_rc $EX_DATAERR
expect_err "fenghuo: receipt: no message with id 0123456789abcdef"
fh "$S" warn --area 3301 --level red --event e --title t --msg-type cancel --ref deadbeef
expect_rc $EX_DATAERR
fh "$S" warn --area 3301 --level red --event e --title t --msg-type cancel --ref "$R"
expect_rc $EX_DATAERR
expect_err "is a report, not a warning"
fh "$S" show 1234567
expect_rc $EX_USAGE
expect_err "not a message id"
fh "$S" show not-hex-at-all
expect_rc $EX_USAGE
[ "$(count "$S")" -eq 1 ] || fail "a refused id wrote to the store"

"$MKBUNDLE" collide "$TMP/collide.fhb" >"$TMP/ids" || fail "fh_mkbundle collide"
A=$(sed -n 1p "$TMP/ids")
B=$(sed -n 2p "$TMP/ids")
[ "${A:0:8}" = "${B:0:8}" ] && [ "$A" != "$B" ] || fail "helper made no collision: $A $B"
fh "$S" import "$TMP/collide.fhb"
expect_rc $EX_OK
expect_out "new: 2"
fh "$S" show "${A:0:8}"
expect_rc $EX_DATAERR
expect_err "id prefix ${A:0:8} matches more than one message; give more digits"
fh "$S" receipt "${A:0:8}" --stage registered
expect_rc $EX_DATAERR
expect_err "matches more than one message"
fh "$S" show "$A"
expect_rc $EX_OK
expect_out "$A"
fh "$S" show "$B" --json
expect_rc $EX_OK
expect_out "\"id\":\"$B\""
[ "$(count "$S")" -eq 3 ] || fail "3 messages expected"

# ---- bad arguments: EX_USAGE, nothing written ----
usage() {
	fh "$S" "$@"
	[ "$rc" -eq $EX_USAGE ] || fail "'$*': exit status $rc, expected $EX_USAGE"
	[ -s "$TMP/err" ] || fail "'$*': no message on stderr"
}
usage
usage frobnicate
usage --bogus list
usage report --region 330110 --category fire
usage report --region 3301x0 --category fire --title t
usage report --region 330110 --category fire --title t --lat 30
usage report --region 330110 --category fire --title t --lat 91 --lon 120
usage report --region 330110 --category fire --title t --lat 30 --lon abc
usage report --region 330110 --category fire --title t --expires soon
usage report --region 330110 --category fire --title t extra
usage report --region 330110 --category fire --title t --nope
expect_err "fenghuo: report: unrecognized option '--nope'"
usage warn --area 3301 --level red --event e
usage warn --area 33x1 --level red --event e --title t
usage warn --area 3301,,3302 --level red --event e --title t
usage warn --area 3301 --level red --event e --title t --urgency now
usage warn --area 3301 --level red --event e --title t --certainty sure
usage warn --area 3301 --level red --event e --title t --response run
usage warn --area 3301 --level red --event e --title t --ref "$R"
usage receipt "$R"
usage receipt "$R" --stage done
usage receipt --stage closed
usage list --kind bogus
usage list --limit 0
usage list --limit -3
usage list --since yesterday
usage list --region 33a
usage show
usage show "$R" "$R"
usage export
usage import
usage keygen extra
[ "$(count "$S")" -eq 3 ] || fail "bad arguments wrote to the store"

# ---- rejected by validation: EX_DATAERR with the reason, nothing written ----
# A title over the limit: refused before signing, with the limit in bytes and characters.
LONG=$(printf '%0300d' 0)
fh "$S" report --region 330110 --category fire --title "$LONG"
expect_rc $EX_USAGE
expect_err "fenghuo: report: --title is 300 bytes long; at most 256 bytes (about 85 Chinese characters"
[ ! -s "$TMP/out" ] || fail "a refused report printed an id"
CN=$(printf '暴%.0s' $(seq 90))
fh "$S" warn --area 3301 --level red --event e --title "$CN"
expect_rc $EX_USAGE
expect_err "--title is 270 bytes long; at most 256 bytes (about 85 Chinese characters"
fh "$S" report --region 330110 --category fire --title $'two\nlines'
expect_rc $EX_USAGE
expect_err "--title must be one line"
fh "$S" report --region 330110 --category fire --title t --text "$(printf '%017000d' 0)"
expect_rc $EX_DATAERR
expect_err "rejected: "
[ "$(count "$S")" -eq 3 ] || fail "a rejected message was stored"

# ---- default state directory ----
export FENGHUO_STATE=$S
rc=0
"$FENGHUO" list >"$TMP/out" 2>"$TMP/err" || rc=$?
expect_rc $EX_OK
[ "$(wc -l <"$TMP/out")" -eq 3 ] || fail "FENGHUO_STATE not used"
# keygen --key elsewhere: no state directory is created (as root that would be
# /var/lib/fenghuo, the packaged daemon's).
export FENGHUO_STATE=$TMP/unused-state
rc=0
"$FENGHUO" --key "$TMP/elsewhere.key" keygen >"$TMP/out" 2>"$TMP/err" || rc=$?
expect_rc $EX_OK
[ -f "$TMP/elsewhere.key" ] || fail "keygen --key wrote no key"
[ ! -e "$TMP/unused-state" ] || fail "keygen --key elsewhere created the state directory"
unset FENGHUO_STATE
# (as root the default is /var/lib/fenghuo, which a test must not touch)
if [ "$(id -u)" -ne 0 ]; then
	rc=0
	env XDG_STATE_HOME="$TMP/xdg" "$FENGHUO" keygen >"$TMP/out" 2>"$TMP/err" || rc=$?
	expect_rc $EX_OK
	[ -f "$TMP/xdg/fenghuo/node.key" ] || fail "XDG_STATE_HOME not used"
fi
echo "ok errors"
