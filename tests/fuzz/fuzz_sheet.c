/*
 * libFuzzer harness for sheet.c.  The first octet picks what the rest
 * is: 0, a whole .xlsx or .ods file; 1-5, one part of an otherwise
 * fixed .xlsx (the worksheet, shared strings, styles, workbook,
 * relationships); 6, an .ods content.xml.  Parts are packed into a
 * stored (uncompressed) ZIP here, so the fuzzer's mutations reach the
 * XML readers instead of dying at a CRC check.  The property: every
 * row read is in order, every cell is non-empty valid UTF-8 of the
 * length it claims inside the column cap, and a rewind reads the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sheet.h"

#include "fuzz.h"
#include "../zipstore.h"

static const char ctypes[] =
    "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats"
    ".org/package/2006/content-types\"/>";
static const char workbook[] =
    "<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas.openxmlformats"
    ".org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas."
    "openxmlformats.org/officeDocument/2006/relationships\"><sheets>"
    "<sheet name=\"Hidden\" sheetId=\"1\" state=\"hidden\" r:id=\"rId1\"/>"
    "<sheet name=\"List\" sheetId=\"2\" r:id=\"rId2\"/></sheets>"
    "</workbook>";
static const char rels[] =
    "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas."
    "openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"x/worksheet\" "
    "Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"x/worksheet\" "
    "Target=\"/xl/worksheets/sheet2.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"x/sharedStrings\" "
    "Target=\"sharedStrings.xml\"/>"
    "<Relationship Id=\"rId4\" Type=\"x/styles\" Target=\"styles.xml\"/>"
    "</Relationships>";
static const char styles[] =
    "<?xml version=\"1.0\"?><styleSheet><numFmts><numFmt numFmtId=\"164\" "
    "formatCode=\"yyyy&quot;년&quot; m&quot;월&quot;\"/></numFmts>"
    "<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"164\"/>"
    "</cellXfs></styleSheet>";
static const char sst[] =
    "<?xml version=\"1.0\"?><sst><si><t>이름</t></si><si><r><t>학</t></r>"
    "<r><t>번</t></r><rPh><t>x</t></rPh></si><si><t>00123</t></si></sst>";
static const char sheet[] =
    "<?xml version=\"1.0\"?><worksheet><sheetData><row r=\"2\">"
    "<c r=\"A2\" t=\"s\"><v>0</v></c><c r=\"B2\" t=\"s\"><v>1</v></c>"
    "<c t=\"inlineStr\"><is><t>날짜</t></is></c></row><row>"
    "<c r=\"A3\" t=\"s\"><v>2</v></c><c r=\"B3\"><v>2026000001</v></c>"
    "<c r=\"C3\" s=\"1\"><f>A1</f><v>46083</v></c>"
    "<c r=\"D3\" t=\"b\"><v>1</v></c></row></sheetData></worksheet>";

/* Read every row; the cells must keep the promises of sheet.h. */
static size_t
walk(struct sheet *s, uint64_t *sum)
{
	struct sheet_row r;
	size_t rows = 0, last = 0, i;

	*sum = 0;
	while (sheet_next(s, &r) == 1) {
		CHECK(r.row > last && r.row <= SHEET_ROWS_MAX, "row %zu", r.row);
		CHECK(r.ncells > 0, "empty row %zu", r.row);
		for (i = 0; i < r.ncells; i++) {
			const struct sheet_cell *c = &r.cells[i];

			CHECK(c->col < SHEET_COLS_MAX, "col %zu", c->col);
			CHECK(i == 0 || c->col > r.cells[i - 1].col, "order");
			CHECK(c->len > 0 && strlen(c->text) == c->len,
			    "cell length %zu", c->len);
			CHECK(fuzz_utf8_valid(c->text, c->len), "UTF-8");
			*sum = *sum * 31 + c->len + c->col;
		}
		last = r.row;
		rows++;
	}
	return rows;
}

static void
check(const char *data, size_t len, const char *want)
{
	struct sheet *s;
	struct err e;
	uint64_t a, b;
	size_t n;

	if (sheet_open_mem(&s, "fuzz.xlsx", data, len, want, &e) == -1) {
		CHECK(e.kind == E_INPUT || e.kind == E_NOINPUT, "kind %d",
		    e.kind);
		CHECK(fuzz_utf8_valid(e.msg, strlen(e.msg)), "message");
		return;
	}
	CHECK(fuzz_utf8_valid(sheet_name(s), strlen(sheet_name(s))), "name");
	n = walk(s, &a);
	sheet_rewind(s);
	CHECK(walk(s, &b) == n && a == b, "rewind");
	sheet_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct part x[] = {
		{ "[Content_Types].xml", ctypes, sizeof(ctypes) - 1 },
		{ "xl/workbook.xml", workbook, sizeof(workbook) - 1 },
		{ "xl/_rels/workbook.xml.rels", rels, sizeof(rels) - 1 },
		{ "xl/styles.xml", styles, sizeof(styles) - 1 },
		{ "xl/sharedStrings.xml", sst, sizeof(sst) - 1 },
		{ "xl/worksheets/sheet1.xml", sheet, sizeof(sheet) - 1 },
		{ "xl/worksheets/sheet2.xml", sheet, sizeof(sheet) - 1 },
	};
	/* Which part of x the input replaces, by the first octet. */
	static const int slot[] = { -1, 6, 4, 3, 1, 2 };
	struct part ods[2] = {
		{ "mimetype", "application/vnd.oasis.opendocument.spreadsheet",
		    46 },
		{ "content.xml", NULL, 0 },
	};
	unsigned char *z;
	size_t zlen;
	unsigned mode;

	if (size < 1)
		return 0;
	mode = data[0] % 7;
	if (mode == 0) {
		check((const char *)data + 1, size - 1, NULL);
		return 0;
	}
	if (mode == 6) {
		ods[1].data = (const char *)data + 1;
		ods[1].len = size - 1;
		z = pack(ods, 2, &zlen);
	} else {
		x[slot[mode]].data = (const char *)data + 1;
		x[slot[mode]].len = size - 1;
		z = pack(x, sizeof(x) / sizeof(x[0]), &zlen);
	}
	check((const char *)z, zlen, NULL);
	check((const char *)z, zlen, "1");
	free(z);
	return 0;
}
