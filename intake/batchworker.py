"""One file of a batch, validated in a worker process; the workers' signal rules."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from intake.messages import Lang
from intake.outcome import Status
from intake.safety import Limits

if TYPE_CHECKING:
    from intake.findings import Finding
    from intake.validate import Result

_WORKER_PID = 0


#: The signals the main process handles for the whole run.
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def signals_blocked() -> Iterator[None]:
    """Block SIGINT and SIGTERM in this thread while the block runs (a process started in it
    inherits the mask; one that arrives meanwhile is delivered after)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def worker_init() -> None:
    """Workers leave SIGTERM and SIGINT to the main process (which finishes the files in hand),
    and die with it (Linux)."""
    from intake.process import few_malloc_arenas

    global _WORKER_PID
    few_malloc_arenas()
    _WORKER_PID = os.getpid()
    signal.signal(signal.SIGINT, _worker_signal)
    signal.signal(signal.SIGTERM, _worker_signal)
    # And kept blocked for the worker's life (it was started with them blocked: see
    # signals_blocked), in every thread it starts: polars turns a SIGINT that reaches its
    # threads into a KeyboardInterrupt inside the validation, whatever the handler says.
    # The main process ends its workers itself (SIGKILL, or the pool's shutdown).
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    if sys.platform == "linux":
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _worker_signal(signum: int, frame: FrameType | None) -> None:
    """Ignored by the worker itself; a process the validator forks (and that inherited this
    handler) takes the signal's default action, so its pool can still terminate it."""
    if os.getpid() != _WORKER_PID:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


# --- one file, in a worker process ----------------------------------------------------------


@dataclass(frozen=True)
class Validation:
    """What a worker found for one file (plain data: it crosses a process boundary)."""

    status: Status
    reason: str | None = None
    counts: Mapping[str, Any] | None = None
    employers: tuple[dict[str, Any], ...] = ()
    dga: tuple[dict[str, Any], ...] = ()
    werkgever_id_column: str | None = None
    sheet: str | None = None
    cannot_write: tuple[int, str] | None = None
    #: The validator's result (as `portable` makes it), so that the cross-file findings can
    #: be added to its outputs.
    result: tuple[Any, ...] | None = None

    def full_result(self) -> Result | None:
        """The validator's result, back from its portable form."""
        return None if self.result is None else _restore(self.result)


def _portable(result: Result) -> tuple[Any, ...]:
    """`result` without its sheet specs (their rules hold functions, which do not pickle)."""
    from dataclasses import fields

    def sheet(data: Any) -> dict[str, Any]:
        return {f.name: getattr(data, f.name) for f in fields(data) if f.name != "spec"}

    return (result.path, sheet(result.werkgevers), sheet(result.dga), result.findings,
            result.sheet_names)


def _restore(portable: tuple[Any, ...]) -> Result:
    from intake.fields import DGA, WERKGEVERS
    from intake.sheetdata import SheetData
    from intake.validate import Result

    path, werkgevers, dga, findings, sheet_names = portable
    return Result(path=path, werkgevers=SheetData(spec=WERKGEVERS, **werkgevers),
                  dga=SheetData(spec=DGA, **dga), findings=findings, sheet_names=sheet_names)


def process_file(path: str, target: str, prefixes: tuple[str, ...], lang: Lang,
                 dialect: str, limits: Limits | None = None) -> Validation:
    """Validate the copy at `path`, writing its outputs into `target`.

    A bug in the validator becomes status 'failed' with the error, the time limit 'timed-out';
    an OSError writing the outputs is the run's problem (`cannot_write`), not the file's.
    """
    from intake.messages import FILE_ERRORS
    from intake.pipeline import run
    from intake.reader import UnreadableWorkbook
    from intake.timelimit import TimeLimitExceeded
    from intake.validate import Options

    timed_out = Validation(Status.TIMED_OUT, FILE_ERRORS["time-limit"][lang])
    try:
        outcome = run(Path(path), Path(target),
                      Options(contract_prefixes=prefixes, limits=limits or Limits()),
                      lang=lang, dialect=dialect)  # type: ignore[arg-type]
    except TimeLimitExceeded:
        return timed_out
    except UnreadableWorkbook as exc:
        if isinstance(exc.__cause__, TimeLimitExceeded):
            return timed_out
        return Validation(Status.UNREADABLE, FILE_ERRORS[exc.reason][lang])
    except OSError as exc:
        return Validation(Status.FAILED, cannot_write=(exc.errno or errno.EIO,
                                                       exc.strerror or str(exc)))
    except Exception as exc:
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return Validation(Status.FAILED, detail)
    return from_result(outcome.result)


