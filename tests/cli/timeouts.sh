#!/bin/bash
# Timeouts are deadlines (issue 14.8), seen from the command line: a
# server that drips its replies one octet a second cannot hold a run
# with timeout = 2 for minutes.  Each stage is covered one by one in
# tests/unit/test_deadline.c; here, the greeting, the EHLO reply, the
# STARTTLS handshake and the reply after "." through `mailmerge send`.
. "$(dirname "$0")/lib.bash"
S=$TOP/samples
T=$TOP/templates/announcement.txt
R() { "$PYTHON" "$TOP/tests/cli/report_rows.py" "$@"; }

# drip NAME SCRIPT: send row 1 through a server running SCRIPT, with
# timeout = 2 and connect_timeout = 2, killed after 60 s; RC and SECS.
drip() {
	local t0
	start_smtpd "$1" "$2"
	write_conf "$TMP/$1.conf" "$PORT"
	sed -i 's/^timeout = 5$/timeout = 2/' "$TMP/$1.conf"
	echo 'connect_timeout = 2' >>"$TMP/$1.conf"
	t0=$(date +%s%N)
	timeout 60 ${MAILMERGE_WRAP:-} "$MAILMERGE" send -c "$TMP/$1.conf" \
	    -r "$TMP/$1.csv" --yes -n 1 "$S/roster.csv" "$T" \
	    >"$TMP/$1.out" 2>"$TMP/$1.err"
	RC=$?
	SECS=$((($(date +%s%N) - t0) / 1000000000))
}

status_of() {
	R "$TMP/$1.csv" 2>/dev/null | awk '$1 == 1 { print $2 }'
}

# The first session's greeting or EHLO reply drips; the second session
# (after SEND_BACKOFF_MS, 2 s) is normal.  A deadline: 2 s + 2 s + a
# normal session.  An idle timer: one octet a second keeps every read
# alive and the run outlives the 60 s kill.
for c in 'greeting:DRIP CONNECT#1 1s' 'ehlo:DRIP EHLO#1 1s'; do
	name=${c%%:*}
	drip "$name" "${c#*:}"
	[ "$SECS" -lt 10 ]
	ok $? "$name dripped: the run ends within 10 s (took $SECS s)"
	like "$TMP/$name.err" 'timed out after 2 s waiting' \
	    "$name dripped: the first session failed on its deadline"
	is "$RC" 0 "$name dripped: the second session sent the mail"
	is "$(stored "$name")" 1 "$name dripped: one message stored"
done

# Every handshake drips: three sessions of 2 s, backoffs of 2 s and 4 s,
# then the account gives up (EX_UNAVAILABLE), about 12 s.  A handshake
# of 1 octet a second takes minutes.
drip handshake 'DRIP_HANDSHAKE 1s'
[ "$SECS" -lt 20 ]
ok $? "handshake dripped: the run ends within 20 s (took $SECS s)"
is "$RC" 69 "handshake dripped: the account gave up (exit 69)"
like "$TMP/handshake.err" 'timed out after 2 s waiting' \
    "handshake dripped: each handshake failed on its deadline"
is "$(stored handshake)" 0 "handshake dripped: nothing stored"

# The reply after "." drips: the mail was taken, its fate is unknown to
# the client, which says so within timeout + 3 s and never resends.
drip eom 'DRIP EOM 1s'
[ "$SECS" -lt 5 ]
ok $? "end-of-data reply dripped: the run ends within 5 s (took $SECS s)"
is "$(status_of eom)" unknown "end-of-data reply dripped: row 1 is unknown"
is "$(grep -c '^C: DATA' "$TMP/eom.log")" 1 \
    "end-of-data reply dripped: DATA sent once"

done_testing
