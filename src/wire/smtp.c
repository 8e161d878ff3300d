/*
 * The SMTP submission client (RFC 5321, 3207, 4954, 2920, 3030, 3463).
 * One session: greeting, EHLO, STARTTLS, EHLO again, AUTH, then messages,
 * each one MAIL/RCPT/DATA transaction, then QUIT.  The session moves
 * through a named enum of states, and -v traces every transition and
 * every line of the dialogue, with secrets and message content elided.
 *
 * This module never knows whether TLS is on: it reads and writes
 * through conn_*, and only asks conn_tls_verified() before AUTH, which
 * it refuses in code otherwise.  With PIPELINING (RFC 2920) a message's
 * MAIL, RCPTs and DATA go out as one write and every reply is checked
 * in order; smtp_send_next() also puts the next message's envelope
 * behind the final "." (RFC 2920 §3.1), so a batch costs one round trip
 * a message, and the session remembers which envelope's replies it
 * owes.  With CHUNKING too (RFC 3030) MAIL, RCPTs, "BDAT n LAST" and the
 * unstuffed content are one group.  A reply is data, not an error:
 * refusals end up in the outcome with their stage; only a broken
 * session (lost connection, a 421, garbage) returns -1.  Server text is
 * cleaned of control characters and bad UTF-8 before it is stored or
 * traced.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "codec.h"
#include "conn.h"
#include "err.h"
#include "nitems.h"
#include "smtp.h"
#include "utf8.h"
#include "xalloc.h"

#define SMTP_QUIT_MS		5000	/* QUIT is a courtesy */
#define SMTP_AUTH_LINE_MAX	12288	/* RFC 4954 §4 */
#define SMTP_DATA_MAX		(128u << 20)	/* stuffed message, octets */
#define SMTP_HELO_MAX		255
#define SMTP_NAME_MAX		320


enum smtp_state {
	SMTP_ST_INIT,
	SMTP_ST_CONNECT,
	SMTP_ST_TLS,
	SMTP_ST_GREETING,
	SMTP_ST_EHLO,
	SMTP_ST_STARTTLS,
	SMTP_ST_AUTH,
	SMTP_ST_READY,
	SMTP_ST_MAIL,
	SMTP_ST_RCPT,
	SMTP_ST_DATA,
	SMTP_ST_BODY,
	SMTP_ST_EOM,
	SMTP_ST_RSET,
	SMTP_ST_QUIT,
	SMTP_ST_CLOSED,
	SMTP_ST_BROKEN
};

static const char *const state_name[] = {
	[SMTP_ST_INIT] = "INIT",
	[SMTP_ST_CONNECT] = "CONNECT",
	[SMTP_ST_TLS] = "TLS",
	[SMTP_ST_GREETING] = "GREETING",
	[SMTP_ST_EHLO] = "EHLO",
	[SMTP_ST_STARTTLS] = "STARTTLS",
	[SMTP_ST_AUTH] = "AUTH",
	[SMTP_ST_READY] = "READY",
	[SMTP_ST_MAIL] = "MAIL",
	[SMTP_ST_RCPT] = "RCPT",
	[SMTP_ST_DATA] = "DATA",
	[SMTP_ST_BODY] = "BODY",
	[SMTP_ST_EOM] = "EOM",
	[SMTP_ST_RSET] = "RSET",
	[SMTP_ST_QUIT] = "QUIT",
	[SMTP_ST_CLOSED] = "CLOSED",
	[SMTP_ST_BROKEN] = "BROKEN",
};

static const char *const stage_name[] = {
	[SMTP_STAGE_NONE] = "NONE",
	[SMTP_STAGE_CONNECT] = "CONNECT",
	[SMTP_STAGE_EHLO] = "EHLO",
	[SMTP_STAGE_STARTTLS] = "STARTTLS",
	[SMTP_STAGE_AUTH] = "AUTH",
	[SMTP_STAGE_MAIL] = "MAIL",
	[SMTP_STAGE_RCPT] = "RCPT",
	[SMTP_STAGE_DATA] = "DATA",
	[SMTP_STAGE_EOM] = "EOM",
	[SMTP_STAGE_RSET] = "RSET",
	[SMTP_STAGE_QUIT] = "QUIT",
};

/* EHLO keywords we act on (RFC 5321 §4.1.1.1: case-insensitive). */
enum {
	CAP_STARTTLS = 1 << 0,
	CAP_PIPELINING = 1 << 1,
	CAP_8BITMIME = 1 << 2,
	CAP_SMTPUTF8 = 1 << 3,
	CAP_ENHANCEDSTATUSCODES = 1 << 4,
	CAP_SIZE = 1 << 5,
	CAP_AUTH = 1 << 6,
	CAP_CHUNKING = 1 << 7
};

static const struct {
	const char	*name;
	unsigned	 bit;
} cap_table[] = {
	{ "STARTTLS", CAP_STARTTLS },
	{ "PIPELINING", CAP_PIPELINING },
	{ "8BITMIME", CAP_8BITMIME },
	{ "SMTPUTF8", CAP_SMTPUTF8 },
	{ "ENHANCEDSTATUSCODES", CAP_ENHANCEDSTATUSCODES },
	{ "SIZE", CAP_SIZE },
	{ "AUTH", CAP_AUTH },
	{ "CHUNKING", CAP_CHUNKING },
};

/* SASL mechanisms by enum smtp_auth; bit 1 << mechanism when offered. */
static const char *const mech_name[] = {
	[SMTP_AUTH_PLAIN] = "PLAIN",
	[SMTP_AUTH_LOGIN] = "LOGIN",
	[SMTP_AUTH_XOAUTH2] = "XOAUTH2",
};

/*
 * Cross-message pipelining (RFC 2920 §3.1): the envelope of the next
 * message sent behind the last ".", whose replies the session owes to
 * the call for that message, and only to it.
 */
struct pipeline {
	bool		 owing;		/* its replies are still to be read */
	const char	*from;		/* borrowed: identify the owed message */
	const char	*data;
	size_t		 len;
	size_t		 nrcpt;
	struct err	 lost;		/* why the session broke while owing */
};

struct smtp {
	struct conn	*c;
	enum smtp_state	 state;
	bool		 broken;	/* dialogue lost: no QUIT, no mail */
	unsigned	 caps;		/* CAP_* from the last EHLO */
	unsigned	 mechs;		/* 1 << enum smtp_auth, offered */
	size_t		 size_max;	/* SIZE n; 0: none given */
	bool		 in_ehlo;	/* replies being read carry caps */
	int		 connect_ms;
	int		 cmd_ms;
	int		 data_ms;
	char		*host;
	char		*helo;
	char		*tag;		/* trace prefix, or NULL */
	FILE		*trace;		/* borrowed, or NULL */
	const char	*redact;	/* the secret, during AUTH only */
	char		 name[SMTP_NAME_MAX];	/* "host:port" */
	struct buf	 data;		/* the current message (stuffed for DATA) */
	size_t		 lines;		/* lines in data */
	char		 cmd[SMTP_CMD_MAX];
	struct pipeline	 pipe;
};

static void __attribute__((format(printf, 2, 3)))
trace(struct smtp *s, const char *fmt, ...)
{
	va_list ap;

	if (s->trace == NULL)
		return;
	/* One line at a time: sessions in other threads share the FILE. */
	flockfile(s->trace);
	if (s->tag != NULL)
		fprintf(s->trace, "[%s] ", s->tag);
	va_start(ap, fmt);
	vfprintf(s->trace, fmt, ap);
	va_end(ap);
	fputc('\n', s->trace);
	funlockfile(s->trace);
}

