"""The `intake` command: parse options, call the library, print a summary, pick the exit code."""

from __future__ import annotations

import contextlib
import math
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from intake import __version__
from intake.definition.errors import IntakeError
from intake.validation.limits import Limits

if TYPE_CHECKING:
    from intake.checking.check import Checked, Settings

LANG = click.Choice(["nl", "en"])
#: ctx.meta keys (shared by every context of one invocation): the language of the message
#: when an IntakeError stops a command, and whether to show its traceback instead.
LANG_KEY = "intake.lang"
#: The most days an option that counts days takes (a century: beyond it a date overflows).
MAX_DAYS = 36_500
DEBUG_KEY = "intake.debug"


class CannotRun(click.ClickException):
    """An IntakeError, or any reason the command cannot run: one line on stderr and the
    error's own exit code (2 unless the error says otherwise)."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int = 2, lang: str = "en") -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]
        #: "Fout:" before a Dutch message, not click's English "Error:"
        self.label = "Fout" if lang == "nl" else "Error"

    def show(self, file: Any = None) -> None:
        click.echo(f"{self.label}: {self.format_message()}", file=file, err=file is None)


class IntakeGroup(click.Group):
    """The `intake` group (and its sub-groups): every IntakeError a command raises becomes one
    line on stderr in the command's language and exits with the error's exit code; with
    `--debug` the traceback is shown instead."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The commands in the order a newcomer needs them (template, then validate …)."""
        return list(self.commands)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; turn an IntakeError (or the time limit) into CannotRun."""
        from intake.validation.timelimit import TimeLimitExceeded

        try:
            return super().invoke(ctx)
        except (IntakeError, TimeLimitExceeded) as exc:
            if ctx.meta.get(DEBUG_KEY):
                raise
            lang = ctx.meta.get(LANG_KEY, "nl")
            raise CannotRun(exc.message(lang), exc.exit_code, lang) from exc


def _remember(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        ctx.meta[key] = value
        return value
    return callback


def lang_option(text: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """--lang nl|en: the language of `text`, and of the one line an IntakeError prints."""
    return click.option("--lang", type=LANG, default="nl", show_default=True,
                        callback=_remember(LANG_KEY), is_eager=True, help=text)


@click.group(cls=IntakeGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Example (check a filled-in workbook; the findings are printed and "
                    "written to reports/werkgevers-aanmelding/):\n\n"
                    "\b\n  intake template\n  intake validate werkgevers-aanmelding.xlsx\n\n"
                    "Help on one command: intake COMMAND --help.")
@click.version_option(__version__, prog_name="intake")
def cli() -> None:
    """Register employers for the a.s.r. payroll link with Loket.nl, in bulk.

    Write the Excel template, then check filled-in workbooks: `validate` prints what to correct
    and writes a report, the workbook with the cells to correct marked (<name>-feedback.xlsx)
    and a clean CSV delivery. Messages and reports are in Dutch unless --lang en is given.
    """


class Seconds(click.ParamType[float, Any]):
    """A number of seconds from 0 to `maximum`: nan, inf and absurdly large values are usage
    errors (exit 2), never a time limit that overflows or never ends."""

    name = "seconds"

    def __init__(self, maximum: float = 86_400.0) -> None:
        self.maximum = maximum

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        """The value as a finite float within 0..maximum."""
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(seconds) or not 0 <= seconds <= self.maximum:
            self.fail(f"{value!r} is not between 0 and {self.maximum:g} seconds", param, ctx)
        return seconds


def limit_options(command: Callable[..., None]) -> Callable[..., None]:
    """The limits an untrusted workbook is held to, as options (validate and batch)."""
    for option in reversed((
        click.option("--max-rows", type=click.IntRange(1), default=Limits.max_rows,
                     show_default=True,
                     help="Rows read per sheet; more is an error and the rest is not read."),
        click.option("--max-cells", type=click.IntRange(1), default=Limits.max_cells,
                     show_default=True, help="Cells (rows x columns in use) read per sheet."),
        click.option("--max-mb", type=click.IntRange(1), default=Limits.max_uncompressed_mb,
                     show_default=True, help="Uncompressed size of the workbook's parts, in MB."),
        click.option("--max-seconds", type=Seconds(), default=Limits.max_seconds,
                     show_default=True,
                     help="Time one workbook may take, outputs included; its process is "
                          "killed when it is up (0: no limit)."),
        click.option("--max-memory-mb", type=click.IntRange(0), default=Limits.max_memory_mb,
                     show_default=True, callback=_memory_mb,
                     help="Address space of the process that reads one workbook (0: no "
                          "limit; otherwise at least 512)."),
    )):
        command = option(command)
    return command


def contract_prefixes(ctx: click.Context, param: click.Parameter,
                      values: tuple[str, ...]) -> tuple[str, ...]:
    """--contract-prefix normalised as the values are (case, spaces, dots, hyphens), each a
    possible start of a Raamwerkcontractnummer (letters, then digits); the default when none."""
    import re

    from intake.definition.fields import Kind
    from intake.definition.kinds import normalise
    from intake.validation.rules import DEFAULT_CONTRACT_PREFIXES

    prefixes = []
    for value in values:
        prefix = normalise(Kind.CONTRACT, value)
        if prefix is None or not re.fullmatch(r"[A-Z]+[0-9]*", prefix):
            raise click.BadParameter(
                f"{value!r} is not the start of a Raamwerkcontractnummer (letters, then digits, "
                "like A020); give the option once per prefix: --contract-prefix A020 "
                "--contract-prefix B020", ctx=ctx, param=param)
        prefixes.append(prefix)
    return tuple(dict.fromkeys(prefixes)) or DEFAULT_CONTRACT_PREFIXES


def contract_prefix_option(what: str = "") -> Callable[[Callable[..., None]], Callable[..., None]]:
    """--contract-prefix, the same for every command that checks contract numbers."""
    return click.option(
        "--contract-prefix", "prefixes", multiple=True, metavar="PREFIX",
        callback=contract_prefixes,
        help=f"Accepted Raamwerkcontractnummer prefix{what}; repeat for several "
             "(default: A020).")


def _limits(max_rows: int, max_cells: int, max_mb: int, max_seconds: float,
            max_memory_mb: int) -> Limits:
    return Limits(max_rows=max_rows, max_cells=max_cells, max_uncompressed_mb=max_mb,
                  max_seconds=max_seconds, max_memory_mb=max_memory_mb)


class _Ended(BaseException):
    """SIGTERM while a command works (its child processes and half-written files go)."""


@contextlib.contextmanager
def _ended_by_signals() -> Iterator[None]:
    """SIGTERM and SIGINT end the work in hand cleanly (the checking child is killed, nothing
    half-written stays) and exit 143 or 130, as a shell expects of a stopped command."""
    def end(signum: int, frame: FrameType | None) -> None:
        raise _Ended(signum)

    previous = signal.signal(signal.SIGTERM, end) \
        if threading.current_thread() is threading.main_thread() else None
    try:
        yield
    except KeyboardInterrupt:
        sys.exit(128 + signal.SIGINT)
    except _Ended:
        sys.exit(128 + signal.SIGTERM)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _print_report(workbook: Path, target: Path, checked: Checked, settings: Settings) -> None:
    """report.json on stdout: the bytes of the file (UTF-8, as JSON is, whatever the console's
    code page), or, where it could not be written, the report of a file not checked."""
    from intake.checking.check import failure_report
    from intake.outputs.report import report_text

    try:
        data = (target / "report.json").read_bytes()
    except OSError:
        if checked.checked:
            return
        data = report_text(failure_report(workbook, checked, settings)).encode("utf-8")
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _memory_mb(ctx: click.Context, param: click.Parameter, value: int) -> int:
    """--max-memory-mb: 0 (no limit) or enough to start the validator at all."""
    if 0 < value < MIN_MEMORY_MB:
        raise click.BadParameter(
            f"{value} MB is too little to start the validator (it needs about 400 MB before it "
            f"reads anything); give at least {MIN_MEMORY_MB}, or 0 for no limit",
            ctx=ctx, param=param)
    return value


#: The least --max-memory-mb: below it the validator's own libraries cannot load.
MIN_MEMORY_MB = 512


def examples(*lines: str) -> str:
    """A command's epilog: its examples, one per line, kept as written."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


