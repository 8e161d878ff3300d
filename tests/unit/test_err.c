/*
 * err_prefix(): the one way to put context ("row 7: ", a server's name)
 * in front of an error's message; kind and where stay.  TAP.
 */
#include <string.h>

#include "err.h"
#include "tap.h"

int
main(void)
{
	struct err e;
	char big[ERR_MSG_MAX + 10];

	err_set(&e, E_CONFIG, "mail.conf:3", "no account for %s", "x.org");
	err_prefix(&e, "row %zu: ", (size_t)7);
	ok(strcmp(e.msg, "row 7: no account for x.org") == 0,
	    "prefix then the old message: %s", e.msg);
	ok(e.kind == E_CONFIG, "the kind stays");
	ok(strcmp(e.where, "mail.conf:3") == 0, "where stays");

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "\xea\xb9\x80", 3);
	err_set(&e, E_INPUT, NULL, "%s", big + 3);
	err_prefix(&e, "%s: ", "\xea\xb9\x80\xeb\xaf\xbc\xec\xa4\x80");
	ok(strlen(e.msg) < sizeof(e.msg), "cut to fit (%zu)", strlen(e.msg));
	ok(strncmp(e.msg, "\xea\xb9\x80\xeb\xaf\xbc\xec\xa4\x80: aaa", 14) == 0,
	    "the prefix comes first when the message is cut: %.20s", e.msg);

	/* A message may quote the error it replaces (config.c does). */
	err_set(&e, E_CONFIG, "a.conf:2", "bad rate \"%s\"", "1/x");
	err_set(&e, E_CONFIG, e.where, "%s; expected N/UNIT", e.msg);
	ok(strcmp(e.msg, "bad rate \"1/x\"; expected N/UNIT") == 0,
	    "the old message as an argument of the new: %s", e.msg);
	ok(strcmp(e.where, "a.conf:2") == 0, "the old where as the new");

	err_prefix(NULL, "x");
	ok(1, "NULL is a no-op");
	return tap_done();
}
