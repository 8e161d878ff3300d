#!/bin/bash
# Crash and resume at scale (STYLE.md, Tests: a kill at any step, then a
# resume, never gives a second DATA to the same recipient).
#
# 1. kill: a 5,000-row batch through tests/smtpd, mailmerge killed (SIGKILL)
#    at 50 random moments, each kill followed by a --resume, then a last
#    --resume that ends by itself.  The server waits DELAY_MS before each
#    reply to end of data (the message is stored first), so most kills land
#    while a "." is in flight; about one kill in five comes at a random
#    moment after the start instead (reading the roster and the report,
#    connecting, TLS, AUTH).
# 2. drop: the same batch with the client left alone and the server
#    hanging up at 50 random moments (DROP at MAIL, RCPT, DATA or end of
#    data; DROP_AFTER_STORE and DROP_AFTER_REPLY at end of data), then a
#    --resume.
#
# Checks (tests/interop/check_resume.py --in-flight, whose doc has the
# precise transcript terms):
# - the store holds exactly one copy for every row reported sent, with its
#   Message-ID; never two copies or two complete DATA payloads for one
#   recipient; a row with no copy is not sent;
# - the unknown rows are exactly those whose end of data was in flight.
#   "In flight" is read from the server's transcript: the server received
#   the row's payload and its "." (`C: <data N bytes>`, stored or not) as
#   the last end of data of a session that then ended without QUIT (the
#   client died or the server hung up), or the row's DATA got 354 and the
#   session ended inside its content (`-- EOF in DATA`: mailmerge notes a
#   row in flight after writing the content and before writing the ".", so
#   a kill between the two leaves an unknown row the server never got).
#   An unknown row has 1 copy if the server stored it, else 0; a session
#   has at most one; an in-flight end of data is sent (the 250 was read
#   before the kill) or unknown.  With only the server hanging up (2.) this
#   is exact: unknown if and only if the server dropped at its end of data.
# - after a kill the report may end in a cut line (noted; the next resume
#   repairs it), and every run
#   was killed or ended by itself (0 or 75: a resume never refuses the
#   report a kill left);
# - after the last resume every row is sent or unknown, and the report has
#   exactly 5,000 data lines, one per row, in order.
# Counts (sent, unknown with 0 copies, unknown with 1 copy) are printed as
# TAP comments.  MM_SEED replays the random choices (timing still varies).
. "$(dirname "$0")/lib.bash"
CHECK=$TOP/tests/interop/check_resume.py
N=${MM_SCALE_ROWS:-5000}
KILLS=50
DROPS=50
DELAY_MS=3
SEED=${MM_SEED:-$(( ($(date +%s) ^ $$) % 32768 ))}
RANDOM=$SEED
echo "# MM_SEED=$SEED"
T0=$(date +%s%N)
elapsed() { echo $(( ($(date +%s%N) - T0) / 1000000 )); }

# Store, transcript and reports on tmpfs: the server fsyncs every message
# and mailmerge every report line.
W=$TMP
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	W=$(mktemp -d /dev/shm/mmscale.XXXXXX) || exit 1
fi

SRVPID=
on_exit '[ -z "$MMPID" ] || { kill -9 "$MMPID" 2>/dev/null; wait "$MMPID" 2>/dev/null; }'
on_exit '[ "$W" = "$TMP" ] || rm -rf "$W"'


# server NAME SCRIPT DIR: start_smtpd, and DIR/mm.conf for it.
server() {
	start_smtpd "$1" "$2" --idle-seconds 20 --max-seconds 900	# valgrind
	SRVPID=$!
	ok "$([ -n "$PORT" ]; echo $?)" "$1: smtpd listens (port ${PORT:-none})"
	mkdir -p "$3"
	write_conf "$3/mm.conf" "${PORT:-1}"
}
# stop_server NAME: SIGTERM; it must exit 0.
stop_server() {
	local st
	kill "$SRVPID" 2>/dev/null
	wait "$SRVPID" 2>/dev/null; st=$?
	SERVER_PIDS=${SERVER_PIDS/ $SRVPID/}
	is "$st" 0 "$1: smtpd exits 0 on SIGTERM"
	[ "$st" -eq 0 ] || sed 's/^/#   /' "$TMP/$1.err" | tail -5
}

# store_dir NAME: start_smtpd's store and transcript live in $TMP; with
# tmpfs, $TMP/NAME.store and NAME.log are made symbolic links into $W
# before the server starts.
on_tmpfs() {
	[ "$W" = "$TMP" ] && return
	mkdir -p "$W/$1.store"
	ln -s "$W/$1.store" "$TMP/$1.store"
	ln -s "$W/$1.log" "$TMP/$1.log"
}

# check_final NAME DIR [FLAGS]: the last exit status, then check_resume.py.
check_final() {
	local name=$1 dir=$2 want=0
	shift 2
	grep -q '^[0-9]*,[^,]*,unknown,' "$dir/report.csv" && want=75
	is "$RC" "$want" "$name: the last run exits $want ($([ $want = 0 ] && echo all sent || echo some unknown))"
	[ "$RC" = "$want" ] || sed 's/^/#   /' "$dir/final.err" | tail -10
	"$PYTHON" "$CHECK" --in-flight "$@" "$N" "$dir/report.csv" \
	    "$TMP/$name.store" "$TMP/$name.log" >"$dir/check" 2>&1
	results "$name" "$dir/check"
}

