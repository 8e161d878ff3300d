#!/bin/bash
# Issue 11, "Korean interface": every message a person reads is in Korean
# when the locale says Korean (LANG, LC_ALL, LANGUAGE = ko...), English
# otherwise; po/ko.po translates every message of the current sources.
. "$(dirname "$0")/lib.bash"
S=$TOP/samples
T=$TOP/templates/announcement.txt
PO=$TOP/po/ko.po

# -- the catalogue -------------------------------------------------------
msgfmt --check -o /dev/null "$PO" 2>msgfmt.err
ok $? "msgfmt --check accepts po/ko.po (formats match their msgid)"
sed 's/^/#   /' msgfmt.err | head -20
msgfmt --statistics -o /dev/null "$PO" 2>stats
like stats '^[0-9]+ translated messages\.$' \
    "msgfmt --statistics: only translated messages, none fuzzy or untranslated"

# Every message of the sources as they are now (not as they were when
# po/ko.po was last merged) has a Korean translation: adding an English
# string without one fails here.  make extract is what make pot runs
# (the same xgettext keywords, the modules' own error helpers included).
make -s -C "$TOP" POT="$TMP/now.pot" extract >extract.out 2>&1
ok $? "make extract: the messages of the current sources"
sed 's/^/#   /' extract.out | head -10
n=$(grep -c '^msgid ' now.pot)
ok "$([ "$n" -gt 400 ]; echo $?)" "... a catalogue's worth of them ($n msgids)"
msgcat --no-wrap -o nowrap.pot now.pot
for m in 'unknown key \\"%s\\" in \[%s\]' 'row %zu has %zu fields' 'unclosed tag' \
    'does not exist: check the file name'; do
	like nowrap.pot "^msgid \"$m" "... with the config, roster and template helpers' messages: $m"
done
msgcmp "$PO" now.pot >msgcmp.out 2>&1
ok $? "msgcmp: every msgid of the sources is translated in po/ko.po (not fuzzy, not empty)"
sed 's/^/#   /' msgcmp.out | head -20
# The same check must notice a string nobody translated.
printf '#include "i18n.h"\nconst char *f(void) { return _("a new English sentence"); }\n' >new.c
xgettext --from-code=UTF-8 --language=C -k_ -o new.pot new.c
msgcat -o both.pot now.pot new.pot
msgcmp "$PO" both.pot >/dev/null 2>&1
ok "$([ $? -ne 0 ]; echo $?)" "msgcmp fails when a message has no Korean translation"

# -- the command line under both locales --------------------------------
# en ARGS / ko ARGS: mailmerge in an English / a Korean locale.
en() { LANG=C.UTF-8 LC_ALL= LC_MESSAGES= LANGUAGE= mm "$@"; }
ko() { LANG=ko_KR.UTF-8 LC_ALL= LC_MESSAGES= LANGUAGE= mm "$@"; }
ko_language() { LANG=C LC_ALL= LC_MESSAGES= LANGUAGE=ko mm "$@"; }

en preview --bogus x y
is "$RC" 64 "en: bad option: exit 64"
like stderr "^mailmerge: preview: unknown option '--bogus' \(see 'mailmerge help preview'\)\$" \
    "en: bad option: English"
ko preview --bogus x y
is "$RC" 64 "ko: bad option: exit 64"
like stderr "^mailmerge: preview: 알 수 없는 옵션 '--bogus' \('mailmerge help preview' 참고\)\$" \
    "ko: bad option: Korean, the option name as typed"
