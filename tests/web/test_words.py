"""The web intake in Dutch and English (intake/web/words.py): one place for the words of each
language, the person's choice kept in a cookie, serve's --lang for a first visit, and every page
in each language without a word of the other (Starlette's test client against the real app; the
browser's view of the same is in test_serve_browser.py)."""

from __future__ import annotations

import html
import json
import re
import string
from importlib import resources
from pathlib import Path

import jinja2
import pytest
from languages import leftovers, upload_names, visible, workbook_strings
from starlette.testclient import TestClient
from test_serve import CSRF, Site, login, upload

from intake.batch.run import BatchOptions, run_batch
from intake.definition.messages import CATALOGUE, LANGS, Lang
from intake.outputs.samples import write_samples
from intake.web import keys as bureaus
from intake.web.app import ServeConfig, create_app
from intake.web.words import LANG_COOKIE, WORDS, Words, chosen, upload_error

TEMPLATES = sorted(p.name for p in resources.files("intake").joinpath("templates").iterdir()
                   if p.name.startswith("web-"))


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """Folders, bureau noord and an operator with keys, the shipped samples (serve's
    defaults: Dutch)."""
    out = tmp_path / "out"
    db = bureaus.connect(out / "intake.sqlite")
    keys = {"noord": bureaus.add(db, "noord"),
            "beheer": bureaus.add(db, "beheer", bureaus.Role.OPERATOR)}
    db.close()
    write_samples(tmp_path / "samples")
    return Site(ServeConfig(inbox=tmp_path / "inbox", out_dir=out), keys, tmp_path / "samples")


def _source(name: str) -> str:
    return resources.files("intake").joinpath(f"templates/{name}").read_text("utf-8")


def own_words(source: str) -> list[str]:
    """Text a template holds itself (not asked of Words): what is left of it without its
    template code and markup, and the read attributes' own text."""
    code_free = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", source, flags=re.S)
    attributes = re.findall(r'\b(?:title|alt|aria-label|placeholder|data-[\w-]+)="([^"]*)"',
                            code_free)
    text = re.sub(r"<[^>]+>", " ", code_free)
    return [w for w in (*text.split(), *attributes) if re.search(r"[^\W\d_]", w)]


# --- the words ------------------------------------------------------------------------------


def test_both_languages_have_the_same_words_with_the_same_fields() -> None:
    """Every key has a Dutch and an English text, and both fill in the same {fields}."""
    assert set(WORDS["nl"]) == set(WORDS["en"])

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert [k for k in WORDS["nl"] if fields(WORDS["nl"][k]) != fields(WORDS["en"][k])] == []


@pytest.mark.parametrize("name", TEMPLATES)
def test_a_web_template_holds_no_words_of_its_own(name: str) -> None:
    """Each page's template asks Words for every text (no second copy of a page per
    language, no word left in one language): without template code and markup, nothing with
    a letter is left, in the text nor in a title, alt, aria-label or data attribute."""
    assert own_words(_source(name)) == []


def test_the_template_check_finds_a_word_left_in_a_template() -> None:
    """The check above fails on a template that keeps a word of its own."""
    assert own_words('<p><a href="/">Terug naar het begin</a></p>') == [
        "Terug", "naar", "het", "begin"]
    assert own_words('<a title="de upload" href="/x">{{ t("x") }}</a>') == ["de upload"]
    assert own_words('<p>{{ t("back_to_start") }} · {{ n }} \u2013 </p>') == []


def test_every_word_is_asked_for_and_every_word_asked_for_exists() -> None:
    """The keys the templates and the application ask for are in WORDS, and every key of
    WORDS is asked for somewhere (no word kept that no page shows)."""
    sources = "".join(_source(n) for n in TEMPLATES)
    app = resources.files("intake.web").joinpath("app.py").read_text("utf-8")
    asked = set(re.findall(r'\bt(?:\.html)?\(\s*["\'](\w+)["\']', sources))
    counted = set(re.findall(r'\bt\.count\(\s*["\'](\w+)["\']', sources))
    refused = set(re.findall(r'Refusal\(\d+, "(\w+)"', app))
    named = set(re.findall(r'WORDS\[[\w.]+\]\["(\w+)"\]', app)) | {"login_wrong", "check_button"}
    keys = set(WORDS["nl"])
    assert asked - keys == set() and named - keys == set()
    assert {f"{c}_{n}" for c in counted for n in ("one", "many")} - keys == set()
    assert {r for r in refused if r not in keys or f"{r}_title" not in keys} == set()
    used = (asked | named | refused | {f"{r}_title" for r in refused}
            | {f"{c}_{n}" for c in counted for n in ("one", "many")}
            | {k for k in keys if k.startswith("status_")} | {"op_run_running",
               "op_run_finished_status", "op_run_interrupted", "error_restarted", "error_busy"})
    assert sorted(keys - used) == []


