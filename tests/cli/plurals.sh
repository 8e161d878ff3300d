#!/bin/bash
# Issue 13 item 12 (messages): counts are proper gettext plurals (P_()),
# not "row%s" with "" or "s" nor "row was"/"rows were" picked by the
# count: one row is "1 row" everywhere, and Korean gets its one form with
# no leftover argument.
. "$(dirname "$0")/lib.bash"

# No English plural trick left: no string (or _() string) chosen by
# "== 1 ?" / "!= 1 ?", no "row%s".
grep -rn '[!=]= 1 ? *\(_(\)\?"\|[!=]= 1 ?$\|report%s\|row%s\|field%s' \
    "$TOP/src" >tricks
is "$(wc -l <tricks)" 0 "no plural trick in src"
sed 's/^/#   /' tricks

# A one-row roster and a one-row report, its row failed.
printf 'name,email\ns1,s1@example.com\n' >roster.csv
SUM=$(sha256sum roster.csv | cut -d' ' -f1)
{
	echo 'row,recipients,status,provider,smtp_code,enhanced_code,reply,message_id,attempts,time,account,stage,roster,roster_sha256,template,template_sha256,format'
	echo "1,s1@example.com,failed,custom,550,5.1.1,no such user,<r1@example.com>,1,2026-12-04T20:00:00+09:00,lab,RCPT,roster.csv,$SUM,t.txt,$SUM,1"
} >r.csv

LANG=C.UTF-8 LC_ALL= LANGUAGE= mm report r.csv
like stdout '^Roster: +roster\.csv \(1 row\)$' "text: the roster has (1 row)"
like stdout '^Not delivered \(1 row\):$' "text: Not delivered (1 row):"
LANG=C.UTF-8 LC_ALL= LANGUAGE= mm report --html r.html r.csv
like r.html '</code>, 1 row; report <code>r\.csv' "html: 1 row; report"
LANG=ko_KR.UTF-8 LC_ALL= LANGUAGE= mm report r.csv
like stdout '^전달되지 않음 \(1행\):$' "Korean: 전달되지 않음 (1행):"
LANG=C.UTF-8 LC_ALL= LANGUAGE= mm report --failed-csv retry.csv r.csv
like stderr '^mailmerge: retry\.csv: wrote 1 roster row to send again$' \
    "--failed-csv: wrote 1 roster row"

# A send whose one row is refused for now: its verdict counts 1 row.
printf 'To: <{{email}}>\nFrom: a@example.com\nSubject: x\n\nhi\n' >m.txt
start_smtpd busy 'REPLY RCPT:s1@example.com 450 4.2.1 mailbox busy'
write_conf busy.conf "$PORT"
LANG=C.UTF-8 LC_ALL= LANGUAGE= mm send -c busy.conf -r busy.csv --yes \
    roster.csv m.txt
is "$RC" 75 "send, one row refused for now: exit 75"
like stderr 'error: 1 row deferred, skipped or not attempted' \
    "send verdict: 1 row deferred (not \"1 rows\")"

# A roster row with one field under a two-column header.
printf 'name,email\nlonely\n' >short.csv
printf 'To: <{{email}}>\nSubject: x\n\nhi\n' >t.txt
LANG=C.UTF-8 LC_ALL= LANGUAGE= mm preview -o p short.csv t.txt
like stderr 'row 1 has 1 field, the header has 2' "roster: row 1 has 1 field"
LANG=ko_KR.UTF-8 LC_ALL= LANGUAGE= mm preview -o p short.csv t.txt
like stderr '1행의 필드는 1개인데 머리글은 2개입니다' "roster, Korean: one form"

done_testing
