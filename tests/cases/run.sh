#!/bin/bash
# Protocol cases as data, in the curl style: each folder
# tests/cases/NNN-name/ is one run of mailmerge against our scripted
# loopback server, and the files in it say what to run and what must
# come out.  Run them all (make test), or one: make test CASE=042.
#
#   server      the smtpd fault script (may be empty)
#   smtpd       extra smtpd options, one line; @TMP@ is the test folder
#   conf        "key = value" lines: set in the default one-account
#               config (tests/cli/lib.bash write_conf), or
#   conf.full   a whole config (@PORT@, @TMP@ replaced)
#   env         VAR=value lines exported for the run
#   args        mailmerge's arguments; default "send --yes --trace";
#               -c, -r, the roster and the template are added unless
#               the line holds @CONF@ (then @REPORT@, @ROSTER@ and
#               @TEMPLATE@ are replaced and nothing is added)
#   roster.csv, template.txt   default samples/roster.csv and
#               templates/announcement.txt
#   expect      one assertion a line (see below), each one TAP test
#   expect.report  the report's rows exactly: "ROW STATUS CODE ATTEMPTS
#               RECIPIENTS", as tests/cli/report_rows.py prints them
#
# Assertions in expect:
#   exit N, exit !N          mailmerge's exit status is (is not) N
#   stored N                 messages the server stored
#   sessions N               SMTP sessions the server saw
#   row N STATUS [CODE]      the report's last line for row N
#   rows STATUS N            how many rows end with STATUS
#   within N                 the run took at most N seconds
#   stdout|stderr|transcript|report /RE/      matches (grep -E)
#   stdout|stderr|transcript|report !/RE/     does not match
#   count transcript /RE/ N  lines of the transcript that match
# Every case also checks, without being asked: no password or AUTH
# payload in stdout, stderr or the report; no AUTH before the TLS
# handshake; no envelope (recipient list) stored twice.
. "$(dirname "$0")/../cli/lib.bash"
CASES=$TOP/tests/cases
SECRETS="demo-password|$(printf '\0demo\0demo-password' | base64 | tr -d =)|$(printf 'demo-password' | base64 | tr -d =)"

# expand FILE: its text with @PORT@ @TMP@ @CONF@ @REPORT@ @ROSTER@
# @TEMPLATE@ replaced.
expand() {
	sed -e "s|@PORT@|$PORT|g" -e "s|@TMP@|$TMP|g" -e "s|@CONF@|$CONF|g" \
	    -e "s|@REPORT@|$REPORT|g" -e "s|@ROSTER@|$ROSTER|g" \
	    -e "s|@TEMPLATE@|$TEMPLATE|g" "$1"
}

