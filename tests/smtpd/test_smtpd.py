#!/usr/bin/python3
"""TAP tests for tests/smtpd (the project's scriptable loopback SMTP server).

Runs the server binary from $SMTPD (default: build/smtpd under the repo
root) on an ephemeral loopback port with certificates made by mkcerts.sh in
a temporary directory.  Standard library only; builds nothing.
"""

import base64
import hashlib
import os
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SMTPD = os.environ.get("SMTPD", os.path.join(ROOT, "build", "smtpd"))
USER, PASSWORD = "demo", "demo-password"

count = 0
failed = 0
exits = []      # (server name, exit code, stderr) of every server stopped


def ok(cond, desc, diag=None):
    global count, failed
    count += 1
    if cond:
        print("ok %d - %s" % (count, desc))
    else:
        failed += 1
        print("not ok %d - %s" % (count, desc))
        if diag is not None:
            for line in str(diag).splitlines():
                print("# " + line)
    sys.stdout.flush()
    return cond


class Server:
    """One smtpd process with its own store, transcript and port file."""

    def __init__(self, tmp, certs, name, script=None, args=(), store=None):
        self.name = name
        self.rc = None
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.store = store or os.path.join(self.dir, "store")
        self.transcript = os.path.join(self.dir, "transcript")
        self.port_file = os.path.join(self.dir, "port")
        cmd = [SMTPD, "-p", "0", "-a", "127.0.0.1",
               "--cert", os.path.join(certs, "server.pem"),
               "--key", os.path.join(certs, "server-key.pem"),
               "-d", self.store, "-t", self.transcript,
               "--port-file", self.port_file, "--max-seconds", "60"]
        if script is not None:
            path = os.path.join(self.dir, "script")
            with open(path, "w") as f:
                f.write(script)
            cmd += ["-s", path]
        cmd += list(args)
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE)
        self.port = self._wait_port()

    def _wait_port(self):
        end = time.time() + 5
        while time.time() < end:
            if os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    return int(f.read())
            if self.proc.poll() is not None:
                raise RuntimeError("smtpd exited: " +
                                   self.proc.stderr.read().decode())
            time.sleep(0.02)
        raise RuntimeError("smtpd wrote no port file")

    def stop(self):
        """SIGTERM; returns (exit code, seconds taken)."""
        t0 = time.time()
        if self.rc is not None:
            return self.rc, 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        took = time.time() - t0
        err = self.proc.stderr.read().decode(errors="replace")
        self.proc.stderr.close()
        self.rc = rc
        exits.append((self.name, rc, err))
        return rc, took

    def files(self):
        return sorted(n for n in os.listdir(self.store) if n.endswith(".eml"))

    def read(self, name):
        with open(os.path.join(self.store, name), "rb") as f:
            return f.read()

    def index(self):
        path = os.path.join(self.store, "index.tsv")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [line.rstrip("\n").split("\t") for line in f]

    def log(self):
        with open(self.transcript) as f:
            return f.read()


def tls_context(certs):
    return ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))


def session(srv, certs, login=True):
    s = smtplib.SMTP("127.0.0.1", srv.port, timeout=10)
    s.ehlo("client.test")
    s.starttls(context=tls_context(certs))
    s.ehlo("client.test")
    if login:
        s.login(USER, PASSWORD)
    return s


MESSAGE = (b"From: a@example.com\r\nTo: b@example.com\r\nSubject: t\r\n\r\n"
           b".leading dot\r\n..two dots\r\nplain line\r\n.\r\n"
           b"\xed\x95\x9c\xea\xb8\x80 8bit\r\n")


def t_send_plain(tmp, certs):
    srv = Server(tmp, certs, "plain")
    try:
        s = session(srv, certs)
        refused = s.sendmail("a@example.com", ["b@example.com",
                             "c@example.com"], MESSAGE)
        s.quit()
        ok(refused == {}, "STARTTLS + AUTH PLAIN + send accepted")
        files = srv.files()
        ok(files == ["000001.eml"], "one message stored as 000001.eml",
           files)
        ok(files and srv.read(files[0]) == MESSAGE,
           "stored bytes equal the message after dot-unstuffing")
        srv.stop()
        idx = srv.index()
        want = ["000001", "a@example.com", "b@example.com,c@example.com",
                str(len(MESSAGE)), hashlib.sha256(MESSAGE).hexdigest()]
        ok(idx == [want], "index.tsv line", idx)
        log = srv.log()
        pw64 = base64.b64encode(b"\0demo\0demo-password").decode()
        ok("C: AUTH PLAIN <auth data>" in log and pw64 not in log and
           "-- STARTTLS handshake ok" in log and
           "C: <data %d bytes>" % len(MESSAGE) in log and
           "-- connection 1 opened" in log and
           "-- connection 1 closed" in log,
           "transcript marks TLS, redacts AUTH, summarises DATA", log)
    finally:
        srv.stop()


