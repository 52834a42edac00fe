"""Shared helpers: build real workbooks with openpyxl and run the installed `intake` command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from intake.definition.fields import SHEETS
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, Row, fill
from intake.outputs.xlsxpatch import FILL_RGB
from intake.validation.validate import Options, Result, validate_workbook

RED, AMBER = FILL_RGB["error"], FILL_RGB["warning"]
INTAKE = shutil.which("intake") or str(Path(sys.executable).with_name("intake"))


def flat(result: Result) -> list[tuple[str, str, str | None, str | None]]:
    """Findings as (severity, code, sheet, cell): the shape most tests assert on."""
    return [(f.severity, f.code, f.sheet, f.cell) for f in result.findings]


@pytest.fixture
def workbook(tmp_path: Path) -> Callable[..., Path]:
    """Write the template filled with the given rows (valid sample rows by default)."""
    counter = iter(range(1_000_000))

    def make(werkgevers: Sequence[Row] = VALID_WERKGEVERS, dga: Sequence[Row] = VALID_DGA,
             name: str | None = None) -> Path:
        return fill(tmp_path / (name or f"wb{next(counter)}.xlsx"), werkgevers, dga)

    return make


@pytest.fixture
def check(workbook: Callable[..., Path]) -> Callable[..., Result]:
    """Validate a workbook built from the given rows."""

    def run(werkgevers: Sequence[Row] = VALID_WERKGEVERS, dga: Sequence[Row] = VALID_DGA,
            options: Options | None = None) -> Result:
        return validate_workbook(workbook(werkgevers, dga), options)

    return run


def run_intake(*args: str, cwd: Path | None = None, real: bool = False,
               ) -> subprocess.CompletedProcess[str]:
    """Run the `intake` command line: in this process through click (its checking child stays
    warm between tests), or with `real` the installed command in a process of its own, as a
    shell runs it (its exit code, streams and signals as the user's). An exception that would
    be a traceback in a real run fails the test here."""
    if real:
        return subprocess.run([INTAKE, *args], capture_output=True, text=True, cwd=cwd,
                              check=False)
    from click.testing import CliRunner

    from intake.cli import cli

    here = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        done = CliRunner().invoke(cli, list(args), prog_name="intake", catch_exceptions=False)
    finally:
        os.chdir(here)
    return subprocess.CompletedProcess([INTAKE, *args], done.exit_code, done.stdout, done.stderr)


def committed_files(db_path: Path) -> int:
    """How many files the ledger at `db_path` holds, read while a batch writes it: 0 while it
    is not there yet. Opened read-only, so polling never creates an empty file in its place
    (which the batch rightly refuses as a damaged ledger)."""
    import sqlite3

    try:
        with sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM files").fetchone()[0])
    except sqlite3.Error:
        return 0


def load_json(path: Path) -> Any:
    """Parse a JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def replace(row: Row, **by_name: object) -> Row:
    """`row` with values replaced by field name: `replace(row, verloning="week")`. The sheet
    is the one whose field count the row has."""
    (spec,) = [s for s in SHEETS if len(s.fields) == len(row)]
    names = [f.name for f in spec.fields]
    assert set(by_name) <= set(names), sorted(set(by_name) - set(names))
    return tuple(by_name.get(name, value) for name, value in zip(names, row, strict=True))


def value(row: Row, name: str) -> object:
    """The value of field `name` in a sample row (of the sheet whose field count it has)."""
    (spec,) = [s for s in SHEETS if len(s.fields) == len(row)]
    return row[[f.name for f in spec.fields].index(name)]


def our_fills(path: Path) -> dict[tuple[str, str], str]:
    """(sheet, cell) → our mark colour, for every cell outside Controle that carries one."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    out = {}
    for sheet in book.worksheets:
        if sheet.title.startswith("Controle"):
            continue
        for row in sheet.iter_rows():
            for cell in row:
                rgb = cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type else None
                if rgb in (RED, AMBER):
                    out[(sheet.title, cell.coordinate)] = rgb
    return out


def failure_report(folder: Path) -> dict[str, Any]:
    """The report.json of a file that was not checked, asserting it is all `folder` holds (no
    report.html, CSV or feedback that could be taken for a result)."""
    assert [p.name for p in folder.iterdir()] == ["report.json"]
    report: dict[str, Any] = load_json(folder / "report.json")
    assert report["status"] in ("unreadable", "too-large", "timed-out", "failed")
    assert report["error"]["message"]
    return report


ROOT = Path(__file__).resolve().parents[1]


def contracted(csv_name: str) -> list[tuple[str, str]]:
    """(name, title) of each column of a published Table Schema (schemas/<csv_name>.schema.json):
    what a template header or a CSV column must be."""
    schema = load_json(ROOT / "schemas" / f"{csv_name}.schema.json")
    return [(f["name"], f.get("title", "")) for f in schema["fields"]]


def column_of(spec: Any, name: str, first: int = 0) -> str:
    """The column letter of field `name` in a sheet written in the field list's order from
    0-based column `first`; `name` None: the column just after the last field."""
    from intake.definition.cells import column_letter

    names = [f.name for f in spec.fields]
    return column_letter(first + (len(names) if name is None else names.index(name)))


def cell_of(name: str, row: int, spec: Any = None) -> str:
    """The cell address of field `name` in sheet row `row` of a template-shaped sheet (the
    Werkgevers sheet unless `spec`): "G5" for the verloning of the fourth employer."""
    from intake.definition.fields import WERKGEVERS

    return f"{column_of(spec or WERKGEVERS, name)}{row}"


def at(name: str, row: int, spec: Any = None) -> tuple[str, str]:
    """(sheet, cell) of field `name` in row `row`: `flat`'s last two items."""
    from intake.definition.fields import WERKGEVERS

    spec = spec or WERKGEVERS
    return spec.name, cell_of(name, row, spec)


def file_size_limit(limit: int) -> Callable[[], None]:
    """A `preexec_fn` for a child that may write no file beyond `limit` bytes (RLIMIT_FSIZE,
    with SIGXFSZ ignored): its writes fail as on a full disk, with EFBIG where a full disk
    gives ENOSPC, and a short write that SQLite reports as SQLITE_FULL."""
    def limited() -> None:
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return limited
