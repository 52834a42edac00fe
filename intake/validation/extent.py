"""What calamine will build for each sheet, measured from the package before it parses it.

calamine gives a sheet a dense range from its first to its last cell holding a value, rows x
columns, whatever lies between; it reserves room for the strings a shared-string table
declares, and for an .xls sheet for the cells its DIMENSIONS record declares. The scanners here
read the parts as `intake.validation.safety` inflates them and record each sheet's range in the
`Inspection`: from the cell references and row numbers of the worksheet XML (the `dimension`
element is not trusted; a cell without a reference follows the one before it), the `.xlsb` row
and cell records, the `.ods` repeat counts (empty cells and rows only move the position) and
the `.xls` cell records, walked from where each BOUNDSHEET8 record says a sheet starts, as
calamine walks them.
"""

from __future__ import annotations

import html
import itertools
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from intake.definition.cells import column_letter
from intake.validation.inspection import DECLARATION, Box, Inspection, Refused, all_sheets_fit
from intake.validation.limits import Limits
from intake.validation.ooxml import attrs, read_rels

_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b([^>]*?\bhidden="(?:1|true)"[^>]*)>')
_HIDDEN_COL = re.compile(rb'<(?:\w+:)?col\b([^>]*?\bhidden="(?:1|true)"[^>]*)/?>')
_FORMULA_CELL = re.compile(
    rb'<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*'
    rb'(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>', re.S)
#: A cell holding an error value (`t="e"`), from a formula or typed, and its value.
_ERROR_CELL = re.compile(
    rb'<(?:\w+:)?c\b([^>]*\bt\s*=\s*["\']e["\'][^>]*)(?<!/)>(.*?)</(?:\w+:)?c>', re.S)
_VALUE = re.compile(rb"<(?:\w+:)?v\b[^>]*>([^<]*)</(?:\w+:)?v>")
_WORKBOOK_PR = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*>")
_V_TAG = re.compile(rb"<(?:\w+:)?v[\s/>]")
#: The error values of the binary formats (BErr of .xlsb, the error codes of .xls BIFF8), as
#: Excel shows them.
ERROR_CODES = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?",
               0x24: "#NUM!", 0x2A: "#N/A", 0x2B: "#GETTING_DATA"}
#: An error value whose name the file does not give (a code no program writes, an .ods error
#: cell without text): still an error value, told with the general meaning.
UNKNOWN_ERROR = "#?"
#: At most this many error cells are recorded per sheet (a repeated .ods row can stand for a
#: million); the findings are made from the first thousand.
_MAX_ERRORS = 1000


def _error_at(inspection: Inspection, sheet: str, row: int, col: int, error: str) -> None:
    """Record an error value at the 0-based position (row, col) of `sheet`."""
    found = inspection.formula_errors[sheet]
    if len(found) < _MAX_ERRORS:
        found.append((f"{column_letter(col)}{row + 1}", error))
#: No start tag or record is this long: a part that holds one is refused, not buffered.
_MAX_ELEMENT = 16 << 20
_UNSUPPORTED = ("/xlMacrosheet", "/dialogsheet")


class _Extent:
    """Grows to the smallest box around every cell that holds something."""

    def __init__(self) -> None:
        self.box: list[int] | None = None

    def add(self, r0: int, c0: int, r1: int, c1: int) -> None:
        b = self.box
        if b is None:
            self.box = [r0, c0, r1, c1]
        else:
            b[0], b[1], b[2], b[3] = min(b[0], r0), min(b[1], c0), max(b[2], r1), max(b[3], c1)

    def result(self) -> Box | None:
        return Box(*self.box) if self.box else None


class Scanner:
    """Reads one part as it is inflated; `finish` records what was found."""

    xml = True

    def feed(self, block: bytes) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        pass


