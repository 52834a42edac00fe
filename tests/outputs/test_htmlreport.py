"""report.html: self-contained, escaped, with totals, findings per row and bounded lists."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from intake.definition.status import Door
from intake.outputs import htmlreport
from intake.outputs.htmlreport import render_html
from intake.outputs.report import build_report
from intake.outputs.samples import VALID_WERKGEVERS
from intake.validation.validate import Options, Result, validate_workbook

from conftest import cell_of, replace


def _page(result: Result, lang: str = "nl", door: Door = Door.COMMAND_LINE) -> str:
    return render_html(result, build_report(result, Options(), lang), lang,  # type: ignore[arg-type]
                       door)


def test_values_from_the_workbook_are_escaped(check: Callable[..., Result]) -> None:
    """Markup typed into a cell shows as text: no tag from the data reaches the page."""
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    rows = [replace(VALID_WERKGEVERS[0], salarisverwerker_email=evil),
            replace(VALID_WERKGEVERS[1], werkgever_naam=evil), *VALID_WERKGEVERS[2:]]
    page = _page(check(rows))
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_page_is_self_contained(check: Callable[..., Result]) -> None:
    """No external stylesheet, script, image or font: it works offline and as an attachment."""
    page = _page(check())
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert "http://" not in page and "https://" not in page
    assert "Content-Security-Policy" in page


def test_totals_findings_and_fix_are_shown(check: Callable[..., Result]) -> None:
    """Totals, then the rejected row with cell, value, what is wrong and how to fix it."""
    rows = [replace(VALID_WERKGEVERS[0], loonheffingennummer="123456789L01"), *VALID_WERKGEVERS[1:]]
    page = _page(check(rows))
    assert "Afgekeurde rijen op blad Werkgevers (1)" in page
    assert ">E2<" in page
    assert "123456789L01" in page
    assert "elfproef" in page
    assert "Neem het nummer opnieuw over" in page
    assert "Goedgekeurde werkgevers (5)" in page


def test_english_page(check: Callable[..., Result]) -> None:
    """--lang en renders the page in English."""
    page = _page(check(), "en")
    assert "No errors found" in page
    assert "Accepted employers (6)" in page


def test_long_lists_are_bounded_and_say_so(
    check: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the limits the page lists a bounded number and states where the rest is."""
    monkeypatch.setattr(htmlreport, "MAX_ACCEPTED_LISTED", 2)
    monkeypatch.setattr(htmlreport, "MAX_ROWS_WITH_FINDINGS", 1)
    # Rows 1, 3 and 5 have no DGAs, so only the Werkgevers sheet has rejected rows.
    rows = [replace(r, verloning="week") if i % 2 else r for i, r in enumerate(VALID_WERKGEVERS)]
    page = _page(check(rows))
    assert ("1 van 3 getoond; de volledige lijst staat in report.json en in het blad Controle "
            "van de feedbackwerkmap.") in page
    assert "2 van 3 getoond; de volledige lijst staat in werkgevers.csv." in page
    assert page.count('class="rowhead"') == 1


def test_written_file_is_utf8_html(workbook: Callable[..., Path], tmp_path: Path) -> None:
    """write_html writes a UTF-8 page that names the workbook."""
    path = workbook(name="bureau.xlsx")
    result = validate_workbook(path)
    htmlreport.write_html(result, build_report(result, Options()), tmp_path / "r.html")
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "bureau.xlsx" in text