def test_the_language_is_the_persons_choice_else_serves_default() -> None:
    """The cookie's nl or en wins; no cookie, or any other value, is serve's --lang."""
    assert chosen("en", "nl") == "en" and chosen("nl", "en") == "nl"
    assert chosen(None, "en") == "en" and chosen("de", "nl") == "nl"
    assert chosen("EN' OR 1=1", "nl") == "nl"


def test_a_reason_an_upload_was_not_checked_reads_in_the_readers_language() -> None:
    """A stored reason (in the language of its check) is shown in the reader's; one not
    known as it is."""
    assert upload_error("the file is empty (0 bytes)", "nl") == "het bestand is leeg (0 bytes)"
    assert upload_error(WORDS["nl"]["error_restarted"], "en") == WORDS["en"]["error_restarted"]
    assert upload_error("iets anders", "en") == "iets anders"


def test_words_fill_escape_and_count() -> None:
    """`t.count` picks one or many; `t.html` escapes the words and plain values, keeps the
    template's markup."""
    from markupsafe import Markup

    t = Words("nl")
    assert t.count("forward", 1) == "Alleen de goedgekeurde werkgever doorsturen"
    assert t.count("forward", 3) == "Alleen de 3 goedgekeurde werkgevers doorsturen"
    assert t.html("logged_in_as", name="<b>x</b>") == "Ingelogd als &lt;b&gt;x&lt;/b&gt;"
    assert t.html("logged_in_as", name=Markup("<b>x</b>")) == "Ingelogd als <b>x</b>"
    assert Words("en").state("setup") == "in set-up at Keylane"
    assert Words("en").label("werkgever_id") == "Employer ID"


# --- choosing -------------------------------------------------------------------------------


@pytest.mark.parametrize(("back", "to"), [
    ("/uploads", "/uploads"), ("/uploads/abc?x=1", "/uploads/abc?x=1"), (None, "/"),
    ("//evil.example/", "/"), ("https://evil.example/", "/"), ("/\\evil.example", "/"),
    ("/\t/evil.example", "/"), ("/\n/evil.example", "/"), ("evil", "/")])
def test_the_switch_keeps_the_choice_and_goes_back_only_within_the_site(
        site: Site, back: str | None, to: str) -> None:
    """/taal/en sets the cookie (a year, HttpOnly, SameSite=Lax) and goes back to the page
    it came from; anything but a path of this site goes to the start."""
    with site.client() as client:
        response = client.get("/taal/en", params={"terug": back} if back else None,
                              follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, to)
        cookie = response.headers["set-cookie"].lower()
        assert cookie.startswith(f"{LANG_COOKIE}=en;")
        assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=31536000" in cookie
        assert client.get("/taal/de", follow_redirects=False).status_code == 404


@pytest.mark.parametrize("lang", LANGS)
def test_a_first_visit_is_in_serves_language_whatever_the_browser_asks(
        site: Site, lang: Lang) -> None:
    """Without a choice the pages are in serve's --lang (the browser's Accept-Language is not
    asked); the switch offers the other language, marked as such."""
    config = ServeConfig(inbox=site.config.inbox, out_dir=site.config.out_dir, lang=lang)
    other = "en" if lang == "nl" else "nl"
    with TestClient(create_app(config)) as client:
        page = client.get("/inloggen", headers={"accept-language": f"{other};q=1"})
    assert f'<html lang="{lang}">' in page.text
    assert page.headers["content-language"] == lang
    assert f'<h1>{WORDS[lang]["login_title"]}</h1>' in page.text
    switch = re.search(r'<a class="lang-switch"[^>]*>([^<]*)</a>', page.text)
    assert switch is not None and switch.group(1) == WORDS[lang]["switch"]
    assert f'lang="{other}"' in switch.group(0)
    assert "/taal/" + other in switch.group(0)


def test_choosing_before_and_after_login_keeps_login_and_forms_working(site: Site) -> None:
    """Switched on the login page, the login form's token still holds; switched after login,
    the session, an upload (its CSRF token) and logging out still work, and the choice stays
    across pages and after logging out."""
    with site.client() as client:
        page = client.get("/taal/en?terug=/inloggen")
        assert '<html lang="en">' in page.text and "<h1>Log in</h1>" in page.text
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        page = client.post("/inloggen", data={"csrf": token, "sleutel": site.keys["noord"]})
        assert page.status_code == 200 and "<h1>Upload a workbook</h1>" in page.text
        page = client.get("/taal/nl?terug=/uploads")
        assert "<h1>Werkmap uploaden</h1>" in page.text
        csrf = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        client.get("/taal/en?terug=/uploads")
        result = upload(client, csrf, site.folder / "voorbeeld-geldig.xlsx", follow=True)
        assert "voorbeeld-geldig.xlsx: Accepted" in result.text  # type: ignore[attr-defined]
        assert '<html lang="en">' in client.get("/uploads").text
        client.post("/uitloggen", data={"csrf": csrf})
        assert "<h1>Log in</h1>" in client.get("/inloggen").text


