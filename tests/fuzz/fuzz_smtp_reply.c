/*
 * libFuzzer harness for smtp.c's reply parser: the input is split into
 * lines at LF (a CR before it is dropped, as conn_readline() does) and
 * each line goes through smtp_parse_line() and smtp_reply_feed().
 * Properties: an accepted code is 200..599 and *text points into the
 * line; a finished reply has that code, an RFC 3463 code of the same
 * class or none, and NUL-terminated, valid UTF-8 text with no control
 * characters (C0, DEL, C1); an error is E_PROTO and printable.
 */
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "smtp.h"

#include "fuzz.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void
check_enh(const struct smtp_reply *r)
{
	const char *s = r->enh;
	size_t i = 2, part, d;

	CHECK(memchr(r->enh, '\0', sizeof(r->enh)) != NULL, "enh not ended");
	if (s[0] == '\0')
		return;
	CHECK(s[0] == '0' + r->code / 100 && s[1] == '.',
	    "enh \"%s\" for %d", s, r->code);
	for (part = 0; part < 2; part++) {
		for (d = 0; is_digit(s[i]); i++)
			d++;
		CHECK(d >= 1 && d <= 3, "enh \"%s\"", s);
		if (part == 0)
			CHECK(s[i++] == '.', "enh \"%s\"", s);
	}
	CHECK(s[i] == '\0', "enh \"%s\"", s);
}

static void
check_reply(const struct smtp_reply *r)
{
	const unsigned char *t = (const unsigned char *)r->text;
	size_t n, i;

	CHECK(r->code >= 200 && r->code <= 599, "code %d", r->code);
	check_enh(r);
	CHECK(memchr(r->text, '\0', sizeof(r->text)) != NULL, "text not ended");
	n = strlen(r->text);
	CHECK(fuzz_utf8_valid(t, n), "text not UTF-8: \"%s\"", r->text);
	for (i = 0; i < n; i++) {
		CHECK(t[i] >= 0x20 && t[i] != 0x7f, "control 0x%02x in text",
		    t[i]);
		CHECK(!(t[i] == 0xC2 && i + 1 < n && t[i + 1] < 0xA0),
		    "C1 control in text");
	}
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size, *lf, *text;
	struct smtp_reply r;
	struct err e;
	size_t len, nlines = 0;
	bool last, done;
	int code, rc;

	memset(&r, 0, sizeof(r));
	while (s < end) {
		lf = memchr(s, '\n', (size_t)(end - s));
		len = lf != NULL ? (size_t)(lf - s) : (size_t)(end - s);
		if (len > 0 && s[len - 1] == '\r')
			len--;
		code = -1;
		text = NULL;
		if (smtp_parse_line(s, len, &code, &last, &text) == 0) {
			CHECK(code >= 200 && code <= 599, "code %d", code);
			CHECK(text >= s && text <= s + len, "text outside line");
			CHECK(last == (len == 3 || s[3] == ' '), "last");
		}
		err_clear(&e);
		done = false;
		rc = smtp_reply_feed(&r, &nlines, s, len, &done, &e);
		if (rc == -1) {
			CHECK(e.kind == E_PROTO, "kind %d", e.kind);
			CHECK_ERR(&e);
			nlines = 0;
		} else {
			CHECK(rc == 0, "rc %d", rc);
			CHECK(nlines > 0 && nlines <= SMTP_REPLY_LINES_MAX,
			    "nlines %zu", nlines);
			check_reply(&r);
			if (done)
				nlines = 0;
		}
		s += (lf != NULL ? (size_t)(lf - s) + 1 : len);
		if (lf == NULL)
			break;
	}
	return 0;
}
