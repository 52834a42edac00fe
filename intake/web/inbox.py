"""Put an uploaded workbook into `INBOX/<bureau>/` for the nightly `intake batch --recursive`.

The name is made here, never taken from the upload: the date and time, the upload's random id
and a tame version of the original name (letters, digits, hyphens; for people reading the
ledger), so two uploads never clash and no name can reach outside the folder. The bytes are
written to a hidden temporary file (the batch skips names starting with a dot) and renamed into
place once complete and synced, so the batch never sees half a file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path


def tame(name: str, limit: int = 40) -> str:
    """A file name's stem reduced to ASCII letters, digits and single hyphens."""
    stem = unicodedata.normalize("NFKD", Path(name.replace("\\", "/")).stem)
    ascii_stem = stem.encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_stem).strip("-")
    return slug[:limit].strip("-") or "werkmap"


def inbox_name(upload_id: str, original_name: str, suffix: str, at: dt.datetime) -> str:
    """`20261130-101500-<id>-<tame name><suffix>`: unique by the id, readable by the rest."""
    return f"{at:%Y%m%d-%H%M%S}-{upload_id}-{tame(original_name)}{suffix}"


def place(source: Path, inbox: Path, bureau: str, name: str) -> Path:
    """Copy `source` into `inbox/bureau/name` atomically; return the final path."""
    if "/" in name or name.startswith(".") or "/" in bureau or bureau.startswith("."):
        raise ValueError(f"not a plain name: {bureau}/{name}")
    folder = inbox / bureau
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as out, source.open("rb") as data:
            shutil.copyfileobj(data, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.link(tmp, target)  # fails instead of replacing, should a name ever repeat
    finally:
        Path(tmp).unlink(missing_ok=True)
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return target
