/*
 * The shared tests/smtpd fixture of the SMTP unit tests (see
 * server_fixture.h).  Test code, not a module: it prints "Bail out!"
 * itself, and it forks and execs the server.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "err.h"
#include "server_fixture.h"
#include "smtp.h"

#define WAIT_PORT_MS	5000
#define POLL_NS		20000000	/* 20 ms between looks */
#define MAX_SECONDS	"120"		/* the server's own time limit */

static char tmp[FIXTURE_TMPDIR_MAX];
static const char *smtpd;

void
fixture_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

char *
fixture_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n + 1);
	if (p == NULL || fread(p, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	if (p != NULL)
		p[n] = '\0';
	fclose(f);
	return p;
}

/* The port smtpd wrote to path, or 0 while it has not. */
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
server_exec(const struct fixture_server *sv, const char *script)
{
	char cert[FIXTURE_PATH_MAX], key[FIXTURE_PATH_MAX];
	char port[FIXTURE_PATH_MAX];

	snprintf(cert, sizeof(cert), "%s/certs/server.pem", tmp);
	snprintf(key, sizeof(key), "%s/certs/server-key.pem", tmp);
	snprintf(port, sizeof(port), "%s/port", sv->dir);
	execl(smtpd, smtpd, "-p", "0", "-a", "127.0.0.1", "--cert", cert,
	    "--key", key, "-s", script, "-d", sv->store, "-t", sv->log,
	    "--port-file", port, "--max-seconds", MAX_SECONDS, (char *)NULL);
	fprintf(stderr, "exec %s: %s\n", smtpd, strerror(errno));
	_exit(127);
}

int
fixture_server_start(struct fixture_server *sv, const char *name,
    const char *script)
{
	char path[FIXTURE_PATH_MAX];
	int waited;

	memset(sv, 0, sizeof(*sv));
	snprintf(sv->dir, sizeof(sv->dir), "%s/%s", tmp, name);
	snprintf(sv->store, sizeof(sv->store), "%s/store", sv->dir);
	snprintf(sv->log, sizeof(sv->log), "%s/transcript", sv->dir);
	mkdir(sv->dir, 0755);
	snprintf(path, sizeof(path), "%s/script", sv->dir);
	fixture_write(path, script);
	sv->pid = fork();
	if (sv->pid == 0)
		server_exec(sv, path);
	snprintf(path, sizeof(path), "%s/port", sv->dir);
	for (waited = 0; waited < WAIT_PORT_MS; waited += 20) {
		sv->port = read_port(path);
		if (sv->port > 0)
			return 0;
		nanosleep(&(struct timespec){ 0, POLL_NS }, NULL);
	}
	return -1;
}

int
fixture_server_stop(struct fixture_server *sv)
{
	int status = -1;

	if (sv->pid <= 0)
		return -1;
	kill(sv->pid, SIGTERM);
	waitpid(sv->pid, &status, 0);
	sv->pid = 0;
	return status;
}

void
fixture_client(struct fixture_client *c, const struct fixture_server *sv,
    int ms)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->port, sizeof(c->port), "%d", sv->port);
	snprintf(c->ca, sizeof(c->ca), "%s/certs/ca.pem", tmp);
	c->p.host = "127.0.0.1";
	c->p.port = c->port;
	c->p.ca_file = c->ca;
	c->p.helo = "client.test";
	c->p.auth = SMTP_AUTH_PLAIN;
	c->p.user = "demo";
	c->p.secret = "demo-password";
	c->p.connect_ms = c->p.cmd_ms = c->p.data_ms = ms;
}

static int
make_certs(void)
{
	const char *mk = getenv("MKCERTS");
	char cmd[PATH_MAX + FIXTURE_PATH_MAX];

	if (mk == NULL)
		mk = "tests/smtpd/mkcerts.sh";
	snprintf(cmd, sizeof(cmd), "sh '%s' '%s/certs' >/dev/null", mk, tmp);
	return system(cmd) == 0 ? 0 : -1;
}

int
fixture_setup(const char *name)
{
	const char *dir = getenv("TMPDIR");
	struct err e;

	signal(SIGPIPE, SIG_IGN);
	smtpd = getenv("SMTPD") != NULL ? getenv("SMTPD") : "build/smtpd";
	if (dir == NULL || strlen(dir) > FIXTURE_TMPDIR_MAX - 32)
		dir = "/tmp";
	snprintf(tmp, sizeof(tmp), "%s/%s.XXXXXX", dir, name);
	if (mkdtemp(tmp) == NULL || access(smtpd, X_OK) == -1 ||
	    make_certs() == -1 || conn_global_init(&e) == -1) {
		printf("Bail out! no temp dir, %s, certificates or GnuTLS\n",
		    smtpd);
		return -1;
	}
	return 0;
}

void
fixture_teardown(void)
{
	char cmd[FIXTURE_PATH_MAX];

	conn_global_fini();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmp);
}
