/*
 * A batch's inputs and the validation pass.  Both verbs share one
 * shape: open the roster and the template, bind the template to the
 * roster's columns, then render and check every row before any output.
 * The roster is streamed, so memory stays flat; the only per-row state
 * is a 16-byte entry per recipient in the duplicate detector.
 *
 * Rich mail: Content-Type: text/markdown renders the body twice, raw
 * for the text part and with {{x}} HTML-escaped for cmark (so a field's
 * "<b>" shows as text in the HTML, where cmark's safe mode would drop
 * it as raw HTML; {{{x}}} is Markdown and still safe mode); text/html
 * renders it HTML-escaped and makes the text part from that HTML.
 * Attachment paths are rendered a second time from marked field values
 * (attach_mark()), so the path rule knows which octets the roster gave.
 * A row's files are a struct attach_set (attach.c): the validation
 * pass checks and types them, job_build() reads and encodes them.  Both
 * passes build the message with message_build(); validation counts the
 * parts' contents instead of encoding them (count_only) and throws the
 * text away.
 *
 * Address headers are rendered a second time too, from values marked
 * with message_mark() (but the columns X-Mailmerge-List names), so that
 * message.c lets a field give one name or one address, never structure.
 * Images the HTML part names by a relative path become inline parts;
 * a path the template writes whole is trusted, any other follows a
 * field's path rule, the rendered HTML no longer telling which octets
 * came from the roster.
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "html.h"
#include "i18n.h"
#include "job.h"
#include "markdown.h"
#include "nitems.h"
#include "term.h"
#include "sheet.h"
#include "xalloc.h"

#define HEADERS_CAP	(256 * 1024)		/* header text of one row */
#define BODY_CAP	(32 * 1024 * 1024)	/* body of one row */
#define RCPTS_CAP	(64 * 1024)		/* "a@x;b@y" of one row */
#define MVALS_CAP	(64 * 1024 * 1024)	/* marked field values */
#define ATTACH_HEADER	"Attachment"
#define LIST_HEADER	"X-Mailmerge-List"
#define TEMPLATE_TEXT_CAP (2 * 1024 * 1024)	/* the template, kept */

enum warn_kind { W_EMPTY, W_DUP, W_UNUSED, W_UTF8, W_KINDS };

void
job_diag(const struct job *j, enum job_level level, const struct err *e)
{
	if (j->p->diag != NULL)
		j->p->diag(j->p->diag_arg, level, e);
}

void
job_where(const struct job *j, const struct roster_row *rw, struct err *e)
{
	char ref[128];

	if (rw->sheet != NULL) {
		/* A spreadsheet row is named as the spreadsheet does. */
		sheet_ref(ref, sizeof(ref), rw->sheet, rw->line, 0);
		err_where(e, "%s:%s", j->p->roster, ref);
	} else
		err_where(e, "%s:%zu", j->p->roster, rw->line);
}

/* A warning of one kind, the first JOB_WARNINGS_MAX shown. */
static void
warn(struct job *j, enum warn_kind kind, const struct err *e)
{
	if (j->warned[kind]++ < JOB_WARNINGS_MAX)
		job_diag(j, JOB_WARNING, e);
}

/* Keep a chunk in *arg's buffer; past its cap, keep nothing more. */
static void
keep_chunk(void *arg, const void *p, size_t n)
{
	struct buf **keep = arg;

	/* Past the cap the text is not kept: template_load() fails. */
	if (*keep != NULL && buf_add(*keep, p, n) == -1)
		buf_reset(*keep), *keep = NULL;
}

/* The file's SHA-256; its text kept in keep too unless NULL. */
static int
file_sha256(const char *path, char out[CODEC_SHA256_HEX], struct buf *keep,
    struct err *e)
{
	struct stat st;
	int rc;
	/* O_NONBLOCK: a FIFO must be refused, not wait for a writer. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd == -1) {
		err_set(e, E_NOINPUT, path, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		err_set(e, E_NOINPUT, path, "not a regular file (a folder, "
		    "FIFO or device): give the roster and template as files");
		return -1;
	}
	rc = codec_sha256_fd(fd, out, keep_chunk, &keep);
	if (rc == -1)
		err_set(e, E_NOINPUT, path, "cannot read: %s", strerror(errno));
	close(fd);
	return rc;
}

static bool
same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

int
job_roster_same(const struct job *j, bool quick, struct err *e)
{
	char sum[CODEC_SHA256_HEX];
	struct stat st;
	struct err ignored;

	if (stat(j->p->roster, &st) == 0 && same_stat(&st, &j->roster_st) &&
	    (quick || (file_sha256(j->p->roster, sum, NULL, &ignored) == 0 &&
	    strcmp(sum, j->roster_sum) == 0)))
		return 0;
	if (quick)
		return job_roster_same(j, false, e);
	err_set(e, E_INPUT, j->p->roster, "the roster changed on disk "
	    "during the run (it is not the file that was validated): "
	    "stopped before reading it again, so no row of the changed "
	    "file was sent");
	return -1;
}

int
job_roster_stat(struct job *j, bool after, struct err *e)
{
	struct stat st;

	if (stat(j->p->roster, &st) == -1) {
		err_set(e, E_NOINPUT, j->p->roster, "cannot open: %s",
		    strerror(errno));
		return -1;
	}
	if (!after) {
		j->roster_st = st;
		return 0;
	}
	if (!same_stat(&st, &j->roster_st))
		j->roster_st.st_size = -1;	/* fails the check below */
	if (job_roster_same(j, false, e) == -1) {
		err_set(e, E_INPUT, j->p->roster, "the roster changed on "
		    "disk while it was being validated: nothing was sent; "
		    "run again once it is saved");
		return -1;
	}
	return 0;
}