def scanners_for(package: zipfile.ZipFile, names: set[str], inspection: Inspection,
                 max_sheets: int = 0) -> dict[str, Scanner]:
    """Part → its scanner: worksheets (.xlsx, .xlsb), shared strings, .ods content. A workbook
    that lists more than `max_sheets` sheets (0: no limit) is refused."""
    out: dict[str, Scanner] = {}
    if "content.xml" in names and "xl/workbook.xml" not in names:
        out["content.xml"] = _OdsScan(inspection)
    for book, binary in (("xl/workbook.xml", False), ("xl/workbook.bin", True)):
        if book not in names:
            continue
        try:
            rels = read_rels(package, book)
            with package.open(book) as part:  # at most 4 MB, before any budget
                data = part.read(1 << 22)
        except MemoryError:
            raise  # the address-space limit, not a damaged part
        except Exception:  # a damaged part: the inflation below reports it
            continue
        if not binary and DECLARATION.search(data):
            raise Refused("unsafe", f"{book} declares a DOCTYPE or ENTITY")
        if not binary:
            inspection.date1904 = _date1904(data)
        targets = {r.id: r for r in rels}
        sheets = list(_bin_sheets(data) if binary else _xml_sheets(data))
        if 0 < max_sheets < len(sheets):
            cut = len(data) == 1 << 22  # the part goes on: there are more
            raise Refused("too-many-sheets", f"{book} lists {'at least ' * cut}{len(sheets):,} "
                          f"sheets (at most {max_sheets:,})")
        for name, rid in sheets:
            rel = targets.get(rid)
            if rel is None:
                continue
            if rel.type.endswith(_UNSUPPORTED):
                inspection.unsupported[name] = rel.type.rsplit("/", 1)[-1]
            elif rel.type.endswith("/worksheet") and rel.target in names:  # also strict OOXML
                out[rel.target] = _BinSheetScan(name, inspection) if binary else \
                    _XmlSheetScan(name, inspection)
        # the shared strings as the relationships name them, and where they usually are
        strings = {r.target for r in rels if r.type.endswith("/sharedStrings")}
        strings.add("xl/sharedStrings.bin" if binary else "xl/sharedStrings.xml")
        for found in strings & names:
            size = package.getinfo(found).file_size
            out[found] = _BinStringsScan(found, size) if binary else _XmlStringsScan(found, size)
    # A worksheet part no sheet points to (as this reading of the relationships sees it) is
    # still measured: a parser may resolve the paths differently.
    for name in names:
        if name.startswith("xl/worksheets/") and name not in out and name.endswith(
                (".xml", ".bin")):
            out[name] = (_BinSheetScan if name.endswith(".bin") else _XmlSheetScan)(
                name, inspection)
    return out


def _date1904(book: bytes) -> bool:
    """Whether xl/workbook.xml counts its dates from 1904 (`date1904` is "1" or "true", as
    Excel and LibreOffice write it; absent, "0" or "false" is the 1900 count)."""
    found = _WORKBOOK_PR.search(book)
    if found is None:
        return False
    value = attrs(found.group(0).decode("utf-8", "replace")).get("date1904", "")
    return value.strip().lower() in ("1", "true")


def _xml_sheets(book: bytes) -> Iterator[tuple[str, str]]:
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", book.decode("utf-8", "replace")):
        a = attrs(tag)
        rid = next((v for k, v in a.items() if k.endswith(":id")), None)
        if rid is not None and "name" in a:
            yield a["name"], rid


def _bin_sheets(book: bytes) -> Iterator[tuple[str, str]]:
    for kind, body in _records12(book):
        if kind == 0x9C and len(body) >= 12:  # BrtBundleSh: state, tab id, rel id, name
            rid, at = _wide(body, 8)
            name, _ = _wide(body, at)
            if rid is not None and name is not None:
                yield name, rid


def _wide(data: bytes, at: int) -> tuple[str | None, int]:
    """An XLWideString at `at` (None when it does not fit) and the offset after it."""
    if at + 4 > len(data):
        return None, len(data)
    count = struct.unpack_from("<I", data, at)[0]
    end = at + 4 + 2 * count
    if count == 0xFFFFFFFF or end > len(data):
        return None, len(data)
    return data[at + 4:end].decode("utf-16-le", "replace"), end


def _records12(data: bytes | bytearray, start: int = 0) -> Iterator[tuple[int, bytes]]:
    """BIFF12 records (type, data) in `data` from `start`, as far as they are complete."""
    for kind, body_start, end in spans12(data, start):
        yield kind, bytes(data[body_start:end])


def spans12(data: bytes | bytearray, at: int) -> Iterator[tuple[int, int, int]]:
    size = len(data)
    while at < size:
        kind, p = 0, at
        for shift in (0, 7):
            if p >= size:
                return
            byte = data[p]
            p += 1
            kind |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
        length = 0
        for shift in (0, 7, 14, 21):
            if p >= size:
                return
            byte = data[p]
            p += 1
            length |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
        if p + length > size:
            return
        yield kind, p, p + length
        at = p + length


class _XmlScan(Scanner):
    """Feeds whole elements: each piece handed to `scan` ends at the end of a tag."""

    def __init__(self, part: str) -> None:
        self.part = part
        self.carry = b""

    def feed(self, block: bytes) -> None:
        text = self.carry + block
        cut = self.cut(text)
        if cut <= 0:
            if len(text) > _MAX_ELEMENT:
                raise Refused("corrupt", f"{self.part}: an element longer than "
                              f"{_MAX_ELEMENT >> 20} MB")
            self.carry = text
            return
        self.scan(text[:cut])
        self.carry = text[cut:]

    def cut(self, text: bytes) -> int:
        return text.rfind(b">") + 1

    def scan(self, xml: bytes) -> None:
        raise NotImplementedError


_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="\$?([A-Za-z]+)\$?(\d+)"[^>]*+(?:(?<=(/)))?>')
_C_TAG = re.compile(rb"<(?:\w+:)?c[\s/>]")
_ROW_OR_CELL = re.compile(rb"<(?:\w+:)?(row|c)[\s/>]([^>]*)>")
_R_ATTR = re.compile(rb'\sr\s*=\s*(["\'])(.*?)\1', re.S)
_REF = re.compile(r"\$?([A-Za-z]*)\$?(\d+)")
_ROW_NUMBER = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="(\d+)"')
#: The cell tag as Excel, LibreOffice and openpyxl write it: no prefix, the reference first. A
#: pattern that starts with a literal is searched at C speed; it is used only when it finds
#: every cell tag of the piece, counted with bytes.count.
_PLAIN_CELL_REF = re.compile(rb'<c r="\$?([A-Za-z]+)\$?(\d+)"[^>]*+(?:(?<=(/)))?>')
_ODD_C_TAG = re.compile(rb"<c[>/\t\n\r]")


