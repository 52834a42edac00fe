"""Output files are written whole or not at all, with ordinary permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from intake.files import atomic_write_text, sha256_of


def test_atomic_write_leaves_no_temporary_file_and_normal_mode(tmp_path: Path) -> None:
    """The file appears with the content and the mode open() would give; nothing else stays."""
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a" / "report.json", "{}\n")
    finally:
        os.umask(old)
    path = tmp_path / "a" / "report.json"
    assert path.read_text(encoding="utf-8") == "{}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]


def test_sha256_of_a_known_content(tmp_path: Path) -> None:
    """sha256_of gives the standard digest."""
    path = tmp_path / "x"
    path.write_bytes(b"abc")
    assert sha256_of(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