ko_language preview --bogus x y
like stderr "알 수 없는 옵션 '--bogus'" "LANGUAGE=ko with LANG=C: Korean too"
LC_ALL=ko_KR.UTF-8 LANG=C.UTF-8 LANGUAGE= mm preview --bogus x y
like stderr "알 수 없는 옵션" "LC_ALL=ko_KR.UTF-8: Korean"
LC_MESSAGES=ko_KR.UTF-8 LANG=C.UTF-8 LC_ALL= LANGUAGE= mm preview --bogus x y
like stderr "알 수 없는 옵션" "LC_MESSAGES=ko_KR.UTF-8: Korean"
# (env: bash itself would warn that it has no fr_FR locale)
env LANG=fr_FR.UTF-8 LC_ALL= LC_MESSAGES= LANGUAGE= "$MAILMERGE" preview --bogus x y \
    >"$TMP/stdout" 2>"$TMP/stderr"
like stderr "unknown option '--bogus'" "another language (no catalogue): English"

en preview nosuch.csv "$T"
like stderr '^mailmerge: nosuch\.csv: error: ' "en: missing file: 'error:'"
ko preview nosuch.csv "$T"
is "$RC" 66 "ko: missing file: exit 66, as in English"
like stderr '^mailmerge: nosuch\.csv: 오류: ' "ko: missing file: '오류:'"
unlike stderr 'error' "ko: missing file: no English label"

en preview -o pv-en "$S/roster.csv" "$T"
like stdout '^previewed 20 rows, 20 recipients: pv-en \(\.eml files\), report pv-en/report\.csv$' \
    "en: preview summary"
ko preview -o pv-ko "$S/roster.csv" "$T"
is "$RC" 0 "ko: preview: exit 0"
like stdout '^20행, 받는 사람 20명 미리 봄: pv-ko \(\.eml 파일\), 보고서 pv-ko/report\.csv$' \
    "ko: preview summary in Korean"
like stdout '^--- 1행 \(.*roster\.csv 2번째 줄\) ---$' "ko: the first mail's heading"
like stdout '^Subject: \[컴퓨터네트워크\] 김민준님' "ko: the mail itself is untouched"
# Message-ID and Date differ by the time of the run.
is "$(sed '/^Message-ID:/d; /^Date:/d' pv-ko/0001-minjun.kim@example.com.eml | md5sum)" \
    "$(sed '/^Message-ID:/d; /^Date:/d' pv-en/0001-minjun.kim@example.com.eml | md5sum)" \
    "the locale never changes the mail"
is "$(cut -d, -f3 pv-ko/report.csv | sort -u | tr '\n' ' ')" \
    "$(cut -d, -f3 pv-en/report.csv | sort -u | tr '\n' ' ')" \
    "the report's status keywords are the same in both locales"

# Errors of the roster, the config and the template, in Korean.
printf 'a,b\n1,2,3\n' >bad.csv
printf 'To: <{{b}}>\nFrom: A <a@example.com>\nSubject: {{a}}\n\nx\n' >ab.txt
ko preview bad.csv ab.txt
like stderr '^mailmerge: bad\.csv:2: 오류: 1행의 필드는 3개인데 머리글은 2개입니다' "ko: a roster error"
printf '[x]\nfoo = 1\n' >bad.conf
chmod 600 bad.conf
ko check -c bad.conf
like stderr '^mailmerge: bad\.conf:2: 오류: \[x\]의 알 수 없는 키 "foo"; 쓸 수 있는 키: provider ' \
    "ko: a config error (key names untranslated)"
printf 'Subject {{a}}\n' >bad.txt
ko preview "$S/roster.csv" bad.txt
like stderr "^mailmerge: bad\\.txt:1:1: 오류: 'Subject: \\.\\.\\.' 같은 헤더 줄이어야 합니다" "ko: a template error"
printf 'From: A <a@example.com>\nTo: <{{email}}>\nSubject: x\nAttachment: nosuch.pdf\n\nhi\n' >att.txt
ko preview "$S/roster.csv" att.txt
like stderr "^mailmerge: .*roster\\.csv:2: 오류: 1행, 헤더 'Attachment': 'nosuch\\.pdf'이\\(가\\) 없습니다: .* \\(학생 김민준\\)\$" \
    "ko: an attachment error, with the row and the student"
