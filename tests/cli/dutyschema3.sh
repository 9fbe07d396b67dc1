#!/bin/bash
# dutyschema3.sh: `fenghuo duty` on a schema 3 store (tests/store/fixtures/schema3.mdb, written
# by the release before the loops tree): read as it is, every report judged, and the same list
# once a writer has upgraded it to schema 4 and the reports are walked through the tree.
. "$(dirname "$0")/lib.sh"
FIXTURE=${3:?usage: $0 fenghuo fh_mkbundle schema3.mdb}

S=$TMP/s3
mkdir -m 700 "$S"
cp "$FIXTURE" "$S/data.mdb"
# --since: the fixture's reports stay in the window however old they grow.
fh "$S" duty --json --since 2026-12-01
expect_rc $EX_OK
cp "$TMP/out" "$TMP/before.json"
fh "$S" duty --since 2026-12-01
expect_rc $EX_OK
expect_out "1 open, 0 overdue"
expect_out "1 exercise or test message"
cp "$TMP/out" "$TMP/before.txt"

# A writer (an import, with no daemon running) upgrades the store.
fh "$S" export --since 2099-01-01 -o "$TMP/empty.fhb"
expect_rc $EX_OK
fh "$S" import "$TMP/empty.fhb"
expect_rc $EX_OK
fh "$S" duty --json --since 2026-12-01
expect_rc $EX_OK
cp "$TMP/out" "$TMP/after.json"
fh "$S" duty --since 2026-12-01
expect_rc $EX_OK
cp "$TMP/out" "$TMP/after.txt"

# The same, but for the ages, which grow between the runs.
python3 - "$TMP/before.json" "$TMP/after.json" <<'PY' || fail "duty --json differs after the upgrade"
import json, sys
def load(p):
    out = []
    for line in open(p):
        o = json.loads(line)
        o.pop("age_ms", None)
        out.append(o)
    return out
b, a = load(sys.argv[1]), load(sys.argv[2])
if b != a:
    sys.exit("before %r\nafter %r" % (b, a))
if [o["duty"] for o in a] != ["report", "drill-report"]:
    sys.exit("unexpected items: %r" % [o["duty"] for o in a])
if a[0]["stage"] != "registered":
    sys.exit("the registered report: %r" % a[0])
PY
strip() { sed -E 's/  [0-9dhms]+ +(registered|unregistered)/  AGE \1/; s/registered [0-9dhms]+ ago/registered AGO/' "$1"; }
[ "$(strip "$TMP/before.txt")" = "$(strip "$TMP/after.txt")" ] ||
	fail "duty's text differs after the upgrade: $(diff <(strip "$TMP/before.txt") <(strip "$TMP/after.txt"))"
