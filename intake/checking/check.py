"""One check of one file, the same behind every door: the command line, the batch, the web.

The file's bytes are parsed only in an OS-limited child process (`intake.checking.sandbox`): the
reading, the validation and the feedback workbook. The child validates, and where the door has
something to add (the batch's cross-file decisions: already delivered, conflicts, redeliveries)
asks the parent for it, with what the parent needs to decide (`Validated`: counts and the
accepted rows, as Arrow). Then it writes every output once (`intake.outputs.pipeline.write_outputs`)
and returns a frozen `Checked`: the status, the counts, the reason when the file was not
checked. A child that was killed, aborted or ran out of a limit becomes a status of its own
(`too-large`, `timed-out`, `unreadable`), never the door's crash; `write_failure_report` then
writes the report.json that says so.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from intake.checking.sandbox import (
    Bounds,
    Channel,
    ChildDied,
    Sandbox,
    give_back,
    keep_until_answered,
    retire,
    take,
)
from intake.definition.errors import IntakeError
from intake.definition.messages import FILE_ERRORS, Lang
from intake.definition.status import CHECKED, Door, Status
from intake.validation.limits import Limits

if TYPE_CHECKING:
    from intake.definition.findings import Finding
    from intake.outputs.export import CsvDialect
    from intake.validation.validate import Options, Result

#: Why a file was not checked (a FILE_ERRORS code) -> its status; any other reason: unreadable.
_STATUS_OF_REASON = {"too-big": Status.TOO_LARGE, "file-too-big": Status.TOO_LARGE,
                     "too-many-cells": Status.TOO_LARGE, "too-many-sheets": Status.TOO_LARGE,
                     "memory": Status.TOO_LARGE,
                     "output-too-big": Status.TOO_LARGE, "time-limit": Status.TIMED_OUT,
                     "failed": Status.FAILED}


@dataclass(frozen=True)
class Settings:
    """How to check: the options (prefixes, limits), the language and CSV dialect of the
    outputs, and whether the terminal's lines are wanted (`columns`: the width to wrap at)."""

    options: Options
    lang: Lang = "nl"
    dialect: CsvDialect = "standard"
    lines: bool = False
    columns: int | None = None
    #: How the file came in: the outputs' next step depends on it.
    door: Door = Door.COMMAND_LINE
    #: Other languages report.html is also written in (report.<lang>.html: the web intake's).
    html_langs: tuple[Lang, ...] = ()

    @property
    def limits(self) -> Limits:
        """The limits an untrusted file is held to."""
        return self.options.limits


def bounds(limits: Limits, low_priority: bool = False) -> Bounds:
    """The child's OS limits for `limits`."""
    return Bounds(memory_mb=limits.max_memory_mb, seconds=limits.max_seconds,
                  output_mb=limits.max_output_mb, low_priority=low_priority)


@dataclass(frozen=True)
class Validated:
    """What a door needs to decide on a validated file before its outputs are written: its
    counts, the accepted rows of both sheets (polars DataFrames: they cross the process
    boundary as Arrow) and where the Werkgever ID is."""

    counts: Mapping[str, Any]
    employers: Any
    dga: Any
    sheet: str | None
    werkgever_id_column: str | None

    def employer_rows(self) -> list[dict[str, Any]]:
        """The accepted employers as records."""
        return list(self.employers.iter_rows(named=True))

    def dga_rows(self) -> list[dict[str, Any]]:
        """The accepted DGAs as records."""
        return list(self.dga.iter_rows(named=True))


@dataclass(frozen=True)
class Additions:
    """The door's answer: findings to add (cross-file), the Excel rows of Werkgevers it holds
    back (a conflict: rejected, their DGAs too) and how many rows it delivered."""

    findings: tuple[Finding, ...] = ()
    held: frozenset[int] = frozenset()
    delivered: tuple[int, int] | None = None


