"""The CSV delivery: exact columns, normalised values, accepted rows only, both dialects."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.definition.fields import DGA, WERKGEVERS
from intake.definition.kinds import normalise
from intake.outputs.export import FORMATS, write_csv, write_csvs
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS
from intake.validation.validate import validate_workbook

from conftest import contracted, replace


def _rows(path: Path, delimiter: str = ",", encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def test_csv_headers_are_the_contracted_ones() -> None:
    """The CSV columns derive from the fields and match the published contract exactly."""
    for spec in (WERKGEVERS, DGA):
        assert list(spec.csv_columns) == [name for name, _ in contracted(spec.csv_name)]
    assert DGA.csv_columns[-1] == WERKGEVERS.csv_columns[-1] == "bron_rij"


def test_golden_rows(workbook: Callable[..., Path], tmp_path: Path) -> None:
    """Normalised values, accepted rows only, bron_rij the Excel row (compared as data)."""
    rows = [replace(VALID_WERKGEVERS[0], raamwerkcontractnummer="a020-123.456",
                    werkgever_id=8106625.0, dertiende_maand=True),
            replace(VALID_WERKGEVERS[1], verloning="week"), *VALID_WERKGEVERS[2:]]
    result = validate_workbook(workbook(rows))
    write_csvs(result, tmp_path)
    werkgevers = _rows(tmp_path / "werkgevers.csv")
    assert [w["bron_rij"] for w in werkgevers] == ["2", "4", "5", "6", "7"]
    golden = {
        "salarisverwerker_naam": "Salarisbureau De Telling B.V.",
        "salarisverwerker_email": "salaris@detelling.nl",
        "werkgever_naam": "Bakkerij Van Dijk B.V.",
        "raamwerkcontractnummer": "A020123456",
        "loonheffingennummer": "810662504L01",
        "werkgever_id": "8106625",
        "verloning": "maand",
        "dertiende_maand": "ja",
        "dga_in_verloning": "ja",
        "bron_rij": "2",
    }
    # A field the golden row does not name holds its example value in the samples.
    examples = {f.name: normalise(f.kind, f.example) for f in WERKGEVERS.fields
                if f.name not in golden}
    assert werkgevers[0] == {**golden, **examples}
    assert werkgevers[3]["verloning"] == "4-weken"
    assert _rows(tmp_path / "dga.csv") == [
        {**{f.name: d[n] for n, f in enumerate(DGA.fields)}, "bron_rij": str(i)}
        for i, d in enumerate(VALID_DGA, start=2)
    ]


def test_standard_dialect_is_rfc4180(workbook: Callable[..., Path], tmp_path: Path) -> None:
    """Comma, CRLF line ends, quotes around values with commas or quotes, no BOM."""
    rows = [replace(VALID_WERKGEVERS[3], werkgever_naam='Jansen, "de Zoon" & Co'),
            VALID_WERKGEVERS[1], VALID_WERKGEVERS[5]]
    write_csvs(validate_workbook(workbook(rows, [])), tmp_path)
    raw = (tmp_path / "werkgevers.csv").read_bytes()
    assert raw.startswith(b"salarisverwerker_naam,")
    assert b'"Jansen, ""de Zoon"" & Co"' in raw
    assert raw.count(b"\r\n") == 4


def test_excel_nl_dialect_has_semicolons_and_a_bom(
    workbook: Callable[..., Path], tmp_path: Path
) -> None:
    """The Dutch Excel dialect: UTF-8 BOM, semicolons, accents intact."""
    write_csvs(validate_workbook(workbook()), tmp_path, dialect="excel-nl")
    raw = (tmp_path / "werkgevers.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfsalarisverwerker_naam;")
    rows = _rows(tmp_path / "werkgevers.csv", ";", "utf-8-sig")
    assert rows[1]["werkgever_naam"] == "Café De Kroon V.O.F."
    assert len(rows) == len(VALID_WERKGEVERS)


def test_nothing_that_runs_as_a_formula_reaches_the_csv(
    workbook: Callable[..., Path], tmp_path: Path
) -> None:
    """Rows with text starting like a formula are rejected, so no CSV value starts with one."""
    rows = [replace(r, werkgever_naam=bad) for r, bad in zip(
        VALID_WERKGEVERS, ["=1+1", "+1", "-1", "@x", "\tx", "ok"], strict=True)]
    write_csvs(validate_workbook(workbook(rows, [])), tmp_path)
    text = (tmp_path / "werkgevers.csv").read_text(encoding="utf-8")
    values = [v for row in csv.reader(io.StringIO(text)) for v in row]
    assert not [v for v in values if v[:1] in ("=", "+", "-", "@", "\t", "\r")]


def csv_lines(columns: list[str], values: list[list[object]], delimiter: str) -> str:
    """What the CSV writer writes, as text (UTF-8, no BOM)."""
    buffer = io.BytesIO()
    fmt = dataclasses.replace(FORMATS["standard"], delimiter=delimiter)
    write_csv(buffer, columns, values, fmt)
    return buffer.getvalue().decode("utf-8")


def _csv_module(columns: list[str], values: list[list[object]], delimiter: str) -> str:
    """What Python's csv module writes for the same data (the reference)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(zip(*values, strict=True))
    return buffer.getvalue()