static void
set_state(struct smtp *s, enum smtp_state st)
{
	if (st != s->state)
		trace(s, "state %s -> %s", state_name[s->state],
		    state_name[st]);
	s->state = st;
}

/* Length of the valid, printable UTF-8 character at s, or 0. */
static size_t
char_len(const unsigned char *s, size_t n)
{
	size_t k = utf8_len(s, n);

	/* C0 controls, DEL and C1 controls (U+0080-U+009F) steer terminals. */
	if ((k == 1 && (s[0] < 0x20 || s[0] == 0x7f)) ||
	    (k == 2 && s[0] == 0xc2 && s[1] < 0xa0))
		return 0;
	return k;
}

/* Copy src to dst (size > 0) with each bad or control octet as '?'. */
static size_t
sanitize(char *dst, size_t size, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, k;

	while (i < n) {
		k = char_len(s + i, n - i);
		if (o + (k ? k : 1) >= size)
			break;
		if (k == 0) {
			dst[o++] = '?';
			i++;
		} else {
			memcpy(dst + o, s + i, k);
			o += k;
			i += k;
		}
	}
	dst[o] = '\0';
	return o;
}

/* Append src to the string dst, cut at a UTF-8 character boundary. */
static void
cat(char *dst, size_t size, const char *src)
{
	size_t d = strlen(dst), n = strlen(src);

	if (d + n >= size)
		n = utf8_cut(src, size - 1 - d);
	memcpy(dst + d, src, n);
	dst[d + n] = '\0';
}

