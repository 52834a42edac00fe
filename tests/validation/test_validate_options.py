"""Options of `intake validate` are normalised like the values they are about, or refused."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill

from conftest import INTAKE


def _validate(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = fill(tmp_path / "geldig.xlsx", VALID_WERKGEVERS, VALID_DGA)
    return subprocess.run([INTAKE, "validate", str(path), "--out", str(tmp_path / "out"), *args],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("prefix", [" A 020 ", "a-020", "A.020", "a020"])
def test_contract_prefix_is_normalised_like_the_values(tmp_path: Path, prefix: str) -> None:
    """--contract-prefix ' A 020 ' (case, spaces, dots, hyphens) means A020: every valid row is
    accepted, where before every row was rejected."""
    done = _validate(tmp_path, "--contract-prefix", prefix)
    assert done.returncode == 0, done.stdout
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["werkgevers"]["accepted"] == 6


@pytest.mark.parametrize("prefix", ["A020,B", "020A", "A020B", " ", "A020;B020"])
def test_contract_prefix_that_cannot_start_a_number_is_a_usage_error(tmp_path: Path,
                                                                     prefix: str) -> None:
    """'A020,B' and the like: exit 2 saying what a prefix is and how to give several; nothing
    is written."""
    done = _validate(tmp_path, "--contract-prefix", prefix)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "--contract-prefix A020 --contract-prefix B020" in done.stderr
    assert not (tmp_path / "out").exists()


def test_batch_contract_prefix_is_checked_the_same_way(tmp_path: Path) -> None:
    """`intake batch --contract-prefix 'A020,B'`: the same usage error, before any file is
    touched."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    done = subprocess.run([INTAKE, "batch", str(inbox), "--out", str(tmp_path / "out"),
                           "--contract-prefix", "A020,B"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 2
    assert "--contract-prefix A020 --contract-prefix B020" in done.stderr
    assert not (tmp_path / "out").exists()
