"""Fuzzing the reader, the rules and the feedback writer: any input gives a report or a clear
refusal, never an exception; the counts add up; what is accepted obeys the published contract."""

from __future__ import annotations

import datetime as dt
import random
import re
import zipfile
from pathlib import Path

import pytest
from fuzzformats import FORMATS, campaign, mutate_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.definition.fields import DGA, WERKGEVERS
from intake.outputs.contract import table_schema
from intake.outputs.export import accepted_rows
from intake.outputs.feedback import write_feedback
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill
from intake.validation.reader import UnreadableWorkbook
from intake.validation.validate import validate_workbook

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
# openpyxl refuses the control characters XML cannot hold (those are tested in test_hostile).
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                      blacklist_characters="".join(map(chr, range(32)))
                                      + "\x7f"), max_size=30)
CELL = st.one_of(
    st.none(), TEXT, st.integers(-10**12, 10**12), st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.sampled_from(["Ja", "nee", "x", "Maand", "4 weken", "week", "810662504L01",
                     "123456789L01", "A020123456", "8106625", "salaris@detelling.nl",
                     "=1+1", "+31", "@x", " 8106625 ", "nl810662504l01"]),
)
ROW = st.lists(CELL, min_size=len(WERKGEVERS.fields), max_size=len(WERKGEVERS.fields))
FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _contract_holds(rows: list[dict[str, object]], spec: object) -> None:
    schema = table_schema(spec)  # type: ignore[arg-type]
    for row in rows:
        for field in schema["fields"]:
            value = row[field["name"]]
            rules = field["constraints"]
            if field["type"] == "integer":
                assert isinstance(value, int) and value >= rules["minimum"]
                continue
            assert isinstance(value, str) and value != ""
            if "pattern" in rules:
                assert re.fullmatch(rules["pattern"], value), (field["name"], value)
            if "enum" in rules:
                assert value in rules["enum"]
            if "maxLength" in rules:
                assert len(value) <= rules["maxLength"]


@pytest.mark.slow
@FUZZ
@given(werkgevers=st.lists(st.one_of(ROW, st.sampled_from(VALID_WERKGEVERS).map(list)),
                           max_size=12),
       dga=st.lists(st.lists(CELL, min_size=len(DGA.fields), max_size=len(DGA.fields)),
                    max_size=6))
def test_any_sheet_gives_a_report(tmp_path_factory: pytest.TempPathFactory,
                                  werkgevers: list[list[object]],
                                  dga: list[list[object]]) -> None:
    """Random cells: a result (never an exception), rows = accepted + rejected, and every
    accepted row satisfies the published Table Schema; the feedback workbook is written."""
    folder = tmp_path_factory.mktemp("fuzz")
    path = fill(folder / "f.xlsx", [tuple(r) for r in werkgevers], [tuple(r) for r in dga])
    result = validate_workbook(path)
    for data in (result.werkgevers, result.dga):
        counts = data.counts()
        assert counts["rows"] == counts["accepted"] + counts["rejected"]
    _contract_holds(accepted_rows(result.werkgevers), WERKGEVERS)
    _contract_holds(accepted_rows(result.dga), DGA)
    assert write_feedback(result, folder / "out").is_file()


def _mutations(source: bytes, seed: int, count: int) -> bytes:
    return mutate_bytes(source, random.Random(seed), count, longest_cut=64, longest_insert=16)


def _mutate_xml(source: Path, seed: int) -> bytes:
    """Re-zip the workbook with its XML parts mutated (so the zip itself stays valid)."""
    rng = random.Random(seed)
    out = Path(f"/tmp/.fuzz-{seed}.xlsx")
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith(".xml") and rng.random() < 0.5:
                data = _mutations(data, rng.randrange(10**9), rng.randrange(1, 8))
            zout.writestr(info.filename, data)
    data = out.read_bytes()
    out.unlink()
    return data


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**9), xml=st.booleans(), count=st.integers(1, 20))
def test_mutated_real_workbooks_never_crash(tmp_path_factory: pytest.TempPathFactory,
                                            seed: int, xml: bool, count: int) -> None:
    """Bytes or XML of a real workbook mutated at random: a report or UnreadableWorkbook."""
    folder = tmp_path_factory.mktemp("mut")
    source = SAMPLES / "voorbeeld-fouten.xlsx"
    data = _mutate_xml(source, seed) if xml else _mutations(source.read_bytes(), seed, count)
    path = folder / "m.xlsx"
    path.write_bytes(data)
    try:
        result = validate_workbook(path)
    except UnreadableWorkbook:
        return
    for sheet in (result.werkgevers, result.dga):
        assert len(sheet.rows) == sheet.accepted + sum(sheet.rejected)
    assert write_feedback(result, folder / "out").is_file()


def test_fuzz_sample_is_readable() -> None:
    """The mutation fuzz starts from a workbook that validates (so mutations are the cause)."""
    assert validate_workbook(SAMPLES / "voorbeeld-fouten.xlsx").werkgevers.rows
    assert fill  # the property test builds through the same helper as the samples
    assert VALID_DGA


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_structure_aware_fuzzing_never_crashes_or_aborts(fmt: str) -> None:
    """1,000 workbooks of each format changed where a parser trusts them (references, repeat
    counts, declared counts, record fields and lengths): each gives a result or a refusal
    with a reason, under a 1.5 GB address-space limit; none aborts, hangs or raises anything
    else. Both outcomes occur, so the cases reach the reader and the rules."""
    counts = campaign(fmt, 1000)
    problems = {k: v for k, v in campaign.examples.items()  # type: ignore[attr-defined]
                if k.startswith(("traceback", "abort"))}
    assert counts["traceback"] == counts["abort"] == counts["hang"] == 0, problems
    assert counts["ok"] + counts["refused"] == 1000
    assert counts["ok"] >= 100 and counts["refused"] >= 100, counts
