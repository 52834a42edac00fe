"""Error values (#N/A, #REF! …) in every format the intake reads are findings at their cells
naming the error, in either language: .xlsx as openpyxl writes it, .ods, .xlsb and .xls written
record by record, the same workbook saved by LibreOffice as .xlsx, .ods and .xls, and the .ods
scan's positions across repeats and pieces."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import binformats as bf
import hostile
import pytest

from intake.definition.fields import WERKGEVERS
from intake.validation import extent
from intake.validation.inspection import Inspection

from conftest import at, cell_of, load_json, run_intake

#: What the #N/A finding says first, and the meaning of #N/A, per language.
OPENING = {"nl": "De formule in deze cel geeft #N/A: de opzoeking vond niets.",
           "en": "The formula in this cell gives #N/A: the lookup found nothing."}
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
ERRORS = [("formula-error", *at("werkgever_naam", 2 + n), error)
          for n, error in enumerate(hostile.ERROR_VALUES)]


def validated(path: Path, out: Path, lang: str) -> tuple[int, list[dict[str, Any]]]:
    """`intake validate PATH` (with `--lang en` for English): its exit code and the findings
    of its report.json."""
    extra = ["--lang", "en"] if lang == "en" else []
    done = run_intake("validate", str(path), "--out", str(out), *extra)
    return done.returncode, load_json(out / "report.json")["findings"]


def flattened(findings: list[dict[str, Any]]) -> list[tuple[str, str, str, str | None]]:
    return [(f["code"], f["sheet"], f["cell"], f["value"]) for f in findings]


def assert_named(findings: list[dict[str, Any]], lang: str) -> None:
    """Each error value's finding has a message of its own, #N/A's in the user's words."""
    messages = {f["value"]: f["message"] for f in findings if f["code"] == "formula-error"}
    assert messages["#N/A"].startswith(OPENING[lang])
    assert len(set(messages.values())) == len(hostile.ERROR_VALUES)
    assert all("niet ingevuld" not in f["message"] and "is empty" not in f["message"]
               for f in findings)


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("suffix", [".ods", ".xlsb", ".xls"])
def test_error_values_of_each_format_are_named_at_their_cells(tmp_path: Path, suffix: str,
                                                              lang: str) -> None:
    """An .ods, .xlsb or .xls holding each error value (typed or a formula's result) gives one
    formula-error per cell naming it, as .xlsx does, instead of 'not filled in'."""
    code, findings = validated(hostile.formula_errors_as(tmp_path, suffix), tmp_path / "out",
                               lang)
    assert code == 1
    assert flattened(findings) == ERRORS
    assert_named(findings, lang)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_openpyxl_error_values_through_the_command_line(tmp_path: Path, lang: str) -> None:
    """The .xlsx openpyxl writes (error values, an uncalculated formula in a row and one below
    the table) is checked to the end by the command line: every output is written, each error
    named, the formula below the table a warning without an employer."""
    code, findings = validated(hostile.formula_errors(tmp_path), tmp_path / "out", lang)
    assert code == 1
    assert flattened(findings) == [
        *ERRORS[:2], ("formula-not-calculated", *at("werkgever_id", 3), None), *ERRORS[2:],
        ("formula-no-value", *at("werkgever_naam", 11), None)]
    assert_named(findings, lang)
    assert (tmp_path / "out" / "report.html").is_file()


def test_formula_calculated_to_empty_text_is_not_without_a_value(tmp_path: Path) -> None:
    """A formula whose result is empty text, stored as Excel and LibreOffice store it
    (t="str" and an empty <v>), is no formula without a value; `<v />` without a type is."""
    source = hostile.formula_errors(tmp_path)
    ref = cell_of("werkgever_naam", 11)

    def calculated(name: str, data: bytes) -> bytes:
        return data.replace(f'<c r="{ref}"><f>""</f><v /></c>'.encode(),
                            f'<c r="{ref}" t="str"><f>""</f><v></v></c>'.encode())

    target = hostile._rewrite(source, tmp_path / "berekend.xlsx", calculated)
    with zipfile.ZipFile(target) as package:
        assert b't="str"><f>""</f><v></v>' in package.read("xl/worksheets/sheet1.xml")
    _, findings = validated(target, tmp_path / "out", "nl")
    assert ("formula-no-value", *at("werkgever_naam", 11), None) not in flattened(findings)
    assert flattened(findings)[-1] == ERRORS[-1]


def _ods_errors(content: bytes, block: int) -> list[tuple[str, str]]:
    """The error cells the .ods scan records in `content`, fed `block` bytes at a time."""
    inspection = Inspection()
    scan = extent._OdsScan(inspection)
    for at_byte in range(0, len(content), block):
        scan.feed(content[at_byte:at_byte + block])
    scan.finish()
    return inspection.formula_errors["Werkgevers"]


@pytest.mark.parametrize("block", [1 << 20, 7])
def test_ods_error_cells_follow_repeats_and_pieces(tmp_path: Path, block: int) -> None:
    """An .ods error cell repeated over two columns in a row repeated twice is an error at all
    four cells, named by the text the cell shows and not by its comment, read whole or in
    pieces of 7 bytes (the text split from its tags)."""
    header = "<table:table-row>" + "".join(bf.ods_cell(f.label) for f in WERKGEVERS.fields) \
        + "</table:table-row>"
    error = bf.ods_cell(bf.Error("#REF!"), repeat=2).replace(
        "<text:p>", "<office:annotation><text:p>#N/A is mijn notitie</text:p>"
        "</office:annotation><text:p>", 1)
    rows = (f'<table:table-row table:number-rows-repeated="2">{bf.ods_cell("x", 2)}{error}'
            "</table:table-row>")
    path = bf.write_ods_xml(tmp_path / "herhaald.ods", {"Werkgevers": header + rows})
    with zipfile.ZipFile(path) as package:
        content = package.read("content.xml")
    assert _ods_errors(content, block) == [("C2", "#REF!"), ("D2", "#REF!"), ("C3", "#REF!"),
                                           ("D3", "#REF!")]


@pytest.fixture(scope="module")
def libreoffice_copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The openpyxl workbook of error values opened and saved by LibreOffice Calc as .xlsx,
    .ods and .xls (each saved once for the tests of this module)."""
    folder = tmp_path_factory.mktemp("lo")
    source = hostile.formula_errors(folder)
    copies = {}
    for target_format in ("xlsx", "ods", "xls"):
        out_dir = folder / target_format
        subprocess.run(
            [str(SOFFICE), f"-env:UserInstallation=file://{folder / 'lo-profile'}",
             "--headless", "--convert-to", target_format, "--outdir", str(out_dir),
             str(source)], check=True, capture_output=True, timeout=180)
        copies[target_format] = out_dir / f"{source.stem}.{target_format}"
    return copies


@pytest.mark.external
@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice Calc (Debian libreoffice-calc) is not "
                    "installed; .ci/run installs it")
@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("target_format", ["xlsx", "ods", "xls"])
def test_error_values_saved_by_libreoffice_are_named_at_their_cells(
        tmp_path: Path, libreoffice_copies: dict[str, Path], target_format: str,
        lang: str) -> None:
    """The openpyxl workbook saved by LibreOffice (which calculates the formulas and keeps each
    error value as a formula's result) gives the same formula-error at each cell, in either
    language, and nothing else: no formula left uncalculated, none without a value."""
    code, findings = validated(libreoffice_copies[target_format], tmp_path / "out", lang)
    assert code == 1
    assert flattened(findings) == ERRORS
    assert_named(findings, lang)
