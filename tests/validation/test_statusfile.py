"""A status file's date columns: a plain number in a workbook is Excel's date number, read by the
workbook's own date system; one that is no date is refused on its cell; a CSV's text is not."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from intake.outputs.samples import lhn
from intake.validation.statusfile import StatusFile, read_status_file

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
HEADER = ["Werkgever ID", "Loonheffingennummer", "Status", "Datum eerste uitwisseling", "Reden"]


def _workbook(path: Path, *dates: object, date1904: bool = False,
              number_format: str | None = None) -> Path:
    """A status workbook of one live row per date (Werkgever ID 9000001 …), the dates in column
    D as given (with `number_format` on each, if given), in the 1904 date system if asked."""
    book = openpyxl.Workbook()
    if date1904:
        book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    assert sheet is not None
    sheet.title = "Status"
    sheet.append(HEADER)
    for n, date in enumerate(dates, start=1):
        sheet.append([9_000_000 + n, lhn(n), "live", date, None])
        if number_format is not None:
            sheet.cell(n + 1, 4).number_format = number_format
    book.save(path)
    return path


def _dates(status: StatusFile) -> list[str | None]:
    return status.data.values["eerste_uitwisseling"]


def _flat(status: StatusFile) -> list[tuple[str | None, str]]:
    return [(f.cell, f.code) for f in status.findings]


@pytest.mark.parametrize(("number", "day"), [
    (46037, "2026-01-15"),                # typed into a cell with the General format
    (46037.75, "2026-01-15"),             # a date with a time of day: its day
    (46037.0, "2026-01-15"),
    (61, "1900-03-01"),                   # the first number taken
    (2_958_465, "9999-12-31"),            # Excel's last day
    (2_958_465.999, "9999-12-31"),
])
def test_a_plain_number_is_the_day_excel_counts(tmp_path: Path, number: float, day: str) -> None:
    """A number without a date style in a date column is the day Excel shows for it, in the
    1900 date system, without a finding; the cell still shows the number."""
    status = read_status_file(_workbook(tmp_path / "status.xlsx", number))
    assert _flat(status) == []
    assert _dates(status) == [day]
    assert status.data.shown["eerste_uitwisseling"] == [str(number).removesuffix(".0")]


@pytest.mark.parametrize("number", [60, 59, 1, 0, 0.5, -1, -46037, 2_958_466, 10**12])
def test_a_number_that_is_no_day_is_refused_on_its_cell(tmp_path: Path, number: float) -> None:
    """60 (Excel's 29-2-1900, a day that never was), the numbers before it, 0, a time of day
    alone, a negative number and one past 31-12-9999 are date-number-invalid on their cell,
    naming the number and the numbers taken, and the row is rejected."""
    status = read_status_file(_workbook(tmp_path / "status.xlsx", "2026-01-15", number))
    assert _flat(status) == [("D3", "date-number-invalid")]
    assert status.data.rejected == [False, True]
    finding = status.findings[0]
    assert finding.message("nl") == (
        f"Het getal {number} in de kolom 'Datum eerste uitwisseling' is geen datum: een getal "
        "wordt als datum genomen zoals Excel datums telt, van 61 (01-03-1900) tot en met "
        "2958465 (31-12-9999), en dit getal valt daarbuiten.")
    assert finding.message("en") == (
        f"The number {number} in column 'First exchange date' is not a date: a number is taken "
        "as a date as Excel counts dates, from 61 (1 March 1900) to 2958465 (31 December 9999), "
        "and this one is outside that count.")


def test_a_number_styled_as_a_date_and_a_date_cell_are_the_same_day(tmp_path: Path) -> None:
    """A number with a date style (calamine's own reading) and a date cell give the day they
    show, as before."""
    styled = read_status_file(_workbook(tmp_path / "styled.xlsx", 46037,
                                        number_format="dd-mm-yyyy"))
    dated = read_status_file(_workbook(tmp_path / "dated.xlsx", dt.datetime(2026, 1, 15)))
    assert _flat(styled) == _flat(dated) == []
    assert _dates(styled) == _dates(dated) == ["2026-01-15"]


def test_text_and_a_boolean_are_not_numbers(tmp_path: Path) -> None:
    """The digits typed as text ('46037) and TRUE stay date-invalid: only a number is a day."""
    status = read_status_file(_workbook(tmp_path / "status.xlsx", "46037", True))
    assert _flat(status) == [("D2", "date-invalid"), ("D3", "date-invalid")]


@pytest.mark.parametrize(("number", "day"), [
    (46037, "2030-01-16"),       # 1462 days later than in the 1900 system
    (46037.5, "2030-01-16"),
    (0, "1904-01-01"),           # the 1904 system's first day
    (60, "1904-03-01"),          # no leap-year error in this system
    (2_957_003, "9999-12-31"),
    (2_957_004, None),
    (-1, None),
])
def test_a_workbook_in_the_1904_date_system_counts_from_1904(tmp_path: Path, number: float,
                                                             day: str | None) -> None:
    """In a workbook set to the 1904 date system (`<workbookPr date1904="1"/>`), a plain number
    is a day of that count, as a date cell of the same workbook is; a number outside it is
    date-number-invalid, naming that system's numbers."""
    path = _workbook(tmp_path / "mac.xlsx", number, dt.datetime(2026, 1, 15), date1904=True)
    status = read_status_file(path)
    assert _dates(status)[1] == "2026-01-15"
    if day is not None:
        assert _flat(status) == [] and _dates(status)[0] == day
        return
    assert _flat(status) == [("D2", "date-number-invalid")]
    assert "van 0 (01-01-1904) tot en met 2957003 (31-12-9999)" in status.findings[0].message()


def test_a_csv_takes_no_number_as_a_date(tmp_path: Path) -> None:
    """In a CSV, 46037 is text like any other cell: date-invalid, not a day."""
    path = tmp_path / "status.csv"
    path.write_text(";".join(HEADER) + f"\n9000001;{lhn(1)};live;46037;\n", encoding="utf-8")
    status = read_status_file(path)
    assert _flat(status) == [("D2", "date-invalid")]


@pytest.mark.external
@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice Calc (Debian libreoffice-calc) is not "
                    "installed; .ci/run installs it")
@pytest.mark.parametrize(("date1904", "day"), [(False, "2026-01-15"), (True, "2030-01-16")])
def test_a_workbook_saved_by_libreoffice_is_read_by_its_date_system(
        tmp_path: Path, date1904: bool, day: str) -> None:
    """The workbook saved again by LibreOffice Calc (which writes date1904="true" or "false",
    not "1") gives the same days: the plain number by the workbook's date system, the date cell
    as it was, and a number past the last day refused."""
    source = _workbook(tmp_path / "bron.xlsx", 46037, dt.datetime(2026, 1, 15), 3_000_000,
                       date1904=date1904)
    out = tmp_path / "lo"
    subprocess.run([str(SOFFICE), f"-env:UserInstallation=file://{tmp_path / 'profile'}",
                    "--headless", "--convert-to", "xlsx", "--outdir", str(out), str(source)],
                   check=True, capture_output=True, timeout=180)
    status = read_status_file(out / "bron.xlsx")
    assert _dates(status)[:2] == [day, "2026-01-15"]
    assert _flat(status) == [("D4", "date-number-invalid")]


def test_a_huge_number_is_named_as_excel_shows_it(tmp_path: Path) -> None:
    """1E+308 in a date column is refused as 1E+308, not as the 309 digits of the float."""
    status = read_status_file(_workbook(tmp_path / "status.xlsx", 1e308))
    assert _flat(status) == [("D2", "date-number-invalid")]
    assert status.findings[0].message("nl").startswith(
        "Het getal 1E+308 in de kolom 'Datum eerste uitwisseling' is geen datum")
