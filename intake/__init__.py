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
    from intake.definition.errors import IntakeError
    from intake.definition.findings import Finding
    from intake.outputs.export import write_csvs
    from intake.outputs.pipeline import Outcome, run
    from intake.validation.limits import Limits
    from intake.validation.reader import UnreadableWorkbook
    from intake.validation.timelimit import TimeLimitExceeded
    from intake.validation.validate import Options, Result, validate_workbook

_WHERE = {
    "validate_workbook": "intake.validation.validate", "Options": "intake.validation.validate",
    "Result": "intake.validation.validate", "Finding": "intake.definition.findings",
    "Limits": "intake.validation.limits", "UnreadableWorkbook": "intake.validation.reader",
    "TimeLimitExceeded": "intake.validation.timelimit", "IntakeError": "intake.definition.errors",
    "write_csvs": "intake.outputs.export", "run": "intake.outputs.pipeline",
    "Outcome": "intake.outputs.pipeline",
}

__all__ = ["Finding", "IntakeError", "Limits", "Options", "Outcome", "Result",
           "TimeLimitExceeded", "UnreadableWorkbook", "__version__", "run", "validate_workbook",
           "write_csvs"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'intake' has no attribute {name!r}")
