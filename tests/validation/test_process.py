"""Process settings for validating: memory reserved stays close to memory used."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_validating_fits_a_one_gigabyte_address_space(tmp_path: Path) -> None:
    """With few malloc arenas, validating the mistakes sample (pandera, polars and their
    threads) runs under a 1 GB address-space limit; the peak reservation is reported."""
    script = (
        "import re, sys\n"
        "from intake.validation.process import few_malloc_arenas\n"
        "few_malloc_arenas()\n"
        "from intake import validate_workbook\n"
        "result = validate_workbook(sys.argv[1])\n"
        "assert result.errors > 0\n"
        "peak = re.search(r'VmPeak:\\s+(\\d+)', open('/proc/self/status').read())\n"
        "print(int(peak.group(1)) // 1024)\n"
    )

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    done = subprocess.run([sys.executable, "-c", script, str(SAMPLES / "voorbeeld-fouten.xlsx")],
                          capture_output=True, text=True, preexec_fn=limit, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) < 1024
