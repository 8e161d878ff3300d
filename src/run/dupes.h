#ifndef DUPES_H
#define DUPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Recipients that appear on more than one row, found with 8 bytes of
 * memory per recipient: a 64-bit fingerprint of each address (case
 * folded) goes into one array, which is sorted in place at the end of
 * the validation pass and cut down to the fingerprints seen twice.
 * Rows are not kept: the caller finds them in a second, header-only
 * pass over the roster, which runs only when there is a duplicate.
 */
struct dupes {
	uint64_t	*fp;		/* fingerprints; after seal: the dups */
	uint32_t	*first;		/* after seal: first row of each, or 0 */
	size_t		 n;
	size_t		 cap;
	bool		 sealed;
};

void	dupes_init(struct dupes *d);
void	dupes_fini(struct dupes *d);

/* Note one recipient address (before dupes_seal()). */
void	dupes_add(struct dupes *d, const char *addr);

/*
 * Sort, keep one fingerprint of each address noted more than once, and
 * give the rest of the memory back.  Returns how many such addresses.
 */
size_t	dupes_seal(struct dupes *d);

/*
 * After dupes_seal(), for the second pass: 0 if addr is not a duplicate
 * or row is the first row seen with it (which is then remembered),
 * else that first row.
 */
size_t	dupes_first(struct dupes *d, const char *addr, size_t row);

#endif /* DUPES_H */
