"""Read a workbook into tables of raw cell values, each value keeping its Excel address.

python-calamine does the reading (.xlsx, .xlsm, .xlsb, .xls, .ods). This module finds the sheets
by name, the header row in the first rows (a title above it is fine) and the table wherever it
starts, and maps the headers to fields through the aliases in `intake.definition.fields`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

from intake.definition.cells import column_letter
from intake.definition.errors import IntakeError
from intake.definition.fields import (
    CHECKLIST,
    EXPLANATION_SHEET,
    LISTS_SHEET,
    SHEETS,
    TEMPLATE_VERSION_LABEL,
    Field,
    SheetSpec,
    header_key,
)
from intake.definition.findings import Finding
from intake.definition.messages import FILE_ERRORS
from intake.validation.inspection import Inspection, Refused
from intake.validation.limits import Limits
from intake.validation.process import is_panic, short_of_memory
from intake.validation.safety import inspect

#: How many rows from the top of a sheet are searched for the header row.
HEADER_SEARCH_ROWS = 30

#: File types the reader accepts (all read by python-calamine).
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


class UnreadableWorkbook(IntakeError):
    """The file cannot be read as a spreadsheet; `reason` is a code in messages.FILE_ERRORS,
    `detail` what was found (shown after the reason)."""

    def __init__(self, path: Path, reason: str, detail: str = "") -> None:
        detail = " ".join(detail.split())[:300]
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"{path}: {FILE_ERRORS[reason]['nl']}{suffix}",
                         f"{path}: {FILE_ERRORS[reason]['en']}{suffix}", code=reason)
        self.path = path
        self.reason = reason
        self.detail = detail


#: File descriptors of stderr saved while calamine runs (see calamine_guard).
_SAVED_STDERR: list[int] = []
#: Whether calamine_guard holds back what the parser writes on stderr (see `private_stderr`).
_HOLD_STDERR = [True]


def private_stderr() -> None:
    """This process's stderr is private (a child's, read by its parent to tell why it died):
    let the parser write to it, so that an allocation failure's last words are seen."""
    _HOLD_STDERR[0] = False


def _of_the_reader(path: Path, exc: BaseException) -> BaseException | None:
    """What a panic of calamine is told as: a MemoryError where it was one, else
    UnreadableWorkbook('reader-failed'); None for anything else."""
    if short_of_memory(exc):
        return MemoryError(str(exc))
    if is_panic(exc):
        return UnreadableWorkbook(path, "reader-failed", str(exc))
    return None


@contextmanager
def calamine_guard(path: Path) -> Iterator[None]:
    """Turn a panic of the Rust reader into UnreadableWorkbook('reader-failed'), or into a
    MemoryError where it was one (`short_of_memory`). Rust prints a panic to file descriptor
    2 before Python sees it; that text is held back (the exception carries it), anything else
    written there meanwhile is passed on."""
    if not _HOLD_STDERR[0]:
        try:
            yield
        except BaseException as exc:
            if (ours := _of_the_reader(path, exc)) is not None:
                raise ours from exc
            raise
        return
    with tempfile.TemporaryFile() as held:
        _SAVED_STDERR.append(os.dup(2))
        os.dup2(held.fileno(), 2)
        panicked = False
        try:
            yield
        except BaseException as exc:
            if (ours := _of_the_reader(path, exc)) is not None:
                panicked = True
                raise ours from exc
            raise
        finally:
            restore_stderr()
            if not panicked and held.tell():
                held.seek(0)
                os.write(2, held.read())


def restore_stderr() -> None:
    """Give file descriptor 2 back (calamine_guard does; call it again where a time-out may
    have struck during that, once the time limit is over)."""
    while _SAVED_STDERR:
        saved = _SAVED_STDERR[-1]
        os.dup2(saved, 2)  # first: should this be interrupted, the next call does it again
        _SAVED_STDERR.pop()
        os.close(saved)


