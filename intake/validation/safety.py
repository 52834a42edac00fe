"""Look at an untrusted workbook before any parser does, and bound what parsing it will cost.

A spreadsheet is a zip of XML (or of binary records), or an OLE file of records, so it can be a
zip bomb, an XML entity bomb, encrypted, truncated or simply enormous. `inspect` checks the zip
directory (entry count, declared sizes, compression ratios), then inflates every part against a
budget, since declared sizes can lie, and refuses any XML part with a DOCTYPE or ENTITY
declaration, all before python-calamine sees the file: calamine allocates what a file declares,
and an out-of-memory abort cannot be caught.

While the parts stream past, `intake.validation.extent` works out per sheet the range calamine will
build (its memory is rows x columns of that range, whatever is in between) and checks declared
string counts against the size of their part; `inspect` refuses what is over the limits. It also
notes what the reader cannot see: hidden rows and columns, formulas without a cached value, macros,
links to other files, sheets of a kind calamine cannot open.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from intake.validation.extent import Scanner, inside, inspect_xls, scanners_for
from intake.validation.inspection import DECLARATION, Inspection, Refused, all_sheets_fit
from intake.validation.limits import Limits

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 20


def inspect(path: Path, limits: Limits) -> Inspection:
    """Check `path`; raise Refused when it must not be parsed. An encrypted OOXML file is an
    OLE container: refused."""
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = path.suffix.lower()
    if head.startswith(_OLE_MAGIC):
        if suffix == ".xls":
            return inspect_xls(path, limits)
        with path.open("rb") as handle:
            data = handle.read(1 << 20)
        if "EncryptionInfo".encode("utf-16-le") in data or b"E\x00n\x00c\x00r\x00y" in data:
            raise Refused("encrypted")
        raise Refused("corrupt", "an old-style .xls file with another extension")
    if not head.startswith(_ZIP_MAGIC):
        raise Refused("corrupt", "not a zip package")
    try:
        package = zipfile.ZipFile(path)
    except MemoryError:
        raise  # the address-space limit (a central directory of millions of entries)
    except Exception as exc:  # BadZipFile, NotImplementedError, ValueError … on a damaged zip
        raise Refused("corrupt", str(exc)) from exc
    with package:
        inspection = _inspect_package(package, limits)
    inside(inspection, 1 << 20, 1 << 14)
    if suffix == ".ods":
        all_sheets_fit(inspection, limits)
    return inspection


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
    # A part twice (part names ignore case): readers differ in which copy they take, so what
    # is checked could differ from what a spreadsheet program shows.
    seen: set[str] = set()
    for info in infos:
        if info.filename.casefold() in seen:
            raise Refused("corrupt", f"the package holds {info.filename} more than once")
        seen.add(info.filename.casefold())
    inspection = Inspection()
    names = {i.filename for i in infos}
    inspection.macros = any(n.lower().endswith("vbaproject.bin") or n.startswith("Basic/")
                            for n in names)
    inspection.external_links = sum(1 for n in names if n.startswith("xl/externalLinks/")
                                    and n.endswith(".xml"))
    scanners = scanners_for(package, names, inspection, limits.max_sheets)
    spent = 0
    for info in infos:
        scanner = scanners.get(info.filename)
        spent += _inflate(package, info, budget - spent, scanner)
        if scanner is not None:
            scanner.finish()
    for part, box in list(inspection.ranges.items()):
        if part.startswith("xl/worksheets/"):
            del inspection.ranges[part]
            if box.cells > limits.max_cells:
                raise Refused("too-many-cells", f"{part}: {box.ref}, {box.cells:,} cells "
                              f"(at most {limits.max_cells:,})")
    return inspection


def _inflate(package: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int,
             scanner: Scanner | None) -> int:
    """Inflate one part against `budget`; refuse XML declarations; feed `scanner`. Returns the
    bytes inflated."""
    is_xml = info.filename.endswith((".xml", ".rels", ".vml")) or (
        scanner is not None and scanner.xml)
    total = 0
    carry = b""
    try:
        with package.open(info) as stream:
            while block := stream.read(_CHUNK):
                total += len(block)
                if total > budget or total > info.file_size:
                    raise Refused("too-big", f"{info.filename} inflates beyond its limit")
                if is_xml:
                    seam = carry + block[:16]
                    if (b"<!" in seam or b"<!" in block) and (
                            DECLARATION.search(seam) or DECLARATION.search(block)):
                        raise Refused("unsafe", f"{info.filename} declares a DOCTYPE or ENTITY")
                    carry = block[-16:]
                if scanner is not None:
                    scanner.feed(block)
    except zipfile.BadZipFile as exc:
        raise Refused("corrupt", f"{info.filename}: {exc}") from exc
    except (zipfile.LargeZipFile, zlib.error, EOFError, OSError, RuntimeError,
            NotImplementedError, ValueError) as exc:
        raise Refused("corrupt", f"{info.filename}: {exc}") from exc
    return total


