#!/bin/bash
# Item 15 of issue 10: report --failed-csv writes the retry roster in the
# roster's own encoding and delimiter (Korean Excel opens it as it gave
# it); delivery reports start with a UTF-8 BOM, and readers accept
# reports with or without one.
. "$(dirname "$0")/lib.bash"

BOM=$(printf '\357\273\277')
start_smtpd re 'REPLY RCPT:seoyeon.lee@example.org 550 5.1.1 no such user'
write_conf re.conf "$PORT"
printf 'From: Demo <demo@example.com>\nTo: {{이름}} <{{email}}>\nSubject: {{이름}}\n\n{{비고}}\n' >t.txt

# A CP949 roster with ';' as Korean Excel writes it (a value holds a ';').
printf '이름;email;비고\r\n김민준;minjun.kim@example.com;a\r\n이서연;seoyeon.lee@example.org;"지각; 2회"\r\n' |
    iconv -f UTF-8 -t CP949 >cp.csv
mm send -c re.conf -r cp-rep.csv --yes cp.csv t.txt
is "$RC" 67 "CP949 ';' roster: one row refused (67)"
is "$(head -c 3 cp-rep.csv)" "$BOM" "the delivery report starts with a UTF-8 BOM"
mm report --failed-csv cp-retry.csv cp-rep.csv
is "$RC" 0 "report --failed-csv: exit 0"
printf '이름;email;비고\r\n이서연;seoyeon.lee@example.org;"지각; 2회"\r\n' | iconv -f UTF-8 -t CP949 >cp-want.csv
check_same cp-retry.csv cp-want.csv "the retry roster is CP949 with ';' (quoted where needed)"
iconv -f CP949 -t UTF-8 cp-retry.csv >/dev/null 2>&1
ok $? "... and decodes as CP949"
mm preview -o again cp-retry.csv t.txt
is "$RC" 0 "the retry roster reads back as a roster"

# UTF-16LE with a BOM and tabs (Excel's "Unicode text") keeps all three.
printf '이름\temail\t비고\r\n이서연\tseoyeon.lee@example.org\tx\r\n' >u8.txt
{ printf '\377\376'; iconv -f UTF-8 -t UTF-16LE u8.txt; } >u16.csv
mm send -c re.conf -r u16-rep.csv --yes u16.csv t.txt
mm report --failed-csv u16-retry.csv u16-rep.csv
is "$RC" 0 "UTF-16 roster: report --failed-csv exit 0"
check_same u16-retry.csv u16.csv "the retry roster is UTF-16LE with its BOM and tabs"

# A UTF-8 ',' roster stays UTF-8 ',' (no change for the common case).
printf '이름,email,비고\n이서연,seoyeon.lee@example.org,x\n' >u.csv
mm send -c re.conf -r u-rep.csv --yes u.csv t.txt
mm report --failed-csv u-retry.csv u-rep.csv
is "$(tr -d '\r' <u-retry.csv)" "$(cat u.csv)" "a UTF-8 ',' roster gives a UTF-8 ',' retry roster"

# Readers take a report with or without the BOM: report, resume.
tail -c +4 u-rep.csv >nobom.csv
is "$(head -c 3 nobom.csv)" "row" "(a report without BOM, as older versions wrote)"
mm report nobom.csv
is "$RC" 0 "report reads a report without BOM"
like stdout "failed +1" "and counts its row"
cp u-rep.csv withbom.csv
mm report withbom.csv
is "$RC" 0 "report reads a report with BOM"
like stdout "failed +1" "and counts its row"
mm send -c re.conf -r nobom.csv --resume --yes u.csv t.txt
is "$RC" 67 "send --resume appends to a report without BOM"
mm send -c re.conf -r withbom.csv --resume --yes u.csv t.txt
is "$RC" 67 "send --resume appends to a report with BOM"
is "$(head -c 3 withbom.csv)" "$BOM" "compaction keeps the BOM"
is "$(grep -c '' withbom.csv)" 2 "one header and one row line after compaction"
mm preview -o pv u.csv t.txt
is "$(head -c 3 pv/report.csv)" "$BOM" "preview's report.csv starts with the BOM too"
done_testing