# --- every page, in each language -----------------------------------------------------------


def _pages(site: Site, lang: Lang) -> dict[str, str]:
    """Every kind of page, as a bureau and the operator see them with `lang` chosen: the
    login, the upload page with its lists, a partly accepted and an accepted result, a
    refusal, a missing page, the operator's overview and a run."""
    pages: dict[str, str] = {}
    with site.client() as client:
        client.get(f"/taal/{lang}")
        pages["login"] = client.get("/inloggen").text
        csrf = login(client, site.keys["noord"])
        pages["uploads-empty"] = client.get("/uploads").text
        pages["result-partial"] = upload(client, csrf, site.folder / "voorbeeld-fouten.xlsx",
                                         follow=True).text  # type: ignore[attr-defined]
        pages["result-accepted"] = upload(client, csrf, site.folder / "voorbeeld-geldig.xlsx",
                                          follow=True).text  # type: ignore[attr-defined]
        pages["refusal"] = upload(client, csrf, site.folder / "voorbeeld-geldig.xlsx",
                                  name="geen.pdf").text  # type: ignore[attr-defined]
        pages["missing"] = client.get("/bestaat-niet").text
        run = run_batch(BatchOptions(inbox=site.config.inbox, out_dir=site.config.out_dir,
                                     recursive=True, settle_seconds=0, lang=lang))
        pages["uploads"] = client.get("/uploads").text
    with site.client() as operator:
        operator.get(f"/taal/{lang}")
        login(operator, site.keys["beheer"])
        pages["operator"] = operator.get("/beheer").text
        pages["run"] = operator.get(f"/beheer/runs/{run.run_id}").text
    return pages


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_in_one_language_has_no_word_of_the_other(site: Site,
                                                             lang: Lang) -> None:
    """Each page, read as a person reads it (its text, its title, the attributes read out;
    not the switch, which is marked with the other language), in Dutch has no word only
    English has, and in English none only Dutch has, once the data it shows (the workbooks'
    values and sheet names, file names, the bureau, the inbox's path, the rules' codes) is
    taken out; <html lang> matches."""
    data = (workbook_strings(site.folder / "voorbeeld-fouten.xlsx")
            | workbook_strings(site.folder / "voorbeeld-geldig.xlsx")
            | {"voorbeeld-fouten", "voorbeeld-geldig", "geen.pdf", "noord", "beheer",
               str(site.config.inbox)} | set(CATALOGUE))  # the rules' codes, as the report
    pages = _pages(site, lang)
    data |= upload_names(site.config.out_dir, site.config.inbox)  # random ids, not words
    found = {}
    for name, page in pages.items():
        page_lang, text = visible(page)
        assert page_lang == lang, name
        found[name] = leftovers(text, lang, data)
    assert found == {name: [] for name in pages}


def test_the_page_check_finds_a_template_that_keeps_its_own_words(site: Site) -> None:
    """The check above fails where a template keeps a word of its own: the error page with
    its link text hard-coded in Dutch, rendered in English, has Dutch words left."""
    from intake.web.app import Intake

    intake = Intake(site.config)
    try:
        page = intake.render("error", "en", session=None, path="/x", back="/x",
                             title="Not found", text="This page does not exist.")
        assert leftovers(visible(page)[1], "en") == []
        original = intake.env.loader
        intake.env.loader = jinja2.ChoiceLoader([jinja2.DictLoader({
            "web-error.html.j2": _source("web-error.html.j2").replace(
                '{{ t("back_to_start") }}', "Terug naar het begin")}), original])  # type: ignore[list-item]
        page = intake.render("error", "en", session=None, path="/x", back="/x",
                             title="Not found", text="This page does not exist.")
    finally:
        intake.store.close()
    assert leftovers(visible(page)[1], "en") == ["Terug", "begin", "het", "naar"]


