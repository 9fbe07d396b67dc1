#!/usr/bin/env bash
# shortids.sh: short ids on stream links (PROTOCOL.md §5, CAP_SHORT_IDS). A county with two
# UDP stream links: to a village running the same daemon, and to a hamlet whose daemon runs
# with FENGHUOD_SHORT_IDS=no, so that it does not announce the capability, as a peer without
# the feature. A backlog of reports imported at the county is announced to both by id.
# Checks that
#   1. county and village use the short form both ways (HAVE prefixes at the village, WANT
#      prefixes at the county) and the village gets every report;
#   2. county and hamlet use whole ids (no prefix reaches the hamlet, none comes from it)
#      and the hamlet gets every report too.
set -euo pipefail
FH_DEADLINE=${FH_DEADLINE:-50}
. "$(dirname "$0")/lib.sh"
N=${N:-60}

stream_trio FENGHUOD_SHORT_IDS short_ids

backlog_bundle county 0 "$N" "$FH_TMP/backlog.fhb"
fh county import "$FH_TMP/backlog.fhb" >/dev/null
log "$N reports imported at the county"
all_at() { [ "$(count_kind "$1" report)" -ge "$N" ]; }
wait_for 40 "the village has every report" all_at village
wait_for 40 "the hamlet has every report" all_at hamlet

# 1. Every report was announced to the village by its prefix; the village asked by prefix.
got=$(link_field village tocounty short_ids_in)
[ "$got" -ge "$N" ] || fail "the village received $got id prefixes, expected at least $N"
asked=$(link_field county tovillage short_ids_in)
[ "$asked" -ge 1 ] || fail "the county received no WANT prefix from the village"
# 2. None to or from the hamlet.
[ "$(link_field hamlet tocounty short_ids_in)" -eq 0 ] || fail "the hamlet received prefixes"
[ "$(link_field county tohamlet short_ids_in)" -eq 0 ] || fail "the hamlet sent prefixes"
log "ok: village $got prefixes in, county $asked from it; hamlet by whole ids"
