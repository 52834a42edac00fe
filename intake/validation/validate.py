"""Validate a workbook: read it, normalise, run the cell rules and the cross checks, in one pass.

`validate_workbook` is the library's entry point; it returns a `Result` (data, never an exception
for problems in the data). Only a file that cannot be read at all raises `UnreadableWorkbook`,
and a workbook over its time limit `TimeLimitExceeded`. The library applies `Options.limits`
itself (size and shape in the reader, the time limit here), whoever calls it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, cast

from intake.definition.fields import (
    CHECKLIST,
    DGA,
    SHEETS,
    TEMPLATE_VERSION,
    WERKGEVERS,
    Kind,
    SheetSpec,
)
from intake.definition.findings import Finding
from intake.definition.messages import ERROR_VALUES, OTHER_ERROR_VALUE
from intake.definition.normalize import display
from intake.definition.status import Status
from intake.validation import crosschecks
from intake.validation.columns import work_out_sheet
from intake.validation.limits import Limits
from intake.validation.process import gc_paused
from intake.validation.reader import Table, UnreadableWorkbook, Workbook, read_workbook
from intake.validation.rules import (
    DEFAULT_CONTRACT_PREFIXES,
    load_engine_in_background,
    to_findings,
)
from intake.validation.sheetdata import SheetData
from intake.validation.timelimit import running, time_limit

#: What `validate_workbook` reads: a path (str or Path) or an open binary file (an upload).
Source = str | os.PathLike[str] | BinaryIO


@dataclass(frozen=True)
class Options:
    """How to validate: which Raamwerkcontractnummer prefixes are accepted, and the limits an
    untrusted file is held to."""

    contract_prefixes: tuple[str, ...] = DEFAULT_CONTRACT_PREFIXES
    limits: Limits = field(default_factory=Limits)
    #: Parse the data sheets while the package is inspected (see `read_workbook`): only in a
    #: process whose limits the operating system enforces and that may be lost, since a
    #: hostile file can end it before the inspection has refused the file.
    read_ahead: bool = False


@dataclass
class Result:
    """Everything found in one workbook: both sheets' rows and all findings, sorted."""

    path: Path
    werkgevers: SheetData
    dga: SheetData
    findings: list[Finding] = field(default_factory=list)
    sheet_names: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """How many findings are errors."""
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        """How many findings are warnings."""
        return len(self.findings) - self.errors

    @property
    def valid(self) -> bool:
        """True when nothing is an error (warnings allowed)."""
        return self.errors == 0

    @property
    def marked(self) -> bool:
        """True when an error is about a cell (the feedback workbook marks it red); False when
        every error is about the workbook as a whole (a sheet, the header, its size)."""
        return any(f.severity == "error" and f.cell for f in self.findings)

    @property
    def status(self) -> Status:
        """accepted when every employer is accepted and nothing is an error; partially
        accepted when some are; rejected when none is."""
        accepted = self.werkgevers.accepted
        if self.valid and accepted == len(self.werkgevers) and accepted:
            return Status.ACCEPTED
        return Status.PARTIAL if accepted else Status.REJECTED

    def summary(self) -> dict[str, object]:
        """The summary block of report.json."""
        return {"werkgevers": self.werkgevers.counts(), "dga": self.dga.counts(),
                "errors": self.errors, "warnings": self.warnings, "valid": self.valid}


def validate_workbook(source: Source, options: Options | None = None, *,
                      name: str | None = None) -> Result:
    """Validate a workbook against every rule and return the result.

    `source` is a path (str or Path) or a binary file object, such as an upload; `name` is the
    file name to go by for a file object (its suffix tells the format; by default the object's
    own `name`, else the content decides between .xlsx and .xls). The limits of
    `options.limits` apply, the time limit included.
    """
    options = options or Options()
    with _time_limit(options.limits.max_seconds), gc_paused(), \
            _as_path(source, name, options.limits) as path:
        result = _validate(path, options)
    if not isinstance(source, (str, os.PathLike)):
        weakref.finalize(result, shutil.rmtree, path.parent, ignore_errors=True)
    return result


def load_libraries() -> None:
    """Import the libraries a check uses before its time limit starts: a time-out that struck
    inside a first import would leave a module half made for every later check of the process
    (polars: "module 'polars._reexport' has no attribute 'DataFrame'")."""
    import pandera.polars  # noqa: F401
    import polars  # noqa: F401


def _time_limit(seconds: float) -> contextlib.AbstractContextManager[None]:
    """The library's own time limit, unless a caller's (the pipeline's) is already running: a
    timer of this process, or a limit of this thread (the timer thread where there is no
    setitimer)."""
    timer = hasattr(signal, "getitimer") and signal.getitimer(signal.ITIMER_REAL)[0] > 0
    return contextlib.nullcontext() if timer or running() else time_limit(seconds)


