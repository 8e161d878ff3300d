/*
 * bounce: one received message read as a bounce, with GMime 3 (the only
 * module that includes it).  GMime builds the MIME tree, decodes
 * transfer encodings and converts every text part to UTF-8 whatever its
 * charset; we walk the tree ourselves so the walk has a depth cap.
 *
 * An RFC 3464 report is read from its message/delivery-status part:
 * header-like blocks, the first per message, then one per recipient,
 * which we split ourselves (GMime keeps the part opaque).  Mail that is
 * a bounce but no RFC 3464 report (Exim, qmail, old Sendmail, Yahoo,
 * ...) is read from its text: the region after a known marker up to the
 * copy of the returned mail holds the failed addresses, each followed
 * by its reason, from which the RFC 3463 status (or the SMTP code it
 * implies) is taken.  Which markers mean what is a table.
 *
 * Hostile input: GMime's parser recurses once per nested multipart, so
 * a message declaring more than BOUNCE_CONTAINERS_MAX containers is
 * refused before GMime sees it (10,000 nested multiparts would overflow
 * the stack), and one bigger than BOUNCE_SIZE_MAX too.  Every string
 * that leaves this module is valid UTF-8 without control characters.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "addr.h"
#include "bounce.h"
#include "buf.h"
#include "nitems.h"
#include "utf8.h"
#include "xalloc.h"

#define TEXT_CAP	(512 * 1024)	/* bounce text we scan */
#define DSN_CAP		(256 * 1024)	/* delivery-status text we read */
#define FIELD_CAP	1024

/* A non-standard bounce is known by a sentence of its text. */
struct marker {
	const char	*format;
	const char	*text;		/* matched case-insensitively */
	enum bounce_action action;
};

static const struct marker markers[] = {
	{ "exim", "This message was created automatically by mail "
	    "delivery software", BOUNCE_FAILED },
	{ "exim", "following address(es) failed", BOUNCE_FAILED },
	{ "qmail", "This is the qmail-send program", BOUNCE_FAILED },
	{ "sendmail", "had permanent fatal errors", BOUNCE_FAILED },
	{ "sendmail", "----- Transcript of session follows -----",
	    BOUNCE_FAILED },
	{ "postfix", "This is the mail system at host", BOUNCE_FAILED },
	{ "postfix", "message could not be delivered to one or more "
	    "recipients", BOUNCE_FAILED },
	{ "exchange", "Delivery has failed to these recipients or groups",
	    BOUNCE_FAILED },
	{ "exchange", "Your message couldn't be delivered", BOUNCE_FAILED },
	{ "exchange", "Your message to", BOUNCE_FAILED },
	{ "gmail", "Address not found", BOUNCE_FAILED },
	{ "gmail", "Your message wasn't delivered to", BOUNCE_FAILED },
	{ "gmail", "Delivery to the following recipient failed",
	    BOUNCE_FAILED },
	{ "yahoo", "Sorry, we were unable to deliver your message",
	    BOUNCE_FAILED },
	{ "ses", "An error occurred while trying to deliver the mail",
	    BOUNCE_FAILED },
	{ "generic", "could not be delivered to", BOUNCE_FAILED },
	{ "generic", "Delivery to the following recipients failed",
	    BOUNCE_FAILED },
	{ "generic", "Undelivered Mail Returned to Sender", BOUNCE_FAILED },
	{ "generic", "permanent error", BOUNCE_FAILED },
};

/* Sentences that make a bounce a delay warning, not a failure. */
static const char *const delayed_text[] = {
	"This is a warning message only", "YOU DO NOT NEED TO RESEND",
	"will continue trying", "will continue to try", "still trying",
	"Delivery incomplete", "has not yet been delivered",
	"Delivery Status Notification (Delay)", "Message delayed",
	"delivery has been delayed",
};

/* Where the copy of the returned mail starts: no addresses past it. */
static const char *const copy_text[] = {
	"------ This is a copy of the message", "--- Below this line is a "
	"copy", "----- Original message -----", "Original message headers",
	"--- Below this line is a copy of the message", "----- Unsent "
	"message follows -----", "------ The body of the message",
	"----- The following is a copy", "Original Message Headers",
	"Return-Path:", "\nReceived:",
};

/* Senders and subjects that mean a bounce (with an address in it). */
static const char *const daemon_user[] = {
	"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon",
};

static const char *const bounce_subject[] = {
	"Undelivered Mail", "Undeliverable", "Delivery Status Notification",
	"Mail delivery failed", "failure notice", "Returned mail",
	"Delivery Failure", "Mail System Error", "Delivery failed",
	"Nondeliverable", "Warning: message",
	"발송 실패", "전송 실패",	/* Korean wording; no public sample */
};

