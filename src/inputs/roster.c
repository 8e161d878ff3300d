/*
 * The roster reader: a CSV file (RFC 4180) turned into UTF-8 records.
 *
 * The pipeline is read (64 KiB chunks) -> iconv to UTF-8 (skipped for
 * UTF-8 input) -> libcsv's push parser -> one reused record buffer, so
 * memory stays flat however many rows there are.  An encoding is taken
 * from params, else from a BOM (UTF-8, UTF-16LE/BE), else by a first
 * streaming pass: valid UTF-8 is UTF-8, else valid CP949 (what Korean
 * Excel writes) is CP949, else the byte that broke the more plausible
 * of the two is reported.
 *
 * libcsv only reports fields and record ends, not positions, so the
 * converted text is fed to it one physical line at a time (up to and
 * including each CR or LF); between two calls we know the line number,
 * and a record starts on the line where the parser was between rows.
 * libcsv runs in strict mode (a stray quote is an error, not guessed
 * at) with no space trimming: RFC 4180 §2.4 says spaces are data.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <csv.h>
#include <iconv.h>

#include "buf.h"
#include "csvstate.h"
#include "err.h"
#include "i18n.h"
#include "nitems.h"
#include "roster.h"
#include "sheet.h"
#include "utf8.h"
#include "xalloc.h"

#define CHUNK_SIZE	(64 * 1024)		/* bytes per read */
#define CONV_SIZE	(2 * CHUNK_SIZE)	/* UTF-8 out per iconv call */
#define PARSE_BLK	(64 * 1024)		/* libcsv's field buffer step */
#define ROW_MAX		(16 * ROSTER_FIELD_MAX)	/* bytes in one record */
#define NAMES_MAX	160			/* column list in a message */
#define NOCONV		((iconv_t)-1)

enum bad {
	BAD_NONE,
	BAD_NUL,	/* NUL byte in a field */
	BAD_QUOTE,	/* quote inside an unquoted field */
	BAD_AFTERQ,	/* something other than a delimiter after a quote */
	BAD_FIELD,	/* field longer than ROSTER_FIELD_MAX */
	BAD_ROW,	/* record longer than ROW_MAX */
	BAD_CELL	/* spreadsheet: a value right of the header */
};

/* Where the encoding broke, for the message. */
struct badbyte {
	size_t		 off;		/* file offset */
	size_t		 line;
	unsigned char	 c;
};

struct roster {
	char		*path;
	char		*encname;	/* what roster_encoding() says */
	FILE		*f;
	struct sheet	*sh;		/* a spreadsheet instead of f */
	iconv_t		 cd;		/* NOCONV: the input is UTF-8 */
	int		 delim;
	struct csv_parser parser;
	bool		 parser_live;

	/* Input: raw bytes, converted bytes, what is left to parse. */
	char		*in;
	size_t		 inlen;		/* unconverted bytes left in in */
	size_t		 inoff;		/* file offset of in[0] */
	char		*out;
	const char	*win;
	size_t		 winlen;
	bool		 ineof;		/* nothing more to read */
	bool		 eof;		/* nothing more to convert */
	bool		 at_start;	/* a BOM may come next */
	bool		 skip_line;	/* resyncing after a parse error */
	bool		 prev_cr;	/* the last byte was a CR */
	struct badbyte	 bb;

	/* Position. */
	size_t		 line;		/* line being parsed */
	size_t		 rec_line;	/* line the record started on */
	size_t		 fld_line;	/* line the field started on */
	size_t		 row;

	/* The record being assembled. */
	struct buf	 rec;
	size_t		 nf;
	size_t		*offs;		/* ROSTER_COLS_MAX each */
	size_t		*lens;
	const char	**ptrs;
	bool		 rec_done;
	enum bad	 bad;
	size_t		 bad_col;
	size_t		 bad_line;
	unsigned char	 bad_c;

	/* The header. */
	struct buf	 hdr;
	const char	**cols;
	size_t		 ncols;
	size_t		 hdr_line;

	/* The first data row, read by roster_open(). */
	bool		 has_pend;
	int		 pend;
	struct roster_row pend_row;
	struct err	 pend_err;

	/* An error that ended the file sticks until roster_rewind(). */
	bool		 failed;
	struct err	 fail_err;
};

/*
 * Fill e with "path:line" or "path:line:column" in where; fmt is
 * translated here (a P_() plural comes translated already).
 */
static void __attribute__((format(printf, 5, 6)))
fail(const struct roster *r, struct err *e, size_t line, size_t col,
    const char *fmt, ...)
{
	char where[ERR_WHERE_MAX], ref[128];
	va_list ap;

	if (r->sh != NULL && line > 0) {
		sheet_ref(ref, sizeof(ref), sheet_name(r->sh), line,
		    col == SIZE_MAX ? 0 : col);
		snprintf(where, sizeof(where), "%s:%s", r->path, ref);
	} else if (col < r->ncols)
		snprintf(where, sizeof(where), "%s:%zu:%s", r->path, line,
		    r->cols[col]);
	else if (line > 0)
		snprintf(where, sizeof(where), "%s:%zu", r->path, line);
	else
		snprintf(where, sizeof(where), "%s", r->path);
	va_start(ap, fmt);
	err_setv(e, E_INPUT, where, fmt, ap);
	va_end(ap);
}

static void
fail_os(const struct roster *r, struct err *e, const char *what)
{
	err_set(e, E_NOINPUT, r->path, "cannot %s the roster: %s", what,
	    strerror(errno));
}

