/*
 * The runner's verbs.  preview: validate every row (job.c), then write
 * each message into the outbox and a report line per row.  send: see
 * send.c.  Nothing is written before the validation pass succeeded.
 */
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "job.h"
#include "outbox.h"
#include "report.h"

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
    struct report *rep, const struct roster_row *rw, struct err *e)
{
	struct job_build_opts o = { j->now, true, NULL };
	struct report_entry x;

	if (job_headers(j, r, rw, e) == -1 || job_build(j, r, rw, &o, e) == -1)
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
    struct err *e)
{
	struct job_row r;
	struct roster_row rw;
	size_t done = 0;
	int n = 1, rc = 0;

	job_row_init(&r);
	while (rc == 0 && done < j->rows) {
		n = roster_next(j->roster, &rw, e);
		if (n != 1) {
			rc = n == 0 ? 0 : -1;
			break;
		}
		rc = preview_row(j, &r, ob, rep, &rw, e);
		if (rc == 0 && done++ == 0)
			job_show(j->p->show, j, &r, &rw);
	}
	job_row_fini(&r);
	return rc;
}

static int
open_outputs(struct job *j, struct outbox **ob, struct report **rep,
    struct err *e)
{
	const struct batch_params *p = j->p;
	struct report_meta meta = { p->roster, j->roster_sum, p->template,
	    j->template_sum, roster_sheet(j->roster) };
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
batch_preview(const struct batch_params *p, struct err *e)
{
	struct job j;
	struct outbox *ob = NULL;
	struct report *rep = NULL;
	int rc = -1;

	job_init(&j, p);
	if (job_open(&j, e) == -1 || job_validate(&j, NULL, e) == -1)
		goto out;
	if (open_outputs(&j, &ob, &rep, e) == -1 ||
	    preview_pass(&j, ob, rep, e) == -1)
		goto out;
	rc = 0;
out:
	if (outbox_close(ob, rc == 0 ? e : NULL) == -1)
		rc = -1;
	if (report_close(rep, rc == 0 ? e : NULL) == -1)
		rc = -1;
	if (rc == 0 && p->show != NULL)
		fprintf(p->show, "previewed %zu rows, %zu recipients: %s "
		    "(%s), report %s/report.csv\n", j.rows, j.nrcpt,
		    p->mbox ? p->mbox : p->outdir,
		    p->mbox ? "mbox" : ".eml files", p->outdir);
	job_fini(&j);
	return rc;
}
