"""`intake validate` as a library call: validate one workbook and write every output."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from intake.export import CsvDialect, write_csvs
from intake.feedback import write_feedback
from intake.htmlreport import write_html
from intake.messages import Lang
from intake.report import build_report, write_report_json
from intake.validate import Options, Result, validate_workbook


@dataclass
class Outcome:
    """What one validation produced: the result, report.json's content and the files written."""

    result: Result
    report: dict[str, object]
    files: list[Path]


def default_out_dir(workbook: Path, base: Path = Path("reports")) -> Path:
    """reports/<workbook name without suffix>/."""
    return base / workbook.stem


def run(workbook: Path, out_dir: Path, options: Options | None = None, lang: Lang = "nl",
        dialect: CsvDialect = "standard") -> Outcome:
    """Validate `workbook`; write report.json, report.html, the CSVs and the feedback workbook."""
    options = options or Options()
    result = validate_workbook(workbook, options)
    report = build_report(result, options, lang)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_report_json(report, out_dir / "report.json")
    write_html(result, report, out_dir / "report.html", lang)
    files = write_csvs(result, out_dir, dialect)
    feedback = write_feedback(result, out_dir, lang)
    return Outcome(result=result, report=report,
                   files=[out_dir / "report.json", out_dir / "report.html", *files, feedback])
