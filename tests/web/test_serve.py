"""`intake serve` at the HTTP level (Starlette's test client): every page and every refusal."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import hostile
import pytest
from starlette.testclient import TestClient

from intake.batch.run import BatchOptions, run_batch
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill, write_samples
from intake.validation.limits import Limits
from intake.web import keys as bureaus
from intake.web.app import ServeConfig, create_app

from conftest import our_fills, replace

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Site:
    """A running app, its folders and the keys made for it."""

    config: ServeConfig
    keys: dict[str, str]
    folder: Path

    def client(self) -> TestClient:
        """A fresh browser (no cookies)."""
        return TestClient(create_app(self.config), base_url="http://testserver")


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """Folders, two bureaus and an operator with keys; limits as the command line's."""
    out, inbox = tmp_path / "out", tmp_path / "inbox"
    db = bureaus.connect(out / "intake.sqlite")
    keys = {"noord": bureaus.add(db, "noord"), "zuid": bureaus.add(db, "zuid"),
            "beheer": bureaus.add(db, "beheer", bureaus.Role.OPERATOR)}
    db.close()
    config = ServeConfig(inbox=inbox, out_dir=out)
    samples = tmp_path / "samples"
    write_samples(samples)  # the shipped examples, as `intake template`'s folder has them
    return Site(config, keys, samples)


def login(client: TestClient, key: str) -> str:
    """Log in with `key`; return the CSRF token of the next page."""
    token = CSRF.search(client.get("/inloggen").text).group(1)  # type: ignore[union-attr]
    response = client.post("/inloggen", data={"csrf": token, "sleutel": key})
    assert response.status_code == 200, response.text
    found = CSRF.search(response.text)
    assert found is not None
    return found.group(1)


def upload(client: TestClient, csrf: str | None, path: Path, name: str | None = None,
           follow: bool = False) -> object:
    """POST a workbook to /uploads."""
    data = {"csrf": csrf} if csrf is not None else {}
    with path.open("rb") as handle:
        return client.post("/uploads", data=data, files={"werkmap": (name or path.name, handle)},
                           follow_redirects=follow)


@pytest.fixture
def noord(site: Site) -> Iterator[tuple[TestClient, str]]:
    """A browser logged in as bureau noord, with its CSRF token."""
    with site.client() as client:
        yield client, login(client, site.keys["noord"])


def inbox_files(site: Site) -> list[Path]:
    """Every file in the inbox, hidden ones included."""
    return sorted(p for p in site.config.inbox.rglob("*") if p.is_file())


# --- access ----------------------------------------------------------------------------------


def test_without_a_key_pages_send_to_login_and_posts_are_refused(site: Site) -> None:
    """No session: pages redirect to the login, an upload is 401 and nothing is stored."""
    with site.client() as client:
        for page in ("/", "/uploads", "/beheer"):
            response = client.get(page, follow_redirects=False)
            assert (response.status_code, response.headers["location"]) == (303, "/inloggen")
        response = upload(client, "x", site.folder / "voorbeeld-geldig.xlsx")
        assert response.status_code == 401  # type: ignore[attr-defined]
        assert client.get("/uploads/anything").status_code == 401
    assert inbox_files(site) == []


def test_a_wrong_key_is_refused_with_a_dutch_message(site: Site) -> None:
    """A key that is not one of ours gets 401 and the login page says what to do."""
    with site.client() as client:
        token = CSRF.search(client.get("/inloggen").text).group(1)  # type: ignore[union-attr]
        wrong = site.keys["noord"][:-2] + "xx"
        response = client.post("/inloggen", data={"csrf": token, "sleutel": wrong})
        assert response.status_code == 401
        assert "Deze sleutel is onbekend of ingetrokken" in response.text
        assert client.get("/uploads", follow_redirects=False).status_code == 303


def test_a_revoked_key_no_longer_logs_in_and_its_open_session_ends(site: Site) -> None:
    """Revoking a bureau ends its logged-in session at once and its key stops working."""
    with site.client() as client:
        login(client, site.keys["noord"])
        assert client.get("/uploads", follow_redirects=False).status_code == 200
        db = bureaus.connect(site.config.ledger_path)
        bureaus.revoke(db, "noord")
        db.close()
        assert client.get("/uploads", follow_redirects=False).status_code == 303
    with site.client() as client:
        token = CSRF.search(client.get("/inloggen").text).group(1)  # type: ignore[union-attr]
        response = client.post("/inloggen", data={"csrf": token, "sleutel": site.keys["noord"]})
        assert response.status_code == 401


def test_another_bureaus_upload_is_404_on_every_url(site: Site,
                                                     noord: tuple[TestClient, str]) -> None:
    """Zuid gets 404 for noord's result, feedback, reports and forward, as for a random id."""
    client, csrf = noord
    location = upload(client, csrf, site.folder / "voorbeeld-fouten.xlsx")\
        .headers["location"]  # type: ignore[attr-defined]
    assert client.get(location).status_code == 200
    with site.client() as other:
        other_csrf = login(other, site.keys["zuid"])
        for suffix in ("", "/feedback", "/rapport.html", "/report.json"):
            assert other.get(location + suffix).status_code == 404
        assert other.post(location + "/doorsturen", data={"csrf": other_csrf}).status_code == 404
        assert other.get("/uploads/AAAAAAAAAAAAAAAA").status_code == 404
        assert "voorbeeld-fouten" not in other.get("/uploads").text


