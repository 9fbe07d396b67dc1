#!/bin/bash
# drill.sh: `fenghuo drill` argument errors change nothing and say what is wrong; a drill
# started without a daemon is an exercise warning (direct write), and its report is written
# without the daemon (no trace: said so), as Markdown on stdout or into -o DIR.
. "$(dirname "$0")/lib.sh"

S=$TMP/state
fh "$S" keygen
expect_rc $EX_OK

# ---- argument errors: exit 64, nothing stored ----
fh "$S" drill
expect_rc $EX_USAGE
expect_err "give a subcommand: start or report"
fh "$S" drill rehearse
expect_rc $EX_USAGE
expect_err "unknown subcommand rehearse"
fh "$S" drill start
expect_rc $EX_USAGE
expect_err "--area is required"
fh "$S" drill start --area 330110 extra
expect_rc $EX_USAGE
expect_err "unexpected argument extra"
fh "$S" drill start --area 330110 --level purple
expect_rc $EX_USAGE
fh "$S" drill start --area 330110 --bogus
expect_rc $EX_USAGE
[ "$(count "$S")" -eq 0 ] || fail "a refused drill start stored something"
fh "$S" drill report
expect_rc $EX_USAGE
expect_err "give exactly one drill warning id"
fh "$S" drill report 0123456789abcdef 0123456789abcdef
expect_rc $EX_USAGE
fh "$S" drill report 0123456789abcdef --timeout 61
expect_rc $EX_USAGE
expect_err "--timeout: seconds from 0 to 60"
fh "$S" drill report 0123456789abcdef -o ""
expect_rc $EX_USAGE
fh "$S" receipt 0123456789abcdef --stage registered --region 3301
expect_rc $EX_USAGE
expect_err "a region code of 6, 9 or 12 digits"

# ---- a drill without a daemon ----
fh "$S" drill start --area 330110 --title "夜间演练"
expect_rc $EX_OK
W=$(cat "$TMP/out")
fh "$S" show --json "$W"
expect_rc $EX_OK
expect_out '"status":"exercise"'
expect_out '"level":"red"'
expect_out '"event":"演练"'
# Not a drill: an actual warning, and an unknown id.
fh "$S" warn --area 330110 --level blue --event 大风 --title "大风蓝色预警"
expect_rc $EX_OK
A=$(cat "$TMP/out")
fh "$S" drill report "$A"
expect_rc $EX_DATAERR
expect_err "is not a drill warning"
fh "$S" drill report ffffffffffffffff
expect_rc $EX_DATAERR

fh "$S" drill report "$W"
expect_rc $EX_OK
expect_out "# 演练评估报告 Drill evaluation: 夜间演练"
expect_out "## 覆盖情况 Coverage"
expect_out "not asked: fenghuod is not running"
fh "$S" drill report "$W" --json
expect_rc $EX_OK
python3 -c 'import json, sys
o = json.load(open(sys.argv[1]))
assert o["status"] == "exercise" and o["trace"]["asked"] is False, o
assert o["link_counters"] is None and o["reports"] == [], o' "$TMP/out" ||
	fail "drill report --json: $(cat "$TMP/out")"
# -o into a path that cannot be a directory: 73, nothing half-written elsewhere.
touch "$TMP/file"
fh "$S" drill report "$W" -o "$TMP/file/sub"
expect_rc $EX_CANTCREAT
fh "$S" drill report "$W" -o "$TMP/out.d"
expect_rc $EX_OK
[ -s "$TMP/out.d/report.md" ] && [ -s "$TMP/out.d/report.json" ] || fail "no report in -o DIR"
echo "ok: drill arguments"