/* RFC 3834 §5 and the headers vacation programs set. */
static const char *const autoreply_subject[] = {
	"Auto:", "Automatic reply", "Autoreply", "Auto-Reply", "Auto reply",
	"Out of Office", "Out of the Office", "Vacation", "On vacation",
	"자동 회신", "자동응답", "자동 응답", "부재",
};

struct scan {
	struct buf	 dsn;		/* message/delivery-status text */
	struct buf	 text;		/* the bounce's own text parts */
	struct buf	 headers;	/* text/rfc822-headers */
	char		*orig;		/* Message-ID of message/rfc822 */
	bool		 html_only;
};

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void
gmime_start(void)
{
	g_mime_init();
}

/* ---- strings that leave the module -------------------------------- */

/* s[0..n) as one line of valid UTF-8: controls and bad bytes a space
 * or '?', runs of white space one space, ends trimmed, cut at cap. */
static char *
clean(const char *s, size_t n, size_t cap)
{
	char *out = xmalloc(n + 1), *p = out;
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;
	bool space = true;

	while (i < n && (size_t)(p - out) < cap) {
		k = utf8_len(u + i, n - i);
		if (k == 0 || u[i] < 0x20 || u[i] == 0x7f || u[i] == ' ') {
			if (k == 0 && !space)
				*p++ = '?';
			else if (!space)
				*p++ = ' ';
			space = k != 0;
			i++;
			continue;
		}
		if ((size_t)(p - out) + k > cap)
			break;
		memcpy(p, s + i, k);
		p += k;
		i += k;
		space = false;
	}
	while (p > out && p[-1] == ' ')
		p--;
	*p = '\0';
	return out;
}

/* A reason cut out of a text: without the punctuation that led to it. */
static char *
clean_reason(const char *s, size_t n)
{
	while (n > 0 && strchr(" \t\r\n>:;,.)]-", *s) != NULL) {
		s++;
		n--;
	}
	return clean(s, n, BOUNCE_DIAG_MAX);
}

static char *
clean_str(const char *s)
{
	return clean(s != NULL ? s : "", s != NULL ? strlen(s) : 0, FIELD_CAP);
}

/* ---- small text helpers ------------------------------------------- */

