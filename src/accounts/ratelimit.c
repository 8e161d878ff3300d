/*
 * Per-account pacing.  Mails are spread evenly, one every ms/n
 * milliseconds, rather than sent in bursts of n: providers judge a
 * sender by its short-term rate, and an even pace never exceeds n in
 * any sliding window of ms.  The gap is rounded up so that rounding
 * can never let n + 1 mails into one window.  The caller passes the
 * clock, so tests need no sleeping and the module has no state but r.
 */
#include <stdint.h>

#include "ratelimit.h"

void
ratelimit_init(struct ratelimit *r, unsigned n, unsigned ms)
{
	r->n = n;
	r->ms = ms;
	r->next_ms = 0;
}

uint64_t
ratelimit_wait(const struct ratelimit *r, uint64_t now_ms)
{
	if (r->n == 0 || r->next_ms <= now_ms)
		return 0;
	return r->next_ms - now_ms;
}

void
ratelimit_take(struct ratelimit *r, uint64_t now_ms)
{
	uint64_t gap, start;

	if (r->n == 0)
		return;
	gap = ((uint64_t)r->ms + r->n - 1) / r->n;
	start = r->next_ms > now_ms ? r->next_ms : now_ms;
	r->next_ms = start + gap;
}
