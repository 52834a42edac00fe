"""The one check behind the three doors: every hostile file ends in a named status or in
findings, held by the child process's limits, with the package inspection and without it; a
file that was not checked leaves one report.json that says why and conforms to the contract."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import hostile
import jsonschema
import pytest

from intake.checking.check import Additions, Settings, Validated, bounds, check
from intake.checking.sandbox import Sandbox
from intake.definition.findings import Finding
from intake.definition.status import CHECKED, NOT_CHECKED, Status
from intake.outputs.contract import report_schema
from intake.outputs.feedback import feedback_name
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill
from intake.validation.limits import Limits
from intake.validation.validate import Options, validate_workbook

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the limits are Linux's")

HOSTILE = hostile.cases((
    hostile.zero_bytes, hostile.text_renamed, hostile.truncated, hostile.encrypted,
    hostile.zip_bomb, hostile.lying_bomb, hostile.many_entries, hostile.entity_bomb,
    hostile.shared_strings_4g, hostile.shared_strings_i64, hostile.ods_repeated,
    hostile.sparse_corner, hostile.sparse_corner_disguised, hostile.far_row,
    hostile.sparse_corner_xlsb, hostile.sparse_corner_xlsb_early_end, hostile.sparse_corner_xls,
    hostile.xls_dimensions, hostile.reader_panic, hostile.ods_unclosed_table,
    *hostile.PAST_THE_PREDICTION))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One warm child for the module (a child that dies is replaced at the next check)."""
    with Sandbox(bounds(Limits())) as box:
        yield box


def _settings(inspect: bool) -> Settings:
    return Settings(Options(limits=Limits(inspect=inspect)))


@pytest.mark.parametrize("inspect", [True, False], ids=["inspected", "not-inspected"])
@pytest.mark.parametrize("build", HOSTILE)
def test_every_hostile_file_ends_in_a_status_or_findings(
        tmp_path: Path, sandbox: Sandbox, build: hostile.Builder, inspect: bool) -> None:
    """Read in the child under 1 GB and 10 s: a status that names why it was not checked
    (with a report.json alone, valid against the contract), or a checked file with its
    findings; this process is never the one that parses."""
    out = tmp_path / "out"
    checked = check(build(tmp_path), out, _settings(inspect), sandbox)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, report_schema())
    assert report["status"] == checked.status
    if checked.status in NOT_CHECKED:
        assert [p.name for p in out.iterdir()] == ["report.json"]
        assert report["error"]["code"] == checked.reason
    else:
        assert checked.status in CHECKED and not checked.valid
        assert report["findings"]


@pytest.mark.parametrize("build", [hostile.sparse_corner, hostile.sparse_corner_xlsb,
                                   hostile.ods_repeated, hostile.xls_dimensions])
def test_without_the_inspection_the_limits_refuse_what_it_refused(
        tmp_path: Path, sandbox: Sandbox, build: hostile.Builder) -> None:
    """Files the inspection refuses by prediction: with it disabled, the parser builds what
    they declare until the address-space limit ends the child: too large, not a crash."""
    checked = check(build(tmp_path), tmp_path / "out", _settings(False), sandbox)
    assert (checked.status, checked.reason) == (Status.TOO_LARGE, "memory")


@pytest.mark.parametrize("build", hostile.cases(hostile.PAST_THE_PREDICTION))
def test_files_that_got_past_the_prediction_are_held_by_the_limits(
        tmp_path: Path, sandbox: Sandbox, build: hostile.Builder) -> None:
    """The classes that once aborted the process past the inspection: too large, or read
    (a parser that takes the tag apart differently) with findings."""
    checked = check(build(tmp_path), tmp_path / "out", _settings(True), sandbox)
    assert checked.status in (Status.TOO_LARGE, Status.REJECTED, Status.PARTIAL), checked


def test_a_door_adds_its_findings_before_the_outputs_are_written(tmp_path: Path) -> None:
    """The door is asked once, with the accepted rows as Arrow; its finding and the row it
    holds back are in the report written once, and the status follows them."""
    path = fill(tmp_path / "geldig.xlsx", VALID_WERKGEVERS, VALID_DGA)
    asked: list[Validated] = []

    def decide(validated: Validated) -> Additions:
        asked.append(validated)
        first = validated.employer_rows()[0]
        finding = Finding("batch-conflict", sheet=validated.sheet, row=first["bron_rij"],
                          column=validated.werkgever_id_column, field="werkgever_id",
                          value=first["werkgever_id"],
                          params=(("earlier_file", "eerder.xlsx"), ("earlier_row", "2"),
                                  ("earlier_date", "01-12-2026"), ("earlier_run", "r1"),
                                  ("fields", "Verloning"), ("lhn", first["loonheffingennummer"])))
        return Additions((finding,), frozenset({first["bron_rij"]}),
                         (len(VALID_WERKGEVERS) - 1, len(VALID_DGA)))

    checked = check(path, tmp_path / "out", Settings(Options()), decide=decide)
    (validated,) = asked
    assert validated.employers.height == len(VALID_WERKGEVERS)
    assert checked.status == Status.PARTIAL
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert [f["code"] for f in report["findings"]].count("batch-conflict") == 1
    assert report["summary"]["werkgevers"]["delivered"] == len(VALID_WERKGEVERS) - 1


