#ifndef FUZZ_H
#define FUZZ_H

/*
 * Shared by the libFuzzer harnesses: a property check that aborts (so
 * libFuzzer saves the input as a crash) and a strict UTF-8 test.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: property failed: %s: ",		\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/* RFC 3629: no overlongs, surrogates or code points past U+10FFFF. */
static inline size_t
fuzz_utf8_char(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xBF;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xE0)
		lo = 0xA0;
	else if (s[0] == 0xED)
		hi = 0x9F;
	else if (s[0] == 0xF0)
		lo = 0x90;
	else if (s[0] == 0xF4)
		hi = 0x8F;
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

static inline bool
fuzz_utf8_valid(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0, k;

	while (i < n) {
		k = fuzz_utf8_char(s + i, n - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

/* An error record is printed: it must be NUL-ended, valid UTF-8. */
#define CHECK_ERR(e) do {						\
	CHECK(memchr((e)->where, '\0', sizeof((e)->where)) != NULL &&	\
	    memchr((e)->msg, '\0', sizeof((e)->msg)) != NULL,		\
	    "err not NUL-terminated");					\
	CHECK(fuzz_utf8_valid((e)->where, strlen((e)->where)),		\
	    "err where not UTF-8: %s", (e)->where);			\
	CHECK(fuzz_utf8_valid((e)->msg, strlen((e)->msg)),		\
	    "err msg not UTF-8: %s", (e)->msg);				\
} while (0)

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#endif /* FUZZ_H */
