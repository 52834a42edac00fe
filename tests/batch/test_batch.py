"""intake batch: a whole inbox processed once, remembered in the ledger, never lost or
half-written, with one combined delivery per run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from intake.batch.ledger import Ledger
from intake.batch.run import BatchOptions, run_batch
from intake.checking import check
from intake.checking.sandbox import close_idle
from intake.outputs.samples import employer, fill, lhn, write_inbox

from conftest import INTAKE, cell_of, committed_files, run_intake


def _csv_rows(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 50-file inbox, built once for the module (tests copy it when they change it)."""
    folder = tmp_path_factory.mktemp("batch") / "inbox"
    write_inbox(folder)
    return folder


@pytest.mark.slow
def test_fifty_files_then_skip_then_force(inbox: Path, tmp_path: Path) -> None:
    """First run: expected statuses, ledger rows and combined CSV; second run skips all 50;
    --force checks them again but delivers none of their employers a second time."""
    out = tmp_path / "out"
    first = run_batch(BatchOptions(inbox=inbox, out_dir=out, jobs=2, settle_seconds=0))
    statuses = Counter(str(f.status) for f in first.files)
    assert statuses == {"accepted": 25, "partially accepted": 10, "unreadable": 5,
                        "skipped": 10}
    assert first.exit_code == 1

    summary = json.loads((first.run_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["totals"] == dict(statuses)
    assert len(summary["files"]) == 50
    assert all(len(f["sha256"]) == 64 for f in summary["files"])
    assert summary["delivery"] == {"werkgevers": 55, "dga": 0}
    cross = summary["cross_file"]
    assert sorted((c["file"], c["code"], c["cell"]) for c in cross) == [
        (f"zsame_{i:02d}.xlsx", "batch-duplicate-in-run", cell_of("werkgever_id", 2))
        for i in range(5)]
    assert "valid_15.xlsx" in cross[0]["message"]

    rows = _csv_rows(first.run_dir / "werkgevers.csv")
    assert len(rows) == 55
    keys = [(r["werkgever_id"], r["loonheffingennummer"]) for r in rows]
    assert len(set(keys)) == 55, "an employer appears twice in the delivery"
    assert {r["bron_bestand"] for r in rows} >= {"valid_00.xlsx", "mixed_00.xlsx",
                                                 "zsame_00.xlsx"}
    assert not any(r["bron_bestand"].startswith(("vcopy", "unreadable")) for r in rows)

    db = sqlite3.connect(out / "intake.sqlite")
    assert db.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 50
    assert db.execute("SELECT COUNT(*) FROM employers").fetchone()[0] == 55
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert (first.run_dir / "valid_00.xlsx" / "report.json").is_file()
    assert (first.run_dir / "valid_00.xlsx" / "valid_00-feedback.xlsx").is_file()
    index = (first.run_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="valid_00.xlsx/report.html"' in index

    second = run_batch(BatchOptions(inbox=inbox, out_dir=out, jobs=2, settle_seconds=0))
    assert Counter(str(f.status) for f in second.files) == {"skipped": 50}
    assert second.exit_code == 0
    assert _csv_rows(second.run_dir / "werkgevers.csv") == []

    forced = run_batch(BatchOptions(inbox=inbox, out_dir=out, jobs=2, settle_seconds=0,
                                    force=True))
    assert Counter(str(f.status) for f in forced.files) == statuses
    assert _csv_rows(forced.run_dir / "werkgevers.csv") == []  # each employer once, ever
    assert db.execute("SELECT COUNT(*) FROM employers").fetchone()[0] == 55
    summary = json.loads((forced.run_dir / "summary.json").read_text(encoding="utf-8"))
    again = Counter(c["code"] for c in summary["cross_file"])
    assert again == {"batch-already-registered": 55 + 5}  # the five in-run copies too


def test_already_registered_in_an_earlier_run_is_not_delivered_again(tmp_path: Path) -> None:
    """A new file registering an employer delivered by an earlier run: a warning naming the
    earlier file and date, and the employer is not in this run's delivery."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    fill(inbox / "eerste.xlsx", [employer(1)], [])
    out = tmp_path / "out"
    run_batch(BatchOptions(inbox=inbox, out_dir=out, settle_seconds=0))
    fill(inbox / "tweede.xlsx", [employer(1), employer(2)], [])
    second = run_batch(BatchOptions(inbox=inbox, out_dir=out, settle_seconds=0))
    summary = json.loads((second.run_dir / "summary.json").read_text(encoding="utf-8"))
    (note,) = summary["cross_file"]
    assert note["code"] == "batch-already-registered"
    assert "eerste.xlsx" in note["message"] and note["cell"] == cell_of("werkgever_id", 2)
    rows = _csv_rows(second.run_dir / "werkgevers.csv")
    assert [r["werkgever_id"] for r in rows] == [str(9_000_002)]


def test_history_shows_runs_and_an_employer(tmp_path: Path) -> None:
    """`intake history` lists runs and files, or where a Werkgever ID was registered; in Dutch
    by default, in English with --lang en."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    fill(inbox / "a.xlsx", [employer(7)], [])
    out = tmp_path / "out"
    done = run_intake("batch", str(inbox), "--out", str(out), "--settle", "0")
    assert done.returncode == 0, done.stderr
    listing = run_intake("history", "--out", str(out))
    assert "verwerking " in listing.stdout and "klaar" in listing.stdout
    assert "goedgekeurd" in listing.stdout and "a.xlsx" in listing.stdout
    assert "1/1 werkgevers goedgekeurd, 1 aangeleverd" in listing.stdout
    english = run_intake("history", "--out", str(out), "--lang", "en")
    assert "1/1 employers accepted, 1 delivered" in english.stdout
    employer_line = run_intake("history", "--out", str(out), "9000007")
    assert lhn(7) in employer_line.stdout and "a.xlsx rij 2" in employer_line.stdout


def test_history_of_an_unknown_employer_exits_1_with_a_sentence(tmp_path: Path) -> None:
    """`intake history WERKGEVER_ID` for an employer never delivered: exit 1 and a sentence
    saying so and what to check, in the chosen language."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    fill(inbox / "a.xlsx", [employer(7)], [])
    out = tmp_path / "out"
    run_intake("batch", str(inbox), "--out", str(out), "--settle", "0")
    nl = run_intake("history", "--out", str(out), "1234567")
    assert nl.returncode == 1
    assert nl.stderr.startswith("Werkgever ID 1234567 staat niet in het grootboek")
    en = run_intake("history", "--out", str(out), "1234567", "--lang", "en")
    assert en.returncode == 1 and "nothing has been delivered" in en.stderr


def test_move_to_sorts_files_and_never_overwrites(inbox: Path, tmp_path: Path) -> None:
    """--move-to moves each file by status after it is committed; a name clash gets a suffix."""
    own = tmp_path / "in"
    own.mkdir()
    for name in ("valid_00.xlsx", "mixed_00.xlsx", "unreadable_00.xlsx", "vcopy_00.xlsx"):
        (own / name).write_bytes((inbox / name).read_bytes())
    moved = tmp_path / "done"
    (moved / "accepted").mkdir(parents=True)
    (moved / "accepted" / "valid_00.xlsx").write_bytes(b"an older file")
    result = run_batch(BatchOptions(inbox=own, out_dir=tmp_path / "out", settle_seconds=0,
                                    move_to=moved))
    assert list(own.iterdir()) == []
    assert (moved / "accepted" / "valid_00 (2).xlsx").is_file()
    assert (moved / "accepted" / "valid_00.xlsx").read_bytes() == b"an older file"
    assert (moved / "rejected" / "mixed_00.xlsx").is_file()
    assert (moved / "quarantine" / "unreadable_00.xlsx").is_file()
    assert (moved / "skipped" / "vcopy_00.xlsx").is_file()
    assert {str(f.status) for f in result.files} == {"accepted", "partially accepted",
                                                   "unreadable", "skipped"}


def test_files_being_written_and_lock_files_are_left(tmp_path: Path) -> None:
    """A file modified seconds ago and Excel's ~$ lock file are not processed this run."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    fill(inbox / "nieuw.xlsx", [employer(1)], [])
    (inbox / "~$nieuw.xlsx").write_bytes(b"lock")
    result = run_batch(BatchOptions(inbox=inbox, out_dir=tmp_path / "out", settle_seconds=60))
    assert [(f.name, f.status) for f in result.files] == [("nieuw.xlsx", "waiting")]
    later = run_batch(BatchOptions(inbox=inbox, out_dir=tmp_path / "out", settle_seconds=0))
    assert [f.status for f in later.files] == ["accepted"]


#: The real job, kept before any test replaces it (a forked child inherits the replacement).
_CHECK_JOB = check._check_job


def _crash(channel: object, path: str, *args: object) -> object:
    """A validator that has a bug for one file and dies outright on another."""
    if path.endswith("bug.xlsx"):
        raise AssertionError("a bug")
    if path.endswith("dies.xlsx"):
        os._exit(3)
    return _CHECK_JOB(channel, path, *args)  # type: ignore[arg-type]


def test_a_crashing_file_is_failed_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A validator bug marks that file failed (saying what), a child that dies marks it
    unreadable; the other files are done."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    for n, name in enumerate(("a_bug.xlsx", "b_dies.xlsx", "c_good.xlsx")):
        fill(inbox / name, [employer(n)], [])
    monkeypatch.setattr(check, "_check_job", _crash)
    result = run_batch(BatchOptions(inbox=inbox, out_dir=tmp_path / "out", settle_seconds=0))
    assert [(f.name, f.status) for f in result.files] == [
        ("a_bug.xlsx", "failed"), ("b_dies.xlsx", "unreadable"), ("c_good.xlsx", "accepted")]
    assert "a bug" in (result.files[0].reason or "")
    assert "liep vast" in (result.files[1].reason or "")
    assert result.exit_code == 1


def _stuck(channel: object, path: str, *args: object) -> object:
    """A validator stuck where no signal reaches it (as in native code) for one file."""
    if path.endswith("vast.xlsx"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(120)
    return _CHECK_JOB(channel, path, *args)  # type: ignore[arg-type]


@pytest.mark.slow
def test_a_file_stuck_beyond_its_time_limit_is_timed_out_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child that does not finish within --max-seconds of starting its file is killed: that
    file is timed-out (tried again next run), the file beside it is accepted, and the run
    ends."""
    from intake.validation.limits import Limits

    inbox = tmp_path / "in"
    inbox.mkdir()
    fill(inbox / "a_goed.xlsx", [employer(2)], [])
    fill(inbox / "b_vast.xlsx", [employer(1)], [])
    monkeypatch.setattr(check, "_check_job", _stuck)
    start = time.monotonic()
    result = run_batch(BatchOptions(inbox=inbox, out_dir=tmp_path / "out", settle_seconds=0,
                                    jobs=2, limits=Limits(max_seconds=5)))
    assert sorted((f.name, f.status) for f in result.files) == [
        ("a_goed.xlsx", "accepted"), ("b_vast.xlsx", "timed-out")]
    assert time.monotonic() - start < 100  # the stuck child sleeps 120 s


def test_bad_folders_exit_2(tmp_path: Path) -> None:
    """A missing inbox or an output folder that cannot be written: exit 2."""
    assert run_intake("batch", str(tmp_path / "none"), "--out", str(tmp_path / "o")).returncode \
        == 2
    blocked = tmp_path / "file"
    blocked.write_text("x")
    (tmp_path / "in").mkdir()
    assert run_intake("batch", str(tmp_path / "in"), "--out", str(blocked / "o")).returncode == 2


#: Enough files that a poller starved on a loaded machine still sees the run midway.
FILES = 30


@pytest.mark.slow
def test_killed_run_loses_nothing(tmp_path: Path) -> None:
    """SIGKILL midway, then run again: every file done once, no employer delivered twice, no
    partial file left, and the killed run's outputs completed from the ledger."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    for i in range(FILES):
        fill(inbox / f"f{i:02d}.xlsx", [employer(3 * i), employer(3 * i + 1),
                                        employer(3 * i + 2)], [])
    out = tmp_path / "out"
    proc = subprocess.Popen([INTAKE, "batch", str(inbox), "--out", str(out), "--settle", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    committed = 0
    while time.time() < deadline and committed < 3:
        time.sleep(0.05)
        committed = committed_files(out / "intake.sqlite")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 3 <= committed < FILES, "the run was not killed midway"

    done = run_intake("batch", str(inbox), "--out", str(out), "--settle", "0")
    assert done.returncode == 0, done.stderr
    assert "was interrupted" in done.stderr

    ledger = Ledger(out / "intake.sqlite")
    runs = ledger.runs()
    assert [r["status"] for r in runs] == ["finished", "interrupted"]
    processed = Counter(f["name"] for f in ledger.files() if f["status"] != "skipped")
    assert processed == {f"f{i:02d}.xlsx": 1 for i in range(FILES)}
    ledger.close()

    delivered = [row for run in runs for row in _csv_rows(out / run["id"] / "werkgevers.csv")]
    assert len(delivered) == 3 * FILES
    assert len({(r["werkgever_id"], r["loonheffingennummer"]) for r in delivered}) == 3 * FILES
    leftovers = [p for p in out.rglob("*") if ".partial" in p.name or p.name.endswith(".tmp")]
    assert leftovers == []
    for run in runs:
        assert (out / run["id"] / "summary.json").is_file()
        assert (out / run["id"] / "index.html").is_file()
    assert not (out / ".intake-batch.lock").exists()


def test_limits_apply_to_every_file_of_a_batch(tmp_path: Path) -> None:
    """--max-rows reaches the validation of each file: rows past it are an error, not read."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    fill(inbox / "drie.xlsx", [employer(1), employer(2), employer(3)], [])
    done = run_intake("batch", str(inbox), "--out", str(tmp_path / "out"), "--settle", "0",
                      "--max-rows", "2")
    assert done.returncode == 1
    (run_dir,) = [p for p in (tmp_path / "out").iterdir() if p.is_dir()]
    report = json.loads((run_dir / "drie.xlsx" / "report.json").read_text(encoding="utf-8"))
    assert [f["code"] for f in report["findings"]] == ["too-many-rows"]
    assert report["summary"]["werkgevers"]["rows"] == 2


#: Where the counting job writes one line per output written (inherited by every child).
_WRITE_LOG = "INTAKE_TEST_WRITE_LOG"
_WRITERS = ("write_report_json", "write_html", "write_csvs", "write_feedback")


def _counting(channel: object, path: str, out_dir: str, *args: object) -> object:
    """The real check, with each of the pipeline's writers counting its calls per file."""
    from intake.outputs import pipeline

    log = Path(os.environ[_WRITE_LOG])
    for name in _WRITERS:
        real = getattr(pipeline, name)
        real = getattr(real, "real", real)

        def counted(*a: object, _real: Any = real, _name: str = name, **k: object) -> object:
            with log.open("a", encoding="utf-8") as handle:
                handle.write(f"{Path(out_dir).name} {_name}\n")
            return _real(*a, **k)

        counted.real = real  # type: ignore[attr-defined]
        setattr(pipeline, name, counted)
    return _CHECK_JOB(channel, path, out_dir, *args)  # type: ignore[arg-type]


def test_each_output_of_a_file_is_written_once(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Two files, the second in conflict with the first and with a new employer beside it:
    each writer runs once per file, and the second file's report, written once, already has
    the conflict (decided while its child waited) and counts one delivered employer."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    fill(inbox / "a_eerste.xlsx", [employer(1)], [])
    fill(inbox / "b_tweede.xlsx", [employer(1, verloning="4 weken"), employer(2)], [])
    os.utime(inbox / "a_eerste.xlsx", (1, 1))  # arrival order: the first file first
    log = tmp_path / "writes.log"
    monkeypatch.setenv(_WRITE_LOG, str(log))
    monkeypatch.setattr(check, "_check_job", _counting)
    close_idle()  # the children must start after the variable is set: no warm one of earlier
    try:
        result = run_batch(BatchOptions(inbox=inbox, out_dir=tmp_path / "out",
                                        settle_seconds=0))
    finally:
        close_idle()  # nor may they stay, with the variable, for later tests
    assert [(f.name, f.status) for f in result.files] == [
        ("a_eerste.xlsx", "accepted"), ("b_tweede.xlsx", "partially accepted")]
    writes = Counter(log.read_text(encoding="utf-8").splitlines())
    assert writes == Counter({f"{name} {writer}": 1 for name in ("a_eerste.xlsx",
                                                                   "b_tweede.xlsx")
                              for writer in _WRITERS})
    report = json.loads((result.run_dir / "b_tweede.xlsx" / "report.json").read_text(
        encoding="utf-8"))
    assert [f["code"] for f in report["findings"]] == ["batch-conflict"]
    assert report["summary"]["werkgevers"]["delivered"] == 1


@pytest.mark.slow
def test_files_past_the_prediction_end_in_a_status_and_the_run_goes_on(tmp_path: Path) -> None:
    """An inbox of the hostile classes that once aborted the process past the package
    inspection, and a good file: each hostile one is too large (quarantined with --move-to)
    or read with findings, the good one is delivered, the run ends with exit code 1."""
    import hostile

    inbox = tmp_path / "in"
    inbox.mkdir()
    made = tmp_path / "made"
    made.mkdir()
    for build in hostile.PAST_THE_PREDICTION:
        path = build(made)
        path.rename(inbox / path.name)
    fill(inbox / "z_goed.xlsx", [employer(5)], [])
    result = run_batch(BatchOptions(inbox=inbox, out_dir=tmp_path / "out", settle_seconds=0,
                                    move_to=tmp_path / "archief"))
    statuses = {f.name: f.status for f in result.files}
    assert statuses.pop("z_goed.xlsx") == "accepted"
    assert len(statuses) == len(hostile.PAST_THE_PREDICTION)
    assert set(statuses.values()) <= {"too-large", "rejected", "partially accepted"}
    too_large = sorted(n for n, s in statuses.items() if s == "too-large")
    assert too_large and sorted(p.name for p in (tmp_path / "archief" / "quarantine").iterdir()
                                ) == too_large
    assert result.exit_code == 1
