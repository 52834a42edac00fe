"""`intake serve` in a real browser: Debian's chromium driven by Selenium through
chromium-driver, against a real uvicorn server on 127.0.0.1, as a payroll clerk uses it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from intake.outputs.samples import (
    MISTAKE_DGA,
    MISTAKE_EXTRA_HEADER,
    MISTAKE_WERKGEVERS,
    VALID_DGA,
    VALID_WERKGEVERS,
    fill,
)
from intake.web import keys as bureaus

from conftest import INTAKE, load_json, our_fills

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.external,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                       reason="chromium and chromium-driver (Debian) are not installed; "
                              ".ci/run installs them"),
]


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    """`intake serve` as its own process on a free port; stopped (SIGTERM) at the end."""
    out, inbox = tmp_path / "out", tmp_path / "inbox"
    db = bureaus.connect(out / "intake.sqlite")
    keys = {"noord": bureaus.add(db, "noord")}
    db.close()
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen([INTAKE, "serve", "--inbox", str(inbox), "--out", str(out),
                                "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp_path / "server.log").read_text()) from None
                time.sleep(0.2)
        yield base, keys, inbox
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    """Headless chromium through chromedriver, downloading into tmp_path/downloads."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,1000", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {
        "download.default_directory": str(tmp_path / "downloads"),
        "download.prompt_for_download": False, "intl.accept_languages": "nl-NL"})
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_page_load_timeout(120)
    # A form post's click may return before the next page is there (the check takes a
    # moment, more on a busy machine): look for elements until they appear.
    driver.implicitly_wait(60)
    try:
        yield driver
    finally:
        driver.quit()


