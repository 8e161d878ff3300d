#!/usr/bin/python3
"""Check one message built by src/message.c with Python's email package.

Usage: check_message.py MESSAGE.eml EXPECT.json

EXPECT.json may hold:
  "headers":   {"Subject": "text", ...}  decoded value must equal text
  "addresses": {"To": [["name", "addr"], ...]}  parsed mailboxes
  "absent":    ["Bcc", ...]               headers that must not appear
  "body":      "text"                     decoded body, LF line ends
Always checked: CRLF line ends only, every line under 998 octets, no
parse defects.  Prints what differs; exits 1 on any difference.
"""
import email
import email.policy
import json
import sys


def lines_ok(raw, fail):
    if b"\r\n" not in raw:
        fail("no CRLF at all")
    for i, line in enumerate(raw.split(b"\r\n")):
        if b"\r" in line or b"\n" in line:
            fail("line %d has a bare CR or LF" % (i + 1))
        if len(line) >= 998:
            fail("line %d is %d octets" % (i + 1, len(line)))
    if not raw.endswith(b"\r\n"):
        fail("the message does not end with CRLF")


def main():
    raw = open(sys.argv[1], "rb").read()
    want = json.load(open(sys.argv[2], encoding="utf-8"))
    bad = []
    fail = bad.append
    lines_ok(raw, fail)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if msg.defects:
        fail("message defects: %r" % msg.defects)
    for name, text in want.get("headers", {}).items():
        h = msg[name]
        if h is None:
            fail("%s: missing" % name)
            continue
        if h.defects:
            fail("%s: defects %r" % (name, h.defects))
        if str(h) != text:
            fail("%s: got %r, expected %r" % (name, str(h), text))
    for name, boxes in want.get("addresses", {}).items():
        h = msg[name]
        got = None
        if h is not None:
            got = [[a.display_name, a.addr_spec] for a in h.addresses]
        if h is not None and h.defects:
            fail("%s: defects %r" % (name, h.defects))
        if got != boxes:
            fail("%s: got %r, expected %r" % (name, got, boxes))
    for name in want.get("absent", []):
        if msg[name] is not None:
            fail("%s: present, expected absent" % name)
    if "body" in want:
        got = msg.get_content().replace("\r\n", "\n")
        if got != want["body"]:
            fail("body: got %r, expected %r" % (got, want["body"]))
    for b in bad:
        print("# check_message: " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
