#ifndef REVIEW_H
#define REVIEW_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "err.h"

/*
 * Reading delivery reports back for people: what happened to each row
 * of a batch, merged over a first run and its resumes, as a terminal
 * summary, JSON or one HTML page, and the rows not sent as a roster to
 * send again.  The reports are read fully into memory (the latest line
 * of each row, its strings copied): meant for class-sized batches, not
 * for millions of rows.
 */

#define REVIEW_RECIPIENT_COLS	36	/* terminal cells before "…" */
#define REVIEW_NAME_COLS	16	/* the student's name column */
#define REVIEW_ACCOUNT_COLS	16
#define REVIEW_REPLY_COLS	60

struct review;

/*
 * Read the reports paths[0..n) in order; for each row the last line
 * read wins.  All must name the same roster checksum.  *rvp is owned by
 * the caller (review_free).  E_NOINPUT: a missing report; E_INPUT: not
 * a report, a newer format, a bad line, reports of different rosters
 * (e->where is "file:line").
 */
int	review_load(struct review **rvp, char *const *paths, size_t n,
	    struct err *e);
void	review_free(struct review *rv);

/*
 * The summary as text for a terminal (UTF-8, columns aligned by
 * display width), or as one JSON object.  E_OS if f cannot be written.
 */
int	review_print_text(const struct review *rv, FILE *f, struct err *e);
int	review_print_json(const struct review *rv, FILE *f, struct err *e);

/* The summary as one self-contained HTML page at path.  E_OS. */
int	review_write_html(const struct review *rv, const char *path,
	    struct err *e);

/* What review_write_retry() wrote. */
struct review_retry {
	size_t	rows;		/* data rows written */
	size_t	unknown;	/* of which the reports have as unknown */
	size_t	absent;		/* of which no report has a line */
};

/*
 * Write to path (replacing it) the roster rows whose latest status is
 * not sent, or that no report mentions, with the roster's header, in
 * the roster's own encoding and delimiter (as roster_open() detects
 * them), or as UTF-8 CSV with a BOM when the roster is a spreadsheet
 * (read from the sheet the reports name).  The roster is found by the
 * path in the reports (absolute; an older relative one from the current
 * directory, else from each report's folder or the one above) and must
 * still match its checksum.
 * Nothing is written on error.  E_NOINPUT: roster missing; E_INPUT:
 * roster changed or unreadable; E_USAGE: path is the roster or a
 * report; E_OS: cannot write path.
 */
int	review_write_retry(const struct review *rv, const char *path,
	    struct review_retry *out, struct err *e);

/* One line per row whose latest status is unknown, for a warning. */
int	review_print_unknown(const struct review *rv, FILE *f,
	    struct err *e);

/* A run's command line, as far as the command continuing it needs. */
struct review_cmd {
	const char	*config;	/* -c, or NULL */
	const char	*encoding;	/* --encoding, or NULL */
	int		 delimiter;	/* --delimiter, or 0 */
	const char	*sheet;		/* --sheet, or NULL or "" */
	const char	*report;
	const char	*roster;
	const char	*template;
};

/*
 * The command that continues a run, appended to b (no newline):
 * "mailmerge send [-c CONFIG] [--encoding ENC] [--delimiter C] [--sheet
 * S] --resume -r REPORT ROSTER TEMPLATE", each word quoted for a POSIX
 * shell when it needs it.  Past b's cap the rest is left out.
 */
void	review_resume_cmd(struct buf *b, const struct review_cmd *c);

/*
 * Rows still to send: roster rows no report mentions (when the roster
 * could be read and is unchanged) plus rows deferred or skipped; 0 for
 * a preview's report.
 */
size_t	review_remaining(const struct review *rv);

/* The roster path the reports name. */
const char *review_roster(const struct review *rv);

#endif /* REVIEW_H */
