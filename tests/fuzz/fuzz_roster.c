#define _GNU_SOURCE	/* memfd_create */
/*
 * libFuzzer harness for roster.c.  roster_open() takes a path, so each
 * input is written to one file in a private temporary directory (made
 * once, rewritten per input).  The file is read twice: with detection,
 * and with an encoding and delimiter forced by the first byte.  Each
 * pass reads every record, rewinds and reads them again; the property
 * is that both readings give the same sequence of results and that
 * every field and column name is valid UTF-8 of the length it claims.
 */
#include <stdint.h>
#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "roster.h"

#include "fuzz.h"

#define PASS_MAX	4096	/* results compared per pass */

static const char *const encodings[] = {
	NULL, "UTF-8", "CP949", "EUC-KR", "UTF-16LE", "UTF-16BE", "UTF-16",
	"ISO-8859-1"
};
static const int delims[] = { 0, ',', ';', '\t', '|', ' ' };

/*
 * The input lives in an anonymous memory file, opened by path through
 * /proc: nothing is left behind however the fuzzer ends.
 */
static int memfd = -1;
static char path[64];

static void
setup(void)
{
	if (memfd != -1)
		return;
	memfd = memfd_create("fuzz_roster", 0);
	if (memfd == -1) {
		perror("memfd_create");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
}

static void
put_file(const unsigned char *data, size_t size)
{
	if (ftruncate(memfd, 0) == -1 || (size > 0 &&
	    pwrite(memfd, data, size, 0) != (ssize_t)size)) {
		perror(path);
		abort();
	}
}

/* One result of roster_next, as compared between the two readings. */
struct result {
	int	rc;
	size_t	row;
	size_t	line;
};

static void
check_row(const struct roster *r, const struct roster_row *row)
{
	size_t i;

	CHECK(row->nfields == roster_ncols(r), "nfields %zu, ncols %zu",
	    row->nfields, roster_ncols(r));
	CHECK(row->fields != NULL && row->lens != NULL, "no fields");
	for (i = 0; i < row->nfields; i++) {
		CHECK(strlen(row->fields[i]) == row->lens[i],
		    "field %zu: strlen %zu, len %zu", i,
		    strlen(row->fields[i]), row->lens[i]);
		CHECK(fuzz_utf8_valid(row->fields[i], row->lens[i]),
		    "field %zu is not UTF-8", i);
	}
}

/* Read to the end; the results go into res, their count is returned. */
static size_t
read_all(struct roster *r, struct result *res)
{
	struct roster_row row;
	struct err e;
	size_t n = 0;
	int rc;

	do {
		err_clear(&e);
		memset(&row, 0, sizeof(row));
		rc = roster_next(r, &row, &e);
		CHECK(rc == 1 || rc == 0 || rc == -1 || rc == -2, "rc %d", rc);
		if (rc == 1)
			check_row(r, &row);
		if (rc < 0)
			CHECK_ERR(&e);
		if (rc != 0 && rc != -1) {
			CHECK(row.row == (n > 0 ? res[n - 1].row + 1 : 1),
			    "row %zu after %zu", row.row,
			    n > 0 ? res[n - 1].row : 0);
			CHECK(n == 0 || row.line > res[n - 1].line,
			    "line %zu after %zu", row.line, res[n - 1].line);
		}
		res[n].rc = rc;
		res[n].row = rc == 0 || rc == -1 ? 0 : row.row;
		res[n].line = rc == 0 || rc == -1 ? 0 : row.line;
		n++;
	} while (rc != 0 && rc != -1 && n < PASS_MAX);
	return n;
}

static void
one_pass(const char *enc, int delim)
{
	static struct result a[PASS_MAX], b[PASS_MAX];
	struct roster_params p = { path, enc, delim, false, NULL };
	struct roster *r;
	struct err e;
	size_t i, na, nb;

	err_clear(&e);
	if (roster_open(&r, &p, &e) == -1) {
		CHECK(r == NULL, "roster_open failed but set *rp");
		CHECK(e.kind != E_NONE, "roster_open failed, no error kind");
		CHECK_ERR(&e);
		return;
	}
	CHECK(roster_ncols(r) > 0 && roster_ncols(r) <= ROSTER_COLS_MAX,
	    "ncols %zu", roster_ncols(r));
	for (i = 0; i < roster_ncols(r); i++)
		CHECK(fuzz_utf8_valid(roster_cols(r)[i],
		    strlen(roster_cols(r)[i])), "column %zu not UTF-8", i);
	na = read_all(r, a);
	err_clear(&e);
	CHECK(roster_rewind(r, &e) == 0, "rewind failed: %s: %s", e.where,
	    e.msg);
	nb = read_all(r, b);
	CHECK(na == nb, "first pass %zu results, second %zu", na, nb);
	for (i = 0; i < na; i++)
		CHECK(a[i].rc == b[i].rc && a[i].row == b[i].row &&
		    a[i].line == b[i].line, "result %zu: (%d, row %zu, line "
		    "%zu) then (%d, row %zu, line %zu)", i, a[i].rc, a[i].row,
		    a[i].line, b[i].rc, b[i].row, b[i].line);
	roster_free(r);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	unsigned char sel = size > 0 ? data[0] : 0;

	setup();
	put_file(data, size);
	one_pass(NULL, 0);
	one_pass(encodings[sel % (sizeof(encodings) / sizeof(encodings[0]))],
	    delims[(sel >> 4) % (sizeof(delims) / sizeof(delims[0]))]);
	return 0;
}
