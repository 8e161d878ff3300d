#ifndef FUZZ_H
#define FUZZ_H

/*
 * Shared by the libFuzzer harnesses: a property check that aborts (so
 * libFuzzer saves the input as a crash) and a strict UTF-8 test.  The
 * test walks utf8_len() a character at a time, not utf8_valid()'s fast
 * path, so the code under test is checked by the simpler decoder.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "utf8.h"

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: property failed: %s: ",		\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

static inline bool
fuzz_utf8_valid(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0, k;

	while (i < n) {
		k = utf8_len(s + i, n - i);
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
