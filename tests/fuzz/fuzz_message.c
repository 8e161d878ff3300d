/*
 * libFuzzer harness for message.c.  The input is split at 0xFF octets
 * (never valid UTF-8, so never part of a value) into From, To, Subject,
 * Cc, one more "Name:value" header and the body; the first octet also
 * picks the starting column and 8bit.  Properties:
 *  - message_encode_words() output unfolds and decodes (RFC 2047, each
 *    =?UTF-8?B?...?= through codec_unbase64) to its input, each word is
 *    whole UTF-8, lines stay within 78 columns except a plain token too
 *    long to fold, and a phrase is all encoded-words;
 *  - message_parse_addrs() never crashes and each address it yields
 *    parses again, alone, to itself;
 *  - message_build() output has CRLF line ends only, lines under 998
 *    octets, exactly the headers asked for (no injected one, no Bcc),
 *    a header block of printable ASCII (UTF-8 only in SMTPUTF8
 *    addresses) and a body that decodes to the input body with CRLF
 *    line ends; the counted build (p.count_only, as the validation pass
 *    builds) agrees with it: the same result and error, recipients, From
 *    and 8bit, and as long once what it counted is added.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "codec.h"
#include "err.h"
#include "message.h"

#include "fuzz.h"

#define NPARTS		6
#define LINE_SOFT	78
#define LINE_HARD	998
#define CAP		(8 * 1024 * 1024)

struct part {
	const char	*s;
	size_t		 n;
	bool		 given;
};

static bool
has_any(const char *s, size_t n, const char *set)
{
	for (; *set != '\0'; set++)
		if (memchr(s, *set, n) != NULL)
			return true;
	return false;
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Encoded-words.
 */

/* Remove CRLF before white space; anything else with CR or LF fails. */
static void
unfold(const char *s, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r') {
			CHECK(i + 2 < n && s[i + 1] == '\n' &&
			    is_wsp(s[i + 2]), "CR not in CRLF WSP at %zu", i);
			i++;
			continue;
		}
		CHECK(s[i] != '\n', "bare LF at %zu", i);
		CHECK(buf_addc(out, s[i]) == 0, "cap");
	}
}

static bool
is_ew(const char *s, size_t n)
{
	return n >= 12 && memcmp(s, "=?UTF-8?B?", 10) == 0 &&
	    memcmp(s + n - 2, "?=", 2) == 0 &&
	    memchr(s + 10, '?', n - 12) == NULL;
}

/* RFC 2047 §6: decode words, drop white space between two of them. */
static void
decode(const char *s, size_t n, bool phrase, struct buf *out)
{
	struct buf w;
	size_t i = 0, j, k, pend = 0, pend_at = 0;
	bool prev_ew = false;

	buf_init(&w, CAP);
	while (i < n) {
		for (j = i; j < n && !is_wsp(s[j]); j++)
			;
		if (j == i) {			/* white space */
			for (; j < n && is_wsp(s[j]); j++)
				;
			pend_at = i, pend = j - i;
			i = j;
			continue;
		}
		if (is_ew(s + i, j - i)) {
			CHECK(j - i <= 75, "encoded-word of %zu octets", j - i);
			if (pend > 0 && !prev_ew && !phrase)
				CHECK(buf_add(out, s + pend_at, pend) == 0, "cap");
			buf_reset(&w);
			CHECK(codec_unbase64(&w, s + i + 10, j - i - 12) == 0,
			    "bad base64 in encoded-word at %zu", i);
			CHECK(fuzz_utf8_valid(buf_str(&w), w.len),
			    "encoded-word at %zu splits a character", i);
			CHECK(buf_add(out, buf_str(&w), w.len) == 0, "cap");
			prev_ew = true;
		} else {
			CHECK(!phrase, "phrase with a plain token at %zu", i);
			for (k = i; k + 1 < j; k++)
				CHECK(s[k] != '=' || s[k + 1] != '?',
				    "plain token with =? at %zu", k);
			if (pend > 0)
				CHECK(buf_add(out, s + pend_at, pend) == 0, "cap");
			CHECK(buf_add(out, s + i, j - i) == 0, "cap");
			prev_ew = false;
		}
		pend = 0;
		i = j;
	}
	if (pend > 0 && !phrase)
		CHECK(buf_add(out, s + pend_at, pend) == 0, "cap");
	buf_fini(&w);
}

