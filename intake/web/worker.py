"""Validate one upload in a process of its own, with the limits of `intake validate`.

Why a process per upload: the validator is CPU-bound Python and native parsers, so in the
server's own process it would stall every other request; its time limit (intake.timelimit) is a
SIGALRM that works only in a main thread; and a file that exhausts memory must take down only
its own process. Each upload therefore runs `intake.pipeline.run` in the main thread of a child
process forked from a forkserver that has the validator imported and warmed up (a fork costs
milliseconds, a fresh interpreter half a second). The child gets an address-space limit; the
parent waits in a worker thread and kills the child at the time limit plus a grace period, the
backstop for native code that the interpreter's alarm cannot interrupt. Large files run niced,
so the small uploads of other bureaus keep getting their answers first.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
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
#: Niceness of the child for a large upload.
LARGE_NICE = 10


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


def _child(conn: Connection, workbook: str, out_dir: str, options: CheckOptions,
           large: bool) -> None:
    """The child process: run the pipeline, send back plain data."""
    if options.max_memory_mb > 0:
        cap = options.max_memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if large:
        os.nice(LARGE_NICE)
    try:
        conn.send(_check(Path(workbook), Path(out_dir), options))
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
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["intake.web.warm"])
    return ctx


def check_upload(workbook: Path, out_dir: Path, options: CheckOptions,
                 large: bool = False) -> CheckOutcome:
    """Check `workbook` into `out_dir` in a child process; blocks (call it from a thread)."""
    from intake.messages import FILE_ERRORS

    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, str(workbook), str(out_dir), options, large),
                        daemon=True)
    child.start()
    send.close()
    limit = options.limits.max_seconds
    try:
        if receive.poll(limit + GRACE_SECONDS if limit > 0 else None):
            try:
                outcome: CheckOutcome = receive.recv()
                return outcome
            except EOFError:
                return CheckOutcome(UploadStatus.FAILED, {}, _died(options.lang))
        child.kill()
        return CheckOutcome(UploadStatus.FAILED, {}, FILE_ERRORS["time-limit"][options.lang])
    finally:
        receive.close()
        child.join(10)
        if child.is_alive():
            child.kill()
            child.join()
