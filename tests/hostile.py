"""Hostile and broken workbooks, generated (never committed as binaries).

Each builder writes one file into a folder and returns its path. `python tests/hostile.py DIR`
writes them all, for trying them by hand.
"""

from __future__ import annotations

import datetime as dt
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl

from intake.samples import VALID_DGA, VALID_WERKGEVERS, fill

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


def zip_bomb(folder: Path) -> Path:
    """A small file whose worksheet inflates to 2 GiB of zeros (declared honestly)."""
    path = folder / "bom.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            block = b"\0" * (1 << 24)
            for _ in range(128):
                part.write(block)
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
    book["Werkgevers"]["F3"] = "=8106600+30"
    target = folder / "formule.xlsx"
    book.save(target)
    return target


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


BUILDERS: dict[str, Builder] = {
    name: obj for name, obj in globals().items()
    if callable(obj) and not name.startswith("_") and name not in (
        "fill", "zip_bomb_small", "Path", "Callable", "Builder")
    and getattr(obj, "__module__", "") == __name__
}

if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for builder in BUILDERS.values():
        print(builder(out))
