#!/usr/bin/env python3
"""board_actions.py: the HTTP side of board_actions.sh against a running `fenghuo board`.

board_actions.py readonly BASE RID                  a board without --key
board_actions.py act BASE RID CERTID KEY NAME       a board with KEY (named NAME), verifier for
                                                    RID's region: every refusal, then one
                                                    action; prints the receipt's id last
board_actions.py refused BASE RID STATUS            a valid action is answered STATUS
"""
import http.client
import json
import re
import sys
import urllib.parse

mode, base = sys.argv[1], sys.argv[2]
u = urllib.parse.urlsplit(base)
host, port = u.hostname, u.port
origin = "http://%s:%d" % (host, port)


def fail(msg):
    print("board_actions %s: FAIL: %s" % (mode, msg), file=sys.stderr)
    sys.exit(1)


def req(method, path, headers=None, body=None, chunked=False):
    c = http.client.HTTPConnection(host, port, timeout=30)
    c.putrequest(method, path, skip_host="Host" in (headers or {}),
                 skip_accept_encoding=True)
    for k, v in (headers or {}).items():
        c.putheader(k, v)
    if chunked:
        c.putheader("Transfer-Encoding", "chunked")
        c.endheaders()
        for i in range(0, len(body), 1000):
            part = body[i:i + 1000]
            c.send(b"%x\r\n%s\r\n" % (len(part), part))
        c.send(b"0\r\n\r\n")
    else:
        if body is not None:
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
    r = c.getresponse()
    data = r.read()
    c.close()
    try:
        j = json.loads(data)
    except ValueError:
        j = None
    return r.status, r.headers, j


def session(cookie=None):
    st, h, j = req("GET", "/api/session", {"Cookie": cookie} if cookie else None)
    if st != 200 or not isinstance(j, dict):
        fail("/api/session: %d %r" % (st, j))
    return h, j


def action(rid, body, sid=None, csrf=None, extra=None, drop=(), path=None, chunked=False):
    """A POST as the page sends it; extra overrides headers, drop leaves some out."""
    hd = {"Origin": origin, "Content-Type": "application/json"}
    if sid is not None:
        hd["Cookie"] = "fh_board_session=" + sid
    if csrf is not None:
        hd["X-CSRF-Token"] = csrf
    hd.update(extra or {})
    for k in drop:
        hd.pop(k, None)
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    return req("POST", path or "/api/report/%s/stage" % rid, hd, body, chunked)


def expect(what, got, status, word=None):
    st, _, j = got
    if st != status or not isinstance(j, dict) or "error" not in j or \
            (word is not None and word not in j["error"]):
        fail("%s: %d %r, wanted %d with an error%s" %
             (what, st, j, status, " saying " + word if word else ""))


def readonly(rid):
    h, j = session()
    if j != {"actions": False} or h.get("Set-Cookie"):
        fail("read-only session: %r %r" % (j, h.get("Set-Cookie")))
    expect("a POST to a read-only board", action(rid, {"stage": "verified"}), 405,
           "read-only")


def new_session():
    h, j = session()
    m = re.match(r"fh_board_session=([0-9a-f]{64}); Path=/; HttpOnly; SameSite=Strict$",
                 h.get("Set-Cookie") or "")
    if not m or not re.fullmatch(r"[0-9a-f]{64}", j.get("csrf", "")):
        fail("session: %r %r" % (h.get("Set-Cookie"), j))
    return m.group(1), j


