/*
 * mailmerge preview: validate every row (job.c), then write each
 * message into the outbox and a report line per row.  Nothing is
 * written before the validation pass succeeded.
 * With -c CONFIG, preview routes each row as send would, to take the
 * account's From when the template has none; with --skip-invalid, the
 * rows the pass refused get a `skipped` report line with the reason.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "job.h"
#include "outbox.h"
#include "preview.h"
#include "report.h"
#include "route.h"

static int
width_for(size_t rows)
{
	int w = 1;

	while (rows >= 10) {
		rows /= 10;
		w++;
	}
	return w < 4 ? 4 : w;
}

static int
preview_row(struct job *j, struct job_row *r, struct outbox *ob,
    struct report *rep, const struct roster_row *rw,
    struct route *rt, struct err *e)
{
	struct job_build_opts o = { j->now, true, NULL, NULL };
	struct report_entry x;

	if (job_headers(j, r, rw, e) == -1 ||
	    route_check(rt, r, rw, &o, e) == -1 ||
	    job_build(j, r, rw, &o, e) == -1)
		return -1;
	if (outbox_put(ob, rw->row, message_rcpt(&r->msg, 0), r->msg.from,
	    j->now, r->msg.text.data, r->msg.text.len, e) == -1)
		return -1;
	memset(&x, 0, sizeof(x));
	x.row = rw->row;
	x.recipients = buf_str(&r->rcpts);
	x.status = REPORT_PREVIEWED;
	x.message_id = r->msg.msgid;
	x.time = j->now;
	return report_append(rep, &x, e);
}

static int
preview_pass(struct job *j, struct outbox *ob, struct report *rep,
    struct route *rt, struct err *e)
{
	struct job_row r;
	struct roster_row rw;
	const char *why;
	size_t seen = 0, done = 0;
	int n = 1, rc = 0;

	job_row_init(&r);
	while (rc == 0 && seen < j->rows) {
		n = roster_next(j->roster, &rw, e);
		if (n == -2 || (n == 1 && job_skipped(j, rw.row) != NULL)) {
			seen++;
			why = job_skipped(j, rw.row);
			rc = report_skipped(rep, rw.row, why ? why : e->msg,
			    j->now, e);
			continue;
		}
		if (n != 1) {
			rc = n == 0 ? 0 : -1;
			break;
		}
		seen++;
		rc = preview_row(j, &r, ob, rep, &rw, rt, e);
		if (rc == 0 && done++ == 0 && j->p->show != NULL)
			j->p->show(j->p->ui_arg, j, &r, &rw);
	}
	job_row_fini(&r);
	return rc;
}

static int
open_outputs(struct job *j, struct outbox **ob, struct report **rep,
    struct err *e)
{
	const struct job_params *p = j->p;
	struct report_meta meta = { j->roster_abs, j->roster_sum,
	    j->template_abs, j->template_sum, roster_sheet(j->roster) };
	char path[4096];

	if (outbox_open(ob, p->outdir, p->mbox, width_for(j->rows), e) == -1)
		return -1;
	if ((size_t)snprintf(path, sizeof(path), "%s/report.csv",
	    p->outdir) >= sizeof(path)) {
		err_set(e, E_OS, p->outdir, "folder name too long");
		return -1;
	}
	return report_open(rep, path, &meta, false, false, e);
}

int
preview_batch(const struct job_params *p, struct preview_result *res,
    struct err *e)
{
	struct job j;
	struct config *cfg = NULL;
	struct route rt;
	struct job_checks c = { route_check, NULL, &rt };
	struct outbox *ob = NULL;
	struct report *rep = NULL;
	int rc = -1;

	job_init(&j, p);
	if (job_open(&j, e) == -1 || (p->config != NULL &&
	    config_load(&cfg, p->config, e) == -1))
		goto out;
	route_init(&rt, cfg, &j);
	if (job_validate(&j, &c, e) == -1 ||
	    open_outputs(&j, &ob, &rep, e) == -1 ||
	    preview_pass(&j, ob, rep, &rt, e) == -1)
		goto out;
	rc = 0;
out:
	if (outbox_close(ob, rc == 0 ? e : NULL) == -1)
		rc = -1;
	if (report_close(rep, rc == 0 ? e : NULL) == -1)
		rc = -1;
	res->rows = j.rows - j.nbad;
	res->recipients = j.nrcpt;
	res->invalid = j.nbad;
	config_free(cfg);
	job_fini(&j);
	return rc;
}
