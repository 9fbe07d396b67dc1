#!/bin/bash
# bundle.sh: export and import (docs/BUNDLE.md): a round trip into a fresh store, re-import
# as duplicates, a forged entry, truncation, a corrupt length, a bundle written by a third
# party (Python, from the format description alone), and files that are not bundles.
. "$(dirname "$0")/lib.sh"

S1=$TMP/s1
fh "$S1" keygen
expect_rc $EX_OK
fh "$S1" report --region 330110101001 --category flood --title 'FLIPME-1 河水漫堤' \
    --text '桥被淹了'
expect_rc $EX_OK
R1=$(cat "$TMP/out")
fh "$S1" report --region 330110101002 --category fire --title 'second report'
expect_rc $EX_OK
R2=$(cat "$TMP/out")
fh "$S1" warn --area 3301 --level yellow --event 大风 --title '大风黄色预警'
expect_rc $EX_OK
fh "$S1" receipt "$R1" --stage verified --note '已核实'
expect_rc $EX_OK

# ---- export ----
B=$TMP/all.fhb
fh "$S1" export -o "$B"
expect_rc $EX_OK
expect_out "exported 4 messages to $B"
[ ! -e "$B.tmp" ] || fail "export left $B.tmp behind"
[ "$(head -c 8 "$B")" = FHBUNDLE ] || fail "no FHBUNDLE magic"
[ "$(head -c 12 "$B" | tail -c 4 | od -An -tx1 | tr -d ' \n')" = 00000001 ] ||
    fail "version is not u32 BE 1"
fh "$S1" export --kind report -o "$TMP/reports.fhb"
expect_rc $EX_OK
expect_out "exported 2 messages"
fh "$S1" export --since 2099-01-01 -o "$TMP/empty.fhb"
expect_rc $EX_OK
expect_out "exported 0 messages"
fh "$TMP/nostore" export -o "$TMP/x.fhb"
expect_rc $EX_NOINPUT
[ ! -e "$TMP/x.fhb" ] || fail "export without a store wrote a file"

# ---- import into a fresh store: all new, identical messages ----
S2=$TMP/s2
fh "$S2" import "$B"
expect_rc $EX_OK
expect_out "new: 4"
expect_out "duplicate: 0"
expect_out "rejected: 0"
"$FENGHUO" --state "$S1" list --json >"$TMP/l1" || fail "list s1"
"$FENGHUO" --state "$S2" list --json >"$TMP/l2" || fail "list s2"
python3 - "$TMP/l1" "$TMP/l2" <<'PY' || fail "imported messages differ from the exported ones"
import json, sys
def load(p):
    out = {}
    for line in open(p, "rb"):
        o = json.loads(line)
        o.pop("first_seen_ms")
        out[o["id"]] = o
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
assert len(a) == 4 and a == b, (a, b)
PY
# ...and a second time: all duplicates.
fh "$S2" import "$B"
expect_rc $EX_OK
expect_out "new: 0"
expect_out "duplicate: 4"
fh "$S2" import "$TMP/empty.fhb"
expect_rc $EX_OK
expect_out "new: 0"
[ "$(count "$S2")" -eq 4 ] || fail "4 messages expected in s2"

# Entry offsets, for the damage below.
python3 - "$B" >"$TMP/offsets" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
off = 12
while True:
    (n,) = struct.unpack(">I", d[off:off + 4])
    if n == 0:
        break
    print(off)
    off += 4 + n
PY
[ "$(wc -l <"$TMP/offsets")" -eq 4 ] || fail "4 entries expected in the bundle"

# ---- a forged entry: rejected as bad-signature, the others stored ----
python3 - "$B" "$TMP/flip.fhb" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.index(b"FLIPME-1")
d[i + 7] ^= 0x03    # "1" -> "2": still a well-formed body, no longer what was signed
open(sys.argv[2], "wb").write(d)
PY
S3=$TMP/s3
fh "$S3" import "$TMP/flip.fhb"
expect_rc $EX_DATAERR
expect_out "new: 3"
expect_out "rejected: 1"
expect_out "rejected bad-signature: 1"
expect_err "rejected: bad-signature"
expect_err "checksum mismatch"
[ "$(count "$S3")" -eq 3 ] || fail "3 messages expected after the forged import"
fh "$S3" show "$R1"
expect_rc $EX_DATAERR
fh "$S3" show "$R2"
expect_rc $EX_OK

# ---- truncated inside the third entry: the first two are judged and stored ----
OFF3=$(sed -n 3p "$TMP/offsets")
head -c $((OFF3 + 10)) "$B" >"$TMP/trunc.fhb"
S4=$TMP/s4
fh "$S4" import "$TMP/trunc.fhb"
expect_rc $EX_DATAERR
expect_out "new: 2"
expect_out "rejected: 0"
expect_err "truncated"
expect_err "at offset $OFF3; the 2 entries before it were judged"
[ "$(count "$S4")" -eq 2 ] || fail "2 messages expected after the truncated import"
# Truncated inside the trailer: every entry is there.
head -c $(($(stat -c %s "$B") - 5)) "$B" >"$TMP/trunc2.fhb"
fh "$TMP/s5" import "$TMP/trunc2.fhb"
expect_rc $EX_DATAERR
expect_out "new: 4"
expect_err "truncated"

