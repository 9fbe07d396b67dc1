"""board_pages.py: what the browser tests check on the duty board's pages (stdlib only).

The drivers (board_cdp.py for Chromium, board_marionette.py for Firefox) only start their
browser and carry commands to it; everything they check is here, once, so that both
browsers are held to the same page. A driver is an object with:

  start()            start the browser (close() stops it even when start() failed)
  viewport(w, h)     make the page's viewport (window.innerWidth x innerHeight) w x h CSS px
  navigate(url)      load url and wait for it
  js(expr)           the value of the JavaScript expression expr in the page (None when it
                     throws), as JSON
  screenshot(path)   save what the viewport shows as a PNG
  close()            stop the browser and every process it started

Usage of a driver: DRIVER BROWSER URL RID WID CAPID ARTDIR STEP -- CMD...

Opens URL and checks in the DOM that the duty page lists the open report RID and the red
warning WID with its coverage bar "N/N"; runs CMD TITLE (which issues a new red warning and
prints its id) and checks that the warning appears and the banner shows without the page
being reloaded; then, at 1920x1080 and at 1366x768, visits every view (the duty page, the
warning's coverage by township, the report's loop and path, the mesh's peers, the map with
the circle of the warning CAPID imported from CAP and a scale), checks its layout with
board_layout.js and saves a screenshot of it in ARTDIR; then the English switch (and the
duty page's layout in English at 1366x768); last, STEP.ready asks the calling script to
restart the board and fenghuod, STEP.done says it has, and the page must reconnect by itself
and show the next warning without a reload.

Actions: the board is read-only at first (no action buttons anywhere) and comes back from the
restart with --key, FH_BOARD_KEY its public key: after a reload the report's stage buttons, a
confirmation naming the report and the key, and the signed stage in its loop; prints
"NAME: signed RECEIPT-ID". With FH_BOARD_DRILL=NAME, last, the drill reports tab lists the
report NAME and its link opens the report's page with its tables and pictures, laid out
within a laptop's width.

FH_PIDFILE, when set, is a file the browser's process id is appended to (lib.sh's guard kills
what it lists if the test itself is killed outright).
"""
import json
import os
import signal
import subprocess
import sys
import time

SIZES = [(1920, 1080), (1366, 768)]
NAME = os.path.basename(sys.argv[0]).replace(".py", "")

# A long Chinese title with an unbroken run of Latin text (a web address), as duty officers
# paste them: it must wrap inside its cell and in the banner at every size.
LONG_TITLE = ("第二个红色预警：闲林街道、五常街道、仓前街道未来三小时降雨量将达一百毫米以上，"
              "请立即转移低洼地带人员（详见http://qx.yuhang.example.gov.cn/yujing/2026/"
              "baoyu-hongse-0002.html）")