@dataclass(frozen=True)
class Checked:
    """What became of one file: plain, frozen data that crosses the process boundary."""

    status: Status
    #: Why the file was not checked: a FILE_ERRORS code; `detail` what was found.
    reason: str | None = None
    detail: str = ""
    #: How a child that ended died (its exit, the last line it wrote): for operators.
    trace: str = ""
    counts: Mapping[str, Any] = field(default_factory=dict)
    valid: bool = False
    files: tuple[str, ...] = ()
    #: What the terminal prints (when asked for), and the verdict line alone.
    lines: tuple[str, ...] = ()
    verdict: str = ""
    #: An error that is the door's, not the file's (an output folder that cannot be written):
    #: (code, Dutch, English), and the OSError's errno where there was one.
    cannot_write: tuple[str, str, str] | None = None
    errno: int | None = None

    @property
    def checked(self) -> bool:
        """True when the file was read and validated (its findings are in its report)."""
        return self.status in CHECKED

    def message(self, lang: Lang) -> str | None:
        """Why the file was not checked, in `lang` (None when it was)."""
        if self.reason is None:
            return None
        return FILE_ERRORS[self.reason][lang]

    def raise_cannot_write(self) -> None:
        """Raise the door's own error, if there was one."""
        if self.cannot_write is not None:
            code, nl, en = self.cannot_write
            raise IntakeError(nl, en, code=code)


def not_checked(reason: str, detail: str = "") -> Checked:
    """The outcome of a file that could not be checked for `reason` (a FILE_ERRORS code)."""
    return Checked(_STATUS_OF_REASON.get(reason, Status.UNREADABLE), reason=reason,
                   detail=" ".join(detail.split())[:300])


def counts_of(result: Result) -> dict[str, Any]:
    """The counts every door keeps of a checked file (report.json's summary, and the bureaus
    named on the Werkgevers sheet)."""
    names = result.werkgevers.values.get("salarisverwerker_naam") or []
    emails = result.werkgevers.values.get("salarisverwerker_email") or []
    bureaus = sorted({(str(n or ""), str(e or "")) for n, e in zip(names, emails, strict=False)
                      if n or e})
    ids = result.werkgevers.values.get("werkgever_id") or []
    rejected = sorted({str(i) for i, bad in zip(ids, result.werkgevers.rejected, strict=False)
                       if bad and i})
    return {"werkgevers": result.werkgevers.counts(), "dga": result.dga.counts(),
            "errors": result.errors, "warnings": result.warnings,
            "marked": result.marked,  # an error about a cell: red in the feedback workbook
            "bureaus": [list(b) for b in bureaus],
            # the Werkgever IDs not delivered (a few: where a later file of the same run
            # delivers them all, the batch says so instead of asking to correct this one)
            **({"rejected_ids": rejected} if len(rejected) <= REJECTED_IDS_KEPT else {})}


#: At most this many Werkgever IDs of rejected rows are kept with a file's counts.
REJECTED_IDS_KEPT = 1000


def with_cross_file(result: Result, extra: list[Finding], held: frozenset[int]) -> Result:
    """`result` with a door's findings added: the Werkgevers rows in `held` (Excel row numbers,
    a conflict) are rejected, and so are their DGAs (saying why)."""
    from intake.definition.fields import SHEETS
    from intake.validation.crosschecks import dga_of_rejected_employers

    werkgevers = replace(result.werkgevers, rejected=[
        bad or row in held for bad, row in zip(result.werkgevers.rejected,
                                              result.werkgevers.rows, strict=True)])
    dga = replace(result.dga, rejected=list(result.dga.rejected))
    findings = [*result.findings, *extra, *dga_of_rejected_employers(werkgevers, dga)]
    order = {spec.name: n for n, spec in enumerate(SHEETS)}
    rank = {werkgevers.sheet: 0, dga.sheet: 1}
    findings.sort(key=lambda f: (f.row is not None, rank.get(f.sheet, order.get(
        f.sheet or "", 2)), f.row or 0, len(f.column or ""), f.column or ""))
    return replace(result, werkgevers=werkgevers, dga=dga, findings=findings)


# --- in the child ------------------------------------------------------------------------------


def _validated(result: Result) -> Validated:
    import polars as pl

    from intake.outputs.export import accepted_rows

    def frame(data: Any) -> Any:
        columns = [*data.spec.csv_columns[:-1], "bron_rij"]
        return pl.DataFrame(accepted_rows(data), schema={
            c: pl.Int64 if c == "bron_rij" else pl.String for c in columns}, orient="row")

    return Validated(counts=counts_of(result), employers=frame(result.werkgevers),
                     dga=frame(result.dga), sheet=result.werkgevers.sheet,
                     werkgever_id_column=result.werkgevers.columns.get("werkgever_id"))


