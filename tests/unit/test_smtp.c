/*
 * Unit tests of smtp's pure parts: the reply line parser, the reply
 * assembler (codes, enhanced codes, multi-line, caps, cleaning),
 * dot-stuffing with CRLF normalisation, and the same normalisation
 * without stuffing for BDAT.  The dialogue itself is tested against
 * tests/smtpd in test_pipeline.c and tests/cli.
 */
#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "conn.h"
#include "err.h"
#include "smtp.h"
#include "tap.h"

static int
parse(const char *line, int *code, bool *last, const char **text)
{
	return smtp_parse_line(line, strlen(line), code, last, text);
}

static void
test_parse_line(void)
{
	const char *text;
	int code = 0;
	bool last = false;

	is_int(parse("250 OK", &code, &last, &text), 0, "250 OK parses");
	is_int(code, 250, "code 250");
	ok(last, "space marks the last line");
	is_str(text, "OK", "text after the space");
	is_int(parse("250-PIPELINING", &code, &last, &text), 0,
	    "250-PIPELINING parses");
	ok(!last, "dash marks a continuation");
	is_str(text, "PIPELINING", "continuation text");
	is_int(parse("354", &code, &last, &text), 0, "code alone parses");
	ok(last && *text == '\0', "code alone is last, empty text");
	is_int(parse("599 x", &code, &last, &text), 0, "599 is accepted");
	is_int(parse("200 x", &code, &last, &text), 0, "200 is accepted");
	is_int(parse("abc def", &code, &last, &text), -1, "abc refused");
	is_int(parse("999 x", &code, &last, &text), -1, "999 refused");
	is_int(parse("199 x", &code, &last, &text), -1, "199 refused");
	is_int(parse("600 x", &code, &last, &text), -1, "600 refused");
	is_int(parse("20", &code, &last, &text), -1, "20 is too short");
	is_int(parse("", &code, &last, &text), -1, "empty line refused");
	is_int(parse("250x", &code, &last, &text), -1, "250x refused");
	is_int(parse("2a0 x", &code, &last, &text), -1, "2a0 refused");
	is_int(parse(" 250 x", &code, &last, &text), -1, "leading space");
}

/* Feed NUL-separated lines (ending with an empty one) into r. */
static int
feed(struct smtp_reply *r, const char *lines, struct err *e)
{
	size_t n = 0;
	bool done = false;

	for (; *lines != '\0' && !done; lines += strlen(lines) + 1)
		if (smtp_reply_feed(r, &n, lines, strlen(lines), &done,
		    e) == -1)
			return -1;
	return done ? 0 : -2;
}

static void
test_reply_feed(void)
{
	struct smtp_reply r;
	struct err e;

	is_int(feed(&r, "550 5.1.1 no such user\0", &e), 0, "one line");
	is_int(r.code, 550, "code");
	is_str(r.enh, "5.1.1", "enhanced code taken");
	is_str(r.text, "no such user", "text without codes");
	is_int(feed(&r, "550-5.7.1 first\0" "550-5.7.1 second\0"
	    "550 5.7.1 third\0", &e), 0, "three lines");
	is_str(r.text, "first second third", "lines joined, codes dropped");
	is_str(r.enh, "5.7.1", "one enhanced code");
	is_int(feed(&r, "250-a\0" "251 b\0", &e), -1, "mixed codes refused");
	is_int(e.kind, E_PROTO, "mixed codes: E_PROTO");
	is_int(feed(&r, "250 4.1.1 x\0", &e), 0, "class mismatch parses");
	is_str(r.enh, "", "class mismatch: no enhanced code");
	is_str(r.text, "4.1.1 x", "class mismatch: kept as text");
	feed(&r, "250 2.1234.0 x\0", &e);
	is_str(r.enh, "", "four-digit subject: no enhanced code");
	feed(&r, "250 2.0.0\0", &e);
	is_str(r.enh, "2.0.0", "enhanced code alone");
	is_str(r.text, "", "enhanced code alone: empty text");
	feed(&r, "250 2.0.0x y\0", &e);
	is_str(r.enh, "", "glued token is no enhanced code");
	feed(&r, "554 bad\x01\x1b[31m\xff\xc3\x28 \xea\xb0\x80\0", &e);
	is_str(r.text, "bad??[31m?" "?( \xea\xb0\x80",
	    "controls and bad UTF-8 become '?', good UTF-8 kept");
	feed(&r, "554 \xc2\x9b" "1m\0", &e);
	is_str(r.text, "??1m", "C1 control replaced");
}

static void
test_reply_limits(void)
{
	struct smtp_reply r;
	struct err e;
	char big[CONN_LINE_MAX + 8];
	size_t n = 0, i;
	bool done;
	int rv = 0;

	is_int(feed(&r, "25O x\0", &e), -1, "garbage line refused");
	like(e.msg, "malformed reply line", "garbage: message");
	for (i = 0; i < SMTP_REPLY_LINES_MAX + 1 && rv == 0; i++)
		rv = smtp_reply_feed(&r, &n, "250-x", 5, &done, &e);
	is_int(rv, -1, "too many lines refused");
	like(e.msg, "lines", "too many lines: message");
	memset(big, 'a', sizeof(big));
	memcpy(big, "250 ", 4);
	n = 0;
	is_int(smtp_reply_feed(&r, &n, big, sizeof(big), &done, &e), -1,
	    "over-long line refused");
}

