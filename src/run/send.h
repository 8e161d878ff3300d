#ifndef SEND_H
#define SEND_H

#include <stddef.h>

#include "err.h"
#include "job.h"

/*
 * The send verb: deliver a validated batch through the accounts, one
 * session and one thread per account, journaling each outcome.
 */

/* Where a send stands, for a progress line. */
struct send_progress {
	size_t		total;		/* rows to send in this run */
	size_t		done;		/* rows with an outcome */
	size_t		sent;
	size_t		failed;		/* failed, deferred, skipped */
	size_t		unknown;
	double		per_min;	/* mails per minute since the first
					   outcome (0: fewer than two yet) */
	double		eta_s;		/* seconds left, estimated */
};

/* One row's outcome in this run, for a line per row off a terminal. */
struct send_outcome {
	size_t		 row;
	const char	*recipients;	/* ';'-separated */
	const char	*status;	/* "sent", "deferred", ... */
	int		 code;		/* the deciding reply, or 0 */
	const char	*enhanced;	/* "5.1.1", or "" */
	const char	*account;
};

/*
 * Validate every row and every account's password, show the plan, ask
 * (or need p->yes), then deliver through one session per account, one
 * thread each, journaling every outcome.  0 when every recipient was
 * accepted; else -1 and e->kind says the worst outcome: E_TEMP (some
 * deferred or unknown, or *p->stop was set: resumable), E_PERM (some
 * refused), E_AUTH, E_NET/E_TLS (an account could not be reached), or
 * the input and config errors of validation (nothing sent).
 */
int	send_batch(const struct job_params *p, struct err *e);

#endif /* SEND_H */
