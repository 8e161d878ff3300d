#!/usr/bin/env bash
# Never twice, never lost (issue 14): ordinary actions -- a re-run, a
# second terminal, a spreadsheet, an edited roster, a full disk -- must
# not mail a student twice or make the report lie.
. "$(dirname "$0")/lib.bash"
S=$TOP/samples
T=$TOP/templates/announcement.txt
R() { "$PYTHON" "$TOP/tests/cli/report_rows.py" "$@"; }
cp "$S/roster.csv" roster.csv
# lines REGEX FILE: how many lines of FILE match (0 if it is missing).
lines() { local n; n=$(grep -c -- "$1" "$2" 2>/dev/null); echo "${n:-0}"; }
# twice FILE: recipients the server NAME stored more than once.
twice() { cut -f3 "$TMP/$1.store/index.tsv" | tr ',' '\n' | sort | uniq -d | wc -l; }

# -- 1. a re-run without --resume never truncates a report --------------
start_smtpd rerun
write_conf rerun.conf "$PORT"
mm send -c rerun.conf -r torn.csv --yes -n 3 roster.csv "$T"
is "$RC" 0 "setup: 3 rows sent"
printf '4,seoyeon.lee@example.org,unkn' >>torn.csv	# what a kill leaves
cp torn.csv torn.before
mm send -c rerun.conf -r torn.csv --yes roster.csv "$T"
is "$RC" 64 "torn report, no --resume: refused (64)"
check_same torn.csv torn.before "... and the report is left as it was"
is "$(stored rerun)" 3 "... and nothing was sent again"
like stderr 'never overwritten' "the error says the report is kept"
like stderr "note: to resume .*mailmerge send -c rerun\\.conf --resume -r torn\\.csv roster\\.csv $T" \
    "... and gives the exact resume command"

# A report saved by a spreadsheet: BOM, CRLF, no quotes, times rewritten.
mm send -c rerun.conf -r sheet.csv --yes -n 4 roster.csv "$T"
"$PYTHON" - sheet.csv <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
forms = ["2026-11-26 16:20", "2026/11/26 4:20:00 PM", "26.11.2026 16:20",
         "2026-11-26 오후 4:20:00"]
for i, r in enumerate(rows[1:]):
    r[9] = forms[i % len(forms)]
with open(sys.argv[1], "w", encoding="utf-8-sig", newline="") as f:
    for r in rows:
        f.write(",".join(x if "," not in x else '"%s"' % x for x in r) + "\r\n")
PY
cp sheet.csv sheet.before
mm send -c rerun.conf -r sheet.csv --yes roster.csv "$T"
is "$RC" 64 "spreadsheet-saved report, no --resume: refused (64)"
check_same sheet.csv sheet.before "... and not truncated"
n0=$(stored rerun)
mm send -c rerun.conf -r sheet.csv --resume --yes roster.csv "$T"
is "$RC" 0 "--resume reads the spreadsheet's times, BOM and CRLF (exit 0)"
is "$(( $(stored rerun) - n0 ))" 16 "... and sends only the 16 rows not sent"
sed '2s/,2026-11-26 16:20,/,yesterday noon,/' sheet.before >badtime.csv
mm send -c rerun.conf -r badtime.csv --resume --yes roster.csv "$T"
is "$RC" 65 "a time no form matches: 65"
like stderr 'badtime\.csv:2:10: error: column 10 \(time\)' "... naming the line and column"

# -- 7. corrupt row numbers ---------------------------------------------
mm send -c rerun.conf -r rows.csv --yes -n 2 roster.csv "$T"
for bad in 4294967296 9223372036854775808 1000000000000 21; do
	sed "3s/^2,/$bad,/" rows.csv >bad$bad.csv
	MAILMERGE_WRAP="timeout 20" mm send -c rerun.conf -r bad$bad.csv \
	    --resume --yes roster.csv "$T"
	is "$RC" 65 "row $bad in the report: refused (65), quickly"
	like stderr "bad$bad\\.csv:3" "... naming the line"
done
like stderr 'beyond the roster' "row 21 of a 20-row roster: 'beyond the roster'"

