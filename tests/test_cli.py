"""The installed `intake` command: outputs, exit codes, languages, and that its report.json is
exactly the library's result."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from intake.cli import IntakeGroup, cli, lang_option
from intake.definition.fields import WERKGEVERS
from intake.outputs.report import build_report
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS
from intake.validation.validate import Options, validate_workbook

from conftest import INTAKE, cell_of, column_of, failure_report, load_json, replace, run_intake


def test_valid_workbook_exits_0_and_writes_every_output(
    workbook: Callable[..., Path], tmp_path: Path
) -> None:
    """A valid workbook: exit 0, the four outputs, a Dutch summary on the terminal."""
    out = tmp_path / "out"
    path = workbook()
    done = run_intake("validate", str(path), "--out", str(out), real=True)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "datapackage.json", "dga.csv", f"{path.stem}-feedback.xlsx", "report.html",
        "report.json", "werkgevers.csv"])
    assert "Werkgevers: 6 rijen, 6 goedgekeurd, 0 afgekeurd" in done.stdout
    assert "Resultaat: geldig" in done.stdout


def test_errors_exit_1(workbook: Callable[..., Path], tmp_path: Path) -> None:
    """A workbook with an error: exit 1, and the summary says not valid."""
    rows = [replace(VALID_WERKGEVERS[0], verloning="week"), *VALID_WERKGEVERS[1:]]
    done = run_intake("validate", str(workbook(rows)), "--out", str(tmp_path / "o"))
    assert done.returncode == 1
    assert "Resultaat: niet geldig" in done.stdout


def test_warnings_alone_exit_0(workbook: Callable[..., Path], tmp_path: Path) -> None:
    """Warnings never fail the run."""
    rows = [*VALID_WERKGEVERS[:1], replace(VALID_WERKGEVERS[1], loonheffingennummer="1224153L05"),
            *VALID_WERKGEVERS[2:]]
    done = run_intake("validate", str(workbook(rows)), "--out", str(tmp_path / "o"))
    assert done.returncode == 0
    assert load_json(tmp_path / "o" / "report.json")["summary"]["warnings"] == 1


def test_cli_report_equals_library_result(workbook: Callable[..., Path], tmp_path: Path) -> None:
    """report.json written by the command is exactly what the library builds for the file."""
    rows = [replace(VALID_WERKGEVERS[0], loonheffingennummer="123456789L01"), *VALID_WERKGEVERS[1:]]
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
    rows = [replace(VALID_WERKGEVERS[0], loonheffingennummer="123456789L01"), *VALID_WERKGEVERS[1:]]
    run_intake("validate", str(workbook(rows)), "--out", str(tmp_path / "o"))
    report = load_json(tmp_path / "o" / "report.json")
    assert set(report["summary"]) >= {"werkgevers", "dga", "errors", "warnings", "valid"}
    finding = report["findings"][0]
    assert {k: finding[k] for k in ("severity", "code", "sheet", "row", "column", "cell",
                                    "field", "value")} == {
        "severity": "error", "code": "lhn-elfproef", "sheet": "Werkgevers", "row": 2,
        "column": column_of(WERKGEVERS, "loonheffingennummer"),
        "cell": cell_of("loonheffingennummer", 2), "field": "loonheffingennummer",
        "value": "123456789L01"}
    assert "elfproef" in finding["message"]


def test_english_messages(workbook: Callable[..., Path], tmp_path: Path) -> None:
    """--lang en gives English messages and terminal summary."""
    rows = [replace(VALID_WERKGEVERS[0], verloning="week"), *VALID_WERKGEVERS[1:]]
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
    """A file that is not a spreadsheet: exit 2, one Dutch line on stderr, and only a
    report.json that says why (no report.html, CSV or feedback to mistake for a result)."""
    path = tmp_path / name
    path.write_bytes(content)
    done = run_intake("validate", str(path), "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert words in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    report = failure_report(tmp_path / "o")
    assert report["status"] == "unreadable" and words in report["error"]["message"]


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


def _commands(group: click.Group = cli, prefix: str = "intake") -> list[tuple[str, click.Command]]:
    """Every command under `group`, sub-groups' commands included, with its full name."""
    found: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        found.append((f"{prefix} {name}", command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, f"{prefix} {name}"))
    return found


