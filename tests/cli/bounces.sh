#!/bin/bash
# mailmerge bounces: real-world bounces (tests/data/bounces), the report
# update (matching, idempotence, --dry-run, --json), report learning
# "bounced", hostile messages, IMAP read-only against a real Dovecot, and
# end to end: a batch sent through a real Exim that bounces unknown users
# itself, read back over IMAP.
. "$(dirname "$0")/lib.bash"
. "$TOP/tests/bounces/servers.bash"
D=$TOP/tests/data/bounces
HEADER='row,recipients,status,provider,smtp_code,enhanced_code,reply,message_id,attempts,time,account,stage,roster,roster_sha256,template,template_sha256,format,row_sha256,roster_sheet'
printf '%s\r\n' "$HEADER" >empty.csv

# --- the corpus: one expected (recipient, action, status) per bounce ----
for f in "$D"/*.eml; do
	"$MAILMERGE" bounces -r empty.csv --json "$f" >"corpus-$(basename "$f").json" 2>>corpus.err
	echo "$? $(basename "$f")" >>corpus.rc
done
is "$(awk '$1 != 0' corpus.rc | wc -l)" 0 "every corpus message: exit 0"
"$PYTHON" - "$D/expected.tsv" <<'PY' >corpus.res 2>&1
import collections, json, sys
want = collections.defaultdict(list)
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    f, kind, rcpt, action, status = line.rstrip("\n").split("\t")
    if kind != "none":
        want[f].append((kind, rcpt, action, status))
    else:
        want[f]
for f in sorted(want):
    got = []
    for o in json.load(open("corpus-%s.json" % f, encoding="utf-8")):
        assert set(o) == {"source", "kind", "recipient", "action", "status",
            "diagnostic", "original_message_id", "row"}, o
        got.append((o["kind"], o["recipient"], o["action"] or "-",
            o["status"] or "-"))
    ok = sorted(got) == sorted(want[f])
    print("RESULT\t%d\t%s: %s" % (0 if ok else 1, f,
        "; ".join(" ".join(w) for w in want[f]) or "not a bounce"))
    if not ok:
        print("got", got)
PY
results corpus corpus.res

# --- a batch's report and bounces as files --------------------------------
# dsn FILE TO STATUS ACTION ORIG-MSGID [DIAG]: an RFC 3464 report like a
# receiving MTA writes, to teacher@teacher.test.
dsn() {
	cat >"$1" <<EOF
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.school.test>
To: teacher@teacher.test
Subject: Undelivered Mail Returned to Sender
Date: Fri, 04 Dec 2026 10:00:00 +0000
Message-ID: <dsn.$RANDOM@mx.school.test>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="BOUND"

--BOUND
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.school.test.
I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--BOUND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.school.test

Final-Recipient: rfc822; $2
Original-Recipient: rfc822;$2
Action: $4
Status: $3
Diagnostic-Code: smtp; ${6:-550 $3 <$2>: Recipient address rejected}

--BOUND
Content-Type: text/rfc822-headers

From: Teacher <teacher@teacher.test>
To: <$2>
Subject: Grades
Message-ID: $5

--BOUND--
EOF
}

NOW=$(date -u +%Y-%m-%dT%H:%M:%S+00:00)
cat >roster.csv <<'EOF'
name,email
Ann,ann@school.test
Bob,bob@school.test
Cho,cho@school.test
Dan,dan@school.test
Eve,twin@school.test
Fay,twin@school.test
EOF
SUM=$(sha256sum roster.csv | cut -d' ' -f1)
line() {	# line ROW ADDR STATUS MSGID
	printf '%s,%s,%s,custom,%s,,x,%s,1,%s,lab,EOM,roster.csv,%s,tpl.txt,0,2,,\r\n' \
	    "$1" "$2" "$3" "$([ "$3" = sent ] && echo 250 || echo 550)" "$4" "$NOW" "$SUM"
}
{
	printf '%s\r\n' "$HEADER"
	line 1 ann@school.test sent '<m1@teacher.test>'
	line 2 bob@school.test sent '<m2@teacher.test>'
	line 3 cho@school.test sent '<m3@teacher.test>'
	line 4 dan@school.test failed '<m4@teacher.test>'
	line 5 twin@school.test sent '<m5@teacher.test>'
	line 6 twin@school.test sent '<m6@teacher.test>'
} >report.csv
cp report.csv report.orig

mkdir -p box/cur box/new box/tmp
dsn box/new/1 ann@school.test 5.1.1 failed '<m1@teacher.test>'
# A text-only bounce (Exim without a report part) with no Message-ID:
# matched by the address, the one row sent to it.
cat >box/new/2 <<'EOF'
From: Mail Delivery System <Mailer-Daemon@mx.school.test>
To: teacher@teacher.test
Subject: Mail delivery failed: returning message to sender
Date: Fri, 04 Dec 2026 10:05:00 +0000

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  bob@school.test
    host mx.school.test [192.0.2.1]
    SMTP error from remote mail server after end of data:
    552 5.2.2 Mailbox full

------ This is a copy of the message's headers. ------

From: Teacher <teacher@teacher.test>
To: bob@school.test
EOF
dsn box/new/3 cho@school.test 4.4.7 delayed '<m3@teacher.test>' '451 4.4.7 try again'
dsn box/new/4 nobody@else.test 5.1.1 failed '<other@teacher.test>'
dsn box/new/5 dan@school.test 5.1.1 failed '<m4@teacher.test>'
dsn box/new/6 twin@school.test 5.1.1 failed ''
cat >box/cur/7:2,S <<'EOF'
From: Cho <cho@school.test>
To: teacher@teacher.test
Subject: Out of Office: Grades
Auto-Submitted: auto-replied
Date: Fri, 04 Dec 2026 10:06:00 +0000

I am away until Monday.
EOF
cat >box/cur/8:2,S <<'EOF'
From: Dan <dan@school.test>
To: teacher@teacher.test
Subject: Re: Grades
In-Reply-To: <m4@teacher.test>
Date: Fri, 04 Dec 2026 10:07:00 +0000

Thank you! Bounce, bounce: I got it.
EOF

mm bounces -r report.csv --dry-run box
is "$RC" 0 "--dry-run: exit 0"
no_valgrind_error
check_same report.orig report.csv "--dry-run writes nothing to the report"
like stdout '2 rows would be marked bounced' "--dry-run says what would change"
like stdout 'dry run: nothing written' "--dry-run says nothing was written"

mm bounces -r report.csv box
is "$RC" 0 "bounces from a Maildir: exit 0"
cp stdout first.out
R() { "$PYTHON" "$TOP/tests/cli/report_rows.py" "$@"; }
is "$(grep -c ',bounced,' report.csv)" 2 "two bounced lines appended"
is "$(grep ',bounced,' report.csv | cut -d, -f1,6 | tr '\n' ' ')" \
    "1,5.1.1 2,5.2.2 " "rows 1 (by Message-ID, 5.1.1) and 2 (by address, 5.2.2)"
is "$(head -7 report.csv | cmp - report.orig && echo same)" same \
    "the earlier lines are untouched (appended, never rewritten)"
like stdout '^3 +cho@school.test +delayed +4.4.7 +delayed: still sent' \
    "a delay is a warning; row 3 stays sent"
like stdout '^- +nobody@else.test +failed +5.1.1 +no matching row' \
    "a bounce for an address of no row: unmatched"
like stdout '^4 +dan@school.test +failed +5.1.1 +row was not sent' \
    "a bounce for a row that failed at send: no change"
like stdout '^- +twin@school.test .*no matching row' \
    "an address two rows share, no Message-ID: not guessed"
like stdout '^3 +cho@school.test +- +- +auto-reply: no change' \
    "an out-of-office reply: listed, no change"
unlike stdout 'Thank you' "an ordinary reply is not listed"
like stdout '8 messages read: 6 bounces, 1 auto-reply, 0 skipped; 2 rows marked bounced, 2 unmatched' \
    "the run's counts"
like stdout '^  bounced +2$' "the report summary follows, with bounced 2"

mm bounces -r report.csv --json box
is "$RC" 0 "--json: exit 0"
cp report.csv report.after
"$PYTHON" - <<'PY' >json.res 2>&1
import json
j = json.load(open("stdout", encoding="utf-8"))
def res(ok, what): print("RESULT\t%d\t%s" % (0 if ok else 1, what))
res(all(set(o) == {"source", "kind", "recipient", "action", "status",
    "diagnostic", "original_message_id", "row"} for o in j),
    "--json: exactly the contract's fields")
a = [o for o in j if o["recipient"] == "ann@school.test"]
res(len(a) == 1 and a[0]["row"] == 1 and a[0]["status"] == "5.1.1" and
    a[0]["action"] == "failed" and a[0]["kind"] == "dsn" and
    a[0]["original_message_id"] == "<m1@teacher.test>" and
    a[0]["source"] == "box/new/1" and "Recipient address rejected" in
    a[0]["diagnostic"], "--json: ann's bounce, all fields")
u = [o for o in j if o["recipient"] == "nobody@else.test"]
res(len(u) == 1 and u[0]["row"] is None, "--json: unmatched has row null")
r = [o for o in j if o["kind"] == "auto-reply"]
res(len(r) == 1 and r[0]["recipient"] == "cho@school.test" and
    r[0]["row"] == 3 and r[0]["status"] is None, "--json: the auto-reply")
res(len(j) == 7, "--json: 7 objects (6 bounces of one recipient each, "
    "plus the auto-reply)")
PY
results "" json.res
mm bounces -r report.csv box
like stdout '0 rows marked bounced' "a second run marks nothing"
like stdout '^1 +ann@school.test .*already bounced' "... and says already bounced"
check_same report.after report.csv "a second run adds nothing to the report"

# The same mail as an mbox file: nothing new either.
for f in box/new/* box/cur/*; do
	printf 'From MAILER-DAEMON Fri Dec  4 10:00:00 2026\n'
	sed 's/^\(>*From \)/>\1/' "$f"
	echo
done >box.mbox
mm bounces -r report.csv box.mbox
is "$RC" 0 "bounces from an mbox: exit 0"
like stdout '8 messages read: 6 bounces, 1 auto-reply' "the mbox holds the same 8"
like stdout 'box.mbox#1' "mbox messages are named file#N"
check_same report.after report.csv "the mbox adds nothing already there"
mm bounces -r report.csv box/new/1 box/new/2
like stdout '2 messages read' ".eml files as sources"
check_same report.after report.csv "... and nothing twice"

# A row whose outcome was unknown (the connection dropped after the
# final dot) did reach the server if it bounced; a row sent again since
# (a newer Message-ID) is not marked by the old attempt's bounce.
{
	printf '%s\r\n' "$HEADER"
	line 1 ann@school.test unknown '<m1@teacher.test>'
	line 2 bob@school.test sent '<m2-old@teacher.test>'
	line 2 bob@school.test sent '<m2-new@teacher.test>'
} >resent.csv
dsn old.eml bob@school.test 5.2.2 failed '<m2-old@teacher.test>'
mm bounces -r resent.csv box/new/1 old.eml
like stdout '^1 +ann@school.test +failed +5\.1\.1 +bounced ' "an unknown row that bounced: bounced"
like stdout '^2 +bob@school.test +failed +5\.2\.2 +row sent again since ' \
    "a bounce of an earlier attempt: no change"
is "$(grep -c ',bounced,' resent.csv)" 1 "... one line appended"

# --account: the address fallback only among that account's rows.
cp report.orig acct.csv
mm bounces -r acct.csv --account other box/new/2
like stdout '^- +bob@school.test .*no matching row' \
    "--account other: bob's row (account lab) is not matched by address"
mm bounces -r acct.csv --account lab box/new/2
like stdout '^2 +bob@school.test .*bounced' "--account lab: it is"

# --since: files dated before the day are left out; bad dates refused.
cp report.orig since.csv
mm bounces -r since.csv --since 2026-12-05 box
like stdout '8 messages read: 0 bounces, 0 auto-replies' \
    "--since after the bounces' Date: read, none taken"
mm bounces -r since.csv --since 2026-12-04 box
like stdout '8 messages read: 6 bounces, 1 auto-reply' "--since their day: all taken"
mm bounces -r since.csv --since 12/04/2026 box
is "$RC" 64 "--since 12/04/2026: exit 64"
like stderr 'ISO date such as 2026-11-26' "... saying what is expected"
mm bounces -r missing.csv box
is "$RC" 66 "a missing report: exit 66"
mm bounces -r report.csv box/nonexistent
is "$RC" 66 "a missing SOURCE: exit 66"

# --- report learns bounced --------------------------------------------
mm report report.csv
like stdout '^  bounced +2$' "report: bounced counted"
like stdout '^  lab +custom +6 +3 +1 +0 +0 +0 +2$' "report: bounced by account"
like stdout '^  5\.1\.1 +1 +no such mailbox$' "report: 5.1.1 explained"
like stdout '^  5\.2\.2 +1 +mailbox full$' "report: 5.2.2 explained"
like stdout '^Not delivered \(3 rows\):$' "report: bounced rows are not delivered"
like stdout '^ +1  ann@school.test +.* +lab +bounced +5\.1\.1 ' "report: row 1 listed bounced"
mm report --failed-csv retry.csv report.csv
is "$RC" 0 "--failed-csv: exit 0"
is "$(tail -n +2 retry.csv | tr -d '\r' | tr '\n' ' ')" \
    "Ann,ann@school.test Bob,bob@school.test Dan,dan@school.test " \
    "--failed-csv lists the bounced rows (and the failed one)"
mm report --json report.csv
"$PYTHON" -c '
import json; j = json.load(open("stdout"))
assert j["by_status"]["bounced"] == 2, j["by_status"]
assert sorted(r["row"] for r in j["not_delivered"] if r["status"] == "bounced") == [1, 2]
' && ok 0 "report --json: bounced counted and listed" || ok 1 "report --json"
mm report --html r.html report.csv
like r.html '<td>bounced</td>' "report --html: bounced rows shown"
like r.html 'title="bounced: 2"' "report --html: bounced in the bar"
# A dsn with 5.7.1: explained as refused by policy.
cp report.orig pol.csv
dsn pol.eml cho@school.test 5.7.1 failed '<m3@teacher.test>' '550 5.7.1 Sender domain not allowed'
mm bounces -r pol.csv pol.eml
mm report pol.csv
like stdout '^  5\.7\.1 +1 +refused by policy' "report: 5.7.1 explained"

# --- hostile messages -------------------------------------------------
mkdir hostile
# Truncated MIME: the report part cut in the middle.
dsn full.eml ann@school.test 5.1.1 failed '<m1@teacher.test>'
head -c 900 full.eml >hostile/truncated.eml
# Wrong boundaries: declared one thing, used another.
sed 's/boundary="BOUND"/boundary="OTHER"/' full.eml >hostile/wrongboundary.eml
# 10,000 nested multiparts.
"$PYTHON" - <<'PY'
n = 10000
with open("hostile/nested.eml", "w") as f:
    f.write("From: x@y.test\nSubject: deep\nMIME-Version: 1.0\n")
    for i in range(n):
        f.write('Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i))
    f.write("Content-Type: text/plain\n\nbottom\n")
    for i in reversed(range(n)):
        f.write("--b%d--\n" % i)
PY
# A 1 MB header line.
{ printf 'From: MAILER-DAEMON@mx.test\nTo: teacher@teacher.test\nSubject: Undelivered Mail Returned to Sender\nX-Long: '
  head -c 1048576 /dev/zero | tr '\0' 'a'; printf '\n\nThis message was created automatically by mail delivery software.\n\n  ann@school.test\n    550 5.1.1 no such user\n'; } >hostile/longheader.eml
# Charsets: EUC-KR, ISO-2022-JP and UTF-16 text parts in bounces.
kr() {	# kr FILE CHARSET: a text bounce whose reason is in CHARSET
	{ printf 'From: MAILER-DAEMON@mx.test\nTo: teacher@teacher.test\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\nContent-Type: text/plain; charset=%s\nContent-Transfer-Encoding: 8bit\n\n' "$2"
	  printf 'This message was created automatically by mail delivery software.\n\n  cho@school.test\n    550 5.2.1 받는 사람의 메일함이 정지되었습니다\n' | iconv -f UTF-8 -t "$2"; } >"$1"
}
kr hostile/euckr.eml EUC-KR
printf 'From: MAILER-DAEMON@mx.test\nTo: teacher@teacher.test\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-2022-JP\n\n' >hostile/jis.eml
printf 'This message was created automatically by mail delivery software.\n\n  dan@school.test\n    550 5.1.1 受信者のメールボックスがありません\n' | iconv -f UTF-8 -t ISO-2022-JP >>hostile/jis.eml
kr hostile/utf16.eml UTF-16
# NUL bytes in headers and body.
printf 'From: MAILER-DAEMON@mx.test\nSubject: Undeliv\0ered\nTo: teacher@teacher.test\n\nThis message was created automatically by mail delivery software.\n\0\0\n  bob@school.test\n    550 5.1.1 nul\0here\n' >hostile/nul.eml
# Not mail at all.
head -c 4096 /dev/urandom >hostile/random.eml
# 100 MB: sparse, never read.
{ printf 'From: x@y.test\nSubject: big\n\n'; } >hostile/big.eml
truncate -s 100M hostile/big.eml
dsn hostile/zz-valid.eml twin@school.test 5.1.1 failed '<m5@teacher.test>'
cp report.orig hostile.csv
start=$(date +%s)
MAILMERGE_WRAP="timeout 120 ${MAILMERGE_WRAP:-}" mm bounces -r hostile.csv hostile
is "$RC" 0 "hostile messages: exit 0, the run goes on"
no_valgrind_error
like stderr 'hostile/big.eml: note: skipped: 104857600 octets, more than the 26214400' \
    "a 100 MB message is skipped with a note"
like stderr 'hostile/nested.eml: note: skipped: more than 256 nested MIME parts' \
    "10,000 nested multiparts: skipped with a note"
like stdout '^5 +twin@school.test +failed +5\.1\.1 +bounced +hostile/zz-valid.eml' \
    "the valid bounce after them is still read and marked"
like stdout '^3 +cho@school.test +failed +5\.2\.1 .*hostile/euckr.eml' "EUC-KR bounce read"
like stdout '받는 사람의 메일함이 정지되었습니다' "EUC-KR reason converted to UTF-8"
like stdout '^4 +dan@school.test +failed +5\.1\.1 .*hostile/jis.eml' "ISO-2022-JP bounce read"
like stdout '受信者のメールボックスがありません' "ISO-2022-JP reason converted to UTF-8"
like stdout '^3 +cho@school.test +failed +5\.2\.1 .*hostile/utf16.eml' "UTF-16 bounce read"
like stdout '^2 +bob@school.test +failed +5\.1\.1 .*hostile/nul.eml' "a bounce with NUL bytes read"
like stdout 'ann@school.test .*hostile/longheader.eml' "a 1 MB header line: read"
# Row 1 twice (two different reasons: the long-header and the truncated
# message), 2, 3 (the UTF-16 one repeats EUC-KR's reason: already), 5.
is "$(grep ',bounced,' hostile.csv | cut -d, -f1 | tr '\n' ' ')" "3 1 2 1 5 " \
    "the bounced lines: one per distinct reason and row"
"$PYTHON" -c '
import sys
for l in open("hostile.csv", encoding="utf-8"):
    assert all(ord(c) >= 32 or c in "\r\n" for c in l), repr(l)
' && ok 0 "no control character reached the report" || ok 1 "control characters in the report"
# An mbox with a message over the limit between two good ones.
{ printf 'From a@b Fri Dec  4 10:00:00 2026\n'; cat full.eml
  printf '\nFrom a@b Fri Dec  4 10:00:00 2026\nFrom: x@y.test\nSubject: huge\n\n'
  head -c $((26 * 1024 * 1024)) /dev/zero | tr '\0' 'x' | fold -w 76
  printf '\n\nFrom a@b Fri Dec  4 10:00:00 2026\n'; cat box/new/2; } >big.mbox
cp report.orig bigmbox.csv
mm bounces -r bigmbox.csv big.mbox
is "$RC" 0 "an mbox with a 26 MB message: exit 0"
like stderr 'big.mbox#2: note: skipped: [0-9]+ octets' "... that message skipped with a note"
is "$(grep ',bounced,' bigmbox.csv | cut -d, -f1 | tr '\n' ' ')" "1 2 " \
    "... the messages around it are read"
end=$(date +%s)
echo "# hostile part took $((end - start)) s"

# --- IMAP, read-only, against a real Dovecot --------------------------
PW='Imap-Test-Pa55word!'
start_dovecot "$PW"
cp box/new/* "$MAILDIR/new/"
for f in box/cur/*; do cp "$f" "$MAILDIR/cur/"; done
mv "$MAILDIR/cur/8:2,S" "$MAILDIR/cur/8:2,"	# one read, one unread
chown -R "$MAIL_UID:$MAIL_GID" "$MAILDIR"
(cd "$MAILDIR" && find . -type f -path './[cn]*' | sort) >maildir.before
cat >imap.conf <<EOF
[lab]
provider = custom
host = 127.0.0.1
port = 1
auth = none
ca_file = $TMP/certs/ca.pem
from = Teacher <teacher@teacher.test>
password_env = MM_IMAP_PW
imap_host = 127.0.0.1
imap_port = $IMAP_PORT
imap_user = teacher
EOF
export MM_IMAP_PW=$PW
cp report.orig imap.csv
mm bounces -c imap.conf -r imap.csv
is "$RC" 0 "IMAP over TLS: exit 0"
no_valgrind_error
like stdout '^1 +ann@school.test +failed +5\.1\.1 +bounced +imap:lab:[0-9]+$' \
    "IMAP: ann's bounce marks row 1, source imap:lab:UID"
is "$(grep ',bounced,' imap.csv | cut -d, -f1,6 | tr '\n' ' ')" "1,5.1.1 2,5.2.2 " \
    "IMAP: the same two rows as from files"
(cd "$MAILDIR" && find . -type f -path './[cn]*' | sort) >maildir.after
check_same maildir.before maildir.after \
    "IMAP: no message was moved, flagged \\Seen or deleted (Maildir names unchanged)"
cat "$IMAP_RAWLOG"/*.in >rawlog.in 2>/dev/null
like rawlog.in ' EXAMINE "INBOX"' "IMAP: the folder is opened with EXAMINE"
like rawlog.in 'BODY\.PEEK\[\]' "IMAP: messages fetched with BODY.PEEK[]"
unlike rawlog.in ' (SELECT|STORE|EXPUNGE|COPY|MOVE|APPEND|DELETE) |BODY\[' \
    "IMAP: no SELECT, STORE, EXPUNGE, COPY, MOVE or BODY[] is sent"
like rawlog.in 'UID SEARCH SINCE [0-9]+-[A-Z][a-z][a-z]-20[0-9][0-9]' \
    "IMAP: only mail since the report's first send"
mm bounces -c imap.conf -r imap.csv
cp stdout imap2.out
like imap2.out '0 rows marked bounced' "IMAP: a second run marks nothing"
cat stdout stderr "$IMAP_RAWLOG"/* imap.csv >all-output
unlike all-output "$PW" "IMAP: the password is in no output, report or server log"
MM_IMAP_PW=wrong-password mm bounces -c imap.conf -r imap.csv
is "$RC" 77 "IMAP: a wrong password exits 77 (EX_NOPERM)"
like stderr 'Login denied|login' "... saying the login was refused"
sed 's|^ca_file = .*|ca_file = '"$TMP"'/certs/self.pem|' imap.conf >badca.conf
mm bounces -c badca.conf -r imap.csv
is "$RC" 69 "IMAP: a certificate the CA did not sign exits 69"
like stderr 'IMAP: .*(certificate|SSL|verif)' "... naming the certificate problem"
unlike stderr "$PW" "... without the password"
# STARTTLS on the plain port (Dovecot refuses a login without it).
sed "s/^imap_port = .*/imap_port = $IMAP_STARTTLS_PORT\nimap_tls = starttls/" \
    imap.conf >starttls.conf
