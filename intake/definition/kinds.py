"""One spec per kind of field: everything a kind of value does, in one place.

A `KindSpec` holds its normalisation (one value, and a whole column vectorised), its ordered checks
(each named by its finding code, with a test on one value and a vectorised polars expression of the
same meaning), its Table Schema constraint, its template drop-down and input format, and the line of
the rules table of docs/integrator.md. A field names its kind (`intake.definition.fields`); the
pandera schema that decides is built from these specs (`intake.validation.rules`), and so are the
published contract (`intake.outputs.contract`) and the template (`intake.outputs.template`).

polars is imported only inside the functions that build expressions, so the template and the
contract never load it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from intake.definition.normalize import (
    PY_WHITESPACE,
    SPACES,
    choice,
    compact,
    contract,
    display,
    lookup,
    loonheffingennummer,
    text,
)

#: The first characters that make a spreadsheet run text as a formula (OWASP CSV injection).
#: A line feed is included: XML turns a typed carriage return into one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: The Raamwerkcontractnummer prefix accepted unless the caller gives others.
DEFAULT_CONTRACT_PREFIXES = ("A020",)

#: Digits are ASCII digits: `\d` would also take Arabic-Indic and other script digits, which
#: the published contract (`[0-9]`) and Loket do not.
LHN_PATTERN = r"^[0-9]{9}L[0-9]{2}$"
CONTRACT_PATTERN = r"^[A-Z]+[0-9]+$"
DIGITS_PATTERN = r"^[0-9]+$"
LHN_RE = re.compile(LHN_PATTERN)
_LHN_BTW = r"^[0-9]{9}B[0-9]{2}$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.]+)?$"
_GUID = r"^\{?[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}\}?$"

#: Invisible characters, by Unicode general category: format characters (Cf: bidirectional
#: controls, zero-width space/joiners, soft hyphen, tag characters, U+180E, the interlinear
#: annotation characters U+FFF9..FFFB …), line and paragraph separators (Zl, Zp), private use
#: (Co) and unassigned code points (Cn). Control characters (Cc) have their own rule.
INVISIBLE_CATEGORIES = frozenset({"Cf", "Zl", "Zp", "Co", "Cn"})
#: Default-ignorable code points outside those categories: the combining grapheme joiner,
#: the Hangul fillers, the Khmer inherent vowels and the variation selectors (Unicode's
#: DerivedCoreProperties, Default_Ignorable_Code_Point). Combining accents (Mn, as in a
#: decomposed "ö") and apostrophes (U+2019, U+02BC, ') stay allowed: a Dutch name needs them.
INVISIBLE_EXTRA = ("\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u3164\ufe00-\ufe0f\uffa0"
                   "\U000e0100-\U000e01ef")
_INVISIBLE_EXTRA = re.compile(f"[{INVISIBLE_EXTRA}]")
_INVISIBLE_POLARS = r"[\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}" + INVISIBLE_EXTRA + "]"

#: Accepted Verloning values (as written to the CSV) and the spellings that mean them.
#: Loket's `payrollPeriodType` knows more periods (week, …); the link accepts only these two.
VERLONING_VALUES: dict[str, tuple[str, ...]] = {
    "maand": ("maand", "maandelijks", "per maand", "mnd", "month", "monthly", "12", "1 maand"),
    "4-weken": (
        "4 weken", "4-weken", "4weken", "vier weken", "4-wekelijks", "4 wekelijks",
        "vierwekelijks", "per 4 weken", "4 weeks", "four weeks", "4-weekly", "13", "4wk",
    ),
}
#: Periods Loket knows but the link does not accept: each gets a specific message.
VERLONING_UNSUPPORTED: tuple[str, ...] = (
    "week", "wekelijks", "per week", "weekly", "2 weken", "2-weken", "twee weken",
    "tweewekelijks", "2-wekelijks", "kwartaal", "per kwartaal", "quarter", "quarterly", "jaar",
    "per jaar", "year", "yearly", "dag", "per dag", "day", "daily", "halfjaar", "52", "26", "4",
)
#: The drop-down values offered in the template, in order; they normalise to VERLONING_VALUES.
VERLONING_CHOICES: tuple[str, ...] = ("Maand", "4 weken")

JA_NEE_VALUES: dict[str, tuple[str, ...]] = {
    "ja": ("ja", "j", "yes", "y", "true", "waar", "1", "x", "wel"),
    "nee": ("nee", "n", "no", "false", "onwaar", "0", "niet", "geen"),
}
JA_NEE_CHOICES: tuple[str, ...] = ("Ja", "Nee")

Expr = Any  # a polars expression (polars is imported lazily)
Params = Callable[[str], dict[str, str]]


@dataclass(frozen=True, eq=False)
class Check:
    """One check on a normalised value, named by its finding code.

    `test(value)` is true when the value passes; `expr(column)` is the same test on a polars
    column expression (vectorised). Both must agree on every value: a property test holds them
    to it. `params(value)` gives the extra message parameters of a finding.
    """

    code: str
    test: Callable[[str], bool]
    expr: Callable[[Expr], Expr]
    describe_nl: str
    describe_en: str
    params: Params = field(default=lambda value: {})
    #: A value this check refuses (a field's own check must give one: the tests build the
    #: finding from it, so that every code of the catalogue is shown to be produced).
    fails_on: str | None = None


@dataclass(frozen=True)
class FieldShape:
    """What of a field its kind's checks and constraints depend on."""

    max_length: int | None


