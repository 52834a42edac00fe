"""A real full disk under `intake backup`, `intake prune` and the ledger: a small tmpfs of our
own, filled, in a user and mount namespace (`unshare -rm`, no root needed), so a write fails
with ENOSPC as on a full server disk. What is on the tmpfs is looked at inside the namespace
(it goes with it); the command's lines and exit codes come out."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from intake.batch.run import BatchOptions, run_batch
from intake.outputs.samples import VALID_DGA, VALID_WERKGEVERS, fill

from conftest import INTAKE

#: Run in the namespace: mount the tmpfs at $DISK, run the test's lines, then list what is on
#: the disk (but the filler) after a line "--- disk".
FRAME = """set -e
mount -t tmpfs -o size={size}k tmpfs "$DISK"
{lines}
echo "--- disk"
cd "$DISK" && find . -mindepth 1 ! -name fill | sort
"""


def _can_mount() -> str | None:
    if shutil.which("unshare") is None:
        return "unshare is missing (Debian package util-linux)"
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, text=True,
                           check=False)
    if probe.returncode != 0:
        return ("this system allows no user namespace (unshare -rm: "
                f"{probe.stderr.strip()}): a real full disk needs root then")
    return None


pytestmark = pytest.mark.skipif(_can_mount() is not None, reason=str(_can_mount()))


def on_a_small_disk(tmp_path: Path, size_kb: int, lines: str,
                    **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the shell `lines` with $DISK a fresh tmpfs of `size_kb` KB; the result (stdout up
    to "--- disk") and what was left on the disk."""
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(["unshare", "-rm", "sh", "-c", FRAME.format(size=size_kb, lines=lines)],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "DISK": str(disk), "INTAKE": INTAKE, **env})
    out, ended, left = done.stdout.partition("--- disk\n")
    assert ended, done.stderr  # the frame ran to its end
    return subprocess.CompletedProcess(done.args, done.returncode, out, done.stderr), \
        left.split()


#: Prints `PRAGMA integrity_check` of the database named by its argument.
INTEGRITY = ("import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("
             "'PRAGMA integrity_check').fetchone()[0])")
#: Fill the disk: leave $ROOM KB free (0: none at all).
FILL = """free=$(df -k "$DISK" | awk 'NR == 2 {print $4}')
dd if=/dev/zero of="$DISK/fill" bs=1k count=$((free - ROOM)) 2>/dev/null || true
"""


def _outdir(tmp_path: Path, web_kb: int = 0) -> Path:
    """A real OUTDIR (one batch run) and, with `web_kb`, a web.sqlite of that size."""
    out = tmp_path / "out"
    fill(tmp_path / "in" / "a.xlsx", VALID_WERKGEVERS[:1], VALID_DGA[:2])
    run_batch(BatchOptions(inbox=tmp_path / "in", out_dir=out, settle_seconds=0))
    if web_kb:
        (out / "web").mkdir()
        with sqlite3.connect(out / "web" / "web.sqlite") as db:
            db.execute("CREATE TABLE filler (data BLOB)")
            db.executemany("INSERT INTO filler VALUES (?)", [(os.urandom(1000),)] * web_kb)
        db.close()
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_backup_onto_a_full_disk_says_no_room_and_leaves_nothing(tmp_path: Path) -> None:
    """DEST on a disk with no room: exit 2, one line "no room in DEST … free some space";
    nothing on the disk, not even the folder the backup made; the ledger unchanged."""
    out = _outdir(tmp_path)
    before = _sha(out / "intake.sqlite")
    done, left = on_a_small_disk(tmp_path, 512, FILL + """set +e
"$INTAKE" backup --out "$OUT" --lang en --dated "$DISK/backups"; echo "exit $?"
""", OUT=str(out), ROOM="0")
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"Error: no room in {tmp_path / 'disk' / 'backups'}/"), line
    assert line.endswith("free some space or choose another disk; no copy, half or whole, was "
                         "left there")
    assert done.stdout.splitlines()[-1] == "exit 2"
    assert left == ["./backups"]  # DEST stays (the dated folder in it went)
    assert _sha(out / "intake.sqlite") == before


