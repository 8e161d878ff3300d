/*
 * Unit tests for roster.c.  Inputs are written at run time into a
 * temporary directory; CP949 and UTF-16 bytes are spelled out (or
 * encoded here from UTF-8) so that the test needs no iconv of its own.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "roster.h"
#include "tap.h"

#define DUMP_MAX	(8 * 1024 * 1024)

static char tmpdir[64];
static char paths[128][128];
static int npaths;

/* Write a file into the temporary directory; returns its path. */
static const char *
mkfile(const char *name, const void *data, size_t len)
{
	char *path = paths[npaths++];
	FILE *f;

	snprintf(path, sizeof(paths[0]), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
	return path;
}

static const char *
mkfile_s(const char *name, const char *s)
{
	return mkfile(name, s, strlen(s));
}

static struct roster *
ropen(const char *path, const char *enc, int delim, struct err *e)
{
	struct roster_params p = { path, enc, delim, false, NULL };
	struct roster *r = NULL;

	err_clear(e);
	if (roster_open(&r, &p, e) == -1)
		return NULL;
	return r;
}

/*
 * Every row as "row@line:f1|f2\n", a bad row as "row@line!where\n",
 * the end of the file as "." or "FATAL where".
 */
static const char *
dump(struct roster *r)
{
	static char out[DUMP_MAX];
	struct roster_row row;
	struct err e;
	size_t len = 0, i;
	int rc;

	out[0] = '\0';
	while ((rc = roster_next(r, &row, &e)) != 0 && len < DUMP_MAX - 256) {
		if (rc == -1) {
			len += snprintf(out + len, DUMP_MAX - len, "FATAL %s",
			    e.where);
			return out;
		}
		if (rc == -2) {
			len += snprintf(out + len, DUMP_MAX - len,
			    "%zu@%zu!%s\n", row.row, row.line, e.where);
			continue;
		}
		len += snprintf(out + len, DUMP_MAX - len, "%zu@%zu:",
		    row.row, row.line);
		for (i = 0; i < row.nfields; i++) {
			if (strlen(row.fields[i]) != row.lens[i])
				len += snprintf(out + len, DUMP_MAX - len,
				    "<len!>");
			len += snprintf(out + len, DUMP_MAX - len, "%s%s",
			    i ? "|" : "", row.fields[i]);
		}
		len += snprintf(out + len, DUMP_MAX - len, "\n");
	}
	snprintf(out + len, DUMP_MAX - len, ".");
	return out;
}

/* Open, dump, free: the rows of a file as one string. */
static const char *
rows_of(const char *path, const char *enc, int delim)
{
	struct roster *r;
	struct err e;
	const char *s;

	r = ropen(path, enc, delim, &e);
	if (r == NULL) {
		printf("# open %s: %s: %s\n", path, e.where, e.msg);
		return "OPEN FAILED";
	}
	s = dump(r);
	roster_free(r);
	return s;
}

static const char *
cols_of(struct roster *r)
{
	static char out[1024];
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < roster_ncols(r) && len < sizeof(out) - 64; i++)
		len += snprintf(out + len, sizeof(out) - len, "%s%s",
		    i ? "|" : "", roster_cols(r)[i]);
	return out;
}

/* UTF-8 (BMP only) to UTF-16 with a BOM; returns the byte count. */
static size_t
utf16(const char *s, unsigned char *out, bool be)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	unsigned cp;

	cp = 0xFEFF;
	do {
		out[n++] = be ? cp >> 8 : cp & 0xFF;
		out[n++] = be ? cp & 0xFF : cp >> 8;
		if (*p == '\0')
			break;
		if (*p < 0x80)
			cp = *p++;
		else if (*p < 0xE0) {
			cp = (p[0] & 0x1F) << 6 | (p[1] & 0x3F);
			p += 2;
		} else {
			cp = (p[0] & 0x0F) << 12 | (p[1] & 0x3F) << 6 |
			    (p[2] & 0x3F);
			p += 3;
		}
	} while (1);
	return n;
}

/* An open that must fail: check kind, where and a piece of msg. */
static void
open_fails(const char *path, const char *enc, enum err_kind kind,
    const char *where, const char *msg, const char *what)
{
	struct roster *r;
	struct err e;

	r = ropen(path, enc, 0, &e);
	ok(r == NULL, "%s: open fails", what);
	roster_free(r);
	is_int(e.kind, kind, "%s: kind", what);
	is_str(e.where, where, "%s: where", what);
	like(e.msg, msg, "%s: msg", what);
}

