#!/usr/bin/env python3
"""board_drills.py: the HTTP checks of board_drills.sh against a running `fenghuo board`.

board_drills.py BASE NAME TITLE PICTURES

NAME is the real drill report's directory, TITLE its drill's title, PICTURES 1 when gnuplot
and graphviz drew its pictures. The directory "hostile" holds the hostile report and the
traps (board_drills.sh makes them).
"""
import http.client
import json
import re
import sys
import urllib.parse

base, name, title, pictures = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
u = urllib.parse.urlsplit(base)


def fail(msg):
    print("board_drills: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def req(path, method="GET"):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.putrequest(method, path, skip_accept_encoding=True)
    c.endheaders()
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.headers, data


def get(path, want=200, ctype=None):
    st, h, data = req(path)
    if st != want:
        fail("%s: status %d, wanted %d: %r" % (path, st, want, data[:300]))
    if ctype is not None and h.get("Content-Type") != ctype:
        fail("%s: Content-Type %r, wanted %r" % (path, h.get("Content-Type"), ctype))
    return h, data


# ---- the list ----
_, data = get("/api/drills", ctype="application/json")
drills = json.loads(data)["drills"]
names = [d["name"] for d in drills]
if names != [name, "hostile"]:
    fail("/api/drills: names %r (newest first; no links, hidden or report-less ones)" % names)
real = drills[0]
if real["title"] != "演练评估报告 Drill evaluation: " + title or \
        not isinstance(real["time_ms"], int):
    fail("/api/drills: the real report %r" % real)
want = ["coverage.png", "coverage.svg", "townships.png", "townships.svg", "tree.png",
        "tree.svg"] if pictures else []
if real["pictures"] != want:
    fail("/api/drills: pictures %r, wanted %r" % (real["pictures"], want))
hostile = drills[1]
if hostile["title"] != 'Hostile <script>alert("title")</script> report' or \
        hostile["pictures"] != ["own.png"]:
    fail("/api/drills: the hostile report %r (its title is data, shown as text)" % hostile)

# ---- the real report, rendered ----
h, page = get("/drills/" + name, ctype="text/html; charset=utf-8")
page = page.decode()
csp = h.get("Content-Security-Policy", "")
if "default-src 'none'" not in csp or "script-src 'self'" not in csp:
    fail("/drills/%s: CSP %r" % (name, csp))
for text in ("<h1>演练评估报告 Drill evaluation: " + title + "</h1>",
             "<h2>覆盖情况 Coverage</h2>", "<h2>各节点 Per node</h2>",
             "<th>项目 Item</th>", "<td>状态 Status</td>", "<td>exercise 演练</td>",
             '<main id="report" class="report">', 'href="/board.css"', 'src="/board.js"',
             'href="/#/drills"'):
    if text not in page:
        fail("/drills/%s: no %r in the page" % (name, text))
if page.count("<table>") < 4:
    fail("/drills/%s: %d tables" % (name, page.count("<table>")))
imgs = re.findall(r'<img src="([^"]*)"', page)
want = ["/drills/%s/%s" % (name, p) for p in ("coverage.svg", "tree.svg", "townships.svg")]
if pictures and imgs != want:
    fail("/drills/%s: images %r, wanted %r" % (name, imgs, want))

# ---- its files ----
for f, ctype, magic in (("coverage.svg", "image/svg+xml", b"<svg"),
                        ("tree.png", "image/png", b"\x89PNG"),
                        ("report.md", "text/markdown; charset=utf-8", "# 演练评估报告".encode()),
                        ("report.json", "application/json", b"{")):
    if not pictures and f.endswith(("svg", "png")):
        continue
    h, data = get("/drills/%s/%s" % (name, f), ctype=ctype)
    if magic not in data[:600]:
        fail("%s: %r" % (f, data[:100]))
    csp = h.get("Content-Security-Policy", "")
    if "default-src 'none'" not in csp or "sandbox" not in csp or "script" in csp or \
            h.get("X-Content-Type-Options") != "nosniff":
        fail("%s: headers %r" % (f, dict(h)))
if pictures:
    st, h, data = req("/drills/%s/coverage.png" % name, "HEAD")
    if st != 200 or h.get("Content-Type") != "image/png" or data != b"":
        fail("HEAD coverage.png: %d %r" % (st, dict(h)))
json.loads(get("/drills/%s/report.json" % name)[1])

# ---- the hostile report ----
_, page = get("/drills/hostile", ctype="text/html; charset=utf-8")
main = page.decode().split('<main id="report" class="report">', 1)[1].split("</main>", 1)[0]
for bad in ("<script", "onerror", "onclick", "javascript:", "JaVaScRiPt", "data:text",
            "192.0.2.1", "/etc/passwd", "../"):
    if bad.lower() in main.lower():
        fail("/drills/hostile: %r in the rendered report: %s" % (bad, main))
if "<h1>Hostile" not in main or "<table>" not in main or \
        '<img src="/drills/hostile/own.png"' not in main:
    fail("/drills/hostile: %s" % main)
if b"<script" in page.replace(b'<script src="/board.js" defer></script>', b""):
    fail("/drills/hostile: a script besides board.js")

# ---- refusals: nothing outside the drills directory, nothing it should not serve ----
for path, codes in (
        ("/drills/hostile/passwd.md", (404,)),          # a link to /etc/passwd
        ("/drills/hostile/passwd.png", (404,)),
        ("/drills/hostile/fifo.md", (404,)),            # not a regular file; must not hang
        ("/drills/hostile/big.png", (403,)),            # over the size limit
        ("/drills/hostile/sub/x.png", (400, 404)),
        ("/drills/hostile/report.txt", (400,)),         # not a report's kind of file
        ("/drills/%s/coverage.dat" % name, (400,)),
        ("/drills/%s/pictures.log" % name, (400,)),
        ("/drills/outside", (404,)),                    # a link to a directory outside
        ("/drills/outside/report.md", (404,)),
        ("/drills/root/etc/passwd", (400, 404)),
        ("/drills/root", (404,)),
        ("/drills/.hidden", (400,)),
        ("/drills/.hidden/report.md", (400,)),
        ("/drills/notes", (404,)),
        ("/drills/nope", (404,)),
        ("/drills/", (400, 404)),
        ("/drills/..", (400,)),
        ("/drills/../../../etc/passwd", (400,)),
        ("/drills/%2e%2e/%2e%2e/etc/passwd", (400,)),
        ("/drills/hostile/%2e%2e/%2e%2e/%2e%2e/etc/passwd", (400,)),
        ("/drills/..%2f..%2f..%2fetc%2fpasswd", (400,)),
        ("/drills/hostile/..%2fhostile%2freport.md", (400,)),
        ("/drills//etc/passwd", (400,)),
        ("/drills/hostile//etc/passwd", (400,)),
        ("/drills/%2fetc%2fpasswd", (400,)),
        ("/drills/hostile/%2fetc%2fpasswd", (400,)),
        ("/drills/hostile\\..\\..\\x", (400,)),
        ("/drills/" + "a" * 200, (400,))):
    st, _, data = req(path)
    if st not in codes or b"root:" in data or b"secret-outside" in data or \
            b"Hidden" in data:
        fail("%s: %d (wanted %r): %r" % (path, st, codes, data[:200]))
print("board_drills: ok")
