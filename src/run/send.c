/*
 * mailmerge send: the delivery loop.
 *
 * After the validation pass (job.c, with routing from route.c and the
 * providers' checks added here) every account with mail gets one thread, which reads the roster itself and
 * takes the rows routed to it: rendering is cheap, and a thread that
 * owns its reader never waits on another account's pace.  A thread
 * touches only its own state, except the report, which has one lock and
 * so one writer at a time.
 *
 * Crash safety: before the final "." of a message goes out the report
 * durably says the row is `unknown` (in flight); the verdict follows as
 * another line.  A resume skips rows whose last line is `sent` or
 * `unknown`, so a kill at any moment never mails a student twice.
 *
 * Failures: 5xx fails the row; 4xx defers it to a later round
 * (exponential backoff, SEND_ROUNDS rounds); a lost session is
 * reopened, and a row whose "." was in flight is `unknown`, never
 * resent; refused credentials or a quota reply stop the account at
 * once, its remaining rows `skipped` with a hint.
 *
 * What an earlier report says is resume.c's; the plan and the summary
 * go to the caller as data (send.h), which words them (cli/show.c).
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "conn.h"
#include "i18n.h"
#include "job.h"
#include "outbox.h"
#include "ratelimit.h"
#include "report.h"
#include "resume.h"
#include "review.h"
#include "route.h"
#include "send.h"
#include "smtp.h"
#include "xalloc.h"

#define SEND_ROUNDS		4	/* tries of a deferred row, in all */
#define SEND_CONNECT_TRIES	3	/* connection attempts before giving up */
#define SEND_BACKOFF_MS		2000	/* first wait; doubles each time */
#define SEND_CHAIN_GAP_MS	1000	/* pipeline across mails below this gap */
#define SEND_NAP_MS		100	/* a stop request is seen this soon */
#define PLAN_WARNINGS_MAX	8	/* warnings repeated above the question */

struct send;
struct run;

/*
 * A row on its way: its own copy of the fields (the reader moves on to
 * the next row while this one is sent), its message, and its envelope
 * as the SMTP layer sees it.  Two per run: the row being sent and the
 * next one, whose envelope may travel behind this one's final dot.
 */
struct slot {
	struct run	*run;
	struct job_row	 r;
	struct buf	 text;		/* the fields, NUL-separated */
	size_t		*offs;		/* where each field starts in text */
	size_t		*lens;
	const char	**fields;
	struct roster_row rw;		/* points into text */
	const char	*rcpt[MESSAGE_RCPT_MAX];
	struct smtp_message m;
	unsigned	 attempt;
	char		 fp[CODEC_SHA256_HEX];	/* resume_fingerprint() */
};

/*
 * A row some recipients accepted while others refused it for now (4xx):
 * the later rounds send it to those alone.  Never written as deferred,
 * which a resume would send to everyone again.
 */
struct pending {
	size_t		 row;
	struct buf	 addrs;		/* still to send to, NUL-separated */
	size_t		 n;
	bool		 perm;		/* someone refused it for good */
};

/* One account's run: everything here belongs to its thread. */
struct run {
	struct send	*s;
	const struct account *a;
	size_t		 idx;
	struct buf	 secret;
	size_t		 planned;	/* rows routed here this run */
	struct ratelimit rl;
	struct smtp	*smtp;
	unsigned	 in_session;	/* messages over this session */
	struct err	 stop;		/* why the account stopped (kind) */
	bool		 stopped;
	size_t		*retry;		/* rows deferred, for the next round */
	size_t		 nretry;
	size_t		 sizeretry;
	unsigned	 round;		/* 1 for the first pass */
	bool		 warned_from;
	size_t		 utf8_rows;	/* rows needing SMTPUTF8, the first */
	size_t		 utf8_first;
	bool		 chain;		/* pipeline the next envelope (fast pace) */
	struct roster	*rd;
	struct slot	*slot[2];	/* the row being sent and the next */
	pthread_t	 tid;
	bool		 started;
	size_t		 sent, failed, deferred, unknown, skipped;
	size_t		 partial, partial_temp;	/* some recipients refused */
	struct pending	*pend;		/* partly sent rows being retried */
	size_t		 npend;
};

struct send {
	const struct job_params *p;	/* the caller's, diag replaced */
	struct job_params params;
	const struct job_params *user; /* the caller's own */
	struct job	 j;
	struct config	*cfg;
	struct run	*runs;
	size_t		 nruns;
	struct route	 rt;		/* rows to accounts */
	struct conn_trusts *trusts;	/* the accounts' CA stores, shared
					   by their sessions */
	struct resume	 rs;		/* rows done and tries so far, by row
					   (each row is one thread's, so no
					   lock) */
	unsigned	 rate_n, rate_ms;	/* --rate, or 0 */
	char		 report_path[4096];
	pthread_mutex_t	 lock;		/* the report and the counters */
	struct report	*rep;
	struct send_progress pr;
	uint64_t	 start_ms;
	uint64_t	 first_ms;	/* the first outcome, for the rate */
	bool		 sending;	/* the plan was accepted */
	struct err	 warn[PLAN_WARNINGS_MAX];	/* for the plan */
	size_t		 nwarn;
	char		 test_to[ADDR_MAX + 1];	/* --test-to, or "" */
	struct report_lock *lock_file;	/* held for the whole run */
	bool		 made_report;	/* report_path created by this run */
	bool		 delivering;	/* the report was opened to send */
	char		 resume_cmd[8192];	/* how to resume this run */
	struct err	 write_err;	/* the first report write that failed */
};

/* Was the run asked to stop (SIGINT, SIGTERM)? */
static bool
stopping(const struct send *s)
{
	return s->p->stop != NULL && *s->p->stop != 0;
}

/* Sleep ms in short naps; false if a stop was asked meanwhile. */
static bool
nap(const struct send *s, uint64_t ms)
{
	uint64_t t;

	while (ms > 0 && !stopping(s)) {
		t = ms < SEND_NAP_MS ? ms : SEND_NAP_MS;
		clock_sleep_ms(t);
		ms -= t;
	}
	return !stopping(s);
}

/* --- resume: what an earlier report says --------------------------- */

/*
 * Room for every row before the threads start: they index by row.  The
 * rows --skip-invalid left out are marked, so no thread takes them.
 */
static int
state_fit(struct send *s)
{
	size_t i;

	resume_fit(&s->rs, s->j.rows + 1);
	for (i = 0; i < s->j.nbad; i++) {
		resume_fit(&s->rs, s->j.bad[i].row);
		s->rs.state[s->j.bad[i].row] = RESUME_INVALID;
	}
	return 0;
}

static int
test_addr(void *arg, const char *name, size_t nlen, const char *addr,
    size_t alen)
{
	struct send *s = arg;

	(void)name;
	(void)nlen;
	if (s->test_to[0] != '\0' || alen >= sizeof(s->test_to))
		return -1;
	memcpy(s->test_to, addr, alen);
	s->test_to[alen] = '\0';
	return 0;
}

