#!/bin/bash
# mailmerge relay (issue 15): real clients (Python's smtplib, swaks,
# msmtp) talk to it on loopback and it relays to our test server.
. "$(dirname "$0")/lib.bash"
CLIENT="$PYTHON $TOP/tests/relay/client.py"
R() { "$PYTHON" "$TOP/tests/cli/report_rows.py" "$@"; }
RPID=

# start_relay NAME CONF [ARGS...]: the relay on an ephemeral loopback
# port, stderr in $TMP/NAME.err; sets RPORT and RPID.
start_relay() {
	local name=$1 conf=$2 i
	shift 2
	rm -f "$TMP/$name.err"
	${MAILMERGE_WRAP:-} "$MAILMERGE" relay -c "$conf" -r "$TMP/$name.csv" \
	    --listen 127.0.0.1:0 "$@" 2>"$TMP/$name.err" &
	RPID=$!
	RPORT=
	for i in $(seq 200); do
		RPORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
		    "$TMP/$name.err" 2>/dev/null)
		[ -n "$RPORT" ] && break
		kill -0 "$RPID" 2>/dev/null || break
		sleep 0.05
	done
	[ -n "$RPORT" ] || { echo "# relay did not start:"; sed 's/^/#   /' "$TMP/$name.err"; }
}
on_exit '[ -z "$RPID" ] || kill $RPID 2>/dev/null'

# wait_relay: the relay's exit status in ST (at most 20 s).
wait_relay() {
	local i
	for i in $(seq 200); do kill -0 "$RPID" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$RPID" 2>/dev/null && { echo "# relay still running: SIGKILL"; kill -9 "$RPID"; }
	wait "$RPID" 2>/dev/null; ST=$?
	RPID=
}

# scenario NAME RELAYNAME [ARGS]: a client scenario, its results as TAP.
scenario() {
	local s=$1 n=$2
	shift 2
	$CLIENT "$s" "$RPORT" "$@" >"$TMP/$s.out" 2>&1
	results "$s" "$TMP/$s.out"
}

# The stored message NAME's Nth mail (1-based).
eml() { printf '%s/%s.store/%06d.eml' "$TMP" "$1" "$2"; }

# -- one message through --once; the report ------------------------------
start_smtpd up "" --concurrent
write_conf up.conf "$PORT"
start_relay r1 up.conf --once
scenario identical r1
wait_relay
is "$ST" 0 "--once: one connection served, exit 0"
check_same "$TMP/sent-identical.eml" "$(eml up 1)" \
    "a message with Date and Message-ID reaches the provider byte for byte"
is "$(cut -f3 "$TMP/up.store/index.tsv" | head -1)" "b@example.org,c@example.org" \
    "both recipients relayed as the envelope"
is "$(cut -f2 "$TMP/up.store/index.tsv" | head -1)" "demo@example.com" \
    "the envelope sender is the account's"
like "$TMP/r1.err" "warning: \[lab\] client #1 gave MAIL FROM:<kim@example.com>" \
    "a client's other MAIL FROM is warned in the log"
is "$(R "$TMP/r1.csv" | tr '\t' ' ')" "1 sent 250 1 b@example.org;c@example.org" \
    "the report's row 1: sent, 250, the recipients"
is "$(R --lines "$TMP/r1.csv")" 2 "journaled: in flight, then the verdict"
like "$TMP/r1.csv" '^1,b@example.org;c@example.org,unknown,custom,,,"in flight' \
    "an unknown in-flight line before the final dot"
like "$TMP/r1.csv" '^1,.*,sent,.*; client MAIL FROM:<kim@example\.com>,' \
    "the report records the client's MAIL FROM"
like "$TMP/r1.csv" ',<fixed\.1@example\.com>,1,[-0-9T:+]*,lab,EOM,' \
    "the report has the Message-ID, the account and the stage"
