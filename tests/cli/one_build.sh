#!/bin/bash
# Issue 13.9 and 13.10: the validation pass builds each message as the
# send does (message_build(), contents counted, not encoded), so what it
# refuses is what the build would refuse; a row's files live in one
# struct attach_set, attachments and inline images together.
. "$(dirname "$0")/lib.bash"

printf 'name,email\n김민준,kim@example.com\n' >roster.csv
head -c 3000 /dev/urandom >syllabus.pdf
printf '\x89PNG\r\n\x1a\n0000' >logo.png

# -- attachments and inline images in one message -----------------------
cat >both.txt <<'T'
From: p@example.com
To: {{name}} <{{email}}>
Subject: 안내
Content-Type: text/markdown
Attachment: syllabus.pdf

![logo](logo.png) 안녕하세요
T
mm preview -o both roster.csv both.txt
is "$RC" 0 "an attachment and an inline image: exit 0"
eml=both/0001-kim@example.com.eml
"$PYTHON" - "$eml" >parts.out 2>&1 <<'P'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
for p in m.walk():
    if not p.is_multipart():
        print(p.get_content_type(), p.get_filename(), p.get("Content-ID"), len(p.get_payload(decode=True)))
P
like parts.out '^application/pdf syllabus.pdf None 3000$' "the attachment, named and whole"
like parts.out '^image/png logo.png <img1\.' "the inline image, with its Content-ID"

# -- the size limit, as built: the real type counts ----------------------
# A message is refused over 35,000,000 octets (MESSAGE_MIXED_MAX).  57
# octets of file take one 78-octet base64 line, so the file is grown by
# whole lines to end within one line of the limit: it must pass, and
# one line more must not.  A bound on the type's length (as the old
# check pass assumed) would refuse the first.
cat >size.txt <<'T'
From: p@example.com
To: {{name}} <{{email}}>
Subject: size
Attachment: big.pdf

x
T
head -c $((57 * 400000)) /dev/zero >big.pdf
mm preview -o s0 roster.csv size.txt
is "$RC" 0 "a 22.8 MB file: exit 0"
l0=$(size s0/0001-kim@example.com.eml)
m=$(( (35000000 - l0) / 78 ))
head -c $((57 * (400000 + m))) /dev/zero >big.pdf
mm preview -o s1 roster.csv size.txt
is "$RC" 0 "a message within 78 octets of the limit passes the validation pass"
l1=$(size s1/0001-kim@example.com.eml)
ok $(( l1 <= 35000000 && l1 > 35000000 - 78 ? 0 : 1 )) "it is that size ($l1)"
head -c $((57 * (400000 + m + 1))) /dev/zero >big.pdf
mm preview -o s2 roster.csv size.txt
is "$RC" 65 "one line more: refused"
like "$TMP/stderr" 'over the limit of 35 MB' "one line more: says the limit"
ok $([ ! -e s2/0001-kim@example.com.eml ]; echo $?) "one line more: nothing written"

done_testing
