/*
 * smtpd: mailmerge's scriptable loopback SMTP submission server for tests.
 *
 * It speaks enough RFC 5321 + RFC 3207 (STARTTLS) + RFC 4954 (AUTH PLAIN,
 * LOGIN) + RFC 2920 (PIPELINING) + RFC 3030 (CHUNKING, when scripted) to
 * receive mail from the client, stores each accepted message verbatim (after
 * dot-unstuffing; BDAT data as sent) and keeps a transcript.
 * A fault script (-s) changes replies, drops connections, delays, and sends
 * malformed replies at named stages; see tests/smtpd/README.md.
 *
 * Design: one process, one session at a time (sequential accept), blocking
 * I/O with poll() timeouts.  Sequential sessions keep the transcript and the
 * lifetime counters (EOM#3) deterministic.  All input goes through one capped
 * line reader that reads from our own buffer, so pipelined commands are never
 * lost.  This file shares no code with src/ on purpose: a bug in the client's
 * SMTP code must not be mirrored here.
 */

/* POLLRDHUP and accept4(2) are Linux extensions. */
#define _GNU_SOURCE

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#define CMD_LINE_MAX	1000		/* octets incl. CRLF, RFC 5321 4.5.3.1 */
#define DATA_LINE_MAX	1000		/* octets incl. CRLF, RFC 5322 2.1.1 */
#define IN_BUF_MAX	65536		/* input buffer, bytes */
#define MSG_MAX		(50UL * 1024 * 1024)	/* stored message cap, bytes */
#define SIZE_ADVERTISED	35882577UL	/* EHLO SIZE, bytes */
#define RCPT_MAX	100		/* recipients per message */
#define REPLY_TEXT_MAX	4096		/* scripted reply text, bytes */
#define SCRIPT_LINE_MAX	4096		/* fault script line, bytes */
#define AUTH_MAX	768		/* decoded AUTH payload, bytes */
#define HUGE_LINES_MAX	1000000		/* HUGE_REPLY cap, lines */
#define LONG_BYTES_MAX	(16L * 1024 * 1024)	/* LONG_LINE cap, bytes */
#define DELAY_MS_MAX	600000		/* DELAY cap, ms */
#define BDAT_DIGITS_MAX	9		/* BDAT chunk size, decimal digits */
#define POLL_SLICE_MS	200		/* poll granularity, ms */
#define HANDSHAKE_MS	10000		/* TLS handshake timeout, ms */
#define SEND_TIMEOUT_S	30		/* a blocked write gives up, s */
#define MAX_SECONDS	300		/* default lifetime, s */
#define IDLE_SECONDS	300		/* default per-read idle limit, s */
#define HOSTNAME	"localhost"

enum stage {
	ST_CONNECT, ST_EHLO, ST_STARTTLS, ST_AUTH, ST_MAIL, ST_RCPT, ST_DATA,
	ST_EOM, ST_RSET, ST_NOOP, ST_QUIT, ST_BDAT, ST_NUM
};

static const char *const stage_name[ST_NUM] = {
	"CONNECT", "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA",
	"EOM", "RSET", "NOOP", "QUIT", "BDAT"
};

enum rule_kind {
	R_REPLY, R_BAD_REPLY, R_DROP, R_DROP_AFTER_STORE, R_DROP_AFTER_REPLY,
	R_DELAY, R_SILENT, R_STOP_READING, R_HUGE_REPLY, R_LONG_LINE, R_DRIP
};

/* One staged directive of the fault script. */
struct rule {
	enum rule_kind	 kind;
	enum stage	 stage;
	char		*addr;		/* MAIL/RCPT selector or NULL */
	unsigned long	 nth;		/* #N selector, 0 = every time */
	int		 code;		/* REPLY code */
	char		*text;		/* REPLY text, BAD_REPLY bytes */
	size_t		 textlen;
	char		*source;	/* BAD_REPLY as written, for the log */
	long		 num;		/* DELAY/DRIP ms, HUGE lines, LONG bytes */
};

/* What the script asks for at one stage event. */
struct action {
	long			 delay_ms;
	const struct rule	*drop;
	const struct rule	*drop_after_store;
	const struct rule	*drop_after_reply;
	const struct rule	*silent;
	const struct rule	*stop_reading;
	const struct rule	*reply;		/* R_REPLY or R_BAD_REPLY */
	const struct rule	*huge;
	const struct rule	*longline;
	const struct rule	*drip;
	enum stage		 stage;
};

/* A reply: lines separated by '\n' in text, all with the same code. */
struct reply {
	int	code;
	char	text[REPLY_TEXT_MAX];
};

struct user {
	char	*name;
	char	*pass;
};

/* A growable byte buffer with a hard cap. */
struct buf {
	char	*p;
	size_t	 len;
	size_t	 size;
	size_t	 max;
};

struct server {
	int		 lfd;
	struct rule	*rules;
	size_t		 nrules;
	bool		 nostarttls;
	bool		 starttls_refuse;
	bool		 auth_before_tls;
	bool		 split;
	long		 drip_handshake_ms;	/* DRIP_HANDSHAKE, 0 = off */
	bool		 chunking;		/* CHUNKING: offer BDAT */
	bool		 mark_pipelined;	/* MARK_PIPELINED */
	unsigned long	 close421_after;	/* 0 = off */
	char		*inject;		/* INJECT_AFTER_STARTTLS bytes */
	size_t		 injectlen;
	char		*inject_source;
	char		*cert;
	char		*key;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	const char	*store;			/* -d or NULL */
	unsigned long	 seq;			/* next store sequence */
	FILE		*log;			/* -t or NULL */
	struct user	*users;
	size_t		 nusers;
	unsigned long	 count[ST_NUM];		/* lifetime stage counters */
	unsigned long	 nmsg;			/* lifetime accepted messages */
	unsigned long	 nconn;
	time_t		 deadline;
	int		 idle_ms;
	bool		 concurrent;		/* one thread per session */
	unsigned long	 active;		/* running session threads */
	pthread_mutex_t	 lock;			/* counters, store, log */
};

struct session {
	struct server	*srv;
	int		 fd;
	unsigned long	 id;
	gnutls_session_t tls;
	bool		 tls_on;
	char		 in[IN_BUF_MAX];
	size_t		 start;
	size_t		 end;
	long		 drip_ms;	/* pause after each octet written */
	bool		 greeted;
	bool		 refused;	/* greeting was 4xx/5xx */
	bool		 authed;
	bool		 in_mail;
	bool		 smtputf8;
	bool		 bdat;		/* a BDAT chunk joined this transaction */
	bool		 bdat_toobig;	/* its chunks passed MSG_MAX */
	char		*from;
	char		*rcpt[RCPT_MAX];
	size_t		 nrcpt;
	unsigned long	 accepted;	/* messages accepted this session */
	struct buf	 msg;
};

/* What a command handler tells the session loop. */
enum next { NEXT_CMD, NEXT_END };