/* Overwrite each copy of the secret in s (a server echoing it back). */
static void
scrub(const struct smtp *s, char *text)
{
	size_t n;
	char *p;

	if (s->redact == NULL || *s->redact == '\0')
		return;
	n = strlen(s->redact);
	for (p = strstr(text, s->redact); p != NULL;
	    p = strstr(p + n, s->redact))
		memset(p, '*', n);
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int
smtp_parse_line(const char *line, size_t len, int *code, bool *last,
    const char **text)
{
	/* RFC 5321 §4.2: Reply-code [ SP / "-" textstring ] CRLF. */
	if (len < 3 || line[0] < '2' || line[0] > '5' ||
	    !is_digit(line[1]) || !is_digit(line[2]))
		return -1;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return -1;
	*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + line[2] - '0';
	*last = len == 3 || line[3] == ' ';
	*text = line + (len > 3 ? 4 : 3);
	return 0;
}

/*
 * An RFC 3463 code ("5.1.1") opening t, whose class matches the reply
 * code: copied to enh; returns the octets to skip, 0 if there is none.
 */
static size_t
parse_enh(const char *t, size_t n, int code, char enh[16])
{
	size_t i = 2, part, digits;

	if (n < 5 || t[0] != '0' + code / 100 || t[1] != '.')
		return 0;
	for (part = 0; part < 2; part++) {
		for (digits = 0; i < n && is_digit(t[i]) && digits < 4; i++)
			digits++;
		if (digits < 1 || digits > 3)
			return 0;
		if (part == 0 && (i >= n || t[i++] != '.'))
			return 0;
	}
	if (i < n && t[i] != ' ')
		return 0;
	memcpy(enh, t, i);
	enh[i] = '\0';
	while (i < n && t[i] == ' ')
		i++;
	return i;
}

static int
bad_line(const char *line, size_t len, struct err *e)
{
	char shown[64];

	sanitize(shown, sizeof(shown), line, len);
	err_set(e, E_PROTO, NULL, "malformed reply line from the server: "
	    "\"%s\"", shown);
	return -1;
}

/* Parse and check line as line number n (from 0) of reply r. */
static int
check_line(const struct smtp_reply *r, size_t n, const char *line,
    size_t len, int *code, bool *done, const char **text, struct err *e)
{
	if (len > CONN_LINE_MAX) {
		err_set(e, E_PROTO, NULL, "reply line longer than %d octets",
		    CONN_LINE_MAX);
		return -1;
	}
	if (smtp_parse_line(line, len, code, done, text) == -1)
		return bad_line(line, len, e);
	if (n > 0 && *code != r->code) {
		err_set(e, E_PROTO, NULL, "reply lines carry different codes "
		    "(%d, then %d)", r->code, *code);
		return -1;
	}
	if (n >= SMTP_REPLY_LINES_MAX) {
		err_set(e, E_PROTO, NULL, "reply longer than %d lines",
		    SMTP_REPLY_LINES_MAX);
		return -1;
	}
	return 0;
}

int
smtp_reply_feed(struct smtp_reply *r, size_t *nlines, const char *line,
    size_t len, bool *done, struct err *e)
{
	char clean[CONN_LINE_MAX + 1], enh[16];
	const char *text;
	size_t tlen, skip;
	int code;

	if (*nlines == 0)
		memset(r, 0, sizeof(*r));
	if (check_line(r, *nlines, line, len, &code, done, &text, e) == -1)
		return -1;
	r->code = code;
	tlen = len - (size_t)(text - line);
	skip = parse_enh(text, tlen, code, enh);
	/* Servers repeat the code on each line: keep it once. */
	if (skip > 0 && (*nlines == 0 || strcmp(enh, r->enh) == 0)) {
		memcpy(r->enh, enh, sizeof(r->enh));
		text += skip;
		tlen -= skip;
	}
	(*nlines)++;
	sanitize(clean, sizeof(clean), text, tlen);
	if (clean[0] != '\0' && r->text[0] != '\0')
		cat(r->text, sizeof(r->text), " ");
	cat(r->text, sizeof(r->text), clean);
	return 0;
}

/* Take one word from *p (up to end, space or '='), uppercased. */
static void
next_word(const char **p, const char *end, char *w, size_t size)
{
	size_t k = 0;

	while (*p < end && **p == ' ')
		(*p)++;
	for (; *p < end && **p != ' ' && **p != '='; (*p)++)
		if (k + 1 < size)
			w[k++] = **p;
	w[k] = '\0';
	if (*p < end && **p == '=')
		(*p)++;
}

static void
caps_auth(struct smtp *s, const char *p, const char *end)
{
	char w[32];
	size_t m;

	while (p < end) {
		next_word(&p, end, w, sizeof(w));
		for (m = 0; m < nitems(mech_name); m++)
			if (mech_name[m] != NULL &&
			    strcasecmp(w, mech_name[m]) == 0)
				s->mechs |= 1u << m;
	}
}

static size_t
caps_size(const char *p, const char *end)
{
	size_t v = 0;

	while (p < end && *p == ' ')
		p++;
	for (; p < end && is_digit(*p); p++) {
		if (v > (SIZE_MAX - 9) / 10)
			return 0;
		v = v * 10 + (size_t)(*p - '0');
	}
	return v;
}

/* One EHLO line after the first: "SIZE 35882577", "AUTH PLAIN LOGIN". */
static void
caps_line(struct smtp *s, const char *line, size_t len)
{
	const char *p = line + 4, *end = line + len;
	char w[32];
	size_t i;

	if (len <= 4)
		return;
	next_word(&p, end, w, sizeof(w));
	for (i = 0; i < nitems(cap_table); i++)
		if (strcasecmp(w, cap_table[i].name) == 0)
			break;
	if (i == nitems(cap_table))
		return;
	s->caps |= cap_table[i].bit;
	if (cap_table[i].bit == CAP_SIZE)
		s->size_max = caps_size(p, end);
	else if (cap_table[i].bit == CAP_AUTH)
		caps_auth(s, p, end);
}

static void
caps_reset(struct smtp *s)
{
	s->caps = 0;
	s->mechs = 0;
	s->size_max = 0;
}

static void
trace_line(struct smtp *s, const char *line, size_t len)
{
	char clean[CONN_LINE_MAX + 1];

	if (s->trace == NULL)
		return;
	sanitize(clean, sizeof(clean), line, len);
	scrub(s, clean);
	trace(s, "S: %s", clean);
}

/* Put the server's name in front of e's message. */
static int
name_error(const struct smtp *s, struct err *e)
{
	err_prefix(e, "%s: ", s->name);
	e->where[0] = '\0';
	return -1;
}

/* Read one whole reply within ms; -1 (E_NET, E_PROTO) breaks the session. */
static int
read_reply(struct smtp *s, struct smtp_reply *r, int ms, struct err *e)
{
	const char *line;
	size_t len, n = 0;
	bool done = false;

	conn_set_timeout(s->c, ms);
	while (!done) {
		if (conn_readline(s->c, &line, &len, e) == -1) {
			s->broken = true;
			return -1;
		}
		trace_line(s, line, len);
		if (smtp_reply_feed(r, &n, line, len, &done, e) == -1) {
			s->broken = true;
			return name_error(s, e);
		}
		if (s->in_ehlo && n > 1)
			caps_line(s, line, len);
	}
	scrub(s, r->text);
	return 0;
}

static void
reply_str(const struct smtp_reply *r, char *buf, size_t size)
{
	snprintf(buf, size, "%d%s%s%s%s", r->code, r->enh[0] ? " " : "",
	    r->enh, r->text[0] ? " " : "", r->text);
}

/* e for a reply at what: E_TEMP for 4xx, E_PERM for 5xx, else E_PROTO. */
static int
reply_error(struct smtp *s, const struct smtp_reply *r, const char *what,
    struct err *e)
{
	char rs[SMTP_REPLY_MAX + 32];

	reply_str(r, rs, sizeof(rs));
	if (r->code >= 400)
		err_set(e, r->code >= 500 ? E_PERM : E_TEMP, NULL,
		    "%s %s: %s", s->name, what, rs);
	else
		err_set(e, E_PROTO, NULL, "%s %s: unexpected reply %s",
		    s->name, what, rs);
	return -1;
}

/* Queue one command, built with a checked snprintf; never truncated. */
static int __attribute__((format(printf, 3, 4)))
command(struct smtp *s, struct err *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->cmd, sizeof(s->cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 2 >= sizeof(s->cmd)) {
		err_set(e, E_INPUT, NULL, "SMTP command longer than %d "
		    "octets", SMTP_CMD_MAX - 2);
		return -1;
	}
	trace(s, "C: %s", s->cmd);
	memcpy(s->cmd + n, "\r\n", 3);
	if (conn_write(s->c, s->cmd, (size_t)n + 2, e) == -1) {
		s->broken = true;
		return -1;
	}
	return 0;
}

/* Queue a line holding a secret; the trace shows shown; line is wiped. */
static int
send_secret(struct smtp *s, struct buf *line, const char *shown,
    struct err *e)
{
	int r;

	trace(s, "C: %s", shown);
	r = conn_write(s->c, line->data, line->len, e);
	buf_wipe(line);
	if (r == -1)
		s->broken = true;
	return r;
}

/* Wipe both buffers: the payload did not fit one AUTH line. */
static int
too_long(struct buf *pl, struct buf *line, struct err *e)
{
	buf_wipe(pl);
	buf_wipe(line);
	err_set(e, E_CONFIG, NULL, "user name or secret too long for AUTH "
	    "(RFC 4954 §4: %d octets a line)", SMTP_AUTH_LINE_MAX);
	return -1;
}

/* line = prefix base64(pl) CRLF; pl is wiped either way. */
static int
b64_line(struct buf *line, const char *prefix, struct buf *pl,
    struct err *e)
{
	if (buf_adds(line, prefix) == -1 ||
	    codec_base64(line, pl->data, pl->len) == -1 ||
	    buf_add(line, "\r\n", 2) == -1)
		return too_long(pl, line, e);
	buf_wipe(pl);
	return 0;
}

static int
auth_plain(struct smtp *s, const struct smtp_params *p,
    struct smtp_reply *last, struct err *e)
{
	struct buf pl, line;

	buf_init(&pl, SMTP_AUTH_LINE_MAX);
	buf_init(&line, SMTP_AUTH_LINE_MAX);
	/* RFC 4616: authzid NUL authcid NUL passwd, sent at once. */
	if (buf_addc(&pl, '\0') == -1 || buf_adds(&pl, p->user) == -1 ||
	    buf_addc(&pl, '\0') == -1 || buf_adds(&pl, p->secret) == -1)
		return too_long(&pl, &line, e);
	if (b64_line(&line, "AUTH PLAIN ", &pl, e) == -1 ||
	    send_secret(s, &line, "AUTH PLAIN <redacted>", e) == -1)
		return -1;
	return read_reply(s, last, s->cmd_ms, e);
}

/* One AUTH LOGIN step: base64(text) after a 334 challenge. */
static int
login_step(struct smtp *s, const char *text, struct smtp_reply *last,
    struct err *e)
{
	struct buf pl, line;

	buf_init(&pl, SMTP_AUTH_LINE_MAX);
	buf_init(&line, SMTP_AUTH_LINE_MAX);
	if (buf_adds(&pl, text) == -1)
		return too_long(&pl, &line, e);
	if (b64_line(&line, "", &pl, e) == -1 ||
	    send_secret(s, &line, "<redacted>", e) == -1)
		return -1;
	return read_reply(s, last, s->cmd_ms, e);
}

static int
auth_login(struct smtp *s, const struct smtp_params *p,
    struct smtp_reply *last, struct err *e)
{
	if (command(s, e, "AUTH LOGIN") == -1 ||
	    read_reply(s, last, s->cmd_ms, e) == -1)
		return -1;
	if (last->code != 334)
		return 0;
	if (login_step(s, p->user, last, e) == -1)
		return -1;
	if (last->code != 334)
		return 0;
	return login_step(s, p->secret, last, e);
}

static int
auth_xoauth2(struct smtp *s, const struct smtp_params *p,
    struct smtp_reply *last, struct err *e)
{
	struct buf pl, line;

	buf_init(&pl, SMTP_AUTH_LINE_MAX);
	buf_init(&line, SMTP_AUTH_LINE_MAX);
	if (buf_addf(&pl, "user=%s\001auth=Bearer %s\001\001", p->user,
	    p->secret) == -1)
		return too_long(&pl, &line, e);
	if (b64_line(&line, "AUTH XOAUTH2 ", &pl, e) == -1 ||
	    send_secret(s, &line, "AUTH XOAUTH2 <redacted>", e) == -1 ||
	    read_reply(s, last, s->cmd_ms, e) == -1)
		return -1;
	/* A 334 carries the error as JSON; an empty line gets the verdict. */
	if (last->code != 334)
		return 0;
	if (command(s, e, "%s", "") == -1)
		return -1;
	return read_reply(s, last, s->cmd_ms, e);
}

static int
choose_mech(struct smtp *s, enum smtp_auth want, enum smtp_auth *m,
    struct err *e)
{
	char offered[64] = "";
	size_t i;

	if (want == SMTP_AUTH_AUTO)
		want = s->mechs & (1u << SMTP_AUTH_PLAIN) ?
		    SMTP_AUTH_PLAIN : SMTP_AUTH_LOGIN;
	if (want >= nitems(mech_name) || mech_name[want] == NULL) {
		err_set(e, E_INTERNAL, NULL, "unknown AUTH mechanism %d",
		    (int)want);
		return -1;
	}
	*m = want;
	if (s->mechs & (1u << want))
		return 0;
	if (s->mechs == 0) {
		err_set(e, E_AUTH, NULL, "%s does not offer AUTH (wanted %s)",
		    s->name, mech_name[want]);
		return -1;
	}
	for (i = 0; i < nitems(mech_name); i++)
		if (mech_name[i] != NULL && s->mechs & (1u << i)) {
			cat(offered, sizeof(offered), offered[0] ? " " : "");
			cat(offered, sizeof(offered), mech_name[i]);
		}
	err_set(e, E_AUTH, NULL, "%s does not offer AUTH %s (it offers: %s)",
	    s->name, mech_name[want], offered);
	return -1;
}

/* The verdict on AUTH in last: 235, or E_AUTH (never retried), E_TEMP. */
static int
auth_result(struct smtp *s, const struct smtp_params *p,
    const struct smtp_reply *last, struct err *e)
{
	char rs[SMTP_REPLY_MAX + 32];

	if (last->code == 235)
		return 0;
	reply_str(last, rs, sizeof(rs));
	if (last->code == 334) {
		/* Mid-exchange: QUIT would be taken as a SASL response. */
		s->broken = true;
		err_set(e, E_PROTO, NULL, "%s AUTH: unexpected challenge %s",
		    s->name, rs);
	} else if (last->code >= 400 && last->code < 500)
		err_set(e, E_TEMP, NULL, "%s AUTH: %s", s->name, rs);
	else
		err_set(e, E_AUTH, NULL, "%s refused the login for %s: %s",
		    s->name, p->user, rs);
	return -1;
}

static int
authenticate(struct smtp *s, const struct smtp_params *p,
    struct smtp_reply *last, struct err *e)
{
	static int (*const fn[])(struct smtp *, const struct smtp_params *,
	    struct smtp_reply *, struct err *) = {
		[SMTP_AUTH_PLAIN] = auth_plain,
		[SMTP_AUTH_LOGIN] = auth_login,
		[SMTP_AUTH_XOAUTH2] = auth_xoauth2,
	};
	enum smtp_auth m;
	int r;

	if (p->auth == SMTP_AUTH_NONE)
		return 0;
	/* The one rule that guards the password: a check, not a comment. */
	if (!conn_tls_verified(s->c)) {
		err_set(e, E_TLS, NULL, "%s: refusing AUTH: the connection is "
		    "not TLS-protected and verified", s->name);
		return -1;
	}
	if (p->user == NULL || p->secret == NULL) {
		err_set(e, E_CONFIG, NULL, "%s: AUTH needs a user and a "
		    "secret", s->name);
		return -1;
	}
	if (choose_mech(s, p->auth, &m, e) == -1)
		return -1;
	set_state(s, SMTP_ST_AUTH);
	s->redact = p->secret;
	r = fn[m](s, p, last, e);
	s->redact = NULL;
	if (r == -1)
		return -1;
	return auth_result(s, p, last, e);
}

static int
ehlo(struct smtp *s, struct smtp_reply *last, struct err *e)
{
	int r;

	set_state(s, SMTP_ST_EHLO);
	caps_reset(s);
	if (command(s, e, "EHLO %s", s->helo) == -1)
		return -1;
	s->in_ehlo = true;
	r = read_reply(s, last, s->cmd_ms, e);
	s->in_ehlo = false;
	if (r == -1)
		return -1;
	/* Submission needs ESMTP (RFC 6409): no fallback to HELO. */
	if (last->code != 250) {
		caps_reset(s);
		return reply_error(s, last, "EHLO", e);
	}
	return 0;
}

/* Why going on without TLS is refused: only a password is "sent". */
static const char *
no_tls_why(const struct smtp_params *p)
{
	if (p->auth != SMTP_AUTH_NONE && p->secret != NULL)
		return "refusing to send the password in the clear";
	return "refusing to send mail in the clear: the messages and "
	    "addresses would be readable on the way";
}

static int
starttls(struct smtp *s, const struct smtp_params *p,
    struct smtp_reply *last, struct err *e)
{
	char rs[SMTP_REPLY_MAX + 32];

	/* Never fall back to plain text: that is STARTTLS stripping. */
	if (!(s->caps & CAP_STARTTLS)) {
		err_set(e, E_TLS, NULL, "%s: server does not offer STARTTLS; "
		    "%s", s->name, no_tls_why(p));
		return -1;
	}
	set_state(s, SMTP_ST_STARTTLS);
	if (command(s, e, "STARTTLS") == -1 ||
	    read_reply(s, last, s->cmd_ms, e) == -1)
		return -1;
	if (last->code != 220) {
		reply_str(last, rs, sizeof(rs));
		err_set(e, E_TLS, NULL, "%s refused STARTTLS: %s; refusing to "
		    "go on without TLS", s->name, rs);
		return -1;
	}
	set_state(s, SMTP_ST_TLS);
	if (conn_starttls(s->c, e) == -1) {
		s->broken = true;
		return -1;
	}
	trace(s, "TLS: %s", conn_tls_info(s->c));
	/* RFC 3207 §4.2: forget what the server said; ask again. */
	return ehlo(s, last, e);
}

static int
greet(struct smtp *s, struct smtp_reply *last, struct err *e)
{
	set_state(s, SMTP_ST_GREETING);
	if (read_reply(s, last, s->cmd_ms, e) == -1)
		return -1;
	if (last->code == 220)
		return 0;
	return reply_error(s, last, "greeting", e);
}

static int
session_connect(struct smtp *s, const struct smtp_params *p,
    struct err *e)
{
	struct conn_params cp = {
		.host = p->host,
		.port = p->port,
		.connect_ms = s->connect_ms,
		.io_ms = s->cmd_ms,
		.ca_file = p->ca_file,
		.trusts = p->trusts,
	};

	set_state(s, SMTP_ST_CONNECT);
	if (conn_open(&s->c, &cp, e) == -1) {
		s->broken = true;
		return -1;
	}
	trace(s, "connected to %s", s->name);
	if (!p->implicit_tls)
		return 0;
	set_state(s, SMTP_ST_TLS);
	if (conn_starttls(s->c, e) == -1) {
		s->broken = true;
		return -1;
	}
	trace(s, "TLS: %s", conn_tls_info(s->c));
	return 0;
}

/* A name fit for EHLO (RFC 5321 §4.1.4): letters, digits, '.', '-'. */
static bool
helo_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > SMTP_HELO_MAX)
		return false;
	return strspn(h, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-[]:") == n;
}

