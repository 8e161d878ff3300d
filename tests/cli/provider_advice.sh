#!/bin/bash
# Issue 13 item 7: mailmerge report's advice on a reply code comes from
# the provider table (src/accounts/provider.c: auth_hint, quota_hint) of
# the row's own provider (the report's provider column): a Gmail row's
# 5.4.5 and 535 advice is Gmail's, a Naver row's Naver's, and a custom
# server's the generic one -- in the text summary, --json and --html.
. "$(dirname "$0")/lib.bash"

printf 'name,email\n' >roster.csv
for i in 1 2 3 4 5 6; do printf 's%s,s%s@example.com\n' $i $i >>roster.csv; done
SUM=$(sha256sum roster.csv | cut -d' ' -f1)
row() {	# row N PROVIDER CODE ENH STAGE
	printf '%s,s%s@example.com,%s,%s,%s,%s,refused,<r%s@example.com>,1,2026-12-04T20:00:00+09:00,acct-%s,%s,roster.csv,%s,t.txt,%s,1\n' \
	    "$1" "$1" "$([ "$3" = 535 ] && echo skipped || echo deferred)" \
	    "$2" "$3" "$4" "$1" "$2" "$5" "$SUM" "$SUM"
}
{
	echo 'row,recipients,status,provider,smtp_code,enhanced_code,reply,message_id,attempts,time,account,stage,roster,roster_sha256,template,template_sha256,format'
	row 1 gmail 550 5.4.5 MAIL
	row 2 naver 550 5.4.5 MAIL
	row 3 custom 550 5.4.5 MAIL
	row 4 gmail 535 5.7.8 AUTH
	row 5 naver 535 5.7.8 AUTH
	row 6 custom 535 '' AUTH
} >r.csv

GMAIL_QUOTA='Gmail: wait 24 h, then resume'
NAVER_QUOTA='Naver publishes no daily limit'
ANY_QUOTA="the account's daily limit is used up"
GMAIL_AUTH='Gmail needs an app password'
NAVER_AUTH='Naver: enable POP3/SMTP'
ANY_AUTH="check user and password with the server's administrator"

# --- text -------------------------------------------------------------
mm report r.csv
is "$RC" 75 "the report loads (rows left to send: 75)"
for a in "$GMAIL_QUOTA" "$NAVER_QUOTA" "$ANY_QUOTA" "$GMAIL_AUTH" \
    "$NAVER_AUTH" "$ANY_AUTH"; do
	is "$(grep -cF "$a" stdout)" 1 "text: advised once: $a"
done
for p in gmail naver custom; do
	like stdout "^  550 5\\.4\\.5 \\($p\\) " "text: 5.4.5 has a line for $p"
done

# --- JSON: each code's line names its provider ------------------------
mm report --json r.csv
is "$RC" 75 "--json: exit 75"
GQ=$GMAIL_QUOTA NQ=$NAVER_QUOTA AQ=$ANY_QUOTA GA=$GMAIL_AUTH NA=$NAVER_AUTH \
AA=$ANY_AUTH "$PYTHON" - <<'PY' >json.out 2>&1
import json, os
j = json.load(open("stdout", encoding="utf-8"))
todo = {(c["smtp_code"], c["provider"]): c["todo"] for c in j["by_code"]}
want = {(550, "gmail"): "GQ", (550, "naver"): "NQ", (550, "custom"): "AQ",
    (535, "gmail"): "GA", (535, "naver"): "NA", (535, "custom"): "AA"}
for k, v in want.items():
    assert k in todo, (k, todo)
    assert os.environ[v] in todo[k], (k, todo[k])
assert len(j["by_code"]) == 6, j["by_code"]
PY
ok $? "--json: by_code has each provider's own advice"
sed 's/^/#   /' json.out

# --- HTML -------------------------------------------------------------
mm report --html r.html r.csv
is "$RC" 75 "--html: exit 75"
for a in "$GMAIL_QUOTA" "$NAVER_QUOTA" "$ANY_QUOTA" "$GMAIL_AUTH" \
    "$NAVER_AUTH" "$ANY_AUTH"; do
	is "$(grep -oF "${a//\'/\&#39;}" r.html | wc -l)" 1 "html: advised once: $a"
done

# --- a code whose advice is the same for all: one line -----------------
{
	head -1 r.csv
	row 1 gmail 550 5.1.1 RCPT
	row 2 naver 550 5.1.1 RCPT
} | sed 's/,deferred,/,failed,/' >same.csv
mm report same.csv
is "$(grep -c '^  550 5\.1\.1 ' stdout)" 1 "5.1.1: one line for both providers"
like stdout '^  550 5\.1\.1 +2 ' "... without a provider's name"

done_testing