def act(rid, certid, key, name):
    sid, j = new_session()
    csrf = j["csrf"]
    if j.get("actions") is not True or j.get("key") != {"public": key, "short": key[:16],
                                                         "name": name}:
        fail("session with a key: %r" % j)
    h, j2 = session("fh_board_session=" + sid)
    if h.get("Set-Cookie") or j2.get("csrf") != csrf:
        fail("the same session again: %r %r" % (h.get("Set-Cookie"), j2))
    ok = {"stage": "verified", "note": "已核实，派出抢险队"}

    expect("no session", action(rid, ok, csrf=csrf), 403, "session")
    expect("another session's id", action(rid, ok, "0" * 64, csrf), 403, "session")
    expect("no CSRF token", action(rid, ok, sid), 403, "CSRF")
    expect("a wrong CSRF token", action(rid, ok, sid, "0" * 64,
                                        {"X-Forwarded-For": "10.1.2.3"}), 403, "CSRF")
    expect("a short CSRF token", action(rid, ok, sid, csrf[:63]), 403, "CSRF")
    expect("another origin", action(rid, ok, sid, csrf, {"Origin": "http://evil.example"}),
           403, "Origin")
    expect("another port", action(rid, ok, sid, csrf,
                                  {"Origin": "http://%s:%d" % (host, port + 1)}), 403, "Origin")
    expect("Origin null", action(rid, ok, sid, csrf, {"Origin": "null"}), 403, "Origin")
    expect("no Origin, no Referer", action(rid, ok, sid, csrf, drop=("Origin",)), 403,
           "Origin")
    expect("a Referer of another site", action(rid, ok, sid, csrf,
                                                {"Referer": "http://evil.example/"},
                                                drop=("Origin",)), 403, "Origin")
    # DNS rebinding: another name that resolves here, its page and Host agreeing.
    expect("a Host that is not the loopback", action(
        rid, ok, sid, csrf, {"Host": "evil.example:%d" % port,
                             "Origin": "http://evil.example:%d" % port}), 403, "Origin")
    # Another site's fetch with JSON needs a preflight, which the board never grants.
    st, h, _ = req("OPTIONS", "/api/report/%s/stage" % rid,
                   {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "content-type,x-csrf-token"})
    if 200 <= st < 300 or any(k.lower().startswith("access-control-") for k in h.keys()):
        fail("a CORS preflight: %d %r" % (st, dict(h)))
    expect("not JSON", action(rid, ok, sid, csrf, {"Content-Type": "text/plain"}), 415,
           "application/json")
    expect("no Content-Type", action(rid, ok, sid, csrf, drop=("Content-Type",)), 415)
    big = json.dumps({"stage": "verified", "note": "x" * 5000}).encode()
    expect("a body over the limit", action(rid, big, sid, csrf), 413)
    expect("a chunked body over the limit", action(rid, big, sid, csrf, chunked=True), 413)
    # A Referer of the board's own page stands for the Origin: the JSON is judged next.
    expect("malformed JSON", action(rid, b'{"stage": ', sid, csrf,
                                    {"Referer": origin + "/"}, drop=("Origin",)), 400)
    expect("not an object", action(rid, ["verified"], sid, csrf), 400)
    expect("an unknown field", action(rid, {"stage": "verified", "by": "x"}, sid, csrf), 400)
    expect("no stage", action(rid, {"note": "x"}, sid, csrf), 400, "stage")
    expect("stage delivered", action(rid, {"stage": "delivered"}, sid, csrf), 400, "stage")
    expect("stage bogus", action(rid, {"stage": "done"}, sid, csrf), 400, "stage")
    expect("a note not a string", action(rid, {"stage": "verified", "note": 3}, sid, csrf),
           400, "note")
    expect("a long note", action(rid, {"stage": "verified", "note": "x" * 1001}, sid, csrf),
           400, "note")
    expect("an unknown report", action("0" * 64, ok, sid, csrf), 404)
    expect("not an id", action(None, ok, sid, csrf, path="/api/report/xyz/stage"), 404)
    expect("a certificate", action(certid, ok, sid, csrf), 404, "not a report")
    expect("another action", action(rid, ok, sid, csrf, path="/api/report/%s/close" % rid),
           404)

    st, _, r = action(rid[:12], ok, sid, csrf)
    if st != 200 or r.get("report") != rid or r.get("stage") != "verified" or \
            r.get("key") != key or not re.fullmatch(r"[0-9a-f]{64}", r.get("id", "")):
        fail("the action: %d %r" % (st, r))
    d = req("GET", "/api/duty")[2]
    if [o.get("stage") for o in d["items"] if o.get("id") == rid] != ["verified"]:
        fail("the board's duty list after the action: %r" % d)

    # The board keeps a bounded number of sessions: many new ones evict this one.
    for _ in range(40):
        new_session()
    expect("an evicted session", action(rid, ok, sid, csrf), 403, "session")
    print(r["id"])


def refused(rid, status):
    sid, j = new_session()
    expect("an action answered %d" % status,
           action(rid, {"stage": "closed"}, sid, j["csrf"]), status)


if mode == "readonly":
    readonly(sys.argv[3])
elif mode == "act":
    act(*sys.argv[3:7])
elif mode == "refused":
    refused(sys.argv[3], int(sys.argv[4]))
else:
    fail("unknown mode")
print("board_actions %s: ok" % mode, file=sys.stderr)
