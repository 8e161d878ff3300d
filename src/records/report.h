#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "err.h"

/*
 * The delivery report: a CSV file (UTF-8, header row) with one line per
 * event, written with libcsv's writer.  During a send it is an
 * append-only journal, flushed and fsync'ed per event, so a crash loses
 * nothing and leaves every in-flight row marked `unknown`; at the end
 * of a run it is compacted to one line per roster row.  Readers take
 * the last line of a row as its outcome.
 *
 * The columns are one table in report.c (name, format that added it,
 * how a cell is written and read): row,recipients,status,provider,
 * smtp_code,enhanced_code,reply,message_id,attempts,time,account,stage,
 * roster,roster_sha256,template,template_sha256,format,row_sha256,
 * roster_sheet.  The first ten are the contract shared by preview, send
 * and report; the rest let resume and report find the roster again.
 * Format 1 had neither row_sha256 nor roster_sheet (its rosters were
 * CSV); format 2 lines neutralise cells a spreadsheet would run as
 * formulas (OWASP: a leading ' before = + - @ TAB CR, and before a
 * leading '), which the reader undoes.  roster_sheet names the sheet of
 * a spreadsheet roster, so that resume and --failed-csv read that one.
 */

#define REPORT_BOM	"\xEF\xBB\xBF"	/* a report's first octets (readers
					   accept a report without) */
#define REPORT_FORMAT	2	/* the "format" column; readers refuse newer */
#define REPORT_ROW_MAX	10000000	/* a larger row number is corrupt */

enum report_status {
	REPORT_NONE = 0,	/* no outcome yet (reading only) */
	REPORT_PREVIEWED,	/* rendered by preview, not sent */
	REPORT_SENT,		/* the server accepted it (2xx after ".") */
	REPORT_FAILED,		/* refused permanently (5xx) */
	REPORT_DEFERRED,	/* refused for now (4xx) or not tried: retry */
	REPORT_UNKNOWN,		/* "." sent, no verdict: may have been taken */
	REPORT_SKIPPED,		/* not sent on purpose (account stopped...) */
	REPORT_PARTIAL,		/* some recipients accepted, some refused
				   for good: never resent */
	REPORT_BOUNCED		/* sent, then a bounce came back (bounces) */
};

/* Where the batch came from: the same for every line of one run. */
struct report_meta {
	const char	*roster;		/* path as given */
	const char	*roster_sha256;		/* hex */
	const char	*template;
	const char	*template_sha256;
	const char	*roster_sheet;		/* spreadsheet: the sheet read;
						   NULL or "" for CSV */
};

/* One line.  Strings are borrowed; NULL is written as "". */
struct report_entry {
	size_t		 row;		/* roster data row, 1-based */
	const char	*recipients;	/* "a@x;b@y" */
	enum report_status status;
	const char	*provider;	/* profile name, "" for preview */
	int		 smtp_code;	/* 0: none */
	const char	*enhanced;	/* "5.1.1" or "" */
	const char	*reply;		/* server text or our explanation */
	const char	*message_id;
	unsigned	 attempts;
	time_t		 time;
	const char	*account;	/* config section, "" for preview */
	const char	*stage;		/* "MAIL", "RCPT", "EOM", ... or "" */
	const char	*row_sha256;	/* the row's fingerprint, or "" */
};

struct report;

/*
 * Create path (its folder must exist), truncating an old one unless
 * append; a new or empty file gets the header row.  sync: fsync after
 * every line (send); else stdio buffering (preview).  A path that is a
 * symbolic link or not a regular file is refused (E_USAGE).  E_OS
 * naming path; "disk full" when the disk is.
 */
int	report_open(struct report **rp, const char *path,
	    const struct report_meta *meta, bool append, bool sync,
	    struct err *e);

/* Write one line (and fsync it when sync).  E_OS. */
int	report_append(struct report *r, const struct report_entry *x,
	    struct err *e);

/* The "skipped" line of a row --skip-invalid left out, why its reply. */
int	report_skipped(struct report *r, size_t row, const char *why,
	    time_t t, struct err *e);

