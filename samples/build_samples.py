"""Rebuild the sample workbooks in this folder: `python samples/build_samples.py`."""

from __future__ import annotations

from pathlib import Path

from intake.outputs.samples import write_samples

if __name__ == "__main__":
    for path in write_samples(Path(__file__).resolve().parent):
        print(path)
