/*
 * Duplicate recipients in bounded, compact memory.  A hash table keyed
 * by address with the row beside it costs 24 bytes or more a recipient
 * at a comfortable load, and doubles while it grows; one flat array of
 * fingerprints costs 8, and a realloc()ed block of that size grows by
 * remapping rather than copying.  Sorting it in place (heapsort: no
 * scratch memory, unlike qsort's merge sort) brings equal fingerprints
 * together.  A 64-bit fingerprint mistakes two of a million distinct
 * addresses for one with a chance of about 3 in 100 million.
 */
#include <stdlib.h>

#include "dupes.h"
#include "xalloc.h"

#define DUPES_FIRST_CAP	4096	/* fingerprints in the first block */

/* FNV-1a over the case-folded address, then a 64-bit finaliser. */
static uint64_t
fingerprint(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		h = (h ^ c) * 1099511628211ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

void
dupes_init(struct dupes *d)
{
	d->fp = NULL;
	d->first = NULL;
	d->n = d->cap = 0;
	d->sealed = false;
}

void
dupes_fini(struct dupes *d)
{
	free(d->fp);
	free(d->first);
	dupes_init(d);
}

void
dupes_add(struct dupes *d, const char *addr)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : DUPES_FIRST_CAP;
		d->fp = xreallocarray(d->fp, d->cap, sizeof(*d->fp));
	}
	d->fp[d->n++] = fingerprint(addr);
}

static void
sift_down(uint64_t *a, size_t root, size_t n)
{
	size_t child;
	uint64_t t;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n && a[child + 1] > a[child])
			child++;
		if (a[root] >= a[child])
			return;
		t = a[root];
		a[root] = a[child];
		a[child] = t;
		root = child;
	}
}

static void
heapsort_u64(uint64_t *a, size_t n)
{
	size_t i;
	uint64_t t;

	for (i = n / 2; i-- > 0;)
		sift_down(a, i, n);
	for (i = n; i-- > 1;) {
		t = a[0];
		a[0] = a[i];
		a[i] = t;
		sift_down(a, 0, i);
	}
}

size_t
dupes_seal(struct dupes *d)
{
	size_t i, k = 0;

	heapsort_u64(d->fp, d->n);
	for (i = 1; i < d->n; i++)
		if (d->fp[i] == d->fp[i - 1] &&
		    (k == 0 || d->fp[k - 1] != d->fp[i]))
			d->fp[k++] = d->fp[i];
	d->n = k;
	d->cap = k;
	if (k == 0) {
		free(d->fp);
		d->fp = NULL;
	} else {
		d->fp = xreallocarray(d->fp, k, sizeof(*d->fp));
		d->first = xcalloc(k, sizeof(*d->first));
	}
	d->sealed = true;
	return k;
}

size_t
dupes_first(struct dupes *d, const char *addr, size_t row)
{
	uint64_t h = fingerprint(addr);
	size_t lo = 0, hi = d->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (d->fp[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == d->n || d->fp[lo] != h)
		return 0;
	if (d->first[lo] == 0 || d->first[lo] == row) {
		d->first[lo] = (uint32_t)(row <= UINT32_MAX ? row : UINT32_MAX);
		return 0;
	}
	return d->first[lo];
}
