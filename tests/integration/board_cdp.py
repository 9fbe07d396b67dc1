#!/usr/bin/env python3
"""board_cdp.py: drive headless Chromium over the DevTools protocol (stdlib only).

board_cdp.py CHROMIUM URL RID WID CAPID SCREENSHOT STEP KEY -- CMD...

Opens URL at 1920x1080 and checks in the DOM that the duty page lists the open report RID
and the red warning WID with its coverage bar "N/N"; runs CMD (which issues a new red
warning and prints its id) and checks that the warning appears and the banner shows without
the page being reloaded (CMD TITLE: the title is appended); saves a screenshot to SCREENSHOT (and the map beside it, -map.png; the confirmation of an
action, -confirm.png).
Then the other views: the warning's coverage by township, the report's loop (registered)
and path, the mesh's peers, and the map with
the circle of the warning CAPID (imported from CAP) and a scale; no action buttons.
After the restarts (the board now with --key, KEY its public key) and a reload: the report's
stage buttons, a confirmation naming the report and the key, and the signed stage in its
loop; prints the receipt's id. With FH_BOARD_DRILL=NAME, last, the drill reports tab lists
the report NAME and its link opens the report's page with its tables and pictures (and
-drill.png beside the screenshot).
"""
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

chromium, url, rid, wid, capid, shot, step, key = sys.argv[1:9]
cmd = sys.argv[sys.argv.index("--") + 1:]


