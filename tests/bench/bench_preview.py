#!/usr/bin/python3
"""make bench (preview part): rows per second and peak memory.

Generates a roster of ROWS rows (Korean names, 5 columns) and a template
with a ~1 KB body, then previews it into an mbox and into .eml files,
timing each run and reading that run's own peak RSS.  Targets (issue 2,
one core): >= 150,000 rows/s into an mbox, >= 50,000 rows/s as .eml
files, peak memory < 32 MB whatever the row count.

The .eml run writes one file per row, and creating 100,000 files costs
seconds of kernel time on some file systems (ext4 here) whatever the
program does; the mbox (~190 MB) can wait on the kernel's write-back of
dirty pages.  So each runs twice: into the work disk (what a user sees)
and into a tmpfs folder under /dev/shm when there is one (the tool's
own cost).  Each line says which it is; cpu is user + system time.

Memory: a 1,000,000-row preview into an mbox (BENCH_MEM_ROWS), whose
peak RSS must stay at most 16 MB.

Attachments: the same roster's first ATTACH_ROWS rows (default 5,000:
each message is ~140 KB, so 100,000 rows would be 14 GB) previewed as
.eml files into tmpfs twice, plain text and with a 100 KB attachment per
row (a field names it, so the path rule, realpath, libmagic and base64
all run per row), and the ratio of the two rates.  Target: the
attachment run is at most 3x slower.
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

SURNAMES = "김이박최정강조윤장임한오서신권황안송전홍"
GIVEN = "민서도하시지유준은우예아수채건다현소율"


def make_roster(path, rows):
    rnd = random.Random(42)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("이름,학번,email,점수,비고\r\n")
        for i in range(rows):
            name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN)
            note = "" if i % 3 else "과제 재제출 필요"
            f.write(f"{name},{20240000 + i},s{i}@example.com,"
                    f"{rnd.randint(0, 100)},{note}\r\n")


ATTACH_SIZE = 100 * 1024


def make_attachments(folder, rows):
    """One 100 KB PDF-looking file per row, named by 학번, as a course
    would have; random octets so nothing compresses or dedupes."""
    rnd = random.Random(7)
    os.makedirs(os.path.join(folder, "feedback"))
    blob = b"%PDF-1.4\n" + rnd.randbytes(ATTACH_SIZE - 9)
    for i in range(rows):
        with open(os.path.join(folder, "feedback", f"{20240000 + i}.pdf"),
                  "wb") as f:
            f.write(blob[:100] + i.to_bytes(8, "big") + blob[108:])
    with open(os.path.join(folder, "syllabus.pdf"), "wb") as f:
        f.write(blob)


ATTACH_HEADER = {
    None: "",
    "own": "Attachment: feedback/{{학번}}.pdf\n",
    "same": "Attachment: syllabus.pdf\n",
}


def make_template(path, attach=None):
    para = ("이번 학기 컴퓨터네트워크 수업의 과제 채점 결과를 알려 드립니다. "
            "점수에 이의가 있으면 금요일까지 답장해 주세요.\n")
    body = "{{이름}}님, 안녕하세요.\n\n" + para * 6 + \
        "점수: {{점수}}점 (학번 {{학번}})\n{{#비고}}비고: {{비고}}\n{{/비고}}"
    with open(path, "w", encoding="utf-8") as f:
        f.write("From: 홍길동 교수 <prof@example.com>\n"
                "To: {{이름}} <{{email}}>\n"
                "Subject: [컴퓨터네트워크] {{이름}}님 과제 점수 안내\n" +
                ATTACH_HEADER[attach] +
                "\n" + body)
    return len(body.encode())


GNU_TIME = "/usr/bin/time"


def run(cmd, tmp):
    """Run cmd: wall time, peak RSS (KB), user and system seconds, and
    whether the peak is exact.  A child forked from this Python process
    starts with Python's RSS as its peak, so the peak comes from GNU
    time(1), itself small, when it is installed."""
    rssfile = os.path.join(tmp, "rss")
    exact = os.access(GNU_TIME, os.X_OK)
    if exact:
        cmd = [GNU_TIME, "-f", "%M", "-o", rssfile] + cmd
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.monotonic() - t0
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed: {err.decode()[:500]}")
    rss = ru.ru_maxrss
    if exact:
        with open(rssfile) as f:
            rss = int(f.read().split()[-1])
    return dt, rss, ru.ru_utime, ru.ru_stime, exact


def tmpfs_dir():
    """A fresh folder on tmpfs (/dev/shm), or None if there is none."""
    try:
        with open("/proc/mounts") as f:
            shm = any(line.split()[1] == "/dev/shm" and
                      line.split()[2] == "tmpfs" for line in f)
    except OSError:
        shm = False
    if not shm or not os.access("/dev/shm", os.W_OK):
        return None
    return tempfile.mkdtemp(prefix="mmbench.", dir="/dev/shm")


def cases(tmp, shm):
    yield ("mbox", "work disk", ["--mbox", os.path.join(tmp, "all.mbox")],
           os.path.join(tmp, "out-mbox"), 150000)
    if shm is not None:
        yield ("mbox", "tmpfs", ["--mbox", os.path.join(shm, "all.mbox")],
               os.path.join(shm, "out-mbox"), 150000)
    yield (".eml", "work disk", [], os.path.join(tmp, "out-eml"), 50000)
    if shm is not None:
        yield (".eml", "tmpfs", [], os.path.join(shm, "out-eml"), 50000)


def bench_attach(binary, tmp, shm, rows):
    """Plain text against a 100 KB attachment per row, .eml on tmpfs."""
    n = min(rows, int(os.environ.get("BENCH_ATTACH_ROWS", "5000")))
    base = shm if shm is not None else tmp
    where = "tmpfs" if shm is not None else "work disk"
    folder = os.path.join(base, "attach")
    os.makedirs(folder)
    roster = os.path.join(folder, "roster.csv")
    make_roster(roster, n)
    make_attachments(folder, n)
    rates = {}
    label = {None: "plain text", "own": "own 100 KB file",
             "same": "same 100 KB file"}
    for attach in (None, "own", "same"):
        tmpl = os.path.join(folder, f"t-{attach}.txt")
        make_template(tmpl, attach)
        out = os.path.join(folder, f"out-{attach}")
        dt, rss, user, system, ok = run([binary, "preview", "-o", out,
                                         roster, tmpl], tmp)
        rates[attach] = n / dt
        size = sum(e.stat().st_size for e in os.scandir(out)) / n
        print(f"  .eml  {where:9s} {n / dt:8.0f} rows/s  "
              f"{label[attach]:17s} "
              f"({n} rows, {size / 1024:.1f} KB/mail, {dt:.2f} s wall, "
              f"{user:.2f} s user, {system:.2f} s sys)  "
              f"peak RSS {'' if ok else '<= '}{rss / 1024:.1f} MB")
        shutil.rmtree(out)
    for attach in ("own", "same"):
        ratio = rates[None] / rates[attach]
        print(f"  attachment slowdown, {label[attach]} per row: "
              f"{ratio:.2f}x; target <= 3x: "
              f"{'met' if ratio <= 3 else 'NOT met'}")


def bench_memory(binary, tmp, tmpl):
    """Peak RSS of a MEM_ROWS-row (default 1,000,000) preview into an
    mbox: per-row bookkeeping must be bounded or compact (issue 13:
    at most 16 MB)."""
    n = int(os.environ.get("BENCH_MEM_ROWS", "1000000"))
    roster = os.path.join(tmp, "roster-mem.csv")
    make_roster(roster, n)
    out = os.path.join(tmp, "out-mem")
    dt, rss, user, system, ok = run([binary, "preview", "-o", out, "--mbox",
                                     os.path.join(out, "all.mbox"),
                                     roster, tmpl], tmp)
    print(f"  mbox  {n} rows: peak RSS {'' if ok else '<= '}"
          f"{rss / 1024:.1f} MB ({n / dt:.0f} rows/s); target <= 16 MB: "
          f"{'met' if rss / 1024 <= 16 else 'NOT met'}")
    shutil.rmtree(out)
    os.unlink(roster)


def main():
    binary = sys.argv[1]
    rows = int(os.environ.get("BENCH_ROWS", "100000"))
    tmp = tempfile.mkdtemp(prefix="mmbench.")
    shm = tmpfs_dir()
    try:
        roster = os.path.join(tmp, "roster.csv")
        tmpl = os.path.join(tmp, "template.txt")
        make_roster(roster, rows)
        size = make_template(tmpl)
        print(f"preview benchmark: {rows} rows, template body {size} bytes; "
              f"work disk {tmp}, tmpfs {shm or '(none: not measured)'}")
        peak, exact = 0, True
        for kind, where, extra, out, target in cases(tmp, shm):
            dt, rss, user, system, ok = run([binary, "preview", "-o", out] +
                                            extra + [roster, tmpl], tmp)
            rate = rows / dt
            peak, exact = max(peak, rss), exact and ok
            print(f"  {kind:5s} {where:9s} {rate:8.0f} rows/s  "
                  f"({dt:.2f} s wall, {user:.2f} s user, {system:.2f} s sys)"
                  f"  peak RSS {'' if ok else '<= '}{rss / 1024:.1f} MB  "
                  f"target >= {target}: "
                  f"{'met' if rate >= target else 'NOT met'}")
        bound = "" if exact else \
            f" (an upper bound: without {GNU_TIME} it includes Python's)"
        print(f"  peak memory {peak / 1024:.1f} MB{bound}; target < 32 MB: "
              f"{'met' if peak / 1024 < 32 else 'NOT met'}")
        bench_memory(binary, tmp, tmpl)
        bench_attach(binary, tmp, shm, rows)
    finally:
        shutil.rmtree(tmp)
        if shm is not None:
            shutil.rmtree(shm)


if __name__ == "__main__":
    main()
