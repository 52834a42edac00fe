"""What the operator asks of intake batch: re-run one file, a CSV dialect for every delivery,
history in the reader's language."""

from __future__ import annotations

import json
from pathlib import Path

from intake.outputs.samples import employer, fill, lhn

from conftest import run_intake


def _runs(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.is_dir())


def test_one_file_can_be_run_again_on_purpose(tmp_path: Path) -> None:
    """`intake batch FILE --out OUTDIR --force` processes that file only, again, in a new run."""
    inbox = tmp_path / "in"
    fill(inbox / "a.xlsx", [employer(1)], [])
    fill(inbox / "b.xlsx", [employer(2)], [])
    out = tmp_path / "out"
    assert run_intake("batch", str(inbox), "--out", str(out), "--settle", "0").returncode == 0
    again = run_intake("batch", str(inbox / "a.xlsx"), "--out", str(out), "--force")
    assert again.returncode == 0, again.stderr
    summary = json.loads((_runs(out)[-1] / "summary.json").read_text(encoding="utf-8"))
    assert [(f["name"], f["status"]) for f in summary["files"]] == [("a.xlsx", "accepted")]
    skipped = run_intake("batch", str(inbox / "a.xlsx"), "--out", str(out))
    assert "1 skipped" in skipped.stdout


def test_csv_dialect_reaches_every_delivery(tmp_path: Path) -> None:
    """--csv-dialect excel-nl: the combined CSVs and each file's CSVs have a BOM and semicolons."""
    inbox = tmp_path / "in"
    fill(inbox / "a.xlsx", [employer(1)], [])
    out = tmp_path / "out"
    done = run_intake("batch", str(inbox), "--out", str(out), "--settle", "0",
                      "--csv-dialect", "excel-nl")
    assert done.returncode == 0, done.stderr
    (run,) = _runs(out)
    for path in (run / "werkgevers.csv", run / "dga.csv", run / "a.xlsx" / "werkgevers.csv"):
        text = path.read_bytes().decode("utf-8")
        assert text.startswith("\ufeff") and ";" in text.splitlines()[0], path
    row = (run / "werkgevers.csv").read_text(encoding="utf-8-sig").splitlines()[1].split(";")
    assert lhn(1) in row and "a.xlsx" in row


def test_index_pages_speak_to_the_operator(tmp_path: Path) -> None:
    """A run's index.html: Dutch status and local time, totals per bureau, accepted and
    delivered per file, the cross-file findings above the files; OUTDIR/index.html lists every
    run with a link to the latest."""
    import re

    from intake.outputs.samples import BUREAU

    inbox = tmp_path / "in"
    fill(inbox / "eerste.xlsx", [employer(1)], [])
    out = tmp_path / "out"
    run_intake("batch", str(inbox), "--out", str(out), "--settle", "0")
    fill(inbox / "tweede.xlsx", [employer(1), employer(2)], [])
    run_intake("batch", str(inbox), "--out", str(out), "--settle", "0")
    first, second = _runs(out)
    page = (second / "index.html").read_text(encoding="utf-8")
    assert "klaar" in page and "finished" not in page
    assert re.search(r"\d\d-\d\d-\d{4} \d\d:\d\d \(tijd in Nederland\)", page)
    assert "1 werkgevers" not in page and "Aangeleverd: 1 werkgever," in page
    bureau = re.search(r"<td>(.*?)</td><td>(.*?)</td><td class=\"num\">(\d+)</td><td "
                       r"class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td><td class=\"num\">"
                       r"(\d+)</td>", page.split('id="bureaus"')[1])
    assert bureau is not None
    assert bureau.groups() == (BUREAU[0], BUREAU[1], "1", "2", "2", "1")
    assert page.index('id="cross-file"') < page.index('id="files"')
    runs = (out / "index.html").read_text(encoding="utf-8")
    assert f'Laatste verwerking: <a href="{second.name}/index.html">' in runs
    assert f'<a href="{first.name}/index.html">' in runs


