"""`intake batch`: validate every workbook in an inbox, once, and hand over one delivery per run.

Layout of OUTDIR:

    OUTDIR/intake.sqlite            the ledger (runs, files, delivered rows)
    OUTDIR/.intake-batch.lock       locked (flock) while a run is going
    OUTDIR/<run-id>/summary.json    per file: name, sha256, status, counts; cross-file findings
    OUTDIR/<run-id>/index.html      the same as a page, linking to each file's report
    OUTDIR/<run-id>/werkgevers.csv  the run's combined delivery (bron_bestand, bron_rij)
    OUTDIR/<run-id>/dga.csv
    OUTDIR/<run-id>/<file name>/    what `intake validate` writes for that file
    OUTDIR/<run-id>/.work/          private while the run goes: copies of the inbox files and
                                    the outputs of files not yet committed

The guarantees: a file is read once into a private copy (`intake.batch.inbox`), and that copy is
both hashed and validated. A file's ledger rows are committed in one transaction, and only then is
its output folder moved into place and the file moved (--move-to). The run's combined outputs are
derived from the ledger, so a run that was killed is finished by the next one, and a file whose rows
were not committed is processed again. One odd file only ever harms itself: its problem is its
status, never the run's end.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import multiprocessing
import os
import re
import shutil
import signal
import sqlite3
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from intake.batch.inbox import (
    Entry,
    Problem,
    Staged,
    entry_for,
    fit_name,
    list_inbox,
    shown,
    stage,
    unchanged,
)
from intake.batch.ledger import Ledger, LedgerError, now
from intake.batch.outcome import MOVE_FOLDERS, NOT_OK, FileOutcome, from_row
from intake.batch.pages import run_attention, run_page, runs_page
from intake.definition.errors import IntakeError
from intake.definition.fields import DGA, WERKGEVERS
from intake.definition.findings import Finding
from intake.definition.kinds import DEFAULT_CONTRACT_PREFIXES
from intake.definition.messages import STOPS, UI, Lang
from intake.definition.status import Status
from intake.outputs.files import NO_ROOM, atomic_write_text

if TYPE_CHECKING:
    from intake.checking.check import Additions, Checked, Validated
from intake.validation.limits import Limits
from intake.validation.rules import FORMULA_STARTS

LOCK_NAME = ".intake-batch.lock"
DEFAULT_DB_NAME = "intake.sqlite"
WORK_NAME = ".work"
#: A file modified less than this many seconds ago may still be being written: left for later.
DEFAULT_SETTLE_SECONDS = 10.0


class BatchError(IntakeError):
    """The batch cannot run (bad folders, lock held, a full disk): exit 2."""

    code = "batch-cannot-run"


class LockHeld(BatchError):
    """Another run holds OUTDIR's lock."""

    code = "batch-lock-held"


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
    contract_prefixes: tuple[str, ...] = DEFAULT_CONTRACT_PREFIXES
    csv_dialect: str = "standard"
    #: Werkgever IDs to deliver even where they differ from their earlier registration.
    redeliver: tuple[str, ...] = ()
    #: Write a draft message (.eml) per bureau into RUN/berichten/.
    messages: bool = False
    #: Their From (`Name <address>`; None: `intake.batch.mail.DEFAULT_FROM`).
    messages_from: str | None = None
    limits: Limits = field(default_factory=Limits)

    @property
    def ledger_path(self) -> Path:
        """Where the ledger lives (OUTDIR/intake.sqlite unless --db)."""
        return self.db or self.out_dir / DEFAULT_DB_NAME

    @property
    def folder(self) -> Path:
        """The folder the files are read from: INBOX, or the folder of INBOX when it is a file."""
        return self.inbox if self.inbox.is_dir() else self.inbox.parent