def t_auth(tmp, certs):
    srv = Server(tmp, certs, "auth")
    try:
        s = session(srv, certs, login=False)
        s.user, s.password = USER, PASSWORD
        code, _ = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
        ok(code == 235, "AUTH LOGIN with 334 challenges")
        s.quit()
        s = session(srv, certs, login=False)
        try:
            s.login(USER, "wrong")
            ok(False, "wrong password refused")
        except smtplib.SMTPAuthenticationError as e:
            ok(e.smtp_code == 535 and
               e.smtp_error.startswith(b"5.7.8 Username and Password"),
               "wrong password refused with 535 5.7.8", e)
        code, _ = s.mail("a@example.com")
        ok(code == 530, "MAIL without AUTH refused with 530")
        s.quit()
        s = smtplib.SMTP("127.0.0.1", srv.port, timeout=10)
        s.ehlo("client.test")
        ok("auth" not in s.esmtp_features and
           "starttls" in s.esmtp_features,
           "pre-TLS EHLO offers STARTTLS, not AUTH")
        code, msg = s.docmd("AUTH", "PLAIN " + base64.b64encode(
            b"\0demo\0demo-password").decode())
        ok(code == 530 and msg.startswith(b"5.7.0 Must issue a STARTTLS"),
           "AUTH before TLS refused with 530 5.7.0", (code, msg))
        s.quit()
    finally:
        srv.stop()


def recv_replies(sock, n, timeout=10):
    """Read n complete replies; returns their codes."""
    sock.settimeout(timeout)
    data = b""
    codes = []
    while len(codes) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        while b"\r\n" in data:
            line, data = data.split(b"\r\n", 1)
            if line[3:4] == b" " or len(line) == 3:
                codes.append(int(line[:3]))
    return codes


def tls_client(srv, certs):
    raw = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    f = raw.makefile("rb")
    f.readline()
    raw.sendall(b"EHLO client.test\r\n")
    while f.readline()[3:4] == b"-":
        pass
    raw.sendall(b"STARTTLS\r\n")
    f.readline()
    f.close()
    tls = tls_context(certs).wrap_socket(raw, server_hostname="localhost")
    plain = base64.b64encode(b"\0demo\0demo-password")
    tls.sendall(b"EHLO client.test\r\nAUTH PLAIN " + plain + b"\r\n")
    return tls


def t_pipelining(tmp, certs):
    srv = Server(tmp, certs, "pipe")
    try:
        tls = tls_client(srv, certs)
        codes = recv_replies(tls, 2)
        ok(codes == [250, 235], "EHLO and AUTH pipelined", codes)
        m1 = b"Subject: one\r\n\r\n..dot\r\n"
        m2 = b"Subject: two\r\n\r\nbody\r\n"
        burst = (b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n"
                 b"RCPT TO:<c@example.com>\r\nDATA\r\n" + m1 + b".\r\n"
                 b"MAIL FROM:<a@example.com>\r\nRCPT TO:<d@example.com>\r\n"
                 b"DATA\r\n" + m2 + b".\r\nQUIT\r\n")
        tls.sendall(burst)
        codes = recv_replies(tls, 10)
        tls.close()
        ok(codes == [250, 250, 250, 354, 250, 250, 250, 354, 250, 221],
           "pipelined replies in order", codes)
        ok(srv.files() == ["000001.eml", "000002.eml"] and
           srv.read("000001.eml") == b"Subject: one\r\n\r\n.dot\r\n" and
           srv.read("000002.eml") == m2, "both pipelined messages stored")
        idx = srv.index()
        ok([r[2] for r in idx] == ["b@example.com,c@example.com",
                                   "d@example.com"], "index recipients")
    finally:
        srv.stop()