def test_operator_pages_need_the_operator_key(site: Site, noord: tuple[TestClient, str]) -> None:
    """A bureau key gets 403 on /beheer; the operator key opens it and is sent away from
    the bureau upload page."""
    client, _ = noord
    assert client.get("/beheer").status_code == 403
    with site.client() as operator:
        login(operator, site.keys["beheer"])
        assert operator.get("/beheer").status_code == 200
        assert operator.get("/uploads", follow_redirects=False).headers["location"] == "/beheer"


@pytest.mark.parametrize("form", ["upload", "logout", "login", "forward"])
def test_a_form_without_its_csrf_token_is_refused(site: Site, noord: tuple[TestClient, str],
                                                  form: str) -> None:
    """Every form (upload, logout, login, forward) without the right token gets 403 and does
    nothing."""
    client, csrf = noord
    partial = upload(client, csrf, site.folder / "voorbeeld-fouten.xlsx")\
        .headers["location"]  # type: ignore[attr-defined]
    if form == "upload":
        response = upload(client, None, site.folder / "voorbeeld-geldig.xlsx")
        assert response.status_code == 403  # type: ignore[attr-defined]
        response = upload(client, "forged", site.folder / "voorbeeld-geldig.xlsx")
        assert response.status_code == 403  # type: ignore[attr-defined]
    elif form == "logout":
        assert client.post("/uitloggen", data={"csrf": "forged"}).status_code == 403
        assert client.get("/uploads", follow_redirects=False).status_code == 200
    elif form == "login":
        with site.client() as fresh:
            response = fresh.post("/inloggen", data={"sleutel": site.keys["noord"]})
            assert response.status_code == 403
            assert fresh.get("/uploads", follow_redirects=False).status_code == 303
    else:
        assert client.post(partial + "/doorsturen", data={}).status_code == 403
    assert inbox_files(site) == []


def test_an_oversized_upload_gets_413_before_it_is_read(site: Site) -> None:
    """A body over --max-upload-mb (declared, or streamed without a length) gets 413."""
    config = ServeConfig(inbox=site.config.inbox, out_dir=site.config.out_dir, max_upload_mb=2)
    client = TestClient(create_app(config))
    csrf = login(client, site.keys["noord"])
    big = site.folder / "groot.xlsx"
    big.write_bytes(b"PK\x03\x04" + b"\0" * (3 * 2**20))
    response = upload(client, csrf, big)
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert "ten hoogste 2 MB" in response.text  # type: ignore[attr-defined]

    def chunks() -> Iterator[bytes]:
        for _ in range(3 * 16):
            yield b"\0" * 65536

    streamed = client.post("/uploads", content=chunks(),
                           headers={"content-type": "multipart/form-data; boundary=x"})
    assert streamed.status_code == 413
    assert inbox_files(site) == []
    assert client.get("/uploads").status_code == 200


@pytest.mark.parametrize(("name", "content"), [
    ("notities.xlsx", b"Werkgever ID;Naam\n8106625;Bakkerij\n"),
    ("notities.txt", b"PK\x03\x04 een zip met de verkeerde naam"),
    ("rapport.pdf", b"%PDF-1.7\n"),
])
def test_only_spreadsheets_are_taken(site: Site, noord: tuple[TestClient, str], name: str,
                                     content: bytes) -> None:
    """A text file named .xlsx, and any other kind of file, gets 415 with what to do."""
    client, csrf = noord
    path = site.folder / name
    path.write_bytes(content)
    response = upload(client, csrf, path)
    assert response.status_code == 415  # type: ignore[attr-defined]
    assert "geen werkmap" in response.text  # type: ignore[attr-defined]
    assert inbox_files(site) == []
    assert "notities" not in client.get("/uploads").text


def test_file_names_are_never_used_as_paths(site: Site, noord: tuple[TestClient, str]) -> None:
    """A name with ../ and a Windows path lands in INBOX/noord/ under a name made by the
    server; nothing is written outside the inbox folder."""
    client, csrf = noord
    response = upload(client, csrf, site.folder / "voorbeeld-geldig.xlsx",
                      name="..\\..\\..\\evil/../../../etc/passwd.xlsx", follow=True)
    assert response.status_code == 200  # type: ignore[attr-defined]
    files = inbox_files(site)
    assert len(files) == 1
    assert files[0].parent == site.config.inbox / "noord"
    assert re.fullmatch(r"\d{8}-\d{6}-[A-Za-z0-9_-]{16}-passwd\.xlsx", files[0].name)
    assert not (site.config.inbox.parent / "etc").exists()


def test_security_headers_on_every_page(site: Site, noord: tuple[TestClient, str]) -> None:
    """Every page has a CSP without inline script, no framing, nosniff, no-store; and no page
    holds an inline script."""
    client, csrf = noord
    result = upload(client, csrf, site.folder / "voorbeeld-fouten.xlsx")\
        .headers["location"]  # type: ignore[attr-defined]
    with site.client() as operator:
        login(operator, site.keys["beheer"])
        pages = [(client, "/uploads"), (client, result), (client, "/nergens"),
                 (operator, "/beheer"), (site.client(), "/inloggen")]
        for browser, page in pages:
            response = browser.get(page)
            csp = response.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp, page
            assert "frame-ancestors 'none'" in csp
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["cache-control"] == "no-store"
            assert not re.search(r"<script(?![^>]*\bsrc=)", response.text), page
            assert not re.search(r"\son[a-z]+=", response.text), page
        standalone = client.get(result + "/rapport.html").headers["content-security-policy"]
        assert standalone.startswith("default-src 'none';") and "script-src" not in standalone