@contextlib.contextmanager
def _as_path(source: Source, name: str | None, limits: Limits) -> Iterator[Path]:
    """A path to read: the given one, or a private copy of a file object's bytes (at most the
    size limit) that lives as long as the result made from it (the report hashes it and the
    feedback workbook is a patched copy of it)."""
    if isinstance(source, (str, os.PathLike)):
        yield Path(source)
        return
    shown = Path(os.path.basename(name or str(getattr(source, "name", "") or "")) or "upload")
    budget = limits.max_uncompressed_mb * 1024 * 1024
    data = source.read(budget + 1)
    if not isinstance(data, bytes):
        raise TypeError("validate_workbook needs a binary file object (opened with 'rb')")
    if len(data) > budget:
        raise UnreadableWorkbook(shown, "too-big", f"> {limits.max_uncompressed_mb} MB")
    if not shown.suffix:
        shown = shown.with_suffix(".xlsx" if data[:2] == b"PK" else ".xls")
    folder = Path(tempfile.mkdtemp(prefix="intake-upload-"))
    path = folder / shown.name
    try:
        path.write_bytes(data)
        yield path
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _validate(path: Path, options: Options) -> Result:
    book = read_workbook(path, options.limits, while_parsing=load_engine_in_background,
                         read_ahead=options.read_ahead)
    findings = list(book.findings) + _package_findings(book)
    werkgevers = _sheet_data(book.tables.get(WERKGEVERS.name), WERKGEVERS)
    dga = _sheet_data(book.tables.get(DGA.name), DGA)
    findings += _work_out_columns(book, (werkgevers, dga), options.contract_prefixes)
    findings = _formula_results(book, findings)

    if WERKGEVERS.name not in book.found:
        findings.append(Finding("sheet-missing", sheet=WERKGEVERS.name))
    elif werkgevers.sheet is not None and werkgevers.usable and not len(werkgevers):
        findings.append(Finding("no-rows", sheet=werkgevers.sheet))
    says_dga = "ja" in werkgevers.values.get("dga_in_verloning", [])
    if DGA.name not in book.found and says_dga:
        findings.append(Finding("dga-sheet-missing", sheet=DGA.name))

    findings += _template_findings(book)
    position = {row: i for i, row in enumerate(werkgevers.rows)}
    bad_ids = {position[f.row] for f in findings
               if f.sheet == werkgevers.sheet and f.field == "werkgever_id"
               and f.severity == "error" and f.row in position}
    findings += crosschecks.werkgever_duplicates(werkgevers, bad_ids)
    findings += crosschecks.dga_rows(werkgevers, dga)
    _mark_rejected(dga, findings)
    held = crosschecks.employers_with_rejected_dga(werkgevers, dga)
    findings += held
    _mark_rejected(werkgevers, findings, held)
    findings += crosschecks.dga_of_rejected_employers(werkgevers, dga)

    order = {spec.name: n for n, spec in enumerate(SHEETS)}
    sheet_rank = {werkgevers.sheet: 0, dga.sheet: 1}
    findings.sort(key=lambda f: (f.row is not None, sheet_rank.get(f.sheet, order.get(
        f.sheet or "", 2)), f.row or 0, len(f.column or ""), f.column or ""))
    return Result(path=path, werkgevers=werkgevers, dga=dga, findings=findings,
                  sheet_names=book.sheet_names)


def _package_findings(book: Workbook) -> list[Finding]:
    """What the package holds that the values do not show: warnings."""
    seen = book.inspection
    findings = []
    if seen.macros:
        findings.append(Finding("macros-ignored"))
    if seen.external_links:
        findings.append(Finding("external-links",
                                params=(("count", str(seen.external_links)),)))
    data_sheets = set(book.found.values())
    for sheet in book.hidden_sheets:
        if sheet in data_sheets:
            findings.append(Finding("hidden-sheet", sheet=sheet))
    for sheet in sorted(data_sheets):
        if rows := seen.hidden_rows.get(sheet):
            shown = ", ".join(map(str, rows[:20])) + (f" … ({len(rows)})" if len(rows) > 20
                                                      else "")
            findings.append(Finding("hidden-rows", sheet=sheet, params=(("rows", shown),)))
        if columns := seen.hidden_columns.get(sheet):
            findings.append(Finding("hidden-columns", sheet=sheet,
                                    params=(("columns", ", ".join(columns[:20])),)))
        # Only cells whose value is used: a formula in an ignored column does not matter.
        used = {letter for t in book.tables.values() if t.sheet == sheet
                for letter in t.columns.values()}
        for ref in seen.formulas_without_value.get(sheet, [])[:1000]:
            m = re.match(r"([A-Z]+)(\d+)$", ref)
            if m and m.group(1) in used:
                findings.append(Finding("formula-no-value", sheet=sheet, row=int(m.group(2)),
                                        column=m.group(1)))
    return findings


