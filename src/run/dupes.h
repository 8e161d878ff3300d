#ifndef DUPES_H
#define DUPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Recipients that appear on more than one row, found with 4 bytes of
 * memory per recipient: a 32-bit fingerprint of each address (case
 * folded) goes into one array, which is sorted in place at the end of
 * the validation pass and cut down to the fingerprints seen twice.
 * Those are candidates only: distinct addresses may share one.  Rows
 * are not kept: the caller finds them in a second, header-only pass
 * over the roster, which runs only when there is a candidate, and which
 * compares the addresses themselves, so a shared fingerprint never
 * makes a false duplicate.
 */
struct dupes_seen;

struct dupes {
	uint32_t	*fp;		/* fingerprints; after seal: the
					   candidates, sorted */
	uint32_t	*head;		/* after seal: each candidate's last
					   address met in pass 2, + 1, or 0 */
	struct dupes_seen *seen;	/* those addresses and first rows */
	char		*text;		/* their text, case folded */
	size_t		 n;
	size_t		 cap;
	size_t		 nseen, seencap;
	size_t		 textlen, textcap;
	bool		 sealed;
};

void	dupes_init(struct dupes *d);
void	dupes_fini(struct dupes *d);

/* Note one recipient address (before dupes_seal()). */
void	dupes_add(struct dupes *d, const char *addr);

/*
 * Sort, keep one fingerprint of each that was noted more than once, and
 * give the rest of the memory back.  Returns how many such fingerprints:
 * 0 means no address was noted twice.
 */
size_t	dupes_seal(struct dupes *d);

/*
 * After dupes_seal(), for the second pass: 0 if addr is not a duplicate
 * or row is the first row seen with it (which is then remembered),
 * else that first row.  Only the addresses of candidate fingerprints
 * are remembered.
 */
size_t	dupes_first(struct dupes *d, const char *addr, size_t row);

/* An address's fingerprint (for the tests, which make two collide). */
uint32_t dupes_fingerprint(const char *addr);

#endif /* DUPES_H */