mm report "$TMP/r1.csv"
is "$RC" 0 "mailmerge report reads the relay's journal"
like "$TMP/stdout" 'sent +1' "report: 1 sent"
mm report --failed-csv "$TMP/retry.csv" "$TMP/r1.csv"
like "$TMP/stderr" 'names no roster' "report --failed-csv: a relay journal has no roster, said so"

# -- Date and Message-ID added only when missing; rows go on ---------------
start_relay r1 up.conf --once
scenario noheaders r1
wait_relay
"$PYTHON" - "$TMP/sent-bare.eml" "$(eml up 2)" "$TMP/r1.csv" <<'PY' >hdr.out 2>&1
import csv, re, sys
sent, got = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
head = got[:len(got) - len(sent)]
assert got.endswith(sent), "the message is not kept as received"
lines = head.split(b"\r\n")
assert len(lines) == 3 and lines[0].startswith(b"Date: ") and \
    lines[1].startswith(b"Message-ID: <") and lines[2] == b"", lines
assert re.match(rb"Date: \w{3}, \d+ \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$", lines[0])
rows = list(csv.DictReader(open(sys.argv[3], encoding="utf-8-sig")))
assert rows[-1]["row"] == "2", rows[-1]["row"]
assert rows[-1]["message_id"].encode() == lines[1][12:], rows[-1]["message_id"]
PY
ok $? "Date and Message-ID put in front only when missing; row 2 follows row 1; the report has the new Message-ID"
sed 's/^/#   /' hdr.out | tail -3

# -- swaks and msmtp as they are installed ---------------------------------
start_relay sw up.conf --once
swaks --server 127.0.0.1 --port "$RPORT" --from kim@example.com \
    --to b@example.org --header "Subject: from swaks" --body "swaks body" \
    >swaks.out 2>&1
ok $? "swaks: exit 0 through the relay"
wait_relay
like swaks.out '<-  250 2\.0\.0 \[lab\] OK queued' "swaks sees the provider's 250 after its dot"
like "$(eml up 3)" 'swaks body' "the provider has swaks' message"

start_relay ms up.conf --once
cat >msmtprc <<CONF
account relay
host 127.0.0.1
port $RPORT
from kim@example.com
auth off
tls off
account default : relay
CONF
chmod 600 msmtprc
printf 'From: kim@example.com\nTo: b@example.org\nSubject: from msmtp\n\nmsmtp body\n' |
    msmtp -C msmtprc b@example.org >msmtp.out 2>&1
ok $? "msmtp configured to use the relay: exit 0"
wait_relay
like "$(eml up 4)" 'msmtp body' "the provider has msmtp's message"

# -- upstream faults reach the client with their codes ---------------------
start_smtpd bad 'REPLY RCPT:bad@example.org 550 5.1.1 no such user
REPLY EOM#2 421 4.7.0 closing, try later
DROP_AFTER_STORE EOM#3
REPLY EOM#4 550 5.7.1 content refused' --concurrent
write_conf bad.conf "$PORT"
start_relay rb bad.conf
scenario refused_rcpt rb
scenario eom_421 rb
scenario eom_drop rb
scenario eom_550 rb
scenario size_param rb
stop_pid "$RPID"; RPID=
is "$ST" 0 "SIGTERM: the relay exits 0"
R "$TMP/rb.csv" | tr '\t' ' ' >rb.rows
is "$(sed -n 1p rb.rows)" "1 sent 250 1 b@example.org" "report: the accepted recipient sent"
like "$TMP/rb.csv" '^1,.*refused: bad@example.org: 550 5\.1\.1' "report: the refused recipient noted"
is "$(sed -n 2p rb.rows)" "2 deferred 421 1 b@example.org" "report: 421 at end of data deferred"
is "$(sed -n 3p rb.rows | cut -d' ' -f1-2)" "3 unknown" "report: a drop after the final dot is unknown"
is "$(sed -n 4p rb.rows)" "4 failed 550 1 b@example.org" "report: 550 at end of data failed"
is "$(stored bad)" 2 "the provider stored what it accepted (1 and the dropped 3)"
like "$TMP/bad.log" '^\[[0-9]*\] C: QUIT' "SIGTERM: QUIT upstream"