static void
t_utf8(void)
{
	const char *p = mkfile_s("utf8.csv", "이름,학번,email\r\n"
	    "홍길동,2024001,hong@example.com\r\n"
	    "김철수,2024002,kim@example.com\r\n");
	struct roster *r;
	struct roster_row row;
	struct err e;

	r = ropen(p, NULL, 0, &e);
	ok(r != NULL, "utf8: opens");
	if (r == NULL)
		return;
	is_int(roster_ncols(r), 3, "utf8: 3 columns");
	is_str(cols_of(r), "이름|학번|email", "utf8: column names");
	is_str(roster_encoding(r), "UTF-8", "utf8: encoding");
	is_int(roster_delimiter(r), ',', "utf8: delimiter");
	is_str(roster_path(r), p, "utf8: path");
	is_int(roster_next(r, &row, &e), 1, "utf8: first row");
	is_int(row.row, 1, "utf8: row 1");
	is_int(row.line, 2, "utf8: on line 2");
	is_int(row.nfields, 3, "utf8: nfields");
	is_str(row.fields[0], "홍길동", "utf8: Korean field");
	is_int(row.lens[0], 9, "utf8: Korean field length");
	is_str(row.fields[2], "hong@example.com", "utf8: last field");
	is_str(dump(r), "2@3:김철수|2024002|kim@example.com\n.",
	    "utf8: the rest");
	is_int(roster_next(r, &row, &e), 0, "utf8: stays at the end");
	roster_free(r);
}

static void
t_bom(void)
{
	const char *p = mkfile_s("bom.csv", "\xEF\xBB\xBF이름,학번\n"
	    "홍길동,1\n");
	struct roster *r;
	struct err e;
	char w[256];

	r = ropen(p, NULL, 0, &e);
	ok(r != NULL, "bom: opens");
	if (r == NULL)
		return;
	is_str(cols_of(r), "이름|학번", "bom: BOM not in the first name");
	is_str(roster_encoding(r), "UTF-8", "bom: encoding");
	is_str(dump(r), "1@2:홍길동|1\n.", "bom: rows");
	roster_free(r);
	p = mkfile_s("bomonly.csv", "\xEF\xBB\xBF");
	snprintf(w, sizeof(w), "%s:1", p);
	open_fails(p, NULL, E_INPUT, w, "empty", "bom only");
}

/* 이름,학번 / 홍길동,2024001 / 김철수,x in CP949. */
static const char cp949[] =
    "\xC0\xCC\xB8\xA7,\xC7\xD0\xB9\xF8\r\n"
    "\xC8\xAB\xB1\xE6\xB5\xBF,2024001\r\n"
    "\xB1\xE8\xC3\xB6\xBC\xF6,x\r\n";

static void
t_cp949(void)
{
	const char *p = mkfile_s("cp949.csv", cp949);
	struct roster *r;
	struct err e;

	r = ropen(p, NULL, 0, &e);
	ok(r != NULL, "cp949: opens");
	if (r == NULL)
		return;
	is_str(roster_encoding(r), "CP949", "cp949: detected");
	is_str(cols_of(r), "이름|학번", "cp949: header converted");
	is_str(dump(r), "1@2:홍길동|2024001\n2@3:김철수|x\n.",
	    "cp949: rows converted");
	roster_free(r);
}

static void
t_cp949_big(void)
{
	/* A two-byte character split by the 64 KiB chunk boundary. */
	static char buf[70000], want[70000];
	size_t n = 0, k;
	const char *p, *s;
	char line[64];

	n += snprintf(buf, sizeof(buf), "a,b\n");
	while (n < 65535)
		buf[n++] = 'x';
	k = n - 4;
	for (int i = 0; i < 10; i++) {
		memcpy(buf + n, "\xB1\xE8", 2);
		n += 2;
	}
	n += snprintf(buf + n, sizeof(buf) - n, ",1\n\xC8\xAB,2\n");
	p = mkfile("cp949big.csv", buf, n);
	memset(want, 'x', k);
	want[k] = '\0';
	for (int i = 0; i < 10; i++)
		strcat(want, "김");
	s = rows_of(p, NULL, 0);
	ok(strncmp(s, "1@2:", 4) == 0 && strncmp(s + 4, want,
	    strlen(want)) == 0, "cp949 big: split character decoded");
	snprintf(line, sizeof(line), "|1\n2@3:홍|2\n.");
	like(s, line, "cp949 big: following row");
}