/* Case-insensitive search of needle in s[0..n), NULL if absent. */
static const char *
find_ci(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	if (k == 0 || k > n)
		return NULL;
	for (i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return s + i;
	return NULL;
}

static bool
is_local_char(int c)
{
	return isalnum(c) || (c != 0 && strchr(".!#$%&'*+/=?^_`{|}~-", c)
	    != NULL) || c >= 0x80;
}

static bool
is_domain_char(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c >= 0x80;
}

/*
 * The next address in s[0..n) from *at on: its start and length.
 * Local parts and domains of plain characters (no quoted strings); the
 * domain needs a dot.  false when there is none.
 */
static bool
next_addr(const char *s, size_t n, size_t *at, size_t *start, size_t *len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, a, z;

	for (i = *at; i < n; i++) {
		if (u[i] != '@')
			continue;
		for (a = i; a > 0 && is_local_char(u[a - 1]); a--)
			;
		while (a < i && u[a] == '.')
			a++;
		for (z = i + 1; z < n && is_domain_char(u[z]); z++)
			;
		while (z > i + 1 && u[z - 1] == '.')
			z--;
		if (a == i || z == i + 1 || memchr(s + i + 1, '.', z - i - 1) ==
		    NULL || z - a > ADDR_MAX) {
			continue;
		}
		*start = a;
		*len = z - a;
		*at = z;
		return true;
	}
	return false;
}

/* The first RFC 3463 status ("5.1.1") in s[0..n), into out. */
static bool
find_status(const char *s, size_t n, char out[16])
{
	size_t i, j, dots, digits;

	for (i = 0; i + 5 <= n; i++) {
		if ((s[i] != '2' && s[i] != '4' && s[i] != '5') || s[i + 1] !=
		    '.' || (i > 0 && (isalnum((unsigned char)s[i - 1]) ||
		    s[i - 1] == '.')))
			continue;
		dots = 0;
		digits = 0;
		for (j = i + 1; j < n && j - i < 15; j++) {
			if (s[j] == '.' && digits > 0 && dots == 1)
				dots++, digits = 0;
			else if (s[j] == '.' && j == i + 1)
				dots = 1;
			else if (isdigit((unsigned char)s[j]) && digits < 3)
				digits++;
			else
				break;
		}
		if (dots == 2 && digits > 0 && (j == n || (!isalnum(
		    (unsigned char)s[j]) && s[j] != '.'))) {
			memcpy(out, s + i, j - i);
			out[j - i] = '\0';
			return true;
		}
	}
	return false;
}

/* The first SMTP reply code (4xx or 5xx, a word of its own). */
static int
find_code(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 3 <= n; i++) {
		if ((s[i] != '4' && s[i] != '5') || !isdigit((unsigned char)
		    s[i + 1]) || !isdigit((unsigned char)s[i + 2]))
			continue;
		if (i > 0 && (isalnum((unsigned char)s[i - 1]) ||
		    strchr(".#:/", s[i - 1]) != NULL))
			continue;
		if (i + 3 < n && (isalnum((unsigned char)s[i + 3]) ||
		    s[i + 3] == '.'))
			continue;
		return (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 +
		    (s[i + 2] - '0');
	}
	return 0;
}

/* ---- the recipients list ------------------------------------------ */

static struct bounce_rcpt *
rcpt_add(struct bounce *b, const char *addr, size_t n)
{
	struct bounce_rcpt *r;
	size_t i;

	for (i = 0; i < b->nrcpt; i++)
		if (strlen(b->rcpt[i].addr) == n &&
		    strncasecmp(b->rcpt[i].addr, addr, n) == 0)
			return &b->rcpt[i];
	if (b->nrcpt == BOUNCE_RCPT_MAX)
		return NULL;
	b->rcpt = xreallocarray(b->rcpt, b->nrcpt + 1, sizeof(*b->rcpt));
	r = &b->rcpt[b->nrcpt++];
	memset(r, 0, sizeof(*r));
	r->addr = clean(addr, n, ADDR_MAX);
	r->diagnostic = xstrdup("");
	return r;
}

/*
 * Status and code from the text about one recipient (seg), else from
 * the whole report (all): an x.y.z first, else the one the SMTP code
 * implies (550 → 5.0.0); a status already set (RFC 3464) stays.
 */
static void
rcpt_status(struct bounce_rcpt *r, const char *seg, size_t nseg,
    const char *all, size_t nall)
{
	if (r->smtp_code == 0)
		r->smtp_code = find_code(seg, nseg);
	if (r->smtp_code == 0)
		r->smtp_code = find_code(all, nall);
	if (r->status[0] != '\0' || find_status(seg, nseg, r->status) ||
	    find_status(all, nall, r->status))
		return;
	if (r->smtp_code != 0)
		snprintf(r->status, sizeof(r->status), "%d.0.0",
		    r->smtp_code / 100);
}

static void
rcpt_default(struct bounce_rcpt *r)
{
	if (r->status[0] == '\0')
		strcpy(r->status, r->action == BOUNCE_DELAYED ? "4.0.0" :
		    "5.0.0");
}

/* ---- RFC 3464 message/delivery-status ------------------------------ */

struct dsn_block {
	char	*recipient;		/* Final-Recipient */
	char	*original;		/* Original-Recipient: as we sent it */
	char	*action;
	char	*status;
	char	*diag;
	char	*mta;			/* Reporting-MTA */
};

static void
dsn_block_free(struct dsn_block *d)
{
	free(d->recipient);
	free(d->original);
	free(d->action);
	free(d->status);
	free(d->diag);
	free(d->mta);
	memset(d, 0, sizeof(*d));
}

/* "rfc822; a@b" → "a@b" (RFC 3464 §2.1.2 address-type; value). */
static const char *
after_type(const char *v)
{
	const char *semi = strchr(v, ';');

	v = semi != NULL ? semi + 1 : v;
	while (*v == ' ' || *v == '\t' || *v == '<')
		v++;
	return v;
}

static void
set_field(char **dst, const char *v, size_t n)
{
	free(*dst);
	*dst = clean(v, n, FIELD_CAP);
}

static void	dsn_take(struct bounce *, struct dsn_block *);

/* One unfolded field "Name: value" into d; a second Final-Recipient
 * starts the next recipient even without a blank line before it. */
static void
dsn_field(struct bounce *b, struct dsn_block *d, const char *f, size_t n)
{
	const char *colon = memchr(f, ':', n);
	size_t k;

	if (colon == NULL)
		return;
	k = (size_t)(colon - f);
	colon++;
	n -= k + 1;
	if ((k == 15 && strncasecmp(f, "Final-Recipient", k) == 0 &&
	    d->recipient != NULL) || (k == 18 && strncasecmp(f,
	    "Original-Recipient", k) == 0 && d->original != NULL)) {
		dsn_take(b, d);
		dsn_block_free(d);
	}
	if (k == 15 && strncasecmp(f, "Final-Recipient", k) == 0)
		set_field(&d->recipient, colon, n);
	else if (k == 18 && strncasecmp(f, "Original-Recipient", k) == 0)
		set_field(&d->original, colon, n);
	else if (k == 6 && strncasecmp(f, "Action", k) == 0)
		set_field(&d->action, colon, n);
	else if (k == 6 && strncasecmp(f, "Status", k) == 0)
		set_field(&d->status, colon, n);
	else if (k == 15 && strncasecmp(f, "Diagnostic-Code", k) == 0)
		set_field(&d->diag, colon, n);
	else if (k == 13 && strncasecmp(f, "Reporting-MTA", k) == 0)
		set_field(&d->mta, colon, n);
}

/*
 * Only failures and delays count: "delivered", "relayed" and
 * "expanded" (RFC 3464 §2.3.3) are good news.  Without an Action, the
 * status class decides.
 */
static bool
dsn_bad_news(const struct dsn_block *d, bool *delayed)
{
	*delayed = d->action != NULL && strncasecmp(d->action, "delayed", 7)
	    == 0;
	if (d->action != NULL)
		return *delayed || strncasecmp(d->action, "failed", 6) == 0;
	if (d->status != NULL && d->status[0] == '2')
		return false;
	*delayed = d->status != NULL && d->status[0] == '4';
	return true;
}

static void
dsn_take(struct bounce *b, struct dsn_block *d)
{
	struct bounce_rcpt *r;
	const char *addr, *end;
	bool delayed;

	if (d->mta != NULL && b->mta[0] == '\0') {
		free(b->mta);
		b->mta = xstrdup(after_type(d->mta));
	}
	if (d->recipient == NULL && d->original != NULL) {
		d->recipient = d->original;
		d->original = NULL;
	}
	if (d->recipient == NULL || !dsn_bad_news(d, &delayed))
		return;
	/* RFC 3464 §2.3.1: Original-Recipient is the address as given in
	 * RCPT TO, the one our report knows; Final-Recipient may be an
	 * alias it led to.  Only an rfc822 one is an address. */
	addr = d->original != NULL && strncasecmp(d->original, "rfc822", 6)
	    == 0 ? after_type(d->original) : after_type(d->recipient);
	end = addr + strcspn(addr, "> \t;");
	/* "Final-Recipient: rfc822" alone, or junk: not an address. */
	if (memchr(addr, '@', (size_t)(end - addr)) == NULL ||
	    end - addr > ADDR_MAX)
		return;
	r = rcpt_add(b, addr, (size_t)(end - addr));
	if (r == NULL)
		return;
	r->action = delayed ? BOUNCE_DELAYED : BOUNCE_FAILED;
	if (d->status != NULL)
		find_status(d->status, strlen(d->status), r->status);
	if (d->diag != NULL) {
		free(r->diagnostic);
		r->diagnostic = clean(after_type(d->diag), strlen(after_type(
		    d->diag)), BOUNCE_DIAG_MAX);
		rcpt_status(r, d->diag, strlen(d->diag), "", 0);
	}
	rcpt_default(r);
}

/* A blank line ends a block: a recipient's, or the per-message one.  A
 * block of fields without a recipient after one (some generators put
 * blank lines inside a recipient's fields) adds to it. */
static void
dsn_blank(struct bounce *b, struct dsn_block *d)
{
	if ((d->recipient != NULL || d->original != NULL) && (d->action !=
	    NULL || d->status != NULL)) {
		dsn_take(b, d);
		dsn_block_free(d);
	} else if (d->recipient == NULL && d->original == NULL &&
	    d->mta != NULL) {
		dsn_take(b, d);
		dsn_block_free(d);
	}
}

/* The fields of the delivery-status text (RFC 3464 §2.1), unfolded. */
static void
parse_dsn(struct bounce *b, const char *s, size_t n)
{
	struct dsn_block d;
	const char *line = s, *end = s + n, *nl, *f = NULL;
	size_t flen = 0;

	memset(&d, 0, sizeof(d));
	for (;;) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		if (line < nl && (*line == ' ' || *line == '\t') && f != NULL)
			flen = (size_t)(nl - f);	/* folded: grow it */
		else {
			if (f != NULL)
				dsn_field(b, &d, f, flen);
			f = NULL;
			if (nl - line <= 1 && (nl == line || *line == '\r'))
				dsn_blank(b, &d);
			else {
				f = line;
				flen = (size_t)(nl - line);
			}
		}
		if (nl == end)
			break;
		line = nl + 1;
	}
	if (f != NULL)
		dsn_field(b, &d, f, flen);
	dsn_take(b, &d);
	dsn_block_free(&d);
}

