#!/bin/bash
# make demo: the whole job through a local server, as README's first
# set-up command runs it, into a temporary folder: the user's out/ is
# never touched by the tests.
. "$(dirname "$0")/lib.bash"
fingerprint() {	# what is in the user's out/demo, with times
	if [ -e "$TOP/out/demo" ]; then
		find "$TOP/out/demo" -printf '%p %T@\n' | sort | md5sum
	else echo absent; fi
}
before=$(fingerprint)
out=$(cd "$TOP" && MAILMERGE=$MAILMERGE SMTPD=$SMTPD timeout 120 tests/demo.sh "$TMP/demo" 2>&1)
rc=$?
printf '%s\n' "$out" >demo.out
is "$rc" 0 "make demo's script exits 0"
like demo.out 'sent 20, failed 0' "it sends the 20 sample rows"
like demo.out "$TMP/demo/store" "it says where the delivered messages are"
is "$(fingerprint)" "$before" "the user's out/demo is left as it was"
is "$(ls "$TMP/demo/store" | grep -c '\.eml$')" 20 "the server stored 20 messages"
is "$("$PYTHON" "$TOP/tests/cli/report_rows.py" "$TMP/demo/report.csv" | awk '$2=="sent"' | wc -l)" 20 \
    "the demo report has 20 rows sent"
ok "$(pgrep -f "$TMP/demo/port" >/dev/null; [ $? -ne 0 ]; echo $?)" "the server was stopped"
done_testing
