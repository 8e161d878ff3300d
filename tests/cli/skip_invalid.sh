#!/bin/bash
# Item 12 of issue 10: every template error in one run, row errors that
# name the row, the column and the student, and --skip-invalid.
. "$(dirname "$0")/lib.bash"

printf '이름,학번,email,점수\n김민준,1,,60\n이서연,2,bad@@x,70\n박지호,3,jiho@example.com,80\n최유나,4,yuna@example.org,90\n' >r.csv
cat >t.txt <<'TPL'
From: Prof <demo@example.com>
To: {{이름}} <{{email}}>
Subject: {{이름}} {{scor}} {{nmae}}

{{점수}} {{학번호}}
TPL
mm preview -o p0 r.csv t.txt
is "$RC" 65 "template with three unknown tags: exit 65"
like stderr "t.txt:3:[0-9]+: error: no column 'scor'" "the first unknown tag is reported"
like stderr "t.txt:3:[0-9]+: error: no column 'nmae'" "the second one in the same run"
like stderr "t.txt:5:[0-9]+: error: no column '학번호'" "and the one in the body"
like stderr "3 tags name no column" "with a count"

sed -i 's/ {{scor}} {{nmae}}//; s/ {{학번호}}//' t.txt
mm preview -o p1 r.csv t.txt
is "$RC" 65 "two rows with bad addresses: exit 65"
like stderr "r.csv:2: error: row 1, header 'To': '' is not a valid address.*\(student 김민준, column 'email'\)" \
    "an empty address names the row, the student and the column"
like stderr "r.csv:3: error: row 2, header 'To': 'bad@@x'.*\(student 이서연, column 'email'\)" \
    "an invalid one too"
like stderr "pass --skip-invalid" "the error mentions --skip-invalid"
[ -e p1 ] && ok 1 "nothing written" || ok 0 "nothing written without --skip-invalid"

# A 'name' column (English roster) names the student as well.
printf 'email,Name\n,Kim\n' >en.csv
printf 'From: a@example.com\nTo: {{email}}\nSubject: x\n\n{{Name}}\n' >en.txt
mm preview -o p2 en.csv en.txt
like stderr "row 1, header 'To': .*\(student Kim, column 'email'\)" "a Name column names the student"

# --skip-invalid in preview: the rest is written, the bad rows reported.
mm preview --skip-invalid -o p3 r.csv t.txt
is "$RC" 0 "preview --skip-invalid: exit 0"
is "$(ls p3 | grep -c '\.eml$')" 2 "the two good rows were previewed"
is "$(awk -F, 'NR>1{print $1":"$3}' p3/report.csv | tr '\n' ' ')" \
    "1:skipped 2:skipped 3:previewed 4:previewed " "report: rows 1, 2 skipped"
like p3/report.csv "^1,.*skipped.*row 1, header 'To': '' is not a valid address.*student 김민준, column 'email'" \
    "a skipped row's line says why"
like stdout "2 rows skipped as invalid" "the summary counts them"

# --skip-invalid in send: the plan shows the count, the rest is sent.
start_smtpd sk
write_conf sk.conf "$PORT"
mm send -c sk.conf -r sk.csv --yes --skip-invalid r.csv t.txt
is "$RC" 0 "send --skip-invalid: exit 0 when every other row is sent"
no_valgrind_error
like stdout "2 rows with errors will be skipped" "the plan shows how many are skipped"
like stdout "About to send 2 mails" "and plans only the others"
is "$(stored sk)" 2 "the server got the two good rows"
is "$(awk -F, 'NR>1{print $1":"$3}' sk.csv | tr '\n' ' ')" \
    "1:skipped 2:skipped 3:sent 4:sent " "report: rows 1, 2 skipped, 3, 4 sent"
like sk.csv "^2,.*skipped.*'bad@@x' is not a valid address" "the reason is recorded"
# A malformed record (too many fields) is skipped too; the rows after it go.
printf '이름,학번,email,점수\n김민준,1,kim@example.com,60\n이서연,2,lee@example.org,70,extra\n박지호,3,jiho@example.com,80\n' >bad.csv
mm send -c sk.conf -r sk3.csv --yes --skip-invalid bad.csv t.txt
is "$RC" 0 "send --skip-invalid over a malformed record: exit 0"
is "$(awk -F, 'NR>1{print $1":"$3}' sk3.csv | sort -n | tr '\n' ' ')" \
    "1:sent 2:skipped 3:sent " "the malformed row is skipped, the others sent"
is "$(stored sk)" 4 "two more mails stored"
mm preview --skip-invalid -o p4 bad.csv t.txt
is "$(awk -F, 'NR>1{print $1":"$3}' p4/report.csv | tr '\n' ' ')" \
    "1:previewed 2:skipped 3:previewed " "preview skips it the same way"
mm send -c sk.conf -r sk2.csv --yes r.csv t.txt
is "$RC" 65 "without --skip-invalid send still refuses the batch"
is "$(stored sk)" 4 "and sends nothing"
done_testing
