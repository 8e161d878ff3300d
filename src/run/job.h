#ifndef JOB_H
#define JOB_H

#include <sys/stat.h>

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "attach.h"
#include "buf.h"
#include "codec.h"
#include "dupes.h"
#include "err.h"
#include "message.h"
#include "roster.h"
#include "template.h"

/*
 * What preview, send and check share: the batch's inputs, the options,
 * and where diagnostics and the prose about the run go (main prints
 * them; modules never do).
 */

#define JOB_ERRORS_MAX		20	/* row errors shown before giving up */
#define JOB_WARNINGS_MAX	10	/* warnings of one kind shown */

enum job_level { JOB_ERROR, JOB_WARNING, JOB_NOTE };

/* Where diagnostics go. */
typedef void job_diag_fn(void *arg, enum job_level level,
    const struct err *e);

struct job;
struct job_row;
struct roster_row;
struct send_plan;
struct send_progress;
struct send_outcome;
struct send_summary;

struct job_params {
	const char	*roster;	/* roster CSV path */
	const char	*template;	/* template path */
	const char	*encoding;	/* roster encoding, or NULL: detect */
	int		 delimiter;	/* or 0: detect */
	const char	*sheet;		/* spreadsheet roster: --sheet, or
					   NULL: the first visible sheet */
	size_t		 limit;		/* first N rows only; 0: all */
	const char	*outdir;	/* preview: .eml folder and report */
	const char	*mbox;		/* preview: one mbox instead, or NULL */
	bool		 skip_invalid;	/* rows with errors are skipped, not
					   fatal */
	job_diag_fn	*diag;		/* errors and warnings */
	void		*diag_arg;
	void		(*show)(void *arg, const struct job *j,
			    const struct job_row *r,
			    const struct roster_row *rw);
					/* the first message, or NULL */
	/* send and check (and preview, for From) */
	const char	*config;	/* or NULL: the default places (send) */
	const char	*test_to;	/* send only to this address, or NULL */
	const char	*report;	/* or NULL: out/report-DATE-TIME.csv */
	bool		 resume;	/* skip rows the report has as done */
	const char	*rate;		/* "N/UNIT" for every account, or NULL */
	bool		 yes;		/* send without asking */
	FILE		*trace;		/* the SMTP dialogue, or NULL */
	void		(*plan)(void *arg, const struct send_plan *pl);
					/* what send is about to do, or NULL */
	int		(*confirm)(void *arg);
					/* send now? 1 yes, 0 no, -1 cannot
					   ask */
	void		(*progress)(void *arg, const struct send_progress *pr);
	void		(*outcome)(void *arg, const struct send_outcome *o);
					/* each row's outcome, or NULL */
	void		(*summary)(void *arg, const struct send_summary *sm);
					/* what send did, or NULL */
	volatile sig_atomic_t *stop;	/* set by a signal: start no new
					   message, finish, QUIT; or NULL */
	void		*ui_arg;	/* for the callbacks from show on */
};

/*
 * One batch's inputs, shared by preview and send: the roster's columns,
 * the compiled template, the checksums and the Message-ID stamp.  The
 * template is read-only once bound, so sender threads share it; each
 * thread renders into its own struct job_row with its own roster reader.
 */

/* A row --skip-invalid leaves out, and why. */
struct job_bad {
	size_t		 row;
	char		*why;		/* "roster.csv:5: row 4 (...): ..." */
};

struct job {
	const struct job_params *p;
	struct roster	*roster;	/* the main thread's reader */
	struct template	*tmpl;
	char		*dir;		/* the template's folder, "" if the
					   current one: attachments are
					   found from here */
	char		 roster_sum[CODEC_SHA256_HEX];
	char		 template_sum[CODEC_SHA256_HEX];
	struct buf	 ttext;		/* the template file's text */
	char		 stamp[32];	/* batch start, UTC, for Message-IDs */
	uint64_t	 nonce;		/* random, for Message-IDs */
	bool		*list;		/* list[k]: column k may list
					   addresses (X-Mailmerge-List) */
	time_t		 now;		/* batch start */
	size_t		 rows;		/* rows validated */
	size_t		 nrcpt;		/* recipients in them */
	size_t		 errors;	/* rows with errors */
	size_t		 name_col;	/* the students' name column, or
					   SIZE_MAX: named in row errors */
	char		*roster_abs;	/* absolute paths, for the report */
	char		*template_abs;
	struct job_bad	*bad;		/* --skip-invalid: rows left out, in
					   row order */
	size_t		 nbad, sizebad;
	size_t		 warned[4];	/* warnings given, per kind */
	struct dupes	 dupes;		/* recipients, for the duplicate warning */
	struct stat	 roster_st;	/* the roster file, job_roster_stat() */
};

