#!/bin/bash
# Issue 13: the command that continues a run has one home.  send's note
# and summary and report's text, JSON and HTML print the same command,
# and it works as printed: with --sheet for a spreadsheet run (the
# resume is refused without it) and with --encoding/--delimiter.
. "$(dirname "$0")/lib.bash"
start_smtpd rc
write_conf rc.conf "$PORT"

"$PYTHON" - <<'PY'
import openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "first"
ws.append(["name", "email"])
ws.append(["Nobody", "nobody@example.com"])
two = wb.create_sheet("둘째 반")
two.append(["name", "email"])
for i in range(3):
    two.append(["Student %d" % i, "s%d@example.com" % i])
wb.save("명단.xlsx")
PY
printf 'From: T <teacher@example.com>\nTo: {{name}} <{{email}}>\nSubject: hi\n\nHello {{name}}\n' >t.txt

# cmd_in FILE: the first command in FILE, without -c.
cmd_in() {
	grep -o 'mailmerge send .*' "$1" | head -n 1 | sed 's/ -c rc\.conf//'
}

mm send -c rc.conf -r run.csv --yes --sheet '둘째 반' -n 1 "$TMP/명단.xlsx" "$TMP/t.txt"
is "$RC" 0 "send -n 1 from the second sheet"
mm report run.csv
cp "$TMP/stdout" report.out
is "$RC" 75 "report: rows remain"
want="mailmerge send --sheet '둘째 반' --resume -r run.csv $TMP/명단.xlsx $TMP/t.txt"
is "$(cmd_in report.out)" "$want" \
    "report: the command names the sheet; UTF-8 words are not quoted"
mm report --json run.csv
is "$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["resume_command"])' "$TMP/stdout")" \
    "$want" "report --json: the same command"
mm report --html run.html run.csv
like run.html "mailmerge send --sheet &#39;둘째 반&#39; --resume|mailmerge send --sheet '둘째 반' --resume" \
    "report --html: the same command"

mm send -c rc.conf -r run.csv --yes --sheet '둘째 반' "$TMP/명단.xlsx" "$TMP/t.txt"
is "$RC" 64 "send again without --resume is refused"
is "$(cmd_in "$TMP/stderr")" \
    "$want" "send's note prints the command report prints"

eval "$(cmd_in report.out | sed 's/^mailmerge send/mm send -c rc.conf --yes/')"
is "$RC" 0 "the printed command resumes the spreadsheet run"
is "$(stored rc)" 3 "every row of the sheet sent once"

# --encoding and --delimiter are in the command too.
printf 'name;email\nA;a@example.com\nB;b@example.com\n' >semi.csv
mm send -c rc.conf -r semi.csv.report --yes --encoding UTF-8 --delimiter ';' -n 1 semi.csv t.txt
is "$RC" 0 "send -n 1 with --encoding and --delimiter"
mm send -c rc.conf -r semi.csv.report --yes --encoding UTF-8 --delimiter ';' semi.csv t.txt
is "$(cmd_in "$TMP/stderr")" \
    "mailmerge send --encoding UTF-8 --delimiter ';' --resume -r semi.csv.report semi.csv t.txt" \
    "send's note: --encoding and --delimiter as given"
done_testing
