"""intake backup: a copy of the ledger (and web.sqlite) that is whole while others write, checked,
and never written over an existing file."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from intake.batch.backup import back_up
from intake.batch.ledger import Ledger
from intake.batch.run import BatchOptions, run_batch
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill
from intake.web.store import Store

from conftest import INTAKE, file_size_limit, run_intake

#: A second process that commits, as fast as it can, a run and a file in one transaction: in
#: any moment's copy there are as many runs as files. It prints "go" after its first commit.
WRITER = """
import sqlite3, sys, itertools
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("PRAGMA journal_mode=WAL")
for n in itertools.count():
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO runs (id, started_at, status, inbox, out_dir) "
               "VALUES (?, '2026-01-01T00:00:00+00:00', 'finished', 'in', 'out')", (f"w{n}",))
    db.execute("INSERT INTO files (run_id, name, path, sha256, size, status, processed_at) "
               "VALUES (?, 'f.xlsx', 'f.xlsx', ?, 1, 'accepted', '2026-01-01T00:00:00+00:00')",
               (f"w{n}", f"{n:064d}"))
    db.execute("COMMIT")
    if n == 0:
        print("go", flush=True)
"""


def _counts(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as db:
        return (db.execute("SELECT COUNT(*) FROM runs").fetchone()[0],
                db.execute("SELECT COUNT(*) FROM files").fetchone()[0])


def test_a_backup_taken_while_another_process_writes_is_consistent(tmp_path: Path) -> None:
    """Five backups taken while another process commits a run and its file in one transaction
    after another: each copy passes integrity_check and holds as many runs as files (never half
    a transaction), and later copies hold more (the writer really wrote meanwhile)."""
    ledger = tmp_path / "out" / "intake.sqlite"
    Ledger(ledger).close()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(ledger)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "go"
        seen = []
        for n in range(5):
            made = back_up(ledger, None, tmp_path / f"backup-{n}")
            copy = made.ledger.copy
            with sqlite3.connect(copy) as db:
                assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            runs, files = _counts(copy)
            assert runs == files == made.ledger.rows["runs"]
            seen.append(runs)
            time.sleep(0.05)
    finally:
        writer.kill()
        writer.wait()
    assert seen == sorted(seen) and seen[-1] > seen[0] > 0
    assert not [p for p in tmp_path.rglob(".*part*")]


def test_a_backup_restores_to_the_same_delivered_rows(tmp_path: Path) -> None:
    """After a real batch, `intake backup` copies the ledger and web.sqlite; the copy opens as
    a ledger and gives the run's delivered employer and DGA rows exactly as the original."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    fill(inbox / "a.xlsx", VALID_WERKGEVERS[:1], VALID_DGA[:2])
    result = run_batch(BatchOptions(inbox=inbox, out_dir=out, settle_seconds=0))
    Store(out / "intake.sqlite", out / "web" / "web.sqlite").close()
    done = run_intake("backup", "--out", str(out), str(tmp_path / "b"), "--json")
    assert done.returncode == 0, done.stderr
    copies = json.loads(done.stdout)["copies"]
    assert [Path(c["copy"]).name for c in copies] == ["intake.sqlite", "web.sqlite"]
    original, copy = Ledger(out / "intake.sqlite"), Ledger(tmp_path / "b" / "intake.sqlite")
    try:
        assert copy.integrity() == "ok"
        assert copy.delivery(result.run_id) == original.delivery(result.run_id)
        assert len(copy.delivery(result.run_id)[1]) == 2
    finally:
        original.close()
        copy.close()


def test_an_existing_destination_is_refused(tmp_path: Path) -> None:
    """DEST/intake.sqlite exists: exit 2 with one line naming it, the file is unchanged and no
    temporary copy is left in DEST."""
    out, dest = tmp_path / "out", tmp_path / "b"
    Ledger(out / "intake.sqlite").close()
    dest.mkdir()
    (dest / "intake.sqlite").write_bytes(b"the backup of yesterday")
    done = run_intake("backup", "--out", str(out), str(dest), "--lang", "en")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"Error: {dest / 'intake.sqlite'} exists; a backup never overwrites a file: give a new "
        "folder, for example one named after the date"]
    assert (dest / "intake.sqlite").read_bytes() == b"the backup of yesterday"
    assert sorted(p.name for p in dest.iterdir()) == ["intake.sqlite"]