@cli.command(short_help="Write the blank Excel template.", epilog=examples(
    "intake template",
    "intake template bureau-noord.xlsx --submit-to 'upload via https://intake.example.nl'",
    "intake template werkgevers-aanmelding.xlsx --force"))
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path),
                default="werkgevers-aanmelding.xlsx")
@click.option("--submit-to", metavar="TEXT", default=None,
              help="Where the filled-in workbook goes (a portal, an e-mail address); shown on "
              "the Toelichting sheet.")
@click.option("--force", is_flag=True, help="Replace PATH if it exists (without it an existing "
              "file is never overwritten: exit 2).")
def template(path: Path, submit_to: str | None, force: bool) -> None:
    """Write the blank Excel template to PATH (default werkgevers-aanmelding.xlsx).

    The template has the sheets Toelichting (how to fill it in, step by step), Werkgevers (a row
    per employer) and DGA (a row per DGA on the payroll), with drop-downs and help per column.
    """
    from intake.outputs.template import write_template

    write_template(path, submit_to, force)
    click.echo(str(path))


@cli.command(short_help="Write the data contract (schemas of the outputs).",
             epilog=examples("intake schema", "intake schema --out contract/"))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default="schemas", show_default=True, help="Folder to write the contract into.")
@contract_prefix_option(" the schemas check")
def schema(out_dir: Path, prefixes: tuple[str, ...]) -> None:
    """Write the data contract: Table Schemas of the CSVs, datapackage.json, JSON Schemas of
    report.json and summary.json and a page describing every field and finding code."""
    from intake.outputs.contract import write_contract

    for path in write_contract(out_dir, prefixes):
        click.echo(str(path))


@cli.command(short_help="Check a workbook: print what to correct, write the outputs.",
             epilog=examples(
    "intake validate werkgevers-aanmelding.xlsx",
    "intake validate reports/werkgevers-aanmelding/werkgevers-aanmelding-feedback.xlsx",
    "    (after correcting it; this round is written to reports/werkgevers-aanmelding-2/)",
    "intake validate bureau-noord.xlsx --lang en --out checked/",
    "intake validate bureau-noord.xlsx --json | jq '.summary'",
    "intake validate bureau-noord.xlsx -q && echo ready"))
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: reports/<workbook name>/, reports/<name>-2/ for "
                   "its corrected feedback, and so on).")
@lang_option("Language of the findings, the report and the feedback workbook.")
@contract_prefix_option()
@click.option("--csv-dialect", type=click.Choice(["standard", "excel-nl"]), default="standard",
              show_default=True,
              help="standard: UTF-8 with commas; excel-nl: semicolons and a BOM for Dutch Excel.")
