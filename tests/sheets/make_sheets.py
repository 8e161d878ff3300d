#!/usr/bin/python3
"""Write the spreadsheet rosters tests/cli/sheets.sh reads, into DIR.

The workbooks come from independent libraries in Debian: python3-openpyxl
(.xlsx), python3-odf (.ods) and python3-xlwt (.xls).  roster.csv is the
same roster as a teacher sees it on screen, written by hand: every
spreadsheet must preview to the same messages as this CSV.

Two things openpyxl 3.0 cannot write are added to its XML afterwards,
as Excel itself writes them (ECMA-376 Part 1 §18.3.1.4, §18.4):
  * cached formula values: openpyxl stores <f> with an empty <v>, since
    it never computes formulas (and LibreOffice is not installed to do
    it); the value a spreadsheet program would cache goes into <v>;
  * the shared string table: openpyxl 3.0 writes every string inline
    (<is>), so the roster sheet's strings are moved to
    xl/sharedStrings.xml, with one rich-text entry (runs plus a phonetic
    run, which is not shown) -- openpyxl 3.0 has no rich text.
Sheet3 keeps openpyxl's inline strings.

Usage: make_sheets.py DIR
"""
import datetime
import io
import os
import re
import sys
import zipfile

HEAD = ["이름", "학번", "email", "점수", "생일", "합격", "비고", "코드",
        "합계", "반"]

# (name, id, email, score, birthday, passed, note, code, formula, its
#  cached value, class formula, its cached value)
ROWS = [
    ("김민준", 2026000001, "minjun@example.com", 95.5,
     datetime.date(2008, 3, 2), True, "잘함 굿", "00123", 191, "1반"),
    ("이하나", 2026000002, "hana@example.com", 88,
     datetime.date(2008, 12, 31), False, "", "00456", 176, "2반"),
    ("박서준", 2026000003, "seojun@example.com", 0.1 + 0.2,
     datetime.date(2009, 1, 1), True, "재시험", "07", 0.6, "1반"),
]

# What the teacher sees: the expected CSV, written out by hand.
CSV = """이름,학번,email,점수,생일,합격,비고,코드,합계,반
김민준,2026000001,minjun@example.com,95.5,2008-03-02,TRUE,잘함 굿,00123,191,1반
이하나,2026000002,hana@example.com,88,2008-12-31,FALSE,,00456,176,2반
박서준,2026000003,seojun@example.com,0.3,2009-01-01,TRUE,재시험,07,0.6,1반
"""

FIRST = 3       # the header's row: rows 1-2 are empty


def xlsx(path):
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    hidden = wb.active
    hidden.title = "숨김"
    hidden["A1"] = "비밀"
    hidden.sheet_state = "hidden"
    ws = wb.create_sheet("명단")
    for c, h in enumerate(HEAD, 1):
        ws.cell(row=FIRST, column=c, value=h)
    r = FIRST
    for i, row in enumerate(ROWS):
        r += 1
        if i == 2:
            r += 1              # an empty row inside the data
        vals = list(row[:8])
        for c, v in enumerate(vals, 1):
            if v == "":
                continue
            cell = ws.cell(row=r, column=c, value=v)
            if c == 5 and i == 1:
                cell.number_format = 'yyyy"년" m"월" d"일"'
            elif c == 5 and i == 2:
                cell.number_format = "mm-dd-yy"        # built-in 14
        ws.cell(row=r, column=9, value="=D%d*2" % r)
        ws.cell(row=r, column=10, value='=CONCATENATE("%s")' % row[9])
    # Formatted but empty cells far right and below: trailing, ignored.
    ws["N2"].font = Font(bold=True)
    ws.cell(row=40, column=3).font = Font(bold=True)
    ws.cell(row=41, column=20).font = Font(bold=True)
    s3 = wb.create_sheet("Sheet3")
    s3.append(["이름", "email"])
    s3.append(["최유진", "yujin@example.com"])
    wb.save(path)
    patch_xlsx(path, ws.title)