static char *
helo_name(const struct smtp_params *p)
{
	char h[SMTP_HELO_MAX + 1];

	if (p->helo != NULL)
		return xstrdup(p->helo);
	if (gethostname(h, sizeof(h)) == -1 || !helo_ok(h))
		return xstrdup("localhost");
	return xstrdup(h);
}

static struct smtp *
session_new(const struct smtp_params *p)
{
	struct smtp *s;

	s = xcalloc(1, sizeof(*s));
	s->connect_ms = p->connect_ms > 0 ? p->connect_ms : SMTP_CONNECT_MS;
	s->cmd_ms = p->cmd_ms > 0 ? p->cmd_ms : SMTP_CMD_MS;
	s->data_ms = p->data_ms > 0 ? p->data_ms : SMTP_DATA_MS;
	s->host = xstrdup(p->host);
	s->helo = helo_name(p);
	s->tag = p->trace_tag ? xstrdup(p->trace_tag) : NULL;
	s->trace = p->trace;
	snprintf(s->name, sizeof(s->name), "%s:%s", p->host, p->port);
	buf_init(&s->data, SMTP_DATA_MAX);
	return s;
}

/* QUIT unless the dialogue is lost, then free everything. */
static void
session_end(struct smtp *s)
{
	struct smtp_reply r;
	struct err e;

	if (s->c != NULL && !s->broken) {
		set_state(s, SMTP_ST_QUIT);
		if (command(s, &e, "QUIT") == 0)
			read_reply(s, &r, SMTP_QUIT_MS, &e);
	}
	set_state(s, SMTP_ST_CLOSED);
	conn_close(s->c);
	buf_fini(&s->data);
	free(s->host);
	free(s->helo);
	free(s->tag);
	free(s);
}

