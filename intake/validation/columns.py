"""Normalise the columns of a data sheet and run its pandera schema over them.

Per column: what every cell shows, its normalised value (vectorised with polars for the kinds that
work on the text alone; once per distinct raw value for the closed lists, which need the raw type of
an Excel boolean), and the values a kind repaired beyond spacing and case. Then the sheet's schema
(`intake.validation.rules.cell_failures`) finds the failing cells of all columns at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from intake.definition.fields import SheetSpec
from intake.definition.kinds import KindSpec
from intake.definition.normalize import display
from intake.validation.rules import cell_failures


@dataclass(frozen=True)
class ColumnResult:
    """One column worked out. `shown` is None when it equals the raw values (all text)."""

    shown: list[str] | None
    values: list[str | None]
    changes: dict[int, tuple[str, tuple[str, str]]]
    failures: list[tuple[int, str]]


Changes = dict[int, tuple[str, tuple[str, str]]]


def work_out_sheet(spec: SheetSpec, raw_columns: Mapping[str, list[object]],
                   prefixes: Sequence[str]) -> dict[str, ColumnResult]:
    """Every column of one sheet worked out: shown, normalised, repaired, failing cells."""
    worked = {name: normalised_column(spec.field(name).kind, raw)
              for name, raw in raw_columns.items()}
    values = {name: w[1] for name, w in worked.items()}
    failures: dict[str, list[tuple[int, str]]] = {name: [] for name in raw_columns}
    for position, name, code in cell_failures(spec, values, prefixes):
        failures[name].append((position, code))
    return {name: ColumnResult(shown=None if shown is raw_columns[name] else shown,
                               values=column, changes=changes, failures=failures[name])
            for name, (shown, column, changes) in worked.items()}


def normalised_column(kind: KindSpec, raw_values: list[object]) -> tuple[
        list[str], list[str | None], Changes]:
    """What each cell shows, its normalised value, and the values changed beyond spacing and
    case (with how, in Dutch and English)."""
    if kind.normalise_column is None:
        return _per_distinct(kind, raw_values)
    import polars as pl

    if set(map(type, raw_values)) <= {str}:
        shown = cast(list[str], raw_values)  # text shows as itself
    else:
        shown = [v if type(v) is str else display(v) for v in raw_values]
    series = pl.Series("value", shown, dtype=pl.String)
    normalised = series.to_frame().select(kind.normalise_column(pl.col("value"))).to_series()
    values: list[str | None] = normalised.to_list()
    changes: Changes = {}
    if kind.explain_change is not None:
        differs = (normalised != series).fill_null(False)
        for i in differs.arg_true().to_list():
            change = kind.explain_change(raw_values[i])
            if change is not None:
                changes[i] = (values[i] or "", change)
    return shown, values, changes


def _per_distinct(kind: KindSpec, raw_values: list[object]) -> tuple[
        list[str], list[str | None], Changes]:
    distinct = dict.fromkeys(raw_values)
    keys: list[Any] = raw_values
    if any(type(v) is bool for v in raw_values):
        # True == 1 == 1.0 as dict keys, but they show differently: key by type as well. (Look
        # at every value: where 0 came before False, `distinct` kept only the 0.)
        keys = [(type(v), v) for v in raw_values]
        worked = {key: _work_out(kind, key[1]) for key in dict.fromkeys(keys)}
    else:
        worked = {v: _work_out(kind, v) for v in distinct}
    values = list(map({k: w[1] for k, w in worked.items()}.__getitem__, keys))
    if keys is raw_values and all(type(v) is str for v in distinct):
        shown = cast(list[str], raw_values)
    else:
        shown = list(map({k: w[0] for k, w in worked.items()}.__getitem__, keys))
    changes: Changes = {}
    changed = {k: w for k, w in worked.items() if w[2] is not None}
    if changed:
        for i, key in enumerate(keys):
            if key in changed:
                _, value, change = changed[key]
                changes[i] = (value or "", cast(tuple[str, str], change))
    return shown, values, changes


def _work_out(kind: KindSpec, raw: object) -> tuple[str, str | None, tuple[str, str] | None]:
    change = kind.explain_change(raw) if kind.explain_change is not None else None
    return display(raw), kind.normalise(raw), change
