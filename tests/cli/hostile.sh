#!/bin/bash
# mailmerge send against hostile and broken servers (our loopback
# smtpd's fault script): split and oversized replies, bad codes, STARTTLS
# injection and refusal, bad certificates, silence, a server that stops
# reading, a lost reply after ".", a 421 inside a pipelined group, AUTH
# offered only before TLS.  Each case must end within a bound (a run is
# killed after 30 s, which fails it), with the exit status and report rows
# the failure calls for, and no password in anything the tool wrote.
. "$(dirname "$0")/lib.bash"
S=$TOP/samples
T=$TOP/templates/announcement.txt
R() { "$PYTHON" "$TOP/tests/cli/report_rows.py" "$@"; }
SECRET_PLAIN=$(printf '\0demo\0demo-password' | base64)
SECRET_LOGIN=$(printf 'demo-password' | base64)
SECRETS="demo-password|${SECRET_PLAIN%%=*}|${SECRET_LOGIN%%=*}"

# stop_server: stop the last server started (its session may hang on).
stop_server() {
	local p=${SERVER_PIDS##* }
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	SERVER_PIDS=${SERVER_PIDS% *}
}

# conf NAME: $TMP/NAME.conf for the server on $PORT, 2 s timeouts.
conf() {
	write_conf "$TMP/$1.conf" "$PORT"
	sed -i 's/^timeout = 5$/timeout = 2/' "$TMP/$1.conf"
	echo 'connect_timeout = 2' >>"$TMP/$1.conf"
}

# send NAME [N] [TEMPLATE]: mailmerge send --trace of the first N rows
# (default 2) through server NAME, killed after 30 s; sets RC and SECS.
send() {
	local name=$1 n=${2:-2} tmpl=${3:-$T} t0
	t0=$(date +%s%N)
	timeout 30 ${MAILMERGE_WRAP:-} "$MAILMERGE" send -c "$TMP/$name.conf" \
	    -r "$TMP/$name.csv" --yes --trace -n "$n" "$S/roster.csv" \
	    "$tmpl" >"$TMP/$name.out" 2>"$TMP/$name.trace"
	RC=$?
	SECS=$((($(date +%s%N) - t0) / 1000000000))
	no_valgrind_error
}

# finished NAME MAX: the run neither hung nor crashed, within MAX s.
finished() {
	if [ "$RC" -ge 124 ]; then	# 124 killed, 126/127 not run, 128+ signal
		ok 1 "$1: finished by itself (status $RC)"
		sed 's/^/#   | /' "$TMP/$1.trace" | tail -10
	else
		ok 0 "$1: finished by itself (status $RC)"
	fi
	[ "$SECS" -le "$2" ]
	ok $? "$1: within $2 s (took $SECS s)"
}

# no_secret NAME: no password or AUTH payload in stdout, the trace
# (stderr) or the report.
no_secret() {
	local f
	for f in "$TMP/$1.out" "$TMP/$1.trace" "$TMP/$1.csv"; do
		[ -f "$f" ] || continue
		unlike "$f" "$SECRETS" "$1: no password in ${f##*/}"
	done
}

# no_auth NAME: the server's transcript shows no AUTH command at all.
no_auth() {
	unlike "$TMP/$1.log" '^C: AUTH' "$1: no AUTH reached the server"
}

# status_of NAME ROW: the report's last status of ROW ("-" if none).
status_of() {
	local s
	s=$(R "$TMP/$1.csv" 2>/dev/null | awk -v r="$2" '$1 == r { print $2 }')
	echo "${s:--}"
}

# case_start NAME SCRIPT [SMTPD OPTIONS...]: server and config.
case_start() {
	local name=$1 script=$2
	shift 2
	start_smtpd "$name" "$script" "$@"
	conf "$name"
}

# -- replies one byte per segment: still a normal session ------------------
case_start split 'SPLIT_REPLIES'
send split
finished split 20
is "$RC" 0 "split: replies split byte by byte: exit 0"
is "$(stored split)" 2 "split: both messages stored"
is "$(R "$TMP/split.csv" | awk '$2 == "sent"' | wc -l)" 2 \
    "split: report has both rows sent"
no_secret split
stop_server

# -- protocol violations: EX_PROTOCOL, nothing sent -------------------------
proto_case() {	# proto_case NAME SCRIPT DESCRIPTION
	case_start "$1" "$2"
	send "$1"
	finished "$1" 20
	is "$RC" 76 "$1: $3: exit 76 (EX_PROTOCOL)"
	is "$(stored "$1")" 0 "$1: nothing stored"
	[ "$(status_of "$1" 1)" != sent ]
	ok $? "$1: row 1 not reported sent ($(status_of "$1" 1))"
	no_secret "$1"
	stop_server
}
proto_case huge 'HUGE_REPLY EHLO 10000' "an EHLO reply of 10 000 lines"
like "$TMP/huge.trace" 'longer than 100 lines|reply longer' \
    "huge: the error names the line limit"
proto_case long 'LONG_LINE EHLO 1048576' "a 1 MiB reply line"
like "$TMP/long.trace" 'longer than|too long' "long: the error names the length"
proto_case badehlo 'BAD_REPLY EHLO abc hello' "a non-numeric EHLO reply"
like "$TMP/badehlo.trace" 'malformed reply' "badehlo: 'malformed reply' on stderr"
proto_case badmail 'BAD_REPLY MAIL 999 x' "reply code 999 to MAIL"
no_auth_before_tls() {	# the transcript has no AUTH before the handshake
	awk '/^-- STARTTLS handshake ok/ { tls = 1 } /^C: AUTH/ && !tls { bad = 1 }
	    END { exit bad }' "$TMP/$1.log"
	ok $? "$1: no AUTH before the TLS handshake"
}
no_auth_before_tls badmail

# -- STARTTLS response injection (CVE-2021-22947 style) ---------------------
case_start inject 'INJECT_AFTER_STARTTLS 250 2.0.0 injected'
send inject
finished inject 20
[ "$RC" -ne 0 ]
ok $? "inject: bytes after the STARTTLS 220: non-zero exit ($RC)"
like "$TMP/inject.trace" 'injection' "inject: 'injection' on stderr"
no_auth inject
is "$(stored inject)" 0 "inject: nothing stored"
no_secret inject
stop_server

# -- STARTTLS advertised, then refused: no fallback to plain text -----------
case_start refuse 'STARTTLS_REFUSE'
send refuse
finished refuse 20
is "$RC" 69 "refuse: STARTTLS refused: exit 69 (EX_UNAVAILABLE)"
no_auth refuse
is "$(stored refuse)" 0 "refuse: nothing stored"
no_secret refuse
stop_server

# -- bad certificates: wrong name, expired, self-signed ---------------------
make_certs
for c in wrong expired self; do
	case_start "cert$c" '' --cert "$TMP/certs/$c.pem" \
	    --key "$TMP/certs/$c-key.pem"
	send "cert$c"
	finished "cert$c" 20
	is "$RC" 69 "cert$c: $c certificate: exit 69 (EX_UNAVAILABLE)"
	no_auth "cert$c"
	is "$(stored "cert$c")" 0 "cert$c: nothing stored"
	like "$TMP/cert$c.trace" 'certificate|verif|TLS' \
	    "cert$c: stderr names the TLS failure"
	no_secret "cert$c"
	stop_server
done

# -- a server that accepts and never speaks ---------------------------------
# No greeting within timeout = 2 is a network error (E_NET): the account
# makes SEND_CONNECT_TRIES attempts with a backoff between them (about
# 12 s in all), then stops; its rows are left "skipped" for a resume and
# the run exits EX_UNAVAILABLE.
case_start silent 'SILENT'
send silent
finished silent 20
is "$RC" 69 "silent: no greeting: exit 69 (EX_UNAVAILABLE)"
is "$(stored silent)" 0 "silent: nothing stored"
is "$(status_of silent 1) $(status_of silent 2)" "skipped skipped" \
    "silent: both rows reported skipped"
like "$TMP/silent.trace" 'timed out' "silent: stderr names the timeout"
no_secret silent
stop_server

# -- a server that stops reading in the middle of DATA ----------------------
# The merged message must outgrow both sockets' buffers (Linux lets a
# loopback send buffer reach 4 MiB: a 3.8 MB message fits whole, "." and
# all, and ends "unknown" instead), so the roster carries eight fields of
# 950 kB (7.6 MB).  The client blocks writing, its write timeout fires,
# the message never ended: the row must not be sent, nor stored.
"$PYTHON" - "$TMP/big.csv" "$TMP/big.txt" <<'PY'
import sys
text = "".join("filler line %06d of a long mail body, to fill the socket\n"
               % i for i in range(16000))[:950000]
cols = "abcdefgh"
with open(sys.argv[1], "w", encoding="utf-8", newline="") as f:
    f.write("이름,email," + ",".join(cols) + "\r\n")
    f.write("김민준,minjun.kim@example.com," +
            ",".join('"%s"' % text for _ in cols) + "\r\n")
with open(sys.argv[2], "w", encoding="utf-8") as f:
    f.write("From: 홍길동 교수 <prof.hong@example.com>\n"
            "To: {{이름}} <{{email}}>\nSubject: big\n\n" +
            "".join("{{%s}}" % c for c in cols) + "\n")
PY
case_start stopread 'STOP_READING DATA'
t0=$(date +%s%N)
timeout 30 ${MAILMERGE_WRAP:-} "$MAILMERGE" send -c "$TMP/stopread.conf" \
    -r "$TMP/stopread.csv" --yes --trace "$TMP/big.csv" "$TMP/big.txt" \
    >"$TMP/stopread.out" 2>"$TMP/stopread.trace"
RC=$?
SECS=$((($(date +%s%N) - t0) / 1000000000))
finished stopread 25
[ "$RC" -eq 69 ] || [ "$RC" -eq 75 ]
ok $? "stopread: a server that stops reading in DATA: exit 69 or 75 ($RC)"
st=$(status_of stopread 1)
[ "$st" != sent ] && [ "$st" != - ]
ok $? "stopread: row 1 reported, not as sent ($st)"
like "$TMP/stopread.trace" 'timed out after 2 s sending' \
    "stopread: the write timed out"
is "$(stored stopread)" 0 "stopread: nothing stored"
no_secret stopread
stop_server

# -- no reply after "." : the outcome is unknown ----------------------------
for f in 'SILENT EOM' 'DROP_AFTER_STORE EOM'; do
	name=eom$(echo "$f" | cut -c1-4 | tr 'A-Z' 'a-z')
	case_start "$name" "$f"
	send "$name" 1
	finished "$name" 25
	is "$RC" 75 "$name: $f: exit 75 (EX_TEMPFAIL)"
	is "$(status_of "$name" 1)" unknown "$name: row 1 reported unknown"
	is "$(stored "$name")" 1 "$name: the server did store it"
	is "$(grep -c '^C: DATA' "$TMP/$name.log")" 1 \
	    "$name: DATA sent once: an unknown row is not retried"
	no_secret "$name"
	stop_server
done

# -- 421 inside a pipelined group: reconnect, deliver each once -------------
case_start r421 'REPLY RCPT#2 421 4.7.0 closing'
send r421 3
finished r421 25
is "$RC" 0 "r421: 421 to the 2nd RCPT: exit 0 after reconnecting"
is "$(stored r421)" 3 "r421: three messages stored"
is "$(cut -f3 "$TMP/r421.store/index.tsv" | sort | uniq -d | wc -l)" 0 \
    "r421: no recipient stored twice"
is "$(R "$TMP/r421.csv" | awk '$2 == "sent"' | wc -l)" 3 \
    "r421: report has three rows sent"
is "$(grep -c 'connection [0-9]* opened' "$TMP/r421.log")" 2 \
    "r421: a second session after the 421"
no_secret r421
stop_server

# -- AUTH offered before TLS ------------------------------------------------
# Offered before TLS and after: the client still waits for TLS.
case_start authpre 'AUTH_BEFORE_TLS'
send authpre
finished authpre 20
is "$RC" 0 "authpre: AUTH offered before TLS too: exit 0"
no_auth_before_tls authpre
like "$TMP/authpre.log" '^C: AUTH' "authpre: AUTH after TLS"
no_secret authpre
stop_server
# Offered only before TLS (the EHLO after STARTTLS lists no AUTH): the
# client must not go back to plain text to log in, so nothing is sent.
case_start authonly 'AUTH_BEFORE_TLS
REPLY EHLO#2 250 localhost\nPIPELINING\n8BITMIME\nENHANCEDSTATUSCODES'
send authonly
finished authonly 20
[ "$RC" -ne 0 ]
ok $? "authonly: no AUTH after TLS: non-zero exit ($RC)"
no_auth authonly
is "$(stored authonly)" 0 "authonly: nothing stored"
no_secret authonly
stop_server

done_testing