static int
check_params(const struct smtp_params *p, struct err *e)
{
	if (p->host == NULL || p->port == NULL) {
		err_set(e, E_CONFIG, NULL, "no SMTP host or port given");
		return -1;
	}
	if (p->helo != NULL && !helo_ok(p->helo)) {
		err_set(e, E_CONFIG, NULL, "helo name must be a domain or an "
		    "address literal (RFC 5321 §4.1.4)");
		return -1;
	}
	return 0;
}

int
smtp_open(struct smtp **sp, const struct smtp_params *p,
    struct smtp_reply *last, struct err *e)
{
	struct smtp_reply tmp;
	struct smtp *s;

	*sp = NULL;
	if (last == NULL)
		last = &tmp;
	memset(last, 0, sizeof(*last));
	if (check_params(p, e) == -1)
		return -1;
	s = session_new(p);
	if (session_connect(s, p, e) == -1 || greet(s, last, e) == -1 ||
	    ehlo(s, last, e) == -1 ||
	    (!p->implicit_tls && starttls(s, p, last, e) == -1) ||
	    authenticate(s, p, last, e) == -1) {
		session_end(s);
		return -1;
	}
	set_state(s, SMTP_ST_READY);
	*sp = s;
	return 0;
}

void
smtp_close(struct smtp *s)
{
	if (s == NULL)
		return;
	if (s->pipe.owing && !s->broken) {
		/* In DATA state QUIT would be content: drop, discarding it. */
		trace(s, "dropping the connection: an envelope is in flight");
		s->broken = true;
	}
	session_end(s);
}

bool
smtp_owes(const struct smtp *s)
{
	return s->pipe.owing;
}

bool
smtp_has(const struct smtp *s, const char *ext)
{
	size_t i;

	for (i = 0; i < nitems(cap_table); i++)
		if (strcasecmp(ext, cap_table[i].name) == 0)
			return (s->caps & cap_table[i].bit) != 0;
	return false;
}

const char *
smtp_stage_name(enum smtp_stage st)
{
	if ((size_t)st >= nitems(stage_name) || stage_name[st] == NULL)
		return "?";
	return stage_name[st];
}

/* CRLF normalisation, and dot-stuffing when stuff: one function. */
static int
normalise(struct buf *out, const void *p, size_t n, bool stuff,
    size_t *lines)
{
	const char *s = p, *end = s + n;
	size_t count = 0, k;

	/* Every line gets CRLF: lone CR or LF would allow smuggling. */
	while (s < end) {
		/* RFC 5321 §4.5.2: a leading "." is doubled. */
		if (stuff && *s == '.' && buf_addc(out, '.') == -1)
			return -1;
		for (k = 0; s + k < end && s[k] != '\r' && s[k] != '\n'; k++)
			continue;
		if (buf_add(out, s, k) == -1 || buf_add(out, "\r\n", 2) == -1)
			return -1;
		count++;
		s += k;
		if (s + 1 < end && s[0] == '\r' && s[1] == '\n')
			s += 2;
		else if (s < end)
			s++;
	}
	if (lines != NULL)
		*lines = count;
	return 0;
}

int
smtp_dotstuff(struct buf *out, const void *p, size_t n, size_t *lines)
{
	return normalise(out, p, n, true, lines);
}

int
smtp_crlf(struct buf *out, const void *p, size_t n, size_t *lines)
{
	return normalise(out, p, n, false, lines);
}

/* An address fit for MAIL FROM:<> or RCPT TO:<>; E_INPUT otherwise. */
static int
check_addr(const char *a, bool utf8, const char *role, struct err *e)
{
	char shown[80];
	size_t n = strlen(a), i;
	const char *why;
	unsigned char ch;

	sanitize(shown, sizeof(shown), a, n);
	if (n > ADDR_MAX) {
		err_set(e, E_INPUT, NULL, "%s address \"%s...\" is %zu octets; "
		    "SMTP allows %d (RFC 5321 §4.5.3.1.3)", role, shown, n,
		    ADDR_MAX);
		return -1;
	}
	/* The rule rows are validated with: none is refused here. */
	why = addr_envelope_why(a, n);
	if (why != NULL) {
		err_set(e, E_INPUT, NULL, "%s address \"%s\": %s", role, shown,
		    why);
		return -1;
	}
	for (i = 0; i < n; i++) {
		ch = (unsigned char)a[i];
		if (ch >= 0x80 && !utf8) {
			err_set(e, E_INPUT, NULL, "%s address \"%s\" is not "
			    "ASCII but the message is not marked SMTPUTF8",
			    role, shown);
			return -1;
		}
	}
	return 0;
}

static int
check_message(struct smtp *s, const struct smtp_message *m,
    struct err *e)
{
	size_t i;

	if (m->nrcpt == 0) {
		err_set(e, E_INPUT, NULL, "message has no recipients");
		return -1;
	}
	if (m->eightbit && !(s->caps & CAP_8BITMIME)) {
		err_set(e, E_INTERNAL, NULL, "%s does not offer 8BITMIME: the "
		    "message must be encoded as 7bit", s->name);
		return -1;
	}
	if (check_addr(m->from, m->smtputf8, "sender", e) == -1)
		return -1;
	for (i = 0; i < m->nrcpt; i++) {
		if (m->rcpt[i][0] == '\0') {
			err_set(e, E_INPUT, NULL, "empty recipient address");
			return -1;
		}
		if (check_addr(m->rcpt[i], m->smtputf8, "recipient", e) == -1)
			return -1;
	}
	return 0;
}

/* A refusal decided here, without asking the server: stage MAIL. */
static void __attribute__((format(printf, 5, 6)))
synthetic(struct smtp *s, struct smtp_outcome *o, int code,
    const char *enh, const char *fmt, ...)
{
	va_list ap;

	o->stage = SMTP_STAGE_MAIL;
	o->reply.code = code;
	snprintf(o->reply.enh, sizeof(o->reply.enh), "%s", enh);
	va_start(ap, fmt);
	vsnprintf(o->reply.text, sizeof(o->reply.text), fmt, ap);
	va_end(ap);
	trace(s, "not sent: %d %s %s", code, enh, o->reply.text);
}

/* Whether the server can take m at all (RFC 6531 §3.5, RFC 1870 §6.1). */
static bool
fits(const struct smtp *s, const struct smtp_message *m)
{
	return !(m->smtputf8 && !(s->caps & CAP_SMTPUTF8)) &&
	    !(s->size_max > 0 && m->len > s->size_max);
}

static bool
unsendable(struct smtp *s, const struct smtp_message *m,
    struct smtp_outcome *o)
{
	if (fits(s, m))
		return false;
	if (m->smtputf8 && !(s->caps & CAP_SMTPUTF8)) {
		/* RFC 6531 §3.5: no SMTPUTF8, no UTF-8 envelope. */
		synthetic(s, o, 553, "5.6.7", "not sent: the message needs "
		    "SMTPUTF8, which %s does not offer", s->host);
		return true;
	}
	/* RFC 1870 §6.1: the fixed maximum message size. */
	synthetic(s, o, 552, "5.3.4", "not sent: message is %zu bytes, the "
	    "server takes at most %zu", m->len, s->size_max);
	return true;
}

