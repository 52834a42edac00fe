"""feedback.xlsx on workbooks written by Excel (Windows, Mac, Online), Google Sheets, WPS, Numbers,
gnumeric and LibreOffice: the 64 files of `../shared/realworld/` (MANIFEST.md names each one's
source and licence) give a package valid to the format, with the marks where they belong."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from html import unescape
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from ooxmlcheck import cell_marks, order_problems, package_problems

from intake.definition.fields import WERKGEVERS
from intake.outputs.feedback import MAX_COMMENTS, write_feedback
from intake.outputs.pipeline import run
from intake.validation.reader import UnreadableWorkbook
from intake.validation.validate import validate_workbook

from conftest import cell_of, replace, run_intake

REALWORLD = Path(__file__).resolve().parents[3] / "shared" / "realworld"
FILES = sorted(p for p in REALWORLD.glob("*") if p.suffix.lower() in
               (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")) if REALWORLD.is_dir() else []
PACKAGES = [p for p in FILES if zipfile.is_zipfile(p) and p.suffix.lower() in (".xlsx", ".xlsm")]
#: The files that take seconds each: slow tests.
LARGE = {"SheetJS__large_strings.xlsx", "tafia__tests_issue_174.xlsx"}
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = pytest.mark.skipif(
    not FILES, reason=f"the real-world workbooks are not beside the clone ({REALWORLD}); CI "
    "clones the repository with shared/ beside it")


def sheet_values(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet's values as python-calamine reads them (unreadable sheets left out; a
    package with Excel 4 macro or dialog sheets is read without them, as the reader does)."""
    from intake.validation.limits import Limits
    from intake.validation.reader import without_sheets
    from intake.validation.safety import inspect

    unsupported = set(inspect(path, Limits()).unsupported) if zipfile.is_zipfile(path) else set()
    if unsupported:
        path = without_sheets(path, unsupported, Path(tempfile.mkdtemp()) / path.name)
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    out = {}
    for name in book.sheet_names:
        try:
            out[name] = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception:  # a sheet calamine cannot read is not compared
            continue
    return out


def trimmed(rows: list[list[object]]) -> list[list[object]]:
    """Rows without trailing empty cells and trailing empty rows."""
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] == "":
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


def assert_feedback_holds(source: Path, feedback: Path) -> None:
    """The feedback package is valid to the format and keeps every original sheet's values."""
    assert package_problems(feedback, source) == []
    with zipfile.ZipFile(feedback) as package:
        # A full load of a package of many MB takes openpyxl minutes: read-only then.
        big = sum(i.file_size for i in package.infolist()) > 4 << 20
    try:
        openpyxl.load_workbook(source, read_only=big)
    except Exception:  # openpyxl cannot read some pivot caches Excel writes
        pass
    else:
        # Loads without an exception (Strict: loads empty).
        openpyxl.load_workbook(feedback, read_only=big).close()
    before, after = sheet_values(source), sheet_values(feedback)
    for name, rows in before.items():
        if name.casefold().startswith("controle") and name not in after:
            continue  # an earlier run's Controle sheet is replaced
        assert trimmed(after[name]) == trimmed(rows), name


@pytest.mark.parametrize("source", [
    pytest.param(p, marks=pytest.mark.slow) if p.name in LARGE else p for p in FILES],
    ids=[p.name for p in FILES])
def test_every_real_file_gives_a_valid_feedback_workbook(tmp_path: Path, source: Path) -> None:
    """`intake validate` exits 0, 1 or 2 without a traceback; its feedback workbook is a valid
    package (zip, content types, element order) that keeps every sheet's values."""
    out = tmp_path / "out"
    done = run_intake("validate", str(source), "--out", str(out))
    assert done.returncode in (0, 1, 2), done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    feedback = next(iter(out.glob("*-feedback*.xls*")), None)
    if done.returncode == 2:
        assert feedback is None and len(done.stderr.strip().splitlines()) == 1
        return
    assert feedback is not None
    assert_feedback_holds(source, feedback)


