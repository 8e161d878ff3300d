/* Unit tests of the duplicate-recipient finder. */
#include <stdio.h>

#include "dupes.h"
#include "tap.h"

int
main(void)
{
	struct dupes d;
	char a[64];
	size_t i, found;

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
		snprintf(a, sizeof(a), "s%zu@example.com", i);
		dupes_add(&d, a);
	}
	for (i = 0; i < 200000; i += 1000) {
		snprintf(a, sizeof(a), "s%zu@example.com", i);
		dupes_add(&d, a);
	}
	is_int(dupes_seal(&d), 200, "200 repeated addresses among 200,200");
	ok(d.cap == 200, "the memory shrinks to the duplicates");
	found = 0;
	for (i = 0; i < 200000; i++) {
		snprintf(a, sizeof(a), "s%zu@example.com", i);
		found += dupes_first(&d, a, i + 1) != 0;
	}
	is_int(found, 0, "first occurrences are never reported");
	for (i = 0; i < 200000; i += 1000) {
		snprintf(a, sizeof(a), "s%zu@example.com", i);
		found += dupes_first(&d, a, 300000 + i) == i + 1;
	}
	is_int(found, 200, "each repeat names its first row");
	dupes_fini(&d);
	return tap_done();
}
