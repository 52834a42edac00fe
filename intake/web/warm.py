"""Warm a fresh upload worker: load the validator and run it once on a sample built in a
temporary folder, so its first real check costs what a check costs, not the imports."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path


def warm() -> None:
    """Run the validator once; a failure here is only a lost optimisation (the checks
    themselves report what is wrong)."""
    from intake.outputs.pipeline import run
    from intake.outputs.samples import MISTAKE_DGA, MISTAKE_EXTRA_HEADER, MISTAKE_WERKGEVERS, fill

    with contextlib.suppress(Exception), tempfile.TemporaryDirectory(
            prefix="intake-warm-") as folder:
        sample = fill(Path(folder) / "warm.xlsx", MISTAKE_WERKGEVERS, MISTAKE_DGA,
                      MISTAKE_EXTRA_HEADER)
        run(sample, Path(folder) / "out")
