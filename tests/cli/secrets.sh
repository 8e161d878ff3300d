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

# -- no source: the no-echo prompt (readpassphrase) on a terminal ----------
grep -v '^password_env' "$TMP/gw.conf" >"$TMP/tty.conf"
chmod 600 "$TMP/tty.conf"
"$PYTHON" - "$MAILMERGE" "$TMP/tty.conf" "$S/roster.csv" "$T" \
    "$TMP/tty.csv" >"$TMP/tty.out" 2>&1 <<'PY'
import os, pty, select, sys, time
mm, conf, roster, tmpl, report = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(mm, [mm, "send", "-c", conf, "--yes", "-n", "1", "-r", report,
                  roster, tmpl])
seen, sent, end = b"", False, time.time() + 30
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.5)
    if fd in r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    if not sent and b"Password for [lab]" in seen:
        time.sleep(0.2)
        os.write(fd, b"demo-password\r")
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode("utf-8", "replace"))
print("\nEXIT %d" % os.waitstatus_to_exitcode(status))
PY
like "$TMP/tty.out" 'Password for \[lab\] demo' \
    "no password source: a prompt on the terminal names the account"
like "$TMP/tty.out" '^EXIT 0$' "the password typed at the prompt was used (exit 0)"
unlike "$TMP/tty.out" 'demo-password' "the typed password is not echoed"

done_testing
