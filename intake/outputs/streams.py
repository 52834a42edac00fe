"""Streams that inflate ahead and deflate behind, each in a thread of its own.

zlib lets go of the interpreter while it inflates, deflates and sums (crc32): a worksheet read
from one zip member and written to another while Python works on it (the feedback patch) can
have both done meanwhile, on another core, instead of in turn. The blocks keep their order;
an error in the thread is raised in the caller at its next call, and leaving the `with` block
(however) ends the thread.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from types import TracebackType
from typing import IO, Self

#: Blocks waiting between the thread and the caller (each of the size the caller uses).
DEPTH = 4
_END = b""


class ReadAhead:
    """`stream` read in blocks of `size` in a thread; `read` gives the next block (b"" at the
    end), whatever size it is asked for."""

    def __init__(self, stream: IO[bytes], size: int) -> None:
        self._stream, self._size = stream, size
        self._blocks: queue.Queue[bytes | BaseException] = queue.Queue(DEPTH)
        self._stop = threading.Event()
        self._ended = False
        self._thread = threading.Thread(target=self._run, name="read-ahead-zip", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        while self._thread.is_alive():  # let it put its last block, then see the stop
            with contextlib.suppress(queue.Empty):
                self._blocks.get(timeout=0.05)
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                block = self._stream.read(self._size)
                self._blocks.put(block)
                if not block:
                    return
        except BaseException as exc:  # raised in the caller
            self._blocks.put(exc)

    def read(self, size: int = -1) -> bytes:
        if self._ended:
            return _END
        block = self._blocks.get()
        if isinstance(block, BaseException):
            self._ended = True
            raise block
        self._ended = not block
        return block


class WriteBehind:
    """Blocks written to `stream` in a thread, in their order; leaving the `with` block
    waits until all are written (and raises what the thread met), or, on an error, drops
    what is still waiting."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._blocks: queue.Queue[bytes | None] = queue.Queue(DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="write-behind-zip", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if error is not None:
            self._error = self._error or error  # the thread writes nothing more
        self._blocks.put(None)
        self._thread.join()
        if error is None and self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (block := self._blocks.get()) is not None:
            if self._error is not None:
                continue  # failed or given up: drain to the end
            try:
                self._stream.write(block)
            except BaseException as exc:  # raised in the caller
                self._error = exc

    def write(self, block: bytes) -> int:
        if self._error is not None:
            raise self._error
        self._blocks.put(block)
        return len(block)
