#!/bin/bash
# The accounts of a send share their CA stores (conn_trusts): one store
# per distinct ca_file, loaded by the first session that needs it.  The
# sharing must never let one account's trust stand for another's: an
# account whose ca_file does not vouch for the server fails its
# handshake even while another account, trusting the right CA, sends
# through the same server at the same time; accounts with the same
# ca_file both verify.  `make bench` measures the memory it saves.
. "$(dirname "$0")/lib.bash"

start_smtpd ts
printf '이름,email\n가,a@example.com\n나,b@example.org\n다,c@example.com\n' \
    >roster.csv
cat >tpl.txt <<'TPL'
From: Prof <demo@example.com>
To: {{이름}} <{{email}}>
Subject: hi {{이름}}

hello
TPL
# conf FILE CA-FOR-example.com CA-FOR-the-rest
conf() {
	{
		conf_account good "$PORT" example.com
		conf_account other "$PORT" '*'
	} | awk -v a="$2" -v b="$3" '
	    /^\[good\]/ { s = a } /^\[other\]/ { s = b }
	    /^ca_file = / { print "ca_file = " s; next } { print }' >"$1"
}

# A self-signed certificate is a CA file that vouches for nothing here.
for order in first second; do
	if [ $order = first ]; then
		conf t.conf "$TMP/certs/ca.pem" "$TMP/certs/self.pem"
	else
		conf t.conf "$TMP/certs/self.pem" "$TMP/certs/ca.pem"
	fi
	rm -rf "$TMP/ts.store"/*
	mm send -c t.conf --yes -r "r-$order.csv" roster.csv tpl.txt
	ok "$([ "$RC" -ne 0 ]; echo $?)" "$order: one account's CA does not vouch for the server: the send fails (exit $RC)"
	no_valgrind_error
	if [ $order = first ]; then
		want="a@example.com c@example.com "
		bad=other
	else
		want="b@example.org "
		bad=good
	fi
	is "$(cut -f3 "$TMP/ts.store/index.tsv" 2>/dev/null | sort | tr '\n' ' ')" \
	    "$want" "$order: only the rows of the account whose CA is right were delivered"
	like stderr "\\[$bad\\].*(certificate|not trusted|verify)" \
	    "$order: the other account's handshake was refused, named"
done

# Both accounts trusting the same CA file share one store and both send.
conf t.conf "$TMP/certs/ca.pem" "$TMP/certs/ca.pem"
rm -rf "$TMP/ts.store"/*
mm send -c t.conf --yes -r r-same.csv roster.csv tpl.txt
is "$RC" 0 "the same ca_file for both accounts: exit 0"
no_valgrind_error
is "$(stored ts)" 3 "all three rows delivered through the two accounts"
done_testing