static void
t_utf16(void)
{
	unsigned char b[512];
	const char *p;
	struct roster *r;
	struct err e;
	size_t n;
	char w[256];

	n = utf16("이름\t학번\t비고\r\n"
	    "홍길동\t1\t\"a\tb\"\r\n"
	    "김철수\t2\t\r\n", b, false);
	p = mkfile("utf16le.txt", b, n);
	r = ropen(p, NULL, 0, &e);
	ok(r != NULL, "utf16le: opens");
	if (r == NULL)
		return;
	is_str(roster_encoding(r), "UTF-16LE", "utf16le: detected");
	is_int(roster_delimiter(r), '\t', "utf16le: tab detected");
	is_str(cols_of(r), "이름|학번|비고", "utf16le: header");
	is_str(dump(r), "1@2:홍길동|1|a\tb\n2@3:김철수|2|\n.",
	    "utf16le: rows");
	roster_free(r);

	n = utf16("a,b\n홍,1\n", b, true);
	p = mkfile("utf16be.csv", b, n);
	r = ropen(p, NULL, 0, &e);
	ok(r != NULL, "utf16be: opens");
	if (r == NULL)
		return;
	is_str(roster_encoding(r), "UTF-16BE", "utf16be: detected");
	is_str(dump(r), "1@2:홍|1\n.", "utf16be: rows");
	roster_free(r);

	n = utf16("a,b\n1,2\n", b, false);
	p = mkfile("utf16odd.csv", b, n - 1);
	snprintf(w, sizeof(w), "%s:2", p);
	open_fails(p, NULL, E_INPUT, w, "ends inside a character",
	    "utf16 odd length");
}

static void
t_forced(void)
{
	const char *p = mkfile_s("forced.csv", cp949);
	struct roster *r;
	struct err e;
	char w[256];

	r = ropen(p, "CP949", 0, &e);
	ok(r != NULL, "forced CP949: opens");
	if (r != NULL) {
		is_str(roster_encoding(r), "CP949", "forced CP949: name");
		is_str(cols_of(r), "이름|학번", "forced CP949: header");
		roster_free(r);
	}
	r = ropen(p, "EUC-KR", 0, &e);
	ok(r != NULL, "forced EUC-KR: opens");
	if (r != NULL) {
		is_str(roster_encoding(r), "EUC-KR", "forced EUC-KR: name");
		is_str(dump(r), "1@2:홍길동|2024001\n2@3:김철수|x\n.",
		    "forced EUC-KR: rows");
		roster_free(r);
	}
	open_fails(p, "NOPE-42", E_INPUT, p, "'NOPE-42' is not known to "
	    "iconv", "unknown encoding");
	snprintf(w, sizeof(w), "%s:1", p);
	open_fails(p, "utf-8", E_INPUT, w, "byte 0xc0 at offset 0 is "
	    "not valid UTF-8", "forced UTF-8 on CP949");

}

static void
t_expanding(void)
{
	static char big[80000];
	const char *q;
	struct roster *r;
	struct err e;
	size_t n;

	/* CP1252: 0x80 is the euro sign, 3 bytes in UTF-8 (iconv E2BIG). */
	n = (size_t)snprintf(big, sizeof(big), "price,n\n");
	memset(big + n, 0x80, 70000);
	n += 70000;
	n += (size_t)snprintf(big + n, sizeof(big) - n, ",1\n");
	q = mkfile("cp1252.csv", big, n);
	r = ropen(q, "CP1252", 0, &e);
	ok(r != NULL, "forced CP1252: opens");
	if (r != NULL) {
		struct roster_row row;

		is_int(roster_next(r, &row, &e), 1, "CP1252: row");
		is_int(row.lens[0], 3 * 70000, "CP1252: 70000 euro signs");
		ok(memcmp(row.fields[0] + 3 * 69999, "€", 3) == 0,
		    "CP1252: last one intact");
		is_str(row.fields[1], "1", "CP1252: next field");
		roster_free(r);
	}
}

static void
t_delims(void)
{
	const char *p;
	struct roster *r;
	struct err e;

	p = mkfile_s("semi.csv", "a;b;c\r\n1;2,5;3\r\n");
	r = ropen(p, NULL, 0, &e);
	ok(r != NULL && roster_delimiter(r) == ';', "';' detected");
	if (r != NULL)
		is_str(dump(r), "1@2:1|2,5|3\n.", "';' rows keep commas");
	roster_free(r);
	p = mkfile_s("tab.csv", "\n\na\tb\n1\t2\n");
	r = ropen(p, NULL, 0, &e);
	ok(r != NULL && roster_delimiter(r) == '\t',
	    "tab detected after blank lines");
	if (r != NULL)
		is_str(dump(r), "1@4:1|2\n.", "tab rows");
	roster_free(r);
	p = mkfile_s("qsemi.csv", "\"x,y,z\";b\n1;2\n");
	r = ropen(p, NULL, 0, &e);
	ok(r != NULL && roster_delimiter(r) == ';',
	    "commas inside quotes not counted");
	if (r != NULL)
		is_str(cols_of(r), "x,y,z|b", "quoted header name");
	roster_free(r);
	p = mkfile_s("one.csv", "email\nx@y\n");
	r = ropen(p, NULL, 0, &e);
	ok(r != NULL && roster_delimiter(r) == ',', "default is comma");
	roster_free(r);
	p = mkfile_s("forcedsemi.csv", "a;b,c\n1;2,3\n");
	r = ropen(p, NULL, ';', &e);
	ok(r != NULL, "forced ';' opens");
	if (r != NULL) {
		is_str(cols_of(r), "a|b,c", "forced ';' header");
		is_str(dump(r), "1@2:1|2,3\n.", "forced ';' rows");
	}
	roster_free(r);
	r = ropen(p, NULL, '"', &e);
	ok(r == NULL && e.kind == E_USAGE, "quote as delimiter refused");
}

