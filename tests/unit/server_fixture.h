#ifndef SERVER_FIXTURE_H
#define SERVER_FIXTURE_H

/*
 * tests/smtpd for the unit tests that talk SMTP over loopback TLS
 * (test_pipeline, test_deadline): a mkdtemp directory with certificates
 * from tests/smtpd/mkcerts.sh, one server per case on an ephemeral
 * 127.0.0.1 port with its fault script, store and transcript, and the
 * client parameters that trust the test CA.  The server is $SMTPD
 * (default build/smtpd), the certificate script $MKCERTS.
 */
#include <sys/types.h>

#include <stddef.h>

#include "smtp.h"

#define FIXTURE_TMPDIR_MAX	256	/* the mkdtemp directory's name */
#define FIXTURE_PATH_MAX	(FIXTURE_TMPDIR_MAX + 128) /* a file in it */

struct fixture_server {
	pid_t	pid;
	int	port;
	char	dir[FIXTURE_TMPDIR_MAX + 32];	/* the case's directory */
	char	store[FIXTURE_PATH_MAX];	/* its stored mail (-d) */
	char	log[FIXTURE_PATH_MAX];		/* its transcript (-t) */
};

/* Client parameters for a server; p's strings point into this. */
struct fixture_client {
	struct smtp_params p;
	char	port[16];
	char	ca[FIXTURE_PATH_MAX];
};

/*
 * Ignore SIGPIPE, make $TMPDIR/name.XXXXXX with certificates in it and
 * start GnuTLS; on failure print "Bail out!" and return -1.
 */
int	fixture_setup(const char *name);

/* Stop GnuTLS and remove the directory. */
void	fixture_teardown(void);

/* Start smtpd for case name with script; 0 once it listens, else -1. */
int	fixture_server_start(struct fixture_server *sv, const char *name,
	    const char *script);

/* SIGTERM the server and wait: its wait status (-1 if none ran). */
int	fixture_server_stop(struct fixture_server *sv);

/*
 * Parameters to log in to sv (PLAIN, demo / demo-password, helo
 * client.test) with every timeout ms.
 */
void	fixture_client(struct fixture_client *c,
	    const struct fixture_server *sv, int ms);

/* The whole file at path, NUL-terminated (malloc'd), or NULL. */
char	*fixture_slurp(const char *path);

/* Write text to path (a case's script). */
void	fixture_write(const char *path, const char *text);

#endif /* SERVER_FIXTURE_H */
