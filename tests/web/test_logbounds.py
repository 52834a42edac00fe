"""The web intake's log lines bounded: every value a client sent is cut, with its length said."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from intake.outputs.logs import ROOT, UVICORN, configure_web
from intake.web.logbounds import MAX_CHARS, bound_handlers


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    """serve's logging (JSON lines) on a buffer, bounded as serve bounds it; the loggers as
    they were afterwards."""
    loggers = [logging.getLogger(name) for name in (ROOT, *UVICORN)]
    before = [(list(lg.handlers), list(lg.filters), lg.level, lg.propagate) for lg in loggers]
    stream = io.StringIO()
    configure_web("json", stream)
    bound_handlers((ROOT, *UVICORN))
    bound_handlers((ROOT, *UVICORN))  # twice: one filter a handler, not two
    yield stream
    for lg, (handlers, filters, level, propagate) in zip(loggers, before, strict=True):
        lg.handlers[:], lg.filters[:], lg.propagate = handlers, filters, propagate
        lg.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize(("length", "cut"), [(MAX_CHARS, False), (MAX_CHARS + 1, True)])
def test_an_access_lines_path_is_cut_after_the_limit(log: io.StringIO, length: int,
                                                     cut: bool) -> None:
    """A path of exactly the limit is logged whole; one character more is cut to the limit,
    ends in …, and path_chars says how long it was sent."""
    path = "/" + "p" * (length - 1)
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "1.2.3.4:5", "GET",
                                             path, "1.1", 404)
    [line] = _lines(log)
    assert line["path"] == (path[:MAX_CHARS] + "…" if cut else path)
    assert line.get("path_chars") == (length if cut else None)
    assert line["client"] == "1.2.3.4:5" and line["status"] == 404


def test_a_long_message_of_any_other_logger_is_cut(log: io.StringIO) -> None:
    """A record without fields (uvicorn's or a library's message, with its arguments) is cut
    to the limit too, its escape characters still escaped."""
    logging.getLogger("uvicorn.error").warning("bad %s", "\x1b" + "x" * 5000)
    [line] = _lines(log)
    assert line["message"] == ("bad \x1b" + "x" * 5000)[:MAX_CHARS] + "…"
    assert "\x1b" not in log.getvalue()
    assert len(logging.getLogger("uvicorn.error").handlers[0].filters) == 1
