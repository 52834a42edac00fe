"""The ledger: a damaged, empty or foreign ledger stops the run with one line (exit 2) and is
never replaced by a fresh one; a new ledger appears whole or not at all."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from intake.batch.ledger import APPLICATION_ID, Ledger, LedgerError
from intake.outputs.samples import employer, fill

from conftest import INTAKE, run_intake


def _ledger_after_a_run(tmp_path: Path) -> Path:
    inbox = tmp_path / "in"
    for n in range(3):
        fill(inbox / f"f{n}.xlsx", [employer(n)], [])
    done = run_intake("batch", str(inbox), "--out", str(tmp_path / "out"), "--settle", "0")
    assert done.returncode == 0, done.stderr
    return tmp_path / "out" / "intake.sqlite"


def _damage(kind: str, path: Path) -> None:
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "garbage":
        path.write_bytes(b"this is not a database\n" * 500)
    elif kind == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    else:  # another program's SQLite database
        path.unlink()
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE klanten (naam TEXT)")
        db.commit()
        db.close()


@pytest.mark.parametrize("kind", ["empty", "garbage", "truncated", "foreign"])
def test_a_damaged_ledger_stops_batch_and_history_with_one_line(kind: str,
                                                                tmp_path: Path) -> None:
    """batch and history on an empty, garbage, truncated or foreign ledger: exit 2, one line
    saying what is wrong and what to do, no traceback, the file left as it was, no new run."""
    path = _ledger_after_a_run(tmp_path)
    runs_before = sorted(p.name for p in path.parent.iterdir() if p.is_dir())
    _damage(kind, path)
    damaged = path.read_bytes()
    batch = run_intake("batch", str(tmp_path / "in"), "--out", str(path.parent), "--settle", "0")
    history = run_intake("history", "--db", str(path))
    for done in (batch, history):
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        (line,) = done.stderr.strip().splitlines()
        assert str(path) in line and "back-up" in line
    assert path.read_bytes() == damaged
    assert sorted(p.name for p in path.parent.iterdir() if p.is_dir()) == runs_before
    assert not (path.parent / ".intake-batch.lock").exists()


def test_an_empty_ledger_says_it_is_empty(tmp_path: Path) -> None:
    """A 0-byte ledger is named as empty, in Dutch by default and in English with --lang en."""
    path = tmp_path / "out" / "intake.sqlite"
    path.parent.mkdir()
    path.write_bytes(b"")
    (tmp_path / "in").mkdir()
    nl = run_intake("batch", str(tmp_path / "in"), "--out", str(path.parent))
    en = run_intake("batch", str(tmp_path / "in"), "--out", str(path.parent), "--lang", "en")
    assert "het grootboek is leeg (0 bytes)" in nl.stderr
    assert "the ledger is empty (0 bytes)" in en.stderr


def test_a_new_ledger_is_whole_and_marked_as_ours(tmp_path: Path) -> None:
    """A new ledger has the whole schema and our application id, and no temporary file is left;
    a ledger of the first version (application id 0) is still opened and marked."""
    path = tmp_path / "intake.sqlite"
    ledger = Ledger(path)
    assert ledger.db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert ledger.integrity() == "ok"
    ledger.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["intake.sqlite"]
    db = sqlite3.connect(path)
    db.execute("PRAGMA application_id = 0")
    db.close()
    Ledger(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    db.close()


def test_history_without_a_ledger_does_not_create_one(tmp_path: Path) -> None:
    """`intake history --db` on a missing path: exit 2 and no file created."""
    done = run_intake("history", "--db", str(tmp_path / "none.sqlite"))
    assert done.returncode == 2
    assert not (tmp_path / "none.sqlite").exists()
    with pytest.raises(LedgerError):
        Ledger(tmp_path / "none.sqlite", create=False)


@pytest.mark.parametrize("command", ["batch", "history"])
def test_a_ledger_path_that_is_a_fifo_is_refused_at_once(tmp_path: Path, command: str) -> None:
    """--db naming a FIFO (or a folder): one line, exit 2, without waiting for a writer that
    never comes (the open used to block, holding the batch's lock, deaf to SIGTERM)."""
    fifo = tmp_path / "grootboek.sqlite"
    os.mkfifo(fifo)
    (tmp_path / "in").mkdir()
    args = {"batch": [str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--settle", "0"],
            "history": []}[command]
    done = subprocess.run([INTAKE, command, *args, "--db", str(fifo)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    assert "geen gewoon bestand" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_history_shows_names_as_escapes_and_refuses_an_empty_id(tmp_path: Path) -> None:
    """A file name with a terminal title sequence, a carriage return and a right-to-left
    override is printed by `intake history` with those as escapes, on one line; an empty
    Werkgever ID is a usage error, not the list of every run."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    name = "a\x1b]0;gehackt\x07\rklaar\u202e.xlsx"
    fill(inbox / name, [employer(1)], [])
    assert run_intake("batch", str(inbox), "--out", str(tmp_path / "out"),
                      "--settle", "0").returncode == 0
    done = run_intake("history", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    (line,) = [x for x in done.stdout.splitlines() if "gehackt" in x]
    assert "\\x1b]0;gehackt\\x07\\rklaar\\u202e.xlsx" in line
    assert not any(ch in done.stdout for ch in "\x1b\x07\r\u202e")
    empty = run_intake("history", "", "--out", str(tmp_path / "out"))
    assert empty.returncode == 2 and "Werkgever ID" in empty.stderr