@limit_options
@click.option("--json", "as_json", is_flag=True,
              help="Print report.json to stdout instead of the findings, and nothing else "
                   "(for a portal or jq); the files are still written, errors go to stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Print the verdict only.")
@click.option("--debug", is_flag=True, callback=_remember(DEBUG_KEY),
              help="Say how the process that read the file ended, when it ended early.")
def validate(workbook: Path, out_dir: Path | None, lang: str, prefixes: tuple[str, ...],
             csv_dialect: str, max_rows: int, max_cells: int, max_mb: int, max_seconds: float,
             max_memory_mb: int, as_json: bool, quiet: bool, debug: bool) -> None:
    """Check WORKBOOK, print what to correct, and write the outputs.

    Prints each finding (the cell as Excel shows it, e.g. Werkgevers!E7, its code, what is
    wrong and what to do; the first 50, then how many more), the totals and the verdict.
    Writes into the output folder: <name>-feedback.xlsx (a copy of WORKBOOK in which every
    cell to correct is red, or amber for a warning, with a comment, and a first sheet Controle
    listing everything: correct that file and check it again; its own feedback is then
    <name>-feedback-2.xlsx), report.html, report.json, werkgevers.csv and dga.csv (only rows
    without errors). The last lines say what to do next: what to deliver, or what to correct.

    Exit 0: no errors (warnings allowed). Exit 1: errors found (rows with errors are left
    out of the CSVs). Exit 2: bad invocation, or a file that cannot be checked (unreadable, too
    large, timed out); its report.json says why.
    """
    from intake.checking.check import Settings, check
    from intake.outputs.pipeline import default_out_dir
    from intake.outputs.terminal import printable
    from intake.validation.validate import Options

    if as_json and quiet:
        raise click.UsageError("--json prints the report and -q the verdict only: choose one")
    limits = _limits(max_rows, max_cells, max_mb, max_seconds, max_memory_mb)
    target = out_dir or default_out_dir(workbook)
    columns = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    settings = Settings(Options(contract_prefixes=prefixes, limits=limits),
                        lang=lang, dialect=csv_dialect,  # type: ignore[arg-type]
                        lines=not (as_json or quiet), columns=columns)
    with _ended_by_signals():
        checked = check(workbook, target, settings)
    checked.raise_cannot_write()
    if as_json:
        _print_report(workbook, target, checked, settings)
    if not checked.checked:
        message = checked.message(lang) or ""  # type: ignore[arg-type]
        if checked.detail:
            message += f" ({checked.detail})"
        if debug and checked.trace:
            message += f" [{checked.trace}]"
        raise CannotRun(f"{printable(str(workbook))}: {printable(message)}", 2, lang)
    if quiet and not as_json:
        click.echo(checked.verdict)
    elif not as_json:
        for line in checked.lines:
            click.echo(line)
    sys.exit(0 if checked.valid else 1)


def _messages_from(ctx: click.Context, param: click.Parameter, value: str | None,
                   ) -> str | None:
    """--messages-from: one address that passes the E-mail salarisverwerker rule."""
    if value is None:
        return None
    from intake.batch.mail import sender_address
    from intake.outputs.terminal import printable

    try:
        sender_address(value)
    except ValueError as exc:
        raise click.BadParameter(printable(str(exc))) from exc
    return value


#: --messages-from, for every command that writes bureau messages (batch, status import).
messages_from_option = click.option(
    "--messages-from", metavar="'NAME <ADDRESS>'", callback=_messages_from,
    help="From of the messages (default: '\"a.s.r. salariskoppeling\" "
         "<salariskoppeling@asr.nl>').")


@cli.command(short_help="Check every workbook in an inbox, once (nightly run).", epilog=examples(
    "intake batch inbox/ --out verwerkt/",
    "intake batch inbox/ --out verwerkt/ --recursive --move-to archief/ --messages",
    "intake batch inbox/ --out verwerkt/ --jobs 2 --log-format json 2> batch.log"))
@click.argument("inbox", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="Output folder: one sub-folder per run, and the ledger.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="The ledger (default OUTDIR/intake.sqlite).")
@click.option("--force", is_flag=True, help="Check files whose content was processed before "
              "again (their employers delivered before are not delivered again: see "
              "--redeliver).")
@lang_option("Language of the reports, feedback workbooks, summary and the one line printed "
             "when the run cannot go on.")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes validating files in parallel.")
@click.option("--recursive", is_flag=True, help="Also take files in sub-folders of INBOX.")
@click.option("--move-to", type=click.Path(file_okay=False, path_type=Path),
              help="Move each processed file into DIR/accepted, DIR/rejected (some or all "
                   "rows rejected), DIR/quarantine (unreadable or failed) or DIR/skipped "
                   "(processed before). Without it the inbox is only read.")
@click.option("--settle", type=Seconds(), default=10.0, show_default=True,
              metavar="SECONDS",
              help="Leave files modified less than this long ago for the next run.")
@contract_prefix_option()
@click.option("--csv-dialect", type=click.Choice(["standard", "excel-nl"]), default="standard",
              show_default=True,
              help="Of every CSV, per file and combined: standard (UTF-8, commas) or excel-nl "
                   "(semicolons and a BOM for Dutch Excel).")
@click.option("--redeliver", multiple=True, metavar="WERKGEVER_ID",
              help="Deliver this employer even where its data differ from its earlier "
                   "registration (a conflict otherwise); the ledger records the replacement. "
                   "Repeat for several.")
@click.option("--messages", is_flag=True,
              help="Write a draft message per bureau (RUN/berichten/<nnn>-<bureau>.eml, in "
                   "the run's language, with its feedback workbooks attached); nothing is "
                   "sent. Bureaus "
                   "without a valid address are listed in summary.json and index.html.")
@messages_from_option
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="One line per file (and per note) on stderr: text (time, then "
                   "key=value), or one JSON object per line.")
