"""`intake validate` as a library call: validate one workbook and write every output."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from intake.definition.errors import IntakeError
from intake.definition.messages import LANGS, STOPS, Lang
from intake.definition.status import Door
from intake.outputs.export import CsvDialect, write_csvs
from intake.outputs.feedback import feedback_name, feedback_round, write_feedback
from intake.outputs.htmlreport import write_html
from intake.outputs.report import build_report, write_report_json
from intake.validation.process import gc_paused
from intake.validation.reader import restore_stderr
from intake.validation.timelimit import disarm, time_limit
from intake.validation.validate import Options, Result, load_libraries, validate_workbook

#: The names `run` writes into the output folder (besides feedback_name(workbook)).
OUTPUT_NAMES = ("report.json", "report.html", "werkgevers.csv", "dga.csv", "datapackage.json")
STAGING_PREFIX = ".staging-"
#: Where a process id cannot be checked, a staging folder this old is left over.
_STALE_SECONDS = 24 * 3600


def html_name(lang: Lang) -> str:
    """The name of report.html's copy in `lang` (written where a door asks for it)."""
    return f"report.{lang}.html"


#: Every copy of report.html in another language a door may ask for.
HTML_COPIES = tuple(html_name(lang) for lang in LANGS)


class CannotWrite(IntakeError):
    """The output folder cannot be made or written (exit 2)."""

    code = "cannot-write"

    def __init__(self, out_dir: Path, reason: str) -> None:
        texts = STOPS[self.code]
        super().__init__(texts["nl"].format(folder=out_dir, reason=reason),
                         texts["en"].format(folder=out_dir, reason=reason))


class WouldOverwriteInput(IntakeError):
    """An output would replace the workbook being validated (exit 2)."""

    code = "input-in-out"

    def __init__(self, workbook: Path, out_dir: Path) -> None:
        texts = STOPS[self.code]
        super().__init__(texts["nl"].format(workbook=workbook, folder=out_dir),
                         texts["en"].format(workbook=workbook, folder=out_dir))


@dataclass
class Outcome:
    """What one validation produced: the result, report.json's content and the files written."""

    result: Result
    report: dict[str, object]
    files: list[Path]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def replaces_input(workbook: Path, out_dir: Path) -> bool:
    return any(_same_file(out_dir / name, workbook)
               for name in (*OUTPUT_NAMES, *HTML_COPIES, feedback_name(workbook)))


def default_out_dir(workbook: Path, base: Path = Path("reports")) -> Path:
    """reports/<name>/ for the first round of a workbook, reports/<name>-<round>/ for a later
    one (its feedback workbook corrected and checked again: reports/noord/noord-feedback.xlsx
    writes to reports/noord-2/, beside noord-feedback-2.xlsx), or the next number free when
    that folder holds the workbook itself."""
    name, n = feedback_round(workbook)
    out = base / (name if n == 1 else f"{name}-{n}")
    while replaces_input(workbook, out):
        n += 1
        out = base / f"{name}-{n}"
    return out


def remove_stale_staging(out_dir: Path) -> list[Path]:
    """Remove staging folders left in `out_dir` by runs that were killed; return them."""
    removed = []
    for folder in out_dir.glob(f"{STAGING_PREFIX}*"):
        if folder.is_dir() and not folder.is_symlink() and _is_stale(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _is_stale(folder: Path) -> bool:
    pid_text = folder.name[len(STAGING_PREFIX):].split("-", 1)[0]
    if os.name == "posix" and pid_text.isdigit():
        pid = int(pid_text)
        if pid == os.getpid():
            return False
        try:
            os.kill(pid, 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            return True
        except OSError:
            return False  # it exists (another user's process)
        return _zombie(pid)
    try:
        return time.time() - folder.stat().st_mtime > _STALE_SECONDS
    except OSError:
        return False


def write_outputs(result: Result, out_dir: Path, options: Options, lang: Lang = "nl",
                  dialect: CsvDialect = "standard",
                  delivered: tuple[int, int] | None = None,
                  door: Door = Door.COMMAND_LINE,
                  html_langs: tuple[Lang, ...] = ()) -> list[Path]:
    """Write report.json, report.html, the CSVs with their datapackage.json and the feedback
    workbook of `result` into `out_dir`, once; return their paths. `html_langs`: languages
    other than `lang` report.html is also written in, as report.<lang>.html (the web intake
    shows the report in the language its reader chose).

    The one writer of a validation's outputs, for every door. They are written in a staging
    folder and moved into `out_dir` only when all of them are complete, so a failure never
    leaves a partial set behind; staging folders of killed runs are removed. `delivered`: how
    many employers and DGAs were delivered, where a batch delivered fewer than were accepted.
    `door`: how the file came in, for the next step report.html and Controle tell.
    The input is never modified: an `out_dir` whose outputs would replace it raises
    WouldOverwriteInput; one that cannot be written, CannotWrite.
    """
    workbook = result.path
    if replaces_input(workbook, out_dir):
        raise WouldOverwriteInput(workbook, out_dir)
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_staging(out_dir)
        staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=out_dir))
    except OSError as exc:
        raise CannotWrite(out_dir, exc.strerror or str(exc)) from exc
    try:
        report = build_report(result, options, lang, delivered=delivered)
        write_report_json(report, staging / "report.json")
        write_html(result, report, staging / "report.html", lang, door)
        copies = []
        for other in html_langs:
            if other != lang:
                copies.append(staging / html_name(other))
                write_html(result, report, copies[-1], other, door)
        csvs = write_csvs(result, staging, dialect, options.contract_prefixes)
        feedback = write_feedback(result, staging, lang, delivered=delivered, door=door)
        files = []
        disarm()  # all written: a time-out must not leave half of them in place
        for path in [staging / "report.json", staging / "report.html", *copies, *csvs,
                     feedback]:
            try:
                os.replace(path, out_dir / path.name)
            except OSError as exc:
                raise CannotWrite(out_dir, exc.strerror or str(exc)) from exc
            files.append(out_dir / path.name)
    except BaseException:
        restore_stderr()  # a time-out may have struck inside the reader's guard
        shutil.rmtree(staging, ignore_errors=True)
        if created and out_dir.is_dir() and not any(out_dir.iterdir()):
            out_dir.rmdir()  # nothing was written: leave nothing behind
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return files


def _zombie(pid: int) -> bool:
    """True for a process that has ended and waits only to be reaped (Linux; elsewhere
    False)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]


def run(workbook: Path, out_dir: Path, options: Options | None = None, lang: Lang = "nl",
        dialect: CsvDialect = "standard") -> Outcome:
    """Validate `workbook` in this process and write every output (`write_outputs`).

    The library's own call, for a trusted file or a caller that runs it in a process of its
    own: the command line, the batch and the web intake check an untrusted file in an
    OS-limited child process instead (`intake.checking.check`).
    """
    options = options or Options()
    if replaces_input(workbook, out_dir):
        raise WouldOverwriteInput(workbook, out_dir)
    load_libraries()
    try:
        with time_limit(options.limits.max_seconds), gc_paused():
            result = validate_workbook(workbook, options)
            files = write_outputs(result, out_dir, options, lang, dialect)
    except BaseException:
        restore_stderr()  # the time limit is over: nothing can interrupt this now
        raise
    return Outcome(result=result, report=json.loads((out_dir / "report.json").read_text(
        encoding="utf-8")), files=files)