def bdat(chunk, last=False):
    return (b"BDAT %d%s\r\n" % (len(chunk), b" LAST" if last else b"") +
            chunk)


ENVELOPE = b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n"


def t_chunking(tmp, certs):
    script = ("CHUNKING\nMARK_PIPELINED\n"
              "REPLY RCPT:bad@example.com 550 5.1.1 no such user\n"
              "REPLY BDAT#4 452 4.3.1 chunk refused\n"
              "REPLY EOM#2 554 5.7.1 content refused\n")
    srv = Server(tmp, certs, "chunking", script)
    try:
        s = smtplib.SMTP("127.0.0.1", srv.port, timeout=10)
        s.ehlo("x")
        plain_ehlo = s.has_extn("chunking")
        s.starttls(context=tls_context(certs))
        s.ehlo("x")
        ok(not plain_ehlo and s.has_extn("chunking"),
           "CHUNKING offered after STARTTLS only")
        s.quit()
        tls = tls_client(srv, certs)
        recv_replies(tls, 2)
        # A chunk boundary inside a line; dots are data, never unstuffed.
        c1 = b"Subject: chunks\r\n\r\n..two"
        c2 = b" dots\r\n.\r\n.leading\r\nend\r\n"
        tls.sendall(ENVELOPE + bdat(c1) + bdat(c2, True))
        codes = recv_replies(tls, 4)
        ok(codes == [250, 250, 250, 250], "MAIL RCPT BDAT BDAT LAST "
           "pipelined", codes)
        ok(srv.files() == ["000001.eml"] and
           srv.read("000001.eml") == c1 + c2,
           "stored bytes are the chunks as sent (no dot-unstuffing)")
        tls.sendall(bdat(b"hello", True) + b"NOOP\r\nBDAT x\r\n")
        codes = recv_replies(tls, 3)
        ok(codes == [503, 250, 501], "BDAT without MAIL: 503, its data "
           "skipped; bad syntax 501", codes)
        tls.sendall(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<bad@example.com>"
                    b"\r\n" + bdat(b"abc", True) + b"RSET\r\n")
        codes = recv_replies(tls, 4)
        ok(codes == [250, 550, 554, 250], "BDAT with no valid recipient: "
           "554", codes)
        tls.sendall(ENVELOPE + bdat(b"abc") + bdat(b"def", True))
        codes = recv_replies(tls, 4)
        ok(codes == [250, 250, 452, 503], "REPLY BDAT#4 refuses a chunk; "
           "the transaction is over", codes)
        tls.sendall(ENVELOPE + bdat(b"x\r\n", True))
        codes = recv_replies(tls, 3)
        ok(codes == [250, 250, 554], "REPLY EOM#2 applies to BDAT LAST",
           codes)
        tls.sendall(ENVELOPE + bdat(b"a\nb\r\n", True))
        codes = recv_replies(tls, 3)
        ok(codes == [250, 250, 554], "bare LF in BDAT data: 554", codes)
        tls.sendall(ENVELOPE + bdat(b"abc") + b"DATA\r\nRSET\r\nQUIT\r\n")
        codes = recv_replies(tls, 6)
        ok(codes == [250, 250, 250, 503, 250, 221], "DATA after BDAT: 503",
           codes)
        tls.close()
        ok(srv.files() == ["000001.eml"], "refused BDAT messages not stored")
        srv.stop()
        lines = srv.log().splitlines()
        i_mail = lines.index("C: MAIL FROM:<a@example.com>")
        i_rcpt = lines.index("C: RCPT TO:<b@example.com>")
        ok(lines[i_mail - 1] != "-- pipelined" and
           lines[i_rcpt - 1] == "-- pipelined" and
           "C: BDAT %d" % len(c1) in lines and
           "C: <data %d bytes>" % len(c2) in lines,
           "transcript: BDAT lines, chunk sizes, -- pipelined marks",
           "\n".join(lines[i_mail - 2:i_mail + 12]))
    finally:
        srv.stop()
    srv = Server(tmp, certs, "nochunking")
    try:
        s = session(srv, certs)
        code, _ = s.docmd("BDAT", "3 LAST")
        ok(not s.has_extn("chunking") and code == 502,
           "without CHUNKING: not offered, BDAT 502")
        s.quit()
        srv.stop()
        ok("-- pipelined" not in srv.log(), "no -- pipelined notes "
           "without MARK_PIPELINED")
    finally:
        srv.stop()