def fail(msg):
    print(NAME + ": FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def log(msg):
    print(NAME + ": " + msg)


class Args:
    def __init__(self, argv):
        if "--" not in argv or argv.index("--") != 8:
            fail("usage: %s BROWSER URL RID WID CAPID ARTDIR STEP -- CMD..." % NAME)
        (self.browser, self.url, self.rid, self.wid, self.capid, self.art,
         self.step) = argv[1:8]
        self.cmd = argv[9:]
        self.tag = os.path.basename(self.browser).replace("-esr", "")


def on_sigterm():
    """A SIGTERM (the test script's cleanup, its deadline) still runs the finally clauses
    that stop the browser."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def stop_group(proc, mark, secs=10):
    """Stop a browser started with start_new_session=True: every process of its group (both
    browsers run helper processes beside their main one), then any process left whose
    command line names mark, the browser's own temporary profile (Firefox's crash helper
    leaves the group)."""
    def alive():
        proc.poll()
        try:
            os.killpg(proc.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def strays():
        pids = []
        for d in os.listdir("/proc"):
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    if mark.encode() in f.read() and int(d) != os.getpid():
                        pids.append(int(d))
            except (OSError, ValueError):
                pass
        return pids

    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not alive():
            break
        os.killpg(proc.pid, sig)
        end = time.monotonic() + secs
        while alive() and time.monotonic() < end:
            time.sleep(0.1)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in strays():
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        end = time.monotonic() + secs
        while strays() and time.monotonic() < end:
            time.sleep(0.1)


def started(proc):
    """Note a browser's process for the test script's guard."""
    pidfile = os.environ.get("FH_PIDFILE")
    if pidfile:
        with open(pidfile, "a") as f:
            f.write("%d\n" % proc.pid)


def wait(drv, what, expr, secs=30):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        v = drv.js(expr)
        if v:
            return v
        time.sleep(0.25)
    fail("%s (DOM: %s)" % (what, drv.js("document.getElementById('view') ? "
                                       "document.getElementById('view').innerText : "
                                       "document.documentElement.outerHTML")))


def row(table, id):
    return "document.querySelector('#%s tr[data-id=\"%s\"]')" % (table, id)


# A mark in the document: a reload would lose it.
MARKED = "document.documentElement.dataset.fhMark === '42'"

LAYOUT_JS = open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "board_layout.js"), encoding="utf-8").read().strip().rstrip(";")


def views(a):
    """Each view: name, route, what shows it is complete, the elements that must be visible
    within the viewport's width."""
    return [
        ("duty", "#/", "!!%s && !!%s" % (row("reports", a.rid), row("warnings", a.wid)),
         ["#reports", "#warnings tr[data-id=\"%s\"] .bar" % a.wid]),
        ("warning", "#/warning/" + a.wid,
         "document.querySelectorAll('#sec-coverage tbody tr').length >= 1 && "
         "document.querySelector('#sec-coverage .bar b').textContent === '3/3' && "
         "document.querySelectorAll('#sec-node tbody tr').length === 3",
         ["#sec-coverage .bar", "#sec-coverage table", "#sec-node table"]),
        ("report", "#/report/" + a.rid,
         "!!document.querySelector('#timeline li[data-stage=\"registered\"]') && "
         "document.querySelectorAll('#sec-tree li').length === 3",
         ["#timeline", "#sec-tree ul"]),
        ("mesh", "#/mesh", "document.querySelectorAll('#sec-peers tbody tr').length >= 1",
         ["#sec-peers table", "#sec-knownnodes table"]),
        ("map", "#/map",
         "!!document.querySelector('#map polygon[data-id=\"%s\"]') && "
         "/ km$/.test(document.getElementById('scale').textContent)" % a.capid,
         ["#map"]),
    ]


def check_view(drv, a, view, w, h, shot):
    """One view, complete, laid out within the viewport's width (board_layout.js); its
    screenshot is saved first, so that a failure can be looked at."""
    name, route, ready, keys = view
    if route:
        drv.js("location.hash = '%s'" % route)
    wait(drv, "the %s view at %dx%d" % (name, w, h), ready)
    drv.screenshot(os.path.join(a.art, shot))
    bad = drv.js("(function () { try { return (%s)(%s); } catch (e) { return String(e); } })()"
                 % (LAYOUT_JS, json.dumps(keys)))
    if not isinstance(bad, list):
        fail("board_layout.js did not run on the %s view (it returned %r)" % (name, bad))
    if bad:
        fail("the %s view at %dx%d in %s (%s): %s" % (name, w, h, a.tag, shot, "; ".join(bad)))


def set_size(drv, w, h):
    drv.viewport(w, h)
    size = drv.js("[window.innerWidth, window.innerHeight]")
    if size != [w, h]:
        fail("the viewport is %r, not %dx%d" % (size, w, h))


def layout(drv, a, w, h):
    """Every view at w x h."""
    set_size(drv, w, h)
    for view in views(a):
        check_view(drv, a, view, w, h, "board-%s-%s-%dx%d.png" % (a.tag, view[0], w, h))
    if not drv.js(MARKED):
        fail("the page was reloaded while visiting the views")


