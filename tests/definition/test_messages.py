"""Messages: every example number a message or help text gives passes the tool's own rules, and
the texts about rows say "rij" for one row and "rijen" for several."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from intake.definition.fields import DGA, WERKGEVERS
from intake.definition.messages import CATALOGUE
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS
from intake.outputs.template import build_template
from intake.validation.validate import Result

from conftest import replace, value


def _texts() -> list[str]:
    """Every text a user reads: finding messages and hints, field help, the template's cells."""
    texts = [t for entry in CATALOGUE.values() for t in (*entry.nl, *entry.en)]
    texts += [t for f in (*WERKGEVERS.fields, *DGA.fields) for t in (f.help_nl, f.help_en)]
    book = build_template()
    texts += [str(c.value) for sheet in book.worksheets for row in sheet.iter_rows()
              for c in row if isinstance(c.value, str)]
    texts += [t for sheet in book.worksheets for dv in sheet.data_validations.dataValidation
              for t in (dv.prompt or "", dv.error or "")]
    return texts


#: What an example of each field looks like in a text.
EXAMPLES = {
    "loonheffingennummer": re.compile(r"\b\d{9}L\d{2}\b"),
    "raamwerkcontractnummer": re.compile(r"\bA020\d{6}\b"),
    "werkgever_id": re.compile(r"\b81\d{5}\b"),
}


@pytest.mark.parametrize("field", list(EXAMPLES))
def test_every_example_in_a_text_passes_our_own_rules(check: Callable[..., Result],
                                                      field: str) -> None:
    """Each example number shown to users (messages, hints, help, template) is accepted by the
    rules of its field: no hint suggests a number the tool itself rejects."""
    pattern = EXAMPLES[field]
    examples = sorted({m for text in _texts() for m in pattern.findall(text)})
    assert examples, f"no example of {field} found"
    for example in examples:
        rows = [replace(VALID_WERKGEVERS[1], **{field: example}), *VALID_WERKGEVERS[2:]]
        if field == "werkgever_id":
            rows = [replace(rows[0], dga_in_verloning="Nee"), *VALID_WERKGEVERS[2:]]
        dga = [d for d in VALID_DGA if d[0] != value(VALID_WERKGEVERS[0], "werkgever_id")]
        result = check(rows, dga)
        assert [f.code for f in result.findings if f.row == 2] == [], example


def test_btw_hint_suggests_no_number_and_says_where_the_real_one_is(
        check: Callable[..., Result]) -> None:
    """A btw-number typed as loonheffingennummer: the hint names the aangifte loonheffingen and
    the Belastingdienst's letter, and suggests no number derived from the btw-number."""
    rows = [replace(VALID_WERKGEVERS[0], loonheffingennummer="NL810662504B01"),
            *VALID_WERKGEVERS[1:]]
    finding = next(f for f in check(rows).findings if f.code == "lhn-btw")
    hint = finding.hint("nl")
    assert "aangifte loonheffingen" in hint and "brief van de Belastingdienst" in hint
    assert not re.search(r"\d{9}L\d{2}", hint)
    assert "Belastingdienst's letter" in finding.hint("en")


def test_dga_unexpected_says_what_to_do_with_the_one_row(check: Callable[..., Result]) -> None:
    """'DGA in verloning' Nee with one DGA row: "Zet hier Ja, of verwijder rij N op blad DGA"."""
    rows = [replace(VALID_WERKGEVERS[0], dga_in_verloning="Nee"), *VALID_WERKGEVERS[1:]]
    dga = [VALID_DGA[0], *VALID_DGA[2:]]
    finding = next(f for f in check(rows, dga).findings if f.code == "dga-unexpected")
    assert finding.hint("nl") == "Zet hier Ja, of verwijder rij 2 op blad DGA."
    assert "in rij 2." in finding.message("nl")
    assert finding.hint("en") == "Answer Ja here, or delete row 2 on the DGA sheet."


def test_several_rows_are_rijen_with_en(check: Callable[..., Result]) -> None:
    """Two DGA rows: "rijen 2 en 3" / "rows 2 and 3"."""
    rows = [replace(VALID_WERKGEVERS[0], dga_in_verloning="Nee"), *VALID_WERKGEVERS[1:]]
    finding = next(f for f in check(rows).findings if f.code == "dga-unexpected")
    assert "rijen 2 en 3" in finding.hint("nl")
    assert "rows 2 and 3" in finding.hint("en")


def test_sentences_never_run_together_in_a_comment(check: Callable[..., Result]) -> None:
    """Every message ends a sentence before its hint begins (no "…beperkt Controleer…")."""
    for entry in CATALOGUE.values():
        for message in (entry.nl[0], entry.en[0]):
            assert message.rstrip().endswith((".", "?", ")")), message


def test_dga_werkgever_id_finding_shows_the_dga_sheets_help(
        check: Callable[..., Result]) -> None:
    """A digits-only error on the DGA sheet's Werkgever ID gives the DGA field's help (which
    employer the DGA belongs to), not the Werkgevers sheet's (where to find it in Loket.nl)."""
    dga = [replace(VALID_DGA[0], werkgever_id="81066x5"), *VALID_DGA[1:]]
    finding = next(f for f in check(VALID_WERKGEVERS, dga).findings
                   if f.sheet == "DGA" and f.code == "digits-only")
    assert finding.hint("nl") == DGA.field("werkgever_id").help_nl
    assert finding.hint("nl") != WERKGEVERS.field("werkgever_id").help_nl


def test_every_stop_speaks_both_languages_with_the_same_blanks() -> None:
    """Each reason a command cannot go on has a Dutch and an English line that fill the same
    placeholders (a placeholder in one language only would raise, or say less)."""
    import string

    from intake.definition.messages import STOPS

    for code, texts in STOPS.items():
        assert set(texts) == {"nl", "en"}, code
        blanks = [{f for _, f, _, _ in string.Formatter().parse(texts[lang]) if f}
                  for lang in ("nl", "en")]
        assert blanks[0] == blanks[1], code


@pytest.mark.parametrize(("sheet", "nl", "en"), [
    ("Werkgevers", "het sjabloon van a.s.r. (werkgevers-aanmelding.xlsx)",
     "a.s.r.'s template (werkgevers-aanmelding.xlsx)"),
    ("Status", "de beschrijving van het statusbestand (status.schema.json)",
     "the status file's description (status.schema.json)"),
])
def test_a_layout_finding_points_to_what_its_sheet_follows(sheet: str, nl: str, en: str) -> None:
    """A missing sheet, a header not found, an unknown column: a bureau's workbook is pointed
    to a.s.r.'s template, a status file (which has none) to its published description."""
    from intake.definition.findings import Finding

    for finding in (Finding("sheet-missing", sheet=sheet),
                    Finding("header-not-found", sheet=sheet, params=(("rows", "1"),
                                                                     ("example", "x"))),
                    Finding("column-unknown", sheet=sheet, row=1, column="F", value="Extra")):
        assert nl in finding.hint("nl") and en in finding.hint("en")