def test_a_run_that_finds_no_files_makes_no_folder(tmp_path: Path) -> None:
    """An empty inbox: exit 0, a sentence saying so, and no run folder."""
    (tmp_path / "in").mkdir()
    done = run_intake("batch", str(tmp_path / "in"), "--out", str(tmp_path / "out"))
    assert done.returncode == 0
    assert "geen bestanden" in done.stdout
    assert _runs(tmp_path / "out") == []


def _with_lhn(n: int, number: str) -> tuple[object, ...]:
    """employer(n) with its loonheffingennummer set to `number`."""
    from intake.definition.fields import WERKGEVERS

    row = list(employer(n))
    row[[f.name for f in WERKGEVERS.fields].index("loonheffingennummer")] = number
    return tuple(row)


def test_one_wage_tax_number_under_two_employer_ids_is_named(tmp_path: Path) -> None:
    """The same loonheffingennummer under two Werkgever IDs (in one file, across files of a
    run, or against the ledger) is a warning naming both IDs and where the other one is."""
    shared = lhn(500)
    inbox = tmp_path / "in"
    fill(inbox / "a.xlsx", [_with_lhn(1, shared), _with_lhn(2, shared)], [])
    out = tmp_path / "out"
    run_intake("batch", str(inbox), "--out", str(out), "--settle", "0")
    fill(inbox / "b.xlsx", [_with_lhn(3, shared)], [])
    run_intake("batch", str(inbox), "--out", str(out), "--settle", "0")
    first, second = (json.loads((run / "summary.json").read_text(encoding="utf-8"))
                     for run in _runs(out))
    notes = [(n["file"], n["code"], n["value"], n["message"]) for n in first["cross_file"]]
    assert [(f, c, v) for f, c, v, _ in notes] == [
        ("a.xlsx", "batch-lhn-other-employer", "9000002")]
    assert "Werkgever ID 9000001 in a.xlsx (rij 2)" in notes[0][3]
    ((note,),) = [second["cross_file"]]
    assert (note["file"], note["code"], note["value"]) == (
        "b.xlsx", "batch-lhn-other-employer", "9000003")
    assert f"Loonheffingennummer {shared} staat ook bij Werkgever ID 9000001" in note["message"]


def _with(n: int, **values: str) -> tuple[object, ...]:
    """employer(n) with the named fields set."""
    from intake.definition.fields import WERKGEVERS

    names = [f.name for f in WERKGEVERS.fields]
    row = list(employer(n))
    for name, value in values.items():
        row[names.index(name)] = value
    return tuple(row)


