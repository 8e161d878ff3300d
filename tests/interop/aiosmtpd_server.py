#!/usr/bin/python3
"""An independent SMTP submission server for mailmerge's interop test.

aiosmtpd (Debian: python3-aiosmtpd) on 127.0.0.1, an ephemeral port,
STARTTLS required before anything else, AUTH PLAIN/LOGIN only under TLS, one
user whose password is taken from an environment variable.  Every accepted
message is stored exactly as received (after dot-unstuffing, CRLF kept):

    DIR/NNNNNN.eml
    DIR/index.tsv   seq<TAB>mail_from<TAB>rcpt1,rcpt2,...<TAB>size<TAB>sha256
    DIR/events.log  one line per STARTTLS/AUTH/MAIL seen, with the session's
                    TLS state, so the test can check "no AUTH before STARTTLS"

Usage:
    aiosmtpd_server.py --cert F --key F --store DIR --port-file F
                       [--user NAME] [--password-env VAR] [--max-seconds N]
                       [--implicit-tls]

The port is written to the port file (tmp + rename) once listening.  SIGTERM
or SIGINT, or --max-seconds, stop the server (exit 0).  Run it with
/usr/bin/python3: Debian's package is not visible to other interpreters.
"""
import argparse
import hashlib
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Store:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.seq = 0
        os.makedirs(path, exist_ok=True)

    def _append(self, name, line):
        with open(os.path.join(self.path, name), "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())

    def event(self, line):
        with self.lock:
            self._append("events.log", line)

    def put(self, mail_from, rcpts, content):
        with self.lock:
            self.seq += 1
            seq = "%06d" % self.seq
            tmp = os.path.join(self.path, ".tmp-%s.eml" % seq)
            with open(tmp, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, os.path.join(self.path, seq + ".eml"))
            self._append("index.tsv", "\t".join([
                seq, mail_from, ",".join(rcpts), str(len(content)),
                hashlib.sha256(content).hexdigest()]))
            return seq


def tls_state(session):
    return "tls" if session.ssl is not None else "plain"


class Handler:
    def __init__(self, store):
        self.store = store

    def handle_STARTTLS(self, server, session, envelope):
        # Called (not awaited) after the handshake; False would fail it.
        self.store.event("STARTTLS %s:%s" % session.peer[:2])
        return True

    async def handle_MAIL(self, server, session, envelope, address, options):
        self.store.event("MAIL %s auth=%s %s" % (
            tls_state(session), "yes" if session.authenticated else "no",
            address))
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        seq = self.store.put(envelope.mail_from, envelope.rcpt_tos,
                             envelope.original_content)
        return "250 2.0.0 OK queued as %s" % seq


class Authenticator:
    def __init__(self, store, user, password):
        self.store = store
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == self.user
              and auth_data.password == self.password)
        self.store.event("AUTH %s %s %s" % (
            tls_state(session), mechanism, "ok" if ok else "refused"))
        return AuthResult(success=ok, handled=False)


class EphemeralController(Controller):
    """Controller that may bind port 0: learn the port before the self-test
    connection that Controller.start() makes."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--store", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--user", default="demo")
    ap.add_argument("--password-env", default="MM_TEST_PASSWORD")
    ap.add_argument("--max-seconds", type=float, default=120)
    ap.add_argument("--implicit-tls", action="store_true",
                    help="TLS from the first byte (port 465 style, RFC 8314)")
    args = ap.parse_args()

    password = os.environ.get(args.password_env)
    if not password:
        sys.exit("aiosmtpd_server: $%s is not set" % args.password_env)

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)

    store = Store(args.store)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    ctl = EphemeralController(
        Handler(store), hostname="127.0.0.1", port=0,
        server_hostname="localhost",
        **({"ssl_context": ctx} if args.implicit_tls else
           {"tls_context": ctx, "require_starttls": True}),
        # With implicit TLS aiosmtpd does not know the session is under
        # TLS and would not offer AUTH; the socket is TLS from its first
        # byte, so its own check is moot there.
        auth_required=True, auth_require_tls=not args.implicit_tls,
        auth_exclude_mechanism=[],  # PLAIN and LOGIN (the built-ins)
        authenticator=Authenticator(store, args.user, password),
        timeout=30)
    ctl.start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ctl.port)
    os.rename(tmp, args.port_file)

    stop.wait(args.max_seconds)
    ctl.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
