"""The one base of every error that stops work: its exit code and its message per language.

A problem found in the data is a `Finding`, never an exception. An exception is for "this cannot
go on": a file that cannot be read, a limit, a ledger that is damaged, a folder that cannot be
written. The CLI turns any `IntakeError` into one line on stderr and its `exit_code`.
"""

from __future__ import annotations

from typing import Self

from intake.definition.messages import Lang


class IntakeError(Exception):
    """Work cannot go on. `code` is stable (for report.json, the ledger and logs); `nl`/`en` say
    what is wrong and what to do, in one line each."""

    exit_code: int = 2
    code: str = "error"

    def __init__(self, nl: str, en: str | None = None, *, code: str | None = None) -> None:
        super().__init__(en or nl)
        self.nl = nl
        self.en = en or nl
        if code is not None:
            self.code = code

    @classmethod
    def stop(cls, code: str, **params: object) -> Self:
        """The error `code` of the catalogue (`messages.STOPS`), its placeholders filled in."""
        from intake.definition.messages import STOPS

        texts = STOPS[code]
        return cls(texts["nl"].format(**params), texts["en"].format(**params), code=code)

    def message(self, lang: Lang = "nl") -> str:
        """The one line a person reads, in `lang`."""
        return self.nl if lang == "nl" else self.en
