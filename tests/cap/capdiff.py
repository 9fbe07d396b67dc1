#!/usr/bin/env python3
"""capdiff.py A B: compare two CAP alerts element by element; exit 0 if equal, else 1.

Every element's value must be equal: leaf elements by their exact text (an empty element
equals an empty one: <note/> and <note></note>), elements with children by their children,
in order, with the same local names (namespaces aside: the national profile has none).
Repeated elements compare in order. XML-DSig <Signature> elements are left out: fenghuo
does not carry them (docs/CAP.md). Comments, processing instructions and the whitespace
between elements are not values. Prints the first difference as a path.
"""
import sys
import xml.etree.ElementTree as ET

DSIG = "{http://www.w3.org/2000/09/xmldsig#}"


def local(tag):
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def children(e):
    return [c for c in e if isinstance(c.tag, str) and not c.tag.startswith(DSIG)]


def compare(a, b, path):
    if local(a.tag) != local(b.tag):
        return "%s: <%s> against <%s>" % (path, local(a.tag), local(b.tag))
    ca, cb = children(a), children(b)
    path = "%s/%s" % (path, local(a.tag))
    if not ca and not cb:
        ta, tb = a.text or "", b.text or ""
        if ta != tb:
            return "%s: %r against %r" % (path, ta, tb)
        return None
    for i in range(min(len(ca), len(cb))):
        d = compare(ca[i], cb[i], "%s[%d]" % (path, i))
        if d:
            return d
    if len(ca) != len(cb):
        extra = ca[len(cb):] or cb[len(ca):]
        return "%s: %d child elements against %d (first extra: <%s>)" % (
            path, len(ca), len(cb), local(extra[0].tag))
    return None


def main():
    a = ET.parse(sys.argv[1]).getroot()
    b = ET.parse(sys.argv[2]).getroot()
    d = compare(a, b, "")
    if d:
        print("capdiff: %s and %s differ at %s" % (sys.argv[1], sys.argv[2], d))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