def _formula_results(book: Workbook, findings: list[Finding]) -> list[Finding]:
    """`findings` with what a formula gave told as such: a cell whose formula gives an error
    value (#N/A …) or was never calculated reads as empty, but is not; its "not filled in"
    becomes what the formula did, and an error value in a cell of a field that may be empty
    is an error too (the value meant is unknown)."""
    seen = book.inspection
    errors: dict[tuple[str | None, int | None, str | None], str] = {}
    fields: dict[tuple[str | None, str | None], str] = {}
    for table in book.tables.values():
        for name, letter in table.columns.items():
            fields[(table.sheet, letter)] = name
        for ref, error in seen.formula_errors.get(table.sheet, [])[:1000]:
            m = re.match(r"([A-Z]+)(\d+)$", ref)
            if m and (table.sheet, m.group(1)) in fields and int(m.group(2)) > table.header_row:
                errors[(table.sheet, int(m.group(2)), m.group(1))] = error
    uncalculated = {(f.sheet, f.row, f.column) for f in findings if f.code == "formula-no-value"}
    told: set[tuple[str | None, int | None, str | None]] = set()
    out = []
    for f in findings:
        key = (f.sheet, f.row, f.column)
        if f.code == "required" and key in errors:
            out.append(_formula_error(f.sheet, f.row, f.column, f.field, errors[key]))
            told.add(key)
        elif f.code == "required" and key in uncalculated:
            out.append(Finding("formula-not-calculated", sheet=f.sheet, row=f.row,
                               column=f.column, field=f.field))
            told.add(key)
        else:
            out.append(f)
    out = [f for f in out if not (f.code == "formula-no-value" and (f.sheet, f.row, f.column)
                                  in told)]
    for (sheet, row, column), error in errors.items():
        if (sheet, row, column) not in told:
            out.append(_formula_error(sheet, row, column, fields[(sheet, column)], error))
    return out


def _formula_error(sheet: str | None, row: int | None, column: str | None, field: str | None,
                   error: str) -> Finding:
    meaning = ERROR_VALUES.get(error.upper(), OTHER_ERROR_VALUE)
    return Finding("formula-error", sheet=sheet, row=row, column=column, field=field,
                   value=error, params=(("error", error), ("meaning_nl", meaning[0]),
                                        ("meaning_en", meaning[1])))


def _template_findings(book: Workbook) -> list[Finding]:
    """An older template version, and checklist items not answered Ja: warnings."""
    findings = []
    stamp = book.version
    if stamp is not None:
        shown = display(stamp.raw)
        if shown.isdigit() and int(shown) < TEMPLATE_VERSION:
            findings.append(Finding("template-outdated", sheet=stamp.sheet, row=stamp.row,
                                    column=stamp.column, value=shown,
                                    params=(("current", str(TEMPLATE_VERSION)),)))
    for answer in book.checklist:
        if Kind.JA_NEE.normalise(answer.raw) != "ja":
            findings.append(Finding("checklist-incomplete", sheet=answer.sheet, row=answer.row,
                                    column=answer.column, value=display(answer.raw),
                                    params=(("item", CHECKLIST[answer.item].text),)))
    return findings


def _sheet_data(table: Table | None, spec: SheetSpec) -> SheetData:
    if table is None:
        return SheetData(spec=spec)
    return SheetData(spec=spec, sheet=table.sheet, header_row=table.header_row,
                     rows=table.rows, columns=table.columns, usable=table.usable)


def _work_out_columns(book: Workbook, sheets: Sequence[SheetData],
                      contract_prefixes: tuple[str, ...]) -> list[Finding]:
    """Normalise and check every column of the data sheets; fill in `sheets`; return the
    findings (values repaired beyond spacing and case, cells failing their rules)."""
    findings = []
    for data in sheets:
        if data.sheet is None:
            continue
        raw_columns = book.tables[data.spec.name].values
        results = work_out_sheet(data.spec, raw_columns, contract_prefixes)
        failures = []
        for name, result in results.items():
            shown = result.shown if result.shown is not None else cast(list[str],
                                                                       raw_columns[name])
            data.shown[name] = shown
            data.values[name] = result.values
            column = data.columns[name]
            for i, (normalised, change) in result.changes.items():
                findings.append(Finding(
                    "lhn-normalised", sheet=data.sheet, row=data.rows[i], column=column,
                    field=name, value=shown[i],
                    params=(("normalised", normalised), ("change_nl", change[0]),
                            ("change_en", change[1]))))
            failures += [(i, name, code) for i, code in result.failures]
        findings += to_findings(data.spec, data.sheet, data.rows, data.columns, failures,
                                data.shown, data.values, contract_prefixes)
    return findings


def _mark_rejected(data: SheetData, findings: list[Finding],
                   held: list[Finding] | None = None) -> None:
    """Reject the rows with an error, and the rows `held` back (by their DGA rows' errors)."""
    bad_rows = {f.row for f in findings
                if f.severity == "error" and f.sheet == data.sheet and f.row is not None
                and f.row != data.header_row} | {f.row for f in held or []}
    data.rejected = [not data.usable or row in bad_rows for row in data.rows]