#: LibreOffice does not print the original SheetJS__large_strings.xlsx (a 2 MB sheet of long
#: strings) to PDF within 400 s either, so its feedback workbook is left out of the PDF test.
PRINTABLE = [p for p in FILES if p.name != "SheetJS__large_strings.xlsx"]
#: The files in groups of eight, one LibreOffice process per group (startup costs seconds).
GROUPS = [PRINTABLE[i:i + 8] for i in range(0, len(PRINTABLE), 8)]


@pytest.mark.slow
@pytest.mark.external
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice Calc (Debian libreoffice-calc) is not "
                    "installed; .ci/run installs it")
@pytest.mark.parametrize("group", GROUPS, ids=[f"group{n}" for n in range(len(GROUPS))])
def test_libreoffice_renders_every_feedback_workbook(tmp_path: Path, group: list[Path]) -> None:
    """LibreOffice converts the feedback workbook of every real file it can print to a non-empty
    PDF."""
    staged: dict[str, Path] = {}
    for n, source in enumerate(group):
        try:
            result = validate_workbook(source)
        except UnreadableWorkbook:
            continue  # refused with exit 2: no feedback workbook (the first test checks that)
        feedback = write_feedback(result, tmp_path / "fb" / f"{n:02d}")
        staged[source.name] = tmp_path / "in" / f"{n:02d}{feedback.suffix}"
        staged[source.name].parent.mkdir(exist_ok=True)
        shutil.copy(feedback, staged[source.name])
    subprocess.run(
        [str(SOFFICE), f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), *map(str, staged.values())],
        check=True, capture_output=True, timeout=170)
    for name, copy in staged.items():
        pdf = tmp_path / "pdf" / f"{copy.stem}.pdf"
        assert pdf.is_file() and pdf.stat().st_size > 1000, name
        assert pdf.read_bytes().startswith(b"%PDF"), name


# --- variants whose cells get marked ---------------------------------------------------------


