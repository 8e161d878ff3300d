/*
 * Spreadsheet rosters: .xlsx (ECMA-376) and .ods (ODF 1.2) through
 * libzip + expat, .xls (BIFF) through libfreexl; the only module that
 * includes those libraries.
 *
 * A sheet is read whole into one cell table (row, column, text), capped
 * in cells and octets, and then handed out row by row; a class roster
 * is a few thousand cells.  The text of a cell is what a person sees:
 * numbers in the shortest form that reads back (at most 15 significant
 * digits, as Excel's General format), integers without ".0", a serial
 * number whose cell format is a date as YYYY-MM-DD, TRUE/FALSE, shared
 * and inline strings with their rich-text runs joined (phonetic runs
 * left out), a formula's cached value, never the formula.
 *
 * Hostile files: every ZIP part is inflated through a counter and
 * refused past SHEET_PART_MAX whatever its header claims; a DOCTYPE or
 * an entity declaration stops the parse (OOXML and ODF never need
 * one), with expat's amplification limit behind that; part names taken
 * from the file (relationship targets) may not climb out with "..";
 * columns, rows, cells and text are capped.  Nothing is written.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Debian builds expat with XML_DTD (expat_config.h), which declares the
 * amplification limits; expat.h does not include that file. */
#ifndef XML_DTD
#define XML_DTD 1
#endif
#include <expat.h>
#include <freexl.h>
#include <zip.h>

#include "buf.h"
#include "err.h"
#include "i18n.h"
#include "sheet.h"
#include "xalloc.h"

#define CHUNK		(64 * 1024)	/* octets inflated per read */
#define VALUE_MAX	(1024 * 1024)	/* octets of one cell's text */
#define SPACES_MAX	1024		/* one <text:s text:c="N"/> */
#define XF_MAX		65536		/* cell formats in styles.xml */
#define ODS_MIME	"application/vnd.oasis.opendocument.spreadsheet"

#define NS_OFFICE	"urn:oasis:names:tc:opendocument:xmlns:office:1.0|"
#define NS_TABLE	"urn:oasis:names:tc:opendocument:xmlns:table:1.0|"
#define NS_TEXT		"urn:oasis:names:tc:opendocument:xmlns:text:1.0|"
#define NS_STYLE	"urn:oasis:names:tc:opendocument:xmlns:style:1.0|"

struct cell {
	size_t		 row;		/* 1-based */
	size_t		 col;		/* 0-based */
	size_t		 off;		/* in text */
	size_t		 len;
};

struct sheet {
	enum sheet_kind	 kind;
	char		*name;
	struct cell	*cells;
	size_t		 ncells;
	size_t		 ccap;
	struct buf	 text;
	size_t		 pos;		/* next cell for sheet_next() */
	struct sheet_cell *out;		/* one row, for sheet_next() */
	size_t		 outcap;
};

/* A sheet of the workbook as listed before any is read. */
struct entry {
	char		*name;
	char		*part;		/* xlsx: the worksheet's part */
	bool		 resolved;	/* xlsx: part is a part, not an id */
	bool		 hidden;
};

/* The workbook being opened. */
struct book {
	const char	*file;		/* for messages */
	zip_t		*za;
	struct sheet	*s;
	struct entry	*ent;
	size_t		 nent;
	int		 pick;		/* index into ent, -1: none yet */
	const char	*want;
	bool		 date1904;
	/* xlsx */
	char		*sst_part;
	char		*styles_part;
	struct buf	 sst;		/* shared strings, NUL-separated */
	size_t		*sst_off;
	size_t		 nsst;
	unsigned char	*xf;		/* per cell format: enum numkind */
	size_t		 nxf;
	struct fmt	*fmts;		/* custom number formats */
	size_t		 nfmts;
};

enum numkind { NUM_PLAIN, NUM_DATE, NUM_DATETIME, NUM_TIME };

struct fmt {
	unsigned	 id;
	enum numkind	 kind;
};

/* One expat parse of one part; handlers get it as user data. */
struct xp {
	XML_Parser	 p;
	struct book	*b;
	struct err	*e;
	const char	*part;
	bool		 failed;
	struct buf	 chars;		/* collected character data */
	bool		 collect;
	void		*st;		/* the part's own state */
};

/* ---- errors --------------------------------------------------------- */

static void __attribute__((format(printf, 4, 5)))
book_fail(struct book *b, struct err *e, const char *ref, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_setv(e, E_INPUT, b->file, fmt, ap);
	va_end(ap);
	if (ref != NULL)
		err_where(e, "%s:%s", b->file, ref);
}

/* Stop the parse with an error; the first one wins. */
static void __attribute__((format(printf, 3, 4)))
bail(struct xp *x, const char *ref, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	if (x->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), _(fmt), ap);
	va_end(ap);
	book_fail(x->b, x->e, ref, "%s", msg);
	x->failed = true;
	XML_StopParser(x->p, XML_FALSE);
}

/* ---- the cell table ------------------------------------------------- */

void
sheet_ref(char *out, size_t size, const char *sheet, size_t row, size_t col)
{
	char letters[8];
	size_t i = sizeof(letters) - 1, n = col + 1;
	const char *c;
	bool quote = false;

	letters[i] = '\0';
	while (n > 0 && i > 0) {
		letters[--i] = (char)('A' + (n - 1) % 26);
		n = (n - 1) / 26;
	}
	for (c = sheet; *c != '\0'; c++)
		if ((unsigned char)*c < 0x80 && *c != '_' && *c != '.' &&
		    !(*c >= '0' && *c <= '9') && !(*c >= 'a' && *c <= 'z') &&
		    !(*c >= 'A' && *c <= 'Z'))
			quote = true;
	if (quote)
		snprintf(out, size, "'%s'!%s%zu", sheet, letters + i, row);
	else
		snprintf(out, size, "%s!%s%zu", sheet, letters + i, row);
}

static void
cell_ref(const struct book *b, char *out, size_t size, size_t row,
    size_t col)
{
	const char *name = b->pick >= 0 ? b->ent[b->pick].name : "?";

	sheet_ref(out, size, name, row, col);
}

/* Append t and a NUL; t may point into b (a repeated ODS row). */
static int
add_text(struct buf *b, const char *t, size_t len)
{
	bool inside = b->data != NULL && t >= b->data && t < b->data + b->len;
	size_t from = inside ? (size_t)(t - b->data) : 0;
	char *to = buf_extend(b, len + 1);

	if (to == NULL)
		return -1;
	memcpy(to, inside ? b->data + from : t, len);
	to[len] = '\0';
	return 0;
}

