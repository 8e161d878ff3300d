/*
 * Unit tests of smtpserver, the relay's command parser: verbs, paths,
 * MAIL parameters, AUTH, the line limits and refusals with their codes,
 * and the AUTH PLAIN check.
 */
#include <string.h>

#include "smtpserver.h"
#include "tap.h"

static struct smtpserver_cmd c;
static struct smtpserver_reply r;

static int
parse(const char *line)
{
	return smtpserver_parse(line, strlen(line), &c, &r);
}

/* line is refused with code and enh. */
static void
refused(const char *line, int code, const char *enh, const char *name)
{
	ok(parse(line) == -1, "%s: refused", name);
	is_int(r.code, code, "%s: code", name);
	is_str(r.enh, enh, "%s: enhanced code", name);
}

static void
test_ok(void)
{
	ok(parse("EHLO client.example") == 0 && c.verb == SMTPSERVER_EHLO &&
	    strcmp(c.arg, "client.example") == 0, "EHLO name");
	ok(parse("ehlo [127.0.0.1]") == 0 && c.verb == SMTPSERVER_EHLO,
	    "ehlo in lower case, address literal");
	ok(parse("MAIL FROM:<a@example.com> SIZE=1000 BODY=8BITMIME "
	    "SMTPUTF8") == 0 && c.verb == SMTPSERVER_MAIL &&
	    strcmp(c.arg, "a@example.com") == 0 && c.size == 1000 &&
	    c.eightbit && c.smtputf8, "MAIL with SIZE, BODY, SMTPUTF8");
	ok(parse("MAIL FROM:<>") == 0 && c.arg[0] == '\0', "null sender");
	ok(parse("mail from: <a@b>") == 0 && strcmp(c.arg, "a@b") == 0,
	    "a blank after FROM: (Outlook) taken");
	ok(parse("RCPT TO:<\xec\x9d\xb4@\xed\x95\x9c.kr>") == 0 && c.utf8,
	    "a UTF-8 address is marked");
	ok(parse("AUTH PLAIN AHUAcA==") == 0 && c.has_initial &&
	    strcmp(c.arg, "PLAIN") == 0 && strcmp(c.initial, "AHUAcA==") == 0,
	    "AUTH PLAIN with an initial response");
	ok(parse("AUTH LOGIN") == 0 && !c.has_initial, "AUTH LOGIN");
	ok(parse("NOOP anything") == 0 && c.verb == SMTPSERVER_NOOP,
	    "NOOP takes an argument");
	ok(parse("DATA") == 0 && c.verb == SMTPSERVER_DATA, "DATA");
}

static void
test_refused(void)
{
	char long_line[600];

	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	memcpy(long_line, "NOOP ", 5);
	refused(long_line, 500, "5.5.2", "a 599-octet line");
	ok(smtpserver_parse("NOOP\0x", 6, &c, &r) == -1 && r.code == 500,
	    "a NUL in a command: 500");
	refused("NOOP \x1b[2J", 500, "5.5.2", "an escape sequence");
	refused("NOOP \xc2\x85", 500, "5.5.2", "a C1 control");
	refused("NOOP \xff", 500, "5.5.2", "bad UTF-8");
	refused("BDAT 10 LAST", 500, "5.5.1", "an unknown verb");
	refused("EHLO", 501, "5.5.4", "EHLO without a name");
	refused("DATA now", 501, "5.5.4", "DATA with an argument");
	refused("MAIL TO:<a@b>", 501, "5.1.7", "MAIL TO:");
	refused("MAIL FROM:a@b", 501, "5.1.7", "a path without <>");
	refused("MAIL FROM:<a<b>", 553, "5.1.3", "a '<' in the address");
	refused("MAIL FROM:<a@b>x", 501, "5.1.7", "text glued to the path");
	refused("MAIL FROM:<a@b> NOTIFY=NEVER", 555, "5.5.4",
	    "an unknown MAIL parameter");
	refused("MAIL FROM:<a@b> SIZE=-1", 501, "5.5.4", "a negative SIZE");
	refused("RCPT TO:<a@b> SIZE=1", 555, "5.5.4", "a RCPT parameter");
	refused("RCPT TO:<>", 501, "5.1.7", "an empty recipient");
	refused("AUTH PLAIN a b", 501, "5.5.4", "AUTH with two responses");
}

