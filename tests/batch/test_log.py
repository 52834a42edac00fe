"""The cron log: one line per file in every viewer, whatever the file's name holds."""

from __future__ import annotations

import json

import pytest

from intake.batch.log import log_line
from intake.batch.outcome import FileOutcome
from intake.definition.status import Status

#: A line separator, a paragraph separator, NEL (C1), a right-to-left override, an escape.
NAME = "a\u2028b\u2029c\x85d\u202ee\x1bf.xlsx"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_name_with_line_and_direction_controls_stays_one_readable_line(fmt: str) -> None:
    """None of them reaches the log raw (a viewer would break the line at U+2028 or NEL, or
    show the rest reversed); the name reads back exactly from the JSON."""
    line = log_line("20261206-230000", FileOutcome(NAME, Status.UNREADABLE, reason="x"),
                    fmt)  # type: ignore[arg-type]
    assert not any(ch in line for ch in "\u2028\u2029\x85\u202e\x1b\n\r"), line
    if fmt == "json":
        assert json.loads(line)["file"] == NAME
    else:
        quoted = line.split(" file=", 1)[1].split(" status=", 1)[0]
        assert json.loads(quoted) == NAME