void
job_init(struct job *j, const struct job_params *p)
{
	struct tm tm;

	memset(j, 0, sizeof(*j));
	j->p = p;
	dupes_init(&j->dupes);
	j->now = time(NULL);
	gmtime_r(&j->now, &tm);
	strftime(j->stamp, sizeof(j->stamp), "%Y%m%d%H%M%S", &tm);
	if (getrandom(&j->nonce, sizeof(j->nonce), 0) != sizeof(j->nonce))
		j->nonce = (uint64_t)j->now ^ ((uint64_t)getpid() << 32);
}

void
job_fini(struct job *j)
{
	roster_free(j->roster);
	template_free(j->tmpl);
	free(j->dir);
	free(j->roster_abs);
	free(j->template_abs);
	for (size_t i = 0; i < j->nbad; i++)
		free(j->bad[i].why);
	free(j->bad);
	dupes_fini(&j->dupes);
	free(j->list);
	buf_fini(&j->ttext);
}

void
job_row_init(struct job_row *r)
{
	memset(r, 0, sizeof(*r));
	message_init(&r->msg);
	buf_init(&r->hbuf, HEADERS_CAP);
	buf_init(&r->hmark, HEADERS_CAP);
	buf_init(&r->hvals, MVALS_CAP);
	buf_init(&r->body, BODY_CAP);
	buf_init(&r->rcpts, RCPTS_CAP);
	buf_init(&r->first, ADDR_MAX + 1);
	buf_init(&r->subject, HEADERS_CAP);
	buf_init(&r->html, BODY_CAP);
	buf_init(&r->src, BODY_CAP);
	attach_set_init(&r->files);
}

void
job_row_fini(struct job_row *r)
{
	message_fini(&r->msg);
	buf_fini(&r->hbuf);
	buf_fini(&r->hmark);
	buf_fini(&r->hvals);
	free(r->hv);
	free(r->hl);
	buf_fini(&r->body);
	buf_fini(&r->rcpts);
	buf_fini(&r->first);
	buf_fini(&r->subject);
	buf_fini(&r->html);
	buf_fini(&r->src);
	attach_set_fini(&r->files);
}

/* The first message, as a person reads it: decoded headers, text. */
void
job_show(FILE *f, const struct job *j, const struct job_row *r,
    const struct roster_row *rw)
{
	size_t i;

	if (f == NULL)
		return;
	/* Fields are untrusted: no escape sequence reaches the terminal. */
	fprintf(f, _("--- row %zu ("), rw->row);
	term_puts(f, j->p->roster, false);
	if (rw->sheet != NULL) {
		fputs(_(" sheet "), f);
		term_puts(f, rw->sheet, false);
		fprintf(f, _(" row %zu) ---\n"), rw->line);
	} else
		fprintf(f, _(" line %zu) ---\n"), rw->line);
	for (i = 0; i < r->nhdr; i++) {
		fprintf(f, "%s: ", r->hdr[i].name);
		term_puts(f, r->hdr[i].value, false);
		fputc('\n', f);
	}
	fprintf(f, "Message-ID: %s\n\n", r->msg.msgid);
	term_write(f, buf_str(&r->body), r->body.len, true);
	if (r->body.len > 0 && r->body.data[r->body.len - 1] != '\n')
		fputc('\n', f);
	fputs("---\n", f);
}

#define PROVIDER_COL	"provider"	/* the column that routes a row */

int
job_provider_col(const struct job *j)
{
	const char *const *cols = roster_cols(j->roster);
	size_t i;

	for (i = 0; i < roster_ncols(j->roster); i++)
		if (strcmp(cols[i], PROVIDER_COL) == 0)
			return (int)i;
	return -1;
}

/* Columns the template never uses (the provider column routes mail). */
static void
warn_unused(struct job *j)
{
	const char *const *cols = roster_cols(j->roster);
	struct err w;
	size_t i;

	for (i = 0; i < roster_ncols(j->roster); i++) {
		if (template_use(j->tmpl, i) != 0 ||
		    (int)i == job_provider_col(j))
			continue;
		err_set(&w, E_INPUT, j->p->template, "column '%s' of %s is "
		    "not used by the template", cols[i], j->p->roster);
		warn(j, W_UNUSED, &w);
	}
}

int
job_reader(const struct job *j, struct roster **rp, struct err *e)
{
	struct roster_params rp_ = { j->p->roster, j->p->encoding,
	    j->p->delimiter, false, j->p->sheet };

	return roster_open(rp, &rp_, e);
}

/* The absolute path, for the report (so it is found from anywhere). */
static char *
absolute(const char *path)
{
	char buf[PATH_MAX];

	return xstrdup(realpath(path, buf) != NULL ? buf : path);
}

