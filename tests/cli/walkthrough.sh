#!/bin/bash
# Issue 10 item 6: README's walk-through runs as written.  Every command
# block of its "Walk-through" section is extracted and run, in order, in
# one shell (set -e: any failing command fails the test), in a scratch
# copy of the samples and templates with build/ pointing at the binaries
# under test: the user's out/ is never touched.
. "$(dirname "$0")/lib.bash"
BIN=$(cd "$(dirname "$MAILMERGE")" && pwd)
[ -x "$BIN/smtpd" ] || ok 1 "the test server is next to mailmerge ($BIN/smtpd)"

mkdir -p tree/tests/smtpd
cp -r "$TOP/samples" "$TOP/templates" tree/
cp "$TOP/tests/smtpd/mkcerts.sh" tree/tests/smtpd/
ln -s "$BIN" tree/build

# The section's indented blocks, 4 spaces removed, in order.
awk '/^## Walk-through/ {on = 1; next}
     on && /^## / {exit}
     on && /^    / {print substr($0, 5)}' "$TOP/README.md" >walk.sh
ok "$([ "$(grep -c . walk.sh)" -ge 10 ]; echo $?)" "the walk-through has command blocks ($(grep -c . walk.sh) lines)"
like walk.sh '^build/mailmerge send ' "it sends"
like walk.sh '^build/mailmerge report ' "it reviews the report"
unlike walk.sh 'report-20[0-9]{6}-' "no invented report name"

(cd tree && timeout 120 bash -e ../walk.sh) >walk.out 2>&1
is "$?" 0 "every command of the walk-through runs as written"
sed 's/^/#   /' walk.out | tail -15
like walk.out 'previewed 20 rows' "the preview renders the 20 sample rows"
like walk.out 'logged in as demo' "check logs in"
like walk.out '^sent 20, failed 0' "send sends the 20 rows"
like walk.out '^Every row was accepted' "report: every row accepted"
is "$(ls tree/out/walk/store | grep -c '\.eml$')" 20 "the server stored 20 messages"
is "$(ls tree/out/report-*.csv | wc -l)" 1 "send wrote one report into out/"
left=0	# a server still running in our scratch tree
for pid in $(pgrep -f 'out/walk/port'); do
	[ "$(readlink "/proc/$pid/cwd")" = "$TMP/tree" ] && { left=1; kill "$pid"; }
done
is "$left" 0 "the walk-through stopped the server"
done_testing