/* Result of the capped line reader. */
enum line { LINE_OK, LINE_LONG, LINE_EOF };

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("smtpd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void *
xmalloc(size_t n)
{
	void *p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		die(71, "out of memory");
	return p;
}

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

/* ---- buffers ---- */

static void
buf_init(struct buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->size = 0;
	b->max = max;
}

static void
buf_fini(struct buf *b)
{
	free(b->p);
	buf_init(b, b->max);
}

/* Append n bytes; returns -1 (and appends nothing) past the cap. */
static int
buf_add(struct buf *b, const void *p, size_t n)
{
	size_t want;
	char *np;

	if (n > b->max - b->len)
		return -1;
	if (b->len + n > b->size) {
		want = b->size == 0 ? 4096 : b->size;
		while (want < b->len + n)
			want *= 2;
		np = realloc(b->p, want);
		if (np == NULL)
			die(71, "out of memory");
		b->p = np;
		b->size = want;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

/* ---- clock ---- */

static long
ms_left(const struct server *srv)
{
	time_t now = time(NULL);

	if (now >= srv->deadline)
		return 0;
	return (long)(srv->deadline - now) * 1000;
}

static bool
must_stop(const struct server *srv)
{
	return stopping || ms_left(srv) == 0;
}

/* Sleep ms milliseconds, returning early on SIGTERM or the deadline. */
static void
nap(const struct server *srv, long ms)
{
	long step;

	while (ms > 0 && !must_stop(srv)) {
		step = ms > 200 ? 200 : ms;
		poll(NULL, 0, (int)step);
		ms -= step;
	}
}

/* ---- transcript ---- */

/*
 * Every transcript line is written under the lock, so lines of concurrent
 * sessions never mix; with --concurrent each line carries "[N] ".
 */
static void
log_begin(struct session *s, const char *prefix)
{
	pthread_mutex_lock(&s->srv->lock);
	if (s->srv->concurrent)
		fprintf(s->srv->log, "[%lu] ", s->id);
	fputs(prefix, s->srv->log);
}

static void
log_end(struct session *s)
{
	fputc('\n', s->srv->log);
	fflush(s->srv->log);
	pthread_mutex_unlock(&s->srv->lock);
}

static void
log_raw(struct session *s, const char *prefix, const char *p, size_t n)
{
	size_t i;
	unsigned char c;

	if (s->srv->log == NULL)
		return;
	log_begin(s, prefix);
	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		/* Control bytes are escaped so one line stays one line. */
		if (c < 0x20 || c == 0x7f)
			fprintf(s->srv->log, "\\x%02x", c);
		else
			fputc(c, s->srv->log);
	}
	log_end(s);
}

static void
note(struct session *s, const char *fmt, ...)
{
	va_list ap;

	if (s->srv->log == NULL)
		return;
	log_begin(s, "-- ");
	va_start(ap, fmt);
	vfprintf(s->srv->log, fmt, ap);
	va_end(ap);
	log_end(s);
}

/* Log every CRLF-terminated line of a rendered reply as "S: line". */
static void
log_reply(struct session *s, const char *p, size_t n)
{
	const char *lf;
	size_t len;

	while (n > 0) {
		lf = memchr(p, '\n', n);
		len = lf == NULL ? n : (size_t)(lf - p) + 1;
		log_raw(s, "S: ", p, len - (lf != NULL) -
		    (lf != NULL && len >= 2 && p[len - 2] == '\r'));
		p += len;
		n -= len;
	}
}

/* ---- connection I/O ---- */

/* Wait for input; 1 ready, 0 timeout/stop, -1 error. */
static int
wait_readable(struct session *s)
{
	struct pollfd pfd;
	long idle = s->srv->idle_ms;
	int r;

	while (idle > 0 && !must_stop(s->srv)) {
		pfd.fd = s->fd;
		pfd.events = POLLIN;
		/* Short slices: SIGTERM wakes only one thread. */
		r = poll(&pfd, 1, POLL_SLICE_MS);
		if (r > 0)
			return 1;
		if (r == -1 && errno != EINTR)
			return -1;
		if (r == 0)
			idle -= POLL_SLICE_MS;
	}
	return 0;
}

/* Read more bytes into s->in; returns bytes read, 0 at EOF or timeout. */
static ssize_t
fill(struct session *s)
{
	ssize_t n;

	if (s->start > 0) {
		memmove(s->in, s->in + s->start, s->end - s->start);
		s->end -= s->start;
		s->start = 0;
	}
	for (;;) {
		/* TLS may hold a decrypted record the socket no longer shows. */
		if (!(s->tls_on && gnutls_record_check_pending(s->tls) > 0) &&
		    wait_readable(s) <= 0)
			return 0;
		if (s->tls_on)
			n = gnutls_record_recv(s->tls, s->in + s->end,
			    sizeof(s->in) - s->end);
		else
			n = recv(s->fd, s->in + s->end,
			    sizeof(s->in) - s->end, 0);
		if (n > 0) {
			s->end += (size_t)n;
			return n;
		}
		if (s->tls_on && (n == GNUTLS_E_AGAIN ||
		    n == GNUTLS_E_INTERRUPTED))
			continue;
		if (!s->tls_on && n < 0 && errno == EINTR)
			continue;
		return 0;
	}
}

/*
 * Return the next line (terminator included) in *line and *len, valid until
 * the next call.  A line longer than cap octets is consumed and dropped whole
 * (LINE_LONG), so memory stays bounded whatever the peer sends.
 */
static enum line
read_line(struct session *s, const char **line, size_t *len, size_t cap)
{
	bool skipping = false;
	const char *lf;
	size_t n;

	for (;;) {
		lf = memchr(s->in + s->start, '\n', s->end - s->start);
		if (lf != NULL) {
			n = (size_t)(lf - (s->in + s->start)) + 1;
			*line = s->in + s->start;
			*len = n;
			s->start += n;
			return skipping || n > cap ? LINE_LONG : LINE_OK;
		}
		if (s->end - s->start >= cap) {
			s->start = s->end;
			skipping = true;
		}
		if (fill(s) <= 0)
			return LINE_EOF;
	}
}

static int
write_some(struct session *s, const char *p, size_t n, size_t *done)
{
	ssize_t r;

	if (s->tls_on)
		r = gnutls_record_send(s->tls, p, n);
	else
		r = send(s->fd, p, n, MSG_NOSIGNAL);
	if (r >= 0) {
		*done = (size_t)r;
		return 0;
	}
	*done = 0;
	if (s->tls_on ? r == GNUTLS_E_INTERRUPTED : errno == EINTR)
		return stopping ? -1 : 0;
	/* EAGAIN here means SO_SNDTIMEO expired: the peer stopped reading. */
	return -1;
}

/*
 * Write all bytes, one byte per write under SPLIT_REPLIES or DRIP (which
 * also pauses after each); 0 or -1.
 */
static int
write_all(struct session *s, const char *p, size_t n)
{
	size_t done, chunk;

	while (n > 0) {
		chunk = s->srv->split || s->drip_ms > 0 ? 1 : n;
		if (write_some(s, p, chunk, &done) == -1)
			return -1;
		p += done;
		n -= done;
		if (s->drip_ms > 0 && done > 0)
			nap(s->srv, s->drip_ms);
		if (must_stop(s->srv))
			return -1;
	}
	return 0;
}

/* ---- replies ---- */

static void
reply_set(struct reply *r, int code, const char *fmt, ...)
{
	va_list ap;

	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

/* Append "code-"/"code " line i of text to out. */
static void
render_line(struct buf *out, int code, bool last, const char *p, size_t n,
    long pad_to)
{
	char head[8];
	int hl;

	hl = snprintf(head, sizeof(head), "%03d%c", code, last ? ' ' : '-');
	if (n == 0 && last)
		hl = 3;			/* "550" alone: text is optional */
	if (buf_add(out, head, (size_t)hl) == -1 || buf_add(out, p, n) == -1)
		die(71, "reply too large");
	for (pad_to -= hl + (long)n; pad_to > 0; pad_to--)
		buf_add(out, "x", 1);
	buf_add(out, "\r\n", 2);
}

static void
render_filler(struct buf *out, int code, long lines)
{
	char line[32];
	long i;
	int n;

	for (i = 1; i <= lines; i++) {
		n = snprintf(line, sizeof(line), "X-FILLER-%07ld", i);
		render_line(out, code, false, line, (size_t)n, 0);
	}
}

/* Render r into out, applying HUGE_REPLY and LONG_LINE from act. */
static void
render(struct buf *out, const struct reply *r, const struct action *act)
{
	const char *p = r->text, *nl;
	bool first = true;
	size_t n;

	for (;;) {
		nl = strchr(p, '\n');
		n = nl == NULL ? strlen(p) : (size_t)(nl - p);
		if (first && nl == NULL && act->huge != NULL) {
			/* A one-line reply grows its filler before its only line. */
			render_filler(out, r->code, act->huge->num);
		}
		render_line(out, r->code, nl == NULL, p, n,
		    first && act->longline != NULL ? act->longline->num : 0);
		if (first && nl != NULL && act->huge != NULL)
			render_filler(out, r->code, act->huge->num);
		first = false;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* Send bytes and log them; log_as replaces the per-line log if set. */
static int
send_logged(struct session *s, const char *p, size_t n, const char *log_as)
{
	if (log_as != NULL)
		log_raw(s, "S: ", log_as, strlen(log_as));
	else
		log_reply(s, p, n);
	return write_all(s, p, n);
}

/* Send an intermediate reply (334) that no script directive changes. */
static int
send_plain(struct session *s, int code, const char *text)
{
	struct action none = { 0 };
	struct reply r;
	struct buf out;
	int ret;

	reply_set(&r, code, "%s", text);
	buf_init(&out, SIZE_MAX);
	render(&out, &r, &none);
	ret = send_logged(s, out.p, out.len, NULL);
	buf_fini(&out);
	return ret;
}

/* ---- fault script: matching ---- */

static bool
rule_matches(const struct rule *ru, enum stage st, unsigned long nth,
    const char *addr)
{
	if (ru->stage != st)
		return false;
	if (ru->nth != 0 && ru->nth != nth)
		return false;
	if (ru->addr != NULL && (addr == NULL || strcasecmp(ru->addr, addr)))
		return false;
	return true;
}

static void
action_add(struct action *act, const struct rule *ru)
{
	const struct rule **slot = NULL;

	switch (ru->kind) {
	case R_DELAY:
		act->delay_ms += ru->num;
		return;
	case R_REPLY:
	case R_BAD_REPLY:
		slot = &act->reply;
		break;
	case R_DROP:
		slot = &act->drop;
		break;
	case R_DROP_AFTER_STORE:
		slot = &act->drop_after_store;
		break;
	case R_DROP_AFTER_REPLY:
		slot = &act->drop_after_reply;
		break;
	case R_SILENT:
		slot = &act->silent;
		break;
	case R_STOP_READING:
		slot = &act->stop_reading;
		break;
	case R_HUGE_REPLY:
		slot = &act->huge;
		break;
	case R_LONG_LINE:
		slot = &act->longline;
		break;
	case R_DRIP:
		slot = &act->drip;
		break;
	}
	/* The first matching rule of each kind wins. */
	if (*slot == NULL)
		*slot = ru;
}

/* Count one arrival at stage st and collect the rules that apply to it. */
static void
stage_enter(struct session *s, enum stage st, const char *addr,
    struct action *act)
{
	struct server *srv = s->srv;
	unsigned long nth;
	size_t i;

	pthread_mutex_lock(&srv->lock);
	nth = ++srv->count[st];
	pthread_mutex_unlock(&srv->lock);
	memset(act, 0, sizeof(*act));
	act->stage = st;
	for (i = 0; i < srv->nrules; i++)
		if (rule_matches(&srv->rules[i], st, nth, addr))
			action_add(act, &srv->rules[i]);
}

/*
 * Keep the connection open without a word until the peer hangs up, we
 * stop, or (sequential mode) another connection waits.  The last case
 * matters for STOP_READING: a client that gave up on a blocked write
 * cannot deliver its FIN past the data we refuse to read.
 */
static enum next
go_silent(struct session *s, bool keep_reading)
{
	struct pollfd pfd[2];
	nfds_t n = s->srv->concurrent ? 1 : 2;

	note(s, keep_reading ? "silent" : "stopped reading");
	pfd[1].fd = s->srv->lfd;
	pfd[1].events = POLLIN;
	while (!must_stop(s->srv)) {
		pfd[0].fd = s->fd;
		pfd[0].events = keep_reading ? POLLIN : POLLRDHUP;
		if (poll(pfd, n, POLL_SLICE_MS) <= 0)
			continue;
		if (pfd[0].revents & (POLLERR | POLLHUP | POLLRDHUP) ||
		    (n == 2 && pfd[1].revents != 0))
			break;
		if (keep_reading && pfd[0].revents != 0) {
			/* Discard: SILENT swallows what the client says. */
			s->start = s->end = 0;
			if (fill(s) <= 0)
				break;
			s->start = s->end = 0;
		}
	}
	return NEXT_END;
}

/*
 * Answer a stage: apply DELAY, DROP, SILENT, then send the scripted reply
 * (or the normal one), then DROP_AFTER_REPLY and STOP_READING.  Returns the
 * code the client was given (what decides the state change), or -1 when the
 * session is over.
 */
static int
answer(struct session *s, const struct action *act, const struct reply *normal)
{
	const struct rule *ru = act->reply;
	struct reply scripted;
	const struct reply *r = normal;
	struct buf out;
	int code, ret;

	nap(s->srv, act->delay_ms);
	if (act->drop != NULL) {
		note(s, "drop at %s", stage_name[act->stage]);
		return -1;
	}
	if (act->silent != NULL) {
		go_silent(s, true);
		return -1;
	}
	buf_init(&out, SIZE_MAX);
	s->drip_ms = act->drip != NULL ? act->drip->num : 0;
	if (act->drip != NULL)
		note(s, "drip %s reply, %ld ms an octet",
		    stage_name[act->stage], s->drip_ms);
	if (ru != NULL && ru->kind == R_BAD_REPLY) {
		buf_add(&out, ru->text, ru->textlen);
		buf_add(&out, "\r\n", 2);
		code = 0;
		ret = send_logged(s, out.p, out.len, ru->source);
	} else {
		if (ru != NULL) {
			reply_set(&scripted, ru->code, "%s", ru->text);
			r = &scripted;
		}
		code = r->code;
		render(&out, r, act);
		ret = send_logged(s, out.p, out.len, NULL);
	}
	s->drip_ms = 0;
	buf_fini(&out);
	if (ret == -1)
		return -1;
	if (act->drop_after_reply != NULL) {
		note(s, "drop after %s reply", stage_name[act->stage]);
		return -1;
	}
	if (act->stop_reading != NULL) {
		go_silent(s, false);
		return -1;
	}
	return code;
}

static bool
positive(int code)
{
	return code >= 200 && code < 400;
}

/* ---- transaction ---- */

static void
txn_reset(struct session *s)
{
	size_t i;

	for (i = 0; i < s->nrcpt; i++)
		free(s->rcpt[i]);
	s->nrcpt = 0;
	free(s->from);
	s->from = NULL;
	s->in_mail = false;
	s->smtputf8 = false;
	s->bdat = false;
	s->bdat_toobig = false;
	s->msg.len = 0;
}

/* ---- store ---- */

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	int ret;

	if (fd == -1)
		return -1;
	ret = fsync(fd);
	close(fd);
	return ret;
}

static int
write_file(const char *path, const char *p, size_t n, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
	ssize_t w;

	if (fd == -1)
		return -1;
	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	if (fsync(fd) == -1) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static void
sha256_hex(const struct buf *b, char hex[65])
{
	unsigned char md[32];
	int i;

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, b->p == NULL ? "" : b->p,
	    b->len, md) < 0)
		memset(md, 0, sizeof(md));
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static int
index_append(struct session *s, unsigned long seq)
{
	struct buf line;
	char path[PATH_MAX], head[64], hex[65];
	size_t i;
	int ret;

	buf_init(&line, SIZE_MAX);
	snprintf(head, sizeof(head), "%06lu\t", seq);
	buf_add(&line, head, strlen(head));
	buf_add(&line, s->from, strlen(s->from));
	buf_add(&line, "\t", 1);
	for (i = 0; i < s->nrcpt; i++) {
		if (i > 0)
			buf_add(&line, ",", 1);
		buf_add(&line, s->rcpt[i], strlen(s->rcpt[i]));
	}
	sha256_hex(&s->msg, hex);
	snprintf(head, sizeof(head), "\t%zu\t", s->msg.len);
	buf_add(&line, head, strlen(head));
	buf_add(&line, hex, 64);
	buf_add(&line, "\n", 1);
	snprintf(path, sizeof(path), "%s/index.tsv", s->srv->store);
	ret = write_file(path, line.p, line.len, O_APPEND);
	buf_fini(&line);
	return ret;
}

/* Write DIR/NNNNNN.eml (temp, fsync, rename) and its index line. */
static int
store_write(struct session *s, unsigned long seq)
{
	const char *dir = s->srv->store;
	char tmp[PATH_MAX], path[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s/.tmp-%06lu.eml", dir, seq);
	snprintf(path, sizeof(path), "%s/%06lu.eml", dir, seq);
	if (write_file(tmp, s->msg.p == NULL ? "" : s->msg.p, s->msg.len,
	    O_TRUNC) == -1 || rename(tmp, path) == -1 ||
	    fsync_dir(dir) == -1 || index_append(s, seq) == -1) {
		fprintf(stderr, "smtpd: store %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * Store the current message; returns its sequence number (the lifetime
 * message count without -d), or 0 if it could not be stored.
 */
static unsigned long
store_message(struct session *s)
{
	struct server *srv = s->srv;
	unsigned long seq;

	pthread_mutex_lock(&srv->lock);
	if (srv->store == NULL)
		seq = ++srv->nmsg;
	else if (store_write(s, srv->seq) == 0) {
		seq = srv->seq++;
		srv->nmsg++;
	} else
		seq = 0;
	pthread_mutex_unlock(&srv->lock);
	if (seq != 0 && srv->store != NULL)
		note(s, "stored %06lu", seq);
	return seq;
}

/* Continue the sequence after the highest DIR/NNNNNN.eml present. */
static void
store_open(struct server *srv)
{
	struct dirent *de;
	unsigned long n, max = 0;
	DIR *d;
	char *end;

	if (mkdir(srv->store, 0755) == -1 && errno != EEXIST)
		die(1, "%s: %s", srv->store, strerror(errno));
	d = opendir(srv->store);
	if (d == NULL)
		die(1, "%s: %s", srv->store, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != 10 || !isdigit((unsigned char)
		    de->d_name[0]))
			continue;
		n = strtoul(de->d_name, &end, 10);
		if (end == de->d_name + 6 && strcmp(end, ".eml") == 0 &&
		    n > max)
			max = n;
	}
	closedir(d);
	srv->seq = max + 1;
}

/* ---- address and parameter parsing ---- */

static bool
has_8bit(const char *p)
{
	for (; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return true;
	return false;
}

/*
 * Parse "<addr>" at *pp (RFC 5321 4.1.2; no space after the colon, no
 * display name).  Copies the address into out and leaves *pp after '>'.
 */
static int
parse_path(const char **pp, char *out, size_t outsz)
{
	const char *p = *pp, *gt;
	size_t n;

	if (*p != '<')
		return -1;
	gt = strchr(p + 1, '>');
	if (gt == NULL)
		return -1;
	n = (size_t)(gt - p - 1);
	if (n >= outsz || memchr(p + 1, '<', n) != NULL ||
	    memchr(p + 1, ' ', n) != NULL)
		return -1;
	memcpy(out, p + 1, n);
	out[n] = '\0';
	*pp = gt + 1;
	return 0;
}

/* MAIL parameters (RFC 1870, 6152, 6531); a reply on error, else code 0. */
static void
parse_mail_params(struct session *s, const char *p, struct reply *r)
{
	char word[128];
	size_t n;
	unsigned long long size;

	r->code = 0;
	while (*p == ' ') {
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n == 0)
			break;
		if (n >= sizeof(word)) {
			reply_set(r, 555, "5.5.4 Parameter too long");
			return;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		if (strncasecmp(word, "SIZE=", 5) == 0 && word[5] != '\0' &&
		    strspn(word + 5, "0123456789") == strlen(word + 5)) {
			size = strtoull(word + 5, NULL, 10);
			if (size > SIZE_ADVERTISED)
				reply_set(r, 552, "5.3.4 Message size exceeds "
				    "fixed limit");
		} else if (strcasecmp(word, "BODY=8BITMIME") == 0 ||
		    strcasecmp(word, "BODY=7BIT") == 0)
			continue;
		else if (strcasecmp(word, "SMTPUTF8") == 0)
			s->smtputf8 = true;
		else
			reply_set(r, 555, "5.5.4 Unsupported parameter %s",
			    word);
		if (r->code != 0)
			return;
	}
}

/* ---- commands ---- */

static enum next
end_if(int code)
{
	return code == -1 ? NEXT_END : NEXT_CMD;
}

static void
ehlo_text(struct session *s, struct reply *r)
{
	bool starttls = !s->tls_on && !s->srv->nostarttls;
	bool auth = s->tls_on || s->srv->auth_before_tls;

	bool chunking = s->tls_on && s->srv->chunking;

	reply_set(r, 250, HOSTNAME "\nPIPELINING\nSIZE %lu\n8BITMIME\n"
	    "ENHANCEDSTATUSCODES\nSMTPUTF8%s%s%s", SIZE_ADVERTISED,
	    chunking ? "\nCHUNKING" : "", starttls ? "\nSTARTTLS" : "",
	    auth ? "\nAUTH PLAIN LOGIN" : "");
}

static enum next
cmd_ehlo(struct session *s, const char *verb, const char *arg)
{
	struct action act;
	struct reply r;
	int code;

	stage_enter(s, ST_EHLO, NULL, &act);
	if (*arg == '\0')
		reply_set(&r, 501, "5.5.4 Syntax: %s hostname", verb);
	else if (strcasecmp(verb, "HELO") == 0)
		reply_set(&r, 250, HOSTNAME);
	else
		ehlo_text(s, &r);
	code = answer(s, &act, &r);
	if (positive(code)) {
		s->greeted = true;
		txn_reset(s);
	}
	return end_if(code);
}

static void
starttls_check(struct session *s, const char *arg, struct reply *r)
{
	if (s->srv->nostarttls)
		reply_set(r, 502, "5.5.1 Command not implemented");
	else if (*arg != '\0')
		reply_set(r, 501, "5.5.4 Syntax: STARTTLS");
	else if (!s->greeted)
		reply_set(r, 503, "5.5.1 Send EHLO first");
	else if (s->tls_on)
		reply_set(r, 503, "5.5.1 TLS already active");
	else if (s->srv->starttls_refuse)
		reply_set(r, 454, "4.7.0 TLS not available");
	else
		reply_set(r, 220, "2.0.0 Ready to start TLS");
}

/* DRIP_HANDSHAKE: the server's handshake records, one octet a pause. */
static ssize_t
drip_push(gnutls_transport_ptr_t ptr, const void *p, size_t n)
{
	struct session *s = ptr;
	ssize_t r;

	if (s->tls_on)
		return send(s->fd, p, n, MSG_NOSIGNAL);
	r = send(s->fd, p, 1, MSG_NOSIGNAL);
	if (r > 0)
		nap(s->srv, s->srv->drip_handshake_ms);
	return r;
}

static ssize_t
drip_pull(gnutls_transport_ptr_t ptr, void *p, size_t n)
{
	struct session *s = ptr;

	return recv(s->fd, p, n, 0);
}

static int
handshake(struct session *s)
{
	struct server *srv = s->srv;
	int r;

	if (gnutls_init(&s->tls, GNUTLS_SERVER) < 0)
		return -1;
	gnutls_priority_set(s->tls, srv->prio);
	gnutls_credentials_set(s->tls, GNUTLS_CRD_CERTIFICATE, srv->cred);
	gnutls_certificate_server_set_request(s->tls, GNUTLS_CERT_IGNORE);
	gnutls_transport_set_int(s->tls, s->fd);
	gnutls_handshake_set_timeout(s->tls, HANDSHAKE_MS);
	if (srv->drip_handshake_ms > 0) {
		note(s, "drip handshake, %ld ms an octet",
		    srv->drip_handshake_ms);
		gnutls_transport_set_ptr(s->tls, s);
		gnutls_transport_set_push_function(s->tls, drip_push);
		gnutls_transport_set_pull_function(s->tls, drip_pull);
		gnutls_handshake_set_timeout(s->tls, 0);
	}
	do {
		r = gnutls_handshake(s->tls);
	} while (r < 0 && !gnutls_error_is_fatal(r) && !must_stop(srv));
	if (r < 0) {
		note(s, "STARTTLS handshake failed: %s", gnutls_strerror(r));
		return -1;
	}
	s->tls_on = true;
	note(s, "STARTTLS handshake ok");
	return 0;
}

/* Send the 220 and, for INJECT_AFTER_STARTTLS, extra bytes in one write. */
static int
starttls_go(struct session *s, const struct action *act, struct reply *r)
{
	struct server *srv = s->srv;
	struct buf out;
	int ret;

	if (srv->inject == NULL || act->reply != NULL)
		return answer(s, act, r);
	nap(srv, act->delay_ms);
	if (act->drop != NULL)
		return -1;
	buf_init(&out, SIZE_MAX);
	render(&out, r, act);
	log_reply(s, out.p, out.len);
	note(s, "injected: %s", srv->inject_source);
	buf_add(&out, srv->inject, srv->injectlen);
	buf_add(&out, "\r\n", 2);
	ret = write_all(s, out.p, out.len);
	buf_fini(&out);
	return ret == -1 ? -1 : r->code;
}

static enum next
cmd_starttls(struct session *s, const char *verb, const char *arg)
{
	struct action act;
	struct reply r;
	int code;

	(void)verb;
	stage_enter(s, ST_STARTTLS, NULL, &act);
	starttls_check(s, arg, &r);
	code = starttls_go(s, &act, &r);
	if (code != 220)
		return end_if(code);
	if (s->end > s->start) {
		/* RFC 3207 4: plaintext pipelined after STARTTLS is dropped. */
		note(s, "discarded %zu plaintext bytes after STARTTLS",
		    s->end - s->start);
		s->start = s->end = 0;
	}
	if (handshake(s) == -1)
		return NEXT_END;
	/* RFC 3207 4.2: forget everything learnt before TLS. */
	s->greeted = false;
	s->authed = false;
	txn_reset(s);
	return NEXT_CMD;
}

static int
b64val(int c)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c == '\0' ? NULL : strchr(alpha, c);

	return p == NULL ? -1 : (int)(p - alpha);
}

/* Strict RFC 4648 base64 decode; returns decoded length or -1. */
static long
b64decode(const char *in, unsigned char *out, size_t outsz)
{
	size_t n = strlen(in), i, o = 0;
	int v[4], k;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		for (k = 0; k < 4; k++) {
			v[k] = b64val(in[i + k]);
			if (v[k] == -1 && !(in[i + k] == '=' && i + 4 == n &&
			    k >= 2 && (k == 3 || in[i + 3] == '=')))
				return -1;
		}
		if (o + 3 > outsz)
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (v[2] != -1)
			out[o++] = (unsigned char)(v[1] << 4 | v[2] >> 2);
		if (v[3] != -1)
			out[o++] = (unsigned char)(v[2] << 6 | v[3]);
	}
	return (long)o;
}

static bool
user_ok(const struct server *srv, const char *name, size_t nlen,
    const char *pass, size_t plen)
{
	size_t i;

	for (i = 0; i < srv->nusers; i++)
		if (strlen(srv->users[i].name) == nlen &&
		    memcmp(srv->users[i].name, name, nlen) == 0 &&
		    strlen(srv->users[i].pass) == plen &&
		    memcmp(srv->users[i].pass, pass, plen) == 0)
			return true;
	return false;
}

/*
 * Read one AUTH continuation line into out (NUL-terminated).  Returns 0,
 * 1 if the client cancelled with "*", 2 on a bad line, -1 at EOF.
 */
static int
auth_line(struct session *s, char *out, size_t outsz)
{
	const char *line;
	size_t len;
	enum line lr;

	lr = read_line(s, &line, &len, CMD_LINE_MAX);
	if (lr == LINE_EOF)
		return -1;
	log_raw(s, "C: ", "<auth data>", 11);
	if (lr == LINE_LONG || len < 2 || line[len - 2] != '\r' ||
	    len - 2 >= outsz)
		return 2;
	memcpy(out, line, len - 2);
	out[len - 2] = '\0';
	return strcmp(out, "*") == 0 ? 1 : 0;
}

/* Get a base64 response: the initial one if given, else after a 334. */
static int
auth_response(struct session *s, const char *initial, const char *challenge,
    unsigned char *out, long *outlen)
{
	char line[CMD_LINE_MAX];
	int r = 0;

	if (initial != NULL && *initial != '\0') {
		snprintf(line, sizeof(line), "%s", initial);
	} else {
		if (send_plain(s, 334, challenge) == -1)
			return -1;
		r = auth_line(s, line, sizeof(line));
	}
	if (r == 0) {
		/* RFC 4954 4: "=" is an empty initial response. */
		*outlen = strcmp(line, "=") == 0 ? 0 :
		    b64decode(line, out, AUTH_MAX - 1);
		if (*outlen < 0)
			r = 2;
	}
	explicit_bzero(line, sizeof(line));
	return r;
}

static void
auth_fail(int r, struct reply *rep)
{
	if (r == 1)
		reply_set(rep, 501, "5.7.0 Authentication cancelled");
	else
		reply_set(rep, 501, "5.5.2 Invalid base64 data");
}

static int
auth_plain(struct session *s, const char *ir, struct reply *rep)
{
	unsigned char d[AUTH_MAX];
	const char *authz, *user, *pass, *end;
	long n;
	int r;

	r = auth_response(s, ir, "", d, &n);
	if (r != 0) {
		if (r > 0)
			auth_fail(r, rep);
		return r == -1 ? -1 : 0;
	}
	d[n] = '\0';
	authz = (const char *)d;
	end = authz + n;
	user = memchr(authz, '\0', (size_t)n);
	pass = user == NULL ? NULL : memchr(user + 1, '\0',
	    (size_t)(end - user - 1));
	if (pass == NULL || (*authz != '\0' && strcmp(authz, user + 1)))
		reply_set(rep, 535, "5.7.8 Username and Password not accepted");
	else if (user_ok(s->srv, user + 1, strlen(user + 1), pass + 1,
	    (size_t)(end - pass - 1)))
		reply_set(rep, 235, "2.7.0 Authentication successful");
	else
		reply_set(rep, 535, "5.7.8 Username and Password not accepted");
	explicit_bzero(d, sizeof(d));
	return 0;
}

static int
auth_login(struct session *s, const char *ir, struct reply *rep)
{
	unsigned char user[AUTH_MAX], pass[AUTH_MAX];
	long un, pn;
	int r;

	r = auth_response(s, ir, "VXNlcm5hbWU6", user, &un);
	if (r == 0)
		r = auth_response(s, NULL, "UGFzc3dvcmQ6", pass, &pn);
	if (r > 0)
		auth_fail(r, rep);
	else if (r == 0 && user_ok(s->srv, (char *)user, (size_t)un,
	    (char *)pass, (size_t)pn))
		reply_set(rep, 235, "2.7.0 Authentication successful");
	else if (r == 0)
		reply_set(rep, 535, "5.7.8 Username and Password not accepted");
	explicit_bzero(user, sizeof(user));
	explicit_bzero(pass, sizeof(pass));
	return r == -1 ? -1 : 0;
}

static void
auth_check(struct session *s, struct reply *r)
{
	r->code = 0;
	if (!s->greeted)
		reply_set(r, 503, "5.5.1 Send EHLO first");
	else if (!s->tls_on && !s->srv->auth_before_tls)
		reply_set(r, 530, "5.7.0 Must issue a STARTTLS command first");
	else if (s->authed)
		reply_set(r, 503, "5.5.1 Already authenticated");
	else if (s->in_mail)
		reply_set(r, 503, "5.5.1 Mail transaction in progress");
}

static enum next
cmd_auth(struct session *s, const char *verb, const char *arg)
{
	char mech[16];
	const char *ir;
	struct action act;
	struct reply r;
	size_t n = strcspn(arg, " ");
	int code, ret = 0;

	(void)verb;
	stage_enter(s, ST_AUTH, NULL, &act);
	auth_check(s, &r);
	ir = arg[n] == ' ' ? arg + n + 1 : NULL;
	if (r.code == 0 && (n == 0 || n >= sizeof(mech)))
		reply_set(&r, 501, "5.5.4 Syntax: AUTH mechanism");
	if (r.code == 0 && act.reply == NULL) {
		memcpy(mech, arg, n);
		mech[n] = '\0';
		if (strcasecmp(mech, "PLAIN") == 0)
			ret = auth_plain(s, ir, &r);
		else if (strcasecmp(mech, "LOGIN") == 0)
			ret = auth_login(s, ir, &r);
		else
			reply_set(&r, 504, "5.5.4 Unrecognized authentication "
			    "type");
	}
	if (ret == -1)
		return NEXT_END;
	code = answer(s, &act, &r);
	if (code == 235)
		s->authed = true;
	return end_if(code);
}

static void
mail_check(struct session *s, const char *arg, char *addr, size_t addrsz,
    struct reply *r)
{
	const char *p = arg;

	r->code = 0;
	if (strncasecmp(p, "FROM:", 5) != 0 ||
	    parse_path((p += 5, &p), addr, addrsz) == -1) {
		reply_set(r, 501, "5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	s->smtputf8 = false;
	if (!s->greeted)
		reply_set(r, 503, "5.5.1 Send EHLO first");
	else if (!s->authed)
		reply_set(r, 530, "5.7.0 Authentication required");
	else if (s->in_mail)
		reply_set(r, 503, "5.5.1 Nested MAIL command");
	else if (*p != '\0' && *p != ' ')
		reply_set(r, 501, "5.5.4 Syntax: MAIL FROM:<address>");
	else
		parse_mail_params(s, p, r);
	/* RFC 6531 3.5: no UTF-8 address without SMTPUTF8. */
	if (r->code == 0 && has_8bit(addr) && !s->smtputf8)
		reply_set(r, 553, "5.6.7 SMTPUTF8 required for this address");
	if (r->code == 0)
		reply_set(r, 250, "2.1.0 OK");
}

static enum next
cmd_mail(struct session *s, const char *verb, const char *arg)
{
	char addr[CMD_LINE_MAX];
	struct action act;
	struct reply r;
	int code;

	(void)verb;
	addr[0] = '\0';
	mail_check(s, arg, addr, sizeof(addr), &r);
	stage_enter(s, ST_MAIL, addr, &act);
	code = answer(s, &act, &r);
	if (positive(code) && !s->in_mail) {
		s->in_mail = true;
		s->from = xstrdup(addr);
	}
	return end_if(code);
}

static void
rcpt_check(struct session *s, const char *arg, char *addr, size_t addrsz,
    struct reply *r)
{
	const char *p = arg;

	if (strncasecmp(p, "TO:", 3) != 0 ||
	    parse_path((p += 3, &p), addr, addrsz) == -1 || addr[0] == '\0')
		reply_set(r, 501, "5.5.4 Syntax: RCPT TO:<address>");
	else if (!s->in_mail)
		reply_set(r, 503, "5.5.1 Need MAIL command");
	else if (*p != '\0')
		reply_set(r, 555, "5.5.4 Unsupported parameter");
	else if (s->nrcpt >= RCPT_MAX)
		reply_set(r, 452, "4.5.3 Too many recipients");
	else if (has_8bit(addr) && !s->smtputf8)
		reply_set(r, 553, "5.6.7 SMTPUTF8 required for this address");
	else
		reply_set(r, 250, "2.1.5 OK");
}

static enum next
cmd_rcpt(struct session *s, const char *verb, const char *arg)
{
	char addr[CMD_LINE_MAX];
	struct action act;
	struct reply r;
	int code;

	(void)verb;
	addr[0] = '\0';
	rcpt_check(s, arg, addr, sizeof(addr), &r);
	stage_enter(s, ST_RCPT, addr, &act);
	code = answer(s, &act, &r);
	if (positive(code) && s->in_mail && s->nrcpt < RCPT_MAX)
		s->rcpt[s->nrcpt++] = xstrdup(addr);
	return end_if(code);
}

/* Flags gathered while reading DATA lines. */
struct data_state {
	size_t	size;		/* unstuffed bytes seen */
	bool	toobig;
	bool	longline;
	bool	bare;		/* bare CR or LF */
};

static void
data_line(struct session *s, const char *line, size_t len,
    struct data_state *ds)
{
	if (len < 2 || line[len - 2] != '\r' ||
	    memchr(line, '\r', len - 2) != NULL)
		ds->bare = true;
	/* RFC 5321 4.5.2: a leading dot was doubled by the client. */
	if (line[0] == '.') {
		line++;
		len--;
	}
	ds->size += len;
	if (!ds->toobig && buf_add(&s->msg, line, len) == -1)
		ds->toobig = true;
}

/* Read the message up to CRLF.CRLF; -1 at EOF. */
static int
data_read(struct session *s, struct data_state *ds)
{
	const char *line;
	size_t len;
	enum line lr;

	memset(ds, 0, sizeof(*ds));
	s->msg.len = 0;
	for (;;) {
		lr = read_line(s, &line, &len, DATA_LINE_MAX);
		if (lr == LINE_EOF)
			return -1;
		if (lr == LINE_LONG) {
			ds->longline = true;
			continue;
		}
		if (len == 3 && memcmp(line, ".\r\n", 3) == 0)
			return 0;
		data_line(s, line, len, ds);
	}
}

static void
eom_normal(const struct data_state *ds, struct reply *r)
{
	if (ds->toobig)
		reply_set(r, 552, "5.3.4 Message size exceeds fixed limit");
	else if (ds->longline)
		reply_set(r, 554, "5.6.0 Line longer than 998 octets in "
		    "message data");
	else if (ds->bare)
		reply_set(r, 554, "5.6.0 Bare CR or LF in message data");
	else
		reply_set(r, 250, "2.0.0 OK");
}

/* End of data: store (before replying, so a lost 250 is "unknown"). */
static enum next
eom(struct session *s, const struct data_state *ds)
{
	struct action act;
	struct reply r;
	unsigned long seq;
	int code;

	stage_enter(s, ST_EOM, NULL, &act);
	eom_normal(ds, &r);
	if (act.drop != NULL)
		return end_if(answer(s, &act, &r));
	code = act.reply != NULL ? act.reply->code : r.code;
	if (positive(code) && !ds->toobig) {
		seq = store_message(s);
		if (seq == 0)
			reply_set(&r, 451, "4.3.0 Cannot store message");
		else if (r.code == 250)
			reply_set(&r, 250, "2.0.0 OK queued as %06lu", seq);
		if (seq != 0)
			s->accepted++;
	}
	if (act.drop_after_store != NULL) {
		note(s, "drop after store at EOM");
		return NEXT_END;
	}
	code = answer(s, &act, &r);
	txn_reset(s);
	return end_if(code);
}

static enum next
cmd_data(struct session *s, const char *verb, const char *arg)
{
	struct data_state ds;
	struct action act;
	struct reply r;
	char note_text[64];
	int code;

	(void)verb;
	stage_enter(s, ST_DATA, NULL, &act);
	if (*arg != '\0')
		reply_set(&r, 501, "5.5.4 Syntax: DATA");
	else if (!s->in_mail)
		reply_set(&r, 503, "5.5.1 Need MAIL command");
	else if (s->bdat)
		reply_set(&r, 503, "5.5.1 DATA after BDAT");
	else if (s->nrcpt == 0)
		reply_set(&r, 554, "5.5.1 No valid recipients");
	else
		reply_set(&r, 354, "End data with <CR><LF>.<CR><LF>");
	code = answer(s, &act, &r);
	if (code != 354)
		return end_if(code);
	if (data_read(s, &ds) == -1) {
		note(s, "EOF in DATA");
		return NEXT_END;
	}
	/* The payload is not logged, only its size after unstuffing. */
	snprintf(note_text, sizeof(note_text), "<data %zu bytes>", ds.size);
	log_raw(s, "C: ", note_text, strlen(note_text));
	return eom(s, &ds);
}

static enum next
cmd_notimpl(struct session *s, const char *verb, const char *arg)
{
	(void)verb;
	(void)arg;
	return end_if(send_plain(s, 502, "5.5.1 Command not implemented"));
}

/* "BDAT size [LAST]" (RFC 3030 2); false on a syntax error. */
static bool
bdat_parse(const char *arg, size_t *size, bool *last)
{
	size_t n = strspn(arg, "0123456789");

	if (n == 0 || n > BDAT_DIGITS_MAX)
		return false;
	*size = (size_t)strtoul(arg, NULL, 10);
	*last = strcasecmp(arg + n, " LAST") == 0;
	return *last || arg[n] == '\0';
}

/* Read size octets of chunk data, into s->msg when keep; -1 at EOF. */
static int
chunk_read(struct session *s, size_t size, bool keep)
{
	size_t n;

	while (size > 0) {
		if (s->end == s->start && fill(s) <= 0)
			return -1;
		n = s->end - s->start;
		if (n > size)
			n = size;
		if (keep && !s->bdat_toobig &&
		    buf_add(&s->msg, s->in + s->start, n) == -1)
			s->bdat_toobig = true;
		s->start += n;
		size -= n;
	}
	return 0;
}

/*
 * The checks DATA makes line by line, over the whole BDAT message: bare
 * CR or LF, lines over 998 octets.  A last line without CRLF is allowed.
 */
static void
chunk_check(const struct session *s, struct data_state *ds)
{
	const char *p = s->msg.p;
	size_t i, col = 0;

	memset(ds, 0, sizeof(*ds));
	ds->size = s->msg.len;
	ds->toobig = s->bdat_toobig;
	for (i = 0; i < s->msg.len; i++) {
		if (p[i] == '\r' && i + 1 < s->msg.len && p[i + 1] == '\n') {
			i++;
			col = 0;
		} else if (p[i] == '\r' || p[i] == '\n') {
			ds->bare = true;
			col = 0;
		} else if (++col > DATA_LINE_MAX - 2)
			ds->longline = true;
	}
}

/* A chunk that ends no message: 250, or the transaction fails. */
static enum next
chunk_reply(struct session *s, size_t size)
{
	struct action act;
	struct reply r;
	int code;

	stage_enter(s, ST_BDAT, NULL, &act);
	if (!s->in_mail)
		reply_set(&r, 503, "5.5.1 Need MAIL command");
	else if (s->nrcpt == 0)
		reply_set(&r, 554, "5.5.1 No valid recipients");
	else
		reply_set(&r, 250, "2.0.0 %zu octets received", size);
	code = answer(s, &act, &r);
	/* RFC 3030 2: after a refused chunk the transaction is over. */
	if (code != -1 && !positive(code))
		txn_reset(s);
	return end_if(code);
}

static enum next
cmd_bdat(struct session *s, const char *verb, const char *arg)
{
	struct data_state ds;
	char note_text[64];
	size_t size;
	bool last, valid;

	if (!s->srv->chunking)
		return cmd_notimpl(s, verb, arg);
	/* Without a size nothing can be skipped: the rest is commands. */
	if (!bdat_parse(arg, &size, &last))
		return end_if(send_plain(s, 501, "5.5.4 Syntax: BDAT size "
		    "[LAST]"));
	valid = s->in_mail && s->nrcpt > 0;
	/* RFC 3030 2: the chunk is read even when it will be refused. */
	if (chunk_read(s, size, valid) == -1) {
		note(s, "EOF in BDAT");
		return NEXT_END;
	}
	snprintf(note_text, sizeof(note_text), "<data %zu bytes>", size);
	log_raw(s, "C: ", note_text, strlen(note_text));
	if (valid)
		s->bdat = true;
	if (!valid || !last)
		return chunk_reply(s, size);
	chunk_check(s, &ds);
	return eom(s, &ds);
}

static enum next
cmd_rset(struct session *s, const char *verb, const char *arg)
{
	struct action act;
	struct reply r;
	int code;

	(void)verb;
	stage_enter(s, ST_RSET, NULL, &act);
	if (*arg != '\0')
		reply_set(&r, 501, "5.5.4 Syntax: RSET");
	else
		reply_set(&r, 250, "2.0.0 OK");
	code = answer(s, &act, &r);
	if (positive(code))
		txn_reset(s);
	return end_if(code);
}

static enum next
cmd_noop(struct session *s, const char *verb, const char *arg)
{
	struct action act;
	struct reply r;

	(void)verb;
	(void)arg;
	stage_enter(s, ST_NOOP, NULL, &act);
	reply_set(&r, 250, "2.0.0 OK");
	return end_if(answer(s, &act, &r));
}

static enum next
cmd_quit(struct session *s, const char *verb, const char *arg)
{
	struct action act;
	struct reply r;

	(void)verb;
	(void)arg;
	stage_enter(s, ST_QUIT, NULL, &act);
	reply_set(&r, 221, "2.0.0 Bye");
	answer(s, &act, &r);
	return NEXT_END;
}


static const struct command {
	const char	*verb;
	enum next	(*fn)(struct session *, const char *, const char *);
} commands[] = {
	{ "EHLO", cmd_ehlo },
	{ "HELO", cmd_ehlo },
	{ "STARTTLS", cmd_starttls },
	{ "AUTH", cmd_auth },
	{ "MAIL", cmd_mail },
	{ "RCPT", cmd_rcpt },
	{ "DATA", cmd_data },
	{ "RSET", cmd_rset },
	{ "NOOP", cmd_noop },
	{ "QUIT", cmd_quit },
	{ "VRFY", cmd_notimpl },
	{ "EXPN", cmd_notimpl },
	{ "HELP", cmd_notimpl },
	{ "BDAT", cmd_bdat },
	{ "ETRN", cmd_notimpl },
};

/* Log a command line; AUTH payloads become "<auth data>". */
static void
log_command(struct session *s, const char *cmd, size_t n)
{
	size_t sp;

	if (n <= 5 || strncasecmp(cmd, "AUTH ", 5) != 0) {
		log_raw(s, "C: ", cmd, n);
		return;
	}
	sp = strcspn(cmd + 5, " ");
	if (5 + sp >= n || s->srv->log == NULL) {
		log_raw(s, "C: ", cmd, n);
		return;
	}
	log_begin(s, "C: ");
	fprintf(s->srv->log, "%.*s <auth data>", (int)(5 + sp), cmd);
	log_end(s);
}

static enum next
dispatch(struct session *s, char *cmd)
{
	size_t i, vlen = strcspn(cmd, " ");
	const char *arg = cmd[vlen] == ' ' ? cmd + vlen + 1 : cmd + vlen;
	char verb[16];

	if (vlen >= sizeof(verb))
		vlen = sizeof(verb) - 1;
	memcpy(verb, cmd, vlen);
	verb[vlen] = '\0';
	if (s->refused && strcasecmp(verb, "QUIT") != 0)
		return end_if(send_plain(s, 503, "5.5.1 No service"));
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcasecmp(verb, commands[i].verb) == 0)
			return commands[i].fn(s, commands[i].verb, arg);
	return end_if(send_plain(s, 500, "5.5.1 Command unrecognized"));
}

/* Read, check and run one command line. */
static enum next
command(struct session *s)
{
	char cmd[CMD_LINE_MAX];
	const char *line;
	size_t len, i;
	enum line lr;
	bool buffered;

	/* The whole line came with earlier input: the client pipelined it. */
	buffered = memchr(s->in + s->start, '\n', s->end - s->start) != NULL;
	lr = read_line(s, &line, &len, CMD_LINE_MAX);
	if (lr == LINE_EOF)
		return NEXT_END;
	if (buffered && s->srv->mark_pipelined)
		note(s, "pipelined");
	if (lr == LINE_LONG) {
		log_raw(s, "C: ", "<line too long>", 15);
		return end_if(send_plain(s, 500, "5.5.2 Line too long"));
	}
	if (len < 2 || line[len - 2] != '\r') {
		log_raw(s, "C: ", line, len);
		return end_if(send_plain(s, 500, "5.5.2 Line must end with "
		    "CRLF"));
	}
	len -= 2;
	memcpy(cmd, line, len);
	cmd[len] = '\0';
	log_command(s, cmd, len);
	for (i = 0; i < len; i++)
		if ((unsigned char)cmd[i] < 0x20 || cmd[i] == 0x7f)
			return end_if(send_plain(s, 500, "5.5.2 Invalid "
			    "character in command"));
	if (s->srv->close421_after > 0 &&
	    s->accepted >= s->srv->close421_after) {
		send_plain(s, 421, "4.7.0 Too many messages in this session, "
		    "closing");
		return NEXT_END;
	}
	return dispatch(s, cmd);
}

static enum next
greet(struct session *s)
{
	struct action act;
	struct reply r;
	int code;

	stage_enter(s, ST_CONNECT, NULL, &act);
	reply_set(&r, 220, HOSTNAME " ESMTP mailmerge test smtpd");
	code = answer(s, &act, &r);
	if (code == 421 || code == -1)
		return NEXT_END;
	s->refused = !positive(code);
	return NEXT_CMD;
}

static void
session_run(struct server *srv, int fd)
{
	struct session *s = xmalloc(sizeof(*s));
	struct timeval tv = { SEND_TIMEOUT_S, 0 };
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->srv = srv;
	s->fd = fd;
	pthread_mutex_lock(&srv->lock);
	s->id = ++srv->nconn;
	pthread_mutex_unlock(&srv->lock);
	buf_init(&s->msg, MSG_MAX);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	note(s, "connection %lu opened", s->id);
	if (greet(s) == NEXT_CMD)
		while (!must_stop(srv) && command(s) == NEXT_CMD)
			;
	if (s->tls_on)
		gnutls_bye(s->tls, GNUTLS_SHUT_WR);
	if (s->tls != NULL)
		gnutls_deinit(s->tls);
	close(fd);
	note(s, "connection %lu closed", s->id);
	txn_reset(s);
	buf_fini(&s->msg);
	free(s);
}

/* ---- fault script: parsing ---- */

struct script_line {
	const char	*file;
	int		 lineno;
	char		*rest;		/* arguments after the directive */
};

static void
script_die(const struct script_line *sl, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "smtpd: %s:%d: ", sl->file, sl->lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* Split off the next space-separated word of sl->rest, or NULL. */
static char *
next_word(struct script_line *sl)
{
	char *p = sl->rest + strspn(sl->rest, " \t"), *w;

	if (*p == '\0')
		return NULL;
	w = p;
	p += strcspn(p, " \t");
	if (*p != '\0')
		*p++ = '\0';
	sl->rest = p + strspn(p, " \t");
	return w;
}

static long
parse_num(struct script_line *sl, const char *w, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = w == NULL ? 0 : strtol(w, &end, 10);
	if (w == NULL || *w == '\0' || *end != '\0' || errno != 0 ||
	    v < min || v > max)
		script_die(sl, "expected a number from %ld to %ld, got \"%s\"",
		    min, max, w == NULL ? "" : w);
	return v;
}

/* Parse STAGE[:addr][#N] into ru. */
static void
parse_stage(struct script_line *sl, struct rule *ru, const char *w)
{
	char name[16];
	const char *hash, *colon;
	size_t n;
	int i;

	if (w == NULL)
		script_die(sl, "missing stage");
	hash = strrchr(w, '#');
	if (hash != NULL && hash[1] != '\0' &&
	    strspn(hash + 1, "0123456789") == strlen(hash + 1))
		ru->nth = (unsigned long)parse_num(sl, hash + 1, 1, LONG_MAX);
	else
		hash = w + strlen(w);
	colon = memchr(w, ':', (size_t)(hash - w));
	n = (size_t)((colon != NULL ? colon : hash) - w);
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, w, n);
	name[n] = '\0';
	for (i = 0; i < ST_NUM; i++)
		if (strcasecmp(name, stage_name[i]) == 0)
			break;
	if (i == ST_NUM)
		script_die(sl, "unknown stage \"%s\"", name);
	ru->stage = (enum stage)i;
	if (colon != NULL) {
		if (ru->stage != ST_MAIL && ru->stage != ST_RCPT)
			script_die(sl, "an address selector needs MAIL or RCPT");
		ru->addr = xmalloc((size_t)(hash - colon));
		memcpy(ru->addr, colon + 1, (size_t)(hash - colon - 1));
		ru->addr[hash - colon - 1] = '\0';
	}
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode \r \n \t \\ \xHH in place; returns the decoded length. */
static size_t
unescape(struct script_line *sl, char *s)
{
	char *o = s, *start = s;
	int hi, lo;

	for (; *s != '\0'; s++) {
		if (*s != '\\') {
			*o++ = *s;
			continue;
		}
		s++;
		if (*s == 'r')
			*o++ = '\r';
		else if (*s == 'n')
			*o++ = '\n';
		else if (*s == 't')
			*o++ = '\t';
		else if (*s == '\\')
			*o++ = '\\';
		else if (*s == 'x' && (hi = hexval(s[1])) >= 0 &&
		    (lo = hexval(s[2])) >= 0) {
			*o++ = (char)(hi << 4 | lo);
			s += 2;
		} else
			script_die(sl, "bad escape (use \\r \\n \\t \\\\ \\xHH)");
	}
	*o = '\0';
	return (size_t)(o - start);
}

/* REPLY text: a literal "\n" starts a continuation line. */
static char *
reply_text(struct script_line *sl)
{
	char *t = xstrdup(sl->rest), *p, *o;

	for (p = o = t; *p != '\0'; p++) {
		if (p[0] == '\\' && p[1] == 'n') {
			*o++ = '\n';
			p++;
		} else if (p[0] == '\\' && p[1] == '\\') {
			*o++ = '\\';
			p++;
		} else if ((unsigned char)*p < 0x20)
			script_die(sl, "control character in reply text");
		else
			*o++ = *p;
	}
	*o = '\0';
	return t;
}

/* A delay: "250" (ms), "250ms" or "2s". */
static long
parse_ms(struct script_line *sl, char *w)
{
	size_t n = w == NULL ? 0 : strlen(w);
	long mult = 1;

	if (n > 2 && strcmp(w + n - 2, "ms") == 0)
		w[n - 2] = '\0';
	else if (n > 1 && w[n - 1] == 's') {
		w[n - 1] = '\0';
		mult = 1000;
	}
	return parse_num(sl, w, 0, DELAY_MS_MAX / mult) * mult;
}

static void
add_rule(struct server *srv, const struct rule *ru)
{
	struct rule *nr;

	nr = realloc(srv->rules, (srv->nrules + 1) * sizeof(*nr));
	if (nr == NULL)
		die(71, "out of memory");
	srv->rules = nr;
	srv->rules[srv->nrules++] = *ru;
}

static void
parse_staged(struct script_line *sl, struct server *srv, enum rule_kind kind)
{
	struct rule ru;

	memset(&ru, 0, sizeof(ru));
	ru.kind = kind;
	if (kind == R_SILENT && *sl->rest == '\0')
		ru.stage = ST_CONNECT;
	else
		parse_stage(sl, &ru, next_word(sl));
	if (kind == R_REPLY) {
		ru.code = (int)parse_num(sl, next_word(sl), 200, 599);
		ru.text = reply_text(sl);
		sl->rest = "";
	} else if (kind == R_BAD_REPLY) {
		ru.source = xstrdup(sl->rest);
		ru.text = xstrdup(sl->rest);
		ru.textlen = unescape(sl, ru.text);
		sl->rest = "";
	} else if (kind == R_DELAY || kind == R_DRIP)
		ru.num = parse_ms(sl, next_word(sl));
	else if (kind == R_HUGE_REPLY)
		ru.num = parse_num(sl, next_word(sl), 1, HUGE_LINES_MAX);
	else if (kind == R_LONG_LINE)
		ru.num = parse_num(sl, next_word(sl), 1, LONG_BYTES_MAX);
	if (kind == R_DROP_AFTER_STORE && ru.stage != ST_EOM)
		script_die(sl, "DROP_AFTER_STORE applies to EOM only");
	if (*sl->rest != '\0')
		script_die(sl, "unexpected \"%s\"", sl->rest);
	add_rule(srv, &ru);
}

/* Global directives that only switch a bool of struct server on. */
static const struct {
	const char	*name;
	size_t		 offset;
} flags[] = {
	{ "NOSTARTTLS", offsetof(struct server, nostarttls) },
	{ "STARTTLS_REFUSE", offsetof(struct server, starttls_refuse) },
	{ "AUTH_BEFORE_TLS", offsetof(struct server, auth_before_tls) },
	{ "SPLIT_REPLIES", offsetof(struct server, split) },
	{ "CHUNKING", offsetof(struct server, chunking) },
	{ "MARK_PIPELINED", offsetof(struct server, mark_pipelined) },
};

static void
parse_global(struct script_line *sl, struct server *srv, const char *name)
{
	size_t i;
	char *w;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(name, flags[i].name) == 0)
			break;
	if (i < sizeof(flags) / sizeof(flags[0]))
		*(bool *)((char *)srv + flags[i].offset) = true;
	else if (strcmp(name, "CLOSE421") == 0) {
		w = next_word(sl);
		if (w == NULL || strcmp(w, "AFTER") != 0)
			script_die(sl, "usage: CLOSE421 AFTER <N>");
		srv->close421_after = (unsigned long)parse_num(sl,
		    next_word(sl), 1, LONG_MAX);
	} else if (strcmp(name, "INJECT_AFTER_STARTTLS") == 0) {
		free(srv->inject);
		free(srv->inject_source);
		srv->inject_source = xstrdup(sl->rest);
		srv->inject = xstrdup(sl->rest);
		srv->injectlen = unescape(sl, srv->inject);
		sl->rest = "";
	} else if (strcmp(name, "DRIP_HANDSHAKE") == 0) {
		srv->drip_handshake_ms = parse_ms(sl, next_word(sl));
	} else if (strcmp(name, "TLS_CERT") == 0) {
		free(srv->cert);
		free(srv->key);
		w = next_word(sl);
		srv->cert = xstrdup(w == NULL ? "" : w);
		w = next_word(sl);
		if (w == NULL)
			script_die(sl, "usage: TLS_CERT <certfile> <keyfile>");
		srv->key = xstrdup(w);
	} else
		script_die(sl, "unknown directive \"%s\"", name);
	if (*sl->rest != '\0')
		script_die(sl, "unexpected \"%s\"", sl->rest);
}

static const struct {
	const char	*name;
	enum rule_kind	 kind;
} staged[] = {
	{ "REPLY", R_REPLY },
	{ "BAD_REPLY", R_BAD_REPLY },
	{ "DROP", R_DROP },
	{ "DROP_AFTER_STORE", R_DROP_AFTER_STORE },
	{ "DROP_AFTER_REPLY", R_DROP_AFTER_REPLY },
	{ "DELAY", R_DELAY },
	{ "SILENT", R_SILENT },
	{ "STOP_READING", R_STOP_READING },
	{ "HUGE_REPLY", R_HUGE_REPLY },
	{ "LONG_LINE", R_LONG_LINE },
	{ "DRIP", R_DRIP },
};

static void
parse_directive(struct script_line *sl, struct server *srv)
{
	const char *name = next_word(sl);
	size_t i;

	for (i = 0; i < sizeof(staged) / sizeof(staged[0]); i++)
		if (strcmp(name, staged[i].name) == 0) {
			parse_staged(sl, srv, staged[i].kind);
			return;
		}
	parse_global(sl, srv, name);
}

static void
script_load(struct server *srv, const char *path)
{
	struct script_line sl = { path, 0, NULL };
	char *line = NULL, *p;
	size_t cap = 0;
	ssize_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		die(2, "%s: %s", path, strerror(errno));
	while ((n = getline(&line, &cap, f)) != -1) {
		sl.lineno++;
		if (n > SCRIPT_LINE_MAX)
			script_die(&sl, "line longer than %d bytes",
			    SCRIPT_LINE_MAX);
		line[strcspn(line, "\r\n")] = '\0';
		p = line + strspn(line, " \t");
		if (*p == '\0' || *p == '#')
			continue;
		sl.rest = p;
		parse_directive(&sl, srv);
	}
	free(line);
	fclose(f);
}

static void
script_free(struct server *srv)
{
	size_t i;

	for (i = 0; i < srv->nrules; i++) {
		free(srv->rules[i].addr);
		free(srv->rules[i].text);
		free(srv->rules[i].source);
	}
	free(srv->rules);
	free(srv->inject);
	free(srv->inject_source);
}

/* ---- users ---- */

static void
user_add(struct server *srv, const char *name, const char *pass)
{
	struct user *nu;

	nu = realloc(srv->users, (srv->nusers + 1) * sizeof(*nu));
	if (nu == NULL)
		die(71, "out of memory");
	srv->users = nu;
	srv->users[srv->nusers].name = xstrdup(name);
	srv->users[srv->nusers].pass = xstrdup(pass);
	srv->nusers++;
}

/* --users FILE: "user:password" lines; '#' starts a comment line. */
static void
users_load(struct server *srv, const char *path)
{
	char *line = NULL, *colon;
	size_t cap = 0;
	FILE *f;

	if (path == NULL) {
		user_add(srv, "demo", "demo-password");
		return;
	}
	f = fopen(path, "r");
	if (f == NULL)
		die(2, "%s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) != -1) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		colon = strchr(line, ':');
		if (colon == NULL)
			die(2, "%s: expected user:password lines", path);
		*colon = '\0';
		user_add(srv, line, colon + 1);
	}
	explicit_bzero(line, cap);
	free(line);
	fclose(f);
}

static void
users_free(struct server *srv)
{
	size_t i;

	for (i = 0; i < srv->nusers; i++) {
		explicit_bzero(srv->users[i].pass, strlen(srv->users[i].pass));
		free(srv->users[i].name);
		free(srv->users[i].pass);
	}
	free(srv->users);
}

/* ---- TLS ---- */

static void
tls_setup(struct server *srv)
{
	int r;

	if (srv->cert == NULL || srv->key == NULL)
		die(2, "--cert and --key (or TLS_CERT) are required");
	if (gnutls_certificate_allocate_credentials(&srv->cred) < 0)
		die(1, "gnutls: cannot allocate credentials");
	r = gnutls_certificate_set_x509_key_file(srv->cred, srv->cert,
	    srv->key, GNUTLS_X509_FMT_PEM);
	if (r < 0)
		die(2, "%s, %s: %s", srv->cert, srv->key, gnutls_strerror(r));
	/* TLS 1.2 and later only. */
	r = gnutls_priority_init(&srv->prio,
	    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", NULL);
	if (r < 0)
		die(1, "gnutls priority: %s", gnutls_strerror(r));
}

/* ---- listening ---- */

/* Bind addr:port; only loopback addresses are accepted. */
static int
listen_on(const char *addr, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127)
			die(2, "-a %s: not a loopback address", addr);
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			die(2, "-a %s: not a loopback address", addr);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		len = sizeof(*s6);
	} else
		die(2, "-a %s: not a numeric loopback address", addr);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		die(1, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, 16) == -1)
		die(1, "bind %s port %d: %s", addr, port, strerror(errno));
	return fd;
}

static int
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		die(1, "getsockname: %s", strerror(errno));
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Write the port to path via a temporary file and rename(2). */
static void
write_port_file(const char *path, int port)
{
	char tmp[PATH_MAX], text[16];
	int n;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	n = snprintf(text, sizeof(text), "%d\n", port);
	if (write_file(tmp, text, (size_t)n, O_TRUNC) == -1 ||
	    rename(tmp, path) == -1)
		die(1, "%s: %s", path, strerror(errno));
}

struct job {
	struct server	*srv;
	int		 fd;
};

static void *
session_thread(void *arg)
{
	struct job *j = arg;

	session_run(j->srv, j->fd);
	pthread_mutex_lock(&j->srv->lock);
	j->srv->active--;
	pthread_mutex_unlock(&j->srv->lock);
	free(j);
	return NULL;
}

/* Run a session on its own detached thread (--concurrent), else inline. */
static void
session_start(struct server *srv, int fd)
{
	pthread_attr_t attr;
	pthread_t t;
	struct job *j;

	if (!srv->concurrent) {
		session_run(srv, fd);
		return;
	}
	j = xmalloc(sizeof(*j));
	j->srv = srv;
	j->fd = fd;
	pthread_mutex_lock(&srv->lock);
	srv->active++;
	pthread_mutex_unlock(&srv->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, session_thread, j) != 0)
		session_thread(j);
	pthread_attr_destroy(&attr);
}

static void
serve(struct server *srv)
{
	struct pollfd pfd;
	int fd;

	while (!must_stop(srv)) {
		pfd.fd = srv->lfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, POLL_SLICE_MS) <= 0)
			continue;
		fd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -1)
			continue;
		session_start(srv, fd);
	}
}