def test_session_cookie_is_httponly_and_samesite_strict(site: Site) -> None:
    """The session cookie cannot be read by script nor sent by another site."""
    with site.client() as client:
        token = CSRF.search(client.get("/inloggen").text).group(1)  # type: ignore[union-attr]
        response = client.post("/inloggen", data={"csrf": token, "sleutel": site.keys["zuid"]},
                               follow_redirects=False)
        cookie = response.headers["set-cookie"].lower()
        assert "intake_sessie=" in cookie and "httponly" in cookie
        assert "samesite=strict" in cookie


# --- the bureau's pages ----------------------------------------------------------------------


def test_mistakes_upload_shows_the_reports_findings_and_is_not_sent(
        site: Site, noord: tuple[TestClient, str]) -> None:
    """The result page has the verdict, the totals and every error's cell and fix of
    report.json; the feedback workbook downloads with its red marks; nothing goes to the
    inbox."""
    client, csrf = noord
    response = upload(client, csrf, site.folder / "voorbeeld-fouten.xlsx", follow=True)
    page = response.text  # type: ignore[attr-defined]
    assert "voorbeeld-fouten.xlsx: Deels goedgekeurd" in page
    upload_id = str(response.url).rsplit("/", 1)[1]  # type: ignore[attr-defined]
    report = client.get(f"/uploads/{upload_id}/report.json").json()
    assert 'id="totals"' in page and 'id="verdict"' in page
    assert "intake validate" not in page  # the command line's advice; here: upload again
    assert "upload het hier opnieuw" in page
    assert "Volgende stap" not in page  # the report's own next step gives way to the page's
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert errors
    for finding in errors:
        assert f">{finding['cell']}<" in page or finding["cell"] is None
        assert finding["hint"].replace("'", "&#39;")[:40] in page
    feedback = client.get(f"/uploads/{upload_id}/feedback")
    assert feedback.status_code == 200
    assert 'filename="voorbeeld-fouten-feedback.xlsx"' in feedback.headers["content-disposition"]
    saved = site.folder / "voorbeeld-fouten-feedback.xlsx"
    saved.write_bytes(feedback.content)
    marked = {cell for (sheet, cell) in our_fills(saved) if sheet == "Werkgevers"}
    assert {f["cell"] for f in errors if f["sheet"] == "Werkgevers" and f["row"] != 1} <= marked
    assert inbox_files(site) == []
    assert "Niet doorgestuurd" in client.get("/uploads").text


def test_valid_upload_goes_to_the_inbox_and_the_nightly_batch_delivers_it(
        site: Site, noord: tuple[TestClient, str]) -> None:
    """A valid workbook is placed whole in INBOX/noord/, the page says what happens next,
    `intake batch --recursive` delivers it, and the upload list then shows the delivery
    read from the ledger (also after a later run skipped the same file)."""
    client, csrf = noord
    source = site.folder / "voorbeeld-geldig.xlsx"
    response = upload(client, csrf, source, follow=True)
    page = response.text  # type: ignore[attr-defined]
    assert "voorbeeld-geldig.xlsx: Goedgekeurd" in page
    assert "gaat vannacht naar a.s.r." in page and "Keylane" in page
    [placed] = inbox_files(site)
    assert placed.parent.name == "noord" and placed.read_bytes() == source.read_bytes()
    assert "Klaargezet; wordt vannacht verwerkt" in client.get("/uploads").text

    nightly = BatchOptions(inbox=site.config.inbox, out_dir=site.config.out_dir,
                           recursive=True, settle_seconds=0)
    assert [f.status for f in run_batch(nightly).files] == ["accepted"]
    rows = len(VALID_WERKGEVERS)
    assert f"goedgekeurd, {rows} werkgevers geleverd" in client.get("/uploads").text
    # The next night skips the same file; the list still tells what the first run did.
    assert [f.status for f in run_batch(nightly).files] == ["skipped"]
    assert f"goedgekeurd, {rows} werkgevers geleverd" in client.get("/uploads").text


def test_the_same_file_twice_is_placed_once(site: Site, noord: tuple[TestClient, str]) -> None:
    """Uploading identical bytes again says it is already on its way and adds no copy."""
    client, csrf = noord
    upload(client, csrf, site.folder / "voorbeeld-geldig.xlsx")
    again = upload(client, csrf, site.folder / "voorbeeld-geldig.xlsx", follow=True)
    assert "Precies dit bestand heb je al op" in again.text  # type: ignore[attr-defined]
    assert len(inbox_files(site)) == 1


def test_partly_good_upload_is_sent_only_when_the_bureau_asks(
        site: Site, noord: tuple[TestClient, str]) -> None:
    """A partly accepted workbook stays out of the inbox until 'doorsturen' is posted."""
    client, csrf = noord
    location = upload(client, csrf, site.folder / "voorbeeld-fouten.xlsx")\
        .headers["location"]  # type: ignore[attr-defined]
    assert inbox_files(site) == []
    page = client.post(location + "/doorsturen", data={"csrf": csrf}).text
    assert "Je hebt deze werkmap doorgestuurd" in page
    assert [p.parent.name for p in inbox_files(site)] == ["noord"]


