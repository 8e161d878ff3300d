#!/bin/bash
# Issue 12: mail that lands right in every client and filter, checked
# with independent programs from Debian: Python's email (defects),
# ripmime (each attachment written once), mblaze's mshow, SpamAssassin
# offline (-t -L: no INVALID_MSGID, no MISSING_HEADERS), dkimpy (a
# signature survives a relay without 8BITMIME).
. "$(dirname "$0")/lib.bash"
AUDIT="$PYTHON $TOP/tests/cli/check_audit.py"
export HOME=$TMP	# SpamAssassin writes its user preferences there

mkdir -p files
printf '안녕하세요 한글 파일입니다 (똠방각하)\n' | iconv -f UTF-8 -t CP949 >files/안내.txt
printf '\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1hwp body' >files/과제.hwp
printf '\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x10\x00\x18\x00data' >files/측정값.dat
cp files/측정값.dat files/raw.xyz
"$PYTHON" -c 'print("2024학년도 2학기 컴퓨터네트워크 기말고사 성적 및 피드백 보고서 최종본", end="")' >longname
cp files/과제.hwp "files/$(cat longname).pdf"

cat >roster.csv <<'R'
name,email
김민준,kim@example.com
"Lee, Hana",lee@example.com
R
cat >tpl.txt <<T
From: 홍길동 교수 <prof@학교.한국>
To: {{name}} <{{email}}>
Subject: [컴퓨터네트워크] {{name}}님 과제 점수 안내
Attachment: files/안내.txt
Attachment: files/과제.hwp
Attachment: files/측정값.dat
Attachment: files/raw.xyz
Attachment: files/$(cat longname).pdf

{{name}}님, 과제 점수는 9점입니다.
끝.
T
mm preview -o out roster.csv tpl.txt
is "$RC" 0 "preview: exit 0"
M=out/0001-kim@example.com.eml

# -- Python's email ---------------------------------------------------------
$AUDIT defects "$M" >py.out 2>&1; results "python" py.out
$AUDIT names "$M" 안내.txt 과제.hwp 측정값.dat raw.xyz "$(cat longname).pdf" >py.out 2>&1
results "12.3" py.out
$AUDIT charset "$M" 안내.txt cp949 >py.out 2>&1; results "12.4" py.out
$AUDIT type "$M" 과제.hwp application/x-hwp >py.out 2>&1; results "12.4" py.out
$AUDIT type "$M" 측정값.dat application/octet-stream >py.out 2>&1
results "12.4: a data file is not an image" py.out
$AUDIT type "$M" raw.xyz application/octet-stream >py.out 2>&1
results "12.4: libmagic's TGA guess is not taken" py.out
"$PYTHON" - "$M" >py.out <<'P'
import re, sys
raw = open(sys.argv[1], "rb").read().decode("ascii")
cds = re.findall(r"Content-Disposition:.*?(?=\r\n\S)", raw, re.S)
ok = all(len(l) < 78 for cd in cds for l in cd.split("\r\n"))
print(f"RESULT\t{0 if ok else 1}\tContent-Disposition lines under 78 columns")
ok = all("filename=" not in cd and "filename*=" not in cd for cd in cds if "*0*=" in cd)
print(f"RESULT\t{0 if ok else 1}\ta non-ASCII name is written once, as RFC 2231 continuations")
print(f"RESULT\t{0 if any('filename*1*=' in cd for cd in cds) else 1}\tthe long name is continued")
P
results "12.3" py.out

# -- ripmime: each file once, under its name --------------------------------
mkdir rip && ripmime -i "$M" -d rip --no-nameless 2>ripmime.err
ls rip >rip.list
is "$(grep -c . rip.list)" 5 "12.3: ripmime writes 5 files for 5 attachments"
for f in 안내.txt 과제.hwp 측정값.dat raw.xyz "$(cat longname).pdf"; do
	cmp -s "rip/$f" "files/$f"; ok $? "12.3: ripmime: $f once, as sent"
done

# -- mblaze -----------------------------------------------------------------
mshow -t "$M" >mshow.out 2>&1
like mshow.out 'text/plain size=[0-9]+ name="안내.txt"' "mshow lists 안내.txt"
is "$(grep -c 'name=' mshow.out)" 5 "mshow: 5 named parts"

# -- SpamAssassin, offline ---------------------------------------------------
spamassassin -t -L <"$M" >sa.out 2>sa.err
ok $? "spamassassin -t -L runs"
unlike sa.out 'INVALID_MSGID' "12.1: no INVALID_MSGID (Message-ID domain as A-labels)"
unlike sa.out 'MISSING_HEADERS' "no MISSING_HEADERS"
like "$M" '^Message-ID: <[^>]*@xn--9d0b527e\.xn--3e0b707e>' "12.1: Message-ID in A-labels"

printf 'From: 홍길동 <prof@학교.한국>\nBcc: {{name}} <{{email}}>\nSubject: 공지\n\n공지입니다.\n' >bcc.txt
mm preview -o bcc roster.csv bcc.txt
is "$RC" 0 "Bcc only: exit 0"
spamassassin -t -L <bcc/0001-kim@example.com.eml >sa.out 2>sa.err
unlike sa.out 'MISSING_HEADERS' "12.2: Bcc only: no MISSING_HEADERS"
like bcc/0001-kim@example.com.eml '^To: undisclosed-recipients:;' "12.2: To: undisclosed-recipients:;"

# -- dkimpy: sign, relay without 8BITMIME, verify ---------------------------
$AUDIT dkim "$M" >py.out 2>&1; results "12.8" py.out
unlike "$M" 'Content-Transfer-Encoding: 8bit' "12.8: no 8bit part"
like "$M" 'Content-Transfer-Encoding: (quoted-printable|base64)' \
    "12.8: the Korean text part is quoted-printable or base64"

done_testing
