/*
 * One RFC 5322 message from rendered template headers and body.
 *
 * message_build() makes three passes over the template's headers: it
 * checks every name and value (UTF-8, no CR/LF/NUL, not a generated
 * header, not given twice), collects the envelope recipients in To,
 * Cc, Bcc order, then writes the headers in template order followed by
 * the generated ones and the body.  Everything goes into m's buffers,
 * which are reset, never freed, between messages, so a batch allocates
 * only while its largest message grows them.  Date is formatted from
 * C-locale tables, no strftime, and cached per time_t.
 *
 * Folding (RFC 5322 §2.2.3) only ever puts CRLF before white space the
 * text already has, or CRLF SP between two encoded-words, where RFC
 * 2047 §6.2 says the white space is dropped; so unfolding and decoding
 * give back the exact text.  Plain tokens longer than PLAIN_MAX are
 * encoded instead, so that no line can reach 998 octets.
 *
 * Addresses: an address header may come with its fields marked
 * (message_mark()); then only the template's own octets are structure
 * and a field gives one display name or one address: roster data never
 * adds a recipient.
 * Each address must pass addr_sendable(), the rule the SMTP layer
 * applies too, and is written in its form (IDNA A-labels).  Groups and
 * comments (RFC 5322 §3.4 group, CFWS comments) are not supported, but
 * the empty group "undisclosed-recipients:;" is written when only Bcc
 * has addresses.
 *
 * Text parts are 7bit, or quoted-printable or base64 (the shorter),
 * never 8bit, so a DKIM signature survives a relay without 8BITMIME.
 * Inline images go in multipart/related beside the HTML part.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "codec.h"
#include "err.h"
#include "i18n.h"
#include "message.h"
#include "nitems.h"
#include "utf8.h"

#define LINE_SOFT	78	/* RFC 5322 §2.1.1: SHOULD */
#define LINE_HARD	998	/* RFC 5322 §2.1.1: MUST, without CRLF */
#define EW_MAX		75	/* RFC 2047 §2: octets in one encoded-word */
#define EW_OVERHEAD	12	/* "=?UTF-8?B?" and "?=" */
#define EW_MIN		(EW_OVERHEAD + 8)	/* one 4-octet character */
#define EW_BYTES	45	/* text octets in a full encoded-word */
#define PLAIN_MAX	800	/* longer plain tokens are encoded */
#define WS_MAX		32	/* longer runs of white space are encoded */
#define HNAME_MAX	76	/* octets in a header name, to fit "Name: " */
#define DNAME_MAX	256	/* octets in a display name */
#define LABEL_MAX	63	/* RFC 1035 §2.3.4 */
#define QUOTE_MAX	72	/* octets of bad input quoted in errors */
#define SINK_CHUNK	(57 * 64)	/* whole base64 lines of body */
#define RCPT_CAP	(MESSAGE_RCPT_MAX * (ADDR_MAX + 1))
#define PLAIN_CAP	(256 * 1024)	/* an address header, unmarked */
#define MARK		MESSAGE_MARK
#define MARK_END	MESSAGE_MARK_END

enum hkind {
	H_TEXT,		/* unstructured: RFC 2047 encoded as needed */
	H_ID,		/* msg-id list: ASCII, never encoded */
	H_FROM,		/* one mailbox; Message-ID's domain */
	H_ONE,		/* one mailbox */
	H_ADDR,		/* address list */
	H_RCPT,		/* address list, also envelope recipients */
	H_BCC,		/* envelope recipients only, never written */
	H_CTYPE,	/* the body kind: checked, never written */
	H_ATTACH,	/* a file to attach: read by job.c, never written */
	H_OPTION,	/* mailmerge's own option: never written */
	H_GEN		/* generated here: the template may not set it */
};

struct hdef {
	const char	*name;		/* canonical spelling */
	size_t		 len;
	enum hkind	 kind;
	bool		 once;		/* RFC 5322 §3.6: at most one */
	int		 env;		/* envelope order: To 1, Cc 2, Bcc 3 */
};

#define HDEF(s, k, o)	{ s, sizeof(s) - 1, k, o, 0 }
#define HENV(s, k, r)	{ s, sizeof(s) - 1, k, true, r }
#define ENV_MAX		3
static const struct hdef hdefs[] = {
	HDEF("From", H_FROM, true),
	HDEF("Sender", H_ONE, true),
	HDEF("Reply-To", H_ADDR, true),
	HENV("To", H_RCPT, 1),
	HENV("Cc", H_RCPT, 2),
	HENV("Bcc", H_BCC, 3),
	HDEF("Subject", H_TEXT, true),
	HDEF("Comments", H_TEXT, false),
	HDEF("Keywords", H_TEXT, false),
	HDEF("In-Reply-To", H_ID, true),
	HDEF("References", H_ID, true),
	HDEF("Date", H_GEN, true),
	HDEF("Message-ID", H_GEN, true),
	HDEF("MIME-Version", H_GEN, true),
	HDEF("Content-Type", H_CTYPE, true),
	HDEF("Attachment", H_ATTACH, false),
	HDEF("X-Mailmerge-List", H_OPTION, true),
};

/*
 * Content-* describes the body, which is ours; only Content-Type may be
 * given, to pick the body kind (message_body_kind()).
 */
static const struct hdef hdef_content = { NULL, 0, H_GEN, true, 0 };
static const struct hdef hdef_from = HDEF("From", H_FROM, true);
static const struct hdef hdef_other = { NULL, 0, H_TEXT, false, 0 };

