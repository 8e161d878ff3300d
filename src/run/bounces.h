#ifndef BOUNCES_H
#define BOUNCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

/*
 * The "bounces" verb: read bounces back into a delivery report.  Mail
 * comes from the accounts' IMAP mailboxes (read-only) or from files
 * (Maildir folders, mbox files, .eml files); each bounce is matched to
 * the report row it answers, and each failed recipient of a row that
 * was sent gets one journal line with status bounced.
 */

struct bounces_params {
	const char	*config;	/* -c, or NULL: the default places */
	const char	*report;	/* -r, or NULL: the newest
					   out/report-*.csv */
	const char	*account;	/* --account, or NULL: all */
	const char	*since;		/* --since YYYY-MM-DD, or NULL */
	bool		 json;		/* one JSON object per recipient */
	bool		 dry_run;	/* write nothing */
	char *const	*sources;	/* files and folders, or none: IMAP */
	size_t		 nsources;
	FILE		*out;		/* the table or JSON */
	/* A note on a message skipped or a warning, for stderr. */
	void		(*note)(void *arg, const struct err *e);
	void		*arg;
};

struct bounces_result {
	size_t	messages;	/* read */
	size_t	bounces;	/* of which bounces */
	size_t	autoreplies;
	size_t	skipped;	/* too big, not mail, too deep */
	size_t	marked;		/* journal lines appended (or would be) */
	size_t	unmatched;	/* failed recipients with no row */
};

/*
 * Run the verb.  The report path used is copied into report_out (for
 * the summary the caller prints after).  E_USAGE: bad --since, no
 * report; E_NOINPUT: a source or the report missing; E_INPUT: a bad
 * report; E_CONFIG: an account without imap_host; E_NET, E_TLS,
 * E_AUTH, E_PROTO from IMAP; E_OS: cannot write the report.
 */
int	bounces_run(const struct bounces_params *p, struct bounces_result *r,
	    char *report_out, size_t report_size, struct err *e);

#endif /* BOUNCES_H */
