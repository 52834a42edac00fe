"""`intake backup`: a consistent copy of the ledger and of the web intake's own database.

A plain copy of a database in WAL mode is not safe while the batch or the server writes it (the
last transactions may still be in the -wal file, or half of them in the main file). SQLite's
online backup API copies the pages of one read transaction, so the copy is the database as it
was at one moment, whatever another process commits meanwhile. Each copy is checked with
`PRAGMA integrity_check` before it gets its name, and an existing file is never overwritten:
the copy is written under a temporary name and linked to its name (which fails when the name
is taken).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from intake.batch.ledger import LedgerError, _check_header
from intake.definition.errors import IntakeError

#: The names of the copies in DEST.
LEDGER_NAME = "intake.sqlite"
WEB_NAME = "web.sqlite"


class BackupError(IntakeError):
    """The backup cannot be made (DEST taken, a source missing, a copy that fails its check):
    exit 2, and nothing half-written left in DEST."""

    code = "backup-failed"


@dataclass(frozen=True)
class Copied:
    """One database copied: from where, to where, its size and its tables' row counts."""

    source: Path
    copy: Path
    size: int
    rows: dict[str, int]


@dataclass(frozen=True)
class Backup:
    """What `intake backup` made: the ledger's copy and, when the web intake has a database,
    its copy."""

    dest: Path
    ledger: Copied
    web: Copied | None

    def to_json(self) -> dict[str, object]:
        """The result as `--json` prints it."""
        return {"dest": str(self.dest),
                "copies": [{"source": str(c.source), "copy": str(c.copy), "size": c.size,
                            "integrity": "ok", "rows": c.rows}
                           for c in (self.ledger, self.web) if c is not None]}


def _error(nl: str, en: str) -> BackupError:
    return BackupError(nl, en)


def back_up(ledger: Path, web: Path | None, dest: Path) -> Backup:
    """Copy `ledger` (and `web`, when that file exists) into the folder `dest` (made when
    missing) as intake.sqlite and web.sqlite; refuse when either name is taken in `dest`."""
    if not ledger.exists():
        raise LedgerError.stop("ledger-missing", path=ledger)
    _check_header(ledger)
    web = web if web is not None and web.exists() else None
    targets = [(ledger, dest / LEDGER_NAME)] + ([(web, dest / WEB_NAME)] if web else [])
    for _, target in targets:
        if os.path.lexists(target):
            raise _error(f"{target} bestaat al; een back-up overschrijft nooit een bestand: "
                         "kies een nieuwe map, bijvoorbeeld met de datum erin",
                         f"{target} exists; a backup never overwrites a file: give a new "
                         "folder, for example one named after the date")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _error(f"kan de map {dest} niet maken: {exc.strerror}",
                     f"cannot make the folder {dest}: {exc.strerror}") from exc
    copies = [copy_database(source, target) for source, target in targets]
    return Backup(dest, copies[0], copies[1] if len(copies) > 1 else None)


def copy_database(source: Path, target: Path) -> Copied:
    """Copy the SQLite database `source` to `target` with the online backup API, check the
    copy, and give it its name only then (never replacing a file there)."""
    tmp = target.with_name(f".{target.name}.part-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        try:
            src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
            try:
                dst = sqlite3.connect(tmp)
                try:
                    src.backup(dst)  # all pages in one step: one read transaction, one moment
                    dst.execute("PRAGMA journal_mode=DELETE")  # one file, nothing beside it
                    result = [str(r[0]) for r in dst.execute("PRAGMA integrity_check")]
                    tables = [r[0] for r in dst.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
                    rows = {t: int(dst.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0])
                            for t in tables}
                finally:
                    dst.close()
            finally:
                src.close()
        except sqlite3.Error as exc:
            raise _error(f"{source} kan niet worden gekopieerd: {exc}",
                         f"{source} cannot be copied: {exc}") from exc
        if result != ["ok"]:
            raise _error(f"de kopie van {source} is niet in orde ({'; '.join(result)}); het "
                         "origineel is misschien beschadigd: maak de back-up niet weg",
                         f"the copy of {source} fails integrity_check ({'; '.join(result)}); "
                         "the original may be damaged: keep the earlier backups")
        _fsync(tmp)
        try:
            os.link(tmp, target)  # fails when the name is taken: never overwrites
        except FileExistsError as exc:
            raise _error(f"{target} bestaat al; een back-up overschrijft nooit een bestand",
                         f"{target} exists; a backup never overwrites a file") from exc
        except OSError as exc:
            raise _error(f"kan {target} niet schrijven: {exc.strerror}",
                         f"cannot write {target}: {exc.strerror}") from exc
        _fsync(target.parent)
        return Copied(source, target, target.stat().st_size, rows)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
            leftover.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """Flush a file or a folder to disk (a folder: where the system allows it)."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() and hasattr(os, "O_DIRECTORY")
                           else 0)
    with contextlib.suppress(OSError):
        fd = os.open(path, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