{
	echo 'name,email,n'
	for ((i = 1; i <= N; i++)); do echo "Student $i,s$i@example.com,$i"; done
} >roster.csv
printf '%s\n' 'From: Prof <prof@example.com>' 'To: {{name}} <{{email}}>' \
    'Subject: Hello {{name}}' '' 'Hi {{name}}, this is row {{n}}.' >tpl.txt
make_certs
ok "$([ -s "$TMP/certs/ca.pem" ]; echo $?)" "test certificates generated"
echo "# working files in $W"

# 1. SIGKILL at 50 random moments, each followed by --resume.
on_tmpfs kill
# The kill scenario's report goes on the disk when its fsync is quick:
# mailmerge fsyncs the in-flight mark between a message's content and its
# ".", and that gap is where a kill leaves an unknown row with no copy.
fsync_us=$("$PYTHON" -c '
import os, sys, time
p = os.path.join(sys.argv[1], "fsync.probe")
f = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
t = time.monotonic()
for i in range(20):
    os.write(f, b"x" * 200 + b"\n")
    os.fsync(f)
print(int((time.monotonic() - t) / 20 * 1e6))
os.close(f)
os.unlink(p)' "$TMP")
if [ "${fsync_us:-999999}" -le 1000 ]; then D=$TMP/kill; else D=$W/kill; fi
echo "# kill: report in $D (fsync on $TMP: ${fsync_us:-?} us)"
server kill "DELAY EOM ${DELAY_MS}ms" "$D"
killed_run "$D" $((RANDOM % 200)) 0
for ((k = 2; k <= KILLS; k++)); do
	if ((RANDOM % 5 == 0)); then
		killed_run "$D" $((RANDOM % 150)) 1 --resume
	else
		killed_run "$D" $((RANDOM % 200)) 0 --resume
	fi
done
echo "# kill: killed after (ms, status; + = after the start): $(tr '\n' ' ' <"$D/kills")"
killed=$(awk '$2 == 137' "$D/kills" | wc -l)
ok "$([ "$killed" -ge $((KILLS * 4 / 5)) ]; echo $?)" "kill: $killed of $KILLS runs were killed (SIGKILL) mid-run"
before=$(grep -c '^-- stored' "$TMP/kill.log")
ok "$([ "$before" -lt "$N" ]; echo $?)" "kill: the batch was not done before the last kill ($before of $N stored)"
# SIGKILL can cut a report line short: the kernel stops a write() to a file
# at a page boundary when a fatal signal is pending.  A resume must cope.
# A kill inside write() may cut the last line (the kernel stops at a page
# boundary); that is no failure: the next --resume cuts it off (see
# report_repair), and the checks below prove nobody got a second copy.
if [ -e "$D/torn" ]; then
	echo "# torn last lines after kills, repaired by the next resume:"
	sed 's/^/#   /' "$D/torn"
fi
bad=$(awk '$2 != 137 && $2 != 0 && $2 != 75' "$D/kills" | wc -l)
ok "$([ "$bad" -eq 0 ]; echo $?)" "kill: every run was killed or ended with 0 or 75 ($bad other exits)"
[ "$bad" -eq 0 ] || grep 'error' "$D/killed.out" | sort | uniq -c | sort -rn | head -3 | sed 's/^/#   /'
final_run "$D" 120
check_final kill "$D"
stop_server kill
echo "# kill: done after $(elapsed) ms"

# 2. The server hangs up at 50 random moments; the client lives.
declare -A used
script=
for ((k = 1; k <= DROPS; k++)); do
	while :; do
		case $((RANDOM % 6)) in
		0) d="DROP MAIL" ;;
		1) d="DROP RCPT" ;;
		2) d="DROP DATA" ;;
		3) d="DROP EOM" ;;
		4) d="DROP_AFTER_STORE EOM" ;;
		5) d="DROP_AFTER_REPLY EOM" ;;
		esac
		n=$((1 + RANDOM % (N * 19 / 20)))
		# One directive per event: the EOM ones share the EOM count.
		key="${d##* }#$n"
		[ -z "${used[$key]:-}" ] && break
	done
	used[$key]=1
	script+="$d#$n"$'\n'
done
on_tmpfs drop
D=$W/drop
server drop "$script" "$D"
echo "# drop: script: $(tr '\n' ' ' <"$TMP/drop.script")"
MAILMERGE_WRAP="timeout 120 ${MAILMERGE_WRAP:-}" \
    mm send -c "$D/mm.conf" -r "$D/report.csv" --yes roster.csv tpl.txt
echo "# drop: first run: exit $RC ($(tail -1 "$TMP/stdout"))"
like "$TMP/stdout" 'unknown [1-9]' "drop: the first run reports unknown rows"
final_run "$D" 120
drops=$(grep -c '^-- drop' "$TMP/drop.log")
is "$drops" "$DROPS" "drop: the server hung up $DROPS times"
check_final drop "$D" --client-lived
stop_server drop
echo "# total: $(elapsed) ms"
done_testing
