#!/usr/bin/env python3
"""ctl.py STATE CMD [KEY]: send one control-socket request to the fenghuod of STATE.

Prints the JSON reply, or with KEY only that field of it (for shell tests). Exits 1 when
the daemon does not answer within 3 s. The protocol is the daemon's (node/ctl.c).
"""
import json
import sys

import zmq


def main():
    state, cmd = sys.argv[1], sys.argv[2]
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVTIMEO, 3000)
    s.connect("ipc://%s/fenghuod.sock" % state)
    s.send(json.dumps({"cmd": cmd}).encode())
    try:
        reply = json.loads(s.recv())
    except zmq.Again:
        sys.exit(1)
    if len(sys.argv) > 3:
        v = reply
        for k in sys.argv[3].split("."):
            v = v[int(k)] if isinstance(v, list) else v.get(k)
        print(v if not isinstance(v, (dict, list)) else json.dumps(v))
    else:
        print(json.dumps(reply))
    s.close()
    ctx.term()


if __name__ == "__main__":
    main()