/* ---- the MIME walk ------------------------------------------------- */

/* Append s[0..n) (cut at the cap), NULs as spaces: text from here on
 * is searched as C strings too. */
static void
add_bytes(struct buf *b, const char *s, size_t n)
{
	size_t room = b->cap - b->len, start = b->len, i;

	if (room == 0)
		return;
	if (n > room - 1)
		n = room - 1;
	if (n > 0)
		buf_add(b, s, n);
	for (i = start; i < b->len; i++)
		if (b->data[i] == '\0')
			b->data[i] = ' ';
	buf_addc(b, '\n');
}

/*
 * The decoded content of a leaf part (transfer encoding undone), and
 * converted to UTF-8 when charset names another one GMime knows.
 */
static void
part_bytes(GMimePart *p, const char *charset, struct buf *out)
{
	GMimeDataWrapper *w = g_mime_part_get_content(p);
	GMimeStream *mem, *filt;
	GMimeFilter *conv;
	GByteArray *ba;

	if (w == NULL)
		return;
	mem = g_mime_stream_mem_new();
	filt = g_mime_stream_filter_new(mem);
	if (charset != NULL && g_ascii_strcasecmp(charset, "utf-8") != 0 &&
	    g_ascii_strcasecmp(charset, "us-ascii") != 0) {
		conv = g_mime_filter_charset_new(charset, "UTF-8");
		if (conv != NULL) {
			g_mime_stream_filter_add(GMIME_STREAM_FILTER(filt),
			    conv);
			g_object_unref(conv);
		}
	}
	g_mime_data_wrapper_write_to_stream(w, filt);
	g_mime_stream_flush(filt);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	if (ba != NULL)
		add_bytes(out, (const char *)ba->data, ba->len);
	g_object_unref(filt);
	g_object_unref(mem);
}

