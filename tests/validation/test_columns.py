"""Column work: what each cell shows, its normalised value and its repairs, per kind."""

from __future__ import annotations

import datetime as dt

from intake.definition.fields import DGA, WERKGEVERS
from intake.validation import columns


def test_text_columns_show_as_themselves() -> None:
    """A column of text is not copied: what it shows is the raw list itself."""
    result = columns.work_out_sheet(DGA, {"naam": ["A", "B"]}, ("A020",))["naam"]
    assert result.shown is None and result.values == ["A", "B"]


def test_other_cell_types_show_as_excel_shows_them() -> None:
    """Numbers, booleans and dates show as text; the normalised value follows the kind."""
    raw: list[object] = [8106625.0, True, dt.datetime(2024, 1, 2), ""]
    result = columns.work_out_sheet(DGA, {"personeelsnummer": raw}, ("A020",))
    (column,) = result.values()
    assert column.shown == ["8106625", "TRUE", "2024-01-02T00:00:00", ""]
    assert column.values == ["8106625", "TRUE", "2024-01-02T00:00:00", None]
    assert column.failures == [(1, "digits-only"), (2, "date-instead-of-number"), (3, "required")]


def test_repairs_beyond_spacing_are_listed_with_their_position() -> None:
    """A loonheffingennummer with an NL prefix or lost zeros is repaired and listed; one that
    only differs in spacing and case is repaired silently."""
    raw: list[object] = ["NL810662504L01", "8106.62504.l01", "1224153L05", "810662504L01"]
    result = columns.work_out_sheet(WERKGEVERS, {"loonheffingennummer": raw}, ("A020",))
    column = result["loonheffingennummer"]
    assert column.values == ["810662504L01", "810662504L01", "001224153L05", "810662504L01"]
    assert sorted(column.changes) == [0, 2]
    assert column.changes[2] == ("001224153L05", ("2 voorloopnullen aangevuld",
                                                   "2 leading zeros added"))


def test_false_after_zero_in_a_closed_list_is_worked_out_as_false() -> None:
    """A column holding 0 and then FALSE (both equal as Python keys) normalises each as itself,
    as the reference chain does (found by the property test: FALSE became '0')."""
    from intake.definition.fields import WERKGEVERS

    spec = WERKGEVERS.field("dertiende_maand").kind
    worked = columns.work_out_sheet(WERKGEVERS, {"dertiende_maand": [0, False, 1, True]},
                                    ("A020",))["dertiende_maand"]
    assert worked.values == [spec.normalise(v) for v in (0, False, 1, True)]
    assert worked.shown == ["0", "FALSE", "1", "TRUE"]