/* Wait up to 3 s for session threads; true if all of them ended. */
static bool
drain(struct server *srv)
{
	unsigned long active;
	int i;

	for (i = 0; i < 3000 / POLL_SLICE_MS; i++) {
		pthread_mutex_lock(&srv->lock);
		active = srv->active;
		pthread_mutex_unlock(&srv->lock);
		if (active == 0)
			return true;
		poll(NULL, 0, POLL_SLICE_MS);
	}
	return false;
}

/* ---- main ---- */

static void
usage(void)
{
	fputs("usage: smtpd -p PORT|0 [-a 127.0.0.1|::1] --cert F --key F "
	    "[-s SCRIPT]\n"
	    "             [-d STOREDIR] [-t TRANSCRIPT] [--port-file F] "
	    "[--users FILE]\n"
	    "             [--max-seconds N] [--idle-seconds N] [--concurrent]\n",
	    stderr);
	exit(2);
}

struct options {
	const char	*addr;
	long		 port;
	const char	*script;
	const char	*transcript;
	const char	*port_file;
	const char	*users;
	long		 max_seconds;
	long		 idle_seconds;
};

static long
opt_num(const char *name, const char *v, long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < min || n > max)
		die(2, "%s: expected a number from %ld to %ld", name, min, max);
	return n;
}

