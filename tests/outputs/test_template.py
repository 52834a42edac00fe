"""The template: exact headers, drop-downs with messages switched on, text ID columns, frozen
header; filled with the sample data it validates clean."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from intake.definition.fields import CHECKLIST, DGA, TEMPLATE_VERSION, WERKGEVERS
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill
from intake.outputs.template import write_template
from intake.validation.validate import validate_workbook

from conftest import cell_of, column_of, contracted, run_intake


def test_sheets_and_headers(tmp_path: Path) -> None:
    """Werkgevers and DGA carry exactly the contracted headers in row 1; Toelichting exists."""
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    assert book.sheetnames[:3] == ["Werkgevers", "DGA", "Toelichting"]
    for sheet, spec in (("Werkgevers", WERKGEVERS), ("DGA", DGA)):
        assert [c.value for c in book[sheet][1]] == [
            title for name, title in contracted(spec.csv_name) if name != "bron_rij"]
    assert book["Werkgevers"].freeze_panes == "A2"
    assert book["DGA"].freeze_panes == "A2"


def test_drop_downs_have_messages_and_alerts_on(tmp_path: Path) -> None:
    """Verloning and the Ja/Nee columns have list validations with input and error messages."""
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    validations = book["Werkgevers"].data_validations.dataValidation
    lists = {str(dv.sqref).split(":")[0]: dv for dv in validations if dv.type == "list"}
    closed = [f.name for f in WERKGEVERS.fields if f.kind.choices]
    assert closed == ["verloning", "dertiende_maand", "dga_in_verloning"]
    assert set(lists) == {cell_of(name, 2) for name in closed}
    for dv in lists.values():
        assert dv.showErrorMessage and dv.showInputMessage and dv.errorStyle == "stop"
        assert dv.prompt and dv.error
    hidden = book["Lijsten"]
    assert hidden.sheet_state == "hidden"
    assert [hidden["A2"].value, hidden["A3"].value] == ["Maand", "4 weken"]
    assert [hidden["B2"].value, hidden["B3"].value] == ["Ja", "Nee"]
    assert lists[cell_of("verloning", 2)].formula1 == "=Lijsten!$A$2:$A$3"


def test_id_columns_are_text_and_widths_readable(tmp_path: Path) -> None:
    """Contract, loonheffingennummer, Werkgever ID and personeelsnummer columns are text (@)."""
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    werkgevers = book["Werkgevers"]
    for name in ("raamwerkcontractnummer", "loonheffingennummer", "werkgever_id"):
        assert werkgevers.column_dimensions[column_of(WERKGEVERS, name)].number_format == "@"
    for name in ("salarisverwerker_naam", "salarisverwerker_email", "werkgever_naam"):
        assert werkgevers.column_dimensions[column_of(WERKGEVERS, name)].width >= 26
    for name in ("werkgever_id", "personeelsnummer"):
        assert book["DGA"].column_dimensions[column_of(DGA, name)].number_format == "@"


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
    """`intake template` output, filled in with the sample rows and the checklist answered,
    passes with no findings."""
    path = tmp_path / "ingevuld.xlsx"
    assert run_intake("template", str(path)).returncode == 0
    checklist = _checklist_rows(path)
    book = openpyxl.load_workbook(path)
    for name, rows in (("Werkgevers", VALID_WERKGEVERS), ("DGA", VALID_DGA)):
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                book[name].cell(row=r, column=c, value=value)
    for r in checklist:
        book["Toelichting"].cell(row=r, column=3, value="Ja")
    book.save(path)
    result = validate_workbook(path)
    assert result.findings == []
    assert result.werkgevers.accepted == len(VALID_WERKGEVERS)


def test_blank_template_is_reported_as_empty(tmp_path: Path) -> None:
    """Validating the blank template says there are no employers (not a crash, not 'valid'),
    and that the step 1 checklist is not answered."""
    result = validate_workbook(write_template(tmp_path / "t.xlsx"))
    assert [f.code for f in result.findings] == ["no-rows", *["checklist-incomplete"] * 9]


def test_version_stamp_is_read_back(tmp_path: Path) -> None:
    """The template carries its version; an older one gets a warning at the stamp's cell."""
    path = write_template(tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    assert book["Lijsten"]["D1"].value == "Sjabloonversie"
    assert book["Lijsten"]["E1"].value == TEMPLATE_VERSION
    assert "IntakeSjabloonversie" in book.defined_names
    book["Lijsten"]["E1"] = TEMPLATE_VERSION - 1
    book.save(path)
    old = [(f.severity, f.code, f.sheet, f.cell) for f in validate_workbook(path).findings
           if f.code == "template-outdated"]
    assert old == [("warning", "template-outdated", "Lijsten", "E1")]


def test_workbook_without_stamp_or_checklist_gets_no_warning_for_it(tmp_path: Path) -> None:
    """Users build their own workbooks: no version stamp and no checklist is no finding."""
    path = fill(tmp_path / "eigen.xlsx", VALID_WERKGEVERS, VALID_DGA)
    book = openpyxl.load_workbook(path)
    del book["Lijsten"], book["Toelichting"]
    book.save(path)
    assert validate_workbook(path).findings == []


def test_checklist_item_not_ja_is_a_warning_naming_it(tmp_path: Path) -> None:
    """A step 1 item answered Nee or left empty: a warning on its answer cell naming the item."""
    answers = ["Ja", "", "Ja", "Ja", "Ja", "Ja", "Ja", "nee", "Ja"]
    result = validate_workbook(fill(tmp_path / "c.xlsx", VALID_WERKGEVERS, VALID_DGA,
                                    checklist=answers))
    found = [(f.severity, f.code, f.sheet, f.cell) for f in result.findings]
    rows = [r for r, answer in zip(_checklist_rows(tmp_path / "c.xlsx"), answers, strict=True)
            if answer.lower() != "ja"]
    assert found == [("warning", "checklist-incomplete", "Toelichting", f"C{r}") for r in rows]
    assert "actief (niet geblokkeerd)" in result.findings[0].message("nl")
    assert "Raadplegen loonoutput beperkt" in result.findings[1].message("nl")
    assert result.valid


def _checklist_rows(path: Path) -> list[int]:
    sheet = openpyxl.load_workbook(path)["Toelichting"]
    texts = {item.text for item in CHECKLIST}
    return [c.row for (c,) in sheet.iter_rows(min_col=2, max_col=2) if c.value in texts]


def test_checklist_has_drop_downs(tmp_path: Path) -> None:
    """Every checklist answer cell has a Ja/Nee drop-down with its alert on."""
    path = write_template(tmp_path / "t.xlsx")
    sheet = openpyxl.load_workbook(path)["Toelichting"]
    (validation,) = sheet.data_validations.dataValidation
    assert validation.showErrorMessage and validation.formula1 == "=Lijsten!$B$2:$B$3"
    assert {f"C{r}" for r in _checklist_rows(path)} == set(str(validation.sqref).split())


def test_fill_helper_writes_text_not_formulas(tmp_path: Path) -> None:
    """Sample text starting with '=' is stored as text, so the validator sees what was typed."""
    path = fill(tmp_path / "f.xlsx", [("=1+1",)], [])
    assert openpyxl.load_workbook(path)["Werkgevers"]["A2"].data_type == "s"


def test_wrapped_cells_have_row_heights(tmp_path: Path) -> None:
    """Every wrapped cell whose text needs more than one line sits in a row whose height holds
    that many lines (LibreOffice prints wrapped cells without a height one line high)."""
    from intake.outputs.layout import LINE_POINTS, line_count

    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    checked = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if not (cell.value and cell.alignment.wrap_text):
                    continue
                width = sheet.column_dimensions[cell.column_letter].width
                lines = line_count(str(cell.value), width)
                if lines > 1:
                    height = sheet.row_dimensions[cell.row].height
                    assert height is not None and height >= lines * LINE_POINTS, cell.coordinate
                    checked += 1
    assert checked >= 5


def test_headers_wrap_between_words_only(tmp_path: Path) -> None:
    """Every header of Werkgevers and DGA wraps, in a row two lines high, and each of its words
    fits its column: no 'Raamwerkcontractnumme/r' split mid-word."""
    from intake.outputs.layout import LINE_POINTS, line_count

    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    for name in ("Werkgevers", "DGA"):
        sheet = book[name]
        assert sheet.row_dimensions[1].height >= 2 * LINE_POINTS
        for cell in sheet[1]:
            width = sheet.column_dimensions[cell.column_letter].width
            assert cell.alignment.wrap_text, cell.value
            assert all(width >= len(word) * 1.1 + 2 for word in cell.value.split()), cell.value
            assert line_count(cell.value, width) <= 2, cell.value


def test_data_sheets_print_at_8_points_or_more(tmp_path: Path) -> None:
    """Werkgevers and DGA fitted to one A4 landscape page wide keep Calibri 11 at 8 pt or more
    (Excel's column widths in points: 7 px a character plus 5, at 0.75 pt a pixel) and repeat
    their header on every page."""
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    for sheet in (book["Werkgevers"], book["DGA"]):
        columns = [sheet.column_dimensions[c.column_letter] for c in sheet[1]]
        points = sum((d.width * 7 + 5) * 0.75 for d in columns)
        margins = (sheet.page_margins.left + sheet.page_margins.right) * 72
        scale = min(1.0, (297 / 25.4 * 72 - margins) / points)
        assert 11 * scale >= 8, (sheet.title, round(11 * scale, 1))
        assert sheet.print_title_rows == "$1:$1"


def test_every_sheet_prints_landscape_one_page_wide(tmp_path: Path) -> None:
    """Each visible sheet prints A4 landscape, fitted to one page wide (not a column a page)."""
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)


