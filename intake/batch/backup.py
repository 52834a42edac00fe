"""`intake backup`: a consistent copy of the ledger and of the web intake's own database.

A plain copy of a database in WAL mode is not safe while the batch or the server writes it (the
last transactions may still be in the -wal file, or half of them in the main file). SQLite's
online backup API copies the pages of one read transaction, so the copy is the database as it
was at one moment, whatever another process commits meanwhile. Each copy is checked with
`PRAGMA integrity_check` under a hidden temporary name; only when both are good are they linked
to their names (which fails when a name is taken: an existing file is never overwritten), and
when the second link fails the first is taken back. So a folder holds both copies or none of
this backup: never a half copy, never one database without the other.

With `dated`, each backup goes into a new folder DEST/<YYYY-MM-DDTHHMMSSZ> (UTC), removed again
when the backup fails; with `keep`, only the newest that many of those folders are kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from intake.batch.ledger import LedgerError, _check_header
from intake.definition.errors import IntakeError
from intake.outputs.files import NO_ROOM

#: The names of the copies in DEST.
LEDGER_NAME = "intake.sqlite"
WEB_NAME = "web.sqlite"
#: The name of a folder `dated` makes: the UTC time of the backup.
DATED = re.compile(r"\d{4}-\d{2}-\d{2}T\d{6}Z")
_SQLITE_FULL = 13
_SQLITE_IOERR = 10


class BackupError(IntakeError):
    """The backup cannot be made (DEST taken, a source missing, a copy that fails its check, no
    room): exit 2, and nothing of this backup left in DEST."""

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
    its copy; with `keep`, the older backups it removed and those it could not remove."""

    dest: Path
    ledger: Copied
    web: Copied | None
    removed: tuple[Path, ...] = ()
    not_removed: tuple[tuple[Path, str], ...] = ()

    @property
    def exit_code(self) -> int:
        """0; 1 when an old backup that should have gone could not be removed."""
        return 1 if self.not_removed else 0

    def to_json(self) -> dict[str, object]:
        """The result as `--json` prints it."""
        return {"dest": str(self.dest),
                "copies": [{"source": str(c.source), "copy": str(c.copy), "size": c.size,
                            "integrity": "ok", "rows": c.rows}
                           for c in (self.ledger, self.web) if c is not None],
                "removed": [str(p) for p in self.removed],
                "not_removed": [{"path": str(p), "reason": why} for p, why in self.not_removed]}


def _error(nl: str, en: str) -> BackupError:
    return BackupError(nl, en)