static void
t_quoted(void)
{
	const char *p = mkfile_s("quoted.csv", "name,note,n\r\n"
	    "\"Kim, A\",\"He said \"\"hi\"\"\",1\r\n"
	    "\"multi\r\nline\nfield\",x,2\r\n"
	    "after,\"\",3\r\n"
	    " sp , \"\"q ,4\r\n");
	struct roster *r;
	struct err e;
	char want[512];

	r = ropen(p, NULL, 0, &e);
	ok(r != NULL, "quoted: opens");
	if (r == NULL)
		return;
	snprintf(want, sizeof(want), "1@2:Kim, A|He said \"hi\"|1\n"
	    "2@3:multi\r\nline\nfield|x|2\n"
	    "3@6:after||3\n"
	    "4@7!%s:7:note\n.", p);
	is_str(dump(r), want, "quoted: fields, lines, quote after a space");
	roster_free(r);
	p = mkfile_s("spaces.csv", "a,b\n x , y\t\n");
	is_str(rows_of(p, NULL, 0), "1@2: x | y\t\n.",
	    "values keep their spaces (RFC 4180 2.4)");
}

static void
t_lines(void)
{
	const char *p;

	p = mkfile_s("blank.csv", "a,b\r\n\r\n1,2\r\n,\r\n  ,\t\r\n"
	    "\"\",\"\"\r\n3,4\r\n\r\n");
	is_str(rows_of(p, NULL, 0), "1@3:1|2\n2@7:3|4\n.",
	    "blank and all-empty rows skipped, not counted");
	p = mkfile_s("cr.csv", "a,b\r1,2\r\r3,4\r");
	is_str(rows_of(p, NULL, 0), "1@2:1|2\n2@4:3|4\n.",
	    "lone CR line ends (Mac Excel)");
	p = mkfile_s("noeol.csv", "a,b\n1,2\n3,4");
	is_str(rows_of(p, NULL, 0), "1@2:1|2\n2@3:3|4\n.",
	    "last row without a line end");
	p = mkfile_s("trim.csv", "  이름 \t,\t학번  ,\"  email \"\n"
	    "1,2,3\n");
	{
		struct err e;
		struct roster *r = ropen(p, NULL, 0, &e);

		ok(r != NULL, "trim: opens");
		if (r != NULL)
			is_str(cols_of(r), "이름|학번|email",
			    "header names trimmed");
		roster_free(r);
	}
}

static void
t_big_lines(void)
{
	/* CRLF split by the chunk boundary, many rows, a late multi-line. */
	size_t cap = 8 * 1024 * 1024, n = 0, i;
	char *buf = malloc(cap), want[128];
	const char *p, *s;

	n += (size_t)snprintf(buf, cap, "a,b\r\n");
	while (n < 65535 - 1)
		buf[n++] = 'x';
	memcpy(buf + n, ",1\r\n", 4);
	n += 4;
	for (i = 0; i < 100000; i++)
		n += (size_t)snprintf(buf + n, cap - n, "r%zu,%zu\r\n", i, i);
	n += (size_t)snprintf(buf + n, cap - n, "\"m\r\nl\",2\r\nlast,3\r\n");
	p = mkfile("biglines.csv", buf, n);
	s = rows_of(p, NULL, 0);
	like(s, "|1\n2@3:r0|0\n3@4:r1|1\n", "big: CR LF split at 64 KiB");
	snprintf(want, sizeof(want), "100001@100002:r99999|99999\n"
	    "100002@100003:m\r\nl|2\n100003@100005:last|3\n.");
	like(s, want, "big: row and line numbers at the end");
	free(buf);
}

static void
t_unterminated(void)
{
	const char *p = mkfile_s("unterm.csv", "a,b\n1,2\n3,x\n\n4,\"open\n"
	    "more,\n5,6\n");
	struct roster *r;
	struct roster_row row;
	struct err e;
	char where[256];

	r = ropen(p, NULL, 0, &e);
	ok(r != NULL, "unterminated: opens");
	if (r == NULL)
		return;
	is_int(roster_next(r, &row, &e), 1, "unterminated: row 1");
	is_int(roster_next(r, &row, &e), 1, "unterminated: row 2");
	is_int(roster_next(r, &row, &e), -1, "unterminated: fatal");
	is_int(e.kind, E_INPUT, "unterminated: kind");
	snprintf(where, sizeof(where), "%s:5", p);
	is_str(e.where, where, "unterminated: names the opening line");
	like(e.msg, "closing quote is missing", "unterminated: msg");
	err_clear(&e);
	is_int(roster_next(r, &row, &e), -1, "unterminated: stays fatal");
	is_str(e.where, where, "unterminated: same error again");
	roster_free(r);
}