/* Keep a non-empty cell.  -1 when a cap is passed. */
static int
add_cell(struct xp *x, size_t row, size_t col, const char *t, size_t len)
{
	struct sheet *s = x->b->s;
	char ref[64];

	if (len == 0)
		return 0;
	cell_ref(x->b, ref, sizeof(ref), row, col);
	if (col >= SHEET_COLS_MAX || row > SHEET_ROWS_MAX || row == 0) {
		bail(x, ref, "a value outside the %d columns and %d rows a "
		    "spreadsheet has; the file is damaged or hostile",
		    SHEET_COLS_MAX, SHEET_ROWS_MAX);
		return -1;
	}
	if (s->ncells >= SHEET_CELLS_MAX) {
		bail(x, ref, "more than %d non-empty cells: not a class "
		    "roster; refusing to read further", SHEET_CELLS_MAX);
		return -1;
	}
	if (s->ncells == s->ccap) {
		s->ccap = s->ccap ? 2 * s->ccap : 256;
		s->cells = xreallocarray(s->cells, s->ccap, sizeof(*s->cells));
	}
	s->cells[s->ncells].row = row;
	s->cells[s->ncells].col = col;
	s->cells[s->ncells].off = s->text.len;
	s->cells[s->ncells].len = len;
	if (add_text(&s->text, t, len) == -1) {
		bail(x, ref, "more than %d MB of cell text: refusing to read "
		    "further", SHEET_TEXT_MAX / (1024 * 1024));
		return -1;
	}
	s->ncells++;
	return 0;
}

