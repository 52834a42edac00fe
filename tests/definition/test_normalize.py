"""intake.definition.normalize.display: a cell's value as the user typed or sees it."""

from __future__ import annotations

import datetime as dt

import pytest

from intake.definition.normalize import display


@pytest.mark.parametrize(("raw", "shown"), [
    (8106625.0, "8106625"),  # an integral number as typed, without ".0"
    (46037.75, "46037.75"),
    (float(2**53 - 1), "9007199254740991"),  # the largest a float holds exactly: in full
    (1e308, "1E+308"),  # past that, as Excel shows it, not 309 digits no one typed
    (-1e308, "-1E+308"),
    (float(2**53), "9.00719925474099E+15"),
    (True, "TRUE"),
    (None, ""),
    (dt.date(2026, 1, 15), "2026-01-15"),
])
def test_a_value_is_shown_as_typed_or_as_excel_shows_it(raw: object, shown: str) -> None:
    assert display(raw) == shown