def t_reply_rcpt(tmp, certs):
    script = ("# one bad recipient\n"
              "REPLY RCPT:bad@example.com 550 5.1.1 no such user\n"
              "REPLY EHLO#1 250 localhost\\nPIPELINING\\nAUTH PLAIN\n")
    srv = Server(tmp, certs, "rcpt", script)
    try:
        s = smtplib.SMTP("127.0.0.1", srv.port, timeout=10)
        code, msg = s.ehlo("x")
        ok(code == 250 and msg == b"localhost\nPIPELINING\nAUTH PLAIN",
           "scripted multi-line EHLO reply", msg)
        s.close()
        s = smtplib.SMTP("127.0.0.1", srv.port, timeout=10)
        s.starttls(context=tls_context(certs))
        s.ehlo("x")
        s.login(USER, PASSWORD)
        refused = s.sendmail("a@example.com", ["bad@example.com",
                             "good@example.com"], b"Subject: x\r\n\r\nx\r\n")
        s.quit()
        ok(list(refused) == ["bad@example.com"] and
           refused["bad@example.com"][0] == 550,
           "REPLY RCPT:addr refuses only that address", refused)
        ok([r[2] for r in srv.index()] == ["good@example.com"],
           "stored with the accepted recipient only")
    finally:
        srv.stop()


def t_drops(tmp, certs):
    srv = Server(tmp, certs, "dropstore", "DROP_AFTER_STORE EOM#1\n")
    try:
        s = session(srv, certs)
        try:
            s.sendmail("a@example.com", ["b@example.com"], b"x\r\n")
            ok(False, "DROP_AFTER_STORE EOM#1 drops the connection")
        except smtplib.SMTPServerDisconnected:
            ok(True, "DROP_AFTER_STORE EOM#1 drops the connection")
        ok(srv.files() == ["000001.eml"], "... after storing the message")
        s = session(srv, certs)
        ok(s.sendmail("a@example.com", ["b@example.com"], b"y\r\n") == {},
           "EOM#2 is answered normally")
        s.quit()
    finally:
        srv.stop()
    srv = Server(tmp, certs, "drop", "DROP EOM\n")
    try:
        s = session(srv, certs)
        try:
            s.sendmail("a@example.com", ["b@example.com"], b"x\r\n")
            ok(False, "DROP EOM stores nothing")
        except smtplib.SMTPServerDisconnected:
            ok(srv.files() == [], "DROP EOM stores nothing")
    finally:
        srv.stop()


def t_close421(tmp, certs):
    srv = Server(tmp, certs, "c421", "CLOSE421 AFTER 1\n")
    try:
        s = session(srv, certs)
        ok(s.sendmail("a@example.com", ["b@example.com"], b"1\r\n") == {},
           "first message of the session accepted")
        try:
            s.sendmail("a@example.com", ["b@example.com"], b"2\r\n")
            ok(False, "CLOSE421 AFTER 1: next command gets 421")
        except smtplib.SMTPSenderRefused as e:
            ok(e.smtp_code == 421, "CLOSE421 AFTER 1: next command gets 421")
        except smtplib.SMTPServerDisconnected:
            ok(False, "CLOSE421 AFTER 1: next command gets 421")
        ok(srv.files() == ["000001.eml"], "only the first message stored")
    finally:
        srv.stop()


def t_nostarttls(tmp, certs):
    srv = Server(tmp, certs, "notls", "NOSTARTTLS\n")
    try:
        s = smtplib.SMTP("127.0.0.1", srv.port, timeout=10)
        s.ehlo("x")
        ok("starttls" not in s.esmtp_features, "NOSTARTTLS hides STARTTLS")
        code, _ = s.docmd("STARTTLS")
        ok(code == 502, "NOSTARTTLS refuses STARTTLS with 502")
        s.quit()
    finally:
        srv.stop()