static const char *const wday[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const month[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* The state of one message_build() call. */
struct build {
	struct message	*m;
	const struct message_params *p;
	struct err	*e;
	const char	*where;		/* header being handled */
	size_t		 col;		/* octets on the current line */
	size_t		 count;		/* mailboxes written in this header */
	bool		 single;	/* the header takes one mailbox */
	bool		 is_from;
	bool		 has_from;
	bool		 has_to;	/* a To or Cc with an address written */
	const struct message_header *cur;	/* header being written, or
						   NULL (the default From) */
	const char	*bound;		/* multipart/mixed's boundary */
	const struct message_header *env[ENV_MAX];	/* To, Cc, Bcc */
};

struct sink {
	struct buf	*out;
	bool		 b64;
	size_t		 len;
	unsigned char	 chunk[SINK_CHUNK];
};

struct body_info {
	size_t		 maxline;	/* longest line, octets */
	size_t		 plain;		/* octets with CRLF line ends */
	size_t		 high;		/* octets over 0x7f: 8bit text */
	bool		 nul;
	bool		 cr;
};

static bool
is_ws(int c)
{
	return c == ' ' || c == '\t';
}

static bool
has_8bit(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* Octets of s up to the first line break or NUL, or n. */
static size_t
break_at(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			break;
	return i;
}

/* Why header value s is refused, or NULL. */
static const char *
value_check(const char *s, size_t n)
{
	size_t valid = utf8_valid(s, n, NULL);

	/* Whichever comes first, as a reader meets them. */
	if (break_at(s, valid) < valid)
		return N_("holds a line break or NUL");
	if (valid < n)
		return N_("is not valid UTF-8");
	return NULL;
}

/*
 * Copy at most QUOTE_MAX octets of s into dst for an error message,
 * control characters as '?', cut at a character with "..." after it.
 */
static const char *
quote(char *dst, size_t size, const char *s, size_t n)
{
	size_t i, k = 0, max = size - 4;

	for (i = 0; i < n && k < max; i++) {
		unsigned char c = (unsigned char)s[i];

		dst[k++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (i < n) {
		k = utf8_cut(dst, k);
		memcpy(dst + k, "...", 3);
		k += 3;
	}
	dst[k] = '\0';
	return dst;
}

static int
bad_addr(struct err *e, const char *s, size_t n, const char *why)
{
	char q[QUOTE_MAX + 4];

	err_set(e, E_INPUT, NULL, "'%s' is not a valid address: %s",
	    quote(q, sizeof(q), s, n), _(why));
	return -1;
}

/*
 * Address lists, RFC 5322 §3.4, over text whose octets may come from
 * roster fields.  A field gives one display name or one
 * address, never structure: only the template's own ',', '<', '>',
 * '"' and '\' are structure; a field's octets are always content.  In
 * a display name any character of a field is kept (the name is quoted
 * or encoded as needed when written, so decoding gives the field back),
 * but '<' and '>', which would show an address that is not the one the
 * mail goes to; in an address a field may not hold white space or
 * ',' '<' '>' ';' ':' '"' '(' ')' '\' '[' ']'.  The syntax and the
 * sendability of the address itself are addr.c's (addr_sendable()).
 */

/* Text to parse: col[i] is the column + 1 octet i came from, or 0. */
struct src {
	const char	*s;
	const uint32_t	*col;	/* NULL: all the template's */
	size_t		 n;
};

struct parse {
	message_addr_fn	*fn;
	void		*arg;
	struct err	*e;
	const char *const *cols;	/* column names, for errors */
	size_t		 ncols;
};

/* Octets in the quoted-string at s (s[0] is '"'), 0 if unterminated. */
static size_t
quoted_len(const char *s, size_t n)
{
	return addr_quoted_len(s, n);
}

/* Offset of the first c in s outside quoted-strings, or n. */
static size_t
find_top(const char *s, size_t n, int c)
{
	size_t i, q;

	for (i = 0; i < n; i++) {
		if (s[i] == c)
			return i;
		if (s[i] == '"') {
			q = quoted_len(s + i, n - i);
			if (q == 0)
				return n;
			i += q - 1;
		}
	}
	return n;
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && is_ws((*s)[0]))
		(*s)++, (*n)--;
	while (*n > 0 && is_ws((*s)[*n - 1]))
		(*n)--;
}

static void
trim_span(const struct src *t, size_t *a, size_t *b)
{
	while (*a < *b && is_ws(t->s[*a]))
		(*a)++;
	while (*b > *a && is_ws(t->s[*b - 1]))
		(*b)--;
}

/* Whether octet i is c written by the template (structure). */
static bool
is_sep(const struct src *t, size_t i, int c)
{
	return t->s[i] == c && (t->col == NULL || t->col[i] == 0);
}

/* Whether a field gave any octet of [a, b). */
static bool
has_field(const struct src *t, size_t a, size_t b)
{
	for (; t->col != NULL && a < b; a++)
		if (t->col[a] != 0)
			return true;
	return false;
}

/* Octets in the quoted-string at i, 0 if unterminated. */
static size_t
quoted_at(const struct src *t, size_t i, size_t end)
{
	size_t k;

	for (k = i + 1; k < end; k++) {
		if (is_sep(t, k, '\\'))
			k++;
		else if (is_sep(t, k, '"'))
			return k + 1 - i;
	}
	return 0;
}

/*
 * The display name before '<': a quoted-string, unescaped into nbuf
 * if it holds quoted-pairs, or plain words.
 */
static int
name_parse(const char **sp, size_t *np, char *nbuf, struct err *e)
{
	const char *s = *sp;
	size_t n = *np, i, k = 0;
	char q[QUOTE_MAX + 4];

	if (n > 0 && s[0] == '"' && quoted_len(s, n) == n) {
		if (memchr(s, '\\', n) == NULL) {
			*sp = s + 1, *np = n - 2;
			return *np > DNAME_MAX ? bad_addr(e, s, n,
			    "the display name is longer than 256 octets") : 0;
		}
		for (i = 1; i + 1 < n && k < DNAME_MAX; i++)
			nbuf[k++] = s[i] == '\\' ? s[++i] : s[i];
		*sp = nbuf, *np = k;
		return i + 1 < n ? bad_addr(e, s, n,
		    "the display name is longer than 256 octets") : 0;
	}
	if (memchr(s, '"', n) == NULL && memchr(s, '\\', n) == NULL)
		return n > DNAME_MAX ? bad_addr(e, s, n,
		    "the display name is longer than 256 octets") : 0;
	err_set(e, E_INPUT, NULL, "'%s' is not a valid display name: "
	    "expected \"Name\" <name@domain>, with '\"' and '\\' escaped "
	    "by '\\'", quote(q, sizeof(q), s, n));
	return -1;
}

/* The field's value around octet i, quoted into q. */
static const char *
field_value(const struct src *t, size_t i, char *q, size_t qsize)
{
	size_t a = i, b = i;

	while (a > 0 && t->col[a - 1] == t->col[i])
		a--;
	while (b < t->n && t->col[b] == t->col[i])
		b++;
	return quote(q, qsize, t->s + a, b - a);
}

/* A field's octet i where it would add structure. */
static int
field_error(const struct parse *p, const struct src *t, size_t i,
    const char *what)
{
	uint32_t c = t->col[i] - 1;
	const char *col = c < p->ncols ? p->cols[c] : "?";
	char q[QUOTE_MAX + 4], ch[8];

	if (is_ws(t->s[i]))
		snprintf(ch, sizeof(ch), "a space");
	else
		snprintf(ch, sizeof(ch), "'%c'", t->s[i]);
	err_set(p->e, E_INPUT, NULL, "column '%s' ('%s') puts %s into %s: "
	    "a field gives one display name or one address, never several "
	    "or their structure; fix the roster, or name the column in "
	    "X-Mailmerge-List to let it list addresses", col,
	    field_value(t, i, q, sizeof(q)), ch, what);
	return -1;
}

/* Fields in address [a, b) give no structure. */
static int
addr_fields(const struct parse *p, const struct src *t, size_t a,
    size_t b)
{
	size_t i, ws = b;

	/* The first special character, else the first white space. */
	for (i = a; t->col != NULL && i < b; i++) {
		if (t->col[i] == 0 || addr_atext((unsigned char)t->s[i]) ||
		    t->s[i] == '.' || t->s[i] == '@')
			continue;
		if (!is_ws(t->s[i]))
			return field_error(p, t, i, "an address");
		if (is_ws(t->s[i]) && ws == b)
			ws = i;
	}
	return ws < b ? field_error(p, t, ws, "an address") : 0;
}

/*
 * Display name [a, b) holding fields, decoded into nbuf: the
 * template's quotes and quoted-pairs undone, the fields' octets as
 * they are.
 */
static int
name_fields(const struct parse *p, const struct src *t, size_t a,
    size_t b, char *nbuf, size_t *nlen)
{
	size_t i, k = 0;
	bool q = false;
	char c;

	for (i = a; i < b; i++) {
		c = t->s[i];
		if (t->col[i] != 0) {
			if (c == '<' || c == '>')
				return field_error(p, t, i, "a display name");
		} else if (c == '"') {
			q = !q;
			continue;
		} else if (c == '\\' && q && i + 1 < b)
			c = t->s[++i];
		if (k == DNAME_MAX)
			return bad_addr(p->e, t->s + a, b - a,
			    "the display name is longer than 256 octets");
		nbuf[k++] = c;
	}
	if (q)
		return bad_addr(p->e, t->s + a, b - a, "a '\"' is not closed");
	*nlen = k;
	return 0;
}

/*
 * Angle brackets outside quoted-strings: how many, and in *lt and *gt
 * where the pair is if there is exactly one '<' before one '>' (else b).
 */
static size_t
angles(const struct src *t, size_t a, size_t b, size_t *lt, size_t *gt)
{
	size_t i, q, count = 0;

	*lt = *gt = b;
	for (i = a; i < b; i++) {
		if (is_sep(t, i, '"')) {
			q = quoted_at(t, i, b);
			i += q > 0 ? q - 1 : b;
		} else if (is_sep(t, i, '<') || is_sep(t, i, '>')) {
			count++;
			*(t->s[i] == '<' ? lt : gt) = i;
		}
	}
	if (count != 2 || *lt > *gt)
		*lt = *gt = b;
	return count;
}

/* The name of element [a, lt) into *name, *nlen. */
static int
name_of(const struct parse *p, const struct src *t, size_t a, size_t lt,
    char *nbuf, const char **name, size_t *nlen)
{
	trim_span(t, &a, &lt);
	if (has_field(t, a, lt)) {
		*name = nbuf;
		if (name_fields(p, t, a, lt, nbuf, nlen) == -1)
			return -1;
		trim(name, nlen);
		return 0;
	}
	*name = t->s + a, *nlen = lt - a;
	return name_parse(name, nlen, nbuf, p->e);
}

/* One list element [a, b): "addr", "<addr>" or "name <addr>". */
static int
mbox_parse(const struct parse *p, const struct src *t, size_t a,
    size_t b)
{
	char norm[ADDR_MAX + 1], nbuf[DNAME_MAX];
	size_t lt, gt, la, lb, nlen = 0;
	const char *why, *name = "";
	bool utf8;

	trim_span(t, &a, &b);
	if (a == b)
		return 0;
	la = a, lb = b;
	if (angles(t, a, b, &lt, &gt) != 0) {
		if (lt == b || gt != b - 1)
			return bad_addr(p->e, t->s + a, b - a, "unbalanced or "
			    "misplaced angle brackets: expected Name "
			    "<name@domain>");
		la = lt + 1, lb = gt;
		trim_span(t, &la, &lb);
		if (name_of(p, t, a, lt, nbuf, &name, &nlen) == -1)
			return -1;
	}
	if (addr_fields(p, t, la, lb) == -1)
		return -1;
	why = addr_sendable(t->s + la, lb - la, norm, &utf8);
	if (why != NULL)
		return bad_addr(p->e, t->s + la, lb - la, why);
	return p->fn(p->arg, name, nlen, norm, strlen(norm));
}

/* Offset of the ',' ending the element at a, or b. */
static size_t
element_end(const struct src *t, size_t a, size_t b)
{
	size_t i, q;
	bool angle = false;

	for (i = a; i < b; i++) {
		if (is_sep(t, i, '"')) {
			q = quoted_at(t, i, b);
			if (q == 0)
				return b;
			i += q - 1;
		} else if (is_sep(t, i, '<'))
			angle = true;
		else if (is_sep(t, i, '>'))
			angle = false;
		else if (is_sep(t, i, ',') && !angle)
			return i;
	}
	return b;
}

static int
list_parse(const struct parse *p, const struct src *t)
{
	size_t i, end;

	if (memchr(t->s, '\n', t->n) != NULL || memchr(t->s, '\r',
	    t->n) != NULL || memchr(t->s, '\0', t->n) != NULL)
		return bad_addr(p->e, t->s, t->n, "it holds a line break or "
		    "NUL");
	for (i = 0; i < t->n; i = end + 1) {
		end = element_end(t, i, t->n);
		if (mbox_parse(p, t, i, end) == -1)
			return -1;
	}
	return 0;
}

int
message_parse_addrs(const char *s, size_t n, message_addr_fn *fn,
    void *arg, struct err *e)
{
	struct parse p = { fn, arg, e, NULL, 0 };
	struct src t = { s, NULL, n };

	return list_parse(&p, &t);
}

int
message_mark(struct buf *out, const char *v, size_t n, size_t col)
{
	char head[48], *d = head + sizeof(head);
	size_t k = n;

	if (n == 0)
		return 0;
	/* By hand: snprintf() cost more than the rest of the marking. */
	*--d = MARK_END;
	do {
		*--d = (char)('0' + col % 10);
		col /= 10;
	} while (col > 0);
	*--d = '.';
	do {
		*--d = (char)('0' + k % 10);
		k /= 10;
	} while (k > 0);
	*--d = MARK;
	if (buf_add(out, d, (size_t)(head + sizeof(head) - d)) == -1)
		return -1;
	return buf_add(out, v, n);
}

/* A decimal number at s[*i], ended by end; -1 if none. */
static int
mark_num(const char *s, size_t n, size_t *i, int end, size_t *v)
{
	size_t start = *i;

	for (*v = 0; *i < n && s[*i] >= '0' && s[*i] <= '9' &&
	    *v < SIZE_MAX / 10 - 10; (*i)++)
		*v = *v * 10 + (size_t)(s[*i] - '0');
	if (*i == start || *i == n || s[*i] != end)
		return -1;
	(*i)++;
	return 0;
}

/* Append s[0..len) to the plain text, each octet from column c - 1. */
static int
unmark_run(struct message *m, const char *s, size_t len, uint32_t c)
{
	uint32_t *map;
	size_t k;

	if (buf_add(&m->plain, s, len) == -1)
		return -1;
	map = (uint32_t *)(void *)buf_extend(&m->cmap, len * sizeof(c));
	if (map == NULL)
		return -1;
	for (k = 0; k < len; k++)
		map[k] = c;
	return 0;
}

/* Marked s[0..n) (message_mark()) into plain text and column map. */
static int
unmark(struct message *m, const char *s, size_t n, struct src *t)
{
	const char *mark;
	size_t i = 0, len, col;
	uint32_t c;

	buf_reset(&m->plain);
	buf_reset(&m->cmap);
	while (i < n) {
		c = 0;
		if (s[i] == MARK) {
			i++;
			if (mark_num(s, n, &i, '.', &len) == -1 ||
			    mark_num(s, n, &i, MARK_END, &col) == -1 ||
			    len > n - i || col >= UINT32_MAX)
				return -1;
			c = (uint32_t)col + 1;
		} else {
			mark = memchr(s + i, MARK, n - i);
			len = (mark != NULL ? (size_t)(mark - s) : n) - i;
		}
		if (unmark_run(m, s + i, len, c) == -1)
			return -1;
		i += len;
	}
	t->s = buf_str(&m->plain);
	t->col = (const uint32_t *)(void *)m->cmap.data;
	t->n = m->plain.len;
	return 0;
}

/*
 * RFC 2047 encoded-words.
 */

static size_t
ew_len(size_t k)
{
	return EW_OVERHEAD + (k + 2) / 3 * 4;
}

/* Octets of s, whole characters, whose encoded-word fits in room. */
static size_t
ew_take(const char *s, size_t n, size_t room)
{
	size_t max;

	if (room > EW_MAX)
		room = EW_MAX;
	if (room < EW_OVERHEAD)
		return 0;
	max = (room - EW_OVERHEAD) / 4 * 3;
	return n <= max ? n : utf8_cut(s, max);
}

static int
ew_put(struct buf *out, const char *s, size_t k)
{
	if (buf_add(out, "=?UTF-8?B?", 10) == -1 ||
	    codec_base64(out, s, k) == -1 || buf_add(out, "?=", 2) == -1)
		return -1;
	return 0;
}

/*
 * All of s as encoded-words from column *col, CRLF SP between them.
 * Before the first: if nothing fits at *col, or (phrase) s would fit
 * whole on a fresh line, fold there too; an unstructured value cannot
 * (a decoder would keep the SP), so its first word overflows instead.
 */
static int
encode_run(struct buf *out, size_t *col, const char *s, size_t n,
    bool phrase)
{
	size_t room, k;
	bool first = true;

	while (n > 0) {
		room = *col < LINE_SOFT ? LINE_SOFT - *col : 0;
		k = ew_take(s, n, room);
		if (!first || (phrase && (k == 0 ||
		    (k < n && ew_take(s, n, EW_MAX) == n)))) {
			if (buf_add(out, "\r\n ", 3) == -1)
				return -1;
			*col = 1;
			k = ew_take(s, n, EW_MAX);
		} else if (k == 0)
			k = ew_take(s, n, EW_MIN);
		if (ew_put(out, s, k) == -1)
			return -1;
		*col += ew_len(k);
		s += k, n -= k, first = false;
	}
	return 0;
}

/* Plain tokens, folding before white space. */
static int
plain_put(struct buf *out, size_t *col, const char *s, size_t n)
{
	size_t i = 0, w, t;

	while (i < n) {
		for (w = i; w < n && is_ws(s[w]); w++)
			;
		for (t = w; t < n && !is_ws(s[t]); t++)
			;
		if (w > i && *col + t - i > LINE_SOFT) {
			if (buf_add(out, "\r\n", 2) == -1)
				return -1;
			*col = 0;
		}
		if (buf_add(out, s + i, t - i) == -1)
			return -1;
		*col += t - i;
		i = t;
	}
	return 0;
}

/* Whether a token of unstructured text must be encoded. */
static bool
token_needs(const char *s, size_t i, size_t j, size_t n)
{
	size_t k;

	if (is_ws(s[i]))
		return i == 0 || j == n || j - i > WS_MAX;
	if (j - i > PLAIN_MAX)
		return true;
	for (k = i; k < j; k++) {
		unsigned char c = (unsigned char)s[k];

		if (c < 0x21 || c > 0x7e || (c == '=' && k + 1 < j &&
		    s[k + 1] == '?'))
			return true;
	}
	return false;
}

/*
 * The span [*a, *b) of s to encode, from the first token that needs it
 * to the last, widened to whole words so that an encoded-word always
 * has white space or the value's end on each side (RFC 2047 §5 (1)).
 * Leading and trailing white space is encoded: parsers strip it.
 */
static void
encode_span(const char *s, size_t n, size_t *a, size_t *b)
{
	size_t i, j;
	bool ws;

	*a = *b = n;
	for (i = 0; i < n; i = j) {
		ws = is_ws(s[i]);
		for (j = i; j < n && is_ws(s[j]) == ws; j++)
			;
		if (!token_needs(s, i, j, n))
			continue;
		if (*a == n || *b == n)
			*a = i < *a ? i : *a;
		*b = j;
	}
	if (*a >= *b) {
		*a = *b = n;
		return;
	}
	if (*a > 0 && is_ws(s[*a]))
		while (*a > 0 && !is_ws(s[*a - 1]))
			(*a)--;
	if (*b < n && is_ws(s[*b - 1]))
		while (*b < n && !is_ws(s[*b]))
			(*b)++;
}

/* Unstructured text: plain words, then encoded-words, then plain. */
static int
text_put(struct buf *out, size_t *col, const char *s, size_t n)
{
	size_t a, b, w;

	encode_span(s, n, &a, &b);
	if (a == n)
		return plain_put(out, col, s, n);
	for (w = a; w > 0 && is_ws(s[w - 1]); w--)
		;
	if (plain_put(out, col, s, w) == -1)
		return -1;
	if (a > w && *col + (a - w) + EW_MIN > LINE_SOFT) {
		if (buf_add(out, "\r\n", 2) == -1)
			return -1;
		*col = 0;
	}
	if (buf_add(out, s + w, a - w) == -1)
		return -1;
	*col += a - w;
	if (encode_run(out, col, s + a, b - a, false) == -1)
		return -1;
	return plain_put(out, col, s + b, n - b);
}

int
message_encode_words(struct buf *out, const char *s, size_t n,
    size_t col, bool phrase)
{
	if (phrase)
		return encode_run(out, &col, s, n, true);
	return text_put(out, &col, s, n);
}

/*
 * Writing headers.
 */

static int
fold(struct build *b)
{
	/* Nothing on this line yet: a fold here would end the headers. */
	if (b->col == 0)
		return 0;
	b->col = 0;
	return buf_add(&b->m->text, "\r\n", 2);
}

static int
add(struct build *b, const char *s, size_t n)
{
	b->col += n;
	return buf_add(&b->m->text, s, n);
}

enum name_form { NAME_ATOMS, NAME_QUOTED, NAME_WORDS };

/* RFC 5322 §3.2.5 phrase: atoms, a quoted-string or encoded-words. */
static enum name_form
name_form(const char *s, size_t n, size_t *len)
{
	enum name_form f = NAME_ATOMS;
	size_t i;

	*len = n;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f ||
		    (c == '=' && i + 1 < n && s[i + 1] == '?'))
			return NAME_WORDS;
		if (c == '"' || c == '\\')
			(*len)++;
		if (c == ' ' ? i == 0 || s[i - 1] == ' ' || i + 1 == n :
		    !addr_atext(c))
			f = NAME_QUOTED;
	}
	if (f == NAME_QUOTED)
		*len += 2;
	return *len > PLAIN_MAX ? NAME_WORDS : f;
}

static int
quoted_put(struct build *b, const char *s, size_t n)
{
	size_t i;

	if (add(b, "\"", 1) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (((s[i] == '"' || s[i] == '\\') && add(b, "\\", 1) == -1) ||
		    add(b, s + i, 1) == -1)
			return -1;
	return add(b, "\"", 1);
}

/* The name as a phrase; len is what name_form() measured. */
static int
name_put(struct build *b, enum name_form f, const char *s, size_t n,
    size_t len)
{
	if (b->col + 1 + len > LINE_SOFT && fold(b) == -1)
		return -1;
	if (add(b, " ", 1) == -1)
		return -1;
	if (f == NAME_ATOMS)
		return add(b, s, n);
	if (f == NAME_QUOTED)
		return quoted_put(b, s, n);
	return encode_run(&b->m->text, &b->col, s, n, true);
}

/* A second mailbox where the header takes one. */
static int
too_many(struct build *b)
{
	if (!b->single || b->count == 0)
		return 0;
	err_set(b->e, E_INPUT, b->where, "%s holds more than one address: "
	    "expected exactly one", b->where);
	return -1;
}

/* What a mailbox tells about the message: SMTPUTF8, the From address. */
static int
noted(struct build *b, const char *addr, size_t alen)
{
	if (has_8bit(addr, alen))
		b->m->utf8_addr = true;
	if (b->is_from) {
		memcpy(b->m->from, addr, alen);
		b->m->from[alen] = '\0';
	}
	b->count++;
	return 0;
}

/*
 * One mailbox of an address header; a message_addr_fn.  A mailbox that
 * does not fit goes to a new line whole (after the comma); one still
 * too long breaks before its "<".  One octet is kept for the comma.
 */
static int
mbox_put(void *arg, const char *name, size_t nlen, const char *addr,
    size_t alen)
{
	struct build *b = arg;
	enum name_form f = NAME_ATOMS;
	size_t len = nlen > 0 ? alen + 2 : alen, nl = 0;

	if (too_many(b) == -1)
		return -1;
	if (nlen > 0)
		f = name_form(name, nlen, &nl);
	if (f == NAME_WORDS)
		nl = nlen <= EW_BYTES ? ew_len(nlen) : EW_MIN;
	if (b->count > 0 && (add(b, ",", 1) == -1 || (b->col + 1 +
	    (nl > 0 ? nl + 1 : 0) + len + 1 > LINE_SOFT && fold(b) == -1)))
		return -1;
	if (nlen > 0 && name_put(b, f, name, nlen, nl) == -1)
		return -1;
	if (b->col + 1 + len + 1 > LINE_SOFT && fold(b) == -1)
		return -1;
	if (add(b, nlen > 0 ? " <" : " ", nlen > 0 ? 2 : 1) == -1 ||
	    add(b, addr, alen) == -1 || (nlen > 0 && add(b, ">", 1) == -1))
		return -1;
	return noted(b, addr, alen);
}

/*
 * Remembered mailboxes: a header's parse depends on its value and
 * marked value alone, so a header seen before is not parsed again;
 * its mailboxes are given to fn as the parse gave them.
 */

/* Mailboxes in boxes: the name's length and octets, then the address's. */
static int
box_put(struct buf *boxes, const char *s, size_t n)
{
	return buf_add(boxes, &n, sizeof(n)) == -1 ? -1 : buf_add(boxes, s, n);
}

static const char *
box_get(const char **at, size_t *n)
{
	const char *s = *at + sizeof(*n);

	memcpy(n, *at, sizeof(*n));
	*at = s + *n;
	return s;
}

/* The entry holding value v and marked value mk (or NULL), or NULL. */
static struct message_seen *
seen_find(struct message *m, const char *v, size_t n, const char *mk,
    size_t mlen)
{
	struct message_seen *s;
	size_t i;

	for (i = 0; i < MESSAGE_SEEN; i++) {
		s = &m->seen[i];
		if (s->used != 0 && s->vlen == n && s->marked == (mk != NULL) &&
		    s->key.len == n + mlen && memcmp(s->key.data, v, n) == 0 &&
		    (mlen == 0 || memcmp(s->key.data + n, mk, mlen) == 0)) {
			s->used = ++m->seen_clock;
			return s;
		}
	}
	return NULL;
}

/* The least recently used entry, emptied and keyed for v and mk. */
static struct message_seen *
seen_new(struct message *m, const char *v, size_t n, const char *mk,
    size_t mlen)
{
	struct message_seen *s = &m->seen[0];
	size_t i;

	for (i = 1; i < MESSAGE_SEEN; i++)
		if (m->seen[i].used < s->used)
			s = &m->seen[i];
	s->used = 0;
	buf_reset(&s->key);
	buf_reset(&s->boxes);
	if (buf_add(&s->key, v, n) == -1 ||
	    (mk != NULL && buf_add(&s->key, mk, mlen) == -1))
		return NULL;
	s->vlen = n;
	s->marked = mk != NULL;
	return s;
}

/* What the parse gives fn, kept in the entry too. */
struct keep {
	message_addr_fn	*fn;
	void		*arg;
	struct message_seen *s;	/* NULL: past its cap, not kept */
};

static int
keep_box(void *arg, const char *name, size_t nlen, const char *addr,
    size_t alen)
{
	struct keep *k = arg;

	if (k->s != NULL && (box_put(&k->s->boxes, name, nlen) == -1 ||
	    box_put(&k->s->boxes, addr, alen) == -1))
		k->s = NULL;
	return k->fn(k->arg, name, nlen, addr, alen);
}

static int
seen_replay(const struct message_seen *s, message_addr_fn *fn, void *arg)
{
	const char *at = s->boxes.data, *end;
	const char *name, *addr;
	size_t nlen, alen;

	if (at == NULL)
		return 0;	/* an empty header: nothing was kept */
	end = at + s->boxes.len;
	while (at < end) {
		name = box_get(&at, &nlen);
		addr = box_get(&at, &alen);
		if (fn(arg, name, nlen, addr, alen) == -1)
			return -1;
	}
	return 0;
}

/* Header h's addresses (its marked value if it has one), or v's. */
static int
hdr_parse(struct build *b, const struct message_header *h, const char *v,
    size_t n, message_addr_fn *fn)
{
	const char *mk = h != NULL ? h->marked : NULL;
	size_t mlen = mk != NULL ? h->mlen : 0;
	struct message_seen *s = seen_find(b->m, v, n, mk, mlen);
	struct keep k = { fn, b, NULL };
	struct parse p = { keep_box, &k, b->e, b->p->cols, b->p->ncols };
	struct src t = { v, NULL, n };

	if (s != NULL)
		return seen_replay(s, fn, b);
	if (mk != NULL && unmark(b->m, mk, mlen, &t) == -1) {
		err_set(b->e, E_INPUT, NULL, "the value holds a control "
		    "character or is too large");
		return -1;
	}
	k.s = seen_new(b->m, v, n, mk, mlen);
	if (list_parse(&p, &t) == -1)
		return -1;
	if (k.s != NULL)
		k.s->used = ++b->m->seen_clock;
	return 0;
}

static int
addrs_put(struct build *b, const struct hdef *d, const char *v, size_t n)
{
	b->count = 0;
	b->single = d->kind == H_FROM || d->kind == H_ONE;
	b->is_from = d->kind == H_FROM;
	if (hdr_parse(b, b->cur, v, n, mbox_put) == -1) {
		err_where(b->e, "%s", b->where);
		return -1;
	}
	if (b->single && b->count == 0) {
		err_set(b->e, E_INPUT, b->where, "%s is empty: expected "
		    "Name <name@domain>", b->where);
		return -1;
	}
	return 0;
}

/* msg-id lists (RFC 5322 §3.6.4) are ASCII. */
static int
ids_check(struct build *b, const char *v, size_t n)
{
	size_t i;

	/* Written as they are, so only VCHAR and WSP (RFC 5322 §3.2.5). */
	for (i = 0; i < n; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') ||
		    v[i] == 0x7f) {
			err_set(b->e, E_INPUT, b->where, "%s holds a control "
			    "character: expected <id@domain> message IDs",
			    b->where);
			return -1;
		}
	if (!has_8bit(v, n))
		return 0;
	err_set(b->e, E_INPUT, b->where, "%s holds non-ASCII text: expected "
	    "<id@domain> message IDs", b->where);
	return -1;
}

/* msg-id lists, white space made single. */
static int
ids_put(struct build *b, const char *v, size_t n)
{
	size_t i, j;

	if (ids_check(b, v, n) == -1)
		return -1;
	for (i = 0; i < n; i = j) {
		while (i < n && is_ws(v[i]))
			i++;
		for (j = i; j < n && !is_ws(v[j]); j++)
			;
		if (j == i)
			break;
		if (b->col + 1 + j - i > LINE_SOFT && b->col > 0 &&
		    fold(b) == -1)
			return -1;
		if (add(b, " ", 1) == -1 || add(b, v + i, j - i) == -1)
			return -1;
	}
	return 0;
}

static int
value_put(struct build *b, const struct hdef *d, const char *v, size_t n)
{
	switch (d->kind) {
	case H_TEXT:
		if (n == 0)
			return 0;
		if (add(b, " ", 1) == -1)
			return -1;
		return text_put(&b->m->text, &b->col, v, n);
	case H_ID:
		return ids_put(b, v, n);
	default:
		return addrs_put(b, d, v, n);
	}
}

/* One header; an address header with no mailbox is left out. */
static int
header_put(struct build *b, const char *name, const struct hdef *d,
    const char *v, size_t n)
{
	struct buf *out = &b->m->text;
	size_t start = out->len;

	if (d->kind == H_BCC || d->kind == H_CTYPE || d->kind == H_ATTACH ||
	    d->kind == H_OPTION)
		return 0;
	b->where = d->name != NULL ? d->name : name;
	b->col = 0;
	if (add(b, b->where, strlen(b->where)) == -1 || add(b, ":", 1) == -1)
		return -1;
	if (value_put(b, d, v, n) == -1)
		return -1;
	if (d->kind != H_TEXT && d->kind != H_ID && b->count == 0) {
		buf_truncate(out, start);
		return 0;
	}
	b->has_to |= d->kind == H_RCPT;
	return buf_add(out, "\r\n", 2);
}

static const struct hdef *
hdef_find(const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < nitems(hdefs); i++)
		if (hdefs[i].len == len && (hdefs[i].name[0] | 0x20) ==
		    (name[0] | 0x20) && strcasecmp(hdefs[i].name, name) == 0)
			return &hdefs[i];
	if (strncasecmp(name, "Content-", 8) == 0)
		return &hdef_content;
	return &hdef_other;
}

static const char *
hvalue(const struct message_header *h)
{
	return h->value != NULL ? h->value : "";
}

/* Why header name s is refused (RFC 5322 §2.2 ftext), or NULL. */
static const char *
hname_check(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 32 || (unsigned char)s[i] >= 127 ||
		    s[i] == ':')
			return N_("expected letters, digits and '-'");
	if (i == 0)
		return N_("it is empty");
	if (i > HNAME_MAX)
		return N_("longer than 76 characters");
	return NULL;
}

static int
header_check(struct build *b, const struct message_header *h,
    unsigned long *seen)
{
	const struct hdef *d = hdef_find(h->name);
	const char *where = d->name != NULL ? d->name : h->name;
	const char *why = hname_check(h->name);
	enum message_body kind;
	unsigned long bit = 0;

	if (why != NULL) {
		err_set(b->e, E_INPUT, where, "'%s' is not a valid header "
		    "name: %s", where, _(why));
		return -1;
	}
	if (d->kind == H_GEN) {
		err_set(b->e, E_INPUT, where, "%s is generated by mailmerge: "
		    "remove it from the template", where);
		return -1;
	}
	if (d->once)
		bit = 1UL << (d - hdefs);
	if (*seen & bit) {
		err_set(b->e, E_INPUT, where, "%s is given twice: give it "
		    "once, addresses separated by commas", where);
		return -1;
	}
	*seen |= bit;
	why = value_check(hvalue(h), h->len);
	if (why != NULL) {
		err_set(b->e, E_INPUT, where, "the value of %s %s", where,
		    _(why));
		return -1;
	}
	if (d->kind == H_CTYPE && message_body_kind(hvalue(h), h->len, &kind,
	    b->e) == -1)
		return -1;
	b->has_from |= d->kind == H_FROM;
	if (d->env > 0)
		b->env[d->env - 1] = h;
	return 0;
}

/*
 * Pass 1: every header is one the template may set, given at most
 * once where RFC 5322 §3.6 says so, with a valid name and value.
 */
static int
headers_check(struct build *b)
{
	unsigned long seen = 0;
	size_t i;

	for (i = 0; i < b->p->nhdr; i++)
		if (header_check(b, &b->p->hdr[i], &seen) == -1)
			return -1;
	return 0;
}

/*
 * Pass 2: envelope recipients, To then Cc then Bcc, each address once.
 */

static bool
rcpt_has(const struct message *m, const char *addr, size_t alen)
{
	const char *r = m->rcpt.data;
	size_t i, len;

	for (i = 0; i < m->nrcpt; i++, r += len + 1) {
		len = strlen(r);
		if (len == alen && strncasecmp(r, addr, alen) == 0)
			return true;
	}
	return false;
}

/* A message_addr_fn. */
static int
rcpt_add(void *arg, const char *name, size_t nlen, const char *addr,
    size_t alen)
{
	struct build *b = arg;
	struct message *m = b->m;

	(void)name, (void)nlen;
	if (has_8bit(addr, alen))
		m->utf8_addr = true;
	if (rcpt_has(m, addr, alen))
		return 0;
	if (m->nrcpt == MESSAGE_RCPT_MAX) {
		err_set(b->e, E_INPUT, b->where, "more than %d recipients: "
		    "providers refuse more in one message", MESSAGE_RCPT_MAX);
		return -1;
	}
	if (buf_add(&m->rcpt, addr, alen) == -1 ||
	    buf_add(&m->rcpt, "", 1) == -1)
		return -1;
	m->nrcpt++;
	return 0;
}

static int
rcpts_collect(struct build *b)
{
	static const char *const name[ENV_MAX] = { "To", "Cc", "Bcc" };
	const struct message_header *h;
	size_t k;

	for (k = 0; k < ENV_MAX; k++) {
		h = b->env[k];
		if (h == NULL)
			continue;
		b->where = name[k];
		if (hdr_parse(b, h, hvalue(h), h->len, rcpt_add) == -1) {
			err_where(b->e, "%s", b->where);
			return -1;
		}
	}
	if (b->m->nrcpt == 0) {
		err_set(b->e, E_INPUT, "To", "no recipient: To, Cc and Bcc "
		    "hold no address");
		return -1;
	}
	return 0;
}

/*
 * Pass 3: the template's headers in order, then From if defaulted.
 */
static int
headers_put(struct build *b)
{
	const struct message_params *p = b->p;
	const struct message_header *h;
	const char *why;
	size_t i;

	for (i = 0; i < p->nhdr; i++) {
		h = &p->hdr[i];
		b->cur = h;
		if (header_put(b, h->name, hdef_find(h->name), hvalue(h),
		    h->len) == -1)
			return -1;
	}
	b->cur = NULL;
	/*
	 * Only Bcc: an empty group, as Thunderbird writes, since mail
	 * without To is refused by Naver and scored by filters (RFC 5322
	 * §3.6.3 allows none, §A.1.3 shows this form).
	 */
	if (!b->has_to && buf_adds(&b->m->text,
	    "To: undisclosed-recipients:;\r\n") == -1)
		return -1;
	if (b->has_from)
		return 0;
	if (p->from_default == NULL) {
		err_set(b->e, E_INPUT, "From", "no sender: add \"From: Name "
		    "<you@example.com>\" to the template, or (preview) "
		    "pass -c CONFIG to take the account's");
		return -1;
	}
	why = value_check(p->from_default, strlen(p->from_default));
	if (why != NULL) {
		err_set(b->e, E_INPUT, "From", "the default From %s", _(why));
		return -1;
	}
	return header_put(b, "From", &hdef_from, p->from_default,
	    strlen(p->from_default));
}

/*
 * Generated headers.
 */

/* RFC 5322 §3.3 date-time in the local zone, cached per time_t. */
static int
date_make(struct message *m, time_t t, struct err *e)
{
	struct tm tm;
	long off;

	if (m->date_ok && m->date_when == t)
		return 0;
	if (localtime_r(&t, &tm) == NULL || tm.tm_year < 0 ||
	    tm.tm_year > 9999 - 1900) {
		err_set(e, E_INPUT, "Date", "the date is out of range: "
		    "expected a year from 1900 to 9999");
		return -1;
	}
	off = tm.tm_gmtoff / 60;
	snprintf(m->date, sizeof(m->date),
	    "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
	    wday[tm.tm_wday], tm.tm_mday, month[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
	    (off < 0 ? -off : off) % 60);
	m->date_when = t;
	m->date_ok = true;
	return 0;
}

/* RFC 5322 §3.6.4: "<" id-left "@" the From domain ">". */
static int
msgid_make(struct message *m, const char *left, struct err *e)
{
	const char *dom = strrchr(m->from, '@');
	size_t len = left != NULL ? strlen(left) : 0, dlen;

	if (left == NULL || !addr_dot_atom(left, len) || has_8bit(left, len)) {
		err_set(e, E_INPUT, "Message-ID", "the Message-ID left part "
		    "is not ASCII letters, digits, dots and the like");
		return -1;
	}
	dlen = dom != NULL ? strlen(dom) : 0;
	if (dom == NULL || len + dlen + 3 > sizeof(m->msgid)) {
		err_set(e, E_INPUT, "Message-ID", "the Message-ID would be "
		    "longer than %d octets", ADDR_MAX + 2);
		return -1;
	}
	m->msgid[0] = '<';
	memcpy(m->msgid + 1, left, len);
	memcpy(m->msgid + 1 + len, dom, dlen);
	memcpy(m->msgid + 1 + len + dlen, ">", 2);
	return 0;
}

static int
generated_put(struct build *b)
{
	const char *v[] = {
		"Date: ", b->m->date,
		"\r\nMessage-ID: ", b->m->msgid,
		"\r\nMIME-Version: 1.0\r\n"
	};
	size_t i;

	for (i = 0; i < nitems(v); i++)
		if (buf_adds(&b->m->text, v[i]) == -1)
			return -1;
	return 0;
}

/*
 * The body: CRLF line ends (RFC 5322 §2.3), 7bit, 8bit or base64
 * (RFC 2045 §2.7, §2.8, §6.8).
 */

static size_t
line_end(const char *s, size_t n, bool cr)
{
	const char *lf;
	size_t i;

	if (!cr) {
		lf = memchr(s, '\n', n);
		return lf != NULL ? (size_t)(lf - s) : n;
	}
	for (i = 0; i < n && s[i] != '\n' && s[i] != '\r'; i++)
		;
	return i;
}

/*
 * Line lengths, NUL and CR of s[0..n), a line ending at LF, CR or CRLF.
 * memchr() does most of it, as body_put() does: with utf8_valid(), this
 * is a good part of a row's cost.
 */
static void
body_lines(const char *s, size_t n, struct body_info *bi)
{
	size_t i = 0, end;

	bi->nul = memchr(s, '\0', n) != NULL;
	bi->cr = memchr(s, '\r', n) != NULL;
	while (i < n) {
		end = i + line_end(s + i, n - i, bi->cr);
		if (end - i > bi->maxline)
			bi->maxline = end - i;
		bi->plain += end - i + 2;
		if (end + 1 < n && s[end] == '\r' && s[end + 1] == '\n')
			end++;
		i = end + 1;
	}
}

/* Octets of s[0..n) with the high bit set, eight at a time. */
static size_t
high_octets(const char *s, size_t n)
{
	size_t i = 0, high = 0;
	uint64_t w;

	/* Each octet's high bit moved to its low bit, then summed. */
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		high += (size_t)((((w & 0x8080808080808080ULL) >> 7) *
		    0x0101010101010101ULL) >> 56);
	}
	for (; i < n; i++)
		high += (unsigned char)s[i] >> 7;
	return high;
}

/*
 * Octets over 0x7f, line lengths, NUL and CR.  The text is UTF-8 by
 * construction (message_params says why), so it is not validated again
 * here.
 */
static void
body_scan(const char *s, size_t n, struct body_info *bi)
{
	memset(bi, 0, sizeof(*bi));
	bi->high = high_octets(s, n);
	body_lines(s, n, bi);
}

/*
 * The transfer encoding: 7bit for ASCII text, base64 for NUL and long
 * lines, which only it can carry; non-ASCII text is quoted-printable
 * or base64, whichever is shorter (leaf_put() decides), never 8bit: a
 * relay without 8BITMIME would convert an 8bit part and break a DKIM
 * signature made at submission (RFC 6376 §5.3).
 */
static const char *
cte_pick(const struct body_info *bi)
{
	if (bi->nul || bi->maxline > LINE_HARD)
		return "base64";
	return bi->high > 0 ? "quoted-printable" : "7bit";
}

#define QP_LINE		76	/* RFC 2045 §6.7 (5): encoded line */

/*
 * One line s[0..n) as quoted-printable (RFC 2045 §6.7) into out, or
 * only counted when out is NULL; the octets it takes, CRLF included.
 * Soft breaks keep lines within 76 characters, never inside "=XX";
 * white space before a line end, '=', non-ASCII and a line's leading
 * "From " 'F' and '.' (mbox and SMTP habits) are encoded.
 */
static size_t
qp_line(struct buf *out, const char *s, size_t n, int *rc)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, col = 0, total = 0, w;
	unsigned char c;
	char enc[3];

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		w = 1;
		if (c == '=' || c >= 0x7f || (c < 0x20 && c != '\t') ||
		    (is_ws(c) && i + 1 == n) || (i == 0 && (c == '.' ||
		    (c == 'F' && n >= 5 && memcmp(s, "From ", 5) == 0))))
			w = 3;
		enc[0] = '=', enc[1] = hex[c >> 4], enc[2] = hex[c & 15];
		/* Room for a soft break "=" unless this is the last octet. */
		if (col + w + (i + 1 < n) > QP_LINE) {
			if (out != NULL && buf_add(out, "=\r\n", 3) == -1)
				*rc = -1;
			total += 3, col = 0;
		}
		if (out != NULL && buf_add(out, w == 3 ? enc : (char *)&c, w) ==
		    -1)
			*rc = -1;
		total += w, col += w;
	}
	if (out != NULL && buf_add(out, "\r\n", 2) == -1)
		*rc = -1;
	return total + 2;
}