@limit_options
def batch(inbox: Path, out_dir: Path, db: Path | None, force: bool, lang: str, jobs: int,
          recursive: bool, move_to: Path | None, settle: float, prefixes: tuple[str, ...],
          csv_dialect: str, redeliver: tuple[str, ...], messages: bool,
          messages_from: str | None, log_format: str,
          max_rows: int, max_cells: int, max_mb: int, max_seconds: float,
          max_memory_mb: int) -> None:
    """Validate every workbook in INBOX (a folder, or one file), once, into OUTDIR/<run-id>/.

    \b
    OUTDIR/intake.sqlite           ledger of runs, files and delivered employers
    OUTDIR/<run-id>/summary.json   per file: name, sha256, status, counts
    OUTDIR/<run-id>/index.html     the same as a page, linking to each report
    OUTDIR/<run-id>/werkgevers.csv the run's combined delivery (with bron_bestand)
    OUTDIR/<run-id>/dga.csv
    OUTDIR/<run-id>/<file name>/   what `intake validate` writes for that file

    Files are taken in arrival order (modification time, then name). A file whose content is
    in the ledger is skipped (unless --force). Excel lock files (~$) and files still being
    written are left for the next run; links, FIFOs and devices are never read. An employer
    already delivered (earlier in this run or in an earlier run) is not delivered again: a
    warning names where. A run killed midway is completed by the next one; SIGTERM or SIGINT
    finishes the files in hand, commits them and exits 143 or 130. Exit 0: every file
    accepted; 1: some rows or files need attention; 2: could not run (bad folder, lock held,
    damaged ledger, full disk).
    """
    from intake.batch.log import log_fields
    from intake.batch.outcome import FileOutcome
    from intake.batch.run import BatchOptions, run_batch
    options = BatchOptions(
        inbox=inbox, out_dir=out_dir, db=db, force=force, lang=lang,  # type: ignore[arg-type]
        jobs=jobs, recursive=recursive, move_to=move_to, settle_seconds=settle,
        csv_dialect=csv_dialect, redeliver=tuple(r.strip() for r in redeliver),
        messages=messages, messages_from=messages_from,
        contract_prefixes=prefixes, limits=_limits(max_rows, max_cells, max_mb, max_seconds,
                                                          max_memory_mb))
    import logging

    from intake.outputs.logs import configure

    configure(log_format)  # type: ignore[arg-type]
    log = logging.getLogger("intake.batch")
    tty = sys.stderr.isatty() and log_format == "text"
    bar: Any = None

    def progress(run_id: str, done: int, total: int, outcome: FileOutcome) -> None:
        nonlocal bar
        if tty:
            if bar is None:
                bar = click.progressbar(length=total, label="intake batch", file=sys.stderr)
                bar.__enter__()
            bar.update(1)
        else:
            log.info("file", extra={"fields": log_fields(run_id, outcome)})

    try:
        result = run_batch(options, progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    for note in result.notes:
        log.warning("note", extra={"fields": {"note": note}})
    if not result.run_id:
        from intake.definition.messages import UI

        click.echo(UI[lang]["batch_no_files"].format(inbox=inbox))  # type: ignore[index]
        sys.exit(0)
    totals: dict[str, int] = {}
    for f in result.files:
        totals[f.status] = totals.get(f.status, 0) + 1
    click.echo(f"run {result.run_id}: " + ", ".join(f"{n} {s}" for s, n in totals.items()))
    click.echo(f"summary: {result.run_dir / 'summary.json'}")
    sys.exit(result.exit_code)


def _waiting_days(ctx: click.Context, param: click.Parameter,
                  values: tuple[str, ...]) -> dict[str, int]:
    """--waiting-days STATE=DAYS (repeated): a bound per state, checked."""
    from intake.definition.registration import WAITING_DAYS

    bounds: dict[str, int] = {}
    for value in values:
        state, _, days = value.partition("=")
        if state not in {str(s) for s in WAITING_DAYS} or not days.isdigit() or \
                int(days) > MAX_DAYS:
            raise click.BadParameter(
                f"{value!r}: give STATE=DAYS with STATE one of "
                f"{', '.join(str(s) for s in WAITING_DAYS)} and DAYS at most {MAX_DAYS}, "
                "e.g. setup=20", ctx=ctx, param=param)
        bounds[state] = int(days)
    return bounds


@cli.command(short_help="Show runs, files, the registrations' states and where an employer "
                        "was delivered.",
             epilog=examples("intake history --out verwerkt/",
                             "intake history 8106625 --out verwerkt/",
                             "intake history --out verwerkt/ --json --waiting-days setup=20",
                             "intake history --db verwerkt/intake.sqlite --lang en"))
@click.argument("werkgever_id", required=False)
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="The ledger (default OUTDIR/intake.sqlite with --out).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The batch output folder holding intake.sqlite.")
@lang_option("Language of the lines printed.")
@click.option("--waiting-days", multiple=True, metavar="STATE=DAYS", callback=_waiting_days,
              help="Days a registration may stay in a state before it is listed as waiting "
                   "(delivered, completed, setup); repeat for several (default: delivered=10, "
                   "completed=10, setup=30).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the counts per state and the registrations waiting as JSON "
                   "(with WERKGEVER_ID: its deliveries and states).")
