"""Normalise and check the columns of the data sheets, on two processes for large sheets.

Each column is one unit of work: what every cell shows, its normalised value, the
loonheffingennummers changed beyond spacing and case, and the cells failing their rule chain.
Above PARALLEL_ROWS rows the units are shared between two forked worker processes (the read
data is inherited by the fork, only the results travel back); the machines this runs on have
two cores, and these units are most of the Python work after the XML parse.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from intake.fields import Field, Kind
from intake.normalize import display, loonheffingennummer, normalise
from intake.rules import LHN_RE, column_failures

#: Columns of sheets with at least this many rows in total are worked on in two processes.
PARALLEL_ROWS = 20_000


@dataclass(frozen=True)
class ColumnResult:
    """One column worked out. `shown` is None when it equals the raw values (all text)."""

    shown: list[str] | None
    values: list[str | None]
    changes: dict[int, tuple[str, tuple[str, str]]]
    failures: list[tuple[int, str]]


Unit = tuple[Field, list[object]]
_UNITS: list[Unit] = []
_PREFIXES: tuple[str, ...] = ()


def work_out(units: Sequence[Unit], prefixes: tuple[str, ...]) -> list[ColumnResult]:
    """Each unit (field, raw column) worked out, in order; in parallel when it pays."""
    rows = sum(len(raw) for _, raw in units)
    if rows < PARALLEL_ROWS or len(units) < 2 or not _can_fork():
        return [_column(f, raw, prefixes) for f, raw in units]
    global _UNITS, _PREFIXES
    _UNITS, _PREFIXES = list(units), prefixes
    try:
        order = sorted(range(len(units)), key=lambda i: -len(set(units[i][1][:2000])))
        with multiprocessing.get_context("fork").Pool(2) as pool:
            done = dict(zip(order, pool.map(_unit, order, chunksize=1), strict=True))
    finally:
        _UNITS, _PREFIXES = [], ()
    return [done[i] for i in range(len(units))]


def _can_fork() -> bool:
    """Fork only where it is safe: a fork start method, one thread, not a daemon process."""
    return ("fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1
            and not multiprocessing.current_process().daemon)


def _unit(index: int) -> ColumnResult:
    f, raw = _UNITS[index]
    return _column(f, raw, _PREFIXES)


def _column(f: Field, raw_values: list[object], prefixes: tuple[str, ...]) -> ColumnResult:
    shown, values, changes = normalised_column(f.kind, raw_values)
    return ColumnResult(shown=None if shown is raw_values else shown, values=values,
                        changes=changes, failures=column_failures(f, values, prefixes))


def normalised_column(kind: Kind, raw_values: list[object]) -> tuple[
        list[str], list[str | None], dict[int, tuple[str, tuple[str, str]]]]:
    """What each cell shows, its normalised value, and the loonheffingennummers changed beyond
    spacing and case; each distinct raw value is worked out once."""
    distinct = dict.fromkeys(raw_values)
    keys: list[Any] = raw_values
    if any(type(v) is bool for v in distinct):
        # True == 1 == 1.0 as dict keys, but they show differently: key by type as well.
        keys = [(type(v), v) for v in raw_values]
        worked = {key: _work_out(kind, key[1]) for key in dict.fromkeys(keys)}
    else:
        worked = {v: _work_out(kind, v) for v in distinct}
    values = list(map({k: w[1] for k, w in worked.items()}.__getitem__, keys))
    if keys is raw_values and all(type(v) is str for v in distinct):
        shown = cast(list[str], raw_values)  # text shows as itself
    else:
        shown = list(map({k: w[0] for k, w in worked.items()}.__getitem__, keys))
    changes: dict[int, tuple[str, tuple[str, str]]] = {}
    changed = {k: w for k, w in worked.items() if w[2] is not None}
    if changed:
        for i, key in enumerate(keys):
            if key in changed:
                _, value, change = changed[key]
                changes[i] = (value or "", cast(tuple[str, str], change))
    return shown, values, changes


def _work_out(kind: Kind, raw: object) -> tuple[str, str | None, tuple[str, str] | None]:
    if kind is Kind.LOONHEFFINGENNUMMER:
        value, change = loonheffingennummer(raw)
        return display(raw), value, change if LHN_RE.match(value or "") else None
    return display(raw), normalise(kind, raw), None