def cached_values():
    """Per row of 명단: the cached values of columns I and J."""
    out = {}
    r = FIRST
    for i, row in enumerate(ROWS):
        r += 1
        if i == 2:
            r += 1
        out[r] = row
    return out


def patch_sheet(xml, sst):
    vals = cached_values()

    def formula(m):
        ref, body = m.group(1), m.group(2)
        col, row = re.match(r"([A-Z]+)(\d+)", ref).groups()
        row = int(row)
        if col == "I":
            return '<c r="%s"><f>%s</f><v>%s</v></c>' % (
                ref, body, repr(vals[row][8]))
        return '<c r="%s" t="str"><f>%s</f><v>%s</v></c>' % (
            ref, body, vals[row][9])
    xml = re.sub(r'<c r="([A-Z]+\d+)"[^>]*><f>([^<]*)</f><v\s*/?>(?:</v>)?'
                 r'</c>', formula, xml)
    # Excel writes a double with 17 significant digits; openpyxl shortens
    # it.  Put 0.1+0.2 back as Excel stores it.
    xml = xml.replace("<v>0.3</v>", "<v>%r</v>" % (0.1 + 0.2))

    def shared(m):
        ref, attrs, text = m.group(1), m.group(2), m.group(3)
        if text == "잘함 굿":
            idx = len(sst)
            sst.append('<si><r><rPr><b/></rPr><t xml:space="preserve">잘함 '
                       '</t></r><r><t>굿</t></r><rPh sb="0" eb="1"><t>ジャ'
                       '</t></rPh></si>')
        else:
            idx = len(sst)
            sst.append("<si><t>%s</t></si>" % text)
        return '<c r="%s"%s t="s"><v>%d</v></c>' % (ref, attrs, idx)
    return re.sub(r'<c r="([A-Z]+\d+)"([^>]*?) t="inlineStr"><is><t>([^<]*)'
                  r'</t></is></c>', shared, xml)


def patch_xlsx(path, title):
    src = zipfile.ZipFile(path)
    names = src.namelist()
    wbxml = src.read("xl/workbook.xml").decode()
    rels = src.read("xl/_rels/workbook.xml.rels").decode()
    # The worksheet part of the roster sheet, through the relationships.
    rid = re.search(r'<sheet[^>]*name="%s"[^>]*r:id="(rId\d+)"' % title,
                    wbxml) or re.search(r'<sheet[^>]*r:id="(rId\d+)"[^>]*'
                                        r'name="%s"' % title, wbxml)
    target = re.search(r'Target="([^"]+)" Id="%s"' % rid.group(1), rels)
    part = target.group(1).lstrip("/")
    sst = []
    out = io.BytesIO()
    dst = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)
    for n in names:
        data = src.read(n).decode()
        if n == part:
            data = patch_sheet(unescape(data), sst)
        elif n == "xl/_rels/workbook.xml.rels":
            data = data.replace(
                "</Relationships>",
                '<Relationship Type="http://schemas.openxmlformats.org/'
                'officeDocument/2006/relationships/sharedStrings" '
                'Target="sharedStrings.xml" Id="rId99"/></Relationships>')
        elif n == "[Content_Types].xml":
            data = data.replace(
                "</Types>",
                '<Override PartName="/xl/sharedStrings.xml" ContentType='
                '"application/vnd.openxmlformats-officedocument.'
                'spreadsheetml.sharedStrings+xml"/></Types>')
        dst.writestr(n, data)
    dst.writestr("xl/sharedStrings.xml",
                 '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://'
                 'schemas.openxmlformats.org/spreadsheetml/2006/main" '
                 'count="%d" uniqueCount="%d">%s</sst>'
                 % (len(sst), len(sst), "".join(sst)))
    dst.close()
    src.close()
    with open(path, "wb") as f:
        f.write(out.getvalue())


def unescape(xml):
    """openpyxl writes Hangul as character references; make them text."""
    return re.sub(r"&#(\d+);", lambda m: chr(int(m.group(1))), xml)


