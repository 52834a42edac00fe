"""The `intake` command: parse options, call the library, print a summary, pick the exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from intake import __version__
from intake.safety import Limits

LANG = click.Choice(["nl", "en"])


class UnreadableFile(click.ClickException):
    """A file that cannot be read as a spreadsheet: exit 2, one line on stderr."""

    exit_code = 2


class CannotRun(click.ClickException):
    """The command cannot run (folders, lock, ledger): exit 2."""

    exit_code = 2




@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="intake")
def cli() -> None:
    """Aanmelden van werkgevers voor de a.s.r.-salariskoppeling met Loket.nl, in bulk.

    Batch intake of employers for the a.s.r. payroll link: write the Excel template, then
    validate filled-in workbooks into a report and a clean CSV delivery.
    """


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
        click.option("--max-seconds", type=click.FloatRange(0), default=Limits.max_seconds,
                     show_default=True, help="Time one workbook may take (0: no limit)."),
    )):
        command = option(command)
    return command


def contract_prefixes(ctx: click.Context, param: click.Parameter,
                      values: tuple[str, ...]) -> tuple[str, ...]:
    """--contract-prefix normalised as the values are (case, spaces, dots, hyphens), each a
    possible start of a Raamwerkcontractnummer (letters, then digits); the default when none."""
    import re

    from intake.fields import Kind
    from intake.normalize import normalise
    from intake.rules import DEFAULT_CONTRACT_PREFIXES

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


def _limits(max_rows: int, max_cells: int, max_mb: int, max_seconds: float) -> Limits:
    return Limits(max_rows=max_rows, max_cells=max_cells, max_uncompressed_mb=max_mb,
                  max_seconds=max_seconds)


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path),
                default="werkgevers-aanmelding.xlsx")
def template(path: Path) -> None:
    """Write the blank Excel template to PATH (default werkgevers-aanmelding.xlsx)."""
    from intake.template import write_template

    write_template(path)
    click.echo(str(path))


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default="schemas", show_default=True, help="Folder to write the contract into.")
def schema(out_dir: Path) -> None:
    """Write the data contract: Table Schemas of the CSVs, datapackage.json, a JSON Schema of
    report.json and a page describing every field and finding code."""
    from intake.contract import write_contract

    for path in write_contract(out_dir):
        click.echo(str(path))


@cli.command()
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: reports/<workbook name>/).")
@click.option("--lang", type=LANG, default="nl", show_default=True,
              help="Language of messages and report.")
@click.option("--contract-prefix", "prefixes", multiple=True, metavar="PREFIX",
              callback=contract_prefixes,
              help="Accepted Raamwerkcontractnummer prefix; repeat for several "
                   "(default: A020).")
@click.option("--csv-dialect", type=click.Choice(["standard", "excel-nl"]), default="standard",
              show_default=True,
              help="standard: UTF-8 with commas; excel-nl: semicolons and a BOM for Dutch Excel.")
@limit_options
@click.option("--debug", is_flag=True, help="Show a traceback when a file cannot be read.")
def validate(workbook: Path, out_dir: Path | None, lang: str, prefixes: tuple[str, ...],
             csv_dialect: str, max_rows: int, max_cells: int, max_mb: int, max_seconds: float,
             debug: bool) -> None:
    """Check WORKBOOK and write report.json, report.html, werkgevers.csv and dga.csv.

    Exit 0: no errors (warnings allowed). Exit 1: errors found (rows with errors are left
    out of the CSVs). Exit 2: bad invocation or a file that cannot be read as a spreadsheet.
    """
    from intake.errors import IntakeError
    from intake.messages import UI
    from intake.pipeline import default_out_dir, run
    from intake.timelimit import TimeLimitExceeded
    from intake.validate import Options

    limits = _limits(max_rows, max_cells, max_mb, max_seconds)
    options = Options(contract_prefixes=prefixes, limits=limits)
    target = out_dir or default_out_dir(workbook)
    try:
        outcome = run(workbook, target, options, lang=lang,  # type: ignore[arg-type]
                      dialect=csv_dialect)  # type: ignore[arg-type]
    except (IntakeError, TimeLimitExceeded) as exc:
        # An unreadable file (the reason, with what was found), the time limit, an output
        # folder that cannot be written or would replace the input: one line, exit 2.
        if debug:
            raise
        text = exc.message(lang)  # type: ignore[arg-type]
        if isinstance(exc, TimeLimitExceeded):
            text = f"{workbook}: {text}"
        raise UnreadableFile(text) from exc
    ui = UI[lang]  # type: ignore[index]
    result = outcome.result
    for data in (result.werkgevers, result.dga):
        click.echo(ui["terminal"].format(sheet=data.spec.name, **data.counts()))
    click.echo(ui["terminal_totals"].format(errors=result.errors, warnings=result.warnings))
    click.echo(ui["terminal_written"].format(
        out=target, files=", ".join(p.name for p in outcome.files)))
    click.echo(ui["terminal_valid" if result.valid else "terminal_invalid"])
    sys.exit(0 if result.valid else 1)


@cli.command()
@click.argument("inbox", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="Output folder: one sub-folder per run, and the ledger.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="The ledger (default OUTDIR/intake.sqlite).")
@click.option("--force", is_flag=True, help="Process files whose content was processed before.")
@click.option("--lang", type=LANG, default="nl", show_default=True)
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes validating files in parallel.")
@click.option("--recursive", is_flag=True, help="Also take files in sub-folders of INBOX.")
@click.option("--move-to", type=click.Path(file_okay=False, path_type=Path),
              help="Move each processed file into DIR/accepted, DIR/rejected (some or all "
                   "rows rejected), DIR/quarantine (unreadable or failed) or DIR/skipped "
                   "(processed before). Without it the inbox is only read.")
@click.option("--settle", type=click.FloatRange(0), default=10.0, show_default=True,
              metavar="SECONDS",
              help="Leave files modified less than this long ago for the next run.")
@click.option("--contract-prefix", "prefixes", multiple=True, metavar="PREFIX",
              callback=contract_prefixes,
              help="Accepted Raamwerkcontractnummer prefix; repeat for several (default: A020).")
@limit_options
def batch(inbox: Path, out_dir: Path, db: Path | None, force: bool, lang: str, jobs: int,
          recursive: bool, move_to: Path | None, settle: float, prefixes: tuple[str, ...],
          max_rows: int, max_cells: int, max_mb: int, max_seconds: float) -> None:
    """Validate every workbook in INBOX, once, into OUTDIR/<run-id>/.

    \b
    OUTDIR/intake.sqlite           ledger of runs, files and delivered employers
    OUTDIR/<run-id>/summary.json   per file: name, sha256, status, counts
    OUTDIR/<run-id>/index.html     the same as a page, linking to each report
    OUTDIR/<run-id>/werkgevers.csv the run's combined delivery (with bron_bestand)
    OUTDIR/<run-id>/dga.csv
    OUTDIR/<run-id>/<file name>/   what `intake validate` writes for that file

    A file whose content is in the ledger is skipped (unless --force). Excel lock files (~$)
    and files still being written are left for the next run. An employer already delivered
    (earlier in this run or in an earlier run) is not delivered again: a warning names where.
    A run killed midway is completed by the next one. Exit 0: every file accepted; 1: some
    rows or files rejected, unreadable or failed; 2: could not run (bad folder, lock held).
    """
    from intake.batch import BatchError, BatchOptions, run_batch
    from intake.rules import DEFAULT_CONTRACT_PREFIXES

    options = BatchOptions(
        inbox=inbox, out_dir=out_dir, db=db, force=force, lang=lang,  # type: ignore[arg-type]
        jobs=jobs, recursive=recursive, move_to=move_to, settle_seconds=settle,
        contract_prefixes=tuple(p.strip().upper() for p in prefixes if p.strip())
        or DEFAULT_CONTRACT_PREFIXES, limits=_limits(max_rows, max_cells, max_mb, max_seconds))
    tty = sys.stderr.isatty()
    bar: Any = None

    def progress(done: int, total: int, name: str, status: str) -> None:
        nonlocal bar
        if tty:
            if bar is None:
                bar = click.progressbar(length=total, label="intake batch", file=sys.stderr)
                bar.__enter__()
            bar.update(1)
        else:
            click.echo(f"[{done}/{total}] {name}: {status}", err=True)

    try:
        result = run_batch(options, progress)
    except BatchError as exc:
        raise CannotRun(str(exc)) from exc
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    totals: dict[str, int] = {}
    for f in result.files:
        totals[f["status"]] = totals.get(f["status"], 0) + 1
    click.echo(f"run {result.run_id}: " + ", ".join(f"{n} {s}" for s, n in totals.items()))
    click.echo(f"summary: {result.run_dir / 'summary.json'}")
    sys.exit(result.exit_code)


@cli.command()
@click.argument("werkgever_id", required=False)
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="The ledger (default OUTDIR/intake.sqlite with --out).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The batch output folder holding intake.sqlite.")
def history(werkgever_id: str | None, db: Path | None, out_dir: Path | None) -> None:
    """List runs and files, or where and when WERKGEVER_ID was registered."""
    from intake.batch import DEFAULT_DB_NAME, history_lines
    from intake.ledger import Ledger

    path = db or (out_dir / DEFAULT_DB_NAME if out_dir else None)
    if path is None:
        raise click.UsageError("give --db PATH or --out OUTDIR")
    if not path.is_file():
        raise CannotRun(f"no ledger at {path}")
    ledger = Ledger(path)
    try:
        for line in history_lines(ledger, werkgever_id):
            click.echo(line)
    finally:
        ledger.close()


def main(**kwargs: Any) -> None:
    """Entry point of the `intake` command."""
    cli(**kwargs)