/* Lines ended in s[0..n): by LF, CRLF or a lone CR (old Mac Excel). */
static size_t
count_lines(const char *s, size_t n, bool *prev_cr)
{
	size_t i, lines = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r' || (s[i] == '\n' && !*prev_cr))
			lines++;
		*prev_cr = s[i] == '\r';
	}
	return lines;
}

/*
 * Input.  fill() makes the next window of UTF-8 text: 1, 0 at the end,
 * -1 on a read error, -2 on an encoding error (r->bb says where).
 */

static int
fill_raw(struct roster *r, struct err *e)
{
	size_t n;

	if (r->eof)
		return 0;
	r->inoff += r->inlen;
	n = fread(r->in, 1, CHUNK_SIZE, r->f);
	r->inlen = n;
	if (n == 0) {
		if (ferror(r->f)) {
			fail_os(r, e, "read");
			return -1;
		}
		r->eof = true;
		return 0;
	}
	r->win = r->in;
	r->winlen = n;
	return 1;
}

static int
conv_error(struct roster *r, struct err *e, const char *ip, const char *op)
{
	bool pcr = r->prev_cr;

	r->bb.off = r->inoff + (size_t)(ip - r->in);
	r->bb.c = (unsigned char)*ip;
	r->bb.line = r->line + count_lines(r->out, (size_t)(op - r->out),
	    &pcr);
	if (errno == EINVAL)
		fail(r, e, r->bb.line, SIZE_MAX, "the file ends inside a "
		    "character (offset %zu): it is not complete %s; pass "
		    "--encoding or save the file as CSV UTF-8",
		    r->bb.off, r->encname);
	else
		fail(r, e, r->bb.line, SIZE_MAX, "byte 0x%02x at offset %zu "
		    "is not valid %s; pass --encoding or save the file as "
		    "CSV UTF-8", r->bb.c, r->bb.off, r->encname);
	return -2;
}

static int
read_more(struct roster *r, struct err *e)
{
	size_t n;

	if (r->ineof)
		return 0;
	n = fread(r->in + r->inlen, 1, CHUNK_SIZE - r->inlen, r->f);
	if (n == 0 && ferror(r->f)) {
		fail_os(r, e, "read");
		return -1;
	}
	r->ineof = feof(r->f) != 0;
	r->inlen += n;
	return 0;
}

static int
fill_conv(struct roster *r, struct err *e)
{
	char *ip = r->in, *op = r->out;
	size_t il, ol = CONV_SIZE;

	if (r->eof)
		return 0;
	if (read_more(r, e) == -1)
		return -1;
	il = r->inlen;
	if (il == 0 && r->ineof) {
		/* Shift-state encodings may owe a final sequence. */
		iconv(r->cd, NULL, NULL, &op, &ol);
		r->eof = true;
	} else if (iconv(r->cd, &ip, &il, &op, &ol) == (size_t)-1 &&
	    errno != E2BIG && (errno != EINVAL || r->ineof))
		return conv_error(r, e, ip, op);
	/* EINVAL: a character split by the chunk end; keep its bytes. */
	r->inoff += (size_t)(ip - r->in);
	memmove(r->in, ip, il);
	r->inlen = il;
	r->win = r->out;
	r->winlen = (size_t)(op - r->out);
	return r->winlen > 0 || !r->eof ? 1 : 0;
}

static int
fill(struct roster *r, struct err *e)
{
	int rc;

	do {
		rc = r->cd == NOCONV ? fill_raw(r, e) : fill_conv(r, e);
	} while (rc == 1 && r->winlen == 0);
	if (rc == 1 && r->at_start) {
		r->at_start = false;
		/* A file saved twice with a BOM has two: strip them all. */
		while (r->winlen >= 3 &&
		    memcmp(r->win, "\xEF\xBB\xBF", 3) == 0) {
			r->win += 3;
			r->winlen -= 3;
		}
	}
	return rc;
}

/* Back to the first byte of the file with fresh decoder state. */
static int
stream_reset(struct roster *r, struct err *e)
{
	if (fseek(r->f, 0, SEEK_SET) == -1) {
		fail_os(r, e, "rewind");
		return -1;
	}
	clearerr(r->f);
	if (r->cd != NOCONV)
		iconv(r->cd, NULL, NULL, NULL, NULL);
	r->inlen = r->inoff = r->winlen = 0;
	r->ineof = r->eof = r->skip_line = r->prev_cr = false;
	r->at_start = true;
	r->line = 1;
	return 0;
}

/*
 * Encoding detection.
 */

/* A UTF-8 sequence cut by the end of a window, kept for the next. */
struct u8state {
	unsigned char	 part[4];	/* its octets so far */
	size_t		 npart;		/* 0: none pending */
	size_t		 lead;		/* file offset of part[0] */
};

/*
 * Complete u's pending sequence from s[0..n): the octets of s it took,
 * or SIZE_MAX if they break it.
 */
static size_t
u8_join(struct u8state *u, const unsigned char *s, size_t n)
{
	size_t k = utf8_need(u->part, u->npart);

	k = k < n ? k : n;
	memcpy(u->part + u->npart, s, k);
	u->npart += k;
	if (utf8_len(u->part, u->npart) > 0)
		u->npart = 0;
	else if (utf8_need(u->part, u->npart) == 0)
		return SIZE_MAX;
	return k;
}

/*
 * Index in s (the window at file offset base) of the sequence that
 * breaks UTF-8, or n; bb gets its lead byte, not the victim that broke
 * it.  A sequence the window's end cuts short waits in u.
 */
static size_t
u8_check(struct u8state *u, const unsigned char *s, size_t n, size_t base,
    struct badbyte *bb)
{
	size_t i = 0;

