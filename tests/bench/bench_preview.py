#!/usr/bin/python3
"""make bench (preview part): rows per second and peak memory.

Generates a roster of ROWS rows (Korean names, 5 columns) and a template
with a ~1 KB body, then previews it into an mbox and into .eml files,
timing each run and reading the child's peak RSS.  Targets (issue 2, one
core): >= 150,000 rows/s into an mbox, >= 50,000 rows/s as .eml files,
peak memory < 32 MB whatever the row count.
"""
import os
import random
import resource
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


def make_template(path):
    para = ("이번 학기 컴퓨터네트워크 수업의 과제 채점 결과를 알려 드립니다. "
            "점수에 이의가 있으면 금요일까지 답장해 주세요.\n")
    body = "{{이름}}님, 안녕하세요.\n\n" + para * 6 + \
        "점수: {{점수}}점 (학번 {{학번}})\n{{#비고}}비고: {{비고}}\n{{/비고}}"
    with open(path, "w", encoding="utf-8") as f:
        f.write("From: 홍길동 교수 <prof@example.com>\n"
                "To: {{이름}} <{{email}}>\n"
                "Subject: [컴퓨터네트워크] {{이름}}님 과제 점수 안내\n\n" + body)
    return len(body.encode())


def run(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed: {p.stderr.decode()[:500]}")
    return dt, after.ru_maxrss, after.ru_utime - before.ru_utime


def main():
    binary = sys.argv[1]
    rows = int(os.environ.get("BENCH_ROWS", "100000"))
    tmp = tempfile.mkdtemp(prefix="mmbench.")
    try:
        roster = os.path.join(tmp, "roster.csv")
        tmpl = os.path.join(tmp, "template.txt")
        make_roster(roster, rows)
        size = make_template(tmpl)
        print(f"preview benchmark: {rows} rows, template body {size} bytes")
        results = []
        for kind, extra, target in (
                ("mbox", ["--mbox", os.path.join(tmp, "all.mbox")], 150000),
                (".eml", [], 50000)):
            out = os.path.join(tmp, "out-" + kind.strip("."))
            dt, rss, cpu = run([binary, "preview", "-o", out] + extra +
                               [roster, tmpl])
            rate = rows / dt
            results.append((kind, rate, rss, target))
            print(f"  {kind:5s} {rate:10.0f} rows/s  ({dt:.2f} s wall, "
                  f"{cpu:.2f} s cpu)  peak RSS {rss / 1024:.1f} MB  "
                  f"target >= {target} rows/s: "
                  f"{'met' if rate >= target else 'NOT met'}")
        peak = max(r[2] for r in results) / 1024
        print(f"  peak memory {peak:.1f} MB; target < 32 MB: "
              f"{'met' if peak < 32 else 'NOT met'}")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
