/*
 * mailmerge relay: a local SMTP server whose every reply is the truth
 * upstream.  A client's first RCPT is routed to its account (send's
 * route rules); the account's one session is locked for the
 * transaction, the pace is waited out, and MAIL goes upstream with the
 * account's envelope sender; each RCPT is relayed as it comes and
 * answered with the provider's reply; the end of data is answered with
 * the provider's verdict.  Nothing is queued, so the relay can neither
 * lose a message nor send one twice: a lost reply after the final dot
 * is `unknown` in the report and a 451 to the client, which says so.
 *
 * One thread per client (up to max_clients); one session per account,
 * kept open across clients behind a mutex, so their messages
 * interleave under the account's pace.  The report has one lock.
 * Commands are parsed by smtpserver.c; every read has a deadline for
 * the whole line (a slowloris client times out), commands are capped
 * at 512 octets and text lines at 1000 (RFC 5321 §4.5.3.1), and DATA
 * with a bare CR or LF is refused (SMTP smuggling): only CRLF.CRLF ends
 * it.  AUTH is required whenever [relay] has credentials, and with a
 * certificate it is offered only after STARTTLS.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "codec.h"
#include "config.h"
#include "conn.h"
#include "i18n.h"
#include "nitems.h"
#include "outbox.h"
#include "ratelimit.h"
#include "relay.h"
#include "report.h"
#include "smtp.h"
#include "smtpserver.h"
#include "xalloc.h"

#define RELAY_SIZE_DEFAULT	(35u << 20)	/* octets of one message */
#define RELAY_CLIENTS_DEFAULT	8
#define RELAY_CMD_MS		(5 * 60 * 1000)	/* RFC 5321 §4.5.3.2.7 */
#define RELAY_DATA_MS		(10 * 60 * 1000)	/* a whole DATA */
#define RELAY_ACCEPT_MS		200	/* how often the stop flag is seen */
#define RELAY_AUTH_FAILS	3	/* then 421 and close */
#define RELAY_RCPT_MAX		100	/* RFC 5321 §4.5.3.1.8 */
#define RELAY_REPLY_MAX		(SMTP_REPLY_MAX + 64)


/* One account's upstream session, shared by the clients. */
struct upstream {
	pthread_mutex_t	 lock;		/* held for a whole transaction */
	const struct account *a;
	struct smtp	*smtp;		/* or NULL: connect on demand */
	struct buf	 secret;
	struct ratelimit rl;
	unsigned	 in_session;	/* messages over this session */
};

struct relay {
	const struct relay_params *p;
	struct config	*cfg;
	struct upstream	*up;		/* one per account */
	struct conn_tls_server *tls;	/* or NULL: no STARTTLS */
	struct conn_trusts *trusts;	/* the accounts' CA stores, shared */
	bool		 loopback;
	bool		 creds;		/* clients must AUTH */
	struct buf	 secret;	/* the relay password clients give */
	size_t		 max_size;
	unsigned	 max_clients;
	int		 cmd_ms;
	char		 name[64];	/* in the greeting */
	char		 report_path[4096];
	pthread_mutex_t	 lock;		/* what follows */
	pthread_cond_t	 done;		/* a client ended */
	unsigned	 nclients;
	unsigned	 nconn;		/* connections so far, for traces */
	struct report	*rep;
	struct report_lock *rlock;	/* held while the relay runs */
	size_t		 seq;		/* the last row number given */
};

/* One client connection: its thread owns all of it. */
struct client {
	struct relay	*r;
	struct conn	*c;
	unsigned	 id;
	bool		 greeted;	/* EHLO or HELO seen */
	bool		 authed;
	bool		 quit;
	bool		 mail;		/* MAIL taken: a transaction is open */
	char		 from[SMTPSERVER_PATH_MAX];	/* the client's */
	size_t		 size;		/* MAIL SIZE= */
	bool		 eightbit, smtputf8;
	struct upstream	*up;		/* locked while not NULL */
	struct buf	 rcpts;		/* accepted, "a;b" */
	size_t		 nrcpt;
	char		 refused[SMTP_REPLY_MAX];
	struct buf	 msg;		/* the content, unstuffed */
	unsigned	 auth_fails;
	size_t		 row;		/* this message's report row */
	char		 msgid[SMTPSERVER_CMD_MAX];
};

static void __attribute__((format(printf, 3, 4)))
note(const struct relay *r, enum job_level level, const char *fmt, ...)
{
	struct err e;
	va_list ap;

	if (r->p->diag == NULL)
		return;
	err_clear(&e);
	e.kind = level == JOB_ERROR ? E_NET : E_NONE;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), _(fmt), ap);
	va_end(ap);
	snprintf(e.where, sizeof(e.where), "relay");
	r->p->diag(r->p->diag_arg, level, &e);
}

/* --- the client dialogue ------------------------------------------ */

static void
trace_client(const struct client *cl, const char *dir, const char *text)
{
	FILE *f = cl->r->p->trace;

	if (f == NULL)
		return;
	flockfile(f);
	fprintf(f, "[relay #%u] %s: %s\n", cl->id, dir, text);
	funlockfile(f);
}

/* Queue one reply line ("250-x" when more follow). */
static void __attribute__((format(printf, 5, 6)))
say(struct client *cl, int code, bool more, const char *enh,
    const char *fmt, ...)
{
	char line[RELAY_REPLY_MAX], text[RELAY_REPLY_MAX];
	struct err e;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = snprintf(line, sizeof(line) - 2, "%d%c%s%s%s", code,
	    more ? '-' : ' ', enh != NULL ? enh : "",
	    enh != NULL && enh[0] != '\0' ? " " : "", text);
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		n = (int)strlen(line);
	trace_client(cl, "S", line);
	memcpy(line + n, "\r\n", 2);
	/* A client that cannot take a reply is gone: the read says so. */
	conn_write(cl->c, line, (size_t)n + 2, &e);
}