static void
parse_options(int argc, char **argv, struct options *o, struct server *srv)
{
	static const struct option longopts[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "users", required_argument, NULL, 'u' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "idle-seconds", required_argument, NULL, 'i' },
		{ "concurrent", no_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "p:a:s:d:t:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'p':
			o->port = opt_num("-p", optarg, 0, 65535);
			break;
		case 'a':
			o->addr = optarg;
			break;
		case 's':
			o->script = optarg;
			break;
		case 'd':
			srv->store = optarg;
			break;
		case 't':
			o->transcript = optarg;
			break;
		case 'c':
			srv->cert = xstrdup(optarg);
			break;
		case 'k':
			srv->key = xstrdup(optarg);
			break;
		case 'P':
			o->port_file = optarg;
			break;
		case 'u':
			o->users = optarg;
			break;
		case 'm':
			o->max_seconds = opt_num("--max-seconds", optarg, 1,
			    86400);
			break;
		case 'i':
			o->idle_seconds = opt_num("--idle-seconds", optarg, 1,
			    86400);
			break;
		case 'C':
			srv->concurrent = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || o->port < 0)
		usage();
}

static void
signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;	/* no SA_RESTART: poll must wake */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void
setup(struct server *srv, const struct options *o)
{
	if (o->script != NULL)
		script_load(srv, o->script);
	users_load(srv, o->users);
	tls_setup(srv);
	if (srv->store != NULL)
		store_open(srv);
	if (o->transcript != NULL) {
		srv->log = fopen(o->transcript, "a");
		if (srv->log == NULL)
			die(2, "%s: %s", o->transcript, strerror(errno));
	}
	srv->deadline = time(NULL) + o->max_seconds;
	srv->idle_ms = (int)(o->idle_seconds * 1000);
	srv->lfd = listen_on(o->addr, (int)o->port);
}

int
main(int argc, char **argv)
{
	struct options o = { "127.0.0.1", -1, NULL, NULL, NULL, NULL,
	    MAX_SECONDS, IDLE_SECONDS };
	struct server srv;

	memset(&srv, 0, sizeof(srv));
	pthread_mutex_init(&srv.lock, NULL);
	parse_options(argc, argv, &o, &srv);
	signals();
	if (gnutls_global_init() < 0)
		die(1, "gnutls_global_init failed");
	setup(&srv, &o);
	if (o.port_file != NULL)
		write_port_file(o.port_file, bound_port(srv.lfd));
	serve(&srv);
	if (!stopping)
		fprintf(stderr, "smtpd: --max-seconds reached, exiting\n");
	close(srv.lfd);
	if (!drain(&srv)) {
		/* A thread is stuck in a write or handshake: do not free. */
		if (srv.log != NULL)
			fflush(srv.log);
		_exit(0);
	}
	if (srv.log != NULL)
		fclose(srv.log);
	gnutls_priority_deinit(srv.prio);
	gnutls_certificate_free_credentials(srv.cred);
	gnutls_global_deinit();
	script_free(&srv);
	users_free(&srv);
	free(srv.cert);
	free(srv.key);
	return 0;
}