COMMANDS = _commands()
#: Words that only Dutch text has (help is English; Dutch names like Toelichting may appear).
DUTCH = {"de", "het", "een", "van", "voor", "niet", "met", "naar", "wordt", "werkmap"}


def test_the_walk_finds_the_sub_commands() -> None:
    """The help test below covers nested groups: `intake bureau add` is among the commands."""
    names = [name for name, _ in COMMANDS]
    assert {"intake validate", "intake bureau", "intake bureau add", "intake bureau list",
            "intake bureau revoke", "intake serve"} <= set(names)


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_has_help_an_example_and_described_options(
        name: str, command: click.Command) -> None:
    """Each command (sub-groups' too) has help, an example of itself, every option a
    description; its --help is English, and the README's Commands section names it."""
    assert command.help and command.help.strip()
    assert command.epilog and command.epilog.startswith("Example")
    assert name in command.epilog
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help and param.help.strip(), f"{name} {param.opts} has no help"
    result = CliRunner().invoke(cli, [*name.split()[1:], "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and "Examples:" in result.output
    words = set(re.findall(r"[a-z]+", result.output.lower()))
    assert not words & DUTCH, f"{name} --help has Dutch words: {sorted(words & DUTCH)}"
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    commands_section = readme.split("## Commands", 1)[1].split("\n## ", 1)[0]
    assert name in commands_section


def test_top_level_help_is_english_with_an_example() -> None:
    """`intake --help` is one language (English) and shows how to start."""
    result = CliRunner().invoke(cli, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    words = set(re.findall(r"[a-z]+", result.output.lower()))
    assert not words & DUTCH, sorted(words & DUTCH)
    assert "intake validate werkgevers-aanmelding.xlsx" in result.output


def test_validate_help_names_feedback_xlsx_and_the_output_forms() -> None:
    """`validate --help` says <name>-feedback.xlsx is the file to correct, and documents
    --json, -q."""
    result = CliRunner().invoke(cli, ["validate", "--help"], terminal_width=200)
    assert "<name>-feedback.xlsx" in result.output
    assert "--json" in result.output and "-q, --quiet" in result.output


def test_batch_help_describes_lang() -> None:
    """`batch --help` says what --lang changes."""
    result = CliRunner().invoke(cli, ["batch", "--help"], terminal_width=200)
    (line,) = [line for line in result.output.splitlines() if "--lang" in line]
    assert "Language of the reports" in line


# --- what `intake validate` prints ---------------------------------------------------------

def test_validate_prints_each_finding_then_the_summary_then_the_verdict(
        workbook: Callable[..., Path], tmp_path: Path) -> None:
    """Each finding is printed with the cell as Excel shows it, its severity, code, message and
    what to do (exactly the report's texts); the verdict is the last line."""
    rows = [*VALID_WERKGEVERS[:1], replace(VALID_WERKGEVERS[1], loonheffingennummer="1224153L05"),
            VALID_WERKGEVERS[2], replace(VALID_WERKGEVERS[3], verloning="week"),
            *VALID_WERKGEVERS[4:]]
    out = tmp_path / "o"
    path = workbook(rows)
    done = run_intake("validate", str(path), "--out", str(out))
    assert done.returncode == 1
    findings = load_json(out / "report.json")["findings"]
    assert [(f["cell"], f["code"]) for f in findings] == [
        (cell_of("loonheffingennummer", 3), "lhn-normalised"),
        (cell_of("verloning", 5), "verloning-unsupported")]
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == [f"Werkgevers!{cell_of('loonheffingennummer', 3)}",
                                    "waarschuwing", "lhn-normalised:"]
    assert lines[0].endswith(findings[0]["message"])
    assert lines[1].split(":", 1)[0].strip() == "Wat te doen"
    assert lines[1].endswith(findings[0]["hint"])
    assert lines[2].split()[:3] == [f"Werkgevers!{cell_of('verloning', 5)}", "fout",
                                    "verloning-unsupported:"]
    assert lines[2].endswith(findings[1]["message"])
    assert lines[3].endswith(findings[1]["hint"])
    assert lines[4] == ""
    assert "1 fout, 1 waarschuwing" in lines
    feedback = out / f"{path.stem}-feedback.xlsx"
    at = next(i for i, line in enumerate(lines) if line.startswith("Volgende stap: "))
    assert lines[at] == (
        f"Volgende stap: 5 van de 6 werkgevers zijn goedgekeurd. Verbeter de rode cellen in "
        f"{feedback}, sla het op en controleer het opnieuw; lever het daarna in bij a.s.r. "
        "zoals het blad Toelichting van het sjabloon zegt (stap 3). Lever je "
        f"{path.name} nu al in, dan worden alleen de goedgekeurde werkgevers aangeleverd, en "
        "later niet nog eens.")
    assert lines[at + 1:] == ["Opnieuw controleren, na het verbeteren:",
                              f"  intake validate {feedback}", "Resultaat: niet geldig"]


def test_validate_in_english_prints_english_findings(
        workbook: Callable[..., Path], tmp_path: Path) -> None:
    """--lang en: the severity, 'What to do' and the messages are English."""
    rows = [*VALID_WERKGEVERS[:3], replace(VALID_WERKGEVERS[3], verloning="week"),
            *VALID_WERKGEVERS[4:]]
    done = run_intake("validate", str(workbook(rows)), "--out", str(tmp_path / "o"),
                      "--lang", "en")
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == [f"Werkgevers!{cell_of('verloning', 5)}", "error",
                                    "verloning-unsupported:"]
    assert "Payroll period 'week' is not supported" in lines[0]
    assert lines[1].strip().startswith("What to do: ")
    assert "1 error, 0 warnings" in lines
    assert lines[-1] == "Result: not valid"


def test_a_valid_workbook_prints_no_findings_and_singular_counts(
        workbook: Callable[..., Path], tmp_path: Path) -> None:
    """No findings: no finding lines and no line asking a correction, but what to deliver;
    one DGA row is '1 rij', not '1 rijen'."""
    dga = [VALID_DGA[2]]
    at = [f.name for f in WERKGEVERS.fields].index("werkgever_id")
    rows = [replace(r, dga_in_verloning="Nee") if r[at] != "8120001" else r
            for r in VALID_WERKGEVERS]
    done = run_intake("validate", str(workbook(rows, dga)), "--out", str(tmp_path / "o"))
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Werkgevers: 6 rijen, 6 goedgekeurd")
    assert lines[1] == "DGA: 1 rij, 1 goedgekeurd, 0 afgekeurd"
    assert lines[2] == "0 fouten, 0 waarschuwingen"
    assert not any("Verbeter" in line or "intake validate" in line for line in lines)
    assert lines[-2].startswith("Volgende stap: Lever ")
    assert lines[-1] == "Resultaat: geldig"


def test_only_the_first_50_findings_are_printed_then_how_many_more(
        workbook: Callable[..., Path], tmp_path: Path) -> None:
    """Sixty findings: fifty are printed, then one line with the other ten."""
    rows = [replace(VALID_WERKGEVERS[1], werkgever_id=str(9_100_000 + i), verloning="week",
                    dga_in_verloning="Nee") for i in range(60)]
    out = tmp_path / "o"
    done = run_intake("validate", str(workbook(rows, [])), "--out", str(out))
    total = len(load_json(out / "report.json")["findings"])
    assert total >= 60
    printed = [line for line in done.stdout.splitlines() if line.startswith("Werkgevers!")]
    assert len(printed) == 50
    assert printed[-1].startswith(f"Werkgevers!{cell_of('verloning', 51)} ")
    assert (f"En nog {total - 50} bevindingen: alle bevindingen staan in report.html en in het "
            "blad Controle van de feedbackwerkmap.") in done.stdout.splitlines()


def test_json_prints_report_json_and_nothing_else(
        workbook: Callable[..., Path], tmp_path: Path) -> None:
    """--json: stdout is exactly report.json as written (parseable by jq), stderr is empty, the
    files are still written, the exit code is unchanged."""
    rows = [replace(VALID_WERKGEVERS[0], verloning="week"), *VALID_WERKGEVERS[1:]]
    out = tmp_path / "o"
    done = subprocess.run([INTAKE, "validate", str(workbook(rows)), "--out", str(out), "--json"],
                          capture_output=True, check=False)
    assert done.returncode == 1
    assert done.stderr == b""
    assert done.stdout == (out / "report.json").read_bytes()
    assert json.loads(done.stdout)["summary"]["valid"] is False
    assert len(list(out.glob("*-feedback.xlsx"))) == 1 and (out / "werkgevers.csv").is_file()


def test_json_on_an_unreadable_file_prints_its_status(tmp_path: Path) -> None:
    """--json with a file that cannot be read: exit 2, report.json with the status and why on
    stdout, one line on stderr."""
    path = tmp_path / "kapot.xlsx"
    path.write_bytes(b"geen werkmap")
    done = run_intake("validate", str(path), "--json", "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    printed = json.loads(done.stdout)
    assert printed == failure_report(tmp_path / "o")
    assert printed["status"] == "unreadable" and printed["error"]["code"] == "corrupt"
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("verloning", "code", "verdict"), [
    ("week", 1, "Resultaat: niet geldig"), ("Maand", 0, "Resultaat: geldig")])
def test_quiet_prints_the_verdict_only(workbook: Callable[..., Path], tmp_path: Path,
                                       verloning: str, code: int, verdict: str) -> None:
    """-q prints one line, the verdict; the exit code and the files are as without it."""
    rows = [replace(VALID_WERKGEVERS[0], verloning=verloning), *VALID_WERKGEVERS[1:]]
    out = tmp_path / "o"
    done = run_intake("validate", str(workbook(rows)), "--out", str(out), "-q")
    assert done.returncode == code
    assert done.stdout == verdict + "\n"
    assert (out / "report.json").is_file()


def test_a_value_cannot_drive_the_terminal(workbook: Callable[..., Path],
                                           tmp_path: Path) -> None:
    """A bidirectional override in a cell value is printed as an escape, never raw."""
    rows = [replace(VALID_WERKGEVERS[0], verloning="week\u202egnol"), *VALID_WERKGEVERS[1:]]
    done = run_intake("validate", str(workbook(rows)), "--out", str(tmp_path / "o"))
    assert done.returncode == 1
    assert "\u202e" not in done.stdout
    assert "week\\u202egnol" in done.stdout


def test_a_sheet_name_with_a_space_is_quoted_like_excel() -> None:
    """A finding on sheet 'Mijn blad' is at 'Mijn blad'!B3, as Excel writes the reference."""
    from intake.definition.findings import Finding
    from intake.outputs.terminal import where

    assert where(Finding("required", sheet="Mijn blad", row=3, column="B", field="naam"),
                 "x.xlsx", "nl") == "'Mijn blad'!B3"
    assert where(Finding("macros-ignored"), "x.xlsm", "nl") == "x.xlsm"
    assert where(Finding("hidden-rows", sheet="DGA", params=(("rows", "4"),)), "x.xlsx",
                 "en") == "DGA"


# --- one line on stderr for every error that stops a command ---------------------------------

def test_a_damaged_ledger_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """`intake history --db garbage` and `intake bureau list --db garbage`: exit 2, one line
    on stderr, no traceback, the file untouched."""
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"dit is geen database " * 100)
    for args in (["history", "--db", str(garbage)], ["bureau", "list", "--db", str(garbage)]):
        done = run_intake(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert garbage.read_bytes() == b"dit is geen database " * 100


def test_an_existing_template_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """`intake template PATH` on an existing file without --force: exit 2, one Dutch line that
    names --force, the file unchanged."""
    path = tmp_path / "keep.xlsx"
    path.write_bytes(b"mijn eigen werk")
    done = run_intake("template", str(path))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"Fout: {path} bestaat al en wordt niet overschreven. Kies een andere naam, of geef "
        "--force om het te vervangen."]
    assert path.read_bytes() == b"mijn eigen werk"


def test_an_unreadable_workbook_is_one_line_and_debug_shows_what_was_found(
        tmp_path: Path) -> None:
    """An unreadable workbook: one line in the chosen language, exit 2; with --debug the
    line also says what the reader found (the file was read in a child process: its
    traceback stays there)."""
    path = tmp_path / "kapot.xlsx"
    path.write_bytes(b"PK\x03\x04 geen zip")
    english = run_intake("validate", str(path), "--lang", "en", "--out", str(tmp_path / "o"))
    assert english.returncode == 2
    (line,) = english.stderr.strip().splitlines()
    assert "cannot be read as a workbook" in line
    debug = run_intake("validate", str(path), "--debug", "--out", str(tmp_path / "o"))
    assert debug.returncode == 2
    (line,) = debug.stderr.strip().splitlines()
    assert "kan niet als werkmap worden gelezen" in line and "File is not a zip file" in line


def test_every_intake_error_of_a_command_becomes_its_exit_code() -> None:
    """The group turns any IntakeError into one line and the error's own exit code (here 3),
    in the language given with --lang."""
    from intake.definition.errors import IntakeError

    class Odd(IntakeError):
        exit_code = 3

    @click.group(cls=IntakeGroup)
    def group() -> None:
        """A group."""

    @group.command()
    @lang_option("Language.")
    def fail(lang: str) -> None:
        """Fail."""
        raise Odd("kapot", "broken")

    nl = CliRunner().invoke(group, ["fail"])
    en = CliRunner().invoke(group, ["fail", "--lang", "en"])
    assert (nl.exit_code, nl.output) == (3, "Fout: kapot\n")
    assert (en.exit_code, en.output) == (3, "Error: broken\n")


def test_on_a_terminal_findings_wrap_at_words_within_its_width() -> None:
    """Given a terminal's width, each line fits it and the words are those of the unwrapped
    lines, in order; the continuation lines start under the text, not at the left edge."""
    from intake.outputs.terminal import finding_lines
    from intake.validation.validate import validate_workbook

    sample = Path(__file__).resolve().parents[1] / "samples" / "voorbeeld-fouten.xlsx"
    findings = validate_workbook(sample).findings
    flat_lines = finding_lines(findings, "x.xlsx", "nl")
    wrapped = finding_lines(findings, "x.xlsx", "nl", columns=80)
    assert len(wrapped) > len(flat_lines)
    assert all(len(click.unstyle(line)) <= 79 for line in wrapped)
    assert " ".join(wrapped).split() == " ".join(flat_lines).split()
    assert all(line.startswith(" " * 17) or "!" in line.split()[0] for line in wrapped)


# --- the check's edges, as a hostile user found them --------------------------------------------


def test_a_name_that_is_not_utf8_is_checked_and_reported_readably(tmp_path: Path) -> None:
    """A file name with a byte that is not UTF-8: checked as any other; report.json names it
    with U+FFFD, the terminal with an escape."""
    import os

    name = os.fsdecode(b"bad\xff.xlsx")
    path = tmp_path / name
    path.write_bytes((Path(__file__).parents[1] / "samples" / "voorbeeld-geldig.xlsx")
                     .read_bytes())
    done = run_intake("validate", str(path), "--out", str(tmp_path / "o"), real=True)
    assert done.returncode == 0, done.stderr
    assert load_json(tmp_path / "o" / "report.json")["workbook"]["name"] == "bad\ufffd.xlsx"


def test_a_time_out_into_a_folder_that_cannot_exist_is_one_line(tmp_path: Path) -> None:
    """A child killed at the time limit, with an output folder whose name is too long for the
    file system: one line, exit 2, no traceback."""
    sample = Path(__file__).parents[1] / "samples" / "voorbeeld-fouten.xlsx"
    done = run_intake("validate", str(sample), "--out", str(tmp_path / ("c" * 300)),
                      "--max-seconds", "0.001")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1


def test_json_prints_the_report_where_it_cannot_be_written(tmp_path: Path) -> None:
    """--json when the output folder cannot be made: the report of the file is still printed,
    the one line says why it was not checked."""
    blocker = tmp_path / "bestand"
    blocker.write_text("geen map")
    sample = Path(__file__).parents[1] / "samples" / "voorbeeld-geldig.xlsx"
    done = run_intake("validate", str(sample), "--out", str(blocker / "o"), "--json",
                      "--max-seconds", "0.001")
    assert done.returncode == 2
    assert json.loads(done.stdout)["status"] == "timed-out"


def test_control_characters_in_a_name_stay_on_one_escaped_line(tmp_path: Path) -> None:
    """A line feed and a right-to-left override in the file name: the error is one line, with
    both written as escapes."""
    path = tmp_path / "nieuw\nregel\u202e.xlsx"
    path.write_bytes(b"geen werkmap")
    done = run_intake("validate", str(path), "--out", str(tmp_path / "o"), real=True)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "nieuw\\nregel\\u202e.xlsx" in line


def test_too_little_memory_is_a_usage_error() -> None:
    """--max-memory-mb below what the validator needs to start: a usage error that says so,
    not every file 'failed'."""
    done = run_intake("validate", "x.xlsx", "--max-memory-mb", "100")
    assert done.returncode == 2
    assert "too little to start the validator" in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(15, 143), (2, 130)], ids=["SIGTERM", "SIGINT"])