def status_of(result: Result) -> Status:
    """accepted when every employer is accepted and nothing is an error; partially accepted
    when some are; rejected when none is."""
    accepted = result.werkgevers.accepted
    if result.valid and accepted == len(result.werkgevers) and accepted:
        return Status.ACCEPTED
    return Status.PARTIAL if accepted else Status.REJECTED


def from_result(result: Result) -> Validation:
    """What the batch needs of a validation result."""
    from intake.export import accepted_rows

    names = result.werkgevers.values.get("salarisverwerker_naam") or []
    emails = result.werkgevers.values.get("salarisverwerker_email") or []
    bureaus = sorted({(str(n or ""), str(e or "")) for n, e in zip(names, emails, strict=False)
                      if n or e})
    counts = {"werkgevers": result.werkgevers.counts(), "dga": result.dga.counts(),
              "errors": result.errors, "warnings": result.warnings,
              "bureaus": [list(b) for b in bureaus]}
    return Validation(status_of(result), counts=counts,
                      employers=tuple(accepted_rows(result.werkgevers)),
                      dga=tuple(accepted_rows(result.dga)),
                      werkgever_id_column=result.werkgevers.columns.get("werkgever_id"),
                      sheet=result.werkgevers.sheet, result=_portable(result))


def with_cross_file(result: Result, extra: list[Finding], held: set[int]) -> Result:
    """`result` with the batch's cross-file findings added: the Werkgevers rows in `held` (Excel
    row numbers, a conflict) are rejected, and so are their DGAs (saying why)."""
    from dataclasses import replace as copy

    from intake.crosschecks import dga_of_rejected_employers
    from intake.fields import SHEETS

    werkgevers = copy(result.werkgevers, rejected=[
        bad or row in held for bad, row in zip(result.werkgevers.rejected,
                                              result.werkgevers.rows, strict=True)])
    dga = copy(result.dga, rejected=list(result.dga.rejected))
    findings = [*result.findings, *extra, *dga_of_rejected_employers(werkgevers, dga)]
    order = {spec.name: n for n, spec in enumerate(SHEETS)}
    rank = {werkgevers.sheet: 0, dga.sheet: 1}
    findings.sort(key=lambda f: (f.row is not None, rank.get(f.sheet, order.get(
        f.sheet or "", 2)), f.row or 0, len(f.column or ""), f.column or ""))
    return copy(result, werkgevers=werkgevers, dga=dga, findings=findings)


def rewrite_outputs(result: Result, target: Path, prefixes: tuple[str, ...], lang: Lang,
                    dialect: str, delivered: tuple[int, int]) -> None:
    """Write report.json, report.html, the CSVs and the feedback workbook of `result` into
    `target` again (the file's pending output folder), with what was delivered."""
    from intake.export import write_csvs
    from intake.feedback import write_feedback
    from intake.htmlreport import write_html
    from intake.report import build_report, write_report_json
    from intake.validate import Options

    report = build_report(result, Options(contract_prefixes=prefixes), lang,
                          delivered=delivered)
    write_report_json(report, target / "report.json")
    write_html(result, report, target / "report.html", lang)
    write_csvs(result, target, dialect, prefixes)  # type: ignore[arg-type]
    write_feedback(result, target, lang, delivered=delivered)