en preview "$S/roster.csv" bad.txt
like stderr "^mailmerge: bad\\.txt:1:1: error: expected a header line like 'Subject: \\.\\.\\.'" "en: the same template error"

# A warning (a template using a column the roster does not have a value
# for is an error; an unused column is a warning).
printf 'To: {{이름}} <{{email}}>\nFrom: A <a@example.com>\nSubject: x\n\nhi\n' >unused.txt
en preview -o pv-w "$S/roster.csv" unused.txt
like stderr ': warning: ' "en: an unused column: 'warning:'"
ko preview -o pv-w "$S/roster.csv" unused.txt
like stderr ': 경고: ' "ko: an unused column: '경고:'"

# -- send: the plan, the summary, the report ----------------------------
start_smtpd ko 'REPLY RCPT:seoyeon.lee@example.org 550 5.1.1 no such user'
write_conf mm.conf "$PORT"
en send -c mm.conf -r en.csv --yes "$S/roster.csv" "$T"
is "$RC" 67 "en: send with one refused recipient: exit 67"
like stdout '^About to send 20 mails \(20 rows\):$' "en: the plan"
like stdout '^sent 19, failed 1, deferred or skipped 0, not attempted 0, unknown 0; report en\.csv$' "en: the summary"
like stderr "error: 1 row was refused permanently: see 'mailmerge report en\\.csv'" "en: the verdict"
start_smtpd ko2 'REPLY RCPT:seoyeon.lee@example.org 550 5.1.1 no such user'
write_conf mm2.conf "$PORT"
ko send -c mm2.conf -r ko.csv --yes "$S/roster.csv" "$T"
is "$RC" 67 "ko: the same send: exit 67"
like stdout '^메일 20통을 보냅니다 \(20행\):$' "ko: the plan"
like stdout '^  \[lab\] 20통, 127\.0\.0\.1:[0-9]+ \(custom\) 경유, 보내는 사람 demo@example\.com, ' \
    "ko: the plan's account line"
like stdout '^  예상 소요 시간: [0-9]+(시간 [0-9]+분|분 [0-9]+초|초); 보고서: ko\.csv$' "ko: the plan's duration, in Korean units"
like stdout '^보냄 19, 실패 1, 연기 또는 건너뜀 0, 시도 안 함 0, 알 수 없음 0; 보고서 ko\.csv$' "ko: the summary"
like stderr "오류: 1행이 영구적으로 거부되었습니다: 'mailmerge report ko\\.csv'를 보세요" \
    "ko: the verdict"
like ko.csv ',failed,' "ko: the report's status stays a keyword (failed)"
like ko.csv 'no such user' "ko: the SMTP reply is stored as the server sent it"
unlike ko.csv '실패|보냄' "ko: no Korean status words in the report"

en report en.csv
like stdout '^By account:$' "en: report: 'By account:'"
like stdout 'no such mailbox' "en: report: the reply code explained"
like stdout '^  failed +1$' "en: report: status keyword"
ko report ko.csv
is "$RC" 0 "ko: report: exit 0 (nothing left to send)"
like stdout '^계정별:$' "ko: report: '계정별:'"
like stdout '^응답 코드별:$' "ko: report: '응답 코드별:'"
like stdout '^  계정 +서비스 +행 수 ' "ko: report: table titles"
like stdout '그런 메일함이 없음' "ko: report: the reply code explained in Korean"
like stdout '주소에 오타가 없는지 확인하고' "ko: report: what to do, in Korean"
like stdout '^  failed +1$' "ko: report: the status keyword stays (it is data)"
like stdout '550 5\.1\.1 no such user' "ko: report: the SMTP reply untranslated"
like stdout '^전달되지 않음 \(1행\):$' "ko: report: the rows not delivered"
unlike stdout 'By account|Not delivered|no such mailbox' "ko: report: no English heading left"
ko report --json ko.csv
like stdout '"meaning": "no such mailbox"' "ko: report --json stays English (it is data)"