def _shot(driver: object, name: str) -> None:
    folder = os.environ.get("INTAKE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))  # type: ignore[attr-defined]


def _wait_for(path: Path, pattern: str) -> Path:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = [p for p in path.glob(pattern) if not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {pattern} in {path}")


def test_clerk_logs_in_uploads_fixes_and_the_file_reaches_the_inbox(
        server: tuple[str, dict[str, str], Path], browser: object, tmp_path: Path) -> None:
    """Log in with a key, upload the sample with mistakes, see the findings, download
    <name>-feedback.xlsx with its marks, upload the fixed file, see it accepted, find it in the
    inbox."""
    from selenium.webdriver.common.by import By

    base, keys, inbox = server
    driver: object = browser
    d = driver  # typed loosely: selenium's stubs are not part of the package's checked code
    mistakes = fill(tmp_path / "wg" / "aanmelding-november.xlsx", MISTAKE_WERKGEVERS,
                    MISTAKE_DGA, MISTAKE_EXTRA_HEADER)
    d.get(base + "/")  # type: ignore[attr-defined]
    assert d.find_element(By.TAG_NAME, "h1").text == "Inloggen"  # type: ignore[attr-defined]
    _shot(d, "1-inloggen")
    d.find_element(By.ID, "sleutel").send_keys(keys["noord"])  # type: ignore[attr-defined]
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()  # type: ignore[attr-defined]
    assert d.find_element(By.TAG_NAME, "h1").text == "Werkmap uploaden"  # type: ignore[attr-defined]
    assert "Of sleep de werkmap hierheen." in d.page_source  # type: ignore[attr-defined]
    _shot(d, "2-uploaden")

    d.find_element(By.ID, "werkmap").send_keys(str(mistakes))  # type: ignore[attr-defined]
    d.find_element(By.CSS_SELECTOR, "#upload-form button").click()  # type: ignore[attr-defined]
    heading = d.find_element(By.CSS_SELECTOR, "#outcome h1").text  # type: ignore[attr-defined]
    assert heading == "aanmelding-november.xlsx: Deels goedgekeurd"
    upload_url = d.current_url  # type: ignore[attr-defined]
    report = load_json_from(d, upload_url + "/report.json", tmp_path)
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    shown = d.find_element(By.ID, "report").text  # type: ignore[attr-defined]
    for f in errors:
        assert f["message"] in shown
    _shot(d, "3-resultaat-fouten")

    d.find_element(By.ID, "feedback").click()  # type: ignore[attr-defined]
    feedback = _wait_for(tmp_path / "downloads", "*-feedback.xlsx")
    assert feedback.name == "aanmelding-november-feedback.xlsx"
    marked = {cell for sheet, cell in our_fills(feedback) if sheet == "Werkgevers"}
    assert {f["cell"] for f in errors if f["sheet"] == "Werkgevers" and f["row"] != 1} <= marked
    assert list(inbox.rglob("*.xlsx")) == []

    fixed = fill(tmp_path / "wg" / "aanmelding-november-hersteld.xlsx", VALID_WERKGEVERS,
                 VALID_DGA)
    d.get(base + "/uploads")  # type: ignore[attr-defined]
    d.find_element(By.ID, "werkmap").send_keys(str(fixed))  # type: ignore[attr-defined]
    d.find_element(By.CSS_SELECTOR, "#upload-form button").click()  # type: ignore[attr-defined]
    heading = d.find_element(By.CSS_SELECTOR, "#outcome h1").text  # type: ignore[attr-defined]
    assert heading == "aanmelding-november-hersteld.xlsx: Goedgekeurd"
    assert "gaat vannacht naar a.s.r." in d.find_element(By.ID, "next").text  # type: ignore[attr-defined]
    _shot(d, "4-resultaat-goed")
    [placed] = inbox.rglob("*.xlsx")
    assert placed.parent == inbox / "noord"
    assert placed.read_bytes() == fixed.read_bytes()

    d.get(base + "/uploads")  # type: ignore[attr-defined]
    rows = d.find_elements(By.CSS_SELECTOR, "#uploads tr")  # type: ignore[attr-defined]
    assert [r.text.split("\n")[0] for r in rows[1:]] and len(rows) == 3
    assert "Klaargezet; wordt vannacht verwerkt" in rows[1].text
    assert "Niet doorgestuurd" in rows[2].text
    _shot(d, "5-uploads")


def load_json_from(driver: object, url: str, tmp_path: Path) -> dict[str, object]:
    """Fetch a JSON download with the browser's session cookie."""
    cookies = "; ".join(f"{c['name']}={c['value']}"
                        for c in driver.get_cookies())  # type: ignore[attr-defined]
    request = urllib.request.Request(url, headers={"Cookie": cookies})
    with urllib.request.urlopen(request, timeout=30) as response:
        (tmp_path / "report.json").write_bytes(response.read())
    data: dict[str, object] = load_json(tmp_path / "report.json")
    return data


DROP = """
const [bytes, name] = arguments;
const data = Uint8Array.from(atob(bytes), c => c.charCodeAt(0));
const transfer = new DataTransfer();
transfer.items.add(new File([data], name));
const form = document.getElementById("upload-form");
form.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true,
                                              cancelable: true}));
form.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true,
                                          cancelable: true}));
"""


def test_drag_and_drop_uploads_and_the_csp_blocks_nothing(
        server: tuple[str, dict[str, str], Path], browser: object, tmp_path: Path) -> None:
    """A workbook dropped on the form (upload.js, loaded under the CSP) is uploaded and
    checked; the browser logs no Content-Security-Policy violation on any page."""
    import base64

    from selenium.webdriver.common.by import By

    base, keys, inbox = server
    d: object = browser
    valid = fill(tmp_path / "gesleept.xlsx", VALID_WERKGEVERS, VALID_DGA)
    d.get(base + "/inloggen")  # type: ignore[attr-defined]
    d.find_element(By.ID, "sleutel").send_keys(keys["noord"])  # type: ignore[attr-defined]
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()  # type: ignore[attr-defined]
    d.execute_script(DROP, base64.b64encode(valid.read_bytes()).decode(),  # type: ignore[attr-defined]
                     valid.name)
    hint = d.find_element(By.CSS_SELECTOR, ".drop-hint").text  # type: ignore[attr-defined]
    assert hint == "Gekozen: gesleept.xlsx"
    d.find_element(By.CSS_SELECTOR, "#upload-form button").click()  # type: ignore[attr-defined]
    heading = d.find_element(By.CSS_SELECTOR, "#outcome h1").text  # type: ignore[attr-defined]
    assert heading == "gesleept.xlsx: Goedgekeurd"
    assert [p.parent.name for p in inbox.rglob("*.xlsx")] == ["noord"]
    log = d.get_log("browser")  # type: ignore[attr-defined]
    assert not [e for e in log if "Content Security Policy" in e["message"]], log
