"""feedback.xlsx: exactly the cells report.json names are marked, with comments and a Controle
sheet linking to them; everything else is kept; fixing the red cells and checking again passes."""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import oddpackages
import openpyxl
import pytest
from openpyxl.worksheet.datavalidation import DataValidation

from intake.definition.fields import DGA, WERKGEVERS
from intake.outputs.feedback import feedback_name, write_feedback
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill
from intake.validation.validate import validate_workbook

from conftest import (
    AMBER,
    RED,
    at,
    cell_of,
    column_of,
    load_json,
    our_fills,
    replace,
    run_intake,
    value,
)

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_marked_cells_are_exactly_the_reported_ones(tmp_path: Path) -> None:
    """Every error cell red, every warning-only cell amber, nothing else; each has a comment."""
    out = tmp_path / "o"
    run_intake("validate", str(SAMPLES / "voorbeeld-fouten.xlsx"), "--out", str(out))
    report = load_json(out / "report.json")
    expected: dict[tuple[str, str], str] = {}
    for f in report["findings"]:
        if f["cell"]:
            key = (f["sheet"], f["cell"])
            if f["severity"] == "error" or expected.get(key) != RED:
                expected[key] = RED if f["severity"] == "error" else AMBER
    assert our_fills(out / "voorbeeld-fouten-feedback.xlsx") == expected
    book = openpyxl.load_workbook(out / "voorbeeld-fouten-feedback.xlsx")
    for (sheet, cell) in expected:
        comment = book[sheet][cell].comment
        assert comment is not None and comment.author == "intake"
    lhn = cell_of("loonheffingennummer", 10)
    messages = [f["message"] for f in report["findings"] if f["cell"] == lhn]
    assert book["Werkgevers"][lhn].comment.text.startswith(f"intake:\n{messages[0]}")


def test_controle_sheet_lists_every_finding_with_a_link(tmp_path: Path) -> None:
    """The first sheet is Controle: totals on top (each count under its header), then a row per
    finding linking to its cell."""
    out = tmp_path / "o"
    run_intake("validate", str(SAMPLES / "voorbeeld-fouten.xlsx"), "--out", str(out))
    report = load_json(out / "report.json")
    book = openpyxl.load_workbook(out / "voorbeeld-fouten-feedback.xlsx")
    assert book.sheetnames[0] == "Controle"
    assert book.active.title == "Controle"
    controle = book["Controle"]
    totals = [[c.value for c in row] for row in controle.iter_rows(min_row=4, max_row=8,
                                                                     max_col=4)]
    werkgevers, dga = report["summary"]["werkgevers"], report["summary"]["dga"]
    assert totals == [
        [None, "Rijen", "Goedgekeurd", "Afgekeurd"],
        ["Werkgevers", werkgevers["rows"], werkgevers["accepted"], werkgevers["rejected"]],
        ["DGA", dga["rows"], dga["accepted"], dga["rejected"]],
        ["Fouten", report["summary"]["errors"], None, None],
        ["Waarschuwingen", report["summary"]["warnings"], None, None]]
    for cell in ("B4", "C4", "D4"):
        assert controle[cell].alignment.horizontal == "right", cell
    links = [c.hyperlink.location for c in controle["C"] if c.hyperlink]
    assert links == [f"'{f['sheet']}'!{f['cell']}" for f in report["findings"] if f["cell"]]
    codes = [c.value for c in controle["H"] if c.value][1:]
    assert codes == [f["code"] for f in report["findings"]]