@pytest.mark.slow
def test_zip_bomb_is_unreadable_and_the_server_answers_the_next_request(
        site: Site, noord: tuple[TestClient, str], tmp_path: Path) -> None:
    """A zip bomb is refused as too large, one that lies about its sizes as unreadable, in its
    worker; the next upload is checked normally."""
    client, csrf = noord
    for bomb, status, says in (
            (hostile.zip_bomb(tmp_path), "Te groot om veilig te lezen", "zip-bom"),
            (hostile.lying_bomb(tmp_path), "Onleesbaar", "kan niet als werkmap worden gelezen")):
        response = client.post("/uploads", data={"csrf": csrf}, files={
            "werkmap": ("bom.xlsx", bomb.read_bytes())}, follow_redirects=True)
        assert response.status_code == 200
        assert status in response.text
        assert says in response.text
    good = upload(client, csrf, site.folder / "voorbeeld-geldig.xlsx", follow=True)
    assert "Goedgekeurd" in good.text  # type: ignore[attr-defined]
    assert [p.parent.name for p in inbox_files(site)] == ["noord"]


@pytest.mark.parametrize("build", hostile.cases(hostile.PAST_THE_PREDICTION))
def test_a_file_past_the_prediction_ends_its_worker_not_the_server(
        site: Site, noord: tuple[TestClient, str], tmp_path: Path,
        build: hostile.Builder) -> None:
    """The classes that once aborted the process past the package inspection: the page says
    the file is too large (or shows its findings), nothing is sent, and the server checks the
    next upload."""
    client, csrf = noord
    page = upload(client, csrf, build(tmp_path), follow=True).text  # type: ignore[attr-defined]
    assert ("Te groot om veilig te lezen" in page and "meer geheugen" in page) \
        or "Afgekeurd" in page or "Deels goedgekeurd" in page
    assert inbox_files(site) == []
    good = upload(client, csrf, site.folder / "voorbeeld-geldig.xlsx", follow=True)
    assert "Goedgekeurd" in good.text  # type: ignore[attr-defined]


def test_the_command_lines_limits_apply_in_the_worker(tmp_path: Path, site: Site) -> None:
    """--max-rows reaches the worker process: a workbook over it gets the too-many-rows error
    on its result page and is not sent."""
    config = ServeConfig(inbox=site.config.inbox, out_dir=site.config.out_dir,
                         limits=Limits(max_rows=2))
    with TestClient(create_app(config)) as client:
        csrf = login(client, site.keys["noord"])
        response = upload(client, csrf, site.folder / "voorbeeld-geldig.xlsx", follow=True)
        page = response.text  # type: ignore[attr-defined]
        assert "too-many-rows" in page
        assert "voorbeeld-geldig.xlsx: Deels goedgekeurd</h1>" in page
    assert inbox_files(site) == []


# --- the operator's pages --------------------------------------------------------------------


def test_operator_sees_runs_files_per_bureau_deliveries_and_conflicts(
        site: Site, tmp_path: Path) -> None:
    """After two nightly runs with the same employer in two bureaus' files, /beheer lists the
    runs with delivered counts, the bureaus, and the run page names the conflict."""
    inbox = site.config.inbox
    fill(inbox / "noord" / "a.xlsx", VALID_WERKGEVERS, VALID_DGA)
    run_batch(BatchOptions(inbox=inbox, out_dir=site.config.out_dir, recursive=True,
                           settle_seconds=0))
    fill(inbox / "zuid" / "b.xlsx", VALID_WERKGEVERS[:2], [])
    second = run_batch(BatchOptions(inbox=inbox, out_dir=site.config.out_dir, recursive=True,
                                    settle_seconds=0))
    with site.client() as operator:
        login(operator, site.keys["beheer"])
        page = operator.get("/beheer").text
        assert f'<a href="/beheer/runs/{second.run_id}">' in page
        bureaus_table = page[page.index('id="bureaus"'):]
        assert re.search(r'<td>noord</td><td class="num">2</td>\s*<td>1 goedgekeurd, 1 '
                         r'overgeslagen \(al verwerkt\)</td>\s*'
                         rf'<td class="num">{len(VALID_WERKGEVERS)}</td>', bureaus_table)
        run_page = operator.get(f"/beheer/runs/{second.run_id}").text
        summary = json.loads((second.run_dir / "summary.json").read_text(encoding="utf-8"))
        assert summary["cross_file"]
        # The same employers with the same data: notes, not conflicts.
        assert "Conflicten (0)" in run_page
        assert f"Meldingen ({len(summary['cross_file'])})" in run_page
        assert summary["cross_file"][0]["message"] in run_page
        assert "zuid/b.xlsx" in run_page
        assert operator.get("/beheer/runs/bestaat-niet").status_code == 404