def t_inject(tmp, certs):
    srv = Server(tmp, certs, "inject",
                 "INJECT_AFTER_STARTTLS 250 2.0.0 injected\n")
    try:
        raw = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        raw.sendall(b"EHLO x\r\n")
        recv_replies(raw, 2)
        raw.sendall(b"STARTTLS\r\n")
        time.sleep(0.2)
        data = raw.recv(4096)
        ok(data == b"220 2.0.0 Ready to start TLS\r\n250 2.0.0 injected\r\n",
           "INJECT_AFTER_STARTTLS sends extra plaintext after the 220", data)
        raw.close()
    finally:
        srv.stop()


def t_garbage(tmp, certs):
    srv = Server(tmp, certs, "garbage")
    try:
        raw = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        raw.sendall(b"\x00\xff\x16\x03\x01junk\r\n" + b"A" * 5000 + b"\r\n"
                    + b"bare lf\n" + b"MAIL FROM:<x>\r\n")
        codes = recv_replies(raw, 5)
        ok(codes == [220, 500, 500, 500, 503], "garbage answered", codes)
        raw.close()
        s = session(srv, certs)
        ok(s.sendmail("a@example.com", ["b@example.com"], b"z\r\n") == {},
           "server still works after garbage")
        s.quit()
    finally:
        srv.stop()


def t_restart_and_stop(tmp, certs):
    store = os.path.join(tmp, "shared-store")
    for run in (1, 2):
        srv = Server(tmp, certs, "restart%d" % run, store=store)
        s = session(srv, certs)
        s.sendmail("a@example.com", ["b@example.com"], b"r%d\r\n" % run)
        rc, secs = srv.stop()
        s.close()
    ok(srv.files() == ["000001.eml", "000002.eml"],
       "sequence continues after a restart", srv.files())
    ok(rc == 0 and secs < 3, "SIGTERM exits 0 promptly with a client open",
       (rc, secs))


def t_script_error(tmp, certs):
    path = os.path.join(tmp, "bad.script")
    with open(path, "w") as f:
        f.write("# comment\nREPLY RCPT 550 5.1.1 x\nFROBNICATE now\n")
    p = subprocess.run([SMTPD, "-p", "0", "--cert",
                        os.path.join(certs, "server.pem"), "--key",
                        os.path.join(certs, "server-key.pem"), "-s", path],
                       capture_output=True, timeout=10)
    ok(p.returncode == 2 and b"bad.script:3:" in p.stderr and
       b"FROBNICATE" in p.stderr, "unknown directive names its line",
       p.stderr)
    p = subprocess.run([SMTPD, "-p", "0", "-a", "192.0.2.1", "--cert",
                        os.path.join(certs, "server.pem"), "--key",
                        os.path.join(certs, "server-key.pem")],
                       capture_output=True, timeout=10)
    ok(p.returncode == 2 and b"loopback" in p.stderr,
       "non-loopback -a refused", p.stderr)


def raw_conn(srv):
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    return sock


def read_reply(sock):
    """Read one whole reply; returns its list of lines (bytes)."""
    f = sock.makefile("rb")
    lines = []
    while True:
        line = f.readline()
        if not line:
            break
        lines.append(line.rstrip(b"\r\n"))
        if line[3:4] != b"-":
            break
    f.close()
    return lines


def t_reply_shapes(tmp, certs):
    script = ("DELAY CONNECT#1 300ms\n"
              "BAD_REPLY EHLO#1 abc hello\n"
              "HUGE_REPLY EHLO#2 5\n"
              "LONG_LINE EHLO#3 2000\n"
              "REPLY NOOP 250 2.0.0 first\\nsecond\\nthird\n"
              "SPLIT_REPLIES\n")
    srv = Server(tmp, certs, "shapes", script)
    try:
        t0 = time.time()
        sock = raw_conn(srv)
        greeting = read_reply(sock)
        ok(time.time() - t0 >= 0.25 and greeting[0].startswith(b"220 "),
           "DELAY CONNECT delays the greeting", greeting)
        sock.sendall(b"EHLO x\r\n")
        ok(read_reply(sock) == [b"abc hello"], "BAD_REPLY sent verbatim")
        sock.sendall(b"EHLO x\r\n")
        lines = read_reply(sock)
        ok(len(lines) == 12 and lines[1] == b"250-X-FILLER-0000001",
           "HUGE_REPLY adds continuation lines", lines)
        sock.sendall(b"EHLO x\r\n")
        lines = read_reply(sock)
        ok(len(lines[0]) == 2000 and lines[-1] == b"250 STARTTLS",
           "LONG_LINE pads the first line", len(lines[0]))
        sock.sendall(b"NOOP\r\n")
        ok(read_reply(sock) == [b"250-2.0.0 first", b"250-second",
                                b"250 third"],
           "multi-line scripted reply, split one byte per write")
        sock.close()
    finally:
        srv.stop()