#: How much of the start and end of a piece gives the candidate box (see `_bounded`).
_SAMPLE = 16 << 10
#: A worksheet's pieces are measured in batches of about this many bytes; a batch of at least
#: BATCH_MIN_BYTES (a part larger than that) is counted by polars (`_batch_bounded`).
BATCH_BYTES = 16 << 20
BATCH_MIN_BYTES = 4 << 20
#: A pattern that matches nothing.
_NOTHING = b"(?!)"


@dataclass(frozen=True)
class _Alphabet:
    """The characters of one part of a cell reference, ordered as their values are: the
    lowest and highest allowed as the first character, and as the others."""

    first: bytes
    rest: bytes

    def ranged(self, low: int, high: int) -> bytes:
        return b"[" + bytes([low]) + b"-" + bytes([high]) + b"]"


_LETTERS = _Alphabet(b"AZ", b"AZ")
_DIGITS = _Alphabet(b"19", b"09")  # row numbers have no leading zero


def _letters_order(letters: bytes) -> tuple[int, bytes]:
    return len(letters), letters


def _outside(low: bytes, high: bytes, alphabet: _Alphabet, plain: bool = False) -> bytes:
    """A pattern for the strings of `alphabet` before `low` or after `high` in the order of
    their values (shorter first, then character by character). `plain`: without look-around
    (for a regex engine that has none, such as polars')."""
    parts = _before(low, alphabet) + _after(high, alphabet)
    if plain:
        parts = [p for p in parts if p != _NOTHING]
    return b"(?:" + b"|".join(parts) + b")"


def at_least(number: int) -> bytes:
    """A pattern for the decimal numbers `number` or more (leading zeros allowed): to search
    for an index past the end of a list without listing every index."""
    if number <= 0:
        return rb"\d+"
    return b"0*(?:" + b"|".join(_after(str(number - 1).encode(), _DIGITS)) + b")"


def _before(value: bytes, alphabet: _Alphabet) -> list[bytes]:
    rest = alphabet.ranged(*alphabet.rest)
    first = alphabet.ranged(*alphabet.first)
    out = [first + rest + b"{0,%d}" % (len(value) - 2)] if len(value) >= 2 else []
    for i, ch in enumerate(value):
        lowest = (alphabet.first if i == 0 else alphabet.rest)[0]
        if ch > lowest:
            out.append(re.escape(value[:i]) + alphabet.ranged(lowest, ch - 1)
                       + rest + b"{%d}" % (len(value) - i - 1))
    return out or [_NOTHING]


def _after(value: bytes, alphabet: _Alphabet) -> list[bytes]:
    rest = alphabet.ranged(*alphabet.rest)
    first = alphabet.ranged(*alphabet.first)
    out = [first + rest + b"{%d,}" % len(value)]
    for i, ch in enumerate(value):
        highest = (alphabet.first if i == 0 else alphabet.rest)[1]
        if ch < highest:
            out.append(re.escape(value[:i]) + alphabet.ranged(ch + 1, highest)
                       + rest + b"{%d}" % (len(value) - i - 1))
    return out


def _attr(pattern: re.Pattern[bytes], tag: bytes) -> str | None:
    """The value of the attribute `pattern` finds in `tag`, its references resolved."""
    m = pattern.search(tag)
    return html.unescape(m.group(2).decode("utf-8", "replace")) if m else None


def _repeat(pattern: re.Pattern[bytes], tag: bytes) -> int:
    value = (_attr(pattern, tag) or "").strip()
    return max(int(value), 1) if value.isascii() and value.isdigit() else 1


def _column(letters: bytes) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + ch - 64
    return index - 1


def _sampled_box(pieces: list[bytes]) -> tuple[bytes, bytes, int, int] | None:
    """The first and last column and row of the plain cells with a value in the first and
    last 16 KB of each piece: the box a search then proves or refutes. None where there is
    no such cell, or a column is not in capitals."""
    sample = [(c, int(r)) for piece in pieces
              for c, r, end in _PLAIN_CELL_REF.findall(piece[:_SAMPLE])
              + _PLAIN_CELL_REF.findall(piece[-_SAMPLE:]) if end != b"/"]
    if not sample:
        return None
    first_col = min((c for c, _ in sample), key=_letters_order)
    last_col = max((c for c, _ in sample), key=_letters_order)
    if not (first_col + last_col).isupper():
        return None
    return first_col, last_col, min(r for _, r in sample), max(r for _, r in sample)


