"""Reading: sheets found by name in any case, the header row found below a title, the table
found wherever it starts, headers matched by alias in any order, true Excel addresses kept."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from intake.definition.fields import DGA, WERKGEVERS
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS
from intake.validation.reader import UnreadableWorkbook, read_workbook
from intake.validation.validate import validate_workbook

from conftest import cell_of, column_of, flat, value

LABELS = [f.label for f in WERKGEVERS.fields]


def _write(path: Path, sheets: dict[str, list[list[object]]],
           origin: dict[str, tuple[int, int]] | None = None) -> Path:
    """A workbook with the given sheets; each grid starts at its origin (row, column), 1-based."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, grid in sheets.items():
        sheet = book.create_sheet(name)
        top, left = (origin or {}).get(name, (1, 1))
        for r, row in enumerate(grid):
            for c, given in enumerate(row):
                if given is not None:
                    sheet.cell(row=top + r, column=left + c, value=given)
    book.save(path)
    return path


def _grid(headers: list[str], rows: tuple[tuple[object, ...], ...]) -> list[list[object]]:
    return [list(headers), *(list(r) for r in rows)]


def test_table_below_a_title_and_right_of_column_a_keeps_excel_addresses(tmp_path: Path) -> None:
    """A title above the header and a table starting at C4: cells are reported where they are."""
    rows = list(VALID_WERKGEVERS)
    rows[1] = (*rows[1][:4], "123456789L01", *rows[1][5:])
    path = _write(tmp_path / "offset.xlsx", {
        "Werkgevers": [["Aanmelding a.s.r. - november"], [], [], *_grid(LABELS, tuple(rows))],
        "DGA": _grid([f.label for f in DGA.fields], VALID_DGA),
    }, origin={"Werkgevers": (1, 3)})
    result = validate_workbook(path)
    # Header in row 4 starting at column C: loonheffingennummer (5th field) is column G, the
    # second data row is Excel row 6.
    assert flat(result) == [("error", "lhn-elfproef", "Werkgevers", "G6")]
    assert result.werkgevers.header_row == 4
    assert result.werkgevers.rows == [5, 6, 7, 8, 9, 10]


def test_headers_matched_by_alias_case_and_spacing_in_any_order(tmp_path: Path) -> None:
    """The manual's spellings, English labels and snake_case names all map to the fields."""
    headers = ["DERTIENDE MAAND", "werkgever_id", "  Loonheffingnummer ", "Bedrijfsnaam te "
               "koppelen werkgever", "Payroll processor e-mail", "Salarisverwerker",
               "raamwerk contractnummer", "Verloning", "DGA's in verloning"]
    order = ["dertiende_maand", "werkgever_id", "loonheffingennummer", "werkgever_naam",
             "salarisverwerker_email", "salarisverwerker_naam", "raamwerkcontractnummer",
             "verloning", "dga_in_verloning"]
    index = {f.name: i for i, f in enumerate(WERKGEVERS.fields)}
    others = [f for f in WERKGEVERS.fields if f.name not in order]  # fields added since
    headers += [f.label for f in others]
    order += [f.name for f in others]
    shuffled = tuple(tuple(row[index[name]] for name in order) for row in VALID_WERKGEVERS)
    path = _write(tmp_path / "aliases.xlsx", {
        "werkgevers": _grid(headers, shuffled),
        "dga's": _grid(["Werkgevers ID", "Naam", "Personeelsnr."], VALID_DGA),
    })
    result = validate_workbook(path)
    assert flat(result) == []
    assert result.werkgevers.sheet == "werkgevers"
    assert result.dga.sheet == "dga's"
    assert result.werkgevers.columns["loonheffingennummer"] == "C"
    assert result.werkgevers.value("werkgever_naam", 0) == "Bakkerij Van Dijk B.V."


@pytest.mark.parametrize("header", ["Werkgever id", "Werkgevers ID", "Employer ID", "werkgever_id",
                                    "WERKGEVER-ID"])
def test_werkgever_id_spellings(tmp_path: Path, header: str) -> None:
    """Every spelling of Werkgever ID the manual and users use is recognised."""
    headers = [header if f.name == "werkgever_id" else f.label for f in WERKGEVERS.fields]
    path = _write(tmp_path / "wid.xlsx", {"Werkgevers": _grid(headers, VALID_WERKGEVERS),
                                          "DGA": _grid(["Werkgever ID", "Naam DGA",
                                                        "Personeelsnummer"], VALID_DGA)})
    assert flat(validate_workbook(path)) == []


def test_unknown_column_is_a_warning_and_ignored(tmp_path: Path) -> None:
    """An extra column gets a warning on its header cell; its content is not validated."""
    rows = tuple((*r, "=notitie") for r in VALID_WERKGEVERS)
    path = _write(tmp_path / "extra.xlsx", {
        "Werkgevers": _grid([*LABELS, "Opmerking intern"], rows),
        "DGA": _grid([f.label for f in DGA.fields], VALID_DGA)})
    result = validate_workbook(path)
    assert flat(result) == [("warning", "column-unknown", "Werkgevers",
                             f"{column_of(WERKGEVERS, None)}1")]
    assert result.findings[0].value == "Opmerking intern"
    assert result.valid


def test_missing_required_column_is_named_and_rejects_the_sheet(tmp_path: Path) -> None:
    """Without a Verloning column: one sheet-level error naming it; no employer delivered."""
    keep = [i for i, f in enumerate(WERKGEVERS.fields) if f.name != "verloning"]
    rows = tuple(tuple(r[i] for i in keep) for r in VALID_WERKGEVERS)
    path = _write(tmp_path / "noverloning.xlsx", {
        "Werkgevers": _grid([LABELS[i] for i in keep], rows),
        "DGA": _grid([f.label for f in DGA.fields], VALID_DGA)})
    result = validate_workbook(path)
    missing = [f for f in result.findings if f.code == "column-missing"]
    assert [(f.severity, f.sheet, f.cell, f.field) for f in missing] == [
        ("error", "Werkgevers", None, "verloning")]
    assert "Verloning" in missing[0].message("nl")
    assert result.werkgevers.counts() == {"rows": 6, "accepted": 0, "rejected": 6}
    assert not result.valid


