"""`intake batch`: validate every workbook in an inbox, once, and hand over one delivery per run.

Layout of OUTDIR:

    OUTDIR/intake.sqlite            the ledger (runs, files, delivered rows)
    OUTDIR/.intake-batch.lock       held while a run is going (the holder's pid)
    OUTDIR/<run-id>/summary.json    per file: name, sha256, status, counts; cross-file findings
    OUTDIR/<run-id>/index.html      the same as a page, linking to each file's report
    OUTDIR/<run-id>/werkgevers.csv  the run's combined delivery (bron_bestand, bron_rij)
    OUTDIR/<run-id>/dga.csv
    OUTDIR/<run-id>/<file name>/    what `intake validate` writes for that file

Every output is written under a temporary name and renamed into place; a file's outputs and
ledger rows are committed before the next file starts; the run's combined outputs are derived
from the ledger, so a run that was killed is finished by the next one.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import shutil
import socket
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intake.fields import DGA, WERKGEVERS
from intake.files import atomic_write_text, sha256_of
from intake.ledger import Ledger
from intake.messages import Lang
from intake.reader import SPREADSHEET_SUFFIXES
from intake.safety import Limits

LOCK_NAME = ".intake-batch.lock"
DEFAULT_DB_NAME = "intake.sqlite"
#: A file modified less than this many seconds ago may still be being written: left for later.
DEFAULT_SETTLE_SECONDS = 10.0
MOVE_FOLDERS = {"accepted": "accepted", "partially accepted": "rejected",
                "rejected": "rejected", "unreadable": "quarantine", "failed": "quarantine",
                "skipped": "skipped"}


class BatchError(Exception):
    """The batch cannot run (bad folders, lock held): exit 2."""


@dataclass(frozen=True)
class BatchOptions:
    """Everything `intake batch` was asked to do."""

    inbox: Path
    out_dir: Path
    db: Path | None = None
    force: bool = False
    lang: Lang = "nl"
    jobs: int = 1
    recursive: bool = False
    move_to: Path | None = None
    settle_seconds: float = DEFAULT_SETTLE_SECONDS
    contract_prefixes: tuple[str, ...] = ("A020",)
    csv_dialect: str = "standard"
    limits: Limits = field(default_factory=Limits)

    @property
    def ledger_path(self) -> Path:
        """Where the ledger lives (OUTDIR/intake.sqlite unless --db)."""
        return self.db or self.out_dir / DEFAULT_DB_NAME


@dataclass
class BatchResult:
    """What a run did: its id and folder, the file entries and notes of its summary."""

    run_id: str
    run_dir: Path
    files: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every processed file was accepted in full, else 1."""
        bad = {"partially accepted", "rejected", "unreadable", "failed"}
        return 1 if any(f["status"] in bad for f in self.files) else 0


# --- the lock --------------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():  # a reused pid of another program is not our run
        try:
            return b"intake" in cmdline.read_bytes()
        except OSError:
            return True
    return True


def acquire_lock(out_dir: Path) -> str | None:
    """Take OUTDIR's lock; return a note when a stale lock was taken over.

    Raises BatchError when a live process holds it.
    """
    lock = out_dir / LOCK_NAME
    content = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                          "since": dt.datetime.now(dt.UTC).isoformat()})
    note = None
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                holder = json.loads(lock.read_text(encoding="utf-8") or "{}")
            except (OSError, ValueError):
                holder = {}
            pid = int(holder.get("pid", 0) or 0)
            if pid and pid != os.getpid() and _alive(pid):
                raise BatchError(f"another run (pid {pid}) holds {lock}") from None
            lock.unlink(missing_ok=True)
            note = f"stale lock of pid {pid or '?'} taken over"
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        return note
    raise BatchError(f"cannot take {lock}")


def release_lock(out_dir: Path) -> None:
    """Give the lock back (only if it is ours)."""
    lock = out_dir / LOCK_NAME
    try:
        if json.loads(lock.read_text(encoding="utf-8")).get("pid") == os.getpid():
            lock.unlink()
    except (OSError, ValueError):
        pass


# --- finding the files -----------------------------------------------------------------------


def inbox_files(options: BatchOptions) -> tuple[list[Path], list[Path]]:
    """(files to process, files left for a later run because they may still be written)."""
    pattern = "**/*" if options.recursive else "*"
    ready, waiting = [], []
    now = time.time()
    for path in sorted(options.inbox.glob(pattern)):
        if not path.is_file() or path.name.startswith(("~$", ".")):
            continue
        if path.suffix.lower() not in SPREADSHEET_SUFFIXES:
            continue
        if now - path.stat().st_mtime < options.settle_seconds:
            waiting.append(path)
        else:
            ready.append(path)
    return ready, waiting


