#ifndef SMTPSERVER_H
#define SMTPSERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "buf.h"

/*
 * The server side of SMTP, as pure functions for the relay: one
 * command line in, the verb and its arguments out, or the reply that
 * refuses it.  Nothing here reads or writes a socket, so the fuzz
 * harness can drive it alone.
 */

#define SMTPSERVER_CMD_MAX	512	/* RFC 5321 §4.5.3.1.4, CRLF included */
#define SMTPSERVER_TEXT_MAX	1000	/* RFC 5321 §4.5.3.1.6, CRLF included */
#define SMTPSERVER_PATH_MAX	(ADDR_MAX + 2)	/* a path, <> included */

enum smtpserver_verb {
	SMTPSERVER_EHLO = 0,
	SMTPSERVER_HELO,
	SMTPSERVER_STARTTLS,
	SMTPSERVER_AUTH,
	SMTPSERVER_MAIL,
	SMTPSERVER_RCPT,
	SMTPSERVER_DATA,
	SMTPSERVER_RSET,
	SMTPSERVER_NOOP,
	SMTPSERVER_QUIT,
	SMTPSERVER_VRFY,	/* VRFY, EXPN, HELP: not implemented (502) */
	SMTPSERVER_NVERBS
};

/* A reply: static text, never NULL. */
struct smtpserver_reply {
	int		 code;
	const char	*enh;		/* "5.5.2" */
	const char	*text;
};

struct smtpserver_cmd {
	enum smtpserver_verb verb;
	/* EHLO/HELO name, MAIL/RCPT address (no <>), AUTH mechanism */
	char		 arg[SMTPSERVER_PATH_MAX];
	char		 initial[SMTPSERVER_CMD_MAX];	/* AUTH's response */
	bool		 has_initial;
	size_t		 size;		/* MAIL SIZE=, 0: not given */
	bool		 eightbit;	/* MAIL BODY=8BITMIME */
	bool		 smtputf8;	/* MAIL SMTPUTF8 */
	bool		 utf8;		/* the address is not ASCII */
};

/*
 * Parse one command line, without its CRLF (len octets, may hold NULs).
 * 0 with *c filled, or -1 with *r the reply that refuses the line
 * (500 too long or not text, 500 unknown verb, 501 bad arguments, 555
 * unknown MAIL/RCPT parameter, 553 bad address).
 */
int	smtpserver_parse(const char *line, size_t len,
	    struct smtpserver_cmd *c, struct smtpserver_reply *r);

/* What DATA's content was found to be so far. */
struct smtpserver_data {
	bool		 bol;		/* at the start of a line */
	bool		 cr;		/* the last chunk ended in CR */
	size_t		 linelen;	/* octets of the line so far */
	const char	*bad;		/* why it is refused, or NULL */
	bool		 big;		/* out's cap was reached */
};

void	smtpserver_data_init(struct smtpserver_data *d);

/*
 * One chunk of DATA content as read (a line with its LF, or part of a
 * longer one): 1 if it is the end, "." CRLF at a line start (RFC 5321
 * §4.1.1.4: nothing else ends it, not "." after a bare LF); else 0,
 * with the chunk appended to out without the dot a leading "." got
 * (§4.5.2), d->bad set at the first bare LF, bare CR, NUL or line over
 * 1000 octets (SMTP smuggling; §4.5.3.1.6), d->big once out is full.
 */
int	smtpserver_data_feed(struct smtpserver_data *d, const char *p,
	    size_t n, struct buf *out);

/* "EHLO", "MAIL", ... for traces. */
const char *smtpserver_verb_name(enum smtpserver_verb v);

/*
 * Whether an AUTH PLAIN response (decoded, n octets: authzid NUL authcid
 * NUL password, RFC 4616) names user with password; the comparisons take
 * the same time whatever the bytes (a timing side channel tells nothing).
 */
bool	smtpserver_plain_ok(const char *resp, size_t n, const char *user,
	    const char *password);

/* Constant-time equality of a[0..an) and b[0..bn) (lengths may leak). */
bool	smtpserver_same(const char *a, size_t an, const char *b, size_t bn);

#endif /* SMTPSERVER_H */