static int
cell_cmp(const void *a, const void *b)
{
	const struct cell *x = a, *y = b;

	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* Rows in order; a cell given twice keeps its last value. */
static void
cells_sort(struct sheet *s)
{
	size_t i, n = 0;

	if (s->ncells == 0)
		return;
	qsort(s->cells, s->ncells, sizeof(*s->cells), cell_cmp);
	for (i = 0; i < s->ncells; i++) {
		if (n > 0 && s->cells[n - 1].row == s->cells[i].row &&
		    s->cells[n - 1].col == s->cells[i].col)
			n--;
		s->cells[n++] = s->cells[i];
	}
	s->ncells = n;
}

int
sheet_next(struct sheet *s, struct sheet_row *row)
{
	size_t i = s->pos, n = 0;

	if (i >= s->ncells)
		return 0;
	row->row = s->cells[i].row;
	while (i + n < s->ncells && s->cells[i + n].row == row->row)
		n++;
	if (n > s->outcap) {
		s->outcap = n;
		s->out = xreallocarray(s->out, n, sizeof(*s->out));
	}
	for (size_t k = 0; k < n; k++) {
		s->out[k].col = s->cells[i + k].col;
		s->out[k].text = s->text.data + s->cells[i + k].off;
		s->out[k].len = s->cells[i + k].len;
	}
	row->ncells = n;
	row->cells = s->out;
	s->pos = i + n;
	return 1;
}

void
sheet_rewind(struct sheet *s)
{
	s->pos = 0;
}

const char *
sheet_name(const struct sheet *s)
{
	return s->name;
}

const char *
sheet_format(const struct sheet *s)
{
	static const char *const names[] = {
		[SHEET_NONE] = "CSV", [SHEET_XLSX] = "XLSX",
		[SHEET_ODS] = "ODS", [SHEET_XLS] = "XLS"
	};

	return names[s->kind];
}

void
sheet_free(struct sheet *s)
{
	if (s == NULL)
		return;
	free(s->name);
	free(s->cells);
	free(s->out);
	buf_fini(&s->text);
	free(s);
}

/* ---- numbers and dates ---------------------------------------------- */

/*
 * The shortest "%.Ng" that reads back as v, N at most 15 (Excel shows
 * 15 significant digits, so 0.1+0.2 shows as 0.3); integers in full.
 */
static void
fmt_number(double v, char *out, size_t size)
{
	int prec;

	if (v == 0) {
		snprintf(out, size, "0");
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(out, size, "%.0f", v);
		return;
	}
	for (prec = 1; prec < 15; prec++) {
		snprintf(out, size, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
	snprintf(out, size, "%.15g", v);
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
static void
civil(long long z, int *y, unsigned *m, unsigned *d)
{
	long long era, yy;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (long long)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

/*
 * A date serial as text: 1900 system (1 = 1900-01-01, with Excel's
 * phantom 1900-02-29 at 60) or 1904 (0 = 1904-01-01).  -1 out of range.
 */
static int
fmt_serial(double v, enum numkind kind, bool date1904, char *out,
    size_t size)
{
	long long days, secs;
	int y;
	unsigned m, d;

	if (!(v >= 0 && v < 2958466))
		return -1;
	days = (long long)floor(v);
	secs = llround((v - (double)days) * 86400);
	if (secs >= 86400) {
		days++;
		secs -= 86400;
	}
	if (kind == NUM_TIME) {
		snprintf(out, size, "%02lld:%02lld:%02lld", secs / 3600,
		    secs / 60 % 60, secs % 60);
		return 0;
	}
	/* To days since 1970-01-01. */
	if (date1904)
		days -= 24107;
	else
		days -= days < 60 ? 25568 : 25569;
	civil(days, &y, &m, &d);
	if (kind == NUM_DATETIME && secs != 0)
		snprintf(out, size, "%04d-%02u-%02u %02lld:%02lld", y, m, d,
		    secs / 3600, secs / 60 % 60);
	else
		snprintf(out, size, "%04d-%02u-%02u", y, m, d);
	return 0;
}

/*
 * What a number format shows: a date if it has y or d (or m with
 * neither h nor s) outside quotes, brackets and escapes; a time if it
 * has h or s only.
 */
static enum numkind
classify(const char *code)
{
	bool y = false, m = false, d = false, h = false, s = false;
	const char *c;

	for (c = code; *c != '\0'; c++) {
		switch (*c) {
		case '"':
			c = strchr(c + 1, '"');
			if (c == NULL)
				return NUM_PLAIN;
			break;
		case '[':
			c = strchr(c + 1, ']');
			if (c == NULL)
				return NUM_PLAIN;
			break;
		case '\\': case '_': case '*':
			if (c[1] != '\0')
				c++;
			break;
		case ';':
			goto done;	/* the positive section decides */
		case 'y': case 'Y': y = true; break;
		case 'm': case 'M': m = true; break;
		case 'd': case 'D': d = true; break;
		case 'h': case 'H': h = true; break;
		case 's': case 'S': s = true; break;
		}
	}
done:
	if (y || d || (m && !h && !s))
		return h ? NUM_DATETIME : NUM_DATE;
	return h || s ? NUM_TIME : NUM_PLAIN;
}

/*
 * ECMA-376 §18.8.30 built-in formats: 14-17 dates, 18-21 and 45-47
 * times, 22 date and time; 27-36 and 50-58 are dates in the East
 * Asian (Korean, Japanese, Chinese) locales.
 */
static enum numkind
builtin_kind(unsigned id)
{
	if ((id >= 14 && id <= 17) || (id >= 27 && id <= 31) || id == 36 ||
	    (id >= 50 && id <= 58))
		return NUM_DATE;
	if (id == 22)
		return NUM_DATETIME;
	if ((id >= 18 && id <= 21) || (id >= 32 && id <= 35) ||
	    (id >= 45 && id <= 47))
		return NUM_TIME;
	return NUM_PLAIN;
}

/* ---- XML plumbing ---------------------------------------------------- */

static const char *
local(const char *name)
{
	const char *s = strrchr(name, '|');

	return s != NULL ? s + 1 : name;
}

/* An attribute by local name (any namespace). */
static const char *
attr(const char **atts, const char *name)
{
	for (; atts[0] != NULL; atts += 2)
		if (strcmp(local(atts[0]), name) == 0)
			return atts[1];
	return NULL;
}

/* An attribute by full "namespace|name". */
static const char *
attr_ns(const char **atts, const char *name)
{
	for (; atts[0] != NULL; atts += 2)
		if (strcmp(atts[0], name) == 0)
			return atts[1];
	return NULL;
}

static void
on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal)
{
	struct xp *x = ud;

	(void)name, (void)sysid, (void)pubid, (void)has_internal;
	bail(x, NULL, "%s has a DOCTYPE, which no spreadsheet needs; the "
	    "file is hostile or damaged (entity expansion)", x->part);
}

static void
on_entity(void *ud, const XML_Char *name, int is_param,
    const XML_Char *value, int value_len, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	struct xp *x = ud;

	(void)name, (void)is_param, (void)value, (void)value_len;
	(void)base, (void)sysid, (void)pubid, (void)notation;
	bail(x, NULL, "%s declares an entity; the file is hostile or "
	    "damaged", x->part);
}

static void
on_chars(void *ud, const XML_Char *s, int len)
{
	struct xp *x = ud;

	if (!x->collect || x->failed)
		return;
	if (buf_add(&x->chars, s, (size_t)len) == -1)
		bail(x, NULL, "a value in %s is longer than %d octets",
		    x->part, VALUE_MAX);
}

static XML_Parser
parser_new(struct xp *x, XML_StartElementHandler start,
    XML_EndElementHandler end)
{
	XML_Parser p = XML_ParserCreateNS(NULL, '|');

	if (p == NULL)
		return NULL;
	XML_SetUserData(p, x);
	XML_SetStartDoctypeDeclHandler(p, on_doctype);
	XML_SetEntityDeclHandler(p, on_entity);
	XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
	XML_SetBillionLaughsAttackProtectionMaximumAmplification(p, 10.0f);
	XML_SetBillionLaughsAttackProtectionActivationThreshold(p,
	    1024 * 1024);
	XML_SetElementHandler(p, start, end);
	XML_SetCharacterDataHandler(p, on_chars);
	return p;
}

/* A part name from the file: no "..", no "\", nothing absolute. */
static bool
part_ok(const char *name)
{
	const char *c = name;

	if (*name == '\0' || *name == '/' || strchr(name, '\\') != NULL)
		return false;
	while (c != NULL) {
		if (strncmp(c, "..", 2) == 0 && (c[2] == '/' || c[2] == '\0'))
			return false;
		c = strchr(c, '/');
		if (c != NULL)
			c++;
	}
	return true;
}

static void
zip_fail(struct book *b, struct err *e, const char *part, zip_error_t *ze)
{
	if (part != NULL)
		book_fail(b, e, NULL, "part %s: %s; the file is damaged (save "
		    "it again from the spreadsheet program)", part,
		    zip_error_strerror(ze));
	else
		book_fail(b, e, NULL, "cannot read the ZIP container: %s; the "
		    "file is damaged (save it again from the spreadsheet "
		    "program)", zip_error_strerror(ze));
}

/* Feed one inflated chunk to expat; -1 on an error (set in x->e). */
static int
feed(struct xp *x, const char *chunk, zip_int64_t n)
{
	if (XML_Parse(x->p, chunk, (int)n, n == 0) == XML_STATUS_ERROR &&
	    !x->failed) {
		book_fail(x->b, x->e, NULL, "%s is not well-formed XML (line "
		    "%lu, column %lu: %s); the file is damaged", x->part,
		    (unsigned long)XML_GetCurrentLineNumber(x->p),
		    (unsigned long)XML_GetCurrentColumnNumber(x->p),
		    XML_ErrorString(XML_GetErrorCode(x->p)));
		x->failed = true;
	}
	return x->failed ? -1 : 0;
}

/* Inflate part through x->p, counting octets whatever the header says. */
static int
inflate_part(struct xp *x, zip_file_t *zf)
{
	char *chunk = xmalloc(CHUNK);
	zip_uint64_t total = 0;
	zip_int64_t n;
	int rc = -1;

	do {
		n = zip_fread(zf, chunk, CHUNK);
		if (n < 0) {
			zip_fail(x->b, x->e, x->part, zip_file_get_error(zf));
			goto out;
		}
		total += (zip_uint64_t)n;
		if (total > SHEET_PART_MAX) {
			book_fail(x->b, x->e, NULL, "part %s inflates to more "
			    "than %d MB: refusing it (a ZIP bomb?)", x->part,
			    SHEET_PART_MAX / (1024 * 1024));
			goto out;
		}
		if (feed(x, chunk, n) == -1)
			goto out;
	} while (n > 0);
	rc = 0;
out:
	free(chunk);
	return rc;
}

/*
 * Parse one part of the ZIP with the handlers given.  A missing part
 * is 1 when optional, else an error.
 */
static int
parse_part(struct book *b, const char *part, bool optional,
    XML_StartElementHandler start, XML_EndElementHandler end, void *st,
    struct err *e)
{
	struct xp x = { .b = b, .e = e, .part = part, .st = st };
	zip_stat_t zs;
	zip_file_t *zf;
	int rc = -1;

	if (!part_ok(part)) {
		book_fail(b, e, NULL, "the workbook refers to a part named "
		    "'%s', outside the file; the file is hostile or damaged",
		    part);
		return -1;
	}
	if (zip_stat(b->za, part, 0, &zs) == -1) {
		if (optional)
			return 1;
		book_fail(b, e, NULL, "part %s is missing; the file is "
		    "damaged or not a spreadsheet", part);
		return -1;
	}
	if ((zs.valid & ZIP_STAT_SIZE) && zs.size > SHEET_PART_MAX) {
		book_fail(b, e, NULL, "part %s would inflate to %llu octets, "
		    "more than %d MB: refusing it (a ZIP bomb?)", part,
		    (unsigned long long)zs.size, SHEET_PART_MAX / (1024 * 1024));
		return -1;
	}
	zf = zip_fopen(b->za, part, 0);
	if (zf == NULL) {
		zip_fail(b, e, part, zip_get_error(b->za));
		return -1;
	}
	buf_init(&x.chars, VALUE_MAX);
	x.p = parser_new(&x, start, end);
	if (x.p == NULL)
		err_set(e, E_OS, b->file, "out of memory for the XML parser");
	else
		rc = inflate_part(&x, zf);
	if (x.p != NULL)
		XML_ParserFree(x.p);
	buf_fini(&x.chars);
	zip_fclose(zf);
	return rc;
}

/* ---- sheet selection ------------------------------------------------ */

static void
entry_add(struct xp *x, const char *name, const char *part, bool hidden)
{
	struct book *b = x->b;

	if (b->nent >= SHEET_SHEETS_MAX) {
		bail(x, NULL, "more than %d sheets", SHEET_SHEETS_MAX);
		return;
	}
	b->ent = xreallocarray(b->ent, b->nent + 1, sizeof(*b->ent));
	b->ent[b->nent].name = xstrdup(name);
	b->ent[b->nent].part = part != NULL ? xstrdup(part) : NULL;
	b->ent[b->nent].hidden = hidden;
	b->ent[b->nent].resolved = false;
	b->nent++;
}

/* "1", "2", ... as a sheet number; 0 if not one. */
static size_t
sheet_number(const char *s)
{
	size_t n = 0;

	if (*s < '1' || *s > '9')
		return 0;
	for (; *s >= '0' && *s <= '9' && n < SHEET_SHEETS_MAX + 1; s++)
		n = n * 10 + (size_t)(*s - '0');
	return *s == '\0' ? n : 0;
}

/* The sheets' names for a message: "'a', 'b', 'c'". */
static void
list_names(const struct book *b, char *out, size_t size)
{
	size_t i, len = 0;
	int n;

	out[0] = '\0';
	for (i = 0; i < b->nent && len < size; i++) {
		n = snprintf(out + len, size - len, "%s'%s'%s", i ? ", " : "",
		    b->ent[i].name, b->ent[i].hidden ? _(" (hidden)") : "");
		if (n < 0)
			break;
		len += (size_t)n;
	}
}

/* Index of the sheet b->want asks for (or the first visible); -1. */
static int
pick_sheet(struct book *b, struct err *e)
{
	char names[256];
	size_t i, n;

	for (i = 0; i < b->nent; i++)
		if (b->want == NULL ? !b->ent[i].hidden :
		    strcmp(b->ent[i].name, b->want) == 0)
			return (int)i;
	if (b->want != NULL) {
		n = sheet_number(b->want);
		if (n >= 1 && n <= b->nent)
			return (int)(n - 1);
	}
	list_names(b, names, sizeof(names));
	if (b->want == NULL)
		book_fail(b, e, NULL, "no visible sheet (sheets: %s); pick one "
		    "with --sheet", b->nent ? names : _("none"));
	else if (sheet_number(b->want) != 0)
		book_fail(b, e, NULL, "no sheet named '%s' and not that many "
		    "sheets; its sheets are %s", b->want, b->nent ? names :
		    _("none"));
	else
		book_fail(b, e, NULL, "no sheet named '%s'; its sheets are %s",
		    b->want, b->nent ? names : _("none"));
	return -1;
}

/* ---- xlsx ----------------------------------------------------------- */

/* workbook.xml: <sheet name state r:id/>, <workbookPr date1904/>. */
static void
wb_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xp *x = ud;
	const char *n = local(name), *v, *st, *rid;

	if (strcmp(n, "workbookPr") == 0) {
		v = attr(atts, "date1904");
		x->b->date1904 = v != NULL && (strcmp(v, "1") == 0 ||
		    strcmp(v, "true") == 0);
	} else if (strcmp(n, "sheet") == 0) {
		v = attr(atts, "name");
		st = attr(atts, "state");
		rid = attr(atts, "id");
		if (v == NULL || rid == NULL) {
			bail(x, NULL, "workbook.xml lists a sheet without a "
			    "name or id; the file is damaged");
			return;
		}
		/* The part comes from the relationships; keep the id. */
		entry_add(x, v, rid, st != NULL && strcmp(st, "visible") != 0);
	}
}

static void
no_end(void *ud, const XML_Char *name)
{
	(void)ud, (void)name;
}

/* "worksheets/sheet1.xml" from xl/ to "xl/worksheets/sheet1.xml". */
static char *
resolve(const char *target)
{
	size_t n = strlen(target) + 4;
	char *p = xmalloc(n);

	if (target[0] == '/')
		snprintf(p, n, "%s", target + 1);
	else
		snprintf(p, n, "xl/%s", target);
	return p;
}

static bool
ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && strcmp(s + a - b, tail) == 0;
}

/* workbook.xml.rels: sheet ids to parts; shared strings and styles. */
static void
rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xp *x = ud;
	struct book *b = x->b;
	const char *id = attr(atts, "Id"), *tg = attr(atts, "Target");
	const char *type = attr(atts, "Type"), *mode = attr(atts, "TargetMode");
	size_t i;

	if (strcmp(local(name), "Relationship") != 0 || id == NULL ||
	    tg == NULL || type == NULL ||
	    (mode != NULL && strcmp(mode, "External") == 0))
		return;
	if (ends_with(type, "/sharedStrings") && b->sst_part == NULL)
		b->sst_part = resolve(tg);
	else if (ends_with(type, "/styles") && b->styles_part == NULL)
		b->styles_part = resolve(tg);
	for (i = 0; i < b->nent; i++)
		if (b->ent[i].part != NULL && strcmp(b->ent[i].part, id) == 0 &&
		    ends_with(type, "/worksheet")) {
			free(b->ent[i].part);
			b->ent[i].part = resolve(tg);
			b->ent[i].resolved = true;
		}
}

/* Sheets whose id no relationship resolved (chartsheets) are dropped. */
static void
drop_unresolved(struct book *b)
{
	size_t i, n = 0;

	for (i = 0; i < b->nent; i++) {
		if (!b->ent[i].resolved) {
			free(b->ent[i].name);
			free(b->ent[i].part);
			continue;
		}
		b->ent[n++] = b->ent[i];
	}
	b->nent = n;
}

/* sharedStrings.xml: <si> text, runs joined, phonetic runs left out. */
struct sst_state {
	int		 in_si;
	int		 in_rph;
	int		 in_t;
};

static void
sst_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xp *x = ud;
	struct sst_state *ss = x->st;
	const char *n = local(name);

	(void)atts;
	if (strcmp(n, "si") == 0) {
		ss->in_si = 1;
		buf_reset(&x->chars);
	} else if (strcmp(n, "rPh") == 0) {
		ss->in_rph++;
	} else if (strcmp(n, "t") == 0 && ss->in_si && !ss->in_rph) {
		x->collect = true;
	}
}