/* RFC 3030 needs RFC 2920 here: the whole transaction is one group. */
static bool
chunking(const struct smtp *s)
{
	return (s->caps & (CAP_CHUNKING | CAP_PIPELINING)) ==
	    (CAP_CHUNKING | CAP_PIPELINING);
}

/*
 * Whether next's envelope may go behind m's ".": only what smtp_send
 * would send without a word (valid, fits, and its content certain to
 * fit s->data, which grows at most to 2 * len + 2), so the owed call
 * cannot fail before reading the replies.
 */
static bool
queueable(struct smtp *s, const struct smtp_message *next)
{
	struct err scratch;

	return next != NULL && (s->caps & CAP_PIPELINING) && !chunking(s) &&
	    next->len <= (SMTP_DATA_MAX - 2) / 2 &&
	    check_message(s, next, &scratch) == 0 && fits(s, next);
}

static int
mail_cmd(struct smtp *s, const struct smtp_message *m, struct err *e)
{
	char size[32] = "";

	if (s->caps & CAP_SIZE)
		snprintf(size, sizeof(size), " SIZE=%zu", m->len);
	return command(s, e, "MAIL FROM:<%s>%s%s%s", m->from, size,
	    m->eightbit ? " BODY=8BITMIME" : "",
	    m->smtputf8 ? " SMTPUTF8" : "");
}

/* A 421 ends the session (RFC 5321 §3.8): -1 with E_TEMP, else 0. */
static int
check_421(struct smtp *s, enum smtp_stage st, const struct smtp_reply *r,
    struct smtp_outcome *o, struct err *e)
{
	if (r->code != 421)
		return 0;
	o->stage = st;
	o->reply = *r;
	s->broken = true;
	return reply_error(s, r, smtp_stage_name(st), e);
}

/*
 * Read the reply to a queued command (EOM: within data_ms).  sent: the
 * content is already out (BDAT), so a lost reply leaves its fate unknown.
 */
static int
reply_for(struct smtp *s, enum smtp_stage st, bool sent,
    struct smtp_reply *r, struct smtp_outcome *o, struct err *e)
{
	int ms = st == SMTP_STAGE_EOM ? s->data_ms : s->cmd_ms;

	if (read_reply(s, r, ms, e) == -1) {
		o->stage = st;
		memset(&o->reply, 0, sizeof(o->reply));
		o->unknown = sent;
		return -1;
	}
	return check_421(s, st, r, o, e);
}

/* 0 if MAIL was taken, else 1 with the outcome decided at MAIL. */
static int
on_mail(struct smtp_outcome *o, const struct smtp_reply *r)
{
	if (r->code >= 200 && r->code < 300)
		return 0;
	o->stage = SMTP_STAGE_MAIL;
	o->reply = *r;
	return 1;
}

static void
on_rcpt(struct smtp_outcome *o, const char *addr,
    const struct smtp_reply *r)
{
	char rs[SMTP_REPLY_MAX + 32];

	if (r->code >= 200 && r->code < 300) {
		o->nrcpt_ok++;
		return;
	}
	if (o->nrcpt_bad++ == 0) {
		o->stage = SMTP_STAGE_RCPT;
		o->reply = *r;
	} else
		cat(o->refused, sizeof(o->refused), "; ");
	reply_str(r, rs, sizeof(rs));
	cat(o->refused, sizeof(o->refused), addr);
	cat(o->refused, sizeof(o->refused), ": ");
	cat(o->refused, sizeof(o->refused), rs);
}

/* 0 on 354, 1 if DATA was refused, -1 (E_PROTO) on nonsense. */
static int
on_data(struct smtp *s, struct smtp_outcome *o, const struct smtp_reply *r,
    struct err *e)
{
	o->stage = SMTP_STAGE_DATA;
	o->reply = *r;
	if (r->code == 354)
		return 0;
	if (r->code >= 400)
		return 1;
	s->broken = true;
	return reply_error(s, r, "DATA", e);
}

static int
envelope_serial(struct smtp *s, const struct smtp_message *m,
    struct smtp_outcome *o, struct err *e)
{
	struct smtp_reply r;
	size_t i;

	set_state(s, SMTP_ST_MAIL);
	if (mail_cmd(s, m, e) == -1 ||
	    reply_for(s, SMTP_STAGE_MAIL, false, &r, o, e) == -1)
		return -1;
	if (on_mail(o, &r) == 1)
		return 1;
	set_state(s, SMTP_ST_RCPT);
	for (i = 0; i < m->nrcpt; i++) {
		if (command(s, e, "RCPT TO:<%s>", m->rcpt[i]) == -1 ||
		    reply_for(s, SMTP_STAGE_RCPT, false, &r, o, e) == -1)
			return -1;
		on_rcpt(o, m->rcpt[i], &r);
	}
	if (o->nrcpt_ok == 0)
		return 1;
	set_state(s, SMTP_ST_DATA);
	if (command(s, e, "DATA") == -1 ||
	    reply_for(s, SMTP_STAGE_DATA, false, &r, o, e) == -1)
		return -1;
	return on_data(s, o, &r, e);
}

/* RFC 2920 §3.1: a 354 with no valid recipient gets "." alone. */
static int
empty_data(struct smtp *s, struct smtp_outcome *o, struct err *e)
{
	struct smtp_reply r;

	set_state(s, SMTP_ST_EOM);
	if (command(s, e, "%s", ".") == -1 ||
	    read_reply(s, &r, s->data_ms, e) == -1)
		return -1;
	return check_421(s, SMTP_STAGE_EOM, &r, o, e) == -1 ? -1 : 1;
}

/* Queue MAIL and every RCPT (RFC 2920 §3.1: one group, no reply read). */
static int
queue_envelope(struct smtp *s, const struct smtp_message *m, struct err *e)
{
	size_t i;

	if (mail_cmd(s, m, e) == -1)
		return -1;
	for (i = 0; i < m->nrcpt; i++)
		if (command(s, e, "RCPT TO:<%s>", m->rcpt[i]) == -1)
			return -1;
	return 0;
}

/*
 * Read the replies to a queued MAIL and RCPTs, every one, in order (RFC
 * 2920 §3.2); *mail_ok says MAIL was taken.  sent: as for reply_for(),
 * while a transaction exists.
 */
static int
envelope_replies(struct smtp *s, const struct smtp_message *m, bool sent,
    bool *mail_ok, struct smtp_outcome *o, struct err *e)
{
	struct smtp_reply r;
	size_t i;

	if (reply_for(s, SMTP_STAGE_MAIL, sent, &r, o, e) == -1)
		return -1;
	*mail_ok = on_mail(o, &r) == 0;
	set_state(s, SMTP_ST_RCPT);
	for (i = 0; i < m->nrcpt; i++) {
		if (reply_for(s, SMTP_STAGE_RCPT, sent && *mail_ok, &r, o,
		    e) == -1)
			return -1;
		if (*mail_ok)
			on_rcpt(o, m->rcpt[i], &r);
	}
	return 0;
}

/* The replies to MAIL, RCPTs and DATA: 0 on 354, 1 refused, -1 broken. */
static int
envelope_read(struct smtp *s, const struct smtp_message *m,
    struct smtp_outcome *o, struct err *e)
{
	struct smtp_reply r;
	bool mail_ok;

	if (envelope_replies(s, m, false, &mail_ok, o, e) == -1)
		return -1;
	set_state(s, SMTP_ST_DATA);
	if (reply_for(s, SMTP_STAGE_DATA, false, &r, o, e) == -1)
		return -1;
	if (mail_ok && o->nrcpt_ok > 0)
		return on_data(s, o, &r, e);
	if (r.code == 354)
		return empty_data(s, o, e);
	return 1;
}

