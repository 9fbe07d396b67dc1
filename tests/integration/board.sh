#!/usr/bin/env bash
# board.sh: `fenghuo board` serves the duty board's JSON API over HTTP, and refuses what it
# must (tests/integration/board_http.py does the HTTP side):
# - at the county c of a certified two-node mesh (c, t1) with an open report from t1 and a red
#   warning that both confirmed: /api/duty, /api/coverage/ID, /api/trace/ID, /api/peers and
#   /metrics give the objects the CLI's --json gives; 404s; a body over the limit (413), a
#   header over the limit (431); traversal attempts; only GET; the security headers; an
#   event on /api/events for a warning issued while the stream is open;
# - beyond 127.0.0.1 (here 127.0.0.2, refused before it listens) the board will not start
#   without a token; with one (on 127.0.0.1: tests send nothing elsewhere) it answers 401 to
#   a request without it or with a wrong one, and 200 to the Bearer header, to ?token= (which
#   sets the cookie, on the first page and on a drill report's page) and to the cookie.
set -euo pipefail
FH_DEADLINE=55
. "$(dirname "$0")/lib.sh"
FH_SYNC_INTERVAL=2

make_node c 330110
make_node t1 330110109
link c t1
certify_all c
start_node c
start_node t1
wait_for 30 "both nodes hold the certificates" everywhere "${CERTS[@]}"

warn() {
	fh c --key "$K/admin.key" warn --area 330110 --level red --event 暴雨 --title "$1"
}
rid=$(report t1 "桥梁被冲毁")
wid=$(warn "暴雨红色预警")
wait_for 30 "the report at the county" has_msg c "$rid"
confirmed_is() {
	[ "$(fh c coverage --json "$wid" | json_field confirmed)" = "$1" ]
}
wait_for 30 "both nodes confirmed the warning" confirmed_is 2

start_board "$(node_state c)" 0
base=$BOARD_URL
"$FH_PY" "$(dirname "$0")/board_http.py" "$base" "$wid" "$rid" 2 -- \
	"$FENGHUO" --state "$(node_state c)" --key "$K/admin.key" warn --area 330110 \
	--level red --event 暴雨 --title "第二个红色预警" ||
	fail "HTTP checks (board log: $(cat "$FH_TMP/board.log"))"

# ---- beyond localhost: a token ----
_fh_alloc_port >"$FH_TMP/.port"
port2=$(cat "$FH_TMP/.port")
rc=0
"$FENGHUO" --state "$(node_state c)" board --listen "127.0.0.2:$port2" 2>"$FH_TMP/notoken" || rc=$?
[ "$rc" -eq 64 ] && grep -q "needs --token-file" "$FH_TMP/notoken" ||
	fail "no token beyond localhost: exit $rc, $(cat "$FH_TMP/notoken")"
token=Zq3kT9vX2mLp8RwY4nB6
printf '%s\n' "$token" >"$FH_TMP/token"
# A drill report to open by its own link.
mkdir -p "$(node_state c)/drills/night"
printf '# 夜间演练\n' >"$(node_state c)/drills/night/report.md"
start_board "$(node_state c)" "$port2" --token-file "$FH_TMP/token"
b2=$BOARD_URL
code() {
	curl -s -o /dev/null -w '%{http_code}' "$@"
}
[ "$(code "$b2/api/duty")" = 401 ] || fail "no token: $(code "$b2/api/duty")"
[ "$(code "$b2/")" = 401 ] || fail "no token, the page: $(code "$b2/")"
[ "$(code -H "Authorization: Bearer ${token}x" "$b2/api/duty")" = 401 ] || fail "a wrong token"
[ "$(code -H "Authorization: Bearer ${token:0:19}" "$b2/api/duty")" = 401 ] || fail "a short token"
[ "$(code "$b2/api/duty?token=wrong")" = 401 ] || fail "a wrong ?token="
[ "$(code -b "fh_board_token=nope" "$b2/api/duty")" = 401 ] || fail "a wrong cookie"
[ "$(code -H "Authorization: Bearer $token" "$b2/api/duty")" = 200 ] || fail "the Bearer token"
curl -s -D "$FH_TMP/h" -o /dev/null "$b2/?token=$token"
grep -qi "^Set-Cookie: fh_board_token=$token; Path=/; HttpOnly; SameSite=Strict" "$FH_TMP/h" ||
	fail "?token= sets no cookie: $(cat "$FH_TMP/h")"
[ "$(code -b "fh_board_token=$token" "$b2/api/peers")" = 200 ] || fail "the cookie"
[ "$(code "$b2/drills/night")" = 401 ] || fail "no token, a drill report's page"
curl -s -D "$FH_TMP/h" -o /dev/null "$b2/drills/night?token=$token"
grep -qi "^Set-Cookie: fh_board_token=$token; Path=/; HttpOnly; SameSite=Strict" "$FH_TMP/h" ||
	fail "?token= on a drill report's page sets no cookie: $(cat "$FH_TMP/h")"
log "ok"