class _XmlSheetScan(_XmlScan):
    """A worksheet of .xlsx: the range of its cells with a value (calamine skips cells without
    one and ignores `dimension`; a cell without a reference follows the one before it), hidden
    rows and columns, formulas without a value."""

    def __init__(self, sheet: str, inspection: Inspection) -> None:
        super().__init__(sheet)
        self.sheet = sheet
        self.inspection = inspection
        self.extent = _Extent()
        self.row, self.col = -1, -1
        self.pending: list[bytes] = []
        self.pending_size = 0

    def cut(self, text: bytes) -> int:
        # At the end of a row where there is one, so a formula cell is never split.
        cut = text.rfind(b"</row>")
        return cut + 6 if cut >= 0 else text.rfind(b">") + 1

    def scan(self, xml: bytes) -> None:
        """Take the piece (whole rows, in order) into the pending batch; a full batch is
        measured at once."""
        self.pending.append(xml)
        self.pending_size += len(xml)
        if self.pending_size >= BATCH_BYTES:
            self._flush()

    def _flush(self) -> None:
        pieces, size = self.pending, self.pending_size
        self.pending, self.pending_size = [], 0
        if size < BATCH_MIN_BYTES or not self._batch_bounded(pieces):
            for piece in pieces:
                self._scan_piece(piece)

    def _batch_bounded(self, pieces: list[bytes]) -> bool:
        """`_bounded` for many pieces at once, its one search done as counts by polars' regex
        engine (Rust, in parallel, several times faster than Python's `re` on a large sheet):
        every cell tag plain, none outside the box of the cells sampled at the start and end
        of each piece, no prefixed tag. The pieces with hidden rows, error values or formulas
        are then read as before. False (nothing recorded) where the counts do not prove the
        box, or the text is no UTF-8: the pieces are then measured one by one."""
        box = _sampled_box(pieces)
        if box is None:
            return False
        first_col, last_col, first_row, last_row = box
        import polars as pl

        try:
            texts = pl.Series("xml", [piece.decode("utf-8") for piece in pieces])
            xml = pl.col("xml")
            outside = (b'<c r="' + _outside(first_col, last_col, _LETTERS, plain=True)
                       + b'[0-9]|<c r="[A-Z]{1,3}'
                       + _outside(str(first_row).encode(), str(last_row).encode(), _DIGITS,
                                  plain=True) + b'"').decode("ascii")
            counts = pl.DataFrame([texts]).select(
                tags=xml.str.count_matches("<c ", literal=True),
                plain=xml.str.count_matches(r'<c r="[A-Z]{1,3}[1-9][0-9]{0,6}"'),
                odd=xml.str.count_matches(r"<c[>/\t\n\r]|:c"),
                outside=xml.str.count_matches(outside),
                marks=xml.str.contains(r"""hidden|"e"|'e'|<f"""),
            )
        except (UnicodeDecodeError, pl.exceptions.PolarsError):
            return False
        totals = counts.select(pl.exclude("marks").sum()).row(0, named=True)
        if totals["tags"] != totals["plain"] or totals["odd"] or totals["outside"]:
            return False
        self.extent.add(first_row - 1, _column(first_col), last_row - 1, _column(last_col))
        for piece, marked in zip(pieces, counts["marks"], strict=True):
            last_cell = _PLAIN_CELL_REF.match(piece, piece.rfind(b'<c r="'))
            if last_cell is not None:
                self.col = _column(last_cell.group(1))
            self._last_row(piece)  # each looks from the end: where the next piece goes on
            if marked:
                self._scan_marks(piece)
        return True

    def _scan_piece(self, xml: bytes) -> None:
        if not self._bounded(xml):
            refs = self._plain_refs(xml)
            if refs is None:
                refs = _CELL_REF.findall(xml)
                if len(refs) != len(_C_TAG.findall(xml)):
                    self._in_order(xml)
                    self._scan_marks(xml)
                    return
            self._explicit(refs)
        self._last_row(xml)
        self._scan_marks(xml)

    def _bounded(self, xml: bytes) -> bool:
        """The piece's range without visiting every cell, where one search proves it: the box
        of the cells with a value in the piece's first and last 16 KB (the regular case: the
        first row holds the leftmost and rightmost columns, rows come in order), and no cell
        tag that is not plain (`<c r="B7" …>`) or lies outside that box (an empty cell inside
        it changes nothing). When the search finds one, or the piece is of another kind,
        False: the cells are then visited one by one. Three times faster on a sheet of
        100,000 rows.
        """
        if b":c" in xml:
            return False
        box = _sampled_box([xml])
        if box is None:
            return False
        first_col, last_col, first_row, last_row = box
        columns_outside = _outside(first_col, last_col, _LETTERS)
        rows_outside = _outside(str(first_row).encode(), str(last_row).encode(), _DIGITS)
        odd = re.compile(b'<c(?:[>/\t\n\r]| (?!r="(?!' + columns_outside
                         + b'[0-9]|[A-Z]{1,3}' + rows_outside
                         + b'")[A-Z]{1,3}[1-9][0-9]{0,6}"))')
        if odd.search(xml):
            return False
        self.extent.add(first_row - 1, _column(first_col), last_row - 1, _column(last_col))
        last_cell = _PLAIN_CELL_REF.match(xml, xml.rfind(b'<c r="'))
        if last_cell is not None:
            self.col = _column(last_cell.group(1))
        return True

    @staticmethod
    def _plain_refs(xml: bytes) -> list[tuple[bytes, bytes, bytes]] | None:
        """Every cell's reference when all cell tags are plain (`<c r="B7" …>`), else None.
        Each is (letters, digits, "/" for an empty cell or "")."""
        if b":c" in xml:  # a namespace prefix somewhere: the general patterns decide
            return None
        refs = _PLAIN_CELL_REF.findall(xml)
        if len(refs) != xml.count(b"<c ") or _ODD_C_TAG.search(xml):
            return None
        return refs

    def _last_row(self, xml: bytes) -> None:
        """The number of the piece's last numbered row (where a cell without a reference
        would continue)."""
        at = xml.rfind(b"<row")
        match = _ROW_NUMBER.match(xml, at) if at >= 0 and b":row" not in xml else None
        if match is None:
            rows = _ROW_NUMBER.findall(xml)
            if not rows:
                return
            number = rows[-1]
        else:
            number = match.group(1)
        self.row = int(number) - 1

    def _explicit(self, refs: list[tuple[bytes, bytes, bytes]]) -> None:
        """The range of cells with a value. Each ref is (letters, digits, "/" or ""): a tag
        ending in "/" is an empty cell, left out of the range."""
        if not refs:
            return
        letters, numbers, ends = zip(*refs, strict=True)
        if b"/" in ends:  # rare
            kept = [(c, r) for c, r, end in refs if end != b"/"]
            letters, numbers = (tuple(c for c, _ in kept), tuple(r for _, r in kept))
        if numbers:
            rows = list(map(int, numbers))
            cols = [_column(c) for c in set(letters)]
            self.extent.add(min(rows) - 1, min(cols), max(rows) - 1, max(cols))
        self.col = _column(refs[-1][0])

    def _in_order(self, xml: bytes) -> None:
        # Any quoting, spacing and character references a parser accepts in the reference.
        for tag, rest in _ROW_OR_CELL.findall(xml):
            value = _attr(_R_ATTR, b" " + rest)
            ref = _REF.fullmatch(value.strip()) if value is not None else None
            if tag == b"row":
                self.row = int(ref.group(2)) - 1 if ref else self.row + 1
                self.col = -1
                continue
            if ref and ref.group(1):
                self.row, self.col = int(ref.group(2)) - 1, _column(ref.group(1).encode())
            else:
                self.col += 1
            if not rest.endswith(b"/"):
                self.extent.add(max(self.row, 0), self.col, max(self.row, 0), self.col)

    def _scan_marks(self, xml: bytes) -> None:
        inspection, sheet = self.inspection, self.sheet
        if b"hidden" in xml:
            for m in _HIDDEN_ROW.finditer(xml):
                number = attrs(m.group(1).decode("utf-8", "replace")).get("r")
                if number and number.isdigit():
                    inspection.hidden_rows[sheet].append(int(number))
            for m in _HIDDEN_COL.finditer(xml):
                a = attrs(m.group(1).decode("utf-8", "replace"))
                low, high = _int(a.get("min")), _int(a.get("max"))
                if 0 < low <= high:
                    inspection.hidden_columns[sheet] += [column_letter(c - 1) for c in
                                                         range(low, min(high, low + 50) + 1)]
        if b'"e"' in xml or b"'e'" in xml:
            for m in _ERROR_CELL.finditer(xml):
                ref = attrs(m.group(1).decode("utf-8", "replace")).get("r")
                value = _VALUE.search(m.group(2))
                if ref and value and value.group(1).strip():
                    inspection.formula_errors[sheet].append(
                        (ref, value.group(1).decode("utf-8", "replace").strip()))
        if b"<f" in xml:
            for m in _FORMULA_CELL.finditer(xml):
                a = attrs(m.group(1).decode("utf-8", "replace"))
                # t="str" with a <v> element, even an empty one: a formula calculated to empty
                # text, as Excel and LibreOffice write it (not a formula without a value)
                if a.get("r") and not (a.get("t") == "str" and _V_TAG.search(m.group(0))):
                    inspection.formulas_without_value[sheet].append(a["r"])

    def finish(self) -> None:
        # What follows the last row: calamine reads a cell there too (`</row><c r="AB3000">`)
        if self.carry:
            self.scan(self.carry)
            self.carry = b""
        self._flush()
        if box := self.extent.result():
            self.inspection.ranges[self.sheet] = union(self.inspection.ranges.get(self.sheet),
                                                        box)


