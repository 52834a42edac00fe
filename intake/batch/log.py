"""The batch's words for people outside the pages: the cron log line and `intake history`."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from intake.batch.ledger import Ledger
from intake.batch.outcome import FileOutcome
from intake.definition.errors import IntakeError
from intake.definition.messages import Lang
from intake.definition.status import Status
from intake.outputs.logs import LogFormat, local_time, render


def log_fields(run_id: str, outcome: FileOutcome) -> dict[str, Any]:
    """A file's log event: run, file, status, counts, and why when not accepted."""
    record: dict[str, Any] = {"run": run_id, "file": outcome.name,
                              "status": str(outcome.status)}
    rows = (outcome.counts or {}).get("werkgevers")
    if isinstance(rows, Mapping):
        record |= {"rows": rows.get("rows", 0), "accepted": rows.get("accepted", 0),
                   "rejected": rows.get("rejected", 0), "delivered": outcome.delivered[0],
                   "errors": (outcome.counts or {}).get("errors", 0),
                   "warnings": (outcome.counts or {}).get("warnings", 0)}
    if outcome.same_as:
        record["same_as"] = outcome.same_as
    if outcome.reason and outcome.status is not Status.ACCEPTED:
        record["reason"] = outcome.reason
    if outcome.moved_to:
        record["moved_to"] = outcome.moved_to
    return record


def log_line(run_id: str, outcome: FileOutcome, fmt: LogFormat = "text") -> str:
    """One line for the log: time, run, file, status, counts, and why when not accepted (as
    `intake.outputs.logs.Formatter` writes the event). Text values are JSON-quoted, so no file
    name can start a line of its own."""
    return render({"time": local_time(), **log_fields(run_id, outcome)}, fmt)


#: `intake history`'s words, per language.
HISTORY: dict[str, dict[Lang, str]] = {
    "run": {"nl": "verwerking {id}  {status}  gestart {started}  {inbox}",
            "en": "run {id}  {status}  started {started}  {inbox}"},
    "rows": {"nl": "{accepted}/{rows} werkgevers goedgekeurd, {delivered} aangeleverd",
             "en": "{accepted}/{rows} employers accepted, {delivered} delivered"},
    "registered": {"nl": "{werkgever_id}  {lhn}  {at}  verwerking {run}  {name} rij {row}",
                   "en": "{werkgever_id}  {lhn}  {at}  run {run}  {name} row {row}"},
    "unknown": {"nl": "Werkgever ID {id} staat niet in het grootboek {path}: voor deze werkgever "
                      "is nog niets aangeleverd. Controleer het nummer (Loket.nl, tab "
                      "Bedrijfsgegevens).",
                "en": "Employer ID {id} is not in the ledger {path}: nothing has been delivered "
                      "for this employer. Check the number (Loket.nl, tab Bedrijfsgegevens)."},
    "running": {"nl": "bezig", "en": "running"},
    "finished": {"nl": "klaar", "en": "finished"},
    "interrupted": {"nl": "onderbroken (afgemaakt door de volgende verwerking)",
                    "en": "interrupted (completed by the next run)"},
    "stopped": {"nl": "gestopt (signaal)", "en": "stopped (signal)"},
}


class UnknownEmployer(IntakeError):
    """`intake history WERKGEVER_ID` for an employer the ledger never delivered: exit 1."""

    exit_code = 1
    code = "history-unknown-employer"


def employer_json(ledger: Ledger, werkgever_id: str) -> dict[str, Any]:
    """`intake history WERKGEVER_ID --json`: its deliveries and its states, oldest first."""
    from intake.definition.registration import STATE_RECORD

    rows = ledger.registrations(werkgever_id)
    if not rows:
        raise UnknownEmployer(*(HISTORY["unknown"][lg].format(id=werkgever_id, path=ledger.path)
                                for lg in ("nl", "en")))
    return {"werkgever_id": werkgever_id,
            "deliveries": [{"loonheffingennummer": r["loonheffingennummer"], "file": r["name"],
                            "run": r["run_id"], "at": r["processed_at"],
                            "row": r["source_row"]} for r in rows],
            "states": [{k: s[k] for k in STATE_RECORD}
                       for s in ledger.state_history(werkgever_id)]}


def history_lines(ledger: Ledger, werkgever_id: str | None, lang: Lang = "nl") -> Iterator[str]:
    """`intake history`: runs and files, or where an employer was registered (UnknownEmployer
    when it never was)."""
    from intake.definition.messages import UI
    from intake.outputs.terminal import printable as shown  # names come from outside

    if werkgever_id:
        rows = ledger.registrations(werkgever_id)
        if not rows:
            raise UnknownEmployer(*(HISTORY["unknown"][lg].format(id=werkgever_id,
                                                                  path=ledger.path)
                                    for lg in ("nl", "en")))
        for r in rows:
            yield HISTORY["registered"][lang].format(
                werkgever_id=r["werkgever_id"], lhn=r["loonheffingennummer"],
                at=r["processed_at"], run=r["run_id"], name=shown(r["name"]),
                row=r["source_row"])
        from intake.definition.registration import WORDS, State

        for s in ledger.state_history(werkgever_id):
            extra = s["first_exchange"] or s["reason"] or ""
            yield (f"{s['werkgever_id']}  {s['loonheffingennummer']}  {s['at']}  "
                   f"{WORDS[lang][State(s['state'])]}  {shown(s['source'])}  {shown(extra)}"
                   ).rstrip()
        return
    labels = UI[lang]
    for run in ledger.runs():
        status = HISTORY.get(run["status"], {}).get(lang, run["status"])
        yield HISTORY["run"][lang].format(id=run["id"], status=status,
                                          started=run["started_at"], inbox=shown(run["inbox"]))
        delivered = ledger.delivered_counts(run["id"])
        for f in ledger.files(run["id"]):
            counts = json.loads(f["counts"])
            rows = counts.get("werkgevers", {})
            detail = (HISTORY["rows"][lang].format(
                accepted=rows.get("accepted", 0), rows=rows.get("rows", 0),
                delivered=delivered.get(f["id"], (0, 0))[0])
                if rows else shown(f["error"] or ""))
            label = labels.get(f"st_{f['status']}", f["status"])
            yield f"  {label:<28} {shown(f['name'])}  {detail}  {f['sha256'][:12]}"