def test_room_for_the_ledger_but_not_the_web_database_leaves_neither(tmp_path: Path) -> None:
    """Room for the ledger's copy (about 80 KB) but not web.sqlite's (400 KB): the ledger's
    copy, already made and checked, is taken back; one line, exit 2, no file on the disk."""
    out = _outdir(tmp_path, web_kb=400)
    done, left = on_a_small_disk(tmp_path, 1024, FILL + """set +e
"$INTAKE" backup --out "$OUT" --lang en "$DISK/b"; echo "exit $?"
""", OUT=str(out), ROOM="200")
    assert done.stdout.splitlines()[-1] == "exit 2", done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"Error: no room in {tmp_path / 'disk' / 'b'} ("), line
    assert left == []


def test_prune_on_a_full_disk_leaves_the_ledger_as_it_was(tmp_path: Path) -> None:
    """The ledger on a disk with room to open it (its -shm) but not to commit what prune
    blanks: exit 2, one line saying the ledger is intact and to free some space; the ledger's
    bytes are the same afterwards and it passes integrity_check."""
    out = _outdir(tmp_path)
    with sqlite3.connect(out / "intake.sqlite") as db:
        db.execute("UPDATE files SET processed_at = '2020-01-01T00:00:00+00:00'")
        db.execute("UPDATE runs SET finished_at = '2020-01-01T00:00:00+00:00'")
    db.close()
    done, left = on_a_small_disk(tmp_path, 512, """cp "$OUT/intake.sqlite" "$DISK/"
sha256sum "$DISK/intake.sqlite" > "$DISK/../before.sha"
""" + FILL + """set +e
"$INTAKE" prune --out "$DISK" --older-than 30 --lang en; echo "exit $?"
sha256sum -c --quiet "$DISK/../before.sha" && echo "ledger unchanged"
"$PY" -c "$INTEGRITY" "$DISK/intake.sqlite"
""", OUT=str(out), ROOM="36", PY=sys.executable, INTEGRITY=INTEGRITY)
    assert done.stdout.splitlines()[-3:] == ["exit 2", "ledger unchanged", "ok"], done.stderr
    assert done.stderr.splitlines() == [
        f"Error: intake prune could not finish in {tmp_path / 'disk'} (database or disk is "
        "full); the ledger is intact (what was blanked is committed as a whole or not at all): "
        "free some space and run prune again"]
    assert "intake.sqlite" in " ".join(left)


@pytest.mark.parametrize("command", [["history"], ["prune", "--older-than", "30"],
                                     ["batch", "--force", "INBOX"]])
def test_a_ledger_on_a_full_disk_is_not_called_damaged(tmp_path: Path,
                                                       command: list[str]) -> None:
    """A ledger SQLite cannot open on a full disk (no room for its -shm) is "not damaged and
    nothing in it was changed: free some space", never "restore the backup" (which would lose
    everything after it), for history, prune and the batch alike; its bytes are unchanged."""
    out = _outdir(tmp_path)
    args = " ".join(f'"{tmp_path / "in"}"' if a == "INBOX" else a for a in command)
    done, _ = on_a_small_disk(tmp_path, 512, """cp "$OUT/intake.sqlite" "$DISK/"
sha256sum "$DISK/intake.sqlite" > "$DISK/../before.sha"
""" + FILL + f"""set +e
"$INTAKE" {args} --out "$DISK" --lang en; echo "exit $?"
sha256sum -c --quiet "$DISK/../before.sha" && echo "ledger unchanged"
""", OUT=str(out), ROOM="0")
    assert done.stdout.splitlines()[-2:] == ["exit 2", "ledger unchanged"], done.stderr
    (line,) = done.stderr.splitlines()
    assert line == (f"Error: {tmp_path / 'disk' / 'intake.sqlite'}: the ledger cannot be opened "
                    "or written (disk I/O error); it is not damaged and nothing in it was "
                    "changed: free some space on the ledger's disk and run again")