/* HTML as text: tags become spaces (enough to find addresses). */
static void
strip_tags(struct buf *out, size_t start)
{
	bool tag = false;
	char *p;

	for (p = out->data + start; p < out->data + out->len; p++) {
		if (*p == '<')
			tag = true;
		if (tag) {
			if (*p == '>')
				tag = false;
			*p = ' ';
		}
	}
}

/* A text part in its charset (any: GMime converts), as UTF-8. */
static void
text_part(GMimeObject *o, struct scan *s, bool html)
{
	size_t start = s->text.len;

	part_bytes(GMIME_PART(o), g_mime_object_get_content_type_parameter(o,
	    "charset"), &s->text);
	if (html && s->text.data != NULL)
		strip_tags(&s->text, start);
}

static void
leaf(GMimeObject *o, struct scan *s)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);

	if (ct == NULL)
		return;
	if (g_mime_content_type_is_type(ct, "message", "delivery-status") ||
	    g_mime_content_type_is_type(ct, "message",
	    "global-delivery-status"))
		part_bytes(GMIME_PART(o), NULL, &s->dsn);
	else if (g_mime_content_type_is_type(ct, "text", "rfc822-headers") ||
	    g_mime_content_type_is_type(ct, "message", "rfc822-headers"))
		part_bytes(GMIME_PART(o), NULL, &s->headers);
	else if (GMIME_IS_TEXT_PART(o) && g_mime_content_type_is_type(ct,
	    "text", "plain"))
		text_part(o, s, false);
	else if (GMIME_IS_TEXT_PART(o) && g_mime_content_type_is_type(ct,
	    "text", "html"))
		text_part(o, s, true);
}

static char *
angle(const char *id)
{
	size_t n = strlen(id) + 3;
	char *out = xmalloc(n);

	snprintf(out, n, "<%s>", id);
	return out;
}

/* The returned mail: its Message-ID only; its text is not ours. */
static void
returned(GMimeMessagePart *mp, struct scan *s)
{
	GMimeMessage *m = g_mime_message_part_get_message(mp);
	const char *id;

	if (m == NULL || s->orig != NULL)
		return;
	id = g_mime_message_get_message_id(m);
	if (id != NULL && id[0] != '\0')
		s->orig = angle(id);
}

static void
walk(GMimeObject *o, int depth, struct scan *s)
{
	int i, n;

	if (o == NULL || depth > BOUNCE_DEPTH_MAX)
		return;
	if (GMIME_IS_MULTIPART(o)) {
		n = g_mime_multipart_get_count(GMIME_MULTIPART(o));
		for (i = 0; i < n; i++)
			walk(g_mime_multipart_get_part(GMIME_MULTIPART(o), i),
			    depth + 1, s);
	} else if (GMIME_IS_MESSAGE_PART(o))
		returned(GMIME_MESSAGE_PART(o), s);
	else if (GMIME_IS_PART(o))
		leaf(o, s);
}

/* ---- the original's Message-ID ------------------------------------- */

/* "<...>" following "Message-ID:" in s[0..n) (header text or body). */
static char *
quoted_msgid(const char *s, size_t n)
{
	const char *p = s, *end = s + n, *lt, *gt;

	while ((p = find_ci(p, (size_t)(end - p), "Message-ID:")) != NULL) {
		if (p == s || p[-1] == '\n' || p[-1] == ' ' || p[-1] == '>') {
			lt = memchr(p, '<', (size_t)(end - p));
			if (lt != NULL && lt - p < 80) {
				gt = memchr(lt, '>', (size_t)(end - lt));
				if (gt != NULL && gt - lt < 1000 &&
				    memchr(lt, '\n', (size_t)(gt - lt)) == NULL)
					return clean(lt, (size_t)(gt - lt + 1),
					    FIELD_CAP);
			}
		}
		p += 11;
	}
	return NULL;
}

