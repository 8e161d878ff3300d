/*
 * The address rule (addr.c) and address headers with fields marked
 * (message.c): issue 14.5, 14.9, 14.10, 12.1, 12.2, 12.6.
 */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "err.h"
#include "message.h"
#include "tap.h"

static const char *const cols[] = { "name", "email", "cc" };

static const char *
sendable(const char *s, char out[ADDR_MAX + 1], bool *utf8)
{
	return addr_sendable(s, strlen(s), out, utf8);
}

static void
test_sendable(void)
{
	char out[ADDR_MAX + 1];
	bool utf8;

	ok(sendable("kim@example.com", out, &utf8) == NULL && !utf8,
	    "ascii address sendable");
	is_str(out, "kim@example.com", "ascii address unchanged");
	ok(sendable("prof@학교.한국", out, &utf8) == NULL && !utf8,
	    "IDN domain sendable, ASCII local part needs no SMTPUTF8");
	is_str(out, "prof@xn--9d0b527e.xn--3e0b707e", "IDN domain as A-labels");
	ok(sendable("사용자@example.com", out, &utf8) == NULL && utf8,
	    "non-ASCII local part needs SMTPUTF8");
	ok(sendable("\"x<y\"@example.com", out, &utf8) != NULL,
	    "'<' in a quoted local part refused (SMTP cannot carry it)");
	ok(addr_envelope_why("\"x<y\"@example.com", 17) != NULL,
	    "and the SMTP layer's rule refuses it too");
	ok(sendable("\"a\xe2\x80\xa8\x62\"@example.com", out, &utf8) != NULL,
	    "U+2028 in a quoted local part refused");
	ok(sendable("\"a\xc2\x85\x62\"@example.com", out, &utf8) != NULL,
	    "U+0085 in a quoted local part refused");
	ok(sendable("a@exa\xe2\x80\x8bmple.com", out, &utf8) != NULL,
	    "U+200B in a domain refused");
	ok(sendable("a@\xe3\x85\xa4.com", out, &utf8) != NULL,
	    "Hangul filler U+3164 refused");
	ok(sendable("a@xn--zz.com", out, &utf8) != NULL,
	    "invalid A-label refused");
	ok(sendable("a@\xe2\x98\x83\xe2\x80\x8d.com", out, &utf8) != NULL,
	    "ZWJ in a domain refused");
	ok(sendable("a@b\xc3\x9f.de", out, &utf8) == NULL,
	    "ß domain sendable (non-transitional)");
	is_str(out, "a@xn--b-qfa.de", "ß kept, not mapped to ss");
	ok(sendable("a@[192.0.2.1]", out, &utf8) == NULL, "address literal");
	ok(sendable("a@localhost", out, &utf8) != NULL, "no dot refused");
	ok(addr_envelope_why("vo0v0000", 8) == NULL,
	    "a bare id passes the envelope rule (envelope_sender = user)");
}

/* Collect "[name|addr]" for each mailbox. */
static int
collect(void *arg, const char *name, size_t nlen, const char *addr,
    size_t alen)
{
	buf_addf(arg, "[%.*s|%.*s]", (int)nlen, name, (int)alen, addr);
	return 0;
}

/* Build From + "To: tmpl" with {{k}} replaced by field k, marked. */
static int
build_to(struct message *m, const char *tmpl, const char *const *vals,
    struct err *e)
{
	struct buf plain, marked;
	struct message_header h[2];
	struct message_params p;
	const char *s;
	int rc;

	buf_init(&plain, 1 << 16);
	buf_init(&marked, 1 << 16);
	for (s = tmpl; *s != '\0'; s++) {
		if (s[0] == '{' && s[1] == '{') {
			buf_adds(&plain, vals[s[2] - '0']);
			message_mark(&marked, vals[s[2] - '0'],
			    strlen(vals[s[2] - '0']), (size_t)(s[2] - '0'));
			s += 4;
		} else {
			buf_addc(&plain, *s);
			buf_addc(&marked, *s);
		}
	}
	memset(h, 0, sizeof(h));
	h[0].name = "From", h[0].value = "Prof <prof@example.com>";
	h[0].len = strlen(h[0].value);
	h[1].name = "To", h[1].value = buf_str(&plain);
	h[1].len = plain.len;
	h[1].marked = buf_str(&marked), h[1].mlen = marked.len;
	memset(&p, 0, sizeof(p));
	p.hdr = h, p.nhdr = 2, p.body = "x\n", p.body_len = 2;
	p.date = 1700000000, p.msgid_left = "1.2";
	p.cols = cols, p.ncols = 3;
	rc = message_build(m, &p, e);
	buf_fini(&plain);
	buf_fini(&marked);
	return rc;
}

