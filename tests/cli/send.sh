#!/bin/bash
# mailmerge send and check against our scripted loopback server:
# delivery, the report, resume, and every fault the issue names.
. "$(dirname "$0")/lib.bash"
S=$TOP/samples
T=$TOP/templates/announcement.txt
R() { "$PYTHON" "$TOP/tests/cli/report_rows.py" "$@"; }

# -- a whole batch -------------------------------------------------------
start_smtpd ok
write_conf ok.conf "$PORT"
mm send -c ok.conf -r ok.csv --yes "$S/roster.csv" "$T"
is "$RC" 0 "send: every recipient accepted, exit 0"
no_valgrind_error
is "$(stored ok)" 20 "the server stored 20 messages"
is "$(R ok.csv | awk '$2=="sent" && $3==250' | wc -l)" 20 \
    "report: 20 rows sent with 250"
is "$(R --lines ok.csv)" 20 "report compacted to one line per row"
like stdout 'sent 20, failed 0' "summary on stdout"
is "$(cut -f3 "$TMP/ok.store/index.tsv" | sort | tr '\n' ' ')" \
    "$(cut -d, -f3 "$S/roster.csv" | tail -n +2 | sort | tr '\n' ' ')" \
    "each roster address is an envelope recipient exactly once"
# The delivered body equals the preview's, byte for byte.
mm preview -o prev "$S/roster.csv" "$T"
"$PYTHON" - "$TMP/ok.store" prev <<'PY' >body.out 2>&1
import os, sys
store, prev = sys.argv[1], sys.argv[2]
def body(b): return b.split(b"\r\n\r\n", 1)[1]
got = {}
for line in open(os.path.join(store, "index.tsv")):
    seq, frm, rcpt = line.split("\t")[:3]
    got[rcpt] = open(os.path.join(store, "%06d.eml" % int(seq)), "rb").read()
bad = 0
for name in sorted(os.listdir(prev)):
    if not name.endswith(".eml"): continue
    addr = name.split("-", 1)[1][:-4]
    if body(got[addr]) != body(open(os.path.join(prev, name), "rb").read()):
        print("body differs for", addr); bad += 1
sys.exit(bad)
PY
ok $? "delivered bodies equal the preview's from the headers' end on"
sed 's/^/#   /' body.out | head -5
# The dialogue: STARTTLS, EHLO again, AUTH only after TLS, one session.
"$PYTHON" - "$TMP/ok.log" <<'PY' >dlg.out 2>&1
import sys
lines = [l.rstrip("\n") for l in open(sys.argv[1])]
c = [l for l in lines if l.startswith("C: ") or l.startswith("--")]
i_tls = next(i for i, l in enumerate(c) if l == "C: STARTTLS")
i_auth = next(i for i, l in enumerate(c) if l.startswith("C: AUTH"))
ehlo = [i for i, l in enumerate(c) if l.startswith("C: EHLO")]
assert ehlo[0] < i_tls < ehlo[1] < i_auth, (ehlo, i_tls, i_auth)
assert sum(l.startswith("-- connection") and "opened" in l for l in lines) == 1, "one session"
assert sum(l.startswith("C: MAIL FROM:") for l in c) == 20
PY
ok $? "EHLO, STARTTLS, EHLO again, AUTH after TLS, 20 mails in one session"
sed 's/^/#   /' dlg.out | tail -3
like "$TMP/ok.log" '^C: MAIL FROM:<demo@|^C: MAIL FROM:<prof.hong@example.com>' "envelope sender"

# -- secrets -------------------------------------------------------------
mm send -c ok.conf -r tr.csv --yes --trace -n 2 "$S/roster.csv" "$T"
is "$RC" 0 "send --trace exits 0"
like stderr 'C: AUTH PLAIN <redacted>' "--trace shows AUTH as <redacted>"
like stderr 'S: 250' "--trace shows server replies"
secret_b64=$(printf '\0demo\0demo-password' | base64)
for f in stdout stderr tr.csv ok.csv; do
	unlike "$f" "demo-password|$secret_b64" "no password or AUTH payload in $f"
done

# -- confirmation ---------------------------------------------------------
before=$(stored ok)
mm send -c ok.conf -r no.csv "$S/roster.csv" "$T" </dev/null
is "$RC" 64 "without a terminal and without --yes: EX_USAGE"
like stderr '--yes' "the error says to pass --yes"
is "$(stored ok)" "$before" "nothing was sent"

