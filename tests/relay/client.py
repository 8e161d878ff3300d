#!/usr/bin/python3
"""Clients for tests/cli/relay.sh: each scenario talks to a running
`mailmerge relay` on 127.0.0.1 and prints "RESULT<TAB>0|1<TAB>what"
lines (0 = the check passed) for lib.bash's `results`.

usage: client.py SCENARIO PORT [ARGS...]
"""
import os
import smtplib
import socket
import ssl
import sys
import threading
import time

PORT = 0


def result(ok, what):
    print("RESULT\t%d\t%s" % (0 if ok else 1, what), flush=True)


def note(*a):
    print(*a, flush=True)


class Raw:
    """A plain socket with its own buffer (a timed-out read loses nothing)."""

    def __init__(self, port=None, timeout=10):
        self.s = socket.create_connection(("127.0.0.1", port or PORT),
                                          timeout=timeout)
        self.buf = b""

    def readline(self, timeout=None):
        """A line, or b"" on EOF, or None when timeout passed first."""
        if timeout is not None:
            self.s.settimeout(timeout)
        try:
            while b"\n" not in self.buf:
                d = self.s.recv(65536)
                if not d:
                    line, self.buf = self.buf, b""
                    return line
                self.buf += d
        except socket.timeout:
            return None
        except OSError:
            return b""
        finally:
            self.s.settimeout(10)
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def sendall(self, b):
        self.s.sendall(b)

    def close(self):
        self.s.close()


def raw(port=None, timeout=10):
    c = Raw(port, timeout)
    return c, c


def reply(f, timeout=None):
    """One whole reply: (code, [lines]); code 0 on EOF or timeout."""
    lines = []
    while True:
        line = f.readline(timeout)
        if not line:
            return 0, lines
        lines.append(line.decode("utf-8", "replace").rstrip("\r\n"))
        if len(line) < 4 or line[3:4] != b"-":
            return int(line[:3]), lines


def cmd(s, f, text):
    s.sendall(text if isinstance(text, bytes) else text.encode() + b"\r\n")
    return reply(f)


def msg(subject, body=b"hello\r\n", extra=b""):
    return (b"From: Kim <kim@example.com>\r\nTo: b@example.org\r\n"
            b"Subject: " + subject.encode() + b"\r\n" + extra + b"\r\n" + body)


# --- scenarios -----------------------------------------------------------

def identical():
    """Headers complete: the provider gets exactly these bytes."""
    body = (b"Line one\r\n.leading dot\r\n..two dots\r\n" +
            "\ud55c\uad6d\uc5b4 UTF-8 \u00e9\r\n".encode() + b"x" * 998 +
            b"\r\nlast line\r\n")
    m = msg("identical", body, b"Date: Thu, 03 Dec 2026 10:00:00 +0900\r\n"
            b"Message-ID: <fixed.1@example.com>\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n")
    open("sent-identical.eml", "wb").write(m)
    s = smtplib.SMTP("127.0.0.1", PORT)
    refused = s.sendmail("kim@example.com", ["b@example.org", "c@example.org"],
                         m, mail_options=["BODY=8BITMIME"])
    s.quit()
    result(refused == {}, "smtplib: both recipients accepted")


def noheaders():
    """No Date, no Message-ID: the relay adds both, nothing else."""
    m = msg("bare")
    open("sent-bare.eml", "wb").write(m)
    s = smtplib.SMTP("127.0.0.1", PORT)
    s.sendmail("kim@example.com", ["b@example.org"], m)
    s.quit()
    result(True, "smtplib: a message without Date and Message-ID accepted")


def refused_rcpt():
    """The provider refuses one recipient: the client sees it at RCPT."""
    s = smtplib.SMTP("127.0.0.1", PORT)
    refused = s.sendmail("kim@example.com", ["b@example.org", "bad@example.org"],
                         msg("one refused"))
    s.quit()
    code = refused.get("bad@example.org", (0, b""))[0]
    result(code == 550 and len(refused) == 1,
           "the provider's 550 for one recipient reaches the client at RCPT "
           "(got %r)" % (refused,))


