"""What became of one file, the same word behind every door: the statuses."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """What became of one file, behind every door: a run of the batch, an upload, `intake
    validate` (the value is what the ledger, report.json and the web store hold)."""

    ACCEPTED = "accepted"
    PARTIAL = "partially accepted"
    REJECTED = "rejected"
    UNREADABLE = "unreadable"
    TOO_LARGE = "too-large"
    FAILED = "failed"
    TIMED_OUT = "timed-out"
    SKIPPED = "skipped"
    WAITING = "waiting"
    REFUSED = "refused"
    INACCESSIBLE = "inaccessible"
    VANISHED = "vanished"
    #: An upload still being checked (the web intake).
    CHECKING = "checking"


#: The statuses of a file that was read and validated (its report has findings), in order.
CHECKED = (Status.ACCEPTED, Status.PARTIAL, Status.REJECTED)
#: The statuses of a file that could not be checked (its report says why).
NOT_CHECKED = (Status.UNREADABLE, Status.TOO_LARGE, Status.TIMED_OUT, Status.FAILED)


class Door(StrEnum):
    """How a file came in: what its reader is told to do next depends on it (the check itself
    does not)."""

    #: `intake validate` on someone's own machine: they deliver the file themselves.
    COMMAND_LINE = "command line"
    #: The nightly batch: what was accepted has been delivered.
    BATCH = "batch"
    #: The web intake: an accepted upload is placed for the night; the rest is uploaded again.
    WEB = "web"
