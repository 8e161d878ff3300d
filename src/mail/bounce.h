#ifndef BOUNCE_H
#define BOUNCE_H

#include <stddef.h>
#include <time.h>

#include "err.h"

/*
 * One received message read as a bounce: RFC 3464 delivery status
 * notifications, the common non-standard bounce texts (Exim, qmail,
 * Sendmail, Postfix, Exchange, Gmail, Yahoo, Amazon SES, Naver/Daum)
 * and RFC 3834 automatic replies.  Bounces are mail from strangers:
 * the parser takes any bytes, refuses what is too big or too deeply
 * nested with a note, and never prints.
 */

#define BOUNCE_SIZE_MAX		(25u * 1024 * 1024)	/* octets */
#define BOUNCE_DEPTH_MAX	32	/* MIME nesting we walk into */
#define BOUNCE_CONTAINERS_MAX	256	/* multipart and message parts */
#define BOUNCE_RCPT_MAX		100	/* recipients taken from one */
#define BOUNCE_DIAG_MAX		300	/* octets of diagnostic kept */

enum bounce_kind {
	BOUNCE_NONE = 0,	/* ordinary mail: not a bounce */
	BOUNCE_DSN,		/* a delivery failure or delay notice */
	BOUNCE_AUTOREPLY	/* vacation, out of office (RFC 3834) */
};

enum bounce_action {
	BOUNCE_FAILED = 0,	/* permanent: the mail did not arrive */
	BOUNCE_DELAYED		/* still being tried: a warning */
};

struct bounce_rcpt {
	char		*addr;		/* the failed address (UTF-8) */
	enum bounce_action action;
	char		 status[16];	/* RFC 3463 "5.1.1", "" if none */
	int		 smtp_code;	/* 550, 0 if none */
	char		*diagnostic;	/* one line of UTF-8, maybe "" */
};

struct bounce {
	enum bounce_kind kind;
	char		*format;	/* "rfc3464", "exim", "qmail", ... */
	char		*orig_msgid;	/* "<...>" of the returned mail, or "" */
	char		*mta;		/* the reporting server, or "" */
	char		*from;		/* the bounce's sender address, or "" */
	time_t		 date;		/* its Date:, 0 if none or bad */
	struct bounce_rcpt *rcpt;	/* for BOUNCE_DSN */
	size_t		 nrcpt;
};

/*
 * Read the message data[0..len) into *bp (owned by the caller:
 * bounce_free).  Ordinary mail gives kind BOUNCE_NONE; a bounce whose
 * recipients cannot be found gives BOUNCE_DSN with nrcpt 0.  E_INPUT
 * (nothing in *bp) when the message is bigger than BOUNCE_SIZE_MAX,
 * nests more than BOUNCE_CONTAINERS_MAX parts or is not mail at all;
 * the message says which, for a note.
 */
int	bounce_parse(struct bounce **bp, const char *data, size_t len,
	    struct err *e);
void	bounce_free(struct bounce *b);

#endif /* BOUNCE_H */