/* s as quoted-printable lines into out (NULL: count); the octets. */
static size_t
qp_put(struct buf *out, const char *s, size_t n, bool cr, size_t *plain,
    int *rc)
{
	size_t end, total = 0;

	*plain = 0;
	while (n > 0) {
		end = line_end(s, n, cr);
		total += qp_line(out, s, end, rc);
		*plain += end + 2;
		if (end + 1 < n && s[end] == '\r' && s[end + 1] == '\n')
			end++;
		end += end < n;
		s += end, n -= end;
	}
	return total;
}

static int
sink_put(struct sink *k, const char *s, size_t n)
{
	size_t room;

	if (!k->b64)
		return buf_add(k->out, s, n);
	while (n > 0) {
		room = sizeof(k->chunk) - k->len;
		room = room < n ? room : n;
		memcpy(k->chunk + k->len, s, room);
		k->len += room, s += room, n -= room;
		if (k->len == sizeof(k->chunk)) {
			if (codec_base64_lines(k->out, k->chunk, k->len) == -1)
				return -1;
			k->len = 0;
		}
	}
	return 0;
}

static int
body_put(struct buf *out, const char *s, size_t n,
    const struct body_info *bi, bool b64)
{
	struct sink k;
	size_t end;

	k.out = out, k.b64 = b64, k.len = 0;
	while (n > 0) {
		end = line_end(s, n, bi->cr);
		if (sink_put(&k, s, end) == -1 ||
		    sink_put(&k, "\r\n", 2) == -1)
			return -1;
		if (end + 1 < n && s[end] == '\r' && s[end + 1] == '\n')
			end++;
		end += end < n;
		s += end, n -= end;
	}
	if (b64 && k.len > 0)
		return codec_base64_lines(k.out, k.chunk, k.len);
	return 0;
}

