/* Unit tests of the UTF-8 decoder (RFC 3629 §4 and its table). */
#include <stdbool.h>
#include <string.h>

#include "nitems.h"
#include "tap.h"
#include "utf8.h"

#define U(s)	((const unsigned char *)(s))

static void
test_valid_lengths(void)
{
	static const struct {
		const char	*s;
		size_t		 len;
		uint32_t	 cp;
	} v[] = {
		{ "\x00", 1, 0x00 },
		{ "A", 1, 0x41 },
		{ "\x7f", 1, 0x7f },
		{ "\xc2\x80", 2, 0x80 },
		{ "\xc3\xa9", 2, 0xe9 },
		{ "\xdf\xbf", 2, 0x7ff },
		{ "\xe0\xa0\x80", 3, 0x800 },
		{ "\xed\x9f\xbf", 3, 0xd7ff },
		{ "\xea\xb0\x80", 3, 0xac00 },		/* 가 */
		{ "\xed\x9e\xa3", 3, 0xd7a3 },		/* 힣 */
		{ "\xee\x80\x80", 3, 0xe000 },
		{ "\xef\xbf\xbd", 3, 0xfffd },
		{ "\xef\xbf\xbf", 3, 0xffff },
		{ "\xf0\x90\x80\x80", 4, 0x10000 },
		{ "\xf0\x9f\x98\x80", 4, 0x1f600 },
		{ "\xf3\xbf\xbf\xbf", 4, 0xfffff },
		{ "\xf4\x8f\xbf\xbf", 4, 0x10ffff },
	};
	size_t i, k;

	for (i = 0; i < nitems(v); i++) {
		k = utf8_len(U(v[i].s), v[i].len);
		is_int(k, v[i].len, "U+%04X is %zu octets", (unsigned)v[i].cp,
		    v[i].len);
		is_int(utf8_decode(U(v[i].s), k), v[i].cp, "U+%04X decodes",
		    (unsigned)v[i].cp);
		is_int(utf8_len(U(v[i].s), 4), v[i].len,
		    "U+%04X: octets after it do not count", (unsigned)v[i].cp);
	}
}

static void
test_invalid(void)
{
	static const struct {
		const char	*s;
		size_t		 n;
		const char	*why;
	} v[] = {
		{ "\x80", 1, "a lone continuation octet" },
		{ "\xbf", 1, "a lone continuation octet BF" },
		{ "\xc0\x80", 2, "overlong C0 80 (NUL)" },
		{ "\xc0\xaf", 2, "overlong C0 AF ('/')" },
		{ "\xc1\xbf", 2, "overlong C1 BF" },
		{ "\xe0\x80\x80", 3, "overlong E0 80 80" },
		{ "\xe0\x9f\xbf", 3, "overlong E0 9F BF" },
		{ "\xf0\x80\x80\x80", 4, "overlong F0 80 80 80" },
		{ "\xf0\x8f\xbf\xbf", 4, "overlong F0 8F BF BF" },
		{ "\xed\xa0\x80", 3, "surrogate ED A0 80 (U+D800)" },
		{ "\xed\xbf\xbf", 3, "surrogate ED BF BF (U+DFFF)" },
		{ "\xf4\x90\x80\x80", 4, "F4 90 80 80 (U+110000)" },
		{ "\xf5\x80\x80\x80", 4, "lead F5" },
		{ "\xf8\x88\x80\x80", 4, "lead F8 (5-octet form)" },
		{ "\xfe", 1, "FE" },
		{ "\xff", 1, "FF" },
		{ "\xc3", 1, "2-octet sequence cut short" },
		{ "\xe3\x81", 2, "3-octet sequence cut short" },
		{ "\xf0\x9f\x98", 3, "4-octet sequence cut short" },
		{ "\xc3\x41", 2, "C3 then ASCII" },
		{ "\xc3\xc3", 2, "C3 then a lead octet" },
		{ "\xe3\x81\x41", 3, "bad 3rd octet" },
		{ "\xe3\x41\x82", 3, "bad 2nd octet" },
		{ "\xf0\x9f\x98\x41", 4, "bad 4th octet" },
		{ "\xe3\x81\x00", 3, "NUL as 3rd octet" },
	};
	size_t i;

	for (i = 0; i < nitems(v); i++)
		is_int(utf8_len(U(v[i].s), v[i].n), 0, "refused: %s",
		    v[i].why);
}

