#!/bin/bash
# make demo: the whole job on this machine, no account needed.  Starts
# the project's test SMTP server on 127.0.0.1 (STARTTLS with a
# certificate made on the spot, AUTH), sends the sample roster through
# it with mailmerge send, reviews the report, shows where the delivered
# messages are, and stops the server.
#
#   tests/demo.sh [DIR]    everything goes into DIR (default out/demo;
#                          the tests pass a temporary folder)
set -u
cd "$(dirname "$0")/.." || exit 1
MAILMERGE=${MAILMERGE:-build/mailmerge}
SMTPD=${SMTPD:-build/smtpd}
D=${1:-out/demo}
ROSTER=${ROSTER:-samples/roster.csv}
TEMPLATE=${TEMPLATE:-templates/announcement.txt}

rm -rf "$D"
mkdir -p "$D"
tests/smtpd/mkcerts.sh "$D/certs" >/dev/null || exit 1
"$SMTPD" -p 0 --port-file "$D/port" --cert "$D/certs/server.pem" \
    --key "$D/certs/server-key.pem" -d "$D/store" -t "$D/transcript.log" \
    --max-seconds 300 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$D/port" ] && break; sleep 0.05; done
[ -s "$D/port" ] || { echo "demo: the test server did not start" >&2; exit 1; }

cat >"$D/mailmerge.conf" <<CONF
; The demo account: the project's test server on this machine.
[demo]
provider = custom
host = 127.0.0.1
port = $(cat "$D/port")
ca_file = certs/ca.pem
user = demo
password_env = MAILMERGE_DEMO_PASSWORD
from = 홍길동 교수 <prof.hong@example.com>
route = *
CONF
export MAILMERGE_DEMO_PASSWORD=demo-password

echo "== mailmerge send (through the local test server, 127.0.0.1:$(cat "$D/port"))"
"$MAILMERGE" send -c "$D/mailmerge.conf" -r "$D/report.csv" --yes \
    "$ROSTER" "$TEMPLATE"
rc=$?
echo
if "$MAILMERGE" report --help >/dev/null 2>&1; then
	echo "== mailmerge report $D/report.csv"
	"$MAILMERGE" report "$D/report.csv"
	echo
fi
n=$(ls "$D/store" 2>/dev/null | grep -c '\.eml$')
echo "== The server stored $n messages in $D/store/ (one .eml file each;"
echo "   index.tsv lists each envelope).  The SMTP dialogue is in"
echo "   $D/transcript.log.  Read one: less $D/store/000001.eml"
exit $rc