cp report.orig starttls.csv
mm bounces -c starttls.conf -r starttls.csv
is "$RC" 0 "IMAP with imap_tls = starttls: exit 0"
is "$(grep ',bounced,' starttls.csv | cut -d, -f1 | tr '\n' ' ')" "1 2 " \
    "... the same rows marked"
# A message over the limit in the mailbox: its size is asked, not its body.
{ printf 'From: x@y.test\nSubject: huge\nDate: Fri, 04 Dec 2026 10:08:00 +0000\n\n'
  head -c $((26 * 1024 * 1024)) /dev/zero | tr '\0' 'x' | fold -w 76; } >"$MAILDIR/new/9"
chown "$MAIL_UID:$MAIL_GID" "$MAILDIR/new/9"
rm -f "$IMAP_RAWLOG"/*
mm bounces -c imap.conf -r imap.csv --dry-run
is "$RC" 0 "IMAP with a 26 MB message: exit 0"
like stderr 'imap:lab:[0-9]+: note: skipped: [0-9]+ octets, more than the 26214400' \
    "... skipped with a note"
big_uid=$(sed -n 's/.*imap:lab:\([0-9]*\): note: skipped.*/\1/p' stderr)
cat "$IMAP_RAWLOG"/*.in >rawlog2.in
like rawlog2.in "UID FETCH $big_uid \\(RFC822.SIZE\\)" "... its size was asked"
unlike rawlog2.in "UID FETCH $big_uid \\(BODY" "... its body never fetched"
rm -f "$MAILDIR/new/9"

sed '/^imap_/d' imap.conf >noimap.conf
mm bounces -c noimap.conf -r imap.csv
is "$RC" 78 "an account without imap_host: exit 78 (EX_CONFIG)"
like stderr 'set imap_host' "... saying to set imap_host"

# --- end to end: Exim writes the bounces, Dovecot serves them ---------
rm -f "$MAILDIR"/new/* "$MAILDIR"/cur/*
start_exim ann bob
cat >e2e.csv <<'EOF'
name,email
Ann,ann@school.test
Bob,bob@school.test
Zed,zed@school.test
Kim,kim@school.test
EOF
cat >tpl.txt <<'EOF'
From: Teacher <teacher@teacher.test>
To: {{name}} <{{email}}>
Subject: Grades

Dear {{name}}, your grade is in.
EOF
cat >e2e.conf <<EOF
[lab]
provider = custom
host = 127.0.0.1
port = $SMTP_PORT
tls = starttls
auth = none
ca_file = $TMP/certs/ca.pem
from = Teacher <teacher@teacher.test>
password_env = MM_IMAP_PW
timeout = 10
imap_host = 127.0.0.1
imap_port = $IMAP_PORT
imap_user = teacher
EOF
mm send -c e2e.conf -r sent.csv --yes e2e.csv tpl.txt
is "$RC" 0 "e2e: Exim accepts all four at RCPT: send exits 0"
is "$(grep -c ',sent,' sent.csv)" 4 "e2e: the report says sent for all four"
wait_mail 2 30 && ok 0 "e2e: Exim wrote two bounces into the teacher's Maildir" || {
	ok 1 "e2e: Exim wrote two bounces"; sed 's/^/#   /' "$TMP/exim/log/"* | tail -20; }
grep -l 'X-Failed-Recipients' "$MAILDIR"/new/* | wc -l >xfailed
is "$(cat xfailed)" 2 "e2e: both are Exim's own bounces (X-Failed-Recipients)"
cp sent.csv sent.before
mm bounces -c e2e.conf -r sent.csv
is "$RC" 0 "e2e: bounces over IMAP exits 0"
is "$(grep ',bounced,' sent.csv | cut -d, -f1,2,6 | sort | tr '\n' ' ')" \
    "3,zed@school.test,5.0.0 4,kim@school.test,5.0.0 " \
    "e2e: exactly rows 3 and 4 (the unknown users) bounced, Exim's 5.0.0"
like sent.csv ',bounced,.*Unrouteable address' "e2e: Exim's reason kept"
like stdout '2 rows marked bounced, 0 unmatched' "e2e: the summary"
mm report sent.csv
like stdout '^  sent +2$' "e2e: report: sent 2"
like stdout '^  bounced +2$' "e2e: report: bounced 2"
like stdout '^ +3  zed@school.test +Zed +lab +bounced ' "e2e: report lists zed as bounced"
mm report --failed-csv e2e-retry.csv sent.csv
is "$(tail -n +2 e2e-retry.csv | tr -d '\r' | tr '\n' ' ')" \
    "Zed,zed@school.test Kim,kim@school.test " "e2e: --failed-csv lists exactly the bounced"
cp sent.csv sent.after
mm bounces -c e2e.conf -r sent.csv
is "$RC" 0 "e2e: a second run exits 0"
check_same sent.after sent.csv "e2e: a second run changes nothing"
like stdout '0 rows marked bounced' "e2e: ... and says so"
# A resume never mails a bounced row again: the retry is --failed-csv.
mm send -c e2e.conf -r sent.csv --resume --yes e2e.csv tpl.txt
is "$RC" 0 "e2e: send --resume after bounces exits 0"
is "$("$PYTHON" "$TOP/tests/cli/report_rows.py" sent.csv | awk '{print $1, $2}' |
    tr '\n' ' ')" "1 sent 2 sent 3 bounced 4 bounced " \
    "e2e: the resume sent nothing again: bounced rows stay bounced"
# bounces takes the report's lock, as send does.
"$PYTHON" -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1] + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, b"%d\n" % os.getpid())
open(sys.argv[1] + ".held", "w").close()
time.sleep(5)' sent.csv &
holder=$!
for _ in $(seq 50); do [ -e sent.csv.held ] && break; sleep 0.1; done
mm bounces -c e2e.conf -r sent.csv
is "$RC" 75 "bounces while another run holds the report: 75"
like stderr 'another mailmerge \(process [0-9]+\)' "... naming the process that holds it"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

done_testing