	if (u->npart > 0) {
		i = u8_join(u, s, n);
		if (i == SIZE_MAX) {
			bb->off = u->lead;
			bb->c = u->part[0];
			return 0;
		}
	}
	i += utf8_valid((const char *)s + i, n - i, NULL);
	if (i < n && utf8_need(s + i, n - i) > 0) {
		memcpy(u->part, s + i, n - i);
		u->npart = n - i;
		u->lead = base + i;
		return n;
	}
	if (i < n) {
		bb->off = base + i;
		bb->c = s[i];
	}
	return i;
}

/* 0 if the whole file is UTF-8, -2 if not (r->bb), -1 on read error. */
static int
scan_utf8(struct roster *r, struct err *e)
{
	struct u8state u = { .npart = 0 };
	size_t base, i;
	int rc;

	while ((rc = fill(r, e)) == 1) {
		base = r->inoff + (size_t)(r->win - r->in);
		i = u8_check(&u, (const unsigned char *)r->win, r->winlen,
		    base, &r->bb);
		if (i < r->winlen) {
			r->bb.line = r->line + count_lines(r->win, i,
			    &r->prev_cr);
			return -2;
		}
		r->line += count_lines(r->win, r->winlen, &r->prev_cr);
		r->winlen = 0;
	}
	if (rc == 0 && u.npart > 0) {
		r->bb.off = u.lead;
		r->bb.c = u.part[0];
		r->bb.line = r->line;
		return -2;
	}
	return rc;
}

/* The same for the iconv decoder in r->cd. */
static int
scan_conv(struct roster *r, struct err *e)
{
	int rc;

	while ((rc = fill(r, e)) == 1) {
		r->line += count_lines(r->win, r->winlen, &r->prev_cr);
		r->winlen = 0;
	}
	return rc;
}

static int
use_iconv(struct roster *r, const char *enc, struct err *e)
{
	r->cd = iconv_open("UTF-8", enc);
	if (r->cd == NOCONV) {
		fail(r, e, 0, SIZE_MAX, "encoding '%s' is not known to iconv "
		    "(see iconv -l); try UTF-8, CP949 or UTF-16", enc);
		return -1;
	}
	free(r->encname);
	r->encname = xstrdup(enc);
	return 0;
}

/* Neither UTF-8 nor CP949: report whichever got further. */
static int
guess_fail(struct roster *r, const struct badbyte *u8, struct err *e)
{
	const struct badbyte *b = u8->off >= r->bb.off ? u8 : &r->bb;

	fail(r, e, b->line, SIZE_MAX, "byte 0x%02x at offset %zu is not "
	    "valid UTF-8 or CP949; save the file as CSV UTF-8 or pass "
	    "--encoding", b->c, b->off);
	return -1;
}

/* No BOM, no --encoding: UTF-8 if it all is, else CP949 if it all is. */
static int
guess_encoding(struct roster *r, struct err *e)
{
	struct badbyte u8;
	int rc;

	r->encname = xstrdup("UTF-8");
	rc = scan_utf8(r, e);
	if (rc != -2)
		return rc;
	u8 = r->bb;
	if (use_iconv(r, "CP949", e) == -1 || stream_reset(r, e) == -1)
		return -1;
	rc = scan_conv(r, e);
	if (rc == -2)
		return guess_fail(r, &u8, e);
	return rc;
}

static int
utf8_only(struct roster *r, const char *name, struct err *e)
{
	int rc;

	r->encname = xstrdup(name == NULL ? "UTF-8" : name);
	rc = scan_utf8(r, e);
	if (rc == -2)
		fail(r, e, r->bb.line, SIZE_MAX, "byte 0x%02x at offset %zu "
		    "is not valid UTF-8; save the file as CSV UTF-8 or pass "
		    "--encoding", r->bb.c, r->bb.off);
	return rc < 0 ? -1 : 0;
}

/*
 * A ZIP file (XLSX, ODS: "PK\3\4") given as the roster.  The one place
 * that says what to do with a spreadsheet, so that direct spreadsheet
 * reading can replace it.
 */
static bool
is_spreadsheet(const unsigned char *head, size_t n)
{
	return n >= 3 && memcmp(head, "PK\3", 3) == 0;
}

static int
spreadsheet(struct roster *r, struct err *e)
{
	fail(r, e, 0, SIZE_MAX, "this is a spreadsheet (XLSX/ODS): save it "
	    "as CSV UTF-8 (Excel: File > Save As > CSV UTF-8; LibreOffice: "
	    "File > Save As > Text CSV, UTF-8) and give that file");
	return -1;
}

static bool
is_utf8_name(const char *enc)
{
	return strcasecmp(enc, "UTF-8") == 0 || strcasecmp(enc, "UTF8") == 0;
}

static int
detect_encoding(struct roster *r, const char *forced, struct err *e)
{
	unsigned char bom[3] = { 0 };
	size_t n;

	n = fread(bom, 1, sizeof(bom), r->f);
	if (n == 0 && ferror(r->f)) {
		fail_os(r, e, "read");
		return -1;
	}
	if (stream_reset(r, e) == -1)
		return -1;
	if (is_spreadsheet(bom, n))
		return spreadsheet(r, e);
	if (forced != NULL && is_utf8_name(forced))
		return utf8_only(r, forced, e);
	if (forced != NULL)
		return use_iconv(r, forced, e);
	if (n >= 2 && bom[0] == 0xFF && bom[1] == 0xFE)
		return use_iconv(r, "UTF-16LE", e);
	if (n >= 2 && bom[0] == 0xFE && bom[1] == 0xFF)
		return use_iconv(r, "UTF-16BE", e);
	if (n == 3 && memcmp(bom, "\xEF\xBB\xBF", 3) == 0)
		return utf8_only(r, NULL, e);
	return guess_encoding(r, e) < 0 ? -1 : 0;
}

