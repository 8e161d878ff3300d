#!/usr/bin/python3
"""Print the last state of every row of a mailmerge report, one line per
row in row order: "ROW STATUS SMTP_CODE ATTEMPTS RECIPIENTS".  With
--lines, print the number of data lines instead (after compaction it is
the number of rows)."""
import csv
import sys

path = sys.argv[-1]
with open(path, encoding="utf-8-sig", newline="") as f:
    rows = list(csv.DictReader(f))
if "--lines" in sys.argv:
    print(len(rows))
    sys.exit(0)
last = {}
for r in rows:
    last[int(r["row"])] = r
for n in sorted(last):
    r = last[n]
    print(n, r["status"], r["smtp_code"] or "-", r["attempts"],
          r["recipients"])