static int
envelope_pipelined(struct smtp *s, const struct smtp_message *m,
    struct smtp_outcome *o, struct err *e)
{
	/* RFC 2920 §3.1: MAIL, every RCPT and DATA go out as one group. */
	set_state(s, SMTP_ST_MAIL);
	if (queue_envelope(s, m, e) == -1 || command(s, e, "DATA") == -1)
		return -1;
	return envelope_read(s, m, o, e);
}

/* Owe m's envelope replies, from its first octet: the server may have
   read part of it. */
static void
pipeline_owe(struct pipeline *p, const struct smtp_message *m)
{
	p->owing = true;
	p->from = m->from;
	p->data = m->data;
	p->len = m->len;
	p->nrcpt = m->nrcpt;
}

/* Whether m is the message whose envelope is owed. */
static bool
pipeline_is(const struct pipeline *p, const struct smtp_message *m)
{
	return p->owing && m->data == p->data && m->len == p->len &&
	    m->from == p->from && m->nrcpt == p->nrcpt;
}

/* Put next's envelope behind the "." just queued; its replies are owed. */
static int
owe(struct smtp *s, const struct smtp_message *next, struct err *e)
{
	pipeline_owe(&s->pipe, next);
	if (queue_envelope(s, next, e) == -1)
		return -1;
	return command(s, e, "DATA");
}

/* m->before_eom: the content is about to be irrevocably out. */
static int
note_in_flight(struct smtp *s, const struct smtp_message *m,
    struct err *e)
{
	if (m->before_eom == NULL || m->before_eom(m->arg) == 0)
		return 0;
	/* Dropping the session without "." discards the message. */
	s->broken = true;
	err_set(e, E_OS, NULL, "%s: stopped before the final \".\": the "
	    "message could not be noted as in flight", s->name);
	return -1;
}

/* The reply that ends a message: 0 accepted, 1 refused, -1 broken. */
static int
verdict(struct smtp *s, const struct smtp_reply *r, struct smtp_outcome *o,
    struct err *e)
{
	o->stage = SMTP_STAGE_EOM;
	o->reply = *r;
	if (r->code >= 200 && r->code < 300) {
		o->accepted = true;
		return 0;
	}
	if (r->code >= 400)
		return check_421(s, SMTP_STAGE_EOM, r, o, e) == -1 ? -1 : 1;
	o->unknown = true;
	s->broken = true;
	return reply_error(s, r, "EOM", e);
}

/*
 * The content and the final "." (with next's envelope behind it when
 * next is not NULL): 0 accepted, 1 refused, -1 broken.
 */
static int
content(struct smtp *s, const struct smtp_message *m,
    const struct smtp_message *next, struct smtp_outcome *o,
    struct err *e)
{
	struct smtp_reply r;

	set_state(s, SMTP_ST_BODY);
	trace(s, "C: <message: %zu bytes, %zu lines>", s->data.len, s->lines);
	if (conn_write(s->c, s->data.data, s->data.len, e) == -1) {
		s->broken = true;
		return -1;
	}
	if (note_in_flight(s, m, e) == -1)
		return -1;
	set_state(s, SMTP_ST_EOM);
	o->stage = SMTP_STAGE_EOM;
	memset(&o->reply, 0, sizeof(o->reply));
	/* From here a lost reply leaves the fate unknown: never resend. */
	if (command(s, e, "%s", ".") == -1 ||
	    (next != NULL && owe(s, next, e) == -1) ||
	    read_reply(s, &r, s->data_ms, e) == -1) {
		o->unknown = true;
		return -1;
	}
	return verdict(s, &r, o, e);
}

/*
 * RFC 3030 with RFC 2920: MAIL, RCPTs, "BDAT n LAST" and the content
 * (not dot-stuffed: RFC 3030 §2) in one group, then every reply in order.
 * 0 accepted, 1 refused, -1 broken.
 */
static int
chunked(struct smtp *s, const struct smtp_message *m,
    struct smtp_outcome *o, struct err *e)
{
	struct smtp_reply r;
	bool mail_ok = false;

	/* The data is in flight from the group's first write on. */
	if (note_in_flight(s, m, e) == -1)
		return -1;
	set_state(s, SMTP_ST_MAIL);
	if (queue_envelope(s, m, e) == -1 ||
	    command(s, e, "BDAT %zu LAST", s->data.len) == -1) {
		o->unknown = true;
		return -1;
	}
	trace(s, "C: <message: %zu bytes, %zu lines>", s->data.len, s->lines);
	if (conn_write(s->c, s->data.data, s->data.len, e) == -1) {
		o->unknown = true;
		return -1;
	}
	if (envelope_replies(s, m, true, &mail_ok, o, e) == -1)
		return -1;
	set_state(s, SMTP_ST_EOM);
	if (reply_for(s, SMTP_STAGE_EOM, mail_ok && o->nrcpt_ok > 0, &r, o,
	    e) == -1)
		return -1;
	/* No transaction: the server discarded the chunk (503 or 554). */
	if (!mail_ok || o->nrcpt_ok == 0)
		return 1;
	return verdict(s, &r, o, e);
}

/* After a refusal: RSET so the session takes the next message. */
static int
rset(struct smtp *s, struct err *e)
{
	struct smtp_reply r;

	set_state(s, SMTP_ST_RSET);
	if (command(s, e, "RSET") == -1 ||
	    read_reply(s, &r, s->cmd_ms, e) == -1)
		return -1;
	if (r.code >= 200 && r.code < 300)
		return 0;
	s->broken = true;
	return reply_error(s, &r, "RSET", e);
}

/* The content of m into s->data: CRLF, and dot-stuffed unless BDAT. */
static int
load(struct smtp *s, const struct smtp_message *m, struct err *e)
{
	int r;

	buf_reset(&s->data);
	if (chunking(s))
		r = smtp_crlf(&s->data, m->data, m->len, &s->lines);
	else
		r = smtp_dotstuff(&s->data, m->data, m->len, &s->lines);
	if (r == -1) {
		err_set(e, E_INPUT, NULL, "message over %u MiB",
		    SMTP_DATA_MAX >> 20);
		return -1;
	}
	return 0;
}

/* The call for the message whose envelope is owed: 0 go on, or -1. */
static int
begin_owed(struct smtp *s, const struct smtp_message *m,
    struct smtp_outcome *o, struct err *e)
{
	if (!pipeline_is(&s->pipe, m)) {
		err_set(e, E_INTERNAL, NULL, "%s: the envelope of another "
		    "message was sent; send that one or close", s->name);
		return -1;
	}
	s->pipe.owing = false;
	if (s->broken) {
		/* Its "." never went out: not delivered, and not unknown. */
		o->stage = SMTP_STAGE_MAIL;
		*e = s->pipe.lost;
		return -1;
	}
	if (load(s, m, e) == -1) {
		s->broken = true;
		return -1;
	}
	return 0;
}

/* Check the call and load m: 0 go on, 1 refused unsent, -1. */
static int
begin(struct smtp *s, const struct smtp_message *m, struct smtp_outcome *o,
    struct err *e)
{
	if (s->pipe.owing)
		return begin_owed(s, m, o, e);
	if (s->broken || s->state != SMTP_ST_READY) {
		err_set(e, E_INTERNAL, NULL, "%s: session not ready (%s)",
		    s->name, state_name[s->state]);
		return -1;
	}
	if (check_message(s, m, e) == -1)
		return -1;
	if (unsendable(s, m, o))
		return 1;
	return load(s, m, e);
}

