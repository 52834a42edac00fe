""".ods, .xlsb and .xls workbooks built in code (no spreadsheet program, no committed binaries).

Each writer takes sheets as {name: {(row, column): value}} with 0-based positions and values
str, float, int or bool, and writes the smallest package python-calamine reads. The record and
element layout is kept simple and explicit so that the hostile builders and the fuzzers can change
one field (a row number, a repeat count, a declared count) and nothing else.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

Cells = Mapping[tuple[int, int], object]
Sheets = Mapping[str, Cells]


@dataclass(frozen=True)
class Error:
    """An error value in a cell (`name` as Excel shows it, such as #N/A): typed in, or the
    cached result of a formula (`formula`) that gives it."""

    name: str
    formula: bool = False

    @property
    def code(self) -> int:
        """Its code in .xls and .xlsb ([MS-XLS] BErr; [MS-XLSB] 2.5.97.2)."""
        return {"#NULL!": 0x00, "#DIV/0!": 0x07, "#VALUE!": 0x0F, "#REF!": 0x17,
                "#NAME?": 0x1D, "#NUM!": 0x24, "#N/A": 0x2A}[self.name]


def grid_cells(rows: list[list[object]] | tuple[tuple[object, ...], ...],
               top: int = 0, left: int = 0) -> dict[tuple[int, int], object]:
    """{(row, column): value} of a grid placed at (top, left), leaving out None and ""."""
    return {(top + r, left + c): v for r, row in enumerate(rows) for c, v in enumerate(row)
            if v is not None and v != ""}


# --- .ods -------------------------------------------------------------------------------------

ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
           'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" '
           'office:version="1.2"')


def ods_cell(value: object, repeat: int = 1) -> str:
    """One table:table-cell element (`repeat` > 1: number-columns-repeated)."""
    rep = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    if value is None or value == "":
        return f"<table:table-cell{rep}/>"
    if isinstance(value, Error):  # as LibreOffice writes it: a string for ODF 1.2 readers
        return (f'<table:table-cell{rep} table:formula="of:={escape(value.name)}" '
                'office:value-type="string" office:string-value="" '
                f'calcext:value-type="error"><text:p>{escape(value.name)}</text:p>'
                "</table:table-cell>")
    if isinstance(value, bool):
        word = "true" if value else "false"
        return (f'<table:table-cell{rep} office:value-type="boolean" '
                f'office:boolean-value="{word}"><text:p>{word.upper()}</text:p>'
                f"</table:table-cell>")
    if isinstance(value, int | float):
        return (f'<table:table-cell{rep} office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    return (f'<table:table-cell{rep} office:value-type="string"><text:p>{escape(str(value))}'
            f"</text:p></table:table-cell>")


def ods_rows(cells: Cells) -> str:
    """The table:table-row elements of a sparse sheet (gaps as repeated empty rows/cells)."""
    out = []
    rows = sorted({r for r, _ in cells})
    previous = -1
    for r in rows:
        if r > previous + 1:
            out.append(f'<table:table-row table:number-rows-repeated="{r - previous - 1}">'
                       "<table:table-cell/></table:table-row>")
        parts, col = [], 0
        for c in sorted(c for rr, c in cells if rr == r):
            if c > col:
                parts.append(ods_cell(None, c - col))
            parts.append(ods_cell(cells[(r, c)]))
            col = c + 1
        out.append("<table:table-row>" + "".join(parts) + "</table:table-row>")
        previous = r
    return "".join(out)


def write_ods_xml(path: Path, tables: Mapping[str, str]) -> Path:
    """An .ods whose tables hold the given table:table-row XML, as written."""
    body = "".join(f"<table:table table:name={quoteattr(name)}>{rows}</table:table>"
                   for name, rows in tables.items())
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS}>'
               f"<office:body><office:spreadsheet>{body}</office:spreadsheet></office:body>"
               "</office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:'
                'oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="'
                f'{ODS_MIME.decode()}"/><manifest:file-entry manifest:full-path="content.xml" '
                'manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), ODS_MIME, compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", manifest)
        z.writestr("content.xml", content)
    return path


def write_ods(path: Path, sheets: Sheets) -> Path:
    """An .ods with the given cells."""
    return write_ods_xml(path, {name: ods_rows(cells) for name, cells in sheets.items()})


# --- .xlsb (BIFF12 records in a zip) ----------------------------------------------------------


def b12(kind: int, data: bytes = b"") -> bytes:
    """One BIFF12 record: type and size as 7-bit variable-length numbers, then the data."""
    head = bytearray()
    for number, most in ((kind, 2), (len(data), 4)):
        for _ in range(most):
            byte = number & 0x7F
            number >>= 7
            head.append(byte | (0x80 if number else 0))
            if not number:
                break
    return bytes(head) + data


def wide(text: str) -> bytes:
    """XLWideString: a character count and UTF-16LE."""
    raw = text.encode("utf-16-le")
    return struct.pack("<I", len(raw) // 2) + raw


def xlsb_cell(col: int, value: object) -> bytes:
    """BrtCellBool, BrtCellReal, BrtCellSt, BrtCellError or BrtFmlaError for one value."""
    if isinstance(value, Error) and value.formula:  # the formula: ptgErr with the same code
        return b12(0x0B, struct.pack("<IIBHI", col, 0, value.code, 0, 2)
                   + bytes([0x1C, value.code]) + struct.pack("<I", 0))
    if isinstance(value, Error):
        return b12(0x03, struct.pack("<IIB", col, 0, value.code))
    if isinstance(value, bool):
        return b12(0x04, struct.pack("<IIB", col, 0, int(value)))
    if isinstance(value, int | float):
        return b12(0x05, struct.pack("<IId", col, 0, float(value)))
    return b12(0x06, struct.pack("<II", col, 0) + wide(str(value)))


def xlsb_sheet_records(cells: Cells) -> list[bytes]:
    """The records of a worksheet part: dimension, one BrtRowHdr per row, its cells."""
    rows = sorted({r for r, _ in cells})
    cols = sorted({c for _, c in cells})
    dim = struct.pack("<IIII", rows[0], rows[-1], cols[0], cols[-1]) if cells else bytes(16)
    records = [b12(0x81), b12(0x94, dim), b12(0x91)]
    for r in rows:
        records.append(b12(0x00, struct.pack("<IIHHBB", r, 0, 300, 0, 0, 0)))
        records += [xlsb_cell(c, cells[(r, c)]) for c in sorted(c for rr, c in cells if rr == r)]
    return [*records, b12(0x92), b12(0x82)]


_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def write_xlsb_parts(path: Path, sheets: Mapping[str, list[bytes]],
                     shared: list[bytes] | None = None) -> Path:
    """An .xlsb from worksheet parts given as lists of records (and a shared-strings part)."""
    names = list(sheets)
    book = [b12(0x83), b12(0x8F)]
    for n, name in enumerate(names, start=1):
        book.append(b12(0x9C, struct.pack("<II", 0, n) + wide(f"rId{n}") + wide(name)))
    book += [b12(0x90), b12(0x84)]
    rels = "".join(f'<Relationship Id="rId{n}" Type="{_OFFICE}/worksheet" '
                   f'Target="worksheets/sheet{n}.bin"/>' for n in range(1, len(names) + 1))
    if shared is not None:
        rels += (f'<Relationship Id="rId{len(names) + 1}" Type="{_OFFICE}/sharedStrings" '
                 'Target="sharedStrings.bin"/>')
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.bin" ContentType="'
                        'application/vnd.ms-excel.worksheet"/>'
                        for n in range(1, len(names) + 1))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", (
            f'<?xml version="1.0"?><Types xmlns="{_CT}"><Default Extension="rels" ContentType='
            '"application/vnd.openxmlformats-package.relationships+xml"/><Override PartName='
            '"/xl/workbook.bin" ContentType="application/vnd.ms-excel.sheet.binary.'
            f'macroEnabled.main"/>{overrides}</Types>'))
        z.writestr("_rels/.rels", (
            f'<?xml version="1.0"?><Relationships xmlns="{_REL}"><Relationship Id="rId1" '
            f'Type="{_OFFICE}/officeDocument" Target="xl/workbook.bin"/></Relationships>'))
        z.writestr("xl/workbook.bin", b"".join(book))
        z.writestr("xl/_rels/workbook.bin.rels",
                   f'<?xml version="1.0"?><Relationships xmlns="{_REL}">{rels}</Relationships>')
        for n, records in enumerate(sheets.values(), start=1):
            z.writestr(f"xl/worksheets/sheet{n}.bin", b"".join(records))
        if shared is not None:
            z.writestr("xl/sharedStrings.bin", b"".join(shared))
    return path


def write_xlsb(path: Path, sheets: Sheets) -> Path:
    """An .xlsb with the given cells (strings inline, as BrtCellSt)."""
    return write_xlsb_parts(path, {name: xlsb_sheet_records(c) for name, c in sheets.items()})


# --- .xls (BIFF8 records in a compound file) --------------------------------------------------


def b8(kind: int, data: bytes = b"") -> bytes:
    """One BIFF8 record."""
    return struct.pack("<HH", kind, len(data)) + data


def _short(text: str) -> bytes:
    # ShortXLUnicodeString, always stored as UTF-16 (fHighByte = 1)
    return struct.pack("<BB", len(text), 1) + text.encode("utf-16-le")


def _unicode(text: str) -> bytes:
    # XLUnicodeString, always UTF-16
    return struct.pack("<HB", len(text), 1) + text.encode("utf-16-le")


def xls_cell(row: int, col: int, value: object, sst: dict[str, int]) -> bytes:
    """NUMBER, BOOLERR, LABELSST or FORMULA (an Error that is a formula's result) for one
    value."""
    if isinstance(value, Error) and value.formula:  # cached result type 2, formula ptgErr
        result = struct.pack("<BBBBHH", 2, 0, value.code, 0, 0, 0xFFFF)
        return b8(0x0006, struct.pack("<HHH", row, col, 15) + result
                  + struct.pack("<HIH", 0, 0, 2) + bytes([0x1C, value.code]))
    if isinstance(value, Error):
        return b8(0x0205, struct.pack("<HHHBB", row, col, 15, value.code, 1))
    if isinstance(value, bool):
        return b8(0x0205, struct.pack("<HHHBB", row, col, 15, int(value), 0))
    if isinstance(value, int | float):
        return b8(0x0203, struct.pack("<HHHd", row, col, 15, float(value)))
    index = sst.setdefault(str(value), len(sst))
    return b8(0x00FD, struct.pack("<HHHI", row, col, 15, index))


def xls_sheet_records(cells: Cells, sst: dict[str, int]) -> list[bytes]:
    """BOF, DIMENSIONS, the cells and EOF of one worksheet substream."""
    rows = sorted({r for r, _ in cells}) or [0]
    cols = sorted({c for _, c in cells}) or [0]
    records = [b8(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0)),
               b8(0x0200, struct.pack("<IIHHH", rows[0], rows[-1] + 1, cols[0], cols[-1] + 1,
                                      0))]
    records += [xls_cell(r, c, cells[(r, c)], sst) for r, c in sorted(cells)]
    return [*records, b8(0x000A)]


def xls_stream(sheets: Mapping[str, list[bytes]], sst: dict[str, int]) -> bytes:
    """The Workbook stream: globals (BOF, 16 XF records, the sheets, SST, EOF), then each sheet
    substream; the BOUNDSHEET8 offsets are filled in from the substreams' positions."""
    xf = b8(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0xFFF5, 0x20, 0, 0, 0, 0, 0, 0x20C0))
    strings = sorted(sst, key=sst.__getitem__)
    sst_record = b8(0x00FC, struct.pack("<II", len(strings), len(strings))
                    + b"".join(_unicode(s) for s in strings))
    head = [b8(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0)),
            b8(0x0042, struct.pack("<H", 1200)), *[xf] * 16]
    names = list(sheets)
    bound_len = sum(len(b8(0x0085, struct.pack("<IBB", 0, 0, 0) + _short(n))) for n in names)
    offset = sum(map(len, head)) + bound_len + len(sst_record) + len(b8(0x000A))
    bounds = []
    for name in names:
        bounds.append(b8(0x0085, struct.pack("<IBB", offset, 0, 0) + _short(name)))
        offset += sum(map(len, sheets[name]))
    return b"".join([*head, *bounds, sst_record, b8(0x000A)]
                    + [b"".join(sheets[n]) for n in names])


