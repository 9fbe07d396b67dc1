"""curvepeer.py: hostile CurveZMQ clients against a running fenghuod, for curve.sh.

    python3 curvepeer.py MODE ENDPOINT SERVER_TKEY_HEX [ARGS...]

Frames are built with rawpeer.py's few lines of protobuf encoding. Modes (each prints one
result line on stdout; exit status 0 unless ZeroMQ itself fails):

  stranger                 a fresh random transport key: the node must never answer
                           ("stranger: no answer" / "stranger: ANSWERED").
  claim PUB SEC NODEKEY    transport key pair PUB/SEC (hex), HELLO claiming NODEKEY; prints
                           "claim: answered" when a HELLO came back, else "claim: no answer".
  flood PUB SEC NODEKEY N  as claim, then N junk frames as fast as ZeroMQ takes them, then
                           "flood: sent N".
  oversize PUB SEC NODEKEY as claim, then one frame of 2 MiB (twice WIRE_FRAME_MAX), then
                           "oversize: sent".
  live PUB SEC NODEKEY FLAG
                           as claim ("live: up" / "live: no answer"), then keeps the link
                           until the file FLAG exists (60 s at most), then says HELLO again
                           on the same connection: "live: after: answered" / "no answer".
"""
import os
import sys
import time

import zmq
import zmq.utils.z85

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rawpeer import hello, reply_version  # noqa: E402


def client(ctx, endpoint, server, public, secret):
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.curve_serverkey = server
    s.curve_publickey = public
    s.curve_secretkey = secret
    s.connect(endpoint)
    return s


def z85(hexkey):
    return zmq.utils.z85.encode(bytes.fromhex(hexkey))


def main():
    mode, endpoint, server = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
    ctx = zmq.Context()
    if mode == "stranger":
        public, secret = zmq.curve_keypair()
        s = client(ctx, endpoint, server, public, secret)
        s.send(hello(1, os.urandom(32), "stranger"))
        # libzmq keeps reconnecting in the background: several refused handshakes.
        v = reply_version(s, 3000)
        print("stranger: %s" % ("no answer" if v is None else "ANSWERED"))
        s.close()
        ctx.term()
        return
    public, secret, nodekey = z85(sys.argv[4]), z85(sys.argv[5]), bytes.fromhex(sys.argv[6])
    s = client(ctx, endpoint, server, public, secret)
    s.send(hello(1, nodekey, "curvepeer-" + mode))
    v = reply_version(s, 5000)
    if mode == "claim":
        print("claim: %s" % ("no answer" if v is None else "answered"))
    elif mode == "flood":
        n = int(sys.argv[7])
        junk = b"\xff" * 16
        for _ in range(n):
            s.send(junk)
        print("flood: sent %d" % n)
    elif mode == "live":
        print("live: %s" % ("no answer" if v is None else "up"), flush=True)
        deadline = time.time() + 60
        while not os.path.exists(sys.argv[7]) and time.time() < deadline:
            time.sleep(0.1)
        while s.poll(0):  # what the node sent while the link was up
            s.recv_multipart()
        s.send(hello(1, nodekey, "curvepeer-" + mode))
        v = reply_version(s, 3000)
        print("live: after: %s" % ("no answer" if v is None else "answered"), flush=True)
    elif mode == "oversize":
        s.send(b"\x12" + b"\x00" * (2 * 1024 * 1024))
        print("oversize: sent")
    else:
        print("unknown mode %s" % mode)
    s.setsockopt(zmq.LINGER, 5000)  # let the frames leave before the context ends
    s.close()
    ctx.term()


if __name__ == "__main__":
    main()
