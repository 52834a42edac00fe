"""intake.outputs.behind: a stream written by a thread keeps every block in its order, and a
write that fails is raised to the writer as itself."""

from __future__ import annotations

import errno
import io
import threading

import pytest

from intake.outputs.behind import WriteBehind


class _Slow(io.BytesIO):
    """A stream whose writes wait for a signal: the caller runs ahead of it."""

    def __init__(self) -> None:
        super().__init__()
        self.go = threading.Event()
        self.writer: str | None = None

    def write(self, block: bytes, /) -> int:  # type: ignore[override]
        self.go.wait()
        self.writer = threading.current_thread().name
        return super().write(block)


class _Full(io.BytesIO):
    """A disk that is full after `room` bytes."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def write(self, block: bytes, /) -> int:  # type: ignore[override]
        if self.tell() + len(block) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(block)


def test_every_block_arrives_in_its_order_written_by_another_thread() -> None:
    stream = _Slow()
    blocks = [bytes([n]) * (n + 1) for n in range(50)]
    with WriteBehind(stream) as behind:
        behind.write(blocks[0])  # taken while the stream still waits
        assert stream.getvalue() == b""
        stream.go.set()
        for block in blocks[1:]:
            behind.write(block)
    assert stream.getvalue() == b"".join(blocks)
    assert stream.writer == "write-behind"


def test_a_full_disk_is_raised_as_itself_by_a_later_write_or_by_close() -> None:
    behind = WriteBehind(_Full(room=10))
    with pytest.raises(OSError) as raised:
        for _ in range(100):
            behind.write(b"x" * 4)
        behind.close()
    assert raised.value.errno == errno.ENOSPC
    with pytest.raises(OSError):  # and again: it does not pass for written
        behind.close()


def test_an_error_of_the_caller_goes_first_and_the_thread_ends() -> None:
    stream = _Full(room=10)
    with pytest.raises(KeyError), WriteBehind(stream) as behind:
        behind.write(b"x" * 20)  # fails in the thread
        raise KeyError("the caller's own")
    assert not behind._thread.is_alive()