@pytest.mark.parametrize("uploaded_in", LANGS)
def test_the_findings_are_in_the_pages_language_whoever_uploaded(site: Site,
                                                                 uploaded_in: Lang) -> None:
    """An upload checked in one language (report.json and the feedback workbook in the
    uploader's) shows its report in whichever language the reader chose: each finding's
    rule by its title in that language, and report.html to download in it too."""
    with site.client() as client:
        client.get(f"/taal/{uploaded_in}")
        csrf = login(client, site.keys["noord"])
        page = upload(client, csrf, site.folder / "voorbeeld-fouten.xlsx", follow=True)
        url = str(page.url)  # type: ignore[attr-defined]
        report = json.loads(client.get(url + "/report.json").text)
        assert report["options"]["lang"] == uploaded_in
        codes = {f["code"] for f in report["findings"]}
        assert len(codes) > 10
        for lang in LANGS:
            client.get(f"/taal/{lang}")
            shown = client.get(url).text
            section = html.unescape(shown[shown.index('id="report"'):])
            titles = {c: CATALOGUE[c].title_nl if lang == "nl" else CATALOGUE[c].title_en
                      for c in codes}
            assert [c for c, title in titles.items() if title not in section] == [], lang
            downloaded = client.get(url + "/rapport.html").text
            assert f'<html lang="{lang}">' in downloaded
            for f in (f for f in report["findings"] if lang == uploaded_in):
                assert f["message"] in section


@pytest.mark.parametrize("lang", LANGS)
def test_a_too_large_upload_is_refused_in_the_chosen_language(tmp_path: Path,
                                                              lang: Lang) -> None:
    """The 413 page, made outside the routes, is in the language the person chose."""
    out = tmp_path / "out"
    db = bureaus.connect(out / "intake.sqlite")
    key = bureaus.add(db, "noord")
    db.close()
    config = ServeConfig(inbox=tmp_path / "inbox", out_dir=out, max_upload_mb=1)
    with TestClient(create_app(config)) as client:
        client.get(f"/taal/{lang}")
        csrf = login(client, key)
        response = client.post("/uploads", data={"csrf": csrf},
                               files={"werkmap": ("groot.xlsx", b"PK\x03\x04" + b"0" * 2**21)})
    assert response.status_code == 413
    assert f'<html lang="{lang}">' in response.text
    assert WORDS[lang]["too_large"].format(mb=1) in response.text


@pytest.mark.parametrize("lang", LANGS)
def test_the_workbook_picker_speaks_the_pages_language_and_works_without_a_script(
        site: Site, lang: Lang) -> None:
    """The upload page carries the picker's words in its own language (the button, "no
    workbook chosen yet", the word before a chosen name, the note when none was chosen), none
    in the other; the browser's input is still there, required, and the stand-ins are hidden
    until upload.js shows them, so without a script the form is the browser's as before."""
    other = "en" if lang == "nl" else "nl"
    with site.client() as client:
        client.get(f"/taal/{lang}")
        login(client, site.keys["noord"])
        page = client.get("/uploads").text
    for key in ("pick_button", "picked_none", "pick_first", "chosen"):
        assert html.escape(WORDS[lang][key]) in page, key
        assert html.escape(WORDS[other][key]) not in page, key
    assert re.search(r'<input type="file" id="werkmap" name="werkmap" required', page)
    assert f'<label for="werkmap" class="pick" hidden>{WORDS[lang]["pick_button"]}</label>' in page
    picked = re.search(r'<p class="picked" id="werkmap-picked" ([^>]*)>([^<]*)</p>', page)
    assert picked is not None
    assert picked.group(1) == 'aria-live="polite" hidden'
    assert picked.group(2) == WORDS[lang]["picked_none"]
    assert '<script src="/static/upload.js" defer></script>' in page


def test_a_size_reads_as_the_picker_says_it_in_the_readers_way_of_writing_numbers() -> None:
    """kB with at most one decimal, MB from 1 MB on, the decimal comma and the thousands
    point in Dutch (as upload.js's Intl.NumberFormat writes them on the upload page)."""
    sizes = (512, 10957, 10240, 1048575, 1048576, 1536000)
    assert [Words("nl").size(n) for n in sizes] == [
        "0,5 kB", "10,7 kB", "10 kB", "1.024 kB", "1 MB", "1,5 MB"]
    assert [Words("en").size(n) for n in sizes] == [
        "0.5 kB", "10.7 kB", "10 kB", "1,024 kB", "1 MB", "1.5 MB"]


@pytest.mark.parametrize("lang", LANGS)
def test_the_result_page_gives_the_uploads_size_as_its_reader_writes_it(site: Site,
                                                                        lang: Lang) -> None:
    sample = site.folder / "voorbeeld-geldig.xlsx"
    with site.client() as client:
        client.get(f"/taal/{lang}")
        csrf = login(client, site.keys["noord"])
        page = upload(client, csrf, sample, follow=True).text  # type: ignore[attr-defined]
    """The uploaded line says the size as the picker did (10,7 kB on a Dutch page)."""
    size = Words(lang).size(sample.stat().st_size)
    assert re.fullmatch(r"\d+,\d kB" if lang == "nl" else r"\d+\.\d kB", size), size
    assert f"· {size}</p>" in html.unescape(page)