def history(werkgever_id: str | None, db: Path | None, out_dir: Path | None, lang: str,
            waiting_days: dict[str, int], as_json: bool) -> None:
    """List runs and files, then the registrations per state and those waiting longer than
    their state's bound (oldest first); or where and when WERKGEVER_ID was registered and its
    states.

    Exit 1 when WERKGEVER_ID was never delivered; 2 when the ledger is missing or damaged.
    """
    import json

    from intake.batch.funnel import funnel
    from intake.batch.ledger import Ledger
    from intake.batch.log import UnknownEmployer, employer_json, history_lines

    if werkgever_id is not None and not werkgever_id.strip():
        raise click.BadParameter("an empty Werkgever ID; leave it out to list every run",
                                 param_hint="WERKGEVER_ID")
    ledger = Ledger(_ledger_path(db, out_dir), create=False)
    language: Any = lang
    try:
        if as_json:
            data = funnel(ledger, waiting_days).to_json() if werkgever_id is None \
                else employer_json(ledger, werkgever_id)
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        for line in history_lines(ledger, werkgever_id, language):
            click.echo(line)
        if werkgever_id is None:
            for line in funnel(ledger, waiting_days).lines(language):
                click.echo(line)
    except UnknownEmployer as exc:
        # An answer ("never delivered"), not a failure: the message alone, exit 1.
        click.echo(exc.message(language), err=True)
        sys.exit(exc.exit_code)
    finally:
        ledger.close()


def _ledger_path(db: Path | None, out_dir: Path | None) -> Path:
    path = db or (out_dir / "intake.sqlite" if out_dir else None)
    if path is None:
        raise click.UsageError("give --db PATH or --out OUTDIR")
    return path


def db_options(command: Callable[..., None]) -> Callable[..., None]:
    """Where the ledger (and the web intake's keys) live: --db, or --out OUTDIR."""
    command = click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                           help="The batch output folder holding intake.sqlite.")(command)
    return click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
                        help="The ledger (default OUTDIR/intake.sqlite with --out).")(command)


@cli.command(short_help="Copy the ledger and the web's database safely, while they run.",
             epilog=examples("intake backup --out verwerkt/ /var/backups/intake/2026-12-07",
                             "intake backup --out verwerkt/ \"backup/$(date +%F)\" --json",
                             "intake backup --out verwerkt/ --dated --keep 30 /var/backups/intake"))
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@db_options
@click.option("--dated", is_flag=True,
              help="Put the copies in a new folder DEST/YYYY-MM-DDTHHMMSSZ (the time, UTC).")
@click.option("--keep", type=click.IntRange(1), metavar="N",
              help="With --dated: then remove the oldest backups in DEST so that N remain.")
@lang_option("Language of the lines printed.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the copies made (path, size, rows per table) as JSON.")
def backup(dest: Path, db: Path | None, out_dir: Path | None, dated: bool, keep: int | None,
           lang: str, as_json: bool) -> None:
    """Copy the ledger (and OUTDIR/web/web.sqlite, the web intake's own database, when there
    is one) into the folder DEST as intake.sqlite and web.sqlite.

    Made with SQLite's online backup API: safe while the batch or the web intake writes, each
    copy is the database at one moment, checked with integrity_check before it gets its name;
    both copies or neither. An existing file in DEST is never overwritten. Exit 0 when the
    copies were made; 1 when they were but an old backup --keep should remove was left; 2 when
    they cannot be (a copy exists, the ledger is missing or damaged, DEST cannot be written or
    is full; nothing of this backup is left in DEST); 143/130 when stopped by SIGTERM/SIGINT
    (nothing left either).
    """
    import json

    from intake.batch.backup import back_up
    from intake.batch.stopping import stop_on_signals

    if keep is not None and not dated:
        raise click.UsageError("--keep needs --dated (it keeps the newest dated folders)")
    ledger = _ledger_path(db, out_dir)
    web = (out_dir or ledger.parent) / "web" / "web.sqlite"
    with stop_on_signals("intake backup is gestopt ({signal}); er is geen (halve) kopie "
                         "achtergebleven", "intake backup was stopped ({signal}); no copy, "
                         "half or whole, was left"):
        result = back_up(ledger, web, dest, dated=dated, keep=keep)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        sys.exit(result.exit_code)
    from intake.outputs.terminal import printable

    words = {"nl": ("{copy}: kopie van {source}, integrity_check ok, {size} bytes",
                    "oude back-up verwijderd: {path}", "oude back-up niet verwijderd: {path} "
                                                       "({reason})"),
             "en": ("{copy}: copy of {source}, integrity_check ok, {size} bytes",
                    "old backup removed: {path}", "old backup not removed: {path} "
                                                  "({reason})")}[lang]
    for c in (result.ledger, result.web):
        if c is not None:
            click.echo(words[0].format(copy=printable(str(c.copy)),
                                       source=printable(str(c.source)), size=c.size))
    for path in result.removed:
        click.echo(words[1].format(path=printable(str(path))))
    for path, reason in result.not_removed:
        click.echo(words[2].format(path=printable(str(path)), reason=printable(reason)),
                   err=True)
    sys.exit(result.exit_code)