# -- the connection drops after the final dot: unknown, never resent ------
start_smtpd drop 'DROP_AFTER_STORE EOM#3'
write_conf drop.conf "$PORT"
mm send -c drop.conf -r drop.csv --yes "$S/roster.csv" "$T"
is "$RC" 75 "a lost reply after the final dot: exit 75 (EX_TEMPFAIL)"
is "$(R drop.csv | awk '$1==3 {print $2}')" unknown "row 3 is unknown"
is "$(stored drop)" 20 "all 20 stored once (row 3's before the drop)"
like stdout 'row 3 .*may or may not' "unknown rows are listed at the end"
mm send -c drop.conf -r drop.csv --resume --yes "$S/roster.csv" "$T"
is "$(stored drop)" 20 "resume sends nothing again"
is "$RC" 75 "resume still reports the unknown row: exit 75"

# -- resume refuses another roster ----------------------------------------
cp "$S/roster.csv" changed.csv
mm send -c ok.conf -r ch.csv --yes changed.csv "$T"
is "$RC" 0 "setup: a report made from changed.csv's twin"
printf '가,20249999,new@example.com,1,\r\n' >>changed.csv
mm send -c ok.conf -r ch.csv --resume --yes changed.csv "$T"
is "$RC" 65 "resume with a changed roster: EX_DATAERR"
like stderr 'roster changed' "the error says the roster changed"

# -- pacing: --rate spreads the mails evenly --------------------------------
start_smtpd pace
write_conf pace.conf "$PORT"
t0=$(date +%s%N)
mm send -c pace.conf -r pace.csv --rate 10/s --yes -n 6 "$S/roster.csv" "$T"
t1=$(date +%s%N)
is "$RC" 0 "--rate 10/s: exit 0"
ok "$([ $(( (t1 - t0) / 1000000 )) -ge 500 ]; echo $?)" \
    "6 mails at 10/s take at least 0.5 s (one every 100 ms)"
like stdout '10 per 1 s' "the plan shows the rate"

# -- an existing report is never overwritten without --resume -------------
before=$(stored ok)
mm send -c ok.conf -r ok.csv --yes "$S/roster.csv" "$T"
is "$RC" 64 "sending again into a report with outcomes: EX_USAGE"
like stderr 'pass --resume' "the error says to pass --resume"
is "$(stored ok)" "$before" "nobody gets the mail twice"
mm send -c ok.conf -r nosuch.csv --resume --yes "$S/roster.csv" "$T"
is "$RC" 66 "--resume with a missing report: EX_NOINPUT"
like stderr 'nosuch\.csv.*cannot open the report' "the error names the report"

# -- two accounts side by side, routed by domain and by a provider column --
start_smtpd acct1
port1=$PORT
start_smtpd acct2
port2=$PORT
make_certs
cat >two.conf <<CONF
[one]
provider = custom
host = 127.0.0.1
port = $port1
ca_file = $TMP/certs/ca.pem
user = demo
from = One <one@example.com>
password_env = MM_TEST_PASSWORD
route = example.com, example.net
[two]
provider = custom
host = 127.0.0.1
port = $port2
ca_file = $TMP/certs/ca.pem
user = demo
from = Two <two@example.com>
password_env = MM_TEST_PASSWORD
route = *
CONF
mm send -c two.conf -r two.csv --yes "$S/roster.csv" "$T"
is "$RC" 0 "two accounts: exit 0"
is "$(cut -f3 "$TMP/acct1.store/index.tsv" | grep -vc 'example\.\(com\|net\)$')" 0 \
    "account one got only its domains"
is "$(cut -f3 "$TMP/acct2.store/index.tsv" | grep -c 'example\.\(com\|net\)$')" 0 \
    "account two got the rest"
is "$(( $(stored acct1) + $(stored acct2) ))" 20 "every row went through one account"
is "$(cut -d, -f11 two.csv | sort -u | tr '\n' ' ')" "account one two " \
    "the report names each row's account"
# A provider column wins over the domain.
"$PYTHON" - "$S/roster.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
rows[0].append("provider")
for i, r in enumerate(rows[1:]):
    r.append("one" if i == 3 else "")
csv.writer(open("prov.csv", "w", encoding="utf-8", newline="")).writerows(rows)
PY
n1=$(stored acct1)
mm send -c two.conf -r provrep.csv --yes -n 4 prov.csv "$T"
is "$RC" 0 "provider column: exit 0"
is "$(tail -1 "$TMP/acct1.store/index.tsv" | cut -f3)" "haeun.choi@naver.example" \
    "a row's provider column sends it through that account"

# -- a refused recipient among several: the others still get the mail ----
start_smtpd cc 'REPLY RCPT:bad@example.org 550 5.1.1 no such user'
write_conf cc.conf "$PORT"
printf 'From: P <p@example.com>\nTo: {{이름}} <{{email}}>\nCc: bad@example.org, ta@example.com\nSubject: x\n\nhi\n' >cc.txt
mm send -c cc.conf -r cc.csv --yes -n 2 "$S/roster.csv" cc.txt
is "$RC" 0 "one refused Cc: the mail is still sent (exit 0)"
is "$(stored cc)" 2 "both rows delivered"
like "$TMP/cc.store/index.tsv" 'minjun.kim@example.com,ta@example.com' "to the accepted recipients"
like cc.csv 'refused: bad@example.org: 550' "the report names the refused recipient"