static void
test_reply_truncate(void)
{
	char line[400];
	struct smtp_reply r;
	struct err e;
	size_t n = 0, i;
	bool done = false;

	/* 3-octet Hangul characters: a cut must not split one. */
	strcpy(line, "250-");
	for (i = 0; i < 100; i++)
		strcat(line, "\xea\xb0\x80");
	for (i = 0; i < 3; i++)
		smtp_reply_feed(&r, &n, line, strlen(line), &done, &e);
	ok(strlen(r.text) < SMTP_REPLY_MAX, "text capped");
	ok(strlen(r.text) > SMTP_REPLY_MAX - 8, "text filled");
	ok(((unsigned char)r.text[strlen(r.text) - 1] & 0xC0) == 0x80 &&
	    ((unsigned char)r.text[strlen(r.text) - 3] & 0xF0) == 0xE0,
	    "text ends on a whole character");
}

static void
stuff_is(const char *in, const char *want, size_t want_lines,
    const char *name)
{
	struct buf b;
	size_t lines = 99;

	buf_init(&b, 1 << 16);
	is_int(smtp_dotstuff(&b, in, strlen(in), &lines), 0, "%s: ok", name);
	is_str(buf_str(&b), want, "%s", name);
	is_int(lines, want_lines, "%s: lines", name);
	buf_fini(&b);
}

static void
test_dotstuff(void)
{
	struct buf b;

	stuff_is("a\r\nb\r\n", "a\r\nb\r\n", 2, "plain CRLF unchanged");
	stuff_is(".a\r\n", "..a\r\n", 1, "leading dot doubled");
	stuff_is("..\r\n", "...\r\n", 1, "two dots become three");
	stuff_is("a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n", 3,
	    "lone dot line stuffed");
	stuff_is("a\r\n.\r\n", "a\r\n..\r\n", 2, "final lone dot stuffed");
	stuff_is("a.b\r\n x.\r\n", "a.b\r\n x.\r\n", 2,
	    "inner dots untouched");
	stuff_is("a\nb\n", "a\r\nb\r\n", 2, "lone LF becomes CRLF");
	stuff_is("a\rb\r", "a\r\nb\r\n", 2, "lone CR becomes CRLF");
	stuff_is("a\r\r\nb", "a\r\n\r\nb\r\n", 3, "CR CR LF");
	stuff_is("a\n.\nb", "a\r\n..\r\nb\r\n", 3,
	    "LF dot LF (smuggling) stuffed and normalised");
	stuff_is("a\r.\rb", "a\r\n..\r\nb\r\n", 3, "CR dot CR stuffed");
	stuff_is("a\n\r.\r\n", "a\r\n\r\n..\r\n", 3, "LF CR dot CRLF");
	stuff_is("no newline", "no newline\r\n", 1, "final CRLF added");
	stuff_is("", "", 0, "empty stays empty");
	stuff_is(".", "..\r\n", 1, "dot alone");
	stuff_is("\n", "\r\n", 1, "LF alone");
	stuff_is("x\r\n\r\n.\r\n", "x\r\n\r\n..\r\n", 3,
	    "CRLF.CRLF inside the body stuffed");
	buf_init(&b, 4);
	is_int(smtp_dotstuff(&b, "abcdef\r\n", 8, NULL), -1, "cap reached");
	buf_fini(&b);
}

static void
crlf_is(const char *in, const char *want, size_t want_lines,
    const char *name)
{
	struct buf b;
	size_t lines = 99;

	buf_init(&b, 1 << 16);
	is_int(smtp_crlf(&b, in, strlen(in), &lines), 0, "%s: ok", name);
	is_str(buf_str(&b), want, "%s", name);
	is_int(lines, want_lines, "%s: lines", name);
	buf_fini(&b);
}

/* RFC 3030 §2: BDAT data is not dot-stuffed, but still CRLF only. */
static void
test_crlf(void)
{
	struct buf b;

	crlf_is(".a\r\n..b\r\n.\r\n", ".a\r\n..b\r\n.\r\n", 3,
	    "BDAT: leading dots kept as they are");
	crlf_is("a\n.\nb", "a\r\n.\r\nb\r\n", 3,
	    "BDAT: LF dot LF normalised, not stuffed");
	crlf_is("a\rb\r\r\n", "a\r\nb\r\n\r\n", 3, "BDAT: lone CRs");
	crlf_is("no newline", "no newline\r\n", 1, "BDAT: final CRLF added");
	crlf_is("", "", 0, "BDAT: empty stays empty");
	buf_init(&b, 4);
	is_int(smtp_crlf(&b, "abcdef\r\n", 8, NULL), -1, "BDAT: cap reached");
	buf_fini(&b);
}

static void
test_names(void)
{
	is_str(smtp_stage_name(SMTP_STAGE_MAIL), "MAIL", "stage MAIL");
	is_str(smtp_stage_name(SMTP_STAGE_EOM), "EOM", "stage EOM");
	is_str(smtp_stage_name((enum smtp_stage)99), "?", "stage unknown");
}

int
main(void)
{
	test_parse_line();
	test_reply_feed();
	test_reply_limits();
	test_reply_truncate();
	test_dotstuff();
	test_crlf();
	test_names();
	return tap_done();
}
