"""Log lines through the standard library's `logging`: one event a line on stderr, as text
(`time key=value …`) or as one JSON object, for the batch and the web intake alike.

An event's facts travel as `extra={"fields": {...}}`; a record without them (a library's own
message, uvicorn's start-up lines) is written with its level and message. Every text value is
JSON-quoted with the characters a terminal must not get raw written as \\u escapes
(`intake.outputs.terminal.unsafe`), so no name from outside can start a line of its own or turn
the rest around. Rotation is left to journald or logrotate: nothing here writes files.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Mapping
from typing import Any, Literal, TextIO

LogFormat = Literal["text", "json"]
#: The logger every line of intake goes through (the batch: intake.batch, the web: intake.web).
ROOT = "intake"
#: uvicorn's loggers, given the same handler when the web intake runs.
UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")
#: The longest text a log line keeps of a value from outside (a path a client sent, an
#: exception's text, which may quote a whole input): far longer than any of our own.
MAX_CHARS = 1000
#: What ends a value that was cut.
CUT = "…"


def bounded(text: str, limit: int = MAX_CHARS) -> str:
    """`text` if it has at most `limit` characters, else its first `limit` and `CUT`."""
    return text if len(text) <= limit else text[:limit] + CUT


def quoted(value: object) -> str:
    """`value` as JSON that stays one line in every viewer and reads in its order: besides the
    control characters JSON escapes, every character a terminal must not get raw (line and
    paragraph separators, NEL, U+202E: `intake.outputs.terminal.unsafe`) is a \\u escape."""
    from intake.outputs.terminal import unsafe

    text = json.dumps(value, ensure_ascii=False)
    return "".join(f"\\u{ord(ch):04x}" if unsafe(ch) else ch for ch in text)


def local_time(created: float | None = None) -> str:
    """A moment (now by default) as local ISO 8601 to the second, with its offset."""
    moment = dt.datetime.now(dt.UTC) if created is None else \
        dt.datetime.fromtimestamp(created, dt.UTC)
    return moment.astimezone().isoformat(timespec="seconds")


def render(record: Mapping[str, Any], fmt: LogFormat) -> str:
    """One line of `record` (its first key the time): one JSON object, or the time, then
    key=value with every value but a number JSON-quoted (a run id as it is)."""
    if fmt == "json":
        return quoted(dict(record))
    fields = dict(record)
    head = str(fields.pop("time"))
    if "run" in fields:
        head += f" run={fields.pop('run')}"
    return " ".join([head, *(f"{key}={_value(value)}" for key, value in fields.items())])


def _value(value: object) -> str:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) \
        else quoted(value)


class Formatter(logging.Formatter):
    """A record as one line, text or JSON: its `fields` (see the module), else its level and
    message (and the exception's type and text, on the same line, cut to MAX_CHARS)."""

    def __init__(self, fmt: LogFormat = "text") -> None:
        super().__init__()
        self.kind: LogFormat = fmt

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line."""
        fields = getattr(record, "fields", None)
        line: dict[str, Any] = {"time": local_time(record.created)}
        if isinstance(fields, Mapping):
            line |= fields
        else:
            line |= {"level": record.levelname.lower(), "logger": record.name,
                     "message": record.getMessage()}
            if record.exc_info and record.exc_info[1] is not None:
                error = record.exc_info[1]
                line["error"] = bounded(f"{type(error).__name__}: {error}")
        return render(line, self.kind)


def configure(fmt: LogFormat = "text", stream: TextIO | None = None,
              names: tuple[str, ...] = (ROOT,)) -> logging.Handler:
    """Send the loggers `names` to one handler on `stream` (stderr when None) in `fmt`, at
    level INFO, each replacing any handler set before (a second call, or a test's next
    command, does not double the lines). Returns the handler."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(Formatter(fmt))
    for name in names:
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return handler


class AccessFields(logging.Filter):
    """uvicorn's access records given their facts as fields: client, method, path, http,
    status (uvicorn passes them as the message's arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add `fields` to an access record; every record passes."""
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            client, method, path, http, status = args
            record.fields = {"event": "request", "client": str(client), "method": str(method),
                             "path": str(path), "http": str(http), "status": int(str(status))}
        return True


def configure_web(fmt: LogFormat = "text", stream: TextIO | None = None) -> None:
    """The logging of `intake serve`: intake's and uvicorn's loggers through one handler in
    `fmt`, access lines with their fields (uvicorn is then started with log_config=None, so it
    keeps these handlers)."""
    configure(fmt, stream, (ROOT, *UVICORN))
    access = logging.getLogger("uvicorn.access")
    for old in [f for f in access.filters if isinstance(f, AccessFields)]:
        access.removeFilter(old)
    access.addFilter(AccessFields())
