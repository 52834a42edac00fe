"""The shipped samples: current with the script that builds them, and the mistakes sample
shows every cell rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from intake.definition.cells import column_letter
from intake.definition.fields import DGA, WERKGEVERS
from intake.outputs.samples import write_samples
from intake.validation.validate import validate_workbook

from conftest import at, flat

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _cells(path: Path) -> dict[str, list[list[object]]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


@pytest.mark.parametrize("name", ["werkgevers-aanmelding.xlsx", "voorbeeld-geldig.xlsx",
                                  "voorbeeld-fouten.xlsx"])
def test_samples_are_current(tmp_path: Path, name: str) -> None:
    """Rebuilding the samples gives the same cell values as the committed files."""
    write_samples(tmp_path)
    assert _cells(tmp_path / name) == _cells(SAMPLES / name)


def test_valid_sample_is_valid() -> None:
    """samples/voorbeeld-geldig.xlsx passes with no findings."""
    result = validate_workbook(SAMPLES / "voorbeeld-geldig.xlsx")
    assert result.findings == []
    assert result.werkgevers.accepted == 6 and result.dga.accepted == 4


def test_mistakes_sample_has_each_typical_mistake() -> None:
    """samples/voorbeeld-fouten.xlsx triggers every cell and cross-row rule, at known cells."""
    found = set(flat(validate_workbook(SAMPLES / "voorbeeld-fouten.xlsx")))
    expected = {
        # The extra column sits right after the template's columns.
        ("warning", "column-unknown", "Werkgevers", f"{column_letter(len(WERKGEVERS.fields))}1"),
        ("warning", "lhn-normalised", *at("loonheffingennummer", 3)),
        ("error", "email-invalid", *at("salarisverwerker_email", 4)),
        ("error", "required", *at("werkgever_naam", 5)),
        ("error", "formula-text", *at("werkgever_naam", 6)),
        ("error", "contract-prefix", *at("raamwerkcontractnummer", 7)),
        ("error", "contract-format", *at("raamwerkcontractnummer", 8)),
        ("error", "lhn-btw", *at("loonheffingennummer", 9)),
        ("error", "lhn-elfproef", *at("loonheffingennummer", 10)),
        ("error", "lhn-subnumber", *at("loonheffingennummer", 11)),
        ("error", "lhn-format", *at("loonheffingennummer", 12)),
        ("error", "guid-instead-of-id", *at("werkgever_id", 13)),
        ("error", "digits-only", *at("werkgever_id", 14)),
        ("error", "verloning-unsupported", *at("verloning", 15)),
        ("error", "verloning-invalid", *at("verloning", 16)),
        ("error", "ja-nee-invalid", *at("dertiende_maand", 17)),
        ("warning", "dga-rows-rejected", *at("werkgever_id", 18)),
        ("error", "dga-missing", *at("dga_in_verloning", 19)),
        ("error", "dga-unexpected", *at("dga_in_verloning", 20)),
        ("error", "werkgever-duplicate", *at("werkgever_id", 21)),
        ("error", "werkgever-duplicate", *at("werkgever_id", 22)),
        ("error", "personeelsnummer-duplicate", *at("personeelsnummer", 2, DGA)),
        ("error", "dga-werkgever-unknown", *at("werkgever_id", 4, DGA)),
        ("warning", "dga-employer-rejected", *at("werkgever_id", 5, DGA)),
        ("error", "required", *at("naam", 6, DGA)),
        ("error", "digits-only", *at("personeelsnummer", 7, DGA)),
        ("warning", "checklist-incomplete", "Toelichting", "C14"),
    }
    assert expected <= found


def test_benchmark_workbook_has_the_intended_share_of_mistakes(tmp_path: Path) -> None:
    """The benchmark's generated workbook rejects about 5% of its employers (not all of them,
    as it would if its rows fell out of step with the fields)."""
    import sys

    sys.path.insert(0, str(SAMPLES.parent))
    from benchmarks.workbooks import write_workbook

    result = validate_workbook(write_workbook(tmp_path / "b.xlsx", 400))
    counts = result.werkgevers.counts()
    assert counts["rows"] == 400 and 0.01 <= counts["rejected"] / 400 <= 0.12, counts
    assert result.dga.accepted >= 80


def test_a_row_that_names_no_field_is_valid(tmp_path: Path) -> None:
    """Every field's example value passes every check of the field: a workbook of one employer
    named by nothing (and no DGA, as its example says) is valid, so a new field needs no
    change to the rows of samples, fixtures or benchmarks."""
    from intake.outputs.samples import fill, werkgever

    result = validate_workbook(fill(tmp_path / "voorbeeld.xlsx", [werkgever()], []))
    assert result.valid and result.werkgevers.accepted == 1, result.findings
