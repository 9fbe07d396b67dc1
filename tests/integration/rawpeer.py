"""rawpeer.py: a hostile or outdated peer for badversion.sh, speaking raw ZeroMQ frames.

    python3 rawpeer.py tcp://127.0.0.1:PORT [SERVER_TRANSPORT_KEY_HEX]

With the node's transport public key (fenghuod --show-keys), both connections are CurveZMQ
clients with fresh keys, as every fenghuo link is; the node must admit them (open trust, or
[node] allow).

Needs python3-zmq and nothing else: the protobuf bytes of the frames are built by hand with
the few lines of varint / length-delimited encoding below (proto/fenghuo.proto gives the
field numbers), so the test does not depend on a protobuf library agreeing with protobuf-c.

Two connections to the node's listen endpoint:
 1. an outdated peer: HELLO with protocol_version 99, then garbage frames;
 2. a current peer with an unknown key: HELLO with protocol_version 1, then frames that
    decode but carry junk (envelopes, ids, a sync payload), and more garbage.
For each it reports on stdout whether the node answered with a HELLO and which protocol
version that HELLO names. Exit status 0 unless ZeroMQ itself fails.
"""
import os
import sys
import time

import zmq


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def vi(field, n):
    """A varint field (wire type 0)."""
    return varint(field << 3 | 0) + varint(n)


def ld(field, data):
    """A length-delimited field (wire type 2): bytes, strings, sub-messages."""
    return varint(field << 3 | 2) + varint(len(data)) + data


def hello(version, key, name):
    # Hello: 1 protocol_version, 2 node_key, 3 name, 4 region, 5 capabilities
    body = vi(1, version) + ld(2, key) + ld(3, name.encode()) + ld(4, b"330110") + vi(5, 1)
    return ld(1, body)  # Frame.hello = 1


def read_varint(buf, i):
    n = shift = 0
    while i < len(buf):
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i
    raise ValueError("truncated varint")


def fields(buf):
    """Yield (field, wire type, value) of a protobuf message, for the reply HELLO."""
    i = 0
    while i < len(buf):
        key, i = read_varint(buf, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(buf, i)
        elif wt == 2:
            n, i = read_varint(buf, i)
            v = buf[i:i + n]
            i += n
        else:
            raise ValueError("wire type %d" % wt)
        yield f, wt, v


def reply_version(sock, timeout_ms=3000):
    """protocol_version of the first HELLO the node sends back, or None."""
    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)
    while poller.poll(timeout_ms):
        for part in sock.recv_multipart():
            try:
                for f, wt, v in fields(part):
                    if f == 1 and wt == 2:  # Frame.hello
                        for hf, hwt, hv in fields(v):
                            if hf == 1 and hwt == 0:
                                return hv
            except ValueError:
                pass
    return None


GARBAGE = [
    b"",
    b"\xff" * 16,
    b"\x0a\xff\xff\xff\xff\x0f",          # Frame.hello with a 4 GiB length
    b"\x0a\x80",                          # truncated length varint
    b"\x08\x01",                          # a varint where Frame has no field 1 varint
    os.urandom(1000),
    ld(15, b"an unknown frame type"),
]

JUNK = [
    ld(2, ld(1, b"junk") + ld(1, b"\x0a\x05abc")),          # Push of envelopes that do not decode
    ld(2, ld(1, ld(1, b"\x08\x01") + ld(2, b"\x00" * 64))),  # Push: an envelope with a bad signature
    ld(3, ld(1, b"short id")),                              # Have with a bad id
    ld(4, ld(1, b"\x00" * 31) + ld(1, b"\x01" * 33)),       # Want with ids of wrong length
    ld(5, vi(1, 7) + ld(5, os.urandom(300))),               # Sync with a junk payload
    ld(5, ld(2, ld(1, b"\xff" * 40) + vi(2, 9))),           # Sync with a nonsense range
    ld(6, b""),                                             # Ping without nonce
]


def main():
    endpoint = sys.argv[1]
    server_key = bytes.fromhex(sys.argv[2]) if len(sys.argv) > 2 else None
    ctx = zmq.Context()
    for label, version, frames in (("old", 99, GARBAGE + JUNK), ("junk", 1, JUNK + GARBAGE)):
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 2000)
        # Never block for good: a send with no link (say, a refused CURVE handshake) fails.
        s.setsockopt(zmq.SNDTIMEO, 5000)
        if server_key is not None:
            public, secret = zmq.curve_keypair()
            s.curve_serverkey = server_key
            s.curve_publickey = public
            s.curve_secretkey = secret
        s.connect(endpoint)
        s.send(hello(version, os.urandom(32), "rawpeer-" + label))
        v = reply_version(s)
        print("%s: sent HELLO version %d; node answered %s" %
              (label, version, "no HELLO" if v is None else "HELLO version %d" % v))
        for fr in frames:
            s.send(fr)
        s.send_multipart([b"two", b"parts"])
        s.send_multipart([hello(1, b"\x00" * 5, "bad key"), b"extra"])
        # A ping that gets an answer once the node has taken everything before it.
        s.send(ld(6, vi(1, 42)))
        poller = zmq.Poller()
        poller.register(s, zmq.POLLIN)
        end = time.monotonic() + 3
        while time.monotonic() < end and poller.poll(500):
            s.recv_multipart()
        s.close()
    ctx.term()
    print("done")


if __name__ == "__main__":
    main()
