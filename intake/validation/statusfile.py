"""Read a status file (a.s.r.'s or Keylane's: per registration the state it reached) and run its
cell rules: a CSV or a workbook, through the same reading path and the same pandera schema builder
as the template's sheets (`intake.definition.fields.STATUS`).

A workbook is read by `read_workbook` (the package inspected before calamine parses it, within
the limits); a CSV is read as text within the same limits (size, rows). What it finds is data:
a `SheetData` of the normalised rows and the findings, the file's rows and columns as the reader
sees them (for a CSV: the line number and A, B, C … for the columns). The checks against the
ledger (unknown employers, moves backwards) are the batch's (`intake.batch.statusimport`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from intake.definition.cells import column_letter
from intake.definition.fields import STATUS, Kind, header_key
from intake.definition.findings import Finding
from intake.definition.kinds import EXCEL_DAYS, excel_day
from intake.definition.messages import LANGS
from intake.definition.normalize import display
from intake.definition.registration import shown_day
from intake.validation.columns import work_out_sheet
from intake.validation.limits import Limits
from intake.validation.reader import (
    SPREADSHEET_SUFFIXES,
    Table,
    UnreadableWorkbook,
    read_workbook,
)
from intake.validation.rules import DEFAULT_CONTRACT_PREFIXES, to_findings
from intake.validation.sheetdata import SheetData
from intake.validation.timelimit import time_limit

CSV_SUFFIXES = (".csv", ".txt")


@dataclass
class StatusFile:
    """What a status file holds: its rows normalised, and the findings of its cells."""

    path: Path
    data: SheetData
    findings: list[Finding] = field(default_factory=list)


def read_status_file(path: Path, limits: Limits | None = None) -> StatusFile:
    """Read and check the cells of the status file at `path`; UnreadableWorkbook when it cannot
    be read at all (not a CSV or workbook, too large, a zip bomb, not text)."""
    limits = limits or Limits()
    suffix = path.suffix.lower()
    if suffix not in (*CSV_SUFFIXES, *SPREADSHEET_SUFFIXES):
        raise UnreadableWorkbook(path, "status-not-a-table", suffix)
    with time_limit(limits.max_seconds):
        if suffix in CSV_SUFFIXES:
            findings: list[Finding] = []
            table = _read_csv(path, limits, findings)
        else:
            book = read_workbook(path, limits, sheets=(STATUS,))
            findings = list(book.findings)
            table = book.tables.get(STATUS.name)
            if STATUS.name not in book.found:
                findings.append(Finding("sheet-missing", sheet=STATUS.name))
            if table is not None:
                return _checked(path, table, findings, numbers_are_days=True,
                                date1904=book.inspection.date1904)
        return _checked(path, table, findings)


def _checked(path: Path, table: Table | None, findings: list[Finding],
             numbers_are_days: bool = False, date1904: bool = False) -> StatusFile:
    """The table's cells worked out and checked. With `numbers_are_days` (a workbook), a plain
    number in a date column is Excel's date number in the workbook's date system (`date1904`),
    as calamine already takes a number styled as a date; one that is no date is
    date-number-invalid on its cell. A CSV has no such numbers: its cells are text, with no type
    to tell a number from a date, so 46037 there is as likely a number in the wrong column as a
    date, and no one reading the file can check it: it stays date-invalid."""
    if table is None:
        return StatusFile(path, SheetData(spec=STATUS, usable=False), findings)
    data = SheetData(spec=STATUS, sheet=table.sheet, header_row=table.header_row,
                     rows=table.rows, columns=table.columns, usable=table.usable)
    if not data.usable:
        data.rejected = [True] * len(data.rows)
        return StatusFile(path, data, findings)
    raw = dict(table.values)
    numbers: dict[str, set[int]] = {}
    if numbers_are_days:
        for f in STATUS.fields:
            if f.kind is Kind.DATE and f.name in raw:
                raw[f.name], numbers[f.name] = _days_of_numbers(raw[f.name], date1904)
    results = work_out_sheet(STATUS, raw, DEFAULT_CONTRACT_PREFIXES)
    failures = []
    for name, result in results.items():
        if name in numbers:  # shown as the cell shows it: the number
            data.shown[name] = [display(v) for v in table.values[name]]
        else:
            data.shown[name] = result.shown if result.shown is not None else cast(
                list[str], table.values[name])
        data.values[name] = result.values
        for i, code in result.failures:
            if i in numbers.get(name, ()):
                findings.append(_not_a_day(data, name, i, date1904))
            else:
                failures.append((i, name, code))
    findings += to_findings(STATUS, data.sheet or STATUS.name, data.rows, data.columns,
                            failures, data.shown, data.values, DEFAULT_CONTRACT_PREFIXES)
    if not data.rows:
        findings.append(Finding("no-rows", sheet=data.sheet))
    bad = {f.row for f in findings if f.severity == "error" and f.row is not None}
    data.rejected = [row in bad for row in data.rows]
    return StatusFile(path, data, findings)


def _days_of_numbers(values: list[object], date1904: bool) -> tuple[list[object], set[int]]:
    """`values` with each plain number that is an Excel date number as its day (YYYY-MM-DD), and
    the positions of the numbers that are none (kept as they are: the date check refuses
    them)."""
    out: list[object] = []
    bad: set[int] = set()
    for i, value in enumerate(values):
        if type(value) in (int, float):  # not bool: TRUE is no date
            day = excel_day(cast(float, value), date1904)
            if day is None:
                bad.add(i)
            else:
                value = day
        out.append(value)
    return out, bad


def _not_a_day(data: SheetData, name: str, i: int, date1904: bool) -> Finding:
    """date-number-invalid on the cell of row `i` of column `name`: the number found and the
    numbers Excel counts as days, with the first and last day, as each language writes dates."""
    first, last = EXCEL_DAYS[date1904]
    days = (excel_day(first, date1904) or "", excel_day(last, date1904) or "")
    return Finding("date-number-invalid", sheet=data.sheet, row=data.rows[i],
                   column=data.columns[name], field=name, value=data.shown[name][i], params=(
                       ("first", str(first)), ("last", str(last)),
                       *((f"{which}_day_{lang}", shown_day(day, lang))
                         for which, day in zip(("first", "last"), days, strict=True)
                         for lang in LANGS)))


def _text(path: Path, limits: Limits) -> str:
    budget = limits.max_uncompressed_mb * 1024 * 1024
    try:
        with path.open("rb") as f:
            raw = f.read(budget + 1)
    except OSError as exc:
        raise UnreadableWorkbook(path, "cannot-open", exc.strerror or str(exc)) from exc
    if not raw:
        raise UnreadableWorkbook(path, "empty-file")
    if len(raw) > budget:
        raise UnreadableWorkbook(path, "file-too-big", f"> {limits.max_uncompressed_mb} MB")
    if b"\x00" in raw:
        raise UnreadableWorkbook(path, "csv-unreadable", "NUL")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise UnreadableWorkbook(path, "csv-unreadable", str(exc)) from exc


#: The longest CSV cell read (the csv module's own default): a longer one is in practice a
#: quotation mark never closed, the rest of the file one cell. Set for each read, as the limit
#: is the process's and a library may have raised it (frictionless sets it to the maximum).
CSV_CELL_LIMIT = 128 * 1024


def _read_csv(path: Path, limits: Limits, findings: list[Finding]) -> Table | None:
    """The CSV as a Table: the first line is the header (`;` or `,`, whichever it has more
    of), each further line a row (its line number as the row)."""
    before = csv.field_size_limit(CSV_CELL_LIMIT)
    try:
        return _csv_table(path, limits, findings)
    finally:
        csv.field_size_limit(before)


def _csv_table(path: Path, limits: Limits, findings: list[Finding]) -> Table | None:
    text = _text(path, limits)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    sheet = STATUS.name
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        findings.append(Finding("header-not-found", sheet=sheet, params=(
            ("rows", "1"), ("example", STATUS.fields[0].label))))
        return None
    lookup = {key: f for f in STATUS.fields for key in f.header_keys()}
    columns: dict[str, str] = {}
    positions: dict[str, int] = {}
    usable = True
    for j, value in enumerate(header):
        if not value.strip():
            continue
        letter = column_letter(j)
        f = lookup.get(header_key(value))
        if f is None:
            findings.append(Finding("column-unknown", sheet=sheet, row=1, column=letter,
                                    value=value.strip()))
        elif f.name in columns:
            usable = False
            findings.append(Finding("column-duplicate", sheet=sheet, row=1, column=letter,
                                    field=f.name, value=value.strip(),
                                    params=(("first", columns[f.name]),)))
        else:
            columns[f.name], positions[f.name] = letter, j
    if len(positions) < 2:
        findings.append(Finding("header-not-found", sheet=sheet, params=(
            ("rows", "1"), ("example", STATUS.fields[0].label))))
        return None
    for f in STATUS.fields:
        if f.name not in columns and f.required:
            usable = False
            findings.append(Finding("column-missing", sheet=sheet, field=f.name,
                                    params=(("header_row", "1"),)))
    table = Table(spec=STATUS, sheet=sheet, header_row=1, columns=columns,
                  values={name: [] for name in positions}, usable=usable)
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(table.rows) == limits.max_rows:
                findings.append(Finding("too-many-rows", sheet=sheet, params=(
                    ("max", str(limits.max_rows)), ("last", str(table.rows[-1])))))
                break
            table.rows.append(reader.line_num)
            for name, j in positions.items():
                table.values[name].append(row[j] if j < len(row) else "")
    except csv.Error as exc:  # in practice the csv module's limit on a field's length
        reason = "csv-cell-too-long" if "field limit" in str(exc) else "csv-unreadable"
        raise UnreadableWorkbook(path, reason, f"{exc}; line {reader.line_num}") from exc
    return table