/*
 * MIME structure (RFC 2046 §5.1): multipart/mixed { the body,
 * attachments... }, the body being text/plain or multipart/alternative
 * { text/plain, text/html } (§5.1.4: the plainest first).  Every part
 * has its own Content-Transfer-Encoding.  A part's text is followed by
 * CRLF "--boundary", the CRLF belonging to the delimiter (§5.1.1), so
 * a text part keeps its last line end.
 */

/* The scanned text parts of one message. */
struct parts {
	struct body_info text;
	struct body_info html;
	char		 mixed[48];	/* boundaries */
	char		 alt[48];
	char		 rel[48];
};

/* Whether s[0..n) holds w (memmem() is a GNU extension). */
static bool
holds(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);
	const char *p;

	for (p = s; k <= n && (p = memchr(p, w[0], n - k + 1 -
	    (size_t)(p - s))) != NULL; p++)
		if (memcmp(p, w, k) == 0)
			return true;
	return false;
}

/*
 * A boundary for the message: "=_mm" and a hash of the Message-ID's
 * random left part.  "=_" cannot occur in base64 or quoted-printable
 * text (RFC 2045 §6.7, §6.8); the text parts are searched, and another
 * is taken in the unlikely case one holds it.
 */
static void
boundary(const struct message_params *p, char kind, char out[48])
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */
	const char *s = p->msgid_left;
	unsigned try;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	for (try = 0; try < 100; try++) {
		snprintf(out, 48, "=_mm%016llx.%c%u", (unsigned long long)h,
		    kind, try);
		if (!holds(p->body, p->body_len, out) &&
		    (p->html == NULL || !holds(p->html, p->html_len, out)))
			return;
	}
}