def test_a_conflicting_later_registration_is_an_error_until_redelivered(tmp_path: Path) -> None:
    """Another bureau registers the same employer with 13e maand Nee after Ja: the row is an
    error naming the differing fields and the earlier file, the file is rejected, the conflict
    is on index.html and nothing is delivered; --redeliver delivers it once, recorded as the
    replacement, and the same data sent later are not delivered again."""
    import sqlite3

    inbox = tmp_path / "in"
    fill(inbox / "eerste.xlsx", [_with(1, dertiende_maand="Ja")], [])
    out = tmp_path / "out"
    run_intake("batch", str(inbox), "--out", str(out), "--settle", "0")
    fill(inbox / "tweede.xlsx", [_with(1, dertiende_maand="Nee",
                                       salarisverwerker_naam="Loonbureau Zuid",
                                       salarisverwerker_email="info@zuid.nl")], [])
    second = run_intake("batch", str(inbox), "--out", str(out), "--settle", "0")
    assert second.returncode == 1
    run = _runs(out)[-1]
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    ((note,),) = [summary["cross_file"]]
    assert (note["file"], note["code"], note["severity"]) == ("tweede.xlsx", "batch-conflict",
                                                              "error")
    assert ("met andere gegevens: Bedrijfsnaam salarisverwerker, E-mail salarisverwerker, "
            "13e maand") in note["message"] and "eerste.xlsx (rij 2)" in note["message"]
    assert [(f["name"], f["status"], f["delivered"]["werkgevers"]) for f in summary["files"]
            if f["status"] != "skipped"] == [("tweede.xlsx", "rejected", 0)]
    assert summary["delivery"]["werkgevers"] == 0
    page = (run / "index.html").read_text(encoding="utf-8")
    assert page.index("met andere gegevens") < page.index('id="files"')

    redo = run_intake("batch", str(inbox / "tweede.xlsx"), "--out", str(out), "--force",
                      "--redeliver", "9000001")
    assert redo.returncode == 0, redo.stderr
    redone = json.loads((_runs(out)[-1] / "summary.json").read_text(encoding="utf-8"))
    assert redone["delivery"]["werkgevers"] == 1
    assert [n["code"] for n in redone["cross_file"]] == ["batch-redelivered"]
    db = sqlite3.connect(out / "intake.sqlite")
    rows = db.execute("SELECT id, replaces FROM employers ORDER BY id").fetchall()
    db.close()
    assert rows == [(rows[0][0], None), (rows[1][0], rows[0][0])]
    fill(inbox / "derde.xlsx", [_with(1, dertiende_maand="Nee",
                                      salarisverwerker_naam="Loonbureau Zuid",
                                      salarisverwerker_email="info@zuid.nl"), employer(2)], [])
    later = run_intake("batch", str(inbox), "--out", str(out), "--settle", "0")
    assert later.returncode == 0, later.stderr
    last = json.loads((_runs(out)[-1] / "summary.json").read_text(encoding="utf-8"))
    assert [n["code"] for n in last["cross_file"]] == ["batch-already-registered"]
    assert last["delivery"]["werkgevers"] == 1


def _fills(path: Path) -> dict[tuple[str, str], str]:
    from conftest import our_fills

    return our_fills(path)


def _werkgever_id_cell(book_path: Path, row: int) -> str:
    """The address of the Werkgever ID cell of Excel row `row` on sheet Werkgevers, found by
    its header."""
    import openpyxl

    sheet = openpyxl.load_workbook(book_path, read_only=True)["Werkgevers"]
    header = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True))
    column = openpyxl.utils.get_column_letter(list(header).index("Werkgever ID") + 1)
    return f"{column}{row}"


def test_a_conflict_is_an_error_in_the_files_own_report_and_feedback(tmp_path: Path) -> None:
    """Two bureaus, DGA Ja then Nee: the second file's report.json, report.html and
    tweede-feedback.xlsx carry the conflict as an error on its Werkgever ID cell (red), it does
    not say goedgekeurd or 'geen fouten', and the employer is delivered once only."""
    from conftest import RED

    inbox = tmp_path / "in"
    fill(inbox / "eerste.xlsx", [_with(1, dga_in_verloning="Ja")],
         [("9000001", "J. de Vries", "1001")])
    out = tmp_path / "out"
    assert run_intake("batch", str(inbox), "--out", str(out), "--settle", "0").returncode == 0
    fill(inbox / "tweede.xlsx", [_with(1, dga_in_verloning="Nee",
                                       salarisverwerker_naam="Loonbureau Zuid",
                                       salarisverwerker_email="info@zuid.nl")], [])
    assert run_intake("batch", str(inbox), "--out", str(out), "--settle", "0").returncode == 1
    folder = _runs(out)[-1] / "tweede.xlsx"
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    (conflict,) = [f for f in report["findings"] if f["code"] == "batch-conflict"]
    cell = _werkgever_id_cell(inbox / "tweede.xlsx", 2)
    assert (conflict["severity"], conflict["cell"]) == ("error", cell)
    assert "eerste.xlsx" in conflict["message"] and "DGA in verloning" in conflict["message"]
    assert report["summary"]["valid"] is False
    assert report["summary"]["werkgevers"] == {"rows": 1, "accepted": 0, "rejected": 1,
                                               "delivered": 0}
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "eerste.xlsx" in page and "met andere gegevens" in page
    assert "Geen fouten gevonden" not in page
    assert _fills(folder / "tweede-feedback.xlsx")[("Werkgevers", cell)] == RED
    assert (folder / "werkgevers.csv").read_text(encoding="utf-8").count("\n") == 1
    import openpyxl

    controle = openpyxl.load_workbook(folder / "tweede-feedback.xlsx")["Controle"]
    texts = " ".join(str(c.value) for row in controle.iter_rows() for c in row if c.value)
    assert "Er zijn fouten gevonden" in texts and "Geen fouten gevonden" not in texts
    import sqlite3

    db = sqlite3.connect(out / "intake.sqlite")
    assert db.execute("SELECT count(*) FROM employers").fetchone() == (1,)
    db.close()


