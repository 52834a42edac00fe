"""Validate uploads in worker processes, with the limits of `intake validate`.

Why processes: the validator is CPU-bound Python and native parsers, so in the server's own
process it would stall every other request; its time limit (intake.timelimit) is a SIGALRM that
works only in a main thread; and a file that exhausts memory must take down only its own
process. So each check runs `intake.pipeline.run` in the main thread of a worker process.

Workers are kept warm between checks (a check then costs what the validator costs, not a new
interpreter) in two lanes: small files, and large files at low priority so that the small
uploads of other bureaus keep getting answers first. Workers are spawned (a fresh interpreter,
never a fork: the validator's polars keeps a thread pool, and a process forked from one with
threads can hang on a lock one of them held) and warm themselves on a sample before their first
check. Each has an address-space limit. The server waits
for a result in a thread and kills the worker at the time limit plus a grace period, the backstop
for native code that the interpreter's alarm cannot interrupt; a worker that was killed, died,
or has done its share of checks is replaced by a fresh one.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import resource
import threading
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from intake.messages import Lang
from intake.safety import Limits
from intake.web.store import UploadStatus

#: Seconds past the time limit after which the child is killed outright.
GRACE_SECONDS = 5.0
#: What a worker says when it takes a job: a worker that dies before saying it never started
#: the job, which then goes to a fresh worker.
STARTED = "started"
#: Seconds a worker may take to say it started.
START_SECONDS = 30.0
#: Niceness of the child for a large upload.
LARGE_NICE = 19


@dataclass(frozen=True)
class CheckOptions:
    """How an upload is checked: the CLI's limits and contract prefixes, plus a memory cap."""

    limits: Limits
    contract_prefixes: tuple[str, ...]
    lang: Lang = "nl"
    max_memory_mb: int = 3072


@dataclass(frozen=True)
class CheckOutcome:
    """What the check found: a status, the counts of report.json, an error for the person."""

    status: UploadStatus
    counts: dict[str, Any]
    error: str | None = None
    valid: bool = False


def _lowest_priority() -> None:
    """This process (and the threads it starts later, such as polars' pool) runs only when the
    small lane leaves a core idle: SCHED_IDLE where Linux offers it (a nice-19 process still
    takes a share when both compete), nice 19 as well and elsewhere."""
    os.nice(LARGE_NICE)
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def _serve(conn: Connection, max_memory_mb: int, large: bool) -> None:
    """A worker process: check one job after another until told to stop (None)."""
    from intake.process import few_malloc_arenas
    from intake.web.warm import warm

    few_malloc_arenas(limited=max_memory_mb > 0)
    if not large:  # a large lane's worker does one check: warming would only delay it
        warm()
    if max_memory_mb > 0:
        cap = max_memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if large:
        _lowest_priority()
    try:
        while True:
            job = conn.recv()
            if job is None:
                return
            conn.send(STARTED)
            workbook, out_dir, options = job
            conn.send(_check(Path(workbook), Path(out_dir), options))
    except (EOFError, KeyboardInterrupt):
        return
    finally:
        conn.close()


def _check(workbook: Path, out_dir: Path, options: CheckOptions) -> CheckOutcome:
    from intake.messages import FILE_ERRORS
    from intake.pipeline import run
    from intake.reader import UnreadableWorkbook
    from intake.timelimit import TimeLimitExceeded
    from intake.validate import Options

    lang = options.lang
    try:
        outcome = run(workbook, out_dir, Options(contract_prefixes=options.contract_prefixes,
                                                 limits=options.limits), lang=lang)
    except UnreadableWorkbook as exc:
        if _caused_by_time_limit(exc, TimeLimitExceeded):
            # The reader turns any error while parsing into "damaged"; when that error was
            # the time limit, saying the file is damaged would not be true.
            return CheckOutcome(UploadStatus.FAILED, {}, FILE_ERRORS["time-limit"][lang])
        return CheckOutcome(UploadStatus.UNREADABLE, {}, FILE_ERRORS[exc.reason][lang])
    except TimeLimitExceeded:
        return CheckOutcome(UploadStatus.FAILED, {}, FILE_ERRORS["time-limit"][lang])
    except MemoryError:
        return CheckOutcome(UploadStatus.FAILED, {}, _too_much_memory(lang))
    except Exception as exc:  # a bug in the validator: recorded, the server goes on
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return CheckOutcome(UploadStatus.FAILED, {}, detail)
    result = outcome.result
    counts = {"werkgevers": result.werkgevers.counts(), "dga": result.dga.counts(),
              "errors": result.errors, "warnings": result.warnings}
    accepted = result.werkgevers.accepted
    if result.valid and accepted and accepted == len(result.werkgevers):
        status = UploadStatus.ACCEPTED
    elif accepted:
        status = UploadStatus.PARTIAL
    else:
        status = UploadStatus.REJECTED
    return CheckOutcome(status, counts, None, result.valid)


