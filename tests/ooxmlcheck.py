"""Checks of a written .xlsx package against the rules of the format (ECMA-376) that neither
openpyxl nor LibreOffice enforce but Excel does: one zip entry per name, a content type for every
part, and the schema's element order in the parts a patcher writes or changes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

MAIN_NS = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
           "http://purl.oclc.org/ooxml/spreadsheetml/main")

#: The child sequence of each root element, as the schema (sml.xsd) orders it.
SEQUENCES: dict[str, tuple[str, ...]] = {
    "workbook": ("fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews",
                 "sheets", "functionGroups", "externalReferences", "definedNames", "calcPr",
                 "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
                 "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst"),
    "worksheet": ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData",
                  "sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter",
                  "sortState", "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr",
                  "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions",
                  "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
                  "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing",
                  "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects",
                  "controls", "webPublishItems", "tableParts", "extLst"),
    "comments": ("authors", "commentList", "extLst"),
}
#: Elements the schema lets repeat (maxOccurs > 1) in these sequences.
REPEATABLE = {"conditionalFormatting"}


def local(tag: str) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree tag."""
    if tag.startswith("{"):
        ns, name = tag[1:].split("}", 1)
        return ns, name
    return "", tag


def order_problems(xml: bytes) -> list[str]:
    """Where the children of the root break the schema's sequence (empty when in order)."""
    root = ET.fromstring(xml)
    ns, root_name = local(root.tag)
    sequence = SEQUENCES.get(root_name)
    if sequence is None or ns not in MAIN_NS:
        return []
    problems = []
    last = -1
    for child in root:
        child_ns, name = local(child.tag)
        if child_ns != ns:
            continue  # mc:AlternateContent and extensions of other namespaces
        if name not in sequence:
            problems.append(f"unknown element {name}")
            continue
        at = sequence.index(name)
        if at < last or (at == last and name not in REPEATABLE):
            problems.append(f"{name} after {sequence[last]}")
        last = max(last, at)
    if root_name == "worksheet":
        problems += _row_order(root, ns)
    return problems


def _row_order(root: ET.Element, ns: str) -> list[str]:
    """Rows in ascending order, each row's cells in ascending columns of that row."""
    from intake.definition.cells import column_index

    problems = []
    data = root.find(f"{{{ns}}}sheetData")
    last_row = 0
    for row in [] if data is None else data.findall(f"{{{ns}}}row"):
        number = int(row.get("r", last_row + 1))
        if number <= last_row:
            problems.append(f"row {number} after row {last_row}")
        last_row = number
        last_col = -1
        for cell in row.findall(f"{{{ns}}}c"):
            ref = cell.get("r")
            if ref is None:
                last_col += 1
                continue
            m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
            if m is None or int(m.group(2)) != number:
                problems.append(f"cell {ref} in row {number}")
                continue
            col = column_index(m.group(1))
            if col <= last_col:
                problems.append(f"cell {ref} out of order")
            last_col = col
    return problems


def content_type_problems(package: zipfile.ZipFile) -> list[str]:
    """Parts without a content type, and overrides naming parts that do not exist."""
    root = ET.fromstring(package.read("[Content_Types].xml"))
    defaults = {d.get("Extension", "").lower() for d in root if local(d.tag)[1] == "Default"}
    overrides = {o.get("PartName", "") for o in root if local(o.tag)[1] == "Override"}
    names = [n for n in package.namelist() if not n.endswith("/")]
    problems = [f"no content type for {n}" for n in names if n != "[Content_Types].xml"
                and "/" + n not in overrides
                and n.rsplit(".", 1)[-1].lower() not in defaults]
    problems += [f"override for missing part {o}" for o in overrides if o[1:] not in names]
    return problems


