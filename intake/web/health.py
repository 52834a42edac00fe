"""What a proxy and a monitor ask of the web intake: /healthz (can it do its work: does the
ledger open, can the inbox and the uploads folder be written) and /metrics (counts of uploads,
checks and failures, in Prometheus' text format). For operations, so in English."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from intake.definition.status import NOT_CHECKED, Status


@dataclass(frozen=True)
class Health:
    """The answer of /healthz: healthy when nothing is wrong, else each problem in a few
    words (what, where, the system's reason)."""

    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        """`ok`, or `unhealthy: ` and the problems separated by `; `."""
        return "ok" if self.ok else "unhealthy: " + "; ".join(self.problems)


def check(ledger: Path, writable: Sequence[Path]) -> Health:
    """Open the ledger read-only and read its schema (a missing or damaged file fails), and
    create and remove a file in each folder of `writable`."""
    problems = []
    try:
        db = sqlite3.connect(f"file:{quote(str(ledger.resolve()))}?mode=ro", uri=True,
                             timeout=2)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            db.close()
    except sqlite3.Error as exc:
        problems.append(f"ledger {ledger} does not open ({exc})")
    for folder in writable:
        probe = folder / f".healthz-{secrets.token_hex(4)}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            problems.append(f"{folder} is not writable ({exc.strerror})")
    return Health(tuple(problems))


def metrics(uploads: Mapping[Status, int], checks_in_progress: int, queue_limit: int,
            health: Health) -> str:
    """The counts in Prometheus' text exposition format (version 0.0.4), a series for every
    upload status (0 included, so an alert on a rate has a series from the start)."""
    lines = [
        "# HELP intake_up 1 when /healthz says ok (ledger opens, inbox and uploads writable).",
        "# TYPE intake_up gauge",
        f"intake_up {int(health.ok)}",
        "# HELP intake_uploads Uploads the web intake has recorded, by status.",
        "# TYPE intake_uploads gauge",
        *(f'intake_uploads{{status="{status.value}"}} {uploads.get(status, 0)}'
          for status in Status),
        "# HELP intake_upload_failures Uploads that could not be checked (unreadable, too "
        "large, timed out, failed).",
        "# TYPE intake_upload_failures gauge",
        f"intake_upload_failures {sum(uploads.get(status, 0) for status in NOT_CHECKED)}",
        "# HELP intake_checks_in_progress Checks running or waiting for a worker now.",
        "# TYPE intake_checks_in_progress gauge",
        f"intake_checks_in_progress {checks_in_progress}",
        "# HELP intake_checks_queue_limit Checks in progress beyond which an upload gets 503.",
        "# TYPE intake_checks_queue_limit gauge",
        f"intake_checks_queue_limit {queue_limit}",
    ]
    return "\n".join(lines) + "\n"
