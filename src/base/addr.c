/*
 * The one rule for "is this an address mailmerge sends to", used by
 * message.c when it validates a row and by smtp.c before MAIL and RCPT,
 * so that a row validation accepts is never refused by the SMTP layer
 * mid-run.
 *
 * Two layers: addr_envelope_why() is what may go between SMTP's angle
 * brackets at all (no CR/LF, controls, '<' or '>', and no invisible or
 * line-breaking Unicode: U+2028 or U+0085 is a line break to some
 * readers, U+200B hides in a domain); addr_sendable() adds the syntax
 * of RFC 5322 §3.4.1 and IDNA for non-ASCII domains, which libidn2
 * (the one module that includes it) turns into A-labels, so that
 * headers, Message-ID and the envelope are ASCII whenever the local
 * part is (RFC 5890; RFC 6531 is then not needed).
 *
 * A domain needs a dot (name@localhost is refused) unless it is an
 * address literal such as [192.0.2.1].
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "addr.h"
#include "i18n.h"
#include "nitems.h"
#include "utf8.h"

#define LABEL_MAX	63	/* RFC 1035 §2.3.4 */

/*
 * Code points refused anywhere in an address: C1 controls, Unicode
 * spaces, line and paragraph separators, zero-width and bidirectional
 * format characters, fillers that show as nothing (Hangul fillers
 * included), the BOM and tag characters (Unicode categories Cc, Cf, Zs,
 * Zl, Zp beyond ASCII).
 */
static const struct {
	uint32_t lo, hi;
} refused[] = {
	{ 0x0080, 0x00A0 }, { 0x00AD, 0x00AD }, { 0x061C, 0x061C },
	{ 0x115F, 0x1160 }, { 0x1680, 0x1680 }, { 0x180E, 0x180E },
	{ 0x2000, 0x200F }, { 0x2028, 0x202F }, { 0x205F, 0x206F },
	{ 0x3000, 0x3000 }, { 0x3164, 0x3164 }, { 0xFEFF, 0xFEFF },
	{ 0xFFA0, 0xFFA0 }, { 0xFFF9, 0xFFFB }, { 0xE0000, 0xE007F },
};

/* ASCII classes by table: these run for every address of every row. */
enum {
	C_BAD = 1,	/* never in an envelope address: controls, '<', '>' */
	C_ATEXT = 2,	/* RFC 5322 §3.2.3 atext */
	C_LDH = 4	/* RFC 1035 letters, digits, '-' */
};

/* C_BAD, C_ATEXT, C_LDH of each ASCII octet (made by a script). */
static const unsigned char ascii_class[128] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 2, 0, 2, 2, 2, 2, 2, 0, 0, 2, 2, 0, 6, 0, 2,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 0, 0, 1, 2, 1, 2,
	0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 0, 0, 0, 2, 2,
	2, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 2, 2, 2, 2, 1,
};

static bool
cp_refused(uint32_t c)
{
	size_t i;

	for (i = 0; i < nitems(refused); i++)
		if (c >= refused[i].lo && c <= refused[i].hi)
			return true;
	return false;
}

const char *
addr_envelope_why(const char *a, size_t n)
{
	const unsigned char *s = (const unsigned char *)a;
	size_t i, len;

	if (n > ADDR_MAX)
		return _("longer than 254 octets (RFC 5321 §4.5.3.1.3)");
	for (i = 0; i < n; i += len) {
		len = 1;
		if (s[i] < 0x80 && !(ascii_class[s[i]] & C_BAD))
			continue;
		/* CR or LF here would let a roster inject commands. */
		if (s[i] < 0x20 || s[i] == 0x7f)
			return _("it holds CR, LF or a control character");
		if (s[i] == '<' || s[i] == '>')
			return _("it holds '<' or '>', which SMTP cannot carry "
			    "in an address");
		len = utf8_len(s + i, n - i);
		if (len == 0)
			return _("not valid UTF-8");
		if (cp_refused(utf8_decode(s + i, len)))
			return _("it holds an invisible or line-breaking "
			    "Unicode character (a control, format character, "
			    "separator or non-ASCII space such as U+2028, "
			    "U+0085, U+200B)");
	}
	return NULL;
}

bool
addr_atext(int c)
{
	return c >= 0x80 || (c >= 0 && (ascii_class[c] & C_ATEXT));
}

size_t
addr_quoted_len(const char *s, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return 0;
}

bool
addr_dot_atom(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '.' ? s[i - 1] == '.' :
		    !addr_atext((unsigned char)s[i]))
			return false;
	}
	return true;
}

