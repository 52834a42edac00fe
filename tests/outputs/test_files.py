"""Output files are written whole or not at all, with ordinary permissions, into a folder
that can hold them, never over the input; what killed runs leave behind is cleaned up."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import time
from pathlib import Path

import hostile
import pytest

from intake.outputs.files import atomic_write_text, sha256_of
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill

from conftest import INTAKE


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


def test_atomic_write_where_os_fchmod_does_not_exist(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Without os.fchmod (Windows) the file is written whole, with the usual mode."""
    monkeypatch.delattr(os, "fchmod")
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "report.json", "{}\n")
    finally:
        os.umask(old)
    assert (tmp_path / "report.json").read_text(encoding="utf-8") == "{}\n"
    assert stat.S_IMODE((tmp_path / "report.json").stat().st_mode) == 0o644


def _validate(workbook: Path, *args: str, cwd: Path | None = None,
              prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, INTAKE, "validate", str(workbook), *args],
                          capture_output=True, text=True, timeout=120, check=False, cwd=cwd)


def _one_line_exit_2(done: subprocess.CompletedProcess[str], words: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert words in done.stderr


@pytest.mark.parametrize("kind", ["dangling-symlink", "under-a-file"])
def test_out_that_cannot_be_a_folder_is_one_line(tmp_path: Path, kind: str) -> None:
    """--out as a dangling symlink or below a file: exit 2, one line naming the folder."""
    workbook = fill(tmp_path / "geldig.xlsx", VALID_WERKGEVERS, VALID_DGA)
    if kind == "dangling-symlink":
        out = tmp_path / "link"
        out.symlink_to(tmp_path / "nergens" / "dieper")
    else:
        (tmp_path / "bestand").write_text("x", encoding="utf-8")
        out = tmp_path / "bestand" / "out"
    _one_line_exit_2(_validate(workbook, "--out", str(out)), f"kan niet schrijven in {out}")


def test_out_on_a_read_only_file_system_is_one_line(tmp_path: Path) -> None:
    """--out on a read-only file system (a read-only bind mount in a user namespace): exit 2,
    one line."""
    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "-rm", "true"], capture_output=True, check=False).returncode != 0:
        pytest.skip("needs user namespaces (unshare -rm) to mount a read-only file system")
    workbook = fill(tmp_path / "geldig.xlsx", VALID_WERKGEVERS, VALID_DGA)
    frozen = tmp_path / "alleen-lezen"
    frozen.mkdir()
    script = (f'mount --bind "{frozen}" "{frozen}" && mount -o remount,ro,bind "{frozen}" '
              f'"{frozen}" && exec "$@"')
    done = _validate(workbook, "--out", str(frozen / "out"),
                     prefix=("unshare", "-rm", "sh", "-c", script, "sh"))
    _one_line_exit_2(done, "Read-only file system")


@pytest.mark.slow
def test_fix_and_recheck_loop_never_overwrites_its_input(tmp_path: Path) -> None:
    """The README's loop with the default --out: each round's feedback carries the workbook's
    name and the round (werkgevers-feedback.xlsx, -feedback-2, -feedback-3) in a folder of its
    round (reports/werkgevers/, -2/, -3/); no input changes, no name repeats."""
    first = fill(tmp_path / "werkgevers.xlsx", VALID_WERKGEVERS, VALID_DGA)
    assert _validate(first, cwd=tmp_path).returncode == 0
    reports = tmp_path / "reports"
    second = reports / "werkgevers" / "werkgevers-feedback.xlsx"
    assert _validate(second, cwd=tmp_path).returncode == 0
    third = reports / "werkgevers-2" / "werkgevers-feedback-2.xlsx"
    before = sha256_of(third)
    done = _validate(third, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sha256_of(third) == before
    assert sorted(p.relative_to(reports).as_posix() for p in reports.glob("*/*.xlsx")) == [
        "werkgevers-2/werkgevers-feedback-2.xlsx", "werkgevers-3/werkgevers-feedback-3.xlsx",
        "werkgevers/werkgevers-feedback.xlsx"]


def test_out_holding_the_input_is_refused(tmp_path: Path) -> None:
    """--out where an output would replace the workbook being validated (its feedback's name
    is a link to it): exit 2, one line, the input untouched."""
    workbook = fill(tmp_path / "w.xlsx", VALID_WERKGEVERS, VALID_DGA)
    os.link(workbook, tmp_path / "w-feedback.xlsx")
    before = sha256_of(workbook)
    _one_line_exit_2(_validate(workbook, "--out", str(tmp_path)), "zou overschreven worden")
    assert sha256_of(workbook) == before


@pytest.mark.slow
def test_staging_folders_of_killed_runs_are_removed(tmp_path: Path) -> None:
    """A run killed with SIGKILL while it works leaves its .staging-* folder; the next run
    into the same folder removes it (and a live run's folder is left alone)."""
    workbook = hostile.huge_values(tmp_path)
    out = tmp_path / "out"
    victim = subprocess.Popen([INTAKE, "validate", str(workbook), "--out", str(out)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(out.glob(".staging-*")) and time.monotonic() < deadline:
        time.sleep(0.005)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    # The staging folder is its child's (the one that reads the file), which dies with it.
    child = int(next(iter(out.glob(".staging-*"))).name.split("-")[1])
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    left = list(out.glob(".staging-*"))
    assert left, "the run was killed before it made its staging folder"
    alive = out / f".staging-{os.getpid()}-inuse"
    alive.mkdir()
    assert _validate(workbook, "--out", str(out)).returncode == 1
    assert list(out.glob(".staging-*")) == [alive]
