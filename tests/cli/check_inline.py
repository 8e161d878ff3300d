#!/usr/bin/python3
"""Issue 12.7, checked with Python's email package: check_inline.py FILE
DIR NAME...  The HTML part sits in a multipart/related with one part per
image; each <img src="cid:X"> of the HTML has a part of Content-ID <X>
in the same related part whose decoded octets equal DIR/NAME, NAMEs in
the order the HTML first uses them; no local path is left in the HTML.
Prints RESULT lines."""
import email
import email.policy
import os
import re
import sys


def result(ok, desc):
    print(f"RESULT\t{0 if ok else 1}\t{desc}")


path, folder, *names = sys.argv[1:]
msg = email.message_from_bytes(open(path, "rb").read(),
                               policy=email.policy.default)
rel = [p for p in msg.walk() if p.get_content_type() == "multipart/related"]
result(len(rel) == 1, f"one multipart/related ({len(rel)})")
if rel:
    parts = list(rel[0].iter_parts())
    result(parts[0].get_content_type() == "text/html",
           "the related part's root is the HTML")
    html = parts[0].get_content()
    cids = []
    for src in re.findall(r'<img[^>]*\ssrc=["\']([^"\']*)', html, re.I):
        if src.startswith("cid:") and src[4:] not in cids:
            cids.append(src[4:])
    local = [s for s in re.findall(r'<img[^>]*\ssrc=["\']([^"\']*)', html, re.I)
             if ":" not in s]
    result(not local, f"no local path left in the HTML {local}")
    result(len(cids) == len(names), f"{len(names)} images referenced ({cids})")
    by_id = {p["Content-ID"].strip("<>"): p for p in parts[1:]
             if p["Content-ID"]}
    for cid, name in zip(cids, names):
        p = by_id.get(cid)
        want = open(os.path.join(folder, name), "rb").read()
        result(p is not None and p.get_content() == want,
               f"cid:{cid} resolves to {name}")
        result(p is not None and p.get_content_disposition() == "inline"
               and p.get_filename() == os.path.basename(name),
               f"{name}: inline, named")
    result(len(by_id) == len(names), "no image part unreferenced")
defects = [d for p in msg.walk() for d in p.defects]
result(not defects, f"no defects {defects}")
