/*
 * What review.c (loading, tallying, finding the roster) shares with its
 * writers: review_text.c, review_json.c, review_html.c, review_retry.c.
 * Private to src/records.
 */
#ifndef REVIEW_IMPL_H
#define REVIEW_IMPL_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "nitems.h"
#include "provider.h"
#include "report.h"
#include "review.h"

#define NSTATUS		(REPORT_BOUNCED + 1)
#define CELL_TMP	1024	/* a formatted table cell */
#define PATH_TMP_MAX	(4096 + 16)

/* What a reply code means and what to do (review.c's table). */
struct explain {
	const char	*enh;		/* "5.1.1", "4.4.x", or NULL */
	int		 code;		/* 550, or 0 */
	int		 class;		/* 2, 4, 5, or 0 */
	enum provider_hint hint;	/* the provider's advice that replaces
					   todo where it has one */
	const char	*meaning;
	const char	*todo;		/* generic advice */
};

struct entry {				/* the latest line of one row */
	struct report_entry x;		/* strings point into text */
	char		*text;		/* x's strings, packed */
	size_t		 report;	/* index in paths */
	size_t		 line;		/* its line there */
	char		*name;		/* the student's name from the roster's
					   name column, or NULL */
};

struct tally {				/* rows sharing an account or code */
	const char	*a;		/* account, or enhanced code */
	const char	*b;		/* provider, or "": a code's tally is
					   split by provider only where the
					   advice depends on it */
	int		 code;		/* basic code, or 0 */
	size_t		 n[NSTATUS];	/* rows by status */
	size_t		 total;
};

struct review {
	char		**paths;	/* the reports, in order */
	size_t		 npaths;
	char		*roster;	/* path and checksum, from line one */
	char		*roster_sum;
	char		*template;	/* its path, for the resume command */
	bool		 counted;	/* the roster was read: roster_rows is
					   known (it exists, same checksum) */
	size_t		 roster_rows;	/* its data rows */
	size_t		 untried;	/* of which no report has a line */
	bool		 sent_any;	/* a send's report, not a preview's */
	char		*roster_sheet;	/* spreadsheet: the sheet, or "" */
	size_t		 roster_from;	/* the report they came from */
	struct entry	*rows;		/* latest lines; once loaded one a
					   row, sorted by row */
	size_t		 nrows, rows_size;
	size_t		 count[NSTATUS];
	struct tally	*acct, *codes;
	size_t		 nacct, ncodes;
	size_t		 nbad;		/* rows neither sent nor previewed */
	locale_t	 utf8;		/* C.UTF-8 for wcwidth(), or 0 */
};

/* What code and enhanced code mean: never NULL. */
const struct explain *rv_explain(int code, const char *enh);

/*
 * What to do about the rows of a code tally (an N_() string): the
 * advice of the tally's provider (t->b) where it has its own, else the
 * generic one.
 */
const char *rv_todo(const struct tally *t);

/* The latest line of row, or NULL if no report has one. */
const struct entry *rv_find_row(const struct review *rv, size_t row);

/* The roster the reports name, found beside them; E_NOINPUT if not. */
int	rv_roster_find(const struct review *rv, char *found, size_t size,
	    struct err *e);

#define RV_CMD_MAX	8192	/* octets in the command that continues */

/* The command that sends what remains, into b; NULL if nothing does. */
const char *rv_continue(const struct review *rv, struct buf *b);

/* Flush f; E_OS naming what (an N_() string) if writing failed. */
int	rv_finish(FILE *f, const char *what, struct err *e);

/*
 * "550 5.1.1" of a tally ("550 5.4.5 (gmail)" where split by provider);
 * "550 5.1.1 text" of a line.
 */
void	rv_code_text(const struct tally *t, char *out, size_t size);
void	rv_reply_text(const struct report_entry *x, char *out, size_t size);

#endif /* REVIEW_IMPL_H */
