#!/usr/bin/python3
"""Independent check of address headers with Python's email package.

check_addresses.py ROSTER.csv DIR: every DIR/*.eml (in row order) is
parsed with policy=default; its To must hold exactly one mailbox whose
display name is the row's 'name' and whose address is the row's
'email' with the domain as IDNA A-labels; Cc must hold what the row's
'cc' lists; no header may have defects.  Prints RESULT lines.
"""
import csv
import email
import email.policy
import os
import sys


def result(ok, desc):
    print(f"RESULT\t{0 if ok else 1}\t{desc}")


def a_label(addr):
    local, _, dom = addr.rpartition("@")
    return local + "@" + dom.encode("idna").decode() if dom else addr


def main():
    rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
    files = sorted(f for f in os.listdir(sys.argv[2]) if f.endswith(".eml"))
    result(len(files) == len(rows), f"{len(files)} messages for {len(rows)} rows")
    for row, f in zip(rows, files):
        raw = open(os.path.join(sys.argv[2], f), "rb").read()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        to = msg["To"]
        defects = [d for h in ("To", "Cc", "From") if msg[h] is not None
                   for d in msg[h].defects]
        result(not defects and not msg.defects,
               f"{f}: no defects ({defects or msg.defects})")
        boxes = to.addresses
        result(len(boxes) == 1, f"{f}: To holds one mailbox ({len(boxes)})")
        if boxes:
            result(boxes[0].display_name == row["name"],
                   f"{f}: decoded name {boxes[0].display_name!r} equals the "
                   f"field {row['name']!r}")
            result(boxes[0].addr_spec == a_label(row["email"]),
                   f"{f}: address {boxes[0].addr_spec!r}")
        if row.get("cc"):
            want = [a.strip() for a in row["cc"].split(",")]
            got = [str(a) for a in msg["Cc"].addresses] if msg["Cc"] else []
            result(len(got) == len(want),
                   f"{f}: Cc lists {len(want)} mailboxes: {got}")


main()
