"""One output written in a process of its own while this process writes the others.

After a check, the feedback workbook (the user's package patched, checked and deflated again)
takes as long as report.json, report.html and the CSVs together take three times over: 0.9 s
against 0.25 s at 100,000 employers. On a machine with two cores it is written in a child
forked for it meanwhile, so the others cost no time of their own.

Only where that is sound: Linux (a forked child that dies with this process,
PR_SET_PDEATHSIG), in a process that does nothing but this check (the checking child of
`intake.checking`, whose limits the child inherits: memory, CPU, output size). A forked child
has one thread, this one: what it runs must not need the others (polars' pool, which the
feedback workbook does not use). Elsewhere `writing_beside` is False and the caller writes the
output itself.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import warnings
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

#: Where a forked child is sound (see the module's docstring).
writing_beside = sys.platform.startswith("linux") and hasattr(os, "fork")

_PR_SET_PDEATHSIG = 1


class WriterDied(RuntimeError):
    """The child that wrote an output ended without an answer (a signal, say)."""


class Beside(Generic[T]):
    """`write()` run in a forked child; `result` waits for it and returns what it returned or
    raises what it raised (an OSError with its errno, a MemoryError); `stop` ends it."""

    def __init__(self, write: Callable[[], T]) -> None:
        read_end, write_end = os.pipe()
        parent = os.getpid()
        with warnings.catch_warnings():
            # Python 3.12 warns of fork() beside other threads; the child runs no code that
            # needs them (the module's docstring).
            warnings.filterwarnings("ignore", "This process .* is multi-threaded",
                                    DeprecationWarning)
            self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into the caller's code
            os.close(read_end)
            _run_child(write, write_end, parent)
        os.close(write_end)
        self._read_end = read_end

    def result(self) -> T:
        """What `write()` returned in the child, once it has ended."""
        chunks = []
        try:
            while chunk := os.read(self._read_end, 1 << 16):
                chunks.append(chunk)
        finally:
            os.close(self._read_end)
            _, status = os.waitpid(self.pid, 0)
            self.pid = 0
        answer = b"".join(chunks)
        if not answer:
            raise WriterDied(_ending(status))
        outcome, value = pickle.loads(answer)
        if outcome == "raised":
            raise value
        return value  # type: ignore[no-any-return]

    def stop(self) -> None:
        """End the child, should it still run (this process gave up on its outputs)."""
        if self.pid:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(self.pid, 0)
            with contextlib.suppress(OSError):
                os.close(self._read_end)
            self.pid = 0


def _run_child(write: Callable[[], object], write_end: int, parent: int) -> None:
    code = 1
    try:
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)  # the parent ended while this child started
        try:
            answer = pickle.dumps(("returned", write()))
        except BaseException as exc:  # every failure is the parent's to raise
            try:
                answer = pickle.dumps(("raised", exc))
            except Exception:  # an exception that cannot be pickled: its text, then
                answer = pickle.dumps(("raised", RuntimeError(
                    f"{type(exc).__name__}: {exc}")))
        view = memoryview(answer)
        while view:
            view = view[os.write(write_end, view):]
        code = 0
    finally:
        os._exit(code)


def _ending(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        with contextlib.suppress(ValueError):
            return f"ended by {signal.Signals(number).name}"
        return f"ended by signal {number}"
    return f"ended with exit code {os.waitstatus_to_exitcode(status)} and no answer"
