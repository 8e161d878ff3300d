/* Unit tests of the duplicate-recipient finder. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dupes.h"
#include "tap.h"

struct fpi {
	uint32_t	fp;
	uint32_t	i;
};

static int
by_fp(const void *a, const void *b)
{
	const struct fpi *x = a, *y = b;

	return x->fp < y->fp ? -1 : x->fp > y->fp;
}

/*
 * The i-th of 2^32 distinct addresses, spread out (odd multiplier):
 * FNV-1a gives numbered names like s1, s2 ... few shared fingerprints.
 */
static void
addr_of(char *a, size_t size, uint32_t i)
{
	snprintf(a, size, "%08x@example.com", i * 2654435761U);
}

/*
 * Two distinct addresses with one fingerprint, found among 2^18 of them
 * (with 32 bits, about 8 pairs are expected).
 */
static void
collide(char *x, char *y, size_t size)
{
	const uint32_t n = 1U << 18;
	struct fpi *v = calloc(n, sizeof(*v));
	char a[64];
	uint32_t i;

	x[0] = y[0] = '\0';
	for (i = 0; v != NULL && i < n; i++) {
		addr_of(a, sizeof(a), i);
		v[i].fp = dupes_fingerprint(a);
		v[i].i = i;
	}
	if (v != NULL)
		qsort(v, n, sizeof(*v), by_fp);
	for (i = 1; v != NULL && i < n; i++)
		if (v[i].fp == v[i - 1].fp) {
			addr_of(x, size, v[i - 1].i);
			addr_of(y, size, v[i].i);
			break;
		}
	free(v);
}

int
main(void)
{
	struct dupes d;
	char a[64], x[64], y[64], *p;
	size_t i, k, found;

	dupes_init(&d);
	is_int(dupes_seal(&d), 0, "an empty set has no duplicates");
	dupes_fini(&d);

	dupes_init(&d);
	dupes_add(&d, "kim@example.com");
	dupes_add(&d, "lee@example.com");
	dupes_add(&d, "KIM@Example.com");
	dupes_add(&d, "park@example.com");
	dupes_add(&d, "kim@example.com");
	is_int(dupes_seal(&d), 1, "one address noted three times, case folded");
	is_int(dupes_first(&d, "lee@example.com", 2), 0, "lee is no duplicate");
	is_int(dupes_first(&d, "kim@example.com", 1), 0,
	    "the first row with kim is remembered, not reported");
	is_int(dupes_first(&d, "Kim@example.COM", 3), 1,
	    "row 3 is told row 1 had it first");
	is_int(dupes_first(&d, "kim@example.com", 5), 1, "so is row 5");
	is_int(dupes_first(&d, "kim@example.com", 1), 0,
	    "row 1 again (two recipients of one row) is no duplicate");
	is_int(dupes_first(&d, "nobody@example.com", 9), 0, "an unknown address");
	dupes_fini(&d);

	/* Many distinct addresses, every 1000th repeated once. */
	dupes_init(&d);
	for (i = 0; i < 200000; i++) {
		addr_of(a, sizeof(a), (uint32_t)i);
		dupes_add(&d, a);
	}
	for (i = 0; i < 200000; i += 1000) {
		addr_of(a, sizeof(a), (uint32_t)i);
		dupes_add(&d, a);
	}
	ok(sizeof(d.fp[0]) == 4, "4 bytes a recipient");
	ok(d.cap <= 2 * 200200, "... in one array, at most doubled");
	k = dupes_seal(&d);
	ok(k > 200, "200 repeated addresses among 200,200, and fingerprints "
	    "shared by distinct ones (%zu candidates)", k);
	ok(d.cap == k, "the memory shrinks to the candidates");
	found = 0;
	for (i = 0; i < 200000; i++) {
		addr_of(a, sizeof(a), (uint32_t)i);
		found += dupes_first(&d, a, i + 1) != 0;
	}
	is_int(found, 0, "first occurrences are never reported, whatever "
	    "fingerprint they share");
	for (i = 0; i < 200000; i += 1000) {
		addr_of(a, sizeof(a), (uint32_t)i);
		found += dupes_first(&d, a, 300000 + i) == i + 1;
	}
	is_int(found, 200, "each repeat names its first row");
	ok(d.nseen < 200 + 2 * (k - 200) + 1, "pass 2 remembers only the "
	    "addresses of candidates (%zu)", d.nseen);
	dupes_fini(&d);

	collide(x, y, sizeof(x));
	ok(strcmp(x, y) != 0 && dupes_fingerprint(x) == dupes_fingerprint(y),
	    "two distinct addresses with one fingerprint: %s, %s", x, y);
	dupes_init(&d);
	dupes_add(&d, x);
	dupes_add(&d, "lee@example.com");
	dupes_add(&d, y);
	dupes_add(&d, x);
	dupes_add(&d, y);
	is_int(dupes_seal(&d), 1, "one candidate fingerprint");
	is_int(dupes_first(&d, x, 1), 0, "row 1 has the first");
	is_int(dupes_first(&d, "lee@example.com", 2), 0, "lee is no duplicate");
	is_int(dupes_first(&d, y, 3), 0,
	    "row 3's address shares row 1's fingerprint: no false duplicate");
	is_int(dupes_first(&d, x, 4), 1, "row 4 repeats row 1's address");
	for (p = y; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	is_int(dupes_first(&d, y, 5), 3, "row 5 repeats row 3's, case folded");
	dupes_fini(&d);

	dupes_init(&d);
	dupes_add(&d, x);
	dupes_add(&d, y);
	is_int(dupes_seal(&d), 1, "only the shared fingerprint");
	is_int(dupes_first(&d, x, 1), 0, "a collision alone: row 1 ...");
	is_int(dupes_first(&d, y, 2), 0, "... and row 2 are no duplicates");
	dupes_fini(&d);
	return tap_done();
}
