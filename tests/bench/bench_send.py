#!/usr/bin/python3
"""make bench (send part): messages per second and round trips per message.

Starts the project's test server (tests/smtpd) on 127.0.0.1 and sends a
generated batch through it with mailmerge send:
  1. N messages over one session, no rate limit: messages/s;
  2. the same with max_per_session = 1, i.e. a fresh connection, TLS
     handshake and AUTH per message (what most tools do): messages/s, and
     the ratio (target: one session >= 20x);
  3. through ../shared/tools/latency_proxy.py --delay-ms 25 (a round trip
     costs 50 ms): the steady-state round trips per message, from the
     difference between a long and a short batch so that connection setup
     cancels out (target: <= 2 with PIPELINING);
  4. memory: 10,000 and then 100,000 messages over one session, no rate
     limit: mailmerge's peak RSS for each and their ratio, "flat" when the
     100,000-message peak is within 1.5x of the 10,000-message one.  The
     peak is /usr/bin/time's %M (maximum resident set size of mailmerge
     alone; Debian package `time`), else the last VmHWM read from
     /proc/PID/status while polling every 5 ms.  When 100,000 messages
     would take over 2 minutes (the 10,000 run's rate times 10), 50,000 are
     sent instead, and the output says so.  BENCH_MEM_SMALL and
     BENCH_MEM_LARGE change the two sizes.
Only loopback is contacted.  The server's store and the report live in a
tmpfs folder when /dev/shm exists, so that the disk's fsync latency (the
server fsyncs each message, mailmerge each report line) does not hide the
protocol cost; the report path is printed.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROXY = os.path.join(TOP, "..", "shared", "tools", "latency_proxy.py")


def make_roster(path, rows, domains=("example.com",)):
    with open(path, "w", encoding="utf-8") as f:
        f.write("이름,email,점수\n")
        for i in range(rows):
            f.write(f"학생{i},s{i}@{domains[i % len(domains)]},{i % 100}\n")


TEMPLATE = ("From: 홍길동 <prof@example.com>\nTo: {{이름}} <{{email}}>\n"
            "Subject: [네트워크] {{이름}}님 점수\n\n" +
            "{{이름}}님, 점수는 {{점수}}점입니다.\n" * 20)


TIME = "/usr/bin/time"


def vm_hwm(pid):
    """VmHWM of a live process in KiB, 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for ln in f:
                if ln.startswith("VmHWM:"):
                    return int(ln.split()[1])
    except OSError:
        pass
    return 0


def memory(env):
    """Peak RSS over a small and a large batch: does it stay flat?"""
    small = int(os.environ.get("BENCH_MEM_SMALL", "10000"))
    large = int(os.environ.get("BENCH_MEM_LARGE", "100000"))
    conf = env.conf(env.port)
    dt_s, kb_s, how = env.send(conf, small, peak=True)
    est = dt_s * large / small
    note = ""
    if est > 120 and large > 50000:
        note = (f" ({large} messages would take about {est:.0f} s, over "
                f"2 minutes: 50000 instead)")
        large = 50000
    print(f"  memory: peak RSS of mailmerge ({how}), one session, no rate "
          f"limit{note}")
    print(f"    {small:7d} messages:          {kb_s / 1024:8.1f} MiB "
          f"({dt_s:.1f} s)")
    dt_l, kb_l, _ = env.send(conf, large, peak=True)
    print(f"    {large:7d} messages:          {kb_l / 1024:8.1f} MiB "
          f"({dt_l:.1f} s)")
    ratio = kb_l / kb_s if kb_s else float("inf")
    flat = ratio <= 1.5
    print(f"    peak {large} / {small}:{'':>{max(1, 14 - len(str(large)) - len(str(small)))}}{ratio:8.2f}x  (target <= "
          f"1.5x: {'flat' if flat else 'NOT flat'}, {kb_l} KiB at "
          f"{large} messages)")
    # Two accounts at once: the CA store is loaded once, not per session.
    dt_2, kb_2, _ = env.send(env.conf_two(), small, peak=True,
                             domains=("example.com", "example.org"))
    print(f"    {small:7d} messages, two accounts at once: {kb_2 / 1024:.1f} "
          f"MiB ({dt_2:.1f} s; one account: {kb_s / 1024:.1f} MiB); target "
          f"<= 16 MiB: {'met' if kb_2 / 1024 <= 16 else 'NOT met'}")


def wait_file(path, secs=5.0):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return open(path).read().strip()
        time.sleep(0.02)
    sys.exit(f"bench: {path} did not appear")


