"""`intake prune`: forget what the AVG's retention period no longer allows us to keep.

Older than the bound (by the time a run finished, a file was processed, an upload arrived):

- run folders OUTDIR/<run-id>/ of finished runs (reports, feedback workbooks, CSVs, messages);
- the folders of the news a status import wrote at once, OUTDIR/status/<time>/ (messages with
  the bureaus' names and addresses);
- web uploads OUTDIR/web/uploads/<id>/ and their rows in OUTDIR/web/web.sqlite;
- in the ledger, the personal data of delivered rows: a DGA's name and personeelsnummer, and
  the bureau's e-mail address (E-mail salarisverwerker) of an employer row.

Kept, because exactly-once delivery needs it: every row's Werkgever ID and loonheffingennummer,
every file's sha256 and status (a file processed before is skipped), the runs, counts, states
and the other columns of an employer row (an employer delivered again with other data is still
a conflict; the blanked fields are no longer compared). A run still marked running is never
touched, a link in OUTDIR is never followed (nor removed: it is reported), and OUTDIR's batch
lock is held throughout, so no batch runs meanwhile.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from intake.batch.ledger import Ledger
from intake.definition.errors import IntakeError
from intake.definition.messages import Lang
from intake.outputs.files import NO_ROOM
from intake.outputs.layout import parsed_time

#: The key of a ledger row's data that lists the fields prune blanked (never compared again).
PRUNED_KEY = "_pruned"
#: Personal data blanked per ledger table (the JSON keys of the row's data).
BLANKED: dict[str, tuple[str, ...]] = {
    "employers": ("salarisverwerker_email",),
    "dga": ("naam", "personeelsnummer"),
}
_RUN_ID = re.compile(r"\d{8}-\d{6}(-\d+)?")
#: The time in the name of a news folder (OUTDIR/status/20261207-031500[-2]/), UTC.
_NEWS_STAMP = re.compile(r"(\d{8}-\d{6})(?:-\d+)?")
_UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_INDEX_LINK = re.compile(r'href="(\d{8}-\d{6}(?:-\d+)?)/')


@dataclass(frozen=True)
class Skipped:
    """Something old enough that was left where it is, and why (`symlink`, `not-a-folder`,
    or the system's reason it could not be removed)."""

    path: str
    reason: str


@dataclass(frozen=True)
class Pruned:
    """What prune removed (or, with dry_run, would remove): counts, and what it left."""

    before: str
    dry_run: bool
    run_folders: int = 0
    uploads: int = 0
    upload_rows: int = 0
    employer_rows: int = 0
    dga_rows: int = 0
    skipped: tuple[Skipped, ...] = field(default=())
    news_folders: int = 0

    @property
    def exit_code(self) -> int:
        """0 when everything old enough went; 1 when something was left (see `skipped`)."""
        return 1 if self.skipped else 0

    def to_json(self) -> dict[str, object]:
        """The result as `--json` prints it."""
        return {"before": self.before, "dry_run": self.dry_run,
                "removed": {"run_folders": self.run_folders, "uploads": self.uploads,
                            "upload_rows": self.upload_rows, "news_folders": self.news_folders},
                "blanked": {"employer_rows": self.employer_rows, "dga_rows": self.dga_rows},
                "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped]}


#: The lines `intake prune` prints, per language.
WORDS = {
    "nl": {"head": "{verb} van voor {before}:",
           "verb": "Verwijderd", "verb_dry": "Zou verwijderen (--dry-run: niets veranderd)",
           "runs": "{n} map(pen) van verwerkingen",
           "news": "{n} map(pen) met berichten van het inlezen van standen",
           "uploads": "{n} upload(s) van de webintake ({rows} rij(en) in web.sqlite)",
           "ledger": "persoonsgegevens gewist in {e} werkgeversrij(en) en {d} DGA-rij(en) "
                     "van het grootboek",
           "skipped": "overgeslagen: {path} ({reason})"},
    "en": {"head": "{verb} from before {before}:",
           "verb": "Removed", "verb_dry": "Would remove (--dry-run: nothing changed)",
           "runs": "{n} run folder(s)",
           "news": "{n} folder(s) of messages from status imports",
           "uploads": "{n} web upload(s) ({rows} row(s) in web.sqlite)",
           "ledger": "personal data blanked in {e} employer row(s) and {d} DGA row(s) of the "
                     "ledger",
           "skipped": "skipped: {path} ({reason})"},
}


#: The words for prune's own reasons to leave something (the system's reasons stay as it says
#: them).
REASONS = {
    "nl": {"symlink": "een koppeling (symbolic link): niet gevolgd en niet verwijderd",
           "not-a-folder": "geen map"},
    "en": {"symlink": "a symbolic link: not followed and not removed",
           "not-a-folder": "not a folder"},
}


def lines(result: Pruned, lang: str) -> Iterator[str]:
    """What `intake prune` prints: the counts, then what was left and why."""
    from intake.outputs.terminal import printable

    w = WORDS[lang]
    yield w["head"].format(verb=w["verb_dry" if result.dry_run else "verb"],
                           before=result.before)
    yield "  " + w["runs"].format(n=result.run_folders)
    yield "  " + w["news"].format(n=result.news_folders)
    yield "  " + w["uploads"].format(n=result.uploads, rows=result.upload_rows)
    yield "  " + w["ledger"].format(e=result.employer_rows, d=result.dga_rows)
    reasons = REASONS[lang]
    for s in result.skipped:
        yield "  " + w["skipped"].format(path=printable(s.path),
                                         reason=printable(reasons.get(s.reason, s.reason)))


def _older(at: str | None, bound: dt.datetime) -> bool:
    """True when the ISO time `at` lies before `bound` (a missing or unreadable time: no)."""
    moment = parsed_time(at)
    return moment is not None and moment < bound


def _folder(path: Path) -> str | None:
    """None when `path` is a real folder (not a link) that may be removed; else why not."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return "missing"
    if stat.S_ISLNK(mode):
        return "symlink"
    if not stat.S_ISDIR(mode):
        return "not-a-folder"
    return None


def _remove(path: Path, dry_run: bool, skipped: list[Skipped]) -> bool:
    """Remove the folder `path` without following any link in it; False (and a Skipped) when
    it is a link, not a folder, or cannot be removed. A missing folder is not counted."""
    why = _folder(path)
    if why == "missing":
        return False
    if why is not None:
        skipped.append(Skipped(str(path), why))
        return False
    if dry_run:
        return True
    try:
        # With an fd-based rmtree (Linux) a link inside is removed, never followed.
        shutil.rmtree(path)
    except OSError as exc:
        skipped.append(Skipped(str(path), exc.strerror or str(exc)))
        return False
    return True


@contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    from intake.batch.run import BatchError, acquire_lock

    try:
        lock = acquire_lock(out_dir)
    except BatchError as exc:
        if exc.code == "batch-posix-only":  # Windows: no flock; prune says so in its own name
            raise BatchError.stop("prune-posix-only") from None
        raise
    try:
        yield
    finally:
        lock.release()


def prune(out_dir: Path, db: Path | None, older_than_days: int, dry_run: bool = False,
          now: dt.datetime | None = None) -> Pruned:
    """Forget what is older than `older_than_days` days (see the module); with `dry_run` count
    the same without changing anything. Raises LedgerError (missing or damaged ledger) or
    LockHeld (a batch runs)."""
    bound = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=older_than_days)
    ledger = Ledger(db or out_dir / "intake.sqlite", create=False)
    skipped: list[Skipped] = []
    try:
        with _locked(out_dir):
            # Folders first: on a full disk their space is what the ledger's commit needs.
            runs = _run_folders(ledger, out_dir, bound, dry_run, skipped)
            news = _news_folders(out_dir, bound, dry_run, skipped)
            uploads, upload_rows = _uploads(out_dir / "web", bound, dry_run, skipped)
            employers, dga = _blank(ledger, bound, dry_run)
            if not dry_run and (runs or _stale_index(out_dir)):
                from intake.batch.run import write_runs_index

                write_runs_index(ledger, out_dir, _lang(ledger))
    except (sqlite3.Error, OSError) as exc:
        raise _cannot_finish(out_dir, exc) from exc
    finally:
        ledger.close()
    return Pruned(bound.replace(microsecond=0).isoformat(), dry_run, runs, uploads,
                  upload_rows, employers, dga, tuple(skipped), news)


class PruneError(IntakeError):
    """Prune could not finish (a full disk, a folder that cannot be written): exit 2; what
    the ledger had is kept as it was or blanked as a whole, and a second prune finishes."""

    code = "prune-failed"


def _cannot_finish(out_dir: Path, exc: sqlite3.Error | OSError) -> PruneError:
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    full = (isinstance(exc, OSError) and exc.errno in NO_ROOM) or code == 13
    detail = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
    fix = ("maak ruimte vrij", "free some space") if full else \
        ("controleer de schijf (is die vol?)", "check the disk (is it full?)") if code == 10 \
        else ("los dit op", "fix this")
    return PruneError(f"intake prune kon niet afmaken in {out_dir} ({detail}); het grootboek is "
                      "heel (wat gewist werd is helemaal of niet vastgelegd): "
                      f"{fix[0]} en start prune opnieuw",
                      f"intake prune could not finish in {out_dir} ({detail}); the ledger is "
                      "intact (what was blanked is committed as a whole or not at all): "
                      f"{fix[1]} and run prune again")


def _stale_index(out_dir: Path) -> bool:
    """True when OUTDIR/index.html links to a run folder that is gone (a prune stopped before
    it rewrote the page)."""
    try:
        page = (out_dir / "index.html").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(not (out_dir / m).is_dir() for m in set(_INDEX_LINK.findall(page)))


def _lang(ledger: Ledger) -> Lang:
    """The language of the latest run (OUTDIR/index.html is rewritten in it)."""
    for run in ledger.runs():
        return "en" if json.loads(run["options"] or "{}").get("lang") == "en" else "nl"
    return "nl"


def _run_folders(ledger: Ledger, out_dir: Path, bound: dt.datetime, dry_run: bool,
                 skipped: list[Skipped]) -> int:
    """Remove the folders of finished runs older than `bound`; how many."""
    removed = 0
    for run in ledger.runs():
        if run["status"] == "running" or not _RUN_ID.fullmatch(run["id"]):
            continue
        if _older(run["finished_at"] or run["started_at"], bound) and \
                _remove(out_dir / run["id"], dry_run, skipped):
            removed += 1
    return removed


def _news_folders(out_dir: Path, bound: dt.datetime, dry_run: bool,
                  skipped: list[Skipped]) -> int:
    """Remove the folders OUTDIR/status/<time>/ of news written before `bound` (by the time in
    their name; a folder named otherwise is not ours and stays); how many."""
    from intake.batch.outbox import NEWS_FOLDER

    news = out_dir / NEWS_FOLDER
    why = _folder(news)
    if why == "missing":
        return 0
    if why is not None:
        skipped.append(Skipped(str(news), why))
        return 0
    removed = 0
    for entry in sorted(news.iterdir()):
        stamp = _NEWS_STAMP.fullmatch(entry.name)
        try:
            written = dt.datetime.strptime(stamp.group(1), "%Y%m%d-%H%M%S").replace(
                tzinfo=dt.UTC) if stamp else None
        except ValueError:  # digits that are no time (20201301-250000): not ours either
            written = None
        if written is not None and written < bound and _remove(entry, dry_run, skipped):
            removed += 1
    return removed


def _uploads(web: Path, bound: dt.datetime, dry_run: bool,
             skipped: list[Skipped]) -> tuple[int, int]:
    """Remove uploads older than `bound` that are no longer being checked: their folders and
    their rows in web.sqlite; (folders, rows)."""
    database = web / "web.sqlite"
    if _folder(web) is not None or not database.is_file() or database.is_symlink():
        return 0, 0
    connection = sqlite3.connect(database, isolation_level=None, timeout=30)
    try:
        if connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = "
                              "'web_uploads'").fetchone() is None:
            return 0, 0
        old = [(i, at) for i, at in connection.execute(
            "SELECT id, uploaded_at FROM web_uploads WHERE status != 'checking'")
            if _older(at, bound)]
        folders, rows = 0, []
        uploads = web / "uploads"
        if _folder(uploads) not in (None, "missing"):
            skipped.append(Skipped(str(uploads), str(_folder(uploads))))
            return 0, 0
        for upload_id, _ in old:
            if not _UPLOAD_ID.fullmatch(upload_id):
                continue
            before = len(skipped)
            if _remove(uploads / upload_id, dry_run, skipped):
                folders += 1
            if len(skipped) == before:  # its folder is gone (or was): its row may go too
                rows.append(upload_id)
        if not dry_run and rows:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany("DELETE FROM web_uploads WHERE id = ?",
                                   [(i,) for i in rows])
            connection.execute("COMMIT")
        return folders, len(rows)
    finally:
        connection.close()


def _blank(ledger: Ledger, bound: dt.datetime, dry_run: bool) -> tuple[int, int]:
    """Blank the personal data (BLANKED) of delivered rows whose file was processed before
    `bound`, in finished runs, in one transaction; (employer rows, DGA rows)."""
    counts = []
    with ledger.transaction() as db:
        for table, names in BLANKED.items():
            changes = []
            for row_id, data, at in db.execute(
                    f"SELECT t.id, t.data, f.processed_at FROM {table} t "
                    "JOIN files f ON f.id = t.file_id JOIN runs r ON r.id = t.run_id "
                    "WHERE r.status != 'running'"):
                if not _older(at, bound):
                    continue
                try:
                    record = json.loads(data)
                except ValueError:
                    continue
                if not isinstance(record, dict) or not any(record.get(n) for n in names):
                    continue
                forgotten = sorted({*record.get(PRUNED_KEY, ()), *names})
                record |= {n: "" for n in names} | {PRUNED_KEY: forgotten}
                changes.append((json.dumps(record, ensure_ascii=False), row_id))
            if changes and not dry_run:
                db.executemany(f"UPDATE {table} SET data = ? WHERE id = ?",
                               changes)
            counts.append(len(changes))
    return counts[0], counts[1]