def run(drv, a):
    set_size(drv, *SIZES[0])
    drv.navigate(a.url)
    wait(drv, "the open report on the duty page", "!!" + row("reports", a.rid))
    bar = wait(drv, "the red warning with its coverage",
               "(function(){var r=%s;"
               "return r && r.dataset.level==='red' && r.querySelector('.bar b') && "
               "r.querySelector('.bar b').textContent;})()" % row("warnings", a.wid))
    if bar != "3/3":
        fail("the warning's coverage bar reads %r, not 3/3" % bar)
    wait(drv, "the live indicator", "document.getElementById('live').className==='live up' && "
         "document.getElementById('live').textContent==='实时'")
    drv.js("document.documentElement.dataset.fhMark = '42'")
    new = subprocess.run(a.cmd + [LONG_TITLE], check=True, capture_output=True,
                         text=True).stdout.strip()
    wait(drv, "the new warning without a reload", "!!%s && %s" % (row("warnings", new), MARKED))
    wait(drv, "the banner for the new red warning",
         "!document.getElementById('banner').hidden && "
         "document.getElementById('banner-text').textContent.indexOf('第二个红色预警') >= 0")
    drv.screenshot(os.path.join(a.art, "board-%s-live.png" % a.tag))
    # Every view at every size, the banner still up.
    for w, h in SIZES:
        layout(drv, a, w, h)
    # A board started without --key offers no actions.
    if drv.js("document.body.dataset.actions !== 'false' || !!document.querySelector("
              "'button.act') || !!document.getElementById('officer')"):
        fail("a read-only board shows action buttons")
    # The English switch; its longer words fit a laptop too.
    drv.js("location.hash = '#/'")
    wait(drv, "the duty page again", "!!document.getElementById('reports')")
    drv.js("document.getElementById('lang').click()")
    wait(drv, "the English switch", "document.getElementById('sec-reports').firstChild"
         ".textContent.indexOf('Open reports') === 0")
    w, h = SIZES[-1]
    set_size(drv, w, h)
    check_view(drv, a, views(a)[0], w, h, "board-%s-duty-en-%dx%d.png" % (a.tag, w, h))
    set_size(drv, *SIZES[0])
    drv.js("document.getElementById('lang').click()")
    wait(drv, "the switch back to Chinese", "document.getElementById('sec-reports').firstChild"
         ".textContent.indexOf('未处理报告') === 0")
    # Restarts: STEP.ready tells the script to restart the board and fenghuod; STEP.done that
    # it has. The page must reconnect by itself and show the next warning without a reload.
    open(a.step + ".ready", "w").close()
    end = time.monotonic() + 60
    while not os.path.exists(a.step + ".done"):
        if time.monotonic() > end:
            fail("the script did not restart the board and fenghuod")
        time.sleep(0.2)
    wait(drv, "the live indicator after the restarts",
         "document.getElementById('live').className==='live up'", 40)
    third = subprocess.run(a.cmd + ["第三个红色预警"], check=True, capture_output=True,
                           text=True).stdout.strip()
    wait(drv, "the third warning after the restarts, without a reload",
         "!!%s && %s" % (row("warnings", third), MARKED), 40)
    actions(drv, a)
    drill = os.environ.get("FH_BOARD_DRILL")
    if drill:
        drill_report(drv, a, drill)
    log("ok in %s, screenshots in %s" % (a.tag, a.art))


