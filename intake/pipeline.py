"""`intake validate` as a library call: validate one workbook and write every output."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from intake.export import CsvDialect, write_csvs
from intake.feedback import write_feedback
from intake.htmlreport import write_html
from intake.messages import Lang
from intake.report import build_report, write_report_json
from intake.timelimit import time_limit
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
    """Validate `workbook`; write report.json, report.html, the CSVs and the feedback workbook.

    The outputs are written in a staging folder and moved into `out_dir` only when all of them
    are complete, so a failure or the time limit never leaves a partial set behind.
    """
    options = options or Options()
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    try:
        with time_limit(options.limits.max_seconds):
            result = validate_workbook(workbook, options)
            report = build_report(result, options, lang)
            write_report_json(report, staging / "report.json")
            write_html(result, report, staging / "report.html", lang)
            csvs = write_csvs(result, staging, dialect)
            feedback = write_feedback(result, staging, lang)
        files = []
        for path in [staging / "report.json", staging / "report.html", *csvs, feedback]:
            os.replace(path, out_dir / path.name)
            files.append(out_dir / path.name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not any(out_dir.iterdir()):
            out_dir.rmdir()  # nothing was written: leave nothing behind
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return Outcome(result=result, report=report, files=files)
