"""a.s.r.'s view of the registrations after delivery (`intake history`): how many are in each
state, and which have waited in theirs longer than its bound, oldest first."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from intake.batch.ledger import LATEST_STATES, Ledger
from intake.definition.messages import Lang
from intake.definition.registration import (
    ORDER,
    WAITING_DAYS,
    WORDS,
    Standing,
    State,
    days_since,
)


@dataclass(frozen=True)
class Funnel:
    """Registrations per state (every state, 0 included), and those waiting too long."""

    counts: dict[str, int]
    #: Registrations in a state longer than that state's bound.
    waiting: list[Standing]
    bounds: dict[str, int]

    def to_json(self) -> dict[str, object]:
        """What `intake history --json` prints."""
        return {"states": self.counts, "waiting_days": self.bounds,
                "waiting": [w.__dict__ for w in self.waiting]}

    def lines(self, lang: Lang) -> Iterator[str]:
        """The funnel as lines for the terminal."""
        words = WORDS[lang]
        title = {"nl": "Aanmeldingen per stand:", "en": "Registrations per state:"}[lang]
        yield title + "  " + ", ".join(f"{words[State(s)]} {n}" for s, n in self.counts.items())
        head = {"nl": "Langer dan de grens in hun stand ({bounds}), oudste eerst:",
                "en": "Longer than the bound in their state ({bounds}), oldest first:"}[lang]
        bounds = ", ".join(f"{words[State(s)]} {d}" for s, d in self.bounds.items())
        yield head.format(bounds=bounds)
        if not self.waiting:
            yield "  " + {"nl": "geen", "en": "none"}[lang]
        days = {"nl": "dagen", "en": "days"}[lang]
        for w in self.waiting:
            yield (f"  {w.werkgever_id}  {w.loonheffingennummer}  {words[State(w.state)]}  "
                   f"{w.days} {days} (sinds {w.since[:10]})  {w.werkgever_naam}"
                   if lang == "nl" else
                   f"  {w.werkgever_id}  {w.loonheffingennummer}  {words[State(w.state)]}  "
                   f"{w.days} {days} (since {w.since[:10]})  {w.werkgever_naam}")


def funnel(ledger: Ledger, bounds: Mapping[str, int] | None = None,
           today: dt.date | None = None) -> Funnel:
    """The funnel of the ledger's registrations; `bounds` in days per state (the defaults of
    `WAITING_DAYS` for the states not given)."""
    return funnel_of(ledger.db, bounds, today)


def funnel_of(db: sqlite3.Connection, bounds: Mapping[str, int] | None = None,
              today: dt.date | None = None) -> Funnel:
    """The same over a connection to a ledger (the web's is for reading only)."""
    today = today or dt.datetime.now(dt.UTC).date()
    limits = {str(s): d for s, d in WAITING_DAYS.items()} | dict(bounds or {})
    states = {(r[0], r[1]): (r[2], r[3]) for r in db.execute(LATEST_STATES)}
    counts = Counter(state for state, _ in states.values())
    waiting = []
    names = _names(db)
    for (werkgever_id, lhn), (state, at) in states.items():
        days = days_since(at, today)
        if state in limits and days > limits[state]:
            waiting.append(Standing(werkgever_id, lhn, names.get((werkgever_id, lhn), ""),
                                    state, at, days))
    waiting.sort(key=lambda w: (w.since, w.werkgever_id))
    ordered = {str(s): counts.get(str(s), 0) for s in (*ORDER, State.REFUSED)}
    return Funnel(ordered, waiting, limits)


def _names(db: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """Each registration's employer name, from its latest delivery."""
    names = {}
    for werkgever_id, lhn, data in db.execute(
            "SELECT werkgever_id, loonheffingennummer, data FROM employers ORDER BY id"):
        try:
            names[(werkgever_id, lhn)] = str(json.loads(data).get("werkgever_naam", ""))
        except (ValueError, AttributeError):
            continue
    return names