def test_the_ledger_view_tolerates_missing_columns(site: Site) -> None:
    """An older or newer ledger without counts, notes or employers still renders /beheer."""
    db = sqlite3.connect(site.config.ledger_path)
    # The site made a whole ledger; put an old-shaped one in its place.
    db.executescript("DROP TABLE notes; DROP TABLE dga; DROP TABLE employers; "
                     "DROP TABLE files; DROP TABLE runs;")
    db.executescript("CREATE TABLE runs (id TEXT PRIMARY KEY, started_at TEXT);"
                     "CREATE TABLE files (id INTEGER PRIMARY KEY, run_id TEXT, name TEXT, "
                     "status TEXT, delivered TEXT);"
                     "INSERT INTO runs VALUES ('r1', '2026-11-30T02:30:00+00:00');"
                     "INSERT INTO files VALUES (1, 'r1', 'noord/x.xlsx', 'accepted', "
                     "'{\"werkgevers\": 7}');")
    db.close()
    with site.client() as operator:
        login(operator, site.keys["beheer"])
        page = operator.get("/beheer").text
        assert re.search(r'<a href="/beheer/runs/r1">r1</a>.*?<td class="num">7</td>', page,
                         re.S)
        assert "noord/x.xlsx" in operator.get("/beheer/runs/r1").text


def test_report_json_download_equals_what_the_pipeline_wrote(
        site: Site, noord: tuple[TestClient, str]) -> None:
    """report.json served for an upload is the pipeline's file, byte for byte."""
    client, csrf = noord
    location = upload(client, csrf, site.folder / "voorbeeld-fouten.xlsx")\
        .headers["location"]  # type: ignore[attr-defined]
    served = client.get(location + "/report.json").content
    upload_id = location.rsplit("/", 1)[1]
    on_disk = site.config.uploads_dir / upload_id / "rapport" / "report.json"
    assert served == on_disk.read_bytes()
    assert json.loads(served)["workbook"]["name"] == "voorbeeld-fouten.xlsx"


def test_blank_template_downloads_for_a_bureau(site: Site, noord: tuple[TestClient, str]) -> None:
    """/sjabloon gives a logged-in bureau the blank template (sheets Werkgevers and DGA);
    without a session it is refused."""
    import openpyxl

    client, _ = noord
    response = client.get("/sjabloon")
    assert response.status_code == 200
    path = site.folder / "sjabloon.xlsx"
    path.write_bytes(response.content)
    assert {"Werkgevers", "DGA"} <= set(openpyxl.load_workbook(path).sheetnames)
    with site.client() as stranger:
        assert stranger.get("/sjabloon").status_code == 401


def test_a_killed_worker_is_replaced_and_the_next_upload_is_checked(
        site: Site, noord: tuple[TestClient, str]) -> None:
    """SIGKILL to every worker process (as the kernel's OOM killer would) costs nothing but
    those processes: the next upload is checked by a fresh worker."""
    import os
    import signal

    client, csrf = noord
    lanes = client.app.app.app.state.intake.lanes  # type: ignore[attr-defined]
    before = lanes[False].pids()
    assert before
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    page = upload(client, csrf, site.folder / "voorbeeld-geldig.xlsx", follow=True).text  # type: ignore[attr-defined]
    assert "voorbeeld-geldig.xlsx: Goedgekeurd</h1>" in page
    assert not set(lanes[False].pids()) & set(before)


def test_serve_refuses_a_folder_it_cannot_write(tmp_path: Path) -> None:
    """`intake serve` with an inbox it cannot create exits 2 and names the folder."""
    from conftest import run_intake

    blocker = tmp_path / "bestand"
    blocker.write_text("geen map")
    done = run_intake("serve", "--inbox", str(blocker / "inbox"), "--out", str(tmp_path / "o"),
                      "--port", "0")
    assert done.returncode == 2
    assert f"cannot write to {blocker / 'inbox'}" in done.stderr


def test_ten_wrong_keys_from_one_address_lock_the_login_for_a_while(site: Site) -> None:
    """After ten wrong keys the login answers 429, even to the right key, so keys cannot be
    guessed at speed."""
    with site.client() as client:
        for _ in range(10):
            token = CSRF.search(client.get("/inloggen").text).group(1)  # type: ignore[union-attr]
            assert client.post("/inloggen", data={"csrf": token,
                                                  "sleutel": "0.fout"}).status_code == 401
        token = CSRF.search(client.get("/inloggen").text).group(1)  # type: ignore[union-attr]
        response = client.post("/inloggen", data={"csrf": token, "sleutel": site.keys["noord"]})
        assert response.status_code == 429
        assert "Probeer het over een kwartier opnieuw" in response.text


def test_logging_out_ends_the_session_for_its_cookie(site: Site) -> None:
    """After logging out, the old session cookie opens nothing."""
    with site.client() as client:
        csrf = login(client, site.keys["noord"])
        cookie = client.cookies["intake_sessie"]
        assert client.post("/uitloggen", data={"csrf": csrf}).status_code == 200
    with site.client() as replay:
        replay.cookies.set("intake_sessie", cookie)
        assert replay.get("/uploads", follow_redirects=False).status_code == 303