def test_fix_the_red_cells_and_check_again_passes(
    workbook: Callable[..., Path], tmp_path: Path
) -> None:
    """A user corrects the marked cells in feedback.xlsx; checking it again exits 0, and the
    new feedback has no marks left and one Controle sheet saying all is well."""
    rows = list(VALID_WERKGEVERS)
    rows[1] = replace(rows[1], verloning="week")
    rows[3] = replace(rows[3], loonheffingennummer="123456789L01")
    source = workbook(rows)
    first = run_intake("validate", str(source), "--out", str(tmp_path / "1"))
    assert first.returncode == 1
    feedback = tmp_path / "1" / feedback_name(source)
    verloning, lhn = cell_of("verloning", 3), cell_of("loonheffingennummer", 5)
    assert set(our_fills(feedback)) == {("Werkgevers", verloning), ("Werkgevers", lhn)}

    book = openpyxl.load_workbook(feedback)
    book["Werkgevers"][verloning] = "4 weken"
    book["Werkgevers"][lhn] = value(VALID_WERKGEVERS[3], "loonheffingennummer")
    fixed = tmp_path / "gecorrigeerd.xlsx"
    book.save(fixed)

    second = run_intake("validate", str(fixed), "--out", str(tmp_path / "2"))
    assert second.returncode == 0, second.stdout
    again = openpyxl.load_workbook(tmp_path / "2" / "gecorrigeerd-feedback.xlsx")
    assert again.sheetnames.count("Controle") == 1
    assert again.sheetnames[0] == "Controle"
    assert our_fills(tmp_path / "2" / "gecorrigeerd-feedback.xlsx") == {}
    assert any("Geen bevindingen" in str(c.value) for c in again["Controle"]["A"])


def test_feedback_of_feedback_is_checked_the_same(tmp_path: Path) -> None:
    """Checking feedback.xlsx itself gives the same findings: marks and Controle add none."""
    run_intake("validate", str(SAMPLES / "voorbeeld-fouten.xlsx"), "--out", str(tmp_path / "1"))
    first_feedback = tmp_path / "1" / "voorbeeld-fouten-feedback.xlsx"
    second_feedback = tmp_path / "2" / "voorbeeld-fouten-feedback-2.xlsx"
    run_intake("validate", str(first_feedback), "--out", str(tmp_path / "2"))
    first = load_json(tmp_path / "1" / "report.json")
    second = load_json(tmp_path / "2" / "report.json")
    assert second["findings"] == first["findings"]
    assert our_fills(second_feedback) == our_fills(first_feedback)
    assert openpyxl.load_workbook(second_feedback).sheetnames.count("Controle") == 1


