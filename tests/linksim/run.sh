#!/usr/bin/env bash
# run.sh: fenghuo-linksim as a program, on 127.0.0.1 (its core's rate, loss and outage
# arithmetic is test_linksim's, on a simulated clock). Checks that
#   1. udp: datagrams are routed between the two nodes both ways, strangers ignored, 20 %
#      loss drops near 20 % with a fixed seed, and the same seed drops the very same
#      datagrams again; the report (stats file, SIGUSR1, exit) counts what the ends saw;
#   2. an outage schedule loses everything sent while down and counts the time down;
#   3. pty: bytes cross between the two pseudo-terminals intact, both ways, paced as 8N1;
#   4. bad options are refused with a clear message and exit status 64.
# Senders wait for the simulator to have read each window of datagrams (its stats file), so
# a loaded machine cannot lose datagrams in a socket buffer and change the outcome.
set -euo pipefail
FH_DEADLINE=${FH_DEADLINE:-80}
. "$(dirname "$0")/../integration/lib.sh"
LS=${FH_LINKSIM:?FH_LINKSIM must name fenghuo-linksim}

port() { _fh_alloc_port; }
stat_of() {	# stat_of FILE KEY
	sed -n "s/^$2=//p" "$1"
}

# udp_exchange OUT A_FACE A_NODE B_FACE B_NODE STATS N_A2B N_B2A: sends numbered datagrams
# from each node (and 5 from a stranger), waits for the simulator to have them all, then
# writes the numbers each node received to OUT.a and OUT.b.
udp_exchange() {
	"$FH_PY" - "$@" <<'PY'
import os, socket, sys, time
out, af, an, bf, bn, stats = sys.argv[1:7]
n = {"a": int(sys.argv[7]), "b": int(sys.argv[8])}
def sock(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", int(port)))
    s.setblocking(False)
    return s
node = {"a": sock(an), "b": sock(bn)}
face = {"a": int(af), "b": int(bf)}
def stat(key):
    try:
        for line in open(stats):
            k, _, v = line.strip().partition("=")
            if k == key:
                return int(v)
    except OSError:
        pass
    return -1
got = {"a": [], "b": []}
def drain():
    for d in "ab":
        while True:
            try:
                got[d].append(int(node[d].recv(70000)[:8]))
            except BlockingIOError:
                break
def wait(cond, what):
    end = time.monotonic() + 30
    while not cond():
        if time.monotonic() > end:
            sys.exit("timed out waiting for " + what)
        drain()
        time.sleep(0.05)
stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for k in range(5):
    stranger.sendto(b"stranger", ("127.0.0.1", face["a"]))
for d, other in (("a", "b"), ("b", "a")):
    key = "%s2%s_datagrams_in" % (d, other)
    for i in range(n[d]):
        node[d].sendto(b"%08d" % i + b"x" * 92, ("127.0.0.1", face[d]))
        if i % 50 == 49:
            wait(lambda: stat(key) >= i + 1, key)
    wait(lambda: stat(key) >= n[d], key)
for d, other in (("a", "b"), ("b", "a")):
    k = "%s2%s_" % (d, other)
    wait(lambda: stat(k + "datagrams_out") + stat(k + "dropped") >= n[d], k + "out")
wait(lambda: len(got["b"]) >= stat("a2b_datagrams_out") and
     len(got["a"]) >= stat("b2a_datagrams_out"), "the nodes to receive them")
for d in "ab":
    with open(out + "." + d, "w") as f:
        f.write("".join("%d\n" % i for i in got[d]))
PY
}

# 1. udp, twice with the same seed.
for run in 1 2; do
	af=$(port); an=$(port); bf=$(port); bn=$(port)
	st=$FH_TMP/udp$run.stats
	"$LS" udp "$af" "$an" "127.0.0.1:$bf" "$bn" --loss 0.2 --seed 5 --rate 2000000 \
		--latency 5 --stats-file "$st" --duration "$FH_DEADLINE" \
		2>"$FH_TMP/udp$run.err" &
	pid=$!
	bg_track $pid
	wait_for 10 "the simulator writes its stats" test -s "$st"
	udp_exchange "$FH_TMP/got$run" "$af" "$an" "$bf" "$bn" "$st" 400 100
	kill -USR1 $pid
	wait_for 10 "the report on SIGUSR1" grep -q "a -> b: 400 datagrams in" "$FH_TMP/udp$run.err"
	kill -TERM $pid
	wait $pid || fail "fenghuo-linksim exited with $? after SIGTERM"
	[ "$(grep -c "a -> b: 400 datagrams in" "$FH_TMP/udp$run.err")" -eq 2 ] ||
		fail "no report at exit: $(cat "$FH_TMP/udp$run.err")"
	[ "$(stat_of "$st" a2b_datagrams_in)" -eq 400 ] || fail "a2b in: $(cat "$st")"
	[ "$(stat_of "$st" b2a_datagrams_in)" -eq 100 ] || fail "b2a in: $(cat "$st")"
	[ "$(stat_of "$st" foreign)" -eq 5 ] || fail "strangers: $(cat "$st")"
	[ "$(stat_of "$st" a2b_bytes_in)" -eq 40000 ] || fail "a2b bytes: $(cat "$st")"
	drop=$(stat_of "$st" a2b_dropped)
	out=$(stat_of "$st" a2b_datagrams_out)
	[ $((drop + out)) -eq 400 ] || fail "a2b: $drop dropped + $out out != 400"
	[ "$drop" -ge 56 ] && [ "$drop" -le 104 ] || fail "20 % loss dropped $drop of 400"
	[ "$(wc -l <"$FH_TMP/got$run.b")" -eq "$out" ] ||
		fail "node b received $(wc -l <"$FH_TMP/got$run.b"), the report says $out"
	[ "$(wc -l <"$FH_TMP/got$run.a")" -eq "$(stat_of "$st" b2a_datagrams_out)" ] ||
		fail "node a received $(wc -l <"$FH_TMP/got$run.a")"
	[ "$(stat_of "$st" a2b_bytes_out)" -eq $((out * 100)) ] || fail "a2b bytes out"
	log "run $run: a2b $out carried, $drop dropped; b2a $(stat_of "$st" b2a_datagrams_out)"
done
cmp -s "$FH_TMP/got1.b" "$FH_TMP/got2.b" && cmp -s "$FH_TMP/got1.a" "$FH_TMP/got2.a" ||
	fail "the same seed carried different datagrams"
sort -n -c "$FH_TMP/got1.b" || fail "datagrams reordered"

# 2. Down from the start for an hour: everything sent is lost, the time down counted.
af=$(port); an=$(port); bf=$(port); bn=$(port)
st=$FH_TMP/down.stats
"$LS" udp "$af" "$an" "$bf" "$bn" --down 0+3600 --stats-file "$st" --duration "$FH_DEADLINE" \
	--json --quiet &
pid=$!
bg_track $pid
wait_for 10 "the simulator writes its stats" test -s "$st"
"$FH_PY" - "$af" "$an" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[2])))
for i in range(20):
    s.sendto(b"lost", ("127.0.0.1", int(sys.argv[1])))