static void
t_count(void)
{
	const char *p = mkfile_s("count.csv", "이름,학번,email,점수\n"
	    "a,b,c,d\na,b,c\nx,y,z,w\na,b,c,d,e\np,q,r,s\n");
	struct roster *r;
	struct roster_row row;
	struct err e;
	char where[256];

	r = ropen(p, NULL, 0, &e);
	ok(r != NULL, "count: opens");
	if (r == NULL)
		return;
	is_int(roster_next(r, &row, &e), 1, "count: row 1 fine");
	is_int(roster_next(r, &row, &e), -2, "count: short row is -2");
	is_int(e.kind, E_INPUT, "count: kind");
	snprintf(where, sizeof(where), "%s:3", p);
	is_str(e.where, where, "count: where");
	is_str(e.msg, "row 2 has 3 fields, the header has 4 (이름, 학번, "
	    "email, 점수); check for a missing comma", "count: short msg");
	is_int(row.row, 2, "count: -2 row number set");
	is_int(row.line, 3, "count: -2 line set");
	is_int(roster_next(r, &row, &e), 1, "count: goes on");
	is_int(row.row, 3, "count: the bad row was counted");
	is_str(row.fields[3], "w", "count: next row's fields");
	is_int(roster_next(r, &row, &e), -2, "count: long row is -2");
	like(e.msg, "row 4 has 5 fields, the header has 4", "count: long msg");
	like(e.msg, "unquoted comma", "count: long hint");
	is_str(dump(r), "5@6:p|q|r|s\n.", "count: the rest");
	roster_free(r);
	p = mkfile_s("countsemi.csv", "a;b\n1\n");
	r = ropen(p, NULL, 0, &e);
	ok(r != NULL, "count ';': opens");
	if (r != NULL) {
		is_int(roster_next(r, &row, &e), -2, "count ';': -2");
		like(e.msg, "row 1 has 1 field, the header has 2 (a, b); "
		    "check for a missing semicolon", "count ';': msg");
	}
	roster_free(r);
}

static void
t_header_errors(void)
{
	const char *p;
	char w[256];

	p = mkfile_s("dup.csv", "\n이름,b,이름\n1,2,3\n");
	snprintf(w, sizeof(w), "%s:2:이름", p);
	open_fails(p, NULL, E_INPUT, w, "columns 1 and 3 are both named "
	    "'이름'", "duplicate");
	p = mkfile_s("dup2.csv", "a, b ,b\n1,2,3\n");
	snprintf(w, sizeof(w), "%s:1:b", p);
	open_fails(p, NULL, E_INPUT, w, "columns 2 and 3", "duplicate "
	    "after trimming");
	p = mkfile_s("noname.csv", "a,,c\n1,2,3\n");
	snprintf(w, sizeof(w), "%s:1", p);
	open_fails(p, NULL, E_INPUT, w, "column 2 of the header has no "
	    "name", "empty column name");
	p = mkfile_s("noname2.csv", "a,b, \n1,2,3\n");
	snprintf(w, sizeof(w), "%s:1", p);
	open_fails(p, NULL, E_INPUT, w, "column 3 of the header has no "
	    "name", "blank column name");
	p = mkfile_s("empty.csv", "");
	snprintf(w, sizeof(w), "%s:1", p);
	open_fails(p, NULL, E_INPUT, w, "empty", "empty file");
	p = mkfile_s("blanks.csv", "\r\n,,\r\n\r\n");
	snprintf(w, sizeof(w), "%s:1", p);
	open_fails(p, NULL, E_INPUT, w, "empty", "only blank lines");
	p = mkfile_s("hdronly.csv", "a,b\r\n\r\n,\r\n");
	snprintf(w, sizeof(w), "%s:1", p);
	open_fails(p, NULL, E_INPUT, w, "no data rows", "header only");
	p = mkfile("hdrnul.csv", "a,b\0c\n1,2\n", 10);
	snprintf(w, sizeof(w), "%s:1", p);
	open_fails(p, NULL, E_INPUT, w, "NUL byte", "NUL in header");
	p = mkfile_s("hdrquote.csv", "a,b\"c\n1,2\n");
	snprintf(w, sizeof(w), "%s:1", p);
	open_fails(p, NULL, E_INPUT, w, "inside an unquoted field",
	    "stray quote in header");
	snprintf(w, sizeof(w), "%s/nonexistent.csv", tmpdir);
	open_fails(w, NULL, E_NOINPUT, w, "No such file", "missing file");
	open_fails(tmpdir, NULL, E_NOINPUT, tmpdir, "not a regular file",
	    "directory");
	/* Opened without O_NONBLOCK, a FIFO would wait for a writer. */
	snprintf(w, sizeof(w), "%s/fifo.csv", tmpdir);
	if (mkfifo(w, 0600) == 0)
		open_fails(w, NULL, E_NOINPUT, w, "not a regular file",
		    "FIFO");
	else
		ok(0, "FIFO: mkfifo %s", w);
	unlink(w);
}