def test_a_missing_ledger_is_exit_2_and_makes_nothing(tmp_path: Path) -> None:
    """No ledger at OUTDIR: exit 2 naming it, and DEST is not made."""
    done = run_intake("backup", "--out", str(tmp_path / "out"), str(tmp_path / "b"))
    assert done.returncode == 2
    assert "geen grootboek" in done.stderr
    assert not (tmp_path / "b").exists()


def _ledger_and_web(out: Path, web_rows: int = 0) -> list[str]:
    """A real ledger (one batch run) and a web.sqlite of `web_rows` rows of 1 KB in rollback
    mode (so a test can hold its lock); the ledger's dump, to compare with afterwards."""
    fill(out.parent / "in" / "a.xlsx", VALID_WERKGEVERS[:1], VALID_DGA[:2])
    run_batch(BatchOptions(inbox=out.parent / "in", out_dir=out, settle_seconds=0))
    (out / "web").mkdir()
    with sqlite3.connect(out / "web" / "web.sqlite") as db:
        db.execute("CREATE TABLE filler (data BLOB)")
        db.executemany("INSERT INTO filler VALUES (?)", [(os.urandom(1000),)] * web_rows)
    db.close()
    return _dump(out / "intake.sqlite")


def _dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        dump = list(db.iterdump())
    db.close()
    return dump


def _everything(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() \
        else ["(no folder)"]


def test_a_full_disk_leaves_neither_copy_and_says_so(tmp_path: Path) -> None:
    """A disk that fills up at the second copy (web.sqlite, larger than the room left: a file
    size limit on the process) leaves no copy at all in DEST, not the ledger's alone, nor a
    hidden part: exit 2, one line saying DEST cannot be written and that nothing was left; the
    ledger is unchanged. (A real full disk says "no room in DEST": seen on a full tmpfs.)"""
    out, dest = tmp_path / "out", tmp_path / "b"
    before = _ledger_and_web(out, web_rows=400)
    dest.mkdir()  # the operator's folder: kept, and empty again
    assert (out / "intake.sqlite").stat().st_size < 200_000 < (out / "web" / "web.sqlite") \
        .stat().st_size
    done = subprocess.run([INTAKE, "backup", "--out", str(out), "--lang", "en", str(dest)],
                          capture_output=True, text=True, check=False,
                          preexec_fn=file_size_limit(200_000))
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"Error: cannot write in {dest} (disk I/O error; ")
    assert line.endswith("needed): check that disk; no copy, half or whole, was left there")
    assert _everything(dest) == []
    assert _dump(out / "intake.sqlite") == before


def test_a_full_disk_in_a_dated_backup_leaves_no_folder(tmp_path: Path) -> None:
    """With --dated, a backup that fails for want of room removes the folder it made: no
    dated folder that `--keep` or a person could take for a backup."""
    out, dest = tmp_path / "out", tmp_path / "b"
    _ledger_and_web(out, web_rows=400)
    done = subprocess.run([INTAKE, "backup", "--out", str(out), "--dated", "--keep", "2",
                           str(dest)], capture_output=True, text=True, check=False,
                          preexec_fn=file_size_limit(200_000))
    assert done.returncode == 2 and "kan niet schrijven in" in done.stderr
    assert _everything(dest) == []


