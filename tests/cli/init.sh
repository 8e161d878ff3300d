#!/bin/bash
# Item 7 of issue 10: mailmerge init writes a commented config (mode
# 0600), a sample roster and a template, never replacing a file, and the
# missing-config error points to it.
. "$(dirname "$0")/lib.bash"

mm init new
is "$RC" 0 "init DIR: exit 0"
no_valgrind_error
for f in mailmerge.conf roster.csv template.txt; do
	ok "$([ -s "new/$f" ]; echo $?)" "it wrote new/$f"
done
is "$(stat -c %a new/mailmerge.conf)" 600 "the config is mode 0600"
like new/mailmerge.conf '^\[gmail\]' "a Gmail account"
like new/mailmerge.conf '^\[naver\]' "a Naver account"
like new/mailmerge.conf '^password_env = ' "a password_env example"
like new/mailmerge.conf '^password_command = ' "a password_command example"
like new/mailmerge.conf '^; .*app password' "comments explain the app password"
like stdout 'wrote +new/mailmerge.conf' "it says what it wrote"

# The files work together: preview with the account's From, no network.
mm preview -c new/mailmerge.conf -o prev new/roster.csv new/template.txt
is "$RC" 0 "the sample roster and template preview with the sample config"
is "$(ls prev | grep -c '\.eml$')" 3 "one mail per sample row"
like "$(ls prev/*.eml | head -1)" . "(a mail)"
grep -h '^From:' prev/*.eml | sort -u >from.txt
like from.txt 'you@gmail\.com' "From comes from the [gmail] account"

# Never overwrite: an edited config stays as it is, and init says so.
echo '; mine' >>new/mailmerge.conf
rm new/template.txt
sum=$(sha256sum new/mailmerge.conf)
mm init new
is "$RC" 0 "init again: exit 0"
is "$(sha256sum new/mailmerge.conf)" "$sum" "the existing config is untouched"
ok "$([ -s new/template.txt ]; echo $?)" "the missing template is written again"
like stdout 'kept +new/mailmerge.conf' "it names the kept config"
like stdout 'kept +new/roster.csv' "and the kept roster"
like stdout 'wrote +new/template.txt' "and the one it wrote"
like stdout '2 files were already there' "and counts the kept ones"

# A link in place of the config is not followed, nor replaced.
mkdir ln && ln -s "$TMP/target.conf" ln/mailmerge.conf
mm init ln
ok "$([ ! -e target.conf ]; echo $?)" "a dangling link is not followed"

# In the current folder.
mkdir here && cd here && mm init; cd "$TMP"
is "$RC" 0 "init with no DIR: the current folder"
like stdout 'wrote +mailmerge.conf' "paths shown without ./"
ok "$([ -s here/mailmerge.conf ]; echo $?)" "here/mailmerge.conf exists"

mm init a b
is "$RC" 64 "init takes at most one folder"

# The missing-config errors point to init.
mkdir empty && cd empty && HOME=$TMP/empty XDG_CONFIG_HOME= mm send --yes ../new/roster.csv ../new/template.txt; cd "$TMP"
is "$RC" 66 "send with no config anywhere: 66"
like stderr "no configuration file.*mailmerge init" "the error points to mailmerge init"
mm send -c nothere.conf --yes new/roster.csv new/template.txt
like stderr "nothere.conf: error: cannot open configuration: .*mailmerge init" \
    "a missing -c file points to mailmerge init"
done_testing