# ---- a length field pointing far past the end is not trusted ----
python3 - "$B" "$TMP/badlen.fhb" "$(sed -n 2p "$TMP/offsets")" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
off = int(sys.argv[3])
d[off:off + 4] = b"\x7f\xff\xff\xff"
open(sys.argv[2], "wb").write(d)
PY
fh "$TMP/s6" import "$TMP/badlen.fhb"
expect_rc $EX_DATAERR
expect_out "new: 1"
expect_err "corrupt entry length"
[ "$(count "$TMP/s6")" -eq 1 ] || fail "1 message expected after the bad length"

# ---- a trailer that miscounts, bytes after the trailer: reported, entries stored ----
python3 - "$B" "$TMP/count.fhb" "$TMP/trailing.fhb" <<'PY'
import hashlib, struct, sys
d = open(sys.argv[1], "rb").read()
body = d[:-36] + struct.pack(">I", 5)          # the trailer claims 5 entries, with a
open(sys.argv[2], "wb").write(body + hashlib.blake2b(body, digest_size=32).digest())
open(sys.argv[3], "wb").write(d + b"extra")    # a correct checksum
PY
fh "$TMP/s8" import "$TMP/count.fhb"
expect_rc $EX_DATAERR
expect_out "new: 4"
expect_err "trailer says 5, found 4"
fh "$TMP/s8" import "$TMP/trailing.fhb"
expect_rc $EX_DATAERR
expect_out "duplicate: 4"
expect_err "unexpected bytes after the trailer"

# ---- written by a third party from docs/BUNDLE.md: a good entry and a garbage one ----
python3 - "$B" "$TMP/py.fhb" "$(sed -n 1p "$TMP/offsets")" <<'PY'
import hashlib, struct, sys
d = open(sys.argv[1], "rb").read()
off = int(sys.argv[3])
(n,) = struct.unpack(">I", d[off:off + 4])
entries = [d[off + 4:off + 4 + n], b"\x0a\x03abc\x12\x01"]  # the second: no valid body
out = b"FHBUNDLE" + struct.pack(">I", 1)
for e in entries:
    out += struct.pack(">I", len(e)) + e
out += struct.pack(">II", 0, len(entries))
out += hashlib.blake2b(out, digest_size=32).digest()
open(sys.argv[2], "wb").write(out)
PY
fh "$TMP/s7" import "$TMP/py.fhb"
expect_rc $EX_DATAERR
expect_out "new: 1"
expect_out "rejected: 1"
[ "$(grep -c '^rejected ' "$TMP/out")" -eq 1 ] || fail "one rejection reason expected"
! grep -q "checksum" "$TMP/err" || fail "a well-formed bundle reported as damaged"
[ "$(count "$TMP/s7")" -eq 1 ] || fail "1 message expected"

# ---- a bundle far larger than what import may hold in memory ----
# A village's whole archive on a stick can run to hundreds of megabytes; import reads one
# entry at a time and commits in batches, so its memory does not grow with the file. One
# near-maximal report (16 KB of text) repeated 6000 times: ~100 MB, one new, the rest
# duplicates. Peak RSS must stay far below the file's size.
fh "$TMP/big-src" keygen
expect_rc $EX_OK
fh "$TMP/big-src" report --region 330110101001 --category flood --title big \
    --text "$(python3 -c 'print("洪" * 5400)')"
expect_rc $EX_OK
fh "$TMP/big-src" export -o "$TMP/one.fhb"
expect_rc $EX_OK
python3 - "$TMP/one.fhb" "$TMP/big.fhb" <<'PY'
import hashlib, struct, sys
d = open(sys.argv[1], "rb").read()
(n,) = struct.unpack(">I", d[12:16])
e = struct.pack(">I", n) + d[16:16 + n]
h = hashlib.blake2b(digest_size=32)
with open(sys.argv[2], "wb") as f:
    for part in (b"FHBUNDLE" + struct.pack(">I", 1), e * 6000, struct.pack(">II", 0, 6000)):
        f.write(part)
        h.update(part)
    f.write(h.digest())
PY
size=$(stat -c %s "$TMP/big.fhb")
[ "$size" -gt 90000000 ] || fail "the large bundle is only $size bytes"
# A small ASan quarantine, so that freed memory is not counted as held (no-op otherwise).
ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=4" python3 - "$FENGHUO" "$TMP/big-dst" \
    "$TMP/big.fhb" "$size" <<'PY' || fail "import of a large bundle"
import resource, subprocess, sys
fh, state, path, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
r = subprocess.run([fh, "--state", state, "import", path], capture_output=True, timeout=300)
out = r.stdout.decode()
assert r.returncode == 0, (r.returncode, out, r.stderr.decode()[-2000:])
assert "new: 1\n" in out and "duplicate: 5999\n" in out, out
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(f"import of {size} bytes: peak RSS {peak} bytes")
assert peak < size // 2, f"import held {peak} bytes for a {size}-byte bundle"
PY
rm -f "$TMP/big.fhb"

# ---- not a bundle, missing file: nothing written ----
printf 'hello, this is not a bundle\n' >"$TMP/junk"
fh "$S2" import "$TMP/junk"
expect_rc $EX_DATAERR
expect_err "not a fenghuo bundle"
fh "$S2" import "$TMP/missing.fhb"
expect_rc $EX_NOINPUT
[ "$(count "$S2")" -eq 4 ] || fail "a refused import changed the store"
echo "ok bundle"
