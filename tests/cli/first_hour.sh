#!/bin/bash
# Issue 10: a teacher's first hour.  check says what is wrong with a bad
# config, exactly as send does (it used to exit 78 in silence).
. "$(dirname "$0")/lib.bash"
S=$TOP/samples
T=$TOP/templates/announcement.txt

base='[lab]
provider = custom
host = 127.0.0.1
user = demo@example.com'
printf '%s\npassword = x\n' "$base" >mode0644.conf
chmod 644 mode0644.conf
printf '%s\npassword_env = X\nbogus = 1\n' "$base" >unknown_key.conf
printf '%s\npassword_env = X\npassword_command = echo x\n' "$base" >two_sources.conf
printf '[lab]\nprovider = custom\nhost = 127.0.0.1\npassword_env = X\n' >no_user.conf
printf 'user = x@example.com\n%s\npassword_env = X\n' "$base" >before_section.conf
printf '[gmial]\nuser = x@gmail.com\npassword_env = X\n' >unknown_section.conf
printf '%s\npassword_env = X\n[oops\n' "$base" >bad_header.conf

for c in mode0644 unknown_key two_sources no_user before_section \
    unknown_section bad_header; do
	mm send -c $c.conf --yes "$S/roster.csv" "$T"
	cp "$TMP/stderr" send.err
	mm check -c $c.conf
	is "$RC" 78 "check, $c: exit 78"
	like "$TMP/stderr" "^mailmerge: $c\\.conf(:[0-9]+)?: error: " \
	    "check, $c: the error names the file"
	check_same send.err "$TMP/stderr" "check, $c: the same message as send"
done
like "$TMP/stderr" 'expected \[section\]' "the message says what was expected"


# -- item 9: the warnings are repeated right above the [y/N] question ----
start_smtpd plan
cat >gmail.conf <<CONF
[gmail]
host = 127.0.0.1
port = $PORT
ca_file = $TMP/certs/ca.pem
user = teacher@gmail.com
password_env = MM_TEST_PASSWORD
CONF
{ echo 'email,name'; for i in $(seq 501); do echo "s$i@example.com,S$i"; done; } >big.csv
printf 'From: Prof <prof@example.com>\nTo: {{name}} <{{email}}>\nSubject: hi\n\nHello {{name}}\n' >big.txt
printf 'n\n' | script -qefc "$MAILMERGE send -c gmail.conf -r big-report.csv big.csv big.txt" \
    /dev/null >plan.tty 2>&1
tr -d '\r' <plan.tty | sed -n '/About to send/,/Send these mails now/p' >plan.txt
tail -3 plan.txt | head -2 >above.txt
like above.txt 'warning: .*From <prof@example\.com> is not the address of account \[gmail\]' \
    "the From warning is repeated right above the question"
like above.txt "warning: \\[gmail\\] 501 mails is more than gmail's daily quota" \
    "the quota warning is right above the question"
like plan.txt 'Send these mails now\? \[y/N\]' "the question follows"
is "$(stored plan)" 0 "answered n: nothing sent"

done_testing