/* Octets codec_base64_lines() makes of n: 76 and CRLF per 57. */
static size_t
b64_size(size_t n)
{
	return n / 57 * 78 + (n % 57 != 0 ? (n % 57 + 2) / 3 * 4 + 2 : 0);
}

/*
 * A text part's headers and text.  Quoted-printable takes at least the
 * text, CRLFs and two more octets per non-ASCII one: Korean text is
 * mostly non-ASCII, so that alone shows base64 is shorter, without
 * encoding the text twice; else qp_put() counts.
 */
static int
leaf_put(struct build *b, const char *type, const char *s, size_t n,
    const struct body_info *bi)
{
	const char *cte = cte_pick(bi);
	size_t plain = bi->plain, qp = 0;
	int rc = 0;

	if (cte[0] == 'q' && (plain + 2 * bi->high >
	    b64_size(plain) || (qp = qp_put(NULL, s, n, bi->cr, &plain,
	    &rc)) > b64_size(plain)))
		cte = "base64";
	if (buf_adds(&b->m->text, "Content-Type: ") == -1 ||
	    buf_adds(&b->m->text, type) == -1 ||
	    buf_adds(&b->m->text, "; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: ") == -1 ||
	    buf_adds(&b->m->text, cte) == -1 ||
	    buf_add(&b->m->text, "\r\n\r\n", 4) == -1)
		return -1;
	if (b->p->count_only) {
		b->m->counted += cte[0] == 'b' ? b64_size(plain) :
		    cte[0] == 'q' ? qp : plain;
		return 0;
	}
	if (cte[0] == 'q') {
		qp_put(&b->m->text, s, n, bi->cr, &plain, &rc);
		return rc;
	}
	return body_put(&b->m->text, s, n, bi, cte[0] == 'b');
}