class Env:
    def __init__(self, binary, smtpd, work, fast):
        self.binary, self.smtpd, self.work, self.fast = binary, smtpd, work, fast
        self.procs = []
        subprocess.run([os.path.join(TOP, "tests/smtpd/mkcerts.sh"),
                        os.path.join(work, "certs")], check=True,
                       stdout=subprocess.DEVNULL)
        store = os.path.join(fast, "store")
        os.makedirs(store, exist_ok=True)
        pf = os.path.join(work, "port")
        self.procs.append(subprocess.Popen(
            [smtpd, "-p", "0", "--port-file", pf,
             "--cert", os.path.join(work, "certs/server.pem"),
             "--key", os.path.join(work, "certs/server-key.pem"),
             "-d", store, "--max-seconds", "600"]))
        self.port = wait_file(pf)

    def proxy(self, delay_ms):
        pf = os.path.join(self.work, "pport")
        # The proxy takes a fixed port: pick a free one.
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        self.procs.append(subprocess.Popen(
            [sys.executable, PROXY, "--listen", f"127.0.0.1:{port}",
             "--target", f"127.0.0.1:{self.port}", "--delay-ms",
             str(delay_ms), "--max-seconds", "600"]))
        time.sleep(0.5)
        return str(port)

    def conf(self, port, extra=""):
        path = os.path.join(self.work, "bench.conf")
        with open(path, "w") as f:
            f.write(f"[lab]\nprovider = custom\nhost = 127.0.0.1\n"
                    f"port = {port}\n"
                    f"ca_file = {self.work}/certs/ca.pem\nuser = demo\n"
                    f"from = Bench <demo@example.com>\n"
                    f"password_env = MM_BENCH_PASSWORD\nroute = *\n{extra}")
        return path

    def conf_two(self):
        """Two accounts on the same server, as an instructor with Gmail
        and Naver has: example.com's rows through one, the rest through
        the other, each in its own session and thread."""
        path = os.path.join(self.work, "bench2.conf")
        with open(path, "w") as f:
            for name, route in (("one", "example.com"), ("two", "*")):
                f.write(f"[{name}]\nprovider = custom\nhost = 127.0.0.1\n"
                        f"port = {self.port}\n"
                        f"ca_file = {self.work}/certs/ca.pem\nuser = demo\n"
                        f"from = Bench <demo@example.com>\n"
                        f"password_env = MM_BENCH_PASSWORD\n"
                        f"route = {route}\n")
        return path

    def send(self, conf, rows, peak=False, domains=("example.com",)):
        """Send rows messages: the seconds taken, and with peak=True also
        mailmerge's peak RSS in KiB and how it was measured."""
        roster = os.path.join(self.work, f"r{rows}-{len(domains)}.csv")
        if not os.path.exists(roster):
            make_roster(roster, rows, domains)
        tmpl = os.path.join(self.work, "t.txt")
        with open(tmpl, "w", encoding="utf-8") as f:
            f.write(TEMPLATE)
        report = os.path.join(self.fast, f"report-{time.monotonic_ns()}.csv")
        env = dict(os.environ, MM_BENCH_PASSWORD="demo-password")
        cmd = [self.binary, "send", "-c", conf, "-r", report, "--yes",
               roster, tmpl]
        tfile = os.path.join(self.work, "time.out")
        timed = peak and os.access(TIME, os.X_OK)
        if timed:
            cmd = [TIME, "-f", "%M", "-o", tfile] + cmd
        errf = tempfile.TemporaryFile()
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                             stderr=errf)
        hwm = 0
        if peak and not timed:
            while p.poll() is None:
                hwm = max(hwm, vm_hwm(p.pid))
                time.sleep(0.005)
        p.wait()
        dt = time.monotonic() - t0
        if p.returncode != 0:
            errf.seek(0)
            sys.exit(f"bench: send failed ({p.returncode}): "
                     f"{errf.read().decode(errors='replace')[:400]}")
        os.unlink(report)
        if not peak:
            return dt
        if timed:
            with open(tfile) as f:
                return dt, int(f.read().split()[-1]), "/usr/bin/time %M"
        return dt, hwm, "VmHWM polled every 5 ms"

    def close(self):
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            p.wait(timeout=10)


def main():
    binary, smtpd = sys.argv[1], sys.argv[2]
    n = int(os.environ.get("BENCH_MESSAGES", "2000"))
    work = tempfile.mkdtemp(prefix="mmbench.")
    fast = tempfile.mkdtemp(prefix="mmbench.", dir="/dev/shm") \
        if os.path.isdir("/dev/shm") else work
    env = Env(binary, smtpd, work, fast)
    try:
        print(f"send benchmark: {n} messages to tests/smtpd on 127.0.0.1 "
              f"(store and report in {fast})")
        dt = env.send(env.conf(env.port), n)
        one = n / dt
        print(f"  one session, loopback:      {one:8.0f} messages/s "
              f"({dt:.2f} s)")
        m = max(n // 10, 50)
        dt1 = env.send(env.conf(env.port, "max_per_session = 1\n"), m)
        fresh = m / dt1
        print(f"  fresh connection per mail:  {fresh:8.0f} messages/s "
              f"({m} messages, {dt1:.2f} s)")
        ratio = one / fresh
        print(f"  one session / fresh:        {ratio:8.1f}x  (target >= 20x: "
              f"{'met' if ratio >= 20 else 'NOT met'})")
        pport = env.proxy(25)
        conf = env.conf(pport)
        short, long_ = 10, 110
        t_short = env.send(conf, short)
        t_long = env.send(conf, long_)
        per = (t_long - t_short) / (long_ - short)
        rtt = per / 0.050
        verdict = ("both met" if rtt <= 1.2 else
                   "<= 2 met, <= 1.2 NOT met" if rtt <= 2 else "NOT met")
        print(f"  through a 25 ms proxy:      {per * 1000:8.1f} ms/message "
              f"= {rtt:.2f} round trips per message (targets <= 2 with "
              f"PIPELINING, <= 1.2 pipelining across messages: {verdict})")
        memory(env)
    finally:
        env.close()
        shutil.rmtree(work)
        if fast != work:
            shutil.rmtree(fast)


if __name__ == "__main__":
    main()
