#!/bin/bash
# Item 8 of issue 10: relative paths.  ca_file is found from the config
# file's folder; reports record absolute roster and template paths, so
# report --failed-csv works from any folder; older reports with relative
# paths still work, from the report's folder (or its parent) or the cwd.
. "$(dirname "$0")/lib.bash"

mkdir -p batch/cfg batch/out elsewhere
printf '이름,email\n김민준,kim@example.com\n이서연,lee@example.org\n박지호,park@example.net\n' >batch/r.csv
printf 'From: Demo <demo@example.com>\nTo: {{이름}} <{{email}}>\nSubject: hi\n\nhello {{이름}}\n' >batch/t.txt
start_smtpd pa 'REPLY RCPT:lee@example.org 550 5.1.1 no such user'
cp "$TMP/certs/ca.pem" batch/cfg/campus-ca.pem
write_conf batch/cfg/mm.conf "$PORT"
sed -i "s|^ca_file = .*|ca_file = campus-ca.pem|" batch/cfg/mm.conf

# The config is read from another folder: ca_file must be found beside it.
cd batch && mm send -c cfg/mm.conf -r out/rep.csv --yes r.csv t.txt; cd "$TMP"
is "$RC" 67 "send with a relative ca_file from another folder: TLS verified, one row refused (67)"
is "$(stored pa)" 2 "two mails delivered"
unlike stderr "not trusted|ca_file" "no certificate complaint"

abs=$(cd batch && pwd)
like batch/out/rep.csv "^1,.*,$abs/r\.csv,[0-9a-f]{64},$abs/t\.txt," \
    "the report records absolute roster and template paths"

# report --failed-csv from an unrelated folder.
cd elsewhere && mm report --failed-csv retry.csv ../batch/out/rep.csv; cd "$TMP"
is "$RC" 0 "report --failed-csv from another folder: exit 0"
is "$(cat elsewhere/retry.csv 2>/dev/null | tr -d '\r' | tr '\n' '|')" "이름,email|이서연,lee@example.org|" \
    "the retry roster holds the refused row"

# An older report: relative roster path (from where that batch ran).
sed "s|$abs/||g" batch/out/rep.csv >batch/out/old.csv
like batch/out/old.csv "^1,.*,r\.csv,[0-9a-f]{64},t\.txt," "(an old-style report with relative paths)"
cd elsewhere && mm report --failed-csv retry2.csv ../batch/out/old.csv; cd "$TMP"
is "$RC" 0 "old report, relative roster: found from the report's folder's parent"
check_same elsewhere/retry.csv elsewhere/retry2.csv "the same retry roster"
cp batch/out/old.csv batch/old2.csv
cd elsewhere && mm report --failed-csv retry3.csv ../batch/old2.csv; cd "$TMP"
is "$RC" 0 "old report beside the roster: found from the report's folder"
cd batch && mm report --failed-csv ../elsewhere/retry4.csv out/old.csv; cd "$TMP"
is "$RC" 0 "old report run where the batch ran: found from the cwd"
# A relative path naming a changed file is still refused.
cp batch/out/old.csv elsewhere/old.csv
printf '이름,email\nX,x@example.com\n' >elsewhere/r.csv
cd elsewhere && mm report --failed-csv retry5.csv old.csv; cd "$TMP"
is "$RC" 65 "a different r.csv where the report points: refused (65)"
like stderr "changed since the report was written" "and says the roster changed"
done_testing
