"""Reading ahead and writing behind in a thread: every block in its order, an error of the
thread raised in the caller, and no thread left behind however the `with` block is left."""

from __future__ import annotations

import io
import threading
import time
import zipfile
from pathlib import Path

import pytest

from intake.outputs.streams import DEPTH, ReadAhead, WriteBehind


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate()}


class _Failing(io.BytesIO):
    """A stream that fails at its `after`-th call."""

    def __init__(self, data: bytes = b"", after: int = 3) -> None:
        super().__init__(data)
        self.calls, self.after = 0, after

    def _count(self) -> None:
        self.calls += 1
        if self.calls >= self.after:
            raise OSError(28, "No space left on device")

    def read(self, size: int | None = -1) -> bytes:
        self._count()
        return super().read(size)

    def write(self, block: bytes) -> int:  # type: ignore[override]
        self._count()
        return super().write(block)


def test_a_zip_member_goes_through_both_unchanged(tmp_path: Path) -> None:
    """A member of 3 MB and a bit, in blocks of 64 KB: inflated ahead, deflated behind into
    another package, it arrives byte for byte (its CRC checked by zipfile on reading)."""
    data = bytes(range(256)) * (3 * 4096 + 7)
    source, target = tmp_path / "in.zip", tmp_path / "out.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("part.xml", data)
    sizes = []
    with zipfile.ZipFile(source) as zin, \
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout, \
            zin.open("part.xml") as src, zout.open("part.xml", "w") as dst, \
            ReadAhead(src, 1 << 16) as ahead, WriteBehind(dst) as behind:
        while block := ahead.read(1 << 16):
            sizes.append(len(block))
            behind.write(block)
        assert ahead.read() == b""  # and stays at the end
    with zipfile.ZipFile(target) as z:
        assert z.read("part.xml") == data
    assert sum(sizes) == len(data) and max(sizes) == 1 << 16
    assert not {"read-ahead-zip", "write-behind-zip"} & _threads()


def test_an_error_in_the_reading_thread_is_raised_in_the_caller() -> None:
    """The disk error of the third read comes out of the caller's third read."""
    with ReadAhead(_Failing(b"x" * 100, after=3), 10) as ahead:
        assert ahead.read() == b"x" * 10
        assert ahead.read() == b"x" * 10
        with pytest.raises(OSError, match="No space"):
            ahead.read()
    assert "read-ahead-zip" not in _threads()


def test_an_error_in_the_writing_thread_is_raised_by_the_with_block() -> None:
    """A write that failed in the thread: a later write or leaving the block raises it,
    nothing after it is written."""
    target = _Failing(after=3)
    with pytest.raises(OSError, match="No space"), WriteBehind(target) as behind:
        for n in range(10):
            behind.write(b"%d" % n)
    assert target.getvalue() == b"01"
    assert "write-behind-zip" not in _threads()


def test_leaving_early_ends_both_threads() -> None:
    """An error of the caller's with the reader's queue full and blocks still waiting to be
    written: both threads end, and what was waiting is not written."""
    written = io.BytesIO()
    with pytest.raises(KeyError), ReadAhead(io.BytesIO(b"y" * 10_000), 10) as ahead, \
            WriteBehind(written) as behind:
        behind.write(ahead.read())
        while ahead._blocks.qsize() < DEPTH:
            time.sleep(0.01)  # until the reader has filled its queue and waits to put more
        raise KeyError("the caller's own error")
    assert not {"read-ahead-zip", "write-behind-zip"} & _threads()
    assert len(written.getvalue()) <= 10
