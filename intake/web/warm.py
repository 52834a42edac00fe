"""Imported once by the forkserver of the upload workers: load the validator and run it on a
sample built in memory, so every forked check starts with warm imports and caches."""

from __future__ import annotations

import contextlib
import gc
import tempfile
from pathlib import Path


def _warm() -> None:
    from intake.pipeline import run
    from intake.samples import MISTAKE_DGA, MISTAKE_EXTRA_HEADER, MISTAKE_WERKGEVERS, fill

    with tempfile.TemporaryDirectory(prefix="intake-warm-") as folder:
        sample = fill(Path(folder) / "warm.xlsx", MISTAKE_WERKGEVERS, MISTAKE_DGA,
                      MISTAKE_EXTRA_HEADER)
        run(sample, Path(folder) / "out")


# Warming is an optimisation only: a failure here shows up in the checks themselves.
with contextlib.suppress(Exception):
    _warm()
    import intake.cli  # noqa: F401  (the server's main module, which each child re-imports)
# What was built so far is shared by every forked check: keeping the collector away from it
# saves each child from copying those pages.
gc.freeze()