static bool
local_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > ADDR_LOCAL_MAX)
		return false;
	if (s[0] != '"')
		return addr_dot_atom(s, n);
	if (n < 2 || addr_quoted_len(s, n) != n)
		return false;
	for (i = 1; i < n - 1; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			c = (unsigned char)s[++i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/* RFC 1035 §2.3.1 label: ASCII letters, digits, '-' inside. */
static bool
label_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > LABEL_MAX || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 || !(ascii_class[c] & C_LDH))
			return false;
	}
	return true;
}

/*
 * An address literal of RFC 5321 §4.1.3, without its brackets: a
 * dotted IPv4 address, or "IPv6:" and hex digits, colons and dots
 * (the form, not every rule of RFC 4291).
 */
static bool
addr_literal(const char *s, size_t n)
{
	unsigned parts = 0, v = 0, digits = 0;
	size_t i;

	if (n > 5 && strncasecmp(s, "IPv6:", 5) == 0) {
		for (i = 5; i < n; i++)
			if (!isxdigit((unsigned char)s[i]) && s[i] != ':' &&
			    s[i] != '.')
				return false;
		return memchr(s + 5, ':', n - 5) != NULL;
	}
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] >= '0' && s[i] <= '9') {
			v = v * 10 + (unsigned)(s[i] - '0');
			if (++digits > 3 || v > 255)
				return false;
		} else if ((i == n || s[i] == '.') && digits > 0) {
			parts++;
			v = digits = 0;
		} else
			return false;
	}
	return parts == 4;
}

/* Why ASCII domain s is refused, or NULL. */
static const char *
ldh_check(const char *s, size_t n)
{
	size_t i, start = 0, labels = 0;

	if (n == 0)
		return _("expected name@domain");
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (!label_ok(s + start, i - start))
			return _("a domain holds letters, digits, '-' and "
			    "dots, as in example.com");
		labels++;
		start = i + 1;
	}
	if (labels < 2)
		return _("the domain needs a dot, as in name@example.com");
	return NULL;
}

/* Whether domain s needs IDNA: non-ASCII, or an A-label to check. */
static bool
needs_idna(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || (i + 4 <= n &&
		    (i == 0 || s[i - 1] == '.') &&
		    strncasecmp(s + i, "xn--", 4) == 0))
			return true;
	return false;
}

/*
 * Domain s[0..n) as ASCII into out (room octets); why not, or NULL.
 * IDNA 2008 with UTS #46 non-transitional mapping (RFC 5891, as
 * browsers do): "학교.한국" becomes "xn--" A-labels.
 */
static const char *
domain_ascii(const char *s, size_t n, char *out, size_t room)
{
	char in[ADDR_DOMAIN_MAX + 1];
	char *a = NULL;
	const char *why;

	if (n > 0 && s[0] == '[') {
		if (n < 3 || s[n - 1] != ']' || !addr_literal(s + 1, n - 2))
			return _("expected an address literal like [192.0.2.1] "
			    "or [IPv6:2001:db8::1]");
		why = NULL;
	} else if (!needs_idna(s, n))
		why = ldh_check(s, n);
	else if (n > ADDR_DOMAIN_MAX)
		return _("the domain is longer than 255 octets");
	else {
		memcpy(in, s, n);
		in[n] = '\0';
		if (idn2_to_ascii_8z(in, &a, IDN2_NONTRANSITIONAL) !=
		    IDN2_OK)
			return _("the domain is not a valid internationalised "
			    "domain name (IDNA 2008)");
		s = a, n = strlen(a);
		why = ldh_check(s, n);
	}
	if (why == NULL && n >= room)
		why = _("longer than 254 octets (RFC 5321 §4.5.3.1.3)");
	if (why == NULL) {
		memcpy(out, s, n);
		out[n] = '\0';
	}
	free(a);
	return why;
}

const char *
addr_sendable(const char *s, size_t n, char out[ADDR_MAX + 1], bool *utf8)
{
	const char *why = addr_envelope_why(s, n);
	size_t at;
	bool eight = false;

	if (why != NULL)
		return why;
	if (n > 0 && s[0] == '"')
		at = addr_quoted_len(s, n);
	else
		for (at = 0; at < n && s[at] != '@'; at++)
			;
	if (at == 0 || at >= n || s[at] != '@')
		return _("expected name@domain");
	if (!local_ok(s, at))
		return _("expected name@domain, the name in double quotes "
		    "if it has spaces or special characters");
	utf8_valid(s, at, &eight);
	memcpy(out, s, at + 1);
	why = domain_ascii(s + at + 1, n - at - 1, out + at + 1,
	    ADDR_MAX + 1 - (at + 1));
	*utf8 = eight;
	return why;
}