static void
test_plain(void)
{
	ok(smtpserver_plain_ok("\0teacher\0pw", 11, "teacher", "pw"),
	    "PLAIN: right user and password");
	ok(smtpserver_plain_ok("teacher\0teacher\0pw", 18, "teacher", "pw"),
	    "PLAIN: authzid the same user");
	ok(!smtpserver_plain_ok("\0teacher\0pX", 11, "teacher", "pw"),
	    "PLAIN: wrong password");
	ok(!smtpserver_plain_ok("\0teacher\0pw2", 12, "teacher", "pw"),
	    "PLAIN: password with more after it");
	ok(!smtpserver_plain_ok("\0teacher\0p", 10, "teacher", "pw"),
	    "PLAIN: a prefix of the password");
	ok(!smtpserver_plain_ok("admin\0teacher\0pw", 16, "teacher", "pw"),
	    "PLAIN: acting as another user");
	ok(!smtpserver_plain_ok("teacherpw", 9, "teacher", "pw"),
	    "PLAIN: no NULs");
	ok(smtpserver_same("abc", 3, "abc", 3) &&
	    !smtpserver_same("abd", 3, "abc", 3) &&
	    !smtpserver_same("", 0, "abc", 3), "constant-time compare");
}

/* Feed chunks (NULL-terminated list); the end seen, d and out after. */
static int
feed(struct smtpserver_data *d, struct buf *out, const char *const *chunk)
{
	int end = 0;

	smtpserver_data_init(d);
	buf_reset(out);
	for (; *chunk != NULL && !end; chunk++)
		end = smtpserver_data_feed(d, *chunk, strlen(*chunk), out);
	return end;
}

static void
test_data(void)
{
	struct smtpserver_data d;
	struct buf out;
	static const char *const good[] = { "Subject: x\r\n", "\r\n",
	    "..dot\r\n", "abc\r", "\n", ".\r\n", NULL };
	static const char *const lf[] = { "a\n", ".\n", "b\r\n", ".\r\n",
	    NULL };
	static const char *const cr[] = { "a\rb\r\n", ".\r\n", NULL };
	static const char *const split_cr[] = { "abc\r", "x\r\n", ".\r\n",
	    NULL };
	static const char *const not_end[] = { "x\r", ".\r\n", NULL };

	buf_init(&out, 64);
	ok(feed(&d, &out, good) == 1 && d.bad == NULL && !d.big,
	    "DATA: clean content ends at CRLF.CRLF");
	is_str(buf_str(&out), "Subject: x\r\n\r\n.dot\r\nabc\r\n",
	    "DATA: unstuffed, a CRLF split over two chunks kept");
	ok(feed(&d, &out, lf) == 1 && d.bad != NULL &&
	    strstr(d.bad, "bare LF") != NULL,
	    "DATA: a bare LF is refused, and \".\" LF ends nothing");
	ok(feed(&d, &out, cr) == 1 && d.bad != NULL &&
	    strstr(d.bad, "bare CR") != NULL, "DATA: a bare CR is refused");
	ok(feed(&d, &out, split_cr) == 1 && d.bad != NULL &&
	    strstr(d.bad, "bare CR") != NULL,
	    "DATA: a CR ending one chunk without LF after it is bare");
	smtpserver_data_init(&d);
	buf_reset(&out);
	smtpserver_data_feed(&d, "a\0b\r\n", 5, &out);
	ok(d.bad != NULL && strstr(d.bad, "NUL") != NULL, "DATA: a NUL");
	ok(feed(&d, &out, not_end) == 0, "DATA: \".\" CRLF after a CR is "
	    "not at a line start");
	smtpserver_data_init(&d);
	buf_reset(&out);
	smtpserver_data_feed(&d, "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789\r\n", 82, &out);
	ok(d.big, "DATA: over out's cap is big");
	buf_fini(&out);
}

int
main(void)
{
	test_ok();
	test_refused();
	test_plain();
	test_data();
	return tap_done();
}
