/*
 * review: delivery reports read back for people, behind the "report"
 * verb.  A report is a journal whose last line per row is the row's
 * outcome, and a resume's report follows the first run's, so loading
 * keeps one entry per row in a hash table keyed by row number and
 * replaces it as later lines arrive (reports in the order given, lines
 * in file order).  The summary (counts by status, by account, by reply
 * code) is computed once after loading and shared by the text, JSON
 * and HTML outputs.  Terminal columns are measured in display cells
 * with wcwidth() under a C.UTF-8 locale object, whatever the user's
 * locale, so that Korean names (two cells a syllable) keep tables
 * aligned; text from a report never reaches a terminal, JSON or HTML
 * unescaped.
 */
#define _XOPEN_SOURCE 700	/* wcwidth() */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include "codec.h"
#include "i18n.h"
#include "report.h"
#include "review.h"
#include "roster.h"
#include "utf8.h"
#include "xalloc.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define NSTATUS		(REPORT_BOUNCED + 1)
#define CELL_TMP	1024	/* a formatted table cell */
#define TABLE_COLS_MAX	10
#define PATH_TMP_MAX	(4096 + 16)

/*
 * What a reply code means and what to do.  Looked up by enhanced code
 * (RFC 3463; "x" stands for any number) first, then by basic code
 * (RFC 5321 §4.2), then by class.
 */
struct explain {
	const char	*enh;		/* "5.1.1", "4.4.x", or NULL */
	int		 code;		/* 550, or 0 */
	int		 class;		/* 2, 4, 5, or 0 */
	const char	*meaning;
	const char	*todo;
};

static const struct explain explains[] = {
	{ "2.0.0", 0, 0, N_("accepted (not yet delivered)"), N_("250 means "
	    "accepted, not delivered: bounces come later by mail") },
	{ "2.x.x", 0, 0, N_("accepted"), N_("accepted, not yet delivered: "
	    "bounces come later by mail") },
	{ "5.1.1", 0, 0, N_("no such mailbox"), N_("check the address for typos; "
	    "fix the row or drop it") },
	{ "5.1.2", 0, 0, N_("bad domain"), N_("the part after @ does not exist "
	    "or takes no mail: fix the address") },
	{ "5.1.0", 0, 0, N_("bad address"), N_("check the address for typos; "
	    "fix the row or drop it") },
	{ "5.1.6", 0, 0, N_("the mailbox has moved"), N_("ask the student for "
	    "the new address") },
	{ "5.1.10", 0, 0, N_("no such mailbox (null MX)"), N_("the domain takes "
	    "no mail: ask for another address") },
	{ "5.2.0", 0, 0, N_("mailbox unavailable"), N_("the mailbox exists but "
	    "takes no mail now: ask for another address") },
	{ "5.2.1", 0, 0, N_("mailbox disabled"), N_("the account is closed or "
	    "suspended: ask for another address") },
	{ "5.2.2", 0, 0, N_("mailbox full"), N_("the recipient must make room; "
	    "send again later or elsewhere") },
	{ "5.2.3", 0, 0, N_("message too big for the mailbox"), N_("make the "
	    "message smaller (attachments: send a link instead)") },
	{ "5.3.4", 0, 0, N_("message too big"), N_("make the message smaller "
	    "(attachments: send a link instead)") },
	{ "5.4.5", 0, 0, N_("daily sending quota reached"), N_("Gmail: wait 24 h, "
	    "then resume; send fewer mails a day") },
	{ "5.5.2", 0, 0, N_("syntax error"), N_("the server did not understand a "
	    "command: report it with --trace") },
	{ "5.7.0", 0, 0, N_("authentication or security required"), N_("check the "
	    "account's login and TLS settings") },
	{ "5.7.1", 0, 0, N_("refused by policy (spam or relay)"), N_("check that "
	    "From is the account's address; soften spammy content") },
	{ "5.7.8", 0, 0, N_("bad credentials"), N_("use an app password, not the "
	    "account's login password") },
	{ "5.7.9", 0, 0, N_("app password required (Gmail)"), N_("turn on 2-step "
	    "verification and create an app password") },
	{ "5.4.x", 0, 0, N_("could not be routed (domain, DNS, loop)"),
	    N_("check the part after @; the receiving side may be down") },
	{ "5.7.x", 0, 0, N_("refused by the receiving side's policy"),
	    N_("the bounce's text says why; the school's domain may refuse "
	    "outside mail: ask for another address") },
	{ "5.0.0", 0, 0, N_("permanent failure (no detail)"), N_("read the "
	    "bounce's text; check the address") },
	{ "4.2.2", 0, 0, N_("mailbox full (temporary)"), N_("resume later") },
	{ "4.3.0", 0, 0, N_("temporary server error"), N_("resume later") },
	{ "4.4.x", 0, 0, N_("network or routing trouble"), N_("resume later; if "
	    "it persists, check the network") },
	{ "4.7.0", 0, 0, N_("try later: too many mails or login attempts"),
	    N_("wait an hour or more, then resume at a lower rate") },
	{ NULL, 421, 0, N_("service not available"), N_("the server is busy or "
	    "limiting you: resume later, more slowly") },
	{ NULL, 450, 0, N_("mailbox unavailable for now (busy, greylisting)"),
	    N_("resume later") },
	{ NULL, 451, 0, N_("local error at the server"), N_("resume later") },
	{ NULL, 452, 0, N_("server out of storage or too many recipients"),
	    N_("resume later") },
	{ NULL, 534, 0, N_("authentication mechanism too weak"), N_("Gmail: use "
	    "an app password") },
	{ NULL, 535, 0, N_("authentication failed"), N_("check the user name; use "
	    "an app password") },
	{ NULL, 550, 0, N_("mailbox unavailable or refused by policy"), N_("check "
	    "the address; the server's text says why") },
	{ NULL, 552, 0, N_("message too big or mailbox full"), N_("make the "
	    "message smaller, or send again later") },
	{ NULL, 553, 0, N_("address not allowed"), N_("check the recipient's and "
	    "the From address") },
	{ NULL, 554, 0, N_("transaction failed (often spam or policy)"), N_("the "
	    "server's text says why; check sender and content") },
	{ NULL, 0, 2, N_("accepted"), N_("accepted, not yet delivered: bounces "
	    "come later by mail") },
	{ NULL, 0, 4, N_("temporary failure"), N_("resume the batch later") },
	{ NULL, 0, 5, N_("permanent failure"), N_("fix the cause before sending "
	    "to this row again") },
};

