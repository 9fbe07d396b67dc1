#!/bin/bash
# tty.sh: a report whose title and text carry terminal control (an escape sequence that would
# recolour or erase lines, a carriage return that would overwrite one, a C1 CSI) reaches a
# terminal as '?', never as control; Chinese text is untouched. Pipes and files get the exact
# bytes (scripts read --json, which escapes controls).
. "$(dirname "$0")/lib.sh"
MKBUNDLE=${2:?usage: $0 fenghuo fh_mkbundle}

S=$TMP/state
fh "$S" keygen
expect_rc $EX_OK
TITLE=$'\e[2J\e[31m假警报\rOVERDUE\xc2\x9b1m 山体滑坡'
# The CLI refuses such a title; another program signs it, and it comes on a bundle.
fh "$S" report --region 330110101001 --category flood --title "$TITLE"
expect_rc $EX_USAGE
expect_err "--title must be one line"
R=$("$MKBUNDLE" titled "$S/node.key" 330110101001 "$TITLE" $'a\e]0;x\ab' "$TMP/t.fhb") ||
	fail "fh_mkbundle titled"
fh "$S" import "$TMP/t.fhb"
expect_rc $EX_OK
expect_out "new: 1"

# Under a pseudo-terminal (raw, so that the pty adds no \r of its own).
for verb in "list" "show $R" "duty --overdue 0s"; do
	python3 - "$FENGHUO" "$S" $verb >"$TMP/tty.out" <<'PY' || fail "running fenghuo $verb on a pty"
import os, pty, select, subprocess, sys, time, tty
m, s = pty.openpty()
tty.setraw(s)
p = subprocess.Popen([sys.argv[1], "--state", sys.argv[2]] + sys.argv[3:], stdout=s,
                     stderr=subprocess.DEVNULL)
# Keep our copy of the slave open until the child is gone, and drain the master: a master
# whose slave has hung up may report EIO before every byte was read.
out = b""
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    ready, _, _ = select.select([m], [], [], 0.1)
    if ready:
        out += os.read(m, 65536)
    elif p.poll() is not None:
        break
p.wait(timeout=5)
os.close(s)
sys.stdout.buffer.write(out)
sys.exit(p.returncode)
PY
	python3 - "$TMP/tty.out" "$verb" <<'PY' || fail "fenghuo $verb let terminal control through"
import sys
out = open(sys.argv[1], "rb").read()
for bad in (b"\x1b", b"\r", b"\xc2\x9b", b"\x07"):
    assert bad not in out, (sys.argv[2], bad, out)
assert "假警报?OVERDUE?1m 山体滑坡".encode() in out, out
PY
done

# Not a terminal: a table still gets the title on one line without controls (a script reading
# lines must not see a forged one); --json gets the exact bytes.
fh "$S" list
[ "$(wc -l <"$TMP/out")" -eq 1 ] || fail "list in a pipe: $(cat "$TMP/out")"
grep -q "假警报?OVERDUE?1m 山体滑坡" "$TMP/out" || fail "list in a pipe: $(cat "$TMP/out")"
fh "$S" list --json
python3 - "$TMP/out" "$TITLE" <<'PY' || fail "list --json: the title is not exact"
import json, sys
o = json.loads(open(sys.argv[1], "rb").readline())
assert o["title"] == sys.argv[2], (o["title"], sys.argv[2])
PY
echo "tty: ok"
