#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stdint.h>

/*
 * Per-account pacing: at most n mails in any window of ms milliseconds
 * (sliding), spread evenly.  The clock is passed in, so tests need no
 * sleeping.
 */
struct ratelimit {
	unsigned	n;		/* mails per window; 0: unlimited */
	unsigned	ms;		/* window length */
	uint64_t	next_ms;	/* earliest time for the next mail */
};

void	ratelimit_init(struct ratelimit *r, unsigned n, unsigned ms);

/* Milliseconds to wait at time now_ms before the next mail (0: go). */
uint64_t ratelimit_wait(const struct ratelimit *r, uint64_t now_ms);

/* Note a mail sent at now_ms. */
void	ratelimit_take(struct ratelimit *r, uint64_t now_ms);

#endif /* RATELIMIT_H */
