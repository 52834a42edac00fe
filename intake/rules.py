"""The rules for single cells, per kind of field: one ordered chain of checks per field.

A cell is reported for the first check of its chain it fails only (a value that is not a
loonheffingennummer at all does not also get an elfproef message); an empty cell fails
"required". `first_failure` runs a chain on one value; `cell_failures` runs every field's chain
over a sheet, once per distinct value (columns repeat a lot: periods, Ja/Nee, bureau names).

The same chains are also published as a pandera DataFrameSchema (`pandera_schema`), whose check
names are the finding codes, for consumers who validate DataFrames; a test proves the schema and
the engine find the same cells. The engine does not run through pandera: profiled on a
10-employer workbook, importing pandas and pandera and pandera's first validate took 1.7 of the
2.0 s, and at 100,000 rows its element-wise checks called the same Python functions with more
overhead (the README's Performance section has the figures since).
Rules across rows and sheets are in `intake.crosschecks`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from intake.fields import VERLONING_UNSUPPORTED, VERLONING_VALUES, Field, Kind, SheetSpec
from intake.findings import Finding

#: The first characters that make a spreadsheet run text as a formula (OWASP CSV injection).
#: A line feed is included: XML turns a typed carriage return into one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: The Raamwerkcontractnummer prefix accepted unless the caller gives others.
DEFAULT_CONTRACT_PREFIXES = ("A020",)

LHN_PATTERN = r"^\d{9}L\d{2}$"
CONTRACT_PATTERN = r"^[A-Z]+\d+$"
DIGITS_PATTERN = r"^\d+$"
LHN_RE = re.compile(LHN_PATTERN)
_LHN_BTW = re.compile(r"^\d{9}B\d{2}$")
_CONTRACT = re.compile(CONTRACT_PATTERN)
_DIGITS = re.compile(DIGITS_PATTERN)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T[\d:.]+)?$")
#: C0 control characters and DEL; leading tab/CR/LF are reported as formula-text first.
_CONTROL = re.compile("[\x00-\x1f\x7f]")
#: Bidirectional overrides and isolates, marks, and zero-width characters.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u061c]")
_GUID = re.compile(r"^\{?[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}\}?$")


@dataclass(frozen=True)
class Rule:
    """One check on a normalised value: it holds when `test(value)` is true."""

    code: str
    test: Callable[[str], bool]
    describe_nl: str
    describe_en: str


def _elfproef(value: str) -> bool:
    """python-stdnum's BSN/RSIN checksum on the 9 digits (already known to be 9 digits)."""
    from stdnum.nl import bsn

    digits = value[:9]
    return int(digits) > 0 and bsn.checksum(digits) == 0


@functools.lru_cache(maxsize=65536)
def _email(value: str) -> bool:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _no_formula(value: str) -> bool:
    return not value.startswith(FORMULA_STARTS)


