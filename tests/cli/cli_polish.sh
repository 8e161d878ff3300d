#!/bin/bash
# Item 16 of issue 10: one error line for a bad option, -V, help VERB,
# verb --help lists options, plurals, spreadsheets named as such, the
# man page's EXAMPLES and ENVIRONMENT, bash completion installed.
. "$(dirname "$0")/lib.bash"
S=$TOP/samples
T=$TOP/templates/announcement.txt

mm send --bogus "$S/roster.csv" "$T"
is "$RC" 64 "unknown option: exit 64"
is "$(grep -c '' "$TMP/stderr")" 1 "one error line, not getopt's plus ours"
like stderr "^mailmerge: send: unknown option '--bogus' \(see 'mailmerge help send'\)$" \
    "it names the option and where the help is"
mm preview -x "$S/roster.csv" "$T"
like stderr "^mailmerge: preview: unknown option '-x'" "a short option too"
is "$(grep -c '' "$TMP/stderr")" 1 "in one line"
mm send -c
is "$(grep -c '' "$TMP/stderr")" 1 "a missing value: one line"
like stderr "option '-c' needs a value" "saying the value is missing"
mm report --json=yes x.csv
like stderr "option '--json' takes no value" "a value given to a flag"
mm check extra
is "$(grep -c '' "$TMP/stderr")" 1 "check with an argument: one line"
mm frobnicate
like stderr "^mailmerge: unknown command 'frobnicate' \(see 'mailmerge --help'\)$" "an unknown command"

mm -V
is "$RC" 0 "-V: exit 0"
like stdout '^mailmerge [0-9]+\.[0-9]+\.[0-9]+$' "-V prints the version"
mm help send
is "$RC" 0 "help send: exit 0"
like stdout '^usage: mailmerge send' "help send prints send's usage"
like stdout '--test-to' "... and its options"
mm help
like stdout '^usage: mailmerge COMMAND' "help alone is mailmerge --help"
like stdout '^  init ' "which lists init"
mm help nosuch
is "$RC" 64 "help of an unknown command: 64"
for v in init preview send check report; do
	mm "$v" --help
	like stdout "^usage: mailmerge $v" "$v --help: its usage"
	like stdout '^  -h, --help' "$v --help: lists its options"
done
mm --help
like stdout '^  75 ' "mailmerge --help keeps the exit-status table"

# Plurals.
printf 'email,n\n,x\n' >one.csv
printf 'From: a@example.com\nTo: {{email}}\nSubject: s\n\n{{n}}\n' >t.txt
mm preview -o p one.csv t.txt
like stderr "1 of 1 row has errors" "one row: singular"
unlike stderr "1 rows|1 row have" "no '1 rows'"
start_smtpd pl 'REPLY RCPT:minjun.kim@example.com 550 5.1.1 no such user'
write_conf pl.conf "$PORT"
mm send -c pl.conf -r pl.csv --yes -n 2 "$S/roster.csv" "$T"
is "$RC" 67 "one refusal: 67"
like stderr "1 row was refused permanently" "'1 row was refused'"
start_smtpd pl2 'REPLY RCPT:minjun.kim@example.com 550 5.1.1 no such user
REPLY RCPT:seoyeon.lee@example.org 550 5.1.1 no such user'
write_conf pl2.conf "$PORT"
mm send -c pl2.conf -r pl2.csv --yes -n 2 "$S/roster.csv" "$T"
like stderr "2 rows were refused permanently" "'2 rows were refused'"
mm preview -o p1 -n 1 "$S/roster.csv" "$T"
like stdout "previewed 1 row, 1 recipient:" "preview summary: singular"

# An XLSX (a ZIP file) given as the roster.
"$PYTHON" - <<'PY'
import zipfile
with zipfile.ZipFile("class.xlsx", "w") as z:
    z.writestr("[Content_Types].xml", "<Types/>")
    z.writestr("xl/workbook.xml", "<workbook/>")
PY
mm preview -o px class.xlsx "$T"
is "$RC" 65 "an XLSX roster: exit 65"
like stderr "class\\.xlsx: error: .*(spreadsheet)" \
    "it is named a spreadsheet, with what to do"
unlike stderr "pass --encoding|not valid UTF-8" "not an encoding error"

# The man page.
man -l "$TOP/mailmerge.1" >man.txt 2>man.err
ok $? "the man page renders"
like man.txt '^EXAMPLES' "it has EXAMPLES"
like man.txt '^ENVIRONMENT' "it has ENVIRONMENT"
like man.txt 'XDG_CONFIG_HOME' "ENVIRONMENT names XDG_CONFIG_HOME"
like man.txt 'mailmerge init' "EXAMPLES start with init"
like man.txt '--test-to' "and show --test-to"

# make install puts the completion where bash-completion finds it.
# (the binary under test, never rebuilt here)
BD=$(dirname "$MAILMERGE")
make -s -C "$TOP" install B="$BD" -o "$BD/mailmerge" DESTDIR="$TMP/dest" \
    PREFIX=/usr >install.out 2>&1
ok $? "make install DESTDIR=... succeeds"
ok "$([ -s "$TMP/dest/usr/share/bash-completion/completions/mailmerge" ]; echo $?)" \
    "bash completion installed in share/bash-completion/completions/mailmerge"
ok "$([ -s "$TMP/dest/usr/share/man/man1/mailmerge.1" ]; echo $?)" "the man page installed"
bash -c '. "$1"; COMP_WORDS=(mailmerge send --te); COMP_CWORD=2; _mailmerge; echo "${COMPREPLY[*]}"' _ \
    "$TMP/dest/usr/share/bash-completion/completions/mailmerge" >comp.out 2>&1
like comp.out '^--test-to$' "completion: send --te completes to --test-to"
bash -c '. "$1"; COMP_WORDS=(mailmerge he); COMP_CWORD=1; _mailmerge; echo "${COMPREPLY[*]}"' _ \
    "$TMP/dest/usr/share/bash-completion/completions/mailmerge" >comp2.out 2>&1
like comp2.out '^help$' "completion: the commands"
# The completion knows every command --help lists and every long option
# each command's help lists (so a new option cannot be forgotten there).
COMPL="$TMP/dest/usr/share/bash-completion/completions/mailmerge"
complete_words() {	# complete_words WORD...: what TAB offers after them
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
	    _mailmerge; printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPL" "$@"
}
verbs=$("$MAILMERGE" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
ok "$([ "$(echo "$verbs" | wc -l)" -ge 7 ]; echo $?)" "--help lists the commands ($(echo $verbs))"
for v in $verbs; do
	complete_words mailmerge "" | grep -qx "$v"
	ok $? "completion offers the command $v"
	"$MAILMERGE" help "$v" 2>&1 | grep -o -- '--[a-z][-a-z0-9]*' | sort -u >"opts.$v"
	complete_words mailmerge "$v" -- | sort -u >"comp.$v"
	missing=$(comm -23 "opts.$v" "comp.$v" | tr '\n' ' ')
	is "$missing" "" "completion of $v offers every long option its help lists"
done
make -s -C "$TOP" uninstall B="$BD" DESTDIR="$TMP/dest" PREFIX=/usr >/dev/null 2>&1
ok "$([ ! -e "$TMP/dest/usr/share/bash-completion/completions/mailmerge" ]; echo $?)" \
    "make uninstall removes it"
done_testing