/* A row rendered into a message: per thread, reset per row. */
struct job_row {
	struct message	 msg;
	struct message_header hdr[TEMPLATE_HEADERS_MAX];
	size_t		 hoff[TEMPLATE_HEADERS_MAX];
	size_t		 nhdr;
	struct buf	 hbuf;		/* header values, NUL-separated */
	struct buf	 hmark;		/* address headers, fields marked */
	struct buf	 hvals;		/* field values, message_mark()ed */
	const char	**hv;		/* hv[k], hl[k]: column k in hvals */
	size_t		*hl;
	size_t		 hcap;		/* columns hv and hl hold */
	enum message_body kind;		/* from Content-Type */
	struct buf	 body;		/* the text (alternative) */
	struct buf	 html;		/* the HTML part, if kind is not TEXT */
	struct buf	 src;		/* Markdown with {{x}} HTML-escaped */
	struct attach_set files;	/* attachments, inline images */
	struct buf	 rcpts;		/* "a@x;b@y", after job_build */
	struct buf	 first;		/* first recipient: job_first() */
	bool		 first_ok;	/* ... found for these headers */
	struct buf	 subject;	/* a prefixed Subject, when asked */
	char		 msgid[96];
};

/* What job_build needs besides the row. */
struct job_build_opts {
	time_t		 date;
	bool		 allow_8bit;
	const char	*from_default;	/* From when the template has none */
	const char	*subject_prefix;	/* "[TEST] ", or NULL */
};

void	job_init(struct job *j, const struct job_params *p);
void	job_fini(struct job *j);

/* Checksums, roster, template, bind.  E_NOINPUT, E_INPUT. */
int	job_open(struct job *j, struct err *e);

/*
 * The roster file's identity (device, inode, size, mtime): noted before
 * it is read (after false); after validation (after true), E_INPUT if
 * it is no longer the file validated.  E_NOINPUT: it cannot be found.
 */
int	job_roster_stat(struct job *j, bool after, struct err *e);

/*
 * Is the roster on disk still the file validated (its identity and,
 * unless quick, its SHA-256)?  quick is for every row a pass reads,
 * the full check before each pass: no row of a file edited mid-run is
 * sent.  quick still hashes the file once its identity changed.
 * E_INPUT.
 */
int	job_roster_same(const struct job *j, bool quick, struct err *e);

/* Open another reader of the same roster (for a thread). */
int	job_reader(const struct job *j, struct roster **rp, struct err *e);

void	job_row_init(struct job_row *r);
void	job_row_fini(struct job_row *r);

/*
 * Render rw's headers.  E_INPUT with e->where "roster:line" and the row
 * and column in the message.
 */
int	job_headers(const struct job *j, struct job_row *r,
	    const struct roster_row *rw, struct err *e);

/*
 * The first To, then Cc, then Bcc address of headers job_headers()
 * rendered (what routing goes by), or "" when there is none.  Parsed
 * when asked: a preview without accounts never needs it.
 */
const char *job_first(struct job_row *r);

/*
 * Render the body (Markdown and HTML as Content-Type says), read the
 * attachments and build the message after job_headers().  E_INPUT
 * (a file that went missing since the validation pass, too large),
 * E_OS (libmagic's database cannot be loaded).
 */
int	job_build(const struct job *j, struct job_row *r,
	    const struct roster_row *rw, const struct job_build_opts *o,
	    struct err *e);

/*
 * Send's extra checks in the validation pass: route() runs after a
 * row's headers are rendered and may set o (From for the account);
 * after() runs once its message is built.  Either may be NULL; an error
 * they set counts as the row's.
 */
struct job_checks {
	int	(*route)(void *arg, struct job_row *r,
		    const struct roster_row *rw, struct job_build_opts *o,
		    struct err *e);
	int	(*after)(void *arg, struct job_row *r,
		    const struct roster_row *rw, struct err *e);
	void	*arg;
};

/*
 * Pass 1: render and check every row (attachments must exist, be
 * readable regular files within their folder and size limits), give
 * warnings, then rewind the roster.  -1 with e set when any row failed
 * (each went to diag first) or the roster is unreadable; with
 * p->skip_invalid a failed row is a warning instead, kept in j->bad
 * (job_skipped()), and the pass succeeds.
 */
int	job_validate(struct job *j, const struct job_checks *c,
	    struct err *e);

/*
 * --skip-invalid: why row was left out by the validation pass (the
 * error, with where it is), or NULL if it was not.  Valid until
 * job_fini().
 */
const char *job_skipped(const struct job *j, size_t row);

/* Print a rendered row as a person reads it: decoded headers, text. */
void	job_show(FILE *f, const struct job *j, const struct job_row *r,
	    const struct roster_row *rw);

/* Report a diagnostic through the batch's diag callback. */
void	job_diag(const struct job *j, enum job_level level,
	    const struct err *e);

/*
 * The roster's "provider" column (it routes a row to an account, see
 * config_route()), or -1 if there is none.
 */
int	job_provider_col(const struct job *j);

/* Where a row is, for messages: "roster.csv:5". */
void	job_where(const struct job *j, const struct roster_row *rw,
	    struct err *e);

#endif /* JOB_H */