def test_an_employer_delivered_before_is_amber_in_the_later_file(tmp_path: Path) -> None:
    """An employer delivered by an earlier file (this run or an earlier one) is amber in the
    later file's feedback, naming the earlier file and date; report.json counts it accepted but
    not delivered."""
    from conftest import AMBER

    inbox = tmp_path / "in"
    fill(inbox / "eerste.xlsx", [employer(1)], [])
    out = tmp_path / "out"
    run_intake("batch", str(inbox), "--out", str(out), "--settle", "0")
    fill(inbox / "tweede.xlsx", [employer(2), employer(1)], [])
    fill(inbox / "tweede-b.xlsx", [employer(2)], [])
    import os
    import time

    now = time.time() - 60  # arrival order: tweede.xlsx first
    os.utime(inbox / "tweede.xlsx", (now, now))
    os.utime(inbox / "tweede-b.xlsx", (now + 1, now + 1))
    assert run_intake("batch", str(inbox), "--out", str(out), "--settle", "0",
                      "--jobs", "1").returncode == 0
    first_run = _runs(out)[0].name
    run = _runs(out)[-1]
    report = json.loads((run / "tweede.xlsx" / "report.json").read_text(encoding="utf-8"))
    (again,) = [f for f in report["findings"] if f["code"] == "batch-already-registered"]
    cell = _werkgever_id_cell(inbox / "tweede.xlsx", 3)
    assert (again["severity"], again["cell"]) == ("warning", cell)
    import datetime as dt
    import sqlite3
    from zoneinfo import ZoneInfo

    db = sqlite3.connect(out / "intake.sqlite")
    ((at,),) = db.execute("SELECT processed_at FROM files WHERE name = 'eerste.xlsx' AND "
                          "run_id = ?", (first_run,)).fetchall()
    db.close()
    date = dt.datetime.fromisoformat(at).astimezone(ZoneInfo("Europe/Amsterdam")).strftime(
        "%d-%m-%Y")
    assert "eerste.xlsx" in again["message"] and date in again["message"]
    assert report["summary"]["werkgevers"] == {"rows": 2, "accepted": 2, "rejected": 0,
                                               "delivered": 1}
    assert _fills(run / "tweede.xlsx" / "tweede-feedback.xlsx")[("Werkgevers", cell)] == AMBER
    import openpyxl

    controle = openpyxl.load_workbook(run / "tweede.xlsx" / "tweede-feedback.xlsx")["Controle"]
    totals = {row[0]: row[1:5] for row in controle.iter_rows(min_row=4, max_row=6,
                                                             values_only=True)}
    assert totals[None][3] == "Aangeleverd"  # the header of the totals
    assert totals["Werkgevers"] == (2, 2, 0, 1)  # rows, accepted, rejected, delivered
    lines = [row[0] for row in controle.iter_rows(min_row=10, max_row=12, values_only=True)]
    assert lines[:2] == ["Geen fouten gevonden.", "Aangeleverd in deze verwerking: 1 van de 2 "
                         "goedgekeurde werkgevers; de andere waren al eerder aangeleverd (zie "
                         "de waarschuwingen)."]
    assert lines[2].startswith("Volgende stap: Je hoeft niets meer te doen: alle werkgevers "
                               "uit tweede.xlsx zijn goedgekeurd en a.s.r. heeft ze ontvangen.")
    page = (run / "tweede.xlsx" / "report.html").read_text(encoding="utf-8")
    assert "eerste.xlsx" in page
    assert "Aangeleverd in deze verwerking: 1 van de 2 goedgekeurde werkgevers" in page
    later = json.loads((run / "tweede-b.xlsx" / "report.json").read_text(encoding="utf-8"))
    (twice,) = [f for f in later["findings"] if f["code"] == "batch-duplicate-in-run"]
    assert "tweede.xlsx" in twice["message"]
    assert later["summary"]["werkgevers"]["delivered"] == 0
    assert _fills(run / "tweede-b.xlsx" / "tweede-b-feedback.xlsx")[
        ("Werkgevers", _werkgever_id_cell(inbox / "tweede-b.xlsx", 2))] == AMBER
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert sorted((f["name"], f["counts"]["werkgevers"]["accepted"],
                   f["delivered"]["werkgevers"]) for f in summary["files"]
                  if f["status"] != "skipped") == [
        ("tweede-b.xlsx", 1, 0), ("tweede.xlsx", 2, 1)]