en report --html en.html en.csv
like en.html '<html lang="en">' "en: HTML lang=\"en\""
like en.html '<h2>By account</h2>' "en: HTML headings"
ko report --html ko.html ko.csv
like ko.html '<html lang="ko">' "ko: HTML lang=\"ko\""
like ko.html '<h1>mailmerge 보고서</h1>' "ko: HTML title heading"
like ko.html '<h2>계정별</h2>' "ko: HTML heading 'by account'"
like ko.html '<h2>응답 코드별</h2>' "ko: HTML heading 'by reply code'"
like ko.html '<td>그런 메일함이 없음</td>' "ko: HTML reply-code meaning"
like ko.html '<h2>전달되지 않음 \(1\)</h2>' "ko: HTML rows not delivered"
unlike ko.html 'By account|Not delivered' "ko: HTML: no English heading left"

en report --failed-csv retry-en.csv en.csv
like stderr '^mailmerge: retry-en\.csv: wrote 1 roster row to send again$' "en: --failed-csv"
ko report --failed-csv retry-ko.csv ko.csv
like stderr '^mailmerge: retry-ko\.csv: 다시 보낼 명단 1행을 썼습니다$' "ko: --failed-csv"

# -- help ----------------------------------------------------------------
en help send
like stdout '^usage: mailmerge send ' "en: help send"
ko help send
is "$RC" 0 "ko: help send: exit 0"
like stdout '^사용법: mailmerge send ' "ko: help send: usage"
like stdout '^  -y, --yes           묻지 않고 보냅니다' "ko: help send: an option explained"
like stdout '^종료 상태:$' "ko: help send: exit statuses"
like stdout '^  77  EX_NOPERM    인증 거부' "ko: help send: exit status 77"
ko --help
like stdout '^명령:$' "ko: --help: the commands"
like stdout '^  report    발송 보고서를 요약합니다' "ko: --help: a command's summary"
ko report --help
like stdout '^사용법: mailmerge report ' "ko: report --help"
ko help nosuch
like stderr "^mailmerge: help: 'nosuch'이라는 명령은 없습니다" "ko: help of an unknown command"

# -- init ------------------------------------------------------------------
ko init cls
like stdout '^작성 cls/mailmerge\.conf$' "ko: init: what it wrote"
like stdout '^다음: cls/mailmerge\.conf\(계정 설정\)' "ko: init: what next"
ko init cls
like stdout '^이미 있던 파일 3개는 바꾸지 않고 그대로 두었습니다$' "ko: init again: what it kept"
en init cls2
like stdout '^wrote cls2/mailmerge\.conf$' "en: init"

# -- the question: y, yes, 예, 네 say yes in either locale -----------------
# ask LANG ANSWER NAME: send without --yes on a terminal (script(1) gives
# one), answering ANSWER.
ask() {
	start_smtpd "$3"
	write_conf "$3.conf" "$PORT"
	printf '%s\n' "$2" | LANG=$1 LC_ALL= LC_MESSAGES= LANGUAGE= script -qefc \
	    "$MAILMERGE send -c $3.conf -r $3.csv -n 1 $S/roster.csv $T" \
	    /dev/null >"$3.tty" 2>&1
	RC=$?
}
ask ko_KR.UTF-8 '예' ko-ye
like ko-ye.tty '이 메일들을 지금 보낼까요\? \[예\(y\)/아니요\(N\)\]' "ko: the question in Korean"
is "$RC" 0 "ko: '예' answers yes: exit 0"
is "$(stored ko-ye)" 1 "ko: '예': the mail was sent"
like ko-ye.tty '\[1/1\] 보냄 1, 실패 0, 알 수 없음 0' "ko: the progress line in Korean"
ask ko_KR.UTF-8 '네' ko-ne
is "$(stored ko-ne)" 1 "ko: '네' answers yes"
ask ko_KR.UTF-8 'y' ko-y
is "$(stored ko-y)" 1 "ko: 'y' answers yes"
ask C.UTF-8 '예' en-ye
like en-ye.tty 'Send these mails now\? \[y/N\]' "en: the question in English"
is "$(stored en-ye)" 1 "en: '예' answers yes too"
like en-ye.tty '\[1/1\] sent 1, failed 0, unknown 0' "en: the progress line in English"
ask C.UTF-8 'yes' en-yes
is "$(stored en-yes)" 1 "en: 'yes' answers yes"
ask ko_KR.UTF-8 '아니요' ko-no
is "$RC" 64 "ko: '아니요' declines: exit 64"
is "$(stored ko-no)" 0 "ko: '아니요': nothing sent"
like ko-no.tty '확인하지 않았습니다: 아무것도 보내지 않았습니다' "ko: declined, said in Korean"
ask C.UTF-8 'yesterday' en-yesterday
is "$(stored en-yesterday)" 0 "en: 'yesterday' is not yes"