/* The last "<...>" of a References or In-Reply-To value. */
static char *
last_msgid(const char *v)
{
	const char *lt, *gt;

	if (v == NULL)
		return NULL;
	lt = strrchr(v, '<');
	if (lt == NULL)
		return NULL;
	gt = strchr(lt, '>');
	return gt != NULL ? clean(lt, (size_t)(gt - lt + 1), FIELD_CAP) :
	    NULL;
}

static char *
original_msgid(GMimeMessage *m, struct scan *s)
{
	char *id;

	if (s->orig != NULL) {
		id = clean_str(s->orig);
		return id;
	}
	if (s->headers.len > 0 && (id = quoted_msgid(s->headers.data,
	    s->headers.len)) != NULL)
		return id;
	if ((id = last_msgid(g_mime_object_get_header(GMIME_OBJECT(m),
	    "In-Reply-To"))) != NULL)
		return id;
	if ((id = last_msgid(g_mime_object_get_header(GMIME_OBJECT(m),
	    "References"))) != NULL)
		return id;
	if (s->text.len > 0 && (id = quoted_msgid(s->text.data,
	    s->text.len)) != NULL)
		return id;
	return xstrdup("");
}

/* ---- non-standard bounces from their text -------------------------- */

static const struct marker *
find_marker(const char *s, size_t n, size_t *at)
{
	const char *p;
	size_t i;

	for (i = 0; i < nitems(markers); i++) {
		p = find_ci(s, n, markers[i].text);
		if (p != NULL) {
			*at = (size_t)(p - s);
			return &markers[i];
		}
	}
	return NULL;
}

static size_t
copy_start(const char *s, size_t n, size_t from)
{
	const char *p;
	size_t i, end = n;

	for (i = 0; i < nitems(copy_text); i++) {
		p = find_ci(s + from, n - from, copy_text[i]);
		if (p != NULL && (size_t)(p - s) < end)
			end = (size_t)(p - s);
	}
	return end;
}

static bool
any_ci(const char *s, size_t n, const char *const *t, size_t nt)
{
	size_t i;

	for (i = 0; i < nt; i++)
		if (find_ci(s, n, t[i]) != NULL)
			return true;
	return false;
}

static bool
is_self(const char *addr, size_t n, const char *const *self, size_t nself)
{
	size_t i;

	for (i = 0; i < nself; i++)
		if (self[i] != NULL && strlen(self[i]) == n &&
		    strncasecmp(self[i], addr, n) == 0)
			return true;
	return false;
}

/*
 * Each address in the region: a failed recipient whose reason is the
 * text up to the next address.  The bounce's own sender and recipient
 * are not failed addresses.
 */
static void
text_rcpts(struct bounce *b, const char *s, size_t from, size_t to,
    enum bounce_action action, const char *const *self, size_t nself)
{
	struct bounce_rcpt *nr;
	size_t at = from, a, len, rstart = 0, cur = SIZE_MAX, k;

	while (next_addr(s, to, &at, &a, &len)) {
		if (is_self(s + a, len, self, nself))
			continue;
		nr = rcpt_add(b, s + a, len);	/* may move b->rcpt */
		if (nr == NULL)
			break;
		k = (size_t)(nr - b->rcpt);
		if (k == cur)
			continue;	/* "a@b<mailto:a@b>": the same one */
		if (cur != SIZE_MAX && a > rstart &&
		    b->rcpt[cur].diagnostic[0] == '\0') {
			free(b->rcpt[cur].diagnostic);
			b->rcpt[cur].diagnostic = clean_reason(s + rstart,
			    a - rstart);
		}
		cur = k;
		b->rcpt[cur].action = action;
		rstart = at;
	}
	if (cur != SIZE_MAX && b->rcpt[cur].diagnostic[0] == '\0') {
		free(b->rcpt[cur].diagnostic);
		b->rcpt[cur].diagnostic = clean_reason(s + rstart, to - rstart);
	}
}

/* Where recipient i's reason ends: at the next other recipient. */
static size_t
reason_end(const struct bounce *b, size_t i, const char *s, size_t from,
    size_t to)
{
	const char *p;
	size_t k, skip = from + strlen(b->rcpt[i].addr), end = to;

	if (skip >= to)
		return to;
	for (k = 0; k < b->nrcpt; k++) {
		if (k == i)
			continue;
		p = find_ci(s + skip, to - skip, b->rcpt[k].addr);
		if (p != NULL && (size_t)(p - s) < end)
			end = (size_t)(p - s);
	}
	return end;
}

