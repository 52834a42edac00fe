"""Workbooks re-saved by a real spreadsheet program (LibreOffice Calc) validate the same."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from intake.validate import validate_workbook

from conftest import flat

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = [
    pytest.mark.external,
    pytest.mark.slow,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice Calc (Debian libreoffice-calc) is "
                       "not installed; .ci/run installs it"),
]


def resave(source: Path, target_format: str, out_dir: Path) -> Path:
    """Open `source` in LibreOffice Calc and save it as `target_format` (xlsx, ods, xls)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = out_dir / "lo-profile"
    subprocess.run(
        [str(SOFFICE), f"-env:UserInstallation=file://{profile}", "--headless",
         "--convert-to", target_format, "--outdir", str(out_dir), str(source)],
        check=True, capture_output=True, timeout=180,
    )
    result = out_dir / f"{source.stem}.{target_format}"
    assert result.is_file(), f"LibreOffice wrote no {result.name}"
    return result


@pytest.mark.parametrize("target_format", ["xlsx", "ods", "xls"])
@pytest.mark.parametrize("sample", ["voorbeeld-geldig.xlsx", "voorbeeld-fouten.xlsx"])
def test_resaved_sample_gives_the_same_findings(tmp_path: Path, sample: str,
                                                target_format: str) -> None:
    """The same findings (severity, code, cell) and counts after LibreOffice re-saves the file."""
    original = validate_workbook(SAMPLES / sample)
    resaved = validate_workbook(resave(SAMPLES / sample, target_format, tmp_path))
    assert flat(resaved) == flat(original)
    assert resaved.summary() == original.summary()
    for data in ("werkgevers", "dga"):
        assert getattr(resaved, data).values == getattr(original, data).values


def test_resaved_template_keeps_its_shape(tmp_path: Path) -> None:
    """The blank template re-saved by LibreOffice is still recognised (headers, no rows)."""
    resaved = validate_workbook(resave(SAMPLES / "werkgevers-aanmelding.xlsx", "xlsx", tmp_path))
    assert [f.code for f in resaved.findings] == ["no-rows"]
