# Real servers for tests/cli/bounces.sh (sourced after lib.bash): Dovecot
# (IMAP over TLS) and Exim (an MTA that writes real bounces), both in the
# foreground on 127.0.0.1, on free ports, with everything in $TMP, and
# stopped by the script's exit trap.  Both deliver and read the same
# Maildir as the Debian-exim user: Exim, run by root with -C, gives up
# root ("exim user lost privilege for using -C option"), so it can only
# write as its own user, and Dovecot reads as whatever uid its
# passwd-file says.

# free_port: a TCP port nobody listens on at 127.0.0.1 (now).
free_port() {
	"$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

MAIL_UID=$(id -u Debian-exim)
MAIL_GID=$(id -g Debian-exim)
MAILDIR=$TMP/mail/Maildir

# mail_dirs: the shared Maildir, owned by the mail user.  $TMP must be
# searchable by Dovecot's and Exim's unprivileged processes.
mail_dirs() {
	chmod 755 "$TMP"
	mkdir -p "$MAILDIR/cur" "$MAILDIR/new" "$MAILDIR/tmp"
	chown -R "$MAIL_UID:$MAIL_GID" "$TMP/mail"
}

# wait_port PORT: until something takes a connection there (10 s);
# bash's /dev/tcp, not ss(8): iproute2 is not on every minimal system.
wait_port() {
	local i
	for i in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# start_dovecot PASSWORD: user "teacher" with that password
# (SHA512-CRYPT), TLS with the test certificate; sets IMAP_PORT (implicit
# TLS), IMAP_STARTTLS_PORT (plain, STARTTLS required to log in) and
# IMAP_RAWLOG (the sessions after login, as Dovecot saw them).
start_dovecot() {
	local d=$TMP/dovecot
	make_certs
	mail_dirs
	chmod 755 "$TMP/certs"; chmod 644 "$TMP/certs"/*.pem
	mkdir -p "$d/run" "$d/state" "$d/rawlog"
	chown "$MAIL_UID:$MAIL_GID" "$d/rawlog"
	IMAP_RAWLOG=$d/rawlog
	IMAP_PORT=$(free_port)
	IMAP_STARTTLS_PORT=$(free_port)
	printf 'teacher:%s:%s:%s::%s::\n' "$(doveadm pw -s SHA512-CRYPT -p "$1")" \
	    "$MAIL_UID" "$MAIL_GID" "$TMP/mail" >"$d/passwd"
	cat >"$d/dovecot.conf" <<CONF
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <$TMP/certs/server.pem
ssl_key = <$TMP/certs/server-key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT $d/passwd
}
userdb {
  driver = passwd-file
  args = $d/passwd
}
mail_location = maildir:~/Maildir
protocol imap {
  rawlog_dir = $d/rawlog
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_STARTTLS_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAP_PORT
    ssl = yes
  }
}
service anvil {
  chroot =
}
CONF
	dovecot -F -c "$d/dovecot.conf" >"$d/stdout" 2>&1 &
	SERVER_PIDS="$SERVER_PIDS $!"
	wait_port "$IMAP_PORT" || { echo "# dovecot did not start:"; sed 's/^/#   /' "$d/stdout" "$d/dovecot.log" 2>/dev/null; }
}

# start_exim KNOWN...: an MTA for school.test that takes every recipient
# at RCPT (the ACL accepts all), then delivers only the KNOWN local parts
# (to nowhere) and bounces the rest itself; mail to teacher@teacher.test,
# the bounces included, goes to $MAILDIR.  STARTTLS with the test
# certificate.  Sets SMTP_PORT.
start_exim() {
	local d=$TMP/exim
	make_certs
	mail_dirs
	chmod 755 "$TMP/certs"; chmod 644 "$TMP/certs"/*.pem
	mkdir -p "$d/spool" "$d/log"
	chown "$MAIL_UID:$MAIL_GID" "$d/spool" "$d/log"
	printf '%s\n' "$@" >"$d/users"
	SMTP_PORT=$(free_port)
	cat >"$d/exim.conf" <<CONF
primary_hostname = mx.school.test
qualify_domain = teacher.test
domainlist local_domains = school.test : teacher.test
spool_directory = $d/spool
log_file_path = $d/log/%slog
local_interfaces = 127.0.0.1
tls_advertise_hosts = *
tls_certificate = $TMP/certs/server.pem
tls_privatekey = $TMP/certs/server-key.pem
never_users =
host_lookup =
rfc1413_hosts =
keep_environment =
acl_smtp_rcpt = accept_all
acl_smtp_data = accept_all

begin acl
accept_all:
  accept

begin routers
students:
  driver = redirect
  domains = school.test
  local_parts = lsearch;$d/users
  data = :blackhole:
teacher:
  driver = accept
  domains = teacher.test
  local_parts = teacher
  transport = to_maildir

begin transports
to_maildir:
  driver = appendfile
  directory = $MAILDIR
  maildir_format
  user = Debian-exim
  group = Debian-exim
  return_path_add
  envelope_to_add
  delivery_date_add
CONF
	exim4 -C "$d/exim.conf" -bdf -oX "$SMTP_PORT" >"$d/stdout" 2>&1 &
	SERVER_PIDS="$SERVER_PIDS $!"
	wait_port "$SMTP_PORT" || { echo "# exim did not start:"; sed 's/^/#   /' "$d/stdout" "$d/log/"* 2>/dev/null; }
}

# wait_mail N [SECONDS]: until $MAILDIR/new holds N messages.
wait_mail() {
	local i
	for i in $(seq $((${2:-20} * 10))); do
		[ "$(ls "$MAILDIR/new" | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