static void
bind_error(void *arg, const struct err *e)
{
	job_diag(arg, JOB_ERROR, e);
}

/* Every tag naming no column is reported, not just the first. */
static int
bind_all(struct job *j, struct err *e)
{
	size_t bad;

	bad = template_bind_all(j->tmpl, roster_cols(j->roster),
	    roster_ncols(j->roster), j->p->diag != NULL ? bind_error : NULL,
	    j, e);
	if (bad == 0)
		return 0;
	if (j->p->diag == NULL)
		return -1;
	err_set(e, E_INPUT, j->p->template, P_("%zu tag names no column of "
	    "%s (see above): nothing was written or sent", "%zu tags name no "
	    "column of %s (see above): nothing was written or sent", bad),
	    bad, j->p->roster);
	return -1;
}

/* Column name s[0..n) of the roster, or SIZE_MAX. */
static size_t
column_of(const struct job *j, const char *s, size_t n)
{
	const char *const *cols = roster_cols(j->roster);
	size_t k;

	for (k = 0; k < roster_ncols(j->roster); k++)
		if (strlen(cols[k]) == n && memcmp(cols[k], s, n) == 0)
			return k;
	return SIZE_MAX;
}

/* One column name of X-Mailmerge-List, trimmed; E_INPUT. */
static int
list_one(struct job *j, const char *s, size_t n, size_t hdr, struct err *e)
{
	size_t k;

	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0)
		return 0;
	k = column_of(j, s, n);
	if (k != SIZE_MAX) {
		j->list[k] = true;
		return 0;
	}
	err_set(e, E_INPUT, NULL, "%s names '%.*s', which is not a column "
	    "of %s: expected column names separated by commas", LIST_HEADER,
	    (int)(n > 64 ? 64 : n), s, j->p->roster);
	err_where(e, "%s:%zu", j->p->template,
	    template_header_line(j->tmpl, hdr));
	return -1;
}

/*
 * "X-Mailmerge-List: col, col": the columns whose values may list
 * several addresses, "Name <a@b>, c@d", in an address header; any
 * other field gives one name or one address.  The value
 * is the template's own text.  E_INPUT naming an unknown column.
 */
static int
list_columns(struct job *j, struct err *e)
{
	size_t ncols = roster_ncols(j->roster), i, a, b, k;
	const char **none = xcalloc(ncols + 1, sizeof(*none));
	size_t *zero = xcalloc(ncols + 1, sizeof(*zero));
	struct buf v;
	int rc = 0;

	j->list = xcalloc(ncols + 1, sizeof(*j->list));
	buf_init(&v, HEADERS_CAP);
	for (k = 0; k < ncols; k++)
		none[k] = "";
	for (i = 0; i < template_nheaders(j->tmpl) && rc == 0; i++) {
		if (strcasecmp(template_header_name(j->tmpl, i),
		    LIST_HEADER) != 0)
			continue;
		buf_reset(&v);
		rc = template_render_header(j->tmpl, i, none, zero, &v, e);
		for (a = 0; rc == 0 && a < v.len; a = b + 1) {
			for (b = a; b < v.len && v.data[b] != ','; b++)
				;
			rc = list_one(j, v.data + a, b - a, i, e);
		}
	}
	buf_fini(&v);
	free(none);
	free(zero);
	return rc;
}

int
job_open(struct job *j, struct err *e)
{
	const struct job_params *p = j->p;
	const char *slash;

	buf_init(&j->ttext, TEMPLATE_TEXT_CAP);
	if (file_sha256(p->roster, j->roster_sum, NULL, e) == -1 ||
	    file_sha256(p->template, j->template_sum, &j->ttext, e) == -1)
		return -1;
	j->roster_abs = absolute(p->roster);
	j->template_abs = absolute(p->template);
	if (job_reader(j, &j->roster, e) == -1 ||
	    template_load(&j->tmpl, p->template, e) == -1)
		return -1;
	if (bind_all(j, e) == -1)
		return -1;
	j->name_col = roster_name_col(j->roster);
	if (list_columns(j, e) == -1)
		return -1;
	slash = strrchr(p->template, '/');
	j->dir = slash == NULL ? xstrdup("") : slash == p->template ?
	    xstrdup("/") : xstrndup(p->template, (size_t)(slash - p->template));
	warn_unused(j);
	return 0;
}

/*
 * The column behind a bad value in header name: of the columns the
 * header shows, the one whose value the message quotes ('' for an
 * empty one).  NULL if none or several fit.
 */
static const char *
blame_col(const struct job *j, const struct roster_row *rw,
    const char *name, const char *msg)
{
	size_t cols[16], n = 0, i, k, hit = SIZE_MAX, empty = SIZE_MAX,
	    nempty = 0;
	char quoted[ERR_MSG_MAX];

	for (i = 0; i < template_nheaders(j->tmpl); i++)
		if (strcasecmp(template_header_name(j->tmpl, i), name) == 0)
			n = template_header_cols(j->tmpl, i, cols, 16);
	for (k = 0; k < n; k++)
		if (rw->lens[cols[k]] == 0) {
			empty = cols[k];
			nempty++;
		}
	/* "no recipient" quotes nothing: the one empty field is to blame. */
	if (nempty == 1 && strstr(msg, "'") == NULL)
		return roster_cols(j->roster)[empty];
	for (k = 0; k < n; k++) {
		if (rw->lens[cols[k]] >= sizeof(quoted) - 2)
			continue;
		snprintf(quoted, sizeof(quoted), "'%s'", rw->fields[cols[k]]);
		if (strstr(msg, quoted) == NULL)
			continue;
		if (hit != SIZE_MAX)
			return NULL;
		hit = cols[k];
	}
	return hit == SIZE_MAX ? NULL : roster_cols(j->roster)[hit];
}

