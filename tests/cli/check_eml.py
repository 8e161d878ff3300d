#!/usr/bin/python3
"""Independent check of preview output with Python's email package.

Reads the roster (UTF-8 CSV) and the preview output (a folder of .eml
files or an mbox) made with tests/data/simple.txt, and checks every
message: decoded Subject, From, To (display name and address), body,
the generated headers, CRLF line ends and line lengths.  Prints one
line per problem and exits 1 if there was any.
"""
import csv
import email
import email.policy
import email.utils
import mailbox
import os
import re
import sys


def expected(row):
    body = f"{row['이름']}님, 과제 점수는 {row['점수']}점입니다.\n"
    if row["비고"]:
        body += f"비고: {row['비고']}\n"
    body += "끝.\n"
    return {
        "subject": f"[컴퓨터네트워크] {row['이름']}님 과제 점수 안내",
        "to_name": row["이름"],
        "to_addr": row["email"],
        "body": body,
    }


def raw_problems(raw, where):
    out = []
    if raw.count(b"\n") != raw.count(b"\r\n"):
        out.append(f"{where}: a line does not end in CRLF")
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in raw.split(b"\r\n"):
        if len(line) > 998:
            out.append(f"{where}: a line of {len(line)} octets")
    for line in head.split(b"\r\n"):
        if len(line) > 78:
            out.append(f"{where}: header line of {len(line)} > 78: {line[:60]!r}")
        if re.search(rb"[^\x00-\x7f]", line):
            out.append(f"{where}: 8-bit header line {line[:60]!r}")
    if re.search(rb"^Bcc:", head, re.M | re.I):
        out.append(f"{where}: Bcc written into the message")
    return out


def msg_problems(msg, want, where):
    out = []
    def same(what, got, exp):
        if got != exp:
            out.append(f"{where}: {what}: got {got!r}, expected {exp!r}")
    same("Subject", str(msg["Subject"]), want["subject"])
    to = msg["To"].addresses
    same("To count", len(to), 1)
    if to:
        same("To name", to[0].display_name, want["to_name"])
        same("To addr", to[0].addr_spec, want["to_addr"])
    frm = msg["From"].addresses
    same("From", [(a.display_name, a.addr_spec) for a in frm],
         [("홍길동 교수", "prof.hong@example.com")])
    same("MIME-Version", str(msg["MIME-Version"]), "1.0")
    same("Content-Type", msg.get_content_type(), "text/plain")
    same("charset", msg.get_content_charset(), "utf-8")
    same("body", msg.get_content().replace("\r\n", "\n"), want["body"])
    mid = str(msg["Message-ID"])
    if not re.fullmatch(r"<[^<>@\s]+@example\.com>", mid):
        out.append(f"{where}: Message-ID {mid!r}")
    if email.utils.parsedate_to_datetime(str(msg["Date"])) is None:
        out.append(f"{where}: Date {msg['Date']!r}")
    if msg.defects:
        out.append(f"{where}: parser defects {msg.defects}")
    return out


def main():
    roster, target = sys.argv[1], sys.argv[2]
    with open(roster, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    if os.path.isdir(target):
        names = sorted(n for n in os.listdir(target) if n.endswith(".eml"))
        raws = [open(os.path.join(target, n), "rb").read() for n in names]
    else:
        names = [f"message {i + 1}" for i in range(len(mailbox.mbox(target)))]
        raws = [m.as_bytes().replace(b"\n", b"\r\n")
                for m in mailbox.mbox(target)]
    problems = []
    if len(raws) != len(rows):
        problems.append(f"{len(raws)} messages for {len(rows)} rows")
    for i, (name, raw) in enumerate(zip(names, raws)):
        if os.path.isdir(target):
            want_name = f"{i + 1:04d}-{rows[i]['email']}.eml"
            if name != want_name:
                problems.append(f"file {name}, expected {want_name}")
            problems += raw_problems(raw, name)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        problems += msg_problems(msg, expected(rows[i]), name)
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
