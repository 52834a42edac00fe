"""Look at an untrusted workbook before any parser does, and bound what parsing it will cost.

A spreadsheet is a zip of XML (or of binary records), or an OLE file of records, so it can be a
zip bomb, an XML entity bomb, encrypted, truncated or simply enormous. `inspect` checks the zip
directory (entry count, declared sizes, compression ratios), then inflates every part against a
budget, since declared sizes can lie, and refuses any XML part with a DOCTYPE or ENTITY
declaration, all before python-calamine sees the file: calamine allocates what a file declares,
and an out-of-memory abort cannot be caught.

While the parts stream past, `intake.extent` works out per sheet the range calamine will build
(its memory is rows x columns of that range, whatever is in between) and checks declared string
counts against the size of their part; `inspect` refuses what is over the limits. It also notes
what the reader cannot see: hidden rows and columns, formulas without a cached value, macros,
links to other files, sheets of a kind calamine cannot open.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from intake.cells import column_letter
from intake.errors import IntakeError
from intake.messages import FILE_ERRORS

if TYPE_CHECKING:
    from intake.extent import Scanner


@dataclass(frozen=True)
class Limits:
    """What an untrusted file may cost; every limit is an option of `intake validate`."""

    #: Uncompressed size of all parts together (of the file itself for .xls).
    max_uncompressed_mb: int = 256
    #: Entries in the zip.
    max_entries: int = 10_000
    #: Compression ratio of one part (only for parts over 1 MiB).
    max_ratio: int = 200
    #: Data rows read per sheet; more is an error finding and the rest is not read.
    max_rows: int = 250_000
    #: Cells (rows x columns of the used range) per sheet; for .ods and .xls, whose sheets are
    #: all built when the file is opened, of all sheets together. At this many cells reading
    #: and validating stay under 1 GB (benchmarks/results/memory.md); 100,000 employers are
    #: 900,000 cells.
    max_cells: int = 1_000_000
    #: Seconds one workbook may take, from the start of its reading to its last output. The
    #: command line, the batch and the web intake kill the child process that checks it when
    #: the time is up; the library alone checks between steps.
    max_seconds: float = 10.0
    #: Address space of the child process that checks a workbook, in MB (0: none).
    max_memory_mb: int = 1024
    #: Size of any one output file of the child process, in MB (0: none).
    max_output_mb: int = 256
    #: Inspect the package before the parser sees it (`inspect`): it names the sheet and the
    #: range that are too large, and refuses a bomb before any parsing. The child process's
    #: limits hold without it; False only to prove that.
    inspect: bool = True


class Refused(IntakeError):
    """The file is not read: `reason` is a FILE_ERRORS code, `detail` says what was found."""

    def __init__(self, reason: str, detail: str = "") -> None:
        texts = FILE_ERRORS[reason]
        suffix = f" ({detail})" if detail else ""
        super().__init__(texts["nl"] + suffix, texts["en"] + suffix, code=reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Box:
    """The range a parser builds for one sheet: 0-based first and last row and column."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int

    @property
    def cells(self) -> int:
        """Rows x columns: what the parser allocates."""
        return (self.last_row - self.first_row + 1) * (self.last_col - self.first_col + 1)

    @property
    def ref(self) -> str:
        """The range as Excel writes it, e.g. A1:XFD1048576."""
        return (f"{column_letter(self.first_col)}{self.first_row + 1}:"
                f"{column_letter(self.last_col)}{self.last_row + 1}")


@dataclass
class Inspection:
    """What the package holds that the reader does not show, and what reading it will cost."""

    macros: bool = False
    external_links: int = 0
    #: sheet name → hidden row numbers / hidden column letters
    hidden_rows: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    hidden_columns: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: sheet name → cells holding a formula but no cached value
    formulas_without_value: dict[str, list[str]] = field(
        default_factory=lambda: defaultdict(list))
    #: sheet name → the range the parser will build (sheets without values are left out)
    ranges: dict[str, Box] = field(default_factory=dict)
    #: sheet name → its kind, for sheets the parser cannot open (Excel 4 macro sheets, dialog
    #: sheets); the other sheets can be read from a copy without them
    unsupported: dict[str, str] = field(default_factory=dict)

    def too_large(self, sheet: str, limits: Limits) -> Box | None:
        """The range of `sheet` when it is over `limits.max_cells` (it must not be built)."""
        box = self.ranges.get(sheet)
        return box if box is not None and box.cells > limits.max_cells else None


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)
_CHUNK = 1 << 20
def inspect(path: Path, limits: Limits) -> Inspection:
    """Check `path`; raise Refused when it must not be parsed. An encrypted OOXML file is an
    OLE container: refused."""
    from intake.extent import inside

    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = path.suffix.lower()
    if head.startswith(_OLE_MAGIC):
        if suffix == ".xls":
            from intake.extent import inspect_xls

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
    except Exception as exc:  # BadZipFile, NotImplementedError, ValueError … on a damaged zip
        raise Refused("corrupt", str(exc)) from exc
    with package:
        inspection = _inspect_package(package, limits)
    inside(inspection, 1 << 20, 1 << 14)
    if suffix == ".ods":
        all_sheets_fit(inspection, limits)
    return inspection


def all_sheets_fit(inspection: Inspection, limits: Limits) -> None:
    """For formats whose sheets calamine builds all at once (.ods, .xls): every sheet, and all
    of them together, within max_cells; otherwise refuse, naming the largest sheet."""
    if not inspection.ranges:
        return
    name, box = max(inspection.ranges.items(), key=lambda item: item[1].cells)
    total = sum(b.cells for b in inspection.ranges.values())
    if total > limits.max_cells:
        raise Refused("too-many-cells", f"{name}!{box.ref}: {box.cells:,} cells; "
                      f"{total:,} in all sheets, at most {limits.max_cells:,}")


def _inspect_package(package: zipfile.ZipFile, limits: Limits) -> Inspection:
    from intake.extent import scanners_for

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
    scanners = scanners_for(package, names, inspection)
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


