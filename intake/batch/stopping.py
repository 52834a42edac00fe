"""SIGTERM and SIGINT during a short command (`intake backup`, `intake prune`): end it through
its clean-up, with one line and exit 128 + the signal, instead of dying where it stands.

The batch has its own, finer handling (`intake.batch.run`: finish the files in hand). Here the
signal becomes an exception in the main thread, so every `finally` runs: the backup's hidden
copies are removed, prune's transaction is rolled back and OUTDIR's lock given back. Python
runs the handler between bytecodes: a signal that arrives inside one SQLite call acts when the
call returns.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from intake.definition.errors import IntakeError


class Stopped(IntakeError):
    """A signal ended the command midway; exit 128 + its number (143 for SIGTERM)."""

    code = "stopped"

    def __init__(self, nl: str, en: str, signum: int) -> None:
        super().__init__(nl, en)
        self.exit_code = 128 + signum


@contextmanager
def stop_on_signals(nl: str, en: str) -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT raise Stopped(`nl`, `en`) in the main thread (a
    second signal is ignored while the clean-up runs). Off the main thread: no handler."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = (signal.SIGTERM, signal.SIGINT)

    def stop(signum: int, frame: FrameType | None) -> None:
        for name in names:
            signal.signal(name, signal.SIG_IGN)
        raise Stopped(nl.format(signal=signal.Signals(signum).name),
                      en.format(signal=signal.Signals(signum).name), signum)

    previous = {name: signal.signal(name, stop) for name in names}
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(name, handler)
