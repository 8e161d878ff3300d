#!/usr/bin/python3
"""Check the crash/resume invariants of `mailmerge send` against the store
and transcript of tests/smtpd (build/smtpd).

    check_resume.py [--in-flight] [--client-lived] ROWS REPORT STOREDIR TRANSCRIPT

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

--in-flight adds the checks of tests/cli/send_scale.sh: the `unknown` rows
are exactly the rows whose end of data was in flight.  Transcript terms, per
session (connection), in the order the server handled them:
- a transaction's "end of data was received" when the server logged its
  payload (`C: <data N bytes>`), whether it then stored it or not;
- a session "ended without QUIT" when it closed with no `C: QUIT` (the
  client died, or a `-- drop` note: the server hung up);
- a session's "in-flight end of data" is its last transaction whose end of
  data was received, in a session that ended without QUIT (the client
  wrote "." and need not have read the reply: the client died, or the
  server dropped before or after storing it); its "open DATA" is a last
  transaction whose DATA got 354 and whose payload ended in EOF (`-- EOF in
  DATA`): the client died while writing the content or before its ".".
Checks: every unknown row is a session's in-flight end of data (0 copies if
the server did not store it, 1 if it did) or a session's open DATA (0
copies: the client had noted it in flight and died before the "." went
out); a session has at most one unknown row (one message is in flight at a
time); every in-flight end of data is reported sent or unknown (sent: the
client read the 250 before it died).
--client-lived (the client was never killed; only the server hung up):
then the reply decides, exactly: a row is unknown if and only if the server
dropped the session at its end of data (`drop at EOM`, `drop after store at
EOM`); a row whose 250 the server sent is sent.
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


def sessions(path):
    """The transcript as sessions: [{"id", "quit", "drop", "txns"}], each
    transaction {"rcpts", "data" (354 sent), "eod" (payload received),
    "eof" (EOF in DATA), "stored" (seq or None), "reply" (the first reply
    line after the end of data, or None), "drop" (note at its EOM)}."""
    out, cur = [], {}
    conn_re = re.compile(r"^\[(\d+)\] (.*)$")
    with open(path, encoding="utf-8", errors="replace") as f:
        for ln in f:
            ln = ln.rstrip("\n")
            c = "0"
            m = conn_re.match(ln)
            if m:
                c, ln = m.group(1), m.group(2)
            if ln.startswith("-- connection ") and ln.endswith(" opened"):
                cur[c] = {"id": ln.split()[2], "quit": False, "drop": None,
                          "txns": []}
                out.append(cur[c])
                continue
            se = cur.get(c)
            if se is None:
                continue
            t = se["txns"][-1] if se["txns"] else None
            if ln.startswith("C: MAIL "):
                se["txns"].append({"rcpts": [], "data": False, "eod": False,
                                   "eof": False, "stored": None,
                                   "reply": None, "drop": None})
            elif ln.startswith("C: RSET"):
                se["txns"].append({"rcpts": [], "data": False, "eod": False,
                                   "eof": False, "stored": None,
                                   "reply": None, "drop": None})
            elif ln.startswith("C: QUIT"):
                se["quit"] = True
            elif t is None:
                continue
            elif ln.startswith("C: RCPT TO:<"):
                t["rcpts"].append(
                    ln[len("C: RCPT TO:<"):].split(">")[0].lower())
            elif ln.startswith("S: 354") and not t["eod"]:
                t["data"] = True
            elif ln.startswith("C: <data "):
                t["eod"] = True
            elif ln.startswith("-- stored "):
                t["stored"] = ln.split()[2]
            elif ln == "-- EOF in DATA":
                t["eof"] = True
            elif ln.startswith("S: ") and t["eod"] and t["reply"] is None:
                t["reply"] = ln[3:6]
            if ln.startswith("-- drop "):
                se["drop"] = ln[3:]
                if t is not None and t["eod"] and t["reply"] is None:
                    t["drop"] = ln[3:]
    return out


def in_flight(final, copies, tpath, client_lived):
    """The --in-flight checks (see the module's doc)."""
    sess = sessions(tpath)
    addr_row = {}
    for i, r in final.items():
        addr_row[r["recipients"].lower()] = i
    eod_of, open_of = {}, {}        # addr -> [session id]
    replied, dropped = set(), set()
    ended = 0
    for se in sess:
        for t in se["txns"]:
            if t["eod"] and t["reply"] is not None and t["drop"] is None:
                replied.update(t["rcpts"])
            if t["drop"] is not None:
                dropped.update(t["rcpts"])
        if se["quit"]:
            continue
        ended += 1
        eods = [t for t in se["txns"] if t["eod"]]
        if eods:
            for a in eods[-1]["rcpts"]:
                eod_of.setdefault(a, []).append(se["id"])
        last = [t for t in se["txns"] if t["data"]]
        if last and last[-1]["eof"] and not last[-1]["eod"]:
            for a in last[-1]["rcpts"]:
                open_of.setdefault(a, []).append(se["id"])

    unknown = sorted(i for i, r in final.items() if r["status"] == "unknown")
    bad, per_session = [], Counter()
    kinds = Counter()
    for i in unknown:
        a = final[i]["recipients"].lower()
        n = len(copies.get(a, []))
        if a in eod_of:
            sid = eod_of[a][-1]
            stored = any(t["stored"] for se in sess if se["id"] == sid
                         for t in se["txns"] if a in t["rcpts"] and t["eod"])
            kinds["end of data received, %s" % (
                "stored" if stored else "not stored")] += 1
            if n != (1 if stored else 0):
                bad.append("row %d %s: in flight in session %s, %s, but %d "
                           "copies" % (i, a, sid, "stored" if stored else
                                       "not stored", n))
        elif a in open_of:
            sid = open_of[a][-1]
            kinds["open DATA, no end of data"] += 1
            if n != 0:
                bad.append("row %d %s: its DATA in session %s ended without "
                           "the final \".\", but %d copies" % (i, a, sid, n))
        else:
            sid = None
            bad.append("row %d %s: unknown, %d copies, but its end of data "
                       "was in flight in no session (sessions ended without "
                       "QUIT: %d)" % (i, a, n, ended))
        if sid is not None:
            per_session[sid] += 1
    check(not bad, "every unknown row's end of data was in flight (the "
          "last one the server received, or an open DATA, in a session "
          "that ended without QUIT), with 1 copy if stored, else 0", bad)
    many = ["session %s: %d unknown rows" % kv
            for kv in sorted(per_session.items()) if kv[1] > 1]
    check(not many, "at most one unknown row per session", many)

    bad, read = [], 0
    for a, sids in sorted(eod_of.items()):
        i = addr_row.get(a)
        s = final[i]["status"] if i is not None else "missing"
        if s == "sent":
            read += 1
        elif s != "unknown":
            bad.append("row %s %s: end of data in flight in session %s, "
                       "reported %s" % (i, a, sids[-1], s))
    check(not bad, "every in-flight end of data is reported sent or unknown",
          bad)

    if client_lived:
        want = {addr_row[a] for a in dropped if a in addr_row}
        got = set(unknown)
        check(got == want, "client lived: the unknown rows are exactly "
              "those whose end of data the server dropped (%d)" % len(want),
              ["unknown but replied or never ended: %s" %
               sorted(got - want)[:20],
               "dropped at end of data but not unknown: %s" %
               sorted(want - got)[:20]])
        bad = ["row %d %s: the server sent its 250, reported %s"
               % (addr_row[a], a, final[addr_row[a]]["status"])
               for a in sorted(replied) if a in addr_row
               and final[addr_row[a]]["status"] != "sent"]
        check(not bad, "client lived: every row the server answered 250 "
              "is sent", bad)
    print("INFLIGHT sessions ended without QUIT %d; in-flight ends of data "
          "%d (%d of them sent: the 250 was read), open DATA %d; unknown: %s"
          % (ended, len(eod_of), read, len(open_of),
             ", ".join("%s %d" % kv for kv in sorted(kinds.items()))
             or "none"))


def main():
    args = sys.argv[1:]
    flags = {a for a in args if a.startswith("--")}
    args = [a for a in args if not a.startswith("--")]
    if len(args) != 4 or flags - {"--in-flight", "--client-lived"}:
        sys.exit("usage: check_resume.py [--in-flight] [--client-lived] "
                 "ROWS REPORT STOREDIR TRANSCRIPT")
    nrows, report, store, tpath = int(args[0]), args[1], args[2], args[3]

    # Report: one line per row after the final run.
    raw = open(report, "rb").read()
    lines = raw.split(b"\n")
    check(raw.endswith(b"\n") and lines[0].rstrip(b"\r").decode("utf-8-sig") == HEADER,
          "report: the report header, complete lines",
          ["first line %r, ends %r" % (lines[0][:80], raw[-20:])])
    rows = list(csv.DictReader(open(report, encoding="utf-8-sig", newline="")))
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

    if "--in-flight" in flags:
        in_flight(final, copies, tpath, "--client-lived" in flags)

    print("COUNTS " + ", ".join("%s %d" % kv for kv in sorted(st.items()))
          + "; stored %d; DATA payloads %d" % (len(entries),
                                                sum(ndata.values())))


if __name__ == "__main__":
    main()
