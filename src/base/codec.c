/*
 * base64 and SHA-256 through nettle, the only module that includes it.
 * Encoding goes straight into the caller's buffer: no temporaries.
 */
#include <assert.h>
#include <string.h>
#include <unistd.h>

#include <nettle/base64.h>
#include <nettle/sha2.h>

#include "codec.h"

#define LINE_BYTES	57	/* 57 bytes make one 76-character line */

_Static_assert(sizeof(struct sha256_ctx) <= sizeof(((struct codec_sha256 *)0)->ctx),
    "codec_sha256 too small for nettle's context");

int
codec_base64(struct buf *out, const void *p, size_t n)
{
	char *at = buf_extend(out, BASE64_ENCODE_RAW_LENGTH(n));

	if (at == NULL)
		return -1;
	base64_encode_raw(at, n, p);
	return 0;
}

int
codec_base64_lines(struct buf *out, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t full = n / LINE_BYTES, rest = n % LINE_BYTES, i;
	size_t line = BASE64_ENCODE_RAW_LENGTH(LINE_BYTES) + 2;
	char *at;

	/* One reservation, then each line encoded in place. */
	at = buf_extend(out, full * line +
	    (rest ? BASE64_ENCODE_RAW_LENGTH(rest) + 2 : 0));
	if (at == NULL)
		return -1;
	for (i = 0; i < full; i++, s += LINE_BYTES, at += line) {
		base64_encode_raw(at, LINE_BYTES, s);
		memcpy(at + line - 2, "\r\n", 2);
	}
	if (rest > 0) {
		base64_encode_raw(at, rest, s);
		memcpy(at + BASE64_ENCODE_RAW_LENGTH(rest), "\r\n", 2);
	}
	return 0;
}

int
codec_unbase64(struct buf *out, const char *s, size_t n)
{
	struct base64_decode_ctx ctx;
	unsigned char chunk[768];
	size_t done;

	base64_decode_init(&ctx);
	while (n > 0) {
		size_t k = n < 512 ? n : 512;

		done = sizeof(chunk);
		if (!base64_decode_update(&ctx, &done, chunk, k, s))
			return -1;
		if (buf_add(out, chunk, done) == -1)
			return -1;
		s += k;
		n -= k;
	}
	return base64_decode_final(&ctx) ? 0 : -1;
}

void
codec_sha256_init(struct codec_sha256 *h)
{
	sha256_init((struct sha256_ctx *)(void *)h->ctx);
}

void
codec_sha256_update(struct codec_sha256 *h, const void *p, size_t n)
{
	sha256_update((struct sha256_ctx *)(void *)h->ctx, n, p);
}

void
codec_sha256_hex(struct codec_sha256 *h, char out[CODEC_SHA256_HEX])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[SHA256_DIGEST_SIZE];
	size_t i;

	sha256_digest((struct sha256_ctx *)(void *)h->ctx, sizeof(d), d);
	for (i = 0; i < sizeof(d); i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * sizeof(d)] = '\0';
	assert(2 * sizeof(d) + 1 == CODEC_SHA256_HEX);
}

int
codec_sha256_fd(int fd, char out[CODEC_SHA256_HEX], codec_chunk_fn *fn,
    void *arg)
{
	struct codec_sha256 h;
	char chunk[65536];
	ssize_t n;

	codec_sha256_init(&h);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		codec_sha256_update(&h, chunk, (size_t)n);
		if (fn != NULL)
			fn(arg, chunk, (size_t)n);
	}
	if (n == -1)
		return -1;
	codec_sha256_hex(&h, out);
	return 0;
}
