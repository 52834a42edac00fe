"""What `intake validate` prints on a terminal: the findings, the totals, then the verdict."""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import click

from intake.definition.findings import Finding
from intake.definition.messages import UI, Lang, next_step
from intake.definition.status import Door, Status
from intake.outputs.feedback import feedback_name
from intake.validation.validate import Result

#: Findings printed before "… and N more" (the rest are in report.html and feedback.xlsx).
MAX_SHOWN = 50
_COLOURS = {"error": "red", "warning": "yellow"}
# A sheet name Excel writes without quotes in a reference (Werkgevers!E7, not 'Mijn blad'!E7).
_PLAIN_SHEET = re.compile(r"[^\W\d]\w*")


def unsafe(ch: str) -> bool:
    """Whether `ch` must not reach a terminal or a log line as it is: a control character
    (C0, C1), a format character (a direction override, a zero-width one), a line or paragraph
    separator, a lone surrogate."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs")


def printable(text: str) -> str:
    """`text` with the `unsafe` characters shown as escapes: a cell value from an untrusted
    workbook must not move the cursor, colour or reorder the terminal."""
    return "".join(ch.encode("unicode_escape").decode("ascii") if unsafe(ch) else ch
                   for ch in text)


def where(finding: Finding, workbook: str, lang: Lang) -> str:
    """Where the finding is, as the user finds it in Excel: `Werkgevers!E7`, `'Mijn blad'!E7`,
    a sheet and row, a sheet, or the workbook itself."""
    if finding.sheet is None:
        return workbook
    sheet = finding.sheet
    if not _PLAIN_SHEET.fullmatch(sheet):
        sheet = "'" + sheet.replace("'", "''") + "'"
    if finding.cell is not None:
        return f"{sheet}!{finding.cell}"
    if finding.row is not None:
        return UI[lang]["terminal_row"].format(sheet=sheet, row=finding.row)
    return sheet


def finding_lines(findings: Sequence[Finding], workbook: str, lang: Lang,
                  limit: int = MAX_SHOWN, columns: int | None = None) -> list[str]:
    """The first `limit` findings, two lines each (where, severity, code and what is wrong;
    then what to do), and a line saying how many more there are. With `columns` (a terminal's
    width) the texts are wrapped at word boundaries under their first word; without, each
    stays on one line (for a pipe, grep or a log)."""
    ui = UI[lang]
    shown = findings[:limit]
    places = [printable(where(f, workbook, lang)) for f in shown]
    width = max((len(p) for p in places), default=0)
    word_width = max(len(ui["error"]), len(ui["warning"]))
    lines = []
    for place, finding in zip(places, shown, strict=True):
        word = ui[finding.severity].ljust(word_width)
        severity = click.style(word, fg=_COLOURS[finding.severity], bold=True)
        first = f"{finding.code}: {printable(finding.message(lang))}"
        fix = f"{ui['terminal_fix']} {printable(finding.hint(lang))}"
        head = width + 3 + word_width
        lines.extend(_wrapped(f"{place:<{width}}  {severity} ", head, first, head, columns))
        lines.extend(_wrapped(" " * (width + 2), width + 2, fix,
                              width + 3 + len(ui["terminal_fix"]), columns))
    more = len(findings) - len(shown)
    if more:
        lines.append(_count(ui, "terminal_more", more))
    return lines


def summary_lines(result: Result, out_dir: Path, files: Sequence[Path], lang: Lang) -> list[str]:
    """Rows per sheet, the totals, the files written, and the next step: what to deliver, or
    which file to fix and how to check it again."""
    ui = UI[lang]
    lines = []
    for data in (result.werkgevers, result.dga):
        counts = data.counts()
        lines.append(ui["terminal"].format(
            sheet=data.spec.name, rows=_count(ui, "terminal_rows", counts["rows"]),
            accepted=counts["accepted"], rejected=counts["rejected"]))
    lines.append(f"{_count(ui, 'terminal_errors', result.errors)}, "
                 f"{_count(ui, 'terminal_warnings', result.warnings)}")
    lines.append(ui["terminal_written"].format(
        out=printable(str(out_dir)), files=", ".join(p.name for p in files)))
    feedback = next((p for p in files if p.name == feedback_name(result.path)), None)
    if feedback is None:
        return lines
    lines.append(f"{ui['next_step']}: " + next_step(
        Door.COMMAND_LINE, result.status, lang, workbook=printable(result.path.name),
        feedback=_quoted(feedback), accepted=result.werkgevers.accepted,
        rows=len(result.werkgevers), marked=result.marked))
    if result.status != Status.ACCEPTED:
        # The command line's own advice: the command that checks the corrected file.
        lines.append(ui["terminal_next"])
        lines.append(f"  intake validate {_quoted(feedback)}")
    return lines


def verdict(result: Result, lang: Lang) -> str:
    """The last line: valid or not."""
    ui = UI[lang]
    return ui["terminal_valid" if result.valid else "terminal_invalid"]


def report_lines(result: Result, out_dir: Path, files: Sequence[Path], lang: Lang,
                 limit: int = MAX_SHOWN, columns: int | None = None) -> list[str]:
    """Everything `intake validate` prints: findings, a blank line, the summary, the verdict."""
    findings = finding_lines(result.findings, result.path.name, lang, limit, columns)
    return [*findings, *([""] if findings else []),
            *summary_lines(result, out_dir, files, lang), verdict(result, lang)]


def _wrapped(head: str, head_len: int, text: str, indent: int,
             columns: int | None) -> list[str]:
    """`head` (`head_len` characters on screen; it may hold colour codes) + `text`, wrapped to
    `columns` with the continuation lines at `indent` (not wrapped without `columns`, or where
    too narrow to be of use)."""
    if columns is None or columns - indent < 30:
        return [head + text]
    parts = textwrap.wrap(text, columns - 1, initial_indent=" " * head_len,
                          subsequent_indent=" " * indent, break_on_hyphens=False)
    return [head + parts[0][head_len:], *parts[1:]]


def _quoted(path: Path) -> str:
    """`path` as it can be typed after `intake validate` (in quotes when it holds a space)."""
    text = printable(str(path))
    return f'"{text}"' if " " in text else text


def _count(ui: dict[str, str], key: str, n: int) -> str:
    """`n` with the singular or plural words of `key` (`key_one`, `key_many`)."""
    return ui[f"{key}_one" if n == 1 else f"{key}_many"].format(n=n)
