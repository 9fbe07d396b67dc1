#!/usr/bin/env bash
# board_browser.sh: the duty board in a real browser (headless Chromium, driven over the
# DevTools protocol by board_cdp.py) against a running certified mesh of three nodes, the
# county c, a township t1 and its village v1_1:
# - the duty page at c lists the village's open report and the county's red warning with its
#   coverage bar 3/3 (checked in the DOM);
# - a second red warning issued while the page is open appears on it without a reload, with
#   the banner; the page switches to English;
# - the warning's page (coverage by township, its three nodes), the report's page (its
#   registration by the county, its path through the three nodes), the mesh's peers, the map
#   with the circle of a warning imported from CAP and a scale;
# - the board and the county's fenghuod restarted under the open page: it reconnects by
#   itself and shows a third warning without a reload;
# - restarted with --key (the admin's), after a reload: the report's stage buttons (none
#   before), a confirmation naming the report and the key, the signed stage in its loop and
#   the receipt in the store;
# - the drill reports tab lists a drill report (`fenghuo drill report -o STATE/drills/NAME`),
#   and its link opens the report's page, rendered by the board, with its pictures loaded;
# - screenshots are saved: test-artifacts/board-duty.png, board-duty-map.png,
#   board-duty-confirm.png and board-duty-drill.png in the build directory.
# Skipped (exit 77) where chromium is not installed.
set -euo pipefail
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$CHROMIUM" ]; then
	echo "board_browser: SKIP: chromium is not installed (apt-get install chromium)" >&2
	exit 77
fi
FH_DEADLINE=80
. "$(dirname "$0")/lib.sh"
FH_SYNC_INTERVAL=2
ART=${FH_ARTIFACTS:-$(dirname "$FENGHUOD")/../test-artifacts}
mkdir -p "$ART"

county_mesh 1 1
certify_all c
for n in "${FH_NODES[@]}"; do
	start_node "$n"
done
wait_for 30 "every node holds the certificates" everywhere "${CERTS[@]}"
rid=$(report v1_1 "桥梁被冲毁")
wid=$(fh c --key "$K/admin.key" warn --area 330110 --level red --event 暴雨 \
	--title "暴雨红色预警")
wait_for 30 "the report at the county" has_msg c "$rid"
confirmed_is() {
	[ "$(fh c coverage --json "$wid" | json_field confirmed)" = "$1" ]
}
wait_for 30 "all three nodes confirmed the warning" confirmed_is 3
fh c --key "$K/admin.key" receipt "$rid" --stage registered --note "值班员已登记" >/dev/null
# The board comes back with the admin's key (verifier for the county): its public key.
ADMIN=$(awk '$1 == "admin" && $2 == "key:" { print $3 }' "$FH_TMP/county.out")
capid=$(fh c --key "$K/admin.key" cap import "$(dirname "$0")/../cap/data/cn-yuhang-rainstorm-red.xml")
# A drill and its report where the board looks by default (no trace: the checks are the page's).
did=$(fh c --key "$K/admin.key" drill start --area 330110 --title "夜间演练")
wait_for 30 "the drill at the county" has_msg c "$did"
mkdir -p "$(node_state c)/drills"
fh c drill report "$did" --timeout 0 -o "$(node_state c)/drills/2026-12-05-drill" >/dev/null
export FH_BOARD_DRILL=2026-12-05-drill

_fh_alloc_port >"$FH_TMP/.port"
port=$(cat "$FH_TMP/.port")
# start_board [OPTION...]
start_board() {
	"$FENGHUO" --state "$(node_state c)" board --listen "127.0.0.1:$port" "$@" \
		2>>"$FH_TMP/board.log" &
	BOARD_PID=$!
	bg_track $BOARD_PID
	wait_for 20 "the board answers" curl -s -o /dev/null -f "http://127.0.0.1:$port/api/duty"
}
start_board
step=$FH_TMP/cdp.step
"$FH_PY" "$(dirname "$0")/board_cdp.py" "$CHROMIUM" "http://127.0.0.1:$port/" "$rid" "$wid" \
	"$capid" "$ART/board-duty.png" "$step" "$ADMIN" -- "$FENGHUO" --state "$(node_state c)" \
	--key "$K/admin.key" warn --area 330110 --level red --event 暴雨 --title >"$FH_TMP/cdp.out" &
cdp=$!
bg_track $cdp
# The page is open: restart the board (on the same port) and the county's fenghuod under it.
poll_until 60 test -e "$step.ready" || true
if [ -e "$step.ready" ]; then
	kill -TERM "$BOARD_PID"
	wait "$BOARD_PID" || fail "the board exited with $? on SIGTERM"
	stop_node c
	start_board --key "$K/admin.key"
	start_node c
	touch "$step.done"
fi
wait "$cdp" || fail "the browser checks (board log: $(cat "$FH_TMP/board.log"))"
signed=$(sed -n 's/^board_cdp: signed //p' "$FH_TMP/cdp.out")
[ ${#signed} -eq 64 ] && fh c show --json "$rid" | grep "\"id\":\"$signed\"" |
	grep -q '"stage":"verified"' || fail "the page's receipt is not in the store: $signed"
log "ok"