# -- the verbs merged after the first pass: bounces, relay, sheets ------
# bounces: one sent row, its DSN as an .eml file; the table and the
# summary in Korean, --json and the report as data (English keywords).
SUMB=$(printf 'name,email\r\nAnn,ann@school.test\r\n' | tee broster.csv | sha256sum | cut -d' ' -f1)
{
	printf 'row,recipients,status,provider,smtp_code,enhanced_code,reply,message_id,attempts,time,account,stage,roster,roster_sha256,template,template_sha256,format,row_sha256,roster_sheet\r\n'
	printf '1,ann@school.test,sent,custom,250,,ok,<m1@teacher.test>,1,2026-12-04T09:00:00+00:00,lab,EOM,broster.csv,%s,t.txt,0,2,,\r\n' "$SUMB"
} >brep.csv
cp brep.csv brep-en.csv
cp brep.csv brep.orig
cat >dsn1.eml <<'EOF'
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.school.test>
To: teacher@teacher.test
Subject: Undelivered Mail Returned to Sender
Date: Fri, 04 Dec 2026 10:00:00 +0000
Message-ID: <dsn.1@mx.school.test>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="BOUND"

--BOUND
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered.

--BOUND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.school.test

Final-Recipient: rfc822; ann@school.test
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <ann@school.test>: Recipient address rejected

--BOUND
Content-Type: text/rfc822-headers

From: Teacher <teacher@teacher.test>
To: <ann@school.test>
Subject: Grades
Message-ID: <m1@teacher.test>

--BOUND--
EOF
en bounces -r brep-en.csv dsn1.eml
is "$RC" 0 "en: bounces: exit 0"
like stdout '^ROW +RECIPIENT +ACTION +STATUS +RESULT +SOURCE$' "en: bounces: the table's headings"
like stdout '^1 +ann@school\.test +failed +5\.1\.1 +bounced +dsn1\.eml$' "en: bounces: the row, columns aligned"
like stdout '^1 message read: 1 bounce, 0 auto-replies, 0 skipped; 1 row marked bounced, 0 unmatched\.$' \
    "en: bounces: the summary line"
ko bounces --dry-run -r brep.csv dsn1.eml
like stdout '^메일 1통을 읽었습니다: 반송 1, 자동 응답 0, 건너뜀 0; 1행을 반송됨\(bounced\)으로 표시할 예정, 맞는 행 없음 0\. \(시험 실행: 아무것도 쓰지 않음\)$' \
    "ko: bounces --dry-run: the summary in Korean"
check_same brep.csv brep.orig "ko: bounces --dry-run: the report untouched"
ko bounces -r brep.csv dsn1.eml
is "$RC" 0 "ko: bounces: exit 0"
like stdout '^행 +받는 사람 +동작 +상태 +결과 +출처$' "ko: bounces: the table's headings in Korean"
like stdout '^1 +ann@school\.test +failed +5\.1\.1 +반송됨 +dsn1\.eml$' \
    "ko: bounces: the outcome in Korean, DSN keywords as they are"
