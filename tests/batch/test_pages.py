"""The batch's operator pages: "actie nodig" first with its severity in words, old files folded
away, and OUTDIR/index.html saying per night whether action is needed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from intake.batch.run import BatchOptions, run_batch
from intake.definition.fields import WERKGEVERS
from intake.definition.messages import Lang
from intake.outputs.samples import employer, fill


def _with(n: int, **values: str) -> tuple[object, ...]:
    """employer(n) with the named fields set."""
    names = [f.name for f in WERKGEVERS.fields]
    row = list(employer(n))
    for name, value in values.items():
        row[names.index(name)] = value
    return tuple(row)


def _night(inbox: Path, out: Path, lang: Lang = "nl") -> Path:
    """One nightly run over `inbox`; its run folder."""
    return run_batch(BatchOptions(inbox=inbox, out_dir=out, settle_seconds=0,
                                  lang=lang)).run_dir


def _section(page: str, element_id: str) -> str:
    """The HTML of the table or details element with this id."""
    start = page.index(f'id="{element_id}"')
    end = page.index("</table>", start)
    return page[start:end]


def _rows(html: str) -> list[str]:
    """The table rows of `html` as their visible text, cells separated by ' | '."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)
    return [" | ".join(" ".join(re.sub(r"<[^>]+>", " ", cell).split())
                       for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S))
            for row in rows]


@pytest.fixture
def two_nights(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Night 1: nine good files and one that is not a workbook. Night 2: a file repeating
    eight of those employers unchanged and one (Werkgever 3) with 13e maand changed."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    for i in range(1, 10):
        fill(inbox / f"bureau-{i}.xlsx", [employer(i)], [])
    (inbox / "kapot.xlsx").write_text("geen werkmap\n", encoding="utf-8")
    first = _night(inbox, out)
    rows = [employer(i) for i in range(1, 10)]
    rows[2] = _with(3, dertiende_maand="Ja")
    fill(inbox / "nacht2.xlsx", rows, [])
    return out, first, _night(inbox, out)


def test_a_real_conflict_among_harmless_repeats_is_listed_first_as_an_error(
        two_nights: tuple[Path, Path, Path]) -> None:
    """The one conflict among eight harmless repeats is the first row under "Actie nodig",
    marked "Fout" in words, above the repeats (each marked "Waarschuwing") and the files."""
    _, _, second = two_nights
    page = (second / "index.html").read_text(encoding="utf-8")
    assert re.search(r'id="verdict"><strong>Actie nodig:</strong> 1 conflict met een eerdere '
                     r"aanmelding, 1 nog steeds onleesbaar in de inbox\.", page)
    action = _rows(_section(page, "action"))
    assert action[0] == "Ernst | Wat | Bestand | Cel | Wat is er mis"
    assert action[1].startswith("Fout | conflict met een eerdere aanmelding | nacht2.xlsx | "
                                "Werkgevers!")
    assert "met andere gegevens: 13e maand" in action[1] and "--redeliver 9000003" in action[1]
    notes = _rows(_section(page, "cross-file"))[1:]
    assert len(notes) == 8
    assert all(n.startswith("Waarschuwing | nacht2.xlsx") for n in notes)
    assert all("niet opnieuw aangeleverd" in n for n in notes)
    assert page.index('id="action"') < page.index('id="cross-file"') < page.index('id="files"')


def test_the_second_night_folds_the_old_files_into_one_line(
        two_nights: tuple[Path, Path, Path]) -> None:
    """Night 2 lists only its new file; the ten files processed before are one summary line
    of a <details> element after it, each naming the night that processed it."""
    _, first, second = two_nights
    page = (second / "index.html").read_text(encoding="utf-8")
    current = [r.split(" | ")[0] for r in _rows(_section(page, "files"))[1:]]
    assert [name.split()[0] for name in current] == ["nacht2.xlsx"]
    assert re.search(r'<details id="skipped">\s*<summary>10 bestanden al eerder verwerkt '
                     r"\(zelfde inhoud\), overgeslagen</summary>", page)
    assert page.index('id="files"') < page.index('id="skipped"')
    folded = _rows(_section(page, "skipped"))[1:]
    assert len(folded) == 10
    assert f"bureau-1.xlsx | {first.name} | goedgekeurd" in folded
    assert f"kapot.xlsx | {first.name} | onleesbaar" in folded


def test_an_unreadable_file_needs_action_on_every_night_it_stays(
        two_nights: tuple[Path, Path, Path]) -> None:
    """The file that is not a workbook is an error under "Actie nodig" on night 1, and on
    night 2, when it is skipped as processed before, it is still there, naming night 1;
    OUTDIR/index.html says per night that action is needed and what."""
    out, first, second = two_nights
    one = _rows(_section((first / "index.html").read_text(encoding="utf-8"), "action"))
    assert next(r for r in one[1:] if "kapot.xlsx" in r).startswith(
        "Fout | bestand niet gecontroleerd | kapot.xlsx")
    two = _rows(_section((second / "index.html").read_text(encoding="utf-8"), "action"))
    (still,) = [r for r in two[1:] if "kapot.xlsx" in r]
    assert still.startswith("Fout | nog steeds onleesbaar in de inbox | kapot.xlsx")
    assert f"onleesbaar in verwerking {first.name}" in still
    runs = dict((r.split(" | ")[0], r.split(" | ")[3])
                for r in _rows(_section((out / "index.html").read_text(encoding="utf-8"),
                                        "runs"))[1:])
    assert runs == {
        second.name: "ja 1 conflict met een eerdere aanmelding, 1 nog steeds onleesbaar in "
                     "de inbox",
        first.name: "ja 1 bestand niet gecontroleerd"}


def test_a_quiet_night_says_no_action_is_needed(tmp_path: Path) -> None:
    """A night of good files says "Geen actie nodig" on its page and "nee" in the list."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    fill(inbox / "a.xlsx", [employer(1)], [])
    run = _night(inbox, out)
    page = (run / "index.html").read_text(encoding="utf-8")
    assert 'id="verdict">Geen actie nodig:' in page and 'id="action"' not in page
    assert _rows(_section((out / "index.html").read_text(encoding="utf-8"), "runs"))[1]\
        .split(" | ")[3] == "nee"


def test_a_bureau_without_a_valid_address_is_a_warning_under_action(tmp_path: Path) -> None:
    """A bureau whose rows give an e-mail address our rule refuses cannot get a message: it is
    under "Actie nodig" as a warning, naming the bureau and the address."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    fill(inbox / "vandijk.xlsx", [_with(1, salarisverwerker_naam="Van Dijk Partners",
                                        salarisverwerker_email="salaris@vandijkpartners,nl")],
         [])
    page = (_night(inbox, out) / "index.html").read_text(encoding="utf-8")
    (row,) = [r for r in _rows(_section(page, "action"))[1:] if "e-mailadres" in r]
    assert row.startswith("Waarschuwing | salarisverwerker zonder geldig e-mailadres | "
                          "vandijk.xlsx")
    assert "Van Dijk Partners &lt;salaris@vandijkpartners,nl&gt;" in row


