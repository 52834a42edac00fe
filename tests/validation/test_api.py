"""The library API other programs use: `from intake import …`, a path or a file object, and the
library's own limits."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from pathlib import Path

import pytest

import intake
from intake import Limits, Options, TimeLimitExceeded, UnreadableWorkbook, validate_workbook
from intake.outputs.report import build_report

from conftest import flat

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
MISTAKES = SAMPLES / "voorbeeld-fouten.xlsx"


def test_every_public_name_resolves() -> None:
    """Each name in `intake.__all__` can be imported from the package."""
    for name in intake.__all__:
        assert getattr(intake, name) is not None, name
    with pytest.raises(AttributeError):
        _ = intake.no_such_name  # type: ignore[attr-defined]


def test_a_str_a_path_and_a_file_object_give_the_same_result() -> None:
    """A path as str or Path, or the bytes as an open binary file, give the same findings."""
    by_path = flat(validate_workbook(MISTAKES))
    assert by_path
    assert flat(validate_workbook(str(MISTAKES))) == by_path
    with MISTAKES.open("rb") as handle:
        assert flat(validate_workbook(handle)) == by_path
    upload = io.BytesIO(MISTAKES.read_bytes())  # no name: the content says .xlsx
    assert flat(validate_workbook(upload)) == by_path


def test_an_upload_reports_under_its_own_name_and_hash() -> None:
    """report.json of an upload names the file as uploaded and hashes its bytes."""
    data = MISTAKES.read_bytes()
    result = validate_workbook(io.BytesIO(data), name="bureau/aanmelding.xlsx")
    workbook = build_report(result, Options())["workbook"]
    assert workbook["name"] == "aanmelding.xlsx"  # type: ignore[index]
    assert workbook["sha256"] == hashlib.sha256(data).hexdigest()  # type: ignore[index]


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read_whole() -> None:
    """A file object larger than the size limit is refused by name ("too-big")."""
    upload = io.BytesIO(b"PK" + b"\0" * (2 * 1024 * 1024))
    with pytest.raises(UnreadableWorkbook) as refused:
        validate_workbook(upload, Options(limits=Limits(max_uncompressed_mb=1)))
    assert refused.value.reason == "too-big"
    assert upload.tell() == 1024 * 1024 + 1


def test_the_library_applies_its_own_time_limit() -> None:
    """validate_workbook stops at Options.limits.max_seconds without the CLI around it."""
    with pytest.raises((TimeLimitExceeded, UnreadableWorkbook)) as stopped:
        validate_workbook(MISTAKES, Options(limits=Limits(max_seconds=0.001)))
    # Where the reader still turns a time-out into "corrupt" (issue 9, item 6), the detail
    # names the limit all the same.
    assert isinstance(stopped.value, TimeLimitExceeded) or "0.001 s" in str(stopped.value)


PROBE = """
import sys
from intake.cli import main
sys.argv = ["intake", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("pandera", "polars", "pandas"))
print("HEAVY", heavy, file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["template", "{tmp}/t.xlsx"],
                                  ["schema", "--out", "{tmp}/schemas"]])
def test_help_template_and_schema_do_not_load_the_engine(tmp_path: Path,
                                                        args: list[str]) -> None:
    """`intake --help`, `template` and `schema` start without importing pandera or polars."""
    argv = [a.format(tmp=tmp_path) for a in args]
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                          check=False)
    assert "HEAVY []" in done.stderr, done.stderr[-2000:]
    if args[0] == "template":
        assert (tmp_path / "t.xlsx").is_file()
