#!/usr/bin/env bash
# board_browser.sh: the duty board in a real browser against a running certified mesh of three
# nodes, the county c, a township t1 and its village v1_1. FH_BROWSER picks the browser:
# chromium (the default; headless, driven over the DevTools protocol by board_cdp.py) or
# firefox (firefox-esr, headless, driven over Marionette by board_marionette.py). Both drivers
# run the same checks, board_pages.py and board_layout.js:
# - the duty page at c lists the village's open report and the county's red warning with its
#   coverage bar 3/3 (checked in the DOM);
# - a second red warning with a long title issued while the page is open appears on it
#   without a reload, with the banner;
# - at 1920x1080 and at 1366x768 (a laptop), every view: the duty page, the warning's page
#   (coverage by township, its three nodes), the report's page (its registration by the
#   county, its path through the three nodes), the mesh's peers, the map with the circle of a
#   warning imported from CAP and a scale; each fits the viewport's width (no sideways
#   scrolling, the key elements and the banner within it, no text sticking out of its table
#   cell or section) and is saved as test-artifacts/board-BROWSER-VIEW-WxH.png in the build
#   directory, beside board-BROWSER-live.png (the duty page with the new warning's banner);
# - the page switches to English and back;
# - the board and the county's fenghuod restarted under the open page (the board now with
#   --key, the admin's): it reconnects by itself and shows a third warning without a reload;
# - no action buttons before; after a reload, the report's stage buttons, a confirmation
#   naming the report and the key, the signed stage in its loop and the receipt in the
#   store (board-BROWSER-confirm.png);
# - last, the drill reports tab lists a drill report (`fenghuo drill report -o
#   STATE/drills/NAME`), and its link opens the report's page, rendered by the board, with
#   its tables and pictures, laid out within a laptop's width (board-BROWSER-drill.png).
# Skipped (exit 77) where the browser is not installed.
set -euo pipefail
case ${FH_BROWSER:=chromium} in
chromium)
	BROWSER=${CHROMIUM:-$(command -v chromium || true)}
	DRIVER=board_cdp.py
	PACKAGE=chromium
	;;
firefox)
	BROWSER=${FIREFOX:-$(command -v firefox-esr || true)}
	DRIVER=board_marionette.py
	PACKAGE=firefox-esr
	;;
*)
	echo "board_browser: FH_BROWSER must be chromium or firefox, not $FH_BROWSER" >&2
	exit 64
	;;
esac
if [ -z "$BROWSER" ]; then
	echo "board_browser: SKIP: $PACKAGE is not installed (apt-get install $PACKAGE)" >&2
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
# A long title with an unbroken run of Latin text, as reports carry phone numbers and web
# addresses: it must wrap in its table cell and on the report's page.
rid=$(report v1_1 "桥梁被冲毁，两岸约三百名村民出行受阻，请求派冲锋舟和抢修队，现场照片见\
http://cun.yuhang.example.gov.cn/shangbao/2026/qiaoliang-chonghui-0001.jpg")
wid=$(fh c --key "$K/admin.key" warn --area 330110 --level red --event 暴雨 \
	--title "暴雨红色预警")
wait_for 30 "the report at the county" has_msg c "$rid"
confirmed_is() {
	[ "$(fh c coverage --json "$wid" | json_field confirmed)" = "$1" ]
}
wait_for 30 "all three nodes confirmed the warning" confirmed_is 3
fh c --key "$K/admin.key" receipt "$rid" --stage registered --note "值班员已登记" >/dev/null
capid=$(fh c --key "$K/admin.key" cap import "$(dirname "$0")/../cap/data/cn-yuhang-rainstorm-red.xml")
# The board comes back with the admin's key (verifier for the county): its public key.
FH_BOARD_KEY=$(awk '$1 == "admin" && $2 == "key:" { print $3 }' "$FH_TMP/county.out")
export FH_BOARD_KEY
# A drill and its report where the board looks by default (no trace: the checks are the page's).
did=$(fh c --key "$K/admin.key" drill start --area 330110 --title "夜间演练")
wait_for 30 "the drill at the county" has_msg c "$did"
mkdir -p "$(node_state c)/drills"
fh c drill report "$did" --timeout 0 -o "$(node_state c)/drills/2026-12-05-drill" >/dev/null
export FH_BOARD_DRILL=2026-12-05-drill

_fh_alloc_port >"$FH_TMP/.port"
port=$(cat "$FH_TMP/.port")
start_board "$(node_state c)" "$port"
step=$FH_TMP/browser.step
# The browser's profile goes in FH_TMP, removed with it; its process id in the guard's list;
# no bytecode of board_pages.py left in the source tree.
TMPDIR=$FH_TMP FH_PIDFILE=$FH_TMP/.pids PYTHONDONTWRITEBYTECODE=1 \
	"$FH_PY" "$(dirname "$0")/$DRIVER" "$BROWSER" "http://127.0.0.1:$port/" \
	"$rid" "$wid" "$capid" "$ART" "$step" -- \
	"$FENGHUO" --state "$(node_state c)" --key "$K/admin.key" warn \
	--area 330110 --level red --event 暴雨 --title >"$FH_TMP/driver.out" &
driver=$!
bg_track $driver
# The page is open: restart the board (on the same port) and the county's fenghuod under it
# (unless the driver failed before).
ready_or_failed() {
	[ -e "$step.ready" ] || ! kill -0 "$driver" 2>/dev/null
}
poll_until 60 ready_or_failed || true
if [ -e "$step.ready" ]; then
	kill -TERM "$BOARD_PID"
	wait "$BOARD_PID" || fail "the board exited with $? on SIGTERM"
	stop_node c
	start_board "$(node_state c)" "$port" --key "$K/admin.key"
	start_node c
	touch "$step.done"
fi
wait "$driver" || fail "the checks in $FH_BROWSER (board log: $(cat "$FH_TMP/board.log"))"
cat "$FH_TMP/driver.out"
signed=$(sed -n 's/^board_[a-z]*: signed //p' "$FH_TMP/driver.out")
[ ${#signed} -eq 64 ] && fh c show --json "$rid" | grep "\"id\":\"$signed\"" |
	grep '"stage":"verified"' >/dev/null || fail "the page's receipt is not in the store: $signed"
log "ok in $FH_BROWSER"
