#!/bin/bash
# mailmerge report: counts, merging, code explanations, aligned Korean
# columns, --failed-csv, --json, preview reports and bad input.
. "$(dirname "$0")/lib.bash"
D=$TOP/tests/data/reports

cp "$D/roster.csv" roster.csv
SUM=$(sha256sum roster.csv | cut -d' ' -f1)
for f in run1 run2; do sed "s/@SHA@/$SUM/" "$D/$f.csv" >$f.csv; done

# --- the terminal summary ---------------------------------------------
mm report run1.csv
is "$RC" 75 "report of a send journal with rows left to send exits 75"
no_valgrind_error
like stdout '^  sent +2$' "sent 2 (row 3's unknown EOM line is superseded)"
like stdout '^  failed +3$' "failed 3"
like stdout '^  deferred +1$' "deferred 1"
like stdout '^  unknown +1$' "unknown 1 (row 4, no verdict)"
like stdout '^  skipped +1$' "skipped 1"
like stdout '^  gmail1 +gmail +5 +2 +3 +0 +0 +0 +0$' "by account: gmail1"
like stdout '^  naver1 +naver +3 +0 +0 +1 +1 +1 +0$' "by account: naver1"
like stdout '^  250 2\.0\.0 +2 +accepted' "by code: 250 2.0.0 accepted, twice"
like stdout 'accepted, not delivered: bounces come later by mail' \
    "250 explained as accepted, not delivered"
like stdout '^  550 5\.1\.1 +1 +no such mailbox$' "5.1.1 explained"
like stdout '^  550 5\.4\.5 \(gmail\) +1 +daily sending quota reached$' \
    "5.4.5 explained, for its provider"
like stdout 'Gmail: wait 24 h' "5.4.5 says what to do"
like stdout '^  552 5\.3\.4 +1 +message too big$' "5.3.4 explained"
like stdout '^  421 4\.7\.0 +1 +try later' "4.7.0 explained"
like stdout '^Not delivered \(6 rows\):$' "six rows not delivered"
unlike stdout '^ +(1|3)  ' "rows 1 and 3 (sent) are not listed"
like stdout '^ +4  haeun\.choi@naver\.example +.* +naver1 +unknown ' \
    "row 4 listed as unknown"
like stdout '^ +6  강지유.*…' "a recipient too wide for its column ends in …"

# Columns stay aligned with Korean (two cells a syllable) in cells.
cat >align.py <<'PY'
import re, sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in s)
lines = open("stdout", encoding="utf-8").read().split("\n")
i = next(k for k, l in enumerate(lines) if l.startswith("Not delivered"))
table = []
for l in lines[i + 1:]:
    if not l.strip():
        break
    table.append(l)
assert len(table) == int(sys.argv[1]) + 1, table
cols = set()
for l in table:
    starts = [m.start() for m in re.finditer(r"(?<=  )\S", l)]
    assert len(starts) == 6, (l, starts)
    ends = re.match(r" *\S+", l).end()
    cols.add((width(l[:ends]),) + tuple(width(l[:s]) for s in starts[1:]))
    assert width(l[starts[5]:]) <= 60, ("reply too wide", l)
assert len(cols) == 1, cols
assert any("강지유" in l for l in table)
assert sys.argv[1] != "6" or any("잠시 후" in l for l in table)
assert any(l.endswith("…") for l in table), "a long reply is cut with …"
PY
"$PYTHON" align.py 6 >align.out 2>&1
ok $? "not-delivered columns start at the same display column in every line"
sed 's/^/#   /' align.out

# --- several reports: the latest line of a row wins ----------------------
mm report run1.csv run2.csv
is "$RC" 75 "a run and its resume merge (rows left: exit 75)"
like stdout '^  sent +4$' "merged: sent 4 (rows 4 and 5 sent on resume)"
like stdout '^  failed +3$' "merged: failed 3"
like stdout '^  deferred +1$' "merged: deferred 1"
unlike stdout '^  (unknown|skipped) ' "merged: no unknown or skipped row"
like stdout '^ +8  seoa\.yoon@naver\.example +.* +naver1 +deferred +451 4\.3\.0 ' \
    "row 8: the resume's deferral replaces the skip"
like stdout '^  451 4\.3\.0 +1 +temporary server error$' "4.3.0 explained"
like stdout '^Not delivered \(4 rows\):$' "four rows not delivered"
"$PYTHON" align.py 4 >align.out 2>&1
ok $? "merged table aligned too"
sed 's/^/#   /' align.out
mm report run2.csv run1.csv
like stdout '^  unknown +1$' "reports apply in command-line order"

