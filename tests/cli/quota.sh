#!/bin/bash
# Issue 10 item 2: a reply is the account's quota only by its enhanced
# code AND stage (the table in src/provider.c).  One student's full
# mailbox (4.2.2 at RCPT) is that row's outcome; the rest are sent.
. "$(dirname "$0")/lib.bash"
S=$TOP/samples
T=$TOP/templates/announcement.txt
R() { "$PYTHON" "$TOP/tests/cli/report_rows.py" "$@"; }
ROW3=doyoon.park@example.net	# row 3 of the sample roster

# case NAME SCRIPT: send the 20 sample rows through a server with SCRIPT.
case_run() {
	start_smtpd "$1" "$2"
	write_conf "$1.conf" "$PORT"
	mm send -c "$1.conf" -r "$1.csv" --yes "$S/roster.csv" "$T"
	cp "$TMP/stderr" "$1.err"
	R "$1.csv" >"$1.rows"
}
status_of() { awk -v r="$2" '$1==r {print $2}' "$1.rows"; }
count() { awk -v s="$2" '$2==s' "$1.rows" | wc -l; }

# -- one full mailbox at RCPT: only that row deferred --------------------
case_run full "REPLY RCPT:$ROW3 452 4.2.2 The email account that you tried to reach is over quota"
is "$RC" 75 "4.2.2 at RCPT: exit 75 (one row deferred)"
is "$(status_of full 3)" deferred "4.2.2 at RCPT: that row is deferred"
is "$(count full sent)" 19 "4.2.2 at RCPT: the 19 other rows are sent"
is "$(stored full)" 19 "4.2.2 at RCPT: the server stored 19 messages"
unlike full.err 'stopping this account' "4.2.2 at RCPT: the account is not stopped"

# -- 5.2.2 at RCPT: that row failed ---------------------------------------
case_run full5 "REPLY RCPT:$ROW3 552 5.2.2 mailbox full"
is "$(status_of full5 3)" failed "5.2.2 at RCPT: that row failed"
is "$(count full5 sent)" 19 "5.2.2 at RCPT: the 19 other rows are sent"
unlike full5.err 'stopping this account' "5.2.2 at RCPT: the account is not stopped"

# -- 4.5.3 at RCPT: too many recipients, that row only -------------------
case_run many "REPLY RCPT:$ROW3 452 4.5.3 Your message has too many recipients"
is "$(status_of many 3)" deferred "4.5.3 at RCPT: that row is deferred"
is "$(count many sent)" 19 "4.5.3 at RCPT: the 19 other rows are sent"
unlike many.err 'stopping this account' "4.5.3 at RCPT: the account is not stopped"

# -- 5.4.5 at MAIL: the account's daily quota ----------------------------
case_run q545 'REPLY MAIL#3 550 5.4.5 Daily user sending quota exceeded'
is "$RC" 75 "5.4.5 at MAIL: exit 75"
is "$(status_of q545 3)" deferred "5.4.5 at MAIL: the row waits (deferred)"
is "$(count q545 skipped)" 17 "5.4.5 at MAIL: the 17 rows after it are skipped"
is "$(stored q545)" 2 "5.4.5 at MAIL: nothing sent after it"
like q545.err 'quota is used up' "5.4.5 at MAIL: the account is stopped for quota"

# -- 5.4.5 in reply to DATA: the same -----------------------------------
case_run q545d 'REPLY DATA#5 554 5.4.5 Daily user sending quota exceeded'
is "$(status_of q545d 5)" deferred "5.4.5 at DATA: the row waits (deferred)"
is "$(count q545d skipped)" 15 "5.4.5 at DATA: the 15 rows after it are skipped"

# -- 4.7.0 daily sending limit at MAIL and at end of data ----------------
case_run q470m 'REPLY MAIL#4 421 4.7.0 Daily sending limit exceeded, try again tomorrow'
is "$(count q470m skipped)" 16 "4.7.0 sending limit at MAIL: the account stops"
like q470m.err 'quota is used up' "4.7.0 sending limit at MAIL: said so"
case_run q470e 'REPLY EOM#2 451 4.7.0 Daily sending limit exceeded'
is "$(status_of q470e 2)" deferred "4.7.0 sending limit at EOM: the row waits"
is "$(count q470e skipped)" 18 "4.7.0 sending limit at EOM: the account stops"

# -- a plain 4.7.0 at MAIL (not a limit) is a row's deferral -------------
case_run t470 'REPLY MAIL#2 451 4.7.0 Temporary server error, try again'
is "$(count t470 sent)" 20 "plain 4.7.0 at MAIL: retried, all 20 sent"
unlike t470.err 'quota' "plain 4.7.0 at MAIL: no quota stop"

# -- 5.4.5 at RCPT is not an account quota -------------------------------
case_run r545 "REPLY RCPT:$ROW3 550 5.4.5 over quota"
is "$(status_of r545 3)" failed "5.4.5 at RCPT: that row failed"
is "$(count r545 sent)" 19 "5.4.5 at RCPT: the rest are sent"
done_testing