@pytest.mark.slow
def test_a_check_cut_off_by_the_time_limit_never_calls_the_file_damaged(site: Site) -> None:
    """With --max-seconds far too small, whatever step the limit strikes in, the clerk is not
    told the workbook is damaged, nothing is sent, and the server answers the next request."""
    config = ServeConfig(inbox=site.config.inbox, out_dir=site.config.out_dir,
                         limits=Limits(max_seconds=0.001))
    with TestClient(create_app(config)) as client:
        csrf = login(client, site.keys["noord"])
        for _ in range(5):
            response = upload(client, csrf, site.folder / "voorbeeld-fouten.xlsx", follow=True)
            page = response.text  # type: ignore[attr-defined]
            assert "kan niet als werkmap worden gelezen" not in page
            assert "Goedgekeurd</h1>" not in page or "Deels goedgekeurd</h1>" in page
            # The bureau is told what to do, in its words, not the server's option.
            assert "Duurde te lang</h1>" in page and "Splits de werkmap" in page
            assert "--max-seconds" not in page
        assert client.get("/healthz").text == "ok"
    assert inbox_files(site) == []


def test_a_full_queue_answers_503_and_keeps_nothing(site: Site) -> None:
    """When more uploads wait than --max-queue allows, the next gets 503 with 'try later',
    is recorded as not checked, and goes nowhere."""
    config = ServeConfig(inbox=site.config.inbox, out_dir=site.config.out_dir, max_queue=0)
    with TestClient(create_app(config)) as client:
        csrf = login(client, site.keys["noord"])
        response = upload(client, csrf, site.folder / "voorbeeld-geldig.xlsx")
        assert response.status_code == 503  # type: ignore[attr-defined]
        assert "Probeer het over een paar minuten opnieuw" in response.text  # type: ignore[attr-defined]
        assert "Niet gecontroleerd" in client.get("/uploads").text
    assert inbox_files(site) == []


def test_placing_never_overwrites_and_the_batch_ignores_a_file_being_written(
        site: Site) -> None:
    """A second file under the same inbox name is refused (the first stays whole), no
    temporary file is left, and a temporary name as placement writes it is not picked up by
    `intake batch --recursive`."""
    from intake.web import inbox as placing

    source = site.folder / "voorbeeld-geldig.xlsx"
    other = site.folder / "voorbeeld-fouten.xlsx"
    target = placing.place(source, site.config.inbox, "noord", "a.xlsx")
    with pytest.raises(FileExistsError):
        placing.place(other, site.config.inbox, "noord", "a.xlsx")
    assert target.read_bytes() == source.read_bytes()
    assert inbox_files(site) == [target]
    half = site.config.inbox / "noord" / ".b.xlsx.x1y2.part"
    half.write_bytes(other.read_bytes()[:100])
    result = run_batch(BatchOptions(inbox=site.config.inbox, out_dir=site.config.out_dir,
                                    recursive=True, settle_seconds=0))
    assert [f.name for f in result.files] == ["noord/a.xlsx"]


def test_every_batch_status_has_its_word_on_the_operators_pages() -> None:
    """The operator's pages name each status of a batch file in their language, from the
    catalogue (before, timed-out, refused, inaccessible and vanished showed as English
    codes)."""
    from intake.definition.messages import UI
    from intake.definition.status import Status
    from intake.web.words import Words

    for lang in ("nl", "en"):
        assert [s for s in Status if s is not Status.CHECKING
                and Words(lang).ledger_status(str(s)) != UI[lang].get(f"st_{s}")] == [], lang
    assert Words("nl").ledger_status("too-large") == "te groot om veilig te lezen"
    assert Words("en").ledger_status("too-large") == "too large to read safely"


@pytest.mark.parametrize(("content", "headers"), [
    (None, None),  # a login field of 1 MB
    (b"--x\r\n", {"content-type": "multipart/form-data"}),  # multipart without its boundary
], ids=["field-too-large", "no-boundary"])
def test_a_form_that_cannot_be_read_is_a_dutch_page(site: Site, content: bytes | None,
                                                    headers: dict[str, str] | None) -> None:
    """A form the framework cannot read answers 400 with the site's own Dutch page, not its
    English plain text."""
    with site.client() as client:
        if content is None:
            response = client.post("/inloggen", data={"csrf": "x", "sleutel": "a" * (1 << 20)})
        else:
            response = client.post("/inloggen", content=content, headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "Formulier niet te lezen" in response.text and "<!DOCTYPE html>" in response.text


def test_a_long_name_keeps_its_suffix_and_direction_controls_show_as_escapes(
        site: Site, noord: tuple[TestClient, str]) -> None:
    """A valid workbook named with 250 characters is checked (the name was cut at 200, losing
    its .xlsx, and refused as no workbook); a right-to-left override in a name is shown as an
    escape, so "xslx.exe" cannot pass for an .xlsx on the page."""
    client, csrf = noord
    long_name = "w" * 245 + ".xlsx"
    page = upload(client, csrf, site.folder / "voorbeeld-geldig.xlsx", name=long_name,
                  follow=True).text  # type: ignore[attr-defined]
    assert "Goedgekeurd" in page and "geen werkmap" not in page
    tricky = upload(client, csrf, site.folder / "voorbeeld-fouten.xlsx",
                    name="factuur\u202exslx.exe.xlsx", follow=True).text  # type: ignore[attr-defined]
    assert "\u202e" not in tricky and "factuur\\u202exslx.exe.xlsx" in tricky


# --- what needs the operator, and whose rows these are (issue 23, parts 5 and 6) -------------


def _visible(html: str, element_id: str) -> list[str]:
    """The rows of the table with this id as their visible text, cells joined by ' | '."""
    start = html.index(f'id="{element_id}"')
    table = html[start:html.index("</table>", start)]
    return [" | ".join(" ".join(re.sub(r"<br>", " ", re.sub(r"<(?!br>)[^>]+>", "", c)).split())
                       for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S))
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)]


