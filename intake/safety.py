"""Look at an untrusted workbook before any parser does.

A spreadsheet is a zip of XML, so it can be a zip bomb, an XML entity bomb, encrypted,
truncated or simply enormous. `inspect` checks the zip directory (entry count, declared sizes,
compression ratios), then inflates every part against a budget, since declared sizes can lie, and
refuses any XML part with a DOCTYPE or ENTITY declaration, all before python-calamine sees the
file (calamine given a bomb allocates without bound, and an out-of-memory abort cannot be
caught). While the worksheet XML streams past it also notes what the reader cannot see: hidden
rows and columns, formulas without a cached value, macros, links to other files.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from intake.cells import column_letter
from intake.xlsxpatch import REL_WORKSHEET, attrs, read_rels


@dataclass(frozen=True)
class Limits:
    """What an untrusted file may cost; every limit is an option of `intake validate`."""

    #: Uncompressed size of all parts together.
    max_uncompressed_mb: int = 1024
    #: Entries in the zip.
    max_entries: int = 10_000
    #: Compression ratio of one part (only for parts over 1 MiB).
    max_ratio: int = 200
    #: Data rows read per sheet; more is an error finding and the rest is not read.
    max_rows: int = 250_000
    #: Cells (rows x columns of the used range) read per sheet.
    max_cells: int = 20_000_000
    #: Seconds one workbook may take (checked between steps).
    max_seconds: float = 600.0


class Refused(Exception):
    """The file is not read: `reason` is a FILE_ERRORS code, `detail` says what was found."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class Inspection:
    """What the package holds that the reader does not show."""

    macros: bool = False
    external_links: int = 0
    #: sheet name → hidden row numbers / hidden column letters
    hidden_rows: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    hidden_columns: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: sheet name → cells holding a formula but no cached value
    formulas_without_value: dict[str, list[str]] = field(
        default_factory=lambda: defaultdict(list))


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)
_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b([^>]*?\bhidden="(?:1|true)"[^>]*)>')
_HIDDEN_COL = re.compile(rb'<(?:\w+:)?col\b([^>]*?\bhidden="(?:1|true)"[^>]*)/?>')
_FORMULA_CELL = re.compile(
    rb'<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*'
    rb'(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>', re.S)
_CHUNK = 1 << 20


def inspect(path: Path, limits: Limits) -> Inspection:
    """Check `path`; raise Refused when it must not be parsed. Non-zip formats pass through
    (calamine reads .xls itself; an encrypted OOXML file is an OLE container: refused)."""
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = path.suffix.lower()
    if head.startswith(_OLE_MAGIC):
        if suffix == ".xls":
            return Inspection()
        with path.open("rb") as handle:
            data = handle.read(1 << 20)
        if "EncryptionInfo".encode("utf-16-le") in data or b"E\x00n\x00c\x00r\x00y" in data:
            raise Refused("encrypted")
        raise Refused("corrupt", "an old-style .xls file with another extension")
    if not head.startswith(_ZIP_MAGIC):
        raise Refused("corrupt", "not a zip package")
    try:
        package = zipfile.ZipFile(path)
    except Exception as exc:  # BadZipFile, NotImplementedError, ValueError … on a damaged zip
        raise Refused("corrupt", str(exc)) from exc
    with package:
        return _inspect_package(package, limits)


def _inspect_package(package: zipfile.ZipFile, limits: Limits) -> Inspection:
    infos = package.infolist()
    if len(infos) > limits.max_entries:
        raise Refused("too-big", f"{len(infos)} parts (at most {limits.max_entries})")
    budget = limits.max_uncompressed_mb * (1 << 20)
    declared = sum(i.file_size for i in infos)
    if declared > budget:
        raise Refused("too-big", f"{declared >> 20} MB uncompressed (at most "
                      f"{limits.max_uncompressed_mb} MB)")
    for info in infos:
        ratio = info.file_size // max(info.compress_size, 1)
        if info.file_size > (1 << 20) and ratio > limits.max_ratio:
            raise Refused("too-big", f"{info.filename} inflates {ratio}x "
                          f"(at most {limits.max_ratio}x)")
    inspection = Inspection()
    names = {i.filename for i in infos}
    inspection.macros = any(n.lower().endswith("vbaproject.bin") or n.startswith("Basic/")
                            for n in names)
    inspection.external_links = sum(1 for n in names if n.startswith("xl/externalLinks/")
                                    and n.endswith(".xml"))
    sheets = _sheet_parts(package, names)
    spent = 0
    for info in infos:
        spent += _inflate(package, info, budget - spent, sheets.get(info.filename), inspection)
    return inspection