def test_findings_are_grouped_per_rule_with_counts_and_cells(
    check: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The per-rule overview counts each rule and lists its cells, bounded, saying so."""
    monkeypatch.setattr(htmlreport, "MAX_CELLS_PER_RULE", 2)
    rows = [replace(r, verloning="week") if i % 2 else r for i, r in enumerate(VALID_WERKGEVERS)]
    page = _page(check(rows))
    group = page[page.index("<code>verloning-unsupported</code>") - 400:
                 page.index("<code>verloning-unsupported</code>") + 80]
    assert (f"Werkgevers!{cell_of('verloning', 3)}, Werkgevers!{cell_of('verloning', 5)} … 2 van "
            "3 getoond") in group
    assert '<td class="num">3</td>' in group


def test_findings_outside_the_data_sheets_are_shown(workbook: Callable[..., Path]) -> None:
    """A checklist warning on the Toelichting sheet appears under 'Over de werkmap'."""
    from intake.outputs.samples import VALID_DGA, fill

    path = fill(workbook().with_name("c.xlsx"), VALID_WERKGEVERS, VALID_DGA,
                checklist=["Ja", "Nee", *["Ja"] * 7])
    page = _page(validate_workbook(path))
    section = page[page.index("Over de werkmap"):page.index("Per controle")]
    assert "Toelichting" in section
    assert "actief (niet geblokkeerd)" in section


def test_page_points_to_the_feedback_workbook(check: Callable[..., Result],
                                              workbook: Callable[..., Path]) -> None:
    """The page names the feedback workbook by the workbook's own name (<name>-feedback.xlsm
    for a macro workbook) and says where its red cells are; a clean page names it without
    asking a fix."""
    rows = [replace(VALID_WERKGEVERS[0], loonheffingennummer="123456789L01"), *VALID_WERKGEVERS[1:]]
    result = check(rows)
    page = _page(result)
    feedback = re.search(r'<p id="feedback">(.*?)</p>', page, re.S)
    assert feedback is not None
    name = f"{result.path.stem}-feedback.xlsx"
    assert feedback.group(1).startswith(f"{name}, naast dit rapport, is je eigen werkmap")
    assert "rood" in feedback.group(1)
    clean = _page(check(), "en")
    assert "-feedback.xlsx, next to this report, is your workbook" in clean
    macro = validate_workbook(workbook(name="macro.xlsm"))
    assert "macro-feedback.xlsm" in _page(macro)


def _next(page: str) -> str:
    found = re.search(r'<p id="next"><strong>Volgende stap:</strong> (.*?)</p>', page, re.S)
    assert found is not None
    return found.group(1)


def test_next_step_says_what_to_send_to_whom_for_each_door(check: Callable[..., Result]) -> None:
    """A valid workbook's next step: on the command line, deliver the workbook itself as the
    template's Toelichting says; in the batch, nothing (a.s.r. has it); on the web, nothing
    (it is ready for a.s.r.). Partly valid: fix the red cells in <name>-feedback.xlsx and send
    that again by the same door, the accepted ones now being possible."""
    valid = check()
    assert _next(_page(valid)).startswith(f"Lever {valid.path.name} in bij a.s.r. zoals het "
                                          "blad Toelichting van het sjabloon zegt (stap 3)")
    assert _next(_page(valid, door=Door.BATCH)).startswith("Je hoeft niets meer te doen")
    assert _next(_page(valid, door=Door.WEB)).startswith("Je hoeft niets meer te doen")
    rows = [replace(VALID_WERKGEVERS[0], verloning="week"), *VALID_WERKGEVERS[1:]]
    partly = check(rows)
    feedback = f"{partly.path.stem}-feedback.xlsx"
    total = len(VALID_WERKGEVERS)
    command_line = _next(_page(partly))
    assert command_line.startswith(f"{total - 1} van de {total} werkgevers zijn goedgekeurd. "
                                   f"Verbeter de rode cellen in {feedback}")
    assert f"Lever je {partly.path.name} nu al in" in command_line
    assert "upload het opnieuw" in _next(_page(partly, door=Door.WEB))
    assert "a.s.r. heeft de goedgekeurde werkgevers ontvangen" in _next(
        _page(partly, door=Door.BATCH))


@pytest.mark.parametrize(("moment", "shown"), [
    ("2026-01-15T12:00:00+00:00", "15-01-2026 13:00 CET"),
    ("2026-07-01T23:30:00+00:00", "02-07-2026 01:30 CEST"),
])
def test_times_are_shown_in_dutch_time(check: Callable[..., Result], moment: str,
                                       shown: str) -> None:
    """The check's time is shown in Europe/Amsterdam time (CET/CEST), not UTC."""
    result = check()
    report = build_report(result, Options(), "nl")
    report["generated_at"] = moment
    page = render_html(result, report, "nl")
    assert f"Gecontroleerd op {shown}" in page
    assert "UTC" not in page


@pytest.mark.parametrize("door", list(Door))
def test_a_workbook_rejected_as_a_whole_is_not_sent_to_red_cells(tmp_path: Path,
                                                                   door: Door) -> None:
    """No employer accepted and every error about the workbook as a whole (no header row): the
    next step in report.html, on the Controle sheet and in the terminal says to correct the
    workbook, not red cells that are not there; with a cell's error, the red cells."""
    import openpyxl

    from intake.outputs.feedback import write_feedback
    from intake.outputs.samples import fill
    from intake.outputs.terminal import summary_lines

    source = fill(tmp_path / "kop.xlsx", VALID_WERKGEVERS, [])
    book = openpyxl.load_workbook(source)
    book["Werkgevers"].delete_rows(1)
    book.save(source)
    wrong = fill(tmp_path / "fout.xlsx", [replace(VALID_WERKGEVERS[0],
                                                  loonheffingennummer="123")], [])
    for path, marked in ((source, False), (wrong, True)):
        result = validate_workbook(path)
        assert result.status == "rejected" and result.marked is marked
        page = render_html(result, build_report(result, Options()), "nl", door)
        (next_step,) = re.findall(r'<p id="next">(.*?)</p>', page, re.S)
        assert ("rode cellen" in next_step) is marked
        assert ("niet over een cel" in next_step) is not marked
        feedback = write_feedback(result, tmp_path / path.stem, "nl", door=door)
        controle = openpyxl.load_workbook(feedback)[openpyxl.load_workbook(
            feedback).sheetnames[0]]
        texts = " ".join(str(c.value) for row in controle.iter_rows() for c in row if c.value)
        assert ("niet over een cel" in texts) is not marked
        if door == Door.COMMAND_LINE:
            lines = " ".join(summary_lines(result, tmp_path / path.stem, [feedback], "nl"))
            assert ("niet over een cel" in lines) is not marked