static void
sst_end(void *ud, const XML_Char *name)
{
	struct xp *x = ud;
	struct sst_state *ss = x->st;
	struct book *b = x->b;
	const char *n = local(name);

	if (strcmp(n, "t") == 0) {
		x->collect = false;
	} else if (strcmp(n, "rPh") == 0) {
		ss->in_rph--;
	} else if (strcmp(n, "si") == 0) {
		ss->in_si = 0;
		if (b->nsst >= SHEET_CELLS_MAX) {
			bail(x, NULL, "more than %d shared strings",
			    SHEET_CELLS_MAX);
			return;
		}
		if ((b->nsst & (b->nsst - 1)) == 0)
			b->sst_off = xreallocarray(b->sst_off,
			    b->nsst ? 2 * b->nsst : 1, sizeof(*b->sst_off));
		b->sst_off[b->nsst++] = b->sst.len;
		if (buf_add(&b->sst, x->chars.data ? x->chars.data : "",
		    x->chars.len) == -1 || buf_addc(&b->sst, '\0') == -1)
			bail(x, NULL, "more than %d MB of shared strings",
			    SHEET_TEXT_MAX / (1024 * 1024));
	}
}

/* styles.xml: each cellXfs <xf>'s number format, as a kind. */
struct style_state {
	bool		 in_xfs;
};

static enum numkind
fmt_kind(const struct book *b, unsigned id)
{
	size_t i;

	for (i = 0; i < b->nfmts; i++)
		if (b->fmts[i].id == id)
			return b->fmts[i].kind;
	return builtin_kind(id);
}

