/*
 * UTF-8 decoding (RFC 3629), in one place.  A sequence is checked by
 * the table of §4: the lead octet gives the length and the range of
 * the second octet (narrower after E0, ED, F0 and F4, which is what
 * rules out overlongs, surrogates and code points past U+10FFFF); the
 * others are 80-BF.  utf8_valid() checks every roster field and header
 * value, so it skips ASCII a word at a time and takes the 3-octet
 * characters of Hangul and CJK inline.
 */
#include <endian.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"

#define ASCII8_HIGH	0x8080808080808080ULL

/* Length of the sequence lead octet c starts (0: none); its 2nd's range. */
static size_t
lead(unsigned c, unsigned *lo, unsigned *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c < 0xe0)
		return 2;
	if (c == 0xe0)
		*lo = 0xa0;
	else if (c == 0xed)
		*hi = 0x9f;
	else if (c == 0xf0)
		*lo = 0x90;
	else if (c == 0xf4)
		*hi = 0x8f;
	return c < 0xf0 ? 3 : 4;
}

/* Octets of s[0..n) that fit the sequence s[0] starts; *len its length. */
static size_t
fit(const unsigned char *s, size_t n, size_t *len)
{
	unsigned lo, hi;
	size_t i;

	*len = lead(s[0], &lo, &hi);
	if (*len == 0)
		return 0;
	for (i = 1; i < *len && i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			break;
		lo = 0x80;
		hi = 0xbf;
	}
	return i;
}

size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len;

	if (s[0] < 0x80)
		return 1;
	return fit(s, n, &len) == len ? len : 0;
}

size_t
utf8_need(const unsigned char *s, size_t n)
{
	size_t len;

	return fit(s, n, &len) == n && len > n ? len - n : 0;
}

uint32_t
utf8_decode(const unsigned char *s, size_t len)
{
	uint32_t cp;
	size_t i;

	if (len == 1)
		return s[0];
	cp = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/* Whether the 8 octets at u are all ASCII. */
static bool
ascii8(const unsigned char *u)
{
	uint64_t x;

	memcpy(&x, u, sizeof(x));
	return (x & ASCII8_HIGH) == 0;
}

/*
 * A 3-octet character led by E1-EF (Hangul, CJK): such a lead cannot
 * make an overlong, and after ED only 80-9F may follow (A0-BF would
 * make a surrogate).
 */
static bool
plain3(const unsigned char *u)
{
	return u[0] - 0xe1u <= 0xefu - 0xe1u &&
	    (((u[1] ^ 0x80) | (u[2] ^ 0x80)) & 0xc0) == 0 &&
	    (u[0] != 0xed || u[1] < 0xa0);
}

/*
 * Two 3-octet characters led by E1-EF at u[0..6): the continuation
 * octets tested together, a word at a time, as Korean text is mostly
 * such runs.
 */
static bool
plain6(const unsigned char *u)
{
	uint64_t w;

	memcpy(&w, u, sizeof(w));
	w = le64toh(w);
	return (w & 0xc0c000c0c000ULL) == 0x808000808000ULL &&
	    u[0] - 0xe1u <= 0xefu - 0xe1u && u[3] - 0xe1u <= 0xefu - 0xe1u &&
	    (u[0] != 0xed || u[1] < 0xa0) && (u[3] != 0xed || u[4] < 0xa0);
}

size_t
utf8_valid(const char *s, size_t n, bool *eight)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;
	bool wide = false;

	while (i < n) {
		if (u[i] < 0x80) {
			while (i + 8 <= n && ascii8(u + i))
				i += 8;
			while (i < n && u[i] < 0x80)
				i++;
			continue;
		}
		wide = true;
		while (i + 8 <= n && plain6(u + i))
			i += 6;
		k = i + 3 <= n && plain3(u + i) ? 3 : utf8_len(u + i, n - i);
		if (k == 0)
			break;
		i += k;
	}
	if (eight != NULL)
		*eight = wide;
	return i;
}

size_t
utf8_cut(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = n;

	/* A sequence has at most 3 continuation octets (80-BF). */
	while (i > 0 && n - i < 3 && (u[i - 1] & 0xc0) == 0x80)
		i--;
	if (i > 0 && utf8_need(u + i - 1, n - i + 1) > 0)
		return i - 1;
	return n;
}