/*
 * Cut a last line a kill left half-written (a file not ending in a line
 * end) so the journal can be read and appended to again; fsync'ed.
 * Safe: a cut in-flight mark means the final dot was never sent, a cut
 * verdict leaves the row's in-flight line, which reads unknown.  Sets
 * *cut to the octets removed.  E_NOINPUT, E_OS.
 */
int	report_repair(const char *path, size_t *cut, struct err *e);

/* Flush, fsync, close and free; E_OS if the last write failed. */
int	report_close(struct report *r, struct err *e);

/* A line as read back; strings valid during the callback only. */
struct report_line {
	struct report_entry	e;
	struct report_meta	meta;
	const char		*status_text;
	size_t			 line;		/* file line, for errors */
	int			 format;	/* the format it was written in */
	const char *const	*cells;		/* the cells as in the file */
	size_t			 ncells;
};

typedef int report_fn(void *arg, const struct report_line *l);

/*
 * Call fn for every line of path in order; fn returning -1 stops with
 * that error.  E_NOINPUT: missing; E_INPUT: not a mailmerge report, a
 * newer format, a bad status or row (naming the line).
 */
int	report_read(const char *path, report_fn *fn, void *arg,
	    struct err *e);

/*
 * The latest line of each row wins: call every (unless NULL) for each
 * line of path in order, then fn once per row with the row's latest
 * line, in the order those were written.  Memory: 4 octets per row
 * number; the file is read twice.  Errors as report_read().
 */
int	report_latest(const char *path, report_fn *every, report_fn *fn,
	    void *arg, struct err *e);

/*
 * Rewrite path in place keeping only the last line of each row, in the
 * order written (a private temporary file beside it, then rename), in
 * the current format's columns.  E_OS, E_INPUT.
 */
int	report_compact(const char *path, struct err *e);

/* Does path's header lack the current format's columns (format 1)? */
bool	report_is_old(const char *path);

/*
 * An output file written whole: a new private file beside path
 * (mkstemp: never a fixed name a link could be planted at), then
 * report_tmp_close() renames it over path.  path must not be a symbolic
 * link or other than a regular file (E_USAGE).  tmp gets the temporary
 * name (size >= strlen(path) + 8).  E_OS.
 */
FILE	*report_tmp_open(const char *path, char *tmp, size_t size,
	    struct err *e);

/* Flush, fsync, close; rename tmp to path if ok, else remove tmp. */
int	report_tmp_close(FILE *f, const char *tmp, const char *path, bool ok,
	    struct err *e);

/*
 * Lock path for a run: an flock()ed lock file "path.lock" holding our
 * PID, removed by report_unlock().  A lock held by another process is
 * E_TEMP naming its PID; a kill leaves the file but not the lock.
 */
struct report_lock;
int	report_lock(struct report_lock **lp, const char *path, struct err *e);
void	report_unlock(struct report_lock *l);

/*
 * A fresh report name: create "base.csv" with O_EXCL, or base-2.csv,
 * base-3.csv ... if it exists; out (size >= strlen(base) + 12) gets it.
 * E_OS.
 */
int	report_create_new(const char *base, char *out, size_t size,
	    struct err *e);

/*
 * A cell as read from a format-2 file: s without the ' that neutralised
 * a formula (OWASP CSV injection rule); s itself otherwise.
 */
const char *report_cell_plain(const char *s);

const char *report_status_name(enum report_status s);

/* ISO 8601 with zone: "2026-11-26T16:20:00+09:00". */
void	report_time(time_t t, char out[32]);

/*
 * Read a time as report_time() writes it or as a spreadsheet saves it:
 * "2026-11-26 16:20", "2026/11/26 4:20:00 PM", "26.11.2026 16:20",
 * "11/26/2026 16:20", seconds and zone optional (no zone: local time).
 * 0 or -1.
 */
int	report_parse_time(const char *s, time_t *t);

#endif /* REPORT_H */