static void
style_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xp *x = ud;
	struct style_state *ss = x->st;
	struct book *b = x->b;
	const char *n = local(name), *id = attr(atts, "numFmtId");
	const char *code = attr(atts, "formatCode");

	if (strcmp(n, "cellXfs") == 0) {
		ss->in_xfs = true;
	} else if (strcmp(n, "numFmt") == 0 && id != NULL && code != NULL) {
		if (b->nfmts >= XF_MAX)
			return;
		b->fmts = xreallocarray(b->fmts, b->nfmts + 1,
		    sizeof(*b->fmts));
		b->fmts[b->nfmts].id = (unsigned)strtoul(id, NULL, 10);
		b->fmts[b->nfmts++].kind = classify(code);
	} else if (strcmp(n, "xf") == 0 && ss->in_xfs && b->nxf < XF_MAX) {
		b->xf = xreallocarray(b->xf, b->nxf + 1, 1);
		b->xf[b->nxf++] = (unsigned char)(id == NULL ? NUM_PLAIN :
		    fmt_kind(b, (unsigned)strtoul(id, NULL, 10)));
	}
}

static void
style_end(void *ud, const XML_Char *name)
{
	struct xp *x = ud;
	struct style_state *ss = x->st;

	if (strcmp(local(name), "cellXfs") == 0)
		ss->in_xfs = false;
}

/* The worksheet: <row r><c r t s><v/><is><t/></is></c></row>. */
struct ws_state {
	size_t		 row;		/* current row */
	size_t		 col;		/* next column when c has no r */
	char		 type[16];	/* the cell's t */
	size_t		 style;		/* the cell's s */
	size_t		 ccol;		/* the cell's column */
	int		 in_is;
	int		 in_rph;
	bool		 in_cell;
};

/* "C7" to column 2 (row checked by the caller); -1 if not a ref. */
static long
ref_col(const char *r, size_t *row)
{
	long col = 0;
	const char *c = r;

	for (; *c >= 'A' && *c <= 'Z' && col <= SHEET_COLS_MAX; c++)
		col = col * 26 + (*c - 'A' + 1);
	if (c == r || *c < '1' || *c > '9')
		return -1;
	*row = 0;
	for (; *c >= '0' && *c <= '9' && *row <= SHEET_ROWS_MAX; c++)
		*row = *row * 10 + (size_t)(*c - '0');
	return *c == '\0' ? col - 1 : -1;
}

static void
ws_cell_start(struct xp *x, struct ws_state *ws, const char **atts)
{
	const char *r = attr(atts, "r"), *t = attr(atts, "t");
	const char *s = attr(atts, "s");
	size_t row;
	long col;

	ws->in_cell = true;
	ws->ccol = ws->col;
	if (r != NULL) {
		col = ref_col(r, &row);
		if (col < 0 || row != ws->row) {
			bail(x, NULL, "cell reference '%.16s' in row %zu is "
			    "not a cell of that row; the file is damaged", r,
			    ws->row);
			return;
		}
		ws->ccol = (size_t)col;
	}
	ws->col = ws->ccol + 1;
	snprintf(ws->type, sizeof(ws->type), "%s", t != NULL ? t : "n");
	ws->style = s != NULL ? strtoul(s, NULL, 10) : 0;
	buf_reset(&x->chars);
}

static void
ws_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xp *x = ud;
	struct ws_state *ws = x->st;
	const char *n = local(name), *r;

	if (strcmp(n, "row") == 0) {
		r = attr(atts, "r");
		ws->row = r != NULL ? strtoul(r, NULL, 10) : ws->row + 1;
		ws->col = 0;
		if (ws->row == 0 || ws->row > SHEET_ROWS_MAX)
			bail(x, NULL, "row number '%.16s' is not between 1 "
			    "and %d; the file is damaged", r ? r : "?",
			    SHEET_ROWS_MAX);
	} else if (strcmp(n, "c") == 0) {
		ws_cell_start(x, ws, atts);
	} else if (!ws->in_cell) {
		return;
	} else if (strcmp(n, "v") == 0) {
		x->collect = !ws->in_is;
	} else if (strcmp(n, "is") == 0) {
		ws->in_is = 1;
	} else if (strcmp(n, "rPh") == 0) {
		ws->in_rph++;
	} else if (strcmp(n, "t") == 0 && ws->in_is && !ws->in_rph) {
		x->collect = true;
	}
}

/* A shared string by index; NULL if there is no such string. */
static const char *
sst_get(const struct book *b, const char *v)
{
	char *end;
	unsigned long i = strtoul(v, &end, 10);

	if (*v < '0' || *v > '9' || *end != '\0' || i >= b->nsst)
		return NULL;
	return b->sst.data + b->sst_off[i];
}

/* A numeric cell's text, by its format. */
static const char *
ws_number(const struct book *b, const struct ws_state *ws, const char *v,
    char *out, size_t size)
{
	enum numkind k = ws->style < b->nxf ? b->xf[ws->style] : NUM_PLAIN;
	char *end;
	double d = strtod(v, &end);

	if (*v == '\0' || *end != '\0' || !isfinite(d))
		return v;	/* not a number: shown as it stands */
	if (k != NUM_PLAIN && fmt_serial(d, k, b->date1904, out, size) == 0)
		return out;
	fmt_number(d, out, size);
	return out;
}

/* The text of the cell that just ended. */
static const char *
ws_value(struct xp *x, struct ws_state *ws, char *tmp, size_t size)
{
	const char *v = buf_str(&x->chars), *t = ws->type, *s;
	char ref[64];

	if (strcmp(t, "s") == 0) {
		s = sst_get(x->b, v);
		if (s == NULL && v[0] != '\0') {
			cell_ref(x->b, ref, sizeof(ref), ws->row, ws->ccol);
			bail(x, ref, "the cell refers to shared string '%.16s',"
			    " which the file does not have; it is damaged", v);
		}
		return s;
	}
	if (strcmp(t, "b") == 0)
		return v[0] == '\0' ? v : strcmp(v, "0") == 0 ? "FALSE" :
		    "TRUE";
	if (strcmp(t, "d") == 0) {
		/* ISO 8601: the date, and the time when there is one. */
		snprintf(tmp, size, "%.10s", v);
		if (strlen(v) > 16 && strncmp(v + 10, "T00:00:00", 9) != 0)
			snprintf(tmp, size, "%.10s %.5s", v, v + 11);
		return tmp;
	}
	if (strcmp(t, "n") == 0)
		return ws_number(x->b, ws, v, tmp, size);
	return v;	/* str, inlineStr, e: the text as written */
}

static void
ws_end(void *ud, const XML_Char *name)
{
	struct xp *x = ud;
	struct ws_state *ws = x->st;
	const char *n = local(name), *v;
	char tmp[64];

	if (strcmp(n, "v") == 0 || strcmp(n, "t") == 0) {
		x->collect = false;
	} else if (strcmp(n, "is") == 0) {
		ws->in_is = 0;
	} else if (strcmp(n, "rPh") == 0 && ws->in_rph > 0) {
		ws->in_rph--;
	} else if (strcmp(n, "c") == 0 && ws->in_cell && !x->failed) {
		ws->in_cell = false;
		v = ws_value(x, ws, tmp, sizeof(tmp));
		if (v != NULL && !x->failed)
			add_cell(x, ws->row, ws->ccol, v, strlen(v));
	}
}