def werkgevers_variant(source: Path, target: Path) -> Path | None:
    """`source` with its first worksheet (or the one already named Werkgevers) renamed to
    Werkgevers and the field labels put into its row 1 as shared strings; everything else as
    the program wrote it. None when the package has no worksheet."""
    with zipfile.ZipFile(source) as zin:
        parts = {n: zin.read(n) for n in zin.namelist()}
    root_rels = parts["_rels/.rels"].decode()
    book_part = re.search(r'Target="/?([^"]*workbook[^"]*\.xml)"', root_rels)
    assert book_part is not None
    book_path = book_part.group(1)
    folder = book_path.rsplit("/", 1)[0]
    book = parts[book_path].decode()
    rels = parts[f"{folder}/_rels/{book_path.rsplit('/', 1)[1]}.rels"].decode()
    targets = {}
    for tag in re.findall(r"<Relationship\b[^>]*>", rels):
        rid = re.search(r'Id="([^"]*)"', tag)
        kind = re.search(r'Type="([^"]*)"', tag)
        where = re.search(r'Target="([^"]*)"', tag)
        if rid and kind and where:
            targets[rid.group(1)] = (kind.group(1), where.group(1))
    sheets = []
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", book):
        rid = re.search(r'\b\w+:id="([^"]*)"', tag)
        if rid and targets.get(rid.group(1), ("", ""))[0].endswith("/worksheet"):
            sheets.append(tag)
    if not sheets:
        return None
    chosen = next((t for t in sheets if re.search(r'\bname="werkgevers"', t, re.I)), sheets[0])
    book = book.replace(chosen, re.sub(r'\bname="[^"]*"', 'name="Werkgevers"', chosen))
    parts[book_path] = book.encode()
    rid = re.search(r'\b\w+:id="([^"]*)"', chosen)
    assert rid is not None
    where = targets[rid.group(1)][1]
    sheet_path = where.lstrip("/") if where.startswith("/") else f"{folder}/{where}"
    sheet = parts[sheet_path].decode()
    prefix_match = re.search(r"<(\w+:)?sheetData\b", sheet)
    assert prefix_match is not None
    p = prefix_match.group(1) or ""
    labels = [f.label for f in WERKGEVERS.fields]
    sst_target = next((w for k, w in targets.values() if k.endswith("/sharedStrings")), None)
    if sst_target is not None:
        sst_path = (sst_target.lstrip("/") if sst_target.startswith("/")
                    else f"{folder}/{sst_target}")
        sst = parts[sst_path].decode()
        count = len(re.findall(r"<(?:\w+:)?si\b", sst))
        sst_root = re.search(r"<(\w+:)?sst\b", sst)
        sp = (sst_root.group(1) if sst_root else None) or ""
        added = "".join(f"<{sp}si><{sp}t>{label}</{sp}t></{sp}si>" for label in labels)
        sst = re.sub(r'(<(?:\w+:)?sst\b[^>]*?)\s(?:count|uniqueCount)="\d+"', r"\1", sst)
        sst = re.sub(r'(<(?:\w+:)?sst\b[^>]*?)\s(?:count|uniqueCount)="\d+"', r"\1", sst)
        if re.search(r"<(?:\w+:)?sst\b[^>]*/>", sst):
            sst = re.sub(r"<((?:\w+:)?)sst\b([^>]*?)/>", rf"<\1sst\2>{added}</\1sst>", sst)
        else:
            close = sst.rindex(f"</{sp}sst>")
            sst = sst[:close] + added + sst[close:]
        parts[sst_path] = sst.encode()
        cells = "".join(f'<{p}c r="{chr(65 + i)}1" t="s"><{p}v>{count + i}</{p}v></{p}c>'
                        for i in range(len(labels)))
    else:
        cells = "".join(f'<{p}c r="{chr(65 + i)}1" t="inlineStr"><{p}is><{p}t>{label}</{p}t>'
                        f"</{p}is></{p}c>" for i, label in enumerate(labels))
    row1 = re.search(rf'<{p}row\b[^>]*\br="1"[^>]*?(?:/>|>(.*?)</{p}row>)', sheet, re.S)
    if row1 is not None:
        kept = [c.group(0) for c in re.finditer(
            rf'<{p}c\b[^>]*\br="([A-Z]+)1"[^>]*?(?:/>|>.*?</{p}c>)', row1.group(1) or "", re.S)
            if len(c.group(1)) > 1 or c.group(1) > chr(64 + len(labels))]
        head = re.match(rf"<{p}row\b[^>]*?(?=/?>)", row1.group(0))
        assert head is not None
        start = re.sub(r'\sspans="[^"]*"', "", head.group(0))
        sheet = sheet[:row1.start()] + f"{start}>{cells}{''.join(kept)}</{p}row>" + \
            sheet[row1.end():]
    elif re.search(rf"<{p}sheetData\s*/>", sheet):
        sheet = re.sub(rf"<{p}sheetData\s*/>",
                       f'<{p}sheetData><{p}row r="1">{cells}</{p}row></{p}sheetData>', sheet)
    else:
        opening = re.search(rf"<{p}sheetData\b[^>]*>", sheet)
        assert opening is not None
        sheet = sheet[:opening.end()] + f'<{p}row r="1">{cells}</{p}row>' + \
            sheet[opening.end():]
    parts[sheet_path] = sheet.encode()
    # The fastest level, as spreadsheet programs write: a tighter one can push a part past the
    # package inspection's compression-ratio limit.
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for name, data in parts.items():
            zout.writestr(name, data)
    return target


#: Variants whose check takes over a minute (90,000 findings on a 2 MB sheet).
@pytest.mark.parametrize("source", [
    pytest.param(p, marks=pytest.mark.slow) if p.name in LARGE else p for p in PACKAGES],
    ids=[p.name for p in PACKAGES])
def test_variant_gets_every_finding_cell_filled_and_commented(tmp_path: Path,
                                                              source: Path) -> None:
    """With a sheet renamed to Werkgevers and the labels in its header row, every cell with a
    finding is filled in our colour and carries the finding's message in its comment."""
    variant = werkgevers_variant(source, tmp_path / f"variant{source.suffix}")
    if variant is None:
        pytest.skip(f"{source.name} has no worksheet (chart sheets only)")
    outcome = run(variant, tmp_path / "out")
    feedback = outcome.files[-1]
    assert_feedback_holds(variant, feedback)
    marks = cell_marks(feedback)
    finding_cells = {(f.sheet, f.cell): f for f in outcome.result.findings if f.cell}
    commented = 0
    for (sheet, cell), finding in finding_cells.items():
        fill, comment = marks.get((sheet, cell), (None, None))
        assert fill in ("FFFFC7CF", "FFFFEB9D"), (sheet, cell)
        if comment is not None:
            assert finding.message("nl") in comment, (sheet, cell)
            commented += 1
    assert commented == min(len(finding_cells), MAX_COMMENTS)


