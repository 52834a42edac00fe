"""report.json: the machine-readable result, and the one place its shape is built."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from intake import __version__
from intake.definition.messages import Lang
from intake.outputs.files import atomic_write_text, sha256_of
from intake.validation.validate import Options, Result

#: Bumped when report.json changes in a way a consumer would notice.
REPORT_FORMAT_VERSION = "1.1"


def build_report(result: Result, options: Options, lang: Lang = "nl",
                 generated_at: str | None = None,
                 delivered: tuple[int, int] | None = None) -> dict[str, object]:
    """report.json as a dict: summary, findings, and where it came from.

    `delivered` is how many employers and DGAs were delivered (a batch leaves out those
    delivered before); by default the accepted ones, which is what the CSVs hold."""
    summary = result.summary()
    for key, sheet, n in (("werkgevers", result.werkgevers, 0), ("dga", result.dga, 1)):
        counts = summary[key]
        assert isinstance(counts, dict)
        counts["delivered"] = sheet.accepted if delivered is None else delivered[n]
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "status": str(result.status),
        "summary": summary,
        "findings": [f.to_dict(lang) for f in result.findings],
        "workbook": {
            "name": result.path.name,
            "sha256": sha256_of(result.path),
            "sheets": result.sheet_names,
        },
        **provenance(options.contract_prefixes, lang, generated_at),
    }


def provenance(prefixes: Sequence[str], lang: Lang,
               generated_at: str | None = None) -> dict[str, object]:
    """The end of every report.json, checked or not: the options, the generator, the time."""
    return {
        "options": {"contract_prefixes": list(prefixes), "lang": lang},
        "generator": {"name": "asr-loket-intake", "version": __version__},
        "generated_at": generated_at
        or dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }


def report_text(report: Mapping[str, object]) -> str:
    """report.json's text (indented, non-ASCII kept readable)."""
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


def write_report_json(report: Mapping[str, object], path: Path) -> None:
    """Write report.json (UTF-8)."""
    atomic_write_text(path, report_text(report))
