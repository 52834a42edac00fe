"""intake backup: a copy of the ledger (and web.sqlite) that is whole while others write, checked,
and never written over an existing file."""

from __future__ import annotations

import json
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

from conftest import run_intake

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