def _int(text: str | None) -> int:
    return int(text) if text and text.isdigit() else 0


#: Every shared string takes at least this many bytes in its part (`<si/>`; a BIFF12 record).
_MIN_STRING_BYTES = 5


def _check_count(part: str, declared: int, size: int) -> None:
    """calamine reserves room for the declared number of strings before reading them."""
    if declared > size // _MIN_STRING_BYTES + 16:
        raise Refused("corrupt", f"{part} declares {declared:,} strings in {size:,} bytes")


class _XmlStringsScan(_XmlScan):
    """xl/sharedStrings.xml: its uniqueCount against its size."""

    _SST = re.compile(rb"<(?:\w+:)?sst\b([^>]*)>")

    def __init__(self, part: str, size: int) -> None:
        super().__init__(part)
        self.size = size
        self.seen = False

    def scan(self, xml: bytes) -> None:
        if self.seen:
            return
        m = self._SST.search(xml)
        if m:
            self.seen = True
            unique = attrs(m.group(1).decode("utf-8", "replace")).get("uniqueCount", "")
            if unique.strip().isdigit():
                _check_count(self.part, int(unique), self.size)


class _BinScan(Scanner):
    """Feeds whole BIFF12 records to `record`."""

    xml = False

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.done = False

    def feed(self, block: bytes) -> None:
        if self.done:
            return
        self.buffer += block
        used = 0
        for kind, start, end in spans12(self.buffer, 0):
            used = end
            if self.record(kind, self.buffer, start, end):
                self.done = True
                break
        del self.buffer[:used]

    def record(self, kind: int, data: bytearray, start: int, end: int) -> bool:
        raise NotImplementedError


