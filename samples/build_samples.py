"""Rebuild every file generated from the field list: the sample workbooks in this folder (and the
status file for the valid one), the contract in schemas/ and the table of cell rules in
docs/integrator.md.

    python samples/build_samples.py
"""

from __future__ import annotations

from pathlib import Path

from intake.outputs.contract import contract_files, with_generated
from intake.outputs.samples import write_samples, write_status_sample

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    for path in write_samples(ROOT / "samples"):
        print(path)
    print(write_status_sample(ROOT / "samples"))
    for name, text in contract_files().items():
        (ROOT / "schemas" / name).write_text(text, encoding="utf-8")
        print(ROOT / "schemas" / name)
    readme = ROOT / "docs" / "integrator.md"
    readme.write_text(with_generated(readme.read_text(encoding="utf-8")), encoding="utf-8")
    print(readme)