/*
 * Parsing.
 */

static int
no_space(unsigned char c)
{
	(void)c;
	return 0;
}

/* libcsv grows its field buffer through this: it caps a field. */
static void *
field_realloc(void *p, size_t n)
{
	if (n > ROSTER_FIELD_MAX + PARSE_BLK + 1)
		return NULL;
	return xrealloc(p, n);
}

static void
parser_reset(struct roster *r)
{
	if (r->parser_live)
		csv_free(&r->parser);
	csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
	csv_set_delim(&r->parser, (unsigned char)r->delim);
	csv_set_space_func(&r->parser, no_space);
	csv_set_realloc_func(&r->parser, field_realloc);
	csv_set_blk_size(&r->parser, PARSE_BLK);
	r->parser_live = true;
}

static void
mark_bad(struct roster *r, enum bad bad)
{
	if (r->bad == BAD_NONE) {
		r->bad = bad;
		r->bad_col = r->nf;
		r->bad_line = r->line;
	}
}

/* libcsv's field callback: copy the field into the record buffer. */
static void
on_field(void *s, size_t len, void *arg)
{
	struct roster *r = arg;

	if (r->nf < ROSTER_COLS_MAX) {
		r->offs[r->nf] = r->rec.len;
		r->lens[r->nf] = len;
		if (len > ROSTER_FIELD_MAX)
			mark_bad(r, BAD_FIELD);
		else if (memchr(s, '\0', len) != NULL)
			mark_bad(r, BAD_NUL);
		else if (buf_add(&r->rec, s, len + 1) == -1)
			mark_bad(r, BAD_ROW);
	}
	r->nf++;
	/* The next field starts after the delimiter, on this line. */
	r->fld_line = r->line;
}

static void
on_record(int c, void *arg)
{
	struct roster *r = arg;

	(void)c;
	r->rec_done = true;
}

/* Length of the next physical line in the window, with its CR or LF. */
static size_t
line_len(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\n' || s[i] == '\r')
			return i + 1;
	return n;
}

static void
advance(struct roster *r, size_t n)
{
	char c = r->win[n - 1];

	/* A lone "\n" right after a "\r" ends that CR's line (CRLF). */
	if (c == '\r' || (c == '\n' && !(n == 1 && r->prev_cr)))
		r->line++;
	r->prev_cr = c == '\r';
	r->win += n;
	r->winlen -= n;
}

/*
 * libcsv stopped at s[k].  A stray quote spoils one row: skip to the
 * end of the line and go on.  A field over the cap ends the file.
 */
static int
parse_error(struct roster *r, size_t k, bool term, struct err *e)
{
	if (csv_error(&r->parser) != CSV_EPARSE) {
		if (r->parser.quoted)
			fail(r, e, r->line, r->nf, "a field is longer than "
			    "%d bytes; is the closing quote of the quoted "
			    "field that starts on line %zu missing?",
			    ROSTER_FIELD_MAX, r->fld_line);
		else
			fail(r, e, r->line, r->nf, "a field is longer than "
			    "%d bytes", ROSTER_FIELD_MAX);
		return -1;
	}
	if (r->bad == BAD_NONE)
		r->bad_c = (unsigned char)r->win[k];
	mark_bad(r, r->parser.pstate == CSV_FIELD_MIGHT_HAVE_ENDED ?
	    BAD_AFTERQ : BAD_QUOTE);
	parser_reset(r);
	r->skip_line = !term;
	r->rec_done = true;
	return 0;
}

/* Parse the next physical line of the window. */
static int
feed(struct roster *r, struct err *e)
{
	size_t n = line_len(r->win, r->winlen), k;
	bool term = r->win[n - 1] == '\n' || r->win[n - 1] == '\r';

	if (r->skip_line) {
		r->skip_line = !term;
	} else {
		if (r->parser.pstate == CSV_ROW_NOT_BEGUN)
			r->rec_line = r->fld_line = r->line;
		k = csv_parse(&r->parser, r->win, n, on_field, on_record, r);
		if (k < n && parse_error(r, k, term, e) == -1)
			return -1;
	}
	advance(r, n);
	return 0;
}

static int
finish(struct roster *r, struct err *e)
{
	if (csv_fini(&r->parser, on_field, on_record, r) != 0) {
		fail(r, e, r->fld_line, SIZE_MAX, "a quoted field starts on "
		    "this line but its closing quote is missing: the file "
		    "ends inside it; add the closing \" (and double any \" "
		    "inside the field)");
		return -1;
	}
	return r->rec_done ? 1 : 0;
}

/* Lay the next sheet row out as a record: 1, or 0 after the last. */
static int
read_sheet_row(struct roster *r)
{
	struct sheet_row sr;
	size_t c, k = 0, width, len;
	const char *t;

	r->nf = 0;
	buf_reset(&r->rec);
	r->bad = BAD_NONE;
	if (sheet_next(r->sh, &sr) == 0)
		return 0;
	r->rec_line = r->line = sr.row;
	width = sr.cells[sr.ncells - 1].col + 1;
	if (r->ncols > 0 && width > r->ncols) {
		for (k = 0; sr.cells[k].col < r->ncols; k++)
			;
		r->bad = BAD_CELL;
		r->bad_col = sr.cells[k].col;
		r->bad_line = sr.row;
		k = 0;
	}
	if (r->ncols > 0)
		width = r->ncols;
	for (c = 0; c < width && c < ROSTER_COLS_MAX; c++) {
		t = k < sr.ncells && sr.cells[k].col == c ? sr.cells[k].text :
		    "";
		len = k < sr.ncells && sr.cells[k].col == c ? sr.cells[k++].len :
		    0;
		r->offs[c] = r->rec.len;
		r->lens[c] = len;
		r->nf = c;
		if (len > ROSTER_FIELD_MAX)
			mark_bad(r, BAD_FIELD);
		else if (buf_add(&r->rec, t, len + 1) == -1)
			mark_bad(r, BAD_ROW);
	}
	r->nf = width;
	return 1;
}

