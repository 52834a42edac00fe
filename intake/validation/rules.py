"""The cell rules: a pandera schema (polars backend) built from the kinds' checks decides.

Every field's chain is its kind's ordered checks (`intake.definition.kinds`) after "required". The
schema has one column per field with one vectorised pandera `Check` per check, named by its finding
code; it is run lazily, so every failing cell of every check comes back as a failure case. A cell is
reported for the first check of its chain it fails only (a value that is not a loonheffingennummer
at all does not also get an elfproef message): of a cell's failure cases the one earliest in the
chain is kept, and a null ("not_nullable") is "required".

`first_failure` runs a chain on one value with the checks' scalar tests: the reference the tests
hold the schema to. pandera and polars are imported only when a schema is built or run, so
`intake --help`, `template` and `schema` never load them.
Rules across rows and sheets are in `intake.validation.crosschecks`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from intake.definition.fields import Field, SheetSpec
from intake.definition.findings import Finding
from intake.definition.kinds import (
    DEFAULT_CONTRACT_PREFIXES,
    FORMULA_STARTS,
    LHN_RE,
    Check,
    FieldShape,
)

__all__ = ["DEFAULT_CONTRACT_PREFIXES", "FORMULA_STARTS", "LHN_RE", "Check", "Rule",
           "cell_failures", "first_failure", "pandera_schema", "rules_for", "to_findings"]

#: The name a check had before it was a kind's: one check on a normalised value.
Rule = Check
#: pandera's name for a null in a column that is not nullable.
_NOT_NULLABLE = "not_nullable"


def rules_for(f: Field, contract_prefixes: Sequence[str] = DEFAULT_CONTRACT_PREFIXES,
              ) -> tuple[Check, ...]:
    """The ordered checks for field `f`, besides 'required' which applies to every field: its
    kind's, then its own."""
    return (*f.kind.checks(FieldShape(max_length=f.max_length), contract_prefixes), *f.checks)


def first_failure(rules: Sequence[Check], value: str | None) -> str | None:
    """The code of the first rule `value` fails ("required" when empty), or None."""
    if value is None:
        return "required"
    for rule in rules:
        if not rule.test(value):
            return rule.code
    return None


def _pandera_check(check: Check) -> Any:
    import pandera.polars as pa
    import polars as pl

    def run(data: Any) -> Any:
        return data.lazyframe.select(check.expr(pl.col(data.key)))

    return pa.Check(run, name=check.code)


def load_engine_in_background() -> None:
    """Start importing polars and pandera (about a second) in a thread of its own.

    Called while python-calamine parses a sheet: the parser lets go of the interpreter, so the
    import costs no time of its own. Nothing else is imported meanwhile by the caller, and the
    first use waits for the import to finish (the import system's module locks).
    """
    import sys
    import threading

    def load() -> None:
        try:
            import pandera.polars  # noqa: F401
            import polars  # noqa: F401
        except BaseException:
            return

    if "pandera.polars" not in sys.modules:
        threading.Thread(target=load, name="load-engine", daemon=True).start()


def pandera_schema(spec: SheetSpec, present: Sequence[str] | None = None,
                   contract_prefixes: Sequence[str] = DEFAULT_CONTRACT_PREFIXES) -> Any:
    """The cell rules of `spec` as a pandera (polars) DataFrameSchema over normalised values.

    Check names are the finding codes; a null is reported by pandera as "not_nullable" (our
    "required"). Only the columns in `present` (all by default) are included.
    """
    import pandera.polars as pa
    import polars as pl

    columns = {f.name: pa.Column(pl.String, nullable=not f.required, checks=[
        _pandera_check(c) for c in rules_for(f, contract_prefixes)])
               for f in spec.fields if present is None or f.name in present}
    return pa.DataFrameSchema(columns, name=spec.name)


def cell_failures(spec: SheetSpec, values: Mapping[str, Sequence[str | None]],
                  contract_prefixes: Sequence[str] = DEFAULT_CONTRACT_PREFIXES,
                  ) -> list[tuple[int, str, str]]:
    """The schema of `spec` over the normalised columns `values`: (position, field, code) for
    every failing cell, the first failing check of its chain only, in column then row order."""
    import pandera.polars as pa
    import polars as pl

    if not values:
        return []
    frame = pl.DataFrame([pl.Series(name, column, dtype=pl.String)
                          for name, column in values.items()])
    try:
        pandera_schema(spec, list(values), contract_prefixes).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return []
    chain = {name: {"required": -1} | {c.code: i for i, c in
                                       enumerate(rules_for(spec.field(name), contract_prefixes))}
             for name in values}
    cases = cases.filter(pl.col("index").is_not_null()).select(
        "column", "index",
        pl.when(pl.col("check") == _NOT_NULLABLE).then(pl.lit("required"))
        .otherwise(pl.col("check")).alias("code"))
    order = pl.DataFrame(
        [(name, code, rank) for name, codes in chain.items() for code, rank in codes.items()],
        schema={"column": pl.String, "code": pl.String, "rank": pl.Int64}, orient="row")
    unexpected = cases.join(order, on=["column", "code"], how="anti")
    if len(unexpected):  # a schema-level failure no check of ours names: never hide it
        raise RuntimeError(f"pandera reported {unexpected.head(3).rows()}")
    first = (cases.join(order, on=["column", "code"]).sort("rank")
             .unique(subset=["column", "index"], keep="first"))
    position = {name: n for n, name in enumerate(values)}
    rows = sorted(first.select("column", "index", "code").iter_rows(),
                  key=lambda r: (position[r[0]], r[1]))
    return [(int(index), name, code) for name, index, code in rows]


def to_findings(spec: SheetSpec, sheet: str, rows: Sequence[int], columns: Mapping[str, str],
                failures: Sequence[tuple[int, str, str]], shown: Mapping[str, Sequence[str]],
                normalised: Mapping[str, Sequence[str | None]],
                contract_prefixes: Sequence[str]) -> list[Finding]:
    """Turn (position, field, code) failures into findings with Excel addresses."""
    checks = {name: {c.code: c for c in rules_for(spec.field(name), contract_prefixes)}
              for name in {name for _, name, _ in failures}}
    findings = []
    for position, name, code in failures:
        value = normalised[name][position] or ""
        check = checks[name].get(code)
        params = check.params(value) if check is not None else {}
        findings.append(Finding(code, sheet=sheet, row=rows[position], column=columns[name],
                                field=name, value=shown[name][position],
                                params=tuple(params.items())))
    return findings
