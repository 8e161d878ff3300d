#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

/*
 * The monotonic clock in milliseconds, for deadlines and pacing, and a
 * sleep that resumes after signals.  The one home of both.
 */

/* Milliseconds of CLOCK_MONOTONIC: differences only mean something. */
uint64_t clock_ms(void);

/* Sleep ms milliseconds, resuming after EINTR. */
void	clock_sleep_ms(uint64_t ms);

#endif /* CLOCK_H */
