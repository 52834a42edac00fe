"""The time limit: a time-out is named as such wherever it strikes, on platforms with and
without SIGALRM, and no value of --max-seconds gives a traceback."""

from __future__ import annotations

import contextlib
import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import hostile
import pytest

from intake.outputs.pipeline import run
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill
from intake.validation.limits import Limits
from intake.validation.timelimit import TimeLimitExceeded, time_limit
from intake.validation.validate import Options

from conftest import INTAKE, failure_report

#: Limits from "before anything is read" to "while the feedback is written".
SWEEP = (0.0005, 0.001, 0.002, 0.004, 0.008, 0.015, 0.03, 0.06, 0.12, 0.25, 0.5)


def _busy(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_time_out_anywhere_is_a_time_out_never_a_damaged_file(tmp_path: Path) -> None:
    """Whichever step the limit strikes in (package inspection, calamine, the rules, the
    feedback writer with its fallbacks), the run ends in TimeLimitExceeded with nothing
    written, or completes; it is never UnreadableWorkbook or another error."""
    path = hostile.huge_values(tmp_path)
    outcomes = []
    for n, seconds in enumerate(SWEEP):
        out = tmp_path / f"out{n}"
        try:
            run(path, out, Options(limits=Limits(max_seconds=seconds)))
            outcomes.append("done")
        except TimeLimitExceeded:
            outcomes.append("time-out")
            assert not out.exists()
    assert "time-out" in outcomes, outcomes


def test_time_out_is_not_an_exception_a_library_could_swallow() -> None:
    """`except Exception` (in our fallbacks or in a library) cannot catch the time-out."""
    with pytest.raises(TimeLimitExceeded), time_limit(0.01):
        with contextlib.suppress(Exception):  # what a library's fallback does
            _busy(5)
        _busy(5)


def _turned_into_a_type_error() -> None:
    """What polars does when reading a data type calls back into Python and that raises:
    whatever was raised, a TypeError of its own comes out."""
    try:
        _busy(5)
    except BaseException:
        raise TypeError("'<unprintable str object>' is not a Polars data type") from None


@pytest.mark.parametrize("setitimer", [True, False], ids=["alarm", "timer-thread"])
def test_a_time_out_a_library_turns_into_another_error_is_still_a_time_out(
        monkeypatch: pytest.MonkeyPatch, setitimer: bool) -> None:
    """The time-out struck inside library code that raised an error of its own instead (seen
    at pandera 0.26's floor, in a sweep of limits): the block still ends in TimeLimitExceeded,
    never in that error; an error before the time ran out is left as it is."""
    if not setitimer:
        monkeypatch.delattr(signal, "setitimer")
        monkeypatch.delattr(signal, "SIGALRM")
    with pytest.raises(TimeLimitExceeded) as ended, time_limit(0.05):
        _turned_into_a_type_error()
    assert isinstance(ended.value.__cause__, TypeError)
    with pytest.raises(ValueError), time_limit(5):
        raise ValueError("a real error, in time")


def test_time_limit_without_setitimer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where signal.setitimer and SIGALRM do not exist (Windows) the limit still holds, a block
    that ends in time is left alone and Ctrl+C's handler is given back."""
    monkeypatch.delattr(signal, "setitimer")
    monkeypatch.delattr(signal, "SIGALRM")
    before = signal.getsignal(signal.SIGINT)
    began = time.monotonic()
    with pytest.raises(TimeLimitExceeded), time_limit(0.05):
        _busy(10)
    assert time.monotonic() - began < 5
    with time_limit(5):
        _busy(0.01)
    _busy(0.05)  # nothing arrives after the block
    assert signal.getsignal(signal.SIGINT) is before


@pytest.mark.parametrize("seconds", [math.inf, 1e300, 1e12, 0, -1])
def test_huge_infinite_or_zero_limit_is_no_limit(seconds: float) -> None:
    """No OverflowError from setitimer: an infinite, huge, zero or negative limit is none."""
    with time_limit(seconds):
        _busy(0.01)


def test_nan_limit_is_refused_by_the_library() -> None:
    """A limit that is not a number is a ValueError, not a silent 'no limit'."""
    with pytest.raises(ValueError, match="not a number"), time_limit(math.nan):
        pass


@pytest.mark.parametrize("value", ["nan", "inf", "1e300"])
def test_validate_refuses_a_max_seconds_that_is_not_a_time(tmp_path: Path, value: str) -> None:
    """--max-seconds nan/inf/1e300: exit 2 with one line, no traceback."""
    path = fill(tmp_path / "geldig.xlsx", VALID_WERKGEVERS, VALID_DGA)
    done = subprocess.run([INTAKE, "validate", str(path), "--out", str(tmp_path / "out"),
                           "--max-seconds", value], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 2, done.stdout
    assert "Traceback" not in done.stderr
    assert "--max-seconds" in done.stderr


_WINDOWS = """
import os, signal, sys
del signal.SIGALRM, signal.setitimer, os.fchmod
from intake.cli import main
sys.argv = ["intake", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize(("extra", "code", "words"), [
    ((), 0, "Resultaat: geldig"),
    (("--max-seconds", "0.001"), 2, "langer dan is toegestaan"),
], ids=["completes", "time-out"])
def test_validate_where_sigalrm_and_fchmod_do_not_exist(tmp_path: Path, extra: tuple[str, ...],
                                                         code: int, words: str) -> None:
    """The platform simulated without SIGALRM, setitimer and os.fchmod (as on Windows):
    validate writes its files, or stops at the time limit with one line."""
    path = fill(tmp_path / "geldig.xlsx", VALID_WERKGEVERS, VALID_DGA)
    done = subprocess.run([sys.executable, "-c", _WINDOWS, "validate", str(path), "--out",
                           str(tmp_path / "out"), *extra], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == code, done.stderr
    assert words in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    if code == 0:
        assert len(list((tmp_path / "out").glob("*-feedback.xlsx"))) == 1
    else:
        assert failure_report(tmp_path / "out")["status"] == "timed-out"


def test_off_the_main_thread_the_limit_is_not_applied_and_a_warning_says_so(
        caplog: pytest.LogCaptureFixture) -> None:
    """In a worker thread a limit of 0.01 s over 0.3 s of work raises nothing (Python cannot
    interrupt that thread), and the logger says so, naming the limit and the thread; in the
    main thread the same block is cut off."""
    import threading

    outcome: list[str] = []

    def work() -> None:
        try:
            with time_limit(0.01):
                _busy(0.3)
            outcome.append("finished")
        except TimeLimitExceeded:
            outcome.append("time-out")

    with caplog.at_level("WARNING", logger="intake.validation.timelimit"):
        worker = threading.Thread(target=work, name="pool-1")
        worker.start()
        worker.join()
    assert outcome == ["finished"]
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [(
        "WARNING", "time limit of 0.01 s not applied in thread 'pool-1': it holds in the main "
        "thread only; check the workbook in a child process (intake.checking.check) for a "
        "limit in any thread")]
    with pytest.raises(TimeLimitExceeded), time_limit(0.01):
        _busy(0.3)


def test_in_any_thread_the_checking_child_holds_the_time_limit(tmp_path: Path) -> None:
    """The check every door uses, called from a worker thread, still stops a workbook that
    takes longer than its limit: the child is killed by its parent, status timed-out."""
    import threading

    from intake.checking.check import Settings, check

    path = hostile.huge_values(tmp_path)
    found: list[object] = []

    def work() -> None:
        found.append(check(path, tmp_path / "out", Settings(Options(
            limits=Limits(max_seconds=0.05)))).status)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(120)
    assert [str(s) for s in found] == ["timed-out"]


@pytest.mark.parametrize("setitimer", [True, False], ids=["alarm", "timer-thread"])
def test_a_time_out_never_leaves_half_the_outputs_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setitimer: bool) -> None:
    """The limit runs out while the finished outputs are being moved into place (each move made
    slow here): the move is not cut in two. Once every output is written the limit is over,
    so the run completes with all of them (CI13 once found report.json and report.html alone
    in the folder of a time-out)."""
    import os

    from intake.outputs import pipeline
    from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill

    path = fill(tmp_path / "klein.xlsx", VALID_WERKGEVERS, VALID_DGA)
    run(path, tmp_path / "warm", Options(limits=Limits(max_seconds=0)))  # imports done
    moves: list[str] = []
    real_replace = os.replace

    out = tmp_path / "out"

    def slow_replace(source: object, target: object) -> None:
        if Path(str(target)).parent == out:  # a finished output moved into place
            if not moves:
                _busy(3.0)  # past the limit, in Python code the alarm can interrupt
            moves.append(str(target))
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline.os, "replace", slow_replace)
    if not setitimer:  # as on Windows: a timer thread interrupts the main thread
        monkeypatch.delattr(signal, "setitimer")
        monkeypatch.delattr(signal, "SIGALRM")
    outcome = run(path, out, Options(limits=Limits(max_seconds=2.0)))
    assert moves, "the run never reached its outputs' move"
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in outcome.files)
    assert {"report.json", "report.html", "werkgevers.csv", "klein-feedback.xlsx"} <= {
        p.name for p in out.iterdir()}