static void
test_fields(void)
{
	struct message m;
	struct err e;
	const char *v[3];

	message_init(&m);
	v[0] = "Eve <eve@evil.com>, Alice", v[1] = "alice@example.com";
	is_int(build_to(&m, "{{0}} <{{1}}>", v, &e), -1,
	    "14.9: a name holding an address is an error");
	like(e.msg, "column 'name'", "14.9: the error names the column");
	v[0] = "Bob", v[1] = "a@x.com>, <m@evil.com";
	is_int(build_to(&m, "{{0}} <{{1}}>", v, &e), -1,
	    "14.9: an email closing the brackets is an error");
	like(e.msg, "column 'email'", "14.9: names the email column");
	v[1] = "alice@example.com <bob@evil.com>";
	is_int(build_to(&m, "{{1}}", v, &e), -1,
	    "14.9: To: {{email}} holding a mailbox is an error");
	like(e.msg, "'<'", "14.9: says which character");
	v[1] = "a@example.com, m@evil.com";
	is_int(build_to(&m, "{{1}}", v, &e), -1,
	    "14.9: an email holding a comma is an error");
	v[1] = "kim@example.com";
	v[0] = "Kim, Minjun \"MJ\" (TA) @lab \\ x";
	is_int(build_to(&m, "{{0}} <{{1}}>", v, &e), 0,
	    "12.6: a name with , \" ( @ \\ builds");
	like(buf_str(&m.text), "To: \"Kim, Minjun \\\"MJ\\\" (TA) @lab \\\\ x\""
	    " <kim@example.com>\r\n", "12.6: the name is quoted");
	is_int(m.nrcpt, 1, "12.6: one recipient");
	is_int(build_to(&m, "\"{{0}}\" <{{1}}>", v, &e), 0,
	    "12.6: a field inside the template's quotes builds");
	like(buf_str(&m.text), "To: \"Kim, Minjun \\\"MJ\\\" (TA) @lab \\\\ x\""
	    " <kim@example.com>\r\n", "12.6: the same quoting");
	v[0] = "Prof. Lee; Dept: CS";
	is_int(build_to(&m, "{{0}} <{{1}}>", v, &e), 0,
	    "12.6: ';' and ':' in a name quoted");
	like(buf_str(&m.text), "To: \"Prof. Lee; Dept: CS\" <kim@example.com>",
	    "12.6: quoted");
	v[0] = "Kim", v[1] = "kim";
	is_int(build_to(&m, "{{0}} <{{1}}@example.com>", v, &e), 0,
	    "a field as the local part builds");
	message_fini(&m);
}

static void
test_header_forms(void)
{
	struct message m;
	struct message_header h[3];
	struct message_params p;
	struct buf b;
	struct err e;

	message_init(&m);
	memset(h, 0, sizeof(h));
	h[0].name = "From", h[0].value = "홍길동 <prof@학교.한국>";
	h[0].len = strlen(h[0].value);
	h[1].name = "Bcc", h[1].value = "a@example.com, b@예시.한국";
	h[1].len = strlen(h[1].value);
	memset(&p, 0, sizeof(p));
	p.hdr = h, p.nhdr = 2, p.body = "x\n", p.body_len = 2;
	p.date = 1700000000, p.msgid_left = "1.2";
	is_int(message_build(&m, &p, &e), 0, "Bcc only builds");
	like(buf_str(&m.text), "\r\nTo: undisclosed-recipients:;\r\n",
	    "12.2: Bcc only: To is the empty group");
	ok(strstr(buf_str(&m.text), "Bcc") == NULL, "12.2: Bcc not written");
	like(buf_str(&m.text), "<prof@xn--9d0b527e.xn--3e0b707e>\r\n",
	    "12.1: From's domain as A-labels");
	like(buf_str(&m.text), "Message-ID: <1.2@xn--9d0b527e.xn--3e0b707e>",
	    "12.1: Message-ID's domain as A-labels");
	is_str(message_rcpt(&m, 1), "b@xn--vv4b11d.xn--3e0b707e",
	    "12.1: envelope recipient as A-labels");
	ok(!m.utf8_addr, "12.1: no SMTPUTF8 needed");
	buf_init(&b, 4096);
	is_int(message_parse_addrs("\"x<y\"@example.com", 17, collect, &b,
	    &e), -1, "14.5: validation refuses what SMTP refuses");
	message_fini(&m);
	buf_fini(&b);
}

int
main(void)
{
	test_sendable();
	test_fields();
	test_header_forms();
	return tap_done();
}
