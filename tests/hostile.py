"""Hostile and broken workbooks, generated (never committed as binaries).

Each builder writes one file into a folder and returns its path. `python tests/hostile.py DIR`
writes them all, for trying them by hand.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import struct
import sys
import warnings
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import binformats as bf
import openpyxl

from intake.definition.fields import DGA, WERKGEVERS
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, employer, fill

from conftest import cell_of

Builder = Callable[[Path], Path]


def _valid(folder: Path, name: str = "geldig.xlsx") -> Path:
    return fill(folder / name, VALID_WERKGEVERS, VALID_DGA)


def _rewrite(source: Path, target: Path, change: Callable[[str, bytes], bytes | None],
             extra: dict[str, bytes] | None = None) -> Path:
    """Copy a package part by part through `change` (None drops the part), adding `extra`."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w",
                                                          zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return target


def zero_bytes(folder: Path) -> Path:
    path = folder / "leeg.xlsx"
    path.write_bytes(b"")
    return path


def text_renamed(folder: Path) -> Path:
    path = folder / "tekst.xlsx"
    path.write_text("Bedrijfsnaam;Werkgever ID\nBakkerij;8106625\n", encoding="utf-8")
    return path


def truncated(folder: Path) -> Path:
    data = _valid(folder, "heel.xlsx").read_bytes()
    path = folder / "afgekapt.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def encrypted(folder: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = _valid(folder, "open.xlsx")
    path = folder / "wachtwoord.xlsx"
    with plain.open("rb") as source, path.open("wb") as target:
        OOXMLFile(source).encrypt("geheim", target)
    return path


