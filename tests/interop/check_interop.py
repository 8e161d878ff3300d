#!/usr/bin/python3
"""Compare what an SMTP server stored with mailmerge's preview of the same run.

    check_interop.py PREVIEW_DIR STORE_DIR SEND_REPORT MAIL_FROM

PREVIEW_DIR: `mailmerge preview -o` output (NNNN-addr.eml + report.csv).
STORE_DIR:   NNNNNN.eml + index.tsv (seq, mail_from, rcpts, size, sha256),
             as written by tests/interop/aiosmtpd_server.py or build/smtpd.
SEND_REPORT: the report of `mailmerge send` for the same roster/template.

Prints one "RESULT<TAB>0|1<TAB>description" line per check (0 = pass) and
"#"-free diagnostic lines for failures; the shell turns them into TAP.
Standard library only.
"""
import csv
import glob
import hashlib
import os
import sys



def check(cond, desc, *detail):
    print("RESULT\t%d\t%s" % (0 if cond else 1, desc))
    if not cond:
        for d in detail[:20]:
            print(d)


def split_msg(data):
    i = data.find(b"\r\n\r\n")
    if i < 0:
        return data, b""
    return data[:i + 2], data[i + 4:]


def header_lines(head):
    """Unfolded header lines."""
    lines = []
    for ln in head.split(b"\r\n"):
        if not ln:
            continue
        if ln[:1] in (b" ", b"\t") and lines:
            lines[-1] += b"\r\n" + ln
        else:
            lines.append(ln)
    return lines


def field(head, name):
    pre = name.lower().encode() + b":"
    vals = [ln.split(b":", 1)[1].strip() for ln in header_lines(head)
            if ln.lower().startswith(pre)]
    return vals


def main():
    prev, store, report, mail_from = sys.argv[1:5]

    prows = list(csv.DictReader(open(os.path.join(prev, "report.csv"),
                                     encoding="utf-8-sig", newline="")))
    srows = list(csv.DictReader(open(report, encoding="utf-8-sig", newline="")))
    index = []
    with open(os.path.join(store, "index.tsv"), encoding="utf-8") as f:
        for ln in f:
            seq, frm, rcpts, size, sha = ln.rstrip("\n").split("\t")
            index.append((seq, frm, rcpts.split(","), int(size), sha))

    n = len(prows)
    check(n == 20, "preview report has 20 rows", "got %d" % n)
    check(len(srows) == n, "send report has one line per row",
          "got %d lines for %d rows" % (len(srows), n))
    bad = [r for r in srows if r["status"] != "sent" or r["smtp_code"] != "250"]
    check(not bad, "send report: every row sent with smtp_code 250",
          *["row %s: status %s code %s reply %r" % (r["row"], r["status"],
            r["smtp_code"], r["reply"]) for r in bad])
    check(sorted(int(r["row"]) for r in srows) == list(range(1, n + 1)),
          "send report: rows 1..%d" % n)

    # The store is self-consistent.
    msgs = {}
    bad = []
    for seq, frm, rcpts, size, sha in index:
        data = open(os.path.join(store, seq + ".eml"), "rb").read()
        if len(data) != size or hashlib.sha256(data).hexdigest() != sha:
            bad.append("%s: size/sha256 differ from index.tsv" % seq)
        msgs[seq] = (frm, rcpts, data)
    check(not bad, "store: every message matches its index line", *bad)
    check(len(index) == n, "store: %d messages for %d rows" % (len(index), n),
          "store holds %d" % len(index))
    bad = [seq for seq, (frm, _, _) in msgs.items() if frm != mail_from]
    check(not bad, "envelope sender is %s" % mail_from,
          *["%s: MAIL FROM %r" % (s, msgs[s][0]) for s in bad])

    # Each row arrived exactly once, to its recipients, with the preview's
    # body; matched by the Message-ID the send report recorded.
    by_mid = {}
    for seq, (frm, rcpts, data) in msgs.items():
        for mid in field(split_msg(data)[0], "Message-ID"):
            by_mid.setdefault(mid.decode("ascii", "replace"), []).append(seq)
    once, env, body, head = [], [], [], []
    for r in sorted(srows, key=lambda r: int(r["row"])):
        row = int(r["row"])
        seqs = by_mid.get(r["message_id"], [])
        if len(seqs) != 1:
            once.append("row %d %s: %d stored copies of %s" % (
                row, r["recipients"], len(seqs), r["message_id"]))
            continue
        frm, rcpts, data = msgs[seqs[0]]
        want = r["recipients"].split(";")
        if sorted(x.lower() for x in rcpts) != sorted(x.lower() for x in want):
            env.append("row %d: RCPT %s, report says %s" % (row, rcpts, want))
        files = glob.glob(os.path.join(prev, "%04d-*.eml" % row))
        if len(files) != 1:
            body.append("row %d: preview files %s" % (row, files))
            continue
        pdata = open(files[0], "rb").read()
        ph, pb = split_msg(pdata)
        sh, sb = split_msg(data)
        if pb != sb:
            body.append("row %d: body differs from %s (%d vs %d bytes)" % (
                row, os.path.basename(files[0]), len(sb), len(pb)))
        strip = (b"date:", b"message-id:")
        ph = [l for l in header_lines(ph) if not l.lower().startswith(strip)]
        sh = [l for l in header_lines(sh) if not l.lower().startswith(strip)]
        if ph != sh:
            head.append("row %d: headers differ: sent %r preview %r" % (
                row, sh, ph))
    check(not once, "every row's Message-ID was stored exactly once", *once)
    check(not env, "every message went to its row's envelope recipients", *env)
    check(not body, "every stored body equals the preview byte for byte", *body)
    check(not head, "headers equal the preview's but for Date and Message-ID",
          *head)
    # All message bodies end with CRLF (the "." needs its own line).
    bad = [s for s, (_, _, d) in msgs.items() if not d.endswith(b"\r\n")]
    check(not bad, "every stored message ends with CRLF", *bad)


if __name__ == "__main__":
    main()
