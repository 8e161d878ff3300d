#ifndef RESUME_H
#define RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "err.h"
#include "report.h"
#include "roster.h"

/*
 * What an earlier report says of each row, for a run that resumes it
 * (send --resume): which rows are done, how often each was tried, and
 * each row's fingerprint, so a roster with rows appended (late
 * enrolment) is taken and a roster with a row changed is refused.
 */

enum resume_state {
	RESUME_TODO = 0,	/* to send */
	RESUME_SENT,		/* sent, partial or bounced: never resent */
	RESUME_UNKNOWN,		/* in flight when the run ended */
	RESUME_INVALID		/* --skip-invalid left it out */
};

struct resume {
	unsigned char	*state;		/* enum resume_state, by row */
	unsigned char	*attempts;	/* tries so far, by row (the caller
					   counts on; one thread per row) */
	size_t		 nstate;	/* rows state and attempts hold */
	size_t		 max_row;	/* the report's highest row */
	size_t		 max_row_line;	/* ... and its line */
	uint64_t	*fp;		/* the report's row fingerprints */
	size_t		 nfp;		/* ... room for rows below nfp */
	bool		 roster_changed;	/* the report's roster differs */
	size_t		 fp_missing;	/* lines with no fingerprint (fmt 1) */
	size_t		 fp_changed;	/* first row whose fingerprint differs */
	const struct report_meta *want;	/* during resume_load() */
	struct err	 meta_err;	/* why the report's meta was refused */
};

/* A struct resume starts zeroed; resume_fini() frees its arrays. */
void	resume_fini(struct resume *rs);

/*
 * Read the report at path (repaired first: *cut gets the octets of a
 * torn last line removed; a format-1 report is rewritten in today's
 * columns).  It must have been made from want's template and sheet; a
 * roster checksum other than want's sets roster_changed (the rows are
 * judged by resume_compare() and resume_check_rows()).  E_NOINPUT,
 * E_INPUT (naming path), E_OS.
 */
int	resume_load(struct resume *rs, const char *path,
	    const struct report_meta *want, size_t *cut, struct err *e);

/* Room for rows up to row (a fresh run has none); state RESUME_TODO. */
void	resume_fit(struct resume *rs, size_t row);

/* Row's state; RESUME_TODO for a row the report does not have. */
enum resume_state resume_row(const struct resume *rs, size_t row);

/*
 * A row's fingerprint: SHA-256 over the roster's column names and the
 * row's fields, each with its length, as hex (the report's row_sha256).
 */
void	resume_fingerprint(const struct roster *ros,
	    const struct roster_row *rw, char out[CODEC_SHA256_HEX]);

/* With the roster changed, note whether rw is the row the report has. */
void	resume_compare(struct resume *rs, const struct roster *ros,
	    const struct roster_row *rw);

/*
 * After validation of rows (limit: -n, or 0): every row of the report
 * must be in the roster, and a changed roster may only have rows
 * appended.  E_INPUT naming report or roster, E_USAGE (-n hides rows
 * the check needs).
 */
int	resume_check_rows(const struct resume *rs, size_t rows, size_t limit,
	    const char *report, const char *roster, struct err *e);

/* Rows up to rows the report has as sent and as unknown. */
void	resume_count(const struct resume *rs, size_t rows, size_t *sent,
	    size_t *unknown);

/*
 * A run without --resume may write path only when it is missing or
 * holds no line but the header (an old header alone is emptied): a
 * report is never overwritten.  -1 with E_USAGE (not a regular file) or
 * E_OS; -2 with E_USAGE when path holds a report, or what cannot be
 * read as one: the caller says how to resume it.
 */
int	resume_check_fresh(const char *path, struct err *e);

#endif /* RESUME_H */
