#!/usr/bin/env bash
# board_drills.sh: the duty board shows drill reports (board_drills.py does the HTTP side):
# - a real `fenghuo drill report ID -o STATE/drills/NAME` (no daemon: the drill warning is
#   written directly and the report skips the trace) is listed by /api/drills, rendered at
#   /drills/NAME with its headings, tables and pictures, and its files are served with their
#   types and a policy that allows no script;
# - a hostile report.md (raw <script>, an onerror attribute, javascript: links, images from
#   elsewhere) is rendered without any of them;
# - traversal is refused and reads nothing outside the drills directory: .., %2e%2e, //,
#   a symbolic link to /etc/passwd, a symbolic link to a report directory outside, names
#   that are not allowed, a FIFO, a file over the size limit;
# - --drills DIR that does not exist is refused at the start; an empty one lists nothing.
set -euo pipefail
FH_DEADLINE=50
. "$(dirname "$0")/lib.sh"

S=$FH_TMP/state
D=$S/drills
"$FENGHUO" --state "$S" keygen >/dev/null 2>&1
did=$("$FENGHUO" --state "$S" drill start --area 330110 --title "暴雨演练")
mkdir -p "$D"
"$FENGHUO" --state "$S" drill report "$did" -o "$D/2026-12-05-flood" >/dev/null 2>"$FH_TMP/report.err" ||
	fail "drill report: $(cat "$FH_TMP/report.err")"
[ -s "$D/2026-12-05-flood/report.md" ] || fail "drill report wrote no report.md"

# A hostile report, older than the real one.
mkdir "$D/hostile"
cat >"$D/hostile/report.md" <<'EOF'
# Hostile <script>alert("title")</script> report

<script>alert("block")</script>

<img src="x.png" onerror="alert('img')">

[a link](javascript:alert('link')) and [another](JaVaScRiPt:alert('case'))
and [data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)

![from elsewhere](http://192.0.2.1/track.png) ![up](../2026-12-05-flood/tree.png)
![abs](/etc/passwd) ![own](own.png)

| a | b |
| --- | --- |
| <b onclick="alert('cell')">x</b> | y |
EOF
printf '\211PNG\r\n\032\n' >"$D/hostile/own.png"
touch -d '2026-12-01 00:00:00' "$D/hostile/report.md"
ln -s /etc/passwd "$D/hostile/passwd.md"
ln -s /etc/passwd "$D/hostile/passwd.png"
mkfifo "$D/hostile/fifo.md"
truncate -s 17M "$D/hostile/big.png"
mkdir "$D/hostile/sub"
printf 'x' >"$D/hostile/sub/x.png"
# Report directories that must not be reached: outside by a link, hidden, the root by a link.
mkdir -p "$FH_TMP/outside"
printf '# Outside\n\nsecret-outside\n' >"$FH_TMP/outside/report.md"
ln -s "$FH_TMP/outside" "$D/outside"
ln -s / "$D/root"
mkdir "$D/.hidden"
printf '# Hidden\n' >"$D/.hidden/report.md"
mkdir "$D/notes"	# no report.md: not a report

start_board "$S" 0
base=$BOARD_URL
pics=1
command -v gnuplot >/dev/null && command -v dot >/dev/null || pics=0
"$FH_PY" "$(dirname "$0")/board_drills.py" "$base" 2026-12-05-flood "暴雨演练" "$pics" ||
	fail "HTTP checks (board log: $(cat "$FH_TMP/board.log"))"

# --drills: a directory that is not there is refused; an empty one lists nothing.
rc=0
"$FENGHUO" --state "$S" board --listen "${base#http://}" --drills "$FH_TMP/nope" \
	2>"$FH_TMP/nope.err" || rc=$?
[ "$rc" -eq 66 ] && grep -qF -- "--drills $FH_TMP/nope" "$FH_TMP/nope.err" ||
	fail "--drills missing: exit $rc, $(cat "$FH_TMP/nope.err")"
mkdir "$FH_TMP/empty"
start_board "$S" 0 --drills "$FH_TMP/empty"
[ "$(curl -s "$BOARD_URL/api/drills")" = '{"drills":[]}' ] ||
	fail "--drills EMPTY: $(curl -s "$BOARD_URL/api/drills")"
log "ok"
