"""Cell rules: each bad cell gives exactly the expected finding at exactly its Excel cell, and
the spellings the validator normalises give none."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.definition.fields import SHEETS, WERKGEVERS, SheetSpec
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS
from intake.validation import columns
from intake.validation.rules import first_failure, rules_for
from intake.validation.validate import Options, Result

from conftest import at, flat, replace

#: The employer row the cases change: Excel row 5 (Installatiebedrijf Jansen, no DGA).
ROW = 3
EXCEL_ROW = ROW + 2
COLUMN = {f.name: chr(65 + i) for i, f in enumerate(WERKGEVERS.fields)}

BAD_CELLS = [
    ("salarisverwerker_naam", "", "required"),
    ("salarisverwerker_naam", "=cmd|' /C calc'!A0", "formula-text"),
    ("salarisverwerker_naam", "+31 20 123 4567", "formula-text"),
    ("salarisverwerker_naam", "-Bureau", "formula-text"),
    ("salarisverwerker_naam", "@SUM(A1)", "formula-text"),
    ("salarisverwerker_naam", "\tBureau", "formula-text"),
    ("salarisverwerker_naam", "\rBureau", "formula-text"),
    ("salarisverwerker_naam", "\nBureau", "formula-text"),
    ("salarisverwerker_naam", "B" * 101, "too-long"),
    ("salarisverwerker_naam", "Bureau\x85Noord", "control-characters"),  # C1 control (NEL)
    ("werkgever_naam", "Bakkerij\U000e0041", "invisible-characters"),  # tag character A
    ("werkgever_naam", "Bak\u00adkerij", "invisible-characters"),  # soft hyphen
    ("werkgever_naam", "Bakkerij\u180e", "invisible-characters"),  # Mongolian vowel separator
    ("werkgever_naam", "\ufff9Bakkerij\ufffb", "invisible-characters"),  # annotation anchor
    ("werkgever_naam", "Bakkerij\ufffa", "invisible-characters"),  # annotation separator
    ("werkgever_naam", "Bakkerij\u202e", "invisible-characters"),  # right-to-left override
    ("werkgever_naam", "Van\u200dDijk", "invisible-characters"),  # zero-width joiner
    ("werkgever_naam", "Van\u200cDijk", "invisible-characters"),  # zero-width non-joiner
    ("werkgever_naam", "Bakkerij\ufe0f", "invisible-characters"),  # variation selector
    ("werkgever_naam", "Bakkerij\u2028Noord", "invisible-characters"),  # line separator
    ("werkgever_naam", "Bakkerij\ue000", "invisible-characters"),  # private use
    ("salarisverwerker_email", "", "required"),
    ("salarisverwerker_email", "geen-adres", "email-invalid"),
    ("salarisverwerker_email", "salaris@detelling", "email-invalid"),
    ("salarisverwerker_email", "info@bureau .nl", "email-invalid"),
    ("salarisverwerker_email", "a; b@c.nl", "email-invalid"),
    ("salarisverwerker_email", "=x@y.nl", "formula-text"),
    ("werkgever_naam", "", "required"),
    ("werkgever_naam", "   ", "required"),
    ("werkgever_naam", "=HYPERLINK(\"http://x.invalid\")", "formula-text"),
    ("werkgever_naam", "W" * 101, "too-long"),
    ("raamwerkcontractnummer", "", "required"),
    ("raamwerkcontractnummer", "B020123456", "contract-prefix"),
    ("raamwerkcontractnummer", "123456", "contract-format"),
    ("raamwerkcontractnummer", "A020-12X", "contract-format"),
    ("loonheffingennummer", "", "required"),
    ("loonheffingennummer", "123456789L01", "lhn-elfproef"),
    ("loonheffingennummer", "812345678B01", "lhn-btw"),
    ("loonheffingennummer", "NL812345678B01", "lhn-btw"),
    ("loonheffingennummer", "812345678L00", "lhn-subnumber"),
    ("loonheffingennummer", "812345678", "lhn-format"),
    ("loonheffingennummer", "812345678L1", "lhn-format"),
    ("loonheffingennummer", "812345678X01", "lhn-format"),
    ("loonheffingennummer", 812345678.0, "lhn-format"),
    ("werkgever_id", "", "required"),
    ("werkgever_id", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "guid-instead-of-id"),
    ("werkgever_id", "{3FA85F64-5717-4562-B3FC-2C963F66AFA6}", "guid-instead-of-id"),
    ("werkgever_id", "81204S6", "digits-only"),
    ("werkgever_id", "8120456.5", "digits-only"),
    ("werkgever_id", -8120456, "digits-only"),
    ("verloning", "", "required"),
    ("verloning", "week", "verloning-unsupported"),
    ("verloning", "Kwartaal", "verloning-unsupported"),
    ("verloning", "2-wekelijks", "verloning-unsupported"),
    ("verloning", "twee maanden", "verloning-invalid"),
    ("dertiende_maand", "", "required"),
    ("dertiende_maand", "misschien", "ja-nee-invalid"),
    ("dertiende_maand", 2, "ja-nee-invalid"),
    ("dga_in_verloning", "soms", "ja-nee-invalid"),
]


@pytest.mark.parametrize(("field", "value", "code"), BAD_CELLS,
                         ids=[f"{f}={v!r}"[:60] for f, v, _ in BAD_CELLS])
def test_one_bad_cell_gives_one_error_at_that_cell(
    check: Callable[..., Result], field: str, value: object, code: str
) -> None:
    """Changing one cell of a valid workbook gives exactly one error, on that cell."""
    rows = list(VALID_WERKGEVERS)
    rows[ROW] = replace(rows[ROW], **{field: value})
    result = check(rows)
    assert flat(result) == [("error", code, "Werkgevers", f"{COLUMN[field]}{EXCEL_ROW}")]
    assert result.findings[0].field == field
    assert result.werkgevers.rejected == [i == ROW for i in range(len(rows))]


NORMALISED = [
    ("raamwerkcontractnummer", "a020 900.017", "A020900017"),
    ("raamwerkcontractnummer", "A020-900-017", "A020900017"),
    ("loonheffingennummer", "8123.45.678.l.01", "812345678L01"),
    ("loonheffingennummer", " 812345678L01\u00a0", "812345678L01"),
    ("werkgever_id", 8120456.0, "8120456"),
    ("werkgever_id", 8120456, "8120456"),
    ("werkgever_id", "\u00a08120456 ", "8120456"),
    ("verloning", "maandelijks", "maand"),
    ("verloning", "MAAND", "maand"),
    ("verloning", "per  maand", "maand"),
    ("verloning", 12, "maand"),
    ("verloning", "4-wekelijks", "4-weken"),
    ("verloning", "Vier weken", "4-weken"),
    ("verloning", 13.0, "4-weken"),
    ("dertiende_maand", True, "ja"),
    ("dertiende_maand", False, "nee"),
    ("dertiende_maand", "J", "ja"),
    ("dertiende_maand", "yes", "ja"),
    ("dertiende_maand", "x", "ja"),
    ("dertiende_maand", 1, "ja"),
    ("dertiende_maand", 0.0, "nee"),
    ("dertiende_maand", "ONWAAR", "nee"),
    ("dga_in_verloning", "no", "nee"),
    ("salarisverwerker_naam", "  Salarisbureau De Telling B.V.  ", "Salarisbureau De Telling B.V."),
    ("salarisverwerker_email", " salaris@detelling.nl ", "salaris@detelling.nl"),
    # What a Dutch name needs passes the invisible-characters rule: accents, also decomposed
    # (o + combining diaeresis, as a Mac pastes it), apostrophes, the IJ ligature, a hyphen.
    ("werkgever_naam", "Coo\u0308peratie Zorg U.A.", "Coo\u0308peratie Zorg U.A."),
    ("werkgever_naam", "Caf\u00e9 \u2019t Hoekje", "Caf\u00e9 \u2019t Hoekje"),
    ("werkgever_naam", "D\u02bcHondt Bouw", "D\u02bcHondt Bouw"),
    ("werkgever_naam", "\u0132sselmeer Vis B.V.", "\u0132sselmeer Vis B.V."),
    ("werkgever_naam", "Bakkerij 't Stoepje\u2010Noord", "Bakkerij 't Stoepje\u2010Noord"),
    ("werkgever_naam", "\u00d6zt\u00fcrk\u00a0& Zn.", "\u00d6zt\u00fcrk\u00a0& Zn."),
]


@pytest.mark.parametrize(("field", "value", "expected"), NORMALISED,
                         ids=[f"{f}={v!r}" for f, v, _ in NORMALISED])
def test_unambiguous_spellings_are_normalised_without_findings(
    check: Callable[..., Result], field: str, value: object, expected: str
) -> None:
    """Spacing, case, separators, integral floats, booleans and synonyms normalise silently."""
    rows = list(VALID_WERKGEVERS)
    rows[ROW] = replace(rows[ROW], **{field: value})
    result = check(rows)
    assert flat(result) == []
    assert result.werkgevers.value(field, ROW) == expected


@pytest.mark.parametrize(("row", "value", "expected"), [
    (1, "1224153L05", "001224153L05"),
    (ROW, "NL812345678L01", "812345678L01"),
    (ROW, "nl 8123 45 678 L01", "812345678L01"),
])
def test_loonheffingennummer_changed_beyond_spacing_is_a_warning(
    check: Callable[..., Result], row: int, value: str, expected: str
) -> None:
    """A lost leading zero or an NL prefix is repaired, with a warning on the cell."""
    rows = list(VALID_WERKGEVERS)
    rows[row] = replace(rows[row], loonheffingennummer=value)
    result = check(rows)
    assert flat(result) == [("warning", "lhn-normalised", "Werkgevers", f"E{row + 2}")]
    assert result.valid
    assert result.werkgevers.value("loonheffingennummer", row) == expected
    assert expected in result.findings[0].message("nl")


@pytest.mark.parametrize(("value", "char"), [("Bak\u00adkerij", "U+00AD"),
                                             ("Bakkerij\U000e0041", "U+E0041")])
def test_invisible_character_message_names_the_character(
    check: Callable[..., Result], value: str, char: str
) -> None:
    """The message says which invisible character it is, in both languages."""
    rows = list(VALID_WERKGEVERS)
    rows[ROW] = replace(rows[ROW], werkgever_naam=value)
    (finding,) = check(rows).findings
    assert char in finding.message("nl") and char in finding.message("en")


def test_contract_prefix_option_accepts_other_prefixes(check: Callable[..., Result]) -> None:
    """--contract-prefix widens the accepted prefixes; A020 is then only accepted if listed."""
    rows = list(VALID_WERKGEVERS)
    rows[ROW] = replace(rows[ROW], raamwerkcontractnummer="B020123456")
    assert check(rows, options=Options(contract_prefixes=("A020", "B020"))).valid
    only_b = check(rows, options=Options(contract_prefixes=("B020",)))
    prefix_errors = {f.cell for f in only_b.findings if f.code == "contract-prefix"}
    assert prefix_errors == {f"D{i + 2}" for i in range(len(rows)) if i != ROW}


def test_all_findings_collected_in_one_pass(check: Callable[..., Result]) -> None:
    """Several bad cells in several rows are all reported at once."""
    rows = list(VALID_WERKGEVERS)
    rows[3] = replace(rows[3], salarisverwerker_email="geen-adres",
                      loonheffingennummer="123456789L01")
    rows[5] = replace(rows[5], verloning="week")
    result = check(rows)
    assert flat(result) == [
        ("error", "email-invalid", *at("salarisverwerker_email", 5)),
        ("error", "lhn-elfproef", *at("loonheffingennummer", 5)),
        ("error", "verloning-unsupported", *at("verloning", 7)),
    ]
    assert result.summary()["werkgevers"] == {"rows": 6, "accepted": 4, "rejected": 2}


def test_valid_sample_rows_pass(check: Callable[..., Result]) -> None:
    """The valid sample data has no findings at all: every employer and DGA accepted."""
    result = check()
    assert flat(result) == []
    assert result.summary() == {
        "werkgevers": {"rows": len(VALID_WERKGEVERS), "accepted": len(VALID_WERKGEVERS),
                       "rejected": 0},
        "dga": {"rows": len(VALID_DGA), "accepted": len(VALID_DGA), "rejected": 0},
        "errors": 0, "warnings": 0, "valid": True,
    }


# --- the pandera engine against the reference chain ---------------------------------------------

#: Characters of any assigned category but surrogates (Python's and polars' Unicode tables
#: agree on those; an unassigned code point may be assigned in the newer of the two).
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cn")), max_size=16)
TRICKY = st.sampled_from([
    "810662504L01", "123456789L01", "812345678B01", "nl 8123 45 678 l01", "1224153L05",
    "NL810662504L01", "0000000L01", "000000000L01", "810662504L00", "A020123", "a020-12.3",
    "B020", "A0201X2", "ja", "Nee", "x", "maand", "4 weken", "week", "13", "x@y.nl",
    "geen-adres", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "2024-01-01", "2024-01-01T00:00:00",
    "=1", "+31", "\tx", " 8106625 ", "81\u200b06625", "\u0663\u0664", "Coo\u0308peratie",
    "Bakkerij\u202e", "a\u00adb", "x\U000e0041", "a\u180eb", "\ufff9x\ufffb", "D\u2019Hondt",
    "a\u200db", "a\x85b", "x" * 101, "1" * 19, "", "   ", "\u00a0",
])
RAW = st.one_of(st.none(), ANY_TEXT, TRICKY, st.integers(-10**12, 10**12), st.booleans(),
                st.floats(allow_nan=False, allow_infinity=False),
                st.datetimes(min_value=dt.datetime(1900, 3, 1),
                             max_value=dt.datetime(2100, 1, 1)))


def _reference(spec: SheetSpec, raw: dict[str, list[object]], prefixes: tuple[str, ...],
               ) -> dict[str, tuple[list[str | None], list[tuple[int, str]], dict[int, Any]]]:
    """Today's chain, one value at a time: normalise, first failing check, repair warning."""
    out = {}
    for name, column in raw.items():
        f = spec.field(name)
        values = [f.kind.normalise(v) for v in column]
        failures = [(i, code) for i, v in enumerate(values)
                    if (code := first_failure(rules_for(f, prefixes), v)) is not None]
        changes = {}
        if f.kind.explain_change is not None:
            for i, v in enumerate(column):
                if (change := f.kind.explain_change(v)) is not None:
                    changes[i] = (values[i] or "", change)
        out[name] = (values, failures, changes)
    return out


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(data=st.data(), rows=st.integers(0, 12),
       prefixes=st.sampled_from([("A020",), ("A020", "B020"), ("B1",)]))
