#!/usr/bin/env python3
"""promcheck.py: read `fenghuo status --prometheus` on stdin with the Prometheus client
library's parser (python3-prometheus-client) and check samples.

    fenghuo status --prometheus | python3 promcheck.py 'fenghuo_peer_up{peer="p1"}=1' ...

Each argument is NAME=VALUE or NAME{LABEL="V",...}=VALUE (labels in any order). Exit 0 when
the text parses and every sample named has that value; else 1, saying which and why.
"""
import os
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    # A python3 of one's own (pyenv, a venv) ahead of Debian's on PATH: use Debian's.
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("promcheck: needs python3-prometheus-client", file=sys.stderr)
    sys.exit(1)


def key(name, labels):
    return name + "{" + ",".join('%s="%s"' % kv for kv in sorted(labels.items())) + "}"


def parse_arg(arg):
    name, value = arg.rsplit("=", 1)
    labels = {}
    if "{" in name:
        name, rest = name.split("{", 1)
        for part in rest.rstrip("}").split(","):
            k, v = part.split("=", 1)
            labels[k] = v.strip('"')
    return key(name, labels), float(value)


text = sys.stdin.buffer.read().decode("utf-8")
samples = {}
try:
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            samples[key(s.name, s.labels)] = s.value
except Exception as e:  # the parser raises ValueError and others on bad text
    print("promcheck: the text does not parse: %s\n%s" % (e, text), file=sys.stderr)
    sys.exit(1)
bad = 0
for arg in sys.argv[1:]:
    k, want = parse_arg(arg)
    if samples.get(k) != want:
        print("promcheck: %s is %r, want %r" % (k, samples.get(k), want), file=sys.stderr)
        bad = 1
print("promcheck: %d samples parsed%s" % (len(samples), "" if bad else ", all as expected"))
sys.exit(bad)
