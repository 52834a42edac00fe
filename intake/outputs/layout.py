"""What a person reads, laid out: row heights for wrapped text, and times in Dutch time.

Spreadsheet programs do not work row heights out when they open a file (LibreOffice prints
wrapped cells one line high, text over text), so the writer sets them.

Widths are in Excel's unit (the width of the digit 0 in the default font); a line of Calibri 11
holds about that many characters of ordinary text, a little more, so the estimate errs tall.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

#: The users' time zone: payroll clerks and a.s.r. work in the Netherlands.
TIME_ZONE = "Europe/Amsterdam"

#: The height of one line of Calibri 11, in points, as Excel sizes a default row.
LINE_POINTS = 15.0


@functools.lru_cache(maxsize=4096)  # the same message and hint come back on many rows
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


def parsed_time(iso: str | None) -> dt.datetime | None:
    """An ISO 8601 time as the ledger and the web's store keep it, as an aware time (UTC where
    it names no zone); None for none or one that cannot be read."""
    if not iso:
        return None
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


@functools.cache
def local_zone() -> dt.tzinfo:
    """The Netherlands' time zone; UTC where the time zone database is missing (Windows
    without the tzdata package)."""
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(TIME_ZONE)
    except Exception:  # ZoneInfoNotFoundError, or no zoneinfo data at all
        return dt.UTC


def local_time(iso: str | None) -> str:
    """An ISO time as a Dutch reader reads it: local time, `30-11-2026 03:30` (with " UTC"
    where the time zone database is missing); '' for none, the text itself where it is no
    time."""
    moment = parsed_time(iso)
    if moment is None:
        return iso or ""
    zone = local_zone()
    return moment.astimezone(zone).strftime("%d-%m-%Y %H:%M") + (" UTC" if zone is dt.UTC
                                                                 else "")


def shown_time(moment: dt.datetime) -> str:
    """`moment` as a Dutch reader expects it: 29-11-2026 16:53 CET (summer: CEST).

    In UTC where the time zone database is missing (Windows without the tzdata package).
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(local_zone())
    return local.strftime("%d-%m-%Y %H:%M ") + (local.tzname() or "")
