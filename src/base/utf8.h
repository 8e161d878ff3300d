#ifndef UTF8_H
#define UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * UTF-8 as RFC 3629 §4 defines it: no overlong forms, no surrogates
 * (U+D800-U+DFFF), nothing past U+10FFFF.  The one decoder of the
 * tree; what a caller refuses beyond that (control characters, line
 * breaks) is the caller's policy.  Nothing here allocates or fails.
 */

/* Octets of the valid sequence at s[0..n) (n > 0), 0 if there is none. */
size_t	utf8_len(const unsigned char *s, size_t n);

/*
 * Octets still missing from the valid sequence that s[0..n) (n > 0)
 * begins but ends too soon; 0 if s[0..n) starts a whole sequence or
 * an invalid one.  For a reader whose window cuts a character.
 */
size_t	utf8_need(const unsigned char *s, size_t n);

/* The code point of the len-octet sequence at s that utf8_len() took. */
uint32_t utf8_decode(const unsigned char *s, size_t len);

/*
 * Octets of the longest valid prefix of s[0..n): n if all of it is
 * UTF-8.  Sets *eight, unless NULL, if that prefix holds a character
 * past U+007F.  Runs of ASCII go 8 octets at a time.
 */
size_t	utf8_valid(const char *s, size_t n, bool *eight);

/*
 * Where to end s[0..n), a prefix of a longer text, so that no character
 * is split: n, or less by the octets of a valid sequence n cuts short.
 */
size_t	utf8_cut(const char *s, size_t n);

#endif /* UTF8_H */