#: BIFF12 cell records calamine reads (BrtCellRk … BrtFmlaBool): each starts with its column.
#: BrtFmlaError (0x0B) is not among them: calamine skips it, the cell reads as empty.
_XLSB_CELLS = frozenset(range(0x02, 0x0B))
#: BrtCellError and BrtFmlaError: the cell (column, style) and then the error's code (BErr).
_XLSB_ERRORS = frozenset({0x03, 0x0B})


class _BinSheetScan(_BinScan):
    """A worksheet of .xlsb: BrtRowHdr sets the row, each cell record names its column. Every
    record of the part counts, wherever it is: calamine skips what comes before the sheet data
    in its own way, so stopping early (at a misplaced BrtEndSheetData) could miss cells it
    reads."""

    def __init__(self, sheet: str, inspection: Inspection) -> None:
        super().__init__()
        self.sheet = sheet
        self.inspection = inspection
        self.extent = _Extent()
        self.row = 0

    def record(self, kind: int, data: bytearray, start: int, end: int) -> bool:
        if kind == 0x00 and end - start >= 4:  # BrtRowHdr
            self.row = struct.unpack_from("<I", data, start)[0]
        elif kind in _XLSB_CELLS and end - start >= 4:
            col = struct.unpack_from("<I", data, start)[0]
            self.extent.add(self.row, col, self.row, col)
        if kind in _XLSB_ERRORS and end - start >= 9:
            _error_at(self.inspection, self.sheet, self.row,
                      struct.unpack_from("<I", data, start)[0],
                      ERROR_CODES.get(data[start + 8], UNKNOWN_ERROR))
        return False

    def finish(self) -> None:
        if box := self.extent.result():
            self.inspection.ranges[self.sheet] = union(self.inspection.ranges.get(self.sheet),
                                                        box)


class _BinStringsScan(_BinScan):
    """xl/sharedStrings.bin: BrtBeginSst's unique count against the part's size."""

    def __init__(self, part: str, size: int) -> None:
        super().__init__()
        self.part = part
        self.size = size

    def record(self, kind: int, data: bytearray, start: int, end: int) -> bool:
        if kind == 0x9F and end - start >= 8:
            _check_count(self.part, struct.unpack_from("<I", data, start + 4)[0], self.size)
            return True
        return False


_ODS_TAG = re.compile(
    rb"<(/?)table:(table|table-row|table-cell|covered-table-cell)(?=[\s/>])([^>]*)>")
_ODS_NAME = re.compile(rb'table:name\s*=\s*(["\'])(.*?)\1', re.S)
_ODS_ROWS = re.compile(rb'number-rows-repeated\s*=\s*(["\'])(.*?)\1', re.S)
_ODS_COLS = re.compile(rb'number-columns-repeated\s*=\s*(["\'])(.*?)\1', re.S)
#: A cell holding an error value: LibreOffice writes `calcext:value-type="error"` (beside an
#: `office:value-type` of string, as ODF 1.2 has no error type), others `office:value-type`.
_ODS_ERROR = re.compile(rb'value-type\s*=\s*["\']error["\']')
_ODS_ANNOTATION = re.compile(rb"<office:annotation\b.*?</office:annotation>", re.S)
_ANY_TAG = re.compile(rb"<[^>]*>")
#: At most this much of an error cell's content is kept to read its text from.
_MAX_ERROR_TEXT = 1 << 16


