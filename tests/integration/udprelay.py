#!/usr/bin/env python3
"""udprelay.py: a lossy, slow radio between two fenghuod UDP stream links (radio.sh).

    udprelay.py PORT_A PORT_B NODE_A NODE_B --rate BPS --drop P --corrupt P --seed N
                --healthy FILE --down FILE --stats FILE --max-seconds S

Binds 127.0.0.1:PORT_A (node A's `remote`) and 127.0.0.1:PORT_B (node B's `remote`).
A datagram from 127.0.0.1:NODE_A arriving on PORT_A leaves from PORT_B to 127.0.0.1:NODE_B,
and the other way round, so that each node sees its datagrams come from its configured
remote. Each direction is a FIFO drained at --rate bits/s (the air): a datagram is passed on
once its own air time has passed after the datagrams before it. Datagrams are dropped
with probability --drop, or get one random bit flipped with probability --corrupt, unless
the file --healthy exists (then the link is clean). While the file --down exists the radio is
off: every datagram is lost. Datagrams from anyone else are ignored.
Counters go to --stats as JSON twice a second. Exits after --max-seconds in any case, so a
relay never outlives its test.
"""
import argparse
import json
import os
import random
import select
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port_a", type=int)
    ap.add_argument("port_b", type=int)
    ap.add_argument("node_a", type=int)
    ap.add_argument("node_b", type=int)
    ap.add_argument("--rate", type=int, default=0)
    ap.add_argument("--drop", type=float, default=0.0)
    ap.add_argument("--corrupt", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--healthy", default="")
    ap.add_argument("--down", default="")
    ap.add_argument("--stats", default="")
    ap.add_argument("--max-seconds", type=float, default=120)
    a = ap.parse_args()
    rnd = random.Random(a.seed)

    sa = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sa.bind(("127.0.0.1", a.port_a))
    sb = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sb.bind(("127.0.0.1", a.port_b))
    # direction: (receiving socket, expected source, sending socket, destination)
    route = {
        sa: (("127.0.0.1", a.node_a), sb, ("127.0.0.1", a.node_b), "a2b"),
        sb: (("127.0.0.1", a.node_b), sa, ("127.0.0.1", a.node_a), "b2a"),
    }
    queues = {"a2b": [], "b2a": []}
    air_free = {"a2b": 0.0, "b2a": 0.0}
    out = {"a2b": (sb, ("127.0.0.1", a.node_b)), "b2a": (sa, ("127.0.0.1", a.node_a))}
    stats = {"passed": 0, "dropped": 0, "corrupted": 0, "foreign": 0, "overflow": 0,
             "lost_down": 0, "bytes_a2b": 0, "bytes_b2a": 0}
    end = time.monotonic() + a.max_seconds
    next_stats = 0.0

    while time.monotonic() < end:
        now = time.monotonic()
        # Release what the air lets through.
        wait = 0.5
        for d, q in queues.items():
            while q and q[0][0] <= now:
                data = q.pop(0)[1]
                sock, dst = out[d]
                try:
                    sock.sendto(data, dst)
                except OSError:
                    pass
                stats["passed"] += 1
            if q:
                wait = min(wait, max(0.0, q[0][0] - now))
        r, _, _ = select.select([sa, sb], [], [], wait)
        for s in r:
            data, src = s.recvfrom(70000)
            expect, _, _, d = route[s]
            if src != expect:
                stats["foreign"] += 1
                continue
            if a.down and os.path.exists(a.down):
                stats["lost_down"] += 1
                continue
            stats["bytes_" + d] += len(data)
            clean = a.healthy and os.path.exists(a.healthy)
            if not clean and rnd.random() < a.drop:
                stats["dropped"] += 1
                continue
            if not clean and rnd.random() < a.corrupt:
                b = bytearray(data)
                bit = rnd.randrange(len(b) * 8)
                b[bit // 8] ^= 1 << (bit % 8)
                data = bytes(b)
                stats["corrupted"] += 1
            if len(queues[d]) >= 2000:
                stats["overflow"] += 1
                continue
            # It arrives once it has been on the air completely, after those before it.
            t = time.monotonic()
            if a.rate > 0:
                air_free[d] = max(air_free[d], t) + len(data) * 8.0 / a.rate
                t = air_free[d]
            queues[d].append((t, data))
        if a.stats and now >= next_stats:
            tmp = a.stats + ".tmp"
            with open(tmp, "w") as f:
                json.dump(stats, f)
            os.replace(tmp, a.stats)
            next_stats = now + 0.5


if __name__ == "__main__":
    main()
