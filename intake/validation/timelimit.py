"""A wall-clock limit for one workbook, checked by the interpreter between steps.

Where the platform has `signal.setitimer` (Linux, macOS) a SIGALRM raises the time-out; where it
does not (Windows) a timer thread asks the main thread to stop through `_thread.interrupt_main`,
whose SIGINT handler is ours for the duration of the block. Either way the exception arrives
between two bytecodes of the main thread; a call into native code (calamine, the XML parser)
is interrupted when it returns.

It holds in the main thread only: Python delivers signals, and `interrupt_main` its interrupt,
to the main thread alone, and no other thread can be stopped from outside. Called from another
thread (a thread pool, a web server's worker) the block runs without a limit, and a warning on
the logger `intake.validation.timelimit` says so each time. A limit in any thread is the
checking child's (`intake.checking.check`), whose time the operating system enforces: the
commands, the batch and the web intake all check a workbook there.
"""

from __future__ import annotations

import _thread
import logging
import math
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from intake.definition.messages import FILE_ERRORS, Lang

#: Longer than this is no limit at all (and more than setitimer accepts everywhere).
_NO_LIMIT = 365 * 24 * 3600.0
_log = logging.getLogger(__name__)


class TimeLimitExceeded(BaseException):
    """The workbook took longer than its time limit.

    A BaseException, like KeyboardInterrupt, and for the same reason: it arrives
    asynchronously, at any bytecode, also inside library code, and a library's `except
    Exception` (openpyxl, jinja2, our own fallbacks for damaged files) must never turn it into
    "the file is damaged". It carries what `IntakeError` carries (code, exit code, one line per
    language), so the CLI and the batch treat it like one.
    """

    exit_code = 2
    code = "time-limit"

    def __init__(self, seconds: float) -> None:
        super().__init__(f"took longer than {seconds:g} s")
        self.seconds = seconds

    def message(self, lang: Lang = "nl") -> str:
        """The one line a person reads, in `lang`."""
        return FILE_ERRORS["time-limit"][lang]


def _usable(seconds: float) -> bool:
    if math.isnan(seconds):
        raise ValueError("the time limit is not a number")
    return 0 < seconds < _NO_LIMIT


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeLimitExceeded inside the block once `seconds` have passed (0, a negative or an
    infinite number of seconds: no limit). In the main thread only: in another thread the block
    runs without a limit, and a warning is logged (see the module)."""
    if not _usable(seconds):
        yield
        return
    if threading.current_thread() is not threading.main_thread():
        _log.warning("time limit of %g s not applied in thread %r: it holds in the main thread "
                     "only; check the workbook in a child process (intake.checking.check) for "
                     "a limit in any thread", seconds, threading.current_thread().name)
        yield
        return
    if hasattr(signal, "setitimer") and hasattr(signal, "SIGALRM"):
        with _alarm(seconds):
            yield
    else:
        with _interrupt(seconds):
            yield


#: How to end the time limit running in this thread early (`disarm`), while one runs.
_running = threading.local()


def disarm() -> None:
    """End the time limit running in this thread now, before a step that must not be cut in
    two (moving finished outputs into place): a time-out strikes before this call returns or
    not at all. Nothing where no limit runs."""
    end = getattr(_running, "disarm", None)
    if end is not None:
        end()


def running() -> bool:
    """Whether a time limit runs in this thread (an inner block then needs none of its own)."""
    return getattr(_running, "disarm", None) is not None


@contextmanager
def _armed(end: Callable[[], object]) -> Iterator[None]:
    outer = getattr(_running, "disarm", None)
    _running.disarm = end
    try:
        yield
    finally:
        _running.disarm = outer


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    fired: list[bool] = []

    def expire(signum: int, frame: FrameType | None) -> None:
        fired.append(True)
        raise TimeLimitExceeded(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        # disarmed, an alarm already pending is handled at the next bytecode: before the
        # step that follows `disarm`
        with _still_a_time_out(seconds, lambda: bool(fired)), \
                _armed(lambda: signal.setitimer(signal.ITIMER_REAL, 0)):
            yield
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:  # even when the alarm went off just now, inside this finally
            signal.signal(signal.SIGALRM, previous)


@contextmanager
def _still_a_time_out(seconds: float, expired: Callable[[], bool]) -> Iterator[None]:
    """An error that ends the block after the time ran out is the time-out: the exception
    arrives at any bytecode, also inside a library that turns whatever its callback raises
    into an error of its own (polars makes a TypeError of it while it reads a data type)."""
    try:
        yield
    except Exception as exc:
        if expired():
            raise TimeLimitExceeded(seconds) from exc
        raise


@contextmanager
def _interrupt(seconds: float) -> Iterator[None]:
    expired = threading.Event()
    done = threading.Event()

    def fire() -> None:
        if not done.wait(seconds):
            expired.set()
            _thread.interrupt_main(signal.SIGINT)

    def handler(signum: int, frame: FrameType | None) -> None:
        if expired.is_set():
            if not done.is_set():
                raise TimeLimitExceeded(seconds)
            return  # the block ended as the time ran out: nothing left to stop
        if callable(previous):
            previous(signum, frame)
        else:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    timer = threading.Thread(target=fire, name="intake-time-limit", daemon=True)
    timer.start()
    try:
        # disarmed, an interrupt on its way finds `done` set and stops nothing
        with _still_a_time_out(seconds, expired.is_set), _armed(done.set):
            yield
    finally:
        done.set()
        timer.join()
        signal.signal(signal.SIGINT, previous)
