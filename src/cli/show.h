#ifndef SHOW_H
#define SHOW_H

#include "job.h"
#include "preview.h"
#include "roster.h"
#include "send.h"

/*
 * What preview and send tell on stdout, from the data they hand over:
 * the first message, send's plan and summary, preview's closing line.
 * Roster text is escaped for the terminal.
 */

/* The first message as a person reads it (job_params.show). */
void	show_row(void *arg, const struct job *j, const struct job_row *r,
	    const struct roster_row *rw);

/* The plan, its warnings again right above the question (.plan). */
void	show_plan(void *arg, const struct send_plan *pl);

/*
 * The rows the report has as unknown, then the counts and the command
 * that continues (.summary).
 */
void	show_summary(void *arg, const struct send_summary *sm);

/* What preview wrote, and where. */
void	show_preview(const struct job_params *p,
	    const struct preview_result *res);

#endif /* SHOW_H */