def dated_name(moment: dt.datetime) -> str:
    """The name of the folder `dated` makes for a backup at `moment`."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H%M%SZ")


def back_up(ledger: Path, web: Path | None, dest: Path, *, dated: bool = False,
            keep: int | None = None, now: dt.datetime | None = None) -> Backup:
    """Copy `ledger` (and `web`, when that file exists) into the folder `dest` (made when
    missing) as intake.sqlite and web.sqlite, both or neither; refuse when either name is taken.
    With `dated`, into a new folder in `dest` named after the time; with `keep` (and `dated`),
    then remove the oldest such folders so that `keep` remain."""
    if not ledger.exists():
        raise LedgerError.stop("ledger-missing", path=ledger)
    _check_header(ledger)
    web = web if web is not None and web.exists() else None
    folder = dest / dated_name(now or dt.datetime.now(dt.UTC)) if dated else dest
    targets = [(ledger, folder / LEDGER_NAME)] + ([(web, folder / WEB_NAME)] if web else [])
    for _, target in targets:
        if os.path.lexists(target):
            raise _error(f"{target} bestaat al; een back-up overschrijft nooit een bestand: "
                         "kies een nieuwe map, bijvoorbeeld met de datum erin",
                         f"{target} exists; a backup never overwrites a file: give a new "
                         "folder, for example one named after the date")
    made = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=not dated)
    except FileExistsError as exc:
        raise _error(f"{folder} bestaat al; probeer het over een seconde opnieuw",
                     f"{folder} exists; try again in a second") from exc
    except OSError as exc:
        raise _error(f"kan de map {folder} niet maken: {exc.strerror}",
                     f"cannot make the folder {folder}: {exc.strerror}") from exc
    try:
        copies = _copy_all(targets, folder)
    except BaseException:
        if made:  # a folder made for this backup goes with it (when nothing else is in it)
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    removed: tuple[Path, ...] = ()
    failed: tuple[tuple[Path, str], ...] = ()
    if dated and keep is not None:
        removed, failed = _rotate(dest, keep, folder)
    return Backup(folder, copies[0], copies[1] if len(copies) > 1 else None, removed, failed)


def copy_database(source: Path, target: Path) -> Copied:
    """Copy the SQLite database `source` to `target` with the online backup API, check the
    copy, and give it its name only then (never replacing a file there)."""
    return _copy_all([(source, target)], target.parent)[0]


def _copy_all(targets: list[tuple[Path, Path]], folder: Path) -> list[Copied]:
    """Stage every copy under a hidden name and check it, then link each to its name; when a
    link fails, unlink those made before it. Hidden files are removed however it ends."""
    staged: list[Path] = []
    linked: list[Path] = []
    try:
        rows = []
        for source, target in targets:
            tmp = target.with_name(f".{target.name}.part-{os.getpid()}")
            staged.append(tmp)
            _remove_parts(tmp)
            rows.append(_stage(source, tmp, folder))
        for tmp, (_, target) in zip(staged, targets, strict=True):
            try:
                os.link(tmp, target)  # fails when the name is taken: never overwrites
            except FileExistsError as exc:
                raise _error(f"{target} bestaat al; een back-up overschrijft nooit een bestand",
                             f"{target} exists; a backup never overwrites a file") from exc
            except OSError as exc:
                raise _os_failed(target, folder, exc) from exc
            linked.append(target)
        _fsync(folder)
        return [Copied(source, target, target.stat().st_size, counts)
                for (source, target), counts in zip(targets, rows, strict=True)]
    except BaseException:
        for target in linked:
            with contextlib.suppress(OSError):
                target.unlink()
        raise
    finally:
        for tmp in staged:
            _remove_parts(tmp)


def _remove_parts(tmp: Path) -> None:
    for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm"))):
        with contextlib.suppress(OSError):
            leftover.unlink()


def _stage(source: Path, tmp: Path, folder: Path) -> dict[str, int]:
    """Copy `source` to `tmp` (one read transaction), in one file, synced, checked; its rows
    per table."""
    needed = sum(p.stat().st_size for p in (source, source.with_name(source.name + "-wal"))
                 if p.exists())
    free = _free(folder)
    if free is not None and free < needed:
        raise _no_room(folder, "", free, needed)
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
        if not folder.is_dir():
            raise _gone(folder) from exc
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        free = _free(folder)
        if code == _SQLITE_FULL or (code == _SQLITE_IOERR and free is not None
                                    and free < needed):
            raise _no_room(folder, str(exc), free, needed) from exc
        if code == _SQLITE_IOERR:  # a write refused: a disk that failed, or a quota, a limit
            raise _error(f"kan niet schrijven in {folder} ({exc}; {_mb(free)} vrij, nodig "
                         f"ongeveer {_mb(needed)}): controleer die schijf; er is geen (halve) "
                         "kopie achtergebleven",
                         f"cannot write in {folder} ({exc}; {_mb(free)} free, about "
                         f"{_mb(needed)} needed): check that disk; no copy, half or whole, "
                         "was left there") from exc
        raise _error(f"{source} kan niet worden gekopieerd: {exc}",
                     f"{source} cannot be copied: {exc}") from exc
    if result != ["ok"]:
        raise _error(f"de kopie van {source} is niet in orde ({'; '.join(result)}); het "
                     "origineel is misschien beschadigd: maak de back-up niet weg",
                     f"the copy of {source} fails integrity_check ({'; '.join(result)}); "
                     "the original may be damaged: keep the earlier backups")
    try:
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _os_failed(tmp, folder, exc) from exc
    return rows


def _free(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _mb(size: int | None) -> str:
    return "?" if size is None else f"{size / 1_000_000:.1f} MB"


def _no_room(folder: Path, detail: str, free: int | None, needed: int) -> BackupError:
    why = f"{detail}; " if detail else ""
    return _error(f"geen ruimte in {folder} ({why}{_mb(free)} vrij, nodig ongeveer "
                  f"{_mb(needed)}): maak ruimte vrij of kies een andere schijf; er is geen "
                  "(halve) kopie achtergebleven",
                  f"no room in {folder} ({why}{_mb(free)} free, about {_mb(needed)} "
                  "needed): free some space or choose another disk; no copy, half or whole, "
                  "was left there")


def _gone(folder: Path) -> BackupError:
    return _error(f"de map {folder} is verdwenen terwijl de back-up liep (verwijderd of "
                  "ontkoppeld); er is geen kopie gemaakt",
                  f"the folder {folder} vanished while the backup ran (removed or unmounted); "
                  "no copy was made")


def _os_failed(path: Path, folder: Path, exc: OSError) -> BackupError:
    if not folder.is_dir():
        return _gone(folder)
    if exc.errno in NO_ROOM:
        return _no_room(folder, exc.strerror or str(exc), _free(folder), 0)
    return _error(f"kan {path} niet schrijven: {exc.strerror}",
                  f"cannot write {path}: {exc.strerror}")


def _rotate(dest: Path, keep: int, current: Path) -> tuple[tuple[Path, ...],
                                                          tuple[tuple[Path, str], ...]]:
    """Remove the dated folders in `dest` but the newest `keep` whole backups (a folder with a
    regular intake.sqlite) and `current`; a dated folder without a copy (what a killed backup
    leaves) goes when it is older than `current`. Links are never followed nor removed."""
    dated = sorted((p for p in dest.iterdir() if DATED.fullmatch(p.name)
                    and p.is_dir() and not p.is_symlink()), key=lambda p: p.name)
    whole = [p for p in dated
             if (p / LEDGER_NAME).is_file() and not (p / LEDGER_NAME).is_symlink()]
    old = [p for p in whole[:max(len(whole) - keep, 0)] if p != current]
    old += [p for p in dated if p not in whole and p.name < current.name]
    removed, failed = [], []
    for path in sorted(old):
        try:
            shutil.rmtree(path)
        except OSError as exc:
            failed.append((path, exc.strerror or str(exc)))
        else:
            removed.append(path)
    return tuple(removed), tuple(failed)


def _fsync(path: Path) -> None:
    """Flush a folder to disk (where the system allows it)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    with contextlib.suppress(OSError):
        fd = os.open(path, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