/* One transaction: 0 accepted, 1 refused, -1 broken. */
static int
transaction(struct smtp *s, const struct smtp_message *m,
    const struct smtp_message *next, bool owed, struct smtp_outcome *o,
    struct err *e)
{
	int r;

	/* One round trip anyway: next is not needed. */
	if (chunking(s))
		return chunked(s, m, o, e);
	if (owed)
		r = envelope_read(s, m, o, e);
	else if (s->caps & CAP_PIPELINING)
		r = envelope_pipelined(s, m, o, e);
	else
		r = envelope_serial(s, m, o, e);
	if (r == 0)
		r = content(s, m, queueable(s, next) ? next : NULL, o, e);
	return r;
}

int
smtp_send_next(struct smtp *s, const struct smtp_message *m,
    const struct smtp_message *next, struct smtp_outcome *o,
    struct err *e)
{
	bool owed = s->pipe.owing;
	int r;

	memset(o, 0, sizeof(*o));
	r = begin(s, m, o, e);
	if (r != 0)
		return r == 1 ? 0 : -1;
	r = transaction(s, m, next, owed, o, e);
	/*
	 * RSET after a refusal, but never with next's envelope in flight:
	 * m's transaction ended with its EOM reply (RFC 5321 §4.1.1.4).
	 */
	if (r == 1 && !s->pipe.owing)
		r = rset(s, e);
	if (r == -1) {
		s->broken = true;
		if (s->pipe.owing)
			s->pipe.lost = *e;
		set_state(s, SMTP_ST_BROKEN);
		return -1;
	}
	set_state(s, s->pipe.owing ? SMTP_ST_MAIL : SMTP_ST_READY);
	return 0;
}

int
smtp_send(struct smtp *s, const struct smtp_message *m,
    struct smtp_outcome *o, struct err *e)
{
	return smtp_send_next(s, m, NULL, o, e);
}

/*
 * --- One transaction step by step, for the relay ----------------------
 * The relay answers its own client's MAIL, RCPT and end of data with
 * what the provider said to each, so it needs the steps one by one, not
 * smtp_send()'s whole transaction.  The same commands, checks, reply
 * reader and content writer serve both.
 */

static int
step_check(struct smtp *s, enum smtp_state want, struct err *e)
{
	if (!s->broken && !s->pipe.owing && s->state == want)
		return 0;
	err_set(e, E_INTERNAL, NULL, "%s: session not in state %s (%s)",
	    s->name, state_name[want], state_name[s->state]);
	return -1;
}

/* Read a step's reply; -1 breaks the session (r holds a 421 if any). */
static int
step_reply(struct smtp *s, enum smtp_stage st, struct smtp_reply *r,
    struct err *e)
{
	struct smtp_outcome o;

	memset(&o, 0, sizeof(o));
	if (reply_for(s, st, false, r, &o, e) == 0)
		return 0;
	s->broken = true;
	set_state(s, SMTP_ST_BROKEN);
	return -1;
}

static void __attribute__((format(printf, 4, 5)))
fake(struct smtp_reply *r, int code, const char *enh, const char *fmt, ...)
{
	va_list ap;

	r->code = code;
	snprintf(r->enh, sizeof(r->enh), "%s", enh);
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

/* What the server cannot take, decided without asking it: 1, else 0. */
static int
step_unfit(struct smtp *s, size_t size, bool eightbit, bool smtputf8,
    struct smtp_reply *r)
{
	if (smtputf8 && !(s->caps & CAP_SMTPUTF8))
		fake(r, 553, "5.6.7", "%s does not offer SMTPUTF8 (RFC 6531 "
		    "§3.5)", s->host);
	else if (eightbit && !(s->caps & CAP_8BITMIME))
		fake(r, 554, "5.6.3", "%s does not offer 8BITMIME: send the "
		    "message as 7bit", s->host);
	else if (s->size_max > 0 && size > s->size_max)
		fake(r, 552, "5.3.4", "message of %zu octets: %s takes at "
		    "most %zu (RFC 1870)", size, s->host, s->size_max);
	else
		return 0;
	trace(s, "not sent: %d %s %s", r->code, r->enh, r->text);
	return 1;
}

int
smtp_mail(struct smtp *s, const char *from, size_t size, bool eightbit,
    bool smtputf8, struct smtp_reply *r, struct err *e)
{
	char sz[32] = "";

	memset(r, 0, sizeof(*r));
	if (step_check(s, SMTP_ST_READY, e) == -1 ||
	    check_addr(from, smtputf8, "sender", e) == -1)
		return -1;
	if (step_unfit(s, size, eightbit, smtputf8, r))
		return 0;
	if ((s->caps & CAP_SIZE) && size > 0)
		snprintf(sz, sizeof(sz), " SIZE=%zu", size);
	set_state(s, SMTP_ST_MAIL);
	if (command(s, e, "MAIL FROM:<%s>%s%s%s", from, sz,
	    eightbit ? " BODY=8BITMIME" : "",
	    smtputf8 ? " SMTPUTF8" : "") == -1 ||
	    step_reply(s, SMTP_STAGE_MAIL, r, e) == -1)
		return -1;
	set_state(s, r->code / 100 == 2 ? SMTP_ST_RCPT : SMTP_ST_READY);
	return 0;
}

int
smtp_rcpt(struct smtp *s, const char *to, bool smtputf8,
    struct smtp_reply *r, struct err *e)
{
	memset(r, 0, sizeof(*r));
	if (step_check(s, SMTP_ST_RCPT, e) == -1 ||
	    check_addr(to, smtputf8, "recipient", e) == -1)
		return -1;
	if (to[0] == '\0') {
		err_set(e, E_INPUT, NULL, "empty recipient address");
		return -1;
	}
	if (command(s, e, "RCPT TO:<%s>", to) == -1)
		return -1;
	return step_reply(s, SMTP_STAGE_RCPT, r, e);
}

int
smtp_data(struct smtp *s, const char *data, size_t len,
    smtp_eom_fn *before_eom, void *arg, struct smtp_outcome *o,
    struct err *e)
{
	struct smtp_message m;
	struct smtp_reply r;
	int rc;

	memset(o, 0, sizeof(*o));
	memset(&m, 0, sizeof(m));
	m.data = data;
	m.len = len;
	m.before_eom = before_eom;
	m.arg = arg;
	if (step_check(s, SMTP_ST_RCPT, e) == -1)
		return -1;
	buf_reset(&s->data);
	if (smtp_dotstuff(&s->data, data, len, &s->lines) == -1) {
		err_set(e, E_INPUT, NULL, "message over %u MiB",
		    SMTP_DATA_MAX >> 20);
		return -1;
	}
	set_state(s, SMTP_ST_DATA);
	rc = command(s, e, "DATA");
	if (rc == 0)
		rc = reply_for(s, SMTP_STAGE_DATA, false, &r, o, e);
	if (rc == 0)
		rc = on_data(s, o, &r, e);
	if (rc == 0)
		rc = content(s, &m, NULL, o, e);
	if (rc == 1)
		rc = rset(s, e);
	if (rc == -1) {
		s->broken = true;
		set_state(s, SMTP_ST_BROKEN);
		return -1;
	}
	set_state(s, SMTP_ST_READY);
	return 0;
}

int
smtp_rset(struct smtp *s, struct err *e)
{
	if (s->broken) {
		err_set(e, E_NET, NULL, "%s: session lost", s->name);
		return -1;
	}
	if (s->state != SMTP_ST_RCPT)
		return 0;
	if (rset(s, e) == -1) {
		s->broken = true;
		set_state(s, SMTP_ST_BROKEN);
		return -1;
	}
	set_state(s, SMTP_ST_READY);
	return 0;
}

bool
smtp_broken(const struct smtp *s)
{
	return s->broken;
}