@dataclass
class Table:
    """The data rows of one sheet, column by column, as calamine gave them.

    `values[field][i]` is the raw value of `field` in Excel row `rows[i]`; an empty cell is "".
    """

    spec: SheetSpec
    sheet: str
    header_row: int
    columns: dict[str, str]
    rows: list[int] = field(default_factory=list)
    values: dict[str, list[object]] = field(default_factory=dict)
    usable: bool = True

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Stamp:
    """A value the template put on a sheet of its own (version, checklist answer), with its cell.

    `item` is the index of the checklist item, or -1 for the version stamp.
    """

    item: int
    sheet: str
    row: int
    column: str
    raw: object


@dataclass
class Workbook:
    """What was read: a table per sheet spec that was found, and the findings about shape."""

    path: Path
    tables: dict[str, Table]
    findings: list[Finding]
    sheet_names: list[str]
    #: The sheet found for each sheet spec (spec name → name in the workbook), with or without
    #: a usable table on it.
    found: dict[str, str] = field(default_factory=dict)
    #: The template version stamp, if the workbook carries one.
    version: Stamp | None = None
    #: The answers on the Toelichting checklist, if the workbook has it.
    checklist: list[Stamp] = field(default_factory=list)
    #: What the package holds that the values do not show (hidden rows, macros …).
    inspection: Inspection = field(default_factory=Inspection)
    #: Sheet names (as in the workbook) that are hidden.
    hidden_sheets: list[str] = field(default_factory=list)


def _is_blank(value: object) -> bool:
    return value == "" or value is None or (isinstance(value, str) and not value.strip())


def read_workbook(path: Path, limits: Limits | None = None,
                  while_parsing: Callable[[], object] | None = None,
                  read_ahead: bool = False,
                  sheets: Sequence[SheetSpec] = SHEETS) -> Workbook:
    """Read `path`; raise UnreadableWorkbook when it is not a spreadsheet that can be opened
    safely. The package is inspected (`intake.validation.safety`) before python-calamine's
    sheets are used, and no sheet over --max-cells is taken from calamine. `while_parsing` is
    called once the package passed the inspection, just before the parser starts (or while it
    finishes: it leaves the interpreter free, the time for work in another thread).

    With `read_ahead`, calamine parses the data sheets in a thread while the package is
    inspected (it lets go of the interpreter: on two cores the inspection costs no time of its
    own); what it read is used only once the inspection has passed the file, and only where
    the inspection would have let calamine read it. A hostile file can end the process
    meanwhile (calamine aborts where memory runs out): only for a process whose limits the
    operating system enforces and whose caller checks the file again without reading ahead
    when it dies (`intake.checking.check`). `sheets` are the data sheets looked for (the
    template's by default; the status file's for `intake status import`)."""
    limits = limits or Limits()
    if not path.is_file():
        raise UnreadableWorkbook(path, "not-found")
    if path.suffix.lower() not in SPREADSHEET_SUFFIXES:
        raise UnreadableWorkbook(path, "not-a-spreadsheet", path.suffix)
    size = path.stat().st_size
    if size == 0:
        raise UnreadableWorkbook(path, "empty-file")
    ahead = _ReadAhead(path, HEADER_SEARCH_ROWS + limits.max_rows) \
        if read_ahead and limits.inspect and size <= READ_AHEAD_MAX_BYTES else None
    try:
        inspection = inspect(path, limits) if limits.inspect else Inspection()
    except Refused as exc:
        raise UnreadableWorkbook(path, exc.reason, exc.detail) from exc
    except OSError as exc:  # permissions, a lock held by another program
        raise UnreadableWorkbook(path, "cannot-open", exc.strerror or str(exc)) from exc
    except MemoryError:
        raise
    except Exception as exc:  # whatever else a damaged package makes the zip reader raise
        raise UnreadableWorkbook(path, "corrupt", str(exc)) from exc
    with tempfile.TemporaryDirectory(prefix="intake-", ignore_cleanup_errors=True) as work, \
            calamine_guard(path):
        source = path
        if inspection.unsupported:
            source = without_sheets(path, set(inspection.unsupported), Path(work) / path.name)
        early = None
        if ahead is not None and source == path:
            if while_parsing is not None:
                while_parsing()  # while the thread finishes
                while_parsing = None
            early = ahead.result()
        return _read(path, source, inspection, limits, while_parsing, early, sheets)