static void
say_r(struct client *cl, const struct smtpserver_reply *r)
{
	say(cl, r->code, false, r->enh, "%s", r->text);
}

/* A provider's reply, as it is, marked with the account. */
static void
say_up(struct client *cl, const struct smtp_reply *up, const char *acct)
{
	char enh[16];

	snprintf(enh, sizeof(enh), "%s", up->enh);
	if (enh[0] == '\0')
		snprintf(enh, sizeof(enh), "%d.0.0", up->code / 100);
	say(cl, up->code, false, enh, "[%s] %s", acct, up->text);
}

/*
 * One raw line within the command deadline, watching the stop flag
 * between slices: 0, or -1 after saying why the connection ends.
 */
static int
read_line(struct client *cl, const char **p, size_t *n)
{
	struct relay *r = cl->r;
	uint64_t end = clock_ms() + (uint64_t)r->cmd_ms, t;
	struct err e;
	int rc;

	for (;;) {
		if (*r->p->stop && !cl->mail) {
			say(cl, 421, false, "4.3.2", "%s shutting down",
			    r->name);
			return -1;
		}
		t = clock_ms();
		if (t >= end) {
			trace_client(cl, "--", _("command deadline passed"));
			say(cl, 421, false, "4.4.2", "%s closing: no complete "
			    "command within %d s", r->name, r->cmd_ms / 1000);
			return -1;
		}
		rc = conn_readraw(cl->c, (int)(end - t < RELAY_ACCEPT_MS ?
		    end - t : RELAY_ACCEPT_MS), p, n, &e);
		if (rc == 0)
			return 0;
		if (rc == -1) {
			trace_client(cl, "--", e.msg);
			return -1;
		}
	}
}

/*
 * Read one command line: 0 with *line (no CRLF), 1 after replying to
 * a bad one, -1 when the connection ends.
 */
static int
read_cmd(struct client *cl, const char **line, size_t *len)
{
	const char *p;
	size_t n;

	if (read_line(cl, &p, &n) == -1)
		return -1;
	if (n > SMTPSERVER_CMD_MAX) {
		say(cl, 500, false, "5.5.2", "line too long (RFC 5321 "
		    "§4.5.3.1.4: 512 octets)");
		/* Without its end in sight, the rest would read as commands. */
		if (p[n - 1] != '\n') {
			cl->quit = true;
			return -1;
		}
		return 1;
	}
	if (n < 2 || p[n - 2] != '\r') {
		say(cl, 500, false, "5.5.2", "command must end with CRLF");
		return 1;
	}
	*line = p;
	*len = n - 2;
	return 0;
}

/* Read one AUTH continuation line: 0, or -1 (client gone, or "*"). */
static int
read_auth_line(struct client *cl, struct buf *out)
{
	const char *p;
	size_t n;
	int rc;

	rc = read_cmd(cl, &p, &n);
	if (rc != 0) {
		cl->quit = rc == -1;
		return -1;
	}
	trace_client(cl, "C", "<redacted>");
	if (n == 1 && p[0] == '*') {
		say(cl, 501, false, "5.0.0", "authentication cancelled");
		return -1;
	}
	if (codec_unbase64(out, p, n) == -1) {
		say(cl, 501, false, "5.5.2", "not base64");
		return -1;
	}
	return 0;
}

/* --- upstream ------------------------------------------------------- */

static void
up_drop(struct upstream *u)
{
	smtp_close(u->smtp);
	u->smtp = NULL;
}

/*
 * A session ready for MAIL (reconnecting after a loss or at the
 * account's per-session cap): 0, or -1 with the reply for the client.
 */
static int
up_ready(struct relay *r, struct upstream *u, struct smtp_reply *why)
{
	struct smtp_params sp;
	struct err e;
	unsigned cap = u->a->max_per_session;

	if (u->smtp != NULL && (smtp_broken(u->smtp) ||
	    (cap != 0 && u->in_session >= cap)))
		up_drop(u);
	if (u->smtp != NULL)
		return 0;
	config_smtp_params(u->a, buf_str(&u->secret), r->p->trace, &sp);
	sp.trusts = r->trusts;
	memset(why, 0, sizeof(*why));
	if (smtp_open(&u->smtp, &sp, why, &e) == 0) {
		u->in_session = 0;
		return 0;
	}
	u->smtp = NULL;
	note(r, JOB_WARNING, "[%s] %s:%s: %s", u->a->name, u->a->host,
	    u->a->port, e.msg);
	/*
	 * A provider's 4xx/5xx goes to the client as it is.  The provider
	 * refusing the relay's own login, a lost network or TLS, or a 421
	 * (the relay stays up) are temporary for the client.
	 */
	if ((e.kind == E_TEMP || e.kind == E_PERM) && why->code >= 400 &&
	    why->code != 421)
		return -1;
	why->code = e.kind == E_AUTH ? 454 : 451;
	snprintf(why->enh, sizeof(why->enh), "%s", e.kind == E_AUTH ?
	    "4.7.0" : "4.4.1");
	/* Cut to fit the reply line: the log has the whole message. */
	snprintf(why->text, sizeof(why->text), "relay cannot use the "
	    "account: %.*s", (int)sizeof(why->text) - 40, e.msg);
	return -1;
}

/*
 * Wait out the account's pace, holding its lock: the reply waits too.
 * The mail counts at its slot, not when the sleep ended, so a late
 * wake-up does not slow every later mail (the average rate holds).
 */
static void
up_pace(struct upstream *u)
{
	uint64_t t = clock_ms(), w = ratelimit_wait(&u->rl, t);

	if (w > 0)
		clock_sleep_ms(w);
	ratelimit_take(&u->rl, t + w);
}

/* --- the transaction ------------------------------------------------- */