@cli.command(short_help="Forget what the retention period no longer allows (AVG).",
             epilog=examples("intake prune --out verwerkt/ --older-than 365 --dry-run",
                             "intake prune --out verwerkt/ --older-than 365",
                             "intake prune --out verwerkt/ --older-than 365 --json"))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="The batch output folder: its run folders, web/ and ledger.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="The ledger (default OUTDIR/intake.sqlite).")
@click.option("--older-than", "days", type=click.IntRange(1, MAX_DAYS), required=True,
              metavar="DAYS",
              help="The retention period: what is older than this many days is forgotten.")
@click.option("--dry-run", is_flag=True,
              help="Count what would be removed and blanked, and change nothing.")
@lang_option("Language of the lines printed.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the counts and what was left as JSON.")
def prune(out_dir: Path, db: Path | None, days: int, dry_run: bool, lang: str,
          as_json: bool) -> None:
    """Remove what is older than DAYS: the folders of finished runs (reports, feedback
    workbooks, CSVs, messages) and of a status import's messages, the web intake's uploads
    (their folders and rows), and in the ledger the personal data of delivered rows (a DGA's
    name and personeelsnummer, the bureau's e-mail address).

    The ledger keeps what exactly-once delivery needs: each Werkgever ID and
    loonheffingennummer delivered and each file's sha256, so a file or an employer delivered
    before is still not delivered again. A run still going is never touched, links are never
    followed, and no batch runs meanwhile (OUTDIR's lock). Exit 0: done; 1: something was left
    (a link, a folder that could not be removed: listed); 2: cannot run (no ledger, a batch
    holds the lock, a full disk: the ledger is left as it was); 143/130: stopped by
    SIGTERM/SIGINT (run it again to finish).
    """
    import json

    from intake.batch.prune import lines
    from intake.batch.prune import prune as forget
    from intake.batch.stopping import stop_on_signals

    with stop_on_signals("intake prune is gestopt ({signal}); wat in het grootboek gewist werd "
                         "is helemaal of niet vastgelegd: start het opnieuw om af te maken",
                         "intake prune was stopped ({signal}); what it blanked in the ledger "
                         "is committed as a whole or not at all: run it again to finish"):
        result = forget(out_dir, db, days, dry_run)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        for line in lines(result, lang):
            click.echo(line)
    sys.exit(result.exit_code)


@cli.group(cls=IntakeGroup, short_help="Record how far registrations got after delivery.",
           epilog=examples("intake status import status-2026-12-07.csv --out verwerkt/"))
def status() -> None:
    """The registrations' states after delivery: completed by a.s.r., in set-up at Keylane,
    live (with the date of the first exchange) or refused (with a reason)."""


@status.command("import", short_help="Record a status file from a.s.r. or Keylane.",
                epilog=examples(
                    "intake status import status-2026-12-07.csv --out verwerkt/",
                    "intake status import keylane.xlsx --db verwerkt/intake.sqlite --json",
                    "intake status import status.csv --out verwerkt/ --max-days-back 30",
                    "intake status import status.csv --out verwerkt/ --messages"))
@click.argument("file", type=click.Path(path_type=Path))
@db_options
@lang_option("Language of the findings, the lines printed and the bureaus' messages.")
@click.option("--max-days-back", type=click.IntRange(0, MAX_DAYS), default=90, show_default=True,
              help="A date of the first exchange further back than this many days is an "
                   "error (a typing error, most likely).")
@click.option("--max-days-ahead", type=click.IntRange(0, MAX_DAYS), default=365, show_default=True,
              help="A date of the first exchange further ahead than this many days is an "
                   "error (2062 for 2026, most likely).")
@click.option("--max-rows", type=click.IntRange(1), default=Limits.max_rows, show_default=True,
              help="Rows read; more is an error and the rest is not read.")
@click.option("--max-mb", type=click.IntRange(1), default=Limits.max_uncompressed_mb,
              show_default=True, help="Size of the file (a workbook: its parts unpacked), "
                                      "in MB.")
@click.option("--max-seconds", type=Seconds(), default=60.0, show_default=True,
              help="Time reading and checking the file may take (0: no limit).")
@click.option("--messages", is_flag=True,
              help="Write now, not at the next run, a draft message per bureau about its "
                   "registrations that went live or were refused and that no message told yet "
                   "(OUTDIR/status/<time>/berichten/<nnn>-<bureau>.eml; OUTDIR is the ledger's "
                   "folder with --db); nothing is sent, and the next run does not tell them "
                   "again. Takes OUTDIR's batch lock.")
@messages_from_option
@click.option("--json", "as_json", is_flag=True,
              help="Print the result (changes, findings, messages) as JSON.")
