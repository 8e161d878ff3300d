/* The report's summary as one HTML page, written whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "i18n.h"
#include "report.h"
#include "review.h"
#include "review_impl.h"
#include "utf8.h"

static const char *const status_colour[NSTATUS] = {
	[REPORT_PREVIEWED] = "#1565c0", [REPORT_SENT] = "#2e7d32",
	[REPORT_FAILED] = "#c62828", [REPORT_DEFERRED] = "#ef6c00",
	[REPORT_UNKNOWN] = "#6a1b9a", [REPORT_SKIPPED] = "#757575",
	[REPORT_PARTIAL] = "#ef6c00",
	[REPORT_BOUNCED] = "#ad1457",
};

/* ---- HTML -------------------------------------------------------- */

/* Text for HTML: markup characters escaped, controls and bad bytes as
 * U+FFFD. */
static void
put_html(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + strlen(s);
	const char *ent;
	size_t k;

	while (p < end) {
		k = utf8_len(p, (size_t)(end - p));
		if (k == 0 || (*p < 0x20 && *p != '\t' && *p != '\n') ||
		    *p == 0x7f)
			fputs("\xef\xbf\xbd", f);
		else if ((ent = html_entity(*p)) != NULL)
			fputs(ent, f);
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
	fprintf(f, P_("</code>, %zu row; ", "</code>, %zu rows; ", rv->nrows),
	    rv->nrows);
	fputs(rv->npaths > 1 ? _("reports (the latest line of each row "
	    "wins): ") : _("report "), f);
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
		x = rv_explain(t->code, t->a);
		rv_code_text(t, code, sizeof(code));
		fprintf(f, "<tr><td class=\"c\">%s</td>", code);
		fprintf(f, "<td class=\"n\">%zu</td>", t->total);
		html_cell(f, _(x->meaning));
		html_cell(f, _(rv_todo(t)));
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
	fputs(_("<table>\n<tr><th>Row</th><th>Recipient</th><th>Name</th>"
	    "<th>Account</th><th>Status</th><th>Reply</th></tr>\n"), f);
	for (i = 0; i < rv->nrows; i++) {
		x = &rv->rows[i].x;
		if (x->status == REPORT_SENT || x->status == REPORT_PREVIEWED)
			continue;
		fprintf(f, "<tr><td class=\"n\">%zu</td>", x->row);
		html_cell(f, x->recipients);
		html_cell(f, rv->rows[i].name != NULL ? rv->rows[i].name : "");
		html_cell(f, x->account);
		html_cell(f, report_status_name(x->status));
		rv_reply_text(x, reply, sizeof(reply));
		html_cell(f, reply);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* Rows never tried, and the command that sends what remains. */
static void
html_remaining(const struct review *rv, FILE *f)
{
	struct buf b;

	if (rv->counted && rv->sent_any)
		fprintf(f, _("<h2>Not tried (%zu)</h2>\n<p>Roster rows no "
		    "report mentions (the run was interrupted or limited with "
		    "-n): %zu of %zu.</p>\n"), rv->untried, rv->untried,
		    rv->roster_rows);
	buf_init(&b, RV_CMD_MAX);
	if (rv_continue(rv, &b) != NULL) {
		fputs(_("<p>To send the rest (add -c CONFIG if the run used "
		    "one):</p>\n<pre>"), f);
		put_html(f, buf_str(&b));
		fputs("</pre>\n", f);
	}
	buf_fini(&b);
}

int
review_write_html(const struct review *rv, const char *path,
    struct err *e)
{
	char tmp[PATH_TMP_MAX];
	FILE *f;

	f = report_tmp_open(path, tmp, sizeof(tmp), e);
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
	return report_tmp_close(f, tmp, path, true, e);
}
