# TAP helpers for the command-line tests (sourced; bash).
# Each test script: . "$(dirname "$0")/lib.bash"; checks...; done_testing
set -u
T_N=0
T_FAIL=0
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MAILMERGE=${MAILMERGE:-$TOP/build/mailmerge}
PYTHON=${PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mmtest.XXXXXX")
trap 'rm -rf "$TMP"' EXIT  # replaced below once servers exist
cd "$TMP" || exit 1

# mm ARGS...: run mailmerge (under $MAILMERGE_WRAP if set: valgrind),
# stdout to $TMP/stdout, stderr to $TMP/stderr, status in $RC.
mm() {
	${MAILMERGE_WRAP:-} "$MAILMERGE" "$@" >"$TMP/stdout" 2>"$TMP/stderr"
	RC=$?
}

ok() {	# ok COND-STATUS DESCRIPTION
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T_N - $2"
	else
		echo "not ok $T_N - $2"
		T_FAIL=$((T_FAIL + 1))
	fi
}

is() {	# is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"
		printf '#   got:      %s\n#   expected: %s\n' "$1" "$2"
	fi
}

like() {	# like FILE REGEX DESCRIPTION
	if grep -Eq -- "$2" "$1"; then ok 0 "$3"; else
		ok 1 "$3"
		printf '#   %s does not match /%s/:\n' "$1" "$2"
		sed 's/^/#   | /' "$1" | head -20
	fi
}

unlike() {	# unlike FILE REGEX DESCRIPTION
	if grep -Eq -- "$2" "$1"; then
		ok 1 "$3"
		grep -E -- "$2" "$1" | sed 's/^/#   | /' | head -5
	else ok 0 "$3"; fi
}

# check_same FILE1 FILE2 DESCRIPTION (mblaze's check_same)
check_same() {
	if cmp -s "$1" "$2"; then ok 0 "$3"; else
		ok 1 "$3"
		diff -u "$1" "$2" | head -30 | sed 's/^/#   /'
	fi
}

# A leak or error under valgrind shows as exit status 99.
no_valgrind_error() {
	[ "$RC" -ne 99 ] || { ok 1 "valgrind reported errors"; sed 's/^/#   /' "$TMP/stderr" | head -40; }
}

done_testing() {
	echo "1..$T_N"
	[ "$T_FAIL" -eq 0 ]
}

# --- loopback SMTP servers for the send tests ---------------------------
SMTPD=${SMTPD:-$TOP/build/smtpd}
SERVER_PIDS=""

cleanup_servers() {
	local p
	for p in $SERVER_PIDS; do kill "$p" 2>/dev/null; done
	for p in $SERVER_PIDS; do wait "$p" 2>/dev/null; done
	SERVER_PIDS=""
}
# on_exit CMD: run CMD when the script ends, before the servers stop and
# $TMP goes.
EXIT_HOOKS=""
on_exit() {
	EXIT_HOOKS="$EXIT_HOOKS$1;"
}
trap 'eval "$EXIT_HOOKS"; cleanup_servers; rm -rf "$TMP"' EXIT

# stop_pid PID: SIGTERM, wait at most 10 s (then SIGKILL); status in $ST.
stop_pid() {
	local i
	kill "$1" 2>/dev/null
	for i in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$1" 2>/dev/null && { echo "# pid $1 ignored SIGTERM: SIGKILL"; kill -9 "$1"; }
	wait "$1" 2>/dev/null; ST=$?
}

# results NAME FILE: a checker's "RESULT<TAB>status<TAB>description"
# lines to TAP (prefixed "NAME: " when NAME is not empty), other lines
# to comments.
results() {
	local line st desc n=0
	while IFS= read -r line; do
		case $line in
		RESULT$'\t'*)
			line=${line#RESULT$'\t'}; st=${line%%$'\t'*}; desc=${line#*$'\t'}
			ok "$st" "${1:+$1: }$desc"; n=$((n + 1)) ;;
		*) printf '#   %s\n' "$line" ;;
		esac
	done <"$2"
	[ "$n" -gt 0 ] || ok 1 "${1:+$1: }the checker produced no results"
}

# make_certs: a test CA and server certificates in $TMP/certs.
make_certs() {
	[ -f "$TMP/certs/ca.pem" ] || "$TOP/tests/smtpd/mkcerts.sh" "$TMP/certs" >/dev/null
}