/* "student NAME", control characters blanked: the name is roster data. */
static void
student(char *out, size_t size, const char *name)
{
	size_t n, k;
	unsigned char lead;

	snprintf(out, size, _("student %.100s"), name);
	for (n = 0; out[n] != '\0'; n++)
		if ((unsigned char)out[n] < ' ' || out[n] == 0x7f)
			out[n] = ' ';
	/* The cut may have split a UTF-8 sequence: drop what is left. */
	for (k = n; k > 8 && ((unsigned char)out[k - 1] & 0xC0) == 0x80; k--)
		continue;
	lead = k > 8 ? (unsigned char)out[k - 1] : 0;
	if (lead >= 0xC0 && n - (k - 1) < (size_t)(lead >= 0xF0 ? 4 :
	    lead >= 0xE0 ? 3 : 2))
		out[k - 1] = '\0';
}

/*
 * Put a row's position in front of an error and, after it, who the row
 * is and which column gave the bad value: "roster.csv:5: row 4, header
 * 'To': ... (student 김민준, column 'email')".  The prefix stays as it
 * was, for scripts that match it.
 */
static void
row_error(const struct job *j, const struct roster_row *rw, struct err *e,
    const char *what)
{
	char msg[ERR_MSG_MAX], field[ERR_WHERE_MAX], who[128] = "",
	    tail[300] = "";
	const char *c = NULL;

	/* Copies: err_set() rewrites e->where and e->msg first. */
	snprintf(msg, sizeof(msg), "%s", e->msg);
	snprintf(field, sizeof(field), "%s", e->where);
	if (j->name_col != SIZE_MAX && rw->lens[j->name_col] > 0)
		student(who, sizeof(who), rw->fields[j->name_col]);
	if (strcmp(what, "header") == 0 && field[0] != '\0')
		c = blame_col(j, rw, field, msg);
	if (who[0] != '\0' || c != NULL)
		snprintf(tail, sizeof(tail), " (%s%s%s%.100s%s)", who,
		    who[0] && c ? ", " : "", c ? _("column '") : "", c ? c : "",
		    c ? "'" : "");
	if (field[0] != '\0')
		err_set(e, e->kind, NULL, "row %zu, %s '%s': %s%s", rw->row,
		    what[0] ? _(what) : "", field, msg, tail);
	else
		err_set(e, e->kind, NULL, "row %zu: %s%s", rw->row, msg, tail);
	job_where(j, rw, e);
}

/*
 * Whether header name a is b, in any case; the first letter, folded,
 * tells most names apart without strcasecmp() (a row asks a few dozen
 * times).
 */
static bool
is_header(const char *a, const char *b)
{
	return (a[0] | 0x20) == (b[0] | 0x20) && strcasecmp(a, b) == 0;
}

/* First address of To, Cc or Bcc, for routing before the build. */
static int
first_addr(void *arg, const char *name, size_t nlen, const char *addr,
    size_t alen)
{
	struct buf *b = arg;

	(void)name;
	(void)nlen;
	if (b->len == 0 && buf_add(b, addr, alen) == -1)
		return -1;
	return 0;
}

const char *
job_first(struct job_row *r)
{
	static const char *const order[] = { "To", "Cc", "Bcc" };
	struct err ignored;
	size_t k, i;

	if (r->first_ok)
		return buf_str(&r->first);
	r->first_ok = true;
	buf_reset(&r->first);
	for (k = 0; k < 3 && r->first.len == 0; k++)
		for (i = 0; i < r->nhdr; i++)
			if (is_header(r->hdr[i].name, order[k]))
				message_parse_addrs(r->hdr[i].value,
				    r->hdr[i].len, first_addr, &r->first,
				    &ignored);
	return buf_str(&r->first);
}

/*
 * The row's values marked for address headers (message_mark()), but
 * those of X-Mailmerge-List's columns, which may hold structure.
 */
