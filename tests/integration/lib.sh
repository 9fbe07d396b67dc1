# lib.sh: shared helpers of the multi-node integration scenarios (sourced, bash).
#
# Each scenario builds a small mesh of real fenghuod processes on 127.0.0.1, everything in one
# mktemp -d directory, on private ports derived from the script's pid, and waits for
# conditions by polling them until a deadline, never by sleeping a fixed time. An EXIT trap
# stops every daemon the script started (and prints their logs if the script failed).
#
# Scenarios run under `set -o pipefail`: a pipe never ends in `grep -q`, which may exit
# before the writer has written everything and so fail the pipe by SIGPIPE; `grep ... >/dev/null`
# reads to the end.
#
# Environment: FENGHUOD, FENGHUO (the binaries; ctest sets them), FH_LINKSIM (fenghuo-linksim;
# default: the one built beside FENGHUOD), FH_KEEP=1 keeps the
# temporary directory, FH_VERBOSE=1 prints every node's log at the end even on success,
# FH_DEADLINE bounds the whole script in seconds (set it before sourcing; default 100),
# FH_PUSH sets every node's `push` (eager or plumtree; fenghuod's default when unset).
#
#   make_node NAME REGION [PORT]   a node (key, state dir); PORT defaults to the next free one
#   link A B                       A and B are configured peers of each other
#   udp_link A B [MTU]             ... over a UDP stream link instead ([link toB] / [link toA])
#   udp_section PEER LOCAL REMOTE MTU [BITRATE]  one such [link toPEER] section, ports given
#   county_mesh T V [NAME...]      the county c, townships t1..tT, villages v<i>_<j> (tree)
#   certify_all BY [ROLES]         the county's keys at BY, a node certificate for every node
#   start_node NAME / stop_node NAME / kill_node NAME (SIGKILL)
#   fh NAME ARGS...                fenghuo --state <NAME's state> ARGS...
#   wait_for SECONDS WHAT CMD...   poll CMD until it succeeds, fail with WHAT at the deadline
#   poll_until SECONDS CMD...      the same, returning 1 instead of failing
#   status_field NAME FIELD        a top-level field of `fenghuo status --json`
#   has_msg NAME ID                NAME's store holds ID
#   link_field NAME PEER FIELD     a field of NAME's peer PEER (fenghuo peers --json; stream.* first)
#   backlog_bundle NAME FROM TO FILE  a bundle of reports by NAME's key, written offline
#   village_bundle FROM TO FILE    a bundle of a county's backlog: Chinese reports of 24 villages
#   count_kind NAME KIND           how many messages of KIND NAME holds
#   receipt_links NAME ID          the link kinds NAME's delivery receipts of ID name
#   bg_track PID                   the cleanup also ends this background helper
#   linksim_udp NAME A_FACE A_NODE B_FACE B_NODE [OPTION...]
#                                  a simulated radio (fenghuo-linksim) between two UDP stream links
#   linksim_pty NAME [OPTION...]   a simulated serial line between two pseudo-terminals
#   linksim_stat NAME KEY          a counter of the simulated link NAME (its stats file)
#   fail MESSAGE                   print and exit 1

: "${FENGHUOD:?FENGHUOD must name the fenghuod binary}"
: "${FENGHUO:?FENGHUO must name the fenghuo binary}"

FH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/fh-integ.XXXXXX")
FH_SCRIPT=$(basename "$0" .sh)
FH_SYNC_INTERVAL=${FH_SYNC_INTERVAL:-5}
# ctest runs scenarios in parallel: each script starts looking for ports at a base derived
# from its pid (below the kernel's ephemeral range, 32768 and up), skips any port something
# listens on, and reserves each one it takes with an atomic mkdir, so that two scripts never
# pick the same port even before either daemon binds it.
FH_PORT_NEXT=$((20000 + ($$ % 300) * 40))
FH_PORT_LOCKS=${TMPDIR:-/tmp}/fh-integ-ports
mkdir -p "$FH_PORT_LOCKS"
FH_NODES=()
# FH_TRUST[name]: lines of the node's [trust] section; unset: open = yes (no policy).
declare -gA FH_TRUST
declare -gA FH_REGION FH_PORT FH_KEY FH_PID FH_PEERS FH_EXTRA FH_TKEY