def test_redeliver_replaces_a_registration_once_per_run(tmp_path: Path) -> None:
    """Two changed copies of one employer in one run with --redeliver (checked two at a time):
    the first replaces the registration, the second is a conflict with that first one; the
    run's werkgevers.csv holds the employer once, so its primary key holds."""
    import csv
    import sqlite3

    inbox = tmp_path / "in"
    fill(inbox / "a-eerste.xlsx", [_with(1, dertiende_maand="Ja")], [])
    out = tmp_path / "out"
    run_intake("batch", str(inbox), "--out", str(out), "--settle", "0")
    fill(inbox / "b-nee.xlsx", [_with(1, dertiende_maand="Nee")], [])
    fill(inbox / "c-vierweken.xlsx", [_with(1, dertiende_maand="Nee", verloning="4 weken")], [])
    done = run_intake("batch", str(inbox), "--out", str(out), "--settle", "0", "--jobs", "2",
                      "--redeliver", "9000001")
    assert done.returncode == 1, done.stderr
    run = _runs(out)[-1]
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert sorted((n["file"], n["code"]) for n in summary["cross_file"]) == [
        ("b-nee.xlsx", "batch-redelivered"), ("c-vierweken.xlsx", "batch-conflict")]
    conflict = next(n for n in summary["cross_file"] if n["code"] == "batch-conflict")
    assert "b-nee.xlsx (rij 2)" in conflict["message"] and "Verloning" in conflict["message"]
    with (run / "werkgevers.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["werkgever_id"], r["bron_bestand"]) for r in rows] == [("9000001", "b-nee.xlsx")]
    db = sqlite3.connect(out / "intake.sqlite")
    assert db.execute("SELECT COUNT(*) FROM employers").fetchone()[0] == 2
    db.close()


def test_force_checks_a_delivered_file_again_without_delivering_it_again(
        tmp_path: Path) -> None:
    """--force on a file already delivered: checked again (new reports), its employers are
    'al eerder aangemeld' and not delivered a second time; the ledger keeps one row each."""
    import sqlite3

    inbox = tmp_path / "in"
    fill(inbox / "a.xlsx", [employer(1), employer(2)], [])
    out = tmp_path / "out"
    run_intake("batch", str(inbox), "--out", str(out), "--settle", "0")
    again = run_intake("batch", str(inbox / "a.xlsx"), "--out", str(out), "--force")
    assert again.returncode == 0, again.stderr
    summary = json.loads((_runs(out)[-1] / "summary.json").read_text(encoding="utf-8"))
    assert summary["delivery"]["werkgevers"] == 0
    assert [n["code"] for n in summary["cross_file"]] == ["batch-already-registered"] * 2
    db = sqlite3.connect(out / "intake.sqlite")
    assert db.execute("SELECT COUNT(*) FROM employers").fetchone()[0] == 2
    db.close()
