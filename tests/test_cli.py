"""The installed `intake` command: outputs, exit codes, languages, and that its report.json is
exactly the library's result."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from intake.cli import cli
from intake.report import build_report
from intake.samples import VALID_WERKGEVERS
from intake.validate import Options, validate_workbook

from conftest import load_json, replace, run_intake


def test_valid_workbook_exits_0_and_writes_every_output(
    workbook: Callable[..., Path], tmp_path: Path
) -> None:
    """A valid workbook: exit 0, the four outputs, a Dutch summary on the terminal."""
    out = tmp_path / "out"
    done = run_intake("validate", str(workbook()), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["datapackage.json", "dga.csv",
                                                     "feedback.xlsx", "report.html",
                                                     "report.json", "werkgevers.csv"]
    assert "Werkgevers: 6 rijen, 6 goedgekeurd, 0 afgekeurd" in done.stdout
    assert "Resultaat: geldig" in done.stdout


def test_errors_exit_1(workbook: Callable[..., Path], tmp_path: Path) -> None:
    """A workbook with an error: exit 1, and the summary says not valid."""
    rows = [replace(VALID_WERKGEVERS[0], 6, "week"), *VALID_WERKGEVERS[1:]]
    done = run_intake("validate", str(workbook(rows)), "--out", str(tmp_path / "o"))
    assert done.returncode == 1
    assert "Resultaat: niet geldig" in done.stdout


def test_warnings_alone_exit_0(workbook: Callable[..., Path], tmp_path: Path) -> None:
    """Warnings never fail the run."""
    rows = [*VALID_WERKGEVERS[:1], replace(VALID_WERKGEVERS[1], 4, "1224153L05"),
            *VALID_WERKGEVERS[2:]]
    done = run_intake("validate", str(workbook(rows)), "--out", str(tmp_path / "o"))
    assert done.returncode == 0
    assert load_json(tmp_path / "o" / "report.json")["summary"]["warnings"] == 1


def test_cli_report_equals_library_result(workbook: Callable[..., Path], tmp_path: Path) -> None:
    """report.json written by the command is exactly what the library builds for the file."""
    rows = [replace(VALID_WERKGEVERS[0], 4, "123456789L01"), *VALID_WERKGEVERS[1:]]
    path = workbook(rows)
    done = run_intake("validate", str(path), "--out", str(tmp_path / "o"), "--lang", "en",
                      "--contract-prefix", "a020", "--contract-prefix", "B020")
    assert done.returncode == 1
    written = load_json(tmp_path / "o" / "report.json")
    options = Options(contract_prefixes=("A020", "B020"))
    expected = build_report(validate_workbook(path, options), options, "en",
                            generated_at=written["generated_at"])
    assert written == expected
    summary = written["summary"]
    for sheet in ("werkgevers", "dga"):
        assert summary[sheet]["rows"] == summary[sheet]["accepted"] + summary[sheet]["rejected"]


def test_report_json_shape(workbook: Callable[..., Path], tmp_path: Path) -> None:
    """report.json has the contracted keys, and each finding the contracted fields."""
    rows = [replace(VALID_WERKGEVERS[0], 4, "123456789L01"), *VALID_WERKGEVERS[1:]]
    run_intake("validate", str(workbook(rows)), "--out", str(tmp_path / "o"))
    report = load_json(tmp_path / "o" / "report.json")
    assert set(report["summary"]) >= {"werkgevers", "dga", "errors", "warnings", "valid"}
    finding = report["findings"][0]
    assert {k: finding[k] for k in ("severity", "code", "sheet", "row", "column", "cell",
                                    "field", "value")} == {
        "severity": "error", "code": "lhn-elfproef", "sheet": "Werkgevers", "row": 2,
        "column": "E", "cell": "E2", "field": "loonheffingennummer", "value": "123456789L01"}
    assert "elfproef" in finding["message"]


def test_english_messages(workbook: Callable[..., Path], tmp_path: Path) -> None:
    """--lang en gives English messages and terminal summary."""
    rows = [replace(VALID_WERKGEVERS[0], 6, "week"), *VALID_WERKGEVERS[1:]]
    done = run_intake("validate", str(workbook(rows)), "--out", str(tmp_path / "o"), "--lang",
                      "en")
    assert "Result: not valid" in done.stdout
    message = load_json(tmp_path / "o" / "report.json")["findings"][0]["message"]
    assert message.startswith("Payroll period 'week' is not supported")
    assert '<html lang="en">' in (tmp_path / "o" / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "content", "words"), [
    ("leeg.xlsx", b"", "leeg"),
    ("tekst.xlsx", b"dit is geen werkmap\n", "kan niet als werkmap worden gelezen"),
    ("lijst.csv", b"a,b\n", "geen werkmap"),
])
def test_unreadable_file_exits_2_with_one_line_and_no_traceback(
    tmp_path: Path, name: str, content: bytes, words: str
) -> None:
    """A file that is not a spreadsheet: exit 2, one Dutch line on stderr, nothing written."""
    path = tmp_path / name
    path.write_bytes(content)
    done = run_intake("validate", str(path), "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert words in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_missing_file_and_bad_option_exit_2(tmp_path: Path) -> None:
    """A path that does not exist, or an unknown --lang, is a bad invocation: exit 2."""
    assert run_intake("validate", str(tmp_path / "nergens.xlsx")).returncode == 2
    assert run_intake("validate", str(tmp_path / "x.xlsx"), "--lang", "fr").returncode == 2


def test_default_output_folder_is_reports_slash_name(
    workbook: Callable[..., Path], tmp_path: Path
) -> None:
    """Without --out, outputs go to reports/<workbook name>/ under the current folder."""
    path = workbook(name="bureau-x.xlsx")
    done = run_intake("validate", str(path), cwd=tmp_path)
    assert done.returncode == 0
    assert (tmp_path / "reports" / "bureau-x" / "report.json").is_file()


def test_python_dash_m_works_like_the_command(
    workbook: Callable[..., Path], tmp_path: Path
) -> None:
    """`python -m intake validate` gives the same exit code and report."""
    path = workbook()
    done = subprocess.run([sys.executable, "-m", "intake", "validate", str(path), "--out",
                           str(tmp_path / "m")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert load_json(tmp_path / "m" / "report.json")["summary"]["valid"] is True


def test_template_command_writes_the_default_name(tmp_path: Path) -> None:
    """`intake template` without a path writes werkgevers-aanmelding.xlsx here."""
    done = run_intake("template", cwd=tmp_path)
    assert done.returncode == 0
    assert (tmp_path / "werkgevers-aanmelding.xlsx").is_file()


@pytest.mark.parametrize("command", ["template", "validate", "schema", "batch", "history"])
def test_every_command_has_help_and_is_in_the_readme(command: str) -> None:
    """Each command explains itself with --help and the README documents it."""
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"intake {command}" in readme
