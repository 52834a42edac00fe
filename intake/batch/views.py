"""The ledger's read interface: read-only views of runs, files and conflicts (the web pages read
the ledger only through it).  The ledger is written by `intake batch` (intake/batch/ledger.py) and
its schema moves on; this layer only reads, over its own query-only connection, and asks SQLite
which tables and columns exist before each query, so a column added or not yet there never breaks a
page. What it reads:

    runs:      id, started_at, finished_at, status, inbox
    files:     id, run_id, name, sha256, status, counts (JSON), error, processed_at,
               delivered (when present: a count, or JSON with a "werkgevers" count)
    employers: file_id (rows counted per file when files.delivered is absent)
    notes:     run_id, file_id, data (JSON: the cross-file findings; only those of severity
               error, batch-conflict, are conflicts: the others are notes, such as a harmless
               repeat of an employer delivered before)
    employers: werkgever_id, loonheffingennummer, data (JSON: the employer's name), per file
    states:    werkgever_id, loonheffingennummer, state, at, first_exchange, reason (issue 25;
               absent in a ledger older than schema 4: every registration is then delivered)
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from intake.definition.registration import Standing, days_since

if TYPE_CHECKING:
    from intake.batch.funnel import Funnel


@dataclass(frozen=True)
class FileView:
    """One file of a run as the operator sees it."""

    id: int
    run_id: str
    name: str
    bureau: str
    status: str
    processed_at: str
    rows: int
    accepted: int
    delivered: int
    conflicts: int
    error: str | None
    sha256: str


@dataclass(frozen=True)
class RunView:
    """One batch run with its totals."""

    id: str
    started_at: str
    finished_at: str | None
    status: str
    inbox: str
    statuses: dict[str, int] = field(default_factory=dict)
    delivered: int = 0
    conflicts: int = 0


@dataclass(frozen=True)
class Conflict:
    """A cross-file finding: a conflict (severity error) or a note (a warning: an employer
    already delivered, or twice in one run)."""

    run_id: str
    file: str
    code: str
    cell: str
    value: str
    message: str
    severity: str = "warning"

    @property
    def real(self) -> bool:
        """True for a conflict that held a row back (not a harmless repeat)."""
        return self.severity == "error"


#: A file status that needs someone to act: the file was not checked and will not be by itself.
NEEDS_ACTION = ("unreadable", "too-large", "failed", "refused", "inaccessible")


@dataclass(frozen=True)
class Action:
    """One thing in a recent run that needs the operator: a conflict or a file not checked."""

    run_id: str
    severity: str
    kind: str  # conflict, not-checked
    file: str
    file_id: int
    cell: str
    message: str
    value: str = ""


@dataclass(frozen=True)
class BureauView:
    """The ledger's files of one bureau (its inbox folder), with totals."""

    name: str
    files: int
    statuses: dict[str, int]
    delivered: int
    last_processed: str


@dataclass(frozen=True)
class RegistrationView(Standing):
    """One registration of a bureau where it stands, with the date of the first exchange
    (live) or the reason (refused)."""

    first_exchange: str | None = None
    reason: str | None = None


