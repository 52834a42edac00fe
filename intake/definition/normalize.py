"""Turn raw cell values into the text the user sees and the normalised value the rules check.

Only what is unambiguous is normalised: surrounding spaces, integral numbers (`8106625.0`),
case, separators in numbers people type with dots and hyphens, Excel booleans and the usual
spellings of Ja/Nee and the payroll periods. A change beyond spacing and case (an `NL` prefix,
a lost leading zero) is reported as a warning by the caller.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable

#: Spaces people paste around values: ordinary, non-breaking, figure and narrow no-break.
SPACES = " \u00a0\u2007\u202f"
#: Every character Python's str.strip() takes (str.isspace()), for the vectorised normalisers.
PY_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
#: Zero-width characters are invisible in a number: removing them changes nothing one sees.
_SEPARATORS = re.compile(r"[\s\u00a0\u2007\u202f\u200b-\u200d\u2060\ufeff.\-_/]+")
_WHITESPACE = re.compile(r"[\s\u00a0\u2007\u202f\u200b-\u200d\u2060\ufeff]+")
#: From here on a number's digits are past what a float holds exactly (2**53): written out in
#: full, 1E+308 would show 309 digits no one typed (Excel keeps 15).
_EXACT = float(2**53)


def display(raw: object) -> str:
    """The value as the user typed or sees it, as text ("" for an empty cell)."""
    if type(raw) is str:
        return raw
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float):
        if abs(raw) >= _EXACT and math.isfinite(raw):
            return format(raw, ".15G")  # as Excel shows it: 1E+308, not 309 digits
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, (dt.datetime, dt.date, dt.time)):
        return raw.isoformat()
    return str(raw)


def text(raw: object) -> str | None:
    """A name or address: spaces around it removed (leading tabs and line breaks are kept:
    the formula-text rule must see them)."""
    shown = display(raw).lstrip(SPACES).rstrip()
    return shown or None


def compact(raw: object) -> str | None:
    """A number typed as text: every space, non-breaking or zero-width space removed."""
    text = display(raw)
    if text.isascii() and text.isdigit():
        return text  # the common case, without a regular expression
    text = _WHITESPACE.sub("", text)
    return text or None


def contract(raw: object) -> str | None:
    """A contract number: separators removed, upper case."""
    text = display(raw)
    if not (text.isascii() and text.isalnum()):
        text = _SEPARATORS.sub("", text)
    return text.upper() or None


def lookup(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Every spelling (spaces folded) → its canonical value."""
    return {" ".join(s.split()): canonical for canonical, spellings in table.items()
            for s in (canonical, *spellings)}


def choice(table: dict[str, str]) -> Callable[[object], str | None]:
    """A normaliser for a closed list: Excel booleans are ja/nee, spellings map through
    `table`, anything else is kept folded (and fails its check)."""

    def normalise(raw: object) -> str | None:
        if isinstance(raw, bool):
            return "ja" if raw else "nee"
        text = " ".join(display(raw).replace("\u00a0", " ").casefold().split())
        if not text:
            return None
        return table.get(text, text)

    return normalise


_LHN_NL_PREFIX = re.compile(r"^NL([0-9]{9}[A-Z][0-9]{2})$")
_LHN_SHORT = re.compile(r"^([0-9]{7,8})L([0-9]{2})$")


def loonheffingennummer(raw: object) -> tuple[str | None, tuple[str, str] | None]:
    """The normalised loonheffingennummer and, if it changed beyond separators and case, how
    (in Dutch and in English)."""
    text = display(raw)
    if not (text.isascii() and text.isalnum()):
        text = _SEPARATORS.sub("", text)
    text = text.upper()
    if not text:
        return None, None
    nl: list[str] = []
    en: list[str] = []
    prefixed = _LHN_NL_PREFIX.match(text)
    if prefixed:
        text = prefixed.group(1)
        nl.append("NL weggelaten")
        en.append("NL removed")
    short = _LHN_SHORT.match(text)
    if short:
        missing = 9 - len(short.group(1))
        text = f"{short.group(1).zfill(9)}L{short.group(2)}"
        nl.append(f"{missing} voorloopnul{'len' if missing > 1 else ''} aangevuld")
        en.append(f"{missing} leading zero{'s' if missing > 1 else ''} added")
    return text, ((", ".join(nl), ", ".join(en)) if nl else None)
