#ifndef SHEET_H
#define SHEET_H

#include <stddef.h>

#include "err.h"

/*
 * Spreadsheet rosters: one sheet of an .xlsx, .ods or .xls file, read
 * into memory as the text a person sees in each cell (integers without
 * ".0", dates as YYYY-MM-DD, TRUE/FALSE, a formula's cached value).
 * The kind is found from the content, never from the file name.  Every
 * size is capped, so a hostile file costs bounded memory and time.
 */

#define SHEET_COLS_MAX	16384			/* columns, as Excel (XFD) */
#define SHEET_ROWS_MAX	1048576			/* rows, as Excel */
#define SHEET_CELLS_MAX	(2 * 1000 * 1000)	/* non-empty cells kept */
#define SHEET_TEXT_MAX	(64 * 1024 * 1024)	/* octets of cell text kept */
#define SHEET_PART_MAX	(200 * 1024 * 1024)	/* octets inflated per part */
#define SHEET_SHEETS_MAX 1024			/* sheets in a workbook */

enum sheet_kind { SHEET_NONE, SHEET_XLSX, SHEET_ODS, SHEET_XLS };

struct sheet;

/* A non-empty cell; text is UTF-8, NUL-terminated, valid until free. */
struct sheet_cell {
	size_t		 col;		/* 0 for column A */
	const char	*text;
	size_t		 len;
};

/* A row with at least one non-empty cell. */
struct sheet_row {
	size_t		 row;		/* the sheet's row number, 1-based */
	size_t		 ncells;	/* in column order */
	const struct sheet_cell *cells;	/* valid until the next call */
};

/*
 * What the file at path is, by its first octets: SHEET_XLS for an OLE2
 * file, SHEET_XLSX for any ZIP (sheet_open() then tells .xlsx from
 * .ods by the parts inside, and refuses other ZIPs), SHEET_NONE for
 * anything else (a CSV file, a FIFO, a device).  0, or -1 with
 * E_NOINPUT when path cannot be opened.
 */
int	sheet_probe(const char *path, enum sheet_kind *kind, struct err *e);

/*
 * Read one sheet of path: want names it, or gives its number (1 for
 * the first, hidden ones counted) when no sheet has that name; NULL
 * takes the first visible sheet.  E_NOINPUT, E_INPUT (damaged or
 * hostile file, no such sheet, a cap passed), e->where naming the file
 * and, where there is one, the sheet and cell ("Sheet1!C7").
 */
int	sheet_open(struct sheet **sp, const char *path, enum sheet_kind kind,
	    const char *want, struct err *e);

/* The same from memory, for an .xlsx or .ods (the fuzz harness). */
int	sheet_open_mem(struct sheet **sp, const char *name, const void *data,
	    size_t len, const char *want, struct err *e);

void	sheet_free(struct sheet *s);

/* The sheet read, as named in the file. */
const char *sheet_name(const struct sheet *s);

/* "XLSX", "ODS" or "XLS": what was read. */
const char *sheet_format(const struct sheet *s);

/* Next non-empty row: 1, or 0 after the last. */
int	sheet_next(struct sheet *s, struct sheet_row *row);

/* Back to the first row. */
void	sheet_rewind(struct sheet *s);

/*
 * "Sheet1!C7" (the name quoted as 'My sheet'!C7 when it holds spaces
 * or punctuation) into out; col 0 is A.
 */
void	sheet_ref(char *out, size_t size, const char *sheet, size_t row,
	    size_t col);

#endif /* SHEET_H */