def package_problems(path: Path, original: Path | None = None) -> list[str]:
    """Everything wrong with the package at `path`: zip, content types, and the element order
    of its workbook, worksheets and comments parts (only those differing from `original`)."""
    problems = []
    with zipfile.ZipFile(path) as package:
        names = package.namelist()
        if len(names) != len(set(names)):
            problems.append("a name occurs twice in the zip")
        if package.testzip() is not None:
            problems.append("a zip entry is damaged")
        problems += content_type_problems(package)
        before: dict[str, bytes] = {}
        if original is not None and zipfile.is_zipfile(original):
            with zipfile.ZipFile(original) as source:
                before = {n: source.read(n) for n in source.namelist()
                          if n.lower().endswith(".xml")}
        for name in names:
            if not name.lower().endswith(".xml"):
                continue
            data = package.read(name)
            if before.get(name) == data:
                continue
            problems += [f"{name}: {p}" for p in order_problems(data)]
    return problems


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if local(c.tag)[1] == name]


def _fallback_view(element: ET.Element) -> ET.Element:
    """`element` as a consumer reads it that does not understand an mc:Choice: each
    mc:AlternateContent replaced by the children of its mc:Fallback."""
    mc = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
    view = ET.Element(element.tag, element.attrib)
    for child in element:
        if child.tag == f"{mc}AlternateContent":
            for branch in child:
                if branch.tag == f"{mc}Fallback":
                    view.extend(list(_fallback_view(branch)))
        else:
            view.append(child)
    return view


def _descendants(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element.iter() if local(c.tag)[1] == name]


def _rels(package: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id → target path of `part`."""
    folder, name = part.rsplit("/", 1) if "/" in part else ("", part)
    rels = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
    if rels not in package.namelist():
        return {}
    out = {}
    for rel in ET.fromstring(package.read(rels)):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        path = target.lstrip("/") if target.startswith("/") else _join(folder, target)
        out[rel.get("Id", "")] = path
    return out


def _join(folder: str, target: str) -> str:
    parts = [p for p in f"{folder}/{target}".split("/") if p and p != "."]
    out: list[str] = []
    for p in parts:
        if p == "..":
            if out:
                out.pop()
        else:
            out.append(p)
    return "/".join(out)


def cell_marks(path: Path) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """(sheet, cell) → (fill colour, comment text) for every cell with a fill or a comment,
    outside the Controle sheet, read from the package's XML (namespace-agnostic, so Strict
    packages too)."""
    out: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    with zipfile.ZipFile(path) as package:
        book_part = next(t for t in _rels(package, "").values()
                         if t.endswith(".xml") and "workbook" in t.rsplit("/", 1)[-1])
        book = ET.fromstring(package.read(book_part))
        book_rels = _rels(package, book_part)
        styles_part = next(t for t in book_rels.values() if t.endswith("styles.xml"))
        styles = ET.fromstring(package.read(styles_part))
        fills = []
        for fill in _descendants(_descendants(styles, "fills")[0], "fill"):
            fg = _descendants(fill, "fgColor")
            fills.append(fg[0].get("rgb") if fg else None)
        xfs = _children(_fallback_view(_descendants(styles, "cellXfs")[0]), "xf")
        xf_fill = [fills[int(xf.get("fillId", "0"))] for xf in xfs]
        for sheet in _descendants(book, "sheet"):
            rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), "")
            part = book_rels.get(rid)
            if part is None or "worksheets/" not in part:
                continue
            name = sheet.get("name", "")
            if name.casefold().startswith("controle"):
                continue  # the list of findings, not a sheet of the user's
            root = ET.fromstring(package.read(part))
            for cell in _descendants(root, "c"):
                rgb = xf_fill[int(cell.get("s", "0"))]
                if rgb and rgb not in ("FFFFFFFF",):
                    out[(name, cell.get("r", ""))] = (rgb, None)
            for target in _rels(package, part).values():
                if target.split("/")[-1].startswith("comments") and target in package.namelist():
                    comments = ET.fromstring(package.read(target))
                    for comment in _descendants(comments, "comment"):
                        text = "".join(t.text or "" for t in _descendants(comment, "t"))
                        ref = comment.get("ref", "")
                        out[(name, ref)] = (out.get((name, ref), (None, None))[0], text)
    return out
