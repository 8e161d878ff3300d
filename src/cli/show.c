/*
 * The prose of preview and send: the runner hands over the plan, the
 * summary and the first message as data (src/run/send.h), and this file
 * words them.  Everything here goes to stdout; roster fields and server
 * replies pass through term_puts() first.
 */
#include <stdio.h>

#include "i18n.h"
#include "report.h"
#include "show.h"
#include "term.h"

#define UNKNOWN_LISTED	50	/* unknown rows named after a send */

void
show_row(void *arg, const struct job *j, const struct job_row *r,
    const struct roster_row *rw)
{
	(void)arg;
	job_show(stdout, j, r, rw);
}

static void
fmt_duration(double sec, char *out, size_t size)
{
	unsigned long t = (unsigned long)(sec + 0.5);

	if (t >= 3600)
		snprintf(out, size, _("%luh%02lum"), t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(out, size, _("%lum%02lus"), t / 60, t % 60);
	else
		snprintf(out, size, _("%lus"), t);
}

/* One account's line of the plan; the seconds its mails take. */
static double
plan_account(const struct send_account_plan *a)
{
	double sec;
	char dur[32];

	sec = a->rate_n ? (double)a->mails * a->rate_ms / a->rate_n / 1000.0 :
	    0;
	fmt_duration(sec, dur, sizeof(dur));
	printf(P_("  [%s] %zu mail via %s:%s (%s) as %s, ",
	    "  [%s] %zu mails via %s:%s (%s) as %s, ", a->mails), a->a->name,
	    a->mails, a->a->host, a->a->port, a->a->prov->name,
	    a->a->from_addr);
	if (a->rate_n)
		printf(_("%u per %u s: about %s\n"), a->rate_n,
		    a->rate_ms / 1000, dur);
	else
		fputs(_("no rate limit\n"), stdout);
	return sec;
}

/* The warnings again, so they are on screen when the user answers. */
static void
plan_warnings(const struct send_plan *pl)
{
	size_t i;

	for (i = 0; i < pl->nwarn; i++) {
		const struct err *w = &pl->warn[i];

		/* They may quote roster fields: escaped for the terminal. */
		fputs(_("  warning: "), stdout);
		term_puts(stdout, w->where, false);
		fputs(w->where[0] != '\0' ? ": " : "", stdout);
		term_puts(stdout, w->msg, false);
		fputc('\n', stdout);
	}
}

static void
plan_head(const struct send_plan *pl)
{
	char mails[64], rows[64];

	snprintf(rows, sizeof(rows), P_("%zu row", "%zu rows", pl->rows),
	    pl->rows);
	if (pl->test_to != NULL) {
		snprintf(mails, sizeof(mails), P_("%zu TEST mail, the message",
		    "%zu TEST mails, the messages", pl->total), pl->total);
		printf(_("About to send %s of the first %s, only to <%s> "
		    "(Subject prefixed %s; no student gets anything, no report "
		    "is written):\n"), mails, rows, pl->test_to,
		    SEND_TEST_PREFIX);
	} else {
		snprintf(mails, sizeof(mails), P_("%zu mail", "%zu mails",
		    pl->total), pl->total);
		printf(_("About to send %s (%s%s):\n"), mails, rows,
		    pl->resume ? _(", resuming") : "");
	}
	if (pl->invalid > 0)
		printf(P_("  %zu row with errors will be skipped "
		    "(--skip-invalid) and recorded as skipped\n",
		    "  %zu rows with errors will be skipped "
		    "(--skip-invalid) and recorded as skipped\n", pl->invalid),
		    pl->invalid);
}

void
show_plan(void *arg, const struct send_plan *pl)
{
	double sec, longest = 0;
	char dur[32];
	size_t i;

	(void)arg;
	plan_head(pl);
	for (i = 0; i < pl->nacct; i++) {
		sec = plan_account(&pl->acct[i]);
		if (sec > longest)
			longest = sec;
	}
	fmt_duration(longest, dur, sizeof(dur));
	printf(_("  estimated duration: %s; report: %s\n"), dur, pl->report);
	plan_warnings(pl);
	fflush(stdout);
}

/* Rows whose fate is unknown, for the user to decide. */
static int
list_unknown(void *arg, const struct report_line *l)
{
	size_t *listed = arg;

	if (l->e.status != REPORT_UNKNOWN || (*listed)++ >= UNKNOWN_LISTED)
		return 0;
	/* Recipients come from the roster: escaped for the terminal. */
	printf(_("  row %zu "), l->e.row);
	term_puts(stdout, l->e.recipients, false);
	fputs(": ", stdout);
	term_puts(stdout, l->e.reply, false);
	fputc('\n', stdout);
	return 0;
}

/* --test-to: no report; the outcome said plainly. */
static void
summary_test(const struct send_summary *sm)
{
	printf(P_("test: %zu of %zu mail accepted for <%s>; no report was "
	    "written and nothing counts as sent\n", "test: %zu of %zu mails "
	    "accepted for <%s>; no report was written and nothing counts as "
	    "sent\n", sm->total), sm->sent, sm->total, sm->test_to);
}

void
show_summary(void *arg, const struct send_summary *sm)
{
	struct err ignored;
	size_t listed = 0;

	(void)arg;
	if (sm->test_to != NULL) {
		summary_test(sm);
		return;
	}
	report_read(sm->report, list_unknown, &listed, &ignored);
	if (listed > 0)
		fputs(_("the rows above may or may not have been delivered "
		    "(no reply after the end of the message): check the Sent "
		    "folder; resume never resends them\n"), stdout);
	printf(_("sent %zu, failed %zu, "), sm->sent, sm->failed);
	if (sm->partial > 0)
		printf(_("partly sent %zu, "), sm->partial);
	printf(_("deferred or skipped %zu, not attempted %zu, unknown %zu"),
	    sm->later, sm->untried, sm->unknown);
	if (sm->earlier > 0)
		printf(_(" (and %zu sent by earlier runs)"), sm->earlier);
	if (sm->invalid > 0)
		printf(_(", skipped as invalid %zu"), sm->invalid);
	printf(_("; report %s\n"), sm->report);
	if (sm->resume_cmd != NULL)
		printf(_("to resume: %s\n"), sm->resume_cmd);
}

void
show_preview(const struct job_params *p, const struct preview_result *res)
{
	char rows[64], rcpts[64];

	snprintf(rows, sizeof(rows), P_("%zu row", "%zu rows", res->rows),
	    res->rows);
	snprintf(rcpts, sizeof(rcpts), P_("%zu recipient", "%zu recipients",
	    res->recipients), res->recipients);
	printf(_("previewed %s, %s"), rows, rcpts);
	if (res->invalid > 0)
		printf(P_("; %zu row skipped as invalid",
		    "; %zu rows skipped as invalid", res->invalid),
		    res->invalid);
	printf(_(": %s (%s), report %s/report.csv\n"),
	    p->mbox ? p->mbox : p->outdir, p->mbox ? "mbox" : _(".eml files"),
	    p->outdir);
}