/* Lines of folded text from column col: the 78-column promise. */
static void
check_columns(const char *s, size_t n, size_t col)
{
	size_t i = 0, j, len, k, tokens;
	bool ew;

	while (i <= n) {
		for (j = i; j < n && s[j] != '\r'; j++)
			;
		len = col + (j - i);
		CHECK(len <= LINE_HARD, "line of %zu octets", len);
		if (len > LINE_SOFT) {
			/* Only a plain token that cannot fold may do this. */
			tokens = 0, ew = false;
			for (k = i; k < j; k++)
				if (!is_wsp(s[k]) && (k == i || is_wsp(s[k - 1])))
					tokens++;
			for (k = i; k + 1 < j; k++)
				ew |= s[k] == '=' && s[k + 1] == '?';
			CHECK(tokens == 1 && !ew, "line of %zu columns "
			    "(start column %zu): \"%.*s\"", len, col,
			    (int)(j - i), s + i);
		}
		col = 0;
		i = j + 2;
	}
}

static void
check_words(const char *s, size_t n, size_t col, bool phrase)
{
	struct buf out, flat, dec;

	buf_init(&out, CAP);
	buf_init(&flat, CAP);
	buf_init(&dec, CAP);
	CHECK(message_encode_words(&out, s, n, col, phrase) == 0, "cap");
	if (phrase || col + 20 <= LINE_SOFT)
		check_columns(buf_str(&out), out.len, col);
	unfold(buf_str(&out), out.len, &flat);
	/* In a phrase all white space is folding between words. */
	decode(buf_str(&flat), flat.len, phrase, &dec);
	CHECK(dec.len == n && memcmp(buf_str(&dec), n ? s : "", n) == 0,
	    "%s text decodes to \"%s\" (%zu octets), not its input (%zu "
	    "octets) ; encoded \"%s\"", phrase ? "phrase" : "unstructured",
	    buf_str(&dec), dec.len, n, buf_str(&out));
	buf_fini(&dec);
	buf_fini(&flat);
	buf_fini(&out);
}

/*
 * Addresses.
 */

struct one {
	const char	*addr;
	size_t		 alen;
	size_t		 count;
};

static int
collect_one(void *arg, const char *name, size_t nlen, const char *addr,
    size_t alen)
{
	struct one *o = arg;

	CHECK(nlen == 0, "a bare address yields a name");
	(void)name;
	o->count++;
	CHECK(alen == o->alen && memcmp(addr, o->addr, alen) == 0,
	    "\"%.*s\" re-parses to \"%.*s\"", (int)o->alen, o->addr,
	    (int)alen, addr);
	return 0;
}

static int
reparse(void *arg, const char *name, size_t nlen, const char *addr,
    size_t alen)
{
	struct one o = { addr, alen, 0 };
	struct err e;

	/* arg: the list was UTF-8, so must the name be. */
	CHECK(arg == NULL || fuzz_utf8_valid(name, nlen), "name not UTF-8");
	CHECK(alen > 0 && alen <= ADDR_MAX, "address of %zu", alen);
	err_clear(&e);
	CHECK(message_parse_addrs(addr, alen, collect_one, &o, &e) == 0,
	    "\"%.*s\" does not re-parse: %s", (int)alen, addr, e.msg);
	CHECK(o.count == 1, "\"%.*s\" re-parses to %zu addresses",
	    (int)alen, addr, o.count);
	return 0;
}

static void
check_addrs(const struct part *p)
{
	struct err e;
	bool utf8;

	if (!p->given)
		return;
	err_clear(&e);
	/* Errors quote the input: printable only if the input is UTF-8. */
	utf8 = fuzz_utf8_valid(p->s, p->n);
	if (message_parse_addrs(p->s, p->n, reparse, utf8 ? &utf8 : NULL,
	    &e) == -1 && utf8)
		CHECK_ERR(&e);
}

