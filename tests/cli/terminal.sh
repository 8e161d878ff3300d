#!/bin/bash
# Control characters from roster fields never reach the terminal raw
# (issue 14.14): ESC sequences, C1 controls, U+2028 and bidi overrides in
# a field are shown escaped in the preview on stdout, in what send shows
# before it asks, and in diagnostics on stderr; the .eml files keep the
# field's bytes.
. "$(dirname "$0")/lib.bash"

# raw FILE: whether FILE holds a byte a terminal acts on (ESC, BEL, C1
# as UTF-8, U+2028, U+202E).
raw() {
	LC_ALL=C grep -q $'\033\|\007\|\302\233\|\342\200\250\|\342\200\256' "$1"
}

printf 'name,email,note\n"Kim\033[2J\302\2331m\342\200\250X",kim@example.com,"hi \033]0;pwned\007 \342\200\256there\033[1A"\n' \
    >"$TMP/esc.csv"
printf 'From: a@example.com\nTo: {{name}} <{{email}}>\nSubject: for {{name}}\n\n{{note}}\n' \
    >"$TMP/esc.txt"

mm preview -o "$TMP/out" "$TMP/esc.csv" "$TMP/esc.txt"
is "$RC" 0 "preview of a row with control characters: exit 0"
raw "$TMP/stdout"
ok $((!$?)) "preview stdout holds no raw ESC, BEL, C1, U+2028 or U+202E"
like "$TMP/stdout" '^To: Kim\\x1b\[2J\\u009b1m\\u2028X <kim@example.com>' \
    "the To line shows ESC, CSI (C1) and U+2028 escaped"
like "$TMP/stdout" '^hi \\x1b\]0;pwned\\x07 \\u202ethere\\x1b\[1A$' \
    "the body shows OSC, BEL, U+202E and a cursor move escaped"
"$PYTHON" - "$TMP/out"/*.eml >"$TMP/eml.body" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                   policy=email.policy.default)
sys.stdout.write(m.get_body().get_content())
PY
grep -q $'hi \033]0;pwned\007 \342\200\256there\033\[1A' "$TMP/eml.body"
ok $? "the .eml keeps the field's bytes (decoded body)"

# A column name in diagnostics (an unused column warns with its name).
printf 'name,email,"x\033[2Jy\302\233"\nKim,kim@example.com,1\n' >"$TMP/col.csv"
printf 'From: a@example.com\nTo: {{name}} <{{email}}>\nSubject: s\n\nhi\n' \
    >"$TMP/col.txt"
mm preview -o "$TMP/out2" "$TMP/col.csv" "$TMP/col.txt"
like "$TMP/stderr" "x\\\\x1b\[2Jy\\\\u009b" \
    "a diagnostic quoting a column name shows it escaped"
raw "$TMP/stderr"
ok $((!$?)) "diagnostics on stderr hold no raw control character"

# send shows the first message before it asks: escaped there too.
start_smtpd term ''
write_conf "$TMP/mm.conf" "$PORT"
chmod 600 "$TMP/mm.conf"
mm send -c "$TMP/mm.conf" --yes -r "$TMP/report.csv" "$TMP/esc.csv" \
    "$TMP/esc.txt"
is "$RC" 0 "send of the same row: exit 0"
raw "$TMP/stdout"
ok $((!$?)) "send's stdout (the message shown, the plan) holds no raw control"
raw "$TMP/stderr"
ok $((!$?)) "send's stderr holds no raw control"
like "$TMP/stdout" 'Kim\\x1b\[2J' "send shows the name escaped"

# The plan repeats the warnings above its question: a column name there.
mm send -c "$TMP/mm.conf" --yes -r "$TMP/report2.csv" "$TMP/col.csv" \
    "$TMP/col.txt"
is "$RC" 0 "send with an unused control-laden column: exit 0"
like "$TMP/stdout" "warning: .*x\\\\x1b\[2Jy" \
    "the plan's repeated warning shows the column name escaped"
raw "$TMP/stdout"
ok $((!$?)) "the plan (stdout) holds no raw control"

done_testing
