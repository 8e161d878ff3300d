#ifndef ADDR_H
#define ADDR_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether an address is one mailmerge sends to: the one rule shared by
 * the validation pass (message.c) and the SMTP layer (smtp.c), so that
 * nothing validation passes is refused mid-run.  Nothing allocates
 * (but libidn2's result, freed at once) and nothing prints.
 */

#define ADDR_MAX	254	/* octets, RFC 5321 §4.5.3.1.3 */
#define ADDR_LOCAL_MAX	64	/* octets, RFC 5321 §4.5.3.1.1 */
#define ADDR_DOMAIN_MAX	255	/* octets, RFC 5321 §4.5.3.1.2 */

/*
 * Why a as it goes into MAIL FROM:<a> or RCPT TO:<a> is refused, or
 * NULL: over ADDR_MAX octets, not UTF-8, CR, LF or another control
 * character (C0, DEL, C1), '<' or '>', or a Unicode line or paragraph
 * separator, invisible format character or non-ASCII space (U+2028,
 * U+0085, U+200B...).  The SMTP layer's rule; addr_sendable() applies
 * it first.
 */
const char *addr_envelope_why(const char *a, size_t n);

/*
 * Why addr-spec s[0..n) (RFC 5322 §3.4.1, RFC 6531 for UTF-8) is not
 * sendable, or NULL: addr_envelope_why(), then the syntax (dot-atom or
 * quoted local part of at most 64 octets; a domain of letters, digits
 * and '-' labels with a dot, or an address literal), a non-ASCII
 * domain being valid IDNA 2008 (UTS #46 non-transitional).  On NULL,
 * out holds the address to send, NUL-ended, its domain as A-labels
 * ("xn--..."), and *utf8 says whether its local part is not ASCII
 * (then it needs SMTPUTF8, RFC 6531).
 */
const char *addr_sendable(const char *s, size_t n, char out[ADDR_MAX + 1],
	    bool *utf8);

/* Whether s[0..n) is a dot-atom (RFC 5322 §3.2.3), UTF-8 atext allowed. */
bool	addr_dot_atom(const char *s, size_t n);

/* RFC 5322 §3.2.3 atext, with UTF-8 octets (RFC 6532 §3.2). */
bool	addr_atext(int c);

/* Octets in the quoted-string at s (s[0] is '"'), 0 if unterminated. */
size_t	addr_quoted_len(const char *s, size_t n);

#endif /* ADDR_H */
