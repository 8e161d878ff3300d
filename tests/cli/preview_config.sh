#!/bin/bash
# Item 11 of issue 10: preview -c CONFIG takes From from the account a
# row would be sent through (as send does) when the template has none.
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
printf '이름,email\n김민준,kim@example.com\n이서연,lee@naver.com\n' >r.csv
printf 'To: {{이름}} <{{email}}>\nSubject: hi\n\nhello\n' >nofrom.txt

mm preview -o p0 r.csv nofrom.txt
is "$RC" 65 "without -c, a template without From is an error"
like stderr "pass -c CONFIG" "which says -c would take the account's"

mm preview -c mm.conf -o p1 r.csv nofrom.txt
is "$RC" 0 "preview -c: exit 0"
no_valgrind_error
grep -h '^From:' p1/0001-*.eml >f1.txt
grep -h '^From:' p1/0002-*.eml >f2.txt
like f1.txt 'prof@gmail\.com' "row 1 (routed to [gmail]) has the gmail account's From"
like f2.txt '^From: profid@naver\.com' "row 2 (routed to [naver]) has the naver address"
unlike stderr "password|NOT_NEEDED" "preview asks for no password"

printf 'From: Me <me@example.com>\nTo: {{이름}} <{{email}}>\nSubject: hi\n\nhello\n' >from.txt
mm preview -c mm.conf -o p2 r.csv from.txt
like p2/0001-kim@example.com.eml '^From: Me <me@example\.com>' "the template's own From wins"

mm preview -c nothere.conf -o p3 r.csv nofrom.txt
is "$RC" 66 "a missing -c file: 66"
done_testing
