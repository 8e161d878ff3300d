#ifndef BATCH_H
#define BATCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

/*
 * The runner: load the roster and template, validate every row, then
 * preview (write every message) or send (deliver through the accounts,
 * journaling each outcome).  Nothing is written or sent until the whole
 * batch validated.
 */

#define BATCH_ERRORS_MAX	20	/* row errors shown before giving up */
#define BATCH_WARNINGS_MAX	10	/* warnings of one kind shown */

enum batch_level { BATCH_ERROR, BATCH_WARNING, BATCH_NOTE };

/* Where a send stands, for a progress line. */
struct batch_progress {
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
struct batch_outcome {
	size_t		 row;
	const char	*recipients;	/* ';'-separated */
	const char	*status;	/* "sent", "deferred", ... */
	int		 code;		/* the deciding reply, or 0 */
	const char	*enhanced;	/* "5.1.1", or "" */
	const char	*account;
};

/* Where diagnostics go: main prints them; modules never do. */
typedef void batch_diag_fn(void *arg, enum batch_level level,
    const struct err *e);

struct batch_params {
	const char	*roster;	/* roster CSV path */
	const char	*template;	/* template path */
	const char	*encoding;	/* roster encoding, or NULL: detect */
	int		 delimiter;	/* or 0: detect */
	size_t		 limit;		/* first N rows only; 0: all */
	const char	*outdir;	/* preview: .eml folder and report */
	const char	*mbox;		/* preview: one mbox instead, or NULL */
	bool		 skip_invalid;	/* rows with errors are skipped, not
					   fatal */
	FILE		*show;		/* the first message, plan, summary */
	batch_diag_fn	*diag;		/* errors and warnings */
	void		*diag_arg;
	/* send and check (and preview, for From) */
	const char	*config;	/* or NULL: the default places (send) */
	const char	*test_to;	/* send only to this address, or NULL */
	const char	*report;	/* or NULL: out/report-DATE-TIME.csv */
	bool		 resume;	/* skip rows the report has as done */
	const char	*rate;		/* "N/UNIT" for every account, or NULL */
	bool		 yes;		/* send without asking */
	FILE		*trace;		/* the SMTP dialogue, or NULL */
	int		(*confirm)(void *arg, const char *question);
					/* 1 yes, 0 no, -1 cannot ask */
	void		(*progress)(void *arg, const struct batch_progress *pr);
	void		(*outcome)(void *arg, const struct batch_outcome *o);
					/* each row's outcome, or NULL */
	volatile sig_atomic_t *stop;	/* set by a signal: start no new
					   message, finish, QUIT; or NULL */
	void		*ui_arg;	/* for confirm and progress */
};

/*
 * Preview: write every message and DIR/report.csv (status previewed).
 * E_NOINPUT, E_INPUT (all row errors went to diag first), E_OS.
 */
int	batch_preview(const struct batch_params *p, struct err *e);

/*
 * Send: validate every row and every account's password, show the
 * plan, ask (or need yes), then deliver through one session per
 * account, one thread each, journaling every outcome.  0 when every
 * recipient was accepted; else -1 and e->kind says the worst outcome:
 * E_TEMP (some deferred or unknown, or *p->stop was set: resumable),
 * E_PERM (some refused),
 * E_AUTH, E_NET/E_TLS (an account could not be reached), or the input
 * and config errors of validation (nothing sent).
 */
int	batch_send(const struct batch_params *p, struct err *e);

/*
 * Check: per account, connect, STARTTLS, verify, EHLO, AUTH, QUIT;
 * sends nothing.  Each account's result goes to diag (note or error),
 * and so does a configuration error (E_CONFIG, nothing tried).
 */
int	batch_check(const struct batch_params *p, struct err *e);

#endif /* BATCH_H */