static void
tx_reset(struct client *cl)
{
	struct err e;

	if (cl->up != NULL) {
		if (cl->up->smtp != NULL && smtp_rset(cl->up->smtp, &e) == -1)
			up_drop(cl->up);
		pthread_mutex_unlock(&cl->up->lock);
		cl->up = NULL;
	}
	cl->mail = false;
	cl->nrcpt = 0;
	cl->refused[0] = '\0';
	buf_reset(&cl->rcpts);
	buf_reset(&cl->msg);
}

/* The upstream session broke under a transaction: tell the client. */
static void
tx_broken(struct client *cl, const struct smtp_reply *rp,
    const struct err *e)
{
	const char *acct = cl->up->a->name;

	trace_client(cl, "--", e->msg);
	up_drop(cl->up);
	if (rp->code == 421) {
		/* RFC 5321 §3.8: the provider closed; so does the relay. */
		say_up(cl, rp, acct);
		cl->quit = true;
	} else
		say(cl, 451, false, "4.4.2", "[%s] connection to the "
		    "provider lost: %s", acct, e->msg);
	tx_reset(cl);
}

static void
warn_from(struct client *cl, const struct account *a)
{
	if (cl->from[0] == '\0' || strcasecmp(cl->from, a->envelope) == 0)
		return;
	note(cl->r, JOB_WARNING, "[%s] client #%u gave MAIL FROM:<%s>; the "
	    "envelope sender is the account's <%s>%s", a->name, cl->id,
	    cl->from, a->envelope, a->prov->from == PROVIDER_FROM_ANY ? "" :
	    a->prov->from == PROVIDER_FROM_REFUSED ?
	    _(" (the provider refuses a From: that is not the account's)") :
	    _(" (the provider rewrites From: to the account's)"));
}

/*
 * MAIL upstream; a kept session the provider closed while idle (a drop
 * or a 421 now) is reopened once: nothing of the message went yet.
 */
static int
up_mail(struct client *cl, struct upstream *u, struct smtp_reply *rp,
    struct err *e)
{
	bool kept = u->smtp != NULL;

	if (up_ready(cl->r, u, rp) == -1)
		return 1;
	up_pace(u);
	if (smtp_mail(u->smtp, u->a->envelope, cl->size, cl->eightbit,
	    cl->smtputf8, rp, e) == 0)
		return 0;
	if (!kept || u->in_session == 0)
		return -1;
	trace_client(cl, "--", _("the kept session was closed: reconnecting"));
	up_drop(u);
	if (up_ready(cl->r, u, rp) == -1)
		return 1;
	return smtp_mail(u->smtp, u->a->envelope, cl->size, cl->eightbit,
	    cl->smtputf8, rp, e);
}

/* The first RCPT: lock the account, pace, MAIL upstream. */
static int
tx_begin(struct client *cl, size_t idx)
{
	struct upstream *u = &cl->r->up[idx];
	struct smtp_reply rp;
	struct err e;
	int rc;

	pthread_mutex_lock(&u->lock);
	cl->up = u;
	warn_from(cl, u->a);
	rc = up_mail(cl, u, &rp, &e);
	if (rc == -1) {
		tx_broken(cl, &rp, &e);
		return -1;
	}
	if (rc == 1 || rp.code / 100 != 2) {
		say_up(cl, &rp, u->a->name);
		pthread_mutex_unlock(&u->lock);
		cl->up = NULL;
		return -1;
	}
	return 0;
}

static void
note_refused(struct client *cl, const char *addr, const struct smtp_reply *rp)
{
	size_t n = strlen(cl->refused);

	snprintf(cl->refused + n, sizeof(cl->refused) - n, "%s%s: %d %s %s",
	    n ? "; " : "", addr, rp->code, rp->enh, rp->text);
}

/* RCPT: route, open the transaction upstream if first, relay it. */
static void
do_rcpt_upstream(struct client *cl, const struct smtpserver_cmd *cmd,
    size_t idx)
{
	struct smtp_reply rp;
	struct err e;

	if (cl->up == NULL && tx_begin(cl, idx) == -1)
		return;
	if (cl->up != &cl->r->up[idx]) {
		/* RFC 5321 §4.5.3.1.10: a client retries these later. */
		say(cl, 452, false, "4.5.3", "<%s> goes out through account "
		    "[%s], not [%s]: send it in another message", cmd->arg,
		    cl->r->up[idx].a->name, cl->up->a->name);
		return;
	}
	if (smtp_rcpt(cl->up->smtp, cmd->arg, cl->smtputf8, &rp, &e) == -1) {
		tx_broken(cl, &rp, &e);
		return;
	}
	say_up(cl, &rp, cl->up->a->name);
	if (rp.code / 100 != 2) {
		note_refused(cl, cmd->arg, &rp);
		return;
	}
	if (cl->nrcpt++ > 0)
		buf_addc(&cl->rcpts, ';');
	buf_adds(&cl->rcpts, cmd->arg);
}

/* --- DATA ------------------------------------------------------------ */

/* Read the payload up to CRLF.CRLF: 0, or -1 when the client is gone. */
static int
data_read(struct client *cl, struct smtpserver_data *d)
{
	uint64_t end = clock_ms() + RELAY_DATA_MS;
	const char *p;
	size_t n;
	struct err e;
	int ms, rc;

	smtpserver_data_init(d);
	for (;;) {
		ms = (int)(end - clock_ms());
		if (ms > cl->r->cmd_ms)
			ms = cl->r->cmd_ms;
		rc = ms > 0 ? conn_readraw(cl->c, ms, &p, &n, &e) : 1;
		if (rc == -1) {
			trace_client(cl, "--", e.msg);
			return -1;
		}
		if (rc == 1) {
			trace_client(cl, "--", _("data deadline passed"));
			say(cl, 421, false, "4.4.2", "%s closing: data too "
			    "slow", cl->r->name);
			return -1;
		}
		if (smtpserver_data_feed(d, p, n, &cl->msg) == 1)
			return 0;
	}
}