def cfb(streams: Mapping[str, bytes]) -> bytes:
    """A compound file (version 3, 512-byte sectors) holding the given root-level streams.

    Every stream is padded to at least 4096 bytes so that it lives in regular sectors (the
    mini stream is not needed)."""
    sector = 512
    data = {name: s + b"\0" * max(0, 4096 - len(s)) for name, s in streams.items()}
    chains: list[tuple[int, int]] = []
    fat: list[int] = []
    for payload in data.values():
        count = -(-len(payload) // sector)
        start = len(fat)
        fat += [start + i + 1 for i in range(count - 1)] + [0xFFFFFFFE]
        chains.append((start, count))
    dir_start = len(fat)
    entries = 1 + len(data)
    dir_sectors = -(-entries * 128 // sector)
    fat += [dir_start + i + 1 for i in range(dir_sectors - 1)] + [0xFFFFFFFE]
    fat_sectors = 1
    while -(-(len(fat) + fat_sectors) // (sector // 4)) > fat_sectors:
        fat_sectors += 1
    fat_start = len(fat)
    fat += [0xFFFFFFFD] * fat_sectors
    fat += [0xFFFFFFFF] * (fat_sectors * sector // 4 - len(fat))
    assert fat_sectors <= 109, "a DIFAT beyond the header is not needed here"

    def entry(name: str, kind: int, start: int, size: int, child: int, right: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (raw.ljust(64, b"\0") + struct.pack("<HBBIII", len(raw), kind, 1, 0xFFFFFFFF,
                                                   right, child)
                + bytes(16) + bytes(4) + bytes(16) + struct.pack("<IQ", start, size))

    names = list(data)
    directory = entry("Root Entry", 5, 0xFFFFFFFE, 0, 1 if names else 0xFFFFFFFF, 0xFFFFFFFF)
    for i, name in enumerate(names):
        start, _ = chains[i]
        right = i + 2 if i + 1 < len(names) else 0xFFFFFFFF
        directory += entry(name, 2, start, len(data[name]), 0xFFFFFFFF, right)
    directory = directory.ljust(dir_sectors * sector, b"\0")
    difat = [fat_start + i for i in range(fat_sectors)] + [0xFFFFFFFF] * (109 - fat_sectors)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<9I", 0, fat_sectors, dir_start, 0, 4096, 0xFFFFFFFE, 0,
                            0xFFFFFFFE, 0)
              + struct.pack("<109I", *difat))
    body = b"".join(p.ljust(-(-len(p) // sector) * sector, b"\0") for p in data.values())
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    return header.ljust(sector, b"\0") + body + directory + fat_bytes


def write_xls_records(path: Path, sheets: Mapping[str, list[bytes]],
                      sst: dict[str, int]) -> Path:
    """An .xls from worksheet substreams given as lists of records."""
    path.write_bytes(cfb({"Workbook": xls_stream(sheets, sst)}))
    return path


def write_xls(path: Path, sheets: Sheets) -> Path:
    """An .xls (BIFF8) with the given cells (strings in the shared string table)."""
    sst: dict[str, int] = {}
    records = {name: xls_sheet_records(cells, sst) for name, cells in sheets.items()}
    return write_xls_records(path, records, sst)