/* Parse until a record is complete: 1, 0 at the end of the file, -1. */
static int
read_record(struct roster *r, struct err *e)
{
	int rc;

	if (r->sh != NULL)
		return read_sheet_row(r);
	r->nf = 0;
	buf_reset(&r->rec);
	r->rec_done = false;
	r->bad = BAD_NONE;
	while (!r->rec_done) {
		if (r->winlen == 0) {
			rc = fill(r, e);
			if (rc < 0)
				return -1;
			if (rc == 0)
				return finish(r, e);
			continue;
		}
		if (feed(r, e) == -1)
			return -1;
	}
	return 1;
}

/* All fields empty or blank (Excel's ",,,," lines). */
static bool
is_blank(const struct roster *r)
{
	size_t i, j, n = r->nf < ROSTER_COLS_MAX ? r->nf : ROSTER_COLS_MAX;
	const char *s;

	if (r->bad != BAD_NONE)
		return false;
	for (i = 0; i < n; i++) {
		s = r->rec.data + r->offs[i];
		for (j = 0; j < r->lens[i]; j++)
			if (s[j] != ' ' && s[j] != '\t')
				return false;
	}
	return true;
}

/*
 * Messages for a bad record.
 */

static const char *
delim_name(int c)
{
	switch (c) {
	case ',':
		return "comma";
	case ';':
		return "semicolon";
	case '\t':
		return "tab";
	default:
		return "delimiter";
	}
}

static void
bad_message(const struct roster *r, struct err *e)
{
	char c[8], pre[32] = "";

	if (r->row > 0)
		snprintf(pre, sizeof(pre), "row %zu: ", r->row);
	if (r->bad_c >= 0x20 && r->bad_c < 0x7F)
		snprintf(c, sizeof(c), "'%c'", r->bad_c);
	else
		snprintf(c, sizeof(c), "0x%02x", r->bad_c);
	if (r->bad == BAD_NUL)
		fail(r, e, r->bad_line, r->bad_col, "%sthe field holds a NUL "
		    "byte; is the file UTF-16 without a BOM?  Save it as "
		    "CSV UTF-8", pre);
	else if (r->bad == BAD_QUOTE)
		fail(r, e, r->bad_line, r->bad_col, "%sa \" inside an unquoted "
		    "field; put the whole field in quotes and double the "
		    "quote (\"5\"\" disk\")", pre);
	else if (r->bad == BAD_AFTERQ)
		fail(r, e, r->bad_line, r->bad_col, "%s%s follows the closing "
		    "quote of a field that started on line %zu; a \" inside "
		    "a quoted field must be doubled (\"\")", pre, c,
		    r->fld_line);
	else if (r->bad == BAD_FIELD)
		fail(r, e, r->bad_line, r->bad_col, "%sthe field is longer "
		    "than %d bytes", pre, ROSTER_FIELD_MAX);
	else if (r->bad == BAD_CELL)
		fail(r, e, r->bad_line, r->bad_col, "%sa value right of the "
		    "header's last column (%zu columns); name its column in "
		    "the header row or clear the cell", pre, r->ncols);
	else
		fail(r, e, r->bad_line, SIZE_MAX, "%sthe row is longer than "
		    "%d bytes", pre, ROW_MAX);
}

/* "이름, 학번, email", cut with "..." to fit. */
static void
join_cols(const struct roster *r, char *s, size_t size)
{
	size_t i, len = 0;
	int n;

	s[0] = '\0';
	for (i = 0; i < r->ncols; i++) {
		n = snprintf(s + len, size - len, "%s%s", i ? ", " : "",
		    r->cols[i]);
		if (n < 0 || (size_t)n >= size - len) {
			size_t at = size > 5 ? size - 5 : 0;

			/* Cut at a character, not inside a Hangul syllable. */
			at = utf8_cut(s, at);
			snprintf(s + at, size - at, " ...");
			return;
		}
		len += (size_t)n;
	}
}

static int
count_error(const struct roster *r, struct err *e)
{
	char names[NAMES_MAX];
	const char *dn = delim_name(r->delim);

	join_cols(r, names, sizeof(names));
	if (r->nf > r->ncols)
		fail(r, e, r->rec_line, SIZE_MAX, "row %zu has %zu fields, "
		    "the header has %zu (%s); check for an unquoted %s in a "
		    "value (quote the value)", r->row, r->nf, r->ncols, names,
		    dn);
	else
		fail(r, e, r->rec_line, SIZE_MAX, P_("row %zu has %zu field, "
		    "the header has %zu (%s); check for a missing %s",
		    "row %zu has %zu fields, the header has %zu (%s); check "
		    "for a missing %s", r->nf), r->row, r->nf, r->ncols, names,
		    dn);
	return -2;
}

static void
row_fill(struct roster *r, struct roster_row *row)
{
	size_t i;

	for (i = 0; i < r->ncols; i++)
		r->ptrs[i] = r->rec.data + r->offs[i];
	row->nfields = r->ncols;
	row->fields = r->ptrs;
	row->lens = r->lens;
}

