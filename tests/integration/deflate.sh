#!/usr/bin/env bash
# deflate.sh: deflated PUSH frames on stream links (PROTOCOL.md §5, Deflated frames;
# CAP_DEFLATE). A county with two UDP stream links: to a village running the same daemon, and
# to a hamlet whose daemon runs with FENGHUOD_DEFLATE=no, so that it does not announce the
# capability, as a peer without the feature. A backlog of Chinese reports from many villages
# (village_bundle) imported at the county is sent to both. Checks that
#   1. county and village both say deflate, the county sends the reports in deflated PUSH
#      frames that the village takes (deflated_in), saving bytes, and the village gets every
#      report, byte for byte as the county stores it;
#   2. county and hamlet do not: no deflated frame either way, and the hamlet gets every
#      report too;
#   3. nobody counted a frame as garbage.
set -euo pipefail
FH_DEADLINE=${FH_DEADLINE:-50}
. "$(dirname "$0")/lib.sh"
N=${N:-60}

stream_trio FENGHUOD_DEFLATE deflate

village_bundle 0 "$N" "$FH_TMP/backlog.fhb"
fh county import "$FH_TMP/backlog.fhb" >/dev/null
log "$N reports imported at the county"
all_at() { [ "$(count_kind "$1" report)" -ge "$N" ]; }
wait_for 40 "the village has every report" all_at village
wait_for 40 "the hamlet has every report" all_at hamlet

# 1. Deflated to the village, taken there, and the same messages arrived.
out=$(link_field county tovillage deflated_out)
in=$(link_field village tocounty deflated_in)
saved=$(link_field county tovillage deflate_saved)
[ "$out" -ge 1 ] || fail "the county sent no deflated PUSH to the village"
[ "$in" -ge 1 ] || fail "the village took no deflated PUSH"
[ "$saved" -gt 0 ] || fail "deflating saved nothing"
ids() { fh "$1" list --kind report --limit 1000000 --json | "$FH_PY" -c 'import json, sys
print("\n".join(sorted(json.loads(l)["id"] for l in sys.stdin if l.strip())))'; }
[ "$(ids county)" = "$(ids village)" ] || fail "the village holds other reports than the county"
# 2. Nothing deflated to or from the hamlet, which has them all the same.
[ "$(link_field county tohamlet deflated_out)" -eq 0 ] || fail "deflated PUSH to the hamlet"
[ "$(link_field hamlet tocounty deflated_in)" -eq 0 ] || fail "the hamlet took a deflated PUSH"
[ "$(link_field hamlet tocounty deflated_out)" -eq 0 ] || fail "the hamlet deflated a PUSH"
[ "$(ids county)" = "$(ids hamlet)" ] || fail "the hamlet holds other reports than the county"
# 3. No frame was refused anywhere.
for pair in "county tovillage" "county tohamlet" "village tocounty" "hamlet tocounty"; do
	# shellcheck disable=SC2086
	[ "$(link_field $pair garbage)" -eq 0 ] || fail "$pair: frames counted as garbage"
done
log "ok: $out deflated PUSH frames to the village ($saved bytes saved), the hamlet plain"
