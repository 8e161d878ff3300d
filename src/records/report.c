/*
 * The delivery report.  Writing goes through roster_write(), which owns
 * libcsv's writer; reading goes through the roster reader, since a
 * report is a CSV file with a header row like any roster.  A send keeps
 * the report as a journal: one line per event, fsync'ed, so that after
 * a crash the last line of each row is the truth.  Compaction keeps
 * those last lines, in the order they were written.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "roster.h"
#include "xalloc.h"

/* REPORT_FORMAT as text, for the format column. */
#define STR(x)		#x
#define XSTR(x)		STR(x)
#define FORMAT_TEXT	XSTR(REPORT_FORMAT)

static const char *const columns[REPORT_NCOLS] = {
	"row", "recipients", "status", "provider", "smtp_code",
	"enhanced_code", "reply", "message_id", "attempts", "time",
	"account", "stage", "roster", "roster_sha256", "template",
	"template_sha256", "format"
};

enum { C_ROW, C_RCPT, C_STATUS, C_PROVIDER, C_CODE, C_ENH, C_REPLY,
    C_MSGID, C_ATTEMPTS, C_TIME, C_ACCOUNT, C_STAGE, C_ROSTER,
    C_ROSTER_SUM, C_TEMPLATE, C_TEMPLATE_SUM, C_FORMAT };

static const char *const status_name[] = {
	[REPORT_NONE] = "",
	[REPORT_PREVIEWED] = "previewed",
	[REPORT_SENT] = "sent",
	[REPORT_FAILED] = "failed",
	[REPORT_DEFERRED] = "deferred",
	[REPORT_UNKNOWN] = "unknown",
	[REPORT_SKIPPED] = "skipped",
};

struct report {
	FILE		*f;
	char		*path;
	bool		 sync;
	struct report_meta meta;	/* copies */
	time_t		 when_t;	/* the time last formatted... */
	bool		 when_ok;
	char		 when[32];	/* ...as report_time() gave it */
};

const char *
report_status_name(enum report_status s)
{
	if ((unsigned)s >= sizeof(status_name) / sizeof(status_name[0]))
		return "";
	return status_name[s];
}

enum report_status
report_status_parse(const char *s)
{
	size_t i;

	for (i = 1; i < sizeof(status_name) / sizeof(status_name[0]); i++)
		if (strcmp(s, status_name[i]) == 0)
			return (enum report_status)i;
	return REPORT_NONE;
}

