"""The batch ledger: an SQLite database of runs, files and delivered rows.

Standard library sqlite3, WAL mode, the schema version in `PRAGMA user_version` and the
migrations below, one transaction per file. Every output of a run (its combined delivery,
summary.json, index.html) is derived from the ledger, so a run that was killed can be finished
by the next one from what was committed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intake.definition.errors import IntakeError
from intake.definition.messages import STOPS

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
    """
    CREATE INDEX employers_lhn ON employers(loonheffingennummer);
    """,
    """
    ALTER TABLE employers ADD COLUMN replaces INTEGER REFERENCES employers(id);
    """,
    # Issue 25: each registration's states after delivery (the manual's steps 3 and 4). The
    # tables are created only where missing; every registration delivered before gets its
    # first state, delivered, at the time its file was processed.
    """
    CREATE TABLE IF NOT EXISTS status_imports (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        rows INTEGER NOT NULL,
        changed INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS states (
        id INTEGER PRIMARY KEY,
        werkgever_id TEXT NOT NULL,
        loonheffingennummer TEXT NOT NULL,
        state TEXT NOT NULL,             -- delivered, completed, setup, live, refused
        at TEXT NOT NULL,                -- when the change was recorded (UTC)
        source TEXT NOT NULL,            -- 'batch <run>' or 'status <file>:<row>'
        first_exchange TEXT,             -- live: the date of the first exchange
        reason TEXT,                     -- refused: why
        run_id TEXT REFERENCES runs(id),
        import_id INTEGER REFERENCES status_imports(id),
        told_in TEXT                     -- the run whose bureau messages told it
    );
    CREATE INDEX IF NOT EXISTS states_key ON states(werkgever_id, loonheffingennummer, id);
    INSERT INTO states (werkgever_id, loonheffingennummer, state, at, source, run_id)
        SELECT e.werkgever_id, e.loonheffingennummer, 'delivered', MIN(f.processed_at),
               'batch ' || e.run_id, e.run_id
        FROM employers e JOIN files f ON f.id = e.file_id
        WHERE NOT EXISTS (SELECT 1 FROM states s WHERE s.werkgever_id = e.werkgever_id
                          AND s.loonheffingennummer = e.loonheffingennummer)
        GROUP BY e.werkgever_id, e.loonheffingennummer
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
#: `PRAGMA application_id` of a ledger ("INTK"): tells our database from any other SQLite file.
APPLICATION_ID = 0x494E544B
#: File statuses that mean "done": the same content is not processed again without --force.
FINAL = ("accepted", "partially accepted", "rejected", "unreadable")
_SQLITE_MAGIC = b"SQLite format 3\x00"


class LedgerError(IntakeError):
    """The ledger cannot be used (damaged, empty, not ours, newer): exit 2, never a fresh one."""

    code = "ledger-damaged"


def _damaged(path: Path, what: str, **params: object) -> LedgerError:
    """The ledger at `path` is damaged: `what` (a STOPS code) says how."""
    texts = STOPS[what]
    return LedgerError(
        STOPS["ledger-damaged"]["nl"].format(path=path, what=texts["nl"].format(**params)),
        STOPS["ledger-damaged"]["en"].format(path=path, what=texts["en"].format(**params)))


#: SQLite's primary result codes that say the disk or the access failed, not the file's content
#: (BUSY, LOCKED, NOMEM, READONLY, IOERR, FULL, CANTOPEN, PERM: sqlite3.h).
_NOT_DAMAGE = {5, 6, 7, 8, 10, 13, 14, 3}
_SQLITE_FULL = 13
_SQLITE_IOERR_SHORT_READ = 10 | (2 << 8)


def _not_damage(exc: sqlite3.Error) -> bool:
    """True when `exc` is about the disk or access (full, I/O, permissions, locks), not about
    the ledger's content: such a ledger is not damaged and must not be restored."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code != _SQLITE_IOERR_SHORT_READ and code & 0xFF in _NOT_DAMAGE


def _cannot_open(path: Path, exc: sqlite3.Error) -> LedgerError:
    """The ledger at `path` is whole but cannot be used now (a full disk, I/O, access)."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    try:
        full = code == _SQLITE_FULL or shutil.disk_usage(path.parent).free < 1_000_000
    except OSError:
        full = False
    fix, texts = STOPS["ledger-disk-full" if full else "ledger-fix-access"], \
        STOPS["ledger-cannot-open"]
    return LedgerError(texts["nl"].format(path=path, detail=exc, fix=fix["nl"]),
                       texts["en"].format(path=path, detail=exc, fix=fix["en"]),
                       code="ledger-cannot-open")


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
    data: str = "{}"
    employer_id: int = 0


@dataclass(frozen=True)
class OtherEmployer:
    """A loonheffingennummer delivered before under another Werkgever ID: where and when."""

    file: str
    run_id: str
    at: str
    source_row: int
    werkgever_id: str


@dataclass(frozen=True)
class Current:
    """A registration's state now: since when, and the date or reason it came with."""

    state: str
    at: str
    first_exchange: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Change:
    """A new state for one registration, to be recorded."""

    werkgever_id: str
    loonheffingennummer: str
    state: str
    source: str
    first_exchange: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class StatusImport:
    """A status file imported before: its id, name, when, its rows and the changes it made."""

    id: int
    name: str
    imported_at: str
    rows: int
    changed: int


#: The latest state of every registration (a subquery over `states`).
#: Each registration's state now (its latest change).
LATEST_STATES = (
    "SELECT werkgever_id, loonheffingennummer, state, at, first_exchange, reason, id "
    "FROM states WHERE id IN (SELECT MAX(id) FROM states "
    "GROUP BY werkgever_id, loonheffingennummer)")
_LATEST = LATEST_STATES


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def migrate(db: sqlite3.Connection, version: int) -> None:
    """Take the schema from `version` to SCHEMA_VERSION, one transaction per migration."""
    for number in range(version + 1, SCHEMA_VERSION + 1):
        with _transaction(db):
            for statement in MIGRATIONS[number - 1].split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
    if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _create(path: Path) -> None:
    """A new ledger with the whole schema, renamed into place only when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.new-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            migrate(db, 0)
        finally:
            db.close()
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            leftover.unlink(missing_ok=True)


def _check_header(path: Path) -> None:
    """Refuse a file that cannot be a ledger before SQLite is given it."""
    try:  # never waits: a FIFO or a device is refused, not read
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise LedgerError.stop("ledger-unreadable", path=path, reason=exc.strerror) from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise LedgerError.stop("ledger-not-a-file", path=path)
        head = os.read(fd, len(_SQLITE_MAGIC))
    except OSError as exc:
        raise LedgerError.stop("ledger-unreadable", path=path, reason=exc.strerror) from exc
    finally:
        os.close(fd)
    if not head:
        raise _damaged(path, "ledger-empty")
    if head != _SQLITE_MAGIC:
        raise _damaged(path, "ledger-not-sqlite")


class Ledger:
    """The ledger at `path`, opened (and migrated) on construction.

    A missing ledger is created (unless `create` is false) under a temporary name and renamed
    into place once its schema is complete, so a file at `path` is always a whole ledger: an
    empty, damaged or foreign file there is a LedgerError, never replaced by a fresh ledger.
    """

    def __init__(self, path: Path, create: bool = True) -> None:
        self.path = path
        if not path.exists():
            if not create:
                raise LedgerError.stop("ledger-missing", path=path)
            _create(path)
        _check_header(path)
        try:
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.row_factory = sqlite3.Row
            self._check()
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA synchronous=FULL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            if _not_damage(exc):
                raise _cannot_open(path, exc) from exc
            raise _damaged(path, "ledger-broken", detail=exc) from exc

    def _check(self) -> None:
        result = [r[0] for r in self.db.execute("PRAGMA quick_check")]
        if result != ["ok"]:
            raise _damaged(self.path, "ledger-broken", detail=result[0])
        app = self.db.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master "
                                                "WHERE type = 'table'")}
        if app != APPLICATION_ID and not (app == 0 and {"runs", "files"} <= tables):
            raise _damaged(self.path, "ledger-not-ours")

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise LedgerError.stop("ledger-newer", path=self.path, version=version,
                                   known=SCHEMA_VERSION)
        migrate(self.db, version)

    def integrity(self) -> str:
        """`PRAGMA integrity_check`: 'ok' for an intact ledger."""
        return "; ".join(str(r[0]) for r in self.db.execute("PRAGMA integrity_check"))

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work: committed as a whole or not at all."""
        with _transaction(self.db) as db:
            yield db

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

    def earlier(self, werkgever_id: str, loonheffingennummer: str) -> Earlier | None:
        """The registration of this employer in force (the latest) in the ledger, if any:
        from any file, the same content processed again with --force included."""
        row = self.db.execute(
            "SELECT f.name, e.run_id, f.processed_at, e.source_row, f.sha256, e.data, e.id "
            "FROM employers e JOIN files f ON f.id = e.file_id WHERE e.werkgever_id = ? AND "
            "e.loonheffingennummer = ? ORDER BY e.id DESC LIMIT 1",
            (werkgever_id, loonheffingennummer)).fetchone()
        return None if row is None else Earlier(*row)

    def other_employer(self, loonheffingennummer: str, werkgever_id: str) -> OtherEmployer | None:
        """The first delivery of this loonheffingennummer under another Werkgever ID, if any."""
        row = self.db.execute(
            "SELECT f.name, e.run_id, f.processed_at, e.source_row, e.werkgever_id "
            "FROM employers e JOIN files f ON f.id = e.file_id WHERE e.loonheffingennummer = ? "
            "AND e.werkgever_id != ? ORDER BY e.id LIMIT 1",
            (loonheffingennummer, werkgever_id)).fetchone()
        return None if row is None else OtherEmployer(*row)

    def add_delivery(self, db: sqlite3.Connection, run_id: str, file_id: int,
                     employers: Sequence[dict[str, Any]], dga: Sequence[dict[str, Any]],
                     replaces: Mapping[int, int] | None = None) -> None:
        """Record the delivered rows of one file (inside the caller's transaction);
        `replaces` maps a position in `employers` to the employer row it replaces."""
        db.executemany(
            "INSERT INTO employers (run_id, file_id, werkgever_id, loonheffingennummer,"
            " source_row, data, replaces) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(run_id, file_id, e["werkgever_id"], e["loonheffingennummer"], e["bron_rij"],
              json.dumps(e, ensure_ascii=False), (replaces or {}).get(i))
             for i, e in enumerate(employers)])
        self._delivered(db, run_id, employers)
        db.executemany(
            "INSERT INTO dga (run_id, file_id, werkgever_id, source_row, data) "
            "VALUES (?, ?, ?, ?, ?)",
            [(run_id, file_id, d["werkgever_id"], d["bron_rij"],
              json.dumps(d, ensure_ascii=False)) for d in dga])

    # --- registration states (issue 25) -------------------------------------------------------

    def current(self, werkgever_id: str, loonheffingennummer: str,
                db: sqlite3.Connection | None = None) -> Current | None:
        """The state of one registration now, if it was ever delivered."""
        row = (db or self.db).execute(
            "SELECT state, at, first_exchange, reason FROM states WHERE werkgever_id = ? AND "
            "loonheffingennummer = ? ORDER BY id DESC LIMIT 1",
            (werkgever_id, loonheffingennummer)).fetchone()
        return None if row is None else Current(*row)

    def current_states(self) -> dict[tuple[str, str], Current]:
        """The state of every registration now, by (Werkgever ID, loonheffingennummer)."""
        return {(r[0], r[1]): Current(r[2], r[3], r[4], r[5])
                for r in self.db.execute(_LATEST)}

    def record_states(self, db: sqlite3.Connection, changes: Sequence[Change],
                      import_id: int | None = None, run_id: str | None = None) -> None:
        """Record new states (inside the caller's transaction), each at the time now."""
        at = now()
        db.executemany(
            "INSERT INTO states (werkgever_id, loonheffingennummer, state, at, source,"
            " first_exchange, reason, run_id, import_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(c.werkgever_id, c.loonheffingennummer, c.state, at, c.source, c.first_exchange,
              c.reason, run_id, import_id) for c in changes])

    def add_status_import(self, db: sqlite3.Connection, name: str, sha256: str, rows: int,
                          changed: int) -> int:
        """Record one status file imported (inside the caller's transaction); its id."""
        cursor = db.execute(
            "INSERT INTO status_imports (name, sha256, imported_at, rows, changed) "
            "VALUES (?, ?, ?, ?, ?)", (name, sha256, now(), rows, changed))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def status_imports(self, sha256: str) -> list[StatusImport]:
        """The imports of a status file with this content, oldest first."""
        return [StatusImport(*r) for r in self.db.execute(
            "SELECT id, name, imported_at, rows, changed FROM status_imports WHERE sha256 = ? "
            "ORDER BY id", (sha256,))]

    def recorded_by(self, import_ids: Sequence[int],
                    db: sqlite3.Connection | None = None) -> set[tuple[str, str, str]]:
        """The states these imports recorded: (Werkgever ID, loonheffingennummer, state)."""
        marks = ",".join("?" * len(import_ids))
        return {(r[0], r[1], r[2]) for r in (db or self.db).execute(
            "SELECT werkgever_id, loonheffingennummer, state FROM states "
            f"WHERE import_id IN ({marks})", tuple(import_ids))} if import_ids else set()

    def state_history(self, werkgever_id: str) -> list[sqlite3.Row]:
        """Every state an employer's registrations had, oldest first."""
        return list(self.db.execute(
            "SELECT werkgever_id, loonheffingennummer, state, at, source, first_exchange, reason "
            "FROM states WHERE werkgever_id = ? ORDER BY id", (werkgever_id,)))

    def untold(self) -> list[sqlite3.Row]:
        """The changes to live or refused (`TOLD`) no bureau message has told yet, oldest
        first, with the bureau's name and address from the registration's latest delivery."""
        from intake.definition.registration import TOLD

        return list(self.db.execute(
            "SELECT s.id, s.werkgever_id, s.loonheffingennummer, s.state, s.at, "
            "s.first_exchange, s.reason, (SELECT e.data FROM employers e WHERE "
            "e.werkgever_id = s.werkgever_id AND e.loonheffingennummer = s.loonheffingennummer "
            "ORDER BY e.id DESC LIMIT 1) AS data FROM states s WHERE s.told_in IS NULL AND "
            f"s.state IN ({','.join('?' * len(TOLD))}) AND s.id IN (SELECT MAX(id) FROM "
            "states GROUP BY werkgever_id, loonheffingennummer) ORDER BY s.id",
            tuple(str(t) for t in TOLD)))

    def mark_told(self, ids: Sequence[int], run_id: str) -> None:
        """Record that the messages of `run_id` told these changes."""
        with self.transaction() as db:
            db.executemany("UPDATE states SET told_in = ? WHERE id = ?",
                           [(run_id, i) for i in ids])

    def _delivered(self, db: sqlite3.Connection, run_id: str,
                   employers: Sequence[dict[str, Any]]) -> None:
        """A delivery's states: delivered for a registration new to the ledger or refused
        before; any other keeps its state (a repeat changes nothing)."""
        from intake.definition.registration import Move, State, move

        changes, seen = [], set()
        for e in employers:
            key = (str(e["werkgever_id"]), str(e["loonheffingennummer"]))
            if key in seen:
                continue
            seen.add(key)
            found = self.current(*key, db=db)
            if found is None or move(State(found.state), State.DELIVERED,
                                     delivery=True) is Move.FORWARD:
                changes.append(Change(*key, State.DELIVERED.value, f"batch {run_id}"))
        self.record_states(db, changes, run_id=run_id)

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

    def delivered_by(self, run_id: str) -> dict[str, str]:
        """Per Werkgever ID delivered in a run: the name of the file that delivered it."""
        found: dict[str, str] = {}
        for werkgever_id, name in self.db.execute(
                "SELECT e.werkgever_id, f.name FROM employers e JOIN files f ON f.id = e.file_id "
                "WHERE e.run_id = ? ORDER BY e.id", (run_id,)):
            found.setdefault(werkgever_id, name)
        return found

    def delivered_counts(self, run_id: str) -> dict[int, tuple[int, int]]:
        """Per file id of a run: how many employer and DGA rows it delivered."""
        counts: dict[int, tuple[int, int]] = {}
        for file_id, n in self.db.execute(
                "SELECT file_id, COUNT(*) FROM employers WHERE run_id = ? GROUP BY file_id",
                (run_id,)):
            counts[file_id] = (n, 0)
        for file_id, n in self.db.execute(
                "SELECT file_id, COUNT(*) FROM dga WHERE run_id = ? GROUP BY file_id", (run_id,)):
            counts[file_id] = (counts.get(file_id, (0, 0))[0], n)
        return counts

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
