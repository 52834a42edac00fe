"""The operator's pages of `intake batch`: a run's index.html and OUTDIR/index.html.

Times are shown in Europe/Amsterdam (the operators' and the bureaus' time); summary.json keeps
UTC. Totals per bureau come from the Bedrijfsnaam and E-mail salarisverwerker of each file's
rows: a file with one bureau counts for it; a file naming several bureaus, or one that could
not be read, has a row of its own, so no count is attributed to a bureau by guess.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from intake.definition.messages import UI, Lang

#: The pages' own words, per language.
PAGE: dict[Lang, dict[str, str]] = {
    "nl": {
        "runs_title": "Nachtelijke verwerkingen", "latest": "Laatste verwerking",
        "started": "Gestart", "finished": "Klaar", "bureaus": "Per salarisverwerker",
        "bureau": "Salarisverwerker", "email": "E-mail", "unknown_bureau":
        "onbekend (bestand niet gelezen of zonder rijen)", "several_bureaus":
        "meerdere salarisverwerkers in één bestand", "delivered": "Aangeleverd",
        "werkgever": "werkgever", "werkgevers": "werkgevers", "time_zone": "tijd in Nederland",
        "none": "Geen verwerkingen.",
        "st_running": "bezig", "st_finished": "klaar",
        "st_interrupted": "onderbroken, afgemaakt door de volgende verwerking",
        "st_stopped": "gestopt (signaal)",
    },
    "en": {
        "runs_title": "Nightly runs", "latest": "Latest run", "started": "Started",
        "finished": "Finished", "bureaus": "Per payroll processor", "bureau": "Payroll processor",
        "email": "E-mail", "unknown_bureau": "unknown (file not read or without rows)",
        "several_bureaus": "several payroll processors in one file", "delivered": "Delivered",
        "werkgever": "employer", "werkgevers": "employers", "time_zone": "Dutch time",
        "none": "No runs.",
        "st_running": "running", "st_finished": "finished",
        "st_interrupted": "interrupted, completed by the next run",
        "st_stopped": "stopped (signal)",
    },
}


def _zone() -> dt.tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Europe/Amsterdam")
    except Exception:  # no time zone data (some Windows installs): say UTC rather than fail
        return dt.UTC


def local_time(iso: str | None) -> str:
    """An ISO 8601 UTC time as Dutch local time, `30-11-2026 03:30`; '' for none."""
    if not iso:
        return ""
    moment = dt.datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(_zone()).strftime("%d-%m-%Y %H:%M")


def bureau_totals(files: Sequence[Mapping[str, Any]], lang: Lang) -> list[dict[str, Any]]:
    """Per bureau (name, e-mail): files, rows, accepted, rejected and delivered employers."""
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for f in files:
        counts = f.get("counts") or {}
        if f.get("status") in ("skipped", "waiting"):
            continue
        named = counts.get("bureaus") or []
        if len(named) == 1:
            key = (str(named[0][0]), str(named[0][1]))
        else:
            key = ("", "") if not named else ("*", "*")
        entry = table.setdefault(key, {
            "name": {("", ""): PAGE[lang]["unknown_bureau"],
                     ("*", "*"): PAGE[lang]["several_bureaus"]}.get(key, key[0]),
            "email": key[1] if key not in (("", ""), ("*", "*")) else "",
            "files": 0, "rows": 0, "accepted": 0, "rejected": 0, "delivered": 0})
        rows = counts.get("werkgevers") or {}
        entry["files"] += 1
        for k in ("rows", "accepted", "rejected"):
            entry[k] += int(rows.get(k, 0))
        entry["delivered"] += int((f.get("delivered") or {}).get("werkgevers", 0))
    return sorted(table.values(), key=lambda e: (e["name"] == PAGE[lang]["unknown_bureau"],
                                                 e["name"].lower(), e["email"]))


@functools.cache
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("intake", "templates"),
                             autoescape=True)
    env.filters["local"] = local_time
    return env


def run_page(summary: Mapping[str, Any], lang: Lang) -> str:
    """A run's index.html."""
    return str(_env().get_template("batch.html.j2").render(
        summary=summary, ui=UI[lang], page=PAGE[lang], lang=lang,
        bureaus=bureau_totals(summary["files"], lang)))


def runs_page(runs: Sequence[Mapping[str, Any]], lang: Lang) -> str:
    """OUTDIR/index.html: every run, newest first, with a link to the latest."""
    return str(_env().get_template("runs.html.j2").render(runs=runs, page=PAGE[lang],
                                                          ui=UI[lang], lang=lang))
