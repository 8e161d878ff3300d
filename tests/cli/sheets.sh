#!/bin/bash
# Spreadsheet rosters (issue 11): .xlsx, .ods and .xls written by
# independent libraries (tests/sheets/make_sheets.py) preview to the same
# messages as the same roster typed as CSV; --sheet; errors naming
# Sheet!Cell; send, report --failed-csv and resume through a spreadsheet;
# hostile files (tests/sheets/make_hostile.py) refused in bounded time
# and memory with nothing written.
. "$(dirname "$0")/lib.bash"
SMTPD=${SMTPD:-$TOP/build/smtpd}
export MM_TEST_PASSWORD=demo-password

"$PYTHON" "$TOP/tests/sheets/make_sheets.py" g >gen.out 2>&1
ok $? "the spreadsheets are written by openpyxl, odfpy and xlwt"
sed 's/^/#   /' gen.out

cat >t.txt <<'EOF'
From: 담임 <teacher@example.com>
To: {{이름}} <{{email}}>
Subject: {{이름}} {{학번}}

학번 {{학번}} 점수 {{점수}} 생일 {{생일}} 합격 {{합격}}
비고 [{{비고}}] 코드 {{코드}} 합계 {{합계}} 반 {{반}}
EOF

# decode DIR...: next to each .eml, a .txt with its headers and body
# decoded (text parts are quoted-printable or base64), Date and
# Message-ID left out, as Python's email reads them.
decode() {
	"$PYTHON" - "$@" <<'PY'
import email, email.policy, glob, os, sys
for d in sys.argv[1:]:
    for p in glob.glob(os.path.join(d, "*.eml")):
        m = email.message_from_binary_file(open(p, "rb"),
                                           policy=email.policy.default)
        out = ["%s: %s" % (k, v) for k, v in m.items()
               if k.lower() not in ("date", "message-id")]
        out += ["", m.get_body(("plain",)).get_content()]
        open(p[:-4] + ".txt", "w", encoding="utf-8").write("\n".join(out))
PY
}

