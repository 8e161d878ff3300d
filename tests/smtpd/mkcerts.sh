#!/bin/sh
# mkcerts.sh OUTDIR: make the TLS material the loopback tests use.
#
#   ca.pem ca-key.pem            test CA (valid 2019..2049)
#   server.pem server-key.pem    "localhost", SAN DNS:localhost IP:127.0.0.1
#                                IP:::1, signed by the CA
#   expired.pem expired-key.pem  same names, signed by the CA, expired in 2020
#   wrong.pem wrong-key.pem      "wrong.example", signed by the CA
#   self.pem self-key.pem        "localhost" with the right SANs, self-signed
#
# ECDSA P-256 keys keep this well under a second.  Needs certtool (gnutls-bin).
set -eu

if [ $# -ne 1 ]; then
	echo "usage: mkcerts.sh OUTDIR" >&2
	exit 64
fi
out=$1
command -v certtool >/dev/null 2>&1 || {
	echo "mkcerts.sh: certtool not found (apt-get install gnutls-bin)" >&2
	exit 69
}
mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkcerts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

key() {
	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
	    --no-text --outfile "$1" 2>/dev/null
}

# tmpl NAME LINES...: write a certtool template.
tmpl() {
	name=$1
	shift
	printf '%s\n' "$@" >"$tmp/$name.tmpl"
}

tmpl ca 'cn = "mailmerge test CA"' 'organization = "mailmerge tests"' \
    'ca' 'cert_signing_key' 'crl_signing_key' \
    'activation_date = "2019-01-01 00:00:00"' \
    'expiration_date = "2049-12-31 23:59:59"'
tmpl server 'cn = "localhost"' 'dns_name = "localhost"' \
    'ip_address = "127.0.0.1"' 'ip_address = "::1"' \
    'tls_www_server' 'signing_key' 'expiration_days = 3650'
tmpl expired 'cn = "localhost"' 'dns_name = "localhost"' \
    'ip_address = "127.0.0.1"' 'ip_address = "::1"' \
    'tls_www_server' 'signing_key' \
    'activation_date = "2020-01-01 00:00:00"' \
    'expiration_date = "2020-12-31 23:59:59"'
tmpl wrong 'cn = "wrong.example"' 'dns_name = "wrong.example"' \
    'tls_www_server' 'signing_key' 'expiration_days = 3650'
tmpl self 'cn = "localhost"' 'dns_name = "localhost"' \
    'ip_address = "127.0.0.1"' 'ip_address = "::1"' \
    'tls_www_server' 'signing_key' 'expiration_days = 3650'

key "$out/ca-key.pem"
certtool --generate-self-signed --load-privkey "$out/ca-key.pem" \
    --template "$tmp/ca.tmpl" --no-text --outfile "$out/ca.pem" 2>/dev/null

for n in server expired wrong; do
	key "$out/$n-key.pem"
	certtool --generate-certificate --load-privkey "$out/$n-key.pem" \
	    --load-ca-certificate "$out/ca.pem" \
	    --load-ca-privkey "$out/ca-key.pem" \
	    --template "$tmp/$n.tmpl" --no-text --outfile "$out/$n.pem" \
	    2>/dev/null
done

key "$out/self-key.pem"
certtool --generate-self-signed --load-privkey "$out/self-key.pem" \
    --template "$tmp/self.tmpl" --no-text --outfile "$out/self.pem" 2>/dev/null
