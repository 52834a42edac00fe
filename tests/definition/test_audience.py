"""What a clerk or bureau reads names no command, option or path, and speaks to them as je/jullie.

Every message template of the catalogue (with sample values), the file errors, the words of the
report and the Controle sheet, the next step of every door and outcome, a rendered report.html
and Controle sheet in both languages, and the text of the web intake's bureau pages. The
operator's pages and the command line's own lines (usage errors, --help, the line with the
command that checks a corrected file again) are not in it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import openpyxl
import pytest

from intake.definition.messages import CATALOGUE, FILE_ERRORS, LANGS, UI, Lang, next_step
from intake.definition.status import CHECKED, Door
from intake.outputs.pipeline import write_outputs
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill
from intake.validation.validate import Options, validate_workbook

from conftest import replace

#: An option, a command, a path (a folder and a name, or a Python file), a code path.
FORBIDDEN = {
    "option": re.compile(r"(?<![\w-])--[a-z]"),
    "command": re.compile(r"\bintake (?:validate|batch|template|serve|bureau|history|schema)\b"),
    "path": re.compile(r"(?<![\w.<])(?:\.{0,2}/)?\w[\w.-]*/[\w.-]+\.\w+|\w+\.py\b|\\\w"),
}
#: The polite Dutch "u"/"uw" as words (the catalogue speaks to the bureau as je/jullie).
POLITE = re.compile(r"(?<![\w'\u2019.-])(?:[Uu]|[Uu]w)(?![\w'\u2019-]|\.\w)")
#: The words of the operator's pages (index.html, the ledger's statuses): not bureau-facing.
OPERATOR_KEYS = ("batch_", "st_", "entry_", "run", "status", "files", "cross_file", "report",
                 "terminal_written")
#: The bureau's pages of the web intake (the operator's are web-operator and web-run).
BUREAU_PAGES = ("web-base", "web-login", "web-uploads", "web-result", "web-error",
                "web-nightly")


def _sample(template: str) -> str:
    """`template` with each {field} filled with a plain sample value."""
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return template.format(**{name: "voorbeeld" for name in fields})


def _catalogue_texts() -> Iterator[tuple[str, Lang, str]]:
    for code, entry in CATALOGUE.items():
        for lang in LANGS:
            for text in (*(entry.nl if lang == "nl" else entry.en),
                         entry.title_nl if lang == "nl" else entry.title_en):
                yield f"catalogue {code}", lang, _sample(text)
    for code, texts in FILE_ERRORS.items():
        for lang in LANGS:
            yield f"file error {code}", lang, texts[lang]
    for lang in LANGS:
        for key, text in UI[lang].items():
            if not key.startswith(OPERATOR_KEYS):
                yield f"ui {key}", lang, _sample(text)
        for door in Door:
            for status in CHECKED:
                yield f"next step {door} {status}", lang, next_step(
                    door, status, lang, workbook="noord.xlsx", feedback="noord-feedback.xlsx",
                    accepted=1, rows=3)


def _problems(text: str, lang: Lang) -> list[str]:
    found = [f"{kind}: {m.group(0)!r}" for kind, pattern in FORBIDDEN.items()
             for m in pattern.finditer(text)]
    if lang == "nl":
        found += [f"u/uw: {m.group(0)!r}" for m in POLITE.finditer(text)]
    return found


@pytest.mark.parametrize(("where", "lang", "text"), list(_catalogue_texts()),
                         ids=lambda v: v if isinstance(v, str) and len(v) < 60 else "")
def test_every_message_speaks_plainly_to_the_bureau(where: str, lang: Lang, text: str) -> None:
    """Each catalogue message, fix, title, file error, report word and next step, filled with
    sample values, names no option, command or path, and (Dutch) says je, not u/uw."""
    assert _problems(text, lang) == [], (where, text)


def test_the_check_finds_what_it_is_for() -> None:
    """The patterns catch the texts this test was written against (so it cannot pass by
    matching nothing)."""
    for bad in ("valideer dan met --contract-prefix B030", "(intake batch --redeliver)",
                "controleer het opnieuw: intake validate feedback.xlsx",
                "zie reports/noord/report.html", "Vraag uw contactpersoon", "U ziet het"):
        assert _problems(bad, "nl"), bad
    assert _problems("Neem contact op met a.s.r. over jouw U.A.-naam", "nl") == []


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("door", list(Door))
def test_report_and_controle_as_written_speak_plainly(tmp_path: Path, lang: Lang,
                                                       door: Door) -> None:
    """report.html (its visible text) and every text of the feedback's Controle sheet and
    comments, written for a partly valid workbook by each door in each language, name no
    option, command or path, and (Dutch) say je, not u/uw."""
    rows = [replace(VALID_WERKGEVERS[0], verloning="week",
                    raamwerkcontractnummer="B030123456"), *VALID_WERKGEVERS[1:]]
    source = fill(tmp_path / "noord.xlsx", rows, VALID_DGA)
    result = validate_workbook(source, Options())
    files = write_outputs(result, tmp_path / "out", Options(), lang, door=door)
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    body = page[page.index("<body>"):]
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<code>.*?</code>", " ", body))
    assert _problems(visible, lang) == []
    (feedback,) = [f for f in files if f.name == "noord-feedback.xlsx"]
    book = openpyxl.load_workbook(feedback)
    texts = [str(c.value) for row in book["Controle"].iter_rows() for c in row if c.value]
    texts += [c.comment.text for row in book["Werkgevers"].iter_rows() for c in row
              if c.comment]
    assert any("Volgende stap" in t or "Next step" in t for t in texts)
    assert [p for t in texts for p in _problems(t, lang)] == []


@pytest.mark.parametrize("page", BUREAU_PAGES)
def test_web_pages_for_bureaus_say_je(page: str) -> None:
    """The text of each bureau page of the web intake (its template without markup and
    template code: none, its words are in intake.web.words) names no option, command or path
    and says je, not u/uw."""
    source = resources.files("intake").joinpath(f"templates/{page}.html.j2").read_text("utf-8")
    text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}|<[^>]+>", " ", source, flags=re.S)
    assert _problems(text, "nl") == []


@pytest.mark.parametrize("lang", LANGS)
def test_web_words_for_bureaus_say_je(lang: Lang) -> None:
    """Every word of the web intake a bureau reads (`intake.web.words`, all but the operator's
    op_ keys: its pages, refusals and errors), filled with sample values, names no option or
    command and (Dutch) says je, not u/uw."""
    from intake.web.words import WORDS

    texts = {key: _sample(text) for key, text in WORDS[lang].items()
             if not key.startswith("op_")}
    assert len(texts) > 100
    assert [(k, t, p) for k, t in texts.items() for p in _problems(t, lang)] == []


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("confirmed", [None, "2026-11-30T10:00:00+00:00"],
                         ids=["held", "confirmed"])
def test_the_other_bureau_warning_as_rendered_speaks_plainly(tmp_path: Path,
                                                             confirmed: str | None,
                                                             lang: Lang) -> None:
    """The result page of an upload whose rows name another bureau (held, and after the
    bureau confirmed), rendered with its values, names no option, command or path and says
    je, not u/uw; so does the line the upload list shows for it."""
    from intake.definition.status import Status
    from intake.web.app import Intake, ServeConfig
    from intake.web.keys import Principal, Role
    from intake.web.store import Session, Upload

    intake = Intake(ServeConfig(inbox=tmp_path / "in", out_dir=tmp_path / "out"))
    try:
        upload = Upload(id="abc", bureau="noord", original_name="vandijk.xlsx", suffix=".xlsx",
                        sha256="0" * 64, size=2048, uploaded_at="2026-11-30T09:00:00+00:00",
                        status=Status.ACCEPTED, counts={"werkgevers": {"rows": 3,
                                                                        "accepted": 3}},
                        other_bureaus=(("Van Dijk Partners B.V.",
                                        "salaris@vandijkpartners.nl"),),
                        confirmed_at=confirmed)
        session = Session(Principal("noord", Role.BUREAU, "k"), "csrf")
        page = intake.render("result", lang, session=session, path="/uploads/abc",
                             back="/uploads/abc", upload=upload, report=None, feedback=None,
                             duplicate=None, nightly=[], own_email="info@noord.nl")
        line = intake.render("nightly", lang, u=upload, nightly=[])
    finally:
        intake.store.close()
    not_yet = "nog niet doorgestuurd" if lang == "nl" else "not been forwarded to a.s.r. yet"
    assert (not_yet in page) is (confirmed is None)
    for html in (page[page.index("<main>"):], line):
        visible = " ".join(re.sub(r"<[^>]+>", " ", html).split())
        assert _problems(visible, lang) == [], visible


@pytest.mark.parametrize("lang", LANGS)
def test_the_news_of_registrations_speaks_plainly(lang: Lang) -> None:
    """A bureau's message about employers gone live and refused (subject, opening, the block of
    news, closing), the names of the states and the web page's line for a live employer name
    no option, command or path and (Dutch) say je, not u/uw."""
    from intake.batch.mail import letter
    from intake.definition.registration import WORDS

    news = [{"werkgever_id": "8106625", "werkgever_naam": "Bakkerij Van Dijk B.V.",
             "state": "live", "first_exchange": "2027-01-15", "reason": None},
            {"werkgever_id": "8120456", "werkgever_naam": "Jansen & Zn.", "state": "refused",
             "first_exchange": None, "reason": "Het raamwerkcontract is beëindigd"}]
    summary = {"run": {"id": "20261207-020000", "started_at": "2026-12-07T02:00:00+00:00"}}
    words = letter("De Telling", [], summary, {}, set(), lang, news)
    texts = [words.subject, *words.opening, *words.closing,
             *(line for block in words.blocks for line in (block.title, *block.lines)),
             *WORDS[lang].values()]
    assert any("2027" in t for t in texts)
    assert [(t, p) for t in texts for p in _problems(t, lang)] == []
