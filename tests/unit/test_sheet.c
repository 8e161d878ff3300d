/*
 * Unit tests of sheet.c's cell text: workbooks built part by part
 * (tests/zipstore.h packs them), read with sheet_open_mem(), every
 * cell compared with what a spreadsheet program shows.  Date serials
 * were computed independently: (date - 1899-12-30).days in Python.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sheet.h"
#include "tap.h"
#include "zipstore.h"

#define NS	"xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/" \
		"2006/main\""
#define RNS	"xmlns:r=\"http://schemas.openxmlformats.org/" \
		"officeDocument/2006/relationships\""

static const char ctypes[] = "<Types/>";
static const char rels[] =
    "<Relationships><Relationship Id=\"rId1\" Type=\"x/worksheet\" "
    "Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" "
    "Type=\"x/styles\" Target=\"styles.xml\"/><Relationship Id=\"rId3\" "
    "Type=\"x/sharedStrings\" Target=\"sharedStrings.xml\"/>"
    "</Relationships>";
static const char styles[] =
    "<styleSheet " NS "><numFmts>"
    "<numFmt numFmtId=\"164\" formatCode=\"yyyy&quot;년&quot; "
    "m&quot;월&quot; d&quot;일&quot;\"/>"
    "<numFmt numFmtId=\"166\" formatCode=\"0.00&quot;일&quot;\"/>"
    "<numFmt numFmtId=\"167\" formatCode=\"hh:mm\"/>"
    "<numFmt numFmtId=\"168\" formatCode=\"[Red]0.00\"/>"
    "<numFmt numFmtId=\"169\" formatCode=\"yyyy-mm-dd hh:mm\"/>"
    "</numFmts><cellStyleXfs><xf numFmtId=\"14\"/></cellStyleXfs>"
    "<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/>"
    "<xf numFmtId=\"164\"/><xf numFmtId=\"166\"/><xf numFmtId=\"167\"/>"
    "<xf numFmtId=\"22\"/><xf numFmtId=\"169\"/><xf numFmtId=\"168\"/>"
    "<xf numFmtId=\"57\"/></cellXfs></styleSheet>";
static const char sst[] =
    "<sst " NS "><si><t>00123</t></si><si><r><rPr><b/></rPr>"
    "<t xml:space=\"preserve\">잘함 </t></r><r><t>굿</t></r>"
    "<rPh sb=\"0\" eb=\"1\"><t>ジャ</t></rPh></si></sst>";

/* Every cell as "A1=text" lines, in order. */
static void
dump(struct sheet *s, char *out, size_t size)
{
	struct sheet_row r;
	char ref[64];
	size_t len = 0, i;

	out[0] = '\0';
	while (sheet_next(s, &r) == 1)
		for (i = 0; i < r.ncells && len < size; i++) {
			sheet_ref(ref, sizeof(ref), "S", r.row, r.cells[i].col);
			len += (size_t)snprintf(out + len, size - len, "%s=%s\n",
			    ref + 2, r.cells[i].text);
		}
}

static struct sheet *
xlsx(const char *sheet, bool date1904, struct err *e)
{
	char wb[512];
	struct part p[] = {
		{ "[Content_Types].xml", ctypes, sizeof(ctypes) - 1 },
		{ "xl/workbook.xml", wb, 0 },
		{ "xl/_rels/workbook.xml.rels", rels, sizeof(rels) - 1 },
		{ "xl/styles.xml", styles, sizeof(styles) - 1 },
		{ "xl/sharedStrings.xml", sst, sizeof(sst) - 1 },
		{ "xl/worksheets/sheet1.xml", sheet, strlen(sheet) },
	};
	struct sheet *s = NULL;
	unsigned char *z;
	size_t zlen;

	p[1].len = (size_t)snprintf(wb, sizeof(wb), "<workbook " NS " " RNS
	    "><workbookPr date1904=\"%d\"/><sheets><sheet name=\"명단\" "
	    "sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>", date1904);
	z = pack(p, 6, &zlen);
	if (sheet_open_mem(&s, "t.xlsx", z, zlen, NULL, e) == -1)
		s = NULL;
	free(z);
	return s;
}

static void
check_xlsx(const char *cells, bool date1904, const char *want,
    const char *what)
{
	char xml[4096], got[4096];
	struct sheet *s;
	struct err e;

	snprintf(xml, sizeof(xml), "<worksheet " NS "><sheetData>%s"
	    "</sheetData></worksheet>", cells);
	s = xlsx(xml, date1904, &e);
	ok(s != NULL, "%s: read (%s)", what, s ? "" : e.msg);
	if (s == NULL)
		return;
	dump(s, got, sizeof(got));
	is_str(got, want, "%s", what);
	sheet_free(s);
}

