#!/bin/bash
# Interoperability: mailmerge sends the sample roster through an independent
# SMTP server, aiosmtpd (Debian's python3-aiosmtpd) with STARTTLS required
# and AUTH only under TLS; what it stored must equal the preview of the
# same roster and template, from the end of the headers on, byte for byte.
. "$(dirname "$0")/lib.bash"
S=$TOP/samples
I=$TOP/tests/interop
# Debian's aiosmtpd is only visible to the system interpreter.
SYSPY=/usr/bin/python3
PW='interop-Secret-7q!'
export MM_TEST_PASSWORD=$PW

SRV=
on_exit '[ -z "$SRV" ] || stop_pid "$SRV"'


"$SYSPY" -c 'import aiosmtpd' 2>import.err
ok $? "$SYSPY can import aiosmtpd (python3-aiosmtpd)"
sed 's/^/#   /' import.err

"$TOP/tests/smtpd/mkcerts.sh" certs >certs.out 2>&1
ok $? "test certificates generated"

"$SYSPY" "$I/aiosmtpd_server.py" --cert certs/server.pem \
    --key certs/server-key.pem --store store --port-file port \
    --user demo --max-seconds 60 >server.out 2>&1 &
SRV=$!
for _ in $(seq 100); do [ -s port ] && break; kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
PORT=$(cat port 2>/dev/null)
ok "$([ -n "$PORT" ]; echo $?)" "aiosmtpd listens (port ${PORT:-none})"
[ -n "$PORT" ] || sed 's/^/#   /' server.out

cat >mm.conf <<CONF
[lab]
provider = custom
host = 127.0.0.1
port = ${PORT:-1}
ca_file = $TMP/certs/ca.pem
user = demo
from = prof.hong@example.com
password_env = MM_TEST_PASSWORD
route = *
timeout = 5
CONF

mm preview -o prev "$S/roster.csv" "$TOP/templates/announcement.txt"
is "$RC" 0 "preview of the sample roster exits 0"
is "$(ls prev/*.eml 2>/dev/null | wc -l)" 20 "preview wrote 20 messages"

MAILMERGE_WRAP="timeout 60 ${MAILMERGE_WRAP:-}" \
    mm send -c mm.conf -r report.csv --trace --yes "$S/roster.csv" \
    "$TOP/templates/announcement.txt"
is "$RC" 0 "send through aiosmtpd exits 0"
[ "$RC" -eq 0 ] || sed 's/^/#   /' stderr | tail -20
no_valgrind_error
like stdout 'sent 20, failed 0' "send prints its summary"

"$PYTHON" "$I/check_interop.py" prev store report.csv prof.hong@example.com \
    >check.out 2>&1
results "" check.out

# No AUTH before STARTTLS (aiosmtpd would refuse it; the send would fail),
# and every MAIL under TLS after a successful AUTH, as the server saw it.
like store/events.log '^AUTH tls (PLAIN|LOGIN) ok$' "the server saw AUTH under TLS"
unlike store/events.log '^AUTH plain' "the server saw no AUTH in plaintext"
unlike store/events.log '^(MAIL (plain|tls auth=no)|AUTH .* refused)' \
    "every MAIL came under TLS, after a successful AUTH"
is "$(awk '/^STARTTLS/ { t = 1 } /^AUTH/ && !t { print "early" } END { }' store/events.log)" "" \
    "STARTTLS came before the first AUTH"

# The password never shows: not in the report, the output or the trace.
is "$(grep -lF -- "$PW" report.csv stdout stderr 2>/dev/null)" "" \
    "no password in report, stdout or --trace output"
B64=$(printf '\0demo\0%s' "$PW" | base64 -w0)
is "$(grep -lF -- "$B64" report.csv stdout stderr 2>/dev/null)" "" \
    "no AUTH PLAIN token in report, stdout or --trace output"

# AUTH LOGIN too (the first run used what mailmerge picks by default).
sed 's/^route = \*$/route = *\nauth = login/' mm.conf >login.conf
MAILMERGE_WRAP="timeout 60 ${MAILMERGE_WRAP:-}" \
    mm send -c login.conf -r login.csv -n 3 --yes "$S/roster.csv" \
    "$TOP/templates/announcement.txt"
is "$RC" 0 "send -n 3 with auth = login exits 0"
like store/events.log '^AUTH tls LOGIN ok$' "the server saw AUTH LOGIN under TLS"
is "$(grep -c '' store/index.tsv)" 23 "3 more messages stored"
is "$(grep -lF -- "$PW" login.csv stdout stderr 2>/dev/null)" "" \
    "no password in the AUTH LOGIN run's report or output"

stop_pid "$SRV"; SRV=
is "$ST" 0 "aiosmtpd exits 0 on SIGTERM"
unlike server.out 'Traceback|Error' "aiosmtpd logged no errors"

# Implicit TLS (tls = tls, port 465 style, RFC 8314): TLS from the first
# byte, so the greeting, EHLO and AUTH all travel encrypted.
"$SYSPY" "$I/aiosmtpd_server.py" --cert certs/server.pem \
    --key certs/server-key.pem --store store465 --port-file port465 \
    --user demo --max-seconds 60 --implicit-tls >server465.out 2>&1 &
SRV=$!
for _ in $(seq 100); do [ -s port465 ] && break; kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
P465=$(cat port465 2>/dev/null)
sed -e "s/^port = .*/port = ${P465:-1}\ntls = tls/" mm.conf >tls.conf
MAILMERGE_WRAP="timeout 60 ${MAILMERGE_WRAP:-}" \
    mm send -c tls.conf -r tls.csv -n 3 --yes --trace "$S/roster.csv" \
    "$TOP/templates/announcement.txt"
is "$RC" 0 "implicit TLS: send -n 3 exits 0"
is "$(grep -c '' store465/index.tsv 2>/dev/null)" 3 "implicit TLS: 3 messages stored"
"$PYTHON" - stderr <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
tls = next(i for i, l in enumerate(lines) if "TLS: (TLS1." in l)
first_s = next(i for i, l in enumerate(lines) if "] S: " in l)
sys.exit(0 if tls < first_s else 1)
PY
ok $? "implicit TLS: the handshake comes before the server's first word"
unlike stderr 'STARTTLS' "implicit TLS: no STARTTLS"
stop_pid "$SRV"; SRV=
is "$ST" 0 "aiosmtpd (implicit TLS) exits 0 on SIGTERM"
done_testing