class _OdsScan(_XmlScan):
    """content.xml of .ods: per table the range of cells with a value, repeats expanded
    (calamine repeats a cell `number-columns-repeated` times and a row `number-rows-repeated`
    times; empty cells and rows only move the position), and the cells holding an error
    value, named by the text the cell shows (its `text:p`)."""

    def __init__(self, inspection: Inspection) -> None:
        super().__init__("content.xml")
        self.inspection = inspection
        self.sheet: str | None = None
        self.extent = _Extent()
        self.row = 0
        self.col = 0
        self.row_repeat = 1
        self.row_first: int | None = None
        self.row_last = -1
        self.depth = 0
        #: An error cell whose text is still being read: (row, rows, column, columns).
        self.error: tuple[int, int, int, int] | None = None
        self.error_text = bytearray()

    def scan(self, xml: bytes) -> None:
        last = 0
        for m in _ODS_TAG.finditer(xml):
            closing, tag, rest = m.groups()
            if self.error is not None:
                self._error_text(xml[last:m.start()])
                if self.depth <= 1:  # the error cell ends (at its end tag, or the next tag)
                    self._end_error()
            last = m.end()
            if tag == b"table":
                self._table(closing, rest)
            elif self.sheet is None or self.depth > 1:
                continue
            elif tag == b"table-row":
                if closing:
                    self._end_row()
                else:
                    self.row_repeat = _repeat(_ODS_ROWS, rest)
                    self.col, self.row_first, self.row_last = 0, None, -1
                    if rest.endswith(b"/"):
                        self._end_row()
            elif not closing:
                repeat = _repeat(_ODS_COLS, rest)
                # a value (office:value, string-value …) or a formula, or content: not empty
                if b"value" in rest or b"formula" in rest or not rest.endswith(b"/"):
                    if self.row_first is None:
                        self.row_first = self.col
                    self.row_last = self.col + repeat - 1
                if _ODS_ERROR.search(rest):
                    self.error = (self.row, self.row_repeat, self.col, repeat)
                    if rest.endswith(b"/"):
                        self._end_error()
                self.col += repeat
        if self.error is not None:
            self._error_text(xml[last:])

    def _error_text(self, text: bytes) -> None:
        if len(self.error_text) < _MAX_ERROR_TEXT:
            self.error_text += text

    def _end_error(self) -> None:
        """Record the error cell read last, at every position its repeats cover, by the text it
        shows (a comment's text left out)."""
        assert self.error is not None and self.sheet is not None
        row, rows, col, cols = self.error
        shown = _ANY_TAG.sub(b"", _ODS_ANNOTATION.sub(b"", bytes(self.error_text)))
        error = html.unescape(shown.decode("utf-8", "replace")).strip() or UNKNOWN_ERROR
        room = _MAX_ERRORS - len(self.inspection.formula_errors[self.sheet])
        for r, c in itertools.islice(itertools.product(range(row, row + rows),
                                                       range(col, col + cols)), max(room, 0)):
            _error_at(self.inspection, self.sheet, r, c, error)
        self.error = None
        self.error_text.clear()

    def _table(self, closing: bytes, rest: bytes) -> None:
        if closing:
            self.depth -= 1
            if self.depth == 0:
                self._end_table()
            return
        if rest.endswith(b"/"):
            return
        self.depth += 1
        if self.depth == 1:
            self.sheet = _attr(_ODS_NAME, rest) or ""
            self.extent, self.row = _Extent(), 0

    def _end_row(self) -> None:
        if self.row_first is not None:
            self.extent.add(self.row, self.row_first, self.row + self.row_repeat - 1,
                            self.row_last)
        self.row += self.row_repeat
        self.row_first = None

    def _end_table(self) -> None:
        box = self.extent.result()
        if self.sheet is not None and box is not None:
            self.inspection.ranges[self.sheet] = union(self.inspection.ranges.get(self.sheet),
                                                        box)
        self.sheet = None

    def finish(self) -> None:
        # calamine reads a table until its end tag and, at the end of the part, loops forever
        # in native code, where no time limit reaches (found by the fuzzer)
        if self.depth > 0:
            raise Refused("corrupt", f"content.xml: table '{self.sheet}' is never closed")


# --- .xls -------------------------------------------------------------------------------------

#: BIFF8 cell records whose data starts with row and column (NUMBER, LABELSST, RK, BOOLERR,
#: FORMULA, LABEL, RSTRING); MULRK (0x00BD) spans columns.
_XLS_CELLS = frozenset({0x0203, 0x00FD, 0x027E, 0x0205, 0x0006, 0x0204, 0x00D6})


def inspect_xls(path: Path, limits: Limits) -> Inspection:
    """An .xls: the file within --max-mb; per sheet the range of its cells and the size its
    DIMENSIONS record declares (calamine reserves room for the declared rows x columns)."""
    import olefile

    budget = limits.max_uncompressed_mb * (1 << 20)
    size = path.stat().st_size
    if size > budget:
        raise Refused("file-too-big", f"{size / (1 << 20):.1f} MB, at most "
                      f"{limits.max_uncompressed_mb} MB")
    try:
        with olefile.OleFileIO(str(path)) as ole:
            name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
            if name is None:
                raise Refused("corrupt", "no Workbook stream")
            if ole.get_size(name) > budget:
                raise Refused("file-too-big", f"{ole.get_size(name) >> 20} MB of records, at "
                              f"most {limits.max_uncompressed_mb} MB")
            data = ole.openstream(name).read()
    except (Refused, MemoryError):
        raise  # MemoryError: the address-space limit, not damage
    except Exception as exc:  # olefile raises OSError, ValueError, IndexError … on damage
        raise Refused("corrupt", f"compound file: {exc}") from exc
    inspection = Inspection()
    _scan_biff8(data, inspection, limits)
    all_sheets_fit(inspection, limits)
    return inspection