@dataclass
class BatchResult:
    """What a run did: its id and folder, its files, notes, and the signal that stopped it."""

    run_id: str
    run_dir: Path
    files: list[FileOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped_by: int | None = None

    @property
    def exit_code(self) -> int:
        """128 + the signal when stopped; else 0 when no file needs attention, 1 otherwise."""
        if self.stopped_by:
            return 128 + self.stopped_by
        return 1 if any(f.status in NOT_OK for f in self.files) else 0


# --- the lock --------------------------------------------------------------------------------


class BatchLock:
    """OUTDIR's lock: a kernel lock (flock) on OUTDIR/.intake-batch.lock, which dies with its
    holder. POSIX only: the nightly batch runs on Linux."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path, self.fd = path, fd

    def release(self) -> None:
        """Remove the lock file, then give the lock back."""
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self.fd)


def acquire_lock(out_dir: Path) -> BatchLock:
    """Take OUTDIR's lock, or raise LockHeld naming the holder."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock (nor the POSIX signals the run relies on)
        raise BatchError.stop("batch-posix-only") from None
    path = out_dir / LOCK_NAME
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise BatchError.stop("batch-cannot-create", path=path, reason=exc.strerror) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "?"
            os.close(fd)
            raise LockHeld(f"een andere verwerking ({holder}) is bezig in {out_dir}; wacht tot "
                           "die klaar is", f"another run ({holder}) holds {path}; wait until "
                           "it has finished") from None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # the holder removed the file as we opened it: lock the new one
            os.close(fd)
            continue
        with contextlib.suppress(OSError):  # who holds it, for the message of a second run
            os.ftruncate(fd, 0)
            os.write(fd, f"pid {os.getpid()}".encode())
        return BatchLock(path, fd)


# --- signals ---------------------------------------------------------------------------------


class _Stop:
    """SIGTERM/SIGINT: the first stops taking files (those in hand are finished and committed),
    a second one ends the worker processes at once (their files are not committed)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.killed = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
            return
        self.killed = True
        _kill_workers()

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """Handle SIGTERM and SIGINT while the block runs (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {s: signal.signal(s, self) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


# --- the run ---------------------------------------------------------------------------------


#: Called after each file is committed: (run id, files done, files to do, the outcome).
Progress = Callable[[str, int, int, FileOutcome], None]


def run_batch(options: BatchOptions, progress: Progress | None = None) -> BatchResult:
    """Process the inbox; return what was done. Raises an IntakeError when it cannot run."""
    if not (options.inbox.is_dir() or options.inbox.is_file()):
        raise BatchError.stop("batch-no-inbox", inbox=options.inbox)
    try:
        options.out_dir.mkdir(parents=True, exist_ok=True)
        probe = options.out_dir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise _cannot_write(options.out_dir, exc) from exc
    lock = acquire_lock(options.out_dir)
    stop = _Stop()
    try:
        with stop.installed():
            ledger = Ledger(options.ledger_path)
            try:
                notes = recover(ledger, options.lang)
                entries = _entries(options)
                if not entries:  # nothing arrived: no run, no empty run folder
                    return BatchResult(run_id="", run_dir=options.out_dir, notes=notes)
                return _Run(options, ledger, notes, progress, stop).go(entries)
            finally:
                ledger.close()
    except sqlite3.OperationalError as exc:
        raise _cannot_write(options.out_dir, exc) from exc
    except sqlite3.DatabaseError as exc:
        broken = STOPS["ledger-broken"]
        raise LedgerError(f"{options.ledger_path}: {broken['nl'].format(detail=exc)}",
                          f"{options.ledger_path}: {broken['en'].format(detail=exc)}") from exc
    except OSError as exc:
        raise _cannot_write(options.out_dir, exc) from exc
    finally:
        lock.release()


def _cannot_write(out_dir: Path, exc: Exception) -> BatchError:
    what = (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc))
    full = (isinstance(exc, OSError) and exc.errno in NO_ROOM) or "full" in what
    fix = STOPS["batch-disk-full" if full else "batch-fix-this"]
    texts = STOPS["batch-cannot-write"]
    return BatchError(texts["nl"].format(folder=out_dir, reason=what, fix=fix["nl"]),
                      texts["en"].format(folder=out_dir, reason=what, fix=fix["en"]),
                      code="batch-cannot-write")


def _entries(options: BatchOptions) -> list[Entry]:
    """The inbox's candidates in arrival order, or the one file named on purpose."""
    if options.inbox.is_dir():
        return list_inbox(options.inbox, options.recursive)
    return [entry_for(options.inbox)]


@dataclass(frozen=True)
class _Job:
    staged: Staged
    folder: str
    pending: Path


@dataclass
class _Decision:
    """The cross-file decisions on one file: the rows delivered, the findings, the earlier
    deliveries they replace, the Excel rows held back (conflicts), and the file's DGAs."""

    employers: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    replaces: dict[int, int] = field(default_factory=dict)
    held: set[int] = field(default_factory=set)
    #: The DGAs delivered with them (those of the employers delivered).
    dga: list[dict[str, Any]] = field(default_factory=list)


class _Run:
    """One run: list the inbox, copy, validate and commit each file, write the outputs."""

    def __init__(self, options: BatchOptions, ledger: Ledger, notes: list[str],
                 progress: Progress | None, stop: _Stop) -> None:
        self.options, self.ledger, self.progress, self.stop = options, ledger, progress, stop
        self.lang: Lang = options.lang
        run_id = _new_run_id(options.out_dir, ledger)
        self.result = BatchResult(run_id=run_id, run_dir=options.out_dir / run_id, notes=notes)
        self.work = self.result.run_dir / WORK_NAME
        (self.work / "in").mkdir(parents=True)
        (self.work / "out").mkdir()
        self.work.chmod(0o700)
        ledger.start_run(run_id, options.inbox, options.out_dir,
                         {"force": options.force, "lang": options.lang, "jobs": options.jobs,
                          "contract_prefixes": list(options.contract_prefixes),
                          "csv_dialect": options.csv_dialect, "messages": options.messages})
        self.folders: set[str] = set()
        self.first: dict[str, str] = {}
        #: Employers delivered in this run: (file, row, the row's values).
        self.seen: dict[tuple[str, str], tuple[str, int, dict[str, Any]]] = {}
        self.lhn_seen: dict[str, tuple[str, str, int]] = {}
        self.waiting: list[FileOutcome] = []
        self.copies = 0
        self.done = 0
        self.total = 0

    def go(self, entries: list[Entry]) -> BatchResult:
        """Do the run over `entries`; return its result."""
        settle_ns = self.options.settle_seconds * 1e9 if self.options.inbox.is_dir() else 0
        now = time.time_ns()
        ready: list[Entry] = []
        for entry in entries:
            if entry.refused is None and now - entry.mtime_ns < settle_ns:
                self._wait(entry, UI[self.lang]["batch_settling"])
            else:
                ready.append(entry)
        self.total = len(ready)
        with contextlib.closing(self._validated(iter(ready))) as validated:
            for job, checked, decision in validated:
                self._guarded(job.staged.entry, partial(self._commit, job, checked, decision))
        summary = finish_outputs(self.ledger, self.result.run_id, self.result.run_dir,
                                 self.lang, status="stopped" if self.stop.signum else "finished",
                                 waiting=self.waiting)
        if self.options.messages:
            from intake.batch.mail import DEFAULT_FROM, sender_address
            from intake.batch.outbox import send

            sender = sender_address(self.options.messages_from or DEFAULT_FROM)
            self.result.notes += send(self.ledger, summary, self.result.run_dir, self.lang,
                                      sender)
            write_runs_index(self.ledger, self.options.out_dir, self.lang)
        self.result.stopped_by = self.stop.signum
        return self.result

    # --- taking files ---

    def _wait(self, entry: Entry, reason: str) -> None:
        outcome = FileOutcome(entry.name, Status.WAITING, reason=reason)
        self.waiting.append(outcome)
        self.result.files.append(outcome)

    def _guarded(self, entry: Entry, step: Callable[[], _Job | None]) -> _Job | None:
        """Run one file's step; a bug there fails that file, not the run. The ledger and the
        disk failing are the run's problem (exit 2)."""
        try:
            return step()
        except (OSError, sqlite3.Error, IntakeError):
            raise
        except Exception as exc:
            detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
            self._record(FileOutcome(entry.name, Status.FAILED, reason=detail), entry.path)
            return None

    def _next_job(self, entries: Iterator[Entry]) -> _Job | None:
        while not self.stop.signum:
            entry = next(entries, None)
            if entry is None:
                return None
            job = self._guarded(entry, partial(self._take, entry))
            if job is not None:
                return job
        return None

    def _take(self, entry: Entry) -> _Job | None:
        """Copy one file; record it at once when it cannot be read or was processed before."""
        self.copies += 1
        folder = self.work / "in" / str(self.copies)
        folder.mkdir()
        base = fit_name(entry.name.rsplit("/", 1)[-1])
        staged = stage(self.options.folder, entry, folder / base,
                       self.options.limits.max_uncompressed_mb * 1024 * 1024)
        if isinstance(staged, Problem):
            shutil.rmtree(folder, ignore_errors=True)
            self._problem(staged)
            return None
        earlier = None if self.options.force else self.ledger.done_before(staged.sha256)
        same_as = (earlier["name"], earlier["run_id"]) if earlier is not None else (
            (self.first[staged.sha256], self.result.run_id) if staged.sha256 in self.first
            else None)
        if same_as is not None:
            shutil.rmtree(folder, ignore_errors=True)
            # What became of it then: a file left unreadable is still the operator's business.
            then = {"status": earlier["status"]} if earlier is not None else {}
            outcome = FileOutcome(entry.name, Status.SKIPPED, staged.sha256, staged.size,
                                  same_as=same_as[0], counts={"same_as": same_as[0],
                                                              "run": same_as[1], **then})
            self._record(outcome, entry.path, staged)
            return None
        self.first[staged.sha256] = entry.name
        if staged.too_big:
            from intake.definition.messages import FILE_ERRORS

            shutil.rmtree(folder, ignore_errors=True)
            self._record(FileOutcome(entry.name, Status.UNREADABLE, staged.sha256, staged.size,
                                     reason=FILE_ERRORS["too-big"][self.lang]),
                         entry.path, staged)
            return None
        name = self._folder(entry.name)
        return _Job(staged, name, self.work / "out" / name)

    def _problem(self, problem: Problem) -> None:
        entry, lang = problem.entry, self.lang
        if problem.kind == "changing":
            self._wait(entry, UI[lang]["batch_changing"])
            return
        status = {"vanished": Status.VANISHED, "refused": Status.REFUSED,
                  "inaccessible": Status.INACCESSIBLE}[problem.kind]
        detail = UI[lang].get(f"entry_{problem.detail}", problem.detail)
        reason = UI[lang][f"batch_{problem.kind}"].format(what=detail)
        self._record(FileOutcome(entry.name, status, reason=reason), entry.path)

    def _folder(self, name: str) -> str:
        """A folder name for the file's outputs: unique in the run, short enough for a path."""
        flat = name.replace("/", "__")
        folder, n = fit_name(flat, 200), 1
        while folder in self.folders or (self.result.run_dir / folder).exists():
            n += 1
            folder = fit_name(flat, 200, f" ({n})")
        self.folders.add(folder)
        return folder

    # --- validating ---

    def _validated(self, entries: Iterator[Entry],
                   ) -> Generator[tuple[_Job, Checked, _Decision | None], None, None]:
        """Each job's outcome, in arrival order, checked by `jobs` child processes; at most
        `jobs` files are in hand at a time, so a stop takes effect at once. The cross-file
        decisions are made here, in arrival order, while the file's child waits for them, so
        that it writes its outputs once."""
        from intake.checking.check import Settings, bounds, outcome, submit
        from intake.checking.sandbox import Sandbox, give_back, take
        from intake.definition.status import Door
        from intake.validation.validate import Options

        jobs = max(1, self.options.jobs)
        settings = Settings(Options(contract_prefixes=self.options.contract_prefixes,
                                    limits=self.options.limits), lang=self.lang,
                            dialect=self.options.csv_dialect,  # type: ignore[arg-type]
                            door=Door.BATCH)
        queue: deque[tuple[_Job, Sandbox]] = deque()
        boxes: list[Sandbox] = []
        idle: list[Sandbox] = []
        try:
            while True:
                while len(queue) < jobs and not self.stop.killed:
                    job = self._next_job(entries)
                    if job is None:
                        break
                    if not idle:
                        boxes.append(take(bounds(self.options.limits)))
                        idle.append(boxes[-1])
                    box = idle.pop()
                    submit(box, job.staged.copy, job.pending, settings, decides=True)
                    queue.append((job, box))
                if not queue or self.stop.killed:
                    return
                job, box = queue.popleft()
                seen, lhn_seen = dict(self.seen), dict(self.lhn_seen)
                decisions: list[_Decision] = []
                checked = outcome(box, job.pending, partial(self._decide, job, decisions))
                idle.append(box)
                if self.stop.killed:
                    return
                if not checked.checked:  # nothing of it is delivered: as if never decided
                    self.seen, self.lhn_seen = seen, lhn_seen
                    decisions.clear()
                yield job, checked, decisions[0] if decisions else None
        finally:
            for box in boxes:  # an idle child stays warm; one with a job in hand goes
                if box in idle:
                    give_back(box)
                else:
                    box.close(kill=True)

    def _decide(self, job: _Job, decisions: list[_Decision], validated: Validated,
                ) -> Additions:
        """The cross-file decisions on a validated file, kept for its commit; the findings and
        held rows go back to its child, for its outputs."""
        from intake.checking.check import Additions

        decision = self._cross_file(job.staged.entry.name, validated, job.staged.sha256)
        decisions.append(decision)
        return Additions(tuple(decision.findings), frozenset(decision.held),
                         (len(decision.employers), len(decision.dga)))

    # --- committing ---

    def _commit(self, job: _Job, checked: Checked, decision: _Decision | None) -> None:
        """One transaction: the file, its delivered rows, its notes. Then its outputs are
        moved into place and the file into its --move-to folder."""
        if checked.cannot_write is not None:
            raise OSError(checked.errno or errno.EIO, checked.cannot_write[2])
        staged, name = job.staged, job.staged.entry.name
        decision = decision or _Decision()
        notes = [{"file": name, **f.to_dict(self.lang)} for f in decision.findings]
        dga = [{**d, "bron_bestand": inert(name)} for d in decision.dga]
        status = checked.status
        counts = dict(checked.counts)
        if decision.held:
            counts["conflicts"] = len(decision.held)
        reason = checked.message(self.lang)
        if reason and (checked.detail or checked.trace):  # the operator reads it
            reason += f" ({checked.detail or checked.trace})"
        if status in (Status.PARTIAL, Status.REJECTED):
            reason = UI[self.lang]["batch_findings"].format(
                errors=counts.get("errors", 0), warnings=counts.get("warnings", 0),
                output=job.folder)
        output = job.folder if job.pending.is_dir() else None
        outcome = FileOutcome(name, status, staged.sha256, staged.size, reason=reason,
                              counts=counts or None, output=output,
                              delivered=(len(decision.employers), len(dga)))
        self._record(outcome, staged.entry.path, staged, decision.employers, dga, notes,
                     decision.replaces)
        shutil.rmtree(staged.copy.parent, ignore_errors=True)

    def _cross_file(self, name: str, validation: Validated, sha256: str) -> _Decision:
        """Which accepted rows are delivered: each employer at most once, whatever the file
        and however it came (`--force` included). Delivered before with the same data: not
        delivered again (a warning); with other data: a conflict (an error), unless
        --redeliver names it, which replaces the registration once: one decision per employer
        per run, so a second changed copy in the same run is a conflict with the first. A
        registration a.s.r. refused is delivered again by a file sent since, not by the same
        content processed again (`sha256`, processed before the refusal: --force)."""
        employers: list[dict[str, Any]] = []
        notes: list[Finding] = []
        replaces: dict[int, int] = {}
        conflicts: set[int] = set()
        rows = validation.employer_rows()

        def deliver(key: tuple[str, str], row: dict[str, Any],
                    replacing: int | None = None) -> None:
            if replacing is not None:
                replaces[len(employers)] = replacing
            self.seen[key] = (name, row["bron_rij"], row)
            employers.append({**row, "bron_bestand": inert(name)})

        for row in rows:
            key = (row["werkgever_id"], row["loonheffingennummer"])
            in_run = self.seen.get(key)
            earlier = None if in_run is not None else self.ledger.earlier(*key)
            if in_run is None and earlier is None:
                deliver(key, row)
                continue
            if in_run is not None:
                code = "batch-duplicate-in-run"
                params = {"earlier_file": in_run[0], "earlier_row": str(in_run[1]),
                          "earlier_date": _shown_date(now(), self.lang),
                          "earlier_run": self.result.run_id}
                fields = _differences(in_run[2], row)
            else:
                assert earlier is not None
                code = "batch-already-registered"
                params = {"earlier_file": earlier.file, "earlier_row": str(earlier.source_row),
                          "earlier_date": _shown_date(earlier.at, self.lang),
                          "earlier_run": earlier.run_id}
                fields = _differences(json.loads(earlier.data), row)
                state = self.ledger.current(*key)
                if state is not None and state.state == "refused":
                    # a.s.r. refused it: a new delivery is what the bureau can do about it,
                    # whatever its data (so no fields to differ, no conflict); the content
                    # processed before the refusal, checked again, is no new delivery
                    params["reason"] = state.reason or "-"
                    fields = []
                    before = self.ledger.done_before(sha256)
                    if before is not None and before["processed_at"] <= state.at:
                        code = "batch-refused-same-content"
                    else:
                        code = "batch-after-refusal"
                        deliver(key, row, earlier.employer_id)
            if fields and earlier is not None and row["werkgever_id"] in self.options.redeliver:
                code = "batch-redelivered"
                deliver(key, row, earlier.employer_id)
            elif fields:
                code = "batch-conflict"
                conflicts.add(row["bron_rij"])
            if fields:
                params["fields"] = ", ".join(fields)
            finding = Finding(code, sheet=validation.sheet, row=row["bron_rij"],
                              column=validation.werkgever_id_column, field="werkgever_id",
                              value=row["werkgever_id"],
                              params=(*params.items(), ("lhn", row["loonheffingennummer"])))
            notes.append(finding)
        for row in rows:
            other = self._other_employer(name, row)
            if other is not None:
                finding = Finding("batch-lhn-other-employer", sheet=validation.sheet,
                                  row=row["bron_rij"], column=validation.werkgever_id_column,
                                  field="werkgever_id", value=row["werkgever_id"],
                                  params=(*other.items(), ("lhn", row["loonheffingennummer"])))
                notes.append(finding)
        delivered = {e["werkgever_id"] for e in employers}
        dga = [d for d in validation.dga_rows() if d["werkgever_id"] in delivered]
        return _Decision(employers, notes, replaces, conflicts, dga)

    def _other_employer(self, name: str, row: Mapping[str, Any]) -> dict[str, str] | None:
        """Where this row's loonheffingennummer was given under another Werkgever ID: earlier
        in this run (this file included), or in the ledger."""
        lhn, wid = row["loonheffingennummer"], row["werkgever_id"]
        known = self.lhn_seen.setdefault(lhn, (wid, name, row["bron_rij"]))
        if known[0] != wid:
            return {"other_id": known[0], "earlier_file": known[1],
                    "earlier_row": str(known[2])}
        earlier = self.ledger.other_employer(lhn, wid)
        if earlier is None:
            return None
        return {"other_id": earlier.werkgever_id, "earlier_file": earlier.file,
                "earlier_row": str(earlier.source_row)}

    def _record(self, outcome: FileOutcome, path: Path, staged: Staged | None = None,
                employers: list[dict[str, Any]] | None = None,
                dga: list[dict[str, Any]] | None = None,
                notes: list[dict[str, Any]] | None = None,
                replaces: dict[int, int] | None = None) -> None:
        ledger, run_id = self.ledger, self.result.run_id
        counts = dict(outcome.counts or {})
        with ledger.transaction() as db:
            file_id = ledger.record_file(db, run_id, outcome.name, _shown_path(path),
                                         outcome.sha256, outcome.size, str(outcome.status),
                                         counts, outcome.reason, outcome.output)
            ledger.add_delivery(db, run_id, file_id, employers or [], dga or [], replaces)
            ledger.add_notes(db, run_id, file_id, notes or [])
        if outcome.output:
            job_out = self.work / "out" / outcome.output
            os.replace(job_out, self.result.run_dir / outcome.output)
        moved = self._move(staged, outcome.status, file_id) if staged is not None else None
        outcome = replace(outcome, moved_to=moved)
        self.result.files.append(outcome)
        self.done += 1
        if self.progress:
            self.progress(self.result.run_id, self.done, self.total, outcome)

    def _move(self, staged: Staged, status: Status, file_id: int) -> str | None:
        """With --move-to: move the file into its status folder, never overwriting, and only
        when it is still the file that was read (else the new content waits for next run)."""
        if self.options.move_to is None or status not in MOVE_FOLDERS:
            return None
        path = staged.entry.path
        try:
            if not unchanged(staged):
                raise OSError(errno.ESTALE, "changed or replaced since it was read")
            target = _move_file(path, self.options.move_to / MOVE_FOLDERS[status])
        except OSError as exc:
            self.result.notes.append(UI[self.lang]["batch_not_moved"].format(
                name=staged.entry.name, why=exc.strerror or exc))
            return None
        shown = _shown_path(target)
        self.ledger.set_moved(file_id, shown)
        return shown


def _shown_date(at: str, lang: Lang) -> str:
    """The date of a ledger timestamp (UTC) as it was in the Netherlands: 30-11-2026 in Dutch,
    2026-11-30 in English."""
    from intake.outputs.layout import local_zone, parsed_time

    moment = parsed_time(at)
    if moment is None:
        return at[:10]
    return moment.astimezone(local_zone()).strftime("%d-%m-%Y" if lang == "nl" else "%Y-%m-%d")


def _differences(earlier: Mapping[str, Any], row: Mapping[str, Any]) -> list[str]:
    """The labels of the fields in which `row` differs from the `earlier` registration; fields
    `intake prune` blanked in it (listed under its "_pruned") are not compared."""
    forgotten = set(earlier.get("_pruned") or ())
    return [f.label for f in WERKGEVERS.fields if f.name not in forgotten
            and str(earlier.get(f.name, "") or "") != str(row.get(f.name, "") or "")]


def _kill_workers() -> None:
    for child in multiprocessing.active_children():
        with contextlib.suppress(OSError):
            os.kill(child.pid or 0, signal.SIGKILL)


def _move_file(path: Path, folder: Path) -> Path:
    """Move `path` into `folder` under its own name, or `name (n)` where that is taken; a
    hard link refuses to overwrite, so a file of the same name is never replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        target = folder / fit_name(path.name, tail="" if n == 1 else f" ({n})")
        try:
            os.link(path, target, follow_symlinks=False)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP):
                raise
            if target.exists():
                continue
            shutil.copy2(path, target, follow_symlinks=False)
        path.unlink()
        return target
    raise OSError(errno.EEXIST, f"no free name in {folder}")


def _shown_path(path: Path) -> str:
    return shown(str(path))


_UNSAFE_CHARS = re.compile("[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u061c]")


def inert(name: str) -> str:
    """A file name as `bron_bestand`: control and invisible characters written as `\\uXXXX`, and
    a leading `'` when it starts like a formula (=, +, -, @), so no spreadsheet runs it."""
    safe = _UNSAFE_CHARS.sub(lambda m: f"\\u{ord(m.group()):04x}", name)
    return f"'{safe}" if safe.startswith(FORMULA_STARTS) else safe


def _new_run_id(out_dir: Path, ledger: Ledger) -> str:
    base = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    run_id, n = base, 1
    while ledger.run_exists(run_id) or (out_dir / run_id).exists():
        n += 1
        run_id = f"{base}-{n}"
    return run_id


# --- finishing ---------------------------------------------------------------------------------


def recover(ledger: Ledger, lang: Lang) -> list[str]:
    """Finish the runs whose process died: move the outputs of committed files into place,
    drop what was not committed, write the outputs from the ledger. Returns notes."""
    notes = []
    for unfinished in ledger.unfinished_runs():
        run_dir = Path(unfinished["out_dir"]) / unfinished["id"]
        pending = run_dir / WORK_NAME / "out"
        for row in ledger.files(unfinished["id"]):
            output = row["output"]
            if output and (pending / output).is_dir() and not (run_dir / output).exists():
                os.replace(pending / output, run_dir / output)
        shutil.rmtree(run_dir / WORK_NAME, ignore_errors=True)
        finish_outputs(ledger, unfinished["id"], run_dir, lang, status="interrupted")
        notes.append(f"run {unfinished['id']} was interrupted; its outputs were completed "
                     "from the ledger")
    return notes


def _corrected_later(files: list[dict[str, Any]], delivered_by: Mapping[str, str]) -> None:
    """Mark the files whose rejected employers were all delivered by other files of the same
    run (`corrected_by`: their names): a bureau that sent a corrected copy is not asked to
    correct the first one. The Werkgever IDs themselves stay out of summary.json."""
    for entry in files:
        rejected = (entry.get("counts") or {}).pop("rejected_ids", None)
        if rejected and all(delivered_by.get(i) not in (None, entry["name"]) for i in rejected):
            entry["corrected_by"] = sorted({delivered_by[i] for i in rejected})


def finish_outputs(ledger: Ledger, run_id: str, run_dir: Path, lang: Lang,
                   status: str = "finished", waiting: list[FileOutcome] | None = None,
                   ) -> dict[str, Any]:
    """Write the run's combined delivery, summary.json and index.html; mark the run done.
    Returns the summary."""
    from intake.outputs.contract import write_datapackage
    from intake.outputs.export import FORMATS, write_rows_csv

    run_dir.mkdir(parents=True, exist_ok=True)
    for leftover in run_dir.glob(".*.partial-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    employers, dga = ledger.delivery(run_id)
    recorded = ledger.run(run_id)
    options = json.loads(recorded["options"]) if recorded else {}
    dialect = options.get("csv_dialect") or "standard"
    if dialect not in FORMATS:
        dialect = "standard"
    fmt = FORMATS[dialect]
    for spec, rows in ((WERKGEVERS, employers), (DGA, dga)):
        columns = (*spec.csv_columns[:-1], "bron_bestand", "bron_rij")
        write_rows_csv(run_dir / f"{spec.csv_name}.csv", columns, rows, fmt)
    write_datapackage(run_dir, dialect, tuple(options.get("contract_prefixes") or ("A020",)),
                      combined=True)
    shutil.rmtree(run_dir / WORK_NAME, ignore_errors=True)
    ledger.finish_run(run_id, status)
    run = ledger.run(run_id)
    assert run is not None
    delivered = ledger.delivered_counts(run_id)
    files = [from_row(row, delivered.get(row["id"], (0, 0))).to_json()
             for row in ledger.files(run_id)]
    files += [f.to_json() for f in waiting or []]
    _corrected_later(files, ledger.delivered_by(run_id))
    summary = {
        "run": {"id": run_id, "started_at": run["started_at"], "finished_at":
                run["finished_at"], "status": run["status"], "inbox": run["inbox"]},
        "files": files,
        "totals": _totals(files),
        "werkgevers": {k: sum(int(((f.get("counts") or {}).get("werkgevers") or {}).get(k, 0))
                              for f in files) for k in ("rows", "accepted", "rejected")}
        | {"delivered": len(employers)},
        "delivery": {"werkgevers": len(employers), "dga": len(dga)},
        "cross_file": ledger.notes(run_id),
    }
    atomic_write_text(run_dir / "summary.json",
                      json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    atomic_write_text(run_dir / "index.html", run_page(summary, lang))
    write_runs_index(ledger, run_dir.parent, lang)
    return summary


def write_runs_index(ledger: Ledger, out_dir: Path, lang: Lang) -> None:
    """OUTDIR/index.html: every run of the ledger that has a folder there, newest first."""
    runs = []
    for run in ledger.runs():
        if not (out_dir / run["id"] / "index.html").is_file():
            continue
        files = ledger.files(run["id"])
        delivered = sum(w for w, _ in ledger.delivered_counts(run["id"]).values())
        runs.append({"id": run["id"], "started_at": run["started_at"],
                     "status": run["status"], "files": len(files), "delivered": delivered,
                     "attention": run_attention(out_dir / run["id"] / "summary.json")})
    atomic_write_text(out_dir / "index.html", runs_page(runs, lang))


def _totals(files: list[dict[str, Any]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for f in files:
        totals[f["status"]] = totals.get(f["status"], 0) + 1
    return totals