static const struct explain unexplained = { NULL, 0, 0,
	N_("unknown reply code"), N_("read the server's text") };

static const char *const status_colour[NSTATUS] = {
	[REPORT_PREVIEWED] = "#1565c0", [REPORT_SENT] = "#2e7d32",
	[REPORT_FAILED] = "#c62828", [REPORT_DEFERRED] = "#ef6c00",
	[REPORT_UNKNOWN] = "#6a1b9a", [REPORT_SKIPPED] = "#757575",
	[REPORT_PARTIAL] = "#ef6c00",
	[REPORT_BOUNCED] = "#ad1457",
};

struct entry {				/* the latest line of one row */
	struct report_entry x;		/* strings point into text */
	char		*text;		/* x's strings, packed */
	size_t		 report;	/* index in paths */
	size_t		 line;		/* its line there */
};

struct tally {				/* rows sharing an account or code */
	const char	*a;		/* account, or enhanced code */
	const char	*b;		/* provider, or "" */
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

struct load {
	struct review	*rv;
	size_t		 report;
	struct err	*e;
};

static bool
enh_match(const char *p, const char *s)
{
	while (*p != '\0') {
		if (*p == 'x') {
			if (*s < '0' || *s > '9')
				return false;
			while (*s >= '0' && *s <= '9')
				s++;
			p++;
		} else if (*p++ != *s++)
			return false;
	}
	return *s == '\0';
}

static const struct explain *
explain(int code, const char *enh)
{
	int class = code != 0 ? code / 100 : enh[0] - '0';
	size_t i;

	for (i = 0; i < NELEM(explains); i++)
		if (explains[i].enh != NULL && enh_match(explains[i].enh, enh))
			return &explains[i];
	for (i = 0; i < NELEM(explains); i++)
		if (explains[i].code != 0 && explains[i].code == code)
			return &explains[i];
	for (i = 0; i < NELEM(explains); i++)
		if (explains[i].class != 0 && explains[i].class == class)
			return &explains[i];
	return &unexplained;
}

/* ---- loading ---------------------------------------------------- */

/* Copy l into en, its strings packed into one allocation. */
static void
keep(struct entry *en, const struct report_line *l, size_t report)
{
	const char *src[] = { l->e.recipients, l->e.provider, l->e.enhanced,
	    l->e.reply, l->e.message_id, l->e.account, l->e.stage };
	const char **dst[] = { &en->x.recipients, &en->x.provider,
	    &en->x.enhanced, &en->x.reply, &en->x.message_id,
	    &en->x.account, &en->x.stage };
	size_t len = 0, i, k;
	char *p;

	en->x = l->e;
	for (i = 0; i < NELEM(src); i++)
		len += strlen(src[i]) + 1;
	p = en->text = xmalloc(len);
	for (i = 0; i < NELEM(src); i++) {
		k = strlen(src[i]) + 1;
		memcpy(p, src[i], k);
		*dst[i] = p;
		p += k;
	}
	en->report = report;
	en->line = l->line;
}

/* Every line of every report must be of the first line's roster. */
static int
same_roster(void *arg, const struct report_line *l)
{
	struct load *ld = arg;
	struct review *rv = ld->rv;

	if (rv->roster == NULL) {
		rv->roster = xstrdup(l->meta.roster);
		rv->roster_sum = xstrdup(l->meta.roster_sha256);
		rv->template = xstrdup(l->meta.template);
		rv->roster_sheet = xstrdup(l->meta.roster_sheet);
		rv->roster_from = ld->report;
		return 0;
	}
	if (strcmp(l->meta.roster_sha256, rv->roster_sum) == 0)
		return 0;
	err_set(ld->e, E_INPUT, NULL, "this line is from roster '%s' "
	    "(sha256 %.12s...), but %s is from roster '%s' (sha256 %.12s...): "
	    "only reports of the same roster can be merged", l->meta.roster,
	    l->meta.roster_sha256, rv->paths[rv->roster_from], rv->roster,
	    rv->roster_sum);
	err_where(ld->e, "%s:%zu", rv->paths[ld->report], l->line);
	return -1;
}

/* The latest line of a row in one report; the last report wins later. */
static int
add_line(void *arg, const struct report_line *l)
{
	struct load *ld = arg;
	struct review *rv = ld->rv;

	if (rv->nrows == rv->rows_size) {
		rv->rows_size = rv->rows_size ? rv->rows_size * 2 : 64;
		rv->rows = xreallocarray(rv->rows, rv->rows_size,
		    sizeof(*rv->rows));
	}
	keep(&rv->rows[rv->nrows++], l, ld->report);
	return 0;
}

static int
by_row(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return (x->x.row > y->x.row) - (x->x.row < y->x.row);
}

/* By row, then by report: the last of a row is the one that counts. */
static int
by_row_report(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = by_row(a, b);

	return c != 0 ? c : (x->report > y->report) - (x->report < y->report);
}

/* Sort the rows and keep one entry a row, from the last report. */
static void
merge_rows(struct review *rv)
{
	size_t i, n = 0;

	if (rv->nrows == 0)
		return;
	qsort(rv->rows, rv->nrows, sizeof(*rv->rows), by_row_report);
	for (i = 0; i < rv->nrows; i++) {
		if (i + 1 < rv->nrows && rv->rows[i + 1].x.row ==
		    rv->rows[i].x.row) {
			free(rv->rows[i].text);
			continue;
		}
		rv->rows[n++] = rv->rows[i];
	}
	rv->nrows = n;
}

static int
by_code(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;

	if (x->code != y->code)
		return (x->code > y->code) - (x->code < y->code);
	return strcmp(x->a, y->a);
}

static int
by_account(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;
	int c = strcmp(x->a, y->a);

	return c != 0 ? c : strcmp(x->b, y->b);
}

static struct tally *
tally_find(struct tally **t, size_t *n, const char *a, const char *b,
    int code)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*t)[i].code == code && strcmp((*t)[i].a, a) == 0 &&
		    strcmp((*t)[i].b, b) == 0)
			return &(*t)[i];
	*t = xreallocarray(*t, *n + 1, sizeof(**t));
	memset(&(*t)[*n], 0, sizeof(**t));
	(*t)[*n].a = a;
	(*t)[*n].b = b;
	(*t)[*n].code = code;
	return &(*t)[(*n)++];
}

static void
tally_add(struct tally *t, enum report_status s)
{
	t->n[s]++;
	t->total++;
}

