#!/bin/bash
# send --test-to ADDRESS: row 1 (or -n N rows) rendered as for the
# students but delivered only to ADDRESS, Subject prefixed [TEST]; no
# report, nothing counts as sent, and a later real send is unaffected.
. "$(dirname "$0")/lib.bash"
S=$TOP/samples

start_smtpd tt
write_conf tt.conf "$PORT"
# Cc and Bcc to other students: they must get nothing either.
cat >cc.txt <<'TPL'
From: Prof <demo@example.com>
To: {{이름}} <{{email}}>
Cc: ta@example.org
Bcc: dean@example.org
Subject: 점수 안내 {{이름}}

{{이름}}님, {{점수}}점입니다.
TPL
mm send -c tt.conf --yes --test-to me@example.net "$S/roster.csv" cc.txt
is "$RC" 0 "--test-to: exit 0 when the test mail is accepted"
no_valgrind_error
is "$(stored tt)" 1 "one message stored (row 1 only)"
is "$(cut -f3 "$TMP/tt.store/index.tsv" | tr '\n' ' ')" "me@example.net " \
    "its only envelope recipient is the test address"
is "$(grep -c '^C: RCPT TO:' "$TMP/tt.log")" 1 "one RCPT in the dialogue"
unlike "$TMP/tt.log" 'RCPT TO:<(minjun|ta@|dean@)' \
    "no RCPT for the student, the Cc or the Bcc"
"$PYTHON" - "$TMP/tt.store/000001.eml" <<'PY' >subj.out 2>&1
import sys, email, email.header
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
s = str(email.header.make_header(email.header.decode_header(m["Subject"])))
print(s)
assert s == "[TEST] 점수 안내 김민준", s
assert "minjun.kim@example.com" in m["To"], m["To"]
PY
ok $? "Subject is '[TEST] ' + row 1's subject; To shows row 1 as rendered"
sed 's/^/#   /' subj.out
ls out 2>/dev/null | grep -q . && ok 1 "no report written" || ok 0 "no report written (no out/ report file)"
ls *.csv 2>/dev/null | grep -q . && ok 1 "no csv in cwd" || ok 0 "no report CSV anywhere in the working folder"
like stdout 'TEST mail.*only to <me@example.net>' "the plan says it is a test"
like stdout 'no report was written and nothing counts as sent' "summary says so"

# -n 3: three rows, all to the test address.
mm send -c tt.conf --yes --test-to me@example.net -n 3 "$S/roster.csv" cc.txt
is "$RC" 0 "--test-to -n 3: exit 0"
is "$(stored tt)" 4 "three more messages stored"
is "$(cut -f3 "$TMP/tt.store/index.tsv" | sort -u | tr '\n' ' ')" "me@example.net " \
    "every envelope recipient is the test address"

# A later real send is not affected: every row goes out, row 1 included.
mm send -c tt.conf -r real.csv --yes -n 2 "$S/roster.csv" cc.txt
is "$RC" 0 "real send after tests: exit 0"
is "$(awk -F, 'NR>1 && $3=="sent"' real.csv | wc -l)" 2 "real send: rows 1 and 2 sent"
like "$TMP/tt.log" 'RCPT TO:<minjun.kim@example.com>' "the real send reached row 1's student"

# Misuse.
mm send -c tt.conf --yes --test-to 'not an address' "$S/roster.csv" cc.txt
is "$RC" 64 "--test-to with a bad address: exit 64"
like stderr "test-to takes one mail address" "and says what it takes"
mm send -c tt.conf --yes --test-to 'a@example.net, b@example.net' "$S/roster.csv" cc.txt
is "$RC" 64 "--test-to with two addresses: exit 64"
mm send -c tt.conf --yes --test-to me@example.net -r x.csv "$S/roster.csv" cc.txt
is "$RC" 64 "--test-to with -r: exit 64 (no report is written)"
is "$(stored tt)" 6 "none of the refused runs sent anything"
done_testing
