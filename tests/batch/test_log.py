"""The cron log: one line per file in every viewer, whatever the file's name holds."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_batch_log_lines_are_one_json_object_each_with_the_fields(tmp_path: Path) -> None:
    """`intake batch --log-format json`: every stderr line is one JSON object (through
    `logging`), an accepted file's with exactly time, run, file, status and the counts."""
    from intake.outputs.samples import employer, fill

    from conftest import run_intake

    fill(tmp_path / "in" / "goed.xlsx", [employer(1)], [])
    done = run_intake("batch", str(tmp_path / "in"), "--out", str(tmp_path / "out"),
                      "--settle", "0", "--log-format", "json")
    assert done.returncode == 0, done.stderr
    (record,) = [json.loads(line) for line in done.stderr.splitlines()]
    assert list(record) == ["time", "run", "file", "status", "rows", "accepted", "rejected",
                            "delivered", "errors", "warnings"]
    assert (record["file"], record["status"], record["delivered"]) == ("goed.xlsx", "accepted", 1)
    assert record["run"] == done.stdout.split()[1].rstrip(":")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_any_other_record_is_one_line_with_its_level_and_message(fmt: str) -> None:
    """A record without fields (a library's warning, with an exception whose text spans lines)
    is one line with level, logger and message, the line break escaped."""
    import io
    import logging

    from intake.outputs.logs import configure

    stream = io.StringIO()
    handler = configure(fmt, stream)  # type: ignore[arg-type]
    try:
        raise ValueError("first\nsecond")
    except ValueError:
        logging.getLogger("intake.test").warning("went %s", "wrong\u2028here", exc_info=True)
    finally:
        logging.getLogger("intake").removeHandler(handler)
    (line,) = stream.getvalue().splitlines()
    assert "\u2028" not in line
    if fmt == "json":
        record = json.loads(line)
        assert {k: record[k] for k in ("level", "logger", "message", "error")} == {
            "level": "warning", "logger": "intake.test", "message": "went wrong\u2028here",
            "error": "ValueError: first\nsecond"}
    else:
        assert ' level="warning" logger="intake.test" message="went wrong\\u2028here"' in line


def test_an_exceptions_text_is_cut_in_its_line() -> None:
    """An exception whose text quotes a whole input (60,000 characters) gives a line of its
    type and the first MAX_CHARS characters, ended by the mark that it was cut."""
    import io
    import logging

    from intake.outputs.logs import CUT, MAX_CHARS, configure

    stream = io.StringIO()
    handler = configure("json", stream)
    try:
        raise ValueError("x" * 60_000)
    except ValueError:
        logging.getLogger("intake.test").error("failed", exc_info=True)
    finally:
        logging.getLogger("intake").removeHandler(handler)
    (line,) = stream.getvalue().splitlines()
    error = json.loads(line)["error"]
    assert error == ("ValueError: " + "x" * 60_000)[:MAX_CHARS] + CUT