static bool
header_has(const char *h, size_t n, const char *name, const char **val)
{
	size_t k = strlen(name), i = 0, e;

	while (i < n) {
		e = i;
		while (e < n && h[e] != '\n')
			e++;
		if (e - i > k && strncasecmp(h + i, name, k) == 0) {
			*val = h + i + k;
			return true;
		}
		i = e + 1;
	}
	return false;
}

/* The text of a header value up to its line end, trimmed, into out. */
static void
value_copy(const char *v, const char *end, char *out, size_t size)
{
	size_t n, i;

	v += strspn(v, " \t");
	n = strcspn(v, "\r\n");
	if (v + n > end)
		n = (size_t)(end - v);
	if (n >= size)
		n = size - 1;
	/* The client's text goes into the report: printable ASCII only. */
	for (i = 0; i < n; i++)
		out[i] = v[i] > ' ' && v[i] < 0x7f ? v[i] : '?';
	out[n] = '\0';
}

/* RFC 5322 §3.3 Date, in English whatever the locale. */
static void
date_now(char *out, size_t size)
{
	static const char *const day[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = time(NULL);
	struct tm tm;
	char zone[8];

	localtime_r(&t, &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(out, size, "%s, %d %s %d %02d:%02d:%02d %s", day[tm.tm_wday],
	    tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, zone);
}

/*
 * The message as received, with a Date and a Message-ID put in front
 * when it has none (RFC 5322 §3.6: both should be there); cl->msgid
 * gets its Message-ID for the report.
 */
static void
add_headers(struct client *cl, struct buf *out)
{
	const char *m = buf_str(&cl->msg), *end, *v;
	const char *dom = strrchr(cl->up->a->from_addr, '@');
	size_t hlen;
	char date[64];
	unsigned char rnd[8];
	char hex[17];
	size_t i;

	end = strstr(m, "\r\n\r\n");
	hlen = end != NULL ? (size_t)(end - m) + 2 : cl->msg.len;
	if (!header_has(m, hlen, "Date:", &v)) {
		date_now(date, sizeof(date));
		buf_addf(out, "Date: %s\r\n", date);
	}
	if (header_has(m, hlen, "Message-ID:", &v)) {
		value_copy(v, m + hlen, cl->msgid, sizeof(cl->msgid));
	} else {
		arc4random_buf(rnd, sizeof(rnd));
		for (i = 0; i < sizeof(rnd); i++)
			snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
		snprintf(cl->msgid, sizeof(cl->msgid), "<relay.%lld.%zu.%s@%s>",
		    (long long)time(NULL), cl->row, hex,
		    dom != NULL ? dom + 1 : "localhost");
		buf_addf(out, "Message-ID: %s\r\n", cl->msgid);
	}
	buf_add(out, cl->msg.data, cl->msg.len);
}

/* --- the report ------------------------------------------------------ */

/* One report line (the single writer): 0, or -1 (noted in the log). */
static int
journal(struct client *cl, enum report_status st, const struct smtp_reply *rp,
    const char *stage, const char *reply)
{
	struct relay *r = cl->r;
	struct report_entry x;
	struct err e;
	int rc;

	memset(&x, 0, sizeof(x));
	x.row = cl->row;
	x.recipients = buf_str(&cl->rcpts);
	x.status = st;
	x.provider = cl->up->a->prov->name;
	x.smtp_code = rp != NULL ? rp->code : 0;
	x.enhanced = rp != NULL ? rp->enh : "";
	x.reply = reply;
	x.message_id = cl->msgid;
	x.attempts = 1;
	x.time = time(NULL);
	x.account = cl->up->a->name;
	x.stage = stage;
	pthread_mutex_lock(&r->lock);
	rc = report_append(r->rep, &x, &e);
	pthread_mutex_unlock(&r->lock);
	if (rc == -1)
		note(r, JOB_ERROR, "report %s: %s", r->report_path, e.msg);
	return rc;
}

/*
 * smtp_eom_fn: the row is durably in flight before the final dot; if
 * that cannot be written the dot never goes (the client gets a 451).
 */
static int
mark_inflight(void *arg)
{
	struct client *cl = arg;

	return journal(cl, REPORT_UNKNOWN, NULL, "EOM", "in flight: the end "
	    "of the message was sent, no reply was recorded; it may or may "
	    "not have been accepted");
}

static enum report_status
status_of(const struct smtp_outcome *o)
{
	if (o->accepted)
		return REPORT_SENT;
	return o->reply.code >= 500 ? REPORT_FAILED : REPORT_DEFERRED;
}

/* The verdict: journaled, and told the client as the provider gave it. */
static void
verdict(struct client *cl, const struct smtp_outcome *o)
{
	char reply[SMTP_REPLY_MAX * 2 + SMTPSERVER_PATH_MAX + 64];
	size_t n;

	n = (size_t)snprintf(reply, sizeof(reply), "%s", o->reply.text);
	if (cl->refused[0] != '\0' && n < sizeof(reply))
		n += (size_t)snprintf(reply + n, sizeof(reply) - n,
		    "; refused: %s", cl->refused);
	/* The client's own sender is recorded: the envelope was not it. */
	if (cl->from[0] != '\0' &&
	    strcasecmp(cl->from, cl->up->a->envelope) != 0 && n < sizeof(reply))
		snprintf(reply + n, sizeof(reply) - n,
		    "; client MAIL FROM:<%s>", cl->from);
	journal(cl, status_of(o), &o->reply, smtp_stage_name(o->stage), reply);
	say_up(cl, &o->reply, cl->up->a->name);
}

/* The session broke during DATA: unknown if the dot went out. */
static void
lost(struct client *cl, const struct smtp_outcome *o, const struct err *e)
{
	const char *acct = cl->up->a->name;

	if (o->unknown) {
		journal(cl, REPORT_UNKNOWN, NULL, "EOM", e->msg);
		say(cl, 451, false, "4.4.2", "[%s] connection to the provider "
		    "lost after the end of the message: it may or may not "
		    "have been delivered (the report says unknown); check "
		    "before sending it again", acct);
		up_drop(cl->up);
		tx_reset(cl);
		return;
	}
	/* The final dot never went: not delivered, the client may retry. */
	journal(cl, REPORT_DEFERRED, &o->reply, smtp_stage_name(o->stage),
	    e->msg);
	tx_broken(cl, &o->reply, e);
}

static void
relay_message(struct client *cl)
{
	struct relay *r = cl->r;
	struct smtp_outcome o;
	struct buf out;
	struct err e;

	pthread_mutex_lock(&r->lock);
	cl->row = ++r->seq;
	pthread_mutex_unlock(&r->lock);
	buf_init(&out, r->max_size + 4096);
	add_headers(cl, &out);
	if (smtp_data(cl->up->smtp, out.data, out.len, mark_inflight, cl, &o,
	    &e) == -1)
		lost(cl, &o, &e);
	else {
		cl->up->in_session++;
		verdict(cl, &o);
		tx_reset(cl);
	}
	buf_fini(&out);
}

/* --- commands -------------------------------------------------------- */

typedef void cmd_fn(struct client *, const struct smtpserver_cmd *);

/* AUTH is offered: credentials set, and TLS on when there is a cert. */
static bool
auth_offered(const struct client *cl)
{
	return cl->r->creds && (cl->r->tls == NULL ||
	    conn_tls_verified(cl->c));
}

static void
do_ehlo(struct client *cl, const struct smtpserver_cmd *cmd)
{
	struct relay *r = cl->r;
	bool tls = r->tls != NULL && !conn_tls_verified(cl->c);

	tx_reset(cl);
	cl->greeted = true;
	if (cmd->verb == SMTPSERVER_HELO) {
		say(cl, 250, false, NULL, "%s", r->name);
		return;
	}
	say(cl, 250, true, NULL, "%s greets %s", r->name, cmd->arg);
	say(cl, 250, true, NULL, "PIPELINING");
	say(cl, 250, true, NULL, "SIZE %zu", r->max_size);
	say(cl, 250, true, NULL, "8BITMIME");
	say(cl, 250, true, NULL, "SMTPUTF8");
	if (tls)
		say(cl, 250, true, NULL, "STARTTLS");
	if (auth_offered(cl))
		say(cl, 250, true, NULL, "AUTH PLAIN LOGIN");
	say(cl, 250, false, NULL, "ENHANCEDSTATUSCODES");
}

static void
do_starttls(struct client *cl, const struct smtpserver_cmd *cmd)
{
	struct err e;

	(void)cmd;
	if (cl->r->tls == NULL) {
		say(cl, 502, false, "5.5.1", "STARTTLS not offered: no cert "
		    "in [relay]");
		return;
	}
	if (conn_tls_verified(cl->c)) {
		say(cl, 503, false, "5.5.1", "TLS already active");
		return;
	}
	say(cl, 220, false, "2.0.0", "ready to start TLS");
	if (conn_starttls_server(cl->c, cl->r->tls, cl->r->cmd_ms, &e) == -1) {
		trace_client(cl, "--", e.msg);
		cl->quit = true;
		return;
	}
	trace_client(cl, "--", _("TLS on"));
	/* RFC 3207 §4.2: forget everything said before TLS. */
	tx_reset(cl);
	cl->greeted = false;
	cl->authed = false;
}

static void
auth_result(struct client *cl, bool ok)
{
	if (ok) {
		cl->authed = true;
		say(cl, 235, false, "2.7.0", "authentication successful");
		return;
	}
	say(cl, 535, false, "5.7.8", "authentication credentials invalid");
	if (++cl->auth_fails >= RELAY_AUTH_FAILS) {
		say(cl, 421, false, "4.7.0", "%s closing: too many failed "
		    "logins", cl->r->name);
		cl->quit = true;
	}
}

static void
auth_plain(struct client *cl, const struct smtpserver_cmd *cmd,
    struct buf *in)
{
	const char *user = cl->r->cfg->relay.creds.user;

	if (cmd->has_initial) {
		if (codec_unbase64(in, cmd->initial, strlen(cmd->initial)) ==
		    -1) {
			say(cl, 501, false, "5.5.2", "not base64");
			return;
		}
	} else {
		say(cl, 334, false, NULL, "%s", "");
		if (read_auth_line(cl, in) == -1)
			return;
	}
	auth_result(cl, smtpserver_plain_ok(buf_str(in), in->len, user,
	    buf_str(&cl->r->secret)));
}

static void
auth_login(struct client *cl, const struct smtpserver_cmd *cmd,
    struct buf *in)
{
	const char *user = cl->r->cfg->relay.creds.user;
	const char *pw = buf_str(&cl->r->secret), *d;
	size_t un;
	bool ok;

	if (cmd->has_initial) {
		if (codec_unbase64(in, cmd->initial, strlen(cmd->initial)) ==
		    -1) {
			say(cl, 501, false, "5.5.2", "not base64");
			return;
		}
	} else {
		say(cl, 334, false, NULL, "VXNlcm5hbWU6");	/* Username: */
		if (read_auth_line(cl, in) == -1)
			return;
	}
	un = in->len;
	say(cl, 334, false, NULL, "UGFzc3dvcmQ6");	/* Password: */
	if (read_auth_line(cl, in) == -1)
		return;
	d = buf_str(in);
	ok = smtpserver_same(d, un, user, strlen(user));
	ok &= smtpserver_same(d + un, in->len - un, pw, strlen(pw));
	auth_result(cl, ok);
}

static void
do_auth(struct client *cl, const struct smtpserver_cmd *cmd)
{
	struct buf in;

	if (!cl->r->creds)
		say(cl, 502, false, "5.5.1", "AUTH not offered: [relay] has "
		    "no credentials");
	else if (!auth_offered(cl))
		say(cl, 538, false, "5.7.11", "encryption required: "
		    "STARTTLS first");
	else if (!cl->greeted || cl->authed || cl->mail)
		say(cl, 503, false, "5.5.1", "bad sequence: EHLO first, once, "
		    "outside a transaction");
	else if (strcasecmp(cmd->arg, "PLAIN") != 0 &&
	    strcasecmp(cmd->arg, "LOGIN") != 0)
		say(cl, 504, false, "5.5.4", "mechanism not supported: PLAIN "
		    "or LOGIN");
	else {
		buf_init(&in, SMTPSERVER_CMD_MAX * 2);
		if (strcasecmp(cmd->arg, "PLAIN") == 0)
			auth_plain(cl, cmd, &in);
		else
			auth_login(cl, cmd, &in);
		buf_wipe(&in);
	}
}

/* What MAIL and RCPT need first: 0, or -1 after refusing. */
static int
may_mail(struct client *cl)
{
	if (!cl->greeted) {
		say(cl, 503, false, "5.5.1", "EHLO or HELO first");
		return -1;
	}
	if (cl->r->creds && !cl->authed) {
		say(cl, 530, false, "5.7.0", "authentication required%s",
		    auth_offered(cl) ? "" : ": STARTTLS, then AUTH");
		return -1;
	}
	return 0;
}

static void
do_mail(struct client *cl, const struct smtpserver_cmd *cmd)
{
	if (may_mail(cl) == -1)
		return;
	if (cl->mail) {
		say(cl, 503, false, "5.5.1", "nested MAIL");
		return;
	}
	if (cmd->size > cl->r->max_size) {
		say(cl, 552, false, "5.3.4", "message size %zu exceeds the "
		    "relay's limit of %zu octets (RFC 1870)", cmd->size,
		    cl->r->max_size);
		return;
	}
	if (cmd->utf8 && !cmd->smtputf8) {
		say(cl, 553, false, "5.6.7", "non-ASCII address needs the "
		    "SMTPUTF8 parameter (RFC 6531)");
		return;
	}
	snprintf(cl->from, sizeof(cl->from), "%s", cmd->arg);
	cl->size = cmd->size;
	cl->eightbit = cmd->eightbit;
	cl->smtputf8 = cmd->smtputf8;
	cl->mail = true;
	say(cl, 250, false, "2.1.0", "sender ok; the envelope sender will "
	    "be the account's");
}

static void
do_rcpt(struct client *cl, const struct smtpserver_cmd *cmd)
{
	struct err e;
	size_t idx;

	if (may_mail(cl) == -1)
		return;
	if (!cl->mail) {
		say(cl, 503, false, "5.5.1", "MAIL first");
		return;
	}
	if (cmd->utf8 && !cl->smtputf8) {
		say(cl, 553, false, "5.6.7", "non-ASCII address needs "
		    "SMTPUTF8 on MAIL (RFC 6531)");
		return;
	}
	if (cl->nrcpt >= RELAY_RCPT_MAX) {
		say(cl, 452, false, "4.5.3", "too many recipients");
		return;
	}
	if (config_route(cl->r->cfg, cmd->arg, NULL, &idx, &e) == -1) {
		say(cl, 550, false, "5.1.2", "%s", e.msg);
		return;
	}
	do_rcpt_upstream(cl, cmd, idx);
}

static void
refuse_data(struct client *cl, const struct smtpserver_data *d)
{
	if (d->big)
		say(cl, 552, false, "5.3.4", "message over the relay's limit "
		    "of %zu octets: not sent", cl->r->max_size);
	else
		say(cl, 554, false, "5.6.0", "message holds %s: not sent",
		    d->bad);
	tx_reset(cl);
}

static void
do_data(struct client *cl, const struct smtpserver_cmd *cmd)
{
	struct smtpserver_data d;

	(void)cmd;
	if (!cl->mail) {
		say(cl, 503, false, "5.5.1", "MAIL first");
		return;
	}
	if (cl->nrcpt == 0 || cl->up == NULL) {
		say(cl, 554, false, "5.5.1", "no valid recipients");
		return;
	}
	say(cl, 354, false, NULL, "end data with <CR><LF>.<CR><LF>");
	if (data_read(cl, &d) == -1) {
		cl->quit = true;
		return;
	}
	trace_client(cl, "C", "<message>");
	if (d.bad != NULL || d.big)
		refuse_data(cl, &d);
	else
		relay_message(cl);
}

static void
do_rset(struct client *cl, const struct smtpserver_cmd *cmd)
{
	(void)cmd;
	tx_reset(cl);
	say(cl, 250, false, "2.0.0", "reset");
}

static void
do_noop(struct client *cl, const struct smtpserver_cmd *cmd)
{
	(void)cmd;
	say(cl, 250, false, "2.0.0", "OK");
}

static void
do_quit(struct client *cl, const struct smtpserver_cmd *cmd)
{
	(void)cmd;
	say(cl, 221, false, "2.0.0", "bye");
	cl->quit = true;
}

static void
do_vrfy(struct client *cl, const struct smtpserver_cmd *cmd)
{
	(void)cmd;
	say(cl, 502, false, "5.5.1", "not implemented");
}

static cmd_fn *const handler[SMTPSERVER_NVERBS] = {
	[SMTPSERVER_EHLO] = do_ehlo,
	[SMTPSERVER_HELO] = do_ehlo,
	[SMTPSERVER_STARTTLS] = do_starttls,
	[SMTPSERVER_AUTH] = do_auth,
	[SMTPSERVER_MAIL] = do_mail,
	[SMTPSERVER_RCPT] = do_rcpt,
	[SMTPSERVER_DATA] = do_data,
	[SMTPSERVER_RSET] = do_rset,
	[SMTPSERVER_NOOP] = do_noop,
	[SMTPSERVER_QUIT] = do_quit,
	[SMTPSERVER_VRFY] = do_vrfy,
};

/* Trace a command, the AUTH response redacted. */
static void
trace_cmd(struct client *cl, const char *line, size_t len,
    const struct smtpserver_cmd *cmd, bool parsed)
{
	char shown[SMTPSERVER_CMD_MAX + 32];

	if (cl->r->p->trace == NULL)
		return;
	if (parsed && cmd->verb == SMTPSERVER_AUTH)
		snprintf(shown, sizeof(shown), "AUTH %s%s", cmd->arg,
		    cmd->has_initial ? " <redacted>" : "");
	else if (len >= 5 && strncasecmp(line, "AUTH ", 5) == 0)
		snprintf(shown, sizeof(shown), "AUTH <redacted>");
	else
		snprintf(shown, sizeof(shown), "%.*s", (int)len, line);
	trace_client(cl, "C", shown);
}

static void
serve(struct client *cl)
{
	struct smtpserver_cmd cmd;
	struct smtpserver_reply rep;
	const char *line;
	size_t len;
	int rc;

	say(cl, 220, false, NULL, "%s ESMTP mailmerge relay", cl->r->name);
	while (!cl->quit) {
		rc = read_cmd(cl, &line, &len);
		if (rc == -1)
			break;
		if (rc == 1)
			continue;
		rc = smtpserver_parse(line, len, &cmd, &rep);
		trace_cmd(cl, line, len, &cmd, rc == 0);
		if (rc == -1)
			say_r(cl, &rep);
		else
			handler[cmd.verb](cl, &cmd);
	}
	tx_reset(cl);
}

static void *
client_thread(void *arg)
{
	struct client *cl = arg;
	struct relay *r = cl->r;
	struct err e;

	serve(cl);
	conn_flush(cl->c, &e);
	trace_client(cl, "--", _("closed"));
	conn_close(cl->c);
	buf_fini(&cl->rcpts);
	buf_wipe(&cl->msg);
	free(cl);
	pthread_mutex_lock(&r->lock);
	r->nclients--;
	pthread_cond_broadcast(&r->done);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* --- setup and the accept loop ------------------------------------- */

/* "127.0.0.1:2525", "[::1]:2525" into addr and port. */
static int
split_listen(const char *s, char *addr, size_t asize, char *port,
    size_t psize, struct err *e)
{
	const char *colon = strrchr(s, ':'), *a = s;
	size_t n;

	if (colon == NULL || colon[1] == '\0')
		goto bad;
	n = (size_t)(colon - s);
	if (s[0] == '[') {
		if (n < 2 || s[n - 1] != ']')
			goto bad;
		a = s + 1;
		n -= 2;
	}
	if (n == 0 || n >= asize || strlen(colon + 1) >= psize)
		goto bad;
	memcpy(addr, a, n);
	addr[n] = '\0';
	snprintf(port, psize, "%s", colon + 1);
	return 0;
bad:
	err_set(e, E_USAGE, NULL, "bad listen address \"%s\": expected "
	    "ADDR:PORT such as 127.0.0.1:2525 or [::1]:2525", s);
	return -1;
}

static bool
is_loopback(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, addr, &a6) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&a6);
}

/*
 * A non-loopback address needs TLS and credentials: other hosts can
 * reach it, and the relay sends through the accounts' logins.
 */
static int
check_exposure(struct relay *r, const char *addr, struct err *e)
{
	const struct config_relay *c = &r->cfg->relay;

	r->loopback = is_loopback(addr);
	if (r->loopback || (c->cert != NULL && c->creds.user != NULL))
		return 0;
	err_set(e, E_USAGE, r->cfg->path, "refusing to listen on %s, which "
	    "is not a loopback address, without TLS and credentials: set "
	    "cert, key, user and password_env (or password_command) in "
	    "[relay], or listen on 127.0.0.1", addr);
	return -1;
}

static int
load_secrets(struct relay *r, struct err *e)
{
	size_t i;

	r->creds = r->cfg->relay.creds.user != NULL;
	buf_init(&r->secret, SECRETS_MAX);
	/* The one place the relay's own password is fetched. */
	if (r->creds && config_secret(&r->cfg->relay.creds, &r->secret, e) ==
	    -1)
		return -1;
	r->up = xcalloc(r->cfg->nacct, sizeof(*r->up));
	for (i = 0; i < r->cfg->nacct; i++) {
		struct upstream *u = &r->up[i];

		u->a = &r->cfg->acct[i];
		pthread_mutex_init(&u->lock, NULL);
		buf_init(&u->secret, SECRETS_MAX);
		ratelimit_init(&u->rl, u->a->rate_n, u->a->rate_ms);
		if (u->a->auth != SMTP_AUTH_NONE &&
		    config_secret(u->a, &u->secret, e) == -1)
			return -1;
	}
	return 0;
}

static int
max_row(void *arg, const struct report_line *l)
{
	size_t *seq = arg;

	if (l->e.row > *seq)
		*seq = l->e.row;
	return 0;
}

/* Open the journal; rows go on after the highest one already there. */
static int
open_report(struct relay *r, struct err *e)
{
	struct report_meta meta = { "", "", "", "", "" };
	char stamp[16];
	time_t t = time(NULL);
	struct tm tm;
	size_t cut;

	if (r->p->report != NULL)
		snprintf(r->report_path, sizeof(r->report_path), "%s",
		    r->p->report);
	else {
		localtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d", &tm);
		snprintf(r->report_path, sizeof(r->report_path),
		    "out/relay-%s.csv", stamp);
		if (outbox_mkdirs("out", e) == -1)
			return -1;
	}
	/* One run at a time writes a report, as for send and bounces. */
	if (report_lock(&r->rlock, r->report_path, e) == -1)
		return -1;
	if (access(r->report_path, F_OK) == 0) {
		if (report_repair(r->report_path, &cut, e) == -1 ||
		    (report_is_old(r->report_path) &&
		    report_compact(r->report_path, e) == -1) ||
		    report_read(r->report_path, max_row, &r->seq, e) == -1)
			return -1;
	}
	return report_open(&r->rep, r->report_path, &meta, true, true, e);
}

static int
setup(struct relay *r, char *addr, size_t asize, char *port, size_t psize,
    struct err *e)
{
	const struct config_relay *c;
	const char *listen;

	if (config_load(&r->cfg, r->p->config, e) == -1)
		return -1;
	c = &r->cfg->relay;
	listen = r->p->listen ? r->p->listen : c->listen ? c->listen :
	    RELAY_LISTEN_DEFAULT;
	if (split_listen(listen, addr, asize, port, psize, e) == -1 ||
	    check_exposure(r, addr, e) == -1)
		return -1;
	r->max_size = c->max_size ? c->max_size : RELAY_SIZE_DEFAULT;
	r->max_clients = c->max_clients ? c->max_clients :
	    RELAY_CLIENTS_DEFAULT;
	r->cmd_ms = c->timeout_ms ? c->timeout_ms : RELAY_CMD_MS;
	if (gethostname(r->name, sizeof(r->name)) == -1 || r->name[0] == '\0')
		snprintf(r->name, sizeof(r->name), "localhost");
	r->name[sizeof(r->name) - 1] = '\0';
	if (c->cert != NULL &&
	    conn_tls_server_load(&r->tls, c->cert, c->key, e) == -1)
		return -1;
	if (load_secrets(r, e) == -1 || open_report(r, e) == -1)
		return -1;
	return 0;
}

/* A new client: its thread, or 421 when max_clients are in. */
static void
admit(struct relay *r, struct conn *c)
{
	struct client *cl;
	pthread_attr_t at;
	pthread_t tid;
	struct err e;
	static const char busy[] = "421 4.7.0 too many connections, try "
	    "again later\r\n";

	pthread_mutex_lock(&r->lock);
	if (r->nclients >= r->max_clients) {
		pthread_mutex_unlock(&r->lock);
		conn_set_timeout(c, 1000);
		conn_write(c, busy, sizeof(busy) - 1, &e);
		conn_flush(c, &e);
		conn_close(c);
		return;
	}
	r->nclients++;
	cl = xcalloc(1, sizeof(*cl));
	cl->id = ++r->nconn;
	pthread_mutex_unlock(&r->lock);
	cl->r = r;
	cl->c = c;
	conn_set_timeout(c, r->cmd_ms);
	buf_init(&cl->rcpts, RELAY_RCPT_MAX * (SMTPSERVER_PATH_MAX + 1));
	buf_init(&cl->msg, r->max_size);
	trace_client(cl, "--", conn_name(c));
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &at, client_thread, cl) != 0)
		client_thread(cl);	/* no thread: serve it here */
	pthread_attr_destroy(&at);
}