@dataclass(frozen=True, eq=False)
class KindSpec:
    """Everything one kind of field does. Compared by identity: each kind is one object.

    - `normalise(raw)`: the normalised text of one raw cell value (None when empty);
    - `normalise_column(column)`: the same as a polars expression over the cells' display
      texts, or None when the kind normalises per distinct raw value (it needs the raw type);
    - `checks(shape, prefixes)`: the ordered checks after "required";
    - `constraints(shape, prefixes)`: the Table Schema constraints of its CSV column;
    - `choices`, `list_title`: the template's drop-down list (empty: none);
    - `text_format`: the template formats the column as text (leading zeros, long numbers);
    - `free_text`: a name or address, checked for formulas and hidden characters;
    - `readme`: the line for this kind in the rules table of docs/integrator.md (English,
      with the codes);
    - `sample`: a value of this kind every check accepts, for rows that do not name the field
      (the sample workbooks, the tests' fixtures, the benchmarks);
    - `explain_change(raw)`: for a kind that repairs values, how a value was changed beyond
      spacing and case (Dutch, English), reported as a warning; None when it was not.
    """

    name: str
    normalise: Callable[[object], str | None]
    normalise_column: Callable[[Expr], Expr] | None
    checks: Callable[[FieldShape, Sequence[str]], tuple[Check, ...]]
    constraints: Callable[[FieldShape, Sequence[str]], dict[str, Any]]
    readme: str
    sample: str
    choices: tuple[str, ...] = ()
    list_title: str = ""
    text_format: bool = False
    free_text: bool = False
    email_format: bool = False
    explain_change: Callable[[object], tuple[str, str] | None] | None = None

    def __repr__(self) -> str:
        return f"KindSpec({self.name})"


# --- vectorised building blocks ---------------------------------------------------------------


def _pl() -> Any:
    import polars

    return polars


def _matches(pattern: str) -> Callable[[Expr], Expr]:
    return lambda column: column.str.contains(pattern)


def _not_matches(pattern: str) -> Callable[[Expr], Expr]:
    return lambda column: ~column.str.contains(pattern)


def _per_distinct(test: Callable[[str], bool]) -> Callable[[Expr], Expr]:
    """A test that cannot be vectorised (e-mail syntax), run once per distinct value."""

    def expr(column: Expr) -> Expr:
        pl = _pl()

        def batch(series: Any) -> Any:
            good = [v for v in series.drop_nulls().unique().to_list() if test(v)]
            return series.is_in(pl.Series(good, dtype=pl.String).implode())

        return column.map_batches(batch, return_dtype=pl.Boolean)

    return expr


