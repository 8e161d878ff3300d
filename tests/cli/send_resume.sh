#!/bin/bash
# Crash and resume (STYLE.md, Tests): a kill at any step, then a resume,
# never gives a second DATA to the same recipient.
#
# 1. mailmerge is killed (SIGKILL) at random moments, again and again,
#    and resumed until a run ends by itself.
# 2. The server drops the connection at random moments: at a RCPT, at the
#    end of data before storing (DROP EOM) and after storing (DROP_AFTER_STORE).
# After each, tests/interop/check_resume.py compares the final report with
# the server's store and transcript.  Set MM_SEED to replay the random choices
# (timing still varies).
. "$(dirname "$0")/lib.bash"
SMTPD=${SMTPD:-$TOP/build/smtpd}
CHECK=$TOP/tests/interop/check_resume.py
export MM_TEST_PASSWORD=demo-password	# build/smtpd's default user demo
N=200
KILLS=10
SEED=${MM_SEED:-$(( ($(date +%s) ^ $$) % 32768 ))}
RANDOM=$SEED
echo "# MM_SEED=$SEED"

SRV=
on_exit '[ -z "$MMPID" ] || kill -9 "$MMPID" 2>/dev/null'
on_exit '[ -z "$SRV" ] || stop_pid "$SRV"'


# start_server DIR SCRIPT: build/smtpd for DIR (store, transcript, config).
start_server() {
	mkdir -p "$1"
	printf '%s\n' "$2" >"$1/script"
	"$SMTPD" -p 0 -a 127.0.0.1 --cert certs/server.pem --key certs/server-key.pem \
	    -s "$1/script" -d "$1/store" -t "$1/transcript" --port-file "$1/port" \
	    --max-seconds 90 --idle-seconds 20 >"$1/server.out" 2>&1 &
	SRV=$!
	local i
	for i in $(seq 100); do
		[ -s "$1/port" ] && break
		kill -0 "$SRV" 2>/dev/null || break
		sleep 0.1
	done
	PORT=$(cat "$1/port" 2>/dev/null)
	ok "$([ -n "$PORT" ]; echo $?)" "$1: smtpd listens (port ${PORT:-none})"
	[ -n "$PORT" ] || sed 's/^/#   /' "$1/server.out"
	cat >"$1/mm.conf" <<CONF
[lab]
provider = custom
host = 127.0.0.1
port = ${PORT:-1}
ca_file = $TMP/certs/ca.pem
user = demo
from = prof@example.com
password_env = MM_TEST_PASSWORD
route = *
timeout = 5
CONF
}

stop_server() {	# stop_server DIR
	stop_pid "$SRV"; SRV=
	is "$ST" 0 "$1: smtpd exits 0 on SIGTERM"
	[ "$ST" -eq 0 ] || sed 's/^/#   /' "$1/server.out" | tail -5
}

# Final exit status: 0 if every row is sent, 75 if some are unknown.
check_final_status() {	# check_final_status DIR
	local want=0
	grep -q '^[0-9]*,[^,]*,unknown,' "$1/report.csv" && want=75
	is "$RC" "$want" "$1: the last run exits $want ($( [ $want = 0 ] && echo all sent || echo some unknown))"
	[ "$RC" = "$want" ] || sed 's/^/#   /' "$1/final.err" | tail -10
}

{
	echo 'name,email,n'
	for i in $(seq $N); do echo "Student $i,s$i@example.com,$i"; done
} >roster.csv
printf '%s\n' 'From: Prof <prof@example.com>' 'To: {{name}} <{{email}}>' \
    'Subject: Hello {{name}}' '' 'Hi {{name}}, this is row {{n}}.' >tpl.txt

"$TOP/tests/smtpd/mkcerts.sh" certs >certs.out 2>&1
ok $? "test certificates generated"

# 1. SIGKILL at random moments.
start_server kill 'DELAY EOM 20ms'
killed_run kill $((RANDOM % 300)) 0
for k in $(seq 2 $KILLS); do
	killed_run kill $((RANDOM % 300)) $((RANDOM % 4 == 0)) --resume
done
echo "# kill: killed after (ms, status): $(tr '\n' ' ' <kill/kills)"
killed=$(awk '$2 == 137' kill/kills | wc -l)
ok "$([ "$killed" -ge 8 ]; echo $?)" "kill: $killed of $KILLS runs were killed (SIGKILL) mid-run"
# A kill inside write() may cut the last line (the kernel stops at a page
# boundary); that is no failure: the next --resume cuts it off (see
# report_repair), and the checks below prove nobody got a second copy.
if [ -e kill/torn ]; then
	echo "# torn last lines after kills, repaired by the next resume:"
	sed 's/^/#   /' kill/torn
fi
final_run kill
check_final_status kill
"$PYTHON" "$CHECK" $N kill/report.csv kill/store kill/transcript >kill/check 2>&1
results kill kill/check
stop_server kill

# 2. The server drops the connection: at some RCPT, and at some ends of
# data before and after storing the message.
r() { echo $((1 + RANDOM % 190)); }
script="DELAY EOM 2ms"
for i in 1 2 3; do
	script+=$'\n'"DROP EOM#$(r)"$'\n'"DROP_AFTER_STORE EOM#$(r)"$'\n'"DROP RCPT#$(r)"
done
start_server drop "$script"
echo "# drop: script: $(grep -v DELAY drop/script | tr '\n' ' ')"
MAILMERGE_WRAP="timeout 60 ${MAILMERGE_WRAP:-}" \
    mm send -c drop/mm.conf -r drop/report.csv --yes roster.csv tpl.txt
echo "# drop: first run: exit $RC"
like stdout 'unknown [1-9]' "drop: the first run reports unknown rows"
final_run drop
check_final_status drop
"$PYTHON" "$CHECK" $N drop/report.csv drop/store drop/transcript >drop/check 2>&1
results drop drop/check
stop_server drop

# 3. A kill before the first row's fate is journaled: the server is slow to
# greet (as a real one may be for seconds), so mailmerge is killed while
# connecting.  Nothing was sent; a resume must simply send everything.
head -6 roster.csv >roster5.csv
start_server early 'DELAY CONNECT#1 3s'
${MAILMERGE_WRAP:-} "$MAILMERGE" send -c early/mm.conf -r early/report.csv \
    --yes roster5.csv tpl.txt >early/killed.out 2>&1 &
MMPID=$!
for i in $(seq 2000); do	# until the server has accepted it (20 s)
	grep -q '^-- connection 1 opened' early/transcript 2>/dev/null && break
	kill -0 "$MMPID" 2>/dev/null || break
	sleep 0.01
done
sleep 0.1
kill -9 "$MMPID" 2>/dev/null; wait "$MMPID" 2>/dev/null; st=$?; MMPID=
is "$st" 137 "early: killed while waiting for the greeting"
MAILMERGE_WRAP="timeout 60 ${MAILMERGE_WRAP:-}" \
    mm send -c early/mm.conf -r early/report.csv --resume --yes roster5.csv tpl.txt
is "$RC" 0 "early: --resume after a kill during the connection exits 0"
[ "$RC" -eq 0 ] || sed 's/^/#   /' stderr | tail -5
"$PYTHON" "$CHECK" 5 early/report.csv early/store early/transcript >early/check 2>&1
results early early/check
stop_server early
done_testing
