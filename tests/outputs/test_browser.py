"""report.html in a real browser (headless Chromium): it renders, and nothing from the data runs."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from intake.outputs.samples import VALID_WERKGEVERS

from conftest import cell_of, replace, run_intake

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.external,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium (Debian chromium) is not installed; "
                       ".ci/run installs it"),
]

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]
PAYLOAD = ("<script>document.title='HACKED'</script>"
           "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">")


def _chromium(tmp_path: Path, *args: str) -> str:
    done = subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           *args], capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


@pytest.fixture
def page(workbook: Callable[..., Path], tmp_path: Path) -> Path:
    """report.html of a workbook with markup payloads in its cells and one error."""
    rows = list(VALID_WERKGEVERS)
    rows[1] = replace(rows[1], werkgever_naam=PAYLOAD, verloning="week")
    rows[3] = replace(rows[3], salarisverwerker_email=PAYLOAD)
    run_intake("validate", str(workbook(rows)), "--out", str(tmp_path / "out"))
    return tmp_path / "out" / "report.html"


def test_page_renders_title_totals_and_findings(page: Path, tmp_path: Path) -> None:
    """The DOM Chromium builds has the title, the totals and a finding row with its cell."""
    dom = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert "<title>Controle aanmelding werkgevers a.s.r.-salariskoppeling" in dom
    totals = dom[dom.index('id="totals"'):dom.index("</table>", dom.index('id="totals"'))]
    cells = [html.unescape(c) for c in re.findall(r'<td class="num">(\d+)</td>', totals)]
    assert cells == ["6", "4", "2", "4", "4", "0"]
    cell = cell_of("verloning", 3)
    assert re.search(rf'<tr class="finding"><td><span class="sev error">{cell}</span>', dom)


def test_no_script_from_the_data_runs(page: Path, tmp_path: Path) -> None:
    """Script and event-handler payloads typed into cells show as text and never execute."""
    dom = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert "HACKED" not in dom.split("</title>")[0]
    assert "data-pwned" not in dom.replace("setAttribute('data-pwned'", "")
    assert "&lt;script&gt;document.title='HACKED'&lt;/script&gt;" in dom
    assert "<script" not in dom


def test_screenshot_shows_a_rendered_page(page: Path, tmp_path: Path) -> None:
    """A screenshot of the page is a real rendering (many colours), not a blank image."""
    from PIL import Image

    shot = tmp_path / "report.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri())
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 1600)
    colours = image.getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50
    # The red error banner is drawn near the top of the page.
    top = image.crop((0, 0, 1280, 250)).getcolors(maxcolors=1 << 16) or []
    assert any(r > 240 and 200 < g < 245 and 200 < b < 245 for _, (r, g, b) in top)


CHROMEDRIVER = shutil.which("chromedriver")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _webdriver(port: int, method: str, path: str, body: object | None = None) -> object:
    import json
    import urllib.request

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())["value"]


@pytest.mark.skipif(CHROMEDRIVER is None, reason="chromedriver (Debian chromium-driver) is not "
                    "installed; .ci/run installs it")
def test_accepted_table_fits_a_1280_pixel_window(tmp_path: Path) -> None:
    """At 1280 px wide, the accepted-employers table of the valid sample is no wider than the
    page: no column is cut off on the right (measured in Chromium through WebDriver)."""
    import time

    samples = Path(__file__).resolve().parents[2] / "samples"
    run_intake("validate", str(samples / "voorbeeld-geldig.xlsx"), "--out",
               str(tmp_path / "out"))
    port = _free_port()
    driver = subprocess.Popen([str(CHROMEDRIVER), f"--port={port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                _webdriver(port, "GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        session = _webdriver(port, "POST", "/session", {"capabilities": {"alwaysMatch": {
            "goog:chromeOptions": {"binary": CHROMIUM, "args": [
                *FLAGS, "--window-size=1280,900", f"--user-data-dir={tmp_path / 'profile'}"]}}}})
        sid = session["sessionId"]  # type: ignore[index]
        try:
            _webdriver(port, "POST", f"/session/{sid}/url",
                       {"url": (tmp_path / "out" / "report.html").as_uri()})
            widths = _webdriver(port, "POST", f"/session/{sid}/execute/sync", {
                "script": "const t = document.getElementById('accepted');"
                          "return [t.scrollWidth, t.parentElement.clientWidth,"
                          " document.documentElement.clientWidth];", "args": []})
        finally:
            _webdriver(port, "DELETE", f"/session/{sid}")
    finally:
        driver.terminate()
        driver.wait(timeout=30)
    table, box, window = widths  # type: ignore[misc]
    assert window >= 1200
    assert table <= box, f"the table is {table} px wide in a {box} px box"