/* Counts by status, account and code; accounts only if any has one. */
static void
tally_all(struct review *rv)
{
	const struct report_entry *x;
	size_t i;

	for (i = 0; i < rv->nrows; i++) {
		x = &rv->rows[i].x;
		rv->count[x->status]++;
		if (x->status != REPORT_SENT && x->status != REPORT_PREVIEWED)
			rv->nbad++;
		tally_add(tally_find(&rv->acct, &rv->nacct, x->account,
		    x->provider, 0), x->status);
		if (x->smtp_code != 0 || x->enhanced[0] != '\0')
			tally_add(tally_find(&rv->codes, &rv->ncodes,
			    x->enhanced, "", x->smtp_code), x->status);
	}
	if (rv->nacct == 1 && rv->acct[0].a[0] == '\0' &&
	    rv->acct[0].b[0] == '\0')
		rv->nacct = 0;	/* a preview: no accounts at all */
	if (rv->nacct > 0)	/* qsort(NULL, 0, ...) is undefined */
		qsort(rv->acct, rv->nacct, sizeof(*rv->acct), by_account);
	if (rv->ncodes > 0)
		qsort(rv->codes, rv->ncodes, sizeof(*rv->codes), by_code);
}

static int	roster_find(const struct review *, char *, size_t,
		    struct err *);
static const struct entry *find_row(const struct review *, size_t);

/*
 * Count the roster's data rows and those no report mentions (never
 * tried: an interrupted or -n-limited send).  Best effort: a roster
 * gone or changed leaves counted false, and the summary says so.
 */
static void
count_roster(struct review *rv)
{
	char found[PATH_MAX];
	struct roster_params rp = { .path = found };
	struct roster *rs = NULL;
	struct roster_row rw;
	struct err e;
	size_t i;
	int n;

	for (i = 0; i < rv->nrows; i++)
		if (rv->rows[i].x.status != REPORT_PREVIEWED)
			rv->sent_any = true;
	if (rv->roster == NULL || rv->roster[0] == '\0' ||
	    roster_find(rv, found, sizeof(found), &e) == -1 ||
	    roster_open(&rs, &rp, &e) == -1)
		return;
	while ((n = roster_next(rs, &rw, &e)) == 1) {
		rv->roster_rows++;
		if (find_row(rv, rw.row) == NULL)
			rv->untried++;
	}
	rv->counted = n == 0;
	roster_free(rs);
}

size_t
review_remaining(const struct review *rv)
{
	if (!rv->sent_any)
		return 0;	/* a preview: nothing is to be sent */
	return (rv->counted ? rv->untried : 0) + rv->count[REPORT_DEFERRED] +
	    rv->count[REPORT_SKIPPED];
}

/* The command that sends what remains, after a label; nothing if none. */
static void
put_continue(const struct review *rv, FILE *f, const char *label)
{
	if (review_remaining(rv) == 0)
		return;
	fputs(label, f);
	review_put_resume(f, NULL, rv->paths[rv->npaths - 1],
	    review_roster(rv), rv->template ? rv->template : "");
}