# --- the checks ---------------------------------------------------------------------------------


def _has_invisible(value: str) -> bool:
    return any(unicodedata.category(ch) in INVISIBLE_CATEGORIES for ch in value) or bool(
        _INVISIBLE_EXTRA.search(value))


def first_invisible(value: str) -> str:
    """The first invisible character of `value` as U+XXXX ("" when there is none)."""
    for ch in value:
        if unicodedata.category(ch) in INVISIBLE_CATEGORIES or _INVISIBLE_EXTRA.match(ch):
            return f"U+{ord(ch):04X}"
    return ""


def _has_control(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in value)


def _formula_char(value: str) -> dict[str, str]:
    return {"char": {"\t": "tab", "\r": "CR", "\n": "LF"}.get(value[:1], value[:1])}


def _free_text_checks() -> list[Check]:
    return [
        Check("formula-text", lambda v: not v.startswith(FORMULA_STARTS),
              _not_matches(r"^[=+\-@\t\r\n]"),
              "begint niet met =, +, -, @, tab of regeleinde",
              "does not start with =, +, -, @, tab or line break", _formula_char),
        Check("control-characters", lambda v: not _has_control(v), _not_matches(r"\p{Cc}"),
              "geen besturingstekens", "no control characters"),
        Check("invisible-characters", lambda v: not _has_invisible(v),
              _not_matches(_INVISIBLE_POLARS),
              "geen onzichtbare tekens (opmaak-, richting- of nulbreedtetekens, zachte "
              "afbreekstreepjes, tags)",
              "no invisible characters (format, direction or zero-width characters, soft "
              "hyphens, tags)", lambda v: {"char": first_invisible(v)}),
    ]


def _length(shape: FieldShape) -> list[Check]:
    if shape.max_length is None:
        return []
    limit = shape.max_length
    return [Check("too-long", lambda v: len(v) <= limit,
                  lambda column: column.str.len_chars() <= limit,
                  f"hooguit {limit} tekens", f"at most {limit} characters",
                  lambda v: {"length": str(len(v)), "max": str(limit)})]


@functools.lru_cache(maxsize=65536)
def _email(value: str) -> bool:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _elfproef(value: str) -> bool:
    """python-stdnum's BSN/RSIN checksum on the 9 digits (already known to be 9 digits)."""
    from stdnum.nl import bsn

    digits = value[:9]
    return digits.isascii() and digits.isdigit() and int(digits) > 0 and bsn.checksum(
        digits) == 0


def _elfproef_expr(column: Expr) -> Expr:
    # 9·d1 + 8·d2 + … + 2·d8 - d9 ≡ 0 (mod 11), and not all zeros; only ever reached by
    # values of the right format (an earlier check), but total on any text.
    pl = _pl()
    digit = [column.str.slice(i, 1).cast(pl.Int64, strict=False) for i in range(9)]
    total = sum((9 - i) * digit[i] for i in range(8)) - digit[8] + 11
    return ((total % 11 == 0) & (column.str.slice(0, 9) != "000000000")).fill_null(False)


def _shown_normalised(prefixes: Sequence[str]) -> Params:
    upper = [p.upper() for p in prefixes]
    return lambda v: {"normalised": v, "prefixes": " / ".join(upper), "prefix_example": v[:4]}


def _text_checks(shape: FieldShape, prefixes: Sequence[str]) -> tuple[Check, ...]:
    return (*_free_text_checks(), *_length(shape))


def _email_checks(shape: FieldShape, prefixes: Sequence[str]) -> tuple[Check, ...]:
    return (*_text_checks(shape, prefixes),
            Check("email-invalid", _email, _per_distinct(_email),
                  "geldig e-mailadres (syntaxis, zonder DNS-controle)",
                  "valid e-mail address (syntax, no DNS look-up)"))


