#!/usr/bin/env python3
"""follow.py: drive `fenghuo duty --follow` on a pseudo-terminal (used by follow.sh).

usage: follow.py FENGHUO STATE REGION BELL(1|0) [extra duty args...]

Starts duty --follow on a pty, waits for its first screen, then writes a red warning and a
report (through the running daemon) and waits, each with a deadline, until the screen shows:
the warning in the red highlight with NEW and its expiry, the report fallen overdue in its
highlight, and a bell (BELL=1) or none at all (BELL=0). Then SIGINT: the child must exit 0
after leaving the alternate screen and showing the cursor again. Exit 0 when all held; else
prints what was missing and the screen bytes.
"""
import os, pty, select, signal, subprocess, sys, time, tty

fenghuo, state, region, bell = sys.argv[1:5]
extra = sys.argv[5:]
RED = b"\x1b[1;37;41m"
OVERDUE = b"\x1b[1;31m"

m, s = pty.openpty()
tty.setraw(s)
env = dict(os.environ)
env.pop("NO_COLOR", None)
child = subprocess.Popen([fenghuo, "--state", state, "duty", "--follow"] + extra,
                         stdin=s, stdout=s, stderr=subprocess.PIPE, env=env)
out = b""


def fail(what):
    try:
        child.kill()
        child.wait(timeout=10)
    except Exception:
        pass
    sys.stderr.write("FAIL: %s\n--- screen bytes:\n%r\n" % (what, out[-4000:]))
    sys.exit(1)


def read_until(cond, what, secs=30):
    global out
    deadline = time.monotonic() + secs
    while not cond():
        left = deadline - time.monotonic()
        if left <= 0:
            fail("timed out waiting for " + what)
        if child.poll() is not None:
            fail("duty --follow exited (%d) waiting for %s: %s" %
                 (child.returncode, what, child.stderr.read().decode(errors="replace")))
        ready, _, _ = select.select([m], [], [], min(left, 0.5))
        if ready:
            out += os.read(m, 65536)


def fh(*args):
    r = subprocess.run([fenghuo, "--state", state] + list(args), capture_output=True)
    if r.returncode != 0:
        fail("fenghuo %s: %s" % (" ".join(args), r.stderr.decode(errors="replace")))
    return r.stdout.decode().strip()


read_until(lambda: b"live (Ctrl-C to leave)" in out and b"in force" in out, "the first screen")
first = len(out)
wid = fh("warn", "--area", region[:6], "--level", "red", "--event", "暴雨",
         "--title", "follow red warning")
rid = fh("report", "--region", region, "--category", "test", "--title", "follow report")
sw, sr = wid[:12].encode(), rid[:12].encode()
# The red line comes highlighted, NEW and with its expiry on the line below.
read_until(lambda: RED + b"red      " + sw in out[first:], "the red warning highlighted")
read_until(lambda: b"NEW, expires " in out[first:], "NEW and the expiry of the warning")
# The report falls overdue after --overdue (2s): the screen redraws by itself.
read_until(lambda: OVERDUE + b"OVERDUE  " + sr in out[first:], "the report overdue, highlighted")
read_until(lambda: b"NEW: overdue since" in out[first:], "NEW on the overdue report")
if bell == "1":
    read_until(lambda: b"\x07" in out[first:], "the bell")
elif b"\x07" in out:
    fail("a bell with --no-bell")
child.send_signal(signal.SIGINT)
try:
    rc = child.wait(timeout=30)
except subprocess.TimeoutExpired:
    fail("duty --follow did not exit on SIGINT")
while True:
    ready, _, _ = select.select([m], [], [], 0.2)
    if not ready:
        break
    try:
        chunk = os.read(m, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.close(s)
if rc != 0:
    fail("exit status %d on SIGINT: %s" % (rc, child.stderr.read().decode(errors="replace")))
if not out.endswith(b"\x1b[?25h\x1b[?1049l"):
    fail("the terminal was not restored (cursor, main screen) at exit")
print("follow.py: ok (bell=%s)" % bell)
