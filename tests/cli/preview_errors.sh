#!/bin/bash
# Bad input to mailmerge preview: a clear error naming file, line and
# field, the documented exit status, and nothing written.
. "$(dirname "$0")/lib.bash"
S=$TOP/samples
D=$TOP/tests/data

# A previous good preview whose files must survive every failed run.
mm preview -o keep "$S/roster.csv" "$D/simple.txt"
is "$RC" 0 "setup: a good preview"
before=$(cd keep && ls | md5sum)

# expect_error NAME STATUS REGEX ROSTER TEMPLATE [OPTIONS...]
expect_error() {
	local name=$1 status=$2 re=$3 roster=$4 tmpl=$5
	shift 5
	mm preview -o keep "$@" "$roster" "$tmpl"
	is "$RC" "$status" "$name: exit status $status"
	no_valgrind_error
	like stderr "$re" "$name: the error says where and what"
	is "$(cd keep && ls | md5sum)" "$before" "$name: nothing was written"
}

expect_error "missing roster" 66 'nosuch\.csv.*(No such file|cannot)' \
    nosuch.csv "$D/simple.txt"
expect_error "missing template" 66 'nosuch\.txt.*(No such file|cannot)' \
    "$S/roster.csv" nosuch.txt

# Template errors: line:col and a suggestion.
sed 's/{{점수}}/{{점슈}}/' "$D/simple.txt" >typo.txt
expect_error "unknown column" 65 "typo\.txt:5:[0-9]+: .*점슈.*did you mean '?점수" \
    "$S/roster.csv" typo.txt
printf 'From: a@example.com\nTo: {{email}}\nSubject: x\n\n{{#비고}}open\n' >unbal.txt
expect_error "unclosed section" 65 'unbal\.txt:5:1: .*비고' "$S/roster.csv" unbal.txt
printf 'From: a@example.com\nTo: {{email}}\nSubject: {{이름\n\nbody\n' >unterm.txt
expect_error "unterminated tag" 65 'unterm\.txt:3:[0-9]+' "$S/roster.csv" unterm.txt
printf 'To: {{email}}\nSubject: x\n\nbody\n' >nofrom.txt
expect_error "no From" 65 'From' "$S/roster.csv" nofrom.txt

# Roster errors: file:line and the field.
printf '이름,email\n김민준,kim@\n' >badaddr.csv
printf 'From: a@example.com\nTo: {{이름}} <{{email}}>\nSubject: x\n\nhi\n' >t.txt
expect_error "invalid address" 65 "badaddr\.csv:2: .*row 1.*kim@" badaddr.csv t.txt
printf '이름,email\n"김민준\nBcc: evil@example.org",kim@example.com\n' >inject.csv
expect_error "line break in a header field" 65 "inject\.csv:2: .*row 1.*이름" inject.csv t.txt
printf '이름,email\n김민준,kim@example.com\n이서연,lee@example.com,extra\n' >fields.csv
expect_error "too many fields" 65 'fields\.csv:3: .*3 fields.*2' fields.csv t.txt
printf '이름,email\n"김민준,kim@example.com\n' >quote.csv
expect_error "unterminated quote" 65 'quote\.csv:2' quote.csv t.txt
printf '이름,email,이름\n김,k@example.com,x\n' >dupcol.csv
expect_error "duplicate column" 65 "dupcol\.csv:1.*이름" dupcol.csv t.txt
printf '이름,,email\n김,x,k@example.com\n' >emptycol.csv
expect_error "empty column name" 65 'emptycol\.csv:1' emptycol.csv t.txt
printf '이름,email\n' >empty.csv
expect_error "no data rows" 65 'empty\.csv' empty.csv t.txt
: >zero.csv
expect_error "empty file" 65 'zero\.csv' zero.csv t.txt
printf '이름,email\n\xff\xfe\xfa,kim@example.com\n' >badenc.csv
expect_error "bytes neither UTF-8 nor CP949" 65 'badenc\.csv:2.*(offset|byte)' badenc.csv t.txt
expect_error "unknown --encoding" 65 'NOSUCH' "$S/roster.csv" t.txt --encoding NOSUCH

# Several bad rows: all reported at once, nothing written.
printf '이름,email\n가,a@\n나,b@example.com\n다,c@@example.com\n' >many.csv
mm preview -o keep many.csv t.txt
is "$RC" 65 "several bad rows: exit 65"
is "$(grep -c 'error' stderr)" 3 "every bad row is reported (2 rows + the summary)"
like stderr 'many\.csv:2: ' "first bad row named"
like stderr 'many\.csv:4: ' "second bad row named"

# Usage errors.
mm preview
is "$RC" 64 "no arguments: EX_USAGE"
mm preview -n zero "$S/roster.csv" t.txt
is "$RC" 64 "-n zero: EX_USAGE"
mm preview --delimiter ab "$S/roster.csv" t.txt
is "$RC" 64 "--delimiter ab: EX_USAGE"
mm preview --bogus "$S/roster.csv" t.txt
is "$RC" 64 "unknown option: EX_USAGE"
mm frobnicate
is "$RC" 64 "unknown command: EX_USAGE"
mm --help
is "$RC" 0 "--help exits 0"
like stdout 'preview' "--help lists preview"
mm preview --help
is "$RC" 0 "preview --help exits 0"
for o in -o --mbox -n --encoding --delimiter; do
	like stdout "$o" "preview --help lists $o"
done
like stdout 'default: out/preview' "preview --help gives defaults"
mm --version
like stdout '^mailmerge [0-9]+\.[0-9]+' "--version"

# Warnings: printed, not fatal.
printf '이름,email,비고,unused\n가,a@example.com,,u\n나,A@example.com,x,u\n' >warn.csv
printf 'From: a@example.com\nTo: {{이름}} <{{email}}>\nSubject: {{비고}}\n\nhi\n' >w.txt
mm preview -o w warn.csv w.txt
is "$RC" 0 "warnings do not fail the preview"
like stderr "warning: .*unused" "warns about a column the template never uses"
like stderr "warning: .*row 2.*[aA]@example.com.*row 1" "warns about the same recipient twice"
like stderr "warning: .*row 1.*비고.*empty" "warns about an empty field used in a header"

done_testing
