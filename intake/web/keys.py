"""Access keys of the web intake: one per bureau, and keys for a.s.r.'s operators.

A key is shown once, when it is made (`intake bureau add NAME`), and stored only as a scrypt
hash with its own random salt, in table `web_keys` of the ledger's SQLite file (created here if
missing; the ledger's own tables and migrations are not touched). A key reads `<id>.<secret>`:
the id finds the row, the secret is checked against the hash in constant time. Revoking a key
ends its sessions at once (a session is valid only while its key is).

A bureau's key may carry the bureau's e-mail address (`intake bureau add NAME --email ADDRESS`,
or `intake bureau email NAME ADDRESS` later): the web intake then knows who the bureau is, and
holds an upload whose rows name another bureau (intake.web.identity). The column was added
after the table: `connect` adds it to a table made without it (ALTER TABLE ADD COLUMN, which
keeps every row), so an older ledger keeps working and a key without an address stays valid.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import re
import secrets
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from intake.definition.errors import IntakeError

#: A bureau's name is also its folder in the inbox: lowercase letters, digits and hyphens.
NAME_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
#: scrypt cost: 16 MiB and some tens of milliseconds per check (RFC 7914's interactive setting).
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 2**20, "dklen": 32}

SCHEMA = """
CREATE TABLE IF NOT EXISTS web_keys (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,                 -- bureau, operator
    key_id TEXT NOT NULL UNIQUE,
    salt BLOB NOT NULL,
    hash BLOB NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    email TEXT                          -- the bureau's e-mail address, when known
);
"""
#: Columns added after the table was first made: (name, declaration), added when missing.
ADDED_COLUMNS = (("email", "TEXT"),)


class Role(StrEnum):
    """What a key opens: a bureau's own uploads, or the operator's view of everything."""

    BUREAU = "bureau"
    OPERATOR = "operator"


class BureauKeyError(IntakeError):
    """A key cannot be added or revoked (bad name, already there, unknown)."""

    exit_code = 2
    code = "bureau-key"


@dataclass(frozen=True)
class Principal:
    """Who a valid key belongs to."""

    name: str
    role: Role
    key_id: str


@dataclass(frozen=True)
class KeyInfo:
    """One row of `intake bureau list` (never the key itself)."""

    name: str
    role: Role
    key_id: str
    created_at: str
    revoked_at: str | None
    email: str | None = None


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def connect(path: Path) -> sqlite3.Connection:
    """Open the ledger at `path` (WAL) with the web tables in place.

    The file is opened as a ledger first: a missing one is created whole (so the nightly batch
    finds an intake ledger, not a file of web tables only), and an empty, damaged or foreign
    one is a LedgerError, never taken over.
    """
    from intake.batch.ledger import Ledger

    path.parent.mkdir(parents=True, exist_ok=True)
    Ledger(path).close()
    db = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(SCHEMA)
    upgrade(db)
    return db


def upgrade(db: sqlite3.Connection) -> None:
    """Add the columns of ADDED_COLUMNS a table made by an earlier version lacks."""
    have = {r[1] for r in db.execute("PRAGMA table_info(web_keys)")}
    for name, declaration in ADDED_COLUMNS:
        if name not in have:
            with contextlib.suppress(sqlite3.OperationalError):  # added meanwhile by another
                db.execute(f"ALTER TABLE web_keys ADD COLUMN {name} {declaration}")


def checked_email(address: str) -> str:
    """`address` stripped, if it passes the e-mail rule the workbooks are held to; else a
    BureauKeyError."""
    from intake.definition.kinds import _email  # the rule behind email-invalid, one source

    address = address.strip()
    if not address or not _email(address):
        raise BureauKeyError(f"'{address}' is geen geldig e-mailadres",
                             f"'{address}' is not a valid e-mail address")
    return address


def _hash(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, **SCRYPT)


def add(db: sqlite3.Connection, name: str, role: Role = Role.BUREAU,
        email: str | None = None) -> str:
    """Make a key for `name` and return it (the only time it is ever shown); `email` is the
    bureau's e-mail address, if known.

    A revoked name gets a fresh key; a name with a working key is refused (revoke it first).
    """
    if not NAME_PATTERN.fullmatch(name):  # the whole name: `$` would let a newline end it
        raise BureauKeyError.stop("bureau-name", name=name)
    email = checked_email(email) if email is not None else None
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    digest = _hash(secret, salt)
    db.execute("BEGIN IMMEDIATE")
    try:
        row = db.execute("SELECT revoked_at FROM web_keys WHERE name = ?", (name,)).fetchone()
        if row is not None and row["revoked_at"] is None:
            raise BureauKeyError.stop("bureau-exists", name=name)
        db.execute("INSERT OR REPLACE INTO web_keys (name, role, key_id, salt, hash, "
                   "created_at, revoked_at, email) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
                   (name, role.value, key_id, salt, digest, now(), email))
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return f"{key_id}.{secret}"


def revoke(db: sqlite3.Connection, name: str) -> None:
    """Revoke the key of `name`: it no longer logs in, and its open sessions end."""
    done = db.execute("UPDATE web_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                      (now(), name)).rowcount
    if not done:
        raise BureauKeyError.stop("bureau-unknown", name=name)


def set_email(db: sqlite3.Connection, name: str, email: str) -> None:
    """Record the e-mail address of the bureau `name` (its working key)."""
    address = checked_email(email)
    done = db.execute("UPDATE web_keys SET email = ? WHERE name = ? AND revoked_at IS NULL",
                      (address, name)).rowcount
    if not done:
        raise BureauKeyError.stop("bureau-unknown", name=name)


def listing(db: sqlite3.Connection) -> list[KeyInfo]:
    """Every key ever made, by name (hashes and salts stay in the database)."""
    return [KeyInfo(r["name"], Role(r["role"]), r["key_id"], r["created_at"], r["revoked_at"],
                    r["email"])
            for r in db.execute("SELECT * FROM web_keys ORDER BY role, name")]


_DUMMY_SALT = secrets.token_bytes(16)


def verify(db: sqlite3.Connection, key: str) -> Principal | None:
    """Who `key` belongs to, or None (unknown, revoked or wrong: the caller cannot tell which,
    and every wrong key costs one scrypt, so the answer's timing does not tell either)."""
    return verify_found(find(db, key), key)


def find(db: sqlite3.Connection, key: str) -> dict[str, Any] | None:
    """The working key whose id `key` names (a quick look-up; `verify_found` does the hash, so
    that it can run without holding the connection)."""
    key_id, _, secret = key.strip().partition(".")
    row = db.execute("SELECT * FROM web_keys WHERE key_id = ? AND revoked_at IS NULL",
                     (key_id,)).fetchone() if key_id and secret else None
    return None if row is None else dict(row)


def verify_found(row: dict[str, Any] | None, key: str) -> Principal | None:
    """`verify`'s answer for the key `find` found (or did not)."""
    _, _, secret = key.strip().partition(".")
    if row is None:
        _hash(secret or "-", _DUMMY_SALT)
        return None
    if not hmac.compare_digest(_hash(secret, row["salt"]), row["hash"]):
        return None
    return Principal(row["name"], Role(row["role"]), row["key_id"])


def still_valid(db: sqlite3.Connection, name: str, key_id: str) -> Role | None:
    """The role of `name` while the key `key_id` is its working key, else None."""
    row = db.execute("SELECT role FROM web_keys WHERE name = ? AND key_id = ? AND "
                     "revoked_at IS NULL", (name, key_id)).fetchone()
    return None if row is None else Role(row["role"])
