"""One file of a batch, validated in a worker process; the workers' signal rules."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from intake.messages import Lang
from intake.outcome import Status
from intake.safety import Limits

_WORKER_PID = 0


def worker_init() -> None:
    """Workers leave SIGTERM and SIGINT to the main process (which finishes the files in hand),
    and die with it (Linux)."""
    from intake.process import few_malloc_arenas

    global _WORKER_PID
    few_malloc_arenas()
    _WORKER_PID = os.getpid()
    signal.signal(signal.SIGINT, _worker_signal)
    signal.signal(signal.SIGTERM, _worker_signal)
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


def process_file(path: str, target: str, prefixes: tuple[str, ...], lang: Lang,
                 dialect: str, limits: Limits | None = None) -> Validation:
    """Validate the copy at `path`, writing its outputs into `target`.

    A bug in the validator becomes status 'failed' with the error, the time limit 'timed-out';
    an OSError writing the outputs is the run's problem (`cannot_write`), not the file's.
    """
    from intake.export import accepted_rows
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
    result = outcome.result
    names = result.werkgevers.values.get("salarisverwerker_naam") or []
    emails = result.werkgevers.values.get("salarisverwerker_email") or []
    bureaus = sorted({(str(n or ""), str(e or "")) for n, e in zip(names, emails, strict=False)
                      if n or e})
    counts = {"werkgevers": result.werkgevers.counts(), "dga": result.dga.counts(),
              "errors": result.errors, "warnings": result.warnings,
              "bureaus": [list(b) for b in bureaus]}
    accepted = result.werkgevers.accepted
    if result.valid and accepted == len(result.werkgevers) and accepted:
        status = Status.ACCEPTED
    elif accepted:
        status = Status.PARTIAL
    else:
        status = Status.REJECTED
    return Validation(status, counts=counts,
                      employers=tuple(accepted_rows(result.werkgevers)),
                      dga=tuple(accepted_rows(result.dga)),
                      werkgever_id_column=result.werkgevers.columns.get("werkgever_id"),
                      sheet=result.werkgevers.sheet)
