"""Workbooks re-saved by a real spreadsheet program (LibreOffice Calc) validate the same."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from intake.outputs.samples import VALID_WERKGEVERS
from intake.validation.validate import validate_workbook

from conftest import cell_of, flat, our_fills, replace, value

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = [
    pytest.mark.external,
    pytest.mark.slow,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice Calc (Debian libreoffice-calc) is "
                       "not installed; .ci/run installs it"),
]


def resave(source: Path, target_format: str, out_dir: Path) -> Path:
    """Open `source` in LibreOffice Calc and save it as `target_format` (xlsx, ods, xls)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = out_dir / "lo-profile"
    subprocess.run(
        [str(SOFFICE), f"-env:UserInstallation=file://{profile}", "--headless",
         "--convert-to", target_format, "--outdir", str(out_dir), str(source)],
        check=True, capture_output=True, timeout=180,
    )
    result = out_dir / f"{source.stem}.{target_format}"
    assert result.is_file(), f"LibreOffice wrote no {result.name}"
    return result


@pytest.mark.parametrize("target_format", ["xlsx", "ods", "xls"])
@pytest.mark.parametrize("sample", ["voorbeeld-geldig.xlsx", "voorbeeld-fouten.xlsx"])
def test_resaved_sample_gives_the_same_findings(tmp_path: Path, sample: str,
                                                target_format: str) -> None:
    """The same findings (severity, code, cell) and counts after LibreOffice re-saves the file."""
    original = validate_workbook(SAMPLES / sample)
    resaved = validate_workbook(resave(SAMPLES / sample, target_format, tmp_path))
    assert flat(resaved) == flat(original)
    assert resaved.summary() == original.summary()
    for data in ("werkgevers", "dga"):
        assert getattr(resaved, data).values == getattr(original, data).values


def test_resaved_template_keeps_its_shape(tmp_path: Path) -> None:
    """The blank template re-saved by LibreOffice is still recognised (headers, no rows)."""
    resaved = validate_workbook(resave(SAMPLES / "werkgevers-aanmelding.xlsx", "xlsx", tmp_path))
    codes = [f.code for f in resaved.findings]
    assert codes == ["no-rows", *["checklist-incomplete"] * 9]
    assert resaved.findings[1].sheet == "Toelichting"


@pytest.mark.parametrize("target_format", ["xlsx", "ods"])
def test_resaved_feedback_gives_the_same_findings(tmp_path: Path, target_format: str) -> None:
    """feedback.xlsx opened and saved by LibreOffice still validates with the same findings,
    and a new feedback workbook made from it marks the same cells."""
    from intake.outputs.feedback import write_feedback

    original = validate_workbook(SAMPLES / "voorbeeld-fouten.xlsx")
    feedback = write_feedback(original, tmp_path / "first")
    resaved = resave(feedback, target_format, tmp_path / "lo")
    again = validate_workbook(resaved)
    assert flat(again) == flat(original)
    second = write_feedback(again, tmp_path / "second")
    assert second.suffix == ".xlsx"
    assert our_fills(second) == our_fills(feedback)


def test_feedback_for_ods_input_is_a_new_xlsx_with_the_same_data(tmp_path: Path) -> None:
    """An .ods workbook gets feedback.xlsx holding its values at the same cells, marked."""
    import openpyxl

    from intake.outputs.feedback import write_feedback

    ods = resave(SAMPLES / "voorbeeld-fouten.xlsx", "ods", tmp_path / "lo")
    result = validate_workbook(ods)
    feedback = write_feedback(result, tmp_path / "out")
    assert feedback.name == f"{ods.stem}-feedback.xlsx"
    book = openpyxl.load_workbook(feedback)
    assert book["Werkgevers"][cell_of("werkgever_naam", 8)].value == "Garage Smit Noord"
    marked = {cell for (_, cell) in our_fills(feedback)}
    assert marked == {f.cell for f in result.findings if f.cell}


@pytest.mark.parametrize("saved_as", ["xlsx", "ods"])
def test_fix_and_save_in_calc_three_rounds_leaves_no_stale_marks(
        workbook: Callable[..., Path], tmp_path: Path, saved_as: str) -> None:
    """The clerk's loop through LibreOffice Calc, three rounds: validate, fix one red cell in
    feedback.xlsx, save it with Calc (which rewrites comment authors), validate again. Each round
    marks only the cells still wrong; the last ends with exit 0 and no comment, fill or Controle
    row left from an earlier round."""
    import openpyxl

    from intake.outputs.pipeline import run

    rows = list(VALID_WERKGEVERS)
    rows[1] = replace(rows[1], verloning="week")
    rows[2] = replace(rows[2], raamwerkcontractnummer="458812")
    rows[3] = replace(rows[3], loonheffingennummer="123456789L01")
    fixes = [(cell_of("verloning", 3), "4 weken"),
             (cell_of("raamwerkcontractnummer", 4),
              value(VALID_WERKGEVERS[2], "raamwerkcontractnummer")),
             (cell_of("loonheffingennummer", 5),
              value(VALID_WERKGEVERS[3], "loonheffingennummer"))]
    current = workbook(rows)
    for round_number, (cell, fixed) in enumerate(fixes, start=1):
        outcome = run(current, tmp_path / f"out{round_number}")
        feedback = outcome.files[-1]
        wrong = {(f.sheet, f.cell) for f in outcome.result.findings if f.cell}
        assert {c for s, c in wrong if s == "Werkgevers"} == {c for c, _ in
                                                             fixes[round_number - 1:]}
        assert set(our_fills(feedback)) == wrong
        book = openpyxl.load_workbook(feedback)
        commented = {(s.title, c.coordinate) for s in book.worksheets for row in s.iter_rows()
                     for c in row if c.comment is not None}
        assert commented == wrong
        assert [n for n in book.sheetnames if n.casefold().startswith("controle")] == ["Controle"]
        book["Werkgevers"][cell] = fixed  # the clerk fixes one red cell …
        edited = tmp_path / f"edited{round_number}" / "feedback.xlsx"
        edited.parent.mkdir()
        book.save(edited)
        # … and Calc saves the workbook.
        current = resave(edited, saved_as, tmp_path / f"calc{round_number}")
    final = run(current, tmp_path / "final")
    assert final.result.valid and not final.result.findings
    feedback = final.files[-1]
    assert our_fills(feedback) == {}
    book = openpyxl.load_workbook(feedback)
    assert [c.coordinate for s in book.worksheets for row in s.iter_rows() for c in row
            if c.comment is not None] == []
    assert [n for n in book.sheetnames if n.casefold().startswith("controle")] == ["Controle"]
    controle = [[c.value for c in row] for row in book["Controle"].iter_rows()]
    assert not any(v in ("Fout", "Waarschuwing") for row in controle for v in row)