/* report_read() would blame "the roster": say which file is missing. */
static int
readable(const char *path, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1) {
		err_set(e, E_NOINPUT, path, "cannot open the report: %s",
		    strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

int
review_load(struct review **rvp, char *const *paths, size_t n,
    struct err *e)
{
	struct review *rv = xcalloc(1, sizeof(*rv));
	struct load ld = { rv, 0, e };
	size_t i;

	*rvp = NULL;
	rv->paths = xcalloc(n, sizeof(*rv->paths));
	for (i = 0; i < n; i++)
		rv->paths[i] = xstrdup(paths[i]);
	rv->npaths = n;
	for (ld.report = 0; ld.report < n; ld.report++) {
		if (readable(paths[ld.report], e) == -1 ||
		    report_latest(paths[ld.report], same_roster, add_line, &ld,
		    e) == -1) {
			review_free(rv);
			return -1;
		}
	}
	merge_rows(rv);
	tally_all(rv);
	count_roster(rv);
	/* The rest from the user's locale: gettext follows uselocale(). */
	rv->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8",
	    duplocale(LC_GLOBAL_LOCALE));
	*rvp = rv;
	return 0;
}

void
review_free(struct review *rv)
{
	size_t i;

	if (rv == NULL)
		return;
	for (i = 0; i < rv->npaths; i++)
		free(rv->paths[i]);
	for (i = 0; i < rv->nrows; i++)
		free(rv->rows[i].text);
	free(rv->paths);
	free(rv->rows);
	free(rv->acct);
	free(rv->codes);
	free(rv->roster);
	free(rv->roster_sum);
	free(rv->template);
	free(rv->roster_sheet);
	if (rv->utf8 != (locale_t)0)
		freelocale(rv->utf8);
	free(rv);
}

/* One word for a POSIX shell: as it is when safe, else in '...'. */
static void
put_word(FILE *f, const char *s)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@";

	if (*s != '\0' && s[strspn(s, safe)] == '\0') {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s != '\0'; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

void
review_put_resume(FILE *f, const char *config, const char *report,
    const char *roster, const char *template)
{
	fputs("mailmerge send ", f);
	if (config != NULL) {
		fputs("-c ", f);
		put_word(f, config);
		fputc(' ', f);
	}
	fputs("--resume -r ", f);
	put_word(f, report);
	fputc(' ', f);
	put_word(f, roster);
	fputc(' ', f);
	put_word(f, template);
	fputc('\n', f);
}

const char *
review_roster(const struct review *rv)
{
	return rv->roster != NULL ? rv->roster : "";
}

static int
finish(FILE *f, const char *what, struct err *e)
{
	if (fflush(f) == EOF || ferror(f)) {
		err_set(e, E_OS, _(what), "cannot write: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- text for a terminal ---------------------------------------- */

/*
 * Bytes and display cells of the character at s; cells is -1 for a
 * byte that is not UTF-8 or a character that is not printable (shown
 * as '?').
 */
static size_t
glyph(const char *s, int *cells)
{
	mbstate_t st;
	wchar_t wc;
	size_t k;

	memset(&st, 0, sizeof(st));
	k = mbrtowc(&wc, s, MB_LEN_MAX, &st);
	if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
		*cells = -1;
		return 1;
	}
	*cells = wcwidth(wc);
	return k;
}

/*
 * Print s (or only measure it, f NULL) up to max cells; returns the
 * cells used and sets *cut if s did not fit.
 */
static size_t
put_text(FILE *f, const char *s, size_t max, bool *cut)
{
	size_t used = 0, k, w;
	int cells;

	*cut = false;
	while (*s != '\0') {
		k = glyph(s, &cells);
		w = cells < 0 ? 1 : (size_t)cells;
		if (used + w > max) {
			*cut = true;
			break;
		}
		if (f != NULL && cells < 0)
			fputc('?', f);
		else if (f != NULL)
			fwrite(s, 1, k, f);
		used += w;
		s += k;
	}
	return used;
}

static void
put_clean(FILE *f, const char *s)
{
	bool cut;

	put_text(f, s, SIZE_MAX, &cut);
}

static void
pad(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

/* s in a cell of cols cells, cut with "…" if wider, padded. */
static void
put_cell(FILE *f, const char *s, size_t cols, bool right, bool last)
{
	size_t room = cols, w;
	bool cut, cut2;

	w = put_text(NULL, s, room, &cut);
	if (cut) {
		room = cols - 1;
		w = put_text(NULL, s, room, &cut2) + 1;
	}
	if (right)
		pad(f, cols - w);
	put_text(f, s, room, &cut2);
	if (cut)
		fputs("…", f);
	if (!right && !last)
		pad(f, cols - w);
}

struct column {
	const char	*title;
	size_t		 cap;		/* most cells shown; "…" beyond */
	bool		 right;		/* numbers */
};

struct table {
	const struct column *cols;
	size_t		 ncols;
	size_t		 nrows;
	/* Cell c of row r: a string that lives as long as arg, or tmp. */
	const char	*(*cell)(const void *arg, size_t r, size_t c,
			    char tmp[CELL_TMP]);
	/* Or NULL: a line under row r, from the last column on. */
	const char	*(*note)(const void *arg, size_t r);
	const void	*arg;
};

/* r SIZE_MAX: the titles. */
static void
print_row(FILE *f, const struct table *t, const size_t *width, size_t r)
{
	char tmp[CELL_TMP];
	const char *s;
	size_t c;

	fputs("  ", f);
	for (c = 0; c < t->ncols; c++) {
		s = r == SIZE_MAX ? _(t->cols[c].title) :
		    t->cell(t->arg, r, c, tmp);
		if (c > 0)
			fputs("  ", f);
		put_cell(f, s, width[c], t->cols[c].right, c + 1 == t->ncols);
	}
	fputc('\n', f);
}

static void
print_table(FILE *f, const struct table *t)
{
	size_t width[TABLE_COLS_MAX], r, c, w;
	char tmp[CELL_TMP];
	bool cut;

	for (c = 0; c < t->ncols; c++)
		width[c] = put_text(NULL, _(t->cols[c].title), SIZE_MAX,
		    &cut);
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			w = put_text(NULL, t->cell(t->arg, r, c, tmp),
			    t->cols[c].cap, &cut);
			if (cut)
				w = t->cols[c].cap;
			if (w > width[c])
				width[c] = w;
		}
	}
	print_row(f, t, width, SIZE_MAX);
	for (r = 0; r < t->nrows; r++) {
		print_row(f, t, width, r);
		if (t->note == NULL)
			continue;
		for (w = 0, c = 0; c + 1 < t->ncols; c++)
			w += width[c] + 2;
		pad(f, w + 2);
		put_clean(f, t->note(t->arg, r));
		fputc('\n', f);
	}
}

static const char *
account_cell(const void *arg, size_t r, size_t c, char tmp[CELL_TMP])
{
	const struct tally *t = &((const struct review *)arg)->acct[r];
	static const enum report_status col[] = { REPORT_NONE, REPORT_NONE,
	    REPORT_NONE, REPORT_SENT, REPORT_FAILED, REPORT_DEFERRED,
	    REPORT_UNKNOWN, REPORT_SKIPPED, REPORT_BOUNCED };

	if (c == 0)
		return t->a[0] != '\0' ? t->a : "-";
	if (c == 1)
		return t->b[0] != '\0' ? t->b : "-";
	snprintf(tmp, CELL_TMP, "%zu", c == 2 ? t->total : t->n[col[c]]);
	return tmp;
}

static void
print_accounts(const struct review *rv, FILE *f)
{
	static const struct column cols[] = { { N_("ACCOUNT"),
	    REVIEW_ACCOUNT_COLS, false }, { N_("PROVIDER"), REVIEW_ACCOUNT_COLS,
	    false }, { N_("ROWS"), 12, true }, { "SENT", 12, true },
	    { "FAILED", 12, true }, { "DEFERRED", 12, true },
	    { "UNKNOWN", 12, true }, { "SKIPPED", 12, true },
	    { "BOUNCED", 12, true } };
	struct table t = { cols, NELEM(cols), rv->nacct, account_cell, NULL,
	    rv };

	fputs(_("\nBy account:\n"), f);
	print_table(f, &t);
}

static void
code_text(const struct tally *t, char *out, size_t size)
{
	if (t->code != 0)
		snprintf(out, size, "%d%s%s", t->code, t->a[0] ? " " : "",
		    t->a);
	else
		snprintf(out, size, "%s", t->a);
}

static const char *
code_cell(const void *arg, size_t r, size_t c, char tmp[CELL_TMP])
{
	const struct tally *t = &((const struct review *)arg)->codes[r];
	const struct explain *x = explain(t->code, t->a);

	if (c == 0)
		code_text(t, tmp, CELL_TMP);
	else if (c == 1)
		snprintf(tmp, CELL_TMP, "%zu", t->total);
	else
		return _(x->meaning);
	return tmp;
}

static const char *
code_note(const void *arg, size_t r)
{
	const struct tally *t = &((const struct review *)arg)->codes[r];

	return _(explain(t->code, t->a)->todo);
}

static void
print_codes(const struct review *rv, FILE *f)
{
	static const struct column cols[] = { { N_("CODE"), 24, false },
	    { N_("ROWS"), 12, true }, { N_("MEANING / WHAT TO DO"), SIZE_MAX,
	    false } };
	struct table t = { cols, NELEM(cols), rv->ncodes, code_cell,
	    code_note, rv };

	fputs(_("\nBy reply code:\n"), f);
	print_table(f, &t);
}

/* The rows neither sent nor previewed, as indexes into rv->rows. */
struct badlist {
	const struct review *rv;
	size_t		*idx;
};

static size_t *
bad_rows(const struct review *rv)
{
	size_t *idx = xcalloc(rv->nbad + 1, sizeof(*idx));
	size_t i, n = 0;
	enum report_status s;

	for (i = 0; i < rv->nrows; i++) {
		s = rv->rows[i].x.status;
		if (s != REPORT_SENT && s != REPORT_PREVIEWED)
			idx[n++] = i;
	}
	return idx;
}

static void
reply_text(const struct report_entry *x, char *out, size_t size)
{
	char code[16] = "";

	if (x->smtp_code != 0)
		snprintf(code, sizeof(code), "%d", x->smtp_code);
	snprintf(out, size, "%s%s%s%s%s", code,
	    code[0] && x->enhanced[0] ? " " : "", x->enhanced,
	    (code[0] || x->enhanced[0]) && x->reply[0] ? " " : "", x->reply);
}

static const char *
bad_cell(const void *arg, size_t r, size_t c, char tmp[CELL_TMP])
{
	const struct badlist *bl = arg;
	const struct report_entry *x = &bl->rv->rows[bl->idx[r]].x;

	switch (c) {
	case 0:
		snprintf(tmp, CELL_TMP, "%zu", x->row);
		return tmp;
	case 1:
		return x->recipients;
	case 2:
		return x->account[0] != '\0' ? x->account : "-";
	case 3:
		return report_status_name(x->status);
	default:
		reply_text(x, tmp, CELL_TMP);
		return tmp;
	}
}

static void
print_bad(const struct review *rv, FILE *f)
{
	static const struct column cols[] = { { N_("ROW"), 20, true },
	    { N_("RECIPIENT"), REVIEW_RECIPIENT_COLS, false },
	    { N_("ACCOUNT"), REVIEW_ACCOUNT_COLS, false }, { N_("STATUS"), 12,
	    false }, { N_("REPLY"), REVIEW_REPLY_COLS, false } };
	struct badlist bl = { rv, bad_rows(rv) };
	struct table t = { cols, NELEM(cols), rv->nbad, bad_cell, NULL,
	    &bl };

	fprintf(f, _("\nNot delivered (%zu row%s):\n"), rv->nbad,
	    rv->nbad == 1 ? "" : "s");
	print_table(f, &t);
	free(bl.idx);
}

static void
print_head(const struct review *rv, FILE *f)
{
	size_t i;

	fputs(_("Reports: "), f);
	for (i = 0; i < rv->npaths; i++) {
		fputs(i > 0 ? ", " : "", f);
		put_clean(f, rv->paths[i]);
	}
	if (rv->npaths > 1)
		fputs(_(" (merged: the latest line of each row wins)"), f);
	fputs(_("\nRoster:  "), f);
	put_clean(f, review_roster(rv));
	if (rv->counted)
		fprintf(f, _(" (%zu rows)"), rv->roster_rows);
	else if (rv->sent_any)
		fputs(_(" (not found or changed since: rows never tried "
		    "cannot be counted)"), f);
	fprintf(f, _("\nRows:    %zu in the reports\n\nBy status:\n"),
	    rv->nrows);
	for (i = 1; i < NSTATUS; i++)
		if (rv->count[i] > 0)
			fprintf(f, "  %-10s %6zu\n", report_status_name(
			    (enum report_status)i), rv->count[i]);
	if (rv->counted && rv->sent_any && rv->untried > 0)
		fprintf(f, _("  %-10s %6zu   (never tried: the run was "
		    "interrupted or limited with -n)\n"), "not tried",
		    rv->untried);
}

static void
print_verdict(const struct review *rv, FILE *f)
{
	if (rv->nbad > 0)
		print_bad(rv, f);
	else if (rv->nrows == 0)
		fputs(_("\nThe reports have no rows yet.\n"), f);
	else if (rv->count[REPORT_SENT] == 0)
		fputs(_("\nA preview: nothing was sent.\n"), f);
	else if (rv->counted && rv->untried > 0)
		fprintf(f, _("\nNot sent yet: %zu row%s of the roster never "
		    "tried.\n"), rv->untried, rv->untried == 1 ? "" : "s");
	else if (rv->counted)
		fputs(_("\nEvery row was accepted by the server (accepted is "
		    "not delivered: bounces come\nlater by mail; 'mailmerge "
		    "bounces' reads them into the report).\n"), f);
	else
		fputs(_("\nEvery row in the reports was accepted by the "
		    "server; whether the roster has more\nrows could not be "
		    "checked.\n"), f);
	put_continue(rv, f, _("\nTo send the rest (add -c CONFIG if the run "
	    "used one):\n  "));
}

int
review_print_text(const struct review *rv, FILE *f, struct err *e)
{
	locale_t old = uselocale(rv->utf8);

	print_head(rv, f);
	if (rv->nacct > 0)
		print_accounts(rv, f);
	if (rv->ncodes > 0)
		print_codes(rv, f);
	print_verdict(rv, f);
	uselocale(old);
	return finish(f, N_("the summary"), e);
}

int
review_print_unknown(const struct review *rv, FILE *f, struct err *e)
{
	locale_t old = uselocale(rv->utf8);
	const struct report_entry *x;
	char when[32];
	size_t i;

	for (i = 0; i < rv->nrows; i++) {
		x = &rv->rows[i].x;
		if (x->status != REPORT_UNKNOWN)
			continue;
		report_time(x->time, when);
		fprintf(f, _("  row %zu: "), x->row);
		put_clean(f, x->recipients);
		fputs(_(" (account "), f);
		put_clean(f, x->account[0] != '\0' ? x->account : "-");
		fprintf(f, ", %s)\n", when);
	}
	uselocale(old);
	return finish(f, N_("the warning"), e);
}

/* ---- JSON -------------------------------------------------------- */

/* A JSON string (RFC 8259 §7); bytes that are not UTF-8 become U+FFFD. */
static void
put_json(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + strlen(s);
	size_t k;

	fputc('"', f);
	while (p < end) {
		k = utf8_len(p, (size_t)(end - p));
		if (k == 0) {
			fputs("\\ufffd", f);
			k = 1;
		} else if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fwrite(p, 1, k, f);
		p += k;
	}
	fputc('"', f);
}

static void
json_counts(FILE *f, const size_t *n)
{
	size_t i;

	fputc('{', f);
	for (i = 1; i < NSTATUS; i++)
		fprintf(f, "%s\"%s\": %zu", i > 1 ? ", " : "",
		    report_status_name((enum report_status)i), n[i]);
	fputc('}', f);
}

static void
json_accounts(const struct review *rv, FILE *f)
{
	const struct tally *t;
	size_t i;

	fputs(",\n\"by_account\": [", f);
	for (i = 0; i < rv->nacct; i++) {
		t = &rv->acct[i];
		fputs(i > 0 ? ",\n  {\"account\": " : "\n  {\"account\": ", f);
		put_json(f, t->a);
		fputs(", \"provider\": ", f);
		put_json(f, t->b);
		fprintf(f, ", \"rows\": %zu, \"by_status\": ", t->total);
		json_counts(f, t->n);
		fputc('}', f);
	}
	fputc(']', f);
}

static void
json_codes(const struct review *rv, FILE *f)
{
	const struct tally *t;
	const struct explain *x;
	size_t i;

	fputs(",\n\"by_code\": [", f);
	for (i = 0; i < rv->ncodes; i++) {
		t = &rv->codes[i];
		x = explain(t->code, t->a);
		fputs(i > 0 ? ",\n  " : "\n  ", f);
		if (t->code != 0)
			fprintf(f, "{\"smtp_code\": %d", t->code);
		else
			fputs("{\"smtp_code\": null", f);
		fputs(", \"enhanced_code\": ", f);
		put_json(f, t->a);
		fprintf(f, ", \"rows\": %zu, \"meaning\": ", t->total);
		put_json(f, x->meaning);
		fputs(", \"todo\": ", f);
		put_json(f, x->todo);
		fputc('}', f);
	}
	fputc(']', f);
}

static void
json_field(FILE *f, const char *name, const char *value)
{
	fprintf(f, ", \"%s\": ", name);
	put_json(f, value);
}

static void
json_row(const struct review *rv, const struct entry *en, FILE *f)
{
	const struct report_entry *x = &en->x;
	char when[32];

	fprintf(f, "{\"row\": %zu", x->row);
	json_field(f, "recipients", x->recipients);
	json_field(f, "status", report_status_name(x->status));
	json_field(f, "provider", x->provider);
	if (x->smtp_code != 0)
		fprintf(f, ", \"smtp_code\": %d", x->smtp_code);
	else
		fputs(", \"smtp_code\": null", f);
	json_field(f, "enhanced_code", x->enhanced);
	json_field(f, "reply", x->reply);
	json_field(f, "message_id", x->message_id);
	fprintf(f, ", \"attempts\": %u", x->attempts);
	report_time(x->time, when);
	json_field(f, "time", when);
	json_field(f, "account", x->account);
	json_field(f, "stage", x->stage);
	json_field(f, "report", rv->paths[en->report]);
	fprintf(f, ", \"line\": %zu}", en->line);
}

/* The continuation command as a JSON string, or null. */
static void
json_resume(const struct review *rv, FILE *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	m = review_remaining(rv) > 0 ? open_memstream(&buf, &len) : NULL;
	if (m == NULL) {
		fputs("null", f);
		return;
	}
	put_continue(rv, m, "");
	fclose(m);
	if (len > 0 && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	put_json(f, buf);
	free(buf);
}

int
review_print_json(const struct review *rv, FILE *f, struct err *e)
{
	size_t i, n = 0;
	enum report_status s;

	fputs("{\"reports\": [", f);
	for (i = 0; i < rv->npaths; i++) {
		fputs(i > 0 ? ", " : "", f);
		put_json(f, rv->paths[i]);
	}
	fputs("],\n\"roster\": ", f);
	put_json(f, review_roster(rv));
	fputs(",\n\"roster_sha256\": ", f);
	put_json(f, rv->roster_sum != NULL ? rv->roster_sum : "");
	fprintf(f, ",\n\"rows\": %zu,\n\"not_delivered_rows\": %zu,\n",
	    rv->nrows, rv->nbad);
	if (rv->counted)
		fprintf(f, "\"roster_rows\": %zu,\n\"not_tried\": %zu,\n",
		    rv->roster_rows, rv->sent_any ? rv->untried : 0);
	else
		fputs("\"roster_rows\": null,\n\"not_tried\": null,\n", f);
	fprintf(f, "\"remaining\": %zu,\n\"resume_command\": ",
	    review_remaining(rv));
	json_resume(rv, f);
	fputs(",\n\"by_status\": ", f);
	json_counts(f, rv->count);
	json_accounts(rv, f);
	json_codes(rv, f);
	fputs(",\n\"not_delivered\": [", f);
	for (i = 0; i < rv->nrows; i++) {
		s = rv->rows[i].x.status;
		if (s == REPORT_SENT || s == REPORT_PREVIEWED)
			continue;
		fputs(n++ > 0 ? ",\n  " : "\n  ", f);
		json_row(rv, &rv->rows[i], f);
	}
	fputs("]}\n", f);
	return finish(f, N_("the summary"), e);
}

/* ---- HTML -------------------------------------------------------- */

/* Text for HTML: markup characters escaped, controls and bad bytes as
 * U+FFFD. */
static void
put_html(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + strlen(s);
	size_t k;

	while (p < end) {
		k = utf8_len(p, (size_t)(end - p));
		if (k == 0 || (*p < 0x20 && *p != '\t' && *p != '\n') ||
		    *p == 0x7f)
			fputs("\xef\xbf\xbd", f);
		else if (*p == '&')
			fputs("&amp;", f);
		else if (*p == '<')
			fputs("&lt;", f);
		else if (*p == '>')
			fputs("&gt;", f);
		else if (*p == '"')
			fputs("&quot;", f);
		else if (*p == '\'')
			fputs("&#39;", f);
		else
			fwrite(p, 1, k, f);
		p += k != 0 ? k : 1;
	}
}

static const char html_style[] =
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222;"
    "max-width:72em}\n"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}\n"
    ".meta{color:#555}\n"
    ".bar{display:flex;height:2.2em;border-radius:4px;overflow:hidden;"
    "border:1px solid #999}\n"
    ".seg{height:100%;color:#fff;font-weight:bold;overflow:hidden;"
    "white-space:nowrap;text-align:center;line-height:2.2em}\n"
    ".legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;"
    "gap:1.2em}\n"
    ".sw{display:inline-block;width:.9em;height:.9em;margin-right:.35em;"
    "vertical-align:-.1em;border-radius:2px}\n"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;"
    "padding:.25em .6em;text-align:left;vertical-align:top}\n"
    "th{background:#f0f0f0}td.n{text-align:right}"
    "td.c{white-space:nowrap}\n";

static void
html_head(const struct review *rv, FILE *f)
{
	size_t i;

	fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>%s", i18n_language(),
	    _("mailmerge report: "));
	put_html(f, review_roster(rv));
	fprintf(f, _("</title>\n<style>\n%s</style>\n</head>\n<body>\n"
	    "<h1>mailmerge report</h1>\n<p class=\"meta\">Roster <code>"),
	    html_style);
	put_html(f, review_roster(rv));
	fprintf(f, _("</code>, %zu rows; report%s "), rv->nrows,
	    rv->npaths > 1 ? _("s (the latest line of each row wins):") : "");
	for (i = 0; i < rv->npaths; i++) {
		fputs(i > 0 ? ", <code>" : "<code>", f);
		put_html(f, rv->paths[i]);
		fputs("</code>", f);
	}
	fputs("</p>\n", f);
}

/* The counts as one stacked bar, widths in hundredths of a percent. */
static void
html_bar(const struct review *rv, FILE *f)
{
	size_t i, bp;
	const char *name;

	fputs("<div class=\"bar\">\n", f);
	for (i = 1; i < NSTATUS; i++) {
		if (rv->count[i] == 0)
			continue;
		bp = rv->count[i] * 10000 / rv->nrows;	/* nrows > 0 here */
		name = report_status_name((enum report_status)i);
		fprintf(f, "<div class=\"seg\" style=\"width:%zu.%02zu%%;"
		    "background:%s\" title=\"%s: %zu\">%zu</div>\n", bp / 100,
		    bp % 100, status_colour[i], name, rv->count[i],
		    rv->count[i]);
	}
	fputs("</div>\n<ul class=\"legend\">\n", f);
	for (i = 1; i < NSTATUS; i++)
		if (rv->count[i] > 0)
			fprintf(f, "<li><span class=\"sw\" style=\"background:"
			    "%s\"></span>%s <b>%zu</b></li>\n",
			    status_colour[i], report_status_name(
			    (enum report_status)i), rv->count[i]);
	fputs("</ul>\n", f);
}

static void
html_cell(FILE *f, const char *s)
{
	fputs("<td>", f);
	put_html(f, s);
	fputs("</td>", f);
}

static void
html_accounts(const struct review *rv, FILE *f)
{
	const struct tally *t;
	size_t i, s;

	fputs(_("<h2>By account</h2>\n<table>\n<tr><th>Account</th>"
	    "<th>Provider</th><th>Rows</th>"), f);
	for (s = 1; s < NSTATUS; s++)
		fprintf(f, "<th>%s</th>", report_status_name(
		    (enum report_status)s));
	fputs("</tr>\n", f);
	for (i = 0; i < rv->nacct; i++) {
		t = &rv->acct[i];
		fputs("<tr>", f);
		html_cell(f, t->a);
		html_cell(f, t->b);
		fprintf(f, "<td class=\"n\">%zu</td>", t->total);
		for (s = 1; s < NSTATUS; s++)
			fprintf(f, "<td class=\"n\">%zu</td>", t->n[s]);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void
html_codes(const struct review *rv, FILE *f)
{
	const struct tally *t;
	const struct explain *x;
	char code[64];
	size_t i;

	fputs(_("<h2>By reply code</h2>\n<table>\n<tr><th>Code</th>"
	    "<th>Rows</th><th>Meaning</th><th>What to do</th></tr>\n"), f);
	for (i = 0; i < rv->ncodes; i++) {
		t = &rv->codes[i];
		x = explain(t->code, t->a);
		code_text(t, code, sizeof(code));
		fprintf(f, "<tr><td class=\"c\">%s</td>", code);
		fprintf(f, "<td class=\"n\">%zu</td>", t->total);
		html_cell(f, _(x->meaning));
		html_cell(f, _(x->todo));
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void
html_bad(const struct review *rv, FILE *f)
{
	const struct report_entry *x;
	char reply[CELL_TMP];
	size_t i;

	fprintf(f, _("<h2>Not delivered (%zu)</h2>\n"), rv->nbad);
	if (rv->nbad == 0) {
		fputs(_("<p>None.</p>\n"), f);
		return;
	}
	fputs(_("<table>\n<tr><th>Row</th><th>Recipient</th><th>Account</th>"
	    "<th>Status</th><th>Reply</th></tr>\n"), f);
	for (i = 0; i < rv->nrows; i++) {
		x = &rv->rows[i].x;
		if (x->status == REPORT_SENT || x->status == REPORT_PREVIEWED)
			continue;
		fprintf(f, "<tr><td class=\"n\">%zu</td>", x->row);
		html_cell(f, x->recipients);
		html_cell(f, x->account);
		html_cell(f, report_status_name(x->status));
		reply_text(x, reply, sizeof(reply));
		html_cell(f, reply);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* Rows never tried, and the command that sends what remains. */
static void
html_remaining(const struct review *rv, FILE *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	if (rv->counted && rv->sent_any)
		fprintf(f, _("<h2>Not tried (%zu)</h2>\n<p>Roster rows no "
		    "report mentions (the run was interrupted or limited with "
		    "-n): %zu of %zu.</p>\n"), rv->untried, rv->untried,
		    rv->roster_rows);
	m = review_remaining(rv) > 0 ? open_memstream(&buf, &len) : NULL;
	if (m == NULL)
		return;
	put_continue(rv, m, "");
	fclose(m);
	fputs(_("<p>To send the rest (add -c CONFIG if the run used one):"
	    "</p>\n<pre>"), f);
	put_html(f, buf);
	fputs("</pre>\n", f);
	free(buf);
}

/* ---- output files ------------------------------------------------ */

/* A private temporary file beside path (report.c's rules). */
static FILE *
open_tmp(const char *path, char tmp[PATH_TMP_MAX], struct err *e)
{
	return report_tmp_open(path, tmp, PATH_TMP_MAX, e);
}

/* Close f and rename tmp to path; on any error remove tmp. */
static int
close_tmp(FILE *f, const char *tmp, const char *path, bool ok,
    struct err *e)
{
	return report_tmp_close(f, tmp, path, ok, e);
}

int
review_write_html(const struct review *rv, const char *path,
    struct err *e)
{
	char tmp[PATH_TMP_MAX];
	FILE *f;

	f = open_tmp(path, tmp, e);
	if (f == NULL)
		return -1;
	html_head(rv, f);
	html_bar(rv, f);
	if (rv->count[REPORT_SENT] > 0)
		fputs(_("<p>Sent means accepted by the server (250), not "
		    "delivered: bounces come later by mail; "
		    "<code>mailmerge bounces</code> reads them into the "
		    "report.</p>\n"), f);
	if (rv->nacct > 0)
		html_accounts(rv, f);
	if (rv->ncodes > 0)
		html_codes(rv, f);
	html_bad(rv, f);
	html_remaining(rv, f);
	fputs("</body>\n</html>\n", f);
	return close_tmp(f, tmp, path, true, e);
}

/* ---- the retry roster -------------------------------------------- */

/* 0: path has the reports' checksum; 1: it differs; -1: unreadable. */
static int
roster_sum_is(const struct review *rv, const char *path, int *err)
{
	struct codec_sha256 h;
	char chunk[65536], hex[CODEC_SHA256_HEX];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1) {
		*err = errno;
		return -1;
	}
	codec_sha256_init(&h);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		codec_sha256_update(&h, chunk, (size_t)n);
	}
	*err = errno;
	close(fd);
	if (n == -1)
		return -1;
	codec_sha256_hex(&h, hex);
	return strcmp(hex, rv->roster_sum) == 0 ? 0 : 1;
}

/*
 * Candidate k for the roster: its path as the report has it (absolute
 * since reports record absolute paths; an older report's relative path
 * is from where the batch ran: the current folder), then for a relative
 * one each report's folder and the folder above it (out/report.csv).
 * False when there are no more.
 */
static bool
roster_candidate(const struct review *rv, size_t k, char *out, size_t size)
{
	const char *rp, *slash;
	size_t i = (k - 1) / 2;
	int dir;

	if (k == 0)
		return snprintf(out, size, "%s", rv->roster) < (int)size;
	if (rv->roster[0] == '/' || i >= rv->npaths)
		return false;
	rp = rv->paths[i];
	slash = strrchr(rp, '/');
	dir = slash == NULL ? 0 : (int)(slash - rp + 1);
	if (k % 2 == 1)
		snprintf(out, size, "%.*s%s", dir, rp, rv->roster);
	else
		snprintf(out, size, "%.*s%s../%s", dir, rp, dir ? "" : "./",
		    rv->roster);
	return true;
}

/* Find the roster the reports were made from, unchanged, into found. */
static int
roster_find(const struct review *rv, char *found, size_t size,
    struct err *e)
{
	int rc, err = 0, first_err = 0, first = -1;
	size_t k;

	for (k = 0; roster_candidate(rv, k, found, size); k++) {
		rc = roster_sum_is(rv, found, &err);
		if (rc == 0)
			return 0;
		if (k == 0) {
			first = rc;
			first_err = err;
		} else if (rc == 1 && first == -1)
			first = 1;
	}
	if (first == 1)
		err_set(e, E_INPUT, rv->roster, "the roster changed since the "
		    "report was written; refusing to write a retry roster "
		    "from it");
	else
		err_set(e, E_NOINPUT, rv->roster, "cannot open the roster the "
		    "report names (%s), nor find it beside the report: run "
		    "mailmerge report from the directory the batch ran in",
		    strerror(first_err));
	return -1;
}

/* Refuse to replace the roster or a report with the retry roster. */
static int
not_clobber(const struct review *rv, const char *roster, const char *path,
    struct err *e)
{
	struct stat out, in;
	size_t i;

	if (stat(path, &out) == -1)
		return 0;
	if (stat(roster, &in) == 0 && in.st_dev == out.st_dev &&
	    in.st_ino == out.st_ino) {
		err_set(e, E_USAGE, path, "this is the roster itself: write "
		    "the retry roster to another file");
		return -1;
	}
	for (i = 0; i < rv->npaths; i++) {
		if (stat(rv->paths[i], &in) == 0 && in.st_dev == out.st_dev &&
		    in.st_ino == out.st_ino) {
			err_set(e, E_USAGE, path, "this is one of the reports: "
			    "write the retry roster to another file");
			return -1;
		}
	}
	return 0;
}

static const struct entry *
find_row(const struct review *rv, size_t row)
{
	struct entry key;

	key.x.row = row;
	if (rv->nrows == 0)
		return NULL;
	return bsearch(&key, rv->rows, rv->nrows, sizeof(*rv->rows), by_row);
}

static int
copy_rows(const struct review *rv, struct roster *rs, struct roster_out *out,
    struct review_retry *rt, struct err *e)
{
	struct roster_row rw;
	const struct entry *en;
	int n;

	for (;;) {
		n = roster_next(rs, &rw, e);
		if (n != 1)
			break;
		en = find_row(rv, rw.row);
		if (en != NULL && en->x.status == REPORT_SENT)
			continue;
		if (roster_out_row(out, rw.fields, rw.nfields, e) == -1)
			return -1;
		rt->rows++;
		if (en == NULL)
			rt->absent++;
		else if (en->x.status == REPORT_UNKNOWN)
			rt->unknown++;
	}
	return n == 0 ? 0 : -1;
}

int
review_write_retry(const struct review *rv, const char *path,
    struct review_retry *rt, struct err *e)
{
	char found[PATH_MAX];
	struct roster_params rp = { .path = found };
	struct roster *rs = NULL;
	struct roster_out *out = NULL;
	char tmp[PATH_TMP_MAX];
	FILE *f;
	bool ok;

	memset(rt, 0, sizeof(*rt));
	if (rv->roster == NULL || rv->roster[0] == '\0') {
		err_set(e, E_INPUT, rv->paths[0], "the report names no roster");
		return -1;
	}
	/* The sheet the batch read; "" for CSV and older reports. */
	if (rv->roster_sheet != NULL && rv->roster_sheet[0] != '\0')
		rp.sheet = rv->roster_sheet;
	if (roster_find(rv, found, sizeof(found), e) == -1 ||
	    not_clobber(rv, found, path, e) == -1 ||
	    roster_open(&rs, &rp, e) == -1)
		return -1;
	f = open_tmp(path, tmp, e);
	if (f == NULL) {
		roster_free(rs);
		return -1;
	}
	/*
	 * In the roster's own encoding and delimiter, as re-detected; a
	 * spreadsheet's rows as CSV UTF-8 with a BOM, which is what Excel
	 * needs to open Korean text as UTF-8.
	 */
	ok = (roster_sheet(rs) == NULL || fputs(REPORT_BOM, f) != EOF) &&
	    roster_out_open(&out, f, roster_sheet(rs) ? "UTF-8" :
	    roster_encoding(rs), roster_sheet(rs) ? ',' :
	    roster_delimiter(rs), e) == 0 &&
	    roster_out_row(out, roster_cols(rs), roster_ncols(rs), e) == 0 &&
	    copy_rows(rv, rs, out, rt, e) == 0;
	roster_out_free(out);
	roster_free(rs);
	return close_tmp(f, tmp, path, ok, e);
}
