"""OUTDIR's lock is a kernel lock: two runs starting at the same moment never both hold it, and
it dies with its holder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from intake.batch.run import LOCK_NAME, LockHeld, acquire_lock

from conftest import run_intake


def _race(out: Path) -> list[tuple[float, float]]:
    """Two forked processes take the lock at the same moment; each that gets it holds it for
    20 ms. Returns the hold intervals (monotonic clock, shared by the processes)."""
    gate_r, gate_w = os.pipe()
    report_r, report_w = os.pipe()
    children = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            code = 0
            try:
                os.close(gate_w)
                os.read(gate_r, 1)  # returns when the parent closes the gate
                try:
                    lock = acquire_lock(out)
                except LockHeld:
                    os._exit(0)
                start = time.monotonic()
                time.sleep(0.02)
                os.write(report_w, f"{start:.6f} {time.monotonic():.6f}\n".encode())
                lock.release()
            except BaseException:
                code = 1
            os._exit(code)
        children.append(pid)
    os.close(gate_r)
    os.close(report_w)
    os.close(gate_w)  # open the gate for both at once
    for pid in children:
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    with os.fdopen(report_r) as reports:
        return [(float(a), float(b)) for a, b in (line.split() for line in reports)]


@pytest.mark.slow
def test_two_runs_starting_together_never_both_hold_the_lock(tmp_path: Path) -> None:
    """200 trials of two processes taking the lock at once: never two holders at a time, and
    the lock file is gone after each trial."""
    overlaps, holders = 0, 0
    for trial in range(200):
        out = tmp_path / str(trial)
        out.mkdir()
        held = _race(out)
        holders += len(held)
        if len(held) == 2 and max(held[0][0], held[1][0]) < min(held[0][1], held[1][1]):
            overlaps += 1
        assert not (out / ".intake-batch.lock").exists()
    assert overlaps == 0
    assert holders >= 200


def test_the_lock_dies_with_its_holder(tmp_path: Path) -> None:
    """While a process holds the lock a run exits 2 naming it; once that process is killed
    (SIGKILL, no clean-up) the next run takes the lock and gives it back."""
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "in").mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from intake.batch.run import acquire_lock; acquire_lock(Path(sys.argv[1])); "
         "print('held', flush=True); time.sleep(120)", str(out)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        refused = run_intake("batch", str(tmp_path / "in"), "--out", str(out))
        assert refused.returncode == 2
        assert f"pid {holder.pid}" in refused.stderr
    finally:
        holder.kill()
        holder.wait()
    assert (out / ".intake-batch.lock").exists()  # left behind, but no longer locked
    done = run_intake("batch", str(tmp_path / "in"), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert not (out / ".intake-batch.lock").exists()


@pytest.mark.parametrize(("lang", "label", "start"), [
    ("nl", "Fout", "intake batch werkt alleen op Linux"),
    ("en", "Error", "intake batch runs on Linux and other POSIX systems only")])
def test_without_fcntl_the_batch_says_so_in_one_line_and_exits_2(
        tmp_path: Path, lang: str, label: str, start: str) -> None:
    """Where `import fcntl` fails (Windows), `intake batch` prints one line in its language and
    exits 2, no traceback, and takes no lock (here in a Python whose fcntl cannot be imported)."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    code = "import sys; sys.modules['fcntl'] = None; from intake.cli import main; main()"
    done = subprocess.run([sys.executable, "-c", code, "batch", str(inbox), "--out", str(out),
                           "--lang", lang], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (2, "")
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"{label}: {start}"), line
    assert not (out / LOCK_NAME).exists()
