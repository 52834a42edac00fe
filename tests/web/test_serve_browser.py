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
from intake.web.words import Words

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
def server(tmp_path: Path, request: pytest.FixtureRequest,
           ) -> Iterator[tuple[str, dict[str, str], Path]]:
    """`intake serve` as its own process on a free port (with `--lang` when the test is
    parametrized with one); stopped (SIGTERM) at the end. Keys: bureau noord, operator
    beheer."""
    out, inbox = tmp_path / "out", tmp_path / "inbox"
    db = bureaus.connect(out / "intake.sqlite")
    keys = {"noord": bureaus.add(db, "noord"),
            "beheer": bureaus.add(db, "beheer", bureaus.Role.OPERATOR)}
    db.close()
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    lang = getattr(request, "param", None)
    process = subprocess.Popen([INTAKE, "serve", "--inbox", str(inbox), "--out", str(out),
                                "--port", str(port), *(["--lang", lang] if lang else [])],
                               stdout=log, stderr=subprocess.STDOUT)
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
def browser(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[object]:
    """Headless chromium through chromedriver, downloading into tmp_path/downloads. Parametrized
    (indirect) with (language, scripts): chromium's own words in that language (LANGUAGE on
    Linux, where --lang is not read; --lang elsewhere) and asking pages for it; scripts off
    when `scripts` is false. Else: chromium's default words, asking for Dutch, scripts on."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    ui, scripts = getattr(request, "param", (None, True))
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,1000", f"--user-data-dir={tmp_path / 'profile'}",
                 *([f"--lang={ui}"] if ui else [])):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {
        "download.default_directory": str(tmp_path / "downloads"),
        "download.prompt_for_download": False, "intl.accept_languages": ui or "nl-NL",
        **({} if scripts else {"profile.managed_default_content_settings.javascript": 2})})
    env = {**os.environ, "LANGUAGE": ui.replace("-", "_")} if ui else None
    driver = webdriver.Chrome(service=Service(str(DRIVER), env=env), options=options)
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
    _navigate(d, By.CSS_SELECTOR, "form button[type=submit]")
    assert d.find_element(By.TAG_NAME, "h1").text == "Werkmap uploaden"  # type: ignore[attr-defined]
    assert "Of sleep de werkmap hierheen." in d.page_source  # type: ignore[attr-defined]
    _shot(d, "2-uploaden")

    d.find_element(By.ID, "werkmap").send_keys(str(mistakes))  # type: ignore[attr-defined]
    _navigate(d, By.CSS_SELECTOR, "#upload-form button")
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
    _navigate(d, By.CSS_SELECTOR, "#upload-form button")
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


def _dropped(d: object, base: str, key: str, workbook: Path, name: str) -> str:
    """Log in with `key`, drop `workbook` on the upload form as a file called `name`; return
    what the picker then says."""
    import base64

    from selenium.webdriver.common.by import By

    d.get(base + "/inloggen")  # type: ignore[attr-defined]
    d.find_element(By.ID, "sleutel").send_keys(key)  # type: ignore[attr-defined]
    _navigate(d, By.CSS_SELECTOR, "form button[type=submit]")
    d.execute_script(DROP, base64.b64encode(workbook.read_bytes()).decode(),  # type: ignore[attr-defined]
                     name)
    return str(d.find_element(By.ID, "werkmap-picked").text)  # type: ignore[attr-defined]


def test_drag_and_drop_uploads_and_the_csp_blocks_nothing(
        server: tuple[str, dict[str, str], Path], browser: object, tmp_path: Path) -> None:
    """A workbook dropped on the form (upload.js, loaded under the CSP) is uploaded and
    checked; the browser logs no Content-Security-Policy violation on any page."""
    from selenium.webdriver.common.by import By

    base, keys, inbox = server
    d: object = browser
    valid = fill(tmp_path / "gesleept.xlsx", VALID_WERKGEVERS, VALID_DGA)
    picked = _dropped(d, base, keys["noord"], valid, valid.name)
    assert picked.startswith("Gekozen: \u2068gesleept.xlsx\u2069 (") and picked.endswith(" kB)")
    _navigate(d, By.CSS_SELECTOR, "#upload-form button")
    heading = d.find_element(By.CSS_SELECTOR, "#outcome h1").text  # type: ignore[attr-defined]
    assert heading == "gesleept.xlsx: Goedgekeurd"
    assert [p.parent.name for p in inbox.rglob("*.xlsx")] == ["noord"]
    log = d.get_log("browser")  # type: ignore[attr-defined]
    assert not [e for e in log if "Content Security Policy" in e["message"]], log


# --- in Dutch and in English ---------------------------------------------------------------

#: The shipped samples.
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
#: What a person reads on the page: its title, the text of the body without scripts, styles
#: and elements marked with another language than the page's (the switch), and the read
#: attributes; with the page's language.
READ = """
const lang = document.documentElement.lang;
const clone = document.body.cloneNode(true);
clone.querySelectorAll("script, style").forEach(e => e.remove());
clone.querySelectorAll("[lang]").forEach(e => { if (e.lang !== lang) { e.remove(); } });
const read = ["title", "alt", "aria-label", "placeholder", "data-chosen", "data-pick-first"];
const said = [...clone.querySelectorAll(read.map(a => `[${a}]`).join(", "))]
  .map(e => read.map(a => e.getAttribute(a) || "").join(" "));
const walker = document.createTreeWalker(clone, NodeFilter.SHOW_TEXT);
const texts = [];
while (walker.nextNode()) { texts.push(walker.currentNode.data); }
return [lang, [document.title, ...texts, ...said].join(" ")];
"""
#: The page is no wider than the window and the switch is on screen.
LAYOUT = """
const root = document.documentElement;
const s = document.getElementById("lang-switch").getBoundingClientRect();
return [root.scrollWidth <= root.clientWidth, s.width > 0 && s.right <= root.clientWidth
        && s.top >= 0 && s.bottom <= window.innerHeight];
"""


def _navigate(d: object, by: str, value: str) -> None:
    """Click what leads to another page, and wait until that page has loaded: a click returns
    before a slow answer (a form posted to a loaded server) has replaced the page, and the
    old page's heading would be read."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    old = d.find_element(By.TAG_NAME, "html")  # type: ignore[attr-defined]
    d.find_element(by, value).click()  # type: ignore[attr-defined]
    wait = WebDriverWait(d, 120)  # type: ignore[arg-type]
    wait.until(lambda _d: _replaced(old))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


def _replaced(old: object) -> bool:
    """Whether the page that held `old` has been replaced. Chromedriver tells this in two
    ways: a stale element, or, when the question meets the page being swapped, an unknown
    error that the node "does not belong to the document". selenium's staleness_of lets the
    second through (SeleniumHQ/selenium issue 15401, a chromedriver defect), and a CI run
    failed on it; both mean the page is gone."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        old.is_enabled()  # type: ignore[attr-defined]
    except StaleElementReferenceException:
        return True
    except WebDriverException as e:
        if "does not belong to the document" in str(e.msg):
            return True
        raise
    return False


def _read(d: object, lang: str, data: set[str], name: str) -> str:
    """The page's visible text, asserting it is in `lang` without a word only the other
    language has, with its layout whole and the switch on screen (a screenshot as `name`)."""
    from languages import leftovers

    shown_lang, text = d.execute_script(READ)  # type: ignore[attr-defined]
    assert shown_lang == lang, name
    assert leftovers(text, lang, data) == [], name  # type: ignore[arg-type]
    assert d.execute_script(LAYOUT) == [True, True], name  # type: ignore[attr-defined]
    _shot(d, name)
    return str(text)


def _data(samples: Path, *more: str) -> set[str]:
    """What the pages show of the user's data: the samples' values, the rules' codes."""
    from languages import workbook_strings

    from intake.definition.messages import CATALOGUE

    found = set(CATALOGUE) | set(more)
    for sample in samples.glob("voorbeeld-*.xlsx"):
        found |= workbook_strings(sample) | {sample.stem}
    return found


def test_the_switch_turns_every_page_and_is_remembered_until_switched_back(
        server: tuple[str, dict[str, str], Path], browser: object, tmp_path: Path) -> None:
    """serve without --lang: Dutch first. The switch on the login page turns it English and
    comes back to it; the login (its token), the upload page, a result with the shipped
    sample's findings, the list and an error page then stay English without switching again,
    none with a Dutch word left; the switch on a result page turns it and the next pages
    Dutch, none with an English word left. Every page fits the window with the switch on
    screen."""
    from selenium.webdriver.common.by import By

    from intake.definition.messages import CATALOGUE

    base, keys, _ = server
    d: object = browser
    data = _data(SAMPLES, "noord")
    d.get(base + "/")  # type: ignore[attr-defined]
    assert d.find_element(By.TAG_NAME, "h1").text == "Inloggen"  # type: ignore[attr-defined]
    _read(d, "nl", data, "lang-1-inloggen")
    _navigate(d, By.ID, "lang-switch")
    assert d.current_url == base + "/inloggen"  # type: ignore[attr-defined]
    assert d.find_element(By.TAG_NAME, "h1").text == "Log in"  # type: ignore[attr-defined]
    _read(d, "en", data, "lang-2-login")
    d.find_element(By.ID, "sleutel").send_keys(keys["noord"])  # type: ignore[attr-defined]
    _navigate(d, By.CSS_SELECTOR, "form button[type=submit]")
    assert d.find_element(By.TAG_NAME, "h1").text == "Upload a workbook"  # type: ignore[attr-defined]
    _read(d, "en", data, "lang-3-upload")

    d.find_element(By.ID, "werkmap").send_keys(  # type: ignore[attr-defined]
        str(SAMPLES / "voorbeeld-fouten.xlsx"))
    _navigate(d, By.CSS_SELECTOR, "#upload-form button")
    heading = d.find_element(By.CSS_SELECTOR, "#outcome h1").text  # type: ignore[attr-defined]
    assert heading == "voorbeeld-fouten.xlsx: Partially accepted"
    result = d.current_url  # type: ignore[attr-defined]
    report = load_json_from(d, result + "/report.json", tmp_path)
    assert report["options"]["lang"] == "en"  # type: ignore[index]
    codes = {f["code"] for f in report["findings"]}  # type: ignore[attr-defined, union-attr]
    shown = d.find_element(By.ID, "report").text  # type: ignore[attr-defined]
    assert [c for c in codes if CATALOGUE[c].title_en not in shown] == []
    for f in report["findings"]:  # type: ignore[attr-defined, union-attr]
        assert f["message"] in shown
    _read(d, "en", data, "lang-4-result")
    d.get(base + "/uploads")  # type: ignore[attr-defined]
    assert "Not forwarded: correct the errors and upload again" in _read(
        d, "en", data, "lang-5-uploads")
    d.get(base + "/bestaat-niet")  # type: ignore[attr-defined]
    assert d.find_element(By.TAG_NAME, "h1").text == "Not found"  # type: ignore[attr-defined]
    _read(d, "en", data, "lang-6-missing")

    d.get(result)  # type: ignore[attr-defined]
    _navigate(d, By.ID, "lang-switch")
    assert d.current_url == result  # type: ignore[attr-defined]
    heading = d.find_element(By.CSS_SELECTOR, "#outcome h1").text  # type: ignore[attr-defined]
    assert heading == "voorbeeld-fouten.xlsx: Deels goedgekeurd"
    shown = d.find_element(By.ID, "report").text  # type: ignore[attr-defined]
    assert [c for c in codes if CATALOGUE[c].title_nl not in shown] == []
    _read(d, "nl", data, "lang-7-resultaat")
    d.get(base + "/uploads")  # type: ignore[attr-defined]
    assert d.find_element(By.TAG_NAME, "h1").text == "Werkmap uploaden"  # type: ignore[attr-defined]
    _read(d, "nl", data, "lang-8-uploads")
    log = d.get_log("browser")  # type: ignore[attr-defined]
    assert not [e for e in log if "Content Security Policy" in e["message"]], log


@pytest.mark.parametrize("server", ["en"], indirect=True)
def test_the_registrations_table_in_english_first_and_dutch_by_the_switch(
        server: tuple[str, dict[str, str], Path], browser: object, tmp_path: Path) -> None:
    """serve --lang en, a browser asking for Dutch: the first page is English. The shipped
    valid sample uploaded through the page, the nightly batch, the shipped status file
    imported: "Your employers" lists the six with their states (completed, in set-up, live
    with the first exchange's date, refused with a.s.r.'s reason, delivered); by the switch
    "Je werkgevers" lists them in Dutch; neither page has a word of the other language; the
    operator's overview too, in each language."""
    from languages import upload_names
    from selenium.webdriver.common.by import By

    from intake.batch.run import BatchOptions, run_batch
    from intake.outputs.samples import STATUS_SAMPLE_NAME

    from conftest import run_intake

    base, keys, inbox = server
    out = inbox.parent / "out"
    d: object = browser
    status = SAMPLES / STATUS_SAMPLE_NAME
    data = _data(SAMPLES, "noord", "beheer", str(inbox),
                 *(c.strip() for line in status.read_text("utf-8").splitlines()
                   for c in line.split(",")))
    d.get(base + "/")  # type: ignore[attr-defined]
    assert d.find_element(By.TAG_NAME, "h1").text == "Log in"  # type: ignore[attr-defined]
    d.find_element(By.ID, "sleutel").send_keys(keys["noord"])  # type: ignore[attr-defined]
    _navigate(d, By.CSS_SELECTOR, "form button[type=submit]")
    assert "No employers delivered yet" in _read(d, "en", data, "lang-9-none-yet")
    d.find_element(By.ID, "werkmap").send_keys(  # type: ignore[attr-defined]
        str(SAMPLES / "voorbeeld-geldig.xlsx"))
    _navigate(d, By.CSS_SELECTOR, "#upload-form button")
    heading = d.find_element(By.CSS_SELECTOR, "#outcome h1").text  # type: ignore[attr-defined]
    assert heading == "voorbeeld-geldig.xlsx: Accepted"
    _read(d, "en", data, "lang-10-accepted")
    run_batch(BatchOptions(inbox=inbox, out_dir=out, recursive=True, settle_seconds=0))
    # The sample's date of the first exchange is fixed (2027-01-15): a century's bound back.
    done = run_intake("status", "import", str(status), "--out", str(out),
                      "--max-days-back", "36500")
    assert done.returncode == 0, done.stdout + done.stderr

    def table() -> dict[str, tuple[str, str]]:
        rows = d.find_elements(By.CSS_SELECTOR, "#registrations tr")  # type: ignore[attr-defined]
        cells = [[c.text for c in r.find_elements(By.TAG_NAME, "td")] for r in rows[1:]]
        return {c[1]: (c[3], c[6]) for c in cells}

    d.get(base + "/uploads")  # type: ignore[attr-defined]
    heads = [h.text for h in d.find_elements(By.CSS_SELECTOR, "#registrations th")]  # type: ignore[attr-defined]
    assert heads == ["Employer", "Employer ID", "Wage tax number", "State", "Since", "Days",
                     "Note"]
    english = table()
    _read(d, "en", data, "lang-11-your-employers")
    _navigate(d, By.ID, "lang-switch")
    assert d.find_element(By.CSS_SELECTOR, "main h2:last-of-type").text == "Je werkgevers"  # type: ignore[attr-defined]
    heads = [h.text for h in d.find_elements(By.CSS_SELECTOR, "#registrations th")]  # type: ignore[attr-defined]
    assert heads == ["Werkgever", "Werkgever ID", "Loonheffingennummer", "Stand", "Sinds",
                     "Dagen", "Toelichting"]
    dutch = table()
    _read(d, "nl", data, "lang-12-je-werkgevers")
    ids = [str(w[5]) for w in VALID_WERKGEVERS]
    reason = "Het raamwerkcontract is beëindigd; vraag bij a.s.r. een nieuw contract aan"
    assert [english[i][0] for i in ids] == ["completed by a.s.r.", "in set-up at Keylane",
                                            "live", "refused", "delivered", "delivered"]
    assert english[ids[2]][1] == "First exchange of data on 15 January 2027"
    assert english[ids[3]][1].startswith(reason)
    assert [dutch[i][0] for i in ids] == ["aangevuld door a.s.r.", "in inrichting bij Keylane",
                                          "live", "afgewezen", "aangeleverd", "aangeleverd"]
    assert dutch[ids[2]][1] == "Eerste uitwisseling van gegevens op 15-01-2027"
    assert dutch[ids[3]][1].startswith(reason)

    d.delete_all_cookies()  # type: ignore[attr-defined]
    d.get(base + "/inloggen")  # type: ignore[attr-defined]
    d.find_element(By.ID, "sleutel").send_keys(keys["beheer"])  # type: ignore[attr-defined]
    _navigate(d, By.CSS_SELECTOR, "form button[type=submit]")
    assert d.find_element(By.TAG_NAME, "h1").text == "Overview for a.s.r."  # type: ignore[attr-defined]
    data |= upload_names(out, inbox)  # the overview shows the uploads' random ids
    _read(d, "en", data, "lang-13-overview")
    _navigate(d, By.ID, "lang-switch")
    assert d.find_element(By.TAG_NAME, "h1").text == "Overzicht voor a.s.r."  # type: ignore[attr-defined]
    _read(d, "nl", data, "lang-14-overzicht")


# --- the workbook picker in the page's language --------------------------------------------

#: The page's language and, unlike it, chromium's own (its "Choose file").
PICKER = [pytest.param("nl", ("en-US", True), id="nl-page-en-US-browser"),
          pytest.param("en", ("nl", True), id="en-page-nl-browser")]
#: The label's focus ring, the picker's computed look.
RING = """
const s = getComputedStyle(document.querySelector("label.pick"));
return [s.outlineStyle, s.outlineWidth, s.outlineColor];
"""


def _browser_speaks(d: object, ui: str) -> None:
    """Skip unless chromium really runs in `ui` (Debian's chromium has only en-US without
    chromium-l10n; then the English page in a Dutch browser proves nothing new)."""
    shown = d.execute_script("return navigator.language")  # type: ignore[attr-defined]
    if not str(shown).startswith(ui[:2]):
        pytest.skip(f"chromium does not run in {ui} (it says {shown}): chromium-l10n missing")


def test_a_file_name_cannot_turn_the_picker_line_around(
        server: tuple[str, dict[str, str], Path], browser: object, tmp_path: Path) -> None:
    """A name with a right-to-left override ("factuur" U+202E "cod.xlsx" would read
    "factuurxslx.doc" and turn the size after it around) is shown with the override as its
    escape, as the result page shows it, and isolated, so the size stays readable."""
    base, keys, _ = server
    valid = fill(tmp_path / "geldig.xlsx", VALID_WERKGEVERS, VALID_DGA)
    picked = _dropped(browser, base, keys["noord"], valid, "factuur\u202ecod.xlsx")
    size = Words("nl").size(valid.stat().st_size)
    assert picked == f"Gekozen: \u2068factuur\\u202ecod.xlsx\u2069 ({size})"
    assert "\u202e" not in picked


@pytest.mark.parametrize(("server", "browser"), PICKER, indirect=True)
def test_the_workbook_picker_speaks_the_pages_language_not_the_browsers(
        server: tuple[str, dict[str, str], Path], browser: object,
        request: pytest.FixtureRequest) -> None:
    """In a chromium whose own language is the other one: the picker's button and "no
    workbook chosen yet" are the page's words (the browser's input is in the page but not
    seen); Tab from the link before it focuses the input and draws the focus ring on the
    button; checking without a workbook says so in the page's words (not the browser's
    bubble) and stays; a chosen workbook's name and size are shown; it is uploaded and
    accepted, with no Content-Security-Policy violation."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    from intake.web.words import WORDS

    base, keys, inbox = server
    lang = request.node.callspec.params["server"]
    ui = request.node.callspec.params["browser"][0]
    words = WORDS[lang]
    d: object = browser
    d.get(base + "/inloggen")  # type: ignore[attr-defined]
    _browser_speaks(d, ui)
    d.find_element(By.ID, "sleutel").send_keys(keys["noord"])  # type: ignore[attr-defined]
    _navigate(d, By.CSS_SELECTOR, "form button[type=submit]")
    pick = d.find_element(By.CSS_SELECTOR, "label.pick")  # type: ignore[attr-defined]
    picked = d.find_element(By.ID, "werkmap-picked")  # type: ignore[attr-defined]
    field = d.find_element(By.ID, "werkmap")  # type: ignore[attr-defined]
    assert pick.is_displayed() and pick.text == words["pick_button"]
    assert picked.text == words["picked_none"]
    assert picked.get_attribute("aria-live") == "polite"
    assert field.get_attribute("aria-describedby") == "werkmap-picked"
    assert field.size["width"] <= 1 and field.size["height"] <= 1  # the browser's own: unseen
    assert d.execute_script(RING)[0] == "none"  # type: ignore[attr-defined]
    _read(d, lang, _data(SAMPLES, "noord"), f"picker-{lang}-1-empty")

    d.execute_script('document.querySelector(".lead a").focus()')  # type: ignore[attr-defined]
    ActionChains(d).send_keys(Keys.TAB).perform()  # type: ignore[arg-type]
    assert d.execute_script("return document.activeElement.id") == "werkmap"  # type: ignore[attr-defined]
    assert d.execute_script(RING) == ["solid", "3px", "rgb(240, 165, 0)"]  # type: ignore[attr-defined]
    _shot(d, f"picker-{lang}-2-focus")

    d.find_element(By.CSS_SELECTOR, "#upload-form button").click()  # type: ignore[attr-defined]
    WebDriverWait(d, 10).until(lambda _: picked.text == words["pick_first"])  # type: ignore[arg-type]
    assert d.current_url == base + "/uploads"  # type: ignore[attr-defined]
    assert "missing" in str(picked.get_attribute("class"))
    _shot(d, f"picker-{lang}-3-none-chosen")

    sample = SAMPLES / "voorbeeld-geldig.xlsx"
    field.send_keys(str(sample))
    size = Words(lang).size(sample.stat().st_size)  # as the result page says it: 10,7 kB
    chosen = f"{words['chosen']} \u2068voorbeeld-geldig.xlsx\u2069 ({size})"
    WebDriverWait(d, 10).until(lambda _: picked.text == chosen)  # type: ignore[arg-type]
    assert pick.text == words["pick_button"]
    _shot(d, f"picker-{lang}-4-chosen")

    _navigate(d, By.CSS_SELECTOR, "#upload-form button")
    heading = d.find_element(By.CSS_SELECTOR, "#outcome h1").text  # type: ignore[attr-defined]
    assert heading == f"voorbeeld-geldig.xlsx: {words['status_accepted']}"
    assert [p.parent.name for p in inbox.rglob("*.xlsx")] == ["noord"]
    _shot(d, f"picker-{lang}-5-result")
    log = d.get_log("browser")  # type: ignore[attr-defined]
    assert not [e for e in log if "Content Security Policy" in e["message"]], log


@pytest.mark.parametrize("browser", [("en-US", False)], indirect=True)
def test_without_scripts_the_browsers_own_picker_shows_and_the_upload_works(
        server: tuple[str, dict[str, str], Path], browser: object) -> None:
    """Scripts off: the browser's own file input is seen (its words are the browser's), the
    page's stand-ins are not, and a workbook chosen with it is uploaded and checked."""
    from selenium.webdriver.common.by import By

    base, keys, inbox = server
    d: object = browser
    d.get(base + "/inloggen")  # type: ignore[attr-defined]
    d.find_element(By.ID, "sleutel").send_keys(keys["noord"])  # type: ignore[attr-defined]
    _navigate(d, By.CSS_SELECTOR, "form button[type=submit]")
    field = d.find_element(By.ID, "werkmap")  # type: ignore[attr-defined]
    assert field.is_displayed() and field.size["width"] > 100
    assert not d.find_element(By.CSS_SELECTOR, "label.pick").is_displayed()  # type: ignore[attr-defined]
    assert not d.find_element(By.ID, "werkmap-picked").is_displayed()  # type: ignore[attr-defined]
    assert not d.find_element(By.CSS_SELECTOR, ".drop-hint").is_displayed()  # type: ignore[attr-defined]
    _shot(d, "picker-nojs-1-native")
    field.send_keys(str(SAMPLES / "voorbeeld-geldig.xlsx"))
    _navigate(d, By.CSS_SELECTOR, "#upload-form button")
    heading = d.find_element(By.CSS_SELECTOR, "#outcome h1").text  # type: ignore[attr-defined]
    assert heading == "voorbeeld-geldig.xlsx: Goedgekeurd"
    assert [p.parent.name for p in inbox.rglob("*.xlsx")] == ["noord"]
    _shot(d, "picker-nojs-2-result")
