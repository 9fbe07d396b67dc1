#!/usr/bin/env bash
# board_actions.sh: the duty board's actions (`fenghuo board --key FILE`, docs/BOARD.md,
# docs/SECURITY.md "The duty board"), at a certified county node c with one open report of
# township 330110109, over HTTP (board_actions.py does the HTTP side):
# - without --key: /api/session says read-only and sets no cookie, a POST is refused (405);
# - --key with a key file others can read: the board does not start (exit 77);
# - with the county duty officer's key (verifier for 330110): the session cookie (HttpOnly,
#   SameSite=Strict, Path=/) and its CSRF token, the officer's key and name; a POST without
#   the session, without or with a wrong X-CSRF-Token, from another Origin, to a Host that
#   is not the loopback, without Origin and Referer -> 403; a CORS preflight is not granted;
#   not JSON -> 415; a body over 4096 bytes, with Content-Length or chunked -> 413;
#   malformed JSON, an unknown field, a bad stage, a long note -> 400; an unknown id, a certificate's id -> 404; "verified" ->
#   200: the receipt is in the store (`fenghuo show --json`) and the duty list, the CLI's and
#   the board's, shows the report as verified; the audit line is in the board's log, and a
#   line for a refused POST; more sessions than the board keeps evict the oldest;
# - with a township officer's key (verifier for 330110102 only): 403 and nothing stored;
# - with fenghuod stopped: 503 and nothing stored.
set -euo pipefail
FH_DEADLINE=50
. "$(dirname "$0")/lib.sh"

make_node c 330110
certify_all c
officer=$("$FENGHUO" keygen -o "$K/officer.key" | grep -Eo '[0-9a-f]{64}' | head -1)
other=$("$FENGHUO" keygen -o "$K/other.key" | grep -Eo '[0-9a-f]{64}' | head -1)
ocert=$(fh c --key "$K/admin.key" cert --subject "$officer" --name "值班员 张三" \
	--roles verifier --region 330110 --days 30)
fh c --key "$K/admin.key" cert --subject "$other" --name "乡镇 李四" --roles verifier \
	--region 330110102 --days 30 >/dev/null
start_node c
rid=$(fh c report --region 330110109 --category test --title "桥梁被冲毁")

# receipts: how many receipts of the report c's store holds.
receipts() {
	fh c show --json "$rid" | "$FH_PY" -c 'import json, sys
print(sum(1 for l in list(sys.stdin)[1:] if json.loads(l).get("kind") == "receipt"))'
}
http() {
	"$FH_PY" "$(dirname "$0")/board_actions.py" "$@" ||
		fail "HTTP checks $1 (board log: $(cat "$FH_TMP/board.log"))"
}

start_board "$(node_state c)" 0
http readonly "$BOARD_URL" "$rid"

cp "$K/officer.key" "$FH_TMP/open.key"
chmod 644 "$FH_TMP/open.key"
rc=0
fh c board --listen 127.0.0.1:1 --key "$FH_TMP/open.key" 2>"$FH_TMP/open.err" || rc=$?
[ "$rc" -eq 77 ] && grep -q "readable by group or others" "$FH_TMP/open.err" ||
	fail "a key file others can read: exit $rc, $(cat "$FH_TMP/open.err")"

start_board "$(node_state c)" 0 --key "$K/officer.key"
officer_board=$BOARD_URL
grep -q "actions on: receipts are signed with key $officer" "$FH_TMP/board.log" ||
	fail "the board does not say whose key acts: $(cat "$FH_TMP/board.log")"
http act "$BOARD_URL" "$rid" "$ocert" "$officer" "值班员 张三" >"$FH_TMP/act.out"
receipt=$(tail -n 1 "$FH_TMP/act.out")
[ ${#receipt} -eq 64 ] || fail "no receipt id: $(cat "$FH_TMP/act.out")"
fh c show --json "$rid" | grep "\"id\":\"$receipt\"" | grep '"stage":"verified"' >/dev/null ||
	fail "the receipt is not in the store: $(fh c show --json "$rid")"
fh c duty --json | grep "\"id\":\"$rid\"" | grep '"stage":"verified"' >/dev/null ||
	fail "the duty list does not show the report verified: $(fh c duty --json)"
grep -q "action: key $officer client 127.0.0.1 {\"report\":\"$rid\",\"stage\":\"verified\",\"note\":\"已核实，派出抢险队\"}: receipt $receipt" \
	"$FH_TMP/board.log" || fail "no audit line: $(cat "$FH_TMP/board.log")"
grep -q "refused POST \"/api/report/$rid/stage\" client 127.0.0.1 forwarded-for \"10.1.2.3\": a missing or wrong X-CSRF-Token" \
	"$FH_TMP/board.log" || fail "no line for a refused POST: $(cat "$FH_TMP/board.log")"
n=$(receipts)
[ "$n" -eq 1 ] || fail "$n receipts after one action"

start_board "$(node_state c)" 0 --key "$K/other.key"
http refused "$BOARD_URL" "$rid" 403
[ "$(receipts)" -eq 1 ] || fail "a key without authority stored a receipt"
grep -q "action: key $other .*no verifier role" "$FH_TMP/board.log" ||
	fail "no audit line for the refusal: $(cat "$FH_TMP/board.log")"

stop_node c
http refused "$officer_board" "$rid" 503
[ "$(receipts)" -eq 1 ] || fail "an action without fenghuod stored a receipt"
log "ok"
