"""Rules across rows and sheets: duplicate employers, DGA rows and their employers."""

from __future__ import annotations

from collections.abc import Callable

from intake.definition.fields import DGA
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS
from intake.validation.validate import Result

from conftest import at, cell_of, flat, replace

W = list(VALID_WERKGEVERS)


def test_duplicate_employer_is_an_error_on_every_copy(check: Callable[..., Result]) -> None:
    """The same Werkgever ID and loonheffingennummer twice: both rows rejected, key cell marked."""
    result = check([*W, W[3]])
    assert flat(result) == [("error", "werkgever-duplicate", *at("werkgever_id", 5)),
                            ("error", "werkgever-duplicate", *at("werkgever_id", 8))]
    assert "5, 8" in result.findings[0].message("nl")
    assert result.werkgevers.counts() == {"rows": 7, "accepted": 5, "rejected": 2}


def test_duplicate_found_after_normalisation(check: Callable[..., Result]) -> None:
    """Spelling differences do not hide a duplicate: 8120456.0 and '812.345.678-l01' match."""
    copy = replace(W[3], werkgever_id=8120456.0, loonheffingennummer="812.345.678-l01")
    assert {f.cell for f in check([*W, copy]).findings} == {cell_of("werkgever_id", 5),
                                                            cell_of("werkgever_id", 8)}


def test_same_id_other_loonheffingennummer_is_a_warning(check: Callable[..., Result]) -> None:
    """One Werkgever ID with L01 and L02 (two payroll administrations): a warning, both kept."""
    result = check([*W, replace(W[3], loonheffingennummer="812345678L02")])
    assert flat(result) == [("warning", "werkgever-id-multiple-lhn", *at("loonheffingennummer", 5)),
                            ("warning", "werkgever-id-multiple-lhn", *at("loonheffingennummer", 8))]
    assert result.valid
    assert result.werkgevers.accepted == 7


def test_dga_of_unknown_employer(check: Callable[..., Result]) -> None:
    """A DGA row whose Werkgever ID is not on the Werkgevers sheet: error on that cell."""
    result = check(W, [*VALID_DGA, ("7777777", "X. Onbekend", "1")])
    assert flat(result) == [("error", "dga-werkgever-unknown", *at("werkgever_id", 6, DGA))]
    assert result.dga.counts() == {"rows": 5, "accepted": 4, "rejected": 1}


def test_duplicate_personeelsnummer_rejects_every_copy_and_the_employer(
    check: Callable[..., Result]
) -> None:
    """The same personeelsnummer twice for one employer: both DGA rows and the employer rejected."""
    dga = [*VALID_DGA[:1], replace(VALID_DGA[1], personeelsnummer="1001"), *VALID_DGA[2:]]
    result = check(W, dga)
    duplicate = "personeelsnummer-duplicate"
    assert flat(result) == [("warning", "dga-rows-rejected", *at("werkgever_id", 2)),
                            ("error", duplicate, *at("personeelsnummer", 2, DGA)),
                            ("error", duplicate, *at("personeelsnummer", 3, DGA))]
    assert result.werkgevers.rejected[0]
    assert result.dga.counts()["accepted"] == 2


def test_same_personeelsnummer_at_two_employers_is_fine(check: Callable[..., Result]) -> None:
    """Personeelsnummers are unique per employer only."""
    dga = [*VALID_DGA, ("8133300", "Q. de Groot", "1001")]
    assert flat(check(W, dga)) == []


def test_ja_without_dga_rows(check: Callable[..., Result]) -> None:
    """DGA in verloning = Ja and no DGA rows: error on that employer's DGA in verloning cell."""
    dga = [d for d in VALID_DGA if d[0] != "8133300"]
    result = check(W, dga)
    assert flat(result) == [("error", "dga-missing", *at("dga_in_verloning", 6))]


def test_nee_with_dga_rows(check: Callable[..., Result]) -> None:
    """DGA in verloning = Nee but DGA rows exist: error on the employer; DGA rows held back."""
    result = check(W, [*VALID_DGA, ("8120456", "L. Jansen", "4")])
    assert flat(result) == [("error", "dga-unexpected", *at("dga_in_verloning", 5)),
                            ("warning", "dga-employer-rejected", *at("werkgever_id", 6, DGA))]
    assert result.dga.counts() == {"rows": 5, "accepted": 4, "rejected": 1}


def test_dga_of_rejected_employer_is_not_exported_and_says_why(
    check: Callable[..., Result]
) -> None:
    """An employer with an error takes its DGA rows with it, each with a warning naming it."""
    rows = [replace(W[0], salarisverwerker_email="geen-adres"), *W[1:]]
    result = check(rows)
    assert flat(result) == [("error", "email-invalid", *at("salarisverwerker_email", 2)),
                            ("warning", "dga-employer-rejected", *at("werkgever_id", 2, DGA)),
                            ("warning", "dga-employer-rejected", *at("werkgever_id", 3, DGA))]
    assert "rij 2" in result.findings[1].message("nl")
    assert result.dga.accepted_positions() == [2, 3]


def test_invalid_ids_are_not_grouped(check: Callable[..., Result]) -> None:
    """The same GUID pasted as Werkgever ID in two rows: two GUID errors, no duplicate noise."""
    guid = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    rows = [*W[:3], replace(W[3], werkgever_id=guid), W[4], replace(W[5], werkgever_id=guid)]
    result = check(rows, [d for d in VALID_DGA])
    assert [(f.code, f.cell) for f in result.findings] == [
        ("guid-instead-of-id", cell_of("werkgever_id", 5)),
        ("guid-instead-of-id", cell_of("werkgever_id", 7))]


def test_many_copies_are_counted_and_listed_up_to_a_cap(check: Callable[..., Result]) -> None:
    """25 copies of one employer: every copy is marked, and each message names the count, the
    first ten rows and the last, never all 25 (a sheet of copies gives a report that grows
    with the rows, not with their square)."""
    result = check([W[3]] * 25, [])
    duplicates = [f for f in result.findings if f.code == "werkgever-duplicate"]
    assert [f.row for f in duplicates] == list(range(2, 27))
    message = duplicates[0].message("nl")
    assert "staat 25 keer op het blad (rijen 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, … 26)" in message
    assert "appears 25 times (rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, … 26)" in \
        duplicates[0].message("en")
    assert {f.message("nl") for f in duplicates} == {message}
