#!/bin/bash
# Secrets (issue 14.12): a config others can write is refused whatever it
# holds; password_command runs with a minimal environment (no other
# account's password variable); a process holding a password writes no
# core file.
. "$(dirname "$0")/lib.bash"
S=$TOP/samples
T=$TOP/templates/announcement.txt

start_smtpd sec ''

# -- a group- or world-writable config is refused, even without password= --
write_conf "$TMP/gw.conf" "$PORT"
for mode in 664 646 666; do
	chmod "$mode" "$TMP/gw.conf"
	mm send -c "$TMP/gw.conf" --yes -n 1 -r "$TMP/gw$mode.csv" \
	    "$S/roster.csv" "$T"
	is "$RC" 78 "config mode 0$mode, no password key: refused (EX_CONFIG)"
	like "$TMP/stderr" "gw\.conf.*writable by.*chmod 600" \
	    "mode 0$mode: the message names the file and says chmod 600"
done
is "$(stored sec)" 0 "writable configs: nothing sent"

# -- password_command: a minimal environment, no core file -------------------
# Two accounts: [lab] takes every row and gets its password from a
# command that records its environment and its parent's core limit;
# [spare] names its own password variable, which the command must not see.
write_conf "$TMP/cmd.conf" "$PORT"
grep -v '^password_env' "$TMP/cmd.conf" >"$TMP/cmd.tmp"
mv "$TMP/cmd.tmp" "$TMP/cmd.conf"
cat >>"$TMP/cmd.conf" <<CONF
password_command = env >$TMP/cmd.env; grep 'core file' /proc/\$PPID/limits >$TMP/cmd.core; echo demo-password
CONF
cat >>"$TMP/cmd.conf" <<CONF

[spare]
provider = custom
host = 127.0.0.1
port = $PORT
user = demo
from = Spare <spare@example.com>
password_env = MM_SPARE_SECRET
route = spare.example
CONF
chmod 600 "$TMP/cmd.conf"
export MM_SPARE_SECRET=spare-secret-value MM_UNRELATED=unrelated
mm send -c "$TMP/cmd.conf" --yes -n 1 -r "$TMP/cmd.csv" \
    "$S/roster.csv" "$T"
is "$RC" 0 "password_command account: sent (exit 0)"
[ -s "$TMP/cmd.env" ]
ok $? "password_command ran and wrote its environment"
unlike "$TMP/cmd.env" 'MM_SPARE_SECRET|spare-secret-value' \
    "password_command does not see another account's password_env"
unlike "$TMP/cmd.env" 'MM_TEST_PASSWORD|MM_UNRELATED' \
    "password_command sees no other variable outside the allow-list"
like "$TMP/cmd.env" '^PATH=' "password_command keeps PATH"
like "$TMP/cmd.env" '^HOME=' "password_command keeps HOME"
like "$TMP/cmd.core" '^Max core file size +0 +0 ' \
    "while the password is held, the process has no core file limit"
unset MM_SPARE_SECRET MM_UNRELATED

done_testing
