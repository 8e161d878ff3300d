#ifndef ZIPSTORE_H
#define ZIPSTORE_H

/*
 * Tests only: pack named buffers into a stored (uncompressed) ZIP in
 * memory (PKWARE APPNOTE 4.3), for sheet_open_mem().  The tests build
 * their workbooks part by part; sheet.c reads them with libzip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct part {
	const char	*name;
	const char	*data;
	size_t		 len;
};

/* CRC-32 (ISO 3309), bit by bit: inputs are small. */
static uint32_t __attribute__((unused))
crc32(const char *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	int k;

	while (n-- > 0) {
		c ^= (unsigned char)*p++;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
	}
	return c ^ 0xFFFFFFFFu;
}

static unsigned char *
put(unsigned char *o, uint32_t v, int n)
{
	for (int i = 0; i < n; i++)
		*o++ = (unsigned char)(v >> (8 * i));
	return o;
}

/* A stored ZIP of the parts (APPNOTE 4.3): headers, data, directory. */
static unsigned char * __attribute__((unused))
pack(const struct part *p, size_t n, size_t *len)
{
	size_t i, cap = 22, off = 0;
	unsigned char *z, *o, *cd;
	uint32_t *at = calloc(n, sizeof(*at));

	for (i = 0; i < n; i++)
		cap += 30 + 46 + 2 * strlen(p[i].name) + p[i].len;
	z = o = malloc(cap);
	for (i = 0; i < n; i++) {
		size_t nl = strlen(p[i].name);
		uint32_t crc = crc32(p[i].data, p[i].len);

		at[i] = (uint32_t)(o - z);
		o = put(o, 0x04034b50, 4);
		o = put(o, 20, 2), o = put(o, 0, 2), o = put(o, 0, 2);
		o = put(o, 0, 2), o = put(o, 0x21, 2);
		o = put(o, crc, 4), o = put(o, (uint32_t)p[i].len, 4);
		o = put(o, (uint32_t)p[i].len, 4);
		o = put(o, (uint32_t)nl, 2), o = put(o, 0, 2);
		memcpy(o, p[i].name, nl), o += nl;
		memcpy(o, p[i].data, p[i].len), o += p[i].len;
	}
	cd = o;
	for (i = 0; i < n; i++) {
		size_t nl = strlen(p[i].name);

		o = put(o, 0x02014b50, 4);
		o = put(o, 20, 2), o = put(o, 20, 2), o = put(o, 0, 2);
		o = put(o, 0, 2), o = put(o, 0, 2), o = put(o, 0x21, 2);
		o = put(o, crc32(p[i].data, p[i].len), 4);
		o = put(o, (uint32_t)p[i].len, 4);
		o = put(o, (uint32_t)p[i].len, 4);
		o = put(o, (uint32_t)nl, 2), o = put(o, 0, 2), o = put(o, 0, 2);
		o = put(o, 0, 2), o = put(o, 0, 2), o = put(o, 0, 4);
		o = put(o, at[i], 4);
		memcpy(o, p[i].name, nl), o += nl;
	}
	off = (size_t)(o - cd);
	o = put(o, 0x06054b50, 4), o = put(o, 0, 2), o = put(o, 0, 2);
	o = put(o, (uint32_t)n, 2), o = put(o, (uint32_t)n, 2);
	o = put(o, (uint32_t)off, 4), o = put(o, (uint32_t)(cd - z), 4);
	o = put(o, 0, 2);
	*len = (size_t)(o - z);
	free(at);
	return z;
}

#endif /* ZIPSTORE_H */
