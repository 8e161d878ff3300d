#!/usr/bin/python3
"""Check rich preview mail (tests/data/rich) with Python's email package.

check_rich.py markdown|html OUTPUT DATADIR
OUTPUT is a folder of .eml files or an mbox; DATADIR holds the roster,
the templates and the attached files.  Checks the MIME structure, each
part's content and transfer encoding, the decoded attachments against
the files, and the attachment names three ways: email's get_filename(),
the RFC 2047 name= and the RFC 2231 filename*0*= continuations, each decoded
on its own.  Prints one line per problem; exits 1 if there was any.
"""
import csv
import email
import email.header
import email.policy
import email.utils
import mailbox
import os
import re
import sys
import urllib.parse

HTML_ROW1 = (
    "<h1>김민준님 피드백</h1>\n"
    "<p><em>잘했어요</em>, 그리고 <strong>다음에도</strong></p>\n"
    "<ul>\n<li>점수: 95점</li>\n"
    "<li><a href=\"https://example.com/net?a=1&amp;b=2\">강의 홈페이지</a>"
    "</li>\n</ul>\n"
    "<p>비고: &lt;b&gt;&amp;&quot;</p>\n")
SYLLABUS = "강의계획서 2024-2학기.txt"


def messages(out):
    if os.path.isdir(out):
        for name in sorted(os.listdir(out)):
            if name.endswith(".eml"):
                with open(os.path.join(out, name), "rb") as f:
                    yield name, f.read()
    else:
        for i, m in enumerate(mailbox.mbox(out)):
            yield f"mbox#{i}", m.as_bytes().replace(b"\r\n", b"\n") \
                .replace(b"\n", b"\r\n")


def markdown_text(row):
    text = (f"# {row['이름']}님 피드백\n\n*잘했어요*, 그리고 **다음에도**\n\n"
            f"- 점수: {row['점수']}점\n"
            "- [강의 홈페이지](https://example.com/net?a=1&b=2)\n\n")
    if row["비고"]:
        text += f"비고: {row['비고']}\n"
    return text


def param_raw(header, name):
    """The raw value of parameter name (unfolded) in a raw header."""
    m = re.search(r";\s*" + re.escape(name) + r"=(\"[^\"]*\"|[^;\s]+)",
                  header)
    return m.group(1) if m else None


def name_problems(part, raw, want, where):
    """part: parsed with the default policy; raw: the same part parsed
    with compat32, whose headers are the octets as written."""
    out = []
    if part.get_filename() != want:
        out.append(f"{where}: get_filename() {part.get_filename()!r}")
    raw_ct = re.sub(r"\r?\n[ \t]", " ", raw["Content-Type"])
    raw_cd = re.sub(r"\r?\n[ \t]", " ", raw["Content-Disposition"])
    plain_cd = want.isascii() and len(want) < 60
    for hname, raw, param in (("Content-Type", raw_ct, "name"),
                              ("Content-Disposition", raw_cd, "filename")):
        v = param_raw(raw, param)
        if param == "filename" and not plain_cd:
            if v is not None:
                out.append(f"{where}: filename= as well as RFC 2231")
            continue
        if v is None:
            out.append(f"{where}: no {param}= in {hname}")
            continue
        v = v.strip('"')
        got = str(email.header.make_header(email.header.decode_header(v)))
        if got != want:
            out.append(f"{where}: {param}= decodes to {got!r}")
    # Issue 12.3: RFC 2231 continuations filename*0*=, filename*1*=...
    segs = re.findall(r";\s*filename\*(\d+)\*=([^;\s]+)", raw_cd)
    if param_raw(raw_cd, "filename*") is not None:
        out.append(f"{where}: a one-piece filename*=")
    if plain_cd:
        if segs:
            out.append(f"{where}: filename* for a short ASCII name")
    elif not segs:
        out.append(f"{where}: no filename*0*=")
    else:
        if [int(n) for n, _ in segs] != list(range(len(segs))):
            out.append(f"{where}: segments out of order {segs}")
        charset, _, value = email.utils.decode_rfc2231(
            "".join(v for _, v in segs))
        got = urllib.parse.unquote(value, encoding=charset)
        if charset.upper() != "UTF-8" or got != want:
            out.append(f"{where}: filename*N* decodes to {got!r}")
    # name= holds RFC 2047 words in quotes on purpose (for readers
    # without RFC 2231, as Thunderbird writes it): Python notes that,
    # and nothing else may be wrong.
    known = ("encoded word inside quoted string",
             "missing trailing whitespace after encoded-word")
    ct = [d for d in part["Content-Type"].defects
          if not any(k in str(d) for k in known)]
    if ct or part["Content-Disposition"].defects:
        out.append(f"{where}: defects {ct} "
                   f"{part['Content-Disposition'].defects}")
    if not raw_cd.startswith("attachment;"):
        out.append(f"{where}: Content-Disposition {raw_cd[:40]!r}: only "
                   "the name may be encoded")
    return out


