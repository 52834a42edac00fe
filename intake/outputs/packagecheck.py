"""A check of our own output: the feedback package against the package it was made from.

Run on every feedback package before it is handed out. What a patch of ours could break and no
exception shows: a changed part that is no longer namespace-aware XML, an element of ours in no
namespace or another one than its parent's, a `count=` that no longer matches the children, a
cell style index past the end of cellXfs, more or fewer than one selected tab. Parts the patch
left as they were are not judged, nor the rows of a worksheet it left as they were: a quirk of
the writer's is not ours to refuse.
"""

from __future__ import annotations

import io
import itertools
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from xml.parsers import expat

from intake.outputs.xmlparts import NS_MC
from intake.validation.extent import at_least
from intake.validation.ooxml import is_rel, read_rels

if TYPE_CHECKING:
    from _typeshed import SupportsRead, SupportsWrite

#: Parts up to this size are checked element by element; a larger one (a big worksheet, whose
#: rows are written by one tested routine, or a long Controle sheet) is parsed as a stream for
#: well-formedness only: a tree of a million elements costs seconds and hundreds of MB.
TREE_LIMIT = 1 << 20
#: The lists of styles.xml whose `count` a consumer may trust.
_COUNTED = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles",
            "dxfs")
_STYLE_INDEX = re.compile(rb'<(?:[\w.-]+:)?(?:c|row)\b[^>]*?\ss="(\d+)"')
_SELECTED = re.compile(rb"""<(?:[\w.-]+:)?sheetView\b[^>]*?\stabSelected\s*=\s*["'](?:1|true)""")
_SHEET_KINDS = ("worksheet", "chartsheet", "dialogsheet")


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, local = tag[1:].split("}", 1)
        return ns, local
    return "", tag


def _content(element: ET.Element) -> list[ET.Element]:
    """The children a consumer sees that does not understand an mc:Choice (its Fallback)."""
    out: list[ET.Element] = []
    for child in element:
        if child.tag == f"{{{NS_MC}}}AlternateContent":
            for branch in child:
                if branch.tag == f"{{{NS_MC}}}Fallback":
                    out += _content(branch)
        else:
            out.append(child)
    return out