# -- 11. symbolic links and other files as reports ----------------------
echo precious >victim
ln -s victim link.csv
mm send -c rerun.conf -r link.csv --yes -n 1 roster.csv "$T"
is "$RC" 64 "a report path that is a symbolic link: refused (64)"
is "$(cat victim)" precious "... its target untouched"
printf 'row,x\r\n1,cut-off' >victim2	# a torn last line repair would cut
cp victim2 victim2.before
ln -s victim2 link2.csv
mm send -c rerun.conf -r link2.csv --resume --yes -n 1 roster.csv "$T"
is "$RC" 64 "--resume with a report that is a symbolic link: refused (64)"
check_same victim2 victim2.before "... its target not repaired, not touched"
mkfifo fifo.csv
MAILMERGE_WRAP="timeout 20" mm send -c rerun.conf -r fifo.csv --yes -n 1 roster.csv "$T"
is "$RC" 64 "a FIFO as report: refused at once (64)"
# A temporary name planted as a link: compaction must not write through it.
for t in plant.csv.tmp plant.csv.XXXXXX; do ln -s victim "$t"; done
mm send -c rerun.conf -r plant.csv --yes -n 2 roster.csv "$T"
is "$RC" 0 "send with links planted beside the report: exit 0"
is "$(cat victim)" precious "... compaction never wrote through them"
is "$(R plant.csv | wc -l)" 2 "... and the report is compacted"
ln -s victim retry.csv.tmp
mm report --failed-csv retry.csv plant.csv
is "$(cat victim)" precious "--failed-csv never writes through a planted .tmp link"
ln -sf victim retry.csv
mm report --failed-csv retry.csv plant.csv
is "$RC" 64 "--failed-csv to a symbolic link: refused (64)"
is "$(cat victim)" precious "... its target untouched"

# -- 2. one run at a time per report; default names never collide --------
start_smtpd slow 'DELAY EOM 300ms'
write_conf slow.conf "$PORT"
"$MAILMERGE" send -c slow.conf -r lock.csv --yes roster.csv "$T" >first.out 2>&1 &
first=$!
for _ in $(seq 200); do
	[ "$(lines '' lock.csv)" -ge 3 ] && break
	sleep 0.05
done
start=$(date +%s%N)
mm send -c slow.conf -r lock.csv --resume --yes roster.csv "$T"
el=$(( ($(date +%s%N) - start) / 1000000 ))
is "$RC" 75 "a second run on a report in use: refused (75)"
like stderr "process $first" "... naming the PID that holds it"
ok "$([ "$el" -lt 3000 ]; echo $?)" "... at once ($el ms)"
wait "$first"
is "$?" 0 "the first run finishes (exit 0)"
is "$(stored slow)" 20 "20 mails, each once"
is "$(twice slow)" 0 "nobody got the mail twice"
is "$(ls lock.csv.lock 2>/dev/null)" "" "the lock file is gone after the run"

# Two runs in the same second with the default name: a -2 suffix.
mkdir -p out
stamp=$(date +%Y%m%d-%H%M%S)
for k in $(seq 0 60); do	# the next minute: a loaded machine is slow
	f=out/report-$(date -d "@$(( $(date +%s) + k ))" +%Y%m%d-%H%M%S).csv
	[ -e "$f" ] || cp lock.csv "$f"
