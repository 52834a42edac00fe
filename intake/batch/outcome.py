"""What became of one inbox file in a batch run: a frozen outcome, the types that cross from
the batch to its pages, log and history."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from intake.definition.status import Status

#: Where --move-to puts a file of each status; the others stay in the inbox for the next run.
MOVE_FOLDERS = {Status.ACCEPTED: "accepted", Status.PARTIAL: "rejected",
                Status.REJECTED: "rejected", Status.UNREADABLE: "quarantine",
                Status.TOO_LARGE: "quarantine", Status.FAILED: "quarantine",
                Status.SKIPPED: "skipped"}
#: Statuses that make the exit code 1.
NOT_OK = frozenset({Status.PARTIAL, Status.REJECTED, Status.UNREADABLE, Status.TOO_LARGE,
                    Status.FAILED,
                    Status.TIMED_OUT, Status.REFUSED, Status.INACCESSIBLE})


@dataclass(frozen=True)
class FileOutcome:
    """One file's outcome in a run, as summary.json, index.html and the log show it."""

    name: str
    status: Status
    sha256: str = ""
    size: int = 0
    reason: str | None = None
    counts: Mapping[str, Any] | None = None
    output: str | None = None
    delivered: tuple[int, int] = (0, 0)
    same_as: str | None = None
    #: For a skipped file: the run that processed the same content, and what became of it.
    same_as_run: str | None = None
    same_as_status: str | None = None
    moved_to: str | None = None
    processed_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The file's entry in summary.json (absent values left out)."""
        entry: dict[str, Any] = {"name": self.name, "status": str(self.status)}
        if self.sha256:
            entry |= {"sha256": self.sha256, "size": self.size}
        for key, value in (("error", self.reason), ("counts", self.counts),
                           ("output", self.output), ("same_as", self.same_as),
                           ("same_as_run", self.same_as_run),
                           ("same_as_status", self.same_as_status),
                           ("moved_to", self.moved_to), ("processed_at", self.processed_at)):
            if value:
                entry[key] = dict(value) if isinstance(value, Mapping) else value
        if self.status in (Status.ACCEPTED, Status.PARTIAL, Status.REJECTED):
            entry["delivered"] = {"werkgevers": self.delivered[0], "dga": self.delivered[1]}
        return entry


def from_row(row: Any, delivered: tuple[int, int] = (0, 0)) -> FileOutcome:
    """A file's outcome as the ledger holds it."""
    counts = json.loads(row["counts"])
    status = Status(row["status"])
    skipped = status is Status.SKIPPED
    return FileOutcome(row["name"], status, row["sha256"], row["size"], reason=row["error"],
                       counts=None if skipped else counts or None, output=row["output"],
                       delivered=delivered, same_as=counts.get("same_as") if skipped else None,
                       same_as_run=counts.get("run") if skipped else None,
                       same_as_status=counts.get("status") if skipped else None,
                       moved_to=row["moved_to"], processed_at=row["processed_at"])
