/*
 * The report's summary for a terminal.  Columns are measured in display
 * cells with wcwidth() under a C.UTF-8 locale object, whatever the
 * user's locale, so that Korean names (two cells a syllable) keep tables
 * aligned; text from a report never reaches the terminal unescaped.
 */
#define _XOPEN_SOURCE 700	/* wcwidth() */

#include <limits.h>
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "i18n.h"
#include "report.h"
#include "review.h"
#include "review_impl.h"
#include "xalloc.h"

#define TABLE_COLS_MAX	10

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
	struct table t = { cols, nitems(cols), rv->nacct, account_cell, NULL,
	    rv };

	fputs(_("\nBy account:\n"), f);
	print_table(f, &t);
}

static const char *
code_cell(const void *arg, size_t r, size_t c, char tmp[CELL_TMP])
{
	const struct tally *t = &((const struct review *)arg)->codes[r];
	const struct explain *x = rv_explain(t->code, t->a);

	if (c == 0)
		rv_code_text(t, tmp, CELL_TMP);
	else if (c == 1)
		snprintf(tmp, CELL_TMP, "%zu", t->total);
	else
		return _(x->meaning);
	return tmp;
}

static const char *
code_note(const void *arg, size_t r)
{
	return _(rv_todo(&((const struct review *)arg)->codes[r]));
}

static void
print_codes(const struct review *rv, FILE *f)
{
	static const struct column cols[] = { { N_("CODE"), 24, false },
	    { N_("ROWS"), 12, true }, { N_("MEANING / WHAT TO DO"), SIZE_MAX,
	    false } };
	struct table t = { cols, nitems(cols), rv->ncodes, code_cell,
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
		return bl->rv->rows[bl->idx[r]].name != NULL ?
		    bl->rv->rows[bl->idx[r]].name : "-";
	case 3:
		return x->account[0] != '\0' ? x->account : "-";
	case 4:
		return report_status_name(x->status);
	default:
		rv_reply_text(x, tmp, CELL_TMP);
		return tmp;
	}
}

static void
print_bad(const struct review *rv, FILE *f)
{
	static const struct column cols[] = { { N_("ROW"), 20, true },
	    { N_("RECIPIENT"), REVIEW_RECIPIENT_COLS, false },
	    { N_("NAME"), REVIEW_NAME_COLS, false },
	    { N_("ACCOUNT"), REVIEW_ACCOUNT_COLS, false }, { N_("STATUS"), 12,
	    false }, { N_("REPLY"), REVIEW_REPLY_COLS, false } };
	struct badlist bl = { rv, bad_rows(rv) };
	struct table t = { cols, nitems(cols), rv->nbad, bad_cell, NULL,
	    &bl };

	fprintf(f, P_("\nNot delivered (%zu row):\n",
	    "\nNot delivered (%zu rows):\n", rv->nbad), rv->nbad);
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
		fprintf(f, P_(" (%zu row)", " (%zu rows)", rv->roster_rows),
		    rv->roster_rows);
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
	struct buf b;

	if (rv->nbad > 0)
		print_bad(rv, f);
	else if (rv->nrows == 0)
		fputs(_("\nThe reports have no rows yet.\n"), f);
	else if (rv->count[REPORT_SENT] == 0)
		fputs(_("\nA preview: nothing was sent.\n"), f);
	else if (rv->counted && rv->untried > 0)
		fprintf(f, P_("\nNot sent yet: %zu row of the roster never "
		    "tried.\n", "\nNot sent yet: %zu rows of the roster never "
		    "tried.\n", rv->untried), rv->untried);
	else if (rv->counted)
		fputs(_("\nEvery row was accepted by the server (accepted is "
		    "not delivered: bounces come\nlater by mail; 'mailmerge "
		    "bounces' reads them into the report).\n"), f);
	else
		fputs(_("\nEvery row in the reports was accepted by the "
		    "server; whether the roster has more\nrows could not be "
		    "checked.\n"), f);
	buf_init(&b, RV_CMD_MAX);
	if (rv_continue(rv, &b) != NULL)
		fprintf(f, "%s%s\n", _("\nTo send the rest (add -c CONFIG if "
		    "the run used one):\n  "), buf_str(&b));
	buf_fini(&b);
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
	return rv_finish(f, N_("the summary"), e);
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
	return rv_finish(f, N_("the warning"), e);
}
