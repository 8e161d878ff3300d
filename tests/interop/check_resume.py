#!/usr/bin/python3
"""Check the crash/resume invariants of `mailmerge send` against the store
and transcript of tests/smtpd (build/smtpd).

    check_resume.py ROWS REPORT STOREDIR TRANSCRIPT

The roster's row i is addressed to s<i>@example.com.  REPORT is the report
after the last (clean) run.  Invariants (STYLE.md, Tests): a kill at any
step, then a resume, never gives a second DATA to the same recipient.

- the transcript shows at most one complete DATA payload per recipient;
- the store holds at most one message per recipient;
- the report has exactly one line per row, rows 1..ROWS, in the roster's
  order of recipients;
- a row reported `sent` has exactly one stored copy, with the report's
  Message-ID; a row with no stored copy is not `sent`; a row with a stored
  copy is `sent` or `unknown` (only `unknown` rows are uncertain);
- after the last run nothing is left to do: every row is sent or unknown;
- a recipient whose "." got no reply (server notes `drop at EOM`, `drop
  after store at EOM`) is `unknown`, with 0 or 1 copy respectively.

Prints "RESULT<TAB>0|1<TAB>description" per check (0 = pass), diagnostics
on other lines, and a final "COUNTS ..." line.  Standard library only.
"""
import csv
import os
import re
import sys
from collections import Counter, defaultdict

HEADER = ("row,recipients,status,provider,smtp_code,enhanced_code,reply,"
          "message_id,attempts,time,account,stage,roster,roster_sha256,"
          "template,template_sha256,format")


def check(cond, desc, detail=()):
    print("RESULT\t%d\t%s" % (0 if cond else 1, desc))
    if not cond:
        detail = list(detail)
        for d in detail[:15]:
            print(d)
        if len(detail) > 15:
            print("... and %d more" % (len(detail) - 15))


def message_id(data):
    head = data.split(b"\r\n\r\n", 1)[0]
    m = re.search(rb"(?im)^message-id:[ \t]*(.*(?:\r\n[ \t].*)*)", head)
    return m.group(1).strip().decode("ascii", "replace") if m else None


def transcript(path):
    """Complete DATA payloads per recipient, and recipients whose end of
    data got no reply: {addr: n}, set(dropped at EOM), set(stored+dropped)."""
    data = Counter()
    drop_eom, drop_stored = set(), set()
    cur = defaultdict(list)        # connection -> RCPTs of the transaction
    conn_re = re.compile(r"^\[(\d+)\] (.*)$")
    with open(path, encoding="utf-8", errors="replace") as f:
        for ln in f:
            ln = ln.rstrip("\n")
            c = "0"
            m = conn_re.match(ln)
            if m:
                c, ln = m.group(1), m.group(2)
            if ln.startswith("-- connection ") and ln.endswith(" opened"):
                cur[c] = []
            elif ln.startswith("C: MAIL ") or ln.startswith("C: RSET"):
                cur[c] = []
            elif ln.startswith("C: RCPT TO:<"):
                cur[c].append(ln[len("C: RCPT TO:<"):].split(">")[0].lower())
            elif ln.startswith("C: <data "):
                for a in cur[c]:
                    data[a] += 1
            elif ln == "-- drop at EOM":
                drop_eom.update(cur[c])
            elif ln == "-- drop after store at EOM":
                drop_stored.update(cur[c])
    return data, drop_eom, drop_stored