# --- --json ------------------------------------------------------------
mm report --json run1.csv run2.csv
is "$RC" 75 "--json exits 75 (rows left to send)"
"$PYTHON" - <<'PY' >json.out 2>&1
import json
j = json.load(open("stdout", encoding="utf-8"))
assert j["by_status"] == {"previewed": 0, "sent": 4, "failed": 3,
    "deferred": 1, "unknown": 0, "skipped": 0, "partial": 0,
    "bounced": 0}, j["by_status"]
assert j["rows"] == 8 and j["not_delivered_rows"] == 4, j
assert j["reports"] == ["run1.csv", "run2.csv"], j["reports"]
assert j["roster"] == "roster.csv", j["roster"]
acct = {(a["account"], a["provider"]): a for a in j["by_account"]}
assert acct[("gmail1", "gmail")]["rows"] == 5, acct
assert acct[("gmail1", "gmail")]["by_status"]["failed"] == 3, acct
assert acct[("naver1", "naver")]["by_status"]["sent"] == 2, acct
code = {(c["smtp_code"], c["enhanced_code"]): c for c in j["by_code"]}
assert code[(250, "2.0.0")]["rows"] == 4, code
assert code[(550, "5.1.1")]["meaning"] == "no such mailbox", code
assert "24 h" in code[(550, "5.4.5")]["todo"], code
nd = j["not_delivered"]
assert [r["row"] for r in nd] == [2, 6, 7, 8], nd
r = nd[0]
assert r["recipients"] == "이서연@example.org" and r["status"] == "failed"
assert r["smtp_code"] == 550 and r["enhanced_code"] == "5.1.1", r
assert r["stage"] == "RCPT" and r["account"] == "gmail1", r
assert r["reply"].startswith("The email account"), r
assert r["report"] == "run1.csv" and r["line"] == 3, r
assert nd[3]["report"] == "run2.csv" and nd[3]["attempts"] == 1, nd[3]
PY
ok $? "--json parses, with the right counts and rows"
sed 's/^/#   /' json.out
like stdout '이서연' "--json keeps UTF-8 as it is"

# Strings with quotes, backslashes and control characters.
{
	head -1 run1.csv
	printf '1,"a""b@example.com",failed,x,554,5.7.1,"say ""hi"" back\\slash\001\tend",,1,2026-11-26T16:20:00+09:00,acc,RCPT,roster.csv,%s,t,s,1\n' "$SUM"
} >esc.csv
mm report --json esc.csv
is "$RC" 75 "--json on odd strings exits 75 (rows never tried)"
"$PYTHON" - <<'PY' >json.out 2>&1
import json
j = json.load(open("stdout", encoding="utf-8"))
r = j["not_delivered"][0]
assert r["recipients"] == 'a"b@example.com', r
assert r["reply"] == 'say "hi" back\\slash\x01\tend', repr(r["reply"])
PY
ok $? "--json escapes quotes, backslashes and control characters"
sed 's/^/#   /' json.out
like stdout '\\u0001' "a control character is written as \\u0001"
mm report esc.csv
unlike stdout $'\001' "the terminal summary never prints a control character"

# --- --failed-csv ------------------------------------------------------
cat >rows.py <<'PY'
import csv, sys
want = [int(x) for x in sys.argv[2].split(",")]
roster = list(csv.reader(open("roster.csv", encoding="utf-8", newline="")))
got = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
assert got[0] == roster[0], ("header", got[0])
expect = [roster[n] for n in want]
assert got[1:] == expect, got[1:]
PY
mm report --failed-csv retry.csv run1.csv
is "$RC" 75 "--failed-csv exits 75 (rows left to send)"
"$PYTHON" rows.py retry.csv 2,4,5,6,7,8,9 >rows.out 2>&1
ok $? "retry roster: the header and rows 2,4-9 (all not sent, and row 9 never tried)"
sed 's/^/#   /' rows.out
like stderr 'warning: 1 row included has status unknown' "unknown rows warned about"
like stderr 'check the Sent folder' "the warning says to check the Sent folder"
like stderr '^  row 4: haeun\.choi@naver\.example' "the warning lists row 4"
like stderr '1 row in it has no line in the reports' "row 9 noted as never tried"
like stdout '^Not delivered' "the summary is still printed"
mm report --failed-csv retry2.csv run1.csv run2.csv
"$PYTHON" rows.py retry2.csv 2,6,7,8,9 >rows.out 2>&1
ok $? "merged retry roster: rows 2,6,7,8,9"
sed 's/^/#   /' rows.out
unlike stderr 'unknown' "no unknown warning once the resume settled row 4"

