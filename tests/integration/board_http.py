#!/usr/bin/env python3
"""board_http.py: the HTTP checks of board.sh against a running `fenghuo board`.

board_http.py BASE WID RID ROSTER -- CMD...   (CMD: issues a new warning, prints its id)

Every API endpoint's JSON, 404s, an oversize request, path traversal, methods, the security
headers, and one Server-Sent Event for a message that arrives while the stream is open.
"""
import http.client
import json
import subprocess
import sys
import time
import urllib.parse

base, wid, rid, roster = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
cmd = sys.argv[sys.argv.index("--") + 1:]
u = urllib.parse.urlsplit(base)
host, port = u.hostname, u.port


def fail(msg):
    print("board_http: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def req(method, path, headers=None, body=None):
    c = http.client.HTTPConnection(host, port, timeout=30)
    c.putrequest(method, path, skip_accept_encoding=True)
    for k, v in (headers or {}).items():
        c.putheader(k, v)
    c.endheaders(body)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.headers, data


def get_json(path, want=200):
    st, h, data = req("GET", path)
    if st != want:
        fail("%s: status %d, wanted %d: %r" % (path, st, want, data[:300]))
    if not h.get("Content-Type", "").startswith("application/json"):
        fail("%s: content type %s" % (path, h.get("Content-Type")))
    return json.loads(data)


# ---- the API ----
duty = get_json("/api/duty")
items = duty["items"]
if duty.get("omitted") != {}:
    fail("duty: omitted %r" % duty.get("omitted"))
rep = [o for o in items if o.get("id") == rid]
if len(rep) != 1 or rep[0]["duty"] != "report" or rep[0]["stage"] is not None or \
        "age_ms" not in rep[0] or "overdue" not in rep[0]:
    fail("duty: the open report: %r" % items)
war = [o for o in items if o.get("id") == wid]
if len(war) != 1 or war[0]["duty"] != "warning" or war[0]["level"] != "red":
    fail("duty: the warning: %r" % items)
cov = war[0]["coverage"]
if cov["roster"] != roster or cov["confirmed"] != roster:
    fail("duty: the warning's coverage: %r" % cov)
if get_json("/api/duty?region=330110")["items"] == []:
    fail("duty?region=330110 is empty")
get_json("/api/duty?region=x'", want=400)

c = get_json("/api/coverage/" + wid)
if c["confirmed"] != roster or len(c["nodes"]) != roster or not c["townships"]:
    fail("coverage: %r" % c)
c8 = get_json("/api/coverage/" + wid[:12])
if c8["id"] != c["id"]:
    fail("coverage by a prefix: %r" % c8)
get_json("/api/coverage/" + rid, want=404)          # a report: not a warning
get_json("/api/coverage/" + "0" * 64, want=404)      # unknown
get_json("/api/coverage/nothex", want=404)
t = get_json("/api/trace/" + wid)
if len(t["nodes"]) < roster:
    fail("trace: %r" % t)
msg = get_json("/api/message/" + rid)
if msg["message"]["id"] != rid or msg["message"]["kind"] != "report" or msg["refs"] != []:
    fail("message of the report: %r" % msg)
msg = get_json("/api/message/" + wid)
if len([x for x in msg["refs"] if x.get("kind") == "receipt" and
        x.get("stage") == "delivered"]) < roster:
    fail("message of the warning: its delivery receipts: %r" % msg)
get_json("/api/message/" + "f" * 64, want=404)
get_json("/api/message/abc", want=404)
p = get_json("/api/peers")
if not isinstance(p.get("peers"), list) or not p["peers"]:
    fail("peers: %r" % p)
st, h, m = req("GET", "/metrics")
m = m.decode()
if st != 200 or not h["Content-Type"].startswith("text/plain; version=0.0.4") or \
        "\nfenghuo_duty_open_reports 1\n" not in m or \
        "\nfenghuo_duty_warnings_in_force 1\n" not in m or "# TYPE" not in m:
    fail("metrics: %d %s" % (st, m))
# The daemon's own counters, rendered as `fenghuo status --prometheus` renders them.
if "# TYPE fenghuo_store_messages gauge\n" not in m or \
        "\nfenghuo_messages_stored_total " not in m or "\nfenghuo_peer_up{" not in m:
    fail("metrics without the daemon's counters: %s" % m)

# ---- errors and hardening ----
for path in ("/nope", "/api/nope", "/api/duty/x", "/index.htm"):
    get_json(path, want=404)
st, h, page = req("GET", "/")
if st != 200 or not h["Content-Type"].startswith("text/html"):
    fail("the page: %d" % st)
csp = h.get("Content-Security-Policy", "")
if "default-src 'none'" not in csp or "script-src 'self'" not in csp or \
        h.get("X-Content-Type-Options") != "nosniff":
    fail("security headers: %r" % dict(h))
for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/board.js/../../x",
             "/..%2f..%2fetc%2fpasswd", "/a\\..\\b", "//etc/passwd"):
    st, _, data = req("GET", path)
    if st not in (400, 404) or b"root:" in data:
        fail("traversal %s: %d" % (path, st))
for method in ("POST", "PUT", "DELETE"):
    st, h, _ = req(method, "/api/duty", {"Content-Length": "0"}, b"")
    if st != 405:
        fail("%s: %d" % (method, st))
st, _, _ = req("POST", "/api/duty", {"Content-Length": "10000000"})
if st != 413:
    fail("a 10 MB body: %d" % st)
st, _, _ = req("GET", "/api/duty", {"X-Filler": "a" * 40000})
if st not in (413, 414, 431):
    fail("a 40 kB header: %d" % st)
st, _, _ = req("GET", "/" + "a" * 40000)
if st not in (413, 414, 431):
    fail("a 40 kB URL: %d" % st)

# ---- Server-Sent Events ----
c = http.client.HTTPConnection(host, port, timeout=30)
c.request("GET", "/api/events")
r = c.getresponse()
if r.status != 200 or not r.headers["Content-Type"].startswith("text/event-stream"):
    fail("events: %d %s" % (r.status, r.headers["Content-Type"]))


def next_event():
    ev, data = None, None
    while True:
        line = r.fp.readline()
        if not line:
            fail("events: the stream ended")
        line = line.decode().rstrip("\n")
        if line.startswith("event: "):
            ev = line[7:]
        elif line.startswith("data: "):
            data = json.loads(line[6:])
        elif line == "" and ev is not None:
            return ev, data


ev, data = next_event()
if ev != "daemon" or data != {"up": True}:
    fail("events: first %s %r" % (ev, data))
new = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    ev, data = next_event()
    if ev == "message" and data.get("id") == new:
        if data.get("kind") != "warning" or data.get("level") != "red":
            fail("events: %r" % data)
        break
else:
    fail("events: no event for " + new)
c.close()
print("board_http: ok")
