"""feedback.xlsx: the user's own workbook back, with the wrong cells marked and a Controle sheet.

Every cell with an error is filled red and every cell with only warnings amber, each with a
comment holding the messages; a new first sheet *Controle* lists every finding with a link to
its cell. Everything else in the workbook is kept, because the package is patched as a stream
(`intake.outputs.xlsxpatch`) instead of being loaded and re-saved. The input file is never modified.
For .xls, .xlsb and .ods input the same data is first written to a new .xlsx.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import shutil
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from intake.definition.cells import column_index
from intake.definition.findings import Finding
from intake.definition.messages import LANGS, UI, Lang, delivered_note, next_step
from intake.definition.status import Door
from intake.outputs.behind import WriteBehind
from intake.outputs.files import NO_ROOM
from intake.outputs.layout import row_height, shown_time
from intake.outputs.packagecheck import FedRead, FedWrite, RowPairs, feedback_problems
from intake.outputs.xlsxpatch import (
    CONTROLE_NAME,
    CT_COMMENTS,
    CT_VML,
    CT_WORKSHEET,
    FILL_RGB,
    REL_PERSON,
    REL_THREADED,
    CommentsPart,
    PackageError,
    Severity,
    SheetPatch,
    StylePool,
    add_relationships,
    free_id,
    merge_comments,
    merge_threads,
    merge_vml,
    patch_sheet,
    vml_xml,
    with_our_person,
    write_values_package,
    xml_text,
)
from intake.outputs.xmlparts import PartError, apply, insert_children, parse, qualify
from intake.validation.ooxml import (
    TRANSITIONAL,
    Namespaces,
    Relationship,
    attrs,
    is_rel,
    namespaces_of,
    read_rels,
    rels_path_of,
)
from intake.validation.timelimit import TimeLimitExceeded
from intake.validation.validate import Result

#: At most this many cells get a comment (all marked cells get their fill regardless).
MAX_COMMENTS = 10_000
#: At most this many findings are listed on the Controle sheet (report.json has all).
MAX_CONTROLE_ROWS = 100_000
CONTROLE_SHEET = "Controle"
#: Column widths of the Controle sheet: severity, sheet, cell, field, value, problem, fix, code.
CONTROLE_WIDTHS = (16, 13, 13, 22, 22, 46, 40, 24)


#: A workbook's name as feedback_name makes it: its name, -feedback, and from the second round
#: on the round's number.
_FEEDBACK_STEM = re.compile(r"(?P<name>.+)-feedback(?:-(?P<round>[0-9]+))?", re.IGNORECASE)


def feedback_round(workbook: Path) -> tuple[str, int]:
    """The workbook's own name and which round of checking this is: `noord.xlsx` is round 1 of
    `noord`, its feedback `noord-feedback.xlsx` (corrected and checked again) round 2,
    `noord-feedback-2.xlsx` round 3."""
    found = _FEEDBACK_STEM.fullmatch(workbook.stem)
    if found is None:
        return workbook.stem, 1
    return found["name"], int(found["round"] or 1) + 1


def feedback_name(workbook: Path) -> str:
    """The feedback workbook's name: the workbook's own name with -feedback, numbered from the
    second round on (`noord.xlsx` → `noord-feedback.xlsx` → `noord-feedback-2.xlsx` …), so a
    round never takes the name of the one before. .xlsm for a macro workbook (Excel refuses
    macros in .xlsx), else .xlsx."""
    name, round_number = feedback_round(workbook)
    suffix = ".xlsm" if workbook.suffix.lower() == ".xlsm" else ".xlsx"
    tail = f"-feedback{'' if round_number == 1 else f'-{round_number}'}{suffix}"
    # A file name holds at most 255 bytes: a long name gives up its end, never the tail.
    while name and len((name + tail).encode("utf-8", "surrogateescape")) > 255:
        name = name[:-1]
    return f"{name or 'werkmap'}{tail}"


def write_feedback(result: Result, out_dir: Path, lang: Lang = "nl",
                   checked_at: str | None = None,
                   delivered: tuple[int, int] | None = None,
                   door: Door = Door.COMMAND_LINE) -> Path:
    """Write the marked copy of `result.path` into `out_dir`; return its path. `delivered`:
    how many employers and DGAs were delivered, where a batch delivered fewer than were
    accepted (the Controle sheet then says both); `door`: how the file came in, for the next
    step the Controle sheet tells."""
    target = out_dir / feedback_name(result.path)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".feedback-") as work:
        source = result.path
        partial = Path(work) / target.name
        skip = {f.sheet for f in result.findings if f.code == "sheet-too-large" and f.sheet}
        if source.suffix.lower() not in (".xlsx", ".xlsm"):
            source = _as_xlsx(source, Path(work) / "converted.xlsx", skip)
            patch_package(source, partial, result, lang, checked_at, delivered=delivered,
                          door=door)
        else:
            try:
                fed = patch_package(source, partial, result, lang, checked_at,
                                    delivered=delivered, door=door)
                if problems := feedback_problems(source, partial, fed):
                    # Our own patch broke the package: the values copy is handed out instead.
                    raise PackageError("; ".join(problems[:5]))
            except TimeLimitExceeded:
                raise  # a time-out is not a package this patcher cannot follow
            except Exception as exc:
                if isinstance(exc, OSError) and exc.errno in NO_ROOM:
                    raise  # nor is a full disk or the output limit: told as what it is
                # A package the values could be read from but this patcher cannot follow
                # (odd or damaged XML): give the same values back in a new workbook instead.
                source = _as_xlsx(source, Path(work) / "converted.xlsx", skip)
                patch_package(source, partial, result, lang, checked_at, values_only=True,
                              delivered=delivered, door=door)
        partial.replace(target)
    return target


def _as_xlsx(source: Path, target: Path, skip: set[str]) -> Path:
    """The values of every sheet of a .xls/.xlsb/.ods workbook but those in `skip` (over the
    cell limit), at the same cells, as .xlsx. A panic of the reader is named, not hidden."""
    from intake.validation.reader import calamine_guard

    with calamine_guard(source):
        return _values_as_xlsx(source, target, skip)


def _values_as_xlsx(source: Path, target: Path, skip: set[str]) -> Path:
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(source))
    sheets: list[tuple[str, int, int, Sequence[Sequence[object]]]] = []
    for name in book.sheet_names:
        if name in skip:
            continue
        try:
            if _is_our_controle(book, name):
                continue  # an earlier run's Controle sheet: a new one takes its place
            sheet = book.get_sheet_by_name(name)
            data = sheet.to_python(skip_empty_area=True)
        except TimeLimitExceeded:
            raise
        except Exception:  # a damaged sheet the validation did not need: left out
            continue
        top, left = (sheet.start or (0, 0)) if data else (0, 0)
        sheets.append((name, top, left, data))
    write_values_package(target, sheets)
    return target


def _is_our_controle(book: object, name: str) -> bool:
    """True for a Controle sheet written by an earlier run (its A1 holds our title)."""
    if not name.startswith(CONTROLE_SHEET):
        return False
    rows = book.get_sheet_by_name(name).to_python(nrows=1)  # type: ignore[attr-defined]
    first = str(rows[0][0]) if rows and rows[0] else ""
    return any(first.startswith(f"{UI[lang]['title']}:") for lang in LANGS)


def _marks(findings: list[Finding], lang: Lang) -> tuple[
        dict[str, dict[int, dict[int, Severity]]], dict[str, dict[str, str]]]:
    """Per sheet: the severity to show per (row, column), and the comment text per cell."""
    marks: dict[str, dict[int, dict[int, Severity]]] = defaultdict(lambda: defaultdict(dict))
    notes: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for f in findings:
        if f.sheet is None or f.row is None or f.column is None:
            continue
        row = marks[f.sheet][f.row]
        col = column_index(f.column)
        if row.get(col) != "error":
            row[col] = f.severity
        _, message, hint = f.texts(lang)
        if not message.endswith((".", "?", "!", ")")):
            message += "."  # two sentences never run together
        notes[f.sheet][f"{f.column}{f.row}"].append(f"{message} {hint}")
    return ({s: dict(r) for s, r in marks.items()},
            {s: {ref: "\n\n".join(texts) for ref, texts in cells.items()}
             for s, cells in notes.items()})


def patch_package(source: Path, target: Path, result: Result, lang: Lang,
                  checked_at: str | None = None, values_only: bool = False,
                  delivered: tuple[int, int] | None = None,
                  door: Door = Door.COMMAND_LINE) -> dict[str, RowPairs]:
    """Write `target`: the package at `source` with marks, comments and a Controle sheet.
    Returns each patched worksheet's rows, paired as they were read and written (for
    `feedback_problems`)."""
    marks, notes = _marks(result.findings, lang)
    budget = MAX_COMMENTS
    with zipfile.ZipFile(source) as zin:
        names = zin.namelist()
        book_part = _workbook_part(zin)
        book_rels = read_rels(zin, book_part)
        by_id = {r.id: r for r in book_rels}
        book_xml = zin.read(book_part).decode("utf-8")
        ns = namespaces_of(book_xml)
        sheets = [(attrs(tag)) for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", book_xml)]
        sheet_part = {}
        for a in sheets:
            rid = next((v for k, v in a.items() if k.endswith(":id")), None)
            if rid in by_id and is_rel(by_id[rid].type, "worksheet"):
                sheet_part[a["name"]] = by_id[rid].target
        styles_rel = next((r for r in book_rels if r.type.endswith("/styles")), None)
        if styles_rel is None:
            raise PackageError("the workbook has no styles part")
        pool = StylePool(zin.read(styles_rel.target).decode("utf-8"))
        for severity, rgb in FILL_RGB.items():
            pool.add_font_format(severity, _FONTS["plain"], rgb, wrap=False)
        pool.add_font_format("plain", _FONTS["plain"])
        pool.add_font_format("line", _FONTS["plain"], wrap=False)
        pool.add_font_format("bold", _FONTS["bold"], wrap=False)
        pool.add_font_format("title", _FONTS["title"], wrap=False)
        pool.add_font_format("link", _FONTS["link"], wrap=False)
        pool.add_font_format("count", _FONTS["plain"], wrap=False, horizontal="right")
        pool.add_font_format("count_head", _FONTS["bold"], wrap=False, horizontal="right")
        pool.add_font_format("bold_wrap", _FONTS["bold"])

        # The Controle sheet: replace ours from an earlier run in place, or add it first.
        controle_sheet = _our_controle(book_xml)
        new_parts: dict[str, str] = {}
        rels_out: dict[str, str] = {}
        replaced: dict[str, str] = {}
        if controle_sheet and controle_sheet in sheet_part:
            controle_part = sheet_part[controle_sheet]
        else:
            controle_sheet = _free_name(CONTROLE_SHEET, {a["name"] for a in sheets})
            controle_part = _free_part("xl/worksheets/sheet", ".xml", names)
            rid = free_id({r.id for r in book_rels})
            book_xml = _add_first_sheet(book_xml, controle_sheet, rid, sheets, ns)
            rels_out[rels_path_of(book_part)] = add_relationships(
                _maybe(zin, rels_path_of(book_part)),
                [(rid, ns.rel_type("worksheet"), posixpath.relpath(controle_part,
                                                        posixpath.dirname(book_part)))])
            new_parts[controle_part] = CT_WORKSHEET
        book_xml = _select_first_tab(book_xml)
        controle_xml, header_row = _controle_xml(result, pool, lang, checked_at, values_only,
                                                 ns, delivered, door)
        book_xml = _with_print_titles(book_xml, controle_sheet, header_row)
        # Exactly one selected tab, Controle's: a chart, dialog or macro sheet loses its too.
        for a in sheets:
            rid = next((v for k, v in a.items() if k.endswith(":id")), None)
            other = by_id.get(rid or "")
            if (other is not None and not other.external and other.target in names
                    and not is_rel(other.type, "worksheet")
                    and "tabSelected" in _peek(zin, other.target)):
                replaced[other.target] = _unselected(zin.read(other.target).decode("utf-8"))

        persons_rel = next((r for r in book_rels if r.type == REL_PERSON), None)
        persons: tuple[str, str] | None = None
        if persons_rel is not None and persons_rel.target in names:
            persons = with_our_person(zin.read(persons_rel.target).decode("utf-8"))
            replaced[persons_rel.target] = persons[0]
        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.00")

        # Which worksheets to stream, with what marks and which comment parts.
        data_sheets = {d.sheet for d in (result.werkgevers, result.dga) if d.sheet}
        patches: dict[str, SheetPatch] = {}
        heads: dict[str, str] = {}  # once per part, however many sheet entries name it
        block = 1
        for name, part in sheet_part.items():
            if part == controle_part:
                continue
            sheet_marks = marks.get(name, {})
            if part not in heads:
                heads[part] = _peek(zin, part)
            head = heads[part]
            if not sheet_marks and name not in data_sheets and "tabSelected" not in head:
                continue
            patch = SheetPatch(marks=sheet_marks, rel_ns=ns.rel)
            patches[part] = patch
            block += 1
            sheet_notes = dict(list(notes.get(name, {}).items())[:max(budget, 0)])
            budget -= len(sheet_notes)
            sheet_rels = read_rels(zin, part)
            comments = next((r for r in sheet_rels if is_rel(r.type, "comments")), None)
            vml = _notes_drawing(zin, sheet_rels)
            if comments is None and not sheet_notes:
                continue
            folder = posixpath.dirname(part)
            new_rels: list[tuple[str, str, str]] = []
            taken = {r.id for r in sheet_rels}
            if comments is not None and comments.target in names:
                comments_part = comments.target
                part_xml = CommentsPart.parse(zin.read(comments_part).decode("utf-8"))
            else:
                comments_part = _free_part("xl/comments", ".xml", names, new_parts)
                new_parts[comments_part] = CT_COMMENTS
                part_xml = CommentsPart.new(ns.main)
                new_rels.append((free_id(taken), ns.rel_type("comments"),
                                 posixpath.relpath(comments_part, folder)))
            removed, added = merge_comments(part_xml, sheet_notes)
            replaced[comments_part] = part_xml.render()
            threads = next((r for r in sheet_rels if r.type == REL_THREADED), None)
            if threads is not None and persons is not None and threads.target in names:
                # Excel 365 shows the thread, not the legacy comment: reply in the thread too.
                replaced[threads.target] = merge_threads(
                    zin.read(threads.target).decode("utf-8"), sheet_notes, persons[1], when)
            if vml is not None:
                replaced[vml] = merge_vml(zin.read(vml).decode("utf-8"), removed, added)
            else:
                vml_part = _free_part("xl/drawings/vmlDrawing", ".vml", names, new_parts)
                new_parts[vml_part] = CT_VML
                replaced[vml_part] = vml_xml(sorted(added), block)
                vml_rid = free_id(taken)
                new_rels.append((vml_rid, ns.rel_type("vmlDrawing"),
                                 posixpath.relpath(vml_part, folder)))
                patch.legacy_rid = vml_rid
            if new_rels:
                rels_out[rels_path_of(part)] = add_relationships(
                    _maybe(zin, rels_path_of(part)), new_rels)

        fed: dict[str, RowPairs] = {}
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
            for info in zin.infolist():
                name = info.filename
                if name in (styles_rel.target, controle_part) or name in replaced:
                    continue
                if name == "[Content_Types].xml":
                    zout.writestr(name, _content_types(zin.read(name).decode("utf-8"),
                                                       new_parts))
                elif name == book_part:
                    zout.writestr(name, book_xml)
                elif name in rels_out:
                    zout.writestr(name, rels_out.pop(name))
                elif name in patches:
                    fed[name] = pairs = RowPairs()
                    with zin.open(info) as src, zout.open(name, "w", force_zip64=True) as dst, \
                            WriteBehind(dst) as behind:
                        patch_sheet(FedRead(src, pairs.old), FedWrite(behind, pairs.new),
                                    patches[name], pool)
                else:
                    with zin.open(info) as src, zout.open(name, "w", force_zip64=True) as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
            for name, text in {**rels_out, **replaced}.items():
                zout.writestr(name, text)
            zout.writestr(controle_part, controle_xml)
            zout.writestr(styles_rel.target, pool.render())
    return fed


_FONTS = {
    "plain": '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>',
    "bold": '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>',
    "title": '<font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font>',
    "link": '<font><u/><sz val="11"/><color rgb="FF0563C1"/><name val="Calibri"/>'
            '<family val="2"/></font>',
}


def _workbook_part(zin: zipfile.ZipFile) -> str:
    for rel in read_rels(zin, ""):
        if rel.type.endswith("/officeDocument"):
            return rel.target
    raise PackageError("the package has no workbook part")


def _maybe(zin: zipfile.ZipFile, name: str) -> str | None:
    try:
        return zin.read(name).decode("utf-8")
    except KeyError:
        return None


def _notes_drawing(zin: zipfile.ZipFile, sheet_rels: list[Relationship]) -> str | None:
    """The sheet's VML drawing for notes and controls (its <legacyDrawing>), if it has one.

    A sheet can also have a VML drawing of header and footer images (<legacyDrawingHF>): that one
    holds no client data and is left alone.
    """
    for rel in sheet_rels:
        if is_rel(rel.type, "vmlDrawing") and not rel.external and rel.target in zin.namelist():
            with zin.open(rel.target) as handle:
                if b"ClientData" in handle.read(1 << 24):
                    return rel.target
    return None


def _peek(zin: zipfile.ZipFile, part: str) -> str:
    with zin.open(part) as handle:
        return handle.read(16384).decode("utf-8", errors="replace")


def _free_part(stem: str, suffix: str, names: list[str], taken: dict[str, str] | None = None,
               ) -> str:
    n = 1
    while f"{stem}{n}{suffix}" in names or f"{stem}{n}{suffix}" in (taken or {}):
        n += 1
    return f"{stem}{n}{suffix}"


def _free_name(name: str, taken: set[str]) -> str:
    """`name`, or `name (2)` …: a sheet name not in `taken`, compared without case as Excel does."""
    folded = {t.casefold() for t in taken}
    if name.casefold() not in folded:
        return name
    n = 2
    while f"{name} ({n})".casefold() in folded:
        n += 1
    return f"{name} ({n})"


def _our_controle(book_xml: str) -> str | None:
    m = re.search(rf'<(?:\w+:)?definedName\b[^>]*name="{CONTROLE_NAME}"[^>]*>(.*?)<', book_xml,
                  re.S)
    if m is None:
        return None
    ref = m.group(1).replace("&apos;", "'")
    sheet = ref.rsplit("!", 1)[0]
    return sheet[1:-1].replace("''", "'") if sheet.startswith("'") else sheet


def _add_first_sheet(book_xml: str, name: str, rid: str, sheets: list[dict[str, str]],
                     ns: Namespaces) -> str:
    sheet_id = max((int(a.get("sheetId", "0")) for a in sheets), default=0) + 1
    opening = re.search(r"<((?:\w+:)?)sheets\b[^>]*>", book_xml)
    if opening is None:
        raise PackageError("workbook.xml has no sheets")
    prefix = opening.group(1)
    element = (f'<{prefix}sheet xmlns:r="{ns.rel}" name="{xml_text(name)}" sheetId="{sheet_id}" '
               f'r:id="{rid}"/>')
    book_xml = book_xml[:opening.end()] + element + book_xml[opening.end():]
    # Defined names scoped to a sheet refer to it by position: every position moves up one.
    book_xml = re.sub(r'(\blocalSheetId=")(\d+)(")',
                      lambda m: f"{m.group(1)}{int(m.group(2)) + 1}{m.group(3)}", book_xml)
    quoted = "'" + name.replace("'", "''") + "'"
    defined = (f'<{prefix}definedName name="{CONTROLE_NAME}" hidden="1">'
               f"{xml_text(quoted)}!$A$1</{prefix}definedName>")
    return _add_defined_name(book_xml, prefix, defined)


#: The elements of workbook.xml that the schema puts after <definedNames>.
_AFTER_DEFINED_NAMES = ("calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr",
                        "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects",
                        "extLst")


def _add_defined_name(book_xml: str, prefix: str, defined: str) -> str:
    """workbook.xml with `defined` in its one <definedNames>, made where the schema wants it."""
    p = re.escape(prefix)
    existing = re.search(rf"<{p}definedNames\b[^>]*?(/?)>", book_xml)
    if existing and existing.group(1):  # <definedNames/>: open it up
        return (book_xml[:existing.start()] + f"<{prefix}definedNames>{defined}"
                f"</{prefix}definedNames>" + book_xml[existing.end():])
    if existing:
        close = book_xml.index(f"</{prefix}definedNames>", existing.end())
        return book_xml[:close] + defined + book_xml[close:]
    sheets = re.search(rf"</{p}sheets>|<{p}sheets\b[^>]*/>", book_xml)
    end = book_xml.rfind(f"</{prefix}workbook>")
    if sheets is None or end < 0:
        raise PackageError("workbook.xml has no sheets or no end tag")
    # Searched after the sheets only: a <workbookView> may hold an <extLst> of its own.
    followers = [sheets.end() + m.start() for name in _AFTER_DEFINED_NAMES
                 if (m := re.search(rf"<{p}{name}\b", book_xml[sheets.end():]))]
    at = min(followers, default=end)
    return (book_xml[:at] + f"<{prefix}definedNames>{defined}</{prefix}definedNames>"
            + book_xml[at:])


def _select_first_tab(book_xml: str) -> str:
    def fix(m: re.Match[str]) -> str:
        tag = re.sub(r'\s(activeTab|firstSheet)="\d+"', "", m.group(0))
        return tag.replace(m.group(1), f'{m.group(1)} activeTab="0"', 1)

    return re.sub(r"(<(?:\w+:)?workbookView\b)[^>]*>", fix, book_xml)


def _content_types(text: str, new_parts: dict[str, str]) -> str:
    """[Content_Types].xml with the new parts listed, in the prefix it uses for its namespace."""
    try:
        root = parse(text)
    except PartError as exc:
        raise PackageError(f"[Content_Types].xml: {exc}") from exc
    additions = "".join(f'<Override PartName="/{part}" ContentType="{ctype}"/>'
                        for part, ctype in new_parts.items() if ctype != CT_VML)
    has_vml = any(c.ns == root.ns and c.local == "Default"
                  and c.attrs.get("Extension", "").lower() == "vml" for c in root.content())
    if any(ctype == CT_VML for ctype in new_parts.values()) and not has_vml:
        additions += f'<Default Extension="vml" ContentType="{CT_VML}"/>'
    return apply(text, insert_children(text, root, qualify(additions, root.prefix)))


_TAB_SELECTED = re.compile(r"""(<(?:[\w.-]+:)?sheetView\b[^>]*?)\s+tabSelected\s*=\s*(["'])"""
                           r"""(?:1|true)\2""")


def _unselected(sheet_xml: str) -> str:
    """A sheet part (chart, dialog or macro sheet) with none of its views selected."""
    return _TAB_SELECTED.sub(r"\1", sheet_xml)


def _controle_xml(result: Result, pool: StylePool, lang: Lang, checked_at: str | None,
                  values_only: bool = False, ns: Namespaces = TRANSITIONAL,
                  delivered: tuple[int, int] | None = None,
                  door: Door = Door.COMMAND_LINE) -> tuple[str, int]:
    """The Controle sheet's XML and the row of its findings' header (repeated on every printed
    page). On top: the title, the totals (counts right-aligned under their headers), the
    verdict and the next step for `door`, each long line across the whole width, wrapped."""
    ui = UI[lang]
    style = pool.extra
    rows: list[list[tuple[str | int, int]]] = []
    spans: list[int] = []  # rows whose one text spans every column (merged, wrapped)
    links: list[tuple[str, str]] = []
    when = checked_at or shown_time(dt.datetime.now(dt.UTC))

    def spanning(text: str, kind: str) -> None:
        spans.append(len(rows) + 1)
        rows.append([(text, style[kind])])

    spanning(f"{ui['title']}: {result.path.name}", "title")
    spanning(f"{ui['checked_at']} {when}", "line")
    rows.append([])
    sheets = (result.werkgevers, result.dga)
    if delivered is not None and all(n == data.accepted for n, data in zip(delivered, sheets,
                                                                           strict=True)):
        delivered = None  # as accepted: nothing to add
    heads: list[tuple[str | int, int]] = [("", style["bold"]),
                                          (ui["rows"], style["count_head"]),
                                          (ui["accepted"], style["count_head"]),
                                          (ui["rejected"], style["count_head"])]
    if delivered:
        heads.append((ui["delivered"], style["count_head"]))
    rows.append(heads)
    for n, data in enumerate(sheets):
        counts = data.counts()
        totals: list[tuple[str | int, int]] = [
            (data.spec.name, style["bold"]), (counts["rows"], style["count"]),
            (counts["accepted"], style["count"]), (counts["rejected"], style["count"])]
        if delivered:
            totals.append((delivered[n], style["count"]))
        rows.append(totals)
    rows.append([(ui["errors"], style["bold"]), (result.errors, style["error"])])
    rows.append([(ui["warnings"], style["bold"]), (result.warnings, style["warning"])])
    rows.append([])
    fewer = delivered is not None and delivered[0] < result.werkgevers.accepted
    spanning(ui["ok_short" if fewer else "ok"] if result.valid else ui["not_ok"], "bold_wrap")
    if delivered is not None and fewer:
        spanning(delivered_note(delivered[0], result.werkgevers.accepted, lang), "plain")
    spanning(f"{ui['next_step']}: " + next_step(
        door, result.status, lang, workbook=result.path.name,
        feedback=feedback_name(result.path), accepted=result.werkgevers.accepted,
        rows=len(result.werkgevers), marked=result.marked), "plain")
    if values_only:
        spanning(ui["values_copy"], "bold_wrap")
    rows.append([])
    header_row = len(rows) + 1
    if not result.findings:
        rows.append([(ui["no_findings"], style["bold"])])
    else:
        rows.append([(ui[k], style["bold_wrap"]) for k in
                     ("severity", "sheet", "cell", "field", "value", "problem", "fix", "code")])
    for f in result.findings[:MAX_CONTROLE_ROWS]:
        row_number = len(rows) + 1
        if f.cell and f.sheet:
            quoted = "'" + f.sheet.replace("'", "''") + "'"
            links.append((f"C{row_number}", f"{quoted}!{f.cell}"))
        label, message, hint = f.texts(lang)
        rows.append([(ui[f.severity], style[f.severity]), (f.sheet or "", style["plain"]),
                     (f.cell or "", style["link"] if f.cell else style["plain"]),
                     (label, style["plain"]), (f.value or "", style["plain"]),
                     (message, style["plain"]), (hint, style["plain"]),
                     (f.code, style["plain"])])
    if len(result.findings) > MAX_CONTROLE_ROWS:
        rows.append([(ui["shown_of"].format(shown=MAX_CONTROLE_ROWS, total=len(result.findings),
                                            where="report.json"), style["bold"])])

    body = []
    widths = CONTROLE_WIDTHS
    wrapped = (style["plain"], style["bold_wrap"])
    for r, cells in enumerate(rows, start=1):
        xml_cells = "".join(_controle_cell(f"{chr(65 + c)}{r}", value, s)
                            for c, (value, s) in enumerate(cells) if value != "")
        if r in spans:
            # Bold runs about a tenth wider than the estimate's plain text.
            height = row_height((str(value), sum(widths) * (0.9 if s != style["plain"] else 1))
                                for value, s in cells if s in wrapped)
        else:
            height = row_height((str(value), widths[c] * (0.9 if s != style["plain"] else 1))
                                for c, (value, s) in enumerate(cells) if s in wrapped)
        custom = f' ht="{height}" customHeight="1"' if height else ""
        body.append(f'<row r="{r}"{custom}>{xml_cells}</row>')
    last = chr(64 + len(widths))
    merged = "".join(f'<mergeCell ref="A{r}:{last}{r}"/>' for r in spans)
    hyperlinks = "".join(f'<hyperlink ref="{ref}" location="{xml_text(loc)}" '
                         f'display="{xml_text(loc)}"/>' for ref, loc in links)
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                   for i, w in enumerate(widths, start=1))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{ns.main}" xmlns:r="{ns.rel}">'
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
            f'<pane ySplit="{header_row}" topLeftCell="A{header_row + 1}" activePane="bottomLeft" '
            'state="frozen"/></sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            f"<cols>{cols}</cols><sheetData>{''.join(body)}</sheetData>"
            f'<mergeCells count="{len(spans)}">{merged}</mergeCells>'
            + (f"<hyperlinks>{hyperlinks}</hyperlinks>" if hyperlinks else "")
            + PRINT_SETUP + "</worksheet>", header_row)


