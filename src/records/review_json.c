/* The report's summary as JSON (RFC 8259), for scripts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "report.h"
#include "review.h"
#include "review_impl.h"
#include "utf8.h"

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
		x = rv_explain(t->code, t->a);
		fputs(i > 0 ? ",\n  " : "\n  ", f);
		if (t->code != 0)
			fprintf(f, "{\"smtp_code\": %d", t->code);
		else
			fputs("{\"smtp_code\": null", f);
		fputs(", \"enhanced_code\": ", f);
		put_json(f, t->a);
		fprintf(f, ", \"rows\": %zu, \"meaning\": ", t->total);
		put_json(f, x->meaning);
		fputs(", \"provider\": ", f);
		put_json(f, t->b);
		fputs(", \"todo\": ", f);
		put_json(f, rv_todo(t));
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
	if (en->name != NULL)
		json_field(f, "name", en->name);
	else
		fputs(", \"name\": null", f);
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
	struct buf b;

	buf_init(&b, RV_CMD_MAX);
	if (rv_continue(rv, &b) != NULL)
		put_json(f, buf_str(&b));
	else
		fputs("null", f);
	buf_fini(&b);
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
	return rv_finish(f, N_("the summary"), e);
}