def test_the_pages_speak_english_when_the_run_does(tmp_path: Path) -> None:
    """--lang en: the same night's action list and severities in English words."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    (inbox / "broken.xlsx").parent.mkdir(parents=True)
    (inbox / "broken.xlsx").write_text("not a workbook\n", encoding="utf-8")
    page = (_night(inbox, out, "en") / "index.html").read_text(encoding="utf-8")
    assert "<strong>Action needed:</strong> 1 file not checked." in page
    assert _rows(_section(page, "action"))[1].startswith("Error | file not checked | broken")
    assert "ja" not in _rows(_section((out / "index.html").read_text(encoding="utf-8"),
                                      "runs"))[1]


def test_with_messages_the_runs_own_list_of_bureaus_without_a_message_is_under_action(
        tmp_path: Path) -> None:
    """--messages: the bureau the run wrote no message to (its address refused) is under
    "Actie nodig" once, with the reason the run recorded, on the page written after the
    messages."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    fill(inbox / "vandijk.xlsx", [_with(1, salarisverwerker_naam="Van Dijk Partners",
                                        salarisverwerker_email="salaris@vandijkpartners,nl")],
         [])
    run = run_batch(BatchOptions(inbox=inbox, out_dir=out, settle_seconds=0,
                                 messages=True)).run_dir
    page = (run / "index.html").read_text(encoding="utf-8")
    rows = [r for r in _rows(_section(page, "action"))[1:] if "e-mailadres" in r]
    assert len(rows) == 1
    assert rows[0].startswith("Waarschuwing | salarisverwerker zonder geldig e-mailadres | "
                              "vandijk.xlsx")
    assert "geen bericht geschreven" in rows[0]
