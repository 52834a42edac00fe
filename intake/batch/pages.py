"""The operator's pages of `intake batch`: a run's index.html and OUTDIR/index.html.

Times are shown in Europe/Amsterdam (the operators' and the bureaus' time); summary.json keeps
UTC. Totals per bureau come from the Bedrijfsnaam and E-mail salarisverwerker of each file's
rows: a file with one bureau counts for it; a file naming several bureaus, or one that could
not be read, has a row of its own, so no count is attributed to a bureau by guess.

Each page says first what needs action ("actie nodig", intake.batch.attention), each item with
its severity in words (fout/waarschuwing, error/warning: not colour alone, for screen readers and
print), then the rest; files skipped as processed before are folded into one line.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from intake.batch.attention import Attention, attention
from intake.definition.messages import UI, Lang
from intake.outputs.layout import local_time

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
        "action": "Actie nodig", "no_action": "Geen actie nodig",
        "no_action_long": "Geen actie nodig: geen conflicten, alle bestanden konden worden "
        "gelezen.",
        "sev_error": "Fout", "sev_warning": "Waarschuwing", "what": "Wat",
        "k_conflict": "conflict met een eerdere aanmelding",
        "k_conflict_many": "conflicten met een eerdere aanmelding",
        "k_not-checked": "bestand niet gecontroleerd", "k_not-checked_many":
        "bestanden niet gecontroleerd",
        "k_still-unreadable": "nog steeds onleesbaar in de inbox",
        "k_still-unreadable_many": "nog steeds onleesbaar in de inbox",
        "k_no-address": "salarisverwerker zonder geldig e-mailadres",
        "k_no-address_many": "salarisverwerkers zonder geldig e-mailadres",
        "k_not-written": "bericht niet geschreven", "k_not-written_many":
        "berichten niet geschreven",
        "conflict_do": "Kloppen de nieuwe gegevens, lever dan opnieuw aan met "
        "--redeliver {value}; anders niets aanleveren en het bureau laten weten.",
        "still_unreadable": "Dezelfde inhoud was onleesbaar in verwerking {run} en staat nog in "
        "de inbox; het wordt niet opnieuw gelezen. Haal het weg of vraag het bureau om een "
        "leesbare werkmap.",
        "no_address": "Geen geldig e-mailadres in de rijen: het bureau krijgt geen bericht.",
        "notes": "Overige meldingen", "files_now": "Bestanden van deze verwerking",
        "skipped_line": "{n} bestand al eerder verwerkt (zelfde inhoud), overgeslagen",
        "skipped_line_many": "{n} bestanden al eerder verwerkt (zelfde inhoud), overgeslagen",
        "earlier": "Eerder verwerkt in", "action_col": "Actie nodig", "no": "nee", "yes": "ja",
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
        "action": "Action needed", "no_action": "No action needed",
        "no_action_long": "No action needed: no conflicts, every file could be read.",
        "sev_error": "Error", "sev_warning": "Warning", "what": "What",
        "k_conflict": "conflict with an earlier registration",
        "k_conflict_many": "conflicts with an earlier registration",
        "k_not-checked": "file not checked", "k_not-checked_many": "files not checked",
        "k_still-unreadable": "still unreadable in the inbox",
        "k_still-unreadable_many": "still unreadable in the inbox",
        "k_no-address": "payroll processor without a valid e-mail address",
        "k_no-address_many": "payroll processors without a valid e-mail address",
        "k_not-written": "message not written", "k_not-written_many": "messages not written",
        "conflict_do": "If the new data are right, deliver them again with "
        "--redeliver {value}; otherwise deliver nothing and tell the bureau.",
        "still_unreadable": "The same content was unreadable in run {run} and is still in the "
        "inbox; it is not read again. Remove it or ask the bureau for a readable workbook.",
        "no_address": "No valid e-mail address in the rows: the bureau gets no message.",
        "notes": "Other notes", "files_now": "Files of this run",
        "skipped_line": "{n} file processed before (same content), skipped",
        "skipped_line_many": "{n} files processed before (same content), skipped",
        "earlier": "Processed before in", "action_col": "Action needed", "no": "no", "yes": "yes",
    },
}


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
    env.filters["kinds"] = kinds_line
    return env


def kinds_line(per_kind: Mapping[str, int], lang: Lang) -> str:
    """`2 conflicten met een eerdere aanmelding, 1 bestand niet gecontroleerd`."""
    words = PAGE[lang]
    return ", ".join(f"{n} {words['k_' + kind + ('' if n == 1 else '_many')]}"
                     for kind, n in per_kind.items())


def run_page(summary: Mapping[str, Any], lang: Lang) -> str:
    """A run's index.html: what needs action first, then the rest, old files folded."""
    found: Attention = attention(summary)
    files = summary["files"]
    return str(_env().get_template("batch.html.j2").render(
        summary=summary, ui=UI[lang], page=PAGE[lang], lang=lang,
        bureaus=bureau_totals(files, lang), attention=found,
        kinds=kinds_line(found.per_kind(), lang),
        current=[f for f in files if f.get("status") != "skipped"],
        skipped=[f for f in files if f.get("status") == "skipped"]))


def run_attention(summary_path: Path) -> dict[str, int]:
    """Per kind, what in the run of this summary.json needs action ({} when nothing, or when
    the summary cannot be read)."""
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return dict(attention(summary).per_kind()) if isinstance(summary, dict) else {}


def runs_page(runs: Sequence[Mapping[str, Any]], lang: Lang) -> str:
    """OUTDIR/index.html: every run, newest first, with a link to the latest."""
    return str(_env().get_template("runs.html.j2").render(runs=runs, page=PAGE[lang],
                                                          ui=UI[lang], lang=lang))