/* The next data record: 1, 0, -2 (bad row, skipped) or -1. */
static int
next_data(struct roster *r, struct roster_row *row, struct err *e)
{
	int rc;

	do {
		rc = read_record(r, e);
		if (rc == -1) {
			r->failed = true;
			r->fail_err = *e;
		}
		if (rc != 1)
			return rc;
	} while (is_blank(r));
	r->row++;
	row->row = r->row;
	row->line = r->rec_line;
	row->sheet = r->sh != NULL ? sheet_name(r->sh) : NULL;
	row->nfields = 0;
	row->fields = NULL;
	row->lens = NULL;
	if (r->bad != BAD_NONE) {
		bad_message(r, e);
		return -2;
	}
	if (r->nf != r->ncols)
		return count_error(r, e);
	row_fill(r, row);
	return 1;
}

/*
 * The header.
 */

static int
header_check(struct roster *r, struct err *e)
{
	size_t i, j;

	for (i = 0; i < r->ncols; i++) {
		if (r->cols[i][0] == '\0') {
			fail(r, e, r->rec_line, r->sh ? i : SIZE_MAX,
			    "column %zu of the "
			    "header has no name; name it or delete the column",
			    i + 1);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(r->cols[i], r->cols[j]) == 0) {
				fail(r, e, r->rec_line, i, "columns %zu and "
				    "%zu are both named '%s'; rename one",
				    j + 1, i + 1, r->cols[i]);
				return -1;
			}
	}
	return 0;
}

