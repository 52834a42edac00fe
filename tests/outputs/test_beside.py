"""intake.outputs.beside: an output written by a forked child while this process writes the
others; what it returns or raises reaches the caller, and it never outlives the caller."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from intake.outputs import pipeline
from intake.outputs.beside import Beside, WriterDied, writing_beside
from intake.outputs.samples import MISTAKE_DGA, MISTAKE_EXTRA_HEADER, MISTAKE_WERKGEVERS, fill
from intake.validation.validate import Options, validate_workbook

pytestmark = pytest.mark.skipif(not writing_beside, reason="a forked child: Linux")


def _gone(pid: int) -> bool:
    """Whether process `pid` has ended (a zombie waiting to be reaped counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]


def _wait_gone(pid: int) -> bool:
    for _ in range(100):
        if _gone(pid):
            return True
        time.sleep(0.1)
    return False


def test_what_the_child_returns_comes_back_from_another_process() -> None:
    assert Beside(os.getpid).result() not in (os.getpid(), 0)


def test_an_os_error_in_the_child_is_raised_with_its_errno() -> None:
    """A full disk while the feedback workbook is written is told as a full disk."""
    def full() -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as raised:
        Beside(full).result()
    assert raised.value.errno == errno.ENOSPC


def test_an_exception_that_cannot_be_pickled_arrives_as_its_text() -> None:
    class Odd(Exception):
        def __reduce__(self) -> tuple[object, ...]:
            raise TypeError("not picklable")

    def odd() -> None:
        raise Odd("a reason")

    with pytest.raises(RuntimeError, match="Odd: a reason"):
        Beside(odd).result()


def test_a_child_ended_by_a_signal_is_an_error_that_names_it() -> None:
    with pytest.raises(WriterDied, match="SIGKILL"):
        Beside(lambda: os.kill(os.getpid(), signal.SIGKILL)).result()


def test_stop_ends_a_child_that_still_runs() -> None:
    writer = Beside(lambda: time.sleep(60))
    pid = writer.pid
    writer.stop()
    assert writer.pid == 0 and _gone(pid)


_PARENT = """
import os, sys, time
from intake.outputs.beside import Beside
writer = Beside(lambda: time.sleep(60))
print(writer.pid, flush=True)
time.sleep(60)
"""


def test_the_child_does_not_outlive_its_parent_killed_with_sigkill() -> None:
    """The checking child killed at its time limit takes the feedback writer with it."""
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen([sys.executable, "-c", _PARENT], cwd=root, text=True,
                              stdout=subprocess.PIPE)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert not _gone(child)
    parent.kill()
    parent.wait()
    if not _wait_gone(child):
        os.kill(child, signal.SIGKILL)
        pytest.fail("the feedback writer outlived its parent")


def _marks(path: Path) -> dict[str, bytes]:
    """The worksheets of a feedback workbook (its Controle sheet holds the time: left out)."""
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()
                if name.startswith("xl/worksheets/sheet") and b"Controle" not in
                package.read(name)[:4096]}


def test_outputs_written_beside_are_those_written_one_after_the_other(tmp_path: Path) -> None:
    workbook = fill(tmp_path / "fouten.xlsx", MISTAKE_WERKGEVERS, MISTAKE_DGA,
                    MISTAKE_EXTRA_HEADER)
    result = validate_workbook(workbook)
    after = pipeline.write_outputs(result, tmp_path / "after", Options())
    beside = pipeline.write_outputs(result, tmp_path / "beside", Options(), beside=True)
    assert [p.name for p in after] == [p.name for p in beside]
    for a, b in zip(after, beside, strict=True):
        if a.suffix == ".xlsx":
            assert _marks(a) == _marks(b) and _marks(a)
        elif a.name != "report.html":  # it says when it was written
            assert a.read_bytes() == b.read_bytes(), a.name


def test_a_failure_of_the_other_outputs_stops_the_writer_and_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSVs fail (a full disk) while the feedback workbook is being written beside them:
    its writer is ended and no file of either stays behind."""
    workbook = fill(tmp_path / "fouten.xlsx", MISTAKE_WERKGEVERS, MISTAKE_DGA,
                    MISTAKE_EXTRA_HEADER)
    result = validate_workbook(workbook)
    writers: list[Beside[Path]] = []

    class Watched(Beside[Path]):
        def __init__(self, write: object) -> None:
            super().__init__(lambda: time.sleep(60))  # a writer that is still at work
            writers.append(self)
            self.started_pid = self.pid

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pipeline, "Beside", Watched)
    monkeypatch.setattr(pipeline, "write_csvs", full)
    with pytest.raises(OSError):
        pipeline.write_outputs(result, tmp_path / "out", Options(), beside=True)
    assert writers and writers[0].pid == 0 and _gone(writers[0].started_pid)
    assert not (tmp_path / "out").exists()