# -- the kept session: reopened when the provider closed it, and at the cap
start_smtpd c421 'CLOSE421 AFTER 1' --concurrent
write_conf c421.conf "$PORT"
start_relay rc c421.conf --once
scenario three rc
wait_relay
is "$(grep -c 'opened' "$TMP/c421.log")" 3 "a kept session the provider closed with 421 is reopened before MAIL"
start_smtpd cap "" --concurrent
write_conf cap.conf "$PORT" "max_per_session = 2"
start_relay rcap cap.conf --once
scenario three rcap
wait_relay
is "$(grep -c 'opened' "$TMP/cap.log")" 2 "max_per_session = 2: a new session for the third message"

# -- the pace holds across three clients -----------------------------------
start_smtpd pace "" --concurrent
write_conf pace.conf "$PORT" "rate = 10/s"
start_relay rp pace.conf
scenario pace3 rp
stop_pid "$RPID"; RPID=
is "$(grep -c 'opened' "$TMP/pace.log")" 1 "one upstream session served the three clients"
is "$(stored pace)" 30 "the provider has the 30 messages"

# -- two accounts: one transaction, one account ----------------------------
start_smtpd two "" --concurrent
{
	conf_account org "$PORT" example.org demo@example.com
	conf_account net "$PORT" example.net demo@example.com
	printf '[relay]\nmax_clients = 1\n'
} >two.conf
start_relay r2 two.conf
scenario two_accounts r2
scenario busy r2
stop_pid "$RPID"; RPID=

# -- [relay]: not an account; TLS and AUTH ---------------------------------
export RELAY_PASSWORD='relay-s3cret-Pw'
# Fresh test servers from here on: the first ones may have reached their
# --max-seconds under valgrind.
start_smtpd tlsup "" --concurrent
cat >tls.conf <<CONF
[relay]
user = teacher
password_env = RELAY_PASSWORD
cert = $TMP/certs/server.pem
key = $TMP/certs/server-key.pem

CONF
conf_account lab "$PORT" "" demo@example.com >>tls.conf
mm check -c tls.conf
is "$RC" 0 "check with a [relay] section: only the account is checked"
unlike stderr '\[relay\]' "[relay] is not taken as an account"
start_relay rt tls.conf --trace
scenario tls_auth rt "$TMP/certs/ca.pem"
start=$(cat "$TMP/tlsup.store/index.tsv" | wc -l)
cat >msmtprc-tls <<CONF
account relay
host 127.0.0.1
port $RPORT
from kim@example.com
tls on
tls_starttls on
tls_trust_file $TMP/certs/ca.pem
auth on
user teacher
passwordeval echo "\$RELAY_PASSWORD"
account default : relay
CONF
chmod 600 msmtprc-tls
printf 'From: kim@example.com\nTo: b@example.org\nSubject: msmtp tls\n\nvia tls\n' |
    msmtp -C msmtprc-tls b@example.org >msmtp-tls.out 2>&1
ok $? "msmtp with STARTTLS and AUTH through the relay: exit 0"
sed 's/^/#   /' msmtp-tls.out | head -5
stop_pid "$RPID"; RPID=
is "$(( $(wc -l <"$TMP/tlsup.store/index.tsv") - start ))" 1 "msmtp's message reached the provider"
like "$TMP/rt.err" 'C: AUTH PLAIN <redacted>|C: AUTH LOGIN' "--trace shows the client's AUTH, redacted"
like "$TMP/rt.err" '\[lab\] C: AUTH PLAIN <redacted>' "--trace shows the upstream AUTH, redacted"
cat "$TMP"/rt.err "$TMP"/rt.csv stdout stderr msmtp-tls.out "$TMP"/tls_auth.out >all.out
# The passwords, in base64 alone, and as the AUTH PLAIN blobs.
unlike all.out "$RELAY_PASSWORD|demo-password|cmVsYXktczNjcmV0LVB3|ZGVtby1wYXNzd29yZA|AHRlYWNoZXIAcmVsYXktczNjcmV0LVB3|AGRlbW8AZGVtby1wYXNzd29yZA" \
    "no password, plain or base64, in the trace, the report or any output"

