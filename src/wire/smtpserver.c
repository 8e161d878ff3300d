/*
 * The server side of SMTP (RFC 5321 §4.1) as a parser of command lines
 * for the relay.  It is strict where leniency would let a client smuggle
 * something through (line length, control octets, the address inside
 * its angle brackets, unknown parameters) and lenient only where real
 * clients differ harmlessly (case of verbs and keywords, one blank
 * after "FROM:", which Outlook and older scripts send).  Replies are
 * rows of a table so that a refusal always carries its RFC 3463 code.
 * DATA content is checked here too, chunk by chunk as it is read: only
 * CRLF ends a line, so a bare LF or CR (SMTP smuggling, CVE-2023-51764)
 * refuses the message and "." after one ends nothing.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "nitems.h"
#include "smtpserver.h"
#include "utf8.h"


static const struct {
	const char		*name;
	enum smtpserver_verb	 verb;
	bool			 takes_arg;	/* 501 without an argument */
	bool			 no_arg;	/* 501 with one */
} verbs[] = {
	{ "EHLO", SMTPSERVER_EHLO, true, false },
	{ "HELO", SMTPSERVER_HELO, true, false },
	{ "STARTTLS", SMTPSERVER_STARTTLS, false, true },
	{ "AUTH", SMTPSERVER_AUTH, true, false },
	{ "MAIL", SMTPSERVER_MAIL, true, false },
	{ "RCPT", SMTPSERVER_RCPT, true, false },
	{ "DATA", SMTPSERVER_DATA, false, true },
	{ "RSET", SMTPSERVER_RSET, false, true },
	{ "NOOP", SMTPSERVER_NOOP, false, false },
	{ "QUIT", SMTPSERVER_QUIT, false, true },
	{ "VRFY", SMTPSERVER_VRFY, false, false },
	{ "EXPN", SMTPSERVER_VRFY, false, false },
	{ "HELP", SMTPSERVER_VRFY, false, false },
};

static const struct smtpserver_reply
    r_long = { 500, "5.5.2", "line too long (RFC 5321 §4.5.3.1.4: 512 "
	"octets)" },
    r_ctl = { 500, "5.5.2", "control character or bad UTF-8 in command" },
    r_verb = { 500, "5.5.1", "command not recognized" },
    r_arg = { 501, "5.5.4", "syntax error in parameters" },
    r_noarg = { 501, "5.5.4", "this command takes no parameters" },
    r_path = { 501, "5.1.7", "expected FROM:<address> or TO:<address>" },
    r_addr = { 553, "5.1.3", "bad address: control character, <, > or "
	"over 254 octets" },
    r_param = { 555, "5.5.4", "unknown MAIL or RCPT parameter" },
    r_size = { 501, "5.5.4", "bad SIZE= value" };

const char *
smtpserver_verb_name(enum smtpserver_verb v)
{
	size_t i;

	for (i = 0; i < nitems(verbs); i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "?";
}

/* Printable ASCII or valid UTF-8, no controls; *utf8 if any non-ASCII. */
static bool
is_text(const char *s, size_t n, bool *utf8)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k;

	*utf8 = false;
	for (i = 0; i < n; i += k) {
		k = utf8_len(u + i, n - i);
		if (k == 0 || u[i] < 0x20 || u[i] == 0x7f)
			return false;
		/* C1 controls steer terminals that show the trace. */
		if (k == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0)
			return false;
		if (k > 1)
			*utf8 = true;
	}
	return true;
}

static int
refuse(struct smtpserver_reply *r, const struct smtpserver_reply *why)
{
	*r = *why;
	return -1;
}

/* Copy the word at *p (up to a blank) into out: its length, or -1. */
static int
word(const char **p, const char *end, char *out, size_t size)
{
	const char *s = *p;
	size_t n;

	while (*p < end && **p != ' ')
		(*p)++;
	n = (size_t)(*p - s);
	if (n == 0 || n >= size)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	while (*p < end && **p == ' ')
		(*p)++;
	return (int)n;
}

