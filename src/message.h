#ifndef MESSAGE_H
#define MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

/*
 * An RFC 5322 / MIME message built from rendered template headers and
 * body: RFC 2047 encoding of unstructured text and display names,
 * folding under 78 columns, Date, Message-ID, MIME headers, CRLF line
 * ends, lines under 998 octets.  Recipients are parsed out of To, Cc
 * and Bcc; Bcc is never written.  No dot-stuffing here (that is SMTP's).
 */

#define MESSAGE_MAX		(64 * 1024 * 1024)	/* bytes in one message */
#define MESSAGE_RCPT_MAX	100	/* recipients per message (providers' cap) */
#define MESSAGE_ADDR_MAX	254	/* octets in one address, RFC 5321 §4.5.3.1 */

struct message_header {
	const char	*name;		/* as written in the template */
	const char	*value;		/* rendered, UTF-8, one line */
	size_t		 len;
};

struct message_params {
	const struct message_header *hdr;	/* template headers, in order */
	size_t		 nhdr;
	const char	*body;			/* rendered text, any line ends */
	size_t		 body_len;
	time_t		 date;			/* for Date: */
	const char	*msgid_left;		/* unique left part of Message-ID */
	const char	*from_default;		/* From if none given, or NULL */
	bool		 allow_8bit;		/* 8bit body allowed (else base64) */
	bool		 body_utf8;		/* the body is known to be valid
						   UTF-8: message_check() does
						   not scan it */
};

struct message {
	struct buf	text;		/* the whole message, CRLF line ends */
	struct buf	rcpt;		/* envelope recipients, each NUL-ended */
	size_t		nrcpt;
	char		from[MESSAGE_ADDR_MAX + 1];	/* From's addr-spec */
	char		msgid[MESSAGE_ADDR_MAX + 3];	/* "<...>" */
	bool		eightbit;	/* body is 8bit: needs 8BITMIME */
	bool		utf8_addr;	/* an address is non-ASCII: SMTPUTF8 */
	/* Private to message.c: the Date value, cached per time_t. */
	time_t		date_when;
	bool		date_ok;
	char		date[64];
};

void	message_init(struct message *m);
void	message_fini(struct message *m);

/*
 * Build m from p, replacing what m held.  E_INPUT with e->where naming
 * the header ("To", "From"...) for: no From, no recipient, an invalid
 * address, more than MESSAGE_RCPT_MAX recipients, a header the template
 * may not set (Date, Message-ID, MIME-Version, Content-*), too large.
 */
int	message_build(struct message *m, const struct message_params *p,
	    struct err *e);

/*
 * Every check message_build() makes, with the same errors, building no
 * text: m->rcpt, nrcpt, from and utf8_addr are set as it sets them;
 * m->text stays empty unless the message may pass MESSAGE_MAX, when it
 * is built to be sure.  For a validation pass.  With p->body_utf8 the
 * body is only measured (m->eightbit is then left false), since UTF-8
 * is all message_build() can refuse in it.
 */
int	message_check(struct message *m, const struct message_params *p,
	    struct err *e);

/* Recipient i (0-based, i < m->nrcpt), To then Cc then Bcc order. */
const char *message_rcpt(const struct message *m, size_t i);

/*
 * RFC 2047 "B" encoded-words for UTF-8 text s, appended to out, folded
 * (CRLF SP) so no line passes 78 columns; col is the column the text
 * starts at.  Never splits a UTF-8 character.  phrase: the text is a
 * display name (else unstructured).  -1 if out's cap is reached.
 * A phrase is all encoded-words.  Unstructured text keeps leading and
 * trailing plain ASCII words plain (folded at their white space) and
 * encodes the span between, so that decoding gives back s exactly.
 */
int	message_encode_words(struct buf *out, const char *s, size_t n,
	    size_t col, bool phrase);

/*
 * Parse an address list (RFC 5322 §3.4: "Name <a@b>", "a@b", quoted
 * names, comma-separated) calling fn for each mailbox; name may be
 * empty.  E_INPUT naming the offending address.
 */
typedef int message_addr_fn(void *arg, const char *name, size_t nlen,
    const char *addr, size_t alen);
int	message_parse_addrs(const char *s, size_t n, message_addr_fn *fn,
	    void *arg, struct err *e);

#endif /* MESSAGE_H */