def test_everything_else_is_kept(tmp_path: Path) -> None:
    """Values, formulas, other sheets, widths, validations, freeze panes survive; the input file
    is not modified."""
    path = tmp_path / "eigen.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Werkgevers"
    sheet.append(["Overzicht aanmeldingen"])
    sheet.append([])
    sheet.append([*(f.label for f in WERKGEVERS.fields), "Totaal"])
    naam = column_of(WERKGEVERS, "werkgever_naam")
    lhn = column_of(WERKGEVERS, "loonheffingennummer")
    for r, row in enumerate(VALID_WERKGEVERS, start=4):
        sheet.append([*row, f"=LEN({naam}{r})"])
    sheet[f"{lhn}5"] = "123456789L01"
    sheet.freeze_panes = "A4"
    sheet.column_dimensions[naam].width = 41
    validation = DataValidation(type="list", formula1='"Maand,4 weken"', showErrorMessage=True)
    verloning = column_of(WERKGEVERS, "verloning")
    validation.add(f"{verloning}4:{verloning}100")
    sheet.add_data_validation(validation)
    dga = book.create_sheet("DGA")
    dga.append(["Werkgever ID", "Naam DGA", "Personeelsnummer"])
    for row in VALID_DGA:
        dga.append(list(row))
    notes = book.create_sheet("Notities")
    notes["B2"] = "intern"
    notes.sheet_state = "hidden"
    book.save(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()

    result = validate_workbook(path)
    assert [(f.code, f.cell) for f in result.findings] == [
        ("column-unknown", f"{column_of(WERKGEVERS, None)}3"), ("lhn-elfproef", f"{lhn}5")]
    feedback = write_feedback(result, tmp_path / "out")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest

    before, after = openpyxl.load_workbook(path), openpyxl.load_workbook(feedback)
    assert after.sheetnames == ["Controle", *before.sheetnames]
    for name in before.sheetnames:
        old, new = before[name], after[name]
        assert [[c.value for c in r] for r in old.iter_rows()] == \
            [[c.value for c in r] for r in new.iter_rows()]
        assert old.freeze_panes == new.freeze_panes
        assert old.sheet_state == new.sheet_state
        assert len(old.data_validations.dataValidation) == len(new.data_validations.dataValidation)
    total = column_of(WERKGEVERS, None)
    assert after["Werkgevers"][f"{total}5"].value == f"=LEN({naam}5)"
    assert after["Werkgevers"].column_dimensions[naam].width == 41
    assert after["Werkgevers"][f"{lhn}5"].fill.fgColor.rgb == RED
    assert after["Werkgevers"][f"{total}3"].fill.fgColor.rgb == AMBER


def test_macro_workbook_keeps_its_macros_as_xlsm(
    workbook: Callable[..., Path], tmp_path: Path
) -> None:
    """An .xlsm comes back as macro-feedback.xlsm with its VBA project untouched (never
    run)."""
    plain = workbook([VALID_WERKGEVERS[0], replace(VALID_WERKGEVERS[1], verloning="week"),
                      *VALID_WERKGEVERS[2:]])
    xlsm = tmp_path / "macro.xlsm"
    vba = b"\xd0\xcf\x11\xe0fake vba project"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(xlsm, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
                    b"</Types>", b'<Default Extension="bin" ContentType="application/'
                    b'vnd.ms-office.vbaProject"/></Types>')
            zout.writestr(info, data)
        zout.writestr("xl/vbaProject.bin", vba)
    done = run_intake("validate", str(xlsm), "--out", str(tmp_path / "o"))
    assert done.returncode == 1
    out = tmp_path / "o" / "macro-feedback.xlsm"
    with zipfile.ZipFile(out) as z:
        assert z.read("xl/vbaProject.bin") == vba
    assert our_fills(out) == {at("verloning", 3): RED}


def test_no_findings_says_so(workbook: Callable[..., Path], tmp_path: Path) -> None:
    """A clean workbook still gets a feedback file, whose Controle sheet says there is nothing."""
    result = validate_workbook(workbook())
    feedback = write_feedback(result, tmp_path)
    controle = openpyxl.load_workbook(feedback)["Controle"]
    values = [c.value for row in controle.iter_rows() for c in row if c.value]
    assert "Geen bevindingen: de werkmap is in orde." in values
    assert our_fills(feedback) == {}


def test_english_feedback(workbook: Callable[..., Path], tmp_path: Path) -> None:
    """--lang en writes the comments and the Controle sheet in English."""
    rows = [replace(VALID_WERKGEVERS[0], verloning="week"), *VALID_WERKGEVERS[1:]]
    feedback = write_feedback(validate_workbook(workbook(rows)), tmp_path, "en")
    book = openpyxl.load_workbook(feedback)
    comment = book["Werkgevers"][cell_of("verloning", 2)].comment
    assert comment.text.startswith("intake:\nPayroll period 'week'")
    assert "Severity" in [c.value for c in book["Controle"]["A"]]


def test_checking_feedback_again_does_not_grow_styles(
    workbook: Callable[..., Path], tmp_path: Path
) -> None:
    """Feedback of feedback of feedback: styles.xml keeps the same fonts, fills and cell
    formats from the second round on (it used to gain 13 per round)."""
    import re

    rows = [replace(VALID_WERKGEVERS[0], verloning="week"), *VALID_WERKGEVERS[1:]]
    current = workbook(rows)
    counts = []
    for n in range(4):
        current = write_feedback(validate_workbook(current), tmp_path / str(n))
        with zipfile.ZipFile(current) as package:
            styles = package.read("xl/styles.xml").decode()
        counts.append(tuple(len(re.findall(rf"<{tag}\b", styles))
                            for tag in ("font", "fill", "xf")))
    assert counts[1] == counts[2] == counts[3]


def test_only_cells_that_must_change_are_red_when_a_dga_row_is_wrong(
    workbook: Callable[..., Path], tmp_path: Path
) -> None:
    """A DGA row with an error: that DGA cell is red; the employer's correct "DGA in verloning =
    Ja" is not painted; its Werkgever ID is amber, naming the one DGA row (singular), and the
    employer is still held back from the delivery."""
    dga = [replace(VALID_DGA[0], personeelsnummer="12a"), *VALID_DGA[1:]]
    result = validate_workbook(workbook(VALID_WERKGEVERS, dga))
    feedback = write_feedback(result, tmp_path)
    fills = our_fills(feedback)
    assert fills[at("personeelsnummer", 2, DGA)] == RED
    assert at("dga_in_verloning", 2) not in fills
    assert fills[at("werkgever_id", 2)] == AMBER
    assert set(fills.values()) == {RED, AMBER}
    assert [c for c, colour in fills.items() if colour == RED] == [at("personeelsnummer", 2, DGA)]
    held = next(f for f in result.findings if f.code == "dga-rows-rejected")
    assert "rij 2 op blad DGA heeft fouten" in held.message("nl")
    assert "row 2 on the DGA sheet has errors" in held.message("en")
    assert result.werkgevers.rejected[0] and not result.valid


def test_controle_prints_one_page_wide_with_heights_for_wrapped_text(tmp_path: Path) -> None:
    """Controle prints A4 landscape fitted to one page wide with the findings' header row on
    every page; each finding row whose wrapped texts need several lines has a height holding
    them; the totals' headers fit their columns."""
    from intake.outputs.layout import LINE_POINTS, line_count

    out = tmp_path / "o"
    run_intake("validate", str(SAMPLES / "voorbeeld-fouten.xlsx"), "--out", str(out))
    sheet = openpyxl.load_workbook(out / "voorbeeld-fouten-feedback.xlsx")["Controle"]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    header = next(c.row for c in sheet["A"] if c.value == "Ernst")
    assert sheet.print_title_rows == f"${header}:${header}"
    tall = 0
    for row in sheet.iter_rows(min_row=header + 1):
        lines = max((line_count(str(c.value), sheet.column_dimensions[c.column_letter].width)
                     for c in row if c.value is not None and c.alignment.wrap_text), default=1)
        if lines > 1:
            assert sheet.row_dimensions[row[0].row].height >= lines * LINE_POINTS
            tall += 1
    assert tall >= 5
    assert sheet["C4"].value == "Goedgekeurd"
    assert sheet.column_dimensions["C"].width >= len(sheet["C4"].value) + 1


def test_only_notes_we_wrote_are_replaced_never_a_persons_own(
    workbook: Callable[..., Path], tmp_path: Path
) -> None:
    """A note by author "intake" holding a note of ours (as written before the `intake:` line
    existed) is an old mark: gone from the new feedback. A person's own note stays whole, even
    when its author is called "intake" or a line of it reads exactly `intake:`."""
    from openpyxl.comments import Comment

    path = workbook([replace(VALID_WERKGEVERS[0], verloning="week"), *VALID_WERKGEVERS[1:]])
    book = openpyxl.load_workbook(path)
    sheet = book["Werkgevers"]
    ours = validate_workbook(path)
    week = next(f for f in ours.findings if f.field == "verloning")
    sheet[cell_of("verloning", week.row)].comment = Comment(
        f"{week.message('nl')} {week.hint('nl')}", "intake")
    sheet["C3"].comment = Comment("Nieuwe klant, bellen in januari", "intake")
    sheet["C4"].comment = Comment("intake:\nnog navragen bij de klant", "Anne")
    book.save(path)
    feedback = write_feedback(validate_workbook(path), tmp_path)
    marked = openpyxl.load_workbook(feedback)["Werkgevers"]
    note = marked[cell_of("verloning", week.row)].comment
    assert note is not None and note.text.count(week.message("nl")) == 1  # ours, once
    assert marked["C3"].comment.text == "Nieuwe klant, bellen in januari"
    assert marked["C4"].comment.text == "intake:\nnog navragen bij de klant"


ODD_PACKAGES = {
    "prefixed roots": lambda src, dst: oddpackages.prefixed_package(src, dst),
    "hancell cellXfs": lambda src, dst: oddpackages.hancell_styles(src, dst),
    "chart sheet selected": lambda src, dst: oddpackages.with_chart_sheet_selected(src, dst),
    "dialog sheet selected": lambda src, dst: oddpackages.with_other_sheet_selected(
        src, dst, "dialogsheet"),
    "macro sheet selected": lambda src, dst: oddpackages.with_other_sheet_selected(
        src, dst, "macrosheet"),
}


@pytest.mark.parametrize("kind", ODD_PACKAGES)
def test_packages_as_other_programs_write_them_are_patched_not_copied(
        tmp_path: Path, kind: str) -> None:
    """Prefixed roots, AlternateContent in cellXfs and a chart, dialog or macro sheet as the
    selected tab: the feedback is the user's own workbook (no values copy) that passes our
    check, with the wrong cell red in the format a Fallback reader sees and one selected tab,
    Controle's."""
    from ooxmlcheck import cell_marks
    from test_packagecheck import is_values_copy

    from intake.outputs.packagecheck import feedback_problems

    rows = [replace(VALID_WERKGEVERS[0], loonheffingennummer="123"), *VALID_WERKGEVERS[1:]]
    source = ODD_PACKAGES[kind](fill(tmp_path / "bron.xlsx", rows, VALID_DGA),
                                tmp_path / "odd.xlsx")
    result = validate_workbook(source)
    feedback = write_feedback(result, tmp_path / "out")
    assert not is_values_copy(feedback)
    assert feedback_problems(source, feedback) == []
    cell = cell_of("loonheffingennummer", 2)
    assert cell_marks(feedback)[("Werkgevers", cell)][0] == RED
    with zipfile.ZipFile(feedback) as package:
        book = package.read("xl/workbook.xml").decode()
        first = re.search(r'<(?:\w+:)?sheet\b[^>]*name="([^"]*)"', book)
    assert first is not None and first.group(1) == "Controle"
    assert len(oddpackages.selected_tabs(feedback)) == 1


_NO_ROOM_SCRIPT = """
import errno, sys
from pathlib import Path
from intake.outputs.feedback import write_feedback
from intake.validation.validate import validate_workbook
result = validate_workbook(Path(sys.argv[1]))
try:
    write_feedback(result, Path(sys.argv[2]))
except OSError as exc:
    print(errno.errorcode.get(exc.errno or 0, exc.errno))
else:
    print("written")
"""


def test_a_feedback_workbook_with_no_room_is_told_not_swapped_for_the_values_copy(
        tmp_path: Path) -> None:
    """A write the output limit refuses (EFBIG; a full disk gives ENOSPC) while the marked copy
    is written is raised as itself, so the doors tell it as too large or a full disk; before,
    it was taken for a package the patcher cannot follow and the values copy, which fit, went
    out instead. In a child process, so that the limit binds nobody else."""
    import os
    import subprocess
    import sys

    from conftest import file_size_limit

    source = fill(tmp_path / "bron.xlsx", VALID_WERKGEVERS, VALID_DGA)
    parts = oddpackages.parts_of(source)
    parts["xl/media/foto.bin"] = os.urandom(3 << 20)  # a picture's worth: 3 MB that stay 3 MB
    large = oddpackages.write_parts(tmp_path / "met-foto.xlsx", parts)
    out = tmp_path / "uit"
    done = subprocess.run([sys.executable, "-c", _NO_ROOM_SCRIPT, str(large), str(out)],
                          capture_output=True, text=True, check=False,
                          preexec_fn=file_size_limit(2 << 20))
    assert done.stdout.strip() == "EFBIG", done.stdout + done.stderr[-2000:]
    assert not list(out.glob("*.xlsx"))