@functools.cache
def _zip_bomb_bytes() -> bytes:
    """Deflating 2 GiB takes seconds: once per process."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            block = b"\0" * (1 << 24)
            for _ in range(128):
                part.write(block)
    return buffer.getvalue()


def zip_bomb(folder: Path) -> Path:
    """A small file whose worksheet inflates to 2 GiB of zeros (declared honestly)."""
    path = folder / "bom.xlsx"
    path.write_bytes(_zip_bomb_bytes())
    return path


def lying_bomb(folder: Path) -> Path:
    """A part that declares 1 KB but inflates to 64 MB: the sizes in the directory lie."""
    path = zip_bomb_small(folder)
    data = bytearray(path.read_bytes())
    real = (64 << 20).to_bytes(4, "little")
    fake = (1024).to_bytes(4, "little")
    data = bytearray(bytes(data).replace(real, fake))
    target = folder / "liegt.xlsx"
    target.write_bytes(bytes(data))
    return target


def zip_bomb_small(folder: Path) -> Path:
    path = folder / "bom64.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * ((64 << 20) - 1))
    return path


def many_entries(folder: Path) -> Path:
    path = folder / "veel.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(10_001):
            z.writestr(f"x/{i}", b"")
    return path


def entity_bomb(folder: Path) -> Path:
    """A worksheet with a 'billion laughs' DOCTYPE."""
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1
                                                     else b"&lol;") * 10) for i in range(1, 10))
            + b"]>")

    def change(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
            return bomb + body.replace(b"Bakkerij", b"&lol9;", 1)
        return data

    return _rewrite(_valid(folder, "bron.xlsx"), folder / "entiteiten.xlsx", change)


def formatting_only(folder: Path) -> Path:
    """Valid data plus a million formatted rows and 16,384 formatted columns without values."""
    def change(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            data = data.replace(b"<cols>", b'<cols><col min="20" max="16384" width="9" '
                                b'style="1" customWidth="1"/>', 1)
            return data.replace(b"</sheetData>", b'<row r="1048576" s="1" customFormat="1"/>'
                                b"</sheetData>", 1)
        return data

    return _rewrite(_valid(folder, "bron.xlsx"), folder / "opmaak.xlsx", change)


def merged_header(folder: Path) -> Path:
    path = _valid(folder, "bron.xlsx")
    book = openpyxl.load_workbook(path)
    book["Werkgevers"].merge_cells("E1:F1")
    target = folder / "samengevoegd.xlsx"
    book.save(target)
    return target


def hidden_rows_and_columns(folder: Path) -> Path:
    path = _valid(folder, "bron.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["Werkgevers"]
    sheet.row_dimensions[4].hidden = True
    sheet.column_dimensions["C"].hidden = True
    target = folder / "verborgen.xlsx"
    book.save(target)
    return target


def formula_without_value(folder: Path) -> Path:
    """openpyxl writes formulas without a cached value, as a script would."""
    path = _valid(folder, "bron.xlsx")
    book = openpyxl.load_workbook(path)
    book["Werkgevers"][cell_of("werkgever_id", 3)] = "=8106600+30"
    target = folder / "formule.xlsx"
    book.save(target)
    return target


#: The error values a formula can give, each in its own row's company name (rows 2 to 8).
ERROR_VALUES = ("#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!")


def formula_errors(folder: Path) -> Path:
    """openpyxl writes each error value as a cell value (`t="e"`, as Excel stores a formula's
    error result) into the company name of rows 2 to 8, the Werkgever ID of row 3 as a
    formula without a cached value, and one more such formula below the last row."""
    rows = [employer(n) for n in range(1, len(ERROR_VALUES) + 1)]
    path = fill(folder / "bron-fouten.xlsx", rows, [])
    book = openpyxl.load_workbook(path)
    sheet = book["Werkgevers"]
    for n, error in enumerate(ERROR_VALUES):
        sheet[cell_of("werkgever_naam", 2 + n)] = error
    sheet[cell_of("werkgever_id", 3)] = "=8106600+30"
    # below the last employer: a formula whose value, unknown, leaves no row without one
    sheet[cell_of("werkgever_naam", 2 + len(ERROR_VALUES) + 2)] = '=""'
    target = folder / "foutwaarden.xlsx"
    book.save(target)
    return target


def formula_errors_as(folder: Path, suffix: str) -> Path:
    """The error values of `formula_errors` in the company name of rows 2 to 8, in an .ods,
    .xlsb or .xls written record by record: in .xlsb and .xls typed in (BrtCellError,
    BOOLERR) in the even rows and a formula's cached result (BrtFmlaError, FORMULA) in the odd
    ones; in .ods as LibreOffice writes an error cell."""
    names = [f.name for f in WERKGEVERS.fields]
    rows = [list(employer(n)) for n in range(1, len(ERROR_VALUES) + 1)]
    for n, error in enumerate(ERROR_VALUES):
        rows[n][names.index("werkgever_naam")] = bf.Error(error, formula=n % 2 == 1)
    sheets = {"Werkgevers": bf.grid_cells([[f.label for f in WERKGEVERS.fields], *rows]),
              "DGA": bf.grid_cells([[f.label for f in DGA.fields]])}
    write = {".ods": bf.write_ods, ".xlsb": bf.write_xlsb, ".xls": bf.write_xls}[suffix]
    return write(folder / f"foutwaarden{suffix}", sheets)


def huge_values(folder: Path) -> Path:
    rows = list(VALID_WERKGEVERS)
    rows[3] = (*rows[3][:2], "X" * 32_767, *rows[3][3:5], "9" * 32_767, *rows[3][6:])
    return fill(folder / "lang.xlsx", rows, VALID_DGA)


def control_characters(folder: Path) -> Path:
    def change(name: str, data: bytes) -> bytes:
        return data.replace(b"Installatiebedrijf Jansen", b"Installatie_x0000_bedrijf_x0007_")
    return _rewrite(_valid(folder, "bron.xlsx"), folder / "besturing.xlsx", change)


def right_to_left(folder: Path) -> Path:
    rows = list(VALID_WERKGEVERS)
    rows[3] = (*rows[3][:2], "Jansen \u202eslx.exe\u202c B.V.", *rows[3][3:])
    return fill(folder / "rtl.xlsx", rows, VALID_DGA)


def spaces_around_ids(folder: Path) -> Path:
    rows = list(VALID_WERKGEVERS)
    rows[3] = (*rows[3][:4], "\u00a0812345678L01\u00a0", "\u200b8120456\u00a0", *rows[3][6:])
    return fill(folder / "spaties.xlsx", rows, VALID_DGA)


def dates_in_ids(folder: Path) -> Path:
    rows = list(VALID_WERKGEVERS)
    rows[3] = (*rows[3][:5], dt.datetime(2024, 3, 1), *rows[3][6:])
    return fill(folder / "datum.xlsx", rows, VALID_DGA)


def macros(folder: Path) -> Path:
    def change(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            return data.replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
        return data
    return _rewrite(_valid(folder, "bron.xlsx"), folder / "macro.xlsm", change,
                    {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 Sub AutoOpen() Shell(...)"})


def external_link(folder: Path) -> Path:
    link = (b'<?xml version="1.0" encoding="UTF-8"?><externalLink xmlns="http://schemas.'
            b'openxmlformats.org/spreadsheetml/2006/main"><externalBook/></externalLink>')
    return _rewrite(_valid(folder, "bron.xlsx"), folder / "koppeling.xlsx",
                    lambda name, data: data, {"xl/externalLinks/externalLink1.xml": link})


def hidden_sheet(folder: Path) -> Path:
    path = _valid(folder, "bron.xlsx")
    book = openpyxl.load_workbook(path)
    book["DGA"].sheet_state = "hidden"
    target = folder / "verborgen-blad.xlsx"
    book.save(target)
    return target


def _with_cell(folder: Path, name: str, sheet: str, cell: str) -> Path:
    path = _valid(folder, "bron.xlsx")
    book = openpyxl.load_workbook(path)
    book[sheet][cell] = 1
    book.save(folder / name)
    return folder / name


def sparse_corner(folder: Path) -> Path:
    """A 10 KB workbook with values at A1 and XFD1048576 on Werkgevers: 17 billion cells."""
    return _with_cell(folder, "hoek.xlsx", "Werkgevers", "XFD1048576")


def sparse_corner_disguised(folder: Path) -> Path:
    """The far corner with its reference written as XML allows and a parser reads it: single
    quotes, spaces around '=' and a character reference (r = '&#88;FD1048576')."""
    def change(name: str, data: bytes) -> bytes:
        return data.replace(b'r="XFD1048576"', b"r = '&#88;FD1048576'")
    return _rewrite(sparse_corner(folder), folder / "hoek-vermomd.xlsx", change)


def sparse_corner_explanation(folder: Path) -> Path:
    """The same far corner, only on the Toelichting sheet."""
    return _with_cell(folder, "hoek-toelichting.xlsx", "Toelichting", "XFD1048576")


def far_row(folder: Path) -> Path:
    """One value at T1000000 on Werkgevers: 20 million cells in the range."""
    return _with_cell(folder, "ver.xlsx", "Werkgevers", "T1000000")


def _sheets(extra: dict[tuple[int, int], object] | None = None) -> dict[str, bf.Cells]:
    werkgevers = bf.grid_cells([[f.label for f in WERKGEVERS.fields], *VALID_WERKGEVERS])
    return {"Werkgevers": {**werkgevers, **(extra or {})},
            "DGA": bf.grid_cells([[f.label for f in DGA.fields], *VALID_DGA])}


def valid_xlsb(folder: Path) -> Path:
    """The valid sample rows as .xlsb (records built in code)."""
    return bf.write_xlsb(folder / "geldig.xlsb", _sheets())


def sparse_corner_xlsb(folder: Path) -> Path:
    """The far corner in an .xlsb."""
    return bf.write_xlsb(folder / "hoek.xlsb", _sheets({(1048575, 16383): 1}))


def sparse_corner_xlsb_early_end(folder: Path) -> Path:
    """The far corner in an .xlsb whose sheet part starts with a stray BrtEndSheetData (calamine
    skips to the sheet data and reads the corner all the same; found by the fuzzer)."""
    records = {n: bf.xlsb_sheet_records(c) for n, c in _sheets({(1048575, 16383): 1}).items()}
    records["Werkgevers"][0] = bf.b12(0x92)
    return bf.write_xlsb_parts(folder / "hoek-vroeg.xlsb", records)


def _corner_tag(folder: Path, name: str, extra: bytes) -> Path:
    """The far corner cell on Werkgevers with `extra` written inside its tag."""
    def change(part: str, data: bytes) -> bytes:
        return data.replace(b'r="XFD1048576"', b'r="XFD1048576" ' + extra)
    return _rewrite(sparse_corner(folder), folder / name, change)


def corner_slash_in_attribute(folder: Path) -> Path:
    """The far corner whose cell tag holds "/>" in an attribute (a pattern that takes it for
    the tag's end does not see the reference)."""
    return _corner_tag(folder, "hoek-slash.xlsx", b'x:note="/>"')


def corner_row_end_in_tag(folder: Path) -> Path:
    """The far corner whose cell tag holds a literal "</row>"."""
    return _corner_tag(folder, "hoek-rij.xlsx", b'x:note="</row>"')


def twin_sheet_entries(folder: Path) -> Path:
    """workbook.xml names the Werkgevers part twice, the second time as another sheet; the
    part holds the far corner."""
    def change(part: str, data: bytes) -> bytes:
        if part != "xl/workbook.xml":
            return data
        start = data.index(b"<sheet ")
        end = data.index(b"/>", start) + 2
        twin = data[start:end].replace(b'name="Werkgevers"', b'name="Tweeling"').replace(
            b'sheetId="', b'sheetId="9')
        return data[:end] + twin + data[end:]
    return _rewrite(sparse_corner(folder), folder / "tweeling.xlsx", change)


def many_sheet_entries(folder: Path, entries: int = 200_000) -> Path:
    """1 MB whose workbook.xml lists the Toelichting part under `entries` more names (every
    sheet entry cost a read of its part in the feedback, and a name comparison)."""
    def change(part: str, data: bytes) -> bytes:
        if part != "xl/workbook.xml":
            return data
        start = data.index(b'<sheet name="Toelichting"')
        end = data.index(b"/>", start) + 2
        entry = data[start:end].decode()
        more = "".join(entry.replace('name="Toelichting"', f'name="T{i}"')
                       .replace('sheetId="', f'sheetId="{i + 10}', 1) for i in range(entries))
        return data[:end] + more.encode() + data[end:]
    return _rewrite(_valid(folder), folder / "bladen.xlsx", change)


def ods_repeated_plus(folder: Path) -> Path:
    """The repeated .ods row with its repeat counts written "+1000000" (a number a pattern for
    digits does not read)."""
    def change(part: str, data: bytes) -> bytes:
        return data.replace(b'number-rows-repeated="100000"',
                            b'number-rows-repeated="+1000000"').replace(
            b'number-columns-repeated="', b'number-columns-repeated="+')
    return _rewrite(ods_repeated(folder), folder / "herhaald-plus.ods", change)


def xlsb_many_full_sheets(folder: Path, sheets: int = 200) -> Path:
    """A few KB of .xlsb: the valid sheets, then `sheets` helper sheets of a million cells each
    (a value at A1 and at T50000): every one within every limit, all together far beyond."""
    records = {n: bf.xlsb_sheet_records(c) for n, c in _sheets().items()}
    for n in range(sheets):
        records[f"Hulp{n}"] = bf.xlsb_sheet_records({(0, 0): 1, (49999, 19): 1})
    return bf.write_xlsb_parts(folder / "veel-bladen.xlsb", records)


#: Hostile files of the classes the parser was once predicted for, and got past the prediction.
PAST_THE_PREDICTION: tuple[Builder, ...] = (
    corner_slash_in_attribute, corner_row_end_in_tag, twin_sheet_entries, ods_repeated_plus,
    xlsb_many_full_sheets)


def _shared_strings(folder: Path, name: str, count: str) -> Path:
    """The valid workbook with a shared-strings part declaring `count` unique strings."""
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    strings = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.'
               f'org/spreadsheetml/2006/main" count="1" uniqueCount="{count}"><si><t>gedeeld</t>'
               "</si></sst>").encode()

    def change(part: str, data: bytes) -> bytes:
        if part == "xl/_rels/workbook.xml.rels":
            return data.replace(b"</Relationships>", (
                f'<Relationship Id="rId99" Type="{office}/sharedStrings" '
                'Target="sharedStrings.xml"/></Relationships>').encode())
        if part == "[Content_Types].xml":
            return data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" '
                                b'ContentType="application/vnd.openxmlformats-officedocument.'
                                b'spreadsheetml.sharedStrings+xml"/></Types>')
        return data
    return _rewrite(_valid(folder, "bron.xlsx"), folder / name, change,
                    {"xl/sharedStrings.xml": strings})