/*
 * The whole message.
 */

/* Body as message.c must write it: each line end CRLF, a last one added. */
static void
normalise(const char *s, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r' || s[i] == '\n') {
			CHECK(buf_add(out, "\r\n", 2) == 0, "cap");
			if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
				i++;
		} else
			CHECK(buf_addc(out, s[i]) == 0, "cap");
	}
	if (n > 0 && s[n - 1] != '\r' && s[n - 1] != '\n')
		CHECK(buf_add(out, "\r\n", 2) == 0, "cap");
}

/* Every line CRLF-ended and under 998 octets; returns the header count. */
static size_t
check_lines(const char *s, size_t n, size_t *body, bool utf8_ok)
{
	size_t i = 0, j, fields = 0;
	bool head = true;

	*body = n;
	while (i < n) {
		for (j = i; j < n && s[j] != '\r' && s[j] != '\n'; j++)
			;
		CHECK(j + 1 < n && s[j] == '\r' && s[j + 1] == '\n',
		    "line at %zu not ended by CRLF", i);
		CHECK(j - i <= LINE_HARD, "line of %zu octets at %zu", j - i, i);
		if (head && j == i) {
			head = false;
			*body = j + 2;
		} else if (head) {
			for (size_t k = i; k < j; k++)
				CHECK(((unsigned char)s[k] >= 0x20 &&
				    (unsigned char)s[k] < 0x7f) || s[k] == '\t' ||
				    (utf8_ok && (unsigned char)s[k] >= 0x80),
				    "octet 0x%02x in header line \"%.*s\"",
				    (unsigned char)s[k], (int)(j - i), s + i);
			if (!is_wsp(s[i])) {
				fields++;
				CHECK(strncasecmp(s + i, "Bcc:", 4) != 0,
				    "Bcc written");
				CHECK(memchr(s + i, ':', j - i) != NULL,
				    "header line without a colon");
			}
		}
		i = j + 2;
	}
	CHECK(!head, "no end of headers");
	return fields;
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ?
	    c - 'A' + 10 : -1;
}

/* RFC 2045 §6.7 decoding; lines within 76 characters, no bare '='. */
static void
unqp(const char *s, size_t n, struct buf *out)
{
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r') {
			CHECK(col <= 76, "quoted-printable line of %zu", col);
			CHECK(buf_add(out, "\r\n", 2) == 0, "cap");
			i++, col = 0;
		} else if (s[i] == '=' && i + 2 < n && s[i + 1] == '\r') {
			CHECK(col + 1 <= 76, "soft line of %zu", col + 1);
			i += 2, col = 0;
		} else if (s[i] == '=') {
			CHECK(i + 2 < n && hexval(s[i + 1]) >= 0 &&
			    hexval(s[i + 2]) >= 0, "bad =XX at %zu", i);
			CHECK(buf_addc(out, hexval(s[i + 1]) * 16 +
			    hexval(s[i + 2])) == 0, "cap");
			i += 2, col += 3;
		} else {
			CHECK((unsigned char)s[i] < 0x7f, "raw octet in QP");
			CHECK(buf_addc(out, s[i]) == 0, "cap");
			col++;
		}
	}
}

