#!/usr/bin/env bash
# smoke.sh FENGHUOD FENGHUO: two real fenghuod processes on 127.0.0.1.
#  1. A (configured with B as its peer) and B (no peers; A reaches it inbound) come up;
#  2. a report submitted to A through its control socket appears in B's store;
#  3. B stops; a report written into B's store by the CLI while no daemon runs reaches A
#     through reconciliation when B starts again;
#  4. both end with the same store digest; SIGTERM stops both cleanly (exit 0).
set -eu
fenghuod=$1
fenghuo=$2
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
# Private ports (below the integration tests' 20000-32767), skipping any pair in use.
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
base=$((17400 + $$ % 1000 * 2))
while ! port_free "$base" || ! port_free $((base + 1)); do
	base=$((base + 2))
	[ "$base" -lt 19998 ] || base=17400
done
pa=$base
pb=$((base + 1))
pids=()

cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	for f in "$dir"/*.log; do
		echo "--- $f" >&2
		cat "$f" >&2
	done
	exit 1
}

# wait_for DESCRIPTION COMMAND...: poll until COMMAND succeeds, at most 20 s.
wait_for() {
	local what=$1 end=$((SECONDS + 20))
	shift
	while [ $SECONDS -lt $end ]; do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	fail "timed out waiting for $what"
}

# The Debian python3 has python3-zmq; a python3 earlier in PATH (pyenv, venv) may not.
py=python3
for c in /usr/bin/python3 python3; do
	if "$c" -c "import zmq" 2>/dev/null; then
		py=$c
		break
	fi
done
ctl() {
	"$py" "$here/ctl.py" "$@"
}

mkdir -p "$dir/a" "$dir/b"
ka=$("$fenghuod" --keygen "$dir/a/node.key")
kb=$("$fenghuod" --keygen "$dir/b/node.key")
cat > "$dir/a.conf" <<EOC
[trust]
open = yes
[node]
name = a
region = 330110101
key = $dir/a/node.key
state = $dir/a
listen = tcp://127.0.0.1:$pa
announce = none
[peer b]
address = tcp://127.0.0.1:$pb
key = $kb
EOC
cat > "$dir/b.conf" <<EOC
[trust]
open = yes
[node]
name = b
region = 330110102
key = $dir/b/node.key
state = $dir/b
listen = tcp://127.0.0.1:$pb
announce = none
EOC

# Transport (CurveZMQ) keys: a dials b with b's, b admits a's inbound (allow). The last
# section of a.conf is [peer b], of b.conf [node]: the appended lines land there.
ta=$("$fenghuod" -c "$dir/a.conf" --show-keys | awk '$1 == "transport_key" { print $2 }')
tb=$("$fenghuod" -c "$dir/b.conf" --show-keys | awk '$1 == "transport_key" { print $2 }')
[ ${#ta} -eq 64 ] && [ ${#tb} -eq 64 ] || fail "fenghuod --show-keys printed no transport key"
echo "transport = $tb" >>"$dir/a.conf"
echo "allow = $ta" >>"$dir/b.conf"

start() {
	"$fenghuod" -c "$dir/$1.conf" 2>>"$dir/$1.log" &
	pids+=($!)
	eval "pid_$1=$!"
}

peer_up() {
	[ "$(ctl "$dir/$1" peers peers.0.state)" = up ]
}

has_msg() {
	"$fenghuo" --state "$dir/$1" show "$2"
}

same_digest() {
	[ "$(ctl "$dir/a" status digest)" = "$(ctl "$dir/b" status digest)" ]
}

start a
start b
wait_for "a's link to b" peer_up a
wait_for "b's link from a" peer_up b
[ "$(ctl "$dir/b" peers peers.0.key)" = "$ka" ] || fail "b does not know a's key"

# 2. Submit on A (the CLI goes through the daemon when it runs).
id=$("$fenghuo" --state "$dir/a" report --region 330110101201 --category flood \
	--title "smoke test flood" --text "from a") || fail "report on a"
wait_for "the report on b" has_msg b "$id"
[ "$(ctl "$dir/a" status submitted)" = 1 ] || fail "a's daemon did not get the submit"
[ "$(ctl "$dir/b" status stored)" = 1 ] || fail "b did not store it as new"

# 3. Stop B, write into its store directly, start it again.
ctl "$dir/b" stop >/dev/null || fail "stop b"
wait_for "b to exit" bash -c "! kill -0 $pid_b"
wait "$pid_b" || fail "b exited with status $?"
id2=$("$fenghuo" --state "$dir/b" report --region 330110101202 --category fire \
	--title "written while b was down") || fail "offline report on b"
start b
wait_for "the offline report on a" has_msg a "$id2"
wait_for "equal digests" same_digest
[ "$(ctl "$dir/a" status messages)" = 2 ] || fail "a should hold 2 messages"

# 4. Clean stop on SIGTERM.
kill -TERM "$pid_a" "$pid_b"
wait "$pid_a" || fail "a exited with status $?"
wait "$pid_b" || fail "b exited with status $?"
pids=()
[ ! -e "$dir/a/fenghuod.sock" ] || fail "a left its control socket behind"
[ ! -e "$dir/a/fenghuod.pid" ] || fail "a left its pid file behind"
grep -q "link up" "$dir/a.log" || fail "no 'link up' in a's log"
echo "ok: smoke test"