/* "SIZE=n": a decimal without sign, at most 20 digits. */
static int
parse_size(const char *v, size_t *size)
{
	uint64_t n = 0;

	if (*v == '\0' || strlen(v) > 19)
		return -1;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9')
			return -1;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	*size = n > SIZE_MAX ? SIZE_MAX : (size_t)n;
	return 0;
}

/* One ESMTP parameter of MAIL (RFC 1870, 6152, 6531). */
static int
mail_param(const char *w, struct smtpserver_cmd *c,
    struct smtpserver_reply *r)
{
	if (strncasecmp(w, "SIZE=", 5) == 0)
		return parse_size(w + 5, &c->size) == 0 ? 0 :
		    refuse(r, &r_size);
	if (strcasecmp(w, "BODY=8BITMIME") == 0) {
		c->eightbit = true;
		return 0;
	}
	if (strcasecmp(w, "BODY=7BIT") == 0)
		return 0;
	if (strcasecmp(w, "SMTPUTF8") == 0) {
		c->smtputf8 = true;
		return 0;
	}
	return refuse(r, &r_param);
}

/* "FROM:<a> params" or "TO:<a>" after the verb. */
static int
parse_path(const char *p, const char *end, const char *key,
    struct smtpserver_cmd *c, struct smtpserver_reply *r)
{
	size_t k = strlen(key), n;
	const char *close;
	char w[SMTPSERVER_CMD_MAX];

	if ((size_t)(end - p) < k || strncasecmp(p, key, k) != 0)
		return refuse(r, &r_path);
	p += k;
	if (p < end && *p == ' ')
		p++;
	if (p == end || *p != '<')
		return refuse(r, &r_path);
	close = memchr(p, '>', (size_t)(end - p));
	if (close == NULL)
		return refuse(r, &r_path);
	n = (size_t)(close - p - 1);
	if (n + 1 > SMTPSERVER_PATH_MAX - 2 || memchr(p + 1, '<', n) != NULL)
		return refuse(r, &r_addr);
	memcpy(c->arg, p + 1, n);
	c->arg[n] = '\0';
	p = close + 1;
	if (p < end && *p != ' ')
		return refuse(r, &r_path);
	while (p < end && *p == ' ')
		p++;
	while (p < end) {
		if (c->verb == SMTPSERVER_RCPT)
			return refuse(r, &r_param);
		if (word(&p, end, w, sizeof(w)) == -1 ||
		    mail_param(w, c, r) == -1)
			return r->code ? -1 : refuse(r, &r_param);
	}
	return 0;
}

/* AUTH mechanism [initial-response]. */
static int
parse_auth(const char *p, const char *end, struct smtpserver_cmd *c,
    struct smtpserver_reply *r)
{
	if (word(&p, end, c->arg, 32) == -1)
		return refuse(r, &r_arg);
	if (p == end)
		return 0;
	if (word(&p, end, c->initial, sizeof(c->initial)) == -1 || p != end)
		return refuse(r, &r_arg);
	c->has_initial = true;
	return 0;
}

static int
parse_args(const char *p, const char *end, struct smtpserver_cmd *c,
    struct smtpserver_reply *r)
{
	switch (c->verb) {
	case SMTPSERVER_MAIL:
		return parse_path(p, end, "FROM:", c, r);
	case SMTPSERVER_RCPT:
		if (parse_path(p, end, "TO:", c, r) == -1)
			return -1;
		return c->arg[0] == '\0' ? refuse(r, &r_path) : 0;
	case SMTPSERVER_AUTH:
		return parse_auth(p, end, c, r);
	case SMTPSERVER_EHLO:
	case SMTPSERVER_HELO:
		if (word(&p, end, c->arg, sizeof(c->arg)) == -1)
			return refuse(r, &r_arg);
		return 0;
	default:
		return 0;
	}
}

int
smtpserver_parse(const char *line, size_t len, struct smtpserver_cmd *c,
    struct smtpserver_reply *r)
{
	const char *p = line, *end = line + len;
	char v[16];
	size_t i;

