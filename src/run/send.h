#ifndef SEND_H
#define SEND_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "err.h"
#include "job.h"

/*
 * The send verb: deliver a validated batch through the accounts, one
 * session and one thread per account, journaling each outcome.
 */

#define SEND_TEST_PREFIX	"[TEST] "	/* --test-to's Subject prefix */

/* One account's share of the plan. */
struct send_account_plan {
	const struct account *a;
	size_t		 mails;		/* rows routed to it in this run */
	unsigned	 rate_n;	/* at most rate_n mails per rate_ms; */
	unsigned	 rate_ms;	/* rate_n 0: no limit */
};

/* What send is about to do, shown before it asks. */
struct send_plan {
	size_t		 total;		/* mails to send in this run */
	size_t		 rows;		/* rows validated */
	size_t		 invalid;	/* rows --skip-invalid leaves out */
	bool		 resume;
	const char	*test_to;	/* --test-to's address, or NULL */
	const struct send_account_plan *acct;	/* the accounts with mail */
	size_t		 nacct;
	const char	*report;	/* the report's path, or "(none)" */
	const struct err *warn;		/* the warnings so far, again */
	size_t		 nwarn;
};

/* What a send did, added up over the accounts and the resumed run. */
struct send_summary {
	const char	*test_to;	/* --test-to: only sent and total
					   count; else NULL */
	size_t		 total;		/* mails planned */
	size_t		 sent, failed, partial, unknown;
	size_t		 later;		/* deferred or skipped */
	size_t		 untried;	/* planned, never tried */
	size_t		 earlier;	/* sent by the runs this one resumes */
	size_t		 invalid;	/* rows --skip-invalid left out */
	const char	*report;	/* its path */
	const char	*resume_cmd;	/* when rows wait for a resume, the
					   command; else NULL */
};

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