#: How a sheet of ours prints: A4 landscape, one page wide, the page number below.
PRINT_SETUP = ('<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" '
               'footer="0.3"/><pageSetup paperSize="9" orientation="landscape" fitToWidth="1" '
               'fitToHeight="0"/><headerFooter><oddFooter>&amp;C&amp;P / &amp;N</oddFooter>'
               '</headerFooter>')


def _with_print_titles(book_xml: str, sheet: str, row: int) -> str:
    """workbook.xml with `row` of `sheet` repeated at the top of every printed page (the
    defined name _xlnm.Print_Titles of that sheet, replacing one from an earlier run)."""
    names = [attrs(tag).get("name") for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", book_xml)]
    if sheet not in names:
        return book_xml
    position = names.index(sheet)
    opening = re.search(r"<((?:\w+:)?)sheets\b", book_xml)
    prefix = opening.group(1) if opening else ""
    book_xml = re.sub(rf'<{re.escape(prefix)}definedName\b[^>]*name="_xlnm\.Print_Titles"'
                      rf'[^>]*localSheetId="{position}"[^>]*>.*?</{re.escape(prefix)}definedName>'
                      rf'|<{re.escape(prefix)}definedName\b[^>]*localSheetId="{position}"'
                      rf'[^>]*name="_xlnm\.Print_Titles"[^>]*>.*?</{re.escape(prefix)}definedName>',
                      "", book_xml, flags=re.S)
    quoted = "'" + sheet.replace("'", "''") + "'"
    defined = (f'<{prefix}definedName name="_xlnm.Print_Titles" localSheetId="{position}">'
               f"{xml_text(quoted)}!${row}:${row}</{prefix}definedName>")
    return _add_defined_name(book_xml, prefix, defined)


def _controle_cell(ref: str, value: str | int, style: int) -> str:
    if isinstance(value, int):
        return f'<c r="{ref}" s="{style}"><v>{value}</v></c>'
    return (f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">'
            f"{xml_text(value)}</t></is></c>")