def rules_for(f: Field, contract_prefixes: Sequence[str] = DEFAULT_CONTRACT_PREFIXES,
              ) -> tuple[Rule, ...]:
    """The ordered checks for field `f`, besides 'required' which applies to every field."""
    text_rules: list[Rule] = [
        Rule("formula-text", _no_formula,
             "begint niet met =, +, -, @, tab of regeleinde",
             "does not start with =, +, -, @, tab or line break"),
        Rule("control-characters", lambda v: not _CONTROL.search(v),
             "geen besturingstekens", "no control characters"),
        Rule("invisible-characters", lambda v: not _INVISIBLE.search(v),
             "geen onzichtbare richting- of nulbreedtetekens",
             "no invisible direction or zero-width characters"),
    ]
    length_rules: list[Rule] = []
    if f.max_length is not None:
        limit = f.max_length
        length_rules.append(Rule("too-long", lambda v: len(v) <= limit,
                                 f"hooguit {limit} tekens", f"at most {limit} characters"))
    text_rules += length_rules
    prefixes = tuple(p.upper() for p in contract_prefixes)
    by_kind: dict[Kind, list[Rule]] = {
        Kind.TEXT: text_rules,
        Kind.EMAIL: [*text_rules, Rule("email-invalid", _email,
                                       "geldig e-mailadres (syntaxis, zonder DNS-controle)",
                                       "valid e-mail address (syntax, no DNS look-up)")],
        Kind.CONTRACT: [
            Rule("contract-format", lambda v: bool(_CONTRACT.match(v)),
                 "letters gevolgd door cijfers, na weglaten van spaties, punten en streepjes",
                 "letters then digits, after removing spaces, dots and hyphens"),
            Rule("contract-prefix", lambda v: v.startswith(prefixes),
                 f"begint met {' of '.join(prefixes)} (instelbaar met --contract-prefix)",
                 f"starts with {' or '.join(prefixes)} (set with --contract-prefix)"),
        ],
        Kind.LOONHEFFINGENNUMMER: [
            Rule("lhn-btw", lambda v: not _LHN_BTW.match(v),
                 "geen btw-nummer (B in plaats van L)", "not a VAT number (B instead of L)"),
            Rule("lhn-format", lambda v: bool(LHN_RE.match(v)),
                 "9 cijfers, L, 2 cijfers", "9 digits, L, 2 digits"),
            Rule("lhn-subnumber", lambda v: not v.endswith("L00"),
                 "subnummer 01 tot en met 99", "sub-number 01 to 99"),
            Rule("lhn-elfproef", _elfproef,
                 "de 9 cijfers voldoen aan de elfproef", "the 9 digits pass the eleven test"),
        ],
        Kind.DIGITS: [
            Rule("date-instead-of-number", lambda v: not _DATE.match(v),
                 "geen datum", "not a date"),
            Rule("guid-instead-of-id", lambda v: not _GUID.match(v),
                 "geen GUID uit de Loket-API", "not a GUID from the Loket API"),
            Rule("digits-only", lambda v: bool(_DIGITS.match(v)),
                 "alleen cijfers", "digits only"),
            *length_rules,
        ],
        Kind.VERLONING: [
            Rule("verloning-unsupported", lambda v: v not in VERLONING_UNSUPPORTED,
                 "geen week, twee weken, kwartaal, jaar of dag",
                 "not week, two weeks, quarter, year or day"),
            Rule("verloning-invalid", lambda v: v in VERLONING_VALUES,
                 "maand of 4-weken", "maand or 4-weken"),
        ],
        Kind.JA_NEE: [
            Rule("ja-nee-invalid", lambda v: v in ("ja", "nee"), "ja of nee", "ja or nee"),
        ],
    }
    return tuple(by_kind[f.kind])


def _chained(rules: Sequence[Rule], index: int) -> Callable[[str], bool]:
    earlier = [r.test for r in rules[:index]]
    test = rules[index].test

    def check(value: str) -> bool:
        return not all(t(value) for t in earlier) or test(value)

    return check


def pandera_schema(spec: SheetSpec, present: Sequence[str] | None = None,
                   contract_prefixes: Sequence[str] = DEFAULT_CONTRACT_PREFIXES) -> Any:
    """The cell rules of `spec` as a pandera DataFrameSchema over normalised values.

    Check names are the finding codes; a null is reported by pandera as "not_nullable"
    (our "required"). pandera (and pandas) are imported only when this is called.
    """
    import pandera.pandas as pa

    columns = {}
    for f in spec.fields:
        if present is not None and f.name not in present:
            continue
        rules = rules_for(f, contract_prefixes)
        checks = [pa.Check(_chained(rules, i), element_wise=True, name=r.code)
                  for i, r in enumerate(rules)]
        columns[f.name] = pa.Column(object, nullable=False, checks=checks)
    return pa.DataFrameSchema(columns, coerce=False)


def first_failure(rules: Sequence[Rule], value: str | None) -> str | None:
    """The code of the first rule `value` fails ("required" when empty), or None."""
    if value is None:
        return "required"
    for rule in rules:
        if not rule.test(value):
            return rule.code
    return None