# -- refusals before serving -----------------------------------------------
start_smtpd late "" --concurrent
write_conf late.conf "$PORT"
mm relay -c up.conf --listen 192.0.2.1:2525 --once
is "$RC" 64 "a non-loopback --listen without cert, key and credentials: refused (64)"
like stderr 'refusing to listen on 192\.0\.2\.1.*not a loopback' "the refusal says why and what to set"
mm relay -c up.conf --listen '[2001:db8::1]:2525' --once
is "$RC" 64 "a non-loopback IPv6 --listen: refused"
mm relay -c up.conf --listen nonsense --once
is "$RC" 64 "a bad --listen: usage error"
printf '[relay]\nuser = x\n[lab]\nprovider=custom\nhost=127.0.0.1\nuser=demo\npassword_env=X\n' >half.conf
mm relay -c half.conf --once
is "$RC" 78 "[relay] user without a password source: config error"
like stderr 'half.conf:1: .*\[relay\] needs both user' "the config error names the line"

# IPv6 loopback.
${MAILMERGE_WRAP:-} "$MAILMERGE" relay -c late.conf -r "$TMP/r6.csv" --listen '[::1]:0' --once 2>r6.err &
RPID=$!
for i in $(seq 100); do grep -q 'listening on' r6.err && break; sleep 0.05; done
P6=$(sed -n 's/.*listening on \[::1\]:\([0-9]*\).*/\1/p' r6.err)
"$PYTHON" -c "
import smtplib, sys
s = smtplib.SMTP('::1', int(sys.argv[1])); s.sendmail('k@example.com', ['b@example.org'], b'Subject: v6\r\n\r\nv6\r\n'); s.quit()" "$P6"
ok $? "--listen [::1]:PORT serves IPv6 loopback"
wait_relay

# -- hostile clients: slowloris, SIZE, smuggling, line limits ---------------
cp late.conf slow.conf
printf '[relay]\ntimeout = 2\nmax_size = 1024\n' >>slow.conf
start_relay rs slow.conf
scenario slowloris rs
scenario size_count rs
scenario smuggle rs
scenario limits rs
stop_pid "$RPID"; RPID=
is "$ST" 0 "the relay survived the hostile clients and exits 0"
unlike "$TMP/late.log" 'evil@example.com|victim@example.org' "nothing smuggled reached the provider"

# -- SIGTERM with a message in flight ---------------------------------------
start_relay rq late.conf
rm -f inflight.ready inflight.go
$CLIENT sigterm_inflight "$RPORT" >sig.out 2>&1 &
CPID=$!
for i in $(seq 100); do [ -e inflight.ready ] && break; sleep 0.05; done
kill -TERM "$RPID"
sleep 0.5
touch inflight.go
wait "$CPID"
results sigterm "$TMP/sig.out"
wait_relay
is "$ST" 0 "SIGTERM with a message in flight: exit 0 after it"

# The journal is locked as send's report is: a second writer is refused.
"$PYTHON" -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1] + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, b"%d\\n" % os.getpid())
open(sys.argv[1] + ".held", "w").close()
time.sleep(5)' "$TMP/locked.csv" &
holder=$!
for _ in $(seq 50); do [ -e "$TMP/locked.csv.held" ] && break; sleep 0.1; done
mm relay -c up.conf -r "$TMP/locked.csv" --listen 127.0.0.1:0 --once
is "$RC" 75 "a journal another run holds: refused (75)"
like stderr 'another mailmerge \(process [0-9]+\)' "... naming the process that holds it"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

done_testing
