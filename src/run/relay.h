#ifndef RELAY_H
#define RELAY_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "err.h"
#include "job.h"

/*
 * mailmerge relay: a local SMTP server (RFC 5321) that relays each
 * message synchronously through the account that routes its
 * recipients, with send's TLS, AUTH, pacing and per-session caps, and
 * journals it in a delivery report.  See README "Relay".
 */

#define RELAY_LISTEN_DEFAULT	"127.0.0.1:2525"

struct relay_params {
	const char	*config;	/* -c, or NULL: the usual search */
	const char	*report;	/* -r, or NULL: the default */
	const char	*listen;	/* --listen, or NULL: [relay] listen,
					   else RELAY_LISTEN_DEFAULT */
	bool		 once;		/* serve one connection, then return */
	FILE		*trace;		/* both dialogues, or NULL */
	job_diag_fn	*diag;		/* notes (where it listens), warnings */
	void		*diag_arg;
	volatile sig_atomic_t *stop;	/* set by SIGINT/SIGTERM */
};

/*
 * Serve until *stop is set (or one connection with once): then stop
 * accepting, let the connections in flight finish, QUIT upstream and
 * return 0.  -1 before serving: E_USAGE (bad or non-loopback --listen
 * without cert, key and credentials), E_CONFIG, E_NOINPUT, E_NET (cannot
 * listen), E_OS (the report), E_TLS.
 */
int	relay_run(const struct relay_params *p, struct err *e);

#endif /* RELAY_H */
