"""Commands that cannot work on Windows say so in one line with exit 2; those that can do not
need what Windows lacks. Simulated on Linux by a Python in which `fcntl` or `resource` cannot be
imported, as on Windows (what else differs there is not simulated)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from intake.batch.ledger import Ledger


def _without(modules: tuple[str, ...], *args: str) -> subprocess.CompletedProcess[str]:
    """Run `intake ARGS` in a Python where `modules` cannot be imported. Through `cli()`, not
    `main()`: main's one step before it (few malloc arenas) is Linux-only and returns at once
    on Windows, where it needs no `resource`."""
    blocked = "; ".join(f"sys.modules[{m!r}] = None" for m in modules)
    code = f"import sys; {blocked}; from intake.cli import cli; cli(prog_name='intake')"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          check=False)


@pytest.mark.parametrize(("lang", "start"), [
    ("nl", "Fout: intake prune werkt alleen op Linux"),
    ("en", "Error: intake prune runs on Linux and other POSIX systems only")])
def test_prune_without_flock_says_so_in_one_line(tmp_path: Path, lang: str, start: str) -> None:
    """`intake prune` needs OUTDIR's flock: without fcntl one line naming prune (not batch),
    exit 2, and the ledger untouched."""
    out = tmp_path / "out"
    Ledger(out / "intake.sqlite").close()
    before = (out / "intake.sqlite").read_bytes()
    done = _without(("fcntl",), "prune", "--out", str(out), "--older-than", "30", "--lang", lang)
    assert (done.returncode, done.stdout) == (2, "")
    (line,) = done.stderr.splitlines()
    assert line.startswith(start), line
    assert (out / "intake.sqlite").read_bytes() == before


def test_serve_without_resource_limits_says_so_in_one_line(tmp_path: Path) -> None:
    """`intake serve` checks untrusted uploads in children held to the kernel's memory and CPU
    limits: without `resource` it refuses to start, one line, exit 2, no server."""
    done = _without(("resource",), "serve", "--inbox", str(tmp_path / "in"), "--out",
                    str(tmp_path / "out"), "--port", "1")
    assert (done.returncode, done.stdout) == (2, "")
    (line,) = done.stderr.splitlines()
    assert line.startswith("Fout: intake serve werkt alleen op Linux"), line
    assert not (tmp_path / "out").exists()


def test_backup_needs_neither_flock_nor_resource(tmp_path: Path) -> None:
    """`intake backup` takes no lock and sets no limit: it copies the ledger in a Python
    without fcntl and resource too."""
    out = tmp_path / "out"
    Ledger(out / "intake.sqlite").close()
    done = _without(("fcntl", "resource"), "backup", "--out", str(out), str(tmp_path / "b"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "b" / "intake.sqlite").is_file()
