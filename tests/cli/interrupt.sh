#!/bin/bash
# Issue 10 items 4, 5, 13: a paced send that is interrupted stops
# cleanly (summary, the command that continues, exit 75); the rate shown
# is the true average; off a terminal each row's outcome is a line.
. "$(dirname "$0")/lib.bash"
S=$TOP/samples
T=$TOP/templates/announcement.txt
R() { "$PYTHON" "$TOP/tests/cli/report_rows.py" "$@"; }
start_smtpd slow
write_conf slow.conf "$PORT"
count_rows() { grep -Ec '^mailmerge: row [0-9]+ ' "$1"; }

# -- SIGINT during a paced send (4 mails/s, 20 rows) ---------------------
${MAILMERGE_WRAP:-} "$MAILMERGE" send -c slow.conf -r int.csv --rate 4/s --yes \
    "$S/roster.csv" "$T" >int.out 2>int.err &
pid=$!
for i in $(seq 100); do [ "$(count_rows int.err)" -ge 3 ] && break; sleep 0.1; done
# item 13: off a terminal the rows are told as they happen.
ok "$(kill -0 $pid 2>/dev/null; echo $?)" "off a terminal: still running after 3 rows ..."
ok "$([ "$(count_rows int.err)" -ge 3 ]; echo $?)" "... and 3 row lines were already printed"
like int.err '^mailmerge: row 1 minjun\.kim@example\.com: sent 250 2\.0\.0 \[lab\]$' \
    "a row line: row, address, status, code, account"
kill -INT $pid
wait $pid; RC=$?
is "$RC" 75 "SIGINT: exit 75 (resumable)"
like int.out '^sent [0-9]+, .*not tried [0-9]+' "SIGINT: the summary counts the rows not tried"
like int.out "^to send the rest: mailmerge send -c slow\\.conf --resume -r int\\.csv $S/roster\\.csv $T\$" \
    "SIGINT: the exact command that continues"
sent=$(R int.csv | awk '$2=="sent"' | wc -l)
ok "$([ "$sent" -ge 3 ] && [ "$sent" -lt 20 ]; echo $?)" "SIGINT: stopped mid-batch ($sent sent)"
is "$(R int.csv | awk '$2!="sent"' | wc -l)" 0 "SIGINT: no row left unknown or skipped: the rest have no line"
is "$(stored slow)" "$sent" "SIGINT: the server stored exactly the rows reported sent"
is "$(count_rows int.err)" "$sent" "one line per row outcome"
like "$TMP/slow.log" '^C: QUIT' "SIGINT: the session ended with QUIT"
# The printed command continues the run: nobody gets a second copy.
cmd=$(sed -n 's/^to send the rest: mailmerge //p' int.out)
mm $cmd --yes
is "$RC" 0 "the printed command sends the rest"
is "$(stored slow)" 20 "20 messages in all, none twice"
is "$(cut -f3 "$TMP/slow.store/index.tsv" | sort | uniq -d | wc -l)" 0 "no address got two"

# -- SIGTERM: the same ----------------------------------------------------
${MAILMERGE_WRAP:-} "$MAILMERGE" send -c slow.conf -r term.csv --rate 4/s --yes \
    "$S/roster.csv" "$T" >term.out 2>term.err &
pid=$!
for i in $(seq 100); do [ "$(count_rows term.err)" -ge 2 ] && break; sleep 0.1; done
kill -TERM $pid
wait $pid; RC=$?
is "$RC" 75 "SIGTERM: exit 75"
like term.out '^to send the rest: mailmerge send -c slow\.conf --resume -r term\.csv' "SIGTERM: the command that continues"

# -- paced at 1/min: one SIGINT ends the wait for the next slot --------
${MAILMERGE_WRAP:-} "$MAILMERGE" send -c slow.conf -r paced.csv --rate 1/min --yes \
    "$S/roster.csv" "$T" >paced.out 2>paced.err &
pid=$!
for i in $(seq 100); do [ "$(count_rows paced.err)" -ge 1 ] && break; sleep 0.1; done
start=$(date +%s%N)
kill -INT $pid
wait $pid; RC=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$RC" 75 "paced at 1/min, SIGINT: exit 75"
ok "$([ "$ms" -lt 5000 ]; echo $?)" "paced at 1/min, SIGINT: ends within 5 s, not a minute ($ms ms)"

# -- a second signal ends it at once; the journal stays consistent -------
start_smtpd stuck 'DELAY EOM#2 6s'
write_conf stuck.conf "$PORT"
${MAILMERGE_WRAP:-} "$MAILMERGE" send -c stuck.conf -r twice.csv --yes \
    "$S/roster.csv" "$T" >twice.out 2>twice.err &
pid=$!
for i in $(seq 100); do grep -q '^2,.*,unknown,' twice.csv 2>/dev/null && break; sleep 0.1; done
kill -INT $pid; sleep 0.5
ok "$(kill -0 $pid 2>/dev/null; echo $?)" "first SIGINT: it waits for the message in flight"
start=$(date +%s%N)
kill -INT $pid 2>/dev/null
wait $pid; RC=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
ok "$([ "$RC" -ne 0 ] && [ "$RC" -ne 75 ] && [ "$ms" -lt 2000 ]; echo $?)" \
    "second SIGINT: it ends at once (exit $RC, $ms ms)"
is "$(R twice.csv | awk '$1==2 {print $2}')" unknown "row 2, in flight, is unknown in the journal"
sleep 6	# the server finishes that session
mm send -c stuck.conf -r twice.csv --resume --yes "$S/roster.csv" "$T"
is "$RC" 75 "resume after the second signal: 75 (row 2 stays unknown)"
is "$(cut -f3 "$TMP/stuck.store/index.tsv" | sort | uniq -d | wc -l)" 0 "resume: nobody got two copies"
is "$(R twice.csv | awk '$2=="sent"' | wc -l)" 19 "resume: the other 19 rows are sent"

# -- item 5: the rate is the true average since the first mail ----------
# The pace is a ceiling: a loaded machine may send slower, never faster.
script -qefc "$MAILMERGE send -c slow.conf -r rate.csv --rate 10/s --yes $S/roster.csv $T" \
    /dev/null >rate.tty 2>&1 </dev/null
tr '\r' '\n' <rate.tty | grep -o '[0-9.]*/min' | sed 's,/min,,' >rates
ok "$([ "$(wc -l <rates)" -ge 10 ]; echo $?)" "--rate 10/s on a terminal: the progress line shows a rate ($(wc -l <rates) times)"
is "$(awk '$1 < 150 || $1 > 700' rates | tr '\n' ' ')" "" \
    "--rate 10/s: every rate shown is at most ~600/min (never thousands)"
done_testing
