#ifndef BUF_H
#define BUF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A growable byte buffer with a hard cap.  data is always
 * NUL-terminated (once anything was added), so text can be used as a
 * C string; binary data may hold NULs and is measured by len.
 */
struct buf {
	char	*data;	/* NULL until the first add */
	size_t	 len;	/* bytes in use, not counting the NUL */
	size_t	 size;	/* bytes allocated */
	size_t	 cap;	/* len never exceeds this */
};

void	buf_init(struct buf *b, size_t cap);
void	buf_fini(struct buf *b);		/* frees; b may be reused after init */
void	buf_reset(struct buf *b);		/* len = 0, keeps the memory */
void	buf_wipe(struct buf *b);	/* zero every byte (secrets), then fini */

/* Append; 0, or -1 (b unchanged) if the cap would be passed. */
int	buf_add(struct buf *b, const void *p, size_t n);
int	buf_addc(struct buf *b, int c);
int	buf_adds(struct buf *b, const char *s);
int	buf_addf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Grow len by n and return where those n (uninitialised) bytes start,
 * for writing in place; NULL (b unchanged) if the cap would be passed.
 */
char	*buf_extend(struct buf *b, size_t n);

/* Shorten to n bytes (n <= len). */
void	buf_truncate(struct buf *b, size_t n);

/* The contents as a C string, "" when empty; valid until b changes. */
const char *buf_str(const struct buf *b);

#endif /* BUF_H */
