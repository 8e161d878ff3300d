/* Unit tests of base64 and SHA-256 (RFC 4648 §10, FIPS 180-2 vectors). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "nitems.h"
#include "tap.h"

static const char *
b64(struct buf *b, const char *s)
{
	buf_reset(b);
	codec_base64(b, s, strlen(s));
	return buf_str(b);
}

static void
count(void *arg, const void *p, size_t n)
{
	(void)p;
	*(size_t *)arg += n;
}

/* A file's SHA-256 read from its descriptor, its chunks counted. */
static void
test_fd(void)
{
	char path[] = "/tmp/test_codec.XXXXXX", hex[CODEC_SHA256_HEX];
	int fd = mkstemp(path);
	size_t seen = 0;

	ok(fd != -1 && write(fd, "xabc", 4) == 4 && lseek(fd, 1, SEEK_SET) == 1,
	    "a file holding xabc, read from offset 1");
	ok(codec_sha256_fd(fd, hex, count, &seen) == 0, "codec_sha256_fd");
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad", "... sha256(abc)");
	is_int((int)seen, 3, "... each chunk given to fn");
	close(fd);
	unlink(path);
	ok(codec_sha256_fd(fd, hex, NULL, NULL) == -1,
	    "a closed descriptor: -1");
}

int
main(void)
{
	static const char *const vec[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	struct codec_sha256 h;
	char hex[CODEC_SHA256_HEX];
	char big[200];
	struct buf b, d;
	size_t i;

	buf_init(&b, 1 << 16);
	buf_init(&d, 1 << 16);
	for (i = 0; i < nitems(vec); i++)
		is_str(b64(&b, vec[i][0]), vec[i][1], "base64(\"%s\")",
		    vec[i][0]);
	is_str(b64(&b, "\0user\0secret" + 0), "", "NUL-started: measured by n");
	buf_reset(&b);
	codec_base64(&b, "\0user\0pass", 10);
	is_str(buf_str(&b), "AHVzZXIAcGFzcw==", "AUTH PLAIN payload");
	memset(big, 'a', sizeof(big));
	buf_reset(&b);
	codec_base64_lines(&b, big, sizeof(big));
	ok(strncmp(b.data + 76, "\r\n", 2) == 0, "lines of 76 characters");
	ok(b.len >= 2 && strcmp(b.data + b.len - 2, "\r\n") == 0,
	    "last line ends in CRLF");
	buf_reset(&d);
	{
		/* decode line by line: strip CRLF first */
		struct buf s;

		buf_init(&s, 1 << 16);
		for (i = 0; i < b.len; i++)
			if (b.data[i] != '\r' && b.data[i] != '\n')
				buf_addc(&s, b.data[i]);
		is_int(codec_unbase64(&d, s.data, s.len), 0, "decodes");
		ok(d.len == sizeof(big) && memcmp(d.data, big, d.len) == 0,
		    "round trip");
		buf_fini(&s);
	}
	buf_reset(&d);
	is_int(codec_unbase64(&d, "Zm9v!", 5), -1, "bad base64 refused");
	codec_sha256_init(&h);
	codec_sha256_update(&h, "abc", 3);
	codec_sha256_hex(&h, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad", "sha256(abc)");
	codec_sha256_init(&h);
	codec_sha256_hex(&h, hex);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855", "sha256(\"\")");
	buf_fini(&b);
	buf_fini(&d);
	test_fd();
	return tap_done();
}
