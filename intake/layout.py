"""Row heights for wrapped text: spreadsheet programs do not work them out when they open a
file (LibreOffice prints wrapped cells one line high, text over text), so the writer sets them.

Widths are in Excel's unit (the width of the digit 0 in the default font); a line of Calibri 11
holds about that many characters of ordinary text, a little more, so the estimate errs tall.
"""

from __future__ import annotations

from collections.abc import Iterable

#: The height of one line of Calibri 11, in points, as Excel sizes a default row.
LINE_POINTS = 15.0


def line_count(text: str, width: float) -> int:
    """How many lines `text` takes in a wrapped cell `width` characters wide (word wrap)."""
    capacity = max(int(width * 1.1) - 1, 1)
    total = 0
    for paragraph in text.split("\n"):
        lines, used = 1, 0
        for word in paragraph.split():
            need = len(word) + (1 if used else 0)
            if used and used + need > capacity:
                lines, used, need = lines + 1, 0, len(word)
            used += need
            while used > capacity:  # a word longer than the line breaks anywhere
                lines, used = lines + 1, used - capacity
        total += lines
    return max(total, 1)


def row_height(cells: Iterable[tuple[str, float]], points: float = LINE_POINTS) -> float | None:
    """The height for a row of wrapped cells (text, column width); None when one line fits."""
    lines = max((line_count(text, width) for text, width in cells), default=1)
    return None if lines <= 1 else round(lines * points + 2, 1)