def test_a_time_limit_kills_the_child_and_says_so(tmp_path: Path) -> None:
    """--max-seconds too small for any check: timed-out, and report.json says so."""
    path = fill(tmp_path / "geldig.xlsx", VALID_WERKGEVERS, VALID_DGA)
    settings = Settings(Options(limits=replace(Limits(), max_seconds=0.001)))
    checked = check(path, tmp_path / "out", settings)
    assert (checked.status, checked.reason) == (Status.TIMED_OUT, "time-limit")
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["status"] == "timed-out"
    assert "langer dan is toegestaan" in report["error"]["message"]


def test_a_file_replaced_while_it_is_checked_gives_outputs_of_what_was_read(
        tmp_path: Path) -> None:
    """The workbook is replaced by another while the check is under way (here: while the door
    is asked): the report's hash, its findings and the feedback workbook are all of the file
    that was read."""
    import hashlib
    import shutil

    from intake.outputs.samples import MISTAKE_DGA, MISTAKE_WERKGEVERS

    path = fill(tmp_path / "wissel.xlsx", VALID_WERKGEVERS, VALID_DGA)
    first = hashlib.sha256(path.read_bytes()).hexdigest()
    other = fill(tmp_path / "ander.xlsx", MISTAKE_WERKGEVERS, MISTAKE_DGA)

    def replace_it(validated: Validated) -> Additions:
        shutil.copyfile(other, path)
        return Additions()

    checked = check(path, tmp_path / "out", Settings(Options()), decide=replace_it)
    assert checked.status == Status.ACCEPTED
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["workbook"]["sha256"] == first
    assert report["summary"]["werkgevers"]["rows"] == len(VALID_WERKGEVERS)
    feedback = validate_workbook(tmp_path / "out" / feedback_name(path), Options())
    assert len(feedback.werkgevers) == len(VALID_WERKGEVERS)


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_folder_or_a_fifo_is_named_for_what_it_is(tmp_path: Path, kind: str) -> None:
    """A folder or a FIFO given as the workbook: not "file not found" (it is there) but a
    status that says it is no file, at once (a FIFO is never waited on)."""
    import os

    path = tmp_path / "werkmap.xlsx"
    if kind == "folder":
        path.mkdir()
    else:
        os.mkfifo(path)
    checked = check(path, tmp_path / "out", _settings(True))
    assert (checked.status, checked.reason) == (Status.UNREADABLE, "not-a-file")


@pytest.mark.parametrize("build", [hostile.shared_strings_4g, hostile.sparse_corner])
def test_a_file_that_ends_the_child_while_read_ahead_gets_the_inspections_words(
        tmp_path: Path, build: hostile.Builder) -> None:
    """The data sheets are read while the package is inspected; a file that makes calamine
    abort meanwhile ends that child and is checked once more without reading ahead, so its
    outcome is the one the inspection gives first (read in this process, inspection first):
    the precise refusal, or the far sheet left out with its finding; a good file next is
    checked."""
    from intake.validation.reader import UnreadableWorkbook

    path = build(tmp_path)
    try:
        codes = sorted(f.code for f in validate_workbook(path).findings)
        expected: tuple[str | None, list[str]] = (None, codes)
    except UnreadableWorkbook as exc:
        expected = (exc.reason, [])
    with Sandbox(bounds(Limits())) as box:
        out = tmp_path / "out"
        checked = check(path, out, _settings(True), box)
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        codes = sorted(f["code"] for f in report.get("findings", []))
        assert (checked.reason, codes if checked.reason is None else []) == expected
        assert box.second_tries <= 1
        good = fill(tmp_path / "goed.xlsx", VALID_WERKGEVERS, VALID_DGA)
        assert check(good, tmp_path / "out2", _settings(True), box).checked


def test_a_delivery_past_the_output_limit_is_too_large_not_a_folder_to_change(
        tmp_path: Path) -> None:
    """20,000 employers under an output limit of 1 MB: werkgevers.csv is the first output
    past it (report.json and report.html stay under), and the kernel refuses the write
    (EFBIG). That is "too large", with nothing left in the folder; not "cannot write into the
    folder, choose another", which the CSV writer's error without its errno made of it."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from benchmarks.workbooks import write_workbook

    workbook = write_workbook(tmp_path / "groot.xlsx", 20_000)
    out = tmp_path / "out"
    checked = check(workbook, out, Settings(Options(limits=Limits(max_output_mb=1))))
    assert (checked.status, checked.reason) == (Status.TOO_LARGE, "output-too-big"), checked
    assert [p.name for p in out.iterdir()] == ["report.json"]  # the one that says why
