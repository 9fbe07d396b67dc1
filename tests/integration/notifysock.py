#!/usr/bin/env python3
"""notifysock.py SOCKET OUT [HOST:PORT]: systemd's side of sd_notify(3), for sdnotify.sh.

Binds a datagram socket at SOCKET, as systemd does for NOTIFY_SOCKET, and appends every
line of every datagram to OUT as it arrives. When a datagram says READY=1 and HOST:PORT is
given, it tries at once to connect to that TCP endpoint (the daemon's listen socket) and
writes "listen-check ok" or "listen-check refused" after the datagram's lines: READY must
come only once the daemon can be reached. Runs until killed.
"""
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
target = sys.argv[3] if len(sys.argv) > 3 else None
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "a", buffering=1) as f:
    f.write("listening\n")
    while True:
        data = s.recv(4096).decode("utf-8", "replace")
        lines = [l for l in data.split("\n") if l]
        for l in lines:
            f.write(l + "\n")
        if target and "READY=1" in lines:
            host, port = target.rsplit(":", 1)
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                c.connect((host, int(port)))
                f.write("listen-check ok\n")
            except OSError:
                f.write("listen-check refused\n")
            finally:
                c.close()
            target = None