static int
multi_head(struct build *b, const char *sub, const char *bound)
{
	return buf_addf(&b->m->text, "Content-Type: multipart/%s;\r\n "
	    "boundary=\"%s\"\r\n\r\n--%s\r\n", sub, bound, bound);
}

static int att_put(struct build *, const struct message_attachment *,
    const char *);
static int disposition_headers(struct buf *, const char *, const char *,
    size_t, const char *, const char *);

/*
 * The HTML part, and with inline images multipart/related { text/html,
 * the images } (RFC 2387), each image found by its Content-ID from a
 * "cid:" URL in the HTML (RFC 2392), as Thunderbird sends it.
 */
static int
html_put(struct build *b, const struct parts *pt)
{
	const struct message_params *p = b->p;
	size_t i;

	if (p->nimg == 0)
		return leaf_put(b, "text/html", p->html, p->html_len,
		    &pt->html);
	if (buf_addf(&b->m->text, "Content-Type: multipart/related;\r\n "
	    "type=\"text/html\";\r\n boundary=\"%s\"\r\n\r\n--%s\r\n",
	    pt->rel, pt->rel) == -1 ||
	    leaf_put(b, "text/html", p->html, p->html_len, &pt->html) == -1)
		return -1;
	b->bound = pt->rel;
	for (i = 0; i < p->nimg; i++)
		if (att_put(b, &p->img[i], "inline") == -1)
			return -1;
	return buf_addf(&b->m->text, "\r\n--%s--\r\n", pt->rel);
}

