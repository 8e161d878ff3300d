/*
 * libFuzzer harness for bounce.c: any octets as a received message.
 * Properties: bounce_parse() never crashes or leaks (ASan, UBSan); it
 * either refuses with an error or gives a kind; every string it yields
 * (addresses, statuses, reasons, Message-ID, server) is valid UTF-8
 * without control characters; a status looks like RFC 3463 "c.n.n" with
 * class 2, 4 or 5 (or is empty); a recipient's address holds an '@';
 * at most BOUNCE_RCPT_MAX recipients, and no more than the message's
 * size could name.  GMime is initialised once, by bounce.c itself.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "bounce.h"
#include "err.h"

#include "fuzz.h"

static void
check_text(const char *what, const char *s, size_t cap)
{
	size_t n = strlen(s), i;

	CHECK(n <= cap, "%s too long: %zu", what, n);
	CHECK(fuzz_utf8_valid(s, n), "%s not UTF-8", what);
	for (i = 0; i < n; i++)
		CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f,
		    "%s has a control character at %zu", what, i);
}

static void
check_status(const char *s)
{
	size_t i, dots = 0;

	if (s[0] == '\0')
		return;
	CHECK(s[0] == '2' || s[0] == '4' || s[0] == '5', "status %s", s);
	for (i = 1; s[i] != '\0'; i++) {
		CHECK(isdigit((unsigned char)s[i]) || s[i] == '.',
		    "status %s", s);
		dots += s[i] == '.';
	}
	CHECK(dots == 2, "status %s", s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounce *b;
	struct err e;
	size_t i;

	if (bounce_parse(&b, (const char *)data, size, &e) == -1) {
		CHECK(b == NULL, "an error left a bounce");
		CHECK(e.kind == E_INPUT, "error kind %d", e.kind);
		return 0;
	}
	CHECK(b->kind == BOUNCE_NONE || b->kind == BOUNCE_DSN ||
	    b->kind == BOUNCE_AUTOREPLY, "kind %d", b->kind);
	CHECK(b->nrcpt <= BOUNCE_RCPT_MAX, "%zu recipients", b->nrcpt);
	CHECK(b->nrcpt == 0 || b->kind == BOUNCE_DSN, "recipients, no DSN");
	CHECK(b->nrcpt <= size / 3 + 1, "more recipients than octets");
	check_text("format", b->format, 64);
	check_text("original Message-ID", b->orig_msgid, 1024);
	check_text("reporting MTA", b->mta, 1024);
	check_text("from", b->from, 1024);
	for (i = 0; i < b->nrcpt; i++) {
		check_text("address", b->rcpt[i].addr, 254);
		CHECK(strchr(b->rcpt[i].addr, '@') != NULL, "address %s",
		    b->rcpt[i].addr);
		check_text("diagnostic", b->rcpt[i].diagnostic,
		    BOUNCE_DIAG_MAX);
		check_status(b->rcpt[i].status);
		CHECK(b->rcpt[i].action == BOUNCE_FAILED ||
		    b->rcpt[i].action == BOUNCE_DELAYED, "action");
	}
	bounce_free(b);
	return 0;
}
