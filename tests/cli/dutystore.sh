#!/bin/bash
# dutystore.sh: `fenghuo duty` over a county's year (`fenghuo-bench duty-store`): hundreds
# of expired warnings, each with a delivery receipt from nearly every node, one cancelled
# long ago and one cancelled while in force, one superseded by an update that is in force,
# an exercise; reports of past weeks closed by their township's verifier, this week's at
# every stage, some closed, one closed by a verifier of another township (which does not
# count) ... all signed, with a trust chain to the county root. duty lists exactly the
# reports the generator left open and the warnings it left in force, each with its
# coverage, in --json, in text and with --region: the duty reader skips what cannot be on
# the list before reading its refs, and must still list everything that is.
. "$(dirname "$0")/lib.sh"
BENCH=${3:?usage: $0 fenghuo fh_mkbundle fenghuo-bench}

S=$TMP/county
mkdir "$S"
"$BENCH" duty-store -n 4000 -s 5 "$S" >"$TMP/expect" 2>"$TMP/err" || fail "duty-store"
grep -q "^warning " "$TMP/expect" || fail "no warning in force: $(cat "$TMP/expect")"

# check REGION: duty --json [--region REGION] lists what $TMP/expect says, nothing else
check() {
	if [ -n "$1" ]; then fh "$S" duty --json --region "$1"; else fh "$S" duty --json; fi
	expect_rc $EX_OK
	python3 - "$TMP/expect" "$TMP/out" "$1" <<'PY' || fail "duty --json ${1:+--region $1}"
import json, sys
expect, out, region = sys.argv[1], sys.argv[2], sys.argv[3]
def concerns(area):
    return area.startswith(region) or region.startswith(area)
want = set()
for line in open(expect):
    f = line.split()
    if f[0] in ("open", "drill-report") and f[2].startswith(region):
        want.add(("report" if f[0] == "open" else f[0], f[1], None, None))
    elif f[0] in ("warning", "drill-warning") and concerns(f[4]):
        want.add((f[0], f[1], int(f[2]), int(f[3])))
got, times = set(), []
for line in open(out):
    o = json.loads(line)
    cov = o.get("coverage")
    if o["duty"].endswith("warning"):
        got.add((o["duty"], o["id"], cov["confirmed"], cov["roster"]))
        if len(o["confirmed_by"]) != cov["confirmed"]:
            sys.exit("%s: confirmed_by %d, coverage %d" % (o["id"], len(o["confirmed_by"]),
                cov["confirmed"]))
    else:
        got.add((o["duty"], o["id"], None, None))
        if o["duty"] == "report":
            times.append(o["time_ms"])
if got != want:
    sys.exit("missing %s\nextra %s" % (sorted(want - got), sorted(got - want)))
if times != sorted(times):
    sys.exit("reports not oldest first")
PY
}
check ""
check 330110104
check 330110105
check 330110105208

# The text list counts the same.
nopen=$(grep -c "^open " "$TMP/expect")
nwarn=$(grep -c "^warning " "$TMP/expect")
fh "$S" duty
expect_rc $EX_OK
expect_out "$nopen open,"
expect_out "$nwarn in force"
expect_out "2 exercise or test messages"
