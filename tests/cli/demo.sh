#!/bin/bash
# make demo: the whole job through a local server, as README's first
# set-up command runs it.
. "$(dirname "$0")/lib.bash"
out=$(cd "$TOP" && MAILMERGE=$MAILMERGE SMTPD=$SMTPD timeout 120 tests/demo.sh 2>&1)
rc=$?
printf '%s\n' "$out" >demo.out
is "$rc" 0 "make demo's script exits 0"
like demo.out 'sent 20, failed 0' "it sends the 20 sample rows"
like demo.out 'out/demo/store' "it says where the delivered messages are"
is "$(ls "$TOP/out/demo/store" | grep -c '\.eml$')" 20 "the server stored 20 messages"
is "$("$PYTHON" "$TOP/tests/cli/report_rows.py" "$TOP/out/demo/report.csv" | awk '$2=="sent"' | wc -l)" 20 \
    "the demo report has 20 rows sent"
ok "$(pgrep -f "out/demo/port" >/dev/null; [ $? -ne 0 ]; echo $?)" "the server was stopped"
done_testing
