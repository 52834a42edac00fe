"""report.html: one self-contained page for people, in Dutch or English.

Everything the page shows comes from the result; jinja2 escapes every value (autoescape on).
Long lists are bounded (the limits below); the page says so and points to the complete data.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from intake.definition.findings import Finding
from intake.definition.messages import CATALOGUE, UI, Lang, delivered_note, next_step
from intake.definition.status import Door
from intake.outputs.feedback import feedback_name
from intake.outputs.files import atomic_write_text
from intake.outputs.layout import parsed_time, shown_time
from intake.validation.sheetdata import SheetData
from intake.validation.validate import Result

#: At most this many rows with findings are listed per sheet and section.
MAX_ROWS_WITH_FINDINGS = 500
#: At most this many accepted employers are listed (werkgevers.csv has them all).
MAX_ACCEPTED_LISTED = 200
#: At most this many cells are listed under each rule in the per-rule overview.
MAX_CELLS_PER_RULE = 50


def _finding_view(f: Finding, lang: Lang, result: Result) -> dict[str, object]:
    label = f.field or ""
    for data in (result.werkgevers, result.dga):
        if f.field and data.sheet == f.sheet and f.field in data.columns:
            field = data.spec.field(f.field)
            label = field.label if lang == "nl" else field.label_en
    _, message, hint = f.texts(lang)
    return {"severity": f.severity, "sheet": f.sheet, "cell": f.cell, "label": label,
            "value": f.value, "message": message, "hint": hint, "code": f.code}


def _row_groups(data: SheetData, findings: list[Finding], lang: Lang, result: Result,
                errors: bool) -> tuple[list[dict[str, object]], int]:
    per_row: dict[int, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.sheet == data.sheet and f.row is not None and f.row != data.header_row:
            per_row[f.row].append(f)
    rejected_rows = {data.rows[i] for i, bad in enumerate(data.rejected) if bad}
    wanted = sorted(r for r in per_row if (r in rejected_rows) == errors)
    position = {row: i for i, row in enumerate(data.rows)}
    groups = []
    name_field = "werkgever_naam" if "werkgever_naam" in data.spec.csv_columns else "naam"
    for row in wanted[:MAX_ROWS_WITH_FINDINGS]:
        # A row that is no data row (a formula without a value below the table) has no key.
        i = position.get(row)
        key = "" if i is None else " · ".join(
            v for v in (data.shown.get(name_field, [""] * (i + 1))[i],
                        data.shown.get("werkgever_id", [""] * (i + 1))[i]) if v)
        groups.append({"row": row, "key": key,
                       "findings": [_finding_view(f, lang, result) for f in per_row[row]]})
    return groups, len(wanted)


@functools.cache
def _environment() -> Any:
    """The templates, compiled once per process (0.1 s each time otherwise: a web worker
    renders a page per upload)."""
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("intake", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined)


def render_html(result: Result, report: dict[str, object], lang: Lang = "nl",
                door: Door = Door.COMMAND_LINE) -> str:
    """The HTML page for `result` (report is report.json's dict, for its metadata); its next
    step is the one for `door`."""
    env = _environment()
    ui = UI[lang]
    sheets = []
    for data in (result.werkgevers, result.dga):
        if data.sheet is None:
            continue
        rejected, rejected_total = _row_groups(data, result.findings, lang, result, True)
        warned, warned_total = _row_groups(data, result.findings, lang, result, False)
        sheets.append({"name": data.sheet, "rejected": rejected,
                       "rejected_total": rejected_total, "warned": warned,
                       "warned_total": warned_total})
    counts = Counter(f.code for f in result.findings)
    cells: dict[str, list[str]] = defaultdict(list)
    for f in result.findings:
        if f.cell and len(cells[f.code]) < MAX_CELLS_PER_RULE:
            cells[f.code].append(f"{f.sheet}!{f.cell}")
    per_rule = [{"code": code, "severity": CATALOGUE[code].severity, "count": n,
                 "title": CATALOGUE[code].title_nl if lang == "nl" else CATALOGUE[code].title_en,
                 "cells": cells.get(code, [])}
                for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    werkgevers = result.werkgevers
    fields = werkgevers.spec.fields
    accepted_positions = werkgevers.accepted_positions()
    accepted = [{"row": werkgevers.rows[i],
                 "cells": [werkgevers.value(f.name, i) or "" for f in fields]}
                for i in accepted_positions[:MAX_ACCEPTED_LISTED]]
    page = env.get_template("report.html.j2").render(
        ui=ui,
        lang=lang,
        report=report,
        summary=result.summary(),
        file_findings=[_finding_view(f, lang, result) for f in result.findings
                       if _about_the_workbook(result, f)],
        per_rule=per_rule,
        sheets=sheets,
        accepted=accepted,
        accepted_total=len(accepted_positions),
        accepted_headers=[f.label if lang == "nl" else f.label_en for f in fields],
        max_rows=MAX_ROWS_WITH_FINDINGS,
        checked_at=_when(str(report["generated_at"])),
        feedback=feedback_name(result.path),
        next_step=next_step(door, result.status, lang, workbook=result.path.name,
                            feedback=feedback_name(result.path),
                            accepted=result.werkgevers.accepted,
                            rows=len(result.werkgevers), marked=result.marked),
        delivered_note=_delivered_note(report, lang),
    )
    return str(page)


def _delivered_note(report: dict[str, object], lang: Lang) -> str:
    """Where fewer employers were delivered than accepted (a batch leaves out what was delivered
    before): how many were delivered; else nothing."""
    summary = report.get("summary")
    counts = summary.get("werkgevers") if isinstance(summary, dict) else None
    if not isinstance(counts, dict) or counts.get("delivered", counts.get("accepted")) == \
            counts.get("accepted"):
        return ""
    return delivered_note(counts["delivered"], counts["accepted"], lang)


def _when(iso: str) -> str:
    """An ISO timestamp as people in the Netherlands read it: 29-11-2026 16:53 CET."""
    moment = parsed_time(iso)
    return iso if moment is None else shown_time(moment)


def _about_the_workbook(result: Result, f: Finding) -> bool:
    """Findings not about a data row: file and sheet level, header cells, other sheets."""
    for data in (result.werkgevers, result.dga):
        if data.sheet == f.sheet:
            return f.row is None or f.row == data.header_row
    return True


def write_html(result: Result, report: dict[str, object], path: Path, lang: Lang = "nl",
               door: Door = Door.COMMAND_LINE) -> None:
    """Write report.html atomically."""
    atomic_write_text(path, render_html(result, report, lang, door))