static int
accept_loop(struct relay *r, int lfd, struct err *e)
{
	struct conn *c;
	int n;

	while (!*r->p->stop) {
		n = conn_accept(lfd, RELAY_ACCEPT_MS, &c, e);
		if (n == -1)
			return -1;
		if (n == 0)
			continue;
		admit(r, c);
		if (r->p->once)
			break;
	}
	return 0;
}

static void
teardown(struct relay *r, int lfd)
{
	size_t i;
	struct err e;

	if (lfd != -1)
		close(lfd);
	pthread_mutex_lock(&r->lock);
	while (r->nclients > 0)
		pthread_cond_wait(&r->done, &r->lock);
	pthread_mutex_unlock(&r->lock);
	for (i = 0; r->up != NULL && i < r->cfg->nacct; i++) {
		smtp_close(r->up[i].smtp);	/* QUIT */
		buf_wipe(&r->up[i].secret);
		pthread_mutex_destroy(&r->up[i].lock);
	}
	free(r->up);
	conn_trusts_free(r->trusts);
	buf_wipe(&r->secret);
	if (r->rep != NULL && report_close(r->rep, &e) == -1)
		note(r, JOB_ERROR, "report %s: %s", r->report_path, e.msg);
	report_unlock(r->rlock);
	conn_tls_server_free(r->tls);
	config_free(r->cfg);
	pthread_cond_destroy(&r->done);
	pthread_mutex_destroy(&r->lock);
}

int
relay_run(const struct relay_params *p, struct err *e)
{
	struct relay r;
	char addr[128], port[16], bound[160];
	int lfd = -1, rc = -1;

	memset(&r, 0, sizeof(r));
	r.p = p;
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.done, NULL);
	r.trusts = conn_trusts_new();
	if (conn_global_init(e) == -1)
		goto out;
	if (setup(&r, addr, sizeof(addr), port, sizeof(port), e) == -1 ||
	    conn_listen(&lfd, addr, port, bound, sizeof(bound), e) == -1)
		goto out;
	note(&r, JOB_NOTE, P_("listening on %s (%s%s), relaying through "
	    "%zu account; report %s", "listening on %s (%s%s), relaying "
	    "through %zu accounts; report %s", r.cfg->nacct), bound, r.tls ?
	    "STARTTLS" : _("no TLS"), r.creds ? _(", AUTH required") : "",
	    r.cfg->nacct, r.report_path);
	rc = accept_loop(&r, lfd, e);
out:
	teardown(&r, lfd);
	return rc;
}