void
report_time(time_t t, char out[32])
{
	struct tm tm;
	size_t n;

	localtime_r(&t, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S%z", &tm);
	/* ISO 8601 wants the zone as +09:00, strftime gives +0900. */
	if (n == 24) {
		memmove(out + 23, out + 22, 3);
		out[22] = ':';
	}
}

static char *
dupmeta(const char *s)
{
	return xstrdup(s ? s : "");
}

/*
 * A report starts with a UTF-8 BOM, so Excel (Korean Excel above all)
 * opens it as UTF-8; readers take it with or without.
 */
static int
write_bom(FILE *f, const char *path, struct err *e)
{
	if (fwrite(REPORT_BOM, 1, 3, f) != 3) {
		err_set(e, E_OS, path, "cannot write the report: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* NULL (detect: the BOM says UTF-8) if path starts with one, else UTF-8. */
static const char *
report_encoding(const char *path)
{
	char head[3] = { 0 };
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return "UTF-8";
	if (fread(head, 1, 3, f) != 3)
		head[0] = '\0';
	fclose(f);
	return memcmp(head, REPORT_BOM, 3) == 0 ? NULL : "UTF-8";
}

static int
write_header(struct report *r, struct err *e)
{
	long end;

	if (fseek(r->f, 0, SEEK_END) == -1 || (end = ftell(r->f)) == -1) {
		err_set(e, E_OS, r->path, "cannot seek: %s", strerror(errno));
		return -1;
	}
	if (end > 0)
		return 0;
	return write_bom(r->f, r->path, e) == -1 ? -1 :
	    roster_write(r->f, columns, REPORT_NCOLS, e);
}

static int
sync_file(struct report *r, struct err *e)
{
	if (fflush(r->f) == EOF || fsync(fileno(r->f)) == -1) {
		err_set(e, E_OS, r->path, "cannot write the report: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Decimal digits of v at the end of out (size >= 21); no snprintf. */
static char *
utoa(unsigned long long v, char *out, size_t size)
{
	char *p = out + size - 1;

	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return p;
}

/* The same for a signed v. */
static const char *
itoa(long long v, char *out, size_t size)
{
	char *p = utoa(v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v, out, size);

	if (v < 0)
		*--p = '-';
	return p;
}

/* The time column: one report_time() per distinct time, not per line. */
static const char *
line_time(struct report *r, time_t t)
{
	if (!r->when_ok || r->when_t != t) {
		report_time(t, r->when);
		r->when_t = t;
		r->when_ok = true;
	}
	return r->when;
}

/*
 * One line per roster row in a preview, so this runs per row: numbers
 * are formatted by hand and the time once per second, not through
 * snprintf() and strftime() each time.
 */
int
report_open(struct report **rp, const char *path,
    const struct report_meta *meta, bool append, bool sync, struct err *e)
{
	struct report *r;

	*rp = NULL;
	r = xcalloc(1, sizeof(*r));
	r->f = fopen(path, append ? "a+" : "w");
	if (r->f == NULL) {
		err_set(e, E_OS, path, "cannot write the report: %s",
		    strerror(errno));
		free(r);
		return -1;
	}
	r->path = xstrdup(path);
	r->sync = sync;
	r->meta.roster = dupmeta(meta->roster);
	r->meta.roster_sha256 = dupmeta(meta->roster_sha256);
	r->meta.template = dupmeta(meta->template);
	r->meta.template_sha256 = dupmeta(meta->template_sha256);
	if (write_header(r, e) == -1 || (sync && sync_file(r, e) == -1)) {
		report_close(r, NULL);
		return -1;
	}
	*rp = r;
	return 0;
}

int
report_append(struct report *r, const struct report_entry *x,
    struct err *e)
{
	char row[24], code[24], attempts[24];
	const char *f[REPORT_NCOLS];

	f[C_ROW] = utoa(x->row, row, sizeof(row));
	f[C_RCPT] = x->recipients;
	f[C_STATUS] = report_status_name(x->status);
	f[C_PROVIDER] = x->provider;
	f[C_CODE] = x->smtp_code != 0 ? itoa(x->smtp_code, code,
	    sizeof(code)) : "";
	f[C_ENH] = x->enhanced;
	f[C_REPLY] = x->reply;
	f[C_MSGID] = x->message_id;
	f[C_ATTEMPTS] = utoa(x->attempts, attempts, sizeof(attempts));
	f[C_TIME] = line_time(r, x->time);
	f[C_ACCOUNT] = x->account;
	f[C_STAGE] = x->stage;
	f[C_ROSTER] = r->meta.roster;
	f[C_ROSTER_SUM] = r->meta.roster_sha256;
	f[C_TEMPLATE] = r->meta.template;
	f[C_TEMPLATE_SUM] = r->meta.template_sha256;
	f[C_FORMAT] = FORMAT_TEXT;
	for (size_t i = 0; i < REPORT_NCOLS; i++)
		if (f[i] == NULL)
			f[i] = "";
	if (roster_write(r->f, f, REPORT_NCOLS, e) == -1)
		return -1;
	return r->sync ? sync_file(r, e) : 0;
}

int
report_close(struct report *r, struct err *e)
{
	int rc = 0;

	if (r == NULL)
		return 0;
	if (r->f != NULL) {
		if (sync_file(r, e) == -1)
			rc = -1;
		if (fclose(r->f) == EOF && rc == 0) {
			err_set(e, E_OS, r->path, "cannot write the report: %s",
			    strerror(errno));
			rc = -1;
		}
	}
	free(r->path);
	free((char *)r->meta.roster);
	free((char *)r->meta.roster_sha256);
	free((char *)r->meta.template);
	free((char *)r->meta.template_sha256);
	free(r);
	return rc;
}

/* The header must start with our columns; more (a newer format) are
 * judged by the format column of each line. */
static int
check_header(struct roster *rs, const char *path, struct err *e)
{
	const char *const *cols = roster_cols(rs);
	size_t i;

	if (roster_ncols(rs) < REPORT_NCOLS) {
		err_set(e, E_INPUT, path, "not a mailmerge report: it has "
		    "%zu columns, a report has %d (row,recipients,status,...)",
		    roster_ncols(rs), REPORT_NCOLS);
		return -1;
	}
	for (i = 0; i < REPORT_NCOLS; i++) {
		if (strcmp(cols[i], columns[i]) != 0) {
			err_set(e, E_INPUT, path, "not a mailmerge report: "
			    "column %zu is '%s', expected '%s'", i + 1,
			    cols[i], columns[i]);
			return -1;
		}
	}
	return 0;
}

static int
parse_uint(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return (errno != 0 || *end != '\0' || *v > max) ? -1 : 0;
}

/* Fill l from one record; E_INPUT naming the line and column. */
static int
decode_line(const struct roster_row *rw, const char *path,
    struct report_line *l, struct err *e)
{
	const char *const *f = rw->fields;
	unsigned long long v, fmt;

	memset(l, 0, sizeof(*l));
	l->line = rw->line;
	if (parse_uint(f[C_FORMAT], 1000, &fmt) == -1 || fmt == 0) {
		err_set(e, E_INPUT, NULL, "format '%s' is not a number",
		    f[C_FORMAT]);
		goto bad;
	}
	if (fmt > REPORT_FORMAT) {
		err_set(e, E_INPUT, NULL, "the report is format %llu, written "
		    "by a newer mailmerge; this one reads format %d: "
		    "upgrade mailmerge", fmt, REPORT_FORMAT);
		goto bad;
	}
	if (parse_uint(f[C_ROW], SIZE_MAX, &v) == -1 || v == 0) {
		err_set(e, E_INPUT, NULL, "row '%s' is not a row number",
		    f[C_ROW]);
		goto bad;
	}
	l->e.row = (size_t)v;
	l->e.status = report_status_parse(f[C_STATUS]);
	if (l->e.status == REPORT_NONE) {
		err_set(e, E_INPUT, NULL, "status '%s' is not one of "
		    "previewed, sent, failed, deferred, unknown, skipped",
		    f[C_STATUS]);
		goto bad;
	}
	l->status_text = f[C_STATUS];
	l->e.smtp_code = (int)strtol(f[C_CODE], NULL, 10);
	l->e.attempts = (unsigned)strtoul(f[C_ATTEMPTS], NULL, 10);
	l->e.recipients = f[C_RCPT];
	l->e.provider = f[C_PROVIDER];
	l->e.enhanced = f[C_ENH];
	l->e.reply = f[C_REPLY];
	l->e.message_id = f[C_MSGID];
	l->e.account = f[C_ACCOUNT];
	l->e.stage = f[C_STAGE];
	l->meta.roster = f[C_ROSTER];
	l->meta.roster_sha256 = f[C_ROSTER_SUM];
	l->meta.template = f[C_TEMPLATE];
	l->meta.template_sha256 = f[C_TEMPLATE_SUM];
	return 0;
bad:
	err_where(e, "%s:%zu", path, rw->line);
	return -1;
}

static int
parse_time(const char *s, time_t *t)
{
	struct tm tm;
	int n = 0, off = 0, zh, zm;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	p = s + n;
	if ((*p == '+' || *p == '-') &&
	    sscanf(p + 1, "%2d:%2d", &zh, &zm) == 2 && strlen(p) == 6) {
		off = zh * 3600 + zm * 60;
		if (*p == '-')
			off = -off;
	} else if (*p != '\0' && strcmp(p, "Z") != 0)
		return -1;
	*t = timegm(&tm) - off;
	return 0;
}

/* Where the last line end is: the offset just after it, 0 if none. */
static int
last_newline(int fd, off_t size, off_t *after)
{
	char chunk[4096];
	off_t at = size;
	ssize_t n, i;

	while (at > 0) {
		n = (ssize_t)sizeof(chunk);
		if (at < n)
			n = (ssize_t)at;
		if (pread(fd, chunk, (size_t)n, at - n) != n)
			return -1;
		for (i = n - 1; i >= 0; i--)
			if (chunk[i] == '\n') {
				*after = at - n + i + 1;
				return 0;
			}
		at -= n;
	}
	*after = 0;
	return 0;
}

int
report_repair(const char *path, size_t *cut, struct err *e)
{
	struct stat st;
	off_t keep;
	int fd = open(path, O_RDWR | O_CLOEXEC), rc = -1;

	*cut = 0;
	if (fd == -1) {
		err_set(e, E_NOINPUT, path, "cannot open the report: %s",
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || last_newline(fd, st.st_size, &keep) == -1)
		goto os;
	if (keep < st.st_size) {
		if (ftruncate(fd, keep) == -1 || fsync(fd) == -1)
			goto os;
		*cut = (size_t)(st.st_size - keep);
	}
	rc = 0;
	goto out;
os:
	err_set(e, E_OS, path, "cannot repair the report: %s",
	    strerror(errno));
out:
	close(fd);
	return rc;
}

/* Does the file end inside a line (a kill while writing it)? */
static bool
torn(const char *path, off_t size)
{
	char c = '\n';
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return false;
	if (pread(fd, &c, 1, size - 1) != 1)
		c = '\n';
	close(fd);
	return c != '\n';
}

/* Open a report; an empty file or a header alone holds no lines (*rsp NULL). */
static int
open_report(const char *path, struct roster **rsp, struct err *e)
{
	struct roster_params rp = { path, "UTF-8", ',', true };
	struct stat st;

	*rsp = NULL;
	if (stat(path, &st) == -1) {
		err_set(e, E_NOINPUT, path, "cannot open the report: %s",
		    strerror(errno));
		return -1;
	}
	if (st.st_size == 0)
		return 0;	/* created, killed before its header */
	rp.encoding = report_encoding(path);
	if (torn(path, st.st_size)) {
		err_set(e, E_INPUT, path, "the last line is cut off: a run "
		    "was killed while writing it; 'mailmerge send --resume -r "
		    "%s' removes it (safely: that row is then unknown or "
		    "unsent)", path);
		return -1;
	}
	return roster_open(rsp, &rp, e);
}

int
report_read(const char *path, report_fn *fn, void *arg, struct err *e)
{
	struct roster *rs;
	struct roster_row rw;
	struct report_line l;
	int rc, n;

	if (open_report(path, &rs, e) == -1)
		return -1;
	if (rs == NULL)
		return 0;
	rc = check_header(rs, path, e);
	while (rc == 0 && (n = roster_next(rs, &rw, e)) != 0) {
		if (n < 0 || decode_line(&rw, path, &l, e) == -1) {
			rc = -1;
			break;
		}
		if (parse_time(rw.fields[C_TIME], &l.e.time) == -1) {
			err_set(e, E_INPUT, NULL, "time '%s' is not ISO 8601",
			    rw.fields[C_TIME]);
			err_where(e, "%s:%zu", path, rw.line);
			rc = -1;
			break;
		}
		rc = fn(arg, &l);
	}
	roster_free(rs);
	return rc;
}

/* Compaction: last[row] is the ordinal of the row's last line. */
struct compact {
	uint32_t *last;		/* 4 octets a row: journals stay far
				   below 2^32 lines */
	size_t	 nlast;
	size_t	 ordinal;
	FILE	*out;
	const char *path;
};

static int
note_last(void *arg, const struct report_line *l)
{
	struct compact *c = arg;

	if (l->e.row >= c->nlast) {
		size_t n = c->nlast ? c->nlast : 64;

		while (n <= l->e.row)
			n *= 2;
		c->last = xreallocarray(c->last, n, sizeof(*c->last));
		memset(c->last + c->nlast, 0xff,
		    (n - c->nlast) * sizeof(*c->last));
		c->nlast = n;
	}
	c->last[l->e.row] = (uint32_t)c->ordinal++;
	return 0;
}

static int
copy_last(struct compact *c, struct roster *rs, struct err *e)
{
	struct roster_row rw;
	size_t ordinal = 0;
	unsigned long long row;
	int n;

	while ((n = roster_next(rs, &rw, e)) == 1) {
		if (parse_uint(rw.fields[C_ROW], SIZE_MAX, &row) == 0 &&
		    row < c->nlast && c->last[row] == (uint32_t)ordinal &&
		    roster_write(c->out, rw.fields, rw.nfields, e) == -1)
			return -1;
		ordinal++;
	}
	return n == 0 ? 0 : -1;
}

static int
finish_tmp(FILE *f, const char *tmp, const char *path, struct err *e)
{
	if (fflush(f) == EOF || fsync(fileno(f)) == -1) {
		err_set(e, E_OS, tmp, "cannot write: %s", strerror(errno));
		fclose(f);
		return -1;
	}
	if (fclose(f) == EOF || rename(tmp, path) == -1) {
		err_set(e, E_OS, path, "cannot replace the report: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
report_compact(const char *path, struct err *e)
{
	struct roster_params rp = { path, "UTF-8", ',', true };
	struct compact c = { NULL, 0, 0, NULL, path };
	struct roster *rs = NULL;
	char tmp[4096];
	int rc = -1;

	if (report_read(path, note_last, &c, e) == -1)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((c.out = fopen(tmp, "w")) == NULL) {
		err_set(e, E_OS, tmp, "cannot write: %s", strerror(errno));
		goto out;
	}
	rp.encoding = report_encoding(path);
	if (write_bom(c.out, tmp, e) == -1 ||
	    roster_write(c.out, columns, REPORT_NCOLS, e) == -1 ||
	    roster_open(&rs, &rp, e) == -1 || copy_last(&c, rs, e) == -1) {
		fclose(c.out);
		unlink(tmp);
		goto out;
	}
	rc = finish_tmp(c.out, tmp, path, e);
out:
	roster_free(rs);
	free(c.last);
	return rc;
}