# -- a quota reply stops the account; the rows wait for tomorrow ----------
start_smtpd quota 'REPLY EOM#3 550 5.4.5 Daily user sending quota exceeded'
write_conf quota.conf "$PORT"
mm send -c quota.conf -r quota.csv --yes "$S/roster.csv" "$T"
is "$RC" 75 "quota reached: exit 75 (resume tomorrow)"
is "$(stored quota)" 2 "nothing sent after the quota reply"
is "$(R quota.csv | awk '$1==3 {print $2}')" deferred "the quota row is deferred, not failed"
is "$(R quota.csv | awk '$2=="skipped"' | wc -l)" 17 "the remaining 17 rows are skipped"
like stderr 'quota' "the error says quota"

# -- a report whose last line a kill cut off ------------------------------
start_smtpd torn 'DELAY EOM 150ms'
write_conf torn.conf "$PORT"
"$MAILMERGE" send -c torn.conf -r torn.csv --yes "$S/roster.csv" "$T" \
    >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do
	[ "$(cat torn.csv 2>/dev/null | grep -c '')" -ge 6 ] && break
	sleep 0.05
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
# What a kill in the middle of writing the next line leaves behind.
printf '21,late@example.com,unkn' >>torn.csv
mm report torn.csv
is "$RC" 65 "report on a cut-off journal: EX_DATAERR"
like stderr 'cut off.*--resume' "the error says --resume repairs it"
mm send -c torn.conf -r torn.csv --resume --yes "$S/roster.csv" "$T"
ok "$([ "$RC" -eq 0 ] || [ "$RC" -eq 75 ]; echo $?)" "resume repairs it and finishes (exit $RC)"
like stderr 'removed a last line' "resume says what it removed"
is "$(cut -f3 "$TMP/torn.store/index.tsv" | sort | uniq -d | wc -l)" 0 \
    "nobody got the mail twice"
is "$(R torn.csv | awk '$2!="sent" && $2!="unknown"' | wc -l)" 0 \
    "every row is sent or unknown"

# -- password sources: a password in the file needs mode 0600 ------------
start_smtpd pw
sed 's/^password_env = .*/password = demo-password/' >pw.conf <<CONF
$(write_conf /dev/stdout "$PORT")
CONF
chmod 644 pw.conf
mm send -c pw.conf -r pw1.csv --yes -n 1 "$S/roster.csv" "$T"
is "$RC" 78 "a password in a 0644 config: EX_CONFIG"
like stderr 'chmod 600' "the error says chmod 600"
is "$(stored pw)" 0 "nothing sent"
chmod 600 pw.conf
mm send -c pw.conf -r pw2.csv --yes -n 1 "$S/roster.csv" "$T"
is "$RC" 0 "the same file at 0600 works"
sed 's/^password_env = .*/password_command = printf demo-password/' >cmd.conf <<CONF
$(write_conf /dev/stdout "$PORT")
CONF
mm send -c cmd.conf -r pw3.csv --yes -n 1 "$S/roster.csv" "$T"
is "$RC" 0 "password_command works"
sed 's/^password_env = .*/password_command = false/' >bad.cmd.conf <<CONF
$(write_conf /dev/stdout "$PORT")
CONF
mm send -c bad.cmd.conf -r pw4.csv --yes -n 1 "$S/roster.csv" "$T"
is "$RC" 78 "a failing password_command: EX_CONFIG before anything is sent"
is "$(stored pw)" 2 "only the two good runs sent"
unlike stderr 'demo-password' "no password in the errors"

# -- bad configuration ----------------------------------------------------
printf '[lab]\nprovider = custom\nhost = 127.0.0.1\nbogus = 1\n' >bad.conf
mm send -c bad.conf --yes "$S/roster.csv" "$T"
is "$RC" 78 "unknown config key: EX_CONFIG"
like stderr 'bad\.conf:4' "the error names the config line"
mm send -c nosuch.conf --yes "$S/roster.csv" "$T"
is "$RC" 66 "missing config file: EX_NOINPUT"
unset MM_TEST_PASSWORD
mm send -c ok.conf --yes "$S/roster.csv" "$T"
is "$RC" 78 "password variable unset: EX_CONFIG, before anything is sent"
like stderr 'MM_TEST_PASSWORD' "the error names the variable"
export MM_TEST_PASSWORD=demo-password
mm send -c ok.conf --resume --yes "$S/roster.csv" "$T"
is "$RC" 64 "--resume without -r: EX_USAGE"
mm send -c ok.conf --rate 5/week --yes "$S/roster.csv" "$T"
is "$RC" 64 "--rate 5/week: EX_USAGE"

done_testing
