#!/bin/bash
# Rich mail: attachments, Markdown and HTML bodies, through preview,
# checked with Python's email package (check_rich.py); then bad
# attachments: each an error naming the row and the path, exit 65,
# nothing written.
. "$(dirname "$0")/lib.bash"
D=$TOP/tests/data/rich
CHECK="$PYTHON $TOP/tests/cli/check_rich.py"

cp -r "$D" rich
# An attachment with every octet value, for the base64 round trip.
"$PYTHON" -c 'import sys; sys.stdout.buffer.write(b"%PDF-1.4\n" +
    bytes(range(256)) * 3)' \
    >rich/feedback/20240002.pdf
cd rich || exit 1

mm preview -o md roster.csv markdown.txt
is "$RC" 0 "markdown with attachments: exit 0"
$CHECK markdown md . >check.out 2>&1
is "$?" 0 "markdown .eml: structure, parts, HTML, files, names"
sed 's/^/# /' check.out
mm preview -o mdbox --mbox md.mbox roster.csv markdown.txt
$CHECK markdown md.mbox . >check.out 2>&1
is "$?" 0 "markdown mbox: the same"
sed 's/^/# /' check.out
unlike md/0001-kim@example.com.eml '^Attachment:' "no Attachment header"

mm preview -o html roster.csv html.txt
is "$RC" 0 "html: exit 0"
$CHECK html html . >check.out 2>&1
is "$?" 0 "html: {{x}} escaped in HTML, raw in text; text made from HTML"
sed 's/^/# /' check.out

# -- bad attachments --------------------------------------------------------
mm preview -o keep roster.csv markdown.txt
before=$(cd keep && ls | md5sum)

# expect_bad NAME REGEX ROSTER TEMPLATE: exit 65, the error names row 1
# and the path, nothing written.
expect_bad() {
	mm preview -o keep "$3" "$4"
	is "$RC" 65 "$1: exit 65"
	no_valgrind_error
	like "$TMP/stderr" "$3:2: error: row 1, header 'Attachment': $2" \
	    "$1: names the row and the path"
	is "$(cd keep && ls | md5sum)" "$before" "$1: nothing was written"
}

row1() {	# row1 FILE 학번: a one-row roster
	printf '이름,학번,email,점수,비고\n김민준,%s,kim@example.com,9,x\n' \
	    "$2" >"$1"
}

row1 missing.csv 20249999
expect_bad "missing file" "'feedback/20249999\\.pdf' does not exist" \
    missing.csv markdown.txt
row1 up.csv ../../etc/passwd
expect_bad "field ../../etc/passwd" \
    "'feedback/\\.\\./\\.\\./etc/passwd\\.pdf' has a '\\.\\.' from a roster field" \
    up.csv markdown.txt
sed 's|^Attachment: feedback/{{학번}}.pdf|Attachment: {{학번}}|' markdown.txt \
    >bare.txt
row1 abs.csv /etc/passwd
expect_bad "absolute field" "'/etc/passwd' starts with '/' from a roster field" \
    abs.csv bare.txt
ln -s /etc/passwd feedback/20248888.pdf
row1 link.csv 20248888
expect_bad "link out of the folder" \
    "'feedback/20248888\\.pdf' leads out of its folder" link.csv markdown.txt
mkdir feedback/20247777.pdf
row1 dir.csv 20247777
expect_bad "a folder" "'feedback/20247777\\.pdf' is not a regular file" \
    dir.csv markdown.txt
mkfifo feedback/20246666.pdf
row1 fifo.csv 20246666
expect_bad "a FIFO (does not hang)" \
    "'feedback/20246666\\.pdf' is not a regular file" fifo.csv markdown.txt
ln -s nosuch.pdf feedback/20245555.pdf
row1 dangling.csv 20245555
expect_bad "dangling link" "'feedback/20245555\\.pdf' does not exist" \
    dangling.csv markdown.txt

# chmod 000 stops every user but root (CAP_DAC_OVERRIDE reads anyway), so
# as root the run drops to nobody with setpriv(1) to test it for real.
cp feedback/20240001.pdf feedback/20244444.pdf
chmod 000 feedback/20244444.pdf
row1 noperm.csv 20244444
chmod 755 "$TMP" "$TMP/rich" "$TMP/rich/feedback" "$TMP/rich/common"
chmod 644 noperm.csv markdown.txt
as_user=""
[ "$(id -u)" -eq 0 ] && as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
$as_user ${MAILMERGE_WRAP:-} "$MAILMERGE" preview -o keep noperm.csv \
    markdown.txt >"$TMP/stdout" 2>"$TMP/stderr"
RC=$?
is "$RC" 65 "unreadable file (chmod 000, not root): exit 65"
like "$TMP/stderr" "noperm\\.csv:2: error: row 1, header 'Attachment': 'feedback/20244444\\.pdf' cannot be read: Permission denied" \
    "unreadable: names the row, the path and why"
is "$(cd keep && ls | md5sum)" "$before" "unreadable: nothing was written"

# Several bad rows: every one reported, nothing written.
printf '이름,학번,email,점수,비고\n가,20249999,a@example.com,1,\n나,20240001,b@example.com,2,\n다,../x,c@example.com,3,\n' >many.csv
mm preview -o keep many.csv markdown.txt
is "$RC" 65 "two bad rows of three: exit 65"
like "$TMP/stderr" "many\\.csv:2: error: row 1" "first bad row named"
like "$TMP/stderr" "many\\.csv:4: error: row 3" "second bad row named"
unlike "$TMP/stderr" "many\\.csv:3: error" "the good row is not"

# Over 25 MB: refused in the validation pass, naming the limit.
truncate -s 26M feedback/20243333.pdf
row1 big.csv 20243333
expect_bad "over 25 MB" "'feedback/20243333\\.pdf' is 26\\.0 MB, over the limit of 25 MB" \
    big.csv markdown.txt

# A Content-Type we do not make.
sed 's|^Content-Type: text/markdown|Content-Type: application/pdf|' \
    markdown.txt >ctype.txt
mm preview -o keep roster.csv ctype.txt
is "$RC" 65 "Content-Type application/pdf: exit 65"
like "$TMP/stderr" "Content-Type.*expected text/plain, text/markdown or text/html" \
    "Content-Type: says what it takes"

cd "$TMP" || exit 1
done_testing