def _sheet_parts(package: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Worksheet part → sheet name, from workbook.xml and its relationships."""
    if "xl/workbook.xml" not in names:
        return {}
    try:
        rels = {r.id: r.target for r in read_rels(package, "xl/workbook.xml")
                if r.type == REL_WORKSHEET}
        with package.open("xl/workbook.xml") as part:  # at most 4 MB, before any budget
            book = part.read(1 << 22).decode("utf-8", "replace")
    except Exception:  # a damaged part: the inflation below reports it
        return {}
    if _DECLARATION.search(book.encode()):
        raise Refused("unsafe", "xl/workbook.xml declares a DOCTYPE or ENTITY")
    parts = {}
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", book):
        a = attrs(tag)
        rid = next((v for k, v in a.items() if k.endswith(":id")), None)
        if rid in rels and "name" in a:
            parts[rels[rid]] = a["name"]
    return parts


def _inflate(package: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, sheet: str | None,
             inspection: Inspection) -> int:
    """Inflate one part against `budget`; scan XML for declarations and, in a worksheet, for
    hidden rows and columns and formulas without a value. Returns the bytes inflated."""
    is_xml = info.filename.endswith((".xml", ".rels", ".vml")) or sheet is not None
    total = 0
    carry = b""
    try:
        with package.open(info) as stream:
            while block := stream.read(_CHUNK):
                total += len(block)
                if total > budget or total > info.file_size:
                    raise Refused("too-big", f"{info.filename} inflates beyond its limit")
                if not is_xml:
                    continue
                text = carry + block
                if _DECLARATION.search(text):
                    raise Refused("unsafe", f"{info.filename} declares a DOCTYPE or ENTITY")
                if sheet is not None:
                    cut = text.rfind(b"</row>")
                    cut = cut + 6 if cut >= 0 else text.rfind(b">") + 1
                    _scan_sheet(text[:cut], sheet, inspection)
                    carry = text[cut:]
                else:
                    carry = text[-16:]
    except zipfile.BadZipFile as exc:
        raise Refused("corrupt", f"{info.filename}: {exc}") from exc
    except (zipfile.LargeZipFile, zlib.error, EOFError, OSError, RuntimeError,
            NotImplementedError, ValueError) as exc:
        raise Refused("corrupt", f"{info.filename}: {exc}") from exc
    return total


def _scan_sheet(xml: bytes, sheet: str, inspection: Inspection) -> None:
    # Element by element across chunk borders: `xml` always ends at the end of a tag.
    if b"hidden" in xml:
        for m in _HIDDEN_ROW.finditer(xml):
            number = attrs(m.group(1).decode("utf-8", "replace")).get("r")
            if number and number.isdigit():
                inspection.hidden_rows[sheet].append(int(number))
        for m in _HIDDEN_COL.finditer(xml):
            a = attrs(m.group(1).decode("utf-8", "replace"))
            low, high = int(a.get("min", "0") or 0), int(a.get("max", "0") or 0)
            if 0 < low <= high:
                inspection.hidden_columns[sheet] += [column_letter(c - 1) for c in
                                                     range(low, min(high, low + 50) + 1)]
    if b"<f" in xml:
        for m in _FORMULA_CELL.finditer(xml):
            ref = attrs(m.group(1).decode("utf-8", "replace")).get("r")
            if ref:
                inspection.formulas_without_value[sheet].append(ref)
