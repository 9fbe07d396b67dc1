#!/usr/bin/env python3
"""ptyrelay.py: two pseudo-terminals joined like a noisy serial cable (serial.sh).

    ptyrelay.py PATHS_FILE --noise P --flip P --seed N --healthy FILE --stats FILE
                --max-seconds S

Opens two ptys (raw), writes the two slave device paths to PATHS_FILE (one a line; the
daemons open them as [link] device), and copies bytes from each master to the other. Each
chunk copied gets, with probability --noise, a burst of random garbage bytes in front of it
(line noise, stray magic bytes included), and with probability --flip one random bit flipped,
unless the file --healthy exists. Counters go to --stats as JSON twice a second. Exits after
--max-seconds in any case.
"""
import argparse
import json
import os
import random
import select
import time
import tty


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("paths")
    ap.add_argument("--noise", type=float, default=0.0)
    ap.add_argument("--flip", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--healthy", default="")
    ap.add_argument("--stats", default="")
    ap.add_argument("--max-seconds", type=float, default=120)
    a = ap.parse_args()
    rnd = random.Random(a.seed)

    ends = []
    for _ in range(2):
        master, slave = os.openpty()
        tty.setraw(slave)	# no echo, no line discipline, before any daemon opens it
        ends.append((master, slave, os.ttyname(slave)))
    with open(a.paths + ".tmp", "w") as f:
        f.write("%s\n%s\n" % (ends[0][2], ends[1][2]))
    os.replace(a.paths + ".tmp", a.paths)
    peer = {ends[0][0]: ends[1][0], ends[1][0]: ends[0][0]}
    stats = {"bytes": 0, "noise": 0, "flipped": 0}
    end = time.monotonic() + a.max_seconds
    next_stats = 0.0
    while time.monotonic() < end:
        r, _, _ = select.select(list(peer), [], [], 0.5)
        for m in r:
            try:
                data = os.read(m, 4096)
            except OSError:
                continue	# no one has the slave open yet
            if not data:
                continue
            clean = a.healthy and os.path.exists(a.healthy)
            if not clean and rnd.random() < a.noise:
                junk = bytes(rnd.choice([0xf4, 0x48, 0x10, rnd.randrange(256)])
                             for _ in range(rnd.randrange(1, 40)))
                data = junk + data
                stats["noise"] += 1
            if not clean and rnd.random() < a.flip:
                b = bytearray(data)
                bit = rnd.randrange(len(b) * 8)
                b[bit // 8] ^= 1 << (bit % 8)
                data = bytes(b)
                stats["flipped"] += 1
            stats["bytes"] += len(data)
            view = memoryview(data)
            deadline = time.monotonic() + 2
            while view and time.monotonic() < deadline:
                try:
                    n = os.write(peer[m], view)
                    view = view[n:]
                except BlockingIOError:
                    time.sleep(0.01)
                except OSError:
                    break
        now = time.monotonic()
        if a.stats and now >= next_stats:
            with open(a.stats + ".tmp", "w") as f:
                json.dump(stats, f)
            os.replace(a.stats + ".tmp", a.stats)
            next_stats = now + 0.5


if __name__ == "__main__":
    main()