PY
lost() { [ "$(json_field a2b_lost_down <"$st")" -eq 20 ]; }
wait_for 20 "20 datagrams lost while down" lost
kill -TERM $pid
wait $pid
[ "$(json_field a2b_datagrams_out <"$st")" -eq 0 ] || fail "carried while down: $(cat "$st")"
awk -v d="$(json_field time_down_s <"$st")" -v e="$(json_field elapsed_s <"$st")" \
	'BEGIN { exit !(d > 0 && d == e) }' || fail "time down: $(cat "$st")"

# 3. pty: 20,000 bytes each way, intact, paced at 960,000 bit/s: 8N1, so 10 bits a byte and
# 0.208 s of air each way (the simulator's own account of its pacing).
paths=$FH_TMP/pty.paths
st=$FH_TMP/pty.stats
"$LS" pty "$paths" --rate 960000 --stats-file "$st" --duration "$FH_DEADLINE" --quiet &
pid=$!
bg_track $pid
wait_for 10 "the pseudo-terminals" test -s "$paths"
"$FH_PY" - "$(sed -n 1p "$paths")" "$(sed -n 2p "$paths")" <<'PY' || fail "pty transfer"
import os, select, sys, time
a = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
b = os.open(sys.argv[2], os.O_RDWR | os.O_NOCTTY)
data = {a: bytes((i * 7) % 256 for i in range(20000)), b: bytes((i * 13) % 256 for i in range(20000))}
peer = {a: b, b: a}
got = {a: b"", b: b""}
sent = {a: 0, b: 0}
end = time.monotonic() + 30
while (len(got[a]) < 20000 or len(got[b]) < 20000) and time.monotonic() < end:
    for f in (a, b):
        if sent[f] < 20000:
            sent[f] += os.write(f, data[f][sent[f]:sent[f] + 512])
    r, _, _ = select.select([a, b], [], [], 0.1)
    for f in r:
        got[f] += os.read(f, 65536)
if got[b] != data[a] or got[a] != data[b]:
    sys.exit("received %d and %d bytes, not what was sent" % (len(got[b]), len(got[a])))
PY
kill -TERM $pid
wait $pid
[ "$(stat_of "$st" a2b_bytes_out)" -eq 20000 ] || fail "pty a2b: $(cat "$st")"
[ "$(stat_of "$st" b2a_bytes_out)" -eq 20000 ] || fail "pty b2a: $(cat "$st")"
awk -v a="$(stat_of "$st" a2b_air_s)" -v b="$(stat_of "$st" b2a_air_s)" \
	'BEGIN { exit !(a >= 0.208 && a <= 0.209 && b >= 0.208 && b <= 0.209) }' ||
	fail "pty air time: $(cat "$st")"

# 4. Bad options: a clear message, exit status 64.
refused() {	# refused PATTERN ARGS...: fenghuo-linksim ARGS exits 64 saying PATTERN
	local pat=$1 rc=0
	shift
	"$LS" "$@" --duration 1 >/dev/null 2>"$FH_TMP/err" || rc=$?
	[ "$rc" -eq 64 ] && grep -q -- "$pat" "$FH_TMP/err" ||
		fail "fenghuo-linksim $*: exit $rc, $(cat "$FH_TMP/err")"
}
refused "expected a number from 0 to 1" --loss 2 udp 1 2 3 4
refused "START+SECONDS" --down 30 udp 1 2 3 4
refused "noise is for pty" --noise 0.1 udp 1 2 3 4
refused "expected PORT or IPV4:PORT" udp 1 2 3 localhost:4
refused "usage" udp 1 2 3
"$LS" --help | grep -- "--down SPEC" >/dev/null || fail "--help"
log "ok"
