"""What the package inspection found in a workbook: each sheet's range, what the reader cannot
see, and the refusal of a file that must not be parsed (the types `intake.validation.safety` and
`intake.validation.extent` share)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from intake.definition.cells import column_letter
from intake.definition.errors import IntakeError
from intake.definition.messages import FILE_ERRORS
from intake.validation.limits import Limits

#: An XML declaration a workbook never has (an entity bomb's start).
DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)


class Refused(IntakeError):
    """The file is not read: `reason` is a FILE_ERRORS code, `detail` says what was found."""

    def __init__(self, reason: str, detail: str = "") -> None:
        texts = FILE_ERRORS[reason]
        suffix = f" ({detail})" if detail else ""
        super().__init__(texts["nl"] + suffix, texts["en"] + suffix, code=reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Box:
    """The range a parser builds for one sheet: 0-based first and last row and column."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int

    @property
    def cells(self) -> int:
        """Rows x columns: what the parser allocates."""
        return (self.last_row - self.first_row + 1) * (self.last_col - self.first_col + 1)

    @property
    def ref(self) -> str:
        """The range as Excel writes it, e.g. A1:XFD1048576."""
        return (f"{column_letter(self.first_col)}{self.first_row + 1}:"
                f"{column_letter(self.last_col)}{self.last_row + 1}")


@dataclass
class Inspection:
    """What the package holds that the reader does not show, and what reading it will cost."""

    macros: bool = False
    external_links: int = 0
    #: sheet name → hidden row numbers / hidden column letters
    hidden_rows: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    hidden_columns: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: sheet name → cells holding a formula but no cached value
    formulas_without_value: dict[str, list[str]] = field(
        default_factory=lambda: defaultdict(list))
    #: sheet name → (cell, error value such as #N/A) for every cell holding an error value
    formula_errors: dict[str, list[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(list))
    #: sheet name → the range the parser will build (sheets without values are left out)
    ranges: dict[str, Box] = field(default_factory=dict)
    #: sheet name → its kind, for sheets the parser cannot open (Excel 4 macro sheets, dialog
    #: sheets); the other sheets can be read from a copy without them
    unsupported: dict[str, str] = field(default_factory=dict)
    #: The workbook counts its dates from 1904 (`<workbookPr date1904="1"/>` of .xlsx and
    #: .xlsm): a plain number meant as a date is a day of that count. calamine already turns
    #: date-styled cells into dates by it; only the .xlsx family is told apart here.
    date1904: bool = False

    def too_large(self, sheet: str, limits: Limits) -> Box | None:
        """The range of `sheet` when it is over `limits.max_cells` (it must not be built)."""
        box = self.ranges.get(sheet)
        return box if box is not None and box.cells > limits.max_cells else None


def all_sheets_fit(inspection: Inspection, limits: Limits) -> None:
    """For formats whose sheets calamine builds all at once (.ods, .xls): every sheet, and all
    of them together, within max_cells; otherwise refuse, naming the largest sheet."""
    if not inspection.ranges:
        return
    name, box = max(inspection.ranges.items(), key=lambda item: item[1].cells)
    total = sum(b.cells for b in inspection.ranges.values())
    if total > limits.max_cells:
        raise Refused("too-many-cells", f"{name}!{box.ref}: {box.cells:,} cells; "
                      f"{total:,} in all sheets, at most {limits.max_cells:,}")