static void
t_columns_max(void)
{
	static char buf[16 * 1024];
	size_t n = 0, i;
	const char *p;
	struct roster *r;
	struct err e;
	char w[256];

	for (i = 1; i <= ROSTER_COLS_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sc%zu",
		    i > 1 ? "," : "", i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\n");
	for (i = 1; i <= ROSTER_COLS_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%zu",
		    i > 1 ? "," : "", i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\n");
	p = mkfile("cols1024.csv", buf, n);
	r = ropen(p, NULL, 0, &e);
	ok(r != NULL && roster_ncols(r) == ROSTER_COLS_MAX,
	    "1024 columns are fine");
	if (r != NULL) {
		struct roster_row row;

		is_int(roster_next(r, &row, &e), 1, "1024: row");
		is_str(row.fields[ROSTER_COLS_MAX - 1], "1024", "1024: last");
	}
	roster_free(r);
	n = 0;
	for (i = 1; i <= ROSTER_COLS_MAX + 1; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sc%zu",
		    i > 1 ? "," : "", i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\n1\n");
	p = mkfile("cols1025.csv", buf, n);
	snprintf(w, sizeof(w), "%s:1", p);
	open_fails(p, NULL, E_INPUT, w, "the header has 1025 columns, "
	    "more than 1024", "1025 columns");
}

static void
t_field_errors(void)
{
	const char *p;
	char w[256];
	struct roster *r;
	struct roster_row row;
	struct err e;

	p = mkfile("nul.csv", "a,b\n1,x\0y\n3,4\n", 14);
	snprintf(w, sizeof(w), "%s:2:b", p);
	r = ropen(p, NULL, 0, &e);
	ok(r != NULL, "NUL: opens");
	if (r != NULL) {
		is_int(roster_next(r, &row, &e), -2, "NUL: row is -2");
		is_str(e.where, w, "NUL: where names line and column");
		like(e.msg, "row 1: the field holds a NUL byte", "NUL: msg");
		is_str(dump(r), "2@3:3|4\n.", "NUL: goes on");
	}
	roster_free(r);

	p = mkfile_s("stray.csv", "a,b\n1,5\" disk\n2,\"x\"y\n"
	    "\"3\",\"4\"\n");
	r = ropen(p, NULL, 0, &e);
	ok(r != NULL, "stray quote: opens");
	if (r != NULL) {
		is_int(roster_next(r, &row, &e), -2, "stray: row 1 is -2");
		snprintf(w, sizeof(w), "%s:2:b", p);
		is_str(e.where, w, "stray: where");
		like(e.msg, "row 1: a \" inside an unquoted field",
		    "stray: msg");
		is_int(roster_next(r, &row, &e), -2, "after quote: -2");
		snprintf(w, sizeof(w), "%s:3:b", p);
		is_str(e.where, w, "after quote: where");
		like(e.msg, "'y' follows the closing quote of a field that "
		    "started on line 3", "after quote: msg");
		is_str(dump(r), "3@4:3|4\n.", "stray: goes on at next line");
	}
	roster_free(r);
}

static void
t_skip_chunk(void)
{
	/* The rest of a bad line runs past the 64 KiB chunk boundary. */
	static char buf[80000];
	char want[256];
	const char *p;
	size_t n;

	n = (size_t)snprintf(buf, sizeof(buf), "a,b\n1,5\" ");
	memset(buf + n, 'x', 70000);
	n += 70000;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",zz\n2,3\n");
	p = mkfile("skipchunk.csv", buf, n);
	snprintf(want, sizeof(want), "1@2!%s:2:b\n2@3:2|3\n.", p);
	is_str(rows_of(p, NULL, 0), want, "bad line skipped across chunks");
}

static void
t_too_long(void)
{
	size_t cap = ROSTER_FIELD_MAX + 300000, n;
	char *buf = malloc(cap + 64), w[256];
	const char *p;
	struct roster *r;
	struct roster_row row;
	struct err e;

	n = (size_t)snprintf(buf, 64, "a,b\n1,");
	memset(buf + n, 'x', ROSTER_FIELD_MAX);
	n += ROSTER_FIELD_MAX;
	memcpy(buf + n, "\n", 1);
	p = mkfile("max.csv", buf, n + 1);
	r = ropen(p, NULL, 0, &e);
	ok(r != NULL, "field of ROSTER_FIELD_MAX: opens");
	if (r != NULL) {
		is_int(roster_next(r, &row, &e), 1, "max field: fine");
		is_int(row.lens[1], ROSTER_FIELD_MAX, "max field: length");
	}
	roster_free(r);

	memcpy(buf + n, "x\n2,3\n", 6);
	p = mkfile("max1.csv", buf, n + 6);
	r = ropen(p, NULL, 0, &e);
	ok(r != NULL, "field of ROSTER_FIELD_MAX + 1: opens");
	if (r != NULL) {
		is_int(roster_next(r, &row, &e), -2, "max + 1: -2");
		snprintf(w, sizeof(w), "%s:2:b", p);
		is_str(e.where, w, "max + 1: where");
		like(e.msg, "longer than 1048576 bytes", "max + 1: msg");
		is_str(dump(r), "2@3:2|3\n.", "max + 1: goes on");
	}
	roster_free(r);
	free(buf);
}

static void
t_runaway(void)
{
	size_t cap = ROSTER_FIELD_MAX + 300000, n;
	char *buf = malloc(cap + 64), w[256];
	const char *p;
	struct roster *r;
	struct err e;

	n = (size_t)snprintf(buf, 64, "a,b\n1,");
	memset(buf + n, 'x', cap - n);
	memcpy(buf + cap, "\n", 1);
	p = mkfile("huge.csv", buf, cap + 1);
	r = ropen(p, NULL, 0, &e);
	ok(r == NULL, "runaway field: open fails");
	like(e.msg, "longer than 1048576 bytes", "runaway field: msg");
	roster_free(r);

	buf[4] = '"';
	p = mkfile("runaway.csv", buf, cap + 1);
	r = ropen(p, NULL, 0, &e);
	ok(r == NULL, "runaway quote: open fails");
	snprintf(w, sizeof(w), "%s:2:a", p);
	is_str(e.where, w, "runaway quote: where");
	like(e.msg, "closing quote of the quoted field that starts on "
	    "line 2 missing", "runaway quote: msg");
	roster_free(r);
	free(buf);
}

static void
t_bad_bytes(void)
{
	const char *p;
	char w[256];

	p = mkfile_s("ff.csv", "a,b\n1,2\n3,\xff\n");
	snprintf(w, sizeof(w), "%s:3", p);
	open_fails(p, NULL, E_INPUT, w, "byte 0xff at offset 10 is not "
	    "valid UTF-8 or CP949; save the file as CSV UTF-8 or pass "
	    "--encoding", "0xff");
	p = mkfile_s("ff2.csv", "이름,b\n홍길동,2\n\xff,3\n");
	snprintf(w, sizeof(w), "%s:3", p);
	open_fails(p, NULL, E_INPUT, w, "byte 0xff at offset 21 ",
	    "0xff in UTF-8 Korean");
	p = mkfile_s("cp80.csv", "\xC0\xCC\xB8\xA7,b\n\xC8\xAB,\x80" "x\n");
	snprintf(w, sizeof(w), "%s:2", p);
	open_fails(p, NULL, E_INPUT, w, "byte 0x80 at offset 10 ",
	    "0x80 in CP949");
	p = mkfile_s("trunc.csv", "a,b\n1,\xEC\x9D");
	snprintf(w, sizeof(w), "%s:2", p);
	open_fails(p, "UTF-8", E_INPUT, w, "byte 0xec at offset 6 is not "
	    "valid UTF-8", "truncated UTF-8 at the end");
	p = mkfile_s("surrogate.csv", "a,b\n1,\xED\xA0\x80\n");
	snprintf(w, sizeof(w), "%s:2", p);
	open_fails(p, "utf8", E_INPUT, w, "byte 0xed at offset 6",
	    "UTF-8 surrogate refused");
	p = mkfile_s("overlong.csv", "a,b\n1,\xE0\x80\xAF\n");
	snprintf(w, sizeof(w), "%s:2", p);
	open_fails(p, "UTF-8", E_INPUT, w, "byte 0xe0 at offset 6",
	    "overlong UTF-8 refused");
	p = mkfile_s("crbad.csv", "a,b\r1,2\r\n3,\xff\r");
	snprintf(w, sizeof(w), "%s:3", p);
	open_fails(p, NULL, E_INPUT, w, "byte 0xff at offset 11 ",
	    "bad byte after CR and CRLF line ends");
	p = mkfile_s("forcedbad.csv", "\xC0\xCC,b\n1,2\n3,\xFF\n");
	snprintf(w, sizeof(w), "%s:3", p);
	open_fails(p, "CP949", E_INPUT, w, "byte 0xff at offset 11 is not "
	    "valid CP949", "forced CP949, bad byte");
}

static void
t_rewind(void)
{
	const char *p = mkfile_s("rewind.csv", "\n이름,n\r\n\"a\nb\",1\r\n"
	    "x\r\n,\r\nc,2\r\n");
	struct roster *r;
	struct err e;
	char first[1024];

	r = ropen(p, NULL, 0, &e);
	ok(r != NULL, "rewind: opens");
	if (r == NULL)
		return;
	snprintf(first, sizeof(first), "%s", dump(r));
	like(first, "1@3:a\nb|1\n2@5!", "rewind: first pass");
	is_int(roster_rewind(r, &e), 0, "rewind: ok");
	is_str(dump(r), first, "rewind: same rows, rows and lines");
	is_int(roster_rewind(r, &e), 0, "rewind: again");
	is_str(dump(r), first, "rewind: same rows again");
	roster_free(r);

	p = mkfile_s("rewind949.csv", cp949);
	r = ropen(p, NULL, 0, &e);
	if (r != NULL) {
		snprintf(first, sizeof(first), "%s", dump(r));
		is_int(roster_rewind(r, &e), 0, "rewind cp949: ok");
		is_str(dump(r), first, "rewind cp949: same rows");
	}
	roster_free(r);

	p = mkfile_s("rewindbad.csv", "a\n1\n\"2\n");
	r = ropen(p, NULL, 0, &e);
	if (r != NULL) {
		snprintf(first, sizeof(first), "%s", dump(r));
		like(first, "1@2:1\nFATAL", "rewind after fatal: first");
		is_int(roster_rewind(r, &e), 0, "rewind after fatal: ok");
		is_str(dump(r), first, "rewind after fatal: same");
	}
	roster_free(r);
}

static void
t_write(void)
{
	static const char *const rows[][3] = {
		{ "이름", "note", "n" },
		{ "홍길동", "He said \"hi\", ok", "1" },
		{ "multi\r\nline\n", "", " sp " },
		{ "plain", "a,b", "x" },
	};
	const char *p = mkfile_s("write.csv", "");
	const char *one[1] = { "" };
	char raw[512];
	size_t i, n;
	struct err e;
	FILE *f;

	f = fopen(p, "wb");
	for (i = 0; i < 4; i++)
		is_int(roster_write(f, rows[i], 3, &e), 0, "write row %zu", i);
	fclose(f);
	is_str(rows_of(p, NULL, 0), "1@2:홍길동|He said \"hi\", ok|1\n"
	    "2@3:multi\r\nline\n|| sp \n3@6:plain|a,b|x\n.",
	    "write: reads back the same");
	f = fopen(p, "rb");
	n = fread(raw, 1, sizeof(raw) - 1, f);
	fclose(f);
	raw[n] = '\0';
	like(raw, "\r\nplain,\"a,b\",x\r\n", "write: quotes only if needed");
	like(raw, "이름,note,n\r\n", "write: CRLF, no quotes");

	f = fopen(p, "wb");
	is_int(roster_write(f, one, 1, &e), 0, "write: one empty field");
	fclose(f);
	f = fopen(p, "rb");
	n = fread(raw, 1, sizeof(raw) - 1, f);
	fclose(f);
	raw[n] = '\0';
	is_str(raw, "\"\"\r\n", "write: lone empty field quoted");
}

static void
t_write_error(void)
{
	static const char *const row[] = { "a", "b", "c" };
	struct err e;
	FILE *f;

	f = fopen("/dev/full", "w");
	if (f != NULL) {
		setvbuf(f, NULL, _IONBF, 0);
		is_int(roster_write(f, row, 3, &e), -1, "write: error");
		is_int(e.kind, E_OS, "write: E_OS");
		like(e.msg, "No space", "write: strerror");
		fclose(f);
	}
}

static void
t_speed(void)
{
	size_t rows = 200000, cap = rows * 64, n, i;
	char *buf = malloc(cap);
	const char *p;
	struct roster *r;
	struct roster_row row;
	struct err e;
	struct timespec t0, t1;
	double s;

	n = (size_t)snprintf(buf, cap, "이름,학번,email,점수,반\r\n");
	for (i = 0; i < rows; i++)
		n += (size_t)snprintf(buf + n, cap - n,
		    "홍길동%zu,2024%06zu,s%zu@example.com,%zu,A\r\n",
		    i, i, i, i % 100);
	p = mkfile("speed.csv", buf, n);
	free(buf);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = ropen(p, NULL, 0, &e);
	i = 0;
	while (r != NULL && roster_next(r, &row, &e) == 1)
		i++;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	roster_free(r);
	is_int(i, rows, "speed: all rows read");
	s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# %zu rows in %.3f s: %.0f rows/s\n", rows, s, rows / s);
}

int
main(void)
{
	int i;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_roster.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	t_utf8();
	t_bom();
	t_cp949();
	t_cp949_big();
	t_utf16();
	t_forced();
	t_expanding();
	t_delims();
	t_quoted();
	t_lines();
	t_big_lines();
	t_unterminated();
	t_count();
	t_header_errors();
	t_columns_max();
	t_field_errors();
	t_skip_chunk();
	t_too_long();
	t_runaway();
	t_bad_bytes();
	t_rewind();
	t_write();
	t_write_error();
	t_speed();
	for (i = 0; i < npaths; i++)
		unlink(paths[i]);
	rmdir(tmpdir);
	return tap_done();
}