def quick_pass(f: Field, contract_prefixes: Sequence[str] = DEFAULT_CONTRACT_PREFIXES,
               ) -> Callable[[str], bool] | None:
    """A cheap test that a value certainly passes every rule of `f`'s chain, or None.

    Only a shortcut for the common case: a value it does not vouch for goes through the chain.
    A property test checks that whatever it passes, the chain passes too.
    """
    limit = f.max_length or 10**9
    if f.kind is Kind.TEXT:
        # isprintable() is False for control characters and for the invisible format
        # characters (Cf) the chain rejects, so a printable value needs no regex.
        return lambda v: v.isprintable() and not v.startswith(FORMULA_STARTS) and len(v) <= limit
    if f.kind is Kind.DIGITS:
        return lambda v: v.isascii() and v.isdigit() and len(v) <= limit
    if f.kind is Kind.LOONHEFFINGENNUMMER:
        return lambda v: (len(v) == 12 and v[9] == "L" and v.isascii() and v[:9].isdigit()
                          and v[10:].isdigit() and v[10:] != "00" and _elfproef(v))
    if f.kind is Kind.CONTRACT:
        # Letters then digits and an accepted prefix: for a prefix ending in a digit, only
        # digits may follow it.
        digit_prefixes = tuple(p.upper() for p in contract_prefixes if p[-1:].isdigit())
        return lambda v: (v.isascii() and v.startswith(digit_prefixes)
                          and v[next(len(p) for p in digit_prefixes if v.startswith(p)):]
                          .isdigit())
    return None


def column_failures(f: Field, column: Sequence[str | None],
                    contract_prefixes: Sequence[str] = DEFAULT_CONTRACT_PREFIXES,
                    ) -> list[tuple[int, str]]:
    """Run `f`'s chain over a column of normalised values, once per distinct value.

    Returns (position, code) for every failing cell.
    """
    rules = rules_for(f, contract_prefixes)
    quick = quick_pass(f, contract_prefixes)
    codes = {value: None if quick and value is not None and quick(value)
             else first_failure(rules, value) for value in dict.fromkeys(column)}
    if not any(codes.values()):
        return []
    return [(position, code) for position, value in enumerate(column)
            if (code := codes[value]) is not None]


def cell_failures(spec: SheetSpec, values: Mapping[str, Sequence[str | None]],
                  contract_prefixes: Sequence[str] = DEFAULT_CONTRACT_PREFIXES,
                  ) -> list[tuple[int, str, str]]:
    """Every field's chain over its column: (position, field, code) for every failing cell."""
    return [(position, name, code) for name, column in values.items()
            for position, code in column_failures(spec.field(name), column, contract_prefixes)]


def params_for(code: str, value: str, f: Field,
               contract_prefixes: Sequence[str]) -> dict[str, str]:
    """The extra message parameters a finding with `code` on normalised `value` needs."""
    if code == "formula-text":
        return {"char": {"\t": "tab", "\r": "CR", "\n": "LF"}.get(value[:1], value[:1])}
    if code == "too-long":
        return {"length": str(len(value)), "max": str(f.max_length)}
    if code in ("contract-prefix", "lhn-subnumber", "lhn-elfproef"):
        prefixes = [p.upper() for p in contract_prefixes]
        return {"normalised": value, "prefixes": " / ".join(prefixes),
                "prefix_example": value[:4]}
    if code == "lhn-btw":
        return {"suggestion": value[:9] + "L01"}
    return {}


def to_findings(spec: SheetSpec, sheet: str, rows: Sequence[int], columns: Mapping[str, str],
                failures: Sequence[tuple[int, str, str]], shown: Mapping[str, Sequence[str]],
                normalised: Mapping[str, Sequence[str | None]],
                contract_prefixes: Sequence[str]) -> list[Finding]:
    """Turn (position, field, code) failures into findings with Excel addresses."""
    findings = []
    for position, name, code in failures:
        value = normalised[name][position] or ""
        params = params_for(code, value, spec.field(name), contract_prefixes)
        findings.append(Finding(code, sheet=sheet, row=rows[position], column=columns[name],
                                field=name, value=shown[name][position],
                                params=tuple(params.items())))
    return findings