class _Rows:
    """A part taken in blocks and cut after each row's end tag (`</row>`, left out): the
    pieces so far, and what follows the last one (all of it once the part has ended)."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.carry = b""
        self.count = 0

    def add(self, block: bytes) -> None:
        pieces = (self.carry + block).split(b"</row>")
        self.carry = pieces.pop()
        self.pieces += pieces
        self.count += len(pieces)


_CELL_REF = re.compile(rb'<(?:[\w.-]+:)?c\b[^>]*?\sr\s*=\s*["\']([A-Za-z]+[0-9]+)["\']')


def _twice(piece: bytes) -> set[bytes]:
    """The cell references that stand more than once in `piece`."""
    refs = _CELL_REF.findall(piece)
    return set() if len(set(refs)) == len(refs) else {r for r in refs if refs.count(r) > 1}


class RowPairs:
    """A worksheet before and after a patch, as far as it differs, fed in blocks as it is
    read (`old`) and as it is written (`new`), in any order, or read back from two packages
    (`_patched_rows`): its start up to its first row's end, every piece ending in a row's end
    tag that differs from the source's piece at the same place, and everything after the last
    row. A patch that changes rows (their styles, a cell added) keeps their number and order,
    so where the source has as many pieces this is well-formed XML when the patched part is:
    the pieces left out are the source's own, the writer's, not ours to judge. The pieces are
    compared in bulk (a row at a time in Python costs more than the parse it saves)."""

    def __init__(self) -> None:
        self._old, self._new = _Rows(), _Rows()
        self._kept: list[bytes] = []
        self._first = True
        #: Cell references a changed row has twice (and the source's row had not): a mark
        #: added beside the cell it should have styled (Excel repairs such a sheet).
        self.twice: set[bytes] = set()

    def old(self, block: bytes) -> None:
        self._old.add(block)
        self._pair()

    def new(self, block: bytes) -> None:
        self._new.add(block)
        self._pair()

    def _pair(self) -> None:
        old, new = self._old, self._new
        n = min(len(old.pieces), len(new.pieces))
        if not n:
            return
        if self._first:  # the start of the part, up to the first row's end: always kept
            self._check(old.pieces[0], new.pieces[0])
            self._kept.append(new.pieces[0])
            old.pieces[0] = new.pieces[0]
            self._first = False
        pairs = zip(old.pieces[:n], new.pieces[:n], strict=True)
        for before, after in itertools.compress(pairs, map(bytes.__ne__, old.pieces[:n],
                                                           new.pieces[:n])):
            self._check(before, after)
            self._kept.append(after)
        del old.pieces[:n], new.pieces[:n]

    def _check(self, before: bytes, after: bytes) -> None:
        """Note the cells a changed row has twice that it did not have twice before."""
        if after != before and (twice := _twice(after)):
            self.twice |= twice - _twice(before)  # the source's row read only then

    def patched(self) -> bytes | None:
        """Once both have been fed whole: the pieces that differ, joined into the part's XML;
        None where the pieces do not pair up (a patch that changed the number of rows, a
        prefixed sheet whose rows end otherwise, no row end tag at all): the whole part is
        then to be checked."""
        old, new = self._old, self._new
        if old.pieces or new.pieces or old.count != new.count or not new.count:
            return None
        return b"</row>".join([*self._kept, new.carry])  # the end, after the last row


class FedRead:
    """A stream of a worksheet that feeds every block read from it to one side of a RowPairs."""

    def __init__(self, stream: SupportsRead[bytes], side: Callable[[bytes], None]) -> None:
        self.stream, self.side = stream, side

    def read(self, size: int = -1) -> bytes:
        block = self.stream.read(size)
        self.side(block)
        return block


class FedWrite:
    """A stream of a worksheet that feeds every block written to it to one side of a
    RowPairs."""

    def __init__(self, stream: SupportsWrite[bytes], side: Callable[[bytes], None]) -> None:
        self.stream, self.side = stream, side

    def write(self, block: bytes) -> int:
        self.side(block)
        self.stream.write(block)
        return len(block)


def _patched_rows(source: zipfile.ZipFile, package: zipfile.ZipFile,
                  name: str) -> RowPairs | None:
    """The worksheet `name` of `package` paired with the same part of `source` (RowPairs),
    both read back from their packages."""
    if name not in source.namelist():
        return None
    pairs = RowPairs()
    with source.open(name) as before, package.open(name) as after:
        while True:
            old, new = before.read(1 << 22), after.read(1 << 22)
            if not (old or new):
                break
            pairs.old(old)
            pairs.new(new)
    return pairs


def _parses(package: zipfile.ZipFile, name: str, styles: int | None = None,
            source: zipfile.ZipFile | None = None, pairs: RowPairs | None = None) -> str | None:
    """None when the part is well-formed namespace-aware XML, else why not; with `styles` (the
    length of cellXfs), also when a cell or row of it has a style index past that end. One
    pass over the part, which may be a worksheet of a hundred MB; with `source`, the package
    it was patched from, only over the rows the patch changed (`_patched_rows`; `pairs`: those
    rows as they were fed while the part was patched, not read back), or over the whole part
    where those rows do not parse alone."""
    parser = expat.ParserCreate(namespace_separator=" ")
    past = re.compile(rb's="(' + at_least(styles) + rb')"') if styles is not None else None
    carry = b""
    if pairs is None and source is not None:
        pairs = _patched_rows(source, package, name)
    patched = pairs.patched() if pairs is not None else None
    if patched is not None and pairs is not None and pairs.twice:
        twice = ", ".join(sorted(ref.decode("ascii") for ref in pairs.twice)[:5])
        return f"{name}: a patched row has a cell twice ({twice})"
    try:
        with io.BytesIO(patched) if patched is not None else package.open(name) as stream:
            while block := stream.read(1 << 20):
                parser.Parse(block, False)
                if past is not None:
                    text = carry + block
                    for found in past.finditer(text):
                        tag = _STYLE_INDEX.match(text, text.rfind(b"<", 0, found.start()))
                        if tag is not None and int(tag.group(1)) >= (styles or 0):
                            return (f"{name}: a cell has style {tag.group(1).decode()}, "
                                    f"cellXfs has {styles}")
                    carry = text[-64:]
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        if patched is not None:
            # The changed rows alone were cut inside something that holds "</row>" as text
            # (a CDATA section, a comment): the whole part decides.
            return _parses(package, name, styles)
        return f"{name}: not XML ({exc})"
    return None


def _namespace_problems(name: str, root: ET.Element) -> list[str]:
    """Elements in no namespace, or in another one than their parent's where the parent is a
    list of the package's own (the lists a patch adds to)."""
    problems = []
    lists = {"Types", "Relationships", "fonts", "fills", "cellXfs", "sheets", "definedNames",
             "sheetData", "row", "authors", "commentList", "personList", "ThreadedComments"}
    for parent in root.iter():
        parent_ns, parent_local = _split(parent.tag)
        if not parent_ns:
            continue
        for child in parent:
            child_ns, child_local = _split(child.tag)
            if not child_ns:
                problems.append(f"{name}: <{child_local}> in no namespace inside <{parent_local}>")
            elif (parent_local in lists and child_ns != parent_ns and child_ns != NS_MC):
                problems.append(f"{name}: <{child_local}> in {child_ns} inside <{parent_local}>")
    return problems


