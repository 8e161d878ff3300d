#ifndef CODEC_H
#define CODEC_H

#include <stddef.h>

#include "buf.h"

/*
 * Thin wrappers over nettle: base64 (RFC 4648) for MIME bodies,
 * encoded-words and AUTH, and SHA-256 for the report's checksums.
 */

#define CODEC_SHA256_HEX	65	/* 64 hex digits and the NUL */

/* Base64 of p[0..n) appended to out, no line breaks.  -1 at out's cap. */
int	codec_base64(struct buf *out, const void *p, size_t n);

/*
 * Base64 of p[0..n) appended to out in lines of 76 characters, each
 * ended by CRLF (RFC 2045 §6.8).  -1 at out's cap.
 */
int	codec_base64_lines(struct buf *out, const void *p, size_t n);

/* Decode base64 text; -1 if it is not base64 or out's cap is reached. */
int	codec_unbase64(struct buf *out, const char *s, size_t n);

/* Incremental SHA-256, hex digest. */
struct codec_sha256 {
	_Alignas(16) unsigned char ctx[128];	/* opaque: a struct sha256_ctx */
};
void	codec_sha256_init(struct codec_sha256 *h);
void	codec_sha256_update(struct codec_sha256 *h, const void *p, size_t n);
void	codec_sha256_hex(struct codec_sha256 *h, char out[CODEC_SHA256_HEX]);

/*
 * The SHA-256 of what fd holds from its offset to its end, each chunk
 * read also given to fn unless NULL.  -1 with errno if a read fails.
 */
typedef void codec_chunk_fn(void *arg, const void *p, size_t n);
int	codec_sha256_fd(int fd, char out[CODEC_SHA256_HEX], codec_chunk_fn *fn,
	    void *arg);

#endif /* CODEC_H */