def raw_problems(raw, where):
    out = []
    for line in raw.split(b"\r\n"):
        if len(line) >= 998:
            out.append(f"{where}: a line of {len(line)} octets")
    bounds = re.findall(rb'boundary="([^"]+)"', raw)
    if len(bounds) != len(set(bounds)):
        out.append(f"{where}: a boundary used twice")
    for b in bounds:
        # Each boundary appears only as delimiters and in its header.
        n = raw.count(b)
        delims = len(re.findall(rb"(?m)^--" + re.escape(b) + rb"(--)?\r$",
                                raw))
        if n != delims + 1:
            out.append(f"{where}: boundary {b!r} appears in content")
    return out


def leaves(msg):
    return [p for p in msg.walk() if not p.is_multipart()]


def content(part):
    return part.get_content().replace("\r\n", "\n")


def check_markdown(msg, raw, row, data, where):
    out = []
    types = [p.get_content_type() for p in msg.walk()]
    want = ["multipart/mixed", "multipart/alternative", "text/plain",
            "text/html", "application/pdf", "text/plain"]
    if types != want:
        return [f"{where}: parts {types}"]
    text, html, pdf, syl = leaves(msg)
    raws = leaves(email.message_from_bytes(raw,
                                           policy=email.policy.compat32))
    for p in (text, html, pdf, syl):
        if p.get("Content-Transfer-Encoding") is None:
            out.append(f"{where}: a part without its own CTE")
    if content(text) != markdown_text(row):
        out.append(f"{where}: text part {content(text)!r}")
    if row["학번"] == "20240001" and content(html) != HTML_ROW1:
        out.append(f"{where}: HTML part {content(html)!r}")
    files = [(pdf, raws[2], f"feedback/{row['학번']}.pdf",
              f"{row['학번']}.pdf"),
             (syl, raws[3], f"common/{SYLLABUS}", SYLLABUS)]
    for part, raw, path, name in files:
        with open(os.path.join(data, path), "rb") as f:
            if part.get_content_disposition() != "attachment" or \
                    part.get_payload(decode=True) != f.read():
                out.append(f"{where}: {name}: not the file's octets")
        if part["Content-Transfer-Encoding"] != "base64":
            out.append(f"{where}: {name}: not base64")
        out += name_problems(part, raw, name, f"{where}: {name}")
    return out


def check_html(msg, raw, row, data, where):
    out = []
    types = [p.get_content_type() for p in msg.walk()]
    if types != ["multipart/alternative", "text/plain", "text/html"]:
        return [f"{where}: parts {types}"]
    text, html = leaves(msg)
    h, t = content(html), content(text)
    note = row["비고"]
    esc = note.replace("&", "&amp;").replace("<", "&lt;") \
        .replace(">", "&gt;").replace('"', "&quot;")
    if f"<p>비고: {esc} / 원문: {note}</p>" not in h:
        out.append(f"{where}: HTML part: {{{{x}}}} not escaped, "
                   f"{{{{{{x}}}}}} not raw: {h!r}")
    want = (f"{row['이름']}님\n\n비고: {note} / 원문: "
            f"{re.sub('<[^>]*>', '', note)}\n\n- 점수 {row['점수']}\n"
            f"- 성적표 (https://example.com/s?id={row['학번']})\n")
    want = re.sub(" +", " ", re.sub(" +\n", "\n", want))
    if t != want:
        out.append(f"{where}: text part {t!r}, expected {want!r}")
    if "alert" in t or "color" in t:
        out.append(f"{where}: script or style in the text part")
    return out


def main():
    kind, out, data = sys.argv[1:4]
    with open(os.path.join(data, "roster.csv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    problems = []
    got = list(messages(out))
    if len(got) != len(rows):
        problems.append(f"{len(got)} messages for {len(rows)} rows")
    for (where, raw), row in zip(got, rows):
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        problems += raw_problems(raw, where)
        check = check_markdown if kind == "markdown" else check_html
        problems += check(msg, raw, row, data, where)
    for p in problems:
        print(p)
    print(f"checked {len(got)} messages, {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
