/*
 * Timeouts are deadlines, not idle timers (issue 14.8): against
 * tests/smtpd dripping one reply (or the TLS handshake) an octet every
 * DRIP_MS, each stage of a session must fail within its timeout plus a
 * margin, with a "timed out" E_NET, where a per-read timer would wait
 * for the whole drip (a 42-octet greeting: 21 s) and then go on.  Each
 * case starts its own server ($SMTPD, default build/smtpd) on an
 * ephemeral loopback port; certificates come from tests/smtpd/mkcerts.sh
 * in a mkdtemp directory.  TAP; a missing tool fails, nothing skips.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "err.h"
#include "smtp.h"
#include "tap.h"

#define TIMEOUT_MS	1000	/* the client's every timeout */
#define MARGIN_MS	3000	/* the bound: timeout + this */
#define DRIP		"500ms"	/* the server's pause after each octet */
#define WAIT_PORT_MS	5000
#define TMPDIR_MAX	256
#define PATH_T_MAX	(TMPDIR_MAX + 128)

static char tmp[TMPDIR_MAX];
static const char *smtpd;

struct server {
	pid_t	pid;
	int	port;
	char	dir[TMPDIR_MAX + 32];
};

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

static int
read_port(const char *path)
{
	FILE *f = fopen(path, "r");
	int port = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%d", &port) != 1)
		port = 0;
	fclose(f);
	return port;
}

static void
server_exec(const struct server *sv, const char *script)
{
	char cert[PATH_T_MAX], key[PATH_T_MAX], port[PATH_T_MAX + 40];

	snprintf(cert, sizeof(cert), "%s/certs/server.pem", tmp);
	snprintf(key, sizeof(key), "%s/certs/server-key.pem", tmp);
	snprintf(port, sizeof(port), "%s/port", sv->dir);
	execl(smtpd, smtpd, "-p", "0", "-a", "127.0.0.1", "--cert", cert,
	    "--key", key, "-s", script, "--port-file", port,
	    "--max-seconds", "120", (char *)NULL);
	fprintf(stderr, "exec %s: %s\n", smtpd, strerror(errno));
	_exit(127);
}

/* Start smtpd with script; 0 once it listens. */
static int
server_start(struct server *sv, const char *name, const char *script)
{
	char path[PATH_T_MAX + 40];
	int waited;

	memset(sv, 0, sizeof(*sv));
	snprintf(sv->dir, sizeof(sv->dir), "%s/%s", tmp, name);
	mkdir(sv->dir, 0755);
	snprintf(path, sizeof(path), "%s/script", sv->dir);
	write_text(path, script);
	sv->pid = fork();
	if (sv->pid == 0)
		server_exec(sv, path);
	snprintf(path, sizeof(path), "%s/port", sv->dir);
	for (waited = 0; waited < WAIT_PORT_MS; waited += 20) {
		sv->port = read_port(path);
		if (sv->port > 0)
			return 0;
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	return -1;
}

static void
server_stop(struct server *sv)
{
	if (sv->pid <= 0)
		return;
	kill(sv->pid, SIGTERM);
	waitpid(sv->pid, NULL, 0);
	sv->pid = 0;
}

static int
client_open(const struct server *sv, struct smtp **sp, struct err *e)
{
	char port[16], ca[PATH_T_MAX];
	struct smtp_params p;

	snprintf(port, sizeof(port), "%d", sv->port);
	snprintf(ca, sizeof(ca), "%s/certs/ca.pem", tmp);
	memset(&p, 0, sizeof(p));
	p.host = "127.0.0.1";
	p.port = port;
	p.ca_file = ca;
	p.helo = "client.test";
	p.auth = SMTP_AUTH_PLAIN;
	p.user = "demo";
	p.secret = "demo-password";
	p.connect_ms = p.cmd_ms = p.data_ms = TIMEOUT_MS;
	return smtp_open(sp, &p, NULL, e);
}

/* One message through an open session: its smtp_send() status. */
static int
client_send(struct smtp *s, struct err *e)
{
	static const char *const rcpt[] = { "b@example.com" };
	static const char data[] = "From: a@example.com\r\nSubject: x\r\n"
	    "\r\nbody\r\n";
	struct smtp_message m;
	struct smtp_outcome o;

	memset(&m, 0, sizeof(m));
	m.from = "a@example.com";
	m.rcpt = rcpt;
	m.nrcpt = 1;
	m.data = data;
	m.len = sizeof(data) - 1;
	return smtp_send(s, &m, &o, e);
}

/*
 * The session with a server running script fails at the stage within
 * TIMEOUT_MS + MARGIN_MS, with a timeout.  sending: the stage is in the
 * transaction (the session opens first, undripped).
 */
static void
drip_case(const char *name, const char *script, bool sending)
{
	struct server sv;
	struct smtp *s = NULL;
	struct err e;
	long long t0, ms;
	int rc;

	memset(&e, 0, sizeof(e));
	if (!ok(server_start(&sv, name, script) == 0, "%s: server started",
	    name))
		return;
	t0 = (long long)clock_ms();
	rc = client_open(&sv, &s, &e);
	if (sending && rc == 0) {
		t0 = (long long)clock_ms();
		rc = client_send(s, &e);
	}
	ms = (long long)clock_ms() - t0;
	smtp_close(s);
	server_stop(&sv);
	ok(rc == -1 && e.kind == E_NET && strstr(e.msg, "timed out"),
	    "%s: fails with a timeout (%s)", name, rc == -1 ? e.msg : "none");
	ok(ms < TIMEOUT_MS + MARGIN_MS, "%s: within %d ms of a %d ms "
	    "timeout (took %lld ms)", name, MARGIN_MS, TIMEOUT_MS, ms);
}

static int
make_certs(void)
{
	const char *mk = getenv("MKCERTS");
	char cmd[PATH_MAX + PATH_T_MAX];

	if (mk == NULL)
		mk = "tests/smtpd/mkcerts.sh";
	snprintf(cmd, sizeof(cmd), "sh '%s' '%s/certs' >/dev/null", mk, tmp);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const char *dir = getenv("TMPDIR");
	char cmd[PATH_T_MAX];
	struct err e;

	signal(SIGPIPE, SIG_IGN);
	smtpd = getenv("SMTPD") != NULL ? getenv("SMTPD") : "build/smtpd";
	if (dir == NULL || strlen(dir) > TMPDIR_MAX - 32)
		dir = "/tmp";
	snprintf(tmp, sizeof(tmp), "%s/deadline.XXXXXX", dir);
	if (mkdtemp(tmp) == NULL || access(smtpd, X_OK) == -1 ||
	    make_certs() == -1 || conn_global_init(&e) == -1) {
		printf("Bail out! no temp dir, %s, certificates or GnuTLS\n",
		    smtpd);
		return 1;
	}
	drip_case("greeting", "DRIP CONNECT " DRIP "\n", false);
	drip_case("EHLO", "DRIP EHLO#1 " DRIP "\n", false);
	drip_case("STARTTLS handshake", "DRIP_HANDSHAKE " DRIP "\n", false);
	drip_case("EHLO after TLS", "DRIP EHLO#2 " DRIP "\n", false);
	drip_case("AUTH", "DRIP AUTH " DRIP "\n", false);
	drip_case("MAIL", "DRIP MAIL " DRIP "\n", true);
	drip_case("RCPT", "DRIP RCPT " DRIP "\n", true);
	drip_case("DATA", "DRIP DATA " DRIP "\n", true);
	drip_case("end of data", "DRIP EOM " DRIP "\n", true);
	conn_global_fini();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmp);
	return tap_done();
}