	memset(c, 0, sizeof(*c));
	memset(r, 0, sizeof(*r));
	if (len + 2 > SMTPSERVER_CMD_MAX)
		return refuse(r, &r_long);
	if (!is_text(line, len, &c->utf8))
		return refuse(r, &r_ctl);
	if (word(&p, end, v, sizeof(v)) == -1)
		return refuse(r, &r_verb);
	for (i = 0; i < nitems(verbs); i++)
		if (strcasecmp(v, verbs[i].name) == 0)
			break;
	if (i == nitems(verbs))
		return refuse(r, &r_verb);
	c->verb = verbs[i].verb;
	if (verbs[i].takes_arg && p == end)
		return refuse(r, &r_arg);
	if (verbs[i].no_arg && p != end)
		return refuse(r, &r_noarg);
	if (parse_args(p, end, c, r) == -1)
		return -1;
	c->utf8 = false;
	for (i = 0; c->arg[i] != '\0'; i++)
		if ((unsigned char)c->arg[i] >= 0x80)
			c->utf8 = true;
	return 0;
}

void
smtpserver_data_init(struct smtpserver_data *d)
{
	memset(d, 0, sizeof(*d));
	d->bol = true;
}

/* The first bare LF, bare CR or NUL of a chunk, or NULL. */
static const char *
data_bad(const struct smtpserver_data *d, const char *p, size_t n)
{
	size_t i;

	/* A CR that ended the last chunk needs this one's LF. */
	if (d->cr && (n == 0 || p[0] != '\n'))
		return "a bare CR (SMTP smuggling, RFC 5321 §2.3.8)";
	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && !(i > 0 ? p[i - 1] == '\r' : d->cr))
			return "a bare LF (SMTP smuggling, RFC 5321 §2.3.8)";
		if (p[i] == '\r' && i + 1 < n && p[i + 1] != '\n')
			return "a bare CR (SMTP smuggling, RFC 5321 §2.3.8)";
		if (p[i] == '\0')
			return "a NUL octet";
	}
	return NULL;
}

int
smtpserver_data_feed(struct smtpserver_data *d, const char *p, size_t n,
    struct buf *out)
{
	size_t skip = 0;

	if (d->bol && n == 3 && memcmp(p, ".\r\n", 3) == 0)
		return 1;
	if (d->bad == NULL)
		d->bad = data_bad(d, p, n);
	/* RFC 5321 §4.5.2: a leading dot was doubled by the client. */
	if (d->bol && n > 0 && p[0] == '.')
		skip = 1;
	d->cr = n > 0 && p[n - 1] == '\r';
	d->linelen += n;
	d->bol = n > 0 && p[n - 1] == '\n';
	if (d->bol) {
		if (d->linelen > SMTPSERVER_TEXT_MAX && d->bad == NULL)
			d->bad = "a line over 1000 octets (RFC 5321 "
			    "§4.5.3.1.6)";
		d->linelen = 0;
	}
	if (!d->big && buf_add(out, p + skip, n - skip) == -1)
		d->big = true;
	return 0;
}

bool
smtpserver_same(const char *a, size_t an, const char *b, size_t bn)
{
	volatile unsigned char d = an != bn;
	size_t i;

	/* Every octet of the client's input is compared: no early exit. */
	for (i = 0; i < an; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)(bn ? b[i % bn] : 0);
	return d == 0;
}

bool
smtpserver_plain_ok(const char *resp, size_t n, const char *user,
    const char *password)
{
	const char *id, *pw, *nul;
	size_t idn;
	bool ok;

	/* RFC 4616 §2: [authzid] NUL authcid NUL passwd. */
	nul = memchr(resp, '\0', n);
	if (nul == NULL)
		return false;
	id = nul + 1;
	nul = memchr(id, '\0', n - (size_t)(id - resp));
	if (nul == NULL)
		return false;
	idn = (size_t)(nul - id);
	pw = nul + 1;
	ok = smtpserver_same(id, idn, user, strlen(user));
	ok &= smtpserver_same(pw, n - (size_t)(pw - resp), password,
	    strlen(password));
	/* An authzid other than the user would act as someone else. */
	ok &= resp[0] == '\0' || smtpserver_same(resp, strlen(resp), user,
	    strlen(user));
	return ok;
}
