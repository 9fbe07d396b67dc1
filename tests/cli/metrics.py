#!/usr/bin/env python3
"""metrics.py: metrics_write() (tools/metrics.c) read back by the Prometheus client
library's own parser (python3-prometheus-client). A status object with label values that
need escaping (a double quote, a backslash, a newline, Chinese) must parse to the same
values; a value absent from the status is absent from the metrics; every counter family is
typed counter and every sample of it ends in _total."""
import json
import os
import subprocess
import sys
import tempfile

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    # A python3 of one's own (pyenv, a venv) ahead of Debian's on PATH: use Debian's.
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("FAIL: needs python3-prometheus-client", file=sys.stderr)
    sys.exit(1)

render = sys.argv[1]
odd = 'a"b\\c\nd'
status = {
    "ok": True, "name": "径山镇", "region": "330110109", "key": "ab" * 32,
    "uptime_s": 42, "messages": 7, "verified": 9, "stored": 5, "duplicates": 2,
    "commit_errors": 0, "clock_offset_ms": -1500, "clock_ok": True,
    "rejected": {"bad_signature": 3, "expired": 1},
    "drops": {"peer_rate": 0, "queue": 4},
    "store_quota": {"max_bytes": 0, "over": False, "evicted": 0},
    "queue": {"total": 6},
    "peers": [
        {"name": "双溪村", "state": "up", "bytes_in": 100, "bytes_out": 200, "msgs_in": 3,
         "msgs_out": 4, "queue": 1, "queue_dropped": 0, "sync_rounds": 8, "garbage": 0,
         "protocol_version": 2},
        {"name": odd, "state": "connecting", "bytes_in": 0, "bytes_out": 0},
    ],
    "hooks": [{"name": "喇叭", "on": "warning", "runs": 2, "ok": 1, "failures": 1,
               "given_up": 0, "running": 0, "waiting": 0}],
}


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    json.dump(status, f, ensure_ascii=False)
try:
    out = subprocess.run([render, f.name], check=True, capture_output=True).stdout
finally:
    os.unlink(f.name)
text = out.decode("utf-8")
families = {m.name: m for m in text_string_to_metric_families(text)}
samples = {}
for fam in families.values():
    if fam.type == "counter":
        for s in fam.samples:
            if not s.name.endswith("_total") and not s.name.endswith("_created"):
                fail("counter sample %s does not end in _total" % s.name)
    if not fam.documentation:
        fail("%s has no HELP" % fam.name)
    for s in fam.samples:
        samples[(s.name, tuple(sorted(s.labels.items())))] = s.value


def want(metric, value, **labels):
    got = samples.get((metric, tuple(sorted(labels.items()))))
    if got != value:
        fail("%s%s = %r, want %r\n%s" % (metric, labels, got, value, text))


want("fenghuo_info", 1, name="径山镇", region="330110109", key="ab" * 32)
want("fenghuo_store_messages", 7)
want("fenghuo_signature_checks_total", 9)
want("fenghuo_messages_stored_total", 5)
want("fenghuo_store_commit_errors_total", 0)
want("fenghuo_clock_offset_seconds", -1.5)
want("fenghuo_clock_ok", 1)
want("fenghuo_store_over_quota", 0)
want("fenghuo_rejected_total", 3, reason="bad_signature")
want("fenghuo_rejected_total", 1, reason="expired")
want("fenghuo_dropped_total", 4, reason="queue")
want("fenghuo_queue_messages", 6)
want("fenghuo_peer_up", 1, peer="双溪村")
want("fenghuo_peer_up", 0, peer=odd)
want("fenghuo_peer_received_bytes_total", 100, peer="双溪村")
want("fenghuo_peer_sent_bytes_total", 0, peer=odd)
want("fenghuo_peer_protocol_version", 2, peer="双溪村")
want("fenghuo_hook_failures_total", 1, hook="喇叭")
# Absent from the status: absent from the metrics (an older daemon), not 0.
if ("fenghuo_peer_received_messages_total", (("peer", odd),)) in samples:
    fail("a value the status lacks was written")
if "fenghuo_trace_queries" in families:
    fail("a family the status lacks was written")
print("ok: %d families, %d samples parsed by prometheus_client" % (len(families),
                                                                    len(samples)))
