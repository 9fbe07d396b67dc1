#!/usr/bin/env bash
# board_duty.sh: /api/duty over a county's year with more open reports than the board lists
# (`fenghuo-bench duty-store -r 1400`: over a thousand of this week's reports still open,
# hundreds of expired warnings with their receipts, warnings in force, exercises): the
# oldest 1000 reports exactly as `fenghuo duty --json` lists them first, the rest counted
# exactly in "omitted" (the reader counts them without building them), every warning and
# exercise as duty lists it; a second request, after the board released the store's pages,
# gives the same.
set -euo pipefail
FH_DEADLINE=55
. "$(dirname "$0")/lib.sh"
: "${FH_BENCH:?FH_BENCH: the fenghuo-bench binary}"

S=$FH_TMP/county
mkdir "$S"
"$FH_BENCH" duty-store -n 6000 -r 1400 -s 9 "$S" >"$FH_TMP/expect"
"$FENGHUO" --state "$S" duty --json >"$FH_TMP/cli.json"

start_board "$S" 0
base=$BOARD_URL
curl -s -f "$base/api/duty" >"$FH_TMP/duty1.json" || fail "/api/duty"
curl -s -f "$base/api/duty" >"$FH_TMP/duty2.json" || fail "/api/duty, again"

"$FH_PY" - "$FH_TMP/expect" "$FH_TMP/cli.json" "$FH_TMP/duty1.json" "$FH_TMP/duty2.json" <<'PY' ||
import json, sys
expect, cli, d1, d2 = sys.argv[1:5]
nopen = sum(1 for l in open(expect) if l.startswith("open "))
if nopen <= 1000:
    sys.exit("only %d open reports: the limit is not reached" % nopen)
listed = [json.loads(l) for l in open(cli)]
reports = [o["id"] for o in listed if o["duty"] == "report"]
others = [o["id"] for o in listed if o["duty"] != "report"]
if len(reports) != nopen:
    sys.exit("duty --json lists %d open reports, duty-store says %d" % (len(reports), nopen))
for path in (d1, d2):
    d = json.load(open(path))
    got = [o["id"] for o in d["items"] if o["duty"] == "report"]
    if got != reports[:1000]:
        sys.exit("%s: the reports are not the oldest 1000 of duty --json" % path)
    if [o["id"] for o in d["items"] if o["duty"] != "report"] != others:
        sys.exit("%s: warnings and exercises differ from duty --json" % path)
    if d["omitted"] != {"report": nopen - 1000}:
        sys.exit("%s: omitted %r, wanted %d reports" % (path, d["omitted"], nopen - 1000))
    for o in d["items"]:
        if o["duty"] == "warning" and o["coverage"] is None:
            sys.exit("%s: a warning without coverage: %r" % (path, o))
PY
	fail "/api/duty (board log: $(cat "$FH_TMP/board.log"))"
log "ok"