static int
xlsx_read(struct book *b, struct err *e)
{
	struct sst_state sst = { 0, 0, 0 };
	struct style_state sty = { false };
	struct ws_state ws;

	if (parse_part(b, "xl/workbook.xml", false, wb_start, no_end, NULL,
	    e) != 0 ||
	    parse_part(b, "xl/_rels/workbook.xml.rels", false, rels_start,
	    no_end, NULL, e) != 0)
		return -1;
	drop_unresolved(b);
	b->pick = pick_sheet(b, e);
	if (b->pick < 0)
		return -1;
	if (b->sst_part != NULL && parse_part(b, b->sst_part, true,
	    sst_start, sst_end, &sst, e) == -1)
		return -1;
	if (b->styles_part != NULL && parse_part(b, b->styles_part, true,
	    style_start, style_end, &sty, e) == -1)
		return -1;
	memset(&ws, 0, sizeof(ws));
	return parse_part(b, b->ent[b->pick].part, false, ws_start, ws_end,
	    &ws, e);
}

/* ---- ods ------------------------------------------------------------ */

struct ods_state {
	char		**hidden;	/* table styles with display=false */
	size_t		 nhidden;
	char		*style;		/* the style being read */
	int		 depth_table;	/* inside the picked table:table */
	size_t		 ntables;
	bool		 done;		/* the picked table was read */
	bool		 names_only;	/* --sheet N: a later sheet is named N */
	size_t		 row;		/* 1-based row being read */
	size_t		 rows_rep;
	size_t		 col;
	size_t		 cols_rep;
	size_t		 row_first;	/* first cell of this row */
	/* The cell being read. */
	bool		 in_cell;
	char		 type[16];
	char		*value;		/* office:value etc., owned */
	int		 in_annot;
	size_t		 np;		/* text:p seen in this cell */
};

static bool
ods_hidden(const struct ods_state *os, const char *style)
{
	size_t i;

	for (i = 0; style != NULL && i < os->nhidden; i++)
		if (strcmp(os->hidden[i], style) == 0)
			return true;
	return false;
}

/* office:automatic-styles: table styles with table:display="false". */
static void
ods_style(struct xp *x, struct ods_state *os, const char *n,
    const char **atts)
{
	const char *v;

	if (strcmp(n, NS_STYLE "style") == 0) {
		v = attr_ns(atts, NS_STYLE "family");
		free(os->style);
		os->style = v != NULL && strcmp(v, "table") == 0 ?
		    xstrdup(attr_ns(atts, NS_STYLE "name") ?
		    attr_ns(atts, NS_STYLE "name") : "") : NULL;
	} else if (strcmp(n, NS_STYLE "table-properties") == 0 &&
	    os->style != NULL) {
		v = attr_ns(atts, NS_TABLE "display");
		if (v == NULL || strcmp(v, "false") != 0 ||
		    os->nhidden >= SHEET_SHEETS_MAX)
			return;
		os->hidden = xreallocarray(os->hidden, os->nhidden + 1,
		    sizeof(*os->hidden));
		os->hidden[os->nhidden++] = xstrdup(os->style);
	}
	(void)x;
}

static size_t
repeat(const char **atts, const char *name)
{
	const char *v = attr_ns(atts, name);
	unsigned long long n;

	if (v == NULL)
		return 1;
	n = strtoull(v, NULL, 10);
	/* More than a sheet holds is as good as "to the end". */
	return n < 1 ? 1 : n > SHEET_ROWS_MAX ? SHEET_ROWS_MAX + 1 : n;
}

/* A table starts: is it the one asked for? */
static void
ods_table(struct xp *x, struct ods_state *os, const char **atts)
{
	struct book *b = x->b;
	const char *name = attr_ns(atts, NS_TABLE "name");
	bool hidden = ods_hidden(os, attr_ns(atts, NS_TABLE "style-name"));
	size_t i = b->nent;

	entry_add(x, name != NULL ? name : "", NULL, hidden);
	if (b->pick >= 0 || os->done || x->failed)
		return;
	if (b->want == NULL ? !hidden : strcmp(b->ent[i].name, b->want) == 0 ||
	    (!os->names_only && sheet_number(b->want) == i + 1)) {
		b->pick = (int)i;
		os->depth_table = 1;
		os->row = 1;
	}
}

static void
ods_cell_start(struct xp *x, struct ods_state *os, const char **atts)
{
	const char *t = attr_ns(atts, NS_OFFICE "value-type"), *v;

	os->in_cell = true;
	os->np = 0;
	os->cols_rep = repeat(atts, NS_TABLE "number-columns-repeated");
	snprintf(os->type, sizeof(os->type), "%s", t != NULL ? t : "");
	v = attr_ns(atts, NS_OFFICE "value");
	if (v == NULL)
		v = attr_ns(atts, NS_OFFICE "date-value");
	if (v == NULL)
		v = attr_ns(atts, NS_OFFICE "boolean-value");
	if (v == NULL)
		v = attr_ns(atts, NS_OFFICE "string-value");
	free(os->value);
	os->value = v != NULL ? xstrdup(v) : NULL;
	buf_reset(&x->chars);
}

/* Text inside a cell: paragraphs, spaces, tabs, line breaks. */
static void
ods_text(struct xp *x, struct ods_state *os, const char *n,
    const char **atts)
{
	const char *c;
	size_t k;

	if (strcmp(n, NS_OFFICE "annotation") == 0) {
		os->in_annot++;
		x->collect = false;
	} else if (os->in_annot) {
		return;
	} else if (strcmp(n, NS_TEXT "p") == 0) {
		x->collect = true;
		if (os->np++ > 0)
			on_chars(x, "\n", 1);	/* paragraphs are lines */
	} else if (strcmp(n, NS_TEXT "s") == 0) {
		c = attr_ns(atts, NS_TEXT "c");
		k = c != NULL ? strtoul(c, NULL, 10) : 1;
		for (k = k > SPACES_MAX ? SPACES_MAX : k; k > 0; k--)
			on_chars(x, " ", 1);
	} else if (strcmp(n, NS_TEXT "tab") == 0) {
		on_chars(x, "\t", 1);
	} else if (strcmp(n, NS_TEXT "line-break") == 0) {
		on_chars(x, "\n", 1);
	}
}

static void
ods_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xp *x = ud;
	struct ods_state *os = x->st;

	if (os->depth_table > 0 && strcmp(name, NS_TABLE "table") == 0) {
		os->depth_table++;	/* a table inside a cell: skipped */
		return;
	}
	if (strcmp(name, NS_TABLE "table") == 0) {
		ods_table(x, os, atts);
	} else if (os->depth_table != 1) {
		ods_style(x, os, name, atts);
	} else if (strcmp(name, NS_TABLE "table-row") == 0) {
		os->rows_rep = repeat(atts, NS_TABLE "number-rows-repeated");
		os->col = 0;
		os->row_first = x->b->s->ncells;
	} else if (strcmp(name, NS_TABLE "table-cell") == 0 ||
	    strcmp(name, NS_TABLE "covered-table-cell") == 0) {
		ods_cell_start(x, os, atts);
	} else if (os->in_cell) {
		ods_text(x, os, name, atts);
	}
}