class LedgerView:
    """Query-only access to the ledger at `path` (absent or empty: every view is empty)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection | None:
        if not self.path.exists():
            return None
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA query_only = ON")
        return db

    @staticmethod
    def _columns(db: sqlite3.Connection, table: str) -> set[str]:
        return {r[1] for r in db.execute(f"PRAGMA table_info({table})")}

    def _select(self, db: sqlite3.Connection, table: str, wanted: tuple[str, ...],
                where: str = "", params: tuple[Any, ...] = (),
                order: str = "") -> list[dict[str, Any]]:
        have = self._columns(db, table)
        if not have:
            return []
        present = [c for c in wanted if c in have]
        if not present:
            return []
        sql = f"SELECT {', '.join(present)} FROM {table} {where} {order}"
        rows = db.execute(sql, params).fetchall()
        return [{c: (r[c] if c in present else None) for c in wanted} for r in rows]

    def _files(self, db: sqlite3.Connection, where: str = "",
               params: tuple[Any, ...] = ()) -> list[FileView]:
        rows = self._select(db, "files", ("id", "run_id", "name", "sha256", "status", "counts",
                                          "error", "processed_at", "delivered"),
                            where, params, "ORDER BY id")
        ids = [int(r["id"]) for r in rows if r["id"] is not None]
        delivered = self._delivered_counts(db, ids) if rows and rows[0]["delivered"] is None \
            else {}
        conflicts = self._conflict_counts(db, ids)
        views = []
        for r in rows:
            counts = _json(r["counts"])
            werkgevers = counts.get("werkgevers", {}) if isinstance(counts, dict) else {}
            name = str(r["name"] or "")
            views.append(FileView(
                id=int(r["id"] or 0), run_id=str(r["run_id"] or ""), name=name,
                bureau=name.split("/", 1)[0] if "/" in name else "",
                status=str(r["status"] or ""), processed_at=str(r["processed_at"] or ""),
                rows=int(werkgevers.get("rows", 0)), accepted=int(werkgevers.get("accepted", 0)),
                delivered=_count(r["delivered"]) if r["delivered"] is not None
                else delivered.get(int(r["id"] or 0), 0),
                conflicts=conflicts.get(int(r["id"] or 0), 0), error=r["error"],
                sha256=str(r["sha256"] or "")))
        return views

    def _counts_per_file(self, db: sqlite3.Connection, table: str,
                         ids: list[int]) -> dict[int, int]:
        """Rows of `table` per file id, for the files asked about only."""
        if not ids or "file_id" not in self._columns(db, table):
            return {}
        counts: dict[int, int] = {}
        for start in range(0, len(ids), 900):  # within SQLite's limit of bound parameters
            chunk = ids[start:start + 900]
            marks = ",".join("?" * len(chunk))
            counts.update((r[0], r[1]) for r in db.execute(
                f"SELECT file_id, COUNT(*) FROM {table} WHERE file_id IN ({marks}) "
                "GROUP BY file_id", chunk))
        return counts

    def _delivered_counts(self, db: sqlite3.Connection, ids: list[int]) -> dict[int, int]:
        return self._counts_per_file(db, "employers", ids)

    def _conflict_counts(self, db: sqlite3.Connection, ids: list[int]) -> dict[int, int]:
        """Real conflicts (notes of severity error) per file id; a harmless repeat is not one.
        A ledger whose notes lack data counts every note, as it always did."""
        have = self._columns(db, "notes")
        if not ids or "file_id" not in have:
            return {}
        if "data" not in have:
            return self._counts_per_file(db, "notes", ids)
        counts: Counter[int] = Counter()
        for start in range(0, len(ids), 900):  # within SQLite's limit of bound parameters
            chunk = ids[start:start + 900]
            marks = ",".join("?" * len(chunk))
            for file_id, data in db.execute(
                    f"SELECT file_id, data FROM notes WHERE file_id IN ({marks})", chunk):
                note = _json(data)
                if isinstance(note, dict) and note.get("severity") == "error":
                    counts[file_id] += 1
        return dict(counts)

    # --- the views ----------------------------------------------------------------------------

    def runs(self, limit: int = 100) -> list[RunView]:
        """The newest runs with their file statuses, delivered rows and conflicts."""
        db = self._connect()
        if db is None:
            return []
        try:
            runs = self._select(db, "runs", ("id", "started_at", "finished_at", "status",
                                             "inbox"), order=f"ORDER BY id DESC LIMIT {limit:d}")
            files = self._files(db)
        finally:
            db.close()
        per_run: dict[str, list[FileView]] = {}
        for f in files:
            per_run.setdefault(f.run_id, []).append(f)
        return [_run_view(r, per_run.get(str(r["id"]), [])) for r in runs]

    def run(self, run_id: str) -> tuple[RunView, list[FileView], list[Conflict]] | None:
        """One run, its files and its conflicts."""
        db = self._connect()
        if db is None:
            return None
        try:
            runs = self._select(db, "runs", ("id", "started_at", "finished_at", "status",
                                             "inbox"), "WHERE id = ?", (run_id,))
            if not runs:
                return None
            files = self._files(db, "WHERE run_id = ?", (run_id,))
            conflicts = self._conflicts(db, run_id)
        finally:
            db.close()
        return _run_view(runs[0], files), files, conflicts

    def _conflicts(self, db: sqlite3.Connection, run_id: str) -> list[Conflict]:
        out = []
        for r in self._select(db, "notes", ("run_id", "data"), "WHERE run_id = ?", (run_id,),
                              "ORDER BY id"):
            data = _json(r["data"])
            if not isinstance(data, dict):
                continue
            cell = f"{data.get('sheet') or ''}!{data.get('cell')}" if data.get("cell") else ""
            out.append(Conflict(run_id=run_id, file=str(data.get("file", "")),
                                code=str(data.get("code", "")), cell=cell,
                                value=str(data.get("value") or ""),
                                message=str(data.get("message", "")),
                                severity=str(data.get("severity") or "warning")))
        return out

    def attention(self, last_runs: int = 7) -> list[Action]:
        """What in the latest `last_runs` runs needs the operator, newest run first: its real
        conflicts, then its files that could not be checked."""
        db = self._connect()
        if db is None:
            return []
        try:
            runs = self._select(db, "runs", ("id",), order=f"ORDER BY id DESC LIMIT "
                                                           f"{last_runs:d}")
            found: list[Action] = []
            for r in runs:
                run_id = str(r["id"])
                files = self._files(db, "WHERE run_id = ?", (run_id,))
                ids = {f.name: f.id for f in files}
                found += [Action(run_id, "error", "conflict", c.file, ids.get(c.file, 0),
                                 c.cell, c.message, c.value)
                          for c in self._conflicts(db, run_id) if c.real]
                found += [Action(run_id, "error", "not-checked", f.name, f.id, "",
                                 f.error or "") for f in files if f.status in NEEDS_ACTION]
        finally:
            db.close()
        return found

    def bureaus(self) -> list[BureauView]:
        """Per inbox folder (one per bureau): files, statuses, delivered employers."""
        db = self._connect()
        if db is None:
            return []
        try:
            files = self._files(db)
        finally:
            db.close()
        grouped: dict[str, list[FileView]] = {}
        for f in files:
            grouped.setdefault(f.bureau or "(inbox)", []).append(f)
        return [BureauView(name=name, files=len(fs), statuses=dict(Counter(f.status for f in fs)),
                           delivered=sum(f.delivered for f in fs),
                           last_processed=max(f.processed_at for f in fs))
                for name, fs in sorted(grouped.items())]

    def processing_of(self, inbox_name: str, sha256: str) -> list[FileView]:
        """What the nightly runs did with an uploaded file: by its inbox name, else its
        content (the batch may have been pointed at a parent folder or moved the file)."""
        db = self._connect()
        if db is None:
            return []
        try:
            files = self._files(db, "WHERE name = ? OR sha256 = ?", (inbox_name, sha256))
        finally:
            db.close()
        by_name = [f for f in files if f.name == inbox_name]
        return by_name or files


    def funnel(self, today: dt.date | None = None) -> Funnel | None:
        """The registrations per state and those waiting too long (`intake.batch.funnel`);
        None for a ledger without states."""
        from intake.batch.funnel import funnel_of

        db = self._connect()
        if db is None:
            return None
        try:
            if not self._columns(db, "states") or not self._columns(db, "employers"):
                return None
            return funnel_of(db, today=today)
        finally:
            db.close()

    def registrations(self, bureau: str, today: dt.date | None = None,
                      ) -> list[RegistrationView]:
        """The registrations delivered from a bureau's inbox folder (files named `bureau/…`),
        each with its state now and how many days it has been in it; oldest state first."""
        db = self._connect()
        if db is None:
            return []
        try:
            have = self._columns(db, "employers")
            if not {"werkgever_id", "loonheffingennummer", "file_id"} <= have:
                return []
            prefix = f"{bureau}/"
            delivered = db.execute(
                "SELECT e.werkgever_id, e.loonheffingennummer, "
                + ("e.data" if "data" in have else "'{}'") + ", f.processed_at FROM employers e "
                "JOIN files f ON f.id = e.file_id WHERE substr(f.name, 1, ?) = ? ORDER BY e.id",
                (len(prefix), prefix)).fetchall()
            states: dict[tuple[str, str], sqlite3.Row] = {}
            if {"state", "at", "first_exchange", "reason"} <= self._columns(db, "states"):
                states = {(r[0], r[1]): r for r in db.execute(
                    "SELECT werkgever_id, loonheffingennummer, state, at, first_exchange, "
                    "reason FROM states WHERE id IN (SELECT MAX(id) FROM states "
                    "GROUP BY werkgever_id, loonheffingennummer)")}
        finally:
            db.close()
        today = today or dt.datetime.now(dt.UTC).date()
        latest: dict[tuple[str, str], RegistrationView] = {}
        for werkgever_id, lhn, data, processed_at in delivered:
            key = (str(werkgever_id), str(lhn))
            found = states.get(key)
            since = str(found["at"] if found else processed_at or "")
            row = _json(data)
            latest.pop(key, None)
            latest[key] = RegistrationView(
                werkgever_id=key[0], loonheffingennummer=key[1],
                werkgever_naam=str(row.get("werkgever_naam", "")) if isinstance(row, dict)
                else "",
                state=str(found["state"]) if found else "delivered", since=since,
                days=days_since(since, today),
                first_exchange=found["first_exchange"] if found else None,
                reason=found["reason"] if found else None)
        return sorted(latest.values(), key=lambda r: r.since)


def _run_view(r: dict[str, Any], files: list[FileView]) -> RunView:
    return RunView(id=str(r["id"]), started_at=str(r["started_at"] or ""),
                   finished_at=r["finished_at"], status=str(r["status"] or ""),
                   inbox=str(r["inbox"] or ""),
                   statuses=dict(Counter(f.status for f in files)),
                   delivered=sum(f.delivered for f in files),
                   conflicts=sum(f.conflicts for f in files))


def _json(text: Any) -> Any:
    try:
        return json.loads(text) if text else {}
    except (TypeError, ValueError):
        return {}


def _count(value: Any) -> int:
    """files.delivered as a number, or JSON holding one (its werkgevers count)."""
    if isinstance(value, int):
        return value
    data = _json(value)
    if isinstance(data, dict):
        return int(data.get("werkgevers", 0) or 0)
    return int(data) if isinstance(data, int) else 0