/* --test-to: exactly one valid address. */
static int
parse_test_to(struct send *s, struct err *e)
{
	const char *a = s->p->test_to;

	if (a == NULL)
		return 0;
	if (message_parse_addrs(a, strlen(a), test_addr, s, e) == -1 ||
	    s->test_to[0] == '\0') {
		err_set(e, E_USAGE, NULL, "--test-to takes one mail address "
		    "(name@domain), not '%s'", a);
		return -1;
	}
	return 0;
}

static int
load_resume(struct send *s, struct err *e)
{
	struct report_meta want = { NULL, s->j.roster_sum, NULL,
	    s->j.template_sum, roster_sheet(s->j.roster) };
	struct err w;
	size_t cut;

	if (s->p->report == NULL) {
		err_set(e, E_USAGE, NULL, "--resume needs -r REPORT: the "
		    "report of the run to resume");
		return -1;
	}
	if (resume_load(&s->rs, s->p->report, &want, &cut, e) == -1)
		return -1;
	if (cut > 0) {
		err_set(&w, E_INPUT, s->p->report, "removed a last line of %zu "
		    "octets that a killed run left half-written", cut);
		job_diag(&s->j, JOB_NOTE, &w);
	}
	return 0;
}

/* Tell the user how to resume: the command, as a note. */
static void
note_resume(const struct send *s)
{
	struct err w;

	err_set(&w, E_NONE, NULL, "to resume that run (rows sent are never "
	    "sent again): %.340s", s->resume_cmd);
	job_diag(&s->j, JOB_NOTE, &w);
}

/* Without --resume, never overwrite a report that holds anything. */
static int
check_fresh(struct send *s, struct err *e)
{
	int rc = resume_check_fresh(s->report_path, e);

	if (rc == -2)
		note_resume(s);
	return rc == 0 ? 0 : -1;
}

/* The command that resumes this run, for messages. */
static void
make_resume_cmd(struct send *s)
{
	const struct job_params *p = s->p;
	struct review_cmd c = { p->config, p->encoding, p->delimiter,
	    p->sheet, s->report_path, p->roster, p->template };
	struct buf b;

	buf_init(&b, sizeof(s->resume_cmd) - 1);
	review_resume_cmd(&b, &c);
	snprintf(s->resume_cmd, sizeof(s->resume_cmd), "%s", buf_str(&b));
	buf_fini(&b);
}

/* --- routing and validation ------------------------------------------ */

static int
check_route(void *arg, struct job_row *r, const struct roster_row *rw,
    struct job_build_opts *o, struct err *e)
{
	struct send *s = arg;

	resume_compare(&s->rs, s->j.roster, rw);
	return route_check(&s->rt, r, rw, o, e);
}

static bool
has_header(const struct job_row *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nhdr; i++)
		if (strcasecmp(r->hdr[i].name, name) == 0 && r->hdr[i].len > 0)
			return true;
	return false;
}

/* Provider quirks, from the profile row: From/To, From rewriting. */
static int
check_quirks(void *arg, struct job_row *r, const struct roster_row *rw,
    struct err *e)
{
	struct send *s = arg;
	struct run *run;
	struct err w;
	size_t idx;

	if (route_row(&s->rt, r, rw, &idx, e) == -1)
		return -1;
	run = &s->runs[idx];
	if (run->a->prov->needs_from_to && !has_header(r, "To")) {
		err_set(e, E_INPUT, NULL, "row %zu: account [%s] (%s) refuses "
		    "mail without a To: header; add To: to the template",
		    rw->row, run->a->name, run->a->prov->name);
		job_where(&s->j, rw, e);
		return -1;
	}
	if (r->msg.utf8_addr && resume_row(&s->rs, rw->row) == RESUME_TODO &&
	    run->utf8_rows++ == 0)
		run->utf8_first = rw->row;
	if (run->a->prov->from != PROVIDER_FROM_ANY && !run->warned_from &&
	    strcasecmp(r->msg.from, run->a->user_addr) != 0) {
		run->warned_from = true;
		err_set(&w, E_CONFIG, s->j.p->template, "From <%s> is not the "
		    "address of account [%s] <%s>: %s", r->msg.from,
		    run->a->name, run->a->user_addr,
		    run->a->prov->from == PROVIDER_FROM_REFUSED ?
		    _("the provider refuses such mail") :
		    _("the provider rewrites From to the account's address"));
		job_diag(&s->j, JOB_WARNING, &w);
	}
	/* Counted last, so a row failing a check is not planned. */
	if (resume_row(&s->rs, rw->row) == RESUME_TODO)
		run->planned++;
	return 0;
}

/* --- the report ------------------------------------------------------ */

/*
 * The rate is the true average since the first outcome: n outcomes span
 * n - 1 gaps.  (Counting from the start made the first mail, a few
 * milliseconds in, look like thousands a minute.)
 */
static void
progress(struct send *s)
{
	uint64_t now = clock_ms(), el;
	struct send_progress *pr = &s->pr;

	if (pr->done == 1)
		s->first_ms = now;
	if (s->p->progress == NULL)
		return;
	el = now - s->first_ms;
	pr->per_min = pr->done > 1 && el > 0 ?
	    (double)(pr->done - 1) * 60000.0 / (double)el : 0;
	pr->eta_s = pr->per_min > 0 ?
	    (double)(pr->total - pr->done) * 60.0 / pr->per_min : 0;
	s->p->progress(s->p->ui_arg, pr);
}

/* A line for this row's outcome, for runs off a terminal. */
static void
tell_outcome(const struct send *s, const struct report_entry *x)
{
	struct send_outcome o;

	if (s->p->outcome == NULL)
		return;
	o.row = x->row;
	o.recipients = x->recipients;
	o.status = report_status_name(x->status);
	o.code = x->smtp_code;
	o.enhanced = x->enhanced != NULL ? x->enhanced : "";
	o.account = x->account;
	s->p->outcome(s->p->ui_arg, &o);
}

/*
 * One report line (the single writer); final: the row's outcome for
 * this run (not an in-flight mark, nor a deferral still to be retried),
 * which moves the progress line.
 */
static int
record(struct slot *sl, const struct report_entry *x0, bool final,
    struct err *e)
{
	struct run *run = sl->run;
	struct send *s = run->s;
	struct report_entry x = *x0;
	int rc;

