/*
 * The report read back for a resume.  A row whose latest line is sent,
 * partial, bounced or unknown is never sent again; each row's
 * fingerprint (row_sha256) tells a roster with rows appended from one
 * with a row changed.  Row numbers index plain arrays: one octet of
 * state and one of attempts per row, eight of fingerprint per row the
 * report has.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resume.h"
#include "xalloc.h"

#define ATTEMPTS_MAX	200	/* tries remembered per row */

void
resume_fini(struct resume *rs)
{
	free(rs->state);
	free(rs->attempts);
	free(rs->fp);
	memset(rs, 0, sizeof(*rs));
}

void
resume_fit(struct resume *rs, size_t row)
{
	size_t n = rs->nstate ? rs->nstate : 256;

	if (row < rs->nstate)
		return;
	while (n <= row)
		n *= 2;
	rs->state = xrealloc(rs->state, n);
	rs->attempts = xrealloc(rs->attempts, n);
	memset(rs->state + rs->nstate, 0, n - rs->nstate);
	memset(rs->attempts + rs->nstate, 0, n - rs->nstate);
	rs->nstate = n;
}

/* Room for row's fingerprint: only the rows an earlier report has. */
static void
fp_grow(struct resume *rs, size_t row)
{
	size_t n = rs->nfp ? rs->nfp : 256;

	if (row < rs->nfp)
		return;
	while (n <= row)
		n *= 2;
	rs->fp = xreallocarray(rs->fp, n, sizeof(*rs->fp));
	memset(rs->fp + rs->nfp, 0, (n - rs->nfp) * sizeof(*rs->fp));
	rs->nfp = n;
}

enum resume_state
resume_row(const struct resume *rs, size_t row)
{
	return row < rs->nstate ? (enum resume_state)rs->state[row] :
	    RESUME_TODO;
}

/* The first 16 hex digits of a fingerprint as a number; 0 if none. */
static uint64_t
fp_value(const char *hex)
{
	uint64_t v = 0;
	int i, d;

	for (i = 0; i < 16; i++) {
		d = hex[i] >= '0' && hex[i] <= '9' ? hex[i] - '0' :
		    hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 'a' + 10 : -1;
		if (d < 0)
			return 0;
		v = v << 4 | (uint64_t)d;
	}
	return v | 1;	/* never 0 */
}

static int
note_line(void *arg, const struct report_line *l)
{
	struct resume *rs = arg;

	resume_fit(rs, l->e.row);
	fp_grow(rs, l->e.row);
	if (l->e.row > rs->max_row) {
		rs->max_row = l->e.row;
		rs->max_row_line = l->line;
	}
	rs->fp[l->e.row] = fp_value(l->e.row_sha256);
	if (rs->fp[l->e.row] == 0)
		rs->fp_missing++;
	/*
	 * A partial row reached some recipients: never resend it.  Nor a
	 * bounced one: the server took it; fix the address and mail that
	 * student through report --failed-csv.
	 */
	if (l->e.status == REPORT_SENT || l->e.status == REPORT_PARTIAL ||
	    l->e.status == REPORT_BOUNCED)
		rs->state[l->e.row] = RESUME_SENT;
	else if (l->e.status == REPORT_UNKNOWN)
		rs->state[l->e.row] = RESUME_UNKNOWN;
	else
		rs->state[l->e.row] = RESUME_TODO;
	rs->attempts[l->e.row] = (unsigned char)(l->e.attempts >
	    ATTEMPTS_MAX ? ATTEMPTS_MAX : l->e.attempts);
	return 0;
}

/* The report must come from this roster and template, unchanged. */
static int
check_meta(void *arg, const struct report_line *l)
{
	struct resume *rs = arg;
	struct err *e = &rs->meta_err;
	const char *sheet = rs->want->roster_sheet;

	/* A roster with rows appended: judged row by row after validation. */
	if (strcmp(l->meta.roster_sha256, rs->want->roster_sha256) != 0)
		rs->roster_changed = true;
	if (strcmp(l->meta.roster_sheet, sheet ? sheet : "") != 0) {
		err_set(e, E_INPUT, NULL, "the report was made from sheet "
		    "'%s' of %s, this run reads sheet '%s': resume with "
		    "--sheet '%s'", l->meta.roster_sheet, l->meta.roster,
		    sheet ? sheet : "", l->meta.roster_sheet);
		return -1;
	}
	if (strcmp(l->meta.template_sha256, rs->want->template_sha256) != 0) {
		err_set(e, E_INPUT, NULL, "the template changed since the "
		    "report was written (it was made from %s): resume only "
		    "with the same template, or start a new report",
		    l->meta.template);
		return -1;
	}
	return 0;
}

int
resume_load(struct resume *rs, const char *path,
    const struct report_meta *want, size_t *cut, struct err *e)
{
	err_clear(&rs->meta_err);
	if (report_repair(path, cut, e) == -1)
		return -1;
	/* Format 1: rewritten in today's columns before lines are added. */
	if (report_is_old(path) && report_compact(path, e) == -1)
		return -1;
	rs->want = want;
	if (report_latest(path, check_meta, note_line, rs, e) == -1) {
		if (rs->meta_err.kind != E_NONE) {
			*e = rs->meta_err;
			err_where(e, "%s", path);
		}
		return -1;
	}
	return 0;
}