def _new_run_id(out_dir: Path, ledger: Ledger) -> str:
    base = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    run_id, n = base, 1
    while ledger.run_exists(run_id) or (out_dir / run_id).exists():
        n += 1
        run_id = f"{base}-{n}"
    return run_id


# --- one file, in a worker process ----------------------------------------------------------


def process_file(path: str, target: str, prefixes: tuple[str, ...], lang: Lang,
                 dialect: str, limits: Limits | None = None) -> dict[str, Any]:
    """Validate one workbook into `target` (renamed into place when complete).

    Runs in a worker process; returns plain data. A bug in the validator becomes
    status 'failed' with the error, never an exception.
    """
    from intake.export import accepted_rows
    from intake.messages import FILE_ERRORS
    from intake.pipeline import run
    from intake.reader import UnreadableWorkbook
    from intake.timelimit import TimeLimitExceeded
    from intake.validate import Options

    final = Path(target)
    partial = final.with_name(f".{final.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        outcome = run(Path(path), partial,
                      Options(contract_prefixes=prefixes, limits=limits or Limits()),
                      lang=lang, dialect=dialect)  # type: ignore[arg-type]
    except UnreadableWorkbook as exc:
        shutil.rmtree(partial, ignore_errors=True)
        return {"status": "unreadable", "error": FILE_ERRORS[exc.reason][lang]}
    except TimeLimitExceeded:
        shutil.rmtree(partial, ignore_errors=True)
        return {"status": "failed", "error": FILE_ERRORS["time-limit"][lang]}
    except Exception as exc:
        shutil.rmtree(partial, ignore_errors=True)
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return {"status": "failed", "error": detail}
    result = outcome.result
    if final.exists():
        shutil.rmtree(final)
    partial.rename(final)
    counts = {"werkgevers": result.werkgevers.counts(), "dga": result.dga.counts(),
              "errors": result.errors, "warnings": result.warnings}
    accepted = result.werkgevers.accepted
    if result.valid and accepted == len(result.werkgevers) and accepted:
        status = "accepted"
    elif accepted:
        status = "partially accepted"
    else:
        status = "rejected"
    return {"status": status, "counts": counts,
            "employers": accepted_rows(result.werkgevers),
            "dga": accepted_rows(result.dga),
            "werkgever_id_column": result.werkgevers.columns.get("werkgever_id"),
            "sheet": result.werkgevers.sheet}


# --- the run ---------------------------------------------------------------------------------


def run_batch(options: BatchOptions,
              progress: Callable[[int, int, str, str], None] | None = None) -> BatchResult:
    """Process the inbox; return what was done. Raises BatchError when it cannot run."""
    if not options.inbox.is_dir():
        raise BatchError(f"inbox {options.inbox} is not a folder")
    try:
        options.out_dir.mkdir(parents=True, exist_ok=True)
        probe = options.out_dir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise BatchError(f"cannot write to {options.out_dir}: {exc.strerror}") from exc
    stale = acquire_lock(options.out_dir)
    try:
        ledger = Ledger(options.ledger_path)
        try:
            notes = [stale] if stale else []
            for unfinished in ledger.unfinished_runs():
                run_dir = Path(unfinished["out_dir"]) / unfinished["id"]
                finish_outputs(ledger, unfinished["id"], run_dir, options.lang,
                               status="interrupted")
                notes.append(f"run {unfinished['id']} was interrupted; its outputs were "
                             "completed from the ledger")
            return _run(options, ledger, notes, progress)
        finally:
            ledger.close()
    finally:
        release_lock(options.out_dir)


def _run(options: BatchOptions, ledger: Ledger, notes: list[str],
         progress: Callable[[int, int, str, str], None] | None) -> BatchResult:
    run_id = _new_run_id(options.out_dir, ledger)
    run_dir = options.out_dir / run_id
    run_dir.mkdir(parents=True)
    ledger.start_run(run_id, options.inbox, options.out_dir,
                     {"force": options.force, "lang": options.lang, "jobs": options.jobs,
                      "contract_prefixes": list(options.contract_prefixes)})
    result = BatchResult(run_id=run_id, run_dir=run_dir, notes=notes)
    ready, waiting = inbox_files(options)
    for path in waiting:
        result.files.append({"name": _name(options, path), "status": "waiting"})

    todo: list[tuple[Path, str, int]] = []
    first: dict[str, str] = {}
    for path in ready:
        sha, size = sha256_of(path), path.stat().st_size
        earlier = None if options.force else ledger.done_before(sha)
        same_as = (earlier["name"], earlier["run_id"]) if earlier is not None else (
            (first[sha], run_id) if sha in first else None)
        if same_as is not None:
            with ledger.transaction() as db:
                file_id = ledger.record_file(
                    db, run_id, _name(options, path), str(path), sha, size, "skipped",
                    {"same_as": same_as[0], "run": same_as[1]})
            result.files.append({"name": _name(options, path), "status": "skipped",
                                 "sha256": sha, "same_as": same_as[0]})
            _move(options, ledger, path, "skipped", file_id)
            continue
        first[sha] = _name(options, path)
        todo.append((path, sha, size))

    seen: dict[tuple[str, str], tuple[str, int]] = {}
    for n, (path, sha, size, outcome) in enumerate(_outcomes(options, run_dir, todo), 1):
        name = _name(options, path)
        entry = _commit(options, ledger, run_id, path, name, sha, size, outcome, seen)
        result.files.append(entry)
        if progress:
            progress(n, len(todo), name, entry["status"])
    finish_outputs(ledger, run_id, run_dir, options.lang, extra=result.files)
    return result