def test_missing_werkgevers_sheet_is_a_file_level_error(tmp_path: Path) -> None:
    """A workbook without a Werkgevers sheet: one error saying which sheet is missing."""
    path = _write(tmp_path / "nosheet.xlsx", {"Blad1": [["iets anders"]]})
    result = validate_workbook(path)
    assert flat(result) == [("error", "sheet-missing", "Werkgevers", None)]


def test_header_not_found_is_reported(tmp_path: Path) -> None:
    """A Werkgevers sheet without recognisable headers: a finding, not a crash."""
    path = _write(tmp_path / "noheader.xlsx", {"Werkgevers": [["a", "b"], [1, 2]]})
    result = validate_workbook(path)
    assert flat(result) == [("error", "header-not-found", "Werkgevers", None)]


def test_missing_dga_sheet_only_matters_when_an_employer_says_ja(tmp_path: Path) -> None:
    """No DGA sheet: fine when every employer says Nee; an error when one says Ja."""
    nee = tuple(r for r in VALID_WERKGEVERS if value(r, "dga_in_verloning") == "Nee")
    fine = _write(tmp_path / "nee.xlsx", {"Werkgevers": _grid(LABELS, nee)})
    assert flat(validate_workbook(fine)) == []
    ja = _write(tmp_path / "ja.xlsx", {"Werkgevers": _grid(LABELS, VALID_WERKGEVERS)})
    result = validate_workbook(ja)
    assert ("error", "dga-sheet-missing", "DGA", None) in flat(result)
    assert {f.cell for f in result.findings if f.code == "dga-missing"} == {
        cell_of("dga_in_verloning", row) for row in (2, 4, 6)}


def test_blank_rows_are_skipped_and_not_counted(tmp_path: Path) -> None:
    """Fully blank rows between employers are not rows; addresses after them stay true."""
    grid = _grid(LABELS, VALID_WERKGEVERS[:2])
    grid.insert(2, [None] * len(LABELS))
    grid.insert(2, ["  ", None, "\u00a0"])
    grid.append(list(VALID_WERKGEVERS[3]))
    path = _write(tmp_path / "blank.xlsx", {"Werkgevers": grid, "DGA": _grid(
        [f.label for f in DGA.fields], VALID_DGA[:2])})
    result = validate_workbook(path)
    assert result.werkgevers.rows == [2, 5, 6]
    assert flat(result) == []


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("leeg.xlsx", b"", "empty-file"),
    ("tekst.xlsx", b"werkgever;id\nBakkerij;8106625\n", "corrupt"),
    ("kapot.xlsx", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40, "corrupt"),
    ("data.csv", b"a,b\n1,2\n", "not-a-spreadsheet"),
])
def test_unreadable_files_raise_with_a_reason(tmp_path: Path, name: str, content: bytes,
                                              reason: str) -> None:
    """Zero bytes, text renamed .xlsx, a truncated zip, a CSV: UnreadableWorkbook with a reason."""
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableWorkbook) as caught:
        read_workbook(path)
    assert caught.value.reason == reason


@pytest.mark.parametrize("suffix", ["ods", "xlsb", "xls"])
def test_ods_xlsb_and_xls_built_in_code_read_like_xlsx(tmp_path: Path, suffix: str) -> None:
    """The sample rows written as .ods, .xlsb and .xls by tests/binformats.py are read at the
    same cells and accepted, and their ranges are measured before calamine reads them."""
    import binformats as bf

    sheets = {"Werkgevers": bf.grid_cells([LABELS, *VALID_WERKGEVERS], 2, 1),
              "DGA": bf.grid_cells([[f.label for f in DGA.fields], *VALID_DGA])}
    writer = {"ods": bf.write_ods, "xlsb": bf.write_xlsb, "xls": bf.write_xls}[suffix]
    path = writer(tmp_path / f"geldig.{suffix}", sheets)
    result = validate_workbook(path)
    assert flat(result) == []
    assert result.werkgevers.header_row == 3
    assert result.werkgevers.columns["werkgever_naam"] == column_of(WERKGEVERS, "werkgever_naam",
                                                                     first=1)
    last = column_of(WERKGEVERS, WERKGEVERS.fields[-1].name, first=1)
    rows = 3 + len(VALID_WERKGEVERS)
    assert read_workbook(path).inspection.ranges["Werkgevers"].ref == f"B3:{last}{rows}"


@pytest.mark.parametrize("where", [
    "zipfile.ZipFile",                               # the inspection opening the package
    "intake.validation.extent.read_rels",            # the inspection reading workbook.xml
    "python_calamine.CalamineWorkbook.from_path",    # the parser opening the workbook
])
def test_running_out_of_memory_is_never_taken_for_a_damaged_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """A MemoryError (the address-space limit of the checking child, struck wherever the
    reading is) goes up as itself, to be reported as too large: no `except Exception` on the
    way turns it into "corrupt" (it did, and made a too-large file a damaged one)."""
    from intake.outputs.samples import fill

    path = fill(tmp_path / "geldig.xlsx", VALID_WERKGEVERS, VALID_DGA)
    read_workbook(path)  # readable as it is

    def out_of_memory(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(where, out_of_memory)
    with pytest.raises(MemoryError):
        read_workbook(path)