def status_import(file: Path, db: Path | None, out_dir: Path | None, lang: str,
                  max_days_back: int, max_days_ahead: int, max_rows: int, max_mb: int,
                  max_seconds: float, messages: bool, messages_from: str | None,
                  as_json: bool) -> None:
    """Check FILE (CSV or a workbook with a sheet Status; columns Werkgever ID,
    Loonheffingennummer, Status, Datum eerste uitwisseling, Reden) and record its new states in
    the ledger, in one transaction.

    A row with an error (an employer never delivered, a move backwards, live without a date or
    with a date too far back or ahead, refused without a reason, an employer twice) is not
    recorded; the others are. A state a registration already has changes nothing, and a row an
    earlier import of the same content recorded is never recorded again: a file imported twice
    changes nothing, and the line printed says when it was imported before. Exit 0 when every
    row was taken, 1 when a row has an error, 2 when FILE cannot be read, the ledger is missing
    or damaged, or (with --messages) a run holds OUTDIR's lock.
    """
    import json

    from intake.batch.statusimport import ImportOptions, Messages, import_file

    ledger_path = _ledger_path(db, out_dir)
    language: Any = lang
    result = import_file(ledger_path, file, ImportOptions(
        max_days_back=max_days_back, max_days_ahead=max_days_ahead,
        limits=Limits(max_rows=max_rows, max_uncompressed_mb=max_mb,
                      max_seconds=max_seconds)),
        Messages(out_dir or ledger_path.parent, language, messages_from) if messages else None)
    if as_json:
        click.echo(json.dumps(result.to_json(language), ensure_ascii=False, indent=2))
    else:
        from intake.outputs.terminal import MAX_SHOWN, printable

        for f in result.findings[:MAX_SHOWN]:
            where = f"{f.sheet}!{f.cell}" if f.cell else (f.sheet or "")
            click.echo(printable(f"{where}: {f.message(language)} {f.hint(language)}"))
        if (more := len(result.findings) - MAX_SHOWN) > 0:  # every one: --json
            click.echo({"nl": f"En nog {more} bevinding(en): alle staan in de uitvoer van --json.",
                        "en": f"And {more} more finding(s): every one is in the output of "
                              "--json."}[language])
        click.echo(result.line(language))
    for note in result.notes(language):
        click.echo(f"note: {note}", err=True)
    sys.exit(result.exit_code)


@cli.group(cls=IntakeGroup, short_help="Make, list and revoke the web intake's access keys.",
           epilog=examples("intake bureau add salarisbureau-noord --out verwerkt/",
                           "intake bureau list --out verwerkt/"))
@click.pass_context
def bureau(ctx: click.Context) -> None:
    """Access keys of the web intake (`intake serve`): one per bureau, and operator keys.

    Meant for a.s.r. operations: its messages are in English.
    """
    ctx.meta[LANG_KEY] = "en"


@bureau.command("add", short_help="Make a key for a bureau (or an operator).", epilog=examples(
    "intake bureau add salarisbureau-noord --email salaris@noord.nl --out verwerkt/",
    "intake bureau add beheer --operator --db verwerkt/intake.sqlite"))
@click.argument("name")
@click.option("--operator", is_flag=True, help="A key for a.s.r.'s operator pages instead.")
@click.option("--email", default=None, help="The bureau's e-mail address: an upload whose rows "
              "name another bureau (E-mail salarisverwerker of another domain) is then held "
              "until the bureau confirms it.")
@db_options
def bureau_add(name: str, operator: bool, email: str | None, db: Path | None,
               out_dir: Path | None) -> None:
    """Make the access key of NAME and print it (once: only its hash is stored).

    NAME is also the bureau's folder in the inbox: lowercase letters, digits, hyphens.
    """
    from intake.web import keys as bureaus

    connection = bureaus.connect(_ledger_path(db, out_dir))
    try:
        key = bureaus.add(connection, name,
                          bureaus.Role.OPERATOR if operator else bureaus.Role.BUREAU, email)
    finally:
        connection.close()
    click.echo(key)
    click.echo(f"key for {name} made; give it to them over a safe channel: it is not shown "
               "again", err=True)


@bureau.command("email", short_help="Record a bureau's e-mail address.",
                 epilog=examples("intake bureau email salarisbureau-noord salaris@noord.nl "
                                 "--out verwerkt/"))
@click.argument("name")
@click.argument("address")
@db_options
def bureau_email(name: str, address: str, db: Path | None, out_dir: Path | None) -> None:
    """Record ADDRESS as the e-mail address of bureau NAME (its working key).

    From then on an upload whose rows name another bureau is held until the bureau confirms.
    """
    from intake.web import keys as bureaus

    connection = bureaus.connect(_ledger_path(db, out_dir))
    try:
        bureaus.set_email(connection, name, address)
    finally:
        connection.close()
    click.echo(f"e-mail address of {name} recorded")


@bureau.command("list", short_help="List the keys (never the keys themselves).",
                 epilog=examples("intake bureau list --out verwerkt/"))
@db_options
def bureau_list(db: Path | None, out_dir: Path | None) -> None:
    """List the keys: name, role, key id, made, revoked, e-mail (never the keys themselves)."""
    from intake.web import keys as bureaus

    connection = bureaus.connect(_ledger_path(db, out_dir))
    try:
        for k in bureaus.listing(connection):
            state = f"revoked {k.revoked_at}" if k.revoked_at else "active"
            click.echo(f"{k.name}\t{k.role.value}\t{k.key_id}\tmade {k.created_at}\t{state}"
                       f"\t{k.email or '-'}")
    finally:
        connection.close()


@bureau.command("revoke", short_help="Revoke a key; its sessions end at once.",
                 epilog=examples("intake bureau revoke salarisbureau-noord "
                                          "--out verwerkt/"))
@click.argument("name")
@db_options
def bureau_revoke(name: str, db: Path | None, out_dir: Path | None) -> None:
    """Revoke the key of NAME: it no longer logs in and its open sessions end at once."""
    from intake.web import keys as bureaus

    connection = bureaus.connect(_ledger_path(db, out_dir))
    try:
        bureaus.revoke(connection, name)
    finally:
        connection.close()
    click.echo(f"key of {name} revoked")