static void
text_bounce(struct bounce *b, const char *s, size_t n, const char *const
    *self, size_t nself, const char *failed_hdr)
{
	const struct marker *mk;
	enum bounce_action action;
	size_t at = 0, to, i;

	mk = find_marker(s, n, &at);
	action = any_ci(s, n, delayed_text, nitems(delayed_text)) ?
	    BOUNCE_DELAYED : BOUNCE_FAILED;
	free(b->format);
	b->format = xstrdup(mk != NULL ? mk->format : "generic");
	to = copy_start(s, n, at);
	if (failed_hdr != NULL && failed_hdr[0] != '\0') {
		/* Exim's X-Failed-Recipients: the list, the text the why. */
		size_t fa = 0, a, len;

		while (next_addr(failed_hdr, strlen(failed_hdr), &fa, &a, &len))
			rcpt_add(b, failed_hdr + a, len);
	} else
		text_rcpts(b, s, at, to, action, self, nself);
	for (i = 0; i < b->nrcpt; i++) {
		struct bounce_rcpt *r = &b->rcpt[i];
		const char *p = find_ci(s + at, to - at, r->addr);
		size_t from = p != NULL ? (size_t)(p - s) : at;

		size_t end = reason_end(b, i, s, from, to);

		r->action = action;
		if (r->diagnostic[0] == '\0') {
			free(r->diagnostic);
			r->diagnostic = clean_reason(s + from, end - from);
		}
		rcpt_status(r, s + from, end - from, s + at, to - at);
		rcpt_default(r);
	}
}

/*
 * A DSN recipient without a Diagnostic-Code (Exim writes none): the
 * reason the human-readable part gives after its address, to the next
 * blank line or the next recipient.
 */
static void
text_reasons(struct bounce *b, const char *s, size_t n)
{
	const char *p, *blank;
	size_t i, from, to;

	for (i = 0; i < b->nrcpt; i++) {
		if (b->rcpt[i].diagnostic[0] != '\0' ||
		    (p = find_ci(s, n, b->rcpt[i].addr)) == NULL)
			continue;
		from = (size_t)(p - s) + strlen(b->rcpt[i].addr);
		from += strspn(s + from, ">:; \t\r\n");
		to = reason_end(b, i, s, (size_t)(p - s), n);
		blank = from < to ? strstr(s + from, "\n\n") : NULL;
		if (blank == NULL || (size_t)(blank - s) > to)
			blank = strstr(s + from, "\n\r\n");
		if (blank != NULL && (size_t)(blank - s) < to)
			to = (size_t)(blank - s);
		if (from >= to)
			continue;
		free(b->rcpt[i].diagnostic);
		b->rcpt[i].diagnostic = clean_reason(s + from, to - from);
	}
}

/* ---- classification ----------------------------------------------- */

static char *
first_addr(InternetAddressList *l)
{
	InternetAddress *a;

	if (l == NULL || internet_address_list_length(l) == 0)
		return xstrdup("");
	a = internet_address_list_get_address(l, 0);
	if (!INTERNET_ADDRESS_IS_MAILBOX(a))
		return xstrdup("");
	return clean_str(internet_address_mailbox_get_addr(
	    INTERNET_ADDRESS_MAILBOX(a)));
}

static bool
from_daemon(const char *from)
{
	size_t i, k = strcspn(from, "@");

	for (i = 0; i < nitems(daemon_user); i++)
		if (strlen(daemon_user[i]) == k &&
		    strncasecmp(from, daemon_user[i], k) == 0)
			return true;
	return false;
}

static bool
header_has(GMimeMessage *m, const char *name, const char *value)
{
	const char *v = g_mime_object_get_header(GMIME_OBJECT(m), name);

	if (v == NULL)
		return false;
	return value == NULL || find_ci(v, strlen(v), value) != NULL;
}

/* RFC 3834 §5: Auto-Submitted other than "no", and vacation habits. */
static bool
is_autoreply(GMimeMessage *m, const char *subject)
{
	const char *as = g_mime_object_get_header(GMIME_OBJECT(m),
	    "Auto-Submitted");
	size_t i;

	if (as != NULL && find_ci(as, strlen(as), "auto-replied") != NULL)
		return true;
	if (header_has(m, "X-Autoreply", NULL) || header_has(m,
	    "X-Autorespond", NULL) || header_has(m, "Precedence",
	    "auto_reply") || header_has(m, "X-Auto-Response-Suppress",
	    "OOF"))
		return true;
	for (i = 0; i < nitems(autoreply_subject); i++)
		if (strncasecmp(subject, autoreply_subject[i],
		    strlen(autoreply_subject[i])) == 0 ||
		    (header_has(m, "Precedence", NULL) && find_ci(subject,
		    strlen(subject), autoreply_subject[i]) != NULL))
			return true;
	return false;
}

static bool
looks_bounced(GMimeMessage *m, const struct bounce *b, const char *subject,
    const struct scan *s)
{
	size_t at;

	if (header_has(m, "X-Failed-Recipients", NULL))
		return true;
	if (from_daemon(b->from) && (any_ci(subject, strlen(subject),
	    bounce_subject, nitems(bounce_subject)) || find_marker(
	    s->text.data != NULL ? s->text.data : "", s->text.len, &at)))
		return true;
	return any_ci(subject, strlen(subject), bounce_subject,
	    nitems(bounce_subject)) && find_marker(s->text.data != NULL ?
	    s->text.data : "", s->text.len, &at) != NULL;
}

