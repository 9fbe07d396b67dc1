#!/usr/bin/env python3
"""board_marionette.py: drive headless Firefox over Marionette, its built-in remote
protocol (stdlib only), through the checks of board_pages.py.

board_marionette.py FIREFOX URL RID WID CAPID ARTDIR STEP -- CMD...  (board_pages.py says what)

Marionette is a TCP stream of packets "LENGTH:JSON", LENGTH the JSON's size in bytes (UTF-8).
On connecting, the browser sends {"applicationType": "gecko", "marionetteProtocol": 3}; then
the client sends commands [0, ID, NAME, PARAMS] and each is answered [1, ID, ERROR, RESULT]
(ERROR null on success, else {"error", "message", "stacktrace"}), the WebDriver commands
under names like "WebDriver:Navigate". With the profile's marionette.port at 0 Firefox
listens on a port the system picks, on 127.0.0.1 only, and writes it to the profile's
MarionetteActivePort file: no port can be taken by another test in between.
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

from board_pages import fail, main, started, stop_group

# A fresh profile that talks to nothing but 127.0.0.1 (Marionette already applies its own
# recommended automation preferences on top).
PREFS = {
    "marionette.port": 0,
    "network.proxy.type": 0,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.update.disabledForTesting": True,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "extensions.update.enabled": False,
    # The new red warning's sound, as Chromium's --autoplay-policy allows it.
    "media.autoplay.default": 0,
}


class Firefox:
    """A headless Firefox of its own (a fresh profile, its own process group) and its
    window, over Marionette."""

    def __init__(self, firefox):
        self.firefox = firefox
        self.proc = None
        self.sock = None
        self.buf = b""
        self.n = 0
        self.profile = tempfile.mkdtemp(prefix="fh-firefox.")

    def start(self):
        with open(os.path.join(self.profile, "user.js"), "w") as f:
            for k, v in PREFS.items():
                f.write("user_pref(%s, %s);\n" % (json.dumps(k), json.dumps(v)))
        self.log = open(os.path.join(self.profile, "firefox.log"), "w")
        self.proc = subprocess.Popen(
            [self.firefox, "--headless", "--marionette", "--no-remote", "--profile",
             self.profile, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
            start_new_session=True)
        started(self.proc)
        port = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and port is None:
            try:
                with open(os.path.join(self.profile, "MarionetteActivePort")) as f:
                    port = int(f.read())
            except (OSError, ValueError):
                if self.proc.poll() is not None:
                    fail("firefox exited with %d: %s" % (self.proc.returncode, self.log_tail()))
                time.sleep(0.1)
        if port is None:
            fail("firefox opened no Marionette port: " + self.log_tail())
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        hello = self.recv()
        if hello.get("marionetteProtocol") != 3:
            fail("not Marionette protocol 3: %r" % hello)
        self.call("WebDriver:NewSession", capabilities={"alwaysMatch": {}})

    def log_tail(self):
        try:
            with open(os.path.join(self.profile, "firefox.log"), errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return "(no log)"

    def recv(self):
        while b":" not in self.buf:
            self.more()
        n, rest = self.buf.split(b":", 1)
        n = int(n)
        self.buf = rest
        while len(self.buf) < n:
            self.more()
        data, self.buf = self.buf[:n], self.buf[n:]
        return json.loads(data.decode("utf-8"))

    def more(self):
        c = self.sock.recv(65536)
        if not c:
            fail("Marionette closed the connection: " + self.log_tail())
        self.buf += c

    def call(self, name, tolerate=(), **params):
        """The result of the command name; an error fails the test unless its kind is in
        tolerate (then None)."""
        self.n += 1
        data = json.dumps([0, self.n, name, params]).encode("utf-8")
        self.sock.sendall(b"%d:" % len(data) + data)
        while True:
            m = self.recv()
            if m[0] == 1 and m[1] == self.n:
                break
        if m[2] is not None:
            if m[2].get("error") in tolerate:
                return None
            fail("%s: %s: %s" % (name, m[2].get("error"), m[2].get("message")))
        return m[3]

    def viewport(self, w, h):
        # Marionette sets the window's outer size; the browser's own bars take some of it,
        # so it is set again, larger by what they took (a few tries, bounded).
        ow, oh = w, h
        for _ in range(5):
            self.call("WebDriver:SetWindowRect", width=ow, height=oh)
            iw, ih = self.js("[window.innerWidth, window.innerHeight]")
            if (iw, ih) == (w, h):
                return
            ow, oh = ow + w - iw, oh + h - ih

    def navigate(self, url):
        self.call("WebDriver:Navigate", url=url)

    def js(self, expr):
        # A script that throws gives None, as in Chromium's driver.
        r = self.call("WebDriver:ExecuteScript", tolerate=("javascript error",),
                      script="return (" + expr + ");", args=[])
        return None if r is None else r.get("value")

    def screenshot(self, path):
        png = self.call("WebDriver:TakeScreenshot", full=False)["value"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(png))

    def close(self):
        if self.sock is not None:
            self.sock.close()
        if self.proc is not None:
            stop_group(self.proc, self.profile)
            self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


if __name__ == "__main__":
    main(Firefox)
