/*
 * The delivery report.  Writing goes through roster_write(), which owns
 * libcsv's writer; reading goes through the roster reader, since a
 * report is a CSV file with a header row like any roster.  A send keeps
 * the report as a journal: one line per event, fsync'ed, so that after
 * a crash the last line of each row is the truth.  Compaction keeps
 * those last lines, in the order they were written.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "i18n.h"
#include "nitems.h"
#include "report.h"
#include "roster.h"
#include "xalloc.h"

/* REPORT_FORMAT as text, for the format column. */
#define STR(x)		#x
#define XSTR(x)		STR(x)
#define FORMAT_TEXT	XSTR(REPORT_FORMAT)

static int	write_names(FILE *, struct err *);

/* Leading octets that make a spreadsheet run a cell (OWASP), and ' */
#define FORMULA_LEAD	"=+-@\t\r'"
#define CELL_MAX	(256 * 1024)	/* octets of one neutralised line */

static const char *const status_name[] = {
	[REPORT_NONE] = "",
	[REPORT_PREVIEWED] = "previewed",
	[REPORT_SENT] = "sent",
	[REPORT_FAILED] = "failed",
	[REPORT_DEFERRED] = "deferred",
	[REPORT_UNKNOWN] = "unknown",
	[REPORT_SKIPPED] = "skipped",
	[REPORT_PARTIAL] = "partial",
	[REPORT_BOUNCED] = "bounced",
};

struct report {
	FILE		*f;
	char		*path;
	bool		 sync;
	struct report_meta meta;	/* copies */
	time_t		 when_t;	/* the time last formatted... */
	bool		 when_ok;
	char		 when[32];	/* ...as report_time() gave it */
	struct buf	 cells;		/* neutralised cells of one line */
};

/* strerror(), and "disk full" said plainly (it needs the user). */
static const char *
os_why(int errnum)
{
	if (errnum == ENOSPC || errnum == EDQUOT)
		return _("disk full (no space left on the device): free "
		    "some space");
	return strerror(errnum);
}

const char *
report_status_name(enum report_status s)
{
	if ((unsigned)s >= nitems(status_name))
		return "";
	return status_name[s];
}

/* The status called s; REPORT_NONE if none is. */
static enum report_status
status_parse(const char *s)
{
	size_t i;

	for (i = 1; i < nitems(status_name); i++)
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
	    write_names(r->f, e);
}

