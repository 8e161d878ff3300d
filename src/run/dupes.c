/*
 * Duplicate recipients in bounded, compact memory.  A hash table keyed
 * by address with the row beside it costs 24 bytes or more a recipient
 * at a comfortable load, and doubles while it grows; one flat array of
 * 32-bit fingerprints costs 4, and a realloc()ed block of that size
 * grows by remapping rather than copying.  Sorting it in place
 * (heapsort: no scratch memory, unlike qsort's merge sort) brings equal
 * fingerprints together.  32 bits are few: among a million distinct
 * addresses about a hundred pairs share a fingerprint, so the second
 * pass keeps the text of each address whose fingerprint is a candidate
 * and compares it.  Its memory grows with the addresses that really are
 * duplicates (each one warned about) and those few strangers.
 */
#include <stdlib.h>
#include <string.h>

#include "dupes.h"
#include "xalloc.h"

#define DUPES_FIRST_CAP	4096	/* fingerprints in the first block */

/* An address met in pass 2 under a candidate fingerprint. */
struct dupes_seen {
	size_t		 text;		/* offset in d->text */
	uint32_t	 row;		/* the first row with it */
	uint32_t	 next;		/* the previous one of its fp, + 1 */
};

static unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* FNV-1a over the case-folded address, then a 32-bit finaliser. */
uint32_t
dupes_fingerprint(const char *s)
{
	uint32_t h = 2166136261U;

	for (; *s != '\0'; s++)
		h = (h ^ fold((unsigned char)*s)) * 16777619U;
	h ^= h >> 16;
	h *= 0x85ebca6bU;
	h ^= h >> 13;
	h *= 0xc2b2ae35U;
	h ^= h >> 16;
	return h;
}

void
dupes_init(struct dupes *d)
{
	memset(d, 0, sizeof(*d));
}

void
dupes_fini(struct dupes *d)
{
	free(d->fp);
	free(d->head);
	free(d->seen);
	free(d->text);
	dupes_init(d);
}

void
dupes_add(struct dupes *d, const char *addr)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : DUPES_FIRST_CAP;
		d->fp = xreallocarray(d->fp, d->cap, sizeof(*d->fp));
	}
	d->fp[d->n++] = dupes_fingerprint(addr);
}

static void
sift_down(uint32_t *a, size_t root, size_t n)
{
	size_t child;
	uint32_t t;

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
heapsort_u32(uint32_t *a, size_t n)
{
	size_t i;
	uint32_t t;

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

	heapsort_u32(d->fp, d->n);
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
		d->head = xcalloc(k, sizeof(*d->head));
	}
	d->sealed = true;
	return k;
}

/* The index of fingerprint h among the candidates, or d->n. */
static size_t
candidate(const struct dupes *d, uint32_t h)
{
	size_t lo = 0, hi = d->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (d->fp[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->n && d->fp[lo] == h ? lo : d->n;
}

/* a (stored folded) and b are the same address, case folded. */
static bool
same(const char *a, const char *b)
{
	for (; *a != '\0' && *a == (char)fold((unsigned char)*b); a++, b++)
		continue;
	return *a == '\0' && *b == '\0';
}

/* Remember addr, first met on row, under candidate c. */
static void
remember(struct dupes *d, size_t c, const char *addr, size_t row)
{
	size_t len = strlen(addr) + 1, i;
	struct dupes_seen *s;

	if (d->nseen == d->seencap) {
		d->seencap = d->seencap ? d->seencap * 2 : 16;
		d->seen = xreallocarray(d->seen, d->seencap, sizeof(*d->seen));
	}
	while (d->textlen + len > d->textcap) {
		d->textcap = d->textcap ? d->textcap * 2 : 1024;
		d->text = xrealloc(d->text, d->textcap);
	}
	for (i = 0; i < len; i++)
		d->text[d->textlen + i] = (char)fold((unsigned char)addr[i]);
	s = &d->seen[d->nseen++];
	s->text = d->textlen;
	s->row = (uint32_t)(row <= UINT32_MAX ? row : UINT32_MAX);
	s->next = d->head[c];
	d->head[c] = (uint32_t)d->nseen;
	d->textlen += len;
}

size_t
dupes_first(struct dupes *d, const char *addr, size_t row)
{
	size_t c = candidate(d, dupes_fingerprint(addr));
	const struct dupes_seen *s;
	uint32_t i;

	if (c == d->n)
		return 0;
	for (i = d->head[c]; i != 0; i = s->next) {
		s = &d->seen[i - 1];
		if (same(d->text + s->text, addr))
			return s->row == row ? 0 : s->row;
	}
	remember(d, c, addr, row);
	return 0;
}