static int
alt_put(struct build *b, const struct parts *pt)
{
	const struct message_params *p = b->p;

	if (multi_head(b, "alternative", pt->alt) == -1 ||
	    leaf_put(b, "text/plain", p->body, p->body_len, &pt->text) == -1 ||
	    buf_addf(&b->m->text, "\r\n--%s\r\n", pt->alt) == -1 ||
	    html_put(b, pt) == -1)
		return -1;
	return buf_addf(&b->m->text, "\r\n--%s--\r\n", pt->alt);
}

static int
att_put(struct build *b, const struct message_attachment *a,
    const char *disp)
{
	struct buf *out = &b->m->text;

	if (buf_addf(out, "\r\n--%s\r\n", b->bound) == -1 ||
	    disposition_headers(out, a->type, a->name, a->name_len, disp,
	    a->cid) == -1 || buf_add(out, "\r\n", 2) == -1)
		return -1;
	if (b->p->count_only) {
		b->m->counted += b64_size(a->len);
		return 0;
	}
	if (a->b64 != NULL)
		return buf_add(out, a->b64, a->b64_len);
	return codec_base64_lines(out, a->data, a->len);
}

static int
mixed_put(struct build *b, const struct parts *pt)
{
	const struct message_params *p = b->p;
	size_t i;

	if (multi_head(b, "mixed", pt->mixed) == -1)
		return -1;
	if (p->html != NULL ? alt_put(b, pt) == -1 :
	    leaf_put(b, "text/plain", p->body, p->body_len, &pt->text) == -1)
		return -1;
	b->bound = pt->mixed;
	for (i = 0; i < p->natt; i++)
		if (att_put(b, &p->att[i], "attachment") == -1)
			return -1;
	return buf_addf(&b->m->text, "\r\n--%s--\r\n", pt->mixed);
}

static int
content_put(struct build *b, struct parts *pt)
{
	const struct message_params *p = b->p;

	if (p->natt == 0 && p->html == NULL)
		return leaf_put(b, "text/plain", p->body, p->body_len,
		    &pt->text);
	boundary(p, 'm', pt->mixed);
	boundary(p, 'a', pt->alt);
	boundary(p, 'r', pt->rel);
	if (p->natt == 0)
		return alt_put(b, pt);
	return mixed_put(b, pt);
}

/* The text parts scanned; each file name is one we can write. */
static int
parts_check(const struct message_params *p, struct parts *pt,
    struct err *e)
{
	const struct message_attachment *a;
	size_t i;

	body_scan(p->body, p->body_len, &pt->text);
	if (p->html != NULL)
		body_scan(p->html, p->html_len, &pt->html);
	for (i = 0; i < p->natt + p->nimg; i++) {
		a = i < p->natt ? &p->att[i] : &p->img[i - p->natt];
		if (a->name_len == 0 || a->name_len > MESSAGE_FILENAME_MAX ||
		    utf8_valid(a->name, a->name_len, NULL) != a->name_len ||
		    break_at(a->name, a->name_len) != a->name_len) {
			err_set(e, E_INPUT, "Attachment", "the file name of "
			    "attachment %zu is empty, longer than %d octets or "
			    "not UTF-8 text", i + 1, MESSAGE_FILENAME_MAX);
			return -1;
		}
	}
	return 0;
}

/*
 * Attachments' file names (RFC 2231, RFC 2047).
 */

/* RFC 5987 §3.2.1 attr-char: what RFC 2231 values keep as is. */
static bool
attr_char(int c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' &&
	    (c | 0x20) <= 'z') || (c != 0 && strchr("!#$&+-.^_`|~", c));
}

static bool
name_plain(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ||
		    (s[i] == '=' && i + 1 < n && s[i + 1] == '?'))
			return false;
	return true;
}

/* ";" CRLF SP param="value": quoted ASCII, or RFC 2047 words. */
static int
param_put(struct buf *out, const char *param, const char *s, size_t n)
{
	size_t col = strlen(param) + 3, i;

	if (buf_addf(out, ";\r\n %s=\"", param) == -1)
		return -1;
	if (!name_plain(s, n)) {
		/*
		 * Encoded-words in a quoted string break RFC 2047 §5 (3),
		 * but it is what Outlook, Gmail and Thunderbird send in
		 * Content-Type's name= and what clients without RFC 2231
		 * read; Content-Disposition has the RFC 2231 form.
		 */
		if (encode_run(out, &col, s, n, false) == -1)
			return -1;
		return buf_add(out, "\"", 1);
	}
	for (i = 0; i < n; i++)
		if (((s[i] == '"' || s[i] == '\\') &&
		    buf_add(out, "\\", 1) == -1) || buf_add(out, s + i, 1) == -1)
			return -1;
	return buf_add(out, "\"", 1);
}

#define CONT_LINE	77	/* a continuation line: under 78 columns */

/* Octets the character at s[0..n) takes percent-encoded (RFC 2231). */
static size_t
pct_width(const char *s, size_t n, size_t *len)
{
	size_t k = utf8_len((const unsigned char *)s, n), i, w = 0;

	*len = k > 0 ? k : 1;
	for (i = 0; i < *len; i++)
		w += attr_char((unsigned char)s[i]) ? 1 : 3;
	return w;
}