def ods(path):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableProperties
    from odf.table import Table, TableRow, TableCell
    from odf.text import P, Span

    doc = OpenDocumentSpreadsheet()
    hide = Style(name="hid", family="table")
    hide.addElement(TableProperties(display="false"))
    doc.automaticstyles.addElement(hide)

    t = Table(name="숨김", stylename=hide)
    tr = TableRow()
    tr.addElement(cell_text("비밀"))
    t.addElement(tr)
    doc.spreadsheet.addElement(t)

    t = Table(name="명단")
    for _ in range(FIRST - 1):
        t.addElement(TableRow())
    tr = TableRow()
    for h in HEAD:
        tr.addElement(cell_text(h))
    t.addElement(tr)
    for i, row in enumerate(ROWS):
        if i == 2:
            t.addElement(TableRow())
        tr = TableRow()
        name, sid, email, score, bday, passed, note, code, tot, cls = row
        tr.addElement(cell_text(name))
        tr.addElement(TableCell(valuetype="float", value=sid))
        tr.addElement(cell_text(email))
        tr.addElement(TableCell(valuetype="float", value=repr(score)))
        c = TableCell(valuetype="date", datevalue=bday.isoformat())
        c.addElement(P(text=bday.strftime("%d/%m/%Y")))
        tr.addElement(c)
        c = TableCell(valuetype="boolean",
                      booleanvalue="true" if passed else "false")
        c.addElement(P(text="TRUE" if passed else "FALSE"))
        tr.addElement(c)
        if note == "잘함 굿":
            c = TableCell(valuetype="string")
            p = P()
            p.addElement(Span(text="잘함"))
            p.addText(" ")
            p.addElement(Span(text="굿"))
            c.addElement(p)
            tr.addElement(c)
        elif note:
            tr.addElement(cell_text(note))
        else:
            tr.addElement(TableCell())
        tr.addElement(cell_text(code))
        # A formula with its cached value, as ODF stores both.
        c = TableCell(valuetype="float", value=repr(tot),
                      formula="of:=[.D%d]*2" % (FIRST + 1 + i))
        c.addElement(P(text=str(tot)))
        tr.addElement(c)
        c = TableCell(valuetype="string", formula='of:="%s"' % cls)
        c.addElement(P(text=cls))
        tr.addElement(c)
        # Empty cells repeated to the sheet's edge, as LibreOffice writes.
        tr.addElement(TableCell(numbercolumnsrepeated=1000))
        t.addElement(tr)
    t.addElement(TableRow(numberrowsrepeated=1048000))
    doc.spreadsheet.addElement(t)

    t = Table(name="Sheet3")
    for r in (["이름", "email"], ["최유진", "yujin@example.com"]):
        tr = TableRow()
        for v in r:
            tr.addElement(cell_text(v))
        t.addElement(tr)
    doc.spreadsheet.addElement(t)
    doc.save(path)


def cell_text(v):
    from odf.table import TableCell
    from odf.text import P
    c = TableCell(valuetype="string")
    c.addElement(P(text=v))
    return c


def xls(path):
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("명단")
    date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for c, h in enumerate(HEAD):
        ws.write(FIRST - 1, c, h)
    r = FIRST - 1
    for i, row in enumerate(ROWS):
        r += 1
        if i == 2:
            r += 1
        name, sid, email, score, bday, passed, note, code, tot, cls = row
        ws.write(r, 0, name)
        ws.write(r, 1, sid)
        ws.write(r, 2, email)
        ws.write(r, 3, score)
        ws.write(r, 4, bday, date)
        ws.write(r, 5, passed)
        if note:
            ws.write(r, 6, note)
        ws.write(r, 7, code)
        ws.write(r, 8, tot)
        ws.write(r, 9, cls)
    wb.save(path)


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "roster.csv"), "w", encoding="utf-8") as f:
        f.write(CSV)
    xlsx(os.path.join(d, "roster.xlsx"))
    ods(os.path.join(d, "roster.ods"))
    xls(os.path.join(d, "roster.xls"))


if __name__ == "__main__":
    main()
