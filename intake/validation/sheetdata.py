"""One sheet's rows after normalisation: what was typed, what it means, which rows are rejected."""

from __future__ import annotations

from dataclasses import dataclass, field

from intake.definition.fields import SheetSpec


@dataclass
class SheetData:
    """The rows of one sheet, column by column, with their Excel rows and column letters.

    `shown[f][i]` is the value of field `f` in Excel row `rows[i]` as the user sees it;
    `values[f][i]` is its normalised value (None when empty). A sheet that is missing from the
    workbook has `sheet` None and no rows.
    """

    spec: SheetSpec
    sheet: str | None = None
    header_row: int | None = None
    rows: list[int] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    shown: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, list[str | None]] = field(default_factory=dict)
    usable: bool = True
    rejected: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def value(self, name: str, position: int) -> str | None:
        """The normalised value of field `name` in the row at `position`, if the column exists."""
        column = self.values.get(name)
        return None if column is None else column[position]

    @property
    def accepted(self) -> int:
        """How many rows are accepted."""
        return len(self.rows) - sum(self.rejected)

    def accepted_positions(self) -> list[int]:
        """Positions of the accepted rows, in sheet order."""
        return [i for i, bad in enumerate(self.rejected) if not bad]

    def counts(self) -> dict[str, int]:
        """Rows, accepted and rejected, as report.json's summary shows them."""
        return {"rows": len(self.rows), "accepted": self.accepted,
                "rejected": sum(self.rejected)}