/* The text of the cell that just ended (tmp for a formatted one). */
static const char *
ods_value(struct xp *x, struct ods_state *os, char *tmp, size_t size)
{
	const char *t = os->type, *v = os->value, *p = buf_str(&x->chars);
	char *end;
	double d;

	if (strcmp(t, "float") == 0 && v != NULL) {
		d = strtod(v, &end);
		if (*end != '\0' || !isfinite(d))
			return p;
		fmt_number(d, tmp, size);
		return tmp;
	}
	if (strcmp(t, "boolean") == 0 && v != NULL)
		return strcmp(v, "true") == 0 ? "TRUE" : "FALSE";
	if (strcmp(t, "date") == 0 && v != NULL) {
		snprintf(tmp, size, "%.10s", v);
		if (strlen(v) > 16 && strncmp(v + 10, "T00:00:00", 9) != 0)
			snprintf(tmp, size, "%.10s %.5s", v, v + 11);
		return tmp;
	}
	if (p[0] == '\0' && strcmp(t, "string") == 0 && v != NULL)
		return v;
	return p;	/* string, percentage, currency, time: as shown */
}

static void
ods_cell_end(struct xp *x, struct ods_state *os)
{
	char tmp[64];
	const char *v = ods_value(x, os, tmp, sizeof(tmp));
	size_t k, len = strlen(v);

	os->in_cell = false;
	x->collect = false;
	for (k = 0; len > 0 && k < os->cols_rep && !x->failed; k++)
		add_cell(x, os->row, os->col + k, v, len);
	os->col += os->cols_rep;
	if (os->col > SHEET_COLS_MAX)
		os->col = SHEET_COLS_MAX + 1;
}

/* A repeated row with values: copy its cells to the rows it stands for. */
static void
ods_row_end(struct xp *x, struct ods_state *os)
{
	struct sheet *s = x->b->s;
	size_t last = s->ncells, k, i;

	for (k = 1; k < os->rows_rep && last > os->row_first &&
	    !x->failed; k++)
		for (i = os->row_first; i < last && !x->failed; i++)
			add_cell(x, os->row + k, s->cells[i].col,
			    s->text.data + s->cells[i].off, s->cells[i].len);
	os->row += os->rows_rep;
	if (os->row > SHEET_ROWS_MAX)
		os->row = SHEET_ROWS_MAX + 1;
}

static void
ods_end(void *ud, const XML_Char *name)
{
	struct xp *x = ud;
	struct ods_state *os = x->st;

	if (strcmp(name, NS_TABLE "table") == 0) {
		if (os->depth_table == 1)
			os->done = true;
		if (os->depth_table > 0)
			os->depth_table--;
	} else if (os->depth_table != 1) {
		return;
	} else if (strcmp(name, NS_OFFICE "annotation") == 0) {
		os->in_annot--;
	} else if (strcmp(name, NS_TEXT "p") == 0) {
		x->collect = false;
	} else if (strcmp(name, NS_TABLE "table-cell") == 0 ||
	    strcmp(name, NS_TABLE "covered-table-cell") == 0) {
		ods_cell_end(x, os);
	} else if (strcmp(name, NS_TABLE "table-row") == 0) {
		ods_row_end(x, os);
	}
}

/* The mimetype part must say spreadsheet (ODF 1.2 part 3 §3.3). */
static bool
ods_mime(zip_t *za)
{
	char mime[64] = "";
	zip_file_t *zf = zip_fopen(za, "mimetype", 0);
	zip_int64_t n;

	if (zf == NULL)
		return false;
	n = zip_fread(zf, mime, sizeof(mime) - 1);
	zip_fclose(zf);
	if (n < 0)
		return false;
	mime[n] = '\0';
	return strcmp(mime, ODS_MIME) == 0;
}

/* One pass over content.xml, from a clean slate. */
static int
ods_parse(struct book *b, bool names_only, struct err *e)
{
	struct ods_state os;
	size_t i;
	int rc;

	for (i = 0; i < b->nent; i++)
		free(b->ent[i].name);
	b->nent = 0;
	b->pick = -1;
	b->s->ncells = 0;
	buf_reset(&b->s->text);
	memset(&os, 0, sizeof(os));
	os.names_only = names_only;
	rc = parse_part(b, "content.xml", false, ods_start, ods_end, &os, e);
	for (i = 0; i < os.nhidden; i++)
		free(os.hidden[i]);
	free(os.hidden);
	free(os.style);
	free(os.value);
	return rc;
}

/* Did --sheet N pick the N-th sheet while a later one is named N? */
static bool
named_later(const struct book *b)
{
	size_t i;

	if (b->want == NULL || b->pick < 0 ||
	    strcmp(b->ent[b->pick].name, b->want) == 0)
		return false;
	for (i = (size_t)b->pick + 1; i < b->nent; i++)
		if (strcmp(b->ent[i].name, b->want) == 0)
			return true;
	return false;
}

/* Tables stream by, so a name given as a number may need a second pass. */
static int
ods_read(struct book *b, struct err *e)
{
	char names[256];
	int rc;

	rc = ods_parse(b, false, e);
	if (rc == 0 && named_later(b))
		rc = ods_parse(b, true, e);
	if (rc == 0 && b->pick < 0) {
		list_names(b, names, sizeof(names));
		if (b->want == NULL)
			book_fail(b, e, NULL, "no visible sheet (sheets: %s); "
			    "pick one with --sheet", b->nent ? names :
			    _("none"));
		else
			book_fail(b, e, NULL, "no sheet named '%s' or "
			    "numbered so; its sheets are %s", b->want,
			    b->nent ? names : _("none"));
		rc = -1;
	}
	return rc;
}

/* ---- xls ------------------------------------------------------------ */

static const char *
xls_value(const struct FreeXL_CellValue_str *v, char *tmp, size_t size)
{
	switch (v->type) {
	case FREEXL_CELL_INT:
		snprintf(tmp, size, "%d", v->value.int_value);
		return tmp;
	case FREEXL_CELL_DOUBLE:
		fmt_number(v->value.double_value, tmp, size);
		return tmp;
	case FREEXL_CELL_DATETIME:
		/* "YYYY-MM-DD HH:MM:SS": the date alone at midnight. */
		if (v->value.text_value != NULL &&
		    strlen(v->value.text_value) == 19 &&
		    strcmp(v->value.text_value + 10, " 00:00:00") == 0) {
			snprintf(tmp, size, "%.10s", v->value.text_value);
			return tmp;
		}
		/* FALLTHROUGH */
	case FREEXL_CELL_TEXT:
	case FREEXL_CELL_SST_TEXT:
	case FREEXL_CELL_DATE:
	case FREEXL_CELL_TIME:
		return v->value.text_value != NULL ? v->value.text_value : "";
	}
	return "";
}