def test_the_operator_page_counts_only_real_conflicts(site: Site) -> None:
    """A night with one employer delivered before with other data among harmless repeats:
    /beheer counts 1 conflict for that run (not the repeats), lists it first under "Actie
    nodig" as "Fout" with links to the run and the file's row; the run page shows the conflict
    with its severity in words and the repeats as warnings, the inbox without "inbox inbox",
    and the file processed the night before folded into one line."""
    inbox = site.config.inbox
    fill(inbox / "noord" / "a.xlsx", VALID_WERKGEVERS, VALID_DGA)
    nightly = BatchOptions(inbox=inbox, out_dir=site.config.out_dir, recursive=True,
                           settle_seconds=0)
    run_batch(nightly)
    changed = [*VALID_WERKGEVERS[:-1],
               replace(VALID_WERKGEVERS[-1], werkgever_naam="Een Andere Naam B.V.")]
    fill(inbox / "zuid" / "b.xlsx", changed, VALID_DGA)
    second = run_batch(nightly)
    summary = json.loads((second.run_dir / "summary.json").read_text(encoding="utf-8"))
    severities = sorted(n["severity"] for n in summary["cross_file"])
    assert severities.count("error") == 1 and severities.count("warning") >= 2
    with site.client() as operator:
        login(operator, site.keys["beheer"])
        page = operator.get("/beheer").text
        runs = {r.split(" | ")[0]: r.split(" | ")[-1] for r in _visible(page, "runs")[1:]}
        assert runs[second.run_id] == "1 fout"
        action = _visible(page, "action")
        assert action[0] == "Ernst | Wat | Waar | Bestand | Toelichting"
        assert action[1].startswith(f"Fout | conflict met een eerdere aanmelding | run "
                                    f"{second.run_id}, Werkgevers!")
        assert "zuid/b.xlsx" in action[1] and "--redeliver 8" in action[1]
        assert len(action) == 2  # the repeats are not there
        file_id = re.search(r'href="/beheer/runs/[^"#]+#file-(\d+)">zuid/b.xlsx</a>', page)
        assert file_id is not None
        run_page = operator.get(f"/beheer/runs/{second.run_id}").text
        assert "Conflicten (1)" in run_page and f'id="file-{file_id.group(1)}"' in run_page
        conflicts = _visible(run_page, "conflicts")[1:]
        assert [c.split(" | ")[:2] for c in conflicts] == [["Fout", "zuid/b.xlsx"]]
        notes = _visible(run_page, "notes")[1:]
        assert notes and all(n.startswith("Waarschuwing | zuid/b.xlsx") for n in notes)
        assert "inbox inbox" not in run_page and f"gelezen uit <code>{inbox}</code>" in run_page
        # The file processed the night before is folded into one line, not listed first.
        assert [r.split(" | ")[1] for r in _visible(run_page, "files")[1:]] == ["zuid/b.xlsx"]
        assert re.search(r'<details id="skipped"><summary>1 bestand al eerder verwerkt '
                         r"\(zelfde inhoud\), overgeslagen</summary>\s*<ul><li id=\"file-\d+\">"
                         r"noord/a.xlsx</li>", run_page)


def _van_dijk(folder: Path) -> Path:
    """A valid workbook whose rows name Van Dijk Partners as their payroll processor."""
    rows = [replace(r, salarisverwerker_naam="Van Dijk Partners B.V.",
                    salarisverwerker_email="salaris@vandijkpartners.nl")
            for r in VALID_WERKGEVERS]
    return fill(folder / "vandijk.xlsx", rows, VALID_DGA)


def test_another_bureaus_workbook_is_held_until_the_bureau_confirms(
        site: Site, noord: tuple[TestClient, str]) -> None:
    """Noord (known as info@noord.nl) uploads Van Dijk's valid workbook: the result page says
    the rows name another bureau and that nothing was forwarded, the inbox stays empty, the
    operator sees it under "Actie nodig" as "Fout"; forwarding without ticking the
    confirmation is refused; with it the file is placed, and the operator then sees the
    bureau's confirmation as a warning."""
    db = bureaus.connect(site.config.ledger_path)
    bureaus.set_email(db, "noord", "info@noord.nl")
    db.close()
    client, csrf = noord
    response = upload(client, csrf, _van_dijk(site.folder), follow=True)
    page = response.text  # type: ignore[attr-defined]
    location = str(response.url)  # type: ignore[attr-defined]
    assert "vandijk.xlsx: Goedgekeurd" in page
    warning = page[page.index('id="other-bureau"'):page.index("</div>", page.index(
        'id="other-bureau"'))]
    text = " ".join(re.sub(r"<[^>]+>", " ", warning).split())
    assert "Let op: deze werkmap noemt een ander bureau" in text
    assert "Je bent ingelogd als noord (info@noord.nl)" in text
    assert "Van Dijk Partners B.V. (salaris@vandijkpartners.nl)" in text
    assert "Daarom is de werkmap nog niet doorgestuurd naar a.s.r." in text
    assert "gaat vannacht naar a.s.r." not in page
    assert inbox_files(site) == []
    assert "de rijen noemen een ander bureau" in client.get("/uploads").text
    with site.client() as operator:
        login(operator, site.keys["beheer"])
        (held,) = _visible(operator.get("/beheer").text, "action")[1:]
        assert held.startswith("Fout | upload noemt een ander bureau | upload van noord")
        assert "vandijk.xlsx" in held and "salaris@vandijkpartners.nl" in held
        refused = client.post(location + "/doorsturen", data={"csrf": csrf})
        assert refused.status_code == 400 and "Eerst bevestigen" in refused.text
        assert inbox_files(site) == []
        done = client.post(location + "/doorsturen", data={"csrf": csrf, "bevestig": "ja"})
        assert "Bevestigd op" in done.text
        assert [p.parent.name for p in inbox_files(site)] == ["noord"]
        (confirmed,) = _visible(operator.get("/beheer").text, "action")[1:]
        assert confirmed.startswith("Waarschuwing | bureau bevestigde rijen van een ander "
                                    "bureau | upload van noord")