static int
hmark_values(const struct job *j, struct job_row *r,
    const struct roster_row *rw)
{
	size_t k, *off;
	const char *end;
	int rc = 0;

	if (rw->nfields > r->hcap) {
		r->hv = xreallocarray(r->hv, rw->nfields, sizeof(*r->hv));
		r->hl = xreallocarray(r->hl, rw->nfields, sizeof(*r->hl));
		r->hcap = rw->nfields;
	}
	/* Only columns used in headers are marked; the others point. */
	off = r->hl;
	buf_reset(&r->hvals);
	for (k = 0; k < rw->nfields && rc == 0; k++) {
		off[k] = SIZE_MAX;
		if ((j->list != NULL && j->list[k]) ||
		    !(template_use(j->tmpl, k) & TEMPLATE_USE_HEADER))
			continue;
		off[k] = r->hvals.len;
		rc = message_mark(&r->hvals, rw->fields[k], rw->lens[k], k);
	}
	/* Pointers only now: the buffer may have moved while growing. */
	for (k = 0; k < rw->nfields && rc == 0; k++) {
		if (off[k] == SIZE_MAX) {
			r->hv[k] = rw->fields[k];
			r->hl[k] = rw->lens[k];
			continue;
		}
		/* The mark message_mark() wrote ends at its first END. */
		r->hv[k] = buf_str(&r->hvals) + off[k];
		end = rw->lens[k] > 0 ? memchr(r->hv[k], MESSAGE_MARK_END,
		    r->hvals.len - off[k]) : NULL;
		r->hl[k] = end != NULL ? (size_t)(end - r->hv[k]) + 1 +
		    rw->lens[k] : 0;
	}
	return rc;
}

/*
 * Address headers rendered again with the fields marked, so that
 * message.c knows which octets the roster gave: those never add
 * structure (recipients, groups).
 */
static int
headers_marked(const struct job *j, struct job_row *r,
    const struct roster_row *rw, struct err *e)
{
	size_t i, off[TEMPLATE_HEADERS_MAX];
	bool any = false;

	buf_reset(&r->hmark);
	for (i = 0; i < r->nhdr; i++) {
		r->hdr[i].marked = NULL;
		off[i] = SIZE_MAX;
		if (!message_header_is_address(r->hdr[i].name))
			continue;
		if (!any && hmark_values(j, r, rw) == -1)
			goto big;
		any = true;
		off[i] = r->hmark.len;
		if (template_render_header(j->tmpl, i, r->hv, r->hl,
		    &r->hmark, e) == -1)
			return -1;
		r->hdr[i].mlen = r->hmark.len - off[i];
	}
	for (i = 0; i < r->nhdr; i++)
		if (off[i] != SIZE_MAX)
			r->hdr[i].marked = buf_str(&r->hmark) + off[i];
	return 0;
big:
	err_set(e, E_INPUT, NULL, "the headers are too large");
	return -1;
}

int
job_headers(const struct job *j, struct job_row *r,
    const struct roster_row *rw, struct err *e)
{
	size_t i;

	r->first_ok = false;
	r->nhdr = template_nheaders(j->tmpl);
	buf_reset(&r->hbuf);
	for (i = 0; i < r->nhdr; i++) {
		r->hoff[i] = r->hbuf.len;
		if (template_render_header(j->tmpl, i, rw->fields, rw->lens,
		    &r->hbuf, e) == -1) {
			row_error(j, rw, e, N_("column"));
			return -1;
		}
		r->hdr[i].len = r->hbuf.len - r->hoff[i];
		if (buf_addc(&r->hbuf, '\0') == -1) {
			err_set(e, E_INPUT, NULL, "the headers are too large");
			row_error(j, rw, e, "");
			return -1;
		}
	}
	/* Pointers only now: the buffer may have moved while growing. */
	for (i = 0; i < r->nhdr; i++) {
		r->hdr[i].name = template_header_name(j->tmpl, i);
		r->hdr[i].value = r->hbuf.data + r->hoff[i];
	}
	if (headers_marked(j, r, rw, e) == -1) {
		row_error(j, rw, e, "column");
		return -1;
	}
	return 0;
}

static void
join_rcpts(struct job_row *r)
{
	size_t i;

	buf_reset(&r->rcpts);
	for (i = 0; i < r->msg.nrcpt; i++) {
		if (i > 0)
			buf_addc(&r->rcpts, ';');
		buf_adds(&r->rcpts, message_rcpt(&r->msg, i));
	}
}

/*
 * "stamp.nonce.row", the Message-ID's left part, unique per batch and
 * row; by hand, as snprintf() cost more than the rest of a row's
 * headers.
 */
static void
msgid_left(const struct job *j, size_t row, char out[96])
{
	static const char hex[] = "0123456789abcdef";
	char digits[24], *d = digits + sizeof(digits);
	size_t n = strlen(j->stamp), k;
	int i;

	memcpy(out, j->stamp, n);
	out[n++] = '.';
	for (i = 60; i >= 0; i -= 4)
		out[n++] = hex[(j->nonce >> i) & 0xf];
	out[n++] = '.';
	do {
		*--d = (char)('0' + row % 10);
		row /= 10;
	} while (row > 0);
	k = (size_t)(digits + sizeof(digits) - d);
	memcpy(out + n, d, k);
	out[n + k] = '\0';
}

static const struct message_header *
find_header(const struct job_row *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nhdr; i++)
		if (is_header(r->hdr[i].name, name))
			return &r->hdr[i];
	return NULL;
}

static int
render(const struct job *j, const struct roster_row *rw,
    enum template_escape esc, struct buf *out, struct err *e)
{
	return template_render_body(j->tmpl, rw->fields, rw->lens, esc, out,
	    e);
}

/* The text part, and the HTML part when Content-Type asks for one. */
static int
bodies(const struct job *j, struct job_row *r, const struct roster_row *rw,
    struct err *e)
{
	int rc = 0;