def t_drip(tmp, certs):
    """DRIP: a reply one octet at a time, with a pause after each;
    DRIP_HANDSHAKE: the same for the server's side of the handshake."""
    srv = Server(tmp, certs, "drip", "DRIP CONNECT 50ms\n"
                 "DRIP_HANDSHAKE 1ms\n")
    try:
        sock = raw_conn(srv)
        sock.settimeout(60)  # a 2 kB handshake flight, an octet a ms
        t0 = time.time()
        first = sock.recv(100)
        rest = b""
        while not rest.endswith(b"\r\n"):
            rest += sock.recv(100)
        took = time.time() - t0
        greeting = first + rest
        ok(len(first) <= 2 and greeting.startswith(b"220 ") and
           took >= 0.04 * (len(greeting) - 1),
           "DRIP CONNECT: the greeting comes an octet at a time",
           (first, took))
        sock.sendall(b"EHLO x\r\n")
        read_reply(sock)
        sock.sendall(b"STARTTLS\r\n")
        read_reply(sock)
        tls = tls_context(certs).wrap_socket(sock,
                                             server_hostname="localhost")
        tls.sendall(b"NOOP\r\n")
        ok(read_reply(tls)[0].startswith(b"250"),
           "DRIP_HANDSHAKE: the dripped handshake completes")
        tls.close()
        ok("-- drip handshake, 1 ms an octet" in srv.log() and
           "-- drip CONNECT reply, 50 ms an octet" in srv.log(),
           "DRIP notes in the transcript")
    finally:
        srv.stop()


def t_silent_and_stop_reading(tmp, certs):
    srv = Server(tmp, certs, "silent", "SILENT CONNECT#1\n"
                 "STOP_READING DATA#1\nDROP DATA#2\n")
    try:
        sock = raw_conn(srv)
        sock.settimeout(0.5)
        try:
            data = sock.recv(100)
        except socket.timeout:
            data = None
        ok(data is None, "SILENT sends nothing", data)
        sock.close()
        s = session(srv, certs)
        s.mail("a@example.com")
        s.rcpt("b@example.com")
        code, _ = s.docmd("DATA")
        ok(code == 354, "354 before STOP_READING")
        s.sock.settimeout(1)
        try:
            s.sock.sendall((b"x" * 998 + b"\r\n") * 20000)
            ok(False, "STOP_READING DATA blocks the client's write")
        except (socket.timeout, ssl.SSLError, OSError):
            ok(True, "STOP_READING DATA blocks the client's write")
        s.close()
        s = session(srv, certs)
        s.mail("a@example.com")
        s.rcpt("b@example.com")
        try:
            s.docmd("DATA")
            ok(False, "DROP DATA#2 closes without 354")
        except smtplib.SMTPServerDisconnected:
            ok(True, "DROP DATA#2 closes without 354")
        s.close()
    finally:
        srv.stop()
    log = srv.log()
    ok("-- silent" in log and "-- stopped reading" in log and
       "-- drop at DATA" in log and "connection 3 closed" in log,
       "transcript notes SILENT, STOP_READING and DROP", log)