def test_a_signal_ends_validate_cleanly(tmp_path: Path, signum: int, code: int) -> None:
    """SIGTERM or SIGINT while a workbook is checked: exit 143 or 130, the checking child gone,
    no output folder, no temporary files left."""
    import os
    import sys
    import time

    sys.path.insert(0, str(Path(__file__).parents[1]))
    from benchmarks.workbooks import write_workbook

    big = write_workbook(tmp_path / "groot.xlsx", 60_000)
    temp = tmp_path / "tmp"
    temp.mkdir()
    process = subprocess.Popen([INTAKE, "validate", str(big), "--out", str(tmp_path / "o"),
                                "--max-seconds", "120"], env={**os.environ, "TMPDIR": str(temp)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not any(temp.glob("intake-check-*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)
    process.send_signal(signum)
    assert process.wait(timeout=60) == code
    assert "Traceback" not in (process.stderr.read() if process.stderr else "")
    assert not (tmp_path / "o").exists()
    assert list(temp.iterdir()) == []


def test_json_and_quiet_together_are_a_usage_error(tmp_path: Path) -> None:
    """--json prints report.json, -q only the verdict: asking for both is exit 2 with a line
    that says so, not one of them silently."""
    sample = Path(__file__).parents[1] / "samples" / "voorbeeld-geldig.xlsx"
    done = run_intake("validate", str(sample), "--json", "-q", "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "choose one" in done.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("args", [
    ["prune", "--out", "{out}", "--older-than", "800000", "--dry-run"],
    ["status", "import", "{status}", "--out", "{out}", "--max-days-back", "800000"],
    ["status", "import", "{status}", "--out", "{out}", "--max-days-ahead", "3000000"],
    ["history", "--out", "{out}", "--waiting-days", "setup=99999999999"],
])
def test_a_count_of_days_beyond_a_century_is_refused_by_its_option(tmp_path: Path,
                                                                   args: list[str]) -> None:
    """A typo of a few digits too many in a count of days is an option error naming the
    bound (exit 2), not a date overflow's traceback."""
    (tmp_path / "status.csv").write_text("werkgever_id,loonheffingennummer,status\n")
    filled = [a.format(out=tmp_path / "out", status=tmp_path / "status.csv") for a in args]
    done = CliRunner().invoke(cli, filled)
    assert done.exit_code == 2, done.output
    assert "36500" in done.output and "Traceback" not in done.output
