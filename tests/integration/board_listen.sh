#!/usr/bin/env bash
# board_listen.sh: `fenghuo board --listen` with IPv6 addresses:
# - malformed addresses are refused (exit 64) with a message that says what is wrong: a
#   missing bracket, an unbracketed IPv6 address, a bad port, a zone id, a name;
# - [::] and any IPv6 address but ::1 need --token-file, as any IPv4 address but 127.0.0.1;
# - on [::1] (this machine only) the board starts without a token and listens: seen in
#   /proc/net/tcp6, without connecting (tests send traffic to 127.0.0.1 only).
# The listening part is skipped (exit 77) where the kernel has IPv6 disabled.
set -euo pipefail
FH_DEADLINE=40
. "$(dirname "$0")/lib.sh"

S=$FH_TMP/state
mkdir -p "$S"
# refused ADDR TEXT [OPTION...]: --listen ADDR exits 64 saying TEXT, and listens nowhere.
refused() {
	local addr=$1 text=$2 rc=0
	shift 2
	"$FENGHUO" --state "$S" board --listen "$addr" "$@" 2>"$FH_TMP/err" || rc=$?
	[ "$rc" -eq 64 ] && grep -qF -- "$text" "$FH_TMP/err" ||
		fail "--listen $addr: exit $rc, wanted 64 and \"$text\": $(cat "$FH_TMP/err")"
}
refused "[::1" "needs its closing ']'"
refused "[::1]8400" "give the port after the ']'"
refused "::1:8400" "an IPv6 address goes in brackets"
refused "[::1]:" "the port must be a number from 1 to 65535"
refused "[::1]:0" "the port must be a number from 1 to 65535"
refused "[::1]:65536" "the port must be a number from 1 to 65535"
refused "[::1]:84x" "the port must be a number from 1 to 65535"
refused "[fe80::1%lo]:8400" "zone ids"
refused "[127.0.0.1]:8400" "not an IPv6 address"
refused "[]:8400" "not an IPv6 address"
refused "[::1::2]:8400" "not an IPv6 address"
refused "localhost:8400" "names are not resolved"
refused "127.0.0.1" "give ADDR:PORT"
# Beyond this machine, a token is needed, for IPv6 as for IPv4.
refused "[::]:8400" "needs --token-file"
refused "[2001:db8::1]:8400" "needs --token-file"
refused "[::ffff:127.0.0.1]:8400" "needs --token-file"
log "ok: malformed addresses and the token"

# ---- listening on [::1] ----
if [ ! -r /proc/net/if_inet6 ] || [ "$(cat /proc/sys/net/ipv6/conf/lo/disable_ipv6 2>/dev/null ||
	echo 1)" != 0 ] || ! grep -q '^0\{31\}1 ' /proc/net/if_inet6; then
	echo "board_listen: SKIP: IPv6 is disabled in this kernel (no ::1 on lo)" >&2
	exit 77
fi
# listening PORT: a socket in state LISTEN (0A) on ::1 and PORT, as /proc/net/tcp6 lists it.
listening() {
	grep -qi "^ *[0-9]*: 0\{24\}01000000:$(printf '%04X' "$1") 0\{32\}:0000 0A " /proc/net/tcp6
}
_fh_alloc_port >"$FH_TMP/.port"
port=$(cat "$FH_TMP/.port")
"$FENGHUO" --state "$S" board --listen "[::1]:$port" 2>"$FH_TMP/board.log" &
bg_track $!
pid=$!
wait_for 20 "the board listens on [::1]:$port" listening "$port"
kill -0 "$pid" || fail "the board exited: $(cat "$FH_TMP/board.log")"
wait_for 20 "the board says where it listens" grep -qF "listening on http://[::1]:$port/" \
	"$FH_TMP/board.log"
log "ok"