def t_tls_variants(tmp, certs):
    srv = Server(tmp, certs, "refuse", "STARTTLS_REFUSE\n")
    try:
        s = smtplib.SMTP("127.0.0.1", srv.port, timeout=5)
        s.ehlo("x")
        code, msg = s.docmd("STARTTLS")
        ok(code == 454 and "starttls" in s.esmtp_features,
           "STARTTLS_REFUSE advertises, then answers 454", (code, msg))
        s.quit()
    finally:
        srv.stop()
    srv = Server(tmp, certs, "authplain", "AUTH_BEFORE_TLS\n")
    try:
        s = smtplib.SMTP("127.0.0.1", srv.port, timeout=5)
        s.ehlo("x")
        ok(s.has_extn("auth"), "AUTH_BEFORE_TLS advertises AUTH in clear")
        s.login(USER, PASSWORD)
        ok(True, "AUTH_BEFORE_TLS accepts AUTH in clear")
        s.quit()
    finally:
        srv.stop()
    wrong = os.path.join(certs, "wrong.pem")
    srv = Server(tmp, certs, "wrongcert", "TLS_CERT %s %s\n" % (
        wrong, os.path.join(certs, "wrong-key.pem")))
    try:
        s = smtplib.SMTP("localhost", srv.port, timeout=5)
        s.ehlo("x")
        try:
            s.starttls(context=tls_context(certs))
            ok(False, "TLS_CERT wrong.pem fails host verification")
        except ssl.SSLCertVerificationError:
            ok(True, "TLS_CERT wrong.pem fails host verification")
        s.close()
    finally:
        srv.stop()


def t_limits(tmp, certs):
    users = os.path.join(tmp, "users")
    with open(users, "w") as f:
        f.write("# test users\nalice:s3cret:with:colons\n")
    srv = Server(tmp, certs, "limits", "REPLY EOM#2 451 4.3.0 try later\n",
                 args=["--users", users])
    try:
        s = session(srv, certs, login=False)
        s.login("alice", "s3cret:with:colons")
        ok(True, "--users file accepted")
        s.mail("a@example.com")
        codes = [s.rcpt("r%d@example.com" % i)[0] for i in range(101)]
        ok(codes == [250] * 100 + [452], "101st recipient gets 452")
        code, _ = s.data(b"line\nbare lf\r\n")
        ok(code == 554, "bare LF in data refused with 554", code)
        s.mail("a@example.com")
        s.rcpt("b@example.com")
        code, _ = s.data(b"x\r\n")
        ok(code == 451 and srv.files() == [],
           "REPLY EOM#2 451 refuses and does not store", code)
        s.mail("a@example.com")
        s.rcpt("b@example.com")
        code, _ = s.data(b"y" * 1200 + b"\r\n")
        ok(code == 554, "data line over 998 octets refused", code)
        s.send("MAIL FROM:<\uc774@example.com>\r\n".encode())
        code, _ = s.getreply()
        ok(code == 553, "UTF-8 sender without SMTPUTF8 refused", code)
        s.quit()
    finally:
        srv.stop()


def t_concurrent(tmp, certs):
    srv = Server(tmp, certs, "conc", args=["--concurrent"])
    try:
        a = session(srv, certs)
        b = session(srv, certs)
        ok(b.sendmail("a@example.com", ["b@example.com"], b"b\r\n") == {}
           and a.sendmail("a@example.com", ["c@example.com"], b"a\r\n")
           == {}, "--concurrent serves two sessions at once")
        rc, secs = srv.stop()
        ok(rc == 0 and secs < 3, "--concurrent: SIGTERM with open sessions",
           (rc, secs))
        ok(srv.files() == ["000001.eml", "000002.eml"], "both stored")
        a.close()
        b.close()
    finally:
        srv.stop()


def main():
    if not os.access(SMTPD, os.X_OK):
        print("Bail out! no server binary at %s (set SMTPD=)" % SMTPD)
        return 1
    with tempfile.TemporaryDirectory(prefix="smtpd-test.") as tmp:
        certs = os.path.join(tmp, "certs")
        subprocess.run(["sh", os.path.join(HERE, "mkcerts.sh"), certs],
                       check=True)
        for t in (t_send_plain, t_auth, t_pipelining, t_chunking,
                  t_reply_rcpt, t_drops,
                  t_close421, t_nostarttls, t_inject, t_garbage,
                  t_restart_and_stop, t_script_error, t_reply_shapes, t_drip,
                  t_silent_and_stop_reading, t_tls_variants, t_limits,
                  t_concurrent):
            try:
                t(tmp, certs)
            except Exception as e:
                ok(False, "%s raised" % t.__name__, repr(e))
    bad = [e for e in exits if e[1] != 0]
    ok(exits and not bad, "every server exited 0 on SIGTERM (%d servers)"
       % len(exits), "\n".join("%s: exit %s\n%s" % e for e in bad))
    print("1..%d" % count)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