/* Keep the header's names, trimmed of ASCII spaces and tabs. */
static void
header_keep(struct roster *r)
{
	size_t i, len;
	const char *s;

	r->ncols = r->nf;
	for (i = 0; i < r->ncols; i++) {
		s = r->rec.data + r->offs[i];
		len = r->lens[i];
		while (len > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		r->offs[i] = r->hdr.len;
		/* The header is at most one record: within the cap. */
		buf_add(&r->hdr, s, len);
		buf_addc(&r->hdr, '\0');
	}
	r->cols = xreallocarray(NULL, r->ncols, sizeof(*r->cols));
	r->ptrs = xreallocarray(NULL, r->ncols, sizeof(*r->ptrs));
	for (i = 0; i < r->ncols; i++)
		r->cols[i] = r->hdr.data + r->offs[i];
}

static int
read_header(struct roster *r, struct err *e)
{
	int rc;

	do {
		rc = read_record(r, e);
	} while (rc == 1 && is_blank(r));
	if (rc == -1)
		return -1;
	if (rc == 0) {
		if (r->sh != NULL)
			fail(r, e, 0, SIZE_MAX, "sheet '%s' is empty; its "
			    "first non-empty row must name the columns",
			    sheet_name(r->sh));
		else
			fail(r, e, 1, SIZE_MAX, "the file is empty; its first "
			    "row must name the columns");
		return -1;
	}
	if (r->bad != BAD_NONE) {
		bad_message(r, e);
		return -1;
	}
	if (r->nf > ROSTER_COLS_MAX) {
		fail(r, e, r->rec_line, SIZE_MAX, "the header has %zu "
		    "columns, more than %d%s", r->nf, ROSTER_COLS_MAX,
		    r->sh ? "" : "; is the delimiter right?");
		return -1;
	}
	r->hdr_line = r->rec_line;
	if (r->cols == NULL)
		header_keep(r);
	return header_check(r, e);
}

/* The most frequent of , ; TAB outside quotes in the first line. */
static int
sniff_delim(const char *s, size_t n)
{
	static const char cand[] = { ',', ';', '\t' };
	size_t cnt[3] = { 0, 0, 0 }, i = 0, j, best = 0;
	const char *c;
	bool inq = false;

	while (i < n && (s[i] == '\r' || s[i] == '\n'))
		i++;
	for (; i < n; i++) {
		if (s[i] == '"')
			inq = !inq;
		else if (!inq && (s[i] == '\r' || s[i] == '\n'))
			break;
		else if (!inq && (c = memchr(cand, s[i], 3)) != NULL)
			cnt[c - cand]++;
	}
	for (j = 1; j < 3; j++)
		if (cnt[j] > cnt[best])
			best = j;
	return cand[best];
}

/*
 * Open the roster as a stream, refusing anything but a regular file:
 * O_NONBLOCK so that opening a FIFO does not wait for a writer.
 */
static int
open_regular(struct roster *r, struct err *e)
{
	struct stat st;
	int fd;

	fd = open(r->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		fail_os(r, e, "open");
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		err_set(e, E_NOINPUT, r->path, "the roster is not a regular "
		    "file (a folder, FIFO or device): give a CSV file");
		return -1;
	}
	if (fcntl(fd, F_SETFL, 0) == -1 || (r->f = fdopen(fd, "rb")) == NULL) {
		fail_os(r, e, "open");
		close(fd);
		return -1;
	}
	return 0;
}

static int
open_file(struct roster *r, const struct roster_params *p, struct err *e)
{
	int d = p->delimiter;

	if (d == '"' || d == '\r' || d == '\n' || d < 0 || d > 0x7F) {
		err_set(e, E_USAGE, r->path, "the delimiter must be one "
		    "ASCII character other than a quote or line break");
		return -1;
	}
	if (open_regular(r, e) == -1)
		return -1;
	if (detect_encoding(r, p->encoding, e) == -1 ||
	    stream_reset(r, e) == -1)
		return -1;
	if (fill(r, e) < 0)
		return -1;
	r->delim = d != 0 ? d : sniff_delim(r->win, r->winlen);
	parser_reset(r);
	return 0;
}

/* A spreadsheet is read through sheet.h; r->sh stays NULL for CSV. */
static int
open_sheet(struct roster *r, const struct roster_params *p, struct err *e)
{
	enum sheet_kind kind;

	if (sheet_probe(r->path, &kind, e) == -1)
		return -1;
	if (kind == SHEET_NONE && p->sheet != NULL) {
		err_set(e, E_USAGE, r->path, "--sheet is for spreadsheet "
		    "rosters (.xlsx, .ods, .xls); this one is not");
		return -1;
	}
	if (kind == SHEET_NONE)
		return 0;
	if (sheet_open(&r->sh, r->path, kind, p->sheet, e) == -1)
		return -1;
	r->encname = xstrdup(sheet_format(r->sh));
	r->delim = ',';
	return 0;
}

int
roster_open(struct roster **rp, const struct roster_params *p,
    struct err *e)
{
	struct roster *r;
	struct err dummy;

	if (e == NULL)
		e = &dummy;
	*rp = NULL;
	r = xcalloc(1, sizeof(*r));
	r->path = xstrdup(p->path);
	r->cd = NOCONV;
	r->in = xmalloc(CHUNK_SIZE);
	r->out = xmalloc(CONV_SIZE);
	r->offs = xreallocarray(NULL, ROSTER_COLS_MAX, sizeof(*r->offs));
	r->lens = xreallocarray(NULL, ROSTER_COLS_MAX, sizeof(*r->lens));
	buf_init(&r->rec, ROW_MAX);
	buf_init(&r->hdr, ROW_MAX);
	if (open_sheet(r, p, e) == -1 ||
	    (r->sh == NULL && open_file(r, p, e) == -1) ||
	    read_header(r, e) == -1)
		goto fail;
	r->pend = next_data(r, &r->pend_row, &r->pend_err);
	if (r->pend == -1) {
		*e = r->pend_err;
		goto fail;
	}
	if (r->pend == 0 && !p->allow_empty) {
		fail(r, e, r->hdr_line, SIZE_MAX, "no data rows: the file "
		    "has only the header row");
		goto fail;
	}
	r->has_pend = r->pend != 0;
	*rp = r;
	return 0;
fail:
	roster_free(r);
	return -1;
}

void
roster_free(struct roster *r)
{
	if (r == NULL)
		return;
	if (r->parser_live)
		csv_free(&r->parser);
	sheet_free(r->sh);
	if (r->cd != NOCONV)
		iconv_close(r->cd);
	if (r->f != NULL)
		fclose(r->f);
	buf_fini(&r->hdr);
	buf_fini(&r->rec);
	free(r->cols);
	free(r->ptrs);
	free(r->lens);
	free(r->offs);
	free(r->out);
	free(r->in);
	free(r->encname);
	free(r->path);
	free(r);
}

size_t
roster_ncols(const struct roster *r)
{
	return r->ncols;
}

/* Column names that hold the student's name, most specific first. */
static const char *const name_cols[] = { "이름", "성명", "성함", "학생",
    "학생명", "name", "full name", "student", "student name", "名前",
    "姓名" };

size_t
roster_name_col(const struct roster *r)
{
	size_t k, i;

	for (k = 0; k < nitems(name_cols); k++)
		for (i = 0; i < r->ncols; i++)
			if (strcasecmp(r->cols[i], name_cols[k]) == 0)
				return i;
	return SIZE_MAX;
}

const char *const *
roster_cols(const struct roster *r)
{
	return r->cols;
}

const char *
roster_encoding(const struct roster *r)
{
	return r->encname;
}

int
roster_delimiter(const struct roster *r)
{
	return r->delim;
}

const char *
roster_path(const struct roster *r)
{
	return r->path;
}

const char *
roster_sheet(const struct roster *r)
{
	return r->sh != NULL ? sheet_name(r->sh) : NULL;
}

int
roster_next(struct roster *r, struct roster_row *row, struct err *e)
{
	struct err dummy;

	if (e == NULL)
		e = &dummy;
	if (r->has_pend) {
		r->has_pend = false;
		*row = r->pend_row;
		if (r->pend == -2)
			*e = r->pend_err;
		return r->pend;
	}
	if (r->failed) {
		*e = r->fail_err;
		return -1;
	}
	return next_data(r, row, e);
}

int
roster_rewind(struct roster *r, struct err *e)
{
	struct err dummy;
	int rc;

	if (e == NULL)
		e = &dummy;
	r->has_pend = false;
	r->failed = false;
	r->row = 0;
	if (r->sh != NULL)
		sheet_rewind(r->sh);
	else if (stream_reset(r, e) == -1)
		return -1;
	else
		parser_reset(r);
	rc = read_header(r, e);
	if (rc == -1) {
		r->failed = true;
		r->fail_err = *e;
	}
	return rc;
}

/*
 * A record gathers in line and goes out in one write: a report line
 * per row is 19 fields.  A field that needs quotes goes through
 * libcsv's writer.
 */
#define LINE_CHUNK	4096

struct line {
	FILE	*f;
	size_t	 len;
	char	 b[LINE_CHUNK];
};

static int
line_flush(struct line *l)
{
	size_t n = l->len;

	l->len = 0;
	return n == 0 || fwrite(l->b, 1, n, l->f) == n ? 0 : EOF;
}

static int
line_add(struct line *l, const char *s, size_t n)
{
	if (l->len + n > sizeof(l->b) && line_flush(l) == EOF)
		return EOF;
	if (n > sizeof(l->b))
		return fwrite(s, 1, n, l->f) == n ? 0 : EOF;
	memcpy(l->b + l->len, s, n);
	l->len += n;
	return 0;
}

/* RFC 4180 §2.6: quote a field holding a delimiter, quote or break. */
static int
write_field(struct line *l, const char *s, bool alone)
{
	size_t len = strlen(s);

	/* A lone empty field would read back as a blank line. */
	if (strpbrk(s, ",\"\r\n") != NULL || (alone && len == 0))
		return line_flush(l) == EOF ? EOF : csv_fwrite(l->f, s, len);
	return line_add(l, s, len);
}

int
roster_write(FILE *f, const char *const *fields, size_t n, struct err *e)
{
	struct line l;
	size_t i;

	l.f = f;
	l.len = 0;
	for (i = 0; i < n; i++) {
		if (i > 0 && line_add(&l, ",", 1) == EOF)
			break;
		if (write_field(&l, fields[i] ? fields[i] : "", n == 1) == EOF)
			break;
	}
	if (i < n || line_add(&l, "\r\n", 2) == EOF ||
	    line_flush(&l) == EOF) {
		err_set(e, E_OS, NULL, "cannot write a CSV record: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Writing a roster back in its own encoding and delimiter (the retry
 * roster): each record is quoted into one UTF-8 line, then converted
 * with iconv, so Korean Excel opens a CP949 ';' file it gave us as it
 * was.  UTF-16LE/BE (detected from their BOM) get that BOM back.
 */
struct roster_out {
	FILE		*f;
	iconv_t		 cd;		/* NOCONV: write UTF-8 as it is */
	int		 delim;
	struct buf	 line;
	char		 conv[CONV_SIZE];
};

static int
out_fail(struct err *e, const char *what)
{
	err_set(e, E_OS, NULL, "cannot write a CSV record: %s", what);
	return -1;
}

int
roster_out_open(struct roster_out **op, FILE *f, const char *encoding,
    int delim, struct err *e)
{
	struct roster_out *o;
	const char *bom = NULL;

	*op = NULL;
	o = xcalloc(1, sizeof(*o));
	o->f = f;
	o->cd = NOCONV;
	o->delim = delim != 0 ? delim : ',';
	buf_init(&o->line, ROW_MAX);
	if (encoding != NULL && !is_utf8_name(encoding)) {
		o->cd = iconv_open(encoding, "UTF-8");
		if (o->cd == NOCONV) {
			err_set(e, E_INPUT, NULL, "cannot write encoding "
			    "'%s': not known to iconv", encoding);
			roster_out_free(o);
			return -1;
		}
		if (strcasecmp(encoding, "UTF-16LE") == 0)
			bom = "\xFF\xFE";
		else if (strcasecmp(encoding, "UTF-16BE") == 0)
			bom = "\xFE\xFF";
	}
	if (bom != NULL && fwrite(bom, 1, 2, f) != 2) {
		roster_out_free(o);
		return out_fail(e, strerror(errno));
	}
	*op = o;
	return 0;
}

/* One field, quoted when it holds the delimiter, a quote or a break. */
static int
out_field(struct roster_out *o, const char *s, bool alone)
{
	char special[5] = { (char)o->delim, '"', '\r', '\n', '\0' };
	int rc = 0;

	if (strpbrk(s, special) == NULL && !(alone && *s == '\0'))
		return buf_adds(&o->line, s);
	rc |= buf_addc(&o->line, '"');
	for (; *s != '\0' && rc == 0; s++) {
		if (*s == '"')
			rc |= buf_addc(&o->line, '"');
		rc |= buf_addc(&o->line, *s);
	}
	return rc | buf_addc(&o->line, '"');
}

/* o->line, converted, to o->f. */
static int
out_flush(struct roster_out *o, struct err *e)
{
	char *in = o->line.data, *out;
	size_t inleft = o->line.len, outleft;

	if (o->cd == NOCONV) {
		if (fwrite(in, 1, inleft, o->f) != inleft)
			return out_fail(e, strerror(errno));
		return 0;
	}
	while (inleft > 0) {
		out = o->conv;
		outleft = sizeof(o->conv);
		if (iconv(o->cd, &in, &inleft, &out, &outleft) == (size_t)-1 &&
		    errno != E2BIG) {
			err_set(e, E_INPUT, NULL, "a value cannot be written "
			    "in the roster's encoding: %s", strerror(errno));
			return -1;
		}
		if (fwrite(o->conv, 1, sizeof(o->conv) - outleft, o->f) !=
		    sizeof(o->conv) - outleft)
			return out_fail(e, strerror(errno));
	}
	return 0;
}

int
roster_out_row(struct roster_out *o, const char *const *fields, size_t n,
    struct err *e)
{
	size_t i;
	int rc = 0;

	buf_reset(&o->line);
	for (i = 0; i < n && rc == 0; i++) {
		if (i > 0)
			rc = buf_addc(&o->line, (char)o->delim);
		if (rc == 0)
			rc = out_field(o, fields[i] ? fields[i] : "", n == 1);
	}
	if (rc == 0)
		rc = buf_add(&o->line, "\r\n", 2);
	if (rc != 0) {
		err_set(e, E_INPUT, NULL, "a record is longer than %d bytes",
		    ROW_MAX);
		return -1;
	}
	return out_flush(o, e);
}

void
roster_out_free(struct roster_out *o)
{
	if (o == NULL)
		return;
	if (o->cd != NOCONV)
		iconv_close(o->cd);
	buf_fini(&o->line);
	free(o);
}