def _contract_checks(shape: FieldShape, prefixes: Sequence[str]) -> tuple[Check, ...]:
    upper = tuple(p.upper() for p in prefixes)
    pattern = re.compile(CONTRACT_PATTERN)

    def starts(column: Expr) -> Expr:
        pl = _pl()
        return pl.any_horizontal([column.str.starts_with(p) for p in upper]) if upper \
            else pl.lit(False)

    return (
        Check("contract-format", lambda v: bool(pattern.match(v)), _matches(CONTRACT_PATTERN),
              "letters gevolgd door cijfers, na weglaten van spaties, punten en streepjes",
              "letters then digits, after removing spaces, dots and hyphens"),
        Check("contract-prefix", lambda v: v.startswith(upper), starts,
              f"begint met {' of '.join(upper)} (instelbaar met --contract-prefix)",
              f"starts with {' or '.join(upper)} (set with --contract-prefix)",
              _shown_normalised(prefixes)),
    )


def _lhn_checks(shape: FieldShape, prefixes: Sequence[str]) -> tuple[Check, ...]:
    btw = re.compile(_LHN_BTW)
    return (
        Check("lhn-btw", lambda v: not btw.match(v), _not_matches(_LHN_BTW),
              "geen btw-nummer (B in plaats van L)", "not a VAT number (B instead of L)",
              lambda v: {"suggestion": v[:9] + "L01"}),
        Check("lhn-format", lambda v: bool(LHN_RE.match(v)), _matches(LHN_PATTERN),
              "9 cijfers, L, 2 cijfers", "9 digits, L, 2 digits"),
        Check("lhn-subnumber", lambda v: not v.endswith("L00"),
              lambda column: ~column.str.ends_with("L00"),
              "subnummer 01 tot en met 99", "sub-number 01 to 99", _shown_normalised(prefixes)),
        Check("lhn-elfproef", _elfproef, _elfproef_expr,
              "de 9 cijfers voldoen aan de elfproef", "the 9 digits pass the eleven test",
              _shown_normalised(prefixes)),
    )


def _digits_checks(shape: FieldShape, prefixes: Sequence[str]) -> tuple[Check, ...]:
    date, guid, digits = re.compile(_DATE), re.compile(_GUID), re.compile(DIGITS_PATTERN)
    return (
        Check("date-instead-of-number", lambda v: not date.match(v), _not_matches(_DATE),
              "geen datum", "not a date"),
        Check("guid-instead-of-id", lambda v: not guid.match(v), _not_matches(_GUID),
              "geen GUID uit de Loket-API", "not a GUID from the Loket API"),
        Check("digits-only", lambda v: bool(digits.match(v)), _matches(DIGITS_PATTERN),
              "alleen cijfers", "digits only"),
        *_length(shape),
    )


def _verloning_checks(shape: FieldShape, prefixes: Sequence[str]) -> tuple[Check, ...]:
    unsupported, accepted = list(VERLONING_UNSUPPORTED), list(VERLONING_VALUES)
    return (
        Check("verloning-unsupported", lambda v: v not in VERLONING_UNSUPPORTED,
              lambda column: ~column.is_in(unsupported),
              "geen week, twee weken, kwartaal, jaar of dag",
              "not week, two weeks, quarter, year or day"),
        Check("verloning-invalid", lambda v: v in VERLONING_VALUES,
              lambda column: column.is_in(accepted), "maand of 4-weken", "maand or 4-weken"),
    )


def _ja_nee_checks(shape: FieldShape, prefixes: Sequence[str]) -> tuple[Check, ...]:
    return (Check("ja-nee-invalid", lambda v: v in JA_NEE_VALUES,
                  lambda column: column.is_in(list(JA_NEE_VALUES)), "ja of nee", "ja or nee"),)


# --- the contract constraints -------------------------------------------------------------------

