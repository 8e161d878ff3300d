#!/bin/bash
# mailmerge send against a server that stops reading in the middle of
# DATA, which needs a generated 7.6 MB roster.  The other hostile and
# broken servers (split and oversized replies, bad codes, STARTTLS
# injection and refusal, bad certificates, silence, a lost reply after
# ".", a 421 inside a pipelined group, AUTH offered only before TLS) are
# protocol cases in tests/cases/.
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

done_testing
