"""What a client sent, bounded in the web intake's log: a line per request, whatever its size.

h11 takes a request whose head arrives whole, of any size up to what one read brings (64 KB and
more), and uvicorn logs its path and query as sent: a client could write 64 KB into the log with
each request. `BoundedFields`, on the log's handler, cuts every text value of a line (the access
line's path, its client address, which a trusted proxy's X-Forwarded-For sets, and the message of
any other line) to `MAX_CHARS` characters, ending in "…", and says how long it was in a field
of its own (`path_chars`). Control characters need nothing here: the formatter writes every value
JSON-quoted, with the characters a terminal must not get raw escaped (`intake.outputs.logs`), and
h11 refuses a request line holding one before anything of it is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from intake.outputs.logs import MAX_CHARS, bounded


class BoundedFields(logging.Filter):
    """Every text value of a record's fields, and the message of a record without fields, cut
    to `limit` characters; a field that was cut gets `<name>_chars`, its length as sent."""

    def __init__(self, limit: int = MAX_CHARS) -> None:
        super().__init__()
        self.limit = limit

    def filter(self, record: logging.LogRecord) -> bool:
        """Bound the record's values; every record passes."""
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            bounded_fields: dict[str, object] = {}
            for key, value in fields.items():
                if isinstance(value, str) and len(value) > self.limit:
                    bounded_fields[key] = bounded(value, self.limit)
                    bounded_fields[f"{key}_chars"] = len(value)
                else:
                    bounded_fields[key] = value
            record.fields = bounded_fields
        else:
            message = record.getMessage()
            if len(message) > self.limit:
                record.msg, record.args = bounded(message, self.limit), None
        return True


def bound_handlers(loggers: Iterable[str], limit: int = MAX_CHARS) -> None:
    """Put `BoundedFields` on the handlers of `loggers` (once each): a handler's filter sees a
    record after its logger's own filters have given it its fields."""
    handlers = {id(h): h for name in loggers for h in logging.getLogger(name).handlers}
    for handler in handlers.values():
        for old in [f for f in handler.filters if isinstance(f, BoundedFields)]:
            handler.removeFilter(old)
        handler.addFilter(BoundedFields(limit))
