"""What in a night's run needs the operator: "actie nodig", read from the run's summary.

An action is a value (severity, kind, file, cell, text), never a string the pages parse back.
What counts, in order: conflicts with an earlier registration (batch-conflict, an error: the
row was held back); files that could not be checked (unreadable, too large, failed, refused,
inaccessible: errors; timed out: a warning, it is tried again); a file skipped as processed
before whose earlier processing left it unreadable (it is still in the inbox and nobody was
told); bureaus named in the rows without a valid e-mail address (no message can reach them:
with --messages the run's own list, `summary["messages"]["no_address"]`, else found here by the
E-mail salarisverwerker rule); messages the run recorded as not written
(`summary["messages"]["not_written"]`, each with bureau, email, file and reason). Everything
else (a harmless repeat of an employer delivered before, a wage tax number at two employers) is
a note, with its severity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from intake.definition.findings import Severity
from intake.definition.status import Status

Kind = Literal["conflict", "not-checked", "still-unreadable", "no-address", "not-written"]
#: The kinds in the order the pages list them (the most urgent first).
KINDS: tuple[Kind, ...] = ("conflict", "not-checked", "still-unreadable", "no-address",
                           "not-written")
#: Statuses of a file that was not checked and will not be without someone acting.
NOT_CHECKED = frozenset({Status.UNREADABLE, Status.TOO_LARGE, Status.FAILED, Status.REFUSED,
                         Status.INACCESSIBLE})
#: Not checked this time, tried again by the next run by itself.
RETRIED = frozenset({Status.TIMED_OUT})


@dataclass(frozen=True)
class Action:
    """One thing the operator must look at."""

    severity: Severity
    kind: Kind
    file: str = ""
    cell: str = ""
    text: str = ""
    #: The file's output folder in the run (its report.html), if any.
    output: str | None = None
    #: The cell's value (a conflict's Werkgever ID).
    value: str = ""


@dataclass(frozen=True)
class Attention:
    """A run's actions (most urgent first) and its other cross-file notes."""

    actions: tuple[Action, ...]
    notes: tuple[Mapping[str, Any], ...]

    @property
    def needed(self) -> bool:
        """True when something needs the operator."""
        return bool(self.actions)

    def per_kind(self) -> dict[str, int]:
        """How many actions of each kind, in KINDS order, kinds without any left out."""
        counts = Counter(a.kind for a in self.actions)
        return {k: counts[k] for k in KINDS if counts[k]}


def _valid_address(address: str) -> bool:
    from intake.definition.kinds import _email  # the rule behind email-invalid, one source

    return bool(address) and _email(address)


def attention(summary: Mapping[str, Any]) -> Attention:
    """What in the run of `summary` (summary.json as a mapping) needs action, and the rest."""
    files: Sequence[Mapping[str, Any]] = summary.get("files") or []
    outputs = {f["name"]: f.get("output") for f in files}
    actions: list[Action] = []
    notes: list[Mapping[str, Any]] = []
    for note in summary.get("cross_file") or []:
        if note.get("severity") == "error":
            cell = f"{note.get('sheet') or ''}!{note['cell']}" if note.get("cell") else ""
            actions.append(Action("error", "conflict", str(note.get("file", "")), cell,
                                  str(note.get("message", "")),
                                  outputs.get(str(note.get("file", ""))),
                                  str(note.get("value") or "")))
        else:
            notes.append(note)
    for f in files:
        status = f.get("status")
        if status in NOT_CHECKED or status in RETRIED:
            actions.append(Action("error" if status in NOT_CHECKED else "warning",
                                  "not-checked", f["name"], text=str(f.get("error") or ""),
                                  output=f.get("output")))
        elif status == Status.SKIPPED and f.get("same_as_status") in NOT_CHECKED:
            actions.append(Action("error", "still-unreadable", f["name"],
                                  text=str(f.get("same_as_run") or "")))
    messages = summary.get("messages")
    if isinstance(messages, Mapping):  # the run wrote messages: its own account of who got none
        for unsent in messages.get("no_address") or []:
            who = f"{unsent.get('bureau') or ''} <{unsent.get('email') or ''}>".strip()
            actions.append(Action("warning", "no-address", str(unsent.get("file") or ""),
                                  text=f"{who}: {unsent.get('reason') or ''}",
                                  output=outputs.get(str(unsent.get("file") or ""))))
    else:
        seen: set[tuple[str, str]] = set()
        for f in files:
            for name, email in (f.get("counts") or {}).get("bureaus") or []:
                key = (str(name), str(email))
                if key in seen:
                    continue
                seen.add(key)
                if not _valid_address(str(email).strip()):
                    actions.append(Action("warning", "no-address", f["name"],
                                          text=f"{name} <{email}>" if email else str(name),
                                          output=f.get("output")))
    for message in (messages or {}).get("not_written") or []:
        actions.append(Action("error", "not-written", str(message.get("file", "")),
                              text=" ".join(str(message.get(k) or "") for k in
                                            ("bureau", "email", "reason")).strip()))
    order = {k: i for i, k in enumerate(KINDS)}
    actions.sort(key=lambda a: (a.severity != "error", order[a.kind]))
    return Attention(tuple(actions), tuple(notes))
