"""intake batch against a hostile inbox and an unlucky file system: odd names, unreadable files,
files that change, vanish or turn into FIFOs, links, and the order and log of a night."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from intake.batch.run import BatchOptions, BatchResult, FileOutcome, run_batch
from intake.outputs.samples import employer, fill

from conftest import INTAKE, run_intake


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _delivered(out: Path) -> list[dict[str, str]]:
    """Every employer row of every run's combined delivery under `out`."""
    return [row for run in sorted(p for p in out.iterdir() if (p / "werkgevers.csv").is_file())
            for row in _rows(run / "werkgevers.csv")]


def _old(path: Path, age: float = 3600.0) -> Path:
    """Give `path` a modification time `age` seconds ago (arrival order in tests)."""
    stamp = time.time() - age
    os.utime(path, (stamp, stamp), follow_symlinks=False)
    return path


def _within(seconds: float, work: Callable[[], BatchResult]) -> BatchResult:
    """Run `work` in a thread; fail (instead of hanging the suite) if it does not return."""
    box: list[BatchResult] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            box.append(work())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the run did not finish within {seconds} s"
    if errors:
        raise errors[0]
    return box[0]


def _runs(out: Path) -> list[str]:
    db = sqlite3.connect(out / "intake.sqlite")
    try:
        return [r[0] for r in db.execute("SELECT status FROM runs ORDER BY id")]
    finally:
        db.close()