def _count_problems(name: str, root: ET.Element, before: ET.Element | None) -> list[str]:
    """`count=` attributes of styles.xml's lists that differ from their children (where the
    original's did not already)."""
    def counts(tree: ET.Element) -> dict[str, tuple[str | None, int]]:
        out = {}
        for child in _content(tree):
            local = _split(child.tag)[1]
            if local in _COUNTED:
                out[local] = (child.get("count"), len(_content(child)))
        return out

    old = counts(before) if before is not None else {}
    problems = []
    for local, (count, children) in counts(root).items():
        if count is not None and count != str(children) and old.get(local) != (count, children):
            problems.append(f"{name}: <{local} count=\"{count}\"> has {children} children")
    return problems


def feedback_problems(original: Path, feedback: Path,
                      fed: Mapping[str, RowPairs] | None = None) -> list[str]:
    """What is wrong with the feedback package `feedback` made from `original` (empty: none).
    `fed`: worksheets whose rows were paired as they were patched (`RowPairs`, `FedRead`,
    `FedWrite`), by part name: they are not read back from both packages to find the rows
    that changed."""
    problems: list[str] = []
    with zipfile.ZipFile(original) as source, zipfile.ZipFile(feedback) as package:
        before = {info.filename: info.CRC for info in source.infolist()}
        changed = [info for info in package.infolist()
                   if before.get(info.filename) != info.CRC and not info.is_dir()]
        trees: dict[str, ET.Element] = {}
        large: list[str] = []  # parsed once, below, with the sheets' style indexes
        for info in changed:
            name = info.filename
            if not name.lower().endswith((".xml", ".rels", ".vml")):
                continue
            if name.lower().endswith(".vml") and name in before and _parses(source, name):
                continue  # the writer's VML was no XML (Excel writes <br>): not ours to judge
            if info.file_size > TREE_LIMIT:
                large.append(name)
                continue
            if (why := _parses(package, name)) is not None:
                problems.append(why)
                continue
            if not name.lower().endswith(".vml"):
                trees[name] = ET.fromstring(package.read(name))
                problems += _namespace_problems(name, trees[name])
        if problems:
            return problems
        problems += _workbook_problems(source, package, trees, changed, large, fed or {})
    return problems


def _workbook_problems(source: zipfile.ZipFile, package: zipfile.ZipFile,
                       trees: dict[str, ET.Element], changed: list[zipfile.ZipInfo],
                       large: list[str], fed: Mapping[str, RowPairs]) -> list[str]:
    """Counts of styles.xml, style indexes of the changed sheets (each parsed here, the large
    ones for the first time), the one selected tab; the other `large` parts parsed."""
    problems: list[str] = []
    book_part = next((r.target for r in read_rels(package, "")
                      if r.type.endswith("/officeDocument")), None)
    if book_part is None or book_part not in package.namelist():
        return ["the package has no workbook part"]
    rels = read_rels(package, book_part)
    styles = next((r.target for r in rels if r.type.endswith("/styles")), None)
    xf_count = 0
    if styles is not None and styles in package.namelist():
        root = trees[styles] if styles in trees else ET.fromstring(package.read(styles))
        original = (ET.fromstring(source.read(styles)) if styles in source.namelist()
                    and styles in trees else None)
        problems += _count_problems(styles, root, original)
        xfs = next((c for c in _content(root) if _split(c.tag)[1] == "cellXfs"), None)
        xf_count = len(_content(xfs)) if xfs is not None else 0
    sheet_parts = {r.target for r in rels if not r.external
                   and (any(is_rel(r.type, kind) for kind in _SHEET_KINDS)
                        or r.type.endswith(("/xlMacrosheet", "/xlIntlMacrosheet")))}
    changed_names = {info.filename for info in changed}
    selected = 0
    for part in sorted(sheet_parts & set(package.namelist())):
        with package.open(part) as stream:
            head = stream.read(1 << 18)
        selected += bool(_SELECTED.search(head))
        if part in changed_names and (why := _parses(package, part, xf_count, source,
                                                     fed.get(part))):
            problems.append(why)
    if selected != 1:
        problems.append(f"{selected} tabs are selected, not one")
    problems += [why for name in large if name not in sheet_parts
                 if (why := _parses(package, name)) is not None]
    return problems
