#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stddef.h>
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
 * Columns (the first ten are the contract shared by preview, send and
 * report; the rest let resume and report find the roster again):
 *   row,recipients,status,provider,smtp_code,enhanced_code,reply,
 *   message_id,attempts,time,account,stage,roster,roster_sha256,
 *   template,template_sha256,format
 */

#define REPORT_BOM	"\xEF\xBB\xBF"	/* a report's first octets (readers
					   accept a report without) */
#define REPORT_FORMAT	1	/* the "format" column; readers refuse newer */
#define REPORT_NCOLS	17

enum report_status {
	REPORT_NONE = 0,	/* no outcome yet (reading only) */
	REPORT_PREVIEWED,	/* rendered by preview, not sent */
	REPORT_SENT,		/* the server accepted it (2xx after ".") */
	REPORT_FAILED,		/* refused permanently (5xx) */
	REPORT_DEFERRED,	/* refused for now (4xx) or not tried: retry */
	REPORT_UNKNOWN,		/* "." sent, no verdict: may have been taken */
	REPORT_SKIPPED		/* not sent on purpose (account stopped...) */
};

/* Where the batch came from: the same for every line of one run. */
struct report_meta {
	const char	*roster;		/* path as given */
	const char	*roster_sha256;		/* hex */
	const char	*template;
	const char	*template_sha256;
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
};

struct report;

/*
 * Create path (its folder must exist), truncating an old one unless
 * append; a new or empty file gets the header row.  sync: fsync after
 * every line (send); else stdio buffering (preview).  E_OS naming path.
 */
int	report_open(struct report **rp, const char *path,
	    const struct report_meta *meta, bool append, bool sync,
	    struct err *e);

/* Write one line (and fsync it when sync).  E_OS. */
int	report_append(struct report *r, const struct report_entry *x,
	    struct err *e);

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
 * Rewrite path in place keeping only the last line of each row, in row
 * order (tmp file + rename + fsync).  E_OS, E_INPUT.
 */
int	report_compact(const char *path, struct err *e);

const char *report_status_name(enum report_status s);
enum report_status report_status_parse(const char *s);	/* NONE if bad */

/* ISO 8601 with zone: "2026-11-26T16:20:00+09:00". */
void	report_time(time_t t, char out[32]);

#endif /* REPORT_H */
