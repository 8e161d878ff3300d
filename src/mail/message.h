#ifndef MESSAGE_H
#define MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "addr.h"
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
#define MESSAGE_MIXED_MAX	(35 * 1000 * 1000)	/* octets in a message
					   with attachments (Gmail's SIZE
					   is 35882577) */
#define MESSAGE_FILENAME_MAX	255	/* octets in an attachment's name */
#define MESSAGE_SEEN		4	/* address headers remembered */

/* The body a template's Content-Type asks for. */
enum message_body {
	MESSAGE_TEXT,		/* text/plain (also with no Content-Type) */
	MESSAGE_MARKDOWN,	/* text/markdown: text and HTML alternatives */
	MESSAGE_HTML		/* text/html: HTML and a text alternative */
};

struct message_attachment {
	const char	*name;		/* file name, UTF-8 */
	size_t		 name_len;
	const char	*type;		/* MIME type, "type/sub[; params]" */
	const void	*data;		/* contents (or NULL: count_only) */
	size_t		 len;
	const char	*b64;		/* or the contents as codec_base64_lines() */
	size_t		 b64_len;	/* made them (CRLF lines), NULL if not */
	const char	*cid;		/* an inline image's Content-ID, without
					   "<>", as the HTML's "cid:" URL
					   names it; NULL for attachments */
};

struct message_header {
	const char	*name;		/* as written in the template */
	const char	*value;		/* rendered, UTF-8, one line */
	size_t		 len;
	const char	*marked;	/* an address header rendered with its
					   fields marked (message_mark()),
					   or NULL: all the template's */
	size_t		 mlen;
};

struct message_params {
	const struct message_header *hdr;	/* template headers, in order */
	size_t		 nhdr;
	const char	*body;			/* rendered text, any line ends;
						   UTF-8, which the caller makes
						   sure of (the template and the
						   roster reader check theirs,
						   rendering keeps it), so it is
						   not checked again */
	size_t		 body_len;
	time_t		 date;			/* for Date: */
	const char	*msgid_left;		/* unique left part of Message-ID */
	const char	*from_default;		/* From if none given, or NULL */
	bool		 allow_8bit;		/* 8bit body allowed (else base64) */
	bool		 count_only;		/* a validation pass: the
						   parts' contents are counted
						   (m->counted), not written:
						   the text parts' and the
						   files', whose data and b64
						   may be NULL; the text is only
						   good for throwing away */
	const char	*html;			/* an HTML alternative to body
						   (UTF-8 as body is),
						   or NULL: text/plain only */
	size_t		 html_len;
	const struct message_attachment *att;	/* attached files, in order */
	size_t		 natt;
	const struct message_attachment *img;	/* inline images of the HTML
						   part (multipart/related),
						   each with its cid */
	size_t		 nimg;
	const char *const *cols;		/* column names of marks, for
						   errors; may be NULL */
	size_t		 ncols;
};

struct message {
	struct buf	text;		/* the whole message, CRLF line ends */
	struct buf	rcpt;		/* envelope recipients, each NUL-ended */
	size_t		nrcpt;
	char		from[ADDR_MAX + 1];	/* From's addr-spec */
	char		msgid[ADDR_MAX + 3];	/* "<...>" */
	bool		eightbit;	/* body is 8bit: needs 8BITMIME */
	bool		utf8_addr;	/* a local part is non-ASCII: SMTPUTF8 */
	size_t		counted;	/* octets counted, not written in
					   text (p->count_only) */
	/* Private to message.c: an address header unmarked. */
	struct buf	plain;
	struct buf	cmap;		/* uint32_t column + 1 per octet */
	/*
	 * Private to message.c: address headers parsed lately, so that a
	 * header is parsed once a message and a template's own From once
	 * a batch (the parse, with IDNA, costs more than the writing).
	 */
	struct message_seen {
		struct buf	 key;		/* the value, then the marked */
		size_t		 vlen;		/* octets of the value in key */
		bool		 marked;
		struct buf	 boxes;		/* each mailbox: name, address */
		unsigned long	 used;		/* when last used, 0: empty */
	} seen[MESSAGE_SEEN];
	unsigned long	seen_clock;
	/* Private to message.c: the Date value, cached per time_t. */
	time_t		date_when;
	bool		date_ok;
	char		date[64];
};

void	message_init(struct message *m);
void	message_fini(struct message *m);

/*
 * Build m from p, replacing what m held: text/plain alone, or
 * multipart/alternative {text/plain, text/html} when p->html is set,
 * inside multipart/mixed with the attachments when p->natt > 0.  The
 * template's Content-Type and Attachment headers are checked, never
 * written.  E_INPUT with e->where naming the header ("To", "From"...)
 * for: no From, no recipient, an invalid address, more than
 * MESSAGE_RCPT_MAX recipients, a header the template may not set (Date,
 * Message-ID, MIME-Version, Content-* but Content-Type), a Content-Type
 * other than message_body_kind() takes, a bad file name, too large
 * (MESSAGE_MAX; MESSAGE_MIXED_MAX with attachments).
 */
int	message_build(struct message *m, const struct message_params *p,
	    struct err *e);

/*
 * The body kind Content-Type value v[0..n) names: text/plain,
 * text/markdown or text/html, with no parameter but charset=UTF-8 (and
 * variant=CommonMark for Markdown).  E_INPUT at "Content-Type".
 */
int	message_body_kind(const char *v, size_t n, enum message_body *k,
	    struct err *e);

/*
 * An attachment's MIME headers appended to out, each line CRLF-ended:
 * Content-Type type with name= (RFC 2047 encoded-words for a name that
 * is not plain ASCII, for older readers), Content-Disposition
 * attachment with filename= for a short ASCII name, else RFC 2231
 * continuations filename*0*=UTF-8''%XX...; filename*1*=... on lines
 * under 78 columns.  Then Content-Transfer-Encoding: base64.  -1 at
 * out's cap.
 */
int	message_attachment_headers(struct buf *out, const char *type,
	    const char *name, size_t n);

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
 * empty, addr is the sendable form addr_sendable() gives (the domain
 * as IDNA A-labels).  E_INPUT naming the offending address.
 */
typedef int message_addr_fn(void *arg, const char *name, size_t nlen,
    const char *addr, size_t alen);
int	message_parse_addrs(const char *s, size_t n, message_addr_fn *fn,
	    void *arg, struct err *e);

#define MESSAGE_MARK	'\001'	/* message_mark(): MARK len "." col END */
#define MESSAGE_MARK_END	'\002'

/*
 * Field value v[0..n) of column col appended to out marked, for
 * message_header.marked: in an address header a field gives one
 * display name or one address, and what it holds is content, never
 * structure.  -1 at out's cap.
 */
int	message_mark(struct buf *out, const char *v, size_t n, size_t col);

/* Whether header name is one of addresses (From, To, Cc, Reply-To...). */
bool	message_header_is_address(const char *name);

#endif /* MESSAGE_H */