def test_drop_down_texts_are_whole(tmp_path: Path) -> None:
    """No drop-down title or message is cut at Excel's limits (32 and 255 characters): titles
    are whole words, and no message ends mid-word."""
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    labels = {f.label for f in (*WERKGEVERS.fields, *DGA.fields)}
    for sheet in book.worksheets:
        for dv in sheet.data_validations.dataValidation:
            assert len(dv.promptTitle or "") <= 32 and len(dv.errorTitle or "") <= 32
            assert dv.promptTitle in labels | {"Klopt het?"}
            assert dv.errorTitle in {"Ongeldige waarde", "Ja of Nee"}
            for text in (dv.prompt, dv.error):
                assert text and len(text) <= 255
                assert text.endswith((".", "?", "…", ")")), text


def test_toelichting_says_where_the_workbook_goes(tmp_path: Path) -> None:
    """`intake template --submit-to TEXT` shows TEXT on Toelichting under its own step; without
    it, Toelichting says to deliver as agreed with a.s.r."""
    text = "Upload de werkmap in het werkgeversportaal van a.s.r."
    done = run_intake("template", str(tmp_path / "t.xlsx"), "--submit-to", text)
    assert done.returncode == 0, done.stderr
    cells = [c.value for row in openpyxl.load_workbook(tmp_path / "t.xlsx")["Toelichting"]
             .iter_rows() for c in row if c.value]
    assert "Stap 3: lever de werkmap in" in cells
    assert cells[cells.index("Stap 3: lever de werkmap in") + 1] == text
    default = [c.value for row in openpyxl.load_workbook(write_template(tmp_path / "d.xlsx"))[
        "Toelichting"].iter_rows() for c in row if c.value]
    assert any("zoals met a.s.r. is afgesproken" in str(v) for v in default)


def test_werkgever_id_help_is_not_followed_by_the_contract_text(tmp_path: Path) -> None:
    """Toelichting says the Raamwerkcontractnummer's help once (in the column list), not again
    under "Waar vind ik het Werkgever ID?"."""
    sheet = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))["Toelichting"]
    texts = [sheet.cell(row=r, column=2).value for r in range(1, sheet.max_row + 1)]
    contract_help = WERKGEVERS.field("raamwerkcontractnummer").help_nl
    assert texts.count(contract_help) == 1


def test_template_does_not_overwrite_an_existing_file(tmp_path: Path) -> None:
    """`intake template keep.xlsx` refuses an existing file (exit 2, one line saying --force),
    leaves it untouched, and replaces it with --force."""
    keep = tmp_path / "keep.xlsx"
    keep.write_bytes(b"mijn eigen werk")
    done = run_intake("template", str(keep))
    assert done.returncode == 2
    assert "--force" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert keep.read_bytes() == b"mijn eigen werk"
    forced = run_intake("template", str(keep), "--force")
    assert forced.returncode == 0, forced.stderr
    assert openpyxl.load_workbook(keep).sheetnames[0] == "Werkgevers"
