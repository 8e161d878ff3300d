#ifndef ROSTER_H
#define ROSTER_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>

#include "err.h"

/*
 * The roster: a CSV file (RFC 4180) whose first row names the columns.
 * Records come out one at a time as UTF-8, whatever the file's encoding
 * (UTF-8 with or without BOM, CP949/EUC-KR, UTF-16 with BOM); memory
 * does not grow with the number of rows.
 */

#define ROSTER_FIELD_MAX	(1024 * 1024)	/* bytes in one field */
#define ROSTER_COLS_MAX		1024		/* columns in one row */

struct roster;

struct roster_params {
	const char	*path;		/* file to read */
	const char	*encoding;	/* iconv name, or NULL to detect */
	int		 delimiter;	/* ',' ';' '\t' ..., or 0: detect */
	bool		 allow_empty;	/* a header and no rows is no error */
	const char	*sheet;		/* a spreadsheet's sheet (name or
					   number), NULL: the first visible */
};

/*
 * row counts every data record, including bad ones (-2), so that the
 * numbers after a bad row still match the user's spreadsheet; blank
 * lines and all-empty rows are not counted.  line is the physical line
 * (LF, CRLF or lone CR) where the record starts; a quoted field with
 * line breaks makes a record span several lines.
 */
struct roster_row {
	size_t		 row;		/* 1 for the first data row */
	size_t		 line;		/* file line the record starts on */
	size_t		 nfields;	/* always roster_ncols() */
	const char *const *fields;	/* UTF-8, NUL-terminated */
	const size_t	*lens;		/* byte length of each field */
	const char	*sheet;		/* spreadsheet: the sheet's name, and
					   line is its row; NULL for CSV */
};

/*
 * Open and read the header row.  E_NOINPUT: cannot open or read;
 * E_INPUT: bad encoding, bad header (empty or duplicate column names,
 * more than ROSTER_COLS_MAX), no data rows, a first data row that
 * ends the file (see roster_next); E_USAGE: a delimiter that
 * is a quote or line break.  e->where is "path:line" (and ":column"
 * where one is at fault).  Column names are trimmed of spaces and
 * tabs; values are not (RFC 4180 §2.4).
 */
int	roster_open(struct roster **rp, const struct roster_params *p,
	    struct err *e);
void	roster_free(struct roster *r);

/* Column names, trimmed, UTF-8; valid until roster_free(). */
size_t	roster_ncols(const struct roster *r);

/* The column of the students' names (이름, 성명, name, ...), or SIZE_MAX. */
size_t	roster_name_col(const struct roster *r);
const char *const *roster_cols(const struct roster *r);

/*
 * A spreadsheet (.xlsx, .ods, .xls, told by content) is read through
 * sheet.h: its header is the first non-empty row, a value right of the
 * header's last column is a bad row (-2), and errors are "path:Sheet!C7".
 * roster_sheet() is the sheet's name, NULL for a CSV roster.
 */
const char *roster_sheet(const struct roster *r);

/* What was read: "UTF-8", "CP949", "UTF-16LE", "XLSX", ... and the
 * delimiter. */
const char *roster_encoding(const struct roster *r);
int	roster_delimiter(const struct roster *r);
const char *roster_path(const struct roster *r);

/*
 * Next data record; blank lines (and rows whose fields are all empty
 * or blank) are skipped.  Returns 1 with *row filled (its pointers are
 * valid until the next roster_next/rewind/free), 0 at the end, -2 for a
 * bad row that was skipped (wrong field count, stray quote, NUL byte,
 * a field just over ROSTER_FIELD_MAX: call again to go on; row->row and
 * row->line are set, row->fields is NULL), -1 for an error that ends
 * the file (unterminated quote, bad encoding, a runaway field 64 KiB or
 * more over ROSTER_FIELD_MAX, read error); it repeats.
 */
int	roster_next(struct roster *r, struct roster_row *row, struct err *e);

/* Back to the first data row, for a second pass.  E_NOINPUT, E_INPUT. */
int	roster_rewind(struct roster *r, struct err *e);

/*
 * Write one CSV record (RFC 4180 quoting, CRLF) with libcsv's writer.
 * E_OS on a write error.
 */
int	roster_write(FILE *f, const char *const *fields, size_t n,
	    struct err *e);

/*
 * A roster writer in a given encoding (an iconv name, as
 * roster_encoding() says; NULL: UTF-8) and delimiter (0: ','): fields
 * come as UTF-8, records go out RFC 4180-quoted with CRLF.  UTF-16LE and
 * UTF-16BE start with their BOM.  E_INPUT: an unknown encoding, a value
 * the encoding cannot hold; E_OS: a write error.
 */
struct roster_out;

int	roster_out_open(struct roster_out **op, FILE *f, const char *encoding,
	    int delim, struct err *e);
int	roster_out_row(struct roster_out *o, const char *const *fields,
	    size_t n, struct err *e);
void	roster_out_free(struct roster_out *o);

#endif /* ROSTER_H */