def main():
    nrows, report, store, tpath = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

    # Report: one line per row after the final run.
    raw = open(report, "rb").read()
    lines = raw.split(b"\n")
    check(raw.endswith(b"\n") and lines[0].rstrip(b"\r").decode() == HEADER,
          "report: the report header, complete lines",
          ["first line %r, ends %r" % (lines[0][:80], raw[-20:])])
    rows = list(csv.DictReader(open(report, encoding="utf-8", newline="")))
    nums = Counter(r["row"] for r in rows)
    dup = sorted((int(k) for k, v in nums.items() if v > 1))
    check(len(rows) == nrows and not dup,
          "report: exactly %d lines, one per row" % nrows,
          ["%d data lines" % len(rows),
           "rows with several lines: %s" % dup[:20]])
    want = {str(i) for i in range(1, nrows + 1)}
    got = set(nums)
    check(got == want, "report: rows 1..%d" % nrows,
          ["missing %s" % sorted(want - got, key=int)[:20],
           "extra %s" % sorted(got - want)[:20]])
    final = {}
    for r in rows:                  # the last line of a row is its state
        final[int(r["row"])] = r
    bad = ["row %d: recipients %r" % (i, r["recipients"])
           for i, r in final.items()
           if r["recipients"].lower() != "s%d@example.com" % i]
    check(not bad, "report: row i is addressed to s<i>@example.com", bad)

    # Store.
    copies = defaultdict(list)      # addr -> [(seq, message-id)]
    idx = os.path.join(store, "index.tsv")
    entries = []
    if os.path.exists(idx):
        with open(idx, encoding="utf-8") as f:
            entries = [ln.rstrip("\n").split("\t") for ln in f if ln.strip()]
    for seq, frm, rcpts, size, sha in entries:
        data = open(os.path.join(store, seq + ".eml"), "rb").read()
        for a in rcpts.split(","):
            copies[a.lower()].append((seq, message_id(data)))
    many = ["%s: %d copies (%s)" % (a, len(v), " ".join(s for s, _ in v))
            for a, v in sorted(copies.items()) if len(v) > 1]
    check(not many, "store: at most one message per recipient", many)

    ndata, drop_eom, drop_stored = transcript(tpath)
    many = ["%s: %d DATA payloads" % (a, n)
            for a, n in sorted(ndata.items()) if n > 1]
    check(not many, "transcript: never a second DATA to the same recipient",
          many)

    st = Counter()
    sent_bad, nocopy_sent, copy_other, left = [], [], [], []
    for i in range(1, nrows + 1):
        r = final.get(i)
        if r is None:
            continue
        a = "s%d@example.com" % i
        c = copies.get(a, [])
        s = r["status"]
        if s == "unknown":
            st["unknown, 1 copy" if c else "unknown, 0 copies"] += 1
        else:
            st[s] += 1
        if s == "sent":
            if len(c) != 1:
                sent_bad.append("row %d %s: sent, %d copies" % (i, a, len(c)))
            elif c[0][1] != r["message_id"]:
                sent_bad.append("row %d %s: report Message-ID %s, stored %s"
                                % (i, a, r["message_id"], c[0][1]))
        if not c and s == "sent":
            nocopy_sent.append("row %d %s: sent but not stored" % (i, a))
        if c and s not in ("sent", "unknown"):
            copy_other.append("row %d %s: stored as %s but reported %s (%s)"
                              % (i, a, c[0][0], s, r["reply"]))
        if s not in ("sent", "unknown"):
            left.append("row %d %s: %s %s %s" % (i, a, s, r["smtp_code"],
                                                 r["reply"]))
    check(not sent_bad, "every sent row has exactly one stored copy, with "
          "the report's Message-ID", sent_bad)
    check(not nocopy_sent, "no row without a stored copy is reported sent",
          nocopy_sent)
    check(not copy_other, "a stored row is reported sent or unknown "
          "(only unknown rows are uncertain)", copy_other)
    check(not left, "after the last run every row is sent or unknown", left)

    bad = []
    for a in sorted(drop_eom | drop_stored):
        i = int(a[1:].split("@")[0])
        s = final[i]["status"] if i in final else "missing"
        n = len(copies.get(a, []))
        exp = 1 if a in drop_stored else 0
        if s != "unknown" or n != exp:
            bad.append("row %d %s: '.' got no reply (%s), reported %s with "
                       "%d copies (want unknown, %d)" % (
                           i, a, "stored" if exp else "not stored", s, n, exp))
    check(not bad, "rows whose '.' got no reply are unknown (%d dropped "
          "after store, %d before)" % (len(drop_stored), len(drop_eom)), bad)

    print("COUNTS " + ", ".join("%s %d" % kv for kv in sorted(st.items()))
          + "; stored %d; DATA payloads %d" % (len(entries),
                                                sum(ndata.values())))


if __name__ == "__main__":
    main()