static int
xls_cells(struct book *b, const void *h, struct err *e)
{
	struct xp x = { .b = b, .e = e, .part = "sheet" };
	struct FreeXL_CellValue_str v;
	unsigned int rows;
	unsigned short cols;
	unsigned int r, c;
	char tmp[64], ref[64];
	const char *t;

	if (freexl_worksheet_dimensions(h, &rows, &cols) != FREEXL_OK) {
		book_fail(b, e, NULL, "cannot read the sheet's size; the file "
		    "is damaged");
		return -1;
	}
	for (r = 0; r < rows && !x.failed; r++)
		for (c = 0; c < cols && !x.failed; c++) {
			if (freexl_get_cell_value(h, r, (unsigned short)c,
			    &v) != FREEXL_OK) {
				cell_ref(b, ref, sizeof(ref), r + 1, c);
				book_fail(b, e, ref, "cannot read the cell; "
				    "the file is damaged");
				return -1;
			}
			t = xls_value(&v, tmp, sizeof(tmp));
			add_cell(&x, r + 1, c, t, strlen(t));
		}
	return x.failed ? -1 : 0;
}

static int
xls_read(struct book *b, const char *path, struct err *e)
{
	struct xp x = { .b = b, .e = e, .part = "workbook" };
	const void *h = NULL;
	unsigned int n = 0, i;
	const char *name;
	int rc = -1;

	if (freexl_open(path, &h) != FREEXL_OK) {
		book_fail(b, e, NULL, "not a readable .xls workbook (or one "
		    "with a password); save it as .xlsx or CSV UTF-8");
		goto out;
	}
	freexl_get_info(h, FREEXL_BIFF_SHEET_COUNT, &n);
	for (i = 0; i < n && !x.failed; i++) {
		name = NULL;
		freexl_get_worksheet_name(h, (unsigned short)i, &name);
		entry_add(&x, name != NULL ? name : "", NULL, false);
	}
	if (x.failed || (b->pick = pick_sheet(b, e)) < 0)
		goto out;
	if (freexl_select_active_worksheet(h, (unsigned short)b->pick) !=
	    FREEXL_OK) {
		book_fail(b, e, NULL, "cannot select sheet '%s'; the file is "
		    "damaged", b->ent[b->pick].name);
		goto out;
	}
	rc = xls_cells(b, h, e);
out:
	if (h != NULL)
		freexl_close(h);
	return rc;
}

/* ---- opening -------------------------------------------------------- */

static void
book_fini(struct book *b)
{
	size_t i;

	for (i = 0; i < b->nent; i++) {
		free(b->ent[i].name);
		free(b->ent[i].part);
	}
	free(b->ent);
	free(b->sst_part);
	free(b->styles_part);
	buf_fini(&b->sst);
	free(b->sst_off);
	free(b->xf);
	free(b->fmts);
	if (b->za != NULL)
		zip_discard(b->za);
}

/* Which spreadsheet a ZIP holds, by its parts; SHEET_NONE if neither. */
static enum sheet_kind
zip_kind(zip_t *za)
{
	if (zip_name_locate(za, "xl/workbook.xml", 0) >= 0 ||
	    (zip_name_locate(za, "[Content_Types].xml", 0) >= 0 &&
	    zip_name_locate(za, "xl/_rels/workbook.xml.rels", 0) >= 0))
		return SHEET_XLSX;
	if (ods_mime(za))
		return SHEET_ODS;
	return SHEET_NONE;
}

static int
book_read(struct book *b, struct sheet **sp, enum sheet_kind kind,
    const char *path, struct err *e)
{
	struct sheet *s = xcalloc(1, sizeof(*s));
	int rc;

	buf_init(&s->text, SHEET_TEXT_MAX);
	s->kind = kind;
	b->s = s;
	b->pick = -1;
	buf_init(&b->sst, SHEET_TEXT_MAX);
	if (kind == SHEET_XLSX)
		rc = xlsx_read(b, e);
	else if (kind == SHEET_ODS)
		rc = ods_read(b, e);
	else
		rc = xls_read(b, path, e);
	if (rc != 0) {
		sheet_free(s);
		return -1;
	}
	cells_sort(s);
	s->name = xstrdup(b->ent[b->pick].name);
	*sp = s;
	return 0;
}

static int
open_zip(struct book *b, zip_source_t *src, enum sheet_kind *kind,
    struct err *e)
{
	zip_error_t ze;

	zip_error_init(&ze);
	b->za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (b->za == NULL) {
		zip_source_free(src);
		zip_fail(b, e, NULL, &ze);
		zip_error_fini(&ze);
		return -1;
	}
	zip_error_fini(&ze);
	*kind = zip_kind(b->za);
	if (*kind == SHEET_NONE) {
		book_fail(b, e, NULL, "a ZIP file, but not an .xlsx or .ods "
		    "spreadsheet; save the roster as .xlsx, .ods or CSV UTF-8");
		return -1;
	}
	return 0;
}

static int
open_path(struct book *b, const char *path, enum sheet_kind *kind,
    struct err *e)
{
	zip_error_t ze;
	zip_source_t *src;

	zip_error_init(&ze);
	src = zip_source_file_create(path, 0, -1, &ze);
	if (src == NULL) {
		err_set(e, E_NOINPUT, path, "cannot open the roster: %s",
		    zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return -1;
	}
	zip_error_fini(&ze);
	return open_zip(b, src, kind, e);
}

int
sheet_open(struct sheet **sp, const char *path, enum sheet_kind kind,
    const char *want, struct err *e)
{
	struct book b;
	enum sheet_kind found = kind;
	int rc = -1;

	memset(&b, 0, sizeof(b));
	b.file = path;
	b.want = want;
	*sp = NULL;
	if (kind != SHEET_XLS && open_path(&b, path, &found, e) == -1)
		goto out;
	rc = book_read(&b, sp, found, path, e);
out:
	book_fini(&b);
	return rc;
}

int
sheet_open_mem(struct sheet **sp, const char *name, const void *data,
    size_t len, const char *want, struct err *e)
{
	struct book b;
	zip_error_t ze;
	zip_source_t *src;
	enum sheet_kind kind;
	int rc = -1;

	memset(&b, 0, sizeof(b));
	b.file = name;
	b.want = want;
	*sp = NULL;
	zip_error_init(&ze);
	src = zip_source_buffer_create(data, len, 0, &ze);
	zip_error_fini(&ze);
	if (src == NULL) {
		err_set(e, E_OS, name, "out of memory");
		return -1;
	}
	if (open_zip(&b, src, &kind, e) == 0)
		rc = book_read(&b, sp, kind, name, e);
	book_fini(&b);
	return rc;
}

/* ---- probing -------------------------------------------------------- */

int
sheet_probe(const char *path, enum sheet_kind *kind, struct err *e)
{
	static const unsigned char ole2[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1,
	    0xB1, 0x1A, 0xE1 };
	unsigned char head[8];
	struct stat st;
	ssize_t n;
	int fd;

	*kind = SHEET_NONE;
	/* stat first: a FIFO or device is never opened here (nor waited on). */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		err_set(e, E_NOINPUT, path, "cannot open the roster: %s",
		    strerror(errno));
		return -1;
	}
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n == (ssize_t)sizeof(head) && memcmp(head, ole2, 8) == 0)
		*kind = SHEET_XLS;
	else if (n >= 4 && memcmp(head, "PK\3\4", 4) == 0)
		*kind = SHEET_XLSX;	/* or ODS: sheet_open() looks inside */
	return 0;
}
