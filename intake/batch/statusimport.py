"""`intake status import`: a status file's states recorded in the ledger, in one transaction.

The file's cells are checked first (`intake.validation.statusfile`: the pandera schema built from
the status file's fields). Then each row against the ledger and the rest of the file: an employer
never delivered, a move backwards, live without the date of the first exchange, refused without a
reason, a date further back than the bound, the same employer twice. Each is a finding with the
file's row; a row with an error is not recorded, every other row is, together or not at all. A
repeat of the state a registration is in changes nothing, so a file imported twice changes nothing
the second time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from intake.batch.ledger import Change, Current, Ledger
from intake.definition.findings import Finding
from intake.definition.messages import Lang
from intake.definition.registration import Move, State, move
from intake.validation.limits import Limits
from intake.validation.statusfile import StatusFile, read_status_file

#: A date of the first exchange further back than this many days is taken for a typing error.
MAX_DAYS_BACK = 90


@dataclass(frozen=True)
class ImportOptions:
    """How a status file is imported: the bound on dates in the past, the reading limits."""

    max_days_back: int = MAX_DAYS_BACK
    limits: Limits = field(default_factory=Limits)
    today: dt.date | None = None


@dataclass
class ImportResult:
    """What a status file came to: its rows, the changes recorded, the findings."""

    path: Path
    rows: int
    changed: int
    unchanged: int
    rejected: int
    findings: list[Finding]
    changes: list[Change] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """How many findings are errors."""
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def exit_code(self) -> int:
        """0 when every row was taken (recorded or already so), 1 when a row has an error."""
        return int(self.errors > 0)

    def to_json(self, lang: Lang) -> dict[str, object]:
        """The result as `--json` prints it."""
        return {"file": str(self.path), "rows": self.rows, "changed": self.changed,
                "unchanged": self.unchanged, "rejected": self.rejected,
                "valid": self.errors == 0,
                "changes": [{"werkgever_id": c.werkgever_id,
                             "loonheffingennummer": c.loonheffingennummer, "state": c.state,
                             "first_exchange": c.first_exchange, "reason": c.reason}
                            for c in self.changes],
                "findings": [f.to_dict(lang) for f in self.findings]}


def import_status(ledger: Ledger, path: Path,
                  options: ImportOptions | None = None) -> ImportResult:
    """Check the status file at `path` and record its valid rows' new states in the ledger."""
    options = options or ImportOptions()
    status = read_status_file(path, options.limits)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with ledger.transaction() as db:
        findings, changes, unchanged, held = _against_ledger(status, ledger.current_states(),
                                                             options)
        import_id = ledger.add_status_import(db, path.name, digest, len(status.data),
                                             len(changes))
        ledger.record_states(db, changes, import_id=import_id)
    every = sorted(status.findings + findings, key=lambda f: (f.row or 0, f.column or ""))
    bad = {f.row for f in every if f.severity == "error" and f.row is not None} | held
    return ImportResult(path, len(status.data), len(changes), unchanged,
                        sum(1 for row in status.data.rows if row in bad), every, changes)


def _against_ledger(status: StatusFile, states: dict[tuple[str, str], Current],
                    options: ImportOptions,
                    ) -> tuple[list[Finding], list[Change], int, set[int]]:
    """The findings of the rows against the ledger and each other; the changes to record; how
    many rows were so already; the rows held back as duplicates."""
    data = status.data
    if not data.usable or not data.rows:
        return [], [], 0, set()
    today = options.today or dt.date.today()
    oldest = (today - dt.timedelta(days=options.max_days_back)).isoformat()
    sheet = data.sheet
    findings: list[Finding] = []
    first: dict[tuple[str, str], int] = {}
    twice: set[tuple[str, str]] = set()
    for i, row in enumerate(data.rows):
        key = (data.value("werkgever_id", i), data.value("loonheffingennummer", i))
        if data.rejected[i] or None in key:
            continue
        k = (str(key[0]), str(key[1]))
        if k in first:
            twice.add(k)
            findings.append(Finding("status-duplicate", sheet=sheet, row=row,
                                    column=data.columns["werkgever_id"], field="werkgever_id",
                                    value=k[0], params=(("werkgever_id", k[0]), ("lhn", k[1]),
                                                        ("first", str(first[k])))))
        else:
            first[k] = row
    changes: list[Change] = []
    unchanged = 0
    for i, row in enumerate(data.rows):
        werkgever_id = data.value("werkgever_id", i)
        lhn = data.value("loonheffingennummer", i)
        state = data.value("status", i)
        if data.rejected[i] or werkgever_id is None or lhn is None or state is None:
            continue
        key = (werkgever_id, lhn)
        if key in twice:
            continue
        ids = (("werkgever_id", werkgever_id), ("lhn", lhn))
        date = data.value("eerste_uitwisseling", i)
        reason = data.value("reden", i)
        now = states.get(key)
        problem: Finding | None = None
        if now is None:
            problem = Finding("status-unknown-employer", column=data.columns["werkgever_id"],
                              field="werkgever_id", value=werkgever_id, params=ids,
                              sheet=sheet, row=row)
        elif (found := move(State(now.state), State(state))) is Move.SAME:
            unchanged += 1
            continue
        elif found is Move.BACKWARD:
            problem = Finding("status-backward", column=data.columns["status"], field="status",
                              value=data.shown["status"][i], params=(
                                  *ids, ("current", now.state),
                                  ("since", now.at[:10])), sheet=sheet, row=row)
        elif state == State.LIVE and date is None:
            problem = Finding("status-live-without-date",
                              column=data.columns.get("eerste_uitwisseling",
                                                      data.columns["status"]),
                              field="eerste_uitwisseling", params=ids, sheet=sheet, row=row)
        elif state == State.LIVE and date is not None and date < oldest:
            problem = Finding("status-date-too-old", column=data.columns["eerste_uitwisseling"],
                              field="eerste_uitwisseling", value=date,
                              params=(("days", str(options.max_days_back)),), sheet=sheet, row=row)
        elif state == State.REFUSED and reason is None:
            problem = Finding("status-refused-without-reason",
                              column=data.columns.get("reden", data.columns["status"]),
                              field="reden", params=ids, sheet=sheet, row=row)
        if problem is not None:
            findings.append(problem)
            continue
        changes.append(Change(werkgever_id, lhn, state, f"status {status.path.name}:{row}",
                              date if state == State.LIVE else None,
                              reason if state == State.REFUSED else None))
    held = {row for i, row in enumerate(data.rows)
            if (data.value("werkgever_id", i), data.value("loonheffingennummer", i)) in twice}
    return findings, changes, unchanged, held
