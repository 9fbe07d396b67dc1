#!/usr/bin/env python3
"""board_cdp.py: drive headless Chromium over the DevTools protocol (stdlib only) through
the checks of board_pages.py.

board_cdp.py CHROMIUM URL RID WID CAPID ARTDIR STEP -- CMD...  (board_pages.py says what)
"""
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request

from board_pages import fail, main, started, stop_group


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

    def call(self, method, tolerate=False, **params):
        """The result of method; an error fails the test, or gives {} when tolerated."""
        self.n += 1
        self.send({"id": self.n, "method": method, "params": params})
        while True:
            m = self.recv()
            if m.get("id") == self.n:
                if "error" in m and not tolerate:
                    fail("%s: %r" % (method, m["error"]))
                return m.get("result", {})


class Chromium:
    """A headless Chromium of its own (a fresh profile, its own process group) and its
    first page, over the DevTools protocol."""

    def __init__(self, chromium):
        self.chromium = chromium
        self.proc = None
        self.profile = tempfile.mkdtemp(prefix="fh-chromium.")

    def start(self):
        chromium = self.chromium
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--no-default-browser-check", "--disable-dev-shm-usage",
             "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
             "--user-data-dir=" + self.profile, "--window-size=1920,1080",
             "--autoplay-policy=no-user-gesture-required", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        started(self.proc)
        port = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and port is None:
            try:
                with open(os.path.join(self.profile, "DevToolsActivePort")) as f:
                    port = int(f.readline())
            except (OSError, ValueError):
                if self.proc.poll() is not None:
                    fail("chromium exited with %d" % self.proc.returncode)
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
        self.ws = WS(pages[0]["webSocketDebuggerUrl"])
        self.ws.call("Page.enable")

    def viewport(self, w, h):
        self.ws.call("Emulation.setDeviceMetricsOverride", width=w, height=h,
                     deviceScaleFactor=1, mobile=False)

    def navigate(self, url):
        self.ws.call("Page.navigate", url=url)
        end = time.monotonic() + 30
        while self.js("location.href === %s && document.readyState === 'complete'"
                      % json.dumps(url)) is not True:
            if time.monotonic() > end:
                fail("chromium did not load " + url)
            time.sleep(0.1)

    def js(self, expr):
        # Tolerated: a page between two documents has no context to evaluate in.
        r = self.ws.call("Runtime.evaluate", tolerate=True, expression=expr,
                         returnByValue=True)
        return r.get("result", {}).get("value")

    def screenshot(self, path):
        png = self.ws.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(png))

    def close(self):
        if self.proc is not None:
            stop_group(self.proc, self.profile)
        shutil.rmtree(self.profile, ignore_errors=True)


if __name__ == "__main__":
    main(Chromium)
