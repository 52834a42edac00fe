"""The template: exact headers, drop-downs with messages switched on, text ID columns, frozen
header; filled with the sample data it validates clean."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from intake.fields import DGA, WERKGEVERS
from intake.samples import VALID_DGA, VALID_WERKGEVERS, fill
from intake.template import write_template
from intake.validate import validate_workbook

from conftest import run_intake

EXPECTED_HEADERS = ["Bedrijfsnaam salarisverwerker", "E-mail salarisverwerker",
                    "Bedrijfsnaam werkgever", "Raamwerkcontractnummer", "Loonheffingennummer",
                    "Werkgever ID", "Verloning", "13e maand", "DGA in verloning"]


def test_sheets_and_headers(tmp_path: Path) -> None:
    """Werkgevers and DGA carry exactly the contracted headers in row 1; Toelichting exists."""
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    assert book.sheetnames[:3] == ["Werkgevers", "DGA", "Toelichting"]
    assert [c.value for c in book["Werkgevers"][1]] == EXPECTED_HEADERS
    assert [c.value for c in book["DGA"][1]] == ["Werkgever ID", "Naam DGA", "Personeelsnummer"]
    assert book["Werkgevers"].freeze_panes == "A2"
    assert book["DGA"].freeze_panes == "A2"


def test_drop_downs_have_messages_and_alerts_on(tmp_path: Path) -> None:
    """Verloning and the Ja/Nee columns have list validations with input and error messages."""
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    validations = book["Werkgevers"].data_validations.dataValidation
    lists = {str(dv.sqref).split(":")[0]: dv for dv in validations if dv.type == "list"}
    assert set(lists) == {"G2", "H2", "I2"}
    for dv in lists.values():
        assert dv.showErrorMessage and dv.showInputMessage and dv.errorStyle == "stop"
        assert dv.prompt and dv.error
    hidden = book["Lijsten"]
    assert hidden.sheet_state == "hidden"
    assert [hidden["A2"].value, hidden["A3"].value] == ["Maand", "4 weken"]
    assert [hidden["B2"].value, hidden["B3"].value] == ["Ja", "Nee"]
    assert lists["G2"].formula1 == "=Lijsten!$A$2:$A$3"


def test_id_columns_are_text_and_widths_readable(tmp_path: Path) -> None:
    """Contract, loonheffingennummer, Werkgever ID and personeelsnummer columns are text (@)."""
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    werkgevers = book["Werkgevers"]
    for letter in "DEF":
        assert werkgevers.column_dimensions[letter].number_format == "@"
    for letter in "ABC":
        assert werkgevers.column_dimensions[letter].width >= 30
    for letter in "AC":
        assert book["DGA"].column_dimensions[letter].number_format == "@"


def test_toelichting_explains_step_1_and_the_fields(tmp_path: Path) -> None:
    """The explanation names the six rights, the Werkgever ID location and the A020 hint."""
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    text = "\n".join(str(c.value) for row in book["Toelichting"].iter_rows() for c in row
                     if c.value)
    for right in ("Beheren en raadplegen BSN", "Raadplegen variabele gegevens",
                  "Bedrijfsgegevens", "A020", "webservicegebruiker"):
        assert right in text
    for f in (*WERKGEVERS.fields, *DGA.fields):
        assert f.label in text


def test_template_filled_with_sample_data_validates_clean(tmp_path: Path) -> None:
    """`intake template` output, filled in with the sample rows, passes with no findings."""
    path = tmp_path / "ingevuld.xlsx"
    assert run_intake("template", str(path)).returncode == 0
    book = openpyxl.load_workbook(path)
    for name, rows in (("Werkgevers", VALID_WERKGEVERS), ("DGA", VALID_DGA)):
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                book[name].cell(row=r, column=c, value=value)
    book.save(path)
    result = validate_workbook(path)
    assert result.findings == []
    assert result.werkgevers.accepted == len(VALID_WERKGEVERS)


def test_blank_template_is_reported_as_empty(tmp_path: Path) -> None:
    """Validating the blank template says there are no employers (not a crash, not 'valid')."""
    result = validate_workbook(write_template(tmp_path / "t.xlsx"))
    assert [f.code for f in result.findings] == ["no-rows"]


def test_fill_helper_writes_text_not_formulas(tmp_path: Path) -> None:
    """Sample text starting with '=' is stored as text, so the validator sees what was typed."""
    path = fill(tmp_path / "f.xlsx", [("=1+1",)], [])
    assert openpyxl.load_workbook(path)["Werkgevers"]["A2"].data_type == "s"