#: Files up to this size are read ahead. A larger one is read after its inspection: the two
#: at once would add the inspection's memory to the parser's (a workbook of 450,000 employers,
#: 22 MB, peaked at 1,058 MB read ahead against 951 MB one after the other).
READ_AHEAD_MAX_BYTES = 12 << 20

#: A data sheet as calamine gave it: its height, its values, where they start, merged ranges.
_Grid = tuple[int, list[list[object]], tuple[int, int], list[Any]]


class _ReadAhead:
    """python-calamine opening the workbook and reading its data sheets, in a thread."""

    def __init__(self, path: Path, nrows: int) -> None:
        self.path, self.nrows = path, nrows
        self.book: Any = None
        self.grids: dict[str, _Grid] = {}
        self.failed = False
        self.thread = threading.Thread(target=self._run, name="read-ahead", daemon=True)
        self.thread.start()
        _READING_AHEAD.append(self.thread)

    def _run(self) -> None:
        try:
            import python_calamine

            book = python_calamine.CalamineWorkbook.from_path(str(self.path))
            names = list(book.sheet_names)
            for spec in SHEETS:
                name = _find_sheet(names, spec)
                if name is None:
                    continue
                grid = book.get_sheet_by_name(name)
                data = cast(list[list[object]],
                            grid.to_python(skip_empty_area=True, nrows=self.nrows))
                start = (grid.start or (0, 0)) if data else (0, 0)
                self.grids[name] = (grid.height or 0, data, (start[0] or 0, start[1] or 0),
                                    list(grid.merged_cell_ranges or []))
            self.book = book
        except BaseException:  # read again where it failed: the error is then reported there
            self.failed = True

    def result(self) -> tuple[Any, dict[str, _Grid]] | None:
        """The workbook and its data sheets, once read (None where reading failed)."""
        self.thread.join()
        return None if self.failed else (self.book, self.grids)


#: Read-ahead threads started in this process: one still running when its file has been
#: refused is in native code that may never return (`reading_ahead`).
_READING_AHEAD: list[threading.Thread] = []


def reading_ahead() -> bool:
    """Whether a read-ahead thread of this process is still running: such a process should
    end after its answer rather than take another file."""
    _READING_AHEAD[:] = [t for t in _READING_AHEAD if t.is_alive()]
    return bool(_READING_AHEAD)


def open_calamine(path: Path, source: Path | None = None) -> object:
    """python-calamine's workbook for `source` (default `path`), with its errors as
    UnreadableWorkbook about `path`."""
    import python_calamine

    try:
        return python_calamine.CalamineWorkbook.from_path(str(source or path))
    except python_calamine.PasswordError as exc:
        raise UnreadableWorkbook(path, "encrypted", str(exc)) from exc
    except MemoryError:
        raise
    except Exception as exc:  # calamine raises several types for corrupt files
        raise UnreadableWorkbook(path, "corrupt", str(exc)) from exc


def without_sheets(path: Path, names: set[str], target: Path) -> Path:
    """A copy of the package at `path` whose workbook.xml lists no sheet named in `names`
    (calamine refuses a whole workbook over one Excel 4 macro sheet or dialog sheet)."""
    import re

    from intake.validation.ooxml import attrs

    def keep(tag: re.Match[bytes]) -> bytes:
        name = attrs(tag.group().decode("utf-8", "replace")).get("name")
        return b"" if name in names else tag.group()

    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename == "xl/workbook.xml":
                data = re.sub(rb"<(?:\w+:)?sheet\b[^>]*>", keep, zin.read(info))
                zout.writestr(info, data)
            else:
                with zin.open(info) as part, zout.open(info, "w") as copy:
                    shutil.copyfileobj(part, copy, 1 << 20)
    return target