def fail(msg):
    print("board_cdp: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


class WS:
    """The client side of RFC 6455, enough for the DevTools protocol."""

    def __init__(self, wsurl):
        rest = wsurl[len("ws://"):]
        hostport, path = rest.split("/", 1)
        host, port = hostport.split(":")
        self.s = socket.create_connection((host, int(port)), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            c = self.s.recv(1)
            if not c:
                fail("websocket handshake")
            head += c
        if b" 101 " not in head.split(b"\r\n")[0]:
            fail("websocket handshake: %r" % head)
        self.n = 0

    def _read(self, n):
        b = b""
        while len(b) < n:
            c = self.s.recv(n - len(b))
            if not c:
                fail("websocket closed")
            b += c
        return b

    def send(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            hdr = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        self.s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        msg = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            op = b0 & 0x0f
            if op in (0x9, 0xa):      # ping, pong
                continue
            msg += payload
            if b0 & 0x80:
                return json.loads(msg)

    def call(self, method, **params):
        self.n += 1
        self.send({"id": self.n, "method": method, "params": params})
        while True:
            m = self.recv()
            if m.get("id") == self.n:
                if "error" in m:
                    fail("%s: %r" % (method, m["error"]))
                return m.get("result", {})


profile = tempfile.mkdtemp(prefix="fh-chromium.")
proc = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                         "--no-first-run", "--no-default-browser-check",
                         "--disable-dev-shm-usage", "--remote-debugging-port=0",
                         "--remote-debugging-address=127.0.0.1",
                         "--user-data-dir=" + profile, "--window-size=1920,1080",
                         "--autoplay-policy=no-user-gesture-required", "about:blank"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    port = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and port is None:
        try:
            with open(os.path.join(profile, "DevToolsActivePort")) as f:
                port = int(f.readline())
        except (OSError, ValueError):
            if proc.poll() is not None:
                fail("chromium exited with %d" % proc.returncode)
            time.sleep(0.2)
    if port is None:
        fail("chromium opened no DevTools port")
    pages = []
    while time.monotonic() < deadline and not pages:
        with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port) as r:
            pages = [p for p in json.load(r) if p.get("type") == "page"]
        if not pages:
            time.sleep(0.2)
    if not pages:
        fail("no page target")
    ws = WS(pages[0]["webSocketDebuggerUrl"])
    ws.call("Page.enable")
    ws.call("Emulation.setDeviceMetricsOverride", width=1920, height=1080,
            deviceScaleFactor=1, mobile=False)
    ws.call("Page.navigate", url=url)

    def js(expr):
        r = ws.call("Runtime.evaluate", expression=expr, returnByValue=True)
        return r.get("result", {}).get("value")

    def wait(what, expr, secs=30):
        end = time.monotonic() + secs
        while time.monotonic() < end:
            v = js(expr)
            if v:
                return v
            time.sleep(0.25)
        fail("%s (DOM: %s)" % (what, js("document.getElementById('view') ? "
                                         "document.getElementById('view').innerText : "
                                         "document.documentElement.outerHTML")))

    wait("the open report on the duty page",
         "!!document.querySelector('#reports tr[data-id=\"%s\"]')" % rid)
    bar = wait("the red warning with its coverage",
               "(function(){var r=document.querySelector('#warnings tr[data-id=\"%s\"]');"
               "return r && r.dataset.level==='red' && r.querySelector('.bar b') && "
               "r.querySelector('.bar b').textContent;})()" % wid)
    if bar != "3/3":
        fail("the warning's coverage bar reads %r, not 3/3" % bar)
    wait("the live indicator", "document.getElementById('live').className==='live up' && "
         "document.getElementById('live').textContent==='实时'")
    # A mark in the page's JS world: a reload would lose it.
    js("window.__fhMark = 42")
    new = subprocess.run(cmd + ["第二个红色预警"], check=True, capture_output=True, text=True).stdout.strip()
    wait("the new warning without a reload",
         "!!document.querySelector('#warnings tr[data-id=\"%s\"]') && window.__fhMark === 42"
         % new)
    wait("the banner for the new red warning",
         "!document.getElementById('banner').hidden && "
         "document.getElementById('banner-text').textContent.indexOf('第二个红色预警') >= 0")
    png = ws.call("Page.captureScreenshot", format="png")["data"]
    with open(shot, "wb") as f:
        f.write(base64.b64decode(png))
    # The English switch.
    js("document.getElementById('lang').click()")
    wait("the English switch", "document.getElementById('sec-reports').firstChild.textContent"
         ".indexOf('Open reports') === 0")
    js("document.getElementById('lang').click()")
    # The other views, by their routes (no reload: the mark stays).
    js("location.hash = '#/warning/%s'" % wid)
    wait("the warning's townships", "document.querySelectorAll('#sec-coverage tbody tr')"
         ".length >= 1 && document.querySelector('#sec-coverage .bar b').textContent === '3/3'")
    wait("the warning's nodes", "document.querySelectorAll('#sec-node tbody tr').length === 3")
    js("location.hash = '#/report/%s'" % rid)
    wait("the report's closed loop", "!!document.querySelector('#timeline li[data-stage="
         "\"registered\"]') && document.querySelectorAll('#sec-tree li').length === 3")
    # A board started without --key offers no actions.
    if js("document.body.dataset.actions !== 'false' || !!document.querySelector('button.act')"
          " || !!document.getElementById('officer')"):
        fail("a read-only board shows action buttons")
    js("location.hash = '#/mesh'")
    wait("the mesh's peers", "document.querySelectorAll('#sec-peers tbody tr').length >= 1")
    js("location.hash = '#/map'")
    wait("the map with the CAP circle and a scale",
         "!!document.querySelector('#map polygon[data-id=\"%s\"]') && "
         "/ km$/.test(document.getElementById('scale').textContent) && window.__fhMark === 42"
         % capid)
    png = ws.call("Page.captureScreenshot", format="png")["data"]
    with open(shot.replace(".png", "-map.png"), "wb") as f:
        f.write(base64.b64decode(png))
    # Restarts: STEP.ready tells the script to restart the board and fenghuod; STEP.done that
    # it has. The page must reconnect by itself and show the next warning without a reload.
    js("location.hash = '#/'")
    wait("the duty page again", "!!document.getElementById('reports')")
    open(step + ".ready", "w").close()
    end = time.monotonic() + 60
    while not os.path.exists(step + ".done"):
        if time.monotonic() > end:
            fail("the script did not restart the board and fenghuod")
        time.sleep(0.2)
    wait("the live indicator after the restarts",
         "document.getElementById('live').className==='live up'", 40)
    third = subprocess.run(cmd + ["第三个红色预警"], check=True, capture_output=True,
                           text=True).stdout.strip()
    wait("the third warning after the restarts, without a reload",
         "!!document.querySelector('#warnings tr[data-id=\"%s\"]') && window.__fhMark === 42"
         % third, 40)
    # The board came back with --key (KEY, the officer's public key): after a reload the
    # pages offer the stages; one is signed after its confirmation and shows in the loop.
    ws.call("Page.reload", ignoreCache=True)
    wait("the next stage's button on the duty page",
         "document.body.dataset.actions === 'true' && !!document.querySelector("
         "'#reports tr[data-id=\"%s\"] button.act[data-stage=\"verified\"]') && "
         "document.getElementById('officer').textContent.indexOf('%s') >= 0" % (rid, key[:16]))
    js("location.hash = '#/report/%s'" % rid)
    wait("the report's stage buttons", "Array.prototype.map.call(document.querySelectorAll("
         "'#actions button.act'), function (b) { return b.dataset.stage; }).join() === "
         "'verified,handling,closed'")
    js("document.querySelector('#actions button[data-stage=\"verified\"]').click()")
    what = wait("the confirmation", "!document.getElementById('confirm').hidden && "
                "document.getElementById('confirm-what').textContent + ' ' + "
                "document.getElementById('confirm-key').textContent")
    if rid[:12] not in what or key[:16] not in what:
        fail("the confirmation does not say which report and key: %r" % what)
    png = ws.call("Page.captureScreenshot", format="png")["data"]
    with open(shot.replace(".png", "-confirm.png"), "wb") as f:
        f.write(base64.b64decode(png))
    if js("!!document.querySelector('#timeline li[data-stage=\"verified\"]')"):
        fail("verified before the confirmation")
    js("document.getElementById('confirm-note').value = '现场已核实'; "
       "document.getElementById('confirm-ok').click()")
    wait("the signed stage in the loop", "document.getElementById('confirm').hidden && "
         "!!document.body.dataset.signed && !!document.querySelector("
         "'#timeline li[data-stage=\"verified\"]')")
    print("board_cdp: signed " + js("document.body.dataset.signed"))
    drill = os.environ.get("FH_BOARD_DRILL")
    if drill:
        # The drill reports tab, then the report's own page (a page load: checked last).
        js("location.hash = '#/drills'")
        wait("the drill report in the list",
             "(function(){var r=document.querySelector('#drillreports tr[data-name=\"%s\"]');"
             "return r && r.querySelector('a').textContent.indexOf('夜间演练') >= 0 && "
             "r.querySelectorAll('a').length > 1;})()" % drill)
        js("document.querySelector('#drillreports tr[data-name=\"%s\"] a').click()" % drill)
        wait("the drill report's page with its tables and pictures",
             "location.pathname === '/drills/%s' && !!document.querySelector('main#report h1') "
             "&& document.querySelector('main#report h1').textContent.indexOf('夜间演练') >= 0 "
             "&& document.querySelectorAll('main#report table').length >= 4 && "
             "document.querySelectorAll('main#report img').length >= 1 && "
             "Array.prototype.every.call(document.querySelectorAll('main#report img'), "
             "function(i){return i.complete && i.naturalWidth > 0;})" % drill)
        png = ws.call("Page.captureScreenshot", format="png")["data"]
        with open(shot.replace(".png", "-drill.png"), "wb") as f:
            f.write(base64.b64decode(png))
        js("document.getElementById('lang').click()")
        wait("the English switch on the report's page",
             "document.getElementById('title').textContent === 'Fenghuo · duty board' && "
             "document.getElementById('live').hidden")
        js("document.getElementById('lang').click()")
    print("board_cdp: ok, screenshot " + shot)
finally:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree(profile, ignore_errors=True)