	switch (r->kind) {
	case MESSAGE_TEXT:
		return render(j, rw, TEMPLATE_RAW, &r->body, e);
	case MESSAGE_MARKDOWN:
		buf_reset(&r->src);
		if (render(j, rw, TEMPLATE_RAW, &r->body, e) == -1 ||
		    render(j, rw, TEMPLATE_HTML, &r->src, e) == -1)
			return -1;
		return markdown_html(&r->html, buf_str(&r->src), r->src.len,
		    e);
	case MESSAGE_HTML:
		if (render(j, rw, TEMPLATE_HTML, &r->html, e) == -1)
			return -1;
		rc = html_text(&r->body, buf_str(&r->html), r->html.len);
		break;
	}
	if (rc == -1)
		err_set(e, E_INPUT, NULL, "the text made from the HTML passes "
		    "its limit of %zu bytes", r->body.cap);
	return rc;
}

/* Content-Type's body kind, then the bodies; E_INPUT. */
static int
body_render(const struct job *j, struct job_row *r,
    const struct roster_row *rw, struct err *e)
{
	const struct message_header *h = find_header(r, "Content-Type");

	r->kind = MESSAGE_TEXT;
	if (h != NULL && message_body_kind(h->value, h->len, &r->kind,
	    e) == -1) {
		row_error(j, rw, e, N_("header"));
		return -1;
	}
	buf_reset(&r->body);
	buf_reset(&r->html);
	if (bodies(j, r, rw, e) == -1) {
		row_error(j, rw, e, N_("column"));
		return -1;
	}
	return 0;
}

/* Every Attachment header's file, in order; E_INPUT. */
static int
files_resolve(const struct job *j, struct job_row *r,
    const struct roster_row *rw, const struct attach_where *w,
    struct err *e)
{
	bool any = false;
	size_t i;

	for (i = 0; i < r->nhdr; i++) {
		if (!is_header(r->hdr[i].name, ATTACH_HEADER))
			continue;
		if ((!any && attach_set_values(&r->files, rw->fields,
		    rw->lens, rw->nfields, e) == -1) ||
		    attach_set_file(&r->files, w, j->tmpl, i, e) == -1) {
			row_error(j, rw, e, N_("header"));
			return -1;
		}
		any = true;
	}
	return 0;
}

/*
 * --test-to: Subject becomes "[TEST] " and the rendered one (or just
 * the prefix, trimmed, when the template has none).
 */
static int
prefix_subject(struct job_row *r, const char *prefix, struct err *e)
{
	struct message_header *h = NULL;
	size_t i;

	if (prefix == NULL)
		return 0;
	for (i = 0; i < r->nhdr && h == NULL; i++)
		if (strcasecmp(r->hdr[i].name, "Subject") == 0)
			h = &r->hdr[i];
	if (h == NULL && r->nhdr < TEMPLATE_HEADERS_MAX) {
		h = &r->hdr[r->nhdr++];
		h->name = "Subject";
		h->value = "";
		h->len = 0;
	}
	buf_reset(&r->subject);
	if (h == NULL || buf_adds(&r->subject, prefix) == -1 ||
	    buf_add(&r->subject, h->value, h->len) == -1) {
		err_set(e, E_INPUT, NULL, "the Subject is too long");
		return -1;
	}
	while (h->len == 0 && r->subject.len > 0 &&
	    r->subject.data[r->subject.len - 1] == ' ')
		r->subject.len--;
	h->value = buf_str(&r->subject);
	h->len = r->subject.len;
	return 0;
}

/*
 * Each <img src="PATH"> of the HTML part with a relative
 * PATH becomes an inline image of multipart/related, its src rewritten
 * to "cid:"; the HTML is rebuilt in r->src, then the buffers swap.
 */
static int
images_resolve(struct job_row *r, const struct attach_where *w,
    struct err *e)
{
	const char *h = buf_str(&r->html), *cid;
	size_t at = 0, va, vb, done = 0, n = r->html.len;
	int rc = 0;

	buf_reset(&r->src);
	while (rc == 0 && r->kind != MESSAGE_TEXT &&
	    html_img_next(h, n, &at, &va, &vb)) {
		if (attach_set_image(&r->files, w, h + va, vb - va, r->msgid,
		    &cid, e) == -1)
			return -1;
		rc = buf_add(&r->src, h + done, va - done) == -1 ||
		    buf_adds(&r->src, "cid:") == -1 ||
		    buf_adds(&r->src, cid) == -1 ? -1 : 0;
		done = vb;
	}
	if (rc == 0 && r->files.nimg > 0) {
		struct buf t = r->html;

		rc = buf_add(&r->src, h + done, n - done);
		r->html = r->src;
		r->src = t;
	}
	if (rc == -1)
		err_set(e, E_INPUT, NULL, "the HTML part passes its limit");
	return rc;
}

/* Render the body, find the files and fill mp for the row; E_INPUT. */
static int
row_params(const struct job *j, struct job_row *r,
    const struct roster_row *rw, const struct job_build_opts *o,
    struct message_params *mp, bool read, struct err *e)
{
	struct attach_where w = { j->dir, buf_str(&j->ttext), j->ttext.len,
	    read };

