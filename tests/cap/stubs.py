#!/usr/bin/env python3
"""stubs.py ALERT DIR: for an Update or Cancel, write into DIR one alert per entry of its
<references>: a copy of ALERT that is the referenced Alert (its identifier, and sender and
sent where the reference gives them; msgType Alert; no <references>). Prints their paths.

Samples of updates refer to alerts nobody saved; importing these first gives fenghuo the
warnings the update changes, as an office would have them.
"""
import os
import sys
import xml.etree.ElementTree as ET

CAP = "urn:oasis:names:tc:emergency:cap:1.2"
ET.register_namespace("", CAP)
ET.register_namespace("ds", "http://www.w3.org/2000/09/xmldsig#")


def main():
    src, outdir = sys.argv[1], sys.argv[2]
    root = ET.parse(src).getroot()
    ns = "{%s}" % CAP if root.tag.startswith("{") else ""
    refs = root.find(ns + "references")
    for i, entry in enumerate(refs.text.split()):
        tree = ET.parse(src)
        r = tree.getroot()
        parts = entry.split(",")
        if len(parts) >= 3:
            sender, ident, sent = parts[0], parts[1], parts[2]
        else:
            sender, ident, sent = None, parts[0], None
        r.find(ns + "identifier").text = ident
        if sender:
            r.find(ns + "sender").text = sender
        if sent:
            r.find(ns + "sent").text = sent
        r.find(ns + "msgType").text = "Alert"
        r.remove(r.find(ns + "references"))
        path = os.path.join(outdir, "stub-%d-%s" % (i, os.path.basename(src)))
        tree.write(path, encoding="UTF-8", xml_declaration=True)
        print(path)


if __name__ == "__main__":
    main()
