#!/bin/bash
# mailmerge preview on good input: files, names, report, stdout, and an
# independent MIME check of every message with Python's email package.
. "$(dirname "$0")/lib.bash"
S=$TOP/samples
D=$TOP/tests/data

mm preview -o prev "$S/roster.csv" "$D/simple.txt"
is "$RC" 0 "preview of the UTF-8 sample exits 0"
no_valgrind_error
is "$(ls prev/*.eml | wc -l)" 20 "one .eml per roster row"
ok "$([ -f prev/0001-minjun.kim@example.com.eml ]; echo $?)" \
    "files are named row-recipient.eml, zero-padded"
"$PYTHON" "$TOP/tests/cli/check_eml.py" "$S/roster.csv" prev >check.out 2>&1
ok $? "every message parses back to the expected Subject, addresses, body"
sed 's/^/#   /' check.out | head -20
like stdout '^Subject: \[컴퓨터네트워크\] 김민준님 과제 점수 안내$' \
    "stdout shows the first message with decoded headers"
like stdout '^김민준님, 과제 점수는 60점입니다\.$' "stdout shows its body as text"
like stdout 'previewed 20 rows, 20 recipients' "stdout ends with a summary"
is "$(grep -c '' prev/report.csv)" 21 "report.csv: a header and one line per row"
like prev/report.csv '^(﻿)?row,recipients,status,provider,smtp_code,enhanced_code,reply,message_id,attempts,time' \
    "report.csv has the report columns"
"$PYTHON" - prev/report.csv <<'PY' >report.out 2>&1
import csv, sys, re
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig")))
bad = [r for r in rows if r["status"] != "previewed"]
assert not bad, bad
assert [int(r["row"]) for r in rows] == list(range(1, 21)), "row numbers"
assert rows[0]["recipients"] == "minjun.kim@example.com", rows[0]
for r in rows:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", r["time"]), r["time"]
    assert r["message_id"].startswith("<") and r["message_id"].endswith("@example.com>")
PY
ok $? "report rows: all previewed, rows 1..20, ISO 8601 times, Message-IDs"
sed 's/^/#   /' report.out

# The CP949 sample (what Korean Excel writes) gives the same mail.
mm preview -o prev949 "$S/roster-cp949.csv" "$D/simple.txt"
is "$RC" 0 "preview of the CP949 sample exits 0"
"$PYTHON" "$TOP/tests/cli/check_eml.py" "$S/roster.csv" prev949 >check.out 2>&1
ok $? "CP949 roster: every message equals the UTF-8 roster's"
sed 's/^/#   /' check.out | head -20

# UTF-8 with BOM, UTF-16LE with BOM and tabs (Excel "Unicode text").
printf '\xef\xbb\xbf' >bom.csv; cat "$S/roster.csv" >>bom.csv
mm preview -o prevbom bom.csv "$D/simple.txt"
is "$RC" 0 "UTF-8 roster with BOM"
"$PYTHON" "$TOP/tests/cli/check_eml.py" "$S/roster.csv" prevbom >/dev/null 2>&1
ok $? "BOM roster gives the same mail"
"$PYTHON" -c '
import csv,sys
rows=list(csv.reader(open(sys.argv[1],encoding="utf-8",newline="")))
import io; out=io.StringIO(); csv.writer(out,delimiter="\t",lineterminator="\r\n").writerows(rows)
open("u16.txt","wb").write(("\ufeff"+out.getvalue()).encode("utf-16-le"))
' "$S/roster.csv"
mm preview -o prev16 u16.txt "$D/simple.txt"
is "$RC" 0 "UTF-16LE roster with BOM and tabs"
"$PYTHON" "$TOP/tests/cli/check_eml.py" "$S/roster.csv" prev16 >/dev/null 2>&1
ok $? "UTF-16 roster gives the same mail"
"$PYTHON" -c '
import csv,sys
rows=list(csv.reader(open(sys.argv[1],encoding="utf-8",newline="")))
csv.writer(open("semi.csv","w",encoding="utf-8",newline=""),delimiter=";",lineterminator="\r\n").writerows(rows)
' "$S/roster.csv"
mm preview -o prevsemi semi.csv "$D/simple.txt"
is "$RC" 0 "semicolon-delimited roster is detected"
"$PYTHON" "$TOP/tests/cli/check_eml.py" "$S/roster.csv" prevsemi >check.out 2>&1
ok $? "semicolon roster gives the same mail"
sed 's/^/#   /' check.out | head

# -n, and a second preview replaces the first one's files.
mm preview -o prev -n 3 "$S/roster.csv" "$D/simple.txt"
is "$RC" 0 "-n 3 exits 0"
is "$(ls prev/*.eml | wc -l)" 3 "-n 3 leaves exactly 3 files (old ones replaced)"
is "$(grep -c '' prev/report.csv)" 4 "-n 3 report has 3 rows"

# mbox output.
mm preview -o prevm --mbox all.mbox "$S/roster.csv" "$D/simple.txt"
is "$RC" 0 "--mbox exits 0"
is "$(ls prevm/*.eml 2>/dev/null | wc -l)" 0 "--mbox writes no .eml files"
is "$(grep -c '^From ' all.mbox)" 20 "the mbox holds 20 messages"
"$PYTHON" "$TOP/tests/cli/check_eml.py" "$S/roster.csv" all.mbox >check.out 2>&1
ok $? "every mbox message parses back to the expected text"
sed 's/^/#   /' check.out | head
is "$(grep -c '' prevm/report.csv)" 21 "--mbox still writes the report to DIR"

# mboxrd quoting of "From " lines in the body.
printf 'From: a <a@example.com>\nTo: {{email}}\nSubject: x\n\nFrom here\n>From there\nend\n' >from.txt
printf 'email\nx@example.com\n' >one.csv
mm preview -o pf --mbox from.mbox one.csv from.txt
like from.mbox '^>From here$' "mbox quotes a body line starting with From"
like from.mbox '^>>From there$' "mboxrd quotes >From too"

# The sample templates of templates/ work on the sample roster.
for t in "$TOP"/templates/*.txt; do
	mm preview -o "prev-$(basename "$t")" "$S/roster.csv" "$t"
	is "$RC" 0 "bundled template $(basename "$t") previews the sample"
done
like "prev-grades.txt/0002-seoyeon.lee@example.org.eml" '^Reply-To: ' "grades template keeps Reply-To"

done_testing