	msgid_left(j, rw->row, r->msgid);
	attach_set_reset(&r->files);
	if (body_render(j, r, rw, e) == -1 ||
	    files_resolve(j, r, rw, &w, e) == -1 ||
	    prefix_subject(r, o->subject_prefix, e) == -1)
		return -1;
	if (images_resolve(r, &w, e) == -1) {
		err_where(e, "%s", _("inline image"));
		row_error(j, rw, e, N_("body"));
		return -1;
	}
	attach_set_finish(&r->files, &w);
	memset(mp, 0, sizeof(*mp));
	mp->hdr = r->hdr;
	mp->nhdr = r->nhdr;
	mp->body = r->body.data ? r->body.data : "";
	mp->body_len = r->body.len;
	if (r->kind != MESSAGE_TEXT) {
		mp->html = buf_str(&r->html);
		mp->html_len = r->html.len;
	}
	mp->att = r->files.att;
	mp->natt = r->files.nfiles;
	mp->img = r->files.att + r->files.nfiles;
	mp->nimg = r->files.nimg;
	mp->date = o->date;
	mp->msgid_left = r->msgid;
	mp->allow_8bit = o->allow_8bit;
	mp->from_default = o->from_default;
	mp->cols = roster_cols(j->roster);
	mp->ncols = roster_ncols(j->roster);
	return 0;
}

int
job_build(const struct job *j, struct job_row *r,
    const struct roster_row *rw, const struct job_build_opts *o,
    struct err *e)
{
	struct message_params mp;

	if (row_params(j, r, rw, o, &mp, true, e) == -1)
		return -1;
	if (message_build(&r->msg, &mp, e) == -1) {
		row_error(j, rw, e, N_("header"));
		return -1;
	}
	join_rcpts(r);
	return 0;
}

/*
 * The validation pass: the row built as job_build() builds it, but for
 * the files' contents, which are counted, not read; the text is thrown
 * away.  r->msg's recipients, From and flags are set.
 */
static int
row_check(const struct job *j, struct job_row *r,
    const struct roster_row *rw, const struct job_build_opts *o,
    struct err *e)
{
	struct message_params mp;

	if (row_params(j, r, rw, o, &mp, false, e) == -1)
		return -1;
	mp.count_only = true;
	if (message_build(&r->msg, &mp, e) == -1) {
		row_error(j, rw, e, N_("header"));
		return -1;
	}
	buf_reset(&r->msg.text);
	return 0;
}

/* Pass 1 notes every recipient; dup_pass() names the rows. */
static void
note_rcpts(struct job *j, const struct job_row *r)
{
	size_t i;

	for (i = 0; i < r->msg.nrcpt; i++)
		dupes_add(&j->dupes, message_rcpt(&r->msg, i));
}

static void
warn_dups(struct job *j, const struct job_row *r, const struct roster_row *rw)
{
	struct err w;
	size_t i, first;

	for (i = 0; i < r->msg.nrcpt; i++) {
		first = dupes_first(&j->dupes, message_rcpt(&r->msg, i),
		    rw->row);
		if (first == 0)
			continue;
		err_set(&w, E_INPUT, NULL, "row %zu: %s also gets the mail of "
		    "row %zu: the same recipient twice", rw->row,
		    message_rcpt(&r->msg, i), first);
		job_where(j, rw, &w);
		warn(j, W_DUP, &w);
	}
}

/*
 * Only when pass 1 found an address on two rows: read the rows again,
 * up to their recipients, to say which rows (see dupes.h).  Rows with
 * errors were reported already and are passed over.
 */
static int
dup_pass(struct job *j, struct err *e)
{
	struct job_build_opts o = { j->now, true, NULL, NULL };
	struct job_row r;
	struct roster_row rw;
	struct err re;
	size_t rows = 0;
	int n = 1;

	if (roster_rewind(j->roster, e) == -1)
		return -1;
	job_row_init(&r);
	while (n != 0 && (j->p->limit == 0 || rows < j->p->limit)) {
		n = roster_next(j->roster, &rw, e);
		if (n == -1)
			break;
		if (n != 0)
			rows++;
		if (n == 1 && job_headers(j, &r, &rw, &re) == 0 &&
		    row_check(j, &r, &rw, &o, &re) == 0)
			warn_dups(j, &r, &rw);
	}
	job_row_fini(&r);
	return n == -1 ? -1 : 0;
}

/* A non-ASCII local part: the row needs a server with SMTPUTF8. */
static void
check_utf8(struct job *j, const struct job_row *r,
    const struct roster_row *rw)
{
	struct err w;

	if (!r->msg.utf8_addr)
		return;
	err_set(&w, E_INPUT, NULL, "row %zu: an address has a non-ASCII "
	    "local part: it needs a server that offers SMTPUTF8 (RFC 6531; "
	    "Gmail does, Naver does not), else send stops before its first "
	    "row", rw->row);
	job_where(j, rw, &w);
	warn(j, W_UTF8, &w);
}