static int
pct_put(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (attr_char(c) ? buf_addc(out, c) == -1 :
		    buf_addf(out, "%%%c%c", hex[c >> 4], hex[c & 15]) == -1)
			return -1;
	}
	return 0;
}

/*
 * RFC 2231 §3 and §4: param*0*=UTF-8''%XX...; param*1*=%XX... on
 * lines under 78 columns, as Thunderbird writes, never splitting a
 * character between two segments.  Python's email, ripmime, mutt and
 * Thunderbird join them; the name is not written a second way here.
 */
static int
param_2231(struct buf *out, const char *param, const char *s, size_t n)
{
	size_t seg = 0, col, i = 0, w, len;

	while (i < n) {
		if (buf_addf(out, ";\r\n %s*%zu*=%s", param, seg,
		    seg == 0 ? "UTF-8''" : "") == -1)
			return -1;
		col = strlen(param) + 6 + (seg >= 10) + (seg >= 100) +
		    (seg == 0 ? 7 : 0);
		do {
			w = pct_width(s + i, n - i, &len);
			if (pct_put(out, s + i, len) == -1)
				return -1;
			col += w, i += len;
		} while (i < n && col + pct_width(s + i, n - i, &len) + 1 <=
		    CONT_LINE);
		seg++;
	}
	return 0;
}

/* A name written as a plain quoted parameter: ASCII, and it fits. */
static bool
name_short(const char *param, const char *s, size_t n)
{
	size_t i, w = strlen(param) + 5;

	for (i = 0; i < n; i++)
		w += s[i] == '"' || s[i] == '\\' ? 2 : 1;
	return name_plain(s, n) && w < LINE_SOFT;
}

/* message_attachment_headers() with disposition disp and a Content-ID. */
static int
disposition_headers(struct buf *out, const char *type, const char *name,
    size_t n, const char *disp, const char *cid)
{
	/*
	 * Content-Type's name= in RFC 2047 words for readers without RFC
	 * 2231 (Outlook, webmail); Content-Disposition's filename only in
	 * RFC 2231, so that no reader sees the name twice in one header.
	 */
	/* A long type (.docx: 71 octets) on a line of its own, under 78. */
	if (buf_addf(out, "Content-Type:%s%s", strlen(type) + 15 > LINE_SOFT ?
	    "\r\n " : " ", type) == -1 ||
	    param_put(out, "name", name, n) == -1 ||
	    buf_addf(out, "\r\nContent-Disposition: %s", disp) == -1)
		return -1;
	if (name_short("filename", name, n) ?
	    param_put(out, "filename", name, n) == -1 :
	    param_2231(out, "filename", name, n) == -1)
		return -1;
	if (cid != NULL && buf_addf(out, "\r\nContent-ID: <%s>", cid) == -1)
		return -1;
	return buf_adds(out, "\r\nContent-Transfer-Encoding: base64\r\n");
}

int
message_attachment_headers(struct buf *out, const char *type,
    const char *name, size_t n)
{
	return disposition_headers(out, type, name, n, "attachment", NULL);
}

/*
 * Content-Type from the template.
 */

static bool
ci_equal(const char *s, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(s, want, n) == 0;
}

/* Whether "name=value" s[0..n) is a parameter we accept for kind k. */
static bool
param_ok(const char *s, size_t n, enum message_body k)
{
	const char *eq = memchr(s, '=', n);
	const char *v;
	size_t nl, vl;

	if (eq == NULL) {
		nl = n;
		trim(&s, &nl);
		return nl == 0;
	}
	nl = (size_t)(eq - s), v = eq + 1, vl = n - nl - 1;
	trim(&s, &nl);
	trim(&v, &vl);
	if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"')
		v++, vl -= 2;
	if (ci_equal(s, nl, "charset"))
		return ci_equal(v, vl, "utf-8");
	return k == MESSAGE_MARKDOWN && ci_equal(s, nl, "variant") &&
	    ci_equal(v, vl, "commonmark");
}

int
message_body_kind(const char *v, size_t n, enum message_body *k,
    struct err *e)
{
	static const struct {
		const char	*type;
		enum message_body kind;
	} kinds[] = {
		{ "text/plain", MESSAGE_TEXT },
		{ "text/markdown", MESSAGE_MARKDOWN },
		{ "text/html", MESSAGE_HTML },
	};
	const char *s = v;
	size_t i, len, end = find_top(v, n, ';'), next;
	char q[QUOTE_MAX + 4];
	bool ok;

	len = end;
	trim(&s, &len);
	for (i = 0; i < nitems(kinds); i++)
		if (ci_equal(s, len, kinds[i].type))
			break;
	ok = i < nitems(kinds);
	*k = ok ? kinds[i].kind : MESSAGE_TEXT;
	while (ok && end < n) {
		next = end + 1 + find_top(v + end + 1, n - end - 1, ';');
		ok = param_ok(v + end + 1, next - end - 1, *k);
		end = next;
	}
	if (ok)
		return 0;
	err_set(e, E_INPUT, "Content-Type", "'%s' is not a body mailmerge "
	    "makes: expected text/plain, text/markdown or text/html (UTF-8); "
	    "the MIME structure is generated", quote(q, sizeof(q), v, n));
	return -1;
}

/*
 * The interface.
 */

bool
message_header_is_address(const char *name)
{
	enum hkind k = hdef_find(name)->kind;

	return k == H_FROM || k == H_ONE || k == H_ADDR || k == H_RCPT ||
	    k == H_BCC;
}

static void
message_reset(struct message *m)
{
	buf_reset(&m->text);
	buf_reset(&m->rcpt);
	m->nrcpt = 0;
	m->from[0] = '\0';
	m->msgid[0] = '\0';
	m->eightbit = false;
	m->utf8_addr = false;
	m->counted = 0;
}

void
message_init(struct message *m)
{
	size_t i;

	buf_init(&m->text, MESSAGE_MAX);
	buf_init(&m->rcpt, RCPT_CAP);
	buf_init(&m->plain, PLAIN_CAP);
	buf_init(&m->cmap, PLAIN_CAP * sizeof(uint32_t));
	for (i = 0; i < MESSAGE_SEEN; i++) {
		buf_init(&m->seen[i].key, 2 * PLAIN_CAP);
		buf_init(&m->seen[i].boxes, PLAIN_CAP);
		m->seen[i].used = 0;
	}
	m->seen_clock = 0;
	m->date_ok = false;
	message_reset(m);
}

void
message_fini(struct message *m)
{
	size_t i;

	buf_fini(&m->text);
	buf_fini(&m->rcpt);
	buf_fini(&m->plain);
	buf_fini(&m->cmap);
	for (i = 0; i < MESSAGE_SEEN; i++) {
		buf_fini(&m->seen[i].key);
		buf_fini(&m->seen[i].boxes);
	}
}

/*
 * A message over MESSAGE_MAX (found here only for what was counted,
 * not written), or one with attachments over MESSAGE_MIXED_MAX.
 */
static int
too_big(const struct build *b, struct err *e)
{
	size_t n = b->m->text.len + b->m->counted;

	if (n > MESSAGE_MAX) {
		err_set(e, E_INPUT, "message", "the message is larger than "
		    "%d MB", MESSAGE_MAX >> 20);
		return -1;
	}
	if (b->p->natt + b->p->nimg == 0 || n <= MESSAGE_MIXED_MAX)
		return 0;
	err_set(e, E_INPUT, "Attachment", "the message with its attachments "
	    "is %zu octets (%.1f MB), over the limit of %d MB: attach fewer "
	    "or smaller files", n, n / 1e6, MESSAGE_MIXED_MAX / 1000000);
	return -1;
}

int
message_build(struct message *m, const struct message_params *p,
    struct err *e)
{
	struct build b = { .m = m, .p = p, .e = e };
	struct parts pt;

	message_reset(m);
	err_clear(e);
	if (headers_check(&b) == -1 || rcpts_collect(&b) == -1 ||
	    headers_put(&b) == -1 || date_make(m, p->date, e) == -1 ||
	    msgid_make(m, p->msgid_left, e) == -1 ||
	    parts_check(p, &pt, e) == -1)
		goto fail;
	if (generated_put(&b) == -1 || content_put(&b, &pt) == -1)
		goto fail;
	if (too_big(&b, e) == -1)
		goto fail;
	return 0;
fail:
	if (e != NULL && e->kind == E_NONE)
		err_set(e, E_INPUT, "message", "the message is larger than "
		    "%d MB", MESSAGE_MAX >> 20);
	message_reset(m);
	return -1;
}

const char *
message_rcpt(const struct message *m, size_t i)
{
	const char *r = m->rcpt.data;

	if (i >= m->nrcpt)
		return NULL;
	while (i-- > 0)
		r += strlen(r) + 1;
	return r;
}
