"""feedback.xlsx: the user's own workbook back, with the wrong cells marked and a Controle sheet.

Every cell with an error is filled red and every cell with only warnings amber, each with a
comment holding the messages; a new first sheet *Controle* lists every finding with a link to
its cell. Everything else in the workbook is kept, because the package is patched as a stream
(`intake.xlsxpatch`) instead of being loaded and re-saved. The input file is never modified.
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
from pathlib import Path

from intake.cells import column_index
from intake.findings import Finding
from intake.messages import LANGS, UI, Lang
from intake.validate import Result
from intake.xlsxpatch import (
    CONTROLE_NAME,
    CT_COMMENTS,
    CT_VML,
    CT_WORKSHEET,
    FILL_RGB,
    REL_COMMENTS,
    REL_VML,
    REL_WORKSHEET,
    PackageError,
    Severity,
    SheetPatch,
    StylePool,
    add_relationships,
    attrs,
    comments_xml,
    free_id,
    only_ours,
    patch_sheet,
    read_rels,
    rels_path_of,
    vml_xml,
    xml_text,
)

#: At most this many cells get a comment (all marked cells get their fill regardless).
MAX_COMMENTS = 10_000
#: At most this many findings are listed on the Controle sheet (report.json has all).
MAX_CONTROLE_ROWS = 100_000
CONTROLE_SHEET = "Controle"


def feedback_name(workbook: Path) -> str:
    """feedback.xlsm for a macro workbook (Excel refuses macros in .xlsx), else feedback.xlsx."""
    return "feedback.xlsm" if workbook.suffix.lower() == ".xlsm" else "feedback.xlsx"


def write_feedback(result: Result, out_dir: Path, lang: Lang = "nl",
                   checked_at: str | None = None) -> Path:
    """Write the marked copy of `result.path` into `out_dir`; return its path."""
    target = out_dir / feedback_name(result.path)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".feedback-") as work:
        source = result.path
        partial = Path(work) / target.name
        skip = {f.sheet for f in result.findings if f.code == "sheet-too-large" and f.sheet}
        if source.suffix.lower() not in (".xlsx", ".xlsm"):
            source = _as_xlsx(source, Path(work) / "converted.xlsx", skip)
            patch_package(source, partial, result, lang, checked_at)
        else:
            try:
                patch_package(source, partial, result, lang, checked_at)
            except Exception:
                # A package the values could be read from but this patcher cannot follow
                # (odd or damaged XML): give the same values back in a new workbook instead.
                source = _as_xlsx(source, Path(work) / "converted.xlsx", skip)
                patch_package(source, partial, result, lang, checked_at, values_only=True)
        partial.replace(target)
    return target


def _as_xlsx(source: Path, target: Path, skip: set[str]) -> Path:
    """The values of every sheet of a .xls/.xlsb/.ods workbook but those in `skip` (over the
    cell limit), at the same cells, as .xlsx. A panic of the reader is named, not hidden."""
    from intake.reader import calamine_guard

    with calamine_guard(source):
        return _values_as_xlsx(source, target, skip)


def _values_as_xlsx(source: Path, target: Path, skip: set[str]) -> Path:
    import python_calamine
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = python_calamine.CalamineWorkbook.from_path(str(source))
    out = Workbook()
    out.remove(out.active)
    for name in book.sheet_names:
        if name in skip:
            continue
        try:
            if _is_our_controle(book, name):
                continue  # an earlier run's Controle sheet: a new one takes its place
            sheet = book.get_sheet_by_name(name)
            data = sheet.to_python(skip_empty_area=True)
        except Exception:  # a damaged sheet the validation did not need: left out
            continue
        top, left = (sheet.start or (0, 0)) if data else (0, 0)
        target_sheet = out.create_sheet(name[:31])
        for r, row in enumerate(data):
            for c, value in enumerate(row):
                if value != "":
                    if isinstance(value, str):
                        # Characters XML cannot hold, written as Excel writes them (_x0007_).
                        value = ILLEGAL_CHARACTERS_RE.sub(
                            lambda m: f"_x{ord(m.group()):04X}_", value)
                    cell = target_sheet.cell(row=top + r + 1, column=left + c + 1, value=value)
                    if isinstance(value, str) and value.startswith("="):
                        cell.data_type = "s"
    if not out.sheetnames:
        out.create_sheet("Blad1")  # every sheet was unreadable; Controle is added to this
    out.save(target)
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
        notes[f.sheet][f"{f.column}{f.row}"].append(f"{f.message(lang)} {f.hint(lang)}")
    return ({s: dict(r) for s, r in marks.items()},
            {s: {ref: "\n\n".join(texts) for ref, texts in cells.items()}
             for s, cells in notes.items()})


def patch_package(source: Path, target: Path, result: Result, lang: Lang,
                  checked_at: str | None = None, values_only: bool = False) -> None:
    """Write `target`: the package at `source` with marks, comments and a Controle sheet."""
    marks, notes = _marks(result.findings, lang)
    budget = MAX_COMMENTS
    with zipfile.ZipFile(source) as zin:
        names = zin.namelist()
        book_part = _workbook_part(zin)
        book_rels = read_rels(zin, book_part)
        by_id = {r.id: r for r in book_rels}
        book_xml = zin.read(book_part).decode("utf-8")
        sheets = [(attrs(tag)) for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", book_xml)]
        sheet_part = {}
        for a in sheets:
            rid = next((v for k, v in a.items() if k.endswith(":id")), None)
            if rid in by_id and by_id[rid].type == REL_WORKSHEET:
                sheet_part[a["name"]] = by_id[rid].target
        styles_rel = next((r for r in book_rels if r.type.endswith("/styles")), None)
        if styles_rel is None:
            raise PackageError("the workbook has no styles part")
        pool = StylePool(zin.read(styles_rel.target).decode("utf-8"))
        for severity, rgb in FILL_RGB.items():
            pool.add_font_format(severity, "plain", rgb, wrap=False)
        pool.add_font_format("plain", "plain")
        pool.add_font_format("line", "plain", wrap=False)
        pool.add_font_format("bold", "bold", wrap=False)
        pool.add_font_format("title", "title", wrap=False)
        pool.add_font_format("link", "link", wrap=False)

        # The Controle sheet: replace ours from an earlier run in place, or add it first.
        controle_sheet = _our_controle(book_xml)
        new_parts: dict[str, str] = {}
        rels_out: dict[str, str] = {}
        if controle_sheet and controle_sheet in sheet_part:
            controle_part = sheet_part[controle_sheet]
        else:
            controle_sheet = _free_name(CONTROLE_SHEET, {a["name"] for a in sheets})
            controle_part = _free_part("xl/worksheets/sheet", ".xml", names)
            rid = free_id({r.id for r in book_rels})
            book_xml = _add_first_sheet(book_xml, controle_sheet, rid, sheets)
            rels_out[rels_path_of(book_part)] = add_relationships(
                _maybe(zin, rels_path_of(book_part)),
                [(rid, REL_WORKSHEET, posixpath.relpath(controle_part,
                                                        posixpath.dirname(book_part)))])
            new_parts[controle_part] = CT_WORKSHEET
        book_xml = _select_first_tab(book_xml)

        # Which worksheets to stream, with what marks and which comment parts.
        data_sheets = {d.sheet for d in (result.werkgevers, result.dga) if d.sheet}
        patches: dict[str, SheetPatch] = {}
        replaced: dict[str, str] = {}
        block = 1
        for name, part in sheet_part.items():
            if part == controle_part:
                continue
            sheet_marks = marks.get(name, {})
            head = _peek(zin, part)
            if not sheet_marks and name not in data_sheets and "tabSelected" not in head:
                continue
            patch = SheetPatch(marks=sheet_marks)
            patches[part] = patch
            block += 1
            sheet_notes = dict(list(notes.get(name, {}).items())[:max(budget, 0)])
            budget -= len(sheet_notes)
            sheet_rels = read_rels(zin, part)
            comments = next((r for r in sheet_rels if r.type == REL_COMMENTS), None)
            vml = next((r for r in sheet_rels if r.type == REL_VML), None)
            if comments is not None and vml is not None:
                existing = zin.read(comments.target).decode("utf-8")
                if only_ours(existing):
                    replaced[comments.target] = comments_xml(sheet_notes)
                    replaced[vml.target] = vml_xml(list(sheet_notes), block)
                # Comments of the user's own stay as they are; the fills still mark the cells.
            elif vml is None and sheet_notes:
                comments_part = _free_part("xl/comments", ".xml", names, new_parts)
                vml_part = _free_part("xl/drawings/vmlDrawing", ".vml", names, new_parts)
                new_parts[comments_part] = CT_COMMENTS
                new_parts[vml_part] = CT_VML
                replaced[comments_part] = comments_xml(sheet_notes)
                replaced[vml_part] = vml_xml(list(sheet_notes), block)
                taken = {r.id for r in sheet_rels}
                comments_rid, vml_rid = free_id(taken), free_id(taken)
                folder = posixpath.dirname(part)
                rels_out[rels_path_of(part)] = add_relationships(
                    _maybe(zin, rels_path_of(part)),
                    [(comments_rid, REL_COMMENTS, posixpath.relpath(comments_part, folder)),
                     (vml_rid, REL_VML, posixpath.relpath(vml_part, folder))])
                patch.legacy_rid = vml_rid

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
                    with zin.open(info) as src, zout.open(name, "w", force_zip64=True) as dst:
                        patch_sheet(src, dst, patches[name], pool)
                else:
                    with zin.open(info) as src, zout.open(name, "w", force_zip64=True) as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
            for name, text in {**rels_out, **replaced}.items():
                zout.writestr(name, text)
            zout.writestr(controle_part, _controle_xml(result, pool, lang, checked_at,
                                                       values_only))
            zout.writestr(styles_rel.target, pool.render(_FONTS))


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
    if name not in taken:
        return name
    n = 2
    while f"{name} ({n})" in taken:
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


def _add_first_sheet(book_xml: str, name: str, rid: str, sheets: list[dict[str, str]]) -> str:
    sheet_id = max((int(a.get("sheetId", "0")) for a in sheets), default=0) + 1
    opening = re.search(r"<((?:\w+:)?)sheets\b[^>]*>", book_xml)
    if opening is None:
        raise PackageError("workbook.xml has no sheets")
    prefix = opening.group(1)
    element = (f'<{prefix}sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
               f'relationships" name="{xml_text(name)}" sheetId="{sheet_id}" r:id="{rid}"/>')
    book_xml = book_xml[:opening.end()] + element + book_xml[opening.end():]
    # Defined names scoped to a sheet refer to it by position: every position moves up one.
    book_xml = re.sub(r'(\blocalSheetId=")(\d+)(")',
                      lambda m: f"{m.group(1)}{int(m.group(2)) + 1}{m.group(3)}", book_xml)
    quoted = "'" + name.replace("'", "''") + "'"
    defined = (f'<{prefix}definedName name="{CONTROLE_NAME}" hidden="1">'
               f"{xml_text(quoted)}!$A$1</{prefix}definedName>")
    names_close = re.search(rf"</{re.escape(prefix)}definedNames>", book_xml)
    if names_close:
        return book_xml[:names_close.start()] + defined + book_xml[names_close.start():]
    sheets_close = re.search(rf"</{re.escape(prefix)}sheets>", book_xml)
    assert sheets_close is not None
    at = sheets_close.end()
    return (book_xml[:at] + f"<{prefix}definedNames>{defined}</{prefix}definedNames>"
            + book_xml[at:])


def _select_first_tab(book_xml: str) -> str:
    def fix(m: re.Match[str]) -> str:
        tag = re.sub(r'\s(activeTab|firstSheet)="\d+"', "", m.group(0))
        return tag.replace(m.group(1), f'{m.group(1)} activeTab="0"', 1)

    return re.sub(r"(<(?:\w+:)?workbookView\b)[^>]*>", fix, book_xml)


def _content_types(text: str, new_parts: dict[str, str]) -> str:
    additions = "".join(f'<Override PartName="/{part}" ContentType="{ctype}"/>'
                        for part, ctype in new_parts.items() if ctype != CT_VML)
    if any(ctype == CT_VML for ctype in new_parts.values()) and 'Extension="vml"' not in text:
        additions += f'<Default Extension="vml" ContentType="{CT_VML}"/>'
    close = text.rfind("</Types>")
    return text[:close] + additions + text[close:]


def _controle_xml(result: Result, pool: StylePool, lang: Lang, checked_at: str | None,
                  values_only: bool = False) -> str:
    ui = UI[lang]
    style = pool.extra
    rows: list[list[tuple[str | int, int]]] = []
    links: list[tuple[str, str]] = []
    when = checked_at or dt.datetime.now(dt.UTC).strftime("%d-%m-%Y %H:%M UTC")
    rows.append([(f"{ui['title']}: {result.path.name}", style["title"])])
    rows.append([(f"{ui['checked_at']} {when}", style["line"])])
    rows.append([(ui["errors"], style["bold"]), (result.errors, style["error"]),
                 (ui["warnings"], style["bold"]), (result.warnings, style["warning"])])
    rows.append([("", style["bold"]), (ui["rows"], style["bold"]),
                 (ui["accepted"], style["bold"]), (ui["rejected"], style["bold"])])
    for data in (result.werkgevers, result.dga):
        counts = data.counts()
        rows.append([(data.spec.name, style["bold"]), (counts["rows"], style["line"]),
                     (counts["accepted"], style["line"]), (counts["rejected"], style["line"])])
    rows.append([(ui["ok"] if result.valid else ui["not_ok"], style["bold"])])
    rows.append([(ui["values_copy"], style["bold"])] if values_only else [])
    header_row = len(rows) + 1
    if not result.findings:
        rows.append([(ui["no_findings"], style["bold"])])
    else:
        rows.append([(ui[k], style["bold"]) for k in
                     ("severity", "sheet", "cell", "field", "value", "problem", "fix", "code")])
    for f in result.findings[:MAX_CONTROLE_ROWS]:
        row_number = len(rows) + 1
        if f.cell and f.sheet:
            quoted = "'" + f.sheet.replace("'", "''") + "'"
            links.append((f"C{row_number}", f"{quoted}!{f.cell}"))
        rows.append([(ui[f.severity], style[f.severity]), (f.sheet or "", style["plain"]),
                     (f.cell or "", style["link"] if f.cell else style["plain"]),
                     (f.label(lang), style["plain"]), (f.value or "", style["plain"]),
                     (f.message(lang), style["plain"]), (f.hint(lang), style["plain"]),
                     (f.code, style["plain"])])
    if len(result.findings) > MAX_CONTROLE_ROWS:
        rows.append([(ui["shown_of"].format(shown=MAX_CONTROLE_ROWS, total=len(result.findings),
                                            where="report.json"), style["bold"])])

    body = []
    for r, cells in enumerate(rows, start=1):
        xml_cells = "".join(_controle_cell(f"{chr(65 + c)}{r}", value, s)
                            for c, (value, s) in enumerate(cells) if value != "")
        body.append(f'<row r="{r}">{xml_cells}</row>')
    hyperlinks = "".join(f'<hyperlink ref="{ref}" location="{xml_text(loc)}" '
                         f'display="{xml_text(loc)}"/>' for ref, loc in links)
    widths = (14, 14, 12, 26, 28, 70, 60, 26)
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                   for i, w in enumerate(widths, start=1))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
            f'<pane ySplit="{header_row}" topLeftCell="A{header_row + 1}" activePane="bottomLeft" '
            'state="frozen"/></sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            f"<cols>{cols}</cols><sheetData>{''.join(body)}</sheetData>"
            + (f"<hyperlinks>{hyperlinks}</hyperlinks>" if hyperlinks else "")
            + '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
            'footer="0.3"/></worksheet>')


def _controle_cell(ref: str, value: str | int, style: int) -> str:
    if isinstance(value, int):
        return f'<c r="{ref}" s="{style}"><v>{value}</v></c>'
    return (f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">'
            f"{xml_text(value)}</t></is></c>")