# same_mail DIR1 DIR2 DESC: the same .eml files, Date and Message-ID aside
# (EXT: compare the decoded .txt files instead).
same_mail() {
	local a b n=0 bad=0
	for a in "$1"/*.${EXT:-eml}; do
		b=$2/$(basename "$a")
		n=$((n + 1))
		cmp -s <(grep -Ev '^(Date|Message-ID):' "$a") \
		    <(grep -Ev '^(Date|Message-ID):' "$b" 2>/dev/null) || {
			bad=1
			diff <(grep -Ev '^(Date|Message-ID):' "$a") \
			    <(grep -Ev '^(Date|Message-ID):' "$b" 2>&1) |
			    head -10 | sed 's/^/#   /'
		}
	done
	[ "$n" -eq 3 ] && [ "$(ls "$2"/*.${EXT:-eml} | wc -l)" -eq 3 ] || bad=1
	ok "$bad" "$3"
}

# --- the same roster as CSV and as spreadsheets -------------------------
mm preview -o o-csv g/roster.csv t.txt
is "$RC" 0 "the CSV roster previews"
decode o-csv
like o-csv/0001-minjun@example.com.txt '점수 95\.5 생일 2008-03-02 합격 TRUE' \
    "the CSV holds what the teacher sees"

mm preview -o o-xlsx g/roster.xlsx t.txt
is "$RC" 0 "the .xlsx roster previews"
same_mail o-csv o-xlsx ".xlsx: the same messages as the CSV (numbers, big integers, leading zeros, dates, booleans, formulas' cached values, shared, inline and rich strings, empty cells)"
decode o-xlsx
like stdout 'roster.xlsx sheet 명단 row 4' \
    ".xlsx: the hidden first sheet is skipped; the header is the first non-empty row"
like o-xlsx/0003-seojun@example.com.txt '점수 0\.3 생일 2009-01-01 합격 TRUE' \
    ".xlsx: 0.1+0.2 shows as 0.3, a built-in date format as YYYY-MM-DD"
like o-xlsx/0002-hana@example.com.txt '생일 2008-12-31' \
    ".xlsx: a custom Korean date format (yyyy\"년\" m\"월\" d\"일\") reads as YYYY-MM-DD"
like o-xlsx/0001-minjun@example.com.txt '비고 \[잘함 굿\] 코드 00123 합계 191 반 1반' \
    ".xlsx: rich-text runs joined (phonetic run left out), 00123 kept, cached formula values"
like o-xlsx/report.csv ',명단[[:space:]]*$' ".xlsx: the preview report records the sheet"

mm preview -o o-ods g/roster.ods t.txt
is "$RC" 0 "the .ods roster previews"
same_mail o-csv o-ods ".ods: the same messages as the CSV"

# libfreexl reports a BIFF boolean as the integer 1 or 0.
mkdir -p o-csv01
for f in o-csv/*.txt; do
	sed 's/합격 TRUE/합격 1/; s/합격 FALSE/합격 0/' "$f" >o-csv01/"$(basename "$f")"
done
mm preview -o o-xls g/roster.xls t.txt
is "$RC" 0 "the .xls roster previews"
decode o-xls
EXT=txt same_mail o-csv01 o-xls ".xls: the same messages as the CSV (booleans as 1/0, libfreexl's reading)"

# --- content, not names -------------------------------------------------
cp g/roster.xlsx roster-no-extension
cp g/roster.ods class.csv
mm preview -o o-noext roster-no-extension t.txt
is "$RC" 0 "an .xlsx without its extension is read as .xlsx"
same_mail o-csv o-noext "an .xlsx without its extension: the same messages"
mm preview -o o-odscsv class.csv t.txt
is "$RC" 0 "an .ods named .csv is read as .ods"
same_mail o-csv o-odscsv "an .ods named .csv: the same messages"

# --- --sheet ------------------------------------------------------------
cat >t3.txt <<'EOF'
From: 담임 <teacher@example.com>
To: {{이름}} <{{email}}>
Subject: hi

{{이름}}
EOF
for f in xlsx ods; do
	mm preview -o "o-s3-$f" --sheet Sheet3 "g/roster.$f" t3.txt
	is "$RC" 0 ".$f: --sheet Sheet3 (by name)"
	is "$(ls "o-s3-$f" | grep -c eml)" 1 ".$f: --sheet Sheet3 reads that sheet's one row"
	[ -f "o-s3-$f/0001-yujin@example.com.eml" ]
	ok $? ".$f: --sheet Sheet3 gives yujin's mail"
	mm preview -o "o-n3-$f" --sheet 3 "g/roster.$f" t3.txt
	is "$(cut -d, -f2,19 "o-n3-$f/report.csv" | tr -d '\r' | tail -1)" \
	    "yujin@example.com,Sheet3" ".$f: --sheet 3 (by number) is Sheet3"
	mm preview -o "o-x-$f" --sheet 없음 "g/roster.$f" t3.txt
	is "$RC" 65 ".$f: --sheet naming no sheet exits 65"
	like stderr "no sheet named '없음'.*'숨김' \(hidden\), '명단', 'Sheet3'" \
	    ".$f: the error lists the sheets, hidden ones marked"
	[ ! -e "o-x-$f" ]
	ok $? ".$f: nothing written for a sheet that is not there"
done
# A sheet named "2" wins over the second sheet.
cat >named.py <<'EOF'
import openpyxl
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableRow, TableCell
from odf.text import P
sheets = [("x", "a"), ("y", "b"), ("2", "c")]
wb = openpyxl.Workbook(); wb.remove(wb.active)
doc = OpenDocumentSpreadsheet()
for name, who in sheets:
    ws = wb.create_sheet(name)
    ws.append(["이름", "email"]); ws.append([who, who + "@example.com"])
    t = Table(name=name)
    for r in (["이름", "email"], [who, who + "@example.com"]):
        tr = TableRow()
        for v in r:
            c = TableCell(valuetype="string"); c.addElement(P(text=v))
            tr.addElement(c)
        t.addElement(tr)
    doc.spreadsheet.addElement(t)
wb.save("named.xlsx"); doc.save("named.ods")
EOF
"$PYTHON" named.py
for f in xlsx ods; do
	mm preview -o "o-named-$f" --sheet 2 "named.$f" t3.txt
	[ -f "o-named-$f/0001-c@example.com.eml" ]
	ok $? ".$f: --sheet 2 takes the sheet named 2 (the third), not the second"
done

mm preview -o o-csvsheet --sheet 2 g/roster.csv t.txt
is "$RC" 64 "--sheet with a CSV roster is a usage error"

# --- errors name Sheet!Cell ---------------------------------------------
cat >bad.py <<'EOF'
import openpyxl
wb = openpyxl.Workbook(); ws = wb.active; ws.title = "My List"
ws.append(["이름", "email"]); ws.append(["가", "ga@example.com"])
ws.append(["나", "na@@bad"]); wb.save("badaddr.xlsx")
wb = openpyxl.Workbook(); ws = wb.active; ws.title = "명단"
ws.append(["이름", "email", "이름"]); ws.append(["가", "ga@example.com", "x"])
wb.save("dup.xlsx")
wb = openpyxl.Workbook(); ws = wb.active; ws.title = "명단"
ws.append(["이름", "email"]); ws.append(["가", "ga@example.com"])
ws.append(["나", "na@example.com", None, "메모"]); wb.save("extra.xlsx")
wb = openpyxl.Workbook(); wb.active.title = "빈칸"; wb.save("empty.xlsx")
EOF
"$PYTHON" bad.py
mm preview -o o-bad badaddr.xlsx t3.txt
is "$RC" 65 "a bad address in a spreadsheet exits 65"
like stderr "^mailmerge: badaddr.xlsx:'My List'!A3: error: row 2, .*na@@bad" \
    "a row error names the file, the quoted sheet and the row's cell"
mm preview -o o-dup dup.xlsx t3.txt
like stderr "^mailmerge: dup.xlsx:명단!C1: error: columns 1 and 3 are both named '이름'" \
    "a duplicate column name names its header cell"
mm preview -o o-extra extra.xlsx t3.txt
like stderr "^mailmerge: extra.xlsx:명단!D3: error: row 2: a value right of the header" \
    "a value right of the header names its cell"
mm preview -o o-empty empty.xlsx t3.txt
is "$RC" 65 "an empty sheet exits 65"
like stderr "^mailmerge: empty.xlsx: error: sheet '빈칸' is empty" \
    "an empty sheet says so"
[ ! -e o-bad ] && [ ! -e o-dup ] && [ ! -e o-extra ] && [ ! -e o-empty ]
ok $? "nothing written for a spreadsheet with errors"

# --- send, --failed-csv and resume through a spreadsheet ----------------
start_smtpd rcpt 'REPLY RCPT:hana@example.com 550 5.1.1 no such user'
write_conf s.conf "$PORT"
mm send -c s.conf -r run.csv --yes g/roster.xlsx t.txt
is "$RC" 67 "send from an .xlsx: one recipient refused (exit 67)"
is "$(stored rcpt)" 2 "send from an .xlsx: two mails delivered"
like run.csv '^(﻿)?row,.*,format,row_sha256,roster_sheet' "the report has the roster_sheet column"
like run.csv ',[^,]*/g/roster\.xlsx,[0-9a-f]{64},.*,명단[[:space:]]*$' \
    "the report records the roster's path, checksum and sheet"
decode "$TMP"/rcpt.store
grep -l '점수 95.5 생일 2008-03-02' "$TMP"/rcpt.store/*.txt >/dev/null
ok $? "the delivered mail holds the cells as the teacher sees them"

mm report --failed-csv retry.csv run.csv
is "$RC" 0 "report --failed-csv with an .xlsx roster"
printf '\357\273\277이름,학번,email,점수,생일,합격,비고,코드,합계,반\r\n이하나,2026000002,hana@example.com,88,2008-12-31,FALSE,,00456,176,2반\r\n' >retry.want
check_same retry.want retry.csv "the retry roster is CSV UTF-8 with a BOM, the cells as shown"

mm send -c s.conf -r run.csv --resume --yes g/roster.xlsx t.txt
is "$RC" 67 "resume from the .xlsx with the sheet of the report: hana refused again (67)"
unlike stderr "made from sheet" "resume with the same sheet is accepted"
is "$(stored rcpt)" 2 "resume never resends the rows sent"

# The sheet the report names is the one --failed-csv reads: Sheet3's row.
mm report --failed-csv retry3.csv o-s3-xlsx/report.csv
is "$RC" 0 "report --failed-csv of a --sheet Sheet3 preview"
printf '\357\273\277이름,email\r\n최유진,yujin@example.com\r\n' >retry3.want
check_same retry3.want retry3.csv "--failed-csv reads the sheet the report names"

mm send -c s.conf -r run.csv --resume --yes --sheet Sheet3 g/roster.xlsx t3.txt
is "$RC" 65 "resume with another sheet exits 65"
like stderr "made from sheet '명단'.*--sheet '명단'" \
    "resume with another sheet says which sheet to pass"
is "$(stored rcpt)" 2 "resume with another sheet sends nothing"

# --- hostile and damaged files ------------------------------------------
"$PYTHON" "$TOP/tests/sheets/make_hostile.py" h g/roster.xlsx >gen.out 2>&1
ok $? "the hostile files are written"
hostile() {	# hostile FILE REGEX DESCRIPTION
	local got
	got=$("$PYTHON" "$TOP/tests/sheets/limits.py" stdout stderr \
	    ${MAILMERGE_WRAP:-} "$MAILMERGE" preview -o "o-h-$1" "h/$1" t.txt)
	set -- "$1" "$2" "$3" $got
	is "$4" 65 "$3: exit 65"
	like stderr "^mailmerge: h/$1(:[^ ]*)?: error: .*$2" "$3: the error says so"
	# Under valgrind (MAILMERGE_WRAP) everything is ~50 times slower.
	awk -v s="$5" -v kb="$6" -v t="${MAILMERGE_WRAP:+600}" \
	    'BEGIN { exit !(s < (t ? t : 30) && kb < 400000) }'
	ok $? "$3: bounded: $5 s, $6 KB max RSS"
	[ ! -e "o-h-$1" ]
	ok $? "$3: nothing written"
}
hostile bomb.xlsx "would inflate to 1073742023 octets, more than 200 MB" \
    "a ZIP bomb (1 GiB sheet in 1 MB)"
hostile liar.xlsx "inflates to more than 200 MB" \
    "a ZIP bomb whose headers claim 1000 octets"
hostile cols.xlsx "a value outside the 16384 columns" \
    "an .xlsx row of 10^6 cells"
like stderr "^mailmerge: h/cols.xlsx:Sheet1!XFE2: error:" \
    "an .xlsx row of 10^6 cells: the error names the first cell past XFD"
hostile cols.ods "a value outside the 16384 columns" \
    "an .ods cell repeated over 10^6 columns"
like stderr "^mailmerge: h/cols.ods:Sheet1!XFE1: error:" \
    "an .ods cell repeated over 10^6 columns: the error names XFE1"
hostile rows.xlsx "row number '2000000' is not between 1 and 1048576" \
    "a row past Excel's last"
hostile laughs.xlsx "has a DOCTYPE.*entity expansion" \
    "billion laughs in an .xlsx"
hostile laughs.ods "content.xml has a DOCTYPE" "billion laughs in an .ods"
hostile traversal.xlsx "part named 'xl/../../../etc/passwd', outside the file" \
    "a relationship target climbing out with .."
hostile corrupt.xlsx "part xl/worksheets/sheet2.xml: .*damaged" \
    "a ZIP with flipped deflate octets"
hostile truncated.xlsx "cannot read the ZIP container.*damaged" \
    "half a ZIP"
hostile other.zip "a ZIP file, but not an .xlsx or .ods" \
    "a ZIP that is no spreadsheet"

done_testing
