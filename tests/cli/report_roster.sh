#!/bin/bash
# Issue 10 item 3: report counts against the roster.  After a send
# limited with -n (or interrupted), the rows never tried are shown as
# such, never "Every row was accepted"; the exact command that continues
# is printed; exit 75 while rows remain.
. "$(dirname "$0")/lib.bash"
cp "$TOP/samples/roster.csv" roster.csv
cp "$TOP/templates/announcement.txt" tpl.txt
start_smtpd part
write_conf part.conf "$PORT"
mm send -c part.conf -r part.csv --yes -n 10 roster.csv tpl.txt
is "$RC" 0 "send -n 10: the 10 rows are sent"

mm report part.csv
cp "$TMP/stdout" text.out
is "$RC" 75 "report: exit 75 while rows remain to be sent"
like text.out "^Roster: +$TMP/roster\\.csv \\(20 rows\\)" "the roster's rows are counted"
like text.out '^  not tried +10 ' "10 rows shown as not tried"
unlike text.out 'Every row was accepted' "never 'Every row was accepted'"
like text.out '^Not sent yet: 10 rows of the roster never tried' "says what is not sent yet"
like text.out "^  mailmerge send --resume -r part\\.csv $TMP/roster\\.csv $TMP/tpl\\.txt\$" \
    "the exact command that continues"

mm report --json part.csv
"$PYTHON" - "$TMP/stdout" "$TMP" <<'PY' >json.out 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
tmp = sys.argv[2]
assert d["roster_rows"] == 20, d["roster_rows"]
assert d["not_tried"] == 10, d["not_tried"]
assert d["remaining"] == 10, d["remaining"]
assert d["resume_command"] == "mailmerge send --resume -r part.csv %s/roster.csv %s/tpl.txt" % (tmp, tmp), d["resume_command"]
PY
ok $? "--json: roster_rows 20, not_tried 10, the resume command"
sed 's/^/#   /' json.out | tail -3
is "$RC" 75 "--json: exit 75 too"

mm report --html part.html part.csv
is "$RC" 75 "--html: exit 75 too"
like part.html 'Not tried \(10\)' "--html: the rows not tried"
like part.html "mailmerge send --resume -r part\\.csv $TMP/roster\\.csv $TMP/tpl\\.txt" "--html: the command"

# The printed command (with this run's -c) sends the rest.
cmd=$(sed -n 's/^  mailmerge send //p' text.out)
mm send -c part.conf $cmd --yes
is "$RC" 0 "the printed command sends the other 10"
is "$(stored part)" 20 "20 stored in all"
mm report part.csv
is "$RC" 0 "report after the rest: exit 0"
like "$TMP/stdout" 'Every row was accepted' "now every row was accepted"
unlike "$TMP/stdout" 'not tried|mailmerge send --resume' "nothing left to continue"

# A preview's report is not a send: nothing to continue.
mm preview -o prev -n 5 roster.csv tpl.txt
mm report prev/report.csv
is "$RC" 0 "a preview's report: exit 0"
unlike "$TMP/stdout" 'not tried|--resume' "a preview's report: no continuation"
done_testing