def _held(out: Path) -> sqlite3.Connection:
    """A connection holding web.sqlite's exclusive lock: a backup waits for it."""
    holder = sqlite3.connect(out / "web" / "web.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


def _wait_for_the_ledgers_part(dest: Path) -> None:
    """Until the ledger's copy is staged in DEST (the backup then waits for web.sqlite)."""
    for _ in range(600):
        if dest.is_dir() and any(p.name.startswith(".intake.sqlite.part-")
                                 for p in dest.iterdir()):
            time.sleep(0.3)
            return
        time.sleep(0.05)
    raise AssertionError("the backup never staged the ledger's copy")


def test_sigterm_midway_leaves_nothing_and_says_so(tmp_path: Path) -> None:
    """SIGTERM while the ledger's copy is made and the web's is waited for: exit 143, one line,
    no copy and no hidden part in DEST; the ledger is unchanged."""
    out, dest = tmp_path / "out", tmp_path / "b"
    before = _ledger_and_web(out, web_rows=10)
    dest.mkdir()
    holder = _held(out)
    try:
        backup = subprocess.Popen([INTAKE, "backup", "--out", str(out), "--lang", "en",
                                   str(dest)], stderr=subprocess.PIPE, text=True)
        _wait_for_the_ledgers_part(dest)
        backup.send_signal(signal.SIGTERM)
        time.sleep(0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _, err = backup.communicate(timeout=60)
    assert (backup.returncode, err.strip().splitlines()) == (143, [
        "Error: intake backup was stopped (SIGTERM); no copy, half or whole, was left"])
    assert _everything(dest) == []
    assert _dump(out / "intake.sqlite") == before


def test_a_destination_that_vanishes_midway_is_one_line(tmp_path: Path) -> None:
    """DEST removed while the backup runs (between the ledger's copy and the web's): exit 2,
    one line saying the folder vanished; nothing is made anywhere else."""
    out, dest = tmp_path / "out", tmp_path / "b"
    before = _ledger_and_web(out, web_rows=10)
    holder = _held(out)
    try:
        backup = subprocess.Popen([INTAKE, "backup", "--out", str(out), "--lang", "en",
                                   str(dest)], stderr=subprocess.PIPE, text=True)
        _wait_for_the_ledgers_part(dest)
        shutil.rmtree(dest)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _, err = backup.communicate(timeout=60)
    assert (backup.returncode, err.strip().splitlines()) == (2, [
        f"Error: the folder {dest} vanished while the backup ran (removed or unmounted); no "
        "copy was made"])
    assert not dest.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]
    assert _dump(out / "intake.sqlite") == before


def test_dated_backups_keep_the_newest_whole_ones(tmp_path: Path) -> None:
    """--dated makes a folder per backup named after its time; --keep 2 then leaves the two
    newest whole backups, removes the older ones and a dated folder without a copy (a killed
    backup's), and leaves alone what is not a dated backup folder or is a link."""
    out, dest = tmp_path / "out", tmp_path / "b"
    _ledger_and_web(out)
    start = dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)
    for day in range(3):
        back_up(out / "intake.sqlite", None, dest, dated=True,
                now=start + dt.timedelta(days=day))
    (dest / "2026-11-30T013000Z").mkdir()  # a killed backup: no intake.sqlite
    (dest / "2026-11-30T013000Z" / ".intake.sqlite.part-99").write_bytes(b"half")
    (dest / "notes").mkdir()
    (dest / "2026-11-01T013000Z").symlink_to(tmp_path / "out")
    made = back_up(out / "intake.sqlite", out / "web" / "web.sqlite", dest, dated=True,
                   keep=2, now=start + dt.timedelta(days=3))
    assert made.dest == dest / "2026-12-04T013000Z"
    assert [p.name for p in made.removed] == [
        "2026-11-30T013000Z", "2026-12-01T013000Z", "2026-12-02T013000Z"]
    assert sorted(p.name for p in dest.iterdir()) == [
        "2026-11-01T013000Z", "2026-12-03T013000Z", "2026-12-04T013000Z", "notes"]
    assert sorted(p.name for p in made.dest.iterdir()) == ["intake.sqlite", "web.sqlite"]
    assert (out / "intake.sqlite").exists()


def test_keep_without_dated_is_a_usage_error(tmp_path: Path) -> None:
    """--keep removes dated folders only: without --dated it is refused, exit 2, nothing made."""
    out = tmp_path / "out"
    Ledger(out / "intake.sqlite").close()
    done = run_intake("backup", "--out", str(out), "--keep", "3", str(tmp_path / "b"))
    assert done.returncode == 2 and "--keep needs --dated" in done.stderr
    assert not (tmp_path / "b").exists()