#: Text that a spreadsheet would not run as a formula (Table Schema patterns are anchored).
NO_FORMULA = "[^=+\\-@\\t\\r\\n][\\s\\S]*"


def _max_length(shape: FieldShape) -> dict[str, Any]:
    return {} if shape.max_length is None else {"maxLength": shape.max_length}


def contract_pattern(prefixes: Sequence[str]) -> str:
    """The Table Schema pattern of a Raamwerkcontractnummer with one of `prefixes`."""
    parts = [f"{p}[0-9]*" if p[-1].isdigit() else f"{p}[A-Z]*[0-9]+" for p in prefixes]
    return parts[0] if len(parts) == 1 else "(" + "|".join(parts) + ")"


def _constraint(**fixed: Any) -> Callable[[FieldShape, Sequence[str]], dict[str, Any]]:
    return lambda shape, prefixes: {"required": True, **fixed, **_max_length(shape)}


# --- the vectorised normalisers -----------------------------------------------------------------


def _empty_to_null(column: Expr) -> Expr:
    pl = _pl()
    return pl.when(column == "").then(None).otherwise(column)


def _text_column(column: Expr) -> Expr:
    # Leading tabs and line breaks are kept (the formula-text rule must see them); the end
    # loses what Python's str.rstrip() takes.
    return _empty_to_null(column.str.strip_chars_start(SPACES).str.strip_chars_end(PY_WHITESPACE))


_WS_CLASS = "".join(sorted(set(PY_WHITESPACE) | set("\u00a0\u2007\u202f\u200b\u200c\u200d"
                                                    "\u2060\ufeff")))
_SEPARATOR_RE = "[" + re.escape(_WS_CLASS) + r"._/\-]+"
_WHITESPACE_RE = "[" + re.escape(_WS_CLASS) + "]+"


def _compact_column(column: Expr) -> Expr:
    return _empty_to_null(column.str.replace_all(_WHITESPACE_RE, ""))


def _contract_column(column: Expr) -> Expr:
    return _empty_to_null(column.str.replace_all(_SEPARATOR_RE, "").str.to_uppercase())


def _lhn_column(column: Expr) -> Expr:
    pl = _pl()
    c = column.str.replace_all(_SEPARATOR_RE, "").str.to_uppercase()
    c = c.str.replace(r"^NL([0-9]{9}[A-Z][0-9]{2})$", "$1")
    short = r"^([0-9]{7,8})L([0-9]{2})$"
    padded = c.str.extract(short, 1).str.zfill(9) + "L" + c.str.extract(short, 2)
    return _empty_to_null(pl.when(c.str.contains(short)).then(padded).otherwise(c))


def _lhn_change(raw: object) -> tuple[str, str] | None:
    value, change = loonheffingennummer(raw)
    return change if LHN_RE.match(value or "") else None


# --- the kinds ----------------------------------------------------------------------------------

_VERLONING = lookup(VERLONING_VALUES)
_JA_NEE = lookup(JA_NEE_VALUES)