	x.row = sl->rw.row;
	x.recipients = buf_str(&sl->r.rcpts);
	x.provider = run->a->prov->name;
	x.account = run->a->name;
	x.message_id = sl->r.msg.msgid;
	x.time = time(NULL);
	x.row_sha256 = sl->fp;
	pthread_mutex_lock(&s->lock);
	rc = s->rep != NULL ? report_append(s->rep, &x, e) : 0;  /* --test-to */
	if (rc == -1 && s->write_err.kind == E_NONE)
		s->write_err = *e;
	if (final) {
		s->pr.done++;
		if (x.status == REPORT_SENT)
			s->pr.sent++;
		else if (x.status == REPORT_UNKNOWN)
			s->pr.unknown++;
		else
			s->pr.failed++;
		progress(s);
		tell_outcome(s, &x);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* --- one account's thread -------------------------------------------- */

/* Stop the account for the rest of the run; its rows become skipped. */
static void
stop_account(struct run *run, const struct err *why, const char *hint)
{
	run->stopped = true;
	run->stop = *why;
	if (hint != NULL) {
		size_t n = strlen(run->stop.msg);

		snprintf(run->stop.msg + n, sizeof(run->stop.msg) - n,
		    "; %s", hint);
	}
	job_diag(&run->s->j, JOB_ERROR, &run->stop);
}

/* Open a session, retrying network trouble with backoff. */
static int
connect_run(struct run *run)
{
	struct smtp_params sp;
	struct smtp_reply last;
	struct err e;
	unsigned k;

	config_smtp_params(run->a, buf_str(&run->secret), run->s->p->trace,
	    &sp);
	sp.trusts = run->s->trusts;
	for (k = 0; k < SEND_CONNECT_TRIES; k++) {
		if (k > 0)
			nap(run->s, (uint64_t)SEND_BACKOFF_MS << (k - 1));
		memset(&last, 0, sizeof(last));
		if (smtp_open(&run->smtp, &sp, &last, &e) == 0) {
			run->in_session = 0;
			return 0;
		}
		err_where(&e, "[%s] %s:%s", run->a->name, run->a->host,
		    run->a->port);
		if (e.kind == E_AUTH) {
			stop_account(run, &e, run->a->prov->auth_hint ?
			    _(run->a->prov->auth_hint) : NULL);
			return -1;
		}
		if (e.kind != E_NET && e.kind != E_TEMP)
			break;
		job_diag(&run->s->j, JOB_WARNING, &e);
	}
	stop_account(run, &e, NULL);
	return -1;
}

static int
ensure_session(struct run *run)
{
	unsigned cap = run->a->max_per_session;

	if (run->smtp != NULL && cap != 0 && run->in_session >= cap) {
		smtp_close(run->smtp);
		run->smtp = NULL;
	}
	if (run->smtp == NULL)
		return connect_run(run);
	return 0;
}

static void
drop_session(struct run *run)
{
	smtp_close(run->smtp);
	run->smtp = NULL;
}

/* Called just before the final ".": the row is in flight, durably. */
static int
mark_inflight(void *arg)
{
	struct slot *sl = arg;
	struct report_entry x;
	struct err e;

	memset(&x, 0, sizeof(x));
	x.status = REPORT_UNKNOWN;
	x.stage = "EOM";
	x.attempts = sl->attempt;
	x.reply = "in flight: the end of the message was sent, no reply "
	    "was recorded; it may or may not have been accepted";
	if (record(sl, &x, false, &e) == -1) {
		job_diag(&sl->run->s->j, JOB_ERROR, &e);
		return -1;
	}
	return 0;
}

static void
defer(struct run *run, size_t row)
{
	if (run->nretry == run->sizeretry) {
		run->sizeretry = run->sizeretry ? 2 * run->sizeretry : 16;
		run->retry = xreallocarray(run->retry, run->sizeretry,
		    sizeof(*run->retry));
	}
	run->retry[run->nretry++] = row;
}

static void
outcome_entry(const struct smtp_outcome *o, struct report_entry *x,
    char *reply, size_t size)
{
	memset(x, 0, sizeof(*x));
	x->smtp_code = o->reply.code;
	x->enhanced = o->reply.enh;
	x->stage = smtp_stage_name(o->stage);
	if (o->nrcpt_bad > 0 && o->accepted)
		snprintf(reply, size, "%s; refused: %s", o->reply.text,
		    o->refused);
	else if (o->nrcpt_bad > 1)	/* each refusal with its address */
		snprintf(reply, size, "%s", o->refused);
	else
		snprintf(reply, size, "%s", o->reply.text);
	x->reply = reply;
}

/* The account's quota is used up: stop it, the rest wait for tomorrow. */
static void
stop_for_quota(struct run *run, const struct smtp_reply *rp)
{
	struct err q;

	err_set(&q, E_TEMP, NULL, "[%s] the provider says the sending quota "
	    "is used up (%d %s %s): stopping this account", run->a->name,
	    rp->code, rp->enh, rp->text);
	stop_account(run, &q, _("resume tomorrow with --resume"));
}

static struct pending *
pending_find(struct run *run, size_t row)
{
	size_t i;

	for (i = 0; i < run->npend; i++)
		if (run->pend[i].row == row)
			return &run->pend[i];
	return NULL;
}

static struct pending *
pending_new(struct run *run, size_t row)
{
	struct pending *pd;

	run->pend = xreallocarray(run->pend, run->npend + 1,
	    sizeof(*run->pend));
	pd = &run->pend[run->npend++];
	memset(pd, 0, sizeof(*pd));
	pd->row = row;
	buf_init(&pd->addrs, (size_t)MESSAGE_RCPT_MAX * 512);
	return pd;
}

/*
 * How the server answered addr's RCPT: 4 or 5 from its entry in
 * o->refused ("addr: 450 4.2.1 ...; addr2: 550 ..."), 0 if it has none
 * (accepted, or not listed: a long list is cut; never retried then).
 */
static int
refusal_class(const struct smtp_outcome *o, const char *addr)
{
	size_t n = strlen(addr);
	const char *p = o->refused;

	while ((p = strstr(p, addr)) != NULL) {
		if ((p == o->refused || (p >= o->refused + 2 &&
		    p[-2] == ';' && p[-1] == ' ')) && strncmp(p + n, ": ", 2)
		    == 0 && (p[n + 2] == '4' || p[n + 2] == '5'))
			return p[n + 2] - '0';
		p += n;
	}
	return 0;
}

/* Keep in sl's envelope only the recipients pd still waits for. */
static void
narrow(struct run *run, struct slot *sl)
{
	struct pending *pd = pending_find(run, sl->rw.row);
	const char *a;
	size_t i, k, j = 0;

	if (pd == NULL)
		return;
	for (i = 0; i < sl->m.nrcpt; i++) {
		for (a = pd->addrs.data, k = 0; k < pd->n; k++, a += strlen(a) + 1)
			if (strcmp(a, sl->rcpt[i]) == 0) {
				sl->rcpt[j++] = sl->rcpt[i];
				break;
			}
	}
	sl->m.nrcpt = j;
}

/*
 * A row that reached some recipients and not others: `partial`, never
 * resent to the ones who have it.  Those refused for now (4xx) are
 * tried again, alone, in the later rounds.
 */
static int
judge_partial(struct slot *sl, const struct smtp_outcome *o,
    struct report_entry *x, struct err *e)
{
	struct run *run = sl->run;
	struct pending *pd = pending_find(run, sl->rw.row);
	bool whole_temp = !o->accepted && o->reply.code >= 400 &&
	    o->reply.code < 500;
	size_t i;
	int c;

	if (pd == NULL)
		pd = pending_new(run, sl->rw.row);
	buf_reset(&pd->addrs);
	pd->n = 0;
	for (i = 0; i < sl->m.nrcpt; i++) {
		c = o->accepted || o->stage == SMTP_STAGE_RCPT ?
		    refusal_class(o, sl->rcpt[i]) : whole_temp ? 4 : 5;
		if (c == 5)
			pd->perm = true;
		if (c != 4)
			continue;
		buf_adds(&pd->addrs, sl->rcpt[i]);
		buf_addc(&pd->addrs, '\0');
		pd->n++;
	}
	if (pd->n == 0 && !pd->perm) {		/* the rest took it now */
		x->status = REPORT_SENT;
		run->sent++;
		return record(sl, x, true, e);
	}
	x->status = REPORT_PARTIAL;
	if (pd->n > 0 && run->round < SEND_ROUNDS) {
		defer(run, sl->rw.row);
		return record(sl, x, false, e);
	}
	run->partial++;
	if (pd->n > 0)
		run->partial_temp++;
	return record(sl, x, true, e);
}

/*
 * Record what the server said of a message the session survived.  What
 * a refusal means (the row's, the account's quota, a full mailbox) is
 * the provider table's call (provider_classify), by stage and code.
 */
static int
judge(struct slot *sl, const struct smtp_outcome *o, struct err *e)
{
	char reply[2 * SMTP_REPLY_MAX + 16];
	struct run *run = sl->run;
	struct report_entry x;
	enum provider_class cls = PROVIDER_REPLY_ROW;
	bool temp = o->reply.code >= 400 && o->reply.code < 500;
	bool final = true;

	outcome_entry(o, &x, reply, sizeof(reply));
	x.attempts = sl->attempt;
	if ((o->accepted && o->nrcpt_bad > 0) ||
	    pending_find(run, sl->rw.row) != NULL)
		return judge_partial(sl, o, &x, e);
	if (!o->accepted)
		cls = provider_classify(run->a->prov, o->stage, o->reply.enh,
		    o->reply.text);
	if (o->accepted) {
		x.status = REPORT_SENT;
		run->sent++;
	} else if (cls == PROVIDER_REPLY_QUOTA) {
		/* Not the recipient's fault: the row waits for tomorrow. */
		x.status = REPORT_DEFERRED;
		run->deferred++;
	} else if (temp && run->round < SEND_ROUNDS &&
	    cls == PROVIDER_REPLY_ROW) {
		x.status = REPORT_DEFERRED;
		final = false;
		defer(run, sl->rw.row);
	} else {
		/* A full mailbox or too many recipients: retrying in a few
		   seconds would not help; --resume later may. */
		x.status = temp ? REPORT_DEFERRED : REPORT_FAILED;
		if (temp)
			run->deferred++;
		else
			run->failed++;
	}
	if (record(sl, &x, final, e) == -1)
		return -1;
	if (cls == PROVIDER_REPLY_QUOTA)
		stop_for_quota(run, &o->reply);
	return 0;
}

/* Record a row not sent because the account stopped. */
static int
skip_row(struct slot *sl, struct err *e)
{
	struct report_entry x;
	char reply[ERR_MSG_MAX + 16];

	memset(&x, 0, sizeof(x));
	snprintf(reply, sizeof(reply), "not sent: %s", sl->run->stop.msg);
	x.status = REPORT_SKIPPED;
	x.reply = reply;
	x.attempts = sl->attempt;
	if (pending_find(sl->run, sl->rw.row) != NULL) {
		/* Some recipients have it: skipped would resend to all. */
		snprintf(reply, sizeof(reply), "not sent to the recipients "
		    "who refused it for now: %.300s", sl->run->stop.msg);
		x.status = REPORT_PARTIAL;
		sl->run->partial++;
		sl->run->partial_temp++;
	} else
		sl->run->skipped++;
	return record(sl, &x, true, e);
}

/* The session broke: "." in flight means unknown, else try again. */
static int
broken(struct slot *sl, const struct smtp_outcome *o, const struct err *why,
    struct err *e)
{
	struct report_entry x;
	char reply[ERR_MSG_MAX + 128];

	drop_session(sl->run);
	if (!o->unknown)
		return 1;	/* nothing delivered: the caller retries */
	memset(&x, 0, sizeof(x));
	snprintf(reply, sizeof(reply), "no reply after the end of the "
	    "message (%s): it may or may not have been accepted; not resent",
	    why->msg);
	x.status = REPORT_UNKNOWN;
	x.stage = "EOM";
	x.reply = reply;
	x.attempts = sl->attempt;
	sl->run->unknown++;
	return record(sl, &x, true, e);
}

static struct slot *
slot_new(struct run *run, size_t ncols)
{
	struct slot *sl = xcalloc(1, sizeof(*sl));

	sl->run = run;
	job_row_init(&sl->r);
	buf_init(&sl->text, (size_t)ROSTER_COLS_MAX * ROSTER_FIELD_MAX);
	sl->offs = xcalloc(ncols ? ncols : 1, sizeof(*sl->offs));
	sl->lens = xcalloc(ncols ? ncols : 1, sizeof(*sl->lens));
	sl->fields = xcalloc(ncols ? ncols : 1, sizeof(*sl->fields));
	return sl;
}

static void
slot_free(struct slot *sl)
{
	if (sl == NULL)
		return;
	job_row_fini(&sl->r);
	buf_fini(&sl->text);
	free(sl->offs);
	free(sl->lens);
	free(sl->fields);
	free(sl);
}

/* Keep a copy of rw: the roster reader's buffers move on. */
static void
slot_copy(struct slot *sl, const struct roster_row *rw)
{
	size_t i;

	buf_reset(&sl->text);
	for (i = 0; i < rw->nfields; i++) {
		sl->offs[i] = sl->text.len;
		sl->lens[i] = rw->lens[i];
		buf_add(&sl->text, rw->fields[i], rw->lens[i]);
		buf_addc(&sl->text, '\0');
	}
	for (i = 0; i < rw->nfields; i++)
		sl->fields[i] = sl->text.data + sl->offs[i];
	sl->rw = *rw;
	sl->rw.fields = sl->fields;
	sl->rw.lens = sl->lens;
	resume_fingerprint(sl->run->s->j.roster, &sl->rw, sl->fp);
}

/* Build the message; 8bit unless the open session lacks 8BITMIME. */
static int
slot_build(struct slot *sl, struct err *e)
{
	struct run *run = sl->run;
	struct job_build_opts bo = { time(NULL), true, route_from(run->a),
	    NULL };
	struct message *msg = &sl->r.msg;
	const char *test_to = run->s->test_to;
	size_t i;

	if (run->smtp != NULL)
		bo.allow_8bit = smtp_has(run->smtp, "8BITMIME");
	if (test_to[0] != '\0')
		bo.subject_prefix = SEND_TEST_PREFIX;
	if (job_build(&run->s->j, &sl->r, &sl->rw, &bo, e) == -1)
		return -1;
	for (i = 0; i < msg->nrcpt && i < MESSAGE_RCPT_MAX; i++)
		sl->rcpt[i] = message_rcpt(msg, i);
	memset(&sl->m, 0, sizeof(sl->m));
	sl->m.from = run->a->envelope;
	sl->m.rcpt = sl->rcpt;
	sl->m.nrcpt = msg->nrcpt;
	if (test_to[0] != '\0') {	/* the envelope: nobody else, ever */
		sl->rcpt[0] = test_to;
		sl->m.nrcpt = 1;
	}
	sl->m.data = msg->text.data;
	sl->m.len = msg->text.len;
	sl->m.eightbit = msg->eightbit;
	sl->m.smtputf8 = msg->utf8_addr;
	sl->m.before_eom = mark_inflight;
	sl->m.arg = sl;
	return 0;
}

/* Wait for the account's pace; false if a stop was asked meanwhile. */
static bool
pace(struct run *run)
{
	uint64_t wait = ratelimit_wait(&run->rl, clock_ms());

	if (!nap(run->s, wait))
		return false;
	ratelimit_take(&run->rl, clock_ms());
	return true;
}

/*
 * May next's envelope go out behind cur's final dot (RFC 2920 §3.1)?
 * Only when the pace is fast (the server waits in DATA state until
 * next's content comes: RFC 5321 §4.5.3.2 gives it minutes, not
 * hours), next needs no re-encoding, and the session will carry it.
 */
static bool
can_chain(const struct run *run, const struct slot *next)
{
	unsigned cap = run->a->max_per_session;

	if (next == NULL || !run->chain || run->stopped || stopping(run->s) ||
	    !smtp_has(run->smtp, "PIPELINING"))
		return false;
	if (next->m.eightbit && !smtp_has(run->smtp, "8BITMIME"))
		return false;
	return cap == 0 || run->in_session + 1 < cap;
}

/* Send cur once over the open session; -2: it could not be built. */
static int
try_once(struct slot *cur, struct slot *next, struct smtp_outcome *o,
    struct err *why)
{
	struct run *run = cur->run;

	/* Built 8bit before the session said it lacks 8BITMIME. */
	if (cur->m.eightbit && !smtp_has(run->smtp, "8BITMIME") &&
	    !smtp_owes(run->smtp)) {
		if (slot_build(cur, why) == -1)
			return -2;
		narrow(run, cur);
	}
	memset(o, 0, sizeof(*o));
	run->in_session++;
	if (run->s->rs.attempts[cur->rw.row] < UCHAR_MAX)
		run->s->rs.attempts[cur->rw.row]++;
	cur->attempt = run->s->rs.attempts[cur->rw.row];
	return smtp_send_next(run->smtp, &cur->m,
	    can_chain(run, next) ? &next->m : NULL, o, why);
}

/* A 421 that closed the session and says the day's quota is used up. */
static bool
is_quota_421(const struct run *run, const struct smtp_outcome *o)
{
	return o->reply.code == 421 && provider_classify(run->a->prov,
	    o->stage, o->reply.enh, o->reply.text) == PROVIDER_REPLY_QUOTA;
}

/* Deliver one row: sessions, retries of a broken session, verdict. */
static int
deliver(struct slot *cur, struct slot *next, struct err *e)
{
	struct run *run = cur->run;
	struct smtp_outcome o;
	struct err why;
	size_t row = cur->rw.row;
	unsigned k;
	bool owed;
	int rc;

	cur->attempt = run->s->rs.attempts[row];
	for (k = 0; k < SEND_CONNECT_TRIES; k++) {
		/* Interrupted: the row stays untried (no line), unless
		   its envelope already went out behind the last dot:
		   then it is the message in flight, and it finishes. */
		owed = run->smtp != NULL && smtp_owes(run->smtp);
		if (stopping(run->s) && !owed)
			return 0;
		if (run->stopped || ensure_session(run) == -1)
			return skip_row(cur, e);
		if (!pace(run) && !owed)
			return 0;
		rc = try_once(cur, next, &o, &why);
		if (rc == 0)
			return judge(cur, &o, e);
		if (rc == -2 || why.kind == E_INPUT || why.kind == E_INTERNAL) {
			*e = why;	/* a bug: validation passed */
			return -1;
		}
		rc = broken(cur, &o, &why, e);
		if (rc != 1)
			return rc;
		if (is_quota_421(run, &o))	/* closed for the day */
			return judge(cur, &o, e);
		job_diag(&run->s->j, JOB_WARNING, &why);
	}
	stop_account(run, &why, NULL);
	return skip_row(cur, e);
}

/* Is row rw this run's, in this round? */
static bool
wanted(struct run *run, const size_t *rows, size_t nrows, size_t *next,
    const struct roster_row *rw)
{
	if (rows == NULL)
		return resume_row(&run->s->rs, rw->row) == RESUME_TODO;
	while (*next < nrows && rows[*next] < rw->row)
		(*next)++;
	return *next < nrows && rows[*next] == rw->row;
}

/* Where a pass over the roster stands. */
struct cursor {
	const size_t	*rows;		/* the rows of this round, or NULL */
	size_t		 nrows;
	size_t		 next;		/* index into rows */
	size_t		 seen;		/* roster rows read */
};

/* Read on to this account's next row and build it into sl: 1, 0, -1. */
static int
next_mine(struct run *run, struct cursor *c, struct slot *sl, struct err *e)
{
	struct roster_row rw;
	size_t idx;
	int n;

	while (c->seen < run->s->j.rows) {
		n = roster_next(run->rd, &rw, e);
		if (n == -2) {	/* a bad record --skip-invalid left out */
			c->seen++;
			continue;
		}
		if (n <= 0)
			return n == 0 ? 0 : -1;
		c->seen++;
		if (!wanted(run, c->rows, c->nrows, &c->next, &rw))
			continue;
		if (job_roster_same(&run->s->j, true, e) == -1)
			return -1;
		slot_copy(sl, &rw);
		if (job_headers(&run->s->j, &sl->r, &sl->rw, e) == -1 ||
		    route_row(&run->s->rt, &sl->r, &sl->rw, &idx, e) == -1)
			return -1;
		if (idx != run->idx)
			continue;
		if (slot_build(sl, e) == -1)
			return -1;
		narrow(run, sl);
		return 1;
	}
	return 0;
}

/*
 * One pass over the roster for this account (rows == NULL: all), one
 * row ahead, so the next row's envelope can ride behind this one's dot.
 */
static int
pass(struct run *run, const size_t *rows, size_t nrows, struct err *e)
{
	struct cursor c = { rows, nrows, 0, 0 };
	struct slot *cur = run->slot[0], *next = run->slot[1], *t;
	bool have = false;
	int n;

	if (job_roster_same(&run->s->j, false, e) == -1 ||
	    roster_rewind(run->rd, e) == -1)
		return -1;
	while (!stopping(run->s) && (n = next_mine(run, &c, next, e)) == 1) {
		if (have && deliver(cur, next, e) == -1)
			return -1;
		t = cur;
		cur = next;
		next = t;
		have = true;
	}
	if (n == -1)
		return -1;
	return have ? deliver(cur, NULL, e) : 0;
}

/* Later rounds: the deferred rows, after an exponential backoff. */
static int
retry_rounds(struct run *run, struct err *e)
{
	size_t *rows, n;

	while (run->nretry > 0 && run->round < SEND_ROUNDS) {
		rows = run->retry;
		n = run->nretry;
		run->retry = NULL;
		run->nretry = run->sizeretry = 0;
		if (!run->stopped && !nap(run->s,
		    (uint64_t)SEND_BACKOFF_MS << (run->round - 1))) {
			run->retry = rows;	/* interrupted: still deferred */
			run->nretry = run->sizeretry = n;
			return 0;
		}
		run->round++;
		if (pass(run, rows, n, e) == -1) {
			free(rows);
			return -1;
		}
		free(rows);
	}
	return 0;
}

/*
 * An address with a non-ASCII local part needs SMTPUTF8
 * (RFC 6531 §3.5).  A server without it stops the account before its
 * first row, so nothing is sent through it, rather than refusing those
 * rows one by one mid-run.
 */
static void
utf8_gate(struct run *run)
{
	struct err e;

	if (run->utf8_rows == 0 || ensure_session(run) == -1 ||
	    smtp_has(run->smtp, "SMTPUTF8"))
		return;
	/* E_TEMP: its rows wait (skipped) for a resume through another
	   account; E_INPUT would read as a roster changed mid-run. */
	err_set(&e, E_TEMP, NULL, P_("[%s] %s does not offer SMTPUTF8, "
	    "which %zu row needs for an address with a non-ASCII local part "
	    "(row %zu first): nothing was sent through this account",
	    "[%s] %s does not offer SMTPUTF8, which %zu rows need for an "
	    "address with a non-ASCII local part (row %zu first): nothing was "
	    "sent through this account", run->utf8_rows), run->a->name,
	    run->a->host, run->utf8_rows, run->utf8_first);
	stop_account(run, &e, _("write those addresses in ASCII, or send "
	    "them through an account whose server offers SMTPUTF8"));
}

static void *
run_thread(void *arg)
{
	struct run *run = arg;
	struct err e;

	run->round = 1;
	utf8_gate(run);
	if (pass(run, NULL, 0, &e) == -1 || retry_rounds(run, &e) == -1) {
		err_where(&e, "[%s]", run->a->name);
		stop_account(run, &e, NULL);
	}
	if (run->smtp != NULL)
		drop_session(run);
	return NULL;
}

/* --- the batch ------------------------------------------------------- */

static int
setup(struct send *s, struct err *e)
{
	size_t i;

	s->trusts = conn_trusts_new();
	if (config_load(&s->cfg, s->p->config, e) == -1)
		return -1;
	if (s->p->rate != NULL &&
	    config_parse_rate(s->p->rate, &s->rate_n, &s->rate_ms, e) == -1) {
		e->kind = E_USAGE;
		return -1;
	}
	if (job_open(&s->j, e) == -1)
		return -1;
	if (s->p->resume && load_resume(s, e) == -1)
		return -1;
	if (!s->p->resume && s->test_to[0] == '\0' && check_fresh(s, e) == -1)
		return -1;
	route_init(&s->rt, s->cfg, &s->j);
	s->nruns = s->cfg->nacct;
	s->runs = xcalloc(s->nruns, sizeof(*s->runs));
	for (i = 0; i < s->nruns; i++) {
		struct run *run = &s->runs[i];

		run->s = s;
		run->a = &s->cfg->acct[i];
		run->idx = i;
		buf_init(&run->secret, SECRETS_MAX);
		run->slot[0] = slot_new(run, roster_ncols(s->j.roster));
		run->slot[1] = slot_new(run, roster_ncols(s->j.roster));
	}
	return 0;
}

/* Every password of an account with mail, before anything is sent. */
static int
fetch_secrets(struct send *s, struct err *e)
{
	size_t i;

	for (i = 0; i < s->nruns; i++) {
		struct run *run = &s->runs[i];

		if (run->planned == 0 || run->a->auth == SMTP_AUTH_NONE)
			continue;
		if (config_secret(run->a, &run->secret, e) == -1)
			return -1;
	}
	return 0;
}

static void
rate_of(const struct send *s, const struct account *a, unsigned *n,
    unsigned *ms)
{
	*n = s->rate_n ? s->rate_n : a->rate_n;
	*ms = s->rate_n ? s->rate_ms : a->rate_ms;
}

/* Keep a warning to repeat in the plan, right above the question. */
static void
plan_warn(struct send *s, const struct err *w)
{
	if (s->nwarn < PLAN_WARNINGS_MAX)
		s->warn[s->nwarn++] = *w;
}

/* Every diagnostic goes to the caller's diag; warnings are kept too. */
static void
keep_diag(void *arg, enum job_level level, const struct err *e)
{
	struct send *s = arg;

	if (s->user->diag != NULL)
		s->user->diag(s->user->diag_arg, level, e);
	if (level == JOB_WARNING && !s->sending)
		plan_warn(s, e);
}

/* Past the provider's daily quota: a warning to repeat in the plan. */
static void
quota_warn(struct send *s, const struct run *run)
{
	const struct account *a = run->a;
	struct err w;

	if (a->prov->daily_quota == 0 || run->planned <= a->prov->daily_quota)
		return;
	err_set(&w, E_CONFIG, NULL, "[%s] %zu mails is more than %s's "
	    "daily quota of about %u: the rest will be refused; send "
	    "the rest tomorrow with --resume", a->name, run->planned,
	    a->prov->name, a->prov->daily_quota);
	plan_warn(s, &w);
}

/* The plan's accounts (those with mail) to the caller's plan(). */
static void
tell_plan(struct send *s, size_t total)
{
	struct send_account_plan *acct = xcalloc(s->nruns + 1, sizeof(*acct));
	struct send_plan pl = { total, s->j.rows, s->j.nbad, s->p->resume,
	    s->test_to[0] != '\0' ? s->test_to : NULL, acct, 0,
	    s->report_path, s->warn, 0 };
	size_t i;

	for (i = 0; i < s->nruns; i++) {
		const struct run *run = &s->runs[i];
		struct send_account_plan *ap = &acct[pl.nacct];

		if (run->planned == 0)
			continue;
		quota_warn(s, run);
		ap->a = run->a;
		ap->mails = run->planned;
		rate_of(s, run->a, &ap->rate_n, &ap->rate_ms);
		pl.nacct++;
	}
	pl.nwarn = s->nwarn;
	s->p->plan(s->p->ui_arg, &pl);
	free(acct);
}

/* Show what is about to happen; 0 to go on. */
static int
plan(struct send *s, struct err *e)
{
	size_t i, total = 0;
	int answer;

	for (i = 0; i < s->nruns; i++)
		total += s->runs[i].planned;
	s->pr.total = total;
	if (stopping(s)) {
		err_set(e, E_USAGE, NULL, "interrupted: nothing was sent");
		return -1;
	}
	if (s->p->plan != NULL)
		tell_plan(s, total);
	if (total == 0 || s->p->yes)
		return 0;
	answer = s->p->confirm ? s->p->confirm(s->p->ui_arg) : -1;
	if (answer == 1)
		return 0;
	if (answer == 0)
		err_set(e, E_USAGE, NULL, "not confirmed: nothing was sent");
	else
		err_set(e, E_USAGE, NULL, "not on a terminal: pass --yes to "
		    "send without confirmation (nothing was sent)");
	return -1;
}

static void
show_first(struct send *s)
{
	struct roster_row rw;
	struct job_build_opts o = { time(NULL), true, NULL, NULL };
	struct err e;
	struct job_row r;
	size_t idx;

	if (s->p->show == NULL)
		return;
	if (s->test_to[0] != '\0')
		o.subject_prefix = SEND_TEST_PREFIX;
	job_row_init(&r);
	while (roster_next(s->j.roster, &rw, &e) == 1) {
		if (resume_row(&s->rs, rw.row) != RESUME_TODO)
			continue;
		if (job_headers(&s->j, &r, &rw, &e) == 0 &&
		    route_row(&s->rt, &r, &rw, &idx, &e) == 0) {
			o.from_default = route_from(&s->cfg->acct[idx]);
			if (job_build(&s->j, &r, &rw, &o, &e) == 0)
				s->p->show(s->p->ui_arg, &s->j, &r, &rw);
		}
		break;
	}
	job_row_fini(&r);
	roster_rewind(s->j.roster, &e);
}

/*
 * The report's name (a default one is created at once, O_EXCL: two runs
 * in the same second get report-...csv and report-...-2.csv), then its
 * lock, held until the run ends: a second run on it is refused.
 */
static int
report_name(struct send *s, struct err *e)
{
	char base[64];
	struct tm tm;

	if (s->test_to[0] != '\0') {	/* no report at all */
		snprintf(s->report_path, sizeof(s->report_path), "%s",
		    _("(none)"));
		return 0;
	}
	if (s->p->report != NULL) {
		snprintf(s->report_path, sizeof(s->report_path), "%s",
		    s->p->report);
	} else {
		localtime_r(&s->j.now, &tm);
		strftime(base, sizeof(base), "out/report-%Y%m%d-%H%M%S", &tm);
		if (outbox_mkdirs("out", e) == -1 ||
		    report_create_new(base, s->report_path,
		    sizeof(s->report_path), e) == -1)
			return -1;
		s->made_report = true;
	}
	make_resume_cmd(s);
	return report_lock(&s->lock_file, s->report_path, e);
}

/*
 * The account threads block SIGINT and SIGTERM, so the caller's handler
 * runs in this thread (waiting in pthread_join) and no SMTP wait of
 * theirs is cut short: they see the stop flag between messages.
 */
static int	spawn(struct send *, struct err *);

static int
start_threads(struct send *s, struct err *e)
{
	sigset_t block, old;
	int rc;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = spawn(s, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static int
spawn(struct send *s, struct err *e)
{
	size_t i;

	for (i = 0; i < s->nruns; i++) {
		struct run *run = &s->runs[i];
		unsigned n, ms;

		if (run->planned == 0)
			continue;
		rate_of(s, run->a, &n, &ms);
		ratelimit_init(&run->rl, n, ms);
		run->chain = n == 0 || ms / n < SEND_CHAIN_GAP_MS;
		if (job_reader(&s->j, &run->rd, e) == -1)
			return -1;
		if (pthread_create(&run->tid, NULL, run_thread, run) != 0) {
			err_set(e, E_OS, NULL, "cannot start a thread");
			return -1;
		}
		run->started = true;
	}
	return 0;
}

static void
join_threads(struct send *s)
{
	size_t i;

	for (i = 0; i < s->nruns; i++)
		if (s->runs[i].started)
			pthread_join(s->runs[i].tid, NULL);
}

/* What the run did, added up over the accounts and the resumed run. */
struct tally {
	size_t		sent, failed, later, unknown, earlier;
	size_t		partial, partial_temp;
	size_t		untried;	/* rows planned, never tried */
	enum err_kind	stop;		/* the worst reason an account stopped */
};

/* Which stop reason the verdict names first. */
static int
stop_rank(enum err_kind k)
{
	static const enum err_kind order[] = { E_OS, E_INPUT, E_AUTH,
	    E_NET, E_TLS, E_PROTO, E_INTERNAL };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (order[i] == k)
			return (int)(sizeof(order) / sizeof(order[0]) - i);
	return 0;
}

static void
add_up(const struct send *s, struct tally *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	/* Unknown rows from the run this one resumes count too. */
	resume_count(&s->rs, s->j.rows, &t->earlier, &t->unknown);
	for (i = 0; i < s->nruns; i++) {
		const struct run *run = &s->runs[i];

		size_t done = run->sent + run->failed + run->deferred +
		    run->skipped + run->unknown + run->partial + run->nretry;

		t->sent += run->sent;
		t->failed += run->failed;
		t->partial += run->partial;
		t->partial_temp += run->partial_temp;
		t->later += run->deferred + run->skipped + run->nretry;
		t->unknown += run->unknown;
		t->untried += run->planned > done ? run->planned - done : 0;
		if (run->stopped && (t->stop == E_NONE ||
		    stop_rank(run->stop.kind) > stop_rank(t->stop)))
			t->stop = run->stop.kind;
	}
	if (s->write_err.kind != E_NONE)
		t->stop = E_OS;
}

/* What the run did, to the caller's summary(). */
static void
summary(const struct send *s, const struct tally *t)
{
	struct send_summary sm = { s->test_to[0] != '\0' ? s->test_to : NULL,
	    s->pr.total, t->sent, t->failed, t->partial, t->unknown,
	    t->later, t->untried, t->earlier, s->j.nbad, s->report_path,
	    t->later + t->untried > 0 || t->stop != E_NONE ? s->resume_cmd :
	    NULL };

	if (s->p->summary != NULL)
		s->p->summary(s->p->ui_arg, &sm);
}

/* The run stopped early: the report could not be written, the roster
 * changed, or an account stopped; rows wait for a resume. */
static int
stopped_verdict(const struct send *s, const struct tally *t, struct err *e)
{
	const char *rp = s->report_path;
	size_t left = t->later + t->untried;

	if (t->stop == E_OS)
		err_set(e, E_OS, rp, P_("%.120s; the run stopped (%zu row "
		    "not sent); the report holds every outcome up to then: "
		    "fix it and resume (the command is above)", "%.120s; the "
		    "run stopped (%zu rows not sent); the report holds every "
		    "outcome up to then: fix it and resume (the command is "
		    "above)", left), s->write_err.msg, left);
	else if (t->stop == E_INPUT)
		err_set(e, E_INPUT, rp, P_("the run stopped (see above), "
		    "%zu row not sent: restore the roster that was validated "
		    "(or one with rows only appended) and resume (the command "
		    "is above)", "the run stopped (see above), %zu rows not "
		    "sent: restore the roster that was validated (or one with "
		    "rows only appended) and resume (the command is above)",
		    left), left);
	else
		err_set(e, t->stop, rp, P_("an account stopped (see above); "
		    "%zu row was not sent: fix it and resume (the command is "
		    "above)", "an account stopped (see above); %zu rows were "
		    "not sent: fix it and resume (the command is above)", left),
		    left);
	return -1;
}

/* "N rows were refused permanently", translated, into buf. */
static const char *
refused(const struct tally *t, char *buf, size_t size)
{
	snprintf(buf, size, P_("%zu row was refused permanently",
	    "%zu rows were refused permanently", t->failed), t->failed);
	return buf;
}

/* The outcome of the whole run as one error kind. */
static int
verdict(const struct send *s, struct err *e)
{
	const char *rp = s->report_path;
	char buf[128];
	struct tally t;

	add_up(s, &t);
	summary(s, &t);
	if (t.stop == E_OS || t.stop == E_INPUT)
		return stopped_verdict(s, &t, e);
	if (stopping(s))
		err_set(e, E_TEMP, rp, P_("interrupted: %zu row not sent%s; "
		    "the command above sends it (rows sent are never sent "
		    "again)", "interrupted: %zu rows not sent%s; the command "
		    "above sends them (rows sent are never sent again)",
		    t.untried + t.later), t.untried + t.later,
		    t.unknown ? _(", and some unknown") : "");
	else if (t.stop == E_AUTH || t.stop == E_NET || t.stop == E_TLS ||
	    t.stop == E_PROTO || t.stop == E_INTERNAL)
		return stopped_verdict(s, &t, e);
	else if (t.partial > t.partial_temp)
		err_set(e, E_PERM, rp, "%s, %zu partly (some recipients "
		    "refused): see 'mailmerge report %s'",
		    refused(&t, buf, sizeof(buf)), t.partial, rp);
	else if (t.failed > 0)
		err_set(e, E_PERM, rp, "%s: see 'mailmerge report %s'",
		    refused(&t, buf, sizeof(buf)), rp);
	else if (t.later + t.untried > 0 || t.stop != E_NONE)
		err_set(e, E_TEMP, rp, P_("%zu row deferred, skipped or not "
		    "attempted%s: resume (the command is above)", "%zu rows "
		    "deferred, skipped or not attempted%s: resume (the "
		    "command is above)", t.later + t.untried),
		    t.later + t.untried, t.unknown ? _(", and some unknown") :
		    "");
	else if (t.partial > 0)
		err_set(e, E_TEMP, rp, P_("%zu row was partly sent: some "
		    "recipients refused it for now (see 'mailmerge report "
		    "%s'); resume never resends a row some recipients have: "
		    "mail those recipients separately", "%zu rows were partly "
		    "sent: some recipients refused them for now (see "
		    "'mailmerge report %s'); resume never resends a row some "
		    "recipients have: mail those recipients separately",
		    t.partial), t.partial, rp);
	else if (t.unknown > 0)
		err_set(e, E_TEMP, rp, P_("%zu row is unknown (the connection "
		    "was lost after its last byte): check the Sent folder; "
		    "--resume never sends it again", "%zu rows are unknown "
		    "(the connection was lost after their last byte): check "
		    "the Sent folder; --resume never sends them again",
		    t.unknown), t.unknown);
	else
		return 0;
	return -1;
}

/* --skip-invalid: each row left out gets its line, with the reason. */
static int
record_invalid(struct send *s, struct err *e)
{
	size_t i;

	for (i = 0; i < s->j.nbad; i++)
		if (report_skipped(s->rep, s->j.bad[i].row, s->j.bad[i].why,
		    time(NULL), e) == -1)
			return -1;
	return 0;
}

/* --test-to: no report; the outcome said plainly. */
static int
test_verdict(const struct send *s, struct err *e)
{
	struct tally t;

	add_up(s, &t);
	summary(s, &t);
	if (t.sent == s->pr.total)
		return 0;
	err_set(e, t.stop != E_NONE ? t.stop : t.failed > 0 ? E_PERM :
	    E_TEMP, NULL, "the test mail was not accepted for <%s> (see "
	    "above); no student was sent anything", s->test_to);
	return -1;
}

static int
deliver_test(struct send *s, struct err *e)
{
	int rc;

	s->start_ms = clock_ms();
	rc = start_threads(s, e);
	join_threads(s);
	return rc == 0 ? test_verdict(s, e) : -1;
}

static int
deliver_all(struct send *s, struct err *e)
{
	struct report_meta meta = { s->j.roster_abs, s->j.roster_sum,
	    s->j.template_abs, s->j.template_sum, roster_sheet(s->j.roster) };
	struct err ce;
	int rc;

	if (s->test_to[0] != '\0')
		return deliver_test(s, e);
	/* Appended to, never truncated: check_fresh() saw it empty. */
	if (report_open(&s->rep, s->report_path, &meta, true, true, e) == -1)
		return -1;
	s->delivering = true;
	if (record_invalid(s, e) == -1) {
		report_close(s->rep, NULL);
		s->rep = NULL;
		return -1;
	}
	s->start_ms = clock_ms();
	rc = start_threads(s, e);
	join_threads(s);
	if (report_close(s->rep, &ce) == -1 && s->write_err.kind == E_NONE)
		s->write_err = ce;
	s->rep = NULL;
	/* Compaction only tidies: the journal is as true without it. */
	if (rc == 0 && s->write_err.kind == E_NONE &&
	    report_compact(s->report_path, &ce) == -1)
		job_diag(&s->j, JOB_WARNING, &ce);
	return rc == 0 ? verdict(s, e) : -1;
}

static void
teardown(struct send *s)
{
	size_t i;

	for (i = 0; i < s->nruns; i++) {
		struct run *run = &s->runs[i];

		buf_wipe(&run->secret);
		slot_free(run->slot[0]);
		slot_free(run->slot[1]);
		roster_free(run->rd);
		free(run->retry);
		for (size_t k = 0; k < run->npend; k++)
			buf_fini(&run->pend[k].addrs);
		free(run->pend);
	}
	free(s->runs);
	resume_fini(&s->rs);
	/* A default report this run made and never sent with: no litter. */
	if (s->made_report && !s->delivering)
		unlink(s->report_path);
	report_unlock(s->lock_file);
	conn_trusts_free(s->trusts);
	config_free(s->cfg);
	job_fini(&s->j);
	pthread_mutex_destroy(&s->lock);
}

int
send_batch(const struct job_params *p, struct err *e)
{
	struct send s;
	struct job_checks checks;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	s.user = p;
	s.params = *p;
	s.params.diag = keep_diag;
	s.params.diag_arg = &s;
	s.p = &s.params;
	pthread_mutex_init(&s.lock, NULL);
	job_init(&s.j, s.p);
	checks.route = check_route;
	checks.after = check_quirks;
	checks.arg = &s;
	if (parse_test_to(&s, e) == -1 || conn_global_init(e) == -1 ||
	    report_name(&s, e) == -1 || job_roster_stat(&s.j, false, e) == -1 ||
	    setup(&s, e) == -1 || job_validate(&s.j, &checks, e) == -1 ||
	    job_roster_stat(&s.j, true, e) == -1 ||
	    resume_check_rows(&s.rs, s.j.rows, p->limit, s.report_path,
	    p->roster, e) == -1 || state_fit(&s) == -1 ||
	    fetch_secrets(&s, e) == -1)
		goto out;
	show_first(&s);
	if (plan(&s, e) == -1)
		goto out;
	s.sending = true;
	if (stopping(&s)) {
		err_set(e, E_USAGE, NULL, "interrupted: nothing was sent");
		goto out;
	}
	rc = deliver_all(&s, e);
out:
	teardown(&s);
	return rc;
}