# start_smtpd NAME [SCRIPT] [OPTIONS...]: our test server on an
# ephemeral port, store $TMP/NAME.store, transcript $TMP/NAME.log;
# sets PORT.
start_smtpd() {
	local name=$1 script=${2:-} i
	shift 2 2>/dev/null || shift $#
	make_certs
	mkdir -p "$TMP/$name.store"
	printf '%s\n' "$script" >"$TMP/$name.script"
	rm -f "$TMP/$name.port"
	"$SMTPD" -p 0 --port-file "$TMP/$name.port" \
	    --cert "$TMP/certs/server.pem" --key "$TMP/certs/server-key.pem" \
	    -s "$TMP/$name.script" -d "$TMP/$name.store" -t "$TMP/$name.log" \
	    --max-seconds 120 "$@" 2>"$TMP/$name.err" &
	SERVER_PIDS="$SERVER_PIDS $!"
	for i in $(seq 100); do
		[ -s "$TMP/$name.port" ] && break
		sleep 0.05
	done
	PORT=$(cat "$TMP/$name.port" 2>/dev/null)
	[ -n "$PORT" ] || { echo "# smtpd did not start:"; sed 's/^/#   /' "$TMP/$name.err"; }
}

# conf_account NAME PORT [ROUTE [FROM]]: a custom account's section on
# 127.0.0.1 with the test CA (no route line when ROUTE is empty).
conf_account() {
	cat <<CONF
[$1]
provider = custom
host = 127.0.0.1
port = $2
ca_file = $TMP/certs/ca.pem
user = demo
from = ${4:-Demo Sender <demo@example.com>}
password_env = MM_TEST_PASSWORD
${3:+route = $3}
timeout = 5
CONF
}

# write_conf FILE PORT [EXTRA-LINES]: one custom account on 127.0.0.1.
write_conf() {
	{ conf_account lab "$2" '*'; printf '%s\n' "${3:-}"; } >"$1"
}
export MM_TEST_PASSWORD=demo-password

# stored NAME: how many messages the server NAME stored.
stored() {
	ls "$TMP/$1.store" | grep -c '\.eml$'
}

# --- killing a send at random moments (send_resume.sh, send_scale.sh) ----
# Each DIR holds mm.conf, report.csv and the logs; roster.csv and tpl.txt
# are in $TMP.  MMPID is the running client, for on_exit.
MMPID=

# size FILE: its size in bytes, 0 when missing.
size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# killed_run DIR MS NOWAIT [--resume]: send in the background; unless
# NOWAIT, once the report has grown (this run journaled its first line: a
# row is in flight) or the run ended, wait MS ms more, else MS ms after
# the start; then SIGKILL.  Waiting for the journal keeps the kills
# mid-batch however slow the client is (valgrind).  Appends "[+]MS status"
# to DIR/kills; a report a kill left ending inside a line is noted in
# DIR/torn (the next resume repairs it).
killed_run() {
	local dir=$1 ms=$2 nowait=$3 st size0 i
	shift 3
	size0=$(size "$dir/report.csv")
	${MAILMERGE_WRAP:-} "$MAILMERGE" send -c "$dir/mm.conf" -r "$dir/report.csv" \
	    "$@" --yes roster.csv tpl.txt >>"$dir/killed.out" 2>&1 &
	MMPID=$!
	if [ "$nowait" = 0 ]; then
		for i in $(seq 3000); do	# 30 s
			kill -0 "$MMPID" 2>/dev/null || break
			[ "$(size "$dir/report.csv")" = "$size0" ] || break
			sleep 0.01
		done
	fi
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	kill -9 "$MMPID" 2>/dev/null
	wait "$MMPID" 2>/dev/null; st=$?
	MMPID=
	echo "$([ "$nowait" = 1 ] && echo +)$ms $st" >>"$dir/kills"
	if [ -s "$dir/report.csv" ] && [ "$(tail -c1 "$dir/report.csv" | od -An -c | tr -d ' ')" != '\n' ]; then
		i=$(size "$dir/report.csv")
		echo "after a kill at $ms ms: torn last line (report size $i, $((i % 4096)) past a 4096-byte page)" >>"$dir/torn"
	fi
}

# final_run DIR [SECONDS]: resume until a run ends by itself with nothing
# left to retry (at most 3 runs, each under a timeout); status in RC.
final_run() {
	local dir=$1 i
	for i in 1 2 3; do
		MAILMERGE_WRAP="timeout ${2:-60} ${MAILMERGE_WRAP:-}" \
		    mm send -c "$dir/mm.conf" -r "$dir/report.csv" --resume --yes \
		    roster.csv tpl.txt
		cp "$TMP/stdout" "$dir/final.out"; cp "$TMP/stderr" "$dir/final.err"
		echo "# $dir: resume without a kill: exit $RC ($(tail -1 "$dir/final.out"))"
		[ "$RC" -eq 75 ] && grep -q ',deferred,\|,skipped,\|,failed,' "$dir/report.csv" || break
	done
	no_valgrind_error
}
