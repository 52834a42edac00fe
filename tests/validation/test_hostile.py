"""Hostile and broken workbooks (built by tests/hostile.py): a clear message or a finding,
never a crash, a hang, unbounded memory or a delivery that looks successful."""

from __future__ import annotations

import json
import resource
import subprocess
from pathlib import Path

import hostile
import pytest

from conftest import INTAKE, at, failure_report, run_intake

#: Address space for the validator process: a bomb that reached the parser would need far more.
MEMORY_LIMIT = 1536 << 20


def _run(path: Path, out: Path, *extra: str, memory: int | None = None,
         real: bool = False) -> subprocess.CompletedProcess[str]:
    """`intake validate PATH --out OUT`: in this process, or (`real`, or with a `memory`
    limit) as a command of its own whose address space is limited to `memory`."""
    if not real and memory is None:
        return run_intake("validate", str(path), "--out", str(out), *extra)
    cap = MEMORY_LIMIT if memory is None else memory

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    return subprocess.run([INTAKE, "validate", str(path), "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=120, preexec_fn=limit,
                          check=False)


UNREADABLE = [
    (hostile.zero_bytes, "leeg (0 bytes)"),
    (hostile.text_renamed, "kan niet als werkmap worden gelezen"),
    (hostile.truncated, "kan niet als werkmap worden gelezen"),
    (hostile.encrypted, "met een wachtwoord beveiligd"),
    (hostile.zip_bomb, "te groot om veilig te lezen"),
    (hostile.lying_bomb, "kan niet als werkmap worden gelezen"),
    (hostile.many_entries, "te groot om veilig te lezen"),
    (hostile.entity_bomb, "XML-declaraties"),
    # calamine reserved room for the declared counts and ranges: aborts and a panic before
    (hostile.shared_strings_4g, "xl/sharedStrings.xml declares 4,294,967,295 strings"),
    (hostile.shared_strings_i64,
     "xl/sharedStrings.xml declares 9,223,372,036,854,775,807 strings"),
    (hostile.ods_repeated, "in kleinere delen (Werkgevers!A1:BH100001: 6,000,060 cells"),
    (hostile.sparse_corner_xls, "in kleinere delen (Werkgevers!A1:IV65536: 16,777,216 cells"),
    (hostile.xls_dimensions, "its DIMENSIONS record declares 281,470,681,677,825 cells"),
    (hostile.reader_panic, "het lezen liep vast op iets in dit bestand"),
    (hostile.ods_unclosed_table, "(content.xml: table 'DGA' is never closed)"),
    (hostile.many_sheet_entries, "veel meer bladen dan een aanmelding nodig heeft"),
    (hostile.duplicate_part, "(the package holds xl/worksheets/sheet1.xml more than once)"),
]


@pytest.mark.parametrize(("build", "words"), [
    pytest.param(b, w, id=b.__name__, marks=[pytest.mark.slow] if b in hostile.SLOW else [])
    for b, w in UNREADABLE])
def test_unreadable_files_get_one_line_and_exit_2(tmp_path: Path, build: hostile.Builder,
                                                   words: str) -> None:
    """Exit 2, one Dutch line naming the problem, no traceback, only a report.json saying why,
    within a memory limit the parser would break if the file reached it."""
    path = build(tmp_path)
    done = _run(path, tmp_path / "out", real=True)
    assert done.returncode == 2, done.stderr
    assert words in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    failure_report(tmp_path / "out")


def _findings(tmp_path: Path, build: hostile.Builder, *extra: str) -> tuple[int, list[tuple[
        str, str | None, str | None]], dict[str, object]]:
    done = _run(build(tmp_path), tmp_path / "out", *extra)
    assert "Traceback" not in done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    return done.returncode, [(f["code"], f["sheet"], f["cell"]) for f in report["findings"]], \
        report


def test_formatting_only_rows_and_columns_are_harmless(tmp_path: Path) -> None:
    """A million formatted rows and 16,384 formatted columns without values: read as usual."""
    code, found, report = _findings(tmp_path, hostile.formatting_only)
    assert code == 0 and found == []
    assert report["summary"]["werkgevers"]["rows"] == 6  # type: ignore[index]


def test_merged_header_cells_are_named(tmp_path: Path) -> None:
    """Merged cells across the header: a warning naming the range, and the missing column."""
    code, found, _ = _findings(tmp_path, hostile.merged_header)
    assert code == 1
    assert ("merged-header", *at("loonheffingennummer", 1)) in found
    assert ("column-missing", "Werkgevers", None) in found
    assert not [f for f in found if f[0] == "dga-werkgever-unknown"]


def test_hidden_rows_and_columns_are_read_and_reported(tmp_path: Path) -> None:
    """Hidden rows and columns are read and checked, with a warning that they were hidden."""
    code, found, report = _findings(tmp_path, hostile.hidden_rows_and_columns)
    assert code == 0
    assert ("hidden-rows", "Werkgevers", None) in found
    assert ("hidden-columns", "Werkgevers", None) in found
    assert report["summary"]["werkgevers"]["accepted"] == 6  # type: ignore[index]
    messages = " ".join(f["message"] for f in report["findings"])  # type: ignore[attr-defined]
    assert "(4)" in messages and "(C)" in messages


def test_hidden_data_sheet_is_reported(tmp_path: Path) -> None:
    """A hidden DGA sheet is read, with a warning."""
    code, found, _ = _findings(tmp_path, hostile.hidden_sheet)
    assert code == 0 and found == [("hidden-sheet", "DGA", None)]


def test_formula_without_value_is_told_as_not_calculated_at_its_cell(tmp_path: Path) -> None:
    """A formula with no cached value in a required cell: one error saying the formula was not
    calculated, not that the cell is empty."""
    code, found, report = _findings(tmp_path, hostile.formula_without_value)
    assert code == 1
    assert found == [("formula-not-calculated", *at("werkgever_id", 3))]
    (finding,) = report["findings"]  # type: ignore[misc]
    assert finding["message"].startswith("De formule in deze cel is niet berekend")
    assert "niet ingevuld" not in finding["message"]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_each_error_value_is_named_at_its_cell(tmp_path: Path, lang: str) -> None:
    """Every error value (#N/A, #REF! …) is a finding at its cell naming the error and what it
    means, in either language; the uncalculated formula beside them gets its own."""
    from intake.validation.validate import validate_workbook

    result = validate_workbook(hostile.formula_errors(tmp_path))
    found = [(f.code, f.sheet, f.cell, f.value) for f in result.findings]
    errors = [("formula-error", *at("werkgever_naam", 2 + n), error)
              for n, error in enumerate(hostile.ERROR_VALUES)]
    assert found == [*errors[:2], ("formula-not-calculated", *at("werkgever_id", 3), None),
                     *errors[2:], ("formula-no-value", *at("werkgever_naam", 11), None)]
    by_error = {f.value: f.message(lang) for f in result.findings if f.value}
    meaning = {"nl": "de opzoeking vond niets", "en": "the lookup found nothing"}[lang]
    assert by_error["#N/A"].startswith({"nl": "De formule in deze cel geeft #N/A: ",
                                        "en": "The formula in this cell gives #N/A: "}[lang])
    assert meaning in by_error["#N/A"]
    assert len(set(by_error.values())) == len(hostile.ERROR_VALUES)  # each its own meaning
    assert all("ingevuld" not in f.message("nl") for f in result.findings)


def test_huge_values_are_rejected_and_shortened_in_reports(tmp_path: Path) -> None:
    """32,767-character values: errors at their cells, shown shortened everywhere."""
    code, found, report = _findings(tmp_path, hostile.huge_values)
    assert code == 1
    assert found == [("too-long", *at("werkgever_naam", 5)), ("too-long", *at("werkgever_id", 5))]
    for f in report["findings"]:  # type: ignore[attr-defined]
        assert len(f["value"]) < 300 and f["value"].endswith("… [32767]")
    assert (tmp_path / "out" / "report.html").stat().st_size < 100_000


def test_control_characters_and_nul_are_rejected(tmp_path: Path) -> None:
    """NUL and BEL inside a name (escaped as _x0000_ in the XML): an error, never a CSV row."""
    code, found, _ = _findings(tmp_path, hostile.control_characters)
    assert code == 1 and found == [("control-characters", *at("werkgever_naam", 5))]
    assert "Installatie" not in (tmp_path / "out" / "werkgevers.csv").read_text(encoding="utf-8")


def test_right_to_left_override_is_rejected(tmp_path: Path) -> None:
    """A right-to-left override in a name ('Trojan source'): an error at the cell."""
    code, found, _ = _findings(tmp_path, hostile.right_to_left)
    assert code == 1 and found == [("invisible-characters", *at("werkgever_naam", 5))]


def test_spaces_around_ids_are_normalised(tmp_path: Path) -> None:
    """Non-breaking and zero-width spaces around IDs are removed without a finding."""
    code, found, _ = _findings(tmp_path, hostile.spaces_around_ids)
    assert code == 0 and found == []
    rows = (tmp_path / "out" / "werkgevers.csv").read_text(encoding="utf-8")
    assert ",812345678L01,8120456," in rows


def test_dates_in_id_columns_get_their_own_message(tmp_path: Path) -> None:
    """A Werkgever ID that Excel turned into a date: an error saying exactly that."""
    code, found, report = _findings(tmp_path, hostile.dates_in_ids)
    assert code == 1 and found == [("date-instead-of-number", *at("werkgever_id", 5))]
    assert "datum" in report["findings"][0]["message"]  # type: ignore[index]


def test_macros_are_never_run_and_say_so(tmp_path: Path) -> None:
    """An .xlsm with a VBA project: validated, macros ignored with a warning."""
    code, found, _ = _findings(tmp_path, hostile.macros)
    assert code == 0 and found == [("macros-ignored", None, None)]


def test_external_links_are_not_followed_and_say_so(tmp_path: Path) -> None:
    """Links to other files: not opened, a warning."""
    code, found, _ = _findings(tmp_path, hostile.external_link)
    assert code == 0 and found == [("external-links", None, None)]


def test_row_limit_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    """Past --max-rows: an error finding naming the limit; the rows before it are checked."""
    code, found, report = _findings(tmp_path, hostile.spaces_around_ids, "--max-rows", "3")
    assert code == 1
    assert ("too-many-rows", "Werkgevers", None) in found
    assert report["summary"]["werkgevers"]["rows"] == 3  # type: ignore[index]


def test_cell_limit_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    """Past --max-cells: the sheet is not read, and an error says how large it is."""
    code, found, _ = _findings(tmp_path, hostile.formatting_only, "--max-cells", "20")
    assert code == 1
    assert ("sheet-too-large", "Werkgevers", None) in found


def test_time_limit_stops_with_a_message(tmp_path: Path) -> None:
    """--max-seconds too small for the work: exit 2 with a message, nothing half-written."""
    path = hostile.huge_values(tmp_path)
    done = _run(path, tmp_path / "out", "--max-seconds", "0.001")
    assert done.returncode == 2
    assert "langer dan is toegestaan" in done.stderr
    assert failure_report(tmp_path / "out")["status"] == "timed-out"


def _finding(report: dict[str, object], code: str, sheet: str) -> dict[str, object]:
    found = [f for f in report["findings"]  # type: ignore[attr-defined]
             if f["code"] == code and f["sheet"] == sheet]
    assert len(found) == 1, report["findings"]
    return found[0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("build", "sheet", "ref"), [
    (hostile.sparse_corner, "Werkgevers", "A1:XFD1048576"),
    (hostile.far_row, "Werkgevers", "A1:T1000000"),
    (hostile.sparse_corner_xlsb, "Werkgevers", "A1:XFD1048576"),
    (hostile.sparse_corner_disguised, "Werkgevers", "A1:XFD1048576"),
    (hostile.sparse_corner_xlsb_early_end, "Werkgevers", "A1:XFD1048576"),
], ids=["xlsx", "T1000000", "xlsb", "disguised", "xlsb-early-end"])
def test_sparse_corner_is_a_finding_naming_the_range(tmp_path: Path, build: hostile.Builder,
                                                     sheet: str, ref: str) -> None:
    """A value far from the table (17 billion or 20 million cells in the range): the sheet is
    not built; an error names it and its range, under a 1 GB address-space limit."""
    done = _run(build(tmp_path), tmp_path / "out", memory=1 << 30)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert _finding(report, "sheet-too-large", sheet)["value"] == ref
    assert not list((tmp_path / "out").glob(".staging-*"))


def test_sparse_corner_on_the_explanation_sheet_leaves_the_data_checked(tmp_path: Path) -> None:
    """The far corner only on Toelichting: that sheet is named and skipped; the employers are
    read and accepted as usual."""
    done = _run(hostile.sparse_corner_explanation(tmp_path), tmp_path / "out", memory=1 << 30)
    assert "Traceback" not in done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert _finding(report, "sheet-too-large", "Toelichting")["value"] == "A1:XFD1048576"
    assert report["summary"]["werkgevers"]["accepted"] == 6  # type: ignore[index]


def test_max_cells_holds_before_the_sheet_is_built(tmp_path: Path) -> None:
    """--max-cells is applied to the range measured in the package: 20 million cells at 727 MB
    are never built, so 640 MB of address space are enough to say so."""
    done = _run(hostile.far_row(tmp_path), tmp_path / "out", "--max-cells", "1000000",
                memory=640 << 20)
    assert done.returncode == 1, done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert _finding(report, "sheet-too-large", "Werkgevers")["value"] == "A1:T1000000"


def test_max_mb_applies_to_xls(tmp_path: Path) -> None:
    """--max-mb 1 refuses a 2 MB .xls (before, .xls was passed to the parser unmeasured)."""
    path = hostile.xls_large(tmp_path)
    assert path.stat().st_size > 2 << 20 - 1
    done = _run(path, tmp_path / "out", "--max-mb", "1")
    assert done.returncode == 2
    assert "het bestand is te groot om veilig te lezen; splits de werkmap in kleinere delen " \
        "en lever die apart aan (2.1 MB, at most 1 MB)" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert _run(path, tmp_path / "out2").returncode == 0


def test_libreoffice_empty_tail_in_ods_is_not_counted(tmp_path: Path) -> None:
    """The million empty repeated rows LibreOffice writes after the data cost nothing."""
    done = _run(hostile.ods_libreoffice_tail(tmp_path), tmp_path / "out", memory=1 << 30)
    assert done.returncode == 0, done.stderr


def test_xlsb_built_in_code_validates(tmp_path: Path) -> None:
    """The .xlsb writer of the tests gives a workbook the validator accepts (so the .xlsb
    cases above fail for the reason they are about)."""
    assert _run(hostile.valid_xlsb(tmp_path), tmp_path / "out").returncode == 0


def test_macro_and_dialog_sheets_are_skipped_and_named(tmp_path: Path) -> None:
    """A Mac Excel 2011 .xlsm with an Excel 4 macro sheet and a dialog sheet: the other sheets
    are read and checked; each skipped sheet gets a warning saying what it is."""
    code, found, report = _findings(tmp_path, hostile.macro_and_dialog_sheets)
    assert code == 0
    assert sorted(found) == [("sheet-not-read", "Dialog1", None),
                             ("sheet-not-read", "Macro1", None)]
    assert report["summary"]["werkgevers"]["accepted"] == 6  # type: ignore[index]
    assert len(list((tmp_path / "out").glob("*-feedback.xlsm"))) == 1


def test_reader_panic_and_sparse_corner_in_a_batch(tmp_path: Path) -> None:
    """In `intake batch` a file that makes calamine panic is unreadable with that reason, a
    sparse-corner file gets its finding, and the run goes on (exit 1, no traceback)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    hostile.reader_panic(inbox)
    hostile.sparse_corner(inbox)
    (inbox / "bron.xlsx").unlink()
    done = subprocess.run([INTAKE, "batch", str(inbox), "--out", str(tmp_path / "out"),
                           "--settle", "0"], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "panicked" not in done.stderr
    summary = json.loads(next((tmp_path / "out").glob("*/summary.json")).read_text(
        encoding="utf-8"))
    files = {f["name"]: f for f in summary["files"]}
    assert files["paniek.xls"]["status"] == "unreadable"
    assert "het lezen liep vast" in files["paniek.xls"]["error"]
    assert files["hoek.xlsx"]["status"] == "rejected"  # its only data sheet is not read


def test_the_checklist_is_read_from_one_explanation_sheet(tmp_path: Path) -> None:
    """Two look-alikes of Toelichting beside the real one, answering Nee: only the sheet named
    exactly is read (a workbook of thousands of look-alikes costs one sheet read), so its Ja
    answers stand and no checklist finding appears."""
    import openpyxl

    from intake.definition.fields import EXPLANATION_SHEET
    from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill
    from intake.validation.validate import validate_workbook

    path = fill(tmp_path / "lijkt.xlsx", VALID_WERKGEVERS, VALID_DGA)
    book = openpyxl.load_workbook(path)
    for name in (f"{EXPLANATION_SHEET}.", f"{EXPLANATION_SHEET} (2)"):
        copy = book.copy_worksheet(book[EXPLANATION_SHEET])
        copy.title = name
        for row in copy.iter_rows():
            for cell in row:
                if cell.value == "Ja":
                    cell.value = "Nee"
    book.save(path)
    codes = {f.code for f in validate_workbook(path).findings}
    assert "checklist-incomplete" not in codes, codes