def test_a_bureaus_own_rows_at_its_domain_are_placed_at_once(
        site: Site, noord: tuple[TestClient, str]) -> None:
    """Rows giving another mailbox at noord's own domain are noord's: placed, no warning; a
    bureau whose key has no address is not checked (the existing uploads keep working)."""
    db = bureaus.connect(site.config.ledger_path)
    bureaus.set_email(db, "noord", "salaris@detelling.nl")
    db.close()
    client, csrf = noord
    rows = [replace(r, salarisverwerker_email="loket@detelling.nl") for r in VALID_WERKGEVERS]
    page = upload(client, csrf, fill(site.folder / "eigen.xlsx", rows, VALID_DGA),
                  follow=True).text  # type: ignore[attr-defined]
    assert 'id="other-bureau"' not in page and "gaat vannacht naar a.s.r." in page
    assert [p.parent.name for p in inbox_files(site)] == ["noord"]
    with site.client() as zuid:
        z_csrf = login(zuid, site.keys["zuid"])
        other = upload(zuid, z_csrf, _van_dijk(site.folder), follow=True)
        assert 'id="other-bureau"' not in other.text  # type: ignore[attr-defined]
    assert sorted(p.parent.name for p in inbox_files(site)) == ["noord", "zuid"]


def test_a_row_with_a_broken_address_names_no_other_bureau(
        site: Site, noord: tuple[TestClient, str]) -> None:
    """The shipped sample with mistakes, uploaded by the bureau it belongs to: its one row with
    a broken address (salaris@detelling, an error of its own that is not delivered) does not
    make the upload another bureau's: no warning, the accepted employer is forwarded."""
    from intake.outputs.samples import write_samples

    db = bureaus.connect(site.config.ledger_path)
    bureaus.set_email(db, "noord", "salaris@detelling.nl")
    db.close()
    client, csrf = noord
    shipped = {p.name: p for p in write_samples(site.folder / "samples")}
    page = upload(client, csrf, shipped["voorbeeld-fouten.xlsx"],
                  follow=True).text  # type: ignore[attr-defined]
    assert "Deels goedgekeurd" in page and 'id="other-bureau"' not in page


def test_a_keys_table_without_the_email_column_is_upgraded_in_place(tmp_path: Path) -> None:
    """A ledger whose web_keys was made before the e-mail column gets it added; its key
    still logs in and an address can be recorded."""
    path = tmp_path / "out" / "intake.sqlite"
    db = bureaus.connect(path)
    key = bureaus.add(db, "noord")
    db.execute("ALTER TABLE web_keys DROP COLUMN email")
    db.close()
    db = bureaus.connect(path)
    assert "email" in {r[1] for r in db.execute("PRAGMA table_info(web_keys)")}
    assert bureaus.verify(db, key) is not None
    bureaus.set_email(db, "noord", "info@noord.nl")
    assert [k.email for k in bureaus.listing(db)] == ["info@noord.nl"]
    with pytest.raises(bureaus.BureauKeyError):
        bureaus.set_email(db, "noord", "salaris@vandijkpartners,nl")
    db.close()


def test_a_workbook_rejected_as_a_whole_is_not_sent_to_red_cells(
        site: Site, noord: tuple[TestClient, str]) -> None:
    """A workbook whose Werkgevers sheet has no header: no employer accepted, and no error is
    about a cell, so the page says to correct the workbook as a whole, not red cells that
    are not there; a workbook with a cell's error is still sent to its red cells."""
    import openpyxl

    client, csrf = noord
    source = fill(site.folder / "kop.xlsx", VALID_WERKGEVERS, [])
    book = openpyxl.load_workbook(source)
    book["Werkgevers"].delete_rows(1)
    book.save(source)
    page = upload(client, csrf, source, follow=True).text  # type: ignore[attr-defined]
    assert "kop.xlsx: Afgekeurd" in page
    assert "niet om een cel" in page and "rode cellen" not in page
    wrong = fill(site.folder / "fout.xlsx", [replace(VALID_WERKGEVERS[0],
                                                     loonheffingennummer="123")], [])
    page = upload(client, csrf, wrong, follow=True).text  # type: ignore[attr-defined]
    assert "fout.xlsx: Afgekeurd" in page and "herstel de rode cellen" in page
