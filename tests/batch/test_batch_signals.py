"""SIGTERM and SIGINT stop a batch cleanly: no more files are taken, the files in hand are
finished and committed, the workers end, the lock is given back, the exit code says which
signal, and the run's folder holds no report of a file that was not committed."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from intake.outputs.samples import employer, fill

from conftest import INTAKE, committed_files, run_intake

FILES = 16


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code", "to_group"),
                         [(signal.SIGTERM, 143, False), (signal.SIGINT, 130, True)])
def test_a_signal_stops_the_run_and_commits_what_is_done(
        tmp_path: Path, signum: int, code: int, to_group: bool) -> None:
    """SIGTERM to the main process (or SIGINT to the group, as Ctrl-C sends it) midway: exit
    143/130, no worker left, every report folder belongs to a committed file, no staging or
    lock left, the run marked stopped; the next run delivers the rest, each employer once."""
    inbox = tmp_path / "in"
    for i in range(FILES):
        fill(inbox / f"f{i:02d}.xlsx", [employer(3 * i + k) for k in range(3)], [])
    out = tmp_path / "out"
    proc = subprocess.Popen([INTAKE, "batch", str(inbox), "--out", str(out), "--settle", "0",
                             "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and committed_files(out / "intake.sqlite") < 2:
        time.sleep(0.02)
    workers = _children(proc.pid)
    assert workers, "no worker processes to watch"
    if to_group:
        os.killpg(proc.pid, signum)
    else:
        os.kill(proc.pid, signum)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == code, stderr.decode()
    assert all(_gone(pid) for pid in workers), "a worker outlived the run"

    db = sqlite3.connect(out / "intake.sqlite")
    ((run_id, status),) = db.execute("SELECT id, status FROM runs").fetchall()
    outputs = {row[0] for row in db.execute("SELECT output FROM files WHERE output IS NOT NULL")}
    committed = db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
    db.close()
    assert status == "stopped"
    assert 2 <= committed < FILES, "the run did not stop taking files"
    folders = {p.name for p in (out / run_id).iterdir() if p.is_dir()}
    assert folders == outputs
    assert not (out / ".intake-batch.lock").exists()
    assert not list(out.rglob(".work"))

    done = run_intake("batch", str(inbox), "--out", str(out), "--settle", "0")
    assert done.returncode == 0, done.stderr
    delivered = []
    for run in out.iterdir():
        if (run / "werkgevers.csv").is_file():
            with (run / "werkgevers.csv").open(encoding="utf-8", newline="") as handle:
                delivered += [r["werkgever_id"] for r in csv.DictReader(handle)]
    assert sorted(delivered) == sorted(str(9_000_000 + n) for n in range(3 * FILES))
