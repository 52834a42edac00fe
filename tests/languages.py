"""How a test tells a page in one language from one with words of the other left in it.

The words each language has are every text the product can show in it: the web's words, the
report's, the batch pages', the states, the catalogue's messages, fixes and titles, the file
errors and the fields' labels and help. A word only the other language has (Dutch `naar`,
`werkmap`, `je`; English `the`, `workbook`) must not be on a page; words both have (a.s.r.,
Keylane, the sheet names Werkgevers and DGA that English texts quote) say nothing. The data a
page shows (cell values, file names, a.s.r.'s reason for a refusal) is taken out first, and an
element marked with another `lang` (the switch, "English" on a Dutch page) is not read.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path

from intake.batch.pages import PAGE
from intake.definition.fields import SHEETS, STATUS
from intake.definition.findings import TEMPLATE
from intake.definition.messages import CATALOGUE, FILE_ERRORS, UI, Lang
from intake.definition.registration import WORDS as STATE_WORDS
from intake.web.words import WORDS, other

#: A word: two or more letters (digits, codes such as L01 and single letters say nothing).
WORD = re.compile(r"[^\W\d_]{2,}")
#: Attributes whose text a person reads or hears.
READ_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder", "data-chosen",
                   "data-pick-first")


def _texts(lang: Lang) -> Iterator[str]:
    yield from WORDS[lang].values()
    yield from UI[lang].values()
    yield from PAGE[lang].values()
    yield from STATE_WORDS[lang].values()
    for entry in CATALOGUE.values():
        yield from entry.nl if lang == "nl" else entry.en
        yield entry.title_nl if lang == "nl" else entry.title_en
    for texts in FILE_ERRORS.values():
        yield texts[lang]
    for pair in TEMPLATE.values():  # what a layout finding points to
        yield pair[lang == "en"]
    for spec in (*SHEETS, STATUS):
        for field in spec.fields:
            yield field.label if lang == "nl" else field.label_en
            yield field.help_nl if lang == "nl" else field.help_en


def words_of(text: str) -> set[str]:
    """The words of `text`, casefolded; {fields} of a message template left out."""
    return {w.casefold() for w in WORD.findall(re.sub(r"\{[^{}]*\}", " ", text))}


@functools.cache
def only_in(lang: Lang) -> frozenset[str]:
    """The words the product says in `lang` and never in the other language."""
    mine = set().union(*(words_of(t) for t in _texts(lang)))
    theirs = set().union(*(words_of(t) for t in _texts(other(lang))))
    return frozenset(mine - theirs)


def leftovers(text: str, lang: Lang, data: Iterable[str] = ()) -> list[str]:
    """The words in `text` (a page meant to be in `lang`) that only the other language has;
    each string of `data` (what the page shows of the user's data) is taken out first."""
    for value in sorted({d for d in data if d}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", text)
    foreign = only_in(other(lang))
    return sorted({w for w in WORD.findall(text) if w.casefold() in foreign})


class _Visible(HTMLParser):
    """The text a person reads on a page: its text and read attributes, not scripts or styles,
    and not an element marked with another language than the page's."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.parts: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, skipped)

    VOID = frozenset({"meta", "link", "input", "br", "img", "hr"})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang")
            return
        skipped = bool(self._stack and self._stack[-1][1]) or tag in ("script", "style") or (
            found.get("lang") is not None and found.get("lang") != self.lang)
        if not skipped:
            self.parts += [str(found[a]) for a in READ_ATTRIBUTES if found.get(a)]
            if tag == "input" and found.get("type") in ("submit", "button") and found.get("value"):
                self.parts.append(str(found["value"]))
        if tag not in self.VOID:
            self._stack.append((tag, skipped))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if not (self._stack and self._stack[-1][1]):
            self.parts.append(data)


def visible(html: str) -> tuple[str | None, str]:
    """(the page's `<html lang>`, the text a person reads on it)."""
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return parser.lang, " ".join(" ".join(parser.parts).split())


def workbook_strings(path: Path) -> set[str]:
    """Every value of every sheet of a workbook as text, and its sheet names: the data a page
    about it shows."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        found = set(book.sheetnames)
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                found |= {str(v).strip() for v in row if v is not None and str(v).strip()}
    finally:
        book.close()
    return found


def upload_names(out_dir: Path, inbox: Path) -> set[str]:
    """What the pages show of the web uploads that is random, not words: each upload's id
    (`secrets.token_urlsafe`, on the operator's overview) and its name in the inbox, which holds
    the id (`20261207-081512-<id>-voorbeeld-fouten.xlsx`, on a run's page). Their letters can
    spell "on" or "of"."""
    import sqlite3

    names = {text for path in inbox.rglob("*")
             for text in (path.name, path.relative_to(inbox).as_posix())}
    web_db = out_dir / "web" / "web.sqlite"
    if web_db.exists():
        with sqlite3.connect(web_db) as db:
            names |= {row[0] for row in db.execute("SELECT id FROM web_uploads")}
    return names
