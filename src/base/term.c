/*
 * Escaping for the terminal.  Printable text, Korean included, passes
 * through untouched; only what a terminal interprets (controls, line
 * and paragraph separators, bidi overrides) or cannot decode is shown
 * as an escape, so the user sees that it is there without the terminal
 * acting on it.  Runs of harmless octets go out in one fwrite.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "term.h"
#include "utf8.h"

/* Whether code point c must be escaped. */
static bool
is_hostile(uint32_t c, bool multiline)
{
	if (c < 0x20)
		return !(multiline && (c == '\n' || c == '\t'));
	return c == 0x7F || (c >= 0x80 && c <= 0x9F) ||
	    c == 0x2028 || c == 0x2029 ||
	    (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

void
term_write(FILE *f, const char *s, size_t n, bool multiline)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, len;
	uint32_t c;

	while (i < n) {
		len = utf8_len(p + i, n - i);
		c = len == 0 ? 0 : utf8_decode(p + i, len);
		if (len != 0 && !is_hostile(c, multiline)) {
			i += len;
			continue;
		}
		fwrite(s + run, 1, i - run, f);
		if (len == 0 || c < 0x80)
			fprintf(f, "\\x%02x", p[i]);
		else
			fprintf(f, "\\u%04x", (unsigned)c);
		i += len == 0 ? 1 : len;
		run = i;
	}
	fwrite(s + run, 1, n - run, f);
}

void
term_puts(FILE *f, const char *s, bool multiline)
{
	term_write(f, s, strlen(s), multiline);
}
