#ifndef SMTP_H
#define SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "err.h"

/*
 * An SMTP submission client session (RFC 5321, 3207, 4954, 2920, 3030,
 * 3463): greeting, EHLO, STARTTLS, EHLO again, AUTH, then any number of
 * messages, each one MAIL/RCPT/DATA transaction (pipelined when the
 * server offers PIPELINING, across messages with smtp_send_next();
 * MAIL/RCPT/BDAT in one group when it offers CHUNKING too), then QUIT.
 * The states form a named enum so -v/--trace can show every transition.
 * AUTH is refused in code unless TLS is active and verified.
 * Dot-stuffing and CRLF normalisation happen here, in one function.
 */

#define SMTP_REPLY_MAX		512	/* text kept of a reply (all lines) */
#define SMTP_REPLY_LINES_MAX	100	/* lines in one multi-line reply */
#define SMTP_CMD_MAX		1024	/* one command line */

/*
 * Default timeouts, each a deadline (conn.h): RFC 5321 §4.5.3.2, 5 min
 * for a command's reply, 10 min for the reply after "."; connecting to
 * all of a host's addresses, 30 s.
 */
#define SMTP_CONNECT_MS		(30 * 1000)
#define SMTP_CMD_MS		(5 * 60 * 1000)
#define SMTP_DATA_MS		(10 * 60 * 1000)

enum smtp_stage {
	SMTP_STAGE_NONE = 0,
	SMTP_STAGE_CONNECT,	/* greeting */
	SMTP_STAGE_EHLO,
	SMTP_STAGE_STARTTLS,
	SMTP_STAGE_AUTH,
	SMTP_STAGE_MAIL,
	SMTP_STAGE_RCPT,
	SMTP_STAGE_DATA,	/* the reply to DATA (354) */
	SMTP_STAGE_EOM,		/* the reply after the final "." */
	SMTP_STAGE_RSET,
	SMTP_STAGE_QUIT
};

enum smtp_auth {
	SMTP_AUTH_AUTO = 0,	/* PLAIN if offered, else LOGIN */
	SMTP_AUTH_PLAIN,
	SMTP_AUTH_LOGIN,
	SMTP_AUTH_XOAUTH2,
	SMTP_AUTH_NONE		/* no AUTH (a relay that trusts the host) */
};

/* A server reply: data, not an error.  Control characters replaced. */
struct smtp_reply {
	int	code;			/* 0 if none was read */
	char	enh[16];		/* "5.1.1" (RFC 3463) or "" */
	char	text[SMTP_REPLY_MAX];	/* all lines joined by " ", no code */
};

struct smtp_params {
	const char	*host;		/* server name (TLS name check, SNI) */
	const char	*port;		/* "587" */
	bool		 implicit_tls;	/* TLS from the start (port 465) */
	const char	*ca_file;	/* extra trusted CA PEM, or NULL */
	struct conn_trusts *trusts;	/* CA stores shared by a run's
					   sessions, or NULL */
	const char	*helo;		/* EHLO name; NULL: the host name */
	enum smtp_auth	 auth;
	const char	*user;		/* AUTH identity */
	const char	*secret;	/* password or OAuth token (borrowed) */
	int		 connect_ms;	/* timeouts (RFC 5321 §4.5.3.2) */
	int		 cmd_ms;	/* a command's reply, e.g. 300000 */
	int		 data_ms;	/* the reply after ".", e.g. 600000 */
	FILE		*trace;		/* "C: ..."/"S: ..." lines, or NULL */
	const char	*trace_tag;	/* prefix in trace lines (account) */
};

/* What happened to one message. */
struct smtp_outcome {
	enum smtp_stage	  stage;	/* where it ended (EOM if accepted) */
	struct smtp_reply reply;	/* the deciding reply */
	size_t		  nrcpt_ok;	/* recipients accepted */
	size_t		  nrcpt_bad;	/* recipients refused */
	char		  refused[SMTP_REPLY_MAX];	/* "addr: 550 5.1.1 ...; ..." */
	bool		  accepted;	/* 2xx after the final "." */
	bool		  unknown;	/* "." sent, no reply: may or may not be taken */
};

/*
 * Called just before the final "." goes out (with BDAT: before the group
 * that carries the content); -1 stops the send.
 */
typedef int smtp_eom_fn(void *arg);

struct smtp_message {
	const char	*from;		/* envelope sender (addr-spec) */
	const char *const *rcpt;	/* envelope recipients */
	size_t		 nrcpt;
	const char	*data;		/* RFC 5322 text, CRLF; not dot-stuffed */
	size_t		 len;
	bool		 eightbit;	/* needs BODY=8BITMIME */
	bool		 smtputf8;	/* needs SMTPUTF8 */
	smtp_eom_fn	*before_eom;	/* durably note "in flight", or NULL */
	void		*arg;
};

struct smtp;

/*
 * Connect, read the greeting, EHLO, STARTTLS (unless implicit TLS),
 * EHLO again, AUTH.  E_NET/E_TLS: cannot connect, no STARTTLS offered
 * or refused, handshake or verification failed; E_AUTH: credentials
 * refused (*last says the reply); E_TEMP/E_PERM: other refusals;
 * E_PROTO.  On error *sp is NULL and nothing is left open.
 */
int	smtp_open(struct smtp **sp, const struct smtp_params *p,
	    struct smtp_reply *last, struct err *e);

