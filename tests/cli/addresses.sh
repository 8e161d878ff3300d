#!/bin/bash
# Address headers and roster fields (issue 14.5, 14.9, 14.10, 12.1,
# 12.2, 12.6): a field gives one display name or one address, never
# structure; names are quoted as needed and decode to the field;
# invisible Unicode is refused; IDN domains go out as A-labels; the
# validation pass refuses what the SMTP layer would.
. "$(dirname "$0")/lib.bash"
CHECK="$PYTHON $TOP/tests/cli/check_addresses.py"

cat >tpl.txt <<'T'
From: 홍길동 교수 <prof@학교.한국>
To: {{name}} <{{email}}>
Subject: 안내

{{name}}님
T

# -- injection: each row an error naming the row and the column -----------
cat >evil.csv <<'R'
name,email
"Eve <eve@evil.com>, Alice",alice@example.com
Bob,"a@x.com>, <m@evil.com"
Carol,carol@example.com
R
mm preview -o out evil.csv tpl.txt
is "$RC" 65 "14.9: a field adding recipients: exit 65"
like "$TMP/stderr" "evil.csv:2: error: row 1, header 'To': column 'name' .* puts '<' into a display name" \
    "14.9: a name holding 'Eve <eve@evil.com>, Alice' is an error for row 1"
like "$TMP/stderr" "evil.csv:3: error: row 2, header 'To': column 'email' .* puts '>' into an address" \
    "14.9: an email 'a@x.com>, <m@evil.com' is an error for row 2"
unlike "$TMP/stderr" "evil.csv:4:" "14.9: the good row is no error"
ok "$([ ! -e out ]; echo $?)" "14.9: nothing was written"

printf 'From: p@example.com\nTo: {{email}}\nSubject: x\n\nx\n' >bare.txt
printf 'name,email\nA,alice@example.com <bob@evil.com>\nB,"a@example.com, m@evil.com"\n' >bare.csv
mm preview -o out bare.csv bare.txt
is "$RC" 65 "14.9: To: {{email}} holding a second address: exit 65"
like "$TMP/stderr" "bare.csv:2: error: row 1, header 'To': column 'email' \('alice@example.com <bob@evil.com>'\) puts '<'" \
    "14.9: 'alice@example.com <bob@evil.com>' is an error naming the column"
like "$TMP/stderr" "bare.csv:3: error: row 2, .*column 'email' .* puts ','" \
    "14.9: a comma in an email field is an error"

# -- the opt-in: X-Mailmerge-List -------------------------------------------
cat >list.txt <<'T'
From: p@example.com
To: {{name}} <{{email}}>
Cc: {{cc}}
X-Mailmerge-List: cc
Subject: x

x
T
cat >list.csv <<'R'
name,email,cc
Kim,kim@example.com,"TA One <ta1@example.com>, ta2@example.com"
R
mm preview -o list list.csv list.txt
is "$RC" 0 "X-Mailmerge-List: a listed column may hold several addresses"
$CHECK list.csv list >check.out 2>&1
results "list" check.out
unlike list/0001-kim@example.com.eml "X-Mailmerge-List" "the option is not written"
sed '/X-Mailmerge-List/d' list.txt >nolist.txt
mm preview -o nolist list.csv nolist.txt
is "$RC" 65 "without X-Mailmerge-List the same Cc is an error"
sed 's/X-Mailmerge-List: cc/X-Mailmerge-List: cx/' list.txt >badlist.txt
mm preview -o badlist list.csv badlist.txt
is "$RC" 65 "X-Mailmerge-List naming no column: exit 65"
like "$TMP/stderr" "badlist.txt:4: error: X-Mailmerge-List names 'cx', which is not a column" \
    "the error names the template line and the column"

# -- 14.5: validation applies the SMTP layer's rule -------------------------
printf 'name,email,cc\nA,a@example.com,"""x<y""@example.com"\n' >lt.csv
mm preview -o lt lt.csv list.txt
is "$RC" 65 "14.5: '\"x<y\"@example.com' is refused by validation"
like "$TMP/stderr" "lt.csv:2: error: row 1, header 'Cc': .*x<y.*'<' or '>'" \
    "14.5: the error says why"
start_smtpd s ""
write_conf mm.conf "$PORT"
mm send -c mm.conf -r report.csv --yes lt.csv list.txt
is "$RC" 65 "14.5: send stops in the validation pass"
is "$(stored s)" 0 "14.5: nothing was sent"
unlike "$TMP/s.log" "MAIL FROM" "14.5: no transaction was begun"

# -- 14.10: invisible and line-breaking Unicode ----------------------------
printf 'name,email\nA,zw@exa\xe2\x80\x8bmple.com\nB,a\xc2\x85b@example.com\nC,a\xe2\x80\xa8b@example.com\nD,x@xn--zz.com\n' >uni.csv
mm preview -o uni uni.csv tpl.txt
is "$RC" 65 "14.10: Unicode controls in addresses: exit 65"
like "$TMP/stderr" "uni.csv:2: error: row 1, .*invisible or line-breaking Unicode" \
    "14.10: U+200B in a domain refused"
