"""The files of a batch inbox: listed in arrival order, each read once into a private copy.

Rules (docs/operator.md states them for operators):

- Only regular files are read. A symbolic link is never followed (not even to a file inside the
  inbox), and a FIFO, device, socket or folder with a spreadsheet name is refused, not opened.
  With `--recursive`, linked folders are not entered.
- Each file is opened once (`O_NOFOLLOW | O_NONBLOCK`, so a FIFO put in its place never blocks),
  checked to be a regular file on the open descriptor, and copied into a private staging folder
  while it is hashed: the sha256 in the ledger and the validation are of the very same bytes,
  whatever happens to the inbox file afterwards.
- A file that vanishes, cannot be opened or read, or changes while it is copied is that file's
  outcome (`Problem`), never the run's end.
- Names are kept as they are for the file system; the name shown (ledger, reports, CSV) is valid
  UTF-8: bytes that are not are written as `\\xff`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from intake.validation.reader import SPREADSHEET_SUFFIXES

#: The longest file name most file systems allow, in bytes.
NAME_MAX = 255


@dataclass(frozen=True)
class Entry:
    """One candidate in the inbox: where it is, the name shown, and why it is refused (if so)."""

    path: Path
    parts: tuple[str, ...]
    name: str
    mtime_ns: int
    refused: str | None = None


@dataclass(frozen=True)
class Staged:
    """A private copy of an inbox file: its bytes' sha256 and size, and what the original was."""

    entry: Entry
    copy: Path
    sha256: str
    size: int
    identity: tuple[int, int, int, int]
    too_big: bool = False


@dataclass(frozen=True)
class Problem:
    """An inbox file that could not be copied: `kind` is vanished, refused, inaccessible or
    changing; `detail` says why (the system's words)."""

    entry: Entry
    kind: str
    detail: str


def shown(name: str) -> str:
    """`name` as valid UTF-8: undecodable bytes (kept by Python as surrogates) become `\\xNN`."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def _candidate(name: str) -> bool:
    return (not name.startswith(("~$", "."))
            and os.path.splitext(name)[1].lower() in SPREADSHEET_SUFFIXES)


def list_inbox(inbox: Path, recursive: bool) -> list[Entry]:
    """The spreadsheets in `inbox` in arrival order (modification time, then name)."""
    entries: list[Entry] = []

    def scan(folder: Path, parts: tuple[str, ...]) -> None:
        try:
            listing = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for item in listing:
            try:
                info = item.stat(follow_symlinks=False)
            except OSError:
                continue  # gone since the listing
            here = (*parts, item.name)
            if recursive and stat.S_ISDIR(info.st_mode) and not item.name.startswith("."):
                scan(folder / item.name, here)
                continue
            if not _candidate(item.name):
                continue
            entries.append(Entry(path=folder / item.name, parts=here,
                                 name=shown("/".join(here)), mtime_ns=info.st_mtime_ns,
                                 refused=_kind(info.st_mode)))

    scan(inbox, ())
    entries.sort(key=lambda e: (e.mtime_ns, os.fsencode(e.name)))
    return entries


def entry_for(path: Path) -> Entry:
    """The entry of one file named on purpose (read from its folder, never through a link)."""
    try:
        info = os.lstat(path)
    except OSError:
        return Entry(path=path, parts=(path.name,), name=shown(path.name), mtime_ns=0)
    return Entry(path=path, parts=(path.name,), name=shown(path.name),
                 mtime_ns=info.st_mtime_ns, refused=_kind(info.st_mode))


def _open(inbox: Path, parts: tuple[str, ...]) -> int:
    """Open the file at `parts` under `inbox` without following any link on the way."""
    folder = os.open(inbox, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                            dir_fd=folder)
            os.close(folder)
            folder = inner
        return os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                       dir_fd=folder)
    finally:
        os.close(folder)


def stage(inbox: Path, entry: Entry, target: Path, max_bytes: int) -> Staged | Problem:
    """Copy `entry` to `target` (created, private) while hashing it.

    More than `max_bytes` is hashed but not copied (`too_big`). Writing the copy may raise
    OSError: the staging folder's problem (a full disk), not the file's.
    """
    if entry.refused:
        return Problem(entry, "refused", entry.refused)
    try:
        fd = _open(inbox, entry.parts)
    except FileNotFoundError as exc:
        return Problem(entry, "vanished", exc.strerror or "")
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            return Problem(entry, "refused", "symbolic link")
        return Problem(entry, "inaccessible", exc.strerror or str(exc))
    try:
        before = os.fstat(fd)
        kind = _kind(before.st_mode)
        if kind is not None:
            return Problem(entry, "refused", kind)
        digest = hashlib.sha256()
        size = 0
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        with os.fdopen(out, "wb") as copy:
            while True:
                try:
                    block = os.read(fd, 1 << 20)
                except OSError as exc:
                    return Problem(entry, "inaccessible", exc.strerror or str(exc))
                if not block:
                    break
                digest.update(block)
                size += len(block)
                if size <= max_bytes:
                    copy.write(block)
        after = os.fstat(fd)
    finally:
        os.close(fd)
    identity = (before.st_dev, before.st_ino, before.st_size, before.st_mtime_ns)
    if identity != (after.st_dev, after.st_ino, after.st_size, after.st_mtime_ns) \
            or size != after.st_size:
        target.unlink(missing_ok=True)
        return Problem(entry, "changing", "changed while it was read")
    return Staged(entry=entry, copy=target, sha256=digest.hexdigest(), size=size,
                  identity=identity, too_big=size > max_bytes)


def unchanged(staged: Staged) -> bool:
    """True when the inbox file is still the one that was copied (same inode, size, time)."""
    try:
        info = os.lstat(staged.entry.path)
    except OSError:
        return False
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns) == staged.identity


def fit_name(name: str, limit: int = NAME_MAX, tail: str = "") -> str:
    """`name` with `tail` put before its suffix (`x (2).xlsx`), the stem shortened at its end,
    by whole characters, so that the whole is at most `limit` bytes; the tail is kept."""
    stem, suffix = os.path.splitext(name)
    if len(os.fsencode(f"{stem}{tail}{suffix}")) <= limit:
        return f"{stem}{tail}{suffix}"
    room = limit - len(os.fsencode(f"~{tail}{suffix}"))
    while stem and len(os.fsencode(stem)) > room:
        stem = stem[:-1]
    return f"{stem}~{tail}{suffix}"
