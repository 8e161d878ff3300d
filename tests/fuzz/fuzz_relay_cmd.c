/*
 * libFuzzer harness for the relay's server-side command parser
 * (smtpserver.c): the input is split into lines at LF (a CR before it
 * is dropped, as the relay drops CRLF) and each line goes through
 * smtpserver_parse(); the first line's octets also go through
 * smtpserver_plain_ok() as a decoded AUTH PLAIN response.  Properties:
 * a refusal is a 5xx with a "5.x.y" code and text; an accepted line
 * was at most 510 octets, printable UTF-8; its verb has a name; a MAIL
 * or RCPT address is NUL-terminated, holds no '<', '>' or control
 * octet and fits the path limit; RCPT has an address; the AUTH initial
 * response is one word; SMTPUTF8 is needed for nothing here (the
 * session decides), but utf8 is set exactly when the address is not
 * ASCII.  The same input is also DATA content, fed in chunks ending at
 * LF or after 97 octets (as the relay's raw reader may cut a long
 * line): content accepted as clean holds no bare CR, bare LF or NUL,
 * and is never longer than its input.
 */
#include <stdint.h>
#include <string.h>

#include "smtpserver.h"

#include "fuzz.h"

static void
check_refusal(const struct smtpserver_reply *r)
{
	CHECK(r->code >= 500 && r->code <= 559, "code %d", r->code);
	CHECK(r->enh != NULL && r->enh[0] == '5' && r->enh[1] == '.',
	    "enh %s", r->enh ? r->enh : "(null)");
	CHECK(r->text != NULL && r->text[0] != '\0', "no text");
}

static void
check_arg(const struct smtpserver_cmd *c)
{
	size_t n = strnlen(c->arg, sizeof(c->arg)), i;
	bool eight = false;

	CHECK(n < sizeof(c->arg), "arg not terminated");
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)c->arg[i];

		CHECK(ch >= 0x20 && ch != 0x7f, "control octet in arg");
		if (c->verb == SMTPSERVER_MAIL || c->verb == SMTPSERVER_RCPT)
			CHECK(ch != '<' && ch != '>', "bracket in address");
		if (ch >= 0x80)
			eight = true;
	}
	CHECK(eight == c->utf8, "utf8 flag %d for \"%s\"", c->utf8, c->arg);
	CHECK(fuzz_utf8_valid(c->arg, n), "arg not UTF-8");
	if (c->verb == SMTPSERVER_RCPT)
		CHECK(n > 0, "RCPT without an address");
	if (c->verb == SMTPSERVER_MAIL || c->verb == SMTPSERVER_RCPT)
		CHECK(n <= SMTPSERVER_PATH_MAX - 2, "address of %zu", n);
	if (c->has_initial)
		CHECK(c->verb == SMTPSERVER_AUTH &&
		    strchr(c->initial, ' ') == NULL, "initial response");
}

static void
one_line(const char *p, size_t n)
{
	struct smtpserver_cmd c;
	struct smtpserver_reply r;

	if (smtpserver_parse(p, n, &c, &r) == -1) {
		check_refusal(&r);
		return;
	}
	CHECK(n + 2 <= SMTPSERVER_CMD_MAX, "accepted a line of %zu", n);
	CHECK(memchr(p, '\0', n) == NULL, "accepted a NUL");
	CHECK(fuzz_utf8_valid(p, n), "accepted bad UTF-8");
	CHECK((unsigned)c.verb < SMTPSERVER_NVERBS, "verb %d", (int)c.verb);
	CHECK(strcmp(smtpserver_verb_name(c.verb), "?") != 0, "no name");
	check_arg(&c);
}

static void
check_data(const char *p, size_t size)
{
	struct smtpserver_data d;
	struct buf out;
	const char *end = p + size, *lf;
	size_t n, i;
	int done = 0;

	buf_init(&out, 1 << 20);
	smtpserver_data_init(&d);
	while (p < end && !done) {
		lf = memchr(p, '\n', (size_t)(end - p));
		n = lf != NULL ? (size_t)(lf - p) + 1 : (size_t)(end - p);
		if (n > 97)
			n = 97;
		done = smtpserver_data_feed(&d, p, n, &out);
		p += n;
	}
	CHECK(out.len <= size, "out %zu > in %zu", out.len, size);
	for (i = 0; d.bad == NULL && i < out.len; i++) {
		CHECK(out.data[i] != '\0', "NUL accepted");
		CHECK(out.data[i] != '\n' || (i > 0 && out.data[i - 1] == '\r'),
		    "bare LF accepted at %zu", i);
		CHECK(out.data[i] != '\r' || i + 1 == out.len ||
		    out.data[i + 1] == '\n', "bare CR accepted at %zu", i);
	}
	buf_fini(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *lf;
	size_t n;

	(void)smtpserver_plain_ok(p, size, "user", "password");
	check_data(p, size);
	while (p < end) {
		lf = memchr(p, '\n', (size_t)(end - p));
		n = lf != NULL ? (size_t)(lf - p) : (size_t)(end - p);
		one_line(p, n > 0 && p[n - 1] == '\r' ? n - 1 : n);
		p += n + (lf != NULL);
	}
	return 0;
}