def test_pandera_engine_equals_the_reference_chain(data: st.DataObject, rows: int,
                                                   prefixes: tuple[str, ...]) -> None:
    """On random sheets the pandera engine normalises, repairs and rejects exactly the cells
    the reference chain does, with the same first failing code."""
    for spec in SHEETS:
        raw = {f.name: data.draw(st.lists(RAW, min_size=rows, max_size=rows), label=f.name)
               for f in spec.fields}
        engine = columns.work_out_sheet(spec, raw, prefixes)
        reference = _reference(spec, raw, prefixes)
        for name, (values, failures, changes) in reference.items():
            result = engine[name]
            assert result.values == values, name
            assert result.failures == failures, name
            assert result.changes == changes, name


def test_a_rule_can_attach_to_one_field() -> None:
    """A check given to one field runs after its kind's, on that field only, in the pandera
    schema and in the scalar chain alike (here: personeelsnummer at most 4 digits, as a
    payroll might number them, reported with the catalogue's too-long)."""
    from dataclasses import replace as with_

    from intake.definition.fields import DGA
    from intake.definition.kinds import Check
    from intake.validation.rules import cell_failures, first_failure, rules_for

    short = Check("too-long", lambda v: len(v) <= 4, lambda col: col.str.len_chars() <= 4,
                  "at most 4 digits", "hoogstens 4 cijfers")
    field = with_(DGA.field("personeelsnummer"), checks=(short,))
    spec = with_(DGA, fields=tuple(field if f.name == field.name else f
                                              for f in DGA.fields))
    assert rules_for(field)[-1] is short
    assert rules_for(DGA.field("personeelsnummer"))[-1] is not short
    assert first_failure(rules_for(field), "12345") == "too-long"
    assert first_failure(rules_for(field), "1234") is None
    assert first_failure(rules_for(field), "12a") == "digits-only"  # the kind's come first
    values = {"werkgever_id": ["8106625", "8106625"], "naam": ["A", "B"],
              "personeelsnummer": ["12345", "12"]}
    assert cell_failures(spec, values) == [(0, "personeelsnummer", "too-long")]
    assert cell_failures(DGA, values) == []