def _options(inbox: Path, out: Path, **kwargs: object) -> BatchOptions:
    return BatchOptions(inbox=inbox, out_dir=out, settle_seconds=0, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    return folder


# --- 1. names that are not UTF-8 --------------------------------------------------------------


def test_a_name_that_is_not_utf8_is_processed_and_later_runs_go_on(inbox: Path,
                                                                   tmp_path: Path) -> None:
    """A file named b"\\xff\\xfe.xlsx" is accepted under the name \\xff\\xfe.xlsx, its employer is
    delivered, and the next run skips it instead of crashing; no run is left running."""
    source = fill(tmp_path / "bron.xlsx", [employer(1)], [])
    os.rename(source, os.path.join(os.fsencode(inbox), b"\xff\xfe.xlsx"))
    out = tmp_path / "out"
    first = run_batch(_options(inbox, out))
    assert [(f.name, f.status) for f in first.files] == [("\\xff\\xfe.xlsx", "accepted")]
    assert [r["bron_bestand"] for r in _rows(first.run_dir / "werkgevers.csv")] == [
        "\\xff\\xfe.xlsx"]
    second = run_batch(_options(inbox, out))
    assert [(f.name, f.status) for f in second.files] == [("\\xff\\xfe.xlsx", "skipped")]
    assert _runs(out) == ["finished", "finished"]


# --- 2. a file that cannot be opened -----------------------------------------------------------


def _without_override() -> list[str]:
    """A command prefix that runs without root's permission override: as root, setpriv drops
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH; as another user, nothing is needed."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux) to drop the override")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def test_a_file_that_cannot_be_opened_is_its_own_status_and_is_tried_again(
        inbox: Path, tmp_path: Path) -> None:
    """Mode 000, the batch run without root's override (setpriv when the tests run as root):
    that file is 'inaccessible' with the reason, the other file is accepted, and after the
    permissions are fixed the next run accepts it."""
    import subprocess

    fill(inbox / "goed.xlsx", [employer(1)], [])
    locked = fill(inbox / "dicht.xlsx", [employer(2)], [])
    locked.chmod(0o000)
    out = tmp_path / "out"
    command = [*_without_override(), INTAKE, "batch", str(inbox), "--out", str(out),
               "--settle", "0", "--log-format", "json"]
    first = subprocess.run(command, capture_output=True, text=True, check=False)
    assert first.returncode == 1, first.stderr
    lines = {r["file"]: r for r in map(json.loads, first.stderr.splitlines()[:2])}
    assert lines["goed.xlsx"]["status"] == "accepted"
    assert lines["dicht.xlsx"]["status"] == "inaccessible"
    assert "Permission denied" in lines["dicht.xlsx"]["reason"]
    locked.chmod(0o644)
    second = subprocess.run(command, capture_output=True, text=True, check=False)
    assert second.returncode == 0, second.stderr
    assert sorted(r["werkgever_id"] for r in _delivered(out)) == ["9000001", "9000002"]


# --- 3. long names -------------------------------------------------------------------------------


def test_long_names_are_processed_and_moved_every_night(inbox: Path, tmp_path: Path) -> None:
    """A 255-byte name is accepted (not quarantined), and a 253-byte name arriving again on
    later nights is moved beside the first under shortened ' (2)' and ' (3)' names."""
    longest = "B" * 250 + ".xlsx"
    again = "A" * 248 + ".xlsx"
    fill(inbox / longest, [employer(1)], [])
    fill(inbox / again, [employer(2)], [])
    moved, out = tmp_path / "verwerkt", tmp_path / "out"
    first = run_batch(_options(inbox, out, move_to=moved))
    assert sorted((f.name, f.status) for f in first.files) == [(again, "accepted"),
                                                               (longest, "accepted")]
    fill(inbox / again, [employer(3)], [])
    second = run_batch(_options(inbox, out, move_to=moved))
    ((name, status, moved_to),) = [(f.name, f.status, f.moved_to) for f in second.files]
    assert (name, status) == (again, "accepted")
    assert moved_to is not None and Path(moved_to).is_file()
    assert len(os.fsencode(Path(moved_to).name)) <= 255
    assert sorted(p.name for p in (moved / "accepted").iterdir()) == sorted(
        [again, longest, Path(moved_to).name])
    fill(inbox / again, [employer(4)], [])
    third = run_batch(_options(inbox, out, move_to=moved))
    (last,) = third.files
    assert last.moved_to is not None and last.moved_to.endswith(" (3).xlsx")
    assert len(list((moved / "accepted").iterdir())) == 4
    assert _runs(out) == ["finished", "finished", "finished"]
    assert list(inbox.iterdir()) == []


# --- 4-6. files that change between listing and reading ----------------------------------------


def _two_files(inbox: Path) -> tuple[Path, Path]:
    first = _old(fill(inbox / "a.xlsx", [employer(1)], []), 7200)
    second = _old(fill(inbox / "b.xlsx", [employer(2)], []), 3600)
    return first, second


def _after_first(action: Callable[[], None]) -> Callable[[str, int, int, FileOutcome], None]:
    """A progress callback that changes the inbox once the first file is committed."""
    def progress(run_id: str, done: int, total: int, outcome: FileOutcome) -> None:
        if done == 1:
            action()
    return progress


def test_a_file_replaced_by_a_fifo_after_listing_never_blocks(inbox: Path,
                                                              tmp_path: Path) -> None:
    """b.xlsx becomes a FIFO after the inbox was listed: it is refused at once, the run
    finishes and the lock is given back."""
    _, second = _two_files(inbox)

    def to_fifo() -> None:
        second.unlink()
        os.mkfifo(second)

    out = tmp_path / "out"
    result = _within(60, lambda: run_batch(_options(inbox, out), _after_first(to_fifo)))
    assert [(f.name, f.status) for f in result.files] == [("a.xlsx", "accepted"),
                                                          ("b.xlsx", "refused")]
    assert "FIFO" in (result.files[1].reason or "")
    assert not (out / ".intake-batch.lock").exists()


def test_the_hash_and_the_validation_are_of_the_same_bytes(inbox: Path, tmp_path: Path) -> None:
    """b.xlsx is overwritten after the listing: the ledger's sha256 is of the bytes whose
    employers were delivered, and the original content sent again later is delivered too."""
    _, second = _two_files(inbox)
    original = second.read_bytes()
    replacement = fill(tmp_path / "nieuw.xlsx", [employer(3)], []).read_bytes()
    out = tmp_path / "out"
    first = run_batch(_options(inbox, out),
                      _after_first(lambda: second.write_bytes(replacement)))
    outcome = first.files[1]
    assert outcome.sha256 == hashlib.sha256(replacement).hexdigest()
    assert [r["werkgever_id"] for r in _rows(first.run_dir / "werkgevers.csv")] == [
        "9000001", "9000003"]
    second.write_bytes(original)
    later = run_batch(_options(inbox, out))
    assert [(f.name, f.status) for f in later.files if f.name == "b.xlsx"] == [
        ("b.xlsx", "accepted")]
    assert sorted(r["werkgever_id"] for r in _delivered(out)) == ["9000001", "9000002",
                                                                  "9000003"]


def test_a_file_deleted_during_the_run_is_vanished_and_not_remembered(
        inbox: Path, tmp_path: Path) -> None:
    """b.xlsx is deleted after the listing: status 'vanished', the run finishes (exit 0), and
    the same content sent again later is processed, not skipped."""
    _, second = _two_files(inbox)
    content = second.read_bytes()
    out = tmp_path / "out"
    result = run_batch(_options(inbox, out), _after_first(second.unlink))
    assert [(f.name, f.status) for f in result.files] == [("a.xlsx", "accepted"),
                                                          ("b.xlsx", "vanished")]
    assert result.exit_code == 0
    second.write_bytes(content)
    later = run_batch(_options(inbox, out))
    assert [(f.name, f.status) for f in later.files] == [("a.xlsx", "skipped"),
                                                         ("b.xlsx", "accepted")]
    assert _runs(out) == ["finished", "finished"]


# --- 7. links and special files --------------------------------------------------------------


def test_links_and_special_files_are_never_read(inbox: Path, tmp_path: Path) -> None:
    """A link to a workbook outside the inbox, a link to /etc/passwd, a link to a workbook
    inside the inbox, a FIFO and a device are refused, not read; a linked folder is not
    entered with --recursive; only the real file is delivered."""
    outside = fill(tmp_path / "buiten.xlsx", [employer(50)], [])
    real = fill(inbox / "echt.xlsx", [employer(1)], [])
    (inbox / "buiten.xlsx").symlink_to(outside)
    (inbox / "passwd.xlsx").symlink_to("/etc/passwd")
    (inbox / "naar-echt.xlsx").symlink_to(real)
    os.mkfifo(inbox / "fifo.xlsx")
    if os.geteuid() == 0:
        os.mknod(inbox / "apparaat.xlsx", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    elsewhere = tmp_path / "elders"
    fill(elsewhere / "diep.xlsx", [employer(51)], [])
    (inbox / "gelinkt").symlink_to(elsewhere)
    out = tmp_path / "out"
    result = _within(60, lambda: run_batch(_options(inbox, out, recursive=True)))
    statuses = {f.name: str(f.status) for f in result.files}
    expected = {"echt.xlsx": "accepted", "buiten.xlsx": "refused", "passwd.xlsx": "refused",
                "naar-echt.xlsx": "refused", "fifo.xlsx": "refused"}
    if os.geteuid() == 0:
        expected["apparaat.xlsx"] = "refused"
    assert statuses == expected
    reasons = {f.name: f.reason or "" for f in result.files}
    assert "symbolische link" in reasons["passwd.xlsx"] and "apparaat" in reasons.get(
        "apparaat.xlsx", "apparaat")
    assert [r["werkgever_id"] for r in _rows(result.run_dir / "werkgevers.csv")] == ["9000001"]
    assert result.exit_code == 1


# --- 8 is in test_ledger.py; 9 (a full disk) below -------------------------------------------


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 600 KiB tmpfs, mounted for the test (root with mount rights only)."""
    import subprocess

    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    point = Path(tempfile.mkdtemp(prefix="intake-full-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(point)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        point.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=False)
        point.rmdir()


def test_a_full_disk_stops_the_run_cleanly_and_the_next_run_completes(
        inbox: Path, small_disk: Path) -> None:
    """OUTDIR on a full tmpfs: exit 2 with one line, the lock given back; after the disk is
    grown the next run completes, and every employer is delivered exactly once."""
    import subprocess

    for i in range(12):
        fill(inbox / f"f{i:02d}.xlsx", [employer(2 * i), employer(2 * i + 1)], [])
    out = small_disk / "out"
    full = run_intake("batch", str(inbox), "--out", str(out), "--settle", "0")
    assert full.returncode == 2, full.stderr
    message = [line for line in full.stderr.splitlines() if line.startswith("Fout:")]
    assert len(message) == 1 and "ruimte" in message[0], full.stderr
    assert "Traceback" not in full.stderr
    assert not (out / ".intake-batch.lock").exists()
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    done = run_intake("batch", str(inbox), "--out", str(out), "--settle", "0")
    assert done.returncode == 0, done.stderr
    ids = sorted(r["werkgever_id"] for r in _delivered(out))
    assert ids == sorted(str(9_000_000 + n) for n in range(24))
    assert "running" not in _runs(out)


# --- 12, 13: names in the delivery and in OUTDIR ---------------------------------------------


def test_file_names_never_reach_the_csv_as_formulas(inbox: Path, tmp_path: Path) -> None:
    """bron_bestand of files named like formulas starts with an apostrophe (so no spreadsheet
    runs it), and a control character in a name is written as \\u0009."""
    names = ["=1+1.xlsx", "@SUM(1;2).xlsx", "+1+2.xlsx", "-1+2.xlsx", "\tx.xlsx",
             "a\u202eb.xlsx"]
    for n, name in enumerate(names):
        fill(inbox / name, [employer(n)], [])
    result = run_batch(_options(inbox, tmp_path / "out"))
    sources = sorted(r["bron_bestand"] for r in _rows(result.run_dir / "werkgevers.csv"))
    assert sources == sorted(["'=1+1.xlsx", "'@SUM(1;2).xlsx", "'+1+2.xlsx", "'-1+2.xlsx",
                              "\\u0009x.xlsx", "a\\u202eb.xlsx"])


@pytest.mark.slow
@pytest.mark.external
@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice Calc (Debian libreoffice-calc) is not installed; "
                    ".ci/run installs it")
def test_libreoffice_opens_bron_bestand_as_text(inbox: Path, tmp_path: Path) -> None:
    """LibreOffice Calc opening the combined CSV makes no formula of any file name: every
    bron_bestand cell is text and shows the name."""
    import openpyxl

    names = ["=1+1.xlsx", "@SUM(1;2).xlsx", "+1+2.xlsx", "-1+2.xlsx"]
    for n, name in enumerate(names):
        fill(inbox / name, [employer(n)], [])
    result = run_batch(_options(inbox, tmp_path / "out"))
    converted = tmp_path / "lo"
    subprocess.run([str(shutil.which("soffice")), f"-env:UserInstallation=file://{converted}/p",
                    "--headless", "--infilter=CSV:44,34,76", "--convert-to", "xlsx",
                    "--outdir", str(converted), str(result.run_dir / "werkgevers.csv")],
                   check=True, capture_output=True, timeout=180)
    sheet = openpyxl.load_workbook(converted / "werkgevers.xlsx").active
    header = [c.value for c in sheet[1]]
    column = header.index("bron_bestand") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    assert [c.data_type for c in cells] == ["s"] * len(names)
    assert sorted(str(c.value).lstrip("'") for c in cells) == sorted(names)


def test_recursive_names_that_flatten_alike_get_their_own_folders(inbox: Path,
                                                                  tmp_path: Path) -> None:
    """--recursive: a/b.xlsx and a__b.xlsx each get an output folder with their own report."""
    fill(inbox / "a" / "b.xlsx", [employer(1)], [])
    fill(inbox / "a__b.xlsx", [employer(2), employer(3)], [])
    result = run_batch(_options(inbox, tmp_path / "out", recursive=True))
    folders = {f.name: f.output for f in result.files}
    assert set(folders) == {"a/b.xlsx", "a__b.xlsx"}
    assert len(set(folders.values())) == 2
    rows = {name: json.loads((result.run_dir / str(folder) / "report.json").read_text(
        encoding="utf-8"))["summary"]["werkgevers"]["rows"] for name, folder in folders.items()}
    assert rows == {"a/b.xlsx": 1, "a__b.xlsx": 2}


# --- 14: limits that are not numbers -------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e300", "-1"])
@pytest.mark.parametrize("command", ["batch", "validate"])
def test_max_seconds_must_be_a_finite_number(value: str, command: str, tmp_path: Path) -> None:
    """--max-seconds nan/inf/1e300 is a usage error (exit 2) in batch and validate alike."""
    target = tmp_path / ("in" if command == "batch" else "x.xlsx")
    if command == "batch":
        target.mkdir()
        done = run_intake("batch", str(target), "--out", str(tmp_path / "out"),
                          "--max-seconds", value)
    else:
        fill(target, [employer(1)], [])
        done = run_intake("validate", str(target), "--max-seconds", value)
    assert done.returncode == 2
    assert "--max-seconds" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_time_out_is_its_own_status_and_is_tried_again(inbox: Path, tmp_path: Path) -> None:
    """A file over --max-seconds is 'timed-out' (not unreadable, not moved to quarantine), and
    the next run with room processes it."""
    fill(inbox / "groot.xlsx", [employer(n) for n in range(3000)], [])
    out, moved = tmp_path / "out", tmp_path / "verwerkt"
    slow = run_batch(BatchOptions(inbox=inbox, out_dir=out, settle_seconds=0, move_to=moved,
                                  limits=_limits(0.05)))
    assert [f.status for f in slow.files] == ["timed-out"]
    assert "duurde langer dan is toegestaan" in (slow.files[0].reason or "")
    assert not moved.exists()
    again = run_batch(BatchOptions(inbox=inbox, out_dir=out, settle_seconds=0, move_to=moved))
    assert [f.status for f in again.files] == ["accepted"]


def _limits(seconds: float) -> object:
    from intake.validation.limits import Limits

    return Limits(max_seconds=seconds)


# --- 15, 16: order and log ------------------------------------------------------------------------


def test_files_are_taken_in_arrival_order(inbox: Path, tmp_path: Path) -> None:
    """The original arrives first, its copy 'Kopie van …' later: the original is delivered and
    the copy skipped; an older file is processed before a newer correction named earlier (which
    then conflicts with it, not the other way round)."""
    original = _old(fill(inbox / "x.xlsx", [employer(1)], []), 7200)
    _old(fill(inbox / "b-origineel.xlsx", [employer(2)], []), 7000)
    shutil.copyfile(original, inbox / "Kopie van x.xlsx")
    _old(inbox / "Kopie van x.xlsx", 3600)
    _old(fill(inbox / "a-correctie.xlsx", [employer(2, verloning="4 weken")], []), 3000)
    result = run_batch(_options(inbox, tmp_path / "out"))
    assert [(f.name, f.status, f.same_as) for f in result.files] == [
        ("x.xlsx", "accepted", None), ("b-origineel.xlsx", "accepted", None),
        ("Kopie van x.xlsx", "skipped", "x.xlsx"), ("a-correctie.xlsx", "rejected", None)]
    sources = [r["bron_bestand"] for r in _rows(result.run_dir / "werkgevers.csv")]
    assert sources == ["x.xlsx", "b-origineel.xlsx"]
    summary = json.loads((result.run_dir / "summary.json").read_text(encoding="utf-8"))
    ((note,),) = [summary["cross_file"]]
    assert note["file"] == "a-correctie.xlsx" and "b-origineel.xlsx" in note["message"]


LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d run=(?P<run>\S+) "
                  r"file=(?P<file>\"[^\"]*\") status=(?P<status>\"[^\"]*\")(?P<rest>.*)$")


def test_log_lines_say_when_which_run_what_and_why(inbox: Path, tmp_path: Path) -> None:
    """Each line: ISO time, run id, file, status, counts, and the reason when not accepted;
    with --log-format json one object per line with the same facts."""
    _old(fill(inbox / "goed.xlsx", [employer(1)], []), 7200)
    _old(fill(inbox / "half.xlsx", [employer(2), employer(3, verloning="week")], []), 3600)
    (inbox / "kapot.xlsx").write_text("geen werkmap")
    _old(inbox / "kapot.xlsx", 1800)
    done = run_intake("batch", str(inbox), "--out", str(tmp_path / "out"), "--settle", "0")
    assert done.returncode == 1
    run_id = done.stdout.split()[1].rstrip(":")
    lines = [LINE.match(line) for line in done.stderr.splitlines()]
    assert all(lines), done.stderr
    assert [(m["run"], json.loads(m["file"]), json.loads(m["status"])) for m in lines if m] == [
        (run_id, "goed.xlsx", "accepted"), (run_id, "half.xlsx", "partially accepted"),
        (run_id, "kapot.xlsx", "unreadable")]
    assert "rows=1 accepted=1 rejected=0 delivered=1" in done.stderr.splitlines()[0]
    assert 'reason="1 fout(en)' in done.stderr.splitlines()[1]
    assert "kan niet als werkmap worden gelezen" in done.stderr.splitlines()[2]

    again = run_intake("batch", str(inbox), "--out", str(tmp_path / "out2"), "--settle", "0",
                       "--log-format", "json")
    records = [json.loads(line) for line in again.stderr.splitlines()]
    assert [(r["file"], r["status"]) for r in records] == [
        ("goed.xlsx", "accepted"), ("half.xlsx", "partially accepted"),
        ("kapot.xlsx", "unreadable")]
    assert records[1]["accepted"] == 1 and records[1]["rejected"] == 1
    assert "reason" not in records[0] and records[2]["reason"]
    assert all(re.match(r"\d{4}-\d\d-\d\dT", r["time"]) for r in records)