def eom_code(want, what):
    s = smtplib.SMTP("127.0.0.1", PORT)
    try:
        s.sendmail("kim@example.com", ["b@example.org"], msg(what))
        got = 250
    except smtplib.SMTPDataError as e:
        got = e.smtp_code
        note("# reply:", e.smtp_code, e.smtp_error)
    except smtplib.SMTPServerDisconnected as e:
        got = -1
        note("# disconnected:", e)
    try:
        s.quit()
    except Exception:
        pass
    result(got == want, "%s: the client gets %d at end of data (got %d)"
           % (what, want, got))


def eom_421():
    eom_code(421, "provider says 421 at end of data")


def eom_drop():
    eom_code(451, "provider drops after the final dot")


def eom_550():
    eom_code(550, "provider refuses the content with 550")


def pace(n_clients, per_client, rate):
    """Clients side by side; the time of each 250 after the final dot."""
    times, errors = [], []
    lock = threading.Lock()
    start = threading.Barrier(n_clients)

    def one(k):
        try:
            s = smtplib.SMTP("127.0.0.1", PORT, timeout=60)
            start.wait()
            for i in range(per_client):
                s.sendmail("kim@example.com", ["b@example.org"],
                           msg("pace %d.%d" % (k, i)))
                with lock:
                    times.append(time.monotonic())
            s.quit()
        except Exception as e:
            errors.append(repr(e))
    th = [threading.Thread(target=one, args=(k,)) for k in range(n_clients)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    total = n_clients * per_client
    result(not errors and len(times) == total,
           "%d clients side by side: %d messages accepted %s"
           % (n_clients, total, errors[:1]))
    # The rate is the slope of a least-squares line through the reply
    # times, from the 2nd reply on: one late reply (a busy machine) moves
    # it little, and the first message also pays for the cold start (the
    # upstream session, valgrind's translation).
    times = sorted(times)[1:]
    n = len(times)
    mx, my = (n - 1) / 2, sum(times) / n if n else 0
    sxx = sum((i - mx) ** 2 for i in range(n))
    slope = sum((i - mx) * (t - my) for i, t in enumerate(times)) / sxx \
        if sxx else 0
    got = 1 / slope if slope > 0 else 0
    note("# %d messages, 2nd to last in %.3f s; fitted rate %.3f/s for "
         "%.1f/s" % (n + 1, times[-1] - times[0] if n else 0, got, rate))
    result(abs(got - rate) <= 0.02 * rate,
           "the pace holds across the clients: %.3f/s for %.1f/s (+-2%%)"
           % (got, rate))


def pace3():
    pace(3, 10, 10.0)


def tls_auth():
    """cert, key and credentials: AUTH only after STARTTLS."""
    s, f = raw()
    reply(f)
    code, caps = cmd(s, f, "EHLO t.example")
    text = " ".join(caps)
    result(code == 250 and "STARTTLS" in text and "AUTH" not in text,
           "before STARTTLS: STARTTLS offered, AUTH not (%s)" % text)
    code, _ = cmd(s, f, "AUTH PLAIN AGRlbW8AZGVtbw==")
    result(code == 538, "AUTH before STARTTLS: 538 (got %d)" % code)
    code, _ = cmd(s, f, "MAIL FROM:<kim@example.com>")
    result(code == 530, "MAIL before AUTH: 530 (got %d)" % code)
    s.close()
    ctx = ssl.create_default_context(cafile=sys.argv[3])
    c = smtplib.SMTP("127.0.0.1", PORT)
    c.starttls(context=ctx)
    c.ehlo("t.example")
    result("PLAIN" in c.esmtp_features.get("auth", "") and
           "LOGIN" in c.esmtp_features.get("auth", ""),
           "after STARTTLS: AUTH PLAIN LOGIN offered")
    try:
        c.login("teacher", "wrong-password")
        code = 235
    except smtplib.SMTPAuthenticationError as e:
        code = e.smtp_code
    result(code == 535, "a wrong password: 535 (got %d)" % code)
    c.user, c.password = "teacher", os.environ["RELAY_PASSWORD"]
    code, _ = c.auth("LOGIN", c.auth_login)
    result(code == 235, "AUTH LOGIN with the relay's password: 235")
    refused = c.sendmail("kim@example.com", ["b@example.org"], msg("tls"))
    c.quit()
    result(refused == {}, "a message relayed over TLS after AUTH")
    c = smtplib.SMTP("127.0.0.1", PORT)
    c.starttls(context=ctx)
    c.login("teacher", os.environ["RELAY_PASSWORD"])   # PLAIN
    c.quit()
    result(True, "AUTH PLAIN with the relay's password")


def slowloris():
    """A command trickled in, one octet at a time, runs out of time."""
    s, f = raw(timeout=20)
    reply(f)
    t0 = time.monotonic()
    got = 0
    try:
        for ch in b"EHLO slow.example.com and on and on":
            s.sendall(bytes([ch]))
            line = f.readline(0.2)
            if line is not None:
                got = int(line[:3] or 0)
                break
    except OSError:
        pass
    took = time.monotonic() - t0
    result(got == 421 and took < 3.5,
           "a slowloris command: 421 after %.1f s (timeout 2 s, got %d)"
           % (took, got))
    s2, f2 = raw(timeout=20)
    reply(f2)
    t0 = time.monotonic()
    code, _ = reply(f2)
    result(code == 421 and time.monotonic() - t0 < 3.5,
           "a silent client: 421 after the deadline (got %d)" % code)


def size_param():
    """MAIL SIZE= over the limit: refused before any data."""
    s, f = raw()
    reply(f)
    cmd(s, f, "EHLO t.example")
    code, lines = cmd(s, f, "MAIL FROM:<kim@example.com> SIZE=104857600")
    result(code == 552 and "5.3.4" in lines[0],
           "MAIL SIZE=104857600 (100 MB): 552 5.3.4 (%s)" % lines)
    cmd(s, f, "QUIT")


def size_count():
    """DATA over max_size (1 MiB here) without SIZE=: counted, refused."""
    s, f = raw(timeout=120)
    reply(f)
    cmd(s, f, "EHLO t.example")
    cmd(s, f, "MAIL FROM:<kim@example.com>")
    cmd(s, f, "RCPT TO:<b@example.org>")
    cmd(s, f, "DATA")
    line = b"y" * 998 + b"\r\n"
    s.sendall(b"Subject: big\r\n\r\n" + line * 3000)
    code, lines = cmd(s, f, b".\r\n")
    result(code == 552, "3 MB of DATA with no SIZE= over max_size 1 MiB: 552 "
           "at the end (%s)" % lines)
    code, _ = cmd(s, f, "NOOP")
    result(code == 250, "the session goes on after the refusal")
    cmd(s, f, "QUIT")


def smuggle():
    """Bare LF and bare CR in DATA: refused, and "\n.\n" ends nothing."""
    for name, data in (("bare LF", b"Subject: x\r\n\r\nline\n.\nMAIL FROM:<evil@"
                        b"example.com>\r\nRCPT TO:<victim@example.org>\r\n"),
                       ("bare CR", b"Subject: x\r\n\r\nline\r.\rmore\r\n")):
        s, f = raw()
        reply(f)
        cmd(s, f, "EHLO t.example")
        cmd(s, f, "MAIL FROM:<kim@example.com>")
        cmd(s, f, "RCPT TO:<b@example.org>")
        cmd(s, f, "DATA")
        s.sendall(data)
        early = f.readline(0.5)
        result(early is None, "%s: the smuggled end of data ends nothing "
               "(%r)" % (name, early))
        code, lines = cmd(s, f, b".\r\n")
        result(code == 554 and "5.6.0" in lines[0],
               "%s in DATA: 554 5.6.0 (%s)" % (name, lines))
        code, _ = cmd(s, f, "QUIT")


def limits():
    s, f = raw()
    reply(f)
    cmd(s, f, "EHLO t.example")
    code, _ = cmd(s, f, "NOOP " + "x" * 600)
    result(code == 500, "a 606-octet command line: 500 (got %d)" % code)
    code, _ = cmd(s, f, b"NOOP\n")
    result(code == 500, "a command ending in a bare LF: 500 (got %d)" % code)
    cmd(s, f, "MAIL FROM:<kim@example.com>")
    cmd(s, f, "RCPT TO:<b@example.org>")
    cmd(s, f, "DATA")
    code, lines = cmd(s, f, b"Subject: x\r\n\r\n" + b"z" * 1200 + b"\r\n.\r\n")
    result(code == 554, "a 1202-octet text line: 554 (%s)" % lines)
    code, _ = cmd(s, f, "RCPT TO:<b@example.org>")
    result(code == 503, "the refused message ended the transaction (got %d)"
           % code)
    cmd(s, f, "QUIT")
    s, f = raw()
    reply(f)
    code, _ = cmd(s, f, b"NOOP " + b"x" * 8000 + b"\r\nQUIT\r\n")
    after = f.readline(5)
    result(code == 500 and after == b"", "an 8 KB line with no end in sight: "
           "500, then the connection closes (%d %r)" % (code, after))


def two_accounts():
    s = smtplib.SMTP("127.0.0.1", PORT)
    s.ehlo("t.example")
    s.mail("kim@example.com")
    a, _ = s.rcpt("b@example.org")
    b, text = s.rcpt("x@example.net")
    result(a == 250 and b == 452, "a recipient of another account: 452 4.5.3 "
           "(%d %s)" % (b, text))
    s.rset()
    s.quit()


def sigterm_inflight():
    """Start a transaction, let the test send SIGTERM, then finish it."""
    s = smtplib.SMTP("127.0.0.1", PORT)
    s.ehlo("t.example")
    s.mail("kim@example.com")
    s.rcpt("b@example.org")
    open("inflight.ready", "w").close()
    for _ in range(100):
        if os.path.exists("inflight.go"):
            break
        time.sleep(0.05)
    code, _ = s.data(msg("in flight at SIGTERM"))
    result(code == 250, "a message in flight at SIGTERM is relayed (got %d)"
           % code)
    try:
        code, _ = s.docmd("NOOP")
    except smtplib.SMTPServerDisconnected:
        code = -1
    result(code == 421, "then the relay says 421 shutting down (got %d)" % code)


def three():
    """Three messages in one client session, each must get its 250."""
    s = smtplib.SMTP("127.0.0.1", PORT)
    codes = []
    for i in range(3):
        try:
            s.sendmail("kim@example.com", ["b@example.org"], msg("three %d" % i))
            codes.append(250)
        except smtplib.SMTPException as e:
            codes.append(getattr(e, "smtp_code", -1))
    s.quit()
    result(codes == [250] * 3, "three messages in one session accepted %s"
           % codes)


def busy():
    for _ in range(50):     # the previous scenario's thread may not be done
        try:
            s = smtplib.SMTP("127.0.0.1", PORT)
            break
        except smtplib.SMTPConnectError:
            time.sleep(0.1)
    s.ehlo("t.example")
    s2, f2 = raw()
    code, lines = reply(f2)
    result(code == 421, "over max_clients: 421 (%s)" % lines)
    s.quit()


SCENARIOS = {n: f for n, f in globals().items() if callable(f) and
             n in ("identical", "noheaders", "refused_rcpt", "eom_421",
                   "eom_drop", "eom_550", "pace3", "tls_auth", "slowloris",
                   "size_param", "size_count", "smuggle", "limits",
                   "two_accounts", "sigterm_inflight", "busy", "three")}

if __name__ == "__main__":
    PORT = int(sys.argv[2])
    try:
        SCENARIOS[sys.argv[1]]()
    except Exception as e:
        result(False, "%s raised %r" % (sys.argv[1], e))
