"""The batch ledger: an SQLite database of runs, files and delivered rows.

Standard library sqlite3, WAL mode, the schema version in `PRAGMA user_version` and the
migrations below, one transaction per file. Every output of a run (its combined delivery,
summary.json, index.html) is derived from the ledger, so a run that was killed can be finished
by the next one from what was committed.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Migration n (1-based) takes the schema from version n-1 to n.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,            -- running, finished, interrupted
        inbox TEXT NOT NULL,
        out_dir TEXT NOT NULL,
        options TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id),
        name TEXT NOT NULL,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        status TEXT NOT NULL,   -- accepted, partially accepted, rejected, unreadable,
                                -- failed, skipped
        counts TEXT NOT NULL DEFAULT '{}',
        error TEXT,
        output TEXT,
        moved_to TEXT,
        processed_at TEXT NOT NULL
    );
    CREATE INDEX files_sha256 ON files(sha256);
    CREATE INDEX files_run ON files(run_id);
    CREATE TABLE employers (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id),
        file_id INTEGER NOT NULL REFERENCES files(id),
        werkgever_id TEXT NOT NULL,
        loonheffingennummer TEXT NOT NULL,
        source_row INTEGER NOT NULL,
        data TEXT NOT NULL               -- the CSV row as a JSON object
    );
    CREATE INDEX employers_key ON employers(werkgever_id, loonheffingennummer);
    CREATE INDEX employers_run ON employers(run_id);
    CREATE TABLE dga (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id),
        file_id INTEGER NOT NULL REFERENCES files(id),
        werkgever_id TEXT NOT NULL,
        source_row INTEGER NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX dga_run ON dga(run_id);
    CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id),
        file_id INTEGER REFERENCES files(id),
        data TEXT NOT NULL               -- a cross-file finding as a JSON object
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
#: File statuses that mean "done": the same content is not processed again without --force.
FINAL = ("accepted", "partially accepted", "rejected", "unreadable")


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Earlier:
    """An earlier registration of an employer: where and when."""

    file: str
    run_id: str
    at: str
    source_row: int
    sha256: str


class Ledger:
    """The ledger at `path`, opened (and migrated) on construction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA synchronous=FULL")
        self._migrate()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"{self.path}: ledger schema {version} is newer than this "
                               f"program knows ({SCHEMA_VERSION}); upgrade intake")
        for number in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for statement in MIGRATIONS[number - 1].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work: committed as a whole or not at all."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- runs ----------------------------------------------------------------------------------

    def start_run(self, run_id: str, inbox: Path, out_dir: Path, options: dict[str, Any]) -> None:
        """Record a new run as running."""
        with self.transaction() as db:
            db.execute("INSERT INTO runs (id, started_at, status, inbox, out_dir, options) "
                       "VALUES (?, ?, 'running', ?, ?, ?)",
                       (run_id, now(), str(inbox), str(out_dir), json.dumps(options)))

    def finish_run(self, run_id: str, status: str = "finished") -> None:
        """Mark a run finished (or interrupted, when finished by a later run)."""
        with self.transaction() as db:
            db.execute("UPDATE runs SET status = ?, finished_at = ? WHERE id = ?",
                       (status, now(), run_id))

    def unfinished_runs(self) -> list[sqlite3.Row]:
        """Runs still marked running (their process died)."""
        return list(self.db.execute("SELECT * FROM runs WHERE status = 'running' ORDER BY id"))

    def run(self, run_id: str) -> sqlite3.Row | None:
        """One run."""
        row: sqlite3.Row | None = self.db.execute("SELECT * FROM runs WHERE id = ?",
                                                  (run_id,)).fetchone()
        return row

    def runs(self) -> list[sqlite3.Row]:
        """All runs, newest first."""
        return list(self.db.execute("SELECT * FROM runs ORDER BY id DESC"))

    def run_exists(self, run_id: str) -> bool:
        """True when a run with this id was recorded."""
        return self.run(run_id) is not None

    # --- files ---------------------------------------------------------------------------------

    def done_before(self, sha256: str) -> sqlite3.Row | None:
        """The earlier final processing of a file with this content, if any."""
        marks = ",".join("?" * len(FINAL))
        row: sqlite3.Row | None = self.db.execute(
            f"SELECT * FROM files WHERE sha256 = ? AND status IN ({marks}) ORDER BY id LIMIT 1",
            (sha256, *FINAL)).fetchone()
        return row

    def files(self, run_id: str | None = None) -> list[sqlite3.Row]:
        """The files of one run, or of all runs, in processing order."""
        if run_id is None:
            return list(self.db.execute("SELECT * FROM files ORDER BY id"))
        return list(self.db.execute("SELECT * FROM files WHERE run_id = ? ORDER BY id",
                                    (run_id,)))

    def record_file(self, db: sqlite3.Connection, run_id: str, name: str, path: str,
                    sha256: str, size: int, status: str, counts: dict[str, Any],
                    error: str | None = None, output: str | None = None) -> int:
        """Insert one file (inside the caller's transaction); return its id."""
        cursor = db.execute(
            "INSERT INTO files (run_id, name, path, sha256, size, status, counts, error, output,"
            " processed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, name, path, sha256, size, status, json.dumps(counts), error, output, now()))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def set_moved(self, file_id: int, moved_to: str) -> None:
        """Record where a file was moved after processing."""
        with self.transaction() as db:
            db.execute("UPDATE files SET moved_to = ? WHERE id = ?", (moved_to, file_id))

    # --- delivered rows ------------------------------------------------------------------------

    def earlier(self, werkgever_id: str, loonheffingennummer: str,
                other_than_sha256: str | None = None) -> Earlier | None:
        """The first registration of this employer in the ledger, if any."""
        row = self.db.execute(
            "SELECT f.name, e.run_id, f.processed_at, e.source_row, f.sha256 FROM employers e "
            "JOIN files f ON f.id = e.file_id WHERE e.werkgever_id = ? AND "
            "e.loonheffingennummer = ? AND f.sha256 != ? ORDER BY e.id LIMIT 1",
            (werkgever_id, loonheffingennummer, other_than_sha256 or "")).fetchone()
        return None if row is None else Earlier(*row)

    def add_delivery(self, db: sqlite3.Connection, run_id: str, file_id: int,
                     employers: Sequence[dict[str, Any]], dga: Sequence[dict[str, Any]]) -> None:
        """Record the delivered rows of one file (inside the caller's transaction)."""
        db.executemany(
            "INSERT INTO employers (run_id, file_id, werkgever_id, loonheffingennummer,"
            " source_row, data) VALUES (?, ?, ?, ?, ?, ?)",
            [(run_id, file_id, e["werkgever_id"], e["loonheffingennummer"], e["bron_rij"],
              json.dumps(e, ensure_ascii=False)) for e in employers])
        db.executemany(
            "INSERT INTO dga (run_id, file_id, werkgever_id, source_row, data) "
            "VALUES (?, ?, ?, ?, ?)",
            [(run_id, file_id, d["werkgever_id"], d["bron_rij"],
              json.dumps(d, ensure_ascii=False)) for d in dga])

    def add_notes(self, db: sqlite3.Connection, run_id: str, file_id: int,
                  notes: Sequence[dict[str, Any]]) -> None:
        """Record cross-file findings of one file (inside the caller's transaction)."""
        db.executemany("INSERT INTO notes (run_id, file_id, data) VALUES (?, ?, ?)",
                       [(run_id, file_id, json.dumps(n, ensure_ascii=False)) for n in notes])

    def delivery(self, run_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The delivered employer and DGA rows of a run, in processing order."""
        employers = [json.loads(r[0]) for r in self.db.execute(
            "SELECT data FROM employers WHERE run_id = ? ORDER BY id", (run_id,))]
        dga = [json.loads(r[0]) for r in self.db.execute(
            "SELECT data FROM dga WHERE run_id = ? ORDER BY id", (run_id,))]
        return employers, dga

    def notes(self, run_id: str) -> list[dict[str, Any]]:
        """The cross-file findings of a run."""
        return [json.loads(r[0]) for r in self.db.execute(
            "SELECT data FROM notes WHERE run_id = ? ORDER BY id", (run_id,))]

    def registrations(self, werkgever_id: str) -> list[sqlite3.Row]:
        """Every delivery of an employer: file, run, when, loonheffingennummer, row."""
        return list(self.db.execute(
            "SELECT e.werkgever_id, e.loonheffingennummer, e.source_row, f.name, f.sha256, "
            "e.run_id, f.processed_at FROM employers e JOIN files f ON f.id = e.file_id "
            "WHERE e.werkgever_id = ? ORDER BY e.id", (werkgever_id,)))