# The outcome column is 22 cells wide whatever the language: the source
# starts in the same terminal column as its heading.
"$PYTHON" - stdout <<'PY' >bwidth 2>&1
import sys, unicodedata
def w(s): return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8")]
head = next(l for l in lines if l.startswith("행 "))
row = next(l for l in lines if l.startswith("1 "))
print(w(head[:head.index("출처")]), w(row[:row.index("dsn1.eml")]))
PY
is "$(awk '{print ($1 == $2) ? "same" : $0}' bwidth)" same "ko: bounces: the Korean headings keep the columns aligned"
like stdout '^메일 1통을 읽었습니다: 반송 1, 자동 응답 0, 건너뜀 0; 1행을 반송됨\(bounced\)으로 표시, 맞는 행 없음 0\.$' \
    "ko: bounces: the summary line in Korean"
like brep.csv ',bounced,' "ko: bounces: the report's status stays the keyword bounced"
unlike brep.csv '반송' "ko: bounces: no Korean in the report"
ko bounces --json -r brep.csv dsn1.eml
like stdout '"action": "failed"' "ko: bounces --json: keys and values in English"
# (grep's [가-힣] is no range in every locale: Python decides.)
"$PYTHON" -c 'import re, sys
sys.exit(1 if re.search("[\uac00-\ud7a3]", open(sys.argv[1], encoding="utf-8").read()) else 0)' "$TMP/stdout"
ok $? "ko: bounces --json: no Korean at all"
ko bounces --help
like stdout '^사용법: mailmerge bounces' "ko: bounces --help in Korean"
like stdout '반송 메일을 찾아 보고서에서 그 행을' "ko: bounces --help: the description in Korean"
ko bounces --bogus
is "$RC" 64 "ko: bounces: a bad option: exit 64"
like stderr '^mailmerge: bounces: 잘못된 옵션입니다 ' "ko: bounces: a bad option, in Korean"

# relay: its help and the refusal of a non-loopback address in Korean.
ko relay --help
like stdout '^사용법: mailmerge relay' "ko: relay --help in Korean"
like stdout '연결 하나만 처리하고 끝냅니다' "ko: relay --help: the options in Korean"
ko help
like stdout '계정을 거쳐 속도에 맞춰 전달하는 로컬 SMTP 서버' "ko: help: relay's line in Korean"
like stdout '반송 메일\(IMAP, Maildir, mbox\)을 읽어 보고서에 반영합니다' "ko: help: bounces' line in Korean"
write_conf rl.conf 2525
ko relay -c rl.conf --listen 192.0.2.1:2525 --once
is "$RC" 64 "ko: relay on a non-loopback address: refused (64)"
like stderr '192\.0\.2\.1은\(는\) 루프백 주소가 아니므로 TLS와 인증 정보 없이는 연결을 기다리지 않습니다' \
    "ko: relay: the refusal in Korean"
ko relay -c rl.conf extra
like stderr 'relay는 인자를 받지 않습니다' "ko: relay: an extra argument, in Korean"

# A spreadsheet's error: a --sheet that names no sheet lists the sheets.
"$PYTHON" - <<'PY' >xlsx.out 2>&1
import openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "명단"
ws.append(["이름", "email"])
ws.append(["김민준", "minjun.kim@example.com"])
h = wb.create_sheet("숨김")
h.sheet_state = "hidden"
wb.save("k.xlsx")
PY
ok $? "an .xlsx roster (openpyxl)"
printf 'From: T <t@example.com>\nTo: {{email}}\nSubject: x\n\n{{이름}}\n' >kt.txt
en preview -o kx-en --sheet 없음 k.xlsx kt.txt
like stderr "no sheet named '없음'; its sheets are '명단', '숨김' \(hidden\)" "en: a bad --sheet, in English"
ko preview -o kx --sheet 없음 k.xlsx kt.txt
is "$RC" 65 "ko: a bad --sheet: exit 65"
like stderr "'없음'\(이\)라는 이름의 시트가 없습니다\. 이 파일의 시트: '명단', '숨김' \(숨김\)" \
    "ko: a bad --sheet, in Korean, naming the sheets"
