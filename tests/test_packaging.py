"""The package's promises to whoever installs it: honest dependency floors, one version, the
license as an SPDX expression, a zone database where the platform has none."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

import intake

from conftest import load_json, run_intake

ROOT = Path(__file__).resolve().parents[1]
FLOOR_PINS = ROOT / ".ci" / "floor_pins.py"


def pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def pins_of(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(FLOOR_PINS), str(path)], capture_output=True,
                          text=True, check=False)


def test_floor_pins_are_pyprojects_floors_as_exact_versions() -> None:
    """.ci/floor_pins.py prints each runtime dependency once, as `==` its `>=` floor, with its
    extras and environment marker: what CI's floors step installs is what pyproject promises."""
    done = pins_of(ROOT / "pyproject.toml")
    assert done.returncode == 0, done.stderr
    pins = [Requirement(line) for line in done.stdout.splitlines()]
    declared = [Requirement(text) for text in pyproject()["project"]["dependencies"]]
    assert [p.name for p in pins] == [d.name for d in declared]
    for pin, floor in zip(pins, declared, strict=True):
        (lower,) = floor.specifier  # exactly one bound: the floor
        assert lower.operator == ">="
        assert pin.specifier == SpecifierSet(f"=={lower.version}")
        assert (pin.extras, str(pin.marker)) == (floor.extras, str(floor.marker))


def test_floor_pins_refuse_a_dependency_without_a_floor(tmp_path: Path) -> None:
    """A dependency with no `>=` bound (or an upper bound only) makes floor_pins.py fail with
    its name, so CI cannot silently skip testing it."""
    for requirement in ("olefile", "olefile<1", "olefile>=0.46,<1"):
        path = tmp_path / "pyproject.toml"
        path.write_text(f'[project]\ndependencies = ["click>=8.5.0", "{requirement}"]\n',
                        encoding="utf-8")
        done = pins_of(path)
        assert (done.returncode, done.stdout) == (1, "")
        assert f"'{requirement}' has no single '>=' floor" in done.stderr


def test_tzdata_is_a_dependency_on_windows_only() -> None:
    """tzdata is required where Python finds no zone database (Windows), so report times are
    Amsterdam time there too, and not installed on Linux, which has one."""
    (tzdata,) = [Requirement(text) for text in pyproject()["project"]["dependencies"]
                 if Requirement(text).name == "tzdata"]
    assert tzdata.marker is not None
    windows = {**default_environment(), "sys_platform": "win32"}
    linux = {**default_environment(), "sys_platform": "linux"}
    assert tzdata.marker.evaluate(windows) and not tzdata.marker.evaluate(linux)


def test_license_is_an_spdx_expression_built_by_a_setuptools_that_reads_it() -> None:
    """license is a PEP 639 SPDX string (a table stops building in 2027) and the build requires
    setuptools 77 or later, the first that accepts one."""
    data = pyproject()
    assert isinstance(data["project"]["license"], str)
    assert re.fullmatch(r"LicenseRef-[A-Za-z0-9.-]+", data["project"]["license"])
    (setuptools,) = [Requirement(r) for r in data["build-system"]["requires"]
                     if Requirement(r).name == "setuptools"]
    assert not setuptools.specifier.contains("76.9") and setuptools.specifier.contains("77.0.0")


def test_the_version_is_written_in_one_place() -> None:
    """pyproject takes the version from intake.__version__ (dynamic), the installed metadata
    says the same, and no other file of the package spells it out."""
    data = pyproject()
    assert "version" not in data["project"] and "version" in data["project"]["dynamic"]
    assert data["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "intake.__version__"}
    assert importlib.metadata.version("asr-loket-intake") == intake.__version__
    spelled = [path.relative_to(ROOT).as_posix() for path in (ROOT / "intake").rglob("*")
               if path.suffix in {".py", ".j2", ".html", ".json", ".txt"}
               and f'"{intake.__version__}"' in path.read_text(encoding="utf-8")]
    assert spelled == ["intake/__init__.py"]


def test_version_option_and_report_generator_show_the_package_version(tmp_path: Path) -> None:
    """`intake --version` and report.json's generator both say intake.__version__."""
    done = run_intake("--version")
    assert (done.returncode, done.stdout) == (0, f"intake, version {intake.__version__}\n")
    out = tmp_path / "out"
    done = run_intake("validate", str(ROOT / "samples" / "voorbeeld-geldig.xlsx"), "--out",
                      str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert load_json(out / "report.json")["generator"] == {
        "name": "asr-loket-intake", "version": intake.__version__}
