"""Excel column letters and indexes."""

from __future__ import annotations

import pytest

from intake.definition.cells import column_index, column_letter


@pytest.mark.parametrize(("index", "letter"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"),
                                               (702, "AAA"), (16383, "XFD")])
def test_column_letters_match_excel(index: int, letter: str) -> None:
    """0-based column indexes become Excel's letters and back, up to the last column XFD."""
    assert column_letter(index) == letter
    assert column_index(letter) == index


def test_every_column_round_trips() -> None:
    """All 16,384 columns survive letter → index → letter."""
    assert all(column_index(column_letter(i)) == i for i in range(16384))