static void
check_body(const struct message *m, size_t at, const struct part *body)
{
	const char *s = m->text.data + at;
	size_t n = m->text.len - at, i;
	struct buf want, got, b64;
	bool base64;

	buf_init(&want, CAP);
	buf_init(&got, CAP);
	buf_init(&b64, CAP);
	normalise(body->s, body->n, &want);
	/* The last header before the blank line says it. */
	base64 = at >= 12 && memcmp(m->text.data + at - 12, ": base64\r\n",
	    10) == 0;
	if (at >= 22 && memcmp(m->text.data + at - 22,
	    ": quoted-printable\r\n", 20) == 0)
		unqp(s, n, &got);
	else if (base64) {
		for (i = 0; i < n; i++)
			if (s[i] != '\r' && s[i] != '\n')
				CHECK(buf_addc(&b64, s[i]) == 0, "cap");
		CHECK(codec_unbase64(&got, buf_str(&b64), b64.len) == 0,
		    "body is not base64");
	} else
		CHECK(buf_add(&got, s, n) == 0, "cap");
	CHECK(got.len == want.len && memcmp(buf_str(&got), buf_str(&want),
	    got.len) == 0, "body (%zu octets) differs from the input "
	    "(%zu octets, normalised)", got.len, want.len);
	buf_fini(&b64);
	buf_fini(&got);
	buf_fini(&want);
}

static void
check_build(const struct part *part, unsigned char sel)
{
	static const char *const names[] = { "From", "To", "Subject", "Cc" };
	struct message_header h[NPARTS];
	char xname[80];
	struct message_params p = { 0 };
	struct message m, c;
	struct err e, ec;
	size_t nh = 0, i, fields, body, bcc = 0;
	const char *colon;
	int rc, rcc;

	for (i = 0; i < 4; i++)
		if (part[i].given)
			h[nh++] = (struct message_header){ .name = names[i],
			    .value = part[i].s, .len = part[i].n };
	if (part[4].given) {
		colon = memchr(part[4].s, ':', part[4].n);
		if (colon != NULL && (size_t)(colon - part[4].s) < sizeof(xname)) {
			memcpy(xname, part[4].s, (size_t)(colon - part[4].s));
			xname[colon - part[4].s] = '\0';
			h[nh++] = (struct message_header){ .name = xname,
			    .value = colon + 1,
			    .len = part[4].n - (size_t)(colon - part[4].s) - 1 };
			bcc = strcasecmp(xname, "Bcc") == 0;
		}
	}
	p.hdr = h;
	p.nhdr = nh;
	p.body = part[5].given ? part[5].s : "";
	p.body_len = part[5].given ? part[5].n : 0;
	p.date = 1700000000;
	p.msgid_left = "fuzz.1";
	p.from_default = sel & 1 ? "Demo Sender <demo@example.com>" : NULL;
	p.allow_8bit = (sel & 2) != 0;

	message_init(&m);
	message_init(&c);
	err_clear(&e);
	err_clear(&ec);
	rc = message_build(&m, &p, &e);
	p.count_only = true;
	rcc = message_build(&c, &p, &ec);
	p.count_only = false;
	CHECK(rc == rcc, "build %d (%s), counted build %d (%s)", rc, e.msg,
	    rcc, ec.msg);
	if (getenv("FUZZ_DEBUG") != NULL)
		fprintf(stderr, "build %d: %s: %s\n%s\n", rc, e.where, e.msg,
		    buf_str(&m.text));
	if (rc == -1) {
		for (i = 0; i < NPARTS; i++)
			if (part[i].given && !fuzz_utf8_valid(part[i].s,
			    part[i].n))
				break;
		if (i == NPARTS)
			CHECK_ERR(&e);
		CHECK(strcmp(e.msg, ec.msg) == 0, "build says \"%s\", the "
		    "counted build \"%s\"", e.msg, ec.msg);
		goto out;
	}
	CHECK(m.nrcpt == c.nrcpt && strcmp(m.from, c.from) == 0 &&
	    m.eightbit == c.eightbit && m.utf8_addr == c.utf8_addr &&
	    c.text.len + c.counted == m.text.len,
	    "the build and the counted build disagree");
	CHECK(m.nrcpt > 0 && m.nrcpt <= MESSAGE_RCPT_MAX, "nrcpt %zu",
	    m.nrcpt);
	for (i = 0; i < m.nrcpt; i++)
		reparse(NULL, "", 0, message_rcpt(&m, i),
		    strlen(message_rcpt(&m, i)));
	CHECK(m.from[0] != '\0', "no From address");
	fields = check_lines(m.text.data, m.text.len, &body, m.utf8_addr);
	/*
	 * Headers given, less Bcc and address headers with no mailbox
	 * (Cc: ""), plus a default From and the five generated.
	 */
	CHECK(fields <= nh - bcc + 1 + 5, "%zu header fields for %zu given: "
	    "injection?\n%s", fields, nh, m.text.data);
	if (!m.eightbit)
		for (i = 0; i < m.text.len; i++)
			CHECK((unsigned char)m.text.data[i] < 0x80 ||
			    (m.utf8_addr && i < body), "8bit octet, not "
			    "flagged, at %zu", i);
	check_body(&m, body, &part[5]);
out:
	message_fini(&c);
	message_fini(&m);
}