/* Fields used in a header or the text (outside a section) but empty. */
static void
check_empty(struct job *j, const struct roster_row *rw)
{
	const char *const *cols = roster_cols(j->roster);
	struct err w;
	unsigned use;
	size_t i;

	for (i = 0; i < rw->nfields; i++) {
		use = template_use(j->tmpl, i);
		if (rw->lens[i] != 0 || (use & TEMPLATE_USE_SECTION) ||
		    !(use & (TEMPLATE_USE_HEADER | TEMPLATE_USE_TEXT)))
			continue;
		err_set(&w, E_INPUT, NULL, "row %zu: '%s' is empty but the "
		    "template uses it in %s", rw->row, cols[i],
		    (use & TEMPLATE_USE_HEADER) ? _("a header") :
		    _("the text"));
		job_where(j, rw, &w);
		warn(j, W_EMPTY, &w);
	}
}

static void
summarize_warnings(struct job *j)
{
	static const char *const what[W_KINDS] = { N_("empty fields"),
	    N_("duplicate recipients"), N_("unused columns"),
	    N_("rows needing SMTPUTF8") };
	struct err w;
	size_t k;

	for (k = 0; k < W_KINDS; k++) {
		if (j->warned[k] <= JOB_WARNINGS_MAX)
			continue;
		err_set(&w, E_INPUT, j->p->roster, "%zu more warnings of "
		    "%s not shown", j->warned[k] - JOB_WARNINGS_MAX,
		    _(what[k]));
		job_diag(j, JOB_WARNING, &w);
	}
}

static int
check_row(struct job *j, struct job_row *r, const struct roster_row *rw,
    const struct job_checks *c, struct err *e)
{
	struct job_build_opts o = { j->now, true, NULL, NULL };

	if (job_headers(j, r, rw, e) == -1)
		return -1;
	if (c != NULL && c->route != NULL &&
	    c->route(c->arg, r, rw, &o, e) == -1)
		return -1;
	if (row_check(j, r, rw, &o, e) == -1)
		return -1;
	if (c != NULL && c->after != NULL && c->after(c->arg, r, rw, e) == -1)
		return -1;
	j->nrcpt += r->msg.nrcpt;
	note_rcpts(j, r);
	check_utf8(j, r, rw);
	check_empty(j, rw);
	return 0;
}

/* --skip-invalid: remember row and why, in row order. */
static void
bad_add(struct job *j, size_t row, const struct err *e)
{
	char why[ERR_WHERE_MAX + ERR_MSG_MAX + 2];

	if (j->nbad == j->sizebad) {
		j->sizebad = j->sizebad ? j->sizebad * 2 : 16;
		j->bad = xreallocarray(j->bad, j->sizebad, sizeof(*j->bad));
	}
	snprintf(why, sizeof(why), "%s%s%s", e->where, e->where[0] ? ": " :
	    "", e->msg);
	j->bad[j->nbad].row = row;
	j->bad[j->nbad].why = xstrdup(why);
	j->nbad++;
}

static void
row_failed(struct job *j, size_t row, const struct err *e)
{
	if (j->p->skip_invalid)
		bad_add(j, row, e);
	if (j->errors++ < JOB_ERRORS_MAX)
		job_diag(j, j->p->skip_invalid ? JOB_WARNING : JOB_ERROR,
		    e);
}

const char *
job_skipped(const struct job *j, size_t row)
{
	size_t lo = 0, hi = j->nbad, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (j->bad[mid].row == row)
			return j->bad[mid].why;
		if (j->bad[mid].row < row)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The end of the pass: errors stop the batch, unless skipped. */
static int
validate_end(struct job *j, struct err *e)
{
	struct err w;
	char some[64];

	if (j->errors == 0)
		return roster_rewind(j->roster, e);
	/* "3 of 10 rows": the count of rows picks the noun's form. */
	snprintf(some, sizeof(some), P_("%zu of %zu row", "%zu of %zu rows",
	    j->rows), j->errors, j->rows);
	if (j->p->skip_invalid) {
		err_set(&w, E_INPUT, j->p->roster, P_("%s has errors and will "
		    "be skipped (--skip-invalid)", "%s have errors and will be "
		    "skipped (--skip-invalid)", j->errors), some);
		job_diag(j, JOB_WARNING, &w);
	} else {
		err_set(e, E_INPUT, j->p->roster, P_("%s has errors%s; nothing "
		    "was written or sent: fix it and run again (or pass "
		    "--skip-invalid to leave it out)", "%s have errors%s; "
		    "nothing was written or sent: fix them and run again (or "
		    "pass --skip-invalid to leave them out)", j->errors), some,
		    j->errors > JOB_ERRORS_MAX ?
		    _(" (the first ones are shown)") : "");
		return -1;
	}
	return roster_rewind(j->roster, e);
}

int
job_validate(struct job *j, const struct job_checks *c, struct err *e)
{
	struct job_row r;
	struct roster_row rw;
	struct err re;
	int n = 1;

	job_row_init(&r);
	while (n != 0 && (j->p->limit == 0 || j->rows < j->p->limit)) {
		n = roster_next(j->roster, &rw, e);
		if (n == -1)
			break;
		if (n == -2) {
			j->rows++;
			row_failed(j, rw.row, e);
		} else if (n == 1) {
			j->rows++;
			if (check_row(j, &r, &rw, c, &re) == -1)
				row_failed(j, rw.row, &re);
		}
	}
	job_row_fini(&r);
	if (n == -1)
		return -1;
	if (dupes_seal(&j->dupes) > 0 && dup_pass(j, e) == -1)
		return -1;
	summarize_warnings(j);
	return validate_end(j, e);
}
