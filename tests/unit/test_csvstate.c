/*
 * roster.c reads two of libcsv's private parser states (csvstate.h).
 * This holds the installed libcsv to them, with roster.c's options:
 * if libcsv renumbers them, this fails before roster.c miscounts.  TAP.
 */
#include <string.h>

#include <csv.h>

#include "csvstate.h"
#include "tap.h"

static void
nop_field(void *s, size_t n, void *arg)
{
	(void)s, (void)n, (void)arg;
}

static void
nop_record(int c, void *arg)
{
	(void)c, (void)arg;
}

/* Parse s with roster.c's options; the parser's state after it. */
static int
state_after(const char *s, int *error)
{
	struct csv_parser p;
	size_t n = strlen(s), k;
	int st;

	csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
	k = csv_parse(&p, s, n, nop_field, nop_record, NULL);
	*error = k < n ? csv_error(&p) : CSV_SUCCESS;
	st = p.pstate;
	csv_free(&p);
	return st;
}

int
main(void)
{
	int err;

	ok(state_after("", &err) == CSV_ROW_NOT_BEGUN && err == CSV_SUCCESS,
	    "a fresh parser: CSV_ROW_NOT_BEGUN");
	ok(state_after("a,b\n", &err) == CSV_ROW_NOT_BEGUN,
	    "after a whole row: CSV_ROW_NOT_BEGUN");
	ok(state_after("\"a\nb\",c\r\n", &err) == CSV_ROW_NOT_BEGUN,
	    "after a row with a quoted line break: CSV_ROW_NOT_BEGUN");
	ok(state_after("a,b", &err) != CSV_ROW_NOT_BEGUN,
	    "inside a row: not CSV_ROW_NOT_BEGUN");
	ok(state_after("\"a\nb", &err) != CSV_ROW_NOT_BEGUN,
	    "inside a quoted field: not CSV_ROW_NOT_BEGUN");
	ok(state_after("\"a\"x,b\n", &err) == CSV_FIELD_MIGHT_HAVE_ENDED &&
	    err == CSV_EPARSE,
	    "a character after the closing quote: CSV_EPARSE in "
	    "CSV_FIELD_MIGHT_HAVE_ENDED");
	ok(state_after("a\"b,c\n", &err) != CSV_FIELD_MIGHT_HAVE_ENDED &&
	    err == CSV_EPARSE,
	    "a quote inside an unquoted field: CSV_EPARSE in another state");
	return tap_done();
}