def _read(path: Path, source: Path, inspection: Inspection, limits: Limits,
          while_parsing: Callable[[], object] | None,
          early: tuple[Any, dict[str, _Grid]] | None = None,
          sheets: Sequence[SheetSpec] = SHEETS) -> Workbook:
    book: Any = early[0] if early is not None else open_calamine(path, source)
    grids = early[1] if early is not None else {}
    if while_parsing is not None:
        while_parsing()
    findings: list[Finding] = [Finding("sheet-not-read", sheet=name, value=kind)
                               for name, kind in inspection.unsupported.items()]
    tables: dict[str, Table] = {}
    found: dict[str, str] = {}
    names: list[str] = list(book.sheet_names)
    hidden = [m.name for m in book.sheets_metadata
              if str(m.visible).endswith("Hidden") or str(m.visible).endswith("VeryHidden")]
    for name in names:
        if box := inspection.too_large(name, limits):
            findings.append(Finding("sheet-too-large", sheet=name, value=box.ref, params=(
                ("rows", str(box.last_row - box.first_row + 1)),
                ("columns", str(box.last_col - box.first_col + 1)),
                ("last", column_letter(box.last_col)))))
    for spec in sheets:
        sheet_name = _find_sheet(names, spec)
        if sheet_name is None:
            continue
        found[spec.name] = sheet_name
        if inspection.too_large(sheet_name, limits):
            continue
        nrows = HEADER_SEARCH_ROWS + limits.max_rows
        if sheet_name in grids:  # read ahead
            height, data, (first_row, first_col), merged = grids.pop(sheet_name)
        else:
            try:
                grid = book.get_sheet_by_name(sheet_name)
                height = grid.height or 0
                data = cast(list[list[object]],
                            grid.to_python(skip_empty_area=True, nrows=nrows))
                first_row, first_col = (grid.start or (0, 0)) if data else (0, 0)
                merged = list(grid.merged_cell_ranges or [])
            except MemoryError:
                raise  # the address-space limit, not the file's form (Status.TOO_LARGE)
            except Exception as exc:
                raise UnreadableWorkbook(path, "corrupt", f"{sheet_name}: {exc}") from exc
            del grid  # the parser's copy of the sheet: only `data` is needed from here
        table = _read_table(spec, sheet_name, data, first_row or 0, first_col or 0, findings)
        if table is not None:
            tables[spec.name] = table
            if len(table.rows) > limits.max_rows or (height > len(data) == nrows):
                del table.rows[limits.max_rows:]
                for column in table.values.values():
                    del column[limits.max_rows:]
                last = table.rows[-1] if table.rows else table.header_row
                findings.append(Finding("too-many-rows", sheet=sheet_name, params=(
                    ("max", str(limits.max_rows)), ("last", str(last)))))
            for (r0, c0), (r1, c1) in merged:
                if r0 + 1 <= table.header_row <= r1 + 1:
                    findings.append(Finding(
                        "merged-header", sheet=sheet_name, row=r0 + 1, column=column_letter(c0),
                        value=f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}"))
    usable = [n for n in names if not inspection.too_large(n, limits)]
    version, checklist = _template_stamps(book, usable)
    return Workbook(path=path, tables=tables, findings=findings, sheet_names=names,
                    found=found, version=version, checklist=checklist, inspection=inspection,
                    hidden_sheets=hidden)


_CHECKLIST_KEYS = {header_key(item.text): n for n, item in enumerate(CHECKLIST)}


def _template_stamps(book: object, names: list[str]) -> tuple[Stamp | None, list[Stamp]]:
    """The version stamp (beside its label on the lists sheet) and the checklist answers (right
    of each item's text on the explanation sheet). Missing sheets are no problem: users build
    their own workbooks too."""
    version: Stamp | None = None
    checklist: list[Stamp] = []
    # One sheet of each: the one named exactly, else the first whose name folds to it (a
    # workbook of thousands of "Toelichting." look-alikes costs two sheet reads, not thousands).
    wanted = []
    for helper in (LISTS_SHEET, EXPLANATION_SHEET):
        key = header_key(helper)
        exact = helper if helper in names else None
        wanted += [exact or next((n for n in names if header_key(n) == key), None)]
    for name in (n for n in wanted if n is not None):
        try:
            grid = book.get_sheet_by_name(name)  # type: ignore[attr-defined]
            data = grid.to_python(skip_empty_area=True, nrows=200)
            top, left = (grid.start or (0, 0)) if data else (0, 0)
        except MemoryError:
            raise  # the address-space limit: never taken for a broken sheet
        except Exception:  # a broken helper sheet must not stop the validation
            continue
        for i, row in enumerate(data):
            for j, value in enumerate(row[:-1]):
                if not isinstance(value, str):
                    continue
                cell_key = header_key(value)
                stamp_at = (name, top + i + 1, column_letter(left + j + 1), row[j + 1])
                if cell_key == header_key(TEMPLATE_VERSION_LABEL) and version is None:
                    version = Stamp(-1, *stamp_at)
                elif cell_key in _CHECKLIST_KEYS:
                    checklist.append(Stamp(_CHECKLIST_KEYS[cell_key], *stamp_at))
    return version, checklist


def _find_sheet(names: list[str], spec: SheetSpec) -> str | None:
    keys = spec.sheet_keys()
    for name in names:
        if header_key(name) == header_key(spec.name):
            return name
    for name in names:
        if header_key(name) in keys:
            return name
    return None


def _match(spec: SheetSpec) -> dict[str, Field]:
    lookup: dict[str, Field] = {}
    for f in spec.fields:
        for key in f.header_keys():
            lookup.setdefault(key, f)
    return lookup


def _read_table(
    spec: SheetSpec,
    sheet: str,
    data: list[list[object]],
    first_row: int,
    first_col: int,
    findings: list[Finding],
) -> Table | None:
    lookup = _match(spec)
    best_index, best_hits = -1, 0
    for i, row in enumerate(data[:HEADER_SEARCH_ROWS]):
        hits = len({lookup[k].name for k in (_key(v) for v in row) if k in lookup})
        if hits > best_hits:
            best_index, best_hits = i, hits
    if best_hits < min(2, len(spec.fields)):
        findings.append(Finding("header-not-found", sheet=sheet,
                                params=(("rows", str(HEADER_SEARCH_ROWS)),
                                        ("example", spec.fields[0].label))))
        return None

    header_row = first_row + best_index + 1
    columns: dict[str, str] = {}
    positions: dict[str, int] = {}
    usable = True
    for j, value in enumerate(data[best_index]):
        if _is_blank(value):
            continue
        letter = column_letter(first_col + j)
        f = lookup.get(_key(value))
        if f is None:
            findings.append(Finding("column-unknown", sheet=sheet, row=header_row,
                                    column=letter, value=str(value).strip()))
        elif f.name in columns:
            usable = False
            findings.append(Finding("column-duplicate", sheet=sheet, row=header_row,
                                    column=letter, field=f.name, value=str(value).strip(),
                                    params=(("first", columns[f.name]),)))
        else:
            columns[f.name] = letter
            positions[f.name] = j
    for f in spec.fields:
        if f.name not in columns and f.required:
            usable = False
            findings.append(Finding("column-missing", sheet=sheet, field=f.name,
                                    params=(("header_row", str(header_row)),)))

    table = Table(spec=spec, sheet=sheet, header_row=header_row, columns=columns,
                  values={name: [] for name in positions}, usable=usable)
    body = data[best_index + 1:]
    # calamine gives every row the sheet's full width, so columns can be taken by index.
    if body and positions and min(map(len, body)) > max(positions.values()):
        columns_raw = {name: list(map(itemgetter(j), body)) for name, j in positions.items()}
    else:
        columns_raw = {name: [row[j] if j < len(row) else "" for row in body]
                       for name, j in positions.items()}
    keep = _not_blank_rows(list(columns_raw.values()), len(body))
    table.rows = [first_row + best_index + 2 + i for i in keep]
    if len(keep) == len(body):
        table.values = columns_raw
    else:
        table.values = {name: [column[i] for i in keep] for name, column in columns_raw.items()}
    return table


def _not_blank_rows(columns: list[list[object]], count: int) -> list[int]:
    """The positions of the rows with a value in at least one of `columns`. A row is blank
    when every column is: the rows blank in the first column are the only candidates, and
    each further column can only narrow them."""
    blank = range(count) if not columns else [
        i for i, v in enumerate(columns[0])
        if v == "" or v is None or (type(v) is str and v.isspace())]  # _is_blank, inlined
    for column in columns[1:]:
        if not blank:
            break
        blank = [i for i in blank if _is_blank(column[i])]
    if not blank:
        return list(range(count))
    dropped = set(blank)
    return [i for i in range(count) if i not in dropped]


def _key(value: object) -> str:
    return header_key(value) if isinstance(value, str) else ""