static int
sync_file(struct report *r, struct err *e)
{
	if (fflush(r->f) == EOF || fsync(fileno(r->f)) == -1) {
		err_set(e, E_OS, r->path, "cannot write the report: %s",
		    os_why(errno));
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

/* --- the columns ---------------------------------------------------- */

#define NUM_TMP		24	/* a number as text */
#define NOTEXT		((size_t)-1)
#define TEXT(m)		offsetof(struct report_line, m)

static const char *
put_row(struct report *r, const struct report_line *l, char *tmp)
{
	(void)r;
	return utoa(l->e.row, tmp, NUM_TMP);
}

static const char *
put_status(struct report *r, const struct report_line *l, char *tmp)
{
	(void)r, (void)tmp;
	return report_status_name(l->e.status);
}

static const char *
put_code(struct report *r, const struct report_line *l, char *tmp)
{
	(void)r;
	return l->e.smtp_code != 0 ? itoa(l->e.smtp_code, tmp, NUM_TMP) : "";
}

static const char *
put_attempts(struct report *r, const struct report_line *l, char *tmp)
{
	(void)r;
	return utoa(l->e.attempts, tmp, NUM_TMP);
}

static const char *
put_time(struct report *r, const struct report_line *l, char *tmp)
{
	(void)tmp;
	return line_time(r, l->e.time);
}

static const char *
put_format(struct report *r, const struct report_line *l, char *tmp)
{
	(void)r, (void)l, (void)tmp;
	return FORMAT_TEXT;
}

static int	parse_uint(const char *, unsigned long long,
		    unsigned long long *);

static int
get_format(const char *s, struct report_line *l, struct err *e)
{
	unsigned long long fmt;

	if (parse_uint(s, 1000, &fmt) == -1 || fmt == 0) {
		err_set(e, E_INPUT, NULL, "format '%s' is not a number", s);
		return -1;
	}
	if (fmt > REPORT_FORMAT) {
		err_set(e, E_INPUT, NULL, "the report is format %llu, written "
		    "by a newer mailmerge; this one reads format %d: "
		    "upgrade mailmerge", fmt, REPORT_FORMAT);
		return -1;
	}
	l->format = (int)fmt;
	return 0;
}

static int
get_row(const char *s, struct report_line *l, struct err *e)
{
	unsigned long long v;

	if (parse_uint(s, REPORT_ROW_MAX, &v) == -1 || v == 0) {
		err_set(e, E_INPUT, NULL, "row '%.40s' is not a row number "
		    "from 1 to %d: the report is damaged", s, REPORT_ROW_MAX);
		return -1;
	}
	l->e.row = (size_t)v;
	return 0;
}

static int
get_status(const char *s, struct report_line *l, struct err *e)
{
	l->e.status = status_parse(s);
	if (l->e.status == REPORT_NONE) {
		err_set(e, E_INPUT, NULL, "status '%s' is not one of "
		    "previewed, sent, failed, deferred, unknown, skipped, "
		    "partial, bounced", s);
		return -1;
	}
	l->status_text = s;
	return 0;
}

static int
get_code(const char *s, struct report_line *l, struct err *e)
{
	(void)e;
	l->e.smtp_code = (int)strtol(s, NULL, 10);
	return 0;
}

static int
get_attempts(const char *s, struct report_line *l, struct err *e)
{
	(void)e;
	l->e.attempts = (unsigned)strtoul(s, NULL, 10);
	return 0;
}

static int
get_time(const char *s, struct report_line *l, struct err *e)
{
	if (report_parse_time(s, &l->e.time) == -1) {
		err_set(e, E_INPUT, NULL, "time '%.60s' is not a date and "
		    "time (expected 2026-11-26T16:20:00+09:00, or as a "
		    "spreadsheet saves it: 2026-11-26 16:20, "
		    "2026/11/26 4:20:00 PM, 26.11.2026 16:20)", s);
		return -1;
	}
	return 0;
}

/*
 * The report's columns, in file order: a text column is a string of
 * struct report_line (written from the entry or the run's meta, read
 * back without the formula guard); the others are put and got.  A new
 * column goes at the end with the format that added it (and that
 * format in REPORT_FORMAT): older reports simply lack it, and read "".
 */
static const struct column {
	const char	*name;
	int		 since;		/* the format that added it */
	size_t		 text;		/* TEXT(member), or NOTEXT */
	const char	*(*put)(struct report *, const struct report_line *,
			    char *);
	int		 (*get)(const char *, struct report_line *,
			    struct err *);
} columns[] = {
	{ "row",		1, NOTEXT, put_row, get_row },
	{ "recipients",		1, TEXT(e.recipients), NULL, NULL },
	{ "status",		1, NOTEXT, put_status, get_status },
	{ "provider",		1, TEXT(e.provider), NULL, NULL },
	{ "smtp_code",		1, NOTEXT, put_code, get_code },
	{ "enhanced_code",	1, TEXT(e.enhanced), NULL, NULL },
	{ "reply",		1, TEXT(e.reply), NULL, NULL },
	{ "message_id",		1, TEXT(e.message_id), NULL, NULL },
	{ "attempts",		1, NOTEXT, put_attempts, get_attempts },
	{ "time",		1, NOTEXT, put_time, get_time },
	{ "account",		1, TEXT(e.account), NULL, NULL },
	{ "stage",		1, TEXT(e.stage), NULL, NULL },
	{ "roster",		1, TEXT(meta.roster), NULL, NULL },
	{ "roster_sha256",	1, TEXT(meta.roster_sha256), NULL, NULL },
	{ "template",		1, TEXT(meta.template), NULL, NULL },
	{ "template_sha256",	1, TEXT(meta.template_sha256), NULL, NULL },
	{ "format",		1, NOTEXT, put_format, get_format },
	{ "row_sha256",		2, TEXT(e.row_sha256), NULL, NULL },
	{ "roster_sheet",	2, TEXT(meta.roster_sheet), NULL, NULL },
};

#define NCOLS		(nitems(columns))
enum { C_ROSTER = 12, C_ROSTER_SUM = 13, C_FORMAT = 16 };

/* The columns of format 1, the oldest a reader takes. */
static size_t
ncols_v1(void)
{
	size_t n = 0;

	while (n < NCOLS && columns[n].since == 1)
		n++;
	return n;
}

/* The string of a text column in l. */
static const char **
text_of(struct report_line *l, const struct column *c)
{
	return (const char **)(void *)((char *)l + c->text);
}

/* The header row. */
static int
write_names(FILE *f, struct err *e)
{
	const char *name[NCOLS];

	for (size_t i = 0; i < NCOLS; i++)
		name[i] = columns[i].name;
	return roster_write(f, name, NCOLS, e);
}

/* Is st a file we may write a report to?  E_USAGE naming path. */
static int
regular(const struct stat *st, const char *path, struct err *e)
{
	if (S_ISREG(st->st_mode))
		return 0;
	err_set(e, E_USAGE, path, "is not a regular file (%s): a report "
	    "must be one; name another with -r",
	    S_ISLNK(st->st_mode) ? _("a symbolic link") :
	    S_ISDIR(st->st_mode) ? _("a folder") :
	    S_ISFIFO(st->st_mode) ? _("a FIFO") : _("a device or socket"));
	return -1;
}

/*
 * Open r->path never through a symbolic link (O_NOFOLLOW: its target
 * would be clobbered), never a FIFO or device (O_NONBLOCK, then fstat).
 */
static int
open_regular(struct report *r, bool append, struct err *e)
{
	struct stat st;
	int fd;

	if (lstat(r->path, &st) == 0 && regular(&st, r->path, e) == -1)
		return -1;
	fd = open(r->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | (append ? O_APPEND : 0), 0666);
	if (fd == -1) {
		err_set(e, errno == ELOOP ? E_USAGE : E_OS, r->path,
		    "cannot write the report: %s", errno == ELOOP ?
		    _("it is a symbolic link; name the file itself") :
		    os_why(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || regular(&st, r->path, e) == -1 ||
	    (!append && ftruncate(fd, 0) == -1) ||
	    (r->f = fdopen(fd, append ? "a+" : "w+")) == NULL) {
		if (e->kind != E_USAGE)
			err_set(e, E_OS, r->path, "cannot write the report: "
			    "%s", os_why(errno));
		close(fd);
		return -1;
	}
	return 0;
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
	buf_init(&r->cells, CELL_MAX);
	r->path = xstrdup(path);
	if (open_regular(r, append, e) == -1) {
		report_close(r, NULL);
		return -1;
	}
	r->sync = sync;
	r->meta.roster = dupmeta(meta->roster);
	r->meta.roster_sha256 = dupmeta(meta->roster_sha256);
	r->meta.template = dupmeta(meta->template);
	r->meta.template_sha256 = dupmeta(meta->template_sha256);
	r->meta.roster_sheet = dupmeta(meta->roster_sheet);
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
	struct report_line l = { .e = *x, .meta = r->meta };
	char tmp[NUM_TMP];
	const char *f[NCOLS], *v;
	size_t off[NCOLS];

	/* OWASP CSV injection: a server reply "=cmd|..." must stay text. */
	buf_reset(&r->cells);
	for (size_t i = 0; i < NCOLS; i++) {
		v = columns[i].put != NULL ? columns[i].put(r, &l, tmp) :
		    *text_of(&l, &columns[i]);
		if (v == NULL)
			v = "";
		off[i] = r->cells.len;
		if (v[0] != '\0' && strchr(FORMULA_LEAD, v[0]) != NULL)
			buf_addc(&r->cells, '\'');
		buf_adds(&r->cells, v);
		buf_addc(&r->cells, '\0');
	}
	for (size_t i = 0; i < NCOLS; i++)
		f[i] = r->cells.data + off[i];
	if (roster_write(r->f, f, NCOLS, e) == -1) {
		err_set(e, E_OS, r->path, "cannot write the report: %s",
		    os_why(errno));
		return -1;
	}
	return r->sync ? sync_file(r, e) : 0;
}

int
report_skipped(struct report *r, size_t row, const char *why, time_t t,
    struct err *e)
{
	struct report_entry x;

	memset(&x, 0, sizeof(x));
	x.row = row;
	x.status = REPORT_SKIPPED;
	x.reply = why;
	x.time = t;
	return report_append(r, &x, e);
}

const char *
report_cell_plain(const char *s)
{
	if (s[0] == '\'' && s[1] != '\0' && strchr(FORMULA_LEAD, s[1]) != NULL)
		return s + 1;
	return s;
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
			    os_why(errno));
			rc = -1;
		}
	}
	buf_fini(&r->cells);
	free(r->path);
	free((char *)r->meta.roster);
	free((char *)r->meta.roster_sha256);
	free((char *)r->meta.template);
	free((char *)r->meta.template_sha256);
	free((char *)r->meta.roster_sheet);
	free(r);
	return rc;
}

/*
 * The header must start with our columns (format 1's, or all of them);
 * more (a newer format) are judged by the format column of each line.
 */
static int
check_header(struct roster *rs, const char *path, struct err *e)
{
	const char *const *cols = roster_cols(rs);
	size_t i, n = roster_ncols(rs);

	if (n < ncols_v1()) {
		err_set(e, E_INPUT, path, "not a mailmerge report: it has "
		    "%zu columns, a report has %d (row,recipients,status,...)",
		    n, (int)NCOLS);
		return -1;
	}
	if (n > NCOLS)
		n = NCOLS;
	for (i = 0; i < n; i++) {
		if (strcmp(cols[i], columns[i].name) != 0) {
			err_set(e, E_INPUT, path, "not a mailmerge report: "
			    "column %zu is '%s', expected '%s'", i + 1,
			    cols[i], columns[i].name);
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

/* A cell of a line: "" past the columns a format-1 file has. */
static const char *
cell(const struct roster_row *rw, size_t c, bool plain)
{
	if (c >= rw->nfields)
		return "";
	return plain ? report_cell_plain(rw->fields[c]) : rw->fields[c];
}

/*
 * Fill l from one record: the format first (it says how cells were
 * written), then every column in order; E_INPUT naming the line and
 * column.  Format 1 wrote cells as they were; later formats guard
 * formulas.
 */
static int
decode_line(const struct roster_row *rw, const char *path,
    struct report_line *l, struct err *e)
{
	const struct column *c;
	size_t col = C_FORMAT;

	memset(l, 0, sizeof(*l));
	l->line = rw->line;
	l->cells = (const char *const *)rw->fields;
	l->ncells = rw->nfields;
	if (get_format(cell(rw, C_FORMAT, false), l, e) == -1)
		goto bad;
	for (col = 0; col < NCOLS; col++) {
		c = &columns[col];
		if (c->get == NULL)
			*text_of(l, c) = cell(rw, col, l->format >= 2);
		else if (col != C_FORMAT &&
		    c->get(cell(rw, col, false), l, e) == -1)
			goto bad;
	}
	return 0;
bad:
	err_where(e, "%s:%zu:%zu", path, rw->line, col + 1);
	{
		char msg[ERR_MSG_MAX];

		snprintf(msg, sizeof(msg), "%s", e->msg);
		snprintf(e->msg, sizeof(e->msg), _("column %d (%s): %.320s"),
		    (int)col + 1, columns[col].name, msg);
	}
	return -1;
}

/* Digits at *pp as a number of at most maxd digits; -1 if none. */
static int
num(const char **pp, int maxd)
{
	const char *p = *pp;
	int v = 0, d = 0;

	while (*p >= '0' && *p <= '9' && d < maxd) {
		v = v * 10 + (*p++ - '0');
		d++;
	}
	if (d == 0 || (*p >= '0' && *p <= '9'))
		return -1;
	*pp = p;
	return v;
}

/*
 * The date: Y-M-D or Y/M/D (a year first), D.M.Y (German, Russian
 * spreadsheets), M/D/Y (US; D/M/Y when the first is over 12).
 */
static int
parse_date(const char **pp, struct tm *tm)
{
	const char *p = *pp, *start = p;
	int a, b, c, sep;
	bool year_first;

	if ((a = num(&p, 4)) < 0 || (*p != '-' && *p != '/' && *p != '.'))
		return -1;
	year_first = p - start == 4;
	sep = *p++;
	if ((b = num(&p, 2)) < 0 || *p++ != sep || (c = num(&p, 4)) < 0)
		return -1;
	if (year_first) {	/* 2026-11-26, 2026/11/26 */
		tm->tm_year = a, tm->tm_mon = b, tm->tm_mday = c;
	} else if (sep == '.' || (sep == '/' && a > 12)) {
		tm->tm_year = c, tm->tm_mon = b, tm->tm_mday = a;
	} else if (sep == '/') {
		tm->tm_year = c, tm->tm_mon = a, tm->tm_mday = b;
	} else
		return -1;
	if (tm->tm_year < 1970 || tm->tm_mon < 1 || tm->tm_mon > 12 ||
	    tm->tm_mday < 1 || tm->tm_mday > 31)
		return -1;
	tm->tm_year -= 1900;
	tm->tm_mon -= 1;
	*pp = p;
	return 0;
}

/* AM/PM in English or Korean (오전/오후), before or after the time. */
static int
meridiem(const char **pp)
{
	static const struct { const char *s; int pm; } m[] = {
		{ "AM", 0 }, { "am", 0 }, { "PM", 1 }, { "pm", 1 },
		{ "\xEC\x98\xA4\xEC\xA0\x84", 0 },	/* 오전 */
		{ "\xEC\x98\xA4\xED\x9B\x84", 1 },	/* 오후 */
	};
	size_t i, n;

	for (i = 0; i < nitems(m); i++) {
		n = strlen(m[i].s);
		if (strncmp(*pp, m[i].s, n) == 0) {
			*pp += n;
			return m[i].pm;
		}
	}
	return -1;
}

static void
blanks(const char **pp)
{
	while (**pp == ' ')
		(*pp)++;
}

/* H:MM[:SS[.fff]] with an AM/PM marker before or after; -1 if bad. */
static int
parse_clock(const char **pp, struct tm *tm)
{
	const char *p = *pp;
	int pm, pm2;

	pm = meridiem(&p);
	blanks(&p);
	if ((tm->tm_hour = num(&p, 2)) < 0 || *p++ != ':' ||
	    (tm->tm_min = num(&p, 2)) < 0)
		return -1;
	if (*p == ':') {
		p++;
		if ((tm->tm_sec = num(&p, 2)) < 0)
			return -1;
		if (*p == '.' || *p == ',')	/* fractions: dropped */
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
	}
	blanks(&p);
	if (pm < 0 && (pm2 = meridiem(&p)) >= 0)
		pm = pm2;
	if (pm >= 0) {
		if (tm->tm_hour < 1 || tm->tm_hour > 12)
			return -1;
		tm->tm_hour = tm->tm_hour % 12 + (pm ? 12 : 0);
	}
	if (tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60)
		return -1;
	*pp = p;
	return 0;
}

/* Z, +09:00, +0900, or nothing (*local set); -1 if bad. */
static int
parse_zone(const char *p, long *off, bool *local)
{
	int zh, zm;
	bool neg;

	*off = 0;
	*local = *p == '\0';
	if (*p == '\0' || strcmp(p, "Z") == 0)
		return 0;
	if (*p != '+' && *p != '-')
		return -1;
	neg = *p++ == '-';
	/* Two digits each: +0900 has no separator to stop at. */
	if (strspn(p, "0123456789") < 2)
		return -1;
	zh = (p[0] - '0') * 10 + (p[1] - '0');
	p += 2;
	if (*p == ':')
		p++;
	if (zh > 14 || (zm = num(&p, 2)) < 0 || zm > 59 || *p != '\0')
		return -1;
	*off = (neg ? -1 : 1) * (zh * 3600L + zm * 60L);
	return 0;
}

int
report_parse_time(const char *s, time_t *t)
{
	struct tm tm;
	const char *p = s;
	long off;
	bool local;

	memset(&tm, 0, sizeof(tm));
	blanks(&p);
	if (parse_date(&p, &tm) == -1)
		return -1;
	if (*p == 'T' || *p == ' ') {
		p++;
		blanks(&p);
		if (parse_clock(&p, &tm) == -1)
			return -1;
	}
	blanks(&p);
	if (parse_zone(p, &off, &local) == -1)
		return -1;
	if (local) {
		tm.tm_isdst = -1;
		*t = mktime(&tm);
	} else
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
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	int rc = -1;

	*cut = 0;
	if (fd == -1 && errno == ELOOP) {
		err_set(e, E_USAGE, path, "is a symbolic link: a report must "
		    "be a regular file; name the file itself");
		return -1;
	}
	if (fd == -1) {
		err_set(e, E_NOINPUT, path, "cannot open the report: %s",
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1)
		goto os;
	if (regular(&st, path, e) == -1)
		goto out;
	if (last_newline(fd, st.st_size, &keep) == -1)
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
	struct roster_params rp = { path, "UTF-8", ',', true, NULL };
	struct stat st;

	*rsp = NULL;
	if (lstat(path, &st) == -1) {
		err_set(e, E_NOINPUT, path, "cannot open the report: %s",
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode))
		return regular(&st, path, e);
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
		rc = fn(arg, &l);
	}
	roster_free(rs);
	return rc;
}

/* The latest line of each row: last[row] is the ordinal of that line. */
struct latest {
	uint32_t	*last;		/* 4 octets a row: journals stay far
					   below 2^32 lines */
	size_t		 nlast;
	size_t		 ordinal;
	report_fn	*every, *fn;
	void		*arg;
};

static int
note_last(void *arg, const struct report_line *l)
{
	struct latest *lt = arg;

	if (l->e.row >= lt->nlast) {
		size_t n = lt->nlast ? lt->nlast : 64;

		while (n <= l->e.row)
			n *= 2;
		lt->last = xreallocarray(lt->last, n, sizeof(*lt->last));
		memset(lt->last + lt->nlast, 0xff,
		    (n - lt->nlast) * sizeof(*lt->last));
		lt->nlast = n;
	}
	lt->last[l->e.row] = (uint32_t)lt->ordinal++;
	return lt->every != NULL ? lt->every(lt->arg, l) : 0;
}

static int
call_last(void *arg, const struct report_line *l)
{
	struct latest *lt = arg;

	if (lt->last[l->e.row] != (uint32_t)lt->ordinal++)
		return 0;
	return lt->fn(lt->arg, l);
}

int
report_latest(const char *path, report_fn *every, report_fn *fn, void *arg,
    struct err *e)
{
	struct latest lt = { NULL, 0, 0, every, fn, arg };
	int rc;

	rc = report_read(path, note_last, &lt, e);
	lt.ordinal = 0;
	if (rc == 0)
		rc = report_read(path, call_last, &lt, e);
	free(lt.last);
	return rc;
}

/* Compaction: the latest lines, as written, of the newest roster. */
struct compact {
	FILE	*out;
	struct err *e;
	char	*roster, *roster_sum;	/* of the newest line */
};

static int
note_roster(void *arg, const struct report_line *l)
{
	struct compact *c = arg;

	if (c->roster_sum == NULL ||
	    strcmp(c->roster_sum, l->meta.roster_sha256) != 0) {
		free(c->roster);
		free(c->roster_sum);
		/* Written as cells are: a formula-like path keeps its '. */
		if (l->meta.roster[0] != '\0' &&
		    strchr(FORMULA_LEAD, l->meta.roster[0]) != NULL) {
			c->roster = xmalloc(strlen(l->meta.roster) + 2);
			c->roster[0] = '\'';
			strcpy(c->roster + 1, l->meta.roster);
		} else
			c->roster = xstrdup(l->meta.roster);
		c->roster_sum = xstrdup(l->meta.roster_sha256);
	}
	return 0;
}

static int
copy_last(void *arg, const struct report_line *l)
{
	struct compact *c = arg;
	const char *f[NCOLS];

	/* A format-1 line gets an empty row_sha256. */
	for (size_t i = 0; i < NCOLS; i++)
		f[i] = i < l->ncells ? l->cells[i] : "";
	/*
	 * A resume checked that the rows of an older roster are unchanged
	 * in the newest (rows appended): the report is now of that roster.
	 */
	f[C_ROSTER] = c->roster;
	f[C_ROSTER_SUM] = c->roster_sum;
	return roster_write(c->out, f, NCOLS, c->e);
}

FILE *
report_tmp_open(const char *path, char *tmp, size_t size, struct err *e)
{
	struct stat st;
	mode_t mask;
	FILE *f;
	int fd;

	if (lstat(path, &st) == 0 && regular(&st, path, e) == -1)
		return NULL;
	if ((size_t)snprintf(tmp, size, "%s.XXXXXX", path) >= size) {
		err_set(e, E_OS, path, "the path is too long");
		return NULL;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		err_set(e, E_OS, path, "cannot create a file beside it: %s",
		    os_why(errno));
		return NULL;
	}
	/* mkstemp() makes it 0600; give it the mode a new file gets. */
	mask = umask(077);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) == -1 || (f = fdopen(fd, "w")) == NULL) {
		err_set(e, E_OS, tmp, "cannot write: %s", os_why(errno));
		close(fd);
		unlink(tmp);
		return NULL;
	}
	return f;
}

int
report_tmp_close(FILE *f, const char *tmp, const char *path, bool ok,
    struct err *e)
{
	if (ok && (fflush(f) == EOF || ferror(f) || fsync(fileno(f)) == -1)) {
		err_set(e, E_OS, path, "cannot write: %s", os_why(errno));
		ok = false;
	}
	if (fclose(f) == EOF && ok) {
		err_set(e, E_OS, path, "cannot write: %s", os_why(errno));
		ok = false;
	}
	if (ok && rename(tmp, path) == -1) {
		err_set(e, E_OS, path, "cannot replace it: %s", os_why(errno));
		ok = false;
	}
	if (!ok)
		unlink(tmp);
	return ok ? 0 : -1;
}

int
report_compact(const char *path, struct err *e)
{
	struct compact c = { NULL, e, NULL, NULL };
	char tmp[PATH_MAX + 16];
	int rc;
	bool ok;

	if ((c.out = report_tmp_open(path, tmp, sizeof(tmp), e)) == NULL)
		return -1;
	/* The newest roster is known when the latest lines are copied. */
	ok = write_bom(c.out, tmp, e) == 0 && write_names(c.out, e) == 0 &&
	    report_latest(path, note_roster, copy_last, &c, e) == 0;
	rc = report_tmp_close(c.out, tmp, path, ok, e);
	free(c.roster);
	free(c.roster_sum);
	return rc;
}

bool
report_is_old(const char *path)
{
	struct roster_params rp = { path, "UTF-8", ',', true, NULL };
	struct roster *rs;
	struct err e;
	bool old;

	if (roster_open(&rs, &rp, &e) == -1)
		return false;
	old = roster_ncols(rs) >= ncols_v1() && roster_ncols(rs) < NCOLS;
	roster_free(rs);
	return old;
}

/* --- the lock -------------------------------------------------------- */

struct report_lock {
	int	 fd;
	char	*path;		/* the lock file */
};

/* Who holds the lock file fd: the PID written in it, or 0. */
static long
holder(int fd)
{
	char b[32];
	ssize_t n = pread(fd, b, sizeof(b) - 1, 0);

	if (n <= 0)
		return 0;
	b[n] = '\0';
	return strtol(b, NULL, 10);
}

/*
 * flock() the open lock file; then make sure path still names it (a run
 * ending unlinks it: a lock on the unlinked file would guard nothing).
 * 1: locked; 0: try again; -1: error.
 */
static int
take(struct report_lock *l, const char *report, struct err *e)
{
	struct stat a, b;
	long pid;

	if (flock(l->fd, LOCK_EX | LOCK_NB) == -1) {
		int errnum = errno;

		pid = holder(l->fd);
		if (errnum != EWOULDBLOCK)
			err_set(e, E_OS, l->path, "cannot lock: %s",
			    strerror(errnum));
		else
			err_set(e, E_TEMP, report, "another mailmerge "
			    "(process %ld) is sending with this report now: "
			    "a second run could mail students twice; wait "
			    "until it ends (or stop it), then resume", pid);
		return -1;
	}
	if (fstat(l->fd, &a) == -1 || lstat(l->path, &b) == -1 ||
	    a.st_ino != b.st_ino || a.st_dev != b.st_dev)
		return 0;
	return 1;
}

int
report_lock(struct report_lock **lp, const char *path, struct err *e)
{
	struct report_lock *l = xcalloc(1, sizeof(*l));
	char pid[32];
	int k, rc = -1;
	size_t n;

	*lp = NULL;
	n = strlen(path) + sizeof(".lock");
	l->path = xmalloc(n);
	snprintf(l->path, n, "%s.lock", path);
	for (k = 0; k < 10 && rc != 1; k++) {
		if (k > 0)
			close(l->fd);
		l->fd = open(l->path, O_RDWR | O_CREAT | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC, 0666);
		if (l->fd == -1) {
			err_set(e, E_OS, l->path, "cannot create the lock "
			    "file beside the report: %s", os_why(errno));
			goto fail;
		}
		if ((rc = take(l, path, e)) == -1)
			goto fail;
	}
	n = (size_t)snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (rc != 1 || ftruncate(l->fd, 0) == -1 ||
	    pwrite(l->fd, pid, n, 0) != (ssize_t)n) {
		err_set(e, E_OS, l->path, "cannot write the lock file: %s",
		    os_why(errno));
		goto fail;
	}
	*lp = l;
	return 0;
fail:
	if (l->fd != -1)
		close(l->fd);
	free(l->path);
	free(l);
	return -1;
}

void
report_unlock(struct report_lock *l)
{
	if (l == NULL)
		return;
	unlink(l->path);	/* while still locked: see take() */
	close(l->fd);
	free(l->path);
	free(l);
}

int
report_create_new(const char *base, char *out, size_t size, struct err *e)
{
	unsigned k;
	int fd;

	for (k = 1; k < 1000; k++) {
		if (k == 1)
			snprintf(out, size, "%s.csv", base);
		else
			snprintf(out, size, "%s-%u.csv", base, k);
		fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0666);
		if (fd != -1) {
			close(fd);
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	err_set(e, E_OS, out, "cannot create the report: %s", os_why(errno));
	return -1;
}
