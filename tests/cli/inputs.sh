#!/bin/bash
# Inputs the tool must refuse or repair at once (issue 14.13, 14.16): a
# FIFO (or any non-regular file) as roster or template is refused, never
# waited on; --delimiter takes only what README lists; a roster with two
# BOMs reads like one with one; "refusing to send the password in the
# clear" is said only when there is a password to send.
. "$(dirname "$0")/lib.bash"
S=$TOP/samples
T=$TOP/templates/announcement.txt

# mm_bounded SECONDS ARGS...: mm, killed after SECONDS (status 124).
mm_bounded() {
	local s=$1
	shift
	timeout "$s" ${MAILMERGE_WRAP:-} "$MAILMERGE" "$@" >"$TMP/stdout" \
	    2>"$TMP/stderr"
	RC=$?
}

# -- 14.13: a FIFO never hangs the run ---------------------------------------
mkfifo "$TMP/fifo.csv" "$TMP/fifo.txt"
for verb in preview; do
	mm_bounded 10 "$verb" "$TMP/fifo.csv" "$T"
	is "$RC" 66 "$verb: a FIFO roster is refused at once (EX_NOINPUT)"
	like "$TMP/stderr" 'fifo\.csv.*not a regular file' \
	    "$verb: the message names the roster and says why"
	mm_bounded 10 "$verb" "$S/roster.csv" "$TMP/fifo.txt"
	is "$RC" 66 "$verb: a FIFO template is refused at once (EX_NOINPUT)"
	like "$TMP/stderr" 'fifo\.txt.*not a regular file' \
	    "$verb: the message names the template and says why"
done
mm_bounded 10 preview "$TMP" "$T"
is "$RC" 66 "preview: a folder as roster is refused (EX_NOINPUT)"
write_conf "$TMP/mm.conf" 9
mm_bounded 10 send -c "$TMP/mm.conf" --yes -r "$TMP/fifo.report.csv" \
    "$TMP/fifo.csv" "$T"
is "$RC" 66 "send: a FIFO roster is refused before any connection"

# -- 14.16: --delimiter only as README lists it ------------------------------
for d in , ';' tab; do
	mm preview -n 1 --delimiter "$d" "$S/roster.csv" "$T"
	[ "$RC" -ne 64 ]
	ok $? "--delimiter '$d' is accepted ($RC)"
done
for d in '|' ':' a 'x y' ''; do
	mm preview --delimiter "$d" "$S/roster.csv" "$T"
	is "$RC" 64 "--delimiter '$d' is a usage error"
	grep -qF -- "--delimiter takes ',' ';' or 'tab', not '$d'" \
	    "$TMP/stderr"
	ok $? "--delimiter '$d': the error lists what is accepted"
done

# -- 14.16: two BOMs at the start of a roster --------------------------------
printf '\357\273\277' >"$TMP/bom1.csv"
cat "$S/roster.csv" >>"$TMP/bom1.csv"
printf '\357\273\277' >"$TMP/bom2.csv"
cat "$TMP/bom1.csv" >>"$TMP/bom2.csv"
mm preview -n 2 -o "$TMP/out" "$TMP/bom1.csv" "$T"
cp "$TMP/stdout" "$TMP/bom1.out"
mm preview -n 2 -o "$TMP/out" "$TMP/bom2.csv" "$T"
is "$RC" 0 "a roster with two BOMs previews (exit 0)"
sed 's/bom2\.csv/bom1.csv/; /^Message-ID:/d' "$TMP/stdout" >"$TMP/bom2.out"
sed -i '/^Message-ID:/d' "$TMP/bom1.out"
check_same "$TMP/bom1.out" "$TMP/bom2.out" \
    "two BOMs read like one (same preview)"

# -- 14.16: no STARTTLS and no password: an accurate refusal -----------------
start_smtpd plain 'NOSTARTTLS'
write_conf "$TMP/plain.conf" "$PORT"
mm_bounded 30 send -c "$TMP/plain.conf" --yes -n 1 -r "$TMP/plain1.csv" \
    "$S/roster.csv" "$T"
like "$TMP/stderr" 'refusing to send the password in the clear' \
    "no STARTTLS, a password: refuses to send the password in the clear"
grep -v '^password_env' "$TMP/plain.conf" |
    sed 's/^user = demo$/auth = none/' >"$TMP/plain-none.conf"
mm_bounded 30 send -c "$TMP/plain-none.conf" --yes -n 1 \
    -r "$TMP/plain2.csv" "$S/roster.csv" "$T"
[ "$RC" -ne 0 ]
ok $? "no STARTTLS, auth = none: still refused ($RC)"
unlike "$TMP/stderr" 'password' \
    "no STARTTLS, auth = none: no word of a password"
like "$TMP/stderr" 'refusing to send mail in the clear' \
    "no STARTTLS, auth = none: says what it refuses"
is "$(stored plain)" 0 "no STARTTLS: nothing stored"

done_testing