def _check_job(channel: Channel, workbook: str, out_dir: str, settings: Settings,
               decides: bool, read_ahead: bool = True) -> Checked:
    """The child's part: validate, ask the door (when it decides), write the outputs once."""
    from intake.outputs.pipeline import CannotWrite, write_outputs
    from intake.outputs.terminal import report_lines, verdict
    from intake.validation.reader import UnreadableWorkbook, private_stderr, reading_ahead
    from intake.validation.validate import validate_workbook

    private_stderr()

    # The parent keeps the time (it kills this process when it is up). The data sheets are
    # read while the package is inspected: if the file ends this process meanwhile, the
    # parent checks it once more without (`submit`).
    limits = replace(settings.limits, max_seconds=0)
    options = replace(settings.options, limits=limits, read_ahead=read_ahead)
    target = Path(out_dir)
    try:
        result = validate_workbook(Path(workbook), options)
        delivered = None
        if decides:
            additions: Additions | None = channel.ask(_validated(result))
            if additions is not None:
                result = with_cross_file(result, list(additions.findings), additions.held)
                delivered = additions.delivered
        files = write_outputs(result, target, options, settings.lang, settings.dialect,
                              delivered, settings.door, settings.html_langs)
        keep_until_answered(result)
    except UnreadableWorkbook as exc:
        if reading_ahead():  # refused while calamine still reads it: this process goes
            retire()
        return not_checked(exc.reason, exc.detail)
    except IntakeError as exc:
        return Checked(Status.FAILED, cannot_write=(exc.code, exc.nl, exc.en))
    except OSError as exc:
        if exc.errno == errno.EFBIG:
            return not_checked("output-too-big")
        error = CannotWrite(target, exc.strerror or str(exc))
        return Checked(Status.FAILED, cannot_write=(error.code, error.nl, error.en),
                       errno=exc.errno)
    lines: tuple[str, ...] = ()
    if settings.lines:
        lines = tuple(report_lines(result, target, files, settings.lang,
                                   columns=settings.columns))
    return Checked(result.status, counts=counts_of(result), valid=result.valid,
                   files=tuple(str(f) for f in files), lines=lines,
                   verdict=verdict(result, settings.lang))


# --- in the parent -----------------------------------------------------------------------------


def submit(sandbox: Sandbox, workbook: Path, out_dir: Path, settings: Settings,
           decides: bool = False) -> None:
    """Hand `workbook` to the sandbox's child; `outcome` waits for it."""
    sandbox.submit(_check_job, str(workbook), str(out_dir), settings, decides,
                   again=(str(workbook), str(out_dir), settings, decides, False))


def outcome(sandbox: Sandbox, out_dir: Path,
            decide: Callable[[Validated], Additions] | None = None,
            wait: Callable[[], None] | None = None) -> Checked:
    """The outcome of the file submitted to `sandbox`: `decide` answers its question (the
    door's additions); a child that ended is the file's status, and what it left half-written
    in `out_dir` is removed."""
    try:
        return sandbox.result(answer=decide, wait=wait)  # type: ignore[no-any-return]
    except ChildDied as death:
        _clean(out_dir)
        return replace(not_checked(death.reason), trace=death.detail)


def check(workbook: Path, out_dir: Path, settings: Settings, sandbox: Sandbox | None = None,
          decide: Callable[[Validated], Additions] | None = None) -> Checked:
    """Check `workbook` in a child process (`sandbox`, or a warm one this process keeps, see
    `intake.checking.sandbox.take`) and write its outputs
    into `out_dir`; a file that was not checked gets a report.json that says why.

    The child reads a private copy made first (by this process: copying is not parsing), so
    a file changed, replaced or removed while it is checked cannot make the outputs disagree
    (the report's hash, the findings and the feedback workbook are all of the copy)."""
    from intake.outputs.pipeline import WouldOverwriteInput, replaces_input

    if replaces_input(workbook, out_dir):
        error = WouldOverwriteInput(workbook, out_dir)
        return Checked(Status.FAILED, cannot_write=(error.code, error.nl, error.en))
    with tempfile.TemporaryDirectory(prefix=f"intake-input-{os.getpid()}-") as private:
        copy = private_copy(workbook, Path(private), settings.limits)
        if isinstance(copy, Checked):
            checked = copy
        else:
            own = sandbox is None
            box = sandbox or take(bounds(settings.limits))
            try:
                submit(box, copy, out_dir, settings, decides=decide is not None)
                checked = outcome(box, out_dir, decide)
            except BaseException:  # a signal while it ran: nothing half-written stays
                box.close(kill=True)
                _clean(out_dir)
                raise
            if own:
                give_back(box)
        if checked.reason is not None:
            hashed = copy if isinstance(copy, Path) else None
            write_failure_report(workbook, out_dir, checked, settings, hashed)
    return checked