static void
test_numbers(void)
{
	check_xlsx("<row r=\"1\"><c r=\"A1\"><v>2026000001</v></c>"
	    "<c r=\"B1\"><v>123456789012345</v></c><c r=\"C1\"><v>1E+15</v></c>"
	    "<c r=\"D1\"><v>-0</v></c><c r=\"E1\"><v>-2.5</v></c>"
	    "<c r=\"F1\"><v>1E-7</v></c>"
	    "<c r=\"G1\"><v>0.30000000000000004</v></c>"
	    "<c r=\"H1\"><v>0.33333333333333331</v></c>"
	    "<c r=\"I1\"><v>2.6749999999999998</v></c>"
	    "<c r=\"J1\" t=\"n\"><v>abc</v></c></row>", false,
	    "A1=2026000001\nB1=123456789012345\nC1=1e+15\nD1=0\nE1=-2.5\n"
	    "F1=1e-07\nG1=0.3\nH1=0.333333333333333\nI1=2.675\nJ1=abc\n",
	    "numbers: integers whole, others shortest within 15 digits");
	check_xlsx("<row r=\"2\"><c r=\"B2\" s=\"3\"><v>3.5</v></c>"
	    "<c r=\"C2\" s=\"7\"><v>2</v></c></row>", false,
	    "B2=3.5\nC2=2\n",
	    "a d inside quotes or a [Red] is no date format");
}

static void
test_dates(void)
{
	check_xlsx("<row r=\"1\"><c r=\"A1\" s=\"1\"><v>46083</v></c>"
	    "<c r=\"B1\" s=\"2\"><v>39507</v></c>"
	    "<c r=\"C1\" s=\"8\"><v>46083</v></c>"
	    "<c r=\"D1\" s=\"1\"><v>1</v></c><c r=\"E1\" s=\"1\"><v>59</v></c>"
	    "<c r=\"F1\" s=\"1\"><v>61</v></c>"
	    "<c r=\"G1\" s=\"5\"><v>46083.75</v></c>"
	    "<c r=\"H1\" s=\"6\"><v>46083</v></c>"
	    "<c r=\"I1\" s=\"4\"><v>0.5</v></c>"
	    "<c r=\"J1\" t=\"d\"><v>2026-03-02T00:00:00</v></c>"
	    "<c r=\"K1\" s=\"1\"><v>-1</v></c></row>", false,
	    "A1=2026-03-02\nB1=2008-02-29\nC1=2026-03-02\nD1=1900-01-01\n"
	    "E1=1900-02-28\nF1=1900-03-01\nG1=2026-03-02 18:00\n"
	    "H1=2026-03-02\nI1=12:00:00\nJ1=2026-03-02\nK1=-1\n",
	    "dates: built-in 14 and 22, Korean custom and built-in 57, "
	    "Excel's 1900 leap day, times");
	check_xlsx("<row r=\"1\"><c r=\"A1\" s=\"1\"><v>0</v></c>"
	    "<c r=\"B1\" s=\"1\"><v>44621</v></c></row>", true,
	    "A1=1904-01-01\nB1=2026-03-02\n", "dates: the 1904 system");
}

static void
test_strings(void)
{
	check_xlsx("<row r=\"3\"><c r=\"A3\" t=\"s\"><v>0</v></c>"
	    "<c r=\"B3\" t=\"s\"><v>1</v></c>"
	    "<c r=\"C3\" t=\"inlineStr\"><is><r><t>인</t></r><r><t>라인</t>"
	    "</r></is></c><c r=\"D3\" t=\"b\"><v>0</v></c>"
	    "<c r=\"E3\" t=\"b\"><v>1</v></c>"
	    "<c r=\"F3\" t=\"e\"><f>1/0</f><v>#DIV/0!</v></c>"
	    "<c r=\"G3\" t=\"str\"><f>A3&amp;\"x\"</f><v>00123x</v></c>"
	    "<c r=\"H3\"><f>1+1</f><v>2</v></c><c r=\"I3\" s=\"1\"/>"
	    "<c r=\"J3\" t=\"s\"><v></v></c></row>"
	    "<row><c><v>7</v></c><c t=\"inlineStr\"><is><t/></is></c>"
	    "<c><v>8</v></c></row>", false,
	    "A3=00123\nB3=잘함 굿\nC3=인라인\nD3=FALSE\nE3=TRUE\nF3=#DIV/0!\n"
	    "G3=00123x\nH3=2\nA4=7\nC4=8\n",
	    "strings, rich runs without the phonetic one, booleans, errors, "
	    "cached formula values; cells and rows without r");
}

