"""Sessions and uploads of the web intake: tables `web_sessions` and `web_uploads` in a SQLite
file of their own (OUTDIR/web/web.sqlite), so that no page, login or upload ever waits for the
ledger's write lock, which the nightly batch holds while it commits a file. The bureaus' keys
stay in the ledger (`intake bureau` writes them there), read through the web file's reading
connection, which attaches the ledger read-only. Uploads recorded in the ledger by an earlier
version are taken over once, when the web file is new."""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intake.definition.status import Status
from intake.web import keys as bureaus
from intake.web.keys import Principal, Role

SCHEMA = """
CREATE TABLE IF NOT EXISTS web_sessions (
    token_hash TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key_id TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS web_uploads (
    id TEXT PRIMARY KEY,
    bureau TEXT NOT NULL,
    original_name TEXT NOT NULL,
    suffix TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    uploaded_at TEXT NOT NULL,
    status TEXT NOT NULL,
    counts TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    inbox_name TEXT,
    placed_at TEXT,
    other_bureaus TEXT,        -- JSON [[name, e-mail], ...]: the rows name another bureau
    confirmed_at TEXT          -- when the bureau confirmed such an upload
);
CREATE INDEX IF NOT EXISTS web_uploads_bureau ON web_uploads(bureau, uploaded_at);
"""
#: Columns added after web_uploads was first made: added when missing (rows kept).
ADDED_COLUMNS = (("other_bureaus", "TEXT"), ("confirmed_at", "TEXT"))
#: A session lasts a working day.
SESSION_SECONDS = 9 * 3600


@dataclass(frozen=True)
class Session:
    """A logged-in browser: who, and the CSRF token its forms carry."""

    principal: Principal
    csrf: str


@dataclass(frozen=True)
class Upload:
    """One uploaded workbook and what the check found."""

    id: str
    bureau: str
    original_name: str
    suffix: str
    sha256: str
    size: int
    uploaded_at: str
    status: Status
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    inbox_name: str | None = None
    placed_at: str | None = None
    #: The bureaus the rows name that are not the uploading bureau (intake.web.identity).
    other_bureaus: tuple[tuple[str, str], ...] = ()
    confirmed_at: str | None = None

    @property
    def held(self) -> bool:
        """True while the rows name another bureau and the bureau has not confirmed."""
        return bool(self.other_bureaus) and self.confirmed_at is None

    @property
    def accepted_rows(self) -> int:
        """Employers that pass every rule."""
        return int(self.counts.get("werkgevers", {}).get("accepted", 0))


def _token_hash(token: str) -> str:
    # Session tokens are 256 random bits: a plain SHA-256 is enough to keep them out of the file.
    return hashlib.sha256(token.encode()).hexdigest()


_UPLOAD_COLUMNS = ("id, bureau, original_name, suffix, sha256, size, uploaded_at, status, "
                   "counts, error, inbox_name, placed_at")