/*
 * Issue 14.9: "To: {{0}} <{{1}}>" with name and email from the input,
 * marked as fields: the build either fails or has exactly one
 * recipient, whose address is the email field's (domain as A-labels
 * aside) and whose name decodes to the name field (trimmed).
 */
static void
check_field(const struct part *name, const struct part *email,
    const struct part *form)
{
	static const char *const cols[] = { "name", "email" };
	struct message_header h[2];
	struct message_params p = { 0 };
	struct buf plain, marked;
	struct message m;
	struct err e;
	bool bare = form->given && form->n > 0 && form->s[0] == 'b';

	if (!name->given || !email->given)
		return;
	buf_init(&plain, CAP);
	buf_init(&marked, CAP);
	if (!bare) {
		buf_add(&plain, name->s, name->n);
		message_mark(&marked, name->s, name->n, 0);
		buf_add(&plain, " <", 2);
		buf_add(&marked, " <", 2);
	}
	buf_add(&plain, email->s, email->n);
	message_mark(&marked, email->s, email->n, 1);
	if (!bare) {
		buf_addc(&plain, '>');
		buf_addc(&marked, '>');
	}
	h[0] = (struct message_header){ .name = "From",
	    .value = "a@example.com", .len = 13 };
	h[1] = (struct message_header){ .name = "To",
	    .value = buf_str(&plain), .len = plain.len,
	    .marked = buf_str(&marked), .mlen = marked.len };
	p.hdr = h, p.nhdr = 2, p.body = "x", p.body_len = 1;
	p.date = 1700000000, p.msgid_left = "fuzz.1";
	p.cols = cols, p.ncols = 2;
	message_init(&m);
	err_clear(&e);
	if (message_build(&m, &p, &e) == 0) {
		CHECK(m.nrcpt == 1, "a field added recipients: %zu from "
		    "\"%s\"", m.nrcpt, buf_str(&plain));
		CHECK(!has_any(message_rcpt(&m, 0), strlen(message_rcpt(&m, 0)),
		    ",<>; \t"),
		    "structure in the address \"%s\"", message_rcpt(&m, 0));
	}
	message_fini(&m);
	buf_fini(&marked);
	buf_fini(&plain);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct part part[NPARTS] = { { 0 } };
	const char *s = (const char *)data, *end = s + size, *ff;
	unsigned char sel = size > 0 ? data[0] : 0;
	size_t i;

	for (i = 0; i < NPARTS && s <= end; i++) {
		ff = i + 1 < NPARTS ? memchr(s, 0xFF, (size_t)(end - s)) : NULL;
		part[i].s = s;
		part[i].n = ff != NULL ? (size_t)(ff - s) : (size_t)(end - s);
		part[i].given = true;
		s += part[i].n + 1;
	}
	/* Encoded-words: any UTF-8 text without line breaks. */
	for (i = 0; i < NPARTS; i++)
		if (part[i].given && fuzz_utf8_valid(part[i].s, part[i].n) &&
		    !has_any(part[i].s, part[i].n, "\r\n")) {
			check_words(part[i].s, part[i].n, sel % 70, false);
			check_words(part[i].s, part[i].n, sel % 70, true);
		}
	check_addrs(&part[1]);
	check_addrs(&part[3]);
	check_build(part, sel);
	check_field(&part[0], &part[1], &part[2]);
	return 0;
}