def _name(options: BatchOptions, path: Path) -> str:
    return str(path.relative_to(options.inbox))


def _outcomes(options: BatchOptions, run_dir: Path, todo: list[tuple[Path, str, int]],
              ) -> Iterator[tuple[Path, str, int, dict[str, Any]]]:
    """Each file's outcome, in inbox order, computed by `jobs` worker processes."""
    remaining = list(todo)
    while remaining:
        # spawn, not fork: the validator's polars runs a thread pool, and a child forked from
        # a process with threads can hang on a lock one of them held.
        with ProcessPoolExecutor(max_workers=max(1, options.jobs),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            futures: list[Future[dict[str, Any]]] = [
                pool.submit(process_file, str(path), str(run_dir / _folder(options, path)),
                            options.contract_prefixes, options.lang, options.csv_dialect,
                            options.limits)
                for path, _, _ in remaining]
            done = 0
            try:
                for (path, sha, size), future in zip(remaining, futures, strict=True):
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        raise
                    except Exception as exc:  # a bug outside process_file's own guard
                        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
                        outcome = {"status": "failed", "error": detail}
                    done += 1
                    yield path, sha, size, outcome
            except BrokenProcessPool:
                path, sha, size = remaining[done]
                yield path, sha, size, {"status": "failed",
                                        "error": "the validator process died (crash or out of "
                                                 "memory) on this file"}
                done += 1
        remaining = remaining[done:]


def _folder(options: BatchOptions, path: Path) -> str:
    return _name(options, path).replace(os.sep, "__")


def _commit(options: BatchOptions, ledger: Ledger, run_id: str, path: Path, name: str,
            sha: str, size: int, outcome: dict[str, Any],
            seen: dict[tuple[str, str], tuple[str, int]]) -> dict[str, Any]:
    """Cross-file checks, then one transaction: the file, its delivered rows, its notes."""
    from intake.findings import Finding

    employers: list[dict[str, Any]] = []
    notes = []
    for row in outcome.get("employers", []):
        key = (row["werkgever_id"], row["loonheffingennummer"])
        code, params = None, {}
        if key in seen:
            code = "batch-duplicate-in-run"
            params = {"earlier_file": seen[key][0], "earlier_row": str(seen[key][1])}
        else:
            earlier = ledger.earlier(*key, other_than_sha256=sha)
            if earlier is not None:
                code = "batch-already-registered"
                params = {"earlier_file": earlier.file, "earlier_row": str(earlier.source_row),
                          "earlier_date": earlier.at[:10], "earlier_run": earlier.run_id}
        if code is None:
            seen[key] = (name, row["bron_rij"])
            employers.append({**row, "bron_bestand": name})
            continue
        finding = Finding(code, sheet=outcome.get("sheet"), row=row["bron_rij"],
                          column=outcome.get("werkgever_id_column"), field="werkgever_id",
                          value=row["werkgever_id"],
                          params=(*params.items(), ("lhn", row["loonheffingennummer"])))
        notes.append({"file": name, **finding.to_dict(options.lang)})
    delivered_ids = {e["werkgever_id"] for e in employers}
    dga = [{**d, "bron_bestand": name} for d in outcome.get("dga", [])
           if d["werkgever_id"] in delivered_ids]

    output = _folder(options, path) if outcome["status"] not in ("unreadable", "failed") \
        else None
    with ledger.transaction() as db:
        file_id = ledger.record_file(db, run_id, name, str(path), sha, size, outcome["status"],
                                     outcome.get("counts", {}), outcome.get("error"), output)
        ledger.add_delivery(db, run_id, file_id, employers, dga)
        ledger.add_notes(db, run_id, file_id, notes)
    moved = _move(options, ledger, path, outcome["status"], file_id)
    return {"name": name, "sha256": sha, "size": size, "status": outcome["status"],
            **({"counts": outcome["counts"]} if "counts" in outcome else {}),
            **({"error": outcome["error"]} if outcome.get("error") else {}),
            "output": output, "delivered": {"werkgevers": len(employers), "dga": len(dga)},
            **({"moved_to": moved} if moved else {})}


def _move(options: BatchOptions, ledger: Ledger, path: Path, status: str,
          file_id: int) -> str | None:
    """With --move-to: move the processed file into its status folder, never overwriting."""
    if options.move_to is None:
        return None
    folder = options.move_to / MOVE_FOLDERS[status]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    n = 2
    while target.exists():
        target = folder / f"{path.stem} ({n}){path.suffix}"
        n += 1
    try:
        os.rename(path, target)
    except OSError:  # another file system: copy, then remove the original
        shutil.copy2(path, target)
        path.unlink()
    ledger.set_moved(file_id, str(target))
    return str(target)


# --- the run's outputs, from the ledger ------------------------------------------------------


def finish_outputs(ledger: Ledger, run_id: str, run_dir: Path, lang: Lang,
                   status: str = "finished", extra: list[dict[str, Any]] | None = None) -> None:
    """Write the run's combined delivery, summary.json and index.html; mark the run done."""
    from intake.export import FORMATS, rows_csv

    run_dir.mkdir(parents=True, exist_ok=True)
    for leftover in run_dir.glob(".*.partial-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    employers, dga = ledger.delivery(run_id)
    fmt = FORMATS["standard"]
    for spec, rows in ((WERKGEVERS, employers), (DGA, dga)):
        columns = (*spec.csv_columns[:-1], "bron_bestand", "bron_rij")
        atomic_write_text(run_dir / f"{spec.csv_name}.csv", rows_csv(columns, rows, fmt))
    ledger.finish_run(run_id, status)
    run = ledger.run(run_id)
    assert run is not None
    files = [_file_entry(row) for row in ledger.files(run_id)]
    files += [f for f in (extra or []) if f["status"] == "waiting"]
    summary = {
        "run": {"id": run_id, "started_at": run["started_at"], "finished_at":
                run["finished_at"], "status": run["status"], "inbox": run["inbox"]},
        "files": files,
        "totals": _totals(files),
        "delivery": {"werkgevers": len(employers), "dga": len(dga)},
        "cross_file": ledger.notes(run_id),
    }
    atomic_write_text(run_dir / "summary.json",
                      json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    atomic_write_text(run_dir / "index.html", _index_html(summary, lang))


def _file_entry(row: Any) -> dict[str, Any]:
    entry = {"name": row["name"], "sha256": row["sha256"], "size": row["size"],
             "status": row["status"], "processed_at": row["processed_at"]}
    counts = json.loads(row["counts"])
    if row["status"] == "skipped":
        entry["same_as"] = counts.get("same_as")
    elif counts:
        entry["counts"] = counts
    for key in ("error", "output", "moved_to"):
        if row[key]:
            entry[key] = row[key]
    return entry


def _totals(files: list[dict[str, Any]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for f in files:
        totals[f["status"]] = totals.get(f["status"], 0) + 1
    return totals


def _index_html(summary: dict[str, Any], lang: Lang) -> str:
    import jinja2

    from intake.messages import UI

    # Entries differ in their keys (a skipped file has no counts): absent keys render empty.
    env = jinja2.Environment(loader=jinja2.PackageLoader("intake", "templates"),
                             autoescape=True)
    return env.get_template("batch.html.j2").render(summary=summary, ui=UI[lang], lang=lang)


def history_lines(ledger: Ledger, werkgever_id: str | None) -> Iterator[str]:
    """`intake history`: runs and files, or where an employer was registered."""
    if werkgever_id:
        rows = ledger.registrations(werkgever_id)
        if not rows:
            yield f"Werkgever ID {werkgever_id}: not registered in this ledger"
        for r in rows:
            yield (f"{r['werkgever_id']}  {r['loonheffingennummer']}  {r['processed_at']}  "
                   f"run {r['run_id']}  {r['name']} row {r['source_row']}")
        return
    for run in ledger.runs():
        yield f"run {run['id']}  {run['status']}  started {run['started_at']}  {run['inbox']}"
        for f in ledger.files(run["id"]):
            counts = json.loads(f["counts"])
            rows = counts.get("werkgevers", {})
            detail = (f"{rows.get('accepted', 0)}/{rows.get('rows', 0)} werkgevers accepted"
                      if rows else (f["error"] or ""))
            yield f"  {f['status']:<18} {f['name']}  {detail}  {f['sha256'][:12]}"