@cli.command(short_help="Run the web intake for bureaus and operators.", epilog=examples(
    "intake serve --inbox inbox/ --out verwerkt/",
    "intake serve --inbox inbox/ --out verwerkt/ --forwarded-allow-ips 127.0.0.1 --hsts  "
    "# behind a reverse proxy on this machine"))
@click.option("--inbox", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The nightly batch's inbox: good uploads go to INBOX/<bureau>/.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="The batch output folder (ledger); uploads are kept in "
                                  "OUTDIR/web/uploads/.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="The ledger (default OUTDIR/intake.sqlite).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--lang", type=LANG, default="nl", show_default=True,
              help="Language of the pages on a first visit (each page can switch between Dutch "
                   "and English, and the choice is kept) and of the check of an upload (the "
                   "person's chosen language, if any, wins); errors that stop the server are "
                   "English.")
@contract_prefix_option()
@click.option("--max-upload-mb", type=click.IntRange(1), default=50, show_default=True,
              help="Largest upload accepted (larger: 413).")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Uploads checked at once (each in its own process).")
@click.option("--large-workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Large files checked at once, in a lane of their own at low priority.")
@click.option("--large-mb", type=click.FloatRange(0), default=2.0, show_default=True,
              help="An upload over this size is a large file.")
@click.option("--forwarded-allow-ips", default="", show_default="none",
              help="Addresses of the reverse proxies whose X-Forwarded-For/-Proto headers are "
              "trusted (comma-separated); by default none, so that no client can choose the "
              "address the login limit counts.")
@click.option("--hsts", is_flag=True, help="Send Strict-Transport-Security (behind HTTPS).")
@click.option("--header-seconds", type=click.FloatRange(0.1), default=10.0, show_default=True,
              help="Time a client has to send a request's headers (then 408); its body gets "
                   "three times this plus 1 s per 10 KB.")
@click.option("--max-connections", type=click.IntRange(1), default=512, show_default=True,
              help="Open connections at once (more: 503); kept below the open-file limit.")
@click.option("--max-connections-per-address", type=click.IntRange(1), default=64,
              show_default=True, help="Open connections from one client address (the "
              "trusted proxies of --forwarded-allow-ips excepted).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="One line per request (and per server event) on stderr: text (time, then "
                   "key=value), or one JSON object per line.")
@limit_options
@click.pass_context
def serve(ctx: click.Context, inbox: Path, out_dir: Path, db: Path | None, host: str, port: int,
          lang: str, prefixes: tuple[str, ...], max_upload_mb: int, workers: int,
          large_workers: int, large_mb: float, forwarded_allow_ips: str, hsts: bool,
          header_seconds: float, max_connections: int, max_connections_per_address: int,
          log_format: str, max_rows: int, max_cells: int, max_mb: int, max_seconds: float,
          max_memory_mb: int) -> None:
    """Run the web intake: bureaus upload workbooks and see the findings at once; good
    workbooks go to INBOX/<bureau>/ for the nightly `intake batch --recursive`; the operator
    sees the runs, files, deliveries and conflicts of the ledger. Keys: `intake bureau`.
    """
    try:
        import resource  # noqa: F401  (the checking children's memory and CPU limits)
    except ImportError:  # Windows
        raise IntakeError.stop("serve-posix-only") from None
    from intake.web.app import ServeConfig
    from intake.web.app import serve as run_server
    from intake.web.connections import ConnectionLimits

    ctx.meta[LANG_KEY] = "en"  # run by a.s.r. operations, like `intake bureau`
    config = ServeConfig(
        inbox=inbox, out_dir=out_dir, db=db,
        limits=_limits(max_rows, max_cells, max_mb, max_seconds, max_memory_mb),
        contract_prefixes=prefixes, lang=lang,  # type: ignore[arg-type]
        max_upload_mb=max_upload_mb, workers=workers,
        large_workers=large_workers, large_mb=large_mb, hsts=hsts,
        connections=ConnectionLimits(header_seconds=header_seconds,
                                     max_connections=max_connections,
                                     per_address=max_connections_per_address))
    run_server(config, host, port, forwarded_allow_ips, log_format)  # type: ignore[arg-type]


def settings_from_environment(group: click.Group, prefix: str = "INTAKE") -> None:
    """Let every option of every command be set by an environment variable as well, named
    PREFIX_COMMAND_OPTION after the long option (`intake serve --max-upload-mb` is
    INTAKE_SERVE_MAX_UPLOAD_MB), and name it in --help. An option given on the command line wins.

    Not click's auto_envvar_prefix: that names the variable after the Python parameter
    (INTAKE_SERVE_OUT_DIR for --out, INTAKE_VALIDATE_AS_JSON for --json), not the option a
    reader of --help or of a unit file sees. A multiple option takes its values separated by
    spaces; a flag takes 1/true/yes or 0/false/no.
    """
    for name, command in group.commands.items():
        path = f"{prefix}_{name.upper().replace('-', '_')}"
        for param in command.params:
            if isinstance(param, click.Option) and param.expose_value:
                flag = max(param.opts, key=len).lstrip("-")
                param.envvar = f"{path}_{flag.upper().replace('-', '_')}"
                param.show_envvar = True
        if isinstance(command, click.Group):
            settings_from_environment(command, path)


settings_from_environment(cli)


def main(**kwargs: Any) -> None:
    """Entry point of the `intake` command."""
    from intake.validation.process import few_malloc_arenas

    few_malloc_arenas()
    cli(**kwargs)