done
cp -r out out.before
mm send -c rerun.conf --yes -n 1 roster.csv "$T"
is "$RC" 0 "send with the default report name (exit 0)"
ok "$(diff -r out.before out >/dev/null; [ $? -eq 1 ] && for f in out.before/*; do cmp -s "$f" "out/${f##*/}" || exit 1; done; echo 0)" \
    "reports already there are untouched"
ls out/report-*-2.csv >/dev/null 2>&1
ok $? "... and the new one has a -2 suffix"
like stdout 'report out/report-[0-9-]*-2\.csv' "... which the summary names"

# -- 3 and 5. the roster rewritten during a run -------------------------
start_smtpd edit 'REPLY RCPT#2 451 4.3.0 try again later'
write_conf edit.conf "$PORT"
head -4 roster.csv >edr.csv
"$MAILMERGE" send -c edit.conf -r ed.csv --yes edr.csv "$T" >ed.out 2>ed.err &
pid=$!
for _ in $(seq 200); do
	grep -q ',deferred,' ed.csv 2>/dev/null && break
	sleep 0.02
done
# Insert a student above row 2 while row 2 waits for its retry.
sed -i '2a 새학생,20249999,intruder@example.com,1,' edr.csv
wait "$pid"; st=$?
is "$st" 65 "roster rewritten mid-run: the run stops (65)"
like ed.out 'not attempted 1' "the summary counts the row never retried"
like ed.out 'to resume: mailmerge send' "... and says how to resume"
like ed.err 'roster changed on disk' "the error says the roster changed"
unlike "$TMP/edit.log" 'intruder@example.com' "the inserted student was never mailed"
is "$(grep -c 'RCPT TO:<seoyeon.lee@example.org>' "$TMP/edit.log")" 1 \
    "row 2 was not retried from the changed file"

# The same file rewritten in place in the middle of a pass.
start_smtpd midpass 'DELAY EOM 20ms'
write_conf midpass.conf "$PORT"
"$PYTHON" - <<'PY'
with open("mid.csv", "w", encoding="utf-8") as f:
    f.write("이름,학번,email,점수,비고\n")
    for i in range(1, 301):
        # 비고 padded: the rows past the reader's first 64 KiB read
        f.write("학생%d,%d,s%03d@example.com,%d,%s\n"
                % (i, 20240000 + i, i, i % 100, "x" * 500))
PY
"$MAILMERGE" send -c midpass.conf -r mid-report.csv --yes mid.csv "$T" >mid.out 2>mid.err &
pid=$!
for _ in $(seq 300); do
	[ "$(lines ',sent,' mid-report.csv)" -ge 5 ] && break
	sleep 0.02
done
"$PYTHON" - <<'PY'	# same inode, same size: row 250 now another student
with open("mid.csv", "r+b") as f:
    data = f.read().replace(b"s250@example.com", b"x250@example.com")
    f.seek(0)
    f.write(data)
PY
wait "$pid"; st=$?
is "$st" 65 "roster rewritten in place mid-pass: the run stops (65)"
unlike "$TMP/midpass.log" 'x250@example.com' "the student written in mid-pass was never mailed"
like mid.out 'not attempted [1-9]' "the summary counts the rows not attempted"

# -- 15. formula injection: cells a spreadsheet would run stay text ------
start_smtpd formula "REPLY RCPT:-dash@example.com 550 =cmd|' /C calc'!A0"
write_conf formula.conf "$PORT"
printf 'name,email\n@SUM(1),-dash@example.com\nplain,+plus@example.com\n' >inj.csv
printf 'From: P <p@example.com>\nTo: {{email}}\nSubject: x\n\nhi {{name}}\n' >inj.txt
mm send -c formula.conf -r inj-report.csv --yes inj.csv inj.txt
is "$RC" 67 "setup: the row refused with a formula reply (67)"
mm preview -o prev inj.csv inj.txt
is "$RC" 0 "setup: preview of the same roster"
for f in inj-report.csv prev/report.csv; do
	is "$("$PYTHON" - "$f" <<'PY'
import csv, sys
bad = [c for r in csv.reader(open(sys.argv[1], encoding="utf-8", newline=""))
       for c in r if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
print(len(bad), bad[:3])
PY
)" "0 []" "$f: no cell starts with = + - @ TAB CR"
done
like inj-report.csv ",'=cmd\|' /C calc'!A0," "the reply cell is neutralised with a '"
like inj-report.csv ",'-dash@example.com," "... and so is an address starting with -"
mm report --json inj-report.csv
like stdout '"reply": "=cmd\|'"'"' /C calc'"'"'!A0"' "report reads the reply back as the server sent it"
like stdout '"recipients": "-dash@example.com"' "... and the address as it was"
like prev/report.csv ",'\+plus@example.com," "the preview report neutralises + too"
mm report --failed-csv inj-retry.csv inj-report.csv
like inj-retry.csv '^@SUM\(1\),-dash@example.com' "the retry roster holds the roster's own values"

# -- 4. one Cc refused for now (4xx): retried alone, never dropped -------
printf 'From: P <p@example.com>\nTo: {{email}}\nCc: ta@example.com\nSubject: x\n\nhi\n' >cc.txt
start_smtpd cconce 'REPLY RCPT#2 451 4.2.1 mailbox busy'
write_conf cconce.conf "$PORT"
mm send -c cconce.conf -r cconce.csv --yes -n 2 roster.csv cc.txt
is "$RC" 0 "a Cc refused once (451), then accepted on a retry: exit 0"
is "$(grep -c 'RCPT TO:<minjun.kim@example.com>' "$TMP/cconce.log")" 1 \
    "... the To recipient got it once"
is "$(grep -c '^C: RCPT TO:<ta@example.com>' "$TMP/cconce.log")" 3 \
    "... the Cc was asked again, alone, in a later transaction"
is "$(R cconce.csv | awk '$1==1 {print $2}')" sent "... and row 1 is sent"
start_smtpd ccbusy 'REPLY RCPT:ta@example.com 450 4.2.1 mailbox busy'
write_conf ccbusy.conf "$PORT"
mm send -c ccbusy.conf -r ccbusy.csv --yes -n 1 roster.csv cc.txt
is "$RC" 75 "a Cc refused for now every time: exit 75, not 0"
is "$(R ccbusy.csv | awk '$1==1 {print $2}')" partial "... the row is partial, not sent"
like stdout 'partly sent 1' "... the summary counts it"
is "$(grep -c 'RCPT TO:<minjun.kim@example.com>' "$TMP/ccbusy.log")" 1 \
    "... the To recipient got it once, however many retries"
mm report ccbusy.csv
like stdout '^  partial +1$' "report counts the partial row"
mm report --failed-csv ccretry.csv ccbusy.csv
like ccretry.csv 'minjun.kim@example.com' "--failed-csv lists it"
n0=$(grep -c 'RCPT TO:<minjun.kim@example.com>' "$TMP/ccbusy.log")
mm send -c ccbusy.conf -r ccbusy.csv --resume --yes -n 1 roster.csv cc.txt
is "$(grep -c 'RCPT TO:<minjun.kim@example.com>' "$TMP/ccbusy.log")" "$n0" \
    "resume never resends a partial row"

# -- issue 10 item 14: late enrolment (rows appended) ---------------------
start_smtpd late
write_conf late.conf "$PORT"
head -4 roster.csv >late-roster.csv
mm send -c late.conf -r late.csv --yes late-roster.csv "$T"
is "$RC" 0 "setup: 3 rows sent"
sed -n '5,6p' roster.csv >>late-roster.csv	# two students enrol late
mm send -c late.conf -r late.csv --resume --yes late-roster.csv "$T"
is "$RC" 0 "resume with rows appended to the roster: exit 0"
is "$(stored late)" 5 "... only the 2 new rows were sent"
is "$(twice late)" 0 "... nobody twice"
mm report late.csv
is "$RC" 0 "report reads the resumed report (exit 0)"
like stdout '^  sent +5$' "... 5 rows sent"
sed -i '3s/^[^,]*,/바뀐이름,/' late-roster.csv	# row 2 edited
mm send -c late.conf -r late.csv --resume --yes late-roster.csv "$T"
is "$RC" 65 "resume with a row changed: refused (65)"
like stderr 'row 2 is not what it was' "... naming the first changed row"
is "$(stored late)" 5 "... and nothing sent"

# A format-1 report (no row_sha256) still resumes, and is upgraded.
cp "$T" tpl.txt
sed -e "s/@SHA@/$(sha256sum roster.csv | cut -c1-64)/" \
    -e "s/@TSHA@/$(sha256sum tpl.txt | cut -c1-64)/" \
    "$TOP/tests/data/reports/format1.csv" >old.csv
start_smtpd old
write_conf old.conf "$PORT"
mm send -c old.conf -r old.csv --resume --yes roster.csv tpl.txt
is "$RC" 0 "a format-1 report resumes (exit 0)"
is "$(stored old)" 17 "... rows 1-3 it has as sent are not sent again"
like old.csv '^(﻿)?row,.*,format,row_sha256' "... and it is now in format 2"
is "$(R old.csv | awk '$2=="sent"' | wc -l)" 20 "... with all 20 rows sent"
head -1 "$TOP/tests/data/reports/format1.csv" >hdr1.csv	# a format-1 header alone
mm send -c old.conf -r hdr1.csv --yes -n 1 roster.csv tpl.txt
is "$RC" 0 "a report holding a format-1 header alone is used (exit 0)"
like hdr1.csv '^(﻿)?row,.*,format,row_sha256' "... in format 2"
mm report hdr1.csv
like stdout '^  sent +1$' "... and reads back"

# -- 6. a full disk: exit 73, "disk full", the summary, the resume command
start_smtpd full
write_conf full.conf "$PORT"
"$PYTHON" - <<'PY'
with open("big.csv", "w", encoding="utf-8") as f:
    f.write("이름,학번,email,점수,비고\n")
    for i in range(1, 301):
        f.write("학생%d,%d,s%d@example.com,%d,\n" % (i, 20240000 + i, i, i % 100))
PY
mkdir full
mount -t tmpfs -o size=48k,mode=0755 mmfull "$TMP/full"
ok $? "a 48 KiB tmpfs for the report"
on_exit 'umount "$TMP/full" 2>/dev/null'
mm send -c full.conf -r full/report.csv --yes big.csv "$T"
is "$RC" 73 "disk full during send: exit 73 (EX_CANTCREAT)"
like stderr 'disk full' "... saying 'disk full'"
like stdout '^sent [0-9]+, .*not attempted [0-9]+' "... with the summary"
like stdout 'to resume: mailmerge send -c full\.conf --resume -r full/report\.csv big\.csv' \
    "... and the resume command"
n1=$(stored full)
ok "$([ "$n1" -gt 0 ] && [ "$n1" -lt 300 ]; echo $?)" "the disk filled mid-run ($n1 of 300 sent)"
mount -o remount,size=8m "$TMP/full"
mm send -c full.conf -r full/report.csv --resume --yes big.csv "$T"
ok "$([ "$RC" -eq 0 ] || [ "$RC" -eq 75 ]; echo $?)" "after freeing space, resume finishes (exit $RC)"
is "$(twice full)" 0 "nobody got the mail twice"
# A row in flight when the disk filled is unknown, stored or not.
is "$( { cut -f3 "$TMP/full.store/index.tsv"
	R full/report.csv | awk '$2=="unknown" {print $5}'; } | sort -u | wc -l)" 300 \
    "every student got it once (or is unknown: in flight when the disk filled)"
umount "$TMP/full"

done_testing