# check NAME LINE: one assertion of an expect file.
check() {
	local name=$1 line=$2 what re want got
	set -- $line
	what=$1
	case $what in
	exit) case $2 in
	    !*) ok "$([ "$RC" -ne "${2#!}" ]; echo $?)" "$name: $line (status $RC)" ;;
	    *) is "$RC" "$2" "$name: $line" ;;
	    esac ;;
	stored) is "$(stored "$name")" "$2" "$name: $line" ;;
	sessions) is "$(grep -c '^-- connection [0-9]* opened' "$TMP/$name.log")" \
	    "$2" "$name: $line" ;;
	row) is "$(rows "$name" | awk -v r="$2" -v c="${4:-}" \
	    '$1 == r { print $2 (c == "" ? "" : " " $3) }')" \
	    "$3${4:+ $4}" "$name: $line" ;;
	rows) is "$(rows "$name" | awk -v s="$2" '$2 == s' | wc -l)" "$3" \
	    "$name: $line" ;;
	within) ok "$([ "$SECS" -le "$2" ]; echo $?)" "$name: $line (took $SECS s)" ;;
	count) re=${line#count transcript /}; want=${re##*/ }; re=${re% *}
	    re=${re%/}
	    is "$(grep -Ec -- "$re" "$TMP/$name.log")" "$want" "$name: $line" ;;
	stdout|stderr|transcript|report)
		local f
		case $what in
		stdout) f=$TMP/$name.out ;; stderr) f=$TMP/$name.err2 ;;
		transcript) f=$TMP/$name.log ;; report) f=$REPORT ;;
		esac
		re=${line#"$what "}
		if [ "${re#!}" != "$re" ]; then
			re=${re#!/}; unlike "$f" "${re%/}" "$name: $line"
		else
			re=${re#/}; like "$f" "${re%/}" "$name: $line"
		fi ;;
	*) ok 1 "$name: unknown assertion '$line'" ;;
	esac
}

rows() { "$PYTHON" "$TOP/tests/cli/report_rows.py" "$REPORT" 2>/dev/null; }

# run_case DIR: start its server, run mailmerge, check everything.
run_case() {
	local dir=$1 name opts args t0 line f key
	name=$(basename "$dir")
	opts=""
	[ -f "$dir/smtpd" ] && opts=$(sed "s|@TMP@|$TMP|g" "$dir/smtpd")
	make_certs
	# shellcheck disable=SC2086
	start_smtpd "$name" "$(cat "$dir/server" 2>/dev/null)" $opts
	CONF=$TMP/$name.conf REPORT=$TMP/$name.csv
	ROSTER=$TOP/samples/roster.csv TEMPLATE=$TOP/templates/announcement.txt
	[ -f "$dir/roster.csv" ] && ROSTER=$dir/roster.csv
	[ -f "$dir/template.txt" ] && TEMPLATE=$dir/template.txt
	if [ -f "$dir/conf.full" ]; then
		expand "$dir/conf.full" >"$CONF"
	else
		write_conf "$CONF" "$PORT"
		[ -f "$dir/conf" ] && while IFS= read -r line; do
			key=${line%%=*}
			if grep -q "^$key=" "$CONF"; then
				sed -i "s|^$key=.*|$line|" "$CONF"
			else
				echo "$line" >>"$CONF"
			fi
		done <"$dir/conf"
	fi
	args="send --yes --trace"
	[ -f "$dir/args" ] && args=$(expand "$dir/args")
	case $args in
	*"$CONF"*) ;;
	*) args="$args -c $CONF -r $REPORT $ROSTER $TEMPLATE" ;;
	esac
	t0=$(date +%s%N)
	# shellcheck disable=SC2086
	(
		[ -f "$dir/env" ] && { set -a; . "$dir/env"; set +a; }
		exec timeout 60 ${MAILMERGE_WRAP:-} "$MAILMERGE" $args
	) >"$TMP/$name.out" 2>"$TMP/$name.err2" </dev/null
	RC=$?
	SECS=$((($(date +%s%N) - t0) / 1000000000))
	no_valgrind_error
	[ "$RC" -lt 124 ]
	ok $? "$name: mailmerge finished by itself (status $RC)" ||
	    sed 's/^/#   | /' "$TMP/$name.err2" | tail -5
	while IFS= read -r line; do
		case $line in ''|'#'*) continue ;; esac
		check "$name" "$line"
	done <"$dir/expect"
	[ -f "$dir/expect.report" ] &&
	    check_same "$dir/expect.report" <(rows "$name") "$name: the report's rows"
	for f in "$TMP/$name.out" "$TMP/$name.err2" "$REPORT"; do
		[ -f "$f" ] && unlike "$f" "$SECRETS" "$name: no password in ${f##*/}"
	done
	awk '/^-- STARTTLS handshake ok/ { tls = 1 } /^C: AUTH/ && !tls { bad = 1 }
	    END { exit bad }' "$TMP/$name.log"
	ok $? "$name: no AUTH before the TLS handshake"
	is "$(cut -f3 "$TMP/$name.store/index.tsv" 2>/dev/null |
	    sort | uniq -d | wc -l)" 0 "$name: no envelope stored twice"
	cleanup_servers
}

n=0
for dir in "$CASES"/[0-9][0-9][0-9]-*/; do
	dir=${dir%/}
	case ${CASE:-} in
	'') ;;
	*) case $(basename "$dir") in "$CASE"|"$CASE"-*) ;; *) continue ;; esac ;;
	esac
	run_case "$dir"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || ok 1 "no case matches CASE=${CASE:-}"
done_testing