static void
test_need(void)
{
	is_int(utf8_need(U("A"), 1), 0, "need: ASCII is whole");
	is_int(utf8_need(U("\xc3"), 1), 1, "need: C3 wants 1 more");
	is_int(utf8_need(U("\xe3"), 1), 2, "need: E3 wants 2 more");
	is_int(utf8_need(U("\xe3\x81"), 2), 1, "need: E3 81 wants 1 more");
	is_int(utf8_need(U("\xf0\x9f"), 2), 2, "need: F0 9F wants 2 more");
	is_int(utf8_need(U("\xe3\x81\x82"), 3), 0, "need: whole 3-octet");
	is_int(utf8_need(U("\xe0\x80"), 2), 0, "need: overlong start is bad");
	is_int(utf8_need(U("\xed\xa0"), 2), 0, "need: surrogate start is bad");
	is_int(utf8_need(U("\xf4\x90"), 2), 0, "need: past U+10FFFF is bad");
	is_int(utf8_need(U("\xc0"), 1), 0, "need: C0 starts nothing");
	is_int(utf8_need(U("\x80"), 1), 0, "need: continuation starts nothing");
}

static void
test_valid_prefix(void)
{
	const char *ko = "이름, 학번, email: 한국어 텍스트 😀 é";
	char big[300];
	bool eight = true;
	size_t i;

	is_int(utf8_valid("", 0, &eight), 0, "empty is valid");
	ok(!eight, "empty has no 8bit");
	is_int(utf8_valid("hello, world 0123456789", 23, &eight), 23,
	    "ASCII run");
	ok(!eight, "ASCII has no 8bit");
	is_int(utf8_valid(ko, strlen(ko), &eight), strlen(ko),
	    "Korean, emoji and Latin-1 text");
	ok(eight, "and it has 8bit");
	is_int(utf8_valid("abcdefgh\xffz", 10, NULL), 8,
	    "stops at FF after 8 ASCII");
	is_int(utf8_valid("\xed\x95\x9c\xed\xa0\x80", 6, NULL), 3,
	    "한 passes, then ED A0 80 stops");
	is_int(utf8_valid("\xea\xb0\x80\xe0\x80\x80", 6, NULL), 3,
	    "stops at overlong E0 80 80");
	is_int(utf8_valid("ab\xe3\x81", 4, NULL), 2,
	    "stops at a cut-short sequence");
	is_int(utf8_valid("\xea\xb0", 2, NULL), 0,
	    "a cut 3-octet lead at the end is not taken");
	is_int(utf8_valid("a\0b", 3, NULL), 3, "NUL is valid UTF-8");
	for (i = 0; i + 3 <= sizeof(big); i += 3)
		memcpy(big + i, "\xea\xb0\x80", 3);
	is_int(utf8_valid(big, sizeof(big) - 1, NULL), sizeof(big) - 3,
	    "a long Hangul run, cut short at its end");
}

/* Every cut of s at 0..n is at a character boundary of s. */
static bool
cuts_whole(const char *s, const size_t *bounds, size_t nb)
{
	size_t n = strlen(s), max, k, j;

	for (max = 0; max <= n; max++) {
		k = utf8_cut(s, max);
		for (j = 0; j < nb && bounds[j] != k; j++)
			;
		if (j == nb || k > max || max - k > 3)
			return false;
		/* The cut drops only a character n splits. */
		if (j + 1 < nb && bounds[j + 1] <= max)
			return false;
	}
	return true;
}

static void
test_cut(void)
{
	/* "a" 한 é 😀 "z": boundaries at 0 1 4 6 10 11. */
	static const char s[] = "a\xed\x95\x9c\xc3\xa9\xf0\x9f\x98\x80z";
	static const size_t bounds[] = { 0, 1, 4, 6, 10, 11 };

	is_int(utf8_cut(s, 0), 0, "cut at 0");
	is_int(utf8_cut(s, 1), 1, "cut after ASCII");
	is_int(utf8_cut(s, 2), 1, "cut inside 한 (1 of 3)");
	is_int(utf8_cut(s, 3), 1, "cut inside 한 (2 of 3)");
	is_int(utf8_cut(s, 4), 4, "cut after 한");
	is_int(utf8_cut(s, 5), 4, "cut inside é");
	is_int(utf8_cut(s, 9), 6, "cut inside the emoji (3 of 4)");
	is_int(utf8_cut(s, 10), 10, "cut after the emoji");
	ok(cuts_whole(s, bounds, nitems(bounds)),
	    "no cut from 0 to n splits a character or drops a whole one");
	is_int(utf8_cut("ab\x80\x80\x80\x80", 6), 6,
	    "stray continuation octets are not a character to drop");
	is_int(utf8_cut("a\xe0\x80", 3), 3,
	    "an invalid start is kept, not taken for a cut character");
}

int
main(void)
{
	test_valid_lengths();
	test_invalid();
	test_need();
	test_valid_prefix();
	test_cut();
	return tap_done();
}
