/*
 * Unit tests of ratelimit with a fake clock: the even spread, a late
 * caller losing no pace, a burst never exceeding n in any window, and
 * n == 0 meaning unlimited.
 */
#include <stdint.h>

#include "ratelimit.h"
#include "tap.h"

/* Send count mails as fast as r allows from t0; the last send time. */
static uint64_t
run(struct ratelimit *r, uint64_t t0, unsigned count, uint64_t *sent)
{
	uint64_t now = t0;
	unsigned i;

	for (i = 0; i < count; i++) {
		now += ratelimit_wait(r, now);
		sent[i] = now;
		ratelimit_take(r, now);
	}
	return now;
}

static void
test_even(void)
{
	struct ratelimit r;
	uint64_t sent[5];

	ratelimit_init(&r, 20, 60000);
	is_int(ratelimit_wait(&r, 1000), 0, "first mail goes at once");
	ratelimit_take(&r, 1000);
	is_int(ratelimit_wait(&r, 1000), 3000, "20/min: 3 s gap");
	is_int(ratelimit_wait(&r, 2500), 1500, "half-way: 1.5 s left");
	is_int(ratelimit_wait(&r, 4000), 0, "gap over: go");
	is_int(ratelimit_wait(&r, 90000), 0, "long after: go");
	ratelimit_take(&r, 90000);
	is_int(r.next_ms, 93000, "late take paces from now, no burst credit");
	ratelimit_init(&r, 20, 60000);
	run(&r, 0, 5, sent);
	ok(sent[0] == 0 && sent[1] == 3000 && sent[4] == 12000,
	    "sends at 0, 3000, ... 12000");
}

static void
test_window(void)
{
	struct ratelimit r;
	uint64_t sent[64];
	unsigned i;
	int worst = 1;

	/* 7/s: 1000/7 is not whole; rounding must not let 8 in. */
	ratelimit_init(&r, 7, 1000);
	run(&r, 5, 64, sent);
	for (i = 7; i < 64; i++)
		if (sent[i] - sent[i - 7] < 1000)
			worst = 0;
	ok(worst, "7/s: never 8 mails in any 1000 ms window");
	is_int(sent[1] - sent[0], 143, "7/s: gap rounded up to 143 ms");
	ratelimit_init(&r, 5000, 1000);
	run(&r, 0, 3, sent);
	ok(sent[2] == 2, "more mails than ms: gap rounds up to 1 ms");
}

static void
test_unlimited(void)
{
	struct ratelimit r;
	unsigned i;
	int zero = 1;

	ratelimit_init(&r, 0, 0);
	for (i = 0; i < 1000; i++) {
		if (ratelimit_wait(&r, 42) != 0)
			zero = 0;
		ratelimit_take(&r, 42);
	}
	ok(zero, "n == 0: never waits");
	is_int(r.next_ms, 0, "n == 0: no state");
}

int
main(void)
{
	test_even();
	test_window();
	test_unlimited();
	return tap_done();
}