static void
test_refusals(void)
{
	struct sheet *s;
	struct err e;

	s = xlsx("<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\">"
	    "<v>9</v></c></row></sheetData></worksheet>", false, &e);
	ok(s == NULL && strstr(e.where, "명단!A1") != NULL &&
	    strstr(e.msg, "shared string '9'") != NULL,
	    "a missing shared string names its cell: %s: %s", e.where, e.msg);
	sheet_free(s);
	s = xlsx("<worksheet><sheetData><row r=\"1\"><c r=\"B2\"><v>1</v>"
	    "</c></row></sheetData></worksheet>", false, &e);
	ok(s == NULL && strstr(e.msg, "'B2' in row 1") != NULL,
	    "a cell reference of another row is refused: %s", e.msg);
	sheet_free(s);
}

/* One .ods content.xml table row by row. */
static void
check_ods(const char *rows, const char *want, const char *what)
{
	char xml[4096], got[4096];
	struct part p[2] = {
		{ "mimetype", "application/vnd.oasis.opendocument.spreadsheet",
		    46 },
		{ "content.xml", xml, 0 },
	};
	struct sheet *s = NULL;
	unsigned char *z;
	size_t zlen;
	struct err e;

	p[1].len = (size_t)snprintf(xml, sizeof(xml), "<office:document-"
	    "content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:"
	    "office:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:"
	    "table:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:"
	    "text:1.0\"><office:body><office:spreadsheet><table:table "
	    "table:name=\"T\">%s</table:table></office:spreadsheet>"
	    "</office:body></office:document-content>", rows);
	z = pack(p, 2, &zlen);
	if (sheet_open_mem(&s, "t.ods", z, zlen, NULL, &e) == -1)
		s = NULL;
	free(z);
	ok(s != NULL, "%s: read (%s)", what, s ? "" : e.msg);
	if (s == NULL)
		return;
	dump(s, got, sizeof(got));
	is_str(got, want, "%s", what);
	sheet_free(s);
}

#define ROW(x)	"<table:table-row>" x "</table:table-row>"
#define CELL(a, x) "<table:table-cell " a ">" x "</table:table-cell>"

static void
test_ods(void)
{
	check_ods(ROW(CELL("office:value-type=\"float\" office:value="
	    "\"2026000001\"", "<text:p>2.03E+09</text:p>")
	    CELL("office:value-type=\"date\" office:date-value="
	    "\"2026-03-02T10:30:00\"", "<text:p>x</text:p>")
	    CELL("office:value-type=\"boolean\" office:boolean-value=\"false\"",
	    "<text:p>거짓</text:p>")
	    CELL("office:value-type=\"percentage\" office:value=\"0.5\"",
	    "<text:p>50%</text:p>")
	    CELL("office:value-type=\"string\"", "<office:annotation><text:p>"
	    "memo</text:p></office:annotation><text:p>a<text:s text:c=\"3\"/>"
	    "b<text:tab/>c</text:p><text:p>d<text:line-break/>e</text:p>")),
	    "A1=2026000001\nB1=2026-03-02 10:30\nC1=FALSE\nD1=50%\n"
	    "E1=a   b\tc\nd\ne\n",
	    "ods: float, date with time, boolean, percentage as shown, "
	    "paragraphs, spaces, comments left out");
	check_ods(ROW(CELL("", "")) "<table:table-row table:number-rows-"
	    "repeated=\"2\">" CELL("table:number-columns-repeated=\"2\" "
	    "office:value-type=\"string\"", "<text:p>x</text:p>")
	    "<table:covered-table-cell/>" CELL("table:number-columns-"
	    "repeated=\"1000\"", "") "</table:table-row>"
	    "<table:table-row table:number-rows-repeated=\"1048570\">"
	    CELL("", "") "</table:table-row>",
	    "A2=x\nB2=x\nA3=x\nB3=x\n",
	    "ods: repeated cells and rows with a value, empty repeats "
	    "ignored");
}

static void
test_ref(void)
{
	char ref[64];

	sheet_ref(ref, sizeof(ref), "명단", 7, 2);
	is_str(ref, "명단!C7", "a Korean sheet name is not quoted");
	sheet_ref(ref, sizeof(ref), "My List", 1, 26);
	is_str(ref, "'My List'!AA1", "a name with a space is quoted");
	sheet_ref(ref, sizeof(ref), "S", 1, 16383);
	is_str(ref, "S!XFD1", "the last column is XFD");
}

int
main(void)
{
	test_numbers();
	test_dates();
	test_strings();
	test_refusals();
	test_ods();
	test_ref();
	return tap_done();
}
