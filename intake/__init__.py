"""Batch intake of employers for the a.s.r. payroll link with Loket.nl.

The library API for other programs (a web upload, a scheduler)::

    from intake import validate_workbook, Options, Limits

    result = validate_workbook("aanmelding.xlsx", Options(limits=Limits(max_seconds=60)))
    with open("aanmelding.xlsx", "rb") as upload:
        result = validate_workbook(upload)
    result.valid, result.summary(), [f.to_dict("en") for f in result.findings]

Names are loaded on first use, so `intake --help` does not import the validator.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from intake.errors import IntakeError
    from intake.export import write_csvs
    from intake.findings import Finding
    from intake.limits import Limits
    from intake.pipeline import Outcome, run
    from intake.reader import UnreadableWorkbook
    from intake.timelimit import TimeLimitExceeded
    from intake.validate import Options, Result, validate_workbook

_WHERE = {
    "validate_workbook": "intake.validate", "Options": "intake.validate",
    "Result": "intake.validate", "Finding": "intake.findings", "Limits": "intake.limits",
    "UnreadableWorkbook": "intake.reader", "TimeLimitExceeded": "intake.timelimit",
    "IntakeError": "intake.errors", "write_csvs": "intake.export", "run": "intake.pipeline",
    "Outcome": "intake.pipeline",
}

__all__ = ["Finding", "IntakeError", "Limits", "Options", "Outcome", "Result",
           "TimeLimitExceeded", "UnreadableWorkbook", "__version__", "run", "validate_workbook",
           "write_csvs"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'intake' has no attribute {name!r}")