def _records8(data: bytes, at: int) -> Iterator[tuple[int, int, int]]:
    """BIFF8 records (type, start of data, end) from `at`, as far as they are complete."""
    size = len(data)
    while at + 4 <= size:
        kind, length = struct.unpack_from("<HH", data, at)
        body, at = at + 4, at + 4 + length
        if at > size:
            return
        yield kind, body, at


def _scan_biff8(data: bytes, inspection: Inspection, limits: Limits) -> None:
    """Walk the records as calamine does: the globals from the start to their EOF, then each
    sheet from the offset its BOUNDSHEET8 record gives to the sheet's EOF."""
    unpack = struct.unpack_from
    bounds: list[tuple[int, str]] = []
    for kind, body, end in _records8(data, 0):
        if kind == 0x0085 and end - body >= 8:  # BOUNDSHEET8: where a sheet starts, its name
            count, wide = data[body + 6], data[body + 7] & 1
            raw = data[body + 8:body + 8 + count * (2 if wide else 1)]
            bounds.append((unpack("<I", data, body)[0], raw.decode(
                "utf-16-le" if wide else "latin-1", "replace").replace("\0", "")))
        elif kind == 0x00FC and end - body >= 8:  # SST: calamine reserves the unique count
            unique = unpack("<i", data, body + 4)[0]
            if not 0 <= unique <= len(data) // 3:
                raise Refused("corrupt", f"the shared string table declares {unique:,} strings "
                              f"in {len(data):,} bytes")
        elif kind == 0x000A:
            break
    for start, name in bounds:
        if start > len(data):
            raise Refused("corrupt", f"sheet {name} starts beyond the end of the records")
        extent = _Extent()
        for kind, body, end in _records8(data, start):
            length = end - body
            if kind in _XLS_CELLS or kind == 0x00BD:
                if length >= 6:
                    row, col = unpack("<HH", data, body)
                    last = unpack("<H", data, end - 2)[0] if kind == 0x00BD else col
                    extent.add(row, col, row, max(col, last))
                    if (code := _xls_error(kind, data, body, length)) is not None:
                        _error_at(inspection, name, row, col,
                                  ERROR_CODES.get(code, UNKNOWN_ERROR))
            elif kind == 0x0200 and length in (10, 14):  # DIMENSIONS
                if length == 14:
                    rw0, rw1, c0, c1 = unpack("<IIHH", data, body)
                else:
                    rw0, rw1, c0, c1 = unpack("<HHHH", data, body)
                # calamine reserves (last - first) rows x columns, in wrapping arithmetic
                declared = ((rw1 - rw0) % (1 << 32)) * ((c1 - c0) % (1 << 32)) \
                    if rw1 >= 1 and c1 >= 1 else 1
                if declared > limits.max_cells:
                    ref = Box(rw0, c0, max(rw1 - 1, rw0), max(c1 - 1, c0)).ref
                    raise Refused("too-many-cells", f"{name}!{ref}: its DIMENSIONS record "
                                  f"declares {declared:,} cells, at most {limits.max_cells:,}")
            elif kind == 0x000A:
                break
        if box := extent.result():
            inspection.ranges[name] = union(inspection.ranges.get(name), box)
    inside(inspection, 65536, 256)


def _xls_error(kind: int, data: bytes, body: int, length: int) -> int | None:
    """The error code a BIFF8 cell record holds, or None: BOOLERR with fError set, or FORMULA
    whose cached result (FormulaValue, its last two bytes 0xFFFF) is of type 2, an error."""
    if kind == 0x0205 and length >= 8 and data[body + 7] == 1:
        return data[body + 6]
    if (kind == 0x0006 and length >= 14 and data[body + 12:body + 14] == b"\xff\xff"
            and data[body + 6] == 2):
        return data[body + 8]
    return None


def union(old: Box | None, box: Box) -> Box:
    if old is None:
        return box
    return Box(min(old.first_row, box.first_row), min(old.first_col, box.first_col),
               max(old.last_row, box.last_row), max(old.last_col, box.last_col))


def inside(inspection: Inspection, rows: int, columns: int) -> None:
    """Refuse a sheet with a cell beyond the largest sheet the format has (no spreadsheet
    program writes one; a parser would build the range all the same)."""
    for name, box in inspection.ranges.items():
        if box.last_row >= rows or box.last_col >= columns:
            raise Refused("corrupt", f"sheet {name} has a cell at {column_letter(box.last_col)}"
                          f"{box.last_row + 1}, beyond the last cell of a sheet "
                          f"({column_letter(columns - 1)}{rows})")