def private_copy(workbook: Path, folder: Path, limits: Limits) -> Path | Checked:
    """A copy of `workbook` in `folder`, under its own name (as text that can be written
    anywhere), or the outcome of a file that cannot be copied: missing, not a regular file
    (a folder, a FIFO: never waited on), not readable, larger than the size limit."""
    from intake.outputs.files import shown_name

    budget = limits.max_uncompressed_mb << 20
    target = folder / (shown_name(workbook.name) or "werkmap")
    try:
        fd = os.open(workbook, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return not_checked("not-found")
    except OSError as exc:
        return not_checked("cannot-open", exc.strerror or str(exc))
    too_big = f"at most {limits.max_uncompressed_mb} MB"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return not_checked("not-a-file", "a folder" if stat.S_ISDIR(info.st_mode) else
                               "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a special file")
        if info.st_size > budget:
            return not_checked("file-too-big", f"{info.st_size / (1 << 20):.1f} MB, {too_big}")
        copied = 0
        with open(target, "wb") as out:
            while block := os.read(fd, 1 << 20):
                copied += len(block)
                if copied > budget:  # it grew while it was copied
                    return not_checked("file-too-big", f"> {too_big}")
                out.write(block)
    except OSError as exc:
        return not_checked("cannot-open", exc.strerror or str(exc))
    finally:
        os.close(fd)
    return target


def _clean(out_dir: Path) -> None:
    """Remove the staging folders a killed child left in `out_dir` (and the folder itself
    when that leaves it empty); an out_dir that cannot even be looked at is left alone."""
    from intake.outputs.pipeline import remove_stale_staging

    try:
        if not out_dir.is_dir():
            return
        remove_stale_staging(out_dir)
        next(out_dir.iterdir())
    except StopIteration:
        shutil.rmtree(out_dir, ignore_errors=True)
    except OSError:
        pass


def failure_report(workbook: Path, checked: Checked, settings: Settings,
                   hashed: Path | None = None) -> dict[str, Any]:
    """report.json of a file that was not checked: its status and why, in `settings.lang`
    (`hashed`: the copy that was read, whose hash it gives)."""
    from intake.outputs.files import sha256_of, shown_name
    from intake.outputs.report import REPORT_FORMAT_VERSION, provenance

    try:
        digest = sha256_of(hashed) if hashed is not None else ""
    except OSError:
        digest = ""
    message = checked.message(settings.lang) or ""
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "status": str(checked.status),
        "error": {"code": checked.reason, "message": message,
                  **({"detail": checked.detail} if checked.detail else {})},
        "workbook": {"name": shown_name(workbook.name), "sha256": digest},
        **provenance(settings.options.contract_prefixes, settings.lang),
    }


def write_failure_report(workbook: Path, out_dir: Path, checked: Checked, settings: Settings,
                         hashed: Path | None = None) -> Path | None:
    """Write report.json for a file that was not checked into `out_dir`, and remove what an
    earlier check wrote there (it is not true now); None where the folder cannot be written
    (the one line on stderr still says why, and a folder made for it is removed)."""
    from intake.outputs.feedback import feedback_name
    from intake.outputs.pipeline import HTML_COPIES, OUTPUT_NAMES
    from intake.outputs.report import write_report_json

    path = out_dir / "report.json"
    made = False
    try:
        made = not out_dir.exists()
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in (*OUTPUT_NAMES, *HTML_COPIES, feedback_name(workbook)):
            if name != "report.json" and (out_dir / name).is_file():
                (out_dir / name).unlink()
        write_report_json(failure_report(workbook, checked, settings, hashed), path)
    except OSError:
        if made:
            with contextlib.suppress(OSError):
                out_dir.rmdir()
        return None
    return path
