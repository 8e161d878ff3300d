/*
 * term_write(): what a terminal would act on is escaped, the rest
 * (Korean text included) passes through.  TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "term.h"

static void
esc_is(const char *in, size_t n, int multiline, const char *want,
    const char *name)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	term_write(f, in, n, multiline);
	fclose(f);
	if (!ok(strcmp(out, want) == 0, "%s", name))
		printf("#   got:  %s\n#   want: %s\n", out, want);
	free(out);
}

#define ESC(in, ml, want, name)	esc_is(in, sizeof(in) - 1, ml, want, name)

int
main(void)
{
	ESC("plain 김민준 text", 0, "plain 김민준 text", "UTF-8 untouched");
	ESC("a\x1b[2Jb", 0, "a\\x1b[2Jb", "ESC escaped");
	ESC("a\nb\tc\r", 0, "a\\x0ab\\x09c\\x0d", "LF, TAB, CR on one line");
	ESC("a\nb\tc\r", 1, "a\nb\tc\\x0d", "multiline keeps LF and TAB");
	ESC("\x7f\x07", 0, "\\x7f\\x07", "DEL and BEL");
	ESC("\xc2\x9b" "1m", 0, "\\u009b1m", "C1 CSI");
	ESC("x\xe2\x80\xa8y\xe2\x80\xa9", 0, "x\\u2028y\\u2029",
	    "line and paragraph separators");
	ESC("\xe2\x80\xae" "abc\xe2\x81\xa6", 0, "\\u202eabc\\u2066",
	    "bidi overrides");
	ESC("\xff\xfe ok \xe3\x81", 0, "\\xff\\xfe ok \\xe3\\x81",
	    "bad UTF-8 octets");
	ESC("nul\0in", 0, "nul\\x00in", "NUL");
	return tap_done();
}