mm report --failed-csv roster.csv run1.csv
is "$RC" 64 "--failed-csv refuses to replace the roster"
is "$(sha256sum <roster.csv | cut -d' ' -f1)" "$SUM" "the roster is untouched"

mm report --failed-csv nodir/retry.csv run1.csv
is "$RC" 73 "an unwritable --failed-csv exits 73"

mkdir elsewhere elsewhere/deep
# A relative roster path is also tried from the report's folder (issue 10
# item 8): here ../roster.csv; from a report copied away it is missing.
cp run1.csv elsewhere/deep/run1.csv
cd elsewhere && mm report --failed-csv retry.csv deep/run1.csv
cd "$TMP" || exit 1
is "$RC" 66 "roster not found from another directory: 66"
like stderr 'roster\.csv: .*run mailmerge report from the directory the batch ran in' \
    "the error names the roster and says where to run"
ok "$([ ! -e elsewhere/retry.csv ]; echo $?)" "nothing written when the roster is missing"

cp roster.csv roster.orig
echo '추가,20249999,new@example.com,1,' >>roster.csv
mm report --failed-csv changed.csv run1.csv
is "$RC" 65 "a changed roster exits 65"
like stderr 'the roster changed since the report was written; refusing to write a retry roster' \
    "the error says the roster changed"
ok "$([ ! -e changed.csv ] && [ ! -e changed.csv.tmp ]; echo $?)" \
    "nothing written for a changed roster"
mv roster.orig roster.csv

# --- a preview report --------------------------------------------------
cp "$TOP/samples/roster.csv" class.csv
mm preview -o prev class.csv "$TOP/tests/data/simple.txt"
is "$RC" 0 "preview for a preview report"
mm report --failed-csv again.csv prev/report.csv
is "$RC" 0 "report of a preview exits 0"
like stdout '^  previewed +20$' "20 previewed"
like stdout 'nothing was sent' "says nothing was sent"
unlike stdout 'Not delivered|By account' "no not-delivered rows and no accounts"
is "$(grep -c '' again.csv)" 21 "a preview's retry roster has every row"
cmp -s again.csv class.csv
ok $? "... with the original header and rows"
mm report --json prev/report.csv
"$PYTHON" -c '
import json
j = json.load(open("stdout", encoding="utf-8"))
assert j["by_status"]["previewed"] == 20 and j["not_delivered"] == []
assert j["by_account"] == [] and j["by_code"] == []
' >json.out 2>&1
ok $? "--json of a preview: 20 previewed, nothing else"
sed 's/^/#   /' json.out

# A run killed before its first row leaves a header-only report.
head -1 run1.csv >empty.csv
mm report empty.csv
is "$RC" 0 "a header-only report exits 0"
like stdout 'no rows yet' "... and says it has no rows"
mm report empty.csv run1.csv
like stdout '^  sent +2$' "a header-only report merges with others"

# --- bad input ---------------------------------------------------------
mm report missing.csv
is "$RC" 66 "a missing report exits 66"
like stderr 'missing\.csv: error: cannot open the report' "... naming it"
mm report roster.csv
is "$RC" 65 "a file that is not a report exits 65"
like stderr 'roster\.csv: error: not a mailmerge report' "... naming it"
sed '3s/,1$/,3/' run1.csv >newer.csv
mm report newer.csv
is "$RC" 65 "a format 3 report exits 65"
like stderr 'newer\.csv:3:17: .*newer mailmerge' "... saying it is from a newer mailmerge"
sed '4s/,unknown,/,returned,/' run1.csv >badstatus.csv
mm report badstatus.csv
is "$RC" 65 "a bad status exits 65"
like stderr "badstatus\\.csv:4:3: error: column 3 \\(status\\): status 'returned'" "... naming the line"
mm report run1.csv prev/report.csv
is "$RC" 65 "reports of different rosters exit 65"
like stderr 'prev/report\.csv:2: .*run1\.csv' "... naming both files"
mm report
is "$RC" 64 "no report exits 64"
mm report --bogus run1.csv
is "$RC" 64 "a bad option exits 64"
mm report --help
is "$RC" 0 "--help exits 0"
for o in --failed-csv --json --html --help; do
	like stdout "^ .*$o" "--help lists $o"
done
is "$(grep -c 'default' stdout)" 3 "--help gives the defaults"
like stdout '^  66 ' "--help lists the exit codes"
mm --help
like stdout '^  report ' "mailmerge --help lists the report verb"

done_testing
