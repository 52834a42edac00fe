"""Issue 25 end to end: the shipped samples go through the batch, the shipped status file
(completed, in set-up, live with a date, refused with a reason), and then the bureau's web page
(in serve's language and, by its switch, in the other), the bureau's message and `intake history
--json` tell where each registration is, in Dutch and English."""

from __future__ import annotations

import csv
import datetime as dt
import email
import html
import json
import re
import shutil
import sqlite3
from email import policy
from pathlib import Path

import pytest
from languages import leftovers, visible, workbook_strings
from starlette.testclient import TestClient

from intake.batch.run import BatchOptions, run_batch
from intake.definition.messages import Lang
from intake.outputs.samples import STATUS_SAMPLE_NAME, VALID_WERKGEVERS
from intake.web import keys as bureaus
from intake.web.app import ServeConfig, create_app
from intake.web.keys import Role

from conftest import run_intake

ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _registrations(page: str) -> dict[str, tuple[str, str, str]]:
    """The "Je werkgevers" table: Werkgever ID -> (state, days, note)."""
    table = page[page.index('id="registrations"'):]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    cells = [[" ".join(re.sub(r"<[^>]+>", " ", c).split())
              for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows]
    return {c[1]: (c[3], c[5], html.unescape(c[6])) for c in cells}


def _message(run_dir: Path) -> str:
    """The plain text of the run's one bureau message."""
    [path] = sorted((run_dir / "berichten").glob("*.eml"))
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None
    return " ".join(f"{parsed['Subject']}\n{body.get_content()}".split())


#: The status import's bound back in time for the shipped sample, whose date is fixed.
SAMPLE_DATE_BOUND = ("--max-days-back", "36500")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_samples_walk_from_delivery_to_live(tmp_path: Path, lang: Lang) -> None:
    """voorbeeld-geldig.xlsx delivered from bureau noord's folder, status-voorbeeld.csv imported
    (twice: the second changes nothing): the next run's message names the employer gone live with
    the date of its first exchange and the one refused with its reason; the bureau's page lists
    all six with their state, in serve's language and by the switch in the other, without a
    word of the other language; history --json counts 2 delivered, 1 of each other state."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    (inbox / "noord").mkdir(parents=True)
    shutil.copyfile(ROOT / "samples" / "voorbeeld-geldig.xlsx",
                    inbox / "noord" / "voorbeeld-geldig.xlsx")
    nightly = BatchOptions(inbox=inbox, out_dir=out, recursive=True, settle_seconds=0,
                           messages=True, lang=lang)
    assert [f.status for f in run_batch(nightly).files] == ["accepted"]

    status = ROOT / "samples" / STATUS_SAMPLE_NAME
    # The sample's date of the first exchange is fixed (2027-01-15): a bound of a century back
    # keeps the walk true whenever it runs.
    first = run_intake("status", "import", str(status), "--out", str(out), "--lang", lang,
                       "--json", *SAMPLE_DATE_BOUND)
    assert first.returncode == 0, first.stdout + first.stderr
    assert json.loads(first.stdout)["changed"] == 4
    again = run_intake("status", "import", str(status), "--out", str(out), "--lang", lang,
                       "--json", *SAMPLE_DATE_BOUND)
    assert (again.returncode, json.loads(again.stdout)["changed"]) == (0, 0)

    second = run_batch(nightly)
    text = _message(second.run_dir)
    live, refused = VALID_WERKGEVERS[2], VALID_WERKGEVERS[3]
    if lang == "nl":
        assert "de stand van je aanmeldingen" in text
        assert (f"{live[2]} (Werkgever ID {live[5]}): de salariskoppeling is gerealiseerd. De "
                "eerste uitwisseling van gegevens is op 15-01-2027.") in text
        assert f"{refused[2]} (Werkgever ID {refused[5]}): de aanmelding is afgewezen. " \
               "Reden: Het raamwerkcontract is beëindigd;" in text
    else:
        assert "where your registrations stand" in text
        assert (f"{live[2]} (Employer ID {live[5]}): the payroll link is live. The first "
                "exchange of data is on 15 January 2027.") in text
        assert f"{refused[2]} (Employer ID {refused[5]}): the registration was refused." in text
    # Told once: the run after says nothing of them again (no message at all).
    third = run_batch(nightly)
    assert not (third.run_dir / "berichten").exists()

    history = run_intake("history", "--out", str(out), "--json", "--lang", lang)
    assert history.returncode == 0, history.stderr
    assert json.loads(history.stdout)["states"] == {
        "delivered": 2, "completed": 1, "setup": 1, "live": 1, "refused": 1}
    # Time passes: set-up began 40 days ago, one delivery 20 days ago, another 5.
    today = dt.datetime.now(dt.UTC).date()
    ledger = sqlite3.connect(out / "intake.sqlite")
    for werkgever, days in ((VALID_WERKGEVERS[1][5], 40), (VALID_WERKGEVERS[4][5], 20),
                            (VALID_WERKGEVERS[5][5], 5)):
        ledger.execute("UPDATE states SET at = ? WHERE werkgever_id = ?",
                       (f"{today - dt.timedelta(days=days)}T09:00:00+00:00", werkgever))
    ledger.commit()
    ledger.close()
    waiting = json.loads(run_intake("history", "--out", str(out), "--json").stdout)["waiting"]
    assert [(w["werkgever_id"], w["state"], w["days"]) for w in waiting] == [
        (VALID_WERKGEVERS[1][5], "setup", 40), (VALID_WERKGEVERS[4][5], "delivered", 20)]
    stricter = run_intake("history", "--out", str(out), "--json", "--waiting-days",
                          "delivered=4", "--waiting-days", "setup=45")
    assert [w["days"] for w in json.loads(stricter.stdout)["waiting"]] == [20, 5]

    db = bureaus.connect(out / "intake.sqlite")
    key = bureaus.add(db, "noord")
    db.close()
    # The bureau's page, first in serve's language, then in the other by its switch.
    other: Lang = "en" if lang == "nl" else "nl"
    with TestClient(create_app(ServeConfig(inbox=inbox, out_dir=out, lang=lang))) as client:
        token = CSRF.search(client.get("/inloggen").text).group(1)  # type: ignore[union-attr]
        pages = {lang: client.post("/inloggen", data={"csrf": token, "sleutel": key}).text,
                 other: client.get(f"/taal/{other}?terug=/uploads").text}
    # The data the page shows: the workbook's, and what a.s.r. wrote in the status file (the
    # reason of a refusal is a.s.r.'s own words, in a.s.r.'s language).
    with status.open(encoding="utf-8-sig", newline="") as handle:
        written = {cell.strip() for row in csv.reader(handle) for cell in row}
    data = workbook_strings(ROOT / "samples" / "voorbeeld-geldig.xlsx") | written | {"noord"}
    for page_lang, page in pages.items():
        assert f'<html lang="{page_lang}">' in page
        assert leftovers(visible(page)[1], page_lang, data) == []
        shown = _registrations(page)
        assert len(shown) == len(VALID_WERKGEVERS)
        assert shown[VALID_WERKGEVERS[1][5]][1] == "40"
        assert shown[refused[5]][2].startswith("Het raamwerkcontract is beëindigd")  # a.s.r.'s
        said = {werkgever: state for werkgever, (state, _, _) in shown.items()}
        if page_lang == "nl":
            assert shown[live[5]] == ("live", "0",
                                      "Eerste uitwisseling van gegevens op 15-01-2027")
            assert "<th>Stand</th>" in page and "<h2>Je werkgevers</h2>" in page
            expected = ["aangevuld door a.s.r.", "in inrichting bij Keylane", "live",
                        "afgewezen", "aangeleverd", "aangeleverd"]
        else:
            assert shown[live[5]] == ("live", "0", "First exchange of data on 15 January 2027")
            assert "<th>State</th>" in page and "<h2>Your employers</h2>" in page
            expected = ["completed by a.s.r.", "in set-up at Keylane", "live", "refused",
                        "delivered", "delivered"]
        assert [said[w[5]] for w in VALID_WERKGEVERS] == expected

    # a.s.r.'s operator page: the same counts per state, the same two waiting, oldest first
    db = bureaus.connect(out / "intake.sqlite")
    operator = bureaus.add(db, "beheer", role=Role.OPERATOR)
    db.close()
    with TestClient(create_app(ServeConfig(inbox=inbox, out_dir=out))) as client:
        token = CSRF.search(client.get("/inloggen").text).group(1)  # type: ignore[union-attr]
        client.post("/inloggen", data={"csrf": token, "sleutel": operator})
        beheer = client.get("/beheer").text
    counts = re.findall(r"<td[^>]*>(\d+)</td>",
                        beheer[beheer.index('id="funnel"'):beheer.index("</table>",
                                                                        beheer.index('id="funnel"'))])
    assert counts == ["2", "1", "1", "1", "1"]
    listed = beheer[beheer.index('id="waiting"'):]
    assert listed.index(VALID_WERKGEVERS[1][5]) < listed.index(VALID_WERKGEVERS[4][5])
    assert VALID_WERKGEVERS[5][5] not in listed[:listed.index("</table>")]


def test_another_bureau_sees_none_of_these_employers(tmp_path: Path) -> None:
    """A bureau's page lists only the employers delivered from its own inbox folder."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    (inbox / "noord").mkdir(parents=True)
    shutil.copyfile(ROOT / "samples" / "voorbeeld-geldig.xlsx",
                    inbox / "noord" / "voorbeeld-geldig.xlsx")
    run_batch(BatchOptions(inbox=inbox, out_dir=out, recursive=True, settle_seconds=0))
    db = bureaus.connect(out / "intake.sqlite")
    key = bureaus.add(db, "zuid")
    db.close()
    with TestClient(create_app(ServeConfig(inbox=inbox, out_dir=out))) as client:
        token = CSRF.search(client.get("/inloggen").text).group(1)  # type: ignore[union-attr]
        page = client.post("/inloggen", data={"csrf": token, "sleutel": key}).text
    assert 'id="registrations"' not in page
    assert "Nog geen werkgevers aangeleverd" in page
