#!/bin/bash
# report shows who each row is: the student's name from the roster's name
# column (이름, 성명, name, ...) next to the row and address, in the
# terminal table, --json and --html (issue 11).
. "$(dirname "$0")/lib.bash"
S=$TOP/samples
T=$TOP/templates/announcement.txt

start_smtpd names 'REPLY RCPT:seoyeon.lee@example.org 550 5.1.1 no such user'
write_conf names.conf "$PORT"
mm send -c names.conf -r names.csv --yes -n 3 "$S/roster.csv" "$T"
is "$RC" 67 "setup: row 2 refused (67)"
name2=$(sed -n '3p' "$S/roster.csv" | cut -d, -f1)
ok "$([ -n "$name2" ]; echo $?)" "setup: row 2's name in the roster is '$name2'"

mm report names.csv
like stdout '^ +ROW +RECIPIENT +NAME +ACCOUNT +STATUS' "the table has a NAME column"
like stdout "^ +2  seoyeon\\.lee@example\\.org +$name2 +lab +failed +550 5\\.1\\.1" \
    "row 2's line names the student"

mm report --json names.csv
"$PYTHON" - "$TMP/stdout" "$name2" <<'PY' >json.out 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
rows = {r["row"]: r for r in d["not_delivered"]}
assert rows[2]["name"] == sys.argv[2], rows[2]
PY
ok $? "--json: a row not delivered has the student's name"
sed 's/^/#   /' json.out | tail -3

mm report --html names.html names.csv
like names.html '<th>Name</th>' "--html: a Name column"
like names.html "<td>$name2</td>" "--html: row 2's name"

# A roster without a name column: the column shows "-", JSON null.
printf 'email\nminjun.kim@example.com\nseoyeon.lee@example.org\n' >noname.csv
printf 'From: P <p@example.com>\nTo: {{email}}\nSubject: s\n\nhi\n' >noname.txt
mm send -c names.conf -r noname-r.csv --yes noname.csv noname.txt
mm report noname-r.csv
like stdout "^ +2  seoyeon\\.lee@example\\.org +- +lab +failed" "no name column: '-'"
mm report --json noname-r.csv
like stdout '"name": null' "--json: null"

done_testing
