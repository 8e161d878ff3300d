#!/bin/bash
# Issue 13 item 6: the roster's "provider" column is named in one place
# (job_provider_col()): it routes a row to an account in preview -c as
# in send, it is never called an unused column, and a route error names
# the row in front of the config's reason (err_prefix()).
. "$(dirname "$0")/lib.bash"

cat >mm.conf <<'CONF'
[gmail]
user = prof@gmail.com
from = 홍길동 <prof@gmail.com>
password_env = NOT_NEEDED_FOR_PREVIEW
route = *

[naver]
user = profid
password_env = NOT_NEEDED_EITHER
route = naver.com
CONF
chmod 600 mm.conf
printf 'To: {{이름}} <{{email}}>\nSubject: hi\n\nhello\n' >t.txt

printf '이름,email,provider\n김민준,kim@example.com,naver\n이서연,lee@naver.com,gmail\n' >r.csv
mm preview -c mm.conf -o p1 r.csv t.txt
is "$RC" 0 "preview -c with a provider column: exit 0"
grep -h '^From:' p1/0001-*.eml >f1.txt
grep -h '^From:' p1/0002-*.eml >f2.txt
like f1.txt '^From: profid@naver\.com' "row 1: the provider column's [naver] wins over route = *"
like f2.txt 'prof@gmail\.com' "row 2: the provider column's [gmail] wins over route = naver.com"
unlike stderr "column 'provider'" "the provider column is not called unused"

printf '이름,email,provider\n김민준,kim@example.com,nowhere\n' >bad.csv
mm preview -c mm.conf -o p2 bad.csv t.txt
is "$RC" 65 "a provider no section has: 65"
like stderr 'row 1: .*nowhere' "the error names the row, then the config's reason"

printf '이름,email,extra\n김민준,kim@example.com,x\n' >extra.csv
mm preview -c mm.conf -o p3 extra.csv t.txt
like stderr "column 'extra'" "another unused column is still named"

done_testing