class Store:
    """The web tables (`path`) and the bureaus' keys (in the `ledger`), over one writing
    connection shared by the server's threads (serialised) and one reading connection."""

    def __init__(self, ledger: Path, path: Path) -> None:
        self.path = path
        bureaus.connect(ledger).close()  # a ledger with its keys table, as `intake bureau` makes
        path.parent.mkdir(parents=True, exist_ok=True)
        new = not path.exists()
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30,
                                  check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        have = {r[1] for r in self.db.execute("PRAGMA table_info(web_uploads)")}
        for name, declaration in ADDED_COLUMNS:
            if name not in have:
                self.db.execute(f"ALTER TABLE web_uploads ADD COLUMN {name} {declaration}")
        if new:
            self._take_over_uploads(ledger)
        self._lock = threading.Lock()
        # Reads go through a connection of their own: in WAL mode a reader never waits for a
        # writer. The ledger is attached read-only for the keys.
        self.reader = sqlite3.connect(path, isolation_level=None, timeout=30,
                                      check_same_thread=False, uri=True)
        self.reader.row_factory = sqlite3.Row
        self.reader.execute("ATTACH DATABASE ? AS ledger", (_read_only(ledger),))
        self.reader.execute("PRAGMA query_only=ON")
        self._read_lock = threading.Lock()

    def _take_over_uploads(self, ledger: Path) -> None:
        """Copy the uploads an earlier version kept in the ledger into the new web file."""
        old = sqlite3.connect(_read_only(ledger), uri=True)
        try:
            if old.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = "
                           "'web_uploads'").fetchone() is None:
                return
            rows = old.execute(f"SELECT {_UPLOAD_COLUMNS} FROM web_uploads ORDER BY rowid")
            self.db.executemany(f"INSERT OR IGNORE INTO web_uploads ({_UPLOAD_COLUMNS}) VALUES "
                                f"({', '.join('?' * 12)})", rows.fetchall())
        finally:
            old.close()

    def close(self) -> None:
        """Close the connections."""
        self.reader.close()
        self.db.close()

    @contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self.db

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._read_lock:
            yield self.reader

    # --- keys and sessions --------------------------------------------------------------------

    def verify_key(self, key: str) -> Principal | None:
        """Who `key` belongs to (see bureaus.verify). The slow hash runs after the connection
        is let go: another request's session look-up never waits for it."""
        with self._reading() as db:
            found = bureaus.find(db, key)
        return bureaus.verify_found(found, key)

    def open_session(self, principal: Principal, now: float) -> tuple[str, str]:
        """A new session for `principal`: (cookie token, CSRF token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._locked() as db:
            db.execute("DELETE FROM web_sessions WHERE expires_at < ?", (now,))
            db.execute("INSERT INTO web_sessions VALUES (?, ?, ?, ?, ?, ?)",
                       (_token_hash(token), principal.name, principal.key_id, csrf,
                        bureaus.now(), now + SESSION_SECONDS))
        return token, csrf

    def session(self, token: str, now: float) -> Session | None:
        """The live session of `token`, while its key is still the bureau's working key."""
        with self._reading() as db:
            row = db.execute(
                "SELECT s.name, s.key_id, s.csrf, k.role FROM web_sessions s JOIN web_keys k "
                "ON k.name = s.name AND k.key_id = s.key_id AND k.revoked_at IS NULL "
                "WHERE s.token_hash = ? AND s.expires_at > ?",
                (_token_hash(token), now)).fetchone()
        if row is None:
            return None
        return Session(Principal(row["name"], Role(row["role"]), row["key_id"]), row["csrf"])

    def close_session(self, token: str) -> None:
        """Log out."""
        with self._locked() as db:
            db.execute("DELETE FROM web_sessions WHERE token_hash = ?", (_token_hash(token),))

    # --- uploads ------------------------------------------------------------------------------

    def add_upload(self, bureau: str, original_name: str, suffix: str, sha256: str,
                   size: int) -> Upload:
        """Record a new upload (status checking) under a fresh unguessable id."""
        upload = Upload(id=secrets.token_urlsafe(12), bureau=bureau,
                        original_name=original_name, suffix=suffix, sha256=sha256, size=size,
                        uploaded_at=bureaus.now(), status=Status.CHECKING)
        with self._locked() as db:
            db.execute("INSERT INTO web_uploads (id, bureau, original_name, suffix, sha256, "
                       "size, uploaded_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (upload.id, bureau, original_name, suffix, sha256, size,
                        upload.uploaded_at, upload.status.value))
        return upload

    def finish_upload(self, upload_id: str, status: Status, counts: dict[str, Any],
                      error: str | None) -> None:
        """Record what the check found."""
        with self._locked() as db:
            db.execute("UPDATE web_uploads SET status = ?, counts = ?, error = ? WHERE id = ?",
                       (status.value, json.dumps(counts), error, upload_id))

    def set_placed(self, upload_id: str, inbox_name: str) -> None:
        """Record the name the workbook got in the inbox."""
        with self._locked() as db:
            db.execute("UPDATE web_uploads SET inbox_name = ?, placed_at = ? WHERE id = ?",
                       (inbox_name, bureaus.now(), upload_id))

    def set_other_bureaus(self, upload_id: str, others: tuple[tuple[str, str], ...]) -> None:
        """Record that the upload's rows name other bureaus (it is held until confirmed)."""
        with self._locked() as db:
            db.execute("UPDATE web_uploads SET other_bureaus = ? WHERE id = ?",
                       (json.dumps([list(o) for o in others], ensure_ascii=False), upload_id))

    def confirm(self, upload_id: str) -> None:
        """Record that the bureau confirmed an upload naming other bureaus (once)."""
        with self._locked() as db:
            db.execute("UPDATE web_uploads SET confirmed_at = ? WHERE id = ? AND confirmed_at "
                       "IS NULL", (bureaus.now(), upload_id))

    def bureau_email(self, name: str) -> str | None:
        """The e-mail address on the working key of bureau `name`, if one was recorded."""
        with self._reading() as db:
            if "email" not in {r[1] for r in db.execute("PRAGMA ledger.table_info(web_keys)")}:
                return None  # a ledger whose keys table predates the column
            row = db.execute("SELECT email FROM ledger.web_keys WHERE name = ? AND revoked_at "
                             "IS NULL", (name,)).fetchone()
        return str(row["email"]) if row is not None and row["email"] else None

    def placed_names(self) -> dict[str, str]:
        """Per inbox name as the batch records it (`<bureau>/<name>`): the upload's id."""
        with self._reading() as db:
            rows = db.execute("SELECT id, bureau, inbox_name FROM web_uploads WHERE inbox_name "
                              "IS NOT NULL").fetchall()
        return {f"{r['bureau']}/{r['inbox_name']}": r["id"] for r in rows}

    def fail_unfinished(self, error: str) -> None:
        """Uploads left in `checking` by a server that stopped: failed, with `error`."""
        with self._locked() as db:
            db.execute("UPDATE web_uploads SET status = ?, error = ? WHERE status = ?",
                       (Status.FAILED.value, error, Status.CHECKING.value))

    def upload(self, upload_id: str, bureau: str | None) -> Upload | None:
        """One upload; with `bureau`, only if it is that bureau's (None for the operator)."""
        with self._reading() as db:
            row = db.execute("SELECT * FROM web_uploads WHERE id = ?", (upload_id,)).fetchone()
        if row is None or (bureau is not None and row["bureau"] != bureau):
            return None
        return _upload(row)

    def uploads(self, bureau: str | None = None, limit: int = 200) -> list[Upload]:
        """The newest uploads, of one bureau or of all."""
        with self._reading() as db:
            if bureau is None:
                rows = db.execute("SELECT * FROM web_uploads ORDER BY uploaded_at DESC, rowid "
                                  "DESC LIMIT ?", (limit,))
            else:
                rows = db.execute("SELECT * FROM web_uploads WHERE bureau = ? ORDER BY "
                                  "uploaded_at DESC, rowid DESC LIMIT ?", (bureau, limit))
            return [_upload(r) for r in rows]

    def upload_counts(self) -> dict[Status, int]:
        """How many uploads have each status (statuses without one left out)."""
        with self._reading() as db:
            rows = db.execute("SELECT status, count(*) FROM web_uploads GROUP BY status")
            return {Status(status): count for status, count in rows}

    def placed_before(self, bureau: str, sha256: str) -> Upload | None:
        """An earlier upload of the same content by this bureau that went into the inbox."""
        with self._reading() as db:
            row = db.execute("SELECT * FROM web_uploads WHERE bureau = ? AND sha256 = ? AND "
                             "inbox_name IS NOT NULL ORDER BY rowid LIMIT 1",
                             (bureau, sha256)).fetchone()
        return None if row is None else _upload(row)


def _read_only(path: Path) -> str:
    """The URI that opens the SQLite file at `path` for reading only."""
    from urllib.parse import quote

    return f"file:{quote(str(path.resolve()))}?mode=ro"


def _upload(row: sqlite3.Row) -> Upload:
    return Upload(id=row["id"], bureau=row["bureau"], original_name=row["original_name"],
                  suffix=row["suffix"], sha256=row["sha256"], size=row["size"],
                  uploaded_at=row["uploaded_at"], status=Status(row["status"]),
                  counts=json.loads(row["counts"] or "{}"), error=row["error"],
                  inbox_name=row["inbox_name"], placed_at=row["placed_at"],
                  other_bureaus=tuple((str(n), str(e)) for n, e in
                                      json.loads(row["other_bureaus"] or "[]")),
                  confirmed_at=row["confirmed_at"])