def test_strict_package_gets_marks_comments_and_strict_namespaces(tmp_path: Path) -> None:
    """A Strict OOXML workbook: finding cells marked and commented; only Controle's tab is
    selected; Controle, its relationship and the comments part use the strict namespaces."""
    source = REALWORLD / "tafia__tests_strict_iso_paths.xlsx"
    variant = werkgevers_variant(source, tmp_path / "strict.xlsx")
    assert variant is not None
    outcome = run(variant, tmp_path / "out")
    feedback = outcome.files[-1]
    cells = {(f.sheet, f.cell) for f in outcome.result.findings if f.cell}
    assert len(cells) > 100
    marks = cell_marks(feedback)
    assert all(marks.get(c, (None, None))[0] and marks[c][1] for c in cells)
    with zipfile.ZipFile(feedback) as package:
        names = package.namelist()
        book_rels = package.read("xl/_rels/workbook.xml.rels").decode()
        sheet_xml = package.read("xl/worksheets/sheet1.xml").decode()
        new_sheet = next(n for n in names if n.startswith("xl/worksheets/sheet")
                         and n != "xl/worksheets/sheet1.xml")
        controle = package.read(new_sheet).decode()
        comments = next(package.read(n).decode() for n in names if "comments" in n)
        sheet_rels = package.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
    assert 'tabSelected="1"' not in sheet_xml
    assert 'xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main"' in controle
    assert "schemas.openxmlformats.org/spreadsheetml" not in controle
    assert "schemas.openxmlformats.org/officeDocument/2006/relationships" not in (
        book_rels + sheet_rels + sheet_xml)
    assert 'xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main"' in comments


def test_self_closing_defined_names_gives_one_block(tmp_path: Path) -> None:
    """A workbook.xml with `<definedNames/>` (Google Sheets, openpyxl) gets one <definedNames>
    holding the Controle name, not a second block."""
    source = REALWORLD / "tealeg__testdocs_googleDocsTest.xlsx"
    with zipfile.ZipFile(source) as package:
        assert b"<definedNames/>" in package.read("xl/workbook.xml")
    feedback = write_feedback(validate_workbook(source), tmp_path)
    with zipfile.ZipFile(feedback) as package:
        book = package.read("xl/workbook.xml").decode()
    assert book.count("<definedNames") == 1
    assert re.search(r"<definedNames><definedName name=\"IntakeControle\"", book)
    assert order_problems(book.encode()) == []


def test_defined_names_come_after_function_groups_and_external_references(
        tmp_path: Path) -> None:
    """<definedNames> goes after <functionGroups> and <externalReferences>, as the schema
    orders them (an Excel .xlsm with function groups)."""
    source = REALWORLD / "SheetJS__number_format_russian.xlsm"
    with zipfile.ZipFile(source) as package:
        before = package.read("xl/workbook.xml").decode()
    assert "<functionGroups" in before and "<definedNames" not in before
    feedback = write_feedback(validate_workbook(source), tmp_path)
    with zipfile.ZipFile(feedback) as package:
        book = package.read("xl/workbook.xml").decode()
    assert book.index("<functionGroups") < book.index("<definedNames") < book.index("<calcPr")
    assert order_problems(book.encode()) == []


def test_a_users_sheet_named_controle_in_lower_case_is_not_clashed(tmp_path: Path) -> None:
    """Beside a user's sheet "controle", the new sheet gets a name that differs without case."""
    path = tmp_path / "eigen.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "controle"
    book.active["A1"] = "mijn eigen controle"
    sheet = book.create_sheet("Werkgevers")
    for i, f in enumerate(WERKGEVERS.fields, start=1):
        sheet.cell(row=1, column=i, value=f.label)
    sheet["A2"] = "Salaris BV"
    book.save(path)
    feedback = write_feedback(validate_workbook(path), tmp_path / "out")
    names = openpyxl.load_workbook(feedback).sheetnames
    assert names[0] == "Controle (2)" and "controle" in names
    assert len({n.casefold() for n in names}) == len(names)