void
resume_fingerprint(const struct roster *ros, const struct roster_row *rw,
    char out[CODEC_SHA256_HEX])
{
	const char *const *cols = roster_cols(ros);
	struct codec_sha256 h;
	uint64_t n;
	size_t i;

	codec_sha256_init(&h);
	for (i = 0; i < roster_ncols(ros); i++)
		codec_sha256_update(&h, cols[i], strlen(cols[i]) + 1);
	for (i = 0; i < rw->nfields; i++) {
		n = rw->lens[i];
		codec_sha256_update(&h, &n, sizeof(n));
		codec_sha256_update(&h, rw->fields[i], rw->lens[i]);
	}
	codec_sha256_hex(&h, out);
}

void
resume_compare(struct resume *rs, const struct roster *ros,
    const struct roster_row *rw)
{
	char fp[CODEC_SHA256_HEX];

	if (!rs->roster_changed || rw->row >= rs->nfp || rs->fp[rw->row] == 0)
		return;
	resume_fingerprint(ros, rw, fp);
	if (fp_value(fp) != rs->fp[rw->row] &&
	    (rs->fp_changed == 0 || rw->row < rs->fp_changed))
		rs->fp_changed = rw->row;
}

int
resume_check_rows(const struct resume *rs, size_t rows, size_t limit,
    const char *report, const char *roster, struct err *e)
{
	/* With -n the rows past N were not read: only a changed roster
	 * needs them all. */
	if (rs->max_row > rows && (limit == 0 || rs->roster_changed)) {
		if (limit != 0)
			err_set(e, E_USAGE, NULL, "row %zu is beyond the %zu "
			    "rows -n reads, and the roster changed: a resume "
			    "must check every row the report has; drop -n",
			    rs->max_row, rows);
		else
			err_set(e, E_INPUT, NULL, "row %zu is beyond the "
			    "roster's %zu rows: the report is damaged or from "
			    "another roster", rs->max_row, rows);
		err_where(e, "%s:%zu", report, rs->max_row_line);
		return -1;
	}
	if (!rs->roster_changed)
		return 0;
	if (rs->fp_changed > 0)
		err_set(e, E_INPUT, roster, "the roster changed since the "
		    "report was written: row %zu is not what it was; resume "
		    "only with the same roster (rows may be added at the "
		    "end), or start a new report", rs->fp_changed);
	else if (rs->fp_missing > 0)
		err_set(e, E_INPUT, roster, "the roster changed since the "
		    "report was written, and the report (format 1) has no "
		    "row fingerprints to tell which rows: resume only with "
		    "the same roster, or start a new report");
	else
		return 0;
	return -1;
}

void
resume_count(const struct resume *rs, size_t rows, size_t *sent,
    size_t *unknown)
{
	size_t i;

	*sent = *unknown = 0;
	for (i = 1; i <= rows && i < rs->nstate; i++) {
		if (rs->state[i] == RESUME_UNKNOWN)
			(*unknown)++;
		else if (rs->state[i] == RESUME_SENT)
			(*sent)++;
	}
}

struct fresh {
	size_t	lines, sent;
};

static int
count_line(void *arg, const struct report_line *l)
{
	struct fresh *f = arg;

	f->lines++;
	if (l->e.status == REPORT_SENT)
		f->sent++;
	return 0;
}

/*
 * Not even a report that cannot be read (a torn last line, a
 * spreadsheet's rewrite) is overwritten: sending again would mail every
 * student a second time.
 */
int
resume_check_fresh(const char *path, struct err *e)
{
	struct fresh f = { 0, 0 };
	struct stat st;
	struct err why;

	if (lstat(path, &st) == -1 || (S_ISREG(st.st_mode) &&
	    st.st_size == 0))
		return 0;
	if (!S_ISREG(st.st_mode)) {
		err_set(e, E_USAGE, path, "is not a regular file (a symbolic "
		    "link, a folder, a FIFO or a device): a report must be "
		    "one; name another with -r");
		return -1;
	}
	if (report_read(path, count_line, &f, &why) == -1) {
		err_set(e, E_USAGE, path, "exists and is not an empty report, "
		    "so it is never overwritten; it cannot be read as one "
		    "(%.40s: %.200s): resume with --resume (see the note), "
		    "or name a new report with -r", why.where, why.msg);
		return -2;
	}
	/* A header alone holds nothing; an old one would not fit our lines. */
	if (f.lines == 0 && report_is_old(path) && truncate(path, 0) == -1) {
		err_set(e, E_OS, path, "cannot write the report: %s",
		    strerror(errno));
		return -1;
	}
	if (f.lines == 0)
		return 0;
	err_set(e, E_USAGE, path, "holds the outcome of %zu lines of an "
	    "earlier run (%zu sent), so it is never overwritten: pass "
	    "--resume to continue that run (see the note), or name a new "
	    "report with -r", f.lines, f.sent);
	return -2;
}