TEXT = KindSpec(
    name="text", normalise=text, normalise_column=_text_column, checks=_text_checks,
    constraints=_constraint(pattern=NO_FORMULA), free_text=True,
    sample="Voorbeeld",
    readme="no text a spreadsheet would run as a formula: starting with `=`, `+`, `-`, `@`, "
    "tab or a line break (`formula-text`); no control characters such as NUL or a line break "
    "(`control-characters`); no invisible characters (Unicode format characters such as U+202E, "
    "U+200B, a soft hyphen U+00AD or tag characters; line and paragraph separators, private use "
    "and unassigned code points) (`invisible-characters`)",
)
EMAIL = KindSpec(
    name="email", normalise=text, normalise_column=_text_column, checks=_email_checks,
    constraints=_constraint(pattern=NO_FORMULA), free_text=True, email_format=True,
    sample="salaris@voorbeeld.nl",
    readme="as names, then e-mail syntax, no DNS look-up (`email-invalid`)",
)
CONTRACT = KindSpec(
    name="contract", normalise=contract, normalise_column=_contract_column,
    checks=_contract_checks,
    constraints=lambda shape, prefixes: {"required": True, "pattern": contract_pattern(prefixes),
                                         **_max_length(shape)},
    text_format=True,
    sample="A020000001",
    readme="case, spaces, dots and hyphens normalised; letters then digits (`contract-format`); "
    "starts with an accepted prefix (`contract-prefix`)",
)
LOONHEFFINGENNUMMER = KindSpec(
    name="loonheffingennummer", normalise=lambda raw: loonheffingennummer(raw)[0],
    normalise_column=_lhn_column, checks=_lhn_checks,
    constraints=_constraint(pattern="[0-9]{9}L(0[1-9]|[1-9][0-9])"), text_format=True,
    explain_change=_lhn_change,
    sample="810662504L01",
    readme="case, spaces, dots, hyphens normalised; an `NL` prefix or lost leading zeros "
    "repaired with a warning (`lhn-normalised`); a `B` number is a btw number (`lhn-btw`); "
    "9 digits + `L` + 2 digits (`lhn-format`); subnumber 01–99 (`lhn-subnumber`); "  # noqa: RUF001
    "elfproef on "
    "the 9 digits (`lhn-elfproef`)",
)
DIGITS = KindSpec(
    name="digits", normalise=compact, normalise_column=_compact_column, checks=_digits_checks,
    constraints=_constraint(pattern="[0-9]+"), text_format=True,
    sample="1234567",
    readme="spaces, non-breaking and zero-width spaces are removed; a number Excel turned into "
    "a date gets its own message (`date-instead-of-number`); a pasted Loket API GUID too "
    "(`guid-instead-of-id`); digits 0-9 only (`digits-only`)",
)
VERLONING = KindSpec(
    name="verloning", normalise=choice(_VERLONING), normalise_column=None,
    checks=_verloning_checks, constraints=_constraint(enum=list(VERLONING_VALUES)),
    choices=VERLONING_CHOICES, list_title="Verloning",
    sample="Maand",
    readme="`maand` or `4-weken` after synonyms (maandelijks, 12, vier weken, 13 …); week, "
    "kwartaal, jaar … are not supported by the link (`verloning-unsupported`); anything else "
    "(`verloning-invalid`)",
)
JA_NEE = KindSpec(
    name="ja_nee", normalise=choice(_JA_NEE), normalise_column=None, checks=_ja_nee_checks,
    constraints=_constraint(enum=list(JA_NEE_VALUES)), choices=JA_NEE_CHOICES,
    list_title="Ja/Nee",
    sample="Nee",
    readme="Ja/Nee after synonyms (j/n, yes/no, true/false, waar/onwaar, 1/0, x, Excel "
    "booleans) (`ja-nee-invalid`)",
)

#: Every kind, in the order the rules table and the template's lists show them.
KINDS: tuple[KindSpec, ...] = (TEXT, EMAIL, CONTRACT, LOONHEFFINGENNUMMER, DIGITS, VERLONING,
                               JA_NEE)


def normalise(kind: KindSpec, raw: object) -> str | None:
    """The normalised value of `raw` for a field of `kind`; None for an empty cell."""
    return kind.normalise(raw)


# --- the kinds of the status file (a.s.r.'s and Keylane's, not the template's) ----------------


@functools.cache
def _state_table() -> dict[str, str]:
    from intake.definition.registration import SPELLINGS

    return lookup({str(state): spellings for state, spellings in SPELLINGS.items()})


def _states() -> list[str]:
    from intake.definition.registration import State

    return [str(s) for s in State]


def _state_checks(shape: FieldShape, prefixes: Sequence[str]) -> tuple[Check, ...]:
    states = _states()
    return (Check("state-invalid", lambda v: v in states, lambda column: column.is_in(states),
                  "een van " + ", ".join(states), "one of " + ", ".join(states)),)