def test_a_users_own_comment_keeps_its_text_and_shows_ours_below(
        workbook: Callable[..., Path], tmp_path: Path) -> None:
    """A finding on a cell with the user's own comment: the comment keeps the user's text and
    gets the message below it; checked again, the message is not repeated; fixed, only the
    user's text is left."""
    from openpyxl.comments import Comment

    from intake.outputs.samples import VALID_WERKGEVERS

    rows = [replace(VALID_WERKGEVERS[0], verloning="week"), *VALID_WERKGEVERS[1:]]
    verloning, email = cell_of("verloning", 2), cell_of("salarisverwerker_email", 2)
    path = workbook(rows)
    book = openpyxl.load_workbook(path)
    book["Werkgevers"][verloning].comment = Comment("Nagevraagd bij de klant, Anne", "Anne")
    book["Werkgevers"][email].comment = Comment("Adres klopt", "Anne")
    book.save(path)

    first = write_feedback(validate_workbook(path), tmp_path / "1")
    message = validate_workbook(path).findings[0].message("nl")
    text = openpyxl.load_workbook(first)["Werkgevers"][verloning].comment.text
    assert text.startswith("Nagevraagd bij de klant, Anne\n\nintake:\n") and message in text
    assert package_problems(first, path) == []

    second = write_feedback(validate_workbook(first), tmp_path / "2")
    again = openpyxl.load_workbook(second)["Werkgevers"]
    assert again[verloning].comment.text == text
    assert again[email].comment.text == "Adres klopt"

    fixed_book = openpyxl.load_workbook(second)
    fixed_book["Werkgevers"][verloning] = "maand"
    fixed = tmp_path / "fixed.xlsx"
    fixed_book.save(fixed)
    third = write_feedback(validate_workbook(fixed), tmp_path / "3")
    sheet = openpyxl.load_workbook(third)["Werkgevers"]
    assert sheet[verloning].comment.text == "Nagevraagd bij de klant, Anne"
    assert sheet[email].comment.text == "Adres klopt"
    assert cell_marks(third).get(("Werkgevers", verloning), (None, None))[0] is None


def ods(path: Path, rows_xml: str) -> Path:
    """A minimal OpenDocument spreadsheet with one sheet `Blad1` holding `rows_xml`."""
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               f'xmlns:office="{office}" xmlns:table="{table}" office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="Blad1">{rows_xml}'
               "</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type='
                '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
                'manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        package.writestr("META-INF/manifest.xml", manifest)
        package.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def test_converted_copy_keeps_every_digit_and_the_type_of_midnight_dates(
        tmp_path: Path) -> None:
    """The .xlsx copy of an .ods keeps 11.666666666666666 to the last digit, a date and time
    at midnight stays a date and time, a date a date, a time a time."""
    cells = ('<table:table-row><table:table-cell office:value-type="float" '
             'office:value="11.666666666666666"/><table:table-cell office:value-type="date" '
             'office:date-value="2024-03-01T00:00:00"/><table:table-cell '
             'office:value-type="date" office:date-value="2024-03-02"/><table:table-cell '
             'office:value-type="time" office:time-value="PT12H30M00S"/><table:table-cell '
             'office:value-type="boolean" office:boolean-value="true"/></table:table-row>')
    source = ods(tmp_path / "waarden.ods", cells)
    before = sheet_values(source)["Blad1"]
    assert before[0][0] == 11.666666666666666
    assert isinstance(before[0][1], dt.datetime)
    feedback = write_feedback(validate_workbook(source), tmp_path / "out")
    after = sheet_values(feedback)["Blad1"]
    assert after == before
    assert [type(v) for v in after[0]] == [type(v) for v in before[0]]
    assert package_problems(feedback) == []


