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
like stdout '^sent 19, failed 1, deferred or skipped 0, unknown 0; report en\.csv$' "en: the summary"
like stderr "error: 1 row was refused permanently: see 'mailmerge report en\\.csv'" "en: the verdict"
start_smtpd ko2 'REPLY RCPT:seoyeon.lee@example.org 550 5.1.1 no such user'
write_conf mm2.conf "$PORT"
ko send -c mm2.conf -r ko.csv --yes "$S/roster.csv" "$T"
is "$RC" 67 "ko: the same send: exit 67"
like stdout '^메일 20통을 보냅니다 \(20행\):$' "ko: the plan"
like stdout '^  \[lab\] 20통, 127\.0\.0\.1:[0-9]+ \(custom\) 경유, 보내는 사람 demo@example\.com, ' \
    "ko: the plan's account line"
like stdout '^  예상 소요 시간: [0-9]+(시간 [0-9]+분|분 [0-9]+초|초); 보고서: ko\.csv$' "ko: the plan's duration, in Korean units"
like stdout '^보냄 19, 실패 1, 연기 또는 건너뜀 0, 알 수 없음 0; 보고서 ko\.csv$' "ko: the summary"
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