def actions(drv, a):
    """The board came back with --key (FH_BOARD_KEY, the officer's public key): after a
    reload the pages offer the stages; one is signed after its confirmation and shows in the
    loop."""
    key = os.environ.get("FH_BOARD_KEY", "")
    if len(key) != 64:
        fail("FH_BOARD_KEY: the officer's public key, 64 hex digits")
    drv.navigate(a.url)
    wait(drv, "the next stage's button on the duty page",
         "document.body.dataset.actions === 'true' && !!document.querySelector("
         "'#reports tr[data-id=\"%s\"] button.act[data-stage=\"verified\"]') && "
         "document.getElementById('officer').textContent.indexOf('%s') >= 0"
         % (a.rid, key[:16]))
    drv.js("location.hash = '#/report/%s'" % a.rid)
    wait(drv, "the report's stage buttons", "Array.prototype.map.call(document."
         "querySelectorAll('#actions button.act'), function (b) { return b.dataset.stage; })"
         ".join() === 'verified,handling,closed'")
    drv.js("document.querySelector('#actions button[data-stage=\"verified\"]').click()")
    what = wait(drv, "the confirmation", "!document.getElementById('confirm').hidden && "
                "document.getElementById('confirm-what').textContent + ' ' + "
                "document.getElementById('confirm-key').textContent")
    if a.rid[:12] not in what or key[:16] not in what:
        fail("the confirmation does not say which report and key: %r" % what)
    drv.screenshot(os.path.join(a.art, "board-%s-confirm.png" % a.tag))
    if drv.js("!!document.querySelector('#timeline li[data-stage=\"verified\"]')"):
        fail("verified before the confirmation")
    drv.js("document.getElementById('confirm-note').value = '现场已核实'")
    drv.js("document.getElementById('confirm-ok').click()")
    wait(drv, "the signed stage in the loop", "document.getElementById('confirm').hidden && "
         "!!document.body.dataset.signed && !!document.querySelector("
         "'#timeline li[data-stage=\"verified\"]')")
    log("signed " + drv.js("document.body.dataset.signed"))


def drill_report(drv, a, drill):
    """The drill reports tab, then the report's own page (a page load, so last), at a
    laptop's size too."""
    drv.js("location.hash = '#/drills'")
    wait(drv, "the drill report in the list",
         "(function(){var r=document.querySelector('#drillreports tr[data-name=\"%s\"]');"
         "return r && r.querySelector('a').textContent.indexOf('夜间演练') >= 0 && "
         "r.querySelectorAll('a').length > 1;})()" % drill)
    drv.js("document.querySelector('#drillreports tr[data-name=\"%s\"] a').click()" % drill)
    page = ("location.pathname === '/drills/%s' && !!document.querySelector('main#report h1') "
            "&& document.querySelector('main#report h1').textContent.indexOf('夜间演练') >= 0 "
            "&& document.title.indexOf('夜间演练') >= 0 "
            "&& document.querySelectorAll('main#report table').length >= 4 && "
            "document.querySelectorAll('main#report img').length >= 1 && "
            "Array.prototype.every.call(document.querySelectorAll('main#report img'), "
            "function(i){return i.complete && i.naturalWidth > 0;})" % drill)
    check_view(drv, a, ("drill report", "", page, ["main#report h1", "main#report img"]),
               SIZES[0][0], SIZES[0][1], "board-%s-drill-%dx%d.png" % ((a.tag,) + SIZES[0]))
    w, h = SIZES[-1]
    set_size(drv, w, h)
    check_view(drv, a, ("drill report", "", page, ["main#report h1", "main#report img"]),
               w, h, "board-%s-drill-%dx%d.png" % (a.tag, w, h))
    set_size(drv, *SIZES[0])
    drv.js("document.getElementById('lang').click()")
    wait(drv, "the English switch on the report's page",
         "document.getElementById('title').textContent === 'Fenghuo · duty board' && "
         "document.getElementById('live').hidden")
    drv.js("document.getElementById('lang').click()")


def main(driver_class):
    """Parse the arguments, start the driver's browser, run the checks, stop it."""
    on_sigterm()
    a = Args(sys.argv)
    os.makedirs(a.art, exist_ok=True)
    drv = driver_class(a.browser)
    try:
        drv.start()
        run(drv, a)
    finally:
        drv.close()
