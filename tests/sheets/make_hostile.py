#!/usr/bin/python3
"""Write hostile and damaged spreadsheets into DIR, for tests/cli/sheets.sh.

  bomb.xlsx       a 1 GiB worksheet deflated to about 1 MB (a ZIP bomb)
  liar.xlsx       the same, its headers claiming 1000 octets inflated
  cols.xlsx       one row of 10^6 cells (columns far past Excel's XFD)
  cols.ods        one cell repeated over 10^6 columns
  rows.xlsx       a row numbered past Excel's 1,048,576
  laughs.xlsx     a worksheet with a DOCTYPE of nested entities
                  (billion laughs)
  laughs.ods      the same in content.xml
  traversal.xlsx  the sheet's relationship target is ../../../etc/passwd
  corrupt.xlsx    a good workbook with octets of its deflated data flipped
  truncated.xlsx  the first half of a good workbook
  other.zip       a ZIP that is no spreadsheet (a .docx's layout)

Usage: make_hostile.py DIR GOOD.xlsx
"""
import os
import struct
import sys
import zipfile

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
CTYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.'
          'org/package/2006/content-types"/>')
WORKBOOK = ('<?xml version="1.0"?><workbook %s xmlns:r="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'
            '</workbook>' % NS)
RELS = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship '
        'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/worksheet" Target="%s"/></Relationships>')
HEAD = ('<?xml version="1.0"?><worksheet %s><sheetData><row r="1"><c r="A1" '
        't="inlineStr"><is><t>email</t></is></c></row>' % NS)
TAIL = '</sheetData></worksheet>'
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join('<!ENTITY lol%d "%s">' % (i, ("&lol%s;" % (
              i - 1 if i > 1 else "")) * 10) for i in range(1, 10))
          + ']>')


def book(path, sheet, target="worksheets/sheet1.xml"):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CTYPES)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", RELS % target)
        if sheet is not None:
            z.writestr("xl/worksheets/sheet1.xml", sheet)


def bomb(path):
    """1 GiB of blanks inside sheetData: valid XML, deflated ~1000:1."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED,
                         compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CTYPES)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels",
                   RELS % "worksheets/sheet1.xml")
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write(HEAD.encode())
            blank = b" " * (1 << 20)
            for _ in range(1024):
                f.write(blank)
            f.write(TAIL.encode())


def liar(src, dst):
    """The bomb with the sheet's inflated size set to 1000 in both the
    local header and the central directory (APPNOTE 4.3.7, 4.3.12)."""
    data = bytearray(open(src, "rb").read())
    name = b"xl/worksheets/sheet1.xml"
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = 0
        while True:
            at = data.find(sig, at)
            if at < 0:
                break
            nameoff = at + (30 if sig == b"PK\x03\x04" else 46)
            if data[nameoff:nameoff + len(name)] == name:
                struct.pack_into("<I", data, at + off, 1000)
            at += 4
    open(dst, "wb").write(bytes(data))


def ods(path, content):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype",
                   "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)


ODS_HEAD = ('<?xml version="1.0"?><office:document-content xmlns:office='
            '"urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table='
            '"urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text='
            '"urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
            '<office:spreadsheet><table:table table:name="Sheet1">')
ODS_TAIL = '</table:table></office:spreadsheet></office:body>' \
           '</office:document-content>'


def main():
    d, good = sys.argv[1], sys.argv[2]
    os.makedirs(d, exist_ok=True)
    p = lambda n: os.path.join(d, n)
    bomb(p("bomb.xlsx"))
    liar(p("bomb.xlsx"), p("liar.xlsx"))
    book(p("cols.xlsx"), HEAD + "<row>" + "<c><v>1</v></c>" * 10**6
         + "</row>" + TAIL)
    ods(p("cols.ods"), ODS_HEAD + '<table:table-row><table:table-cell '
        'table:number-columns-repeated="1000000" office:value-type="float" '
        'office:value="1"><text:p>1</text:p></table:table-cell>'
        '</table:table-row>' + ODS_TAIL)
    book(p("rows.xlsx"), HEAD + '<row r="2000000"><c r="A2000000"><v>1</v>'
         '</c></row>' + TAIL)
    book(p("laughs.xlsx"), LAUGHS + HEAD[HEAD.index("<worksheet"):]
         + '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c>'
         '</row>' + TAIL)
    ods(p("laughs.ods"), LAUGHS + ODS_HEAD[ODS_HEAD.index("<office:"):]
        + '<table:table-row><table:table-cell><text:p>&lol9;</text:p>'
        '</table:table-cell></table:table-row>' + ODS_TAIL)
    book(p("traversal.xlsx"), HEAD + TAIL, target="../../../etc/passwd")
    data = bytearray(open(good, "rb").read())
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("xl/worksheets/sheet2.xml")
    # Into the middle of the sheet's deflated data.
    at = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    for i in range(8):
        data[at + i] ^= 0x5A
    open(p("corrupt.xlsx"), "wb").write(bytes(data))
    good_data = open(good, "rb").read()
    open(p("truncated.xlsx"), "wb").write(good_data[:len(good_data) // 2])
    with zipfile.ZipFile(p("other.zip"), "w") as z:
        z.writestr("[Content_Types].xml", CTYPES)
        z.writestr("word/document.xml", "<w:document/>")


if __name__ == "__main__":
    main()