/*
 * One transaction.  Returns 0 when the server gave its verdict (o says
 * accepted or refused, at which stage, for which recipients), -1 when
 * the session broke (e: E_NET, E_PROTO, or E_TEMP for a 421):
 * o->unknown tells whether the "." (or the BDAT group) was already
 * sent.  After a refusal the session has been RSET and can take the
 * next message.  With CHUNKING and PIPELINING offered, one group "MAIL,
 * RCPT..., BDAT n LAST, content" (not dot-stuffed, RFC 3030 §2)
 * replaces MAIL/RCPT/DATA.  A message the server cannot take (over its
 * SIZE, or needing SMTPUTF8 it lacks) is refused at MAIL without being
 * sent, with a synthetic reply saying why.  -1 with nothing sent and
 * the session intact: E_INPUT (an address with CR, LF, '<', '>',
 * controls, or over 256 octets; non-ASCII without m->smtputf8),
 * E_INTERNAL (eightbit but no 8BITMIME: re-encode).  -1 with E_OS when
 * before_eom failed: the session is then dropped.
 */
int	smtp_send(struct smtp *s, const struct smtp_message *m,
	    struct smtp_outcome *o, struct err *e);

/*
 * smtp_send() that, when next != NULL and the server offers
 * PIPELINING, writes next's MAIL/RCPT/DATA right behind m's final "."
 * in the same flush (RFC 2920 §3.1).  The session then owes next's
 * envelope replies: the following call must send exactly that message
 * (the same from and data pointers, len and nrcpt) --
 * smtp_send_next(s, next, next2, ...) or smtp_send(s, next, ...) --
 * which reads them instead of sending the envelope again; or
 * smtp_close(), which then drops the connection without QUIT (a server in DATA state would take QUIT as content;
 * closing discards the unfinished transaction).  m->before_eom is
 * called before the write that holds m's "." (and next's envelope).
 * next is not sent (and nothing is owed) when it is invalid, could not
 * be sent, m's transaction failed before its content, or CHUNKING is
 * on (one round trip anyway).  No RSET goes out while an envelope is
 * owed.  If the session breaks while next's replies are owed, the call
 * for next returns -1 with the same e and o->unknown false: its "."
 * never went.  A call for another message: -1 E_INTERNAL, nothing done.
 */
int	smtp_send_next(struct smtp *s, const struct smtp_message *m,
	    const struct smtp_message *next, struct smtp_outcome *o,
	    struct err *e);

/* True while a sent envelope's replies are pending (see above). */
bool	smtp_owes(const struct smtp *s);

/* Capabilities from the last EHLO. */
bool	smtp_has(const struct smtp *s, const char *ext);	/* "PIPELINING" */

/* QUIT (best effort; none while an envelope is owed) and free; NULL ok. */
void	smtp_close(struct smtp *s);

/* Name of a stage for reports: "MAIL", "RCPT", "EOM", ... */
const char *smtp_stage_name(enum smtp_stage st);

/*
 * Parse one reply line ("250-text", "250 text", "250"): the code
 * (200-599), whether it is the last line, and *text pointing after the
 * separator into line.  0 or -1; exported for the fuzz harness.
 */
int	smtp_parse_line(const char *line, size_t len, int *code,
	    bool *last, const char **text);

/*
 * Add one received line to the reply r; *nlines counts the lines so
 * far (0 starts a new reply, and r is cleared).  Sets *done on the
 * final line.  Checks the code is the same on every line, at most
 * SMTP_REPLY_LINES_MAX lines and CONN_LINE_MAX octets each; takes an
 * RFC 3463 code into r->enh; replaces control characters and bad UTF-8
 * with '?'.  0, or -1 with E_PROTO.
 */
int	smtp_reply_feed(struct smtp_reply *r, size_t *nlines,
	    const char *line, size_t len, bool *done, struct err *e);

/*
 * Append p[0..n) to out as DATA content (RFC 5321 §4.5.2): lone CR or
 * LF become CRLF, a line starting with '.' gets another '.', and the
 * text ends with CRLF (nothing is added to empty input).  The final
 * "." line is not added.  *lines (if not NULL) gets the line count.
 * 0, or -1 when out's cap is reached.
 */
int	smtp_dotstuff(struct buf *out, const void *p, size_t n,
	    size_t *lines);

/* The same without dot-stuffing, for BDAT (RFC 3030 §2). */
int	smtp_crlf(struct buf *out, const void *p, size_t n, size_t *lines);

/*
 * One transaction step by step, for the relay, which answers its own
 * client with the server's reply to each step.  smtp_mail(): MAIL FROM
 * with SIZE (when size > 0 and offered), BODY=8BITMIME, SMTPUTF8; a
 * message the server cannot take (SMTPUTF8 or 8BITMIME not offered,
 * over its SIZE) gets a synthetic refusal in *r without a word sent.
 * smtp_rcpt(): one RCPT TO, after MAIL was taken.  smtp_data(): DATA,
 * the content (CRLF, not dot-stuffed: stuffed here), before_eom, the
 * final "." and the verdict in *o as smtp_send() gives it; after a
 * refusal the session is RSET.  smtp_rset(): end an open transaction.
 * Each returns 0 with the reply (a reply is data), or -1 when the
 * session broke (E_NET, E_PROTO, E_TEMP for a 421, whose reply is in
 * *r or o->reply; E_INPUT/E_INTERNAL with nothing sent): then only
 * smtp_close() remains.
 */
int	smtp_mail(struct smtp *s, const char *from, size_t size,
	    bool eightbit, bool smtputf8, struct smtp_reply *r,
	    struct err *e);
int	smtp_rcpt(struct smtp *s, const char *to, bool smtputf8,
	    struct smtp_reply *r, struct err *e);
int	smtp_data(struct smtp *s, const char *data, size_t len,
	    smtp_eom_fn *before_eom, void *arg, struct smtp_outcome *o,
	    struct err *e);
int	smtp_rset(struct smtp *s, struct err *e);

/* True once the session is lost (a reply missing, a 421): reconnect. */
bool	smtp_broken(const struct smtp *s);

#endif /* SMTP_H */