def with_thread(path: Path, ref: str, text: str) -> Path:
    """`path` (an openpyxl workbook with a legacy comment at `ref` on Werkgevers) with an
    Excel 365 threaded comment at `ref`, its person and their relationships, as Excel writes."""
    ns = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
    rel = "http://schemas.microsoft.com/office/2017/10/relationships"
    with zipfile.ZipFile(path) as zin:
        parts = {n: zin.read(n) for n in zin.namelist()}
    book = parts["xl/workbook.xml"].decode()
    rid = re.search(r'<sheet [^>]*name="Werkgevers"[^>]*r:id="([^"]+)"', book)
    assert rid is not None
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    target = re.search(rf'Id="{rid.group(1)}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*'
                       rf'Id="{rid.group(1)}"', rels)
    assert target is not None
    sheet = (target.group(1) or target.group(2)).lstrip("/").removeprefix("xl/")
    sheet_rels = f"xl/worksheets/_rels/{sheet.rsplit('/', 1)[1]}.rels"
    parts["xl/persons/person.xml"] = (
        f'<personList xmlns="{ns}"><person displayName="Anne de Vries" '
        'id="{11111111-1111-1111-1111-111111111111}" userId="anne@example.nl" '
        'providerId="AD"/></personList>').encode()
    parts["xl/threadedComments/threadedComment1.xml"] = (
        f'<ThreadedComments xmlns="{ns}"><threadedComment ref="{ref}" '
        'dT="2026-01-05T10:00:00.00" personId="{11111111-1111-1111-1111-111111111111}" '
        f'id="{{22222222-2222-2222-2222-222222222222}}"><text>{text}</text></threadedComment>'
        "</ThreadedComments>").encode()
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>", f'<Relationship Id="rIdP" Type="{rel}/person" '
        'Target="persons/person.xml"/></Relationships>').encode()
    parts[sheet_rels] = parts[sheet_rels].decode().replace(
        "</Relationships>", f'<Relationship Id="rIdT" Type="{rel}/threadedComment" '
        'Target="../threadedComments/threadedComment1.xml"/></Relationships>').encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].decode().replace(
        "</Types>", '<Override PartName="/xl/persons/person.xml" ContentType="application/'
        'vnd.ms-excel.person+xml"/><Override PartName="/xl/threadedComments/threadedComment1.'
        'xml" ContentType="application/vnd.ms-excel.threadedcomments+xml"/></Types>').encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            zout.writestr(name, data)
    return path


def test_a_threaded_comment_gets_our_reply(workbook: Callable[..., Path],
                                           tmp_path: Path) -> None:
    """A finding on a cell with an Excel 365 thread: the thread gets a reply of ours holding the
    message (by a person "intake"), the legacy comment too; checked again, one reply only."""
    from openpyxl.comments import Comment

    from intake.outputs.samples import VALID_WERKGEVERS

    rows = [replace(VALID_WERKGEVERS[0], verloning="week"), *VALID_WERKGEVERS[1:]]
    verloning = cell_of("verloning", 2)
    path = workbook(rows)
    book = openpyxl.load_workbook(path)
    book["Werkgevers"][verloning].comment = Comment("[Threaded comment] Klopt dit?", "Anne")
    book.save(path)
    with_thread(path, verloning, "Klopt dit?")
    message = validate_workbook(path).findings[0].message("nl")

    def thread(feedback: Path) -> tuple[str, str]:
        with zipfile.ZipFile(feedback) as package:
            return (package.read("xl/threadedComments/threadedComment1.xml").decode(),
                    package.read("xl/persons/person.xml").decode())

    first = write_feedback(validate_workbook(path), tmp_path / "1")
    threads, persons = thread(first)
    person = re.search(r'displayName="intake" id="(\{[^}]+\})"', persons)
    assert person is not None and "Anne de Vries" in persons
    reply = re.findall(rf'<threadedComment ref="{verloning}"[^>]*personId="([^"]+)"[^>]*'
                       r'parentId="\{22222222-2222-2222-2222-222222222222\}">'
                       r"<text>([^<]*)</text>", threads)
    assert len(reply) == 1 and reply[0][0] == person.group(1)
    assert reply[0][1].startswith("intake:\n") and message in unescape(reply[0][1])
    assert "Klopt dit?" in threads
    legacy = openpyxl.load_workbook(first)["Werkgevers"][verloning].comment.text
    assert message in legacy and legacy.startswith("[Threaded comment] Klopt dit?")
    assert package_problems(first, path) == []

    second = write_feedback(validate_workbook(first), tmp_path / "2")
    threads2, persons2 = thread(second)
    assert threads2.count("parentId=") == 1 and persons2.count('displayName="intake"') == 1