static void
classify(GMimeMessage *m, struct bounce *b, struct scan *s)
{
	const char *subject = g_mime_message_get_subject(m);
	const char *self[2];
	char *to = first_addr(g_mime_message_get_to(m));

	subject = subject != NULL ? subject : "";
	self[0] = b->from;
	self[1] = to;
	if (s->dsn.len > 0) {
		b->kind = BOUNCE_DSN;
		b->format = xstrdup("rfc3464");
		parse_dsn(b, s->dsn.data, s->dsn.len);
		if (s->text.len > 0)
			text_reasons(b, s->text.data, s->text.len);
	}
	if (b->nrcpt == 0 && (b->kind == BOUNCE_DSN || looks_bounced(m, b,
	    subject, s))) {
		b->kind = BOUNCE_DSN;
		text_bounce(b, s->text.data != NULL ? s->text.data : "",
		    s->text.len, self, nitems(self), g_mime_object_get_header(
		    GMIME_OBJECT(m), "X-Failed-Recipients"));
	}
	if (b->kind == BOUNCE_NONE && is_autoreply(m, subject))
		b->kind = BOUNCE_AUTOREPLY;
	if (b->format == NULL)
		b->format = xstrdup(b->kind == BOUNCE_AUTOREPLY ? "rfc3834" :
		    "none");
	free(to);
}

/* ---- entry points -------------------------------------------------- */

/*
 * Containers (multipart and message/rfc822 parts) the message could
 * declare: every "multipart/" and "message/rfc822" in it, anywhere.
 * An over-count is harmless; GMime's recursion is the danger.
 */
static size_t
containers(const char *s, size_t n)
{
	size_t i, count = 0;

	for (i = 0; i + 10 <= n; i++) {
		if ((s[i] | 0x20) == 'm' && (strncasecmp(s + i, "multipart/", 10)
		    == 0 || (i + 14 <= n && strncasecmp(s + i,
		    "message/rfc822", 14) == 0)))
			count++;
	}
	return count;
}

static void
fill(struct bounce *b, GMimeMessage *m, struct scan *s)
{
	GDateTime *dt = g_mime_message_get_date(m);

	b->from = first_addr(g_mime_message_get_from(m));
	b->date = dt != NULL ? (time_t)g_date_time_to_unix(dt) : 0;
	b->mta = xstrdup("");
	walk(g_mime_message_get_mime_part(m), 1, s);
	classify(m, b, s);
	b->orig_msgid = b->kind == BOUNCE_DSN ? original_msgid(m, s) :
	    xstrdup("");
	if (b->mta[0] == '\0' && strchr(b->from, '@') != NULL) {
		free(b->mta);
		b->mta = xstrdup(strchr(b->from, '@') + 1);
	}
}

int
bounce_parse(struct bounce **bp, const char *data, size_t len,
    struct err *e)
{
	struct scan s;
	struct bounce *b;
	GMimeStream *st;
	GMimeParser *p;
	GMimeMessage *m;

	*bp = NULL;
	if (len > BOUNCE_SIZE_MAX) {
		err_set(e, E_INPUT, NULL, "skipped: %zu octets, more than the "
		    "%u a bounce may have", len, BOUNCE_SIZE_MAX);
		return -1;
	}
	if (containers(data, len) > BOUNCE_CONTAINERS_MAX) {
		err_set(e, E_INPUT, NULL, "skipped: more than %d nested MIME "
		    "parts", BOUNCE_CONTAINERS_MAX);
		return -1;
	}
	pthread_once(&gmime_once, gmime_start);
	st = g_mime_stream_mem_new_with_buffer(data, len);
	p = g_mime_parser_new_with_stream(st);
	g_object_unref(st);
	m = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	if (m == NULL) {
		err_set(e, E_INPUT, NULL, "skipped: not a mail message");
		return -1;
	}
	memset(&s, 0, sizeof(s));
	buf_init(&s.dsn, DSN_CAP);
	buf_init(&s.text, TEXT_CAP);
	buf_init(&s.headers, DSN_CAP);
	b = xcalloc(1, sizeof(*b));
	fill(b, m, &s);
	g_object_unref(m);
	buf_fini(&s.dsn);
	buf_fini(&s.text);
	buf_fini(&s.headers);
	free(s.orig);
	*bp = b;
	return 0;
}

void
bounce_free(struct bounce *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->nrcpt; i++) {
		free(b->rcpt[i].addr);
		free(b->rcpt[i].diagnostic);
	}
	free(b->rcpt);
	free(b->format);
	free(b->orig_msgid);
	free(b->mta);
	free(b->from);
	free(b);
}