_DMY = re.compile(r"^([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})$")
_YMD = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
#: The time after a date in a date-time as systems export it (2027-01-15 00:00:00).
_TIME = re.compile(r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?")


def day(raw: object) -> str | None:
    """A date as YYYY-MM-DD: an Excel date, ISO text (also 2027-1-5, and a date-time as systems
    export it: 2027-01-15 00:00:00), or the Dutch day-month-year (1-12-2026, 01/12/2026,
    1.12.2026); anything else is kept as text (and fails its check)."""
    import datetime as dt

    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    shown = " ".join(display(raw).split())
    if not shown:
        return None
    if _ISO_DAY.match(shown[:10]) and ("T" in shown or (
            shown[10:11] == " " and _TIME.fullmatch(shown[11:]))):
        shown = shown[:10]  # a date-time: its day
    if found := _DMY.match(shown):
        d, m, y = (int(g) for g in found.groups())
    elif found := _YMD.match(shown):
        y, m, d = (int(g) for g in found.groups())
    if found:
        try:
            return dt.date(y, m, d).isoformat()
        except ValueError:
            return shown
    return shown


#: The Excel date numbers taken as a day, per date system (False: the 1900 count, True: the
#: 1904 count of `<workbookPr date1904="1"/>`), first and last. Both end at 31-12-9999, the last
#: day Excel can show; a larger number is no date in any spreadsheet program. The 1900 count
#: starts at 61 (1-3-1900), not 1: below it Excel counts 29-2-1900, a day that never was (Lotus
#: 1-2-3's leap-year error, kept for compatibility), so 1 to 59 are a day off from what
#: LibreOffice makes of them and 60 is no day at all; no registration is that old, and from 61
#: on every program agrees. The 1904 count starts at 0 (1-1-1904) and has no such day.
EXCEL_DAYS: dict[bool, tuple[int, int]] = {False: (61, 2_958_465), True: (0, 2_957_003)}


def excel_day(number: float, date1904: bool = False) -> str | None:
    """The day (YYYY-MM-DD) an Excel date number stands for in its workbook's date system (a
    fraction, the time of day, is dropped), or None when it stands for none (`EXCEL_DAYS`)."""
    import datetime as dt
    import math

    first, last = EXCEL_DAYS[date1904]
    if not (math.isfinite(number) and first <= number < last + 1):
        return None
    epoch = dt.date(1904, 1, 1) if date1904 else dt.date(1899, 12, 30)
    return (epoch + dt.timedelta(days=int(number))).isoformat()


def _is_day(value: str) -> bool:
    import datetime as dt

    if not _ISO_DAY.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _date_checks(shape: FieldShape, prefixes: Sequence[str]) -> tuple[Check, ...]:
    return (Check("date-invalid", _is_day, _per_distinct(_is_day),
                  "een datum (JJJJ-MM-DD of DD-MM-JJJJ)", "a date (YYYY-MM-DD or DD-MM-YYYY)"),)


STATE = KindSpec(
    name="state", normalise=lambda raw: choice(_state_table())(raw), normalise_column=None,
    checks=_state_checks,
    constraints=lambda shape, prefixes: {"required": True, "enum": _states()},
    sample="live",
    readme="one of delivered, completed, setup, live, refused, after Dutch spellings "
    "(aangevuld, in inrichting, afgewezen …) (`state-invalid`)",
)
DATE = KindSpec(
    name="date", normalise=day, normalise_column=None, checks=_date_checks,
    constraints=_constraint(pattern="[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    sample="2027-01-01",
    readme="an Excel date (in a workbook also a plain number, as Excel's date number: "
    "`date-number-invalid` when it is none), YYYY-MM-DD or DD-MM-YYYY (`date-invalid`)",
)
#: The kinds of the status file only (not in the template's rules table or lists).
STATUS_KINDS: tuple[KindSpec, ...] = (STATE, DATE)
