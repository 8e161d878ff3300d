#ifndef TERM_H
#define TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Text for a terminal.  Roster fields are untrusted and may hold escape
 * sequences that repaint the screen (a confirmation plan rewritten
 * under the user's eyes), so everything shown on stdout or stderr that
 * can carry them goes through here.  Files written (.eml, reports) do
 * not: they keep the bytes as they are.
 */

/*
 * Write s[0..n) to f with what a terminal would act on escaped: C0
 * controls and DEL as \xHH (but LF and TAB when multiline), C1 controls
 * (U+0080-U+009F), U+2028, U+2029 and the bidi controls U+202A-U+202E,
 * U+2066-U+2069 as \uXXXX, and octets that are not UTF-8 as \xHH.
 */
void	term_write(FILE *f, const char *s, size_t n, bool multiline);

/* term_write() of the string s. */
void	term_puts(FILE *f, const char *s, bool multiline);

#endif /* TERM_H */