like "$TMP/stderr" "uni.csv:3: error: row 2, .*invisible or line-breaking Unicode" \
    "14.10: U+0085 in a local part refused"
like "$TMP/stderr" "uni.csv:4: error: row 3, .*invisible or line-breaking Unicode" \
    "14.10: U+2028 in a local part refused"
like "$TMP/stderr" "uni.csv:5: error: row 4, .*not a valid internationalised domain" \
    "14.10: an invalid A-label refused (IDNA)"

# -- 12.6 and 12.1: names decode to the field; IDN domains as A-labels -----
cat >good.csv <<'R'
name,email
"Kim, Minjun ""MJ"" (TA)",kim@example.com
Lee @ Lab; Dept: CS,lee@example.com
"Back\slash",bs@example.com
=?UTF-8?B?eA==?=,ew@example.com
이승현,lee@학교.한국
R
mm preview -o good good.csv tpl.txt
is "$RC" 0 "12.6: names with , \" ( @ ; : \\ and =? build"
$CHECK good.csv good >check.out 2>&1
results "12.6" check.out
like good/0001-kim@example.com.eml '^From: .* <prof@xn--9d0b527e\.xn--3e0b707e>' \
    "12.1: From's IDN domain as A-labels"
like good/0001-kim@example.com.eml '^Message-ID: <[^@]+@xn--9d0b527e\.xn--3e0b707e>' \
    "12.1: Message-ID's domain as A-labels"
"$PYTHON" -c 'import sys; h = open(sys.argv[1], "rb").read().split(b"\r\n\r\n")[0]; sys.exit(not h.isascii())' \
    good/0005-lee@xn--9d0b527e.xn--3e0b707e.eml
ok $? "12.1: the header block of an IDN recipient's message is ASCII"

# -- 12.2: Bcc only ---------------------------------------------------------
printf 'From: p@example.com\nBcc: {{email}}\nSubject: x\n\nx\n' >bcc.txt
mm preview -o bcc good.csv bcc.txt
is "$RC" 0 "12.2: Bcc only builds"
like bcc/0001-kim@example.com.eml '^To: undisclosed-recipients:;' \
    "12.2: To is the empty group undisclosed-recipients:;"
unlike bcc/0001-kim@example.com.eml '^Bcc' "12.2: Bcc not written"
"$PYTHON" - bcc/0001-kim@example.com.eml >py.out 2>&1 <<'P'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
g = m["To"].groups
ok = len(g) == 1 and g[0].display_name == "undisclosed-recipients" and not g[0].addresses and not m["To"].defects
print(f"RESULT\t{0 if ok else 1}\tPython reads To as one empty group ({g})")
P
results "12.2" py.out

# -- 12.1: a non-ASCII local part needs SMTPUTF8 -----------------------------
printf 'name,email\n김,kim@example.com\n사용자,사용자@학교.한국\n' >u8.csv
mm preview -o u8 u8.csv tpl.txt
is "$RC" 0 "12.1: preview of a non-ASCII local part: exit 0"
like "$TMP/stderr" "u8.csv:3: warning: row 2: an address has a non-ASCII local part: it needs a server that offers SMTPUTF8" \
    "12.1: validation flags the row as needing SMTPUTF8"
start_smtpd nou8 'REPLY EHLO 250 localhost\nPIPELINING\n8BITMIME\nSTARTTLS\nAUTH PLAIN LOGIN'
write_conf nou8.conf "$PORT"
mm send -c nou8.conf -r nou8.csv --yes u8.csv tpl.txt
is "$RC" 75 "12.1: a server without SMTPUTF8: the account stops, its rows skipped (exit 75)"
like "$TMP/stderr" "does not offer SMTPUTF8, which 1 row needs .*row 2 first.*nothing was sent" \
    "12.1: the error says why, naming the row"
is "$(stored nou8)" 0 "12.1: nothing was sent, not even the ASCII row"
unlike "$TMP/nou8.log" "MAIL FROM" "12.1: checked before the first row"
start_smtpd u8 ""
write_conf u8.conf "$PORT"
mm send -c u8.conf -r u8r.csv --yes u8.csv tpl.txt
is "$RC" 0 "12.1: a server with SMTPUTF8: both rows sent"
is "$(stored u8)" 2 "12.1: two messages stored"
like "$TMP/u8.log" "RCPT TO:<사용자@xn--9d0b527e\.xn--3e0b707e>" \
    "12.1: the envelope has the A-label domain"
like "$TMP/u8.log" "MAIL FROM:<[^>]*> .*SMTPUTF8" "12.1: MAIL FROM asks for SMTPUTF8"

done_testing
