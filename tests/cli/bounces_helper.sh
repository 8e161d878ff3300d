#!/bin/bash
# Issue 13 (memory): libcurl and GMime, which only `bounces` calls, are
# kept out of mailmerge's address space: the verb runs in the helper
# program mailmerge-bounces (beside the binary in a build tree, in
# PREFIX/libexec/mailmerge once installed), which `mailmerge bounces`
# execs with the same arguments.  Its behaviour is tests/cli/bounces.sh's.
. "$(dirname "$0")/lib.bash"
BD=$(dirname "$MAILMERGE")
HELPER=$BD/mailmerge-bounces
D=$TOP/tests/data/bounces
EML=$D/lhost-exim-02.eml
HEADER='row,recipients,status,provider,smtp_code,enhanced_code,reply,message_id,attempts,time,account,stage,roster,roster_sha256,template,template_sha256,format,row_sha256,roster_sheet'
printf '%s\r\n' "$HEADER" >empty.csv

# --- what each program maps ----------------------------------------------
ldd "$MAILMERGE" >main.ldd 2>&1
ok $? "ldd mailmerge"
unlike main.ldd 'libcurl|libgmime|libglib|libgio' \
    "mailmerge links neither libcurl nor GMime (nor GLib)"
ok "$([ -x "$HELPER" ]; echo $?)" "make builds mailmerge-bounces beside mailmerge"
ldd "$HELPER" >helper.ldd 2>&1
like helper.ldd 'libcurl' "... which links libcurl (IMAP)"
like helper.ldd 'libgmime' "... and GMime (bounce parsing)"

# --- the verb goes through the helper, unchanged --------------------------
mm help bounces
cp stdout help.out
mm bounces --help
is "$RC" 0 "bounces --help: exit 0"
check_same stdout help.out "bounces --help prints what 'help bounces' does"
mm bounces --no-such-option
is "$RC" 64 "a bad option: the helper's exit status 64 comes back"
is "$(cat stderr)" "mailmerge: bounces: bad option (see 'mailmerge help bounces')" \
    "... with its one line"
mm bounces -r empty.csv --json "$EML"
is "$RC" 0 "bounces --json FILE through the helper: exit 0"
"$HELPER" bounces -r empty.csv --json "$EML" >direct.json 2>direct.err
check_same stdout direct.json "... the same JSON as the helper run directly"
like stdout '"recipient": *"kijitora@example.jp"' "... which names the bounced recipient"
mm bounces -r empty.csv --dry-run "$EML"
is "$RC" 0 "bounces --dry-run (the text summary) through the helper: exit 0"
like stdout 'dry run: nothing written' "... its summary"

# --- no helper: one clear error, the other verbs unharmed -----------------
mkdir alone && cp "$MAILMERGE" alone/mailmerge
[ ! -d "$BD/locale" ] || cp -r "$BD/locale" alone/
${MAILMERGE_WRAP:-} alone/mailmerge bounces -r empty.csv "$EML" >stdout 2>stderr
RC=$?
is "$RC" 70 "no mailmerge-bounces anywhere: exit 70 (EX_SOFTWARE)"
like stderr '^mailmerge: .*/mailmerge-bounces: error: cannot run the helper program: .*reinstall mailmerge' \
    "... naming the helper it looked for and what to do"
is "$(wc -l <stderr)" 1 "... in one line"
is "$(wc -c <stdout)" 0 "... and nothing on stdout"
${MAILMERGE_WRAP:-} alone/mailmerge help bounces >stdout 2>stderr
is "$?" 0 "help bounces needs no helper"
check_same stdout help.out "... and says the same"

# --- make install / uninstall ---------------------------------------------
make -s -C "$TOP" install B="$BD" -o "$BD/mailmerge" DESTDIR="$TMP/dest" \
    PREFIX=/usr >install.out 2>&1
ok $? "make install DESTDIR=... PREFIX=/usr"
sed 's/^/#   /' install.out | head -5
ok "$([ -x dest/usr/libexec/mailmerge/mailmerge-bounces ]; echo $?)" \
    "the helper installed in PREFIX/libexec/mailmerge"
ok "$([ ! -e dest/usr/bin/mailmerge-bounces ]; echo $?)" "... not in BINDIR"
${MAILMERGE_WRAP:-} dest/usr/bin/mailmerge bounces -r empty.csv --json "$EML" \
    >installed.json 2>installed.err
is "$?" 0 "the installed mailmerge runs the installed helper"
check_same installed.json direct.json "... with the same output"
make -s -C "$TOP" uninstall B="$BD" DESTDIR="$TMP/dest" PREFIX=/usr \
    >uninstall.out 2>&1
ok $? "make uninstall"
ok "$([ ! -e dest/usr/libexec/mailmerge ]; echo $?)" \
    "make uninstall removes the helper and its folder"
done_testing
