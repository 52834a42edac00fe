"""Column work: the two-process path gives exactly what the one-process path gives."""

from __future__ import annotations

import pytest

from intake import columns
from intake.fields import DGA, WERKGEVERS
from intake.samples import VALID_WERKGEVERS


def _units(rows: int) -> list[tuple[object, list[object]]]:
    spread = [*VALID_WERKGEVERS, ("=x", "geen", "", "B1", "123456789L01", "3fa8", "week",
                                  "misschien", True)]
    werkgevers = [(f, [spread[i % len(spread)][n] for i in range(rows)])
                  for n, f in enumerate(WERKGEVERS.fields)]
    return [*werkgevers, (DGA.fields[2], [str(i) for i in range(rows)])]


def test_parallel_equals_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forcing the two-process path changes nothing in any column's result."""
    units = _units(3000)
    monkeypatch.setattr(columns, "PARALLEL_ROWS", 10**9)
    serial = columns.work_out(units, ("A020",))  # type: ignore[arg-type]
    monkeypatch.setattr(columns, "PARALLEL_ROWS", 1)
    parallel = columns.work_out(units, ("A020",))  # type: ignore[arg-type]
    assert parallel == serial
    assert any(result.failures for result in serial)
    assert columns._can_fork()


def test_text_columns_show_as_themselves() -> None:
    """A column of text is not copied: what it shows is the raw list itself."""
    (result,) = columns.work_out([(WERKGEVERS.fields[2], ["A", "B"])], ("A020",))
    assert result.shown is None and result.values == ["A", "B"]