# A python3 that can parse JSON (any python3 can).
FH_PY=${FH_PY:-python3}
FH_LINKSIM=${FH_LINKSIM:-$(dirname "$FENGHUOD")/../linksim/fenghuo-linksim}

fail() {
	echo "$FH_SCRIPT: FAIL: $*" >&2
	exit 1
}

log() {
	echo "$FH_SCRIPT: $*"
}

_fh_port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A reservation whose owner is gone (a script killed with its guard) is taken back: renamed
# away atomically, so that only one script can reclaim it.
_fh_reclaim_port() {
	local lock=$FH_PORT_LOCKS/$1 owner
	owner=$(cat "$lock/owner" 2>/dev/null) || return 0
	[ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null || return 0
	mv "$lock" "$lock.stale.$$" 2>/dev/null && rm -rf "$lock.stale.$$"
	return 0
}

_fh_alloc_port() {
	while ! _fh_port_free "$FH_PORT_NEXT" ||
		! { _fh_reclaim_port "$FH_PORT_NEXT"; mkdir "$FH_PORT_LOCKS/$FH_PORT_NEXT" 2>/dev/null; }; do
		FH_PORT_NEXT=$((FH_PORT_NEXT + 1))
		[ "$FH_PORT_NEXT" -lt 32768 ] || FH_PORT_NEXT=20000
	done
	echo "$$" >"$FH_PORT_LOCKS/$FH_PORT_NEXT/owner"
	echo "$FH_PORT_NEXT"
	FH_PORT_NEXT=$((FH_PORT_NEXT + 1))
}

# Give back this script's port reservations.
_fh_release_ports() {
	local d
	for d in "$FH_PORT_LOCKS"/*/owner; do
		[ "$(cat "$d" 2>/dev/null)" = "$1" ] && rm -rf "${d%/owner}"
	done
	return 0
}

node_dir() { echo "$FH_TMP/$1"; }
node_state() { echo "$FH_TMP/$1/state"; }
node_log() { echo "$FH_TMP/$1/fenghuod.log"; }
node_conf() { echo "$FH_TMP/$1/fenghuod.conf"; }
node_addr() { echo "tcp://127.0.0.1:${FH_PORT[$1]}"; }

fh() {
	local name=$1
	shift
	"$FENGHUO" --state "$(node_state "$name")" "$@"
}

make_node() {
	local name=$1 region=$2 port=${3:-}
	local dir state key
	[ -n "$port" ] || {
		# Not in $( ): the allocator's counter must survive.
		_fh_alloc_port >"$FH_TMP/.port"
		port=$(cat "$FH_TMP/.port")
	}
	dir=$(node_dir "$name")
	state=$(node_state "$name")
	mkdir -p "$dir"
	mkdir -m 0700 "$state"
	key=$("$FENGHUO" --key "$state/node.key" keygen | grep -Eo '[0-9a-f]{64}' | head -1)
	[ ${#key} -eq 64 ] || fail "keygen for $name printed no public key"
	FH_NODES+=("$name")
	FH_REGION[$name]=$region
	FH_PORT[$name]=$port
	FH_KEY[$name]=$key
	FH_PEERS[$name]=""
	FH_EXTRA[$name]=""
	# The transport (CurveZMQ) key: peers list it as [peer] transport, so links are CURVE.
	write_conf "$name"
	# (Its "created transport key" note goes to the node's log, not the script's output.)
	FH_TKEY[$name]=$("$FENGHUOD" -c "$(node_conf "$name")" --show-keys \
		2>>"$(node_log "$name")" | awk '$1 == "transport_key" { print $2 }')
	[ ${#FH_TKEY[$name]} -eq 64 ] ||
		fail "fenghuod --show-keys for $name printed no transport key (log: $(node_log "$name"))"
}

# link A B: each is a configured peer of the other.
link() {
	FH_PEERS[$1]+=" $2"
	FH_PEERS[$2]+=" $1"
}

# udp_link A B [MTU]: A and B are peers over a UDP stream link of MTU (default 256), on two
# ports of this script's: [link toB] at A, [link toA] at B.
udp_link() {
	local a=$1 b=$2 mtu=${3:-256} pa pb
	_fh_alloc_port >"$FH_TMP/.port"
	pa=$(cat "$FH_TMP/.port")
	_fh_alloc_port >"$FH_TMP/.port"
	pb=$(cat "$FH_TMP/.port")
	FH_EXTRA[$a]+=$(udp_section "$b" "$pa" "$pb" "$mtu")
	FH_EXTRA[$b]+=$(udp_section "$a" "$pb" "$pa" "$mtu")
}

# udp_section PEER LOCAL REMOTE MTU [BITRATE]: a [link toPEER] section (starts with a blank
# line), for a link through a relay such as fenghuo-linksim; BITRATE, when given, is what the node paces its sending to (0: unpaced).
udp_section() {
	printf '\n[link to%s]\ntype = udp\nkey = %s\nlocal = 127.0.0.1:%s\nremote = 127.0.0.1:%s\nmtu = %s\n' \
		"$1" "${FH_KEY[$1]}" "$2" "$3" "$4"
	[ -z "${5:-}" ] || printf 'bitrate = %s\n' "$5"
}

# stream_trio VAR CAP: a county (330110) with UDP stream links (mtu 256) to a village
# (330110101201) and a hamlet (330110101202), all three running, the links up. The hamlet's
# daemon runs with VAR=no, so that it does not announce the capability VAR turns off, as a
# peer without the feature; the link field CAP (`peers --json`, stream) must say so: True
# between county and village both ways, False between county and hamlet.
stream_trio() {
	local var=$1 cap=$2
	make_node county 330110
	make_node village 330110101201
	make_node hamlet 330110101202
	udp_link county village
	udp_link county hamlet
	start_node county
	start_node village
	export "$var=no"
	start_node hamlet
	unset "$var"
	wait_for 30 "the three stream links are up" _fh_trio_up
	[ "$(link_field county tovillage "$cap")" = True ] || fail "county -> village: no $cap"
	[ "$(link_field village tocounty "$cap")" = True ] || fail "village -> county: no $cap"
	[ "$(link_field county tohamlet "$cap")" = False ] || fail "county -> hamlet: $cap"
	[ "$(link_field hamlet tocounty "$cap")" = False ] || fail "hamlet -> county: $cap"
}

_fh_trio_up() {
	[ "$(link_field county tovillage state)" = up ] &&
		[ "$(link_field county tohamlet state)" = up ] &&
		[ "$(link_field village tocounty state)" = up ] &&
		[ "$(link_field hamlet tocounty state)" = up ]
}

# county_mesh T V [NAME...]: a county as a tree: the centre c (330110), townships t1..tT
# (330110109, 330110110, ...: real township codes from 径山镇 on, so that their names show)
# each linked to c, and villages v<i>_1..v<i>_V under township i (its code and 001, 002, ...)
# each linked to it, over ZeroMQ; the villages NAMEs over a UDP stream link instead.
county_mesh() {
	local t=$1 v=$2 i j tn vn
	shift 2
	make_node c 330110
	for ((i = 1; i <= t; i++)); do
		tn=t$i
		make_node "$tn" "330110$(printf %03d $((108 + i)))"
		link c "$tn"
		for ((j = 1; j <= v; j++)); do
			vn=v${i}_$j
			make_node "$vn" "${FH_REGION[$tn]}$(printf %03d "$j")"
			if [[ " $* " == *" $vn "* ]]; then
				udp_link "$tn" "$vn"
			else
				link "$tn" "$vn"
			fi
		done
	done
}

# certify_all BY [ROLES]: the county's keys (init_county BY), then a node certificate by its
# admin for every node made so far: "node NAME", the node's region and transport key, ROLES
# (default node,reporter), 30 days; every node trusts the root. The certificate ids in CERTS.
certify_all() {
	local by=$1 roles=${2:-node,reporter} n
	init_county "$by"
	CERTS=()
	for n in "${FH_NODES[@]}"; do
		CERTS+=("$(fh "$by" --key "$K/admin.key" cert --subject "${FH_KEY[$n]}" \
			--transport-key "${FH_TKEY[$n]}" --name "node $n" --roles "$roles" \
			--region "${FH_REGION[$n]}" --days 30)")
		FH_TRUST[$n]="anchors = $ROOT"
	done
}

# The config is written at each start, so links made after make_node count.
write_conf() {
	local name=$1 peer
	{
		# [trust] first, so that lines appended to [node] stay in [node].
		echo "[trust]"
		printf '%s\n' "${FH_TRUST[$name]:-open = yes}"
		echo
		echo "[node]"
		echo "name   = $name"
		echo "region = ${FH_REGION[$name]}"
		echo "key    = $(node_state "$name")/node.key"
		echo "state  = $(node_state "$name")"
		echo "listen = $(node_addr "$name")"
		echo "sync_interval = $FH_SYNC_INTERVAL"
		echo "log_level = ${FH_LOG_LEVEL:-info}"
		# Peer exchange (C): only scenarios that set FH_ANNOUNCE=1 announce themselves;
		# the others count messages and want none but their own.
		[ -n "${FH_ANNOUNCE:-}" ] || echo "announce = none"
		[ -z "${FH_PUSH:-}" ] || echo "push = $FH_PUSH"
		[ -z "${FH_EXTRA[$name]}" ] || printf '%s\n' "${FH_EXTRA[$name]}"
		for peer in ${FH_PEERS[$name]}; do
			echo
			echo "[peer $peer]"
			echo "address = $(node_addr "$peer")"
			echo "key     = ${FH_KEY[$peer]}"
			echo "transport = ${FH_TKEY[$peer]}"
		done
	} >"$(node_conf "$name")"
}

node_running() {
	local pid=${FH_PID[$1]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

start_node() {
	local name=$1
	node_running "$name" && fail "start_node $name: already running"
	write_conf "$name"
	echo "---- start $(date -u +%T.%N)" >>"$(node_log "$name")"
	"$FENGHUOD" -c "$(node_conf "$name")" >>"$(node_log "$name")" 2>&1 &
	FH_PID[$name]=$!
	echo "$!" >>"$FH_TMP/.pids"
	wait_for 20 "$name answers on its control socket" _fh_ready "$name"
}

_fh_ready() {
	node_running "$1" || fail "fenghuod $1 exited during start-up (log: $(node_log "$1"))"
	fh "$1" status --json >/dev/null 2>&1
}

# Wait for pid to exit, up to 15 s; its exit status in FH_RC.
_fh_reap() {
	local name=$1 pid=${FH_PID[$1]} i
	for ((i = 0; i < 150; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null || true
		FH_RC=timeout
	fi
	local rc=0
	wait "$pid" 2>/dev/null || rc=$?
	[ "${FH_RC:-}" = timeout ] || FH_RC=$rc
	FH_PID[$name]=""
}

# A clean stop (SIGTERM) must end with exit status 0: under ASan a leak or error fails it.
stop_node() {
	local name=$1
	node_running "$name" || fail "stop_node $name: not running"
	FH_RC=""
	kill -TERM "${FH_PID[$name]}"
	_fh_reap "$name"
	echo "---- stopped $(date -u +%T.%N) status $FH_RC" >>"$(node_log "$name")"
	[ "$FH_RC" = 0 ] || fail "fenghuod $name did not stop cleanly (status $FH_RC); log: $(node_log "$name")"
}

kill_node() {
	local name=$1
	node_running "$name" || fail "kill_node $name: not running"
	kill -9 "${FH_PID[$name]}"
	FH_RC=""
	_fh_reap "$name"
	echo "---- killed -9 $(date -u +%T.%N)" >>"$(node_log "$name")"
}

# poll_until SECONDS CMD [ARGS...]: poll CMD every 0.1 s; 0 once it succeeds, 1 at the
# deadline (at least SECONDS, at most SECONDS + 1: $SECONDS counts whole seconds).
poll_until() {
	local deadline=$((SECONDS + $1 + 1))
	shift
	while :; do
		if "$@"; then
			return 0
		fi
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# wait_for SECONDS WHAT CMD [ARGS...]: poll_until, or fail with WHAT at the deadline.
wait_for() {
	local secs=$1 what=$2
	shift 2
	poll_until "$secs" "$@" || fail "timed out after ${secs}s waiting until $what"
}

# json_field FIELD: the top-level FIELD of the JSON object on the first line of stdin (empty
# if absent; objects and arrays as JSON).
json_field() {
	"$FH_PY" -c 'import json, sys
v = json.loads(sys.stdin.readline()).get(sys.argv[1])
print("" if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else v))' "$1"
}

status_field() {
	fh "$1" status --json | json_field "$2"
}

has_msg() {
	local out
	out=$(fh "$1" show --json "$2" 2>/dev/null) || return 1
	# `show` also finds a held message (imported, not stored): that one is not held here.
	! grep -q '"flags":\[[^]]*"held"' <<<"${out%%$'\n'*}"
}

# has_all NAME ID...: NAME holds every ID.
has_all() {
	local name=$1 id
	shift
	for id in "$@"; do
		has_msg "$name" "$id" || return 1
	done
}

# everywhere ID...: every running node holds every ID.
everywhere() {
	local n
	for n in "${FH_NODES[@]}"; do
		has_all "$n" "$@" || return 1
	done
}

# link_field NAME PEER FIELD: FIELD of NAME's peer PEER in `fenghuo peers --json`; for a
# stream link, a field of its "stream" object first (crc_errors, mtu, ...).
link_field() {
	fh "$1" peers --json | "$FH_PY" -c 'import json, sys
for p in json.load(sys.stdin)["peers"]:
    if p["name"] == sys.argv[1]:
        s = p.get("stream") or {}
        print(s[sys.argv[2]] if sys.argv[2] in s else p[sys.argv[2]])' "$2" "$3"
}

# init_county NAME: the county's (FH_COUNTY, default 330110) root key and first admin key, in $K ($FH_TMP/keys),
# by `fenghuo init-county` in NAME's store (its anchors file gets the root); sets ROOT to
# the root public key.
init_county() {
	K=$FH_TMP/keys
	mkdir -p -m 0700 "$K"
	fh "$1" init-county --region "${FH_COUNTY:-330110}" --root-key "$K/root.key" --admin-key "$K/admin.key" \
		>"$FH_TMP/county.out"
	ROOT=$(awk '$1 == "root" && $2 == "key:" { print $3 }' "$FH_TMP/county.out")
	[ ${#ROOT} -eq 64 ] || fail "init-county printed no root key"
}

# report NAME TITLE: a report written at NAME with NAME's key; prints the id.
report() {
	local name=$1 title=$2
	fh "$name" report --region "${FH_REGION[$name]}" --category test --title "$title"
}

# backlog_bundle NAME FROM TO FILE: reports FROM..TO-1 signed with NAME's node key, written in
# a state directory of their own (not through NAME) and exported to FILE with every report
# written that way before, so that importing FILE at NAME queues a whole backlog at once
# however slow the machine.
backlog_bundle() {
	local name=$1 k dir=$FH_TMP/backlog
	[ -d "$dir" ] || mkdir -m 0700 "$dir"
	for ((k = $2; k < $3; k++)); do
		"$FENGHUO" --state "$dir" --key "$(node_state "$name")/node.key" report \
			--region "${FH_REGION[$name]}" --category test --title "backlog report $k" \
			--text "water over the road at km $k, two lanes closed" >/dev/null
	done
	rm -f "$4"
	"$FENGHUO" --state "$dir" export --kind report -o "$4" >/dev/null
}

# village_bundle FROM TO FILE: reports FROM..TO-1 as a county's backlog after an outage holds
# them: 24 villages of county 330110, each its own author key and 12-digit region, Chinese
# titles and texts of varied lengths (villagereports.py), about half with a position. Written
# offline like backlog_bundle; the same FROM..TO gives the same titles and texts every time.
village_bundle() {
	local dir=$FH_TMP/villages vi region cat title text lat lon pos
	[ -d "$dir" ] || mkdir -m 0700 "$dir"
	while IFS=$'\t' read -r vi region cat title text lat lon; do
		[ -f "$dir/v$vi.key" ] || "$FENGHUO" keygen -o "$dir/v$vi.key" >/dev/null
		pos=()
		[ -z "$lat" ] || pos=(--lat "$lat" --lon "$lon")
		"$FENGHUO" --state "$dir" --key "$dir/v$vi.key" report --region "$region" \
			--category "$cat" --title "$title" --text "$text" "${pos[@]}" >/dev/null
	done < <("$FH_PY" "$(dirname "${BASH_SOURCE[0]}")/villagereports.py" "$1" "$2")
	rm -f "$3"
	"$FENGHUO" --state "$dir" export --kind report -o "$3" >/dev/null
}

# need_pyzmq [curve]: FH_PYZMQ names a python3 with the zmq module (python3-zmq; built with
# CURVE when asked), for tests that speak ZeroMQ themselves.
need_pyzmq() {
	local py check='import zmq'
	[ "${1:-}" = curve ] && check='import zmq; assert zmq.has("curve")'
	for py in python3 /usr/bin/python3; do
		if "$py" -c "$check" 2>/dev/null; then
			FH_PYZMQ=$py
			return 0
		fi
	done
	fail "needs python3 with the zmq module${1:+ built with CURVE} (python3-zmq)"
}

# count_kind NAME KIND: how many messages of KIND (report, receipt, ...) NAME's store holds.
count_kind() {
	fh "$1" list --kind "$2" --limit 1000000 --json | grep -c . || true
}

# receipt_links NAME ID: the `link` of every DELIVERED receipt of ID that NAME holds (how the
# warning came to each confirming node: zeromq, udp, serial, stdio; "-" when not said),
# sorted, on one line.
receipt_links() {
	fh "$1" show --json "$2" | "$FH_PY" -c 'import json, sys
rows = [json.loads(l) for l in sys.stdin][1:]
print(" ".join(sorted(o.get("link") or "-" for o in rows
                      if o.get("kind") == "receipt" and o.get("stage") == "delivered")))'
}

# start_board STATE PORT [OPTION...]: `fenghuo board` of the state directory STATE on
# 127.0.0.1:PORT (0: a new port) in the background, its standard error appended to
# $FH_TMP/board.log; BOARD_PID and BOARD_URL say which. Waits until it answers HTTP (any
# status: a board with a token answers 401). The cleanup ends it, also when the script is
# killed outright.
start_board() {
	local state=$1 port=$2
	shift 2
	if [ "$port" = 0 ]; then
		_fh_alloc_port >"$FH_TMP/.port"
		port=$(cat "$FH_TMP/.port")
	fi
	"$FENGHUO" --state "$state" board --listen "127.0.0.1:$port" "$@" \
		2>>"$FH_TMP/board.log" &
	BOARD_PID=$!
	bg_track "$BOARD_PID"
	echo "$BOARD_PID" >>"$FH_TMP/.pids"
	BOARD_URL=http://127.0.0.1:$port
	wait_for 20 "the board answers" curl -s -o /dev/null "$BOARD_URL/"
}

# bg_track PID: a helper process the script started in the background (e.g. a watch);
# the cleanup ends it if it still runs.
FH_BG=()
bg_track() {
	FH_BG+=("$1")
}

# linksim_udp NAME A_FACE A_NODE B_FACE B_NODE [OPTION...]: fenghuo-linksim in the background
# between two UDP stream links on 127.0.0.1: a datagram from port A_NODE arriving at A_FACE
# leaves from B_FACE to B_NODE and the other way round (so node A's `remote` is A_FACE, node
# B's is B_FACE). OPTIONs are fenghuo-linksim's (--rate, --loss, --down, --clean-file ...,
# docs/LINKSIM.md). It stops at FH_DEADLINE at the latest, and the cleanup ends it; its
# counters are in $FH_TMP/NAME.stats (linksim_stat), its report in $FH_TMP/NAME.log.
linksim_udp() {
	local name=$1
	shift
	"$FH_LINKSIM" udp "$1" "$2" "$3" "$4" "${@:5}" --stats-file "$FH_TMP/$name.stats" \
		--duration "$FH_DEADLINE" 2>"$FH_TMP/$name.log" &
	bg_track $!
}

# linksim_pty NAME [OPTION...]: fenghuo-linksim in the background joining two pseudo-terminals
# like a serial cable; once they exist, LINKSIM_TTY_A and LINKSIM_TTY_B name the devices to give
# the two daemons ([link] device). Otherwise as linksim_udp.
linksim_pty() {
	local name=$1 paths=$FH_TMP/$1.paths
	shift
	"$FH_LINKSIM" pty "$paths" "$@" --stats-file "$FH_TMP/$name.stats" \
		--duration "$FH_DEADLINE" 2>"$FH_TMP/$name.log" &
	bg_track $!
	wait_for 10 "the pseudo-terminals of $name" test -s "$paths"
	LINKSIM_TTY_A=$(sed -n 1p "$paths")
	LINKSIM_TTY_B=$(sed -n 2p "$paths")
}

# linksim_stat NAME KEY: a counter of linksim NAME, e.g. a2b_bytes_in, dropped, corrupted
# (as of its last rewrite of the stats file, twice a second; empty before the first).
linksim_stat() {
	sed -n "s/^$2=//p" "$FH_TMP/$1.stats" 2>/dev/null
}

_fh_cleanup() {
	local rc=$? name p
	trap - EXIT INT TERM
	for p in "${FH_BG[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for name in "${FH_NODES[@]}"; do
		node_running "$name" && kill -TERM "${FH_PID[$name]}" 2>/dev/null
	done
	for name in "${FH_NODES[@]}"; do
		[ -n "${FH_PID[$name]:-}" ] && _fh_reap "$name"
	done
	if [ "$rc" -ne 0 ] || [ -n "${FH_VERBOSE:-}" ]; then
		for name in "${FH_NODES[@]}"; do
			echo "==== $name: $(node_log "$name") (last 40 lines)" >&2
			tail -n 40 "$(node_log "$name")" >&2 2>/dev/null || true
		done
	fi
	_fh_release_ports $$
	if [ -n "${FH_KEEP:-}" ]; then
		echo "$FH_SCRIPT: kept $FH_TMP" >&2
	else
		rm -rf "$FH_TMP"
	fi
	exit "$rc"
}
trap _fh_cleanup EXIT
trap 'exit 130' INT TERM

# The guard: a background watcher that bounds the whole script (FH_DEADLINE seconds, set
# below ctest's TIMEOUT, so that the script's own trap still runs and prints the logs), and
# that kills what the script started if the script itself was killed (SIGKILL skips traps).
_fh_guard() {
	local script=$1 deadline=$2 p
	while kill -0 "$script" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "$FH_SCRIPT: FAIL: over the overall deadline of ${FH_DEADLINE}s" >&2
			kill -TERM "$script" 2>/dev/null || true
			# bash runs the trap only once its foreground command returns: end the
			# script's other children (a hung helper), never its daemons (the trap
			# stops them and prints their logs) nor this guard.
			for p in $(cat "/proc/$script/task/$script/children" 2>/dev/null); do
				[ "$p" != "$BASHPID" ] || continue
				grep -qx "$p" "$FH_TMP/.pids" 2>/dev/null || kill -TERM "$p" 2>/dev/null
			done
			deadline=$((deadline + 30))
		fi
		sleep 0.5
	done
	# Only daemons whose command line names our directory: never someone else's.
	for p in $(cat "$FH_TMP/.pids" 2>/dev/null); do
		grep -qsF "$FH_TMP" "/proc/$p/cmdline" && kill -9 "$p" 2>/dev/null
	done
	_fh_release_ports "$script"
	[ -n "${FH_KEEP:-}" ] || rm -rf "$FH_TMP"
}
FH_DEADLINE=${FH_DEADLINE:-100}
_fh_guard $$ $((SECONDS + FH_DEADLINE)) >/dev/null &