_TEXT = st.one_of(st.none(), st.text(alphabet=st.sampled_from(
    ['a', 'é', ' ', ',', ';', '"', "'", '\r', '\n', '\t', '=', '0', '\u00a0', '\u2028', '😀']),
    max_size=6))


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(_TEXT, _TEXT, st.integers(1, 10**6)), max_size=8),
       delimiter=st.sampled_from([",", ";"]))
def test_the_csv_writer_writes_what_the_csv_module_writes(
        rows: list[tuple[str | None, str | None, int]], delimiter: str) -> None:
    """Byte for byte, for texts made of every character quoting turns on (delimiters,
    quotes, CR, LF) and others, None, empty texts and a column of row numbers: polars writes
    an empty text as "" unless it is turned into a null first; the csv module, as nothing."""
    values: list[list[object]] = [list(column) for column in zip(*rows, strict=True)] \
        if rows else [[], [], []]
    columns = ["naam", "e-mail", "bron_rij"]
    assert csv_lines(columns, values, delimiter) == _csv_module(columns, values, delimiter)


def test_a_write_the_disk_refuses_keeps_its_errno(tmp_path: Path) -> None:
    """Past the file-size limit (RLIMIT_FSIZE, as the checking child's output limit or a full
    disk), the CSV writer's error is the OSError the write raised, errno EFBIG, not polars'
    own without an errno: the doors tell a full disk and the output limit by it. In a child
    process, so that the limit binds nobody else."""
    import subprocess
    import sys

    from conftest import file_size_limit

    script = (
        "import errno, sys\n"
        "from pathlib import Path\n"
        "from intake.outputs.export import FORMATS, write_csv\n"
        "from intake.outputs.files import atomic_write\n"
        "values = [['x' * 50] * 10_000, list(range(10_000))]\n"
        "try:\n"
        "    atomic_write(Path(sys.argv[1]), lambda t: write_csv(\n"
        "        t, ['a', 'b'], values, FORMATS['excel-nl']))\n"
        "except OSError as exc:\n"
        "    print(errno.errorcode.get(exc.errno or 0, exc.errno))\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "groot.csv")],
                          capture_output=True, text=True, check=False,
                          preexec_fn=file_size_limit(100_000))
    assert done.stdout.strip() == "EFBIG", done.stdout + done.stderr
    assert list(tmp_path.iterdir()) == []  # and nothing half-written is left


def test_a_time_out_while_the_csv_is_written_stays_a_time_out(tmp_path: Path) -> None:
    """polars makes any error of a write an OSError of its own: a time-out (or Ctrl-C) that
    strikes in the write is raised as itself, not as a failed write (a full disk)."""
    from intake.validation.timelimit import TimeLimitExceeded

    class Stopped(io.BytesIO):
        def write(self, block: bytes) -> int:  # type: ignore[override]
            raise TimeLimitExceeded(7)

    with pytest.raises(TimeLimitExceeded):
        write_csv(Stopped(), ["a"], [["x"] * 1000], FORMATS["standard"])
