"""A problem found in a workbook is a value, never an exception."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from intake.definition.fields import SHEETS, STATUS, Field
from intake.definition.messages import CATALOGUE, Lang, render

Severity = Literal["error", "warning"]
#: Characters of a cell value a finding keeps (the rest is cut, saying how long it was).
MAX_SHOWN_CHARS = 200

# A field name used on two sheets (werkgever_id) takes its texts from the first sheet.
_FIELDS: dict[str, Field] = {f.name: f for spec in reversed((*SHEETS, STATUS))
                             for f in spec.fields}
#: The same name can be a field of two sheets (werkgever_id): its own sheet's help comes first.
_SHEET_FIELDS: dict[tuple[str, str], Field] = {
    (spec.name.casefold(), f.name): f for spec in (*SHEETS, STATUS) for f in spec.fields}


#: What a finding about a sheet's layout points to: the template of a bureau's workbook, or
#: for the status file (which has no template) its published description; nl, en.
_STATUS_SHEET = STATUS.name.casefold()
TEMPLATE = {
    False: ("het sjabloon van a.s.r. (werkgevers-aanmelding.xlsx)",
            "a.s.r.'s template (werkgevers-aanmelding.xlsx)"),
    True: ("de beschrijving van het statusbestand (status.schema.json)",
           "the status file's description (status.schema.json)"),
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding: what (code), how bad (severity), where (sheet, row, column) and the value.

    `row` is the Excel row number and `column` the Excel column letter, exactly as the user sees
    them; file- and sheet-level findings leave them None.
    """

    code: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    field: str | None = None
    value: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    #: texts() by language, made once: report.json, report.html, the notes and the Controle
    #: sheet each ask for them.
    _texts: dict[str, tuple[str, str, str]] = dataclasses.field(  # (a field is named "field")
        default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise ValueError(f"unknown finding code {self.code!r}")
        if self.value is not None and len(self.value) > MAX_SHOWN_CHARS:
            # A 32,767-character cell must not be copied into every report and comment.
            # The length in brackets, without words, so it reads in either language.
            shortened = f"{self.value[:MAX_SHOWN_CHARS]}… [{len(self.value)}]"
            object.__setattr__(self, "value", shortened)

    @property
    def severity(self) -> Severity:
        """The severity belongs to the code: an error rejects its row, a warning never does."""
        return CATALOGUE[self.code].severity

    @property
    def cell(self) -> str | None:
        """The cell address as Excel shows it (`E7`), or None for a file-level finding."""
        if self.row is None or self.column is None:
            return None
        return f"{self.column}{self.row}"

    def message(self, lang: Lang = "nl") -> str:
        """What is wrong, in the given language."""
        return render(self.code, lang, self._context(lang))[0]

    def hint(self, lang: Lang = "nl") -> str:
        """How to fix it, in the given language."""
        return render(self.code, lang, self._context(lang))[1]

    def texts(self, lang: Lang = "nl") -> tuple[str, str, str]:
        """The column label, the message and the fix at once (a report of many findings asks
        for all three of each)."""
        if (made := self._texts.get(lang)) is None:
            context = self._context(lang)
            message, hint = render(self.code, lang, context)
            made = self._texts[lang] = (context["label"] if self.field else ""), message, hint
        return made

    def label(self, lang: Lang = "nl") -> str:
        """The field's column label in the given language ("" for a file-level finding)."""
        return self._context(lang)["label"] if self.field else ""

    def _context(self, lang: Lang) -> dict[str, str]:
        context = {"value": self.value or "", "sheet": self.sheet or "", "label": self.field or "",
                   "template": TEMPLATE[(self.sheet or "").casefold() == _STATUS_SHEET][
                       lang == "en"]}
        spec = _SHEET_FIELDS.get(((self.sheet or "").casefold(), self.field or "")) or (
            _FIELDS.get(self.field or ""))
        if spec is not None:
            context["label"] = spec.label if lang == "nl" else spec.label_en
            context["help"] = spec.help_nl if lang == "nl" else spec.help_en
        context.update(self.params)
        return context

    def to_dict(self, lang: Lang = "nl") -> dict[str, object]:
        """The finding as it appears in report.json."""
        _, message, hint = self.texts(lang)
        return {
            "severity": self.severity,
            "code": self.code,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "cell": self.cell,
            "field": self.field,
            "value": self.value,
            "message": message,
            "hint": hint,
        }