def shared_strings_4g(folder: Path) -> Path:
    """sharedStrings.xml declaring uniqueCount=4294967295 (calamine reserved 96 GiB)."""
    return _shared_strings(folder, "strings-4g.xlsx", "4294967295")


def shared_strings_i64(folder: Path) -> Path:
    """uniqueCount=9223372036854775807 (calamine panicked: capacity overflow)."""
    return _shared_strings(folder, "strings-i64.xlsx", "9223372036854775807")


def ods_repeated(folder: Path, columns: int = 60) -> Path:
    """A 1 KB .ods whose one row of `columns` values is repeated 100,000 times (before: 1.6 GB
    and 8 s for 20 columns, an abort for 60)."""
    header = "<table:table-row>" + "".join(bf.ods_cell(f.label) for f in WERKGEVERS.fields) \
        + "</table:table-row>"
    body = (f'<table:table-row table:number-rows-repeated="100000">'
            f"{bf.ods_cell('x', columns)}</table:table-row>")
    return bf.write_ods_xml(folder / "herhaald.ods", {"Werkgevers": header + body})


def ods_unclosed_table(folder: Path) -> Path:
    """An .ods whose table's end tag is damaged (calamine looped forever on it, in native code
    where the time limit cannot stop it; found by the fuzzer)."""
    path = bf.write_ods(folder / "open-tabel.ods", _sheets())
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts["content.xml"] = parts["content.xml"].replace(b"</table:table></office:spreadsheet>",
                                                        b"</table:taffice:spreadsheet>")
    target = folder / "open-tabel-kapot.ods"
    with zipfile.ZipFile(target, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return target


def ods_libreoffice_tail(folder: Path) -> Path:
    """The valid rows with the empty tail LibreOffice writes (1,048,570 empty rows of 1,024
    empty cells, as repeats): nothing to refuse."""
    rows = bf.ods_rows(_sheets()["Werkgevers"]) + (
        '<table:table-row table:number-rows-repeated="1048570"><table:table-cell '
        'table:number-columns-repeated="1024"/></table:table-row>')
    return bf.write_ods_xml(folder / "libreoffice.ods", {
        "Werkgevers": rows, "DGA": bf.ods_rows(_sheets()["DGA"])})


def xls_large(folder: Path) -> Path:
    """An .xls of about 2 MB (the valid rows and 120,000 numbers on another sheet)."""
    sheets = {**_sheets(), "Data": {(r, c): float(r) for r in range(60_000) for c in (0, 1)}}
    return bf.write_xls(folder / "groot.xls", sheets)


def sparse_corner_xls(folder: Path) -> Path:
    """Values at A1 and IV65536 of an .xls (the whole BIFF8 grid, 16.7 million cells) behind a
    DIMENSIONS record that claims A1:A1."""
    sst: dict[str, int] = {}
    records = {n: bf.xls_sheet_records(c, sst) for n, c in _sheets({(65535, 255): 1}).items()}
    records["Werkgevers"][1] = bf.b8(0x0200, struct.pack("<IIHHH", 0, 1, 0, 1, 0))
    return bf.write_xls_records(folder / "hoek.xls", records, sst)


def xls_dimensions(folder: Path) -> Path:
    """An .xls whose DIMENSIONS record declares 2^32 rows x 65,535 columns (calamine reserves
    room for them)."""
    sst: dict[str, int] = {}
    records = {n: bf.xls_sheet_records(c, sst) for n, c in _sheets().items()}
    records["Werkgevers"][1] = bf.b8(0x0200, struct.pack("<IIHHH", 0, 0xFFFFFFFF, 0, 0xFFFF,
                                                         0))
    return bf.write_xls_records(folder / "dimensies.xls", records, sst)


def reader_panic(folder: Path) -> Path:
    """An .xls whose MERGECELLS record counts five ranges and holds none: calamine panics
    (index out of range) on it."""
    sst: dict[str, int] = {}
    records = {n: bf.xls_sheet_records(c, sst) for n, c in _sheets().items()}
    records["Werkgevers"].insert(-1, bf.b8(0x00E5, struct.pack("<H", 5)))
    return bf.write_xls_records(folder / "paniek.xls", records, sst)


def macro_and_dialog_sheets(folder: Path) -> Path:
    """An .xlsm, as Mac Excel 2011 writes it, with an Excel 4 macro sheet and a dialog sheet
    besides the data sheets (calamine refuses the whole workbook over them)."""
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    sheet = (b'<?xml version="1.0" encoding="UTF-8"?><xm:macrosheet xmlns:xm="http://schemas.'
             b'microsoft.com/office/excel/2006/main" xmlns="http://schemas.openxmlformats.org/'
             b'spreadsheetml/2006/main"><sheetData/></xm:macrosheet>')
    dialog = (b'<?xml version="1.0" encoding="UTF-8"?><dialogsheet xmlns="http://schemas.'
              b'openxmlformats.org/spreadsheetml/2006/main"><sheetPr/></dialogsheet>')

    def change(name: str, data: bytes) -> bytes:
        if name == "xl/workbook.xml":
            return data.replace(b"</sheets>", b'<sheet name="Macro1" sheetId="90" r:id="rId90"/>'
                                b'<sheet name="Dialog1" sheetId="91" r:id="rId91"/></sheets>')
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(b"</Relationships>", (
                '<Relationship Id="rId90" Type="http://schemas.microsoft.com/office/2006/'
                'relationships/xlMacrosheet" Target="macrosheets/sheet1.xml"/>'
                f'<Relationship Id="rId91" Type="{office}/dialogsheet" '
                'Target="dialogsheets/sheet1.xml"/></Relationships>').encode())
        if name == "[Content_Types].xml":
            return data.replace(b"</Types>", (
                b'<Override PartName="/xl/macrosheets/sheet1.xml" ContentType="application/'
                b'vnd.ms-excel.macrosheet+xml"/><Override PartName="/xl/dialogsheets/'
                b'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                b'spreadsheetml.dialogsheet+xml"/></Types>')).replace(
                b"sheet.main+xml", b"sheet.main+xml").replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
        return data

    return _rewrite(_valid(folder, "bron.xlsx"), folder / "mac2011.xlsm", change, {
        "xl/macrosheets/sheet1.xml": sheet, "xl/dialogsheets/sheet1.xml": dialog})


BUILDERS: dict[str, Builder] = {
    name: obj for name, obj in globals().items()
    if callable(obj) and not name.startswith("_") and name not in (
        "fill", "zip_bomb_small", "Path", "Callable", "Builder")
    and getattr(obj, "__module__", "") == __name__
}

#: Builders whose file takes seconds to check (a limit has to be reached): slow tests.
SLOW: frozenset[Builder] = frozenset({zip_bomb, ods_unclosed_table, xlsb_many_full_sheets})


def cases(builders: Iterable[Builder]) -> list[Any]:
    """`builders` as pytest parameters named after them, the SLOW ones marked slow."""
    import pytest

    return [pytest.param(b, id=b.__name__, marks=[pytest.mark.slow] if b in SLOW else [])
            for b in builders]

if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for builder in BUILDERS.values():
        print(builder(out))


def duplicate_part(folder: Path) -> Path:
    """The valid sample with its first worksheet part twice in the zip, the second copy with
    another Werkgever ID (readers differ in which copy they take)."""
    source = _valid(folder)
    target = folder / "dubbel.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": this is the point
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        sheet = "xl/worksheets/sheet1.xml"
        zout.writestr(sheet, zin.read(sheet).replace(b"8106625", b"8106626"))
    return target