ko preview -o kx --sheet 7 k.xlsx kt.txt
like stderr "'7'\(이\)라는 이름의 시트가 없고 시트가 그만큼 많지도 않습니다" \
    "ko: a --sheet number past the last sheet, in Korean"
printf 'PK\003\004not a zip' >bad.xlsx
ko preview -o kb bad.xlsx kt.txt
like stderr 'ZIP 컨테이너를 읽을 수 없습니다: .*파일이 손상되었습니다' "ko: a damaged .xlsx, in Korean"
unlike stderr 'the file is damaged|not a spreadsheet|cannot read' "ko: a damaged .xlsx: no English left"

# A partial row: a Cc refused for now every time.
printf 'From: P <p@example.com>\nTo: {{email}}\nCc: ta@example.com\nSubject: x\n\nhi\n' >kcc.txt
start_smtpd kpart 'REPLY RCPT:ta@example.com 450 4.2.1 mailbox busy'
write_conf kpart.conf "$PORT"
ko send -c kpart.conf -r kpart.csv --yes -n 1 "$S/roster.csv" kcc.txt
is "$RC" 75 "ko: a partial row: exit 75"
like stdout '^보냄 0, 실패 0, 일부만 보냄 1, 연기 또는 건너뜀 0, 시도 안 함 0, 알 수 없음 0; 보고서 kpart\.csv$' \
    "ko: the summary counts the partial row in Korean"
like stderr '1행은 일부만 보냈습니다' "ko: the partial row's verdict in Korean"
like kpart.csv ',partial,' "ko: the report keeps the keyword partial"

# -- the Korean man page, installed and removed by make -----------------
LANG=C.UTF-8 MANWIDTH=80 man -l "$TOP/mailmerge.ko.1" >man.txt 2>man.err
ok $? "man -l mailmerge.ko.1 renders"
is "$(grep -v '^$' man.err | head -3)" "" "... without a troff warning"
like man.txt '^사용법$' "the Korean man page: its sections in Korean"
like man.txt '^종료 상태$' "... exit statuses"
is "$(grep -c '^\.SH' "$TOP/mailmerge.ko.1")" "$(grep -c '^\.SH' "$TOP/mailmerge.1")" \
    "the Korean man page has every section of the English one"
is "$(grep -o '^\.TP' "$TOP/mailmerge.ko.1" | wc -l)" "$(grep -o '^\.TP' "$TOP/mailmerge.1" | awk 'END {print NR + 2}')" \
    "... every option and exit status (plus LANG and the catalogue's file)"
# make install into a scratch root, with a stand-in binary.
mkdir -p fakeb && printf '#!/bin/sh\n' >fakeb/mailmerge
make -s -C "$TOP" B="$TMP/fakeb" -o "$TMP/fakeb/mailmerge" \
    DESTDIR="$TMP/inst" PREFIX=/usr install >inst.out 2>&1
ok $? "make install"
sed 's/^/#   /' inst.out | head -10
check_same "$TMP/inst/usr/share/man/ko/man1/mailmerge.1" "$TOP/mailmerge.ko.1" \
    "make install: the Korean man page in MANDIR/ko/man1/mailmerge.1"
ok "$([ -s "$TMP/inst/usr/share/locale/ko/LC_MESSAGES/mailmerge.mo" ]; echo $?)" \
    "make install: the Korean catalogue"
make -s -C "$TOP" B="$TMP/fakeb" -o "$TMP/fakeb/mailmerge" \
    DESTDIR="$TMP/inst" PREFIX=/usr uninstall >uninst.out 2>&1
ok $? "make uninstall"
is "$(find "$TMP/inst" -type f | wc -l)" 0 "make uninstall removes every file, the Korean man page too"
done_testing