def _caused_by_time_limit(exc: BaseException, limit: type[BaseException]) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, limit):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _too_much_memory(lang: Lang) -> str:
    return ("het controleren had meer geheugen nodig dan de grens; splits de werkmap"
            if lang == "nl" else
            "checking needed more memory than the limit; split the workbook")


def _died(lang: Lang) -> str:
    return ("het controleren is afgebroken (te veel geheugen of een fout in het programma); "
            "splits de werkmap of neem contact op met a.s.r." if lang == "nl" else
            "checking was aborted (out of memory or a program fault); split the workbook or "
            "contact a.s.r.")


def _context() -> Any:
    return multiprocessing.get_context("spawn")


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, max_memory_mb: int, large: bool) -> None:
        ctx = _context()
        self.conn, child_end = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child_end, max_memory_mb, large),
                                   daemon=True)
        self.process.start()
        child_end.close()
        self.jobs = 0

    def stop(self, kill: bool = False) -> None:
        """End the process: ask it to (or kill it), then reap it."""
        if not kill:
            try:
                self.conn.send(None)
            except OSError:
                kill = True
        if kill:
            self.process.kill()
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class Lane:
    """Up to `size` warm workers; `check` blocks, so call it from at most `size` threads."""

    #: A worker is replaced after this many checks (memory a long life may gather).
    JOBS_PER_WORKER = 200

    def __init__(self, size: int, max_memory_mb: int, large: bool = False) -> None:
        self.size = size
        self.max_memory_mb = max_memory_mb
        self.large = large
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()

    def pids(self) -> list[int]:
        """The worker processes' ids (for operations and tests)."""
        with self._lock:
            return [w.process.pid for w in self._all if w.process.pid is not None]

    def _take(self) -> _Worker:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            # An idle worker has nothing to say: a readable pipe is the EOF of one that died
            # while waiting (killed by an operator or the out-of-memory killer).
            if not worker.conn.poll(0) and worker.process.is_alive():
                return worker
            self._drop(worker, kill=True)
        worker = _Worker(self.max_memory_mb, self.large)
        with self._lock:
            self._all.add(worker)
        return worker

    def _drop(self, worker: _Worker, kill: bool) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.stop(kill=kill)

    def check(self, workbook: Path, out_dir: Path, options: CheckOptions) -> CheckOutcome:
        """Check `workbook` into `out_dir` in a worker; blocks until done or killed."""
        from intake.messages import FILE_ERRORS

        limit = options.limits.max_seconds
        for _ in range(self.size + 1):  # every idle worker may be dead, then a fresh one
            worker = self._take()
            try:
                worker.conn.send((str(workbook), str(out_dir), options))
                if worker.conn.poll(START_SECONDS) and worker.conn.recv() == STARTED:
                    break
            except (EOFError, OSError):
                pass
            self._drop(worker, kill=True)  # dead before it took the job: try a fresh one
        else:
            return CheckOutcome(UploadStatus.FAILED, {}, _died(options.lang))
        try:
            if not worker.conn.poll(limit + GRACE_SECONDS if limit > 0 else None):
                self._drop(worker, kill=True)
                return CheckOutcome(UploadStatus.FAILED, {},
                                    FILE_ERRORS["time-limit"][options.lang])
            outcome: CheckOutcome = worker.conn.recv()
        except (EOFError, OSError):
            self._drop(worker, kill=True)
            return CheckOutcome(UploadStatus.FAILED, {}, _died(options.lang))
        worker.jobs += 1
        if self.large or worker.jobs >= self.JOBS_PER_WORKER:
            self._drop(worker, kill=False)  # a large file's memory goes with its worker
        else:
            self._idle.put(worker)
        return outcome

    def prestart(self) -> None:
        """Start every worker now, so the first uploads do not wait for one."""
        started = [self._take() for _ in range(self.size)]
        for worker in started:
            self._idle.put(worker)

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop(kill=True)
